"""Canned heads: given logits, a head builds the predictions, loss, train_op, metrics and export
outputs of an `EstimatorSpec` (TF1's `canned/head.py` `_Head`, with TF1's keys and numbers).

    head = tf.contrib.estimator.binary_classification_head()
    def model_fn(features, labels, mode):
        logits = tf.layers.dense(tf.feature_column.input_layer(features, columns), head.logits_dimension)
        return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                          optimizer=tf.train.AdagradOptimizer(0.1))

One base class holds what every head shares (`create_estimator_spec`: predictions, then the
loss, then metrics or train_op and the `loss` / `average_loss` summaries); a head states its
predictions, its unreduced loss, its metrics and its export outputs. The loss is reduced by
`loss_reduction`, TF1's canned default being `tf.losses.Reduction.SUM` (the weighted sum over
the batch), and `average_loss` is that sum over the summed weights.
"""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, get_collection, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    manipulation_ops,
    math_ops,
    nn_ops,
    reduction_ops,
    string_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.estimators import export_output, head_metrics
from estflow.estimators import head_checks as checks
from estflow.estimators.metric_keys import MetricKeys
from estflow.estimators.mode_keys import ModeKeys
from estflow.estimators.model_fn import EstimatorSpec
from estflow.estimators.prediction_keys import PredictionKeys
from estflow.library import lookup_ops, nn_impl
from estflow.library.losses_impl import Reduction, compute_weighted_loss
from estflow.serving.signature_constants import DEFAULT_SERVING_SIGNATURE_DEF_KEY
from estflow.summary import summary as summary_lib
from estflow.training import training_util

DEFAULT_SERVING_KEY = DEFAULT_SERVING_SIGNATURE_DEF_KEY
# A local convention of TF's heads, not a TF Serving constant.
CLASSIFY_SERVING_KEY = "classification"
REGRESS_SERVING_KEY = "regression"
PREDICT_SERVING_KEY = "predict"

LossSpec = collections.namedtuple("LossSpec", ["training_loss", "unreduced_loss", "weights", "processed_labels"])
LossSpec.__doc__ = """What `create_loss` returns: the reduced weighted training loss, the unreduced unweighted
loss `[D0, ... DN, d]`, the example weights and the processed labels (ids after a vocabulary lookup)."""


def summary_key(head_name, key: str) -> str:
    """`key` suffixed by `/head_name` when the head has a name (TF1's metric and summary keys)."""
    return f"{key}/{head_name}" if head_name else key


