"""TensorArray: TF1's graph-mode array of tensors (`TensorArrayV3` and the ops on its handle).

`TensorArrayV3` makes a fresh array each `Session.run` (TF keeps it in the step's resource
container) and outputs its handle and a float scalar `flow`. Every op on the array takes the
handle and a flow, and the writes output a new flow: the flow orders reads after the writes
they must see, and is what a `tf.while_loop` carries for a TensorArray loop variable (the
handle is captured). Gradients go through a second array per forward array and gradient
computation (`TensorArrayGradV3`, keyed by `source`, the name of the `gradients` scope); its
writes add up (a value read twice gets both gradients), so the gradient of a write is a read
of the gradient array, of a read a write, of stack/gather a scatter, of concat a split:

    ta = tf.TensorArray(tf.float32, size=3).unstack(x)      # TensorArrayV3, TensorArrayScatterV3
    y = ta.read(1)                                          # TensorArrayReadV3
    tf.gradients(y, x)                                      # TensorArrayGradV3, Write, Gather
"""

from __future__ import annotations

import logging

from estflow.core import dtypes, errors
from estflow.core.dead import DEAD
from estflow.core.graph import Tensor, colocate_with, control_dependencies, get_default_graph, name_scope
from estflow.core.ops.array_ops import identity, shape
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.fill_ops import range_
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape, as_shape


# ---- the array a handle names (one per TensorArrayV3 per run) ----------------------------------------
class _Array:
    """The elements of one TensorArray in one run. `shapes[i]` stays known after element i is read
    and cleared (and is copied into gradient arrays), so a missing gradient reads as zeros."""

    __slots__ = ("name", "dtype", "np_dtype", "element_shape", "dynamic_size", "clear_after_read", "identical",
                 "aggregate", "values", "written", "cleared", "shapes", "closed", "grads")

    def __init__(self, name, dtype, size, element_shape, dynamic_size, clear_after_read, identical, aggregate=False):
        self.name = name
        self.dtype = dtype
        self.np_dtype = dtype.as_numpy_dtype
        self.element_shape = element_shape  # tuple of ints and None, or None: unknown rank
        self.dynamic_size = dynamic_size
        self.clear_after_read = clear_after_read
        self.identical = identical
        self.aggregate = aggregate
        self.values = [None] * size
        self.written = [False] * size
        self.cleared = [False] * size
        self.shapes = [None] * size
        self.closed = False
        self.grads: dict = {}

    def __repr__(self):
        return f"<TensorArray {self.name} of {len(self.values)} {self.dtype.name} tensors>"

    def _error(self, message):
        return errors.InvalidArgumentError(None, None, f"TensorArray {self.name}: {message}")

    def check_open(self):
        if self.closed:
            raise errors.InvalidArgumentError(None, None, f"TensorArray {self.name} has already been closed.")

    def _grow(self, size):
        extra = size - len(self.values)
        if extra > 0:
            self.values.extend([None] * extra)
            self.written.extend([False] * extra)
            self.cleared.extend([False] * extra)
            self.shapes.extend([None] * extra)

    def write(self, index, value):
        index = int(index)
        if index < 0:
            raise self._error(f"Tried to write to index {index} but array size is: {len(self.values)}")
        if index >= len(self.values):
            if not self.dynamic_size:
                raise self._error(f"Tried to write to index {index} but array is not resizeable and size is: "
                                  f"{len(self.values)}")
            self._grow(index + 1)
        if value.dtype != self.np_dtype:
            raise self._error(f"TensorArray dtype is {self.dtype.name} but Op is trying to write dtype "
                              f"{dtypes.as_dtype(value.dtype).name}.")
        got = tuple(value.shape)
        known = self.element_shape
        if known is not None and known != got and (
                len(known) != len(got) or any(k is not None and k != d for k, d in zip(known, got))):
            raise self._error(f"Could not write to TensorArray index {index} because the value shape is "
                              f"{_dims(got)} which is incompatible with the TensorArray's inferred element shape: "
                              f"{_dims(known)} (consider setting infer_shape=False).")
        if self.identical:
            self.element_shape = got
        if self.cleared[index]:
            raise self._error(f"Could not write to TensorArray index {index} because it has already been read.")
        if self.written[index]:
            if not self.aggregate:
                raise self._error(f"Could not write to TensorArray index {index} because it has already been "
                                  "written to.")
            old = self.values[index]
            if old.shape != value.shape:
                raise self._error(f"Could not aggregate to TensorArray index {index} because the existing shape is "
                                  f"{_dims(old.shape)} but the new input shape is {_dims(got)}.")
            value = old + value
        self.values[index] = value
        self.written[index] = True
        self.shapes[index] = got

    def read(self, xp, index):
        index = int(index)
        if not 0 <= index < len(self.values):
            raise self._error(f"Tried to read from index {index} but array size is: {len(self.values)}")
        if self.cleared[index]:
            raise self._error(f"Could not read index {index} twice because it was cleared after a previous read "
                              "(perhaps try setting clear_after_read = false?).")
        if not self.written[index]:
            full = self.shapes[index] or self.element_shape
            if full is None or None in full:
                raise self._error(
                    f"Could not read from TensorArray index {index}.  Furthermore, the element shape is not fully "
                    f"defined: {_dims(full)}.  It is possible you are working with a resizeable TensorArray and "
                    "stop_gradients is not allowing the gradients to be written.  If you set the full element_shape "
                    "property on the forward TensorArray, the proper all-zeros tensor will be returned instead of "
                    "incurring this error.")
            return xp.zeros(full, dtype=self.np_dtype)
        value = self.values[index]
        if self.clear_after_read:
            self.values[index] = None
            self.cleared[index] = True
        return value

    def grad(self, source):
        g = self.grads.get(source)
        if g is None:
            g = _Array(f"{self.name}@{source}", self.dtype, len(self.values), self.element_shape, False, True,
                       self.identical, aggregate=True)
            g.shapes = list(self.shapes)
            self.grads[source] = g
        return g


