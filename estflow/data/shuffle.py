"""`Dataset.shuffle`: TF's shuffle buffer, per element or vectorized over chunks of rows.

The algorithm (TF's ShuffleDatasetOp): fill a buffer with the first `buffer_size`
elements; then each output is a uniformly random buffered element, whose slot takes the
next input; once the input ends, the rest leave in random order (a random slot, the last
element moving into it). Only the slot indices are random, never the data, so a block of
outputs is computed at once: output t is what slot j_t held at step t, i.e. the input
that last replaced it within the block, or the buffer's content before the block. Both
paths draw the same indices from the same stream, so they give the same order.

Seeds: `(seed, seed2)` from `random_seed.get_seed(seed)` when the pipeline is built. Each
iterator initialization starts a new instance whose first iteration replays the same
order (TF1); each further iteration of the instance (a `repeat` epoch) gets the next
order unless `reshuffle_each_iteration=False`. Without any seed, an instance draws fresh
entropy once.
"""

from __future__ import annotations

import numpy as np

from estflow.core import errors
from estflow.core.graph import Tensor
from estflow.core.random_seed import get_seed
from estflow.data import runtime
from estflow.data.dataset_ops import int_argument, runtime_int
from estflow.data.runtime import ElementError
from estflow.data.transformations import _UnaryDataset

_DRAW_BLOCK = 1024


class _Draws:
    """Slot indices in [0, size), drawn in fixed blocks so any consumption pattern sees one sequence."""

    def __init__(self, rng: np.random.Generator, size: int):
        self._rng = rng
        self._size = size
        self._block = np.empty(0, np.int64)
        self._pos = 0

    def take(self, k: int) -> np.ndarray:
        parts = []
        while k > 0:
            if self._pos == len(self._block):
                self._block = self._rng.integers(0, self._size, size=_DRAW_BLOCK, dtype=np.int64)
                self._pos = 0
            n = min(k, len(self._block) - self._pos)
            parts.append(self._block[self._pos:self._pos + n])
            self._pos += n
            k -= n
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def one(self) -> int:
        return int(self.take(1)[0])


def _drain_order(rng: np.random.Generator, m: int) -> np.ndarray:
    """Positions of the buffer in the order the drain phase emits them (int64).

    TF's drain: step t draws j_t in [0, m - t), emits slot j_t and moves the last slot L_t = m - 1 - t into
    it. Computed without a loop over the steps: slot j_t still holds its first value unless an earlier step
    drew it; else it holds what the latest such step s moved there, slot L_s's value at step s, which is
    found the same way (the latest step before s that drew L_s). Those links are followed for all steps at
    once by pointer jumping; the order is the loop's, draw for draw.
    """
    if m == 0:
        return np.empty(0, np.int64)
    draws = rng.integers(0, np.arange(m, 0, -1), dtype=np.int64)
    return _drain_loop(draws) if m < _DRAIN_BY_ARRAYS else _drain_arrays(draws)


def _drain_arrays(draws: np.ndarray) -> np.ndarray:
    """`_drain_order` from its draws, by arrays (see there)."""
    m = len(draws)
    steps = np.arange(m)
    by_slot = np.argsort(draws.astype(np.uint16) if m <= 65536 else draws, kind="stable")  # by slot, then step
    drawn = draws[by_slot]
    same = drawn[1:] == drawn[:-1]
    prev = np.full(m, -1, np.int64)  # the latest earlier step that drew the same slot
    prev[by_slot[1:][same]] = by_slot[:-1][same]
    counts = np.bincount(draws, minlength=m)
    last_of_slot = by_slot[np.cumsum(counts) - 1]  # the latest step that drew each slot (where any did)
    # the latest step before s that drew L_s: every step drawing L_s comes at or before s (L_s shrinks)
    link = np.where(counts[::-1] > 0, last_of_slot[::-1], -1)
    link = np.where(link == steps, prev, link)
    root = np.where(link >= 0, link, steps)
    while True:
        up = root[root]
        if np.array_equal(up, root):
            break
        root = up
    moved = steps[::-1][root]  # the value each step moved: L of the first step of its chain
    return np.where(prev >= 0, moved[prev], draws)


_DRAIN_BY_ARRAYS = 512  # buffers from which the array form beats the loop


def _drain_loop(draws: np.ndarray) -> np.ndarray:
    """`_drain_order` step by step (small buffers)."""
    slots = list(range(len(draws)))
    order = []
    for j in draws.tolist():
        order.append(slots[j])
        slots[j] = slots[-1]
        slots.pop()
    return np.array(order, np.int64)


