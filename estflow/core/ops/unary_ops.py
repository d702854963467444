"""Elementwise unary math (Neg, Abs, Sqrt, Exp, Log, trig, Erf, Sigmoid, ...), predicates and ComplexAbs.

Also the `-x`, `abs(x)` and `~x` Tensor operators.
"""

from __future__ import annotations

import math

from estflow.core import dtypes, row_rules
from estflow.core.graph import Tensor
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.math_ops import (
    _BOOL,
    _COMPLEX,
    _FLOAT_COMPLEX,
    _FLOATS,
    _SIGNED,
    _SIGNED_NUMERIC,
    _SIGNED_REAL,
    _check_dtype,
    _const,
    _int_zero_check,
    _is_int,
    _ones,
    _plain,
    add,
    div_no_nan,
    multiply,
    realdiv,
    subtract,
)
from estflow.core.registry import OpDef, TensorSpec, apply_op, register


# ================================================================================================
# Elementwise unary ops
# ================================================================================================
def _infer_unary(allowed, out_dtype=None):
    def infer(x, **_):
        _check_dtype(x, allowed, "x")
        return TensorSpec(x.shape, out_dtype or x.dtype)

    return infer


def _unary(xp_fn):
    def kernel(xp, x):
        return getattr(xp, xp_fn)(x)

    return kernel


def _sigmoid_kernel(xp, x):
    if x.dtype.kind == "c":  # no order on complex numbers: the plain formula
        return 1 / (1 + xp.exp(-x))
    # NOTE: exp(-|x|) never overflows; the two branches are the same function.
    e = xp.exp(-xp.abs(x))
    one = xp.ones_like(e)
    return xp.where(x >= 0, one / (one + e), e / (one + e)).astype(x.dtype, copy=False)


def _rsqrt_kernel(xp, x):
    return (1 / xp.sqrt(x)).astype(x.dtype, copy=False)


def _reciprocal_kernel(xp, x):
    if _is_int(x):  # C integer division: 1 / x
        _int_zero_check(xp, x, x)
        return xp.where(xp.abs(x) == 1, x, xp.zeros_like(x))
    return xp.reciprocal(x)


def _round_kernel(xp, x):
    return x if _is_int(x) else xp.around(x)  # rounds half to even, as TF does


def _sign_kernel(xp, x):
    if x.dtype.kind == "c":
        mag = xp.abs(x)
        return xp.where(mag == 0, xp.zeros_like(x), x / xp.where(mag == 0, 1, mag)).astype(x.dtype)
    return xp.sign(x)


# erf without scipy: two expansions, each accurate to ~1e-14 relative on its side of |x| = 2.
_ERF_SPLIT = 2.0
_ERF_TERMS = 40
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)


def _erf_parts(xp, x):
    """(erf(|x|) for |x| < 2, erfc(|x|) for |x| >= 2, |x|), all in float64."""
    ax = xp.abs(x.astype(xp.float64))
    small = xp.where(ax < _ERF_SPLIT, ax, 0.0)
    # erf(x) = 2/sqrt(pi) e^{-x^2} sum_k 2^k x^{2k+1} / (1*3*...*(2k+1)): all terms positive.
    x2 = small * small
    term = small
    total = small
    for k in range(1, _ERF_TERMS):
        term = term * (2.0 * x2) / (2 * k + 1)
        total = total + term
    erf_small = _TWO_OVER_SQRT_PI * xp.exp(-x2) * total
    # erfc(x) = e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
    big = xp.where(ax >= _ERF_SPLIT, ax, _ERF_SPLIT)
    big = xp.where(xp.isfinite(big), big, 1e10)
    t = big
    for k in range(_ERF_TERMS, 0, -1):
        t = big + (0.5 * k) / t
    erfc_big = xp.exp(-big * big) / (_SQRT_PI * t)
    return erf_small, erfc_big, ax


def _erf_kernel(xp, x):
    erf_small, erfc_big, ax = _erf_parts(xp, x)
    y = xp.where(ax < _ERF_SPLIT, erf_small, 1.0 - erfc_big)
    y = xp.where(x < 0, -y, y)
    return xp.where(xp.isnan(x), x, y.astype(x.dtype))


def _erfc_kernel(xp, x):
    erf_small, erfc_big, ax = _erf_parts(xp, x)
    pos = xp.where(ax < _ERF_SPLIT, 1.0 - erf_small, erfc_big)  # erfc(|x|)
    y = xp.where(x < 0, 2.0 - pos, pos)
    return xp.where(xp.isnan(x), x, y.astype(x.dtype))


# ---- gradients (TF's formulas) ----


def _neg_grad(op, grad):
    return (negative(grad),)


def _abs_grad(op, grad):
    return (multiply(grad, sign(op.inputs[0])),)


