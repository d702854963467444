"""Special functions: Lgamma, Digamma, Polygamma, Zeta, Igamma(c), Betainc, Bessel I0/I1, Erfinv,
Ndtri, NextAfter, and the TF1 functions over them (`tf.lgamma`, `tf.math.bessel_i0`, `tf.lbeta`, ...).

The numerics live in `special_kernels` and `bessel_ndtri_kernels` (float64, no scipy); each kernel here casts back to
the input's dtype. Gradients are TF's formulas (tensorflow/python/ops/math_grad.py).
"""

from __future__ import annotations

import math

from estflow.core import errors, row_rules
from estflow.core.graph import Tensor
from estflow.core.ops import bessel_ndtri_kernels as bessel_ndtri
from estflow.core.ops import special_kernels as special
from estflow.core.ops.comparison_ops import equal, where_v2
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.fill_ops import ones_like, zeros_like
from estflow.core.ops.math_ops import (
    _FLOATS,
    _check_dtype,
    _const,
    _convert_pair,
    _scope,
    _within_tf,
    add,
    multiply,
    realdiv,
    subtract,
)
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.ops.unary_ops import _erf_kernel, _erfc_kernel, exp, log, negative, reciprocal, sign, square
from estflow.core.registry import OpDef, TensorSpec, apply_op, broadcast_shapes, register
from estflow.core.tensor_shape import TensorShape


def _out(fn):
    """A kernel computing `fn` in float64 and returning the first input's dtype."""
    def kernel(xp, *inputs):
        return fn(xp, *inputs).astype(inputs[0].dtype, copy=False)

    return kernel


def _infer_unary(allowed):
    def infer(x):
        _check_dtype(x, allowed, "x")
        return TensorSpec(x.shape, x.dtype)

    return infer


def _infer_binary(allowed, first):
    def infer(x, y):
        _check_dtype(x, allowed, first)
        return TensorSpec(broadcast_shapes(x.shape, y.shape), x.dtype)

    return infer


# ---- gradients (TF's formulas) ----------------------------------------------------------------------
def _lgamma_grad(op, grad):
    return (multiply(grad, digamma(op.inputs[0])),)


def _digamma_grad(op, grad):
    x = op.inputs[0]
    return (multiply(grad, polygamma(_const(1, x.dtype), x)),)


def _polygamma_grad(op, grad):
    n, x = op.inputs
    return None, multiply(grad, polygamma(add(n, _const(1, n.dtype)), x))


def _zeta_grad(op, grad):
    x, q = op.inputs
    return None, multiply(grad, multiply(negative(x), zeta(add(x, _const(1, x.dtype)), q)))


def _igamma_partials(op):
    a, x = op.inputs
    partial_a = apply_op("IgammaGradA", a, x)
    # exp(-x + (a - 1) log x - lgamma(a)): in log space, since Gamma(a) grows large.
    log_density = subtract(add(negative(x), multiply(subtract(a, _const(1, a.dtype)), log(x))), lgamma(a))
    return partial_a, exp(log_density)


def _igamma_grad(op, grad):
    partial_a, partial_x = _igamma_partials(op)
    return multiply(grad, partial_a), multiply(grad, partial_x)


def _igammac_grad(op, grad):
    partial_a, partial_x = _igamma_partials(op)
    return negative(multiply(grad, partial_a)), negative(multiply(grad, partial_x))


def _betainc_grad(op, grad):  # TF: no gradient in a or b
    a, b, x = op.inputs
    one = _const(1, x.dtype)
    log_beta = subtract(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))
    log_density = subtract(add(_xlog1py(subtract(b, one), negative(x)), _xlogy(subtract(a, one), x)), log_beta)
    return None, None, multiply(grad, exp(log_density))


def _xlogy(x, y):
    """x * log(y), 0 where x == 0 (TF's Xlogy)."""
    return where_v2(equal(x, zeros_like(x)), zeros_like(x), multiply(x, log(y)))


def _xlog1py(x, y):
    """x * log1p(y), 0 where x == 0 (TF's Xlog1py)."""
    return where_v2(equal(x, zeros_like(x)), zeros_like(x), multiply(x, apply_op("Log1p", y, name="Log1p")))


def _bessel_i0_grad(op, grad):
    return (multiply(grad, bessel_i1(op.inputs[0])),)


def _bessel_i0e_grad(op, grad):
    x, y = op.inputs[0], op.outputs[0]
    return (multiply(grad, subtract(bessel_i1e(x), multiply(sign(x), y))),)


def _bessel_i1_grad(op, grad):  # 1 at x = 0, where I0(x) - I1(x)/x divides by zero
    x, y = op.inputs[0], op.outputs[0]
    zero = equal(x, _const(0, x.dtype))
    return (multiply(grad, where_v2(zero, _const(1, x.dtype), subtract(bessel_i0(x), realdiv(y, x)))),)


