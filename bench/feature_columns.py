"""Feature columns: input_layer + linear_model over the census tutorial's columns, per batch.

    python bench/feature_columns.py [--processes 5] [--write]     # prints a BENCHMARKS.md block

The columns are TF's wide & deep census tutorial's: five numeric columns, age bucketized,
four vocabulary lists (education, marital_status, relationship, workclass), occupation
hashed into 1000 buckets, two crosses of 1000 buckets, four indicator columns and an
8-dimensional embedding of occupation. One graph fetches `input_layer(deep columns)` and
`linear_model(wide columns)` from raw string and number features fed per batch (rows of
`../shared/data/adult`); the baseline is plain numpy/pandas doing the same transforms with
the same weights in the same process (dict vocabulary lookups, FarmHash through the same
`pyfarmhash` binding, FingerprintCat64 crosses in numpy uint64), checked equal to estflow's
output before timing. Each figure is the median over fresh processes with its range.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import farmhash
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

import estflow as tf  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "adult"
CANDIDATES = [DATA / "census_data" / "adult.data", DATA / "adult.data"]
COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status", "occupation",
           "relationship", "race", "gender", "capital_gain", "capital_loss", "hours_per_week", "native_country",
           "income_bracket"]
NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
VOCABULARIES = {
    "education": ["Bachelors", "HS-grad", "11th", "Masters", "9th", "Some-college", "Assoc-acdm", "Assoc-voc",
                  "7th-8th", "Doctorate", "Prof-school", "5th-6th", "10th", "1st-4th", "Preschool", "12th"],
    "marital_status": ["Married-civ-spouse", "Divorced", "Married-spouse-absent", "Never-married", "Separated",
                       "Married-AF-spouse", "Widowed"],
    "relationship": ["Husband", "Not-in-family", "Wife", "Own-child", "Unmarried", "Other-relative"],
    "workclass": ["Self-emp-not-inc", "Private", "State-gov", "Federal-gov", "Local-gov", "?", "Self-emp-inc",
                  "Without-pay", "Never-worked"],
}
AGE_BOUNDARIES = [18, 25, 30, 35, 40, 45, 50, 55, 60, 65]
HASH_BUCKETS = 1000
EMBEDDING_DIM = 8
BATCHES = (40, 1024)
SLICES = 64  # distinct batches cycled through, so no run sees the same values twice in a row


def load_features() -> dict:
    path = next((p for p in CANDIDATES if p.exists()), None)
    if path is None:
        raise SystemExit(f"census data not found in {DATA}")
    frame = pd.read_csv(path, names=COLUMNS, skipinitialspace=True)
    features = {name: frame[name].to_numpy(np.float32) for name in NUMERIC}
    for name in [*VOCABULARIES, "occupation"]:
        features[name] = np.array([s.encode() for s in frame[name]], dtype=object)
    return features


def tutorial_columns():
    fc = tf.feature_column
    numeric = {name: fc.numeric_column(name) for name in NUMERIC}
    vocab = {name: fc.categorical_column_with_vocabulary_list(name, words) for name, words in VOCABULARIES.items()}
    occupation = fc.categorical_column_with_hash_bucket("occupation", hash_bucket_size=HASH_BUCKETS)
    age_buckets = fc.bucketized_column(numeric["age"], boundaries=AGE_BOUNDARIES)
    wide = [*vocab.values(), occupation, age_buckets,
            fc.crossed_column(["education", "occupation"], hash_bucket_size=HASH_BUCKETS),
            fc.crossed_column([age_buckets, "education", "occupation"], hash_bucket_size=HASH_BUCKETS)]
    deep = [*numeric.values(), *(fc.indicator_column(c) for c in vocab.values()),
            fc.embedding_column(occupation, dimension=EMBEDDING_DIM)]
    return wide, deep


class EstflowModel:
    """The graph: placeholders for the raw features -> (input_layer, linear_model), random linear weights."""

    def __init__(self, features: dict, seed: int = 0):
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.set_random_seed(seed)
            self.placeholders = {name: tf.placeholder(tf.string if values.dtype == object else tf.float32, [None],
                                                      name=name) for name, values in features.items()}
            wide, deep = tutorial_columns()
            self.cols_to_vars: dict = {}
            self.deep = tf.feature_column.input_layer(self.placeholders, deep)
            self.wide = tf.feature_column.linear_model(self.placeholders, wide, cols_to_vars=self.cols_to_vars)
            init = [tf.global_variables_initializer(), tf.tables_initializer()]
        self.sess = tf.Session(graph=self.graph)
        self.sess.run(init)
        rng = np.random.default_rng(seed)
        self.weights = {}
        for column, variables in self.cols_to_vars.items():
            value = rng.normal(size=variables[0].shape.as_list()).astype(np.float32)
            variables[0].load(value, self.sess)
            self.weights[column if column == "bias" else column.name] = value
        with self.graph.as_default():
            table = next(v for v in tf.global_variables() if v.name.endswith("embedding_weights:0"))
        self.embedding = self.sess.run(table)

    def run(self, batch: dict):
        return self.sess.run([self.deep, self.wide], {self.placeholders[k]: v for k, v in batch.items()})


# ---- the numpy/pandas baseline ----------------------------------------------------------------------------
_M = np.uint64(0xC6A4A7935BD1E995)
_S47 = np.uint64(47)
_HASH_KEY = np.uint64(0xDECAFCAFFE)


def _shift_mix(v):
    return v ^ (v >> _S47)


def _fingerprint_cat64(a, b):
    result = a ^ _M
    result ^= _shift_mix(b * _M) * _M
    result *= _M
    return _shift_mix(_shift_mix(result) * _M)


def _fingerprints(strings) -> np.ndarray:
    return np.fromiter(map(farmhash.fingerprint64, strings), dtype=np.uint64, count=len(strings))


class NumpyModel:
    """The same transforms and weights in numpy: dict lookups, FarmHash, FingerprintCat64, gathers."""

    def __init__(self, weights: dict, embedding: np.ndarray):
        self.weights = {k: v[:, 0] if v.ndim == 2 else v for k, v in weights.items()}
        self.embedding = embedding
        self.lookups = {name: {w.encode(): i for i, w in enumerate(words)} for name, words in VOCABULARIES.items()}
        self.boundaries = np.array(AGE_BOUNDARIES, np.float32)

    def run(self, batch: dict):
        n = len(batch["age"])
        rows = np.arange(n)
        ids = {name: np.fromiter(map(table.get, batch[name], [-1] * n), np.int64, count=n)
               for name, table in self.lookups.items()}
        occupation_fp = _fingerprints(batch["occupation"])
        education_fp = _fingerprints(batch["education"])
        occupation = (occupation_fp % np.uint64(HASH_BUCKETS)).astype(np.int64)
        age_bucket = np.searchsorted(self.boundaries, batch["age"], side="right")
        education_x_occupation = _fingerprint_cat64(_fingerprint_cat64(_HASH_KEY, education_fp), occupation_fp)
        age_x_education_x_occupation = _fingerprint_cat64(_fingerprint_cat64(
            _fingerprint_cat64(_HASH_KEY, age_bucket.astype(np.uint64)), education_fp), occupation_fp)
        crosses = {"education_X_occupation": education_x_occupation % np.uint64(HASH_BUCKETS),
                   "age_bucketized_X_education_X_occupation": age_x_education_x_occupation % np.uint64(HASH_BUCKETS)}

        def one_hot(name):
            out = np.zeros((n, len(VOCABULARIES[name])), np.float32)
            present = ids[name] >= 0
            out[rows[present], ids[name][present]] = 1.0
            return out

        # input_layer: the deep columns in name order
        deep = np.concatenate([
            batch["age"][:, None], batch["capital_gain"][:, None], batch["capital_loss"][:, None],
            one_hot("education"), batch["education_num"][:, None], batch["hours_per_week"][:, None],
            one_hot("marital_status"), self.embedding[occupation], one_hot("relationship"), one_hot("workclass")],
            axis=1)
        # linear_model: one weight per id, missing vocabulary ids add nothing
        w = self.weights
        logits = w["age_bucketized"][age_bucket] + w["occupation"][occupation] + w["bias"][0]
        for name, cross in crosses.items():
            logits = logits + w[name][cross.astype(np.int64)]
        for name, column_ids in ids.items():
            logits = logits + np.where(column_ids >= 0, w[name][np.maximum(column_ids, 0)], 0.0).astype(np.float32)
        return deep, logits[:, None]


def _slices(features: dict, batch: int) -> list[dict]:
    total = len(features["age"])
    starts = np.linspace(0, total - batch, SLICES).astype(int)
    return [{k: v[s:s + batch] for k, v in features.items()} for s in starts]


def _us_per_batch(run, batches: list[dict], rounds: int) -> float:
    t0 = time.perf_counter()
    for _ in range(rounds):
        for b in batches:
            run(b)
    return (time.perf_counter() - t0) / (rounds * len(batches)) * 1e6


def measure(args) -> dict:
    """One process: microseconds per batch for estflow and numpy at each batch size (interleaved rounds)."""
    features = load_features()
    ours = EstflowModel(features)
    base = NumpyModel(ours.weights, ours.embedding)
    out = {}
    for batch in BATCHES:
        batches = _slices(features, batch)
        for b in batches[:4]:  # the baseline does the same math: same outputs
            (deep, wide), (np_deep, np_wide) = ours.run(b), base.run(b)
            np.testing.assert_allclose(deep, np_deep, rtol=1e-6)
            np.testing.assert_allclose(wide, np_wide, rtol=1e-5, atol=1e-5)
        rounds = max(1, 2048 // batch)
        ours_t, base_t = [], []
        for _ in range(7):
            ours_t.append(_us_per_batch(ours.run, batches, rounds))
            base_t.append(_us_per_batch(base.run, batches, rounds))
        out[f"ours_{batch}"] = float(np.median(ours_t))
        out[f"numpy_{batch}"] = float(np.median(base_t))
    return out


def report(runs: list[dict], args) -> str:
    f = _harness.figure
    lines = [f"Measured by `python bench/feature_columns.py` on {_report.machine()}: the census tutorial's columns",
             "(5 numeric, age bucketized, 4 vocabulary lists, occupation hashed into 1000 buckets, 2 crosses of 1000",
             "buckets, 4 indicator columns, an 8-d embedding of occupation); one `Session.run` fetches",
             "`input_layer(deep)` and `linear_model(wide)` from raw features fed per batch. The baseline does the",
             "same transforms with the same weights in numpy/pandas in the same process (checked equal first). Each",
             f"cell is the median over {len(runs)} fresh processes with their range (lowest-highest); ratios are taken",
             "within each process.",
             "",
             "| batch | estflow (us/batch) | numpy baseline (us/batch) | estflow / numpy (target <= 2x) |",
             "|---|---|---|---|"]
    for batch in BATCHES:
        lines.append(f"| {batch} | {f(runs, f'ours_{batch}', '{:,.0f}')} | {f(runs, f'numpy_{batch}', '{:,.0f}')} "
                     f"| {_harness.ratio(runs, f'ours_{batch}', f'numpy_{batch}')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    _harness.main(__file__, "Feature columns", measure, report)
