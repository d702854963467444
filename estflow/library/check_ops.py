"""TF1's `tf.assert_*` family, `verify_tensor_all_finite` and `add_check_numerics_ops` (check_ops.py).

Each assertion is a `tf.Assert` op over a condition built from ordinary ops, with TF's
default data (the condition in words, then the tensors); use it as a control dependency.
When both sides are known while the graph is built, a failing condition raises TF1's
InvalidArgumentError at once, and rank/dtype checks that the static shapes already decide
raise ValueError/TypeError, as TF1 does.

    with tf.control_dependencies([tf.assert_positive(x)]):
        y = tf.log(x)
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor, colocate_with, control_dependencies, get_default_graph, name_scope
from estflow.core.ops import (
    array_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.variables import global_variables, is_variable_initialized, local_variables


def _prefix(message) -> str:
    return f"{message}  " if message else ""


def _static(x: Tensor):
    value = x._const_value
    return None if value is None else np.asarray(value)


def _binary_assert(symbol, op_name, condition_fn, numpy_fn, x, y, data, summarize, message, name):
    with name_scope(name, op_name, [x, y, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        if data is None:
            data = [f"Condition x {symbol} y did not hold element-wise:", f"x ({x.name}) = ", x,
                    f"y ({y.name}) = ", y]
            if message is not None:
                data = [message] + data
        x_static, y_static = _static(x), _static(y)
        if x_static is not None and y_static is not None and not bool(np.all(numpy_fn(x_static, y_static))):
            shown = [str(d if not isinstance(d, Tensor) else _static(d)) for d in data]
            raise errors.InvalidArgumentError(None, None, "\n".join(shown))
        condition = reduction_ops.reduce_all(condition_fn(x, y))
        return control_flow_ops.Assert(condition, data, summarize=summarize)


def assert_equal(x, y, data=None, summarize=None, message=None, name=None):
    """An op failing (InvalidArgumentError) unless x == y everywhere (broadcast), as `tf.assert_equal`."""
    return _binary_assert("==", "assert_equal", comparison_ops.equal, np.equal, x, y, data, summarize, message,
                          name)


def assert_none_equal(x, y, data=None, summarize=None, message=None, name=None):
    """An op failing unless x != y everywhere, as `tf.assert_none_equal`."""
    return _binary_assert("!=", "assert_none_equal", comparison_ops.not_equal, np.not_equal, x, y, data, summarize,
                          message, name)


def assert_less(x, y, data=None, summarize=None, message=None, name=None):
    """An op failing unless x < y everywhere, as `tf.assert_less`."""
    return _binary_assert("<", "assert_less", comparison_ops.less, np.less, x, y, data, summarize, message, name)


def assert_less_equal(x, y, data=None, summarize=None, message=None, name=None):
    """An op failing unless x <= y everywhere, as `tf.assert_less_equal`."""
    return _binary_assert("<=", "assert_less_equal", comparison_ops.less_equal, np.less_equal, x, y, data,
                          summarize, message, name)


def assert_greater(x, y, data=None, summarize=None, message=None, name=None):
    """An op failing unless x > y everywhere, as `tf.assert_greater`."""
    return _binary_assert(">", "assert_greater", comparison_ops.greater, np.greater, x, y, data, summarize, message,
                          name)


def assert_greater_equal(x, y, data=None, summarize=None, message=None, name=None):
    """An op failing unless x >= y everywhere, as `tf.assert_greater_equal`."""
    return _binary_assert(">=", "assert_greater_equal", comparison_ops.greater_equal, np.greater_equal, x, y, data,
                          summarize, message, name)


def _sign_assert(symbol, op_name, x, data, summarize, message, name, zero_first, check):
    with name_scope(name, op_name, [x, data]):
        x = convert_to_tensor(x, name="x")
        if data is None:
            data = [f"Condition x {symbol} 0 did not hold element-wise:", f"x (name: {x.name}) = ", x]
            if message is not None:
                data = [message] + data
        zero = fill_ops.zeros([], dtype=x.dtype)
        return check(zero, x, data=data, summarize=summarize) if zero_first else \
            check(x, zero, data=data, summarize=summarize)


def assert_positive(x, data=None, summarize=None, message=None, name=None):
    """An op failing unless every element of x is > 0, as `tf.assert_positive`."""
    return _sign_assert(">", "assert_positive", x, data, summarize, message, name, True, assert_less)


def assert_negative(x, data=None, summarize=None, message=None, name=None):
    """An op failing unless every element of x is < 0, as `tf.assert_negative`."""
    return _sign_assert("<", "assert_negative", x, data, summarize, message, name, False, assert_less)


def assert_non_negative(x, data=None, summarize=None, message=None, name=None):
    """An op failing unless every element of x is >= 0, as `tf.assert_non_negative`."""
    return _sign_assert(">=", "assert_non_negative", x, data, summarize, message, name, True, assert_less_equal)


def assert_non_positive(x, data=None, summarize=None, message=None, name=None):
    """An op failing unless every element of x is <= 0, as `tf.assert_non_positive`."""
    return _sign_assert("<=", "assert_non_positive", x, data, summarize, message, name, False, assert_less_equal)


def assert_near(x, y, rtol=None, atol=None, data=None, summarize=None, message=None, name=None):
    """An op failing unless |x - y| <= atol + rtol * |y| everywhere, as `tf.assert_near`.

    The tolerances default to 10 * the dtype's machine epsilon (float16: 1e-3 ... float64).
    """
    with name_scope(name, "assert_near", [x, y, rtol, atol, data]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        eps = float(np.finfo(x.dtype.real_dtype.as_numpy_dtype).eps)
        rtol = convert_to_tensor(10 * eps if rtol is None else rtol, name="rtol", dtype=x.dtype.real_dtype)
        atol = convert_to_tensor(10 * eps if atol is None else atol, name="atol", dtype=x.dtype.real_dtype)
        if data is None:
            data = [f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}", f"x (name: {x.name}) = ", x,
                    f"y (name: {y.name}) = ", y]
            if message is not None:
                data = [message] + data
        tolerance = atol + rtol * unary_ops.abs(y)
        condition = reduction_ops.reduce_all(comparison_ops.less_equal(unary_ops.abs(x - y), tolerance))
        return control_flow_ops.Assert(condition, data, summarize=summarize)


def _rank_assert(x, accepted, static_ok, dynamic_ok, describe, op_name, data, summarize, message, name):
    with name_scope(name, op_name, [x, data]):
        x = convert_to_tensor(x, name="x") if not isinstance(x, SparseTensor) else x
        rank_static = x.shape.ndims if not isinstance(x, SparseTensor) else x.dense_shape.shape.as_tuple()[0]
        accepted_static = [_static(convert_to_tensor(r, dtype=dtypes.int32)) for r in accepted]
        if any(r is None for r in accepted_static):
            raise ValueError("estflow checks ranks given as Python ints or constants")
        wanted = [int(r) for r in accepted_static]
        if rank_static is not None:
            if not static_ok(rank_static, wanted):
                raise ValueError(f"{_prefix(message)}Tensor {name or x.name} {describe(wanted)}. Received rank "
                                 f"{rank_static}, shape {x.get_shape()}")
            return control_flow_ops.no_op(name="static_checks_determined_all_ok")
        rank = array_ops.rank(x) if not isinstance(x, SparseTensor) else array_ops.size(x.dense_shape)
        if data is None:
            data = [message or "", f"Tensor {x.name} {describe(wanted)}", "Received shape: ", array_ops.shape(x)]
        return control_flow_ops.Assert(dynamic_ok(rank, wanted), data, summarize=summarize)


def assert_rank(x, rank, data=None, summarize=None, message=None, name=None):
    """Checks that x has rank `rank`: ValueError when the static shape decides, else an op, as `tf.assert_rank`."""
    return _rank_assert(x, [rank], lambda r, w: r == w[0], lambda r, w: comparison_ops.equal(r, w[0]),
                        lambda w: f"must have rank {w[0]}", "assert_rank", data, summarize, message, name)


def assert_rank_at_least(x, rank, data=None, summarize=None, message=None, name=None):
    """Checks that x has rank >= `rank`, as `tf.assert_rank_at_least`."""
    return _rank_assert(x, [rank], lambda r, w: r >= w[0], lambda r, w: comparison_ops.greater_equal(r, w[0]),
                        lambda w: f"must have rank at least {w[0]}", "assert_rank_at_least", data, summarize,
                        message, name)


def assert_rank_in(x, ranks, data=None, summarize=None, message=None, name=None):
    """Checks that x's rank is one of `ranks`, as `tf.assert_rank_in`."""
    def dynamic(r, wanted):
        return reduction_ops.reduce_any(comparison_ops.equal(r, convert_to_tensor(wanted, dtype=dtypes.int32)))

    return _rank_assert(x, list(ranks), lambda r, w: r in w, dynamic,
                        lambda w: f"does not have rank in {tuple(w)}", "assert_rank_in", data, summarize, message,
                        name)