def _sign_grad(op, grad):
    return (apply_op("ZerosLike", op.inputs[0], name="zeros_like"),)


def _square_grad(op, grad):
    x = op.inputs[0]
    return (multiply(grad, multiply(_const(2, x.dtype), conj(x))),)


def _sqrt_grad(op, grad):  # TF's SqrtGrad: dy * 0.5 / y
    y = conj(op.outputs[0])
    return (realdiv(multiply(grad, _const(0.5, y.dtype)), y),)


def _rsqrt_grad(op, grad):  # TF's RsqrtGrad: dy * -0.5 * y^3
    y = conj(op.outputs[0])
    return (multiply(grad, multiply(_const(-0.5, y.dtype), multiply(square(y), y))),)


def _reciprocal_grad(op, grad):  # TF's ReciprocalGrad: -dy * y^2
    y = conj(op.outputs[0])
    return (negative(multiply(grad, square(y))),)


def _exp_grad(op, grad):
    return (multiply(grad, conj(op.outputs[0])),)


def _expm1_grad(op, grad):
    return (multiply(grad, exp(conj(op.inputs[0]))),)


def _log_grad(op, grad):
    return (multiply(grad, reciprocal(conj(op.inputs[0]))),)


def _log1p_grad(op, grad):
    x = conj(op.inputs[0])
    return (multiply(grad, reciprocal(add(_ones(x.dtype), x))),)


def _sin_grad(op, grad):
    return (multiply(grad, cos(conj(op.inputs[0]))),)


def _cos_grad(op, grad):
    return (negative(multiply(grad, sin(conj(op.inputs[0])))),)


def _tan_grad(op, grad):
    sec = reciprocal(cos(conj(op.inputs[0])))
    return (multiply(grad, square(sec)),)


def _asin_grad(op, grad):
    x = conj(op.inputs[0])
    return (multiply(grad, rsqrt(subtract(_ones(x.dtype), square(x)))),)


def _acos_grad(op, grad):
    x = conj(op.inputs[0])
    return (negative(multiply(grad, rsqrt(subtract(_ones(x.dtype), square(x))))),)


def _atan_grad(op, grad):
    x = conj(op.inputs[0])
    return (multiply(grad, reciprocal(add(_ones(x.dtype), square(x)))),)


def _sinh_grad(op, grad):
    return (multiply(grad, cosh(conj(op.inputs[0]))),)


def _cosh_grad(op, grad):
    return (multiply(grad, sinh(conj(op.inputs[0]))),)


def _asinh_grad(op, grad):
    return (realdiv(grad, cosh(conj(op.outputs[0]))),)


def _acosh_grad(op, grad):
    return (realdiv(grad, sinh(conj(op.outputs[0]))),)


def _atanh_grad(op, grad):
    x = conj(op.inputs[0])
    return (multiply(grad, reciprocal(subtract(_ones(x.dtype), square(x)))),)


def _tanh_grad(op, grad):  # TF's TanhGrad: dy * (1 - y^2)
    y = conj(op.outputs[0])
    return (multiply(grad, subtract(_ones(y.dtype), square(y))),)


def _sigmoid_grad(op, grad):  # TF's SigmoidGrad: dy * y * (1 - y)
    y = conj(op.outputs[0])
    return (multiply(grad, multiply(y, subtract(_ones(y.dtype), y))),)


def _erf_grad(op, grad):
    x = op.inputs[0]
    return (multiply(grad, multiply(_const(_TWO_OVER_SQRT_PI, x.dtype), exp(negative(square(x))))),)


def _erfc_grad(op, grad):
    x = op.inputs[0]
    return (multiply(grad, multiply(_const(-_TWO_OVER_SQRT_PI, x.dtype), exp(negative(square(x))))),)


def _conj_grad(op, grad):
    return (conj(grad),)


def _no_grad_1(op, grad):  # TF registers Floor, Ceil, Round and Rint with a None gradient
    return (None,)


