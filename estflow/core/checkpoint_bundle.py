"""TensorFlow's V2 checkpoint bundle, read and written byte for byte as TF does.

A bundle with prefix `dir/model.ckpt-100` is two kinds of files:

    model.ckpt-100.index                 a LevelDB table (see `build_table`): under the empty
                                         key a BundleHeaderProto, then one BundleEntryProto per
                                         tensor, keys sorted byte-wise
    model.ckpt-100.data-00000-of-00001   the tensors back to back, in key order, no padding

A numeric tensor is its little-endian bytes (bool: one byte each, complex: (re, im) pairs).
A string tensor is the varint64 length of every element, a uint32 holding the masked
CRC-32C of those lengths (each hashed as a 4-byte little-endian uint32, or 8 bytes when
over 4 GiB, not as varints), then all the bytes. An entry's `crc32c` is the masked CRC-32C
of what `size` covers (for strings: the hashed lengths, the 4-byte length checksum, then
the bytes). The reader checks every checksum and raises `DataLossError` rather than
return damaged values.

    write_bundle("/tmp/ckpt/model.ckpt-1", {"w": np.ones(3, np.float32)})
    BundleReader("/tmp/ckpt/model.ckpt-1").get_tensor("w")   # array([1., 1., 1.], dtype=float32)
"""

from __future__ import annotations

import math
import os
import stat
import struct
import sys
from collections.abc import Iterable, Mapping

import numpy as np

from estflow.core import crc32c, dtypes, errors, tensor_slice_keys
from estflow.core.file_io import atomic_write, temporary_path
from estflow.core.protos import tensor_bundle_pb2
from estflow.core.tensor_util import to_string_array

# ---- the LevelDB table (TF's tsl/lib/io/table_builder.cc and format.cc) -------------------
TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48  # two BlockHandles padded to 40 bytes, then the 8-byte magic
BLOCK_TRAILER_SIZE = 5  # compression type byte + masked CRC-32C of contents and type
BLOCK_SIZE = 262144  # TF's table::Options default: a data block is cut once it reaches this
RESTART_INTERVAL = 16
_NO_COMPRESSION = 0


class _Corrupt(Exception):
    """A structural problem found while parsing; turned into DataLossError naming the file."""


def _put_varint(out: bytearray, value: int) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _get_varint(buf, pos: int, limit: int, bits: int = 64) -> tuple[int, int]:
    result = shift = 0
    while pos < limit and shift < bits:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
    raise _Corrupt("bad varint")


def _find_shortest_separator(start: bytes, limit: bytes) -> bytes:
    """A short key k with start <= k < limit (LevelDB's bytewise comparator)."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes([start[i] + 1])
    return start  # one is a prefix of the other, or no room between them: keep it


def _find_short_successor(key: bytes) -> bytes:
    """A short key >= `key`: its first byte below 0xff incremented, the rest dropped."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


class _BlockBuilder:
    """Prefix-compressed entries with a restart point every `restart_interval` keys."""

    def __init__(self, restart_interval: int):
        self.restart_interval = restart_interval
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.counter < self.restart_interval:
            n = min(len(key), len(self.last_key))
            while shared < n and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buffer))
            self.counter = 0
        _put_varint(self.buffer, shared)
        _put_varint(self.buffer, len(key) - shared)
        _put_varint(self.buffer, len(value))
        self.buffer += key[shared:]
        self.buffer += value
        self.last_key = key
        self.counter += 1

    def size_estimate(self) -> int:
        return len(self.buffer) + 4 * len(self.restarts) + 4

    def finish(self) -> bytes:
        tail = struct.pack(f"<{len(self.restarts) + 1}I", *self.restarts, len(self.restarts))
        return bytes(self.buffer) + tail


def _block_with_trailer(contents: bytes, offset: int) -> tuple[bytes, bytes]:
    """(contents + trailer, encoded BlockHandle for a block placed at `offset`)."""
    type_byte = bytes([_NO_COMPRESSION])
    crc = crc32c.masked_crc32c(contents + type_byte)
    handle = bytearray()
    _put_varint(handle, offset)
    _put_varint(handle, len(contents))
    return contents + type_byte + struct.pack("<I", crc), bytes(handle)


