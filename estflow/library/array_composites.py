"""TF1 array functions built from other ops: sort and argsort (over top_k, as TF builds them),
searchsorted, roll, repeat, unique_with_counts, dynamic_partition, tensor_scatter_nd_*,
and random_crop.

Results and gradients are those of the ops they are made of; each docstring names TF's
function it matches.
"""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    random_ops,
    reduction_ops,
    segment_ops,
    slicing_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor


# ---- sort / argsort / searchsorted ----------------------------------------------------------------
def _sort(values, axis, direction, return_argsort, name):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f'Unknown direction "{direction}"; expected "ASCENDING" or "DESCENDING".')
    with name_scope(name, "argsort" if return_argsort else "sort", [values]):
        values = convert_to_tensor(values, name="values")
        rank = values.shape.ndims
        if rank is None:
            raise ValueError("sort needs a tensor of known rank")
        if not -rank <= axis < rank:
            raise ValueError(f"axis {axis} is out of range for a tensor of rank {rank}")
        axis %= rank
        # NOTE: TF sorts along the last axis with top_k and moves `axis` there and back.
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        moved = manipulation_ops.transpose(values, perm) if axis != rank - 1 else values
        n = array_ops.shape(moved)[-1]
        keys = moved if direction == "DESCENDING" else -moved
        top_values, top_indices = gather_ops.top_k(keys, k=n, sorted=True)
        if return_argsort:
            result = top_indices
        else:
            result = top_values if direction == "DESCENDING" else -top_values
        return manipulation_ops.transpose(result, perm) if axis != rank - 1 else result


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """`values` sorted along `axis`, as `tf.sort`.

        tf.sort([3, 1, 2])                           # [1, 2, 3]
        tf.sort([3, 1, 2], direction="DESCENDING")   # [3, 2, 1]
    """
    return _sort(values, axis, direction, False, name)


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The int32 indices that sort `values` along `axis`, as `tf.argsort`; equal values keep
    their order (top_k breaks ties by position), so the sort is stable whatever `stable` says."""
    if not isinstance(stable, bool):
        raise TypeError(f"stable must be a bool, got {stable!r}")
    return _sort(values, axis, direction, True, name)


def searchsorted(sorted_sequence, values, side="left", out_type=dtypes.int32, name=None):
    """Where each of `values` would go in the sorted innermost rows of `sorted_sequence`, as
    `tf.searchsorted`: the count of entries < value ('left') or <= value ('right')."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be either 'right' or 'left'.  Saw: {side}.")
    with name_scope(name, "searchsorted", [sorted_sequence, values]):
        sequence = convert_to_tensor(sorted_sequence, name="sorted_sequence")
        values = convert_to_tensor(values, name="values", dtype=sequence.dtype)
        before = comparison_ops.less if side == "left" else comparison_ops.less_equal
        # [..., 1, n] against [..., m, 1]: how many entries of each row come before each value
        precedes = before(array_ops.expand_dims(sequence, -2), array_ops.expand_dims(values, -1))
        return reduction_ops.reduce_sum(cast_ops.cast(precedes, dtypes.as_dtype(out_type)), axis=-1)


# ---- roll / repeat ---------------------------------------------------------------------------------
def roll(input, shift, axis, name=None):  # noqa: A002 - TF's argument name
    """Elements shifted along `axis` by `shift` (wrapping around), as `tf.roll`; `shift` and
    `axis` may be lists, rolling along each."""
    with name_scope(name, "Roll", [input, shift, axis]):
        x = convert_to_tensor(input, name="input")
        shifts = shift if isinstance(shift, (list, tuple)) else [shift]
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        if len(shifts) != len(axes):
            raise ValueError(f"shift and axis must have the same size, got {len(shifts)} and {len(axes)}")
        for s, a in zip(shifts, axes, strict=True):
            if isinstance(a, Tensor):
                raise ValueError("roll needs `axis` known while the graph is built")
            n = array_ops.shape(x)[a]
            s = convert_to_tensor(s, dtype=dtypes.int32)
            index = math_ops.floormod(fill_ops.range_(n) - s, n)  # output i reads input (i - shift) mod n
            x = gather_ops.gather(x, index, axis=a)
        return x


