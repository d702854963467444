"""core/hashing.py: TF's string hashes and FingerprintCat64, bit for bit, against the full 64-bit values
real TensorFlow 2.15 computed (tests/fixtures/hashing/manifest.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from estflow.core import hashing
from tests import FIXTURES

MANIFEST = json.loads((FIXTURES / "hashing" / "manifest.json").read_text())
STRINGS = [bytes.fromhex(s["hex"]) for s in MANIFEST["strings"]]
KEY = MANIFEST["strong_key"]


@pytest.mark.parametrize("limit", [hashing._VECTOR_LIMIT, 0], ids=["vectorized", "scalar"])
def test_raw_hashes_match_tensorflows_full_64_bit_values(monkeypatch, limit):
    monkeypatch.setattr(hashing, "_VECTOR_LIMIT", limit)  # 0: every string through the Python-int path
    expected = {k: [s[k] for s in MANIFEST["strings"]] for k in ("fingerprint64", "siphash24", "legacy_hash64")}
    assert hashing.fingerprint64(STRINGS).tolist() == expected["fingerprint64"]
    assert hashing.siphash24(STRINGS, KEY).tolist() == expected["siphash24"]
    assert hashing.legacy_hash64(STRINGS).tolist() == expected["legacy_hash64"]


def test_long_and_short_strings_mixed_take_both_paths(monkeypatch):
    monkeypatch.setattr(hashing, "_VECTOR_LIMIT", 64)
    picked = [s for s in STRINGS if len(s) in (0, 7, 8, 64, 65, 1000, 4002)]
    by_bytes = {bytes.fromhex(s["hex"]): s for s in MANIFEST["strings"]}
    assert hashing.siphash24(picked, KEY).tolist() == [by_bytes[s]["siphash24"] for s in picked]
    assert hashing.legacy_hash64(picked).tolist() == [by_bytes[s]["legacy_hash64"] for s in picked]


def _cat64(a: int, b: int) -> int:
    """FingerprintCat64 in Python integers, written from the manifest's description."""
    mask, k = (1 << 64) - 1, 0xC6A4A7935BD1E995

    def shift_mix(v):
        return v ^ (v >> 47)

    r = a ^ k
    r ^= (shift_mix((b * k) & mask) * k) & mask
    r = (r * k) & mask
    r = (shift_mix(r) * k) & mask
    return shift_mix(r)


def test_fingerprint_cat64_matches_the_described_algorithm():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2**63, 50, dtype=np.int64).view(np.uint64) * np.uint64(3)
    b = rng.integers(0, 2**63, 50, dtype=np.int64).view(np.uint64) * np.uint64(5)
    assert hashing.fingerprint_cat64(a, b).tolist() == [_cat64(int(x), int(y)) for x, y in zip(a, b, strict=True)]


def test_fingerprint_of_one_string_equals_the_batch_ones():
    words = [b"", b"a", b"occupation", bytes(range(200)), b"never seen before \xff"]
    batch = hashing.fingerprint64(words[:3]).tolist()  # the first three now in the memo
    assert [hashing.fingerprint64_of(w) for w in words] == batch + hashing.fingerprint64(words[3:]).tolist()
    assert all(type(hashing.fingerprint64_of(w)) is int for w in words)
