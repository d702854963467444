"""One small-CNN training step vs a hand-written numpy step (issue 16: convolutions and pooling).

    python bench/cnn_train_step.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Model (MNIST-sized): x [batch, 28, 28, 1] -> conv 5x5x16 SAME + bias + relu -> max_pool 2x2
-> conv 5x5x32 SAME + bias + relu -> max_pool 2x2 -> dense 1568 -> 10, softmax cross-entropy,
mean over the batch; GradientDescent (lr 0.01). The numpy baseline does the same forward,
backward and in-place update with `sliding_window_view` windows and `tensordot` (BLAS), the
way one writes a convolution in numpy by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402

SHAPES = [(5, 5, 1, 16), (16,), (5, 5, 16, 32), (32,), (7 * 7 * 32, 10), (10,)]


def init_params(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in SHAPES:
        if len(shape) == 1:
            params.append(np.zeros(shape, np.float32))
        else:
            fan_in = int(np.prod(shape[:-1]))
            params.append((rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32))
    return params


def build_estflow():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 28, 28, 1], name="x")
        labels = tf.placeholder(tf.int32, [None], name="labels")
        w1, b1, w2, b2, w3, b3 = [tf.Variable(p) for p in init_params()]
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w1, [1, 1, 1, 1], "SAME"), b1))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(h, w2, [1, 1, 1, 1], "SAME"), b2))
        h = tf.nn.max_pool(h, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
        logits = tf.matmul(tf.reshape(h, [-1, 7 * 7 * 32]), w3) + b3
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    return sess, train_op, x, labels


def _conv(x, w):
    """SAME 5x5 convolution, stride 1: windows (N, H, W, C, 5, 5) . w (5, 5, C, F)."""
    cols = sliding_window_view(np.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0))), (5, 5), axis=(1, 2))
    return cols, np.tensordot(cols, w, axes=([3, 4, 5], [2, 0, 1]))


def _conv_input_grad(dy, w):
    cols = sliding_window_view(np.pad(dy, ((0, 0), (2, 2), (2, 2), (0, 0))), (5, 5), axis=(1, 2))
    return np.tensordot(cols, w[::-1, ::-1], axes=([3, 4, 5], [3, 0, 1]))


def _pool(h):
    n, height, width, c = h.shape
    blocks = h.reshape(n, height // 2, 2, width // 2, 2, c)
    out = blocks.max(axis=(2, 4))
    return blocks, out


def _pool_grad(blocks, out, dy):
    mask = blocks == out[:, :, None, :, None, :]
    return (mask * dy[:, :, None, :, None, :]).reshape(blocks.shape[0], blocks.shape[1] * 2, blocks.shape[3] * 2, -1)


class NumpyCNN:
    """Forward, backward and SGD update by hand, in float32."""

    def __init__(self):
        self.params = init_params()

    def step(self, x, labels):
        w1, b1, w2, b2, w3, b3 = self.params
        cols1, a1 = _conv(x, w1)
        a1 += b1
        r1 = np.maximum(a1, 0)
        blocks1, p1 = _pool(r1)
        cols2, a2 = _conv(p1, w2)
        a2 += b2
        r2 = np.maximum(a2, 0)
        blocks2, p2 = _pool(r2)
        flat = p2.reshape(len(x), -1)
        z = flat @ w3 + b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        probs = e / e.sum(axis=1, keepdims=True)
        probs[np.arange(len(x)), labels] -= 1
        dz = probs / np.float32(len(x))
        gw3, gb3 = flat.T @ dz, dz.sum(0)
        dp2 = (dz @ w3.T).reshape(p2.shape)
        da2 = _pool_grad(blocks2, p2, dp2) * (a2 > 0)
        gw2 = np.tensordot(cols2, da2, axes=([0, 1, 2], [0, 1, 2])).transpose(1, 2, 0, 3)
        gb2 = da2.sum((0, 1, 2))
        dp1 = _conv_input_grad(da2, w2)
        da1 = _pool_grad(blocks1, p1, dp1) * (a1 > 0)
        gw1 = np.tensordot(cols1, da1, axes=([0, 1, 2], [0, 1, 2])).transpose(1, 2, 0, 3)
        gb1 = da1.sum((0, 1, 2))
        for p, g in zip(self.params, (gw1, gb1, gw2, gb2, gw3, gb3)):
            p -= np.float32(0.01) * g


def measure(batch: int) -> tuple[float, float]:
    """Steps/s of estflow and of the numpy step, interleaved in this process."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, 28, 28, 1)).astype(np.float32)
    labels = rng.integers(0, 10, batch).astype(np.int32)
    sess, train_op, xp, lp = build_estflow()
    feed = {xp: x, lp: labels}
    ref = NumpyCNN()
    number = max(3, 600 // batch)
    t = _report.interleaved({"estflow": lambda: sess.run(train_op, feed), "numpy": lambda: ref.step(x, labels)},
                            number=number, rounds=5)
    return 1e6 / t["estflow"], 1e6 / t["numpy"]


BATCHES = (32, 128)


def main():
    def extra(parser):
        parser.add_argument("--batch", type=int)

    args = _harness.parse_args(extra=extra)
    if args.worker:
        ours, base = measure(args.batch)
        print(json.dumps({"estflow": ours, "numpy": base}))
        return
    results = {}
    for batch in BATCHES:
        print(f"cnn_train_step.py batch {batch}: {args.processes} fresh processes", file=sys.stderr)
        results[batch] = _harness.fresh_runs(__file__, args.processes, ["--batch", str(batch)])
    body = report(results, args.processes)
    print(f"## Training step (small CNN)\n\n{body}\n")
    if args.write:
        _report.write_section("Training step (small CNN)", body)


def report(results: dict, processes: int) -> str:
    f = _harness.figure
    lines = [
        "Two 5x5 conv layers (16 and 32 filters, SAME, relu), two 2x2 max pools and a dense layer on",
        "28x28x1 inputs; SGD. estflow's conv kernels are im2col (one strided slice per tap) plus one",
        "BLAS matmul; the numpy baseline is hand-written with sliding_window_view and tensordot.",
        f"Steps per second, median (range) over {processes} fresh processes; {_harness.machine()}.",
        "",
        "| batch | estflow steps/s | numpy steps/s | numpy / estflow |",
        "|---|---|---|---|",
    ]
    for batch, runs in results.items():
        lines.append(f"| {batch} | {f(runs, 'estflow', '{:.1f}')} | {f(runs, 'numpy', '{:.1f}')} | "
                     f"{_harness.ratio(runs, 'numpy', 'estflow')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
