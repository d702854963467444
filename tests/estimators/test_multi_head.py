"""MultiHead: split logits, head-weighted loss, (head, key) predictions, merged metrics and export
outputs, and an Estimator trained on two objectives."""

import numpy as np
import pytest

import estflow as tf
from estflow.estimators import export_output

LOGITS = np.array([[-1.0, 1.0, 0.5, 2.0], [2.0, -0.5, 0.0, 1.0]], np.float32)
LABEL_TAGS = np.array([[0, 1, 1], [1, 0, 0]], np.int64)
LABEL_SCORE = np.array([[1.5], [0.5]], np.float32)


def _sigmoid_xent(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def _heads(**kwargs):
    return tf.estimator.MultiHead([tf.estimator.MultiLabelHead(3, name="tags"),
                                   tf.estimator.RegressionHead(name="score")], **kwargs)


def _session():
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer(), tf.tables_initializer()])
    return sess


def _expected_loss(weights=(1.0, 1.0)):
    tags = np.mean(_sigmoid_xent(LABEL_TAGS, LOGITS[:, :3]).mean(axis=1))
    score = np.mean((LOGITS[:, 3:] - LABEL_SCORE) ** 2)
    return weights[0] * tags + weights[1] * score


@pytest.mark.usefixtures("g")
def test_loss_splits_the_logits_and_weights_the_heads():
    head = _heads(head_weights=[2.0, 0.5])
    assert head.name == "tags_score" and head.logits_dimension == 4
    labels = {"tags": tf.constant(LABEL_TAGS), "score": tf.constant(LABEL_SCORE)}
    loss = head.loss(labels=labels, logits=tf.constant(LOGITS))
    as_dict = head.loss(labels=labels, logits={"tags": tf.constant(LOGITS[:, :3]), "score": tf.constant(LOGITS[:, 3:])})
    with _session() as sess:
        assert sess.run(loss) == pytest.approx(_expected_loss((2.0, 0.5)), rel=1e-6)
        assert sess.run(as_dict) == pytest.approx(_expected_loss((2.0, 0.5)), rel=1e-6)


@pytest.mark.usefixtures("g")
def test_eval_spec_merges_metrics_and_predict_spec_merges_export_outputs():
    head = _heads()
    labels = {"tags": tf.constant(LABEL_TAGS), "score": tf.constant(LABEL_SCORE)}
    spec = head.create_estimator_spec(features={}, mode="eval", logits=tf.constant(LOGITS), labels=labels)
    assert ("tags", "probabilities") in spec.predictions and ("score", "predictions") in spec.predictions
    assert {"loss/tags", "loss/score", "average_loss/tags", "auc/tags", "average_loss/score", "label/mean/score",
            "prediction/mean/score"} <= set(spec.eval_metric_ops)
    with _session() as sess:
        sess.run({k: v[1] for k, v in spec.eval_metric_ops.items()})
        metrics = sess.run({k: v[0] for k, v in spec.eval_metric_ops.items()})
        assert sess.run(spec.loss) == pytest.approx(_expected_loss(), rel=1e-6)
    assert metrics["loss/score"] == pytest.approx(np.mean((LOGITS[:, 3:] - LABEL_SCORE) ** 2))
    spec = head.create_estimator_spec(features={}, mode="infer", logits=tf.constant(LOGITS))
    outputs = spec.export_outputs
    assert set(outputs) == {"serving_default", "tags", "tags/classification", "tags/predict", "score",
                            "score/regression", "score/predict", "predict"}
    assert isinstance(outputs["serving_default"], export_output.ClassificationOutput)
    assert set(outputs["predict"].outputs) == {"tags/logits", "tags/probabilities", "tags/classes",
                                               "score/predictions"}


def test_constructor_errors():
    with pytest.raises(ValueError, match="Must specify heads"):
        tf.estimator.MultiHead([])
    with pytest.raises(ValueError, match="All given heads must have name specified"):
        tf.estimator.MultiHead([tf.estimator.RegressionHead()])
    with pytest.raises(ValueError, match="same size"):
        _heads(head_weights=[1.0])


@pytest.mark.usefixtures("g")
def test_labels_must_be_a_dict_with_every_head():
    head = _heads()
    with pytest.raises(ValueError, match="labels must be a dict"):
        head.loss(labels=tf.constant(LABEL_SCORE), logits=tf.constant(LOGITS))
    with pytest.raises(ValueError, match=r"labels has missing values for head\(s\): \['score'\]"):
        head.loss(labels={"tags": tf.constant(LABEL_TAGS)}, logits=tf.constant(LOGITS))
    with pytest.raises(ValueError, match="Could not split logits"):
        head.loss(labels={"tags": LABEL_TAGS, "score": LABEL_SCORE}, logits=tf.constant(LOGITS[:, :3]))


def test_estimator_trains_two_objectives_with_contrib_multi_head(tmp_path):
    head = tf.contrib.estimator.multi_head([tf.contrib.estimator.multi_label_head(3, name="tags"),
                                            tf.contrib.estimator.regression_head(name="score")])

    def model_fn(features, labels, mode):
        logits = tf.layers.dense(features["x"], head.logits_dimension)
        return head.create_estimator_spec(features=features, mode=mode, logits=logits, labels=labels,
                                          optimizer=tf.train.GradientDescentOptimizer(0.1))

    x = np.random.RandomState(0).rand(64, 2).astype(np.float32)
    labels = {"tags": (x[:, :1] > np.array([[0.3, 0.5, 0.7]])).astype(np.int64), "score": x[:, :1] * 2}

    def input_fn():
        return tf.data.Dataset.from_tensor_slices(({"x": x}, labels)).repeat().batch(16)

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path))
    before = est.train(input_fn, steps=1).evaluate(input_fn, steps=4)
    after = est.train(input_fn, steps=300).evaluate(input_fn, steps=4)
    assert after["loss/score"] < before["loss/score"] and after["loss/tags"] < before["loss/tags"]
    prediction = next(est.predict(lambda: tf.data.Dataset.from_tensor_slices({"x": x[:4]}).batch(4)))
    assert prediction[("score", "predictions")].shape == (1,)
    assert prediction[("tags", "probabilities")].shape == (3,)
