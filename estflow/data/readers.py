"""File datasets: `TextLineDataset`, `FixedLengthRecordDataset`, `TFRecordDataset` (CSV: csv_dataset.py).

Each reads its files in large blocks and hands rows on in chunks (see runtime.py), so
`TextLineDataset(f).map(decode_csv).batch(256)` decodes whole batches of lines at once.
Files are read one after another, or `num_parallel_reads` at a time in TF's interleave
order (one record from each open file in turn, the next file taking the place of one
that ends), which is the order TF's parallel interleave gives.

Filenames may be a string, a list of strings (or paths), a string tensor (read when the
iterator is initialized) or a dataset of scalar strings. Remote URLs go through gfile.

    lines = tf.data.TextLineDataset(["a.csv", "b.csv"]).skip(1)
    records = tf.data.TFRecordDataset("train.tfrecord.gz", compression_type="GZIP")
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import tempfile
import zlib

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor
from estflow.core.record_io import open_zlib_stream, read_records
from estflow.data import gfile, runtime, structure
from estflow.data.dataset_ops import AUTOTUNE, Dataset

_BLOCK = 1 << 20  # bytes read from a file at a time
_COMPRESSION = ("", "ZLIB", "GZIP")


# ---- arguments ----------------------------------------------------------------------------------
def _path_text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return os.fspath(value) if isinstance(value, os.PathLike) else str(value)


class Filenames:
    """A file reader's `filenames`: a Python value, a string tensor, or a dataset of scalar strings."""

    def __init__(self, filenames):
        self.dataset = None
        self.value = None
        if isinstance(filenames, Dataset):
            spec = filenames.element_spec
            if not isinstance(spec, structure.TensorSpec) or spec.dtype != dtypes.string:
                types = structure.output_types(spec)
                raise TypeError(f"The `filenames` argument must contain `tf.string` elements. Got a dataset of "
                                f"`{types!r}` elements.")
            if not spec.shape.is_compatible_with([]):
                raise TypeError(f"The `filenames` argument must contain `tf.string` elements of shape [] (i.e. "
                                f"scalars). Got a dataset of element shape {spec.shape!r}.")
            self.dataset = filenames
            return
        if isinstance(filenames, Tensor):
            if filenames.dtype != dtypes.string:
                raise TypeError(f"The `filenames` argument must contain `tf.string` elements. Got "
                                f"`{filenames.dtype!r}` elements.")
            self.value = filenames
            return
        if isinstance(filenames, (list, tuple)):
            filenames = [os.fspath(f) if isinstance(f, os.PathLike) else f for f in filenames]
        elif isinstance(filenames, os.PathLike):
            filenames = os.fspath(filenames)
        array = structure.to_array(filenames)
        if array.dtype != object:
            raise TypeError(f"The `filenames` argument must contain `tf.string` elements. Got "
                            f"`{dtypes.as_dtype(array.dtype)!r}` elements.")
        self.value = array.reshape(-1)

    def inputs(self) -> tuple:
        return (self.dataset,) if self.dataset is not None else ()

    def tensors(self) -> list:
        return [self.value] if isinstance(self.value, Tensor) else []

    def names(self, env):
        """The file names in order, as str (a failed element of a dataset of names: its ElementError)."""
        if self.dataset is not None:
            for chunk in runtime.chunks_of(self.dataset, env, runtime.ELEMENT_CHUNK):
                if runtime.is_error(chunk):
                    yield chunk
                    continue
                for name in chunk[0].reshape(-1).tolist():
                    yield _path_text(name)
            return
        for name in np.asarray(env.value(self.value), dtype=object).reshape(-1).tolist():
            yield _path_text(name)


def compression_type_value(compression_type) -> str | Tensor:
    """'' / 'ZLIB' / 'GZIP' (None: ''); a tensor is checked when the iterator starts."""
    if isinstance(compression_type, Tensor):
        if compression_type.dtype != dtypes.string:
            raise TypeError(f"`compression_type` must be a string, got a {compression_type.dtype.name} tensor.")
        return compression_type
    value = "" if compression_type is None else _path_text(compression_type)
    if value not in _COMPRESSION:
        raise ValueError(f"Unsupported compression_type: {value!r}. Use '' (none), 'ZLIB' or 'GZIP'.")
    return value


def _runtime_compression(env, value) -> str:
    if isinstance(value, Tensor):
        value = _path_text(np.asarray(env.value(value)).item())
        if value not in _COMPRESSION:
            raise errors.InvalidArgumentError(None, None, f"Unsupported compression_type: {value}.")
    return value


def _cycle_length(num_parallel_reads):
    if num_parallel_reads is None:
        return 1
    if isinstance(num_parallel_reads, Tensor):
        value = num_parallel_reads._const_value
        if value is None:
            raise ValueError("num_parallel_reads must be known when the pipeline is built (a Python int or a "
                             "constant).")
        num_parallel_reads = int(value)
    num_parallel_reads = int(num_parallel_reads)
    if num_parallel_reads == AUTOTUNE:
        return os.cpu_count() or 1
    if num_parallel_reads <= 0:
        raise ValueError(f"`num_parallel_reads` must be a positive integer or AUTOTUNE, got {num_parallel_reads}.")
    return num_parallel_reads


