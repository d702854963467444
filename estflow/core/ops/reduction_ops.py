"""Reductions (Sum, Mean, Prod, Max, Min, All, Any), ArgMax/ArgMin and Cumsum/Cumprod."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core import errors as _errors
from estflow.core.graph import Tensor
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.comparison_ops import equal, not_equal, where_v2
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.embedding_fusion import fuse_indicator
from estflow.core.ops.math_ops import (
    _BOOL,
    _INDEX,
    _NUMERIC,
    _REAL,
    _check_dtype,
    _const,
    _is_int,
    _scope,
    _shape_str,
    _zero,
    floordiv,
    floormod,
    maximum,
    multiply,
    realdiv,
    subtract,
)
from estflow.core.ops.unary_ops import conj, exp, is_finite, log, logical_not
from estflow.core.registry import Fusion, OpDef, TensorSpec, apply_op, get_op_def, register
from estflow.core.tensor_shape import TensorShape


# ================================================================================================
# Reductions: Sum, Mean, Prod, Max, Min, All, Any (input, reduction_indices; attr keep_dims)
# ================================================================================================
def _static_axes(axis: TensorSpec, rank: int | None):
    """The normalized reduction axes when known at build time, else None."""
    if axis.value is None or rank is None:
        return None
    out = []
    for a in np.asarray(axis.value).reshape(-1).tolist():
        if not -rank <= a < rank:
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions.")
        out.append(a % rank)
    return out


def _infer_reduction(allowed):
    def infer(x, axis, *, keep_dims):
        _check_dtype(x, allowed, "input")
        _check_dtype(axis, _INDEX, "reduction_indices")
        if axis.shape.ndims is not None and axis.shape.ndims > 1:
            raise ValueError(f"Shape must be at most rank 1 but is rank {axis.shape.ndims}")
        rank = x.shape.ndims
        if rank is None:
            return TensorSpec(TensorShape(None), x.dtype)
        axes = _static_axes(axis, rank)
        if axes is None:
            if axis.shape.num_elements() == 0:  # no axis at all: the shape stays
                return TensorSpec(x.shape, x.dtype)
            if keep_dims:
                return TensorSpec(TensorShape([None] * rank), x.dtype)
            return TensorSpec(TensorShape(None), x.dtype)
        dims = x.shape.as_tuple()
        if keep_dims:
            shape = [1 if i in axes else d for i, d in enumerate(dims)]
        else:
            shape = [d for i, d in enumerate(dims) if i not in axes]
        return TensorSpec(TensorShape(shape), x.dtype)

    return infer


def _kernel_axes(axis, ndim: int) -> tuple:
    """Reduction axes from the `reduction_indices` array, checked as TF's kernels do."""
    values = axis.tolist() if hasattr(axis, "tolist") else axis
    if not isinstance(values, list):
        values = [values]
    out = []
    for a in values:
        a = int(a)
        if not -ndim <= a < ndim:
            raise _errors.InvalidArgumentError(
                None, None, f"Invalid reduction dimension ({a} for input with {ndim} dimension(s)")
        a %= ndim
        if a in out:
            raise _errors.InvalidArgumentError(
                None, None, f"Invalid reduction arguments: Axes contains duplicate dimension: {a}")
        out.append(a)
    return tuple(out)


def _sum_kernel(xp, x, axis, keep_dims):
    if xp is np:  # np.sum's own reduction, without its Python wrappers (~1 us a call)
        return np.asarray(np.add.reduce(x, axis=_kernel_axes(axis, x.ndim), dtype=x.dtype, keepdims=keep_dims))
    return xp.asarray(xp.sum(x, axis=_kernel_axes(axis, x.ndim), keepdims=keep_dims, dtype=x.dtype))


def _prod_kernel(xp, x, axis, keep_dims):
    return xp.asarray(xp.prod(x, axis=_kernel_axes(axis, x.ndim), keepdims=keep_dims, dtype=x.dtype))


