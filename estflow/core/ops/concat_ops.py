"""Joining and splitting tensors: ConcatV2, Pack/Unpack (stack/unstack), Split, SplitV."""

from __future__ import annotations

import numbers

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.array_ops import (
    _check_int,
    _check_rank,
    _const_int,
    _const_int_tensor,
    _const_list,
    _contains_tensor,
    _fmt,
    _host_int,
    _host_ints,
    _ints,
    _invalid,
    _to_tensor,
    expander,
    identity,
    rank,
    shape,
)
from estflow.core.ops.fill_ops import zeros_like
from estflow.core.registry import REQUIRED, Fusion, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import Dimension, TensorShape, dimension_value


# ---- ConcatV2, Pack, Unpack -------------------------------------------------------------------
def _autopack(v):
    """A (nested) list holding tensors as one packed tensor, as TF1's autopacking conversion."""
    if isinstance(v, (list, tuple)) and _contains_tensor(v):
        return stack([_autopack(x) for x in v], name="packed")
    return v


def _infer_concat(*specs, N):  # noqa: N803 - TF's attr name
    values, axis = specs[:-1], specs[-1]
    _check_int(axis, "axis")
    _check_rank(axis, 0)
    a = _const_int(axis)
    rank_n = None
    for s in values:
        n = s.shape.ndims
        if n is not None:
            if n == 0:
                raise ValueError("Shape must be at least rank 1 but is rank 0")
            if rank_n is None:
                rank_n = n
            elif n != rank_n:
                raise ValueError(f"Shape must be rank {rank_n} but is rank {n}")
    dtype = values[0].dtype
    if rank_n is None:
        return TensorSpec(None, dtype)
    if a is None:
        return TensorSpec([None] * rank_n, dtype)
    if not -rank_n <= a < rank_n:
        raise ValueError(f"ConcatOp : Expected concatenating dimensions in the range [{-rank_n}, {rank_n}), "
                         f"but got {a}")
    a %= rank_n
    out = [None] * rank_n
    total = 0
    first = None
    for s in values:
        dims = s.shape.as_tuple()
        if dims is None:
            total = None
            continue
        for i, d in enumerate(dims):
            if i == a:
                continue
            if d is not None and out[i] is not None and d != out[i]:
                raise ValueError(f"Dimension {i} in both shapes must be equal, but are {out[i]} and {d}. "
                                 f"Shapes are {_fmt(first)} and {_fmt(dims)}.")
            if out[i] is None:
                out[i] = d
        if first is None:
            first = dims
        if total is not None:
            total = None if dims[a] is None else total + dims[a]
    out[a] = total
    return TensorSpec(out, dtype)


def _concat_kernel(xp, *arrays, N):  # noqa: N803 - TF's attr name
    values, axis = arrays[:-1], _host_int(arrays[-1])
    n = values[0].ndim
    if n == 0:
        raise _invalid("ConcatOp : Can't concatenate scalars (use tf.stack instead)")
    if not -n <= axis < n:
        raise _invalid(f"ConcatOp : Expected concatenating dimensions in the range [{-n}, {n}), but got {axis}")
    axis %= n
    try:  # the usual case: numpy agrees, and only a refusal needs TF's message
        return xp.concatenate(values, axis=axis)
    except ValueError:
        pass
    for i, v in enumerate(values[1:], 1):
        if v.ndim != n:
            raise _invalid(f"ConcatOp : Ranks of all input tensors should match: shape[0] = "
                           f"{_fmt(values[0].shape)} vs. shape[{i}] = {_fmt(v.shape)}")
        if any(v.shape[j] != values[0].shape[j] for j in range(n) if j != axis):
            raise _invalid(f"ConcatOp : Dimensions of inputs should match: shape[0] = {_fmt(values[0].shape)} "
                           f"vs. shape[{i}] = {_fmt(v.shape)}")
    return xp.concatenate(values, axis=axis)


def _concat_grad(op, grad):
    values, axis = op.inputs[:-1], op.inputs[-1]
    if len(values) == 1:
        return grad, None
    a = _const_int_tensor(axis)
    n = values[0].shape.ndims
    if a is not None and n is not None:
        axis_norm = _ints(a % n)
    else:
        axis_norm = apply_op("FloorMod", axis, rank(values[0]), name="mod")
    static = [v.shape.as_tuple()[a % n] if a is not None and n is not None else None for v in values]
    if None not in static:
        sizes = _ints(static)
    else:
        from estflow.core.ops.gather_ops import gather  # lazy: gather_ops imports this module

        sizes = stack([gather(shape(v), axis_norm) for v in values])
    parts = apply_op("SplitV", grad, sizes, axis_norm, num_split=len(values), name="split")
    return list(parts) + [None]


