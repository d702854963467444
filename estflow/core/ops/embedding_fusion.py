"""One plan step for the lookup `safe_embedding_lookup_sparse` builds on a sparse column (and one for an
indicator column's counts).

TF1's `safe_embedding_lookup_sparse` (every categorical column of a linear model, every
embedding column) turns a 2-D SparseTensor of ids into a [batch, dim] tensor through a dozen
small ops: drop ids < 0 (`GreaterEqual`, `Where`, `Reshape`, two `GatherV2`s), give empty rows
an id (`SparseFillEmptyRows`), look the ids up (`StridedSlice` and `Cast` of the row ids,
`Unique`, `GatherV2` of the table) and combine them per row (`SparseSegmentSum` / `Mean` /
`SqrtN`), then zero the rows that had no id (`Select` of a tiled flag column). For the few ids
of a served request each kernel costs microseconds of checks and calls for almost no data.

The fusion (offered by `Select`) runs that whole chain as one step with the same arithmetic:
the segment reduction adds each row's embeddings in the order its ids come (what
`SparseFillEmptyRows`' stable reordering and the scatter-add of `SparseSegment*` do), starting
from zeros, and scales by the same reciprocal; rows without ids come out as the zeros `Select`
gives them. Anything unusual (a row or id out of range, other ranks, a float16 table) runs the
chain's own kernels in order instead, so its results and errors are theirs; a step placed on a GPU
computes on the host (the chain's sparse kernels are host-only) and hands the result back.
The graph keeps TF's ops (exported GraphDefs are unchanged); `plan.FUSION` off runs each op.
"""

from __future__ import annotations

import math

import numpy as np

from estflow.core import devices
from estflow.core.registry import Fusion

_SEGMENT_MODES = {"SparseSegmentSum": "sum", "SparseSegmentMean": "mean", "SparseSegmentSqrtN": "sqrtn"}
_ZERO = {"f": np.zeros((), np.float32), "d": np.zeros((), np.float64)}  # the tables the fast path takes
_MAX_ROWS = 2 ** 31 - 1  # the row ids are cast to int32 on their way to the segment reduction
_INDICATOR_AXES = ([-2], [1], -2, 1)  # reduce_sum(one_hot, axis=[-2]) of [rows, ids, depth]


def _const(t):
    """A Const-made tensor's values as a list of Python numbers, else None."""
    op = t._op
    if op._type != "Const":
        return None
    value = op._attrs.get("value")
    return [v.item() for v in value.reshape(-1)] if hasattr(value, "reshape") else None


def _through_identity(t):
    """`t`'s source when `t` is made by Identity ops (each read once, no control inputs)."""
    while t._op._type == "Identity" and not t._op._control_inputs and len(t._consumers) == 1:
        t = t._op._inputs[0]
    return t


def _is_gather0(op) -> bool:
    return (op._type == "GatherV2" and _const(op._inputs[2]) == [0] and op._attrs.get("batch_dims", 0) == 0)


def _is_first_column(op) -> bool:
    """StridedSlice(indices, [0, 0], [0, 1], [1, 1]) with begin/end masks 1 and shrink 2: `indices[:, 0]`."""
    if op._type != "StridedSlice":
        return False
    attrs = op._attrs
    if (attrs.get("begin_mask", 0) & 2 or not attrs.get("end_mask", 0) & 1 or attrs.get("shrink_axis_mask") != 2
            or attrs.get("ellipsis_mask", 0) or attrs.get("new_axis_mask", 0)):
        return False
    begin, end, strides = (_const(t) for t in op._inputs[1:])
    if not begin or not end or strides != [1, 1] or len(begin) != 2 or len(end) != 2:
        return False
    return begin[1] == 0 and end[1] == 1 and (attrs.get("begin_mask", 0) & 1 or begin[0] == 0)


def _chain_ops(root, inputs) -> list:
    """The ops between the tensors `inputs` and `root` (inclusive), inputs before consumers."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            order.append(op)
            continue
        if op in seen:
            continue
        seen.add(op)
        stack.append((op, True))
        stack.extend((t._op, False) for t in op._inputs if t not in inputs and t._op not in seen)
    return order


def _run_ops(xp, ops, values: dict):
    """Run `ops` in order with their own kernels and attrs (multi-output ops included), reading and
    extending `values` (tensor -> array); return the last op's value."""
    out = None
    for op in ops:
        out = op._op_def.kernel(xp, *[values[t] for t in op._inputs], **op._attrs)
        if len(op._outputs) == 1:
            values[op._outputs[0]] = out
        else:
            values.update(zip(op._outputs, out))
    return out


