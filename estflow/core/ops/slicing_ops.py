"""Slicing: Slice, StridedSlice(+Grad) and `Tensor.__getitem__` (`tensor[1:, ..., tf.newaxis]`).

numpy is imported for build-time work only (converting Python index expressions); kernels
use the `xp` they are given.
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.array_ops import (
    _INDEX_TYPES,
    _cast,
    _check_int,
    _check_rank,
    _const_list,
    _fmt,
    _host_ints,
    _ints,
    _invalid,
    _shape_arg,
    _shape_from_shape_input,
    reshape,
    shape,
)
from estflow.core.ops.concat_ops import concat, stack
from estflow.core.ops.fill_ops import ones_like
from estflow.core.ops.gather_ops import boolean_mask
from estflow.core.ops.manipulation_ops import pad
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import Dimension, TensorShape

newaxis = None  # `tf.newaxis`


# ---- Slice ---------------------------------------------------------------------------------
def _slice_bounds(dims, begin, size):
    """Output dims of Slice; `dims` entries and begin/size values may be None."""
    out = []
    for i, d in enumerate(dims):
        b, s = begin[i], size[i]
        if b is not None and d is not None and not 0 <= b <= d:
            raise ValueError(f"Expected begin[{i}] in [0, {d}], but got {b}")
        if s is None:
            out.append(None)
        elif s == -1:
            out.append(None if d is None or b is None else d - b)
        else:
            if s < -1 or (d is not None and b is not None and s > d - b):
                raise ValueError(f"Expected size[{i}] in [0, {'?' if d is None or b is None else d - b}], "
                                 f"but got {s}")
            out.append(s)
    return out


def _infer_slice(x, begin, size):
    _check_int(begin, "begin")
    _check_rank(begin, 1)
    _check_rank(size, 1)
    nb = begin.shape.as_tuple()[0] if begin.shape.ndims == 1 else None
    ns = size.shape.as_tuple()[0] if size.shape.ndims == 1 else None
    if nb is not None and ns is not None and nb != ns:
        raise ValueError(f"Dimensions must be equal, but are {nb} and {ns}")
    n = x.shape.ndims
    k = nb if nb is not None else ns
    if n is not None and k is not None and n != k:
        raise ValueError(f"Shape must be rank {k} but is rank {n}")
    n = n if n is not None else k
    if n is None:
        return TensorSpec(None, x.dtype)
    dims = x.shape.as_tuple() or (None,) * n
    b = _const_list(begin) or [None] * n
    s = _const_list(size) or [None] * n
    return TensorSpec(_slice_bounds(dims, b, s), x.dtype)


def _slice_kernel(xp, x, begin, size):
    b, s = _host_ints(begin), _host_ints(size)
    if len(b) != x.ndim or len(s) != x.ndim:
        raise _invalid(f"Expected begin and size arguments to be 1-D tensors of size {x.ndim}, but got shapes "
                       f"[{len(b)}] and [{len(s)}] instead.")
    try:
        sizes = _slice_bounds(x.shape, b, s)
    except ValueError as e:
        raise _invalid(str(e)) from None
    return x[tuple(builtins.slice(bi, bi + si) for bi, si in zip(b, sizes, strict=False))]


def _slice_grad(op, grad):
    x, begin = op.inputs[0], op.inputs[1]
    n = x.shape.ndims
    before = reshape(begin, [-1, 1] if n is None else [n, 1])
    after = reshape(shape(x, out_type=begin.dtype) - shape(op.outputs[0], out_type=begin.dtype) - begin,
                    [-1, 1] if n is None else [n, 1])
    return pad(grad, concat([before, after], 1)), None, None


register(OpDef("Slice", infer=_infer_slice, kernel=_slice_kernel, grad=_slice_grad, aliases_input=True,
               same_dtype=(1, 2),
               input_names=("input: T", "begin: Index", "size: Index"), output_names=("output: T",),
               attr_types={"T": "type", "Index": "type"}))


def slice(input_, begin, size, name=None):  # noqa: A001 - TF's public name
    """The `size`-shaped block of `input_` starting at `begin` (-1: to the end), as `tf.slice`."""
    return apply_op("Slice", input_, _shape_arg(begin), _shape_arg(size), name=name or "Slice")

# ---- StridedSlice, StridedSliceGrad, Tensor.__getitem__ ----------------------------------------------
_STRIDED_MASKS = ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")


def _sparse_spec(begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask):
    """TF's sparse slice spec as entries: ("...",), ("new",), ("shrink", b), ("slice", b, e, s).

    `b`/`e` are None where masked; unknown values are `_UNKNOWN`. Ellipsis wins over new
    axis, and new axis over shrink, as in TF's BuildDenseSpec.
    """
    entries = []
    seen_ellipsis = False
    for i in range(len(begin)):
        bit = 1 << i
        if ellipsis_mask & bit:
            if seen_ellipsis:
                raise ValueError("Multiple ellipses in slice spec not allowed")
            seen_ellipsis = True
            entries.append(("...",))
        elif new_axis_mask & bit:
            entries.append(("new",))
        elif shrink_axis_mask & bit:
            entries.append(("shrink", begin[i], i))
        else:
            entries.append(("slice", None if begin_mask & bit else begin[i], None if end_mask & bit else end[i],
                            strides[i], i))
    if not seen_ellipsis:
        entries.append(("...",))
    return entries


class _Unknown:
    def __repr__(self):
        return "?"


_UNKNOWN = _Unknown()


def _dense_entries(entries, rank: int):
    """Pair each entry with its input dimension (ellipsis expanded); newaxis has none."""
    consuming = sum(1 for e in entries if e[0] in ("shrink", "slice"))
    if consuming > rank:
        raise ValueError(f"Index out of range using input dim {rank}; input has only {rank} dims")
    out = []
    dim = 0
    for e in entries:
        if e[0] == "...":
            for _ in range(rank - consuming):
                out.append((("slice", None, None, 1, None), dim))
                dim += 1
        elif e[0] == "new":
            out.append((e, None))
        else:
            out.append((e, dim))
            dim += 1
    return out


def _strided_output_dims(dims, entries, check=True):
    """Output dims of a strided slice of `dims` (entries of `dims` may be None)."""
    out = []
    for e, d_index in _dense_entries(entries, len(dims)):
        if e[0] == "new":
            out.append(1)
            continue
        d = dims[d_index]
        if e[0] == "shrink":
            b = e[1]
            if d is not None and b is not _UNKNOWN and not -d <= b < d:
                raise ValueError(f"slice index {b} of dimension {d_index} out of bounds.")
            continue
        _, b, end, s, sparse_i = e
        if s is _UNKNOWN:
            out.append(None)
            continue
        if s == 0:
            raise ValueError(f"strides[{sparse_i}] must be non-zero")
        if d is None or b is _UNKNOWN or end is _UNKNOWN:
            out.append(None)
            continue
        out.append(len(range(*builtins.slice(b, end, s).indices(d))))
    return out


def _masks(attrs):
    return tuple(attrs[k] for k in _STRIDED_MASKS)


def _strided_values(begin, end, strides):
    """Begin/end/strides specs as lists (unknown entries `_UNKNOWN`), or None when their length is unknown."""
    lengths = {s.shape.as_tuple()[0] for s in (begin, end, strides) if s.shape.ndims == 1} - {None}
    if len(lengths) > 1:
        raise ValueError(f"Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
                         f"{_fmt(begin.shape.as_tuple())}, {_fmt(end.shape.as_tuple())}, and "
                         f"{_fmt(strides.shape.as_tuple())} instead.")
    if not lengths:
        return None
    n = lengths.pop()
    return [_const_list(s) or [_UNKNOWN] * n for s in (begin, end, strides)]


def _infer_strided_slice(x, begin, end, strides, **attrs):
    for spec, name in ((begin, "begin"), (end, "end"), (strides, "strides")):
        _check_int(spec, name)
        _check_rank(spec, 1)
    values = _strided_values(begin, end, strides)
    dims = x.shape.as_tuple()
    if values is None or dims is None:
        return TensorSpec(None, x.dtype)
    entries = _sparse_spec(*values, *_masks(attrs))
    return TensorSpec(_strided_output_dims(dims, entries), x.dtype)


def _strided_index(shape, begin, end, strides, masks):
    """The numpy index tuple equal to a strided slice, after TF's checks (InvalidArgumentError)."""
    b, e, s = _host_ints(begin), _host_ints(end), _host_ints(strides)
    key = (tuple(shape), tuple(b), tuple(e), tuple(s), masks)
    index = _INDEX_CACHE.get(key)
    if index is not None:
        return index
    index = _strided_index_uncached(shape, b, e, s, masks)
    if len(_INDEX_CACHE) >= _INDEX_CACHE_SIZE:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = index
    return index


