"""TFRecord framing, shared by every layer that reads or writes TensorFlow's record files.

Each record is

    uint64le length | uint32le masked_crc32c(length bytes) | data | uint32le masked_crc32c(data)

Every checksum is verified on read. A bad checksum raises DataLossError("corrupted record
at N") and a file cut inside a record raises DataLossError("truncated record at N ..."),
with TF's offsets and then the file and what is wrong; a partial header at the very end
is a clean end of file, as in TF. Memory stays bounded whatever the file says: a length
field is checked against the bytes left before anything is read, reads go in steps of at
most 1 MiB, and ZLIB streams are inflated only as far as the reader asks
(`open_zlib_stream`).
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


_COMPRESSED_CHUNK = 1 << 16  # compressed bytes handed to zlib at a time: what zlib keeps pending stays small


class ZlibInputStream(io.RawIOBase):
    """A ZLIB stream inflated as it is read: never more than 1 MiB beyond what a read asks for.

    Bytes are inflated in steps of at most 1 MiB, so a small file that inflates to
    gigabytes costs memory only for what the reader takes from it. A stream that ends
    before zlib's end marker, or holds bytes zlib refuses, raises DataLossError naming the
    file once the intact bytes before the fault are read. Use it through
    `open_zlib_stream`, whose buffer serves small reads in C.
    """

    def __init__(self, raw, path: str):
        super().__init__()
        self._raw = raw
        self._path = path
        self._z = zlib.decompressobj()
        self._input = b""  # compressed bytes read from the file, not yet given to zlib
        self._buffer = b""  # inflated bytes not yet returned, from self._pos on
        self._pos = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def _inflate(self) -> bytes:
        """Up to 1 MiB of inflated bytes (b"" only at the end of the stream)."""
        while not self._done:
            if not self._input:
                self._input = self._raw.read(_COMPRESSED_CHUNK)
                if not self._input:
                    self._done = True
                    if not self._z.eof:
                        raise errors.DataLossError(
                            None, None, f"{self._path}: truncated ZLIB stream (the file ends before zlib's end "
                                        f"marker)")
                    return b""
            try:
                out = self._z.decompress(self._input, _CHUNK)
            except zlib.error as e:
                self._done = True
                raise errors.DataLossError(None, None, f"{self._path}: corrupted ZLIB stream ({e})") from None
            self._input = self._z.unconsumed_tail
            if self._z.eof:
                self._done = True  # bytes after zlib's end marker are not part of the stream, as in TF
            if out:
                return out
        return b""

    def readinto(self, target) -> int:
        if self._pos == len(self._buffer):
            self._buffer, self._pos = self._inflate(), 0
        take = min(len(target), len(self._buffer) - self._pos)
        memoryview(target)[:take] = memoryview(self._buffer)[self._pos:self._pos + take]
        self._pos += take
        return take

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def open_zlib_stream(raw, path: str) -> io.BufferedReader:
    """A buffered binary stream of the inflated bytes of the ZLIB file `raw` (opened for reading)."""
    return io.BufferedReader(ZlibInputStream(raw, path), buffer_size=_CHUNK)


def _open_stream(path: str, kind: TFRecordCompressionType):
    if kind == TFRecordCompressionType.GZIP:
        return gzip.open(path, "rb")
    raw = open(path, "rb")  # noqa: SIM115 - the iterator closes it
    return open_zlib_stream(raw, path) if kind == TFRecordCompressionType.ZLIB else raw


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


def _read_large_record(read, length: int, offset: int, path: str, size: int | None) -> tuple[bytes, int]:
    """(data, stored checksum) of a record of at least 1 MiB, never allocating more than the file holds."""
    if size is not None and length + 4 > size - offset - 12:
        raise _truncated(offset, path, f"the record's length field says {length} bytes, and its data and checksum "
                                       f"need {length + 4}, but {size - offset - 12} bytes remain")
    try:
        data = _read_at_most(read, length)
        footer = read(4) if len(data) == length else b""
    except (OSError, EOFError, zlib.error) as e:
        raise errors.DataLossError(None, None, f"corrupted record at {offset + 12} (in {path}: {e})") from None
    if len(footer) < 4:
        raise _truncated(offset, path, f"the record's length field says {length} bytes, and its data and checksum "
                                       f"need {length + 4}, but the file ends after {len(data) + len(footer)}")
    return data, _FOOTER.unpack(footer)[0]


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
        unpack_header, unpack_footer, crc = _HEADER.unpack, _FOOTER.unpack_from, masked_crc32c  # hot loop: locals
        offset = 0
        while True:
            try:
                header = read(12)
            except (OSError, EOFError, zlib.error) as e:
                raise errors.DataLossError(None, None, f"corrupted record at {offset} (in {path}: {e})") from None
            if len(header) < 12:
                return  # a clean end, or a partial header at the end: TF treats both as EOF
            length, length_crc = unpack_header(header)
            if verify and crc(header[:8]) != length_crc:
                raise errors.DataLossError(
                    None, None, f"corrupted record at {offset} (in {path}: the checksum of the length field does "
                                f"not match)")
            if length < _CHUNK:  # one read for data and checksum, as TF's ReadChecksummed
                try:
                    body = read(length + 4)
                except (OSError, EOFError, zlib.error) as e:
                    raise errors.DataLossError(
                        None, None, f"corrupted record at {offset + 12} (in {path}: {e})") from None
                if len(body) < length + 4:
                    raise _truncated(offset, path, f"the record's length field says {length} bytes, and its data "
                                                   f"and checksum need {length + 4}, but the file ends after "
                                                   f"{len(body)}")
                data = body[:length]
                stored = unpack_footer(body, length)[0]
            else:  # a length a damaged file can claim: checked against the file, then read in steps
                data, stored = _read_large_record(read, length, offset, path, size)
            if verify and crc(data) != stored:
                raise errors.DataLossError(
                    None, None, f"corrupted record at {offset + 12} (in {path}: the checksum of the record's "
                                f"{length} data bytes does not match)")
            yield data
            offset += 16 + length