def _mean_kernel(xp, x, axis, keep_dims):
    axes = _kernel_axes(axis, x.ndim)
    if _is_int(x):  # TF keeps the integer type: the sum divided with truncation toward zero
        count = 1
        for a in axes:
            count *= x.shape[a]
        s = xp.asarray(xp.sum(x, axis=axes, keepdims=keep_dims, dtype=x.dtype))
        if count == 0:
            return xp.zeros_like(s)
        if x.dtype.kind == "u":
            return (s // count).astype(x.dtype)
        return (xp.floor_divide(xp.abs(s), count) * xp.sign(s)).astype(x.dtype)
    if x.dtype.itemsize < 4 and x.dtype.kind == "f":  # half accumulates in float32
        return xp.asarray(xp.mean(x, axis=axes, keepdims=keep_dims, dtype=xp.float32)).astype(x.dtype)
    return xp.asarray(xp.mean(x, axis=axes, keepdims=keep_dims)).astype(x.dtype, copy=False)


def _lowest(xp, dt):
    return -float("inf") if dt.kind == "f" else xp.iinfo(dt).min


def _highest(xp, dt):
    return float("inf") if dt.kind == "f" else xp.iinfo(dt).max


def _extreme_kernel(fn_name, identity):
    def kernel(xp, x, axis, keep_dims):
        axes = _kernel_axes(axis, x.ndim)
        if any(x.shape[a] == 0 for a in axes):  # TF: an empty reduction gives the identity
            shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape) if keep_dims or i not in axes)
            return xp.full(shape, identity(xp, x.dtype), dtype=x.dtype)
        return xp.asarray(getattr(xp, fn_name)(x, axis=axes, keepdims=keep_dims))

    return kernel


def _logical_reduce_kernel(fn_name, ufunc):
    def kernel(xp, x, axis, keep_dims):
        if xp is np:  # np.all / np.any are this ufunc's reduce behind Python wrappers (~1 us a call)
            return np.asarray(ufunc.reduce(x, axis=_kernel_axes(axis, x.ndim), keepdims=keep_dims))
        return xp.asarray(getattr(xp, fn_name)(x, axis=_kernel_axes(axis, x.ndim), keepdims=keep_dims))

    return kernel


_REDUCE_UFUNCS = {"Sum": np.add, "All": np.logical_and, "Any": np.logical_or}


def _fuse_constant_axes(op):
    """Sum / All / Any over constant axes of an input of known rank as a step of the input alone: the axes
    are checked and normalized once, and a numpy input of that rank is reduced by the ufunc the kernel
    calls (the same bits); anything else runs the kernel, with its errors. A fed axis keeps the kernel."""
    x, axis_t = op._inputs
    axes_value, rank = axis_t._const_value, x.shape.ndims
    if axes_value is None or rank is None:
        return None
    axis_arr = np.asarray(axes_value)
    try:
        axes = _kernel_axes(axis_arr, rank)
    except _errors.InvalidArgumentError:
        return None  # the kernel names the bad axis when the step runs
    kernel, keep = op._op_def.kernel, op._attrs.get("keep_dims", False)
    ufunc, summed = _REDUCE_UFUNCS[op._type], op._type == "Sum"

    def reduce(xp, value):
        if value.__class__ is np.ndarray and value.ndim == rank:
            if summed:
                return np.asarray(ufunc.reduce(value, axis=axes, dtype=value.dtype, keepdims=keep))
            return np.asarray(ufunc.reduce(value, axis=axes, keepdims=keep))
        return kernel(xp, value, axis_arr, keep_dims=keep)

    return Fusion((x,), reduce, (axis_t,))


def _fuse_sum(op):
    return fuse_indicator(op) or _fuse_constant_axes(op)


# ---- gradient helpers for reductions ----
def _shape_of(x: Tensor):
    """`x`'s shape as an int32 tensor (a constant when fully known)."""
    if x.shape.is_fully_defined():
        return constant(np.array(x.shape.as_list(), dtype=np.int32), name="Shape")
    return apply_op("Shape", x, name="Shape")


def _rank_of(x: Tensor):
    if x.shape.ndims is not None:
        return constant(np.int32(x.shape.ndims), name="Rank")
    return apply_op("Rank", x, name="Rank")


