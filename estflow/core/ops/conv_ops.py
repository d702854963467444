"""Convolutions: Conv2D, Conv3D, DepthwiseConv2dNative and their backprop ops, `tf.nn.conv2d`.

Every kernel is im2col plus one matrix product. `_patches` gathers the input windows into
a (rows, taps, channels) array with one strided slice per kernel tap (a 3x3 kernel is nine
slices: the Python loop runs over taps, never over pixels), and the product with the
filter is a single BLAS call (a batched one per channel for depthwise). The backprop of the
input is the reverse (`_col2im`: the product with the filter's transpose, then one strided
add per tap), the backprop of the filter is patches^T @ out_backprop. Kernels work in the
channels-last layout; NCHW/NCDHW inputs are transposed in and out. Only `xp` calls: the
same code runs on cupy.
"""

from __future__ import annotations

import itertools

from estflow.core import dtypes
from estflow.core.ops import array_ops, concat_ops, gather_ops, manipulation_ops
from estflow.core.ops.array_ops import shape as _shape
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, get_op_def, register
from estflow.core.tensor_shape import TensorShape

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)


# ================================================================================================
# Window geometry, shared with pooling_ops
# ================================================================================================
def channels_first(data_format: str) -> bool:
    return len(data_format) > 1 and data_format[1] == "C"


def spatial_of(values, data_format: str) -> list:
    """The spatial entries of an N..C / NC.. ordered list (strides, ksize, dilations, shapes)."""
    values = list(values)
    return values[2:] if channels_first(data_format) else values[1:-1]


