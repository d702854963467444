"""Reductions, ArgMax/ArgMin and Cumsum/Cumprod: dtypes, static shapes, unknown axes and ranks, errors.

Values and gradients over float inputs are in the math op table (tests/core/test_math_ops.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.reduction_ops import (
    arg_min,
    argmax,
    argmin,
    count_nonzero,
    cumprod,
    cumsum,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from estflow.core.registry import registered_ops
from tests.core.gradient_check import check_gradient


def _run(fetch, feed=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetch, feed)


# ================================================================================================
# Reductions: shapes, dtypes, unknown axes and ranks
# ================================================================================================
@pytest.mark.parametrize("fn,ref,dtype", [
    (reduce_sum, np.sum, np.int32), (reduce_prod, np.prod, np.int64), (reduce_max, np.max, np.int32),
    (reduce_min, np.min, np.uint8), (reduce_sum, np.sum, np.float16), (reduce_mean, np.mean, np.float16),
])
def test_reduction_keeps_dtype(fn, ref, dtype):
    x = np.arange(1, 13).reshape(3, 4).astype(dtype)
    with tf.Graph().as_default():
        for axis in (None, 0, 1, [0, 1]):
            out = fn(constant(x), axis)
            value = np.asarray(_run(out))
            assert out.dtype == value.dtype == dtype
            np.testing.assert_allclose(value.astype(np.float64), ref(x.astype(np.float64), axis=None if axis is None
                                                                      else tuple(np.atleast_1d(axis))), rtol=1e-3)


def test_reduce_mean_of_ints_truncates_like_tf():
    with tf.Graph().as_default():
        out = reduce_mean(constant([[1, 2], [-1, -2]]), 1)
        assert out.dtype == tf.int32
        np.testing.assert_array_equal(_run(out), [1, -1])


def test_reduce_all_any():
    x = np.array([[True, False], [True, True]])
    with tf.Graph().as_default():
        p = placeholder(tf.bool, [None, 2])
        outs = [reduce_all(p), reduce_all(p, 1), reduce_any(p, 0, keepdims=True), reduce_any(p)]
        vals = _run(outs, {p: x})
        assert [o.shape.as_list() for o in outs] == [[], [None], [1, 2], []]
    assert vals[0] == np.bool_(False) and vals[3] == np.bool_(True)
    np.testing.assert_array_equal(vals[1], [False, True])
    np.testing.assert_array_equal(vals[2], [[True, True]])
    with tf.Graph().as_default(), pytest.raises(TypeError, match="DataType float32 not in list"):
        reduce_all(constant([1.0]))


def test_reduction_static_shapes():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3, 4])
        assert reduce_sum(x, 1).shape.as_list() == [None, 4]
        assert reduce_sum(x, [0, -1], keepdims=True).shape.as_list() == [1, 3, 1]
        assert reduce_sum(x).shape.as_list() == []
        axis = placeholder(tf.int32)
        assert reduce_sum(x, axis).shape.ndims is None
        assert reduce_sum(x, axis, keepdims=True).shape.as_list() == [None, None, None]
        unknown = placeholder(tf.float32)
        assert reduce_sum(unknown).shape.as_list() == []  # TF's _may_reduce_to_scalar
        assert reduce_sum(unknown, 0).shape.ndims is None
        assert reduce_max(unknown, 0, keepdims=True).shape.ndims is None
        assert reduce_sum(x, axis=[]).shape.as_list() == [None, 3, 4]


def test_reduction_unknown_axis_and_rank_run():
    x = np.arange(24.0).reshape(2, 3, 4)
    with tf.Graph().as_default():
        p = placeholder(tf.float64)
        axis = placeholder(tf.int32, [None])
        outs = [reduce_sum(p), reduce_sum(p, axis), reduce_mean(p, axis, keepdims=True), reduce_max(p, -1)]
        vals = _run(outs, {p: x, axis: [0, -1]})
    np.testing.assert_allclose(vals[0], x.sum())
    np.testing.assert_allclose(vals[1], x.sum((0, 2)))
    np.testing.assert_allclose(vals[2], x.mean((0, 2), keepdims=True))
    np.testing.assert_allclose(vals[3], x.max(-1))


def test_reduction_gradients_with_unknown_axis_and_rank():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4))

    def with_fed_axis(fn, axis_value, keepdims=False):
        def build(x):
            axis = placeholder_with_value(axis_value)
            return fn(x, axis, keepdims=keepdims)
        return build

    def placeholder_with_value(v):
        from estflow.core.ops.constant_op import placeholder_with_default
        return placeholder_with_default(np.asarray(v, np.int32), shape=[None])

    check_gradient(with_fed_axis(reduce_sum, [1]), [a])
    check_gradient(with_fed_axis(reduce_mean, [0, 1], keepdims=True), [a])
    check_gradient(with_fed_axis(reduce_max, [-1]), [a])
    check_gradient(with_fed_axis(reduce_prod, [1, 0]), [a])
    check_gradient(with_fed_axis(reduce_prod, [1]), [rng.standard_normal((2, 3, 2))])



def test_reduction_gradients_with_unknown_rank():
    x = np.array([[1.0, 4.0, 2.0], [3.0, 0.0, 4.0]])
    with tf.Graph().as_default():
        p = placeholder(tf.float64)  # unknown rank: axes come from Range(Rank(x)) at run time
        grads = [gradients(fn(p), [p])[0] for fn in (reduce_sum, reduce_mean, reduce_max, reduce_prod)]
        grads.append(gradients(reduce_sum(reduce_mean(p, 1, keepdims=True)), [p])[0])
        vals = _run(grads, {p: x})
    np.testing.assert_allclose(vals[0], np.ones((2, 3)))
    np.testing.assert_allclose(vals[1], np.full((2, 3), 1 / 6))
    np.testing.assert_allclose(vals[2], [[0, 0.5, 0], [0, 0, 0.5]])
    np.testing.assert_allclose(vals[3], [[0, 0, 0], [0, 1 * 4 * 2 * 3 * 4, 0]])  # the one zero's cofactor
    np.testing.assert_allclose(vals[4], np.full((2, 3), 1 / 3))


def test_reduction_errors():
    with tf.Graph().as_default():
        x = constant(np.zeros((2, 3), np.float32))
        with pytest.raises(ValueError, match=r"Invalid reduction dimension 2 for input with 2 dimensions"):
            reduce_sum(x, 2)
        with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'reduction_indices'"):
            reduce_sum(x, 0, reduction_indices=0)
        with pytest.raises(ValueError, match="Cannot specify both 'keepdims' and 'keep_dims'"):
            reduce_sum(x, 0, keepdims=True, keep_dims=True)
        with pytest.raises(TypeError, match="parameter 'reduction_indices' has DataType float32"):
            reduce_sum(x, constant(0.0))
        axis = placeholder(tf.int32)
        out = reduce_sum(x, axis)
        with tf.Session() as sess:
            with pytest.raises(errors.InvalidArgumentError, match=r"Invalid reduction dimension \(5 for input with 2"):
                sess.run(out, {axis: 5})
            with pytest.raises(errors.InvalidArgumentError, match="Axes contains duplicate dimension: 1"):
                sess.run(out, {axis: [1, -1]})


def test_empty_reductions_give_identities():
    with tf.Graph().as_default():
        e = constant(np.zeros((0, 3), np.float32))
        vals = _run([reduce_sum(e, 0), reduce_prod(e, 0), reduce_max(e, 0), reduce_min(e, 0),
                     reduce_max(constant(np.zeros((0,), np.int32)))])
    np.testing.assert_array_equal(vals[0], [0, 0, 0])
    np.testing.assert_array_equal(vals[1], [1, 1, 1])
    np.testing.assert_array_equal(vals[2], [-np.inf] * 3)
    np.testing.assert_array_equal(vals[3], [np.inf] * 3)
    assert vals[4] == np.iinfo(np.int32).min


def test_reduce_prod_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 4.0]])
    with tf.Graph().as_default():
        p = placeholder(tf.float64, [3, 3])
        g1 = gradients(reduce_sum(reduce_prod(p, 1)), [p])[0]
        g2 = gradients(reduce_prod(p, [0, 1]), [p])[0]
        v1, v2 = _run([g1, g2], {p: x})
    np.testing.assert_allclose(v1, [[0, 6, 0], [0, 0, 0], [8, 4, 2]])
    np.testing.assert_allclose(v2, np.zeros((3, 3)))


def test_count_nonzero():
    with tf.Graph().as_default():
        x = constant([[0, 1, 0], [1, 1, 0]])
        outs = [count_nonzero(x), count_nonzero(x, 0), count_nonzero(x, 1, keepdims=True),
                count_nonzero(constant(["", "a", "  ", "b", ""])), count_nonzero(constant([0.0, 0.5]), dtype=tf.int32)]
        vals = _run(outs)
        assert outs[0].dtype == tf.int64 and outs[4].dtype == tf.int32
    assert vals[0] == 3 and vals[3] == 3 and vals[4] == 1
    np.testing.assert_array_equal(vals[1], [1, 2, 0])
    np.testing.assert_array_equal(vals[2], [[1], [2]])


def test_reduce_logsumexp_is_stable():
    with tf.Graph().as_default():
        x = constant([[1000.0, 1000.0], [-1000.0, -np.inf]], dtype=tf.float64)
        vals = _run([reduce_logsumexp(x, 1), reduce_logsumexp(constant([-np.inf, -np.inf]))])
    np.testing.assert_allclose(vals[0], [1000 + np.log(2), -1000])
    assert vals[1] == -np.inf


# ---- ArgMax / ArgMin ----
def test_argmax_argmin():
    x = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 9.0]], np.float32)
    with tf.Graph().as_default():
        p = placeholder(tf.float32, [None, 3])
        outs = [argmax(p, 1), argmin(p, 0), argmax(p), argmax(p, dimension=1, output_type=tf.int32),
                arg_min(p, 1), argmax(p, constant(np.int64(-1)))]
        vals = _run(outs, {p: x})
        assert [o.dtype for o in outs] == [tf.int64, tf.int64, tf.int64, tf.int32, tf.int64, tf.int64]
        assert [o.shape.as_list() for o in outs] == [[None], [3], [3], [None], [None], [None]]
        assert outs[0].op.name == "ArgMax" and outs[1].op.type == "ArgMin"
        with pytest.raises(ValueError, match=r"Expected dimension in the range \[-2, 2\), but got 2"):
            argmax(p, 2)
        with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'dimension'"):
            argmax(p, 1, dimension=1)
        assert gradients(reduce_sum(cast(outs[0], tf.float32)), [p])[0] is None
        with pytest.raises(errors.InvalidArgumentError, match=r"Reduction axis 0 is empty in shape \[0,3\]"):
            _run(outs[1], {p: np.zeros((0, 3), np.float32)})
    for v, e in zip(vals, [x.argmax(1), x.argmin(0), x.argmax(0), x.argmax(1), x.argmin(1), x.argmax(1)],
                    strict=True):
        np.testing.assert_array_equal(v, e)


def test_cumsum_cumprod_ints_and_errors():
    with tf.Graph().as_default():
        x = constant([[1, 2, 3], [4, 5, 6]])
        outs = [cumsum(x, 1, exclusive=True), cumprod(x, 0, reverse=True), cumprod(x, 1, exclusive=True)]
        vals = _run(outs)
        with pytest.raises(ValueError, match=r"Expected scan axis in the range \[-2, 2\), but got 2"):
            cumsum(x, 2)
        with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
            cumsum(x, [0])
    np.testing.assert_array_equal(vals[0], [[0, 1, 3], [0, 4, 9]])
    np.testing.assert_array_equal(vals[1], [[4, 10, 18], [4, 5, 6]])
    np.testing.assert_array_equal(vals[2], [[1, 1, 2], [1, 4, 20]])
    assert all(v.dtype == np.int32 for v in vals)


_REDUCE_INPUTS = [
    np.array(2.5, np.float32),
    np.arange(12, dtype=np.float32).reshape(3, 4) * np.float32(0.1),
    np.array([[1e8, 1.0, -1e8, 3.0]] * 5, np.float32),
    np.ones((0, 3), np.float64),
    np.arange(24, dtype=np.float16).reshape(2, 3, 4),
    np.arange(6, dtype=np.int32).reshape(2, 3),
    np.asfortranarray(np.arange(12, dtype=np.float64).reshape(3, 4)) / 7,
]


@pytest.mark.parametrize("x", _REDUCE_INPUTS, ids=lambda x: f"{x.dtype}{list(x.shape)}")
@pytest.mark.parametrize("keep_dims", [False, True])
def test_sum_all_any_kernels_give_numpys_own_reductions(x, keep_dims):
    """The kernels call the ufuncs' reduce directly: the bits, dtype and shape of np.sum / np.all / np.any."""
    from estflow.core.registry import get_op_def  # noqa: PLC0415 - the kernels under test

    for axes in ([], list(range(x.ndim)), [0] if x.ndim else [], [-1] if x.ndim else [], [1, 0] if x.ndim > 1 else []):
        axis = np.array(axes, np.int32)
        got = get_op_def("Sum").kernel(np, x, axis, keep_dims=keep_dims)
        want = np.asarray(np.sum(x, axis=tuple(a % x.ndim for a in axes), keepdims=keep_dims, dtype=x.dtype))
        assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
        b = x > 1
        for name, fn in (("All", np.all), ("Any", np.any)):
            got = get_op_def(name).kernel(np, b, axis, keep_dims=keep_dims)
            want = np.asarray(fn(b, axis=tuple(a % x.ndim for a in axes), keepdims=keep_dims))
            assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()