def _dims(shape) -> str:
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


_FLOWS: dict = {}


def _flow(xp):
    """A flow value: a float32 zero (a numpy scalar: immutable, so one serves every op)."""
    value = _FLOWS.get(xp)
    if value is None:
        value = _FLOWS[xp] = xp.float32(0.0)
    return value


def _check_handle(spec: TensorSpec, op_type: str):
    if spec.dtype != dtypes.resource:
        raise TypeError(f"{op_type}: input 'handle' expected type resource, got {spec.dtype.name}: pass a "
                        "TensorArray's handle.")


def _check_scalar_int(spec: TensorSpec, what: str):
    if spec.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims} ({what})")


_FLOW = TensorSpec([], dtypes.float32)
_HANDLE = TensorSpec([2], dtypes.resource)  # TF's shape for a TensorArray handle (once a pair of strings)
_STATEFUL = {"stateful": True, "cpu_only": True}  # handles name host state: the ops run on the CPU


# ---- TensorArrayV3 ------------------------------------------------------------------------------------
def _infer_create(size, *, dtype, element_shape, dynamic_size, clear_after_read, identical_element_shapes,
                  tensor_array_name):
    _check_scalar_int(size, "size")
    return [_HANDLE, _FLOW]


def _make_create(op, ctx):
    attrs = op._attrs
    dtype = attrs["dtype"]
    known = as_shape(attrs["element_shape"]).as_tuple()
    name = attrs["tensor_array_name"] or op.name
    xp = ctx.xp

    def create(size):
        size = int(size)
        if size < 0:
            raise errors.InvalidArgumentError(None, None, f"Size should be >= 0, got: {size}")
        array = _Array(name, dtype, size, known, attrs["dynamic_size"], attrs["clear_after_read"],
                       attrs["identical_element_shapes"])
        return array, _flow(xp)

    return create


