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
    ok = _FLOAT_COMPLEX + (dtypes.bfloat16,)
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


def to_bfloat16(x, name="ToBFloat16"):
    """Cast to bfloat16, as TF1's `tf.to_bfloat16`."""
    return cast(x, dtypes.bfloat16, name=name)


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


# ================================================================================================
# Bitcast
# ================================================================================================
_BITCAST_TYPES = (dtypes.bfloat16, dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int64, dtypes.int32,
                  dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64, dtypes.int8, dtypes.int16,
                  dtypes.complex64, dtypes.complex128)


def _bitcast_infer(x, *, type):  # noqa: A002 - TF's attr name
    for dtype, param in ((x.dtype, "input"), (type, "type")):
        if dtype not in _BITCAST_TYPES:
            raise TypeError(f"Value passed to parameter '{param}' has DataType {dtype.name} not in list of allowed "
                            f"values: {', '.join(d.name for d in _BITCAST_TYPES)}")
    in_size, out_size = x.dtype.size, type.size
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorSpec(x.shape, type)
    if in_size > out_size:
        return TensorSpec(x.shape.concatenate([in_size // out_size]), type)
    if in_size < out_size:
        last = dims[-1] if dims else None
        if last is not None and last != out_size // in_size or not dims:
            raise ValueError(f"Cannot bitcast from {x.dtype.as_datatype_enum} to {type.as_datatype_enum} due to "
                             f"shape. {last} does not match {out_size // in_size}")
        return TensorSpec(x.shape[:-1], type)
    return TensorSpec(x.shape, type)


def _bitcast_kernel(xp, x, type):  # noqa: A002 - TF's attr name
    out = type.as_numpy_dtype
    in_size, out_size = x.dtype.itemsize, type.size
    shape = tuple(x.shape)
    x = xp.ascontiguousarray(x)  # (numpy's makes a 0-d array 1-d)
    if in_size > out_size:  # each element becomes a new innermost dimension of in/out elements
        return x.reshape(shape + (1,)).view(out)
    if in_size < out_size:
        if not shape or shape[-1] * in_size != out_size:
            source = dtypes.as_dtype(x.dtype).as_datatype_enum
            raise _errors.InvalidArgumentError(None, None, f"Cannot bitcast from {source} to {type.as_datatype_enum}")
        return x.view(out).reshape(shape[:-1])
    return x.view(out).reshape(shape)


register(OpDef("Bitcast", infer=_bitcast_infer, kernel=_bitcast_kernel, grad=None, attrs={"type": REQUIRED},
               aliases_input=True, input_names=("input: T",), output_names=("output: type",),
               attr_types={"T": "type", "type": "type"}))


def bitcast(input, type, name=None):  # noqa: A002 - TF's argument names
    """The same bits read as another dtype, as `tf.bitcast`: a wider input type gains an innermost
    dimension (float32 -> uint8 adds one of 4), a narrower one loses its innermost dimension, which
    must hold exactly one output element's bytes."""
    return apply_op("Bitcast", input, name=name or "Bitcast", type=dtypes.as_dtype(type).base_dtype)