# ---- streams -------------------------------------------------------------------------------------
class _GzipReader:
    def __init__(self, raw, path):
        self._raw = raw
        self._path = path
        self._gz = gzip.GzipFile(fileobj=raw, mode="rb")

    def read(self, n=-1):
        try:
            return self._gz.read(n)
        except (OSError, EOFError, zlib.error) as e:
            if isinstance(e, errors.OpError):
                raise
            raise errors.DataLossError(None, None, f"{self._path}: corrupted GZIP stream ({e})") from None

    def close(self):
        self._gz.close()
        self._raw.close()


def open_stream(path: str, compression: str):
    """A binary stream over a file's (decompressed) bytes; NotFoundError at the first read if it is missing."""
    raw = gfile.GFile(path, "rb")
    if compression == "GZIP":
        return _GzipReader(raw, path)
    if compression == "ZLIB":
        return open_zlib_stream(raw, path)  # inflates no more than each read asks for
    return raw


def string_column(values: list) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))


def _chunked(values: list, hint: int):
    for start in range(0, len(values), hint):
        yield [string_column(values[start:start + hint])]


# ---- the base of file readers --------------------------------------------------------------------
class FileReaderDataset(Dataset):
    """A dataset reading each file in turn (or `cycle_length` at a time, interleaved) into rows.

    Subclasses define `_file_chunks(env, path, hint)`: the chunks of one file.
    """

    def __init__(self, filenames, cycle_length: int = 1):
        self._filenames = Filenames(filenames)
        self._cycle = cycle_length

    def _inputs(self):
        return self._filenames.inputs()

    def _own_tensors(self):
        return self._filenames.tensors()

    def _chunk_mode(self, env):
        return 2

    def _file_chunks(self, env, path: str, hint: int):
        raise NotImplementedError

    def _chunks(self, env, hint):
        names = self._filenames.names(env)
        if self._cycle <= 1:
            for name in names:
                if runtime.is_error(name):
                    yield name
                else:
                    yield from self._file_chunks(env, name, hint)
            return
        rows = interleave(names, lambda name: self._file_rows(env, name), self._cycle)
        yield from runtime.group_chunks(rows, hint)

    def _file_rows(self, env, path):
        return runtime.rows_of_chunks(self._file_chunks(env, path, runtime.ELEMENT_CHUNK))


def error_in_file(error: errors.OpError, path: str, local: str | None = None) -> errors.OpError:
    """`error` (same class) with a message that names the file it happened in."""
    message = error.message
    if local and local != path:
        message = message.replace(local, path)
    if path not in message:
        message = f"{message} (in {path})"
    return type(error)(None, None, message)


def interleave(inputs, open_fn, cycle_length: int):
    """TF's interleave order with block_length 1: one element from each open input in turn.

    An input that ends frees its slot, which the next input fills when the cycle comes back
    to it. A failed element of an input takes that input's turn.
    """
    inputs = iter(inputs)
    slots = [None] * cycle_length
    open_count, index, exhausted = 0, 0, False
    while not exhausted or open_count:
        current = slots[index]
        if current is not None:
            try:
                element = next(current)
            except StopIteration:
                slots[index] = None
                open_count -= 1
                index = (index + 1) % cycle_length
                continue
            yield element
            index = (index + 1) % cycle_length
        elif not exhausted:
            try:
                item = next(inputs)
            except StopIteration:
                exhausted = True
                continue
            if runtime.is_error(item):  # a failed input: passed on, its slot stays free
                yield item
                continue
            slots[index] = iter(open_fn(item))
            open_count += 1
        else:
            index = (index + 1) % cycle_length


# ---- TextLineDataset -----------------------------------------------------------------------------
class TextLineDataset(FileReaderDataset):
    """The lines of text files, without their line endings (`\\n`, or `\\r\\n`), as `tf.data.TextLineDataset`.

    Args:
      filenames: a file name, a list of them, a string tensor or a dataset of file names.
      compression_type: None or "" (plain), "ZLIB" or "GZIP".
      buffer_size: accepted for TF compatibility (files are read in 1 MiB blocks).
      num_parallel_reads: files read at once, their lines interleaved (None: one after another).

        ds = tf.data.TextLineDataset("adult.csv").map(lambda line: tf.decode_csv(line, defaults)).batch(256)
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None):
        super().__init__(filenames, _cycle_length(num_parallel_reads))
        self._compression = compression_type_value(compression_type)
        self._buffer_size = buffer_size
        self._spec = structure.TensorSpec([], dtypes.string)

    def _own_tensors(self):
        return super()._own_tensors() + ([self._compression] if isinstance(self._compression, Tensor) else [])

    def _file_chunks(self, env, path, hint):
        stream = open_stream(path, _runtime_compression(env, self._compression))
        try:
            rest = b""
            while True:
                block = stream.read(_BLOCK)
                if not block:
                    break
                if rest:
                    block = rest + block
                lines = block.split(b"\n")
                rest = lines.pop()
                if lines:
                    yield from _chunked(_strip_cr(lines) if b"\r" in block else lines, hint)
            if rest:
                yield from _chunked(_strip_cr([rest]), hint)
        finally:
            stream.close()


def _strip_cr(lines: list) -> list:
    """TF's ReadLine drops one '\\r' before each '\\n' (and at the end of the file)."""
    if not any(line.endswith(b"\r") for line in lines):
        return lines
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


