"""`tf.estimator.DNNLinearCombinedClassifier` / `Regressor` / `Estimator`: wide & deep (TF 1.x's).

    est = tf.estimator.DNNLinearCombinedClassifier(
        linear_feature_columns=[education, occupation, education_x_occupation],   # the wide part
        dnn_feature_columns=[age, tf.feature_column.embedding_column(occupation, 8)],  # the deep part
        dnn_hidden_units=[100, 50])

The logits are the sum of a linear model (scope `linear`, TF1's `linear/linear_model/...`
variables) and a DNN (scope `dnn`). Each part trains its own variables with its own
optimizer: by default `FtrlOptimizer(min(0.005, 1 / sqrt(len(linear_feature_columns))))` and
`AdagradOptimizer(0.001)`, TF1's wide & deep learning rates (lower than the single models').
One backward pass computes the gradients of both parts.
"""

from __future__ import annotations

from estflow.core.gradients import gradients
from estflow.core.graph import GraphKeys, control_dependencies, get_collection
from estflow.core.ops import nn_ops
from estflow.core.ops.control_flow_ops import group
from estflow.core.variable_scope import variable_scope
from estflow.core.variables import assign_add
from estflow.estimators import head as head_lib
from estflow.estimators.dnn import add_layer_summary, check_dropout, check_hidden_units, dnn_logit_fn_builder
from estflow.estimators.estimator import Estimator
from estflow.estimators.linear import (
    check_features,
    check_partitioner,
    default_linear_learning_rate,
    linear_logit_fn_builder,
)
from estflow.estimators.optimizers import get_optimizer_instance
from estflow.library.losses_impl import Reduction
from estflow.training import training_util

DNN_LEARNING_RATE = 0.001
LINEAR_LEARNING_RATE = 0.005


def _dnn_linear_combined_model_fn(features, labels, mode, head, linear_feature_columns=None,
                                  linear_optimizer="Ftrl", dnn_feature_columns=None, dnn_optimizer="Adagrad",
                                  dnn_hidden_units=None, dnn_activation_fn=nn_ops.relu, dnn_dropout=None,
                                  input_layer_partitioner=None, config=None, batch_norm=False,
                                  linear_sparse_combiner="sum"):
    check_features(features)
    if not linear_feature_columns and not dnn_feature_columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    dnn_logits = linear_logits = None
    if dnn_feature_columns:
        dnn_optimizer = get_optimizer_instance(dnn_optimizer, learning_rate=DNN_LEARNING_RATE)
        if not dnn_hidden_units:
            raise ValueError("dnn_hidden_units must be defined when dnn_feature_columns is specified, e.g. "
                             "dnn_hidden_units=[100, 50].")
        with variable_scope("dnn", values=tuple(features.values())) as scope:
            dnn_scope = scope.name
            logit_fn = dnn_logit_fn_builder(head.logits_dimension, dnn_hidden_units, dnn_feature_columns,
                                            dnn_activation_fn, dnn_dropout, input_layer_partitioner, batch_norm)
            dnn_logits = logit_fn(features=features, mode=mode)
    if linear_feature_columns:
        linear_optimizer = get_optimizer_instance(
            linear_optimizer, learning_rate=default_linear_learning_rate(len(linear_feature_columns),
                                                                         LINEAR_LEARNING_RATE))
        with variable_scope("linear", values=tuple(features.values()), partitioner=input_layer_partitioner) as scope:
            linear_scope = scope.name
            logit_fn = linear_logit_fn_builder(head.logits_dimension, linear_feature_columns,
                                               linear_sparse_combiner)
            linear_logits = logit_fn(features=features)
            add_layer_summary(linear_logits, scope.name)
    if dnn_logits is not None and linear_logits is not None:
        logits = dnn_logits + linear_logits
    else:
        logits = dnn_logits if dnn_logits is not None else linear_logits

    def _train_op_fn(loss):
        parts = []
        if dnn_logits is not None:
            parts.append((dnn_optimizer, get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=dnn_scope)))
        if linear_logits is not None:
            parts.append((linear_optimizer, get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=linear_scope)))
        # One gradient pass over both parts' variables (TF1 runs one per optimizer; the values are the same).
        all_vars = [v for _, variables in parts for v in variables]
        grads = iter(gradients(loss, [v._ref() for v in all_vars]))
        train_ops = []
        for optimizer, variables in parts:
            grads_and_vars = [(next(grads), v) for v in variables]
            train_ops.append(optimizer.apply_gradients([(g, v) for g, v in grads_and_vars if g is not None]))
        with control_dependencies([group(*train_ops)]):
            return assign_add(training_util.get_global_step(), 1).op

    return head.create_estimator_spec(features=features, mode=mode, labels=labels, train_op_fn=_train_op_fn,
                                      logits=logits)