class _Head:
    """Interface of a head: `name`, `logits_dimension`, `create_loss` and `create_estimator_spec`.

    Subclasses implement `create_loss`, `_predictions(logits)`, `_export_outputs(predictions)` and
    `_eval_metric_ops(...)`; `create_estimator_spec` assembles them as TF1 does.
    """

    def __init__(self, weight_column=None, loss_reduction=Reduction.SUM, loss_fn=None, name=None):
        self._weight_column = weight_column
        self._loss_reduction = loss_reduction
        self._loss_fn = loss_fn
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def logits_dimension(self) -> int:
        raise NotImplementedError

    def create_loss(self, features, mode, logits, labels) -> LossSpec:
        """The `LossSpec` of `logits` against `labels` (framework code; users call create_estimator_spec).

        The canned heads ignore `mode`, as TF1's do; it is there for heads whose loss depends on it.
        """
        raise NotImplementedError

    def _predictions(self, logits):
        raise NotImplementedError

    def _export_outputs(self, predictions):
        raise NotImplementedError

    def _eval_metric_ops(self, predictions, loss_spec, regularization_loss):
        raise NotImplementedError

    def _weights(self, features, logits, allow_per_logit_weights=False):
        return checks.get_weights_and_check_match_logits(features, self._weight_column, logits,
                                                         allow_per_logit_weights=allow_per_logit_weights)

    def _reduce(self, unweighted_loss, weights):
        return compute_weighted_loss(unweighted_loss, weights=weights, reduction=self._loss_reduction)

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, train_op_fn=None,
                              regularization_losses=None) -> EstimatorSpec:
        """The `EstimatorSpec` of this head for `mode`.

        TRAIN needs exactly one of `optimizer` (`minimize(loss, global_step)`) and `train_op_fn`
        (loss -> train_op); `regularization_losses` are added to the training loss. The ops in
        the UPDATE_OPS collection (batch norm's moving averages) run with the train_op.
        """

        def make_train_op(loss):
            train_op = _train_op(loss, optimizer, train_op_fn)
            update_ops = get_collection(GraphKeys.UPDATE_OPS)
            return control_flow_ops.group(train_op, *update_ops) if update_ops else train_op

        return self._estimator_spec(features, mode, logits, labels, make_train_op, regularization_losses,
                                    average_loss_summary=True)

    def _estimator_spec(self, features, mode, logits, labels, make_train_op, regularization_losses,
                        average_loss_summary):
        """Predictions, then (not in PREDICT) the loss, then the metrics (EVAL) or train_op and summaries."""
        with name_scope(self._name, "head"):
            logits = checks.check_logits_final_dim(logits, self.logits_dimension)
            with name_scope(None, "predictions", [logits]):
                predictions = self._predictions(logits)
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._export_outputs(predictions))
            loss_spec = self.create_loss(features=features, mode=mode, logits=logits, labels=labels)
            if regularization_losses:
                regularization_loss = math_ops.add_n(list(regularization_losses))
                loss = math_ops.add_n([loss_spec.training_loss, regularization_loss])
            else:
                regularization_loss = None
                loss = loss_spec.training_loss
            if mode == ModeKeys.EVAL:
                with name_scope(None, "metrics"):
                    metric_ops = self._eval_metric_ops(predictions, loss_spec, regularization_loss)
                    if regularization_loss is not None:
                        metric_ops[summary_key(self._name, MetricKeys.LOSS_REGULARIZATION)] = head_metrics.mean(
                            regularization_loss, name=MetricKeys.LOSS_REGULARIZATION)
                return EstimatorSpec(mode=ModeKeys.EVAL, predictions=predictions, loss=loss,
                                     eval_metric_ops=metric_ops)
            train_op = make_train_op(loss)
            mean_loss = None
            if average_loss_summary and self._loss_reduction == Reduction.SUM:
                example_weight_sum = reduction_ops.reduce_sum(
                    loss_spec.weights * fill_ops.ones_like(loss_spec.unreduced_loss))
                mean_loss = math_ops.div(loss_spec.training_loss, example_weight_sum)
        summary_lib.scalar(summary_key(self._name, MetricKeys.LOSS), loss)
        if mean_loss is not None:
            summary_lib.scalar(summary_key(self._name, MetricKeys.LOSS_MEAN), mean_loss)
        if regularization_loss is not None:
            summary_lib.scalar(summary_key(self._name, MetricKeys.LOSS_REGULARIZATION), regularization_loss)
        return EstimatorSpec(mode=ModeKeys.TRAIN, predictions=predictions, loss=loss, train_op=train_op)


def _train_op(loss, optimizer, train_op_fn):
    """`optimizer.minimize(loss, global_step)` or `train_op_fn(loss)`: exactly one of them is given."""
    if optimizer is not None:
        if train_op_fn is not None:
            raise ValueError("train_op_fn and optimizer cannot both be set. Pass one of them.")
        return optimizer.minimize(loss, global_step=training_util.get_global_step())
    if train_op_fn is not None:
        return train_op_fn(loss)
    raise ValueError("train_op_fn and optimizer cannot both be None. In TRAIN mode pass "
                     "optimizer=tf.train.AdagradOptimizer(...) or train_op_fn=lambda loss: ...")


# ---- classification helpers ------------------------------------------------------------------------
def _tile_rows(row, logits):
    """`row` ([n]) repeated once per example of `logits`: [batch, n]."""
    batch_size = array_ops.shape(logits)[0]
    return manipulation_ops.tile(array_ops.expand_dims(row, 0), concat_ops.stack([batch_size, 1]))