def _sole_reader(t) -> bool:
    """Whether `t` is read by one op only and its producer waits on no control input (a fusion may skip it)."""
    return len(t._consumers) == 1 and not t._op._control_inputs


def _expanded(t):
    """`t`'s ExpandDims kernel for its constant dim (a fusion's), the tensor it expands, the dim as an int
    (None unless one value) and the dim's tensor, or None."""
    src = t._op
    dim = src._inputs[1]._const_value if src._type == "ExpandDims" else None
    if dim is None or not _sole_reader(t):
        return None
    dim_value = int(np.asarray(dim).reshape(-1)[0]) if np.size(dim) == 1 else None
    return expander(dim), src._inputs[0], dim_value, src._inputs[1]


def _one_hot_piece(t):
    """(ids, kernel, depth, constants) for `t` = OneHot(ids, depth, on, off) with constant depth, on and off
    values, or None. `kernel(xp, ids)` is OneHot's own kernel with them bound; `depth` is the depth where the
    values are 1.0 and +0.0 along the last axis (a feature column's indicator), else None."""
    src = t._op
    if src._type != "OneHot" or not _sole_reader(t):
        return None
    depth, on, off = (x._const_value for x in src._inputs[1:])
    if depth is None or on is None or off is None:
        return None
    depth, on, off = np.asarray(depth), np.asarray(on), np.asarray(off)
    kernel, attrs = src._op_def.kernel, src._attrs

    def one_hot(xp, ids):
        return kernel(xp, ids, depth, on, off, **attrs)

    d = int(depth) if depth.ndim == 0 else -1
    plain = (d >= 0 and attrs.get("axis", -1) == -1 and on.ndim == 0 and on.dtype.kind == "f" and on == 1.0
             and off.ndim == 0 and off == 0.0 and not np.signbit(off))
    return src._inputs[0], one_hot, d if plain else None, tuple(src._inputs[1:])


def _fuse_expanded_inputs(op):
    """ConcatV2 of a DNN input layer's pieces as one step: inputs that are ExpandDims(x, constant) (a rank-1
    numeric column), Cast(ExpandDims(x, constant)) (an integer one) or OneHot(ids, depth, on, off) with
    constant depth and values (an indicator column) are computed by the step itself. The general path runs
    those ops' own kernels and ConcatV2's, so values and errors are the unfused ops'. On the host, rank-1
    columns and ids joined along the last axis of a rank-2 result are written straight into it: a column
    cast on assignment (numpy's astype cast), an indicator as the comparison's booleans (1.0 and +0.0, as
    OneHot's kernel gives them): the same values, one buffer instead of a step and an array per piece.
    A piece whose result has another reader, or whose op waits on a control input, stays a step of its own;
    a fed constant (a dim, depth or value) keeps the ops as written."""
    values, axis = op._inputs[:-1], op._inputs[-1]
    inputs, pieces, skipped = [], [], []
    for t in values:
        piece = None
        if t._op._type == "ExpandDims":
            found = _expanded(t)
            if found is not None:
                expand, src, dim, dim_t = found
                piece, skip = ("expand", expand, dim, None), (t, dim_t)
        elif t._op._type == "Cast" and _sole_reader(t) and t._op._inputs[0]._op._type == "ExpandDims":
            found = _expanded(t._op._inputs[0])
            if found is not None:
                expand, src, dim, dim_t = found
                cast = t._op
                piece, skip = ("cast", expand, dim, (cast._op_def.kernel, cast._attrs, cast._outputs[0].dtype)), \
                    (t, cast._inputs[0], dim_t)
        elif t._op._type == "OneHot":
            found = _one_hot_piece(t)
            if found is not None:
                src, one_hot, depth, constants = found
                piece, skip = ("one_hot", one_hot, depth, None), (t, *constants)
        if piece is None:
            inputs.append(t)
            pieces.append(None)
        else:
            inputs.append(src)
            pieces.append(piece)
            skipped.extend(skip)
    if not skipped:
        return None
    n = op._attrs["N"]
    axis_value = axis._const_value
    out_dtype = op._outputs[0].dtype
    direct = None
    if axis_value is not None and np.ndim(axis_value) == 0 and int(axis_value) in (1, -1) and out_dtype.is_floating:
        direct = _direct_concat(pieces, np.dtype(out_dtype.as_numpy_dtype))

    def general(xp, arrays):
        parts = []
        for a, piece in zip(arrays[:-1], pieces, strict=True):
            if piece is not None:
                kind, fn, _, cast = piece
                a = fn(xp, a)
                if kind == "cast":
                    kernel, attrs, _ = cast
                    a = kernel(xp, a, **attrs)
            parts.append(a)
        return _concat_kernel(xp, *parts, arrays[-1], N=n)

    def kernel(xp, *arrays):
        if direct is not None and xp is np and int(arrays[-1]) in (1, -1):  # (the axis, unless a value is fed)
            out = direct(arrays[:-1])
            if out is not None:
                return out
        return general(xp, arrays)

    return Fusion((*inputs, axis), kernel, tuple(skipped))