register(OpDef(
    "TensorArrayV3", infer=_infer_create, make_kernel=_make_create, differentiable=False, **_STATEFUL,
    attrs={"dtype": REQUIRED, "element_shape": None, "dynamic_size": False, "clear_after_read": True,
           "identical_element_shapes": False, "tensor_array_name": ""},
    input_names=("size: int32",), output_names=("handle: resource", "flow: float"),
    attr_types={"dtype": "type", "element_shape": "shape", "dynamic_size": "bool", "clear_after_read": "bool",
                "identical_element_shapes": "bool", "tensor_array_name": "string"},
))


# ---- TensorArrayGradV3 --------------------------------------------------------------------------------
def _grad_kernel(xp, handle, flow_in, *, source):
    if handle is DEAD:
        # In a while loop's gradient, the handle of an array read on a tf.cond branch comes off the forward
        # loop's list as dead for the iterations that took the other branch: so is its gradient array.
        return DEAD, DEAD
    handle.check_open()
    return handle.grad(source), _flow(xp)


register(OpDef(
    "TensorArrayGradV3",
    infer=lambda handle, flow_in, *, source: (_check_handle(handle, "TensorArrayGradV3"),
                                              [_HANDLE, _FLOW])[1],
    kernel=_grad_kernel, differentiable=False, attrs={"source": REQUIRED}, **_STATEFUL,
    input_names=("handle: resource", "flow_in: float"), output_names=("grad_handle: resource", "flow_out: float"),
    attr_types={"source": "string"},
))


# ---- TensorArrayWriteV3 / ReadV3 ---------------------------------------------------------------------
def _infer_write(handle, index, value, flow_in):
    _check_handle(handle, "TensorArrayWriteV3")
    _check_scalar_int(index, "index")
    return _FLOW


def _write_kernel(xp, handle, index, value, flow_in):
    handle.check_open()
    handle.write(index, value)
    return _flow(xp)


def _write_grad(op, flow):
    handle, index = op._inputs[0], op._inputs[1]
    g = TensorArray(op._inputs[2].dtype, handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(flow), flow=flow)
    grad = g.read(index)
    grad.set_shape(op._inputs[2].shape)
    return [None, None, grad, flow]


register(OpDef(
    "TensorArrayWriteV3", infer=_infer_write, kernel=_write_kernel, grad=_write_grad, **_STATEFUL,
    input_names=("handle: resource", "index: int32", "value: T", "flow_in: float"),
    output_names=("flow_out: float",), attr_types={"T": "type"},
))


def _infer_read(handle, index, flow_in, *, dtype):
    _check_handle(handle, "TensorArrayReadV3")
    _check_scalar_int(index, "index")
    return TensorSpec(None, dtype)


def _read_kernel(xp, handle, index, flow_in, *, dtype):
    handle.check_open()
    return handle.read(xp, index)


def _read_grad(op, grad):
    handle, index, flow = op._inputs
    g = TensorArray(op._attrs["dtype"], handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(grad), flow=flow)
    return [None, None, g.write(index, grad).flow]


register(OpDef(
    "TensorArrayReadV3", infer=_infer_read, kernel=_read_kernel, grad=_read_grad, attrs={"dtype": REQUIRED},
    **_STATEFUL, input_names=("handle: resource", "index: int32", "flow_in: float"),
    output_names=("value: dtype",), attr_types={"dtype": "type"},
))


# ---- TensorArrayGatherV3 / ScatterV3 -----------------------------------------------------------------
def _infer_gather(handle, indices, flow_in, *, dtype, element_shape):
    _check_handle(handle, "TensorArrayGatherV3")
    if indices.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {indices.shape.ndims} (indices)")
    n = indices.shape.as_tuple()[0] if indices.shape.ndims == 1 else None
    return TensorSpec(TensorShape([n]).concatenate(as_shape(element_shape)), dtype)


