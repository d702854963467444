"""`tf.estimator.experimental.InMemoryEvaluatorHook` and `make_stop_at_checkpoint_step_hook` (TF1's).

    evaluator = tf.estimator.experimental.InMemoryEvaluatorHook(estimator, eval_input_fn, every_n_iter=100)
    estimator.train(train_input_fn, hooks=[evaluator])

The hook builds the evaluation graph once (in `begin`) and evaluates the training session's own
variable values, copied into it, when the session starts, every `every_n_iter` training steps and
at the end; no checkpoint is written or read. The metrics go to `model_dir/eval` (or
`eval_<name>`) as `Estimator.evaluate` writes them.
"""

from __future__ import annotations

import os
import time

from estflow.core.graph import GraphKeys
from estflow.core.ops.control_flow_ops import group
from estflow.estimators import graph_cache
from estflow.estimators.mode_keys import ModeKeys
from estflow.hooks.basic_session_run_hooks import SecondOrStepTimer
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from estflow.training import checkpoint_management, checkpoint_utils, training_util


class InMemoryEvaluatorHook(SessionRunHook):
    """Evaluates the model in the training session's variables every `every_n_iter` steps and at the end."""

    def __init__(self, estimator, input_fn, steps=None, hooks=None, name=None, every_n_iter=100):
        if every_n_iter is None or every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        config = estimator.config
        session_config = config.session_config
        if session_config is not None and getattr(session_config, "isolate_session_state", False):
            raise ValueError("InMemoryEvaluator does not support session_config.isolate_session_state.")
        for setting in ("train_distribute", "eval_distribute", "experimental_distribute"):
            if getattr(config, setting) is not None:
                raise ValueError(f"InMemoryEvaluator does not support {setting}.")
        hooks = list(hooks or [])
        for hook in hooks:
            if not isinstance(hook, SessionRunHook):
                raise TypeError(f"hooks must be a list of SessionRunHook instances, given: {hook!r}.")
        self._estimator = estimator
        self._input_fn = input_fn
        self._steps = steps
        self._name = name
        self._every_n_iter = every_n_iter
        self._eval_dir = os.path.join(estimator.model_dir, "eval" if not name else "eval_" + name)
        self._hooks = hooks
        self._timer = SecondOrStepTimer(every_steps=every_n_iter)
        self._built = None

    def begin(self) -> None:
        """Build the evaluation graph (its own Graph, beside the training one)."""
        self._timer.reset()
        self._iter_count = 0
        estimator = self._estimator
        graph = estimator._new_graph()
        with graph.as_default(), graph.device(estimator.config.device_fn):
            training_util.get_or_create_global_step(graph)
            features, labels = estimator._features_and_labels(self._input_fn, ModeKeys.EVAL)
            built = estimator._build_graph(graph, features, labels, ModeKeys.EVAL, None)
        scaffold = built.spec.scaffold
        if scaffold.saver is not None:
            raise ValueError("InMemoryEvaluator does not support custom saver")
        if scaffold.init_fn is not None:
            raise ValueError("InMemoryEvaluator does not support custom init_fn")
        if not built.assigns:
            raise ValueError("InMemoryEvaluator does not support partitioned variables, savers in the SAVERS "
                             "collection or saveables other than global variables in the evaluation graph.")
        self._built = built

    def after_create_session(self, session, coord) -> None:
        """Match the training variables to the evaluation ones by name, then evaluate before training."""
        graph = session.graph
        if graph.get_collection(GraphKeys.SAVEABLE_OBJECTS):
            raise ValueError("InMemoryEvaluator does not support saveables other than global variables.")
        train_variables = {v.op.name: v for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES)}
        shared = [name for name in self._built.assigns if name in train_variables]
        self._train_variables = {name: train_variables[name] for name in shared}
        with self._built.graph.as_default():
            self._feed_op = group(*[self._built.assigns[name] for name in shared])
        self._evaluate(session)

    def _evaluate(self, train_session) -> None:
        values = {name: graph_cache.frozen(value) for name, value in train_session.run(self._train_variables).items()}
        self._estimator._run_evaluation(self._built, list(self._hooks), self._steps, None, values, self._feed_op,
                                        self._eval_dir)
        self._timer.update_last_triggered_step(self._iter_count)

    def after_run(self, run_context, run_values) -> None:
        self._iter_count += 1
        if self._timer.should_trigger_for_step(self._iter_count):
            self._evaluate(run_context.session)

    def end(self, session) -> None:
        """Evaluate the final model."""
        self._evaluate(session)


class _StopAtCheckpointStepHook(SessionRunHook):
    """Stops once the latest checkpoint of `model_dir` reached `last_step` (for workers beside a chief)."""

    def __init__(self, model_dir, last_step, wait_after_file_check_secs=30):
        self._model_dir = model_dir
        self._last_step = last_step
        self._wait_after_file_check_secs = wait_after_file_check_secs

    def begin(self) -> None:
        self._global_step_tensor = training_util.get_global_step()
        if self._global_step_tensor is None:
            raise RuntimeError("Global step should be created to use StopAtCheckpointStepHook.")

    def before_run(self, run_context):
        return SessionRunArgs(self._global_step_tensor)

    def after_run(self, run_context, run_values) -> None:
        if run_values.results + 1 < self._last_step:
            return
        if _checkpoint_global_step(self._model_dir) >= self._last_step:
            run_context.request_stop()
        else:
            time.sleep(self._wait_after_file_check_secs)


def _checkpoint_global_step(model_dir) -> int:
    path = checkpoint_management.latest_checkpoint(model_dir)
    if not path:
        return 0
    return int(checkpoint_utils.load_variable(path, GraphKeys.GLOBAL_STEP))


def make_stop_at_checkpoint_step_hook(estimator, last_step, wait_after_file_check_secs=30):
    """A hook that stops training once `estimator.model_dir`'s latest checkpoint is at `last_step` or beyond."""
    return _StopAtCheckpointStepHook(estimator.model_dir, last_step, wait_after_file_check_secs)
