"""TF's generic `Conv` op (batch dims, groups) and the V2 conv backprops that take the input or
filter itself, not its shape: Conv2DBackpropInputV2, Conv2DBackpropFilterV2.

The kernels reuse conv_ops' im2col code; `Conv` runs one product per group. TF registers no
gradient for any of the three, so `tf.gradients` through them raises LookupError, as in TF.
"""

from __future__ import annotations

from estflow.core.ops.array_ops import _fmt, _invalid
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.conv_ops import (
    _2D_ATTRS,
    _2D_TYPES,
    _CONV2D_TYPES,
    _FLOATS,
    _conv_backprop_filter_kernel,
    _conv_backprop_input_kernel,
    _conv_forward,
    _conv_out_shape,
    check_dtype,
    check_format_lists,
    from_channels_last,
    normalize_list,
    padding_attrs,
    shape_channels_last,
    shape_in_format,
    to_channels_last,
)
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


# ---- Conv2DBackpropInputV2, Conv2DBackpropFilterV2 ---------------------------------------------------
def _backprop_v2_infer(allowed, result_index):
    def infer(input, filter, out_backprop, *, strides, padding, data_format, dilations, explicit_paddings=(), **_):
        check_dtype(out_backprop, allowed, "out_backprop")
        check_format_lists(2, data_format, strides=strides, dilations=dilations)
        for spec, what in ((input, "input"), (filter, "filter"), (out_backprop, "out_backprop")):
            if spec.dtype != out_backprop.dtype:
                raise TypeError(f"Input '{what}' has type {spec.dtype.name} that does not match type "
                                f"{out_backprop.dtype.name} of argument 'out_backprop'.")
            if spec.shape.ndims not in (None, 4):
                raise ValueError(f"Shape must be rank 4 but is rank {spec.shape.ndims}")
        result = (input, filter)[result_index]
        return TensorSpec(result.shape, result.dtype)

    return infer


def _backprop_input_v2_kernel(xp, input, filter, out_backprop, **attrs):
    return _conv_backprop_input_kernel(xp, xp.asarray(list(input.shape)), filter, out_backprop, **attrs)


def _backprop_filter_v2_kernel(xp, input, filter, out_backprop, **attrs):
    return _conv_backprop_filter_kernel(xp, input, xp.asarray(list(filter.shape)), out_backprop, **attrs)


register(OpDef("Conv2DBackpropInputV2", infer=_backprop_v2_infer(_CONV2D_TYPES, 0), kernel=_backprop_input_v2_kernel,
               attrs=dict(_2D_ATTRS), same_dtype="all", broadcasts=False,
               input_names=("input: T", "filter: T", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_2D_TYPES)))
register(OpDef("Conv2DBackpropFilterV2", infer=_backprop_v2_infer(_FLOATS, 1), kernel=_backprop_filter_v2_kernel,
               attrs=dict(_2D_ATTRS), same_dtype="all", broadcasts=False,
               input_names=("input: T", "filter: T", "out_backprop: T"), output_names=("output: T",),
               attr_types=dict(_2D_TYPES)))


