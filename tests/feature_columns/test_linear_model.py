"""linear_model: TF1's variable names, weighted sums against numpy, combiners, units, training, errors."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf

fc = tf.feature_column

FEATURES = {"age": np.array([[25.0], [40.0], [70.0]], np.float32),
            "cat": np.array([[1, 3], [2, -1], [-1, -1]]),
            "w": np.array([[2.0, 0.5], [1.0, 0.0], [0.0, 0.0]], np.float32)}
AGE = fc.numeric_column("age")
BUCKETS = fc.bucketized_column(AGE, [30.0, 60.0])
CAT = fc.categorical_column_with_identity("cat", 4)


def _run(columns, units=1, sparse_combiner="sum", weights=None):
    """linear_model's output after setting each column's weights (name -> array) and the bias to 0.5."""
    with tf.Graph().as_default():
        cols_to_vars = {}
        out = fc.linear_model(FEATURES, columns, units=units, sparse_combiner=sparse_combiner,
                              cols_to_vars=cols_to_vars)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for column, variables in cols_to_vars.items():
                value = np.full(variables[0].shape.as_list(), 0.5, np.float32) if column == "bias" else weights[
                    column.name]
                variables[0].load(value, sess)
            return sess.run(out)


@pytest.mark.usefixtures("g")
def test_variable_names_and_collections():
    cols_to_vars = {}
    out = fc.linear_model(FEATURES, [CAT, AGE, BUCKETS, fc.embedding_column(CAT, 2)], units=3,
                          cols_to_vars=cols_to_vars)
    names = {v.name: v.shape.as_list() for v in tf.global_variables()}
    assert names == {"linear_model/age/weights:0": [1, 3], "linear_model/age_bucketized/weights:0": [3, 3],
                     "linear_model/cat/weights:0": [4, 3], "linear_model/cat_embedding/embedding_weights:0": [4, 2],
                     "linear_model/cat_embedding/weights:0": [2, 3], "linear_model/bias_weights:0": [3]}
    assert {v.name for v in tf.get_collection(tf.GraphKeys.MODEL_VARIABLES)} == set(names)
    assert [v.name for v in cols_to_vars["bias"]] == ["linear_model/bias_weights:0"]
    assert [v.name for v in cols_to_vars[CAT]] == ["linear_model/cat/weights:0"]
    assert out.op.name == "linear_model/weighted_sum" and out.shape.as_list() == [3, 3]
    with tf.variable_scope("linear"):
        fc.linear_model(FEATURES, [AGE], weight_collections=["mine"], trainable=False)
    assert [v.name for v in tf.get_collection("mine")] == ["linear/linear_model/age/weights:0",
                                                           "linear/linear_model/bias_weights:0"]
    assert len(tf.trainable_variables()) == 6


@pytest.mark.parametrize("combiner", ["sum", "mean", "sqrtn"])
def test_weighted_sums_against_numpy(combiner):
    w_age = np.array([[0.1, -1.0]], np.float32)
    w_buckets = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    w_cat = np.array([[0.0, 1.0], [10.0, 20.0], [100.0, 200.0], [1000.0, 2000.0]], np.float32)
    weighted = fc.weighted_categorical_column(CAT, "w")
    got = _run([AGE, BUCKETS, weighted], units=2, sparse_combiner=combiner, weights={
        "age": w_age, "age_bucketized": w_buckets, "cat_weighted_by_w": w_cat})
    ids, wts = [[1, 3], [2], []], [[2.0, 0.5], [1.0], []]
    combined = []
    for r, w in zip(ids, wts, strict=True):
        total = sum(wi * w_cat[i] for i, wi in zip(r, w, strict=True)) if r else np.zeros(2)
        denominator = {"sum": 1.0, "mean": sum(w), "sqrtn": np.sqrt(sum(x * x for x in w))}[combiner] if r else 1.0
        combined.append(total / denominator)
    want = FEATURES["age"] @ w_age + w_buckets[[0, 1, 2]] + np.array(combined) + 0.5
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_training_fits_a_linear_target():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 4, size=(64, 1))
    x = rng.normal(size=(64, 1)).astype(np.float32)
    y = (np.array([1.0, -2.0, 0.5, 3.0])[ids[:, 0]] + 2.0 * x[:, 0])[:, None].astype(np.float32)
    with tf.Graph().as_default():
        logits = fc.linear_model({"cat": ids, "x": x}, [CAT, fc.numeric_column("x")])
        loss = tf.reduce_mean(tf.square(logits - y))
        train = tf.train.GradientDescentOptimizer(0.3).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(loss)
            for _ in range(200):
                sess.run(train)
            assert sess.run(loss) < first * 1e-3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"units": 0}, "units must be a positive int"),
    ({"sparse_combiner": "max"}, "sparse_combiner must be one of"),
    ({"feature_columns": []}, "feature_columns must not be empty"),
])
def test_argument_errors(kwargs, message):
    args = {"feature_columns": [AGE], **kwargs}
    with tf.Graph().as_default(), pytest.raises(ValueError, match=message):
        fc.linear_model(FEATURES, **args)
