"""Elementwise binary arithmetic (Add, Sub, Mul, Div, Pow, Maximum, ...), AddN and the arithmetic operators.

The pieces the other math op modules share live here too: TF's dtype constraints, the
inference and kernel factories, `_scope` and the Tensor operator installer.

Every op type is registered once, with TF's op name, attrs and dtype constraints; the
public functions follow TF1's `tf.*` signatures and default names. Gradient rules are TF's
formulas written with estflow ops; they return gradients at the broadcast output shape
(autodiff sums them back to each input's shape).
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core import errors as _errors
from estflow.core.graph import Tensor, _graph_of
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.lazy_constant import datatype_string
from estflow.core.op_allowed_values import ALLOWED
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.registry import (
    Fusion,
    OpDef,
    TensorSpec,
    apply_op,
    broadcast_shapes,
    register,
    variable_behind_read,
)
from estflow.core.tensor_shape import TensorShape

# ---- TF's type constraints -----------------------------------------------------------------------
_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_COMPLEX = (dtypes.complex64, dtypes.complex128)
_SIGNED = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)
_UNSIGNED = (dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)
_INTS = _SIGNED + _UNSIGNED
_REAL = _FLOATS + _INTS
_NUMERIC = _REAL + _COMPLEX
_FLOAT_COMPLEX = _FLOATS + _COMPLEX
_SIGNED_NUMERIC = _FLOATS + _SIGNED + _COMPLEX
_SIGNED_REAL = _FLOATS + _SIGNED
_INDEX = (dtypes.int32, dtypes.int64)
_BOOL = (dtypes.bool,)
_POW_TYPES = _FLOATS + (dtypes.int32, dtypes.int64) + _COMPLEX
_MATMUL_TYPES = _FLOATS + (dtypes.int32, dtypes.int64) + _COMPLEX


# ---- helpers shared by the math op modules ----------------------------------------------------------
def _check_dtype(spec: TensorSpec, allowed, param: str = "x") -> None:
    if spec.dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {spec.dtype.name} not in list of "
                        f"allowed values: {', '.join(d.name for d in allowed)}")


def _is_int(a) -> bool:
    return a.dtype.kind in "iu"


def _int_zero_check(xp, x, y) -> None:
    """TF's integer division kernels fail on a zero divisor (an empty result divides nothing)."""
    if _is_int(y) and getattr(x, "size", 1) and getattr(y, "size", 1) and bool(xp.any(y == 0)):
        raise _errors.InvalidArgumentError(None, None, "Integer division by zero")


def _shape_str(shape) -> str:
    """A shape in TF's error-message form: [2,?,3], or ? for an unknown rank."""
    dims = shape.as_tuple() if isinstance(shape, TensorShape) else tuple(shape)
    if dims is None:
        return "?"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _broadcastable(a: tuple, b: tuple) -> bool:
    """Whether two concrete shapes broadcast together (numpy's rule)."""
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b), strict=False))


def _zero(dtype):
    return constant(np.zeros((), dtype.as_numpy_dtype), name="zeros")


def _merge_shapes(a: TensorShape, b: TensorShape) -> TensorShape:
    """TF's shape Merge, with its error messages."""
    if a.ndims is not None and b.ndims is not None:
        if a.ndims != b.ndims:
            raise ValueError(f"Shapes must be equal rank, but are {a.ndims} and {b.ndims}")
        for i, (x, y) in enumerate(zip(a.as_tuple(), b.as_tuple(), strict=True)):
            if x is not None and y is not None and x != y:
                raise ValueError(f"Dimension {i} in both shapes must be equal, but are {x} and {y}. "
                                 f"Shapes are {_shape_str(a)} and {_shape_str(b)}.")
    return a.merge_with(b)


def _ones(dtype):
    return constant(np.ones((), dtype.as_numpy_dtype), name="one")


def _const(value, dtype):
    return constant(np.asarray(value, dtype.as_numpy_dtype))


# ================================================================================================
# Elementwise binary ops
# ================================================================================================
def _infer_binary(allowed, out_dtype=None):
    def infer(x, y, **_):
        _check_dtype(x, allowed, "x")
        return TensorSpec(broadcast_shapes(x.shape, y.shape), out_dtype or x.dtype)

    return infer


def _true_div_kernel(xp, x, y):
    if _is_int(x):  # C semantics: truncate toward zero
        _int_zero_check(xp, x, y)
        return _trunc_div_int(xp, x, y)
    return xp.true_divide(x, y)


