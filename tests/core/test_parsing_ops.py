"""Parsing ops: DecodeCSV and DecodeRaw against TF's rules and messages (the Example parsers: tests/library)."""

import random
import struct

import numpy as np
import pytest

import estflow as tf
from estflow.core import csv_parsing, errors
from estflow.io import decode_csv, decode_raw


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


# ---- DecodeCSV -----------------------------------------------------------------------------------
def csv(records, defaults, **kwargs):
    x = tf.placeholder(tf.string, [None])
    return x, decode_csv(x, defaults, **kwargs)


def test_decode_csv_types_defaults_and_na_value():
    x, cols = csv([], [[0.0], [0], [""], tf.constant([], tf.int64), [0.5]], na_value="NA")
    a, b, c, d, e = run(cols, {x: ["1.5,2,abc,7,1e3", ",NA,,8,NA", " +2 , 3 ,x y,-9,inf"]})
    np.testing.assert_array_equal(a, np.float32([1.5, 0.0, 2.0]))
    assert a.dtype == np.float32 and b.dtype == np.int32 and d.dtype == np.int64
    np.testing.assert_array_equal(b, [2, 0, 3])
    assert c.tolist() == [b"abc", b"", b"x y"]
    np.testing.assert_array_equal(d, [7, 8, -9])
    np.testing.assert_array_equal(e, np.float32([1000.0, 0.5, np.inf]))


def test_decode_csv_quoting_rules():
    x, cols = csv([], [[""], [""], [0]])
    a, b, c = run(cols, {x: ['"a,b","say ""hi""",1', '"",x,2', 'p,"",3', '"q",r,"4"']})
    assert a.tolist() == [b"a,b", b"", b"p", b"q"]
    assert b.tolist() == [b'say "hi"', b"x", b"", b"r"]
    assert c.tolist() == [1, 2, 3, 4]


def test_decode_csv_without_quote_handling_keeps_quotes():
    x, cols = csv([], [[""], [""]], use_quote_delim=False)
    a, b = run(cols, {x: ['"a,b"']})
    assert a.tolist() == [b'"a'] and b.tolist() == [b'b"']


def test_decode_csv_delimiter_select_cols_and_trailing_delimiter():
    x, cols = csv([], [[0], [""]], field_delim="|", select_cols=[1, 3])
    a, b = run(cols, {x: ["0|10|skip|x", "0|20|skip|y|more|fields"]})
    assert a.tolist() == [10, 20] and b.tolist() == [b"x", b"y"]
    x, cols = csv([], [[1], [2], [3]])
    assert [c.tolist() for c in run(cols, {x: ["4,5,"]})] == [[4], [5], [3]]


def test_decode_csv_keeps_the_records_shape_and_scalars():
    records = tf.constant([["1,a", "2,b"], ["3,c", "4,d"]])
    n, s = decode_csv(records, [[0], ["?"]])
    assert n.shape.as_list() == [2, 2] and s.shape.as_list() == [2, 2]
    nv, sv = run([n, s])
    assert nv.tolist() == [[1, 2], [3, 4]] and sv.tolist() == [[b"a", b"b"], [b"c", b"d"]]
    (one,) = decode_csv("7", [[0.0]])
    assert one.shape.ndims == 0 and run(one) == np.float32(7.0)


def test_decode_csv_int64_and_float64_ranges():
    x, cols = csv([], [tf.constant([0], tf.int64), tf.constant([0.0], tf.float64)])
    a, b = run(cols, {x: ["9223372036854775807,0.1"]})
    assert a.tolist() == [2**63 - 1] and b.dtype == np.float64 and b[0] == 0.1


