"""Threshold-based `tf.metrics`: AUC, precision/recall at thresholds, sensitivity/specificity.

Each keeps, per threshold t, the (weighted) counts of true positives (prediction > t and
label true), false negatives, true negatives and false positives in `[num_thresholds]`
local variables, and derives its value from them. Predictions must lie in [0, 1]; labels are
cast to bool. AUC uses `num_thresholds` thresholds `[-1e-7, 1/(n-1), 2/(n-1), ..., 1 + 1e-7]`,
so its value is TF1's Riemann approximation, not the exact area.

    auc, auc_update = tf.metrics.auc(labels, probabilities)
"""

from __future__ import annotations

import logging

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    math_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant
from estflow.core.variable_scope import variable_scope
from estflow.core.variables import assign_add
from estflow.library.metrics_impl import _add_to, _read, _remove_squeezable_dimensions, metric_variable
from estflow.library.weights_broadcast_ops import broadcast_weights

_KEPSILON = 1e-7  # the endpoint thresholds sit this far outside [0, 1], for float imprecision
_ALL_COUNTS = ("tp", "fn", "tn", "fp")
_VARIABLE_NAMES = {"tp": "true_positives", "fn": "false_negatives", "tn": "true_negatives",
                   "fp": "false_positives"}


def _in_unit_interval(predictions: Tensor) -> Tensor:
    """`predictions`, read only after checking they lie in [0, 1] (InvalidArgumentError otherwise)."""
    zero = cast_ops.cast(0.0, predictions.dtype)
    one = cast_ops.cast(1.0, predictions.dtype)
    checks = [
        control_flow_ops.Assert(reduction_ops.reduce_all(comparison_ops.greater_equal(predictions, zero)),
                                ["predictions must be in [0, 1]", "Condition x >= y did not hold element-wise:",
                                 f"x ({predictions.name}) = ", predictions], name="assert_greater_equal"),
        control_flow_ops.Assert(reduction_ops.reduce_all(comparison_ops.less_equal(predictions, one)),
                                ["predictions must be in [0, 1]", "Condition x <= y did not hold element-wise:",
                                 f"x ({predictions.name}) = ", predictions], name="assert_less_equal"),
    ]
    return control_flow_ops.with_dependencies(checks, predictions)


def _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights=None, includes=None):
    """Local count variables (tp, fn, tn, fp, as requested by `includes`) at each threshold, and their updates.

    Returns:
        `(values, update_ops)`: dicts from "tp"/"fn"/"tn"/"fp" to the variables and to the
        ops adding one batch's counts (each of shape `[len(thresholds)]`).
    """
    includes = _ALL_COUNTS if includes is None else includes
    for include in includes:
        if include not in _ALL_COUNTS:
            raise ValueError(f"Invalid key: {include}. Use a subset of {_ALL_COUNTS}.")
    predictions = _in_unit_interval(cast_ops.cast(predictions, dtypes.float32))
    predictions, labels, weights = _remove_squeezable_dimensions(predictions, cast_ops.cast(labels, dtypes.bool),
                                                                 weights)
    num_thresholds = len(thresholds)
    # TF1 tiles predictions and labels to [num_thresholds, N]; broadcasting a [T, 1] column of
    # thresholds against a [1, N] row gives the same booleans without the copies.
    predictions_row = array_ops.reshape(predictions, [1, -1])
    labels_row = array_ops.reshape(labels, [1, -1])
    thresholds_column = constant([[float(t)] for t in thresholds], dtype=dtypes.float32)
    pred_is_pos = comparison_ops.greater(predictions_row, thresholds_column)
    pred_is_neg = unary_ops.logical_not(pred_is_pos) if ("fn" in includes or "tn" in includes) else None
    label_is_neg = unary_ops.logical_not(labels_row) if ("fp" in includes or "tn" in includes) else None
    weights_row = None
    if weights is not None:
        weights = broadcast_weights(cast_ops.cast(weights, dtypes.float32), predictions)
        weights_row = array_ops.reshape(weights, [1, -1])
    conditions = {"tp": (labels_row, pred_is_pos), "fn": (labels_row, pred_is_neg),
                  "tn": (label_is_neg, pred_is_neg), "fp": (label_is_neg, pred_is_pos)}
    values, update_ops = {}, {}
    for key in _ALL_COUNTS:
        if key not in includes:
            continue
        variable = metric_variable([num_thresholds], dtypes.float32, name=_VARIABLE_NAMES[key])
        label_side, prediction_side = conditions[key]
        hits = cast_ops.cast(comparison_ops.logical_and(label_side, prediction_side), dtypes.float32)
        if weights_row is not None:
            hits *= weights_row
        update_ops[key] = assign_add(variable, reduction_ops.reduce_sum(hits, 1))
        values[key] = variable
    return values, update_ops


