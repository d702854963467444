"""Ops driven by index tensors: GatherV2, GatherNd, ScatterNd, Where, Unique, TopKV2, OneHot, Bucketize.

Also the composed `tf.boolean_mask` and `tf.sequence_mask`.
"""

from __future__ import annotations

import collections
import math

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core.graph import Tensor, name_scope
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import scatter_kernels
from estflow.core.ops.array_ops import (
    _cast,
    _check_int,
    _check_rank,
    _const_int,
    _const_int_tensor,
    _fmt,
    _host_int,
    _host_ints,
    _ints,
    _invalid,
    _shape_arg,
    _shape_from_shape_input,
    _to_tensor,
    expand_dims,
    reshape,
    shape,
    size,
    squeeze,
)
from estflow.core.ops.concat_ops import concat, stack
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.fill_ops import _all_axes, range_
from estflow.core.ops.manipulation_ops import transpose
from estflow.core.registry import REQUIRED, Fusion, OpDef, TensorSpec, apply_op, register, variable_behind_read
from estflow.core.tensor_shape import TensorShape
from estflow.core.tensor_util import infer_dtype as _infer_dtype


# ---- GatherV2, GatherNd, ScatterNd -------------------------------------------------------------------
def _index_error(indices, flat_pos, value, bound):
    """TF's "indices[1,0] = 7 is not in [0, 3)" with the position in `indices`' own shape."""
    pos = np.unravel_index(flat_pos, indices.shape) if indices.ndim else ()
    where_ = ",".join(str(int(p)) for p in pos)
    return _invalid(f"indices[{where_}] = {value} is not in [0, {bound})")


def _check_gather_bounds(xp, indices, bound):
    if indices.size == 0:
        return
    if indices.__class__ is np.ndarray:  # argmin/argmax and item: a fraction of min/max's reduction cost
        if indices.item(indices.argmin()) >= 0 and indices.item(indices.argmax()) < bound:
            return
    elif int(indices.min()) >= 0 and int(indices.max()) < bound:  # two reductions: cheaper than a mask when fine
        return
    bad = xp.logical_or(indices < 0, indices >= bound)
    if bool(bad.any()):
        flat = int(xp.argmax(bad.reshape(-1)))
        raise _index_error(indices, flat, int(indices.reshape(-1)[flat]), bound)


def _infer_gather(params, indices, axis, *, batch_dims):
    _check_int(indices, "indices")
    _check_int(axis, "axis")
    _check_rank(axis, 0)
    a = _const_int(axis)
    p_dims, i_dims = params.shape.as_tuple(), indices.shape.as_tuple()
    bd = batch_dims
    if bd < 0 and i_dims is not None:
        bd += len(i_dims)
    if p_dims is None or i_dims is None or a is None:
        return TensorSpec(None, params.dtype)
    n = len(p_dims)
    if not -n <= a < n:
        raise ValueError(f"Shape must be at least rank {a + 1 if a >= 0 else -a} but is rank {n}")
    a %= n
    if bd > a:
        raise ValueError(f"batch_dims ({batch_dims}) must be less than or equal to axis ({a}).")
    if bd > len(i_dims):
        raise ValueError(f"batch_dims ({batch_dims}) must be less than or equal to rank(indices) ({len(i_dims)}).")
    for i in range(bd):
        if p_dims[i] is not None and i_dims[i] is not None and p_dims[i] != i_dims[i]:
            raise ValueError(f"Dimensions must be equal, but are {p_dims[i]} and {i_dims[i]}")
    out = list(p_dims[:a]) + list(i_dims[bd:]) + list(p_dims[a + 1:])
    return TensorSpec(out, params.dtype)


