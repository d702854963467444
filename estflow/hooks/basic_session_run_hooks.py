"""The standard hooks of `tf.train`, as TF1's `basic_session_run_hooks`.

Every hook that acts "every N steps or every N seconds" asks one `SecondOrStepTimer`
(`NeverTriggerTimer` when it should act only at the end):

    timer.should_trigger_for_step(step)    # True the first time, then once N steps or secs passed
    timer.update_last_triggered_step(step) # -> (elapsed_secs, elapsed_steps), (None, None) the first time

Hooks that need the global step fetch the cached read of it (`global_step/add:0`, the value
the step started from) in `before_run`, and run the variable itself only when the stale
value says the timer may trigger, so a step that does nothing costs one fetch.
"""

from __future__ import annotations

import logging
import os
import time

import numpy as np

from estflow.core import errors
from estflow.core.graph import GraphKeys, Operation, Tensor, get_default_graph
from estflow.core.graph_io import UnexportableGraphError, graph_to_graph_def, write_graph
from estflow.core.protos import config_pb2, event_pb2, summary_pb2
from estflow.core.variables import Variable
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from estflow.python.client import timeline
from estflow.summary.writer import FileWriterCache
from estflow.training import meta_graph, training_util

_logger = logging.getLogger("tensorflow")
_FLOAT_SCALARS = (float, np.float16, np.float32, np.float64)  # NanTensorHook's losses


class _HookTimer:
    """Base of the timers: when a hook should act, given the current step."""

    def reset(self) -> None:
        """Forget the last trigger: the next `should_trigger_for_step` is True."""

    def should_trigger_for_step(self, step) -> bool:
        raise NotImplementedError

    def update_last_triggered_step(self, step):
        raise NotImplementedError

    def last_triggered_step(self):
        raise NotImplementedError


class SecondOrStepTimer(_HookTimer):
    """Triggers at most once every `every_secs` seconds or once every `every_steps` steps (exactly one).

        timer = tf.train.SecondOrStepTimer(every_steps=10)
        if timer.should_trigger_for_step(step):
            elapsed_secs, elapsed_steps = timer.update_last_triggered_step(step)
    """

    def __init__(self, every_secs=None, every_steps=None):
        self.reset()
        self._every_secs = every_secs
        self._every_steps = every_steps
        if every_secs is None and every_steps is None:
            raise ValueError("Either every_secs or every_steps should be provided.")
        if every_secs is not None and every_steps is not None:
            raise ValueError("Can not provide both every_secs and every_steps.")

    def reset(self) -> None:
        self._last_triggered_step = None
        self._last_triggered_time = None

    def should_trigger_for_step(self, step) -> bool:
        """True the first time, never twice for one step, else once the interval has passed."""
        if self._last_triggered_step is None:
            return True
        if self._last_triggered_step == step:
            return False
        if self._every_secs is not None and time.time() >= self._last_triggered_time + self._every_secs:
            return True
        return self._every_steps is not None and step >= self._last_triggered_step + self._every_steps

    def update_last_triggered_step(self, step):
        """Record a trigger at `step`; the seconds and steps since the previous one (None, None the first time)."""
        now = time.time()
        if self._last_triggered_time is None:
            elapsed_secs = elapsed_steps = None
        else:
            elapsed_secs = now - self._last_triggered_time
            elapsed_steps = step - self._last_triggered_step
        self._last_triggered_time = now
        self._last_triggered_step = step
        return elapsed_secs, elapsed_steps

    def last_triggered_step(self):
        return self._last_triggered_step


class NeverTriggerTimer(_HookTimer):
    """A timer that never triggers (a hook that acts only at the end)."""

    def should_trigger_for_step(self, step) -> bool:
        return False

    def update_last_triggered_step(self, step):
        return None, None

    def last_triggered_step(self):
        return None


