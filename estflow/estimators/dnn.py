"""`tf.estimator.DNNClassifier`, `DNNRegressor`, `DNNEstimator` (TF 1.x's canned feed-forward networks).

    est = tf.estimator.DNNClassifier(hidden_units=[100, 75, 50, 25], feature_columns=columns, n_classes=2)

Variables are TF1's: `dnn/input_from_feature_columns/input_layer/<column>_embedding/embedding_weights`,
`dnn/hiddenlayer_<i>/kernel` and `/bias` (glorot-uniform kernels), `dnn/hiddenlayer_<i>/batchnorm_<i>/...`
with `batch_norm=True`, and `dnn/logits/kernel` and `/bias`. The default optimizer is
`AdagradOptimizer(0.05)`; `dropout` applies in training only. Each layer records the summaries
`dnn/dnn/hiddenlayer_<i>/fraction_of_zero_values` and `.../activation`, as TF1's.
"""

from __future__ import annotations

from estflow.core.init_ops import glorot_uniform_initializer
from estflow.core.ops import nn_ops
from estflow.core.variable_scope import variable_scope
from estflow.estimators import head as head_lib
from estflow.estimators.estimator import Estimator
from estflow.estimators.linear import check_features, check_partitioner
from estflow.estimators.mode_keys import ModeKeys
from estflow.estimators.optimizers import get_optimizer_instance
from estflow.feature_columns.input_layer import input_layer
from estflow.library import nn_impl
from estflow.library.layers.core import dense
from estflow.library.layers.core import dropout as dropout_layer
from estflow.library.layers.normalization import batch_normalization
from estflow.library.losses_impl import Reduction
from estflow.summary import summary

LEARNING_RATE = 0.05


def add_layer_summary(value, tag) -> None:
    """TF1's per-layer summaries: `<tag>/fraction_of_zero_values` and the histogram `<tag>/activation`."""
    summary.scalar(f"{tag}/fraction_of_zero_values", nn_impl.zero_fraction(value))
    summary.histogram(f"{tag}/activation", value)


def check_hidden_units(hidden_units, what="hidden_units") -> tuple:
    """`hidden_units` as a tuple of positive ints, refusing what TF1 would only fail on later."""
    if hidden_units is None or isinstance(hidden_units, (str, bytes)):
        raise ValueError(f"{what} must be a list of layer widths such as [100, 50], got {hidden_units!r}.")
    try:
        units = tuple(hidden_units)
    except TypeError:
        raise ValueError(f"{what} must be a list of layer widths such as [100, 50], got {hidden_units!r}.") from None
    if not units:
        raise ValueError(f"{what} is empty: a DNN needs at least one hidden layer, e.g. {what}=[64, 32] (for no "
                         f"hidden layer use a LinearClassifier / LinearRegressor).")
    for n in units:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"{what} must hold positive ints (layer widths), got {list(units)}.")
    return units


def check_dropout(dropout, what="dropout") -> None:
    if dropout is not None and not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
        raise ValueError(f"{what} is the probability of dropping a coordinate: None or a number in [0, 1), got "
                         f"{dropout!r}.")


def dnn_logit_fn_builder(units, hidden_units, feature_columns, activation_fn, dropout, input_layer_partitioner,
                         batch_norm):
    """A `logit_fn(features, mode)` giving [batch, units] logits of a feed-forward network (TF1's, experimental).

    Build it inside the variable scope the variables should live in (the canned DNN uses "dnn").
    """
    if not isinstance(units, int) or isinstance(units, bool):
        raise ValueError(f"units must be an int.  Given type: {type(units)}")
    hidden_units = check_hidden_units(hidden_units)
    check_partitioner(input_layer_partitioner, "input_layer_partitioner")
    feature_columns = tuple(feature_columns)

    def dnn_logit_fn(features, mode):
        is_training = mode == ModeKeys.TRAIN
        with variable_scope("input_from_feature_columns", values=tuple(features.values()),
                            partitioner=input_layer_partitioner):
            net = input_layer(features, feature_columns)
        for layer_id, width in enumerate(hidden_units):
            with variable_scope(f"hiddenlayer_{layer_id}", values=(net,)) as hidden_scope:
                net = dense(net, width, activation=activation_fn, kernel_initializer=glorot_uniform_initializer(),
                            name=hidden_scope)
                if dropout is not None and is_training:
                    net = dropout_layer(net, rate=dropout, training=True)
                if batch_norm:
                    # momentum 0.999 as TF1's DNN (the layer default 0.99 "crashes on certain problems")
                    net = batch_normalization(net, momentum=0.999, training=is_training, name=f"batchnorm_{layer_id}")
            add_layer_summary(net, hidden_scope.name)
        with variable_scope("logits", values=(net,)) as logits_scope:
            logits = dense(net, units, activation=None, kernel_initializer=glorot_uniform_initializer(),
                           name=logits_scope)
        add_layer_summary(logits, logits_scope.name)
        return logits

    return dnn_logit_fn


