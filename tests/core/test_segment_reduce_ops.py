"""SegmentMax/Min/Prod and UnsortedSegmentMax/Min/Prod (estflow/core/ops/segment_reduce_ops.py)."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import segment_reduce_ops as S
from estflow.core.registry import registered_ops
from tests.core.gradient_check import check_gradient

D = np.array([[1.0, 5.0], [3.0, 2.0], [4.0, 4.0], [0.0, 7.0]])


def _run(fetch):
    with tf.Session() as sess:
        return sess.run(fetch)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.math.segment_max(D, [0, 0, 2, 2]), [[3, 5], [0, 0], [4, 7]]),  # empty segment 1: zeros
    (lambda: tf.math.segment_min(D, [0, 0, 2, 2]), [[1, 2], [0, 0], [0, 4]]),
    (lambda: tf.math.segment_prod(D, [0, 0, 2, 2]), [[3, 10], [1, 1], [0, 28]]),
    (lambda: tf.segment_max([3, 1, 2], [0, 1, 1]), [3, 2]),
    (lambda: tf.math.unsorted_segment_max(D, [1, -1, 1, 0], 3), [[0, 7], [4, 5], [-np.inf, -np.inf]]),
    (lambda: tf.math.unsorted_segment_min(D, [1, -1, 1, 0], 3), [[0, 7], [1, 4], [np.inf, np.inf]]),
    (lambda: tf.math.unsorted_segment_prod(D, [1, -1, 1, 0], 3), [[0, 7], [4, 20], [1, 1]]),
    (lambda: tf.unsorted_segment_min([3, 1, 2], [0, 0, 1], 3), [1, 2, np.iinfo(np.int32).max]),
    (lambda: tf.unsorted_segment_max(np.int64([[5, 1], [2, 9]]), [[0, 1], [1, 1]], 2), [5, 9]),
])
def test_values(build, expected):
    np.testing.assert_array_equal(_run(build()), expected)


@pytest.mark.usefixtures("g")
def test_bad_ids():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not increasing"):
        _run(tf.math.segment_max(D, [1, 0, 0, 0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range"):
        _run(tf.math.unsorted_segment_min(D, [0, 5, 0, 0], 2))
    with pytest.raises(TypeError, match="real number"):
        tf.math.segment_max(np.complex64([1, 2]), [0, 0])


GRADIENT_CASES = {
    "SegmentMax": lambda x: tf.math.segment_max(x, [0, 0, 1, 1]),
    "SegmentMin": lambda x: tf.math.segment_min(x, [0, 1, 1, 3]),
    "SegmentProd": lambda x: tf.math.segment_prod(x, [0, 0, 1, 1]),
    "SegmentProd with zeros": lambda x: tf.math.segment_prod(
        x * tf.constant([[0.0, 1], [1, 1], [0, 0], [1, 1]], tf.float64), [0, 0, 1, 1]),
    "SegmentMax ties": lambda x: tf.math.segment_max(x * 0.0 + tf.constant([[1.0, 2], [1, 3], [1, 1], [0, 1]],
                                                                             tf.float64) + x * 1e-3, [0, 0, 0, 1]),
    "UnsortedSegmentMax": lambda x: tf.math.unsorted_segment_max(x, [1, -1, 1, 0], 2),
    "UnsortedSegmentMin": lambda x: tf.math.unsorted_segment_min(x, [1, -1, 1, 0], 2),
    "UnsortedSegmentProd": lambda x: tf.math.unsorted_segment_prod(x, [1, -1, 1, 0], 3),
}


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
def test_gradients(label):
    check_gradient(GRADIENT_CASES[label], [np.random.default_rng(1).standard_normal((4, 2))], label=label)


def test_every_op_here_is_gradient_checked():
    ops = {n for n, d in registered_ops().items() if getattr(d.kernel, "__module__", "") == S.__name__}
    assert ops == {label.split()[0] for label in GRADIENT_CASES}
