"""The composed convolution and pooling functions of `tf.nn`: 1-D forms, transposes, atrous and
separable convolutions, `convolution` and `pool` (rank-dispatching), and the v2 pooling forms.

1-D convolutions and pools run as their 2-D ops on an inserted unit dim (as TF does); a
transposed convolution is the backprop-input op of the forward one.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import _graph_of
from estflow.core.ops import conv_ops, pooling_ops
from estflow.core.ops.array_ops import expand_dims, squeeze
from estflow.core.ops.array_ops import shape as array_shape
from estflow.core.ops.concat_ops import concat, stack
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.math_ops import floormod
from estflow.core.registry import apply_op


def _scope(name, default, values):
    g = _graph_of([v for v in values if v is not None])
    return g.as_default(), g.name_scope(name or default)


class _Scoped:
    """`with _Scoped(name, "conv1d", [x, w]) as scope:` - TF's `ops.name_scope(name, default, values)`."""

    def __init__(self, name, default, values):
        self._contexts = _scope(name, default, values)

    def __enter__(self):
        self._contexts[0].__enter__()
        return self._contexts[1].__enter__()

    def __exit__(self, *exc):
        self._contexts[1].__exit__(*exc)
        return self._contexts[0].__exit__(*exc)


def _rank(x):
    return convert_to_tensor(x).shape.ndims


def _shape_tensor(output_shape):
    """An output_shape argument (list of ints or Tensors, or a Tensor) as an int32 tensor."""
    if isinstance(output_shape, (list, tuple)) and any(not isinstance(v, int) for v in output_shape):
        return stack([convert_to_tensor(v) for v in output_shape])
    return convert_to_tensor(output_shape, name="output_shape")


# ---- 1-D convolutions ---------------------------------------------------------------------------------
def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None, data_format=None, name=None,
           input=None, dilations=None):  # noqa: A002 - TF's argument name
    """1-D convolution of NWC/NCW `value` with a (width, in, out) filter, as `tf.nn.conv1d`."""
    value = input if value is None else value
    data_format = data_format or "NWC"
    if data_format not in ("NWC", "NCW", "NHWC", "NCHW"):
        raise ValueError("data_format must be \"NWC\" or \"NCW\".")
    first = data_format.startswith("NC")
    with _Scoped(name, "conv1d", [value, filters]):
        value = convert_to_tensor(value, name="input")
        x = expand_dims(value, 2 if first else 1)
        w = expand_dims(convert_to_tensor(filters, name="filters"), 0)
        stride = stride[-1] if isinstance(stride, (list, tuple)) else stride
        dilation = 1 if dilations is None else (dilations[-1] if isinstance(dilations, (list, tuple)) else dilations)
        fmt = "NCHW" if first else "NHWC"
        y = conv_ops.conv2d(x, w, strides=[1, 1, 1, int(stride)] if first else [1, 1, int(stride), 1],
                            padding=padding, use_cudnn_on_gpu=True if use_cudnn_on_gpu is None else use_cudnn_on_gpu,
                            data_format=fmt, dilations=[1, 1, 1, dilation] if first else [1, 1, dilation, 1])
        return squeeze(y, [2 if first else 1])


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):
    """The transpose (gradient) of conv1d, as `tf.nn.conv1d_transpose`."""
    first = data_format.startswith("NC")
    with _Scoped(name, "conv1d_transpose", [input, filters, output_shape]):
        x = expand_dims(convert_to_tensor(input, name="input"), 2 if first else 1)
        w = expand_dims(convert_to_tensor(filters, name="filters"), 0)
        shape = _shape_tensor(output_shape)
        one = convert_to_tensor([1], dtype=shape.dtype)
        sizes = concat([shape[:2], one, shape[2:]] if first else [shape[:1], one, shape[1:]], 0)
        stride = strides[-1] if isinstance(strides, (list, tuple)) else strides
        dilation = 1 if dilations is None else (dilations[-1] if isinstance(dilations, (list, tuple)) else dilations)
        fmt = "NCHW" if first else "NHWC"
        y = conv_ops.conv2d_backprop_input(sizes, w, x, strides=[1, 1, 1, stride] if first else [1, 1, stride, 1],
                                           padding=padding, data_format=fmt,
                                           dilations=[1, 1, 1, dilation] if first else [1, 1, dilation, 1])
        return squeeze(y, [2 if first else 1])