def _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer="Adagrad",
                  activation_fn=nn_ops.relu, dropout=None, input_layer_partitioner=None, config=None,
                  batch_norm=False):
    optimizer = get_optimizer_instance(optimizer, learning_rate=LEARNING_RATE)
    check_features(features)
    with variable_scope("dnn", values=tuple(features.values())):
        logit_fn = dnn_logit_fn_builder(head.logits_dimension, hidden_units, feature_columns, activation_fn,
                                        dropout, input_layer_partitioner, batch_norm)
        logits = logit_fn(features=features, mode=mode)
        return head.create_estimator_spec(features=features, mode=mode, labels=labels, optimizer=optimizer,
                                          logits=logits)


def _check_dnn_args(hidden_units, feature_columns, dropout, activation_fn, input_layer_partitioner):
    check_hidden_units(hidden_units)
    check_dropout(dropout)
    check_partitioner(input_layer_partitioner, "input_layer_partitioner")
    if activation_fn is not None and not callable(activation_fn):
        raise ValueError(f"activation_fn must be a callable such as tf.nn.relu, got {activation_fn!r}.")
    columns = tuple(feature_columns or [])
    if not columns:
        raise ValueError("feature_columns should not be empty: give the DNN at least one dense feature column.")
    return tuple(hidden_units), columns


class DNNClassifier(Estimator):
    """A feed-forward network classifying into `n_classes` classes, TF 1.x's (loss_reduction SUM by default)."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, n_classes=2, weight_column=None,
                 label_vocabulary=None, optimizer="Adagrad", activation_fn=nn_ops.relu, dropout=None,
                 input_layer_partitioner=None, config=None, warm_start_from=None, loss_reduction=Reduction.SUM,
                 batch_norm=False):
        hidden_units, feature_columns = _check_dnn_args(hidden_units, feature_columns, dropout, activation_fn,
                                                        input_layer_partitioner)
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column, label_vocabulary,
                                                             loss_reduction)

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer,
                                 activation_fn, dropout, input_layer_partitioner, config, batch_norm)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class DNNRegressor(Estimator):
    """A feed-forward network predicting `label_dimension` real values, TF 1.x's (loss_reduction SUM)."""

    def __init__(self, hidden_units, feature_columns, model_dir=None, label_dimension=1, weight_column=None,
                 optimizer="Adagrad", activation_fn=nn_ops.relu, dropout=None, input_layer_partitioner=None,
                 config=None, warm_start_from=None, loss_reduction=Reduction.SUM, batch_norm=False):
        hidden_units, feature_columns = _check_dnn_args(hidden_units, feature_columns, dropout, activation_fn,
                                                        input_layer_partitioner)
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer,
                                 activation_fn, dropout, input_layer_partitioner, config, batch_norm)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)


class DNNEstimator(Estimator):
    """A feed-forward network with a user-given head, TF 1.x's."""

    def __init__(self, head, hidden_units, feature_columns, model_dir=None, optimizer="Adagrad",
                 activation_fn=nn_ops.relu, dropout=None, input_layer_partitioner=None, config=None,
                 warm_start_from=None, batch_norm=False):
        hidden_units, feature_columns = _check_dnn_args(hidden_units, feature_columns, dropout, activation_fn,
                                                        input_layer_partitioner)

        def _model_fn(features, labels, mode, config):
            return _dnn_model_fn(features, labels, mode, head, hidden_units, feature_columns, optimizer,
                                 activation_fn, dropout, input_layer_partitioner, config, batch_norm)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config, warm_start_from=warm_start_from)