def _known_axes(x: Tensor, axis: Tensor):
    """Sorted normalized axes when `x`'s rank and `axis` are known at build time, else None."""
    rank = x.shape.ndims
    if rank is None or axis._const_value is None:
        return None
    return sorted({int(a) % rank for a in np.asarray(axis._const_value).reshape(-1)}) if rank else []


def _reduced_shape_kept(x: Tensor, axis: Tensor):
    """The shape of reducing `x` over `axis` with keep_dims=True, as an int32 tensor."""
    axes = _known_axes(x, axis)
    if axes is not None:
        kept = [1 if i in axes else d for i, d in enumerate(x.shape.as_tuple())]
        if None not in kept:  # every dim kept is known (always so for a full reduction)
            return constant(np.array(kept, dtype=np.int32), name="reduced_shape")
        reduced = np.array([i in axes for i in range(x.shape.ndims)], dtype=bool)
        return where_v2(reduced, np.int32(1), _shape_of(x), name="reduced_shape")
    # Dynamic: mark which positions of range(rank) are reduced, and put 1 there.
    r = _rank_of(x)
    axes_row = floormod(cast(apply_op("Reshape", axis, np.array([1, -1], np.int32)), dtypes.int32), r)
    positions = apply_op("Reshape", apply_op("Range", np.int32(0), r, np.int32(1)), np.array([-1, 1], np.int32))
    reduced = reduce_any(equal(positions, axes_row), axis=1)
    return where_v2(reduced, np.int32(1), _shape_of(x), name="reduced_shape")


def _broadcast_reduction_grad(op, grad):
    """A reduction's output gradient, reshaped to keep_dims and tiled to the input's shape."""
    x, axis = op.inputs
    kept = _reduced_shape_kept(x, axis)
    if not op.get_attr("keep_dims"):
        grad = apply_op("Reshape", grad, kept)
    if x.shape.is_fully_defined() and kept._const_value is not None:
        dims = x.shape.as_list()
        if grad.shape.as_tuple() == tuple(dims):
            return grad
        kept_dims = np.asarray(kept._const_value)
        multiples = np.array(dims, np.int32) // np.maximum(kept_dims, 1).astype(np.int32)
        return apply_op("Tile", grad, multiples)
    # NOTE: one BroadcastTo where TF tiles by shape(x) // kept (four ops): same values, and a
    # training step on a batch of unknown size runs three kernels fewer per reduction.
    out = apply_op("BroadcastTo", grad, _shape_of(x), name="BroadcastTo")
    out.set_shape(x.shape)
    return out


def _sum_grad(op, grad):
    return _broadcast_reduction_grad(op, grad), None


