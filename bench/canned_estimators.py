"""Canned estimators on Adult census (issue 12): training, evaluate and predict speed beside TF 2.15's.

    python bench/canned_estimators.py [--processes 3] [--quick] [--write]

Models: LinearClassifier (the tutorial's wide columns), DNNClassifier [100, 75, 50, 25] (deep
columns) and DNNLinearCombinedClassifier (both), built by examples/census_wide_deep.py. Inputs,
each as TF was measured with (../shared/ANCHORS.md): the tutorial's TextLineDataset -> map(decode_csv)
-> batch ("per line"), TextLineDataset -> batch -> map(decode_csv) ("batch first"), and
`tf.estimator.inputs.pandas_input_fn` over a DataFrame read with pandas. Training examples/s is
the steady state of one `train()` call: a hook notes when each step's run returns, and the
steps after a warm-up are timed (input, hooks and summaries included; graph building and session
start are not, as TF's steps/sec counters leave them out). Two `train()` calls' difference, used
before, was dominated at batch 256 by the calls' varying fixed costs. Beside it, in the same process, a
hand-written numpy training step of the DNN's math (dense [batch, 51] input, 4 relu layers,
sigmoid cross entropy, Adagrad) gives the numpy floor. `evaluate()` is timed on the whole of
adult.test (16,281 rows, batch 40); `predict()` examples/s over adult.test, first and second call.
Needs ../shared/data/adult/census_data.

TensorFlow on this machine, in the same run: where a TensorFlow environment is found (`--tf-python`,
else `$ESTFLOW_TF_PYTHON`, else the repository's `.venv-tf`, as the interop tests find one), each fresh
process also runs this measurement on TF 2.15 (bench/_tf_canned.py: the same census example and input
functions, with `estflow` standing for `tensorflow.compat.v1`), and the report sets estflow / TF
beside it, taken within each process. ANCHORS.md's TF figures come from another machine; these do not.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402

import estflow as tf  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "adult" / "census_data"
MODELS = ["wide", "deep", "wide_deep"]
NAMES = {"wide": "LinearClassifier", "deep": "DNNClassifier", "wide_deep": "wide & deep"}
INPUTS = ["per_line", "batch_first", "pandas"]
INPUT_NAMES = {"per_line": "TextLineDataset, decode per line", "batch_first": "TextLineDataset, batch then decode",
               "pandas": "pandas_input_fn"}
# TensorFlow 2.15 on the anchor machine (../shared/ANCHORS.md), examples/s
TF = {("per_line", 40): "11-17k", ("per_line", 256): "11-17k", ("pandas", 40): "7.6-16.8k",
      ("batch_first", 40, "wide"): "33k", ("batch_first", 40, "deep"): "26k", ("batch_first", 40, "wide_deep"): "27k",
      ("batch_first", 256, "wide"): "~98k", ("batch_first", 256, "deep"): "~99k",
      ("batch_first", 256, "wide_deep"): "~63k"}


def _census():
    return runpy.run_path(str(REPO / "examples" / "census_wide_deep.py"), run_name="census")


def _input_fns(census, batch):
    columns, defaults = census["CSV_COLUMNS"], census["CSV_COLUMN_DEFAULTS"]
    train_file = str(DATA / "adult.data")

    def batch_first():
        def parse(lines):
            fields = tf.decode_csv(lines, record_defaults=defaults)
            features = dict(zip(columns, fields))
            labels = features.pop("income_bracket")
            return features, tf.reshape(tf.equal(labels, ">50K"), [-1, 1])
        dataset = tf.data.TextLineDataset(train_file).shuffle(32561, seed=1).repeat()
        return dataset.batch(batch).map(parse)

    fns = {"per_line": lambda: census["input_fn"](train_file, None, True, batch, None, 1), "batch_first": batch_first}
    try:
        frame = _frame(census, train_file)
    except ImportError:  # (a TensorFlow environment without pandas: that input is not measured there)
        return fns
    labels = frame.pop("income_bracket") == ">50K"
    fns["pandas"] = tf.estimator.inputs.pandas_input_fn(x=frame, y=labels, batch_size=batch, num_epochs=None,
                                                        shuffle=True)
    return fns


def _frame(census, path):
    import pandas as pd  # only the pandas input needs it; estflow's own import stays pandas-free

    frame = pd.read_csv(path, names=census["CSV_COLUMNS"], header=None)
    for name, default in zip(census["CSV_COLUMNS"], census["CSV_COLUMN_DEFAULTS"]):
        if isinstance(default[0], int):
            frame[name] = frame[name].astype(np.int32)
    return frame


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class _StepTimes(tf.train.SessionRunHook):
    """Notes when each training step's run returns."""

    def __init__(self):
        self.times: list[float] = []

    def after_run(self, run_context, run_values):
        self.times.append(time.perf_counter())


