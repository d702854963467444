"""Comparison and logical ops and their operators, Select/SelectV2 (`tf.where`) and ClipByValue errors.

Values and gradients of where and clip_by_value are in the math op table (tests/core/test_math_ops.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, errors
from estflow.core.gradients import gradients
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.comparison_ops import (
    clip_by_value,
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_or,
    logical_xor,
    not_equal,
    where,
    where_v2,
)
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.ops.unary_ops import logical_not
from estflow.core.registry import apply_op


def _run(fetch, feed=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetch, feed)


COMPARISONS = [
    (less, np.less), (less_equal, np.less_equal), (greater, np.greater),
    (greater_equal, np.greater_equal), (equal, np.equal), (not_equal, np.not_equal),
    (lambda x, y: x < y, np.less), (lambda x, y: x <= y, np.less_equal), (lambda x, y: x > y, np.greater),
    (lambda x, y: x >= y, np.greater_equal),
]


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((), (3,)), ((2, 3), (2, 3))])
@pytest.mark.parametrize("fn,ref", COMPARISONS)
def test_comparison(fn, ref, shapes, dtype):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, shapes[0]).astype(dtype)
    y = rng.integers(0, 3, shapes[1]).astype(dtype)
    g = tf.Graph()
    with g.as_default():
        px, py = placeholder(dtypes.as_dtype(dtype), shapes[0]), placeholder(dtypes.as_dtype(dtype), shapes[1])
        out = fn(px, py)
        value = np.asarray(_run(out, {px: x, py: y}, g))
    assert out.dtype == tf.bool and value.dtype == np.bool_
    assert tuple(out.shape.as_list()) == value.shape
    np.testing.assert_array_equal(value, ref(x, y))
    with g.as_default():
        assert gradients(reduce_sum(cast(out, tf.float32)), [px])[0] is None


def test_logical_ops_and_operators():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    with tf.Graph().as_default():
        pa, pb = placeholder(tf.bool, [4]), placeholder(tf.bool, [4])
        outs = [logical_and(pa, pb), logical_or(pa, pb), logical_not(pa), logical_xor(pa, pb),
                pa & pb, pa | pb, ~pa, pa ^ pb, pa & True]
        vals = _run(outs, {pa: a, pb: b})
        assert [o.op.name for o in outs[4:8]] == ["and", "or", "LogicalNot_2", "xor"]
        assert [o.op.type for o in outs[4:8]] == ["LogicalAnd", "LogicalOr", "LogicalNot", "LogicalAnd"]
        assert outs[3].op.type == "LogicalAnd"
    expected = [a & b, a | b, ~a, a ^ b, a & b, a | b, ~a, a ^ b, a]
    for v, e in zip(vals, expected, strict=True):
        np.testing.assert_array_equal(v, e)


def test_logical_ops_reject_ints():
    with tf.Graph().as_default():
        x = constant([1, 2])
        with pytest.raises(TypeError, match="DataType int32 not in list of allowed values: bool"):
            _ = x & x
        with pytest.raises(TypeError, match="not in list of allowed values: bool"):
            logical_not(x)


def test_equal_on_strings_and_bools():
    with tf.Graph().as_default():
        s = constant(["a", "b", "c"])
        eq = equal(s, "b")
        ne = not_equal(s, constant(["a", "x", "c"]))
        beq = equal(constant([True, False]), True)
        vals = _run([eq, ne, beq])
    np.testing.assert_array_equal(vals[0], [False, True, False])
    np.testing.assert_array_equal(vals[1], [False, True, False])
    np.testing.assert_array_equal(vals[2], [True, False])


def test_equal_incompatible_shape_error_attr():
    with tf.Graph().as_default():
        a, b = constant([1, 2, 3]), constant([1, 2])
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
            equal(a, b)
        eq = apply_op("Equal", a, b, incompatible_shape_error=False)
        ne = apply_op("NotEqual", a, b, incompatible_shape_error=False)
        assert _run([eq, ne]) == [False, True]


# ================================================================================================
# Select / where shapes and errors
# ================================================================================================
def test_select_shapes_and_errors():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        assert where(placeholder(tf.bool, [4]), x, x).shape.as_list() == [4, 3]
        assert where(placeholder(tf.bool, []), x, x).shape.as_list() == [None, 3]
        with pytest.raises(ValueError, match="Shapes must be equal rank, but are 2 and 1"):
            where(placeholder(tf.bool, [2]), x, placeholder(tf.float32, [3]))
        with pytest.raises(ValueError, match=r"Dimension 1 in both shapes must be equal, but are 3 and 4\. "
                                             r"Shapes are \[\?,3\] and \[2,4\]\."):
            where(placeholder(tf.bool, [2, 4]), x, x)
        with pytest.raises(ValueError, match="x and y must both be non-None or both be None."):
            where(True, x)
        with pytest.raises(TypeError, match="parameter 'condition' has DataType float32"):
            where_v2(x, x, x)
        cond = placeholder(tf.bool, [None])
        out = where(cond, x, x)
        with pytest.raises(errors.InvalidArgumentError, match="Number of batches of 'then' must match size of "
                                                              "'cond', but saw: 2 vs. 3"):
            _run(out, {cond: [True] * 3, x: np.zeros((2, 3), np.float32)})
        assert where_v2(placeholder(tf.bool, [4, 1]), x, 0.0).shape.as_list() == [4, 3]


def test_where_coordinates():
    with tf.Graph().as_default():
        out = where(constant([[True, False], [False, True]]))
        np.testing.assert_array_equal(_run(out), [[0, 0], [1, 1]])


def test_clip_by_value_errors():
    with tf.Graph().as_default():
        t = constant(np.zeros((2, 3), np.float32))
        assert clip_by_value(t, 0.0, 1.0).op.name == "clip_by_value"
        with pytest.raises(ValueError, match="Incompatible shapes"):
            clip_by_value(t, constant(np.zeros((4, 2, 3), np.float32)), 1.0)


# ---- the plan's fusion of safe_embedding_lookup_sparse's zeroing of empty rows (_fuse_zeroed_empty_rows) ---------
def _zeroed_rows(flags, value, fusion, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        empty = tf.placeholder(tf.bool, [None])
        x = tf.placeholder(tf.float32)
        tiled = tf.tile(tf.reshape(empty, [-1, 1]), tf.stack([1, tf.shape(x)[1]]))
        out = tf.where(tiled, tf.zeros_like(x), x)
        with tf.Session() as sess:
            try:
                result = sess.run(out, {empty: flags, x: value})
            except tf.errors.InvalidArgumentError as e:
                return type(e), str(e).split("\n")[0]
            steps = [st[5].type for st in next(iter(sess._cache.values())).steps]
            return result, steps


def test_zeroing_empty_rows_is_one_step_with_the_same_values_and_errors(monkeypatch):
    flags = np.array([True, False, True, False])
    value = np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0
    fused, fused_steps = _zeroed_rows(flags, value, True, monkeypatch)
    plain, plain_steps = _zeroed_rows(flags, value, False, monkeypatch)
    assert fused.tobytes() == plain.tobytes() and fused.tolist()[0] == [0.0, 0.0, 0.0]
    assert fused_steps == ["Select"] and "Tile" in plain_steps
    # Inputs the shortcut does not cover run the chain's own kernels: the same results and errors.
    for bad_flags, bad_value in ((flags[:3], value), (flags, value[:, 0]), (flags[:2], value.reshape(2, 2, 3))):
        fused = _zeroed_rows(bad_flags, bad_value, True, monkeypatch)
        plain = _zeroed_rows(bad_flags, bad_value, False, monkeypatch)
        assert fused[0] is tf.errors.InvalidArgumentError and fused == plain
