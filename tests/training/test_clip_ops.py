"""Gradient clipping: values against numpy, IndexedSlices kept sparse, None entries passed through."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import comparison_ops, reduction_ops
from estflow.core.ops.constant_op import constant, placeholder
from estflow.training import clip_ops


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    with tf.Graph().as_default() as g:
        yield g


def _run(*fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(list(fetches), feed)


def test_clip_by_value_is_comparison_ops_clip_by_value():
    assert clip_ops.clip_by_value is comparison_ops.clip_by_value
    out, = _run(clip_ops.clip_by_value(constant([-2.0, 0.5, 3.0]), -1.0, 1.0))
    np.testing.assert_allclose(out, [-1.0, 0.5, 1.0])


def test_clip_by_norm():
    t = constant(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32))
    clipped = clip_ops.clip_by_norm(t, 1.0)
    unchanged = clip_ops.clip_by_norm(t, 10.0)
    assert clipped.op.name == "clip_by_norm" and clipped.shape.as_list() == [2, 2]
    a, b = _run(clipped, unchanged)
    np.testing.assert_allclose(a, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(b, [[3.0, 4.0], [0.0, 0.0]], rtol=1e-6)


def test_clip_by_norm_over_axes_and_zero_norm():
    values = np.array([[3.0, 4.0], [0.0, 0.0], [0.3, 0.4]], np.float32)
    out, = _run(clip_ops.clip_by_norm(constant(values), 1.0, axes=[1]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [0.3, 0.4]], rtol=1e-6)


def test_clip_by_norm_keeps_indexed_slices_sparse():
    values = constant(np.array([[6.0, 8.0]], np.float32))
    slices = IndexedSlices(values, constant(np.array([2], np.int32)), constant(np.array([4, 2], np.int32)))
    clipped = clip_ops.clip_by_norm(slices, 5.0)
    assert isinstance(clipped, IndexedSlices) and clipped.indices is slices.indices
    out, = _run(clipped.values)
    np.testing.assert_allclose(out, [[3.0, 4.0]], rtol=1e-6)


def test_clip_by_norm_rejects_broadcasting_clip_norm():
    with pytest.raises(ValueError):
        clip_ops.clip_by_norm(constant([1.0, 2.0]), constant([[1.0], [2.0]]))


def test_global_norm_ignores_none_and_reads_indexed_slices_values():
    a = constant(np.array([3.0, 0.0], np.float32))
    b = IndexedSlices(constant(np.array([[4.0, 12.0]], np.float32)), constant(np.array([0], np.int32)),
                      constant(np.array([3, 2], np.int32)))
    norm = clip_ops.global_norm([a, None, b])
    assert norm.op.name == "global_norm/global_norm"
    out, = _run(norm)
    assert out == pytest.approx(13.0, rel=1e-6)
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        clip_ops.global_norm(a)


def test_clip_by_global_norm():
    a = constant(np.array([3.0, 0.0], np.float32))
    b = IndexedSlices(constant(np.array([[4.0]], np.float32)), constant(np.array([1], np.int32)),
                      constant(np.array([2, 1], np.int32)))
    (ca, none, cb), norm = clip_ops.clip_by_global_norm([a, None, b], 2.5)
    assert none is None and isinstance(cb, IndexedSlices) and cb.indices is b.indices
    va, vb, vn = _run(ca, cb.values, norm)
    assert vn == pytest.approx(5.0)
    np.testing.assert_allclose(va, [1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(vb, [[2.0]], rtol=1e-6)


def test_clip_by_global_norm_below_the_limit_is_unchanged_and_use_norm():
    a = constant(np.array([0.3, 0.4], np.float32))
    (ca,), norm = clip_ops.clip_by_global_norm([a], 1.0)
    (cb,), given = clip_ops.clip_by_global_norm([a], 1.0, use_norm=constant(2.0))
    va, vn, vb, vg = _run(ca, norm, cb, given)
    np.testing.assert_allclose(va, [0.3, 0.4], rtol=1e-6)
    assert vn == pytest.approx(0.5)
    np.testing.assert_allclose(vb, [0.15, 0.2], rtol=1e-6)
    assert vg == 2.0


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_clip_by_global_norm_non_finite_norm_gives_nan():
    x = placeholder(tf.float32, [2])
    (clipped,), norm = clip_ops.clip_by_global_norm([x], 1.0)
    out, n = _run(clipped, norm, feed={x: np.array([np.inf, 1.0], np.float32)})
    assert np.isinf(n) and np.all(np.isnan(out))


def test_clip_by_average_norm():
    t = constant(np.array([[3.0, 4.0]], np.float32))  # l2 norm 5, 2 elements: average norm 2.5
    clipped, unchanged = clip_ops.clip_by_average_norm(t, 1.0), clip_ops.clip_by_average_norm(t, 5.0)
    a, b = _run(clipped, unchanged)
    np.testing.assert_allclose(a, [[1.2, 1.6]], rtol=1e-6)
    np.testing.assert_allclose(b, [[3.0, 4.0]], rtol=1e-6)


def test_clipped_gradients_train():
    from estflow.core.variables import Variable
    from estflow.training.gradient_descent import GradientDescentOptimizer

    w = Variable(np.array([10.0, 0.0], np.float32), name="w")
    opt = GradientDescentOptimizer(1.0)
    grads_and_vars = opt.compute_gradients(reduction_ops.reduce_sum(w * w))
    grads, variables = zip(*grads_and_vars, strict=True)
    clipped, _ = clip_ops.clip_by_global_norm(list(grads), 1.0)
    train = opt.apply_gradients(zip(clipped, variables, strict=True))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [9.0, 0.0], rtol=1e-6)
