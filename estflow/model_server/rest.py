"""TensorFlow Serving's REST API as a raw ASGI application (served by uvicorn).

    GET  /v1/models/NAME[/versions/N | /labels/L]            version status
    GET  /v1/models/NAME[/versions/N | /labels/L]/metadata   signature defs
    POST /v1/models/NAME[/versions/N | /labels/L]:predict    {"instances": ...} or {"inputs": ...}
    POST /v1/models/NAME[/versions/N | /labels/L]:classify   {"examples": ..., "context": ...}
    POST /v1/models/NAME[/versions/N | /labels/L]:regress
    GET  /monitoring/prometheus/metrics                      when monitoring is enabled

Errors answer `{"error": "..."}` with TF Serving's HTTP status for the error code (400
malformed or wrong request, 404 unknown model or version, 503 no version available yet,
504 past `--rest_api_timeout_in_ms`); a body over the size limit is refused with 413
before it is read. The JSON is parsed and written on the event loop; session runs go to
the server's thread pool, or to the batcher.
"""

from __future__ import annotations

import asyncio
import re
import time

from google.protobuf import json_format

from estflow.model_server import errors, json_api, service
from estflow.model_server.protos import get_model_metadata_pb2, get_model_status_pb2
from estflow.model_server.servable import CLASSIFY_METHOD, REGRESS_METHOD

_PREDICTION = re.compile(r"(?i)/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|"
                         r"predict)")
_STATUS = re.compile(r"(?i)/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?")
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _Response(Exception):
    """An HTTP answer other than a JSON success (raised to unwind the handler)."""

    def __init__(self, status: int, body: bytes, content_type: bytes = b"application/json"):
        super().__init__(status)
        self.status, self.body, self.content_type = status, body, content_type


