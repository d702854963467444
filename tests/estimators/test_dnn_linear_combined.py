"""DNNLinearCombined (wide & deep): TF 1.x's arguments, two parts with their own optimizers, errors."""

import math

import numpy as np
import pytest

import estflow as tf
from estflow.estimators import dnn_linear_combined
from tests.estimators import canned_contract as cc

HIDDEN = [8, 4]


def _wide():
    return list(cc.columns())


@pytest.mark.parametrize("task, kwargs", [
    ("binary", {}),
    ("multi", {"n_classes": 3}),
    ("binary", {"weight_column": "w"}),
    ("strings", {"n_classes": 3, "label_vocabulary": cc.CLASS_NAMES}),
], ids=["binary", "multi-class", "weighted", "string-labels"])
def test_classifier_contract(tmp_path, task, kwargs):
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.DNNLinearCombinedClassifier(
            model_dir=str(tmp_path), linear_feature_columns=_wide(), dnn_feature_columns=cc.dense_columns(),
            dnn_hidden_units=HIDDEN, linear_optimizer="Adagrad", dnn_optimizer=tf.train.AdamOptimizer(0.05),
            config=tf.estimator.RunConfig(tf_random_seed=1), **kwargs), task, steps=100)
    assert metrics["accuracy"] > 0.8  # seeded: an unseeded start stayed at 0.59 once in many full-suite runs
    assert predictions[0]["probabilities"].shape == (kwargs.get("n_classes", 2),)


def test_regressor_contract(tmp_path):
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.DNNLinearCombinedRegressor(
            model_dir=str(tmp_path), linear_feature_columns=_wide(), dnn_feature_columns=cc.dense_columns(),
            dnn_hidden_units=HIDDEN, linear_optimizer=tf.train.AdagradOptimizer(0.5),
            dnn_optimizer=tf.train.AdamOptimizer(0.02)), "regression", steps=200)
    _, labels = cc.data("regression")
    assert metrics["average_loss"] < 0.2 * np.var(labels)


def test_each_part_has_its_own_optimizer_and_tf1_names(tmp_path):
    est = tf.estimator.DNNLinearCombinedClassifier(
        model_dir=str(tmp_path), linear_feature_columns=_wide(), dnn_feature_columns=cc.dense_columns(),
        dnn_hidden_units=HIDDEN)
    features, labels = cc.data("binary")
    est.train(cc.input_fn(features, labels), steps=3)
    names = est.get_variable_names()
    assert [n for n in names if "Ftrl" in n] == [
        "linear/linear_model/bias_weights/Ftrl", "linear/linear_model/bias_weights/Ftrl_1",
        "linear/linear_model/color/weights/Ftrl", "linear/linear_model/color/weights/Ftrl_1",
        "linear/linear_model/x/weights/Ftrl", "linear/linear_model/x/weights/Ftrl_1"]
    assert all(n.startswith("dnn/") for n in names if n.endswith("/Adagrad"))
    assert "dnn/logits/kernel/Adagrad" in names and "dnn/hiddenlayer_1/kernel" in names
    assert est.get_variable_value("global_step") == 3  # incremented once per step, not once per optimizer


def test_default_learning_rates_are_tf1s():
    assert dnn_linear_combined.DNN_LEARNING_RATE == 0.001
    assert dnn_linear_combined.default_linear_learning_rate(8, dnn_linear_combined.LINEAR_LEARNING_RATE) == 0.005
    columns = 50000
    assert dnn_linear_combined.default_linear_learning_rate(
        columns, dnn_linear_combined.LINEAR_LEARNING_RATE) == pytest.approx(1 / math.sqrt(columns))


