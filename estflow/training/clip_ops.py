"""Gradient clipping, as TF1's `tf.clip_by_norm`, `tf.clip_by_global_norm`, `tf.global_norm`, ...

    grads, variables = zip(*opt.compute_gradients(loss))
    grads, norm = tf.clip_by_global_norm(grads, clip_norm=5.0)
    train_op = opt.apply_gradients(zip(grads, variables))

Each function accepts `IndexedSlices` (the gradients of gathers) and clips their values,
keeping them sparse; the list functions pass `None` entries through.
"""

from __future__ import annotations

from collections.abc import Sequence

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    math_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.comparison_ops import clip_by_value as clip_by_value
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.registry import apply_op, registered_ops

__all__ = ["clip_by_average_norm", "clip_by_global_norm", "clip_by_norm", "clip_by_value", "global_norm"]


def _values(t, name):
    return convert_to_tensor(t.values if isinstance(t, IndexedSlices) else t, name=name)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """`t * clip_norm / max(l2norm(t), clip_norm)`: rescaled so its L2 norm (over `axes`) is at most `clip_norm`.

        tf.clip_by_norm(tf.constant([3.0, 4.0]), 1.0)     # [0.6, 0.8]
    """
    with name_scope(name, "clip_by_norm", [t, clip_norm]) as scope:
        values = _values(t, "t")
        l2sum = reduction_ops.reduce_sum(values * values, axes, keepdims=True)
        pred = l2sum > 0
        # Two selects keep the gradient of sqrt finite where the norm is zero (TF1's trick).
        l2sum_safe = comparison_ops.where_v2(pred, l2sum, fill_ops.ones_like(l2sum))
        l2norm = comparison_ops.where_v2(pred, unary_ops.sqrt(l2sum_safe), l2sum)
        intermediate = values * clip_norm
        values.shape.merge_with(intermediate.shape)  # a broadcasting clip_norm is an error, as in TF1
        values_clip = array_ops.identity(intermediate / math_ops.maximum(l2norm, clip_norm), name=scope)
    if isinstance(t, IndexedSlices):
        return IndexedSlices(values_clip, t.indices, t.dense_shape)
    return values_clip


def _check_sequence(t_list) -> list:
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError("t_list should be a sequence")
    return list(t_list)


def _half_squared_norm(v: Tensor) -> Tensor:
    if "L2Loss" in registered_ops():
        return apply_op("L2Loss", v, name="L2Loss")
    return reduction_ops.reduce_sum(v * v) * constant(0.5, dtype=v.dtype)


def global_norm(t_list, name=None):
    """sqrt(sum of squared L2 norms) of the tensors in `t_list` (None entries ignored), as `tf.global_norm`."""
    t_list = _check_sequence(t_list)
    with name_scope(name, "global_norm", [t for t in t_list if t is not None]):
        values = [None if t is None else _values(t, f"t_{i}") for i, t in enumerate(t_list)]
        half_squared_norms = [_half_squared_norm(v) for v in values if v is not None]
        half_squared_norm = reduction_ops.reduce_sum(concat_ops.stack(half_squared_norms))
        return unary_ops.sqrt(half_squared_norm * constant(2.0, dtype=half_squared_norm.dtype), name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(clipped list, global norm): every tensor scaled by clip_norm / max(global_norm, clip_norm).

    A non-finite global norm makes every clipped value NaN, as in TF1. `use_norm`
    supplies a global norm computed earlier.
    """
    t_list = _check_sequence(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list, name)
    with name_scope(name, "clip_by_global_norm", [t for t in t_list if t is not None] + [clip_norm]) as scope:
        one = constant(1.0, dtype=use_norm.dtype)
        scale_for_finite = clip_norm * math_ops.minimum(1.0 / use_norm, one / clip_norm)
        scale = scale_for_finite + (use_norm - use_norm)  # NaN when the norm is inf or NaN
        clipped = []
        for i, t in enumerate(t_list):
            if t is None:
                clipped.append(None)
                continue
            values = _values(t, f"t_{i}")
            c = array_ops.identity(values * cast_ops.cast(scale, values.dtype), name=f"{scope}_{i}")
            clipped.append(IndexedSlices(c, t.indices, t.dense_shape) if isinstance(t, IndexedSlices) else c)
    return clipped, use_norm


def clip_by_average_norm(t, clip_norm, name=None):
    """`t` scaled so that its L2 norm divided by its number of elements is at most `clip_norm` (deprecated in TF1)."""
    with name_scope(name, "clip_by_average_norm", [t, clip_norm]) as scope:
        t = convert_to_tensor(t, name="t")
        n_element = cast_ops.cast(array_ops.size(t), dtypes.float32)
        l2norm_inv = unary_ops.rsqrt(reduction_ops.reduce_sum(t * t, fill_ops.range_(array_ops.rank(t))))
        return array_ops.identity(t * clip_norm * math_ops.minimum(l2norm_inv * n_element, constant(1.0) / clip_norm),
                                  name=scope)
