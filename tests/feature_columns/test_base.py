"""The transformation cache and the shared input handling (missing values, ranks)."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.feature_columns.base import DenseColumn, LazyBuilder, to_sparse_input_and_drop_ignore_values

fc = tf.feature_column


@pytest.mark.usefixtures("g")
def test_each_column_and_raw_feature_transformed_once_per_call():
    age = fc.numeric_column("age")
    builder = LazyBuilder({"age": [1.0, 2.0]})
    assert builder.get(age) is builder.get(age)
    assert builder.get("age") is builder.get("age") and builder.get("age").shape.as_list() == [2, 1]
    with pytest.raises(TypeError, match='"key" must be either a "str" or "_FeatureColumn"'):
        builder.get(3)


class _Unsupported(DenseColumn):
    """A custom column whose transform gives nothing."""

    name = "unsupported"

    def _transform_feature(self, inputs):
        return None


@pytest.mark.usefixtures("g")
def test_a_column_without_a_transform_is_refused():
    with pytest.raises(ValueError, match="Column unsupported is not supported"):
        LazyBuilder({}).get(_Unsupported())


@pytest.mark.parametrize(("value", "ignore", "kept"), [
    (np.array([[b"a", b""], [b"", b"b"]], dtype=object), None, [b"a", b"b"]),
    (np.array([[3, -1], [-1, 0]]), None, [3, 0]),
    (np.array([[1.5, 0.0]], np.float32), None, [1.5]),
    (np.array([[7, 2]]), 7, [2]),
])
def test_dense_inputs_lose_their_missing_values(value, ignore, kept):
    with tf.Graph().as_default():
        sp = to_sparse_input_and_drop_ignore_values(tf.constant(value), ignore)
        with tf.Session() as sess:
            got = sess.run(sp)
    assert got.values.tolist() == kept and got.dense_shape.tolist() == list(value.shape)


def test_unknown_rank_input_expanded_at_run_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32)
        out = fc.input_layer({"x": x}, [fc.numeric_column("x")])
        with tf.Session() as sess:
            assert sess.run(out, {x: [1.0, 2.0]}).tolist() == [[1.0], [2.0]]
            assert sess.run(out, {x: [[3.0]]}).tolist() == [[3.0]]
            with pytest.raises(tf.errors.InvalidArgumentError, match="cannot have rank 0"):
                sess.run(out, {x: 1.0})


@pytest.mark.usefixtures("g")
def test_transforms_shared_between_calls_on_the_same_graph_tensors():
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "blue"])
    features = {"color": tf.placeholder(tf.string, [None], name="color")}
    graph = tf.get_default_graph()

    def lookups():
        return sum(op.type == "LookupTableFindV2" for op in graph.get_operations())

    fc.input_layer(features, [fc.indicator_column(color)])
    fc.linear_model(features, [color])
    assert lookups() == 1  # the second call reuses the first call's lookup
    fc.linear_model({"color": tf.placeholder(tf.string, [None])}, [color])
    assert lookups() == 2  # other features: their own lookup
    fc.linear_model({"color": np.array([b"red"], dtype=object)}, [color])
    assert lookups() == 3  # numpy features become new constants each call: never shared
