"""tf.parse_example and its kin (estflow/library/parsing_ops.py, feature configs in parsing_config.py):
the Example parsers against TF's rules, messages and golden Examples."""

import json
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.protos import example_pb2
from estflow.io import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    SparseFeature,
    VarLenFeature,
    parse_example,
    parse_single_example,
    parse_single_sequence_example,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tfrecord"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
RECORDS = [bytes.fromhex(r["serialized_hex"]) for r in MANIFEST["records"]]
DTYPES = {"int64": tf.int64, "float32": tf.float32, "string": tf.string}


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def raises(cls, message, fetches, feed_dict=None):
    """Run and check the error class and that TF's message starts the error text."""
    with pytest.raises(cls) as info:
        run(fetches, feed_dict)
    assert str(info.value).split("\n\t [[")[0] == message
    return info.value


def _bytes(v):
    return bytes.fromhex(v["hex"])


# ---- parse_example on the golden Examples --------------------------------------------------------
def golden_features():
    features = {}
    for key, spec in MANIFEST["parse_example"]["spec"].items():
        dtype = DTYPES[spec["dtype"]]
        if spec["type"] == "VarLenFeature":
            features[key] = VarLenFeature(dtype)
        else:
            default = spec["default_value"]
            if isinstance(default, dict):
                default = _bytes(default)
            features[key] = FixedLenFeature(spec["shape"], dtype, default)
    return features


def expected_value(result):
    if result["dtype"] == "string":
        if result["type"] == "sparse":
            return [_bytes(v) for v in result["values"]]
        return [_bytes(v) for v in result["value"]]
    return result["values"] if result["type"] == "sparse" else result["value"]


def test_parse_example_matches_tensorflow_on_the_golden_records():
    serialized = tf.placeholder(tf.string, [None])
    parsed = parse_example(serialized, golden_features())
    got = run(parsed, {serialized: RECORDS})
    for key, result in MANIFEST["parse_example"]["result"].items():
        value = got[key]
        if result["type"] == "sparse":
            assert isinstance(parsed[key], tf.SparseTensor)
            assert value.indices.dtype == np.int64 and value.indices.shape == (len(result["indices"]), 2)
            assert value.indices.reshape(-1, 2).tolist() == [list(i) for i in result["indices"]], key
            assert value.dense_shape.tolist() == result["dense_shape"], key
            values = value.values.tolist()
        else:
            assert list(value.shape) == result["shape"], key
            values = value.tolist()
        expected = expected_value(result)
        if result["dtype"] == "float32":
            np.testing.assert_array_equal(np.float32(values), np.float32(expected), err_msg=key)
        else:
            assert values == expected, key
        dtype = value.values.dtype if result["type"] == "sparse" else value.dtype
        assert dtype == {"int64": np.int64, "float32": np.float32, "string": object}[result["dtype"]], key


def test_parse_example_static_shapes_and_types():
    serialized = tf.placeholder(tf.string, [4])
    parsed = parse_example(serialized, golden_features())
    assert parsed["floats"].shape.as_list() == [4, 3] and parsed["floats"].dtype == tf.float32
    assert parsed["name"].dtype == tf.string and parsed["id"].shape.as_list() == [4]
    assert parsed["tags"].values.dtype == tf.string and parsed["tags"].indices.shape.as_list() == [None, 2]


def test_parse_example_missing_required_feature_is_tfs_error():
    features = golden_features()
    features["score"] = FixedLenFeature([], tf.float32)
    parsed = parse_example(tf.constant(RECORDS), features)
    expected = MANIFEST["parse_example"]["missing_required_fixedlen"]["error"]
    raises(errors.InvalidArgumentError, expected["message"], parsed["score"])
    named = parse_example(tf.constant(RECORDS), features, example_names=[f"ex{i}" for i in range(10)])
    raises(errors.InvalidArgumentError, "Name: ex7, Feature: score (data type: float) is required but could not "
                                        "be found.", named["score"])


