"""The string hashes TensorFlow computes, bit for bit, vectorized over a batch with numpy uint64.

- `fingerprint64`: FarmHash's Fingerprint64 (farmhashna::Hash64), TF's `Fingerprint64`, used by
  `StringToHashBucketFast`, crosses and vocabulary tables' out-of-vocabulary buckets. It comes
  from the `pyfarmhash` binding (Google's C++ FarmHash). Feature values repeat (a few hundred
  occupations, countries...), so each distinct string is hashed once: a bounded memo maps the
  strings seen to their fingerprints, and a batch whose strings are all known is one dict
  lookup each (about half the cost of hashing them again, and a value two crosses share is
  fingerprinted once). A batch with unseen strings is hashed directly; its strings join the
  memo while it has room (`_MEMO_LIMIT` entries), so high-cardinality features cost no more
  than before.
- `siphash24`: SipHash-2-4 keyed by two uint64 words, TF's `StrongKeyedHash`.
- `legacy_hash64`: TF's `Hash64` (a MurmurHash64A variant seeded with 0xDECAFCAFFE), used by the
  legacy `StringToHashBucket`.
- `fingerprint_cat64`: TF's `FingerprintCat64`, which folds one 64-bit value into another (crosses).

SipHash and the legacy hash read each string as little-endian 64-bit words: every string of a
batch is zero-padded to whole words in one buffer, and word j of all strings long enough is
processed at once (rows sorted by length, so the strings still active are a prefix). Strings
longer than `_VECTOR_LIMIT` bytes are hashed one by one with Python integers instead, so one
long string does not cost a numpy pass per word for a single row.
"""

from __future__ import annotations

import itertools

import farmhash
import numpy as np

_MASK = (1 << 64) - 1
_VECTOR_LIMIT = 4096  # bytes: longer strings take the scalar path

LEGACY_SEED = 0xDECAFCAFFE  # TF's Hash64(data, n) default seed
_M = 0xC6A4A7935BD1E995  # MurmurHash64A's multiplier, also FingerprintCat64's
_U_M = np.uint64(_M)
_A_M = np.array(_M, dtype=np.uint64)
_A_47 = np.array(47, dtype=np.uint64)
_U_47 = np.uint64(47)
_U_56 = np.uint64(56)
_U_255 = np.uint64(0xFF)


_MEMO_LIMIT = 1 << 15  # distinct strings remembered: a few MB at most
_memo: dict = {}  # string -> its Fingerprint64 (a pure function of the bytes: safe to share)


def fingerprint64(strings: list) -> np.ndarray:
    """FarmHash Fingerprint64 of each bytes object, as a uint64 array."""
    n = len(strings)
    memo = _memo
    try:  # every string seen before: the common case for categorical features
        return np.fromiter(map(memo.__getitem__, strings), dtype=np.uint64, count=n)
    except KeyError:
        pass
    out = np.fromiter(map(farmhash.fingerprint64, strings), dtype=np.uint64, count=n)
    room = _MEMO_LIMIT - len(memo)
    if room > 0:
        pairs = zip(strings, out.tolist())
        memo.update(pairs if n <= room else itertools.islice(pairs, room))
    return out


def fingerprint64_of(string: bytes) -> int:
    """FarmHash Fingerprint64 of one bytes object, as a Python int (from the memo when seen before)."""
    fp = _memo.get(string)
    return farmhash.fingerprint64(string) if fp is None else fp


def fingerprint_cat64(fp1, fp2: np.ndarray) -> np.ndarray:
    """TF's FingerprintCat64(fp1, fp2) elementwise over uint64 arrays (wrapping arithmetic); `fp1`
    may be one uint64 for every element (a cross's hash key)."""
    m, s47 = _A_M, _A_47  # 0-d arrays: numpy takes them faster than numpy scalars
    mixed = np.multiply(fp2, m)  # new arrays: the in-place steps below never touch the inputs
    mixed ^= mixed >> s47
    mixed *= m
    if isinstance(fp1, np.ndarray) and fp1.ndim:
        mixed ^= fp1
        mixed ^= m
    else:
        mixed ^= np.uint64(fp1) ^ _U_M
    mixed *= m
    mixed ^= mixed >> s47
    mixed *= m
    mixed ^= mixed >> s47
    return mixed


