"""TFRecord framing, shared by every layer that reads or writes TensorFlow's record files.

Each record is

    uint64le length | uint32le masked_crc32c(length bytes) | data | uint32le masked_crc32c(data)

Every checksum is verified on read. A bad checksum raises DataLossError("corrupted record
at N") and a file cut inside a record raises DataLossError("truncated record at N ..."),
with TF's offsets and then the file and what is wrong; a partial header at the very end
is a clean end of file, as in TF. Memory stays bounded whatever the file says: a length
field is checked against the bytes left before anything is read, reads go in steps of at
most 1 MiB, and ZLIB streams are inflated only as far as the reader asks
(`ZlibInputStream`).
Input pipelines (`tf.data`, `tf.io.TFRecordWriter`) and event files build on this module.
"""

from __future__ import annotations

import enum
import gzip
import io
import os
import stat
import struct
import zlib

from estflow.core import errors
from estflow.core.crc32c import masked_crc32c

_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")


class TFRecordCompressionType(enum.IntEnum):
    """`tf.python_io.TFRecordCompressionType`."""

    NONE = 0
    ZLIB = 1
    GZIP = 2


_BY_NAME = {"": TFRecordCompressionType.NONE, "NONE": TFRecordCompressionType.NONE,
            "ZLIB": TFRecordCompressionType.ZLIB, "GZIP": TFRecordCompressionType.GZIP}


def compression_kind(options) -> TFRecordCompressionType:
    """The compression named by `options`: None, a name, a TFRecordCompressionType or TFRecordOptions."""
    if options is None:
        return TFRecordCompressionType.NONE
    if not isinstance(options, (str, int)) and hasattr(options, "compression_type"):
        options = options.compression_type
        if options is None:
            return TFRecordCompressionType.NONE
    if isinstance(options, TFRecordCompressionType):
        return options
    if isinstance(options, int):
        return TFRecordCompressionType(options)
    if isinstance(options, str) and options.upper() in _BY_NAME:
        return _BY_NAME[options.upper()]
    raise ValueError(f"Unknown TFRecord compression type {options!r}: use '', 'ZLIB' or 'GZIP'.")


def encode_record(data: bytes) -> bytes:
    """One framed record."""
    header = struct.pack("<Q", len(data))
    return header + _FOOTER.pack(masked_crc32c(header)) + data + _FOOTER.pack(masked_crc32c(data))


_CHUNK = 1 << 20  # the most bytes read, or inflated, at a time


class ZlibInputStream:
    """A ZLIB stream inflated as it is read, never more than a read asks for.

    `read(n)` inflates at most `n` bytes (in chunks of at most 1 MiB), so a small file
    that inflates to gigabytes costs memory only for what the reader takes from it. A
    stream that ends before zlib's end marker, or holds bytes zlib refuses, raises
    DataLossError naming the file once the intact bytes before the fault are read.
    """

    def __init__(self, raw, path: str):
        self._raw = raw
        self._path = path
        self._z = zlib.decompressobj()
        self._input = b""  # compressed bytes read from the file, not yet given to zlib
        self._done = False

    def _inflate(self, limit: int) -> bytes:
        """Up to `limit` inflated bytes (b"" only at the end of the stream)."""
        while not self._done:
            if not self._input:
                self._input = self._raw.read(_CHUNK)
                if not self._input:
                    self._done = True
                    if not self._z.eof:
                        raise errors.DataLossError(
                            None, None, f"{self._path}: truncated ZLIB stream (the file ends before zlib's end "
                                        f"marker)")
                    return b""
            try:
                out = self._z.decompress(self._input, limit)
            except zlib.error as e:
                self._done = True
                raise errors.DataLossError(None, None, f"{self._path}: corrupted ZLIB stream ({e})") from None
            self._input = self._z.unconsumed_tail
            if self._z.eof:
                self._done = True  # bytes after zlib's end marker are not part of the stream, as in TF
            if out:
                return out
        return b""

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self._inflate(_CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        parts, got = [], 0
        while got < n:
            chunk = self._inflate(min(n - got, _CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def close(self) -> None:
        self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _open_stream(path: str, kind: TFRecordCompressionType):
    if kind == TFRecordCompressionType.GZIP:
        return gzip.open(path, "rb")
    raw = open(path, "rb")  # noqa: SIM115 - the iterator closes it
    return ZlibInputStream(raw, path) if kind == TFRecordCompressionType.ZLIB else raw


def _read_at_most(read, n: int) -> bytes:
    """Read `n` bytes (fewer at the end of the stream) in chunks of at most 1 MiB.

    Memory grows with the bytes the stream really holds, never with a length field.
    """
    if n <= _CHUNK:
        return read(n)
    parts, got = [], 0
    while got < n:
        chunk = read(min(n - got, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _plain_file_size(stream) -> int | None:
    """The size of an uncompressed regular file (None for a pipe, a device or a compressed stream)."""
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _truncated(offset: int, path: str, detail: str) -> errors.DataLossError:
    return errors.DataLossError(
        None, None, f"truncated record at {offset}' failed with Read less bytes than requested (in {path}: {detail})")


def read_records(path, options=None, verify: bool = True):
    """Yield each record's bytes; raises DataLossError on corruption or truncation.

    The message starts with TF's ("corrupted record at N", "truncated record at N...")
    and names the file and what is wrong with it. Memory stays bounded by the largest
    record the file really holds: a length field is checked against the bytes left in an
    uncompressed file before anything is read, and compressed streams are inflated in
    bounded steps.
    """
    path = os.fspath(path)
    kind = compression_kind(options)
    try:
        stream = _open_stream(path, kind)
    except OSError as e:
        raise errors.from_os_error(path, e) from None
    with stream as f:
        size = _plain_file_size(f) if kind == TFRecordCompressionType.NONE else None
        read = f.read
        offset = 0
        while True:
            try:
                header = read(12)
            except (OSError, EOFError, zlib.error) as e:
                raise errors.DataLossError(None, None, f"corrupted record at {offset} (in {path}: {e})") from None
            if len(header) < 12:
                return  # a clean end, or a partial header at the end: TF treats both as EOF
            length, length_crc = _HEADER.unpack(header)
            if verify and masked_crc32c(header[:8]) != length_crc:
                raise errors.DataLossError(
                    None, None, f"corrupted record at {offset} (in {path}: the checksum of the length field does "
                                f"not match)")
            if size is not None and length + 4 > size - offset - 12:
                raise _truncated(offset, path, f"the record's length field says {length} bytes, and its data and "
                                               f"checksum need {length + 4}, but {size - offset - 12} bytes remain")
            try:
                data = _read_at_most(read, length)
                footer = read(4) if len(data) == length else b""
            except (OSError, EOFError, zlib.error) as e:
                raise errors.DataLossError(
                    None, None, f"corrupted record at {offset + 12} (in {path}: {e})") from None
            if len(footer) < 4:
                raise _truncated(offset, path, f"the record's length field says {length} bytes, and its data and "
                                               f"checksum need {length + 4}, but the stream ends after "
                                               f"{len(data) + len(footer)}")
            if verify and masked_crc32c(data) != _FOOTER.unpack(footer)[0]:
                raise errors.DataLossError(
                    None, None, f"corrupted record at {offset + 12} (in {path}: the checksum of the record's "
                                f"{length} data bytes does not match)")
            yield data
            offset += 16 + length
