"""`tf.layers.BatchNormalization` / `tf.layers.batch_normalization` (TF1's layers/normalization.py).

Training normalizes with the batch's mean and variance and builds two update ops,

    moving_mean     -= (1 - momentum) * (moving_mean - batch_mean)        # "AssignMovingAvg"
    moving_variance -= (1 - momentum) * (moving_variance - batch_variance)  # "AssignMovingAvg_1"

added to `GraphKeys.UPDATE_OPS`, which the training op must depend on:

    update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    with tf.control_dependencies(update_ops):
        train_op = optimizer.minimize(loss)

Inference normalizes with the moving statistics. `training` may be a bool tensor: the
update then still runs but moves nothing when it is False (TF1's `1 - momentum` -> 0).
4-D inputs normalized over axis 1 or 3 take the fused path (`fused=None`), whose moving
variance uses the sample (n - 1) batch variance, as TF's fused kernel does.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor, colocate_with, name_scope
from estflow.core.init_ops import Ones, Zeros
from estflow.core.ops import array_ops, cast_ops
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.control_flow_ops import smart_cond
from estflow.core.tensor_shape import TensorShape
from estflow.core.variables import Variable, assign_sub
from estflow.library import nn_impl
from estflow.library.layers.base import Layer


def _constant_value(pred):
    """A Python bool when `pred` is one or a tensor known at build time, else None."""
    if isinstance(pred, (bool, int)):
        return bool(pred)
    if isinstance(pred, Tensor):
        value = pred._const_value
        return None if value is None else bool(value)
    if isinstance(pred, Variable):
        return None
    raise TypeError(f"`training` must be a Python bool or a bool Tensor, got {type(pred).__name__}.")


class BatchNormalization(Layer):
    """Batch normalization over all axes except `axis`, as `tf.layers.BatchNormalization`.

    Variables (in this order): `gamma` (when `scale`), `beta` (when `center`), and the
    non-trainable `moving_mean` and `moving_variance`.

        bn = tf.layers.BatchNormalization()
        y = bn(x, training=True)     # "batch_normalization/gamma:0", ..., update ops in GraphKeys.UPDATE_OPS
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer=None,
                 gamma_initializer=None, moving_mean_initializer=None, moving_variance_initializer=None,
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None, trainable=True,
                 virtual_batch_size=None, adjustment=None, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = beta_initializer if beta_initializer is not None else Zeros()
        self.gamma_initializer = gamma_initializer if gamma_initializer is not None else Ones()
        self.moving_mean_initializer = moving_mean_initializer if moving_mean_initializer is not None else Zeros()
        self.moving_variance_initializer = (moving_variance_initializer if moving_variance_initializer is not None
                                            else Ones())
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.fused = fused
        self.virtual_batch_size = virtual_batch_size
        self.adjustment = adjustment
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape) -> None:
        if self.renorm or self.virtual_batch_size is not None or self.adjustment is not None:
            raise NotImplementedError("estflow's BatchNormalization does not implement renorm, virtual_batch_size "
                                      "or adjustment; leave them at their defaults.")
        input_shape = TensorShape(input_shape)
        ndims = input_shape.ndims
        if ndims is None:
            raise ValueError(f"Input has undefined rank: {input_shape}")
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        axes = [int(a) + ndims if int(a) < 0 else int(a) for a in axes]
        for a in axes:
            if not 0 <= a < ndims:
                raise ValueError(f"Invalid axis: {a}")
        if len(axes) != len(set(axes)):
            raise ValueError(f"Duplicate axis: {axes}")
        self._axes = axes
        fusable = ndims == 4 and axes in ([1], [3])
        if self.fused and not fusable:
            raise ValueError(f"Unsupported axis, fused batch norm only supports axis == [1] or axis == [3] of 4-D "
                             f"inputs; got axis={axes} for an input of rank {ndims}. Pass fused=False or None.")
        self._fused = fusable if self.fused is None else bool(self.fused)
        axis_dims = {a: input_shape.as_tuple()[a] for a in axes}
        for a, d in axis_dims.items():
            if d is None:
                raise ValueError(f"Input has undefined `axis` dimension. Input shape: {input_shape} (axis {a})")
        param_shape = [axis_dims[axes[0]]] if len(axes) == 1 else [axis_dims.get(i, 1) for i in range(ndims)]
        input_dtype = self._dtype or dtypes.float32
        self._param_dtype = dtypes.float32 if input_dtype == dtypes.float16 else input_dtype
        if self.scale:
            self.gamma = self.add_weight("gamma", shape=param_shape, dtype=self._param_dtype,
                                         initializer=self.gamma_initializer, regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True)
        if self.center:
            self.beta = self.add_weight("beta", shape=param_shape, dtype=self._param_dtype,
                                        initializer=self.beta_initializer, regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True)
        self.moving_mean = self.add_weight("moving_mean", shape=param_shape, dtype=self._param_dtype,
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape=param_shape, dtype=self._param_dtype,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self.built = True

    # ---- updates -------------------------------------------------------------------------------
    def _one_minus_decay(self, training, training_value):
        if training_value is None:
            return smart_cond(training, lambda: constant(1.0 - self.momentum, dtype=self._param_dtype),
                              lambda: constant(0.0, dtype=self._param_dtype))
        return constant(1.0 - self.momentum, dtype=self._param_dtype)

    @staticmethod
    def _assign_moving_average(variable, value, one_minus_decay):
        with name_scope(None, "AssignMovingAvg", [value, one_minus_decay]) as scope:
            with colocate_with(variable.op):
                update_delta = (variable.value() - cast_ops.cast(value, variable.dtype)) * one_minus_decay
                return assign_sub(variable, update_delta, name=scope)

    def _add_moving_updates(self, mean, variance, training, training_value) -> None:
        one_minus_decay = self._one_minus_decay(training, training_value)
        self.add_update([self._assign_moving_average(self.moving_mean, mean, one_minus_decay),
                         self._assign_moving_average(self.moving_variance, variance, one_minus_decay)])

    # ---- forward -------------------------------------------------------------------------------
    def _fused_call(self, inputs, training, training_value):
        data_format = "NCHW" if self._axes == [1] else "NHWC"
        channels = self.moving_mean.shape.as_tuple()[0]
        gamma = self.gamma if self.gamma is not None else constant(1.0, self._param_dtype, shape=[channels])
        beta = self.beta if self.beta is not None else constant(0.0, self._param_dtype, shape=[channels])

        def fused_training():
            return nn_impl.fused_batch_norm(inputs, gamma, beta, epsilon=self.epsilon, data_format=data_format)

        def fused_inference():
            return nn_impl.fused_batch_norm(inputs, gamma, beta, mean=self.moving_mean,
                                            variance=self.moving_variance, epsilon=self.epsilon,
                                            is_training=False, data_format=data_format)

        if training_value is False:
            return fused_inference()[0]
        output, mean, variance = smart_cond(training, fused_training, fused_inference)
        self._add_moving_updates(mean, variance, training, training_value)
        return output

    def call(self, inputs, training=False):
        training_value = _constant_value(training)
        if self._fused:
            outputs = self._fused_call(inputs, training, training_value)
            outputs.set_shape(inputs.shape)
            return outputs
        ndims = inputs.shape.ndims
        reduction_axes = [i for i in range(ndims) if i not in self._axes]
        broadcast_shape = [1] * ndims
        broadcast_shape[self._axes[0]] = inputs.shape.as_tuple()[self._axes[0]]

        def broadcast(v):
            # A 1-D parameter broadcasts by itself only along the last axis.
            if v is not None and v.shape.ndims != ndims and reduction_axes != list(range(ndims - 1)):
                return array_ops.reshape(v, broadcast_shape)
            return v

        scale, offset = broadcast(self.gamma), broadcast(self.beta)
        if training_value is False:
            mean, variance = self.moving_mean.value(), self.moving_variance.value()
        else:
            compute = cast_ops.cast(inputs, self._param_dtype) if inputs.dtype != self._param_dtype else inputs
            batch_mean, batch_variance = nn_impl.moments(compute, reduction_axes, keep_dims=len(self._axes) > 1)
            mean = smart_cond(training, lambda: batch_mean, lambda: convert_to_tensor(self.moving_mean))
            variance = smart_cond(training, lambda: batch_variance, lambda: convert_to_tensor(self.moving_variance))
            self._add_moving_updates(mean, variance, training, training_value)
        outputs = nn_impl.batch_normalization(inputs, broadcast(mean), broadcast(variance), offset, scale,
                                              self.epsilon)
        outputs.set_shape(inputs.shape)
        return outputs

    def compute_output_shape(self, input_shape) -> TensorShape:
        return TensorShape(input_shape)


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=None, gamma_initializer=None, moving_mean_initializer=None,
                        moving_variance_initializer=None, beta_regularizer=None, gamma_regularizer=None,
                        beta_constraint=None, gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None,
                        virtual_batch_size=None, adjustment=None):
    """Functional `BatchNormalization`, as `tf.layers.batch_normalization`; `training` defaults to False.

        y = tf.layers.batch_normalization(x, training=is_training)
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)   # run them with the train op
    """
    layer = BatchNormalization(
        axis=axis, momentum=momentum, epsilon=epsilon, center=center, scale=scale,
        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
        moving_mean_initializer=moving_mean_initializer, moving_variance_initializer=moving_variance_initializer,
        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer, beta_constraint=beta_constraint,
        gamma_constraint=gamma_constraint, renorm=renorm, renorm_clipping=renorm_clipping,
        renorm_momentum=renorm_momentum, fused=fused, trainable=trainable, virtual_batch_size=virtual_batch_size,
        adjustment=adjustment, name=name, _reuse=reuse, _scope=name)
    return layer.apply(inputs, training=training)
