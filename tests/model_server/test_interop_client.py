"""TensorFlow Serving's own Python client (the `tensorflow-serving-api` package, under real TensorFlow)
against estflow's server: its protos and stubs work unchanged.

Runs where the `tf_python` environment can import `tensorflow_serving` (e.g. with the
tensorflow-serving-api wheel on its PYTHONPATH); skipped otherwise.
"""

import subprocess

import pytest

from tests.interop import run_tensorflow
from tests.model_server.conftest import write_versions

pytestmark = pytest.mark.interop

_CLIENT = r"""
import json, sys
import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2, get_model_status_pb2,
                                     model_service_pb2_grpc, predict_pb2, prediction_service_pb2_grpc,
                                     regression_pb2)

channel = grpc.insecure_channel("127.0.0.1:" + sys.argv[1])
stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
request = predict_pb2.PredictRequest()
request.model_spec.name = "m"
request.model_spec.signature_name = "serving_default"
request.inputs["x"].CopyFrom(tf.make_tensor_proto(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)))
predict = stub.Predict(request, timeout=30)

classify = classification_pb2.ClassificationRequest()
classify.model_spec.name = "m"
classify.model_spec.signature_name = "classification"
classify.input.example_list.examples.add().features.feature["x"].float_list.value.extend([1.0, 2.0])
classes = stub.Classify(classify, timeout=30).result.classifications[0].classes

regress = regression_pb2.RegressionRequest()
regress.model_spec.name = "m"
regress.model_spec.signature_name = "regression"
regress.input.example_list_with_context.context.features.feature["x"].float_list.value.extend([0.5, 0.25])
regress.input.example_list_with_context.examples.add()
regression = stub.Regress(regress, timeout=30)

meta = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
meta.model_spec.name = "m"
sigs = get_model_metadata_pb2.SignatureDefMap()
stub.GetModelMetadata(meta, timeout=30).metadata["signature_def"].Unpack(sigs)

status = get_model_status_pb2.GetModelStatusRequest()
status.model_spec.name = "m"
versions = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(status, timeout=30)

try:
    bad = predict_pb2.PredictRequest()
    bad.model_spec.name = "nope"
    stub.Predict(bad, timeout=30)
    error = None
except grpc.RpcError as e:
    error = e.code().name

print(json.dumps({
    "y": tf.make_ndarray(predict.outputs["y"]).tolist(),
    "version": predict.model_spec.version.value,
    "labels": [c.label for c in classes],
    "top_score": classes[0].score,
    "regression": [r.value for r in regression.result.regressions],
    "signatures": sorted(sigs.signature_def),
    "x_shape": [d.size for d in sigs.signature_def["serving_default"].inputs["x"].tensor_shape.dim],
    "status": [[s.version, get_model_status_pb2.ModelVersionStatus.State.Name(s.state)]
               for s in versions.model_version_status],
    "error": error,
}))
"""


def test_tensorflow_serving_api_client_works_unchanged(tf_python, tmp_path, start_server):
    probe = subprocess.run([tf_python, "-c", "import tensorflow_serving.apis.prediction_service_pb2_grpc"],
                           capture_output=True, timeout=300)
    if probe.returncode != 0:
        pytest.skip("tensorflow-serving-api is not importable in the TensorFlow environment")
    write_versions(str(tmp_path / "m"), [4])
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"))
    out = run_tensorflow(tf_python, _CLIENT, server.grpc_port)
    assert out["y"] == [9.0, 15.0]
    assert out["version"] == 4
    assert out["labels"] == ["pos", "neg"] and out["top_score"] > 0.99
    assert out["regression"] == [5.0]
    assert out["signatures"] == ["classification", "multi", "regression", "serving_default", "strings"]
    assert out["x_shape"] == [-1, 2]
    assert out["status"] == [[4, "AVAILABLE"]]
    assert out["error"] == "NOT_FOUND"
