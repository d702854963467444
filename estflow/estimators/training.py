"""`tf.estimator.train_and_evaluate`, `TrainSpec` and `EvalSpec` (TF1's local mode).

    train_spec = tf.estimator.TrainSpec(train_input_fn, max_steps=1000)
    eval_spec = tf.estimator.EvalSpec(eval_input_fn, steps=None, throttle_secs=60,
                                      exporters=[tf.estimator.LatestExporter("latest", serving_fn)])
    metrics, export_results = tf.estimator.train_and_evaluate(estimator, train_spec, eval_spec)

Local mode, as TF1's `_TrainingExecutor.run_local`: `estimator.train(max_steps=...)` with a
CheckpointSaverListener that evaluates the newest checkpoint after a save once `throttle_secs`
have passed since the last evaluation (never the checkpoint written when the session starts),
and once more at the end if the last step was not evaluated yet. After each evaluation every
exporter is called as `exporter.export(estimator, <model_dir>/export/<exporter.name>,
checkpoint_path, eval_result, is_the_final_export)`. Returns the last evaluation's metrics and
the exporters' results of that evaluation, as TF 1.15 does. The checkpoint frequency is the
RunConfig's (`save_checkpoints_steps` / `save_checkpoints_secs`), so evaluation happens at
most once per checkpoint. A TF_CONFIG describing a cluster (or an evaluator task) raises:
distributed training comes later.
"""

from __future__ import annotations

import collections
import json
import logging
import os

from estflow.estimators.estimator import Estimator
from estflow.hooks.basic_session_run_hooks import CheckpointSaverListener, SecondOrStepTimer
from estflow.hooks.session_run_hook import SessionRunHook

_logger = logging.getLogger("tensorflow")


def _check_input_fn(input_fn) -> None:
    if not callable(input_fn):
        raise TypeError(f"`input_fn` must be callable, given: {input_fn!r}. Pass the function itself, not its "
                        f"result (e.g. input_fn=lambda: make_dataset()).")


def _check_hooks(hooks) -> tuple:
    hooks = tuple(hooks or ())
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"All hooks must be SessionRunHook instances, given: {hook!r}.")
    return hooks


def _check_exporters(exporters) -> tuple:
    """A tuple of exporters (anything with a non-empty unique string `name` and an `export` method)."""
    if exporters is None:
        return ()
    if hasattr(exporters, "export") and hasattr(exporters, "name"):
        exporters = (exporters,)
    try:
        exporters = tuple(exporters)
    except TypeError:
        raise TypeError(f"`exporters` must be an Exporter, an iterable of Exporter, or `None`, found "
                        f"{exporters!r}.") from None
    names = set()
    for exporter in exporters:
        if not (callable(getattr(exporter, "export", None)) and hasattr(exporter, "name")):
            raise TypeError(f"`exporters` must be an Exporter, an iterable of Exporter, or `None`, found "
                            f"{exporter!r} (it needs a `name` and an `export` method, e.g. "
                            f"tf.estimator.LatestExporter).")
        name = exporter.name
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"An Exporter must have a non-empty string name, given {name!r}.")
        if name in names:
            raise ValueError(f"`exporters` must have unique names. Such a name cannot be `None`. {name} already "
                             f"exists.")
        names.add(name)
    return exporters


class TrainSpec(collections.namedtuple("TrainSpec", ["input_fn", "max_steps", "hooks", "saving_listeners"])):
    """The training half of `train_and_evaluate`: input_fn, the total `max_steps` (None: until the input ends),
    hooks, and CheckpointSaverListeners called around each save before the evaluation's (TF 2.x's addition)."""

    __slots__ = ()

    def __new__(cls, input_fn, max_steps=None, hooks=(), saving_listeners=()):
        _check_input_fn(input_fn)
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        saving_listeners = tuple(saving_listeners or ())
        for listener in saving_listeners:
            if not isinstance(listener, CheckpointSaverListener):
                raise TypeError(f"All saving_listeners must be `CheckpointSaverListener` instances, given: "
                                f"{listener!r}")
        return super().__new__(cls, input_fn, max_steps, _check_hooks(hooks), saving_listeners)