# Steps slice the same shapes with the same constants every run: their numpy index tuples are
# remembered (only valid ones; a failing spec raises every time), keyed by everything they depend on.
_INDEX_CACHE: dict = {}
_INDEX_CACHE_SIZE = 4096


def _strided_index_uncached(shape, b, e, s, masks):
    if not len(b) == len(e) == len(s):
        raise _invalid(f"Expected begin, end, and strides to be 1D equal size tensors, but got shapes "
                       f"[{len(b)}], [{len(e)}], and [{len(s)}] instead.")
    try:
        entries = _sparse_spec(b, e, s, *masks)
        _strided_output_dims(tuple(shape), entries)
    except ValueError as err:
        raise _invalid(str(err)) from None
    index = []
    for entry in entries:
        kind = entry[0]
        if kind == "...":
            index.append(Ellipsis)
        elif kind == "new":
            index.append(None)
        elif kind == "shrink":
            index.append(entry[1])
        else:
            index.append(builtins.slice(entry[1], entry[2], entry[3]))
    return tuple(index)


def _strided_slice_kernel(xp, x, begin, end, strides, **attrs):
    return x[_strided_index(x.shape, begin, end, strides, _masks(attrs))]


def _strided_slice_grad(op, grad):
    x = op.inputs[0]
    begin, end, strides = op.inputs[1:]
    dx = apply_op("StridedSliceGrad", shape(x, out_type=begin.dtype), begin, end, strides, grad,
                  name="StridedSliceGrad", **{k: op.get_attr(k) for k in _STRIDED_MASKS})
    return dx, None, None, None


