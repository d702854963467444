"""TF1's `tf.contrib.layers` and the variable helpers of `tf.contrib.framework`.

The layers create TF1 contrib's variables: `<scope>/weights` and `<scope>/biases` (in
GLOBAL_VARIABLES, MODEL_VARIABLES and, when trainable, TRAINABLE_VARIABLES) under default
scopes `fully_connected`, `Conv`, `Conv2d_transpose`, `BatchNorm`, `EmbedSequence`, ...; every
layer function takes `arg_scope` defaults (`add_arg_scope`).

    with arg_scope([layers.conv2d, layers.fully_connected], weights_regularizer=layers.l2_regularizer(1e-4)):
        net = layers.conv2d(images, 32, [3, 3], scope="conv1")     # conv1/weights, conv1/biases
        net = layers.max_pool2d(net, [2, 2])
        logits = layers.fully_connected(layers.flatten(net), 10, activation_fn=None)
"""

from __future__ import annotations

import math

from estflow.core import dtypes
from estflow.core.graph import (
    GraphKeys,
    add_to_collections,
    control_dependencies,
    get_collection,
    get_collection_ref,
    name_scope,
)
from estflow.core.graph import device as graph_device
from estflow.core.init_ops import Initializer, Ones, Zeros, _compute_fans
from estflow.core.ops import array_ops, concat_ops, conv_ops, gather_ops, matmul_ops, nn_ops, pooling_ops, random_ops
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.tensor_shape import TensorShape
from estflow.core.variable_scope import VariableScope, get_variable, variable_scope
from estflow.core.variables import Variable
from estflow.library import embedding_ops, nn_conv, nn_impl
from estflow.library.arg_scope import add_arg_scope
from estflow.library.layers.convolutional import deconv_output_length, normalize_tuple
from estflow.library.layers.core import Dropout
from estflow.library.layers.normalization import BatchNormalization

_ZEROS = Zeros()  # contrib's default biases_initializer (init_ops.zeros_initializer())


# ================================================================================================
# Initializers (contrib's own formulas)
# ================================================================================================
class _ContribVarianceScaling(Initializer):
    """contrib's variance scaling: uniform limit sqrt(3 * factor / n), or a truncated normal of stddev
    sqrt(1.3 * factor / n); n is fan_in, fan_out or their mean (mode FAN_IN, FAN_OUT, FAN_AVG)."""

    def __init__(self, factor, mode, uniform, seed, dtype):
        self.factor, self.mode, self.uniform, self.seed, self.dtype = factor, mode, uniform, seed, dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = dtypes.as_dtype(dtype if dtype is not None else self.dtype)
        if not dtype.is_floating:
            raise TypeError("Cannot create initializer for non-floating point type.")
        fan_in, fan_out = _compute_fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / n)
            return random_ops.random_uniform(shape, -limit, limit, dtype, seed=self.seed)
        return random_ops.truncated_normal(shape, 0.0, math.sqrt(1.3 * self.factor / n), dtype, seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode, "uniform": self.uniform, "seed": self.seed,
                "dtype": dtypes.as_dtype(self.dtype).name}


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=dtypes.float32):
    """He-style initializer with variance `factor / n`, as `tf.contrib.layers.variance_scaling_initializer`."""
    if not dtypes.as_dtype(dtype).is_floating:
        raise TypeError("Cannot create initializer for non-floating point type.")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")
    return _ContribVarianceScaling(factor, mode, uniform, seed, dtype)


def xavier_initializer(uniform=True, seed=None, dtype=dtypes.float32):
    """Glorot/Xavier initializer, as `tf.contrib.layers.xavier_initializer` (FAN_AVG, factor 1)."""
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed, dtype=dtype)


# ================================================================================================
# Variables (tf.contrib.framework)
# ================================================================================================
def variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True, collections=None,
             caching_device=None, device=None, partitioner=None, custom_getter=None, use_resource=None,
             synchronization=None, aggregation=None):
    """`get_variable` with explicit `collections` (default GLOBAL_VARIABLES), as `tf.contrib.framework.variable`."""
    collections = list(dict.fromkeys(collections if collections is not None else [GraphKeys.GLOBAL_VARIABLES]))
    with graph_device(device):
        return get_variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                            trainable=trainable, collections=collections, caching_device=caching_device,
                            partitioner=partitioner, custom_getter=custom_getter, use_resource=use_resource,
                            synchronization=synchronization, aggregation=aggregation)


