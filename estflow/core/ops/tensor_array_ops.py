"""The TensorArrayV3 ops: the array a handle names, the ops on it, and their gradients.

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

The Python class, `tf.TensorArray`, is in tensor_array.py.
"""

from __future__ import annotations

from estflow.core import dtypes, errors
from estflow.core.dead import DEAD
from estflow.core.graph import Tensor
from estflow.core.ops.tensor_array import TensorArray, gradient_source_of
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register
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
    _, index, _ = op._inputs
    return [None, None, _gradient_array(op, grad).write(index, grad).flow]


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
    _, indices, _ = op._inputs
    return [None, None, _gradient_array(op, grad).scatter(indices, grad).flow]


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
    return [None, _gradient_array(op, grad).split(grad, op._outputs[1]).flow]


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


def _gradient_array(op, grad) -> TensorArray:
    """The gradient TensorArray of the array `op` reads (its handle first, its flow last), for this
    `tf.gradients` call: where a read's, gather's or concat's gradient is written."""
    handle, flow = op._inputs[0], op._inputs[-1]
    return TensorArray(op._attrs["dtype"], handle=handle, flow=flow, colocate_with_first_write_call=False) \
        .grad(source=_grad_source(grad), flow=flow)


def _grad_source(t) -> str:
    """TF's _GetGradSource: the name up to the innermost `gradients*` scope, so each `tf.gradients`
    call gets its own gradient arrays. A while loop's gradient body is a function graph of its own:
    it takes the source of the `tf.gradients` call that built it (`gradient_source`)."""
    source = getattr(t.graph, "gradient_source", None)
    if source is not None:
        return source
    return gradient_source_of(t.op.name if isinstance(t, Tensor) else t.name)