@pytest.mark.parametrize("features, message", [
    ({"label": FixedLenFeature([], tf.float32)},
     "Name: <unknown>, Key: label, Index: 0.  Data types don't match. Data type: int64 but expected type: float"),
    ({"floats": FixedLenFeature([2], tf.float32)},
     "Name: <unknown>, Key: floats, Index: 0.  Number of float values != expected.  Values size: 3 but output "
     "shape: [2]"),
    ({"name": FixedLenFeature([2], tf.string, default_value=["a", "b"])},
     "Name: <unknown>, Key: name, Index: 0.  Number of bytes values != expected.  Values size: 1 but output "
     "shape: [2]"),
    ({"ints": VarLenFeature(tf.float32)},
     "Name: <unknown>, Key: ints, Index: 0.  Data types don't match. Expected type: float, Actual type: int64"),
    ({"ints": FixedLenSequenceFeature([2], tf.int64, allow_missing=True)},
     "Name: <unknown>, Key: ints, Index: 5.  Number of int64 values is not a multiple of stride length. Saw 3 "
     "values but output shape is: [?,2]"),
])
def test_parse_example_value_errors_are_tfs(features, message):
    parsed = parse_example(tf.constant(RECORDS), features)
    raises(errors.InvalidArgumentError, message, list(parsed.values())[0])


def test_parse_example_unparseable_record():
    parsed = parse_example(tf.constant([b"\x0a\xff"]), {"a": VarLenFeature(tf.int64)})
    raises(errors.InvalidArgumentError, "Could not parse example input, value: '\n\ufffd'", parsed["a"].values)


def test_parse_example_fixed_len_sequence_feature_pads_examples():
    features = {
        "ints": FixedLenSequenceFeature([], tf.int64, allow_missing=True),
        "floats": FixedLenSequenceFeature([3], tf.float32, allow_missing=True),
        "never_present": FixedLenSequenceFeature([2], tf.string, allow_missing=True),
    }
    serialized = tf.placeholder(tf.string, [10])
    parsed = parse_example(serialized, features)
    assert parsed["floats"].shape.as_list() == [10, None, 3]
    got = run(parsed, {serialized: RECORDS})
    ints = MANIFEST["parse_example"]["result"]["ints"]
    dense = np.zeros((10, 4), np.int64)
    for (row, col), v in zip(ints["indices"], ints["values"]):
        dense[row, col] = v
    np.testing.assert_array_equal(got["ints"], dense)
    assert got["floats"].shape == (10, 1, 3)
    floats = MANIFEST["parse_example"]["result"]["floats"]["value"]
    np.testing.assert_array_equal(got["floats"][:, 0], np.float32(floats))
    assert got["never_present"].shape == (10, 0, 2) and got["never_present"].dtype == object


def test_parse_example_fixed_len_sequence_feature_padding_value():
    parsed = parse_example(tf.constant(RECORDS[:2]),
                           {"ints": FixedLenSequenceFeature([], tf.int64, allow_missing=True, default_value=-1)})
    assert run(parsed["ints"]).tolist() == [[-1, -1, -1, -1], [-200, 970, -215, -882]]


def _example(**features):
    ex = example_pb2.Example()
    for key, value in features.items():
        f = ex.features.feature[key]
        if value and isinstance(value[0], float):
            f.float_list.value.extend(value)
        elif value and isinstance(value[0], bytes):
            f.bytes_list.value.extend(value)
        else:
            f.int64_list.value.extend(value)
    return ex.SerializeToString()


def test_parse_example_sparse_feature_one_and_two_dimensions():
    records = [_example(ix=[3, 1], val=[0.5, -1.0]), _example(other=[1]), _example(ix=[0], val=[2.0])]
    parsed = parse_example(tf.constant(records), {"sp": SparseFeature("ix", "val", tf.float32, 5)})
    assert set(parsed) == {"sp"}
    got = run(parsed["sp"])
    assert got.indices.tolist() == [[0, 1], [0, 3], [2, 0]]
    np.testing.assert_array_equal(got.values, np.float32([-1.0, 0.5, 2.0]))
    assert got.dense_shape.tolist() == [3, 5]
    records = [_example(r=[1, 0], c=[2, 2], v=[b"x", b"y"])]
    parsed = parse_example(tf.constant(records), {"sp": SparseFeature(["r", "c"], "v", tf.string, [2, 3]),
                                                  "v": VarLenFeature(tf.string)})
    got = run(parsed)
    assert got["sp"].indices.tolist() == [[0, 0, 2], [0, 1, 2]] and got["sp"].values.tolist() == [b"y", b"x"]
    assert got["sp"].dense_shape.tolist() == [1, 2, 3]
    assert got["v"].values.tolist() == [b"x", b"y"]