def _auc_thresholds(num_thresholds, thresholds=None):
    if thresholds is not None:
        inner = sorted(thresholds)
    else:
        if num_thresholds <= 1:
            raise ValueError(f"num_thresholds must be > 1, got {num_thresholds}.")
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _KEPSILON] + inner + [1.0 + _KEPSILON]


_SUMMATION_METHODS = ("trapezoidal", "careful_interpolation", "minoring", "majoring")


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None, updates_collections=None,
        curve="ROC", name=None, summation_method="trapezoidal", thresholds=None):
    """The area under the ROC or precision-recall curve, approximated over thresholds, as `tf.metrics.auc`.

    `summation_method`: 'trapezoidal' (default), 'careful_interpolation' (for PR: Davis &
    Goadrich's interpolation of precision; for ROC the same as trapezoidal), 'minoring' or
    'majoring' (lower or upper Riemann sum). `thresholds` (a list in [0, 1]) replaces the
    evenly spaced ones. Local variables `auc/true_positives`, `auc/false_negatives`,
    `auc/true_negatives`, `auc/false_positives`.

        auc, update = tf.metrics.auc(labels, tf.sigmoid(logits), curve="PR",
                                     summation_method="careful_interpolation")
    """
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    if summation_method not in _SUMMATION_METHODS:
        raise ValueError(f"Invalid summation_method: {summation_method}. Use one of {', '.join(_SUMMATION_METHODS)}.")
    with variable_scope(name, "auc", [labels, predictions, weights]):
        thresholds = _auc_thresholds(num_thresholds, thresholds)
        num_thresholds = len(thresholds)
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)
        epsilon = 1.0e-6  # keeps the rates finite before any positive or negative has been seen
        n = num_thresholds

        def interpolate_pr_auc(tp, fp, fn):
            # Between adjacent thresholds A > B, precision is TP/P with TP linear in P = TP + FP:
            # TP = intercept + slope * P, so the area over recall is
            # slope * (dTP + intercept * log(P_B / P_A)) / (TP + FN) (Davis & Goadrich 2006).
            dtp = tp[:n - 1] - tp[1:]
            p = tp + fp
            prec_slope = math_ops.div_no_nan(dtp, math_ops.maximum(p[:n - 1] - p[1:], 0), name="prec_slope")
            intercept = tp[1:] - math_ops.multiply(prec_slope, p[1:])
            safe_p_ratio = gather_ops.where(
                comparison_ops.logical_and(p[:n - 1] > 0, p[1:] > 0),
                math_ops.div_no_nan(p[:n - 1], math_ops.maximum(p[1:], 0), name="recall_relative_ratio"),
                fill_ops.ones_like(p[1:]))
            increments = math_ops.div_no_nan(prec_slope * (dtp + intercept * unary_ops.log(safe_p_ratio)),
                                             math_ops.maximum(tp[1:] + fn[1:], 0), name="pr_auc_increment")
            return reduction_ops.reduce_sum(increments, name="interpolate_pr_auc")

        def compute_auc(tp, fn, tn, fp, name):
            if curve == "PR" and summation_method == "careful_interpolation":
                return interpolate_pr_auc(tp, fp, fn)
            rec = math_ops.div(tp + epsilon, tp + fn + epsilon)
            if curve == "ROC":
                x, y = math_ops.div(fp, fp + tn + epsilon), rec
            else:
                x, y = rec, math_ops.div(tp + epsilon, tp + fp + epsilon)
            if summation_method in ("trapezoidal", "careful_interpolation"):
                heights = (y[:n - 1] + y[1:]) / 2.0
            elif summation_method == "minoring":
                heights = math_ops.minimum(y[:n - 1], y[1:])
            else:
                heights = math_ops.maximum(y[:n - 1], y[1:])
            return reduction_ops.reduce_sum(math_ops.multiply(x[:n - 1] - x[1:], heights), name=name)

        if curve == "PR" and summation_method == "trapezoidal":
            logging.getLogger("estflow").warning(
                'Trapezoidal rule is known to produce incorrect PR-AUCs; please switch to "careful_interpolation" '
                "instead.")
        value = _add_to(metrics_collections, compute_auc(
            values["tp"].value(), values["fn"].value(), values["tn"].value(), values["fp"].value(), "value"))
        update_op = compute_auc(update_ops["tp"], update_ops["fn"], update_ops["tn"], update_ops["fp"], "update_op")
        return value, _add_to(updates_collections, update_op)


def _counts_at_thresholds(key, default_name):
    def metric(labels, predictions, thresholds, weights=None, metrics_collections=None, updates_collections=None,
               name=None):
        with variable_scope(name, default_name, [predictions, labels, weights]):
            values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights=weights,
                                                                 includes=(key,))
            value = _read(values[key], metrics_collections)
            return value, _add_to(updates_collections, update_ops[key])

    metric.__name__ = f"{default_name}_at_thresholds"
    metric.__doc__ = (f"The (weighted) {default_name.replace('_', ' ')} at each threshold, as "
                      f"`tf.metrics.{default_name}_at_thresholds` (variable `{default_name}/{default_name}`).")
    return metric


