"""The plan's one-step `safe_embedding_lookup_sparse` (estflow/core/ops/embedding_fusion.py).

Every case runs twice, with the plan's fusions on and off (`plan.FUSION`), and must give the same
bytes (or the same error); the step lists show what the fused plan runs.
"""

import numpy as np
import pytest

import estflow as tf
from estflow.core import plan


def _run(monkeypatch, fusion, build, feeds):
    """(result or (error type, first line), the plan's step op types) of `build()`'s tensor."""
    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        out, placeholders = build()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(tf.tables_initializer())
            try:
                result = sess.run(out, dict(zip(placeholders, feeds)))
            except tf.errors.OpError as e:
                return (type(e), str(e).split("\n")[0]), []
            steps = [st[5].type for st in list(sess._cache.values())[-1].steps if st[5] is not None]
            return result, steps


def _lookup_graph(table, combiner, rank=2):
    def build():
        sp = tf.sparse_placeholder(tf.int64, shape=[None] * rank)
        params = tf.Variable(table, name="table")
        return tf.nn.safe_embedding_lookup_sparse(params, sp, combiner=combiner), [sp]

    return build


def _same(monkeypatch, build, feeds):
    fused, fused_steps = _run(monkeypatch, True, build, feeds)
    plain, plain_steps = _run(monkeypatch, False, build, feeds)
    if isinstance(plain, tuple):
        assert fused == plain
    else:
        assert fused.dtype == plain.dtype and fused.shape == plain.shape and fused.tobytes() == plain.tobytes()
    return fused, fused_steps, plain_steps


def _ids(rng, batch, nnz, vocab, negative=True):
    rows = rng.integers(0, batch, nnz)
    cols = np.zeros(nnz, np.int64)
    for r in set(rows.tolist()):  # distinct columns within a row, in any order
        at = np.flatnonzero(rows == r)
        cols[at] = rng.permutation(len(at))
    ids = rng.integers(-2 if negative else 0, vocab, nnz)
    return tf.SparseTensorValue(np.stack([rows, cols], 1).astype(np.int64), ids.astype(np.int64),
                                np.array([batch, max(int(cols.max(initial=0)) + 1, 1)], np.int64))


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lookup_is_one_step_with_the_same_bits(monkeypatch, combiner, dtype):
    rng = np.random.default_rng(7)
    table = rng.standard_normal((6, 3)).astype(dtype)
    table[2, 1] = -0.0  # the reduction's 0 + x turns it into 0.0: the fused step must too
    build = _lookup_graph(table, combiner)
    for batch, nnz in [(1, 1), (1, 0), (3, 3), (4, 2), (5, 9), (12, 30), (2, 8)]:
        fused, fused_steps, plain_steps = _same(monkeypatch, build, [_ids(rng, batch, nnz, 6)])
        assert fused.shape == (batch, 3)
        assert "SparseFillEmptyRows" in plain_steps and "Unique" in plain_steps
        assert not {"SparseFillEmptyRows", "Unique", "SparseReshape", "Select", "Where"} & set(fused_steps)
    one = tf.SparseTensorValue(np.array([[0, 0]], np.int64), np.array([2], np.int64), np.array([1, 1], np.int64))
    fused, _, _ = _same(monkeypatch, build, [one])
    assert np.signbit(fused[0, 1]) == np.False_ and fused[0, 0] == table[2, 0]


def test_rows_out_of_order_and_repeated_ids_add_in_their_order(monkeypatch):
    table = np.array([[1e8], [1.0], [-1e8], [3.0]], np.float32)  # float32 sums depend on the order
    ids = tf.SparseTensorValue(np.array([[2, 0], [0, 1], [2, 1], [0, 0], [2, 2]], np.int64),
                               np.array([0, 3, 1, 2, 0], np.int64), np.array([4, 3], np.int64))
    for combiner in ("sum", "mean", "sqrtn"):
        fused, _, _ = _same(monkeypatch, _lookup_graph(table, combiner), [ids])
        assert fused[1, 0] == 0.0 and fused[3, 0] == 0.0


def test_bad_ids_give_the_chains_own_errors(monkeypatch):
    table = np.ones((4, 2), np.float32)
    build = _lookup_graph(table, "mean")
    cases = [
        tf.SparseTensorValue(np.array([[0, 0]], np.int64), np.array([4], np.int64), np.array([1, 1], np.int64)),
        tf.SparseTensorValue(np.array([[3, 0]], np.int64), np.array([1], np.int64), np.array([2, 1], np.int64)),
        tf.SparseTensorValue(np.array([[0, 0]], np.int64), np.array([1], np.int64), np.array([0, 1], np.int64)),
        tf.SparseTensorValue(np.array([[-1, 0]], np.int64), np.array([1], np.int64), np.array([2, 1], np.int64)),
    ]
    for ids in cases:
        (kind, message), _ = _run(monkeypatch, True, build, [ids])
        assert kind is tf.errors.InvalidArgumentError and message
        _same(monkeypatch, build, [ids])


def test_rank_three_ids_and_float16_tables_run_the_chain(monkeypatch):
    rng = np.random.default_rng(3)
    ids = tf.SparseTensorValue(np.array([[0, 1, 0], [1, 0, 2], [1, 0, 0]], np.int64), np.array([1, 0, 3], np.int64),
                               np.array([2, 2, 3], np.int64))
    fused, _, _ = _same(monkeypatch, _lookup_graph(rng.standard_normal((4, 2)).astype(np.float32), "sum", 3), [ids])
    assert fused.shape == (2, 2, 2)
    half = _lookup_graph(rng.standard_normal((6, 2)).astype(np.float16), "mean")
    _same(monkeypatch, half, [_ids(rng, 3, 4, 6)])


