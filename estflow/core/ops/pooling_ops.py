"""Pooling and local response normalization: MaxPool, AvgPool (2-D and 3-D), MaxPoolV2,
MaxPoolWithArgmax, LRN and their gradient ops.

The windows come from conv_ops' im2col (`patches`: one strided slice per window tap), so a
pool is one reduction over the tap axis and a gradient one strided add per tap. MaxPool's
gradient routes each output's gradient to the first maximum of its window (TF's choice);
AvgPool divides by the number of real (unpadded) elements of each window, as TF does.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import manipulation_ops, scatter_kernels
from estflow.core.ops.array_ops import shape as _shape
from estflow.core.ops.conv_ops import (
    check_dtype,
    check_format_lists,
    from_channels_last,
    geometry,
    normalize_list,
    out_size,
    scatter_taps,
    shape_channels_last,
    shape_in_format,
    spatial_of,
    tap_views,
    to_channels_last,
)
from estflow.core.ops.fill_ops import zeros_like
from estflow.core.ops.unary_ops import negative
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, get_op_def, register
from estflow.core.tensor_shape import TensorShape

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_REAL = _FLOATS + (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16,
                   dtypes.uint32, dtypes.uint64)


# ================================================================================================
# Shared window machinery
# ================================================================================================
def _pool_geometry(in_last, ksize, strides, padding, data_format, explicit_paddings=()):
    nd = len(in_last) - 2
    explicit = None
    if padding == "EXPLICIT":
        pairs = [tuple(explicit_paddings[2 * i:2 * i + 2]) for i in range(nd + 2)]
        explicit = spatial_of(pairs, data_format)
    return geometry(in_last[1:-1], spatial_of(ksize, data_format), spatial_of(strides, data_format), [1] * nd,
                    padding, explicit)


# NOTE: pools never build the (N, *out, taps, C) im2col array: a reduction over the taps runs as one
# elementwise pass per tap over output-sized views, which reads the input once and copies nothing.
def _views(xp, x_last, ksize, strides, geo, data_format, pad_value):
    nd = x_last.ndim - 2
    return tap_views(xp, x_last, spatial_of(ksize, data_format), spatial_of(strides, data_format), [1] * nd, geo,
                     pad_value)


def _lowest(xp, dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _first_max(xp, x_last, ksize, strides, geo, data_format):
    """Each window's maximum and the tap index of its first maximum (TF's choice on ties): (N, *out, C) each."""
    views = _views(xp, x_last, ksize, strides, geo, data_format, _lowest(xp, x_last.dtype))
    best = views[0]
    first = xp.zeros(best.shape, dtype=xp.int64)
    for j, view in enumerate(views[1:], 1):
        better = view > best
        best = xp.where(better, view, best)
        first = xp.where(better, j, first)
    return best, first


def _pool_sum(xp, x_last, ksize, strides, geo, data_format):
    views = _views(xp, x_last, ksize, strides, geo, data_format, 0)
    total = views[0].copy()
    for view in views[1:]:
        total += view
    return total


def _scatter_pool(xp, tap_values, in_last, ksize, strides, geo, data_format, dtype):
    nd = len(in_last) - 2
    return scatter_taps(xp, tap_values, in_last, spatial_of(ksize, data_format), spatial_of(strides, data_format),
                        [1] * nd, geo, dtype)


def _pool_infer(nd, allowed):
    def infer(value, *, ksize, strides, padding, data_format, explicit_paddings=(), **_):
        check_dtype(value, allowed, "input")
        check_format_lists(nd, data_format, ksize=ksize, strides=strides)
        rank = nd + 2
        if value.shape.ndims is not None and value.shape.ndims != rank:
            raise ValueError(f"Shape must be rank {rank} but is rank {value.shape.ndims}")
        in_last = shape_channels_last(value.shape.as_tuple() or (None,) * rank, data_format)
        ks, ss = spatial_of(ksize, data_format), spatial_of(strides, data_format)
        pads = [None] * nd
        if padding == "EXPLICIT":
            pairs = [tuple(explicit_paddings[2 * i:2 * i + 2]) for i in range(rank)]
            pads = spatial_of(pairs, data_format)
        out = [out_size(in_last[1 + i], ks[i], ss[i], 1, padding, pads[i]) for i in range(nd)]
        return TensorSpec(TensorShape(shape_in_format([in_last[0]] + out + [in_last[-1]], data_format)), value.dtype)

    return infer


def _pool_attrs(op):
    return {name: op.get_attr(name) for name in get_op_def(op.type).attrs}


# ================================================================================================
# MaxPool, MaxPool3D, their Grad and GradGrad ops
# ================================================================================================
def _max_pool_kernel(xp, input, ksize, strides, padding, data_format, explicit_paddings=()):
    x = to_channels_last(xp, input, data_format)
    geo = _pool_geometry(list(x.shape), ksize, strides, padding, data_format, explicit_paddings)
    views = _views(xp, x, ksize, strides, geo, data_format, _lowest(xp, x.dtype))
    out = views[0].copy()
    for view in views[1:]:
        xp.maximum(out, view, out=out)
    return from_channels_last(xp, out, data_format)


def _max_pool_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding, data_format,
                          explicit_paddings=()):
    x = to_channels_last(xp, orig_input, data_format)
    dy = to_channels_last(xp, grad, data_format)
    in_last = [int(d) for d in x.shape]
    geo = _pool_geometry(in_last, ksize, strides, padding, data_format, explicit_paddings)
    _, first = _first_max(xp, x, ksize, strides, geo, data_format)
    zero = xp.zeros((), dtype=dy.dtype)
    dx = _scatter_pool(xp, lambda j: xp.where(first == j, dy, zero), in_last, ksize, strides, geo, data_format,
                       dy.dtype)
    return from_channels_last(xp, dx, data_format)


def _max_pool_grad_grad_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding, data_format):
    """The gradient `grad` (input-shaped) read at each window's first maximum: output-shaped."""
    x = to_channels_last(xp, orig_input, data_format)
    g = to_channels_last(xp, grad, data_format)
    geo = _pool_geometry(list(x.shape), ksize, strides, padding, data_format)
    _, first = _first_max(xp, x, ksize, strides, geo, data_format)
    views = _views(xp, g, ksize, strides, geo, data_format, 0)
    picked = views[0]
    for j, view in enumerate(views[1:], 1):
        picked = xp.where(first == j, view, picked)
    return from_channels_last(xp, xp.ascontiguousarray(picked), data_format)