def test_parse_example_feature_config_errors():
    s = tf.constant(RECORDS)
    with pytest.raises(ValueError, match=r"Missing: features was \{\}\."):
        parse_example(s, {})
    with pytest.raises(ValueError, match="FixedLenSequenceFeature requires allow_missing to be True"):
        parse_example(s, {"a": FixedLenSequenceFeature([], tf.int64)})
    with pytest.raises(ValueError, match="First dimension of shape for feature a unknown"):
        parse_example(s, {"a": FixedLenFeature([None], tf.int64)})
    with pytest.raises(ValueError, match="All dimensions of shape for feature a need to be known"):
        parse_example(s, {"a": FixedLenFeature([2, None], tf.int64)})
    with pytest.raises(ValueError, match="Dense and sparse keys must not intersect"):
        parse_example(s, {"a": FixedLenFeature([], tf.float32), "b": SparseFeature("i", "a", tf.float32, 3)})
    with pytest.raises(ValueError, match="Conflicting type"):
        parse_example(s, {"i": VarLenFeature(tf.float32), "b": SparseFeature("i", "v", tf.float32, 3)})
    with pytest.raises(ValueError, match="Unsupported"):
        parse_example(s, {"a": ("not", "a", "feature")})


def test_parse_example_of_no_records_and_graph_def_round_trip():
    serialized = tf.placeholder(tf.string, [None], name="records")
    parsed = parse_example(serialized, golden_features())
    empty = run(parsed, {serialized: []})
    assert empty["floats"].shape == (0, 3) and empty["tags"].dense_shape.tolist() == [0, 0]
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        g = tf.get_default_graph()
        again = run({k: g.get_tensor_by_name(v.name) for k, v in parsed.items() if not isinstance(v, tf.SparseTensor)},
                    {"records:0": RECORDS})
    direct = run(parsed, {serialized: RECORDS})
    for key, value in again.items():
        np.testing.assert_array_equal(value, direct[key])


# ---- parse_single_example -------------------------------------------------------------------------
def test_parse_single_example_golden_record():
    features = golden_features()
    parsed = parse_single_example(tf.constant(RECORDS[1]), features)
    got = run(parsed)
    record = MANIFEST["records"][1]["features"]
    assert got["id"] == record["id"]["value"][0] and got["name"] == b"fodriwu_1"
    np.testing.assert_array_equal(got["floats"], np.float32(record["floats"]["value"]))
    assert got["ints"].indices.tolist() == [[0], [1], [2], [3]] and got["ints"].dense_shape.tolist() == [4]
    assert got["ints"].values.tolist() == record["ints"]["value"]
    assert got["tags"].values.shape == (0,) and got["tags"].indices.shape == (0, 1)
    assert parsed["floats"].shape.as_list() == [3] and parsed["id"].shape.ndims == 0
    missing_name = run(parse_single_example(tf.constant(RECORDS[5]), features)["name"])
    assert missing_name == b"<missing>"


@pytest.mark.parametrize("record, features, message", [
    (7, {"score": FixedLenFeature([], tf.float32)},
     "Feature: score (data type: float) is required but could not be found."),
    (0, {"label": FixedLenFeature([], tf.float32)},
     "Key: label.  Data types don't match. Data type: int64 but expected type: float"),
    (0, {"floats": FixedLenFeature([2], tf.float32)},
     "Key: floats.  Can't parse serialized Example: Some float_list slice was not parsed."),
    (1, {"ints": VarLenFeature(tf.string)},
     "Key: ints.  Data types don't match. Expected type: string, Actual type: int64"),
    (5, {"ints": FixedLenSequenceFeature([2], tf.int64, allow_missing=True)},
     "Error while parsing feature with key ints: number of elements should be divisible by 2, found 3 instead"),
])
def test_parse_single_example_errors_are_tfs(record, features, message):
    parsed = parse_single_example(tf.constant(RECORDS[record]), features)
    raises(errors.InvalidArgumentError, message, list(parsed.values())[0])


def test_parse_single_example_sequence_and_sparse_features():
    record = _example(seq=[1, 2, 3, 4], ix=[2, 0], val=[1.0, 2.0])
    serialized = tf.placeholder(tf.string, [])
    parsed = parse_single_example(serialized, {
        "seq": FixedLenSequenceFeature([2], tf.int64, allow_missing=True),
        "none": FixedLenSequenceFeature([3], tf.float32, allow_missing=True),
        "sp": SparseFeature("ix", "val", tf.float32, 4),
    })
    assert parsed["seq"].shape.as_list() == [None, 2]
    got = run(parsed, {serialized: record})
    assert got["seq"].tolist() == [[1, 2], [3, 4]] and got["none"].shape == (0, 3)
    assert got["sp"].indices.tolist() == [[0], [2]] and got["sp"].values.tolist() == [2.0, 1.0]
    assert got["sp"].dense_shape.tolist() == [4]
    with pytest.raises(ValueError, match="must be a scalar"):
        parse_single_example(tf.constant([record]), {"seq": VarLenFeature(tf.int64)})


