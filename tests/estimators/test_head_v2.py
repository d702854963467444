"""`tf.estimator`'s head classes (BinaryClassHead, ...): TF's arguments and SUM_OVER_BATCH_SIZE
default, the v2 `loss` / `predictions` methods, v2's create_estimator_spec arguments, and their
losses and prediction keys against real TensorFlow's."""


import numpy as np
import pytest

import estflow as tf
from estflow.core import errors


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _sigmoid_xent(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


LOGITS = np.array([[-1.0], [2.0], [0.5], [0.1]], np.float32)
LABELS = np.array([[0], [1], [0], [1]], np.int64)
WEIGHTS = np.array([1.0, 2.0, 3.0, 0.5], np.float32)


def _session():
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer(), tf.tables_initializer()])
    return sess


@pytest.mark.usefixtures("g")
def test_loss_defaults_to_sum_over_batch_size_and_adds_regularization():
    head = tf.estimator.BinaryClassHead(weight_column="w")
    assert head.loss_reduction == tf.losses.Reduction.SUM_OVER_BATCH_SIZE and head.logits_dimension == 1
    loss = head.loss(labels=tf.constant(LABELS), logits=tf.constant(LOGITS), features={"w": tf.constant(WEIGHTS)},
                     regularization_losses=[tf.constant(0.25)])
    with _session() as sess:
        expected = np.sum(_sigmoid_xent(LABELS, LOGITS)[:, 0] * WEIGHTS) / 4 + 0.25
        assert sess.run(loss) == pytest.approx(expected, rel=1e-6)


@pytest.mark.usefixtures("g")
def test_predictions_with_keys():
    head = tf.estimator.MultiClassHead(3, label_vocabulary=["a", "b", "c"])
    logits = tf.constant([[1.0, 2.0, 0.0]])
    assert set(head.predictions(logits)) == {"logits", "probabilities", "class_ids", "classes", "all_class_ids",
                                             "all_classes"}
    predictions = head.predictions(logits, keys=["classes"])
    with _session() as sess:
        assert sess.run(predictions) == {"classes": [[b"b"]]}
    with pytest.raises(ValueError, match="Prediction key must be in PredictionKeys, given: nope"):
        head.predictions(logits, keys=["nope"])
    with pytest.raises(ValueError, match="is not one of this head's"):
        head.predictions(logits, keys=["logistic"])
    labels_head = tf.estimator.MultiLabelHead(2, label_vocabulary=["x", "y"])
    with _session() as sess:
        out = sess.run(labels_head.predictions(tf.constant([[0.0, 1.0]])))
    np.testing.assert_array_equal(out["classes"], [[b"x", b"y"]])
    np.testing.assert_allclose(out["probabilities"], _sigmoid(np.array([[0.0, 1.0]])), rtol=1e-6)


@pytest.mark.usefixtures("g")
def test_create_estimator_spec_takes_trainable_variables_and_update_ops():
    x = tf.Variable([[0.0]], name="x")
    frozen = tf.Variable([[0.0]], name="frozen")
    counter = tf.Variable(0, name="counter")
    tf.train.get_or_create_global_step()
    head = tf.estimator.RegressionHead()
    spec = head.create_estimator_spec(features={}, mode="train", logits=tf.tile(x + frozen, [2, 1]),
                                      labels=tf.constant([[1.0], [3.0]]),
                                      optimizer=tf.train.GradientDescentOptimizer(0.1), trainable_variables=[x],
                                      update_ops=[tf.assign_add(counter, 1)])
    with _session() as sess:
        sess.run(spec.train_op)
        # d/dx mean((x - y)^2) over the batch of 2 = ((0 - 1) * 2 + (0 - 3) * 2) / 2 = -4
        assert sess.run(x)[0, 0] == pytest.approx(0.4)
        assert sess.run(frozen)[0, 0] == 0.0 and sess.run(counter) == 1
        summaries = tf.Summary.FromString(sess.run(tf.summary.merge_all()))
    assert [v.tag for v in summaries.value] == ["loss"]  # v2 heads write no average_loss
    with pytest.raises(ValueError, match="not a tf.train.Optimizer"):
        head.create_estimator_spec(features={}, mode="train", logits=tf.constant([[1.0]]), labels=[[1.0]],
                                   optimizer="Adagrad")
    with pytest.raises(ValueError, match="update_ops should be a list or a tuple"):
        head.create_estimator_spec(features={}, mode="train", logits=tf.constant([[1.0]]), labels=[[1.0]],
                                   train_op_fn=lambda loss: tf.no_op(), update_ops=tf.no_op())


