"""Canned heads: TF1's prediction and metric keys, SUM-reduced losses against numpy, metric values
against real TensorFlow's heads, errors with their fixes, and export outputs."""

import json

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.estimators import contrib_head
from estflow.estimators import head as head_lib
from estflow.estimators.metric_keys import MetricKeys
from estflow.estimators.prediction_keys import PredictionKeys

# TF1's canned heads (loss reduced by SUM); tf.contrib.estimator's factories default to SUM_OVER_BATCH_SIZE.
binary_head = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss
multi_class_head = head_lib._multi_class_head_with_softmax_cross_entropy_loss
regression_head = head_lib._regression_head
SUM = tf.losses.Reduction.SUM

CLASS_KEYS = {"logits", "probabilities", "class_ids", "classes", "all_class_ids", "all_classes"}


def _spec(head, mode, logits, labels=None, features=None, **kwargs):
    gs = tf.train.get_or_create_global_step()
    kwargs.setdefault("train_op_fn", lambda loss: tf.assign_add(gs, 1))
    features = {k: tf.constant(v) for k, v in (features or {}).items()}
    labels = None if labels is None else tf.constant(labels)
    return head.create_estimator_spec(features=features, mode=mode, logits=tf.constant(np.asarray(logits, np.float32)),
                                      labels=labels, **kwargs)


def _session():
    sess = tf.Session()
    sess.run([tf.global_variables_initializer(), tf.local_variables_initializer(), tf.tables_initializer()])
    return sess


def _evaluate(spec):
    with _session() as sess:
        sess.run({k: v[1] for k, v in spec.eval_metric_ops.items()})
        return sess.run(spec.loss), sess.run({k: v[0] for k, v in spec.eval_metric_ops.items()})


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _sigmoid_xent(labels, logits):
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


BINARY_LOGITS = np.array([[-1.0], [2.0], [0.5], [0.1]], np.float32)
BINARY_LABELS = np.array([[0], [1], [0], [1]], np.int64)
WEIGHTS = np.array([1.0, 2.0, 3.0, 0.5], np.float32)


# ---- keys --------------------------------------------------------------------------------------------
def test_key_constants_are_tf1s():
    assert (PredictionKeys.LOGISTIC, PredictionKeys.CLASS_IDS, PredictionKeys.ALL_CLASSES) == \
        ("logistic", "class_ids", "all_classes")
    assert (MetricKeys.LOSS_MEAN, MetricKeys.AUC_PR, MetricKeys.ACCURACY_AT_THRESHOLD % 0.5) == \
        ("average_loss", "auc_precision_recall", "accuracy/positive_threshold_0.5")


@pytest.mark.usefixtures("g")
def test_binary_head_predictions_match_tf1s_formulas():
    spec = _spec(binary_head(), "infer", BINARY_LOGITS)
    assert set(spec.predictions) == CLASS_KEYS | {"logistic"}
    with _session() as sess:
        out = sess.run(spec.predictions)
    np.testing.assert_allclose(out["logistic"], _sigmoid(BINARY_LOGITS), rtol=1e-6)
    np.testing.assert_allclose(out["probabilities"], np.hstack([1 - _sigmoid(BINARY_LOGITS), _sigmoid(BINARY_LOGITS)]),
                               rtol=1e-6)
    np.testing.assert_array_equal(out["class_ids"], [[0], [1], [1], [1]])
    assert out["class_ids"].dtype == np.int64 and out["all_class_ids"].dtype == np.int32
    np.testing.assert_array_equal(out["classes"], [[b"0"], [b"1"], [b"1"], [b"1"]])
    np.testing.assert_array_equal(out["all_classes"], [[b"0", b"1"]] * 4)
    np.testing.assert_array_equal(out["all_class_ids"], [[0, 1]] * 4)


