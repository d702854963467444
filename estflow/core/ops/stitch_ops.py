"""Ops that merge slices by index: DynamicStitch, TensorScatterMax and TensorScatterMin.

`tf.dynamic_stitch` interleaves the slices of several data tensors into one at the positions
its index tensors name (the inverse of `tf.dynamic_partition`); `tf.tensor_scatter_nd_max`
and `_min` keep the larger (smaller) of a tensor's entry and each update scattered onto it.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.ops import scatter_kernels
from estflow.core.ops.array_ops import _check_int, _fmt, _invalid, shape
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.comparison_ops import equal
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.gather_ops import _nd_index, gather, gather_nd, scatter_nd
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


# ---- DynamicStitch -----------------------------------------------------------------------------------
def _infer_stitch(*specs):
    n = len(specs) // 2
    indices, data = specs[:n], specs[n:]
    dtype = data[0].dtype
    inner = None
    for i, (idx, d) in enumerate(zip(indices, data, strict=True)):
        if idx.dtype != dtypes.int32:
            raise TypeError(f"Input 'indices' of 'DynamicStitch' Op has type {idx.dtype.name} that does not match "
                            "expected type of int32.")
        if d.dtype != dtype:
            raise TypeError(f"Input 'data' of 'DynamicStitch' Op has types {d.dtype.name} and {dtype.name} that "
                            "don't all match.")
        i_dims, d_dims = idx.shape.as_tuple(), d.shape.as_tuple()
        if i_dims is None or d_dims is None:
            continue
        if not TensorShape(d_dims[:len(i_dims)]).is_compatible_with(i_dims) or len(d_dims) < len(i_dims):
            raise ValueError(f"Dimensions of data[{i}] {_fmt(d_dims)} must start with the shape of indices[{i}] "
                             f"{_fmt(i_dims)}")
        part = TensorShape(d_dims[len(i_dims):])
        inner = part if inner is None else inner.merge_with(part)
    known = [idx.value for idx in indices]
    if all(v is not None for v in known):
        first = max((int(v.max()) + 1 for v in known if v.size), default=0)
    else:
        first = None
    rest = inner.as_tuple() if inner is not None else None
    return TensorSpec(TensorShape(None) if rest is None else TensorShape([first, *rest]), dtype)


def _stitch_kernel(xp, *arrays):
    n = len(arrays) // 2
    indices, data = arrays[:n], arrays[n:]
    inner = tuple(int(d) for d in data[0].shape[indices[0].ndim:])
    flat_idx, flat_data = [], []
    for i, (idx, d) in enumerate(zip(indices, data, strict=True)):
        if tuple(d.shape[:idx.ndim]) != tuple(idx.shape) or tuple(d.shape[idx.ndim:]) != inner:
            raise _invalid(f"data[{i}].shape = {_fmt(d.shape)} does not start with indices[{i}].shape = "
                           f"{_fmt(idx.shape)}, or its inner dims differ from data[0]'s {_fmt(inner)}")
        flat_idx.append(idx.reshape(-1).astype(xp.int64))
        flat_data.append(d.reshape((-1,) + inner))
    positions = xp.concatenate(flat_idx) if flat_idx else xp.zeros(0, xp.int64)
    values = xp.concatenate(flat_data)
    if positions.size and int(positions.min()) < 0:
        raise _invalid(f"indices contains a negative index: {int(positions.min())}")
    size = int(positions.max()) + 1 if positions.size else 0
    # The last (data, position) naming a slot wins, as TF documents: each slot takes the largest
    # flat position that writes it (a maximum scatter, exact and the same on numpy and cupy).
    winner = xp.full(size, -1, dtype=xp.int64)
    scatter_kernels.scatter_extreme(xp, winner, positions, xp.arange(positions.shape[0]), "maximum")
    out = xp.zeros((size,) + inner, dtype=values.dtype)
    written = winner >= 0
    out[written] = values[winner[written]]
    return out


def _stitch_grad(op, grad):
    n = len(op.inputs) // 2
    return [None] * n + [gather(grad, op.inputs[i]) for i in range(n)]


register(OpDef("DynamicStitch", infer=_infer_stitch, kernel=_stitch_kernel, grad=_stitch_grad, broadcasts=False,
               input_names=("indices: N * int32", "data: N * T"), output_names=("merged: T",),
               attr_types={"N": "int >= 1", "T": "type"}))


def dynamic_stitch(indices, data, name=None):
    """One tensor from the slices of `data` placed at `indices`, as `tf.dynamic_stitch`.

        tf.dynamic_stitch([[0, 2], [1]], [[10, 30], [20]])   # [10, 20, 30]

    Where an index repeats, the slice given last (in list order, then row order) wins.
    """
    indices = [i if isinstance(i, Tensor) else convert_to_tensor(i, dtype=dtypes.int32) for i in indices]
    data = [convert_to_tensor(d) for d in data]
    if len(indices) != len(data) or not indices:
        raise ValueError(f"dynamic_stitch needs as many index tensors as data tensors (at least one), got "
                         f"{len(indices)} and {len(data)}")
    return apply_op("DynamicStitch", *indices, *data, name=name or "DynamicStitch")


# ---- TensorScatterMax, TensorScatterMin --------------------------------------------------------------
def _infer_tensor_scatter(tensor, indices, updates):
    _check_int(indices, "indices")
    if updates.dtype != tensor.dtype:
        raise TypeError(f"Input 'updates' has type {updates.dtype.name} that does not match type "
                        f"{tensor.dtype.name} of argument 'tensor'.")
    t_dims, i_dims, u_dims = tensor.shape.as_tuple(), indices.shape.as_tuple(), updates.shape.as_tuple()
    if t_dims is not None and i_dims is not None and u_dims is not None and i_dims and i_dims[-1] is not None:
        k = i_dims[-1]
        if k > len(t_dims):
            raise ValueError(f"Index innermost dimension length must be <= tensor rank; saw: {k} vs. {len(t_dims)}")
        expected = list(i_dims[:-1]) + list(t_dims[k:])
        if not TensorShape(u_dims).is_compatible_with(expected):
            raise ValueError(f"Dimensions [{len(i_dims) - 1},{len(u_dims)}) of updates[shape={_fmt(u_dims)}] = "
                             f"{_fmt(u_dims[len(i_dims) - 1:])} must match dimensions [{k},{len(t_dims)}) of "
                             f"input[shape={_fmt(t_dims)}] = {_fmt(t_dims[k:])}")
    return TensorSpec(tensor.shape, tensor.dtype)


def _tensor_scatter_kernel(which):
    def kernel(xp, tensor, indices, updates):
        out = tensor.copy()
        k = int(indices.shape[-1])
        if k > out.ndim:
            raise _invalid(f"Index innermost dimension length must be <= tensor rank; saw: {k} vs. {out.ndim}")
        if k == 0:  # each update row covers the whole tensor
            for row in updates.reshape((-1,) + out.shape):
                out = getattr(xp, which)(out, row)
            return out
        index = _nd_index(xp, indices, out.shape, "shape")
        scatter_kernels.scatter_extreme(xp, out, index, updates, which)
        return out

    return kernel


def _tensor_scatter_extreme_grad(op, grad):
    """TF's rule: the gradient goes to every entry equal to the result, split evenly among ties."""
    x, indices, updates = op.inputs
    out = op.outputs[0]
    x_hits = cast(equal(x, out), grad.dtype)
    update_hits = cast(equal(updates, gather_nd(out, indices)), grad.dtype)
    hits = x_hits + scatter_nd(indices, update_hits, shape(x, out_type=indices.dtype))  # >= 1 everywhere
    share = grad / hits
    return share * x_hits, None, gather_nd(share, indices) * update_hits