def _direct_concat(pieces, dt):
    """The rank-2, last-axis join of `_fuse_expanded_inputs` written into one buffer, or None where a piece
    is not of the forms it covers (a numpy array each; the caller then runs the general path)."""
    plans = []
    for piece in pieces:
        if piece is None:
            plans.append(0)
            continue
        kind, _, arg, cast = piece
        if kind == "one_hot":
            if arg is None:
                return None
            plans.append(3)
        elif arg not in (1, -1):  # ExpandDims of a vector at its end: one column
            return None
        elif kind == "expand":
            plans.append(1)
        elif cast[1].get("Truncate") or np.dtype(cast[2].as_numpy_dtype) != dt:
            return None
        else:
            plans.append(2)
    depths = [p[2] if p is not None and p[0] == "one_hot" else 1 for p in pieces]
    positions: dict = {}  # (ids' dtype, depth) -> arange(depth)

    def run(arrays):
        rows, total = -1, 0
        for a, plan, d in zip(arrays, plans, depths, strict=True):
            if a.__class__ is not np.ndarray:
                return None
            if plan == 0:
                if a.ndim != 2 or a.dtype != dt:
                    return None
                n = a.shape[0]
                total += a.shape[1]
            else:
                if a.ndim != 1 or (plan == 1 and a.dtype != dt) or (plan == 2 and a.dtype.kind not in "biuf") or (
                        plan == 3 and a.dtype.kind not in "iu"):
                    return None
                n = a.shape[0]
                total += d
            if rows != n:
                if rows >= 0:
                    return None  # ConcatV2's kernel names the mismatch
                rows = n
        out = np.empty((rows, total), dt)
        col = 0
        for a, plan, d in zip(arrays, plans, depths, strict=True):
            if plan == 0:
                w = a.shape[1]
                out[:, col:col + w] = a
                col += w
            elif plan == 3:
                hot = positions.get((a.dtype, d))
                if hot is None:
                    hot = positions[a.dtype, d] = np.arange(d, dtype=a.dtype)
                out[:, col:col + d] = a[:, None] == hot
                col += d
            else:
                out[:, col] = a
                col += 1
        return out

    return run


register(OpDef("ConcatV2", infer=_infer_concat, kernel=_concat_kernel, grad=_concat_grad,
               attrs={"N": REQUIRED}, fuse=_fuse_expanded_inputs, same_dtype="all_but_last", broadcasts=False,
               input_names=("values: N * T", "axis: Tidx"), output_names=("output: T",),
               attr_types={"N": "int >= 2", "T": "type", "Tidx": "type = int32"},
               row_wise=row_rules.concat))


def concat(values, axis, name="concat"):
    """`values` joined along `axis`, as `tf.concat`."""
    if not isinstance(values, (list, tuple)):
        values = [values]
    values = [_autopack(v) for v in values]
    if len(values) == 1:
        with name_scope(name) as scope:
            ax = _to_tensor(axis, dtype=dtypes.int32, name="concat_dim") if not isinstance(axis, Tensor) else axis
            if ax.shape.ndims not in (None, 0):
                raise ValueError(f"Shapes {ax.shape} and () are incompatible")
            return identity(values[0], name=scope)
    return apply_op("ConcatV2", *values, axis, name=name, N=len(values))


