"""TF1's readers: `tf.ReaderBase`, `tf.TextLineReader`, `tf.TFRecordReader`,
`tf.FixedLengthRecordReader`, `tf.WholeFileReader`.

    filename_queue = tf.train.string_input_producer(["a.csv", "b.csv"])
    key, value = tf.TextLineReader(skip_header_lines=1).read(filename_queue)

A reader takes file names (work units) from a queue of strings and returns one record per
`read` (or up to n per `read_up_to`); its state (the current file and position) lives in the
session (estflow/core/ops/queue_ops.py). Once the queue is closed and drained, `read` raises
`tf.errors.OutOfRangeError`.
"""

from __future__ import annotations

from estflow.core import dtypes, record_io
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op


def _queue_ref(queue):
    return queue if isinstance(queue, Tensor) else queue.queue_ref


class ReaderBase:
    """Base class of the readers: ops over the reader resource `reader_ref`."""

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    reader_ref = property(lambda self: self._reader_ref)
    supports_serialize = property(lambda self: self._supports_serialize)

    def read(self, queue, name=None):
        """The next record: (key, value) string scalars; "file:position" keys as TF's."""
        return tuple(apply_op("ReaderReadV2", self._reader_ref, _queue_ref(queue), name=name or "ReaderReadV2"))

    def read_up_to(self, queue, num_records, name=None):
        """Up to `num_records` records: (keys, values) string vectors; fewer only at the queue's end."""
        with name_scope(name, "ReaderReadUpToV2") as scope:
            n = convert_to_tensor(num_records, dtype=dtypes.int64, name="num_records")
            return tuple(apply_op("ReaderReadUpToV2", self._reader_ref, _queue_ref(queue), n, name=scope))

    def num_records_produced(self, name=None):
        return apply_op("ReaderNumRecordsProducedV2", self._reader_ref, name=name or "ReaderNumRecordsProducedV2")

    def num_work_units_completed(self, name=None):
        return apply_op("ReaderNumWorkUnitsCompletedV2", self._reader_ref,
                        name=name or "ReaderNumWorkUnitsCompletedV2")

    def reset(self, name=None):
        """Forget the current file and the counters."""
        return apply_op("ReaderResetV2", self._reader_ref, name=name or "ReaderResetV2")

    def serialize_state(self, name=None):
        raise NotImplementedError("Reader state serialization is not supported by estflow's readers (as TF's "
                                  "TextLineReader and TFRecordReader: supports_serialize is False).")

    def restore_state(self, state, name=None):
        raise NotImplementedError("Reader state serialization is not supported by estflow's readers (as TF's "
                                  "TextLineReader and TFRecordReader: supports_serialize is False).")


class TextLineReader(ReaderBase):
    """Outputs the lines of a file (without the newline); keys are "file:line number"."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__(apply_op("TextLineReaderV2", name=name or "TextLineReaderV2",
                                  skip_header_lines=int(skip_header_lines or 0)))


class TFRecordReader(ReaderBase):
    """Outputs the records of TFRecord files (`options`: a TFRecordOptions for compressed files)."""

    def __init__(self, name=None, options=None):
        kind = record_io.compression_kind(options)
        compression = "" if kind == record_io.TFRecordCompressionType.NONE else kind.name
        super().__init__(apply_op("TFRecordReaderV2", name=name or "TFRecordReaderV2", compression_type=compression))


class FixedLengthRecordReader(ReaderBase):
    """Outputs records of `record_bytes` bytes between a header and a footer; keys are "file:record number"."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None, name=None,
                 encoding=None):
        super().__init__(apply_op("FixedLengthRecordReaderV2", name=name or "FixedLengthRecordReaderV2",
                                  record_bytes=int(record_bytes), header_bytes=int(header_bytes or 0),
                                  footer_bytes=int(footer_bytes or 0), hop_bytes=int(hop_bytes or 0),
                                  encoding=encoding or ""))


class WholeFileReader(ReaderBase):
    """Outputs each file whole: the key is the file name, the value its contents."""

    def __init__(self, name=None):
        super().__init__(apply_op("WholeFileReaderV2", name=name or "WholeFileReaderV2"))
