"""LinearClassifier / LinearRegressor / LinearEstimator: TF 1.x's arguments, variables, optimizer and updates."""

import logging
import math

import numpy as np
import pytest

import estflow as tf
from estflow.estimators import linear
from estflow.estimators.optimizers import get_optimizer_instance
from tests.estimators import canned_contract as cc


def _accuracy(predictions, labels):
    return np.mean([p["class_ids"][0] == y for p, y in zip(predictions, labels.ravel())])


@pytest.mark.parametrize("task, kwargs", [
    ("binary", {}),
    ("multi", {"n_classes": 3}),
    ("binary", {"weight_column": "w"}),
    ("strings", {"n_classes": 3, "label_vocabulary": cc.CLASS_NAMES}),
], ids=["binary", "multi-class", "weighted", "string-labels"])
def test_classifier_contract(tmp_path, task, kwargs):
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.LinearClassifier(list(cc.columns()), model_dir=str(tmp_path), **kwargs), task)
    features, labels = cc.data(task)
    assert metrics["accuracy"] > 0.8
    n = kwargs.get("n_classes", 2)
    first = predictions[0]
    assert {"logits", "probabilities", "class_ids", "classes"} <= set(first)
    assert first["probabilities"].shape == (n,)
    assert abs(float(first["probabilities"].sum()) - 1) < 1e-5
    if task == "strings":
        assert first["classes"][0] in {c.encode() for c in cc.CLASS_NAMES}
        ids = np.array([cc.CLASS_NAMES.index(c.decode()) for c in labels.ravel()])
        assert _accuracy(predictions, ids) > 0.8
    else:
        assert _accuracy(predictions, labels) > 0.8
    if n == 2:
        assert "logistic" in first and "auc" in metrics


def test_regressor_contract(tmp_path):
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.LinearRegressor(list(cc.columns()), model_dir=str(tmp_path), optimizer="Adagrad"),
        "regression", steps=200)
    features, labels = cc.data("regression")
    assert set(predictions[0]) == {"predictions"}
    mse = np.mean([(p["predictions"][0] - y) ** 2 for p, y in zip(predictions, labels.ravel())])
    assert mse < 0.1 * np.var(labels)
    assert metrics["average_loss"] == pytest.approx(mse, rel=0.05)


def test_weighted_regressor_loss_is_the_weighted_sum(tmp_path):
    features, labels = cc.data("regression", n=20)
    est = tf.estimator.LinearRegressor(list(cc.columns()), model_dir=str(tmp_path), weight_column="w")
    est.train(cc.input_fn(features, labels, batch=20), steps=1)
    metrics = est.evaluate(cc.input_fn(features, labels, batch=20, epochs=1, shuffle=False))
    preds = np.array([p["predictions"][0] for p in est.predict(cc.predict_fn(features))])
    squared = (preds - labels.ravel()) ** 2
    assert metrics["loss"] == pytest.approx(np.sum(features["w"] * squared), rel=1e-4)  # SUM reduction, per batch
    assert metrics["average_loss"] == pytest.approx(np.sum(features["w"] * squared) / features["w"].sum(), rel=1e-4)


def test_variable_names_are_tf1s(tmp_path):
    est = tf.estimator.LinearClassifier(list(cc.columns()), model_dir=str(tmp_path))
    features, labels = cc.data("binary")
    est.train(cc.input_fn(features, labels), steps=2)
    names = est.get_variable_names()
    model = [n for n in names if "Ftrl" not in n]
    assert model == ["global_step", "linear/linear_model/bias_weights", "linear/linear_model/color/weights",
                     "linear/linear_model/x/weights"]
    assert est.get_variable_value("linear/linear_model/x/weights").shape == (2, 1)
    assert est.get_variable_value("linear/linear_model/color/weights").shape == (3, 1)
    # Ftrl's two slots per weight (accumulator and linear), as TF1 names them
    assert "linear/linear_model/x/weights/Ftrl" in names and "linear/linear_model/x/weights/Ftrl_1" in names


def test_multi_class_weights_have_one_column_per_class(tmp_path):
    est = tf.estimator.LinearClassifier(list(cc.columns()), n_classes=3, model_dir=str(tmp_path))
    features, labels = cc.data("multi")
    est.train(cc.input_fn(features, labels), steps=1)
    assert est.get_variable_value("linear/linear_model/x/weights").shape == (2, 3)
    assert est.get_variable_value("linear/linear_model/bias_weights").shape == (3,)


