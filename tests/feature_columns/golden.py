"""The golden feature-column outputs written by TensorFlow 2.15.1 (tests/fixtures/feature_columns/manifest.json).

`features()` decodes the manifest's batch of raw features; `column(case)` builds the column a
single-column case names, with the manifest's definitions; `input_layer_output(columns)`
runs `input_layer` over the batch.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np

import estflow as tf
from tests import FIXTURES

MANIFEST = FIXTURES / "feature_columns" / "manifest.json"
fc = tf.feature_column


@cache
def manifest() -> dict:
    return json.loads(MANIFEST.read_text())


def features() -> dict:
    m = manifest()
    out = {}
    for key, rows in m["features"].items():
        dtype = m["feature_dtypes"][key]
        if dtype == "string":
            out[key] = np.array([[bytes.fromhex(v["hex"]) for v in row] for row in rows], dtype=object)
        else:
            out[key] = np.array(rows, dtype=dtype)
    return out


def expected(case: str) -> np.ndarray:
    return np.array(manifest()["single_column_outputs"][case]["output"], dtype=np.float32)


def embedding_matrix() -> np.ndarray:
    return np.array(manifest()["column_definitions"]["embedding_matrix_E"], dtype=np.float32)


def base_column(name: str):
    """The manifest's column definition `name` (age, income_raw, ..., tags_weighted)."""
    d = manifest()["column_definitions"]
    mu, sigma = d["normalizer_mu"], d["normalizer_sigma"]
    age = fc.numeric_column("age")
    build = {
        "age": lambda: age,
        "income_raw": lambda: fc.numeric_column("income"),
        "income_normalized": lambda: fc.numeric_column("income", normalizer_fn=lambda x: (x - mu) / sigma),
        "vec": lambda: fc.numeric_column("vec", shape=(2,)),
        "age_bucketized": lambda: fc.bucketized_column(age, [30.0, 35.0, 55.0, 65.0]),
        "color": lambda: fc.categorical_column_with_vocabulary_list("color", ["orange", "blue", "red"],
                                                                    num_oov_buckets=3),
        "size": lambda: fc.categorical_column_with_vocabulary_list("size", ["S", "M", "L"]),
        "grade": lambda: fc.categorical_column_with_vocabulary_list("grade", ["S", "M", "L"], default_value=2),
        "cat_id": lambda: fc.categorical_column_with_identity("cat_id", 5),
        "city": lambda: fc.categorical_column_with_hash_bucket("city", 11),
        "tags": lambda: fc.categorical_column_with_vocabulary_list("tags", ["d", "c", "b", "a", "e"]),
        "tags_weighted": lambda: fc.weighted_categorical_column(base_column("tags"), "tag_w"),
    }
    return build[name]()


def embedding(categorical, combiner: str):
    initializer = tf.constant_initializer(embedding_matrix())
    return fc.embedding_column(categorical, 4, combiner=combiner, initializer=initializer)


def column(case: str):
    """The column of single-column case `case` (a key of the manifest's single_column_outputs)."""
    simple = {"numeric_age": "age", "numeric_income_raw": "income_raw",
              "numeric_income_normalized": "income_normalized", "numeric_vec_shape2": "vec",
              "bucketized_age": "age_bucketized"}
    if case in simple:
        return base_column(simple[case])
    indicators = {"indicator_vocab_color_oov": "color", "indicator_vocab_size_default_minus1": "size",
                  "indicator_vocab_grade_default_value_2": "grade", "indicator_identity_cat_id": "cat_id",
                  "indicator_hash_city": "city", "indicator_tags_multivalent": "tags",
                  "indicator_weighted_tags": "tags_weighted"}
    if case in indicators:
        return fc.indicator_column(base_column(indicators[case]))
    if case.startswith("embedding_weighted_tags_"):
        return embedding(base_column("tags_weighted"), case.rsplit("_", 1)[1])
    if case.startswith("embedding_tags_"):
        return embedding(base_column("tags"), case.rsplit("_", 1)[1])
    raise KeyError(case)


def full_layer_columns() -> list:
    """The columns of the manifest's full_input_layer, in the order given there (not name order)."""
    full = manifest()["full_input_layer"]
    case_of = {item["name"]: item["same_as_single_output"] for item in full["layout"]}
    return [column(case_of[name]) for name in full["columns_in_given_order"]]


def input_layer_output(columns, feature_dict=None) -> np.ndarray:
    with tf.Graph().as_default():
        out = fc.input_layer(features() if feature_dict is None else feature_dict, columns)
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()] if hasattr(tf, "tables_initializer")
                     else tf.global_variables_initializer())
            return sess.run(out)
