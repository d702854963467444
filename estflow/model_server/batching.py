"""Server-side batching: concurrent requests to one signature run as one Session.run.

As TensorFlow Serving's batching session (BasicBatchScheduler): each request is a task of
`n` rows; tasks with the same signature, inputs, outputs and row shapes join an open batch
while it has room for them (`max_batch_size` rows); a batch is run when it is full, when
`batch_timeout_micros` have passed since its first task, or at once (timeout 0) when a
batch thread is free. Its inputs are concatenated along dimension 0 and padded with copies
of the first row up to the next of `allowed_batch_sizes`; each caller gets its own rows of
every output back. At most `max_enqueued_batches` batches wait; beyond that a request is
refused with UNAVAILABLE, as TF Serving's full queue.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from concurrent.futures import Future

import numpy as np
from google.protobuf import text_format

from estflow.model_server import errors
from estflow.model_server.protos import session_bundle_config_pb2


class BatchingOptions:
    """TF Serving's BatchingParameters, with its defaults filled in and checked."""

    def __init__(self, max_batch_size=1000, batch_timeout_micros=0, max_enqueued_batches=10,
                 num_batch_threads=None, allowed_batch_sizes=(), pad_variable_length_inputs=False):
        self.max_batch_size = int(max_batch_size)
        self.batch_timeout_micros = int(batch_timeout_micros)
        self.max_enqueued_batches = int(max_enqueued_batches)
        self.num_batch_threads = int(num_batch_threads or os.cpu_count() or 1)
        self.allowed_batch_sizes = [int(s) for s in allowed_batch_sizes]
        self.pad_variable_length_inputs = bool(pad_variable_length_inputs)
        if self.max_batch_size < 1:
            raise ValueError(f"max_batch_size must be positive; was {self.max_batch_size}")
        if self.batch_timeout_micros < 0:
            raise ValueError(f"batch_timeout_micros must be non-negative; was {self.batch_timeout_micros}")
        if self.max_enqueued_batches < 1 or self.num_batch_threads < 1:
            raise ValueError("max_enqueued_batches and num_batch_threads must be positive")
        sizes = self.allowed_batch_sizes
        if sizes:
            if any(b <= a for a, b in zip(sizes, sizes[1:])) or sizes[0] < 1:
                raise ValueError("allowed_batch_sizes entries must be positive and monotonically increasing")
            if sizes[-1] != self.max_batch_size:
                raise ValueError("final entry in allowed_batch_sizes must equal max_batch_size when "
                                 "enable_large_batch_splitting is false")

    @classmethod
    def from_proto(cls, proto: session_bundle_config_pb2.BatchingParameters) -> BatchingOptions:
        def value(field, default):
            return getattr(proto, field).value if proto.HasField(field) else default
        return cls(max_batch_size=value("max_batch_size", 1000),
                   batch_timeout_micros=value("batch_timeout_micros", 0),
                   max_enqueued_batches=value("max_enqueued_batches", 10),
                   num_batch_threads=value("num_batch_threads", None),
                   allowed_batch_sizes=list(proto.allowed_batch_sizes),
                   pad_variable_length_inputs=proto.pad_variable_length_inputs)

    @classmethod
    def from_text(cls, text: str) -> BatchingOptions:
        """From the text proto of `--batching_parameters_file`."""
        proto = session_bundle_config_pb2.BatchingParameters()
        text_format.Parse(text, proto)
        return cls.from_proto(proto)

    def padded_size(self, rows: int) -> int:
        for size in self.allowed_batch_sizes:
            if size >= rows:
                return size
        return rows


class _Task:
    __slots__ = ("feeds", "rows", "future")

    def __init__(self, feeds: dict, rows: int):
        self.feeds = feeds
        self.rows = rows
        self.future: Future = Future()


class _Batch:
    __slots__ = ("key", "tasks", "rows", "opened", "closed")

    def __init__(self, key):
        self.key = key
        self.tasks: list[_Task] = []
        self.rows = 0
        self.opened = time.monotonic()
        self.closed = False


