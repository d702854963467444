"""`tf.data.experimental.RandomDataset`: an endless stream of pseudorandom int64 values, TF's exact stream.

TF's RandomDataset draws 32-bit values from a Philox4x32-10 generator keyed by the op's seeds
(key = seed, counter = [0, seed2]), one value an element, four a counter step. This module
computes the same function (vectorized over counter steps), so a seeded pipeline yields the
very values TensorFlow's does.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.random_seed import get_seed
from estflow.data import structure
from estflow.data.dataset_ops import INFINITE_CARDINALITY, Dataset

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


def philox4x32(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 of counter blocks ([n, 4] uint64 arrays holding 32-bit words): [n, 4] outputs."""
    c0, c1, c2, c3 = (counters[:, i].copy() for i in range(4))
    k0, k1 = key
    for _ in range(10):
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = ((p1 >> _SHIFT) ^ c1 ^ np.uint64(k0)) & _MASK32, p1 & _MASK32, \
            ((p0 >> _SHIFT) ^ c3 ^ np.uint64(k1)) & _MASK32, p0 & _MASK32
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    return np.stack([c0, c1, c2, c3], axis=1)


def philox_values(seed: int, seed2: int, start: int, count: int) -> np.ndarray:
    """Values start .. start + count - 1 of the 32-bit stream of TF's `PhiloxRandom(seed, seed2)`."""
    first, last = start // 4, (start + count + 3) // 4
    steps = np.arange(first, last, dtype=np.uint64)
    counters = np.empty((len(steps), 4), np.uint64)
    counters[:, 0] = steps & _MASK32
    counters[:, 1] = steps >> _SHIFT
    counters[:, 2] = np.uint64(seed2 & 0xFFFFFFFF)
    counters[:, 3] = np.uint64((seed2 >> 32) & 0xFFFFFFFF)
    words = philox4x32(counters, (seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF)).reshape(-1)
    offset = start - 4 * first
    return words[offset:offset + count]


class RandomDataset(Dataset):
    """Endless pseudorandom int64 scalars in [0, 2**32), as `tf.data.experimental.RandomDataset(seed)`.

    With a seed (or a graph seed) every new iterator replays TF's exact sequence for those seeds;
    without one each iterator draws fresh entropy.

        coin = tf.data.experimental.RandomDataset(seed=42).map(lambda x: x % 2)
    """

    def __init__(self, seed=None):
        self._seed, self._seed2 = get_seed(seed)
        self._spec = structure.TensorSpec([], dtypes.int64)

    def _seeds(self, env) -> tuple[int, int]:
        if self._seed is not None:
            return self._seed, self._seed2
        state = env.state(self, lambda: [int(x) for x in np.random.SeedSequence().generate_state(2, np.uint64)])
        return state[0], state[1]

    def _cardinality(self, env):
        return INFINITE_CARDINALITY

    def _chunk_mode(self, env):
        return 2

    def _chunks(self, env, hint):
        seed, seed2 = self._seeds(env)
        start = 0
        while True:
            yield [philox_values(seed, seed2, start, hint).astype(np.int64)]
            start += hint
