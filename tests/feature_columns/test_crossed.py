"""crossed_column: TensorFlow's ids (golden), names, parse specs, argument checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import estflow as tf
from estflow.core.sparse_tensor import SparseTensorValue
from tests import FIXTURES
from tests.feature_columns import golden

fc = tf.feature_column
CROSSED = json.loads((FIXTURES / "hashing" / "manifest.json").read_text())["crossed"]


def _inputs() -> dict:
    out = {}
    for key, value in CROSSED["inputs"].items():
        if key == "a_sp":
            out[key] = SparseTensorValue(np.array(value["indices"]), np.array(
                [v.encode() for v in value["values"]], dtype=object), np.array(value["dense_shape"]))
        elif key == "x":
            out[key] = np.array(value, np.float32)
        elif isinstance(value[0][0], dict):
            out[key] = np.array([[bytes.fromhex(v["hex"]) for v in row] for row in value], dtype=object)
        else:
            out[key] = np.array(value, np.int64)
    return out


def _cross(name):
    x_buckets = fc.bucketized_column(fc.numeric_column("x"), [-1.0, 0.0, 1.0, 2.5])
    return {"a_X_b": lambda: fc.crossed_column(["a", "b"], 1000),
            "a_X_c_X_x_bucketized": lambda: fc.crossed_column(["a", "c", x_buckets], 1000),
            "b_vocab_X_c": lambda: fc.crossed_column(
                [fc.categorical_column_with_vocabulary_list("b", ["x", "y", "z"], num_oov_buckets=1), "c"], 1000),
            "a_sp_X_b": lambda: fc.crossed_column(["a_sp", "b"], 1000)}[name]()


@pytest.mark.parametrize("name", sorted(CROSSED["crosses"]))
def test_crossed_ids_match_tensorflow(name):
    cross = CROSSED["crosses"][name]
    column = _cross(name)
    assert column.name == cross["name"]
    got = golden.input_layer_output([fc.indicator_column(column)], _inputs())
    for row, example in zip(got, cross["per_example"], strict=True):
        assert np.flatnonzero(row).tolist() == example["indicator_nonzero_ids"], example
        assert row[np.flatnonzero(row)].tolist() == example["indicator_counts"]


def test_crossed_column_of_crosses_and_parse_spec():
    inner = fc.crossed_column(["a", fc.bucketized_column(fc.numeric_column("x"), [0.0])], 10)
    outer = fc.crossed_column([inner, "b"], 20, hash_key=7)
    assert outer.name == "a_X_b_X_x_bucketized" and outer._num_buckets == 20
    assert fc.make_parse_example_spec([outer]) == {"a": tf.VarLenFeature(tf.string), "b": tf.VarLenFeature(tf.string),
                                                   "x": tf.FixedLenFeature((1,), tf.float32)}
    got = golden.input_layer_output([fc.indicator_column(outer)], {
        "a": np.array([[b"p"]], dtype=object), "b": np.array([[b"q"]], dtype=object), "x": np.array([[1.0]])})
    assert got.sum() == 1.0  # one combination, in one of 20 buckets


@pytest.mark.parametrize(("keys", "size", "message"), [
    (["a", "b"], 0, "hash_bucket_size must be > 1"),
    (["a"], 10, "keys must be a list with length > 1"),
    (["a", 3], 10, "Unsupported key type"),
    (["a", fc.numeric_column("n")], 10, "Unsupported key type"),
])
def test_crossed_argument_errors(keys, size, message):
    with pytest.raises(ValueError, match=message):
        fc.crossed_column(keys, size)


def test_hash_bucket_columns_cannot_be_crossed():
    error = CROSSED["hash_bucket_column_cannot_be_crossed"]
    with pytest.raises(ValueError) as e:
        fc.crossed_column(["a", fc.categorical_column_with_hash_bucket("b", 50)], 1000)
    assert str(e.value) == error["message"]


def test_weighted_columns_cannot_be_crossed():
    weighted = fc.weighted_categorical_column(fc.categorical_column_with_identity("i", 3), "w")
    with pytest.raises(ValueError, match="crossed_column does not support weight_tensor"):
        golden.input_layer_output([fc.indicator_column(fc.crossed_column(["a", weighted], 10))], {
            "a": np.array([[b"x"]], dtype=object), "i": np.array([[1]]), "w": np.array([[1.0]], np.float32)})
