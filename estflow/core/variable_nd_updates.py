"""N-d scatter updates of TF1 ref variables: ScatterNdUpdate, ScatterNdAdd, ScatterNdSub.

`tf.scatter_nd_update(ref, indices, updates)` writes `updates` into the variable at the
index tuples of `indices`' last axis, in place in the session, as `tf.scatter_update` does
for rows; `tf.batch_scatter_update` builds such index tuples for a batch of row indices.
Also `tf.count_up_to`, the function form of `Variable.count_up_to`.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import scatter_kernels
from estflow.core.ops.array_ops import _check_int, _fmt, _invalid, expand_dims, reshape, shape
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.concat_ops import concat
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.fill_ops import ones_like, range_
from estflow.core.ops.gather_ops import _nd_index
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape
from estflow.core.variables import Variable, _on_device, _stored, _variable_name


def _infer_scatter_nd_update(ref, indices, updates, *, use_locking):
    _check_int(indices, "indices")
    r_dims, i_dims, u_dims = ref.shape.as_tuple(), indices.shape.as_tuple(), updates.shape.as_tuple()
    if r_dims is not None and i_dims is not None and u_dims is not None and i_dims and i_dims[-1] is not None:
        k = i_dims[-1]
        if k > len(r_dims):
            raise ValueError(f"Index innermost dimension length must be <= ref rank; saw: {k} vs. {len(r_dims)}")
        expected = list(i_dims[:-1]) + list(r_dims[k:])
        if not TensorShape(u_dims).is_compatible_with(expected):
            raise ValueError(f"Must have updates.shape = indices.shape[:-1] + ref.shape[indices.shape[-1]:], got "
                             f"updates.shape {_fmt(u_dims)}, indices.shape {_fmt(i_dims)}, ref.shape {_fmt(r_dims)}")
    return TensorSpec(ref.shape, ref.dtype)


def _make_scatter_nd(kind):
    def make(op, ctx):
        store, name, here, xp = ctx.variables, _variable_name(op), _on_device(ctx), ctx.xp

        def scatter_nd_update(indices, updates):
            cur = _stored(store, name, here)
            k = int(indices.shape[-1])
            if k > cur.ndim:
                raise _invalid(f"Output must have rank at least {k}; got {cur.ndim}")
            rows = updates.reshape((-1,) + tuple(cur.shape[k:]))
            if k == 0:  # each update covers the whole variable
                for row in rows:
                    if kind == "update":
                        cur[...] = row
                    else:
                        cur += row if kind == "add" else -row
                return cur
            index = _nd_index(xp, indices, cur.shape, "shape")
            if kind == "update":  # a repeated index keeps one of its updates (TF leaves which unspecified)
                cur[index] = updates
            elif kind == "add":
                scatter_kernels.scatter_add(xp, cur, index, updates)
            else:
                scatter_kernels.scatter_sub(xp, cur, index, updates)
            return cur

        return scatter_nd_update

    return make


for _op_type, _kind in (("ScatterNdUpdate", "update"), ("ScatterNdAdd", "add"), ("ScatterNdSub", "sub")):
    register(OpDef(
        _op_type, infer=_infer_scatter_nd_update, make_kernel=_make_scatter_nd(_kind),
        attrs={"use_locking": _kind == "update"}, same_dtype=(0, 2), ref_inputs=(0,), differentiable=False,
        input_names=("ref: Ref(T)", "indices: Tindices", "updates: T"), output_names=("output_ref: Ref(T)",),
        attr_types={"T": "type", "Tindices": "type", "use_locking": "bool"}, writes_refs=True,
    ))


def _ref_of(ref):
    if isinstance(ref, Variable):
        return ref._variable
    if getattr(ref, "dtype", None) is not None and not ref.dtype._is_ref_dtype:
        raise TypeError(f"{ref.name} is not a TF1 ref variable: scatter_nd updates need one (tf.Variable, "
                        "tf.get_variable with use_resource=False).")
    return ref


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None):
    """Writes `updates` into variable `ref` at the index tuples of `indices`' last axis, as
    `tf.scatter_nd_update`; returns `ref` after the update.

        v = tf.Variable([1, 2, 3, 4])
        tf.scatter_nd_update(v, [[1], [3]], [20, 40])   # v: [1, 20, 3, 40]
    """
    return apply_op("ScatterNdUpdate", _ref_of(ref), indices, updates, name=name or "ScatterNdUpdate",
                    use_locking=bool(use_locking))


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None):
    """Adds `updates` to variable `ref` at `indices` (repeated indices add up), as `tf.scatter_nd_add`."""
    return apply_op("ScatterNdAdd", _ref_of(ref), indices, updates, name=name or "ScatterNdAdd",
                    use_locking=bool(use_locking))


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None):
    """Subtracts `updates` from variable `ref` at `indices`, as `tf.scatter_nd_sub`."""
    return apply_op("ScatterNdSub", _ref_of(ref), indices, updates, name=name or "ScatterNdSub",
                    use_locking=bool(use_locking))


def batch_scatter_update(ref, indices, updates, use_locking=True, name=None):
    """For each batch entry b, writes `updates[b..., i, ...]` into row `indices[b..., i]` of
    `ref[b...]`, as `tf.batch_scatter_update` (a `scatter_nd_update` over the batch dims).

        v = tf.Variable([[1, 2, 3], [4, 5, 6]])
        tf.batch_scatter_update(v, [[0], [2]], [[10], [60]])   # v: [[10, 2, 3], [4, 5, 60]]
    """
    with name_scope(name, "BatchScatterUpdate", [ref, indices, updates]):
        indices = convert_to_tensor(indices, name="indices")
        rank = indices.shape.ndims
        if rank is None:
            raise ValueError("batch_gather does not allow indices with unknown shape.")
        nd_indices = expand_dims(indices, -1)
        sizes = shape(indices, out_type=indices.dtype)
        coordinates = []
        for dim in range(rank - 1):  # each batch dim's position, broadcast to the indices' shape
            broadcast_shape = [1] * (rank + 1)
            broadcast_shape[dim] = -1
            positions = reshape(range_(0, sizes[dim], 1), broadcast_shape)
            coordinates.append(cast(positions, indices.dtype) * ones_like(nd_indices))
        coordinates.append(nd_indices)
        return scatter_nd_update(ref, concat(coordinates, axis=-1), updates, use_locking=use_locking)


def count_up_to(ref, limit, name=None):
    """Increments the int32/int64 variable `ref` until it reaches `limit`, then raises
    OutOfRangeError; returns the value before the increment, as `tf.count_up_to`."""
    target = ref._variable if isinstance(ref, Variable) else ref
    if target.dtype.base_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value for attr 'T' of {target.dtype.base_dtype.name} is not in the list of allowed "
                        "values: int32, int64")
    return apply_op("CountUpTo", target, name=name or "CountUpTo", limit=int(limit))
