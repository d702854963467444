"""`tf.metrics` (TF1): streaming metrics over local variables.

Each metric returns `(value, update_op)`. Running `update_op` folds one batch into the
metric's accumulators (local variables in `LOCAL_VARIABLES` and `METRIC_VARIABLES`, named
after the metric's scope: `accuracy/total`, `accuracy/count`) and returns the updated
value; `value` reads the accumulators without changing them. Re-running
`tf.local_variables_initializer()` resets every metric.

    acc, acc_update = tf.metrics.accuracy(labels, predictions)
    sess.run(tf.local_variables_initializer())
    for _ in range(num_batches):
        sess.run(acc_update)
    print(sess.run(acc))

`weights` (None means 1) scale each example's contribution; weight 0 masks it. The
threshold-based metrics (auc, precision_at_thresholds, ...) live in `metrics_thresholds`.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, Tensor, add_to_collections, control_dependencies
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
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.variable_scope import variable_scope
from estflow.core.variables import Variable, assign_add, scatter_add
from estflow.library.confusion_matrix import confusion_matrix, remove_squeezable_dimensions
from estflow.library.weights_broadcast_ops import broadcast_weights


def metric_variable(shape, dtype, validate_shape=True, name=None) -> Variable:
    """A zero-initialized, non-trainable accumulator in `LOCAL_VARIABLES` and `METRIC_VARIABLES`."""
    return Variable(lambda: fill_ops.zeros(shape, dtype), trainable=False,
                    collections=[GraphKeys.LOCAL_VARIABLES, GraphKeys.METRIC_VARIABLES],
                    validate_shape=validate_shape, name=name)


def _add_to(collections, value):
    """Add `value` to the metric or update collections (the single-replica case of TF1's aggregation)."""
    if collections:
        add_to_collections(collections, value)
    return value


def _read(variable: Variable, collections) -> Tensor:
    """A snapshot of `variable` as the metric's value (TF1's `read_var`: an Identity)."""
    return _add_to(collections, array_ops.identity(variable))


def _remove_squeezable_dimensions(predictions, labels, weights):
    """Align labels and weights with predictions: squeeze or expand one trailing dim of size 1.

    Returns:
        `(predictions, labels, weights)`; labels and weights may be None.
    """
    predictions = convert_to_tensor(predictions)
    if labels is not None:
        labels, predictions = remove_squeezable_dimensions(labels, predictions)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible: predictions and "
                             "labels must have the same shape.")
    if weights is None:
        return predictions, labels, None
    weights = convert_to_tensor(weights)
    weights_rank, predictions_rank = weights.shape.ndims, predictions.shape.ndims
    if weights_rank == 0:
        return predictions, labels, weights
    if predictions_rank is not None and weights_rank is not None:
        if weights_rank - predictions_rank == 1:
            weights = array_ops.squeeze(weights, [-1])
        elif predictions_rank - weights_rank == 1:
            weights = array_ops.expand_dims(weights, [-1])
        return predictions, labels, weights

    weights_rank_t = array_ops.rank(weights)
    rank_diff = weights_rank_t - array_ops.rank(predictions)
    w = weights

    def maybe_expand():
        return control_flow_ops.cond(comparison_ops.equal(rank_diff, -1), lambda: array_ops.expand_dims(w, [-1]),
                                     lambda: w)

    if weights_rank is not None and weights.shape.as_tuple()[-1] not in (None, 1):
        def maybe_squeeze():
            return w
    else:
        def maybe_squeeze():
            return array_ops.squeeze(w, [-1])

    def maybe_adjust():
        return control_flow_ops.cond(comparison_ops.equal(rank_diff, 1), maybe_squeeze, maybe_expand)

    weights = control_flow_ops.cond(comparison_ops.equal(weights_rank_t, 0), lambda: w, maybe_adjust)
    return predictions, labels, weights