def _gather_kernel(xp, params, indices, axis, batch_dims):
    if batch_dims == 0 and params.__class__ is np.ndarray and indices.__class__ is np.ndarray and indices.size:
        a = axis.item() if axis.__class__ is np.ndarray else int(axis)  # the usual gather, checks in order
        if -params.ndim <= a < params.ndim and indices.item(indices.argmin()) >= 0:  # argmin: no ufunc reduction
            try:  # numpy's take refuses the ids past the end itself
                return params.take(indices, a)
            except IndexError:
                pass
    a = _host_int(axis)
    n = params.ndim
    if not -n <= a < n:
        raise _invalid(f"Expected axis in the range [{-n}, {n}), but got {a}")
    a %= n
    bd = batch_dims + indices.ndim if batch_dims < 0 else batch_dims
    if bd == 0 and xp is np and indices.size and indices.item(indices.argmin()) >= 0:  # argmin: no ufunc reduction
        try:  # numpy's take refuses the ids past the end itself: one reduction instead of two
            return params.take(indices, a) if type(params) is np.ndarray else np.take(params, indices, axis=a)
        except IndexError:
            pass
    _check_gather_bounds(xp, indices, params.shape[a])
    if bd == 0:
        return xp.take(params, indices, axis=a)
    batch_shape = params.shape[:bd]
    nb = 1
    for d in batch_shape:
        nb *= d
    p = params.reshape((nb,) + params.shape[bd:])
    i = indices.reshape((nb,) + indices.shape[bd:])
    parts = [xp.take(p[b], i[b], axis=a - bd) for b in range(nb)]
    out_tail = params.shape[bd:a] + indices.shape[bd:] + params.shape[a + 1:]
    if not parts:
        return xp.zeros(batch_shape + out_tail, dtype=params.dtype)
    return xp.stack(parts).reshape(batch_shape + out_tail)


def _gather_grad(op, grad):
    params, indices, axis = op.inputs
    params_shape = shape(params, out_type=dtypes.int64)
    params_shape = _cast(params_shape, dtypes.int32)
    batch_dims = op.get_attr("batch_dims")
    a = _const_int_tensor(axis)
    if a is None:
        raise NotImplementedError("The gradient of tf.gather needs a constant axis in estflow.")
    n = params.shape.ndims
    if a < 0 and n is not None:
        a += n
    if batch_dims < 0 and indices.shape.ndims is not None:
        batch_dims += indices.shape.ndims
    grad = _dense_grad(grad)
    if a == 0 and batch_dims == 0:
        indices_size = expand_dims(size(indices), 0)
        values = reshape(grad, concat([indices_size, params_shape[1:]], 0))
        return IndexedSlices(values, reshape(indices, indices_size), params_shape), None, None
    m = indices.shape.ndims
    if n is None or m is None:
        raise NotImplementedError("The gradient of tf.gather with axis != 0 needs inputs of known rank.")
    # grad: params[:a] + indices[bd:] + params[a+1:]. Bring the gathered dims to the front
    # (after the batch dims), sum rows per index, then move the gathered axis back.
    k = m - batch_dims
    outer = list(range(batch_dims, a))
    gathered = list(range(a, a + k))
    inner = list(range(a + k, a + k + n - a - 1))
    perm = list(range(batch_dims)) + gathered + outer + inner
    moved = transpose(grad, perm)
    num = gather(params_shape, a)
    flat_idx = _cast(indices, dtypes.int32)
    if batch_dims:
        nb = _reduce_prod(params_shape[:batch_dims])
        offsets = reshape(range_(0, nb, 1) * num, [-1] + [1] * k)
        flat_idx = reshape(flat_idx, concat([[-1], shape(indices)[batch_dims:]], 0)) + offsets
        segments = nb * num
    else:
        segments = num
    tail = shape(moved)[batch_dims + k:]
    values = reshape(moved, concat([[-1], tail], 0))
    summed = apply_op("UnsortedSegmentSum", values, reshape(flat_idx, [-1]), segments, name="UnsortedSegmentSum")
    # summed: [nb * N] + outer + inner -> batch + [N] + outer + inner -> batch + outer + [N] + inner
    summed = reshape(summed, concat([params_shape[:batch_dims], [num], tail], 0))
    n_outer = len(outer)
    back = (list(range(batch_dims)) + [batch_dims + 1 + j for j in range(n_outer)] + [batch_dims]
            + [batch_dims + 1 + n_outer + j for j in range(len(inner))])
    return transpose(summed, back), None, None