_UNARY = [
    # name, allowed dtypes, kernel, gradient
    ("Neg", _SIGNED_NUMERIC, _plain("negative"), _neg_grad),
    ("Abs", _SIGNED_REAL, _plain("abs"), _abs_grad),
    ("Sign", _SIGNED_NUMERIC, _sign_kernel, _sign_grad),
    ("Square", _SIGNED_NUMERIC, _plain("square"), _square_grad),
    ("Sqrt", _FLOAT_COMPLEX, _unary("sqrt"), _sqrt_grad),
    ("Rsqrt", _FLOAT_COMPLEX, _rsqrt_kernel, _rsqrt_grad),
    ("Reciprocal", _FLOAT_COMPLEX + (dtypes.int32, dtypes.int64), _reciprocal_kernel, _reciprocal_grad),
    ("Inv", _FLOAT_COMPLEX + (dtypes.int32, dtypes.int64), _reciprocal_kernel, _reciprocal_grad),
    ("Exp", _FLOAT_COMPLEX, _unary("exp"), _exp_grad),
    ("Expm1", _FLOAT_COMPLEX, _unary("expm1"), _expm1_grad),
    ("Log", _FLOAT_COMPLEX, _unary("log"), _log_grad),
    ("Log1p", _FLOAT_COMPLEX, _unary("log1p"), _log1p_grad),
    ("Sin", _FLOAT_COMPLEX, _unary("sin"), _sin_grad),
    ("Cos", _FLOAT_COMPLEX, _unary("cos"), _cos_grad),
    ("Tan", _FLOAT_COMPLEX, _unary("tan"), _tan_grad),
    ("Asin", _FLOAT_COMPLEX, _unary("arcsin"), _asin_grad),
    ("Acos", _FLOAT_COMPLEX, _unary("arccos"), _acos_grad),
    ("Atan", _FLOAT_COMPLEX, _unary("arctan"), _atan_grad),
    ("Sinh", _FLOAT_COMPLEX, _unary("sinh"), _sinh_grad),
    ("Cosh", _FLOAT_COMPLEX, _unary("cosh"), _cosh_grad),
    ("Tanh", _FLOAT_COMPLEX, _unary("tanh"), _tanh_grad),
    ("Asinh", _FLOAT_COMPLEX, _unary("arcsinh"), _asinh_grad),
    ("Acosh", _FLOAT_COMPLEX, _unary("arccosh"), _acosh_grad),
    ("Atanh", _FLOAT_COMPLEX, _unary("arctanh"), _atanh_grad),
    ("Sigmoid", _FLOAT_COMPLEX, _sigmoid_kernel, _sigmoid_grad),
    ("Erf", _FLOATS, _erf_kernel, _erf_grad),
    ("Erfc", _FLOATS, _erfc_kernel, _erfc_grad),
    ("Conj", _COMPLEX, _plain("conj"), _conj_grad),
    ("Floor", _FLOATS, _plain("floor"), _no_grad_1),
    ("Ceil", _FLOATS, _plain("ceil"), _no_grad_1),
    ("Round", _FLOATS + _SIGNED, _round_kernel, _no_grad_1),
    ("Rint", _FLOATS, _plain("rint"), _no_grad_1),
]
for _name, _allowed, _kernel, _grad in _UNARY:
    if _name == "Conj":  # TF's Conj names its args like an array op, and defaults T to complex64
        _args = {"input_names": ("input: T",), "output_names": ("output: T",), "attr_types": {"T": "type = complex64"}}
    else:
        _args = {"input_names": ("x: T",), "output_names": ("y: T",), "attr_types": {"T": "type"}}
    register(OpDef(_name, infer=_infer_unary(_allowed), kernel=_kernel, grad=_grad, row_wise=row_rules.elementwise,
                   **_args))

# Predicates and logical not: bool results, not differentiable.
for _name, _allowed, _fn in (("IsNan", _FLOATS, "isnan"), ("IsInf", _FLOATS, "isinf"),
                             ("IsFinite", _FLOATS, "isfinite"), ("LogicalNot", _BOOL, "logical_not")):
    register(OpDef(_name, infer=_infer_unary(_allowed, dtypes.bool), kernel=_plain(_fn), grad=None,
                   differentiable=False, input_names=("x: bool",) if _name == "LogicalNot" else ("x: T",),
                   output_names=("y: bool",), attr_types={} if _name == "LogicalNot" else {"T": "type"},
                   row_wise=row_rules.elementwise))


def _complex_abs_infer(x, *, Tout):  # noqa: N803 - TF's attr name
    _check_dtype(x, _COMPLEX, "x")
    return TensorSpec(x.shape, Tout)


def _complex_abs_grad(op, grad):  # TF's: grad * x / |x|, 0 where x == 0 (Complex is complex_ops' op)
    y = op.outputs[0]
    x = op.inputs[0]
    grad_c = apply_op("Complex", grad, apply_op("ZerosLike", grad, name="zeros_like"), Tout=x.dtype)
    y_c = apply_op("Complex", y, apply_op("ZerosLike", y, name="zeros_like"), Tout=x.dtype)
    return (div_no_nan(multiply(grad_c, x), y_c),)


register(OpDef("ComplexAbs", infer=_complex_abs_infer, kernel=lambda xp, x, Tout: xp.abs(x), grad=_complex_abs_grad,
               attrs={"Tout": dtypes.float32},
               input_names=("x: T",), output_names=("y: Tout",), attr_types={"T": "type = complex64", "Tout": "type"},
               row_wise=row_rules.elementwise))


# ---- public TF1 functions ----
def negative(x, name=None):
    """Elementwise -x, as `tf.negative`."""
    return apply_op("Neg", x, name=name or "Neg")


