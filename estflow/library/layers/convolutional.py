"""`tf.layers` convolutions: Conv1D/2D/3D, Conv2DTranspose, Conv3DTranspose, SeparableConv1D/2D
and their functions (TF1's layers/convolutional.py).

Variables are TF1's: `<scope>/kernel` (kernel_size + (in_channels, filters); for the
transposes kernel_size + (filters, in_channels)), `<scope>/bias` (filters), and for the
separable ones `<scope>/depthwise_kernel` and `<scope>/pointwise_kernel`. Scopes are named
after the class (`conv2d`, `conv2d_1`, `conv2d_transpose`, ...), as in TF1.

    y = tf.layers.conv2d(images, 32, 3, padding="same", activation=tf.nn.relu)   # conv2d/kernel:0
"""

from __future__ import annotations

from estflow.core.init_ops import Zeros
from estflow.core.ops import array_ops, conv_ops, nn_ops
from estflow.core.ops.concat_ops import stack
from estflow.core.tensor_shape import TensorShape
from estflow.library import nn_conv
from estflow.library.layers.base import Layer
from estflow.library.layers.core import _activation


def normalize_tuple(value, n: int, name: str) -> tuple:
    """An int or an n-sequence of ints as an n-tuple (Keras' conv_utils.normalize_tuple)."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) != n:
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value}")
    return value


def normalize_padding(padding) -> str:
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"The `padding` argument must be one of \"valid\", \"same\". Received: {padding}")
    return padding


def normalize_data_format(data_format) -> str:
    data_format = "channels_last" if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of \"channels_first\", \"channels_last\". "
                         f"Received: {data_format}")
    return data_format


def tf_data_format(data_format: str, rank: int) -> str:
    spatial = {1: "W", 2: "HW", 3: "DHW"}[rank]
    return f"NC{spatial}" if data_format == "channels_first" else f"N{spatial}C"


def conv_output_length(length, kernel, padding, stride, dilation=1):
    if length is None:
        return None
    eff = (kernel - 1) * dilation + 1
    length = length - eff + 1 if padding == "valid" else length
    return (length + stride - 1) // stride


def deconv_output_length(length, kernel, padding, stride):
    if length is None:
        return None
    return length * stride + max(kernel - stride, 0) if padding == "valid" else length * stride


class Conv(Layer):
    """N-D convolution layer (rank 1, 2 or 3): `activation(conv(inputs, kernel) + bias)`."""

    _rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer=None,
                 bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, name=None,
                 **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        rank = self._rank
        self.filters = int(filters)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = _activation(activation)
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer if bias_initializer is not None else Zeros()
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.kernel = None
        self.bias = None

    def _channel_axis(self) -> int:
        return 1 if self.data_format == "channels_first" else -1

    def _input_channels(self, input_shape) -> int:
        shape = TensorShape(input_shape)
        if shape.ndims is not None and shape.ndims != self._rank + 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: expected ndim="
                             f"{self._rank + 2}, found ndim={shape.ndims}. Full shape received: {shape}")
        dims = shape.as_tuple()
        channels = None if dims is None else dims[self._channel_axis()]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
        return channels

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels, self.filters)

    def build(self, input_shape) -> None:
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight("kernel", shape=self._kernel_shape(channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, dtype=self._dtype, trainable=True)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self._dtype, trainable=True)
        self.built = True

    def _convolve(self, inputs):
        fmt = tf_data_format(self.data_format, self._rank)
        if self._rank == 1:
            return nn_conv.conv1d(inputs, self.kernel, stride=self.strides[0], padding=self.padding.upper(),
                                  data_format=fmt, dilations=self.dilation_rate[0])
        if self._rank == 2:
            return conv_ops.conv2d(inputs, self.kernel, strides=list(self.strides), padding=self.padding.upper(),
                                   data_format=fmt, dilations=list(self.dilation_rate))
        return conv_ops.conv3d(inputs, self.kernel, strides=list(self.strides), padding=self.padding.upper(),
                               data_format=fmt, dilations=list(self.dilation_rate))

    def _finish(self, outputs):
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias,
                                      data_format="NCHW" if self.data_format == "channels_first" else "NHWC")
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def call(self, inputs):
        return self._finish(self._convolve(inputs))

    def _spatial(self, shape):
        dims = list(shape)
        return dims[2:] if self.data_format == "channels_first" else dims[1:-1]

    def _with_spatial(self, batch, spatial, channels):
        if self.data_format == "channels_first":
            return TensorShape([batch, channels] + list(spatial))
        return TensorShape([batch] + list(spatial) + [channels])

    def compute_output_shape(self, input_shape) -> TensorShape:
        dims = TensorShape(input_shape).with_rank(self._rank + 2).as_tuple()
        spatial = [conv_output_length(n, k, self.padding, s, d) for n, k, s, d in
                   zip(self._spatial(dims), self.kernel_size, self.strides, self.dilation_rate)]
        return self._with_spatial(dims[0], spatial, self.filters)


class Conv1D(Conv):
    """1-D convolution layer (temporal), as `tf.layers.Conv1D`; inputs (batch, steps, channels)."""

    _rank = 1


class Conv2D(Conv):
    """2-D convolution layer (images), as `tf.layers.Conv2D`; kernel (kh, kw, in_channels, filters).

        conv = tf.layers.Conv2D(32, (3, 3), padding="same", activation=tf.nn.relu)
        y = conv(images)        # "conv2d/kernel:0", "conv2d/bias:0"; ops "conv2d/Conv2D", "conv2d/BiasAdd"
    """

    _rank = 2


class Conv3D(Conv):
    """3-D convolution layer (volumes), as `tf.layers.Conv3D`."""

    _rank = 3


class Conv2DTranspose(Conv2D):
    """Transposed 2-D convolution ("deconvolution"), as `tf.layers.Conv2DTranspose`; kernel (kh, kw, filters, in)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                 activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                         name=name, **kwargs)

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _convolve(self, inputs):
        dynamic = array_ops.shape(inputs)
        static = inputs.shape.as_tuple() or (None,) * (self._rank + 2)
        spatial_static = self._spatial(static)
        spatial_axes = list(range(2, self._rank + 2)) if self.data_format == "channels_first" else \
            list(range(1, self._rank + 1))
        sizes = [deconv_output_length(n if n is not None else dynamic[axis], k, self.padding, s)
                 for n, axis, k, s in zip(spatial_static, spatial_axes, self.kernel_size, self.strides)]
        batch = dynamic[0]
        parts = [batch, self.filters] + sizes if self.data_format == "channels_first" else \
            [batch] + sizes + [self.filters]
        output_shape = stack(parts)
        fmt = tf_data_format(self.data_format, self._rank)
        strides = conv_ops.normalize_list(list(self.strides), self._rank, "strides", fmt)
        transpose = nn_conv.conv2d_transpose if self._rank == 2 else nn_conv.conv3d_transpose
        outputs = transpose(inputs, self.kernel, output_shape, strides, padding=self.padding.upper(),
                            data_format=fmt)
        outputs.set_shape(self.compute_output_shape(inputs.shape))
        return outputs

    def compute_output_shape(self, input_shape) -> TensorShape:
        dims = TensorShape(input_shape).with_rank(self._rank + 2).as_tuple()
        spatial = [deconv_output_length(n, k, self.padding, s) for n, k, s in
                   zip(self._spatial(dims), self.kernel_size, self.strides)]
        return self._with_spatial(dims[0], spatial, self.filters)