def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TF's argument name
    """Each element (or slice along `axis`) repeated `repeats` times, as `tf.repeat` (numpy's
    `repeat`); `axis=None` flattens first.

        tf.repeat([1, 2], 3)          # [1, 1, 1, 2, 2, 2]
        tf.repeat([1, 2], [2, 1])     # [1, 1, 2]
    """
    with name_scope(name, "Repeat", [input, repeats]):
        x = convert_to_tensor(input, name="input")
        if axis is None:
            x, axis = array_ops.reshape(x, [-1]), 0
        repeats = convert_to_tensor(repeats, name="repeats", dtype=dtypes.int32)
        n = array_ops.shape(x)[axis]
        if repeats.shape.ndims == 0:
            repeats = fill_ops.fill(array_ops.reshape(n, [1]), repeats)
        # slice i covers output positions [ends[i] - repeats[i], ends[i]): count the ends at or before p
        ends = reduction_ops.cumsum(repeats)
        total = reduction_ops.reduce_sum(repeats)
        positions = array_ops.expand_dims(fill_ops.range_(total), 1)
        index = reduction_ops.reduce_sum(cast_ops.cast(positions >= array_ops.expand_dims(ends, 0), dtypes.int32),
                                         axis=1)
        return gather_ops.gather(x, index, axis=axis)


# ---- unique_with_counts / dynamic_partition -----------------------------------------------------------
UniqueWithCounts = collections.namedtuple("UniqueWithCounts", ["y", "idx", "count"])


def unique_with_counts(x, out_idx=dtypes.int32, name=None):
    """(y, idx, count): the distinct values of 1-D `x` in order of appearance, x == y[idx], and how
    often each occurs, as `tf.unique_with_counts`."""
    with name_scope(name, "UniqueWithCounts", [x]):
        y, idx = gather_ops.unique(x, out_idx=out_idx)
        ones = fill_ops.ones_like(idx)
        count = segment_ops.unsorted_segment_sum(ones, idx, array_ops.size(y, out_type=dtypes.as_dtype(out_idx)))
        return UniqueWithCounts(y, idx, count)


def dynamic_partition(data, partitions, num_partitions, name=None):
    """`num_partitions` tensors: the slices of `data` whose `partitions` entry is 0, 1, ..., as
    `tf.dynamic_partition` (`partitions` is int32 with the leading shape of `data`)."""
    if not isinstance(num_partitions, int) or num_partitions < 1:
        raise ValueError(f"num_partitions must be a positive int, got {num_partitions!r}")
    with name_scope(name, "DynamicPartition", [data, partitions]):
        data = convert_to_tensor(data, name="data")
        partitions = convert_to_tensor(partitions, name="partitions", dtype=dtypes.int32)
        return [gather_ops.boolean_mask(data, comparison_ops.equal(partitions, i)) for i in range(num_partitions)]


# ---- tensor_scatter_nd_* ------------------------------------------------------------------------------
def _scattered(tensor, indices, updates):
    tensor = convert_to_tensor(tensor, name="tensor")
    indices = convert_to_tensor(indices, name="indices")
    updates = convert_to_tensor(updates, name="updates", dtype=tensor.dtype)
    shape = array_ops.shape(tensor, out_type=indices.dtype)
    return tensor, indices, updates, shape


def tensor_scatter_nd_add(tensor, indices, updates, name=None):
    """`tensor` with `updates` added at `indices` (duplicates add up), as `tf.tensor_scatter_nd_add`."""
    with name_scope(name, "TensorScatterAdd", [tensor, indices, updates]):
        tensor, indices, updates, shape = _scattered(tensor, indices, updates)
        return tensor + gather_ops.scatter_nd(indices, updates, shape)


def tensor_scatter_nd_sub(tensor, indices, updates, name=None):
    """`tensor` with `updates` subtracted at `indices`, as `tf.tensor_scatter_nd_sub`."""
    with name_scope(name, "TensorScatterSub", [tensor, indices, updates]):
        tensor, indices, updates, shape = _scattered(tensor, indices, updates)
        return tensor - gather_ops.scatter_nd(indices, updates, shape)


