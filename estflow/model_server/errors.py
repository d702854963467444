"""Serving errors: TensorFlow's canonical codes, mapped to HTTP and gRPC as TensorFlow Serving maps them."""

from __future__ import annotations

from estflow.model_server.protos import error_codes_pb2

OK = error_codes_pb2.OK
CANCELLED = error_codes_pb2.CANCELLED
UNKNOWN = error_codes_pb2.UNKNOWN
INVALID_ARGUMENT = error_codes_pb2.INVALID_ARGUMENT
DEADLINE_EXCEEDED = error_codes_pb2.DEADLINE_EXCEEDED
NOT_FOUND = error_codes_pb2.NOT_FOUND
RESOURCE_EXHAUSTED = error_codes_pb2.RESOURCE_EXHAUSTED
FAILED_PRECONDITION = error_codes_pb2.FAILED_PRECONDITION
UNIMPLEMENTED = error_codes_pb2.UNIMPLEMENTED
INTERNAL = error_codes_pb2.INTERNAL
UNAVAILABLE = error_codes_pb2.UNAVAILABLE

# TensorFlow Serving's ToHTTPStatusCode (model_servers/http_server.cc).
_HTTP_STATUS = {
    error_codes_pb2.OK: 200,
    error_codes_pb2.CANCELLED: 499,
    error_codes_pb2.UNKNOWN: 500,
    error_codes_pb2.INVALID_ARGUMENT: 400,
    error_codes_pb2.DEADLINE_EXCEEDED: 504,
    error_codes_pb2.NOT_FOUND: 404,
    error_codes_pb2.ALREADY_EXISTS: 409,
    error_codes_pb2.PERMISSION_DENIED: 403,
    error_codes_pb2.RESOURCE_EXHAUSTED: 429,
    error_codes_pb2.FAILED_PRECONDITION: 400,
    error_codes_pb2.ABORTED: 409,
    error_codes_pb2.OUT_OF_RANGE: 400,
    error_codes_pb2.UNIMPLEMENTED: 501,
    error_codes_pb2.INTERNAL: 500,
    error_codes_pb2.UNAVAILABLE: 503,
    error_codes_pb2.DATA_LOSS: 500,
    error_codes_pb2.UNAUTHENTICATED: 401,
}


class ServingError(Exception):
    """A request or load failure with TensorFlow's canonical error code (`errors.INVALID_ARGUMENT`...)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return http_status(self.code)

    @property
    def code_name(self) -> str:
        return error_codes_pb2.Code.Name(self.code)


def http_status(code: int) -> int:
    """The HTTP status TensorFlow Serving answers a status with this code with."""
    return _HTTP_STATUS.get(code, 500)


def from_exception(e: BaseException) -> ServingError:
    """A ServingError for any exception raised while serving: estflow's `tf.errors` keep their code."""
    if isinstance(e, ServingError):
        return e
    code = getattr(e, "error_code", None)
    if isinstance(code, int) and code in _HTTP_STATUS:
        return ServingError(code, getattr(e, "message", None) or str(e))
    if isinstance(e, (ValueError, TypeError)):
        return ServingError(INVALID_ARGUMENT, str(e))
    return ServingError(INTERNAL, f"{type(e).__name__}: {e}")