def _grad_infer(allowed, like_index):
    """A pooling gradient op whose output has the shape of input `like_index` and `grad`'s dtype."""
    def infer(orig_input, orig_output, grad, **_):
        check_dtype(grad, allowed, "grad")
        return TensorSpec(TensorShape((orig_input, orig_output)[like_index].shape), grad.dtype)

    return infer


def _max_pool_grad(grad_op):
    def grad(op, g):
        attrs = _pool_attrs(op)
        return apply_op(grad_op, op.inputs[0], op.outputs[0], g, name=grad_op, **attrs)

    return grad


def _max_pool_grad_grad(second):
    """MaxPoolGrad <-> MaxPoolGradGrad: each is linear in `grad`, and the other is its transpose."""
    def grad(op, g):
        x, y, _ = op.inputs
        attrs = {k: v for k, v in _pool_attrs(op).items() if k in get_op_def(second).attrs}
        return zeros_like(x), zeros_like(y), apply_op(second, x, y, g, name=second, **attrs)

    return grad


_2D_POOL_ATTRS = {"ksize": REQUIRED, "strides": REQUIRED, "padding": REQUIRED, "data_format": "NHWC"}
_2D_POOL_TYPES = {"T": "type", "ksize": "list(int) >= 4", "strides": "list(int) >= 4", "padding": "string",
                  "data_format": "string"}
_3D_POOL_ATTRS = dict(_2D_POOL_ATTRS, data_format="NDHWC")
_3D_POOL_TYPES = {"T": "type", "ksize": "list(int) >= 5", "strides": "list(int) >= 5", "padding": "string",
                  "data_format": "string"}
_EXPLICIT = {"explicit_paddings": []}

register(OpDef("MaxPool", infer=_pool_infer(2, _REAL), kernel=_max_pool_kernel, grad=_max_pool_grad("MaxPoolGrad"),
               attrs=dict(_2D_POOL_ATTRS, **_EXPLICIT), input_names=("input: T",), output_names=("output: T",),
               attr_types=dict(_2D_POOL_TYPES, T="type = float", explicit_paddings="list(int)")))
register(OpDef("MaxPoolGrad", infer=_grad_infer(_REAL, 0), kernel=_max_pool_grad_kernel,
               grad=_max_pool_grad_grad("MaxPoolGradGrad"), attrs=dict(_2D_POOL_ATTRS, **_EXPLICIT), same_dtype="all",
               broadcasts=False, input_names=("orig_input: T", "orig_output: T", "grad: T"),
               output_names=("output: T",),
               attr_types=dict(_2D_POOL_TYPES, T="type = float", explicit_paddings="list(int)")))