def _trunc_div_int(xp, x, y):
    q = xp.floor_divide(x, y)
    fix = (q < 0) & (q * y != x)
    return (q + fix.astype(q.dtype)).astype(x.dtype, copy=False)


def _floor_div_kernel(xp, x, y):
    if _is_int(x):
        _int_zero_check(xp, x, y)
        return xp.floor_divide(x, y)
    return xp.floor(xp.true_divide(x, y)).astype(x.dtype, copy=False)


def _floor_mod_kernel(xp, x, y):
    if _is_int(x):
        _int_zero_check(xp, x, y)
    return xp.mod(x, y)  # Python's (and TF's) sign convention: the result has y's sign


def _truncate_div_kernel(xp, x, y):
    if _is_int(x):
        _int_zero_check(xp, x, y)
        return _trunc_div_int(xp, x, y)
    return xp.trunc(xp.true_divide(x, y)).astype(x.dtype, copy=False)


def _truncate_mod_kernel(xp, x, y):
    if _is_int(x):
        _int_zero_check(xp, x, y)
    return xp.fmod(x, y)


def _div_no_nan_kernel(xp, x, y):
    out = xp.true_divide(x, xp.where(y == 0, xp.ones_like(y), y))
    return xp.where(y == 0, xp.zeros_like(out), out).astype(x.dtype, copy=False)


def _pow_kernel(xp, x, y):
    if _is_int(x) and bool(xp.any(y < 0)):
        raise _errors.InvalidArgumentError(None, None, "Integers to negative integer powers are not allowed")
    return xp.power(x, y)


def _arith(xp_fn):
    def kernel(xp, x, y):
        return getattr(xp, xp_fn)(x, y)

    return kernel


def _plain(xp_fn):
    """A kernel calling xp.<xp_fn> directly: for the hot ops that never warn in practice."""
    return lambda xp, *args: getattr(xp, xp_fn)(*args)


def _forwarding(xp_fn):
    """As `_plain` for a binary ufunc, also taking `out=` (the plan may pass the first input's buffer)."""
    return lambda xp, x, y, out=None: getattr(xp, xp_fn)(x, y, out=out)


_FORWARDING = {"AddV2", "Sub", "Mul"}  # hot binary ops whose result may reuse the first input's buffer


def _squared_difference_kernel(xp, x, y):
    d = xp.subtract(x, y)
    return d * xp.conj(d) if d.dtype.kind == "c" else d * d


# ---- gradients ----
def _add_grad(op, grad):
    return grad, grad


def _sub_grad(op, grad):
    from estflow.core.ops.unary_ops import negative  # lazy: unary_ops imports this module

    return grad, negative(grad)


def _mul_grad(op, grad):
    from estflow.core.ops.unary_ops import conj  # lazy: unary_ops imports this module

    x, y = op.inputs
    return multiply(grad, conj(y)), multiply(conj(x), grad)


def _real_div_grad(op, grad):
    from estflow.core.ops.unary_ops import conj, negative  # lazy: unary_ops imports this module

    x, y = op.inputs
    x, y = conj(x), conj(y)
    return realdiv(grad, y), multiply(grad, realdiv(realdiv(negative(x), y), y))


def _div_no_nan_grad(op, grad):
    from estflow.core.ops.unary_ops import negative  # lazy: unary_ops imports this module

    x, y = op.inputs
    return div_no_nan(grad, y), multiply(grad, div_no_nan(div_no_nan(negative(x), y), y))


def _floor_mod_grad(op, grad):
    from estflow.core.ops.unary_ops import negative  # lazy: unary_ops imports this module

    x, y = op.inputs
    return grad, multiply(grad, negative(floordiv(x, y)))


def _pow_grad(op, grad):
    """TF's rule: d/dy uses log(x) where x > 0 and 0 elsewhere (so x = 0 gives no NaN)."""
    from estflow.core.ops.comparison_ops import greater, not_equal, where_v2  # lazy: they import this module
    from estflow.core.ops.unary_ops import conj, log  # lazy: unary_ops imports this module

    x, y = op.inputs
    z = op.outputs[0]
    if x.dtype.is_complex:  # TF's convention for complex gradients: the conjugate derivative
        x, y, z = conj(x), conj(y), conj(z)
    gx = multiply(grad, multiply(y, pow(x, subtract(y, constant(np.ones((), y.dtype.as_numpy_dtype))))))
    if x.dtype.is_complex:
        log_x = where_v2(not_equal(x, _zero(x.dtype)), log(x), _zero(x.dtype))
    else:
        positive = greater(x, _zero(x.dtype))
        safe_x = where_v2(positive, x, constant(np.ones((), x.dtype.as_numpy_dtype)))
        log_x = where_v2(positive, log(safe_x), _zero(x.dtype))
    return gx, multiply(grad, multiply(z, log_x))


