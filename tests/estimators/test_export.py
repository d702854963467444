"""Estimator export: receivers, signatures as TF names them, export -> load -> identical predictions."""

import os

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import example_pb2
from estflow.estimators import export as export_lib
from estflow.serving import loader

_X = np.random.RandomState(0).randn(64, 3).astype(np.float32)
_Y = (_X @ np.array([[1.0], [-2.0], [0.5]], np.float32) > 0).astype(np.int64)


def _model_fn(features, labels, mode):
    x = features["x"] if isinstance(features, dict) else features
    logits = tf.layers.dense(x, 2, name="logits")
    probabilities = tf.nn.softmax(logits, name="probabilities")
    class_ids = tf.argmax(logits, axis=1)
    predictions = {"probabilities": probabilities, "class_ids": class_ids}
    if mode == tf.estimator.ModeKeys.PREDICT:
        classes = tf.as_string(class_ids)
        all_classes = tf.tile(tf.constant([[b"0", b"1"]]), [tf.shape(logits)[0], 1])
        export_outputs = {
            "serving_default": tf.estimator.export.ClassificationOutput(scores=probabilities, classes=all_classes),
            "predict": tf.estimator.export.PredictOutput({"probabilities": probabilities, "classes": classes}),
        }
        return tf.estimator.EstimatorSpec(mode, predictions=predictions, export_outputs=export_outputs)
    loss = tf.losses.sparse_softmax_cross_entropy(tf.reshape(labels, [-1]), logits)
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    est = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path_factory.mktemp("model")))
    est.train(tf.estimator.inputs.numpy_input_fn({"x": _X}, _Y, batch_size=16, num_epochs=None, shuffle=False),
              steps=20)
    expected = np.stack([p["probabilities"] for p in est.predict(
        tf.estimator.inputs.numpy_input_fn({"x": _X}, shuffle=False))])
    return est, expected


def _serialize(rows):
    out = []
    for row in rows:
        example = example_pb2.Example()
        example.features.feature["x"].float_list.value.extend(row.tolist())
        out.append(example.SerializeToString())
    return out


def _parsing_fn():
    return tf.estimator.export.build_parsing_serving_input_receiver_fn(
        {"x": tf.FixedLenFeature([3], tf.float32)})


def test_parsing_export_signatures_and_predictions(trained, tmp_path):
    est, expected = trained
    path = est.export_saved_model(str(tmp_path / "export"), _parsing_fn())
    assert isinstance(path, bytes)
    version = os.path.basename(path.decode())
    assert len(version) == 10 and version.isdigit() and os.listdir(tmp_path / "export") == [version]
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        sigs = meta.signature_def
        assert set(sigs) == {"serving_default", "predict"}
        assert sigs["serving_default"].method_name == "tensorflow/serving/classify"
        assert set(sigs["serving_default"].inputs) == {"inputs"}
        assert sigs["serving_default"].inputs["inputs"].name == "input_example_tensor:0"
        assert set(sigs["predict"].inputs) == {"examples"}
        scores = sess.run(sigs["serving_default"].outputs["scores"].name,
                          {sigs["serving_default"].inputs["inputs"].name: _serialize(_X)})
    np.testing.assert_array_equal(scores, expected)


def test_raw_receiver_gets_a_serving_default(trained, tmp_path):
    est, expected = trained
    with tf.Graph().as_default():  # the user's placeholder lives in a graph of its own: its name is kept
        fn = tf.estimator.export.build_raw_serving_input_receiver_fn(
            {"x": tf.placeholder(tf.float32, [None, 3], name="x")})
    path = est.export_savedmodel(str(tmp_path / "export"), fn)
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], path)
        sigs = meta.signature_def
        # TF1 drops the classification signature (it needs serialized examples) and leaves no serving_default
        assert set(sigs) == {"serving_default", "predict"}
        assert sigs["serving_default"] == sigs["predict"]
        assert sigs["predict"].inputs["x"].name == "x:0"
        out = sess.run(sigs["serving_default"].outputs["probabilities"].name, {"x:0": _X})
    np.testing.assert_array_equal(out, expected)


def test_default_predict_signature_and_assets_extra(tmp_path):
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", initializer=tf.constant(3.0))
        y = features * w
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions=y)
        loss = tf.reduce_sum(labels - y)
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=tf.assign_add(tf.train.get_global_step(), 1))

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path / "model"))
    est.train(lambda: (tf.constant([1.0]), tf.constant([1.0])), steps=1)
    extra = tmp_path / "notes.txt"
    extra.write_text("hello")

    def receiver_fn():
        x = tf.placeholder(tf.float32, [None], name="x")
        return tf.estimator.export.TensorServingInputReceiver(x, x)

    path = est.export_saved_model(str(tmp_path / "export"), receiver_fn, assets_extra={"sub/notes.txt": str(extra)},
                                  as_text=True)
    assert open(os.path.join(path.decode(), "assets.extra", "sub", "notes.txt")).read() == "hello"
    assert os.path.exists(os.path.join(path.decode(), "saved_model.pbtxt"))
    with tf.Graph().as_default(), tf.Session() as sess:
        sig = tf.saved_model.loader.load(sess, ["serve"], path).signature_def["serving_default"]
        assert set(sig.inputs) == {"input"} and set(sig.outputs) == {"output"}
        np.testing.assert_allclose(sess.run(sig.outputs["output"].name, {"x:0": [1.0, 2.0]}), [3.0, 6.0])


