"""`tf.errors.raise_exception_on_not_ok_status`: a status filled in by the block, raised as TF's error class."""

from __future__ import annotations

from estflow.core import errors


class Status:
    """What `raise_exception_on_not_ok_status` yields: an error code (0 = OK) and message the block may set."""

    def __init__(self):
        self.code = errors.OK
        self.message = ""

    def set(self, code: int, message: str) -> None:
        """Record a failure (a `tf.errors` code and its message)."""
        self.code, self.message = int(code), str(message)


class raise_exception_on_not_ok_status:  # noqa: N801 - TF's public name
    """A context manager yielding a Status; if the block leaves it not OK, the exception TF maps its code to
    (`InvalidArgumentError` for INVALID_ARGUMENT...) is raised on exit, as TF's.

        with tf.errors.raise_exception_on_not_ok_status() as status:
            status.set(tf.errors.NOT_FOUND, "no such file")   # raises NotFoundError on exit
    """

    def __enter__(self) -> Status:
        self.status = Status()
        return self.status

    def __exit__(self, type_arg, value_arg, traceback_arg):
        try:
            if self.status.code != errors.OK:
                try:
                    cls = errors.exception_type_from_error_code(self.status.code)
                except KeyError:  # a code TF does not know: UnknownError, as TF's _make_specific_exception
                    cls = errors.UnknownError
                raise cls(None, None, self.status.message)
        finally:
            del self.status
        return False
