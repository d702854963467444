"""The multi-label head: each example has zero or more labels out of `n_classes`; one sigmoid per
class, the loss the mean over classes of the sigmoid cross entropy (TF1's contrib `_MultiLabelHead`).

    head = tf.contrib.estimator.multi_label_head(n_classes=3, thresholds=[0.5])

Labels are a multi-hot `[D0, ... DN, n_classes]` Tensor, or a SparseTensor of class ids (or of
strings in `label_vocabulary`) that the head turns into the multi-hot form.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import control_dependencies, name_scope
from estflow.core.ops import cast_ops, reduction_ops, slicing_ops, unary_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.sparse_concat_ops import sparse_to_indicator
from estflow.core.sparse_tensor import SparseTensor
from estflow.estimators import head_checks as checks
from estflow.estimators import head_metrics
from estflow.estimators.head import (
    CLASSIFY_SERVING_KEY,
    DEFAULT_SERVING_KEY,
    PREDICT_SERVING_KEY,
    LossSpec,
    _classification_output,
    _Head,
    _predict_output,
    summary_key,
)
from estflow.estimators.metric_keys import MetricKeys
from estflow.estimators.prediction_keys import PredictionKeys
from estflow.library import lookup_ops, nn_impl
from estflow.library.losses_impl import Reduction


def _class_ids(classes_for_class_based_metrics, n_classes, label_vocabulary) -> tuple:
    if not classes_for_class_based_metrics:
        return ()
    classes = tuple(classes_for_class_based_metrics)
    if isinstance(classes[0], str):
        if not label_vocabulary:
            raise ValueError("label_vocabulary must be provided when classes_for_class_based_metrics are strings.")
        missing = [c for c in classes if c not in label_vocabulary]
        if missing:
            raise ValueError(f"classes_for_class_based_metrics {missing} are not in label_vocabulary "
                             f"{list(label_vocabulary)}.")
        return tuple(list(label_vocabulary).index(c) for c in classes)
    for class_id in classes:
        if class_id < 0 or class_id >= n_classes:
            raise ValueError(f"All classes_for_class_based_metrics must be in range [0, {n_classes - 1}]. "
                             f"Given: {class_id}")
    return classes


class MultiLabelHeadWithSigmoidCrossEntropyLoss(_Head):
    """See `multi_label_head`."""

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, classes_for_class_based_metrics=None,
                 name=None):
        if n_classes is None or n_classes < 2:
            raise ValueError(f"n_classes must be > 1 for multi-label classification. Given: {n_classes}")
        thresholds = tuple(thresholds) if thresholds else ()
        for threshold in thresholds:
            if threshold <= 0.0 or threshold >= 1.0:
                raise ValueError(f"thresholds must be in (0, 1) range. Given: {threshold}")
        if label_vocabulary is not None:
            if not isinstance(label_vocabulary, (list, tuple)):
                raise ValueError(f"label_vocabulary must be a list or tuple. Given type: {type(label_vocabulary)}")
            if len(label_vocabulary) != n_classes:
                raise ValueError(f"Length of label_vocabulary must be n_classes ({n_classes}). "
                                 f"Given: {len(label_vocabulary)}")
        checks.validate_loss_reduction(loss_reduction)
        if loss_fn:
            checks.validate_loss_fn_args(loss_fn)
        super().__init__(weight_column, loss_reduction, loss_fn, name)
        self._n_classes = n_classes
        self._thresholds = thresholds
        self._label_vocabulary = label_vocabulary
        self._classes_for_class_based_metrics = _class_ids(classes_for_class_based_metrics, n_classes,
                                                           label_vocabulary)

    @property
    def logits_dimension(self) -> int:
        return self._n_classes

    def _predictions(self, logits):
        return {PredictionKeys.LOGITS: logits,
                PredictionKeys.PROBABILITIES: unary_ops.sigmoid(logits, name=PredictionKeys.PROBABILITIES)}

    def _export_outputs(self, predictions):
        classifier_output = _classification_output(predictions[PredictionKeys.PROBABILITIES], self._n_classes,
                                                   self._label_vocabulary)
        return {DEFAULT_SERVING_KEY: classifier_output, CLASSIFY_SERVING_KEY: classifier_output,
                PREDICT_SERVING_KEY: _predict_output(predictions)}

    def _processed_labels(self, logits, labels):
        """Multi-hot int64 labels `[D0, ... DN, n_classes]`, checked."""
        if labels is None:
            return checks.check_labels(None, logits, self._n_classes)  # raises TF1's "You must provide labels"
        if isinstance(labels, SparseTensor):
            if labels.dtype == dtypes.string:
                if self._label_vocabulary is None:
                    raise ValueError("String SparseTensor labels need label_vocabulary. Suggested Fix: pass "
                                     "label_vocabulary=[...] listing every label string, or feed class ids.")
                table = lookup_ops.index_table_from_tensor(vocabulary_list=tuple(self._label_vocabulary),
                                                           name="class_id_lookup")
                ids = checks.assert_label_ids_in_range(table.lookup(labels.values), self._n_classes,
                                                       raw_labels=labels.values)
            else:
                if not labels.values.dtype.is_integer:
                    raise ValueError(f"Labels dtype should be integer. Instead got {labels.values.dtype.name}.")
                ids = checks.assert_label_ids_in_range(labels.values, self._n_classes)
            with control_dependencies([ids]):
                indicator = sparse_to_indicator(SparseTensor(labels.indices, ids, labels.dense_shape),
                                                self._n_classes)
            labels = cast_ops.cast(indicator, dtypes.int64)
        else:
            labels = convert_to_tensor(labels)
            if labels.dtype == dtypes.string:
                raise ValueError("Dense string labels are not supported by the multi-label head. Suggested Fix: "
                                 "feed a multi-hot int Tensor, or a SparseTensor of label strings with "
                                 "label_vocabulary.")
            labels = checks.assert_multi_hot(labels)
        return checks.check_labels(labels, logits, expected_labels_dimension=self._n_classes)

    def create_loss(self, features, mode, logits, labels) -> LossSpec:
        del mode  # TF1's multi-label head ignores it too
        logits = convert_to_tensor(logits)
        processed = self._processed_labels(logits, labels)
        if self._loss_fn:
            unweighted_loss = checks.call_loss_fn(self._loss_fn, processed, logits, features, expected_loss_dim=1)
        else:
            per_class = nn_impl.sigmoid_cross_entropy_with_logits(labels=cast_ops.cast(processed, dtypes.float32),
                                                                  logits=logits)
            unweighted_loss = reduction_ops.reduce_mean(per_class, axis=-1, keepdims=True)
        weights = self._weights(features, logits)
        return LossSpec(self._reduce(unweighted_loss, weights), unweighted_loss, weights, processed)

    def _eval_metric_ops(self, predictions, loss_spec, regularization_loss):
        labels, weights = loss_spec.processed_labels, loss_spec.weights
        probabilities = predictions[PredictionKeys.PROBABILITIES]
        keys = MetricKeys
        metric_ops = {
            keys.LOSS_MEAN: head_metrics.mean(loss_spec.unreduced_loss, weights, name=keys.LOSS_MEAN),
            keys.AUC: head_metrics.auc(labels, probabilities, weights, name=keys.AUC),
            keys.AUC_PR: head_metrics.auc(labels, probabilities, weights, curve="PR", name=keys.AUC_PR),
        }
        for threshold in self._thresholds:
            key = keys.ACCURACY_AT_THRESHOLD % threshold
            metric_ops[key] = head_metrics.accuracy_at_threshold(labels, probabilities, weights, threshold, name=key)
            key = keys.PRECISION_AT_THRESHOLD % threshold
            metric_ops[key] = head_metrics.precision_at_threshold(labels, probabilities, weights, threshold, name=key)
            key = keys.RECALL_AT_THRESHOLD % threshold
            metric_ops[key] = head_metrics.recall_at_threshold(labels, probabilities, weights, threshold, name=key)
        for class_id in self._classes_for_class_based_metrics:
            if self._label_vocabulary is None:
                prob_key, auc_key, auc_pr_key = (keys.PROBABILITY_MEAN_AT_CLASS % class_id,
                                                 keys.AUC_AT_CLASS % class_id, keys.AUC_PR_AT_CLASS % class_id)
            else:
                class_name = self._label_vocabulary[class_id]
                prob_key, auc_key, auc_pr_key = (keys.PROBABILITY_MEAN_AT_NAME % class_name,
                                                 keys.AUC_AT_NAME % class_name, keys.AUC_PR_AT_NAME % class_name)
            with name_scope(None, f"class_{class_id}"):
                class_probabilities = slicing_ops.slice(probabilities, [0, class_id], [-1, 1])
                class_labels = slicing_ops.slice(labels, [0, class_id], [-1, 1])
                metric_ops[prob_key] = head_metrics.predictions_mean(class_probabilities, weights, name=prob_key)
                metric_ops[auc_key] = head_metrics.auc(class_labels, class_probabilities, weights, name=auc_key)
                metric_ops[auc_pr_key] = head_metrics.auc(class_labels, class_probabilities, weights, curve="PR",
                                                          name=auc_pr_key)
        return {summary_key(self._name, key): value for key, value in metric_ops.items()}


def multi_label_head(n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                     loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, classes_for_class_based_metrics=None,
                     name=None):
    """A head for multi-label classification, as `tf.contrib.estimator.multi_label_head`.

        head = tf.contrib.estimator.multi_label_head(n_classes=3, classes_for_class_based_metrics=[0, 2])
    """
    return MultiLabelHeadWithSigmoidCrossEntropyLoss(
        n_classes, weight_column=weight_column, thresholds=thresholds, label_vocabulary=label_vocabulary,
        loss_reduction=loss_reduction, loss_fn=loss_fn,
        classes_for_class_based_metrics=classes_for_class_based_metrics, name=name)