def _as_graph_element(obj):
    """The tensor (or op) `obj` names: a Tensor, an Operation, "name:0" or "name" (its only output)."""
    graph = get_default_graph()
    if not isinstance(obj, str):
        if not isinstance(obj, (Tensor, Operation)) or obj.graph is not graph:
            if isinstance(obj, (Tensor, Operation)):
                raise ValueError(f"Passed {obj} should have graph attribute that is equal to current graph {graph}.")
            return graph.as_graph_element(obj)
        return obj
    if ":" in obj:
        return graph.as_graph_element(obj)
    element = graph.as_graph_element(obj + ":0")
    try:
        graph.as_graph_element(obj + ":1")
    except (KeyError, ValueError):
        return element
    raise ValueError(f"Name {obj} is ambiguous, as this `Operation` has multiple outputs (at least 2).")


def _global_step_read(hook_name: str):
    """What a hook fetches for "the step this run started from".

    TF1 fetches the cached read `global_step/add:0`, which this creates too (Estimator graphs
    depend on it). estflow fetches the variable itself: under its reads-before-writes rule a
    fetched variable is the value the run found, the same number, without the read's cond.
    It is fetched as its graph element (the tensor a fetch of the Variable resolves to), which
    the session keys its compiled runs by directly, every step.
    """
    read = training_util._get_or_create_global_step_read()
    if read is None:
        raise RuntimeError(f"Global step should be created to use {hook_name}.")
    step = training_util.get_global_step()
    return step._as_graph_element() if isinstance(step, Variable) else read