def test_export_errors_leave_no_version_folder(trained, tmp_path):
    est, _ = trained
    with pytest.raises(ValueError, match="An input_receiver_fn must be defined."):
        est.export_saved_model(str(tmp_path), None)

    def broken_receiver():
        tf.placeholder(tf.float32, [None, 3], name="x")
        raise RuntimeError("receiver failed")

    with pytest.raises(RuntimeError, match="receiver failed"):
        est.export_saved_model(str(tmp_path / "export"), broken_receiver)
    with pytest.raises(ValueError, match="assets_extra destination"):
        est.export_saved_model(str(tmp_path / "export"), _parsing_fn(), assets_extra={"../evil": __file__})
    assert not os.path.exists(tmp_path / "export") or os.listdir(tmp_path / "export") == []
    untrained = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path / "empty"))
    with pytest.raises(ValueError, match="Couldn't find trained model at"):
        untrained.export_saved_model(str(tmp_path / "export"), _parsing_fn())
    with pytest.raises(NotImplementedError, match="PREDICT"):
        est.export_saved_model(str(tmp_path / "export"), _parsing_fn(), experimental_mode="train")


def test_receivers_check_their_tensors(g):
    x = tf.placeholder(tf.float32, [None], name="x")
    r = tf.estimator.export.ServingInputReceiver(x, x)
    assert r.features == {"feature": x} and r.receiver_tensors == {"input": x}
    assert r.receiver_tensors_alternatives is None
    t = tf.estimator.export.TensorServingInputReceiver(x, {"a": x}, {"alt": x})
    assert t.features is x and t.receiver_tensors_alternatives == {"alt": {"input": x}}
    with pytest.raises(ValueError, match="features must be defined"):
        tf.estimator.export.ServingInputReceiver(None, x)
    with pytest.raises(ValueError, match="feature keys must be strings or ints"):
        tf.estimator.export.ServingInputReceiver({1.5: x}, x)
    with pytest.raises(ValueError, match="receiver_tensors keys must be strings: 1"):
        tf.estimator.export.ServingInputReceiver(x, {1: x})
    with pytest.raises(ValueError, match="must be a Tensor, SparseTensor, or RaggedTensor"):
        tf.estimator.export.ServingInputReceiver({"a": [1.0]}, x)
    with pytest.raises(ValueError, match="receiver_tensors_alternatives must be a dict"):
        tf.estimator.export.ServingInputReceiver(x, x, [x])


def test_export_outputs_defaults_and_alternatives(g):
    examples = tf.placeholder(tf.string, [None], name="examples")
    raw = tf.placeholder(tf.float32, [None], name="raw")
    scores = tf.placeholder(tf.float32, [None, 2], name="scores")
    outputs = export_lib.get_export_outputs({"cls": tf.estimator.export.ClassificationOutput(scores=scores)}, None)
    assert set(outputs) == {"cls", "serving_default"}
    with pytest.raises(ValueError, match="none of them is specified as the default"):
        export_lib.get_export_outputs({"a": outputs["cls"], "b": outputs["cls"]}, None)
    with pytest.raises(TypeError, match="Values in export_outputs must be ExportOutput objects"):
        export_lib.get_export_outputs({"a": scores}, None)
    sigs = export_lib.build_all_signature_defs({"examples": examples}, outputs, {"raw": {"r": raw}})
    assert set(sigs) == {"cls", "serving_default"}  # raw:cls doesn't fit (no string input): excluded
    predict = export_lib.get_export_outputs(None, {"s": scores})
    sigs = export_lib.build_all_signature_defs(examples, predict, {"raw": raw})
    assert set(sigs) == {"serving_default", "raw:serving_default"}
    assert set(sigs["raw:serving_default"].inputs) == {"input"}


def test_timestamped_dirs_retry(tmp_path, monkeypatch):
    now = [1795336249.5]
    monkeypatch.setattr(export_lib.time, "time", lambda: now[0])
    monkeypatch.setattr(export_lib.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    first = export_lib.get_timestamped_export_dir(str(tmp_path))
    assert first == os.fsencode(str(tmp_path / "1795336249"))
    os.mkdir(first)
    second = export_lib.get_timestamped_export_dir(str(tmp_path))
    assert second.endswith(b"1795336250")
    os.mkdir(second)
    monkeypatch.setattr(export_lib.time, "sleep", lambda s: None)
    with pytest.raises(RuntimeError, match="Failed to obtain a unique export directory name after 10 attempts"):
        export_lib.get_timestamped_export_dir(str(tmp_path))
    assert loader.maybe_saved_model_directory(str(tmp_path)) is False
