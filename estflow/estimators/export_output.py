"""`tf.estimator.export.ClassificationOutput`, `RegressionOutput`, `PredictOutput` (and the supervised
`TrainOutput`, `EvalOutput`): what a model_fn offers for serving, one SignatureDef each.

    export_outputs = {
        "serving_default": tf.estimator.export.ClassificationOutput(scores=probs, classes=names),
        "predict": tf.estimator.export.PredictOutput({"probabilities": probs}),
    }
    return tf.estimator.EstimatorSpec(mode, predictions=..., export_outputs=export_outputs)

Each checks its tensors as TF1 does (float scores, string classes, float regression
values) and raises TF's ValueError; `as_signature_def(receiver_tensors)` builds the
signature from the serving input receiver's tensors.
"""

from __future__ import annotations

import abc

from estflow.core import dtypes
from estflow.core.graph import Operation, Tensor, control_dependencies
from estflow.core.ops.constant_op import constant
from estflow.serving import signature_def_utils


class ExportOutput(abc.ABC):
    """One way of serving a model: `as_signature_def(receiver_tensors)` builds its SignatureDef."""

    _SEPARATOR_CHAR = "/"

    @abc.abstractmethod
    def as_signature_def(self, receiver_tensors):
        """The SignatureDef of this output, given the serving input receiver's {name: Tensor}."""
        raise NotImplementedError

    def _check_output_key(self, key, error_label):
        if isinstance(key, tuple):  # multi-head models name outputs by tuples of head names
            key = self._SEPARATOR_CHAR.join(key)
        if not isinstance(key, str):
            raise ValueError(f"{error_label} output key must be a string; got {key}.")
        return key

    def _wrap_and_check_outputs(self, outputs, single_output_default_name, error_label=None):
        if not isinstance(outputs, dict):
            outputs = {single_output_default_name: outputs}
        checked = {}
        for key, value in outputs.items():
            error_name = error_label or single_output_default_name
            key = self._check_output_key(key, error_name)
            if not isinstance(value, Tensor):
                raise ValueError(f"{error_name} output value must be a Tensor; got {value}.")
            checked[key] = value
        return checked


def _single_string_input(receiver_tensors, what):
    if len(receiver_tensors) != 1:
        raise ValueError(f"{what} input must be a single string Tensor; got {receiver_tensors}")
    ((_, examples),) = receiver_tensors.items()
    if not isinstance(examples, Tensor) or dtypes.as_dtype(examples.dtype) != dtypes.string:
        raise ValueError(f"{what} input must be a single string Tensor; got {receiver_tensors}")
    return examples


class ClassificationOutput(ExportOutput):
    """Classification for TF Serving's Classify API: float `scores` and/or string `classes`.

    Its signature needs a single string input (serialized tf.Example protos), as TF1's does.
    """

    def __init__(self, scores=None, classes=None):
        if scores is not None and not (isinstance(scores, Tensor) and scores.dtype.is_floating):
            raise ValueError(f"Classification scores must be a float32 Tensor; got {scores}")
        if classes is not None and not (isinstance(classes, Tensor)
                                        and dtypes.as_dtype(classes.dtype) == dtypes.string):
            raise ValueError(f"Classification classes must be a string Tensor; got {classes}")
        if scores is None and classes is None:
            raise ValueError("At least one of scores and classes must be set.")
        self._scores = scores
        self._classes = classes

    scores = property(lambda self: self._scores)
    classes = property(lambda self: self._classes)

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input(receiver_tensors, "Classification")
        return signature_def_utils.classification_signature_def(examples, self.classes, self.scores)


class RegressionOutput(ExportOutput):
    """Regression for TF Serving's Regress API: one float `value` per example."""

    def __init__(self, value):
        if not (isinstance(value, Tensor) and value.dtype.is_floating):
            raise ValueError(f"Regression output value must be a float32 Tensor; got {value}")
        self._value = value

    value = property(lambda self: self._value)

    def as_signature_def(self, receiver_tensors):
        examples = _single_string_input(receiver_tensors, "Regression")
        return signature_def_utils.regression_signature_def(examples, self.value)