# ---- transposed, atrous, depthwise and separable 2-D convolutions ---------------------------------------------
def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",  # noqa: A002
                     data_format="NHWC", name=None, input=None, filters=None, dilations=None):  # noqa: A002
    """The transpose (gradient) of conv2d, as `tf.nn.conv2d_transpose`; filter is (h, w, out, in)."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    data_format = data_format or "NHWC"
    with _Scoped(name, "conv2d_transpose", [value, filter, output_shape]) as scope:
        value = convert_to_tensor(value, name="value")
        filter = convert_to_tensor(filter, name="filter")
        channel = 1 if data_format.startswith("NC") else 3
        if value.shape.ndims == 4 and filter.shape.ndims == 4:
            have, want = value.shape.as_tuple()[channel], filter.shape.as_tuple()[3]
            if have is not None and want is not None and have != want:
                raise ValueError(f"input channels does not match filter's input channels, {have} != {want}")
        return conv_ops.conv2d_backprop_input(_shape_tensor(output_shape), filter, value, strides=strides,
                                              padding=padding, data_format=data_format,
                                              dilations=dilations if dilations is not None else 1, name=scope)


def conv3d_transpose(value=None, filter=None, output_shape=None, strides=None, padding="SAME",  # noqa: A002
                     data_format="NDHWC", name=None, input=None, filters=None, dilations=None):  # noqa: A002
    """The transpose (gradient) of conv3d, as `tf.nn.conv3d_transpose`; filter is (d, h, w, out, in)."""
    value = input if value is None else value
    filter = filters if filter is None else filter
    data_format = data_format or "NDHWC"
    with _Scoped(name, "conv3d_transpose", [value, filter, output_shape]) as scope:
        return apply_op("Conv3DBackpropInputV2", _shape_tensor(output_shape), filter, value, name=scope,
                        strides=conv_ops.normalize_list(strides, 3, "strides", data_format), padding=padding.upper(),
                        data_format=data_format,
                        dilations=conv_ops.normalize_list(dilations, 3, "dilations", data_format))


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,  # noqa: A002
                   dilations=None, name=None):
    """conv1d/2d/3d_transpose chosen by the length of `output_shape`, as `tf.nn.conv_transpose`."""
    n = len(output_shape) if isinstance(output_shape, (list, tuple)) else int(
        convert_to_tensor(output_shape).shape.as_tuple()[0])
    if n == 3:
        return conv1d_transpose(input, filters, output_shape, strides, padding, data_format or "NWC", dilations, name)
    if n == 4:
        return conv2d_transpose(input, filters, output_shape, strides, padding, data_format or "NHWC", name,
                                dilations=dilations)
    if n == 5:
        return conv3d_transpose(input, filters, output_shape, strides, padding, data_format or "NDHWC", name,
                                dilations=dilations)
    raise ValueError(f"output_shape must have 3, 4 or 5 entries (1-D, 2-D or 3-D), got {n}")


def atrous_conv2d(value, filters, rate, padding, name=None):
    """conv2d with holes (dilation `rate`), as `tf.nn.atrous_conv2d`."""
    if rate < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    with _Scoped(name, "convolution", [value, filters]):
        return conv_ops.conv2d(value, filters, strides=[1, 1, 1, 1], padding=padding, dilations=[1, rate, rate, 1])


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    """The transpose of atrous_conv2d, as `tf.nn.atrous_conv2d_transpose`."""
    if rate < 1:
        raise ValueError(f"rate {rate} cannot be less than one")
    with _Scoped(name, "atrous_conv2d_transpose", [value, filters, output_shape]):
        return conv_ops.conv2d_backprop_input(_shape_tensor(output_shape), filters, value, strides=[1, 1, 1, 1],
                                              padding=padding, dilations=[1, rate, rate, 1])


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None,  # noqa: A002
                     dilations=None):
    """Each input channel convolved with its own filters, as `tf.nn.depthwise_conv2d`."""
    rate = dilations if rate is None else rate
    data_format = data_format or "NHWC"
    with _Scoped(name, "depthwise", [input, filter]) as scope:
        return apply_op("DepthwiseConv2dNative", input, filter, name=scope,
                        strides=conv_ops.normalize_list(strides, 2, "strides", data_format),
                        padding=padding.upper(), data_format=data_format,
                        dilations=conv_ops.normalize_list(rate, 2, "rate", data_format))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None):
    """A depthwise convolution followed by a 1x1 (pointwise) one, as `tf.nn.separable_conv2d`."""
    data_format = data_format or "NHWC"
    with _Scoped(name, "separable_conv2d", [input, depthwise_filter, pointwise_filter]) as scope:
        depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, rate=rate if rate is not None else
                                     dilations, name="depthwise", data_format=data_format)
        return conv_ops.conv2d(depthwise, pointwise_filter, [1, 1, 1, 1], "VALID", data_format=data_format,
                               name=scope)


def convolution(input, filter=None, padding=None, strides=None, dilation_rate=None, name=None,  # noqa: A002
                data_format=None, filters=None, dilations=None):
    """N-D convolution (1-D, 2-D or 3-D from the filter's rank), as `tf.nn.convolution`."""
    filter = filters if filter is None else filter
    dilation_rate = dilations if dilation_rate is None else dilation_rate
    filter = convert_to_tensor(filter, name="filter")
    n = (filter.shape.ndims or (_rank(input) or 4)) - 2
    first = data_format is not None and data_format.startswith("NC")
    with _Scoped(name, "convolution", [input, filter]) as scope:
        if n == 1:
            return conv1d(input, filter, strides or 1, padding, data_format="NCW" if first else "NWC",
                          dilations=dilation_rate, name=scope.rstrip("/").split("/")[-1])
        if n == 2:
            fmt = "NCHW" if first else "NHWC"
            return conv_ops.conv2d(input, filter, strides=strides or 1, padding=padding, data_format=fmt,
                                   dilations=dilation_rate or 1, name=scope)
        if n == 3:
            fmt = "NCDHW" if first else "NDHWC"
            return conv_ops.conv3d(input, filter, strides=strides or 1, padding=padding, data_format=fmt,
                                   dilations=dilation_rate or 1, name=scope)
    raise ValueError(f"convolution supports 1, 2 or 3 spatial dims; the filter has rank {n + 2}")


# ---- pooling ------------------------------------------------------------------------------------------
def _pool1d(op_fn, default, input, ksize, strides, padding, data_format, name):
    data_format = data_format or "NWC"
    first = data_format.startswith("NC")
    with _Scoped(name, default, [input]):
        x = expand_dims(convert_to_tensor(input, name="input"), 2 if first else 1)
        k = conv_ops.normalize_list(ksize, 1, "ksize", "NCW" if first else "NWC")
        s = conv_ops.normalize_list(strides, 1, "strides", "NCW" if first else "NWC")
        k = k[:2] + [1] + k[2:] if first else k[:1] + [1] + k[1:]
        s = s[:2] + [1] + s[2:] if first else s[:1] + [1] + s[1:]
        y = op_fn(x, k, s, padding, data_format="NCHW" if first else "NHWC")
        return squeeze(y, [2 if first else 1])


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """1-D max pooling of NWC/NCW input, as `tf.nn.max_pool1d`."""
    return _pool1d(pooling_ops.max_pool, "MaxPool1d", input, ksize, strides, padding, data_format, name)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """1-D average pooling of NWC/NCW input, as `tf.nn.avg_pool1d`."""
    return _pool1d(pooling_ops.avg_pool, "AvgPool1D", input, ksize, strides, padding, data_format, name)


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """2-D max pooling, as `tf.nn.max_pool2d`."""
    return pooling_ops.max_pool(input, ksize, strides, padding, data_format=data_format, name=name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """2-D average pooling, as `tf.nn.avg_pool2d`."""
    return pooling_ops.avg_pool(input, ksize, strides, padding, data_format=data_format, name=name)


def _by_rank(fns, input, ksize, strides, padding, data_format, name):  # noqa: A002
    rank = _rank(input)
    if rank not in (3, 4, 5):
        raise ValueError(f"Input tensor must be of rank 3, 4 or 5 but was {rank}.")
    fn = fns[rank - 3]
    if data_format is None:
        return fn(input, ksize, strides, padding, name=name)
    return fn(input, ksize, strides, padding, data_format=data_format, name=name)


def max_pool_v2(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Max pooling of a 3-, 4- or 5-D input (1-, 2- or 3-D windows), as `tf.nn.max_pool_v2`."""
    return _by_rank((max_pool1d, max_pool2d, pooling_ops.max_pool3d), input, ksize, strides, padding, data_format,
                    name)


def avg_pool_v2(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Average pooling of a 3-, 4- or 5-D input, as `tf.nn.avg_pool_v2`."""
    return _by_rank((avg_pool1d, avg_pool2d, pooling_ops.avg_pool3d), input, ksize, strides, padding, data_format,
                    name)


def pool(input, window_shape, pooling_type, padding, dilation_rate=None, strides=None, name=None,  # noqa: A002
         data_format=None, dilations=None):
    """MAX or AVG pooling over N-D windows, as `tf.nn.pool`.

    Dilated pooling (`dilation_rate` > 1) is not supported: estflow raises a ValueError.
    """
    dilation_rate = dilations if dilation_rate is None else dilation_rate
    if dilation_rate is not None and any(int(d) != 1 for d in dilation_rate):
        raise ValueError("estflow's tf.nn.pool supports dilation_rate 1 only (dilated pooling is not implemented).")
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"Invalid pooling_type: {pooling_type}")
    window_shape = list(window_shape)
    strides = list(strides) if strides is not None else [1] * len(window_shape)
    fn = max_pool_v2 if pooling_type == "MAX" else avg_pool_v2
    with _Scoped(name, f"{pooling_type.lower()}_pool", [input]) as scope:
        return fn(input, window_shape, strides, padding, data_format=data_format,
                  name=scope.rstrip("/").split("/")[-1])



# ---- space-to-batch helpers -----------------------------------------------------------------------------
def required_space_to_batch_paddings(input_shape, block_shape, base_paddings=None, name=None):
    """(paddings, crops) that make `input_shape` (+ base_paddings) divisible by `block_shape`, as
    `tf.required_space_to_batch_paddings`: the extra padding goes at the end and is cropped back."""
    with _Scoped(name, "required_space_to_batch_paddings", [input_shape, block_shape]):
        input_shape = convert_to_tensor(input_shape, dtype=dtypes.int32, name="input_shape")
        block_shape = convert_to_tensor(block_shape, dtype=dtypes.int32, name="block_shape")
        if base_paddings is None:
            n = block_shape.shape.as_tuple()[0]
            base_paddings = [[0, 0]] * n
        base = convert_to_tensor(base_paddings, dtype=dtypes.int32, name="base_paddings")
        pad_start, orig_pad_end = base[:, 0], base[:, 1]
        full = input_shape + pad_start + orig_pad_end
        pad_end_extra = floormod(block_shape - floormod(full, block_shape), block_shape)
        paddings = stack([pad_start, orig_pad_end + pad_end_extra], axis=1, name="paddings")
        crops = stack([pad_end_extra * 0, pad_end_extra], axis=1, name="crops")
        return paddings, crops


def with_space_to_batch(input, dilation_rate, padding, op, filter_shape=None, spatial_dims=None,  # noqa: A002
                        data_format=None):
    """Run `op(converted_input, num_spatial_dims, "VALID")` on space_to_batch_nd(input) and undo it after,
    which turns a dilated operation into a plain one, as `tf.nn.with_space_to_batch`.

    With every rate 1, `op(input, num_spatial_dims, padding)` runs directly. SAME padding needs `filter_shape`.
    """
    input = convert_to_tensor(input, name="input")
    rates = [int(r) for r in (dilation_rate if isinstance(dilation_rate, (list, tuple)) else [dilation_rate])]
    num_spatial = len(rates)
    if spatial_dims is None:
        first = data_format is not None and data_format.startswith("NC")
        spatial_dims = list(range(2, num_spatial + 2)) if first else list(range(1, num_spatial + 1))
    spatial_dims = sorted(int(d) for d in spatial_dims)
    if spatial_dims != list(range(spatial_dims[0], spatial_dims[0] + num_spatial)):
        raise ValueError("spatial_dims must be a contiguous range of dimensions")
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"Invalid padding method {padding!r}")
    if all(r == 1 for r in rates):
        return op(input, num_spatial, padding)
    if spatial_dims[0] != 1:
        raise ValueError("estflow's with_space_to_batch supports spatial dims starting at 1 (channels-last) when "
                         "dilation_rate > 1.")
    if padding == "SAME":
        if filter_shape is None:
            raise ValueError("filter_shape must be specified for SAME padding")
        totals = [(int(k) - 1) * r for k, r in zip(filter_shape, rates)]
        base = [[t // 2, t - t // 2] for t in totals]
    else:
        base = [[0, 0]] * num_spatial
    spatial_shape = array_shape(input)[1:1 + num_spatial]
    paddings, crops = required_space_to_batch_paddings(spatial_shape, rates, base)
    converted = apply_op("SpaceToBatchND", input, convert_to_tensor(rates, dtype=dtypes.int32), paddings,
                         name="SpaceToBatchND")
    result = op(converted, num_spatial, "VALID")
    return apply_op("BatchToSpaceND", result, convert_to_tensor(rates, dtype=dtypes.int32), crops,
                    name="BatchToSpaceND")
