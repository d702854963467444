"""Math ops, table-driven (STYLE.md §7).

One table of float cases (op, input shapes, input domain, tolerance) and one checker that
asserts, for each case and shape set: the inferred static shape and dtype equal the
kernel's output (and stay compatible with a `None` batch dim); the value matches a numpy
reference in float64 and float32; the gradient matches float64 central differences.
An integer table follows, then exact edge values, error messages, the Tensor operators and
a completeness check over every op the math op modules register. The comparison, reduction,
cast and matmul edge cases have test modules of their own.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, errors
from estflow.core.gradients import gradients
from estflow.core.ops import cast_ops, comparison_ops, matmul_ops, reduction_ops, unary_ops
from estflow.core.ops import math_ops as m
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.plan import Compiler
from estflow.core.registry import apply_op, registered_ops
from tests.core import cupy_standin
from tests.core.gradient_check import check_gradient

# ---- input domains ---------------------------------------------------------------------------------


def _sample(domain: str, shape, rng) -> np.ndarray:
    if domain == "any":
        return rng.standard_normal(shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, shape)
    if domain == "gt1":
        return rng.uniform(1.2, 3.0, shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.5, 2.0, shape)
    if domain == "wide":
        return rng.uniform(-4.0, 4.0, shape)
    raise ValueError(domain)


@dataclasses.dataclass
class Case:
    label: str
    build: Callable  # tensors -> tensor
    ref: Callable  # float64 numpy arrays -> expected array
    shapes: list  # each entry: one tuple of input shapes
    domains: tuple = ("any",)
    grad: bool = True
    rtol: float = 1e-6
    grad_rtol: float = 1e-5
    grad_delta: float = 1e-6
    none_batch: bool = True  # also build with the first dim unknown
    wrt: tuple | None = None  # inputs to differentiate (default: all)

    def inputs(self, shapes, rng, dtype=np.float64):
        doms = self.domains if len(self.domains) == len(shapes) else self.domains * len(shapes)
        return [np.asarray(_sample(d, s, rng)).astype(dtype) for d, s in zip(doms, shapes, strict=True)]


UNARY = [((),), ((3, 4),), ((2, 3, 2),)]
BINARY = [((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4,), (3, 4)), ((2, 3), (2, 3))]


def _erf_ref(x):
    return np.vectorize(math.erf)(x)


def _erfc_ref(x):
    return np.vectorize(math.erfc)(x)


def _sigmoid_ref(x):
    return 1 / (1 + np.exp(-x))


def _logsumexp_ref(x, axis=None, keepdims=False):
    mx = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - mx), axis=axis, keepdims=True)) + mx
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


FLOAT_CASES = [
    # ---- elementwise binary ----
    Case("add", m.add, np.add, BINARY),
    Case("subtract", m.subtract, np.subtract, BINARY),
    Case("multiply", m.multiply, np.multiply, BINARY),
    Case("realdiv", m.realdiv, np.divide, BINARY, ("any", "nonzero")),
    Case("truediv", m.truediv, np.divide, BINARY, ("any", "nonzero")),
    Case("divide", m.divide, np.divide, BINARY, ("any", "nonzero")),
    Case("div", m.div, np.divide, BINARY, ("any", "nonzero")),
    Case("div_no_nan", m.div_no_nan, np.divide, BINARY, ("any", "nonzero")),
    Case("raw Div", lambda x, y: apply_op("Div", x, y), np.divide, BINARY, ("any", "nonzero")),
    Case("floormod", m.floormod, np.mod, BINARY, ("wide", "nonzero"), grad_rtol=1e-4),
    Case("pow", m.pow, np.power, BINARY, ("positive", "any")),
    Case("maximum", m.maximum, np.maximum, BINARY),
    Case("minimum", m.minimum, np.minimum, BINARY),
    Case("squared_difference", m.squared_difference, lambda x, y: (x - y) ** 2, BINARY),
    Case("atan2", m.atan2, np.arctan2, BINARY, ("nonzero", "nonzero")),
    Case("add_n", lambda x, y: m.add_n([x, y, x]), lambda x, y: 2 * x + y, [((3, 4), (3, 4)), ((), ())]),
    Case("accumulate_n", lambda x, y: m.accumulate_n([x, y]), np.add, [((2, 3), (2, 3))]),
    Case("scalar_mul", lambda x: m.scalar_mul(2.5, x), lambda x: 2.5 * x, UNARY),
    Case("clip_by_value", lambda t: comparison_ops.clip_by_value(t, -0.5, 0.7), lambda t: np.clip(t, -0.5, 0.7), UNARY),
    Case("clip_by_value tensors", comparison_ops.clip_by_value, lambda t, lo, hi: np.minimum(np.maximum(t, lo), hi),
         [((3, 4), (), ()), ((3, 4), (3, 4), (3, 4)), ((3, 4), (1, 4), ())], ("any", "any", "gt1")),
    # ---- elementwise unary ----
    Case("negative", unary_ops.negative, np.negative, UNARY),
    Case("abs", unary_ops.abs, np.abs, UNARY, ("nonzero",)),
    Case("square", unary_ops.square, np.square, UNARY),
    Case("sqrt", unary_ops.sqrt, np.sqrt, UNARY, ("positive",)),
    Case("rsqrt", unary_ops.rsqrt, lambda x: 1 / np.sqrt(x), UNARY, ("positive",)),
    Case("reciprocal", unary_ops.reciprocal, lambda x: 1 / x, UNARY, ("nonzero",)),
    Case("raw Inv", lambda x: apply_op("Inv", x), lambda x: 1 / x, UNARY, ("nonzero",)),
    Case("exp", unary_ops.exp, np.exp, UNARY),
    Case("expm1", unary_ops.expm1, np.expm1, UNARY),
    Case("log", unary_ops.log, np.log, UNARY, ("positive",)),
    Case("log1p", unary_ops.log1p, np.log1p, UNARY, ("positive",)),
    Case("sin", unary_ops.sin, np.sin, UNARY),
    Case("cos", unary_ops.cos, np.cos, UNARY),
    Case("tan", unary_ops.tan, np.tan, UNARY, ("unit",)),
    Case("asin", unary_ops.asin, np.arcsin, UNARY, ("unit",)),
    Case("acos", unary_ops.acos, np.arccos, UNARY, ("unit",)),
    Case("atan", unary_ops.atan, np.arctan, UNARY),
    Case("sinh", unary_ops.sinh, np.sinh, UNARY),
    Case("cosh", unary_ops.cosh, np.cosh, UNARY),
    Case("asinh", unary_ops.asinh, np.arcsinh, UNARY),
    Case("acosh", unary_ops.acosh, np.arccosh, UNARY, ("gt1",)),
    Case("atanh", unary_ops.atanh, np.arctanh, UNARY, ("unit",)),
    Case("tanh", unary_ops.tanh, np.tanh, UNARY),
    Case("sigmoid", unary_ops.sigmoid, _sigmoid_ref, UNARY, ("wide",)),
    Case("erf", unary_ops.erf, _erf_ref, UNARY, ("wide",)),
    Case("erfc", unary_ops.erfc, _erfc_ref, UNARY, ("wide",)),
    Case("cast float32", lambda x: cast_ops.cast(cast_ops.cast(x, tf.float32), x.dtype), lambda x: x.astype(np.float32),
         UNARY, grad_delta=1e-2, grad_rtol=1e-4),
    Case("to_double", lambda x: cast_ops.to_double(cast_ops.to_float(x)), lambda x: x.astype(np.float32), UNARY,
         grad_delta=1e-2, grad_rtol=1e-4),
    Case("where", lambda x, y: comparison_ops.where(comparison_ops.greater(x, y), x, y), np.maximum,
         [((3, 4), (3, 4)), ((), ())]),
    Case("where rows", lambda c, x, y: comparison_ops.where(comparison_ops.greater(c, 0.0), x, y),
         lambda c, x, y: np.where(c[:, None] > 0, x, y), [((3,), (3, 4), (3, 4))], wrt=(1, 2)),
    Case("where_v2", lambda c, x, y: comparison_ops.where_v2(comparison_ops.greater(c, 0.0), x, y),
         lambda c, x, y: np.where(c > 0, x, y), [((3, 1), (1, 4), ()), ((), (2, 3), (2, 3)), ((2, 3), (2, 3), (2, 3))],
         wrt=(1, 2)),
    # ---- reductions ----
    Case("reduce_sum", reduction_ops.reduce_sum, np.sum, UNARY),
    Case("reduce_sum axis=1", lambda x: reduction_ops.reduce_sum(x, 1), lambda x: x.sum(1), [((3, 4),), ((2, 3, 2),)]),
    Case("reduce_sum axis=-1 keepdims", lambda x: reduction_ops.reduce_sum(x, -1, keepdims=True),
         lambda x: x.sum(-1, keepdims=True), [((3, 4),), ((2, 3, 2),)]),
    Case("reduce_sum [0, 2]", lambda x: reduction_ops.reduce_sum(x, [0, 2]), lambda x: x.sum((0, 2)), [((2, 3, 2),)]),
    Case("reduce_sum keep_dims alias", lambda x: reduction_ops.reduce_sum(x, reduction_indices=[0], keep_dims=True),
         lambda x: x.sum(0, keepdims=True), [((3, 4),)]),
    Case("reduce_sum axis=[]", lambda x: reduction_ops.reduce_sum(x, []), lambda x: x, [((3, 4),)]),
    Case("reduce_mean", reduction_ops.reduce_mean, np.mean, UNARY),
    Case("reduce_mean axis=0", lambda x: reduction_ops.reduce_mean(x, 0), lambda x: x.mean(0),
         [((3, 4),), ((2, 3, 2),)]),
    Case("reduce_mean keepdims", lambda x: reduction_ops.reduce_mean(x, [1], keepdims=True),
         lambda x: x.mean(1, keepdims=True), [((3, 4),)]),
    Case("reduce_prod", reduction_ops.reduce_prod, np.prod, UNARY, ("nonzero",)),
    Case("reduce_prod axis=1", lambda x: reduction_ops.reduce_prod(x, 1), lambda x: x.prod(1),
         [((3, 4),), ((2, 3, 2),)]),
    Case("reduce_prod [0, 2] keepdims", lambda x: reduction_ops.reduce_prod(x, [0, 2], keepdims=True),
         lambda x: x.prod((0, 2), keepdims=True), [((2, 3, 2),)]),
    Case("reduce_max", reduction_ops.reduce_max, np.max, UNARY),
    Case("reduce_max axis=1", lambda x: reduction_ops.reduce_max(x, 1), lambda x: x.max(1), [((3, 4),), ((2, 3, 2),)]),
    Case("reduce_min keepdims", lambda x: reduction_ops.reduce_min(x, 0, keepdims=True),
         lambda x: x.min(0, keepdims=True), [((3, 4),)]),
    Case("reduce_logsumexp", reduction_ops.reduce_logsumexp, _logsumexp_ref, UNARY),
    Case("reduce_logsumexp axis=1", lambda x: reduction_ops.reduce_logsumexp(x, 1), lambda x: _logsumexp_ref(x, 1),
         [((3, 4),)]),
    Case("cumsum", lambda x: reduction_ops.cumsum(x, 1), lambda x: np.cumsum(x, 1), [((3, 4),)]),
    Case("cumsum exclusive", lambda x: reduction_ops.cumsum(x, 0, exclusive=True),
         lambda x: np.concatenate([np.zeros_like(x[:1]), np.cumsum(x, 0)[:-1]]), [((3, 4),)]),
    Case("cumsum reverse", lambda x: reduction_ops.cumsum(x, 1, reverse=True),
         lambda x: np.cumsum(x[:, ::-1], 1)[:, ::-1], [((3, 4),)]),
    Case("cumsum exclusive reverse", lambda x: reduction_ops.cumsum(x, -1, exclusive=True, reverse=True),
         lambda x: np.cumsum(x[::-1], 0)[::-1] - x, [((5,),)]),
    Case("cumprod", lambda x: reduction_ops.cumprod(x, 1), lambda x: np.cumprod(x, 1), [((3, 4),)], ("nonzero",)),
    Case("cumprod exclusive reverse", lambda x: reduction_ops.cumprod(x, 0, exclusive=True, reverse=True),
         lambda x: np.cumprod(x[::-1], 0)[::-1] / x, [((4, 2),)], ("nonzero",)),
    # ---- matrix products ----
    Case("matmul", matmul_ops.matmul, np.matmul, [((3, 4), (4, 5)), ((1, 4), (4, 1))]),
    Case("matmul transpose_a", lambda a, b: matmul_ops.matmul(a, b, transpose_a=True), lambda a, b: a.T @ b,
         [((4, 3), (4, 5))]),
    Case("matmul transpose_b", lambda a, b: matmul_ops.matmul(a, b, transpose_b=True), lambda a, b: a @ b.T,
         [((3, 4), (5, 4))]),
    Case("matmul transpose both", lambda a, b: matmul_ops.matmul(a, b, transpose_a=True, transpose_b=True),
         lambda a, b: a.T @ b.T, [((4, 3), (5, 4))]),
    Case("matmul adjoint_b", lambda a, b: matmul_ops.matmul(a, b, adjoint_b=True), lambda a, b: a @ b.T,
         [((3, 4), (5, 4))]),
    Case("batch matmul", matmul_ops.matmul, np.matmul,
         [((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]),
    Case("batch matmul transposes", lambda a, b: matmul_ops.matmul(a, b, transpose_a=True, transpose_b=True),
         lambda a, b: np.swapaxes(a, -1, -2) @ np.swapaxes(b, -1, -2), [((2, 4, 3), (2, 5, 4)), ((2, 4, 3), (5, 4))]),
    Case("batch matmul adjoint_a", lambda a, b: matmul_ops.matmul(a, b, adjoint_a=True),
         lambda a, b: np.swapaxes(a, -1, -2) @ b, [((2, 4, 3), (1, 4, 5))]),
    Case("raw BatchMatMul", lambda a, b: apply_op("BatchMatMul", a, b, adj_y=True),
         lambda a, b: a @ np.swapaxes(b, -1, -2), [((2, 3, 4), (2, 5, 4))]),
    Case("operator @", lambda a, b: a @ b, np.matmul, [((3, 4), (4, 2))]),
    # ---- Tensor operators ----
    Case("operators + - * /", lambda x, y: (x + y) * (x - y) / y, lambda x, y: (x + y) * (x - y) / y, BINARY,
         ("any", "nonzero")),
    Case("operators with scalars", lambda x: 2.0 - x * 3 + 1 / (x * x + 1), lambda x: 2.0 - x * 3 + 1 / (x * x + 1),
         UNARY),
    Case("operators ** and unary -", lambda x, y: -(x ** y) + abs(y), lambda x, y: -(x ** y) + np.abs(y), BINARY,
         ("positive", "nonzero")),
    Case("operator %", lambda x, y: x % y, np.mod, BINARY, ("wide", "nonzero"), grad_rtol=1e-4),
    Case("operator //", lambda x, y: x // y, np.floor_divide, BINARY, ("wide", "nonzero"), grad=False),
]

NON_GRAD_FLOAT_CASES = [
    Case("floordiv", m.floordiv, lambda x, y: np.floor(x / y), BINARY, ("wide", "nonzero"), grad=False),
    Case("floor", unary_ops.floor, np.floor, UNARY, ("wide",), grad=False),
    Case("ceil", unary_ops.ceil, np.ceil, UNARY, ("wide",), grad=False),
    Case("round", unary_ops.round, np.round, UNARY, ("wide",), grad=False),
    Case("rint", unary_ops.rint, np.rint, UNARY, ("wide",), grad=False),
    Case("truncatediv", m.truncatediv, lambda x, y: np.trunc(x / y), BINARY, ("wide", "nonzero"), grad=False),
    Case("truncatemod", m.truncatemod, np.fmod, BINARY, ("wide", "nonzero"), grad=False),
    Case("sign", unary_ops.sign, np.sign, UNARY, grad=False),
]


def _run(fetch, feed=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetch, feed)


def _check_forward(case: Case, shapes, dtype, rng, none_batch=False):
    inputs = case.inputs(shapes, rng, dtype)
    g = tf.Graph()
    with g.as_default():
        phs = []
        for a in inputs:
            shape = list(a.shape)
            if none_batch and shape:
                shape[0] = None
            phs.append(placeholder(dtypes.as_dtype(dtype), shape=shape))
        out = case.build(*phs)
        value = _run(out, dict(zip(phs, inputs, strict=True)), g)
    value = np.asarray(value)
    where = f"{case.label} {dtype.__name__} shapes={shapes} none_batch={none_batch}"
    assert out.dtype == value.dtype, f"{where}: inferred dtype {out.dtype.name}, kernel gave {value.dtype}"
    assert out.shape.is_compatible_with(value.shape), f"{where}: inferred {out.shape}, kernel gave {value.shape}"
    if not none_batch:
        assert out.shape.is_fully_defined() and tuple(out.shape.as_list()) == value.shape, (
            f"{where}: inferred {out.shape}, kernel gave {value.shape}")
    expected = case.ref(*[a.astype(np.float64) for a in inputs])
    rtol = case.rtol if dtype == np.float64 else max(case.rtol, 2e-5)
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=rtol, err_msg=where)
    return g


def _case_params(cases):
    return [pytest.param(c, s, id=f"{c.label}-{s}") for c in cases for s in c.shapes]


@pytest.mark.parametrize("case,shapes", _case_params(FLOAT_CASES + NON_GRAD_FLOAT_CASES))
def test_float_case_forward(case, shapes):
    rng = np.random.default_rng(1)
    for dtype in (np.float64, np.float32):
        _check_forward(case, shapes, dtype, rng)
    if case.none_batch and any(len(s) for s in shapes):
        _check_forward(case, shapes, np.float64, rng, none_batch=True)


@pytest.mark.parametrize("case,shapes", _case_params([c for c in FLOAT_CASES if c.grad]))
def test_float_case_gradient(case, shapes):
    rng = np.random.default_rng(2)
    inputs = case.inputs(shapes, rng)
    check_gradient(case.build, inputs, wrt=case.wrt, rtol=case.grad_rtol, delta=case.grad_delta,
                   label=f"{case.label} {shapes}")
    if case.none_batch and all(len(s) for s in shapes):
        check_gradient(case.build, inputs, wrt=case.wrt, rtol=case.grad_rtol, delta=case.grad_delta, none_batch=True,
                       label=f"{case.label} {shapes} (None batch)")


# ---- second derivatives of the gradient rules built from composed ops ------------------------------
@pytest.mark.parametrize("build,domain", [
    (unary_ops.sigmoid, "any"), (unary_ops.tanh, "any"), (unary_ops.sqrt, "positive"), (unary_ops.rsqrt, "positive"),
    (unary_ops.reciprocal, "nonzero"),
    (unary_ops.log, "positive"), (unary_ops.erf, "any"), (lambda x: m.pow(x, 3.0), "positive"),
])
def test_second_derivative(build, domain):
    rng = np.random.default_rng(3)

    def first_derivative(x):
        return gradients(reduction_ops.reduce_sum(build(x)), [x])[0]

    check_gradient(first_derivative, [_sample(domain, (3,), rng)], label="d2")


# ================================================================================================
# Integer and other-dtype tables: exact values and dtypes
# ================================================================================================
INT_X = np.array([-7, -3, 0, 3, 7, 8], dtype=np.int64)
INT_Y = np.array([2, -2, 3, -3, 3, 5], dtype=np.int64)

INT_CASES = [
    ("add", m.add, lambda x, y: x + y),
    ("subtract", m.subtract, lambda x, y: x - y),
    ("multiply", m.multiply, lambda x, y: x * y),
    ("floordiv", m.floordiv, lambda x, y: x // y),
    ("div (python 2: floor)", m.div, lambda x, y: x // y),
    ("floormod", m.floormod, lambda x, y: x % y),
    ("truncatediv", m.truncatediv, lambda x, y: np.trunc(x / y).astype(x.dtype)),
    ("truncatemod", m.truncatemod, lambda x, y: np.fmod(x, y)),
    ("raw Div (C: truncate)", lambda x, y: apply_op("Div", x, y), lambda x, y: np.trunc(x / y).astype(x.dtype)),
    ("maximum", m.maximum, np.maximum),
    ("minimum", m.minimum, np.minimum),
    ("squared_difference", m.squared_difference, lambda x, y: (x - y) ** 2),
    ("pow", lambda x, y: m.pow(x, unary_ops.abs(y)), lambda x, y: x ** np.abs(y)),
    ("negative", lambda x, y: unary_ops.negative(x), lambda x, y: -x),
    ("abs", lambda x, y: unary_ops.abs(x), lambda x, y: np.abs(x)),
    ("sign", lambda x, y: unary_ops.sign(x), lambda x, y: np.sign(x)),
    ("square", lambda x, y: unary_ops.square(x), lambda x, y: x * x),
    ("round is identity", lambda x, y: unary_ops.round(x), lambda x, y: x),
    ("operators", lambda x, y: (x + y) * 2 - x // y + x % y, lambda x, y: (x + y) * 2 - x // y + x % y),
    ("cumsum", lambda x, y: reduction_ops.cumsum(x), lambda x, y: np.cumsum(x)),
    ("add_n", lambda x, y: m.add_n([x, y, y]), lambda x, y: x + 2 * y),
]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
@pytest.mark.parametrize("label,build,ref", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_integer_case(label, build, ref, dtype):
    if label in ("pow", "truncatemod", "squared_difference") and dtype == np.int8:
        pytest.skip(f"TF's {label} takes no int8")
    x, y = INT_X.astype(dtype), INT_Y.astype(dtype)
    g = tf.Graph()
    with g.as_default():
        px = placeholder(dtypes.as_dtype(dtype), [None])
        py = placeholder(dtypes.as_dtype(dtype), [None])
        out = build(px, py)
        value = np.asarray(_run(out, {px: x, py: y}, g))
    assert out.dtype == value.dtype == dtype, label
    np.testing.assert_array_equal(value, ref(x, y).astype(dtype), err_msg=label)


def test_string_add_concatenates():
    with tf.Graph().as_default():
        s = constant(["ab", "c"])
        out = s + "!"
        assert out.op.type == "Add"
        np.testing.assert_array_equal(_run(out), np.array([b"ab!", b"c!"], dtype=object))


# ================================================================================================
# Exact edge values and kinks
# ================================================================================================
def _grads_at(build, *arrays):
    with tf.Graph().as_default():
        phs = [placeholder(tf.float64, a.shape) for a in arrays]
        grads = gradients(reduction_ops.reduce_sum(build(*phs)), phs)
        return _run(grads, dict(zip(phs, arrays, strict=True)))


def test_maximum_minimum_ties_send_gradient_to_x():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 0.0])
    gx, gy = _grads_at(m.maximum, x, y)
    np.testing.assert_array_equal(gx, [1, 0, 1])
    np.testing.assert_array_equal(gy, [0, 1, 0])
    gx, gy = _grads_at(m.minimum, x, y)
    np.testing.assert_array_equal(gx, [1, 1, 0])
    np.testing.assert_array_equal(gy, [0, 0, 1])


def test_clip_by_value_kinks():
    t = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    gt, glo, ghi = _grads_at(lambda a, b, c: comparison_ops.clip_by_value(a, b, c), t, np.array(-1.0), np.array(1.0))
    np.testing.assert_array_equal(gt, [0, 1, 1, 1, 0])
    assert glo == 1 and ghi == 1


def test_abs_and_sign_at_zero():
    x = np.array([-1.5, 0.0, 2.0])
    (g,) = _grads_at(unary_ops.abs, x)
    np.testing.assert_array_equal(g, [-1, 0, 1])
    (g,) = _grads_at(unary_ops.sign, x)
    np.testing.assert_array_equal(g, [0, 0, 0])


def test_max_gradient_splits_ties():
    (g,) = _grads_at(lambda a: reduction_ops.reduce_max(a, 1), np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(g, [[0, 0.5, 0.5], [1, 0, 0]])


def test_pow_gradient_at_zero_base():
    gx, gy = _grads_at(m.pow, np.array([0.0, 2.0]), np.array([2.0, 3.0]))
    np.testing.assert_allclose(gx, [0.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 8 * np.log(2.0)])


def test_non_differentiable_rounding_ops_give_none():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [3])
        for fn in (unary_ops.floor, unary_ops.ceil, unary_ops.round, unary_ops.rint, lambda v: m.floordiv(v, 2.0)):
            assert gradients(reduction_ops.reduce_sum(fn(x)), [x])[0] is None


def test_round_half_to_even():
    with tf.Graph().as_default():
        x = constant([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6], dtype=tf.float64)
        r, ri = _run([unary_ops.round(x), unary_ops.rint(x)])
    np.testing.assert_array_equal(r, [0, 2, 2, -0.0, -2, -2, 2, -3])
    np.testing.assert_array_equal(ri, r)


def test_floor_division_and_modulo_follow_python_signs():
    xs = [-7, 7, -7, 7, -6]
    ys = [3, -3, -3, 3, 3]
    with tf.Graph().as_default():
        xi, yi = constant(xs), constant(ys)
        xf, yf = constant(xs, dtype=tf.float32), constant(ys, dtype=tf.float32)
        vals = _run([m.floordiv(xi, yi), m.floormod(xi, yi), m.floordiv(xf, yf), m.floormod(xf, yf),
                     m.truncatediv(xi, yi), m.truncatemod(xi, yi), m.mod(xf, 2.5)])
    np.testing.assert_array_equal(vals[0], [a // b for a, b in zip(xs, ys, strict=True)])
    np.testing.assert_array_equal(vals[1], [a % b for a, b in zip(xs, ys, strict=True)])
    np.testing.assert_array_equal(vals[2], [a // b for a, b in zip(xs, ys, strict=True)])
    np.testing.assert_array_equal(vals[3], [a % b for a, b in zip(xs, ys, strict=True)])
    np.testing.assert_array_equal(vals[4], [int(a / b) for a, b in zip(xs, ys, strict=True)])
    np.testing.assert_array_equal(vals[5], [math.fmod(a, b) for a, b in zip(xs, ys, strict=True)])
    np.testing.assert_allclose(vals[6], [a % 2.5 for a in xs])


@pytest.mark.parametrize("fn", [m.floordiv, m.floormod, m.truncatediv, m.truncatemod, m.div,
                                lambda x, y: apply_op("Div", x, y)])
def test_integer_division_by_zero_fails(fn):
    with tf.Graph().as_default():
        out = fn(constant([1, 2]), constant([1, 0]))
        with pytest.raises(errors.InvalidArgumentError, match="Integer division by zero"):
            _run(out)


def test_float_division_by_zero_is_ieee():
    with tf.Graph().as_default():
        x = constant([1.0, -1.0, 0.0])
        vals = _run([x / 0.0, m.div_no_nan(x, 0.0), m.floordiv(x, 0.0)])
    np.testing.assert_array_equal(vals[0][:2], [np.inf, -np.inf])
    assert np.isnan(vals[0][2])
    np.testing.assert_array_equal(vals[1], [0, 0, 0])
    np.testing.assert_array_equal(vals[2][:2], [np.inf, -np.inf])


def test_integer_pow_negative_exponent_fails():
    with tf.Graph().as_default():
        out = m.pow(constant([2, 3]), constant([1, -1]))
        with pytest.raises(errors.InvalidArgumentError, match="Integers to negative integer powers are not allowed"):
            _run(out)
        np.testing.assert_array_equal(_run(m.pow(constant([2, 3]), 3)), [8, 27])


def test_sigmoid_saturates_without_overflow():
    with tf.Graph().as_default():
        x = constant([-1000.0, 0.0, 1000.0], dtype=tf.float32)
        np.testing.assert_array_equal(_run(unary_ops.sigmoid(x)), [0.0, 0.5, 1.0])


def test_erf_accuracy_against_math_erf():
    xs = np.concatenate([np.linspace(-8, 8, 4001), [0.0, 1e-300, -1e-12, 1.999999, 2.0, 2.000001, 30, -30]])
    with tf.Graph().as_default():
        p = placeholder(tf.float64, [None])
        e, ec = _run([unary_ops.erf(p), unary_ops.erfc(p)], {p: xs})
    ref = np.array([math.erf(v) for v in xs])
    ref_c = np.array([math.erfc(v) for v in xs])
    nz = ref != 0
    assert np.max(np.abs(e[nz] - ref[nz]) / np.abs(ref[nz])) < 1e-12
    assert np.all(e[~nz] == 0)
    pos = ref_c > 0
    assert np.max(np.abs(ec[pos] - ref_c[pos]) / ref_c[pos]) < 1e-11
    with tf.Graph().as_default():
        special = _run(unary_ops.erf(constant([np.inf, -np.inf, np.nan])))
    np.testing.assert_array_equal(special[:2], [1, -1])
    assert np.isnan(special[2])


def test_is_nan_inf_finite():
    with tf.Graph().as_default():
        x = constant([1.0, np.nan, np.inf, -np.inf], dtype=tf.float32)
        outs = [unary_ops.is_nan(x), unary_ops.is_inf(x), unary_ops.is_finite(x)]
        vals = _run(outs)
        assert all(o.dtype == tf.bool for o in outs)
        with pytest.raises(TypeError, match="DataType int32 not in list"):
            unary_ops.is_nan(constant([1]))
    np.testing.assert_array_equal(vals[0], [False, True, False, False])
    np.testing.assert_array_equal(vals[1], [False, False, True, True])
    np.testing.assert_array_equal(vals[2], [True, False, False, False])


# ================================================================================================
# truediv casting, operator names, dtype errors
# ================================================================================================
@pytest.mark.parametrize("dtype,out", [(tf.int8, tf.float32), (tf.int16, tf.float32), (tf.uint8, tf.float32),
                                       (tf.int32, tf.float64), (tf.int64, tf.float64), (tf.float32, tf.float32)])
def test_truediv_casts_integers(dtype, out):
    values = [7, 9] if dtype == tf.uint8 else [7, -7]
    with tf.Graph().as_default():
        x = constant(values, dtype=dtype)
        q = x / constant([2, 2], dtype=dtype)
        r = 2 / x
        assert q.dtype == out and r.dtype == out
        assert q.op.type == "RealDiv" and q.op.name == "truediv"
        vq, vr = _run([q, r])
    assert vq.dtype == out.as_numpy_dtype
    np.testing.assert_allclose(vq, np.array(values) / 2)
    np.testing.assert_allclose(vr, 2 / np.array(values), rtol=1e-6)


def test_operator_op_names_follow_tf1():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [2], name="x")
        y = placeholder(tf.float32, [2], name="y")
        ops_ = {
            "add": x + y, "sub": x - y, "mul": x * y, "truediv": x / y, "floordiv": x // y, "mod": x % y,
            "pow": x ** y, "Neg": -x, "Abs": abs(x), "Less": x < y, "LessEqual": x <= y, "Greater": x > y,
            "GreaterEqual": x >= y,
        }
        for name, t in ops_.items():
            assert t.op.name == name, (name, t.op.name)
        assert (x + y).op.name == "add_1"
        assert (x + 1.0).op.inputs[1].dtype == tf.float32
        assert (1.0 + x).op.type == "AddV2"
        a = placeholder(tf.float32, [2, 2])
        assert (a @ a).op.name == "matmul" and (a @ a).op.type == "MatMul"
        assert m.add(x, y).op.type == "AddV2"
        with tf.get_default_graph().name_scope("outer"):
            assert (x * y).op.name == "outer/mul"
            assert m.truediv(constant([1]), constant([2])).op.name == "outer/truediv"
        assert (x == y) is False and (x != y) is True  # == stays identity in TF1
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [2])
        assert m.add(x, x).op.name == "Add" and m.add(x, x).op.name == "Add_1"
        assert m.multiply(x, x).op.name == "Mul" and m.subtract(x, x).op.name == "Sub"
        assert m.divide(x, x).op.name == "truediv" and m.div(x, x).op.name == "div"
        assert m.divide(x, x, name="q").op.name == "q"
        assert m.pow(x, x).op.name == "Pow" and m.floordiv(x, x).op.name == "floordiv"
        a = placeholder(tf.float32, [2, 2])
        assert matmul_ops.matmul(a, a).op.name == "MatMul" and matmul_ops.matmul(a, a, name="mm").op.name == "mm"


def test_dtype_mismatch_errors():
    with tf.Graph().as_default():
        f32, f64 = constant([1.0]), constant([1.0], dtype=tf.float64)
        i32 = constant([1])
        with pytest.raises(TypeError, match="type float64 that does not match type float32"):
            m.add(f32, f64)
        with pytest.raises(TypeError, match="type float64 that does not match type float32"):
            _ = f32 * f64
        with pytest.raises(TypeError, match="Expected int32, got 1.5"):
            m.add(i32, 1.5)
        with pytest.raises(TypeError, match="unsupported operand type"):  # TF1's operator defers to float
            _ = i32 + 1.5
        with pytest.raises(TypeError, match=r"x and y must have the same dtype, got tf.int32 != tf.float32"):
            m.truediv(i32, 2.5)
        with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
            m.add(constant([True]), constant([False]))
        with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
            unary_ops.sqrt(i32)
        with pytest.raises(TypeError, match="DataType string not in list of allowed values"):
            comparison_ops.less(constant(["a"]), constant(["b"]))


def test_broadcast_shape_error_names_the_node():
    with tf.Graph().as_default():
        a, b = constant(np.zeros((2, 3))), constant(np.zeros((4, 3)))
        with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 2 and 4 for 'Mul' \(op: 'Mul'\)"):
            m.multiply(a, b)
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 4"):
            _ = a + b


# ================================================================================================
# AddN
# ================================================================================================
def test_add_n():
    with tf.Graph().as_default():
        a = constant([1.0, 2.0])
        assert m.add_n([a]) is a
        assert m.add_n([a], name="one").op.type == "Identity"
        out = m.add_n([a, a, [1.0, 1.0]])
        assert out.op.type == "AddN" and out.op.get_attr("N") == 3
        np.testing.assert_array_equal(_run(out), [3, 5])
        with pytest.raises(ValueError, match="inputs must be a list of at least one"):
            m.add_n([])
        with pytest.raises(ValueError, match="Dimension 0 in both shapes must be equal, but are 2 and 3"):
            m.add_n([a, constant([1.0, 2.0, 3.0])])
        with pytest.raises(TypeError, match="does not match type float32"):
            m.add_n([a, constant([1, 2])])
        p = placeholder(tf.float32, [None, 2])
        assert m.add_n([p, placeholder(tf.float32, [3, None])]).shape.as_list() == [3, 2]


# ================================================================================================
# Completeness: every math op is gradient-checked or declared non-differentiable here
# ================================================================================================
NOT_GRADIENT_CHECKED = {
    # comparisons, logic, predicates, indices: declared non-differentiable
    "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalNot",
    "IsNan", "IsInf", "IsFinite", "ArgMax", "ArgMin", "All", "Any",
    # TF gives these a None (or zero) gradient: checked exactly above
    "FloorDiv", "Floor", "Ceil", "Round", "Rint", "Sign",
    # TF registers no gradient for these
    "TruncateDiv", "TruncateMod", "Bitcast",
    # complex-only (ComplexAbs is gradient-checked in tests/core/test_complex_ops.py)
    "Conj", "ComplexAbs",
    # the legacy op types exist for GraphDefs written by TF1; same rules as AddV2
    "Add",
}


def _math_op_types():
    family = {mod.__name__ for mod in (m, unary_ops, comparison_ops, cast_ops, reduction_ops, matmul_ops)}

    def defined_here(fn):
        return getattr(fn, "__module__", None) in family

    return {name for name, d in registered_ops().items() if defined_here(d.kernel) or defined_here(d.infer)}


def test_every_math_op_is_covered():
    covered = set()
    for case in FLOAT_CASES:
        if not case.grad:
            continue
        for shapes in case.shapes:
            g = tf.Graph()
            with g.as_default():
                case.build(*[placeholder(tf.float64, s) for s in shapes])
            covered |= {op.type for op in g.get_operations()}
    missing = _math_op_types() - covered - NOT_GRADIENT_CHECKED
    assert not missing, f"math ops neither gradient-checked nor declared non-differentiable: {sorted(missing)}"
    for name in NOT_GRADIENT_CHECKED:
        assert name in registered_ops(), name


def test_non_differentiable_ops_are_declared():
    ops_ = registered_ops()
    for name in ("Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
                 "LogicalNot", "IsNan", "IsInf", "IsFinite", "ArgMax", "ArgMin", "All", "Any"):
        assert ops_[name].differentiable is False, name


# ================================================================================================
# The same table on cupy
# ================================================================================================
@pytest.mark.parametrize("case,shapes", _case_params(FLOAT_CASES + NON_GRAD_FLOAT_CASES))
def test_float_case_on_gpu(case, shapes, gpu):
    rng = np.random.default_rng(1)
    inputs = case.inputs(shapes, rng)
    g = tf.Graph()
    with g.as_default(), g.device("/gpu:0"):
        phs = [placeholder(tf.float64, a.shape) for a in inputs]
        out = case.build(*phs)
        grads = gradients(reduction_ops.reduce_sum(out), phs) if case.grad else []
    with tf.Session(graph=g) as sess:
        value, *grad_values = sess.run([out] + [x for x in grads if x is not None],
                                       dict(zip(phs, inputs, strict=True)))
    np.testing.assert_allclose(np.asarray(value), case.ref(*inputs), rtol=1e-6, atol=1e-6)
    assert out.dtype == np.asarray(value).dtype
    for gv in grad_values:
        assert np.all(np.isfinite(np.asarray(gv)))


# ================================================================================================
# Every elementwise op over every dtype it accepts: the kernel returns exactly the inferred dtype
# ================================================================================================
def _sample_of(dtype: dtypes.DType, shape):
    if dtype.is_complex:
        return np.full(shape, 0.5 + 0.25j, dtype.as_numpy_dtype)
    if dtype.is_floating:
        return np.linspace(0.1, 0.9, int(np.prod(shape))).reshape(shape).astype(dtype.as_numpy_dtype)
    if dtype.is_bool:
        return np.arange(int(np.prod(shape))).reshape(shape) % 2 == 0
    return (np.arange(int(np.prod(shape))).reshape(shape) % 3 + 1).astype(dtype.as_numpy_dtype)


def _sweep_params():
    params = []
    for name, allowed, *_ in unary_ops._UNARY + m._BINARY:
        arity = 1 if any(name == u[0] for u in unary_ops._UNARY) else 2
        params += [pytest.param(name, arity, d, id=f"{name}-{d.name}") for d in allowed if d != dtypes.string]
    return params


@pytest.mark.parametrize("op_type,arity,dtype", _sweep_params())
def test_kernel_dtype_matches_inference(op_type, arity, dtype):
    with tf.Graph().as_default():
        phs = [placeholder(dtype, [None, 3]) for _ in range(arity)]
        out = apply_op(op_type, *phs)
        with np.errstate(all="ignore"):
            value = _run(out, {p: _sample_of(dtype, (2, 3)) for p in phs})
    value = np.asarray(value)
    assert value.dtype == out.dtype.as_numpy_dtype, f"{op_type}({dtype.name}) gave {value.dtype}, inferred {out.dtype}"
    assert value.shape == (2, 3)


@pytest.mark.parametrize("op_type", ["Sum", "Mean", "Prod", "Max", "Min"])
@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64, tf.int8, tf.int16, tf.int32, tf.int64,
                                   tf.uint8, tf.uint16, tf.uint32, tf.uint64])
def test_reduction_dtype_matches_inference(op_type, dtype):
    with tf.Graph().as_default():
        p = placeholder(dtype, [None, 3])
        outs = [apply_op(op_type, p, np.int32(1)), apply_op(op_type, p, np.array([0, 1], np.int32), keep_dims=True)]
        vals = _run(outs, {p: _sample_of(dtype, (2, 3))})
    for o, v in zip(outs, vals, strict=True):
        assert np.asarray(v).dtype == o.dtype.as_numpy_dtype
        assert o.shape.is_compatible_with(np.shape(v))


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_ops_against_numpy():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
    t = tf.constant(x)
    out = run({
        "sum": tf.reduce_sum(t, axis=1, keepdims=True), "mean": tf.reduce_mean(t), "max": tf.reduce_max(t, 0),
        "argmax": tf.argmax(t, axis=1), "cumprod": tf.cumprod(t, axis=1), "tile": tf.tile(t, [1, 2]),
        "pad": tf.pad(t, [[1, 0], [0, 1]]), "rev": tf.reverse(t, [1]), "tr": tf.transpose(t),
        "split": tf.split(t, [1, 2], axis=1), "unstack": tf.unstack(t), "sqz": tf.squeeze(tf.expand_dims(t, 0)),
        "gnd": tf.gather_nd(t, [[0, 1], [1, 2]]), "snd": tf.scatter_nd([[1], [3]], [5, 6], [4]),
        "uniq": tf.unique([3, 1, 3, 2])[0], "inv": tf.invert_permutation([2, 0, 1]),
        "bcast": tf.broadcast_to([1, 2], [2, 2]), "slice": tf.slice(t, [0, 1], [2, 2]),
        "erf": tf.erf(t), "round": tf.round(tf.constant([0.5, 1.5, 2.5])),
    })
    np.testing.assert_allclose(out["sum"], x.sum(1, keepdims=True))
    np.testing.assert_allclose(out["mean"], x.mean(), rtol=1e-6)
    np.testing.assert_allclose(out["max"], x.max(0))
    assert out["argmax"].dtype == np.int64 and out["argmax"].tolist() == [2, 1]
    np.testing.assert_allclose(out["cumprod"], np.cumprod(x, 1))
    np.testing.assert_allclose(out["tile"], np.tile(x, [1, 2]))
    np.testing.assert_allclose(out["pad"], np.pad(x, [[1, 0], [0, 1]]))
    np.testing.assert_allclose(out["rev"], x[:, ::-1])
    np.testing.assert_allclose(out["tr"], x.T)
    np.testing.assert_allclose(out["split"][1], x[:, 1:])
    np.testing.assert_allclose(out["unstack"][1], x[1])
    np.testing.assert_allclose(out["sqz"], x)
    np.testing.assert_allclose(out["gnd"], [-2.0, -1.0])
    assert out["snd"].tolist() == [0, 5, 0, 6]
    assert out["uniq"].tolist() == [3, 1, 2]
    assert out["inv"].tolist() == [1, 2, 0]
    assert out["bcast"].tolist() == [[1, 2], [1, 2]]
    np.testing.assert_allclose(out["slice"], x[:, 1:3])
    from math import erf

    np.testing.assert_allclose(out["erf"], np.vectorize(erf)(x), rtol=1e-5)
    assert out["round"].tolist() == [0.0, 2.0, 2.0]  # banker's rounding, as TF


@pytest.mark.usefixtures("g")
def test_broadcasting_is_numpys():
    a = tf.placeholder(tf.float32, [None, 1])
    b = tf.constant([1.0, 2.0, 3.0])
    c = a + b
    assert c.shape.as_list() == [None, 3]
    assert run(c, {a: [[1.0], [2.0]]}).tolist() == [[2, 3, 4], [3, 4, 5]]


@pytest.mark.usefixtures("g")
def test_broadcast_error_at_graph_build_in_tf1_form():
    a = tf.placeholder(tf.float32, [None, 2])
    b = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(ValueError) as e:
        tf.add(a, b)
    assert str(e.value).startswith(
        "Dimensions must be equal, but are 2 and 3 for 'Add' (op: 'AddV2') with input shapes: [?,2], [3]."
    )


@pytest.mark.parametrize("op_type,arity,dtype", _sweep_params())
def test_kernel_dtype_on_gpu(op_type, arity, dtype, gpu):
    """The dtype sweep on '/gpu:0': the same values and dtypes as on the CPU."""
    values = []
    for device in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(device):
            phs = [placeholder(dtype, [None, 3]) for _ in range(arity)]
            out = apply_op(op_type, *phs)
            with np.errstate(all="ignore"):
                values.append(np.asarray(_run(out, {p: _sample_of(dtype, (2, 3)) for p in phs})))
    _assert_same_on_gpu(values[1], values[0], gpu, f"{op_type}({dtype.name})")


@pytest.mark.parametrize("op_type", ["Sum", "Mean", "Prod", "Max", "Min"])
@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64, tf.int8, tf.int16, tf.int32, tf.int64,
                                   tf.uint8, tf.uint16, tf.uint32, tf.uint64])
def test_reduction_dtype_on_gpu(op_type, dtype, gpu):
    """The reduction dtype sweep on '/gpu:0': the same values and dtypes as on the CPU."""
    values = []
    for device in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(device):
            p = placeholder(dtype, [None, 3])
            outs = [apply_op(op_type, p, np.int32(1)), apply_op(op_type, p, np.array([0, 1], np.int32), keep_dims=True)]
            values.append([np.asarray(v) for v in _run(outs, {p: _sample_of(dtype, (2, 3))})])
    for cpu, on_gpu in zip(*values, strict=True):
        _assert_same_on_gpu(on_gpu, cpu, gpu, f"{op_type}({dtype.name})")


def _assert_same_on_gpu(on_gpu, cpu, gpu, label):
    """The stand-in runs numpy's own kernels: exactly equal. Real cupy: floats within rounding."""
    assert on_gpu.dtype == cpu.dtype, label
    if gpu.ndarray is cupy_standin.ndarray or cpu.dtype.kind not in "fc":
        np.testing.assert_array_equal(on_gpu, cpu, err_msg=label)
    else:
        np.testing.assert_allclose(on_gpu, cpu, rtol=2e-3 if cpu.dtype == np.float16 else 1e-5, err_msg=label)