def _gather_kernel(xp, handle, indices, flow_in, *, dtype, element_shape):
    handle.check_open()
    indices = [int(i) for i in indices.tolist()]
    if not indices:
        known = as_shape(element_shape).as_tuple()
        if known is None or None in known:
            raise errors.UnimplementedError(
                None, None, f"TensorArray has size zero, but element shape {_dims(known)} is not fully defined. "
                            "Currently only static shapes are supported when packing zero-size TensorArrays.")
        return xp.zeros((0, *known), dtype=dtype.as_numpy_dtype)
    values = [handle.read(xp, i) for i in indices]
    first = values[0].shape
    for i, v in zip(indices, values, strict=True):
        if v.shape != first:
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray has inconsistent shapes.  Index 0 has shape: {_dims(first)} but index "
                            f"{i} has shape: {_dims(v.shape)}")
    return xp.stack(values)


def _gather_grad(op, grad):
    handle, indices, flow = op._inputs
    g = TensorArray(op._attrs["dtype"], handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(grad), flow=flow)
    return [None, None, g.scatter(indices, grad).flow]


register(OpDef(
    "TensorArrayGatherV3", infer=_infer_gather, kernel=_gather_kernel, grad=_gather_grad,
    attrs={"dtype": REQUIRED, "element_shape": None}, **_STATEFUL,
    input_names=("handle: resource", "indices: int32", "flow_in: float"), output_names=("value: dtype",),
    attr_types={"dtype": "type", "element_shape": "shape"},
))


def _infer_scatter(handle, indices, value, flow_in):
    _check_handle(handle, "TensorArrayScatterV3")
    if indices.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {indices.shape.ndims} (indices)")
    if value.shape.ndims == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0 (value)")
    return _FLOW


def _scatter_kernel(xp, handle, indices, value, flow_in):
    handle.check_open()
    indices = [int(i) for i in indices.tolist()]
    if len(indices) != value.shape[0]:
        raise errors.InvalidArgumentError(None, None, f"Expected len(indices) == values.shape[0], but saw: "
                                                      f"{len(indices)} vs. {value.shape[0]}")
    for k, i in enumerate(indices):
        handle.write(i, value[k])
    return _flow(xp)


def _scatter_grad(op, flow):
    handle, indices, value = op._inputs[:3]
    g = TensorArray(value.dtype, handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(flow), flow=flow)
    grad = g.gather(indices)
    grad.set_shape(value.shape)
    return [None, None, grad, flow]


register(OpDef(
    "TensorArrayScatterV3", infer=_infer_scatter, kernel=_scatter_kernel, grad=_scatter_grad, **_STATEFUL,
    input_names=("handle: resource", "indices: int32", "value: T", "flow_in: float"),
    output_names=("flow_out: float",), attr_types={"T": "type"},
))


# ---- TensorArrayConcatV3 / SplitV3 -------------------------------------------------------------------
def _infer_concat(handle, flow_in, *, dtype, element_shape_except0):
    _check_handle(handle, "TensorArrayConcatV3")
    return [TensorSpec(TensorShape([None]).concatenate(as_shape(element_shape_except0)), dtype),
            TensorSpec([None], dtypes.int64)]


def _concat_kernel(xp, handle, flow_in, *, dtype, element_shape_except0):
    handle.check_open()
    values = [handle.read(xp, i) for i in range(len(handle.values))]
    if not values:
        known = as_shape(element_shape_except0).as_tuple()
        if known is None or None in known:
            raise errors.UnimplementedError(
                None, None, f"TensorArray has size zero, but element_shape_except0 {_dims(known)} is not fully "
                            "defined. Currently only static shapes are supported when concatenating zero-size "
                            "TensorArrays.")
        return xp.zeros((0, *known), dtype=dtype.as_numpy_dtype), xp.zeros((0,), dtype=xp.int64)
    rest = None
    for i, v in enumerate(values):
        if v.ndim == 0:
            raise errors.InvalidArgumentError(None, None, f"Concat saw a scalar shape at index {i} but requires "
                                                          "at least vectors.  Did you mean to call stack?")
        if rest is None:
            rest = v.shape[1:]
        elif v.shape[1:] != rest:
            raise errors.InvalidArgumentError(
                None, None, f"TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: "
                            f"{_dims(rest)} but index {i} has (excepting dimension 0) shape: {_dims(v.shape[1:])}")
    lengths = xp.asarray([v.shape[0] for v in values], dtype=xp.int64)
    return xp.concatenate(values, axis=0), lengths