def out_size(size, k, stride, dilation, padding, pads=None):
    """TF's output size of one spatial dim (None when the input size is unknown)."""
    if size is None:
        return None
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return -(-size // stride)
    if padding == "EXPLICIT":
        size = size + pads[0] + pads[1]
    if size < eff:
        raise ValueError(f"Computed output size would be negative: {(size - eff) // stride + 1} "
                         f"[input_size: {size}, effective_filter_size: {eff}, stride: {stride}]")
    return (size - eff) // stride + 1


def geometry(sizes, ksize, strides, dilations, padding, explicit=None):
    """Per spatial dim: (output size, pad before, pad after) for known input sizes."""
    dims = []
    for i, (size, k, s, d) in enumerate(zip(sizes, ksize, strides, dilations, strict=True)):
        eff = (k - 1) * d + 1
        if padding == "EXPLICIT":
            before, after = explicit[i]
            out = out_size(size, k, s, d, padding, (before, after))
        elif padding == "SAME":
            out = -(-size // s)
            total = max((out - 1) * s + eff - size, 0)
            before, after = total // 2, total - total // 2
        else:
            out, before, after = out_size(size, k, s, d, padding), 0, 0
        dims.append((out, before, after))
    return dims


def explicit_pairs(explicit_paddings, data_format: str, ndims: int):
    if not explicit_paddings:
        return None
    pairs = [tuple(explicit_paddings[2 * i:2 * i + 2]) for i in range(len(explicit_paddings) // 2)]
    return spatial_of(pairs, data_format) if len(pairs) == ndims else None


def _taps(ksize):
    return list(itertools.product(*[range(k) for k in ksize]))


def _tap_slices(tap, geo, strides, dilations):
    return (slice(None),) + tuple(
        slice(o * d, o * d + s * (out - 1) + 1, s) for o, (out, _, _), s, d in zip(tap, geo, strides, dilations))


def tap_views(xp, x, ksize, strides, dilations, geo, pad_value=0):
    """One strided view per kernel tap of the padded x (N, *spatial, C), each (N, *out, C), in tap order."""
    if any(b or a for _, b, a in geo):
        widths = [(0, 0)] + [(b, a) for _, b, a in geo] + [(0, 0)]
        x = xp.pad(x, widths, mode="constant", constant_values=pad_value)
    return [x[_tap_slices(tap, geo, strides, dilations)] for tap in _taps(ksize)]


def patches(xp, x, ksize, strides, dilations, geo, pad_value=0):
    """im2col: x (N, *spatial, C) -> (N, *out, taps, C), one strided slice per kernel tap."""
    views = tap_views(xp, x, ksize, strides, dilations, geo, pad_value)
    if len(views) == 1:  # a 1x1 kernel: the input itself (a view, no copy when the stride is 1)
        return views[0][..., None, :]
    return xp.stack(views, axis=-2)


def scatter_taps(xp, tap_values, input_shape, ksize, strides, dilations, geo, dtype):
    """The adjoint of `tap_views`: adds `tap_values(j)` (N, *out, C) back onto tap j's input positions."""
    padded = [input_shape[0]] + [n + b + a for n, (_, b, a) in zip(input_shape[1:-1], geo)] + [input_shape[-1]]
    out = xp.zeros(padded, dtype=dtype)
    for j, tap in enumerate(_taps(ksize)):
        out[_tap_slices(tap, geo, strides, dilations)] += tap_values(j)
    crop = (slice(None),) + tuple(slice(b, b + n) for n, (_, b, _) in zip(input_shape[1:-1], geo))
    return out[crop]


def col2im(xp, cols, input_shape, ksize, strides, dilations, geo):
    """The adjoint of `patches` (pad 0): sums each tap's values back onto the input positions."""
    return scatter_taps(xp, lambda j: cols[..., j, :], input_shape, ksize, strides, dilations, geo, cols.dtype)


def to_channels_last(xp, x, data_format):
    return xp.moveaxis(x, 1, -1) if channels_first(data_format) else x


def from_channels_last(xp, y, data_format):
    return xp.ascontiguousarray(xp.moveaxis(y, -1, 1)) if channels_first(data_format) else y


def shape_in_format(shape_last, data_format):
    """A channels-last shape (N, *spatial, C) in `data_format`'s order."""
    shape_last = list(shape_last)
    if channels_first(data_format):
        return [shape_last[0], shape_last[-1]] + shape_last[1:-1]
    return shape_last


def shape_channels_last(shape, data_format):
    shape = list(shape)
    if channels_first(data_format):
        return [shape[0]] + shape[2:] + [shape[1]]
    return shape


def check_dtype(spec: TensorSpec, allowed, param: str) -> None:
    if spec.dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {spec.dtype.name} not in list of "
                        f"allowed values: {', '.join(d.name for d in allowed)}")


def check_format_lists(ndims, data_format, **lists):
    for name, values in lists.items():
        if values is not None and len(values) != ndims + 2:
            raise ValueError(f"{name} must have {ndims + 2} elements, got {len(values)}")
    for name, values in lists.items():
        if values is not None and name != "ksize":
            values = list(values)
            outer = [values[0], values[1]] if channels_first(data_format) else [values[0], values[-1]]
            if outer != [1, 1]:
                raise ValueError(f"Current implementation does not yet support {name} in the batch and depth "
                                 f"dimensions.")


# ================================================================================================
# Conv2D, Conv3D and their backprops
# ================================================================================================
def _conv_attrs(op):
    """The attrs of a conv op, to build its family's other ops with (each family shares one attr set)."""
    return {name: op.get_attr(name) for name in get_op_def(op.type).attrs}


def _conv_out_shape(in_last, filter_shape, strides, dilations, padding, explicit, data_format, depthwise=False):
    """Channels-last output shape of a conv from channels-last input dims and the filter's dims."""
    nd = len(in_last) - 2
    ks = list(filter_shape[:nd]) if filter_shape is not None else [None] * nd
    sp = spatial_of(strides, data_format)
    dl = spatial_of(dilations, data_format)
    pads = explicit_pairs(explicit, data_format, nd + 2) or [None] * nd
    out = [None if in_last[1 + i] is None or ks[i] is None else
           out_size(in_last[1 + i], ks[i], sp[i], dl[i], padding, pads[i]) for i in range(nd)]
    if filter_shape is None:
        channels = None
    elif depthwise:
        channels = None if filter_shape[-1] is None or filter_shape[-2] is None else filter_shape[-2] * filter_shape[-1]
    else:
        channels = filter_shape[-1]
    return [in_last[0]] + out + [channels]


def _conv_infer(nd, allowed, depthwise=False):
    def infer(input, filter, *, strides, padding, data_format, dilations, explicit_paddings=(), **_):
        check_dtype(input, allowed, "input")
        check_format_lists(nd, data_format, strides=strides, dilations=dilations)
        rank = nd + 2
        for spec in (input, filter):
            if spec.shape.ndims is not None and spec.shape.ndims != rank:
                raise ValueError(f"Shape must be rank {rank} but is rank {spec.shape.ndims}")
        if padding == "EXPLICIT" and len(explicit_paddings) != 2 * rank:
            raise ValueError(f"explicit_paddings must have {2 * rank} values for padding 'EXPLICIT', "
                             f"got {len(explicit_paddings)}")
        in_dims = input.shape.as_tuple() or (None,) * rank
        f_dims = filter.shape.as_tuple()
        in_last = shape_channels_last(in_dims, data_format)
        if f_dims is not None and in_last[-1] is not None and f_dims[-2] is not None and in_last[-1] != f_dims[-2]:
            raise ValueError(f"Depth of input ({in_last[-1]}) is not a multiple of input depth of filter "
                             f"({f_dims[-2]})" if not depthwise else
                             f"Dimensions must be equal, but are {in_last[-1]} and {f_dims[-2]}")
        out_last = _conv_out_shape(in_last, f_dims, strides, dilations, padding, explicit_paddings, data_format,
                                   depthwise)
        return TensorSpec(TensorShape(shape_in_format(out_last, data_format)), input.dtype)

    return infer


def _conv_geometry(in_last, ksize, strides, dilations, padding, data_format, explicit_paddings):
    nd = len(in_last) - 2
    return geometry(in_last[1:-1], ksize, spatial_of(strides, data_format), spatial_of(dilations, data_format),
                    padding, explicit_pairs(explicit_paddings, data_format, nd + 2))


def _conv_forward(xp, x_last, filt, strides, dilations, padding, data_format, explicit_paddings):
    nd = x_last.ndim - 2
    ksize = [int(k) for k in filt.shape[:nd]]
    if int(filt.shape[-2]) != int(x_last.shape[-1]):
        raise ValueError(f"input depth must be evenly divisible by filter depth: {x_last.shape[-1]} vs "
                         f"{filt.shape[-2]}")
    geo = _conv_geometry(list(x_last.shape), ksize, strides, dilations, padding, data_format, explicit_paddings)
    cols = patches(xp, x_last, ksize, spatial_of(strides, data_format), spatial_of(dilations, data_format), geo)
    out_channels = int(filt.shape[-1])
    y = xp.matmul(cols.reshape(-1, cols.shape[-2] * cols.shape[-1]), filt.reshape(-1, out_channels))
    return y.reshape(tuple(int(d) for d in cols.shape[:-2]) + (out_channels,))


def _conv_kernel(xp, input, filter, strides, padding, data_format, dilations, explicit_paddings=(), **_):
    x = to_channels_last(xp, input, data_format)
    y = _conv_forward(xp, x, filter, strides, dilations, padding, data_format, explicit_paddings)
    return from_channels_last(xp, y.astype(input.dtype, copy=False), data_format)


def _sizes(arr):
    return [int(v) for v in arr.tolist()]


def _conv_backprop_input_kernel(xp, input_sizes, filter, out_backprop, strides, padding, data_format, dilations,
                                explicit_paddings=(), **_):
    in_last = shape_channels_last(_sizes(input_sizes), data_format)
    nd = len(in_last) - 2
    ksize = [int(k) for k in filter.shape[:nd]]
    dy = to_channels_last(xp, out_backprop, data_format)
    geo = _conv_geometry(in_last, ksize, strides, dilations, padding, data_format, explicit_paddings)
    if [int(d) for d in dy.shape[1:-1]] != [o for o, _, _ in geo]:
        raise ValueError(f"Conv backprop input: out_backprop has spatial shape {list(dy.shape[1:-1])}, "
                         f"expected {[o for o, _, _ in geo]}")
    out_channels = int(filter.shape[-1])
    cols = xp.matmul(dy.reshape(-1, out_channels), filter.reshape(-1, out_channels).T)
    cols = cols.reshape(tuple(int(d) for d in dy.shape[:-1]) + (len(_taps(ksize)), in_last[-1]))
    dx = col2im(xp, cols, in_last, ksize, spatial_of(strides, data_format), spatial_of(dilations, data_format), geo)
    return from_channels_last(xp, dx.astype(out_backprop.dtype, copy=False), data_format)


def _conv_backprop_filter_kernel(xp, input, filter_sizes, out_backprop, strides, padding, data_format, dilations,
                                 explicit_paddings=(), **_):
    fshape = _sizes(filter_sizes)
    nd = len(fshape) - 2
    x = to_channels_last(xp, input, data_format)
    dy = to_channels_last(xp, out_backprop, data_format)
    geo = _conv_geometry(list(x.shape), fshape[:nd], strides, dilations, padding, data_format, explicit_paddings)
    cols = patches(xp, x, fshape[:nd], spatial_of(strides, data_format), spatial_of(dilations, data_format), geo)
    dw = xp.matmul(cols.reshape(-1, cols.shape[-2] * cols.shape[-1]).T, dy.reshape(-1, fshape[-1]))
    return dw.reshape(fshape).astype(input.dtype, copy=False)


def _backprop_infer(nd, allowed, sizes_index, depthwise=False):
    def infer(*specs, strides, padding, data_format, dilations, explicit_paddings=(), **_):
        sizes, dy = specs[sizes_index], specs[2]
        other = specs[1 - sizes_index]
        check_dtype(dy, allowed, "out_backprop")
        check_format_lists(nd, data_format, strides=strides, dilations=dilations)
        if other.dtype != dy.dtype:
            raise TypeError(f"Input 'out_backprop' has type {dy.dtype.name} that does not match type "
                            f"{other.dtype.name} of '{'filter' if sizes_index == 0 else 'input'}'.")
        if sizes.shape.ndims is not None and sizes.shape.ndims != 1:
            raise ValueError(f"Shape must be rank 1 but is rank {sizes.shape.ndims}")
        if sizes.value is not None:
            return TensorSpec(TensorShape([int(v) for v in sizes.value.tolist()]), dy.dtype)
        return TensorSpec(TensorShape([None] * (nd + 2)), dy.dtype)

    return infer


def _conv_grad(backprop_input, backprop_filter):
    def grad(op, g):
        x, w = op.inputs
        attrs = _conv_attrs(op)
        return (apply_op(backprop_input, _shape(x), w, g, name=backprop_input, **attrs),
                apply_op(backprop_filter, x, _shape(w), g, name=backprop_filter, **attrs))

    return grad


def _conv_backprop_input_grad(forward, backprop_filter):
    def grad(op, g):
        _, w, dy = op.inputs
        attrs = _conv_attrs(op)
        return (None, apply_op(backprop_filter, g, _shape(w), dy, name=backprop_filter, **attrs),
                apply_op(forward, g, w, name=forward, **attrs))

    return grad


def _conv_backprop_filter_grad(forward, backprop_input):
    def grad(op, g):
        x, _, dy = op.inputs
        attrs = _conv_attrs(op)
        return (apply_op(backprop_input, _shape(x), g, dy, name=backprop_input, **attrs), None,
                apply_op(forward, x, g, name=forward, **attrs))

    return grad


_CONV2D_TYPES = _FLOATS + (dtypes.int32,)
_2D_ATTRS = {"strides": REQUIRED, "use_cudnn_on_gpu": True, "padding": REQUIRED, "explicit_paddings": [],
             "data_format": "NHWC", "dilations": [1, 1, 1, 1]}
_2D_TYPES = {"T": "type", "strides": "list(int)", "use_cudnn_on_gpu": "bool", "padding": "string",
             "explicit_paddings": "list(int)", "data_format": "string", "dilations": "list(int)"}
_3D_ATTRS = {"strides": REQUIRED, "padding": REQUIRED, "data_format": "NDHWC", "dilations": [1, 1, 1, 1, 1]}
_3D_TYPES = {"T": "type", "strides": "list(int) >= 5", "padding": "string", "data_format": "string",
             "dilations": "list(int)"}

register(OpDef("Conv2D", infer=_conv_infer(2, _CONV2D_TYPES), kernel=_conv_kernel,
               grad=_conv_grad("Conv2DBackpropInput", "Conv2DBackpropFilter"), attrs=dict(_2D_ATTRS),
               same_dtype="all", broadcasts=False, input_names=("input: T", "filter: T"),
               output_names=("output: T",), attr_types=dict(_2D_TYPES)))
register(OpDef("Conv2DBackpropInput", infer=_backprop_infer(2, _CONV2D_TYPES, 0), kernel=_conv_backprop_input_kernel,
               grad=_conv_backprop_input_grad("Conv2D", "Conv2DBackpropFilter"), attrs=dict(_2D_ATTRS),
               same_dtype=(1, 2), broadcasts=False,
               input_names=("input_sizes: int32", "filter: T", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_2D_TYPES)))
register(OpDef("Conv2DBackpropFilter", infer=_backprop_infer(2, _FLOATS, 1), kernel=_conv_backprop_filter_kernel,
               grad=_conv_backprop_filter_grad("Conv2D", "Conv2DBackpropInput"), attrs=dict(_2D_ATTRS),
               same_dtype=(0, 2), broadcasts=False,
               input_names=("input: T", "filter_sizes: int32", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_2D_TYPES)))
register(OpDef("Conv3D", infer=_conv_infer(3, _FLOATS), kernel=_conv_kernel,
               grad=_conv_grad("Conv3DBackpropInputV2", "Conv3DBackpropFilterV2"), attrs=dict(_3D_ATTRS),
               same_dtype="all", broadcasts=False, input_names=("input: T", "filter: T"),
               output_names=("output: T",), attr_types=dict(_3D_TYPES)))
register(OpDef("Conv3DBackpropInputV2", infer=_backprop_infer(3, _FLOATS, 0), kernel=_conv_backprop_input_kernel,
               grad=_conv_backprop_input_grad("Conv3D", "Conv3DBackpropFilterV2"), attrs=dict(_3D_ATTRS),
               same_dtype=(1, 2), broadcasts=False,
               input_names=("input_sizes: Tshape", "filter: T", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_3D_TYPES, Tshape="type = int32")))
register(OpDef("Conv3DBackpropFilterV2", infer=_backprop_infer(3, _FLOATS, 1), kernel=_conv_backprop_filter_kernel,
               grad=_conv_backprop_filter_grad("Conv3D", "Conv3DBackpropInputV2"), attrs=dict(_3D_ATTRS),
               same_dtype=(0, 2), broadcasts=False,
               input_names=("input: T", "filter_sizes: int32", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_3D_TYPES)))


# ================================================================================================
# DepthwiseConv2dNative and its backprops: one batched matmul per input channel
# ================================================================================================
def _depthwise_parts(xp, x_last, fshape, strides, dilations, padding, data_format, explicit_paddings):
    ksize = fshape[:2]
    geo = _conv_geometry(list(x_last.shape), ksize, strides, dilations, padding, data_format, explicit_paddings)
    cols = patches(xp, x_last, ksize, spatial_of(strides, data_format), spatial_of(dilations, data_format), geo)
    return geo, cols


def _depthwise_kernel(xp, input, filter, strides, padding, data_format, dilations, explicit_paddings=()):
    x = to_channels_last(xp, input, data_format)
    fshape = [int(d) for d in filter.shape]
    if fshape[2] != int(x.shape[-1]):
        raise ValueError(f"input and filter must have the same depth: {x.shape[-1]} vs {fshape[2]}")
    _, cols = _depthwise_parts(xp, x, fshape, strides, dilations, padding, data_format, explicit_paddings)
    lead = tuple(int(d) for d in cols.shape[:-2])
    taps, channels, multiplier = fshape[0] * fshape[1], fshape[2], fshape[3]
    per_channel = xp.transpose(cols.reshape(-1, taps, channels), (2, 0, 1))  # (C, rows, taps)
    w = xp.transpose(filter.reshape(taps, channels, multiplier), (1, 0, 2))  # (C, taps, M)
    y = xp.transpose(xp.matmul(per_channel, w), (1, 0, 2)).reshape(lead + (channels * multiplier,))
    return from_channels_last(xp, y.astype(input.dtype, copy=False), data_format)


def _depthwise_backprop_input_kernel(xp, input_sizes, filter, out_backprop, strides, padding, data_format, dilations,
                                     explicit_paddings=()):
    in_last = shape_channels_last(_sizes(input_sizes), data_format)
    fshape = [int(d) for d in filter.shape]
    taps, channels, multiplier = fshape[0] * fshape[1], fshape[2], fshape[3]
    dy = to_channels_last(xp, out_backprop, data_format)
    geo = _conv_geometry(in_last, fshape[:2], strides, dilations, padding, data_format, explicit_paddings)
    lead = tuple(int(d) for d in dy.shape[:-1])
    dy_c = xp.transpose(dy.reshape(-1, channels, multiplier), (1, 0, 2))  # (C, rows, M)
    w_t = xp.transpose(filter.reshape(taps, channels, multiplier), (1, 2, 0))  # (C, M, taps)
    cols = xp.transpose(xp.matmul(dy_c, w_t), (1, 2, 0)).reshape(lead + (taps, channels))
    dx = col2im(xp, cols, in_last, fshape[:2], spatial_of(strides, data_format), spatial_of(dilations, data_format),
                geo)
    return from_channels_last(xp, dx.astype(out_backprop.dtype, copy=False), data_format)


def _depthwise_backprop_filter_kernel(xp, input, filter_sizes, out_backprop, strides, padding, data_format, dilations,
                                      explicit_paddings=()):
    fshape = _sizes(filter_sizes)
    taps, channels, multiplier = fshape[0] * fshape[1], fshape[2], fshape[3]
    x = to_channels_last(xp, input, data_format)
    dy = to_channels_last(xp, out_backprop, data_format)
    _, cols = _depthwise_parts(xp, x, fshape, strides, dilations, padding, data_format, explicit_paddings)
    cols_c = xp.transpose(cols.reshape(-1, taps, channels), (2, 1, 0))  # (C, taps, rows)
    dy_c = xp.transpose(dy.reshape(-1, channels, multiplier), (1, 0, 2))  # (C, rows, M)
    dw = xp.transpose(xp.matmul(cols_c, dy_c), (1, 0, 2))  # (taps, C, M)
    return dw.reshape(fshape).astype(input.dtype, copy=False)


_DW_ATTRS = {k: v for k, v in _2D_ATTRS.items() if k != "use_cudnn_on_gpu"}
_DW_TYPES = {k: v for k, v in _2D_TYPES.items() if k != "use_cudnn_on_gpu"}
_DW = "DepthwiseConv2dNative"
register(OpDef(_DW, infer=_conv_infer(2, _FLOATS, depthwise=True), kernel=_depthwise_kernel,
               grad=_conv_grad(_DW + "BackpropInput", _DW + "BackpropFilter"), attrs=dict(_DW_ATTRS),
               same_dtype="all", broadcasts=False, input_names=("input: T", "filter: T"),
               output_names=("output: T",), attr_types=dict(_DW_TYPES)))
register(OpDef(_DW + "BackpropInput", infer=_backprop_infer(2, _FLOATS, 0), kernel=_depthwise_backprop_input_kernel,
               grad=_conv_backprop_input_grad(_DW, _DW + "BackpropFilter"), attrs=dict(_DW_ATTRS),
               same_dtype=(1, 2), broadcasts=False,
               input_names=("input_sizes: int32", "filter: T", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_DW_TYPES)))
register(OpDef(_DW + "BackpropFilter", infer=_backprop_infer(2, _FLOATS, 1), kernel=_depthwise_backprop_filter_kernel,
               grad=_conv_backprop_filter_grad(_DW, _DW + "BackpropInput"), attrs=dict(_DW_ATTRS),
               same_dtype=(0, 2), broadcasts=False,
               input_names=("input: T", "filter_sizes: int32", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_DW_TYPES)))


# ================================================================================================
# ExtractImagePatches: the im2col array itself, (N, rows, cols, kr * kc * C)
# ================================================================================================
def _extract_infer(images, *, ksizes, strides, rates, padding):
    check_format_lists(2, "NHWC", ksizes=ksizes, strides=strides, rates=rates)
    if images.shape.ndims is not None and images.shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {images.shape.ndims}")
    n, h, w, c = images.shape.as_tuple() or (None,) * 4
    rows = out_size(h, ksizes[1], strides[1], rates[1], padding)
    cols = out_size(w, ksizes[2], strides[2], rates[2], padding)
    depth = None if c is None else ksizes[1] * ksizes[2] * c
    return TensorSpec(TensorShape([n, rows, cols, depth]), images.dtype)


def _extract_kernel(xp, images, ksizes, strides, rates, padding):
    ksize, stride, rate = list(ksizes[1:3]), list(strides[1:3]), list(rates[1:3])
    geo = geometry([int(d) for d in images.shape[1:3]], ksize, stride, rate, padding)
    cols = patches(xp, images, ksize, stride, rate, geo)
    lead = tuple(int(d) for d in cols.shape[:3])
    return cols.reshape(lead + (int(cols.shape[3]) * int(cols.shape[4]),))


def _extract_grad(op, grad):
    """As a depthwise convolution with one-hot filters: output channel k*C + c of the patches is tap k
    of channel c, so the gradient is DepthwiseConv2dNativeBackpropInput after reordering (k, c) to (c, k)."""
    images = op.inputs[0]
    channels = images.shape.as_tuple()[-1] if images.shape.ndims else None
    if channels is None:
        raise LookupError("The gradient of ExtractImagePatches needs the images' channel count known at graph "
                          "build time.")
    ksizes, rates = op.get_attr("ksizes"), op.get_attr("rates")
    taps = ksizes[1] * ksizes[2]
    eye = gather_ops.one_hot(list(range(taps)), taps, dtype=grad.dtype)
    filters = manipulation_ops.tile(array_ops.reshape(eye, [ksizes[1], ksizes[2], 1, taps]), [1, 1, channels, 1])
    lead = _shape(grad)[:3]
    split = array_ops.reshape(grad, concat_ops.concat([lead, [taps, channels]], 0))
    per_channel = array_ops.reshape(manipulation_ops.transpose(split, [0, 1, 2, 4, 3]),
                                    concat_ops.concat([lead, [channels * taps]], 0))
    return apply_op(_DW + "BackpropInput", _shape(images), filters, per_channel, name=_DW + "BackpropInput",
                    strides=list(op.get_attr("strides")), padding=op.get_attr("padding"), explicit_paddings=[],
                    data_format="NHWC", dilations=list(rates))


register(OpDef("ExtractImagePatches", infer=_extract_infer, kernel=_extract_kernel, grad=_extract_grad,
               attrs={"ksizes": REQUIRED, "strides": REQUIRED, "rates": REQUIRED, "padding": REQUIRED},
               input_names=("images: T",), output_names=("patches: T",),
               attr_types={"ksizes": "list(int) >= 4", "strides": "list(int) >= 4", "rates": "list(int) >= 4",
                           "T": "type", "padding": "string"}))


def _extract_volume_infer(input, *, ksizes, strides, padding):
    check_format_lists(3, "NDHWC", ksizes=ksizes, strides=strides)
    if input.shape.ndims is not None and input.shape.ndims != 5:
        raise ValueError(f"Shape must be rank 5 but is rank {input.shape.ndims}")
    dims = input.shape.as_tuple() or (None,) * 5
    out = [out_size(dims[1 + i], ksizes[1 + i], strides[1 + i], 1, padding) for i in range(3)]
    depth = None if dims[4] is None else ksizes[1] * ksizes[2] * ksizes[3] * dims[4]
    return TensorSpec(TensorShape([dims[0]] + out + [depth]), input.dtype)


def _extract_volume_kernel(xp, input, ksizes, strides, padding):
    ksize, stride = list(ksizes[1:4]), list(strides[1:4])
    geo = geometry([int(d) for d in input.shape[1:4]], ksize, stride, [1, 1, 1], padding)
    cols = patches(xp, input, ksize, stride, [1, 1, 1], geo)
    lead = tuple(int(d) for d in cols.shape[:4])
    return cols.reshape(lead + (int(cols.shape[4]) * int(cols.shape[5]),))


def _extract_volume_grad(op, grad):
    """The patches are a Conv3D with the one-hot filter eye(taps * C) reshaped to (kd, kh, kw, C, taps * C)
    (output channel k * C + c is tap k of channel c), so the gradient is that Conv3D's backprop."""
    x = op.inputs[0]
    channels = x.shape.as_tuple()[-1] if x.shape.ndims else None
    if channels is None:
        raise LookupError("The gradient of ExtractVolumePatches needs the input's channel count known at graph "
                          "build time.")
    ksizes = op.get_attr("ksizes")
    width = ksizes[1] * ksizes[2] * ksizes[3] * channels
    eye = gather_ops.one_hot(list(range(width)), width, dtype=grad.dtype)
    filters = array_ops.reshape(eye, [ksizes[1], ksizes[2], ksizes[3], channels, width])
    return apply_op("Conv3DBackpropInputV2", _shape(x), filters, grad, name="Conv3DBackpropInputV2",
                    strides=list(op.get_attr("strides")), padding=op.get_attr("padding"), data_format="NDHWC",
                    dilations=[1, 1, 1, 1, 1])


register(OpDef("ExtractVolumePatches", infer=_extract_volume_infer, kernel=_extract_volume_kernel,
               grad=_extract_volume_grad, attrs={"ksizes": REQUIRED, "strides": REQUIRED, "padding": REQUIRED},
               input_names=("input: T",), output_names=("patches: T",),
               attr_types={"ksizes": "list(int) >= 5", "strides": "list(int) >= 5", "T": "type",
                           "padding": "string"}))


# ================================================================================================
# The op-level TF1 functions (tf.nn.conv2d, ...); composed ones live in library/nn_conv.py
# ================================================================================================
def normalize_list(value, ndims: int, name: str, data_format: str) -> list:
    """TF's `_get_sequence`: an int or 1/N/N+2-long list -> N+2 entries in `data_format` order."""
    if value is None:
        value = 1
    if isinstance(value, int):
        value = [value]
    value = [int(v) for v in value]
    if len(value) == 1:
        value = value * ndims
    if len(value) == ndims:
        return [1, 1] + value if channels_first(data_format) else [1] + value + [1]
    if len(value) == ndims + 2:
        return value
    raise ValueError(f"{name} should be of length 1, {ndims} or {ndims + 2} but was {len(value)}")


def padding_attrs(padding, data_format: str, ndims: int):
    """(padding string, explicit_paddings) from TF's padding argument (a string or explicit pairs)."""
    if isinstance(padding, str):
        padding = padding.upper()
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"padding must be 'SAME', 'VALID' or a list of explicit paddings, got {padding!r}")
        return padding, []
    pairs = [list(p) for p in padding]
    if len(pairs) != ndims + 2 or any(len(p) != 2 for p in pairs):
        raise ValueError(f"When padding is explicit, it must be a list of {ndims + 2} [before, after] pairs; "
                         f"got {padding!r}")
    outer = [pairs[0], pairs[1]] if channels_first(data_format) else [pairs[0], pairs[-1]]
    if outer != [[0, 0], [0, 0]]:
        raise ValueError("Explicit padding of the batch and channel dimensions must be 0.")
    return "EXPLICIT", [int(v) for p in pairs for v in p]


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
           dilations=(1, 1, 1, 1), name=None, filters=None):
    """2-D convolution (cross-correlation) of NHWC/NCHW `input` with HWIO `filter`, as `tf.nn.conv2d`.

        y = tf.nn.conv2d(images, kernel, strides=[1, 1, 1, 1], padding="SAME")

    `padding` is "SAME", "VALID" or explicit [before, after] pairs for the 4 dims.
    """
    filter = filters if filter is None else filter
    if filter is None or strides is None or padding is None:
        raise TypeError("conv2d() needs input, filter, strides and padding.")
    data_format = data_format or "NHWC"
    padding, explicit = padding_attrs(padding, data_format, 2)
    return apply_op("Conv2D", input, filter, name=name or "Conv2D", strides=normalize_list(strides, 2, "strides",
                    data_format), padding=padding, explicit_paddings=explicit, use_cudnn_on_gpu=use_cudnn_on_gpu,
                    data_format=data_format, dilations=normalize_list(dilations, 2, "dilations", data_format))


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None, padding=None,
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=(1, 1, 1, 1), name=None, filters=None):
    """The gradient of conv2d with respect to its input, as `tf.nn.conv2d_backprop_input`."""
    filter = filters if filter is None else filter
    padding, explicit = padding_attrs(padding, data_format, 2)
    return apply_op("Conv2DBackpropInput", input_sizes, filter, out_backprop, name=name or "Conv2DBackpropInput",
                    strides=normalize_list(strides, 2, "strides", data_format), padding=padding,
                    explicit_paddings=explicit, use_cudnn_on_gpu=use_cudnn_on_gpu, data_format=data_format,
                    dilations=normalize_list(dilations, 2, "dilations", data_format))


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding, use_cudnn_on_gpu=True,
                           data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """The gradient of conv2d with respect to its filter, as `tf.nn.conv2d_backprop_filter`."""
    padding, explicit = padding_attrs(padding, data_format, 2)
    return apply_op("Conv2DBackpropFilter", input, filter_sizes, out_backprop, name=name or "Conv2DBackpropFilter",
                    strides=normalize_list(strides, 2, "strides", data_format), padding=padding,
                    explicit_paddings=explicit, use_cudnn_on_gpu=use_cudnn_on_gpu, data_format=data_format,
                    dilations=normalize_list(dilations, 2, "dilations", data_format))