@pytest.mark.usefixtures("g")
def test_poisson_and_logistic_regression_heads():
    logits = tf.constant([[0.5], [-1.0]])
    head = tf.estimator.PoissonRegressionHead(compute_full_loss=False)
    labels = np.array([[2.0], [0.0]], np.float32)
    with _session() as sess:
        loss = sess.run(head.loss(labels=tf.constant(labels), logits=logits))
        prediction = sess.run(head.predictions(logits)["predictions"])
    raw = np.array([[0.5], [-1.0]])
    assert loss == pytest.approx(np.mean(np.exp(raw) - labels * raw), rel=1e-6)
    np.testing.assert_allclose(prediction, np.exp(raw), rtol=1e-6)
    head = tf.estimator.LogisticRegressionHead()
    with _session() as sess, pytest.raises(errors.InvalidArgumentError, match=r"Labels must be in range \[0, 1\]"):
        sess.run(head.loss(labels=tf.constant([[2.0], [0.0]]), logits=logits))


def test_constructor_errors_match_tfs():
    with pytest.raises(ValueError, match="n_classes must be > 2"):
        tf.estimator.MultiClassHead(2)
    with pytest.raises(ValueError, match=r"thresholds not in \(0, 1\)"):
        tf.estimator.BinaryClassHead(thresholds=[1.5])
    with pytest.raises(ValueError, match="Invalid loss_reduction"):
        tf.estimator.RegressionHead(loss_reduction="bogus")
    with pytest.raises(ValueError, match="n_classes must be > 1 for multi-label"):
        tf.estimator.MultiLabelHead(1)
    assert isinstance(tf.estimator.PoissonRegressionHead(), tf.estimator.Head)


_TF_V2_HEADS = """
import json, sys
import numpy as np
import tensorflow as tf
v1 = tf.compat.v1
v1.disable_eager_execution()
logits = np.array([[-1.0, 1.0, 0.5], [2.0, -0.5, 0.0]], np.float32)
heads = {
    "binary": (tf.estimator.BinaryClassHead(weight_column="w"), logits[:, :1], np.array([[0], [1]])),
    "multi": (tf.estimator.MultiClassHead(3, weight_column="w"), logits, np.array([[2], [0]])),
    "multi_label": (tf.estimator.MultiLabelHead(3, weight_column="w"), logits, np.array([[0, 1, 1], [1, 0, 0]])),
    "regression": (tf.estimator.RegressionHead(label_dimension=3, weight_column="w"), logits,
                   np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32)),
    "poisson": (tf.estimator.PoissonRegressionHead(weight_column="w"), logits[:, :1],
                np.array([[3.0], [0.0]], np.float32)),
    "logistic": (tf.estimator.LogisticRegressionHead(weight_column="w"), logits[:, :1],
                 np.array([[0.3], [1.0]], np.float32)),
}
out = {}
for name, (head, lg, labels) in heads.items():
    with tf.Graph().as_default():
        features = {"w": tf.constant([2.0, 0.5])}
        loss = head.loss(labels=tf.constant(labels), logits=tf.constant(lg), features=features)
        predictions = head.predictions(tf.constant(lg))
        with v1.Session() as sess:
            sess.run(v1.tables_initializer())
            out[name] = {"loss": float(sess.run(loss)), "keys": sorted(predictions)}
print(json.dumps(out))
"""


@pytest.mark.interop
def test_losses_and_prediction_keys_match_tensorflow_v2_heads(tf_python):
    from tests.interop import run_tensorflow  # noqa: PLC0415 - only interop runs need the subprocess helper

    theirs = run_tensorflow(tf_python, _TF_V2_HEADS)
    logits = np.array([[-1.0, 1.0, 0.5], [2.0, -0.5, 0.0]], np.float32)
    heads = {
        "binary": (tf.estimator.BinaryClassHead(weight_column="w"), logits[:, :1], np.array([[0], [1]])),
        "multi": (tf.estimator.MultiClassHead(3, weight_column="w"), logits, np.array([[2], [0]])),
        "multi_label": (tf.estimator.MultiLabelHead(3, weight_column="w"), logits, np.array([[0, 1, 1], [1, 0, 0]])),
        "regression": (tf.estimator.RegressionHead(label_dimension=3, weight_column="w"), logits,
                       np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32)),
        "poisson": (tf.estimator.PoissonRegressionHead(weight_column="w"), logits[:, :1],
                    np.array([[3.0], [0.0]], np.float32)),
        "logistic": (tf.estimator.LogisticRegressionHead(weight_column="w"), logits[:, :1],
                     np.array([[0.3], [1.0]], np.float32)),
    }
    for name, (head, lg, labels) in heads.items():
        with tf.Graph().as_default():
            features = {"w": tf.constant([2.0, 0.5])}
            loss = head.loss(labels=tf.constant(labels), logits=tf.constant(lg), features=features)
            predictions = head.predictions(tf.constant(lg))
            with _session() as sess:
                assert sess.run(loss) == pytest.approx(theirs[name]["loss"], rel=1e-5), name
        assert sorted(predictions) == theirs[name]["keys"], name
