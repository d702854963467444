"""`tf.layers` Dense, Dropout and Flatten, as classes and as functions (TF1's layers/core.py)."""

from __future__ import annotations

import numpy as np

from estflow.core.graph import name_scope
from estflow.core.init_ops import Zeros
from estflow.core.ops import array_ops, concat_ops, manipulation_ops, matmul_ops, nn_ops, unary_ops
from estflow.core.ops.control_flow_ops import smart_cond
from estflow.core.tensor_shape import TensorShape
from estflow.library import nn_impl
from estflow.library.layers.base import Layer

_ACTIVATIONS = {
    "linear": None, "relu": nn_ops.relu, "relu6": nn_ops.relu6, "elu": nn_ops.elu, "selu": nn_ops.selu,
    "softplus": nn_ops.softplus, "softsign": nn_ops.softsign, "softmax": nn_ops.softmax,
    "sigmoid": unary_ops.sigmoid, "tanh": unary_ops.tanh,
}


def _activation(activation):
    if activation is None or callable(activation):
        return activation
    if isinstance(activation, str) and activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(f"Unknown activation function: {activation!r}. Pass a callable such as tf.nn.relu, or one of "
                     f"{sorted(_ACTIVATIONS)}.")


def _shape_str(shape: TensorShape) -> str:
    dims = shape.as_tuple()
    return "<unknown>" if dims is None else "[" + ", ".join("None" if d is None else str(d) for d in dims) + "]"


# ================================================================================================
# Dense
# ================================================================================================
class Dense(Layer):
    """A fully connected layer, `activation(inputs @ kernel + bias)`, as `tf.layers.Dense`.

    Variables are `<scope>/kernel` [input_dim, units] (glorot_uniform unless
    `kernel_initializer` says otherwise) and `<scope>/bias` [units] (zeros). Inputs of rank
    > 2 are multiplied along their last axis.

        layer = tf.layers.Dense(10, activation=tf.nn.relu)
        y = layer(x)             # "dense/kernel:0", "dense/bias:0"; ops "dense/MatMul", "dense/Relu"
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units)
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

    def build(self, input_shape) -> None:
        input_shape = TensorShape(input_shape)
        if input_shape.ndims is not None and input_shape.ndims < 2:
            raise ValueError(f"Input 0 of layer {self.name} is incompatible with the layer: expected min_ndim=2, "
                             f"found ndim={input_shape.ndims}. Full shape received: {_shape_str(input_shape)}")
        last_dim = input_shape.as_tuple()[-1] if input_shape.ndims is not None else None
        if last_dim is None:
            raise ValueError("The last dimension of the inputs to `Dense` should be defined. Found `None`.")
        self.kernel = self.add_weight("kernel", shape=[last_dim, self.units], initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      dtype=self._dtype, trainable=True)
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=[self.units], initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint,
                                        dtype=self._dtype, trainable=True)
        self.built = True

    def call(self, inputs):
        rank = inputs.shape.ndims
        if rank is not None and rank > 2:
            # TF's tensordot over the last axis: flatten the leading dims, multiply, restore them.
            with name_scope(None, "Tensordot", [inputs, self.kernel]):
                last_dim = self.kernel.shape.as_tuple()[0]
                flat = array_ops.reshape(inputs, [-1, last_dim])
                product = matmul_ops.matmul(flat, self.kernel, name="MatMul")
                outputs = array_ops.reshape(product, concat_ops.concat([array_ops.shape(inputs)[:-1], [self.units]],
                                                                       0))
            outputs.set_shape(inputs.shape[:-1].concatenate([self.units]))
        else:
            outputs = matmul_ops.matmul(inputs, self.kernel)
        if self.use_bias:
            outputs = nn_ops.bias_add(outputs, self.bias)
        if self.activation is not None:
            return self.activation(outputs)
        return outputs

    def compute_output_shape(self, input_shape) -> TensorShape:
        input_shape = TensorShape(input_shape).with_rank_at_least(2)
        return input_shape[:-1].concatenate([self.units])


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
          kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, trainable=True, name=None, reuse=None):
    """Functional `Dense`, as `tf.layers.dense`: with `name` and `reuse=True`, shares that layer's variables.

        logits = tf.layers.dense(hidden, 3, name="logits")
    """
    layer = Dense(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                  bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                  bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                  kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, trainable=trainable,
                  name=name, _scope=name, _reuse=reuse)
    return layer.apply(inputs)


# ================================================================================================
# Dropout
# ================================================================================================
class Dropout(Layer):
    """Dropout applied only when `training` is true (a Python bool or a bool tensor), as `tf.layers.Dropout`.

        h = tf.layers.Dropout(0.3)(h, training=is_training)   # is_training: a tf.bool placeholder
    """

    def __init__(self, rate=0.5, noise_shape=None, seed=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        dynamic = array_ops.shape(inputs)
        return [dynamic[i] if d is None else d for i, d in enumerate(self.noise_shape)]

    def call(self, inputs, training=False):
        def dropped():
            return nn_impl.dropout(inputs, noise_shape=self._get_noise_shape(inputs), seed=self.seed, rate=self.rate)

        return smart_cond(training, dropped, lambda: array_ops.identity(inputs))

    def compute_output_shape(self, input_shape) -> TensorShape:
        return TensorShape(input_shape)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Functional `Dropout`, as `tf.layers.dropout`: note `training` defaults to False (no dropout).

        h = tf.layers.dropout(h, rate=0.5, training=mode == tf.estimator.ModeKeys.TRAIN)
    """
    layer = Dropout(rate, noise_shape=noise_shape, seed=seed, name=name)
    return layer.apply(inputs, training=training)


# ================================================================================================
# Flatten
# ================================================================================================
class Flatten(Layer):
    """Reshape `[batch, d1, d2, ...]` to `[batch, d1 * d2 * ...]`, as `tf.layers.Flatten`."""

    def __init__(self, data_format="channels_last", name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(f"The `data_format` argument must be one of 'channels_first', 'channels_last'. "
                             f"Received: {data_format}")
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        rank = inputs.shape.ndims
        if self.data_format == "channels_first" and rank is not None and rank > 1:
            inputs = manipulation_ops.transpose(inputs, [0] + list(range(2, rank)) + [1])
        if rank == 1:
            return array_ops.expand_dims(inputs, 1)
        rest = inputs.shape[1:] if rank is not None else TensorShape(None)
        if rest.is_fully_defined():
            outputs = array_ops.reshape(inputs, [-1, int(np.prod(rest.as_list(), dtype=np.int64))])
        else:
            batch = inputs.shape.as_tuple()[0] if rank is not None else None
            outputs = array_ops.reshape(inputs, concat_ops.stack([batch if batch else array_ops.shape(inputs)[0], -1]))
        outputs.set_shape(self.compute_output_shape(inputs.shape))
        return outputs

    def compute_output_shape(self, input_shape) -> TensorShape:
        input_shape = TensorShape(input_shape)
        if input_shape.ndims is None:
            return TensorShape([None, None])
        dims = input_shape.as_list()
        rest = None if any(d is None for d in dims[1:]) else int(np.prod(dims[1:], dtype=np.int64))
        return TensorShape([dims[0], rest])


def flatten(inputs, name=None, data_format="channels_last"):
    """Functional `Flatten`, as `tf.layers.flatten`."""
    return Flatten(name=name, data_format=data_format).apply(inputs)