def _reduce_prod(t):
    """The product of a small 1-D int tensor's entries (TF's Prod)."""
    return apply_op("Prod", t, _ints([0]), keep_dims=False, name="Prod")


def _dense_grad(grad):
    if isinstance(grad, Tensor):
        return grad

    return convert_to_tensor(grad)


def _fuse_variable_read(op):
    """GatherV2 of a variable's `read` (embedding and linear weights) reads the variable itself."""
    params, indices, axis = op._inputs
    variable = variable_behind_read(params)
    if variable is None:
        return None
    batch_dims = op._attrs.get("batch_dims", 0)

    def kernel(xp, table, ids, a):
        return _gather_kernel(xp, table, ids, a, batch_dims)

    return Fusion((variable, indices, axis), kernel, (params,))


register(OpDef("GatherV2", infer=_infer_gather, kernel=_gather_kernel, grad=_gather_grad,
               attrs={"batch_dims": 0}, broadcasts=False, fuse=_fuse_variable_read,
               input_names=("params: Tparams", "indices: Tindices", "axis: Taxis"), output_names=("output: Tparams",),
               attr_types={"batch_dims": "int", "Tparams": "type", "Tindices": "type", "Taxis": "type"}))


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of `params` along `axis` at `indices`, as `tf.gather` (out-of-range indices raise).

    `validate_indices` does nothing, as in TF1 (deprecated there): indices are always checked.
    """
    if axis is None:
        axis = batch_dims
    return apply_op("GatherV2", params, indices, axis, name=name or "GatherV2", batch_dims=batch_dims)


def _infer_gather_nd(params, indices):
    _check_int(indices, "indices")
    p_dims, i_dims = params.shape.as_tuple(), indices.shape.as_tuple()
    if i_dims is not None and len(i_dims) == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    if i_dims is None or i_dims[-1] is None or p_dims is None:
        return TensorSpec(None, params.dtype)
    k = i_dims[-1]
    if k > len(p_dims):
        raise ValueError(f"indices.shape[-1] must be <= params.rank, but saw indices shape: {_fmt(i_dims)} "
                         f"and params shape: {_fmt(p_dims)}")
    return TensorSpec(list(i_dims[:-1]) + list(p_dims[k:]), params.dtype)


def _nd_index(xp, indices, dims, what):
    """indices[..., k] as a tuple of index arrays, after TF's bounds check."""
    k = indices.shape[-1]
    flat = indices.reshape(-1, k)
    if flat.shape[0]:
        bound = xp.asarray(list(dims[:k]), dtype=indices.dtype)
        bad = xp.logical_or(flat < 0, flat >= bound).any(axis=1)
        if bool(bad.any()):
            i = int(xp.argmax(bad))
            pos = np.unravel_index(i, indices.shape[:-1]) if indices.ndim > 1 else ()
            where_ = ",".join(str(int(p)) for p in pos)
            row = ", ".join(str(v) for v in _host_ints(flat[i]))
            raise _invalid(f"indices[{where_}] = [{row}] does not index into {what} {_fmt(dims)}")
    return tuple(indices[..., j] for j in range(k))


def _gather_nd_kernel(xp, params, indices):
    k = indices.shape[-1]
    if k > params.ndim:
        raise _invalid(f"index innermost dimension length must be <= params rank; saw: {k} vs. {params.ndim}")
    if k == 0:
        return xp.broadcast_to(params, indices.shape[:-1] + params.shape).copy()
    if not indices.size:  # no index tuples (a Where that found nothing): nothing to check or gather
        return xp.empty(indices.shape[:-1] + params.shape[k:], dtype=params.dtype)
    return params[_nd_index(xp, indices, params.shape, "param shape")]


register(OpDef("GatherNd", infer=_infer_gather_nd, kernel=_gather_nd_kernel,
               grad=lambda op, g: (scatter_nd(op.inputs[1], _dense_grad(g),
                                              shape(op.inputs[0], out_type=op.inputs[1].dtype)), None),
               input_names=("params: Tparams", "indices: Tindices"), output_names=("output: Tparams",),
               attr_types={"Tparams": "type", "Tindices": "type"}))


