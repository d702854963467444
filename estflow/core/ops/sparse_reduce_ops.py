"""Reductions and counts over a SparseTensor's present entries: SparseReduceMax,
SparseReduceMaxSparse, SparseReduceSumSparse, DenseCountSparseOutput, SparseCountSparseOutput.

The reductions group the entries by their index outside the reduced axes; an output position
no entry reaches is 0 in the dense result and absent from the sparse one (TF's kernels). The
counts give `tf.sparse.bincount`: per value (per row when batched) a count, a weight sum, or
1 (`binary_output`), as a SparseTensor in row-major order.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import scatter_kernels
from estflow.core.ops.array_ops import _fmt, _host_ints, _invalid, reshape
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor, convert_to_sparse_tensor
from estflow.core.tensor_shape import TensorShape

_REAL = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint8, dtypes.int16, dtypes.int8, dtypes.int64,
         dtypes.uint16, dtypes.float16, dtypes.uint32, dtypes.uint64)


# ---- the reductions ----------------------------------------------------------------------------------
def _axes(axes, rank):
    out = set()
    for a in axes:
        if not -rank <= a < rank:
            raise _invalid(f"Invalid reduction dimension {a}, for input with {rank} dimensions.")
        out.add(a % rank)
    return out


def _groups(xp, indices, shape, axes_arr, keep_dims):
    """(flat output position of each entry, output shape, kept dims): entries grouped outside the reduced axes."""
    dims = _host_ints(shape)
    reduced = _axes(_host_ints(axes_arr), len(dims))
    kept = [d for d in range(len(dims)) if d not in reduced]
    flat = xp.zeros(indices.shape[0], dtype=xp.int64)
    for d in kept:
        flat = flat * dims[d] + indices[:, d]
    out_shape = [1 if d in reduced else dims[d] for d in range(len(dims))] if keep_dims else [dims[d] for d in kept]
    return flat, out_shape, kept, dims


def _infer_reduce(indices, values, shape, axes, *, keep_dims, sparse_output):
    for spec, name in ((indices, "input_indices"), (shape, "input_shape")):
        if spec.dtype != dtypes.int64:
            raise TypeError(f"Input '{name}' has type {spec.dtype.name} that does not match expected type of int64.")
    if sparse_output:
        return [TensorSpec(TensorShape([None, None]), dtypes.int64), TensorSpec(TensorShape([None]), values.dtype),
                TensorSpec(TensorShape([None]), dtypes.int64)]
    if shape.value is None or axes.value is None:
        return TensorSpec(TensorShape(None), values.dtype)
    dims = [int(d) for d in shape.value.reshape(-1).tolist()]
    reduced = {int(a) % len(dims) for a in axes.value.reshape(-1).tolist()} if dims else set()
    out = [1 if d in reduced else n for d, n in enumerate(dims)] if keep_dims else \
        [n for d, n in enumerate(dims) if d not in reduced]
    return TensorSpec(TensorShape(out), values.dtype)


def _reduce_max_dense(xp, indices, values, shape, axes, keep_dims):
    flat, out_shape, _, _ = _groups(xp, indices, shape, axes, keep_dims)
    size = 1
    for n in out_shape:
        size *= n
    if values.dtype.kind == "f":
        lowest = -xp.inf
    else:
        lowest = xp.iinfo(values.dtype).min
    out = xp.full(size, lowest, dtype=values.dtype)
    scatter_kernels.scatter_extreme(xp, out, flat, values, "maximum")
    hits = xp.zeros(size, dtype=xp.int32)
    scatter_kernels.scatter_add(xp, hits, flat, xp.ones(flat.shape[0], dtype=xp.int32))
    out[hits == 0] = 0  # a position no entry reaches is 0, as TF's kernel gives
    return out.reshape(tuple(out_shape))


def _reduce_sparse(which):
    def kernel(xp, indices, values, shape, axes, keep_dims):
        flat, out_shape, kept, dims = _groups(xp, indices, shape, axes, keep_dims)
        positions, group = xp.unique(flat, return_inverse=True)
        group = group.reshape(-1)
        if which == "sum":
            out = xp.zeros(positions.shape[0], dtype=values.dtype)
            scatter_kernels.scatter_add(xp, out, group, values)
        else:
            out = xp.full(positions.shape[0], -xp.inf if values.dtype.kind == "f" else xp.iinfo(values.dtype).min,
                          dtype=values.dtype)
            scatter_kernels.scatter_extreme(xp, out, group, values, "maximum")
        columns = []  # each kept dim's coordinate, from the flat position (last kept dim varies fastest)
        rest = positions
        for d in reversed(kept):
            columns.append(rest % dims[d])
            rest = rest // dims[d]
        columns.reverse()
        by_dim = dict(zip(kept, columns))
        rank = len(out_shape)
        zeros = xp.zeros(positions.shape[0], dtype=xp.int64)
        if keep_dims:
            cols = [by_dim.get(d, zeros) for d in range(rank)]
        else:
            cols = columns
        out_indices = xp.stack(cols, axis=1) if cols else xp.zeros((positions.shape[0], 0), dtype=xp.int64)
        return out_indices.astype(xp.int64), out, xp.asarray(out_shape, dtype=xp.int64)

    return kernel


_REDUCE_ARGS = ("input_indices: int64", "input_values: T", "input_shape: int64", "reduction_axes: int32")
_SPARSE_OUT = ("output_indices: int64", "output_values: T", "output_shape: int64")
register(OpDef("SparseReduceMax", infer=lambda *s, keep_dims: _infer_reduce(*s, keep_dims=keep_dims,
                                                                             sparse_output=False),
               kernel=_reduce_max_dense, attrs={"keep_dims": False}, broadcasts=False, cpu_only=True,
               input_names=_REDUCE_ARGS, output_names=("output: T",), attr_types={"keep_dims": "bool", "T": "type"}))
for _op_type, _which in (("SparseReduceMaxSparse", "max"), ("SparseReduceSumSparse", "sum")):
    register(OpDef(_op_type, infer=lambda *s, keep_dims: _infer_reduce(*s, keep_dims=keep_dims, sparse_output=True),
                   kernel=_reduce_sparse(_which), attrs={"keep_dims": False}, broadcasts=False, cpu_only=True,
                   input_names=_REDUCE_ARGS, output_names=_SPARSE_OUT, attr_types={"keep_dims": "bool", "T": "type"}))


def _reduction_args(sp_input, axis, keepdims, reduction_axes, keep_dims):
    if reduction_axes is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'reduction_axes'.")
        axis = reduction_axes
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
        keepdims = keep_dims
    sp = convert_to_sparse_tensor(sp_input)
    if axis is None:  # every axis (TF's _ReductionDims)
        rank = sp.dense_shape.shape.as_tuple()[0]
        if rank is None:
            raise ValueError("sparse reductions with axis=None need a SparseTensor of known rank")
        axis = list(range(rank))
    axes = convert_to_tensor(axis, dtype=dtypes.int32, name="reduction_axes")
    return sp, axes, bool(keepdims)


def sparse_reduce_max(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
    """The maximum of the present entries along `axis`, as a dense tensor, as `tf.sparse_reduce_max`
    (missing entries take no part; a position with no entry at all is 0).

        # sp: [[1, ?, 2], [?, 3, ?]]
        tf.sparse_reduce_max(sp, 1)   # [2, 3]
    """
    sp, axes, keepdims = _reduction_args(sp_input, axis, keepdims, reduction_axes, keep_dims)
    return apply_op("SparseReduceMax", sp.indices, sp.values, sp.dense_shape, axes, name="SparseReduceMax",
                    keep_dims=keepdims)


def _sparse_reduction(op_type):
    def reduce(sp_input, axis=None, keepdims=None, reduction_axes=None, keep_dims=None):
        sp, axes, keepdims = _reduction_args(sp_input, axis, keepdims, reduction_axes, keep_dims)
        indices, values, shape = apply_op(op_type, sp.indices, sp.values, sp.dense_shape, axes, name=op_type,
                                          keep_dims=keepdims)
        return SparseTensor(indices, values, shape)

    return reduce


sparse_reduce_max_sparse = _sparse_reduction("SparseReduceMaxSparse")
sparse_reduce_max_sparse.__name__ = "sparse_reduce_max_sparse"
sparse_reduce_max_sparse.__doc__ = """The maximum of the present entries along `axis`, as a SparseTensor holding the
positions some entry reaches, as `tf.sparse_reduce_max_sparse`."""
sparse_reduce_sum_sparse = _sparse_reduction("SparseReduceSumSparse")
sparse_reduce_sum_sparse.__name__ = "sparse_reduce_sum_sparse"
sparse_reduce_sum_sparse.__doc__ = """The sum of the entries along `axis`, as a SparseTensor holding the positions
some entry reaches, as `tf.sparse_reduce_sum_sparse`."""


# ---- the counts --------------------------------------------------------------------------------------
def _infer_count(*specs, minlength, maxlength, binary_output, output_type):
    batched = None
    values = specs[0] if len(specs) == 2 else specs[1]
    if values.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value for attr 'T' of {values.dtype.name} is not in the list of allowed values: int32, int64")
    if len(specs) == 2 and specs[0].shape.ndims is not None:
        if specs[0].shape.ndims not in (1, 2):
            raise ValueError(f"Input must be a 1 or 2-dimensional tensor. Got: {specs[0].shape.ndims}")
        batched = specs[0].shape.ndims == 2
    rank = None if batched is None else 1 + batched
    return [TensorSpec(TensorShape([None, rank]), dtypes.int64), TensorSpec(TensorShape([None]), output_type),
            TensorSpec(TensorShape([rank]), dtypes.int64)]


def _count(xp, rows, values, weights, num_rows, minlength, maxlength, binary_output, output_type):
    """Counts of `values` (per entry of `rows` when batched) as sparse (indices, values, shape)."""
    if values.size and int(values.min()) < 0:
        raise _invalid("Input values must all be non-negative")
    if weights.size and weights.shape[0] != values.shape[0]:
        raise _invalid(f"Weights and values must have the same shape. Weight shape: {_fmt(weights.shape)}; "
                       f"values shape: {_fmt(values.shape)}")
    keep = values < maxlength if maxlength >= 0 else xp.ones(values.shape[0], dtype=bool)
    values = values[keep].astype(xp.int64)
    rows = rows[keep] if rows is not None else None
    weights = weights[keep] if weights.size else None
    top = int(values.max()) if values.size else 0
    bins = maxlength if maxlength >= 0 else max(top + 1, minlength)
    key = values if rows is None else rows.astype(xp.int64) * max(bins, 1) + values
    positions, group = xp.unique(key, return_inverse=True)
    group = group.reshape(-1)
    out = xp.zeros(positions.shape[0], dtype=output_type.as_numpy_dtype)
    if binary_output:
        out[...] = 1
    else:
        scatter_kernels.scatter_add(xp, out, group, xp.ones(group.shape[0], dtype=out.dtype) if weights is None
                                    else weights.astype(out.dtype))
    if rows is None:
        indices, shape = positions.reshape(-1, 1), [bins]
    else:
        indices, shape = xp.stack([positions // max(bins, 1), positions % max(bins, 1)], axis=1), [num_rows, bins]
    return indices.astype(xp.int64), out, xp.asarray(shape, dtype=xp.int64)


def _dense_count_kernel(xp, values, weights, minlength, maxlength, binary_output, output_type):
    if values.ndim not in (1, 2):
        raise _invalid(f"Input must be a 1 or 2-dimensional tensor. Got: {values.ndim}")
    rows = None
    if values.ndim == 2:
        rows = xp.repeat(xp.arange(values.shape[0]), values.shape[1])
    return _count(xp, rows, values.reshape(-1), weights.reshape(-1), int(values.shape[0]) if values.ndim == 2 else 0,
                  minlength, maxlength, binary_output, output_type)


def _sparse_count_kernel(xp, indices, values, dense_shape, weights, minlength, maxlength, binary_output,
                         output_type):
    dims = _host_ints(dense_shape)
    if len(dims) not in (1, 2):
        raise _invalid(f"Input must be a 1 or 2-dimensional tensor. Got: {len(dims)}")
    rows = indices[:, 0] if len(dims) == 2 else None
    return _count(xp, rows, values, weights, dims[0] if len(dims) == 2 else 0, minlength, maxlength, binary_output,
                  output_type)


_COUNT_ATTRS = {"minlength": -1, "maxlength": -1, "binary_output": REQUIRED, "output_type": REQUIRED}
_COUNT_TYPES = {"T": "type", "minlength": "int >= -1", "maxlength": "int >= -1", "binary_output": "bool",
                "output_type": "type"}
_COUNT_OUT = ("output_indices: int64", "output_values: output_type", "output_dense_shape: int64")
register(OpDef("DenseCountSparseOutput", infer=_infer_count, kernel=_dense_count_kernel, attrs=dict(_COUNT_ATTRS),
               broadcasts=False, cpu_only=True, input_names=("values: T", "weights: output_type"),
               output_names=_COUNT_OUT, attr_types=dict(_COUNT_TYPES)))
register(OpDef("SparseCountSparseOutput", infer=_infer_count, kernel=_sparse_count_kernel, attrs=dict(_COUNT_ATTRS),
               broadcasts=False, cpu_only=True,
               input_names=("indices: int64", "values: T", "dense_shape: int64", "weights: output_type"),
               output_names=_COUNT_OUT, attr_types=dict(_COUNT_TYPES)))


def sparse_bincount(values, weights=None, axis=0, minlength=None, maxlength=None, binary_output=False, name=None):
    """How often each value occurs, as a SparseTensor, as `tf.sparse.bincount`: over all of
    `values` (`axis=0`) or per row of a 2-D `values` (`axis=-1`); with `weights`, their sums;
    with `binary_output`, 1 for each value present.

        tf.sparse.bincount([[3, 1, 1], [5, 0, 0]], axis=-1)
        # indices [[0, 1], [0, 3], [1, 0], [1, 5]], values [2, 1, 2, 1], dense_shape [2, 6]
    """
    with name_scope(name, "count", [values, weights]):
        if not isinstance(values, SparseTensor):
            values = convert_to_tensor(values, name="values")
        if weights is not None and isinstance(weights, SparseTensor) != isinstance(values, SparseTensor):
            raise ValueError("Argument `weights` must be a SparseTensor if `values` is a SparseTensor, and a dense "
                             "tensor if `values` is dense.")
        axis = 0 if axis is None else axis
        if axis not in (0, -1):
            raise ValueError(f"Unsupported value for argument axis={axis}. Only 0 and -1 are currently supported.")
        attrs = {"minlength": -1 if minlength is None else int(minlength),
                 "maxlength": -1 if maxlength is None else int(maxlength), "binary_output": bool(binary_output)}
        if isinstance(values, SparseTensor):
            if weights is not None:
                weights = weights.values
            if axis == 0:
                values = values.values  # one count over every entry
            else:
                return SparseTensor(*_sparse_count(values, weights, attrs))
        elif axis == 0:
            values = reshape(values, [-1])
            weights = None if weights is None else reshape(weights, [-1])
        output_type = values.dtype if weights is None else convert_to_tensor(weights).dtype
        weights = constant([], dtype=output_type) if weights is None else cast(weights, output_type)
        return SparseTensor(*apply_op("DenseCountSparseOutput", values, weights, name="DenseCountSparseOutput",
                                      output_type=output_type, **attrs))


def _sparse_count(sp, weights, attrs):
    output_type = sp.values.dtype if weights is None else weights.dtype
    weights = constant([], dtype=output_type) if weights is None else weights
    return apply_op("SparseCountSparseOutput", sp.indices, sp.values, sp.dense_shape, weights,
                    name="SparseCountSparseOutput", output_type=output_type, **attrs)
