"""TF1's `tf.train.Supervisor` (the managed session before MonitoredSession), `LooperThread`, `basic_train_loop`.

    sv = tf.train.Supervisor(logdir="/tmp/run")         # init op, saver, summaries: the graph's defaults
    with sv.managed_session() as sess:                  # restored from logdir's checkpoint, or initialized
        while not sv.should_stop():
            sess.run(train_op)
    # services ran meanwhile: a checkpoint every save_model_secs, summaries every save_summaries_secs

A Supervisor finalizes the graph. Its "standard services" are LooperThreads on its
Coordinator: SVTimerCheckpointThread (saves `logdir/model.ckpt-<step>`), SVSummaryThread
(runs the summary op into `logdir`'s events) and SVStepCounterThread (`global_step/sec`).
An exception in the `with` block or a service stops them all and is raised again when the
block exits, except OutOfRangeError, the clean end of the input.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

from estflow.core import errors
from estflow.core.graph import GraphKeys, get_default_graph
from estflow.core.graph_io import UnexportableGraphError, graph_to_graph_def, write_graph
from estflow.core.ops.control_flow_ops import group
from estflow.core.protos import event_pb2, summary_pb2
from estflow.core.variables import (
    global_variables,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)
from estflow.hooks.monitored_session import Coordinator, SessionManager
from estflow.library.lookup_ops import tables_initializer
from estflow.library.queue_runner_impl import start_queue_runners
from estflow.summary.summary import merge_all
from estflow.summary.writer import FileWriter
from estflow.training import training_util
from estflow.training.meta_graph import create_meta_graph_def
from estflow.training.saver import Saver

_logger = logging.getLogger("estflow")


# ---- LooperThread --------------------------------------------------------------------------------------
class LooperThread(threading.Thread):
    """A thread running code repeatedly (back to back, or every `timer_interval_secs`) until its Coordinator
    stops, as `tf.train.LooperThread`. An exception it raises is reported to the Coordinator, which stops
    the others.

        tf.train.LooperThread.loop(coord, 60, target=report_progress)   # every minute until coord stops
    """

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        if not isinstance(coord, Coordinator):
            raise ValueError(f"'coord' argument must be a Coordinator: {coord}")
        super().__init__()
        self.daemon = True
        self._coord = coord
        self._timer_interval_secs = timer_interval_secs
        self._target = target
        if self._target:
            self._args = args or ()
            self._kwargs = kwargs or {}
        elif args or kwargs:
            raise ValueError("'args' and 'kwargs' argument require that you also pass 'target'")
        self._coord.register_thread(self)

    @staticmethod
    def loop(coord, timer_interval_secs, target, args=None, kwargs=None) -> LooperThread:
        """Start a LooperThread calling `target(*args, **kwargs)` periodically; returns it."""
        looper = LooperThread(coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        looper.start()
        return looper

    def run(self):
        with self._coord.stop_on_exception():
            self.start_loop()
            if self._timer_interval_secs is None:
                while not self._coord.should_stop():
                    self.run_loop()
            else:
                next_timer_time = time.time()
                while not self._coord.wait_for_stop(next_timer_time - time.time()):
                    next_timer_time += self._timer_interval_secs
                    self.run_loop()
            self.stop_loop()

    def start_loop(self):
        """Called when the thread starts."""

    def stop_loop(self):
        """Called when the thread stops."""

    def run_loop(self):
        """Called at each `timer_interval_secs` boundary (or back to back)."""
        if self._target:
            self._target(*self._args, **self._kwargs)


# ---- the Supervisor's services ------------------------------------------------------------------------------
class SVSummaryThread(LooperThread):
    """Runs the summary op (and the global step) every `save_summaries_secs`, into the summary writer."""

    def __init__(self, sv, sess):
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv = sv
        self._sess = sess

    def run_loop(self):
        if self._sv.global_step is not None:
            summary_strs, global_step = self._sess.run([self._sv.summary_op, self._sv.global_step])
        else:
            summary_strs, global_step = self._sess.run(self._sv.summary_op), None
        if self._sv.summary_writer:
            _logger.info("Recording summary at step %s.", global_step)
            self._sv.summary_writer.add_summary(summary_strs, global_step)


class SVStepCounterThread(LooperThread):
    """Writes `<global step>/sec` every `save_summaries_secs`."""

    def __init__(self, sv, sess, step_counter=None):
        super().__init__(sv.coord, sv.save_summaries_secs)
        self._sv = sv
        self._sess = sess
        self._last_time = 0.0
        self._last_step = 0
        self._step_counter = sv.global_step if step_counter is None else step_counter
        self._summary_tag = f"{self._step_counter.op.name}/sec"

    def start_loop(self):
        self._last_time = time.time()
        self._last_step = training_util.global_step(self._sess, self._step_counter)

    def run_loop(self):
        current_step = training_util.global_step(self._sess, self._step_counter)
        added_steps = current_step - self._last_step
        self._last_step = current_step
        current_time = time.time()
        elapsed_time = current_time - self._last_time
        self._last_time = current_time
        steps_per_sec = added_steps / elapsed_time if elapsed_time > 0.0 else float("inf")
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=self._summary_tag,
                                                                       simple_value=steps_per_sec)])
        if self._sv.summary_writer:
            self._sv.summary_writer.add_summary(summary, current_step)
        _logger.info("%s: %g", self._summary_tag, steps_per_sec)


class SVTimerCheckpointThread(LooperThread):
    """Saves a checkpoint to `save_path` every `save_model_secs`."""

    def __init__(self, sv, sess):
        super().__init__(sv.coord, sv.save_model_secs)
        self._sv = sv
        self._sess = sess

    def run_loop(self):
        _logger.info("Saving checkpoint to path %s", self._sv.save_path)
        self._sv.saver.save(self._sess, self._sv.save_path, global_step=self._sv.global_step)
        if self._sv.summary_writer and self._sv.global_step is not None:
            current_step = training_util.global_step(self._sess, self._sv.global_step)
            self._sv.summary_writer.add_session_log(
                event_pb2.SessionLog(status=event_pb2.SessionLog.CHECKPOINT, checkpoint_path=self._sv.save_path),
                current_step)


# ---- the Supervisor ---------------------------------------------------------------------------------------------
class Supervisor:
    """A training helper that initializes or restores the model, runs checkpoint and summary threads, and
    stops cleanly, as TF1's `tf.train.Supervisor` (see the module docstring for an example).

    Every op argument defaults (`USE_DEFAULT`) to the first op of its graph collection, or to the op
    TF1 creates and records there: `init_op` global_variables_initializer (INIT_OP), `ready_op`
    report_uninitialized_variables (READY_OP), `local_init_op` local variables and tables
    (LOCAL_INIT_OP), `saver` a Saver of every variable (SAVERS), `summary_op` merge_all (SUMMARY_OP),
    `global_step` the graph's global step. None turns one off. The graph is finalized.
    """

    USE_DEFAULT = 0

    def __init__(self, graph=None, ready_op=USE_DEFAULT, ready_for_local_init_op=USE_DEFAULT, is_chief=True,
                 init_op=USE_DEFAULT, init_feed_dict=None, local_init_op=USE_DEFAULT, logdir=None,
                 summary_op=USE_DEFAULT, saver=USE_DEFAULT, global_step=USE_DEFAULT, save_summaries_secs=120,
                 save_model_secs=600, recovery_wait_secs=30, stop_grace_secs=120, checkpoint_basename="model.ckpt",
                 session_manager=None, summary_writer=USE_DEFAULT, init_fn=None, local_init_run_options=None):
        graph = get_default_graph() if graph is None else graph
        with graph.as_default():
            self._init_ready_op(graph, ready_op, ready_for_local_init_op)
            self._init_init_op(graph, init_op, init_feed_dict)
            self._init_local_init_op(graph, local_init_op)
            self._init_saver(graph, saver)
            self._init_summary_op(graph, summary_op)
            self._init_global_step(graph, global_step)
        self._graph = graph
        self._meta_graph_def = None  # written with the graph, when the first session starts
        self._is_chief = is_chief
        self._coord = Coordinator()
        self._recovery_wait_secs = recovery_wait_secs
        self._stop_grace_secs = stop_grace_secs
        self._init_fn = init_fn
        self._local_init_run_options = local_init_run_options
        self._started_threads: list = []
        self._logdir = self._save_summaries_secs = self._save_model_secs = self._save_path = None
        self._summary_writer = None
        self._graph_added_to_summary = False
        if self._is_chief:
            self._logdir = logdir
            self._save_summaries_secs = save_summaries_secs
            self._save_model_secs = save_model_secs
            if self._logdir:
                self._save_path = os.path.join(self._logdir, checkpoint_basename)
            if summary_writer is Supervisor.USE_DEFAULT:
                if self._logdir:
                    self._summary_writer = FileWriter(self._logdir)
            else:
                self._summary_writer = summary_writer
        self._session_manager = session_manager if session_manager is not None else SessionManager(
            local_init_op=self._local_init_op, ready_op=self._ready_op,
            ready_for_local_init_op=self._ready_for_local_init_op, graph=self._graph,
            recovery_wait_secs=self._recovery_wait_secs, local_init_run_options=self._local_init_run_options)
        if self._is_chief and self._logdir and self._saver is None and save_model_secs:
            _logger.info("No saver: the Supervisor will not save checkpoints.")
        graph.finalize()

    # ---- defaults from the graph's collections -----------------------------------------------------
    @staticmethod
    def _first(graph, key):
        items = graph.get_collection(key)
        if len(items) > 1:
            _logger.info("Found %d %s operations. Returning the first one.", len(items), key)
        return items[0] if items else None

    def _init_ready_op(self, graph, ready_op, ready_for_local_init_op):
        if ready_op is Supervisor.USE_DEFAULT:
            ready_op = self._first(graph, GraphKeys.READY_OP)
            if ready_op is None:
                ready_op = report_uninitialized_variables()
                graph.add_to_collection(GraphKeys.READY_OP, ready_op)
        self._ready_op = ready_op
        if ready_for_local_init_op is Supervisor.USE_DEFAULT:
            ready_for_local_init_op = self._first(graph, GraphKeys.READY_FOR_LOCAL_INIT_OP)
        self._ready_for_local_init_op = ready_for_local_init_op

    def _init_init_op(self, graph, init_op, init_feed_dict):
        if init_op is Supervisor.USE_DEFAULT:
            init_op = self._first(graph, GraphKeys.INIT_OP)
            if init_op is None:
                init_op = global_variables_initializer()
                graph.add_to_collection(GraphKeys.INIT_OP, init_op)
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict

    def _init_local_init_op(self, graph, local_init_op):
        if local_init_op is Supervisor.USE_DEFAULT:
            local_init_op = self._first(graph, GraphKeys.LOCAL_INIT_OP)
            if local_init_op is None:
                local_init_op = group(local_variables_initializer(), tables_initializer())
                graph.add_to_collection(GraphKeys.LOCAL_INIT_OP, local_init_op)
        self._local_init_op = local_init_op

    def _init_saver(self, graph, saver):
        if saver is Supervisor.USE_DEFAULT:
            saver = self._first(graph, GraphKeys.SAVERS)
            if saver is None and global_variables():
                saver = Saver()
                graph.add_to_collection(GraphKeys.SAVERS, saver)
        self._saver = saver

    def _init_summary_op(self, graph, summary_op):
        if summary_op is Supervisor.USE_DEFAULT:
            summary_op = self._first(graph, GraphKeys.SUMMARY_OP)
            if summary_op is None:
                summary_op = merge_all()
                if summary_op is not None:
                    graph.add_to_collection(GraphKeys.SUMMARY_OP, summary_op)
        self._summary_op = summary_op

    def _init_global_step(self, graph, global_step):
        if global_step is Supervisor.USE_DEFAULT:
            global_step = self._first(graph, GraphKeys.GLOBAL_STEP)
            if global_step is None:
                try:
                    global_step = graph.get_tensor_by_name("global_step:0")
                except KeyError:
                    global_step = None
            if global_step is not None:
                _logger.info("Found global_step: %s", global_step.name)
        self._global_step = global_step

    # ---- properties -------------------------------------------------------------------------------------
    is_chief = property(lambda self: self._is_chief)
    session_manager = property(lambda self: self._session_manager)
    coord = property(lambda self: self._coord)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    summary_writer = property(lambda self: self._summary_writer)
    summary_op = property(lambda self: self._summary_op)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)
    global_step = property(lambda self: self._global_step)
    saver = property(lambda self: self._saver)
    save_model_secs = property(lambda self: self._save_model_secs)
    save_path = property(lambda self: self._save_path)

    # ---- sessions and services ------------------------------------------------------------------------------
    def _write_graph(self) -> None:
        """`logdir/graph.pbtxt` and the graph and meta graph events, once."""
        if self._graph_added_to_summary or not self._logdir:
            return
        try:
            graph_def = self._graph.as_graph_def(add_shapes=True)
        except UnexportableGraphError as exc:  # a Python tf.data pipeline: drawn without it, as CheckpointSaverHook
            _logger.info("graph.pbtxt written without the Python tf.data pipeline: %s", exc)
            graph_def = graph_to_graph_def(self._graph, add_shapes=True, strict=False)
        write_graph(graph_def, self._logdir, "graph.pbtxt")
        if self._summary_writer is not None:
            self._meta_graph_def = create_meta_graph_def(
                graph_def=graph_def, saver_def=self._saver.saver_def if self._saver else None, graph=self._graph)
            self._summary_writer.add_graph(None, graph_def=graph_def)
            self._summary_writer.add_meta_graph(self._meta_graph_def)
        self._graph_added_to_summary = True

    def start_standard_services(self, sess) -> list:
        """Start the checkpoint, summary and step counter threads (chief only); returns them."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. Because only chief supervisors "
                               "can write events.")
        threads = []
        if self._logdir:
            if self._summary_writer is not None and self._global_step is not None:
                current_step = training_util.global_step(sess, self._global_step)
                self._summary_writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.START),
                                                     current_step)
            if self._save_summaries_secs and self._summary_writer:
                if self._summary_op is not None:
                    threads.append(SVSummaryThread(self, sess))
                if self._global_step is not None:
                    threads.append(SVStepCounterThread(self, sess))
            if self._saver and self._save_model_secs:
                threads.append(SVTimerCheckpointThread(self, sess))
        for thread in threads:
            thread.start()
        self._started_threads.extend(threads)
        return threads

    def start_queue_runners(self, sess, queue_runners=None) -> list:
        """Start the graph's queue runners (or `queue_runners`) on this Supervisor's Coordinator."""
        if queue_runners is None:
            threads = start_queue_runners(sess, coord=self._coord)
        else:
            threads = [t for qr in queue_runners for t in qr.create_threads(sess, coord=self._coord, daemon=True,
                                                                              start=True)]
        self._started_threads.extend(threads)
        return threads

    def prepare_or_wait_for_session(self, master="", config=None, wait_for_checkpoint=False, max_wait_secs=7200,
                                    start_standard_services=True):
        """A session ready to run: the chief restores `logdir`'s latest checkpoint or runs the init ops (and
        starts the services); other tasks wait until the model is ready."""
        self._coord.clear_stop()
        if self._summary_writer:
            self._summary_writer.reopen()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self.init_op, saver=self.saver, checkpoint_dir=self._logdir,
                wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config,
                init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
            self._write_graph()
            if start_standard_services:
                _logger.info("Starting standard services.")
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config, max_wait_secs=max_wait_secs)
        if start_standard_services:
            _logger.info("Starting queue runners.")
            self.start_queue_runners(sess)
        return sess

    @contextlib.contextmanager
    def managed_session(self, master="", config=None, start_standard_services=True, close_summary_writer=True):
        """A context manager yielding a prepared session; on exit it stops the services and closes the session,
        raising again any exception of the block or a service except OutOfRangeError."""
        try:
            sess = self.prepare_or_wait_for_session(master=master, config=config,
                                                    start_standard_services=start_standard_services)
            yield sess
        except Exception as e:  # noqa: BLE001 - handed to the Coordinator, which raises it again in stop()
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                try:
                    sess.close()
                except Exception:  # noqa: BLE001, S110 - as TF: the session may already be gone
                    pass

    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False) -> None:
        """Stop the services (and `threads`), waiting up to stop_grace_secs; raises what stopped them."""
        self._coord.request_stop()
        try:
            self._coord.join(threads, stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)
        finally:
            if close_summary_writer and self._summary_writer:
                self._summary_writer.add_session_log(event_pb2.SessionLog(status=event_pb2.SessionLog.STOP))
                self._summary_writer.close()
                self._graph_added_to_summary = False
            self._started_threads = []

    def request_stop(self, ex=None) -> None:
        self._coord.request_stop(ex=ex)

    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def stop_on_exception(self):
        return self._coord.stop_on_exception()

    def wait_for_stop(self) -> None:
        self._coord.wait_for_stop()

    def loop(self, timer_interval_secs, target, args=None, kwargs=None) -> LooperThread:
        """Start a LooperThread on this Supervisor's Coordinator calling `target` every `timer_interval_secs`."""
        looper = LooperThread(self._coord, timer_interval_secs, target=target, args=args, kwargs=kwargs)
        looper.start()
        self._started_threads.append(looper)
        return looper

    def summary_computed(self, sess, summary, global_step=None) -> None:
        """Write `summary` (from running a summary op) at `global_step` (default: the current one)."""
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self.global_step is not None:
            global_step = training_util.global_step(sess, self.global_step)
        self._summary_writer.add_summary(summary, global_step)

    # TF1's CamelCase aliases
    PrepareSession = prepare_or_wait_for_session  # noqa: N815
    StartQueueRunners = start_queue_runners  # noqa: N815
    StartStandardServices = start_standard_services  # noqa: N815
    Stop = stop  # noqa: N815
    RequestStop = request_stop  # noqa: N815
    Loop = loop  # noqa: N815
    ShouldStop = should_stop  # noqa: N815
    StopOnException = stop_on_exception  # noqa: N815
    WaitForStop = wait_for_stop  # noqa: N815
    SummaryComputed = summary_computed  # noqa: N815


def basic_train_loop(supervisor, train_step_fn, args=None, kwargs=None, master=""):
    """Calls `train_step_fn(sess, *args, **kwargs)` until `supervisor` stops, starting over on AbortedError
    (a preempted worker), as `tf.train.basic_train_loop`."""
    args = [] if args is None else args
    kwargs = {} if kwargs is None else kwargs
    should_retry = True
    while should_retry:
        try:
            should_retry = False
            with supervisor.managed_session(master) as sess:
                while not supervisor.should_stop():
                    train_step_fn(sess, *args, **kwargs)
        except errors.AbortedError:
            should_retry = True
