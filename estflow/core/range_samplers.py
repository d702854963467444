"""TF's candidate-sampler randomness: GuardedPhiloxRandom, SimplePhilox and the RangeSampler draws.

A candidate-sampler op keeps one Philox generator keyed by its `(seed, seed2)` attrs (fresh
entropy when both are 0). Each run reserves `2048 * num_sampled` 32-bit words and draws
ids one word (or two) at a time through TF's SimplePhilox: uniform ids by exact rejection
(`ExactUniformInt`), log-uniform ids as `int(exp(u * log(range + 1))) - 1`, fixed unigram
ids from TF's alias table, learned unigram ids by a weighted pick. With these, a seeded
sampler returns TF's own ids, run after run.
"""

from __future__ import annotations

import math

import numpy as np

from estflow.core import philox

WORDS_PER_SAMPLE = 2048  # TF's per-run reservation, in 32-bit words per sampled candidate


class GuardedPhilox:
    """TF's GuardedPhiloxRandom: Philox keyed by `seed`, the counter's high half `seed2`."""

    def __init__(self, seed: int, seed2: int):
        if not seed and not seed2:
            seed, seed2 = (int(v) for v in np.random.default_rng().integers(0, 2**63, 2))
        self.key, self.counter = seed % 2**64, (0, seed2 % 2**64)

    def reserve(self, words: int) -> SimplePhilox:
        """A stream over the next `words` 32-bit words (it runs on past them, as TF's copy does)."""
        start = self.counter
        self.counter = philox.skip(self.counter, (words + 3) // 4)
        return SimplePhilox(self.key, start)


class SimplePhilox:
    """TF's SimplePhilox: 32-bit words one after another from a Philox stream, and numbers made of them."""

    _CHUNK = 64  # blocks generated at a time

    def __init__(self, key: int, counter: tuple[int, int]):
        self.key, self.counter = key, counter
        self.words: list[int] = []
        self.position = 0

    def rand32(self) -> int:
        if self.position == len(self.words):
            self.words = philox.blocks(np, self.key, self.counter, self._CHUNK).reshape(-1).tolist()
            self.counter = philox.skip(self.counter, self._CHUNK)
            self.position = 0
        self.position += 1
        return self.words[self.position - 1]

    def rand64(self) -> int:
        low = self.rand32()
        return low | self.rand32() << 32

    def rand_float(self) -> float:
        return float(np.uint32((self.rand32() & 0x7FFFFF) | 0x3F800000).view(np.float32)) - 1.0

    def rand_double(self) -> float:
        high, low = self.rand32(), self.rand32()
        return float(np.uint64(((high & 0xFFFFF) << 32) | low | (1023 << 52)).view(np.float64)) - 1.0

    def uniform(self, n: int, bits: int = 32) -> int:
        """An exactly uniform int in [0, n) (TF's ExactUniformInt): low bits for a power of two, else
        rejection of the words below 2**bits % n."""
        draw = self.rand32 if bits == 32 else self.rand64
        if n & (n - 1) == 0:
            return draw() & (n - 1)
        reject_below = (2**bits - 1) % n + 1
        reject_below %= n
        while True:
            word = draw()
            if word >= reject_below:
                return word % n


def alias_table(weights) -> tuple[np.ndarray, list[int]]:
    """TF's DistributionSampler tables (Walker's alias method), built in TF's order."""
    n = len(weights)
    weights = np.asarray(weights, np.float32)
    total = float(weights.astype(np.float64).sum())
    scaled = [float(w * np.float32(n)) / total for w in weights]  # float weight * n, then / the double sum
    alt = [-1] * n
    high = [i for i in range(n) if scaled[i] >= 1.0]
    low = [i for i in range(n) if scaled[i] < 1.0]
    while high and low:
        small, large = low.pop(), high.pop()
        alt[small] = large
        scaled[large] -= 1.0 - scaled[small]
        (low if scaled[large] < 1.0 else high).append(large)
    prob = np.asarray(scaled, np.float32)
    for i in high + low:  # rounding leftovers near 1.0
        prob[i], alt[i] = 1.0, i
    return prob, alt


def sample_batch(sample, num_sampled: int, unique: bool) -> tuple[np.ndarray, int]:
    """(ids, tries): TF's RangeSampler loop, redrawing repeats when `unique`."""
    ids, seen, tries = [], set(), 0
    while len(ids) < num_sampled:
        tries += 1
        value = sample()
        if unique:
            if value in seen:
                continue
            seen.add(value)
        ids.append(value)
    return np.asarray(ids, np.int64), tries


def uniform_sampler(stream: SimplePhilox, range_max: int):
    return lambda: stream.uniform(range_max, 64)


def log_uniform_sampler(stream: SimplePhilox, range_max: int):
    log_range = math.log1p(range_max)
    return lambda: (int(math.exp(stream.rand_double() * log_range)) - 1) % range_max


def unigram_sampler(stream: SimplePhilox, prob: np.ndarray, alt: list[int]):
    """TF's DistributionSampler::Sample: a float, then a uniform slot, then the slot or its alias."""
    n = len(alt)

    def sample():
        r = stream.rand_float()
        slot = stream.uniform(n)
        return slot if r < prob[slot] else alt[slot]

    return sample


def weighted_sampler(stream: SimplePhilox, weights: np.ndarray):
    """TF's WeightedPicker::Pick over integer weights: the id whose cumulative weight passes a uniform draw."""
    cumulative = np.cumsum(weights.astype(np.int64))
    total = int(cumulative[-1])
    return lambda: int(np.searchsorted(cumulative, stream.uniform(total), side="right"))