def _concat_grad(op, grad, _lengths_grad=None):
    handle, flow = op._inputs
    lengths = op._outputs[1]
    g = TensorArray(op._attrs["dtype"], handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(grad), flow=flow)
    return [None, g.split(grad, lengths).flow]


register(OpDef(
    "TensorArrayConcatV3", infer=_infer_concat, kernel=_concat_kernel, grad=_concat_grad,
    attrs={"dtype": REQUIRED, "element_shape_except0": None}, **_STATEFUL,
    input_names=("handle: resource", "flow_in: float"), output_names=("value: dtype", "lengths: int64"),
    attr_types={"dtype": "type", "element_shape_except0": "shape"},
))


def _infer_split(handle, value, lengths, flow_in):
    _check_handle(handle, "TensorArraySplitV3")
    if value.shape.ndims == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0 (value)")
    if lengths.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {lengths.shape.ndims} (lengths)")
    return _FLOW


def _split_kernel(xp, handle, value, lengths, flow_in):
    handle.check_open()
    lengths = [int(n) for n in lengths.tolist()]
    if value.ndim == 0:
        raise errors.InvalidArgumentError(None, None, "Expected value to be at least a vector, but received shape: []")
    if sum(lengths) != value.shape[0]:
        raise errors.InvalidArgumentError(
            None, None, f"Expected sum of lengths to be equal to values.shape[0], but sum of lengths is "
                        f"{sum(lengths)} and value's shape is: {_dims(value.shape)}")
    if not handle.dynamic_size and len(lengths) > len(handle.values):
        raise errors.InvalidArgumentError(
            None, None, f"TensorArray's size is not equal to the size of lengths ({len(lengths)} vs. "
                        f"{len(handle.values)}), and the TensorArray is not marked as dynamically resizeable")
    start = 0
    for i, n in enumerate(lengths):
        handle.write(i, value[start:start + n])
        start += n
    return _flow(xp)


def _split_grad(op, flow):
    handle, value = op._inputs[:2]
    g = TensorArray(value.dtype, handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(flow), flow=flow)
    grad = g.concat()
    grad.set_shape(value.shape)
    return [None, grad, None, flow]


register(OpDef(
    "TensorArraySplitV3", infer=_infer_split, kernel=_split_kernel, grad=_split_grad, **_STATEFUL,
    input_names=("handle: resource", "value: T", "lengths: int64", "flow_in: float"),
    output_names=("flow_out: float",), attr_types={"T": "type"},
))


# ---- TensorArraySizeV3 / CloseV3 ---------------------------------------------------------------------
def _size_kernel(xp, handle, flow_in):
    handle.check_open()
    return xp.asarray(len(handle.values), dtype=xp.int32)


register(OpDef(
    "TensorArraySizeV3",
    infer=lambda handle, flow_in: (_check_handle(handle, "TensorArraySizeV3"), TensorSpec([], dtypes.int32))[1],
    kernel=_size_kernel, differentiable=False, **_STATEFUL,
    input_names=("handle: resource", "flow_in: float"), output_names=("size: int32",),
))


def _close_kernel(xp, handle):
    handle.check_open()
    handle.closed = True
    handle.values = [None] * len(handle.values)
    return ()


register(OpDef(
    "TensorArrayCloseV3", infer=lambda handle: (_check_handle(handle, "TensorArrayCloseV3"), [])[1],
    kernel=_close_kernel, differentiable=False, **_STATEFUL, input_names=("handle: resource",), output_names=(),
))


def _grad_source(t) -> str:
    """TF's _GetGradSource: the name up to the innermost `gradients*` scope, so each `tf.gradients`
    call gets its own gradient arrays. A while loop's gradient body is a function graph of its own:
    it takes the source of the `tf.gradients` call that built it (`gradient_source`)."""
    source = getattr(t.graph, "gradient_source", None)
    if source is not None:
        return source
    return gradient_source_of(t.op.name if isinstance(t, Tensor) else t.name)


def gradient_source_of(name: str) -> str:
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