def _match_lookup(op):
    """(inputs, mode, prune) of a `Select` that ends `safe_embedding_lookup_sparse` (no weights, no
    default id): inputs are the ids' indices and values (before `sparse_retain` of ids >= 0 when
    `prune`), the dense shape, the default id and the table; else None."""
    cond, zeros, x = op._inputs
    tile, like, segment = cond._op, zeros._op, x._op
    mode = _SEGMENT_MODES.get(segment._type)
    if mode is None or len(segment._inputs) != 3 or like._type != "ZerosLike" or like._inputs[0] is not x:
        return None
    if tile._type != "Tile" or tile._inputs[0]._op._type != "Reshape":
        return None
    flags = tile._inputs[0]._op._inputs[0]
    if _const(tile._inputs[0]._op._inputs[1]) != [-1, 1]:
        return None
    data, unique_idx, segment_ids = segment._inputs
    gathered = _through_identity(data)
    lookup, unique = gathered._op, unique_idx._op
    if not _is_gather0(lookup) or unique._type != "Unique" or lookup._inputs[1] is not unique._outputs[0]:
        return None
    cast = segment_ids._op
    if cast._type != "Cast" or not _is_first_column(cast._inputs[0]._op):
        return None
    fill = unique._inputs[0]._op
    if fill._type != "SparseFillEmptyRows" or flags is not fill._outputs[2]:
        return None
    if cast._inputs[0]._op._inputs[0] is not fill._outputs[0] or unique._inputs[0] is not fill._outputs[1]:
        return None
    if _const(fill._inputs[3]) != [0]:
        return None
    indices, values, dense_shape, default = fill._inputs
    pruned = _pruned_ids(indices, values)
    return (*(pruned or (indices, values)), dense_shape, default, lookup._inputs[0]), mode, pruned is not None


def _fused(root, inputs, fast):
    """A Fusion computing `root` from `inputs`: `fast(*arrays)` or, where it returns None, the chain's
    own kernels in order. None when a tensor of the chain is read outside it (a training graph's
    gradient reads them: it keeps its ops), an op has a control input or state, or the chain reaches
    a source that is not a constant."""
    ops = _chain_ops(root, set(inputs))
    members = set(ops)
    intermediate = [t for o in ops for t in o._outputs if t is not root._outputs[0] and t not in inputs]
    if any(c not in members for t in intermediate for c in t._consumers):
        return None
    for o in ops:
        if o._control_inputs or o._op_def.kernel is None or o._op_def.stateful:
            return None
        if not o._inputs and o._type != "Const":
            return None

    def kernel(xp, *arrays):
        if xp is not np:  # placed on a GPU: the chain's sparse kernels are host-only, as unfused
            return xp.asarray(kernel(np, *[devices.to_numpy(a) for a in arrays]))
        out = fast(xp, *arrays)
        return _run_ops(xp, ops, dict(zip(inputs, arrays))) if out is None else out

    return Fusion(tuple(inputs), kernel, tuple(intermediate))


def fuse_embedding_lookup(op):
    """The whole lookup as one step where it ends in this `Select`, or None."""
    found = _match_lookup(op)
    if found is None:
        return None
    inputs, mode, prune = found

    def fast(xp, indices, ids, shape, default_id, table):
        return _lookup(xp, indices, ids, shape, table, mode, prune)

    return _fused(op, inputs, fast)


