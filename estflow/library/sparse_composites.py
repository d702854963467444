"""`tf.sparse` functions built from dense ops on a SparseTensor's three parts: from_dense, expand_dims,
eye, reset_shape, reduce_sum, transpose, slice, split, softmax, and mask (of IndexedSlices).

Each keeps TF's semantics; results come out in the order TF's kernels give (row-major where
TF reorders).
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    math_ops,
    reduction_ops,
    segment_ops,
    segment_reduce_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.sparse_ops import sparse_reorder, sparse_tensor_to_dense
from estflow.core.sparse_tensor import SparseTensor, convert_to_tensor_or_sparse_tensor
from estflow.library.array_composites import setdiff1d


def _sparse(sp_input) -> SparseTensor:
    sp = convert_to_tensor_or_sparse_tensor(sp_input)
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"Input must be a SparseTensor, got {type(sp_input).__name__}")
    return sp


def from_dense(tensor, name=None):
    """The non-zero (non-empty for strings) entries of a dense tensor as a SparseTensor, as `tf.sparse.from_dense`."""
    with name_scope(name, "dense_to_sparse", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        zero = fill_ops.zeros_like(tensor) if tensor.dtype != dtypes.string else convert_to_tensor(b"")
        indices = gather_ops.where(comparison_ops.not_equal(tensor, zero))
        values = gather_ops.gather_nd(tensor, indices)
        return SparseTensor(indices, values, array_ops.shape(tensor, out_type=dtypes.int64))


def expand_dims(sp_input, axis=None, name=None):
    """`sp_input` with a size-1 dimension inserted at `axis`, as `tf.sparse.expand_dims`."""
    sp = _sparse(sp_input)
    with name_scope(name, "expand_dims", [sp.indices, sp.values, sp.dense_shape]):
        rank = sp.dense_shape.shape.as_tuple()[0]
        if rank is None:
            raise ValueError("sparse.expand_dims needs a SparseTensor of known rank")
        axis = -1 if axis is None else int(axis)
        if not -rank - 1 <= axis <= rank:
            raise ValueError(f"axis {axis} is out of range for a SparseTensor of rank {rank}")
        axis = axis % (rank + 1)
        zeros = fill_ops.zeros_like(sp.indices[:, :1])
        indices = concat_ops.concat([sp.indices[:, :axis], zeros, sp.indices[:, axis:]], 1)
        shape = concat_ops.concat([sp.dense_shape[:axis], convert_to_tensor([1], dtype=dtypes.int64),
                                   sp.dense_shape[axis:]], 0)
        return SparseTensor(indices, sp.values, shape)


def eye(num_rows, num_columns=None, dtype=dtypes.float32, name=None):
    """A sparse identity matrix, as `tf.sparse.eye`."""
    with name_scope(name, "eye", [num_rows, num_columns]):
        rows = cast_ops.cast(convert_to_tensor(num_rows, name="num_rows"), dtypes.int64)
        columns = rows if num_columns is None else cast_ops.cast(convert_to_tensor(num_columns), dtypes.int64)
        diagonal = fill_ops.range_(math_ops.minimum(rows, columns))
        indices = concat_ops.stack([diagonal, diagonal], axis=1)
        values = fill_ops.ones_like(diagonal, dtype=dtypes.as_dtype(dtype))
        return SparseTensor(indices, values, concat_ops.stack([rows, columns]))


def reset_shape(sp_input, new_shape=None):
    """`sp_input` with dense_shape `new_shape` (checked to hold every index), or the tightest shape that holds
    them when None, as `tf.sparse.reset_shape`."""
    sp = _sparse(sp_input)
    with name_scope(None, "SparseResetShape", [sp.indices, sp.values, sp.dense_shape]):
        if new_shape is None:
            rank = array_ops.shape(sp.indices, out_type=dtypes.int64)[1]
            floor = fill_ops.fill(array_ops.reshape(rank, [1]), convert_to_tensor(-1, dtype=dtypes.int64))
            largest = reduction_ops.reduce_max(concat_ops.concat([sp.indices, array_ops.expand_dims(floor, 0)], 0),
                                               axis=0)
            return SparseTensor(sp.indices, sp.values, largest + 1)
        new_shape = cast_ops.cast(convert_to_tensor(new_shape, name="new_shape"), dtypes.int64)
        fits = reduction_ops.reduce_all(comparison_ops.less_equal(sp.dense_shape, new_shape))
        check = control_flow_ops.Assert(fits, ["new_shape must be at least the original shape:", new_shape,
                                               sp.dense_shape])
        return SparseTensor(sp.indices, sp.values, control_flow_ops.with_dependencies([check], new_shape))


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None, reduction_axes=None,
               keep_dims=None):
    """The sum of the entries (absent ones are zeros) along `axis`, as a dense tensor, as `tf.sparse.reduce_sum`."""
    if output_is_sparse:
        raise NotImplementedError("sparse.reduce_sum(output_is_sparse=True) is not supported by estflow; take the "
                                  "dense sum and tf.sparse.from_dense it")
    axis = reduction_axes if axis is None else axis
    keepdims = keep_dims if keepdims is None else keepdims
    sp = _sparse(sp_input)
    with name_scope(name, "SparseReduceSum", [sp.indices, sp.values, sp.dense_shape]):
        return reduction_ops.reduce_sum(sparse_tensor_to_dense(sp), axis=axis, keepdims=bool(keepdims))


def transpose(sp_input, perm=None, name=None):
    """`sp_input` with its dimensions permuted by `perm` (default: reversed), entries in row-major order, as
    `tf.sparse.transpose`."""
    sp = _sparse(sp_input)
    with name_scope(name, "SparseTranspose", [sp.indices, sp.values, sp.dense_shape]):
        if perm is None:
            rank = sp.dense_shape.shape.as_tuple()[0]
            if rank is None:
                raise ValueError("sparse.transpose needs a SparseTensor of known rank when perm is None")
            perm = list(range(rank - 1, -1, -1))
        perm = convert_to_tensor(perm, dtype=dtypes.int32, name="perm")
        indices = gather_ops.gather(sp.indices, perm, axis=1)
        shape = gather_ops.gather(sp.dense_shape, perm)
        return sparse_reorder(SparseTensor(indices, sp.values, shape))


def slice(sp_input, start, size, name=None):  # noqa: A001 - TF's public name
    """The entries inside the box [start, start + size), re-indexed from `start`, as `tf.sparse.slice`."""
    sp = _sparse(sp_input)
    with name_scope(name, "SparseSlice", [sp.indices, sp.values, sp.dense_shape]):
        start = cast_ops.cast(convert_to_tensor(start, name="start"), dtypes.int64)
        size = cast_ops.cast(convert_to_tensor(size, name="size"), dtypes.int64)
        end = math_ops.minimum(start + size, sp.dense_shape)
        inside = reduction_ops.reduce_all(comparison_ops.logical_and(
            comparison_ops.greater_equal(sp.indices, start), comparison_ops.less(sp.indices, end)), axis=1)
        indices = gather_ops.boolean_mask(sp.indices, inside) - start
        values = gather_ops.boolean_mask(sp.values, inside)
        return SparseTensor(indices, values, math_ops.maximum(end - start, fill_ops.zeros_like(end)))


_KEYWORD_REQUIRED = object()


def split(keyword_required=_KEYWORD_REQUIRED, sp_input=None, num_split=None, axis=None, name=None, split_dim=None):
    """`num_split` SparseTensors cut from `sp_input` along `axis` (the first ones one longer when it does
    not divide evenly), as TF1's `tf.sparse.split`, which takes keyword arguments only."""
    if keyword_required is not _KEYWORD_REQUIRED:
        raise ValueError("Keyword arguments are required for this function.")
    axis = split_dim if axis is None else axis
    if sp_input is None or num_split is None or axis is None:
        raise ValueError("sp_input, num_split and axis are required")
    sp = _sparse(sp_input)
    with name_scope(name, "SparseSplit", [sp.indices, sp.values, sp.dense_shape]):
        rank = sp.dense_shape.shape.as_tuple()[0]
        if rank is None:
            raise ValueError("sparse.split needs a SparseTensor of known rank")
        axis = int(axis) % rank
        length = sp.dense_shape[axis]
        base, extra = math_ops.floordiv(length, num_split), math_ops.floormod(length, num_split)
        pieces, offset = [], convert_to_tensor(0, dtype=dtypes.int64)
        for i in range(int(num_split)):
            piece = base + cast_ops.cast(comparison_ops.less(convert_to_tensor(i, dtype=dtypes.int64), extra),
                                         dtypes.int64)
            start = [offset if d == axis else convert_to_tensor(0, dtype=dtypes.int64) for d in range(rank)]
            size = [piece if d == axis else sp.dense_shape[d] for d in range(rank)]
            pieces.append(slice(sp, concat_ops.stack(start), concat_ops.stack(size)))
            offset = offset + piece
        return pieces