def _class_strings(n_classes, label_vocabulary):
    if label_vocabulary:
        return constant(list(label_vocabulary), dtype=dtypes.string)
    return string_ops.as_string(fill_ops.range_(n_classes))


def _class_predictions(logits, probabilities, class_id_logits, n_classes, label_vocabulary):
    """The classification entries shared by the binary and multi-class heads."""
    class_ids = array_ops.expand_dims(
        reduction_ops.argmax(class_id_logits, axis=-1, name=PredictionKeys.CLASS_IDS), axis=-1)
    if label_vocabulary:
        table = lookup_ops.index_to_string_table_from_tensor(vocabulary_list=list(label_vocabulary),
                                                             name="class_string_lookup")
        classes = table.lookup(class_ids)
    else:
        classes = string_ops.as_string(class_ids, name="str_classes")
    return {
        PredictionKeys.LOGITS: logits,
        PredictionKeys.PROBABILITIES: probabilities,
        PredictionKeys.CLASS_IDS: class_ids,
        PredictionKeys.CLASSES: classes,
        PredictionKeys.ALL_CLASS_IDS: _tile_rows(fill_ops.range_(n_classes), logits),
        PredictionKeys.ALL_CLASSES: _tile_rows(_class_strings(n_classes, label_vocabulary), logits),
    }


def _label_ids_from_vocabulary(labels, label_vocabulary, n_classes, head_kind):
    """Integer label ids: a vocabulary lookup of string labels, or the integer labels themselves."""
    if label_vocabulary is None:
        if labels.dtype == dtypes.string:
            raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype.name}. String labels need "
                             f"label_vocabulary: pass label_vocabulary=[...] listing every label string to the "
                             f"{head_kind}, or map labels to ids in [0, {n_classes}) in your input_fn.")
        return labels, None
    if labels.dtype != dtypes.string:
        raise ValueError(f"Labels dtype should be string if there is a vocabulary. Instead got {labels.dtype.name}. "
                         f"Suggested Fix: drop label_vocabulary for integer labels, or feed the label strings.")
    table = lookup_ops.index_table_from_tensor(vocabulary_list=tuple(label_vocabulary), name="class_id_lookup")
    return table.lookup(labels), labels


def _classification_output(scores, n_classes, label_vocabulary):
    classes = _tile_rows(_class_strings(n_classes, label_vocabulary), scores)
    return export_output.ClassificationOutput(scores=scores, classes=classes)


def _regression_output(value):
    return export_output.RegressionOutput(value=value)


def _predict_output(predictions):
    return export_output.PredictOutput(predictions)