register(OpDef("MaxPoolGradGrad", infer=_grad_infer(_REAL, 1), kernel=_max_pool_grad_grad_kernel,
               grad=_max_pool_grad_grad("MaxPoolGrad"), attrs=dict(_2D_POOL_ATTRS), same_dtype="all",
               broadcasts=False, input_names=("orig_input: T", "orig_output: T", "grad: T"),
               output_names=("output: T",), attr_types=dict(_2D_POOL_TYPES)))
register(OpDef("MaxPool3D", infer=_pool_infer(3, _FLOATS), kernel=_max_pool_kernel,
               grad=_max_pool_grad("MaxPool3DGrad"), attrs=dict(_3D_POOL_ATTRS), input_names=("input: T",),
               output_names=("output: T",), attr_types=dict(_3D_POOL_TYPES)))
register(OpDef("MaxPool3DGrad", infer=_grad_infer(_FLOATS, 0), kernel=_max_pool_grad_kernel,
               grad=_max_pool_grad_grad("MaxPool3DGradGrad"), attrs=dict(_3D_POOL_ATTRS), broadcasts=False,
               input_names=("orig_input: TInput", "orig_output: TInput", "grad: T"), output_names=("output: T",),
               attr_types=dict(_3D_POOL_TYPES, T="type = float", TInput="type = float")))
register(OpDef("MaxPool3DGradGrad", infer=_grad_infer(_FLOATS, 1), kernel=_max_pool_grad_grad_kernel,
               grad=_max_pool_grad_grad("MaxPool3DGrad"), attrs=dict(_3D_POOL_ATTRS), same_dtype="all",
               broadcasts=False, input_names=("orig_input: T", "orig_output: T", "grad: T"),
               output_names=("output: T",), attr_types=dict(_3D_POOL_TYPES)))


# ---- MaxPoolV2: ksize and strides as tensors ----
def _v2_infer(value, ksize, strides, *, padding, data_format):
    if ksize.value is None or strides.value is None:
        rank = value.shape.ndims or 4
        check_dtype(value, _REAL, "input")
        return TensorSpec(TensorShape([None] * rank), value.dtype)
    return _pool_infer(2, _REAL)(value, ksize=ksize.value.tolist(), strides=strides.value.tolist(), padding=padding,
                                 data_format=data_format)


def _max_pool_v2_kernel(xp, input, ksize, strides, padding, data_format):
    return _max_pool_kernel(xp, input, ksize.tolist(), strides.tolist(), padding, data_format)


def _max_pool_v2_grad(op, g):
    x, ksize, strides = op.inputs
    attrs = {"padding": op.get_attr("padding"), "data_format": op.get_attr("data_format")}
    return apply_op("MaxPoolGradV2", x, op.outputs[0], g, ksize, strides, name="MaxPoolGradV2", **attrs), None, None


def _max_pool_grad_v2_kernel(xp, orig_input, orig_output, grad, ksize, strides, padding, data_format):
    return _max_pool_grad_kernel(xp, orig_input, orig_output, grad, ksize.tolist(), strides.tolist(), padding,
                                 data_format)


def _max_pool_grad_v2_grad(op, g):
    x, y, _, ksize, strides = op.inputs
    if ksize.op.type != "Const" or strides.op.type != "Const":
        raise LookupError("The gradient of MaxPoolGradV2 needs constant ksize and strides in estflow.")
    attrs = {"ksize": ksize._const_value.tolist(), "strides": strides._const_value.tolist(),
             "padding": op.get_attr("padding"), "data_format": op.get_attr("data_format")}
    second = apply_op("MaxPoolGradGrad", x, y, g, name="MaxPoolGradGrad", **attrs)
    return zeros_like(x), zeros_like(y), second, None, None


_V2_TYPES = {"T": "type = float", "padding": "string", "data_format": "string"}
register(OpDef("MaxPoolV2", infer=_v2_infer, kernel=_max_pool_v2_kernel, grad=_max_pool_v2_grad,
               attrs={"padding": REQUIRED, "data_format": "NHWC"}, broadcasts=False,
               input_names=("input: T", "ksize: int32", "strides: int32"), output_names=("output: T",),
               attr_types=dict(_V2_TYPES)))
register(OpDef("MaxPoolGradV2", infer=lambda x, y, g, k, s, **_: _grad_infer(_REAL, 0)(x, y, g),
               kernel=_max_pool_grad_v2_kernel, grad=_max_pool_grad_v2_grad,
               attrs={"padding": REQUIRED, "data_format": "NHWC"}, same_dtype=(0, 1, 2), broadcasts=False,
               input_names=("orig_input: T", "orig_output: T", "grad: T", "ksize: int32", "strides: int32"),
               output_names=("output: T",), attr_types=dict(_V2_TYPES)))


