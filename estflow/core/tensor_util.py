"""Python values and build-time facts about tensors, as TF's tensor_util: a leaf of core.

TF1's dtype inference (`infer_dtype`: Python float -> float32, int -> int32, str -> string),
conversion of Python values to numpy arrays (`to_numpy`; strings become object arrays of
`bytes`, `to_string_array`), and what a shape tensor is known to hold at build time
(`constant_value_as_shape`). It imports no graph-building module, so the graph, the plan,
graph I/O and checkpoints use it without reaching the op modules.
"""

from __future__ import annotations

import operator

import numpy as np

from estflow.core import dtypes
from estflow.core.tensor_shape import Dimension, TensorShape

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _encode(x):
    return x.encode("utf-8") if isinstance(x, str) else x


def to_string_array(value) -> np.ndarray:
    """An object array of `bytes` (TF's string tensors); `str` is UTF-8 encoded."""
    if value.__class__ is list and value and operator.countOf(map(type, value), bytes) == len(value):
        out = np.empty(len(value), dtype=object)  # a served request's list of serialized Examples: one pass
        out[:] = value
        return out
    if isinstance(value, np.ndarray) and value.dtype.kind == "S":
        return value.astype(object)
    if type(value) is np.ndarray and value.dtype == object and value.ndim:  # a fed batch: bytes already?
        if operator.countOf(map(type, value.ravel().tolist()), bytes) == value.size:
            return value.copy()
    arr = np.array(value, dtype=object)
    if arr.ndim == 0:
        return np.array(_encode(arr.item()), dtype=object)
    if not arr.size:
        return arr
    items = arr.ravel().tolist()
    if set(map(type, items)) == {bytes}:  # already TF's form (a fed batch of bytes): `arr` is a fresh copy
        return arr
    out = np.empty(arr.shape, dtype=object)
    try:
        out.ravel()[:] = list(map(str.encode, items))  # all str: the common case, 2-3x faster
    except TypeError:
        out.ravel()[:] = [_encode(x) for x in items]
    return out


def _dims_as_ints(value):
    """TensorShapes and Dimensions in `value` as Python ints, as TF1 converts them to integer tensors."""
    if isinstance(value, TensorShape):
        if not value.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape to a Tensor: {value}")
        return value.as_list()
    if isinstance(value, Dimension):
        if value.value is None:
            raise ValueError(f"Cannot convert an unknown Dimension to a Tensor: {value}")
        return value.value
    if isinstance(value, (list, tuple)):
        return [_dims_as_ints(v) for v in value]
    return value


def infer_dtype(value) -> dtypes.DType:
    """TF1's inference: Python float -> float32, int -> int32 (int64 if large), str -> string."""
    if isinstance(value, (TensorShape, Dimension)):
        value = _dims_as_ints(value)
    if isinstance(value, np.ndarray):
        return dtypes.as_dtype(value.dtype)
    if isinstance(value, np.generic):
        return dtypes.as_dtype(value.dtype)
    if isinstance(value, bool):
        return dtypes.bool
    if isinstance(value, int):
        return dtypes.int32 if _INT32_MIN <= value <= _INT32_MAX else dtypes.int64
    if isinstance(value, float):
        return dtypes.float32
    if isinstance(value, complex):
        return dtypes.complex128
    if isinstance(value, (str, bytes)):
        return dtypes.string
    if isinstance(value, (list, tuple)):
        if len(value) == 0:
            return dtypes.float32
        kinds = {infer_dtype(v) for v in value}
        if dtypes.string in kinds:
            if len(kinds) > 1:
                raise TypeError(f"Can't convert {value!r}: it mixes strings and numbers.")
            return dtypes.string
        for d in (dtypes.complex128, dtypes.float64, dtypes.float32, dtypes.int64, dtypes.int32, dtypes.bool):
            if d in kinds:
                if d == dtypes.int32 and dtypes.bool in kinds and len(kinds) > 1:
                    return dtypes.int32
                return d
        return kinds.pop()
    if value is None:
        raise ValueError("None values not supported.")
    arr = np.asarray(value)
    if arr.dtype == object:
        raise TypeError(f"Failed to convert object of type {type(value).__name__} to Tensor. "
                        f"Contents: {value!r}. Consider casting elements to a supported type.")
    return dtypes.as_dtype(arr.dtype)


def _asarray(value) -> np.ndarray:
    try:
        return np.asarray(value)
    except ValueError as e:
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: {e}") from None


def to_numpy(value, dtype: dtypes.DType | None = None) -> np.ndarray:
    """`value` as a numpy array of `dtype` (inferred as TF1 does when None)."""
    if dtype is None:
        dtype = infer_dtype(value)
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype == dtypes.string:
        return to_string_array(value)
    np_type = dtype.as_numpy_dtype
    if isinstance(value, np.ndarray) and value.dtype == np_type:
        return value
    if isinstance(value, (TensorShape, Dimension)):
        value = _dims_as_ints(value)
    arr = _asarray(value)
    if arr.dtype == object and isinstance(value, (list, tuple)):
        value = _dims_as_ints(value)  # [-1, x.shape[1]]: a list holding Dimensions (rare: checked late)
        arr = _asarray(value)
    if arr.dtype.kind in "SUO" and arr.size:
        raise TypeError(f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' instead.")
    if not isinstance(value, np.ndarray) and arr.size:
        # Python numbers must convert losslessly (TF1: "Expected int32, got 2.5 ...").
        if dtype.is_integer and arr.dtype.kind == "f" and not np.all(np.mod(arr, 1) == 0):
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type '{type(value).__name__}' instead.")
        if dtype.is_integer and arr.dtype.kind in "iu":
            info = np.iinfo(np_type)
            if arr.min() < info.min or arr.max() > info.max:
                raise TypeError(f"Value {value!r} is out of range for {dtype.name}.")
        if (dtype.is_floating or dtype.is_integer) and arr.dtype.kind == "c":
            raise TypeError(f"Expected {dtype.name}, got {value!r} of type 'complex' instead.")
    return arr.astype(np_type, copy=False)


def constant_value_as_shape(dense_shape) -> TensorShape:
    """What is known at build time of the dense shape a shape tensor holds (TF's constant_value_as_shape)."""
    value = dense_shape._const_value
    if value is not None:
        return TensorShape([None if d < 0 else int(d) for d in np.asarray(value).reshape(-1)])
    rank = dense_shape.shape.with_rank(1).as_tuple()[0]
    shape = TensorShape(None if rank is None else [None] * rank)
    op = dense_shape.op
    if op.type == "Shape":  # tf.shape(x): x's static shape
        return shape.merge_with(op.inputs[0].shape)
    if op.type == "Pack" and op.get_attr("axis") == 0:  # tf.stack of scalars, some known
        values = [t._const_value for t in op.inputs]
        return shape.merge_with([None if v is None or int(v) < 0 else int(v) for v in values])
    return shape