@pytest.mark.usefixtures("g")
def test_multi_class_head_predictions_with_label_vocabulary():
    head = multi_class_head(3, label_vocabulary=["a", "b", "c"])
    spec = _spec(head, "infer", [[1.0, 2.0, 0.0], [0.0, 0.0, 3.0]])
    assert set(spec.predictions) == CLASS_KEYS and head.logits_dimension == 3
    with _session() as sess:
        out = sess.run(spec.predictions)
    np.testing.assert_array_equal(out["classes"], [[b"b"], [b"c"]])
    np.testing.assert_array_equal(out["all_classes"], [[b"a", b"b", b"c"]] * 2)
    np.testing.assert_allclose(out["probabilities"].sum(axis=1), 1.0, rtol=1e-6)


@pytest.mark.usefixtures("g")
def test_regression_head_predictions_and_inverse_link():
    assert set(_spec(regression_head(), "infer", [[1.0]]).predictions) == {"predictions"}
    spec = _spec(contrib_head.poisson_regression_head(loss_reduction=SUM), "infer", [[0.0], [1.0]])
    assert set(spec.predictions) == {"predictions", "logits"}
    with _session() as sess:
        np.testing.assert_allclose(sess.run(spec.predictions["predictions"]), np.exp([[0.0], [1.0]]), rtol=1e-6)


# ---- losses (SUM reduction, weights) ----------------------------------------------------------------
@pytest.mark.usefixtures("g")
def test_binary_loss_is_the_weighted_sum_and_average_loss_divides_by_the_weights():
    head = binary_head(weight_column="w")
    spec = _spec(head, "train", BINARY_LOGITS, BINARY_LABELS, {"w": WEIGHTS})
    per_example = _sigmoid_xent(BINARY_LABELS, BINARY_LOGITS)[:, 0]
    with _session() as sess:
        loss, summaries = sess.run([spec.loss, tf.summary.merge_all()])
    assert loss == pytest.approx(np.sum(per_example * WEIGHTS), rel=1e-6)
    values = {v.tag: v.simple_value for v in tf.Summary.FromString(summaries).value}
    assert values["loss"] == pytest.approx(loss)
    assert values["average_loss"] == pytest.approx(loss / WEIGHTS.sum(), rel=1e-6)


@pytest.mark.usefixtures("g")
def test_multi_class_loss_and_other_reductions():
    logits = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [0.3, 0.1, 0.2]], np.float32)
    labels = np.array([1, 2, 2], np.int32)  # rank 1: the head adds the last dimension
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    per_example = -log_softmax[np.arange(3), labels]
    weights = np.array([1.0, 0.5, 2.0], np.float32)
    cases = {tf.losses.Reduction.SUM: np.sum(per_example * weights),
             tf.losses.Reduction.SUM_OVER_BATCH_SIZE: np.sum(per_example * weights) / 3,
             tf.losses.Reduction.MEAN: np.sum(per_example * weights) / weights.sum()}
    for reduction, expected in cases.items():
        head = multi_class_head(3, weight_column="w", loss_reduction=reduction)
        spec = _spec(head, "train", logits, labels, {"w": weights})
        with _session() as sess:
            assert sess.run(spec.loss) == pytest.approx(expected, rel=1e-6), reduction


@pytest.mark.usefixtures("g")
def test_regression_loss_with_label_dimension_and_per_logit_weights():
    logits = np.array([[-1.0, 1.0], [2.0, 0.0]], np.float32)
    labels = np.array([[0.0, 1.0], [1.0, 3.0]], np.float32)
    weights = np.array([[1.0, 2.0], [0.5, 0.0]], np.float32)
    head = regression_head(weight_column=tf.feature_column.numeric_column("w", shape=(2,)), label_dimension=2)
    spec = _spec(head, "eval", logits, labels, {"w": weights})
    loss, metrics = _evaluate(spec)
    assert loss == pytest.approx(np.sum((logits - labels) ** 2 * weights))
    assert metrics["average_loss"] == pytest.approx(np.sum((logits - labels) ** 2 * weights) / weights.sum())
    assert metrics["label/mean"] == pytest.approx(np.sum(labels * weights) / weights.sum())
    assert metrics["prediction/mean"] == pytest.approx(np.sum(logits * weights) / weights.sum())


