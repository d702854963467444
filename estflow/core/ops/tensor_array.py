"""tf.TensorArray: TF1's graph-mode array of tensors, over the TensorArrayV3 ops of tensor_array_ops.py.

Each write, scatter, unstack or split returns a new TensorArray on the same handle whose
`flow` follows the op; reads go through a flow, so they see the writes before it. The
TensorArrays built from one share their element shape (a list of one TensorShape), which
`infer_shape` refines with every write, as TF1's do. A `tf.while_loop` or `tf.cond` carries a
TensorArray as its flow and rebuilds it with `build_ta_with_new_flow`.
"""

from __future__ import annotations

import logging

from estflow.core import dtypes
from estflow.core.graph import Tensor, colocate_with, control_dependencies, get_default_graph, name_scope
from estflow.core.ops.array_ops import identity, shape
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.fill_ops import range_
from estflow.core.registry import apply_op
from estflow.core.tensor_shape import TensorShape, as_shape


def gradient_source_of(name: str) -> str:
    """TF's _GetGradSource on a name: up to its innermost `gradients*` scope ("gradients" without one)."""
    parts = name.split("/")
    found = [i for i, p in enumerate(parts) if p.startswith("gradients")]
    return "/".join(parts[:found[-1] + 1]) if found else "gradients"


