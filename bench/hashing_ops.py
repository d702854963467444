"""Per-batch cost of TF's hashing and vocabulary ops, beside plain numpy doing the same transforms.

    python bench/hashing_ops.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

For batches of 40 and 1024 strings (a census-like column: 1,000 distinct values), each step is
one `Session.run` with the strings fed:
  - hash bucket: `tf.string_to_hash_bucket_fast(x, 1000)`;
  - vocabulary: `index_table_from_tensor(100 words, num_oov_buckets=1).lookup(x)`;
  - cross: `tf.sparse.cross_hashed([x, y], 1000)` of two [n, 1] string columns.
The numpy baselines compute the same ids in the same process without a graph: FarmHash
Fingerprint64 per string (the same C binding, without the memo of seen strings that
estflow's kernel keeps) and uint64 modulo; a dict lookup with the
hash bucket for misses; FingerprintCat64 folding in numpy uint64.
"""

from __future__ import annotations

import sys
from pathlib import Path

import farmhash
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402
from estflow.core import hashing  # noqa: E402

BATCHES = (40, 1024)
KEY = np.uint64(0xDECAFCAFFE)


def _strings(rng, n: int, distinct: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out[:] = [f"value_{v}".encode() for v in rng.integers(0, distinct, n)]
    return out


def _fingerprint64(strings: list) -> np.ndarray:
    # The C binding per string, no memo: estflow's kernel remembers strings it has seen, the baseline doesn't.
    return np.fromiter(map(farmhash.fingerprint64, strings), dtype=np.uint64, count=len(strings))


def _numpy_bucket(x: np.ndarray, buckets: int) -> np.ndarray:
    return (_fingerprint64(x.tolist()) % np.uint64(buckets)).astype(np.int64)


def _numpy_vocab(x: np.ndarray, index: dict) -> np.ndarray:
    ids = np.fromiter((index.get(s, -1) for s in x.tolist()), dtype=np.int64, count=x.shape[0])
    missing = ids < 0
    if missing.any():
        ids[missing] = len(index) + _numpy_bucket(x[missing], 1)
    return ids


def _numpy_cross(x: np.ndarray, y: np.ndarray, buckets: int) -> np.ndarray:
    h = np.full(x.shape[0], KEY, dtype=np.uint64)
    for column in (x, y):
        h = hashing.fingerprint_cat64(h, _fingerprint64(column.tolist()))
    return (h % np.uint64(buckets)).astype(np.int64)


def measure(args) -> dict:
    rng = np.random.default_rng(0)
    out = {}
    vocabulary = [f"value_{v}".encode() for v in range(100)]
    index = {w: i for i, w in enumerate(vocabulary)}
    with tf.Graph().as_default():
        x = tf.placeholder(tf.string, [None])
        y = tf.placeholder(tf.string, [None])
        bucket = tf.string_to_hash_bucket_fast(x, 1000)
        table = tf.contrib.lookup.index_table_from_tensor(vocabulary, num_oov_buckets=1)
        vocab_ids = table.lookup(x)
        cross = tf.sparse.cross_hashed([tf.reshape(x, [-1, 1]), tf.reshape(y, [-1, 1])], 1000).values
        with tf.Session() as sess:
            sess.run(tf.tables_initializer())
            for n in BATCHES:
                xs, ys = _strings(rng, n, 1000), _strings(rng, n, 50)
                feed = {x: xs, y: ys}
                assert (sess.run(bucket, feed) == _numpy_bucket(xs, 1000)).all()
                assert (sess.run(vocab_ids, feed) == _numpy_vocab(xs, index)).all()
                assert (sess.run(cross, feed) == _numpy_cross(xs, ys, 1000)).all()
                number = 200 if n < 100 else 40
                times = _report.interleaved({
                    "bucket": lambda feed=feed: sess.run(bucket, feed),
                    "bucket_np": lambda xs=xs: _numpy_bucket(xs, 1000),
                    "vocab": lambda feed=feed: sess.run(vocab_ids, feed),
                    "vocab_np": lambda xs=xs: _numpy_vocab(xs, index),
                    "cross": lambda feed=feed: sess.run(cross, feed),
                    "cross_np": lambda xs=xs, ys=ys: _numpy_cross(xs, ys, 1000),
                }, number=number)
                out.update({f"{k}_{n}": v for k, v in times.items()})
    return out


def report(runs: list[dict], args) -> str:
    lines = [f"Measured by `python bench/hashing_ops.py` on {_report.machine()}: microseconds per batch (one",
             "`Session.run` with the strings fed) beside plain numpy computing the same ids in the same process;",
             f"median over {len(runs)} fresh processes with the range (lowest-highest) in brackets.",
             "",
             "| op | batch | estflow (us) | numpy (us) | estflow / numpy |",
             "|---|---|---|---|---|"]
    names = {"bucket": "string_to_hash_bucket_fast (1000)", "vocab": "vocabulary lookup + 1 OOV bucket",
             "cross": "sparse.cross_hashed of 2 columns"}
    return "\n".join(lines + _harness.versus_numpy_rows(runs, names, BATCHES))


if __name__ == "__main__":
    _harness.main(__file__, "Hashing and vocabulary ops", measure, report)