def _maximum_minimum_grad(is_maximum):
    """Ties send the whole gradient to x (TF: Maximum uses x >= y, Minimum x <= y)."""

    def grad_fn(op, grad):
        from estflow.core.ops.comparison_ops import greater_equal, less_equal, where_v2  # lazy: imports this module

        x, y = op.inputs
        xmask = greater_equal(x, y) if is_maximum else less_equal(x, y)
        zero = _zero(grad.dtype)
        return where_v2(xmask, grad, zero), where_v2(xmask, zero, grad)

    return grad_fn


def _squared_difference_grad(op, grad):
    from estflow.core.ops.unary_ops import negative  # lazy: unary_ops imports this module

    x, y = op.inputs
    two = constant(np.asarray(2, grad.dtype.as_numpy_dtype))
    gx = multiply(multiply(two, grad), subtract(x, y))
    return gx, negative(gx)


def _atan2_grad(op, grad):
    from estflow.core.ops.unary_ops import negative, square  # lazy: unary_ops imports this module

    y, x = op.inputs
    grad_inv = realdiv(grad, add(square(x), square(y)))
    return multiply(x, grad_inv), multiply(negative(y), grad_inv)


def _no_grad_2(op, grad):
    return None, None


def _const_is(t: Tensor, value) -> bool:
    v = t._const_value
    return v is not None and np.ndim(v) == 0 and v == value


def _fuse_masked_gather(op):
    """Mul(GatherV2(params, Maximum(ids, 0), 0), ExpandDims(Cast(GreaterEqual(ids, 0)), -1)) as one step.

    This is how feature columns sum one weight (or embedding row) per example with negative
    ids (out of vocabulary) adding nothing: six kernels, of which the plan runs one doing the
    same numpy operations, so the values are those of the six ops. Bad ids raise through
    GatherV2's own kernel, with its message.
    """
    rows, mask = op._inputs
    gather, expand = rows._op, mask._op
    if gather._type != "GatherV2" or expand._type != "ExpandDims" or gather._attrs.get("batch_dims", 0) != 0:
        return None
    params, safe, axis = gather._inputs
    cast_t, dim = expand._inputs
    maximum, cast = safe._op, cast_t._op
    if maximum._type != "Maximum" or cast._type != "Cast" or cast._inputs[0]._op._type != "GreaterEqual":
        return None
    ge = cast._inputs[0]._op
    ids, zero = maximum._inputs
    ids_again, zero_again = ge._inputs
    if ids_again is not ids or not (_const_is(zero, 0) and _const_is(zero_again, 0) and _const_is(axis, 0)):
        return None
    if ids.shape.ndims is None or not (_const_is(dim, -1) or _const_is(dim, ids.shape.ndims)):
        return None
    if cast._attrs.get("DstT") != rows.dtype or ids.dtype not in (dtypes.int32, dtypes.int64):
        return None
    if any(len(t._consumers) != 1 for t in (rows, mask, safe, cast_t, cast._inputs[0])):
        return None
    if any(o._control_inputs for o in (gather, expand, maximum, cast, ge)):
        return None
    gather_kernel, gather_attrs = gather._op_def.kernel, gather._attrs
    np_dtype = rows.dtype.as_numpy_dtype

    def kernel(xp, table, x):
        safe_ids = xp.maximum(x, 0)
        if xp is np and table.ndim:
            try:  # ids >= 0 here: numpy's take refuses exactly the ids GatherV2 refuses
                picked = np.take(table, safe_ids, axis=0)
            except IndexError:
                picked = None
        else:
            picked = None
            if not safe_ids.size or (table.ndim and int(safe_ids.max()) < table.shape[0]):
                picked = xp.take(table, safe_ids, axis=0)
        if picked is None:  # GatherV2's own kernel: raises its error for these ids
            picked = gather_kernel(xp, table, safe_ids, np.int32(0), **gather_attrs)
        return picked * (x >= 0).astype(np_dtype)[..., None]

    skipped = (rows, mask, safe, cast_t, cast._inputs[0])
    variable = variable_behind_read(params)  # a variable's weights: read where the step consumes them
    if variable is not None:
        return Fusion((variable, ids), kernel, (*skipped, params))
    return Fusion((params, ids), kernel, skipped)