def test_binary_ops_take_only_the_dtypes_tensorflow_allows():
    """A graph TF would refuse (TruncateMod of int8, SquaredDifference of uint16) can't be built either, so every graph
    estflow builds imports back (GraphDef import checks TF's allowed values)."""
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="DataType int8 not in list of allowed values"):
            m.truncatemod(constant([1], tf.int8), constant([1], tf.int8))
        with pytest.raises(TypeError, match="DataType uint16 not in list of allowed values"):
            m.squared_difference(constant([1], tf.uint16), constant([1], tf.uint16))
        assert m.add(constant([1], tf.uint16), constant([1], tf.uint16)).dtype == tf.uint16  # AddV2 takes it


# ---- Mul's compile-time fusion: a gather masked by ids >= 0 (feature columns' weighted sums) ----------------
def _masked_gather(table, ids):
    zero = constant(0, ids.dtype)
    rows = apply_op("GatherV2", table, m.maximum(ids, zero), constant(0, dtypes.int32), batch_dims=0)
    keep = cast_ops.cast(comparison_ops.greater_equal(ids, constant(0, ids.dtype)), dtypes.float32)
    return rows * tf.expand_dims(keep, -1)


def test_masked_gather_runs_as_one_plan_step_with_the_unfused_result():
    table = constant(np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0)
    ids = placeholder(tf.int64, [None])
    out = _masked_gather(table, ids)
    fusion = registered_ops()["Mul"].fuse(out.op)
    assert fusion is not None and fusion.inputs == (table, ids)
    want_table = np.arange(12, dtype=np.float32).reshape(4, 3) - 5.0
    with tf.Session() as sess:
        for v in ([0, 3, -1, 2], [-1], []):
            v = np.asarray(v, np.int64)
            want = want_table[np.maximum(v, 0)] * (v >= 0).astype(np.float32)[:, None]
            got = sess.run(out, {ids: v})
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))  # -5 * 0 stays -0, as Mul gives
            assert got.dtype == np.float32 and got.shape == want.shape
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not in \[0, 4\)"):
            sess.run(out, {ids: np.array([0, 4], np.int64)})
        plan = Compiler(sess).compile([out], [ids])
        assert [step[5].type for step in plan.steps] == ["Mul"]
        rows = out.op.inputs[0]  # a fed intermediate: the plan runs the ops as written
        fed = sess.run(out, {ids: np.array([1, -1], np.int64), rows: np.ones((2, 3), np.float32)})
        np.testing.assert_array_equal(fed, [[1, 1, 1], [0, 0, 0]])


