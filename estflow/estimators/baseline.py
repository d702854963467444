"""Baseline estimators: a model that ignores the features and learns one bias per logit, so a
classifier learns the label prior and a regressor the label mean (TF1's `canned/baseline.py`).

    classifier = tf.estimator.BaselineClassifier(n_classes=3)
    classifier.train(input_fn=train_input_fn, steps=100)
    classifier.evaluate(input_fn=eval_input_fn)    # the accuracy a model must beat

The variable is TF1's `baseline/bias` of shape `[logits_dimension]`, initialised to zeros and
trained by `optimizer` (default 'Ftrl' at TF1's learning rate 0.3) on the head's SUM-reduced loss.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import control_dependencies
from estflow.core.init_ops import Zeros
from estflow.core.ops import array_ops, cast_ops, comparison_ops, concat_ops, control_flow_ops, fill_ops, math_ops
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.variable_scope import get_variable, variable_scope
from estflow.estimators import head as head_lib
from estflow.estimators.estimator import Estimator
from estflow.feature_columns.numeric import NumericColumn
from estflow.library.losses_impl import Reduction
from estflow.training import training_util
from estflow.training.adagrad import AdagradOptimizer
from estflow.training.adam import AdamOptimizer
from estflow.training.ftrl import FtrlOptimizer
from estflow.training.gradient_descent import GradientDescentOptimizer
from estflow.training.optimizer import Optimizer
from estflow.training.rmsprop import RMSPropOptimizer

_LEARNING_RATE = 0.3

# The canned estimators' optimizer names (TF1's `canned/optimizers.py`).
_OPTIMIZER_CLS_NAMES = {
    "Adagrad": AdagradOptimizer,
    "Adam": AdamOptimizer,
    "Ftrl": FtrlOptimizer,
    "RMSProp": RMSPropOptimizer,
    "SGD": GradientDescentOptimizer,
}


def _get_optimizer_instance(opt, learning_rate) -> Optimizer:
    """An Optimizer from a name (built with `learning_rate`), an instance, or a callable returning one."""
    if isinstance(opt, str):
        if opt not in _OPTIMIZER_CLS_NAMES:
            raise ValueError(f"Unsupported optimizer name: {opt}. Supported names are: "
                             f"{tuple(sorted(_OPTIMIZER_CLS_NAMES))} (or pass a tf.train.Optimizer instance, or a "
                             f"callable returning one).")
        return _OPTIMIZER_CLS_NAMES[opt](learning_rate=learning_rate)
    if callable(opt) and not isinstance(opt, Optimizer):
        opt = opt()
    if not isinstance(opt, Optimizer):
        raise ValueError(f"The given object is not an Optimizer instance. Given: {opt!r}. Pass a name such as "
                         f"'Ftrl', a tf.train.Optimizer, or a callable returning one.")
    return opt


def _weight_column_key(weight_column):
    if weight_column is None or isinstance(weight_column, str):
        return weight_column
    if not isinstance(weight_column, NumericColumn):
        raise TypeError(f"Weight column must be either a string or _NumericColumn. Given type: "
                        f"{type(weight_column)}.")
    return weight_column.key


def _batch_size_and_size_checks(features, weight_column_key):
    """The batch size (first dim of the first feature) and checks that every feature has it."""
    if not isinstance(features, dict):
        features = {"": features}
    size_checks, batch_size = [], None
    for key, feature in features.items():
        if key == weight_column_key:
            continue
        first_dim = feature.dense_shape[0] if isinstance(feature, SparseTensor) else array_ops.shape(feature)[0]
        if batch_size is None:
            batch_size = first_dim
        else:
            size_checks.append(control_flow_ops.Assert(
                comparison_ops.equal(cast_ops.cast(first_dim, dtypes.int32), cast_ops.cast(batch_size, dtypes.int32)),
                [f"Every feature needs the same batch size; feature '{key}' has", first_dim, "rows, the first has",
                 batch_size], name="assert_equal"))
    if batch_size is None:
        raise ValueError("Baseline estimators need at least one feature besides the weight column to know the batch "
                         "size. Suggested Fix: return a features dict with at least one feature from input_fn.")
    return size_checks, batch_size


def baseline_logits(features, num_outputs, weight_column=None):
    """`baseline/bias` broadcast to `[batch_size, num_outputs]`."""
    size_checks, batch_size = _batch_size_and_size_checks(features, _weight_column_key(weight_column))
    with control_dependencies(size_checks):
        with variable_scope("baseline"):
            bias = get_variable("bias", shape=[num_outputs], dtype=dtypes.float32, initializer=Zeros())
            shape = concat_ops.stack([cast_ops.cast(batch_size, dtypes.int32), num_outputs])
            ones = fill_ops.ones(shape, dtypes.float32)
            return math_ops.multiply(bias, ones)


def _baseline_model_fn(features, labels, mode, head, optimizer, weight_column=None):
    logits = baseline_logits(features, head.logits_dimension, weight_column)

    def train_op_fn(loss):
        opt = _get_optimizer_instance(optimizer, learning_rate=_LEARNING_RATE)
        return opt.minimize(loss, global_step=training_util.get_global_step())

    return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                      train_op_fn=train_op_fn)


class BaselineClassifier(Estimator):
    """Predicts the label prior whatever the features, as `tf.estimator.BaselineClassifier` (TF1).

        classifier = tf.estimator.BaselineClassifier(n_classes=3, label_vocabulary=["a", "b", "c"])

    Binary (`n_classes=2`, sigmoid) or multi-class (softmax) head; the loss is reduced by
    `loss_reduction` (TF1's default SUM).
    """

    def __init__(self, model_dir=None, n_classes=2, weight_column=None, label_vocabulary=None, optimizer="Ftrl",
                 config=None, loss_reduction=Reduction.SUM):
        head = head_lib._binary_logistic_or_multi_class_head(n_classes, weight_column,
                                                           label_vocabulary, loss_reduction)

        def _model_fn(features, labels, mode, config):
            del config  # the baseline reads nothing from the RunConfig, as in TF1
            return _baseline_model_fn(features, labels, mode, head, optimizer, weight_column)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)


class BaselineRegressor(Estimator):
    """Predicts the (weighted) label mean whatever the features, as `tf.estimator.BaselineRegressor` (TF1)."""

    def __init__(self, model_dir=None, label_dimension=1, weight_column=None, optimizer="Ftrl", config=None,
                 loss_reduction=Reduction.SUM):
        head = head_lib._regression_head(label_dimension=label_dimension, weight_column=weight_column,
                                         loss_reduction=loss_reduction)

        def _model_fn(features, labels, mode, config):
            del config  # the baseline reads nothing from the RunConfig, as in TF1
            return _baseline_model_fn(features, labels, mode, head, optimizer, weight_column)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)


class BaselineEstimator(Estimator):
    """A baseline (one bias per logit) with any head, as `tf.estimator.BaselineEstimator` (TF1).

        estimator = tf.estimator.BaselineEstimator(head=tf.contrib.estimator.multi_label_head(n_classes=3))
    """

    def __init__(self, head, model_dir=None, optimizer="Ftrl", config=None):
        def _model_fn(features, labels, mode, config):
            del config  # the baseline reads nothing from the RunConfig, as in TF1
            return _baseline_model_fn(features, labels, mode, head, optimizer)

        super().__init__(model_fn=_model_fn, model_dir=model_dir, config=config)
