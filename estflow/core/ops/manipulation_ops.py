"""Reordering and extending axes: Transpose, Tile, Pad/MirrorPad, ReverseV2, BroadcastTo, BroadcastGradientArgs.

Also the composed `tf.meshgrid`.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.array_ops import (
    _bcast_reduction_axes,
    _check_int,
    _check_rank,
    _const_list,
    _fmt,
    _host_ints,
    _ints,
    _invalid,
    _reduce_sum,
    _refine,
    _shape_arg,
    _shape_from_shape_input,
    _shape_str,
    _to_tensor,
    rank,
    reshape,
    shape,
    size,
)
from estflow.core.ops.concat_ops import stack
from estflow.core.ops.fill_ops import ones, range_
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, broadcast_shapes, register
from estflow.core.tensor_shape import as_shape


# ---- InvertPermutation, Transpose ---------------------------------------------------------------
def _invert_permutation_kernel(xp, x):
    perm = _host_ints(x)
    n = len(perm)
    seen = [False] * n
    for v in perm:
        if not 0 <= v < n:
            raise _invalid(f"{v} is not between 0 and {n}")
        if seen[v]:
            raise _invalid(f"{v} is duplicated in the input.")
        seen[v] = True
    out = [0] * n
    for i, v in enumerate(perm):
        out[v] = i
    return xp.asarray(out, dtype=x.dtype)


def _infer_invert_permutation(x):
    _check_int(x, "x")
    _check_rank(x, 1)
    return TensorSpec(x.shape if x.shape.ndims is not None else [None], x.dtype)


register(OpDef("InvertPermutation", infer=_infer_invert_permutation, kernel=_invert_permutation_kernel,
               grad=None, differentiable=False,
               input_names=("x: T",), output_names=("y: T",), attr_types={"T": "type = int32"}))


def invert_permutation(x, name=None):
    """The inverse of the permutation `x`, as `tf.invert_permutation`."""
    return apply_op("InvertPermutation", x, name=name or "InvertPermutation")


def _check_perm(perm: list[int], rank: int) -> None:
    if sorted(perm) != list(range(rank)):
        for i in range(rank):
            if i not in perm:
                raise ValueError(f"{i} is missing from {{{','.join(str(p) for p in perm)}}}.")
        raise ValueError(f"perm {perm} is not a permutation of [0, {rank}).")


def _infer_transpose(x, perm):
    _check_int(perm, "perm")
    _check_rank(perm, 1)
    n = x.shape.ndims
    p = _const_list(perm)
    if n is None and perm.shape.ndims == 1 and perm.shape.as_tuple()[0] is not None:
        n = perm.shape.as_tuple()[0]
    if n is None:
        return TensorSpec(None, x.dtype)
    if perm.shape.ndims == 1 and perm.shape.as_tuple()[0] not in (None, n):
        raise ValueError(f"Dimension must be {n} but is {perm.shape.as_tuple()[0]}")
    if p is None:
        return TensorSpec([None] * n, x.dtype)
    for v in p:
        if not -n <= v < n:
            raise ValueError(f"perm dim {v} is out of range of input rank {n}")
    p = [v % n for v in p]
    _check_perm(p, n)
    dims = x.shape.as_tuple() or (None,) * n
    return TensorSpec([dims[i] for i in p], x.dtype)


def _transpose_kernel(xp, x, perm):
    p = _host_ints(perm)
    if len(p) != x.ndim:
        raise _invalid(f"transpose expects a vector of size {x.ndim}. But input(1) is a vector of size {len(p)}")
    try:
        _check_perm([v % x.ndim if x.ndim else v for v in p], x.ndim)
    except ValueError as e:
        raise _invalid(str(e)) from None
    return xp.transpose(x, p)


def _conj_transpose_kernel(xp, x, perm):
    return xp.conj(_transpose_kernel(xp, x, perm))


register(OpDef("Transpose", infer=_infer_transpose, kernel=_transpose_kernel, aliases_input=True,
               grad=lambda op, g: (transpose(g, invert_permutation(op.inputs[1])), None),
               input_names=("x: T", "perm: Tperm"), output_names=("y: T",),
               attr_types={"T": "type", "Tperm": "type = int32"}))
register(OpDef("ConjugateTranspose", infer=_infer_transpose, kernel=_conj_transpose_kernel,
               grad=lambda op, g: (transpose(g, invert_permutation(op.inputs[1]), conjugate=True), None),
               input_names=("x: T", "perm: Tperm"), output_names=("y: T",),
               attr_types={"T": "type", "Tperm": "type = int32"}))


def transpose(a, perm=None, name="transpose", conjugate=False):
    """`a` with its axes permuted by `perm` (default: reversed), as `tf.transpose`."""
    with name_scope(name, "transpose", [a] if isinstance(a, Tensor) else None) as scope:
        a = _to_tensor(a, name="a")
        op_type = "ConjugateTranspose" if conjugate and a.dtype.is_complex else "Transpose"
        if perm is None:
            n = a.shape.ndims
            if n is None:
                r = rank(a)
                perm = apply_op("Sub", apply_op("Sub", r, 1, name="sub"), range_(0, r, 1), name="sub_1")
            else:
                perm = _ints(list(range(n - 1, -1, -1)))
        return apply_op(op_type, a, perm, name=scope)


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """Transpose the last two dimensions of `a`, as `tf.linalg.matrix_transpose`."""
    with name_scope(name, "matrix_transpose", [a] if isinstance(a, Tensor) else None):
        a = _to_tensor(a, name="a")
        n = a.shape.ndims
        if n is None:
            raise ValueError("matrix_transpose needs an input of known rank.")
        if n < 2:
            raise ValueError(f"Argument 'a' should be a (batch) matrix, with rank >= 2.  Found: {a.shape}")
        return transpose(a, list(range(n - 2)) + [n - 1, n - 2], conjugate=conjugate)


# ---- Tile ---------------------------------------------------------------------------------------
def _infer_tile(x, multiples):
    _check_int(multiples, "multiples")
    _check_rank(multiples, 1)
    n = x.shape.ndims
    m_len = multiples.shape.as_tuple()[0] if multiples.shape.ndims == 1 else None
    if n is not None and m_len is not None and n != m_len:
        raise ValueError(f"Shape must be rank {m_len} but is rank {n}")
    n = n if n is not None else m_len
    if n is None:
        return TensorSpec(None, x.dtype)
    m = _const_list(multiples)
    dims = x.shape.as_tuple() or (None,) * n
    if m is None:
        return TensorSpec([0 if d == 0 else None for d in dims], x.dtype)
    for i, v in enumerate(m):
        if v < 0:
            raise ValueError(f"Expected multiples[{i}] >= 0, but got {v}")
    return TensorSpec([None if d is None else d * k for d, k in zip(dims, m, strict=False)], x.dtype)


def _tile_kernel(xp, x, multiples):
    m = _host_ints(multiples)
    if len(m) != x.ndim:
        raise _invalid(f"Expected multiples argument to be a vector of length {x.ndim} but got length {len(m)}")
    for i, v in enumerate(m):
        if v < 0:
            raise _invalid(f"Expected multiples[{i}] >= 0, but got {v}")
    return xp.tile(x, m)


def _tile_grad(op, grad):
    x, multiples = op.inputs
    input_shape = shape(x, out_type=multiples.dtype)
    # Interleave multiples and the input shape; summing the tiled (even) axes gives x's shape.
    split_shape = reshape(transpose(stack([multiples, input_shape])), [-1])
    axes = range_(0, size(split_shape, out_type=multiples.dtype), 2)
    dx = _reduce_sum(reshape(grad, split_shape), axes)
    dx.set_shape(x.shape)
    return dx, None


register(OpDef("Tile", infer=_infer_tile, kernel=_tile_kernel, grad=_tile_grad,
               input_names=("input: T", "multiples: Tmultiples"), output_names=("output: T",),
               attr_types={"T": "type", "Tmultiples": "type = int32"}))


def tile(input, multiples, name=None):  # noqa: A002 - TF's argument name
    """`input` repeated `multiples[i]` times along each axis i, as `tf.tile`."""
    return apply_op("Tile", input, _shape_arg(multiples), name=name or "Tile")


# ---- Pad, PadV2, MirrorPad, MirrorPadGrad -------------------------------------------------------------
def _infer_pad_common(x, paddings, sign=1, mode=None):
    _check_int(paddings, "paddings")
    _check_rank(paddings, 2)
    pdims = paddings.shape.as_tuple()
    if pdims is not None and pdims[1] is not None and pdims[1] != 2:
        raise ValueError(f"Dimension must be 2 but is {pdims[1]}")
    n = x.shape.ndims
    k = pdims[0] if pdims is not None else None
    if n is not None and k is not None and n != k:
        raise ValueError(f"Shape must be rank {k} but is rank {n}")
    n = n if n is not None else k
    if n is None:
        return TensorSpec(None, x.dtype)
    dims = x.shape.as_tuple() or (None,) * n
    p = _const_list(paddings)
    if p is None:
        return TensorSpec([None] * n, x.dtype)
    out = []
    for i, d in enumerate(dims):
        before, after = p[2 * i], p[2 * i + 1]
        if before < 0 or after < 0:
            raise ValueError(f"Paddings must be non-negative: {before} {after}")
        if mode is not None and d is not None:
            limit = d if mode == "REFLECT" else d + 1
            if sign > 0 and (before >= limit or after >= limit):
                cmp = "less than" if mode == "REFLECT" else "no greater than"
                raise ValueError(f"paddings must be {cmp} the dimension size: {before}, {after} "
                                 f"{'not less than' if mode == 'REFLECT' else 'greater than'} {d}")
        out.append(None if d is None else d + sign * (before + after))
    return TensorSpec(out, x.dtype)


def _pad_widths(x, paddings):
    p = _host_ints(paddings)
    if len(p) != 2 * x.ndim:
        raise _invalid(f"The first dimension of paddings must be the rank of inputs[{len(p) // 2},2] "
                       f"{_fmt(x.shape)}")
    widths = [(p[2 * i], p[2 * i + 1]) for i in range(x.ndim)]
    for before, after in widths:
        if before < 0 or after < 0:
            raise _invalid(f"Paddings must be non-negative: {before} {after}")
    return widths


def _pad_kernel(xp, x, paddings):
    return xp.pad(x, _pad_widths(x, paddings), mode="constant")


def _pad_v2_kernel(xp, x, paddings, constant_values):
    if getattr(constant_values, "ndim", 0) != 0:
        raise _invalid(f"constant_values must be a scalar. Got: {_fmt(constant_values.shape)}")
    value = constant_values.item() if hasattr(constant_values, "item") else constant_values
    return xp.pad(x, _pad_widths(x, paddings), mode="constant", constant_values=value)


def _pad_grad(op, grad):
    from estflow.core.ops.slicing_ops import slice  # lazy: slicing_ops imports this module

    x, paddings = op.inputs[0], op.inputs[1]
    pad_before = slice(paddings, [0, 0], stack([rank(x), 1]))
    begin = reshape(pad_before, [-1])
    sizes = shape(x, out_type=begin.dtype)
    dx = slice(grad, begin, sizes)
    return (dx, None) if len(op.inputs) == 2 else (dx, None, None)


def _infer_pad_v2(x, paddings, constant_values):
    _check_rank(constant_values, 0)
    return _infer_pad_common(x, paddings)


register(OpDef("Pad", infer=lambda x, p: _infer_pad_common(x, p), kernel=_pad_kernel, grad=_pad_grad,
               input_names=("input: T", "paddings: Tpaddings"), output_names=("output: T",),
               attr_types={"T": "type", "Tpaddings": "type = int32"}))
register(OpDef("PadV2", infer=_infer_pad_v2, kernel=_pad_v2_kernel, grad=_pad_grad, same_dtype=(0, 2),
               input_names=("input: T", "paddings: Tpaddings", "constant_values: T"), output_names=("output: T",),
               attr_types={"T": "type", "Tpaddings": "type = int32"}))


def _check_mirror_widths(x_shape, widths, mode):
    for d, (before, after) in zip(x_shape, widths, strict=False):
        if mode == "REFLECT" and (before >= d or after >= d):
            raise _invalid(f"paddings must be less than the dimension size: {before}, {after} not less than {d}")
        if mode == "SYMMETRIC" and (before > d or after > d):
            raise _invalid(f"paddings must be no greater than the dimension size: {before}, {after} "
                           f"greater than {d}")


def _mirror_pad_kernel(xp, x, paddings, mode):
    widths = _pad_widths(x, paddings)
    _check_mirror_widths(x.shape, widths, mode)
    return xp.pad(x, widths, mode="reflect" if mode == "REFLECT" else "symmetric")


def _axis_slice(ndim, axis, sl):
    index = [builtins.slice(None)] * ndim
    index[axis] = sl
    return tuple(index)


def _mirror_pad_grad_kernel(xp, grad, paddings, mode):
    """Fold the mirrored borders of `grad` back onto the positions they were copied from."""
    p = _host_ints(paddings)
    out = grad
    offset = 1 if mode == "REFLECT" else 0
    for axis in range(grad.ndim):
        before, after = p[2 * axis], p[2 * axis + 1]
        d = out.shape[axis] - before - after
        core = out[_axis_slice(out.ndim, axis, builtins.slice(before, before + d))].copy()
        if before:
            flipped = xp.flip(out[_axis_slice(out.ndim, axis, builtins.slice(0, before))], axis=axis)
            core[_axis_slice(out.ndim, axis, builtins.slice(offset, offset + before))] += flipped
        if after:
            flipped = xp.flip(out[_axis_slice(out.ndim, axis, builtins.slice(before + d, None))], axis=axis)
            core[_axis_slice(out.ndim, axis, builtins.slice(d - offset - after, d - offset))] += flipped
        out = core
    return out


register(OpDef(
    "MirrorPad", infer=lambda x, p, mode: _infer_pad_common(x, p, mode=mode), kernel=_mirror_pad_kernel,
    grad=lambda op, g: (apply_op("MirrorPadGrad", g, op.inputs[1], mode=op.get_attr("mode"), name="MirrorPadGrad"),
                        None),
    attrs={"mode": REQUIRED},
    input_names=("input: T", "paddings: Tpaddings"), output_names=("output: T",),
    attr_types={"T": "type", "Tpaddings": "type = int32", "mode": "string"},
))
register(OpDef(
    "MirrorPadGrad", infer=lambda g, p, mode: _infer_pad_common(g, p, sign=-1), kernel=_mirror_pad_grad_kernel,
    grad=lambda op, g: (apply_op("MirrorPad", g, op.inputs[1], mode=op.get_attr("mode"), name="MirrorPad"), None),
    attrs={"mode": REQUIRED},
    input_names=("input: T", "paddings: Tpaddings"), output_names=("output: T",),
    attr_types={"T": "type", "Tpaddings": "type = int32", "mode": "string"},
))


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """`tensor` padded by `paddings` ([rank, 2]) with a constant or mirrored values, as `tf.pad`."""
    mode = mode.upper()
    if not isinstance(paddings, Tensor):
        paddings = _to_tensor(paddings, name="paddings")
    if mode == "CONSTANT":
        if not isinstance(constant_values, Tensor) and np.all(np.asarray(constant_values) == 0):
            out = apply_op("Pad", tensor, paddings, name=name or "Pad")
        else:
            out = apply_op("PadV2", tensor, paddings, constant_values, name=name or "PadV2")
    elif mode in ("REFLECT", "SYMMETRIC"):
        out = apply_op("MirrorPad", tensor, paddings, mode=mode, name=name or "MirrorPad")
    else:
        raise ValueError(f"Unknown padding mode: {mode}")
    return out


# ---- ReverseV2, BroadcastTo --------------------------------------------------------------------------
def _reverse_axes(axes, n):
    out = []
    for a in axes:
        if not -n <= a < n:
            raise ValueError(f"'axis'[{len(out)}] = {a} is out of valid range [0, {n - 1}]")
        a %= n
        if a in out:
            raise ValueError(f"axis {a} specified more than once.")
        out.append(a)
    return out


def _infer_reverse(x, axis):
    _check_int(axis, "axis")
    _check_rank(axis, 1)
    a = _const_list(axis)
    if a is not None and x.shape.ndims is not None:
        _reverse_axes(a, x.shape.ndims)
    return TensorSpec(x.shape, x.dtype)


def _reverse_kernel(xp, x, axis):
    try:
        axes = _reverse_axes(_host_ints(axis), x.ndim)
    except ValueError as e:
        raise _invalid(str(e)) from None
    return xp.flip(x, axis=tuple(axes)) if axes else x


register(OpDef("ReverseV2", infer=_infer_reverse, kernel=_reverse_kernel, aliases_input=True,
               grad=lambda op, g: (reverse(g, op.inputs[1]), None),
               input_names=("tensor: T", "axis: Tidx"), output_names=("output: T",),
               attr_types={"Tidx": "type = int32", "T": "type"}))


def reverse(tensor, axis, name=None):
    """`tensor` with the order of `axis` dimensions reversed, as `tf.reverse`."""
    return apply_op("ReverseV2", tensor, _shape_arg(axis), name=name or "ReverseV2")


reverse_v2 = reverse


def _broadcast_to_dims(src, target):
    """Static output dims of broadcasting `src` to `target`, or ValueError."""
    if len(target) < len(src):
        raise ValueError(f"Rank of input ({len(src)}) must be no greater than rank of output shape "
                         f"({len(target)}).")
    padded = [1] * (len(target) - len(src)) + list(src)
    out = []
    for s, t in zip(padded, target, strict=False):
        if t is None:
            out.append(s if s not in (None, 1) else None)
        elif s is None or s == t or s == 1:
            out.append(t)
        else:
            raise ValueError(f"Incompatible shapes: {_fmt(src)} vs. {_fmt(target)}")
    return out


def _infer_broadcast_to(x, shape_spec):
    _check_int(shape_spec, "shape")
    _check_rank(shape_spec, 1)
    target = _shape_from_shape_input(shape_spec)
    if target.ndims is None:
        return TensorSpec(None, x.dtype)
    if x.shape.ndims is None:
        return TensorSpec(target, x.dtype)
    return TensorSpec(_broadcast_to_dims(x.shape.as_tuple(), target.as_tuple()), x.dtype)


_FILL_BROADCAST = 4096  # up to this many values, a numpy BroadcastTo fills a new array (numpy's broadcast_to
# builds an nditer: ~9 us in a training step where a fill costs ~2; a view saves memory only when large)


def _broadcast_to_kernel(xp, x, shape_arr):
    target = _host_ints(shape_arr)
    try:
        _broadcast_to_dims(x.shape, target)
    except ValueError as e:
        raise _invalid(str(e)) from None
    if xp is np and x.__class__ is np.ndarray and x.size and math.prod(target) <= _FILL_BROADCAST:
        out = np.empty(target, dtype=x.dtype)
        out[...] = x  # the same values (a copy: a broadcast view is read-only, this is not shared)
        return out
    return xp.broadcast_to(x, target)


def _broadcast_to_grad(op, grad):
    x, target = op.inputs
    x_shape = shape(x, out_type=target.dtype)
    _, axes = broadcast_gradient_args(target, x_shape)
    summed = _reduce_sum(grad, axes, keep_dims=True)
    return reshape(summed, x_shape), None


register(OpDef("BroadcastTo", infer=_infer_broadcast_to, kernel=_broadcast_to_kernel, grad=_broadcast_to_grad,
               aliases_input=True,
               input_names=("input: T", "shape: Tidx"), output_names=("output: T",),
               attr_types={"T": "type", "Tidx": "type = int32"}))


def broadcast_to(input, shape, name=None):  # noqa: A002 - TF's argument name
    """`input` broadcast (numpy rules) to `shape`, as `tf.broadcast_to`."""
    shape_t = _shape_arg(shape)
    return _refine(apply_op("BroadcastTo", input, shape_t, name=name or "BroadcastTo"), shape_t)


def broadcast_static_shape(shape_x, shape_y):
    """The broadcast of two static shapes, as `tf.broadcast_static_shape`."""
    return broadcast_shapes(as_shape(shape_x), as_shape(shape_y))


# ---- BroadcastGradientArgs ----------------------------------------------------------------
def _infer_bcast_args(s0, s1):
    _check_rank(s0, 1)
    _check_rank(s1, 1)
    a, b = _const_list(s0), _const_list(s1)
    if a is not None and b is not None and _bcast_reduction_axes(a, b) is None:
        raise ValueError(f"Incompatible shapes: {_shape_str(a)} vs. {_shape_str(b)}")
    return [TensorSpec([None], s0.dtype), TensorSpec([None], s0.dtype)]


def _bcast_args_kernel(xp, s0, s1):
    a, b = _host_ints(s0), _host_ints(s1)
    axes = _bcast_reduction_axes(a, b)
    if axes is None:
        raise _invalid(f"Incompatible shapes: {_shape_str(a)} vs. {_shape_str(b)}")
    return tuple(xp.asarray(r, dtype=s0.dtype) for r in axes)


register(OpDef(
    "BroadcastGradientArgs", infer=_infer_bcast_args, kernel=_bcast_args_kernel, grad=None,
    differentiable=False, same_dtype="all",
    input_names=("s0: T", "s1: T"), output_names=("r0: T", "r1: T"), attr_types={"T": "type = int32"},
))


def broadcast_gradient_args(s0, s1, name=None):
    """(r0, r1): the axes to sum the gradients of `s0 op s1` over (TF's raw op)."""
    return tuple(apply_op("BroadcastGradientArgs", s0, s1, name=name or "BroadcastGradientArgs"))


# ---- meshgrid (composed) ----------------------------------------------------------------------
def meshgrid(*args, **kwargs):
    """Coordinate grids from 1-D tensors (`indexing` "xy" or "ij"), as `tf.meshgrid`."""
    indexing = kwargs.pop("indexing", "xy")
    name = kwargs.pop("name", "meshgrid")
    if kwargs:
        key = list(kwargs)[0]
        raise TypeError(f"'{key}' is an invalid keyword argument for this function")
    if indexing not in ("xy", "ij"):
        raise ValueError("indexing parameter must be either 'xy' or 'ij'")
    with name_scope(name, "meshgrid", [a for a in args if isinstance(a, Tensor)] or None):
        ndim = len(args)
        s0 = (1,) * ndim
        output = [reshape(stack(x), s0[:i] + (-1,) + s0[i + 1:]) for i, x in enumerate(args)]
        shapes = [size(x) for x in args]
        output_dtype = _to_tensor(args[0]).dtype
        if indexing == "xy" and ndim > 1:
            output[0] = reshape(output[0], (1, -1) + (1,) * (ndim - 2))
            output[1] = reshape(output[1], (-1, 1) + (1,) * (ndim - 2))
            shapes[0], shapes[1] = shapes[1], shapes[0]
        mult_fact = ones(stack(shapes), output_dtype)
        return [x * mult_fact for x in output]
