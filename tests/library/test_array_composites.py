"""sort, argsort, searchsorted, roll, repeat, unique_with_counts, dynamic_partition, tensor_scatter_nd_*,
random_crop (estflow/library/array_composites.py)."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

A = np.array([[3, 1, 2], [0, 5, 4]])


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.sort(A), np.sort(A)),
    (lambda: tf.sort(A, axis=0, direction="DESCENDING"), -np.sort(-A, axis=0)),
    (lambda: tf.sort(np.float32([2.5, -1, 3])), [-1, 2.5, 3]),
    (lambda: tf.argsort(A), np.argsort(A, kind="stable")),
    (lambda: tf.argsort([2, 1, 2, 1]), [1, 3, 0, 2]),  # ties keep their order
    (lambda: tf.argsort(A, axis=0, direction="DESCENDING"), np.argsort(-A, axis=0, kind="stable")),
    (lambda: tf.searchsorted([[1, 3, 5], [2, 4, 6]], [[0, 3, 6], [4, 4, 7]]), [[0, 1, 3], [1, 1, 3]]),
    (lambda: tf.searchsorted([1, 3, 5], [3, 5], side="right"), [2, 3]),
    (lambda: tf.roll(np.arange(5), 2, 0), np.roll(np.arange(5), 2)),
    (lambda: tf.roll(A, [1, -1], [0, 1]), np.roll(A, (1, -1), (0, 1))),
    (lambda: tf.roll(A, 4, 1), np.roll(A, 4, 1)),
    (lambda: tf.repeat([1, 2], 3), [1, 1, 1, 2, 2, 2]),
    (lambda: tf.repeat(A, [2, 1], axis=0), np.repeat(A, [2, 1], axis=0)),
    (lambda: tf.repeat(A, [1, 0, 2], axis=1), np.repeat(A, [1, 0, 2], axis=1)),
    (lambda: tf.repeat(A, 2), np.repeat(A, 2)),
    (lambda: tf.dynamic_partition([10, 20, 30, 40], [0, 1, 0, 1], 3)[:2], [[10, 30], [20, 40]]),
    (lambda: tf.dynamic_partition([10, 20], [1, 1], 2)[0], np.zeros([0])),
    (lambda: tf.tensor_scatter_nd_update(np.zeros((3, 2)), [[0], [2]], [[1.0, 2], [3, 4]]),
     [[1, 2], [0, 0], [3, 4]]),
    (lambda: tf.tensor_scatter_nd_add([1, 2, 3], [[0], [0]], [5, 5]), [11, 2, 3]),
    (lambda: tf.tensor_scatter_sub(A, [[1, 1]], [5]), [[3, 1, 2], [0, 0, 4]]),
])
def test_values(build, expected):
    np.testing.assert_array_equal(_run(build()), expected)


@pytest.mark.usefixtures("g")
def test_unique_with_counts():
    y, idx, count = _run(tf.unique_with_counts([1, 1, 4, 2, 4, 4]))
    assert y.tolist() == [1, 4, 2] and idx.tolist() == [0, 0, 1, 2, 1, 1] and count.tolist() == [2, 3, 1]
    out = tf.unique_with_counts([1, 2], out_idx=tf.int64)
    assert out.idx.dtype == tf.int64 and out.count.dtype == tf.int64


@pytest.mark.usefixtures("g")
def test_random_crop():
    image = np.arange(20).reshape(4, 5)
    crops = [_run(tf.random_crop(image, [2, 3])) for _ in range(20)]
    for crop in crops:
        r, c = divmod(int(crop[0, 0]), 5)
        np.testing.assert_array_equal(crop, image[r:r + 2, c:c + 3])
    assert len({int(c[0, 0]) for c in crops}) > 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="Need value.shape >= size"):
        _run(tf.random_crop(image, [5, 1]))


@pytest.mark.usefixtures("g")
def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown direction"):
        tf.sort(A, direction="UP")
    with pytest.raises(ValueError, match="side must be"):
        tf.searchsorted([1], [1], side="middle")
    with pytest.raises(ValueError, match="same size"):
        tf.roll(A, [1, 2], 0)
    with pytest.raises(ValueError, match="positive int"):
        tf.dynamic_partition([1], [0], 0)


@pytest.mark.parametrize("build, shapes", [
    (lambda x: tf.sort(x, axis=0), [(3, 2)]),
    (lambda x: tf.roll(x, 1, 1), [(2, 3)]),
    (lambda x: tf.repeat(x, [2, 1], axis=0), [(2, 3)]),
    (lambda x: tf.dynamic_partition(x, [1, 0, 1], 2)[1], [(3, 2)]),
    (lambda t, u: tf.tensor_scatter_nd_update(t, [[0], [2]], u), [(3, 2), (2, 2)]),
    (lambda t, u: tf.tensor_scatter_nd_add(t, [[1]], u), [(3, 2), (1, 2)]),
])
def test_gradients(build, shapes):
    check_gradient(build, [np.random.default_rng(2).standard_normal(s) for s in shapes])


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.batch_gather([[1, 2, 3], [4, 5, 6]], [[2, 0], [1, 1]]), [[3, 1], [5, 5]]),
    (lambda: tf.setdiff1d([1, 2, 3, 4, 5, 6], [1, 3, 5]).out, [2, 4, 6]),
    (lambda: tf.setdiff1d([1, 2, 3, 4, 5, 6], [1, 3, 5]).idx, [1, 3, 5]),
    (lambda: tf.unravel_index([22, 41, 37], [7, 6]), np.array(np.unravel_index([22, 41, 37], (7, 6)))),
    (lambda: tf.unravel_index(1621, [6, 7, 8, 9]), np.array(np.unravel_index(1621, (6, 7, 8, 9)))),
    (lambda: tf.reverse_sequence(np.arange(24).reshape(2, 4, 3), [2, 3], seq_axis=1, batch_axis=0)[:, :, 0],
     [[3, 0, 6, 9], [18, 15, 12, 21]]),
    (lambda: tf.reverse_sequence(np.arange(8).reshape(4, 2), [1, 4], seq_dim=0, batch_dim=1),
     [[0, 7], [2, 5], [4, 3], [6, 1]]),
    (lambda: tf.histogram_fixed_width([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], nbins=5), [2, 1, 1, 0, 2]),
    (lambda: tf.histogram_fixed_width_bins([-1.0, 0.0, 1.5, 2.0, 5.0, 15], [0.0, 5.0], nbins=5),
     [0, 0, 1, 2, 4, 4]),
    (lambda: tf.broadcast_dynamic_shape([2, 1, 3], [4, 1]), [2, 4, 3]),
])
def test_small_helpers(build, expected):
    np.testing.assert_array_equal(_run(build()), expected)


@pytest.mark.usefixtures("g")
def test_small_helper_errors_and_slices():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        _run(tf.broadcast_dynamic_shape([2, 3], [4]))
    slices = tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0]), tf.constant([3, 1]))
    assert tf.convert_to_tensor_or_indexed_slices(slices) is slices
    with pytest.raises(ValueError, match="requested dtype"):
        tf.convert_to_tensor_or_indexed_slices(slices, tf.int32)
    assert tf.convert_to_tensor_or_indexed_slices([1, 2]).dtype == tf.int32
    with pytest.raises(ValueError, match="must differ"):
        tf.reverse_sequence(np.zeros((2, 2)), [1, 1], seq_axis=0, batch_axis=0)


def test_reverse_sequence_gradient():
    check_gradient(lambda x: tf.reverse_sequence(x, [2, 3], seq_axis=1, batch_axis=0),
                   [np.random.default_rng(5).standard_normal((2, 3, 2))])
