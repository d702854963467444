"""TF1's rule for loss and metric `weights`: a scalar, or the rank of `values` with each dim 1 or equal.

`weights` of shape `[batch, 1]` scale whole rows of `values` `[batch, d]`; `[batch]` does not
broadcast to `[batch, d]` (ranks differ), which is what TF1 enforces too. Known shapes are
checked when the graph is built (ValueError); unknown ones by an `Assert` op at run time.
"""

from __future__ import annotations

from estflow.core.graph import Operation, Tensor, control_dependencies, name_scope
from estflow.core.ops import array_ops, comparison_ops, control_flow_ops, fill_ops, math_ops, reduction_ops
from estflow.core.ops.constant_op import convert_to_tensor

_ERROR_PREFIX = "weights can not be broadcast to values."


def _static_check(weights: Tensor, values: Tensor) -> bool:
    """True when the shapes alone prove `weights` broadcastable; ValueError when they disprove it."""
    w_rank, v_rank = weights.shape.ndims, values.shape.ndims
    if w_rank == 0:
        return True
    if w_rank is None or v_rank is None:
        return False
    if w_rank != v_rank:
        raise ValueError(f"{_ERROR_PREFIX} values.rank={v_rank}. weights.rank={w_rank}. "
                         f"values.shape={values.shape}. weights.shape={weights.shape}. Pass weights of rank 0 or "
                         f"{v_rank} (reshape [batch] weights to [batch, 1, ...]).")
    w_dims, v_dims = weights.shape.as_list(), values.shape.as_list()
    for i, (w, v) in enumerate(zip(w_dims, v_dims, strict=True)):
        # Dims known on both sides are checked now; TF1 defers partially known shapes to run
        # time, but a certain mismatch is better reported here, at the user's own line.
        if w is not None and v is not None and w not in (1, v):
            raise ValueError(f"{_ERROR_PREFIX} Mismatch at dim {i}. values.shape={values.shape} "
                             f"weights.shape={weights.shape}.")
    return weights.shape.is_fully_defined() and values.shape.is_fully_defined()


def assert_broadcastable(weights, values) -> Operation:
    """An op checking that `weights` broadcast to `values` (a no-op when the static shapes prove it).

        with tf.control_dependencies([assert_broadcastable(w, losses)]):
            weighted = losses * w

    Raises:
        ValueError: the static shapes already show the weights cannot broadcast.
    """
    with name_scope(None, "assert_broadcastable", [weights, values]) as scope:
        with name_scope(None, "weights", [weights]) as weights_scope:
            weights = convert_to_tensor(weights, name=weights_scope)
        with name_scope(None, "values", [values]) as values_scope:
            values = convert_to_tensor(values, name=values_scope)
        if _static_check(weights, values):
            name = "static_scalar_check_success" if weights.shape.ndims == 0 else "static_dims_check_success"
            return control_flow_ops.no_op(name=name)
        weights_shape = array_ops.shape(weights, name="shape")
        weights_rank = array_ops.rank(weights, name="rank")
        values_shape = array_ops.shape(values, name="shape")
        values_rank = array_ops.rank(values, name="rank")
        is_scalar = comparison_ops.equal(0, weights_rank, name="is_scalar")

        def valid_dims():
            ok = comparison_ops.logical_or(comparison_ops.equal(weights_shape, values_shape),
                                           comparison_ops.equal(weights_shape, 1))
            return reduction_ops.reduce_all(ok)

        def valid_nonscalar():
            same_rank = comparison_ops.equal(values_rank, weights_rank, name="is_same_rank")
            if weights.shape.ndims is not None and values.shape.ndims is not None:
                return valid_dims()  # equal static ranks: no need to branch on them
            return control_flow_ops.cond(same_rank, valid_dims, lambda: same_rank,
                                         name="has_valid_nonscalar_shape")

        if weights.shape.ndims is not None:
            is_valid = valid_nonscalar()  # rank known and nonzero here
        else:
            is_valid = control_flow_ops.cond(is_scalar, lambda: is_scalar, valid_nonscalar, name="is_valid_shape")
        data = [_ERROR_PREFIX, "weights.shape=", weights.name, weights_shape, "values.shape=", values.name,
                values_shape, "is_scalar=", is_scalar]
        return control_flow_ops.Assert(is_valid, data, name=scope)


def broadcast_weights(weights, values) -> Tensor:
    """`weights` expanded to the shape of `values` (returned as is when the shapes already match)."""
    with name_scope(None, "broadcast_weights", [weights, values]) as scope:
        values = convert_to_tensor(values, name="values")
        weights = convert_to_tensor(weights, dtype=values.dtype, name="weights")
        w_shape, v_shape = weights.shape, values.shape
        if w_shape.is_fully_defined() and v_shape.is_fully_defined() and w_shape.is_compatible_with(v_shape):
            return weights
        with control_dependencies([assert_broadcastable(weights, values)]):
            return math_ops.multiply(weights, fill_ops.ones_like(values), name=scope)
