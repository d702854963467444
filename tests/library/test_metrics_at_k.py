"""Top-k streaming metrics (estflow/library/metrics_at_k.py). The expected numbers are what TensorFlow
2.15.1's tf.compat.v1.metrics returns for the same inputs (run once, written here)."""

import numpy as np
import pytest

import estflow as tf

LABELS = [[0, 2], [1, -1]]  # row 1 is padded with -1, which TF counts as a label for precision and recall
PREDICTIONS = [[0.9, 0.1, 0.5, 0.0], [0.2, 0.3, 0.1, 0.8]]


@pytest.mark.usefixtures("g")
def test_values_match_tensorflow():
    labels = tf.constant(LABELS, tf.int64)
    predictions = tf.constant(PREDICTIONS)
    metrics = [
        tf.metrics.precision_at_k(labels, predictions, 2),
        tf.metrics.recall_at_k(labels, predictions, 2),
        tf.metrics.precision_at_k(labels, predictions, 2, class_id=3),
        tf.metrics.average_precision_at_k(labels, predictions, 2),
        tf.metrics.precision_at_k(labels, predictions, 2, weights=tf.constant([1.0, 3.0])),
        tf.metrics.recall_at_top_k(labels, tf.constant([[2, 1], [1, 0]], tf.int64), k=1),
    ]
    names = [v.op.name for v in tf.local_variables()]
    assert names[:4] == ["precision_at_2/true_positive_at_2", "precision_at_2/false_positive_at_2",
                         "recall_at_2/true_positive_at_2", "recall_at_2/false_negative_at_2"]
    assert "precision_at_2_class3/true_positive_at_2_class3" in names
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        assert np.isnan(sess.run(metrics[0][0]))  # nothing counted yet: 0 / 0
        updates = sess.run([update for _, update in metrics])
        values = sess.run([value for value, _ in metrics])
    np.testing.assert_allclose(updates, [0.75, 0.75, 0.0, 0.75, 0.625, 0.5])
    np.testing.assert_allclose(values, updates)


@pytest.mark.usefixtures("g")
def test_sparse_labels_and_streaming():
    labels = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([0, 2, 1], tf.int64), [2, 2])
    predictions = tf.placeholder(tf.float32, [2, 4])
    recall, update = tf.metrics.recall_at_k(labels, predictions, 2)
    precision, precision_update = tf.metrics.sparse_precision_at_k(labels, predictions, 1)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        sess.run([update, precision_update], {predictions: PREDICTIONS})
        assert sess.run(recall) == 1.0  # a SparseTensor's empty place is no label
        sess.run([update, precision_update], {predictions: [[0, 0, 0, 1.0], [0, 0, 0, 1.0]]})
        assert np.isclose(sess.run(recall), 4 / 6) and np.isclose(sess.run(precision), 1 / 4)


@pytest.mark.usefixtures("g")
def test_average_precision_details():
    labels = tf.constant([[1, 3, -1]], tf.int64)  # -1 is outside [0, 4): ignored here
    value, update = tf.metrics.sparse_average_precision_at_k(labels, tf.constant([[0.1, 0.9, 0.3, 0.2]]), 3)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        # top 3: 1 (hit, precision 1), 2 (miss), 3 (hit, precision 2/3) -> (1 + 2/3) / min(3, 2)
        assert np.isclose(sess.run(update), (1 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="Invalid k"):
        tf.metrics.average_precision_at_k(labels, tf.constant([[0.1, 0.9, 0.3, 0.2]]), 0)