# ---- parse_single_sequence_example ----------------------------------------------------------------
def _sequence_example(context=None, lists=None):
    ex = example_pb2.SequenceExample()
    for key, values in (context or {}).items():
        f = ex.context.feature[key]
        (f.float_list if isinstance(values[0], float) else f.int64_list).value.extend(values)
    for key, steps in (lists or {}).items():
        fl = ex.feature_lists.feature_list[key]
        for step in steps:
            f = fl.feature.add()
            if step is None:
                continue
            if step and isinstance(step[0], float):
                f.float_list.value.extend(step)
            elif step and isinstance(step[0], bytes):
                f.bytes_list.value.extend(step)
            else:
                f.int64_list.value.extend(step)
    return ex.SerializeToString()


def test_parse_single_sequence_example_context_and_feature_lists():
    record = _sequence_example({"length": [3], "tags": [7, 8]},
                               {"tokens": [[1], [2], [3]], "frames": [[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]],
                                "words": [[b"a", b"b"], None, [b"c"]]})
    serialized = tf.placeholder(tf.string, [])
    context, seq = parse_single_sequence_example(
        serialized,
        context_features={"length": FixedLenFeature([], tf.int64), "tags": VarLenFeature(tf.int64),
                          "lang": FixedLenFeature([], tf.string, default_value="en")},
        sequence_features={"tokens": FixedLenSequenceFeature([], tf.int64),
                           "frames": FixedLenSequenceFeature([2], tf.float32),
                           "words": VarLenFeature(tf.string),
                           "absent": FixedLenSequenceFeature([4], tf.float32, allow_missing=True)})
    assert seq["frames"].shape.as_list() == [None, 2] and context["length"].shape.ndims == 0
    c, s = run((context, seq), {serialized: record})
    assert c["length"] == 3 and c["lang"] == b"en"
    assert c["tags"].indices.tolist() == [[0], [1]] and c["tags"].values.tolist() == [7, 8]
    assert s["tokens"].tolist() == [1, 2, 3]
    np.testing.assert_array_equal(s["frames"], np.float32([[0.5, 1.0], [1.5, 2.0], [2.5, 3.0]]))
    assert s["words"].indices.tolist() == [[0, 0], [0, 1], [2, 0]] and s["words"].dense_shape.tolist() == [3, 2]
    assert s["words"].values.tolist() == [b"a", b"b", b"c"]
    assert s["absent"].shape == (0, 4)


@pytest.mark.parametrize("context, lists, message", [
    ({"length": FixedLenFeature([], tf.int64)}, None,
     "Name: <unknown>, Context feature 'length' is required but could not be found."),
    (None, {"tokens": FixedLenSequenceFeature([], tf.int64)},
     "Name: <unknown>, Feature list 'tokens' is required but could not be found.  Did you mean to include it in "
     "feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?"),
    (None, {"frames": FixedLenSequenceFeature([2], tf.float32)},
     "Name: <unknown>, Key: frames, Index: 1.  Number of float values != expected.  values size: 3 but output "
     "shape: [2]"),
])
def test_parse_single_sequence_example_errors_are_tfs(context, lists, message):
    record = _sequence_example({"other": [1]}, {"frames": [[1.0, 2.0], [1.0, 2.0, 3.0]]})
    c, s = parse_single_sequence_example(tf.constant(record), context, lists)
    raises(errors.InvalidArgumentError, message, list((c or s).values())[0])


def test_parse_single_sequence_example_type_mismatch_names_the_example():
    record = _sequence_example(None, {"tokens": [[1.0]]})
    _, s = parse_single_sequence_example(tf.constant(record), None,
                                         {"tokens": FixedLenSequenceFeature([], tf.int64)}, example_name="seq42")
    with pytest.raises(errors.InvalidArgumentError) as info:
        run(s["tokens"])
    assert str(info.value).startswith("Name: seq42, Feature list: tokens, Index: 0.  Data types don't match. "
                                      "Expected type: int64  Feature is: float_list {")


def test_parse_single_sequence_example_config_errors():
    with pytest.raises(ValueError, match="Missing features"):
        parse_single_sequence_example(tf.constant(b""))
    with pytest.raises(ValueError, match=r"feature_list_dense_defaults\[t\] must be None"):
        parse_single_sequence_example(tf.constant(b""), None,
                                      {"t": FixedLenSequenceFeature([], tf.int64, default_value=3)})
    with pytest.raises(ValueError, match="Unsupported FixedLenSequenceFeature"):
        parse_single_sequence_example(tf.constant(b""), {"t": FixedLenSequenceFeature([], tf.int64)})