def test_regressor_sgd_steps_match_numpy_sum_reduced_update(tmp_path):
    # TF1's LinearRegressor: loss = SUM over the batch of (prediction - label)^2; SGD moves each
    # weight by lr * d(loss)/dw = lr * 2 * X^T (Xw + b - y).
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 2)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0], np.float32) + 0.5).reshape(-1, 1)
    lr, steps = 0.01, 4
    est = tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x", shape=(2,))], model_dir=str(tmp_path),
                                       optimizer=tf.train.GradientDescentOptimizer(lr))
    est.train(lambda: tf.data.Dataset.from_tensors(({"x": x}, y)).repeat(), steps=steps)
    w, b = np.zeros((2, 1), np.float64), np.zeros(1, np.float64)
    for _ in range(steps):
        residual = x @ w + b - y
        w -= lr * 2 * x.T @ residual
        b -= lr * 2 * residual.sum(axis=0)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/x/weights"), w, rtol=1e-5)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/bias_weights"), b, rtol=1e-5)


def test_mean_loss_reduction_changes_the_step(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((8, 1)).astype(np.float32)
    y = 3 * x
    est = tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x")], model_dir=str(tmp_path),
                                       optimizer=tf.train.GradientDescentOptimizer(0.1),
                                       loss_reduction=tf.losses.Reduction.SUM_OVER_BATCH_SIZE)
    est.train(lambda: tf.data.Dataset.from_tensors(({"x": x}, y)).repeat(), steps=1)
    expected = 0.1 * 2 * float((x.T @ y)[0, 0]) / 8
    assert est.get_variable_value("linear/linear_model/x/weights")[0, 0] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("name, slot", [("Adagrad", "Adagrad"), ("Adam", "Adam"), ("Ftrl", "Ftrl"),
                                        ("RMSProp", "RMSProp"), ("SGD", None)])
def test_optimizer_by_name(tmp_path, name, slot):
    est = tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x", shape=(2,))], model_dir=str(tmp_path),
                                       optimizer=name)
    features, labels = cc.data("regression")
    est.train(cc.input_fn({"x": features["x"]}, labels), steps=2)
    slots = [n for n in est.get_variable_names() if n.startswith("linear/linear_model/x/weights/")]
    if slot is None:
        assert slots == []
    else:
        assert f"linear/linear_model/x/weights/{slot}" in slots


def test_optimizer_as_instance_or_callable(tmp_path):
    features, labels = cc.data("regression")
    for i, opt in enumerate([tf.train.AdamOptimizer(0.01), lambda: tf.train.AdamOptimizer(0.01)]):
        est = tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x", shape=(2,))],
                                           model_dir=str(tmp_path / str(i)), optimizer=opt)
        est.train(cc.input_fn({"x": features["x"]}, labels), steps=1)
        assert "linear/linear_model/x/weights/Adam" in est.get_variable_names()


def test_unknown_optimizer_name_lists_the_names(tmp_path):
    est = tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x", shape=(2,))],
                                       model_dir=str(tmp_path), optimizer="Adamax")
    features, labels = cc.data("regression")
    with pytest.raises(ValueError, match=r"Unsupported optimizer name: Adamax.*'Adagrad', 'Adam', 'Ftrl'"):
        est.train(cc.input_fn({"x": features["x"]}, labels), steps=1)
    with pytest.raises(ValueError, match="not an Optimizer instance"):
        tf.estimator.LinearRegressor([tf.feature_column.numeric_column("x")], model_dir=str(tmp_path / "b"),
                                     optimizer=lambda: 3).train(cc.input_fn({"x": features["x"][:, :1]}, labels),
                                                                steps=1)


def test_default_learning_rates_are_tf1s():
    columns = [tf.feature_column.numeric_column(f"c{i}") for i in range(50)]
    assert linear._default_optimizer(columns)._learning_rate == pytest.approx(1 / math.sqrt(50))
    assert linear._default_optimizer(columns[:4])._learning_rate == pytest.approx(0.2)
    # optimizer="Ftrl" (the constructor's default) is FtrlOptimizer(0.2), as TF1's get_optimizer_instance builds it
    ftrl = get_optimizer_instance("Ftrl", learning_rate=linear.LEARNING_RATE)
    assert isinstance(ftrl, tf.train.FtrlOptimizer) and ftrl._learning_rate == 0.2


