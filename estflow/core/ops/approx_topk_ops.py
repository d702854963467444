"""ApproxTopK: `tf.math.approx_max_k`, `tf.math.approx_min_k` and `tf.approx_top_k`.

TF's op trades recall for speed on TPUs; its CPU kernel is an exact top-k (largest along the
last axis only). estflow's kernel is exact on every device for any `reduction_dimension`
and for the smallest values too, so `recall_target`, `reduction_input_size_override` and
`aggregate_to_topk` change nothing here: the result always has `k` entries along the
reduction dimension, sorted, ties broken by the lower index (TF's exact kernel's order).
"""

from __future__ import annotations

from estflow.core import dtypes, errors
from estflow.core.ops import array_ops, gather_ops, math_ops, reduction_ops
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
          dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)


def _axis(rank: int, reduction_dimension: int) -> int:
    axis = reduction_dimension + rank if reduction_dimension < 0 else reduction_dimension
    if not 0 <= axis < rank:
        raise ValueError(f"reduction_dimension {reduction_dimension} is out of range for an operand of rank {rank}")
    return axis


def _infer(operand, *, k, reduction_dimension, recall_target, is_max_k, reduction_input_size_override,
           aggregate_to_topk):
    if operand.dtype not in _TYPES:
        raise TypeError(f"Value passed to parameter 'input' has DataType {operand.dtype.name} not in list of allowed "
                        f"values: {', '.join(t.name for t in _TYPES)}")
    if int(k) < 0:
        raise ValueError(f"Attr 'k' must be >= 0, got {k}")
    dims = operand.shape.as_tuple()
    if dims is None:
        out = TensorShape(None)
    else:
        axis = _axis(len(dims), int(reduction_dimension))
        if dims[axis] is not None and dims[axis] < int(k):
            raise ValueError(f"k must be at most the reduction dimension's size {dims[axis]}, got {k}")
        out = TensorShape([int(k) if i == axis else d for i, d in enumerate(dims)])
    return [TensorSpec(out, operand.dtype), TensorSpec(out, dtypes.int32)]


def _kernel(xp, operand, k, reduction_dimension, recall_target, is_max_k, reduction_input_size_override,
            aggregate_to_topk):
    axis = reduction_dimension + operand.ndim if reduction_dimension < 0 else reduction_dimension
    if not 0 <= axis < operand.ndim:
        raise errors.InvalidArgumentError(None, None, f"reduction_dimension {reduction_dimension} is out of range "
                                                      f"for an operand of rank {operand.ndim}")
    n = int(operand.shape[axis])
    if n < k:
        raise errors.InvalidArgumentError(None, None, f"input must have at least k={k} entries along dimension "
                                                      f"{axis}, had {n}")
    x = xp.moveaxis(operand, axis, -1)
    kwargs = {"kind": "stable"} if xp.__name__ == "numpy" else {}
    if is_max_k:  # descending, ties by the lower index: a stable ascending sort of the reversed row, read backwards
        order = xp.argsort(x[..., ::-1], axis=-1, **kwargs)[..., ::-1][..., :k]
        indices = n - 1 - order
    else:
        indices = xp.argsort(x, axis=-1, **kwargs)[..., :k]
    values = xp.take_along_axis(x, indices, axis=-1)
    return xp.moveaxis(values, -1, axis), xp.moveaxis(indices, -1, axis).astype(xp.int32)


def _grad(op, grad, _indices_grad=None):
    """Each output's gradient flows back to the entry it was taken from (TF's scatter of `grad`)."""
    operand, indices = op.inputs[0], op.outputs[1]
    rank = operand.shape.ndims
    if rank is None:
        raise ValueError("ApproxTopK's gradient needs the operand's rank")
    axis = _axis(rank, int(op._attrs["reduction_dimension"]))
    depth = array_ops.shape(operand)[axis]
    # one_hot puts the entry axis right after the k axis; summing over k scatters each output back.
    spread = gather_ops.one_hot(indices, depth, axis=axis + 1, dtype=grad.dtype)
    return (reduction_ops.reduce_sum(math_ops.multiply(spread, array_ops.expand_dims(grad, axis + 1)), axis),)


register(OpDef("ApproxTopK", infer=_infer, kernel=_kernel, grad=_grad,
               attrs={"k": REQUIRED, "reduction_dimension": -1, "recall_target": 0.95, "is_max_k": True,
                      "reduction_input_size_override": -1, "aggregate_to_topk": True},
               input_names=("input: T",), output_names=("values: T", "indices: int32"),
               attr_types={"k": "int >= 0", "reduction_dimension": "int", "recall_target": "float",
                           "is_max_k": "bool", "reduction_input_size_override": "int", "aggregate_to_topk": "bool",
                           "T": "type"}))


def approx_top_k(input, k, reduction_dimension=-1, recall_target=0.95, is_max_k=True,  # noqa: A002 - TF's name
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """(values, indices) of the `k` largest (or, `is_max_k=False`, smallest) entries along
    `reduction_dimension`, as `tf.approx_top_k` (exact here).

        values, indices = tf.approx_top_k(scores, 10)
    """
    return tuple(apply_op("ApproxTopK", input, name=name or "ApproxTopK", k=int(k),
                          reduction_dimension=int(reduction_dimension), recall_target=float(recall_target),
                          is_max_k=bool(is_max_k), reduction_input_size_override=int(reduction_input_size_override),
                          aggregate_to_topk=bool(aggregate_to_topk)))


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
                 aggregate_to_topk=True, name=None):
    """(values, indices) of the `k` largest entries along `reduction_dimension`, as `tf.math.approx_max_k`.

        top_scores, top_ids = tf.math.approx_max_k(scores, 5)
    """
    return approx_top_k(operand, k, reduction_dimension, recall_target, True, reduction_input_size_override,
                        aggregate_to_topk, name)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95, reduction_input_size_override=-1,
                 aggregate_to_topk=True, name=None):
    """(values, indices) of the `k` smallest entries along `reduction_dimension`, as `tf.math.approx_min_k`.

        nearest_distances, nearest_ids = tf.math.approx_min_k(distances, 5)
    """
    return approx_top_k(operand, k, reduction_dimension, recall_target, False, reduction_input_size_override,
                        aggregate_to_topk, name)
