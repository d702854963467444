"""What a running pipeline is made of: the per-instance environment, elements, chunks, batching.

A dataset yields *elements* (flat lists of components, see structure.py) one at a time,
and, when its rows are cheap to produce in bulk, *chunks*: flat lists of arrays sharing a
leading row dimension (any number of rows >= 1). Chunks are what keeps tabular pipelines
fast: `from_tensor_slices(...).map(f).batch(256)` slices 256 rows at once, runs `f` once
on them (when `f` is row-wise, see tracing.py) and hands the batch on without building a
single row. `chunks_of(ds, env, hint)` gives any dataset's rows as chunks (grouping its
elements when it has no chunked form), `rows(chunk)` turns a chunk back into elements.

Errors. An element that fails (a map or filter function raising on it, a corrupted
record, a CSV record that does not parse, a generator yielding a value of the wrong type)
does not end the stream: an `ElementError` takes its place, among the elements or between
chunks, every stage hands it on at its position, and the iterator's `get_next` raises it;
the next `get_next` goes on after it, as TF does. A stage that cannot go on at all (a
file that cannot be opened) raises instead: that ends the stream, and the iterator repeats
the error. Chunked stages stay as fast as before when nothing fails: a function is run
on a whole chunk, and only a chunk that raises is run again row by row to find the rows
that fail.

An `Env` is one instance of a pipeline: one iterator initialization (or one element of a
flat_map / interleave, whose inner datasets get a child Env). It holds the values of the
graph tensors the pipeline captured, per-node state (shuffle epochs, caches, bound
functions) and the background threads to stop when the iterator goes away.
"""

from __future__ import annotations

import collections
import itertools
import threading

import numpy as np

from estflow.core import errors
from estflow.core.graph import Tensor
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue

ELEMENT_CHUNK = 256  # rows produced at once when a consumer wants single elements


class Env:
    """One instance of a pipeline: captured values, per-node state, the session it runs in."""

    def __init__(self, ctx, values: dict, options, parent: Env | None = None):
        self.ctx = ctx
        self.values = values
        self.options = options
        self.node_state: dict = {}
        self._closers = parent._closers if parent is not None else set()
        self._lock = parent._lock if parent is not None else threading.RLock()

    @property
    def fusion(self) -> bool:
        return self.options.fusion_enabled()

    def value(self, component):
        """A component's runtime value: graph tensors are looked up, numpy values pass through."""
        if isinstance(component, Tensor):
            return self.values[component]
        if isinstance(component, SparseTensor):
            v = self.values
            return SparseTensorValue(v[component.indices], v[component.values], v[component.dense_shape])
        return component

    def child(self, values: dict) -> Env:
        return Env(self.ctx, values, self.options, self)

    def state(self, node, factory):
        key = id(node)
        with self._lock:
            s = self.node_state.get(key)
            if s is None:
                s = self.node_state[key] = (node, factory())  # the node is kept alive with its state
            return s[1]

    def bind(self, function):
        """`function` compiled for this session, with this instance's captured values."""
        return self.state(function, lambda: function.bind(self))

    def on_close(self, fn) -> None:
        """Call `fn` when the iterator goes away (re-initialized, session closed)."""
        with self._lock:
            self._closers.add(fn)

    def discard(self, fn) -> None:
        with self._lock:
            self._closers.discard(fn)

    def close(self) -> None:
        with self._lock:
            closers = list(self._closers)
            self._closers.clear()
        for fn in closers:
            fn()


# ---- errors ---------------------------------------------------------------------------------------
class ElementError:
    """A failed element: stands in a stream where the element (or, between chunks, its row) would be."""

    __slots__ = ("error",)

    def __init__(self, error: Exception):
        self.error = error

    def __repr__(self):
        return f"ElementError({self.error!r})"


def is_error(item) -> bool:
    return item.__class__ is ElementError