def build_table(items: Iterable[tuple[bytes, bytes]], block_size: int = BLOCK_SIZE) -> bytes:
    """An uncompressed LevelDB table of (key, value) pairs given in strictly increasing key order."""
    out = bytearray()
    index = _BlockBuilder(restart_interval=1)
    block = _BlockBuilder(RESTART_INTERVAL)
    pending_handle = None  # the last flushed block waits for the next key to pick its separator
    last_key = None
    for key, value in items:
        if last_key is not None and key <= last_key:
            raise ValueError(f"Table keys must be added in strictly increasing order: {key!r} after {last_key!r}.")
        if pending_handle is not None:
            index.add(_find_shortest_separator(last_key, key), pending_handle)
            pending_handle = None
        block.add(key, value)
        last_key = key
        if block.size_estimate() >= block_size:
            data, pending_handle = _block_with_trailer(block.finish(), len(out))
            out += data
            block = _BlockBuilder(RESTART_INTERVAL)
    if block.counter or len(block.restarts) > 1:
        data, pending_handle = _block_with_trailer(block.finish(), len(out))
        out += data
    if pending_handle is not None:
        index.add(_find_short_successor(last_key), pending_handle)
    metaindex, metaindex_handle = _block_with_trailer(_BlockBuilder(RESTART_INTERVAL).finish(), len(out))
    out += metaindex
    index_data, index_handle = _block_with_trailer(index.finish(), len(out))
    out += index_data
    footer = (metaindex_handle + index_handle).ljust(FOOTER_SIZE - 8, b"\0")
    out += footer + struct.pack("<Q", TABLE_MAGIC)
    return bytes(out)


class _BytesSource:
    """A table held in memory."""

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)

    def read_at(self, offset: int, n: int) -> bytes:
        return self.data[offset:offset + n]


class _FileSource:
    """A table read from an open file, one block at a time (never more than a block handle names)."""

    def __init__(self, f, size: int):
        self.f = f
        self.size = size

    def read_at(self, offset: int, n: int) -> bytes:
        self.f.seek(offset)
        data = self.f.read(n)
        if len(data) != n:  # the file shrank while being read
            raise _Corrupt(f"truncated block read (wanted {n} bytes at {offset}, got {len(data)})")
        return data


def _read_block(source, handle: bytes) -> bytes:
    offset, pos = _get_varint(handle, 0, len(handle))
    size, _ = _get_varint(handle, pos, len(handle))
    end = offset + size + BLOCK_TRAILER_SIZE
    if end > source.size - FOOTER_SIZE:
        raise _Corrupt(f"truncated block read (block at {offset} of {size} bytes lies past the end)")
    block = source.read_at(offset, size + BLOCK_TRAILER_SIZE)
    contents = block[:size + 1]
    (stored,) = struct.unpack_from("<I", block, size + 1)
    if crc32c.masked_crc32c(contents) != stored:
        raise _Corrupt(f"block checksum mismatch (block at offset {offset})")
    if contents[-1] != _NO_COMPRESSION:
        raise _Corrupt(f"block compression type {contents[-1]} is not supported (only uncompressed tables)")
    return contents[:-1]


def _block_entries(block: bytes) -> list[tuple[bytes, bytes]]:
    if len(block) < 4:
        raise _Corrupt("block too small")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 - 4 * num_restarts
    if num_restarts == 0 or limit < 0:
        raise _Corrupt("bad restart array")
    entries, pos, key = [], 0, b""
    while pos < limit:
        shared, pos = _get_varint(block, pos, limit, 32)
        non_shared, pos = _get_varint(block, pos, limit, 32)
        value_length, pos = _get_varint(block, pos, limit, 32)
        if shared > len(key) or pos + non_shared + value_length > limit:
            raise _Corrupt("bad entry in block")
        key = key[:shared] + block[pos:pos + non_shared]
        pos += non_shared
        entries.append((key, block[pos:pos + value_length]))
        pos += value_length
    return entries


