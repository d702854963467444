"""ExampleParser (ParseExample's compiled fast paths) against the record-by-record reference path.

Random configurations and random Examples, regular and not: missing features with and
without defaults, multi-valued dense features, bytes / int64 / float lists, features of
the wrong type or size, empty Features, bytes that do not parse. For every batch the
parser gives what `parse_examples_exact` gives (values, dtypes, shapes), or the same error.
"""

import random

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, errors, example_parser, example_parsing
from estflow.core.example_parsing import DenseSpec, SparseSpec
from estflow.core.protos import example_pb2

_TYPES = (dtypes.float32, dtypes.int64, dtypes.string)
_SHAPES = ((), (1,), (1,), (2,), (2, 3))
_VARIABLE = ((-1,), (-1, 2))  # FixedLenSequenceFeature: the general path's configurations
_FIELDS = {dtypes.float32: "float_list", dtypes.int64: "int64_list", dtypes.string: "bytes_list"}


def _values(rng, dtype, n):
    if dtype == dtypes.float32:
        return [float(np.float32(rng.uniform(-1e3, 1e3))) for _ in range(n)]
    if dtype == dtypes.int64:
        return [rng.choice((rng.randint(-9, 9), rng.randint(-2 ** 63, 2 ** 63 - 1))) for _ in range(n)]
    return [bytes(rng.choice(b"abcxyz\x00\xff") for _ in range(rng.randint(0, 3))) for _ in range(n)]


def _default(rng, dtype, shape):
    size = 1 if shape[:1] == (-1,) else int(np.prod(shape))  # a variable-length feature's default: its padding
    if rng.random() < 0.4:  # required
        return np.zeros((0,), object if dtype == dtypes.string else dtype.as_numpy_dtype)
    values = _values(rng, dtype, size)
    return np.array(values, object if dtype == dtypes.string else dtype.as_numpy_dtype).reshape(
        (1,) if shape[:1] == (-1,) else shape)


def _config(rng):
    keys = [f"k{i}" for i in range(rng.randint(1, 8))]
    rng.shuffle(keys)
    n_dense = rng.randint(0, len(keys))
    dense = []
    shapes = _SHAPES + _VARIABLE if rng.random() < 0.2 else _SHAPES
    for key in keys[:n_dense]:
        dtype, shape = rng.choice(_TYPES), rng.choice(shapes)
        dense.append(DenseSpec(key, dtype, shape, _default(rng, dtype, shape)))
    sparse = [SparseSpec(key, rng.choice(_TYPES)) for key in keys[n_dense:]]
    return sparse, dense


def _feature(rng, feature, dtype, size):
    """Mostly right, sometimes absent, empty, of another type or size."""
    roll = rng.random()
    if roll < 0.12:
        return  # absent
    if roll < 0.16:
        feature.Clear()  # present, no list
        return
    if roll < 0.2:
        dtype = rng.choice([t for t in _TYPES if t != dtype])  # the wrong type
    elif roll < 0.25:
        size = rng.choice([0, size + 1, max(size - 1, 0)])  # the wrong size (or an empty list of the right type)
    getattr(feature, _FIELDS[dtype]).SetInParent()
    getattr(feature, _FIELDS[dtype]).value.extend(_values(rng, dtype, size))


def _record(rng, sparse, dense):
    if rng.random() < 0.03:
        return rng.choice([b"\x0a\x05\x0a\x03", b"garbage \xff\xff", b"\x12"])  # bytes that do not parse
    e = example_pb2.Example()
    features = e.features.feature
    for spec in dense:
        size = int(np.prod(spec.shape[1:])) * rng.randint(0, 3) if spec.shape[:1] == (-1,) else int(np.prod(spec.shape))
        _feature(rng, features[spec.key], spec.dtype, size)
    for spec in sparse:
        _feature(rng, features[spec.key], spec.dtype, rng.randint(0, 4))
    for key in list(features):
        if not features[key].ListFields() and rng.random() < 0.75:
            del features[key]  # most "absent" features are absent, some present and empty
    if rng.random() < 0.2:
        features["unused"].int64_list.value.append(7)
    return e.SerializeToString()


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except errors.InvalidArgumentError as exc:
        return "error", str(exc)


def _assert_same_arrays(got, want):
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    assert got.tolist() == want.tolist()