def softmax(sp_input, name=None):
    """Softmax over the entries present in each innermost row (absent entries take no part), as
    `tf.sparse.softmax`; the result keeps the input's indices."""
    sp = _sparse(sp_input)
    with name_scope(name, "SparseSoftmax", [sp.indices, sp.values]):
        outer = sp.indices[:, :-1]
        strides = reduction_ops.cumprod(sp.dense_shape[:-1], exclusive=True, reverse=True)
        rows = reduction_ops.reduce_sum(outer * strides, axis=1)
        count = reduction_ops.reduce_prod(sp.dense_shape[:-1])
        largest = segment_reduce_ops.unsorted_segment_max(sp.values, rows, count)
        shifted = unary_ops.exp(sp.values - gather_ops.gather(largest, rows))
        totals = segment_ops.unsorted_segment_sum(shifted, rows, count)
        return SparseTensor(sp.indices, shifted / gather_ops.gather(totals, rows), sp.dense_shape)


def mask(a, mask_indices, name=None):
    """The IndexedSlices `a` without the slices whose index is in `mask_indices`, as `tf.sparse.mask`."""
    with name_scope(name, "sparse_mask", [a, mask_indices]):
        kept_indices, positions = setdiff1d(a.indices, cast_ops.cast(mask_indices, a.indices.dtype))
        return IndexedSlices(gather_ops.gather(a.values, positions), kept_indices, a.dense_shape)


