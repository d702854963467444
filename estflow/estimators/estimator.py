"""`tf.estimator.Estimator`: train, evaluate and predict a `model_fn` (TF1's contract).

    def model_fn(features, labels, mode, params):
        ...
        return tf.estimator.EstimatorSpec(mode, predictions=..., loss=..., train_op=...)

    est = tf.estimator.Estimator(model_fn, model_dir="/tmp/m", params={"lr": 0.1})
    est.train(input_fn, steps=100)          # resumes from the latest checkpoint in model_dir
    est.evaluate(eval_input_fn)             # {"loss": ..., "global_step": ..., <eval_metric_ops>}
    for p in est.predict(predict_input_fn): ...

Each call builds a graph: the global step, `input_fn()` (features and labels, features
alone, or a Dataset of either), `model_fn(...)` called with only the arguments it declares
(`features, labels, mode, params, config`), then a monitored session. A repeated `evaluate()`
or `predict()` reuses the previous call's graph and checkpoint values when its input, params,
mode and checkpoint are unchanged (estflow/estimators/graph_cache.py says what is compared).
Training runs a MonitoredTrainingSession with the RunConfig's checkpoint and summary settings, a
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
import tempfile

import numpy as np

from estflow.core.graph import Graph, GraphKeys
from estflow.core.graph_io import make_tensor_proto
from estflow.core.ops import constant_op
from estflow.core.ops.control_flow_ops import group
from estflow.core.protos import summary_pb2
from estflow.core.random_seed import set_random_seed
from estflow.data.dataset_ops import Dataset
from estflow.data.iterator_ops import make_one_shot_iterator
from estflow.estimators import export as export_lib
from estflow.estimators import graph_cache
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
from estflow.training import checkpoint_management, checkpoint_utils, training_util, warm_starting_util
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
                                            var_name_to_prev_var_name={"dense/kernel": "old/kernel"},
                                            var_name_to_vocab_info={"input_layer/x_embedding/embedding_weights":
                                                                    tf.estimator.VocabInfo(...)})

    The arguments of `tf.train.warm_start` (estflow/training/warm_starting_util.py says what each
    means); applied only while model_dir holds no checkpoint, so a later train() resumes instead.
    """

    __slots__ = ()

    def __new__(cls, ckpt_to_initialize_from, vars_to_warm_start=".*", var_name_to_vocab_info=None,
                var_name_to_prev_var_name=None):
        if not ckpt_to_initialize_from:
            raise ValueError("WarmStartSettings needs ckpt_to_initialize_from: a checkpoint path, a model_dir or a "
                             "SavedModel directory.")
        return super().__new__(cls, os.fspath(ckpt_to_initialize_from), vars_to_warm_start,
                               var_name_to_vocab_info, var_name_to_prev_var_name)


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
        if isinstance(warm_start_from, (str, bytes, os.PathLike)):  # export_saved_model returns bytes, as TF's
            warm_start_from = WarmStartSettings(os.fsdecode(warm_start_from))
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
                f"TF_CONFIG describes a cluster ({sorted(self._config.cluster_spec.jobs)}), but distributed training "
                f"is not supported yet. Unset TF_CONFIG to train in this process.")
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
            # TF1 adds a `loss` summary only when the model_fn (a canned head) has not written one.
            if not any(s.op.name == "loss" for s in graph.get_collection(GraphKeys.SUMMARIES)):
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
        if self._warm_start_from is not None:
            self._warm_start()
        if saver is scaffold.saver:
            return scaffold
        return Scaffold(saver=saver, copy_from_scaffold=scaffold)

    def _warm_start(self) -> None:
        """TF1's warm start (initializers from the other checkpoint), only while model_dir holds no checkpoint."""
        existing = self.latest_checkpoint()
        if existing:
            _logger.info("Not warm-starting from %s: training resumes from %s.",
                         self._warm_start_from.ckpt_to_initialize_from, existing)
            return
        _logger.info("Warm-starting with WarmStartSettings: %s", self._warm_start_from)
        warm_starting_util.warm_start(*self._warm_start_from)

    # --- evaluate ----------------------------------------------------------------------

    def evaluate(self, input_fn, steps=None, hooks=None, checkpoint_path=None, name=None) -> dict:
        """Metrics of the latest (or given) checkpoint over `steps` batches or the whole input.

        A repeated call reuses the previous call's graph and checkpoint values when nothing they depend on
        changed (see estflow/estimators/graph_cache.py for what is compared)."""
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
        built = self._graph_for(ModeKeys.EVAL, input_fn, None, cache=not hooks)
        values = self._cached_checkpoint_values(built, checkpoint_path)
        return self._run_evaluation(built, hooks, steps, checkpoint_path, values, built.feed_op, output_dir)

    def _run_evaluation(self, built, hooks, steps, checkpoint_path, values, feed_op, output_dir) -> dict:
        """Run the update ops of an evaluation graph over the input; log and write the metrics; return them."""
        final_hook = hooks_lib.FinalOpsHook(built.fetches)
        all_hooks = hooks + list(built.spec.evaluation_hooks) + [_StopAfterNEvalsHook(steps), _ProgressHook(steps),
                                                                 final_hook]
        _logger.info("Starting evaluation")
        with built.graph.as_default():
            creator = self._session_creator(built, checkpoint_path, values, feed_op)
            with MonitoredSession(session_creator=creator, hooks=all_hooks) as session:
                while not session.should_stop():
                    session.run(built.update_op)
        results = {key: _scalar(value) for key, value in final_hook.final_ops_values.items()}
        _logger.info("Finished evaluation")
        _logger.info("Saving dict for global step %d: %s", results[GLOBAL_STEP_KEY],
                     ", ".join(f"{k} = {results[k]}" for k in sorted(results)))
        _write_eval_summary(output_dir, results, checkpoint_path)
        return results

    # --- the graphs of evaluate and predict, kept between calls -------------------------

    def _graph_for(self, mode, input_fn, predict_keys, cache):
        """The evaluation or prediction graph of `input_fn`: the cached one when it is still valid, else a new one."""
        cached = self.__dict__.setdefault("_graph_cache", {}).get(mode)
        graph = self._new_graph()
        with graph.as_default(), graph.device(self._config.device_fn):
            training_util.get_or_create_global_step(graph)
            features, labels = self._features_and_labels(input_fn, mode)
            fingerprint = graph_cache.graph_fingerprint(graph, (features, labels)) if cache else None
            if (fingerprint is not None and cached is not None and cached.fingerprint == fingerprint
                    and cached.predict_keys == predict_keys and graph_cache.same_snapshot(cached.params, self._params)):
                _logger.info("Reusing the %s graph of the previous call (same input_fn, params and model_fn).", mode)
                return cached
            built = self._build_graph(graph, features, labels, mode, predict_keys, with_assigns=fingerprint is not None)
            params = graph_cache.snapshot(self._params)
            if fingerprint is not None and built.cacheable and params is not None:
                built.fingerprint, built.params, built.predict_keys = fingerprint, params, predict_keys
                built.feed_op = group(*built.assigns.values())
                self._graph_cache[mode] = built  # one graph per mode: the newest replaces the previous one
        return built

    def _build_graph(self, graph, features, labels, mode, predict_keys, with_assigns=True) -> _BuiltGraph:
        """model_fn's ops for `mode` over the features of `graph`, the fetches, and (`with_assigns`: for a graph
        to cache, or InMemoryEvaluatorHook's) one assign per variable from a placeholder of its value."""
        built = _BuiltGraph(graph)
        global_step = training_util.get_global_step(graph)
        spec = built.spec = self._call_model_fn(features, labels, mode)
        if mode == ModeKeys.EVAL:
            if LOSS_METRIC_KEY in spec.eval_metric_ops:
                raise ValueError('Metric with name "loss" is not allowed, because Estimator already defines a '
                                 "default metric with the same name. Rename yours.")
            metrics = dict(spec.eval_metric_ops)
            metrics[LOSS_METRIC_KEY] = metrics_impl.mean(spec.loss)
            built.update_op = group(*[update for _, update in metrics.values()])
            built.fetches = {key: value for key, (value, _) in metrics.items()}
            built.fetches[GLOBAL_STEP_KEY] = global_step
        else:
            built.fetches = _extract_keys(spec.predictions, predict_keys)
            if not _input_can_end(graph):
                _logger.warning("Input graph does not use tf.data.Dataset or contain a QueueRunner. That means "
                                "predict yields forever. This is probably a mistake.")
        variables = graph_cache.cacheable_variables(graph, spec.scaffold) if with_assigns else None
        if variables is not None:
            # One placeholder and assign per variable: a later call (or InMemoryEvaluatorHook) sets the values
            # without a checkpoint restore.
            for variable in variables:
                name = variable.op.name
                placeholder = constant_op.placeholder(variable.dtype.base_dtype, variable.shape,
                                                      name=f"cached_value/{name}")
                built.placeholders[name] = placeholder
                built.assigns[name] = variable.assign(placeholder, read_value=False)
        built.cacheable = (variables is not None and not spec.evaluation_hooks and not spec.prediction_hooks)
        return built

    def _cached_checkpoint_values(self, built, checkpoint_path):
        """The variable values of `checkpoint_path` for a cached graph, read once per checkpoint file; None: restore."""
        if built.feed_op is None or not checkpoint_path:
            return None
        signature = graph_cache.checkpoint_signature(checkpoint_path)
        if built.values_signature != signature:
            values = graph_cache.read_checkpoint_values(checkpoint_path, list(built.assigns))
            if values is None:
                return None
            values = {name: graph_cache.frozen(value) for name, value in values.items()}
            built.values, built.values_signature = values, signature
        _logger.info("Restoring parameters from %s (values cached in memory)", checkpoint_path)
        return built.values

    def _session_creator(self, built, checkpoint_path, values, feed_op):
        """Restore `checkpoint_path` through the Saver, or set the variables to `values` through `feed_op`."""
        if values is None:
            if checkpoint_path:
                _logger.info("Restoring parameters from %s", checkpoint_path)
            return ChiefSessionCreator(scaffold=built.spec.scaffold, checkpoint_filename_with_path=checkpoint_path,
                                       master="", config=self._session_config())
        feed_dict = {built.placeholders[name]: value for name, value in values.items()}

        def feed_variables(_scaffold, session):
            session.run(feed_op, feed_dict=feed_dict)
        scaffold = Scaffold(init_fn=feed_variables, copy_from_scaffold=built.spec.scaffold)
        return ChiefSessionCreator(scaffold=scaffold, master="", config=self._session_config())

    # --- predict -----------------------------------------------------------------------

    def predict(self, input_fn, predict_keys=None, hooks=None, checkpoint_path=None, yield_single_examples=True):
        """Yield the predictions of the latest (or given) checkpoint, one example (or one batch) at a time.

        A repeated call reuses the previous call's graph and checkpoint values when nothing they depend on
        changed (see estflow/estimators/graph_cache.py for what is compared)."""
        hooks = _check_hooks(hooks, "hooks")
        if checkpoint_path is None:
            checkpoint_path = self.latest_checkpoint()
            if not checkpoint_path:
                _logger.info("Could not find trained model in model_dir: %s, running initialization to predict.",
                             self._model_dir)
        if isinstance(predict_keys, str):
            predict_keys = [predict_keys]
        predict_keys = tuple(predict_keys) if predict_keys else None
        built = self._graph_for(ModeKeys.PREDICT, input_fn, predict_keys, cache=not hooks)
        values = self._cached_checkpoint_values(built, checkpoint_path)
        with built.graph.as_default():
            creator = self._session_creator(built, checkpoint_path, values, built.feed_op)
            with MonitoredSession(session_creator=creator,
                                  hooks=hooks + list(built.spec.prediction_hooks)) as session:
                while not session.should_stop():
                    batch = session.run(built.fetches)
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

    def experimental_export_all_saved_models(self, export_dir_base, input_receiver_fn_map, assets_extra=None,
                                             as_text=False, checkpoint_path=None):
        """One SavedModel with a MetaGraphDef per mode of `input_receiver_fn_map` ({ModeKeys.X: receiver_fn})."""
        return export_lib.experimental_export_all_saved_models(self, export_dir_base, input_receiver_fn_map,
                                                               assets_extra, as_text, checkpoint_path)


class _BuiltGraph:
    """An evaluation or prediction graph and what running it needs; cached between calls when `cacheable`."""

    def __init__(self, graph):
        self.graph = graph
        self.spec = None
        self.fetches = None
        self.update_op = None
        self.placeholders = {}  # variable name -> placeholder of its value
        self.assigns = {}  # variable name -> its Assign from the placeholder
        self.cacheable = False
        self.feed_op = None  # all assigns, once the graph is cached
        self.fingerprint = self.params = self.predict_keys = None
        self.values = self.values_signature = None  # the checkpoint values last read, and their files' signature


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
    """A fetched metric as TF1's evaluate() returns it: a numpy scalar of the metric's dtype (np.float32 for
    tf.metrics.mean, np.int64 for global_step), or the array."""
    array = np.asarray(value)
    return array[()] if array.ndim == 0 else array


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