def test_sparse_combiner(tmp_path):
    # two ids in one example: "sum" adds both weights, "mean" averages them
    column = tf.feature_column.categorical_column_with_vocabulary_list("color", cc.COLORS)
    features = {"color": tf.SparseTensorValue([[0, 0], [0, 1]], np.array([b"red", b"blue"], object), [1, 2])}
    results = {}
    for combiner in ("sum", "mean"):
        with tf.Graph().as_default():
            feats = {"color": tf.SparseTensor(*features["color"])}
            with tf.variable_scope("linear"):
                logits = linear.linear_logit_fn_builder(1, [column], combiner)(feats)
            weights = [v for v in tf.global_variables() if v.op.name == "linear/linear_model/color/weights"][0]
            with tf.Session() as sess:
                sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
                sess.run(weights.assign([[1.0], [10.0], [100.0]]))
                results[combiner] = sess.run(logits)[0, 0]
    assert results == {"sum": 101.0, "mean": 50.5}
    with pytest.raises(ValueError, match="sparse_combiner"):
        tf.estimator.LinearClassifier([column], sparse_combiner="max")


def test_linear_logit_fn_records_tf1_summaries(g):
    with tf.variable_scope("linear"):
        tf.estimator.experimental.linear_logit_fn_builder(1, [tf.feature_column.numeric_column("x")])(
            {"x": tf.constant([[1.0]])})
    tags = sorted(op.name for op in g.get_operations() if op.type == "ScalarSummary")
    assert tags == ["linear/bias", "linear/fraction_of_zero_weights"]


def test_missing_feature_is_named_before_training(tmp_path):
    est = tf.estimator.LinearClassifier([tf.feature_column.numeric_column("age")], model_dir=str(tmp_path))
    with pytest.raises(ValueError, match=r"Feature age is not in features dictionary.*\['height'\]"):
        est.train(lambda: ({"height": tf.constant([[1.0]])}, tf.constant([[1]])), steps=1)


def test_features_must_be_a_dict(tmp_path):
    est = tf.estimator.LinearClassifier([tf.feature_column.numeric_column("x")], model_dir=str(tmp_path))
    with pytest.raises(ValueError, match="features should be a dictionary"):
        est.train(lambda: (tf.constant([[1.0]]), tf.constant([[1]])), steps=1)


def test_partitioner_is_accepted_when_it_does_not_split(tmp_path):
    features, labels = cc.data("binary")
    est = tf.estimator.LinearClassifier(list(cc.columns()), model_dir=str(tmp_path),
                                        partitioner=lambda shape, dtype: [1] * len(shape))
    est.train(cc.input_fn(features, labels), steps=1)
    assert "linear/linear_model/x/weights" in est.get_variable_names()
    with pytest.raises(ValueError, match="partitioner must be callable"):
        tf.estimator.LinearClassifier(list(cc.columns()), partitioner=3).train(cc.input_fn(features, labels),
                                                                                steps=1)


def test_linear_estimator_with_a_head(tmp_path):
    head = tf.contrib.estimator.regression_head(label_dimension=1)
    metrics, predictions, _ = cc.run_contract(
        lambda: tf.estimator.LinearEstimator(head, list(cc.columns()), model_dir=str(tmp_path), optimizer="Adagrad"),
        "regression")
    assert "predictions" in predictions[0]