def tensor_scatter_nd_update(tensor, indices, updates, name=None):
    """`tensor` with the entries (or slices) at `indices` replaced by `updates`, as
    `tf.tensor_scatter_nd_update`. Like TF, give each index once: for a repeated index TF
    keeps one update unspecified, estflow the sum of them."""
    with name_scope(name, "TensorScatterUpdate", [tensor, indices, updates]):
        tensor, indices, updates, shape = _scattered(tensor, indices, updates)
        hit = gather_ops.scatter_nd(indices, fill_ops.ones_like(updates, dtype=dtypes.int32),
                                    shape)
        placed = gather_ops.scatter_nd(indices, updates, shape)
        return comparison_ops.where_v2(comparison_ops.greater(hit, 0), placed, tensor)


# ---- random_crop --------------------------------------------------------------------------------------
def random_crop(value, size, seed=None, name=None):
    """A slice of `value` of shape `size` at a uniformly random offset, as `tf.random_crop`.

        patch = tf.random_crop(image, [24, 24, 3])
    """
    with name_scope(name, "random_crop", [value, size]):
        value = convert_to_tensor(value, name="value")
        size = convert_to_tensor(size, dtype=dtypes.int32, name="size")
        shape = array_ops.shape(value)
        check = control_flow_ops.Assert(reduction_ops.reduce_all(comparison_ops.greater_equal(shape, size)),
                                        ["Need value.shape >= size, got ", shape, size], summarize=1000)
        limit = control_flow_ops.with_dependencies([check], shape - size + 1)
        offset = math_ops.floormod(random_ops.random_uniform(array_ops.shape(shape), dtype=dtypes.int32,
                                                             maxval=dtypes.int32.max, seed=seed), limit)
        return slicing_ops.slice(value, offset, size)


# ---- smaller TF1 array helpers -----------------------------------------------------------------------------
def batch_gather(params, indices, name=None):
    """params[b..., indices[b..., j]] for each batch prefix b, as TF1's `tf.batch_gather`."""
    with name_scope(name, "BatchGather", [params, indices]):
        indices = convert_to_tensor(indices, name="indices")
        if indices.shape.ndims is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        return gather_ops.gather(params, indices, batch_dims=indices.shape.ndims - 1)


SetDiff = collections.namedtuple("ListDiff", ["out", "idx"])


def setdiff1d(x, y, index_dtype=dtypes.int32, name=None):
    """(out, idx): the values of 1-D `x` not in `y`, in x's order, and their positions in x, as `tf.setdiff1d`."""
    with name_scope(name, "ListDiff", [x, y]):
        x = convert_to_tensor(x, name="x")
        y = convert_to_tensor(y, name="y", dtype=x.dtype)
        absent = reduction_ops.reduce_all(
            comparison_ops.not_equal(array_ops.expand_dims(x, 1), array_ops.expand_dims(y, 0)), axis=1)
        positions = fill_ops.range_(array_ops.size(x, out_type=dtypes.as_dtype(index_dtype)))
        return SetDiff(gather_ops.boolean_mask(x, absent), gather_ops.boolean_mask(positions, absent))


