"""Joining SparseTensors: SparseConcat, sparse_merge, sparse_to_indicator (CPU only, as TF's kernels)."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import array_ops, cast_ops, concat_ops, reduction_ops
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.sparse_ops import (
    _check_matrix,
    _check_vector,
    _dim,
    _host_ints,
    _invalid,
    _lexsort_rows,
    _rank,
    sparse_reorder,
)
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor, convert_to_sparse_tensor
from estflow.core.tensor_shape import TensorShape


# ---- SparseConcat -----------------------------------------------------------------------
def _sparse_concat_infer(*specs, concat_dim, N):  # noqa: N803 - TF's attr name
    indices, values, shapes = specs[:N], specs[N:2 * N], specs[2 * N:]
    for s in indices:
        _rank(s, 2)
    for s in values:
        _rank(s, 1)
        if s.dtype != values[0].dtype:
            raise TypeError(f"SparseConcat inputs must share one dtype; got {values[0].dtype.name} and "
                            f"{s.dtype.name}.")
    rank = None
    for s in shapes:
        _rank(s, 1)
        rank = rank if rank is not None else _dim(s, 0)
    return [TensorSpec([None, rank], dtypes.int64), TensorSpec([None], values[0].dtype),
            TensorSpec([rank], dtypes.int64)]


def _sparse_concat_kernel(xp, *arrays, concat_dim, N):  # noqa: N803 - TF's attr name
    indices, values, shapes = arrays[:N], arrays[N:2 * N], arrays[2 * N:]
    for i, x in enumerate(indices):
        _check_matrix(x, "indices", f" at position {i}")
    for i, x in enumerate(values):
        _check_vector(x, "values", f" at position {i}")
    for i, x in enumerate(shapes):
        _check_vector(x, "shapes", f" at position {i}")
    dense_shapes = [_host_ints(s) for s in shapes]
    rank = len(dense_shapes[0])
    axis = concat_dim + rank if concat_dim < 0 else concat_dim
    if not 0 <= axis < rank:
        raise _invalid(f"Concat dimension must be in range [{-rank}, {rank}), got {concat_dim}")
    for i, shape in enumerate(dense_shapes[1:], start=1):
        if len(shape) != rank:
            raise _invalid(f"Ranks of all input tensors must match: expected {rank} but got {len(shape)} "
                           f"at position {i}")
        for j in range(rank):
            if j != axis and shape[j] != dense_shapes[0][j]:
                raise _invalid(f"Input shapes must match: expected {dense_shapes[0][j]} for dimension {j} but got "
                               f"{shape[j]} at position {i}")
    shifted, offset = [], 0
    for x, shape in zip(indices, dense_shapes, strict=True):
        x = x.astype(xp.int64, copy=True)
        x[:, axis] += offset
        offset += shape[axis]
        shifted.append(x)
    all_indices = xp.concatenate(shifted, axis=0)
    all_values = xp.concatenate(values, axis=0)
    order = _lexsort_rows(xp, all_indices)
    out_shape = list(dense_shapes[0])
    out_shape[axis] = offset
    return all_indices[order], all_values[order], xp.asarray(out_shape, dtype=xp.int64)


register(OpDef(
    "SparseConcat",
    infer=_sparse_concat_infer,
    kernel=_sparse_concat_kernel,
    grad=None,  # as in TF
    attrs={"concat_dim": REQUIRED, "N": REQUIRED},
    cpu_only=True,
    input_names=("indices: N * int64", "values: N * T", "shapes: N * int64"),
    output_names=("output_indices: int64", "output_values: T", "output_shape: int64"),
    attr_types={"concat_dim": "int", "N": "int >= 2", "T": "type"},
))


def sparse_concat(axis, sp_inputs, name=None, expand_nonconcat_dim=False, concat_dim=None,
                  expand_nonconcat_dims=None) -> SparseTensor:
    """SparseTensors joined along `axis`, as `tf.sparse.concat` (output in row-major order).

    With `expand_nonconcat_dim`, the other dims grow to the largest input's instead of
    having to match.

        tf.sparse.concat(1, [a, b])   # [2, 3] and [2, 4] -> [2, 7]
    """
    if expand_nonconcat_dims is not None:
        expand_nonconcat_dim = expand_nonconcat_dims
    if concat_dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'concat_dim'.")
        axis = concat_dim
    sp_inputs = [convert_to_sparse_tensor(sp) for sp in sp_inputs]
    if len(sp_inputs) == 1:
        return sp_inputs[0]
    input_shapes = [sp.shape for sp in sp_inputs]
    shapes = [sp.dense_shape for sp in sp_inputs]
    if expand_nonconcat_dim:
        shapes = _expanded_shapes(axis, sp_inputs)
    indices, values, dense_shape = apply_op(
        "SparseConcat", *[sp.indices for sp in sp_inputs], *[sp.values for sp in sp_inputs], *shapes,
        name=name or "SparseConcat", concat_dim=axis, N=len(sp_inputs))
    if all(s.ndims is not None for s in input_shapes):
        if expand_nonconcat_dim:
            static = [None if any(s.as_tuple()[d] is None for s in input_shapes)
                      else max(s.as_tuple()[d] for s in input_shapes) for d in range(input_shapes[0].ndims)]
        else:  # the other dims must match: what one input knows holds for all
            static = [next((s.as_tuple()[d] for s in input_shapes if s.as_tuple()[d] is not None), None)
                      for d in range(input_shapes[0].ndims)]
        along = [s.as_tuple()[axis] for s in input_shapes]
        static[axis] = None if None in along else sum(along)
        static = TensorShape(static)
    else:
        static = TensorShape(None)
    if all(s.is_fully_defined() for s in input_shapes):
        return SparseTensor(indices, values, static.as_list())
    result = SparseTensor(indices, values, dense_shape)
    result._set_static_shape(static)
    return result


def _expanded_shapes(axis, sp_inputs) -> list:
    """Each input's dense shape with the non-concat dims widened to the maximum over the inputs."""
    known = [sp.dense_shape._const_value for sp in sp_inputs]
    if all(k is not None for k in known):  # decided at build time: constants, no extra ops
        max_shape = np.max(np.stack([np.asarray(k) for k in known]), axis=0)
        out = []
        for k in known:
            shape = max_shape.copy()
            shape[axis] = np.asarray(k)[axis]
            out.append(constant(shape.astype(np.int64)))
        return out
    shapes = [sp.dense_shape for sp in sp_inputs]
    max_shape = reduction_ops.reduce_max(concat_ops.concat([array_ops.reshape(s, [1, -1]) for s in shapes], 0), 0)
    if axis == -1:
        return [concat_ops.concat([max_shape[:-1], s[-1:]], 0) for s in shapes]
    return [concat_ops.concat([max_shape[:axis], s[axis:axis + 1], max_shape[axis + 1:]], 0) for s in shapes]


