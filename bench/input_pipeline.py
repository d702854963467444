"""Input pipelines over the Adult census rows, beside pandas / numpy doing the same reading (issue: input pipelines).

    python bench/input_pipeline.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

(a) CSV lines: TextLineDataset -> map(decode_csv) -> batch(256), and batch(256) -> map(decode_csv),
    beside `pd.read_csv` of the same file;
(b) the same rows as tf.train.Examples: TFRecordDataset -> batch(256) -> parse_example, and
    map(parse_single_example) -> batch(256), beside a plain loop parsing each record with the
    protobuf runtime into numpy columns;
(c) pandas_input_fn(batch_size=256) over the DataFrame, beside a numpy loop producing the same
dict of column batches (steady state per batch, and whole epochs including setup);
(d) the canned benchmark's batch-then-decode pipeline (shuffle, repeat, batch(256), decode_csv)
    through the input worker, as training at batch 256 runs it: rows/s a consumer that takes
    100 us per batch receives once the worker has forked, i.e. what the worker can deliver.

Rows per second are medians of interleaved rounds of whole epochs (a fresh iterator per
epoch), each fetching every batch with `Session.run`, in several fresh processes (median and
range over them). No TensorFlow figure is set beside these: ../shared/ANCHORS.md has TF's
figures for whole tf.estimator *training* on this data (input, model and update together),
which is another workload than reading the input alone.
"""

from __future__ import annotations

import statistics
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
from estflow.data.readers import TextLineDataset, TFRecordDataset  # noqa: E402
from estflow.data.tfrecord import TFRecordWriter, tf_record_iterator  # noqa: E402
from estflow.io import FixedLenFeature, decode_csv, parse_example, parse_single_example  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "adult"
CANDIDATES = [DATA / "census_data" / "adult.data", DATA / "adult.data"]  # the TF tutorial's cleaned copy first
COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
           "relationship", "race", "gender", "capital_gain", "capital_loss", "hours_per_week", "native_country",
           "income_bracket"]
NUMERIC = {"age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"}
DEFAULTS = [[0] if c in NUMERIC else [""] for c in COLUMNS]
BATCH = 256


def data_file():
    for path in CANDIDATES:
        if path.exists():
            return path
    return None


def epoch_runner(make_dataset):
    """A function running one whole epoch of `make_dataset()` through a session; returns rows seen."""
    graph = tf.Graph()
    with graph.as_default():
        iterator = tf.data.make_initializable_iterator(make_dataset())
        nxt = iterator.get_next()
    sess = tf.Session(graph=graph)

    def run_epoch():
        sess.run(iterator.initializer)
        rows = 0
        try:
            while True:
                value = sess.run(nxt)
                first = value[0] if isinstance(value, tuple) else value
                first = first[0] if isinstance(first, tuple) else first
                rows += len(next(iter(first.values())) if isinstance(first, dict) else first)
        except tf.errors.OutOfRangeError:
            return rows

    return run_epoch


def input_fn_runner(make_input_fn):
    """One epoch of an input_fn: a fresh graph and session each time, as an Estimator's train() builds them."""

    def run_epoch():
        graph = tf.Graph()
        with graph.as_default():
            features, labels = make_input_fn()()
        rows = 0
        with tf.Session(graph=graph) as sess:
            try:
                while True:
                    _, y = sess.run((features, labels))
                    rows += len(y)
            except tf.errors.OutOfRangeError:
                return rows

    return run_epoch


