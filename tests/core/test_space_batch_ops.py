"""tf.space_to_depth / depth_to_space / space_to_batch(_nd) / batch_to_space(_nd) against TF's documented
examples (the ops' kernels are checked case by case in test_conv_ops.py's table)."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


SQUARES = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)


@pytest.mark.usefixtures("g")
def test_space_to_batch_follows_tfs_documented_example():
    out = _run(tf.space_to_batch_nd(SQUARES, [2, 2], [[0, 0], [0, 0]]))
    assert out.shape == (4, 2, 2, 1)
    assert out[..., 0].tolist() == [[[1, 3], [9, 11]], [[2, 4], [10, 12]], [[5, 7], [13, 15]], [[6, 8], [14, 16]]]
    np.testing.assert_array_equal(_run(tf.batch_to_space_nd(out, [2, 2], [[0, 0], [0, 0]])), SQUARES)
    padded = _run(tf.space_to_batch(SQUARES, [[1, 1], [0, 2]], block_size=2))
    assert padded.shape == (4, 3, 3, 1)
    np.testing.assert_array_equal(_run(tf.batch_to_space(padded, [[1, 1], [0, 2]], 2)), SQUARES)


@pytest.mark.usefixtures("g")
def test_space_to_depth_and_back():
    x = np.arange(2 * 4 * 6 * 3, dtype=np.float32).reshape(2, 4, 6, 3)
    expected = x.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 2, 4, 5).reshape(2, 2, 3, 12)
    np.testing.assert_array_equal(_run(tf.space_to_depth(x, 2)), expected)
    np.testing.assert_array_equal(_run(tf.depth_to_space(expected, 2)), x)
    np.testing.assert_array_equal(_run(tf.space_to_depth(x.transpose(0, 3, 1, 2), 2, data_format="NCHW")),
                                  expected.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match="block_size has value 1 that is less than the minimum 2"):
        tf.space_to_depth(x, 1)


@pytest.mark.parametrize("build", [
    lambda x: tf.space_to_depth(x, 2),
    lambda x: tf.depth_to_space(tf.space_to_depth(x, 2), 2) * x,
    lambda x: tf.space_to_batch_nd(x, [2, 2], [[1, 1], [0, 0]]),
])
def test_space_depth_batch_gradients(build):
    check_gradient(build, [np.random.default_rng(4).standard_normal((1, 4, 2, 2))])