_BINARY = [
    # name, allowed dtypes, kernel, gradient
    ("AddV2", _NUMERIC, _forwarding("add"), _add_grad),
    ("Add", _NUMERIC + (dtypes.string,), _plain("add"), _add_grad),  # TF1's Add also joins strings
    ("Sub", _NUMERIC, _forwarding("subtract"), _sub_grad),
    ("Mul", _NUMERIC, _forwarding("multiply"), _mul_grad),
    ("RealDiv", _NUMERIC, _true_div_kernel, _real_div_grad),
    ("Div", _NUMERIC, _true_div_kernel, _real_div_grad),
    ("DivNoNan", _FLOAT_COMPLEX, _div_no_nan_kernel, _div_no_nan_grad),
    ("FloorDiv", _REAL, _floor_div_kernel, _no_grad_2),
    ("FloorMod", _REAL, _floor_mod_kernel, _floor_mod_grad),
    ("TruncateDiv", _REAL, _truncate_div_kernel, None),
    ("TruncateMod", _REAL, _truncate_mod_kernel, None),
    ("Pow", _POW_TYPES, _pow_kernel, _pow_grad),
    ("Maximum", _REAL, _plain("maximum"), _maximum_minimum_grad(is_maximum=True)),
    ("Minimum", _REAL, _plain("minimum"), _maximum_minimum_grad(is_maximum=False)),
    ("SquaredDifference", _NUMERIC, _squared_difference_kernel, _squared_difference_grad),
    ("Atan2", _FLOATS, _arith("arctan2"), _atan2_grad),
]


def _within_tf(name: str, allowed: tuple) -> tuple:
    """The dtypes of `allowed` that TF allows for op `name`'s T: a graph TF would refuse can't be built."""
    tf_names = ALLOWED.get(name, {}).get("T")
    return allowed if tf_names is None else tuple(d for d in allowed if datatype_string(d.as_datatype_enum) in tf_names)


_BINARY = [(name, _within_tf(name, allowed), kernel, grad) for name, allowed, kernel, grad in _BINARY]
for _name, _allowed, _kernel, _grad in _BINARY:
    register(OpDef(_name, infer=_infer_binary(_allowed), kernel=_kernel, grad=_grad, same_dtype="all",
                   forwards_input=_name in _FORWARDING, fuse=_fuse_masked_gather if _name == "Mul" else None,
                   input_names=("y: T", "x: T") if _name == "Atan2" else ("x: T", "y: T"), output_names=("z: T",),
                   attr_types={"T": "type"}, row_wise=row_rules.elementwise))


# ================================================================================================
# AddN
# ================================================================================================
def _infer_add_n(*inputs, N):  # noqa: N803 - TF's attr name
    if N is not None and N != len(inputs):
        raise ValueError(f"AddN expects N={N} inputs, got {len(inputs)}")
    shape = TensorShape(None)
    for s in inputs:
        _check_dtype(s, _NUMERIC, "inputs")
        shape = _merge_shapes(shape, s.shape)
    return TensorSpec(shape, inputs[0].dtype)


def _add_n_kernel(xp, *inputs, N):  # noqa: N803 - TF's attr name
    out = xp.array(inputs[0], copy=True)
    for x in inputs[1:]:
        out += x
    return out


register(OpDef(
    "AddN",
    infer=_infer_add_n,
    kernel=_add_n_kernel,
    grad=lambda op, grad: [grad] * len(op.inputs),
    attrs={"N": None},  # None: the number of inputs
    same_dtype="all",
    input_names=("inputs: N * T",), output_names=("sum: T",), attr_types={"N": "int >= 1", "T": "type"},
    row_wise=row_rules.all_inputs,
))


# ================================================================================================
# Public TF1 functions
# ================================================================================================
def _scope(name, default_name, values):
    """TF1's `ops.name_scope(name, default_name, values)`; the op made inside takes the scope's name."""
    g = _graph_of([v for v in values if isinstance(v, Tensor)])
    if isinstance(name, str) and name.endswith("/"):
        return g.name_scope(name)
    return g.name_scope(name if name is not None else default_name)


def _convert_pair(x, y, x_name="x", y_name="y"):
    """Both operands as tensors; a Python value takes the other operand's dtype."""
    if isinstance(x, Tensor):
        if not isinstance(y, Tensor):
            y = convert_to_tensor(y, dtype=x.dtype, name=y_name)
    elif isinstance(y, Tensor):
        x = convert_to_tensor(x, dtype=y.dtype, name=x_name)
    else:
        x = convert_to_tensor(x, name=x_name)
        y = convert_to_tensor(y, dtype=x.dtype, name=y_name)
    return x, y