def gather_nd(params, indices, name=None, batch_dims=0):
    """Slices of `params` at the index tuples in `indices`' last axis, as `tf.gather_nd`."""
    if batch_dims != 0:
        raise NotImplementedError("tf.gather_nd with batch_dims != 0 is not supported in estflow.")
    return apply_op("GatherNd", params, indices, name=name or "GatherNd")


def _infer_scatter_nd(indices, updates, shape_spec):
    _check_int(indices, "indices")
    _check_int(shape_spec, "shape")
    _check_rank(shape_spec, 1)
    out = _shape_from_shape_input(shape_spec)
    i_dims, u_dims = indices.shape.as_tuple(), updates.shape.as_tuple()
    o_dims = out.as_tuple()
    if i_dims is not None and u_dims is not None and o_dims is not None and i_dims[-1] is not None:
        k = i_dims[-1]
        expected = list(i_dims[:-1]) + list(o_dims[k:])
        if not TensorShape(u_dims).is_compatible_with(expected):
            raise ValueError(f"Must have updates.shape = indices.shape[:batch_dim] + shape[slice_dim:], got "
                             f"updates.shape: {_fmt(u_dims)}, indices.shape: {_fmt(i_dims)}, shape: {_fmt(o_dims)}")
    return TensorSpec(out, updates.dtype)


def _scatter_nd_kernel(xp, indices, updates, shape_arr):
    dims = tuple(_host_ints(shape_arr))
    out = xp.zeros(dims, dtype=updates.dtype)
    k = indices.shape[-1]
    if k > len(dims):
        raise _invalid(f"Output must have rank at least {k}; got {len(dims)}")
    index = _nd_index(xp, indices, dims, "shape")
    if k == 0:
        return out + updates.reshape((-1,) + dims).sum(axis=0) if updates.size else out
    scatter_kernels.scatter_add(xp, out, index, updates)  # every dtype, cupy included
    return out


register(OpDef("ScatterNd", infer=_infer_scatter_nd, kernel=_scatter_nd_kernel,
               grad=lambda op, g: (None, gather_nd(g, op.inputs[0]), None),
               same_dtype=None,
               input_names=("indices: Tindices", "updates: T", "shape: Tindices"), output_names=("output: T",),
               attr_types={"T": "type", "Tindices": "type"}))


def scatter_nd(indices, updates, shape, name=None):
    """Zeros of `shape` with `updates` added at `indices` (duplicates sum), as `tf.scatter_nd`."""
    indices = indices if isinstance(indices, Tensor) else _to_tensor(indices, name="indices")
    return apply_op("ScatterNd", indices, updates, _shape_arg(shape, indices.dtype), name=name or "ScatterNd")


# ---- Where, Unique, TopKV2, OneHot, Bucketize --------------------------------------------------------
def _infer_where(x):
    n = x.shape.ndims
    return TensorSpec([None, n], dtypes.int64)


def _where_kernel(xp, x):
    if xp is not np or x.ndim == 0:
        return xp.argwhere(x).astype("int64", copy=False)
    # argwhere's transpose of nonzero, written column by column into one int64 array (about half the calls)
    coordinates = x.nonzero()
    out = np.empty((coordinates[0].shape[0], x.ndim), dtype=np.int64)
    for j, c in enumerate(coordinates):
        out[:, j] = c
    return out


register(OpDef("Where", infer=_infer_where, kernel=_where_kernel,
               grad=None, differentiable=False,
               input_names=("input: T",), output_names=("index: int64",), attr_types={"T": "type = bool"}))


def where(condition, x=None, y=None, name=None):
    """`tf.where`: coordinates of true entries ([N, rank] int64), or `Select(condition, x, y)`."""
    if x is None and y is None:
        with name_scope(name, "Where", [condition] if isinstance(condition, Tensor) else None) as scope:
            if not isinstance(condition, Tensor):
                condition = convert_to_tensor(condition, preferred_dtype=dtypes.bool, name="condition")
            return apply_op("Where", condition, name=scope)
    if x is not None and y is not None:
        return apply_op("Select", condition, x, y, name=name or "Select")
    raise ValueError("x and y must both be non-None or both be None.")