@pytest.mark.parametrize("records, defaults, message", [
    (["1,2,3,4,5,6"], [[0]] * 5, "Expect 5 fields but have 6 in record 0"),
    (["1,2", "1"], [[0], [0]], "Expect 2 fields but have 1 in record 1"),
    ([""], [[0]], "Expect 1 fields but have 0 in record 0"),
    (["1,2,"], [[0], [0], np.array([], np.int32)], "Field 2 is required but missing in record 0!"),
    (["1,abc"], [[0], [0.0]], "Field 1 in record 0 is not a valid float: abc"),
    (["1.5"], [[0]], "Field 0 in record 0 is not a valid int32: 1.5"),
    (["99999999999"], [[0]], "Field 0 in record 0 is not a valid int32: 99999999999"),
    (["1_000"], [[0]], "Field 0 in record 0 is not a valid int32: 1_000"),
    (["9223372036854775808"], [np.array([0], np.int64)],
     "Field 0 in record 0 is not a valid int64: 9223372036854775808"),
    (["x"], [np.array([0.0])], "Field 0 in record 0 is not a valid double: x"),
    (['a"b'], [[""]], "Unquoted fields cannot have quotes/CRLFs inside"),
    (['"a"b"'], [[""]], "Quote inside a string has to be escaped by another quote"),
    (['"abc'], [[""]], "Quoted field has to end with quote followed by delim or end"),
    (["a\r"], [[""]], "Unquoted fields cannot have quotes/CRLFs inside"),
])
def test_decode_csv_errors_are_tfs(records, defaults, message):
    x, cols = csv(records, defaults)
    raises(errors.InvalidArgumentError, message, cols, {x: records})


def test_decode_csv_reports_the_first_bad_record():
    x, cols = csv([], [[0], [0]])
    raises(errors.InvalidArgumentError, "Field 1 in record 0 is not a valid int32: b", cols,
           {x: ["1,b", "a,2"]})


def test_decode_csv_default_with_two_values_is_an_error():
    x = tf.placeholder(tf.string, [None])
    default = tf.placeholder(tf.int32, [None])
    (col,) = decode_csv(x, [default])
    raises(errors.InvalidArgumentError, "There should only be 1 default per field but field 0 has 2", col,
           {x: ["1"], default: [1, 2]})


def test_decode_csv_graph_build_errors():
    x = tf.placeholder(tf.string, [None])
    with pytest.raises(ValueError, match="Length of select_cols and record_defaults do not match"):
        decode_csv(x, [[0]], select_cols=[0, 1])
    with pytest.raises(ValueError, match="select_cols is not strictly increasing"):
        decode_csv(x, [[0], [0]], select_cols=[1, 1])
    with pytest.raises(ValueError, match="select_cols contains negative values"):
        decode_csv(x, [[0]], select_cols=[-1])
    with pytest.raises(ValueError, match="field_delim should be only 1 char"):
        decode_csv(x, [[0]], field_delim=";;")
    with pytest.raises(ValueError, match="at most rank 1"):
        decode_csv(x, [[[0]]])
    with pytest.raises(TypeError, match="OUT_TYPE"):
        decode_csv(x, [[True]])
    with pytest.raises(TypeError, match="string"):
        decode_csv(tf.constant([1.0]), [[0]])


def test_decode_csv_fast_path_matches_record_by_record_parsing():
    rng = random.Random(0)
    fmt = csv_parsing.CsvFormat(",", True, "NA", ())
    types = [tf.int32, tf.float32, tf.string, tf.int64]
    defaults = [-1, -1.5, b"?", -2]
    for _ in range(50):
        lines = []
        for _ in range(rng.randint(1, 40)):
            fields = [str(rng.randint(-500, 500)), f"{rng.uniform(-9, 9):.3f}",
                      rng.choice(["abc", "x y", "", "NA", " z"]), rng.choice(["", "7", " -3 ", "NA"])]
            lines.append(",".join(fields).encode())
        fast = csv_parsing.decode_csv_lines(lines, defaults, types, fmt)
        exact = csv_parsing.decode_csv_exact(lines, defaults, types, fmt)
        for f, e in zip(fast, exact):
            assert f.dtype == e.dtype
            np.testing.assert_array_equal(f, e)


def test_decode_csv_survives_a_graph_def_round_trip():
    x = tf.placeholder(tf.string, [None], name="lines")
    cols = decode_csv(x, [[0], ["?"]], field_delim=";", na_value="-", select_cols=[0, 2])
    graph_def = tf.get_default_graph().as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        g = tf.get_default_graph()
        a, b = run([g.get_tensor_by_name(c.name) for c in cols], {"lines:0": ["1;x;-", "2;y;z"]})
    assert a.tolist() == [1, 2] and b.tolist() == [b"?", b"z"]