def read_table(data: bytes) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs of a table held in memory; `_Corrupt` if it is damaged."""
    return _read_table(_BytesSource(data))


def _read_table(source) -> list[tuple[bytes, bytes]]:
    """All (key, value) pairs, every block checksum verified; `_Corrupt` otherwise.

    As LevelDB reads a table: the 48-byte footer first (its magic number, then the handles
    of the metaindex and index blocks), then each block the index names, each checked to
    lie inside the file before it is read. A file that is not a table fails after reading
    48 bytes, and nothing read is larger than the file.
    """
    if source.size < FOOTER_SIZE:
        raise _Corrupt("file is too short to be an sstable")
    footer = source.read_at(source.size - FOOTER_SIZE, FOOTER_SIZE)
    (magic,) = struct.unpack_from("<Q", footer, FOOTER_SIZE - 8)
    if magic != TABLE_MAGIC:
        raise _Corrupt("not an sstable (bad magic number)")
    metaindex_end = _handle_end(footer, 0)
    _block_entries(_read_block(source, footer[:metaindex_end]))  # holds nothing a bundle needs; checked all the same
    index = _block_entries(_read_block(source, footer[metaindex_end:_handle_end(footer, metaindex_end)]))
    items = []
    for _, handle in index:
        items.extend(_block_entries(_read_block(source, handle)))
    for (a, _), (b, _) in zip(items, items[1:], strict=False):
        if a >= b:
            raise _Corrupt("keys out of order")
    return items


def _handle_end(buf, pos: int) -> int:
    """Where the BlockHandle (two varint64s) starting at `pos` in a footer ends."""
    _, pos = _get_varint(buf, pos, 40)
    _, pos = _get_varint(buf, pos, 40)
    return pos


# ---- the bundle (TF's core/util/tensor_bundle/tensor_bundle.cc) ----------------------------
HEADER_KEY = b""
_BUNDLE_VERSION = 1  # VersionDef.producer TF writes; readers accept min_consumer <= this


def index_filename(prefix: str) -> str:
    return f"{prefix}.index"


def data_filename(prefix: str, shard_id: int = 0, num_shards: int = 1) -> str:
    return f"{prefix}.data-{shard_id:05d}-of-{num_shards:05d}"


def _data_loss(message: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, message)


def _as_array(value) -> tuple[np.ndarray, dtypes.DType]:
    if isinstance(value, np.ndarray) and value.dtype == object:
        arr = value
    else:
        arr = np.asarray(value)
    if arr.dtype.kind in "OSU":
        return to_string_array(arr), dtypes.string
    try:
        return arr, dtypes.as_dtype(arr.dtype)
    except TypeError:
        raise TypeError(f"Cannot save a tensor of numpy dtype {arr.dtype} in a checkpoint.") from None


def _encode_strings(arr: np.ndarray) -> tuple[bytes, int]:
    """TF's string layout and the crc that goes with it (see the module docstring)."""
    items = list(arr.reshape(-1))
    for x in items:
        if not isinstance(x, bytes):
            raise TypeError(f"A string tensor holds bytes (or str); got {type(x).__name__} {x!r:.40}.")
    lengths = bytearray()
    hashed = bytearray()
    for item in items:
        _put_varint(lengths, len(item))
        hashed += struct.pack("<I" if len(item) <= 0xFFFFFFFF else "<Q", len(item))
    crc = crc32c.crc32c(hashed)
    length_checksum = struct.pack("<I", crc32c.mask(crc))
    body = b"".join(items)
    crc = crc32c.extend(crc32c.extend(crc, length_checksum), body)
    return bytes(lengths) + length_checksum + body, crc


def encode_tensor(value) -> tuple[bytes, dtypes.DType, tuple[int, ...], int]:
    """(bytes as stored in the data file, dtype, shape, unmasked crc32c of what the entry covers)."""
    arr, dtype = _as_array(value)
    if dtype == dtypes.string:
        data, crc = _encode_strings(arr)
    else:
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
        crc = crc32c.crc32c(data)
    return data, dtype, tuple(int(d) for d in arr.shape), crc