def _validate_feature_columns(linear_feature_columns, dnn_feature_columns) -> list:
    columns = list(linear_feature_columns or []) + list(dnn_feature_columns or [])
    if not columns:
        raise ValueError("Either linear_feature_columns or dnn_feature_columns must be defined.")
    return columns


def _check_args(linear_feature_columns, dnn_feature_columns, dnn_hidden_units, dnn_dropout,
                input_layer_partitioner, linear_sparse_combiner):
    _validate_feature_columns(linear_feature_columns, dnn_feature_columns)
    if dnn_feature_columns:
        check_hidden_units(dnn_hidden_units, "dnn_hidden_units")
    check_dropout(dnn_dropout, "dnn_dropout")
    check_partitioner(input_layer_partitioner, "input_layer_partitioner")
    if linear_sparse_combiner not in ("mean", "sqrtn", "sum"):
        raise ValueError(f"linear_sparse_combiner must be one of 'mean', 'sqrtn' or 'sum'. Given: "
                         f"{linear_sparse_combiner!r}")
    return (tuple(linear_feature_columns or ()), tuple(dnn_feature_columns or ()),
            tuple(dnn_hidden_units) if dnn_hidden_units is not None else None)


def _model_fn_for(head, linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                  dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner, batch_norm,
                  linear_sparse_combiner):
    linear_feature_columns, dnn_feature_columns, dnn_hidden_units = _check_args(
        linear_feature_columns, dnn_feature_columns, dnn_hidden_units, dnn_dropout, input_layer_partitioner,
        linear_sparse_combiner)

    def _model_fn(features, labels, mode, config):
        return _dnn_linear_combined_model_fn(
            features, labels, mode, head, linear_feature_columns=linear_feature_columns,
            linear_optimizer=linear_optimizer, dnn_feature_columns=dnn_feature_columns, dnn_optimizer=dnn_optimizer,
            dnn_hidden_units=dnn_hidden_units, dnn_activation_fn=dnn_activation_fn, dnn_dropout=dnn_dropout,
            input_layer_partitioner=input_layer_partitioner, config=config, batch_norm=batch_norm,
            linear_sparse_combiner=linear_sparse_combiner)

    return _model_fn


class DNNLinearCombinedClassifier(Estimator):
    """Wide & deep classifier (`n_classes` classes), TF 1.x's (loss_reduction SUM by default)."""

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=nn_ops.relu, dnn_dropout=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, input_layer_partitioner=None, config=None, warm_start_from=None,
                 loss_reduction=Reduction.SUM, batch_norm=False, linear_sparse_combiner="sum"):
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)
        model_fn = _model_fn_for(head, linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                                 dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner,
                                 batch_norm, linear_sparse_combiner)
        super().__init__(model_fn=model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class DNNLinearCombinedRegressor(Estimator):
    """Wide & deep regressor (`label_dimension` values), TF 1.x's (loss_reduction SUM by default)."""

    def __init__(self, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=nn_ops.relu, dnn_dropout=None, label_dimension=1, weight_column=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None, loss_reduction=Reduction.SUM,
                 batch_norm=False, linear_sparse_combiner="sum"):
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)
        model_fn = _model_fn_for(head, linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                                 dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner,
                                 batch_norm, linear_sparse_combiner)
        super().__init__(model_fn=model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class DNNLinearCombinedEstimator(Estimator):
    """Wide & deep with a user-given head, TF 1.x's."""

    def __init__(self, head, model_dir=None, linear_feature_columns=None, linear_optimizer="Ftrl",
                 dnn_feature_columns=None, dnn_optimizer="Adagrad", dnn_hidden_units=None,
                 dnn_activation_fn=nn_ops.relu, dnn_dropout=None, input_layer_partitioner=None, config=None,
                 batch_norm=False, linear_sparse_combiner="sum", warm_start_from=None):
        model_fn = _model_fn_for(head, linear_feature_columns, linear_optimizer, dnn_feature_columns, dnn_optimizer,
                                 dnn_hidden_units, dnn_activation_fn, dnn_dropout, input_layer_partitioner,
                                 batch_norm, linear_sparse_combiner)
        super().__init__(model_fn=model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)
