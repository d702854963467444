"""Element-wise transformations: map, filter, flat_map, interleave, repeat, take, skip, shard, prefetch."""

from __future__ import annotations

import os
import queue
import threading

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor
from estflow.data import runtime, structure
from estflow.data.dataset_ops import (
    AUTOTUNE,
    INFINITE_CARDINALITY,
    UNKNOWN_CARDINALITY,
    Dataset,
    int_argument,
    runtime_int,
)
from estflow.data.runtime import ElementError
from estflow.data.tracing import StructuredFunction, batch_safe


class _UnaryDataset(Dataset):
    """A dataset over one input, passing its structure through unless it says otherwise."""

    def __init__(self, input_dataset: Dataset):
        if not isinstance(input_dataset, Dataset):
            raise TypeError(f"expected a Dataset, got {type(input_dataset).__name__}.")
        self._input = input_dataset
        self._spec = input_dataset.element_spec

    def _inputs(self):
        return (self._input,)

    def _chunk_mode(self, env):
        return self._input._chunk_mode(env)

    def _input_cardinality(self, env) -> int:
        """For stages that keep every element (prefetch, shuffle, cache...): `_cardinality = _input_cardinality`."""
        return self._input._cardinality(env)


# ---- map / filter ------------------------------------------------------------------------------------
def _map_elements(fn, elements):
    """`fn` on each element; an element it fails on becomes an ElementError in its place (TF moves on)."""
    for element in elements:
        if element.__class__ is not ElementError:
            try:
                element = fn(element)
            except errors.OpError as e:
                element = ElementError(e)
        yield element


_GROUP_ROWS = 1024  # rows of consecutive batches a row-safe map function runs on at once


def _reads_ahead_unseen(dataset) -> bool:
    """Whether elements of `dataset` may be read ahead of when they are asked for without anyone seeing it: no
    Python generator or database below, and no function below with a stateful op (a variable read live, a
    py_func, a random op: their state may change between two reads)."""
    stack = [dataset]
    while stack:
        node = stack.pop()
        if node._external_state:
            return False
        for fn in node._functions():
            graph = getattr(fn, "graph", None)
            if graph is None or any(op._op_def is not None and op._op_def.stateful for op in graph.get_operations()):
                return False
        stack.extend(node._inputs())
    return True


def _map_batch_groups(fn, elements):
    """`fn` on batches, run once on each group of consecutive batches (about `_GROUP_ROWS` rows) and cut back
    at the batches' boundaries: the same elements as `_map_elements`, as `fn` is row-safe (its output rows are
    its input rows', one by one). A group the function fails on (or gives rows of another count) is run again
    batch by batch, so a failing batch becomes its ElementError in its place; a failed input element or the
    end of the input ends a group, and an input that raises gives the batches before it first."""
    elements = iter(elements)
    while True:
        group, rows, after, stop = [], 0, None, None
        try:
            for element in elements:
                if element.__class__ is ElementError:
                    after = element
                    break
                group.append(element)
                rows += len(element[0])
                if rows >= _GROUP_ROWS:
                    break
            else:
                stop = StopIteration
        except Exception as e:  # the input cannot go on: what it gave before comes out first
            stop = e
        if len(group) > 1:
            out = fn.call_group(group)
            yield from _map_elements(fn, group) if out is None else out
        elif group:
            yield from _map_elements(fn, group)
        if after is not None:
            yield after
        if stop is StopIteration:
            return
        if stop is not None:
            raise stop


def _filter_elements(fn, elements):
    for element in elements:
        if element.__class__ is not ElementError:
            try:
                if not bool(fn(element)[0]):
                    continue
            except errors.OpError as e:
                element = ElementError(e)
        yield element


def _kept(chunk, start: int, keep: list):
    """The rows start, start + 1, ... of `chunk` whose `keep` flag is set, as one chunk (if any)."""
    if any(keep):
        index = start + np.flatnonzero(keep)
        yield [c[index] for c in chunk]


