"""Session.run per-call cost against the same numpy calls made directly (issue: engine core).

    python bench/session_overhead.py [--processes 5] [--write]   # prints a BENCHMARKS.md block

(a) fetch a constant, (b) `a + b` on two fed float32 scalars vs one `np.add`, (c) ten
elementwise ops on a fed [128] vector vs the ten numpy calls, (d) a variable
`assign_add`. Import time is measured by bench/import_time.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402

TF_ANCHORS = {"const": 112, "add": 212, "chain": 204, "assign_add": 150}  # ../shared/ANCHORS.md, TF 2.15


def build():
    g = tf.Graph()
    with g.as_default():
        const = tf.constant(3.0)
        a = tf.placeholder(tf.float32, shape=[])
        b = tf.placeholder(tf.float32, shape=[])
        add = a + b
        x = tf.placeholder(tf.float32, shape=[128])
        y = x
        for i in range(10):
            y = y * 1.0001 if i % 2 else y + 0.5
        v = tf.Variable(0.0)
        inc = v.assign_add(1.0)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    return sess, const, a, b, add, x, y, inc


def measure(args) -> dict:
    """One process's figures: per-call microseconds of each case and its numpy baseline."""
    sess, const, a, b, add, x, y, inc = build()
    xv = np.ones(128, np.float32)
    one, half = np.float32(1.0001), np.float32(0.5)
    fa, fb = np.float32(1.0), np.float32(2.0)

    def numpy_chain():
        z = xv
        for i in range(10):
            z = np.multiply(z, one) if i % 2 else np.add(z, half)
        return z

    feeds_ab = {a: 1.0, b: 2.0}
    feeds_x = {x: xv}
    t = _report.interleaved({
        "const": lambda: sess.run(const),
        "add": lambda: sess.run(add, feeds_ab),
        "np_add": lambda: np.add(fa, fb),
        "chain": lambda: sess.run(y, feeds_x),
        "np_chain": numpy_chain,
        "assign_add": lambda: sess.run(inc),
    }, number=5000)
    return t


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    rows = [
        ("(a) fetch a constant", f(runs, "const"), "-", "-", TF_ANCHORS["const"]),
        ("(b) `a + b`, two fed scalars", f(runs, "add"), f"{f(runs, 'np_add')} (`np.add`)",
         f"{r(runs, 'add', 'np_add', '{:.1f}')} (target <= 15x)", TF_ANCHORS["add"]),
        ("(c) 10 elementwise ops, fed `[128]`", f(runs, "chain"), f"{f(runs, 'np_chain')} (10 numpy calls)",
         f"{r(runs, 'chain', 'np_chain')} (target <= 2x)", TF_ANCHORS["chain"]),
        ("(d) `assign_add` on a variable", f(runs, "assign_add"), "-", "-", TF_ANCHORS["assign_add"]),
    ]
    lines = [
        f"Measured by `python bench/session_overhead.py` on {_report.machine()}: in each of {len(runs)} fresh",
        "processes, medians of 9 interleaved rounds of 5,000 calls; each cell is the median over the processes",
        "with their range (lowest-highest) in brackets, ratios taken within each process. TF 2.15 figures are",
        "from `../shared/ANCHORS.md` (same workload, same kind of machine, default threads), quoted for scale.",
        "",
        "| Session.run per call | estflow (us) | numpy directly (us) | estflow / numpy | TF 2.15 (us) |",
        "|---|---|---|---|---|",
    ]
    for name, ours, base, ratio, tf_us in rows:
        lines.append(f"| {name} | {ours} | {base} | {ratio} | {tf_us} |")
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Session.run overhead", measure, report)
