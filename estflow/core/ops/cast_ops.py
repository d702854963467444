"""Cast and the `tf.cast` family (`to_float`, `saturate_cast`, ...)."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core import errors as _errors
from estflow.core.graph import Tensor
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.math_ops import _FLOAT_COMPLEX, _scope, maximum, minimum
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register


# ================================================================================================
# Cast
# ================================================================================================
def _cast_infer(x, *, DstT, Truncate):  # noqa: N803 - TF's attr names
    return TensorSpec(x.shape, DstT)


_CPP_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "half"}  # TF's DataTypeString


# DstT -> its numpy dtype when it is a real number type (bool, ints, floats), else None.
_REAL_TARGETS: dict = {}


def _real_target(dst_t):
    try:
        return _REAL_TARGETS[dst_t]
    except KeyError:
        pass
    dst = dtypes.as_dtype(dst_t)
    np_dt = None
    if dst != dtypes.string and not dst.is_complex:
        try:
            np_dt = np.dtype(dst.as_numpy_dtype)
        except TypeError:
            np_dt = None
        if np_dt is not None and np_dt.kind not in "biuf":
            np_dt = None
    _REAL_TARGETS[dst_t] = np_dt
    return np_dt


def _cast_kernel(xp, x, DstT, Truncate):  # noqa: N803 - TF's attr names
    if xp is np and x.__class__ is np.ndarray and x.dtype.kind in "biuf":  # real to real on the host
        np_dt = _real_target(DstT)
        if np_dt is not None:
            return x.astype(np_dt)
    dst = dtypes.as_dtype(DstT)
    src_kind = getattr(x, "dtype", np.dtype(object)).kind
    if (dst == dtypes.string) != (src_kind in "OSU"):
        src = "string" if src_kind in "OSU" else dtypes.as_dtype(x.dtype).name
        src, dst_name = _CPP_TYPE_NAMES.get(src, src), _CPP_TYPE_NAMES.get(dst.name, dst.name)
        raise _errors.UnimplementedError(None, None, f"Cast {src} to {dst_name} is not supported")
    if dst == dtypes.string:
        return x
    if src_kind == "c" and not dst.is_complex:
        x = xp.real(x)
    return xp.asarray(x).astype(dst.as_numpy_dtype)


def _cast_grad(op, grad):
    src = op.inputs[0].dtype
    dst = op.outputs[0].dtype
    ok = _FLOAT_COMPLEX
    if src in ok and dst in ok:
        return (cast(grad, src),)
    return (None,)


register(OpDef(
    "Cast",
    infer=_cast_infer,
    kernel=_cast_kernel,
    grad=_cast_grad,
    attrs={"DstT": REQUIRED, "Truncate": False},
    input_names=("x: SrcT",), output_names=("y: DstT",),
    attr_types={"SrcT": "type", "DstT": "type", "Truncate": "bool"}, row_wise=row_rules.elementwise,
))


# ---- public TF1 functions ----
def cast(x, dtype, name=None):
    """`x` converted to `dtype`, as `tf.cast`; returns `x` itself when it already has that dtype.

    Floats become integers by truncation toward zero; nonzero becomes True; strings can
    only be cast to strings (use `tf.strings` ops to parse or format).
    """
    base = dtypes.as_dtype(dtype).base_dtype
    if isinstance(x, Tensor) and x.dtype == base:
        return x
    if isinstance(x, IndexedSlices):
        return type(x)(cast(x.values, base, name=name), x.indices, x.dense_shape)
    with _scope(name, "Cast", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if x.dtype.base_dtype != base:  # TF1: a reference of that type is returned as it is
            x = apply_op("Cast", x, name=scope, DstT=base, Truncate=False)
        return x


def to_float(x, name="ToFloat"):
    """Cast to float32, as TF1's `tf.to_float`."""
    return cast(x, dtypes.float32, name=name)


def to_double(x, name="ToDouble"):
    """Cast to float64, as TF1's `tf.to_double`."""
    return cast(x, dtypes.float64, name=name)


def to_int32(x, name="ToInt32"):
    """Cast to int32, as TF1's `tf.to_int32`."""
    return cast(x, dtypes.int32, name=name)


def to_int64(x, name="ToInt64"):
    """Cast to int64, as TF1's `tf.to_int64`."""
    return cast(x, dtypes.int64, name=name)


def saturate_cast(value, dtype, name=None):
    """Cast to `dtype`, first clamping values to its range, as `tf.saturate_cast`."""
    with _scope(name, "saturate_cast", [value]) as scope:
        value = convert_to_tensor(value, name="value")
        dtype = dtypes.as_dtype(dtype).base_dtype
        if value.dtype.min < dtype.min:
            value = maximum(value, convert_to_tensor(dtype.min, dtype=value.dtype, name="min"))
        if value.dtype.max > dtype.max:
            value = minimum(value, convert_to_tensor(dtype.max, dtype=value.dtype, name="max"))
        return cast(value, dtype, name=scope)