def _infer_pack(*values, N, axis):  # noqa: N803 - TF's attr name
    merged = TensorShape(None)
    for i, s in enumerate(values):
        if not merged.is_compatible_with(s.shape):
            raise ValueError(f"Shapes of all inputs must match: values[0].shape = {_fmt(values[0].shape.as_tuple())} "
                             f"!= values[{i}].shape = {_fmt(s.shape.as_tuple())}")
        merged = merged.merge_with(s.shape)
    dims = merged.as_tuple()
    if dims is None:
        return TensorSpec(None, values[0].dtype)
    n = len(dims) + 1
    if not -n <= axis < n:
        raise ValueError(f"Invalid axis: {axis}; must be in [{-n},{n})")
    a = axis % n
    return TensorSpec(list(dims[:a]) + [N] + list(dims[a:]), values[0].dtype)


def _pack_kernel(xp, *values, N, axis):  # noqa: N803 - TF's attr name
    for i, v in enumerate(values[1:], 1):
        if v.shape != values[0].shape:
            raise _invalid(f"Shapes of all inputs must match: values[0].shape = {_fmt(values[0].shape)} != "
                           f"values[{i}].shape = {_fmt(v.shape)}")
    first = values[0]
    if xp is np and first.__class__ is np.ndarray and not first.ndim and first.dtype.kind in _NUMERIC_KINDS:
        # Scalars (shape arithmetic): one array built from them, a tenth of np.stack's cost.
        out = np.array(values)
        if out.dtype == first.dtype:
            return out
    return xp.stack(values, axis=axis)


_NUMERIC_KINDS = frozenset("biufc")


register(OpDef("Pack", infer=_infer_pack, kernel=_pack_kernel,
               grad=lambda op, g: unstack(g, num=op.get_attr("N"), axis=op.get_attr("axis")),
               attrs={"N": REQUIRED, "axis": 0}, same_dtype="all", broadcasts=False,
               input_names=("values: N * T",), output_names=("output: T",),
               attr_types={"N": "int >= 1", "T": "type", "axis": "int"},
               row_wise=row_rules.pack))


def stack(values, axis=0, name="stack"):
    """Stack rank-R tensors into one rank-(R+1) tensor along `axis`, as `tf.stack`."""
    if axis == 0:
        if isinstance(values, Tensor):
            return values  # TF1 converts `values` as a whole first: a tensor stays itself
        if not _contains_tensor(values) and not _is_tensor_like(values):
            try:
                return _to_tensor(values, name=name)
            except (TypeError, ValueError):
                pass
    values = [_autopack(v) for v in values]
    first = values[0] if isinstance(values[0], Tensor) else None
    if first is not None and first.shape.ndims is not None:
        n = first.shape.ndims + 1
        if axis < -n or axis >= n:
            raise ValueError(f"axis = {axis} not in [{-n}, {n})")
    return apply_op("Pack", *values, name=name, N=len(values), axis=axis)


def _is_tensor_like(v) -> bool:
    if isinstance(v, (list, tuple)):
        return any(_is_tensor_like(x) for x in v)
    return hasattr(v, "_as_graph_element") or hasattr(v, "_as_tensor")


parallel_stack = stack


def _infer_unpack(value, *, num, axis):
    dims = value.shape.as_tuple()
    if dims is None:
        return [TensorSpec(None, value.dtype) for _ in range(num)]
    n = len(dims)
    if not -n <= axis < n:
        raise ValueError(f"Invalid axis: {axis}; must be in [{-n},{n})")
    a = axis % n
    if dims[a] is not None and dims[a] != num:
        raise ValueError(f"Dimension must be {num} but is {dims[a]}")
    out = list(dims[:a]) + list(dims[a + 1:])
    return [TensorSpec(out, value.dtype) for _ in range(num)]


def _unpack_kernel(xp, value, num, axis):
    a = axis % value.ndim
    if value.shape[a] != num:
        raise _invalid(f"Input shape axis {a} must equal {num}, got shape {_fmt(value.shape)}")
    return tuple(xp.take(value, i, axis=a) for i in range(num))


def _fill_none_grads(op, grads):
    return [zeros_like(t) if g is None else g for t, g in zip(op.outputs, grads, strict=False)]


register(OpDef("Unpack", infer=_infer_unpack, kernel=_unpack_kernel,
               grad=lambda op, *gs: (stack(_fill_none_grads(op, gs), axis=op.get_attr("axis")),),
               attrs={"num": REQUIRED, "axis": 0},
               input_names=("value: T",), output_names=("output: num * T",),
               attr_types={"num": "int >= 0", "T": "type", "axis": "int"}))


