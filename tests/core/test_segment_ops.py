"""Segment ops (core/ops/segment_ops.py): TF's attrs."""

import numpy as np

import estflow as tf
from estflow.core.ops.constant_op import constant
from estflow.core.registry import apply_op


def test_sparse_segment_ops_take_sparse_gradient():
    g = tf.Graph()
    with g.as_default():
        data = constant(np.arange(6, dtype=np.float32).reshape(3, 2))
        out = apply_op("SparseSegmentSum", data, constant([0, 2]), constant([0, 0]),
                   sparse_gradient=True)
        (grad,) = tf.gradients(tf.reduce_sum(out), [data])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out), [[4.0, 6.0]])
            np.testing.assert_array_equal(sess.run(tf.convert_to_tensor(grad)), [[1, 1], [0, 0], [1, 1]])


def test_sparse_gradient_is_indexed_slices_with_the_dense_values():
    from estflow.core.indexed_slices import IndexedSlices

    rng = np.random.default_rng(0)
    table = rng.normal(size=(6, 3)).astype(np.float32)
    ids, segments = [4, 1, 4, 0, 2], [0, 0, 1, 1, 3]
    for op_type in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"):
        g = tf.Graph()
        with g.as_default():
            data = constant(table)
            weights = constant(rng.normal(size=(4, 3)).astype(np.float32))
            outs = [apply_op(op_type, data, constant(ids), constant(segments), sparse_gradient=sparse)
                    for sparse in (False, True)]
            dense, sparse = (tf.gradients(tf.reduce_sum(o * weights), [data])[0] for o in outs)
            assert isinstance(sparse, IndexedSlices) and not isinstance(dense, IndexedSlices)
            with tf.Session() as sess:
                want, got, rows = sess.run([dense, tf.convert_to_tensor(sparse), sparse.indices])
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=op_type)
            assert sorted(rows.tolist()) == [0, 1, 2, 4]  # each looked-up row once


def test_unsorted_segment_sum_in_range_path_equals_per_element_sums():
    from estflow.core.ops.segment_ops import _unsorted_segment_sum_kernel  # the kernel itself, fed numpy

    rng = np.random.default_rng(3)
    data = rng.normal(size=(40, 3)).astype(np.float32)
    for ids in (rng.integers(0, 7, 40), np.full(40, 2), rng.integers(-2, 7, 40)):
        expect = np.zeros((7, 3), np.float32)
        for i, s in enumerate(ids):  # one add per row, in order: numpy's add.at, TF's CPU loop
            if s >= 0:
                expect[s] += data[i]
        got = _unsorted_segment_sum_kernel(np, data, ids.astype(np.int64), np.int32(7))
        assert got.tobytes() == expect.tobytes()