class LoggingTensorHook(SessionRunHook):
    """Logs tensors (by name or tensor) every N local steps, every N seconds, and/or at the end.

        hook = tf.train.LoggingTensorHook({"loss": loss, "step": "global_step"}, every_n_iter=100)

    Logs `loss = 0.69, step = 100 (0.123 sec)` through the "tensorflow" logger at INFO, or
    `formatter(dict of values)` when one is given.
    """

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False, formatter=None):
        only_log_at_end = at_end and every_n_iter is None and every_n_secs is None
        if not only_log_at_end and (every_n_iter is None) == (every_n_secs is None):
            raise ValueError("either at_end and/or exactly one of every_n_iter and every_n_secs must be provided.")
        if every_n_iter is not None and every_n_iter <= 0:
            raise ValueError(f"invalid every_n_iter={every_n_iter}.")
        if not isinstance(tensors, dict):
            self._tag_order = list(tensors)
            tensors = {item: item for item in tensors}
        else:
            self._tag_order = sorted(tensors)
        self._tensors = tensors
        self._formatter = formatter
        self._timer = NeverTriggerTimer() if only_log_at_end else SecondOrStepTimer(every_secs=every_n_secs,
                                                                                    every_steps=every_n_iter)
        self._log_at_end = at_end

    def begin(self) -> None:
        self._timer.reset()
        self._iter_count = 0
        self._current_tensors = {tag: _as_graph_element(tensor) for tag, tensor in self._tensors.items()}

    def before_run(self, run_context):
        self._should_trigger = self._timer.should_trigger_for_step(self._iter_count)
        return SessionRunArgs(self._current_tensors) if self._should_trigger else None

    def _log_tensors(self, tensor_values) -> None:
        if self._formatter is None and not _logger.isEnabledFor(logging.INFO):
            # TF1's default verbosity (WARN): the line would go nowhere, so it is not formatted (numpy's print
            # options, set and restored around it, cost most of a step). A formatter still runs: it is the
            # caller's code.
            self._timer.update_last_triggered_step(self._iter_count)
            return
        original = np.get_printoptions()
        np.set_printoptions(suppress=True)
        try:
            elapsed_secs, _ = self._timer.update_last_triggered_step(self._iter_count)
            if self._formatter:
                _logger.info(self._formatter(tensor_values))
            else:
                stats = ", ".join(f"{tag} = {tensor_values[tag]}" for tag in self._tag_order)
                if elapsed_secs is not None:
                    _logger.info("%s (%.3f sec)", stats, elapsed_secs)
                else:
                    _logger.info("%s", stats)
        finally:
            np.set_printoptions(**original)

    def after_run(self, run_context, run_values) -> None:
        if self._should_trigger:
            self._log_tensors(run_values.results)
        self._iter_count += 1

    def end(self, session) -> None:
        if self._log_at_end:
            self._log_tensors(session.run(self._current_tensors))


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches `last_step`, or `num_steps` steps after the session began."""

    def __init__(self, num_steps=None, last_step=None):
        if num_steps is None and last_step is None:
            raise ValueError("One of num_steps or last_step must be specified.")
        if num_steps is not None and last_step is not None:
            raise ValueError("Only one of num_steps or last_step can be specified.")
        self._num_steps = num_steps
        self._last_step = last_step

    def begin(self) -> None:
        self._global_step_tensor = _global_step_read("StopAtStepHook")
        self._request = SessionRunArgs(self._global_step_tensor)  # the same every step (immutable)

    def after_create_session(self, session, coord) -> None:
        if self._last_step is None:
            self._last_step = int(session.run(self._global_step_tensor)) + self._num_steps

    def before_run(self, run_context):
        return self._request

    def after_run(self, run_context, run_values) -> None:
        # The fetched value is the step before this run's increment; confirm with a fresh read.
        if run_values.results + 1 >= self._last_step:
            if run_context.session.run(self._global_step_tensor) >= self._last_step:
                run_context.request_stop()


class CheckpointSaverListener:
    """Called around each checkpoint `CheckpointSaverHook` writes; `after_save` returning True stops training.

        class Evaluate(tf.train.CheckpointSaverListener):
            def after_save(self, session, global_step_value):
                return evaluate_latest() > 0.99   # True: request a stop
    """

    def begin(self) -> None:
        pass

    def before_save(self, session, global_step_value) -> None:
        pass

    def after_save(self, session, global_step_value):
        pass

    def end(self, session, global_step_value) -> None:
        pass


class CheckpointSaverHook(SessionRunHook):
    """Saves `checkpoint_dir/model.ckpt-<step>` every N steps or seconds, when the session starts, and at the end.

    The first `after_create_session` also writes `graph.pbtxt` and the graph and meta graph
    events, as TF1's. Exactly one of `save_secs`/`save_steps`; at most one of `saver`/`scaffold`.
    """

    def __init__(self, checkpoint_dir, save_secs=None, save_steps=None, saver=None, checkpoint_basename="model.ckpt",
                 scaffold=None, listeners=None, save_graph_def=True):
        _logger.info("Create CheckpointSaverHook.")
        if saver is not None and scaffold is not None:
            raise ValueError("You cannot provide both saver and scaffold.")
        self._saver = saver
        self._checkpoint_dir = checkpoint_dir
        self._save_path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)
        self._listeners = listeners or []
        self._steps_per_run = 1
        self._save_graph_def = save_graph_def

    def begin(self) -> None:
        self._summary_writer = FileWriterCache.get(self._checkpoint_dir)
        self._global_step_tensor = _global_step_read("CheckpointSaverHook")
        self._request = SessionRunArgs(self._global_step_tensor)
        for listener in self._listeners:
            listener.begin()

    def after_create_session(self, session, coord) -> None:
        global_step = int(session.run(self._global_step_tensor))
        if self._save_graph_def:
            # Here, not in begin(): other hooks may still add ops in their begin().
            graph = get_default_graph()
            try:
                graph_def = graph.as_graph_def(add_shapes=True)
            except UnexportableGraphError as exc:
                # A tf.data pipeline built in Python has no GraphDef form. TF's graph.pbtxt holds the pipeline
                # as Dataset ops (TensorSliceDataset, BatchDatasetV2, ..., MakeIterator); this one keeps the
                # iterator node and notes the left-out pipeline in its `_estflow_unencodable_attr` attr, so
                # TensorBoard still draws the model. Only the .meta files (meant for re-import) are left out.
                _logger.info("graph.pbtxt written without the Python tf.data pipeline: %s", exc)
                graph_def = graph_to_graph_def(graph, add_shapes=True, strict=False)
            write_graph(graph_def, self._checkpoint_dir, "graph.pbtxt")
            self._summary_writer.add_graph(None, graph_def=graph_def)
            self._summary_writer.add_meta_graph(meta_graph.create_meta_graph_def(
                graph_def=graph_def, saver_def=self._get_saver().saver_def, graph=graph))
        # The state at `global_step`, before any step of this session.
        self._save(session, global_step)
        self._timer.update_last_triggered_step(global_step)

    def before_run(self, run_context):
        return self._request

    def after_run(self, run_context, run_values) -> None:
        if self._timer.should_trigger_for_step(run_values.results + self._steps_per_run):
            global_step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(global_step):
                self._timer.update_last_triggered_step(global_step)
                if self._save(run_context.session, global_step):
                    run_context.request_stop()

    def end(self, session) -> None:
        last_step = int(session.run(self._global_step_tensor))
        if last_step != self._timer.last_triggered_step():
            self._save(session, last_step)
        for listener in self._listeners:
            listener.end(session, last_step)
        self._summary_writer.flush()  # the graph and checkpoint events are readable once training returns

    def _save(self, session, step) -> bool:
        """Save at `step`; True when a listener asks to stop."""
        _logger.info("Calling checkpoint listeners before saving checkpoint %d...", step)
        for listener in self._listeners:
            listener.before_save(session, step)
        _logger.info("Saving checkpoints for %d into %s.", step, self._save_path)
        self._get_saver().save(session, self._save_path, global_step=step, write_meta_graph=self._save_graph_def)
        self._summary_writer.add_session_log(
            event_pb2.SessionLog(status=event_pb2.SessionLog.CHECKPOINT, checkpoint_path=self._save_path), step)
        _logger.info("Calling checkpoint listeners after saving checkpoint %d...", step)
        should_stop = False
        for listener in self._listeners:
            if listener.after_save(session, step):
                _logger.info("A CheckpointSaverListener requested that training be stopped. listener: %s", listener)
                should_stop = True
        return should_stop

    def _get_saver(self):
        if self._saver is not None:
            return self._saver
        if self._scaffold is not None:
            return self._scaffold.saver
        savers = get_default_graph().get_collection(GraphKeys.SAVERS)
        if not savers:
            raise RuntimeError(f"No items in collection {GraphKeys.SAVERS}. Please add a saver to the collection "
                               "or provide a saver or scaffold.")
        if len(savers) > 1:
            raise RuntimeError(f"More than one item in collection {GraphKeys.SAVERS}. Please indicate which one to "
                               "use by passing it to the constructor.")
        self._saver = savers[0]
        return self._saver


class StepCounterHook(SessionRunHook):
    """Logs and writes `global_step/sec` every N steps or seconds (exactly one)."""

    def __init__(self, every_n_steps=100, every_n_secs=None, output_dir=None, summary_writer=None):
        if (every_n_steps is None) == (every_n_secs is None):
            raise ValueError("exactly one of every_n_steps and every_n_secs should be provided.")
        self._timer = SecondOrStepTimer(every_steps=every_n_steps, every_secs=every_n_secs)
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._last_global_step = None
        self._stalled_warnings = 0
        self._steps_per_run = 1

    def begin(self) -> None:
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = FileWriterCache.get(self._output_dir)
        self._global_step_tensor = _global_step_read("StepCounterHook")
        self._summary_tag = training_util.get_global_step().op.name + "/sec"
        self._request = SessionRunArgs(self._global_step_tensor)

    def before_run(self, run_context):
        return self._request

    def _log_and_record(self, elapsed_steps, elapsed_time, global_step) -> None:
        steps_per_sec = elapsed_steps / elapsed_time if elapsed_time > 0 else float("inf")
        if self._summary_writer is not None:
            summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=self._summary_tag,
                                                                           simple_value=steps_per_sec)])
            self._summary_writer.add_summary(summary, global_step)
        _logger.info("%s: %g", self._summary_tag, steps_per_sec)

    def after_run(self, run_context, run_values) -> None:
        stale_global_step = run_values.results
        if self._timer.should_trigger_for_step(stale_global_step + self._steps_per_run):
            global_step = int(run_context.session.run(self._global_step_tensor))
            if self._timer.should_trigger_for_step(global_step):
                elapsed_time, elapsed_steps = self._timer.update_last_triggered_step(global_step)
                if elapsed_time is not None:
                    self._log_and_record(elapsed_steps, elapsed_time, global_step)
        if stale_global_step == self._last_global_step and self._stalled_warnings < 5:  # TF1's log_first_n(5)
            self._stalled_warnings += 1
            _logger.warning("It seems that global step (tf.train.get_global_step) has not been increased. Current "
                            "value (could be stable): %s vs previous value: %s. You could increase the global step "
                            "by passing tf.train.get_global_step() to Optimizer.apply_gradients or "
                            "Optimizer.minimize.", stale_global_step, self._last_global_step)
        self._last_global_step = stale_global_step


class NanLossDuringTrainingError(RuntimeError):
    """Raised by `NanTensorHook` when the loss is NaN."""

    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Raises `NanLossDuringTrainingError` (or, with fail_on_nan_loss=False, requests a stop) when the loss is NaN."""

    def __init__(self, loss_tensor, fail_on_nan_loss=True):
        self._loss_tensor = loss_tensor
        self._fail_on_nan_loss = fail_on_nan_loss

    def begin(self) -> None:
        self._request = SessionRunArgs(self._loss_tensor)

    def before_run(self, run_context):
        return self._request

    def after_run(self, run_context, run_values) -> None:
        loss = run_values.results
        # (a Python or numpy float is NaN exactly when it differs from itself: np.isnan's call costs more)
        if (loss != loss) if loss.__class__ in _FLOAT_SCALARS else np.isnan(loss):
            message = "Model diverged with loss = NaN."
            if self._fail_on_nan_loss:
                _logger.error(message)
                raise NanLossDuringTrainingError
            _logger.warning(message)
            run_context.request_stop()


