"""The multi-label head: the class mean of sigmoid cross entropy, dense, sparse and string labels, metrics."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from tests.estimators.test_head import (
    SUM,
    _evaluate,
    _session,
    _sigmoid,
    _sigmoid_xent,
    _spec,
)

ML_LOGITS = np.array([[-1.0, 1.0, 0.5], [2.0, -0.5, 0.0]], np.float32)
ML_LABELS = np.array([[0, 1, 1], [1, 0, 0]], np.int64)


@pytest.mark.usefixtures("g")
def test_multi_label_loss_is_the_class_mean_of_sigmoid_cross_entropy():
    head = tf.contrib.estimator.multi_label_head(3, weight_column="w", loss_reduction=SUM, thresholds=[0.5],
                                                 classes_for_class_based_metrics=[1])
    weights = np.array([2.0, 0.5], np.float32)
    spec = _spec(head, "eval", ML_LOGITS, ML_LABELS, {"w": weights})
    assert set(spec.predictions) == {"logits", "probabilities"}
    loss, metrics = _evaluate(spec)
    per_example = _sigmoid_xent(ML_LABELS, ML_LOGITS).mean(axis=1)
    assert loss == pytest.approx(np.sum(per_example * weights), rel=1e-6)
    assert metrics["average_loss"] == pytest.approx(np.sum(per_example * weights) / weights.sum(), rel=1e-6)
    assert set(metrics) == {"average_loss", "auc", "auc_precision_recall", "accuracy/positive_threshold_0.5",
                            "precision/positive_threshold_0.5", "recall/positive_threshold_0.5",
                            "probability_mean/class1", "auc/class1", "auc_precision_recall/class1"}
    hits = ((_sigmoid(ML_LOGITS) >= 0.5) == ML_LABELS) * weights[:, None]
    assert metrics["accuracy/positive_threshold_0.5"] == pytest.approx(hits.sum() / (3 * weights.sum()))
    assert metrics["probability_mean/class1"] == pytest.approx(
        np.sum(_sigmoid(ML_LOGITS[:, 1]) * weights) / weights.sum(), rel=1e-6)


@pytest.mark.usefixtures("g")
def test_multi_label_sparse_and_string_labels():
    head = tf.contrib.estimator.multi_label_head(3, label_vocabulary=["a", "b", "c"], loss_reduction=SUM)
    labels = tf.SparseTensor(indices=[[0, 0], [0, 1], [1, 0]], values=["b", "c", "a"], dense_shape=[2, 2])
    spec = head.create_estimator_spec(features={}, mode="train", logits=tf.constant(ML_LOGITS), labels=labels,
                                      train_op_fn=lambda loss: tf.no_op())
    with _session() as sess:
        assert sess.run(spec.loss) == pytest.approx(np.sum(_sigmoid_xent(ML_LABELS, ML_LOGITS).mean(axis=1)), rel=1e-6)
    bad = tf.SparseTensor(indices=[[0, 0], [1, 0]], values=["b", "zebra"], dense_shape=[2, 1])
    spec = head.create_estimator_spec(features={}, mode="train", logits=tf.constant(ML_LOGITS), labels=bad,
                                      train_op_fn=lambda loss: tf.no_op())
    with _session() as sess, pytest.raises(errors.InvalidArgumentError, match="zebra"):
        sess.run(spec.loss)
    head = tf.contrib.estimator.multi_label_head(3)
    spec = _spec(head, "train", ML_LOGITS, np.array([[0, 2, 1], [1, 0, 0]], np.int64))
    with _session() as sess, pytest.raises(errors.InvalidArgumentError, match="indicator"):
        sess.run(spec.loss)
    with pytest.raises(ValueError, match="Length of label_vocabulary must be n_classes"):
        tf.contrib.estimator.multi_label_head(3, label_vocabulary=["a", "b"])
    with pytest.raises(ValueError, match="n_classes must be > 1"):
        tf.contrib.estimator.multi_label_head(1)