# ---- means ----------------------------------------------------------------------------------------
def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The (weighted) mean of `values` over every batch so far, as `tf.metrics.mean`.

    Local variables: `mean/total` (sum of weighted values) and `mean/count` (sum of weights).
    """
    with variable_scope(name, "mean", [values, weights]):
        values = cast_ops.cast(values, dtypes.float32)
        total = metric_variable([], dtypes.float32, name="total")
        count = metric_variable([], dtypes.float32, name="count")
        if weights is None:
            num_values = cast_ops.cast(array_ops.size(values), dtypes.float32)
        else:
            values, _, weights = _remove_squeezable_dimensions(values, None, weights)
            weights = broadcast_weights(cast_ops.cast(weights, dtypes.float32), values)
            values = math_ops.multiply(values, weights)
            num_values = reduction_ops.reduce_sum(weights)
        update_total_op = assign_add(total, reduction_ops.reduce_sum(values))
        with control_dependencies([values]):
            update_count_op = assign_add(count, num_values)
        mean_t = _add_to(metrics_collections,
                         math_ops.div_no_nan(total, math_ops.maximum(count, 0), name="value"))
        update_op = math_ops.div_no_nan(update_total_op, math_ops.maximum(update_count_op, 0), name="update_op")
        return mean_t, _add_to(updates_collections, update_op)


def mean_tensor(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The elementwise (weighted) mean of `values` over batches, as `tf.metrics.mean_tensor`.

    `values` needs a fully defined shape; local variables `mean/total_tensor` and `mean/count_tensor`.
    """
    with variable_scope(name, "mean", [values, weights]):
        values = cast_ops.cast(values, dtypes.float32)
        if not values.shape.is_fully_defined():
            raise ValueError(f"mean_tensor needs values of a fully defined shape, got {values.shape}.")
        total = metric_variable(values.shape.as_list(), dtypes.float32, name="total_tensor")
        count = metric_variable(values.shape.as_list(), dtypes.float32, name="count_tensor")
        num_values = fill_ops.ones_like(values)
        if weights is not None:
            values, _, weights = _remove_squeezable_dimensions(values, None, weights)
            weights = broadcast_weights(cast_ops.cast(weights, dtypes.float32), values)
            values = math_ops.multiply(values, weights)
            num_values = math_ops.multiply(num_values, weights)
        update_total_op = assign_add(total, values)
        with control_dependencies([values]):
            update_count_op = assign_add(count, num_values)
        mean_t = _add_to(metrics_collections,
                         math_ops.div_no_nan(total, math_ops.maximum(count, 0), name="value"))
        update_op = math_ops.div_no_nan(update_total_op, math_ops.maximum(update_count_op, 0), name="update_op")
        return mean_t, _add_to(updates_collections, update_op)


def accuracy(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """How often `predictions` equals `labels`, as `tf.metrics.accuracy` (variables `accuracy/total`, `/count`)."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    if labels.dtype != predictions.dtype:
        predictions = cast_ops.cast(predictions, labels.dtype)
    is_correct = cast_ops.cast(comparison_ops.equal(predictions, labels), dtypes.float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                        name=None):
    """The mean of |predictions - labels|, as `tf.metrics.mean_absolute_error`."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    absolute_errors = unary_ops.abs(predictions - labels)
    return mean(absolute_errors, weights, metrics_collections, updates_collections, name or "mean_absolute_error")


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                       name=None):
    """The mean of (predictions - labels)^2, as `tf.metrics.mean_squared_error`."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    squared_error = math_ops.squared_difference(labels, predictions)
    return mean(squared_error, weights, metrics_collections, updates_collections, name or "mean_squared_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                            name=None):
    """sqrt of the streaming mean squared error, as `tf.metrics.root_mean_squared_error`."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    mse, update_mse_op = mean_squared_error(labels, predictions, weights, None, None,
                                            name or "root_mean_squared_error")
    rmse = _add_to(metrics_collections, unary_ops.sqrt(mse))
    return rmse, _add_to(updates_collections, unary_ops.sqrt(update_mse_op))


def mean_relative_error(labels, predictions, normalizer, weights=None, metrics_collections=None,
                        updates_collections=None, name=None):
    """The mean of |labels - predictions| / normalizer (0 where normalizer is 0).

    As `tf.metrics.mean_relative_error`.
    """
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    predictions, normalizer = remove_squeezable_dimensions(predictions, normalizer)
    if not predictions.shape.is_compatible_with(normalizer.shape):
        raise ValueError(f"Shapes {predictions.shape} and {normalizer.shape} are incompatible: predictions and "
                         "normalizer must have the same shape.")
    relative_errors = gather_ops.where(comparison_ops.equal(normalizer, 0.0), fill_ops.zeros_like(labels),
                                       math_ops.div(unary_ops.abs(labels - predictions), normalizer))
    return mean(relative_errors, weights, metrics_collections, updates_collections, name or "mean_relative_error")


