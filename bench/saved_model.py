"""SavedModel export, load, and one-example prediction through `tf.contrib.predictor` (issue 13).

    python bench/saved_model.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

Three models on the golden LinearClassifier's columns (numeric `x`, vocabulary list
`color`, 5 hash buckets of `city`) plus 8 numeric columns, each a custom Estimator trained
for 20 steps: linear (`linear_model`), DNN ([100, 75, 50, 25] on `input_layer` with an
indicator and an embedding column) and wide & deep (their sum). Each is exported with a
parsing serving receiver and loaded with `from_saved_model(path)` (its serving_default: a predict signature); one call
feeds one serialized tf.Example and fetches `probabilities` and `logits`. Beside it, the
plain baseline does by hand what the call must at least do: parse the Example with the
protobuf runtime and compute the same logits with numpy from the same weights (linear
only). Export and load are timed beside `np.savez` / `np.load` of the same variables. TF
2.15's figures (../shared/ANCHORS.md): 380 / 454 / 532 us p50 for a loaded SavedModel's
`Session.run`, export 0.35-1.2 s, load 0.16-0.22 s; the targets are a third and a half.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402
from estflow.core.protos import example_pb2  # noqa: E402

CALLS = 3000
NUMERIC = [f"n{i}" for i in range(8)]
_RNG = np.random.default_rng(3)


def _columns():
    x = tf.feature_column.numeric_column("x")
    numeric = [tf.feature_column.numeric_column(k) for k in NUMERIC]
    color = tf.feature_column.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    city = tf.feature_column.categorical_column_with_hash_bucket("city", 5)
    wide = [x, *numeric, color, city]
    deep = [x, *numeric, tf.feature_column.indicator_column(color), tf.feature_column.embedding_column(city, 4)]
    return wide, deep


def _model_fn(kind):
    def model_fn(features, labels, mode):
        wide, deep = _columns()
        logits = 0.0
        if kind in ("linear", "wide_deep"):
            logits = logits + tf.feature_column.linear_model(features, wide)
        if kind in ("dnn", "wide_deep"):
            h = tf.feature_column.input_layer(features, deep)
            for units in (100, 75, 50, 25):
                h = tf.layers.dense(h, units, activation=tf.nn.relu)
            logits = logits + tf.layers.dense(h, 1)
        logistic = tf.sigmoid(logits)
        probabilities = tf.concat([1.0 - logistic, logistic], axis=1, name="probabilities")
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={"probabilities": probabilities, "logits": logits})
        loss = tf.losses.sigmoid_cross_entropy(labels, logits)
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)
    return model_fn


def _data(n):
    features = {"x": _RNG.standard_normal((n, 1)).astype(np.float32),
                "color": _RNG.choice(np.array([b"red", b"green", b"blue", b"pink"], dtype=object), (n, 1)),
                "city": _RNG.choice(np.array([b"a", b"b", b"c", b"d", b"e", b"f"], dtype=object), (n, 1))}
    features.update({k: _RNG.standard_normal((n, 1)).astype(np.float32) for k in NUMERIC})
    labels = (features["x"] > 0).astype(np.float32)
    return features, labels


def _example(features, i) -> bytes:
    e = example_pb2.Example()
    for key, value in features.items():
        v = value[i].tolist()
        if isinstance(v[0], bytes):
            e.features.feature[key].bytes_list.value.extend(v)
        else:
            e.features.feature[key].float_list.value.extend(v)
    return e.SerializeToString()


def _percentiles(samples):
    return float(np.percentile(samples, 50)) * 1e6, float(np.percentile(samples, 99)) * 1e6


def _linear_baseline(serialized, weights):
    """Parse one Example and compute the linear model's logit with numpy (what a call must at least do)."""
    e = example_pb2.Example.FromString(serialized)
    f = e.features.feature
    logit = weights["bias"] + f["x"].float_list.value[0] * weights["x"]
    for k in NUMERIC:
        logit += f[k].float_list.value[0] * weights[k]
    color = f["color"].bytes_list.value[0]
    logit += weights["color"].get(color, 0.0)
    logit += weights["city"][hash(f["city"].bytes_list.value[0]) % 5]
    p = 1.0 / (1.0 + np.exp(-logit))
    return np.array([[1.0 - p, p]], np.float32)