def _elementwise_extreme(sp_a, sp_b, combine, name, default_name):
    a, b = _sparse(sp_a), _sparse(sp_b)
    with name_scope(name, default_name, [a.indices, a.values, b.indices, b.values]):
        dense_a, dense_b = sparse_tensor_to_dense(a), sparse_tensor_to_dense(b)
        present = comparison_ops.logical_or(
            sparse_tensor_to_dense(SparseTensor(a.indices, fill_ops.ones_like(a.values, dtype=dtypes.bool),
                                                a.dense_shape), default_value=False),
            sparse_tensor_to_dense(SparseTensor(b.indices, fill_ops.ones_like(b.values, dtype=dtypes.bool),
                                                b.dense_shape), default_value=False))
        indices = gather_ops.where(present)
        return SparseTensor(indices, gather_ops.gather_nd(combine(dense_a, dense_b), indices), a.dense_shape)


def maximum(sp_a, sp_b, name=None):
    """The element-wise maximum of two SparseTensors of one shape, absent entries counting as zero, over
    the union of their indices, as `tf.sparse.maximum`."""
    return _elementwise_extreme(sp_a, sp_b, math_ops.maximum, name, "SparseSparseMaximum")


def minimum(sp_a, sp_b, name=None):
    """The element-wise minimum of two SparseTensors of one shape, absent entries counting as zero, over
    the union of their indices, as `tf.sparse.minimum`."""
    return _elementwise_extreme(sp_a, sp_b, math_ops.minimum, name, "SparseSparseMinimum")