def model_variable(name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None, trainable=True,
                   collections=None, caching_device=None, device=None, partitioner=None, custom_getter=None,
                   use_resource=None, synchronization=None, aggregation=None):
    """A variable also in MODEL_VARIABLES, as `tf.contrib.framework.model_variable`."""
    collections = list(collections or []) + [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES]
    return variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                    trainable=trainable, collections=collections, caching_device=caching_device, device=device,
                    partitioner=partitioner, custom_getter=custom_getter, use_resource=use_resource,
                    synchronization=synchronization, aggregation=aggregation)


def local_variable(initial_value, validate_shape=True, name=None, use_resource=None):
    """A non-trainable variable in LOCAL_VARIABLES, as `tf.contrib.framework.local_variable`.

    `use_resource` is accepted as in TF1: estflow has one kind of variable.
    """
    return Variable(initial_value, trainable=False, collections=[GraphKeys.LOCAL_VARIABLES],
                    validate_shape=validate_shape, name=name)


def get_variables(scope=None, suffix=None, collection=GraphKeys.GLOBAL_VARIABLES):
    """Variables of `collection` whose names start with `scope` (and end with `suffix`)."""
    if isinstance(scope, VariableScope):
        scope = scope.name
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        scope = (scope or "") + ".*" + suffix
    return get_collection(collection, scope)


def get_model_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_local_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES)


def get_trainable_variables(scope=None, suffix=None):
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_to_restore(include=None, exclude=None):
    """Global variables under the `include` scopes (all by default) and under none of the `exclude` scopes."""
    if include is None:
        candidates = get_variables()
    else:
        if not isinstance(include, (list, tuple)):
            raise TypeError("include is provided but is not a list or a tuple.")
        candidates = [v for scope in include for v in get_variables(scope)]
    if exclude is not None and not isinstance(exclude, (list, tuple)):
        raise TypeError("exclude is provided but is not a list or a tuple.")
    excluded = {id(v) for scope in exclude or [] for v in get_variables(scope)}
    return [v for v in candidates if id(v) not in excluded]


def get_variables_by_suffix(suffix, scope=None):
    return get_variables(scope=scope, suffix=suffix)


def get_variables_by_name(given_name, scope=None):
    """Variables whose last name component is `given_name`."""
    return get_variables(scope=scope, suffix=f"/{given_name}:|^{given_name}:")


def get_unique_variable(var_op_name):
    """The one variable named `var_op_name`; ValueError when there is none or it is ambiguous."""
    candidates = get_variables(scope=var_op_name)
    if not candidates:
        raise ValueError(f"Couldn't find variable {var_op_name}")
    for candidate in candidates:
        if candidate.op.name == var_op_name:
            return candidate
    raise ValueError(f"Variable {var_op_name} does not uniquely identify a variable")


def get_variable_full_name(var):
    """A variable's full name (its op's name), as `tf.contrib.framework.get_variable_full_name`."""
    return var.op.name


# ================================================================================================
# Shared layer plumbing
# ================================================================================================
def _collections_for(variables_collections, name):
    if isinstance(variables_collections, dict):
        found = variables_collections.get(name)
        return None if found is None else list(found)
    return None if variables_collections is None else list(variables_collections)


def collect_named_outputs(collections, alias, outputs):
    """Add `outputs` (tagged with `alias`) to `collections`, as `tf.contrib.layers.utils`; returns outputs."""
    if collections:
        outputs.alias = alias
        add_to_collections(collections, outputs)
    return outputs