class Batcher:
    """Runs `run_fn(signature_key, feeds, fetch_aliases) -> {alias: array}` on batches of concurrent tasks."""

    def __init__(self, run_fn, options: BatchingOptions, name: str = "batcher"):
        self._run_fn = run_fn
        self.options = options
        self._cv = threading.Condition()
        self._open: dict = {}  # key -> the batch still taking tasks
        self._ready: deque[_Batch] = deque()  # closed batches, oldest first
        self._waiting: deque[_Batch] = deque()  # open batches, oldest first
        self._stopped = False
        self._threads = [threading.Thread(target=self._loop, name=f"{name}-{i}", daemon=True)
                         for i in range(options.num_batch_threads)]
        for t in self._threads:
            t.start()

    def submit(self, signature_key: str, feeds: dict, fetch_aliases: tuple) -> Future:
        """Queue one request's rows; the future holds its own rows of every fetched output."""
        rows = None
        for alias, arr in feeds.items():
            if arr.ndim == 0:
                raise errors.ServingError(errors.INVALID_ARGUMENT,
                                          f"Batching session Run() input tensors must have at least one dimension; "
                                          f"input {alias} is a scalar.")
            if rows is None:
                rows = arr.shape[0]
            elif arr.shape[0] != rows:
                raise errors.ServingError(errors.INVALID_ARGUMENT,
                                          "Batching session Run() input tensors must have equal 0th-dimension size.")
        if not rows:
            raise errors.ServingError(errors.INVALID_ARGUMENT, "Batching session Run() needs at least one row.")
        if rows > self.options.max_batch_size:
            raise errors.ServingError(errors.INVALID_ARGUMENT, f"Task size {rows} is larger than maximum batch size "
                                                               f"{self.options.max_batch_size}")
        key = (signature_key, fetch_aliases,
               tuple(sorted((k, v.shape[1:], v.dtype.str) for k, v in feeds.items())))
        task = _Task(feeds, rows)
        with self._cv:
            if self._stopped:
                raise errors.ServingError(errors.UNAVAILABLE, "The batch scheduler is shutting down.")
            batch = self._open.get(key)
            if batch is not None and batch.rows + rows > self.options.max_batch_size:
                self._close(batch)
                batch = None
            if batch is None:
                if len(self._ready) + len(self._waiting) >= self.options.max_enqueued_batches:
                    raise errors.ServingError(errors.UNAVAILABLE, "The batch scheduling queue to which this task was "
                                                                  "submitted is full")
                batch = _Batch(key)
                self._open[key] = batch
                self._waiting.append(batch)
            batch.tasks.append(task)
            batch.rows += rows
            if batch.rows >= self.options.max_batch_size:
                self._close(batch)
            self._cv.notify()
        return task.future

    def _close(self, batch: _Batch) -> None:
        batch.closed = True
        del self._open[batch.key]
        self._waiting.remove(batch)
        self._ready.append(batch)

    def _next_batch(self):
        """The next batch to run (the lock held), waiting for one; None once stopped and drained."""
        timeout = self.options.batch_timeout_micros / 1e6
        while True:
            if self._ready:
                return self._ready.popleft()
            if self._waiting:
                oldest = self._waiting[0]
                left = oldest.opened + timeout - time.monotonic()
                if left <= 0 or self._stopped:
                    self._close(oldest)
                    return self._ready.popleft()
                self._cv.wait(left)
            elif self._stopped:
                return None
            else:
                self._cv.wait()

    def _loop(self) -> None:
        while True:
            with self._cv:
                batch = self._next_batch()
            if batch is None:
                return
            self._run(batch)

    def _run(self, batch: _Batch) -> None:
        tasks = batch.tasks
        signature_key, fetch_aliases, _ = batch.key
        try:
            padded = self.options.padded_size(batch.rows)
            feeds = {}
            for alias in tasks[0].feeds:
                parts = [t.feeds[alias] for t in tasks]
                if padded > batch.rows:
                    first = parts[0][:1]
                    parts.append(np.repeat(first, padded - batch.rows, axis=0))
                feeds[alias] = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
            outputs = self._run_fn(signature_key, feeds, fetch_aliases)
            for alias, arr in outputs.items():
                if np.ndim(arr) == 0 or arr.shape[0] != padded:
                    raise errors.ServingError(errors.FAILED_PRECONDITION,
                                              f"Batched output tensor {alias}'s 0th dimension does not equal the sum "
                                              "of the 0th dimension sizes of the input tensors")
        except BaseException as e:  # noqa: BLE001 - every caller of the batch gets the error
            err = errors.from_exception(e)
            for t in tasks:
                t.future.set_exception(err)
            return
        start = 0
        for t in tasks:
            end = start + t.rows
            t.future.set_result({alias: arr[start:end] for alias, arr in outputs.items()})
            start = end

    def stop(self) -> None:
        """Run what is queued, then end the batch threads."""
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        for t in self._threads:
            t.join()