def _same_dtype_check(x: Tensor, y: Tensor) -> None:
    if x._dtype is not y._dtype:  # TF1 compares the value types (`x.dtype.base_dtype`)
        raise TypeError(f"x and y must have the same dtype, got {x.dtype!r} != {y.dtype!r}")


# ---- arithmetic ----
def add(x, y, name=None):
    """Elementwise x + y with numpy broadcasting, as `tf.add` (strings are concatenated)."""
    x_t = x if isinstance(x, Tensor) else None
    if (x_t is not None and x_t.dtype == dtypes.string) or (isinstance(y, Tensor) and y.dtype == dtypes.string):
        return apply_op("Add", x, y, name=name or "Add")
    return apply_op("AddV2", x, y, name=name or "Add")


def subtract(x, y, name=None):
    """Elementwise x - y, as `tf.subtract`."""
    return apply_op("Sub", x, y, name=name or "Sub")


def multiply(x, y, name=None):
    """Elementwise x * y, as `tf.multiply`."""
    return apply_op("Mul", x, y, name=name or "Mul")


def scalar_mul(scalar, x, name=None):
    """`scalar * x` for a 0-D scalar, as `tf.scalar_mul` (IndexedSlices stay sparse)."""
    values = getattr(x, "values", None) if isinstance(x, IndexedSlices) else None
    dtype = (values if values is not None else x).dtype
    scalar = convert_to_tensor(scalar, dtype=dtype, name="scalar")
    if scalar.shape.ndims != 0:
        raise ValueError(f"Only scalar multiply works, got shape {scalar.shape}")
    if values is not None:
        return type(x)(multiply(scalar, values, name=name), x.indices, x.dense_shape)
    return multiply(scalar, x, name=name)


def realdiv(x, y, name=None):
    """Elementwise x / y for real or complex tensors, as `tf.realdiv` (op `RealDiv`)."""
    return apply_op("RealDiv", x, y, name=name or "RealDiv")


_TRUEDIV_TABLE = {
    dtypes.uint8: dtypes.float32, dtypes.int8: dtypes.float32, dtypes.uint16: dtypes.float32,
    dtypes.int16: dtypes.float32, dtypes.int32: dtypes.float64, dtypes.int64: dtypes.float64,
    dtypes.float16: None, dtypes.float32: None, dtypes.float64: None, dtypes.complex64: None, dtypes.complex128: None,
}


def truediv(x, y, name=None):
    """Python 3 division, as `tf.truediv`: int8/int16 go through float32, int32/int64 through float64."""
    with _scope(name, "truediv", [x, y]) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y")
        _same_dtype_check(x, y)
        if x._dtype not in _TRUEDIV_TABLE:
            raise TypeError(f"Invalid dtype {x.dtype!r} in __truediv__")
        target = _TRUEDIV_TABLE[x._dtype]
        if target is not None:
            from estflow.core.ops.cast_ops import cast  # lazy: cast_ops imports this module

            x, y = cast(x, target), cast(y, target)
        return apply_op("RealDiv", x, y, name=scope)


def divide(x, y, name=None):
    """Python-style division `x / y`, as `tf.divide`."""
    if name is not None:
        return truediv(x, y, name=name)
    return x / y  # the operators: a Python number takes the tensor's dtype


def div(x, y, name=None):
    """Python 2 division, as TF1's `tf.div`: floor division for integers, true division otherwise."""
    with _scope(name, "div", [x, y]) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype) if not isinstance(y, Tensor) else y
        _same_dtype_check(x, y)
        if x.dtype.is_floating or x.dtype.is_complex:
            return apply_op("RealDiv", x, y, name=scope)
        return apply_op("FloorDiv", x, y, name=scope)


def div_no_nan(x, y, name=None):
    """x / y, or 0 where y is 0, as `tf.div_no_nan`."""
    with _scope(name, "div_no_nan", [x, y]) as scope:
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype) if not isinstance(y, Tensor) else y
        _same_dtype_check(x, y)
        return apply_op("DivNoNan", x, y, name=scope)


def floordiv(x, y, name=None):
    """x / y rounded toward negative infinity, as `tf.floordiv` (`x // y`)."""
    with _scope(name, "floordiv", [x, y]) as scope:
        return apply_op("FloorDiv", x, y, name=scope)