_MASK_ATTRS = {k: 0 for k in _STRIDED_MASKS}

register(OpDef("StridedSlice", infer=_infer_strided_slice, kernel=_strided_slice_kernel, grad=_strided_slice_grad,
               attrs=dict(_MASK_ATTRS), same_dtype=(1, 2, 3), aliases_input=True,
               input_names=("input: T", "begin: Index", "end: Index", "strides: Index"), output_names=("output: T",),
               attr_types={"T": "type", "Index": "type", "begin_mask": "int", "end_mask": "int",
                           "ellipsis_mask": "int", "new_axis_mask": "int", "shrink_axis_mask": "int"}))


def _infer_strided_slice_grad(shape_spec, begin, end, strides, dy, **attrs):
    _check_rank(shape_spec, 1)
    out = _shape_from_shape_input(shape_spec)
    if out.ndims is not None:
        _infer_strided_slice(TensorSpec(out, dy.dtype), begin, end, strides, **attrs)
    return TensorSpec(out, dy.dtype)


def _strided_slice_grad_kernel(xp, shape_arr, begin, end, strides, dy, **attrs):
    dims = _host_ints(shape_arr)
    out = xp.zeros(dims, dtype=dy.dtype)
    index = _strided_index(dims, begin, end, strides, _masks(attrs))
    out[index] = xp.reshape(dy, out[index].shape)
    return out


register(OpDef(
    "StridedSliceGrad", infer=_infer_strided_slice_grad, kernel=_strided_slice_grad_kernel,
    grad=lambda op, g: (None, None, None, None, strided_slice(
        g, op.inputs[1], op.inputs[2], op.inputs[3], **{k: op.get_attr(k) for k in _STRIDED_MASKS})),
    attrs=dict(_MASK_ATTRS), same_dtype=(0, 1, 2, 3),
    input_names=("shape: Index", "begin: Index", "end: Index", "strides: Index", "dy: T"),
    output_names=("output: T",),
    attr_types={"T": "type", "Index": "type", "begin_mask": "int", "end_mask": "int", "ellipsis_mask": "int",
                "new_axis_mask": "int", "shrink_axis_mask": "int"},
))


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    """A strided slice of `input_` (numpy basic indexing spelled with masks), as `tf.strided_slice`.

    `var` is the variable `input_` reads, which TF1 uses to give the result an `.assign`
    (StridedSliceAssign); estflow has no sliced assignment, so the result has none, and the
    slice itself is the same either way.
    """
    begin, end = _shape_arg(begin), _shape_arg(end)
    if strides is None:
        strides = ones_like(begin)
    return apply_op("StridedSlice", input_, begin, end, _shape_arg(strides), name=name or "StridedSlice",
                    begin_mask=begin_mask, end_mask=end_mask, ellipsis_mask=ellipsis_mask,
                    new_axis_mask=new_axis_mask, shrink_axis_mask=shrink_axis_mask)


