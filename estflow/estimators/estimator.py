"""`tf.estimator.Estimator`: train, evaluate and predict a `model_fn` (TF1's contract).

    def model_fn(features, labels, mode, params):
        ...
        return tf.estimator.EstimatorSpec(mode, predictions=..., loss=..., train_op=...)

    est = tf.estimator.Estimator(model_fn, model_dir="/tmp/m", params={"lr": 0.1})
    est.train(input_fn, steps=100)          # resumes from the latest checkpoint in model_dir
    est.evaluate(eval_input_fn)             # {"loss": ..., "global_step": ..., <eval_metric_ops>}
    for p in est.predict(predict_input_fn): ...

Each call builds a fresh graph: the global step, `input_fn()` (features and labels, features
alone, or a Dataset of either), `model_fn(...)` called with only the arguments it declares
(`features, labels, mode, params, config`), then a monitored session. Training runs a
MonitoredTrainingSession with the RunConfig's checkpoint and summary settings, a
StopAtStepHook for `steps`/`max_steps`, a NanTensorHook and TF1's "loss = ..., step = ..."
log line; its Saver keeps `keep_checkpoint_max` checkpoints with relative paths, as TF's.
Interrupting `train()` (KeyboardInterrupt) saves a checkpoint at the current step before
re-raising (TF1 loses the steps since the last save). Evaluation restores the latest (or the
given) checkpoint, runs the metric update ops until the input ends or `steps` batches, and
writes the metrics to `model_dir/eval` (or `eval_<name>`) as events at the checkpoint's
global step.
"""

from __future__ import annotations

import collections
import inspect
import logging
import os
import re
import tempfile

import numpy as np

from estflow.core.graph import Graph, GraphKeys
from estflow.core.graph_io import make_tensor_proto
from estflow.core.ops.control_flow_ops import group
from estflow.core.protos import summary_pb2
from estflow.core.random_seed import set_random_seed
from estflow.core.variables import global_variables, trainable_variables
from estflow.data.dataset_ops import Dataset
from estflow.data.iterator_ops import make_one_shot_iterator
from estflow.estimators import export as export_lib
from estflow.estimators.mode_keys import ModeKeys
from estflow.estimators.model_fn import EstimatorSpec, check_spec
from estflow.estimators.run_config import RunConfig
from estflow.hooks import basic_session_run_hooks as hooks_lib
from estflow.hooks.monitored_session import (
    ChiefSessionCreator,
    MonitoredSession,
    MonitoredTrainingSession,
    Scaffold,
)
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from estflow.library import metrics_impl
from estflow.summary import summary as summary_lib
from estflow.summary.writer import FileWriterCache
from estflow.training import checkpoint_management, checkpoint_utils, training_util
from estflow.training.saver import Saver

_logger = logging.getLogger("tensorflow")

_MODEL_FN_ARGS = ("features", "labels", "mode", "params", "config")
LOSS_METRIC_KEY = "loss"
GLOBAL_STEP_KEY = "global_step"


