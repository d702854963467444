"""`tf.layers` pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and their functions.

    h = tf.layers.max_pooling2d(h, pool_size=2, strides=2)   # op "max_pooling2d/MaxPool"
"""

from __future__ import annotations

from estflow.core.ops import pooling_ops
from estflow.core.tensor_shape import TensorShape
from estflow.library import nn_conv
from estflow.library.layers.base import Layer
from estflow.library.layers.convolutional import (
    conv_output_length,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    tf_data_format,
)


class Pooling(Layer):
    """N-D pooling (rank 1, 2 or 3) with `pool_size` windows every `strides`; no variables."""

    _rank = 2
    _kind = "max"

    def __init__(self, pool_size, strides, padding="valid", data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.pool_size = normalize_tuple(pool_size, self._rank, "pool_size")
        self.strides = normalize_tuple(strides if strides is not None else pool_size, self._rank, "strides")
        self.padding = normalize_padding(padding)
        self.data_format = normalize_data_format(data_format)

    def call(self, inputs):
        fmt = tf_data_format(self.data_format, self._rank)
        first = self.data_format == "channels_first"
        window = [1, 1] + list(self.pool_size) if first else [1] + list(self.pool_size) + [1]
        strides = [1, 1] + list(self.strides) if first else [1] + list(self.strides) + [1]
        padding = self.padding.upper()
        if self._rank == 1:
            fn = nn_conv.max_pool1d if self._kind == "max" else nn_conv.avg_pool1d
        elif self._rank == 2:
            fn = pooling_ops.max_pool if self._kind == "max" else pooling_ops.avg_pool
        else:
            fn = pooling_ops.max_pool3d if self._kind == "max" else pooling_ops.avg_pool3d
        return fn(inputs, window, strides, padding, data_format=fmt)

    def compute_output_shape(self, input_shape) -> TensorShape:
        dims = list(TensorShape(input_shape).with_rank(self._rank + 2).as_tuple())
        first = self.data_format == "channels_first"
        spatial = dims[2:] if first else dims[1:-1]
        out = [conv_output_length(n, k, self.padding, s) for n, k, s in zip(spatial, self.pool_size, self.strides)]
        return TensorShape([dims[0], dims[1]] + out if first else [dims[0]] + out + [dims[-1]])


class MaxPooling1D(Pooling):
    """Max pooling over steps, as `tf.layers.MaxPooling1D`."""

    _rank, _kind = 1, "max"


class MaxPooling2D(Pooling):
    """Max pooling over images, as `tf.layers.MaxPooling2D`."""

    _rank, _kind = 2, "max"


class MaxPooling3D(Pooling):
    """Max pooling over volumes, as `tf.layers.MaxPooling3D`."""

    _rank, _kind = 3, "max"


class AveragePooling1D(Pooling):
    """Average pooling over steps, as `tf.layers.AveragePooling1D`."""

    _rank, _kind = 1, "avg"


class AveragePooling2D(Pooling):
    """Average pooling over images, as `tf.layers.AveragePooling2D`."""

    _rank, _kind = 2, "avg"


class AveragePooling3D(Pooling):
    """Average pooling over volumes, as `tf.layers.AveragePooling3D`."""

    _rank, _kind = 3, "avg"


def _pool(cls, inputs, pool_size, strides, padding, data_format, name):
    return cls(pool_size, strides, padding=padding, data_format=data_format, name=name).apply(inputs)


def max_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional `MaxPooling1D`, as `tf.layers.max_pooling1d`."""
    return _pool(MaxPooling1D, inputs, pool_size, strides, padding, data_format, name)


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional `MaxPooling2D`, as `tf.layers.max_pooling2d`."""
    return _pool(MaxPooling2D, inputs, pool_size, strides, padding, data_format, name)


def max_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional `MaxPooling3D`, as `tf.layers.max_pooling3d`."""
    return _pool(MaxPooling3D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling1d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional `AveragePooling1D`, as `tf.layers.average_pooling1d`."""
    return _pool(AveragePooling1D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional `AveragePooling2D`, as `tf.layers.average_pooling2d`."""
    return _pool(AveragePooling2D, inputs, pool_size, strides, padding, data_format, name)


def average_pooling3d(inputs, pool_size, strides, padding="valid", data_format="channels_last", name=None):
    """Functional `AveragePooling3D`, as `tf.layers.average_pooling3d`."""
    return _pool(AveragePooling3D, inputs, pool_size, strides, padding, data_format, name)