class PredictOutput(ExportOutput):
    """Any named tensors for TF Serving's Predict API; a single Tensor is named `output`."""

    _SINGLE_OUTPUT_DEFAULT_NAME = "output"

    def __init__(self, outputs):
        self._outputs = self._wrap_and_check_outputs(outputs, self._SINGLE_OUTPUT_DEFAULT_NAME,
                                                     error_label="Prediction")

    outputs = property(lambda self: self._outputs)

    def as_signature_def(self, receiver_tensors):
        return signature_def_utils.predict_signature_def(receiver_tensors, self.outputs)


class _SupervisedOutput(ExportOutput):
    """Loss, predictions and metrics of a training or evaluation graph, keys prefixed as TF does
    (`loss`, `predictions/<key>`, `metrics/<name>/value`, `metrics/<name>/update_op`)."""

    LOSS_NAME = "loss"
    PREDICTIONS_NAME = "predictions"
    METRICS_NAME = "metrics"
    METRIC_VALUE_SUFFIX = "value"
    METRIC_UPDATE_SUFFIX = "update_op"

    def __init__(self, loss=None, predictions=None, metrics=None):
        self._loss = self._predictions = self._metrics = None
        if loss is not None:
            self._loss = self._prefix_output_keys(self._wrap_and_check_outputs(loss, self.LOSS_NAME),
                                                  self.LOSS_NAME)
        if predictions is not None:
            self._predictions = self._prefix_output_keys(
                self._wrap_and_check_outputs(predictions, self.PREDICTIONS_NAME), self.PREDICTIONS_NAME)
        if metrics is not None:
            self._metrics = self._wrap_and_check_metrics(metrics)

    def _prefix_output_keys(self, output_dict, output_name):
        return {self._prefix_key(key, output_name): value for key, value in output_dict.items()}

    def _prefix_key(self, key, output_name):
        if key.find(output_name) != 0:
            key = output_name + self._SEPARATOR_CHAR + key
        return key

    def _wrap_and_check_metrics(self, metrics):
        if not isinstance(metrics, dict):
            raise ValueError(f"{self.METRICS_NAME} output value must be a dict; got {metrics}.")
        outputs = {}
        for key, value in metrics.items():
            if not isinstance(value, tuple) or len(value) != 2:
                raise ValueError(f"{key} metric must be a tuple (value, update_op); got {value}.")
            metric_val, metric_op = value
            key = self._prefix_key(self._check_output_key(key, self.METRICS_NAME), self.METRICS_NAME)
            val_name = key + self._SEPARATOR_CHAR + self.METRIC_VALUE_SUFFIX
            op_name = key + self._SEPARATOR_CHAR + self.METRIC_UPDATE_SUFFIX
            if not isinstance(metric_val, Tensor):
                raise ValueError(f"{key} output value must be a Tensor; got {metric_val}.")
            if not isinstance(metric_op, (Tensor, Operation)):
                raise ValueError(f"{key} update_op must be a Tensor or Operation; got {metric_op}.")
            op_tensor = metric_op
            if not isinstance(metric_op, Tensor):  # a SignatureDef holds tensors only: wrap the op as TF does
                with control_dependencies([metric_op]):
                    op_tensor = constant([], name="metric_op_wrapper")
            outputs[val_name] = metric_val
            outputs[op_name] = op_tensor
        return outputs

    loss = property(lambda self: self._loss)
    predictions = property(lambda self: self._predictions)
    metrics = property(lambda self: self._metrics)

    @abc.abstractmethod
    def _get_signature_def_fn(self):
        """The signature_def_utils function of this mode."""

    def as_signature_def(self, receiver_tensors):
        return self._get_signature_def_fn()(receiver_tensors, self.loss, self.predictions, self.metrics)


class TrainOutput(_SupervisedOutput):
    """The training graph's outputs (`tensorflow/supervised/training`)."""

    def _get_signature_def_fn(self):
        return signature_def_utils.supervised_train_signature_def


class EvalOutput(_SupervisedOutput):
    """The evaluation graph's outputs (`tensorflow/supervised/eval`)."""

    def _get_signature_def_fn(self):
        return signature_def_utils.supervised_eval_signature_def