def _infer_unique(x, *, out_idx):
    _check_rank(x, 1)
    _check_int(TensorSpec([], out_idx), "out_idx")
    dims = x.shape.as_tuple()
    return [TensorSpec([None], x.dtype), TensorSpec(dims if dims is not None else [None], out_idx)]


_SMALL_UNIQUE = 128  # below this many integers a dict pass beats np.unique's sorts (a sparse step's ids)


def _unique_small(x, idx_dtype):
    """`_unique_kernel` for a short integer vector: one dict pass, the same values and ids."""
    if x.dtype.kind in "biu":  # the values rebuilt from the dict's keys, in order of first appearance
        found: dict = {}
        ids = [found.setdefault(v, len(found)) for v in x.tolist()]
        return (np.fromiter(found, dtype=x.dtype, count=len(found)),
                np.fromiter(ids, dtype=idx_dtype, count=len(ids)))
    seen: dict = {}
    first = []
    idx = []
    for i, v in enumerate(x.tolist()):
        j = seen.get(v)
        if j is None:
            j = seen[v] = len(first)
            first.append(i)
        idx.append(j)
    return x[first], np.array(idx, dtype=idx_dtype)


def _unique_kernel(xp, x, out_idx):
    if x.ndim != 1:
        raise _invalid("unique expects a 1D vector.")
    if x.size == 0:
        return x[:0], xp.zeros((0,), dtype=out_idx.as_numpy_dtype)
    if x.size <= _SMALL_UNIQUE and xp is np and x.dtype.kind in "biuOS":
        # A few ids (one example's, a sparse step's): a dict in order of first appearance beats np.unique's
        # sorts. Only for types whose == is np.unique's equality (floats differ on nan and -0.0).
        return _unique_small(x, out_idx.as_numpy_dtype)
    values, first, inverse = xp.unique(x, return_index=True, return_inverse=True)
    order = xp.argsort(first)  # unique values in order of first appearance, as TF
    rank_of = xp.empty_like(order)
    rank_of[order] = xp.arange(order.shape[0])
    idx = rank_of[inverse.reshape(-1)]
    return values[order], idx.astype(out_idx.as_numpy_dtype, copy=False)


register(OpDef("Unique", infer=_infer_unique, kernel=_unique_kernel, grad=None, differentiable=False,
               attrs={"out_idx": dtypes.int32},
               input_names=("x: T",), output_names=("y: T", "idx: out_idx"),
               attr_types={"T": "type", "out_idx": "type"}))


UniqueOutput = collections.namedtuple("Unique", ["y", "idx"])  # what TF1's tf.unique returns
TopKOutput = collections.namedtuple("TopKV2", ["values", "indices"])  # what TF1's tf.nn.top_k returns


def unique(x, out_idx=dtypes.int32, name=None):
    """(y, idx): the distinct values of 1-D `x` in order of appearance, and x == y[idx] (`tf.unique`)."""
    return UniqueOutput(*apply_op("Unique", x, name=name or "Unique", out_idx=dtypes.as_dtype(out_idx)))


def _infer_top_k(x, k, *, sorted):  # noqa: A002 - TF's attr name
    _check_int(k, "k", (dtypes.int32,))
    _check_rank(k, 0)
    dims = x.shape.as_tuple()
    kv = _const_int(k)
    if kv is not None and kv < 0:
        raise ValueError(f"Need k >= 0, got {kv}")
    if dims is None:
        out = TensorShape(None)
    else:
        if len(dims) == 0:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        if kv is not None and dims[-1] is not None and dims[-1] < kv:
            raise ValueError(f"input must have last dimension >= k = {kv} but is {dims[-1]}")
        out = TensorShape(list(dims[:-1]) + [kv])
    return [TensorSpec(out, x.dtype), TensorSpec(out, dtypes.int32)]


