"""Baseline estimators: TF1's variable names, the prior/mean they learn, an exact SGD step of the
SUM-reduced loss, and train/evaluate/predict end to end."""

import numpy as np
import pytest

import estflow as tf
from estflow.estimators.baseline import BaselineClassifier, BaselineEstimator, BaselineRegressor
from estflow.estimators.head import _regression_head as regression_head

RNG = np.random.RandomState(0)
X = RNG.rand(200).astype(np.float32)


def _train_fn(x, y, batch_size=50, weights=None):
    features = {"x": x} if weights is None else {"x": x, "w": weights}
    return lambda: tf.data.Dataset.from_tensor_slices((features, y)).repeat().batch(batch_size)


def _eval_fn(x, y, batch_size=50):
    return lambda: tf.data.Dataset.from_tensor_slices(({"x": x}, y)).batch(batch_size)


def _predict_fn(x):
    return lambda: tf.data.Dataset.from_tensor_slices({"x": x}).batch(7)


def test_baseline_classifier_learns_the_prior(tmp_path):
    y = (RNG.rand(200) < 0.3).astype(np.int64)
    est = BaselineClassifier(model_dir=str(tmp_path))
    est.train(_train_fn(X, y), steps=200)
    assert est.get_variable_names() == ["baseline/bias", "baseline/bias/Ftrl", "baseline/bias/Ftrl_1", "global_step"]
    result = est.evaluate(_eval_fn(X, y))
    assert result["global_step"] == 200
    assert result["prediction/mean"] == pytest.approx(y.mean(), abs=0.01)
    assert result["label/mean"] == pytest.approx(y.mean())
    assert result["accuracy"] == pytest.approx(1 - y.mean())
    assert result["accuracy_baseline"] == pytest.approx(1 - y.mean())
    bias = est.get_variable_value("baseline/bias")
    assert bias.shape == (1,)
    assert 1 / (1 + np.exp(-bias[0])) == pytest.approx(y.mean(), abs=0.01)
    predictions = list(est.predict(_predict_fn(X[:10])))
    assert len(predictions) == 10
    assert {p["class_ids"][0] for p in predictions} == {0}
    np.testing.assert_allclose([p["logistic"][0] for p in predictions], y.mean(), atol=0.01)


def test_multi_class_baseline_with_string_labels_learns_class_frequencies(tmp_path):
    vocabulary = ["cat", "dog", "emu"]
    ids = RNG.choice(3, size=200, p=[0.2, 0.5, 0.3])
    y = np.array([vocabulary[i] for i in ids], dtype=object)
    est = BaselineClassifier(model_dir=str(tmp_path), n_classes=3, label_vocabulary=vocabulary,
                             optimizer=lambda: tf.train.GradientDescentOptimizer(0.01))
    est.train(_train_fn(X, y), steps=300)
    bias = est.get_variable_value("baseline/bias")
    probabilities = np.exp(bias) / np.exp(bias).sum()
    np.testing.assert_allclose(probabilities, np.bincount(ids, minlength=3) / 200, atol=0.01)
    prediction = next(est.predict(_predict_fn(X[:3])))
    assert prediction["classes"][0] == b"dog"
    np.testing.assert_array_equal(prediction["all_classes"], [b"cat", b"dog", b"emu"])
    assert est.evaluate(_eval_fn(X, y))["accuracy"] == pytest.approx(np.mean(ids == 1))


def test_one_sgd_step_of_the_sum_reduced_loss_matches_numpy(tmp_path):
    y = np.array([1, 0, 1, 1], np.int64)
    weights = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    est = BaselineClassifier(model_dir=str(tmp_path), weight_column="w",
                             optimizer=tf.train.GradientDescentOptimizer(0.1))
    est.train(_train_fn(X[:4], y, batch_size=4, weights=weights), steps=1)
    # d/db sum_i w_i * xent(y_i, b) = sum_i w_i * (sigmoid(b) - y_i) at b = 0
    expected = -0.1 * np.sum(weights * (0.5 - y))
    assert est.get_variable_value("baseline/bias")[0] == pytest.approx(expected, rel=1e-6)