def test_warm_start_is_applied_once(tmp_path, caplog):
    features, labels = cc.data("regression")
    columns = list(cc.columns())
    source = tf.estimator.LinearRegressor(columns, model_dir=str(tmp_path / "a"), optimizer="Adagrad")
    source.train(cc.input_fn(features, labels), steps=30)
    trained = source.get_variable_value("linear/linear_model/x/weights")
    # a tiny learning rate keeps the warm-started values where they started
    still = tf.train.GradientDescentOptimizer(1e-30)
    est = tf.estimator.LinearRegressor(columns, model_dir=str(tmp_path / "b"), optimizer=still,
                                       warm_start_from=str(tmp_path / "a"))
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        est.train(cc.input_fn(features, labels), steps=1)
    assert any("Warm-starting" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/x/weights"), trained)
    source.train(cc.input_fn(features, labels), steps=30)  # the source moves on ...
    est.train(cc.input_fn(features, labels), steps=1)     # ... but est resumes from its own checkpoint
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/x/weights"), trained)
    assert est.get_variable_value("global_step") == 2


def test_warm_start_settings_choose_variables(tmp_path):
    features, labels = cc.data("regression")
    columns = list(cc.columns())
    source = tf.estimator.LinearRegressor(columns, model_dir=str(tmp_path / "a"), optimizer="Adagrad")
    source.train(cc.input_fn(features, labels), steps=30)
    settings = tf.estimator.WarmStartSettings(str(tmp_path / "a"), vars_to_warm_start=".*bias_weights")
    est = tf.estimator.LinearRegressor(columns, model_dir=str(tmp_path / "b"),
                                       optimizer=tf.train.GradientDescentOptimizer(1e-30), warm_start_from=settings)
    est.train(cc.input_fn(features, labels), steps=1)
    np.testing.assert_allclose(est.get_variable_value("linear/linear_model/bias_weights"),
                               source.get_variable_value("linear/linear_model/bias_weights"))
    assert np.abs(est.get_variable_value("linear/linear_model/x/weights")).max() < 1e-20  # zeros, not warm-started


def test_optimizer_none_uses_the_column_count_rule(tmp_path):
    features, labels = cc.data("binary")
    est = tf.estimator.LinearClassifier(list(cc.columns()), model_dir=str(tmp_path), optimizer=None)
    est.train(cc.input_fn(features, labels), steps=2)
    assert "linear/linear_model/x/weights/Ftrl" in est.get_variable_names()


_TF_SERVES = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
export_dir, data = sys.argv[1], np.load(sys.argv[2], allow_pickle=True)
examples = []
for x, color in zip(data["x"], data["color"]):
    feature = {"x": tf.train.Feature(float_list=tf.train.FloatList(value=[float(x[0])])),
               "color": tf.train.Feature(bytes_list=tf.train.BytesList(value=[color]))}
    examples.append(tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString())
with tf.Session(graph=tf.Graph()) as sess:
    meta = tf.saved_model.loader.load(sess, ["serve"], export_dir)
    signature = meta.signature_def["predict"]
    out = sess.run(signature.outputs["probabilities"].name, {signature.inputs["examples"].name: examples})
print(json.dumps({"signatures": sorted(meta.signature_def), "probabilities": out.tolist()}))
"""


@pytest.mark.interop
def test_real_tensorflow_serves_an_exported_linear_classifier(tmp_path, tf_python):
    from tests.interop import run_tensorflow  # the interop helper runs only with real TensorFlow present

    columns = [tf.feature_column.numeric_column("x"),
               tf.feature_column.categorical_column_with_vocabulary_list("color", cc.COLORS)]
    features, labels = cc.data("binary", n=32)
    features = {"x": features["x"][:, :1], "color": features["color"]}
    est = tf.estimator.LinearClassifier(columns, model_dir=str(tmp_path / "model"))
    est.train(cc.input_fn(features, labels, batch=16), steps=9)
    spec = tf.feature_column.make_parse_example_spec(columns)
    export_dir = est.export_saved_model(str(tmp_path / "export"),
                                        tf.estimator.export.build_parsing_serving_input_receiver_fn(spec))
    ours = [p["probabilities"] for p in est.predict(cc.predict_fn(features, batch=16))]
    np.savez(tmp_path / "data.npz", **features)
    theirs = run_tensorflow(tf_python, _TF_SERVES, export_dir.decode(), tmp_path / "data.npz")
    assert theirs["signatures"] == ["classification", "predict", "regression", "serving_default"]  # golden's
    np.testing.assert_allclose(np.array(theirs["probabilities"]), np.array(ours), rtol=1e-5, atol=1e-6)


def test_fraction_of_zero_counts_over_all_weights(g):
    a, b = tf.Variable([[0.0, 1.0], [0.0, 0.0]]), tf.Variable([2.0, 0.0])
    fraction = linear.fraction_of_zero([a, b])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(fraction) == pytest.approx(4 / 6)
