"""TF Serving's gRPC services with a real grpcio client over loopback."""

import grpc
import numpy as np
import pytest

from estflow.core.graph_io import make_ndarray, make_tensor_proto
from estflow.core.protos import example_pb2
from estflow.model_server.protos import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)
from tests.model_server.conftest import write_versions
from tests.model_server.models import example, expected_y


@pytest.fixture
def stubs(served):
    server, _ = served
    channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    yield (prediction_service_pb2_grpc.PredictionServiceStub(channel),
           model_service_pb2_grpc.ModelServiceStub(channel))
    channel.close()


def _predict_request(x, signature_name="", version=None, label=None, name="m"):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = name
    if signature_name:
        request.model_spec.signature_name = signature_name
    if version is not None:
        request.model_spec.version.value = version
    if label is not None:
        request.model_spec.version_label = label
    request.inputs["x"].CopyFrom(make_tensor_proto(np.asarray(x, np.float32)))
    return request


def test_predict(stubs):
    predict, _ = stubs
    x = [[1.0, 2.0], [3.0, 4.0]]
    response = predict.Predict(_predict_request(x), timeout=30)
    np.testing.assert_allclose(make_ndarray(response.outputs["y"]), expected_y(x, 2))
    np.testing.assert_allclose(make_ndarray(response.outputs["double"]), np.asarray(x) * 2 + 2)
    assert response.model_spec.name == "m"
    assert response.model_spec.version.value == 2
    assert response.model_spec.signature_name == "serving_default"


def test_predict_output_filter(stubs):
    predict, _ = stubs
    request = _predict_request([[1.0, 2.0]])
    request.output_filter.append("y")
    response = predict.Predict(request, timeout=30)
    assert list(response.outputs) == ["y"]
    request.output_filter.append("nope")
    with pytest.raises(grpc.RpcError) as e:
        predict.Predict(request, timeout=30)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "nope" in e.value.details()


def test_classify_regress_and_multi_inference(stubs):
    predict, _ = stubs
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "m"
    request.model_spec.signature_name = "classification"
    request.input.example_list.examples.extend([example([1.0, 2.0]), example([-4.0, 0.0])])
    result = predict.Classify(request, timeout=30).result
    assert [[c.label for c in cls.classes] for cls in result.classifications] == [["pos", "neg"]] * 2
    assert result.classifications[0].classes[0].score > 0.99
    assert result.classifications[1].classes[0].score < 0.5

    request = regression_pb2.RegressionRequest()
    request.model_spec.name = "m"
    request.model_spec.signature_name = "regression"
    request.input.example_list_with_context.context.CopyFrom(example([1.0, 1.0]))
    request.input.example_list_with_context.examples.extend([example([1.0, 2.0]), example_pb2.Example()])
    response = predict.Regress(request, timeout=30)
    assert [r.value for r in response.result.regressions] == [7.0, 5.0]
    assert response.model_spec.signature_name == "regression"

    request = inference_pb2.MultiInferenceRequest()
    for sig, method in (("classification", "tensorflow/serving/classify"),
                        ("regression", "tensorflow/serving/regress")):
        task = request.tasks.add()
        task.model_spec.name = "m"
        task.model_spec.signature_name = sig
        task.method_name = method
    request.input.example_list.examples.append(example([0.5, 0.25]))
    results = predict.MultiInference(request, timeout=30).results
    assert results[0].classification_result.classifications[0].classes[0].label == "pos"
    assert results[1].regression_result.regressions[0].value == 3.0
    assert results[1].model_spec.version.value == 2

    request.tasks[1].model_spec.signature_name = "classification"
    request.tasks[1].method_name = "tensorflow/serving/classify"
    with pytest.raises(grpc.RpcError) as e:
        predict.MultiInference(request, timeout=30)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "Duplicate" in e.value.details()


