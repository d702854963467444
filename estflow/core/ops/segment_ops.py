"""Segment reductions: SegmentSum, UnsortedSegmentSum, SparseSegmentSum/Mean/SqrtN (run on any device)."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    gather_ops,
    math_ops,
    scatter_kernels,
    unary_ops,
)
from estflow.core.ops.sparse_ops import _dim0, _dims, _invalid, _rank
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


# ---- segment reductions -----------------------------------------------------------------
def _segment_sum_infer(data, segment_ids):
    _rank(segment_ids, 1)
    if data.shape.ndims == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    rows = None
    if segment_ids.value is not None:
        ids = np.asarray(segment_ids.value)
        rows = int(ids[-1]) + 1 if ids.size else 0
    rest = data.shape[1:] if data.shape.ndims is not None else TensorShape(None)
    return TensorSpec(TensorShape([rows]).concatenate(rest), data.dtype)


def _check_sorted_segments(xp, segment_ids, output_rows: int) -> None:
    if segment_ids.size > 1 and bool((segment_ids[1:] < segment_ids[:-1]).any()):
        raise _invalid("segment ids are not increasing")
    if segment_ids.size and int(segment_ids[0]) < 0:
        raise _invalid(f"Segment id {int(segment_ids[0])} out of range [0, {output_rows}), possibly because "
                       "'segment_ids' input is not sorted.")


def _segment_sum_kernel(xp, data, segment_ids):
    if segment_ids.ndim != 1:
        raise _invalid("segment_ids should be a vector.")
    if data.ndim < 1 or segment_ids.size != data.shape[0]:
        raise _invalid("segment_ids should be the same size as dimension 0 of input.")
    rows = int(segment_ids[-1]) + 1 if segment_ids.size else 0
    if rows < 0 or (segment_ids.size and rows == 0):
        raise _invalid("segment ids must be >= 0")
    _check_sorted_segments(xp, segment_ids, rows)
    out = xp.zeros((rows,) + data.shape[1:], dtype=data.dtype)
    scatter_kernels.scatter_add(xp, out, segment_ids, data)  # int64 too: cupy's add.at lacks it
    return out


def _segment_sum_grad(op, grad):
    return apply_op("GatherV2", grad, op.inputs[1], np.int32(0), batch_dims=0, name="GatherV2"), None


register(OpDef("SegmentSum", infer=_segment_sum_infer, kernel=_segment_sum_kernel, grad=_segment_sum_grad,
               input_names=("data: T", "segment_ids: Tindices"), output_names=("output: T",),
               attr_types={"T": "type", "Tindices": "type"}))


def segment_sum(data, segment_ids, name=None):
    """Sums of the rows of `data` sharing a (sorted) segment id, as `tf.math.segment_sum`.

        tf.segment_sum([[1, 2], [3, 4], [5, 6]], [0, 0, 1])   # [[4, 6], [5, 6]]
    """
    return apply_op("SegmentSum", data, segment_ids, name=name or "SegmentSum")


def _unsorted_segment_sum_infer(data, segment_ids, num_segments):
    _rank(num_segments, 0)
    rows = None if num_segments.value is None else int(num_segments.value)
    if rows is not None and rows < 0:
        raise ValueError(f"num_segments must be non-negative, got {rows}")
    d, s = data.shape.as_tuple(), segment_ids.shape.as_tuple()
    if d is None or s is None:
        return TensorSpec(TensorShape(None), data.dtype)
    if len(s) > len(d) or not TensorShape(d[:len(s)]).is_compatible_with(s):
        raise ValueError(f"data.shape = {TensorShape(d)} does not start with segment_ids.shape = {TensorShape(s)}")
    return TensorSpec([rows, *d[len(s):]], data.dtype)


def _unsorted_segment_args(data, segment_ids, num_segments):
    """TF's checks of an UnsortedSegment* kernel's inputs: (rows, flat ids, the trailing dims of data)."""
    if num_segments.ndim != 0:
        raise _invalid(f"num_segments should be a scalar, not shape {_dims(num_segments.shape)}")
    if data.shape[:segment_ids.ndim] != segment_ids.shape:
        raise _invalid(f"data.shape = {_dims(data.shape)} does not start with segment_ids.shape = "
                       f"{_dims(segment_ids.shape)}")
    rows = int(num_segments)
    if rows < 0:
        raise _invalid(f"Input num_segments == {rows} must not be negative.")
    return rows, segment_ids.reshape(-1), data.shape[segment_ids.ndim:]


def _check_ids_below(ids, rows: int, segment_ids) -> None:
    """An id at or past `rows` is an error naming it and where it is; negative ids are dropped, as TF documents."""
    bad = ids >= rows
    if bool(bad.any()):
        i = int(bad.argmax())
        where = [int(v) for v in np.unravel_index(i, segment_ids.shape)]
        raise _invalid(f"segment_ids{_dims(where)} = {int(ids[i])} is out of range [0, {rows})")


def _unsorted_segment_sum_kernel(xp, data, segment_ids, num_segments):
    rows, ids, inner = _unsorted_segment_args(data, segment_ids, num_segments)
    out = xp.zeros((rows,) + inner, dtype=data.dtype)
    if ids.size == 0:
        return out
    low, high = int(ids.min()), int(ids.max())
    if low >= 0 and high < rows:  # every id in range (the usual case): no masks to build
        scatter_kernels.scatter_add(xp, out, ids, data.reshape((ids.size,) + inner))
        return out
    if high >= rows:
        _check_ids_below(ids, rows, segment_ids)
    keep = ids >= 0  # negative ids are dropped, as TF documents
    scatter_kernels.scatter_add(xp, out, ids[keep], data.reshape((ids.size,) + inner)[keep])
    return out


def _trailing(mask, like):
    """`mask` (shaped like the segment ids) reshaped to broadcast against `like` (ids' shape + more dims)."""
    if like.shape.ndims is not None and mask.shape.ndims is not None:
        for _ in range(like.shape.ndims - mask.shape.ndims):
            mask = array_ops.expand_dims(mask, -1)
        return mask
    ones = fill_ops.ones(array_ops.reshape(array_ops.rank(like) - array_ops.rank(mask), [1]), dtypes.int32)
    return array_ops.reshape(mask, concat_ops.concat([array_ops.shape(mask), ones], 0))


def _unsorted_segment_sum_grad(op, grad):
    """Each row of data gets its segment's gradient; rows with negative ids get zero (TF's _GatherDropNegatives)."""
    ids = op.inputs[1]
    clipped = math_ops.maximum(ids, fill_ops.zeros_like(ids))
    gathered = apply_op("GatherV2", grad, clipped, np.int32(0), batch_dims=0, name="GatherV2")
    keep = _trailing(cast_ops.cast(comparison_ops.greater_equal(ids, 0), gathered.dtype), gathered)
    # NOTE: a mask product rather than a select: gradients are finite, and it needs no broadcast Select.
    return gathered * keep, None, None


register(OpDef(
    "UnsortedSegmentSum",
    infer=_unsorted_segment_sum_infer,
    kernel=_unsorted_segment_sum_kernel,
    grad=_unsorted_segment_sum_grad,
    input_names=("data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"), output_names=("output: T",),
    attr_types={"T": "type", "Tindices": "type", "Tnumsegments": "type = int32"},
))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """Sums of the rows of `data` per segment id, ids in any order, as `tf.math.unsorted_segment_sum`.

    Rows with a negative id are dropped; the output has `num_segments` rows.

        tf.unsorted_segment_sum([1., 2., 3.], [1, 0, 1], 3)   # [2., 4., 0.]
    """
    return apply_op("UnsortedSegmentSum", data, segment_ids, num_segments, name=name or "UnsortedSegmentSum")


_SPARSE_SEGMENT_FLOAT_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64)