def unstack(value, num=None, axis=0, name="unstack"):
    """The rank-(R-1) slices of `value` along `axis`, as a list (`tf.unstack`)."""
    num = dimension_value(num)  # TF1 code passes x.shape[0]
    if num is None:
        value = _to_tensor(value)
        dims = value.shape
        if dims.ndims is not None:
            if axis < -dims.ndims or axis >= dims.ndims:
                raise ValueError(f"axis = {axis} not in [{-dims.ndims}, {dims.ndims})")
            num = dims.as_tuple()[axis]
        if num is None:
            raise ValueError(f"Cannot infer num from shape {dims}")
    out = apply_op("Unpack", value, name=name, num=num, axis=axis)
    return out if isinstance(out, list) else [out]


# ---- Split, SplitV -----------------------------------------------------------------------------
def _infer_split(axis, value, *, num_split):
    _check_int(axis, "split_dim", (dtypes.int32,))
    _check_rank(axis, 0)
    dims = value.shape.as_tuple()
    a = _const_int(axis)
    if dims is None:
        return [TensorSpec(None, value.dtype)] * num_split
    n = len(dims)
    if a is None:
        return [TensorSpec([None] * n, value.dtype)] * num_split
    if not -n <= a < n:
        raise ValueError(f"Dimension must be in range [{-n}, {n}), but is {a}" if n else
                         "Shape must be at least rank 1 but is rank 0")
    a %= n
    d = dims[a]
    if d is not None and d % num_split:
        raise ValueError(f"Dimension size must be evenly divisible by {num_split} but is {d}")
    out = list(dims)
    out[a] = None if d is None else d // num_split
    return [TensorSpec(out, value.dtype)] * num_split


def _split_kernel(xp, axis, value, num_split):
    a = _host_int(axis)
    n = value.ndim
    if not -n <= a < n:
        raise _invalid(f"-input rank(-{n}) <= split_dim < input rank ({n}), but got {a}")
    a %= n
    if value.shape[a] % num_split:
        raise _invalid(f"Number of ways to split should evenly divide the split dimension, but got split_dim {a} "
                       f"(size = {value.shape[a]}) and num_split {num_split}")
    return tuple(xp.split(value, num_split, axis=a))


def _split_grad(op, *grads):
    return None, concat(_fill_none_grads(op, grads), op.inputs[0])


register(OpDef("Split", infer=_infer_split, kernel=_split_kernel, grad=_split_grad,
               attrs={"num_split": REQUIRED}, aliases_input=True,
               input_names=("split_dim: int32", "value: T"), output_names=("output: num_split * T",),
               attr_types={"num_split": "int >= 1", "T": "type"}))


def _resolve_split_sizes(sizes, d):
    """SplitV's sizes with the one -1 filled in, given dimension size `d` (or None)."""
    unknown = [i for i, s in enumerate(sizes) if s == -1]
    if len(unknown) > 1:
        raise ValueError(f"Only one dimensions can have a value of -1. Second one found at dimension {unknown[1]}")
    known = sum(s for s in sizes if s != -1)
    if d is None:
        return [None if s == -1 else s for s in sizes]
    if unknown:
        if known > d:
            raise ValueError(f"Determined shape must either match input shape along split_dim exactly if fully "
                             f"specified, or be less than the size of the input along split_dim if not fully "
                             f"specified.  Got: {known}")
        sizes = list(sizes)
        sizes[unknown[0]] = d - known
        return sizes
    if known != d:
        raise ValueError(f"Determined shape must either match input shape along split_dim exactly if fully "
                         f"specified, or be less than the size of the input along split_dim if not fully "
                         f"specified.  Got: {known}")
    return list(sizes)