def _assert_same(got, want):
    assert got[0] == want[0], (got, want)
    if got[0] == "error":
        assert got[1] == want[1]
        return
    (got_sparse, got_dense), (want_sparse, want_dense) = got[1], want[1]
    assert len(got_sparse) == len(want_sparse) and len(got_dense) == len(want_dense)
    for g, w in zip(got_sparse, want_sparse):
        for a, b in zip(g, w, strict=True):
            _assert_same_arrays(a, b)
    for a, b in zip(got_dense, want_dense):
        _assert_same_arrays(a, b)


@pytest.mark.parametrize("seed", range(40))
def test_parser_gives_the_record_by_record_results_and_errors(seed):
    rng = random.Random(seed)
    sparse, dense = _config(rng)
    parser = example_parser.ExampleParser(sparse, dense)
    for _ in range(25):
        batch = [_record(rng, sparse, dense) for _ in range(rng.choice((1, 1, 1, 2, 3, 5, 12)))]
        names = [f"n{i}".encode() for i in range(len(batch))] if rng.random() < 0.3 else None
        want = _outcome(example_parsing.parse_examples_exact, batch, names, sparse, dense)
        _assert_same(_outcome(parser, batch, names), want)
        _assert_same(_outcome(example_parsing.parse_examples, batch, names, sparse, dense), want)


@pytest.mark.parametrize("seed", range(40))
def test_one_example_alone_gives_parse_single_examples_results_and_errors(seed):
    rng = random.Random(seed)
    sparse, dense = _config(rng)
    parser = example_parser.ExampleParser(sparse, dense)
    for _ in range(25):
        record = _record(rng, sparse, dense)
        want = _outcome(example_parsing.parse_single_example, record, sparse, dense)
        _assert_same(_outcome(parser.single, record), want)
    # ParseSingleExample over a chunk of records (a dataset's map, fixed-size features only): the rows of the
    # one-record outputs.
    if not parser.fixed:
        return
    records = [_record(rng, [], dense) for _ in range(rng.choice((1, 4)))]
    rows = example_parser.ExampleParser([], dense).fast(records)
    singles = [_outcome(example_parsing.parse_single_example, r, [], dense) for r in records]
    if rows is not None:
        assert all(kind == "ok" for kind, _ in singles)
        for d in range(len(dense)):
            _assert_same_arrays(rows[1][d], np.stack([out[1][d] for _, out in singles]))


def test_regular_batches_take_the_fast_paths():
    sparse = [SparseSpec("tags", dtypes.string), SparseSpec("ids", dtypes.int64)]
    dense = [DenseSpec("x", dtypes.float32, (1,), np.zeros((0,), np.float32)),
             DenseSpec("y", dtypes.float32, (1,), np.array([2.5], np.float32)),
             DenseSpec("pair", dtypes.int64, (2,), np.array([7, 8]))]
    parser = example_parser.ExampleParser(sparse, dense)

    def record(x, y=None, tags=(), ids=()):
        e = example_pb2.Example()
        e.features.feature["x"].float_list.value.append(x)
        if y is not None:
            e.features.feature["y"].float_list.value.append(y)
        e.features.feature["tags"].bytes_list.value.extend(tags)
        e.features.feature["ids"].int64_list.value.extend(ids)
        return e.SerializeToString()

    one = parser._one(record(1.5, tags=[b"a"], ids=range(20)))  # the one-record path: no fallback
    assert one is not None
    assert one[1][0].tolist() == [[1.5]] and one[1][1].tolist() == [[2.5]] and one[1][2].tolist() == [[7, 8]]
    indices, values, shape = one[0][1]
    assert indices.tolist() == [[0, j] for j in range(20)] and values.tolist() == list(range(20))
    assert shape.tolist() == [1, 20] and indices.flags.writeable and indices.dtype == np.int64
    records = [record(float(i), y=-1.0, tags=[b"t"] * (i % 3), ids=[i] * 30) for i in range(4)]
    batch = parser._batch(records)
    assert batch is not None
    assert batch[1][1].tolist() == [[-1.0]] * 4
    indices, values, shape = batch[0][1]  # more values than the few-values path lists: numpy's path
    assert len(values) == 120 and shape.tolist() == [4, 30] and indices[-1].tolist() == [3, 29]
    _assert_same(("ok", batch), ("ok", example_parsing.parse_examples_exact(records, None, sparse, dense)))
    records = [record(float(i), tags=[b"w%d" % i], ids=[i]) for i in range(70)]  # one value per record
    batch = parser._batch(records)
    assert batch[0][0][1].tolist() == [b"w%d" % i for i in range(70)] and batch[0][1][2].tolist() == [70, 1]
    _assert_same(("ok", batch), ("ok", example_parsing.parse_examples_exact(records, None, sparse, dense)))
    # Irregular records leave the fast paths for the exact one, which raises TF's message.
    assert parser._one(record(1.5, tags=[b"a"])[:-1]) is None  # cut short inside a float
    with pytest.raises(errors.InvalidArgumentError, match="Could not parse example input"):
        parser([b"\xff\xff"], None)
    missing = example_pb2.Example()
    missing.features.feature["y"].float_list.value.append(1.0)
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"^Name: <unknown>, Feature: x \(data type: float\) is required but could not be found"):
        parser([missing.SerializeToString()], None)
    assert parser([], None)[1][0].shape == (0, 1)