def _bessel_i1e_grad(op, grad):  # 1/2 at x = 0
    x, y = op.inputs[0], op.outputs[0]
    zero = equal(x, _const(0, x.dtype))
    slope = subtract(bessel_i0e(x), multiply(y, add(sign(x), reciprocal(x))))
    return (multiply(grad, where_v2(zero, _const(0.5, x.dtype), slope)),)


def _erfinv_grad(op, grad):
    y = op.outputs[0]
    return (multiply(multiply(grad, _const(math.sqrt(math.pi) / 2, y.dtype)), exp(square(y))),)


def _ndtri_grad(op, grad):
    y = op.outputs[0]
    return (multiply(multiply(grad, _const(math.sqrt(2 * math.pi), y.dtype)),
                     exp(realdiv(square(y), _const(2, y.dtype)))),)


def _next_after_grad(op, grad):
    x1, x2 = op.inputs
    return multiply(grad, ones_like(x1)), multiply(grad, zeros_like(x2))


# ---- registrations ----------------------------------------------------------------------------------
_UNARY = [
    # name, float64 function, gradient
    ("Lgamma", special.lgamma, _lgamma_grad),
    ("Digamma", special.digamma, _digamma_grad),
    ("BesselI0", bessel_ndtri.bessel_i0, _bessel_i0_grad),
    ("BesselI0e", bessel_ndtri.bessel_i0e, _bessel_i0e_grad),
    ("BesselI1", bessel_ndtri.bessel_i1, _bessel_i1_grad),
    ("BesselI1e", bessel_ndtri.bessel_i1e, _bessel_i1e_grad),
    ("Erfinv", lambda xp, x: bessel_ndtri.erfinv(xp, x, _erf_kernel, _erfc_kernel), _erfinv_grad),
    ("Ndtri", lambda xp, x: bessel_ndtri.ndtri(xp, x, _erfc_kernel), _ndtri_grad),
]
for _name, _fn, _grad in _UNARY:
    register(OpDef(_name, infer=_infer_unary(_within_tf(_name, _FLOATS)), kernel=_out(_fn), grad=_grad,
                   input_names=("x: T",), output_names=("y: T",), attr_types={"T": "type"},
                   row_wise=row_rules.elementwise))

_BINARY = [
    # name, (input names), output name, float64 function, gradient
    ("Polygamma", ("a", "x"), "z", special.polygamma, _polygamma_grad),
    ("Zeta", ("x", "q"), "z", special.zeta, _zeta_grad),
    ("Igamma", ("a", "x"), "z", special.igamma, _igamma_grad),
    ("Igammac", ("a", "x"), "z", special.igammac, _igammac_grad),
    ("IgammaGradA", ("a", "x"), "z", special.igamma_grad_a, None),  # TF registers no gradient for it
    ("NextAfter", ("x1", "x2"), "output", lambda xp, x1, x2: xp.nextafter(x1, x2), _next_after_grad),
]
for _name, _args, _output, _fn, _grad in _BINARY:
    _allowed = _within_tf(_name, _FLOATS)
    register(OpDef(_name, infer=_infer_binary(_allowed, _args[0]),
                   kernel=_out(_fn) if _name != "NextAfter" else _fn, grad=_grad, same_dtype="all",
                   input_names=tuple(f"{a}: T" for a in _args), output_names=(f"{_output}: T",),
                   attr_types={"T": "type = float32" if _name == "NextAfter" else "type"},
                   row_wise=row_rules.elementwise))


def _betainc_infer(a, b, x):
    """TF's rule: the non-scalar inputs share one shape (scalars broadcast to it)."""
    _check_dtype(a, _within_tf("Betainc", _FLOATS), "a")
    shape = TensorShape(None)
    known_rank = [s.shape for s in (a, b, x) if s.shape.ndims is not None]
    if len(known_rank) == 3:
        shape = TensorShape([])
    for s in (a, b, x):
        if s.shape.ndims == 0:
            continue
        if shape.ndims not in (None, 0) and s.shape.ndims is not None and not shape.is_compatible_with(s.shape):
            raise ValueError(f"Shapes of a, b and x are inconsistent: {a.shape} vs. {b.shape} vs. {x.shape}")
        shape = s.shape if shape.ndims in (None, 0) else shape.merge_with(s.shape)
    return TensorSpec(shape, a.dtype)


def _betainc_kernel(xp, a, b, x):
    shapes = {tuple(v.shape) for v in (a, b, x) if v.ndim}
    if len(shapes) > 1:
        raise errors.InvalidArgumentError(None, None, "Shapes of a, b and x are inconsistent: "
                                          + " vs. ".join(str(list(v.shape)) for v in (a, b, x)))
    return special.betainc(xp, a, b, x).astype(a.dtype, copy=False)