# ================================================================================================
# AvgPool, AvgPool3D and their Grad ops
# ================================================================================================
def _window_counts(xp, in_last, ksize, strides, geo, data_format, dtype):
    """How many real (unpadded) input elements each window covers: (1, *out, 1)."""
    ones = xp.ones([1] + list(in_last[1:-1]) + [1], dtype=dtype)
    return _pool_sum(xp, ones, ksize, strides, geo, data_format)


def _avg_pool_kernel(xp, value, ksize, strides, padding, data_format):
    x = to_channels_last(xp, value, data_format)
    in_last = [int(d) for d in x.shape]
    geo = _pool_geometry(in_last, ksize, strides, padding, data_format)
    total = _pool_sum(xp, x, ksize, strides, geo, data_format)
    counts = _window_counts(xp, in_last, ksize, strides, geo, data_format, x.dtype)
    return from_channels_last(xp, (total / counts).astype(value.dtype, copy=False), data_format)


def _avg_pool_grad_kernel(xp, orig_input_shape, grad, ksize, strides, padding, data_format):
    in_last = shape_channels_last([int(v) for v in orig_input_shape.tolist()], data_format)
    dy = to_channels_last(xp, grad, data_format)
    geo = _pool_geometry(in_last, ksize, strides, padding, data_format)
    counts = _window_counts(xp, in_last, ksize, strides, geo, data_format, dy.dtype)
    share = dy / counts
    dx = _scatter_pool(xp, lambda j: share, in_last, ksize, strides, geo, data_format, dy.dtype)
    return from_channels_last(xp, dx.astype(grad.dtype, copy=False), data_format)


def _avg_pool_infer_grad(orig_input_shape, grad, **_):
    check_dtype(grad, _FLOATS, "grad")
    if orig_input_shape.value is not None:
        return TensorSpec(TensorShape([int(v) for v in orig_input_shape.value.tolist()]), grad.dtype)
    return TensorSpec(TensorShape([None] * (grad.shape.ndims or 4)), grad.dtype)


def _avg_pool_grad(grad_op):
    def grad(op, g):
        return apply_op(grad_op, _shape(op.inputs[0]), g, name=grad_op, **_pool_attrs(op))

    return grad


def _avg_pool_grad_grad(forward):
    def grad(op, g):
        return None, apply_op(forward, g, name=forward, **_pool_attrs(op))

    return grad


register(OpDef("AvgPool", infer=_pool_infer(2, _FLOATS), kernel=_avg_pool_kernel, grad=_avg_pool_grad("AvgPoolGrad"),
               attrs=dict(_2D_POOL_ATTRS), input_names=("value: T",), output_names=("output: T",),
               attr_types=dict(_2D_POOL_TYPES)))
register(OpDef("AvgPoolGrad", infer=_avg_pool_infer_grad, kernel=_avg_pool_grad_kernel,
               grad=_avg_pool_grad_grad("AvgPool"), attrs=dict(_2D_POOL_ATTRS), broadcasts=False,
               input_names=("orig_input_shape: int32", "grad: T"), output_names=("output: T",),
               attr_types=dict(_2D_POOL_TYPES)))
register(OpDef("AvgPool3D", infer=_pool_infer(3, _FLOATS), kernel=_avg_pool_kernel,
               grad=_avg_pool_grad("AvgPool3DGrad"), attrs=dict(_3D_POOL_ATTRS), input_names=("input: T",),
               output_names=("output: T",), attr_types=dict(_3D_POOL_TYPES)))
register(OpDef("AvgPool3DGrad", infer=_avg_pool_infer_grad, kernel=_avg_pool_grad_kernel,
               grad=_avg_pool_grad_grad("AvgPool3D"), attrs=dict(_3D_POOL_ATTRS), broadcasts=False,
               input_names=("orig_input_shape: int32", "grad: T"), output_names=("output: T",),
               attr_types=dict(_3D_POOL_TYPES)))


# ================================================================================================
# MaxPoolWithArgmax (NHWC): the flat index of each maximum, and its gradient ops
# ================================================================================================
def _argmax_flat(xp, x, ksize, strides, padding, include_batch_in_index):
    """Output, and the index ((b * H + y) * W + x) * C + c of its first maximum (b only if asked)."""
    in_last = [int(d) for d in x.shape]
    geo = _pool_geometry(in_last, ksize, strides, padding, "NHWC")
    best, first = _first_max(xp, x, ksize, strides, geo, "NHWC")
    n, height, width, channels = in_last
    kw = int(ksize[2])
    (out_h, top, _), (out_w, left, _) = geo
    ky, kx = first // kw, first % kw
    oy = xp.arange(out_h).reshape((1, -1, 1, 1)) * int(strides[1]) - top
    ox = xp.arange(out_w).reshape((1, 1, -1, 1)) * int(strides[2]) - left
    index = ((oy + ky) * width + (ox + kx)) * channels + xp.arange(channels).reshape((1, 1, 1, -1))
    if include_batch_in_index:
        index = index + xp.arange(n).reshape((-1, 1, 1, 1)) * (height * width * channels)
    return xp.ascontiguousarray(best), index


