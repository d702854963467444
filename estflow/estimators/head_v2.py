"""`tf.estimator.Head` and its subclasses (`BinaryClassHead`, `MultiClassHead`, `MultiLabelHead`,
`RegressionHead`, `PoissonRegressionHead`, `LogisticRegressionHead`): the head classes TF 1.15
exports under `tf.estimator`, with their arguments and the `SUM_OVER_BATCH_SIZE` default.

    head = tf.estimator.MultiClassHead(n_classes=3)
    def model_fn(features, labels, mode):
        logits = tf.layers.dense(tf.feature_column.input_layer(features, columns), head.logits_dimension)
        return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                          optimizer=tf.train.AdagradOptimizer(0.1))

They compute what TF1's canned heads compute (the same losses, predictions, metric keys and
export outputs) and add TF's v2 methods `loss(...)` and `predictions(logits, keys)`. Their
`create_estimator_spec` takes v2's `trainable_variables` and `update_ops`; the `optimizer` is a
`tf.train.Optimizer` (estflow has no Keras optimizers), which minimizes over
`trainable_variables` when given. Training writes the `loss` (and `regularization_loss`)
summaries, as v2 heads do. Eval metrics are TF1's `tf.metrics` (v2's Keras metric objects,
`metrics()` / `update_metrics()`, are not provided).
"""

from __future__ import annotations

from estflow.core.graph import name_scope
from estflow.core.ops import control_flow_ops, math_ops, unary_ops
from estflow.estimators import head as head_lib
from estflow.estimators import head_checks as checks
from estflow.estimators.multi_label_head import MultiLabelHeadWithSigmoidCrossEntropyLoss
from estflow.estimators.prediction_keys import PredictionKeys
from estflow.library import nn_impl
from estflow.library.losses_impl import Reduction
from estflow.training import training_util
from estflow.training.optimizer import Optimizer

_ALL_PREDICTION_KEYS = tuple(v for k, v in vars(PredictionKeys).items() if k.isupper())


class Head(head_lib._Head):
    """The interface of TF's `tf.estimator.Head`: `name`, `logits_dimension`, `loss_reduction`,
    `loss`, `predictions` and `create_estimator_spec`. Subclass one of the concrete heads."""

    @property
    def loss_reduction(self):
        return self._loss_reduction

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        """The reduced weighted training loss plus `regularization_losses`."""
        with name_scope(None, "losses", [logits, labels]):
            logits = checks.check_logits_final_dim(logits, self.logits_dimension)
            training_loss = self.create_loss(features=features or {}, mode=mode, logits=logits,
                                             labels=labels).training_loss
            if regularization_losses:
                return math_ops.add_n([training_loss, *regularization_losses])
            return training_loss

    def predictions(self, logits, keys=None):
        """The prediction dict of `logits`, restricted to `keys` (default: every key of this head)."""
        logits = checks.check_logits_final_dim(logits, self.logits_dimension)
        with name_scope(None, "predictions", [logits]):
            predictions = self._predictions(logits)
        if not keys:
            return predictions
        keys = [keys] if isinstance(keys, str) else list(keys)
        for key in keys:
            if key not in _ALL_PREDICTION_KEYS:
                raise ValueError(f"Prediction key must be in PredictionKeys, given: {key}")
            if key not in predictions:
                raise ValueError(f"Prediction key {key} is not one of this head's: {sorted(predictions)}.")
        return {key: predictions[key] for key in keys}

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """The `EstimatorSpec` of this head for `mode` (TF's v2 signature).

        TRAIN needs exactly one of `optimizer` (a `tf.train.Optimizer`, minimizing over
        `trainable_variables` when given) and `train_op_fn`; `update_ops` run with the train_op.
        """
        def make_train_op(loss):
            return v2_train_op(loss, optimizer, trainable_variables, train_op_fn, update_ops)

        return self._estimator_spec(features, mode, logits, labels, make_train_op, regularization_losses,
                                    average_loss_summary=False)


def v2_train_op(loss, optimizer, trainable_variables, train_op_fn, update_ops):
    """The train_op of a v2 head: `optimizer` (a tf.train.Optimizer, over `trainable_variables` when
    given) or `train_op_fn`, grouped with `update_ops`."""
    if update_ops is not None and not isinstance(update_ops, (list, tuple)):
        raise ValueError(f"update_ops should be a list or a tuple. Given type: {type(update_ops)}.")
    if optimizer is not None:
        if train_op_fn is not None:
            raise ValueError("train_op_fn and optimizer cannot both be set. Pass one of them.")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"The given optimizer is not a tf.train.Optimizer instance. Given: {optimizer!r}. "
                             f"Pass e.g. tf.train.AdagradOptimizer(0.05), or a train_op_fn.")
        if trainable_variables is not None and not isinstance(trainable_variables, (list, tuple)):
            raise ValueError(f"trainable_variables should be a list or a tuple. Given type: "
                             f"{type(trainable_variables)}.")
        train_op = optimizer.minimize(loss, global_step=training_util.get_global_step(), var_list=trainable_variables)
    else:
        train_op = head_lib._train_op(loss, None, train_op_fn)
    return control_flow_ops.group(train_op, *update_ops) if update_ops else train_op