def _filter_rows(fn, chunk):
    """A chunk filtered row by row: kept rows in chunks, a row the predicate fails on as an ElementError."""
    keep, start = [], 0
    for i, row in enumerate(runtime.rows(chunk)):
        try:
            keep.append(bool(fn(row)[0]))
        except errors.OpError as e:
            yield from _kept(chunk, start, keep)
            yield ElementError(e)
            keep, start = [], i + 1
    yield from _kept(chunk, start, keep)


class _RowFunctionDataset(_UnaryDataset):
    """A dataset applying one traced function per element: runs on whole chunks when the function is row-safe."""

    def _functions(self):
        return (self._fn,)

    def _chunk_mode(self, env):
        if not (self._fn.row_safe and env.fusion):
            return 0
        return 2 if self._input._chunk_mode(env) == 2 else 1


class MapDataset(_RowFunctionDataset):
    """`Dataset.map`: per element, or once per chunk of rows when the function is row-wise.

    A chunk the function fails on is run again row by row: the rows before the failing one
    come out, then its error, then the rows after it (TF's per-element errors). Over
    `batch(n)`'s elements, a batch-safe function runs once per group of batches
    (`_map_batch_groups`).
    """

    def __init__(self, input_dataset, map_func, num_parallel_calls=None):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(map_func, "map", input_dataset.element_spec)
        self._spec = self._fn.output_spec
        self._num_parallel_calls = num_parallel_calls


    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        if self._over_batches(env):
            return _map_batch_groups(env.bind(self._fn), self._input._elements(env))
        return _map_elements(env.bind(self._fn), self._input._elements(env))

    def _over_batches(self, env) -> bool:
        """Whether the function may run on several of the input's batches at once (`_map_batch_groups`): a
        batch-safe function (tracing.batch_safe) over `Dataset.batch`'s elements, of unknown row count."""
        if not (env.fusion and getattr(self._input, "_batches_rows", False) and batch_safe(self._fn)):
            return False
        if not all(s.shape.ndims and s.shape.dims[0].value is None for s in self._input._flat_specs()):
            return False
        return _reads_ahead_unseen(self._input)

    def _chunks(self, env, hint):
        fn = env.bind(self._fn)
        for chunk in runtime.chunks_of(self._input, env, hint):
            if chunk.__class__ is ElementError:
                yield chunk
                continue
            try:
                out = fn.call_chunk(chunk)
            except errors.OpError:
                out = None  # some row fails: find it row by row
            if out is None:  # (or not row-shaped after all)
                yield from runtime.group_chunks(_map_elements(fn, runtime.rows(chunk)), len(chunk[0]))
            else:
                yield out


def _is_scalar_of(spec, dtype) -> bool:
    """Whether a traced function's output spec is one scalar tensor of `dtype` (a predicate's, a key's)."""
    return isinstance(spec, structure.TensorSpec) and spec.dtype == dtype and spec.shape.ndims in (None, 0)


class FilterDataset(_RowFunctionDataset):
    """`Dataset.filter`: the elements whose predicate is True (an element it fails on: its error)."""

    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(predicate, "filter", input_dataset.element_spec)
        spec = self._fn.output_spec
        if not _is_scalar_of(spec, dtypes.bool):
            raise ValueError(f"`predicate` return type must be convertible to a scalar boolean tensor. Was {spec}.")

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return _filter_elements(env.bind(self._fn), self._input._elements(env))

    def _chunks(self, env, hint):
        fn = env.bind(self._fn)
        for chunk in runtime.chunks_of(self._input, env, hint):
            if chunk.__class__ is ElementError:
                yield chunk
                continue
            try:
                mask = fn.call_chunk(chunk)
            except errors.OpError:
                mask = None  # some row fails: find it row by row
            if mask is None:
                yield from _filter_rows(fn, chunk)
                continue
            keep = np.asarray(mask[0], dtype=bool)
            if keep.all():
                yield chunk
            elif keep.any():
                index = np.flatnonzero(keep)
                yield [c[index] for c in chunk]


