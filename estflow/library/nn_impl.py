"""TF1's `tf.nn` functions built from ops: cross entropies, normalization, dropout and small helpers.

Each follows TF1's nn_impl.py / nn_ops.py: the same arguments and defaults, the same
errors, and the same formulas (chosen there for numerical stability), so results match TF
to rounding. The softmax cross entropies run TF's fused kernels (ops/nn_loss_ops.py);
the sampled losses are in sampled_losses.py, the embedding lookups in embedding_ops.py.
"""

from __future__ import annotations

import math
import numbers

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    matmul_ops,
    nn_ops,
    random_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.registry import apply_op
from estflow.core.tensor_shape import TensorShape


def _ensure_xent_args(name, sentinel, labels, logits) -> None:
    if sentinel is not None:
        raise ValueError(f"Only call `{name}` with named arguments (labels=..., logits=..., ...)")
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")


def _same_shape(labels: Tensor, logits: Tensor, what="logits and labels") -> None:
    try:
        labels.shape.merge_with(logits.shape)
    except ValueError:
        raise ValueError(f"{what} must have the same shape ({logits.shape} vs {labels.shape})") from None


# ================================================================================================
# Cross entropies
# ================================================================================================
def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None) -> Tensor:
    """Per-element logistic loss of `logits` against `labels` in [0, 1], as `tf.nn.sigmoid_cross_entropy_with_logits`.

    Computed as `max(x, 0) - x * z + log(1 + exp(-|x|))`, exact for logits of any size.

        loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=scores)   # same shape as y
    """
    _ensure_xent_args("sigmoid_cross_entropy_with_logits", _sentinel, labels, logits)
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape(labels, logits)
        zeros = fill_ops.zeros_like(logits, dtype=logits.dtype)
        cond = logits >= zeros
        relu_logits = gather_ops.where(cond, logits, zeros)
        neg_abs_logits = gather_ops.where(cond, -logits, logits)
        return math_ops.add(relu_logits - logits * labels, unary_ops.log1p(unary_ops.exp(neg_abs_logits)), name=scope)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None, targets=None) -> Tensor:
    """Logistic loss with positive examples weighted by `pos_weight`, as `tf.nn.weighted_cross_entropy_with_logits`.

    `(1 - z) * x + (1 + (pos_weight - 1) * z) * (log(1 + exp(-|x|)) + max(-x, 0))`: stable for large |x|.
    `targets` is TF1's older name for `labels`.
    """
    if targets is not None:
        if labels is not None:
            raise ValueError("Cannot specify both 'labels' and 'targets'")
        labels = targets
    if labels is None or logits is None or pos_weight is None:
        raise ValueError("labels, logits and pos_weight must all be provided.")
    with name_scope(name, "logistic_loss", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        _same_shape(labels, logits)
        log_weight = 1 + (pos_weight - 1) * labels
        return math_ops.add((1 - labels) * logits,
                            log_weight * (unary_ops.log1p(unary_ops.exp(-unary_ops.abs(logits)))
                                          + nn_ops.relu(-logits)),
                            name=scope)


def _move_dim_to_end(x: Tensor, axis: int, rank: int) -> Tensor:
    perm = [i for i in range(rank) if i != axis] + [axis]
    return manipulation_ops.transpose(x, perm)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None) -> Tensor:
    """Cross entropy of softmax(logits) against the distributions `labels`, along `axis` (default last).

    As `tf.nn.softmax_cross_entropy_with_logits_v2`: gradients flow into both logits and
    labels. The result drops `axis`: logits [batch, classes] give a loss [batch].

        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(labels=onehot, logits=scores))
    """
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    axis = -1 if axis is None else int(axis)
    with name_scope(name, "softmax_cross_entropy_with_logits", [logits, labels]) as scope:
        logits = convert_to_tensor(logits, name="logits")
        labels = convert_to_tensor(labels, name="labels")
        to_float32 = logits.dtype == dtypes.float16
        precise_logits = cast_ops.cast(logits, dtypes.float32) if to_float32 else logits
        if labels.dtype != precise_logits.dtype:
            labels = cast_ops.cast(labels, precise_logits.dtype)
        static_shape = logits.shape
        rank = static_shape.ndims
        if rank == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {static_shape}.")
        if axis != -1 and (rank is None or axis != rank - 1):
            if rank is None:
                raise ValueError(f"softmax_cross_entropy_with_logits over axis {axis} needs logits of known rank.")
            if not -rank <= axis < rank:
                raise ValueError(f"axis {axis} is out of range for logits of rank {rank}.")
            axis %= rank
            precise_logits = _move_dim_to_end(precise_logits, axis, rank)
            labels = _move_dim_to_end(labels, axis, rank)
        if rank == 2:
            cost, _ = apply_op("SoftmaxCrossEntropyWithLogits", precise_logits, labels, name=scope)
        else:
            input_shape = array_ops.shape(precise_logits)
            num_classes = input_shape[-1:]
            flat_logits = array_ops.reshape(precise_logits, concat_ops.concat([[-1], num_classes], 0))
            flat_labels = array_ops.reshape(labels, concat_ops.concat([[-1], num_classes], 0))
            cost, _ = apply_op("SoftmaxCrossEntropyWithLogits", flat_logits, flat_labels,
                               name="SoftmaxCrossEntropyWithLogits")
            cost = array_ops.reshape(cost, input_shape[:-1], name=scope)
        if rank is not None:
            dims = static_shape.as_list()
            del dims[axis]
            cost.set_shape(dims)
        return cast_ops.cast(cost, dtypes.float16) if to_float32 else cost


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None,
                                      axis=None) -> Tensor:
    """TF1's deprecated softmax cross entropy: like `_v2`, but no gradient flows into `labels`.

        loss = tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=scores)   # [batch]
    """
    _ensure_xent_args("softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    if axis is not None:
        dim = axis
    with name_scope(name, "softmax_cross_entropy_with_logits_sg", [logits, labels]) as scope:
        labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits, axis=dim, name=scope)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None) -> Tensor:
    """Cross entropy of softmax(logits) against integer class ids, as `tf.nn.sparse_softmax_cross_entropy_with_logits`.

    `labels` has the shape of `logits` without its last axis; each entry must lie in
    `[0, num_classes)` (else InvalidArgumentError at run time). No gradient for labels.

        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=class_ids, logits=scores)   # [batch]
    """
    _ensure_xent_args("sparse_softmax_cross_entropy_with_logits", _sentinel, labels, logits)
    # TF names the op `name` inside the scope `name`: "xentropy/xentropy", or
    # "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits".
    op_name = name or "SparseSoftmaxCrossEntropyWithLogits"
    with name_scope(name, "SparseSoftmaxCrossEntropyWithLogits", [labels, logits]):
        labels = convert_to_tensor(labels)
        logits = convert_to_tensor(logits)
        precise_logits = cast_ops.cast(logits, dtypes.float32) if logits.dtype == dtypes.float16 else logits
        labels_shape = labels.shape
        logits_shape = logits.shape
        if logits_shape.ndims == 0:
            raise ValueError(f"Logits cannot be scalars - received shape {logits_shape}.")
        if logits_shape.ndims is not None and labels_shape.ndims is not None \
                and labels_shape.ndims != logits_shape.ndims - 1:
            raise ValueError(f"Rank mismatch: Rank of labels (received {labels_shape.ndims}) should equal rank of "
                             f"logits minus 1 (received {logits_shape.ndims}).")
        if logits_shape.ndims is not None and not labels_shape.is_compatible_with(logits_shape[:-1]):
            raise ValueError(f"Shape mismatch: The shape of labels (received {labels_shape}) should equal the shape "
                             f"of logits except for the last dimension (received {logits_shape}).")
        if logits_shape.ndims == 2:
            cost, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", precise_logits, labels, name=op_name)
        else:
            num_classes = array_ops.shape(logits)[-1:]
            flat_logits = array_ops.reshape(precise_logits, concat_ops.concat([[-1], num_classes], 0))
            cost, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", flat_logits, array_ops.reshape(labels, [-1]),
                               name=op_name)
            cost = array_ops.reshape(cost, array_ops.shape(labels))
            cost.set_shape(labels_shape)
        return cast_ops.cast(cost, dtypes.float16) if logits.dtype == dtypes.float16 else cost


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None) -> Tensor:
    """Poisson negative log likelihood given `log_input` = log(rate), as `tf.nn.log_poisson_loss`.

    `exp(log_input) - log_input * targets`, plus Stirling's approximation of log(targets!)
    when `compute_full_loss` (0 for targets in [0, 1]).
    """
    with name_scope(name, "log_poisson_loss", [targets, log_input]) as scope:
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, name="targets")
        _same_shape(targets, log_input, "log_input and targets")
        result = unary_ops.exp(log_input) - log_input * targets
        if not compute_full_loss:
            return array_ops.identity(result, name=scope)
        point_five = constant(0.5, dtype=targets.dtype)
        two_pi = constant(2 * math.pi, dtype=targets.dtype)
        stirling = targets * unary_ops.log(targets) - targets + point_five * unary_ops.log(two_pi * targets)
        zeros = fill_ops.zeros_like(targets, dtype=targets.dtype)
        ones = fill_ops.ones_like(targets, dtype=targets.dtype)
        small = comparison_ops.logical_and(targets >= zeros, targets <= ones)
        return math_ops.add(result, gather_ops.where(small, zeros, stirling), name=scope)