class BundleWriter:
    """Writes one bundle: `add` tensors (any order), then `finish` publishes the files.

    Data goes to a temporary file as tensors are added; `finish` renames it into place and
    then writes the index the same way, so a reader (or a crash) never sees a half-written
    index, and an index always names a complete data file.
    """

    def __init__(self, prefix: str, shard_id: int = 0, num_shards: int = 1):
        self.prefix = os.fspath(prefix)
        self.shard_id = shard_id
        self.num_shards = num_shards
        self._entries: dict[str, tensor_bundle_pb2.BundleEntryProto] = {}
        self._offset = 0
        directory = os.path.dirname(self.prefix)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._data_path = data_filename(self.prefix, shard_id, num_shards)
        self._data_tmp = temporary_path(self._data_path, "tempstate")
        self._data_file = open(self._data_tmp, "wb")  # noqa: SIM115 - closed by finish/abort

    def add(self, name: str, value) -> None:
        """Append one tensor under `name` (a str; the empty name is reserved for the header)."""
        if not name:
            raise ValueError("The empty string is reserved for the bundle header and cannot name a tensor.")
        if name in self._entries:
            raise ValueError(f"Adding duplicate key: {name}")
        data, dtype, shape, crc = encode_tensor(value)
        entry = tensor_bundle_pb2.BundleEntryProto(dtype=dtype.as_datatype_enum, shard_id=self.shard_id,
                                                   offset=self._offset, size=len(data), crc32c=crc32c.mask(crc))
        entry.shape.SetInParent()
        for d in shape:
            entry.shape.dim.add(size=d)
        self._data_file.write(data)
        self._offset += len(data)
        self._entries[name] = entry

    def finish(self) -> None:
        """Publish the data file, then the index (atomically, each by rename)."""
        self._data_file.close()
        os.replace(self._data_tmp, self._data_path)
        write_index(self.prefix, self._entries, num_shards=self.num_shards)

    def abort(self) -> None:
        """Drop what was written so far (the temporary data file)."""
        self._data_file.close()
        if os.path.exists(self._data_tmp):
            os.remove(self._data_tmp)


def write_index(prefix: str, entries: Mapping[str, tensor_bundle_pb2.BundleEntryProto], num_shards: int = 1) -> None:
    """Write `prefix.index` (header + entries in sorted order) by rename from a temporary file."""
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=num_shards)
    header.version.producer = _BUNDLE_VERSION
    items = [(HEADER_KEY, header.SerializeToString())]
    items += sorted((name.encode("utf-8"), entry.SerializeToString()) for name, entry in entries.items())
    atomic_write(index_filename(prefix), build_table(items))


def write_bundle(prefix: str, tensors: Mapping[str, object]) -> None:
    """Save `{name: array}` as a V2 bundle at `prefix` (data file, then index), as TF's SaveV2 does."""
    writer = BundleWriter(prefix)
    try:
        for name in sorted(tensors):  # TF's Saver adds in sorted order: the data file follows the index
            writer.add(name, tensors[name])
    except BaseException:
        writer.abort()
        raise
    writer.finish()


def _shape_of(entry) -> tuple[int, ...]:
    return tuple(int(d.size) for d in entry.shape.dim)