def test_get_model_metadata(stubs):
    predict, _ = stubs
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
    request.model_spec.name = "m"
    response = predict.GetModelMetadata(request, timeout=30)
    assert response.model_spec.version.value == 2
    sigs = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(sigs)
    assert response.metadata["signature_def"].type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    assert sigs.signature_def["classification"].method_name == "tensorflow/serving/classify"
    request.metadata_field[:] = ["other"]
    with pytest.raises(grpc.RpcError) as e:
        predict.GetModelMetadata(request, timeout=30)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_get_model_status(stubs):
    _, model = stubs
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "m"
    response = model.GetModelStatus(request, timeout=30)
    assert [(s.version, s.state) for s in response.model_version_status] == [
        (2, get_model_status_pb2.ModelVersionStatus.AVAILABLE)]
    assert response.model_version_status[0].status.error_code == 0
    request.model_spec.name = "nope"
    with pytest.raises(grpc.RpcError) as e:
        model.GetModelStatus(request, timeout=30)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("mutate, code, fragment", [
    (lambda r: r.model_spec.__setattr__("name", "nope"), grpc.StatusCode.NOT_FOUND, "Latest(nope)"),
    (lambda r: r.model_spec.version.__setattr__("value", 9), grpc.StatusCode.NOT_FOUND, "Specific(m, 9)"),
    (lambda r: r.model_spec.__setattr__("signature_name", "nope"), grpc.StatusCode.INVALID_ARGUMENT, '"nope"'),
    (lambda r: r.inputs["x"].CopyFrom(make_tensor_proto(np.array([[1, 2]], np.int32))),
     grpc.StatusCode.INVALID_ARGUMENT, "to be float32 but int32 is provided"),
    (lambda r: r.inputs["x"].CopyFrom(make_tensor_proto(np.zeros([1, 3], np.float32))),
     grpc.StatusCode.INVALID_ARGUMENT, "not compatible"),
    (lambda r: r.inputs["extra"].CopyFrom(make_tensor_proto(1.0)), grpc.StatusCode.INVALID_ARGUMENT,
     "Sent extra: {extra}"),
    (lambda r: r.model_spec.__setattr__("name", ""), grpc.StatusCode.INVALID_ARGUMENT, "Missing ModelSpec"),
])
def test_bad_predict_requests_get_tf_serving_codes_and_the_server_keeps_serving(stubs, mutate, code, fragment):
    predict, _ = stubs
    request = _predict_request([[1.0, 2.0]])
    mutate(request)
    with pytest.raises(grpc.RpcError) as e:
        predict.Predict(request, timeout=30)
    assert e.value.code() == code
    assert fragment in e.value.details()
    assert make_ndarray(predict.Predict(_predict_request([[1.0, 1.0]]), timeout=30).outputs["y"]).tolist() == [5.0]


def test_wrong_wire_bytes_and_oversized_messages(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"), max_request_bytes=4096)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}")
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    with pytest.raises(grpc.RpcError) as e:
        stub.Predict(_predict_request(np.zeros([1000, 2])), timeout=30)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    garbage = channel.unary_unary("/tensorflow.serving.PredictionService/Predict",
                                  request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as e:
        garbage(b"\xff\xff\xff\xff garbage", timeout=30)
    assert e.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN)
    response = stub.Predict(_predict_request([[1.0, 2.0]]), timeout=30)
    assert make_ndarray(response.outputs["y"]).tolist() == [6.0]
    channel.close()


def test_reload_config_adds_a_model(tmp_path, stubs, served):
    predict, model = stubs
    write_versions(str(tmp_path / "other"), [5])
    request = model_management_pb2.ReloadConfigRequest()
    for name in ("m", "other"):
        config = request.config.model_config_list.config.add()
        config.name = name
        config.base_path = str(tmp_path / name)
    response = model.HandleReloadConfigRequest(request, timeout=30)
    assert response.status.error_code == 0, response.status.error_message
    served[0].manager.wait_until_idle(30)
    result = predict.Predict(_predict_request([[1.0, 2.0]], name="other"), timeout=30)
    assert result.model_spec.version.value == 5
    assert make_ndarray(result.outputs["y"]).tolist() == [10.0]


def test_grpc_on_a_unix_socket(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    path = tmp_path / "grpc.sock"
    start_server(model_name="m", model_base_path=str(tmp_path / "m"), grpc_socket_path=str(path))
    with grpc.insecure_channel(f"unix:{path}") as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
            _predict_request([[1.0, 2.0]]), timeout=30)
    assert make_ndarray(response.outputs["y"]).tolist() == [6.0]