def format_shape(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def batch_shape_error(component: int, first, index: int, other) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(
        None, None, f"Cannot batch tensors with different shapes in component {component}. First element had "
                    f"shape {format_shape(first)} and element {index} had shape {format_shape(other)}.")


# ---- elements <-> chunks --------------------------------------------------------------------------
def rows(chunk):
    """The elements of a chunk, one flat list per row (string rows as 0-d object arrays)."""
    iters = [_string_rows(c) if c.dtype == object and c.ndim == 1 else iter(c) for c in chunk]
    if len(iters) == 1:
        return ([x] for x in iters[0])
    return (list(r) for r in zip(*iters, strict=False))


def _string_rows(column):
    """0-d object arrays (iterating a 1-D object array would give bare `bytes`)."""
    return (column[i, ...] for i in range(len(column)))


def stack(values: list, component: int = 0) -> np.ndarray:
    """Stack one component of several elements into a batch (TF's error when shapes differ)."""
    first = values[0]
    kind = getattr(getattr(first, "dtype", None), "kind", "O")
    if kind != "O":
        try:
            return np.array(values)
        except ValueError:
            pass  # ragged: fall through to report the first mismatch
    shape = np.shape(first)
    for i, v in enumerate(values):
        if np.shape(v) != shape:
            raise batch_shape_error(component, shape, i, np.shape(v))
    if kind == "O":  # strings: np.array would nest 0-d object arrays, or read bytes as fixed-width
        out = np.empty((len(values),) + shape, dtype=object)
        for i, v in enumerate(values):
            out[i] = v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v
        return out
    return np.stack(values)


def stack_elements(elements: list, sparse_flags) -> list:
    """A batch from a list of elements: dense components stacked, sparse ones batched."""
    out = []
    for i, is_sparse in enumerate(sparse_flags):
        values = [e[i] for e in elements]
        out.append(batch_sparse(values) if is_sparse else stack(values, i))
    return out


def group_chunks(elements, hint: int):
    """Chunks of up to `hint` elements; elements of differing shapes become one-row chunks; a failed
    element ends the chunk before it and is passed on in its place."""
    elements = iter(elements)
    while True:
        group = list(itertools.islice(elements, hint))
        if not group:
            return
        if ElementError in set(map(type, group)):  # rare: split the group around its failed elements
            start = 0
            for i, e in enumerate(group):
                if e.__class__ is ElementError:
                    if i > start:
                        yield from _stack_group(group[start:i])
                    yield e
                    start = i + 1
            if start < len(group):
                yield from _stack_group(group[start:])
        else:
            yield from _stack_group(group)
        if len(group) < hint:
            return


def rows_of_chunks(chunks):
    """The elements of a stream of chunks (failed elements passed on in place)."""
    for chunk in chunks:
        if chunk.__class__ is ElementError:
            yield chunk
        else:
            yield from rows(chunk)


def _stack_group(group):
    try:
        chunk = []
        for i in range(len(group[0])):
            values = [e[i] for e in group]
            chunk.append(stack(values, i))
        yield chunk
    except errors.InvalidArgumentError:
        for e in group:
            yield [np.expand_dims(np.asarray(x), 0) for x in e]


def chunks_of(dataset, env: Env, hint: int):
    """`dataset`'s rows as chunks of about `hint` rows (the caller will read that far ahead anyway)."""
    if dataset._chunk_mode(env):
        return dataset._chunks(env, hint)
    return group_chunks(dataset._elements(env), hint)


def concat(parts: list) -> list:
    """Chunks joined row-wise (TF's batch error when their row shapes differ)."""
    if len(parts) == 1:
        return parts[0]
    out = []
    for i in range(len(parts[0])):
        arrays = [p[i] for p in parts]
        shape = arrays[0].shape[1:]
        for a in arrays[1:]:
            if a.shape[1:] != shape:
                raise batch_shape_error(i, shape, 1, a.shape[1:])
        out.append(np.concatenate(arrays))
    return out


class Rechunker:
    """Re-cuts a stream of chunks into pieces of the rows asked for.

    `take(k)` gives k rows as one chunk, fewer only when a failed element or the end comes
    first; a failed element is given alone (an ElementError) when it is next.
    """

    def __init__(self, chunks):
        self._chunks = chunks
        self._pending: collections.deque = collections.deque()  # chunks and ElementErrors not yet taken
        self._offset = 0  # rows of the first pending chunk already taken

    def _pull(self) -> bool:
        for item in self._chunks:
            if item.__class__ is ElementError or len(item[0]):
                self._pending.append(item)
                return True
        return False

    def available(self, limit: int) -> int:
        """How many rows (up to `limit`) come before the next failed element or the end."""
        n, i, pending = 0, 0, self._pending
        while n < limit:
            if i == len(pending) and not self._pull():
                break
            item = pending[i]
            if item.__class__ is ElementError:
                break
            n += len(item[0]) - (self._offset if i == 0 else 0)
            i += 1
        return min(n, limit)

    def take(self, k: int):
        """Up to `k` rows as one chunk (see the class docstring); an ElementError; None at the end."""
        parts = []
        need = k
        pending = self._pending
        while need > 0:
            if not pending and not self._pull():
                break
            head = pending[0]
            if head.__class__ is ElementError:
                if parts:
                    break
                pending.popleft()
                return head
            start = self._offset
            n = len(head[0])
            stop = min(n, start + need)
            parts.append(head if start == 0 and stop == n else [c[start:stop] for c in head])
            need -= stop - start
            if stop == n:
                pending.popleft()
                self._offset = 0
            else:
                self._offset = stop
        if not parts:
            return None
        try:
            return concat(parts)
        except errors.OpError as e:  # rows of differing shapes: their batch fails, as TF's does
            return ElementError(e)

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


# ---- sparse components ----------------------------------------------------------------------------
def batch_sparse(values: list) -> SparseTensorValue:
    """Sparse elements of one rank stacked along a new first dimension (dense shape: the largest)."""
    rank = len(values[0].dense_shape)
    for i, v in enumerate(values):
        if len(v.dense_shape) != rank:
            raise errors.InvalidArgumentError(
                None, None, f"Cannot batch sparse tensors of different ranks: element 0 has rank {rank} and "
                            f"element {i} has rank {len(v.dense_shape)}.")
    counts = [len(v.values) for v in values]
    batch_index = np.repeat(np.arange(len(values), dtype=np.int64), counts)
    inner = [np.asarray(v.indices, np.int64).reshape(-1, rank) for v in values]
    indices = np.concatenate([batch_index[:, None], np.concatenate(inner)], axis=1)
    vals = np.concatenate([np.asarray(v.values) for v in values])
    if rank:
        shape = np.max(np.stack([np.asarray(v.dense_shape, np.int64) for v in values]), axis=0)
    else:
        shape = np.zeros([0], np.int64)
    return SparseTensorValue(indices, vals, np.concatenate([[len(values)], shape]).astype(np.int64))


def sparse_rows(value: SparseTensorValue):
    """The rows of a sparse value along its first dimension, as sparse values of one rank less."""
    indices = np.asarray(value.indices, np.int64)
    dense_shape = np.asarray(value.dense_shape, np.int64)
    n = int(dense_shape[0])
    order = np.argsort(indices[:, 0], kind="stable")
    indices = indices[order]
    vals = np.asarray(value.values)[order]
    bounds = np.searchsorted(indices[:, 0], np.arange(n + 1))
    for i in range(n):
        a, b = bounds[i], bounds[i + 1]
        yield SparseTensorValue(indices[a:b, 1:], vals[a:b], dense_shape[1:])
