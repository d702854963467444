"""Multi-objective learning: several named heads on one model, each with its labels and its slice
of the logits (`tf.estimator.MultiHead`, `tf.contrib.estimator.multi_head`).

    head = tf.estimator.MultiHead([tf.estimator.MultiLabelHead(3, name="tags"),
                                   tf.estimator.MultiClassHead(4, name="topic")], head_weights=[1.0, 0.5])
    # logits: {"tags": [batch, 3], "topic": [batch, 4]} or one [batch, 7] Tensor split in head order;
    # labels: {"tags": ..., "topic": ...}

The loss is the (head-weighted) sum of the heads' training losses; predictions are keyed by
`(head_name, prediction_key)`; metrics are every head's (suffixed by its name) and `loss/<name>`;
export outputs are the first head's default serving output, every head's outputs as
`<name>` / `<name>/<key>`, and `predict` holding every prediction as `<name>/<key>`.
"""

from __future__ import annotations

from estflow.core.graph import GraphKeys, get_collection, name_scope
from estflow.core.ops import array_ops, concat_ops, control_flow_ops, fill_ops, math_ops, slicing_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.estimators import export_output, head_metrics
from estflow.estimators import head as head_lib
from estflow.estimators import head_checks as checks
from estflow.estimators.head_v2 import Head, v2_train_op
from estflow.estimators.metric_keys import MetricKeys
from estflow.estimators.mode_keys import ModeKeys
from estflow.estimators.model_fn import EstimatorSpec
from estflow.summary import summary as summary_lib


def _no_op_train_fn(loss):
    del loss  # each head's own train_op is not used: the merged loss is minimized once
    return control_flow_ops.no_op()


def _default_export_output(export_outputs, head_name):
    if len(export_outputs) == 1:
        return next(iter(export_outputs.values()))
    if head_lib.DEFAULT_SERVING_KEY not in export_outputs:
        raise ValueError(f"{head_name} did not specify default export_outputs. Given: {export_outputs} Suggested fix: "
                         f"Use one of the heads in tf.estimator, or include key {head_lib.DEFAULT_SERVING_KEY} in "
                         f"export_outputs.")
    return export_outputs[head_lib.DEFAULT_SERVING_KEY]