# ================================================================================================
# Normalization and statistics
# ================================================================================================
def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None) -> Tensor:
    """`x / sqrt(max(sum(x ** 2, axis), epsilon))`, as `tf.nn.l2_normalize`."""
    if axis is not None and dim is not None:
        raise ValueError("Cannot specify both 'axis' and 'dim'")
    axis = dim if axis is None else axis
    with name_scope(name, "l2_normalize", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        square_sum = reduction_ops.reduce_sum(unary_ops.square(x), axis, keepdims=True)
        x_inv_norm = unary_ops.rsqrt(math_ops.maximum(square_sum, epsilon))
        return math_ops.multiply(x, x_inv_norm, name=scope)


def _keep_dims(keep_dims, keepdims) -> bool:
    if keep_dims is not None and keepdims is not None:
        raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
    value = keepdims if keepdims is not None else keep_dims
    return bool(value) if value is not None else False


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of `x` over `axes`, as `tf.nn.moments` (population variance).

    `shift` is unused, as in TF1 ("Not used in the current implementation").

        mean, variance = tf.nn.moments(x, axes=[0])   # per-feature batch statistics
    """
    keep = _keep_dims(keep_dims, keepdims)
    with name_scope(name, "moments", [x, axes]):
        x = convert_to_tensor(x, name="x")
        # float16's range is too small to sum squares in: compute in float32, as TF does.
        y = cast_ops.cast(x, dtypes.float32) if x.dtype == dtypes.float16 else x
        mean = reduction_ops.reduce_mean(y, axes, keepdims=True, name="mean")
        # stop_gradient changes nothing here (the variance's gradient into its mean is zero) but saves work.
        variance = reduction_ops.reduce_mean(math_ops.squared_difference(y, array_ops.stop_gradient(mean)), axes,
                                             keepdims=True, name="variance")
        if not keep:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if x.dtype == dtypes.float16:
            return cast_ops.cast(mean, dtypes.float16), cast_ops.cast(variance, dtypes.float16)
        return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of `x` over `axes`, each element counted `frequency_weights` times (tf.nn.weighted_moments)."""
    keep = _keep_dims(keep_dims, keepdims)
    with name_scope(name, "weighted_moments", [x, frequency_weights, axes]):
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(frequency_weights, name="frequency_weights")
        needs_cast = x.dtype == dtypes.float16
        if needs_cast:
            x = cast_ops.cast(x, dtypes.float32)
        if weights.dtype != x.dtype:
            weights = cast_ops.cast(weights, x.dtype)
        weighted_sum = reduction_ops.reduce_sum(weights * x, axes, keepdims=True, name="weighted_input_sum")
        sum_of_weights = reduction_ops.reduce_sum(weights + fill_ops.zeros_like(x), axes, keepdims=True,
                                                  name="sum_of_weights")
        divisor = unary_ops.reciprocal(sum_of_weights, name="inv_weight_sum")
        mean = math_ops.multiply(weighted_sum, divisor)
        distsq = reduction_ops.reduce_sum(weights * math_ops.squared_difference(x, mean), axes, keepdims=True,
                                          name="weighted_distsq")
        variance = math_ops.multiply(distsq, divisor)
        if not keep:
            mean = array_ops.squeeze(mean, axes)
            variance = array_ops.squeeze(variance, axes)
        if needs_cast:
            mean, variance = cast_ops.cast(mean, dtypes.float16), cast_ops.cast(variance, dtypes.float16)
        return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None) -> Tensor:
    """`scale * (x - mean) / sqrt(variance + variance_epsilon) + offset`, as `tf.nn.batch_normalization`.

    `offset` and `scale` may be None. All arguments broadcast against `x`.

        mean, var = tf.nn.moments(x, [0])
        y = tf.nn.batch_normalization(x, mean, var, beta, gamma, 1e-3)
    """
    with name_scope(name, "batchnorm", [x, mean, variance, scale, offset]):
        x = convert_to_tensor(x, name="x")
        inv = unary_ops.rsqrt(variance + variance_epsilon)
        if scale is not None:
            inv *= scale
        shift = offset - mean * inv if offset is not None else -mean * inv
        return x * cast_ops.cast(inv, x.dtype) + cast_ops.cast(shift, x.dtype)


