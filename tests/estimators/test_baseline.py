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