def test_feature_column_lookups_are_one_step_each(monkeypatch):
    """A linear model's vocabulary and hash-bucket columns and a DNN's embedding column on parsed Examples."""
    def build():
        tf.set_random_seed(1)  # the embedding's initial values, alike in both runs
        serialized = tf.placeholder(tf.string, [None])
        color = tf.feature_column.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
        city = tf.feature_column.categorical_column_with_hash_bucket("city", 5)
        spec = tf.feature_column.make_parse_example_spec([color, city])
        features = tf.parse_example(serialized, spec)
        linear = tf.feature_column.linear_model(features, [color, city])
        deep = tf.feature_column.input_layer(features, [tf.feature_column.embedding_column(city, 4)])
        return tf.concat([linear, deep], 1), [serialized]

    def example(color, city):
        e = tf.train.Example()
        if color is not None:
            e.features.feature["color"].bytes_list.value.extend(color)
        if city is not None:
            e.features.feature["city"].bytes_list.value.extend(city)
        return e.SerializeToString()

    batches = [[example([b"red"], [b"a"])], [example([b"pink"], None)],
               [example([b"blue", b"red"], [b"x", b"y", b"x"]), example(None, [b"b"]), example([b"green"], [b"q"])]]
    for batch in batches:
        fused, fused_steps, plain_steps = _same(monkeypatch, build, [np.array(batch, dtype=object)])
        assert plain_steps.count("SparseFillEmptyRows") == 3 and "SparseFillEmptyRows" not in fused_steps
        assert "SparseReshape" not in fused_steps and len(fused_steps) < len(plain_steps) - 30


def test_a_training_graph_keeps_the_ops_its_gradient_reads(monkeypatch):
    def build():
        sp = tf.sparse_placeholder(tf.int64, shape=[None, None])
        params = tf.Variable(np.ones((5, 2), np.float32))
        out = tf.nn.safe_embedding_lookup_sparse(params, sp, combiner="mean")
        train = tf.train.GradientDescentOptimizer(0.1).minimize(tf.reduce_sum(out * out))
        with tf.control_dependencies([train]):
            return tf.identity(params.read_value()), [sp]

    ids = tf.SparseTensorValue(np.array([[0, 0], [2, 0], [2, 1]], np.int64), np.array([1, 4, 1], np.int64),
                               np.array([3, 2], np.int64))
    fused, fused_steps, _ = _same(monkeypatch, build, [ids])
    assert "SparseFillEmptyRows" in fused_steps and "Unique" in fused_steps


def test_a_lookup_placed_on_a_gpu_computes_on_the_host(monkeypatch):
    from tests.core import cupy_standin  # the numpy-backed cupy stand-in only this test installs

    table = np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0
    ids = tf.SparseTensorValue(np.array([[0, 0], [2, 0], [2, 1]], np.int64), np.array([1, 3, -1], np.int64),
                               np.array([3, 2], np.int64))

    def build():
        sp = tf.sparse_placeholder(tf.int64, shape=[None, None])
        with tf.device("/gpu:0"):
            params = tf.Variable(table)
            return tf.nn.safe_embedding_lookup_sparse(params, sp, combiner="sum"), [sp]

    cupy_standin.install(monkeypatch)
    plain, _ = _run(monkeypatch, False, build, [ids])
    fused, steps = _run(monkeypatch, True, build, [ids])
    assert "SparseFillEmptyRows" not in steps and fused.tobytes() == plain.tobytes()
    assert fused.tolist() == [table[1].tolist(), [0.0] * 3, table[3].tolist()]


def _indicator_graph():
    def build():
        sp = tf.sparse_placeholder(tf.int64, shape=[None, None])
        col = tf.feature_column.indicator_column(tf.feature_column.categorical_column_with_identity("c", 5))
        return tf.feature_column.input_layer({"c": sp}, [col]), [sp]

    return build


def test_an_indicator_column_is_one_step_with_the_same_counts(monkeypatch):
    def ids(indices, values, shape):
        return tf.SparseTensorValue(np.array(indices, np.int64).reshape(-1, 2), np.array(values, np.int64),
                                    np.array(shape, np.int64))

    cases = [ids([[0, 0]], [2], [1, 1]), ids([], [], [2, 1]), ids([[0, 0], [0, 1], [2, 0]], [3, 3, 4], [3, 2]),
             ids([[0, 0], [1, 0], [1, 1], [1, 2]], [0, 4, 1, 0], [2, 3])]
    for case in cases:
        fused, fused_steps, plain_steps = _same(monkeypatch, _indicator_graph(), [case])
        assert "OneHot" in plain_steps and "SparseToDense" in plain_steps
        assert "OneHot" not in fused_steps and "SparseToDense" not in fused_steps
    fused, _, _ = _same(monkeypatch, _indicator_graph(), [cases[2]])
    assert fused.tolist() == [[0, 0, 0, 2, 0], [0] * 5, [0, 0, 0, 0, 1]]
    # Indices out of order, repeated or out of bounds: SparseToDense's own errors.
    for bad in (ids([[1, 0], [0, 0]], [1, 2], [2, 1]), ids([[0, 0], [0, 0]], [1, 2], [1, 2]),
                ids([[0, 3]], [1], [1, 2])):
        (kind, message), _ = _run(monkeypatch, True, _indicator_graph(), [bad])
        assert kind is tf.errors.InvalidArgumentError
        _same(monkeypatch, _indicator_graph(), [bad])