def _fn_args(fn) -> tuple:
    """The names of the positional-or-keyword arguments `fn` declares (bound methods without self)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return ()
    return tuple(name for name, p in signature.parameters.items()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY))


def _check_model_fn(model_fn, params) -> None:
    if not callable(model_fn):
        raise TypeError(f"model_fn must be a function (features, labels, mode, params, config) -> EstimatorSpec, "
                        f"got {type(model_fn).__name__}.")
    args = _fn_args(model_fn)
    if "features" not in args:
        raise ValueError(f"model_fn ({model_fn}) must include a features argument; it declares {list(args)}.")
    unknown = [a for a in args if a not in _MODEL_FN_ARGS]
    if unknown:
        raise ValueError(f"model_fn ({model_fn}) has following not expected args: {unknown}. It may declare only "
                         f"{list(_MODEL_FN_ARGS)}.")
    if params and "params" not in args:
        raise ValueError(f"model_fn ({model_fn}) does not include params argument, but params ({params}) is "
                         f"passed to Estimator. Add a params argument to model_fn or drop params.")


class _StopAfterNEvalsHook(SessionRunHook):
    """Requests a stop after `num_evals` runs (None: until the input ends)."""

    def __init__(self, num_evals):
        self._num_evals = num_evals
        self._evals_completed = 0

    def after_run(self, run_context, run_values) -> None:
        self._evals_completed += 1
        if self._num_evals is not None and self._evals_completed >= self._num_evals:
            run_context.request_stop()


class _ProgressHook(SessionRunHook):
    """Logs "Evaluation [i/n]" as TF1 does, about ten times per evaluation."""

    def __init__(self, num_evals):
        self._num_evals = num_evals
        self._count = 0
        self._every = max(1, num_evals // 10) if num_evals else None

    def before_run(self, run_context):
        return SessionRunArgs(None)

    def after_run(self, run_context, run_values) -> None:
        self._count += 1
        if self._every and (self._count % self._every == 0 or self._count == self._num_evals):
            _logger.info("Evaluation [%d/%d]", self._count, self._num_evals)


class WarmStartSettings(collections.namedtuple("WarmStartSettings", [
        "ckpt_to_initialize_from", "vars_to_warm_start", "var_name_to_vocab_info", "var_name_to_prev_var_name"])):
    """Which variables `Estimator(warm_start_from=...)` initializes from another checkpoint (TF1's).

        ws = tf.estimator.WarmStartSettings("/tmp/old_model", vars_to_warm_start="dense/.*",
                                            var_name_to_prev_var_name={"dense/kernel": "old/kernel"})

    `vars_to_warm_start`: a regex over the trainable variables (default ".*"), or a list of regexes
    or Variables over all global variables, or None for none. Vocabulary remapping
    (`var_name_to_vocab_info`) is not supported yet.
    """

    __slots__ = ()

    def __new__(cls, ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
                var_name_to_prev_var_name=None):
        if not ckpt_to_initialize_from:
            raise ValueError("WarmStartSettings needs ckpt_to_initialize_from: a checkpoint path or a model_dir.")
        if var_name_to_vocab_info:
            raise NotImplementedError("WarmStartSettings var_name_to_vocab_info (vocabulary remapping) is not "
                                      "supported yet; warm-start those variables without a vocabulary change.")
        return super().__new__(cls, os.fspath(ckpt_to_initialize_from), vars_to_warm_start,
                               var_name_to_vocab_info, var_name_to_prev_var_name)

    def variables_to_warm_start(self) -> list:
        """The variables of the default graph these settings choose."""
        spec = self.vars_to_warm_start
        if spec is None:
            return []
        if isinstance(spec, str):
            return [v for v in trainable_variables() if re.match(spec, v.op.name)]
        chosen = []
        for item in spec:
            if isinstance(item, str):
                chosen.extend(v for v in global_variables() if re.match(item, v.op.name) and v not in chosen)
            elif item not in chosen:
                chosen.append(item)
        return chosen


class Estimator:
    """Trains, evaluates and predicts with a `model_fn`; checkpoints and events go to `model_dir`."""

    def __init__(self, model_fn, model_dir=None, config=None, params=None, warm_start_from=None):
        if config is None:
            config = RunConfig()
        elif not isinstance(config, RunConfig):
            raise ValueError(f"config must be an instance of tf.estimator.RunConfig, but provided {config!r}.")
        if model_dir is not None:
            model_dir = os.fspath(model_dir)
            if config.model_dir is not None and config.model_dir != model_dir:
                raise ValueError(f"model_dir are set both in constructor and RunConfig, but with different values. "
                                 f"In constructor: '{model_dir}', in RunConfig: '{config.model_dir}'. Pass one.")
        model_dir = model_dir or config.model_dir
        if model_dir is None:
            model_dir = tempfile.mkdtemp()
            _logger.warning("Using temporary folder as model directory: %s", model_dir)
        if config.model_dir != model_dir:
            config = config.replace(model_dir=model_dir)
        _logger.info("Using config: %s", config)
        _check_model_fn(model_fn, params)
        if isinstance(warm_start_from, (str, os.PathLike)):
            warm_start_from = WarmStartSettings(os.fspath(warm_start_from))
        elif warm_start_from is not None and not isinstance(warm_start_from, WarmStartSettings):
            raise TypeError(f"warm_start_from must be a checkpoint path, a model_dir or a "
                            f"tf.estimator.WarmStartSettings, got {type(warm_start_from).__name__}.")
        self._model_fn = model_fn
        self._model_dir = model_dir
        self._config = config
        self._params = dict(params or {})
        self._warm_start_from = warm_start_from

    model_dir = property(lambda self: self._model_dir)
    config = property(lambda self: self._config)

    @property
    def model_fn(self):
        """TF1's public model_fn: `(features, labels, mode, config)` calling the user's with its own args + params."""
        def public_model_fn(features, labels, mode, config):
            return self._call_model_fn(features, labels, mode, config)
        return public_model_fn

    @property
    def params(self) -> dict:
        """A copy of the params passed to the constructor."""
        return dict(self._params)

    # --- checkpoints -------------------------------------------------------------------

    def latest_checkpoint(self):
        """The path of the newest checkpoint in model_dir, or None."""
        return checkpoint_management.latest_checkpoint(self._model_dir)

    def _checkpoint_or_raise(self):
        path = self.latest_checkpoint()
        if not path:
            raise ValueError(f"Could not find trained model in model_dir: {self._model_dir}. Train first "
                             f"(estimator.train(...)).")
        return path

    def get_variable_names(self) -> list[str]:
        """The names of the variables in the latest checkpoint."""
        return [name for name, _ in checkpoint_utils.list_variables(self._checkpoint_or_raise())]

    def get_variable_value(self, name) -> np.ndarray:
        """The value of variable `name` in the latest checkpoint."""
        return checkpoint_utils.load_variable(self._checkpoint_or_raise(), name)

    def _global_step_in(self, checkpoint_path) -> int:
        if not checkpoint_path:
            return 0
        try:
            return int(checkpoint_utils.load_variable(checkpoint_path, GraphKeys.GLOBAL_STEP))
        except (ValueError, KeyError):
            return 0

    # --- graph building ----------------------------------------------------------------

    def _call_input_fn(self, input_fn, mode):
        if not callable(input_fn):
            raise TypeError(f"input_fn must be callable, got {type(input_fn).__name__}. Pass the function itself, "
                            f"not its result (e.g. input_fn=lambda: make_dataset()).")
        args = _fn_args(input_fn)
        kwargs = {}
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self.params
        if "config" in args:
            kwargs["config"] = self._config
        return input_fn(**kwargs)

    def _features_and_labels(self, input_fn, mode):
        result = self._call_input_fn(input_fn, mode)
        if isinstance(result, Dataset):
            result = make_one_shot_iterator(result).get_next()
        if isinstance(result, (tuple, list)):
            if len(result) != 2:
                raise ValueError(f"input_fn should return (features, labels) as a len 2 tuple, got a "
                                 f"{type(result).__name__} of length {len(result)}.")
            return result[0], result[1]
        return result, None

    def _call_model_fn(self, features, labels, mode, config=None) -> EstimatorSpec:
        args = _fn_args(self._model_fn)
        kwargs = {}
        if "labels" in args:
            kwargs["labels"] = labels
        elif labels is not None and mode != ModeKeys.PREDICT:
            raise ValueError("model_fn does not take labels, but input_fn returns labels. Add a labels argument "
                             "to model_fn or return features alone from input_fn.")
        if "mode" in args:
            kwargs["mode"] = mode
        if "params" in args:
            kwargs["params"] = self.params
        if "config" in args:
            kwargs["config"] = config if config is not None else self._config
        _logger.info("Calling model_fn.")
        spec = check_spec(self._model_fn(features=features, **kwargs), mode)
        _logger.info("Done calling model_fn.")
        return spec

    def _new_graph(self) -> Graph:
        graph = Graph()
        with graph.as_default():
            if self._config.tf_random_seed is not None:
                set_random_seed(self._config.tf_random_seed)
        return graph

    def _session_config(self):
        return self._config.session_config

    # --- train -------------------------------------------------------------------------

    def train(self, input_fn, hooks=None, steps=None, max_steps=None, saving_listeners=None) -> Estimator:
        """Train until `steps` more steps, `max_steps` in all, or the input ends; returns self."""
        if steps is not None and max_steps is not None:
            raise ValueError("Can not provide both steps and max_steps. Pass steps (more steps from the latest "
                             "checkpoint) or max_steps (the total).")
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if max_steps is not None and max_steps <= 0:
            raise ValueError(f"Must specify max_steps > 0, given: {max_steps}")
        if max_steps is not None:
            start_step = self._global_step_in(self.latest_checkpoint())
            if max_steps <= start_step:
                _logger.info("Skipping training since max_steps has already saved.")
                return self
        if self._config.cluster_spec:
            raise NotImplementedError(
                f"TF_CONFIG describes a cluster ({sorted(self._config.cluster_spec)}), but distributed training is "
                f"not supported yet. Unset TF_CONFIG to train in this process.")
        hooks = _check_hooks(hooks, "hooks")
        saving_listeners = list(saving_listeners or [])
        if steps is not None or max_steps is not None:
            hooks.append(hooks_lib.StopAtStepHook(steps, max_steps))
        loss = self._train_model(input_fn, hooks, saving_listeners)
        _logger.info("Loss for final step: %s.", loss)
        return self

    def _train_model(self, input_fn, hooks, saving_listeners):
        config = self._config
        with self._new_graph().as_default() as graph, graph.device(config.device_fn):
            global_step = training_util.get_or_create_global_step(graph)
            features, labels = self._features_and_labels(input_fn, ModeKeys.TRAIN)
            spec = self._call_model_fn(features, labels, ModeKeys.TRAIN)
            summary_lib.scalar("loss", spec.loss)
            scaffold = self._training_scaffold(spec.scaffold, graph)
            worker_hooks = list(hooks) + list(spec.training_hooks) + [hooks_lib.NanTensorHook(spec.loss)]
            if config.log_step_count_steps is not None:
                worker_hooks.append(hooks_lib.LoggingTensorHook({"loss": spec.loss, "step": global_step},
                                                                every_n_iter=config.log_step_count_steps))
            chief_hooks = list(spec.training_chief_hooks)
            if config.save_checkpoints_secs or config.save_checkpoints_steps or saving_listeners:
                if not any(isinstance(h, hooks_lib.CheckpointSaverHook) for h in worker_hooks + chief_hooks):
                    secs, steps = config.save_checkpoints_secs, config.save_checkpoints_steps
                    if not secs and not steps:
                        secs = 600
                    chief_hooks.append(hooks_lib.CheckpointSaverHook(
                        self._model_dir, save_secs=secs, save_steps=steps, scaffold=scaffold,
                        listeners=saving_listeners))
                elif saving_listeners:
                    raise ValueError("saving_listeners were passed but a CheckpointSaverHook is already among the "
                                     "hooks. Give the listeners to that hook instead.")
            loss = None
            with MonitoredTrainingSession(
                    master="", is_chief=True, checkpoint_dir=self._model_dir, scaffold=scaffold,
                    hooks=worker_hooks, chief_only_hooks=chief_hooks, save_checkpoint_secs=0,
                    save_summaries_steps=config.save_summary_steps, config=self._session_config(),
                    log_step_count_steps=config.log_step_count_steps) as session:
                try:
                    while not session.should_stop():
                        _, loss = session.run([spec.train_op, spec.loss])
                except KeyboardInterrupt:
                    self._save_on_interrupt(session, scaffold, global_step)
                    raise
        return loss

    def _save_on_interrupt(self, session, scaffold, global_step) -> None:
        """Ctrl-C during train(): a checkpoint at the current step, so train() resumes where it stopped."""
        def step_fn(step_context):
            return step_context.session
        raw = session.run_step_fn(step_fn)
        step = int(raw.run(global_step))
        path = scaffold.saver.save(raw, os.path.join(self._model_dir, "model.ckpt"), global_step=step)
        _logger.info("Training interrupted: saved checkpoint for step %d into %s.", step, path)

    def _training_scaffold(self, scaffold, graph) -> Scaffold:
        """The model's Scaffold with TF's Estimator Saver (relative paths, keep_checkpoint_max) and warm start."""
        saver = scaffold.saver
        if saver is None and not graph.get_collection(GraphKeys.SAVERS):
            saver = Saver(sharded=True, max_to_keep=self._config.keep_checkpoint_max,
                          keep_checkpoint_every_n_hours=self._config.keep_checkpoint_every_n_hours,
                          defer_build=True, save_relative_paths=True)
            graph.add_to_collection(GraphKeys.SAVERS, saver)
        init_fn = None
        if self._warm_start_from is not None:
            init_fn = self._warm_start_init_fn()
        if saver is scaffold.saver and init_fn is None:
            return scaffold
        return Scaffold(saver=saver, init_fn=init_fn, copy_from_scaffold=scaffold)

    def _warm_start_init_fn(self):
        """Restore the chosen variables from the warm-start checkpoint when no checkpoint of model_dir is restored."""
        settings = self._warm_start_from
        path = settings.ckpt_to_initialize_from
        if os.path.isdir(path):
            path = checkpoint_management.latest_checkpoint(path)
            if not path:
                raise ValueError(f"warm_start_from {settings.ckpt_to_initialize_from!r} is a directory without "
                                 f"checkpoint.")
        in_checkpoint = {name for name, _ in checkpoint_utils.list_variables(path)}
        chosen = settings.variables_to_warm_start()
        renames = settings.var_name_to_prev_var_name or {}
        mapping = {}
        for variable in chosen:
            name = variable.op.name
            previous = renames.get(name, name)
            if previous not in in_checkpoint:
                if name in renames:
                    raise ValueError(f"warm start: {previous!r} (for {name!r}) is not in checkpoint {path}.")
                continue
            mapping[previous] = variable
        if not mapping:
            raise ValueError(f"warm_start_from {path!r} holds none of the variables to warm-start "
                             f"{[v.op.name for v in chosen]}.")
        warm_saver = Saver(var_list=mapping)
        _logger.info("Warm-starting from: %s (%d variables)", path, len(mapping))

        def init_fn(scaffold, session):
            warm_saver.restore(session, path)
        return init_fn

    # --- evaluate ----------------------------------------------------------------------

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None) -> dict:
        """Metrics of the latest (or given) checkpoint over `steps` batches or the whole input."""
        if steps is not None and steps <= 0:
            raise ValueError(f"Must specify steps > 0, given: {steps}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"evaluate name must be a string, got {name!r}.")
        hooks = _check_hooks(hooks, "hooks")
        if checkpoint_path is None:
            checkpoint_path = self.latest_checkpoint()
            if not checkpoint_path:
                _logger.info("Could not find trained model in model_dir: %s, running initialization to evaluate.",
                             self._model_dir)
        output_dir = os.path.join(self._model_dir, "eval" if not name else "eval_" + name)
        with self._new_graph().as_default() as graph, graph.device(self._config.device_fn):
            global_step = training_util.get_or_create_global_step(graph)
            features, labels = self._features_and_labels(input_fn, ModeKeys.EVAL)
            spec = self._call_model_fn(features, labels, ModeKeys.EVAL)
            if LOSS_METRIC_KEY in spec.eval_metric_ops:
                raise ValueError('Metric with name "loss" is not allowed, because Estimator already defines a '
                                 "default metric with the same name. Rename yours.")
            metrics = dict(spec.eval_metric_ops)
            metrics[LOSS_METRIC_KEY] = metrics_impl.mean(spec.loss)
            update_op = group(*[update for _, update in metrics.values()])
            final_ops = {key: value for key, (value, _) in metrics.items()}
            final_ops[GLOBAL_STEP_KEY] = global_step
            final_hook = hooks_lib.FinalOpsHook(final_ops)
            all_hooks = hooks + list(spec.evaluation_hooks) + [_StopAfterNEvalsHook(steps), _ProgressHook(steps),
                                                                final_hook]
            _logger.info("Starting evaluation")
            creator = ChiefSessionCreator(scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                                          master="", config=self._session_config())
            with MonitoredSession(session_creator=creator, hooks=all_hooks) as session:
                if checkpoint_path:
                    _logger.info("Restoring parameters from %s", checkpoint_path)
                while not session.should_stop():
                    session.run(update_op)
            results = {key: _scalar(value) for key, value in final_hook.final_ops_values.items()}
        _logger.info("Finished evaluation")
        _logger.info("Saving dict for global step %d: %s", results[GLOBAL_STEP_KEY],
                     ", ".join(f"{k} = {results[k]}" for k in sorted(results)))
        _write_eval_summary(output_dir, results, checkpoint_path)
        return results

    # --- predict -----------------------------------------------------------------------

    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None, yield_single_examples=True):
        """Yield the predictions of the latest (or given) checkpoint, one example (or one batch) at a time."""
        hooks = _check_hooks(hooks, "hooks")
        if checkpoint_path is None:
            checkpoint_path = self.latest_checkpoint()
            if not checkpoint_path:
                _logger.info("Could not find trained model in model_dir: %s, running initialization to predict.",
                             self._model_dir)
        if isinstance(predict_keys, str):
            predict_keys = [predict_keys]
        with self._new_graph().as_default() as graph, graph.device(self._config.device_fn):
            training_util.get_or_create_global_step(graph)
            features, _ = self._features_and_labels(input_fn, ModeKeys.PREDICT)
            spec = self._call_model_fn(features, None, ModeKeys.PREDICT)
            predictions = _extract_keys(spec.predictions, predict_keys)
            if not _input_can_end(graph):
                _logger.warning("Input graph does not use tf.data.Dataset or contain a QueueRunner. That means "
                                "predict yields forever. This is probably a mistake.")
            creator = ChiefSessionCreator(scaffold=spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                                          master="", config=self._session_config())
            with MonitoredSession(session_creator=creator,
                                  hooks=hooks + list(spec.prediction_hooks)) as session:
                while not session.should_stop():
                    batch = session.run(predictions)
                    if not yield_single_examples:
                        yield batch
                        continue
                    if not isinstance(batch, dict):
                        yield from batch
                        continue
                    length = _batch_length(batch)
                    for i in range(length):
                        yield {key: value[i] for key, value in batch.items()}

    # --- export (the work is in estflow/estimators/export.py) ---------------------------
    def export_saved_model(self, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                           checkpoint_path=None, experimental_mode=ModeKeys.PREDICT):
        """Export the model as a SavedModel in `<export_dir_base>/<timestamp>/`; returns that path (bytes)."""
        return export_lib.export_saved_model(self, export_dir_base, serving_input_receiver_fn, assets_extra,
                                             as_text, checkpoint_path, experimental_mode)

    def export_savedmodel(self, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                          checkpoint_path=None, strip_default_attrs=False):
        """TF1's older `export_saved_model` (keeps default attrs unless `strip_default_attrs`)."""
        return export_lib.export_savedmodel(self, export_dir_base, serving_input_receiver_fn, assets_extra,
                                            as_text, checkpoint_path, strip_default_attrs)


_ENDING_OPS = {"OneShotIterator", "Iterator", "IteratorV2", "IteratorGetNext", "MakeIterator",
               "AnonymousIterator", "AnonymousIteratorV2", "QueueDequeueV2", "QueueDequeueManyV2",
               "QueueDequeueUpToV2"}


def _input_can_end(graph) -> bool:
    """Whether the graph reads an input that can end (a tf.data iterator or a queue), as TF1 checks."""
    if graph.get_collection(GraphKeys.QUEUE_RUNNERS):
        return True
    return any(op.type in _ENDING_OPS for op in graph.get_operations())


def add_metrics(estimator, metric_fn):
    """A new Estimator on the same model_dir whose evaluation adds `metric_fn`'s metrics (TF1's add_metrics).

        def my_auc(labels, predictions):
            return {"auc": tf.metrics.auc(labels, predictions["logistic"])}
        estimator = tf.estimator.add_metrics(estimator, my_auc)

    `metric_fn` may declare `features`, `labels`, `predictions` and `config` and returns a dict of
    name -> (value_op, update_op).
    """
    allowed = ("features", "labels", "predictions", "config")
    unknown = [a for a in _fn_args(metric_fn) if a not in allowed]
    if unknown:
        raise ValueError(f"metric_fn ({metric_fn}) has following not expected args: {unknown}. It may declare only "
                         f"{list(allowed)}.")
    base_model_fn = estimator.model_fn

    def new_model_fn(features, labels, mode, config):
        spec = base_model_fn(features, labels, mode, config)
        if mode != ModeKeys.EVAL:
            return spec
        available = {"features": features, "labels": labels, "predictions": spec.predictions, "config": config}
        new_metrics = metric_fn(**{a: available[a] for a in _fn_args(metric_fn)})
        if not isinstance(new_metrics, dict):
            raise TypeError(f"metric_fn must return a dict of name -> (value_op, update_op), got "
                            f"{type(new_metrics).__name__}.")
        return spec._replace(eval_metric_ops={**spec.eval_metric_ops, **new_metrics})

    return Estimator(new_model_fn, model_dir=estimator.model_dir, config=estimator.config,
                     warm_start_from=estimator._warm_start_from)


def _check_hooks(hooks, what) -> list:
    hooks = list(hooks or [])
    for hook in hooks:
        if not isinstance(hook, SessionRunHook):
            raise TypeError(f"{what} must be a list of SessionRunHook instances, given: {hook!r}.")
    return hooks


def _extract_keys(predictions, predict_keys):
    if not predict_keys:
        return predictions
    if not isinstance(predictions, dict):
        raise ValueError("predict_keys argument is not valid in case of non-dict predictions. Drop predict_keys "
                         "or return a dict of predictions from model_fn.")
    missing = [key for key in predict_keys if key not in predictions]
    if missing:
        raise ValueError(f"Expected to run at least one output from {sorted(predictions)}, provided "
                         f"{list(predict_keys)}: {missing} not among the predictions.")
    return {key: predictions[key] for key in predict_keys}


def _batch_length(batch: dict) -> int:
    length = None
    for key, value in batch.items():
        shape = np.shape(value)
        if not shape:
            raise ValueError(f"Prediction {key!r} is a scalar; with yield_single_examples=True every prediction "
                             f"needs a batch dimension. Pass yield_single_examples=False or give it one.")
        if length is None:
            length = shape[0]
        elif shape[0] != length:
            raise ValueError(f"Batch length of predictions should be same. {key!r} has different batch length "
                             f"({shape[0]}) than the others ({length}).")
    return length or 0


def _scalar(value):
    array = np.asarray(value)
    return array.item() if array.ndim == 0 else array


def _write_eval_summary(output_dir, results, checkpoint_path=None) -> None:
    """The scalar metrics as one Summary at the evaluated global step, in `output_dir` (TF1's eval events),
    then the evaluated checkpoint's path as a string tensor summary `checkpoint_path`, as TF 1.15 writes it."""
    summary = summary_pb2.Summary()
    for key, value in results.items():
        if key == GLOBAL_STEP_KEY:
            continue
        array = np.asarray(value)
        if array.ndim == 0 and np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_:
            summary.value.add(tag=key, simple_value=float(array))
    writer = FileWriterCache.get(output_dir)
    step = int(results[GLOBAL_STEP_KEY])
    writer.add_summary(summary, step)
    if checkpoint_path:
        path_summary = summary_pb2.Summary()
        path_summary.value.add(tag="checkpoint_path", tensor=make_tensor_proto(checkpoint_path))
        writer.add_summary(path_summary, step)
    writer.flush()