_SLICE_TYPE_ERROR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
                     "tf.int32/tf.int64 tensors are valid indices")


def _check_index(idx) -> None:
    """TF1's check: ints, Dimensions and scalar int32/int64 tensors index a tensor."""
    if isinstance(idx, (numbers.Integral, Dimension)):
        if isinstance(idx, Dimension) and idx.value is None:
            raise TypeError(f"{_SLICE_TYPE_ERROR}, got {idx!r}")
        return
    dtype = getattr(idx, "dtype", None)
    try:
        ok = dtype is not None and dtypes.as_dtype(dtype) in _INDEX_TYPES
    except TypeError:
        ok = False
    dims = getattr(idx, "shape", None)
    if isinstance(dims, TensorShape):
        dims = dims.as_tuple()
    if not ok or (dims is not None and len(dims) == 1):
        raise TypeError(f"{_SLICE_TYPE_ERROR}, got {idx!r}")


def _is_undefined_dimension(d) -> bool:
    return isinstance(d, Dimension) and d.value is None


def _index_value(v):
    return v.value if isinstance(v, Dimension) else v


def _slice_helper(tensor, slice_spec, var=None):
    """`tensor[slice_spec]` with TF1's semantics: a StridedSlice named "strided_slice"."""
    if (isinstance(slice_spec, bool) or (isinstance(slice_spec, Tensor) and slice_spec.dtype == dtypes.bool)
            or (isinstance(slice_spec, np.ndarray) and slice_spec.dtype == bool)):
        return boolean_mask(tensor=tensor, mask=slice_spec)
    if not isinstance(slice_spec, (list, tuple)):
        slice_spec = [slice_spec]
    begin, end, strides = [], [], []
    begin_mask = end_mask = ellipsis_mask = new_axis_mask = shrink_axis_mask = 0
    for index, s in enumerate(slice_spec):
        if isinstance(s, builtins.slice):
            if s.start is not None and not _is_undefined_dimension(s.start):
                _check_index(s.start)
                begin.append(_index_value(s.start))
            else:
                begin.append(0)
                begin_mask |= 1 << index
            if s.stop is not None and not _is_undefined_dimension(s.stop):
                _check_index(s.stop)
                end.append(_index_value(s.stop))
            else:
                end.append(0)
                end_mask |= 1 << index
            if s.step is not None and not _is_undefined_dimension(s.step):
                _check_index(s.step)
                strides.append(_index_value(s.step))
            else:
                strides.append(1)
        elif s is Ellipsis:
            begin.append(0)
            end.append(0)
            strides.append(1)
            ellipsis_mask |= 1 << index
        elif s is None:
            begin.append(0)
            end.append(0)
            strides.append(1)
            new_axis_mask |= 1 << index
        else:
            _check_index(s)
            s = _index_value(s)
            begin.append(s)
            end.append(s + 1)
            strides.append(1)
            shrink_axis_mask |= 1 << index
    values = [tensor] + [v for v in begin + end + strides if isinstance(v, Tensor)]
    with name_scope(None, "strided_slice", values) as name:
        if begin:
            packed = [stack(begin), stack(end), stack(strides)]
            if any(p.dtype == dtypes.int64 for p in packed):
                packed = [_cast(p, dtypes.int64) for p in packed]
        else:
            empty = _ints([], dtypes.int32)
            packed = [empty, empty, empty]
        return strided_slice(tensor, *packed, begin_mask=begin_mask, end_mask=end_mask,
                             ellipsis_mask=ellipsis_mask, new_axis_mask=new_axis_mask,
                             shrink_axis_mask=shrink_axis_mask, var=var, name=name)


Tensor._override_operator("__getitem__", _slice_helper)