# ---- the Python class ------------------------------------------------------------------------------
class TensorArray:
    """A size-`size` array of `dtype` tensors, written and read by index in the graph (`tf.TensorArray`).

        ta = tf.TensorArray(tf.float32, size=3)
        ta = ta.write(0, x)                  # each write returns a new TensorArray: use it
        stacked = ta.unstack(rows).stack()

    Each write, scatter, unstack or split returns a TensorArray whose `flow` follows the
    write; reads through it see the write. With `dynamic_size=True` writes past the end grow
    the array; with `clear_after_read=True` (the default) an element can be read once.
    `element_shape` (and, with `infer_shape=True`, the first write's shape) fixes the shape
    every element must have; unwritten elements of known shape read as zeros. In a
    `tf.while_loop` a TensorArray is a loop variable like a tensor, and gradients flow
    through its reads and writes.
    """

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None, colocate_with_first_write_call=True,
                 name=None):
        if handle is not None and tensor_array_name:
            raise ValueError("Cannot construct with both handle and tensor_array_name")
        if handle is not None and not isinstance(handle, Tensor):
            raise TypeError(f"Handle must be a Tensor, got {type(handle).__name__}")
        if handle is None and size is None:
            raise ValueError("Size must be provided if handle is not provided")
        if handle is not None and size is not None:
            raise ValueError("Cannot provide both a handle and size at the same time")
        if handle is not None and element_shape is not None:
            raise ValueError("Cannot provide both a handle and element_shape at the same time")
        if handle is not None and dynamic_size is not None:
            raise ValueError("Cannot provide both a handle and dynamic_size at the same time")
        if handle is not None and clear_after_read is not None:
            raise ValueError("Cannot provide both a handle and clear_after_read at the same time")
        if clear_after_read is None:
            clear_after_read = True
        self._dynamic_size = bool(dynamic_size)
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._colocate_with_first_write_call = colocate_with_first_write_call
        self._colocate_with = [] if colocate_with_first_write_call else None
        self._element_shape = [as_shape(element_shape)]  # shared with every TensorArray built from this one
        self._infer_shape = infer_shape
        self._size = size
        with name_scope(name, "TensorArray") as scope:
            if handle is not None:
                if flow is None:
                    raise ValueError("flow must not be None if handle is not None.")
                self._handle = handle
                self._flow = flow
                return
            size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
            self._size = size
            create = {"dtype": self._dtype, "element_shape": self._element_shape[0],
                      "identical_element_shapes": bool(infer_shape), "dynamic_size": self._dynamic_size,
                      "clear_after_read": bool(clear_after_read), "tensor_array_name": tensor_array_name or ""}
            graph = get_default_graph()
            if colocate_with_first_write_call:  # placed with the first value written (see write)
                with graph.device(None), graph.colocate_with(None, ignore_existing=True):
                    self._handle, self._flow = apply_op("TensorArrayV3", size, name=scope, **create)
            else:
                self._handle, self._flow = apply_op("TensorArrayV3", size, name=scope, **create)

    # -- properties
    @property
    def flow(self) -> Tensor:
        """The float scalar that orders this array's reads after its writes."""
        return self._flow

    @property
    def dtype(self):
        return self._dtype

    @property
    def handle(self) -> Tensor:
        return self._handle

    @property
    def element_shape(self) -> TensorShape:
        return self._element_shape[0]

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic_size

    def __repr__(self):
        return f"<tf.TensorArray '{self._handle.op.name}' dtype={self._dtype.name}>"

    # -- helpers
    def _with_flow(self, flow) -> TensorArray:
        return build_ta_with_new_flow(self, flow)

    def _check_element_shape(self, shape):
        if not shape.is_compatible_with(self.element_shape):
            raise ValueError(f"Inconsistent shapes: saw {shape} but expected {self.element_shape} ")
        if self._infer_shape:
            self._element_shape[0] = self.element_shape.merge_with(shape)

    def _colocate(self, value):
        """TF1's colocate_with_first_write_call: the array's op takes the device of the first value
        written to it; later ops on it sit with that value."""
        if self._colocate_with is None:
            return colocate_with(self._handle.op)
        if not self._colocate_with:
            self._colocate_with.append(value.op)
            if not self._handle.op._device and value.op._device:
                self._handle.op._device = value.op._device
        return colocate_with(self._colocate_with[0])

    def _convert_value(self, value, dtype=None):
        value = convert_to_tensor(value, dtype=dtype, preferred_dtype=self._dtype, name="value")
        if value.dtype.base_dtype != self._dtype:  # TF 2.15 logs this, and the write fails when it runs
            logging.getLogger("tensorflow").error(
                "Error: Input value %s has dtype %r, but expected dtype %r.  This leads to undefined behavior and "
                "will be an error in future versions of TensorFlow.", value, value.dtype, self._dtype)
        return value

    # -- the ops
    def identity(self) -> TensorArray:
        """A TensorArray on the same array whose flow is a new Identity (to hang control dependencies on)."""
        return self._with_flow(identity(self._flow))

    def grad(self, source, flow=None, name=None) -> TensorArray:
        """The gradient array of this one for the gradient computation named `source`."""
        if flow is None:
            flow = self.flow
        with name_scope(name, "TensorArrayGrad"), colocate_with(self._handle.op):
            g_handle, _ = apply_op("TensorArrayGradV3", self._handle, flow, source=source,
                                   name=name or "TensorArrayGradV3")
            with control_dependencies([g_handle]):
                flow = identity(flow, name="gradient_flow")
            g = TensorArray(self._dtype, handle=g_handle, flow=flow, infer_shape=self._infer_shape,
                            colocate_with_first_write_call=False)
            g._element_shape = self._element_shape
            return g

    def read(self, index, name=None) -> Tensor:
        """Element `index` (an int32 scalar)."""
        value = apply_op("TensorArrayReadV3", self._handle, convert_to_tensor(index, dtype=dtypes.int32),
                         self._flow, dtype=self._dtype, name=name or "TensorArrayReadV3")
        if self._element_shape:
            value.set_shape(self._element_shape[0])
        return value

    def write(self, index, value, name=None) -> TensorArray:
        """A TensorArray whose element `index` is `value` (each element is written once)."""
        with name_scope(name, "TensorArrayWrite"):
            value = self._convert_value(value)
            self._check_element_shape(value.shape)
            with self._colocate(value):
                flow_out = apply_op("TensorArrayWriteV3", self._handle, convert_to_tensor(index, dtype=dtypes.int32),
                                    value, self._flow, name=name or "TensorArrayWriteV3")
            return self._with_flow(flow_out)

    def gather(self, indices, name=None) -> Tensor:
        """The elements at `indices` stacked into one tensor."""
        value = apply_op("TensorArrayGatherV3", self._handle, convert_to_tensor(indices, dtype=dtypes.int32),
                         self._flow, dtype=self._dtype, element_shape=self.element_shape,
                         name=name or "TensorArrayGatherV3")
        if self.element_shape.ndims is not None:
            value.set_shape(TensorShape([None]).concatenate(self.element_shape))
        return value

    def stack(self, name=None) -> Tensor:
        """All elements stacked on a new axis 0."""
        with colocate_with(self._handle.op), name_scope(name, "TensorArrayStack"):
            value = self.gather(range_(0, self.size()), name=name)
            static = self._size._const_value if isinstance(self._size, Tensor) else self._size
            if self.element_shape.ndims is not None and not self._dynamic_size and static is not None:
                value.set_shape(TensorShape([int(static)]).concatenate(self.element_shape))
            return value

    def concat(self, name=None) -> Tensor:
        """All elements concatenated along their axis 0."""
        rest = self.element_shape[1:] if self.element_shape.ndims else TensorShape(None)
        value, _ = apply_op("TensorArrayConcatV3", self._handle, self._flow, dtype=self._dtype,
                            element_shape_except0=rest, name=name or "TensorArrayConcatV3")
        if self.element_shape.ndims:
            dim0 = None
            if self._infer_shape:
                size = self.size()
                size = size._const_value
                first = self.element_shape.as_tuple()[0]
                if size is not None and first is not None:
                    dim0 = int(size) * first
            value.set_shape(TensorShape([dim0]).concatenate(self.element_shape[1:]))
        return value

    def unstack(self, value, name=None) -> TensorArray:
        """A TensorArray holding the slices of `value` along axis 0."""
        with name_scope(name, "TensorArrayUnstack"):
            value = self._convert_value(value)
            return self.scatter(range_(0, shape(value)[0]), value, name=name)

    def scatter(self, indices, value, name=None) -> TensorArray:
        """A TensorArray whose element `indices[i]` is `value[i]`."""
        with name_scope(name, "TensorArrayScatter"):
            value = self._convert_value(value)
            if value.shape.ndims is not None and value.shape.ndims > 0:
                self._check_element_shape(value.shape[1:])
            with self._colocate(value):
                flow_out = apply_op("TensorArrayScatterV3", self._handle,
                                    convert_to_tensor(indices, dtype=dtypes.int32), value, self._flow,
                                    name=name or "TensorArrayScatterV3")
            return self._with_flow(flow_out)

    def split(self, value, lengths, name=None) -> TensorArray:
        """A TensorArray whose element i is the i-th piece of `value` split along axis 0 by `lengths`."""
        with name_scope(name, "TensorArraySplit"):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            with self._colocate(value):
                lengths_64 = cast(convert_to_tensor(lengths), dtypes.int64)
                static = lengths_64._const_value
                if value.shape.ndims is not None and static is not None:
                    if static.shape and static.size and static.max() == static.min():
                        self._check_element_shape(TensorShape([int(static[0])]).concatenate(value.shape[1:]))
                flow_out = apply_op("TensorArraySplitV3", self._handle, value, lengths_64, self._flow,
                                    name=name or "TensorArraySplitV3")
            return self._with_flow(flow_out)

    def size(self, name=None) -> Tensor:
        """The number of elements (an int32 scalar)."""
        if not self._dynamic_size and self._size is not None:
            return convert_to_tensor(self._size, dtype=dtypes.int32)
        return apply_op("TensorArraySizeV3", self._handle, self._flow, name=name or "TensorArraySizeV3")

    def close(self, name=None):
        """An op that closes the array: later ops on it fail."""
        return apply_op("TensorArrayCloseV3", self._handle, name=name or "TensorArrayCloseV3")


