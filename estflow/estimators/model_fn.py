"""`tf.estimator.EstimatorSpec`: what a `model_fn` returns, checked per mode (TF1's contract).

    def model_fn(features, labels, mode):
        logits = tf.layers.dense(features["x"], 1)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={"y": logits})
        loss = tf.losses.mean_squared_error(labels, logits)
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(
            loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

TRAIN needs `loss` and `train_op`, EVAL needs `loss`, PREDICT needs `predictions`; every
tensor must live in the default graph (the graph the Estimator built for this call). A loss
of shape [1] is reshaped to a scalar, as TF1 does. `export_outputs` is kept as given (the
SavedModel issue checks and defaults it).
"""

from __future__ import annotations

import collections

from estflow.core.graph import Operation, Tensor, get_default_graph
from estflow.core.ops.array_ops import reshape
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.variables import Variable
from estflow.estimators.mode_keys import ModeKeys
from estflow.hooks.monitored_session import Scaffold
from estflow.hooks.session_run_hook import SessionRunHook

_MODES = (ModeKeys.TRAIN, ModeKeys.EVAL, ModeKeys.PREDICT)
_HOW = "Build one with EstimatorSpec(mode, predictions=..., loss=..., train_op=...)."


def _as_tensor(value, what):
    if isinstance(value, Variable):
        return convert_to_tensor(value)
    if not isinstance(value, Tensor):
        raise TypeError(f"EstimatorSpec {what} must be a Tensor, got {type(value).__name__} {value!r}. "
                        f"Pass the Tensor your model_fn computed.")
    return value


def _check_graph(tensor, what) -> None:
    graph = tensor.graph
    if graph is not get_default_graph():
        raise ValueError(f"EstimatorSpec {what} ({tensor.name}) must be from the default graph, the one the "
                         f"Estimator builds for this call. Create it inside model_fn, not before.")


def _validate_loss(loss, mode):
    loss = _as_tensor(loss, "loss")
    _check_graph(loss, "loss")
    shape = loss.get_shape()
    if shape.ndims is not None:
        if shape.ndims == 1 and shape.as_list() == [1]:
            loss = reshape(loss, [])
        elif shape.ndims != 0:
            raise ValueError(f"EstimatorSpec loss must be a scalar, got shape {shape} in mode {mode!r}. "
                             f"Reduce it first, e.g. loss=tf.reduce_mean(per_example_loss).")
    return loss


def _validate_predictions(predictions):
    if isinstance(predictions, dict):
        out = {}
        for key, value in predictions.items():
            # tf.estimator.MultiHead keys its predictions by (head_name, prediction_key), as TF does.
            if not (isinstance(key, str) or (isinstance(key, tuple) and all(isinstance(k, str) for k in key))):
                raise TypeError(f"EstimatorSpec predictions keys must be strings (or tuples of strings), got {key!r}.")
            out[key] = _as_tensor(value, f"predictions[{key!r}]")
            _check_graph(out[key], f"predictions[{key!r}]")
        return out
    tensor = _as_tensor(predictions, "predictions (a Tensor or a dict of Tensors)")
    _check_graph(tensor, "predictions")
    return tensor


def _validate_train_op(train_op):
    if isinstance(train_op, Tensor):
        _check_graph(train_op, "train_op")
        return train_op
    if isinstance(train_op, Operation):
        if train_op.graph is not get_default_graph():
            raise ValueError(f"EstimatorSpec train_op ({train_op.name}) must be from the default graph, the one "
                             f"the Estimator builds for this call. Create it inside model_fn, not before.")
        return train_op
    raise TypeError(f"EstimatorSpec train_op must be an Operation or a Tensor, got {type(train_op).__name__}. "
                    f"Pass e.g. optimizer.minimize(loss, global_step=tf.train.get_global_step()).")