def _top_k_kernel(xp, x, k, sorted):  # noqa: A002 - TF's attr name
    kv = _host_int(k)
    if kv < 0:
        raise _invalid(f"Need k >= 0, got {kv}")
    if x.ndim < 1:
        raise _invalid(f"input must be >= 1-D, got shape {_fmt(x.shape)}")
    n = x.shape[-1]
    if n < kv:
        raise _invalid(f"input must have at least k columns. Had {n}, needed {kv}")
    # Descending by value, ties broken by the lower index: a stable ascending sort of the
    # reversed row, read backwards.
    kwargs = {"kind": "stable"} if xp is np else {}
    order = xp.argsort(x[..., ::-1], axis=-1, **kwargs)[..., ::-1][..., :kv]
    indices = (n - 1 - order).astype("int32")
    values = xp.take_along_axis(x, indices.astype("int64"), axis=-1)
    return values, indices


def _top_k_grad(op, grad, _indices_grad=None):
    x = op.inputs[0]
    indices = op.outputs[1]
    grad = _dense_grad(grad)
    in_shape = shape(x)
    k = shape(indices)[-1]
    ind_2d = reshape(indices, stack([-1, k]))
    in_last = in_shape[-1]
    outer = shape(ind_2d)[0]
    offsets = expand_dims(range_(0, outer * in_last, in_last), -1)
    flat = reshape(ind_2d + offsets, [-1])
    scattered = scatter_nd(expand_dims(flat, -1), reshape(grad, [-1]), expand_dims(size(x), 0))
    return reshape(scattered, in_shape), None


register(OpDef("TopKV2", infer=_infer_top_k, kernel=_top_k_kernel, grad=_top_k_grad,
               attrs={"sorted": True},
               input_names=("input: T", "k: Tk"), output_names=("values: T", "indices: index_type"),
               attr_types={"sorted": "bool", "T": "type", "Tk": "type = int32", "index_type": "type = int32"}))


def top_k(input, k=1, sorted=True, name=None):  # noqa: A002 - TF's argument names
    """(values, indices) of the `k` largest entries along the last axis, as `tf.nn.top_k`."""
    return TopKOutput(*apply_op("TopKV2", input, k, name=name or "TopKV2", sorted=sorted))


def _infer_one_hot(indices, depth, on_value, off_value, *, axis):
    _check_int(indices, "indices", (dtypes.uint8, dtypes.int32, dtypes.int64))
    _check_int(depth, "depth", (dtypes.int32,))
    _check_rank(depth, 0)
    _check_rank(on_value, 0)
    _check_rank(off_value, 0)
    d = _const_int(depth)
    if d is not None and d < 0:
        raise ValueError(f"depth must be non-negative, got: {d}")
    dims = indices.shape.as_tuple()
    if dims is None:
        return TensorSpec(None, on_value.dtype)
    n = len(dims)
    if axis < -1 or axis > n:
        raise ValueError(f"Expected axis to be -1 or between [0, {n + 1}).  But received: {axis}")
    a = n if axis == -1 else axis
    return TensorSpec(list(dims[:a]) + [d] + list(dims[a:]), on_value.dtype)


def _is_plus_zero(v: float) -> bool:
    return v == 0.0 and math.copysign(1.0, v) > 0


_ONE_HOT_RANGES: dict = {}  # (depth, dtype) -> arange(depth): an indicator column's depth recurs every step


def _one_hot_kernel(xp, indices, depth, on_value, off_value, axis):
    d = _host_int(depth)
    if d < 0:
        raise _invalid(f"depth must be non-negative, got: {d}")
    n = indices.ndim
    if axis < -1 or axis > n:
        raise _invalid(f"Expected axis to be -1 or between [0, {n + 1}).  But received: {axis}")
    if xp is np:
        key = (d, indices.dtype)
        positions = _ONE_HOT_RANGES.get(key)
        if positions is None:
            if len(_ONE_HOT_RANGES) > 64:  # a few depths recur; never grow without bound
                _ONE_HOT_RANGES.clear()
            positions = _ONE_HOT_RANGES[key] = np.arange(d, dtype=indices.dtype)
        hot = indices[..., None] == positions
        if on_value.dtype.kind == "f" and on_value.item() == 1.0 and _is_plus_zero(off_value.item()):
            out = hot.astype(on_value.dtype)  # 1.0 and +0.0 (feature columns' indicators): the mask's own values
        else:
            out = np.where(hot, on_value, off_value).astype(on_value.dtype, copy=False)
    else:
        hot = indices[..., None] == xp.arange(d, dtype=indices.dtype)
        out = xp.where(hot, on_value, off_value).astype(on_value.dtype, copy=False)
    return out if axis == -1 else xp.moveaxis(out, -1, axis)


