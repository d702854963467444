"""TensorFlow Serving's gRPC services on grpcio: tensorflow.serving.PredictionService and ModelService."""

from __future__ import annotations

import time

import grpc

from estflow.model_server import errors
from estflow.model_server.protos import (
    model_management_pb2,
    model_service_pb2_grpc,
    prediction_service_pb2_grpc,
)

_GRPC_CODES = {code.value[0]: code for code in grpc.StatusCode}


def _grpc_code(code: int) -> grpc.StatusCode:
    return _GRPC_CODES.get(code, grpc.StatusCode.UNKNOWN)


class _Base:
    def __init__(self, core, metrics=None):
        self.core = core
        self.metrics = metrics

    def _serve(self, api: str, model_name: str, fn, request, context):
        start = time.perf_counter()
        try:
            response = fn(request)
        except Exception as e:  # noqa: BLE001 - every failure goes back to the client as a gRPC status
            err = errors.from_exception(e)
            self._record(model_name, api, err.code_name, start)
            context.abort(_grpc_code(err.code), err.message)
        self._record(model_name, api, "OK", start)
        return response

    def _record(self, model_name, api, status, start):
        if self.metrics is not None and model_name:
            self.metrics.record(model_name, api, "GRPC", status, time.perf_counter() - start)


class PredictionServicer(_Base, prediction_service_pb2_grpc.PredictionServiceServicer):
    def Predict(self, request, context):
        return self._serve("predict", request.model_spec.name, self.core.predict, request, context)

    def Classify(self, request, context):
        return self._serve("classify", request.model_spec.name, self.core.classify, request, context)

    def Regress(self, request, context):
        return self._serve("regress", request.model_spec.name, self.core.regress, request, context)

    def MultiInference(self, request, context):
        name = request.tasks[0].model_spec.name if request.tasks else ""
        return self._serve("multi_inference", name, self.core.multi_inference, request, context)

    def GetModelMetadata(self, request, context):
        return self._serve("get_model_metadata", request.model_spec.name, self.core.get_model_metadata, request,
                           context)


class ModelServicer(_Base, model_service_pb2_grpc.ModelServiceServicer):
    def GetModelStatus(self, request, context):
        return self._serve("get_model_status", request.model_spec.name, self.core.get_model_status, request, context)

    def HandleReloadConfigRequest(self, request, context):
        response = model_management_pb2.ReloadConfigResponse()
        try:
            self.core.manager.reload_config(request.config)
        except Exception as e:  # noqa: BLE001 - the status travels in the response, as TF Serving's
            err = errors.from_exception(e)
            response.status.error_code = err.code
            response.status.error_message = err.message
        return response


def add_services(server: grpc.Server, core, metrics=None) -> None:
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionServicer(core, metrics), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(ModelServicer(core, metrics), server)
