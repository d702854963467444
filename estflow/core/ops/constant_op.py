"""Constants, placeholders and `convert_to_tensor` with TF1's dtype inference."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor, get_default_graph
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import Dimension, TensorShape, as_shape

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _encode(x):
    return x.encode("utf-8") if isinstance(x, str) else x



def to_string_array(value) -> np.ndarray:
    """An object array of `bytes` (TF's string tensors); `str` is UTF-8 encoded."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "S":
        return value.astype(object)
    arr = np.array(value, dtype=object)
    if arr.ndim == 0:
        return np.array(_encode(arr.item()), dtype=object)
    if not arr.size:
        return arr
    items = arr.ravel().tolist()
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


def _infer_dtype(value) -> dtypes.DType:
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
        kinds = {_infer_dtype(v) for v in value}
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
        dtype = _infer_dtype(value)
    dtype = dtypes.as_dtype(dtype)
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


def _infer_const(*, value, dtype):
    return TensorSpec(value.shape, dtype, value)


register(OpDef(
    "Const",
    infer=_infer_const,
    kernel=lambda xp, value, dtype: xp.asarray(value) if dtype != dtypes.string else value,
    attrs={"value": REQUIRED, "dtype": REQUIRED},
    differentiable=False,
))


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False) -> Tensor:
    """A constant tensor, as `tf.constant` (TF1: a short list is padded with its last element).

        c = tf.constant([[1., 2.], [3., 4.]])
        z = tf.constant(0, shape=[2, 3])   # filled out to the shape
    """
    dtype = None if dtype is None else dtypes.as_dtype(dtype)
    arr = to_numpy(value, dtype)
    if dtype is None:
        dtype = dtypes.as_dtype(arr.dtype) if arr.dtype != object else dtypes.string
    if shape is not None:
        shape = as_shape(shape)
        if not shape.is_fully_defined():
            raise TypeError(f"Shape passed to tf.constant must be fully defined, got {shape}.")
        target = tuple(shape.as_list())
        n = shape.num_elements()
        if verify_shape and arr.shape != target:
            raise TypeError(f"Expected Tensor's shape: {target}, got {arr.shape}.")
        if arr.size == 1:
            arr = np.full(target, arr.reshape(()), dtype=arr.dtype)
        elif arr.size == n:
            arr = arr.reshape(target)
        elif 0 < arr.size < n:
            flat = arr.reshape(-1)
            arr = np.concatenate([flat, np.repeat(flat[-1:], n - arr.size)]).reshape(target)
        else:
            raise TypeError(f"Too many elements provided. Needed at most {n}, but received {arr.size}"
                            if arr.size > n else f"Expected {n} elements for shape {target}, got none.")
    if arr is value and isinstance(value, np.ndarray):
        arr = arr.copy()  # the graph must not see later changes to the caller's array
    arr.setflags(write=False)
    return apply_op("Const", name=name, value=arr, dtype=dtype)


_conversion_functions: list = []  # (type, fn(value, dtype, name, as_ref) -> Tensor)


def register_tensor_conversion_function(base_type, conversion_func, priority=100) -> None:
    """Teach `convert_to_tensor` a new type (variables, SparseTensor values, ...)."""
    _conversion_functions.append((priority, base_type, conversion_func))
    _conversion_functions.sort(key=lambda e: e[0])


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None, graph=None,
                      as_ref=False) -> Tensor:
    """`value` as a Tensor: tensors pass through (dtype checked), others become constants."""
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for Tensor "
                             f"with dtype {value.dtype.name}: {value!r}")
        return value
    for _, base_type, fn in _conversion_functions:
        if isinstance(value, base_type):
            t = fn(value, dtype=dtype, name=name, as_ref=as_ref)
            if t is not NotImplemented:
                return t
    if hasattr(value, "_as_graph_element") and not isinstance(value, (list, tuple)):
        elem = value._as_graph_element()
        if isinstance(elem, Tensor):
            return convert_to_tensor(elem, dtype=dtype, name=name)
    if isinstance(value, (list, tuple)) and _contains_tensor(value):
        return _autopack(value, dtype, name or "packed", graph)
    hint = preferred_dtype or dtype_hint
    if dtype is None and hint is not None:
        try:
            to_numpy(value, hint)
            dtype = hint
        except (TypeError, ValueError):
            dtype = None
    g = graph if graph is not None else get_default_graph()
    with g.as_default():
        return constant(value, dtype=dtype, name=name or "Const")


def _contains_tensor(value) -> bool:
    for v in value:
        if isinstance(v, Tensor) or (isinstance(v, (list, tuple)) and _contains_tensor(v)):
            return True
        if not isinstance(v, (list, tuple)) and any(isinstance(v, t) for _, t, _ in _conversion_functions):
            return True
    return False


def _autopack(value, dtype, name, graph):
    """TF1's autopacking: a (nested) list holding tensors becomes a `Pack` op named "packed"."""
    if dtype is None:
        for v in value:
            if isinstance(v, Tensor):
                dtype = v.dtype
                break
    elements = []
    for v in value:
        if isinstance(v, (list, tuple)) and _contains_tensor(v):
            elements.append(_autopack(v, dtype, name, graph))
        else:
            elements.append(convert_to_tensor(v, dtype=dtype, graph=graph))
    if dtype is None:
        dtype = elements[0].dtype
    elements = [e if e.dtype == dtype else convert_to_tensor(e, dtype=dtype) for e in elements]
    return apply_op("Pack", *elements, name=name, N=len(elements), axis=0)


def convert_n_to_tensor(values, dtype=None, name=None) -> list[Tensor]:
    """Each of `values` as a Tensor; new constants are named `name_0`, `name_1`, ... as in TF1."""
    return [convert_to_tensor(v, dtype=dtype, name=None if name is None else f"{name}_{i}")
            for i, v in enumerate(values)]


def is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def _infer_placeholder(*, dtype, shape):
    return TensorSpec(TensorShape(shape) if shape is not None else TensorShape(None), dtype)


register(OpDef(
    "Placeholder",
    infer=_infer_placeholder,
    kernel=None,  # must be fed: Session reports "You must feed a value for placeholder tensor ..."
    attrs={"dtype": REQUIRED, "shape": None},
    stateful=True,
    differentiable=False,
))


def placeholder(dtype, shape=None, name=None) -> Tensor:
    """A tensor fed through `feed_dict`, as `tf.placeholder`.

        x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
        sess.run(y, feed_dict={x: batch})
    """
    shape = None if shape is None else as_shape(shape)
    return apply_op("Placeholder", name=name or "Placeholder", dtype=dtypes.as_dtype(dtype),
                    shape=shape)


def _infer_placeholder_with_default(x, *, shape, dtype):
    if not x.shape.is_compatible_with(shape):
        raise ValueError(f"Shape of default {x.shape} is not compatible with {shape}")
    return TensorSpec(shape, x.dtype)


register(OpDef(
    "PlaceholderWithDefault",
    infer=_infer_placeholder_with_default,
    kernel=lambda xp, x, shape, dtype: x,
    grad=lambda op, grad: (None,),
    attrs={"shape": REQUIRED, "dtype": REQUIRED},
    aliases_input=True,
    stateful=True,  # never folded: its value is meant to be fed
))


def placeholder_with_default(input, shape, name=None) -> Tensor:  # noqa: A002 - TF's argument name
    """`input` unless a value is fed, as `tf.placeholder_with_default`."""
    x = convert_to_tensor(input)
    return apply_op("PlaceholderWithDefault", x, name=name or "PlaceholderWithDefault",
                    shape=as_shape(shape), dtype=x.dtype)