def abs(x, name=None):  # noqa: A001 - TF's public name
    """Elementwise |x|, as `tf.abs` (complex inputs give their real magnitude)."""
    x = convert_to_tensor(x, name="x")
    if x.dtype.is_complex:
        return apply_op("ComplexAbs", x, name=name or "Abs", Tout=x.dtype.real_dtype)
    return apply_op("Abs", x, name=name or "Abs")


def _unary_fn(op_type, doc):
    def fn(x, name=None):
        return apply_op(op_type, x, name=name or op_type)

    fn.__doc__ = doc
    return fn


sign = _unary_fn("Sign", "Elementwise -1, 0 or 1 by the sign of x, as `tf.sign`.")
square = _unary_fn("Square", "Elementwise x * x, as `tf.square`.")
sqrt = _unary_fn("Sqrt", "Elementwise square root, as `tf.sqrt`.")
rsqrt = _unary_fn("Rsqrt", "Elementwise 1 / sqrt(x), as `tf.rsqrt`.")
reciprocal = _unary_fn("Reciprocal", "Elementwise 1 / x, as `tf.reciprocal`.")
exp = _unary_fn("Exp", "Elementwise e ** x, as `tf.exp`.")
expm1 = _unary_fn("Expm1", "Elementwise e ** x - 1, as `tf.expm1`.")
log = _unary_fn("Log", "Elementwise natural logarithm, as `tf.log`.")
log1p = _unary_fn("Log1p", "Elementwise log(1 + x), as `tf.log1p`.")
sin = _unary_fn("Sin", "Elementwise sine, as `tf.sin`.")
cos = _unary_fn("Cos", "Elementwise cosine, as `tf.cos`.")
tan = _unary_fn("Tan", "Elementwise tangent, as `tf.tan`.")
asin = _unary_fn("Asin", "Elementwise arcsine, as `tf.asin`.")
acos = _unary_fn("Acos", "Elementwise arccosine, as `tf.acos`.")
atan = _unary_fn("Atan", "Elementwise arctangent, as `tf.atan`.")
sinh = _unary_fn("Sinh", "Elementwise hyperbolic sine, as `tf.sinh`.")
cosh = _unary_fn("Cosh", "Elementwise hyperbolic cosine, as `tf.cosh`.")
asinh = _unary_fn("Asinh", "Elementwise inverse hyperbolic sine, as `tf.asinh`.")
acosh = _unary_fn("Acosh", "Elementwise inverse hyperbolic cosine, as `tf.acosh`.")
atanh = _unary_fn("Atanh", "Elementwise inverse hyperbolic tangent, as `tf.atanh`.")
tanh = _unary_fn("Tanh", "Elementwise hyperbolic tangent, as `tf.tanh`.")
sigmoid = _unary_fn("Sigmoid", "Elementwise 1 / (1 + exp(-x)), as `tf.sigmoid`.")
erf = _unary_fn("Erf", "Elementwise Gauss error function, as `tf.erf`.")
erfc = _unary_fn("Erfc", "Elementwise complementary error function 1 - erf(x), as `tf.erfc`.")
floor = _unary_fn("Floor", "Elementwise largest integer <= x, as `tf.floor`.")
ceil = _unary_fn("Ceil", "Elementwise smallest integer >= x, as `tf.ceil`.")
rint = _unary_fn("Rint", "Elementwise nearest integer, halves to even, as `tf.rint`.")
is_nan = _unary_fn("IsNan", "Elementwise x is NaN, as `tf.is_nan`.")
is_inf = _unary_fn("IsInf", "Elementwise x is +-inf, as `tf.is_inf`.")
is_finite = _unary_fn("IsFinite", "Elementwise x is neither NaN nor inf, as `tf.is_finite`.")
logical_not = _unary_fn("LogicalNot", "Elementwise not of a bool tensor, as `tf.logical_not`.")


def round(x, name=None):  # noqa: A001 - TF's public name
    """Round half to even (banker's rounding), as `tf.round`; integer tensors come back unchanged."""
    x = convert_to_tensor(x, name="x")
    if x.dtype.is_integer:
        return x
    return apply_op("Round", x, name=name or "Round")


def conj(x, name=None):
    """Complex conjugate, as `tf.conj`; real tensors come back unchanged."""
    if isinstance(x, Tensor) and not x.dtype.is_complex:
        return x
    x = convert_to_tensor(x, name="x")
    if x.dtype.is_complex:
        return apply_op("Conj", x, name=name or "Conj")
    if x.dtype.is_floating or x.dtype.is_integer:
        return x
    raise TypeError(f"Expected numeric or variant tensor, got dtype {x.dtype!r}")


# ---- Tensor operators ----
Tensor._override_operator("__neg__", lambda self: negative(self))
Tensor._override_operator("__abs__", lambda self: abs(self))
Tensor._override_operator("__invert__", lambda self: logical_not(self))
