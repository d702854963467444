"""Constants, placeholders and `convert_to_tensor` with TF1's dtype inference."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core.graph import Tensor, get_default_graph
from estflow.core.lazy_constant import LazyConstant, value_of
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_conversion_registry import _conversion_functions
from estflow.core.tensor_shape import TensorShape, as_shape
from estflow.core.tensor_util import to_numpy


def _infer_const(*, value, dtype):
    if type(value) is LazyConstant:  # an imported constant not expanded yet: no value to fold
        return TensorSpec(value.shape, dtype)
    return TensorSpec(value.shape, dtype, value)


def _const_kernel(xp, value, dtype):
    value = value_of(value)  # a LazyConstant expands here, when a plan first needs it
    return xp.asarray(value) if dtype != dtypes.string else value


register(OpDef(
    "Const",
    infer=_infer_const,
    kernel=_const_kernel,
    attrs={"value": REQUIRED, "dtype": REQUIRED},
    differentiable=False,
    output_names=("output: dtype",), attr_types={"value": "tensor", "dtype": "type"}, row_wise=row_rules.invariant,
))


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False) -> Tensor:
    """A constant tensor, as `tf.constant` (TF1: a short list is padded with its last element).

        c = tf.constant([[1., 2.], [3., 4.]])
        z = tf.constant(0, shape=[2, 3])   # filled out to the shape
    """
    dtype = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
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


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None, dtype_hint=None, graph=None,
                      as_ref=False) -> Tensor:
    """`value` as a Tensor: tensors pass through (dtype checked), others become constants."""
    if isinstance(value, Tensor):
        # A reference tensor converts to its value type (TF1's `float32` accepts `float32_ref`); estflow
        # also takes a requested reference type for a value of its type (estflow code passes `x.dtype`).
        if dtype is not None and value.dtype != dtype and dtypes.as_dtype(dtype).base_dtype is not value._dtype:
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
    differentiable=False,
    output_names=("output: dtype",), attr_types={"dtype": "type", "shape": "shape"}, row_wise=row_rules.invariant,
    feed_only=True,
))


def placeholder(dtype, shape=None, name=None) -> Tensor:
    """A tensor fed through `feed_dict`, as `tf.placeholder`.

        x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
        sess.run(y, feed_dict={x: batch})
    """
    shape = None if shape is None else as_shape(shape)
    return apply_op("Placeholder", name=name or "Placeholder", dtype=dtypes.as_dtype(dtype).base_dtype,
                    shape=shape)


def _infer_placeholder_with_default(x, *, shape, dtype):
    if not x.shape.is_compatible_with(shape):
        raise ValueError(f"Shape of default {x.shape} is not compatible with {shape}")
    return TensorSpec(shape, x.dtype)


register(OpDef(
    "PlaceholderWithDefault",
    infer=_infer_placeholder_with_default,
    # A per-session kernel, not a pure one, so neither graph building nor a plan folds the
    # default into a constant: a fed value replaces it (TF's constant folding skips it too).
    make_kernel=lambda op, ctx: lambda x: x,
    grad=lambda op, grad: (None,),
    attrs={"shape": REQUIRED, "dtype": REQUIRED},
    aliases_input=True,
    input_names=("input: dtype",), output_names=("output: dtype",), attr_types={"dtype": "type", "shape": "shape"},
    row_wise=row_rules.invariant,
))


def placeholder_with_default(input, shape, name=None) -> Tensor:  # noqa: A002 - TF's argument name
    """`input` unless a value is fed, as `tf.placeholder_with_default`."""
    x = convert_to_tensor(input)
    return apply_op("PlaceholderWithDefault", x, name=name or "PlaceholderWithDefault",
                    shape=as_shape(shape), dtype=x.dtype)