def test_parts_train_with_their_own_learning_rates(tmp_path):
    # SGD on each part: a step of the linear bias moves by lr_linear * gradient, the dnn logits bias by
    # lr_dnn * the same gradient (both add straight into the logits).
    features, labels = cc.data("regression", n=20)
    est = tf.estimator.DNNLinearCombinedRegressor(
        model_dir=str(tmp_path), linear_feature_columns=_wide(), dnn_feature_columns=cc.dense_columns(),
        dnn_hidden_units=HIDDEN, linear_optimizer=tf.train.GradientDescentOptimizer(0.001),
        dnn_optimizer=tf.train.GradientDescentOptimizer(0.003))
    est.train(cc.input_fn(features, labels, batch=20), steps=1)
    linear_bias = est.get_variable_value("linear/linear_model/bias_weights")
    dnn_bias = est.get_variable_value("dnn/logits/bias")
    np.testing.assert_allclose(dnn_bias, 3 * linear_bias, rtol=1e-4)


@pytest.mark.parametrize("kind", ["linear", "dnn"])
def test_one_part_alone(tmp_path, kind):
    kwargs = ({"linear_feature_columns": _wide()} if kind == "linear" else
              {"dnn_feature_columns": cc.dense_columns(), "dnn_hidden_units": HIDDEN})
    est = tf.estimator.DNNLinearCombinedClassifier(model_dir=str(tmp_path), **kwargs)
    features, labels = cc.data("binary")
    est.train(cc.input_fn(features, labels), steps=2)
    other = "dnn/" if kind == "linear" else "linear/"
    assert not [n for n in est.get_variable_names() if n.startswith(other)]


def test_linear_sparse_combiner(tmp_path):
    with pytest.raises(ValueError, match="linear_sparse_combiner"):
        tf.estimator.DNNLinearCombinedClassifier(linear_feature_columns=_wide(), linear_sparse_combiner="max")
    est = tf.estimator.DNNLinearCombinedClassifier(model_dir=str(tmp_path), linear_feature_columns=_wide(),
                                                   linear_sparse_combiner="sqrtn")
    features, labels = cc.data("binary")
    est.train(cc.input_fn(features, labels), steps=1)


def test_constructor_errors():
    with pytest.raises(ValueError, match="Either linear_feature_columns or dnn_feature_columns must be defined"):
        tf.estimator.DNNLinearCombinedClassifier()
    with pytest.raises(ValueError, match="dnn_hidden_units must be a list"):
        tf.estimator.DNNLinearCombinedClassifier(dnn_feature_columns=cc.dense_columns())
    with pytest.raises(ValueError, match="dnn_hidden_units is empty"):
        tf.estimator.DNNLinearCombinedRegressor(dnn_feature_columns=cc.dense_columns(), dnn_hidden_units=[])


def test_estimator_with_a_head(tmp_path):
    head = tf.contrib.estimator.binary_classification_head()
    metrics, _, _ = cc.run_contract(
        lambda: tf.estimator.DNNLinearCombinedEstimator(
            head, model_dir=str(tmp_path), linear_feature_columns=_wide(), dnn_feature_columns=cc.dense_columns(),
            dnn_hidden_units=HIDDEN, linear_optimizer="Adagrad", dnn_optimizer=tf.train.AdamOptimizer(0.05)),
        "binary", steps=100)
    assert metrics["accuracy"] > 0.8


def test_warm_start(tmp_path):
    features, labels = cc.data("binary")
    kwargs = {"linear_feature_columns": _wide(), "dnn_feature_columns": cc.dense_columns(), "dnn_hidden_units": HIDDEN}
    source = tf.estimator.DNNLinearCombinedClassifier(model_dir=str(tmp_path / "a"), **kwargs)
    source.train(cc.input_fn(features, labels), steps=10)
    still = tf.train.GradientDescentOptimizer(1e-30)
    est = tf.estimator.DNNLinearCombinedClassifier(model_dir=str(tmp_path / "b"), linear_optimizer=still,
                                                   dnn_optimizer=still, warm_start_from=str(tmp_path / "a"), **kwargs)
    est.train(cc.input_fn(features, labels), steps=1)
    for name in ("linear/linear_model/color/weights", "dnn/hiddenlayer_0/kernel"):
        np.testing.assert_allclose(est.get_variable_value(name), source.get_variable_value(name))


