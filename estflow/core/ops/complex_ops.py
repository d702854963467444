"""Complex numbers: the Complex, Real, Imag and Angle ops, and `tf.complex`,
`tf.real`, `tf.imag`, `tf.angle`.

Gradients follow TF's convention for a real loss L of complex z: the gradient passed back is
dL/dRe(z) + i dL/dIm(z), so `tf.gradients(tf.real(z), z)` is 1 and `tf.gradients(tf.imag(z), z)`
is i (tensorflow/python/ops/math_grad.py).
"""

from __future__ import annotations

import math

from estflow.core import dtypes, row_rules
from estflow.core.ops.comparison_ops import less, where
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.fill_ops import ones_like, zeros_like
from estflow.core.ops.math_ops import _COMPLEX, _check_dtype, _const, _scope, multiply
from estflow.core.ops.unary_ops import negative, reciprocal
from estflow.core.registry import OpDef, TensorSpec, apply_op, broadcast_shapes, register

_PARTS = (dtypes.float32, dtypes.float64)
_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def _complex_infer(real, imag, *, Tout):  # noqa: N803 - TF's attr name
    _check_dtype(real, _PARTS, "real")
    if imag.dtype != real.dtype:
        raise TypeError(f"Input 'imag' of 'Complex' Op has type {imag.dtype.name} that does not match type "
                        f"{real.dtype.name} of argument 'real'.")
    if Tout != _COMPLEX_OF[real.dtype]:
        raise TypeError(f"Complex of {real.dtype.name} parts is {_COMPLEX_OF[real.dtype].name}, not {Tout.name}")
    return TensorSpec(broadcast_shapes(real.shape, imag.shape), Tout)


def _complex_kernel(xp, real, imag, Tout):  # noqa: N803 - TF's attr name
    dtype = Tout.as_numpy_dtype
    return real.astype(dtype) + imag.astype(dtype) * 1j


def _complex_grad(op, grad):
    return real(grad), imag(grad)


def _part_infer(x, *, Tout):  # noqa: N803 - TF's attr name
    _check_dtype(x, _COMPLEX, "input")
    if Tout != x.dtype.real_dtype:
        raise TypeError(f"The real part of {x.dtype.name} is {x.dtype.real_dtype.name}, not {Tout.name}")
    return TensorSpec(x.shape, Tout)


def _real_grad(op, grad):
    return (complex(grad, zeros_like(grad)),)


def _imag_grad(op, grad):
    return (complex(zeros_like(grad), grad),)


def _angle_grad(op, grad):  # -grad / (Im(x) + i Re(x))
    x = op.inputs[0]
    z = reciprocal(complex(imag(x), real(x)))
    return (negative(multiply(complex(grad, zeros_like(grad)), z)),)


register(OpDef("Complex", infer=_complex_infer, kernel=_complex_kernel, grad=_complex_grad,
               attrs={"Tout": dtypes.complex64},
               input_names=("real: T", "imag: T"), output_names=("out: Tout",),
               attr_types={"T": "type = float32", "Tout": "type"}, row_wise=row_rules.elementwise))
for _name, _fn, _grad in (("Real", "real", _real_grad), ("Imag", "imag", _imag_grad), ("Angle", "angle", _angle_grad)):
    register(OpDef(_name, infer=_part_infer,
                   kernel=lambda xp, x, Tout, _fn=_fn: getattr(xp, _fn)(x).astype(Tout.as_numpy_dtype, copy=False),
                   grad=_grad, attrs={"Tout": dtypes.float32},
                   input_names=("input: T",), output_names=("output: Tout",),
                   attr_types={"T": "type = complex64", "Tout": "type"}, row_wise=row_rules.elementwise))


# ---- public TF1 functions ---------------------------------------------------------------------------
def complex(real, imag, name=None):  # noqa: A001 - TF's public name
    """real + i imag elementwise, as `tf.complex`: float32 parts give complex64, float64 complex128."""
    real = convert_to_tensor(real, name="real")
    imag = convert_to_tensor(imag, name="imag")
    with _scope(name, "Complex", [real, imag]) as scope:
        if real.dtype.base_dtype != imag.dtype.base_dtype or real.dtype.base_dtype not in _COMPLEX_OF:
            raise TypeError(f"The `real` and `imag` components have incorrect types: {real.dtype.name} "
                            f"{imag.dtype.name}. They must be consistent, and one of [tf.float32, tf.float64]")
        return apply_op("Complex", real, imag, name=scope, Tout=_COMPLEX_OF[real.dtype.base_dtype])


def real(input, name=None):  # noqa: A002 - TF's argument name
    """The real part, as `tf.real`; a real tensor comes back unchanged."""
    with _scope(name, "Real", [input]) as scope:
        input = convert_to_tensor(input, name="input")  # noqa: A001 - TF's argument name
        if input.dtype.is_complex:
            return apply_op("Real", input, name=scope, Tout=input.dtype.real_dtype)
        if input.dtype.is_floating or input.dtype.is_integer:
            return input
        raise TypeError(f"input must be a numeric tensor, but got tensor with dtype {input.dtype!r}")


def imag(input, name=None):  # noqa: A002 - TF's argument name
    """The imaginary part, as `tf.imag`; zeros for a real tensor."""
    with _scope(name, "Imag", [input]) as scope:
        input = convert_to_tensor(input, name="input")  # noqa: A001 - TF's argument name
        if input.dtype.is_complex:
            return apply_op("Imag", input, name=scope, Tout=input.dtype.real_dtype)
        return zeros_like(input)


def angle(input, name=None):  # noqa: A002 - TF's argument name
    """The argument (phase) in (-pi, pi], as `tf.angle`; for a real tensor pi where it is negative, else 0."""
    with _scope(name, "Angle", [input]) as scope:
        input = convert_to_tensor(input, name="input")  # noqa: A001 - TF's argument name
        if input.dtype.is_complex:
            return apply_op("Angle", input, name=scope, Tout=input.dtype.real_dtype)
        return where(less(input, _const(0, input.dtype)), multiply(_const(math.pi, input.dtype), ones_like(input)),
                        zeros_like(input))