def test_variable_length_dense_features_keep_the_general_path():
    dense = [DenseSpec("seq", dtypes.int64, (-1, 2), np.array([0]))]
    parser = example_parser.ExampleParser([], dense)
    e = example_pb2.Example()
    e.features.feature["seq"].int64_list.value.extend([1, 2, 3, 4])
    got = parser([e.SerializeToString(), b""], None)
    assert got[1][0].tolist() == [[[1, 2], [3, 4]], [[0, 0], [0, 0]]]


@pytest.mark.parametrize("fusion", [True, False])
@pytest.mark.parametrize("op", ["ParseExample", "ParseExampleV2"])
def test_plans_parse_alike_with_and_without_the_compiled_parser(g, op, fusion, monkeypatch):
    """A plan runs ParseExample(V2) with constant keys and defaults as one step whose parser was built when
    it compiled; the op's own kernel (fusion off, or keys fed) gives the same values and errors."""
    from estflow.core import plan  # noqa: PLC0415 - the switch tests use to turn plan fusions off

    monkeypatch.setattr(plan, "FUSION", fusion)
    spec = {"age": tf.FixedLenFeature([], tf.float32, default_value=-1.0),
            "pair": tf.FixedLenFeature([2], tf.int64),
            "tag": tf.VarLenFeature(tf.string)}
    s = tf.placeholder(tf.string, [None])
    if op == "ParseExample":
        out = tf.parse_example(s, spec)
    else:
        from estflow.core.registry import apply_op  # noqa: PLC0415 - the raw op, as TF2's graphs hold it
        parsed = apply_op("ParseExampleV2", s, tf.constant([], tf.string), tf.constant(["tag"]),
                          tf.constant(["age", "pair"]), tf.constant([], tf.string), tf.constant(-1.0),
                          tf.constant([], tf.int64), num_sparse=1, sparse_types=[tf.string],
                          Tdense=[tf.float32, tf.int64], dense_shapes=[[], [2]], ragged_value_types=[],
                          ragged_split_types=[])
        out = {"tag": tf.SparseTensor(parsed[0], parsed[1], parsed[2]), "age": parsed[3], "pair": parsed[4]}
    assert len(out) == 3
    with tf.Session() as sess:  # fused: one step reading `serialized` and `names` only
        compiled = sess._compile([out["age"]], (s,), None)
        step = next(st for st in compiled.steps if st[5] is not None and st[5].type == op)
        assert (step[4] == 2) == fusion

    def record(age=None, pair=(1, 2), tags=()):
        e = example_pb2.Example()
        if age is not None:
            e.features.feature["age"].float_list.value.append(age)
        if pair is not None:
            e.features.feature["pair"].int64_list.value.extend(pair)
        e.features.feature["tag"].bytes_list.value.extend(tags)
        return e.SerializeToString()

    with tf.Session() as sess:
        got = sess.run(out, {s: [record(4.0, tags=[b"a", b"b"])]})
        assert got["age"].tolist() == [4.0] and got["pair"].tolist() == [[1, 2]]
        assert got["tag"].indices.tolist() == [[0, 0], [0, 1]] and got["tag"].dense_shape.tolist() == [1, 2]
        got = sess.run(out, {s: [record(), record(2.5, (3, 4), [b"c"])]})
        assert got["age"].tolist() == [-1.0, 2.5] and got["pair"].tolist() == [[1, 2], [3, 4]]
        assert got["tag"].indices.tolist() == [[1, 0]] and got["tag"].values.tolist() == [b"c"]
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"Feature: pair \(data type: int64\) is required but could not be found"):
            sess.run(out, {s: [record(pair=None)]})
        got = sess.run(out, {s: []})
        assert got["age"].shape == (0,) and got["pair"].shape == (0, 2) and got["tag"].dense_shape.tolist() == [0, 0]


