"""TF1's persistent tensors: a value kept in the session between `run` calls, named by a handle.

    h = sess.run(tf.get_session_handle(a * 2))      # a TensorHandle; the value stays in the session
    p, x = tf.get_session_tensor(h.handle, tf.float32)
    sess.run(x + 1, feed_dict={p: h.handle})         # reads it back (feeding `h` itself works too)
    holder, deleter = tf.delete_session_tensor(h.handle)
    sess.run(deleter, feed_dict={holder: h.handle})  # frees it (as does h.delete())

GetSessionHandle stores its input in the session's state and outputs the handle string
("<op name>;<id>;<device>", as TF's); the session wraps a fetched handle in a TensorHandle
(`session.FETCH_CONVERTERS`, as TF1's session does for these op types). GetSessionTensor and
DeleteSessionTensor find the value by the fed handle; a handle of another session, or one
deleted, is an InvalidArgumentError. Values are freed when the session closes.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor, device
from estflow.core.ops.constant_op import placeholder
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.session import FETCH_CONVERTERS

_STATE = "estflow.session_tensor"
_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"
_lock = threading.Lock()


def _store(ctx):
    with _lock:
        return ctx.state.setdefault((_STATE, "#store"), {}), ctx.state.setdefault((_STATE, "#ids"), itertools.count())


def _not_found(handle) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, f"The tensor with handle '{handle}' is not in the session store.")


def _make_get_handle(op, ctx):
    store, ids = _store(ctx)
    name = op.name

    def get_session_handle(value):
        handle = f"{name};{next(ids)};{_DEVICE}"
        store[handle] = value.copy()  # the value as it is now: later updates of a variable do not change it
        out = np.empty((), dtype=object)
        out[()] = handle.encode()
        return out

    return get_session_handle


def _handle_text(handle) -> str:
    value = handle.item() if isinstance(handle, np.ndarray) else handle
    return value.decode() if isinstance(value, bytes) else str(value)


def _make_get_tensor(op, ctx):
    store, _ = _store(ctx)
    dtype = op._attrs["dtype"]

    def get_session_tensor(handle):
        key = _handle_text(handle)
        value = store.get(key)
        if value is None:
            raise _not_found(key)
        if value.dtype != dtype.as_numpy_dtype and not (dtype == dtypes.string and value.dtype == object):
            raise errors.InvalidArgumentError(None, None, f"The tensor with handle '{key}' holds {value.dtype}, "
                                                          f"not {dtype.name}")
        return value

    return get_session_tensor


def _make_delete(op, ctx):
    store, _ = _store(ctx)

    def delete_session_tensor(handle):
        key = _handle_text(handle)
        if store.pop(key, None) is None:
            raise _not_found(key)
        return []

    return delete_session_tensor


def _check_handle(handle: TensorSpec) -> None:
    if handle.dtype.base_dtype != dtypes.string:
        raise TypeError(f"Input 'handle' must be a string handle, got {handle.dtype.name}")


register(OpDef("GetSessionHandle", infer=lambda value: TensorSpec([], dtypes.string), make_kernel=_make_get_handle,
               stateful=True, cpu_only=True, differentiable=False, input_names=("value: T",),
               output_names=("handle: string",), attr_types={"T": "type"}))


def _infer_get_tensor(handle, *, dtype):
    _check_handle(handle)
    return TensorSpec(None, dtype)


register(OpDef("GetSessionTensor", infer=_infer_get_tensor, make_kernel=_make_get_tensor,
               attrs={"dtype": REQUIRED}, stateful=True, cpu_only=True, differentiable=False,
               input_names=("handle: string",), output_names=("value: dtype",), attr_types={"dtype": "type"}))
register(OpDef("DeleteSessionTensor", infer=lambda handle: _check_handle(handle) or [], make_kernel=_make_delete,
               stateful=True, cpu_only=True, differentiable=False, input_names=("handle: string",)))


class TensorHandle:
    """A handle to a tensor kept in a session between runs, as `sess.run(tf.get_session_handle(x))` gives."""

    def __init__(self, handle, dtype, session):
        self._handle = handle.decode() if isinstance(handle, bytes) else str(handle)
        self._dtype = dtypes.as_dtype(dtype)
        self._session = session
        self._deleted = False

    handle = property(lambda self: self._handle, doc="The handle string (feed it to get_session_tensor's holder).")

    def __str__(self) -> str:
        return self._handle

    def __repr__(self) -> str:
        return f"<TensorHandle {self._handle!r} dtype={self._dtype.name}>"

    def __array__(self, dtype=None, copy=None):  # feeding a TensorHandle feeds its handle string
        out = np.empty((), dtype=object)
        out[()] = self._handle.encode()
        return out

    def to_numpy_array(self):
        """The handle as a string scalar array (what a feed of this handle passes)."""
        return self.__array__()

    def get_raw_handle(self) -> str:
        return self._handle

    def eval(self):
        """The tensor's value, read back from the session."""
        holder, reader = _reader(self._session.graph, self._dtype)
        return self._session.run(reader, feed_dict={holder: self._handle})

    def delete(self) -> None:
        """Frees the tensor in the session (once; later calls do nothing)."""
        if self._deleted or self._session._closed:
            return
        self._deleted = True
        holder, deleter = _deleter(self._session.graph)
        self._session.run(deleter, feed_dict={holder: self._handle})