def _validate_eval_metric_ops(eval_metric_ops):
    if not isinstance(eval_metric_ops, dict):
        raise TypeError(f"EstimatorSpec eval_metric_ops must be a dict of name -> (value_op, update_op), got "
                        f"{type(eval_metric_ops).__name__}. Pass e.g. {{'accuracy': tf.metrics.accuracy(...)}}.")
    for key, metric in eval_metric_ops.items():
        if not isinstance(key, str):
            raise TypeError(f"EstimatorSpec eval_metric_ops keys must be strings, got {key!r}.")
        if not isinstance(metric, (tuple, list)) or len(metric) != 2:
            raise TypeError(f"EstimatorSpec eval_metric_ops[{key!r}] must be a tuple (value_op, update_op) as "
                            f"tf.metrics.* return, got {metric!r}.")
        value, update = metric
        value = _as_tensor(value, f"eval_metric_ops[{key!r}] value")
        _check_graph(value, f"eval_metric_ops[{key!r}] value")
        if not isinstance(update, (Tensor, Operation)):
            raise TypeError(f"EstimatorSpec eval_metric_ops[{key!r}] update_op must be a Tensor or an "
                            f"Operation, got {type(update).__name__}.")
    return dict(eval_metric_ops)


def _validate_hooks(hooks, what):
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"EstimatorSpec {what} must be SessionRunHook instances, got "
                            f"{type(hook).__name__} {hook!r}. Subclass tf.train.SessionRunHook.")
    return hooks


class EstimatorSpec(collections.namedtuple("EstimatorSpec", [
        "mode", "predictions", "loss", "train_op", "eval_metric_ops", "export_outputs", "training_chief_hooks",
        "training_hooks", "scaffold", "evaluation_hooks", "prediction_hooks"])):
    """The ops and objects a `model_fn` returns for one mode; checked when built."""

    __slots__ = ()

    def __new__(cls, mode, predictions=None, loss=None, train_op=None, eval_metric_ops=None, export_outputs=None,
                training_chief_hooks=None, training_hooks=None, scaffold=None, evaluation_hooks=None,
                prediction_hooks=None):
        if mode not in _MODES:
            raise ValueError(f"EstimatorSpec mode must be one of ModeKeys.TRAIN, EVAL, PREDICT "
                             f"({list(_MODES)}), got {mode!r}. Pass the mode model_fn was called with.")
        if mode == ModeKeys.TRAIN and train_op is None:
            raise ValueError("EstimatorSpec in mode 'train' needs a train_op. Pass "
                             "train_op=optimizer.minimize(loss, global_step=tf.train.get_global_step()).")
        if mode in (ModeKeys.TRAIN, ModeKeys.EVAL) and loss is None:
            raise ValueError(f"EstimatorSpec in mode {mode!r} needs a loss. Pass loss=<a scalar Tensor>.")
        if mode == ModeKeys.PREDICT and predictions is None:
            raise ValueError("EstimatorSpec in mode 'infer' (PREDICT) needs predictions. Pass "
                             "predictions=<a Tensor or a dict of Tensors>.")
        if loss is not None:
            loss = _validate_loss(loss, mode)
        predictions = {} if predictions is None else _validate_predictions(predictions)
        if train_op is not None:
            train_op = _validate_train_op(train_op)
        eval_metric_ops = {} if eval_metric_ops is None else _validate_eval_metric_ops(eval_metric_ops)
        if export_outputs is not None and not isinstance(export_outputs, dict):
            raise TypeError(f"EstimatorSpec export_outputs must be a dict of name -> ExportOutput, got "
                            f"{type(export_outputs).__name__}.")
        if scaffold is None:
            scaffold = Scaffold()
        elif not isinstance(scaffold, Scaffold):
            raise TypeError(f"EstimatorSpec scaffold must be a tf.train.Scaffold, got {type(scaffold).__name__}.")
        return super().__new__(
            cls, mode, predictions, loss, train_op, eval_metric_ops, export_outputs,
            _validate_hooks(training_chief_hooks, "training_chief_hooks"),
            _validate_hooks(training_hooks, "training_hooks"), scaffold,
            _validate_hooks(evaluation_hooks, "evaluation_hooks"),
            _validate_hooks(prediction_hooks, "prediction_hooks"))

    def _replace(self, **kwargs):
        values = self._asdict()
        values.update(kwargs)
        return EstimatorSpec(**values)


def check_spec(spec, mode) -> EstimatorSpec:
    """The EstimatorSpec a model_fn returned, or TypeError/ValueError saying what to return instead."""
    if not isinstance(spec, EstimatorSpec):
        raise TypeError(f"model_fn must return an EstimatorSpec, got {type(spec).__name__}. {_HOW}")
    if spec.mode != mode:
        raise ValueError(f"model_fn was called in mode {mode!r} but returned an EstimatorSpec for mode "
                         f"{spec.mode!r}. Pass the mode argument through: EstimatorSpec(mode, ...).")
    return spec
