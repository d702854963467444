"""tf.math composites (estflow/library/math_impl.py): values against numpy, gradients against differences."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4))


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.math.log_sigmoid(X), -np.logaddexp(0, -X)),
    (lambda: tf.math.log_sigmoid(np.float32([-200, 200])), np.float32([-200, 0])),
    (lambda: tf.math.reduce_variance(X, axis=1), X.var(axis=1)),
    (lambda: tf.math.reduce_std(X, axis=0, keepdims=True), X.std(axis=0, keepdims=True)),
    (lambda: tf.math.reduce_std(X), X.std()),
    (lambda: tf.math.reduce_euclidean_norm(X, axis=1), np.sqrt((X ** 2).sum(1))),
    (lambda: tf.math.multiply_no_nan(np.float32([np.inf, np.nan, 2]), np.float32([0, 0, 3])), [0, 0, 6]),
    (lambda: tf.math.reciprocal_no_nan(np.float32([0, 2])), [0, 0.5]),
    (lambda: tf.math.xdivy(np.float32([0, 1]), np.float32([0, 4])), [0, 0.25]),
    (lambda: tf.math.xlogy(np.float32([0, 2]), np.float32([0, np.e])), [0, 2]),
    (lambda: tf.math.xlog1py(np.float32([0, 2]), np.float32([-1, np.e - 1])), [0, 2]),
    (lambda: tf.math.is_non_decreasing([[1, 2], [2, 5]]), True),
    (lambda: tf.math.is_non_decreasing([1, 3, 2]), False),
    (lambda: tf.math.is_strictly_increasing([1, 2, 2]), False),
    (lambda: tf.math.is_strictly_increasing([-1.0, 2.5]), True),
    (lambda: tf.math.polyval([2.0, 0.0, 1.0], 3.0), 19.0),
    (lambda: tf.math.polyval([], X), np.zeros_like(X)),
    (lambda: tf.math.cumulative_logsumexp(X, axis=1), np.logaddexp.accumulate(X, axis=1)),
    (lambda: tf.math.cumulative_logsumexp(np.float32([1000, 1000])), [1000, 1000 + np.log(2)]),
    (lambda: tf.math.cumulative_logsumexp(X, axis=1, reverse=True),
     np.logaddexp.accumulate(X[:, ::-1], axis=1)[:, ::-1]),
    (lambda: tf.math.bincount([1, 1, 3]), [0, 2, 0, 1]),
    (lambda: tf.math.bincount(np.array([[1, 4], [1, 0]], np.int32), minlength=7), [1, 2, 0, 0, 1, 0, 0]),
    (lambda: tf.math.bincount([1, 1, 3], maxlength=2), [0, 2]),
    (lambda: tf.math.bincount(np.zeros([0], np.int32)), np.zeros([0])),
    (lambda: tf.math.bincount([0, 2, 2], weights=[0.5, 1.0, 2.0]), [0.5, 0, 3.0]),
    (lambda: tf.math.segment_mean([[1.0, 2], [3, 4], [5, 6]], [0, 0, 1]), [[2, 3], [5, 6]]),
    (lambda: tf.math.unsorted_segment_mean([1.0, 2, 3, 6], [2, 0, 2, -1], 3), [2, 0, 2]),
    (lambda: tf.math.unsorted_segment_sqrt_n([1.0, 3, 4], [1, 1, 0], 3), [4, 4 / np.sqrt(2), 0]),
    (lambda: tf.math.unsorted_segment_mean(np.ones([2, 3, 2]), [[0, 1, 1], [1, 1, 0]], 2), np.ones([2, 2])),
])
def test_values_match_numpy(build, expected):
    value = _run(build())
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.usefixtures("g")
def test_dtypes_follow_tf():
    assert tf.math.bincount([1, 2]).dtype == tf.int32
    assert tf.math.bincount([1, 2], dtype=tf.int64).dtype == tf.int64
    assert tf.math.bincount([1, 2], weights=[1.0, 2.0]).dtype == tf.float32
    assert tf.math.is_non_decreasing([1, 2]).dtype == tf.bool


@pytest.mark.usefixtures("g")
def test_bad_arguments():
    with pytest.raises(ValueError, match="coeffs must be list"):
        tf.math.polyval(tf.constant([1.0]), 2.0)
    with pytest.raises(TypeError, match="real or complex"):
        tf.math.reduce_variance([1, 2])


@pytest.mark.parametrize("build, shapes", [
    (tf.math.log_sigmoid, [(3, 4)]),
    (lambda x: tf.math.reduce_std(x, axis=1), [(3, 4)]),
    (lambda x: tf.math.reduce_euclidean_norm(x, axis=0), [(3, 4)]),
    (tf.math.multiply_no_nan, [(3, 1), (1, 4)]),
    (lambda x, y: tf.math.xlogy(x, y * y + 1.0), [(3, 4), (3, 4)]),
    (lambda x: tf.math.cumulative_logsumexp(x, axis=1, exclusive=False), [(3, 4)]),
    (lambda x: tf.math.polyval([x, x * 2.0, 1.0], x), [(3,)]),
    (lambda x: tf.math.unsorted_segment_mean(x, [0, 2, 0], 3), [(3, 2)]),
    (lambda x: tf.math.segment_mean(x, [0, 0, 1]), [(3, 2)]),
])
def test_gradients_match_central_differences(build, shapes):
    check_gradient(build, [RNG.standard_normal(s) for s in shapes])


@pytest.mark.usefixtures("g")
def test_to_complex():
    c64 = tf.to_complex64([1.0, 2.0])
    assert c64.dtype == tf.complex64 and c64.op.name == "ToComplex64"
    assert tf.to_complex128(1.0).dtype == tf.complex128
    np.testing.assert_array_equal(_run(c64), [1 + 0j, 2 + 0j])