# ---- flat_map / interleave ---------------------------------------------------------------------------
class _DatasetFunctionMixin:
    def _open(self, env, fn, element):
        """The inner dataset for one input element, in a child instance with its values; an ElementError
        when `map_func` fails on the element (TF moves on to the next input element)."""
        try:
            values = fn.raw(element)
            child = env.child(dict(zip(self._fn.inner_tensors, values, strict=False)))
            self._fn.dataset._check_all(child)
            return self._fn.dataset._elements(child)
        except errors.OpError as e:
            return ElementError(e)


class FlatMapDataset(_DatasetFunctionMixin, _UnaryDataset):
    """`Dataset.flat_map`: each element mapped to a dataset, the datasets concatenated."""

    def __init__(self, input_dataset, map_func):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(map_func, "flat_map", input_dataset.element_spec, returns_dataset=True)
        self._spec = self._fn.output_spec

    def _functions(self):
        return (self._fn,)

    def _chunk_mode(self, env):
        return 0

    def _elements(self, env):
        fn = env.bind(self._fn)
        for element in self._input._elements(env):
            inner = element if element.__class__ is ElementError else self._open(env, fn, element)
            if inner.__class__ is ElementError:
                yield inner
            else:
                yield from inner


class InterleaveDataset(_DatasetFunctionMixin, _UnaryDataset):
    """`Dataset.interleave`: TF's cycle over `cycle_length` open inner datasets, `block_length` at a time."""

    def __init__(self, input_dataset, map_func, cycle_length=AUTOTUNE, block_length=1):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(map_func, "interleave", input_dataset.element_spec, returns_dataset=True)
        self._spec = self._fn.output_spec
        if cycle_length is None or (not isinstance(cycle_length, Tensor) and cycle_length == AUTOTUNE):
            cycle_length = os.cpu_count() or 1
        self._cycle_length = int_argument(cycle_length, "cycle_length")
        self._block_length = int_argument(block_length, "block_length")

    def _functions(self):
        return (self._fn,)

    def _own_tensors(self):
        return [a for a in (self._cycle_length, self._block_length) if isinstance(a, Tensor)]

    def _check(self, env):
        if runtime_int(env, self._cycle_length) <= 0:
            raise errors.InvalidArgumentError(None, None, "cycle_length must be greater than zero.")
        if runtime_int(env, self._block_length) <= 0:
            raise errors.InvalidArgumentError(None, None, "block_length must be greater than zero.")

    def _chunk_mode(self, env):
        return 0

    def _elements(self, env):
        # TF's InterleaveDatasetOp: visit the cycle's slots in turn; an empty slot opens the next
        # input element there (without moving on), an exhausted one closes and moves on. An error
        # leaves the position as it is: an inner element's error is followed by that inner
        # dataset's next element; an input element that fails (or that map_func fails on) leaves
        # its slot empty, for the next input element.
        fn = env.bind(self._fn)
        cycle_length = runtime_int(env, self._cycle_length)
        block_length = runtime_int(env, self._block_length)
        inputs = self._input._elements(env)
        current = [None] * cycle_length
        cycle_index = block_index = 0
        num_open = 0
        end_of_input = False
        while not end_of_input or num_open > 0:
            it = current[cycle_index]
            if it is not None:
                element = next(it, None)
                if element is not None:
                    if element.__class__ is not ElementError:
                        block_index += 1
                        if block_index == block_length:
                            block_index, cycle_index = 0, (cycle_index + 1) % cycle_length
                    yield element
                    continue
                current[cycle_index] = None
                num_open -= 1
                block_index, cycle_index = 0, (cycle_index + 1) % cycle_length
            elif not end_of_input:
                element = next(inputs, None)
                if element is None:
                    end_of_input = True
                    continue
                inner = element if element.__class__ is ElementError else self._open(env, fn, element)
                if inner.__class__ is ElementError:
                    yield inner
                else:
                    current[cycle_index] = inner
                    num_open += 1
            else:
                block_index, cycle_index = 0, (cycle_index + 1) % cycle_length


