"""Smaller `tf.nn` helpers built from ops: crelu, swish/silu, sufficient statistics, loss scaling.

Each follows TF's nn_ops.py / nn_impl.py / nn_impl_distribute.py: the same arguments,
defaults, name scopes and formulas. estflow has no distribution strategy in a graph, so
`compute_average_loss` and `scale_regularization_loss` see one replica, as TF does outside
a strategy's scope.
"""

from __future__ import annotations

import numbers

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    gather_ops,
    math_ops,
    nn_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.library import nn_impl


def crelu(features, name=None, axis=-1) -> Tensor:
    """Concatenated ReLU: `relu(concat([features, -features], axis))`, as `tf.nn.crelu`.

    The result has twice `features`' size along `axis`.

        tf.nn.crelu([[1.0, -2.0]])   # [[1., 0., 0., 2.]]
    """
    with name_scope(name, "CRelu", [features]) as scope:
        features = convert_to_tensor(features, name="features")
        both = concat_ops.concat([features, unary_ops.negative(features)], axis, name=scope)
        return nn_ops.relu(both)


def swish(features, beta=1.0) -> Tensor:
    """SiLU / swish activation `features * sigmoid(beta * features)`, as `tf.nn.swish` and `tf.nn.silu`.

        y = tf.nn.swish(logits)          # beta = 1: the SiLU
    """
    features = convert_to_tensor(features, name="features")
    beta = cast_ops.cast(convert_to_tensor(beta, name="beta"), features.dtype)
    return math_ops.multiply(features, unary_ops.sigmoid(math_ops.multiply(beta, features)))


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """(count, sum, sum of squares, shift) of `x` over `axes`, as `tf.nn.sufficient_statistics`.

    With a `shift`, the sums are of `x - shift` and `(x - shift) ** 2` (for numerical
    stability); `normalize_moments` turns the four into the mean and variance.

        counts, m_ss, v_ss, _ = tf.nn.sufficient_statistics([[1, 2, 3], [4, 5, 6]], [1])  # 3, [6 15], [14 77]
    """
    axes = list(set(axes))
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'")
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with name_scope(name, "sufficient_statistics", [x, shift]):
        x = convert_to_tensor(x, name="x")
        dims = x.shape.as_tuple()
        if dims is not None and all(dims[d] is not None for d in axes):
            count = 1
            for d in axes:
                count *= dims[d]
            counts = constant(count, dtype=x.dtype)
        else:  # known only when the graph runs
            rank = array_ops.rank(x)
            positive = [axis + rank if axis < 0 else axis for axis in axes]
            x_dims = gather_ops.gather(cast_ops.cast(array_ops.shape(x), x.dtype), positive)
            counts = reduction_ops.reduce_prod(x_dims, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift")
            m_ss = math_ops.subtract(x, shift)
            v_ss = math_ops.squared_difference(x, shift)
        else:
            m_ss, v_ss = x, unary_ops.square(x)
        m_ss = reduction_ops.reduce_sum(m_ss, axes, keepdims=keep, name="mean_ss")
        v_ss = reduction_ops.reduce_sum(v_ss, axes, keepdims=keep, name="var_ss")
    return counts, m_ss, v_ss, shift


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """(mean, variance) from `sufficient_statistics`' outputs, as `tf.nn.normalize_moments`.

        mean, variance = tf.nn.normalize_moments(*tf.nn.sufficient_statistics(x, [0]))
    """
    with name_scope(name, "normalize", [counts, mean_ss, variance_ss, shift]):
        divisor = unary_ops.reciprocal(counts, name="divisor")
        if shift is not None:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="shifted_mean")
            mean = math_ops.add(shifted_mean, shift, name="mean")
        else:
            shifted_mean = math_ops.multiply(mean_ss, divisor, name="mean")
            mean = shifted_mean
        variance = math_ops.subtract(math_ops.multiply(variance_ss, divisor), unary_ops.square(shifted_mean),
                                     name="variance")
    return mean, variance