def test_baseline_regressor_learns_the_weighted_mean(tmp_path):
    y = (RNG.rand(200, 2) * [1.0, 10.0]).astype(np.float32)
    weights = RNG.rand(200).astype(np.float32) + 0.5
    est = BaselineRegressor(model_dir=str(tmp_path), label_dimension=2, weight_column="w",
                            optimizer=lambda: tf.train.GradientDescentOptimizer(0.004))
    est.train(_train_fn(X, y, weights=weights), steps=300)
    expected = (y * weights[:, None]).sum(axis=0) / weights.sum()
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), expected, rtol=0.02)
    result = est.evaluate(lambda: tf.data.Dataset.from_tensor_slices(({"x": X, "w": weights}, y)).batch(50))
    np.testing.assert_allclose(result["label/mean"], expected.mean(), rtol=1e-5)
    assert set(result) == {"average_loss", "label/mean", "prediction/mean", "loss", "global_step"}
    prediction = next(est.predict(_predict_fn(X[:2])))
    np.testing.assert_allclose(prediction["predictions"], expected, rtol=0.02)


def test_baseline_estimator_takes_any_head(tmp_path):
    y = np.full((200, 1), 4.0, np.float32)
    est = BaselineEstimator(head=regression_head(), model_dir=str(tmp_path),
                            optimizer=tf.train.GradientDescentOptimizer(0.005))
    est.train(_train_fn(X, y), steps=100)
    assert est.get_variable_value("baseline/bias")[0] == pytest.approx(4.0, rel=1e-3)


def test_unknown_optimizer_name_and_featureless_input_are_refused(tmp_path):
    y = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="Unsupported optimizer name: Adadelta"):
        BaselineClassifier(model_dir=str(tmp_path / "a"), optimizer="Adadelta").train(_train_fn(X[:4], y), steps=1)
    featureless = BaselineClassifier(model_dir=str(tmp_path / "b"), weight_column="w")
    with pytest.raises(ValueError, match="at least one feature besides the weight column"):
        featureless.train(lambda: tf.data.Dataset.from_tensor_slices(({"w": X[:4]}, y)).batch(2), steps=1)


_TF_BASELINES = """
import json, sys, tempfile
import numpy as np
import tensorflow as tf
v1 = tf.compat.v1
x = np.arange(12, dtype=np.float32)
y = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1], np.int64)
w = np.linspace(0.5, 2.0, 12).astype(np.float32)
yr = (x * 0.5 + 1.0).reshape(-1, 1).astype(np.float32)
def input_fn(labels):
    return lambda: tf.data.Dataset.from_tensor_slices(({"x": x, "w": w}, labels)).repeat().batch(4)
out = {}
est = v1.estimator.BaselineClassifier(model_dir=tempfile.mkdtemp(), weight_column="w")
est.train(input_fn(y), steps=5)
out["binary"] = est.get_variable_value("baseline/bias").tolist()
out["names"] = est.get_variable_names()
out["eval"] = {k: float(v) for k, v in est.evaluate(input_fn(y), steps=3).items()}
est = v1.estimator.BaselineClassifier(model_dir=tempfile.mkdtemp(), n_classes=3)
est.train(input_fn(y + (x > 8).astype(np.int64)), steps=5)
out["multi"] = est.get_variable_value("baseline/bias").tolist()
est = v1.estimator.BaselineRegressor(model_dir=tempfile.mkdtemp(), optimizer="Adagrad")
est.train(input_fn(yr), steps=5)
out["regressor"] = est.get_variable_value("baseline/bias").tolist()
print(json.dumps(out))
"""