def measure(args) -> dict:
    out = {}
    features, labels = _data(64)
    spec = tf.feature_column.make_parse_example_spec(_columns()[0] + _columns()[1])
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(spec)
    root = tempfile.mkdtemp(prefix="estflow-bench-sm-")
    examples = [_example(features, i) for i in range(64)]
    try:
        for kind in ("linear", "dnn", "wide_deep"):
            est = tf.estimator.Estimator(_model_fn(kind), model_dir=os.path.join(root, kind))
            est.train(tf.estimator.inputs.numpy_input_fn(features, labels, batch_size=16, num_epochs=None,
                                                         shuffle=False), steps=20)
            t0 = time.perf_counter()
            path = est.export_saved_model(os.path.join(root, kind + "_export"), receiver).decode()
            out[f"{kind}_export_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            with tf.Graph().as_default(), tf.Session() as sess:
                tf.saved_model.loader.load(sess, ["serve"], path)
            out[f"{kind}_load_s"] = time.perf_counter() - t0
            values = {n: est.get_variable_value(n) for n in est.get_variable_names()}
            npz = os.path.join(root, kind + ".npz")
            t0 = time.perf_counter()
            np.savez(npz, **{n.replace("/", "_"): v for n, v in values.items()})
            out[f"{kind}_np_save_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            dict(np.load(npz))
            out[f"{kind}_np_load_s"] = time.perf_counter() - t0
            predict = tf.contrib.predictor.from_saved_model(path)
            for i in range(200):  # warm up: plans compiled, caches filled
                predict({"examples": [examples[i % 64]]})
            samples = []
            for i in range(CALLS):
                request = {"examples": [examples[i % 64]]}
                t0 = time.perf_counter()
                predict(request)
                samples.append(time.perf_counter() - t0)
            out[f"{kind}_p50_us"], out[f"{kind}_p99_us"] = _percentiles(samples)
            if kind == "linear":
                weights = {"bias": 0.1, "x": 0.5, "color": {b"red": 0.1, b"green": -0.2, b"blue": 0.3},
                           "city": [0.1, 0.2, -0.1, 0.0, 0.3], **{k: 0.01 for k in NUMERIC}}
                samples = []
                for i in range(CALLS):
                    t0 = time.perf_counter()
                    _linear_baseline(examples[i % 64], weights)
                    samples.append(time.perf_counter() - t0)
                out["baseline_p50_us"], out["baseline_p99_us"] = _percentiles(samples)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return out


def report(runs: list[dict], args) -> str:
    f = _harness.figure
    lines = [
        f"Measured by `python bench/saved_model.py` on {_report.machine()}: in each of {len(runs)} fresh processes,",
        f"{CALLS:,} single-example calls of `tf.contrib.predictor.from_saved_model(path)` per model",
        "(one serialized tf.Example in; probabilities and logits out), after 200 warm-up calls; the plain",
        "baseline parses the Example with protobuf and computes the linear logit with numpy. Export and load",
        "of the same SavedModels beside `np.savez` / `np.load` of their variables. Medians over the processes",
        "with their range; TF 2.15's figures from ../shared/ANCHORS.md.",
        "",
        "| Model | predictor p50, us | p99, us | TF 2.15 p50 (target: a third) | export, s | load, s |",
        "|---|---|---|---|---|---|",
    ]
    for kind, tf_us in (("linear", 379), ("dnn", 454), ("wide_deep", 532)):
        lines.append(f"| {kind} | {f(runs, f'{kind}_p50_us', '{:.0f}')} | {f(runs, f'{kind}_p99_us', '{:.0f}')} | "
                     f"{tf_us} | {f(runs, f'{kind}_export_s', '{:.3f}')} | {f(runs, f'{kind}_load_s', '{:.3f}')} |")
    lines += [
        f"| plain baseline (protobuf parse + numpy, linear) | {f(runs, 'baseline_p50_us', '{:.0f}')} | "
        f"{f(runs, 'baseline_p99_us', '{:.0f}')} | | np.savez {f(runs, 'linear_np_save_s', '{:.4f}')} | "
        f"np.load {f(runs, 'linear_np_load_s', '{:.4f}')} |",
        "",
        "TF 2.15: export 0.35-1.2 s, load 0.16-0.22 s (target: at most half).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "SavedModel export, load and predictor", measure, report)