_MIN_FUSED_EPSILON = 1.001e-5  # cuDNN's minimum, which TF's fused_batch_norm enforces on every device


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
                     is_training=True, name=None):
    """Batch normalization of a 4-D tensor over all axes but the channel one, as `tf.nn.fused_batch_norm`.

    Returns `(y, batch_mean, batch_variance)`. In training, `y` uses the batch's population
    variance, while the returned variance is the sample (n - 1) one, for moving averages,
    as TF's kernel gives. In inference, `mean` and `variance` are used and returned.
    """
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    with name_scope(name, "FusedBatchNorm", [x, scale, offset]):
        x = convert_to_tensor(x, name="input")
        scale = convert_to_tensor(scale, name="scale")
        offset = convert_to_tensor(offset, name="offset")
        if x.shape.ndims is not None and x.shape.ndims != 4:
            raise ValueError(f"Shape must be rank 4 but is rank {x.shape.ndims} (fused_batch_norm takes 4-D input)")
        epsilon = max(float(epsilon), _MIN_FUSED_EPSILON)
        channel_shape = [1, -1, 1, 1] if data_format == "NCHW" else [1, 1, 1, -1]
        axes = [0, 2, 3] if data_format == "NCHW" else [0, 1, 2]
        compute = cast_ops.cast(x, dtypes.float32) if x.dtype == dtypes.float16 else x
        if is_training:
            if mean is not None or variance is not None:
                raise ValueError("Both 'mean' and 'variance' must be None if is_training is True.")
            batch_mean, batch_variance = moments(compute, axes)
            count = cast_ops.cast(array_ops.size(compute) // array_ops.size(batch_mean), compute.dtype)
            correction = count / math_ops.maximum(count - 1, fill_ops.ones_like(count))
            returned_variance = batch_variance * correction
        else:
            if mean is None or variance is None:
                raise ValueError("Both 'mean' and 'variance' must be a 1D tensor when is_training is False.")
            batch_mean = convert_to_tensor(mean, dtype=compute.dtype, name="mean")
            batch_variance = returned_variance = convert_to_tensor(variance, dtype=compute.dtype, name="variance")
        y = batch_normalization(compute, array_ops.reshape(batch_mean, channel_shape),
                                array_ops.reshape(batch_variance, channel_shape),
                                array_ops.reshape(offset, channel_shape), array_ops.reshape(scale, channel_shape),
                                epsilon)
        if x.dtype == dtypes.float16:
            y = cast_ops.cast(y, dtypes.float16)
        return y, batch_mean, returned_variance


# ================================================================================================
# Dropout
# ================================================================================================
def _noise_shape(x: Tensor, noise_shape):
    if noise_shape is None:
        return array_ops.shape(x)
    if isinstance(noise_shape, Tensor):
        return noise_shape
    dims = list(noise_shape.as_list() if isinstance(noise_shape, TensorShape) else noise_shape)
    if x.shape.ndims is not None and len(dims) == x.shape.ndims:
        dims = [x.shape.as_tuple()[i] if d is None else d for i, d in enumerate(dims)]
    if any(d is None for d in dims):
        dynamic = array_ops.shape(x)
        return concat_ops.stack([dynamic[i] if d is None else d for i, d in enumerate(dims)])
    return dims


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None) -> Tensor:
    """Zero each element with probability `rate` (= 1 - keep_prob) and scale the rest by 1 / (1 - rate).

    As TF1's `tf.nn.dropout`: give exactly one of `keep_prob` (TF1's argument) and `rate`.
    `noise_shape` makes dimensions share one decision (`[batch, 1]` drops whole rows).
    Ops are named `dropout/...`; `seed` makes the mask reproducible across sessions.

        h = tf.nn.dropout(h, rate=0.5)
    """
    if keep_prob is not None:
        if rate is not None:
            raise ValueError("Cannot specify both 'rate' and 'keep_prob'")
        try:
            rate = 1 - keep_prob
        except TypeError:
            raise ValueError(f"keep_prob must be a floating point number or Tensor (got {keep_prob!r})") from None
    if rate is None:
        raise ValueError("You must provide a rate to dropout.")
    with name_scope(name, "dropout", [x]) as scope:
        x = convert_to_tensor(x, name="x")
        if not x.dtype.is_floating:
            raise ValueError(f"x has to be a floating point tensor since it's going to be scaled. Got a "
                             f"{x.dtype.name} tensor instead.")
        if isinstance(rate, numbers.Real) and not isinstance(rate, bool):
            if not 0 <= rate < 1:
                raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), got {rate:g}")
            if rate == 0:
                return x
        rate = convert_to_tensor(rate, dtype=x.dtype, name="rate")
        rate.shape.assert_has_rank(0)
        random_tensor = random_ops.random_uniform(_noise_shape(x, noise_shape), seed=seed, dtype=x.dtype)
        keep_mask = cast_ops.cast(random_tensor >= rate, x.dtype)
        scale = 1 / (1 - rate)
        ret = math_ops.multiply(x * scale, keep_mask, name=scope)
        ret.set_shape(x.shape)
        return ret