# ---- FixedLengthRecordDataset --------------------------------------------------------------------
class FixedLengthRecordDataset(FileReaderDataset):
    """Records of `record_bytes` bytes from binary files, as `tf.data.FixedLengthRecordDataset`.

    `header_bytes` at the start and `footer_bytes` at the end of each file are skipped. A
    body that is not a whole number of records loses its last partial record (with a
    warning, as TF logs).

        ds = tf.data.FixedLengthRecordDataset("cifar.bin", record_bytes=3073)
    """

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None, buffer_size=None,
                 compression_type=None, num_parallel_reads=None):
        super().__init__(filenames, _cycle_length(num_parallel_reads))
        self._record_bytes = _static_size(record_bytes, "record_bytes")
        if self._record_bytes <= 0:
            raise ValueError(f"record_bytes must be positive, got {self._record_bytes}.")
        self._header_bytes = _static_size(header_bytes or 0, "header_bytes")
        self._footer_bytes = _static_size(footer_bytes or 0, "footer_bytes")
        if self._header_bytes < 0 or self._footer_bytes < 0:
            raise ValueError("header_bytes and footer_bytes must be >= 0.")
        self._compression = compression_type_value(compression_type)
        self._buffer_size = buffer_size
        self._spec = structure.TensorSpec([], dtypes.string)

    def _own_tensors(self):
        return super()._own_tensors() + ([self._compression] if isinstance(self._compression, Tensor) else [])

    def _file_chunks(self, env, path, hint):
        size, header, footer = self._record_bytes, self._header_bytes, self._footer_bytes
        stream = open_stream(path, _runtime_compression(env, self._compression))
        try:
            skipped = stream.read(header) if header else b""
            if len(skipped) < header:
                return
            buffer = b""
            while True:
                block = stream.read(_BLOCK)
                if not block:
                    break
                buffer += block
                whole = max(0, len(buffer) - footer) // size
                if whole:
                    end = whole * size
                    yield from _chunked([buffer[i:i + size] for i in range(0, end, size)], hint)
                    buffer = buffer[end:]
            leftover = len(buffer) - footer
            if leftover > 0:
                logging.getLogger("estflow").warning(
                    "Input file %s has a body that is not an exact multiple of the record length (%d bytes); its "
                    "last %d bytes are ignored.", path, size, leftover)
        finally:
            stream.close()


def _static_size(value, name: str) -> int:
    if isinstance(value, Tensor):
        v = value._const_value
        if v is None:
            raise ValueError(f"`{name}` must be known when the pipeline is built (a Python int or a constant).")
        return int(v)
    return int(value)


# ---- TFRecordDataset -----------------------------------------------------------------------------
class TFRecordDataset(FileReaderDataset):
    """The records of TFRecord files (checksums verified), as `tf.data.TFRecordDataset`.

    A corrupted or truncated record raises DataLossError (naming the file) after the
    records before it, and the next get_next goes on with the next file, as TF does; a
    partial header at the very end is a clean end of file. A file that cannot be opened
    raises NotFoundError at every get_next (TF retries it).

        ds = tf.data.TFRecordDataset(["a.tfrecord", "b.tfrecord"]).batch(256)
        ds = ds.map(lambda records: tf.parse_example(records, features))
    """

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None):
        super().__init__(filenames, _cycle_length(num_parallel_reads))
        self._compression = compression_type_value(compression_type)
        self._buffer_size = buffer_size
        self._spec = structure.TensorSpec([], dtypes.string)

    def _own_tensors(self):
        return super()._own_tensors() + ([self._compression] if isinstance(self._compression, Tensor) else [])

    def _file_chunks(self, env, path, hint):
        compression = _runtime_compression(env, self._compression)
        local, cleanup = _local_copy(path)
        try:
            batch = []
            records = read_records(local, compression)
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except errors.DataLossError as e:
                    if batch:  # the records before a damaged one come out first, then its error,
                        yield [string_column(batch)]
                    yield runtime.ElementError(error_in_file(e, path, local))
                    return  # and TF goes on with the next file
                batch.append(record)
                if len(batch) == hint:
                    yield [string_column(batch)]
                    batch = []
            if batch:
                yield [string_column(batch)]
        finally:
            cleanup()


def _local_copy(path: str):
    """A local path holding the file (remote files are copied through gfile first), and its cleanup."""
    fs, local = gfile._filesystem(path)
    if fs is gfile._LocalFileSystem:
        return local, lambda: None
    handle, tmp = tempfile.mkstemp(suffix=".tfrecord")
    with os.fdopen(handle, "wb") as out, gfile.GFile(path, "rb") as src:
        shutil.copyfileobj(src, out, _BLOCK)
    return tmp, lambda: os.path.exists(tmp) and os.unlink(tmp)