def _weights_and_biases(weights_shape, num_outputs, dtype, weights_initializer, weights_regularizer,
                        biases_initializer, biases_regularizer, use_biases, variables_collections, trainable,
                        weights_name="weights"):
    weights = model_variable(weights_name, shape=weights_shape, dtype=dtype, initializer=weights_initializer,
                             regularizer=weights_regularizer, trainable=trainable,
                             collections=_collections_for(variables_collections, "weights"))
    biases = None
    if use_biases:
        biases = model_variable("biases", shape=[num_outputs], dtype=dtype, initializer=biases_initializer,
                                regularizer=biases_regularizer, trainable=trainable,
                                collections=_collections_for(variables_collections, "biases"))
    return weights, biases


def _finish(outputs, biases, data_format, normalizer_fn, normalizer_params, activation_fn, outputs_collections,
            sc):
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    elif biases is not None:
        outputs = nn_ops.bias_add(outputs, biases, data_format=data_format)
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return collect_named_outputs(outputs_collections, sc.name, outputs)


def _float_input(inputs):
    inputs = convert_to_tensor(inputs)
    if not inputs.dtype.is_floating:
        raise ValueError(f"inputs must be a floating point tensor, got {inputs.dtype.name}")
    return inputs


# ================================================================================================
# Layers
# ================================================================================================
@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
                    weights_initializer=None, weights_regularizer=None, biases_initializer=_ZEROS,
                    biases_regularizer=None, reuse=None, variables_collections=None, outputs_collections=None,
                    trainable=True, scope=None):
    """A dense layer, as `tf.contrib.layers.fully_connected`: `fully_connected/weights`, `.../biases`.

    `weights_initializer` defaults to `xavier_initializer()`; with a `normalizer_fn` there are no biases.
    """
    if not isinstance(num_outputs, int):
        raise ValueError(f"num_outputs type should be one of int, got {type(num_outputs)}.")
    weights_initializer = weights_initializer if weights_initializer is not None else xavier_initializer()
    with variable_scope(scope, default_name="fully_connected", values=[inputs], reuse=reuse) as sc:
        inputs = _float_input(inputs)
        dims = inputs.shape.as_tuple()
        if dims is None or len(dims) < 2 or dims[-1] is None:
            raise ValueError(f"The last dimension of the inputs to `fully_connected` should be defined. "
                             f"Found `None`. Input shape: {inputs.shape}")
        weights, biases = _weights_and_biases(
            [dims[-1], num_outputs], num_outputs, inputs.dtype.base_dtype, weights_initializer, weights_regularizer,
            biases_initializer, biases_regularizer, normalizer_fn is None and biases_initializer is not None,
            variables_collections, trainable)
        if len(dims) > 2:
            flat = array_ops.reshape(inputs, [-1, dims[-1]])
            outputs = matmul_ops.matmul(flat, weights)
            outputs = array_ops.reshape(outputs, concat_ops.concat([array_ops.shape(inputs)[:-1], [num_outputs]], 0))
            outputs.set_shape(TensorShape(dims[:-1] + (num_outputs,)))
        else:
            outputs = matmul_ops.matmul(inputs, weights)
        return _finish(outputs, biases, "NHWC", normalizer_fn, normalizer_params, activation_fn, outputs_collections,
                       sc)