def test_masked_gather_fusion_needs_the_exact_pattern():
    table = constant(np.ones((4, 3), np.float32))
    ids = placeholder(tf.int64, [None])
    mul = registered_ops()["Mul"].fuse
    shared = _masked_gather(table, ids)
    assert mul(shared.op) is not None
    tf.identity(shared.op.inputs[0])  # the gathered rows have a second reader: nothing to skip
    assert mul(shared.op) is None
    rows = apply_op("GatherV2", table, m.maximum(ids, constant(1, tf.int64)), constant(0, dtypes.int32),
                    batch_dims=0)
    keep = cast_ops.cast(comparison_ops.greater_equal(ids, constant(0, tf.int64)), dtypes.float32)
    assert mul((rows * tf.expand_dims(keep, -1)).op) is None  # Maximum(ids, 1): another computation
    assert mul((constant(2.0) * constant(3.0)).op) is None


def test_masked_gather_of_variable_weights_reads_the_variable_in_its_own_step():
    weights = tf.Variable(np.array([[1.0], [-2.0]], np.float32), name="w")
    ids = placeholder(tf.int64, [None])
    out = _masked_gather(weights, ids)
    fusion = registered_ops()["Mul"].fuse(out.op)
    assert fusion.inputs[0].op.type == "VariableV2" and weights.value() in fusion.skipped
    with tf.Session() as sess:
        sess.run(weights.initializer)
        np.testing.assert_array_equal(sess.run(out, {ids: [1, -1, 0]}), [[-2.0], [-0.0], [1.0]])
        plan = Compiler(sess).compile([out], [ids])
        assert [step[5].type for step in plan.steps] == ["VariableV2", "Mul"]