@pytest.mark.usefixtures("g")
def test_poisson_and_logistic_regression_losses():
    logits = np.array([[0.5], [-1.0]], np.float32)
    labels = np.array([[2.0], [0.0]], np.float32)
    spec = _spec(contrib_head.poisson_regression_head(loss_reduction=SUM), "train", logits, labels)
    stirling = np.where(labels > 1, labels * np.log(np.maximum(labels, 1)) - labels
                        + 0.5 * np.log(2 * np.pi * np.maximum(labels, 1)), 0)
    with _session() as sess:
        assert sess.run(spec.loss) == pytest.approx(np.sum(np.exp(logits) - labels * logits + stirling), rel=1e-5)
    logistic_head = contrib_head.logistic_regression_head(loss_reduction=SUM)
    spec = _spec(logistic_head, "train", logits, np.array([[0.25], [1.0]], np.float32))
    with _session() as sess:
        expected = np.sum(_sigmoid_xent(np.array([[0.25], [1.0]]), logits))
        assert sess.run(spec.loss) == pytest.approx(expected, rel=1e-5)
    spec = _spec(logistic_head, "train", logits, np.array([[1.5], [0.0]], np.float32))
    with _session() as sess, pytest.raises(errors.InvalidArgumentError, match=r"Labels must be in range \[0, 1\]"):
        sess.run(spec.loss)


@pytest.mark.usefixtures("g")
def test_custom_loss_fn_and_regularization_losses():
    def loss_fn(labels, logits):
        return tf.abs(labels - logits)

    head = regression_head(loss_fn=loss_fn)
    spec = _spec(head, "eval", [[1.0], [3.0]], np.array([[0.0], [0.0]], np.float32),
                 regularization_losses=[tf.constant(0.5)])
    loss, metrics = _evaluate(spec)
    assert loss == pytest.approx(4.5)
    assert metrics["regularization_loss"] == pytest.approx(0.5) and metrics["average_loss"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="loss_fn must contain argument: labels"):
        regression_head(loss_fn=lambda logits: logits)
    with pytest.raises(ValueError, match="unexpected args"):
        regression_head(loss_fn=lambda labels, logits, mode: logits)


# ---- metrics ----------------------------------------------------------------------------------------
@pytest.mark.usefixtures("g")
def test_binary_metric_keys_and_values_against_numpy():
    head = binary_head(weight_column="w", thresholds=[0.3, 0.7])
    loss, metrics = _evaluate(_spec(head, "eval", BINARY_LOGITS, BINARY_LABELS, {"w": WEIGHTS}))
    keys = {"average_loss", "accuracy", "precision", "recall", "prediction/mean", "label/mean", "accuracy_baseline",
            "auc", "auc_precision_recall"}
    for t in ("0.3", "0.7"):
        keys |= {f"accuracy/positive_threshold_{t}", f"precision/positive_threshold_{t}",
                 f"recall/positive_threshold_{t}"}
    assert set(metrics) == keys
    labels, w = BINARY_LABELS[:, 0], WEIGHTS
    prob = _sigmoid(BINARY_LOGITS[:, 0])
    pred = (BINARY_LOGITS[:, 0] > 0).astype(int)
    assert metrics["accuracy"] == pytest.approx(np.sum((pred == labels) * w) / w.sum())
    tp = np.sum(w * (pred == 1) * (labels == 1))
    assert metrics["precision"] == pytest.approx(tp / np.sum(w * (pred == 1)))
    assert metrics["recall"] == pytest.approx(tp / np.sum(w * (labels == 1)))
    assert metrics["label/mean"] == pytest.approx(np.sum(labels * w) / w.sum())
    assert metrics["accuracy_baseline"] == pytest.approx(1 - np.sum(labels * w) / w.sum())
    assert metrics["prediction/mean"] == pytest.approx(np.sum(prob * w) / w.sum(), rel=1e-6)
    assert metrics["accuracy/positive_threshold_0.7"] == pytest.approx(np.sum(((prob >= 0.7) == labels) * w) / w.sum())
    assert loss == pytest.approx(np.sum(_sigmoid_xent(labels, BINARY_LOGITS[:, 0]) * w), rel=1e-6)