def _sparse_segment_infer(mode):
    def infer(data, indices, segment_ids, num_segments=None, *, sparse_gradient):
        if data.shape.ndims == 0:
            raise ValueError("Shape must be at least rank 1 but is rank 0")
        _rank(indices, 1)
        _rank(segment_ids, 1)
        if not indices.shape.is_compatible_with(segment_ids.shape):
            raise ValueError(f"Dimensions must be equal, but are {indices.shape[0]} and {segment_ids.shape[0]}")
        if mode != "sum" and data.dtype not in _SPARSE_SEGMENT_FLOAT_TYPES:
            raise TypeError(f"Value passed to parameter 'data' has DataType {data.dtype.name} not in list of "
                            "allowed values: float16, float32, float64")
        rows = None
        if num_segments is not None:
            _rank(num_segments, 0)
            if num_segments.value is not None:
                rows = int(num_segments.value)
                if rows < 0:
                    raise ValueError("Cannot specify a negative value for num_segments")
        rest = data.shape[1:] if data.shape.ndims is not None else TensorShape(None)
        return TensorSpec(TensorShape([rows]).concatenate(rest), data.dtype)

    return infer


def _segment_scale(xp, segment_ids, rows: int, mode: str, dtype):
    """Per-segment divisor: the entry count (mean) or its square root (sqrt_n); 1 for empty segments."""
    counts = xp.bincount(segment_ids, minlength=rows)[:rows].astype(dtype)
    counts = xp.maximum(counts, 1)
    return counts if mode == "mean" else xp.sqrt(counts)


