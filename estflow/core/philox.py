"""Philox4x32-10 and the distributions TensorFlow's stateless random kernels build on it.

TF's stateless ops (`StatelessRandomUniformV2`, ...) turn a seed into a Philox key and
counter and fill output element groups from consecutive 128-bit counter values, the same
on every device. This module reproduces it, written against `xp` (numpy or cupy), so a
seed gives TF's own numbers:

- `key_counter_from_seed`: TF's `StatelessRandomGetKeyCounter` scramble of a seed pair.
- `blocks(xp, key, counter, n)`: the 4 uint32 outputs of Philox at `counter + i`, i < n.
- `uniform`, `normal`, `truncated_normal`, `uniform_int`, `uniform_full_int`: TF's
  `random_distributions.h` transforms (mantissa-fill floats, Box-Muller, redraw beyond 2
  stddevs with 256 reserved samples per output group, modulo ints), laid out as TF's
  `FillPhiloxRandom` lays out the groups.
- `gamma`, `poisson`, `binomial`: TF's rejection samplers (Marsaglia-Tsang; Knuth and
  Hormann; BTRS and inversion), each output on its own stream (host numpy only).

Box-Muller needs log, sin and cos. TF's kernels call glibc's, which are not correctly rounded
(about 1% of float32 `logf`/`sinf` results differ from the correctly rounded value in the
last bit); here float32 ones are computed in float64 and rounded, so a normal draw equals
TF's or is within 2 ulps of it. Everything else (uniforms, integers, the layout) is exact.
"""

from __future__ import annotations

import enum
import math

_MASK32 = 0xFFFFFFFF
_M0, _M1 = 0xD2511F53, 0xCD9E8D57  # Philox4x32 multipliers
_W0, _W1 = 0x9E3779B9, 0xBB67AE85  # key schedule (Weyl) constants
_ROUNDS = 10
_SEED_KEY = (0x3EC8F720, 0x02461E29)  # the fixed key TF scrambles a seed with

PHILOX, THREEFRY, AUTO_SELECT = 1, 2, 3  # TF's RNG algorithm ids


class Algorithm(enum.Enum):
    """A random number generation algorithm, as `tf.random.Algorithm`: PHILOX, THREEFRY, AUTO_SELECT."""

    PHILOX = PHILOX
    THREEFRY = THREEFRY
    AUTO_SELECT = AUTO_SELECT

# Philox calls reserved per output group by the distributions that redraw (TF's kReservedSamplesPerOutput).
RESERVED_SAMPLES_PER_OUTPUT = 256


# ---- the block function ------------------------------------------------------------------------
def _block_int(key, counter) -> list[int]:
    """Philox4x32-10 on Python ints: 4 uint32 words out."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(_ROUNDS):
        p0, p1 = _M0 * c0, _M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & _MASK32, p1 & _MASK32, ((p0 >> 32) ^ c3 ^ k1) & _MASK32, \
            p0 & _MASK32
        k0, k1 = (k0 + _W0) & _MASK32, (k1 + _W1) & _MASK32
    return [c0, c1, c2, c3]


def key_counter_from_seed(seed0: int, seed1: int) -> tuple[int, tuple[int, int]]:
    """(key, (counter low, counter high)) as uint64 ints, as TF's StatelessRandomGetKeyCounter.

    Each seed is read as uint64 (int32 seeds sign-extend); one Philox block of the seed
    under a fixed key gives the key (words 0, 1) and the counter's high half (words 2, 3).
    """
    s0, s1 = seed0 % 2**64, seed1 % 2**64
    mix = _block_int(_SEED_KEY, (s0 & _MASK32, s0 >> 32, s1 & _MASK32, s1 >> 32))
    return mix[0] | mix[1] << 32, (0, mix[2] | mix[3] << 32)


def blocks(xp, key: int, counter: tuple[int, int], n: int):
    """uint32 array [n, 4]: Philox at the 128-bit counter + i for i < n, under the uint64 `key`."""
    return _blocks_at(xp, key, counter, xp.arange(n, dtype=xp.uint64))


def skip(counter: tuple[int, int], count: int) -> tuple[int, int]:
    """The counter advanced by `count` blocks (128-bit addition), as PhiloxRandom::Skip."""
    value = (counter[0] | counter[1] << 64) + count
    return value & (2**64 - 1), (value >> 64) & (2**64 - 1)


# ---- uint32 words to numbers -----------------------------------------------------------------
def _float32(xp, words):
    """TF's Uint32ToFloat: 23 random mantissa bits under exponent 0, minus 1: [0, 1)."""
    bits = (words & xp.uint32(0x7FFFFF)) | xp.uint32(0x3F800000)
    return bits.view(xp.float32) - xp.float32(1.0)