def _mean_grad(op, grad):
    """Sum's gradient divided by the number of elements averaged; the division happens on the
    (small) output gradient before it is broadcast back to the input's shape."""
    x, _ = op.inputs
    y = op.outputs[0]
    nx, ny = x.shape.num_elements(), y.shape.num_elements()
    if nx is not None and ny is not None:
        factor = _const(nx // max(ny, 1), grad.dtype)
    elif ny is not None:  # e.g. the mean of a loss over a batch of unknown size
        size_x = apply_op("Size", x, name="Size", out_type=dtypes.int32)
        count = size_x if ny <= 1 else floordiv(size_x, np.int32(ny))
        factor = cast(count, grad.dtype)
    else:
        size_y = maximum(reduce_prod(_shape_of(y)), np.int32(1))
        factor = cast(floordiv(reduce_prod(_shape_of(x)), size_y), grad.dtype)
    return _broadcast_reduction_grad(op, realdiv(grad, factor)), None


def _min_or_max_grad(op, grad):
    """TF's rule: the gradient is split evenly between tied extreme values."""
    x, axis = op.inputs
    y = op.outputs[0]
    if not op.get_attr("keep_dims"):
        kept = _reduced_shape_kept(x, axis)
        y = apply_op("Reshape", y, kept)
        grad = apply_op("Reshape", grad, kept)
    indicators = cast(equal(y, x), grad.dtype)
    num_selected = apply_op("Sum", indicators, axis, keep_dims=True)
    return multiply(realdiv(indicators, num_selected), grad), None


def _prod_grad(op, grad):
    """d prod / d x_i is the product of the other elements: exclusive cumprods from both sides.

    As TF does: the reduced axes are moved to the front and flattened to one, so the two
    exclusive cumulative products along it give every element the product of the others.
    """
    x, axis = op.inputs
    grad = _broadcast_reduction_grad(op, grad)
    axes = _known_axes(x, axis)
    if axes is not None and len(axes) <= 1:
        if not axes:
            return grad, None
        a = np.int32(axes[0])
        others = multiply(cumprod(x, a, exclusive=True), cumprod(x, a, exclusive=True, reverse=True))
        return multiply(grad, conj(others)), None
    if axes is not None:  # several axes, known at build time: a constant permutation
        other = [i for i in range(x.shape.ndims) if i not in axes]
        perm = np.array(axes + other, np.int32)
        inverse = np.argsort(perm).astype(np.int32)
        reduced = np.array(axes, np.int32)
    else:  # axes or rank known only at run time
        r = _rank_of(x)
        reduced = floormod(cast(apply_op("Reshape", axis, np.array([-1], np.int32)), dtypes.int32), r)
        positions = apply_op("Reshape", apply_op("Range", np.int32(0), r, np.int32(1)), np.array([-1, 1], np.int32))
        is_reduced = reduce_any(equal(positions, apply_op("Reshape", reduced, np.array([1, -1], np.int32))), axis=1)
        other = cast(apply_op("Reshape", apply_op("Where", logical_not(is_reduced)), np.array([-1], np.int32)),
                     dtypes.int32)
        perm = apply_op("ConcatV2", reduced, other, np.int32(0), N=2)
        inverse = apply_op("InvertPermutation", perm)
    shape = _shape_of(x)
    if x.shape.is_fully_defined() and isinstance(perm, np.ndarray):
        dims = np.array(x.shape.as_list(), np.int64)
        permuted_shape = dims[perm].astype(np.int32)
        flat_shape = np.array([int(np.prod(dims[reduced])), -1], np.int32)
    else:
        permuted_shape = apply_op("GatherV2", shape, perm, np.int32(0))
        reduced_num = reduce_prod(apply_op("GatherV2", shape, reduced, np.int32(0)))
        flat_shape = apply_op("Pack", reduced_num, np.int32(-1), N=2, axis=0)
    flat = apply_op("Reshape", apply_op("Transpose", x, perm), flat_shape)
    zero = np.int32(0)
    others = multiply(cumprod(flat, zero, exclusive=True), cumprod(flat, zero, exclusive=True, reverse=True))
    others = apply_op("Transpose", apply_op("Reshape", others, permuted_shape), inverse)
    return multiply(grad, conj(others)), None


_REDUCTIONS = [
    ("Sum", _NUMERIC, _sum_kernel, _sum_grad),
    ("Mean", _NUMERIC, _mean_kernel, _mean_grad),
    ("Prod", _NUMERIC, _prod_kernel, _prod_grad),
    ("Max", _REAL, _extreme_kernel("max", _lowest), _min_or_max_grad),
    ("Min", _REAL, _extreme_kernel("min", _highest), _min_or_max_grad),
    ("All", _BOOL, _logical_reduce_kernel("all", np.logical_and), None),
    ("Any", _BOOL, _logical_reduce_kernel("any", np.logical_or), None),
]
for _name, _allowed, _kernel, _grad in _REDUCTIONS:
    register(OpDef(
        _name,
        infer=_infer_reduction(_allowed),
        kernel=_kernel,
        grad=_grad,
        fuse=_fuse_sum if _name == "Sum" else _fuse_constant_axes if _name in _REDUCE_UFUNCS else None,
        attrs={"keep_dims": False},
        input_names=("input: bool" if _allowed is _BOOL else "input: T", "reduction_indices: Tidx"),
        output_names=("output: bool" if _allowed is _BOOL else "output: T",),
        attr_types={"keep_dims": "bool", "Tidx": "type = int32", **({} if _allowed is _BOOL else {"T": "type"})},
        row_wise=row_rules.reduction,
        differentiable=_grad is not None,
    ))


# ---- ArgMax / ArgMin ----
def _arg_infer(x, dimension, *, output_type):
    _check_dtype(x, _NUMERIC + _BOOL, "input")
    _check_dtype(dimension, _INDEX, "dimension")
    if dtypes.as_dtype(output_type) not in _INDEX:
        raise TypeError(f"Value for attr 'output_type' of {dtypes.as_dtype(output_type).name} is not in the list "
                        "of allowed values: int32, int64")
    if dimension.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {dimension.shape.ndims}")
    out = dtypes.as_dtype(output_type)
    rank = x.shape.ndims
    if rank is None:
        return TensorSpec(TensorShape(None), out)
    if dimension.value is None:
        return TensorSpec(TensorShape([None] * max(rank - 1, 0)), out)
    d = int(np.asarray(dimension.value))
    if not -rank <= d < rank:
        raise ValueError(f"Expected dimension in the range [{-rank}, {rank}), but got {d}")
    dims = list(x.shape.as_tuple())
    del dims[d % rank]
    return TensorSpec(TensorShape(dims), out)


def _arg_kernel(fn_name):
    def kernel(xp, x, dimension, output_type):
        d = int(dimension)
        if not -x.ndim <= d < x.ndim:
            raise _errors.InvalidArgumentError(
                None, None, f"Expected dimension in the range [{-x.ndim}, {x.ndim}), but got {d}")
        if x.shape[d] == 0:
            raise _errors.InvalidArgumentError(
                None, None, f"Reduction axis {d % x.ndim} is empty in shape {_shape_str(x.shape)}")
        return xp.asarray(getattr(xp, fn_name)(x, axis=d)).astype(dtypes.as_dtype(output_type).as_numpy_dtype)

    return kernel


for _name, _fn in (("ArgMax", "argmax"), ("ArgMin", "argmin")):
    register(OpDef(_name, infer=_arg_infer, kernel=_arg_kernel(_fn), grad=None, attrs={"output_type": dtypes.int64},
                   differentiable=False,
                   input_names=("input: T", "dimension: Tidx"), output_names=("output: output_type",),
                   attr_types={"T": "type", "Tidx": "type = int32", "output_type": "type"},
                   row_wise=row_rules.reduction))


# ---- Cumsum / Cumprod ----
def _cum_infer(x, axis, *, exclusive, reverse):
    _check_dtype(x, _NUMERIC, "x")
    _check_dtype(axis, _INDEX, "axis")
    if axis.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {axis.shape.ndims}")
    if axis.value is not None and x.shape.ndims is not None:
        a, r = int(np.asarray(axis.value)), x.shape.ndims
        if not -r <= a < r:
            raise ValueError(f"ScanOp: Expected scan axis in the range [{-r}, {r}), but got {a}")
    return TensorSpec(x.shape, x.dtype)


def _cum_kernel(fn_name, identity):
    def kernel(xp, x, axis, exclusive, reverse):
        a = int(axis)
        if not -x.ndim <= a < x.ndim:
            raise _errors.InvalidArgumentError(
                None, None, f"ScanOp: Expected scan axis in the range [{-x.ndim}, {x.ndim}), but got {a}")
        a %= x.ndim
        if reverse:
            x = xp.flip(x, a)
        out = getattr(xp, fn_name)(x, axis=a, dtype=x.dtype)
        if exclusive and x.shape[a] > 0:
            head = [slice(None)] * x.ndim
            head[a] = slice(0, -1)
            first = list(x.shape)
            first[a] = 1
            out = xp.concatenate([xp.full(first, identity, dtype=x.dtype), out[tuple(head)]], axis=a)
        if reverse:
            out = xp.flip(out, a)
        return xp.ascontiguousarray(out)

    return kernel


def _cumsum_grad(op, grad):
    axis = op.inputs[1]
    return cumsum(grad, axis, exclusive=op.get_attr("exclusive"), reverse=not op.get_attr("reverse")), None


def _cumprod_grad(op, grad):
    x, axis = op.inputs
    exclusive, reverse = op.get_attr("exclusive"), op.get_attr("reverse")
    prod = cumprod(x, axis, exclusive=exclusive, reverse=reverse)
    out = cumsum(multiply(prod, grad), axis, exclusive=exclusive, reverse=not reverse)
    return realdiv(out, x), None


register(OpDef("Cumsum", infer=_cum_infer, kernel=_cum_kernel("cumsum", 0), grad=_cumsum_grad,
               attrs={"exclusive": False, "reverse": False},
               input_names=("x: T", "axis: Tidx"), output_names=("out: T",),
               attr_types={"exclusive": "bool", "reverse": "bool", "T": "type", "Tidx": "type = int32"}))
register(OpDef("Cumprod", infer=_cum_infer, kernel=_cum_kernel("cumprod", 1), grad=_cumprod_grad,
               attrs={"exclusive": False, "reverse": False},
               input_names=("x: T", "axis: Tidx"), output_names=("out: T",),
               attr_types={"exclusive": "bool", "reverse": "bool", "T": "type", "Tidx": "type = int32"}))


# ---- public TF1 functions ----
def _deprecated_alias(new_name, new_value, old_name, old_value):
    if old_value is not None:
        if new_value is not None:
            raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
        return old_value
    return new_value


def _axis_tensor(axis):
    if isinstance(axis, Tensor):
        return axis
    arr = np.asarray(axis)
    if arr.size == 0:
        arr = arr.astype(np.int32)
    elif arr.dtype.kind in "iu":
        keep64 = isinstance(axis, (np.ndarray, np.generic)) and arr.dtype == np.int64
        arr = arr.astype(np.int64 if keep64 else np.int32)
    else:
        return convert_to_tensor(axis)
    return constant(arr, name="Const")


def _reduction_dims(x: Tensor, axis):
    """The `reduction_indices` input: `axis`, or every dimension of `x` when None (TF's _ReductionDims)."""
    if axis is not None:
        return _axis_tensor(axis)
    rank = x.shape.ndims
    if rank is not None:
        return constant(np.arange(rank, dtype=np.int32), name="Const")
    return apply_op("Range", np.int32(0), apply_op("Rank", x, name="Rank"), np.int32(1), name="range")


def _reduce(op_type, input_tensor, axis, keepdims, name, reduction_indices, keep_dims):
    axis = _deprecated_alias("axis", axis, "reduction_indices", reduction_indices)
    keepdims = _deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims)
    keepdims = bool(keepdims) if keepdims is not None else False
    x = convert_to_tensor(input_tensor)
    out = apply_op(op_type, x, _reduction_dims(x, axis), name=name or op_type, keep_dims=keepdims)
    if axis is None and not keepdims and not out.shape.is_fully_defined():
        out.set_shape(())  # TF's _may_reduce_to_scalar
    return out


