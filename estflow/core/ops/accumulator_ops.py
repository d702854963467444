"""Conditional accumulators, as TF1 registers them: gradients summed in the session until taken.

    ResourceConditionalAccumulator -> handle (resource)         tf.ConditionalAccumulator
    ResourceAccumulatorApplyGradient(handle, local_step, g)      added unless local_step < the global step
    ResourceAccumulatorTakeGradient(handle, num_required)        waits for num_required, returns the mean
    ResourceAccumulatorNumAccumulated / ResourceAccumulatorSetGlobalStep
    SparseConditionalAccumulator -> handle (Ref(string))         tf.SparseConditionalAccumulator
    SparseAccumulatorApplyGradient(handle, step, indices, values, shape)
    SparseAccumulatorTakeGradient(handle, n) -> indices, values, shape
    AccumulatorNumAccumulated / AccumulatorSetGlobalStep         the ref-handle forms (sparse)

An accumulator lives in the session's state beside the queues (queue_ops names and finds it),
so two sessions never share one. TF's rules: a gradient computed at a `local_step` older than
the accumulator's global step is dropped (stale); a take waits until `num_required`
gradients have been added, returns their mean (`reduction_type="MEAN"`; the sparse mean is
per row, over the gradients that touched it) or sum (`"SUM"`), then clears the sum and the
count and increments the global step. A blocked take wakes when the session closes
(CancelledError).
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.ops.queue_ops import _WAIT_SLICE, _check_handle, _lookup, _make_resource
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register
from estflow.core.tensor_shape import TensorShape

_log = logging.getLogger("estflow")


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


class Accumulator:
    """One session's conditional accumulator (dense or sparse), thread-safe."""

    def __init__(self, name: str, dtype, shape: TensorShape, reduction_type: str, sparse: bool):
        self.name, self.dtype, self.shape = name, dtype, shape
        self.mean = reduction_type == "MEAN"
        self.sparse = sparse
        self.global_step = 0
        self.counter = 0
        self.total = None  # dense: the sum; sparse: (sorted indices, row sums, row counts)
        self.closed = False
        self.cond = threading.Condition()

    def close(self) -> None:  # Session.close(): wake a blocked take, which then raises CancelledError
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _check_shape(self, dims, what: str) -> None:
        if not self.shape.is_compatible_with(TensorShape(list(dims))):
            raise _invalid(f"Shape mismatch: expected {self.shape}, got {_dims(dims)}{what}")

    def apply(self, local_step: int, grad) -> None:
        with self.cond:
            if local_step < self.global_step:
                _log.warning("Dropped a stale gradient of local step %d: accumulator %s is at global step %d.",
                             local_step, self.name, self.global_step)
                return
            if self.sparse:
                self._add_sparse(*grad)
            else:
                self._check_shape(grad.shape, "")
                if self.total is not None and self.total.shape != grad.shape:
                    raise _invalid(f"Shape mismatch: expected {_dims(self.total.shape)}, got {_dims(grad.shape)}")
                self.total = grad.copy() if self.total is None else self.total + grad
            self.counter += 1
            self.cond.notify_all()

    def _add_sparse(self, indices, values, shape) -> None:
        if indices.ndim != 1 or values.ndim < 1 or values.shape[0] != indices.shape[0]:
            raise _invalid(f"Shape mismatch: indices {_dims(indices.shape)} and values {_dims(values.shape)} must "
                           "name one row of values per index")
        if shape is not None:
            if shape.shape[0] != values.ndim or list(shape[1:]) != list(values.shape[1:]):
                raise _invalid(f"Shape mismatch: gradient shape {_dims(shape)} does not match values "
                               f"{_dims(values.shape)}")
            self._check_shape(shape, " (the gradient's shape)")
        self._check_shape([self.shape.as_tuple()[0] if self.shape.ndims else None, *values.shape[1:]]
                          if self.shape.ndims else values.shape, " (the gradient values' slices)")
        if self.total is not None and self.total[1].shape[1:] != values.shape[1:]:
            raise _invalid(f"Shape mismatch: expected slices {_dims(self.total[1].shape[1:])}, got "
                           f"{_dims(values.shape[1:])}")
        old_idx, old_sum, old_cnt = self.total if self.total is not None else (
            np.zeros(0, np.int64), np.zeros((0,) + values.shape[1:], values.dtype), np.zeros(0, np.int64))
        all_idx = np.concatenate([old_idx, indices.astype(np.int64)])
        merged, where = np.unique(all_idx, return_inverse=True)
        total = np.zeros((merged.shape[0],) + values.shape[1:], values.dtype)
        np.add.at(total, where, np.concatenate([old_sum, values]))
        counts = np.zeros(merged.shape[0], np.int64)
        np.add.at(counts, where, np.concatenate([old_cnt, np.ones(indices.shape[0], np.int64)]))
        self.total = (merged, total, counts)

    def take(self, num_required: int, session):
        if num_required < 1:
            raise _invalid(f"Argument num_required must be positive, but was {num_required}")
        with self.cond:
            while self.counter < num_required:
                if self.closed or getattr(session, "_closed", False):
                    raise errors.CancelledError(None, None, f"TakeGrad operation was cancelled: accumulator "
                                                            f"{self.name} was closed with the session.")
                self.cond.wait(_WAIT_SLICE)
            result = self._average()
            self.total, self.counter = None, 0
            self.global_step += 1
            return result

    def _divide(self, total, count):
        if total.dtype.kind in "iu":  # C++ integer division truncates toward zero
            return (np.trunc(total / count)).astype(total.dtype)
        return (total / count).astype(total.dtype)

    def _average(self):
        if not self.sparse:
            return self._divide(self.total, self.counter) if self.mean else self.total
        indices, total, counts = self.total
        if self.mean:
            total = self._divide(total, counts.reshape((-1,) + (1,) * (total.ndim - 1)))
        first = self.shape.as_tuple()[0] if self.shape.ndims else None
        shape = np.array([-1 if first is None else first, *total.shape[1:]], np.int64)
        return indices, total, shape


