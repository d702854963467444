"""Monitored sessions: a session that initializes or restores itself, runs hooks and closes cleanly (TF1's).

    with tf.train.MonitoredTrainingSession(checkpoint_dir=d, hooks=[...]) as sess:
        while not sess.should_stop():
            sess.run(train_op)

What happens, in order:

    for hook in hooks: hook.begin()
    scaffold.finalize()                # default init, ready, local init, summary ops, Saver; graph finalized
    sess = SessionManager.prepare_session(...)   # restore the latest checkpoint of checkpoint_dir, else init_op
    for hook in hooks: hook.after_create_session(sess, coord)
    ... run() calls with before_run / after_run (see session_run_hook) ...
    on close, or leaving `with` normally or on OutOfRangeError / StopIteration:
        for hook in hooks: hook.end(sess)          # e.g. the final checkpoint
    sess.close()                       # the graph is unfinalized again if it was open before

OutOfRangeError raised by the input ends the loop: `should_stop()` becomes True and the
`with` block swallows it. AbortedError and UnavailableError make `MonitoredSession` (not
`SingularMonitoredSession`) recreate its session, restoring from the last checkpoint.
"""

from __future__ import annotations

import gc
import inspect
import logging
import threading
import time

import numpy as np

from estflow.core import errors
from estflow.core.graph import GraphKeys, get_default_graph
from estflow.core.ops.control_flow_ops import group
from estflow.core.protos import config_pb2, saver_pb2
from estflow.core.session import Session
from estflow.core.variables import (
    global_variables,
    global_variables_initializer,
    local_variables_initializer,
    report_uninitialized_variables,
)
from estflow.hooks import basic_session_run_hooks as hooks_lib
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues
from estflow.library.lookup_ops import tables_initializer
from estflow.library.queue_runner_impl import start_queue_runners
from estflow.summary.summary import merge_all
from estflow.training import checkpoint_management
from estflow.training.saver import Saver

_logger = logging.getLogger("tensorflow")

USE_DEFAULT = object()
_PREEMPTION_ERRORS = (errors.AbortedError, errors.UnavailableError)


class Coordinator:
    """Stops a set of threads together (`tf.train.Coordinator`); hooks get one in `after_create_session`."""

    def __init__(self, clean_stop_exception_types=None):
        self._clean_stop_exception_types = tuple(clean_stop_exception_types or (errors.OutOfRangeError,))
        self._lock = threading.Lock()
        self._stop_event = threading.Event()
        self._exc_info_to_raise = None
        self._joined = False
        self._registered_threads: set = set()

    def request_stop(self, ex=None) -> None:
        """Ask every thread to stop; `ex` (an exception or exc_info) is re-raised by `join()`."""
        with self._lock:
            if self._joined:
                return
            # TF1: only the exception that requests the stop is reported; one after it is not.
            if ex is not None and self._exc_info_to_raise is None and not self._stop_event.is_set():
                if isinstance(ex, tuple):
                    exc_info = ex
                else:
                    exc_info = (type(ex), ex, ex.__traceback__)
                if not issubclass(exc_info[0], self._clean_stop_exception_types):
                    self._exc_info_to_raise = exc_info
            self._stop_event.set()

    def clear_stop(self) -> None:
        with self._lock:
            self._joined = False
            self._exc_info_to_raise = None
            self._stop_event.clear()

    def should_stop(self) -> bool:
        return self._stop_event.is_set()

    def stop_on_exception(self):
        coord = self

        class _Stop:
            def __enter__(self):
                return coord

            def __exit__(self, exc_type, exc, tb):
                if exc_type is not None:
                    coord.request_stop((exc_type, exc, tb))
                    return True
                return False

        return _Stop()

    def wait_for_stop(self, timeout=None) -> bool:
        return self._stop_event.wait(timeout)

    def register_thread(self, thread) -> None:
        with self._lock:
            self._registered_threads.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False) -> None:
        """Wait for the threads to end after a stop request; re-raise the exception passed to `request_stop`."""
        threads = set(threads or ()) | self._registered_threads
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(1.0):
            pass
        deadline = time.time() + stop_grace_period_secs
        for t in threads:
            t.join(max(0.0, deadline - time.time()))
        with self._lock:
            self._joined = True
            self._registered_threads = set()
            exc_info = self._exc_info_to_raise
        stragglers = [t.name for t in threads if t.is_alive()]
        if exc_info is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: {' '.join(stragglers)}")

    @property
    def joined(self) -> bool:
        return self._joined

    def raise_requested_exception(self) -> None:
        with self._lock:
            if self._exc_info_to_raise is not None:
                raise self._exc_info_to_raise[1].with_traceback(self._exc_info_to_raise[2])


