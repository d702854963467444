"""One MLP training step vs a hand-written numpy step (issue: autodiff and optimizers).

    python bench/train_step.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Model: [batch, 100] -> 64 relu -> 64 relu -> 1, sigmoid cross-entropy, mean over the
batch; GradientDescent (lr 0.01) and Adam (TF defaults). The numpy baseline does the
same forward, backward and in-place update with the fewest calls we could write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402

TF_GRAPH = {("sgd", 32): 2112, ("sgd", 128): 2006, ("sgd", 1024): 950,
            ("adam", 32): 1884, ("adam", 128): 1763, ("adam", 1024): 832}  # steps/s, ../shared/ANCHORS.md
# numpy / TF graph within one round of ANCHORS.md's measurement: how much slower TF is than numpy.
TF_RATIO = {("sgd", 32): 4.9, ("sgd", 128): 2.7, ("sgd", 1024): 1.2,
            ("adam", 32): 3.8, ("adam", 128): 2.5, ("adam", 1024): 1.3}
SIZES = [(100, 64), (64, 64), (64, 1)]


def init_params(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in SIZES:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def mlp_loss():
    """Placeholders x [batch, 100], y [batch, 1] and the MLP's sigmoid cross-entropy, in the default graph."""
    x = tf.placeholder(tf.float32, shape=[None, 100], name="x")
    y = tf.placeholder(tf.float32, shape=[None, 1], name="y")
    variables = [tf.Variable(p) for p in init_params()]
    h = x
    for i in range(3):
        h = tf.matmul(h, variables[2 * i]) + variables[2 * i + 1]
        if i < 2:
            h = tf.nn.relu(h)
    return x, y, tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=h))


def build_estflow(optimizer: str):
    g = tf.Graph()
    with g.as_default():
        x, y, loss = mlp_loss()
        opt = tf.train.GradientDescentOptimizer(0.01) if optimizer == "sgd" else tf.train.AdamOptimizer()
        train_op = opt.minimize(loss)
        init = tf.global_variables_initializer()
    sess = tf.Session(graph=g)
    sess.run(init)
    return sess, train_op, x, y


class NumpyMLP:
    """Forward, backward and update by hand, in float32."""

    def __init__(self, optimizer: str):
        self.params = init_params()
        self.optimizer = optimizer
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def step(self, x, y):
        W1, b1, W2, b2, W3, b3 = self.params
        a1 = x @ W1 + b1
        h1 = np.maximum(a1, 0)
        a2 = h1 @ W2 + b2
        h2 = np.maximum(a2, 0)
        z = h2 @ W3 + b3
        n = np.float32(len(x))
        # d/dz mean(max(z,0) - z*y + log1p(exp(-|z|))) = (sigmoid(z) - y) / n
        dz = (1 / (1 + np.exp(-z)) - y) / n
        gW3 = h2.T @ dz
        gb3 = dz.sum(0)
        d2 = (dz @ W3.T) * (a2 > 0)
        gW2 = h1.T @ d2
        gb2 = d2.sum(0)
        d1 = (d2 @ W2.T) * (a1 > 0)
        gW1 = x.T @ d1
        gb1 = d1.sum(0)
        grads = [gW1, gb1, gW2, gb2, gW3, gb3]
        if self.optimizer == "sgd":
            for p, g in zip(self.params, grads):
                p -= np.float32(0.01) * g
        else:
            self.t += 1
            lr = 0.001 * np.sqrt(1 - 0.999**self.t) / (1 - 0.9**self.t)
            for p, g, m, v in zip(self.params, grads, self.m, self.v):
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                p -= np.float32(lr) * m / (np.sqrt(v) + np.float32(1e-8))


def measure(optimizer: str, batch: int) -> tuple[float, float]:
    """Steps/s of estflow and of the numpy step for one configuration, interleaved."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, 100)).astype(np.float32)
    y = (rng.random((batch, 1)) > 0.5).astype(np.float32)
    sess, train_op, xp, yp = build_estflow(optimizer)
    feed = {xp: x, yp: y}
    ref = NumpyMLP(optimizer)
    number = max(100, 60000 // batch)
    t = _report.interleaved({"estflow": lambda: sess.run(train_op, feed), "numpy": lambda: ref.step(x, y)},
                            number=number, rounds=9)
    return 1e6 / t["estflow"], 1e6 / t["numpy"]


CONFIGS = [(optimizer, batch) for optimizer in ("sgd", "adam") for batch in (32, 128, 1024)]


def main():
    # Each configuration runs in its own fresh processes: at batch 1024 the allocator's state (whether
    # freed 256 KB blocks stay mapped) moves the ratio by up to 0.4x between processes.
    def extra(parser):
        parser.add_argument("--config", nargs=2, metavar=("OPTIMIZER", "BATCH"))

    args = _harness.parse_args(extra=extra)
    if args.worker:
        ours, base = measure(args.config[0], int(args.config[1]))
        print(json.dumps({"estflow": ours, "numpy": base}))
        return
    results = {}
    for optimizer, batch in CONFIGS:
        print(f"train_step.py {optimizer} batch {batch}: {args.processes} fresh processes", file=sys.stderr)
        results[optimizer, batch] = _harness.fresh_runs(__file__, args.processes, ["--config", optimizer, str(batch)])
    body = report(results, args.processes)
    print(f"## Training step (MLP)\n\n{body}\n")
    if args.write:
        _report.write_section("Training step (MLP)", body)


def report(results: dict, processes: int) -> str:
    f = _harness.figure
    lines = [
        f"Measured by `python bench/train_step.py` on {_report.machine()}: steps per second; each configuration",
        f"runs in {processes} fresh processes, each timing estflow and numpy in 9 interleaved rounds; each cell is",
        "the median over the processes with their range (lowest-highest) in brackets, ratios taken within each",
        "process. The model is `[batch,100] -> 64 relu -> 64 relu -> 1` with sigmoid cross-entropy;",
        "numpy is a hand-written forward + backward + in-place update of the same model in the same process;",
        "TF 2.15 graph mode is from `../shared/ANCHORS.md` (the same model and step, same kind of machine).",
        "Absolute speeds on this shared machine move by 1.5x between runs, so compare ratios: estflow beats TF's",
        "graph mode when its ratio to numpy is below TF's (last column).",
        "",
        "| optimizer | batch | estflow steps/s | numpy steps/s | numpy / estflow (target) "
        "| TF 2.15 graph steps/s "
        "| TF 2.15: numpy / TF |",
        "|---|---|---|---|---|---|---|",
    ]
    for (optimizer, batch), runs in results.items():
        target = {32: "<= 3", 128: "-", 1024: "<= 1.2"}[batch]
        name = "GradientDescent" if optimizer == "sgd" else "Adam"
        lines.append(f"| {name} | {batch} | {f(runs, 'estflow', '{:,.0f}')} | {f(runs, 'numpy', '{:,.0f}')} "
                     f"| {_harness.ratio(runs, 'numpy', 'estflow')} ({target}) | {TF_GRAPH[(optimizer, batch)]:,} "
                     f"| {TF_RATIO[(optimizer, batch)]}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