def build_ta_with_new_flow(old_ta: TensorArray, flow) -> TensorArray:
    """A TensorArray on `old_ta`'s array with `flow` (sharing its element shape), as TF's."""
    ta = TensorArray(old_ta._dtype, handle=old_ta._handle, flow=flow, infer_shape=old_ta._infer_shape,
                     colocate_with_first_write_call=old_ta._colocate_with_first_write_call)
    ta._dynamic_size = old_ta._dynamic_size
    ta._size = old_ta._size
    ta._colocate_with = old_ta._colocate_with
    ta._element_shape = old_ta._element_shape
    return ta


class TensorArraySpec:
    """The type of a TensorArray: element shape, dtype, `dynamic_size` and `infer_shape` (`tf.TensorArraySpec`).

        spec = tf.TensorArraySpec.from_value(tf.TensorArray(tf.float32, size=3, element_shape=[2]))
        spec == tf.TensorArraySpec([2], tf.float32)            # True
    """

    __slots__ = ("_element_shape", "_dtype", "_dynamic_size", "_infer_shape")
    value_type = TensorArray

    def __init__(self, element_shape=None, dtype=dtypes.float32, dynamic_size=False, infer_shape=True):
        self._element_shape = as_shape(element_shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._dynamic_size = dynamic_size
        self._infer_shape = infer_shape

    @staticmethod
    def from_value(value) -> TensorArraySpec:
        """The spec of TensorArray `value`."""
        if not isinstance(value, TensorArray):
            raise TypeError(f"Expected value to be a TensorArray, but got: `{type(value)}`")
        return TensorArraySpec(dtype=value.dtype, element_shape=value.element_shape, dynamic_size=value.dynamic_size,
                               infer_shape=value._infer_shape)

    def _serialize(self):
        return (self._element_shape, self._dtype, self._dynamic_size, self._infer_shape)

    def is_compatible_with(self, other) -> bool:
        """Same dtype and `dynamic_size`, and compatible element shapes (a TensorArray or a spec)."""
        if isinstance(other, TensorArray):
            other = TensorArraySpec.from_value(other)
        return (isinstance(other, TensorArraySpec) and self._dtype == other._dtype
                and self._element_shape.is_compatible_with(other._element_shape)
                and self._dynamic_size == other._dynamic_size)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((type(self), self._element_shape, self._dtype, self._dynamic_size, self._infer_shape))

    def __repr__(self):
        return f"TensorArraySpec({self._element_shape!r}, tf.{self._dtype.name}, {self._dynamic_size!r}, " \
               f"{self._infer_shape!r})"


def TensorArrayStructure(dtype, element_shape, dynamic_size, infer_shape):  # noqa: N802 - TF's public name
    """`tf.data.experimental.TensorArrayStructure`, TF's deprecated name for a `TensorArraySpec` (note the
    argument order)."""
    return TensorArraySpec(element_shape, dtype, dynamic_size, infer_shape)