# ---- DecodeRaw ------------------------------------------------------------------------------------
def test_decode_raw_endianness_types_and_shapes():
    data = [struct.pack("<2h", 1, -2), struct.pack("<2h", 3, 4)]
    x = tf.placeholder(tf.string, [2])
    out = decode_raw(x, tf.int16)
    assert out.shape.as_list() == [2, None]
    np.testing.assert_array_equal(run(out, {x: data}), [[1, -2], [3, 4]])
    big = decode_raw(tf.constant([struct.pack(">f", 1.5)]), tf.float32, little_endian=False)
    np.testing.assert_array_equal(run(big), np.float32([[1.5]]))
    np.testing.assert_array_equal(run(decode_raw(tf.constant(b"\x01\xff"), tf.uint8)), [1, 255])
    cplx = decode_raw(tf.constant([struct.pack(">2f", 1.0, -2.0)]), tf.complex64, little_endian=False)
    np.testing.assert_array_equal(run(cplx), np.complex64([[1 - 2j]]))
    grid = run(decode_raw(tf.constant([[b"ab", b"cd"]]), tf.uint8))
    assert grid.shape == (1, 2, 2) and grid.dtype == np.uint8
    empty = run(decode_raw(tf.constant([b"", b""]), tf.float32))
    assert empty.shape == (2, 0) and empty.dtype == np.float32
    assert run(decode_raw(tf.constant([b"\x00\x02"]), tf.bool)).tolist() == [[False, True]]


def test_decode_raw_errors():
    x = tf.placeholder(tf.string, [None])
    raises(errors.InvalidArgumentError, "DecodeRaw requires input strings to all be the same size, but element 1 "
                                        "has size 4 != 3", decode_raw(x, tf.float32), {x: [b"abcd", b"abc"]})
    raises(errors.InvalidArgumentError, "Input to DecodeRaw has length 5 that is not a multiple of 4, the size "
                                        "of float", decode_raw(x, tf.float32), {x: [b"abcde"]})
    with pytest.raises(TypeError, match="out_type"):
        decode_raw(x, tf.string)


# ---- ParseExampleV2 (TF 2's parse op: keys as tensors, scalar or vector input) ----------------------
def _example_v2(a, b):
    feature = {"a": tf.train.Feature(int64_list=tf.train.Int64List(value=a))}
    if b:  # an empty `b` leaves the feature out
        feature["b"] = tf.train.Feature(float_list=tf.train.FloatList(value=b))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def _parse_v2(serialized, dense_default=(0.0,), ragged=()):
    from estflow.core.registry import apply_op  # noqa: PLC0415 - the raw op, as TF2's graphs hold it
    return apply_op("ParseExampleV2", serialized, tf.constant([], tf.string), tf.constant(["a"]), tf.constant(["b"]),
                    tf.constant(list(ragged), tf.string), tf.constant(list(dense_default)), num_sparse=1,
                    sparse_types=[tf.int64], Tdense=[tf.float32], dense_shapes=[[1]], ragged_value_types=[],
                    ragged_split_types=[])


def test_parse_example_v2_parses_a_batch_like_parse_example():
    serialized = tf.placeholder(tf.string, [None])
    indices, values, shape, dense = _parse_v2(serialized)
    assert dense.shape.as_list() == [None, 1]
    with tf.Session() as sess:
        batch = [_example_v2([4, 5], [1.5]), _example_v2([6], [])]
        got = sess.run([indices, values, shape, dense], {serialized: batch})
    np.testing.assert_array_equal(got[0], [[0, 0], [0, 1], [1, 0]])
    np.testing.assert_array_equal(got[1], [4, 5, 6])
    np.testing.assert_array_equal(got[2], [2, 2])
    np.testing.assert_array_equal(got[3], [[1.5], [0.0]])  # the default fills the missing feature


def test_parse_example_v2_of_a_scalar_drops_the_batch_dimension():
    serialized = tf.placeholder(tf.string, [])
    indices, values, shape, dense = _parse_v2(serialized)
    assert dense.shape.as_list() == [1]
    with tf.Session() as sess:
        got = sess.run([indices, values, shape, dense], {serialized: _example_v2([4, 5], [2.5])})
    np.testing.assert_array_equal(got[0], [[0], [1]])
    np.testing.assert_array_equal(got[2], [2])
    np.testing.assert_array_equal(got[3], [2.5])


def test_parse_example_v2_refuses_ragged_keys_and_missing_required_features():
    serialized = tf.placeholder(tf.string, [None])
    required = _parse_v2(serialized, dense_default=())
    ragged = _parse_v2(serialized, ragged=("r",))
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="ragged features are not supported"):
            sess.run(ragged[3], {serialized: [_example_v2([1], [1.0])]})
        with pytest.raises(errors.InvalidArgumentError, match="Feature: b .* is required but could not be found"):
            sess.run(required[3], {serialized: [_example_v2([1], [])]})