def _open_regular(path: str, what: str, not_found: str):
    """`path` opened for reading if it is a regular file (a FIFO or device is refused before any read)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it changes nothing for a regular file.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise errors.NotFoundError(None, None, not_found) from None
    except IsADirectoryError:
        raise errors.NotFoundError(None, None, f"{path} is a directory, not a {what}.") from None
    except OSError as e:
        raise errors.from_os_error(path, e) from None
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        os.close(fd)
        raise errors.NotFoundError(None, None, f"{path} is a directory, not a {what}.")
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise _data_loss(f"Unable to read {what} {path}: it is not a regular file (a device, pipe or socket), so "
                         f"it cannot be a {what} written by a Saver.")
    return os.fdopen(fd, "rb"), info.st_size


def _read_index(prefix: str, path: str) -> list[tuple[bytes, bytes]]:
    """The (key, value) pairs of a checkpoint index, read footer first with bounded block reads."""
    f, size = _open_regular(path, "checkpoint index", f"Unsuccessful TensorSliceReader constructor: Failed to find "
                                                      f"any matching files for {prefix}")
    with f:
        try:
            return _read_table(_FileSource(f, size))
        except _Corrupt as e:
            raise _data_loss(f"Unable to read checkpoint index {path}: {e}. The file is truncated or corrupted; "
                             f"restore from another checkpoint.") from None
        except OSError as e:
            raise _data_loss(f"Unable to read checkpoint index {path}: {e}.") from None


class BundleReader:
    """Reads a V2 bundle: `keys()`, `dtypes()`, `shapes()` and checksum-verified `get_tensor`.

    Raises NotFoundError when `prefix.index` does not exist and DataLossError when the
    index is damaged.
    """

    def __init__(self, prefix: str):
        self.prefix = os.fspath(prefix)
        path = index_filename(self.prefix)
        items = _read_index(self.prefix, path)
        if not items or items[0][0] != HEADER_KEY:
            raise _data_loss(f"Checkpoint index {path} has no bundle header entry.")
        self._header = tensor_bundle_pb2.BundleHeaderProto()
        self._entries: dict[str, tensor_bundle_pb2.BundleEntryProto] = {}
        self._slice_entries: dict[bytes, tensor_bundle_pb2.BundleEntryProto] = {}
        try:
            self._header.ParseFromString(items[0][1])
            for key, value in items[1:]:
                entry = tensor_bundle_pb2.BundleEntryProto()
                entry.ParseFromString(value)
                if key.startswith(b"\x00"):  # the data of one slice of a partitioned tensor (tensor_slice_keys)
                    self._slice_entries[key] = entry
                    continue
                self._entries[key.decode("utf-8")] = entry
        except Exception as e:  # noqa: BLE001 - protobuf's DecodeError, a bad utf-8 key
            raise _data_loss(f"Checkpoint index {path} holds an unreadable entry: {e}") from None
        if self._header.endianness != tensor_bundle_pb2.BundleHeaderProto.LITTLE:
            raise errors.UnimplementedError(None, None, f"Checkpoint {self.prefix} is big-endian; estflow reads "
                                                        f"little-endian bundles only.")
        if self._header.version.min_consumer > _BUNDLE_VERSION:
            raise errors.InvalidArgumentError(
                None, None, f"Checkpoint min consumer version {self._header.version.min_consumer} above current "
                            f"version {_BUNDLE_VERSION} for checkpoint. Please upgrade estflow.")
        self._data_files: dict[int, object] = {}

    num_shards = property(lambda self: self._header.num_shards)

    def keys(self) -> list[str]:
        """Tensor names in the bundle, sorted."""
        return list(self._entries)

    def has_tensor(self, name: str) -> bool:
        return name in self._entries

    def entry(self, name: str) -> tensor_bundle_pb2.BundleEntryProto:
        try:
            return self._entries[name]
        except KeyError:
            raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint") from None

    def dtypes(self) -> dict[str, dtypes.DType]:
        return {k: self._dtype_of(k, e) for k, e in self._entries.items()}

    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {k: _shape_of(e) for k, e in self._entries.items()}

    def dtype_of(self, name: str) -> dtypes.DType:
        """The dtype stored under `name` (NotFoundError if absent, UnimplementedError if estflow lacks it)."""
        return self._dtype_of(name, self.entry(name))

    def _dtype_of(self, name: str, entry) -> dtypes.DType:
        try:
            return dtypes.as_dtype(entry.dtype)
        except TypeError:
            raise errors.UnimplementedError(None, None, f"Tensor {name} in checkpoint {self.prefix} has dtype enum "
                                                        f"{entry.dtype}, which estflow does not support.") from None

    def _data_file(self, shard_id: int):
        """(open file, size) of one data file, opened once."""
        opened = self._data_files.get(shard_id)
        if opened is None:
            path = data_filename(self.prefix, shard_id, max(self.num_shards, 1))
            opened = self._data_files[shard_id] = _open_regular(
                path, "checkpoint data file", f"{path}; No such file or directory (data file of checkpoint "
                                              f"{self.prefix})")
        return opened

    def _check_entry(self, name: str, entry) -> int:
        """Refuse an entry that cannot describe stored bytes, before anything is read or allocated.

        Returns the data file's size. The entry's byte range must lie inside that file; the
        element count its shape gives must fit the bytes (checked by the callers per dtype).
        """
        shards = max(self.num_shards, 1)
        where = f"tensor {name} in checkpoint {self.prefix}"
        if not 0 <= entry.shard_id < shards:
            raise _data_loss(f"The index entry of {where} names data shard {entry.shard_id}, but the checkpoint has "
                             f"{shards}; the index is corrupted.")
        if entry.offset < 0 or entry.size < 0:
            raise _data_loss(f"The index entry of {where} has offset {entry.offset} and size {entry.size}; both must "
                             f"be >= 0. The index is corrupted.")
        dims = _shape_of(entry)
        if any(d < 0 for d in dims):
            raise _data_loss(f"The index entry of {where} has shape {list(dims)}; a stored tensor's dimensions are "
                             f">= 0. The index is corrupted.")
        _, file_size = self._data_file(entry.shard_id)
        if entry.offset + entry.size > file_size:
            raise _data_loss(f"Truncated data file of checkpoint {self.prefix}: tensor {name} needs bytes "
                             f"[{entry.offset}, {entry.offset + entry.size}) but "
                             f"{data_filename(self.prefix, entry.shard_id, shards)} holds {file_size} bytes.")
        return file_size

    def _read(self, entry, name: str) -> bytes:
        f, _ = self._data_file(entry.shard_id)
        f.seek(entry.offset)
        data = f.read(entry.size)
        if len(data) != entry.size:
            raise _data_loss(f"Truncated data file of checkpoint {self.prefix}: tensor {name} needs bytes "
                             f"[{entry.offset}, {entry.offset + entry.size}) but the file ends before.")
        return data

    def get_tensor(self, name: str) -> np.ndarray:
        """The tensor stored under `name`, as a new numpy array (strings: object array of bytes).

        A damaged or hand-built entry (offsets past the data file's end, a shape that does
        not match the stored size, a bad checksum) raises DataLossError naming the tensor and
        the checkpoint; nothing larger than the entry's bytes in the data file is allocated.
        """
        entry = self.entry(name)
        if entry.slices:
            return self._assembled(name, entry)
        return self._whole(name, entry)

    def _assembled(self, name: str, entry) -> np.ndarray:
        """A tensor stored as slices (a partitioned variable, as TF saves it): its slices put together."""
        dtype = self._dtype_of(name, entry)
        shape = _shape_of(entry)
        value = np.empty(shape, dtype=object) if dtype == dtypes.string else \
            np.zeros(shape, dtype=np.dtype(dtype.as_numpy_dtype))
        for piece in entry.slices:
            extents = tensor_slice_keys.extents_of(piece)
            part = self._slice_entries.get(tensor_slice_keys.slice_key(name, extents))
            if part is None or len(extents) != len(shape):
                raise _data_loss(f"Checkpoint {self.prefix} lists a slice {extents} of tensor {name} but holds no "
                                 f"data for it; the checkpoint is incomplete or corrupted.")
            where = tuple(slice(0, n) if length == -1 else slice(start, start + length)
                          for (start, length), n in zip(extents, shape))
            value[where] = self._whole(name, part)
        return value

    def _whole(self, name: str, entry) -> np.ndarray:
        dtype = self._dtype_of(name, entry)
        self._check_entry(name, entry)
        shape = _shape_of(entry)
        count = math.prod(shape)
        if dtype == dtypes.string:
            if count and entry.size < count + 4:  # each element needs a length byte, then the 4-byte checksum
                raise _data_loss(f"String tensor {name} of shape {list(shape)} in checkpoint {self.prefix} needs at "
                                 f"least {count + 4} bytes but its checkpoint entry has {entry.size}.")
            value, crc = self._decode_strings(self._read(entry, name), count, name)
        else:
            np_dtype = np.dtype(dtype.as_numpy_dtype)
            if entry.size != count * np_dtype.itemsize:
                raise _data_loss(f"Tensor {name} of shape {list(shape)} and dtype {dtype.name} needs "
                                 f"{count * np_dtype.itemsize} bytes but its checkpoint entry has {entry.size} "
                                 f"(checkpoint {self.prefix}; the index is corrupted).")
            value, crc = self._read_numeric(entry, name, np_dtype, shape)
        if crc32c.mask(crc) != entry.crc32c:
            raise _data_loss(f"Checksum does not match: stored {entry.crc32c} vs. calculated on the restored bytes "
                             f"{crc32c.mask(crc)} (tensor {name} in checkpoint {self.prefix}). The data file is "
                             f"corrupted; restore from another checkpoint.")
        return value.reshape(shape)

    _CHUNK = 1 << 20

    def _read_numeric(self, entry, name: str, np_dtype: np.dtype, shape) -> tuple[np.ndarray, int]:
        """Stream a tensor's bytes into a new writable array, checksumming chunk by chunk.

        One copy out of small cache-warm chunks costs about what numpy.load's single read
        does; reading the whole tensor into bytes and then copying it costs twice that.
        """
        if entry.size <= self._CHUNK:
            data = self._read(entry, name)
            value = np.frombuffer(data, dtype=np_dtype.newbyteorder("<")).astype(np_dtype)
            return value, crc32c.crc32c(data)
        f, _ = self._data_file(entry.shard_id)
        f.seek(entry.offset)
        value = np.empty(shape, dtype=np_dtype)
        view = memoryview(value.reshape(-1)).cast("B")
        crc, pos = 0, 0
        while pos < entry.size:
            chunk = f.read(min(self._CHUNK, entry.size - pos))
            if not chunk:
                raise _data_loss(f"Truncated data file of checkpoint {self.prefix}: tensor {name} needs bytes "
                                 f"[{entry.offset}, {entry.offset + entry.size}) but the file ends before.")
            crc = crc32c.extend(crc, chunk)
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
        if sys.byteorder != "little" and np_dtype.itemsize > 1:
            value = value.byteswap()
        return value, crc

    def _decode_strings(self, data: bytes, count: int, name: str) -> tuple[np.ndarray, int]:
        lengths, hashed, pos = [], bytearray(), 0
        try:
            for _ in range(count):
                n, pos = _get_varint(data, pos, len(data))
                lengths.append(n)
                hashed += struct.pack("<I" if n <= 0xFFFFFFFF else "<Q", n)
        except _Corrupt:
            lengths = None
        if lengths is None or pos + 4 + sum(lengths) != len(data):
            raise _data_loss(f"String tensor {name} in checkpoint {self.prefix} has an inconsistent layout.")
        crc = crc32c.crc32c(hashed)
        (stored_lengths_crc,) = struct.unpack_from("<I", data, pos)
        if crc32c.mask(crc) != stored_lengths_crc:
            raise _data_loss(f"The length checksum does not match: expected {stored_lengths_crc} but actual is "
                             f"{crc32c.mask(crc)} (tensor {name} in checkpoint {self.prefix}).")
        pos += 4
        crc = crc32c.extend(crc, data[pos - 4:])
        out = np.empty(count, dtype=object)
        for i, n in enumerate(lengths):
            out[i] = data[pos:pos + n]
            pos += n
        return out, crc

    def close(self) -> None:
        for f, _ in self._data_files.values():
            f.close()
        self._data_files.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def read_bundle(prefix: str) -> dict[str, np.ndarray]:
    """Every tensor of the bundle at `prefix`, as `{name: array}`."""
    with BundleReader(prefix) as reader:
        return {name: reader.get_tensor(name) for name in reader.keys()}