def _max_pool_with_argmax_infer(input, *, ksize, strides, padding, Targmax, include_batch_in_index):
    out = _pool_infer(2, _REAL)(input, ksize=ksize, strides=strides, padding=padding, data_format="NHWC")
    return [out, TensorSpec(out.shape, Targmax)]


def _max_pool_with_argmax_kernel(xp, input, ksize, strides, padding, Targmax, include_batch_in_index):
    y, index = _argmax_flat(xp, input, ksize, strides, padding, include_batch_in_index)
    return y, index.astype(Targmax.as_numpy_dtype)


def _per_batch_offsets(xp, shape, include_batch_in_index, size):
    if include_batch_in_index:
        return 0
    return xp.arange(int(shape[0])).reshape((-1,) + (1,) * (len(shape) - 1)) * size


def _max_pool_grad_with_argmax_kernel(xp, input, grad, argmax, ksize, strides, padding, include_batch_in_index):
    size = 1
    for d in input.shape[1:]:
        size *= int(d)
    flat = xp.zeros(int(input.size), dtype=grad.dtype)
    index = argmax.astype(xp.int64) + _per_batch_offsets(xp, grad.shape, include_batch_in_index, size)
    scatter_kernels.scatter_add(xp, flat, index.reshape(-1), grad.reshape(-1))
    return flat.reshape(input.shape)


def _max_pool_grad_grad_with_argmax_kernel(xp, input, grad, argmax, ksize, strides, padding, include_batch_in_index):
    size = 1
    for d in input.shape[1:]:
        size *= int(d)
    index = argmax.astype(xp.int64) + _per_batch_offsets(xp, argmax.shape, include_batch_in_index, size)
    return xp.take(grad.reshape(-1), index)


def _with_argmax_attrs(op):
    return {k: op.get_attr(k) for k in ("ksize", "strides", "padding", "include_batch_in_index")}


def _max_pool_with_argmax_grad(op, g, _g_argmax=None):
    return apply_op("MaxPoolGradWithArgmax", op.inputs[0], g, op.outputs[1], name="MaxPoolGradWithArgmax",
                    **_with_argmax_attrs(op))


def _max_pool_grad_with_argmax_grad(op, g):
    x, _, argmax = op.inputs
    return (zeros_like(x), apply_op("MaxPoolGradGradWithArgmax", x, g, argmax, name="MaxPoolGradGradWithArgmax",
                                    **_with_argmax_attrs(op)), None)


def _max_pool_grad_grad_with_argmax_grad(op, g):
    x, _, argmax = op.inputs
    return (zeros_like(x), apply_op("MaxPoolGradWithArgmax", x, g, argmax, name="MaxPoolGradWithArgmax",
                                    **_with_argmax_attrs(op)), None)


_ARGMAX_ATTRS = {"ksize": REQUIRED, "strides": REQUIRED, "padding": REQUIRED, "include_batch_in_index": False}
_ARGMAX_TYPES = {"ksize": "list(int) >= 4", "strides": "list(int) >= 4", "padding": "string",
                 "include_batch_in_index": "bool", "T": "type"}
register(OpDef("MaxPoolWithArgmax", infer=_max_pool_with_argmax_infer, kernel=_max_pool_with_argmax_kernel,
               grad=_max_pool_with_argmax_grad, attrs=dict(_ARGMAX_ATTRS, Targmax=dtypes.int64),
               input_names=("input: T",), output_names=("output: T", "argmax: Targmax"),
               attr_types=dict(_ARGMAX_TYPES, Targmax="type")))


def _like_input_infer(input, grad, argmax, **_):
    return TensorSpec(input.shape, grad.dtype)


def _like_argmax_infer(input, grad, argmax, **_):
    return TensorSpec(argmax.shape, grad.dtype)