class ShuffleDataset(_UnaryDataset):
    """`Dataset.shuffle(buffer_size, seed, reshuffle_each_iteration)`."""

    _cardinality = _UnaryDataset._input_cardinality

    def __init__(self, input_dataset, buffer_size, seed=None, reshuffle_each_iteration=None):
        super().__init__(input_dataset)
        self._buffer_size = int_argument(buffer_size, "buffer_size")
        self._seed, self._seed2 = get_seed(seed)
        self._reshuffle = True if reshuffle_each_iteration is None else bool(reshuffle_each_iteration)
        leaves = input_dataset._flat_specs()
        self._vectorized = input_dataset._is_dense() and all(s.shape.is_fully_defined() for s in leaves)

    def _own_tensors(self):
        return [self._buffer_size] if isinstance(self._buffer_size, Tensor) else []

    def _size(self, env) -> int:
        n = runtime_int(env, self._buffer_size)
        if n <= 0:
            raise errors.InvalidArgumentError(None, None, "buffer_size must be greater than zero.")
        return n

    def _check(self, env):
        self._size(env)

    def _rng(self, env) -> np.random.Generator:
        state = env.state(self, lambda: {"iteration": 0, "entropy": None})
        with env._lock:
            iteration = state["iteration"]
            if self._reshuffle:
                state["iteration"] += 1
            if self._seed is None and state["entropy"] is None:
                state["entropy"] = np.random.SeedSequence().entropy
        if self._seed is None:
            key = [state["entropy"], iteration]
        else:
            key = [self._seed % 2**63, self._seed2 % 2**63, iteration]
        return np.random.Generator(np.random.Philox(np.random.SeedSequence(key)))

    def _chunk_mode(self, env):
        return 2 if self._vectorized else 0

    def _elements(self, env):
        if self._vectorized:
            return self._rows_of_chunks(env)
        return self._per_element(env)

    def _per_element(self, env):
        size = self._size(env)
        rng = self._rng(env)
        inputs = self._input._elements(env)
        buffer = []
        for element in inputs:
            if element.__class__ is ElementError:  # passed on as it is read, as TF's buffer does
                yield element
                continue
            buffer.append(element)
            if len(buffer) == size:
                break
        if len(buffer) == size:
            draws = _Draws(rng, size)
            for element in inputs:
                if element.__class__ is ElementError:
                    yield element
                    continue
                j = draws.one()
                out = buffer[j]
                buffer[j] = element
                yield out
        for j in _drain_order(rng, len(buffer)).tolist():
            yield buffer[j]

    def _chunks(self, env, hint):
        size = self._size(env)
        rng = self._rng(env)
        hint = max(hint, min(size, _DRAW_BLOCK))  # blocks this small cost more than they save; the order is the same
        stream = runtime.Rechunker(runtime.chunks_of(self._input, env, hint))
        parts, need = [], size
        while need:  # fill the buffer; a failed element is passed on as it is read, as TF's buffer does
            item = stream.take(need)
            if item is None:
                break
            if item.__class__ is ElementError:
                yield item
                continue
            parts.append(item)
            need -= len(item[0])
        if not parts:
            return
        joined = runtime.concat(parts)  # new arrays when there are several parts
        buffer = joined if len(parts) > 1 else [np.array(c) for c in joined]  # private and writable
        m = len(buffer[0])
        if m == size:
            draws = _Draws(rng, size)
            while True:
                new = stream.take(hint)
                if new is None:
                    break
                if new.__class__ is ElementError:
                    yield new
                    continue
                yield self._replace_block(buffer, new, draws.take(len(new[0])))
        order = _drain_order(rng, m)
        for start in range(0, m, hint):
            index = order[start:start + hint]
            yield [c[index] for c in buffer]

    @staticmethod
    def _replace_block(buffer, new, slots):
        k = len(slots)
        order = np.argsort(slots, kind="stable")  # by slot, then by step
        same = slots[order[1:]] == slots[order[:-1]]
        previous = np.full(k, -1, np.int64)  # the step that last wrote this step's slot in the block
        previous[order[1:][same]] = order[:-1][same]
        from_block = previous >= 0
        last = np.ones(k, dtype=bool)  # the final writer of each slot touched
        last[order[:-1][same]] = False
        out = []
        for buf, fresh in zip(buffer, new, strict=False):
            values = buf[slots]
            if from_block.any():
                values[from_block] = fresh[previous[from_block]]
            out.append(values)
            buf[slots[last]] = fresh[last]
        return out