def test_the_compiled_parser_is_declined_for_fed_or_invalid_configurations(g):
    from estflow.core.ops import parsing_ops  # noqa: PLC0415 - the fusion rule under test is internal
    from estflow.core.registry import apply_op  # noqa: PLC0415 - raw ops with computed keys and bad defaults

    s = tf.placeholder(tf.string, [None])
    out = tf.parse_example(s, {"age": tf.FixedLenFeature([], tf.float32, default_value=-1.0)})
    parse = out["age"].op
    assert parse.type == "ParseExample"
    fusion = parsing_ops._fuse_constant_parse_example(parse)
    assert fusion is not None and fusion.inputs == tuple(parse.inputs[:2])
    default = parse.inputs[3]
    assert default.op.type == "Reshape" and set(parse.inputs[2:]) | {default.op.inputs[0]} <= set(fusion.skipped)
    with tf.Session() as sess:  # feeding a default, or the constant it is made of, leaves the op's own kernel
        assert sess.run(out["age"], {s: [b""], default: 5.0}).tolist() == [5.0]
        assert sess.run(out["age"], {s: [b""], default.op.inputs[0]: 6.0}).tolist() == [6.0]
        assert sess.run(out["age"], {s: [b""]}).tolist() == [-1.0]
    key = tf.placeholder(tf.string, [])  # a key fed at run time: the op's own kernel reads it
    [fed] = apply_op("ParseExample", s, tf.constant([], tf.string), key, tf.constant(-1.0), Nsparse=0, Ndense=1,
                     sparse_types=[], Tdense=[tf.float32], dense_shapes=[[]])
    assert parsing_ops._fuse_constant_parse_example(fed.op) is None
    e = example_pb2.Example()
    e.features.feature["age"].float_list.value.append(3.0)
    with tf.Session() as sess:
        assert sess.run(fed, {s: [e.SerializeToString(), b""], key: "age"}).tolist() == [3.0, -1.0]
        assert sess.run(out["age"], {s: [e.SerializeToString(), b""]}).tolist() == [3.0, -1.0]
    variable = tf.Variable(-2.0)  # a default read from a variable: not a constant
    [from_variable] = apply_op("ParseExample", s, tf.constant([], tf.string), tf.constant("age"),
                               tf.identity(variable), Nsparse=0, Ndense=1, sparse_types=[], Tdense=[tf.float32],
                               dense_shapes=[[]])
    assert parsing_ops._fuse_constant_parse_example(from_variable.op) is None
    with tf.Session() as sess:
        sess.run(variable.initializer)
        assert sess.run(from_variable, {s: [b""]}).tolist() == [-2.0]
    # A default of the wrong shape is the kernel's error at run time, as without the fusion.
    [bad] = apply_op("ParseExample", s, tf.constant([], tf.string), tf.constant("age"), tf.constant([1.0, 2.0]),
                     Nsparse=0, Ndense=1, sparse_types=[], Tdense=[tf.float32], dense_shapes=[[1]])
    assert parsing_ops._fuse_constant_parse_example(bad.op) is None
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match=r"def_value\[0\].shape\(\)"):
        sess.run(bad, {s: [b""]})
    # A matrix of records is TF's error from the fused step too.
    records = tf.placeholder(tf.string)
    matrix = tf.parse_example(records, {"age": tf.FixedLenFeature([], tf.float32, default_value=-1.0)})["age"]
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                             match=r"Expected serialized to be a vector, got shape: \[1,1\]"):
        sess.run(matrix, {records: [[b""]]})