def mean_cosine_distance(labels, predictions, dim, weights=None, metrics_collections=None, updates_collections=None,
                         name=None):
    """1 - the mean of sum(labels * predictions, dim) for unit vectors, as `tf.metrics.mean_cosine_distance`."""
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, labels, weights)
    radial_diffs = reduction_ops.reduce_sum(math_ops.multiply(predictions, labels), axis=[dim], keepdims=True)
    mean_distance, update_op = mean(radial_diffs, weights, None, None, name or "mean_cosine_distance")
    mean_distance = _add_to(metrics_collections, math_ops.subtract(1.0, mean_distance))
    return mean_distance, _add_to(updates_collections, math_ops.subtract(1.0, update_op))


def percentage_below(values, threshold, weights=None, metrics_collections=None, updates_collections=None,
                     name=None):
    """The fraction of `values` below `threshold`, as `tf.metrics.percentage_below`."""
    values = convert_to_tensor(values)
    is_below_threshold = cast_ops.cast(comparison_ops.less(values, threshold), dtypes.float32)
    return mean(is_below_threshold, weights, metrics_collections, updates_collections,
                name or "percentage_below_threshold")


# ---- counts, precision, recall ---------------------------------------------------------------------
def _count_condition(values: Tensor, weights, metrics_collections, updates_collections):
    """Sum of the (weighted) true entries of a bool tensor, in a local variable `count`."""
    if values.dtype != dtypes.bool:
        raise TypeError(f"Expected a bool tensor of conditions, got {values.dtype.name}.")
    count = metric_variable([], dtypes.float32, name="count")
    values = cast_ops.cast(values, dtypes.float32)
    if weights is not None:
        weights = convert_to_tensor(weights)
        if weights.shape.ndims not in (None, 0) and values.shape.ndims not in (None, weights.shape.ndims):
            raise ValueError(f"weights must have rank 0 or {values.shape.ndims} (the rank of predictions), got "
                             f"shape {weights.shape}.")
        values = math_ops.multiply(values, cast_ops.cast(weights, dtypes.float32))
    value_tensor = _read(count, metrics_collections)
    update_op = assign_add(count, reduction_ops.reduce_sum(values))
    return value_tensor, _add_to(updates_collections, update_op)


def _bool_inputs(labels, predictions, weights):
    return _remove_squeezable_dimensions(cast_ops.cast(predictions, dtypes.bool), cast_ops.cast(labels, dtypes.bool),
                                         weights)


def _count_metric(default_name, label_value: bool, prediction_value: bool):
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with variable_scope(name, default_name, [predictions, labels, weights]):
            predictions, labels, weights = _bool_inputs(labels, predictions, weights)
            is_counted = comparison_ops.logical_and(comparison_ops.equal(labels, label_value),
                                                    comparison_ops.equal(predictions, prediction_value))
            return _count_condition(is_counted, weights, metrics_collections, updates_collections)

    metric.__name__ = default_name
    metric.__doc__ = (f"The (weighted) number of examples with label {label_value} and prediction "
                      f"{prediction_value}, as `tf.metrics.{default_name}` (variable `{default_name}/count`).")
    return metric


true_positives = _count_metric("true_positives", True, True)
false_positives = _count_metric("false_positives", False, True)
true_negatives = _count_metric("true_negatives", False, False)
false_negatives = _count_metric("false_negatives", True, False)


def _ratio_metric(default_name, other_count, doc):
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        with variable_scope(name, default_name, [predictions, labels, weights]):
            predictions, labels, weights = _bool_inputs(labels, predictions, weights)
            true_p, true_p_update = true_positives(labels, predictions, weights)
            other, other_update = other_count(labels, predictions, weights)

            def compute(tp, other, name):
                return gather_ops.where(comparison_ops.greater(tp + other, 0), math_ops.div(tp, tp + other), 0.0, name)

            value = _add_to(metrics_collections, compute(true_p, other, "value"))
            return value, _add_to(updates_collections, compute(true_p_update, other_update, "update_op"))

    metric.__name__ = default_name
    metric.__doc__ = doc
    return metric


precision = _ratio_metric("precision", false_positives, """tp / (tp + fp), as `tf.metrics.precision`.

    0 before any positive prediction.
    Labels and predictions are cast to bool; local variables `precision/true_positives/count`
    and `precision/false_positives/count`.
    """)
recall = _ratio_metric("recall", false_negatives, """tp / (tp + fn), as `tf.metrics.recall`.

    0 before any positive label.
    Labels and predictions are cast to bool; local variables `recall/true_positives/count`
    and `recall/false_negatives/count`.
    """)


# ---- per-class metrics -----------------------------------------------------------------------------
def _flat(t: Tensor) -> Tensor:
    return array_ops.reshape(t, [-1]) if t.shape.ndims is None or t.shape.ndims > 1 else t


