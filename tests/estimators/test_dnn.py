"""DNNClassifier / DNNRegressor / DNNEstimator: TF 1.x's arguments, variables, layers and errors."""

import json

import numpy as np
import pytest

import estflow as tf
from tests import SHARED_GOLDEN
from tests.estimators import canned_contract as cc

HIDDEN = [8, 4]


@pytest.mark.parametrize("task, kwargs", [
    ("binary", {}),
    ("multi", {"n_classes": 3}),
    ("binary", {"weight_column": "w"}),
    ("strings", {"n_classes": 3, "label_vocabulary": cc.CLASS_NAMES}),
], ids=["binary", "multi-class", "weighted", "string-labels"])
def test_classifier_contract(tmp_path, task, kwargs):
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.DNNClassifier(HIDDEN, cc.dense_columns(), model_dir=str(tmp_path),
                                           optimizer=tf.train.AdamOptimizer(0.05), **kwargs), task, steps=100)
    assert metrics["accuracy"] > 0.8
    n = kwargs.get("n_classes", 2)
    assert predictions[0]["probabilities"].shape == (n,)
    assert predictions[0]["logits"].shape == ((1,) if n == 2 else (n,))
    if task == "strings":
        assert predictions[0]["classes"][0] in {c.encode() for c in cc.CLASS_NAMES}


def test_regressor_contract(tmp_path):
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.DNNRegressor(HIDDEN, cc.dense_columns(), model_dir=str(tmp_path),
                                          optimizer=tf.train.AdamOptimizer(0.02)), "regression", steps=200)
    _, labels = cc.data("regression")
    assert metrics["average_loss"] < 0.2 * np.var(labels)
    assert predictions[0]["predictions"].shape == (1,)


def test_variable_names_are_tf1s(tmp_path):
    est = tf.estimator.DNNClassifier(HIDDEN, cc.dense_columns(), model_dir=str(tmp_path), n_classes=3)
    features, labels = cc.data("multi")
    est.train(cc.input_fn(features, labels), steps=1)
    names = [n for n in est.get_variable_names() if not n.endswith("/Adagrad")]
    assert names == [
        "dnn/hiddenlayer_0/bias", "dnn/hiddenlayer_0/kernel", "dnn/hiddenlayer_1/bias", "dnn/hiddenlayer_1/kernel",
        "dnn/input_from_feature_columns/input_layer/color_embedding/embedding_weights",
        "dnn/logits/bias", "dnn/logits/kernel", "global_step"]
    shapes = {n: est.get_variable_value(n).shape for n in names}
    assert shapes["dnn/hiddenlayer_0/kernel"] == (4, 8)  # embedding 2 + x 2
    assert shapes["dnn/logits/kernel"] == (4, 3)
    assert "dnn/hiddenlayer_0/kernel/Adagrad" in est.get_variable_names()  # default Adagrad


def test_golden_dnn_classifier_variables(tmp_path):
    # ../shared/golden/estimator_model_dir: TF's DNNClassifier([3, 3], numeric_column("x", (2,)), 3 classes)
    path = SHARED_GOLDEN / "estimator_model_dir" / "manifest.json"
    if not path.exists():
        pytest.skip("golden estimator_model_dir absent")
    golden = json.loads(path.read_text())["variants"]["v1"]["checkpoint_variables"]
    golden_model = {name: shape for name, shape in golden if "Adagrad" not in name}
    est = tf.estimator.DNNClassifier([3, 3], [tf.feature_column.numeric_column("x", shape=(2,))], n_classes=3,
                                     model_dir=str(tmp_path))
    rng = np.random.default_rng(0)
    est.train(lambda: tf.data.Dataset.from_tensors(({"x": rng.random((8, 2), np.float32)},
                                                    np.zeros((8, 1), np.int64))).repeat(), steps=2)
    ours = {n: list(est.get_variable_value(n).shape) for n in est.get_variable_names() if "Adagrad" not in n}
    assert ours == golden_model


def test_dropout_and_batch_norm(tmp_path):
    est = tf.estimator.DNNClassifier(HIDDEN, cc.dense_columns(), model_dir=str(tmp_path), dropout=0.2,
                                     batch_norm=True, optimizer=tf.train.AdamOptimizer(0.05),
                                     config=tf.estimator.RunConfig(tf_random_seed=1))
    metrics, _, est = cc.run_contract(lambda: est, "binary", steps=100)
    # evaluation normalizes with the moving statistics, which momentum 0.999 (TF1's) moves slowly
    assert metrics["accuracy"] > 0.65
    names = est.get_variable_names()
    for suffix in ("gamma", "beta", "moving_mean", "moving_variance"):
        assert f"dnn/hiddenlayer_1/batchnorm_1/{suffix}" in names
    # the moving statistics were updated by training (UPDATE_OPS run with the train op)
    assert not np.allclose(est.get_variable_value("dnn/hiddenlayer_0/batchnorm_0/moving_mean"), 0)


