"""Session.run per-call cost against the same numpy calls made directly (issue: engine core).

    python bench/session_overhead.py [--processes 5] [--write]   # prints a BENCHMARKS.md block

(a) fetch a constant, (b) `a + b` on two fed float32 scalars vs one `np.add`, (c) ten
add/mul ops on a fed [128] vector vs the ten numpy calls, (c2) ten ops mixing unary
(tanh, exp, sigmoid) and binary ones vs the same numpy calls, (c3) ten chained `tanh`,
(d) a variable `assign_add`, (e) the chain of (c) fetched beside an unrelated `tf.cond`,
against the chain alone plus the cond's own ops. Import time is bench/import_time.py.
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
# The mixed chain (c2): op name per step; binary steps take a scalar constant.
MIXED = ("tanh", "add", "sigmoid", "mul", "exp", "add", "tanh", "mul", "sigmoid", "add")


def build():
    g = tf.Graph()
    with g.as_default():
        ops = {"const": tf.constant(3.0)}
        a = tf.placeholder(tf.float32, shape=[])
        b = tf.placeholder(tf.float32, shape=[])
        ops["add"] = a + b
        x = tf.placeholder(tf.float32, shape=[128])
        y = x
        for i in range(10):
            y = y * 1.0001 if i % 2 else y + 0.5
        ops["chain"] = y
        z = x
        for name in MIXED:
            if name == "add":
                z = z + 0.5
            elif name == "mul":
                z = z * 1.0001
            else:
                z = getattr(tf, name)(z)
        ops["mixed"] = z
        t = x
        for _ in range(10):
            t = tf.tanh(t)
        ops["tanh"] = t
        p = tf.placeholder(tf.bool, shape=[])
        s = tf.placeholder(tf.float32, shape=[])
        ops["cond"] = tf.cond(p, lambda: s * 2.0, lambda: s + 1.0)
        v = tf.Variable(0.0)
        ops["assign_add"] = v.assign_add(1.0)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    return sess, ops, a, b, x, p, s


def _np_sigmoid(z):
    # The same numpy calls as estflow's numerically stable Sigmoid kernel.
    e = np.exp(-np.abs(z))
    one = np.ones_like(e)
    return np.where(z >= 0, one / (one + e), e / (one + e)).astype(z.dtype, copy=False)


def measure(args) -> dict:
    """One process's figures: per-call microseconds of each case and of its numpy baseline."""
    number = 5000
    sess, ops, a, b, x, p, s = build()
    xv = np.ones(128, np.float32)
    one, half = np.float32(1.0001), np.float32(0.5)
    fa, fb = np.float32(1.0), np.float32(2.0)

    def numpy_chain():
        z = xv
        for i in range(10):
            z = np.multiply(z, one) if i % 2 else np.add(z, half)
        return z

    def numpy_mixed():
        z = xv
        for name in MIXED:
            if name == "add":
                z = np.add(z, half)
            elif name == "mul":
                z = np.multiply(z, one)
            elif name == "sigmoid":
                z = _np_sigmoid(z)
            else:
                z = getattr(np, name)(z)
        return z

    def numpy_tanh():
        z = xv
        for _ in range(10):
            z = np.tanh(z)
        return z

    feeds_ab = {a: 1.0, b: 2.0}
    feeds_x = {x: xv}
    feeds_cond = {p: True, s: fa}
    feeds_both = {x: xv, p: True, s: fa}
    chain, cond = ops["chain"], ops["cond"]
    both = [chain, cond]
    with np.errstate(all="ignore"):  # the baselines run as quietly as estflow's kernels
        t = _report.interleaved({
            "const": lambda: sess.run(ops["const"]),
            "add": lambda: sess.run(ops["add"], feeds_ab),
            "np_add": lambda: np.add(fa, fb),
            "chain": lambda: sess.run(chain, feeds_x),
            "np_chain": numpy_chain,
            "mixed": lambda: sess.run(ops["mixed"], feeds_x),
            "np_mixed": numpy_mixed,
            "tanh": lambda: sess.run(ops["tanh"], feeds_x),
            "np_tanh": numpy_tanh,
            "assign_add": lambda: sess.run(ops["assign_add"]),
            "cond": lambda: sess.run(cond, feeds_cond),
            "chain_cond": lambda: sess.run(both, feeds_both),
        }, number=number)
    return t


def _cond_alone(run: dict) -> float:
    # (e)'s baseline: the chain alone plus the cond's own ops, i.e. the cond's run less the per-call
    # cost that fetching a constant measures (one Session.run is paid once, not twice).
    return run["chain"] + run["cond"] - run["const"]


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    rows = [
        ("(a) fetch a constant", f(runs, "const"), "-", "-", TF_ANCHORS["const"]),
        ("(b) `a + b`, two fed scalars", f(runs, "add"), f"{f(runs, 'np_add')} (`np.add`)",
         f"{r(runs, 'add', 'np_add', '{:.1f}')} (target <= 15x)", TF_ANCHORS["add"]),
        ("(c) 10 add/mul ops, fed `[128]`", f(runs, "chain"), f"{f(runs, 'np_chain')} (10 numpy calls)",
         f"{r(runs, 'chain', 'np_chain')} (target <= 2x)", TF_ANCHORS["chain"]),
        ("(c2) 10 ops mixing tanh, exp, sigmoid with add/mul, fed `[128]`", f(runs, "mixed"),
         f"{f(runs, 'np_mixed')} (the same numpy calls)", f"{r(runs, 'mixed', 'np_mixed')} (target <= 2x)", "-"),
        ("(c3) 10 chained `tanh`, fed `[128]`", f(runs, "tanh"), f"{f(runs, 'np_tanh')} (10 `np.tanh`)",
         f"{r(runs, 'tanh', 'np_tanh')} (-)", "-"),
        ("(d) `assign_add` on a variable", f(runs, "assign_add"), "-", "-", TF_ANCHORS["assign_add"]),
        ("(e) (c) fetched beside an unrelated `tf.cond`", f(runs, "chain_cond"),
         f"{f(runs, _cond_alone)} ((c) + the cond's own ops)",
         f"{f(runs, lambda run: run['chain_cond'] / _cond_alone(run), unit='x')} (target <= 1.3x)", "-"),
    ]
    lines = [
        f"Measured by `python bench/session_overhead.py` on {_report.machine()}: in each of {len(runs)} fresh",
        "processes, medians of 9 interleaved rounds of 5,000 calls; each cell is the median over the processes",
        "with their range (lowest-highest) in brackets, ratios taken within each process. TF 2.15 figures are",
        "from `../shared/ANCHORS.md` (same workload, same kind of machine, default threads), quoted for scale.",
        "In (e), the cond's own ops are the cond's run alone less the cost of fetching a constant (the per-call",
        "cost, paid once when both are fetched together).",
        "",
        "| Session.run per call | estflow (us) | numpy directly (us) | estflow / numpy | TF 2.15 (us) |",
        "|---|---|---|---|---|",
    ]
    for name, ours, base, ratio, tf_us in rows:
        lines.append(f"| {name} | {ours} | {base} | {ratio} | {tf_us} |")
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Session.run overhead", measure, report)