class EvalSpec(collections.namedtuple("EvalSpec", ["input_fn", "steps", "name", "hooks", "exporters",
                                                   "start_delay_secs", "throttle_secs"])):
    """The evaluation half of `train_and_evaluate`: input_fn, `steps` batches (None: the whole input), the
    eval directory `name`, hooks, exporters called after each evaluation, and `throttle_secs`, the least
    time between two evaluations (`start_delay_secs` matters only to a distributed evaluator)."""

    __slots__ = ()

    def __new__(cls, input_fn, steps=100, name=None, hooks=None, exporters=None, start_delay_secs=120,
                throttle_secs=600):
        _check_input_fn(input_fn)
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` must be string, given: {name!r}")
        if start_delay_secs < 0:
            raise ValueError(f"Must specify start_delay_secs >= 0, given: {start_delay_secs}")
        if throttle_secs < 0:
            raise ValueError(f"Must specify throttle_secs >= 0, given: {throttle_secs}")
        return super().__new__(cls, input_fn, steps, name, _check_hooks(hooks), _check_exporters(exporters),
                               start_delay_secs, throttle_secs)


def train_and_evaluate(estimator, train_spec, eval_spec):
    """Train `estimator` and evaluate (and export) it after checkpoints; returns (metrics, export_results).

        metrics, exports = tf.estimator.train_and_evaluate(
            estimator, tf.estimator.TrainSpec(train_fn, max_steps=1000), tf.estimator.EvalSpec(eval_fn))
    """
    if not isinstance(estimator, Estimator):
        raise TypeError(f"`estimator` must have type `tf.estimator.Estimator`. Got: {type(estimator)}")
    if not isinstance(train_spec, TrainSpec):
        raise TypeError(f"`train_spec` must have type `tf.estimator.TrainSpec`. Got: {type(train_spec)}")
    if not isinstance(eval_spec, EvalSpec):
        raise TypeError(f"`eval_spec` must have type `tf.estimator.EvalSpec`. Got: {type(eval_spec)}")
    config = estimator.config
    if config.task_type == "evaluator" and config.task_id > 0:
        raise ValueError(f"For distributed training, there can only be one `evaluator` task (with task id 0). "
                         f"Given task id {config.task_id}")
    _refuse_distributed(config)
    return _run_local(estimator, train_spec, eval_spec)


def _refuse_distributed(config) -> None:
    cluster = config.cluster_spec
    if not cluster and config.task_type != "evaluator":
        return
    described = os.environ.get("TF_CONFIG", "")
    try:
        described = json.dumps(json.loads(described))
    except ValueError:
        pass
    raise NotImplementedError(
        f"train_and_evaluate: TF_CONFIG describes a distributed run (task {config.task_type!r} {config.task_id} "
        f"of cluster {cluster.as_dict() if cluster else described}), but distributed training and evaluation are not "
        f"supported yet. Unset TF_CONFIG (or give it no \"cluster\") to train and evaluate in this process.")


class _EvaluateAfterSave(CheckpointSaverListener):
    """Evaluates and exports after a checkpoint save once `throttle_secs` passed, and at the end (TF1's
    _NewCheckpointListenerForEvaluate); keeps the last evaluation's metrics and export results."""

    def __init__(self, estimator, eval_spec, max_steps):
        self._estimator = estimator
        self._eval_spec = eval_spec
        self._max_steps = max_steps
        self._previous_checkpoint = None
        self.eval_result = None
        self.export_results = None

    def begin(self) -> None:
        self._timer = SecondOrStepTimer(every_secs=self._eval_spec.throttle_secs)
        self._is_first_run = True

    def after_save(self, session, global_step_value):
        if self._is_first_run:  # the checkpoint written as the session starts: nothing trained yet
            self._is_first_run = False
            return None
        if self._timer.should_trigger_for_step(global_step_value):
            self._evaluate(global_step_value)
        else:
            _logger.info("Skip the current checkpoint eval due to throttle secs (%s secs).",
                         self._eval_spec.throttle_secs)
        return None

    def end(self, session, global_step_value) -> None:
        if global_step_value != self._timer.last_triggered_step():
            self._evaluate(global_step_value)

    def _evaluate(self, global_step_value) -> None:
        self._timer.update_last_triggered_step(global_step_value)
        checkpoint_path = self._estimator.latest_checkpoint()
        if not checkpoint_path or checkpoint_path == self._previous_checkpoint:
            raise RuntimeError(f"There was no new checkpoint after the training (latest: {checkpoint_path}). A "
                               f"CheckpointSaverHook of the model may save elsewhere than model_dir.")
        spec = self._eval_spec
        metrics = self._estimator.evaluate(input_fn=spec.input_fn, steps=spec.steps, name=spec.name,
                                           checkpoint_path=checkpoint_path, hooks=spec.hooks)
        if not isinstance(metrics, dict) or "global_step" not in metrics:
            raise ValueError(f"Internal error: `Estimator.evaluate` result should have `global_step` in result. "
                             f"Given {metrics}")
        is_the_final_export = bool(self._max_steps) and metrics["global_step"] >= self._max_steps
        export_dir_base = os.path.join(self._estimator.model_dir, "export")
        self.export_results = [
            exporter.export(estimator=self._estimator, export_path=os.path.join(export_dir_base, exporter.name),
                            checkpoint_path=checkpoint_path, eval_result=metrics,
                            is_the_final_export=is_the_final_export)
            for exporter in spec.exporters]
        self.eval_result = metrics
        self._previous_checkpoint = checkpoint_path


def _run_local(estimator, train_spec, eval_spec):
    config = estimator.config
    _logger.info("Start train and evaluate loop. The evaluate will happen after every checkpoint. Checkpoint "
                 "frequency is determined based on RunConfig arguments: save_checkpoints_steps %s or "
                 "save_checkpoints_secs %s.", config.save_checkpoints_steps, config.save_checkpoints_secs)
    listener = _EvaluateAfterSave(estimator, eval_spec, train_spec.max_steps)
    estimator.train(input_fn=train_spec.input_fn, max_steps=train_spec.max_steps, hooks=list(train_spec.hooks),
                    saving_listeners=[*train_spec.saving_listeners, listener])
    return listener.eval_result, listener.export_results
