"""Saving and restoring a 100 MB checkpoint vs numpy.save / numpy.load of the same arrays.

    python bench/checkpoint_io.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Four large float32 variables (about 24 MB each) and 400 small ones (a few KB each),
saved with `tf.train.Saver` to a V2 bundle and restored into a fresh session, beside
writing and reading the same arrays with `np.save` / `np.load` (one .npy file each).

Both sides get the same treatment in every round: a fresh directory, `os.sync()` before
each timed write or read (so neither pays for the other's dirty pages being written back),
and the directory removed afterwards. A single process's figure for the save moved between
0.55x and 2.2x of numpy, so the figures are medians and ranges over fresh processes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402


def arrays():
    rng = np.random.default_rng(0)
    big = [rng.standard_normal((1536, 4096), dtype=np.float32) for _ in range(4)]
    small = [rng.standard_normal((rng.integers(8, 64), 32), dtype=np.float32) for _ in range(400)]
    return big + small


ROUNDS = 5


def measure(args) -> dict:
    """One process: the median over ROUNDS of each operation's seconds, estflow and numpy alternating."""
    values = arrays()
    g = tf.Graph()
    with g.as_default():
        variables = [tf.Variable(tf.zeros(a.shape), name=f"v{i}") for i, a in enumerate(values)]
        saver = tf.train.Saver(max_to_keep=None)
    sess = tf.Session(graph=g)
    for v, a in zip(variables, values):
        v.load(a, sess)
    root = Path(tempfile.mkdtemp(prefix="estflow-bench-"))
    samples = {"save": [], "restore": [], "np_save": [], "np_load": []}

    def timed(key, fn):
        os.sync()
        t0 = time.perf_counter()
        out = fn()
        samples[key].append(time.perf_counter() - t0)
        return out

    try:
        for i in range(ROUNDS):
            ckdir, npdir = root / f"ckpt{i}", root / f"np{i}"
            ckdir.mkdir()
            npdir.mkdir()
            prefix = timed("save", lambda: saver.save(sess, str(ckdir / "model"), write_meta_graph=False))
            fresh = tf.Session(graph=g)
            timed("restore", lambda: saver.restore(fresh, prefix))
            fresh.close()
            timed("np_save", lambda: [np.save(npdir / f"{j}.npy", a) for j, a in enumerate(values)])
            loaded = timed("np_load", lambda: [np.load(npdir / f"{j}.npy") for j in range(len(values))])
            del loaded
            shutil.rmtree(ckdir)
            shutil.rmtree(npdir)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out = {k: statistics.median(v) for k, v in samples.items()}
    out["mb"] = sum(a.nbytes for a in values) / 1e6
    out["count"] = len(values)
    return out


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    lines = [
        f"Measured by `python bench/checkpoint_io.py` on {_report.machine()}: {len(runs)} fresh processes, each",
        f"timing {ROUNDS} rounds (median per process); each cell is the median over the processes with their",
        f"range (lowest-highest) in brackets, ratios taken within each process. {runs[0]['count']} float32",
        f"variables, {runs[0]['mb']:.0f} MB (4 large, 400 small). `Saver.save` writes the V2 bundle (index + data,",
        "crc32c of every tensor, atomic renames); restore reads and checks it into a fresh session. The",
        "baseline writes/reads the same arrays with one `.npy` file each, in the same process; every timed",
        "write or read starts after `os.sync()` in a fresh directory.",
        "",
        "| operation | estflow (s) | numpy (s) | estflow / numpy (target <= 1.5x) |",
        "|---|---|---|---|",
        f"| save | {f(runs, 'save', '{:.3f}')} | {f(runs, 'np_save', '{:.3f}')} | {r(runs, 'save', 'np_save')} |",
        f"| restore | {f(runs, 'restore', '{:.3f}')} | {f(runs, 'np_load', '{:.3f}')} "
        f"| {r(runs, 'restore', 'np_load')} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Checkpoint save and restore", measure, report)
