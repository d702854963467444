"""The Estimator contract every canned estimator's tests run: train, evaluate, predict, resume.

Small in-memory data sets with a learnable signal: binary and 3-class classification (integer or
string labels, with or without a weight feature) and regression, built from a numeric feature
"x" (2 values) and a categorical feature "color".
"""

from __future__ import annotations

import numpy as np

import estflow as tf

COLORS = ["red", "green", "blue"]
CLASS_NAMES = ["cat", "dog", "eel"]


def columns():
    fc = tf.feature_column
    return fc.numeric_column("x", shape=(2,)), fc.categorical_column_with_vocabulary_list("color", COLORS)


def dense_columns():
    x, color = columns()
    return [x, tf.feature_column.embedding_column(color, 2)]


def data(task, n=120, seed=0):
    """(features, labels) as numpy: task is 'binary', 'multi', 'strings' (3 string classes) or 'regression'."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2)).astype(np.float32)
    color_ids = rng.integers(0, 3, n)
    features = {"x": x, "color": np.array([COLORS[i].encode() for i in color_ids], dtype=object),
                "w": rng.uniform(0.5, 2.0, n).astype(np.float32)}
    score = x[:, 0] + 0.5 * x[:, 1] + (color_ids == 0) - 0.5
    if task == "binary":
        labels = (score > 0).astype(np.int64).reshape(-1, 1)
    elif task in ("multi", "strings"):
        ids = np.digitize(score, [-0.5, 0.5])
        labels = ids.reshape(-1, 1) if task == "multi" else np.array(
            [CLASS_NAMES[i].encode() for i in ids], dtype=object).reshape(-1, 1)
    else:
        labels = (2.0 * x[:, 0] - x[:, 1] + 1.5 * (color_ids == 0)).astype(np.float32).reshape(-1, 1)
    return features, labels


def input_fn(features, labels, batch=20, epochs=None, shuffle=True):
    def fn():
        ds = tf.data.Dataset.from_tensor_slices((dict(features), labels))
        if shuffle:
            ds = ds.shuffle(200, seed=1)
        return ds.repeat(epochs).batch(batch)
    return fn


def predict_fn(features, batch=20):
    def fn():
        return tf.data.Dataset.from_tensor_slices(dict(features)).batch(batch)
    return fn


def run_contract(make_estimator, task, steps=60):
    """Train `steps`, evaluate, predict, train again (resuming): returns (metrics, predictions, estimator)."""
    features, labels = data(task)
    est = make_estimator()
    est.train(input_fn(features, labels), steps=steps)
    assert est.get_variable_value("global_step") == steps
    metrics = est.evaluate(input_fn(features, labels, epochs=1, shuffle=False))
    assert metrics["global_step"] == steps
    assert np.isfinite(metrics["loss"]) and np.isfinite(metrics["average_loss"])
    predictions = list(est.predict(predict_fn(features)))
    assert len(predictions) == len(labels)
    before = {name: est.get_variable_value(name) for name in est.get_variable_names()}
    est.train(input_fn(features, labels), steps=5)  # resumes from the checkpoint
    assert est.get_variable_value("global_step") == steps + 5
    changed = [n for n in before if n != "global_step" and not np.array_equal(before[n], est.get_variable_value(n))]
    assert changed, "resumed training moved no variable"
    return metrics, predictions, est