def _sparse_segment_kernel(mode):
    def kernel(xp, data, indices, segment_ids, num_segments=None, *, sparse_gradient):
        if num_segments is not None:
            if num_segments.ndim != 0:
                raise _invalid(f"num_segments should be a scalar, not shape {_dims(num_segments.shape)}")
            if int(num_segments) < 0:
                raise _invalid("segment ids must be >= 0")
        if indices.ndim != 1:
            raise _invalid("indices should be a vector.")
        if segment_ids.ndim != 1:
            raise _invalid("segment_ids should be a vector.")
        n = indices.size
        if n != segment_ids.size:
            raise _invalid("segment_ids and indices should have same size.")
        if data.ndim < 1:
            raise _invalid("Shape must be at least rank 1")
        last = int(segment_ids[-1]) + 1 if n else 0
        if num_segments is not None:
            rows = int(num_segments)
            if rows < last:
                raise _invalid("segment ids must be < num_segments")
        else:
            rows = last
        if rows < 0 or (n and rows == 0):
            raise _invalid("segment ids must be >= 0")
        _check_sorted_segments(xp, segment_ids, rows)
        bad = (indices < 0) | (indices >= data.shape[0])
        if n and bool(bad.any()):
            i = int(bad.argmax())
            raise _invalid(f"Bad: indices[{i}] == {int(indices[i])} out of range [0, {data.shape[0]})")
        acc_dtype = xp.float32 if data.dtype == xp.float16 else data.dtype
        out = xp.zeros((rows,) + data.shape[1:], dtype=acc_dtype)
        if n:
            scatter_kernels.scatter_add(xp, out, segment_ids, data[indices].astype(acc_dtype, copy=False))
            if mode != "sum":
                scale = _segment_scale(xp, segment_ids, rows, mode, acc_dtype)
                # TF multiplies by the reciprocal (golden feature-column outputs differ from a division by 1 ulp)
                out *= (1 / scale).reshape((rows,) + (1,) * (data.ndim - 1))
        return out.astype(data.dtype, copy=False)

    return kernel


def _sparse_segment_grad(grad_op, mode):
    def grad(op, g):
        data, indices, segment_ids = op.inputs[:3]
        if op.get_attr("sparse_gradient"):
            data_grad = _sparse_data_grad(g, data, indices, segment_ids, mode)
        else:
            data_grad = apply_op(grad_op, g, indices, segment_ids, _dim0(data), name=grad_op)
        return (data_grad, None, None) + ((None,) if len(op.inputs) == 4 else ())

    return grad


def _sparse_data_grad(g, data, indices, segment_ids, mode):
    """TF's `sparse_gradient=True`: the data gradient as IndexedSlices over the distinct indices
    (each summing its rows' share of their segment's gradient), so an embedding table's update
    touches only the rows looked up."""
    rows = gather_ops.gather(g, segment_ids)
    if mode != "sum":
        ones = fill_ops.ones_like(segment_ids, dtype=g.dtype)
        counts = math_ops.maximum(unsorted_segment_sum(ones, segment_ids, array_ops.shape(g)[0]), 1)
        scale = counts if mode == "mean" else unary_ops.sqrt(counts)
        per_row = gather_ops.gather(scale, segment_ids)
        tail = fill_ops.ones_like(array_ops.shape(rows)[1:])
        rows = math_ops.truediv(rows, array_ops.reshape(per_row, concat_ops.concat([[-1], tail], 0)))
    unique_indices, position = gather_ops.unique(indices)
    values = unsorted_segment_sum(rows, position, array_ops.size(unique_indices))
    return IndexedSlices(values, unique_indices, array_ops.shape(data))


def _sparse_segment_grad_infer(grad, indices, segment_ids, output_dim0):
    _rank(indices, 1)
    _rank(segment_ids, 1)
    _rank(output_dim0, 0)
    rows = None if output_dim0.value is None else int(output_dim0.value)
    if rows is not None and rows < 0:
        raise ValueError("Cannot specify a negative value for output_dim0")
    rest = grad.shape[1:] if grad.shape.ndims is not None else TensorShape(None)
    return TensorSpec(TensorShape([rows]).concatenate(rest), grad.dtype)