class Scaffold:
    """The ops and Saver a monitored session needs; `finalize()` builds TF1's defaults for the ones not given.

        scaffold = tf.train.Scaffold(init_fn=lambda scaffold, sess: warm_start(sess))

    Each default is first looked up in its graph collection (INIT_OP, READY_OP, SAVERS...)
    and added there when built, so every monitored session on one graph shares them.
    `init_fn(scaffold, session)` runs after `init_op` when no checkpoint is restored.
    """

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None, ready_for_local_init_op=None,
                 local_init_op=None, summary_op=None, saver=None, copy_from_scaffold=None, local_init_feed_dict=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")

            def coalesce(mine, theirs):
                return mine if mine is not None else theirs

            init_op = coalesce(init_op, copy_from_scaffold.init_op)
            init_feed_dict = coalesce(init_feed_dict, copy_from_scaffold.init_feed_dict)
            # The copied init_fn already takes the session alone.
            init_fn = coalesce(init_fn, copy_from_scaffold._user_init_fn)
            ready_op = coalesce(ready_op, copy_from_scaffold.ready_op)
            ready_for_local_init_op = coalesce(ready_for_local_init_op, copy_from_scaffold.ready_for_local_init_op)
            local_init_op = coalesce(local_init_op, copy_from_scaffold.local_init_op)
            local_init_feed_dict = coalesce(local_init_feed_dict, copy_from_scaffold.local_init_feed_dict)
            summary_op = coalesce(summary_op, copy_from_scaffold.summary_op)
            saver = coalesce(saver, copy_from_scaffold.saver)
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._init_op = init_op
        self._init_feed_dict = init_feed_dict
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._local_init_op = local_init_op
        self._local_init_feed_dict = local_init_feed_dict
        self._summary_op = summary_op
        self._saver = saver

    def finalize(self) -> Scaffold:
        """Build the missing ops (TF1's defaults), build the Saver, and finalize the default graph."""
        if self._init_op is None:
            self._init_op = Scaffold.get_or_default("init_op", GraphKeys.INIT_OP,
                                                    lambda: group(global_variables_initializer()))
        if self._ready_op is None:
            self._ready_op = Scaffold.get_or_default("ready_op", GraphKeys.READY_OP, report_uninitialized_variables)
        if self._ready_for_local_init_op is None:
            self._ready_for_local_init_op = Scaffold.get_or_default(
                "ready_for_local_init_op", GraphKeys.READY_FOR_LOCAL_INIT_OP,
                lambda: report_uninitialized_variables(global_variables()))
        if self._local_init_op is None:
            self._local_init_op = Scaffold.get_or_default("local_init_op", GraphKeys.LOCAL_INIT_OP,
                                                          Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = Scaffold.get_or_default("summary_op", GraphKeys.SUMMARY_OP, merge_all)
        if self._saver is None:
            self._saver = Scaffold.get_or_default(
                "saver", GraphKeys.SAVERS,
                lambda: Saver(sharded=True, allow_empty=True, write_version=saver_pb2.SaverDef.V2))
        self._saver.build()
        get_default_graph().finalize()
        _logger.info("Graph was finalized.")
        return self

    @property
    def init_fn(self):
        return self._init_fn

    @property
    def init_op(self):
        return self._init_op

    @property
    def ready_op(self):
        return self._ready_op

    @property
    def ready_for_local_init_op(self):
        return self._ready_for_local_init_op

    @property
    def local_init_op(self):
        return self._local_init_op

    @property
    def local_init_feed_dict(self):
        return self._local_init_feed_dict

    @property
    def summary_op(self):
        return self._summary_op

    @property
    def saver(self):
        return self._saver

    @property
    def init_feed_dict(self):
        return self._init_feed_dict

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The only item of `collection_key`, else `default_constructor()` (added to the collection)."""
        graph = get_default_graph()
        elements = graph.get_collection(collection_key)
        if elements:
            if len(elements) > 1:
                raise RuntimeError(f'More than one item in the collection "{collection_key}". Please indicate '
                                   f"which one to use by passing it to the tf.Scaffold constructor as:  "
                                   f"tf.Scaffold({arg_name}=item to use)")
            return elements[0]
        op = default_constructor()
        if op is not None:
            graph.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        """Initialize the local variables and the lookup tables."""
        return group(local_variables_initializer(), tables_initializer())


def _maybe_name(obj):
    if obj is None:
        return "None"
    return getattr(obj, "name", repr(obj))


class SessionManager:
    """Creates sessions that are ready to run: restored from a checkpoint, or initialized.

        sm = tf.train.SessionManager()
        sess = sm.prepare_session("", init_op=init, saver=saver, checkpoint_dir=d)

    "Ready" means `ready_op` reports no uninitialized variable (an empty string tensor);
    `local_init_op` runs once `ready_for_local_init_op` does.
    """

    def __init__(self, local_init_op=None, ready_op=None, ready_for_local_init_op=None, graph=None,
                 recovery_wait_secs=30, local_init_run_options=None, local_init_feed_dict=None):
        self._local_init_op = local_init_op
        self._ready_op = ready_op
        self._ready_for_local_init_op = ready_for_local_init_op
        self._graph = graph if graph is not None else get_default_graph()
        self._recovery_wait_secs = recovery_wait_secs
        self._local_init_run_options = local_init_run_options
        self._local_init_feed_dict = local_init_feed_dict
        if ready_for_local_init_op is not None and local_init_op is None:
            raise ValueError(f"If you pass a ready_for_local_init_op you must also pass a local_init_op , "
                             f"ready_for_local_init_op [{ready_for_local_init_op}]")

    def _restore_checkpoint(self, master, saver=None, checkpoint_dir=None, checkpoint_filename_with_path=None,
                            wait_for_checkpoint=False, max_wait_secs=7200, config=None):
        if checkpoint_dir and checkpoint_filename_with_path:
            raise ValueError("Can not provide both checkpoint_dir and checkpoint_filename_with_path.")
        sess = Session(master, graph=self._graph, config=config)
        if not saver or not (checkpoint_dir or checkpoint_filename_with_path):
            return sess, False
        if checkpoint_filename_with_path:
            saver.restore(sess, checkpoint_filename_with_path)
            return sess, True
        wait_time = 0
        ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
        while not ckpt or not ckpt.model_checkpoint_path:
            if wait_for_checkpoint and wait_time < max_wait_secs:
                _logger.info("Waiting for checkpoint to be available.")
                time.sleep(self._recovery_wait_secs)
                wait_time += self._recovery_wait_secs
                ckpt = checkpoint_management.get_checkpoint_state(checkpoint_dir)
            else:
                return sess, False
        saver.restore(sess, ckpt.model_checkpoint_path)
        saver.recover_last_checkpoints(list(ckpt.all_model_checkpoint_paths))
        return sess, True

    def prepare_session(self, master, init_op=None, saver=None, checkpoint_dir=None, wait_for_checkpoint=False,
                        max_wait_secs=7200, config=None, init_feed_dict=None, init_fn=None,
                        checkpoint_filename_with_path=None):
        """A session restored from the latest checkpoint of `checkpoint_dir` (or the given file), else initialized.

        Raises:
            RuntimeError: if nothing initializes the model, or init does not make it ready.
        """
        sess, is_loaded_from_checkpoint = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir, checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config)
        if not is_loaded_from_checkpoint:
            if init_op is None and not init_fn and self._local_init_op is None:
                raise RuntimeError("Model is not initialized and no init_op or init_fn or local_init_op was given")
            if init_op is not None:
                sess.run(init_op, feed_dict=init_feed_dict)
            if init_fn:
                init_fn(sess)
        local_init_success, msg = self._try_run_local_init_op(sess)
        if not local_init_success:
            raise RuntimeError(f"Init operations did not make model ready for local_init.  Init op: "
                               f"{_maybe_name(init_op)}, init fn: {init_fn}, error: {msg}")
        is_ready, msg = self._model_ready(sess)
        if not is_ready:
            raise RuntimeError(f"Init operations did not make model ready.  Init op: {_maybe_name(init_op)}, "
                               f"init fn: {init_fn}, local_init_op: {_maybe_name(self._local_init_op)}, "
                               f"error: {msg}")
        return sess

    def recover_session(self, master, saver=None, checkpoint_dir=None, wait_for_checkpoint=False, max_wait_secs=7200,
                        config=None, local_init_feed_dict=None, checkpoint_filename_with_path=None):
        """(session, True) when restoring a checkpoint made the model ready, else (session, False)."""
        sess, is_loaded_from_checkpoint = self._restore_checkpoint(
            master, saver, checkpoint_dir=checkpoint_dir, checkpoint_filename_with_path=checkpoint_filename_with_path,
            wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs, config=config)
        local_init_success, msg = self._try_run_local_init_op(sess, local_init_feed_dict)
        if not is_loaded_from_checkpoint:
            return sess, False
        restoring_file = checkpoint_dir or checkpoint_filename_with_path
        if not local_init_success:
            _logger.info("Restoring model from %s did not make model ready for local init: %s", restoring_file, msg)
            return sess, False
        is_ready, msg = self._model_ready(sess)
        if not is_ready:
            _logger.info("Restoring model from %s did not make model ready: %s", restoring_file, msg)
            return sess, False
        _logger.info("Restored model from %s", restoring_file)
        return sess, is_ready

    def wait_for_session(self, master, config=None, max_wait_secs=float("inf")):
        """A session once the model is ready (initialized by the chief); DeadlineExceededError after max_wait_secs."""
        deadline = time.time() + max_wait_secs
        while True:
            sess = Session(master, graph=self._graph, config=config)
            not_ready_msg = None
            is_ready, not_ready_local_msg = self._try_run_local_init_op(sess)
            if is_ready:
                is_ready, not_ready_msg = self._model_ready(sess)
                if is_ready:
                    return sess
            sess.close()
            remaining = deadline - time.time()
            if remaining < 0:
                raise errors.DeadlineExceededError(None, None,
                                                   f"Session was not ready after waiting {max_wait_secs} secs.")
            _logger.info("Waiting for model to be ready.  Ready_for_local_init_op:  %s, ready: %s",
                         not_ready_local_msg, not_ready_msg)
            time.sleep(min(self._recovery_wait_secs, max(remaining, 0)))

    def _try_run_local_init_op(self, sess, feed_dict=None):
        if self._local_init_op is None:
            return True, None
        is_ready, msg = _ready(self._ready_for_local_init_op, sess, "Model not ready for local init")
        if not is_ready:
            return False, msg
        _logger.info("Running local_init_op.")
        feed_dict = feed_dict if feed_dict is not None else self._local_init_feed_dict
        sess.run(self._local_init_op, feed_dict=feed_dict, options=self._local_init_run_options)
        _logger.info("Done running local_init_op.")
        return True, None

    def _model_ready(self, sess):
        return _ready(self._ready_op, sess, "Model not ready")


def _ready(op, sess, msg):
    """(True, None) when `op` reports nothing uninitialized, else (False, which variables are not)."""
    if op is None:
        return True, None
    try:
        ready_value = sess.run(op)
    except errors.FailedPreconditionError as exc:
        if "uninitialized" not in str(exc):
            _logger.warning("%s : error [%s]", msg, exc)
            raise
        return False, str(exc)
    ready_value = np.asarray(ready_value)
    if ready_value.dtype == np.int32 or ready_value.size == 0:
        return True, None
    names = ", ".join(v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in ready_value.ravel())
    return False, "Variables not initialized: " + names


class SessionCreator:
    """Makes a `Session` for a monitored session."""

    def create_session(self):
        raise NotImplementedError(f"create_session is not implemented for {self}.")

    def _get_session_manager(self) -> SessionManager:
        """The SessionManager of the creator's scaffold (a creator sets `_scaffold` and `_session_manager`)."""
        if self._session_manager is None:
            self._session_manager = SessionManager(
                local_init_op=self._scaffold.local_init_op, local_init_feed_dict=self._scaffold.local_init_feed_dict,
                ready_for_local_init_op=self._scaffold.ready_for_local_init_op, ready_op=self._scaffold.ready_op,
                graph=get_default_graph())
        return self._session_manager


class ChiefSessionCreator(SessionCreator):
    """Restores from `checkpoint_dir` (or `checkpoint_filename_with_path`), else initializes (the chief's way)."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        self._checkpoint_dir = checkpoint_dir
        self._checkpoint_filename_with_path = checkpoint_filename_with_path
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().prepare_session(
            self._master, saver=self._scaffold.saver, checkpoint_dir=self._checkpoint_dir,
            checkpoint_filename_with_path=self._checkpoint_filename_with_path, config=self._config,
            init_op=self._scaffold.init_op, init_feed_dict=self._scaffold.init_feed_dict,
            init_fn=self._scaffold.init_fn)


class WorkerSessionCreator(SessionCreator):
    """Waits up to `max_wait_secs` for the model to be ready (a non-chief worker's way); never initializes."""

    def __init__(self, scaffold=None, master="", config=None, max_wait_secs=30 * 60):
        self._scaffold = scaffold or Scaffold()
        self._session_manager = None
        self._master = master
        self._config = config
        self._max_wait_secs = max_wait_secs

    def create_session(self):
        self._scaffold.finalize()
        return self._get_session_manager().wait_for_session(self._master, config=self._config,
                                                            max_wait_secs=self._max_wait_secs)


class _StepContext:
    """What `run_step_fn`'s `step_fn` gets: the raw `session`, `run_with_hooks`, `request_stop`."""

    def __init__(self, session, run_with_hooks_fn):
        self._session = session
        self._run_with_hooks_fn = run_with_hooks_fn

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        return self._run_with_hooks_fn(*args, **kwargs)

    def request_stop(self):
        raise StopIteration("step_fn has requested the iterations to stop.")


def _merge_run_options(options, incoming) -> None:
    """Fold a hook's RunOptions into the run's: the larger trace level and timeout, any flag set."""
    options.trace_level = max(options.trace_level, incoming.trace_level)
    options.timeout_in_ms = max(options.timeout_in_ms, incoming.timeout_in_ms)
    options.inter_op_thread_pool = max(options.inter_op_thread_pool, incoming.inter_op_thread_pool)
    options.output_partition_graphs = options.output_partition_graphs or incoming.output_partition_graphs


# While monitored sessions are open, the objects that existed when the first one was created (the graph,
# its ops and tensors, the session's plans: about 90,000 containers for a canned DNN) are kept out of the
# cyclic collector's passes (`gc.freeze`): they live as long as the session anyway, and a full
# collection walked them all in some training step (63 ms in a canned DNN's step 100, 12% of the
# steps/sec of its first 600 steps), and in a forked input worker it would write to every page they are
# on. Objects made later are collected as before; the frozen ones go back to the collector when the last
# monitored session closes (as does what became garbage meanwhile). A program that froze objects itself
# (gc.get_freeze_count() > 0 before) is left as it is.
_freeze_lock = threading.Lock()
_freeze = {"sessions": 0, "ours": False}


def _freeze_objects() -> None:
    with _freeze_lock:
        if _freeze["sessions"] == 0 and gc.isenabled() and gc.get_freeze_count() == 0:
            gc.freeze()
            _freeze["ours"] = True
        _freeze["sessions"] += 1


def _unfreeze_objects() -> None:
    with _freeze_lock:
        _freeze["sessions"] -= 1
        if _freeze["sessions"] == 0 and _freeze["ours"]:
            _freeze["ours"] = False
            gc.unfreeze()


class _MonitoredSession:
    """The shared machinery of MonitoredSession and SingularMonitoredSession."""

    StepContext = _StepContext

    def __init__(self, session_creator, hooks, should_recover, stop_grace_period_secs=120):
        self._graph_was_finalized = get_default_graph().finalized
        self._hooks = list(hooks or [])
        for hook in self._hooks:
            hook.begin()
        self._session_creator = session_creator
        self._should_recover = should_recover
        self._stop_grace_period_secs = stop_grace_period_secs
        self._tf_sess = None
        self._coord = None
        self._frozen = False  # whether this session holds a share of the gc freeze (below)
        self._should_stop = False
        self._stop_requested_in_step_fn = False
        # The empty RunOptions / RunMetadata hooks see on steps nobody asked options for (most steps):
        # reused while they stay empty, instead of two new protos per step.
        self._idle_options = config_pb2.RunOptions()
        self._idle_metadata = config_pb2.RunMetadata()
        self._create_session()
        self._frozen = True
        _freeze_objects()

    def _create_session(self) -> None:
        self._tf_sess = self._session_creator.create_session()
        self._coord = Coordinator()
        if self._tf_sess.graph.get_collection(GraphKeys.QUEUE_RUNNERS):  # as TF1: before the hooks see the session
            start_queue_runners(sess=self._tf_sess, coord=self._coord)
        for hook in self._hooks:
            hook.after_create_session(self._tf_sess, self._coord)

    @property
    def graph(self):
        return self._tf_sess.graph if self._tf_sess is not None else get_default_graph()

    def should_stop(self) -> bool:
        """True once a hook requested a stop, the input ran out, `step_fn` stopped, or the session is closed."""
        return (self._tf_sess is None or self._should_stop or self._stop_requested_in_step_fn
                or self._coord.should_stop())

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Run `fetches` with every hook's `before_run` / `after_run` around it; returns the fetches' values."""
        while True:
            try:
                return self._hooked_run(fetches, feed_dict, options, run_metadata)
            except _PREEMPTION_ERRORS:
                if not self._should_recover:
                    raise
                _logger.info("An error was raised. This may be due to a preemption in a connected worker or "
                             "parameter server. The current session will be closed and a new session will be "
                             "created. This error may also occur due to a gRPC failure caused by high memory or "
                             "network bandwidth usage in the parameter servers. If this error occurs repeatedly, "
                             "try increasing the number of parameter servers assigned to the job.")
                self._close_raw_session()
                self._create_session()
            except errors.OutOfRangeError:
                self._should_stop = True  # the input is exhausted: the loop is over
                raise

    def _hooked_run(self, fetches, feed_dict, options, run_metadata):
        if (self._should_stop or self._stop_requested_in_step_fn or self._tf_sess is None
                or self._coord.should_stop()):  # should_stop(), inlined: this runs every step
            raise RuntimeError("Run called even after should_stop requested.")
        sess = self._tf_sess
        # SessionRunArgs(fetches, feed_dict), built without the namedtuple's Python __new__ (this runs every step)
        run_context = SessionRunContext(tuple.__new__(SessionRunArgs, (fetches, feed_dict, None)), sess)
        # One flat fetch list, the caller's fetches first, then each hook's in hook order: the session keys
        # and unpacks a flat list faster than a dict keyed by hook, and this runs every step.
        run_fetches = [fetches]
        positions = []  # where each hook's results are in the outputs; 0: the hook fetched nothing
        hook_feeds = None
        run_options = None  # a RunOptions once the caller or a hook gives options
        if options is not None:
            run_options = config_pb2.RunOptions()
            run_options.CopyFrom(options)
        for hook in self._hooks:
            request = hook.before_run(run_context)
            if request is None:
                positions.append(0)
                continue
            if request.fetches is not None:
                run_fetches.append(request.fetches)
                positions.append(len(run_fetches) - 1)
            else:
                positions.append(0)
            if request.feed_dict:
                if hook_feeds is None:
                    hook_feeds = {}
                _raise_if_feeds_intersect(hook_feeds, request.feed_dict, "Same tensor is fed by two hooks.")
                hook_feeds.update(request.feed_dict)
            if request.options:
                if run_options is None:
                    run_options = config_pb2.RunOptions()
                _merge_run_options(run_options, request.options)
        if hook_feeds:
            if feed_dict:
                _raise_if_feeds_intersect(feed_dict, hook_feeds, "Same tensor is fed by a SessionRunHook and user.")
                merged = dict(feed_dict)
                merged.update(hook_feeds)
                feed_dict = merged
            else:
                feed_dict = hook_feeds
        if run_options is None and run_metadata is None:
            outputs = sess.run(run_fetches, feed_dict=feed_dict)
            if self._idle_options.ByteSize() or self._idle_metadata.ByteSize():  # a hook wrote into them
                self._idle_options, self._idle_metadata = config_pb2.RunOptions(), config_pb2.RunMetadata()
            run_options, run_metadata = self._idle_options, self._idle_metadata
        else:
            if run_options is None:
                run_options = config_pb2.RunOptions()
            if run_metadata is None:
                run_metadata = config_pb2.RunMetadata()
            outputs = sess.run(run_fetches, feed_dict=feed_dict, options=run_options, run_metadata=run_metadata)
        for hook, position in zip(self._hooks, positions):
            # SessionRunValues(results, options, run_metadata), built without the namedtuple's Python __new__.
            hook.after_run(run_context, tuple.__new__(SessionRunValues, (outputs[position] if position else None,
                                                                         run_options, run_metadata)))
        self._should_stop = self._should_stop or run_context.stop_requested
        return outputs[0]

    def run_step_fn(self, step_fn):
        """Call `step_fn(step_context)`: `step_context.session` is the raw session (no hooks),
        `step_context.run_with_hooks(...)` runs with hooks, `step_context.request_stop()` ends the loop.
        """
        params = list(inspect.signature(step_fn).parameters)
        if params != ["step_context"] and params != ["self", "step_context"]:
            raise ValueError(f"`step_fn` may either have one `step_context` argument, or `self` and `step_context` "
                             f"arguments if it's an instance method. Got {params} instead.")
        try:
            return step_fn(_StepContext(self._tf_sess, self.run))
        except StopIteration:
            self._stop_requested_in_step_fn = True
            raise

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type is not None and issubclass(exception_type, (errors.OutOfRangeError, StopIteration)):
            exception_type = None
        self._close_internal(exception_type)
        return exception_type is None  # True swallows OutOfRangeError / StopIteration

    def close(self) -> None:
        """Run every hook's `end`, then close the session."""
        self._close_internal()

    def _close_raw_session(self) -> None:
        try:
            if self._coord is not None:
                self._coord.request_stop()
                self._coord.join(stop_grace_period_secs=self._stop_grace_period_secs, ignore_live_threads=True)
        finally:
            if self._tf_sess is not None:
                self._tf_sess.close()
            self._tf_sess = None

    def _close_internal(self, exception_type=None) -> None:
        try:
            if not exception_type and self._tf_sess is not None:
                for hook in self._hooks:
                    hook.end(self._tf_sess)
        finally:
            try:
                if self._tf_sess is None:
                    raise RuntimeError("Session is already closed.")
                self._close_raw_session()
            finally:
                if not self._graph_was_finalized:
                    get_default_graph()._unsafe_unfinalize()
                if self._frozen:
                    self._frozen = False
                    _unfreeze_objects()

    def _is_closed(self) -> bool:
        return self._tf_sess is None


def _raise_if_feeds_intersect(feeds1, feeds2, message) -> None:
    common = set(feeds1) & set(feeds2)
    if common:
        raise RuntimeError(f"{message} Conflict(s): {sorted(map(str, common))}")


class MonitoredSession(_MonitoredSession):
    """A session that creates itself with `session_creator`, runs `hooks`, and recovers from preemption errors.

        with tf.train.MonitoredSession(session_creator=tf.train.ChiefSessionCreator(checkpoint_dir=d),
                                       hooks=[tf.train.StopAtStepHook(last_step=1000)]) as sess:
            while not sess.should_stop():
                sess.run(train_op)
    """

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        super().__init__(session_creator or ChiefSessionCreator(), hooks, should_recover=True,
                         stop_grace_period_secs=stop_grace_period_secs)


class SingularMonitoredSession(_MonitoredSession):
    """A chief's monitored session that does not recover from errors; `raw_session()` is its Session."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        creator = ChiefSessionCreator(scaffold=scaffold, master=master, config=config, checkpoint_dir=checkpoint_dir,
                                      checkpoint_filename_with_path=checkpoint_filename_with_path)
        super().__init__(creator, hooks, should_recover=False, stop_grace_period_secs=stop_grace_period_secs)

    def raw_session(self):
        """The underlying Session (no hooks)."""
        return self._tf_sess


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None, scaffold=None, hooks=None,  # noqa: N802
                             chief_only_hooks=None, save_checkpoint_secs=USE_DEFAULT,
                             save_summaries_steps=USE_DEFAULT, save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100, max_wait_secs=7200,
                             save_checkpoint_steps=USE_DEFAULT, summary_dir=None):
    """A `MonitoredSession` set up for training, with TF1's default hooks on the chief.

        with tf.train.MonitoredTrainingSession(checkpoint_dir="/tmp/run",
                                               hooks=[tf.train.StopAtStepHook(last_step=1000)]) as sess:
            while not sess.should_stop():
                sess.run(train_op)

    The chief restores from `checkpoint_dir` or initializes, and runs `chief_only_hooks`, a
    StepCounterHook (every `log_step_count_steps`) and a SummarySaverHook (every 100 steps by
    default) writing to `summary_dir` (default `checkpoint_dir`), a CheckpointSaverHook (every
    600 s by default, `save_checkpoint_steps` instead if given), then `hooks`. Other workers
    wait up to `max_wait_secs` for the chief to initialize the model and run only `hooks`.
    """
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    elif save_summaries_secs is USE_DEFAULT:
        save_summaries_secs = None
    elif save_summaries_steps is USE_DEFAULT:
        save_summaries_steps = None
    if save_checkpoint_steps is USE_DEFAULT and save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_steps, save_checkpoint_secs = None, 600
    elif save_checkpoint_secs is USE_DEFAULT:
        save_checkpoint_secs = None
    elif save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_steps = None
    scaffold = scaffold or Scaffold()
    if not is_chief:
        creator = WorkerSessionCreator(scaffold=scaffold, master=master, config=config, max_wait_secs=max_wait_secs)
        return MonitoredSession(session_creator=creator, hooks=hooks or [],
                                stop_grace_period_secs=stop_grace_period_secs)
    all_hooks = list(chief_only_hooks or [])
    creator = ChiefSessionCreator(scaffold=scaffold, checkpoint_dir=checkpoint_dir, master=master, config=config)
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(hooks_lib.StepCounterHook(output_dir=summary_dir, every_n_steps=log_step_count_steps))
        if (save_summaries_steps and save_summaries_steps > 0) or (save_summaries_secs and save_summaries_secs > 0):
            all_hooks.append(hooks_lib.SummarySaverHook(scaffold=scaffold, save_steps=save_summaries_steps,
                                                        save_secs=save_summaries_secs, output_dir=summary_dir))
    if checkpoint_dir:
        if (save_checkpoint_secs and save_checkpoint_secs > 0) or (save_checkpoint_steps and save_checkpoint_steps > 0):
            all_hooks.append(hooks_lib.CheckpointSaverHook(checkpoint_dir, save_steps=save_checkpoint_steps,
                                                           save_secs=save_checkpoint_secs, scaffold=scaffold))
    all_hooks.extend(hooks or [])
    return MonitoredSession(session_creator=creator, hooks=all_hooks, stop_grace_period_secs=stop_grace_period_secs)