def test_parse_example_builds_its_specs_once_for_constant_keys_and_defaults():
    from estflow.core.ops import parsing_ops  # the spec cache is internal to the kernel's module

    def arrays(default, writeable):
        out = (np.array(b"age", dtype=object), np.array([default], np.float32))
        for a in out:
            a.flags.writeable = writeable
        return out

    attrs = ([], [tf.float32], [[1]])
    constant_rest = arrays(1.5, False)
    first = parsing_ops._parse_example_specs(constant_rest, 0, 1, *attrs)
    assert parsing_ops._parse_example_specs(constant_rest, 0, 1, *attrs) is first  # the plan's constants: cached
    assert first[1][0].key == "age" and first[1][0].default.tolist() == [1.5]
    fed = arrays(2.5, True)  # values that may change between runs are read every time
    assert parsing_ops._parse_example_specs(fed, 0, 1, *attrs)[1][0].default.tolist() == [2.5]
    fed[1][0] = 3.5
    assert parsing_ops._parse_example_specs(fed, 0, 1, *attrs)[1][0].default.tolist() == [3.5]
    # Through a session: the same results on every run.
    with tf.Graph().as_default(), tf.Session() as sess:
        s = tf.placeholder(tf.string, [None])
        out = tf.parse_example(s, {"age": tf.FixedLenFeature([], tf.float32, default_value=-1.0),
                                   "tag": tf.VarLenFeature(tf.string)})
        e = tf.train.Example(features=tf.train.Features(feature={
            "age": tf.train.Feature(float_list=tf.train.FloatList(value=[4.0])),
            "tag": tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"a", b"b"]))})).SerializeToString()
        for batch in ([e], [e, b""], [e]):
            got = sess.run(out, {s: batch})
            np.testing.assert_array_equal(got["age"], [4.0, -1.0][:len(batch)])
            assert got["tag"].values.tolist() == [b"a", b"b"]


def test_parsing_one_example_gives_the_row_a_batch_gives_it():
    spec = {"f": tf.FixedLenFeature([], tf.float32, default_value=-1.0),
            "pair": tf.FixedLenFeature([2], tf.int64, default_value=[7, 8]),
            "word": tf.FixedLenFeature([1], tf.string, default_value=b"none"),
            "tags": tf.VarLenFeature(tf.string), "ids": tf.VarLenFeature(tf.int64)}

    def example(**features):
        feature = {}
        for k, v in features.items():
            if isinstance(v[0], float):
                feature[k] = tf.train.Feature(float_list=tf.train.FloatList(value=v))
            elif isinstance(v[0], int):
                feature[k] = tf.train.Feature(int64_list=tf.train.Int64List(value=v))
            else:
                feature[k] = tf.train.Feature(bytes_list=tf.train.BytesList(value=v))
        return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()

    records = [example(f=[1.5], pair=[1, 2], word=[b"w"], tags=[b"a", b"b", b"c"], ids=[4]), example(),
               example(f=[2.5], tags=[b"x"]), example(pair=[3, 4], ids=[1, 2])]
    with tf.Graph().as_default(), tf.Session() as sess:
        s = tf.placeholder(tf.string, [None])
        out = tf.parse_example(s, spec)
        batch = sess.run(out, {s: records})
        for i, record in enumerate(records):
            one = sess.run(out, {s: [record]})
            for k in ("f", "pair", "word"):
                assert one[k].dtype == batch[k].dtype and one[k].shape == (1,) + batch[k].shape[1:]
                np.testing.assert_array_equal(one[k][0], batch[k][i])
            for k in ("tags", "ids"):
                rows = batch[k].indices[:, 0] == i
                np.testing.assert_array_equal(one[k].values, batch[k].values[rows])
                np.testing.assert_array_equal(one[k].indices[:, 1], batch[k].indices[rows, 1])
                assert one[k].indices.dtype == np.int64 and one[k].indices.shape == (rows.sum(), 2)
                assert not one[k].indices[:, 0].any() and one[k].dense_shape.tolist() == [1, rows.sum()]
        # A feature of the wrong type or size is TF's error for one example as for a batch.
        for bad in (example(f=[1, 2]), example(pair=[1]), example(f=[1.0, 2.0])):
            with pytest.raises(tf.errors.InvalidArgumentError):
                sess.run(out, {s: [bad]})