class Conv3DTranspose(Conv2DTranspose):
    """Transposed 3-D convolution, as `tf.layers.Conv3DTranspose`; kernel (kd, kh, kw, filters, in)."""

    _rank = 3


class SeparableConv(Conv):
    """Depthwise then pointwise convolution; variables depthwise_kernel, pointwise_kernel, bias."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                 pointwise_initializer=None, bias_initializer=None, depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                 name=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint,
                         trainable=trainable, name=name, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.depthwise_kernel = None
        self.pointwise_kernel = None

    def build(self, input_shape) -> None:
        channels = self._input_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, dtype=self._dtype, trainable=True)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", shape=(1,) * self._rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, dtype=self._dtype, trainable=True)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=(self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self._dtype, trainable=True)
        self.built = True

    def _convolve(self, inputs):
        first = self.data_format == "channels_first"
        fmt = "NCHW" if first else "NHWC"
        depthwise, pointwise = self.depthwise_kernel, self.pointwise_kernel
        strides, dilations = list(self.strides), list(self.dilation_rate)
        if self._rank == 1:  # as TF: a 2-D separable convolution over an inserted unit dim
            inputs = array_ops.expand_dims(inputs, 2 if first else 1)
            depthwise = array_ops.expand_dims(depthwise, 0)
            pointwise = array_ops.expand_dims(pointwise, 0)
            strides, dilations = [1] + strides, [1] + dilations
        outputs = nn_conv.separable_conv2d(inputs, depthwise, pointwise,
                                           conv_ops.normalize_list(strides, 2, "strides", fmt),
                                           padding=self.padding.upper(), rate=dilations, data_format=fmt)
        if self._rank == 1:
            outputs = array_ops.squeeze(outputs, [2 if first else 1])
        return outputs


class SeparableConv1D(SeparableConv):
    """Depthwise separable 1-D convolution, as `tf.layers.SeparableConv1D`."""

    _rank = 1


class SeparableConv2D(SeparableConv):
    """Depthwise separable 2-D convolution, as `tf.layers.SeparableConv2D`."""

    _rank = 2


# ---- the functions ------------------------------------------------------------------------------------
def _apply(cls, inputs, name, reuse, *args, **kwargs):
    layer = cls(*args, name=name, _scope=name, _reuse=reuse, **kwargs)
    return layer.apply(inputs)


def conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last", dilation_rate=1,
           activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
           trainable=True, name=None, reuse=None):
    """Functional `Conv1D`, as `tf.layers.conv1d`."""
    return _apply(Conv1D, inputs, name, reuse, filters, kernel_size, strides=strides, padding=padding,
                  data_format=data_format, dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                  bias_constraint=bias_constraint, trainable=trainable)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional `Conv2D`, as `tf.layers.conv2d`.

        h = tf.layers.conv2d(images, 32, [5, 5], padding="same", activation=tf.nn.relu)
    """
    return _apply(Conv2D, inputs, name, reuse, filters, kernel_size, strides=strides, padding=padding,
                  data_format=data_format, dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                  bias_constraint=bias_constraint, trainable=trainable)