class BinaryClassHead(Head, head_lib.BinaryLogisticHeadWithSigmoidCrossEntropyLoss):
    """Binary classification with sigmoid cross entropy, as `tf.estimator.BinaryClassHead`.

        head = tf.estimator.BinaryClassHead(thresholds=[0.3, 0.7], label_vocabulary=["no", "yes"])
    """

    def __init__(self, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
        head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(
            weight_column, thresholds, label_vocabulary, loss_reduction, loss_fn, name)  # validates the arguments
        head_lib.BinaryLogisticHeadWithSigmoidCrossEntropyLoss.__init__(
            self, weight_column=weight_column, thresholds=thresholds, label_vocabulary=label_vocabulary,
            loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


class MultiClassHead(Head, head_lib.MultiClassHeadWithSoftmaxCrossEntropyLoss):
    """Classification into `n_classes` > 2 classes with softmax cross entropy, as `tf.estimator.MultiClassHead`."""

    def __init__(self, n_classes, weight_column=None, label_vocabulary=None,
                 loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
        checks.validate_label_vocabulary(label_vocabulary)
        checks.validate_loss_reduction(loss_reduction)
        if loss_fn:
            checks.validate_loss_fn_args(loss_fn)
        head_lib.MultiClassHeadWithSoftmaxCrossEntropyLoss.__init__(
            self, n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary,
            loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


class MultiLabelHead(Head, MultiLabelHeadWithSigmoidCrossEntropyLoss):
    """Multi-label classification (one sigmoid per class), as `tf.estimator.MultiLabelHead`.

    Its predictions add `classes` (every class's string per example) to `logits` and `probabilities`.
    """

    def __init__(self, n_classes, weight_column=None, thresholds=None, label_vocabulary=None,
                 loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, classes_for_class_based_metrics=None,
                 name=None):
        MultiLabelHeadWithSigmoidCrossEntropyLoss.__init__(
            self, n_classes, weight_column=weight_column, thresholds=thresholds, label_vocabulary=label_vocabulary,
            loss_reduction=loss_reduction, loss_fn=loss_fn,
            classes_for_class_based_metrics=classes_for_class_based_metrics, name=name)

    def _predictions(self, logits):
        predictions = MultiLabelHeadWithSigmoidCrossEntropyLoss._predictions(self, logits)
        predictions[PredictionKeys.CLASSES] = head_lib._tile_rows(
            head_lib._class_strings(self._n_classes, self._label_vocabulary), logits)
        return predictions


class RegressionHead(Head, head_lib.RegressionHeadWithMeanSquaredErrorLoss):
    """Regression with squared error, as `tf.estimator.RegressionHead`."""

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 loss_fn=None, inverse_link_fn=None, name=None):
        checks.validate_loss_reduction(loss_reduction)
        if loss_fn:
            checks.validate_loss_fn_args(loss_fn)
        head_lib.RegressionHeadWithMeanSquaredErrorLoss.__init__(
            self, label_dimension=label_dimension, weight_column=weight_column, loss_reduction=loss_reduction,
            loss_fn=loss_fn, inverse_link_fn=inverse_link_fn, name=name)


class PoissonRegressionHead(RegressionHead):
    """Regression of counts (Poisson loss on log-rate logits, predictions exp(logits)), as
    `tf.estimator.PoissonRegressionHead`."""

    def __init__(self, label_dimension=1, weight_column=None, loss_reduction=Reduction.SUM_OVER_BATCH_SIZE,
                 compute_full_loss=True, name=None):
        self._compute_full_loss = compute_full_loss
        super().__init__(label_dimension=label_dimension, weight_column=weight_column,
                         loss_reduction=loss_reduction, loss_fn=self._poisson_loss, inverse_link_fn=unary_ops.exp,
                         name=name)

    def _poisson_loss(self, labels, logits):
        return nn_impl.log_poisson_loss(targets=labels, log_input=logits, compute_full_loss=self._compute_full_loss)


class LogisticRegressionHead(RegressionHead):
    """Regression of values in [0, 1] with sigmoid cross entropy (predictions sigmoid(logits)), as
    `tf.estimator.LogisticRegressionHead`; labels outside [0, 1] fail the step."""

    def __init__(self, weight_column=None, loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None):
        super().__init__(label_dimension=1, weight_column=weight_column, loss_reduction=loss_reduction,
                         loss_fn=self._logistic_loss, inverse_link_fn=unary_ops.sigmoid, name=name)

    @staticmethod
    def _logistic_loss(labels, logits):
        return nn_impl.sigmoid_cross_entropy_with_logits(labels=checks.assert_in_unit_interval(labels), logits=logits)
