"""TF1's top-k streaming metrics: precision_at_k, recall_at_k, their _top_k forms (given the top
indices), and average_precision_at_k (tf.metrics.*).

Labels are int class ids per row ([D1..DN, num_labels] or [D1..DN], or a SparseTensor); each
row's labels are a set (repeats count once). As in TF, every entry of a dense label tensor is
a label for precision and recall (a -1 pad is a label no prediction finds: pad with a
SparseTensor instead), while average precision ignores ids outside [0, num_classes). Each
row's top-k predicted classes are compared with its label set: precision counts the k
predictions (true/false positives), recall the labels (true positives/false negatives); with
`class_id` only that class counts.
Counts accumulate in float64 local variables, as TF's do, and the value is tp / (tp + fp) or
tp / (tp + fn) (NaN before anything was counted, as in TF).
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    fill_ops,
    gather_ops,
    math_ops,
    reduction_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.sparse_ops import sparse_tensor_to_dense
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.variable_scope import variable_scope
from estflow.core.variables import assign_add
from estflow.library.metrics_impl import _add_to, _read, metric_variable


def _at_k_name(name, k=None, class_id=None):
    if k is not None:
        name = f"{name}_at_{k}"
    if class_id is not None:
        name = f"{name}_class{class_id}"
    return name


_SPARSE_PAD = -(2**62)  # stands for a SparseTensor's empty places once densified


def _dense_labels(labels, predictions_idx):
    """(labels as an int64 [..., num_labels] tensor, the pad value that marks no label or None)."""
    pad = None
    if isinstance(labels, SparseTensor):
        labels = sparse_tensor_to_dense(labels, default_value=_SPARSE_PAD)
        pad = _SPARSE_PAD
    labels = cast_ops.cast(convert_to_tensor(labels, name="labels"), dtypes.int64)
    if labels.shape.ndims is not None and predictions_idx.shape.ndims is not None and \
            labels.shape.ndims == predictions_idx.shape.ndims - 1:
        labels = array_ops.expand_dims(labels, -1)
    return labels, pad


def _row_counts(labels, predictions_idx, num_classes, class_id, sparse_pad=None):
    """(hits, number of predictions counted, number of labels counted, per-prediction hits), per row.

    Labels equal to `sparse_pad` are no labels (the SparseTensor's empty places); with `num_classes`,
    ids outside [0, num_classes) are none either.
    """
    valid = fill_ops.ones_like(labels, dtype=dtypes.bool)
    if sparse_pad is not None:
        valid = comparison_ops.not_equal(labels, sparse_pad)
    if num_classes is not None:
        valid = comparison_ops.logical_and(valid, comparison_ops.logical_and(
            comparison_ops.greater_equal(labels, 0), comparison_ops.less(labels, num_classes)))
    # a label counts once even if repeated: drop entries equal to an earlier one
    same = comparison_ops.equal(array_ops.expand_dims(labels, -1), array_ops.expand_dims(labels, -2))
    n = array_ops.shape(labels)[-1]
    earlier = comparison_ops.less(array_ops.expand_dims(fill_ops.range_(n), 1),
                                  array_ops.expand_dims(fill_ops.range_(n), 0))  # [j', j]: j' before j
    repeated = reduction_ops.reduce_any(comparison_ops.logical_and(same, earlier), axis=-2)
    valid = comparison_ops.logical_and(valid, comparison_ops.logical_not(repeated))
    predictions_idx = cast_ops.cast(predictions_idx, dtypes.int64)
    # [..., k, n]: prediction i equals valid label j
    matches = comparison_ops.logical_and(
        comparison_ops.equal(array_ops.expand_dims(predictions_idx, -1), array_ops.expand_dims(labels, -2)),
        array_ops.expand_dims(valid, -2))
    hit = reduction_ops.reduce_any(matches, axis=-1)  # per prediction
    if class_id is not None:
        is_class = comparison_ops.equal(predictions_idx, class_id)
        hit = comparison_ops.logical_and(hit, is_class)
        predicted = is_class
        labelled = comparison_ops.logical_and(valid, comparison_ops.equal(labels, class_id))
    else:
        predicted = fill_ops.ones_like(predictions_idx, dtype=dtypes.bool)
        labelled = valid
    count = lambda b: reduction_ops.reduce_sum(cast_ops.cast(b, dtypes.float64), axis=-1)  # noqa: E731
    return count(hit), count(predicted), count(labelled), hit


def _weighted_sum(per_row, weights):
    if weights is not None:
        per_row = per_row * cast_ops.cast(weights, dtypes.float64) + fill_ops.zeros_like(per_row)
    return reduction_ops.reduce_sum(per_row)


def _ratio_at_k(kind, labels, predictions_idx, k, class_id, weights, metrics_collections, updates_collections,
                name):
    with variable_scope(name, _at_k_name(kind, k, class_id), [predictions_idx, labels, weights]):
        labels, pad = _dense_labels(labels, predictions_idx)
        hits, predicted, labelled, _ = _row_counts(labels, predictions_idx, None, class_id, pad)
        tp = metric_variable([], dtypes.float64, name=_at_k_name("true_positive", k, class_id))
        other_name = "false_positive" if kind == "precision" else "false_negative"
        other = metric_variable([], dtypes.float64, name=_at_k_name(other_name, k, class_id))
        missed = (predicted if kind == "precision" else labelled) - hits
        tp_update = assign_add(tp, _weighted_sum(hits, weights))
        other_update = assign_add(other, _weighted_sum(missed, weights))
        tp_value, other_value = _read(tp, None), _read(other, None)
        value = _add_to(metrics_collections, math_ops.divide(tp_value, tp_value + other_value, name="value"))
        update = _add_to(updates_collections, math_ops.divide(tp_update, tp_update + other_update, name="update"))
        return value, update


def _top_k_indices(predictions, k):
    predictions = convert_to_tensor(predictions, name="predictions")
    _, indices = gather_ops.top_k(predictions, k)
    return indices, array_ops.shape(predictions, out_type=dtypes.int64)[-1]


def precision_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                   updates_collections=None, name=None):
    """Streaming precision of the top-k predictions against the label sets, as `tf.metrics.precision_at_k`."""
    indices, _ = _top_k_indices(predictions, k)
    return _ratio_at_k("precision", labels, indices, k, class_id, weights, metrics_collections,
                       updates_collections, name)


def recall_at_k(labels, predictions, k, class_id=None, weights=None, metrics_collections=None,
                updates_collections=None, name=None):
    """Streaming recall of the label sets by the top-k predictions, as `tf.metrics.recall_at_k`."""
    indices, _ = _top_k_indices(predictions, k)
    return _ratio_at_k("recall", labels, indices, k, class_id, weights, metrics_collections, updates_collections,
                       name)


def _given_indices(predictions_idx, k):
    predictions_idx = convert_to_tensor(predictions_idx, name="predictions_idx")
    if k is not None and predictions_idx.shape.ndims and predictions_idx.shape.as_tuple()[-1] not in (None, k):
        predictions_idx = predictions_idx[..., :k]
    return predictions_idx


def precision_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None, metrics_collections=None,
                       updates_collections=None, name=None):
    """`precision_at_k` given the top-k class indices themselves, as `tf.metrics.precision_at_top_k`."""
    return _ratio_at_k("precision", labels, _given_indices(predictions_idx, k), k, class_id, weights,
                       metrics_collections, updates_collections, name)


def recall_at_top_k(labels, predictions_idx, k=None, class_id=None, weights=None, metrics_collections=None,
                    updates_collections=None, name=None):
    """`recall_at_k` given the top-k class indices themselves, as `tf.metrics.recall_at_top_k`."""
    return _ratio_at_k("recall", labels, _given_indices(predictions_idx, k), k, class_id, weights,
                       metrics_collections, updates_collections, name)


def average_precision_at_k(labels, predictions, k, weights=None, metrics_collections=None, updates_collections=None,
                           name=None):
    """Streaming mean of each row's average precision over its top k predictions, as
    `tf.metrics.average_precision_at_k`: sum over ranks i of precision@i at each hit, divided by
    min(k, number of labels)."""
    if k < 1:
        raise ValueError(f"Invalid k={k}.")
    with variable_scope(name, _at_k_name("average_precision", k), [predictions, labels, weights]):
        indices, num_classes = _top_k_indices(predictions, k)
        labels, pad = _dense_labels(labels, indices)
        _, _, labelled, hit = _row_counts(labels, indices, num_classes, None, pad)
        relevant = cast_ops.cast(hit, dtypes.float64)  # [..., k], in rank order
        ranks = cast_ops.cast(fill_ops.range_(1, k + 1), dtypes.float64)
        precision_at_rank = math_ops.divide(reduction_ops.cumsum(relevant, axis=-1), ranks)
        relevant_items = math_ops.minimum(labelled, cast_ops.cast(k, dtypes.float64))
        per_row = math_ops.divide(reduction_ops.reduce_sum(precision_at_rank * relevant, axis=-1), relevant_items)
        total = metric_variable([], dtypes.float64, name="total")
        count = metric_variable([], dtypes.float64, name="max")
        row_weights = fill_ops.ones_like(per_row) if weights is None else \
            cast_ops.cast(weights, dtypes.float64) + fill_ops.zeros_like(per_row)
        total_update = assign_add(total, reduction_ops.reduce_sum(per_row * row_weights))
        count_update = assign_add(count, reduction_ops.reduce_sum(row_weights))
        total_value, count_value = _read(total, None), _read(count, None)
        value = _add_to(metrics_collections, math_ops.divide(total_value, count_value, name="value"))
        update = _add_to(updates_collections, math_ops.divide(total_update, count_update, name="update"))
        return value, update