def steady_state(pandas_input_fn, x, y, numpy_epoch, n_rows: int, rounds: int = 5):
    """Rows/s of `Session.run((features, labels))` once the graph exists, beside the numpy loop.

    This is the per-batch cost a training loop pays; the epoch figure adds building the
    graph, the session and the input_fn (converting the string columns), once per call.
    """
    graph = tf.Graph()
    with graph.as_default():
        features, labels = pandas_input_fn(x, y, batch_size=BATCH, num_epochs=None, shuffle=False)()
    sess = tf.Session(graph=graph)
    fetch = (features, labels)
    batches = n_rows // BATCH
    for _ in range(20):
        sess.run(fetch)
    ours, base = [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(batches):
            sess.run(fetch)
        ours.append(batches * BATCH / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        rows = numpy_epoch()
        base.append(rows / (time.perf_counter() - t0))
    sess.close()
    return statistics.median(ours), statistics.median(base)


WORKER_STEP_US = 100  # (d): the consumer's own work per batch, enough for the iterator to fork its worker
WORKER_BATCHES = 600  # (d): batches timed once the worker runs


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def through_worker(source: str, n_rows: int) -> float | None:
    """(d): rows/s the input worker delivers, or None where this platform runs no worker (no fork)."""
    from estflow.data import iterator_ops, worker

    graph = tf.Graph()
    with graph.as_default():
        dataset = TextLineDataset(source).take(n_rows).shuffle(n_rows, seed=1).repeat().batch(BATCH)
        nxt = tf.data.make_one_shot_iterator(dataset.map(lambda b: tuple(decode_csv(b, DEFAULTS)))).get_next()
    with tf.Session(graph=graph) as sess:
        for _ in range(worker.AFTER + 100):  # the iterator decides, forks, and the pipe fills
            sess.run(nxt)
            _busy(WORKER_STEP_US / 1e6)
        states = [s for s in sess._op_state.values() if isinstance(s, iterator_ops._IteratorState)]
        if not states or states[0]._worker is None:
            return None
        start = time.perf_counter()
        for _ in range(WORKER_BATCHES):
            sess.run(nxt)
            _busy(WORKER_STEP_US / 1e6)
        return WORKER_BATCHES * BATCH / (time.perf_counter() - start)


def rows_per_second(cases: dict, rounds: int = 5) -> dict:
    """Median rows/s of each case over interleaved rounds of whole epochs."""
    samples = {k: [] for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            rows = fn()
            samples[name].append(rows / (time.perf_counter() - t0))
    return {k: statistics.median(v) for k, v in samples.items()}


def write_examples(frame, path: str) -> None:
    with TFRecordWriter(path) as writer:
        columns = [(c, frame[c].to_numpy()) for c in COLUMNS]
        for i in range(len(frame)):
            ex = example_pb2.Example()
            f = ex.features.feature
            for c, values in columns:
                if c in NUMERIC:
                    f[c].int64_list.value.append(int(values[i]))
                else:
                    f[c].bytes_list.value.append(str(values[i]).encode())
            writer.write(ex.SerializeToString())


def protobuf_loop(records: list) -> int:
    """The baseline for (b): parse every record with the protobuf runtime into numpy columns."""
    columns = {c: [] for c in COLUMNS}
    for record in records:
        features = example_pb2.Example.FromString(record).features.feature
        for c in COLUMNS:
            f = features[c]
            columns[c].append(f.int64_list.value[0] if c in NUMERIC else f.bytes_list.value[0])
    arrays = {c: np.asarray(v, dtype=np.int64 if c in NUMERIC else object) for c, v in columns.items()}
    return len(arrays["age"])


def measure(args) -> dict:
    """One process's rows/s of every pipeline and baseline."""
    path = data_file()
    if path is None:
        return {"skipped": f"the Adult census file is not at {CANDIDATES[0]} or {CANDIDATES[1]}"}
    try:
        import pandas as pd
    except ImportError:
        return {"skipped": "the baselines need pandas (pip install pandas)"}
    lines = [line for line in path.read_bytes().split(b"\n") if line.strip()]
    n_rows = len(lines)
    source = str(path)

    def lines_dataset():
        ds = TextLineDataset(source)
        return ds.take(n_rows)  # the raw file ends with a blank line

    def per_line():
        return lines_dataset().map(lambda line: tuple(decode_csv(line, DEFAULTS))).batch(BATCH)

    def batch_first():
        return lines_dataset().batch(BATCH).map(lambda batch: tuple(decode_csv(batch, DEFAULTS)))

    def read_csv():
        return len(pd.read_csv(source, header=None, names=COLUMNS))

    frame = pd.read_csv(source, header=None, names=COLUMNS, skipinitialspace=True)
    tmp = tempfile.mkdtemp(prefix="estflow_bench_")
    tfrecord = str(Path(tmp) / "adult.tfrecord")
    write_examples(frame, tfrecord)
    records = list(tf_record_iterator(tfrecord))
    features = {c: FixedLenFeature([], tf.int64 if c in NUMERIC else tf.string) for c in COLUMNS}

    def tfrecord_pipeline():
        return TFRecordDataset(tfrecord).batch(BATCH).map(lambda r: parse_example(r, features))

    def tfrecord_per_record():
        return TFRecordDataset(tfrecord).map(lambda r: parse_single_example(r, features)).batch(BATCH)

    cases = {
        "per_line": epoch_runner(per_line),
        "batch_first": epoch_runner(batch_first),
        "read_csv": read_csv,
        "tfrecord": epoch_runner(tfrecord_pipeline),
        "tfrecord_single": epoch_runner(tfrecord_per_record),
        "protobuf": lambda: protobuf_loop(records),
    }
    pandas_rows = None
    try:
        from estflow.data.pandas_io import pandas_input_fn
    except ImportError:
        pandas_input_fn = None
    steady = None
    if pandas_input_fn is not None:
        x, y = frame.drop(columns=["income_bracket"]), frame["income_bracket"]
        cases["pandas"] = input_fn_runner(
            lambda: pandas_input_fn(x, y, batch_size=BATCH, num_epochs=1, shuffle=False))
        columns = {c: x[c].to_numpy() for c in x.columns}
        label_array = y.to_numpy()

        def numpy_slices():
            # The same output as the input_fn: a dict of fresh column batches plus the labels.
            rows = 0
            for start in range(0, len(frame), BATCH):
                batch = {c: a[start:start + BATCH].copy() for c, a in columns.items()}
                labels = label_array[start:start + BATCH].copy()
                rows += len(labels) if batch else 0
            return rows

        cases["numpy"] = numpy_slices
        pandas_rows = len(frame)
        steady = steady_state(pandas_input_fn, x, y, numpy_slices, len(frame))
    for name, fn in cases.items():  # warm up, and check every pipeline sees every row
        rows = fn()
        expected = pandas_rows if name in ("pandas", "numpy") else n_rows
        assert rows == expected, f"{name} read {rows} rows, expected {expected}"
    r = rows_per_second(cases)
    delivered = through_worker(source, n_rows)
    if delivered is not None:
        r["worker"] = delivered
    if steady is not None:
        r["steady"], r["steady_numpy"] = steady
    r["n_rows"] = n_rows
    r["path"] = str(path.relative_to(DATA.parent.parent))
    return r


def report(runs: list[dict], args) -> str:
    if "skipped" in runs[0]:
        return f"skipped: {runs[0]['skipped']}"

    def rate(key):
        return _harness.figure(runs, lambda run: run[key] / 1000, "{:,.0f}", "k")

    rows = [
        ("(a) TextLineDataset -> map(decode_csv) -> batch(256)", "per_line", "`pd.read_csv`", "read_csv"),
        ("(a) TextLineDataset -> batch(256) -> map(decode_csv)", "batch_first", "`pd.read_csv`", "read_csv"),
        ("(b) TFRecordDataset -> batch(256) -> parse_example", "tfrecord", "protobuf parse loop", "protobuf"),
        ("(b) TFRecordDataset -> map(parse_single_example) -> batch(256)", "tfrecord_single",
         "protobuf parse loop", "protobuf"),
    ]
    if "pandas" in runs[0]:
        rows.append(("(c) pandas_input_fn(batch_size=256), steady state", "steady",
                     "numpy: dict of copied column slices", "steady_numpy"))
        rows.append(("(c) pandas_input_fn, one epoch incl. graph, session and input_fn setup", "pandas",
                     "the same numpy loop", "numpy"))
    if all("worker" in run for run in runs):
        rows.append(("(d) shuffle -> repeat -> batch(256) -> map(decode_csv), through the input worker "
                     f"(consumer: {WORKER_STEP_US} us a batch)", "worker", "`pd.read_csv`", "read_csv"))
    body = [
        f"Measured by `python bench/input_pipeline.py` on {_report.machine()}: the {runs[0]['n_rows']:,} Adult census "
        f"rows (`../shared/{runs[0]['path']}`), 15 columns; in each of {len(runs)} fresh processes, medians of 5",
        "interleaved rounds of whole epochs, each batch fetched with `Session.run`; each cell is the median over",
        "the processes with their range (lowest-highest) in brackets, ratios taken within each process.",
        "Baselines run in the same process. No TensorFlow figure is set beside these: `../shared/ANCHORS.md`",
        "measured TF's tf.estimator *training* on this data (input, model and update together),",
        "another workload than reading the input alone.",
        "(d) is timed once per process over 600 batches after the worker forked: a consumer taking 100 us a",
        "batch waits on the worker, so its rate is what the worker delivers (training at batch 256 runs this).",
        "",
        "| pipeline | estflow rows/s | baseline | baseline rows/s | estflow / baseline |",
        "|---|---|---|---|---|",
    ]
    for name, ours, base_name, base in rows:
        body.append(f"| {name} | {rate(ours)} | {base_name} | {rate(base)} | {_harness.ratio(runs, ours, base)} |")
    return "\n".join(body)


if __name__ == "__main__":
    _harness.main(__file__, "Input pipelines", measure, report)