@pytest.mark.usefixtures("g")
def test_named_head_suffixes_its_metric_keys():
    head = multi_class_head(3, name="task")
    _, metrics = _evaluate(_spec(head, "eval", [[1.0, 2.0, 0.0]], [[1]]))
    assert set(metrics) == {"average_loss/task", "accuracy/task"} and head.name == "task"


@pytest.mark.usefixtures("g")
def test_named_head_suffixes_its_summaries_and_scopes_its_ops():
    head = regression_head(name="price")
    spec = _spec(head, "train", [[1.0], [3.0]], [[0.0], [0.0]], regularization_losses=[tf.constant(0.5)])
    with _session() as sess:
        summaries = tf.Summary.FromString(sess.run(tf.summary.merge_all()))
    values = {v.tag: v.simple_value for v in summaries.value}
    assert values == {"loss/price": pytest.approx(10.5), "average_loss/price": pytest.approx(5.0),
                      "regularization_loss/price": pytest.approx(0.5)}
    assert spec.loss.op.name.startswith("price/")


_TF_HEADS = """
import json, sys
import numpy as np
import tensorflow as tf
from tensorflow_estimator.python.estimator.canned import head as head_lib
tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1
out = []
for kind, logits, labels, weights in json.loads(sys.argv[1]):
    with tf.Graph().as_default():
        feats = {"w": tf.constant(np.array(weights, np.float32))} if weights is not None else {}
        wc = "w" if weights is not None else None
        if kind == "binary":
            h = head_lib._binary_logistic_head_with_sigmoid_cross_entropy_loss(weight_column=wc, thresholds=[0.3, 0.7])
        elif kind == "multi":
            h = head_lib._multi_class_head_with_softmax_cross_entropy_loss(3, weight_column=wc)
        else:
            h = head_lib._regression_head(weight_column=wc, label_dimension=np.array(logits).shape[-1])
        spec = h.create_estimator_spec(features=feats, mode="eval", logits=tf.constant(np.array(logits, np.float32)),
                                       labels=tf.constant(np.array(labels)))
        with v1.Session() as s:
            s.run([v1.global_variables_initializer(), v1.local_variables_initializer(), v1.tables_initializer()])
            s.run({k: v[1] for k, v in spec.eval_metric_ops.items()})
            metrics = s.run({k: v[0] for k, v in spec.eval_metric_ops.items()})
            out.append({"loss": float(s.run(spec.loss)), "metrics": {k: float(v) for k, v in metrics.items()},
                        "predictions": sorted(spec.predictions)})
print(json.dumps(out))
"""

_CASES = [
    ["binary", BINARY_LOGITS.tolist(), BINARY_LABELS.tolist(), WEIGHTS.tolist()],
    ["binary", [[-3.0], [2.0], [0.5], [0.1], [-0.2]], [[0], [1], [0], [1], [1]], None],
    ["multi", [[1.0, 2.0, 0.0], [0.0, 0.0, 3.0], [0.3, 0.1, 0.2]], [[1], [2], [2]], [1.0, 0.5, 2.0]],
    ["regression", [[-1.0], [2.0], [0.5]], [[0.0], [1.0], [1.5]], [2.0, 1.0, 1.0]],
    ["regression", [[-1.0, 1.0], [2.0, 0.0]], [[0.0, 1.0], [1.0, 3.0]], None],
]


@pytest.mark.interop
def test_losses_metrics_and_prediction_keys_match_tensorflow_heads(tf_python):
    from tests.interop import run_tensorflow  # noqa: PLC0415 - only interop runs need the subprocess helper

    theirs = run_tensorflow(tf_python, _TF_HEADS, json.dumps(_CASES))
    for (kind, logits, labels, weights), expected in zip(_CASES, theirs, strict=True):
        with tf.Graph().as_default():
            features = {"w": np.array(weights, np.float32)} if weights is not None else {}
            wc = "w" if weights is not None else None
            if kind == "binary":
                head = binary_head(weight_column=wc, thresholds=[0.3, 0.7])
            elif kind == "multi":
                head = multi_class_head(3, weight_column=wc)
            else:
                head = regression_head(weight_column=wc, label_dimension=np.array(logits).shape[-1])
            spec = _spec(head, "eval", logits, np.array(labels), features)
            loss, metrics = _evaluate(spec)
        assert sorted(spec.predictions) == expected["predictions"], kind
        assert loss == pytest.approx(expected["loss"], rel=1e-5), kind
        assert set(metrics) == set(expected["metrics"]), kind
        for key, value in expected["metrics"].items():
            assert metrics[key] == pytest.approx(value, rel=1e-5, abs=1e-6), (kind, key)


