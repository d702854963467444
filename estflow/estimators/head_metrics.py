"""The streaming metrics canned heads report, built from `tf.metrics` as TF1's heads build them
(`label/mean`, `accuracy_baseline`, `prediction/mean`, `auc`, per-threshold accuracy/precision/recall)."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import array_ops, cast_ops, comparison_ops, math_ops
from estflow.library import metrics_impl, metrics_thresholds
from estflow.library.weights_broadcast_ops import broadcast_weights


def mean(values, weights=None, name=None):
    return metrics_impl.mean(values=values, weights=weights, name=name)


def accuracy(labels, predictions, weights, name):
    return metrics_impl.accuracy(labels=labels, predictions=predictions, weights=weights, name=name)


def precision(labels, predictions, weights, name):
    return metrics_impl.precision(labels=labels, predictions=predictions, weights=weights, name=name)


def recall(labels, predictions, weights, name):
    return metrics_impl.recall(labels=labels, predictions=predictions, weights=weights, name=name)


def _weighted_mean(values, weights, name, default_name):
    values = cast_ops.cast(values, dtypes.float32)
    if weights is not None:
        weights = broadcast_weights(weights, values)
    return metrics_impl.mean(values, weights=weights, name=name or default_name)


def indicator_labels_mean(labels, weights=None, name=None):
    """The (weighted) mean of 0/1 labels: the fraction of positives."""
    return _weighted_mean(labels, weights, name, "labels_mean")


def predictions_mean(predictions, weights=None, name=None):
    return _weighted_mean(predictions, weights, name, "predictions_mean")


def accuracy_baseline(labels_mean):
    """max(p, 1 - p) of the label mean p: the accuracy of always predicting the majority class."""
    with name_scope(None, "accuracy_baseline"):
        value, update_op = labels_mean
        return (math_ops.maximum(value, 1.0 - value, name="value"),
                math_ops.maximum(update_op, 1.0 - update_op, name="update_op"))


def auc(labels, predictions, weights=None, curve="ROC", name=None):
    predictions = cast_ops.cast(predictions, dtypes.float32, name="predictions")
    if weights is not None:
        weights = broadcast_weights(weights, predictions)
    return metrics_thresholds.auc(labels=labels, predictions=predictions, weights=weights, curve=curve,
                                  name=name or "auc")


def accuracy_at_threshold(labels, predictions, weights, threshold, name=None):
    above = cast_ops.cast(comparison_ops.greater_equal(predictions, threshold), dtypes.float32)
    return metrics_impl.accuracy(labels=labels, predictions=above, weights=weights,
                                 name=name or f"accuracy_at_{threshold}")


def _at_threshold(metric, default_name):
    def at_threshold(labels, predictions, weights, threshold, name=None):
        value, update_op = metric(labels=labels, predictions=predictions, thresholds=(threshold,), weights=weights,
                                  name=name or f"{default_name}_at_{threshold}")
        return array_ops.squeeze(value), array_ops.squeeze(update_op)

    return at_threshold


precision_at_threshold = _at_threshold(metrics_thresholds.precision_at_thresholds, "precision")
recall_at_threshold = _at_threshold(metrics_thresholds.recall_at_thresholds, "recall")