def _float64(xp, high, low):
    """TF's Uint64ToDouble: 20 bits of `high` and all of `low` as the mantissa, minus 1: [0, 1)."""
    bits = ((high & xp.uint32(0xFFFFF)).astype(xp.uint64) << xp.uint64(32)) | low.astype(xp.uint64)
    return (bits | xp.uint64(1023 << 52)).view(xp.float64) - 1.0


def _float16(xp, words):
    """TF's Uint16ToHalf: the low 10 bits as the mantissa under exponent 0, minus 1."""
    bits = (words & xp.uint32(0x3FF)) | xp.uint32(15 << 10)
    return bits.astype(xp.uint16).view(xp.float16) - xp.float16(1.0)


def _box_muller_float(xp, x0, x1):
    """TF's BoxMullerFloat: two float32 normals from two uint32 words each."""
    u1 = xp.maximum(_float32(xp, x0), xp.float32(1.0e-7))
    v1 = (_float32(xp, x1).astype(xp.float64) * (2.0 * math.pi)).astype(xp.float32)
    u2 = xp.sqrt(xp.float32(-2.0) * xp.log(u1.astype(xp.float64)).astype(xp.float32))
    v1 = v1.astype(xp.float64)
    return xp.sin(v1).astype(xp.float32) * u2, xp.cos(v1).astype(xp.float32) * u2


def _box_muller_double(xp, x0, x1, x2, x3):
    """TF's BoxMullerDouble: two float64 normals from four uint32 words."""
    u1 = xp.maximum(_float64(xp, x0, x1), 1.0e-7)
    v1 = 2 * math.pi * _float64(xp, x2, x3)
    u2 = xp.sqrt(-2.0 * xp.log(u1))
    return xp.sin(v1) * u2, xp.cos(v1) * u2