# ---- errors -----------------------------------------------------------------------------------------
@pytest.mark.usefixtures("g")
def test_label_ids_beyond_n_classes_name_the_labels_and_the_fix():
    labels = tf.placeholder(tf.int64, [None, 1])
    gs = tf.train.get_or_create_global_step()
    head = multi_class_head(3)
    spec = head.create_estimator_spec(features={}, mode="train", logits=tf.constant([[1.0, 2.0, 0.0]] * 2),
                                      labels=labels, train_op_fn=lambda loss: tf.assign_add(gs, 1))
    with _session() as sess:
        assert sess.run(spec.loss, {labels: [[1], [2]]}) > 0
        with pytest.raises(errors.InvalidArgumentError) as info:
            sess.run(spec.loss, {labels: [[1], [7]]})
        assert "Label IDs must < n_classes (n_classes=3)" in str(info.value) and "[7]" in str(info.value)
        assert "Suggested Fix" in str(info.value)
        with pytest.raises(errors.InvalidArgumentError, match=r"outside \[0, 3\):.*\[-1\]"):
            sess.run(spec.loss, {labels: [[-1], [0]]})
    binary_labels = tf.placeholder(tf.int64, [None, 1])
    spec = binary_head().create_estimator_spec(features={}, mode="train", logits=tf.constant([[1.0], [0.0]]),
                                               labels=binary_labels, train_op_fn=lambda loss: tf.no_op())
    with _session() as sess, pytest.raises(errors.InvalidArgumentError, match="Label IDs must < n_classes"):
        sess.run(spec.loss, {binary_labels: [[1], [2]]})


@pytest.mark.usefixtures("g")
def test_label_ids_known_while_building_are_checked_before_training():
    with pytest.raises(ValueError, match=r"outside \[0, 3\): \[5, 7\]. Suggested Fix"):
        _spec(multi_class_head(3), "train", [[1.0, 2.0, 0.0]] * 3, [[1], [7], [5]])
    with pytest.raises(ValueError, match=r"n_classes=2.*\[2.0\]"):
        _spec(binary_head(), "train", [[1.0], [0.0]], [[1], [2]])


@pytest.mark.usefixtures("g")
def test_string_labels_need_a_label_vocabulary_and_must_be_in_it():
    with pytest.raises(ValueError, match="label_vocabulary"):
        _spec(multi_class_head(3), "train", [[1.0, 2.0, 0.0]], [["b"]])
    with pytest.raises(ValueError, match="label_vocabulary"):
        _spec(binary_head(), "train", [[1.0]], [["yes"]])
    head = binary_head(label_vocabulary=["no", "yes"])
    with pytest.raises(ValueError, match="should be string if there is a vocabulary"):
        _spec(head, "train", [[1.0]], [[1]])
    spec = _spec(head, "train", [[1.0], [0.0]], [["yes"], ["maybe"]])
    with _session() as sess, pytest.raises(errors.InvalidArgumentError) as info:
        sess.run(spec.loss)
    assert "not in label_vocabulary" in str(info.value) or "label_vocabulary" in str(info.value)
    assert "maybe" in str(info.value)
    spec = _spec(head, "train", BINARY_LOGITS[:2], [["yes"], ["no"]])
    with _session() as sess:
        assert sess.run(spec.loss) == pytest.approx(np.sum(_sigmoid_xent(np.array([1, 0]), BINARY_LOGITS[:2, 0])))