register(OpDef("Betainc", infer=_betainc_infer, kernel=_betainc_kernel, grad=_betainc_grad, same_dtype="all",
               input_names=("a: T", "b: T", "x: T"), output_names=("z: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


# ---- public TF1 functions ---------------------------------------------------------------------------
def lgamma(x, name=None):
    """log|Gamma(x)| elementwise, as `tf.math.lgamma` (inf at 0, -1, -2, ...)."""
    return apply_op("Lgamma", x, name=name or "Lgamma")


def digamma(x, name=None):
    """The derivative of lgamma, psi(x), as `tf.math.digamma`."""
    return apply_op("Digamma", x, name=name or "Digamma")


def _binary(op_type, x, y, name, x_name, y_name):
    x, y = _convert_pair(x, y, x_name, y_name)
    return apply_op(op_type, x, y, name=name or op_type)


def polygamma(a, x, name=None):
    """The polygamma function psi^(a)(x), as `tf.math.polygamma` (a a non-negative integer value)."""
    return _binary("Polygamma", a, x, name, "a", "x")


def zeta(x, q, name=None):
    """The Hurwitz zeta function sum_k (k + q)^-x, as `tf.math.zeta`."""
    return _binary("Zeta", x, q, name, "x", "q")


def igamma(a, x, name=None):
    """The regularized lower incomplete gamma function P(a, x), as `tf.math.igamma`."""
    return _binary("Igamma", a, x, name, "a", "x")


def igammac(a, x, name=None):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), as `tf.math.igammac`."""
    return _binary("Igammac", a, x, name, "a", "x")


def betainc(a, b, x, name=None):
    """The regularized incomplete beta function I_x(a, b), as `tf.math.betainc`.

    The non-scalar arguments must share one shape (TF does not broadcast them further)."""
    dtype = next((t.dtype for t in (a, b, x) if isinstance(t, Tensor)), None)  # as TF infers T
    a = convert_to_tensor(a, dtype=dtype, name="a")
    b = convert_to_tensor(b, dtype=a.dtype, name="b")
    x = convert_to_tensor(x, dtype=a.dtype, name="x")
    return apply_op("Betainc", a, b, x, name=name or "Betainc")


def nextafter(x1, x2, name=None):
    """The next representable value after x1 towards x2, elementwise, as `tf.math.nextafter`."""
    return _binary("NextAfter", x1, x2, name, "x1", "x2")


def _scoped_unary(op_type, scope_name, doc):
    def fn(x, name=None):
        with _scope(name, scope_name, [x]):
            return apply_op(op_type, convert_to_tensor(x, name="x"), name=op_type)

    fn.__name__ = fn.__qualname__ = scope_name
    fn.__doc__ = doc
    return fn


bessel_i0 = _scoped_unary("BesselI0", "bessel_i0", "The modified Bessel function I0(x), as `tf.math.bessel_i0`.")
bessel_i0e = _scoped_unary("BesselI0e", "bessel_i0e", "exp(-|x|) I0(x), as `tf.math.bessel_i0e`.")
bessel_i1 = _scoped_unary("BesselI1", "bessel_i1", "The modified Bessel function I1(x), as `tf.math.bessel_i1`.")
bessel_i1e = _scoped_unary("BesselI1e", "bessel_i1e", "exp(-|x|) I1(x), as `tf.math.bessel_i1e`.")
erfinv = _scoped_unary("Erfinv", "erfinv", "The inverse of `tf.math.erf` on [-1, 1], as `tf.math.erfinv`.")
ndtri = _scoped_unary("Ndtri", "ndtri", "The inverse of the standard normal CDF on [0, 1], as `tf.math.ndtri`.")


def erfcinv(x, name=None):
    """The inverse of `tf.math.erfc` on [0, 2], as `tf.math.erfcinv`: -ndtri(x / 2) / sqrt(2)."""
    with _scope(name, "erfcinv", [x]):
        x = convert_to_tensor(x, name="start")
        return -ndtri(0.5 * x) * math.sqrt(0.5)  # the operators give TF's node names (mul, Neg, mul_1)


def lbeta(x, name=None):
    """log of the multivariate Beta function over the last dimension, as `tf.math.lbeta`:
    sum(lgamma(x), -1) - lgamma(sum(x, -1)). An empty last dimension gives -inf."""
    with _scope(name, "lbeta", [x]):
        x = convert_to_tensor(x, name="x")
        log_prod_gamma_x = reduce_sum(lgamma(x), axis=[-1])
        log_gamma_sum_x = lgamma(reduce_sum(x, axis=[-1]))
        return log_prod_gamma_x - log_gamma_sum_x