register(OpDef("OneHot", infer=_infer_one_hot, kernel=_one_hot_kernel, grad=None, differentiable=False,
               attrs={"axis": -1}, same_dtype=(2, 3),
               input_names=("indices: TI", "depth: int32", "on_value: T", "off_value: T"),
               output_names=("output: T",), attr_types={"axis": "int", "T": "type", "TI": "type = int64"},
               row_wise=row_rules.one_hot))


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """One-hot vectors of length `depth` for `indices` (out-of-range indices: all off), as `tf.one_hot`."""
    def dtype_of(v):
        return v.dtype if isinstance(v, Tensor) else _infer_dtype(v)

    vals = [v for v in (indices, depth, on_value, off_value) if isinstance(v, Tensor)]
    with name_scope(name, "one_hot", vals or None) as scope:
        dtype = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
        on_exists, off_exists = on_value is not None, off_value is not None
        on_dtype = dtype_of(on_value) if on_exists else None
        off_dtype = dtype_of(off_value) if off_exists else None
        if on_exists or off_exists:
            if dtype is not None:
                if on_exists and on_dtype != dtype:
                    raise TypeError(f"dtype {on_dtype!r} of on_value does not match dtype parameter {dtype!r}")
                if off_exists and off_dtype != dtype:
                    raise TypeError(f"dtype {off_dtype!r} of off_value does not match dtype parameter {dtype!r}")
            else:
                dtype = on_dtype if on_exists else off_dtype
        elif dtype is None:
            dtype = dtypes.float32
        if not on_exists:
            on_value = _to_tensor(1, dtype, name="on_value")
            on_dtype = dtype
        if not off_exists:
            off_value = _to_tensor(0, dtype, name="off_value")
            off_dtype = dtype
        if on_dtype != off_dtype:
            raise TypeError(f"dtype {on_dtype!r} of on_value does not match dtype {off_dtype!r} of off_value")
        if not isinstance(on_value, Tensor):
            on_value = _to_tensor(on_value, on_dtype, name="on_value")
        if not isinstance(off_value, Tensor):
            off_value = _to_tensor(off_value, off_dtype, name="off_value")
        return apply_op("OneHot", indices, depth, on_value, off_value, name=scope,
                        axis=-1 if axis is None else axis)


def _infer_bucketize(x, *, boundaries):
    _check_int(x, "input", (dtypes.int32, dtypes.int64, dtypes.float32, dtypes.float64))
    if list(boundaries) != sorted(boundaries):
        raise ValueError("Expected sorted boundaries")
    return TensorSpec(x.shape, dtypes.int32)


_BUCKET_EDGES: dict = {}  # (boundaries, float64 input) -> (numpy edges, tiny, a boundary near 0)


def _bucketize_kernel(xp, x, boundaries):
    # Bucket i holds boundaries[i-1] <= x < boundaries[i]: the number of boundaries <= x. TF keeps the
    # boundaries as float32 attrs and runs with denormals as zero: a float64 input meets the float32-rounded
    # boundary, an integer is compared as a float32, a denormal input counts as 0.
    wide = x.dtype == xp.float64
    key = (tuple(boundaries), wide)
    found = _BUCKET_EDGES.get(key) if xp is np else None  # device arrays belong to one device: not kept
    if found is None:
        edges = xp.asarray(list(boundaries), dtype="float32")
        if wide:
            edges = edges.astype("float64")
        tiny = float(np.finfo("float64" if wide else "float32").tiny)
        # Only a boundary within a denormal of 0 can tell a denormal input from 0.
        near_zero = bool(((edges > -tiny) & (edges <= tiny)).any())
        found = (edges, tiny, near_zero)
        if xp is np:
            if len(_BUCKET_EDGES) >= 64:
                _BUCKET_EDGES.clear()
            _BUCKET_EDGES[key] = found
    edges, tiny, near_zero = found
    values = x if wide else x.astype("float32", copy=False)
    out = xp.searchsorted(edges, values, side="right").astype("int32")
    if near_zero:
        out[xp.abs(values) < tiny] = xp.searchsorted(edges, xp.zeros(1, values.dtype), side="right")
    return out