# ---- the accumulator resources -----------------------------------------------------------------------
def _make_accumulator(sparse: bool):
    def make(op, ctx):
        attrs = op._attrs
        return _make_resource(op, ctx, lambda name: Accumulator(
            name, attrs["dtype"], TensorShape(attrs["shape"]), attrs["reduction_type"], sparse))

    return make


_ACCUMULATOR_ATTRS = {"dtype": REQUIRED, "shape": REQUIRED, "container": "", "shared_name": "",
                      "reduction_type": "MEAN"}
_ACCUMULATOR_TYPES = {"dtype": "type", "shape": "shape", "container": "string", "shared_name": "string",
                      "reduction_type": "string"}
register(OpDef("ResourceConditionalAccumulator", infer=lambda **_: TensorSpec([], dtypes.resource),
               make_kernel=_make_accumulator(False), attrs=dict(_ACCUMULATOR_ATTRS), stateful=True, cpu_only=True,
               differentiable=False, output_names=("handle: resource",), attr_types=dict(_ACCUMULATOR_TYPES)))
register(OpDef("SparseConditionalAccumulator", infer=lambda **_: TensorSpec([], dtypes.string),
               make_kernel=_make_accumulator(True), attrs=dict(_ACCUMULATOR_ATTRS), stateful=True, cpu_only=True,
               differentiable=False, output_names=("handle: Ref(string)",), attr_types=dict(_ACCUMULATOR_TYPES)))


def _check_string_handle(spec: TensorSpec) -> None:
    if spec.dtype.base_dtype != dtypes.string:
        raise TypeError(f"Input 'handle' expected the Ref(string) handle of a SparseConditionalAccumulator, got "
                        f"{spec.dtype.name}")


def _check(handle, resource: bool):
    (_check_handle if resource else _check_string_handle)(handle)


# ---- apply, take, count, set the step ---------------------------------------------------------------
def _make_apply(op, ctx):
    state = ctx.state

    def apply_gradient(handle, local_step, gradient):
        accumulator = _lookup(state, handle, Accumulator)
        if gradient.dtype != accumulator.dtype.as_numpy_dtype:
            raise _invalid(f"Accumulator {accumulator.name} holds {accumulator.dtype.name}, got a gradient of "
                           f"{gradient.dtype}")
        accumulator.apply(int(local_step), np.asarray(gradient))
        return []

    return apply_gradient