class SummarySaverHook(SessionRunHook):
    """Writes the summary op's result every N steps or seconds to `output_dir` (or `summary_writer`).

    Exactly one of `scaffold` (its `summary_op`) and `summary_op` (a tensor or a list of them).
    The first step also writes a `SessionLog.START` event.
    """

    def __init__(self, save_steps=None, save_secs=None, output_dir=None, summary_writer=None, scaffold=None,
                 summary_op=None):
        if (scaffold is None) == (summary_op is None):
            raise ValueError("Exactly one of scaffold or summary_op must be provided.")
        self._summary_op = summary_op
        self._summary_writer = summary_writer
        self._output_dir = output_dir
        self._scaffold = scaffold
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        if self._summary_writer is None and self._output_dir:
            self._summary_writer = FileWriterCache.get(self._output_dir)
        self._next_step = None
        self._global_step_tensor = _global_step_read("SummarySaver")
        self._step_request = SessionRunArgs(self._global_step_tensor)  # most steps' request: a tensor, not a dict

    def before_run(self, run_context):
        self._request_summary = self._next_step is None or self._timer.should_trigger_for_step(self._next_step)
        if not self._request_summary:
            return self._step_request
        requests = {"global_step": self._global_step_tensor}
        summary_op = self._get_summary_op()
        if summary_op is not None:
            requests["summary"] = summary_op
        return SessionRunArgs(requests)

    def after_run(self, run_context, run_values) -> None:
        if not self._summary_writer:
            return
        results = run_values.results
        global_step = (results["global_step"] if self._request_summary else results) + 1
        if self._next_step is None or self._request_summary:
            global_step = int(run_context.session.run(self._global_step_tensor))
        if self._next_step is None:
            self._summary_writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START),
                                                 global_step)
        if self._request_summary:
            self._timer.update_last_triggered_step(global_step)
            for summary in run_values.results.get("summary", ()):
                self._summary_writer.add_summary(summary, global_step)
        self._next_step = global_step + 1

    def end(self, session=None) -> None:
        if self._summary_writer:
            self._summary_writer.flush()

    def _get_summary_op(self):
        summary_op = self._summary_op if self._summary_op is not None else self._scaffold.summary_op
        if summary_op is None:
            return None
        return summary_op if isinstance(summary_op, list) else [summary_op]


