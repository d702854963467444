"""What `Estimator.train` costs per step beside a hand-written loop, and its fixed costs (issue 11 §1).

    python bench/estimator.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Model: train_step.py's MLP ([32, 100] -> 64 relu -> 64 relu -> 1, GradientDescent) in a
model_fn, fed by an input_fn of constant tensors. The loop's own cost is taken by difference:
two `train()` calls on fresh model_dirs (default RunConfig) of 50 and 2,050 steps, so graph
building, session creation and the checkpoints at start and end cancel out; beside it, a
hand-written `Session.run` loop over the graph the same model_fn builds. Fixed costs: `train()`
of one step on a fresh model_dir, `evaluate()` of one batch (first and second call: the second reuses
the graph and checkpoint values), and a second `predict()` of one batch on the same checkpoint
(TF 2.15's figures are in ../shared/ANCHORS.md).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402
from train_step import init_params  # noqa: E402

import estflow as tf  # noqa: E402

BATCH = 32
STEPS = 2000
_RNG = np.random.default_rng(1)
XV = _RNG.standard_normal((BATCH, 100)).astype(np.float32)
YV = (_RNG.random((BATCH, 1)) > 0.5).astype(np.float32)


def model_fn(features, labels, mode):
    params = init_params()
    h = features
    for i in range(3):
        h = tf.matmul(h, tf.Variable(params[2 * i])) + tf.Variable(params[2 * i + 1])
        if i < 2:
            h = tf.nn.relu(h)
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions=h)
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=h))
    train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def input_fn():
    return tf.constant(XV), tf.constant(YV)


def one_batch_input_fn():
    return tf.data.Dataset.from_tensors((XV, YV))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(args) -> dict:
    with tempfile.TemporaryDirectory() as root:
        def train(steps, sub):
            est = tf.estimator.Estimator(model_fn, model_dir=f"{root}/{sub}")
            return _timed(lambda: est.train(input_fn, steps=steps)), est

        train(10, "warmup")
        short, _ = train(50, "short")
        long, est = train(50 + STEPS, "long")
        estimator_sps = STEPS / (long - short)
        g = tf.Graph()
        with g.as_default():
            tf.train.get_or_create_global_step()
            features, labels = input_fn()
            train_op = model_fn(features, labels, "train").train_op
            sess = tf.Session(graph=g)
            sess.run(tf.global_variables_initializer())
            for _ in range(50):
                sess.run(train_op)
            plain_sps = STEPS / _timed(lambda: [sess.run(train_op) for _ in range(STEPS)])
            sess.close()
        first_train, _ = train(1, "first")
        evaluate = _timed(lambda: est.evaluate(one_batch_input_fn))
        evaluate_again = _timed(lambda: est.evaluate(one_batch_input_fn))  # the cached graph and values
        list(est.predict(one_batch_input_fn))
        predict = _timed(lambda: list(est.predict(one_batch_input_fn)))
    return {"estimator": estimator_sps, "plain": plain_sps, "train_start": first_train, "evaluate": evaluate,
            "evaluate_again": evaluate_again, "predict": predict}


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    lines = [
        f"Measured by `python bench/estimator.py` on {_report.machine()}: in each of {len(runs)} fresh processes,",
        f"the Estimator loop's steps/s from two `train()` calls (50 and {50 + STEPS:,} steps, default RunConfig)",
        "of one MLP (batch 32, SGD), beside a hand-written `Session.run` loop over the same graph; each cell is",
        "the median over the processes with their range.",
        "",
        "| Measure | value | hand-written loop / this |",
        "|---|---|---|",
        f"| `Estimator.train` loop, steps/s | {f(runs, 'estimator', '{:,.0f}')} | "
        f"{r(runs, 'plain', 'estimator')} (target <= 1.25x) |",
        f"| hand-written `Session.run` loop, steps/s | {f(runs, 'plain', '{:,.0f}')} | 1.00x |",
        f"| `train(steps=1)` on a fresh model_dir, s (TF 1.5-3.4 s) | {f(runs, 'train_start', '{:.3f}')} | |",
        f"| `evaluate()` of one batch, s (TF 2-3 s) | {f(runs, 'evaluate', '{:.3f}')} | |",
        f"| a second `evaluate()` on the same checkpoint, s | {f(runs, 'evaluate_again', '{:.3f}')} | |",
        f"| a second `predict()` of one batch, s | {f(runs, 'predict', '{:.3f}')} | |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Estimator", measure, report)