def unravel_index(indices, dims, name=None):
    """The coordinates in an array of shape `dims` of flat `indices` ([len(dims)] or [len(dims), n]), as
    `tf.unravel_index`."""
    with name_scope(name, "UnravelIndex", [indices, dims]):
        indices = convert_to_tensor(indices, name="indices")
        dims = convert_to_tensor(dims, name="dims", dtype=indices.dtype)
        strides = reduction_ops.cumprod(dims, exclusive=True, reverse=True)
        flat = array_ops.expand_dims(indices, 0) if indices.shape.ndims else indices
        shaped = strides if indices.shape.ndims == 0 else array_ops.expand_dims(strides, 1)
        sizes = dims if indices.shape.ndims == 0 else array_ops.expand_dims(dims, 1)
        return math_ops.floormod(math_ops.floordiv(flat, shaped), sizes)


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None, seq_dim=None,  # noqa: A002
                     batch_dim=None):
    """Each batch entry's first seq_lengths[b] elements along `seq_axis` reversed, the rest kept, as
    `tf.reverse_sequence` (`seq_dim`/`batch_dim` are TF1's older names)."""
    seq_axis = seq_dim if seq_axis is None else seq_axis
    batch_axis = (0 if batch_dim is None else batch_dim) if batch_axis is None else batch_axis
    if seq_axis is None:
        raise ValueError("reverse_sequence needs seq_axis")
    with name_scope(name, "ReverseSequence", [input, seq_lengths]):
        x = convert_to_tensor(input, name="input")
        rank = x.shape.ndims
        if rank is None:
            raise ValueError("reverse_sequence needs an input of known rank")
        seq_axis, batch_axis = seq_axis % rank, batch_axis % rank
        if seq_axis == batch_axis:
            raise ValueError(f"seq_axis and batch_axis must differ, both are {seq_axis}")
        perm = [batch_axis, seq_axis] + [i for i in range(rank) if i not in (batch_axis, seq_axis)]
        moved = manipulation_ops.transpose(x, perm)
        lengths = cast_ops.cast(convert_to_tensor(seq_lengths, name="seq_lengths"), dtypes.int32)
        steps = array_ops.expand_dims(fill_ops.range_(array_ops.shape(moved)[1]), 0)
        ends = array_ops.expand_dims(lengths, 1)
        source = comparison_ops.where_v2(steps < ends, ends - 1 - steps, steps + 0 * ends)
        gathered = gather_ops.gather(moved, source, axis=1, batch_dims=1)
        inverse = [perm.index(i) for i in range(rank)]
        return manipulation_ops.transpose(gathered, inverse)


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """The bin (0..nbins-1) of each value over [value_range[0], value_range[1]) in `nbins` equal bins,
    values outside going to the end bins, as `tf.histogram_fixed_width_bins`."""
    with name_scope(name, "histogram_fixed_width_bins", [values, value_range, nbins]):
        values = convert_to_tensor(values, name="values")
        value_range = convert_to_tensor(value_range, name="value_range", dtype=values.dtype)
        nbins = convert_to_tensor(nbins, dtype=dtypes.int32, name="nbins")
        scaled = (values - value_range[0]) / (value_range[1] - value_range[0])
        bins = cast_ops.cast(unary_ops.floor(scaled * cast_ops.cast(nbins, scaled.dtype)), dtypes.int32)
        return cast_ops.cast(comparison_ops.clip_by_value(bins, 0, nbins - 1), dtypes.as_dtype(dtype))


def histogram_fixed_width(values, value_range, nbins=100, dtype=dtypes.int32, name=None):
    """How many values fall in each of `nbins` equal bins over `value_range` (outliers in the end bins),
    as `tf.histogram_fixed_width`."""
    with name_scope(name, "histogram_fixed_width", [values, value_range, nbins]):
        bins = histogram_fixed_width_bins(values, value_range, nbins, dtypes.int32)
        flat = array_ops.reshape(bins, [-1])
        counts = segment_ops.unsorted_segment_sum(fill_ops.ones_like(flat), flat,
                                                  convert_to_tensor(nbins, dtype=dtypes.int32))
        return cast_ops.cast(counts, dtypes.as_dtype(dtype))


def broadcast_dynamic_shape(shape_x, shape_y):
    """The shape two shapes broadcast to, as a tensor, as `tf.broadcast_dynamic_shape`; InvalidArgumentError
    at run time when they are incompatible."""
    with name_scope(None, "BroadcastArgs", [shape_x, shape_y]):
        x = convert_to_tensor(shape_x, name="shape_x")
        y = convert_to_tensor(shape_y, name="shape_y", dtype=x.dtype)
        longest = math_ops.maximum(array_ops.size(x), array_ops.size(y))
        x = concat_ops.concat([fill_ops.ones(array_ops.reshape(longest - array_ops.size(x), [1]), x.dtype), x], 0)
        y = concat_ops.concat([fill_ops.ones(array_ops.reshape(longest - array_ops.size(y), [1]), y.dtype), y], 0)
        ok = reduction_ops.reduce_all(comparison_ops.logical_or(
            comparison_ops.logical_or(comparison_ops.equal(x, 1), comparison_ops.equal(y, 1)),
            comparison_ops.equal(x, y)))
        check = control_flow_ops.Assert(ok, ["Incompatible shapes:", x, y], summarize=100)
        return control_flow_ops.with_dependencies([check], comparison_ops.where_v2(comparison_ops.equal(x, 1), y, x))


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    """IndexedSlices as they are (dtype checked), anything else through `tf.convert_to_tensor`."""
    if isinstance(value, IndexedSlices):
        if dtype is not None and dtypes.as_dtype(dtype) != value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for IndexedSlices "
                             f"with dtype {value.dtype.name}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)