def fuse_embedding_lookup_reshaped(op, restored, new_shape_rule):
    """The lookup with the SparseReshapes before it and the Reshape after it as one step, where they
    are no-ops for 2-D ids, or None.

    `restored` is the Reshape's own fusion (`array_ops._fuse_outer_shape_restored`: the result given
    the ids' outer dims back); `new_shape_rule` is `sparse_ops._new_shape_rule` (how a SparseReshape's
    new shape is computed from the ids' shape). For 2-D ids `[b, n]` (b > 0) both the feature column's
    `sparse_reshape(ids, [b, -1])` and the lookup's `[prod(shape[:-1]), shape[-1]]` give the ids back
    unchanged, and the result keeps its [b, dim] shape; other ranks run the chain's kernels."""
    if restored is None:
        return None
    x, outer_shape, begin, size = restored.inputs
    if x._op._type != "Select":
        return None
    found = _match_lookup(x._op)
    if found is None:
        return None
    (indices, values, dense_shape, default, table), mode, prune = found
    levels = []  # (ids' indices, values, dense shape, tensors that must hold [1]) before each SparseReshape
    ones = (size,)  # the restored outer dims: one (the batch)
    for _ in range(2):  # the lookup's own SparseReshape, then the feature column's, if there is one
        reshape = indices._op
        if (reshape._type != "SparseReshape" or values._op._type != "Identity" or values._op._control_inputs
                or _through_identity(dense_shape) is not reshape._outputs[1]):
            break
        in_indices, in_shape, new_shape = reshape._inputs
        found = new_shape_rule(new_shape, in_shape)
        if found is None:
            break
        (rule, at), shape_ops, _ = found
        if rule == "outer" and at == 1:
            ones += (shape_ops[4]._inputs[2],)  # Slice's size: how many leading dims fold into the batch
        elif rule != "first" or _const(shape_ops[-2]._outputs[0]) != [-1]:
            break
        indices, values, dense_shape = in_indices, values._op._inputs[0], in_shape
        levels.append((indices, values, dense_shape, ones))
    if not levels or levels[0][2] is not outer_shape:
        return None

    def fast(xp, ids_indices, ids, shape, default_id, params, zero, *one):
        if (type(shape) is not np.ndarray or shape.shape != (2,) or shape.dtype != np.int64
                or type(ids_indices) is not np.ndarray or ids_indices.ndim != 2 or ids_indices.shape[1] != 2
                or int(shape[1]) < 0 or zero.tolist() != [0] or any(o.tolist() != [1] for o in one)):
            return None
        return _lookup(xp, ids_indices, ids, shape, params, mode, prune)

    for indices, values, dense_shape, ones in reversed(levels):  # the most the chain's readers allow
        fusion = _fused(op, (indices, values, dense_shape, default, table, begin, *ones), fast)
        if fusion is not None:
            return fusion
    return None


def _pruned_ids(indices, values):
    """(indices, values) before `sparse_retain(sp, values >= 0)`, when that is what made them."""
    take_indices, take_values = indices._op, values._op
    if not (_is_gather0(take_indices) and _is_gather0(take_values)):
        return None
    keep = take_indices._inputs[1]
    if take_values._inputs[1] is not keep or keep._op._type != "Reshape" or _const(keep._op._inputs[1]) != [-1]:
        return None
    where = keep._op._inputs[0]._op
    if where._type != "Where" or where._inputs[0]._op._type != "GreaterEqual":
        return None
    compare = where._inputs[0]._op
    source_values = take_values._inputs[0]
    if compare._inputs[0] is not source_values or _const(compare._inputs[1]) != [0]:
        return None
    return take_indices._inputs[0], source_values