for _op_type, _which in (("TensorScatterMax", "maximum"), ("TensorScatterMin", "minimum")):
    register(OpDef(_op_type, infer=_infer_tensor_scatter, kernel=_tensor_scatter_kernel(_which),
                   grad=_tensor_scatter_extreme_grad, broadcasts=False,
                   input_names=("tensor: T", "indices: Tindices", "updates: T"), output_names=("output: T",),
                   attr_types={"T": "type", "Tindices": "type"}))


def tensor_scatter_nd_max(tensor, indices, updates, name=None):
    """`tensor` with each entry at `indices` the maximum of itself and its updates, as
    `tf.tensor_scatter_nd_max`.

        tf.tensor_scatter_nd_max([1, 5, 2], [[0], [1]], [4, 3])   # [4, 5, 2]
    """
    tensor = convert_to_tensor(tensor)
    return apply_op("TensorScatterMax", tensor, indices, convert_to_tensor(updates, dtype=tensor.dtype),
                    name=name or "TensorScatterMax")


def tensor_scatter_nd_min(tensor, indices, updates, name=None):
    """`tensor` with each entry at `indices` the minimum of itself and its updates, as
    `tf.tensor_scatter_nd_min`."""
    tensor = convert_to_tensor(tensor)
    return apply_op("TensorScatterMin", tensor, indices, convert_to_tensor(updates, dtype=tensor.dtype),
                    name=name or "TensorScatterMin")
