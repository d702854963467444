"""The serving API on protos, shared by gRPC, REST and warmup: Predict, Classify, Regress,
MultiInference, GetModelMetadata and GetModelStatus, as TensorFlow Serving answers them.

`*_on(servable, request)` runs a request on one loaded version; `ServingCore` finds the
version a ModelSpec addresses in the manager, holds it while the request runs and fills
the response's ModelSpec (name, version, signature).
"""

from __future__ import annotations

from estflow.model_server import errors
from estflow.model_server.protos import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    predict_pb2,
    regression_pb2,
)
from estflow.model_server.servable import CLASSIFY_METHOD, DEFAULT_SIGNATURE, REGRESS_METHOD

SIGNATURE_DEF_FIELD = "signature_def"


def _fill_spec(spec, servable, signature_name: str | None) -> None:
    spec.name = servable.name
    spec.version.value = servable.version
    if signature_name is not None:
        spec.signature_name = signature_name or DEFAULT_SIGNATURE


def predict_on(servable, request, executor=None) -> predict_pb2.PredictResponse:
    sig, feeds, fetches = servable.predict_proto(request)
    outputs = servable.submit(sig.key, feeds, fetches, executor).result()
    response = predict_pb2.PredictResponse()
    for alias, proto in servable.outputs_to_protos(outputs).items():
        response.outputs[alias].CopyFrom(proto)
    _fill_spec(response.model_spec, servable, sig.key)
    return response


def _examples_run(servable, signature_name, inp, method, executor=None):
    sig, feeds, fetches = servable.prepare_examples(signature_name, inp, method)
    n = next(iter(feeds.values())).shape[0]
    outputs = servable.submit(sig.key, feeds, fetches, executor).result()
    if method == CLASSIFY_METHOD:
        return sig, servable.classification_result(outputs, n)
    return sig, servable.regression_result(outputs, n)


def classify_on(servable, request, executor=None) -> classification_pb2.ClassificationResponse:
    sig, result = _examples_run(servable, request.model_spec.signature_name, request.input, CLASSIFY_METHOD, executor)
    response = classification_pb2.ClassificationResponse()
    response.result.CopyFrom(result)
    _fill_spec(response.model_spec, servable, sig.key)
    return response


def regress_on(servable, request, executor=None) -> regression_pb2.RegressionResponse:
    sig, result = _examples_run(servable, request.model_spec.signature_name, request.input, REGRESS_METHOD, executor)
    response = regression_pb2.RegressionResponse()
    response.result.CopyFrom(result)
    _fill_spec(response.model_spec, servable, sig.key)
    return response


def _check_multi_inference(request) -> None:
    if not request.tasks:
        raise errors.ServingError(errors.INVALID_ARGUMENT, "Found no tasks in the MultiInferenceRequest.")
    names = {t.model_spec.name for t in request.tasks}
    if len(names) != 1:
        raise errors.ServingError(errors.INVALID_ARGUMENT, "All ModelSpecs in a MultiInferenceRequest must access "
                                                           "the same model name.")
    seen = set()
    for task in request.tasks:
        key = task.model_spec.signature_name or DEFAULT_SIGNATURE
        if key in seen:
            raise errors.ServingError(errors.INVALID_ARGUMENT, f"Duplicate evaluation of signature: {key}")
        seen.add(key)
        if task.method_name not in (CLASSIFY_METHOD, REGRESS_METHOD):
            raise errors.ServingError(errors.UNIMPLEMENTED, f"Unsupported signature method_name: {task.method_name}")


def multi_inference_on(servable, request, executor=None) -> inference_pb2.MultiInferenceResponse:
    _check_multi_inference(request)
    response = inference_pb2.MultiInferenceResponse()
    input_tensors = set()
    for task in request.tasks:
        sig = servable.signature(task.model_spec.signature_name)
        input_tensors.update(i.tensor.name for i in sig.inputs.values())
    if len(input_tensors) > 1:
        raise errors.ServingError(errors.INVALID_ARGUMENT, "Input tensor must be the same for all Signatures.")
    for task in request.tasks:
        sig, result = _examples_run(servable, task.model_spec.signature_name, request.input, task.method_name,
                                    executor)
        out = response.results.add()
        _fill_spec(out.model_spec, servable, sig.key)
        if task.method_name == CLASSIFY_METHOD:
            out.classification_result.CopyFrom(result)
        else:
            out.regression_result.CopyFrom(result)
    return response


def metadata_on(servable, request) -> get_model_metadata_pb2.GetModelMetadataResponse:
    if not request.metadata_field:
        raise errors.ServingError(errors.INVALID_ARGUMENT, "GetModelMetadataRequest must specify at least one "
                                                           "metadata_field")
    for field in request.metadata_field:
        if field != SIGNATURE_DEF_FIELD:
            raise errors.ServingError(errors.INVALID_ARGUMENT, f"Metadata field {field} is not supported")
    response = get_model_metadata_pb2.GetModelMetadataResponse()
    _fill_spec(response.model_spec, servable, None)
    sigs = get_model_metadata_pb2.SignatureDefMap()
    for key, sig in servable.meta_graph_def.signature_def.items():
        sigs.signature_def[key].CopyFrom(sig)
    response.metadata[SIGNATURE_DEF_FIELD].Pack(sigs)
    return response


def spec_target(spec):
    """(name, version or None, label or None) that a ModelSpec addresses."""
    if not spec.name:
        raise errors.ServingError(errors.INVALID_ARGUMENT, "Missing ModelSpec")
    choice = spec.WhichOneof("version_choice")
    if choice == "version":
        return spec.name, spec.version.value, None
    if choice == "version_label":
        return spec.name, None, spec.version_label
    return spec.name, None, None


class ServingCore:
    """The API over a ServableManager; `executor` runs session runs that are not batched (None: inline)."""

    def __init__(self, manager, executor=None):
        self.manager = manager
        self.executor = executor

    def _call(self, spec, fn, request, *args):
        servable = self.manager.acquire(*spec_target(spec))
        try:
            return fn(servable, request, *args)
        finally:
            servable.release()

    def predict(self, request):
        return self._call(request.model_spec, predict_on, request)

    def classify(self, request):
        return self._call(request.model_spec, classify_on, request)

    def regress(self, request):
        return self._call(request.model_spec, regress_on, request)

    def multi_inference(self, request):
        _check_multi_inference(request)
        return self._call(request.tasks[0].model_spec, multi_inference_on, request)

    def get_model_metadata(self, request):
        return self._call(request.model_spec, metadata_on, request)

    def get_model_status(self, request) -> get_model_status_pb2.GetModelStatusResponse:
        name, version, label = spec_target(request.model_spec)
        if label:
            version = self.manager.resolve_label(name, label)
        response = get_model_status_pb2.GetModelStatusResponse()
        response.model_version_status.extend(self.manager.version_status(name, version))
        return response