@pytest.mark.interop
def test_bias_after_five_steps_and_metrics_match_tensorflow(tf_python, tmp_path):
    from tests.interop import run_tensorflow  # noqa: PLC0415 - only interop runs need the subprocess helper

    theirs = run_tensorflow(tf_python, _TF_BASELINES)
    x = np.arange(12, dtype=np.float32)
    y = np.array([0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1], np.int64)
    w = np.linspace(0.5, 2.0, 12).astype(np.float32)
    yr = (x * 0.5 + 1.0).reshape(-1, 1).astype(np.float32)

    def input_fn(labels):
        return lambda: tf.data.Dataset.from_tensor_slices(({"x": x, "w": w}, labels)).repeat().batch(4)

    est = BaselineClassifier(model_dir=str(tmp_path / "binary"), weight_column=tf.feature_column.numeric_column("w"))
    est.train(input_fn(y), steps=5)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), theirs["binary"], rtol=1e-5)
    assert est.get_variable_names() == theirs["names"]
    ours = est.evaluate(input_fn(y), steps=3)
    assert set(ours) == set(theirs["eval"])
    for key, value in theirs["eval"].items():
        assert ours[key] == pytest.approx(value, rel=1e-5, abs=1e-6), key
    est = BaselineClassifier(model_dir=str(tmp_path / "multi"), n_classes=3)
    est.train(input_fn(y + (x > 8).astype(np.int64)), steps=5)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), theirs["multi"], rtol=1e-5, atol=1e-7)
    est = BaselineRegressor(model_dir=str(tmp_path / "regressor"), optimizer="Adagrad")
    est.train(input_fn(yr), steps=5)
    np.testing.assert_allclose(est.get_variable_value("baseline/bias"), theirs["regressor"], rtol=1e-5)


def test_weight_column_must_be_a_string_or_numeric_column(tmp_path):
    est = BaselineRegressor(model_dir=str(tmp_path), weight_column=tf.feature_column.categorical_column_with_identity(
        "w", num_buckets=3))
    with pytest.raises(TypeError, match="Weight column must be either a string or _NumericColumn"):
        est.train(_train_fn(X[:4], np.zeros((4, 1), np.float32), weights=np.ones(4, np.int64)), steps=1)


def _examples(values):
    out = []
    for value in values:
        example = tf.train.Example()
        example.features.feature["x"].float_list.value.append(float(value))
        out.append(example.SerializeToString())
    return out


def test_exported_classifier_serves_tf1s_signatures(tmp_path):
    vocabulary = ["cat", "dog", "emu"]
    y = np.array(["dog", "emu", "dog", "cat"], dtype=object)
    est = BaselineClassifier(model_dir=str(tmp_path / "model"), n_classes=3, label_vocabulary=vocabulary)
    est.train(_train_fn(X[:4], y, batch_size=4), steps=20)
    expected = next(est.predict(_predict_fn(X[:1])))
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn({"x": tf.FixedLenFeature([1], tf.float32)})
    path = est.export_saved_model(str(tmp_path / "export"), receiver)
    with tf.Graph().as_default(), tf.Session() as sess:
        signatures = tf.saved_model.loader.load(sess, ["serve"], path).signature_def
        assert set(signatures) == {"serving_default", "classification", "predict"}
        classify = signatures["classification"]
        assert classify.method_name == "tensorflow/serving/classify"
        feed = {classify.inputs["inputs"].name: _examples([0.5, 2.0])}
        scores, classes = sess.run([classify.outputs["scores"].name, classify.outputs["classes"].name], feed)
        predict = signatures["predict"]
        assert {"logits", "probabilities", "class_ids", "classes", "all_class_ids", "all_classes"} == \
            set(predict.outputs)
        class_ids = sess.run(predict.outputs["class_ids"].name, {predict.inputs["examples"].name: _examples([1.0])})
    np.testing.assert_allclose(scores, [expected["probabilities"]] * 2, rtol=1e-6)
    np.testing.assert_array_equal(classes, [[b"cat", b"dog", b"emu"]] * 2)
    assert class_ids.tolist() == [[1]]


def test_exported_regressor_serves_the_regression_signature(tmp_path):
    y = np.full((4, 1), 2.5, np.float32)
    est = BaselineRegressor(model_dir=str(tmp_path / "model"), optimizer=tf.train.GradientDescentOptimizer(0.1))
    est.train(_train_fn(X[:4], y, batch_size=4), steps=30)
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn({"x": tf.FixedLenFeature([1], tf.float32)})
    path = est.export_saved_model(str(tmp_path / "export"), receiver)
    with tf.Graph().as_default(), tf.Session() as sess:
        signatures = tf.saved_model.loader.load(sess, ["serve"], path).signature_def
        assert set(signatures) == {"serving_default", "regression", "predict"}
        regress = signatures["regression"]
        assert regress.method_name == "tensorflow/serving/regress"
        outputs = sess.run(regress.outputs["outputs"].name, {regress.inputs["inputs"].name: _examples([0.0, 1.0])})
    np.testing.assert_allclose(outputs.ravel(), est.get_variable_value("baseline/bias")[0], rtol=1e-6)
