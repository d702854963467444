"""`tf.train.QueueRunner`, `add_queue_runner` and `start_queue_runners`: threads that fill queues.

    qr = tf.train.QueueRunner(queue, [enqueue_op] * 4)
    tf.train.add_queue_runner(qr)
    coord = tf.train.Coordinator()
    threads = tf.train.start_queue_runners(sess, coord)   # 4 threads running enqueue_op
    ...
    coord.request_stop(); coord.join(threads)

Each thread runs its enqueue op until it raises OutOfRangeError or CancelledError (the
producer ran out of epochs, or the queue was closed); the last thread to end closes the queue,
so that dequeues drain it and then raise OutOfRangeError. With a coordinator, a stop request
cancels the queue's pending enqueues (`cancel_op`) so the threads end, and any other error is
reported to the coordinator.
"""

from __future__ import annotations

import logging
import threading
import weakref

from estflow.core import errors
from estflow.core.default_session import get_default_session
from estflow.core.graph import GraphKeys, get_default_graph

_logger = logging.getLogger("tensorflow")


class QueueRunner:
    """Holds a list of enqueue ops for a queue, each to be run in its own thread."""

    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None, queue_runner_def=None, import_scope=None):
        if queue_runner_def is not None or import_scope is not None:
            raise NotImplementedError("QueueRunner from a QueueRunnerDef (queue_runner_def, import_scope) is not "
                                      "supported by estflow: build the QueueRunner from the queue and its enqueue "
                                      "ops.")
        if queue is None or not enqueue_ops:
            raise ValueError("Either queue_runner_def or queue and enqueue_ops must be specified.")
        self._queue = queue
        self._enqueue_ops = list(enqueue_ops)
        self._close_op = close_op if close_op is not None else queue.close()
        self._cancel_op = cancel_op if cancel_op is not None else queue.close(cancel_pending_enqueues=True)
        if queue_closed_exception_types is None:
            queue_closed_exception_types = (errors.OutOfRangeError,)
        self._queue_closed_exception_types = tuple(queue_closed_exception_types)
        self._lock = threading.Lock()
        self._runs_per_session: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._exceptions_raised: list = []

    queue = property(lambda self: self._queue)
    enqueue_ops = property(lambda self: self._enqueue_ops)
    close_op = property(lambda self: self._close_op)
    cancel_op = property(lambda self: self._cancel_op)
    queue_closed_exception_types = property(lambda self: self._queue_closed_exception_types)

    @property
    def exceptions_raised(self):
        """The exceptions the threads raised while no coordinator took them."""
        return self._exceptions_raised

    @property
    def name(self):
        return self._queue.name

    def _run(self, sess, enqueue_op, coord=None):
        decremented = False
        try:
            while True:
                if coord is not None and coord.should_stop():
                    break
                try:
                    sess.run(enqueue_op)
                except (self._queue_closed_exception_types + (errors.CancelledError,)):
                    with self._lock:  # the last thread to end closes the queue
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        if self._runs_per_session[sess] == 0:
                            try:
                                sess.run(self._close_op)
                            except Exception as e:  # noqa: BLE001 - the queue or session is already gone
                                _logger.info("Ignored exception: %s", e)
                    return
        except Exception as e:  # noqa: BLE001 - reported to the coordinator or kept
            if coord is not None:
                coord.request_stop(e)
            else:
                _logger.error("Exception in QueueRunner: %s", e)
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord):
        coord.wait_for_stop()
        try:
            sess.run(cancel_op)
        except Exception as e:  # noqa: BLE001 - the session may be closed already
            _logger.info("Ignored exception: %s", e)

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """One thread per enqueue op (plus one that cancels the queue on the coordinator's stop)."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []  # already running in this session
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord), name=f"QueueRunnerThread-{self.name}")
                   for op in self._enqueue_ops]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, self._cancel_op, coord),
                                            name=f"QueueRunnerThread-{self.name}-close_on_stop"))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    """Adds `qr` to the graph's `collection` (`tf.train.add_queue_runner`)."""
    get_default_graph().add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True, collection=GraphKeys.QUEUE_RUNNERS):
    """Starts the threads of every QueueRunner in the graph's `collection`; returns them."""
    if sess is None:
        sess = get_default_session()
        if not sess:
            raise ValueError("Cannot start queue runners: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to tf.start_queue_runners(sess=sess)")
    with sess.graph.as_default():
        threads = []
        for qr in sess.graph.get_collection(collection):
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