def _group_count(size: int, per_group: int) -> int:
    return -(-size // per_group)


def uniform(xp, key, counter, size: int, dtype):
    """`size` floats in [0, 1) of numpy dtype float16/32/64, as StatelessRandomUniformV2."""
    if dtype == xp.float64:
        words = blocks(xp, key, counter, _group_count(size, 2))
        return _float64(xp, words[:, 0::2], words[:, 1::2]).reshape(-1)[:size]
    words = blocks(xp, key, counter, _group_count(size, 4)).reshape(-1)[:size]
    return _float16(xp, words) if dtype == xp.float16 else _float32(xp, words)


def normal(xp, key, counter, size: int, dtype):
    """`size` standard normals of numpy dtype float16/32/64, as StatelessRandomNormalV2."""
    if dtype == xp.float64:
        words = blocks(xp, key, counter, _group_count(size, 2))
        f0, f1 = _box_muller_double(xp, words[:, 0], words[:, 1], words[:, 2], words[:, 3])
        return xp.stack([f0, f1], axis=1).reshape(-1)[:size]
    words = blocks(xp, key, counter, _group_count(size, 4))
    f0, f1 = _box_muller_float(xp, words[:, 0::2], words[:, 1::2])  # pairs (w0, w1) and (w2, w3)
    out = xp.stack([f0, f1], axis=2).reshape(-1)[:size]
    return out.astype(xp.float16) if dtype == xp.float16 else out


def truncated_normal(xp, key, counter, size: int, dtype):
    """`size` standard normals redrawn until within 2, as StatelessTruncatedNormalV2.

    Output group g (4 floats, 2 doubles) draws from the block stream starting at counter +
    g * 256 (float) or g * 128 (double) and keeps its first in-range values in order; the
    few groups that need more than the blocks drawn at first get more.
    """
    per_group = 2 if dtype == xp.float64 else 4
    reserved = per_group * RESERVED_SAMPLES_PER_OUTPUT // 4
    groups = _group_count(size, per_group)
    out = xp.zeros((groups, per_group), xp.float64 if dtype == xp.float64 else xp.float32)
    pending = xp.arange(groups, dtype=xp.int64)
    count = 2  # blocks per group in the first pass: enough for nearly every group
    while int(pending.size):
        words = _stream(xp, key, counter, pending, reserved, count)  # [groups, blocks, 4]
        if dtype == xp.float64:
            f0, f1 = _box_muller_double(xp, words[..., 0], words[..., 1], words[..., 2], words[..., 3])
            values = xp.stack([f0, f1], axis=2).reshape(len(pending), -1)
        else:
            flat = words.reshape(len(pending), -1)
            f0, f1 = _box_muller_float(xp, flat[:, 0::2], flat[:, 1::2])
            values = xp.stack([f0, f1], axis=2).reshape(len(pending), -1)
        keep = xp.abs(values) < 2.0
        rank = xp.cumsum(keep, axis=1) - 1
        take = keep & (rank < per_group)
        rows, cols = xp.nonzero(take)
        out[pending[rows], rank[rows, cols]] = values[rows, cols]
        done = xp.sum(take, axis=1) >= per_group
        pending = pending[~done]
        count *= 2  # the stragglers redo their stream, twice as long
    out = out.reshape(-1)[:size]
    return out.astype(xp.float16) if dtype == xp.float16 else out


def _stream(xp, key, counter, groups, reserved, count):
    """uint32 [len(groups), count, 4]: the first `count` blocks of each group's reserved stream."""
    n = int(groups.size)
    starts = groups.astype(xp.uint64) * xp.uint64(reserved)
    offsets = (starts[:, None] + xp.arange(count, dtype=xp.uint64)[None, :]).reshape(-1)
    return _blocks_at(xp, key, counter, offsets).reshape(n, count, 4)


def _blocks_at(xp, key, counter, offsets):
    """uint32 [len(offsets), 4]: Philox at counter + offsets[i] (uint64 offsets)."""
    u64 = xp.uint64
    lo = offsets + u64(counter[0])
    hi = (lo < offsets).astype(u64) + u64(counter[1])
    mask = u64(_MASK32)
    c0, c1, c2, c3 = lo & mask, lo >> u64(32), hi & mask, hi >> u64(32)
    k0, k1 = key & _MASK32, key >> 32
    for _ in range(_ROUNDS):
        p0, p1 = c0 * u64(_M0), c2 * u64(_M1)
        c0, c1, c2, c3 = (p1 >> u64(32)) ^ c1 ^ u64(k0), p1 & mask, (p0 >> u64(32)) ^ c3 ^ u64(k1), p0 & mask
        k0, k1 = (k0 + _W0) & _MASK32, (k1 + _W1) & _MASK32
    return xp.stack([c0, c1, c2, c3], axis=1).astype(xp.uint32)


def _full_int_bits(xp, key, counter, size: int, wide: bool):
    """`size` raw uint64 (two words each, low first) or uint32 draws."""
    if wide:
        words = blocks(xp, key, counter, _group_count(size, 2)).reshape(-1)
        bits = words[0::2].astype(xp.uint64) | (words[1::2].astype(xp.uint64) << xp.uint64(32))
        return bits[:size]
    return blocks(xp, key, counter, _group_count(size, 4)).reshape(-1)[:size]


def uniform_full_int(xp, key, counter, size: int, dtype):
    """`size` integers over a numpy dtype's whole range (int32/int64/uint32/uint64), as
    StatelessRandomUniformFullIntV2."""
    return _full_int_bits(xp, key, counter, size, dtype.itemsize == 8).view(dtype)


def uniform_int(xp, key, counter, size: int, dtype, minval: int, maxval: int):
    """`size` integers in [minval, maxval) as `minval + bits % (maxval - minval)`, as StatelessRandomUniformIntV2."""
    wide = dtype.itemsize == 8
    bits = _full_int_bits(xp, key, counter, size, wide).astype(xp.uint64)
    span = (maxval - minval) % (2**64 if wide else 2**32)
    offset = bits % xp.uint64(span)
    # minval + offset stays within [minval, maxval): add in the unsigned type, which wraps as TF's does.
    start = xp.uint64(minval % 2**64)
    return (offset + start).view(xp.int64).astype(dtype) if wide else \
        (offset + start).astype(xp.uint32).view(xp.int32).astype(dtype)


def rand_doubles(xp, key, counter, count: int):
    """`count` doubles in [0, 1) as TF's SimplePhilox::RandDouble draws them one after another."""
    words = blocks(xp, key, counter, _group_count(2 * count, 4)).reshape(-1)[:2 * count]
    return _float64(xp, words[0::2], words[1::2])


def gamma(np_, key, counter, alpha, samples_per_alpha: int):
    """TF's StatelessRandomGammaV3 draws (float64), laid out `[samples_per_alpha, alpha.size]`.

    Marsaglia and Tsang's method as TF's CPU kernel runs it: output j of alpha i (output
    index `i * samples_per_alpha + j`) reads the block stream starting at counter + 256 *
    that index, taking Box-Muller normals and uniform doubles two per block, each pair
    consumed last-first; alpha < 1 is boosted by `u ** (1 / alpha)`, alpha == 1 is an
    exponential draw. Vectorized: every pending output advances one proposal per pass.
    `np_` is numpy (host only).
    """
    alpha = np_.asarray(alpha, np_.float64).reshape(-1)
    num_alphas = alpha.size
    total = num_alphas * samples_per_alpha
    out_index = np_.arange(total, dtype=np_.int64)
    a = alpha[out_index // max(samples_per_alpha, 1)] if total else alpha[:0]
    result = np_.zeros(total, np_.float64)
    less_than_one = a < 1
    d = a + np_.where(less_than_one, 2.0 / 3, -1.0 / 3)
    c = 1.0 / 3 / np_.sqrt(np_.where(d > 0, d, 1.0))
    block = out_index.astype(np_.uint64) * np_.uint64(RESERVED_SAMPLES_PER_OUTPUT)  # next block of each stream
    normals = np_.zeros((total, 2))
    normal_left = np_.zeros(total, np_.int64)
    uniforms = np_.zeros((total, 2))
    uniform_left = np_.zeros(total, np_.int64)

    def next_blocks(rows):
        words = _blocks_at(np_, key, counter, block[rows])
        block[rows] += np_.uint64(1)
        return words

    def uniform(rows):
        """One uniform double for each of `rows` (their streams advance as TF's UNIFORM macro does)."""
        empty = rows[uniform_left[rows] == 0]
        if empty.size:
            w = next_blocks(empty)
            uniforms[empty, 0] = _float64(np_, w[:, 0], w[:, 1])
            uniforms[empty, 1] = _float64(np_, w[:, 2], w[:, 3])
            uniform_left[empty] = 2
        uniform_left[rows] -= 1
        return uniforms[rows, uniform_left[rows]]

    exponential = np_.flatnonzero(a == 1.0)
    if exponential.size:
        result[exponential] = -np_.log1p(-uniform(exponential))
    invalid = np_.flatnonzero(~(a > 0))
    result[invalid] = np_.nan
    pending = np_.flatnonzero((a > 0) & (a != 1.0))
    while pending.size:
        empty = pending[normal_left[pending] == 0]
        if empty.size:
            w = next_blocks(empty)
            f0, f1 = _box_muller_double(np_, w[:, 0], w[:, 1], w[:, 2], w[:, 3])
            normals[empty, 0], normals[empty, 1] = f0, f1
            normal_left[empty] = 2
        normal_left[pending] -= 1
        x = normals[pending, normal_left[pending]]
        v = 1 + c[pending] * x
        positive = v > 0
        rows, x, v = pending[positive], x[positive], v[positive] ** 3
        u = uniform(rows)
        dd = d[rows]
        with np_.errstate(divide="ignore", invalid="ignore"):
            accept = (u < 1 - 0.0331 * (x * x) * (x * x)) | (np_.log(u) < 0.5 * x * x + dd * (1 - v + np_.log(v)))
        done = rows[accept]
        res = dd[accept] * v[accept]
        boost = less_than_one[done]
        if boost.any():
            b = uniform(done[boost])
            res[boost] *= b ** (1 / a[done[boost]])
        result[done] = res
        finished = np_.zeros(total, bool)
        finished[done] = True
        pending = pending[~finished[pending]]
    # output index i * samples_per_alpha + j sits at [j, i]
    return result.reshape(num_alphas, samples_per_alpha).T


def _uniform_block(np_, words, ct):
    """A block's uniforms in compute type `ct`: 4 floats or 2 doubles (TF's UniformDistribution)."""
    if ct == np_.float32:
        return _float32(np_, words)
    return np_.stack([_float64(np_, words[:, 0], words[:, 1]), _float64(np_, words[:, 2], words[:, 3])], axis=1)


class _UniformStreams:
    """Per-output uniform streams read as TF's UNIFORM macro reads them (each block's values last-first)."""

    def __init__(self, np_, key, counter, total: int, ct, stride: int = RESERVED_SAMPLES_PER_OUTPUT):
        self.np, self.key, self.counter, self.ct = np_, key, counter, ct
        self.per_block = 4 if ct == np_.float32 else 2
        self.block = np_.arange(total, dtype=np_.uint64) * np_.uint64(stride)  # output i starts at counter + i * stride
        self.buffer = np_.zeros((total, self.per_block), ct)
        self.left = np_.zeros(total, np_.int64)

    def draw(self, rows):
        np_ = self.np
        empty = rows[self.left[rows] == 0]
        if empty.size:
            self.buffer[empty] = _uniform_block(np_, _blocks_at(np_, self.key, self.counter, self.block[empty]),
                                                self.ct)
            self.block[empty] += np_.uint64(1)
            self.left[empty] = self.per_block
        self.left[rows] -= 1
        return self.buffer[rows, self.left[rows]]


def poisson(np_, key, counter, rate, samples_per_rate: int, ct):
    """TF's PoissonFunctor draws (as compute type `ct`), laid out `[samples_per_rate, rate.size]`.

    Output j of rate i (index `i * samples_per_rate + j`) reads the stream at counter + 256 *
    that index: Knuth's product of uniforms for rates below 10, Hormann's transformed
    rejection above; infinite rates give infinity, negative ones 0 (Knuth's loop stops at once),
    NaN ones NaN. TF computes in double: pass `ct=numpy.float64`. Host only.
    """
    rate = np_.asarray(rate).astype(ct).reshape(-1)
    num_rates = rate.size
    total = num_rates * samples_per_rate
    r = rate[np_.arange(total) // max(samples_per_rate, 1)] if total else rate[:0]
    result = np_.full(total, np_.nan, np_.float64)
    streams = _UniformStreams(np_, key, counter, total, ct)
    one, zero = ct(1), ct(0)
    # Knuth: the count of uniforms whose running product stays above exp(-rate).
    pending = np_.flatnonzero(r < ct(10))
    limit = np_.exp(-r)
    prod = np_.ones(total, ct)
    count = np_.zeros(total, ct)
    while pending.size:
        prod[pending] = prod[pending] * streams.draw(pending)
        done = prod[pending] <= limit[pending]
        result[pending[done]] = count[pending[done]]
        count[pending[~done]] += one
        pending = pending[~done]
    big = np_.flatnonzero(r >= ct(10))
    infinite = big[np_.isinf(r[big])]
    result[infinite] = np_.inf
    pending = big[~np_.isinf(r[big])]
    log_rate = np_.log(r)
    b = ct(0.931) + ct(2.53) * np_.sqrt(r)
    a = ct(-0.059) + ct(0.02483) * b
    inv_alpha = ct(1.1239) + ct(1.1328) / (b - ct(3.4))
    while pending.size:
        u = streams.draw(pending) - ct(0.5)
        v = streams.draw(pending)
        aa, bb, rr = a[pending], b[pending], r[pending]
        u_shifted = ct(0.5) - np_.abs(u)
        k = np_.floor((ct(2) * aa / u_shifted + bb) * u + rr + ct(0.43))
        valid = k >= zero
        quick = valid & (u_shifted >= ct(0.07)) & (v <= ct(0.9277) - ct(3.6224) / (bb - ct(2)))
        test = valid & ~quick & ~((u_shifted < ct(0.013)) & (v > u_shifted))
        accept = quick.copy()
        if test.any():
            rows = np_.flatnonzero(test)
            s = np_.log(v[rows] * inv_alpha[pending[rows]] / (aa[rows] / (u_shifted[rows] * u_shifted[rows]) +
                                                               bb[rows]))
            lgammas = np_.array([math.lgamma(float(x) + 1) for x in k[rows]]).astype(ct)
            t = -rr[rows] + k[rows] * log_rate[pending[rows]] - lgammas
            accept[rows] = s <= t
        result[pending[accept]] = k[accept]
        pending = pending[~accept]
    return result.reshape(num_rates, samples_per_rate).T


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                  0.00925546218271273, 0.00833056343336287)  # log(k!) minus Stirling's formula, k = 0..9


def _stirling_tail(np_, k):
    table = np_.asarray(_STIRLING_TAIL)
    kp1sq = (k + 1) * (k + 1)
    tail = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    return np_.where(k <= 9, table[np_.clip(k, 0, 9).astype(np_.int64)], tail)


def _binomial_inversion(np_, streams, rows, count, prob):
    """Geometric waiting times until they pass `count` (TF's binomial_inversion), for `rows`."""
    result = np_.zeros(rows.size)
    geom_sum = np_.zeros(rows.size)
    hits = np_.zeros(rows.size)
    log_q = np_.log1p(-prob)
    pending = np_.arange(rows.size)
    while pending.size:
        u = streams.draw(rows[pending])
        with np_.errstate(divide="ignore"):
            geom_sum[pending] += np_.ceil(np_.log(u) / log_q[pending])
        done = geom_sum[pending] > count[pending]
        result[pending[done]] = hits[pending[done]]
        hits[pending[~done]] += 1
        pending = pending[~done]
    return result


def _btrs(np_, streams, rows, count, prob):
    """Hormann's transformed rejection with squeeze (TF's btrs), for `rows`."""
    stddev = np_.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = np_.floor((count + 1) * prob)
    result = np_.zeros(rows.size)
    pending = np_.arange(rows.size)
    while pending.size:
        u = streams.draw(rows[pending])
        v = streams.draw(rows[pending])
        u = u - 0.5
        us = 0.5 - np_.abs(u)
        bb, aa, n = b[pending], a[pending], count[pending]
        k = np_.floor((2 * aa / us + bb) * u + c[pending])
        accept = (us >= 0.07) & (v <= v_r[pending])
        test = ~accept & (k >= 0) & (k <= n)
        if test.any():
            i = np_.flatnonzero(test)
            p_i = pending[i]
            kk, nn, mm, rr = k[i], n[i], m[p_i], r[p_i]
            lhs = np_.log(v[i] * alpha[p_i] / (aa[i] / (us[i] * us[i]) + bb[i]))
            upper = ((mm + 0.5) * np_.log((mm + 1) / (rr * (nn - mm + 1))) + (nn + 1) * np_.log((nn - mm + 1) /
                     (nn - kk + 1)) + (kk + 0.5) * np_.log(rr * (nn - kk + 1) / (kk + 1)) +
                     _stirling_tail(np_, mm) + _stirling_tail(np_, nn - mm) - _stirling_tail(np_, kk) -
                     _stirling_tail(np_, nn - kk))
            accept[i] = lhs <= upper
        result[pending[accept]] = k[accept]
        pending = pending[~accept]
    return result


def binomial(np_, key, counter, counts, probs, samples_per_batch: int):
    """TF's RandomBinomialFunctor draws (float64), laid out `[samples_per_batch, counts.size]`.

    `counts` and `probs` are the flat per-batch parameters in their own dtype (TF compares
    `count * prob >= 10` in it). Output j of batch i (index `i * samples_per_batch + j`) reads
    the stream at counter + 256 * index for BTRS (count * p >= 10) or + 42 * index for
    inversion; probabilities above 0.5 draw the failures. Host only.
    """
    num_batches = counts.size
    total = num_batches * samples_per_batch
    batch = np_.arange(total) // max(samples_per_batch, 1)
    n_t, p_t = counts.reshape(-1)[batch], probs.reshape(-1)[batch]
    one = p_t.dtype.type(1)
    flip = p_t > p_t.dtype.type(0.5)
    q_t = np_.where(flip, one - p_t, p_t)  # in T, as TF's `T(1) - prob`
    large = (n_t * q_t) >= n_t.dtype.type(10)
    n, q = n_t.astype(np_.float64), q_t.astype(np_.float64)
    result = np_.full(total, np_.nan)
    result[(n <= 0) | (p_t <= 0)] = 0.0
    result[(n > 0) & (p_t >= one)] = n[(n > 0) & (p_t >= one)]
    sample = (n > 0) & (p_t > 0) & (p_t < one)
    for use_btrs, stride, draw in ((True, RESERVED_SAMPLES_PER_OUTPUT, _btrs), (False, 42, _binomial_inversion)):
        rows = np_.flatnonzero(sample & (large == use_btrs))
        if rows.size:
            streams = _UniformStreams(np_, key, counter, total, np_.float64, stride)
            drawn = draw(np_, streams, rows, n[rows], q[rows])
            result[rows] = np_.where(flip[rows], n[rows] - drawn, drawn)
    return result.reshape(num_batches, samples_per_batch).T
