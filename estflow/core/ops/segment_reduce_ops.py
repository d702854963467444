"""Segment maxima, minima and products: SegmentMax/Min/Prod and UnsortedSegmentMax/Min/Prod.

They share SegmentSum's and UnsortedSegmentSum's shape rules and id checks (segment_ops.py).
Empty segments hold what TF puts there: 0 for the sorted max and min, the dtype's lowest
(for max) or highest (for min) value for the unsorted ones, and 1 for products. Gradients
are TF's: a max/min's gradient is shared by the elements that reach it, a product's is the
product of the other elements (zeros handled exactly).
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.ops import (
    cast_ops,
    comparison_ops,
    fill_ops,
    gather_ops,
    math_ops,
    scatter_kernels,
    segment_ops,
)
from estflow.core.ops.segment_ops import (
    _check_ids_below,
    _check_sorted_segments,
    _segment_sum_infer,
    _trailing,
    _unsorted_segment_args,
    _unsorted_segment_sum_infer,
)
from estflow.core.ops.sparse_ops import _invalid
from estflow.core.registry import OpDef, apply_op, register

_REAL = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64,
         dtypes.uint8, dtypes.uint16, dtypes.uint32, dtypes.uint64)
_NUMBERS = _REAL + (dtypes.complex64, dtypes.complex128)


def _checked(infer, allowed, kinds: str):
    def checked(data, *rest):
        if data.dtype not in allowed:
            raise TypeError(f"Value passed to parameter 'data' has DataType {data.dtype.name} not in list of allowed "
                            f"values: {kinds}")
        return infer(data, *rest)

    return checked


def _limit(dtype, kind: str):
    info = np.finfo(dtype) if np.issubdtype(dtype, np.floating) else np.iinfo(dtype)
    if kind == "maximum":
        return -np.inf if np.issubdtype(dtype, np.floating) else info.min
    return np.inf if np.issubdtype(dtype, np.floating) else info.max


def _combine(xp, out, ids, rows, kind: str) -> None:
    if kind == "multiply":
        scatter_kernels.scatter_ufunc(xp, out, ids, rows, "multiply")
    else:
        scatter_kernels.scatter_extreme(xp, out, ids, rows, kind)


def _sorted_kernel(kind: str):
    def kernel(xp, data, segment_ids):
        if segment_ids.ndim != 1:
            raise _invalid("segment_ids should be a vector.")
        if data.ndim < 1 or segment_ids.size != data.shape[0]:
            raise _invalid("segment_ids should be the same size as dimension 0 of input.")
        rows = int(segment_ids[-1]) + 1 if segment_ids.size else 0
        _check_sorted_segments(xp, segment_ids, rows)
        start = 1 if kind == "multiply" else _limit(data.dtype, kind)
        out = xp.full((rows,) + data.shape[1:], start, dtype=data.dtype)
        _combine(xp, out, segment_ids, data, kind)
        if kind != "multiply" and rows:  # TF gives empty segments 0, not the starting value
            present = xp.zeros((rows,), dtype=bool)
            present[segment_ids] = True
            out[~present] = 0
        return out

    return kernel


def _unsorted_kernel(kind: str):
    def kernel(xp, data, segment_ids, num_segments):
        rows, ids, inner = _unsorted_segment_args(data, segment_ids, num_segments)
        start = 1 if kind == "multiply" else _limit(data.dtype, kind)
        out = xp.full((rows,) + inner, start, dtype=data.dtype)
        if ids.size == 0:
            return out
        _check_ids_below(ids, rows, segment_ids)
        keep = ids >= 0  # negative ids are dropped
        _combine(xp, out, ids[keep], data.reshape((ids.size,) + inner)[keep], kind)
        return out

    return kernel


# ---- gradients (TF's math_grad.py) ---------------------------------------------------------------------
def _gather_drop_negatives(params, ids):
    """params gathered at ids, rows of negative ids zero (TF's _GatherDropNegatives): (values, kept mask)."""
    clipped = math_ops.maximum(ids, fill_ops.zeros_like(ids))
    gathered = gather_ops.gather(params, clipped)
    positive = _trailing(comparison_ops.greater_equal(ids, fill_ops.zeros_like(ids)), gathered)
    positive = comparison_ops.logical_and(positive, fill_ops.ones_like(gathered, dtype=dtypes.bool))
    return comparison_ops.where_v2(positive, gathered, fill_ops.zeros_like(gathered)), positive


def _sorted_extreme_grad(op, grad):
    data, ids = op.inputs
    gathered = gather_ops.gather(op.outputs[0], ids)
    selected = comparison_ops.equal(data, gathered)
    count = segment_ops.segment_sum(cast_ops.cast(selected, grad.dtype), ids)
    shared = gather_ops.gather(grad / count, ids)
    return comparison_ops.where_v2(selected, shared, fill_ops.zeros_like(data)), None


def _unsorted_extreme_grad(op, grad):
    data, ids, num_segments = op.inputs
    gathered, positive = _gather_drop_negatives(op.outputs[0], ids)
    selected = comparison_ops.logical_and(comparison_ops.equal(data, gathered), positive)
    count = segment_ops.unsorted_segment_sum(cast_ops.cast(selected, grad.dtype), ids, num_segments)
    shared, _ = _gather_drop_negatives(grad / count, ids)
    return comparison_ops.where_v2(selected, shared, fill_ops.zeros_like(shared)), None, None


def _prod_parts(data, product, ids, reduce_zeros, reduce_prod, grad):
    is_zero = comparison_ops.equal(data, fill_ops.zeros_like(data))
    zeros = reduce_zeros(cast_ops.cast(is_zero, dtypes.int32))
    grad = comparison_ops.where_v2(comparison_ops.greater(zeros, 1), fill_ops.zeros_like(grad), grad)
    non_zero = comparison_ops.where_v2(is_zero, fill_ops.ones_like(data), data)
    non_zero_product = reduce_prod(non_zero)
    return is_zero, non_zero, non_zero_product, grad


def _sorted_prod_grad(op, grad):
    data, ids = op.inputs
    is_zero, non_zero, non_zero_product, grad = _prod_parts(
        data, op.outputs[0], ids, lambda x: segment_ops.segment_sum(x, ids), lambda x: segment_prod(x, ids), grad)
    others = comparison_ops.where_v2(is_zero, gather_ops.gather(non_zero_product, ids),
                                     gather_ops.gather(op.outputs[0], ids) / non_zero)
    return gather_ops.gather(grad, ids) * others, None


def _unsorted_prod_grad(op, grad):
    data, ids, num_segments = op.inputs
    is_zero, non_zero, non_zero_product, grad = _prod_parts(
        data, op.outputs[0], ids, lambda x: segment_ops.unsorted_segment_sum(x, ids, num_segments),
        lambda x: unsorted_segment_prod(x, ids, num_segments), grad)
    clipped = math_ops.maximum(ids, fill_ops.zeros_like(ids))
    others = comparison_ops.where_v2(is_zero, gather_ops.gather(non_zero_product, clipped),
                                     gather_ops.gather(op.outputs[0], clipped) / non_zero)
    gathered_grad, _ = _gather_drop_negatives(grad, ids)
    return gathered_grad * others, None, None


# ---- registration ----------------------------------------------------------------------------------------
_SORTED = {"input_names": ("data: T", "segment_ids: Tindices"), "output_names": ("output: T",),
           "attr_types": {"T": "type", "Tindices": "type"}}
_UNSORTED = {"input_names": ("data: T", "segment_ids: Tindices", "num_segments: Tnumsegments"),
             "output_names": ("output: T",),
             "attr_types": {"T": "type", "Tindices": "type", "Tnumsegments": "type = int32"}}
for _kind, _name, _sorted_grad, _unsorted_grad in (("maximum", "Max", _sorted_extreme_grad, _unsorted_extreme_grad),
                                                   ("minimum", "Min", _sorted_extreme_grad, _unsorted_extreme_grad),
                                                   ("multiply", "Prod", _sorted_prod_grad, _unsorted_prod_grad)):
    _allowed, _kinds = (_REAL, "real number types") if _kind != "multiply" else (_NUMBERS, "number types")
    register(OpDef(f"Segment{_name}", infer=_checked(_segment_sum_infer, _allowed, _kinds),
                   kernel=_sorted_kernel(_kind), grad=_sorted_grad, **_SORTED))
    register(OpDef(f"UnsortedSegment{_name}", infer=_checked(_unsorted_segment_sum_infer, _allowed, _kinds),
                   kernel=_unsorted_kernel(_kind), grad=_unsorted_grad, **_UNSORTED))


# ---- public functions ---------------------------------------------------------------------------------------
def segment_max(data, segment_ids, name=None):
    """The maximum of the rows of `data` sharing a (sorted) segment id, as `tf.math.segment_max`."""
    return apply_op("SegmentMax", data, segment_ids, name=name or "SegmentMax")


def segment_min(data, segment_ids, name=None):
    """The minimum of the rows of `data` sharing a (sorted) segment id, as `tf.math.segment_min`."""
    return apply_op("SegmentMin", data, segment_ids, name=name or "SegmentMin")


def segment_prod(data, segment_ids, name=None):
    """The product of the rows of `data` sharing a (sorted) segment id, as `tf.math.segment_prod`."""
    return apply_op("SegmentProd", data, segment_ids, name=name or "SegmentProd")


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """Per-segment maxima, ids in any order (empty segments: the dtype's lowest value), as
    `tf.math.unsorted_segment_max`."""
    return apply_op("UnsortedSegmentMax", data, segment_ids, num_segments, name=name or "UnsortedSegmentMax")


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """Per-segment minima, ids in any order (empty segments: the dtype's highest value), as
    `tf.math.unsorted_segment_min`."""
    return apply_op("UnsortedSegmentMin", data, segment_ids, num_segments, name=name or "UnsortedSegmentMin")


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """Per-segment products, ids in any order (empty segments: 1), as `tf.math.unsorted_segment_prod`."""
    return apply_op("UnsortedSegmentProd", data, segment_ids, num_segments, name=name or "UnsortedSegmentProd")
