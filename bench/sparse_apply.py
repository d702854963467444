"""One sparse optimizer step of a canned model's column, beside plain numpy doing the same step.

    python bench/sparse_apply.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Each estflow step is one `Session.run` of `optimizer.minimize(reduce_sum(gather(w, ids) * c))`
with the ids fed ([batch, 1], int64, with repeats as a census column has them): the gather, its
gradient, TF1's deduplication (Unique, UnsortedSegmentSum) and the sparse apply, which the plan
runs as one fused step. Columns:
  - linear column, 16 rows (a vocabulary column: education) and 1,000 rows (a hashed or crossed
    column), FtrlOptimizer(0.1) as LinearClassifier's default (lr_power -0.5, no l1/l2): SparseApplyFtrl;
  - embedding of dimension 8 over 1,000 rows, AdagradOptimizer(0.05): SparseApplyAdagrad.
The numpy baseline does the same step by hand in the same process: the gather, `np.unique` with
its inverse, `np.add.at` of the gradient rows, the update of the distinct rows and their write-back.
Both give the same variables (checked before timing).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402

BATCHES = (40, 256)
COLUMNS = {"ftrl16": ("Ftrl", 16, 1), "ftrl1000": ("Ftrl", 1000, 1), "adagrad_emb": ("Adagrad", 1000, 8)}


class NumpyStep:
    """The same step by hand: forward gather, gradient rows, deduplication and the update, in float32."""

    def __init__(self, kind, rows, dim, weights):
        self.kind, self.weights = kind, weights
        self.var = np.zeros((rows, dim), np.float32) if kind == "Ftrl" else _initial(rows, dim)
        self.accum = np.full((rows, dim), 0.1, np.float32)
        self.linear = np.zeros((rows, dim), np.float32)

    def step(self, ids):
        flat = ids.reshape(-1)
        rows = self.var[flat]  # the forward gather (the loss itself is not needed for the update)
        grad = np.broadcast_to(self.weights.reshape(-1, 1), rows.shape)
        unique, inverse = np.unique(flat, return_inverse=True)
        summed = np.zeros((unique.shape[0],) + rows.shape[1:], np.float32)
        np.add.at(summed, inverse, grad)
        accum = self.accum[unique]
        new_accum = accum + summed * summed
        if self.kind == "Adagrad":
            self.var[unique] -= summed * np.float32(0.05) / np.sqrt(new_accum)
        else:
            lr = np.float32(0.1)
            var = self.var[unique]
            linear = self.linear[unique] + summed - (np.sqrt(new_accum) - np.sqrt(accum)) / lr * var
            self.linear[unique] = linear
            self.var[unique] = np.where(linear != 0, -linear / (np.sqrt(new_accum) / lr), np.float32(0))
        self.accum[unique] = new_accum


def _initial(rows, dim):
    return np.linspace(-0.5, 0.5, rows * dim, dtype=np.float32).reshape(rows, dim)


def build(kind, rows, dim, batch):
    g = tf.Graph()
    with g.as_default():
        ids = tf.placeholder(tf.int64, [batch, 1])
        initial = np.zeros((rows, dim), np.float32) if kind == "Ftrl" else _initial(rows, dim)
        w = tf.Variable(initial)
        weights = np.linspace(-1, 1, batch, dtype=np.float32)
        loss = tf.reduce_sum(tf.gather(w, ids) * weights.reshape(batch, 1, 1))
        opt = tf.train.FtrlOptimizer(0.1) if kind == "Ftrl" else tf.train.AdagradOptimizer(0.05)
        train = opt.minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    return sess, train, ids, w, weights


def measure(args) -> dict:
    out = {}
    rng = np.random.default_rng(0)
    for name, (kind, rows, dim) in COLUMNS.items():
        for batch in BATCHES:
            sess, train, ids, w, weights = build(kind, rows, dim, batch)
            ref = NumpyStep(kind, rows, dim, weights)
            feeds = [rng.integers(0, rows, (batch, 1)) for _ in range(16)]
            for x in feeds[:3]:  # the same variables after a few steps
                sess.run(train, {ids: x})
                ref.step(x)
            np.testing.assert_allclose(sess.run(w), ref.var, rtol=1e-5, atol=1e-6)
            i = iter(range(1 << 60))
            times = _report.interleaved({
                "estflow": lambda: sess.run(train, {ids: feeds[next(i) % 16]}),
                "numpy": lambda: ref.step(feeds[next(i) % 16]),
            }, number=300)
            out[f"{name}_{batch}"], out[f"{name}_np_{batch}"] = times["estflow"], times["numpy"]
            sess.close()
    return out


def report(runs: list[dict], args) -> str:
    lines = [f"Measured by `python bench/sparse_apply.py` on {_report.machine()}: microseconds per training step of",
             "one column (`Session.run` of gather, gradient, deduplication and the fused sparse apply) beside plain",
             "numpy doing the same step in the same process; median over "
             f"{len(runs)} fresh processes with the range (lowest-highest) in brackets.",
             "",
             "| column | batch | estflow (us) | numpy (us) | estflow / numpy |",
             "|---|---|---|---|---|"]
    names = {"ftrl16": "linear, 16 rows, Ftrl", "ftrl1000": "linear, 1,000 rows, Ftrl",
             "adagrad_emb": "embedding 1,000 x 8, Adagrad"}
    return "\n".join(lines + _harness.versus_numpy_rows(runs, names, BATCHES))


if __name__ == "__main__":
    _harness.main(__file__, "Sparse optimizer step (one column)", measure, report)