def _lookup(xp, indices, ids, shape, table, mode: str, prune: bool):
    """The chain's result for well-formed numpy inputs, else None (the caller runs the ops)."""
    if (xp is not np or type(indices) is not np.ndarray or type(ids) is not np.ndarray or type(table) is not np.ndarray
            or type(shape) is not np.ndarray):
        return None
    if (indices.ndim != 2 or not indices.shape[1] or ids.ndim != 1 or shape.ndim != 1 or not shape.size
            or indices.shape[0] != ids.shape[0]
            or table.ndim < 1 or table.dtype.char not in _ZERO or ids.dtype.kind not in "iu"):
        return None
    batch = int(shape[0])
    if batch <= 0 or batch > _MAX_ROWS:
        return None
    rows = indices[:, 0]
    if ids.shape[0] <= 8:  # a served request's few ids: checked in Python, no array temporaries
        row_list, id_list = rows.tolist(), ids.tolist()
        if prune and id_list and min(id_list) < 0:
            row_list = [r for r, i in zip(row_list, id_list) if i >= 0]
            id_list = [i for i in id_list if i >= 0]
        if not id_list:
            return np.zeros((batch,) + table.shape[1:], dtype=table.dtype)
        if min(row_list) < 0 or max(row_list) >= batch or min(id_list) < 0 or max(id_list) >= table.shape[0]:
            return None
        n = len(id_list)
        if len(set(row_list)) == n:
            # One id per row: the reduction's 0 + x (which turns -0.0 into 0.0, as the kernel's does); a mean
            # or sqrtn divides by 1, which changes no value. Rows without ids stay zeros.
            zero = _ZERO[table.dtype.char]
            if n == batch == 1:
                return table[id_list[0]:id_list[0] + 1] + zero
            embeddings = table.take(id_list, 0) + zero
            if n == batch and row_list == list(range(n)):
                return embeddings
            out = np.zeros((batch,) + table.shape[1:], dtype=table.dtype)
            out[row_list] = embeddings
            return out
        rows, ids = np.array(row_list, dtype=np.int64), np.array(id_list, dtype=np.int64)
    else:
        if prune:
            keep = ids >= 0
            if not keep.all():
                rows, ids = rows[keep], ids[keep]
        if not ids.shape[0]:
            return np.zeros((batch,) + table.shape[1:], dtype=table.dtype)
        if int(rows.min()) < 0 or int(rows.max()) >= batch or int(ids.min()) < 0 or int(ids.max()) >= table.shape[0]:
            return None
    out = np.zeros((batch,) + table.shape[1:], dtype=table.dtype)
    np.add.at(out, rows, table[ids])  # each row's embeddings in the order its ids come
    if mode != "sum":
        counts = np.maximum(np.bincount(rows, minlength=batch)[:batch].astype(table.dtype), 1)
        scale = counts if mode == "mean" else np.sqrt(counts)
        out *= (1 / scale).reshape((batch,) + (1,) * (table.ndim - 1))
    return out


def fuse_indicator(op):
    """`Sum(OneHot(SparseToDense(ids, shape, values, -1), depth, 1.0, 0.0), axis=[-2])` as one step, or None.

    An indicator column turns a served request's sparse ids into counts per id this way: three kernels
    for a few ids. The step counts each row's ids in [0, depth) into a [rows, depth] array of the
    one-hot's dtype (sums of ones and zeros: exact in any order). Ids other than 2-D, indices not
    sorted, repeated or out of bounds, or any other default run the three kernels, with their errors.
    """
    if op._attrs.get("keep_dims") or _const(op._inputs[1]) not in ([-2], [1]):
        return None
    hot = op._inputs[0]._op
    if hot._type != "OneHot" or hot._attrs.get("axis", -1) != -1:
        return None
    dense = hot._inputs[0]._op
    if dense._type != "SparseToDense" or not dense._attrs.get("validate_indices", True):
        return None
    indices, shape, values, default = dense._inputs
    depth, on, off = hot._inputs[1:]
    inputs = (indices, shape, values, default, depth, on, off, op._inputs[1])

    def fast(xp, ids_indices, dense_shape, ids, default_id, size, on_value, off_value, axis):
        if (xp is not np or type(ids_indices) is not np.ndarray or type(ids) is not np.ndarray
                or type(dense_shape) is not np.ndarray or ids_indices.ndim != 2 or ids_indices.shape[1] != 2
                or ids.ndim != 1 or ids.shape[0] != ids_indices.shape[0] or ids.shape[0] > 16
                or ids.dtype.kind not in "iu" or dense_shape.shape != (2,) or on_value.dtype.kind != "f"):
            return None
        off = off_value.item()
        if (default_id.tolist() != -1 or on_value.item() != 1.0 or off != 0.0 or math.copysign(1.0, off) < 0
                or axis.tolist() not in _INDICATOR_AXES):
            return None
        rows_bound, cols_bound = (int(d) for d in dense_shape.tolist())
        d = int(size)
        if rows_bound < 0 or cols_bound < 0 or d < 0:
            return None
        where, id_list = ids_indices.tolist(), ids.tolist()
        if not all(0 <= r < rows_bound and 0 <= c < cols_bound for r, c in where) or not all(
                a < b for a, b in zip(where, where[1:])):
            return None  # SparseToDense's own checks raise
        out = np.zeros((rows_bound, d), dtype=on_value.dtype)
        for (r, _), i in zip(where, id_list):
            if 0 <= i < d:
                out[r, i] += 1
        return out

    return _fused(op, inputs, fast)