for _name, _infer, _kernel, _grad in (
        ("MaxPoolGradWithArgmax", _like_input_infer, _max_pool_grad_with_argmax_kernel,
         _max_pool_grad_with_argmax_grad),
        ("MaxPoolGradGradWithArgmax", _like_argmax_infer, _max_pool_grad_grad_with_argmax_kernel,
         _max_pool_grad_grad_with_argmax_grad)):
    register(OpDef(_name, infer=_infer, kernel=_kernel, grad=_grad, attrs=dict(_ARGMAX_ATTRS), same_dtype=(0, 1),
                   broadcasts=False, input_names=("input: T", "grad: T", "argmax: Targmax"),
                   output_names=("output: T",), attr_types=dict(_ARGMAX_TYPES, Targmax="type")))


# ================================================================================================
# LRN and LRNGrad (channels last, 4-D)
# ================================================================================================
def _window_sum(xp, x, depth_radius):
    """Sum over channels c - r .. c + r (clipped) of the last axis, by a cumulative sum."""
    channels = int(x.shape[-1])
    zero = xp.zeros(x.shape[:-1] + (1,), dtype=x.dtype)
    cum = xp.concatenate([zero, xp.cumsum(x, axis=-1)], axis=-1)
    hi = [min(c + depth_radius + 1, channels) for c in range(channels)]
    lo = [max(c - depth_radius, 0) for c in range(channels)]
    return cum[..., hi] - cum[..., lo]


def _lrn_norm(xp, x, depth_radius, bias, alpha):
    return bias + alpha * _window_sum(xp, x * x, depth_radius)


def _lrn_kernel(xp, input, depth_radius, bias, alpha, beta):
    norm = _lrn_norm(xp, input, depth_radius, bias, alpha)
    return (input * norm ** -beta).astype(input.dtype, copy=False)


def _lrn_grad_kernel(xp, input_grads, input_image, output_image, depth_radius, bias, alpha, beta):
    norm = _lrn_norm(xp, input_image, depth_radius, bias, alpha)
    inner = _window_sum(xp, input_grads * output_image / norm, depth_radius)
    out = input_grads * norm ** -beta - 2 * alpha * beta * input_image * inner
    return out.astype(input_grads.dtype, copy=False)


def _lrn_infer(input, **_):
    check_dtype(input, _FLOATS, "input")
    if input.shape.ndims is not None and input.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {input.shape.ndims}")
    return TensorSpec(input.shape, input.dtype)


def _lrn_attrs(op):
    return {k: op.get_attr(k) for k in ("depth_radius", "bias", "alpha", "beta")}


def _lrn_grad(op, g):
    return apply_op("LRNGrad", g, op.inputs[0], op.outputs[0], name="LRNGrad", **_lrn_attrs(op))


_LRN_ATTRS = {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5}
_LRN_TYPES = {"depth_radius": "int", "bias": "float", "alpha": "float", "beta": "float", "T": "type = float"}
register(OpDef("LRN", infer=_lrn_infer, kernel=_lrn_kernel, grad=_lrn_grad, attrs=dict(_LRN_ATTRS),
               input_names=("input: T",), output_names=("output: T",), attr_types=dict(_LRN_TYPES)))
# NOTE: TF registers no gradient for LRNGrad; estflow declares the same gap (tests/core/test_registry.py).
register(OpDef("LRNGrad", infer=lambda g, x, y, **_: _lrn_infer(g), kernel=_lrn_grad_kernel, grad=None,
               attrs=dict(_LRN_ATTRS), same_dtype="all", broadcasts=False,
               input_names=("input_grads: T", "input_image: T", "output_image: T"), output_names=("output: T",),
               attr_types=dict(_LRN_TYPES)))