def _reader(graph, dtype):
    """One (placeholder, GetSessionTensor) pair per graph and dtype, made on first use, as TF1 caches them."""
    readers = graph.__dict__.setdefault("_estflow_handle_readers", {})
    if dtype not in readers:
        with graph.as_default():
            readers[dtype] = get_session_tensor("", dtype)
    return readers[dtype]


def _deleter(graph):
    if "_estflow_handle_deleter" not in graph.__dict__:
        with graph.as_default():
            graph.__dict__["_estflow_handle_deleter"] = delete_session_tensor("")
    return graph.__dict__["_estflow_handle_deleter"]


FETCH_CONVERTERS["GetSessionHandle"] = lambda value, tensor, session: TensorHandle(
    value.item() if isinstance(value, np.ndarray) else value, tensor.op.inputs[0].dtype.base_dtype, session)


def get_session_handle(data, name=None):
    """A string tensor naming `data`'s value, kept in the session after the run that computes it,
    as `tf.get_session_handle`; `sess.run` of it gives a TensorHandle.

        h = sess.run(tf.get_session_handle(c))   # h.eval() reads the value back
    """
    if not isinstance(data, Tensor):
        raise TypeError("`data` must be of type Tensor.")
    return apply_op("GetSessionHandle", data, name=name or "GetSessionHandle")


def _device_of(handle) -> str:
    """The device a handle string names ("<op>;<id>;<device>"), "" for none."""
    text = handle.handle if isinstance(handle, TensorHandle) else _handle_text(handle)
    return text.split(";")[-1] if text.count(";") == 2 else ""


def get_session_tensor(handle, dtype, name=None):
    """(holder, tensor): feed a handle string (or a TensorHandle) to the string placeholder `holder`
    and `tensor` is the persistent tensor it names, as `tf.get_session_tensor` (placed on the
    device `handle` names, as TF1 does)."""
    with device(_device_of(handle)):
        holder = placeholder(dtypes.string)
        return holder, apply_op("GetSessionTensor", holder, name=name or "GetSessionTensor",
                                dtype=dtypes.as_dtype(dtype))


def delete_session_tensor(handle, name=None):
    """(holder, deleter): run `deleter` feeding a handle string to `holder` to free that persistent
    tensor, as `tf.delete_session_tensor`."""
    with device(_device_of(handle)):
        holder = placeholder(dtypes.string)
        return holder, apply_op("DeleteSessionTensor", holder, name=name or "DeleteSessionTensor")