class GlobalStepWaiterHook(SessionRunHook):
    """Delays the first step until the global step reaches `wait_until_step` (workers waiting for the chief)."""

    def __init__(self, wait_until_step):
        self._wait_until_step = wait_until_step

    def begin(self) -> None:
        self._worker_is_started = False
        self._global_step_tensor = _global_step_read("_GlobalStepWaiterHook")

    def before_run(self, run_context):
        if self._worker_is_started:
            return None
        if self._wait_until_step <= 0:
            self._worker_is_started = True
            return None
        _logger.info("Waiting for global step %d before starting training.", self._wait_until_step)
        last_logged_step = 0
        while True:
            current_step = int(run_context.session.run(self._global_step_tensor))
            if current_step >= self._wait_until_step:
                self._worker_is_started = True
                return None
            if current_step - last_logged_step > 1000:
                _logger.info("Waiting for global step %d before starting training. Current step is %d.",
                             self._wait_until_step, current_step)
                last_logged_step = current_step
            time.sleep(0.5)


class FinalOpsHook(SessionRunHook):
    """Runs `final_ops` once at the end of the session; their values are in `final_ops_values`."""

    def __init__(self, final_ops, final_ops_feed_dict=None):
        self._final_ops = final_ops
        self._final_ops_feed_dict = final_ops_feed_dict
        self._final_ops_values = None

    @property
    def final_ops_values(self):
        return self._final_ops_values

    def end(self, session) -> None:
        if self._final_ops is None:
            return
        try:
            self._final_ops_values = session.run(self._final_ops, feed_dict=self._final_ops_feed_dict)
        except (errors.OutOfRangeError, StopIteration):
            _logger.warning("An OutOfRangeError or StopIteration exception is raised by the code in FinalOpsHook. "
                            "This typically means the Ops running by the FinalOpsHook have a dependency back to "
                            "some input source, which should not happen. For example, for metrics in "
                            "tf.estimator.Estimator, all metrics functions return two Ops: `value_op` and "
                            "`update_op`. Estimator.evaluate calls the `update_op` for each batch of the data in "
                            "input source and, once it is exhausted, it call the `value_op` to get the metric "
                            "values. The `value_op` here should have dependency back to variables reading only, "
                            "rather than reading another batch from input. Otherwise, the `value_op`, executed by "
                            "`FinalOpsHook`, triggers another data reading, which ends OutOfRangeError/"
                            "StopIteration. Please fix that.")
            raise