def assert_integer(x, message=None, name=None):
    """TypeError unless x has an integer dtype (a static check; returns a no-op), as `tf.assert_integer`."""
    with name_scope(name, "assert_integer", [x]):
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_integer:
            raise TypeError(f"{_prefix(message)}Expected \"x\" to be integer type.  Found: {x.name} of dtype "
                            f"{x.dtype.name}")
        return control_flow_ops.no_op("statically_determined_was_integer")


def assert_type(tensor, tf_type, message=None, name=None):
    """TypeError unless `tensor` has dtype `tf_type` (a static check; returns a no-op), as `tf.assert_type`."""
    with name_scope(name, "assert_type", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        if tensor.dtype != dtypes.as_dtype(tf_type):
            raise TypeError(f"{_prefix(message)}{tensor.name} must be of type {dtypes.as_dtype(tf_type)!r}; got "
                            f"{tensor.dtype!r}")
        return control_flow_ops.no_op("statically_determined_correct_type")


def assert_scalar(tensor, name=None, message=None):
    """`tensor`, after a ValueError unless its static shape is a scalar's, as `tf.assert_scalar`."""
    with name_scope(name, "assert_scalar", [tensor]) as scope:
        tensor = convert_to_tensor(tensor, name=scope)
        if tensor.shape.ndims != 0:
            raise ValueError(f"{_prefix(message)}Expected scalar shape for {tensor.name}, saw shape: {tensor.shape}.")
        return tensor


def assert_same_float_dtype(tensors=None, dtype=None):
    """The one floating dtype of `tensors` (and `dtype`); float32 when there is none, as
    `tf.assert_same_float_dtype`. ValueError for a mismatch or a non-float type."""
    expected = None if dtype is None else dtypes.as_dtype(dtype)
    for tensor in tensors or ():
        if expected is None:
            expected = tensor.dtype.base_dtype
        elif tensor.dtype.base_dtype != expected:
            raise ValueError(f"Tensor {tensor.name} type mismatch, expected {expected.name}, got "
                             f"{tensor.dtype.base_dtype.name}.")
    if expected is None:
        return dtypes.float32
    if not expected.is_floating:
        raise ValueError(f"Expected floating point type, got {expected}.")
    return expected


def assert_proper_iterable(values) -> None:
    """TypeError unless `values` is an iterable that is not a tensor, array or string, as
    `tf.assert_proper_iterable`."""
    if isinstance(values, (Tensor, SparseTensor, np.ndarray, str, bytes)):
        raise TypeError(f"Expected argument \"values\" to be a \"proper\" iterable.  Found: {type(values)}")
    if not hasattr(values, "__iter__"):
        raise TypeError(f"Expected argument \"values\" to be iterable.  Found: {type(values)}")


def is_numeric_tensor(tensor) -> bool:
    """Whether `tensor` is a Tensor of a number type (not bool or string), as `tf.is_numeric_tensor`."""
    return isinstance(tensor, Tensor) and (tensor.dtype.is_integer or tensor.dtype.is_floating
                                           or tensor.dtype.is_complex)


def assert_variables_initialized(var_list=None):
    """An op failing (FailedPreconditionError) while any variable of `var_list` (default: all global
    and local ones) is uninitialized; None when there are none, as `tf.assert_variables_initialized`."""
    variables = list(global_variables() + local_variables()) if var_list is None else list(var_list)
    if not variables:
        return None
    with name_scope(None, "assert_variables_initialized"):
        flags = concat_ops.stack([is_variable_initialized(v) for v in variables])
        names = ", ".join(v.op.name for v in variables)
        return control_flow_ops.Assert(reduction_ops.reduce_all(flags),
                                       [f"Attempting to use uninitialized value among: {names}", flags],
                                       summarize=len(variables))


def verify_tensor_all_finite(t=None, msg=None, name=None, x=None, message=None):
    """`t`, checked to hold no inf or nan when it is computed (InvalidArgumentError with `msg`),
    as `tf.verify_tensor_all_finite`."""
    t = x if t is None else t
    msg = message if msg is None else msg
    with name_scope(name, "VerifyFinite", [t]) as scope:
        t = convert_to_tensor(t, name="x")
        with colocate_with(t.op):
            check = array_ops.check_numerics(t, message=msg)
            return control_flow_ops.with_dependencies([check], t, name=scope)


_CONTROL_FLOW = ("Switch", "RefSwitch", "Merge", "While", "StatelessWhile", "Enter", "Exit")


def add_check_numerics_ops():
    """One op checking every float tensor of the default graph for inf and nan, as `tf.add_check_numerics_ops`.

    Each check is named after the tensor ('op:0'); the checks run one after another, as TF1
    chains them. Graphs with tf.cond or tf.while_loop are refused, as TF1 refuses them.
    """
    graph = get_default_graph()
    checks = []
    for op in graph.get_operations():
        if op.type in _CONTROL_FLOW:
            raise ValueError("`tf.add_check_numerics_ops() is not compatible with TensorFlow control flow operations "
                             "such as `tf.cond()` or `tf.while_loop()`.")
    for op in list(graph.get_operations()):
        for output in op.outputs:
            if output.dtype.base_dtype in (dtypes.float16, dtypes.float32, dtypes.float64):
                with control_dependencies(checks):
                    checks = [array_ops.check_numerics(output, message=f"{op.name}:{output.value_index}")]
    return control_flow_ops.group(*checks)