class MultiHead(Head):
    """Several named heads trained together, as `tf.estimator.MultiHead(heads, head_weights=None)`."""

    def __init__(self, heads, head_weights=None):
        if not heads:
            raise ValueError(f"Must specify heads. Given: {heads}")
        if head_weights and len(head_weights) != len(heads):
            raise ValueError(f"heads and head_weights must have the same size. Given len(heads): {len(heads)}. "
                             f"Given len(head_weights): {len(head_weights)}.")
        for head in heads:
            if head.name is None:
                raise ValueError(f"All given heads must have name specified. Given: {head}. Suggested Fix: pass "
                                 f"name='...' to each head.")
        self._heads = tuple(heads)
        self._head_weights = tuple(head_weights) if head_weights else ()
        super().__init__(name=None)

    @property
    def name(self):
        return "_".join(head.name for head in self._heads)

    @property
    def logits_dimension(self) -> int:
        return sum(head.logits_dimension for head in self._heads)

    @property
    def loss_reduction(self):
        reductions = [head._loss_reduction for head in self._heads]
        if len(set(reductions)) > 1:
            raise ValueError(f"The loss_reduction must be the same for different heads. Given: {reductions}")
        return reductions[0]

    def _split_logits(self, logits):
        with name_scope(None, "split_logits", [logits]):
            logits = convert_to_tensor(logits)
            dims = [head.logits_dimension for head in self._heads]
            last = logits.shape.as_tuple()[-1] if logits.shape.ndims is not None else None
            if last is not None and last != sum(dims):
                raise ValueError(f"Could not split logits of shape {logits.shape.as_list()} among the heads with "
                                 f"individual logits dimensions: {dims}. The last dimension of the logits tensor "
                                 f"should equal {sum(dims)} but is {last}.")
            batch_shape = array_ops.shape(logits)[:-1]
            zeros = fill_ops.zeros_like(batch_shape)
            minus_ones = -1 * fill_ops.ones_like(batch_shape)
            logits_dict, begin = {}, 0
            for head in self._heads:
                logits_dict[head.name] = slicing_ops.slice(
                    logits, concat_ops.concat([zeros, [begin]], axis=0),
                    concat_ops.concat([minus_ones, [head.logits_dimension]], axis=0))
                begin += head.logits_dimension
            return logits_dict

    def _check_logits_and_labels(self, logits, labels=None):
        names = [head.name for head in self._heads]
        if isinstance(logits, dict):
            missing = sorted(set(names) - set(logits))
            if missing:
                raise ValueError(f"logits has missing values for head(s): {missing}")
            logits_dict = logits
        else:
            logits_dict = self._split_logits(logits)
        if labels is not None:
            if not isinstance(labels, dict):
                raise ValueError(f"labels must be a dict. Given: {labels}. Suggested Fix: return labels as "
                                 f"{{head_name: labels}} from input_fn, one entry per head {names}.")
            missing = sorted(set(names) - set(labels))
            if missing:
                raise ValueError(f"labels has missing values for head(s): {missing}")
        return logits_dict

    def _merged_loss(self, head_losses, regularization_losses):
        with name_scope(None, "merge_losses"):
            if self._head_weights:
                head_losses = [math_ops.multiply(loss, weight) for loss, weight in zip(head_losses,
                                                                                        self._head_weights)]
            loss = math_ops.add_n(list(head_losses))
            if regularization_losses:
                loss = math_ops.add_n([loss, *regularization_losses])
            return loss

    def loss(self, labels, logits, features=None, mode=None, regularization_losses=None):
        """The head-weighted sum of the heads' training losses plus `regularization_losses`."""
        logits_dict = self._check_logits_and_labels(logits, labels)
        losses = [head.create_loss(features=features or {}, mode=mode, logits=logits_dict[head.name],
                                   labels=labels[head.name]).training_loss for head in self._heads]
        return self._merged_loss(losses, regularization_losses)

    def predictions(self, logits, keys=None):
        """Every head's predictions, keyed by `(head_name, key)` (`keys` filters each head's)."""
        logits_dict = self._check_logits_and_labels(logits)
        predictions = {}
        with name_scope(None, "merge_pred"):
            for head in self._heads:
                logits = checks.check_logits_final_dim(logits_dict[head.name], head.logits_dimension)
                with name_scope(None, "predictions", [logits]):
                    head_predictions = head._predictions(logits)
                for key, value in head_predictions.items():
                    if not keys or key in keys:
                        predictions[(head.name, key)] = value
        return predictions

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, trainable_variables=None,
                              train_op_fn=None, update_ops=None, regularization_losses=None):
        """The merged `EstimatorSpec` (TF's v2 signature; see `Head.create_estimator_spec`)."""
        with name_scope(self.name, "multi_head"):
            logits_dict = self._check_logits_and_labels(logits, labels)
            specs = [head._estimator_spec(features, mode, logits_dict[head.name], labels[head.name] if labels else None,
                                          _no_op_train_fn, None, average_loss_summary=True)
                     for head in self._heads]
            predictions = {(head.name, key): value for head, spec in zip(self._heads, specs)
                           for key, value in spec.predictions.items()}
            if mode == ModeKeys.PREDICT:
                return EstimatorSpec(mode=ModeKeys.PREDICT, predictions=predictions,
                                     export_outputs=self._merge_export_outputs(specs))
            loss = self._merged_loss([spec.loss for spec in specs], regularization_losses)
            if mode == ModeKeys.EVAL:
                metric_ops = {}
                with name_scope(None, "merge_eval"):
                    for head, spec in zip(self._heads, specs):
                        metric_ops.update(spec.eval_metric_ops)
                        key = f"{MetricKeys.LOSS}/{head.name}"
                        metric_ops[key] = head_metrics.mean(spec.loss, name=key)
                    if regularization_losses:
                        metric_ops[MetricKeys.LOSS_REGULARIZATION] = head_metrics.mean(
                            math_ops.add_n(list(regularization_losses)), name=MetricKeys.LOSS_REGULARIZATION)
                return EstimatorSpec(mode=ModeKeys.EVAL, predictions=predictions, loss=loss,
                                     eval_metric_ops=metric_ops)
            train_op = v2_train_op(loss, optimizer, trainable_variables, train_op_fn, update_ops)
        summary_lib.scalar(MetricKeys.LOSS, loss)
        if regularization_losses:
            summary_lib.scalar(MetricKeys.LOSS_REGULARIZATION, math_ops.add_n(list(regularization_losses)))
        return EstimatorSpec(mode=ModeKeys.TRAIN, predictions=predictions, loss=loss, train_op=train_op)

    def _merge_export_outputs(self, specs):
        export_outputs = {head_lib.DEFAULT_SERVING_KEY: _default_export_output(specs[0].export_outputs,
                                                                               self._heads[0].name)}
        merged_predict = {}
        for head, spec in zip(self._heads, specs):
            for key, value in spec.export_outputs.items():
                name = head.name if key == head_lib.DEFAULT_SERVING_KEY else f"{head.name}/{key}"
                export_outputs[name] = value
                if key == head_lib.PREDICT_SERVING_KEY and isinstance(value, export_output.PredictOutput):
                    for output_key, tensor in value.outputs.items():
                        merged_predict[f"{head.name}/{output_key}"] = tensor
        export_outputs[head_lib.PREDICT_SERVING_KEY] = export_output.PredictOutput(merged_predict)
        return export_outputs


class _MultiHeadV1(MultiHead):
    """`tf.contrib.estimator.multi_head`'s head: TF1's `create_estimator_spec` signature."""

    def create_estimator_spec(self, features, mode, logits, labels=None, optimizer=None, train_op_fn=None,
                              regularization_losses=None):
        """The merged `EstimatorSpec` (TF1's signature); UPDATE_OPS run with the train_op."""
        update_ops = get_collection(GraphKeys.UPDATE_OPS) or None
        return super().create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                             optimizer=optimizer, train_op_fn=train_op_fn, update_ops=update_ops,
                                             regularization_losses=regularization_losses)


def multi_head(heads, head_weights=None):
    """Several named heads trained together, as `tf.contrib.estimator.multi_head`.

        head = tf.contrib.estimator.multi_head([
            tf.contrib.estimator.multi_label_head(n_classes=3, name="tags"),
            tf.contrib.estimator.multi_class_head(n_classes=4, name="topic")])
    """
    return _MultiHeadV1(heads, head_weights=head_weights)