class FeedFnHook(SessionRunHook):
    """Feeds `feed_fn()` (a dict) into every run."""

    def __init__(self, feed_fn):
        self.feed_fn = feed_fn

    def before_run(self, run_context):
        return SessionRunArgs(fetches=None, feed_dict=self.feed_fn())


class ProfilerHook(SessionRunHook):
    """Writes a Chrome trace `output_dir/timeline-<step>.json` of one step every N steps or seconds.

    The traced step's `RunMetadata` also goes to the event file in `output_dir` (tagged
    `step_<N>`). Open a trace in chrome://tracing or ui.perfetto.dev.
    """

    def __init__(self, save_steps=None, save_secs=None, output_dir="", show_dataflow=True, show_memory=False):
        self._output_file = os.path.join(output_dir, "timeline-{}.json")
        self._file_writer = FileWriterCache.get(output_dir)
        self._show_dataflow = show_dataflow
        self._show_memory = show_memory
        self._timer = SecondOrStepTimer(every_secs=save_secs, every_steps=save_steps)

    def begin(self) -> None:
        self._next_step = None
        self._global_step_tensor = _global_step_read("ProfilerHook")

    def before_run(self, run_context):
        self._request_summary = self._next_step is not None and self._timer.should_trigger_for_step(self._next_step)
        options = config_pb2.RunOptions(trace_level=config_pb2.RunOptions.FULL_TRACE) if self._request_summary \
            else None
        return SessionRunArgs({"global_step": self._global_step_tensor}, options=options)

    def after_run(self, run_context, run_values) -> None:
        stale_global_step = run_values.results["global_step"]
        if self._next_step is None:
            # Never trace the first step: it pays one-time costs.
            self._timer.update_last_triggered_step(stale_global_step)
        global_step = stale_global_step + 1
        if self._request_summary:
            global_step = int(run_context.session.run(self._global_step_tensor))
            self._timer.update_last_triggered_step(global_step)
            self._save(global_step, self._output_file.format(global_step), run_values.run_metadata.step_stats)
            self._file_writer.add_run_metadata(run_values.run_metadata, f"step_{global_step}")
        self._next_step = global_step + 1

    def _save(self, step, save_path, step_stats) -> None:
        _logger.info("Saving timeline for %d into '%s'.", step, save_path)
        trace = timeline.Timeline(step_stats).generate_chrome_trace_format(show_dataflow=self._show_dataflow,
                                                                            show_memory=self._show_memory)
        with open(save_path, "w") as f:
            f.write(trace)