# ================================================================================================
# The op-level TF1 functions
# ================================================================================================
def _pool_padding(padding, data_format, nd):
    if isinstance(padding, str):
        return padding.upper(), []
    pairs = [list(p) for p in padding]
    if len(pairs) != nd + 2:
        raise ValueError(f"Explicit padding must have {nd + 2} [before, after] pairs, got {padding!r}")
    return "EXPLICIT", [int(v) for p in pairs for v in p]


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002 - TF's name
    """Max over each window, as `tf.nn.max_pool` (TF1: 4-D NHWC/NCHW input)."""
    value = input if value is None else value
    data_format = data_format or "NHWC"
    if isinstance(ksize, Tensor) or isinstance(strides, Tensor):  # TF's MaxPoolV2 takes them as tensors
        return apply_op("MaxPoolV2", value, ksize, strides, name=name or "MaxPool", padding=padding.upper(),
                        data_format=data_format)
    padding, explicit = _pool_padding(padding, data_format, 2)
    attrs = {"explicit_paddings": explicit} if explicit else {}
    return apply_op("MaxPool", value, name=name or "MaxPool", ksize=normalize_list(ksize, 2, "ksize", data_format),
                    strides=normalize_list(strides, 2, "strides", data_format), padding=padding,
                    data_format=data_format, **attrs)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):  # noqa: A002 - TF's name
    """Mean over each window's real elements, as `tf.nn.avg_pool`."""
    value = input if value is None else value
    data_format = data_format or "NHWC"
    return apply_op("AvgPool", value, name=name or "AvgPool", ksize=normalize_list(ksize, 2, "ksize", data_format),
                    strides=normalize_list(strides, 2, "strides", data_format), padding=padding.upper(),
                    data_format=data_format)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002 - TF's name
    """Max over 3-D windows, as `tf.nn.max_pool3d`."""
    data_format = data_format or "NDHWC"
    return apply_op("MaxPool3D", input, name=name or "MaxPool3D",
                    ksize=normalize_list(ksize, 3, "ksize", data_format),
                    strides=normalize_list(strides, 3, "strides", data_format), padding=padding.upper(),
                    data_format=data_format)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002 - TF's name
    """Mean over 3-D windows, as `tf.nn.avg_pool3d`."""
    data_format = data_format or "NDHWC"
    return apply_op("AvgPool3D", input, name=name or "AvgPool3D",
                    ksize=normalize_list(ksize, 3, "ksize", data_format),
                    strides=normalize_list(strides, 3, "strides", data_format), padding=padding.upper(),
                    data_format=data_format)


def max_pool_with_argmax(input, ksize, strides, padding, data_format="NHWC", Targmax=None, name=None,  # noqa: A002
                         output_dtype=None, include_batch_in_index=False):
    """Max pooling and the flat index of each maximum, as `tf.nn.max_pool_with_argmax` (NHWC only)."""
    if data_format != "NHWC":
        raise ValueError("Data formats other than 'NHWC' are not yet supported")
    targmax = dtypes.as_dtype(Targmax or output_dtype or dtypes.int64)
    return tuple(apply_op("MaxPoolWithArgmax", input, name=name or "MaxPoolWithArgmax",
                          ksize=normalize_list(ksize, 2, "ksize", "NHWC"),
                          strides=normalize_list(strides, 2, "strides", "NHWC"), padding=padding.upper(),
                          Targmax=targmax, include_batch_in_index=include_batch_in_index))


def local_response_normalization(input, depth_radius=5, bias=1, alpha=1, beta=0.5, name=None):  # noqa: A002
    """input / (bias + alpha * sum of squares over nearby channels) ** beta, as `tf.nn.lrn`."""
    return apply_op("LRN", input, name=name or "LRN", depth_radius=int(depth_radius), bias=float(bias),
                    alpha=float(alpha), beta=float(beta))