def _infer_split_v(value, size_splits, axis, *, num_split):
    _check_int(size_splits, "size_splits", (dtypes.int32, dtypes.int64, dtypes.int8))
    _check_int(axis, "split_dim", (dtypes.int32,))
    _check_rank(axis, 0)
    _check_rank(size_splits, 1)
    if size_splits.shape.ndims == 1 and size_splits.shape.as_tuple()[0] not in (None, num_split):
        raise ValueError(f"Dimension must be {num_split} but is {size_splits.shape.as_tuple()[0]}")
    dims = value.shape.as_tuple()
    a = _const_int(axis)
    sizes = _const_list(size_splits)
    if dims is None:
        return [TensorSpec(None, value.dtype)] * num_split
    n = len(dims)
    if a is None:
        return [TensorSpec([None] * n, value.dtype)] * num_split
    if not -n <= a < n:
        raise ValueError(f"Dimension must be in range [{-n}, {n}), but is {a}" if n else
                         "Shape must be at least rank 1 but is rank 0")
    a %= n
    resolved = _resolve_split_sizes(sizes, dims[a]) if sizes is not None else [None] * num_split
    out = []
    for s in resolved:
        d = list(dims)
        d[a] = s
        out.append(TensorSpec(d, value.dtype))
    return out


def _split_v_kernel(xp, value, size_splits, axis, num_split):
    a = _host_int(axis)
    n = value.ndim
    if not -n <= a < n:
        raise _invalid(f"-input rank(-{n}) <= split_dim < input rank ({n}), but got {a}")
    a %= n
    try:
        sizes = _resolve_split_sizes(_host_ints(size_splits), value.shape[a])
    except ValueError as e:
        raise _invalid(str(e)) from None
    lead, parts, start = (slice(None),) * a, [], 0
    for s in sizes:  # views, as xp.split gives them, without its per-part swapaxes
        parts.append(value[lead + (slice(start, start + s),)])
        start += s
    return tuple(parts)


def _fuse_constant_split(op):
    """SplitV with constant sizes and axis (ConcatV2's gradient) as a step of `value` alone: the slices are
    worked out once, and a value of the expected rank and size along the axis is cut by them (the views
    the kernel gives); any other value runs the kernel, with its errors."""
    value, sizes_t, axis_t = op._inputs
    sizes, axis = sizes_t._const_value, axis_t._const_value
    if sizes is None or axis is None or np.ndim(axis) != 0 or value.shape.ndims is None:
        return None
    n, a = value.shape.ndims, int(axis)
    sizes = np.asarray(sizes).reshape(-1).tolist()
    if not -n <= a < n or -1 in sizes or any(s < 0 for s in sizes):
        return None
    a %= n
    total = sum(sizes)
    lead, cuts, start = (slice(None),) * a, [], 0
    for size in sizes:
        cuts.append(lead + (slice(start, start + size),))
        start += size
    sizes_arr, axis_arr, num_split = np.asarray(sizes_t._const_value), np.asarray(axis), op._attrs["num_split"]

    def kernel(xp, x):
        if x.ndim == n and x.shape[a] == total:
            return tuple(x[c] for c in cuts)
        return _split_v_kernel(xp, x, sizes_arr, axis_arr, num_split)

    return Fusion((value,), kernel, (sizes_t, axis_t))



def _split_v_grad(op, *grads):
    return concat(_fill_none_grads(op, grads), op.inputs[2]), None, None


register(OpDef("SplitV", infer=_infer_split_v, kernel=_split_v_kernel, grad=_split_v_grad,
               attrs={"num_split": REQUIRED}, aliases_input=True, fuse=_fuse_constant_split,
               input_names=("value: T", "size_splits: Tlen", "split_dim: int32"),
               output_names=("output: num_split * T",),
               attr_types={"num_split": "int >= 1", "T": "type", "Tlen": "type = int64"}))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Split `value` along `axis` into equal parts or parts of the given sizes (`tf.split`)."""
    if isinstance(num_or_size_splits, (numbers.Integral, Dimension)) and not isinstance(num_or_size_splits, bool):
        out = apply_op("Split", axis, value, name=name, num_split=int(num_or_size_splits))
        return out if isinstance(out, list) else [out]
    size_splits = _to_tensor(num_or_size_splits) if not isinstance(num_or_size_splits, Tensor) else num_or_size_splits
    if size_splits.shape.ndims == 0:
        raise ValueError(f"Rank-0 tensors are not supported as the num_or_size_splits argument to split. "
                         f"Argument provided: {num_or_size_splits}")
    if num is None:
        if size_splits.shape.ndims:
            num = size_splits.shape.as_tuple()[0]
        if num is None:
            raise ValueError(f"Cannot infer num from shape {num_or_size_splits}")
    out = apply_op("SplitV", value, size_splits, axis, name=name, num_split=num)
    return out if isinstance(out, list) else [out]