def conv3d(input, filter=None, strides=None, padding=None, data_format="NDHWC", dilations=(1, 1, 1, 1, 1),
           name=None, filters=None):
    """3-D convolution of NDHWC/NCDHW `input` with DHWIO `filter`, as `tf.nn.conv3d`."""
    filter = filters if filter is None else filter
    data_format = data_format or "NDHWC"
    return apply_op("Conv3D", input, filter, name=name or "Conv3D",
                    strides=normalize_list(strides, 3, "strides", data_format), padding=padding.upper(),
                    data_format=data_format, dilations=normalize_list(dilations, 3, "dilations", data_format))


def conv3d_backprop_input_v2(input_sizes, filter, out_backprop, strides, padding, data_format="NDHWC",
                             dilations=(1, 1, 1, 1, 1), name=None):
    """The gradient of conv3d with respect to its input, as `tf.nn.conv3d_backprop_input_v2`."""
    return apply_op("Conv3DBackpropInputV2", input_sizes, filter, out_backprop, name=name or "Conv3DBackpropInputV2",
                    strides=list(strides), padding=padding, data_format=data_format, dilations=list(dilations))


def conv3d_backprop_filter_v2(input, filter_sizes, out_backprop, strides, padding, data_format="NDHWC",
                              dilations=(1, 1, 1, 1, 1), name=None):
    """The gradient of conv3d with respect to its filter, as `tf.nn.conv3d_backprop_filter_v2`."""
    return apply_op("Conv3DBackpropFilterV2", input, filter_sizes, out_backprop,
                    name=name or "Conv3DBackpropFilterV2", strides=list(strides), padding=padding,
                    data_format=data_format, dilations=list(dilations))


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """Each input channel convolved with its own `multiplier` filters, as `tf.nn.depthwise_conv2d_native`."""
    data_format = data_format or "NHWC"
    padding, explicit = padding_attrs(padding, data_format, 2)
    return apply_op(_DW, input, filter, name=name or _DW, strides=normalize_list(strides, 2, "strides", data_format),
                    padding=padding, explicit_paddings=explicit, data_format=data_format,
                    dilations=normalize_list(dilations, 2, "dilations", data_format))