def reduce_sum(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Sum over `axis` (every axis when None), as `tf.reduce_sum`.

        tf.reduce_sum(x, axis=1, keepdims=True)
    """
    return _reduce("Sum", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_mean(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Mean over `axis`, as `tf.reduce_mean` (integer inputs give the integer mean, truncated)."""
    return _reduce("Mean", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_prod(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Product over `axis`, as `tf.reduce_prod`."""
    return _reduce("Prod", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_max(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Maximum over `axis`, as `tf.reduce_max` (an empty reduction gives the lowest value)."""
    return _reduce("Max", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_min(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Minimum over `axis`, as `tf.reduce_min` (an empty reduction gives the highest value)."""
    return _reduce("Min", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_all(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Logical and over `axis` of a bool tensor, as `tf.reduce_all`."""
    return _reduce("All", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def reduce_any(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """Logical or over `axis` of a bool tensor, as `tf.reduce_any`."""
    return _reduce("Any", input_tensor, axis, keepdims, name, reduction_indices, keep_dims)


def _stop_gradient(x):
    try:
        get_op_def("StopGradient")
    except ValueError:
        return x
    return apply_op("StopGradient", x, name="StopGradient")


def reduce_logsumexp(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
    """log(sum(exp(x))) over `axis`, computed stably (the max is subtracted first), as `tf.reduce_logsumexp`."""
    axis = _deprecated_alias("axis", axis, "reduction_indices", reduction_indices)
    keepdims = _deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims)
    keepdims = bool(keepdims) if keepdims is not None else False
    with _scope(name, "ReduceLogSumExp", [input_tensor]) as scope:
        x = convert_to_tensor(input_tensor)
        raw_max = reduce_max(x, axis=axis, keepdims=True)
        my_max = _stop_gradient(where_v2(is_finite(raw_max), raw_max, _zero(raw_max.dtype)))
        result = log(reduce_sum(exp(subtract(x, my_max)), axis, keepdims=keepdims))
        if not keepdims:
            my_max = reduce_sum(my_max, axis)  # drops the kept unit dims
        out = apply_op("AddV2", result, my_max, name=scope)
        if axis is None and not keepdims and not out.shape.is_fully_defined():
            out.set_shape(())
        return out


def count_nonzero(input_tensor, axis=None, keepdims=None, dtype=dtypes.int64, name=None, reduction_indices=None,
                  keep_dims=None):
    """The number of nonzero (or non-empty string) elements over `axis`, as `tf.count_nonzero`."""
    keepdims = _deprecated_alias("keepdims", keepdims, "keep_dims", keep_dims)
    with _scope(name, "count_nonzero", [input_tensor]):
        x = convert_to_tensor(input_tensor, name="input_tensor")
        zero = constant(b"" if x.dtype == dtypes.string else np.zeros((), x.dtype.as_numpy_dtype), dtype=x.dtype,
                        name="zeros")
        nonzero = cast(not_equal(x, zero), dtypes.int64)
        total = reduce_sum(nonzero, axis=axis, keepdims=keepdims, reduction_indices=reduction_indices)
        return cast(total, dtype)


def argmax(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):  # noqa: A002 - TF's name
    """Index of the largest value along `axis` (default 0), as TF1's `tf.argmax`."""
    axis = _deprecated_alias("axis", axis, "dimension", dimension)
    if axis is None:
        axis = 0
    return apply_op("ArgMax", input, _axis_tensor(axis), name=name or "ArgMax",
                    output_type=dtypes.as_dtype(output_type))


def argmin(input, axis=None, name=None, dimension=None, output_type=dtypes.int64):  # noqa: A002 - TF's name
    """Index of the smallest value along `axis` (default 0), as TF1's `tf.argmin`."""
    axis = _deprecated_alias("axis", axis, "dimension", dimension)
    if axis is None:
        axis = 0
    return apply_op("ArgMin", input, _axis_tensor(axis), name=name or "ArgMin",
                    output_type=dtypes.as_dtype(output_type))


def arg_max(input, dimension, output_type=dtypes.int64, name=None):  # noqa: A002 - TF's name
    """The raw `ArgMax` op (deprecated `tf.arg_max`)."""
    return argmax(input, dimension, name=name, output_type=output_type)


def arg_min(input, dimension, output_type=dtypes.int64, name=None):  # noqa: A002 - TF's name
    """The raw `ArgMin` op (deprecated `tf.arg_min`)."""
    return argmin(input, dimension, name=name, output_type=output_type)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative sum along `axis`, as `tf.cumsum`.

        tf.cumsum([a, b, c], exclusive=True)   # [0, a, a + b]
        tf.cumsum([a, b, c], reverse=True)     # [a + b + c, b + c, c]
    """
    with _scope(name, "Cumsum", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return apply_op("Cumsum", x, _axis_tensor(axis), name=scope, exclusive=bool(exclusive),
                        reverse=bool(reverse))


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Cumulative product along `axis`, as `tf.cumprod` (exclusive starts from 1)."""
    with _scope(name, "Cumprod", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        return apply_op("Cumprod", x, _axis_tensor(axis), name=scope, exclusive=bool(exclusive),
                        reverse=bool(reverse))
