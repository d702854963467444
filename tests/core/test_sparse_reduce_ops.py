"""SparseReduceMax(Sparse), SparseReduceSumSparse and tf.sparse.bincount, with TF 2.15.1's values."""

import numpy as np
import pytest

import estflow as tf


def _sp():
    return tf.SparseTensor([[0, 0], [0, 2], [1, 1], [2, 0]], [1.0, -2.0, 3.0, -7.0], [4, 3])


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def _triple(value):
    return value.indices.tolist(), value.values.tolist(), value.dense_shape.tolist()


def test_sparse_reduce_max_counts_present_entries_only(g):
    sp = _sp()
    outs = [tf.sparse_reduce_max(sp), tf.sparse_reduce_max(sp, 0), tf.sparse_reduce_max(sp, 1),
            tf.sparse.reduce_max(sp, 1, keepdims=True), tf.sparse_reduce_max(sp, reduction_axes=[]),
            tf.sparse_reduce_max(tf.SparseTensor([[0, 0], [1, 1]], [-1, -2], [3, 2]), 1)]
    assert [o.shape.as_list() for o in outs] == [[], [3], [4], [4, 1], [4, 3], [3]]
    assert outs[0].op.type == "SparseReduceMax"
    a, b, c, d, e, f = _run(outs)
    assert a == 3.0 and b.tolist() == [1, 3, -2] and c.tolist() == [1, 3, -7, 0] and d.tolist() == [[1], [3], [-7], [0]]
    assert e.tolist() == [[1, 0, -2], [0, 3, 0], [-7, 0, 0], [0, 0, 0]]
    assert f.tolist() == [-1, -2, 0] and f.dtype == np.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid reduction dimension 2"):
        _run(tf.sparse_reduce_max(sp, 2))


def test_sparse_output_reductions(g):
    sp = _sp()
    outs = [tf.sparse_reduce_max_sparse(sp, 1), tf.sparse_reduce_sum_sparse(sp, 0),
            tf.sparse.reduce_sum_sparse(sp, -1, keepdims=True), tf.sparse.reduce_max_sparse(sp)]
    assert outs[0].values.op.type == "SparseReduceMaxSparse" and outs[1].values.op.type == "SparseReduceSumSparse"
    a, b, c, d = _run(outs)
    assert _triple(a) == ([[0], [1], [2]], [1.0, 3.0, -7.0], [4])
    assert _triple(b) == ([[0], [1], [2]], [-6.0, 3.0, -2.0], [3])
    assert _triple(c) == ([[0, 0], [1, 0], [2, 0]], [-1.0, 3.0, -7.0], [4, 1])
    assert _triple(d) == ([[]], [3.0], [])


def test_sparse_bincount_matches_tf(g):
    rows = [[3, 1, 1], [5, 0, 0]]
    outs = [tf.sparse.bincount(rows, minlength=7), tf.sparse.bincount(rows, axis=-1, maxlength=4),
            tf.sparse.bincount(rows, weights=[[0.5, 1.0, 2.0], [1.0, 1.0, 3.0]], axis=-1),
            tf.sparse.bincount(rows, axis=-1, binary_output=True),
            tf.sparse.bincount(tf.SparseTensor([[0, 1], [0, 2], [1, 0]], [2, 2, 4], [2, 3]), axis=-1),
            tf.sparse.bincount([3, 1, 1, 5], maxlength=9, minlength=2), tf.sparse.bincount(tf.zeros([0], tf.int64)),
            tf.sparse.bincount([3, 1], maxlength=0)]
    assert outs[0].indices.op.name == "count/DenseCountSparseOutput"
    assert outs[4].indices.op.type == "SparseCountSparseOutput"
    got = [_triple(v) for v in _run(outs)]
    assert got == [([[0], [1], [3], [5]], [2, 2, 1, 1], [7]),
                   ([[0, 1], [0, 3], [1, 0]], [2, 1, 2], [2, 4]),
                   ([[0, 1], [0, 3], [1, 0], [1, 5]], [3.0, 0.5, 4.0, 1.0], [2, 6]),
                   ([[0, 1], [0, 3], [1, 0], [1, 5]], [1, 1, 1, 1], [2, 6]),
                   ([[0, 2], [1, 4]], [2, 1], [2, 5]),
                   ([[1], [3], [5]], [2, 1, 1], [9]),
                   ([], [], [1]),
                   ([], [], [0])]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input values must all be non-negative"):
        _run(tf.sparse.bincount([3, -1]))
    with pytest.raises(ValueError, match="Only 0 and -1"):
        tf.sparse.bincount(rows, axis=1)