register(OpDef("Bucketize", infer=_infer_bucketize, kernel=_bucketize_kernel, grad=None, differentiable=False,
               attrs={"boundaries": REQUIRED},
               input_names=("input: T",), output_names=("output: int32",),
               attr_types={"T": "type", "boundaries": "list(float)"},
               row_wise=row_rules.elementwise))


def bucketize(input, boundaries, name=None):  # noqa: A002 - TF's argument name
    """The index of the bucket of each value: how many `boundaries` are <= it (TF's `Bucketize`)."""
    return apply_op("Bucketize", input, name=name or "Bucketize", boundaries=[float(b) for b in boundaries])


# ---- boolean_mask, sequence_mask (composed) ---------------------------------------------------
def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The entries of `tensor` where `mask` is true, flattened over the mask's dims (`tf.boolean_mask`)."""
    with name_scope(name, "boolean_mask", [v for v in (tensor, mask) if isinstance(v, Tensor)] or None):
        tensor = _to_tensor(tensor, name="tensor")
        mask = _to_tensor(mask, name="mask")
        shape_mask = mask.shape
        ndims_mask = shape_mask.ndims
        shape_tensor = tensor.shape
        if ndims_mask == 0:
            raise ValueError("mask cannot be scalar.")
        if ndims_mask is None:
            raise ValueError("Number of mask dimensions must be specified, even if some dimensions are None.  "
                             "E.g. shape=[None] is ok, but shape=None is not.")
        axis = 0 if axis is None else axis
        shape_tensor[axis:axis + ndims_mask].assert_is_compatible_with(shape_mask)
        masked_dims = shape_tensor[axis:axis + ndims_mask]
        first_dim = masked_dims.num_elements() if masked_dims.ndims is not None else None
        t_shape = shape(tensor)
        if first_dim is not None:
            leading_size = _ints([first_dim])
        else:
            leading_size = reshape(apply_op("Prod", t_shape[axis:axis + ndims_mask], _ints([0]), keep_dims=False,
                                            name="Prod"), [1])
        tensor = reshape(tensor, concat([t_shape[:axis], leading_size, t_shape[axis + ndims_mask:]], 0))
        if shape_tensor.ndims is not None:
            tensor.set_shape(shape_tensor[:axis].concatenate([first_dim]).concatenate(
                shape_tensor[axis + ndims_mask:]))
        mask = reshape(mask, [-1])
        indices = squeeze(where(mask), axis=[1])
        return gather(tensor, indices, axis=axis)


def sequence_mask(lengths, maxlen=None, dtype=dtypes.bool, name=None):
    """mask[i, j] = j < lengths[i], as `tf.sequence_mask` (maxlen: max(lengths) by default)."""
    vals = [v for v in (lengths, maxlen) if isinstance(v, Tensor)]
    with name_scope(name, "SequenceMask", vals or None):
        lengths = _to_tensor(lengths)
        if maxlen is None:
            maxlen = apply_op("Max", lengths, _all_axes(lengths), keep_dims=False, name="Max")
            maxlen = apply_op("Maximum", _to_tensor(0, maxlen.dtype), maxlen, name="Maximum")
        else:
            maxlen = _to_tensor(maxlen)
        if maxlen.shape.ndims is not None and maxlen.shape.ndims != 0:
            raise ValueError("maxlen must be scalar for sequence_mask")
        row_vector = apply_op("Range", _to_tensor(0, maxlen.dtype), maxlen, _to_tensor(1, maxlen.dtype),
                              name="Range")
        matrix = _cast(expand_dims(lengths, -1), maxlen.dtype)
        result = apply_op("Less", row_vector, matrix, name="Less")
        if dtype is None or result.dtype == dtypes.as_dtype(dtype).base_dtype:
            return result
        return _cast(result, dtype)