def test_dropout_applies_only_in_training(g):
    x = tf.feature_column.numeric_column("x", shape=(2,))
    logit_fn = tf.estimator.experimental.dnn_logit_fn_builder(1, [50], [x], tf.nn.relu, 0.9, None, False)
    features = {"x": tf.ones([4, 2])}
    with tf.variable_scope("dnn"):
        eval_logits = logit_fn(features, tf.estimator.ModeKeys.EVAL)
    with tf.variable_scope("dnn", reuse=True):
        train_logits = logit_fn(features, tf.estimator.ModeKeys.TRAIN)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first, second = sess.run(eval_logits), sess.run(eval_logits)
        np.testing.assert_array_equal(first, second)
        assert not np.allclose(sess.run(train_logits), first)


def test_activation_fn(tmp_path, g):
    x = tf.feature_column.numeric_column("x")
    logit_fn = tf.estimator.experimental.dnn_logit_fn_builder(1, [3], [x], tf.nn.tanh, None, None, False)
    with tf.variable_scope("dnn"):
        logit_fn({"x": tf.constant([[1.0]])}, tf.estimator.ModeKeys.PREDICT)
    assert [op.name for op in g.get_operations() if op.type == "Tanh"] == ["dnn/hiddenlayer_0/Tanh"]


def test_layer_summaries_are_tf1s(g):
    x = tf.feature_column.numeric_column("x")
    with tf.variable_scope("dnn"):
        tf.estimator.experimental.dnn_logit_fn_builder(1, [3, 2], [x], tf.nn.relu, None, None, False)(
            {"x": tf.constant([[1.0]])}, tf.estimator.ModeKeys.TRAIN)
    tags = sorted(op.name for op in g.get_operations() if op.type in ("ScalarSummary", "HistogramSummary"))
    assert tags == ["dnn/dnn/hiddenlayer_0/activation", "dnn/dnn/hiddenlayer_0/fraction_of_zero_values",
                    "dnn/dnn/hiddenlayer_1/activation", "dnn/dnn/hiddenlayer_1/fraction_of_zero_values",
                    "dnn/dnn/logits/activation", "dnn/dnn/logits/fraction_of_zero_values"]


@pytest.mark.parametrize("hidden_units, match", [
    ([], "hidden_units is empty"),
    (None, "hidden_units must be a list"),
    ([10, 0], "positive ints"),
])
def test_bad_hidden_units_fail_at_construction(hidden_units, match):
    with pytest.raises(ValueError, match=match):
        tf.estimator.DNNClassifier(hidden_units, cc.dense_columns())


def test_other_constructor_errors():
    with pytest.raises(ValueError, match="dropout"):
        tf.estimator.DNNRegressor([3], cc.dense_columns(), dropout=1.5)
    with pytest.raises(ValueError, match="feature_columns should not be empty"):
        tf.estimator.DNNRegressor([3], [])
    with pytest.raises(ValueError, match="activation_fn"):
        tf.estimator.DNNRegressor([3], cc.dense_columns(), activation_fn="relu!")


def test_categorical_column_needs_wrapping(tmp_path):
    _, color = cc.columns()
    est = tf.estimator.DNNClassifier([3], [color], model_dir=str(tmp_path))
    features, labels = cc.data("binary")
    with pytest.raises(ValueError, match="embedding_column or indicator_column"):
        est.train(cc.input_fn(features, labels), steps=1)


def test_missing_feature_is_named(tmp_path):
    est = tf.estimator.DNNClassifier([3], [tf.feature_column.numeric_column("age")], model_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"Feature age is not in features dictionary.*\['height'\]"):
        est.train(lambda: ({"height": tf.constant([[1.0]])}, tf.constant([[1]])), steps=1)


def test_dnn_estimator_with_a_head(tmp_path):
    head = tf.contrib.estimator.multi_label_head(n_classes=2)
    features, _ = cc.data("binary")
    labels = np.stack([features["x"][:, 0] > 0, features["x"][:, 1] > 0], axis=1).astype(np.int64)
    # Seeded: an unseeded start ended below the bar once in many runs.
    est = tf.estimator.DNNEstimator(head, HIDDEN, cc.dense_columns(), model_dir=str(tmp_path),
                                    optimizer=tf.train.AdamOptimizer(0.05),
                                    config=tf.estimator.RunConfig(tf_random_seed=1))
    est.train(cc.input_fn(features, labels), steps=100)
    metrics = est.evaluate(cc.input_fn(features, labels, epochs=1, shuffle=False))
    assert metrics["auc"] > 0.9
    prediction = next(est.predict(cc.predict_fn(features)))
    assert prediction["probabilities"].shape == (2,)


def test_warm_start_from_a_dnn(tmp_path):
    features, labels = cc.data("binary")
    source = tf.estimator.DNNClassifier(HIDDEN, cc.dense_columns(), model_dir=str(tmp_path / "a"))
    source.train(cc.input_fn(features, labels), steps=10)
    est = tf.estimator.DNNClassifier(HIDDEN, cc.dense_columns(), model_dir=str(tmp_path / "b"),
                                     optimizer=tf.train.GradientDescentOptimizer(1e-30),
                                     warm_start_from=str(tmp_path / "a"))
    est.train(cc.input_fn(features, labels), steps=1)
    for name in ("dnn/hiddenlayer_0/kernel", "dnn/logits/bias",
                 "dnn/input_from_feature_columns/input_layer/color_embedding/embedding_weights"):
        np.testing.assert_allclose(est.get_variable_value(name), source.get_variable_value(name))