def depthwise_conv2d_native_backprop_input(input_sizes, filter, out_backprop, strides, padding, data_format="NHWC",
                                           dilations=(1, 1, 1, 1), name=None):
    """The gradient of depthwise_conv2d_native with respect to its input."""
    padding, explicit = padding_attrs(padding, data_format, 2)
    return apply_op(_DW + "BackpropInput", input_sizes, filter, out_backprop, name=name or _DW + "BackpropInput",
                    strides=list(strides), padding=padding, explicit_paddings=explicit, data_format=data_format,
                    dilations=list(dilations))


def depthwise_conv2d_native_backprop_filter(input, filter_sizes, out_backprop, strides, padding, data_format="NHWC",
                                            dilations=(1, 1, 1, 1), name=None):
    """The gradient of depthwise_conv2d_native with respect to its filter."""
    padding, explicit = padding_attrs(padding, data_format, 2)
    return apply_op(_DW + "BackpropFilter", input, filter_sizes, out_backprop, name=name or _DW + "BackpropFilter",
                    strides=list(strides), padding=padding, explicit_paddings=explicit, data_format=data_format,
                    dilations=list(dilations))


def extract_image_patches(images, ksizes=None, strides=None, rates=None, padding=None, name=None, sizes=None):
    """Each ksizes window of NHWC `images` flattened into depth, as `tf.extract_image_patches`.

        patches = tf.extract_image_patches(images, [1, 3, 3, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    """
    ksizes = sizes if ksizes is None else ksizes
    return apply_op("ExtractImagePatches", images, name=name or "ExtractImagePatches", ksizes=list(ksizes),
                    strides=list(strides), rates=list(rates), padding=padding.upper())


def extract_volume_patches(input, ksizes, strides, padding, name=None):  # noqa: A002 - TF's argument name
    """Each ksizes window of NDHWC `input` flattened into depth, as `tf.extract_volume_patches`."""
    return apply_op("ExtractVolumePatches", input, name=name or "ExtractVolumePatches", ksizes=list(ksizes),
                    strides=list(strides), padding=padding.upper())