# ================================================================================================
# Small helpers
# ================================================================================================
def zero_fraction(value, name=None) -> Tensor:
    """The fraction of zeros in `value` (float32), as `tf.nn.zero_fraction`: how sparse a ReLU's output is."""
    with name_scope(name, "zero_fraction", [value]):
        value = convert_to_tensor(value, name="value")
        size = cast_ops.cast(array_ops.size(value, out_type=dtypes.int64), dtypes.float32)
        nonzero = cast_ops.cast(reduction_ops.count_nonzero(value, dtype=dtypes.int64), dtypes.float32)
        with name_scope("counts_to_fraction"):
            fraction = (size - nonzero) / size
        return array_ops.identity(fraction, name="fraction")


def xw_plus_b(x, weights, biases, name=None) -> Tensor:
    """`matmul(x, weights) + biases`, as `tf.nn.xw_plus_b`."""
    with name_scope(name, "xw_plus_b", [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return nn_ops.bias_add(matmul_ops.matmul(x, weights), biases, name=scope)


def relu_layer(x, weights, biases, name=None) -> Tensor:
    """`relu(matmul(x, weights) + biases)`, as `tf.nn.relu_layer`."""
    with name_scope(name, "relu_layer", [x, weights, biases]) as scope:
        x = convert_to_tensor(x, name="x")
        weights = convert_to_tensor(weights, name="weights")
        biases = convert_to_tensor(biases, name="biases")
        return nn_ops.relu(nn_ops.bias_add(matmul_ops.matmul(x, weights), biases), name=scope)
