"""Identity and weighted categorical columns: ids, defaults, run-time range errors, argument checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import estflow as tf
from tests import FIXTURES
from tests.feature_columns import golden

fc = tf.feature_column


def test_identity_default_value_replaces_out_of_range_ids():
    col = fc.indicator_column(fc.categorical_column_with_identity("c", 4, default_value=0))
    got = golden.input_layer_output([col], {"c": np.array([[3], [7], [-5], [-1]])})
    assert got.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]]  # -1: missing, dropped


def test_identity_id_out_of_range_is_invalid_argument_at_run_time():
    col = fc.indicator_column(fc.categorical_column_with_identity("cat_id", 4))
    with tf.Graph().as_default():
        ids = tf.placeholder(tf.int64, [None, 1])
        out = fc.input_layer({"cat_id": ids}, [col])
        with tf.Session() as sess:
            assert sess.run(out, {ids: [[3]]}).tolist() == [[0, 0, 0, 1]]
            with pytest.raises(tf.errors.InvalidArgumentError, match=r"num_buckets=4\) got ids outside \[0, 4\).*"
                                                                       r"default_value.*\[\[3\]\[9\]\]"):
                sess.run(out, {ids: [[3], [9]]})


@pytest.mark.parametrize(("args", "message"), [
    ((0,), "num_buckets 0 < 1, column_name c"),
    ((3, 3), r"default_value 3 not in range \[0, 3\), column_name c"),
    ((3, -1), r"default_value -1 not in range"),
])
def test_identity_argument_errors(args, message):
    with pytest.raises(ValueError, match=message):
        fc.categorical_column_with_identity("c", *args)


def test_identity_refuses_float_input_saying_what_to_use():
    with pytest.raises(ValueError, match="Invalid input, not integer. key: c.*bucketized_column"):
        golden.input_layer_output([fc.indicator_column(fc.categorical_column_with_identity("c", 3))],
                                  {"c": np.array([[1.0]], np.float32)})


def test_weighted_identity_sums_weights_per_id():
    cat = fc.categorical_column_with_identity("c", 3)
    col = fc.indicator_column(fc.weighted_categorical_column(cat, "w"))
    assert col.name == "c_weighted_by_w_indicator"
    got = golden.input_layer_output([col], {"c": np.array([[0, 2, 0], [1, -1, -1]]),
                                            "w": np.array([[0.5, 2.0, 0.25], [3.0, 0.0, 0.0]], np.float32)})
    np.testing.assert_array_equal(got, [[0.75, 0.0, 2.0], [0.0, 3.0, 0.0]])


def test_weighted_errors():
    cat = fc.categorical_column_with_identity("c", 3)
    with pytest.raises(ValueError, match="is not convertible to float"):
        fc.weighted_categorical_column(cat, "w", dtype=tf.string)
    with pytest.raises(ValueError, match="Parse config .* already exists for c"):
        fc.make_parse_example_spec([fc.weighted_categorical_column(cat, "c")])
    with pytest.raises(ValueError, match="Bad dtype, expected tf.float32, but got tf.float64.*dtype="):
        golden.input_layer_output([fc.indicator_column(fc.weighted_categorical_column(cat, "w"))],
                                  {"c": np.array([[0]]), "w": np.array([[1.0]], np.float64)})


HASHING = json.loads((FIXTURES / "hashing" / "manifest.json").read_text())


@pytest.mark.parametrize(("case", "dtype"), [("string_hash_bucket_column", tf.string),
                                             ("int64_hash_bucket_column", tf.int64)])
def test_hash_bucket_ids_match_tensorflow(case, dtype):
    rows = HASHING[case]["rows"]
    if dtype == tf.string:
        values = np.array([[bytes.fromhex(r["hex"])] for r in rows], dtype=object)
    else:
        values = np.array([[r["value"]] for r in rows], dtype=np.int64)
    column = fc.indicator_column(fc.categorical_column_with_hash_bucket("k", 1000, dtype=dtype))
    got = golden.input_layer_output([column], {"k": values})
    assert [np.flatnonzero(row).tolist() for row in got] == [r["bucket_ids"] for r in rows]


def test_hash_bucket_argument_and_input_errors():
    with pytest.raises(ValueError, match="hash_bucket_size must be set"):
        fc.categorical_column_with_hash_bucket("k", None)
    with pytest.raises(ValueError, match="hash_bucket_size must be at least 1"):
        fc.categorical_column_with_hash_bucket("k", 0)
    with pytest.raises(ValueError, match="dtype must be string or integer"):
        fc.categorical_column_with_hash_bucket("k", 10, dtype=tf.float32)
    string_column = fc.indicator_column(fc.categorical_column_with_hash_bucket("k", 10))
    with pytest.raises(ValueError, match="input_tensor dtype must be string or integer.*never floats"):
        golden.input_layer_output([string_column], {"k": np.array([[1.5]], np.float32)})
    with pytest.raises(ValueError, match="Column dtype and SparseTensors dtype must be compatible.*as strings"):
        golden.input_layer_output([string_column], {"k": np.array([[1]])})


def test_weights_from_the_id_feature_itself():
    """TF1 accepts weighting ids by their own feature (no parse spec can hold both): the weights are the ids."""
    cat = fc.categorical_column_with_identity("c", 4)
    got = golden.input_layer_output([fc.indicator_column(fc.weighted_categorical_column(cat, "c", dtype=tf.int64))],
                                    {"c": np.array([[3], [2]])})
    assert got.tolist() == [[0, 0, 0, 3], [0, 0, 2, 0]]