class RestApp:
    """The ASGI app. `core` is a service.ServingCore; `executor` runs session runs; `metrics` may be None."""

    def __init__(self, core: service.ServingCore, executor=None, max_request_bytes: int = 64 << 20,
                 timeout_s: float | None = 30.0, metrics=None, metrics_path: str | None = None):
        self.core = core
        self.executor = executor
        self.max_request_bytes = max_request_bytes
        self.timeout_s = timeout_s
        self.metrics = metrics
        self.metrics_path = metrics_path
        self._active = 0  # requests between body read and answer (event loop only: no lock)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        status, body, content_type = await self._handle(scope, receive)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def _read_body(self, scope, receive) -> bytes:
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    raise _Response(400, json_api.error_body("Malformed Content-Length header")) from None
                if declared > self.max_request_bytes:
                    raise _Response(413, json_api.error_body(
                        f"Request body of {declared} bytes exceeds the limit of {self.max_request_bytes} bytes"))
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Response(499, b"")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_request_bytes:
                raise _Response(413, json_api.error_body(
                    f"Request body exceeds the limit of {self.max_request_bytes} bytes"))
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _handle(self, scope, receive):
        method, path = scope["method"], scope["path"]
        start = time.perf_counter()
        model_name, api = "", ""
        try:
            if method == "GET" and self.metrics_path is not None and path == self.metrics_path:
                return 200, self.metrics.page(), b"text/plain; version=0.0.4; charset=utf-8"
            if not path[:4].lower() == "/v1/":
                raise _Response(404, b"")
            body = await self._read_body(scope, receive)
            match = _PREDICTION.fullmatch(path) if method == "POST" else None
            if match:
                model_name, version, label, verb = match.groups()
                api = verb.lower()
                target = (model_name, None if version is None else _version(version), label)
                out = await self._prediction(api, target, body)
            else:
                match = _STATUS.fullmatch(path) if method == "GET" else None
                if not match:
                    raise errors.ServingError(errors.INVALID_ARGUMENT, f"Malformed request: {method} {path}")
                model_name, version, label, metadata = match.groups()
                if not model_name:
                    raise errors.ServingError(errors.INVALID_ARGUMENT, "Missing model name in request.")
                target = (model_name, None if version is None else _version(version), label)
                api = "get_model_metadata" if metadata else "get_model_status"
                out = self._metadata(target) if metadata else self._status(target)
            self._record(model_name, api, "OK", start)
            return 200, out, b"application/json"
        except errors.ServingError as e:
            self._record(model_name, api, e.code_name, start)
            return e.http_status, json_api.error_body(e.message), b"application/json"
        except _Response as r:
            return r.status, r.body, r.content_type
        except Exception as e:  # noqa: BLE001 - any failure is answered, and the server keeps serving
            err = errors.from_exception(e)
            self._record(model_name, api, err.code_name, start)
            return err.http_status, json_api.error_body(err.message), b"application/json"

    def _record(self, model_name, api, status, start):
        if self.metrics is not None and model_name:
            self.metrics.record(model_name, api or "unknown", "REST", status, time.perf_counter() - start)

    async def _prediction(self, api: str, target, body: bytes) -> bytes:
        self._active += 1
        try:
            return await self._predict_classify_regress(api, target, body)
        finally:
            self._active -= 1

    async def _predict_classify_regress(self, api: str, target, body: bytes) -> bytes:
        doc = json_api.loads(body)
        servable = self.core.manager.acquire(*target)
        handed_off = False
        try:
            if api == "predict":
                signature_name, feeds, fmt = json_api.parse_predict(
                    doc, lambda name: servable.signature(name).input_dtypes)
                sig, feeds, fetches = servable.prepare_predict(signature_name, feeds)
            else:
                signature_name, inp = json_api.parse_examples(doc)
                method = CLASSIFY_METHOD if api == "classify" else REGRESS_METHOD
                sig, feeds, fetches = servable.prepare_examples(signature_name, inp, method)
                n = next(iter(feeds.values())).shape[0]
            if self._active == 1 and not servable.batching and _quick(servable, feeds):
                # Alone on the server, a run known to be quick (under 1 ms, small inputs) runs right here: no
                # thread hop, the lowest latency. Otherwise it runs on the thread pool (or the batcher), in
                # parallel with other requests and under --rest_api_timeout_in_ms.
                outputs = servable.run_direct(sig.key, feeds, fetches)
            else:
                future = servable.submit(sig.key, feeds, fetches, self.executor)
                future.add_done_callback(lambda _: servable.release())
                handed_off = True
                outputs = await self._wait(future)
        finally:
            if not handed_off:
                servable.release()
        if api == "predict":
            return json_api.predict_response_bytes(outputs, fmt)
        if api == "classify":
            return json_api.dumps(json_api.classification_response(servable.classification_result(outputs, n)))
        return json_api.dumps(json_api.regression_response(servable.regression_result(outputs, n)))

    async def _wait(self, future):
        if future.done():
            return future.result()
        wrapped = asyncio.wrap_future(future)
        if not self.timeout_s:
            return await wrapped
        try:
            return await asyncio.wait_for(asyncio.shield(wrapped), self.timeout_s)
        except TimeoutError:
            raise errors.ServingError(errors.DEADLINE_EXCEEDED, "Deadline exceeded") from None

    def _status(self, target) -> bytes:
        name, version, label = target
        if label:
            version = self.core.manager.resolve_label(name, label)
        response = get_model_status_pb2.GetModelStatusResponse()
        response.model_version_status.extend(self.core.manager.version_status(name, version))
        return json_format.MessageToJson(response, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True).encode("utf-8")

    def _metadata(self, target) -> bytes:
        servable = self.core.manager.acquire(*target)
        try:
            request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=[service.SIGNATURE_DEF_FIELD])
            response = service.metadata_on(servable, request)
        finally:
            servable.release()
        sigs = get_model_metadata_pb2.SignatureDefMap()
        response.metadata[service.SIGNATURE_DEF_FIELD].Unpack(sigs)
        spec = json_format.MessageToDict(response.model_spec, preserving_proto_field_name=True,
                                         always_print_fields_with_no_presence=True)
        spec["version"] = str(response.model_spec.version.value)
        doc = {"model_spec": spec,
               "metadata": {"signature_def": json_format.MessageToDict(
                   sigs, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)}}
        return json_api.dumps(doc)


_QUICK_RUN_SECONDS = 1e-3
_QUICK_FEED_BYTES = 1 << 16


def _quick(servable, feeds: dict) -> bool:
    recent = servable.recent_run_seconds
    if recent is None or recent > _QUICK_RUN_SECONDS:
        return False
    return sum(a.nbytes for a in feeds.values()) <= _QUICK_FEED_BYTES


def _version(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.ServingError(errors.INVALID_ARGUMENT, f"Failed to convert version: {text} to numeric.") from None
