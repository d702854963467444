"""`tf.summary.FileWriter`: TensorBoard event files, written asynchronously.

A file is named `events.out.tfevents.<10-digit seconds>.<hostname><suffix>`, TF1's name. When
that name is taken (two writers on one logdir within the same second, or a `reopen()`), the
writer inserts `.<pid>.<n>` before the suffix (n counting in this process), the part TF2's
`create_file_writer` always adds, so each writer has its own file; TensorBoard reads every
file whose name contains `tfevents`. Its first
record is the `brain.Event:2` file-version event; every record uses TFRecord framing.
Events are written by the thread that adds them; a background thread flushes the file every
`flush_secs`, and `flush()` / `close()` flush it too.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time

from estflow.core import errors
from estflow.core.graph import get_default_graph
from estflow.core.graph_io import graph_to_graph_def
from estflow.core.protos import event_pb2, summary_pb2
from estflow.core.record_io import encode_record
from estflow.training import meta_graph

_UIDS = itertools.count(1)  # process-local writer numbers for unique file names


def _event_pb2():
    return event_pb2


class EventFileWriter:
    """Writes `Event` protos to one event file; a background thread flushes it every `flush_secs`.

    An event is serialized and written (into the file's buffer) by the thread that adds it: a
    background thread doing that work would take the interpreter's lock from the training loop
    at the step after each summary (measured: ~190 us per summary step at batch 32 of a small
    MLP), and would serialize an event its caller may still change. Only the periodic flush
    runs in the background, as TF1's writer flushes every `flush_secs` while training runs.
    `max_queue` is accepted for TF1's signature: nothing waits in a queue. An error writing is
    kept and raised by the next `flush()` or `close()`, as TF1's writer reports it.
    """

    def __init__(self, logdir, max_queue=10, flush_secs=120, filename_suffix=None):
        self._logdir = str(logdir)
        try:
            os.makedirs(self._logdir, exist_ok=True)
        except OSError as e:
            raise errors.from_os_error(self._logdir, e) from None
        self._max_queue = max_queue
        self._flush_secs = flush_secs
        self._filename_suffix = filename_suffix or ""
        self._lock = threading.Lock()  # the file: writes, flushes and the close
        self._closed = True
        self._open()

    def _open(self) -> None:
        wall = time.time()
        stem = os.path.join(self._logdir, f"events.out.tfevents.{int(wall):010d}.{socket.gethostname()}")
        self._path = stem + self._filename_suffix
        while True:
            try:
                # Exclusive creation: never append to (or truncate) another writer's file.
                self._file = open(self._path, "xb")  # noqa: SIM115 - closed in close()
                break
            except FileExistsError:
                self._path = f"{stem}.{os.getpid()}.{next(_UIDS)}{self._filename_suffix}"
            except OSError as e:
                raise errors.from_os_error(self._path, e) from None
        pb = _event_pb2()
        first = pb.Event(wall_time=wall, file_version="brain.Event:2")
        first.source_metadata.writer = "estflow.summary.writer"
        self._file.write(encode_record(first.SerializeToString()))
        self._file.flush()
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_periodically, args=(self._file, self._stop),
                                        name="EventFileWriter", daemon=True)
        self._closed = False
        self._thread.start()

    def get_logdir(self) -> str:
        return self._logdir

    def add_event(self, event) -> None:
        if self._closed:
            return  # TF1 drops events written to a closed writer
        record = encode_record(event.SerializeToString())
        with self._lock:
            if self._closed:
                return
            try:
                self._file.write(record)
            except Exception as e:  # noqa: BLE001 - reported on flush/close (a Ctrl-C here still stops training)
                self._error = e

    def _flush_periodically(self, file, stop) -> None:
        """The background thread: flush `file` every `flush_secs` until `stop` is set (by close)."""
        while not stop.wait(max(0.001, self._flush_secs)):  # (a zero interval: flush often, not spin)
            with self._lock:
                if stop.is_set():
                    return
                try:
                    file.flush()
                except BaseException as e:  # noqa: BLE001 - reported on flush/close
                    self._error = e

    def flush(self) -> None:
        """Write every added event to disk."""
        with self._lock:
            if self._closed:
                return
            try:
                self._file.flush()
            except Exception as e:  # noqa: BLE001 - raised below, as a background failure is
                self._error = e
            error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            try:
                self._file.close()  # (flushes)
            except Exception as e:  # noqa: BLE001 - raised below
                self._error = e
            error, self._error = self._error, None
        self._thread.join()
        if error is not None:
            raise error

    def reopen(self) -> None:
        """Start a new event file in the same directory after `close()`."""
        if self._closed:
            self._open()


class FileWriter:
    """Writes summaries, graphs and session logs for TensorBoard (`tf.summary.FileWriter`).

        writer = tf.summary.FileWriter("/tmp/logs", sess.graph)
        writer.add_summary(sess.run(merged), global_step=step)
        writer.close()

    With `session`, TF1 writes through summary ops run in that session; estflow writes the
    same event file from Python either way.
    """

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, graph_def=None, filename_suffix=None,
                 session=None):
        self.event_writer = EventFileWriter(logdir, max_queue, flush_secs, filename_suffix)
        self._seen_summary_tags: set = set()
        if graph is not None or graph_def is not None:
            self.add_graph(graph, graph_def=graph_def)
            # TF1 also writes the meta graph when the writer is given a graph (TensorBoard reads both).
            if graph is not None:
                graph_def = graph_to_graph_def(graph, add_shapes=True, strict=False)
            self.add_meta_graph(meta_graph.create_meta_graph_def(graph_def=graph_def, graph=graph))

    def get_logdir(self) -> str:
        return self.event_writer.get_logdir()

    def add_event(self, event) -> None:
        self.event_writer.add_event(event)

    def _add(self, step=None, **fields) -> None:
        pb = _event_pb2()
        event = pb.Event(wall_time=time.time(), **fields)
        if step is not None:
            event.step = int(step)
        self.add_event(event)

    def add_summary(self, summary, global_step=None) -> None:
        """Add a `Summary` proto or its serialized bytes (what a summary op returns)."""
        if isinstance(summary, (bytes, bytearray)) or hasattr(summary, "dtype"):
            parsed = summary_pb2.Summary()
            parsed.ParseFromString(bytes(summary.item() if hasattr(summary, "item") else summary))
            summary = parsed
        # TF1 keeps plugin metadata only on the first occurrence of a tag.
        for value in summary.value:
            if not value.metadata.ByteSize():
                continue
            if value.tag in self._seen_summary_tags:
                value.ClearField("metadata")
            else:
                self._seen_summary_tags.add(value.tag)
        self._add(global_step, summary=summary)

    def add_graph(self, graph, global_step=None, graph_def=None) -> None:
        if graph is not None and graph_def is not None:
            raise ValueError("Please pass only graph, or graph_def (deprecated), but not both.")
        if graph is not None:
            # Non-strict: TensorBoard draws the graph even if some attr has no protobuf form.
            graph_def = graph_to_graph_def(graph, add_shapes=True, strict=False)
        if graph_def is None:
            raise ValueError("No graph given to add_graph.")
        self._add(global_step, graph_def=graph_def.SerializeToString())

    def add_meta_graph(self, meta_graph_def, global_step=None) -> None:
        self._add(global_step, meta_graph_def=meta_graph_def.SerializeToString())

    def add_session_log(self, session_log, global_step=None) -> None:
        self._add(global_step, session_log=session_log)

    def add_run_metadata(self, run_metadata, tag, global_step=None) -> None:
        pb = _event_pb2()
        tagged = pb.TaggedRunMetadata(tag=tag, run_metadata=run_metadata.SerializeToString())
        self._add(global_step, tagged_run_metadata=tagged)

    def flush(self) -> None:
        self.event_writer.flush()

    def close(self) -> None:
        self.event_writer.close()

    def reopen(self) -> None:
        self.event_writer.reopen()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FileWriterCache:
    """One FileWriter per log directory, shared by hooks and estimators (`tf.summary.FileWriterCache`)."""

    _cache: dict = {}
    _lock = threading.RLock()

    @staticmethod
    def get(logdir) -> FileWriter:
        with FileWriterCache._lock:
            key = os.path.abspath(str(logdir))
            writer = FileWriterCache._cache.get(key)
            if writer is None:
                # As TF1's: the default graph goes in first (graph and meta graph events).
                writer = FileWriterCache._cache[key] = FileWriter(logdir, graph=get_default_graph())
            return writer

    @staticmethod
    def clear() -> None:
        with FileWriterCache._lock:
            for writer in FileWriterCache._cache.values():
                writer.close()
            FileWriterCache._cache.clear()