@add_arg_scope
def convolution(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
                activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None, weights_initializer=None,
                weights_regularizer=None, biases_initializer=_ZEROS, biases_regularizer=None, reuse=None,
                variables_collections=None, outputs_collections=None, trainable=True, scope=None, conv_dims=None):
    """An N-D convolution layer (N from the input's rank or `conv_dims`), as `tf.contrib.layers.convolution`.

    Variables `Conv/weights` (kernel_size + [in_channels, num_outputs]) and `Conv/biases`.
    """
    weights_initializer = weights_initializer if weights_initializer is not None else xavier_initializer()
    if data_format not in (None, "NWC", "NCW", "NHWC", "NCHW", "NDHWC", "NCDHW"):
        raise ValueError(f"Invalid data_format: {data_format!r}")
    with variable_scope(scope, default_name="Conv", values=[inputs], reuse=reuse) as sc:
        inputs = _float_input(inputs)
        rank = inputs.shape.ndims
        if rank is None:
            raise ValueError("Rank of inputs must be known")
        if conv_dims is not None and conv_dims + 2 != rank:
            raise ValueError(f"Convolution expects input with rank {conv_dims + 2}, got {rank}")
        n = rank - 2
        if n not in (1, 2, 3):
            raise ValueError(f"Convolution not supported for input with rank {rank}")
        first = data_format is not None and data_format.startswith("NC")
        channels = inputs.shape.as_tuple()[1 if first else -1]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. Found `None`.")
        kernel = normalize_tuple(kernel_size, n, "kernel_size")
        weights, biases = _weights_and_biases(
            list(kernel) + [channels, num_outputs], num_outputs, inputs.dtype.base_dtype, weights_initializer,
            weights_regularizer, biases_initializer, biases_regularizer,
            normalizer_fn is None and biases_initializer is not None, variables_collections, trainable)
        strides = normalize_tuple(stride, n, "stride")
        rates = normalize_tuple(rate, n, "rate")
        fmt = {1: "NCW" if first else "NWC", 2: "NCHW" if first else "NHWC", 3: "NCDHW" if first else "NDHWC"}[n]
        if n == 1:
            outputs = nn_conv.conv1d(inputs, weights, stride=strides[0], padding=padding, data_format=fmt,
                                     dilations=rates[0])
        elif n == 2:
            outputs = conv_ops.conv2d(inputs, weights, strides=list(strides), padding=padding, data_format=fmt,
                                      dilations=list(rates))
        else:
            outputs = conv_ops.conv3d(inputs, weights, strides=list(strides), padding=padding, data_format=fmt,
                                      dilations=list(rates))
        return _finish(outputs, biases, "NCHW" if first else "NHWC", normalizer_fn, normalizer_params,
                       activation_fn, outputs_collections, sc)


@add_arg_scope
def convolution1d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
                  activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None, weights_initializer=None,
                  weights_regularizer=None, biases_initializer=_ZEROS, biases_regularizer=None, reuse=None,
                  variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """A 1-D convolution layer, as `tf.contrib.layers.conv1d`."""
    return convolution(inputs, num_outputs, kernel_size, stride, padding, data_format, rate, activation_fn,
                       normalizer_fn, normalizer_params, weights_initializer, weights_regularizer,
                       biases_initializer, biases_regularizer, reuse, variables_collections, outputs_collections,
                       trainable, scope, conv_dims=1)


@add_arg_scope
def convolution2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
                  activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None, weights_initializer=None,
                  weights_regularizer=None, biases_initializer=_ZEROS, biases_regularizer=None, reuse=None,
                  variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """A 2-D convolution layer, as `tf.contrib.layers.conv2d`: `Conv/weights`, `Conv/biases`.

        net = layers.conv2d(images, 32, [3, 3], scope="conv1")
    """
    return convolution(inputs, num_outputs, kernel_size, stride, padding, data_format, rate, activation_fn,
                       normalizer_fn, normalizer_params, weights_initializer, weights_regularizer,
                       biases_initializer, biases_regularizer, reuse, variables_collections, outputs_collections,
                       trainable, scope, conv_dims=2)


@add_arg_scope
def convolution3d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
                  activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None, weights_initializer=None,
                  weights_regularizer=None, biases_initializer=_ZEROS, biases_regularizer=None, reuse=None,
                  variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """A 3-D convolution layer, as `tf.contrib.layers.conv3d`."""
    return convolution(inputs, num_outputs, kernel_size, stride, padding, data_format, rate, activation_fn,
                       normalizer_fn, normalizer_params, weights_initializer, weights_regularizer,
                       biases_initializer, biases_regularizer, reuse, variables_collections, outputs_collections,
                       trainable, scope, conv_dims=3)


