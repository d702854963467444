"""TFRecord files for input pipelines: `tf.io.TFRecordWriter`, `TFRecordOptions`, `tf_record_iterator`.

The framing itself (and its checks) lives in `estflow.core.record_io`.
"""

from __future__ import annotations

import gzip
import os
import zlib

from estflow.core.record_io import TFRecordCompressionType, compression_kind, encode_record, read_records


class TFRecordOptions:
    """How a TFRecord file is compressed (`tf.io.TFRecordOptions`).

    The zlib settings (`compression_level`, `window_bits`, `compression_method`,
    `mem_level`, `compression_strategy`, and `flush_mode` applied after each record) shape
    the compressed bytes a ZLIB or GZIP writer produces, as in TF; None keeps zlib's
    default. `input_buffer_size` and `output_buffer_size` size TF's I/O buffers only: the
    file is the same whatever they are, and estflow's writer leaves buffering to Python.
    """

    compression_type_map = {
        TFRecordCompressionType.ZLIB: "ZLIB", TFRecordCompressionType.GZIP: "GZIP",
        TFRecordCompressionType.NONE: "",
    }

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None, output_buffer_size=None,
                 window_bits=None, compression_level=None, compression_method=None, mem_level=None,
                 compression_strategy=None):
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options) -> str:
        return compression_kind(options).name if compression_kind(options) else ""


class TFRecordWriter:
    """Writes records to a TFRecord file (`tf.io.TFRecordWriter`).

        with tf.io.TFRecordWriter("train.tfrecord") as w:
            w.write(example.SerializeToString())
    """

    def __init__(self, path, options=None):
        self._path = os.fspath(path)
        kind = compression_kind(options)
        opts = options if isinstance(options, TFRecordOptions) else TFRecordOptions()
        level = 6 if opts.compression_level is None or opts.compression_level < 0 else opts.compression_level
        tuned = any(v is not None for v in (opts.window_bits, opts.compression_method, opts.mem_level,
                                            opts.compression_strategy, opts.flush_mode))
        raw = open(self._path, "wb")  # noqa: SIM115 - closed in close()
        if kind == TFRecordCompressionType.GZIP and not tuned:
            self._file = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=level, mtime=0)
            self._raw = raw
        elif kind in (TFRecordCompressionType.GZIP, TFRecordCompressionType.ZLIB):
            try:
                self._file = _ZlibWriter(raw, level, opts, gzip_header=kind == TFRecordCompressionType.GZIP)
            except ValueError as e:
                raw.close()
                raise ValueError(f"TFRecordOptions hold zlib settings zlib refuses ({e}): window_bits "
                                 f"{opts.window_bits}, mem_level {opts.mem_level}, compression_method "
                                 f"{opts.compression_method}, compression_strategy {opts.compression_strategy}, "
                                 f"compression_level {opts.compression_level}.") from None
            self._raw = raw
        else:
            self._file = raw
            self._raw = None

    def write(self, record) -> None:
        if isinstance(record, str):
            record = record.encode("utf-8")
        self._file.write(encode_record(bytes(record)))
        if isinstance(self._file, _ZlibWriter):
            self._file.end_record()

    def flush(self) -> None:
        self._file.flush()
        if self._raw is not None:
            self._raw.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            if self._raw is not None:
                self._raw.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _ZlibWriter:
    """A zlib stream with TF's tunable settings (`window_bits + 16` writes a gzip header, as TF's GZIP)."""

    def __init__(self, raw, level, options: TFRecordOptions, gzip_header: bool = False):
        self._raw = raw
        wbits = zlib.MAX_WBITS if options.window_bits is None else options.window_bits
        self._z = zlib.compressobj(
            level,
            zlib.DEFLATED if options.compression_method is None else options.compression_method,
            wbits + 16 if gzip_header else wbits,
            zlib.DEF_MEM_LEVEL if options.mem_level is None else options.mem_level,
            zlib.Z_DEFAULT_STRATEGY if options.compression_strategy is None else options.compression_strategy)
        self._flush_mode = options.flush_mode or zlib.Z_NO_FLUSH

    def write(self, data):
        self._raw.write(self._z.compress(data))

    def end_record(self):
        if self._flush_mode != zlib.Z_NO_FLUSH:
            self._raw.write(self._z.flush(self._flush_mode))

    def flush(self):
        self._raw.write(self._z.flush(zlib.Z_SYNC_FLUSH))

    def close(self):
        self._raw.write(self._z.flush())
        self._raw.close()


def tf_record_iterator(path, options=None):
    """An iterator over the records of a TFRecord file (`tf.python_io.tf_record_iterator`)."""
    return read_records(path, options)
