"""What the monitored session and its default hooks cost per training step (issue 11 §2).

    python bench/hooks.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Model: train_step.py's MLP ([32, 100] -> 64 relu -> 64 relu -> 1, GradientDescent) with a
global step and a `loss` summary. Three loops over the same graph in the same process,
interleaved: `MonitoredTrainingSession(checkpoint_dir=tmp)` with TF1's default hooks
(StepCounterHook and SummarySaverHook every 100 steps, CheckpointSaverHook every 600 s),
the same session with no hooks, and a hand-written `Session.run` loop; numpy's own step is
the floor. Issue 11's target for the Estimator loop: within 1.25x of the hand-written one.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402
from train_step import NumpyMLP, mlp_loss  # noqa: E402

import estflow as tf  # noqa: E402

BATCH = 32


def _graph():
    g = tf.Graph()
    with g.as_default():
        x, y, loss = mlp_loss()  # the model of bench/train_step.py
        tf.summary.scalar("loss", loss)
        step = tf.train.get_or_create_global_step()
        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=step)
    return g, x, y, train_op


def measure(args) -> dict:
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((BATCH, 100)).astype(np.float32)
    yv = (rng.random((BATCH, 1)) > 0.5).astype(np.float32)
    g, x, y, train_op = _graph()
    feed = {x: xv, y: yv}
    with g.as_default():
        init = tf.global_variables_initializer()
        plain = tf.Session(graph=g)
        plain.run(init)
        with tempfile.TemporaryDirectory() as d:
            hooked = tf.train.MonitoredTrainingSession(checkpoint_dir=d)
            bare = tf.train.MonitoredSession(hooks=[])
            ref = NumpyMLP("sgd")
            t = _report.interleaved({"hooked": lambda: hooked.run(train_op, feed),
                                     "bare": lambda: bare.run(train_op, feed),
                                     "plain": lambda: plain.run(train_op, feed),
                                     "numpy": lambda: ref.step(xv, yv)}, number=2000, rounds=9)
            hooked.close()
            bare.close()
    return {k: 1e6 / v for k, v in t.items()}


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    lines = [
        f"Measured by `python bench/hooks.py` on {_report.machine()}: in each of {len(runs)} fresh processes,",
        "medians of 9 interleaved rounds of 2,000 steps of one MLP (batch 32, SGD) over one graph; each cell is",
        "the median over the processes with their range, ratios taken within each process.",
        "",
        "| Training loop | steps/s | hand-written loop / this |",
        "|---|---|---|",
        f"| `MonitoredTrainingSession`, TF1's default hooks | {f(runs, 'hooked', '{:,.0f}')} | "
        f"{r(runs, 'plain', 'hooked')} (target <= 1.25x) |",
        f"| `MonitoredSession`, no hooks | {f(runs, 'bare', '{:,.0f}')} | {r(runs, 'plain', 'bare')} |",
        f"| hand-written `Session.run` loop | {f(runs, 'plain', '{:,.0f}')} | 1.00x |",
        f"| numpy step by hand (the floor) | {f(runs, 'numpy', '{:,.0f}')} | {r(runs, 'plain', 'numpy')} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Monitored session and hooks", measure, report)