@add_arg_scope
def convolution2d_transpose(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format="NHWC",
                            activation_fn=nn_ops.relu, normalizer_fn=None, normalizer_params=None,
                            weights_initializer=None, weights_regularizer=None, biases_initializer=_ZEROS,
                            biases_regularizer=None, reuse=None, variables_collections=None, outputs_collections=None,
                            trainable=True, scope=None):
    """A transposed 2-D convolution, as `tf.contrib.layers.conv2d_transpose`: `Conv2d_transpose/weights`
    of shape kernel_size + [num_outputs, in_channels]."""
    weights_initializer = weights_initializer if weights_initializer is not None else xavier_initializer()
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with variable_scope(scope, default_name="Conv2d_transpose", values=[inputs], reuse=reuse) as sc:
        inputs = _float_input(inputs)
        first = data_format == "NCHW"
        dims = inputs.shape.with_rank(4).as_tuple()
        channels = dims[1 if first else -1]
        kernel = normalize_tuple(kernel_size, 2, "kernel_size")
        strides = normalize_tuple(stride, 2, "stride")
        weights, biases = _weights_and_biases(
            list(kernel) + [num_outputs, channels], num_outputs, inputs.dtype.base_dtype, weights_initializer,
            weights_regularizer, biases_initializer, biases_regularizer,
            normalizer_fn is None and biases_initializer is not None, variables_collections, trainable)
        dynamic = array_ops.shape(inputs)
        spatial = dims[2:] if first else dims[1:3]
        axes = (2, 3) if first else (1, 2)
        sizes = [deconv_output_length(d if d is not None else dynamic[a], k, padding.lower(), s)
                 for d, a, k, s in zip(spatial, axes, kernel, strides)]
        parts = [dynamic[0], num_outputs] + sizes if first else [dynamic[0]] + sizes + [num_outputs]
        full_strides = [1, 1] + list(strides) if first else [1] + list(strides) + [1]
        outputs = nn_conv.conv2d_transpose(inputs, weights, concat_ops.stack(parts), full_strides,
                                           padding=padding.upper(), data_format=data_format)
        static = [deconv_output_length(d, k, padding.lower(), s) for d, k, s in zip(spatial, kernel, strides)]
        outputs.set_shape([dims[0], num_outputs] + static if first else [dims[0]] + static + [num_outputs])
        return _finish(outputs, biases, data_format, normalizer_fn, normalizer_params, activation_fn,
                       outputs_collections, sc)


@add_arg_scope
def separable_convolution2d(inputs, num_outputs, kernel_size, depth_multiplier=1, stride=1, padding="SAME",
                            data_format="NHWC", rate=1, activation_fn=nn_ops.relu, normalizer_fn=None,
                            normalizer_params=None, weights_initializer=None, pointwise_initializer=None,
                            weights_regularizer=None, biases_initializer=_ZEROS, biases_regularizer=None,
                            reuse=None, variables_collections=None, outputs_collections=None, trainable=True,
                            scope=None):
    """Depthwise then pointwise convolution, as `tf.contrib.layers.separable_conv2d`: variables
    `SeparableConv2d/depthwise_weights`, `pointwise_weights` (absent when num_outputs is None), `biases`."""
    weights_initializer = weights_initializer if weights_initializer is not None else xavier_initializer()
    pointwise_initializer = pointwise_initializer if pointwise_initializer is not None else weights_initializer
    with variable_scope(scope, default_name="SeparableConv2d", values=[inputs], reuse=reuse) as sc:
        inputs = _float_input(inputs)
        first = data_format == "NCHW"
        channels = inputs.shape.with_rank(4).as_tuple()[1 if first else -1]
        kernel = normalize_tuple(kernel_size, 2, "kernel_size")
        strides = normalize_tuple(stride, 2, "stride")
        dtype = inputs.dtype.base_dtype
        depthwise = model_variable("depthwise_weights", shape=list(kernel) + [channels, depth_multiplier],
                                   dtype=dtype, initializer=weights_initializer, regularizer=weights_regularizer,
                                   trainable=trainable, collections=_collections_for(variables_collections,
                                                                                     "weights"))
        full_strides = [1, 1] + list(strides) if first else [1] + list(strides) + [1]
        if num_outputs is not None:
            pointwise = model_variable("pointwise_weights", shape=[1, 1, channels * depth_multiplier, num_outputs],
                                       dtype=dtype, initializer=pointwise_initializer,
                                       regularizer=weights_regularizer, trainable=trainable,
                                       collections=_collections_for(variables_collections, "weights"))
            outputs = nn_conv.separable_conv2d(inputs, depthwise, pointwise, full_strides, padding,
                                               rate=normalize_tuple(rate, 2, "rate"), data_format=data_format)
            out_channels = num_outputs
        else:
            outputs = nn_conv.depthwise_conv2d(inputs, depthwise, full_strides, padding,
                                               rate=normalize_tuple(rate, 2, "rate"), data_format=data_format)
            out_channels = channels * depth_multiplier
        biases = None
        if normalizer_fn is None and biases_initializer is not None:
            biases = model_variable("biases", shape=[out_channels], dtype=dtype, initializer=biases_initializer,
                                    regularizer=biases_regularizer, trainable=trainable,
                                    collections=_collections_for(variables_collections, "biases"))
        return _finish(outputs, biases, data_format, normalizer_fn, normalizer_params, activation_fn,
                       outputs_collections, sc)


