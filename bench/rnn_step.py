"""An LSTM's training step through `tf.nn.dynamic_rnn`, beside a hand-written numpy LSTM doing the same.

    python bench/rnn_step.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

A BasicLSTMCell of 64 units over 20 steps of 32-wide inputs, batch 32; the loss is the mean
square of the outputs. Each estflow step is one `Session.run` of the forward pass (outputs
fetched) or of a gradient-descent step (forward, backpropagation through time, update). The
numpy baseline runs the same forward pass and the same backward pass by hand (gate order
i, j, f, o; forget bias 1) and updates the same two arrays; both start from the same weights,
and the script checks that one step of each leaves them equal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402

BATCH, STEPS, DEPTH, UNITS, LR = 32, 20, 32, 64, 0.1


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def numpy_forward(x, kernel, bias):
    """Outputs [B, T, H] and what the backward pass needs."""
    h = np.zeros((BATCH, UNITS), np.float32)
    c = np.zeros((BATCH, UNITS), np.float32)
    outputs, cache = np.empty((BATCH, STEPS, UNITS), np.float32), []
    for t in range(STEPS):
        xh = np.concatenate([x[:, t], h], 1)
        i, j, f, o = np.split(xh @ kernel + bias, 4, axis=1)
        si, tj, sf, so = _sigmoid(i), np.tanh(j), _sigmoid(f + 1.0), _sigmoid(o)
        c_prev, c = c, c * sf + si * tj
        tc = np.tanh(c)
        h = tc * so
        outputs[:, t] = h
        cache.append((xh, si, tj, sf, so, c_prev, tc))
    return outputs, cache


def numpy_train_step(x, kernel, bias):
    outputs, cache = numpy_forward(x, kernel, bias)
    d_out = 2 * outputs / outputs.size
    d_kernel, d_bias = np.zeros_like(kernel), np.zeros_like(bias)
    dh = np.zeros((BATCH, UNITS), np.float32)
    dc = np.zeros((BATCH, UNITS), np.float32)
    for t in reversed(range(STEPS)):
        xh, si, tj, sf, so, c_prev, tc = cache[t]
        dh = dh + d_out[:, t]
        do = dh * tc * so * (1 - so)
        dc = dc + dh * so * (1 - tc * tc)
        di, dj, df = dc * tj * si * (1 - si), dc * si * (1 - tj * tj), dc * c_prev * sf * (1 - sf)
        d_gates = np.concatenate([di, dj, df, do], 1)
        d_kernel += xh.T @ d_gates
        d_bias += d_gates.sum(0)
        dxh = d_gates @ kernel.T
        dh, dc = dxh[:, DEPTH:], dc * sf
    kernel -= LR * d_kernel
    bias -= LR * d_bias


def measure(args) -> dict:
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((BATCH, STEPS, DEPTH)).astype(np.float32)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [BATCH, STEPS, DEPTH])
        outputs, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(UNITS), x, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(outputs))
        train = tf.train.GradientDescentOptimizer(LR).minimize(loss)
        kernel_var, bias_var = tf.trainable_variables()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(bias_var.assign(rng.uniform(-0.1, 0.1, 4 * UNITS).astype(np.float32)))
            kernel, bias = sess.run([kernel_var, bias_var])
            np.testing.assert_allclose(sess.run(outputs, {x: xs}), numpy_forward(xs, kernel, bias)[0], atol=1e-5)
            sess.run(train, {x: xs})
            numpy_train_step(xs, kernel, bias)
            np.testing.assert_allclose(sess.run(kernel_var), kernel, atol=1e-5)
            times = _report.interleaved({
                "forward": lambda: sess.run(outputs, {x: xs}),
                "forward_np": lambda: numpy_forward(xs, kernel, bias),
                "train": lambda: sess.run(train, {x: xs}),
                "train_np": lambda: numpy_train_step(xs, kernel, bias),
            }, number=5)
    return {k: v / 1000 for k, v in times.items()}  # microseconds -> milliseconds


def report(runs: list[dict], args) -> str:
    f = _harness.figure
    lines = [f"Measured by `python bench/rnn_step.py` on {_report.machine()}: milliseconds per step of a",
             f"BasicLSTMCell({UNITS}) over {STEPS} steps (batch {BATCH}, depth {DEPTH}) through `tf.nn.dynamic_rnn`,",
             "beside hand-written numpy doing the same forward and backward passes in the same process;",
             f"median over {len(runs)} fresh processes with the range (lowest-highest) in brackets.",
             "",
             "| step | estflow (ms) | numpy (ms) | estflow / numpy |",
             "|---|---|---|---|"]
    for key, name in (("forward", "forward (outputs)"), ("train", "training step (BPTT + SGD)")):
        lines.append(f"| {name} | {f(runs, key, '{:,.2f}')} | {f(runs, key + '_np', '{:,.2f}')} "
                     f"| {_harness.ratio(runs, key, key + '_np')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Recurrent networks (dynamic_rnn)", measure, report)
