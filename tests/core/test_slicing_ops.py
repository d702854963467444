"""Slicing ops: StridedSlice and `Tensor.__getitem__` against numpy, masks, errors and gradients.

The Slice op itself is in the array op table (tests/core/test_array_ops.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.ops.slicing_ops import strided_slice
from estflow.core.tensor_shape import TensorShape
from tests.core.gradient_check import check_gradient


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    with tf.Graph().as_default() as g:
        yield g


# ---- StridedSlice / __getitem__ against numpy ---------------------------------------------------------------
_INDEX_EXPRESSIONS = [
    (0,), (-1,), (slice(None),), (slice(1, None),), (slice(None, -1),), (slice(None, None, -1),),
    (slice(None, None, -2),), (slice(3, 0, -1),), (slice(-1, -4, -2),), (slice(10, -10, -1),), (slice(-10, 10),),
    (slice(5, 1),), (Ellipsis,), (Ellipsis, 0), (0, Ellipsis), (Ellipsis, None), (None, Ellipsis),
    (None,), (None, None, 0), (1, None, slice(None, None, -1)), (Ellipsis, None, 1), (slice(None), None, Ellipsis, 2),
    (1, 2, 3), (-2, slice(1, 3), Ellipsis), (None, 1, None, Ellipsis, None), (slice(None, None, 3), -1, 0),
    (Ellipsis, slice(None, None, -1), None), (0, 0), (slice(2, None, -1), Ellipsis, slice(None, 1)),
]


@pytest.mark.parametrize("index", _INDEX_EXPRESSIONS, ids=repr)
def test_getitem_matches_numpy(index):
    x = np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5)
    g = tf.Graph()
    with g.as_default():
        exact = placeholder(tf.float32, [3, 4, 5])
        partial = placeholder(tf.float32, [None, 4, None])
        unknown = placeholder(tf.float32, None)
        ys = [t[index] for t in (exact, partial, unknown)]
        with tf.Session() as sess:
            values = sess.run(ys, {exact: x, partial: x, unknown: x})
    expected = x[index]
    for y, v in zip(ys, values, strict=True):
        np.testing.assert_array_equal(v, expected)
        assert y.shape.is_compatible_with(expected.shape)
    assert ys[0].shape == TensorShape(expected.shape), f"{index}: inferred {ys[0].shape}, numpy {expected.shape}"
    assert ys[0].op.type == "StridedSlice" and ys[0].op.name == "strided_slice"


def test_getitem_tensor_indices_and_bounds():
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    g = tf.Graph()
    with g.as_default():
        t = placeholder(tf.float32, [4, 5])
        i = placeholder(tf.int32, [])
        j = constant(3, dtype=tf.int64)
        a, b, c = t[i], t[1:i, ::-1], t[:, j]
        assert a.shape.as_list() == [5] and b.shape.as_list() == [None, 5] and c.shape.as_list() == [4]
        with tf.Session() as sess:
            va, vb, vc = sess.run([a, b, c], {t: x, i: 3})
    np.testing.assert_array_equal(va, x[3])
    np.testing.assert_array_equal(vb, x[1:3, ::-1])
    np.testing.assert_array_equal(vc, x[:, 3])


def test_getitem_node_names_follow_tf1():
    g = tf.Graph()
    with g.as_default():
        t = constant(np.zeros((3, 3), np.float32))
        y = t[1:, 0]
        names = {op.name for op in g.get_operations()}
    assert y.op.name == "strided_slice"
    assert {"strided_slice/stack", "strided_slice/stack_1", "strided_slice/stack_2"} <= names
    attrs = y.op.attrs
    assert attrs["begin_mask"] == 0 and attrs["end_mask"] == 1 and attrs["shrink_axis_mask"] == 2


def test_getitem_rejects_bad_indices():
    t = constant(np.zeros((3, 3), np.float32))
    with pytest.raises(TypeError, match="Only integers, slices"):
        t[1.5]
    with pytest.raises(TypeError, match="Only integers, slices"):
        t[constant([0, 1])]
    with pytest.raises(ValueError, match="Multiple ellipses in slice spec not allowed"):
        t[..., 0, ...]
    with pytest.raises(ValueError, match="Index out of range using input dim 2; input has only 2 dims"):
        t[0, 0, 0]
    with tf.Graph().as_default(), pytest.raises(
            ValueError, match=r"slice index 3 of dimension 0 out of bounds\. for 'strided_slice"):
        constant(np.zeros((3, 3), np.float32))[3]


def test_getitem_out_of_bounds_at_run_time():
    g = tf.Graph()
    with g.as_default():
        t = placeholder(tf.float32, [None])
        y = t[4]
        with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                                  match="slice index 4 of dimension 0 out of bounds"):
            sess.run(y, {t: np.zeros(3)})


def test_getitem_boolean_mask():
    x = np.arange(6, dtype=np.float32)
    t = constant(x)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(t[x > 2]), x[x > 2])


def test_strided_slice_masks_directly():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    t = constant(x)
    cases = [
        (dict(begin=[0, 1], end=[0, 0], strides=[1, 1], begin_mask=1, end_mask=3), x[:, 1:]),
        (dict(begin=[1, 0, 0], end=[2, 0, 0], strides=[1, 1, 1], ellipsis_mask=2, shrink_axis_mask=1), x[1, ..., 0:0]),
        (dict(begin=[1, 0, 1], end=[2, 0, 0], strides=[1, 1, 2], ellipsis_mask=2, shrink_axis_mask=1, end_mask=4),
         x[1, ..., 1::2]),
        (dict(begin=[0, 0], end=[0, 0], strides=[1, 1], new_axis_mask=1, ellipsis_mask=2), x[None, ...]),
        (dict(begin=[-1], end=[0], strides=[-1], end_mask=1), x[::-1]),
        # ellipsis wins over new_axis on the same bit, new_axis over shrink
        (dict(begin=[0, 0], end=[0, 0], strides=[1, 1], ellipsis_mask=1, new_axis_mask=3), x[..., None]),
        (dict(begin=[0], end=[1], strides=[1], new_axis_mask=1, shrink_axis_mask=1), x[None]),
    ]
    with tf.Session() as sess:
        for kwargs, expected in cases:
            y = strided_slice(t, **kwargs)
            assert y.shape.as_list() == list(expected.shape), kwargs
            np.testing.assert_array_equal(sess.run(y), expected)


def test_strided_slice_zero_stride():
    with pytest.raises(ValueError, match=r"strides\[0\] must be non-zero"):
        strided_slice(constant([1, 2, 3]), [0], [2], [0])


def test_strided_slice_grad_grad():
    x = np.arange(12.0).reshape(3, 4)

    def build(t):
        dy = t[1:, ::-2] * 1.0
        return strided_slice(
            gradients(reduce_sum(t[1:, ::-2] * dy), [t])[0], [1, 0], [0, 0], [1, 1], end_mask=3)

    check_gradient(build, [x], label="StridedSliceGrad")


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_getitem_strided_slice():
    x = tf.constant(np.arange(24).reshape(2, 3, 4))
    ref = np.arange(24).reshape(2, 3, 4)
    cases = [
        (x[1], ref[1]),
        (x[-1, 1:], ref[-1, 1:]),
        (x[:, ::2, 1:3], ref[:, ::2, 1:3]),
        (x[..., -1], ref[..., -1]),
        (x[:, tf.newaxis, 0], ref[:, np.newaxis, 0]),
        (x[::-1, :, ::-2], ref[::-1, :, ::-2]),
        (x[0, 1, 2], ref[0, 1, 2]),
    ]
    assert x[1].op.type == "StridedSlice"
    out = run([c[0] for c in cases])
    for got, (t, want) in zip(out, cases):
        assert t.shape.as_list() == list(want.shape)
        np.testing.assert_array_equal(got, want)
    assert tf.newaxis is None


def test_strided_index_cache_gives_the_uncached_index_and_still_raises():
    from estflow.core.ops import slicing_ops  # the index helpers themselves

    masks = (0, 0, 0, 0, 1)
    args = ((4, 5), np.array([1, 0]), np.array([3, 5]), np.array([1, 2]), masks)
    first = slicing_ops._strided_index(*args)
    assert first == slicing_ops._strided_index(*args)
    assert first == slicing_ops._strided_index_uncached((4, 5), [1, 0], [3, 5], [1, 2], masks)
    x = np.arange(20).reshape(4, 5)
    np.testing.assert_array_equal(x[first], x[1, 0:5:2])
    for _ in range(2):  # an invalid spec is never remembered
        with pytest.raises(errors.InvalidArgumentError):
            slicing_ops._strided_index((4, 5), np.array([0]), np.array([1, 2]), np.array([1, 1]), masks)