def conv3d(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1, 1), activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional `Conv3D`, as `tf.layers.conv3d`."""
    return _apply(Conv3D, inputs, name, reuse, filters, kernel_size, strides=strides, padding=padding,
                  data_format=data_format, dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                  bias_constraint=bias_constraint, trainable=trainable)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional `Conv2DTranspose`, as `tf.layers.conv2d_transpose`."""
    return _apply(Conv2DTranspose, inputs, name, reuse, filters, kernel_size, strides=strides, padding=padding,
                  data_format=data_format, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                  bias_constraint=bias_constraint, trainable=trainable)


def conv3d_transpose(inputs, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
                     kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional `Conv3DTranspose`, as `tf.layers.conv3d_transpose`."""
    return _apply(Conv3DTranspose, inputs, name, reuse, filters, kernel_size, strides=strides, padding=padding,
                  data_format=data_format, activation=activation, use_bias=use_bias,
                  kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                  kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                  activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                  bias_constraint=bias_constraint, trainable=trainable)


def _separable(cls, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
               activation, use_bias, depthwise_initializer, pointwise_initializer, bias_initializer,
               depthwise_regularizer, pointwise_regularizer, bias_regularizer, activity_regularizer,
               depthwise_constraint, pointwise_constraint, bias_constraint, trainable, name, reuse):
    return _apply(cls, inputs, name, reuse, filters, kernel_size, strides=strides, padding=padding,
                  data_format=data_format, dilation_rate=dilation_rate, depth_multiplier=depth_multiplier,
                  activation=activation, use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                  pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                  depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
                  bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                  depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
                  bias_constraint=bias_constraint, trainable=trainable)


def separable_conv1d(inputs, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                     dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer=None,
                     pointwise_initializer=None, bias_initializer=None, depthwise_regularizer=None,
                     pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, trainable=True,
                     name=None, reuse=None):
    """Functional `SeparableConv1D`, as `tf.layers.separable_conv1d`."""
    return _separable(SeparableConv1D, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
                      depth_multiplier, activation, use_bias, depthwise_initializer, pointwise_initializer,
                      bias_initializer, depthwise_regularizer, pointwise_regularizer, bias_regularizer,
                      activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint, trainable,
                      name, reuse)


def separable_conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                     depthwise_initializer=None, pointwise_initializer=None, bias_initializer=None,
                     depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None,
                     activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None,
                     bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional `SeparableConv2D`, as `tf.layers.separable_conv2d`."""
    return _separable(SeparableConv2D, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
                      depth_multiplier, activation, use_bias, depthwise_initializer, pointwise_initializer,
                      bias_initializer, depthwise_regularizer, pointwise_regularizer, bias_regularizer,
                      activity_regularizer, depthwise_constraint, pointwise_constraint, bias_constraint, trainable,
                      name, reuse)