def mean_per_class_accuracy(labels, predictions, num_classes, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """The mean over classes of each class's accuracy, as `tf.metrics.mean_per_class_accuracy`.

    A class without examples counts with accuracy 0. As in TF1, `update_op` returns the
    per-class accuracies (shape `[num_classes]`), not their mean. Local variables
    `mean_accuracy/total` (examples per class) and `mean_accuracy/count` (correct per class).
    """
    with variable_scope(name, "mean_accuracy", [predictions, labels, weights]):
        labels = _flat(cast_ops.cast(labels, dtypes.int64))
        predictions = _flat(convert_to_tensor(predictions))
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible: predictions and "
                             "labels must have the same number of elements.")
        total = metric_variable([num_classes], dtypes.float32, name="total")
        count = metric_variable([num_classes], dtypes.float32, name="count")
        ones = fill_ops.ones(concat_ops.stack([array_ops.size(labels)]), dtypes.float32)
        if labels.dtype != predictions.dtype:
            predictions = cast_ops.cast(predictions, labels.dtype)
        is_correct = cast_ops.cast(comparison_ops.equal(predictions, labels), dtypes.float32)
        if weights is not None:
            weights = cast_ops.cast(_flat(convert_to_tensor(weights)), dtypes.float32)
            is_correct *= weights
            ones *= weights
        update_total_op = scatter_add(total, labels, ones)
        update_count_op = scatter_add(count, labels, is_correct)
        per_class = math_ops.div_no_nan(count, math_ops.maximum(total, 0))
        mean_accuracy = _add_to(metrics_collections, reduction_ops.reduce_mean(per_class, name="mean_accuracy"))
        update_op = math_ops.div_no_nan(update_count_op, math_ops.maximum(update_total_op, 0), name="update_op")
        return mean_accuracy, _add_to(updates_collections, update_op)


def _streaming_confusion_matrix(labels, predictions, num_classes, weights=None):
    """A float64 `total_confusion_matrix` local variable and the op adding one batch's matrix to it."""
    total_cm = metric_variable([num_classes, num_classes], dtypes.float64, name="total_confusion_matrix")
    predictions = _flat(cast_ops.cast(predictions, dtypes.int64))
    labels = _flat(cast_ops.cast(labels, dtypes.int64))
    if weights is not None:
        weights = _flat(convert_to_tensor(weights))
    current_cm = confusion_matrix(labels, predictions, num_classes, weights=weights, dtype=dtypes.float64)
    return total_cm, assign_add(total_cm, current_cm)


def mean_iou(labels, predictions, num_classes, weights=None, metrics_collections=None, updates_collections=None,
             name=None):
    """The mean over classes of tp / (tp + fp + fn), as `tf.metrics.mean_iou`.

    Classes absent from both labels and predictions are left out of the mean. `update_op`
    returns the accumulated confusion matrix (local variable `mean_iou/total_confusion_matrix`).
    """
    with variable_scope(name, "mean_iou", [predictions, labels, weights]):
        predictions, labels = convert_to_tensor(predictions), convert_to_tensor(labels)
        if not predictions.shape.is_compatible_with(labels.shape):
            raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible: predictions and "
                             "labels must have the same shape.")
        total_cm, update_op = _streaming_confusion_matrix(labels, predictions, num_classes, weights)
        sum_over_row = cast_ops.cast(reduction_ops.reduce_sum(total_cm, 0), dtypes.float32)
        sum_over_col = cast_ops.cast(reduction_ops.reduce_sum(total_cm, 1), dtypes.float32)
        diagonal_indices = concat_ops.stack([fill_ops.range_(0, num_classes)] * 2, axis=1)
        cm_diag = cast_ops.cast(gather_ops.gather_nd(total_cm, diagonal_indices), dtypes.float32)
        denominator = sum_over_row + sum_over_col - cm_diag
        num_valid_entries = reduction_ops.reduce_sum(
            cast_ops.cast(comparison_ops.not_equal(denominator, 0), dtypes.float32))
        denominator = gather_ops.where(comparison_ops.greater(denominator, 0), denominator,
                                       fill_ops.ones_like(denominator))
        iou = math_ops.div(cm_diag, denominator)
        result = gather_ops.where(comparison_ops.greater(num_valid_entries, 0),
                                  reduction_ops.reduce_sum(iou, name="mean_iou") / num_valid_entries, 0.0)
        return _add_to(metrics_collections, result), _add_to(updates_collections, update_op)
