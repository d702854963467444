"""Where a canned estimator's training step goes, by op type, from `tf.train.ProfilerHook`'s timelines.

    python bench/canned_profile.py [--processes 3] [--write]

The census models of bench/canned_estimators.py (LinearClassifier, DNNClassifier [100, 75, 50, 25],
wide & deep; batch-then-decode input) train 40 steps, then 200 more with a ProfilerHook tracing
every 10th, of which those after the call's 90th step count (the input worker has decided by then,
estflow/data/worker.py): each trace (a Chrome trace, as TF's timeline) lists every step the plan ran, with
its op type and duration. The table gives each op type's share of the op time (its mean over a
process's traces; the median over fresh processes), grouped as a reader of the step would group
them, and the op time per step. The time outside the ops (the plan's loop, the session, the hooks) is not in a trace;
`canned_estimators.py` times whole steps. Needs ../shared/data/adult/census_data.
"""

from __future__ import annotations

import collections
import glob
import json
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import canned_estimators  # noqa: E402

import estflow as tf  # noqa: E402

MODELS = canned_estimators.MODELS
FIRST = 90  # the first step of a train() call a trace is kept from: after the 64 an iterator produces itself
BATCHES = (40, 256)
GROUPS = {  # op type -> what a reader of the step calls it
    "IteratorGetNext": "input: read, shuffle, batch, DecodeCSV",
    "MatMul": "matmuls",
    "LookupTableFindV2": "categorical columns", "StringToHashBucketFast": "categorical columns",
    "SparseCross": "categorical columns", "Bucketize": "categorical columns", "GatherV2": "categorical columns",
    "OneHot": "categorical columns",
    "BiasAdd": "dense layers' other ops", "BiasAddGrad": "dense layers' other ops", "Relu": "dense layers' other ops",
    "ReluGrad": "dense layers' other ops", "ConcatV2": "dense layers' other ops", "SplitV": "dense layers' other ops",
    "HistogramSummary": "summaries", "ScalarSummary": "summaries", "MergeSummary": "summaries",
}


def _group(op_type: str) -> str:
    if op_type.startswith(("Apply", "SparseApply")):
        return "optimizer updates"
    return GROUPS.get(op_type, "the rest (loss, head, small ops)")


def measure(args) -> dict:
    logging.disable(logging.WARNING)
    census = canned_estimators._census()
    out: dict = {}
    with tempfile.TemporaryDirectory() as root:
        for batch in BATCHES:
            fn = canned_estimators._input_fns(census, batch)["batch_first"]
            for model in MODELS:
                where = f"{root}/{model}-{batch}"
                est = census["build_estimator"](f"{where}/model", model, 1)
                est.train(fn, steps=40)
                est.train(fn, steps=200, hooks=[tf.train.ProfilerHook(save_steps=10, output_dir=f"{where}/trace")])
                durations = collections.defaultdict(list)  # op type -> its time in each trace
                traces = [p for p in glob.glob(f"{where}/trace/timeline-*.json")  # past the input worker's decision
                          if int(p.rsplit("-", 1)[1].split(".")[0]) >= 40 + FIRST]
                steps = 0
                for i, path in enumerate(traces):
                    with open(path) as f:
                        events = [e for e in json.load(f)["traceEvents"] if e.get("ph") == "X"]
                    for e in events:
                        times = durations[e["name"]]
                        times.extend([0] * (i + 1 - len(times)))
                        times[i] += e["dur"]
                    steps = len(events)
                # each op type's mean over the traces: what a step costs on average, bursts included (a batched
                # map decodes ~1,024 rows at once, summaries every 100 steps)
                per_type = {t: sum(v) / len(traces) for t, v in durations.items()}
                total = sum(per_type.values())
                out[f"{model}/{batch}/us_per_step"] = total
                out[f"{model}/{batch}/steps"] = steps
                for op_type, us in per_type.items():
                    out[f"{model}/{batch}/type/{op_type}"] = us / total
    return out


def report(runs: list[dict], args) -> str:
    f = _harness.figure
    lines = [
        f"Measured by `python bench/canned_profile.py` on {_harness.machine()}, {len(runs)} fresh processes, 12",
        "ProfilerHook traces each (steps 130-240 of training, batch-then-decode input): each op type's share of",
        "the traced op time (its mean over the traces), median (range) over the processes; the op time per step",
        "and the plan's steps per training step. A trace times the ops only: the plan's loop, the session and",
        "the hooks are outside it, and so is the input worker's own work where one runs (then IteratorGetNext",
        "is the receiving of a batch).",
        "",
    ]
    for model in MODELS:
        for batch in BATCHES:
            key = f"{model}/{batch}"
            shares = collections.defaultdict(list)
            groups = collections.defaultdict(list)
            for run in runs:
                by_group: collections.Counter = collections.Counter()
                for k, v in run.items():
                    if k.startswith(f"{key}/type/"):
                        op_type = k.rsplit("/", 1)[1]
                        shares[op_type].append(v)
                        by_group[_group(op_type)] += v
                for g, v in by_group.items():
                    groups[g].append(v)
            lines.append(f"**{canned_estimators.NAMES[model]}, batch {batch}**: "
                         f"{f(runs, f'{key}/us_per_step', '{:,.0f}')} us of ops per step, "
                         f"{f(runs, f'{key}/steps', '{:.0f}')} plan steps.")
            lines.append("")
            lines.append("| group | share | its largest op types (share) |")
            lines.append("|---|---|---|")
            for g in sorted(groups, key=lambda g: -_median(groups[g])):
                members = sorted((t for t in shares if _group(t) == g), key=lambda t: -_median(shares[t]))[:4]
                detail = ", ".join(f"{t} {_pct(shares[t])}" for t in members)
                lines.append(f"| {g} | {_pct(groups[g])} | {detail} |")
            lines.append("")
    return "\n".join(lines)


def _median(values: list) -> float:
    return sorted(values)[len(values) // 2]


def _pct(values: list) -> str:
    values = sorted(values)
    mid = values[len(values) // 2]
    if len(values) == 1 or round(values[0] * 100) == round(values[-1] * 100):
        return f"{mid * 100:.0f}%"
    return f"{mid * 100:.0f}% ({values[0] * 100:.0f}-{values[-1] * 100:.0f}%)"


if __name__ == "__main__":
    if not canned_estimators.DATA.exists():
        raise SystemExit(f"census data absent: {canned_estimators.DATA}")
    _harness.main(__file__, "Where a canned training step goes (ProfilerHook)", measure, report)
