"""`tf.errors`: the exception classes TF1 raises from `Session.run`, with TF's codes.

Mistakes found while building a graph raise ValueError or TypeError; failures while
running raise one of these, carrying the failing `op`, its `node_def` and a message.
"""

from __future__ import annotations

import errno as _errno
import os as _os

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """A failure while running an op, as `tf.errors.OpError`."""

    def __init__(self, node_def, op, message: str, error_code: int = UNKNOWN, *args):
        super().__init__(message)
        self._node_def = node_def
        self._op = op
        self._message = message
        self._error_code = error_code

    message = property(lambda self: self._message)
    op = property(lambda self: self._op)
    @property
    def node_def(self):
        """The failing node's NodeDef (derived from `op` when not given)."""
        if self._node_def is None and self._op is not None and hasattr(self._op, "node_def"):
            try:
                self._node_def = self._op.node_def
            except Exception:  # noqa: BLE001 - an attr that cannot be encoded: no NodeDef to show
                return None
        return self._node_def
    error_code = property(lambda self: self._error_code)

    def __reduce__(self):
        return type(self), (self._node_def, self._op, self._message)

    def __str__(self) -> str:
        return self._message


def _subclass(name: str, code: int, doc: str):
    def __init__(self, node_def, op, message, *args):
        OpError.__init__(self, node_def, op, message, code)

    return type(name, (OpError,), {"__init__": __init__, "__doc__": doc})


CancelledError = _subclass("CancelledError", CANCELLED, "An operation was cancelled.")
UnknownError = _subclass("UnknownError", UNKNOWN, "An unknown error.")
InvalidArgumentError = _subclass("InvalidArgumentError", INVALID_ARGUMENT, "An op got an invalid argument.")
DeadlineExceededError = _subclass("DeadlineExceededError", DEADLINE_EXCEEDED, "A deadline passed.")
NotFoundError = _subclass("NotFoundError", NOT_FOUND, "A requested entity was not found.")
AlreadyExistsError = _subclass("AlreadyExistsError", ALREADY_EXISTS, "An entity already exists.")
PermissionDeniedError = _subclass("PermissionDeniedError", PERMISSION_DENIED, "Permission denied.")
UnauthenticatedError = _subclass("UnauthenticatedError", UNAUTHENTICATED, "No valid credentials.")
ResourceExhaustedError = _subclass("ResourceExhaustedError", RESOURCE_EXHAUSTED, "A resource ran out.")
FailedPreconditionError = _subclass(
    "FailedPreconditionError", FAILED_PRECONDITION, "The system is not in a state to run the op."
)
AbortedError = _subclass("AbortedError", ABORTED, "An operation was aborted.")
OutOfRangeError = _subclass("OutOfRangeError", OUT_OF_RANGE, "An operation iterated past the valid range.")
UnimplementedError = _subclass("UnimplementedError", UNIMPLEMENTED, "An operation is not implemented.")
InternalError = _subclass("InternalError", INTERNAL, "An internal invariant broke.")
UnavailableError = _subclass("UnavailableError", UNAVAILABLE, "A service is unavailable.")
DataLossError = _subclass("DataLossError", DATA_LOSS, "Unrecoverable data loss or corruption.")

_CODE_TO_CLASS = {
    CANCELLED: CancelledError, UNKNOWN: UnknownError, INVALID_ARGUMENT: InvalidArgumentError,
    DEADLINE_EXCEEDED: DeadlineExceededError, NOT_FOUND: NotFoundError,
    ALREADY_EXISTS: AlreadyExistsError, PERMISSION_DENIED: PermissionDeniedError,
    UNAUTHENTICATED: UnauthenticatedError, RESOURCE_EXHAUSTED: ResourceExhaustedError,
    FAILED_PRECONDITION: FailedPreconditionError, ABORTED: AbortedError,
    OUT_OF_RANGE: OutOfRangeError, UNIMPLEMENTED: UnimplementedError, INTERNAL: InternalError,
    UNAVAILABLE: UnavailableError, DATA_LOSS: DataLossError,
}


def exception_type_from_error_code(error_code: int) -> type:
    return _CODE_TO_CLASS[error_code]


def error_code_from_exception_type(cls: type) -> int:
    return {v: k for k, v in _CODE_TO_CLASS.items()}[cls]


_ERRNO_CLASS = {
    _errno.ENOENT: NotFoundError,
    _errno.EEXIST: AlreadyExistsError,
    _errno.EACCES: PermissionDeniedError,
    _errno.EPERM: PermissionDeniedError,
    _errno.EROFS: PermissionDeniedError,
    _errno.ENOTDIR: FailedPreconditionError,
    _errno.EISDIR: FailedPreconditionError,
    _errno.ENOTEMPTY: FailedPreconditionError,
    _errno.ENOSPC: ResourceExhaustedError,
}


def from_os_error(path, e: OSError) -> OpError:
    """A failed file operation as TF reports it: `NotFoundError("path; No such file or directory")`."""
    code = e.errno if e.errno is not None else 0
    cls = _ERRNO_CLASS.get(code, UnknownError)
    reason = _os.strerror(code) if code else str(e)
    if path is None:  # the failing call named no file: say what failed rather than "None; Invalid argument"
        return cls(None, None, f"{type(e).__name__}: {e}")
    return cls(None, None, f"{path}; {reason}")