# ================================================================================================
# Dilation2D (grayscale morphological dilation) and its backprops; erosion2d is its dual
# ================================================================================================
def _dilation_max(xp, input, filter, strides, rates, padding):
    """Geometry, each window's max of input + filter over real (unpadded) positions, and its first tap."""
    ksize = [int(filter.shape[0]), int(filter.shape[1])]
    stride, rate = list(strides[1:3]), list(rates[1:3])
    geo = geometry([int(d) for d in input.shape[1:3]], ksize, stride, rate, padding)
    views = tap_views(xp, input, ksize, stride, rate, geo, 0)
    real = tap_views(xp, xp.ones((1, int(input.shape[1]), int(input.shape[2]), 1), dtype=bool), ksize, stride, rate,
                     geo, False)
    lowest = xp.asarray(_lowest(xp, input.dtype), dtype=input.dtype)
    best = first = None
    for j, (view, inside) in enumerate(zip(views, real)):
        candidate = xp.where(inside, view + filter[j // ksize[1], j % ksize[1]], lowest)
        if best is None:
            best, first = candidate, xp.zeros(candidate.shape, dtype=xp.int64)
            continue
        better = candidate > best
        best = xp.where(better, candidate, best)
        first = xp.where(better, j, first)
    return geo, ksize, best, first


def _dilation_kernel(xp, input, filter, strides, rates, padding):
    return xp.ascontiguousarray(_dilation_max(xp, input, filter, strides, rates, padding)[2]).astype(input.dtype,
                                                                                                      copy=False)


def _dilation_backprop_input_kernel(xp, input, filter, out_backprop, strides, rates, padding):
    geo, ksize, _, first = _dilation_max(xp, input, filter, strides, rates, padding)
    zero = xp.zeros((), dtype=out_backprop.dtype)
    return scatter_taps(xp, lambda j: xp.where(first == j, out_backprop, zero), [int(d) for d in input.shape], ksize,
                        list(strides[1:3]), list(rates[1:3]), geo, out_backprop.dtype)


def _dilation_backprop_filter_kernel(xp, input, filter, out_backprop, strides, rates, padding):
    _, ksize, _, first = _dilation_max(xp, input, filter, strides, rates, padding)
    zero = xp.zeros((), dtype=out_backprop.dtype)
    per_tap = [xp.where(first == j, out_backprop, zero).sum(axis=(0, 1, 2)) for j in range(ksize[0] * ksize[1])]
    return xp.stack(per_tap).reshape(filter.shape).astype(out_backprop.dtype, copy=False)


def _dilation_infer(input, filter, *, strides, rates, padding):
    check_dtype(input, _REAL, "input")
    check_format_lists(2, "NHWC", strides=strides, rates=rates)
    for spec, rank in ((input, 4), (filter, 3)):
        if spec.shape.ndims is not None and spec.shape.ndims != rank:
            raise ValueError(f"Shape must be rank {rank} but is rank {spec.shape.ndims}")
    n, h, w, c = input.shape.as_tuple() or (None,) * 4
    kh, kw, fc = filter.shape.as_tuple() or (None,) * 3
    if c is not None and fc is not None and c != fc:
        raise ValueError(f"Dimensions must be equal, but are {c} and {fc}")
    rows = None if kh is None else out_size(h, kh, strides[1], rates[1], padding)
    cols = None if kw is None else out_size(w, kw, strides[2], rates[2], padding)
    return TensorSpec(TensorShape([n, rows, cols, c if c is not None else fc]), input.dtype)


def _dilation_backprop_infer(like):
    def infer(input, filter, out_backprop, **_):
        check_dtype(input, _REAL, "input")
        return TensorSpec((input, filter)[like].shape, input.dtype)

    return infer


def _dilation_grad(op, g):
    x, f = op.inputs
    attrs = {k: op.get_attr(k) for k in ("strides", "rates", "padding")}
    return (apply_op("Dilation2DBackpropInput", x, f, g, name="Dilation2DBackpropInput", **attrs),
            apply_op("Dilation2DBackpropFilter", x, f, g, name="Dilation2DBackpropFilter", **attrs))


_DILATION_ATTRS = {"strides": REQUIRED, "rates": REQUIRED, "padding": REQUIRED}
_DILATION_TYPES = {"T": "type", "strides": "list(int) >= 4", "rates": "list(int) >= 4", "padding": "string"}
register(OpDef("Dilation2D", infer=_dilation_infer, kernel=_dilation_kernel, grad=_dilation_grad,
               attrs=dict(_DILATION_ATTRS), same_dtype="all", broadcasts=False,
               input_names=("input: T", "filter: T"), output_names=("output: T",),
               attr_types=dict(_DILATION_TYPES)))
# NOTE: TF registers no gradient for the two backprop ops; estflow declares the same gap (tests/core/test_registry.py).
register(OpDef("Dilation2DBackpropInput", infer=_dilation_backprop_infer(0), kernel=_dilation_backprop_input_kernel,
               grad=None, attrs=dict(_DILATION_ATTRS), same_dtype="all", broadcasts=False,
               input_names=("input: T", "filter: T", "out_backprop: T"), output_names=("in_backprop: T",),
               attr_types=dict(_DILATION_TYPES)))
register(OpDef("Dilation2DBackpropFilter", infer=_dilation_backprop_infer(1), kernel=_dilation_backprop_filter_kernel,
               grad=None, attrs=dict(_DILATION_ATTRS), same_dtype="all", broadcasts=False,
               input_names=("input: T", "filter: T", "out_backprop: T"), output_names=("filter_backprop: T",),
               attr_types=dict(_DILATION_TYPES)))


def dilation2d(input, filter=None, strides=None, rates=None, padding=None, name=None, filters=None,  # noqa: A002
               dilations=None):
    """Grayscale dilation: max over each window of input + filter, as TF1's `tf.nn.dilation2d`."""
    filter = filters if filter is None else filter
    rates = dilations if rates is None else rates
    return apply_op("Dilation2D", input, filter, name=name or "Dilation2D", strides=list(strides), rates=list(rates),
                    padding=padding.upper())


def erosion2d(value, kernel, strides, rates, padding, name=None):
    """Grayscale erosion: min over each window of value - kernel, as `tf.nn.erosion2d` (dilation's dual)."""
    with name_scope(name, "erosion2d", [value, kernel]) as scope:
        flipped = manipulation_ops.reverse(kernel, [0, 1])
        return negative(apply_op("Dilation2D", negative(value), flipped, name=scope, strides=list(strides),
                                 rates=list(rates), padding=padding.upper()))