def _pool(fn, default, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    with name_scope(scope, default, [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        kernel = list(normalize_tuple(kernel_size, 2, "kernel_size"))
        strides = list(normalize_tuple(stride, 2, "stride"))
        first = data_format == "NCHW"
        ksize = [1, 1] + kernel if first else [1] + kernel + [1]
        full_strides = [1, 1] + strides if first else [1] + strides + [1]
        outputs = fn(inputs, ksize, full_strides, padding.upper(), data_format=data_format)
        return collect_named_outputs(outputs_collections, sc.rstrip("/"), outputs)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC", outputs_collections=None,
               scope=None):
    """2-D max pooling, as `tf.contrib.layers.max_pool2d` (ops under `MaxPool2D/`)."""
    return _pool(pooling_ops.max_pool, "MaxPool2D", inputs, kernel_size, stride, padding, data_format,
                 outputs_collections, scope)


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC", outputs_collections=None,
               scope=None):
    """2-D average pooling, as `tf.contrib.layers.avg_pool2d` (ops under `AvgPool2D/`)."""
    return _pool(pooling_ops.avg_pool, "AvgPool2D", inputs, kernel_size, stride, padding, data_format,
                 outputs_collections, scope)


@add_arg_scope
def flatten(inputs, outputs_collections=None, scope=None):
    """Reshape [batch, ...] to [batch, k], as `tf.contrib.layers.flatten`."""
    with name_scope(scope, "Flatten", [inputs]) as sc:
        inputs = convert_to_tensor(inputs)
        dims = inputs.shape.as_tuple()
        if dims is None or len(dims) < 2:
            raise ValueError(f"Inputs must have a least 2 dimensions, got {inputs.shape}.")
        rest = dims[1:]
        if all(d is not None for d in rest):
            k = 1
            for d in rest:
                k *= d
            outputs = array_ops.reshape(inputs, [-1 if dims[0] is None else dims[0], k])
        else:
            outputs = array_ops.reshape(inputs, concat_ops.stack([array_ops.shape(inputs)[0], -1]))
        return collect_named_outputs(outputs_collections, sc.rstrip("/"), outputs)


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None, updates_collections=GraphKeys.UPDATE_OPS,
               is_training=True, reuse=None, variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC", zero_debias_moving_mean=False, scope=None,
               renorm=False, renorm_clipping=None, renorm_decay=0.99, adjustment=None):
    """Batch normalization, as `tf.contrib.layers.batch_norm`: `BatchNorm/beta` (center), `BatchNorm/gamma`
    (scale: off by default, unlike tf.layers), `BatchNorm/moving_mean`, `BatchNorm/moving_variance`.

    With `updates_collections=None` the moving averages update in place before the output is returned.
    `fused` picks TF's fused kernel, which computes the same values; estflow has one kernel.
    """
    if batch_weights is not None or zero_debias_moving_mean or renorm or adjustment is not None:
        raise ValueError("estflow's batch_norm does not support batch_weights, zero_debias_moving_mean, renorm or "
                         "adjustment.")
    if renorm_clipping is not None or renorm_decay != 0.99:
        raise ValueError("renorm_clipping and renorm_decay apply only with renorm=True, which estflow's batch_norm "
                         "does not support.")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format has to be either NCHW or NHWC.")
    param_initializers = param_initializers or {}
    param_regularizers = param_regularizers or {}
    with variable_scope(scope, default_name="BatchNorm", values=[inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        layer = BatchNormalization(
            axis=1 if data_format == "NCHW" else -1, momentum=decay, epsilon=epsilon, center=center, scale=scale,
            beta_initializer=param_initializers.get("beta"), gamma_initializer=param_initializers.get("gamma"),
            moving_mean_initializer=param_initializers.get("moving_mean"),
            moving_variance_initializer=param_initializers.get("moving_variance"),
            beta_regularizer=param_regularizers.get("beta"), gamma_regularizer=param_regularizers.get("gamma"),
            trainable=trainable, name=sc.name, _scope=sc, _reuse=reuse)
        outputs = layer.apply(inputs, training=is_training)
        for var in layer.weights:
            add_to_collections([GraphKeys.MODEL_VARIABLES], var)
        for var in layer.weights:
            extra = _collections_for(variables_collections, var.op.name.rsplit("/", 1)[-1])
            if extra:
                add_to_collections(extra, var)
        if layer.updates and updates_collections != GraphKeys.UPDATE_OPS:
            updates = _take_from_update_ops(layer.updates)
            if updates_collections is None:  # TF1: update the moving averages before returning the output
                with control_dependencies(updates):
                    outputs = array_ops.identity(outputs)
            else:
                for update in updates:
                    add_to_collections(updates_collections, update)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


def _take_from_update_ops(updates):
    """Take `updates` out of UPDATE_OPS (the layer put them there); returns them."""
    ref = get_collection_ref(GraphKeys.UPDATE_OPS)
    ids = {id(u) for u in updates}
    ref[:] = [u for u in ref if id(u) not in ids]
    return list(updates)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True, outputs_collections=None, scope=None,
            seed=None):
    """Dropout keeping each value with probability `keep_prob` when `is_training`, as `tf.contrib.layers.dropout`."""
    with variable_scope(scope, default_name="Dropout", values=[inputs]) as sc:
        layer = Dropout(rate=1 - keep_prob, noise_shape=noise_shape, seed=seed, name=sc.name, _scope=sc)
        outputs = layer.apply(convert_to_tensor(inputs), training=is_training)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def one_hot_encoding(labels, num_classes, on_value=1.0, off_value=0.0, outputs_collections=None, scope=None):
    """One-hot float encoding of integer labels, as `tf.contrib.layers.one_hot_encoding`."""
    with name_scope(scope, "OneHotEncoding", [labels, num_classes]) as sc:
        labels = convert_to_tensor(labels)
        if labels.dtype == dtypes.int32:
            labels = cast(labels, dtypes.int64)
        outputs = gather_ops.one_hot(labels, num_classes, on_value=on_value, off_value=off_value)
        return collect_named_outputs(outputs_collections, sc.rstrip("/"), outputs)


def embed_sequence(ids, vocab_size=None, embed_dim=None, unique=False, initializer=None, regularizer=None,
                   trainable=True, scope=None, reuse=None):
    """Embeddings of id sequences [batch, steps] -> [batch, steps, embed_dim], as
    `tf.contrib.layers.embed_sequence` (variable `EmbedSequence/embeddings`).

    `unique` makes TF look each distinct id up once; the embeddings returned are the same.
    """
    if not (reuse or (vocab_size and embed_dim)):
        raise ValueError("Must specify vocab size and embedding dimension when not reusing. Got vocab_size="
                         f"{vocab_size} and embed_dim={embed_dim}")
    with variable_scope(scope, default_name="EmbedSequence", values=[ids], reuse=reuse):
        shape = [vocab_size, embed_dim] if vocab_size and embed_dim else None
        embeddings = model_variable("embeddings", shape=shape, initializer=initializer, regularizer=regularizer,
                                    trainable=trainable)
        return embedding_ops.embedding_lookup(embeddings, ids)


def repeat(inputs, repetitions, layer, *args, **kwargs):
    """Apply `layer` `repetitions` times, scopes `<scope>/<scope>_1`, ..., as `tf.contrib.layers.repeat`."""
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, default_name="Repeat", values=[inputs]):
        outputs = inputs
        base = scope or getattr(layer, "__name__", "repeat")
        for i in range(repetitions):
            kwargs["scope"] = f"{base}_{i + 1}"
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(inputs, layer, stack_args, **kwargs):
    """Apply `layer` once per entry of `stack_args`, as `tf.contrib.layers.stack`."""
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope(scope, default_name="Stack", values=[inputs]):
        outputs = inputs
        base = scope or getattr(layer, "__name__", "stack")
        for i, args in enumerate(stack_args):
            kwargs["scope"] = f"{base}_{i + 1}"
            args = args if isinstance(args, (list, tuple)) else [args]
            outputs = layer(outputs, *args, **kwargs)
        return outputs