def _make_take(op, ctx):
    state, session = ctx.state, ctx.session

    def take_gradient(handle, num_required):
        return _lookup(state, handle, Accumulator).take(int(num_required), session)

    return take_gradient


def _make_num_accumulated(op, ctx):
    state = ctx.state

    def num_accumulated(handle):
        accumulator = _lookup(state, handle, Accumulator)
        with accumulator.cond:
            return np.int32(accumulator.counter)

    return num_accumulated


def _make_set_global_step(op, ctx):
    state = ctx.state

    def set_global_step(handle, new_global_step):
        accumulator = _lookup(state, handle, Accumulator)
        with accumulator.cond:
            step = int(new_global_step)
            if step < accumulator.global_step:
                _log.warning("Attempt to set the global step of accumulator %s to %d, below its %d.",
                             accumulator.name, step, accumulator.global_step)
            accumulator.global_step = step
        return []

    return set_global_step


def _make_sparse_apply(op, ctx):
    state, known = ctx.state, bool(op._attrs["has_known_shape"])

    def apply_gradient(handle, local_step, indices, values, shape):
        accumulator = _lookup(state, handle, Accumulator)
        accumulator.apply(int(local_step), (np.asarray(indices), np.asarray(values),
                                            np.asarray(shape, np.int64) if known else None))
        return []

    return apply_gradient


def _infer_apply(resource):
    def infer(handle, local_step, gradient, *, dtype=None):
        _check(handle, resource)
        return []

    return infer


def _infer_take(handle, num_required, *, dtype):
    _check(handle, True)
    return TensorSpec(TensorShape(None), dtype)


def _infer_sparse_take(handle, num_required, *, dtype):
    _check(handle, False)
    return [TensorSpec([None], dtypes.int64), TensorSpec(TensorShape(None), dtype), TensorSpec([None], dtypes.int64)]


def _infer_sparse_apply(handle, local_step, indices, values, shape, *, has_known_shape):
    _check(handle, False)
    return []


def _infer_count(resource):
    def infer(handle):
        _check(handle, resource)
        return TensorSpec([], dtypes.int32)

    return infer


def _infer_set_step(resource):
    def infer(handle, new_global_step):
        _check(handle, resource)
        return []

    return infer


# The resource forms are stateful in TF; the Ref(string) forms are not (their ref input orders them).
for _prefix, _resource, _handle in (("Resource", True, "handle: resource"), ("", False, "handle: Ref(string)")):
    register(OpDef(f"{_prefix}AccumulatorNumAccumulated", infer=_infer_count(_resource),
                   make_kernel=_make_num_accumulated, stateful=_resource, cpu_only=True, differentiable=False,
                   input_names=(_handle,), output_names=("num_accumulated: int32",)))
    register(OpDef(f"{_prefix}AccumulatorSetGlobalStep", infer=_infer_set_step(_resource),
                   make_kernel=_make_set_global_step, stateful=_resource, cpu_only=True, differentiable=False,
                   input_names=(_handle, "new_global_step: int64")))
register(OpDef("ResourceAccumulatorApplyGradient", infer=_infer_apply(True), make_kernel=_make_apply,
               stateful=True, cpu_only=True, differentiable=False,
               input_names=("handle: resource", "local_step: int64", "gradient: dtype"), attr_types={"dtype": "type"}))
register(OpDef("ResourceAccumulatorTakeGradient", infer=_infer_take, make_kernel=_make_take,
               attrs={"dtype": REQUIRED}, stateful=True, cpu_only=True, differentiable=False,
               input_names=("handle: resource", "num_required: int32"), output_names=("average: dtype",),
               attr_types={"dtype": "type"}))
register(OpDef("SparseAccumulatorApplyGradient", infer=_infer_sparse_apply, make_kernel=_make_sparse_apply,
               attrs={"has_known_shape": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("handle: Ref(string)", "local_step: int64", "gradient_indices: int64",
                            "gradient_values: dtype", "gradient_shape: int64"),
               attr_types={"dtype": "type", "has_known_shape": "bool"}))
register(OpDef("SparseAccumulatorTakeGradient", infer=_infer_sparse_take, make_kernel=_make_take,
               attrs={"dtype": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("handle: Ref(string)", "num_required: int32"),
               output_names=("indices: int64", "values: dtype", "shape: int64"), attr_types={"dtype": "type"}))
