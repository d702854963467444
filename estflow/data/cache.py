"""`Dataset.cache`: record the input once, replay it; in memory or in files of numpy arrays.

In memory, the cache belongs to one iterator initialization: `repeat` epochs after the
first replay it, a new initialization computes it again (as TF). With a filename, the
first complete pass writes `<filename>.index` (JSON: components, item count) and
`<filename>.data` (the arrays, one `np.save` record each, `allow_pickle=False`; strings as
offsets plus bytes); later iterators, in this process or another, read those files. A
pass that stops early leaves no files. Files are written under temporary names and
renamed, the index last, so a half-written cache is never read.
"""

from __future__ import annotations

import json
import math
import os
import uuid

import numpy as np

from estflow.core import errors
from estflow.core.sparse_tensor import SparseTensorValue
from estflow.data import runtime
from estflow.data.runtime import ElementError
from estflow.data.transformations import _UnaryDataset

_FORMAT = "estflow-dataset-cache-v1"


class CacheDataset(_UnaryDataset):
    """`Dataset.cache(filename="")`."""

    _cardinality = _UnaryDataset._input_cardinality

    def __init__(self, input_dataset, filename=""):
        super().__init__(input_dataset)
        self._filename = os.fspath(filename) if filename is not None else ""

    def _cached(self, env):
        return env.state(self, dict)

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return self._items(env, "elements", lambda: self._input._elements(env))

    def _chunks(self, env, hint):
        return self._items(env, "chunks", lambda: runtime.chunks_of(self._input, env, hint))

    def _items(self, env, kind, make):
        cached = self._cached(env)
        if kind in cached:
            return iter(cached[kind])
        other = "chunks" if kind == "elements" else "elements"
        if other in cached:
            return _convert(cached[other], kind)
        filename = self._file(env)
        if filename and os.path.exists(filename + ".index"):
            stored_kind, items = _read(filename)
            cached[stored_kind] = items
            return iter(items) if stored_kind == kind else _convert(items, kind)
        return self._record(cached, kind, make(), filename)

    def _file(self, env) -> str:
        """The files' path prefix ("": in memory only)."""
        return self._filename

    def _record(self, cached, kind, iterator, filename):
        items = []
        for item in iterator:
            if item.__class__ is not ElementError:  # a failed element is passed on, not cached (as TF)
                items.append(item)
            yield item
        cached[kind] = items
        if filename:
            _write(filename, kind, items)


def _convert(items, kind):
    if kind == "elements":
        for chunk in items:
            yield from runtime.rows(chunk)
    else:
        for element in items:
            yield [np.expand_dims(np.asarray(v), 0) for v in element]


# ---- files -------------------------------------------------------------------------------------------
def _save_component(f, value) -> None:
    if isinstance(value, SparseTensorValue):
        f.write(b"S")
        np.save(f, np.asarray(value.indices, np.int64), allow_pickle=False)
        _save_component(f, np.asarray(value.values))
        np.save(f, np.asarray(value.dense_shape, np.int64), allow_pickle=False)
        return
    value = np.asarray(value)
    if value.dtype == object:  # strings: shape, lengths and the bytes joined
        f.write(b"T")
        flat = [bytes(x) for x in value.reshape(-1)]
        np.save(f, np.asarray(value.shape, np.int64), allow_pickle=False)
        np.save(f, np.asarray([len(x) for x in flat], np.int64), allow_pickle=False)
        np.save(f, np.frombuffer(b"".join(flat), np.uint8), allow_pickle=False)
        return
    f.write(b"A")
    np.save(f, value, allow_pickle=False)


def _load_array(f, size: int) -> np.ndarray:
    """One `np.save` record, its header checked against the bytes left before numpy allocates anything."""
    start = f.tell()
    version = np.lib.format.read_magic(f)
    npy = np.lib.format
    read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
    if read_header is None:
        raise ValueError(f"unexpected .npy format version {version}")
    shape, _, dtype = read_header(f)
    if dtype.hasobject:
        raise ValueError(f"an array of dtype {dtype} (objects are never cached)")
    need = math.prod(shape) * dtype.itemsize
    if need > size - f.tell():
        raise ValueError(f"an array of shape {shape} and dtype {dtype} needs {need} bytes at offset {f.tell()}, "
                         f"but {size - f.tell()} remain")
    f.seek(start)
    return np.load(f, allow_pickle=False)


def _load_component(f, size: int):
    tag = f.read(1)
    if tag == b"S":
        indices = _load_array(f, size)
        values = _load_component(f, size)
        return SparseTensorValue(indices, values, _load_array(f, size))
    if tag == b"T":
        shape = tuple(_load_array(f, size))
        lengths = _load_array(f, size)
        data = _load_array(f, size).tobytes()
        ends = np.cumsum(lengths)
        out = np.empty(len(lengths), dtype=object)
        out[:] = [data[e - n:e] for e, n in zip(ends.tolist(), lengths.tolist(), strict=False)]
        return out.reshape(shape)
    if tag == b"A":
        value = _load_array(f, size)
        return value[()] if value.ndim == 0 else value
    raise ValueError(f"a record tag {tag!r} at offset {f.tell() - len(tag)} (expected b'A', b'T' or b'S')")


def _write(filename: str, kind: str, items: list) -> None:
    directory = os.path.dirname(filename)
    if directory:
        os.makedirs(directory, exist_ok=True)
    token = uuid.uuid4().hex
    data_tmp, index_tmp = f"{filename}.data.{token}.tmp", f"{filename}.index.{token}.tmp"
    with open(data_tmp, "wb") as f:
        for item in items:
            for value in item:
                _save_component(f, value)
    index = {"format": _FORMAT, "kind": kind, "items": len(items), "components": len(items[0]) if items else 0}
    with open(index_tmp, "w") as f:
        json.dump(index, f)
    os.replace(data_tmp, filename + ".data")
    os.replace(index_tmp, filename + ".index")


def _read(filename: str):
    """The cached items; a damaged cache raises DataLossError naming the file, never a raw numpy error."""
    try:
        with open(filename + ".index") as f:
            index = json.load(f)
        if not isinstance(index, dict) or index.get("format") != _FORMAT:
            raise errors.DataLossError(None, None, f"{filename}.index is not an estflow dataset cache.")
        items = []
        with open(filename + ".data", "rb") as f:
            size = os.fstat(f.fileno()).st_size
            for _ in range(int(index["items"])):
                items.append([_load_component(f, size) for _ in range(int(index["components"]))])
        return index["kind"], items
    except errors.OpError:
        raise
    except OSError as e:
        raise errors.from_os_error(e.filename, e) from None
    except Exception as e:  # noqa: BLE001 - json, numpy's header parser (ValueError, SyntaxError, TokenError...)
        raise errors.DataLossError(None, None, f"The dataset cache {filename} (.index/.data) is corrupted: "
                                               f"{type(e).__name__}: {e}. Delete it to rebuild it.") from None