# ---- sparse_merge / sparse_to_indicator (composed, as TF builds them) ----------------------
def sparse_merge(sp_ids, sp_values, vocab_size, name=None, already_sorted=False) -> SparseTensor:
    """Ids and weights as one SparseTensor whose last dim is the id, as `tf.sparse_merge` (TF1).

    Takes one id SparseTensor and one `vocab_size` (TF's lists of them are not supported).

        ids [[0, 0]: 4, [0, 1]: 1]  and values [0.5, 2.0]  ->  [[0, 4]: 0.5, [0, 1]: 2.0], shape [1, vocab]
    """
    sp_ids = convert_to_sparse_tensor(sp_ids)
    sp_values = convert_to_sparse_tensor(sp_values)
    if not isinstance(vocab_size, (int, np.integer, Tensor)):
        raise TypeError(f"vocab_size has to be a Tensor or Python int. Found {type(vocab_size)}")
    with name_scope(name, "SparseMerge", [sp_ids, sp_values]):
        ids = sp_ids.values
        if ids.dtype != dtypes.int64:
            ids = cast_ops.cast(ids, dtypes.int64)
        rank = sp_ids.indices.shape[1].value
        if rank is None:
            raise ValueError("sparse_merge needs the rank of sp_ids to be known at graph-build time.")
        kept_columns = apply_op("GatherV2", sp_ids.indices, np.arange(rank - 1, dtype=np.int32), np.int32(1),
                                batch_dims=0, name="GatherV2")
        new_indices = concat_ops.concat([kept_columns, array_ops.reshape(ids, [-1, 1])], 1)
        vocab = cast_ops.cast(convert_to_tensor(vocab_size), dtypes.int64)
        outer = apply_op("GatherV2", sp_ids.dense_shape, np.arange(rank - 1, dtype=np.int32), np.int32(0),
                         batch_dims=0, name="GatherV2")
        new_shape = concat_ops.concat([outer, array_ops.reshape(vocab, [1])], 0)
        result = SparseTensor(new_indices, sp_values.values, new_shape)
        if already_sorted:
            return result
        ordered = sparse_reorder(result)
        return SparseTensor(ordered.indices, ordered.values, new_shape)


def sparse_to_indicator(sp_input, vocab_size, name=None):
    """A dense bool tensor, True at [..., id] for each id in the last dim, as `tf.sparse.to_indicator`.

        ids [[0, 0]: 2, [0, 1]: 0]  ->  [[True, False, True, False]] for vocab_size 4
    """
    sp_input = convert_to_sparse_tensor(sp_input)
    with name_scope(name, "SparseToIndicator", [sp_input]) as scope:
        merged = sparse_merge(sp_input, sp_input, vocab_size, already_sorted=True)
        # Repeated ids are allowed in an indicator: scatter True without validating order.
        return apply_op("SparseToDense", merged.indices, merged.dense_shape, True, False, name=scope,
                        validate_indices=False)