def _backprop_v2(op_type):
    def backprop(input, filter, out_backprop, strides, padding, use_cudnn_on_gpu=True, explicit_paddings=(),  # noqa: A002
                 data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
        if padding == "EXPLICIT":
            padding_arg = [list(explicit_paddings[i:i + 2]) for i in range(0, len(explicit_paddings), 2)]
        else:
            padding_arg = padding
        padding, explicit = padding_attrs(padding_arg, data_format, 2)
        return apply_op(op_type, input, filter, out_backprop, name=name or op_type,
                        strides=normalize_list(strides, 2, "strides", data_format), padding=padding,
                        explicit_paddings=explicit, use_cudnn_on_gpu=bool(use_cudnn_on_gpu), data_format=data_format,
                        dilations=normalize_list(dilations, 2, "dilations", data_format))

    return backprop


conv2d_backprop_input_v2 = _backprop_v2("Conv2DBackpropInputV2")
conv2d_backprop_input_v2.__name__ = "conv2d_backprop_input_v2"
conv2d_backprop_input_v2.__doc__ = """The gradient of a 2-D convolution with respect to `input` (whose shape alone is
used), as `tf.conv2d_backprop_input_v2` (TF's raw op; `tf.nn.conv2d_backprop_input` takes the shape instead)."""
conv2d_backprop_filter_v2 = _backprop_v2("Conv2DBackpropFilterV2")
conv2d_backprop_filter_v2.__name__ = "conv2d_backprop_filter_v2"
conv2d_backprop_filter_v2.__doc__ = """The gradient of a 2-D convolution with respect to `filter` (whose shape alone is
used), as `tf.conv2d_backprop_filter_v2`."""


# ---- Conv --------------------------------------------------------------------------------------------
_CONV_FORMATS = ("CHANNELS_LAST", "CHANNELS_FIRST")


def _layout(data_format: str, nd: int) -> str:
    """conv_ops' format string for `nd` spatial dims: N...C or NC..."""
    return "N" + "S" * nd + "C" if data_format == "CHANNELS_LAST" else "NC" + "S" * nd


def _conv_lists(nd, strides, dilations):
    dilations = list(dilations) or [1] * (nd + 2)
    if len(strides) != nd + 2 or len(dilations) != nd + 2:
        raise ValueError(f"strides and dilations must have {nd + 2} elements for a {nd}-D convolution, got "
                         f"{len(strides)} and {len(dilations)}")
    return list(strides), dilations


def _infer_conv(input, filter, *, strides, padding, explicit_paddings, data_format, dilations, batch_dims, groups):
    check_dtype(input, _CONV2D_TYPES, "input")
    if filter.dtype != input.dtype:
        raise TypeError(f"Input 'filter' has type {filter.dtype.name} that does not match type {input.dtype.name} "
                        "of argument 'input'.")
    f_dims = filter.shape.as_tuple()
    nd = None if f_dims is None else len(f_dims) - 2
    if nd is not None and nd not in (1, 2, 3):
        raise ValueError(f"Conv needs a filter of rank 3 to 5 (1 to 3 spatial dims), got rank {len(f_dims)}")
    i_dims = input.shape.as_tuple()
    if nd is None or i_dims is None:
        return TensorSpec(TensorShape(None), input.dtype)
    if len(i_dims) != nd + 1 + batch_dims:
        raise ValueError(f"input must have rank {nd + 1 + batch_dims} (batch_dims={batch_dims}, {nd} spatial dims), "
                         f"got {len(i_dims)}")
    strides, dilations = _conv_lists(nd, strides, dilations)
    layout = _layout(data_format, nd)
    batch = i_dims[:batch_dims]
    in_last = shape_channels_last([None, *i_dims[batch_dims:]], layout)
    channels = in_last[-1]
    if channels is not None and f_dims[-2] is not None and channels != f_dims[-2] * groups:
        raise ValueError(f"Depth of input ({channels}) must equal the filter's input depth ({f_dims[-2]}) times "
                         f"groups ({groups})")
    out_last = _conv_out_shape(in_last, f_dims, strides, dilations, padding, explicit_paddings, layout)
    return TensorSpec(TensorShape(list(batch) + shape_in_format(out_last, layout)[1:]), input.dtype)


def _conv_generic_kernel(xp, input, filter, strides, padding, explicit_paddings, data_format, dilations, batch_dims,
                         groups):
    nd = filter.ndim - 2
    strides, dilations = _conv_lists(nd, strides, dilations)
    layout = _layout(data_format, nd)
    batch = tuple(int(d) for d in input.shape[:batch_dims])
    x = to_channels_last(xp, input.reshape((-1,) + tuple(input.shape[batch_dims:])), layout)
    depth, out_channels = int(filter.shape[-2]), int(filter.shape[-1])
    if int(x.shape[-1]) != depth * groups or out_channels % groups:
        raise _invalid(f"Conv with groups={groups}: input depth {int(x.shape[-1])} must be {groups} x the filter's "
                       f"input depth {depth}, and the filter's output depth {out_channels} a multiple of {groups} "
                       f"(filter shape {_fmt(filter.shape)})")
    per_group = out_channels // groups
    parts = [_conv_forward(xp, x[..., g * depth:(g + 1) * depth], filter[..., g * per_group:(g + 1) * per_group],
                           strides, dilations, padding, layout, explicit_paddings) for g in range(groups)]
    y = parts[0] if groups == 1 else xp.concatenate(parts, axis=-1)
    y = from_channels_last(xp, y.astype(input.dtype, copy=False), layout)
    return y.reshape(batch + tuple(int(d) for d in y.shape[1:]))


register(OpDef("Conv", infer=_infer_conv, kernel=_conv_generic_kernel,
               attrs={"strides": REQUIRED, "padding": REQUIRED, "explicit_paddings": [],
                      "data_format": "CHANNELS_LAST", "dilations": [], "batch_dims": 1, "groups": 1},
               same_dtype="all", broadcasts=False, input_names=("input: T", "filter: T"), output_names=("output: T",),
               attr_types={"T": "type", "strides": "list(int)", "padding": "string", "explicit_paddings": "list(int)",
                           "data_format": "string", "dilations": "list(int)", "batch_dims": "int",
                           "groups": "int"}))


def conv(input, filter, strides, padding, explicit_paddings=(), data_format="CHANNELS_LAST", dilations=(),  # noqa: A002
         batch_dims=1, groups=1, name=None):
    """N-D convolution (N = 1 to 3 spatial dims) with any number of leading batch dims and grouped
    channels, as `tf.conv` (TF's raw `Conv` op).

        y = tf.conv(images, kernel, strides=[1, 1, 1, 1], padding="SAME")   # as tf.nn.conv2d
    """
    if data_format not in _CONV_FORMATS:
        raise ValueError(f"data_format must be one of {_CONV_FORMATS}, got {data_format!r}")
    if int(groups) < 1 or int(batch_dims) < 1:
        raise ValueError(f"batch_dims and groups must be positive, got {batch_dims} and {groups}")
    input = convert_to_tensor(input, name="input")  # noqa: A001 - TF's argument name
    filter = convert_to_tensor(filter, dtype=input.dtype, name="filter")  # noqa: A001
    return apply_op("Conv", input, filter, name=name or "Conv", strides=[int(s) for s in strides],
                    padding=padding, explicit_paddings=[int(p) for p in explicit_paddings], data_format=data_format,
                    dilations=[int(d) for d in dilations], batch_dims=int(batch_dims), groups=int(groups))