def _sparse_segment_grad_kernel(mode):
    def kernel(xp, grad, indices, segment_ids, output_dim0):
        if indices.ndim != 1:
            raise _invalid("indices should be a vector.")
        if segment_ids.ndim != 1:
            raise _invalid("segment_ids should be a vector.")
        if output_dim0.ndim != 0:
            raise _invalid("output_dim0 should be a scalar.")
        if indices.size != segment_ids.size:
            raise _invalid("segment_ids and indices should have same size.")
        rows = int(output_dim0)
        out = xp.zeros((rows,) + grad.shape[1:], dtype=grad.dtype)
        if indices.size == 0 or rows == 0:
            return out
        segments = grad.shape[0]
        bad_segment = (segment_ids < 0) | (segment_ids >= segments)
        if bool(bad_segment.any()):
            i = int(bad_segment.argmax())
            raise _invalid(f"Segment id {int(segment_ids[i])} out of range [0, {segments})")
        bad_index = (indices < 0) | (indices >= rows)
        if bool(bad_index.any()):
            i = int(bad_index.argmax())
            raise _invalid(f"Index {int(indices[i])} out of range [0, {rows})")
        rows_grad = grad[segment_ids]
        if mode != "sum":
            scale = _segment_scale(xp, segment_ids, segments, mode, grad.dtype)[segment_ids]
            rows_grad = rows_grad / scale.reshape((-1,) + (1,) * (grad.ndim - 1))
        scatter_kernels.scatter_add(xp, out, indices, rows_grad.astype(grad.dtype, copy=False))
        return out

    return kernel


for _name, _mode in (("SparseSegmentSum", "sum"), ("SparseSegmentMean", "mean"), ("SparseSegmentSqrtN", "sqrt_n")):
    register(OpDef(_name, infer=_sparse_segment_infer(_mode), kernel=_sparse_segment_kernel(_mode),
                   grad=_sparse_segment_grad(_name + "Grad", _mode),
                   attrs={"sparse_gradient": False},
                   input_names=("data: T", "indices: Tidx", "segment_ids: Tsegmentids"), output_names=("output: T",),
                   attr_types={"T": "type", "Tidx": "type = int32", "Tsegmentids": "type = int32",
                               "sparse_gradient": "bool"}))
    register(OpDef(_name + "WithNumSegments", infer=_sparse_segment_infer(_mode),
                   kernel=_sparse_segment_kernel(_mode), grad=_sparse_segment_grad(_name + "Grad", _mode),
                   input_names=("data: T", "indices: Tidx", "segment_ids: Tsegmentids", "num_segments: Tnumsegments"),
                   attrs={"sparse_gradient": False}, output_names=("output: T",),
                   attr_types={"T": "type", "Tidx": "type = int32", "Tnumsegments": "type = int32",
                               "Tsegmentids": "type = int32", "sparse_gradient": "bool"}))
    register(OpDef(_name + "Grad", infer=_sparse_segment_grad_infer, kernel=_sparse_segment_grad_kernel(_mode),
                   grad=None,
                   input_names=("grad: T", "indices: Tidx", "segment_ids: Tsegmentids", "output_dim0: int32"),
                   output_names=("output: T",),
                   attr_types={"T": "type", "Tidx": "type = int32", "Tsegmentids": "type = int32"}))


def _sparse_segment(op_type, data, indices, segment_ids, name, num_segments):
    if num_segments is not None:
        return apply_op(op_type + "WithNumSegments", data, indices, segment_ids, num_segments,
                        name=name or op_type + "WithNumSegments")
    return apply_op(op_type, data, indices, segment_ids, name=name or op_type)


def sparse_segment_sum(data, indices, segment_ids, name=None, num_segments=None):
    """Sums of rows `data[indices]` per sorted segment id, as `tf.sparse.segment_sum`.

        tf.sparse.segment_sum(emb, ids, rows)   # one summed embedding per example
    """
    return _sparse_segment("SparseSegmentSum", data, indices, segment_ids, name, num_segments)


def sparse_segment_mean(data, indices, segment_ids, name=None, num_segments=None):
    """Means of rows `data[indices]` per sorted segment id (empty segments: 0), as `tf.sparse.segment_mean`."""
    return _sparse_segment("SparseSegmentMean", data, indices, segment_ids, name, num_segments)


def sparse_segment_sqrt_n(data, indices, segment_ids, name=None, num_segments=None):
    """Sums of rows `data[indices]` per segment divided by sqrt(count), as `tf.sparse.segment_sqrt_n`."""
    return _sparse_segment("SparseSegmentSqrtN", data, indices, segment_ids, name, num_segments)
