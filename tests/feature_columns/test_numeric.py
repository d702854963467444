"""numeric_column and bucketized_column: arguments checked as TF1 checks them, dense and sparse outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import gather_ops
from estflow.feature_columns.base import LazyBuilder
from tests import FIXTURES
from tests.feature_columns import golden

fc = tf.feature_column


def test_numeric_defaults_and_parse_spec():
    col = fc.numeric_column("age")
    assert (col.key, col.shape, col.default_value, col.dtype, col.normalizer_fn) == ("age", (1,), None, tf.float32,
                                                                                     None)
    assert fc.numeric_column("v", shape=[2, 3], default_value=1).default_value == ((1, 1, 1), (1, 1, 1))
    assert fc.numeric_column("v", shape=2, default_value=np.array([1.5, 2.0])).default_value == (1.5, 2.0)
    assert fc.numeric_column("n", dtype=tf.int64, default_value=3)._parse_example_spec == {
        "n": tf.FixedLenFeature((1,), tf.int64, (3,))}


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"shape": 1.5}, TypeError, "shape dimensions must be integer"),
    ({"shape": (2, 0)}, ValueError, "shape dimensions must be greater than 0"),
    ({"dtype": tf.string}, ValueError, "dtype must be convertible to float"),
    ({"shape": 2, "default_value": [1.0]}, ValueError, "shape of default_value must be equal to given shape"),
    ({"dtype": tf.int32, "default_value": 1.5}, TypeError, "default_value must be compatible with dtype"),
    ({"normalizer_fn": 3}, TypeError, "normalizer_fn must be a callable"),
])
def test_numeric_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        fc.numeric_column("x", **kwargs)


def test_numeric_key_must_be_a_string():
    with pytest.raises(ValueError, match="key must be a string"):
        fc.numeric_column(3)


def test_numeric_refuses_sparse_input():
    with pytest.raises(ValueError, match="must be a Tensor. SparseTensor is not supported"):
        golden.input_layer_output([fc.numeric_column("x")],
                                  {"x": tf.SparseTensorValue(np.array([[0, 0]]), np.array([1.0], np.float32),
                                                             np.array([1, 1]))})


def test_numeric_int_input_cast_and_multidimensional_shape_flattened():
    col = fc.numeric_column("m", shape=(2, 2), dtype=tf.int64)
    got = golden.input_layer_output([col], {"m": np.arange(8).reshape(2, 2, 2)})
    assert got.dtype == np.float32 and got.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize(("source", "boundaries", "message"), [
    ("age", [1.0], "must be a column generated with numeric_column"),
    (fc.numeric_column("v", shape=(2, 2)), [1.0], "must be one-dimensional column"),
    (fc.numeric_column("v"), [], "boundaries must not be empty"),
    (fc.numeric_column("v"), {1.0: 2}, "boundaries must be a sorted list"),
    (fc.numeric_column("v"), [2.0, 1.0], "boundaries must be a sorted list"),
    (fc.numeric_column("v"), [1.0, 1.0], "boundaries must be a sorted list"),
])
def test_bucketized_argument_errors(source, boundaries, message):
    with pytest.raises(ValueError, match=message):
        fc.bucketized_column(source, boundaries)


def test_bucketized_value_on_a_boundary_goes_right_and_multi_dimension_one_hots():
    col = fc.bucketized_column(fc.numeric_column("v", shape=2), [0.0, 10.0])
    assert col.name == "v_bucketized" and col._num_buckets == 6
    got = golden.input_layer_output([col], {"v": np.array([[0.0, 10.0], [-1.0, 99.0]], np.float32)})
    assert got.tolist() == [[0, 1, 0, 0, 0, 1], [1, 0, 0, 0, 0, 1]]


def test_bucketized_sparse_ids_per_dimension():
    col = fc.bucketized_column(fc.numeric_column("v", shape=2), [0.0, 10.0])
    with tf.Graph().as_default():
        builder_features = {"v": np.array([[0.0, 10.0], [-1.0, 5.0]], np.float32)}
        ids = col._get_sparse_tensors(LazyBuilder(builder_features)).id_tensor
        with tf.Session() as sess:
            value = sess.run(ids)
    assert value.indices.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert value.values.tolist() == [1, 5, 0, 4] and value.dense_shape.tolist() == [2, 2]


BUCKETIZED = json.loads((FIXTURES / "hashing" / "manifest.json").read_text())["bucketized"]


def test_bucketized_ids_match_tensorflow_at_boundaries_denormals_and_float64():
    """Boundaries compare as float32; a value on a boundary goes right; denormals count as 0 (TF's FTZ)."""
    column = fc.indicator_column(fc.bucketized_column(fc.numeric_column("x"), BUCKETIZED["boundaries"]))
    values = np.array(BUCKETIZED["values_float32"], np.float32)
    got = golden.input_layer_output([column], {"x": values})
    assert np.argmax(got, axis=1).tolist() == BUCKETIZED["bucket_ids_feature_column"]
    doubles = BUCKETIZED["float64_inputs"]
    with tf.Graph().as_default(), tf.Session() as sess:
        ids = sess.run(gather_ops.bucketize(np.array(doubles["values"], np.float64), BUCKETIZED["boundaries"]))
    assert ids.tolist() == doubles["bucket_ids"]