@pytest.mark.usefixtures("g")
def test_shape_errors_say_what_to_fix():
    with pytest.raises(ValueError, match="Mismatched label shape. Expected labels dimension=1.  Received 3"):
        _spec(multi_class_head(3), "train", [[1.0, 2.0, 0.0]], [[1, 0, 0]])
    with pytest.raises(ValueError, match=r"logits shape must be \[D0, D1, ... DN, logits_dimension=3\]"):
        _spec(multi_class_head(3), "train", [[1.0, 2.0]], [[1]])
    with pytest.raises(ValueError, match="You must provide a labels Tensor"):
        _spec(regression_head(), "train", [[1.0]])
    with pytest.raises(ValueError, match="weights shape must be"):
        _spec(regression_head(weight_column="w"), "train", [[1.0], [2.0]], [[1.0], [2.0]],
              {"w": np.ones((2, 1, 1), np.float32)})


def test_constructor_errors():
    with pytest.raises(ValueError, match="n_classes must be > 2"):
        multi_class_head(2)
    with pytest.raises(ValueError, match=r"thresholds not in \(0, 1\)"):
        binary_head(thresholds=[0.5, 1.0])
    with pytest.raises(ValueError, match="Invalid loss_reduction"):
        regression_head(loss_reduction=tf.losses.Reduction.NONE)
    with pytest.raises(TypeError, match="label_vocabulary should be a list or tuple"):
        binary_head(label_vocabulary="ab")
    with pytest.raises(ValueError, match="Invalid label_dimension"):
        regression_head(label_dimension=0)


@pytest.mark.usefixtures("g")
def test_train_needs_exactly_one_of_optimizer_and_train_op_fn():
    head = regression_head()
    with pytest.raises(ValueError, match="cannot both be None"):
        _spec(head, "train", [[1.0]], [[1.0]], train_op_fn=None)
    with pytest.raises(ValueError, match="cannot both be set"):
        _spec(head, "train", [[1.0]], [[1.0]], optimizer=tf.train.GradientDescentOptimizer(0.1))


@pytest.mark.usefixtures("g")
def test_optimizer_minimizes_the_sum_and_update_ops_run_with_train_op():
    x = tf.Variable([[0.0]], name="x")
    counter = tf.Variable(0, name="counter")
    tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, tf.assign_add(counter, 1))
    tf.train.get_or_create_global_step()
    head = regression_head()
    spec = head.create_estimator_spec(features={}, mode="train", logits=tf.tile(x, [2, 1]),
                                      labels=tf.constant([[1.0], [3.0]]),
                                      optimizer=tf.train.GradientDescentOptimizer(0.1))
    with _session() as sess:
        sess.run(spec.train_op)
        # d/dx sum((x - y)^2) = 2 * (0 - 1) + 2 * (0 - 3) = -8
        assert sess.run(x)[0, 0] == pytest.approx(0.8)
        assert sess.run(counter) == 1 and sess.run(tf.train.get_global_step()) == 1


# ---- export outputs ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("g")
def test_export_outputs_are_tf1s():
    from estflow.estimators import export_output  # noqa: PLC0415 - kept beside the only test that needs it

    spec = _spec(binary_head(label_vocabulary=["no", "yes"]), "infer", BINARY_LOGITS)
    outputs = spec.export_outputs
    assert set(outputs) == {"serving_default", "classification", "regression", "predict"}
    assert outputs["serving_default"] is outputs["classification"]
    assert isinstance(outputs["classification"], export_output.ClassificationOutput)
    assert outputs["classification"].scores is spec.predictions["probabilities"]
    assert outputs["regression"].value is spec.predictions["logistic"]
    assert outputs["predict"].outputs == spec.predictions
    with _session() as sess:
        np.testing.assert_array_equal(sess.run(outputs["classification"].classes), [[b"no", b"yes"]] * 4)

    spec = _spec(multi_class_head(3), "infer", [[1.0, 2.0, 0.0]])
    assert set(spec.export_outputs) == {"serving_default", "classification", "predict"}
    with _session() as sess:
        np.testing.assert_array_equal(sess.run(spec.export_outputs["classification"].classes), [[b"0", b"1", b"2"]])

    spec = _spec(regression_head(), "infer", [[1.0]])
    assert set(spec.export_outputs) == {"serving_default", "regression", "predict"}
    assert isinstance(spec.export_outputs["serving_default"], export_output.RegressionOutput)
    assert spec.export_outputs["regression"].value is spec.predictions["predictions"]