# ---- binary ----------------------------------------------------------------------------------------
class BinaryLogisticHeadWithSigmoidCrossEntropyLoss(_Head):
    """Binary classification: one logit, sigmoid cross entropy (TF1's `_BinaryLogisticHead...`)."""

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None, loss_reduction=Reduction.SUM,
                 loss_fn=None, name=None):
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._thresholds = tuple(thresholds) if thresholds else ()
        self._label_vocabulary = label_vocabulary

    @property
    def logits_dimension(self) -> int:
        return 1

    def _predictions(self, logits):
        logistic = unary_ops.sigmoid(logits, name=PredictionKeys.LOGISTIC)
        two_class_logits = concat_ops.concat([fill_ops.zeros_like(logits), logits], axis=-1, name="two_class_logits")
        probabilities = nn_ops.softmax(two_class_logits, name=PredictionKeys.PROBABILITIES)
        predictions = _class_predictions(logits, probabilities, two_class_logits, 2, self._label_vocabulary)
        predictions[PredictionKeys.LOGISTIC] = logistic
        return predictions

    def _export_outputs(self, predictions):
        classifier_output = _classification_output(predictions[PredictionKeys.PROBABILITIES], 2,
                                                    self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classifier_output, CLASSIFY_SERVING_KEY: classifier_output,
                REGRESS_SERVING_KEY: _regression_output(predictions[PredictionKeys.LOGISTIC]),
                PREDICT_SERVING_KEY: _predict_output(predictions)}

    def create_loss(self, features, mode, logits, labels) -> LossSpec:
        del mode  # TF1's binary head ignores it too
        logits = convert_to_tensor(logits)
        labels = checks.check_labels(labels, logits, expected_labels_dimension=1)
        label_ids, raw = _label_ids_from_vocabulary(labels, self._label_vocabulary, 2, "binary classification head")
        labels = checks.assert_label_ids_in_range(cast_ops.cast(label_ids, dtypes.float32), 2, raw_labels=raw)
        if self._loss_fn:
            unweighted_loss = checks.call_loss_fn(self._loss_fn, labels, logits, features, expected_loss_dim=1)
        else:
            unweighted_loss = nn_impl.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        weights = self._weights(features, logits)
        return LossSpec(self._reduce(unweighted_loss, weights), unweighted_loss, weights, labels)

    def _eval_metric_ops(self, predictions, loss_spec, regularization_loss):
        labels, weights = loss_spec.processed_labels, loss_spec.weights
        logistic, class_ids = predictions[PredictionKeys.LOGISTIC], predictions[PredictionKeys.CLASS_IDS]
        keys = MetricKeys
        labels_mean = head_metrics.indicator_labels_mean(labels, weights, name=keys.LABEL_MEAN)
        metric_ops = {
            keys.LOSS_MEAN: head_metrics.mean(loss_spec.unreduced_loss, weights, name=keys.LOSS_MEAN),
            keys.ACCURACY: head_metrics.accuracy(labels, class_ids, weights, name=keys.ACCURACY),
            keys.PRECISION: head_metrics.precision(labels, class_ids, weights, name=keys.PRECISION),
            keys.RECALL: head_metrics.recall(labels, class_ids, weights, name=keys.RECALL),
            keys.PREDICTION_MEAN: head_metrics.predictions_mean(logistic, weights, name=keys.PREDICTION_MEAN),
            keys.LABEL_MEAN: labels_mean,
            keys.ACCURACY_BASELINE: head_metrics.accuracy_baseline(labels_mean),
            keys.AUC: head_metrics.auc(labels, logistic, weights, name=keys.AUC),
            keys.AUC_PR: head_metrics.auc(labels, logistic, weights, curve="PR", name=keys.AUC_PR),
        }
        for threshold in self._thresholds:
            key = keys.ACCURACY_AT_THRESHOLD % threshold
            metric_ops[key] = head_metrics.accuracy_at_threshold(labels, logistic, weights, threshold, name=key)
            key = keys.PRECISION_AT_THRESHOLD % threshold
            metric_ops[key] = head_metrics.precision_at_threshold(labels, logistic, weights, threshold, name=key)
            key = keys.RECALL_AT_THRESHOLD % threshold
            metric_ops[key] = head_metrics.recall_at_threshold(labels, logistic, weights, threshold, name=key)
        return {summary_key(self._name, key): value for key, value in metric_ops.items()}