_TF_PREDICTS = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
model_dir, data = sys.argv[1], np.load(sys.argv[2], allow_pickle=True)
fc = tf.feature_column
color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
city = fc.categorical_column_with_hash_bucket("city", 10)
wide = [color, city, fc.crossed_column([color, "city"], 20)]
deep = [fc.numeric_column("x", shape=(2,)), fc.embedding_column(city, 3), fc.indicator_column(color)]
est = tf.estimator.DNNLinearCombinedClassifier(model_dir=model_dir, linear_feature_columns=wide,
                                               dnn_feature_columns=deep, dnn_hidden_units=[5, 4], n_classes=3)
features = {k: data[k] for k in ("x", "color", "city")}
input_fn = lambda: tf.data.Dataset.from_tensor_slices(features).batch(8)
probabilities = [p["probabilities"].tolist() for p in est.predict(input_fn)]
print(json.dumps({"probabilities": probabilities, "variables": sorted(est.get_variable_names())}))
"""


@pytest.mark.interop
def test_real_tensorflow_predicts_from_an_estflow_model_dir(tmp_path, tf_python):
    # The same estimator in TF 1.x restores estflow's checkpoint by TF1's variable names and predicts the same.
    from tests.interop import run_tensorflow  # the interop helper runs only with real TensorFlow present

    fc = tf.feature_column
    color = fc.categorical_column_with_vocabulary_list("color", cc.COLORS)
    city = fc.categorical_column_with_hash_bucket("city", 10)
    wide = [color, city, fc.crossed_column([color, "city"], 20)]
    deep = [fc.numeric_column("x", shape=(2,)), fc.embedding_column(city, 3), fc.indicator_column(color)]
    features, labels = cc.data("multi", n=40)
    features = {"x": features["x"], "color": features["color"],
                "city": np.array([f"c{i % 7}".encode() for i in range(40)], dtype=object)}
    est = tf.estimator.DNNLinearCombinedClassifier(model_dir=str(tmp_path / "model"), linear_feature_columns=wide,
                                                   dnn_feature_columns=deep, dnn_hidden_units=[5, 4], n_classes=3)
    est.train(cc.input_fn(features, labels, batch=8), steps=20)
    ours = [p["probabilities"] for p in est.predict(cc.predict_fn(features, batch=8))]
    np.savez(tmp_path / "data.npz", **features)
    theirs = run_tensorflow(tf_python, _TF_PREDICTS, tmp_path / "model", tmp_path / "data.npz")
    assert theirs["variables"] == est.get_variable_names()
    np.testing.assert_allclose(np.array(theirs["probabilities"]), np.array(ours), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sparse_combiner", ["sum", "mean"])
def test_plan_fusions_change_no_variable_and_no_checkpoint(tmp_path, monkeypatch, sparse_combiner):
    """The plan's fusions (sparse applies of deduplicated gradients and the gradient gating they make
    moot, see core/plan.py) train wide & deep, crosses and hash buckets included, to the same bits."""
    from estflow.core import plan  # the switch this test turns

    fc = tf.feature_column
    x, color = cc.columns()
    city = fc.categorical_column_with_hash_bucket("city", 7)
    wide = [x, color, city, fc.crossed_column([color, "city"], 11)]
    deep = [x, fc.indicator_column(color), fc.embedding_column(city, 3)]
    features, labels = cc.data("binary")
    features["city"] = np.array([b"abcdefghij"[i % 10:i % 10 + 1] for i in range(len(labels))], dtype=object)
    values = {}
    for fusion in (True, False):
        monkeypatch.setattr(plan, "FUSION", fusion)
        est = tf.estimator.DNNLinearCombinedClassifier(
            model_dir=str(tmp_path / str(fusion)), linear_feature_columns=wide, dnn_feature_columns=deep,
            dnn_hidden_units=HIDDEN, linear_sparse_combiner=sparse_combiner,
            config=tf.estimator.RunConfig(tf_random_seed=3))
        est.train(cc.input_fn(features, labels), steps=6)
        values[fusion] = {n: est.get_variable_value(n) for n in est.get_variable_names()}
    assert sorted(values[True]) == sorted(values[False])
    assert "linear/linear_model/city_X_color/weights/Ftrl" in values[True]
    for name, value in values[True].items():
        assert np.asarray(value).tobytes() == np.asarray(values[False][name]).tobytes(), name
