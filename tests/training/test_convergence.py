"""End to end: models built from layers, losses, optimizers and metrics actually learn."""


import numpy as np
import pytest

import estflow as tf
from tests import SHARED_DATA

IRIS = SHARED_DATA / "iris"


def _batches(x, y, batch_size, epochs, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            yield x[idx], y[idx]


def test_logistic_regression_converges():
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((400, 2)).astype(np.float32)
    y_data = (x_data @ np.array([2.0, -3.0]) + 0.5 > 0).astype(np.float32).reshape(-1, 1)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 2])
        y = tf.placeholder(tf.float32, [None, 1])
        logits = tf.layers.dense(x, 1)
        loss = tf.losses.sigmoid_cross_entropy(y, logits)
        train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        acc, acc_update = tf.metrics.accuracy(y, tf.cast(logits > 0, tf.float32))
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
            first = sess.run(loss, {x: x_data, y: y_data})
            for xb, yb in _batches(x_data, y_data, 32, 20):
                sess.run(train_op, {x: xb, y: yb})
            last = sess.run(loss, {x: x_data, y: y_data})
            sess.run(acc_update, {x: x_data, y: y_data})
            assert last < first / 4
            assert sess.run(acc) > 0.97


def test_small_mlp_learns_xor_with_adam():
    rng = np.random.default_rng(1)
    x_data = rng.uniform(-1, 1, (512, 2)).astype(np.float32)
    y_data = ((x_data[:, 0] * x_data[:, 1]) > 0).astype(np.int64)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [None, 2])
        y = tf.placeholder(tf.int64, [None])
        h = tf.layers.dense(x, 16, activation=tf.nn.relu)
        h = tf.layers.dense(h, 16, activation=tf.nn.relu)
        logits = tf.layers.dense(h, 2)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        global_step = tf.train.get_or_create_global_step()
        train_op = tf.train.AdamOptimizer(0.02).minimize(loss, global_step=global_step)
        correct = tf.equal(tf.argmax(logits, axis=1), y)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for xb, yb in _batches(x_data, y_data, 64, 60):
                sess.run(train_op, {x: xb, y: yb})
            assert sess.run(global_step) == 60 * 8
            assert sess.run(accuracy, {x: x_data, y: y_data}) > 0.93


def test_iris_softmax_classifier_reaches_tf_accuracy():
    train_file, test_file = IRIS / "iris_training.csv", IRIS / "iris_test.csv"
    if not train_file.exists():
        pytest.skip(f"{train_file} is absent")

    def load(path):
        rows = np.loadtxt(path, delimiter=",", skiprows=1)
        return rows[:, :4].astype(np.float32), rows[:, 4].astype(np.int32)

    x_train, y_train = load(train_file)
    x_test, y_test = load(test_file)
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(2)
        x = tf.placeholder(tf.float32, [None, 4])
        y = tf.placeholder(tf.int32, [None])
        h = tf.layers.dense(x, 10, activation=tf.nn.relu)
        h = tf.layers.dense(h, 10, activation=tf.nn.relu)
        logits = tf.layers.dense(h, 3)
        loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
        train_op = tf.train.AdagradOptimizer(0.1).minimize(loss)
        acc, acc_update = tf.metrics.accuracy(y, tf.argmax(logits, axis=1, output_type=tf.int32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for xb, yb in _batches(x_train, y_train, 32, 150):
                sess.run(train_op, {x: xb, y: yb})
            sess.run(tf.local_variables_initializer())
            sess.run(acc_update, {x: x_test, y: y_test})
            assert sess.run(acc) >= 0.9
