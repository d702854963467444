"""tf.data map+batch throughput: a 14-column CSV-like pipeline, fused (one map call per batch) vs per element.

    python bench/dataset_map_batch.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

(a) `from_tensor_slices(lines).map(decode_csv -> dict of 14 features).batch(256)`, when
DecodeCSV is registered; (b) the same shape of work on already-parsed columns:
`from_tensor_slices(dict of 14 columns).map(feature math).batch(256)`. Each is run with
map-and-batch fusion (default) and with it turned off through tf.data.Options, and
compared with plain numpy doing the same math on whole batches, in the same process; each
figure is the median over several fresh processes, with its range.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402
from estflow.data.dataset_ops import Dataset  # noqa: E402

BATCH = 256
N_FLOAT, N_INT = 10, 3  # + 1 string column = 14


def _csv_lines(n: int, rng) -> np.ndarray:
    floats = rng.normal(size=(n, N_FLOAT)).round(4)
    ints = rng.integers(0, 1000, size=(n, N_INT))
    cities = rng.choice(["ny", "sf", "la", "chicago"], n)
    rows = [",".join([*map(str, f), *map(str, i), c]) for f, i, c in zip(floats, ints, cities, strict=True)]
    return np.array(rows, dtype=object)


def _columns(n: int, rng) -> dict:
    cols = {f"f{i}": rng.normal(size=n).astype(np.float32) for i in range(N_FLOAT)}
    cols.update({f"i{i}": rng.integers(0, 1000, n) for i in range(N_INT)})
    cols["city"] = rng.choice(np.array(["ny", "sf", "la", "chicago"]), n)
    return cols


def _parse_csv(line):
    from estflow.core.ops.parsing_ops import decode_csv

    defaults = [[0.0]] * N_FLOAT + [[0]] * N_INT + [[""]]
    fields = decode_csv(line, record_defaults=defaults)
    names = [f"f{i}" for i in range(N_FLOAT)] + [f"i{i}" for i in range(N_INT)] + ["city"]
    return dict(zip(names, fields, strict=True))


def _features(row):
    out = {}
    for i in range(N_FLOAT):
        x = row[f"f{i}"]
        out[f"f{i}"] = tf.tanh((x - 0.5) * 2.0)
    for i in range(N_INT):
        out[f"i{i}"] = tf.cast(row[f"i{i}"], tf.float32) / 1000.0
    out["city"] = tf.strings.join([row["city"], "_x"])
    return out


def _numpy_features(cols):
    out = {f"f{i}": np.tanh((cols[f"f{i}"] - 0.5) * 2.0) for i in range(N_FLOAT)}
    out.update({f"i{i}": cols[f"i{i}"].astype(np.float32) / 1000.0 for i in range(N_INT)})
    out["city"] = np.array([c + b"_x" for c in cols["city"]], dtype=object)
    return out


def rows_per_second(dataset, rows: int, fused: bool) -> float:
    if not fused:
        options = tf.data.Options()
        options.experimental_optimization.map_and_batch_fusion = False
        dataset = dataset.with_options(options)
    nxt = tf.data.make_one_shot_iterator(dataset.batch(BATCH)).get_next()
    with tf.Session() as sess:
        sess.run(nxt)  # compile plans, start the pipeline
        seen = 0
        t0 = time.perf_counter()
        while seen < rows:
            batch = sess.run(nxt)
            seen += len(next(iter(batch.values())))
        return seen / (time.perf_counter() - t0)


def measure(args) -> dict:
    """One process's rows/s: each pipeline fused and per element, and the numpy baseline."""
    rng = np.random.default_rng(0)
    out = {}
    with tf.Graph().as_default():
        cols = _columns(BATCH * 400, rng)
        ds = Dataset.from_tensor_slices(cols).map(_features).repeat()
        out["columns_fused"] = rows_per_second(ds, BATCH * 300, True)
        out["columns_plain"] = rows_per_second(ds, BATCH * 20, False)
        encoded = {k: (np.array([s.encode() for s in v], dtype=object) if v.dtype.kind == "U" else v)
                   for k, v in cols.items()}
        t0 = time.perf_counter()
        for start in range(0, BATCH * 300, BATCH):
            _numpy_features({k: v[start:start + BATCH] for k, v in encoded.items()})
        out["numpy"] = BATCH * 300 / (time.perf_counter() - t0)
    try:
        with tf.Graph().as_default():
            lines = _csv_lines(BATCH * 200, rng)
            ds = Dataset.from_tensor_slices(lines).map(_parse_csv).repeat()
            out["csv_fused"] = rows_per_second(ds, BATCH * 150, True)
            out["csv_plain"] = rows_per_second(ds, BATCH * 10, False)
    except ImportError as e:
        print(f"(decode_csv not available: {e})", file=sys.stderr)
    return out


def report(runs: list[dict], args) -> str:
    f = _harness.figure
    lines = [f"Measured by `python bench/dataset_map_batch.py` on {_report.machine()}: batch {BATCH}; rows/s through",
             f"`sess.run(get_next)`; each cell is the median over {len(runs)} fresh processes with their range",
             "(lowest-highest) in brackets, speed-ups taken within each process; numpy runs in the same process.",
             "",
             "| pipeline | fused (rows/s) | per element (rows/s) | speed-up | fused / numpy |",
             "|---|---|---|---|---|"]
    cases = [("columns -> feature math (14 cols)", "columns")]
    if "csv_fused" in runs[0]:
        cases.append(("CSV lines -> decode_csv (14 cols)", "csv"))
    for name, key in cases:
        lines.append(f"| {name} | {f(runs, key + '_fused', '{:,.0f}')} | {f(runs, key + '_plain', '{:,.0f}')} "
                     f"| {_harness.ratio(runs, key + '_fused', key + '_plain', '{:.1f}')} "
                     f"| {_harness.ratio(runs, key + '_fused', 'numpy') if key == 'columns' else '-'} |")
    lines.append(f"| plain numpy, same feature math on 256-row slices | {f(runs, 'numpy', '{:,.0f}')} | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "tf.data map+batch", measure, report)
