"""Activations, softmax and bias_add (`tf.nn.*`), with TF's gradient ops.

Each activation's gradient is TF's own `*Grad` op (ReluGrad, EluGrad, ...), so graphs
match TF's and the second derivative is a rule on that op. Kernels are written for
numerical stability: softplus is `logaddexp(0, x)`, softmax and log_softmax subtract the
row maximum first, and no kernel evaluates `exp` of a large positive number.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import _graph_of
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.registry import Fusion, OpDef, TensorSpec, apply_op, register, variable_behind_read

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_INTS = (dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64, dtypes.uint8, dtypes.uint16, dtypes.uint32,
         dtypes.uint64)
_REAL = _FLOATS + _INTS
_NUMERIC = _REAL + (dtypes.complex64, dtypes.complex128)

# SELU's constants (Klambauer et al., 2017), as TF's kernel spells them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_dtype(spec: TensorSpec, allowed, param: str) -> None:
    if spec.dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {spec.dtype.name} not in list of "
                        f"allowed values: {', '.join(d.name for d in allowed)}")


def _infer_unary(allowed):
    def infer(features, **_):
        _check_dtype(features, allowed, "features")
        return TensorSpec(features.shape, features.dtype)

    return infer


def _infer_grad_op(allowed):
    """`*Grad(gradients, features_or_outputs)`: both inputs have one shape (TF merges them)."""

    def infer(gradients, features, **_):
        _check_dtype(gradients, allowed, "gradients")
        if gradients.dtype != features.dtype:
            raise TypeError(f"Input 'features' has type {features.dtype.name} that does not match type "
                            f"{gradients.dtype.name} of 'gradients'.")
        if not gradients.shape.is_compatible_with(features.shape):
            a, b = gradients.shape, features.shape
            raise ValueError(f"Shapes must be equal rank, but are {a.ndims} and {b.ndims}" if a.ndims != b.ndims
                             else f"Dimensions must be equal, but are {a} and {b}")
        return TensorSpec(gradients.shape.merge_with(features.shape), gradients.dtype)

    return infer


def _zeros_like(x):
    return apply_op("ZerosLike", x, name="zeros_like")


def _mul(x, y):
    return apply_op("Mul", x, y, name="mul")


def _where_negative(y, if_negative):
    """`if_negative` where y < 0, else 0 (TF's `array_ops.where(y < 0, ..., zeros_like(y))`)."""
    zero = apply_op("ZerosLike", y, name="zeros_like")
    return apply_op("Select", apply_op("Less", y, zero, name="Less"), if_negative, zero, name="Select")


# ================================================================================================
# Relu family
# ================================================================================================
def _relu_grad_kernel(xp, gradients, features, out=None):
    # NOTE: TF's rule, grad * (x > 0): the gradient at exactly 0 is 0 (maximum(x, 0) would give 1/2 or 1),
    # and a NaN gradient stays NaN even where x <= 0, as in TF's kernel.
    if (xp is np and gradients.__class__ is np.ndarray and features.__class__ is np.ndarray
            and gradients.dtype.kind == "f" and gradients.shape == features.shape):
        # the mask as 1.0 / 0.0 of the gradient's dtype, then one same-type product: the same values as the
        # product with the bools (-0.0 and NaN included) without numpy's mixed-type loop (0.65x the time)
        mask = (features > 0).astype(gradients.dtype)
        mask *= gradients
        return mask
    return xp.multiply(gradients, features > 0, out=out)


def _relu6_grad_kernel(xp, gradients, features):
    return xp.where((features > 0) & (features < 6), gradients, xp.zeros_like(gradients))


def _leaky_relu_kernel(xp, features, alpha):
    return xp.where(features > 0, features, features * xp.asarray(alpha, dtype=features.dtype))


def _leaky_relu_grad_kernel(xp, gradients, features, alpha):
    return xp.where(features > 0, gradients, gradients * xp.asarray(alpha, dtype=gradients.dtype))


def _relu_kernel(xp, x, out=None):
    return xp.maximum(x, x.dtype.type(0), out=out)


def _fuse_relu_layer(op):
    """Relu(BiasAdd(MatMul(x, w), b)), a dense layer's forward pass, as one step (see `_dense_layer`)."""
    t = op._inputs[0]
    if t._op._type != "BiasAdd" or len(t._consumers) != 1 or t._op._control_inputs:
        return None
    layer = _dense_layer(t._op)
    if layer is None:
        return None
    inputs, dense, skipped = layer

    def kernel(xp, x, w, b):
        y = dense(xp, x, w, b)
        if y.__class__ is np.ndarray:  # the step's own new array: Relu writes into it, as when forwarded
            return _relu_kernel(xp, y, out=y)
        return _relu_kernel(xp, y)

    return Fusion(inputs, kernel, (t, *skipped))


register(OpDef("Relu", infer=_infer_unary(_REAL),
               kernel=_relu_kernel, forwards_input=True, fuse=_fuse_relu_layer,
               grad=lambda op, grad: (apply_op("ReluGrad", grad, op.outputs[0], name="ReluGrad"),),
               input_names=("features: T",), output_names=("activations: T",), attr_types={"T": "type"}))
register(OpDef("ReluGrad", infer=_infer_grad_op(_REAL), kernel=_relu_grad_kernel,
               grad=lambda op, grad: (apply_op("ReluGrad", grad, op.inputs[1], name="ReluGrad"),
                                      _zeros_like(op.inputs[1])),
               same_dtype="all", forwards_input=True,
               input_names=("gradients: T", "features: T"), output_names=("backprops: T",), attr_types={"T": "type"}))
register(OpDef("Relu6", infer=_infer_unary(_REAL),
               kernel=lambda xp, x: xp.minimum(xp.maximum(x, xp.zeros_like(x)), xp.asarray(6, dtype=x.dtype)),
               grad=lambda op, grad: (apply_op("Relu6Grad", grad, op.inputs[0], name="Relu6Grad"),),
               input_names=("features: T",), output_names=("activations: T",), attr_types={"T": "type"}))
register(OpDef("Relu6Grad", infer=_infer_grad_op(_REAL), kernel=_relu6_grad_kernel,
               grad=lambda op, grad: (apply_op("Relu6Grad", grad, op.inputs[1], name="Relu6Grad"),
                                      _zeros_like(op.inputs[1])),
               same_dtype="all",
               input_names=("gradients: T", "features: T"), output_names=("backprops: T",), attr_types={"T": "type"}))
register(OpDef("LeakyRelu", infer=_infer_unary(_FLOATS), kernel=_leaky_relu_kernel,
               grad=lambda op, grad: (apply_op("LeakyReluGrad", grad, op.inputs[0], name="LeakyReluGrad",
                                               alpha=op.get_attr("alpha")),),
               attrs={"alpha": 0.2},
               input_names=("features: T",), output_names=("activations: T",),
               attr_types={"alpha": "float", "T": "type = float"}))
register(OpDef("LeakyReluGrad", infer=_infer_grad_op(_FLOATS), kernel=_leaky_relu_grad_kernel,
               grad=lambda op, grad: (apply_op("LeakyReluGrad", grad, op.inputs[1], name="LeakyReluGrad",
                                               alpha=op.get_attr("alpha")),
                                      _zeros_like(op.inputs[1])),
               attrs={"alpha": 0.2}, same_dtype="all",
               input_names=("gradients: T", "features: T"), output_names=("backprops: T",),
               attr_types={"alpha": "float", "T": "type = float"}))


# ================================================================================================
# Elu, Selu, Softplus, Softsign
# ================================================================================================
def _elu_kernel(xp, x):
    return xp.where(x > 0, x, xp.expm1(xp.minimum(x, xp.zeros_like(x))))


def _elu_grad_kernel(xp, gradients, outputs):
    return xp.where(outputs < 0, gradients * (outputs + 1), gradients)


def _selu_kernel(xp, x):
    negative = xp.expm1(xp.minimum(x, xp.zeros_like(x))) * xp.asarray(_SELU_SCALE * _SELU_ALPHA, dtype=x.dtype)
    return xp.where(x < 0, negative, x * xp.asarray(_SELU_SCALE, dtype=x.dtype))


def _selu_grad_kernel(xp, gradients, outputs):
    scale_alpha = xp.asarray(_SELU_SCALE * _SELU_ALPHA, dtype=outputs.dtype)
    return xp.where(outputs < 0, gradients * (outputs + scale_alpha),
                    gradients * xp.asarray(_SELU_SCALE, dtype=outputs.dtype))


def _sigmoid(xp, x):
    return xp.exp(-xp.logaddexp(xp.zeros_like(x), -x))  # 1 / (1 + exp(-x)) without overflow


def _softplus_kernel(xp, x):
    return xp.logaddexp(xp.zeros_like(x), x)  # log(1 + exp(x)), exact for large |x|


def _softplus_grad_kernel(xp, gradients, features):
    return gradients * _sigmoid(xp, features)


def _softsign_grad_kernel(xp, gradients, features):
    d = 1 + xp.abs(features)
    return gradients / (d * d)


def _softplus_grad_grad(op, grad):
    # TF's _SoftplusGradGrad: ddy = softplus_grad(grad, x); d2x = grad * dy / (exp(-x) + 2 + exp(x)).
    dy, x = op.inputs
    ddy = apply_op("SoftplusGrad", grad, x, name="SoftplusGrad")
    sig = apply_op("SoftplusGrad", apply_op("OnesLike", x, name="ones_like"), x, name="SoftplusGrad_1")
    one_minus = apply_op("Sub", apply_op("OnesLike", x, name="ones_like_1"), sig, name="sub")
    return ddy, _mul(_mul(grad, dy), _mul(sig, one_minus))  # sigmoid' = s(1-s) = 1/(e^-x + 2 + e^x)


def _softsign_grad_grad(op, grad):
    # d/dx [g / (1 + |x|)^2] = -2 g sign(x) / (1 + |x|)^3
    g, x = op.inputs
    ddg = apply_op("SoftsignGrad", grad, x, name="SoftsignGrad")
    d = apply_op("AddV2", apply_op("OnesLike", x, name="ones_like"), apply_op("Abs", x, name="Abs"), name="add")
    num = _mul(_mul(_mul(grad, g), apply_op("Sign", x, name="Sign")), _const(-2.0, x.dtype))
    return ddg, apply_op("RealDiv", num, _mul(_mul(d, d), d), name="truediv")


def _const(value, dtype):
    return constant(value, dtype=dtype)


register(OpDef("Elu", infer=_infer_unary(_FLOATS), kernel=_elu_kernel,
               grad=lambda op, grad: (apply_op("EluGrad", grad, op.outputs[0], name="EluGrad"),),
               input_names=("features: T",), output_names=("activations: T",), attr_types={"T": "type"}))
register(OpDef("EluGrad", infer=_infer_grad_op(_FLOATS), kernel=_elu_grad_kernel,
               grad=lambda op, grad: (apply_op("EluGrad", grad, op.inputs[1], name="EluGrad"),
                                      _where_negative(op.inputs[1], _mul(grad, op.inputs[0]))),
               same_dtype="all",
               input_names=("gradients: T", "outputs: T"), output_names=("backprops: T",), attr_types={"T": "type"}))
register(OpDef("Selu", infer=_infer_unary(_FLOATS), kernel=_selu_kernel,
               grad=lambda op, grad: (apply_op("SeluGrad", grad, op.outputs[0], name="SeluGrad"),),
               input_names=("features: T",), output_names=("activations: T",), attr_types={"T": "type"}))
register(OpDef("SeluGrad", infer=_infer_grad_op(_FLOATS), kernel=_selu_grad_kernel,
               grad=lambda op, grad: (apply_op("SeluGrad", grad, op.inputs[1], name="SeluGrad"),
                                      _where_negative(op.inputs[1], _mul(grad, op.inputs[0]))),
               same_dtype="all",
               input_names=("gradients: T", "outputs: T"), output_names=("backprops: T",), attr_types={"T": "type"}))
register(OpDef("Softplus", infer=_infer_unary(_FLOATS), kernel=_softplus_kernel,
               grad=lambda op, grad: (apply_op("SoftplusGrad", grad, op.inputs[0], name="SoftplusGrad"),),
               input_names=("features: T",), output_names=("activations: T",), attr_types={"T": "type"}))
register(OpDef("SoftplusGrad", infer=_infer_grad_op(_FLOATS), kernel=_softplus_grad_kernel,
               grad=_softplus_grad_grad, same_dtype="all",
               input_names=("gradients: T", "features: T"), output_names=("backprops: T",), attr_types={"T": "type"}))
register(OpDef("Softsign", infer=_infer_unary(_FLOATS), kernel=lambda xp, x: x / (1 + xp.abs(x)),
               grad=lambda op, grad: (apply_op("SoftsignGrad", grad, op.inputs[0], name="SoftsignGrad"),),
               input_names=("features: T",), output_names=("activations: T",), attr_types={"T": "type"}))
register(OpDef("SoftsignGrad", infer=_infer_grad_op(_FLOATS), kernel=_softsign_grad_kernel,
               grad=_softsign_grad_grad, same_dtype="all",
               input_names=("gradients: T", "features: T"), output_names=("backprops: T",), attr_types={"T": "type"}))


# ================================================================================================
# Softmax, LogSoftmax (over the last axis)
# ================================================================================================
def _infer_softmax(logits):
    _check_dtype(logits, _FLOATS, "logits")
    if logits.shape.ndims == 0:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    return TensorSpec(logits.shape, logits.dtype)


def _softmax_kernel(xp, logits):
    e = xp.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax_kernel(xp, logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def _sum_last(x):
    return apply_op("Sum", x, _const(-1, dtypes.int32), name="Sum", keep_dims=True)


def _softmax_grad(op, grad):
    # TF's _SoftmaxGrad: (grad - sum(grad * softmax, -1)) * softmax
    softmax = op.outputs[0]
    return (_mul(apply_op("Sub", grad, _sum_last(_mul(grad, softmax)), name="sub"), softmax),)


def _log_softmax_grad(op, grad):
    # TF's _LogSoftmaxGrad: grad - sum(grad, -1) * exp(log_softmax)
    softmax = apply_op("Exp", op.outputs[0], name="Exp")
    return (apply_op("Sub", grad, _mul(_sum_last(grad), softmax), name="sub"),)


register(OpDef("Softmax", infer=_infer_softmax, kernel=_softmax_kernel, grad=_softmax_grad,
               input_names=("logits: T",), output_names=("softmax: T",), attr_types={"T": "type"}))
register(OpDef("LogSoftmax", infer=_infer_softmax, kernel=_log_softmax_kernel, grad=_log_softmax_grad,
               input_names=("logits: T",), output_names=("logsoftmax: T",), attr_types={"T": "type"}))


# ================================================================================================
# BiasAdd, BiasAddGrad
# ================================================================================================
def _channel_axis(ndims: int, data_format: str) -> int:
    return 1 if data_format == "NCHW" else ndims - 1


def _infer_bias_add(value, bias, *, data_format):
    _check_dtype(value, _NUMERIC, "value")
    min_rank = 3 if data_format == "NCHW" else 2
    if value.shape.ndims is not None and value.shape.ndims < min_rank:
        raise ValueError(f"Shape must be at least rank {min_rank} but is rank {value.shape.ndims}")
    if bias.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {bias.shape.ndims}")
    if value.shape.ndims is None:
        return TensorSpec(value.shape, value.dtype)
    dims = list(value.shape.as_tuple())
    axis = _channel_axis(len(dims), data_format)
    c = bias.shape.as_tuple()[0] if bias.shape.ndims == 1 else None
    if dims[axis] is not None and c is not None and dims[axis] != c:
        raise ValueError(f"Dimensions must be equal, but are {dims[axis]} and {c}")
    dims[axis] = dims[axis] if dims[axis] is not None else c
    return TensorSpec(dims, value.dtype)


def _bias_add_kernel(xp, value, bias, data_format):
    if value.shape[_channel_axis(value.ndim, data_format)] != bias.shape[0]:
        raise errors.InvalidArgumentError(
            None, None, f"Must provide as many biases as the channel dimension of the input tensor: "
                        f"{list(bias.shape)} vs. {list(value.shape)}")
    if data_format == "NCHW":
        bias = bias.reshape((bias.shape[0],) + (1,) * (value.ndim - 2))
    return value + bias


def _infer_bias_add_grad(out_backprop, *, data_format):
    _check_dtype(out_backprop, _NUMERIC, "out_backprop")
    ndims = out_backprop.shape.ndims
    if ndims is None:
        return TensorSpec([None], out_backprop.dtype)
    min_rank = 3 if data_format == "NCHW" else 2
    if ndims < min_rank:
        raise ValueError(f"Shape must be at least rank {min_rank} but is rank {ndims}")
    return TensorSpec([out_backprop.shape.as_tuple()[_channel_axis(ndims, data_format)]], out_backprop.dtype)


def _bias_add_grad_kernel(xp, out_backprop, data_format):
    axis = _channel_axis(out_backprop.ndim, data_format)
    axes = tuple(i for i in range(out_backprop.ndim) if i != axis)
    return out_backprop.sum(axis=axes, dtype=out_backprop.dtype)


def _bias_add_grad(op, grad):
    return grad, apply_op("BiasAddGrad", grad, name="BiasAddGrad", data_format=op.get_attr("data_format"))


def _bias_add_grad_grad(op, grad):
    # TF's _BiasAddGradGrad tiles the bias-shaped gradient back over the input's shape.
    x = op.inputs[0]
    if op.get_attr("data_format") == "NCHW":
        ndims = x.shape.ndims
        if ndims is None:
            raise LookupError(f"The gradient of BiasAddGrad with NCHW data needs a known rank (node '{op.name}').")
        grad = apply_op("Reshape", grad, _const([-1] + [1] * (ndims - 2), dtypes.int32), name="Reshape")
    return (apply_op("AddV2", _zeros_like(x), grad, name="add"),)


def _dense_layer(op):
    """(inputs, kernel, skipped) computing BiasAdd `op` of a MatMul read by it alone (a dense layer:
    `kernel(xp, x, w, b)`, the weights and bias as variables where `variable_behind_read` allows), or None.

    The step runs MatMul's kernel and adds the bias into the product's new array (the same ufunc loop as
    BiasAdd's `value + bias`, so the same bits; anything unusual runs BiasAdd's kernel, with its errors).
    A layer is three or four steps of a DNN's forward pass, twenty of a census model's training step.
    """
    value, bias = op._inputs
    mm = value._op
    if (mm._type != "MatMul" or len(value._consumers) != 1 or mm._control_inputs
            or op._attrs.get("data_format", "NHWC") != "NHWC"):
        return None
    x, w = mm._inputs
    matmul, mm_attrs = mm._op_def.kernel, dict(mm._attrs)
    w_var, b_var = variable_behind_read(w), variable_behind_read(bias)
    skipped = tuple(t for t, v in ((value, value), (w, w_var), (bias, b_var)) if v is not None)

    def dense(xp, x, w, b):
        y = matmul(xp, x, w, **mm_attrs)
        if (y.__class__ is np.ndarray and b.__class__ is np.ndarray and y.ndim == 2 and b.ndim == 1
                and y.shape[1] == b.shape[0] and y.dtype == b.dtype):
            return np.add(y, b, out=y)
        return _bias_add_kernel(xp, y, b, "NHWC")

    return (x, w if w_var is None else w_var, bias if b_var is None else b_var), dense, skipped


def _fuse_bias_add(op):
    """A dense layer's MatMul and BiasAdd as one step (`_dense_layer`), else `_fuse_bias_read`."""
    layer = _dense_layer(op)
    if layer is None:
        return _fuse_bias_read(op)
    inputs, dense, skipped = layer
    return Fusion(inputs, dense, skipped)


def _fuse_bias_read(op):
    """BiasAdd of a variable's `read` (linear_model's bias) reads the variable itself."""
    value, bias = op._inputs
    variable = variable_behind_read(bias)
    if variable is None:
        return None
    data_format = op._attrs.get("data_format", "NHWC")

    def kernel(xp, x, b):
        return _bias_add_kernel(xp, x, b, data_format)

    return Fusion((value, variable), kernel, (bias,))


register(OpDef("BiasAdd", infer=_infer_bias_add, kernel=_bias_add_kernel, grad=_bias_add_grad,
               attrs={"data_format": "NHWC"}, same_dtype="all", broadcasts=False, fuse=_fuse_bias_add,
               input_names=("value: T", "bias: T"), output_names=("output: T",),
               attr_types={"T": "type", "data_format": "string"}))
register(OpDef("BiasAddGrad", infer=_infer_bias_add_grad, kernel=_bias_add_grad_kernel, grad=_bias_add_grad_grad,
               attrs={"data_format": "NHWC"},
               input_names=("out_backprop: T",), output_names=("output: T",),
               attr_types={"T": "type", "data_format": "string"}))


# ================================================================================================
# Public functions (tf.nn.*)
# ================================================================================================
def relu(features, name=None):
    """max(features, 0), as `tf.nn.relu`; its gradient at exactly 0 is 0."""
    return apply_op("Relu", features, name=name or "Relu")


def relu6(features, name=None):
    """min(max(features, 0), 6), as `tf.nn.relu6`."""
    return apply_op("Relu6", features, name=name or "Relu6")


def elu(features, name=None):
    """x if x > 0 else exp(x) - 1, as `tf.nn.elu`."""
    return apply_op("Elu", features, name=name or "Elu")


def selu(features, name=None):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), as `tf.nn.selu`."""
    return apply_op("Selu", features, name=name or "Selu")


def softplus(features, name=None):
    """log(exp(features) + 1), computed without overflow, as `tf.nn.softplus`."""
    return apply_op("Softplus", features, name=name or "Softplus")


def softsign(features, name=None):
    """features / (abs(features) + 1), as `tf.nn.softsign`."""
    return apply_op("Softsign", features, name=name or "Softsign")


def leaky_relu(features, alpha=0.2, name=None):
    """x if x > 0 else alpha * x, as `tf.nn.leaky_relu` (integer features become float32)."""
    g = _graph_of([features])
    with g.as_default(), g.name_scope(name or "LeakyRelu") as scope:
        features = convert_to_tensor(features, name="features")
        if features.dtype.is_integer:
            features = apply_op("Cast", features, name="Cast", DstT=dtypes.float32, Truncate=False)
        if hasattr(alpha, "item"):
            alpha = alpha.item()
        return apply_op("LeakyRelu", features, name=scope, alpha=float(alpha))


def _softmax_along(op_type, logits, axis, dim, name):
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    axis = -1 if axis is None else axis
    g = _graph_of([logits])
    with g.as_default():
        logits = convert_to_tensor(logits)
        ndims = logits.shape.ndims
        if hasattr(axis, "item"):
            axis = axis.item()
        if axis == -1 or (ndims is not None and axis == ndims - 1):
            return apply_op(op_type, logits, name=name or op_type)
        if ndims is None:
            raise ValueError(f"{op_type.lower()} over axis {axis} needs logits of known rank; got {logits}.")
        if not -ndims <= axis < ndims:
            raise errors.InvalidArgumentError(
                None, None, f"`dim` must be in the range [{-ndims}, {ndims}) where {ndims} is the number of "
                            f"dimensions in the input. Received: dim={axis}")
        axis %= ndims
        perm = list(range(ndims))
        perm[axis], perm[-1] = perm[-1], perm[axis]  # a swap: its own inverse
        perm = _const(perm, dtypes.int32)
        swapped = apply_op("Transpose", logits, perm, name="transpose")
        out = apply_op(op_type, swapped, name=op_type)
        out = apply_op("Transpose", out, perm, name=name or "transpose_1")
        out.set_shape(logits.shape)
        return out


def softmax(logits, axis=None, name=None, dim=None):
    """exp(logits) / sum(exp(logits), axis), computed stably, as `tf.nn.softmax` (default: last axis)."""
    return _softmax_along("Softmax", logits, axis, dim, name)


def log_softmax(logits, axis=None, name=None, dim=None):
    """logits - log(sum(exp(logits), axis)), computed stably, as `tf.nn.log_softmax`."""
    return _softmax_along("LogSoftmax", logits, axis, dim, name)


def bias_add(value, bias, data_format=None, name=None):
    """`value + bias` along the channel axis (last for NHWC, axis 1 for NCHW), as `tf.nn.bias_add`."""
    if data_format is not None:
        if data_format.startswith("NC"):
            data_format = "NCHW"
        elif data_format.startswith("N") and data_format.endswith("C"):
            data_format = "NHWC"
        else:
            raise ValueError("data_format must be of the form `N...C` or `NC...`")
    g = _graph_of([value, bias])
    with g.as_default(), g.name_scope(name or "BiasAdd") as scope:
        value = convert_to_tensor(value, name="input")
        bias = convert_to_tensor(bias, dtype=value.dtype, name="bias")
        return apply_op("BiasAdd", value, bias, name=scope, data_format=data_format or "NHWC")
