"""`tf.data.experimental.snapshot`: a pipeline's output written to a directory once, then read back.

The first complete pass over the input writes its elements under `path/<fingerprint>/`
(estflow's own format: `snapshot.index` and `snapshot.data`, the numpy records of `Dataset.cache`
files, see cache.py: written under temporary names and renamed, so an unfinished or failed pass
leaves nothing that could be read). Later iterations, in this process or another, read the
snapshot instead of computing the input. The fingerprint identifies the input pipeline: its
stages, their arguments and data, the code of its functions and the values of the tensors it
captured, so pipelines that differ never read each other's snapshot, as TF's graph fingerprint
ensures.
"""

from __future__ import annotations

import hashlib
import os
import types

import numpy as np

from estflow.core.graph import Tensor
from estflow.core.graph_io import graph_to_graph_def
from estflow.core.sparse_tensor import SparseTensorValue
from estflow.data.cache import CacheDataset
from estflow.data.tracing import StructuredFunction

_COMPRESSIONS = ("AUTO", "GZIP", "SNAPPY", "NONE", None, "")


def _feed(digest, value, seen: set) -> None:
    """Hash what defines a pipeline node's output: arrays, numbers, strings, specs, functions' code."""
    if isinstance(value, np.ndarray):
        digest.update(repr((value.dtype.str, value.shape)).encode())
        digest.update(b"".join(bytes(x) for x in value.reshape(-1)) if value.dtype == object else value.tobytes())
    elif isinstance(value, (bool, int, float, str, bytes, np.generic, type(None))):
        digest.update(repr(value).encode())
    elif isinstance(value, SparseTensorValue):
        for part in value:
            _feed(digest, np.asarray(part), seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _feed(digest, item, seen)
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            _feed(digest, key, seen)
            _feed(digest, value[key], seen)
    elif isinstance(value, StructuredFunction):  # its traced graph: the ops, their attrs and constants
        digest.update(graph_to_graph_def(value.graph, strict=False).SerializeToString(deterministic=True))
    elif isinstance(value, types.FunctionType):
        digest.update(value.__code__.co_code + repr(value.__code__.co_consts).encode())
        for cell in value.__closure__ or ():
            _feed(digest, cell.cell_contents, seen)
    elif isinstance(value, Tensor):
        digest.update(value.name.encode())
    elif type(value).__module__.startswith("estflow.data") and hasattr(value, "__dict__"):
        if id(value) not in seen:  # a pipeline node (or its options): its type and arguments
            seen.add(id(value))
            digest.update(type(value).__name__.encode())
            for key in sorted(vars(value)):
                _feed(digest, getattr(value, key), seen)
    else:  # anything else by its type alone: a repr may hold a memory address
        digest.update(type(value).__qualname__.encode())


def fingerprint(dataset, env) -> str:
    """A hex digest of the input pipeline and the values of the tensors it captured in this instance."""
    digest = hashlib.sha256()
    _feed(digest, dataset, set())
    for tensor in dataset._all_tensors():
        _feed(digest, np.asarray(env.value(tensor)), set())
    return digest.hexdigest()[:32]


class SnapshotDataset(CacheDataset):
    """`snapshot(path)`: the input's elements, computed once and kept under `path` (see the module docstring)."""

    def __init__(self, input_dataset, path, compression="AUTO"):
        super().__init__(input_dataset, "")
        if compression not in _COMPRESSIONS:
            raise ValueError(f"compression must be one of 'AUTO', 'GZIP', 'SNAPPY' or None, got {compression!r}.")
        self._path = os.fspath(path)

    def _file(self, env) -> str:
        return os.path.join(self._path, fingerprint(self._input, env), "snapshot")


def snapshot(path, compression="AUTO", reader_func=None, shard_func=None):
    """Write the dataset to the directory `path` on its first complete pass and read it from there afterwards,
    as `tf.data.experimental.snapshot` (see estflow/data/snapshot.py for the files).

        ds = ds.map(expensive_parse).apply(tf.data.experimental.snapshot("/tmp/snap"))

    `compression` is accepted as TF takes it; estflow's snapshot files are stored uncompressed.
    `reader_func` and `shard_func` split and read TF's snapshot shards, which estflow does not
    make (one file of elements, read in order): they must be left None.
    """
    if reader_func is not None or shard_func is not None:
        raise NotImplementedError("estflow's snapshot is one file read in order: reader_func (which receives a "
                                  "dataset of datasets) and shard_func are not supported; leave them None.")
    return lambda dataset: SnapshotDataset(dataset, path, compression)