@add_arg_scope
def bias_add(inputs, activation_fn=None, initializer=_ZEROS, regularizer=None, reuse=None,
             variables_collections=None, outputs_collections=None, trainable=True, data_format="NHWC", scope=None):
    """Add a learned bias (`BiasAdd/biases`), as `tf.contrib.layers.bias_add`."""
    with variable_scope(scope, default_name="BiasAdd", values=[inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        channels = inputs.shape.as_tuple()[1 if data_format == "NCHW" else -1]
        biases = model_variable("biases", shape=[channels], dtype=inputs.dtype.base_dtype, initializer=initializer,
                                regularizer=regularizer, trainable=trainable,
                                collections=_collections_for(variables_collections, "biases"))
        outputs = nn_ops.bias_add(inputs, biases, data_format=data_format)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def layer_norm(inputs, center=True, scale=True, activation_fn=None, reuse=None, variables_collections=None,
               outputs_collections=None, trainable=True, begin_norm_axis=1, begin_params_axis=-1, scope=None):
    """Normalize over the axes from `begin_norm_axis` on, then `gamma * x + beta`, as
    `tf.contrib.layers.layer_norm` (variables `LayerNorm/beta`, `LayerNorm/gamma`; epsilon 1e-12).

        h = layers.layer_norm(h)      # per example, over all but the batch axis
    """
    with variable_scope(scope, default_name="LayerNorm", values=[inputs], reuse=reuse) as sc:
        inputs = convert_to_tensor(inputs)
        rank = inputs.shape.ndims
        if rank is None:
            raise ValueError(f"Inputs {inputs.name} has undefined rank.")
        if begin_norm_axis < 0:
            begin_norm_axis = rank + begin_norm_axis
        if begin_params_axis >= rank or begin_norm_axis >= rank:
            raise ValueError(f"begin_params_axis ({begin_params_axis}) and begin_norm_axis ({begin_norm_axis}) "
                             f"must be < rank(inputs) ({rank})")
        params_shape = inputs.shape[begin_params_axis:]
        if not params_shape.is_fully_defined():
            raise ValueError(f"Inputs {inputs.name}: shape(inputs)[{begin_params_axis}:] is not fully defined: "
                             f"{inputs.shape}")
        dtype = inputs.dtype.base_dtype
        beta = gamma = None
        if center:
            beta = model_variable("beta", shape=params_shape, dtype=dtype, initializer=_ZEROS, trainable=trainable,
                                  collections=_collections_for(variables_collections, "beta"))
        if scale:
            gamma = model_variable("gamma", shape=params_shape, dtype=dtype, initializer=Ones(), trainable=trainable,
                                   collections=_collections_for(variables_collections, "gamma"))
        mean, variance = nn_impl.moments(inputs, list(range(begin_norm_axis, rank)), keep_dims=True)
        outputs = nn_impl.batch_normalization(inputs, mean, variance, offset=beta, scale=gamma,
                                              variance_epsilon=1e-12)
        outputs.set_shape(inputs.shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return collect_named_outputs(outputs_collections, sc.name, outputs)