# ---- multi-class -----------------------------------------------------------------------------------
class MultiClassHeadWithSoftmaxCrossEntropyLoss(_Head):
    """n_classes > 2 logits, softmax cross entropy (TF1's `_MultiClassHeadWithSoftmaxCrossEntropyLoss`)."""

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None, loss_reduction=Reduction.SUM,
                 loss_fn=None, name=None):
        if n_classes is None:
            raise ValueError("n_classes cannot be None. Pass the number of classes (> 2; use a binary head for 2).")
        if not isinstance(n_classes, int) or n_classes <= 2:
            raise ValueError(f"n_classes must be > 2: {n_classes}. For 2 classes use the binary classification head "
                             f"(tf.contrib.estimator.binary_classification_head).")
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._n_classes = n_classes
        self._label_vocabulary = label_vocabulary

    @property
    def logits_dimension(self) -> int:
        return self._n_classes

    def _predictions(self, logits):
        probabilities = nn_ops.softmax(logits, name=PredictionKeys.PROBABILITIES)
        return _class_predictions(logits, probabilities, logits, self._n_classes, self._label_vocabulary)

    def _export_outputs(self, predictions):
        classifier_output = _classification_output(predictions[PredictionKeys.PROBABILITIES], self._n_classes,
                                                   self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classifier_output, CLASSIFY_SERVING_KEY: classifier_output,
                PREDICT_SERVING_KEY: _predict_output(predictions)}

    def _label_ids(self, labels):
        if self._label_vocabulary is None and not labels.dtype.is_integer and labels.dtype != dtypes.string:
            raise ValueError(f"Labels dtype should be integer. Instead got {labels.dtype.name}. Suggested Fix: cast "
                             f"the labels to int32/int64 class ids in [0, {self._n_classes}) in your input_fn.")
        label_ids, raw = _label_ids_from_vocabulary(labels, self._label_vocabulary, self._n_classes,
                                                    "multi-class head")
        return checks.assert_label_ids_in_range(label_ids, self._n_classes, raw_labels=raw)

    def create_loss(self, features, mode, logits, labels) -> LossSpec:
        del mode  # TF1's multi-class head ignores it too
        logits = convert_to_tensor(logits)
        labels = checks.check_labels(labels, logits, expected_labels_dimension=1)
        label_ids = self._label_ids(labels)
        if self._loss_fn:
            unweighted_loss = checks.call_loss_fn(self._loss_fn, label_ids, logits, features, expected_loss_dim=1)
        else:
            unweighted_loss = array_ops.expand_dims(nn_impl.sparse_softmax_cross_entropy_with_logits(
                labels=array_ops.squeeze(label_ids, axis=[-1]), logits=logits), axis=-1)
        weights = self._weights(features, logits)
        return LossSpec(self._reduce(unweighted_loss, weights), unweighted_loss, weights, label_ids)

    def _eval_metric_ops(self, predictions, loss_spec, regularization_loss):
        weights = loss_spec.weights
        metric_ops = {
            MetricKeys.LOSS_MEAN: head_metrics.mean(loss_spec.unreduced_loss, weights, name=MetricKeys.LOSS_MEAN),
            MetricKeys.ACCURACY: head_metrics.accuracy(loss_spec.processed_labels,
                                                       predictions[PredictionKeys.CLASS_IDS], weights,
                                                       name=MetricKeys.ACCURACY),
        }
        return {summary_key(self._name, key): value for key, value in metric_ops.items()}


# ---- regression ------------------------------------------------------------------------------------
class RegressionHeadWithMeanSquaredErrorLoss(_Head):
    """Regression of `label_dimension` values, squared error (TF1's `_RegressionHeadWithMeanSquaredErrorLoss`).

    `inverse_link_fn` maps logits to predictions (`exp` for Poisson, `sigmoid` for logistic regression).
    """

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=Reduction.SUM, loss_fn=None,
                 inverse_link_fn=None, name=None):
        if label_dimension < 1:
            raise ValueError(f"Invalid label_dimension {label_dimension}. It must be >= 1.")
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._logits_dimension = label_dimension
        self._inverse_link_fn = inverse_link_fn

    @property
    def logits_dimension(self) -> int:
        return self._logits_dimension

    def _predictions(self, logits):
        if self._inverse_link_fn:
            return {PredictionKeys.PREDICTIONS: self._inverse_link_fn(logits), PredictionKeys.LOGITS: logits}
        return {PredictionKeys.PREDICTIONS: logits}

    def _export_outputs(self, predictions):
        regression_output = _regression_output(predictions[PredictionKeys.PREDICTIONS])
        return {DEFAULT_SERVING_KEY: regression_output, REGRESS_SERVING_KEY: regression_output,
                PREDICT_SERVING_KEY: _predict_output(predictions)}

    def _processed_labels(self, labels, logits):
        labels = checks.check_labels(labels, logits, expected_labels_dimension=self._logits_dimension)
        if labels.dtype == dtypes.string:
            raise ValueError("Regression labels must be numeric, got string labels. Suggested Fix: convert them to "
                             "float in your input_fn (e.g. tf.string_to_number).")
        return cast_ops.cast(labels, dtypes.float32)

    def create_loss(self, features, mode, logits, labels) -> LossSpec:
        del mode  # TF1's regression head ignores it too
        logits = convert_to_tensor(logits)
        labels = self._processed_labels(labels, logits)
        if self._loss_fn:
            unweighted_loss = checks.call_loss_fn(self._loss_fn, labels, logits, features,
                                                  expected_loss_dim=self._logits_dimension)
        else:
            unweighted_loss = math_ops.squared_difference(logits, labels)
        weights = self._weights(features, logits, allow_per_logit_weights=True)
        return LossSpec(self._reduce(unweighted_loss, weights), unweighted_loss, weights, labels)

    def _eval_metric_ops(self, predictions, loss_spec, regularization_loss):
        weights = loss_spec.weights
        metric_ops = {
            MetricKeys.LOSS_MEAN: head_metrics.mean(loss_spec.unreduced_loss, weights),
            MetricKeys.PREDICTION_MEAN: head_metrics.predictions_mean(
                predictions[PredictionKeys.PREDICTIONS], weights, name=MetricKeys.PREDICTION_MEAN),
            MetricKeys.LABEL_MEAN: head_metrics.mean(loss_spec.processed_labels, weights),
        }
        return {summary_key(self._name, key): value for key, value in metric_ops.items()}