def floor_div(x, y, name=None):
    """The raw `FloorDiv` op, as `tf.floor_div`."""
    return apply_op("FloorDiv", x, y, name=name or "FloorDiv")


def floormod(x, y, name=None):
    """Remainder of floor division (the sign of y, like Python's %), as `tf.floormod` / `tf.mod`."""
    return apply_op("FloorMod", x, y, name=name or "FloorMod")


mod = floormod


def truncatediv(x, y, name=None):
    """x / y rounded toward zero (C semantics), as `tf.truncatediv`."""
    return apply_op("TruncateDiv", x, y, name=name or "TruncateDiv")


def truncatemod(x, y, name=None):
    """Remainder of truncated division (the sign of x, like C's fmod), as `tf.truncatemod`."""
    return apply_op("TruncateMod", x, y, name=name or "TruncateMod")


def pow(x, y, name=None):  # noqa: A001 - TF's public name
    """x ** y elementwise, as `tf.pow` (integers to negative powers are an error)."""
    with _scope(name, "Pow", [x]) as scope:
        return apply_op("Pow", x, y, name=scope)


def maximum(x, y, name=None):
    """Elementwise max (ties pass the gradient to x), as `tf.maximum`."""
    return apply_op("Maximum", x, y, name=name or "Maximum")


def minimum(x, y, name=None):
    """Elementwise min (ties pass the gradient to x), as `tf.minimum`."""
    return apply_op("Minimum", x, y, name=name or "Minimum")


def squared_difference(x, y, name=None):
    """(x - y) * (x - y) elementwise, as `tf.squared_difference`."""
    return apply_op("SquaredDifference", x, y, name=name or "SquaredDifference")


def atan2(y, x, name=None):
    """Elementwise arctangent of y / x in the right quadrant, as `tf.atan2`."""
    return apply_op("Atan2", y, x, name=name or "Atan2")


def add_n(inputs, name=None):
    """Elementwise sum of a list of tensors of one shape and dtype, as `tf.add_n`."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor/IndexedSlices with the same dtype and shape")
    inputs = list(inputs)
    if len(inputs) == 1:
        x = inputs[0]
        if isinstance(x, IndexedSlices):
            x = convert_to_tensor(x)
        if name:
            return apply_op("Identity", x, name=name)
        return x if isinstance(x, Tensor) else convert_to_tensor(x)
    inputs = [convert_to_tensor(x) if isinstance(x, IndexedSlices) else x for x in inputs]
    return apply_op("AddN", *inputs, name=name or "AddN", N=len(inputs))


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The elementwise sum of `inputs`, as `tf.accumulate_n` (same result as `add_n`)."""
    if not inputs or not isinstance(inputs, (list, tuple)):
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    inputs = [convert_to_tensor(x) for x in inputs]
    if tensor_dtype is not None and any(x.dtype != tensor_dtype for x in inputs):
        raise TypeError(f"tensor_dtype is {dtypes.as_dtype(tensor_dtype).name}, but input is of type "
                        f"{inputs[0].dtype.name}")
    if shape is not None:
        for x in inputs:
            x.shape.assert_is_compatible_with(shape)
    return add_n(inputs, name=name or "AccumulateNV2")


# ================================================================================================
# Tensor operators: TF1 names the ops after the operator ("add", "mul", "truediv", ...)
# ================================================================================================
def _install_binary(fn, op_name):
    def binary_op_wrapper(x, y):
        with _scope(None, op_name, [x, y]) as scope:
            if not isinstance(y, Tensor):
                try:
                    y = convert_to_tensor(y, dtype=x.dtype, name="y")
                except TypeError:
                    if hasattr(type(y), f"__r{op_name}__"):
                        return NotImplemented
                    raise
            return fn(x, y, name=scope)

    def r_binary_op_wrapper(y, x):
        with _scope(None, op_name, [x, y]) as scope:
            x = convert_to_tensor(x, dtype=y.dtype, name="x")
            return fn(x, y, name=scope)

    binary_op_wrapper.__doc__ = r_binary_op_wrapper.__doc__ = fn.__doc__
    Tensor._override_operator(f"__{op_name}__", binary_op_wrapper)
    Tensor._override_operator(f"__r{op_name}__", r_binary_op_wrapper)


_install_binary(add, "add")
_install_binary(subtract, "sub")
_install_binary(multiply, "mul")
_install_binary(truediv, "truediv")
_install_binary(floordiv, "floordiv")
_install_binary(floormod, "mod")
_install_binary(pow, "pow")
