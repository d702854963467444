"""Python functions run inside a graph: `tf.py_func`, `tf.numpy_function`, `tf.py_function`
(TF's PyFunc, PyFuncStateless and EagerPyFunc ops).

The function itself lives in this process: the op's `token` attr is a `PyFuncToken`, a
`graph_io.PythonObjectAttr`, so writing such a graph to a GraphDef (export, SavedModel,
`as_graph_def`) raises `UnexportableGraphError` naming the node. Code that must refuse such
graphs early can test `is_py_func(op)` or look for the op types in `PY_FUNC_OP_TYPES`.

    def clip(x):
        return np.clip(x, 0, 1)
    y = tf.py_func(clip, [x], tf.float32)
"""

from __future__ import annotations

import itertools

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Operation
from estflow.core.graph_io import PythonObjectAttr
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape
from estflow.core.tensor_util import to_string_array

PY_FUNC_OP_TYPES = ("PyFunc", "PyFuncStateless", "EagerPyFunc")
_TOKENS = itertools.count()


class PyFuncToken(PythonObjectAttr):
    """The `token` attr of a PyFunc op: names the Python function it runs (`payload`)."""

    why = "runs a Python function (tf.py_func / tf.numpy_function / tf.py_function)"
    advice = ("Rewrite the function with TensorFlow ops, or keep it out of the graph you export (apply it to the "
              "inputs before they are fed, or to the outputs after they are fetched).")


def is_py_func(op: Operation) -> bool:
    """Whether `op` runs a Python function (and so cannot be exported)."""
    return op.type in PY_FUNC_OP_TYPES


class EagerValue(np.ndarray):
    """What tf.py_function passes its function: a numpy array with TF2's `.numpy()`."""

    def numpy(self) -> np.ndarray:
        return np.asarray(self)


_PY_ERRORS = ((ValueError, errors.InvalidArgumentError), (TypeError, errors.InvalidArgumentError),
              (IndexError, errors.OutOfRangeError), (StopIteration, errors.OutOfRangeError),
              (MemoryError, errors.ResourceExhaustedError), (NotImplementedError, errors.UnimplementedError))


def _error(exc: BaseException) -> errors.OpError:
    if isinstance(exc, errors.OpError):
        return exc
    cls = next((c for kind, c in _PY_ERRORS if isinstance(exc, kind)), errors.UnknownError)
    return cls(None, None, f"{type(exc).__name__}: {exc}")


def _as_output(value, dtype: dtypes.DType, i: int, token: str) -> np.ndarray:
    if dtype == dtypes.string:
        return to_string_array(value)
    if isinstance(value, (np.ndarray, np.generic)) and value.dtype != dtype.as_numpy_dtype:
        raise errors.InvalidArgumentError(None, None, f"{i}-th value returned by {token} is "
                                          f"{dtypes.as_dtype(value.dtype).name}, but expects {dtype.name}")
    try:
        return np.asarray(value, dtype=dtype.as_numpy_dtype)
    except (TypeError, ValueError) as e:
        raise errors.InvalidArgumentError(None, None, f"{i}-th value returned by {token} cannot be converted to "
                                          f"{dtype.name}: {e}") from None


def _make_py_func(op, ctx):
    token = op.get_attr("token")
    func, eager = token.payload
    out_types = [dtypes.as_dtype(t) for t in op.get_attr("Tout")]

    def run(*inputs):
        args = [np.asarray(x) for x in inputs]
        if eager:
            args = [a.view(EagerValue) for a in args]
        try:
            result = func(*args)
        except Exception as e:  # noqa: BLE001 - the function's error becomes the op's, as TF reports it
            raise _error(e) from e
        if not out_types:
            return ()
        if len(out_types) == 1 and not isinstance(result, (list, tuple)):
            result = [result]
        if not isinstance(result, (list, tuple)) or len(result) != len(out_types):
            got = len(result) if isinstance(result, (list, tuple)) else 1
            raise errors.InvalidArgumentError(None, None, f"pyfunc {token} returned {got} values, but expects "
                                              f"{len(out_types)}")
        return tuple(_as_output(v, t, i, str(token)) for i, (v, t) in enumerate(zip(result, out_types,
                                                                                     strict=True)))

    return run


def _infer_py_func(*inputs, token=None, Tin=(), Tout=(), is_async=False):
    return [TensorSpec(TensorShape(None), dtypes.as_dtype(t)) for t in Tout]


_ATTR_TYPES = {"token": "string", "Tin": "list(type) >= 0", "Tout": "list(type) >= 0"}
for _name, _stateful in (("PyFunc", True), ("PyFuncStateless", False)):
    register(OpDef(_name, infer=_infer_py_func, make_kernel=_make_py_func, attrs={"token": None, "Tin": None,
                                                                                   "Tout": None},
                   stateful=_stateful, cpu_only=True, differentiable=False,
                   input_names=("input: Tin",), output_names=("output: Tout",), attr_types=_ATTR_TYPES))
register(OpDef("EagerPyFunc", infer=_infer_py_func, make_kernel=_make_py_func,
               attrs={"token": None, "is_async": False, "Tin": None, "Tout": None},
               stateful=True, cpu_only=True, differentiable=False,
               input_names=("input: Tin",), output_names=("output: Tout",),
               attr_types={**_ATTR_TYPES, "is_async": "bool"}))


def _py_func(op_type, func, inp, Tout, eager, name):  # noqa: N803 - TF's argument name
    if not callable(func):
        raise TypeError(f"Expected func to be callable, got func of type {type(func).__name__}")
    single = not isinstance(Tout, (list, tuple))
    out_types = [dtypes.as_dtype(t) for t in ([Tout] if single else Tout)]
    inputs = [convert_to_tensor(x) for x in (inp if isinstance(inp, (list, tuple)) else [inp])]
    token = PyFuncToken(f"pyfunc_{next(_TOKENS)}")
    token.payload = (func, eager)
    outputs = apply_op(op_type, *inputs, name=name or op_type, token=token,
                       Tin=tuple(x.dtype for x in inputs), Tout=tuple(out_types))
    if isinstance(outputs, Operation):  # no outputs: the op itself, as TF returns it
        return outputs
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    if single:
        return outputs[0]
    return list(outputs)


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's argument name
    """Runs `func` on the numpy values of `inp` when the op runs; its results become `Tout` tensors,
    as `tf.py_func`. `stateful=False` declares repeated calls with one input give one result.

    Graphs holding the op cannot be exported (see the module docstring).
    """
    return _py_func("PyFunc" if stateful else "PyFuncStateless", func, inp, Tout, False, name)


def numpy_function(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TF's argument name
    """`tf.py_func` under TF2's name: `func` gets and returns numpy arrays, as `tf.numpy_function`."""
    return py_func(func, inp, Tout, stateful=stateful, name=name)


def py_function(func, inp, Tout, name=None):  # noqa: N803 - TF's argument name
    """Runs `func` on the values of `inp` (arrays with `.numpy()`, as TF2's eager tensors), as
    `tf.py_function`; not differentiable here (TF differentiates it through a GradientTape)."""
    return _py_func("EagerPyFunc", func, inp, Tout, True, name)
