"""`tf.contrib.estimator`'s head factories: TF1's heads for custom model_fns, whose loss defaults
to `SUM_OVER_BATCH_SIZE` (the weighted sum over the batch divided by the batch size), unlike the
canned estimators' SUM.

    head = tf.contrib.estimator.binary_classification_head(thresholds=[0.3, 0.7])
    spec = head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      optimizer=tf.train.AdagradOptimizer(0.1))
"""

from __future__ import annotations

from estflow.core.ops import unary_ops
from estflow.estimators import head as head_lib
from estflow.estimators import head_checks as checks
from estflow.estimators.multi_label_head import multi_label_head
from estflow.library import nn_impl
from estflow.library.losses_impl import Reduction

__all__ = ["binary_classification_head", "logistic_regression_head", "multi_class_head", "multi_label_head",
           "poisson_regression_head", "regression_head"]


def binary_classification_head(weight_column=None, thresholds=None, label_vocabulary=None,
                               loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
    """A binary classification head (sigmoid cross entropy), as `tf.contrib.estimator.binary_classification_head`."""
    return head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(
        weight_column=weight_column, thresholds=thresholds, label_vocabulary=label_vocabulary,
        loss_reduction=loss_reduction, loss_fn=loss_fn, name=name)


def multi_class_head(n_classes, weight_column=None, label_vocabulary=None,
                     loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, loss_fn=None, name=None):
    """A head for `n_classes` > 2 classes (softmax cross entropy), as `tf.contrib.estimator.multi_class_head`."""
    return head_lib._multi_class_head_with_softmax_cross_entropy_loss(
        n_classes, weight_column=weight_column, label_vocabulary=label_vocabulary, loss_reduction=loss_reduction,
        loss_fn=loss_fn, name=name)


def regression_head(weight_column=None, label_dimension=1, loss_reduction=Reduction.SUM_OVER_BATCH_SIZE,
                    loss_fn=None, inverse_link_fn=None, name=None):
    """A squared-error regression head, as `tf.contrib.estimator.regression_head`."""
    return head_lib._regression_head(weight_column=weight_column, label_dimension=label_dimension,
                                     loss_reduction=loss_reduction, loss_fn=loss_fn,
                                     inverse_link_fn=inverse_link_fn, name=name)


def poisson_regression_head(weight_column=None, label_dimension=1, loss_reduction=Reduction.SUM_OVER_BATCH_SIZE,
                            compute_full_loss=True, name=None):
    """Regression of counts: Poisson loss on log-rate logits, predictions exp(logits)
    (`tf.contrib.estimator.poisson_regression_head`)."""

    def loss_fn(labels, logits):
        return nn_impl.log_poisson_loss(targets=labels, log_input=logits, compute_full_loss=compute_full_loss)

    return regression_head(weight_column=weight_column, label_dimension=label_dimension,
                           loss_reduction=loss_reduction, loss_fn=loss_fn, inverse_link_fn=unary_ops.exp, name=name)


def logistic_regression_head(weight_column=None, loss_reduction=Reduction.SUM_OVER_BATCH_SIZE, name=None):
    """Regression of values in [0, 1] with sigmoid cross entropy, predictions sigmoid(logits)
    (`tf.contrib.estimator.logistic_regression_head`); labels outside [0, 1] fail the step."""

    def loss_fn(labels, logits):
        labels = checks.assert_in_unit_interval(labels)
        return nn_impl.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)

    return regression_head(weight_column=weight_column, label_dimension=1, loss_reduction=loss_reduction,
                           loss_fn=loss_fn, inverse_link_fn=unary_ops.sigmoid, name=name)
