"""Tensors made from a shape or a range: Fill, ZerosLike/OnesLike, `tf.zeros`/`tf.ones`(`_like`), Range, LinSpace."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core.graph import Tensor, name_scope
from estflow.core.lazy_constant import check_large_allocation
from estflow.core.ops.array_ops import (
    _cast,
    _check_int,
    _check_rank,
    _const_list,
    _host_int,
    _host_ints,
    _ints,
    _invalid,
    _reduce_sum,
    _refine,
    _shape_arg,
    _shape_from_shape_input,
    _to_tensor,
    rank,
    reshape,
    shape,
)
from estflow.core.ops.constant_op import constant
from estflow.core.registry import OpDef, TensorSpec, apply_op, infer_same, register
from estflow.core.tensor_shape import as_shape
from estflow.core.tensor_util import infer_dtype as _infer_dtype


def _all_axes(x):
    """The axes of `x` as a tensor: a constant when the rank is known (TF's _ReductionDims)."""
    n = x.shape.ndims
    if n is not None:
        return _ints(list(range(n)))
    return range_(0, rank(x), 1)


# ---- ZerosLike, OnesLike, Fill, zeros, ones -------------------------------------------------
_FILLED_KINDS = frozenset("biufc")


def _like_kernel(fill, fill_like):
    """xp.zeros_like / ones_like; a C-ordered numpy number array takes xp.zeros / ones of its shape
    (the same values and layout, without the `_like` function's Python wrapper: ~0.5 us a call)."""
    def kernel(xp, x):
        if x.__class__ is np.ndarray and x.dtype.kind in _FILLED_KINDS and x.flags.c_contiguous:
            return fill(x.shape, x.dtype)
        return getattr(xp, fill_like)(x)

    return kernel


register(OpDef("ZerosLike", infer=infer_same, kernel=_like_kernel(np.zeros, "zeros_like"), grad=None,
               differentiable=False,
               input_names=("x: T",), output_names=("y: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))
register(OpDef("OnesLike", infer=infer_same, kernel=_like_kernel(np.ones, "ones_like"), grad=None,
               differentiable=False,
               input_names=("x: T",), output_names=("y: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


def _infer_fill(dims, value):
    _check_int(dims, "dims")
    _check_rank(dims, 1)
    _check_rank(value, 0)
    out = _shape_from_shape_input(dims)
    values = _const_list(dims)
    if values is not None:
        for i, d in enumerate(values):
            if d < 0:
                raise ValueError(f"Fill dimensions must be >= 0, got dims[{i}] = {d}")
    return TensorSpec(out, value.dtype)


def _fill_kernel(xp, dims, value):
    target = _host_ints(dims)
    for i, d in enumerate(target):
        if d < 0:
            raise _invalid(f"dims[{i}] = {d} must be nonnegative.")
    check_large_allocation(target, value.dtype, "Fill's output")  # dims read from a file may ask for anything
    return xp.full(target, value, dtype=value.dtype)


register(OpDef(
    "Fill", infer=_infer_fill, kernel=_fill_kernel,
    grad=lambda op, grad: (None, _reduce_sum(grad, _all_axes(grad))),
    input_names=("dims: index_type", "value: T"), output_names=("output: T",),
    attr_types={"T": "type", "index_type": "type = int32"},
))


def fill(dims, value, name=None):
    """A tensor of shape `dims` filled with the scalar `value`, as `tf.fill`."""
    dims_t = _shape_arg(dims)
    return _refine(apply_op("Fill", dims_t, value, name=name or "Fill"), dims_t)


def _zero_of(dtype):
    if dtype == dtypes.bool:
        return False
    if dtype == dtypes.string:
        return ""
    return 0


def _one_of(dtype):
    if dtype == dtypes.bool:
        return True
    if dtype == dtypes.string:
        raise TypeError("tf.ones does not support dtype string")
    return 1


def _filled(shape, value, dtype, name, default_name):
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, default_name, [shape] if isinstance(shape, Tensor) else None) as scope:
        if not isinstance(shape, Tensor):
            try:
                static = as_shape(shape) if not isinstance(shape, (list, tuple)) or not any(
                    isinstance(d, Tensor) for d in shape) else None
            except (TypeError, ValueError):
                static = None
            if static is not None and static.is_fully_defined() and static.num_elements() < 1000:
                return constant(value, dtype=dtype, shape=static.as_list(), name=scope)
            shape = _shape_arg(shape)
        if isinstance(shape, Tensor) and shape.shape.ndims == 0:
            shape = reshape(shape, [-1])
        return fill(shape, constant(value, dtype=dtype), name=scope)


def zeros(shape, dtype=dtypes.float32, name=None):
    """A tensor of `shape` with all elements zero, as `tf.zeros`."""
    return _filled(shape, _zero_of(dtypes.as_dtype(dtype).base_dtype), dtype, name, "zeros")


def ones(shape, dtype=dtypes.float32, name=None):
    """A tensor of `shape` with all elements one, as `tf.ones`."""
    return _filled(shape, _one_of(dtypes.as_dtype(dtype).base_dtype), dtype, name, "ones")


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros with the shape (and dtype, unless given) of `tensor`, as `tf.zeros_like`."""
    with name_scope(name, "zeros_like", [tensor] if isinstance(tensor, Tensor) else None) as scope:
        tensor = _to_tensor(tensor, name="tensor")
        if optimize and tensor.shape.is_fully_defined():
            return zeros(tensor.shape, dtype=dtype or tensor.dtype, name=scope)
        if dtype is not None and dtypes.as_dtype(dtype).base_dtype != tensor.dtype:
            return zeros(shape(tensor), dtype=dtype, name=scope)
        return apply_op("ZerosLike", tensor, name=scope)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones with the shape (and dtype, unless given) of `tensor`, as `tf.ones_like`."""
    with name_scope(name, "ones_like", [tensor] if isinstance(tensor, Tensor) else None) as scope:
        tensor = _to_tensor(tensor, name="tensor")
        if optimize and tensor.shape.is_fully_defined():
            ones_shape = _ints(tensor.shape.as_list())  # TF1: a constant shape tensor, then Fill
        else:
            ones_shape = shape(tensor)
        out = ones(ones_shape, dtype=dtype or tensor.dtype, name=scope)
        out.set_shape(tensor.shape)
        return out


# ---- Range, LinSpace ------------------------------------------------------------------------
_RANGE_TYPES = (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64)


def _range_size(start, limit, delta) -> int:
    if delta == 0:
        raise ValueError("Requires delta != 0")
    if delta > 0 and start > limit:
        raise ValueError(f"Requires start <= limit when delta > 0: {start}/{limit}")
    if delta < 0 and start < limit:
        raise ValueError(f"Requires start >= limit when delta < 0: {start}/{limit}")
    if isinstance(start, int) and isinstance(limit, int) and isinstance(delta, int):
        return (abs(limit - start) + abs(delta) - 1) // abs(delta)
    return int(np.ceil(abs((limit - start) / delta)))


def _scalar(spec: TensorSpec):
    if spec.value is None:
        return None
    v = np.asarray(spec.value).reshape(())
    return v.item()


def _infer_range(start, limit, delta):
    for name, spec in (("start", start), ("limit", limit), ("delta", delta)):
        n = spec.shape.ndims
        if n is not None and n != 0:
            raise ValueError(f"Shape must be rank 0 but is rank {n}")
        _check_int(spec, name, _RANGE_TYPES + (dtypes.int16, dtypes.int8))
    values = [_scalar(s) for s in (start, limit, delta)]
    if None in values:
        return TensorSpec([None], start.dtype)
    return TensorSpec([_range_size(*values)], start.dtype)


def _range_kernel(xp, start, limit, delta):
    values = [v.item() for v in (start, limit, delta)]
    try:
        n = _range_size(*values)
    except ValueError as e:
        raise _invalid(str(e)) from None
    out = xp.arange(n, dtype="float64" if start.dtype.kind == "f" else "int64") * values[2] + values[0]
    return out.astype(start.dtype, copy=False)


register(OpDef("Range", infer=_infer_range, kernel=_range_kernel, grad=None, differentiable=False,
               same_dtype="all",
               input_names=("start: Tidx", "limit: Tidx", "delta: Tidx"), output_names=("output: Tidx",),
               attr_types={"Tidx": "type = int32"}))


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    """[start, start + delta, ...) up to `limit`, as `tf.range` (dtype: the widest argument's)."""
    if limit is None:
        start, limit = 0, start
    values = [start, limit, delta]
    with name_scope(name, "Range", [v for v in values if isinstance(v, Tensor)] or None) as scope:
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype).base_dtype
            tensors = [_to_tensor(v, dtype=dtype, name=n) if not isinstance(v, Tensor) else v
                       for v, n in zip(values, ("start", "limit", "delta"), strict=False)]
            tensors = [_cast(t, dtype) for t in tensors]
        else:
            kinds = [v.dtype.base_dtype if isinstance(v, Tensor) else _infer_dtype(v) for v in values]
            for k in kinds:
                if k not in _RANGE_TYPES:
                    raise TypeError(f"tf.range arguments must be int32, int64, float32 or float64, got {k.name}")
            inferred = max(kinds, key=_RANGE_TYPES.index)
            tensors = [_cast(v, inferred) if isinstance(v, Tensor) else _to_tensor(v, dtype=inferred, name=n)
                       for v, n in zip(values, ("start", "limit", "delta"), strict=False)]
        return apply_op("Range", *tensors, name=scope)


def _infer_linspace(start, stop, num):
    _check_int(start, "start", (dtypes.float32, dtypes.float64))
    _check_int(num, "num")
    for spec in (start, stop, num):
        n = spec.shape.ndims
        if n is not None and n != 0:
            raise ValueError(f"Shape must be rank 0 but is rank {n}")
    n = _scalar(num)
    if n is not None and n <= 0:
        raise ValueError(f"Requires num > 0: {n}")
    return TensorSpec([n], start.dtype)


def _linspace_kernel(xp, start, stop, num):
    n = _host_int(num)
    if n <= 0:
        raise _invalid(f"Requires num > 0: {n}")
    return xp.linspace(start.item(), stop.item(), n).astype(start.dtype, copy=False)


register(OpDef("LinSpace", infer=_infer_linspace, kernel=_linspace_kernel, grad=None, differentiable=False,
               same_dtype=(0, 1),
               input_names=("start: T", "stop: T", "num: Tidx"), output_names=("output: T",),
               attr_types={"T": "type", "Tidx": "type = int32"}))


def linspace(start, stop, num, name=None):
    """`num` evenly spaced values from `start` to `stop` inclusive, as `tf.linspace`."""
    return apply_op("LinSpace", start, stop, num, name=name or "LinSpace")


lin_space = linspace
