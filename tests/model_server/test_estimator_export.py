"""The serving walkthrough end to end: an Estimator exports a SavedModel (with warmup requests in
assets.extra), the server serves its timestamped version, and REST / gRPC answer what `predict` does."""

import base64
import os

import numpy as np

import estflow as tf
from estflow.core.record_io import encode_record
from estflow.model_server.protos import prediction_log_pb2
from estflow.model_server.warmup import warmup_path
from tests.model_server.conftest import Rest
from tests.model_server.models import example


def _model_fn(features, labels, mode):
    logits = tf.layers.dense(features["x"], 2, name="logits")
    probabilities = tf.nn.softmax(logits)
    if mode == tf.estimator.ModeKeys.PREDICT:
        classes = tf.tile(tf.constant([["no", "yes"]]), tf.stack([tf.shape(logits)[0], 1]))
        outputs = {
            "serving_default": tf.estimator.export.ClassificationOutput(scores=probabilities, classes=classes),
            "predict": tf.estimator.export.PredictOutput({"probabilities": probabilities}),
        }
        return tf.estimator.EstimatorSpec(mode, predictions={"probabilities": probabilities},
                                          export_outputs=outputs)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf.train.GradientDescentOptimizer(0.5).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _input_fn():
    x = np.array([[1.0, 0.0], [0.0, 1.0]] * 8, np.float32)
    y = np.array([1, 0] * 8, np.int32)
    return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(16)


def test_an_exported_estimator_is_served_with_its_warmup(tmp_path, start_server):
    estimator = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path / "model"))
    estimator.train(_input_fn, steps=20)
    log = prediction_log_pb2.PredictionLog()
    log.classify_log.request.model_spec.name = "clf"
    log.classify_log.request.input.example_list.examples.append(example([1.0, 0.0]))
    warmup = tmp_path / "tf_serving_warmup_requests"
    warmup.write_bytes(encode_record(log.SerializeToString()))
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(
        {"x": tf.FixedLenFeature([2], tf.float32)})
    export_dir = estimator.export_saved_model(str(tmp_path / "export"), receiver,
                                              assets_extra={"tf_serving_warmup_requests": str(warmup)})
    version = int(tf.compat.as_str(export_dir).rsplit("/", 1)[-1])
    assert os.path.exists(warmup_path(tf.compat.as_str(export_dir)))  # replayed before the version serves

    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    want = [p["probabilities"] for p in estimator.predict(
        lambda: tf.data.Dataset.from_tensor_slices({"x": x}).batch(2))]

    server = start_server(model_name="clf", model_base_path=str(tmp_path / "export"))
    assert [(s.version, s.status.error_code) for s in server.manager.version_status("clf")] == [(version, 0)]
    rest = Rest(server.rest_api_port)
    status, doc = rest.post("/v1/models/clf:classify", {"examples": [{"x": [1.0, 0.0]}, {"x": [0.0, 1.0]}]})
    assert status == 200, doc
    assert [[c[0] for c in r] for r in doc["results"]] == [["no", "yes"]] * 2
    np.testing.assert_allclose([[c[1] for c in r] for r in doc["results"]], want, rtol=1e-5)
    assert want[0][1] > want[0][0]  # trained: [1, 0] is a "yes"
    serialized = [{"b64": base64.b64encode(example(row).SerializeToString()).decode()} for row in x]
    status, doc = rest.post("/v1/models/clf:predict", {"signature_name": "predict", "instances": serialized})
    assert status == 200, doc
    np.testing.assert_allclose(doc["predictions"], want, rtol=1e-5)
    rest.close()