def _train_rate(census, root, model_type, input_fn, batch, warm, steps) -> float:
    """Steady-state examples/s of one `train()` call: the `steps` after the first `warm`, timed by a hook
    (the input pipeline, hooks and summaries included; graph building and session start are not)."""
    est = census["build_estimator"](f"{root}/{model_type}", model_type, 1)
    hook = _StepTimes()
    est.train(input_fn, steps=warm + steps, hooks=[hook])
    times = hook.times
    return steps * batch / (times[warm + steps - 1] - times[warm - 1])


def _numpy_dnn_rate(batch, steps) -> float:
    """Examples/s of a hand-written numpy train step of the DNN's math (Adagrad, SUM sigmoid CE)."""
    rng = np.random.default_rng(0)
    sizes = [51, 100, 75, 50, 25, 1]
    weights = [rng.uniform(-0.1, 0.1, (a, b)).astype(np.float32) for a, b in zip(sizes, sizes[1:])]
    biases = [np.zeros(b, np.float32) for b in sizes[1:]]
    accums = [np.full_like(w, 0.1) for w in weights] + [np.full_like(b, 0.1) for b in biases]
    x = rng.random((batch, 51), dtype=np.float32)
    y = (rng.random((batch, 1)) > 0.7).astype(np.float32)

    def step():
        acts = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = acts[-1] @ w + b
            acts.append(np.maximum(z, 0) if i < len(weights) - 1 else z)
        grad = 1 / (1 + np.exp(-acts[-1])) - y
        for i in reversed(range(len(weights))):
            gw, gb = acts[i].T @ grad, grad.sum(axis=0)
            if i:
                grad = (grad @ weights[i].T) * (acts[i] > 0)
            for param, g, acc in ((weights[i], gw, accums[i]), (biases[i], gb, accums[len(weights) + i])):
                acc += g * g
                param -= 0.05 * g / np.sqrt(acc)

    for _ in range(20):
        step()
    return steps * batch / _timed(lambda: [step() for _ in range(steps)])


def measure(args) -> dict:
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("estflow").setLevel(logging.ERROR)
    census = _census()
    out: dict = {}
    batches = (40,) if args.quick else (40, 256)
    with tempfile.TemporaryDirectory() as root:
        for batch in batches:
            # the warm-up passes the input worker's decision (after 64 elements, estflow/data/worker.py)
            warm, steps = (20, 100) if args.quick else (100, 800 if batch == 40 else 300)
            fns = _input_fns(census, batch)
            for model_type in MODELS:
                for name in fns:
                    out[f"{model_type}/{name}/{batch}"] = _train_rate(census, f"{root}/{batch}-{name}", model_type,
                                                                      fns[name], batch, warm, steps)
            out[f"numpy_dnn/{batch}"] = _numpy_dnn_rate(batch, 200)
        test_file = str(DATA / "adult.test")
        for model_type in MODELS:
            est = census["build_estimator"](f"{root}/40-per_line/{model_type}", model_type, 1)
            out[f"{model_type}/evaluate_s"] = _timed(
                lambda est=est: est.evaluate(lambda: census["input_fn"](test_file, 1, False, 40)))
            rows = 16281

            def predict(est=est):
                return sum(1 for _ in est.predict(lambda: census["input_fn"](test_file, 1, False, 256)))
            out[f"{model_type}/predict_first"] = rows / _timed(predict)
            out[f"{model_type}/predict_second"] = rows / _timed(predict)
    tf_python = _tf_python(args)
    if tf_python is not None:
        out.update(_tf_figures(tf_python, args))
    return out


