"""TF's get-started custom Estimator (premade DNN rebuilt in a model_fn) on the iris data set."""

import os

import numpy as np
import pytest

import estflow as tf
from tests import SHARED

IRIS = os.path.join(SHARED, "data", "iris")
COLUMNS = ["SepalLength", "SepalWidth", "PetalLength", "PetalWidth"]


def _load(name):
    path = os.path.join(IRIS, name)
    if not os.path.exists(path):
        pytest.skip(f"iris data set absent: {path}")
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    return {c: data[:, i] for i, c in enumerate(COLUMNS)}, data[:, 4].astype(np.int32)


def my_model(features, labels, mode, params):
    """TF's custom_estimator.py: input_layer, hidden dense layers, logits; Adagrad on the cross entropy."""
    net = tf.feature_column.input_layer(features, params["feature_columns"])
    for units in params["hidden_units"]:
        net = tf.layers.dense(net, units=units, activation=tf.nn.relu)
    logits = tf.layers.dense(net, params["n_classes"], activation=None)
    predicted_classes = tf.argmax(logits, 1)
    if mode == tf.estimator.ModeKeys.PREDICT:
        predictions = {"class_ids": predicted_classes[:, tf.newaxis], "probabilities": tf.nn.softmax(logits),
                       "logits": logits}
        return tf.estimator.EstimatorSpec(mode, predictions=predictions)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=labels, logits=logits)
    accuracy = tf.metrics.accuracy(labels=labels, predictions=predicted_classes, name="acc_op")
    metrics = {"accuracy": accuracy}
    tf.summary.scalar("accuracy", accuracy[1])
    if mode == tf.estimator.ModeKeys.EVAL:
        return tf.estimator.EstimatorSpec(mode, loss=loss, eval_metric_ops=metrics)
    optimizer = tf.train.AdagradOptimizer(learning_rate=0.1)
    train_op = optimizer.minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def train_input_fn(features, labels, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    return dataset.shuffle(1000).repeat().batch(batch_size)


def eval_input_fn(features, labels, batch_size):
    inputs = dict(features) if labels is None else (dict(features), labels)
    return tf.data.Dataset.from_tensor_slices(inputs).batch(batch_size)


def test_iris_custom_estimator_reaches_tf_accuracy(tmp_path):
    train_x, train_y = _load("iris_training.csv")
    test_x, test_y = _load("iris_test.csv")
    classifier = tf.estimator.Estimator(
        model_fn=my_model, model_dir=str(tmp_path),
        config=tf.estimator.RunConfig(tf_random_seed=42),
        params={"feature_columns": [tf.feature_column.numeric_column(key=c) for c in COLUMNS],
                "hidden_units": [10, 10], "n_classes": 3})
    classifier.train(input_fn=lambda: train_input_fn(train_x, train_y, 100), steps=1000)
    result = classifier.evaluate(input_fn=lambda: eval_input_fn(test_x, test_y, 100))
    assert result["accuracy"] >= 0.93 and result["global_step"] == 1000
    predictions = list(classifier.predict(input_fn=lambda: eval_input_fn(test_x, None, 100)))
    classes = np.array([p["class_ids"][0] for p in predictions])
    assert len(classes) == len(test_y) and np.mean(classes == test_y) == pytest.approx(result["accuracy"])
    np.testing.assert_allclose([p["probabilities"].sum() for p in predictions], 1.0, rtol=1e-5)