# ---- counting ------------------------------------------------------------------------------------------
# A failed element counts as no element (TF's take, skip and repeat count only elements they got):
# it is passed on where it comes.
class RepeatDataset(_UnaryDataset):
    """`Dataset.repeat`: the input iterated `count` times (forever for None / -1)."""

    def __init__(self, input_dataset, count=None):
        super().__init__(input_dataset)
        self._count = int_argument(-1 if count is None else count, "count")

    def _own_tensors(self):
        return [self._count] if isinstance(self._count, Tensor) else []

    def _cardinality(self, env):
        count, n = runtime_int(env, self._count), self._input._cardinality(env)
        if count < 0:
            return 0 if n == 0 else INFINITE_CARDINALITY
        if count == 0:
            return 0
        return n if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY) else count * n

    def _epochs(self, env, make):
        count = runtime_int(env, self._count)
        epoch = 0
        while count < 0 or epoch < count:
            produced = False
            for item in make():
                if item.__class__ is not ElementError:
                    produced = True
                yield item
            if not produced:  # an input without elements repeated forever would never end
                return
            epoch += 1

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return self._epochs(env, lambda: self._input._elements(env))

    def _chunks(self, env, hint):
        return self._epochs(env, lambda: runtime.chunks_of(self._input, env, hint))


def _take_elements(elements, count: int):
    if count <= 0:
        return
    for element in elements:
        yield element
        if element.__class__ is not ElementError:
            count -= 1
            if count == 0:
                return


def _skip_elements(elements, count: int):
    for element in elements:
        if count and element.__class__ is not ElementError:
            count -= 1
            continue
        yield element


