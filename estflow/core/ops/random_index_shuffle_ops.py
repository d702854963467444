"""RandomIndexShuffle (`tf.random_index_shuffle`): where `index` lands in a seeded permutation of [0, max_index].

TF encrypts the index with a Simon-style Feistel cipher keyed by the 3-word seed, on a block
of `max(16, ceil(log2(max_index)) rounded up to even)` bits, and re-encrypts ("cycle
walking") until the value is at most `max_index`; the same seed therefore maps
`0..max_index` one-to-one onto itself. This kernel computes TF's exact values, vectorized
over the elements (each may have its own seed and max_index).
"""

from __future__ import annotations

import math

# NOTE: a host kernel (cpu_only): the cipher runs on numpy uint64 arrays.
import numpy as np

from estflow.core import dtypes, errors
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_TYPES = (dtypes.int32, dtypes.uint32, dtypes.int64, dtypes.uint64)
_C = 0xFFFFFFFC  # the key schedule's constant
_Z = 0x7369F885192C0EF5  # Simon's z sequence, consumed one bit per round key


def _word_bits(max_index: int) -> int:
    """Half TF's block size for `max_index`."""
    if max_index == 0:
        return 0
    block = math.ceil(math.log2(max_index))
    return min(max(block + block % 2, 16), 64) // 2


def _rotl(x, r, w, mask):
    return ((x << r) | (x >> (w - r))) & mask


def _rotr(x, r, w, mask):
    return ((x >> r) | (x << (w - r))) & mask


def _f(x, w, mask):
    one, two, eight = (np.uint64(v) for v in (1, 2, 8))
    return (_rotl(x, one, w, mask) & _rotl(x, eight, w, mask)) ^ _rotl(x, two, w, mask)


def _shuffle(index, keys, max_index, rounds: int):
    """uint64 arrays in, uint64 out: TF's index_shuffle for each element."""
    widths = np.array([_word_bits(int(m)) for m in max_index.tolist()], np.uint64)
    w = np.maximum(widths, np.uint64(1))  # width 0 (max_index 0) answers 0 below
    mask = np.where(w == 64, np.uint64(2**64 - 1), (np.uint64(1) << w) - np.uint64(1))
    round_keys = [keys[:, i] & mask for i in range(3)]
    z = np.full(index.shape, np.uint64(_Z)) & mask
    c = np.uint64(_C) & mask
    for i in range(3, rounds):
        previous = round_keys[i - 1]
        round_keys.append(c ^ (z & np.uint64(1)) ^ round_keys[i - 3] ^ _rotr(previous, np.uint64(3), w, mask)
                          ^ _rotr(previous, np.uint64(4), w, mask))
        z >>= np.uint64(1)
    value = index.copy()
    pending = np.flatnonzero(widths > 0)
    result = np.zeros(index.shape, np.uint64)
    while pending.size:
        ww, mm = w[pending], mask[pending]
        left, right = (value[pending] >> ww) & mm, value[pending] & mm
        for i in range(0, rounds, 2):
            left ^= _f(right, ww, mm) ^ round_keys[i][pending]
            right ^= _f(left, ww, mm) ^ round_keys[i + 1][pending]
        encrypted = (left << ww) | right
        value[pending] = encrypted
        done = encrypted <= max_index[pending]
        result[pending[done]] = encrypted[done]
        pending = pending[~done]
    return result


def _infer(index, seed, max_index, *, rounds):
    for spec, what in ((index, "index"), (max_index, "max_index"), (seed, "seed")):
        if spec.dtype not in _TYPES:
            raise TypeError(f"Value passed to parameter '{what}' has DataType {spec.dtype.name} not in list of "
                            f"allowed values: int32, uint32, int64, uint64")
    if index.dtype != max_index.dtype:
        raise TypeError(f"index and max_index must have the same dtype, got {index.dtype.name} and "
                        f"{max_index.dtype.name}")
    if int(rounds) < 4 or int(rounds) % 2:
        raise ValueError(f"rounds must be an even number >= 4, got {rounds}")
    seed_dims = seed.shape.as_tuple()
    if seed_dims is not None and (not seed_dims or seed_dims[-1] not in (None, 3) or len(seed_dims) > 2):
        raise ValueError(f"seed must have shape [3] or [n, 3], not {list(seed_dims)}")
    if index.shape.ndims not in (None, 0, 1):
        raise ValueError(f"index must be a scalar or vector, got rank {index.shape.ndims}")
    return TensorSpec(index.shape if index.shape.ndims is not None else TensorShape(None), index.dtype)


def _kernel(xp, index, seed, max_index, rounds):
    index, seed, max_index = np.asarray(index), np.asarray(seed), np.asarray(max_index)
    n = index.size
    if seed.ndim == 2 and seed.shape[0] not in (1, n):
        raise errors.InvalidArgumentError(None, None, f"seed must have shape [3] or [{n}, 3], got "
                                                      f"{list(seed.shape)}")
    if max_index.ndim and max_index.size not in (1, n):
        raise errors.InvalidArgumentError(None, None, f"max_index must be a scalar or a vector of {n} entries, got "
                                                      f"shape {list(max_index.shape)}")
    keys = np.broadcast_to(seed.reshape(-1, 3).astype(np.int64).astype(np.uint64) & np.uint64(0xFFFFFFFF), (n, 3))
    limits = np.broadcast_to(max_index.reshape(-1).astype(np.uint64), (n,))
    out = _shuffle(index.reshape(-1).astype(np.uint64), np.array(keys), np.array(limits), int(rounds))
    return out.astype(index.dtype).reshape(index.shape)


register(OpDef("RandomIndexShuffle", infer=_infer, kernel=_kernel, attrs={"rounds": 4}, cpu_only=True,
               same_dtype=(0, 2), differentiable=False, input_names=("index: dtype", "seed: Tseed", "max_index: dtype"),
               output_names=("output: dtype",), attr_types={"rounds": "int", "dtype": "type", "Tseed": "type"}))


def random_index_shuffle(index, seed, max_index, rounds=4, name=None):
    """The position of `index` in a permutation of `[0, max_index]` chosen by `seed` (3 ints), as
    `tf.random_index_shuffle`: the same seed maps every index to a distinct position.

        order = tf.random_index_shuffle(tf.range(10), [1, 2, 3], 9)   # a permutation of 0..9
    """
    return apply_op("RandomIndexShuffle", index, seed, max_index, name=name or "RandomIndexShuffle",
                    rounds=int(rounds))
