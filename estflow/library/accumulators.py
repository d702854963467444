"""TF1's conditional accumulators: `tf.ConditionalAccumulator`, `tf.SparseConditionalAccumulator`
and their base `tf.ConditionalAccumulatorBase`.

    acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
    apply = acc.apply_grad(grad, local_step=step)   # dropped when step < the accumulator's global step
    mean = acc.take_grad(num_required=3)            # waits for 3 gradients; then the global step grows

The accumulator lives in the session (estflow/core/ops/accumulator_ops.py); these classes build
the ops that reach it, with TF1's op types, names and arguments.
"""

from __future__ import annotations

from estflow.core import dtypes as _dtypes
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op
from estflow.core.tensor_shape import TensorShape, unknown_shape

_REDUCTIONS = ("MEAN", "SUM")


def _attrs(dtype, shape, shared_name, reduction_type):
    if reduction_type not in _REDUCTIONS:
        raise ValueError(f"reduction_type must be 'MEAN' or 'SUM', got {reduction_type!r}")
    shape = unknown_shape() if shape is None else TensorShape(shape)
    return {"dtype": _dtypes.as_dtype(dtype), "shape": shape, "shared_name": shared_name or "",
            "reduction_type": reduction_type}


class ConditionalAccumulatorBase:
    """A conditional accumulator for aggregating gradients: the base of the dense and sparse ones.

    Up-to-date gradients (computed at a local step no older than the accumulator's global
    step) are added; taking the average waits until enough have been added.
    """

    _resource = True  # ops over a resource handle (the sparse accumulator's is a Ref(string))

    def __init__(self, dtype, shape, accumulator_ref):
        self._dtype = dtype
        self._shape = unknown_shape() if shape is None else TensorShape(shape)
        self._accumulator_ref = accumulator_ref
        self._name = accumulator_ref.op.name.split("/")[-1]

    accumulator_ref = property(lambda self: self._accumulator_ref, doc="The underlying accumulator reference.")
    name = property(lambda self: self._name, doc="The name of the underlying accumulator.")
    dtype = property(lambda self: self._dtype, doc="The datatype of the gradients accumulated by this accumulator.")

    def num_accumulated(self, name=None):
        """The number of gradients added since the last take (an int32 scalar)."""
        op_type = "ResourceAccumulatorNumAccumulated" if self._resource else "AccumulatorNumAccumulated"
        return apply_op(op_type, self._accumulator_ref, name=name or f"{self._name}_NumAccumulated")

    def set_global_step(self, new_global_step, name=None):
        """Sets the accumulator's global step (a warning is logged when it moves backwards)."""
        op_type = "ResourceAccumulatorSetGlobalStep" if self._resource else "AccumulatorSetGlobalStep"
        step = cast(convert_to_tensor(new_global_step), _dtypes.int64)
        return apply_op(op_type, self._accumulator_ref, step, name=name or op_type)


class ConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates dense gradients of one shape; `take_grad` gives their mean (or sum)."""

    def __init__(self, dtype, shape=None, shared_name=None, name="conditional_accumulator", reduction_type="MEAN"):
        ref = apply_op("ResourceConditionalAccumulator", name=name,
                       **_attrs(dtype, shape, shared_name, reduction_type))
        super().__init__(dtype, shape, ref)

    def apply_grad(self, grad, local_step=0, name=None):
        """Adds `grad` unless `local_step` is older than the accumulator's global step.

        Raises ValueError when `grad`'s static shape is incompatible with the accumulator's.
        """
        grad = convert_to_tensor(grad, self._dtype)
        grad.shape.assert_is_compatible_with(self._shape)
        step = cast(convert_to_tensor(local_step), _dtypes.int64)
        return apply_op("ResourceAccumulatorApplyGradient", self._accumulator_ref, step, grad,
                        name=name or "ResourceAccumulatorApplyGradient")

    def take_grad(self, num_required, name=None):
        """The mean (or sum) of the gradients added, once `num_required` have been; then the count
        and sum reset and the global step grows by one. InvalidArgumentError if `num_required` < 1."""
        out = apply_op("ResourceAccumulatorTakeGradient", self._accumulator_ref,
                       convert_to_tensor(num_required, _dtypes.int32), name=name or "ResourceAccumulatorTakeGradient",
                       dtype=_dtypes.as_dtype(self._dtype))
        out.set_shape(self._shape)
        return out


class SparseConditionalAccumulator(ConditionalAccumulatorBase):
    """Accumulates sparse gradients (IndexedSlices); the mean of a row is over the gradients that touched it."""

    _resource = False

    def __init__(self, dtype, shape=None, shared_name=None, name="sparse_conditional_accumulator",
                 reduction_type="MEAN"):
        ref = apply_op("SparseConditionalAccumulator", name=name, **_attrs(dtype, shape, shared_name, reduction_type))
        super().__init__(dtype, shape, ref)

    def apply_indexed_slices_grad(self, grad, local_step=0, name=None):
        """`apply_grad` of an IndexedSlices gradient."""
        return self.apply_grad(grad_indices=grad.indices, grad_values=grad.values, grad_shape=grad.dense_shape,
                               local_step=local_step, name=name)

    def apply_grad(self, grad_indices, grad_values, grad_shape=None, local_step=0, name=None):
        """Adds the sparse gradient (rows `grad_values` at `grad_indices`, of shape `grad_shape`
        when given) unless `local_step` is older than the accumulator's global step."""
        step = cast(convert_to_tensor(local_step), _dtypes.int64)
        values = convert_to_tensor(grad_values, self._dtype)
        shape = cast(convert_to_tensor([] if grad_shape is None else grad_shape, _dtypes.int64), _dtypes.int64)
        return apply_op("SparseAccumulatorApplyGradient", self._accumulator_ref, step,
                        cast(convert_to_tensor(grad_indices), _dtypes.int64), values, shape,
                        name=name or "SparseAccumulatorApplyGradient", has_known_shape=grad_shape is not None)

    def take_grad(self, num_required, name=None):
        """(indices, values, shape) of the mean (or sum) gradient, once `num_required` have been added."""
        return tuple(apply_op("SparseAccumulatorTakeGradient", self._accumulator_ref,
                              convert_to_tensor(num_required, _dtypes.int32),
                              name=name or "SparseAccumulatorTakeGradient", dtype=_dtypes.as_dtype(self._dtype)))

    def take_indexed_slices_grad(self, num_required, name=None):
        """`take_grad` as an IndexedSlices."""
        indices, values, shape = self.take_grad(num_required, name=name)
        return IndexedSlices(indices=indices, values=values, dense_shape=shape)