def _words(strings: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(words, first word of each string, length of each string): each string zero-padded to
    len // 8 + 1 little-endian words, so the last word holds its tail (possibly no bytes)."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    n_words = (lengths >> 3) + 1
    buffer = b"".join(s.ljust(int(w) << 3, b"\0") for s, w in zip(strings, n_words.tolist(), strict=True))
    words = np.frombuffer(buffer, dtype="<u8").astype(np.uint64)
    starts = np.cumsum(n_words) - n_words
    return words, starts, lengths


def _split_long(strings: list, vector_fn, scalar_fn) -> np.ndarray:
    """`vector_fn` over the strings up to `_VECTOR_LIMIT` bytes, `scalar_fn` over the longer ones."""
    out = np.empty(len(strings), dtype=np.uint64)
    long_rows = [i for i, s in enumerate(strings) if len(s) > _VECTOR_LIMIT]
    if not long_rows:
        return vector_fn(strings) if strings else out
    short_rows = np.setdiff1d(np.arange(len(strings)), long_rows)
    if short_rows.size:
        out[short_rows] = vector_fn([strings[i] for i in short_rows.tolist()])
    out[long_rows] = [scalar_fn(strings[i]) for i in long_rows]
    return out


def _by_full_words(strings: list):
    """Rows sorted by their number of full words (descending): (order, words, starts, lengths,
    full words per row, how many rows have more than j full words for each j)."""
    words, starts, lengths = _words(strings)
    full = lengths >> 3
    order = np.argsort(-full, kind="stable")
    full_sorted = full[order]
    most = int(full_sorted[0]) if full_sorted.size else 0
    active = np.searchsorted(-full_sorted, -np.arange(most), side="left")  # rows with full > j
    return order, words, starts[order], lengths[order], full_sorted, active.tolist()


# ---- SipHash-2-4 ------------------------------------------------------------------------
def _rotl(x: np.ndarray, b: int) -> np.ndarray:
    return (x << np.uint64(b)) | (x >> np.uint64(64 - b))


def _sip_rounds(v: np.ndarray, k: int, rounds: int) -> None:
    """`rounds` SipRounds over the first `k` columns of the (4, n) state, in place."""
    v0, v1, v2, v3 = v[0, :k], v[1, :k], v[2, :k], v[3, :k]
    for _ in range(rounds):
        v0 += v1
        v1[...] = _rotl(v1, 13)
        v1 ^= v0
        v0[...] = _rotl(v0, 32)
        v2 += v3
        v3[...] = _rotl(v3, 16)
        v3 ^= v2
        v0 += v3
        v3[...] = _rotl(v3, 21)
        v3 ^= v0
        v2 += v1
        v1[...] = _rotl(v1, 17)
        v1 ^= v2
        v2[...] = _rotl(v2, 32)


_SIP_INIT = (0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573)


def _siphash24_vector(strings: list, k0: int, k1: int) -> np.ndarray:
    order, words, starts, lengths, full, active = _by_full_words(strings)
    n = len(strings)
    v = np.empty((4, n), dtype=np.uint64)
    for i, (init, key) in enumerate(zip(_SIP_INIT, (k0, k1, k0, k1), strict=True)):
        v[i] = np.uint64(init ^ key)
    for j, k in enumerate(active):
        m = words[starts[:k] + j]
        v[3, :k] ^= m
        _sip_rounds(v, k, 2)
        v[0, :k] ^= m
    last = words[starts + full] | ((lengths.astype(np.uint64) & _U_255) << _U_56)
    v[3] ^= last
    _sip_rounds(v, n, 2)
    v[0] ^= last
    v[2] ^= _U_255
    _sip_rounds(v, n, 4)
    out = np.empty(n, dtype=np.uint64)
    out[order] = v[0] ^ v[1] ^ v[2] ^ v[3]
    return out


def _siphash24_scalar(data: bytes, k0: int, k1: int) -> int:
    def rotl(x, b):
        return ((x << b) | (x >> (64 - b))) & _MASK

    v0, v1, v2, v3 = (init ^ key for init, key in zip(_SIP_INIT, (k0, k1, k0, k1), strict=True))

    def rounds(count):
        nonlocal v0, v1, v2, v3
        for _ in range(count):
            v0 = (v0 + v1) & _MASK
            v1 = rotl(v1, 13) ^ v0
            v0 = rotl(v0, 32)
            v2 = (v2 + v3) & _MASK
            v3 = rotl(v3, 16) ^ v2
            v0 = (v0 + v3) & _MASK
            v3 = rotl(v3, 21) ^ v0
            v2 = (v2 + v1) & _MASK
            v1 = rotl(v1, 17) ^ v2
            v2 = rotl(v2, 32)

    n_full = len(data) >> 3
    for j in range(n_full):
        m = int.from_bytes(data[8 * j:8 * j + 8], "little")
        v3 ^= m
        rounds(2)
        v0 ^= m
    last = int.from_bytes(data[8 * n_full:], "little") | ((len(data) & 0xFF) << 56)
    v3 ^= last
    rounds(2)
    v0 ^= last
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


def siphash24(strings: list, key: tuple[int, int]) -> np.ndarray:
    """SipHash-2-4 of each bytes object keyed by the uint64 pair `key` (TF's StrongKeyedHash)."""
    k0, k1 = (int(k) & _MASK for k in key)
    return _split_long(strings, lambda s: _siphash24_vector(s, k0, k1), lambda s: _siphash24_scalar(s, k0, k1))


# ---- TF's legacy Hash64 (MurmurHash64A, seed 0xDECAFCAFFE) -----------------------------------
def _legacy_vector(strings: list, seed: int) -> np.ndarray:
    order, words, starts, lengths, full, active = _by_full_words(strings)
    h = (np.uint64(seed) ^ (lengths.astype(np.uint64) * _U_M))
    for j, k in enumerate(active):
        w = words[starts[:k] + j] * _U_M
        w ^= w >> _U_47
        w *= _U_M
        h[:k] ^= w
        h[:k] *= _U_M
    tail = (lengths & 7) != 0
    h[tail] ^= words[starts[tail] + full[tail]]
    h[tail] *= _U_M
    h ^= h >> _U_47
    h *= _U_M
    h ^= h >> _U_47
    out = np.empty(len(strings), dtype=np.uint64)
    out[order] = h
    return out


def _legacy_scalar(data: bytes, seed: int) -> int:
    h = (seed ^ (len(data) * _M)) & _MASK
    n_full = len(data) >> 3
    for j in range(n_full):
        k = (int.from_bytes(data[8 * j:8 * j + 8], "little") * _M) & _MASK
        k = ((k ^ (k >> 47)) * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    if len(data) & 7:
        h = ((h ^ int.from_bytes(data[8 * n_full:], "little")) * _M) & _MASK
    h = ((h ^ (h >> 47)) * _M) & _MASK
    return h ^ (h >> 47)


def legacy_hash64(strings: list, seed: int = LEGACY_SEED) -> np.ndarray:
    """TF's legacy `Hash64` of each bytes object (what `tf.string_to_hash_bucket` buckets)."""
    return _split_long(strings, lambda s: _legacy_vector(s, seed), lambda s: _legacy_scalar(s, seed))