# ---- TF1's factories (canned/head.py's private names: the canned estimators build their heads with them) ----
def _binary_logistic_head_with_sigmoid_cross_entropy_loss(weight_column=None, thresholds=None, label_vocabulary=None,
                                                          loss_reduction=Reduction.SUM, loss_fn=None, name=None):
    """A binary classification head with TF1's checks; the loss defaults to SUM, as in canned estimators."""
    thresholds = tuple(thresholds) if thresholds else ()
    checks.validate_label_vocabulary(label_vocabulary, error=TypeError, what="a list or tuple")
    for threshold in thresholds:
        if threshold <= 0.0 or threshold >= 1.0:
            raise ValueError(f"thresholds not in (0, 1): {(thresholds,)}.")
    checks.validate_loss_reduction(loss_reduction)
    if loss_fn:
        checks.validate_loss_fn_args(loss_fn)
    return BinaryLogisticHeadWithSigmoidCrossEntropyLoss(weight_column=weight_column, thresholds=thresholds,
                                                         label_vocabulary=label_vocabulary,
                                                         loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


def _multi_class_head_with_softmax_cross_entropy_loss(n_classes, weight_column=None, label_vocabulary=None,
                                                      loss_reduction=Reduction.SUM, loss_fn=None, name=None):
    """A head for `n_classes` > 2 classes with TF1's checks; the loss defaults to SUM."""
    checks.validate_label_vocabulary(label_vocabulary)
    checks.validate_loss_reduction(loss_reduction)
    if loss_fn:
        checks.validate_loss_fn_args(loss_fn)
    return MultiClassHeadWithSoftmaxCrossEntropyLoss(n_classes=n_classes, weight_column=weight_column,
                                                     label_vocabulary=label_vocabulary,
                                                     loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


def _regression_head(weight_column=None, label_dimension=1, loss_reduction=Reduction.SUM, loss_fn=None,
                     inverse_link_fn=None, name=None):
    """A squared-error regression head with TF1's checks; the loss defaults to SUM."""
    checks.validate_loss_reduction(loss_reduction)
    if loss_fn:
        checks.validate_loss_fn_args(loss_fn)
    return RegressionHeadWithMeanSquaredErrorLoss(label_dimension=label_dimension, weight_column=weight_column,
                                                  loss_reduction=loss_reduction, loss_fn=loss_fn,
                                                  inverse_link_fn=inverse_link_fn, name=name)


def _binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary, loss_reduction):
    """The head canned classifiers use: binary for `n_classes == 2`, multi-class otherwise."""
    if n_classes == 2:
        return _binary_logistic_head_with_sigmoid_cross_entropy_loss(
            weight_column=weight_column, label_vocabulary=label_vocabulary, loss_reduction=loss_reduction)
    return _multi_class_head_with_softmax_cross_entropy_loss(
        n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary, loss_reduction=loss_reduction)
