"""`tf.estimator.LinearClassifier`, `LinearRegressor`, `LinearEstimator` (TF 1.x's canned linear models).

    age = tf.feature_column.numeric_column("age")
    occupation = tf.feature_column.categorical_column_with_hash_bucket("occupation", 1000)
    est = tf.estimator.LinearClassifier([age, occupation], n_classes=2)
    est.train(train_input_fn, steps=1000)

The logits are `tf.feature_column.linear_model` under variable scope `linear`, so the
variables are TF1's: `linear/linear_model/<column>/weights` and `linear/linear_model/bias_weights`.
The default optimizer is TF1's: `optimizer="Ftrl"` builds `FtrlOptimizer(0.2)`; `optimizer=None`
builds `FtrlOptimizer(min(0.2, 1 / sqrt(len(feature_columns))))`.
"""

from __future__ import annotations

import math

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.ops import array_ops, cast_ops, math_ops
from estflow.core.variable_scope import variable_scope
from estflow.estimators import head as head_lib
from estflow.estimators.estimator import Estimator
from estflow.estimators.optimizers import get_optimizer_instance
from estflow.feature_columns.linear_model import linear_model
from estflow.library import nn_impl
from estflow.library.losses_impl import Reduction
from estflow.summary import summary
from estflow.training.ftrl import FtrlOptimizer

LEARNING_RATE = 0.2


def default_linear_learning_rate(num_feature_columns, cap=LEARNING_RATE) -> float:
    """TF1's default linear learning rate: min(cap, 1 / sqrt(number of feature columns))."""
    return min(cap, 1.0 / math.sqrt(max(num_feature_columns, 1)))


def _default_optimizer(feature_columns) -> FtrlOptimizer:
    return FtrlOptimizer(learning_rate=default_linear_learning_rate(len(feature_columns)))


def fraction_of_zero(variables) -> Tensor:
    """The fraction of zeros over all elements of `variables` (a scalar float32)."""
    zeros, total = [], []
    for variable in variables:
        size = variable.shape.num_elements()
        zeros.append(math_ops.multiply(nn_impl.zero_fraction(variable), float(size)))
        total.append(size)
    if not total or sum(total) == 0:
        return cast_ops.cast(0.0, dtypes.float32)
    return math_ops.truediv(math_ops.add_n(zeros), float(sum(total)))


def check_features(features) -> None:
    """The canned estimators take a dict of features, as TF1's."""
    if not isinstance(features, dict):
        raise ValueError(f"features should be a dictionary of `Tensor`s. Given type: {type(features)}. Return "
                         f"(dict of features, labels) from the input_fn.")


def check_partitioner(partitioner, what="partitioner") -> None:
    if partitioner is not None and not callable(partitioner):
        raise ValueError(f"{what} must be callable (a tf.variable_axis_size_partitioner-like function) or None, "
                         f"got {partitioner!r}.")


def linear_logit_fn_builder(units, feature_columns, sparse_combiner="sum"):
    """A `logit_fn(features)` giving [batch, units] logits of a linear model (TF1's, experimental).

    The model is `linear_model` in scope `linear_model`; the logit_fn also records the
    scalar summaries `bias` (or a histogram when units > 1) and `fraction_of_zero_weights`.
    """
    if not isinstance(units, int) or isinstance(units, bool):
        raise ValueError(f"units must be an int. Given type: {type(units)}")
    feature_columns = tuple(feature_columns)

    def linear_logit_fn(features):
        cols_to_vars: dict = {}
        logits = linear_model(features, feature_columns, units=units, sparse_combiner=sparse_combiner,
                              cols_to_vars=cols_to_vars)
        bias = cols_to_vars.pop("bias")
        variables = [v for column_vars in cols_to_vars.values() for v in column_vars]
        if units > 1:
            summary.histogram("bias", bias[0])
        else:
            summary.scalar("bias", array_ops.reshape(bias[0], []))
        summary.scalar("fraction_of_zero_weights", fraction_of_zero(variables))
        return logits

    return linear_logit_fn


def _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner, config,
                     sparse_combiner="sum"):
    check_features(features)
    check_partitioner(partitioner)
    with variable_scope("linear", values=tuple(features.values()), partitioner=partitioner):
        logit_fn = linear_logit_fn_builder(head.logits_dimension, feature_columns, sparse_combiner)
        logits = logit_fn(features=features)
        optimizer = get_optimizer_instance(optimizer or _default_optimizer(feature_columns),
                                           learning_rate=LEARNING_RATE)
        return head.create_estimator_spec(features=features, mode=mode, labels=labels, optimizer=optimizer,
                                          logits=logits)


def _check_columns(feature_columns, what="feature_columns") -> tuple:
    columns = tuple(feature_columns or [])
    if not columns:
        raise ValueError(f"{what} should not be empty: give the estimator at least one feature column.")
    return columns


def _check_sparse_combiner(sparse_combiner, what="sparse_combiner") -> None:
    if sparse_combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"{what} must be one of 'mean', 'sqrtn' or 'sum'. Given: {sparse_combiner!r}")


class LinearClassifier(Estimator):
    """A linear model classifying examples into `n_classes` classes (binary when 2), TF 1.x's.

    `loss_reduction` defaults to SUM (TF1's canned default): the loss is summed over the batch.
    `label_vocabulary` maps string labels to class ids; `weight_column` names a feature (or is a
    numeric column) that weights each example's loss. `partitioner` is accepted as TF1's; estflow
    does not split variables, so a partitioner asking for more than one shard is refused.
    """

    def __init__(self, feature_columns, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None,
                 optimizer="Ftrl", config=None, partitioner=None, warm_start_from=None,
                 loss_reduction=Reduction.SUM, sparse_combiner="sum"):
        feature_columns = _check_columns(feature_columns)
        _check_sparse_combiner(sparse_combiner)
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner, config,
                                    sparse_combiner)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class LinearRegressor(Estimator):
    """A linear model predicting `label_dimension` real values, TF 1.x's (loss_reduction SUM by default)."""

    def __init__(self, feature_columns, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl",
                 config=None, partitioner=None, warm_start_from=None, loss_reduction=Reduction.SUM,
                 sparse_combiner="sum"):
        feature_columns = _check_columns(feature_columns)
        _check_sparse_combiner(sparse_combiner)
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner, config,
                                    sparse_combiner)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class LinearEstimator(Estimator):
    """A linear model with a user-given head (e.g. `tf.contrib.estimator.multi_label_head(3)`), TF 1.x's."""

    def __init__(self, head, feature_columns, model_dir=None, optimizer="Ftrl", config=None, partitioner=None,
                 sparse_combiner="sum", warm_start_from=None):
        feature_columns = _check_columns(feature_columns)
        _check_sparse_combiner(sparse_combiner)

        def _model_fn(features, labels, mode, config):
            return _linear_model_fn(features, labels, mode, head, feature_columns, optimizer, partitioner, config,
                                    sparse_combiner)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)
