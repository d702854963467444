"""`tf.confusion_matrix` and the rank-matching helper that losses and metrics share.

`remove_squeezable_dimensions` drops a trailing size-1 dim so `[batch, 1]` labels line up
with `[batch]` predictions (or the reverse), using static ranks when known and a `cond` on
the runtime ranks otherwise, as TF1 does.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    math_ops,
    reduction_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor


def _last_dim_may_be_1(t: Tensor) -> bool:
    dims = t.shape.as_tuple()
    return dims is None or (len(dims) > 0 and dims[-1] in (None, 1))


def remove_squeezable_dimensions(labels, predictions, expected_rank_diff=0, name=None):
    """Squeeze the last dim of `labels` or `predictions` when their ranks differ by one from the expected.

    `expected_rank_diff` is rank(predictions) - rank(labels) once aligned: 0 for
    predictions of the labels' shape, 1 for logits against class ids.

    Returns:
        `(labels, predictions)`, possibly squeezed.
    """
    with name_scope(name, "remove_squeezable_dimensions", [labels, predictions]):
        predictions = convert_to_tensor(predictions)
        labels = convert_to_tensor(labels)
        predictions_rank, labels_rank = predictions.shape.ndims, labels.shape.ndims
        if predictions_rank is not None and labels_rank is not None:
            rank_diff = predictions_rank - labels_rank
            if rank_diff == expected_rank_diff + 1 and predictions.shape.as_tuple()[-1] in (None, 1):
                predictions = array_ops.squeeze(predictions, [-1])
            elif rank_diff == expected_rank_diff - 1 and labels.shape.as_tuple()[-1] in (None, 1):
                labels = array_ops.squeeze(labels, [-1])
            return labels, predictions

        rank_diff = array_ops.rank(predictions) - array_ops.rank(labels)
        if _last_dim_may_be_1(predictions):
            p = predictions
            predictions = control_flow_ops.cond(comparison_ops.equal(expected_rank_diff + 1, rank_diff),
                                                lambda: array_ops.squeeze(p, [-1]), lambda: p)
        if _last_dim_may_be_1(labels):
            lab = labels
            labels = control_flow_ops.cond(comparison_ops.equal(expected_rank_diff - 1, rank_diff),
                                           lambda: array_ops.squeeze(lab, [-1]), lambda: lab)
        return labels, predictions


def _checked(x: Tensor, condition: Tensor, message: str) -> Tensor:
    """`x`, readable only once `condition` (reduced with all) held; else InvalidArgumentError `message`."""
    check = control_flow_ops.Assert(reduction_ops.reduce_all(condition), [message, x])
    return control_flow_ops.with_dependencies([check], x)


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=dtypes.int32, name=None):
    """The `[num_classes, num_classes]` matrix counting (label, prediction) pairs, as `tf.confusion_matrix`.

    Rows are labels, columns predictions; with `weights`, each pair adds its weight instead
    of 1. Without `num_classes`, it is one more than the largest label or prediction.

        tf.confusion_matrix([1, 2, 4], [2, 2, 4])   # [[0,0,0,0,0], [0,0,1,0,0], [0,0,1,0,0], ..., [0,0,0,0,1]]

    Raises:
        InvalidArgumentError (at run time): a label or prediction is negative or not below `num_classes`.
    """
    values = [predictions, labels, num_classes, weights]
    with name_scope(name, "confusion_matrix", [v for v in values if isinstance(v, Tensor)] or None):
        labels, predictions = remove_squeezable_dimensions(convert_to_tensor(labels, name="labels"),
                                                           convert_to_tensor(predictions, name="predictions"))
        predictions = cast_ops.cast(predictions, dtypes.int64)
        labels = cast_ops.cast(labels, dtypes.int64)
        labels = _checked(labels, comparison_ops.greater_equal(labels, 0), "`labels` contains negative values")
        predictions = _checked(predictions, comparison_ops.greater_equal(predictions, 0),
                               "`predictions` contains negative values")
        if num_classes is None:
            num_classes = math_ops.maximum(reduction_ops.reduce_max(predictions), reduction_ops.reduce_max(labels)) + 1
        else:
            num_classes_int64 = cast_ops.cast(num_classes, dtypes.int64)
            labels = _checked(labels, comparison_ops.less(labels, num_classes_int64), "`labels` out of bound")
            predictions = _checked(predictions, comparison_ops.less(predictions, num_classes_int64),
                                   "`predictions` out of bound")
            num_classes = num_classes_int64
        dtype = dtypes.as_dtype(dtype).base_dtype
        if weights is not None:
            weights = convert_to_tensor(weights, name="weights")
            predictions.shape.assert_is_compatible_with(weights.shape)
            weights = cast_ops.cast(weights, dtype)
        shape = concat_ops.stack([num_classes, num_classes])
        indices = concat_ops.stack([labels, predictions], axis=1)
        updates = fill_ops.ones_like(predictions, dtype) if weights is None else weights
        # ScatterNd sums duplicate (label, prediction) pairs, as TF's sparse_add into zeros does.
        return gather_ops.scatter_nd(indices, updates, shape)