class TakeDataset(_UnaryDataset):
    """`Dataset.take`: the first `count` elements (-1: all)."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = int_argument(count, "count")

    def _own_tensors(self):
        return [self._count] if isinstance(self._count, Tensor) else []

    def _cardinality(self, env):
        count, n = runtime_int(env, self._count), self._input._cardinality(env)
        if n == UNKNOWN_CARDINALITY:
            return n
        if n == INFINITE_CARDINALITY:
            return count
        return n if count < 0 else min(n, count)

    def _elements(self, env):
        count = runtime_int(env, self._count)
        if count == 0:
            return iter(())
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        elements = self._input._elements(env)
        return elements if count < 0 else _take_elements(elements, count)

    def _chunks(self, env, hint):
        count = runtime_int(env, self._count)
        if count < 0:
            yield from runtime.chunks_of(self._input, env, hint)
            return
        remaining = count
        if remaining == 0:
            return
        for chunk in runtime.chunks_of(self._input, env, max(1, min(hint, remaining))):
            if chunk.__class__ is ElementError:
                yield chunk
                continue
            n = len(chunk[0])
            if n >= remaining:
                yield chunk if n == remaining else [c[:remaining] for c in chunk]
                return
            remaining -= n
            yield chunk


class SkipDataset(_UnaryDataset):
    """`Dataset.skip`: all but the first `count` elements (-1: none)."""

    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = int_argument(count, "count")

    def _own_tensors(self):
        return [self._count] if isinstance(self._count, Tensor) else []

    def _cardinality(self, env):
        count, n = runtime_int(env, self._count), self._input._cardinality(env)
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return 0 if count < 0 else max(0, n - count)

    def _elements(self, env):
        count = runtime_int(env, self._count)
        if count < 0:
            return iter(())
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return _skip_elements(self._input._elements(env), count)

    def _chunks(self, env, hint):
        remaining = runtime_int(env, self._count)
        if remaining < 0:
            return
        for chunk in runtime.chunks_of(self._input, env, hint):
            if chunk.__class__ is ElementError:
                yield chunk
                continue
            n = len(chunk[0])
            if remaining >= n:
                remaining -= n
                continue
            if remaining:
                chunk = [c[remaining:] for c in chunk]
                remaining = 0
            yield chunk


class ShardDataset(_UnaryDataset):
    """`Dataset.shard`: every `num_shards`-th element, starting at `index` (failed elements all pass)."""

    def __init__(self, input_dataset, num_shards, index):
        super().__init__(input_dataset)
        self._num_shards = int_argument(num_shards, "num_shards")
        self._index = int_argument(index, "index")
        if isinstance(self._num_shards, int) and isinstance(self._index, int):
            self._validate(self._num_shards, self._index, ValueError)

    @staticmethod
    def _validate(num_shards, index, error):
        def fail(message):
            return error(message) if error is ValueError else error(None, None, message)

        if num_shards <= 0:
            raise fail(f"Number of shards must be greater than zero (currently num_shards = {num_shards}).")
        if not 0 <= index < num_shards:
            raise fail(f"Index must be between 0 and {num_shards - 1} (currently index = {index}).")

    def _own_tensors(self):
        return [a for a in (self._num_shards, self._index) if isinstance(a, Tensor)]

    def _args(self, env):
        num_shards, index = runtime_int(env, self._num_shards), runtime_int(env, self._index)
        self._validate(num_shards, index, errors.InvalidArgumentError)
        return num_shards, index

    def _check(self, env):
        self._args(env)

    def _cardinality(self, env):
        num_shards, index = self._args(env)
        n = self._input._cardinality(env)
        if n in (INFINITE_CARDINALITY, UNKNOWN_CARDINALITY):
            return n
        return n // num_shards + (1 if index < n % num_shards else 0)

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        num_shards, index = self._args(env)
        return self._shard_elements(self._input._elements(env), num_shards, index)

    @staticmethod
    def _shard_elements(elements, num_shards, index):
        position = 0
        for element in elements:
            if element.__class__ is ElementError:
                yield element
                continue
            if position == index:
                yield element
            position = (position + 1) % num_shards

    def _chunks(self, env, hint):
        num_shards, index = self._args(env)
        offset = 0
        for chunk in runtime.chunks_of(self._input, env, hint * num_shards):
            if chunk.__class__ is ElementError:
                yield chunk
                continue
            n = len(chunk[0])
            first = (index - offset) % num_shards
            offset += n
            if first < n:
                yield [c[first::num_shards] for c in chunk]


# ---- prefetch / options --------------------------------------------------------------------------------
_END = object()


class PrefetchDataset(_UnaryDataset):
    """`Dataset.prefetch`: a background thread keeps up to `buffer_size` elements (or chunks) ready."""

    _cardinality = _UnaryDataset._input_cardinality

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        self._buffer_size = int_argument(buffer_size, "buffer_size")

    def _own_tensors(self):
        return [self._buffer_size] if isinstance(self._buffer_size, Tensor) else []

    def _capacity(self, env) -> int:
        size = runtime_int(env, self._buffer_size)
        if size == AUTOTUNE:
            return 4
        if size < 0:
            raise errors.InvalidArgumentError(None, None, f"buffer_size must be >= 0 or AUTOTUNE, got {size}.")
        return size

    def _check(self, env):
        self._capacity(env)

    def _elements(self, env):
        capacity = self._capacity(env)
        if capacity == 0:
            return self._input._elements(env)
        return _background(env, lambda: self._input._elements(env), capacity)

    def _chunks(self, env, hint):
        capacity = self._capacity(env)
        if capacity == 0:
            return runtime.chunks_of(self._input, env, hint)
        return _background(env, lambda: runtime.chunks_of(self._input, env, hint), capacity)


def _background(env, make_iterator, capacity: int):
    """Items of `make_iterator()` produced by a daemon thread into a bounded queue."""
    items: queue.Queue = queue.Queue(capacity)
    stop = threading.Event()
    env.on_close(stop.set)

    def put(item) -> bool:
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        iterator = None
        try:
            iterator = make_iterator()
            for item in iterator:
                if not put(item):
                    return
            put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put(exc)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="estflow-prefetch", daemon=True)
    thread.start()

    def consume():
        try:
            while True:
                item = items.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            env.discard(stop.set)

    return consume()


class OptionsDataset(_UnaryDataset):
    """`Dataset.with_options`: the input unchanged, carrying options."""

    _cardinality = _UnaryDataset._input_cardinality

    def __init__(self, input_dataset, options):
        super().__init__(input_dataset)
        self._options = options

    def _elements(self, env):
        return self._input._elements(env)

    def _chunks(self, env, hint):
        return runtime.chunks_of(self._input, env, hint)