def batch_norm_with_global_normalization(t=None, m=None, v=None, beta=None, gamma=None, variance_epsilon=None,
                                         scale_after_normalization=None, name=None, input=None,  # noqa: A002
                                         mean=None, variance=None) -> Tensor:
    """TF1's older batch normalization with given moments, as `tf.nn.batch_norm_with_global_normalization`.

    `batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
    variance_epsilon)`; `input`, `mean` and `variance` are the newer names of `t`, `m`, `v`.
    """
    t = _renamed("input", input, "t", t)
    m = _renamed("mean", mean, "m", m)
    v = _renamed("variance", variance, "v", v)
    return nn_impl.batch_normalization(t, m, v, beta, gamma if scale_after_normalization else None,
                                       variance_epsilon, name)


def _renamed(new_name, new_value, old_name, old_value):
    if new_value is not None and old_value is not None:
        raise ValueError(f"Cannot specify both '{new_name}' and '{old_name}'")
    return new_value if new_value is not None else old_value


def _match_weight_rank(losses: Tensor, weights: Tensor) -> Tensor:
    """`weights` squeezed or expanded by one trailing dim to `losses`' rank (TF's squeeze_or_expand_dimensions)."""
    loss_rank, weight_rank = losses.shape.ndims, weights.shape.ndims
    if loss_rank is None or weight_rank is None:
        return weights
    if weight_rank - loss_rank == 1 and weights.shape.as_tuple()[-1] in (1, None):
        return array_ops.squeeze(weights, [-1])
    if weight_rank - loss_rank == -1:
        return array_ops.expand_dims(weights, -1)
    return weights


def compute_average_loss(per_example_loss, sample_weight=None, global_batch_size=None) -> Tensor:
    """The sum of (weighted) per-example losses divided by the global batch size, as `tf.nn.compute_average_loss`.

    Without `global_batch_size` the batch is `per_example_loss`'s first dimension (one
    replica); a zero batch gives 0, not NaN.

        loss = tf.nn.compute_average_loss(per_example_loss, global_batch_size=64)
    """
    per_example_loss = convert_to_tensor(per_example_loss)
    input_dtype = per_example_loss.dtype
    if per_example_loss.shape.ndims == 0:
        raise ValueError(f"Invalid value passed for `per_example_loss`. Expected a tensor with at least rank 1. "
                         f"Received per_example_loss={per_example_loss} with rank 0")
    if sample_weight is not None:
        weights = cast_ops.cast(convert_to_tensor(sample_weight), dtypes.float32)
        losses = cast_ops.cast(per_example_loss, dtypes.float32)
        per_example_loss = math_ops.multiply(losses, _match_weight_rank(losses, weights))
    per_example_loss = cast_ops.cast(per_example_loss, input_dtype)
    if global_batch_size is None:
        global_batch_size = array_ops.shape(per_example_loss)[0]
    elif not isinstance(global_batch_size, Tensor):
        if not isinstance(global_batch_size, numbers.Integral) or isinstance(global_batch_size, bool):
            raise TypeError(f"global_batch_size must be an integer.  Found: {global_batch_size!r}")
        if global_batch_size < 0:
            raise ValueError(f"global_batch_size must be non-negative. Got {global_batch_size}.")
    else:
        if global_batch_size.shape.ndims not in (None, 0):
            raise ValueError(f"global_batch_size must be scalar. Got shape {global_batch_size.shape}.")
        if not global_batch_size.dtype.is_integer:
            raise TypeError(f"global_batch_size must be an integer.  Found: {global_batch_size.name} of dtype "
                            f"{global_batch_size.dtype.name}")
    loss = reduction_ops.reduce_sum(per_example_loss)
    return math_ops.div_no_nan(loss, cast_ops.cast(global_batch_size, input_dtype))


def scale_regularization_loss(regularization_loss) -> Tensor:
    """The sum of `regularization_loss` divided by the number of replicas (one), as
    `tf.nn.scale_regularization_loss`.

        loss = tf.nn.compute_average_loss(per_example_loss) + tf.nn.scale_regularization_loss(tf.nn.l2_loss(w))
    """
    return reduction_ops.reduce_sum(regularization_loss) / 1  # num_replicas_in_sync outside a strategy
