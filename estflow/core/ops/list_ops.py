"""TensorLists: TF's variant-typed lists of tensors, as while_loop gradients use them.

A while_loop's gradient needs the forward values of every iteration, last one first. As in
TF2, the forward loop pushes each such value onto a list that it carries as a loop variable
(`TensorListPushBack`), and the gradient loop pops them (`TensorListPopBack`). The list is an
ordinary value of the run, so concurrent `Session.run` calls never share one.

A list value is immutable: pushing links a new cell to the old list in O(1), popping returns
the previous cell, so a list handed to two consumers is never changed under either.
"""

from __future__ import annotations

import functools

from estflow.core import dtypes, errors
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register


class TensorList:
    """One value of a DT_VARIANT list tensor: the last element and the list before it."""

    __slots__ = ("previous", "item", "length")

    def __init__(self, previous: TensorList | None = None, item=None):
        self.previous = previous
        self.item = item
        self.length = 0 if previous is None else previous.length + 1

    def __repr__(self):
        return f"<TensorList of {self.length} tensors>"


def _empty_infer(element_shape, max_num_elements, *, element_dtype, shape_type):
    return TensorSpec([], dtypes.variant)


def _empty_kernel(xp, element_shape, max_num_elements, *, element_dtype, shape_type):
    return TensorList()


register(OpDef(
    "EmptyTensorList", infer=_empty_infer,
    # A per-plan kernel (not a plain one) so that a plan never folds it: each run starts a fresh list.
    make_kernel=lambda op, ctx: functools.partial(_empty_kernel, ctx.xp, **op._attrs),
    attrs={"element_dtype": REQUIRED, "shape_type": REQUIRED},
    differentiable=False, cpu_only=True,
    input_names=("element_shape: shape_type", "max_num_elements: int32"), output_names=("handle: variant",),
    attr_types={"element_dtype": "type", "shape_type": "type"},
))


def _push_infer(handle, tensor, *, element_dtype):
    if tensor.dtype != element_dtype:
        raise TypeError(f"Tried to push a {tensor.dtype.name} tensor onto a list of {element_dtype.name}")
    return TensorSpec([], dtypes.variant)


def _push_kernel(xp, handle, tensor, *, element_dtype):
    return TensorList(handle, tensor)


register(OpDef(
    "TensorListPushBack", infer=_push_infer, kernel=_push_kernel, attrs={"element_dtype": REQUIRED},
    differentiable=False, cpu_only=True,
    accepts_dead=True,  # inside a tf.cond branch of a loop body: the untaken side's value is kept as dead
    input_names=("input_handle: variant", "tensor: element_dtype"), output_names=("output_handle: variant",),
    attr_types={"element_dtype": "type"},
))


def _pop_infer(handle, element_shape, *, element_dtype):
    return [TensorSpec([], dtypes.variant), TensorSpec(None, element_dtype)]


def _pop_kernel(xp, handle, element_shape, *, element_dtype):
    if handle.previous is None:
        raise errors.InvalidArgumentError(None, None, "Trying to pop from an empty list.")
    return handle.previous, handle.item


register(OpDef(
    "TensorListPopBack", infer=_pop_infer, kernel=_pop_kernel, attrs={"element_dtype": REQUIRED},
    differentiable=False, cpu_only=True,
    input_names=("input_handle: variant", "element_shape: int32"),
    output_names=("output_handle: variant", "tensor: element_dtype"), attr_types={"element_dtype": "type"},
))


def empty_tensor_list(element_dtype, name="EmptyTensorList"):
    """A new empty list of `element_dtype` tensors of any shape (TF's list_ops.empty_tensor_list)."""
    return apply_op("EmptyTensorList", -1, -1, name=name, element_dtype=dtypes.as_dtype(element_dtype),
                    shape_type=dtypes.int32)


def tensor_list_push_back(handle, tensor, name="TensorListPushBack"):
    return apply_op("TensorListPushBack", handle, tensor, name=name, element_dtype=tensor.dtype)


def tensor_list_pop_back(handle, element_dtype, name="TensorListPopBack"):
    """(the list without its last element, that element)."""
    return apply_op("TensorListPopBack", handle, -1, name=name, element_dtype=dtypes.as_dtype(element_dtype))
