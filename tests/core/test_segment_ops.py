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
