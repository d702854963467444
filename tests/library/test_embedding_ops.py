"""Embedding lookups (estflow/library/embedding_ops.py): sharded tables against a numpy gather of
the concatenated table, sparse gradients touching only looked-up rows, sparse combiners,
and safe_embedding_lookup_sparse's pruning and empty rows."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import nn
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.sparse_tensor import SparseTensor, sparse_placeholder
from estflow.core.variables import Variable, global_variables_initializer
from tests.core.gradient_check import check_gradient

TABLE = np.arange(11 * 3, dtype=np.float64).reshape(11, 3) / 10.0


def _shards(table, n, strategy):
    """Split `table` into `n` shards the way TF assigns ids; returns (shards, shard and row of each id)."""
    ids = np.arange(len(table))
    if strategy == "mod":
        return [table[ids % n == p] for p in range(n)]
    per, extras = divmod(len(table), n)
    sizes = [per + 1 if p < extras else per for p in range(n)]
    return np.split(table, np.cumsum(sizes)[:-1])


def _run(fetches, feed=None, init=False):
    with tf.Session() as sess:
        if init:
            sess.run(global_variables_initializer())
        return sess.run(fetches, feed)


@pytest.mark.parametrize("strategy", ["mod", "div"])
@pytest.mark.parametrize("num_shards", [1, 2, 3, 4])
def test_sharded_lookup_matches_gather_of_the_whole_table(strategy, num_shards):
    ids = np.array([[0, 10, 4], [7, 7, 2]])
    with tf.Graph().as_default():
        shards = [constant(s) for s in _shards(TABLE, num_shards, strategy)]
        params = shards if num_shards > 1 else shards[0]
        out = nn.embedding_lookup(params, constant(ids), partition_strategy=strategy)
        assert out.shape.as_list() == [2, 3, 3]
        np.testing.assert_array_equal(_run(out), TABLE[ids])


def test_lookup_with_unknown_shapes_and_int64_ids():
    with tf.Graph().as_default():
        shard_a, shard_b = placeholder(tf.float64, [None, 3]), placeholder(tf.float64, None)
        ids = placeholder(tf.int64, None)
        out = nn.embedding_lookup([shard_a, shard_b], ids, partition_strategy="div")
        a, b = _shards(TABLE, 2, "div")
        np.testing.assert_array_equal(_run(out, {shard_a: a, shard_b: b, ids: [10, 0, 5, 6]}), TABLE[[10, 0, 5, 6]])


def test_single_table_names_and_errors():
    with tf.Graph().as_default():
        out = nn.embedding_lookup(constant(TABLE), [1, 2])
        assert out.op.name == "embedding_lookup/Identity" and out.op.inputs[0].op.name == "embedding_lookup"
        with pytest.raises(ValueError, match="Need at least one param"):
            nn.embedding_lookup([], [0])
        with pytest.raises(ValueError, match="Unrecognized partition strategy: bogus"):
            nn.embedding_lookup([constant(TABLE), constant(TABLE)], [0], partition_strategy="bogus")
        bad = nn.embedding_lookup(constant(TABLE), [11])
        with pytest.raises(errors.InvalidArgumentError):
            _run(bad)


def test_max_norm_clips_rows():
    table = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    with tf.Graph().as_default():
        out = nn.embedding_lookup(constant(table), [0, 1, 2], max_norm=1.0)
        np.testing.assert_allclose(_run(out), [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]], rtol=1e-12)


def test_gradient_to_a_variable_table_is_indexed_slices_of_looked_up_rows():
    with tf.Graph().as_default():
        table = Variable(TABLE, name="table")
        ids = constant([[4, 1], [4, 9]])
        loss = reduce_sum(nn.embedding_lookup(table, ids) * constant([1.0, 2.0, 3.0], dtype=tf.float64))
        (grad,) = gradients(loss, [table])
        assert isinstance(grad, IndexedSlices)
        value = _run(grad, init=True)
    assert sorted(np.asarray(value.indices).tolist()) == [1, 4, 4, 9]  # only the looked-up rows
    assert tuple(value.dense_shape) == (11, 3)
    dense = np.zeros_like(TABLE)
    np.add.at(dense, np.asarray(value.indices), np.asarray(value.values))
    expected = np.zeros_like(TABLE)
    expected[[1, 9]] = [1.0, 2.0, 3.0]
    expected[4] = [2.0, 4.0, 6.0]
    np.testing.assert_allclose(dense, expected)


def test_gradient_to_each_shard_is_indexed_slices():
    with tf.Graph().as_default():
        shards = [Variable(s, name=f"shard_{p}") for p, s in enumerate(_shards(TABLE, 3, "mod"))]
        loss = reduce_sum(nn.embedding_lookup(shards, constant([0, 4, 5, 5])))
        grads = gradients(loss, shards)
        assert all(isinstance(g, IndexedSlices) for g in grads)
        values = _run(grads, init=True)
    # ids 0 -> shard 0 row 0; 4 -> shard 1 row 1; 5 -> shard 2 row 1 (twice)
    assert [sorted(np.asarray(v.indices).tolist()) for v in values] == [[0], [1], [1, 1]]


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_sharded_lookup_gradient_matches_numeric(strategy):
    check_gradient(lambda a, b: nn.embedding_lookup([a, b], [3, 0, 3, 2], partition_strategy=strategy) ** 2,
                   _shards(TABLE[:5], 2, strategy), label=f"embedding_lookup {strategy}")


# ---- embedding_lookup_sparse ------------------------------------------------------------------------
SP_INDICES = [[0, 0], [0, 1], [0, 2], [2, 0], [3, 0], [3, 1]]
SP_IDS = [1, 3, 1, 0, 10, 2]
SP_WEIGHTS = [2.0, 1.0, 0.5, 3.0, 1.0, 4.0]


def _sparse_reference(combiner, weights):
    rows = np.array(SP_INDICES)[:, 0]
    out = np.zeros((4, 3))
    for r in range(4):
        picked = rows == r
        if not picked.any():
            # TF1: an empty row before the last gives 0 / 0 with weights for mean and sqrtn.
            out[r] = np.nan if weights is not None and combiner != "sum" else 0.0
            continue
        w = np.array(weights)[picked] if weights is not None else np.ones(picked.sum())
        total = (w[:, None] * TABLE[np.array(SP_IDS)[picked]]).sum(0)
        if combiner == "mean":
            total /= w.sum()
        elif combiner == "sqrtn":
            total /= np.sqrt((w ** 2).sum())
        out[r] = total
    return out


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
@pytest.mark.parametrize("weighted", [False, True])
def test_embedding_lookup_sparse_combiners(combiner, weighted):
    with tf.Graph().as_default():
        sp_ids = SparseTensor(SP_INDICES, np.array(SP_IDS, np.int64), [4, 3])
        sp_weights = SparseTensor(SP_INDICES, np.array(SP_WEIGHTS), [4, 3]) if weighted else None
        out = nn.embedding_lookup_sparse([constant(s) for s in _shards(TABLE, 2, "mod")], sp_ids, sp_weights,
                                         combiner=combiner)
        np.testing.assert_allclose(_run(out), _sparse_reference(combiner, SP_WEIGHTS if weighted else None),
                                   rtol=1e-12)


def test_embedding_lookup_sparse_errors_and_gradient():
    with tf.Graph().as_default():
        sp_ids = SparseTensor(SP_INDICES, np.array(SP_IDS, np.int64), [4, 3])
        with pytest.raises(ValueError, match="combiner must be one of 'mean', 'sqrtn' or 'sum'"):
            nn.embedding_lookup_sparse(constant(TABLE), sp_ids, None, combiner="max")
        with pytest.raises(TypeError, match="sp_ids must be SparseTensor"):
            nn.embedding_lookup_sparse(constant(TABLE), constant([1]), None)
        table = Variable(TABLE, name="table")
        loss = reduce_sum(nn.embedding_lookup_sparse(table, sp_ids, None, combiner="sqrtn"))
        (grad,) = gradients(loss, [table])
        assert isinstance(grad, IndexedSlices)
        value = _run(grad, init=True)
        assert sorted(set(np.asarray(value.indices).tolist())) == [0, 1, 2, 3, 10]
    check_gradient(lambda t: nn.embedding_lookup_sparse(
        t, SparseTensor([[0, 0], [1, 0], [1, 1]], np.array([0, 10, 2], np.int64), [2, 3]),
        SparseTensor([[0, 0], [1, 0], [1, 1]], np.array([3.0, 1.0, 4.0]), [2, 3]), combiner="mean"), [TABLE],
        label="embedding_lookup_sparse")


# ---- safe_embedding_lookup_sparse -------------------------------------------------------------------
def test_safe_lookup_prunes_invalid_ids_and_weights_and_zero_fills_empty_rows():
    indices = [[0, 0], [0, 1], [1, 0], [3, 0], [3, 1]]
    ids = np.array([2, -1, 5, 4, 6], np.int64)   # row 0 has an invalid id; row 1's weight is 0; row 2 is empty
    weights = np.array([1.5, 1.0, 0.0, 1.0, 3.0])
    with tf.Graph().as_default():
        sp_ids, sp_weights = SparseTensor(indices, ids, [4, 2]), SparseTensor(indices, weights, [4, 2])
        shards = [constant(s) for s in _shards(TABLE, 3, "div")]
        out = nn.safe_embedding_lookup_sparse(shards, sp_ids, sp_weights)
        assert out.shape.as_list() == [4, 3]
        default = nn.safe_embedding_lookup_sparse(shards, sp_ids, sp_weights, default_id=7)
        unweighted = nn.safe_embedding_lookup_sparse(shards, sp_ids, None, combiner="sum")
        got, got_default, got_unweighted = _run([out, default, unweighted])
    expected = np.zeros((4, 3))
    expected[0] = TABLE[2]
    expected[3] = (TABLE[4] + 3 * TABLE[6]) / 4
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    expected[1] = expected[2] = TABLE[7]
    np.testing.assert_allclose(got_default, expected, rtol=1e-12)
    np.testing.assert_allclose(got_unweighted, [TABLE[2], TABLE[5], np.zeros(3), TABLE[4] + TABLE[6]], rtol=1e-12)


def test_safe_lookup_with_rank_3_ids_and_fed_sparse_input():
    with tf.Graph().as_default():
        sp = sparse_placeholder(tf.int64, shape=[2, 2, 3])
        table = Variable(TABLE, name="table")
        out = nn.safe_embedding_lookup_sparse(table, sp, combiner="mean")
        assert out.shape.as_list() == [2, 2, 3]
        value = (np.array([[0, 0, 0], [0, 0, 1], [1, 1, 2]]), np.array([1, 3, 9]), np.array([2, 2, 3]))
        got = _run(out, {sp: value}, init=True)
    expected = np.zeros((2, 2, 3))
    expected[0, 0] = (TABLE[1] + TABLE[3]) / 2
    expected[1, 1] = TABLE[9]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