true_positives_at_thresholds = _counts_at_thresholds("tp", "true_positives")
false_positives_at_thresholds = _counts_at_thresholds("fp", "false_positives")
true_negatives_at_thresholds = _counts_at_thresholds("tn", "true_negatives")
false_negatives_at_thresholds = _counts_at_thresholds("fn", "false_negatives")


def precision_at_thresholds(labels, predictions, thresholds, weights=None, metrics_collections=None,
                            updates_collections=None, name=None):
    """tp / (tp + fp + 1e-7) at each threshold, as `tf.metrics.precision_at_thresholds`."""
    with variable_scope(name, "precision_at_thresholds", [predictions, labels, weights]):
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights,
                                                             includes=("tp", "fp"))

        def compute(tp, fp, name):
            return math_ops.div(tp, _KEPSILON + tp + fp, name="precision_" + name)

        value = _add_to(metrics_collections, compute(values["tp"].value(), values["fp"].value(), "value"))
        return value, _add_to(updates_collections, compute(update_ops["tp"], update_ops["fp"], "update_op"))


def recall_at_thresholds(labels, predictions, thresholds, weights=None, metrics_collections=None,
                         updates_collections=None, name=None):
    """tp / (tp + fn + 1e-7) at each threshold, as `tf.metrics.recall_at_thresholds`."""
    with variable_scope(name, "recall_at_thresholds", [predictions, labels, weights]):
        values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights,
                                                             includes=("tp", "fn"))

        def compute(tp, fn, name):
            return math_ops.div(tp, _KEPSILON + tp + fn, name="recall_" + name)

        value = _add_to(metrics_collections, compute(values["tp"].value(), values["fn"].value(), "value"))
        return value, _add_to(updates_collections, compute(update_ops["tp"], update_ops["fn"], "update_op"))


def _rate_at_rate(default_name, target_arg, compute_at):
    def metric(labels, predictions, target, weights=None, num_thresholds=200, metrics_collections=None,
               updates_collections=None, name=None):
        if target < 0 or target > 1:
            raise ValueError(f"`{target_arg}` must be in the range [0, 1]. Currently, `{target_arg}` got {target}.")
        with variable_scope(name, default_name, [predictions, labels, weights]):
            thresholds = _auc_thresholds(num_thresholds)
            values, update_ops = _confusion_matrix_at_thresholds(labels, predictions, thresholds, weights)
            counts = [values[k].value() for k in ("tp", "tn", "fp", "fn")]
            value = _add_to(metrics_collections, compute_at(*counts, target, "value"))
            updates = [update_ops[k] for k in ("tp", "tn", "fp", "fn")]
            return value, _add_to(updates_collections, compute_at(*updates, target, "update_op"))

    return metric


def _sensitivity_at(tp, tn, fp, fn, specificity, name):
    # The first threshold whose specificity is closest to the target.
    specificities = math_ops.div(tn, tn + fp + _KEPSILON)
    index = cast_ops.cast(reduction_ops.argmin(unary_ops.abs(specificities - specificity), 0), dtypes.int32)
    return math_ops.div(tp[index], tp[index] + fn[index] + _KEPSILON, name)


def _specificity_at(tp, tn, fp, fn, sensitivity, name):
    # The last threshold whose sensitivity is closest to the target (TF1's cumsum/argmax trick).
    distance = unary_ops.abs(math_ops.div(tp, tp + fn + _KEPSILON) - sensitivity)
    at_min = cast_ops.cast(comparison_ops.equal(distance, reduction_ops.reduce_min(distance)), dtypes.int64)
    index = cast_ops.cast(reduction_ops.argmax(reduction_ops.cumsum(at_min), 0), dtypes.int32)
    return math_ops.div(tn[index], tn[index] + fp[index] + _KEPSILON, name)


_sensitivity_metric = _rate_at_rate("sensitivity_at_specificity", "specificity", _sensitivity_at)
_specificity_metric = _rate_at_rate("specificity_at_sensitivity", "sensitivity", _specificity_at)


def sensitivity_at_specificity(labels, predictions, specificity, weights=None, num_thresholds=200,
                               metrics_collections=None, updates_collections=None, name=None):
    """The recall at the threshold whose specificity is closest to `specificity`, as TF1's metric."""
    return _sensitivity_metric(labels, predictions, specificity, weights, num_thresholds, metrics_collections,
                               updates_collections, name)


def specificity_at_sensitivity(labels, predictions, sensitivity, weights=None, num_thresholds=200,
                               metrics_collections=None, updates_collections=None, name=None):
    """The specificity at the threshold whose sensitivity is closest to `sensitivity`, as TF1's metric."""
    return _specificity_metric(labels, predictions, sensitivity, weights, num_thresholds, metrics_collections,
                               updates_collections, name)