@pytest.mark.parametrize("fusion", [True, False])
def test_reductions_over_constant_axes_are_steps_of_their_input_with_the_kernels_bits(fusion, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    value = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.37)) - np.float32(3.1)
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3, 4])
        b = placeholder(tf.bool, [None, 3, 4])
        axis = constant(np.array([-1, 0], np.int32))
        outs = [tf.reduce_sum(x, axis), tf.reduce_sum(x, [1], keepdims=True), tf.reduce_sum(x, []),
                tf.reduce_sum(x), tf.reduce_all(b, [2]), tf.reduce_any(b, [0, 1], keepdims=True)]
        bad = tf.reduce_sum(x, constant(np.array([1, -2], np.int32)))  # a duplicate axis: the kernel refuses it
        assert (registered_ops()["Sum"].fuse(outs[0].op) is not None) and registered_ops()["Sum"].fuse(bad.op) is None
        with tf.Session() as sess:
            got = sess.run(outs, {x: value, b: value > 0})
            with pytest.raises(errors.InvalidArgumentError, match="duplicate dimension: 1"):
                sess.run(bad, {x: value})
            fed = sess.run(outs[0], {x: value, axis: np.array([1, 2], np.int32)})
    want = [np.sum(value, axis=(2, 0), dtype=np.float32), np.sum(value, axis=1, keepdims=True, dtype=np.float32),
            value, np.sum(value, axis=(0, 1, 2), dtype=np.float32), np.all(value > 0, axis=2),
            np.any(value > 0, axis=(0, 1), keepdims=True)]
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape and g.tobytes() == w.tobytes()
    assert fed.tobytes() == np.sum(value, axis=(1, 2), dtype=np.float32).tobytes()