def _tf_python(args):
    """The interpreter of a TensorFlow environment to measure TF beside estflow with, or None."""
    if "tensorflow" in tf.__name__:
        return None  # (this is the TF measurement itself)
    for candidate in (getattr(args, "tf_python", None), os.environ.get("ESTFLOW_TF_PYTHON"),
                      REPO / ".venv-tf" / "bin" / "python"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


def _tf_figures(tf_python: str, args) -> dict:
    """measure()'s figures on TensorFlow (bench/_tf_canned.py run by `tf_python`), keyed `tf/...`."""
    command = [tf_python, str(REPO / "bench" / "_tf_canned.py"), *(["--quick"] if args.quick else [])]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the TensorFlow measurement failed ({' '.join(command)}, exit {proc.returncode}):\n"
                           f"{proc.stderr[-4000:]}")
    return {f"tf/{k}": v for k, v in json.loads(lines[-1]).items()}


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    batches = (40,) if args.quick else (40, 256)
    here = all("tf/tf_version" in run for run in runs)

    def maybe(key, fmt):  # a figure every process has, else "-"
        return f(runs, key, fmt) if all(key in run for run in runs) else "-"

    def versus(num, den):  # a ratio taken within each process, where every process has both
        return r(runs, num, den) if all(num in run and den in run for run in runs) else "-"

    lines = [
        f"Measured by `python bench/canned_estimators.py` on {_harness.machine()}, {len(runs)} fresh processes;",
        "steady-state training examples/s: the steps after the first 100 (800 steps at batch 40, 300 at 256) of",
        "one `train()` call, timed by a hook (input, hooks and summaries included; graph building, session start",
        "and the input worker's start not), median (range).",
        (f"TF {runs[0]['tf/tf_version']} here: the same measurement on TensorFlow in each of those processes "
         "(bench/_tf_canned.py; the same census example and input functions), one after the other; estflow / TF "
         "is taken within each process." if here else
         "TF here: not measured (no TensorFlow environment: `--tf-python`, ESTFLOW_TF_PYTHON or .venv-tf)."),
        "TF anchor: ../shared/ANCHORS.md's figure, from another machine (compare ratios, not these).",
        "",
        "| model | input | batch | estflow examples/s | TF here | estflow / TF here | TF anchor "
        "| numpy DNN step / this |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for batch in batches:
        for model_type in MODELS:
            for name in INPUTS:
                key = f"{model_type}/{name}/{batch}"
                if not all(key in run for run in runs):
                    continue
                anchor = TF.get((name, batch, model_type)) or TF.get((name, batch), "-")
                floor = r(runs, f"numpy_dnn/{batch}", key) if model_type == "deep" else ""
                lines.append(f"| {NAMES[model_type]} | {INPUT_NAMES[name]} | {batch} | {f(runs, key, '{:,.0f}')} | "
                             f"{maybe('tf/' + key, '{:,.0f}')} | {versus(key, 'tf/' + key)} | {anchor} | {floor} |")
    lines += ["", "| model | `evaluate()` on adult.test, s | TF here, s | `predict()` examples/s, first call | TF here "
              "| second call | TF here |", "|---|---|---|---|---|---|---|"]
    for model_type in MODELS:
        cells = [f(runs, f"{model_type}/evaluate_s", "{:.2f}"), maybe(f"tf/{model_type}/evaluate_s", "{:.2f}")]
        for call in ("predict_first", "predict_second"):
            cells += [f(runs, f"{model_type}/{call}", "{:,.0f}"), maybe(f"tf/{model_type}/{call}", "{:,.0f}")]
        lines.append(f"| {NAMES[model_type]} | {' | '.join(cells)} |")
    lines += ["", "TF anchors (ANCHORS.md): `evaluate()` 2-3 s; `predict()` 6-10k examples/s first call, 13-26k after."]
    return "\n".join(lines)


def _extra(parser) -> None:
    parser.add_argument("--quick", action="store_true", help="batch 40 only, fewer steps (a check that it runs)")
    parser.add_argument("--tf-python", default=None,
                        help="a TensorFlow environment's python, to measure TF beside estflow (default: "
                             "$ESTFLOW_TF_PYTHON, else .venv-tf/bin/python where it exists)")


if __name__ == "__main__":
    if not DATA.exists():
        raise SystemExit(f"census data absent: {DATA}")
    _harness.main(__file__, "Canned estimators (Adult census)", measure, report, _extra)
