"""`tf.losses` (TF1): weighted losses reduced to a scalar and collected in `GraphKeys.LOSSES`.

Every loss computes elementwise losses, multiplies them by `weights` (a scalar, or a tensor
of the losses' rank whose dims are each 1 or equal) and reduces them by `reduction`:

    NONE                      the weighted losses, unreduced
    SUM                       their sum
    MEAN                      sum / sum(weights broadcast to the losses)
    SUM_OVER_BATCH_SIZE       sum / number of loss elements
    SUM_BY_NONZERO_WEIGHTS    sum / number of nonzero broadcast weights (the default)

A zero denominator gives 0, never NaN. Losses are computed in float32 and cast back to the
input's dtype; the result is added to `loss_collection`, so `get_total_loss()` can find it.

    loss = tf.losses.mean_squared_error(labels, predictions, weights=[[1.0], [0.0]])
    train_op = optimizer.minimize(tf.losses.get_total_loss())
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import (
    GraphKeys,
    Tensor,
    add_to_collection,
    control_dependencies,
    get_collection,
    get_default_graph,
    name_scope,
)
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    math_ops,
    nn_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.library import nn_impl
from estflow.library.confusion_matrix import remove_squeezable_dimensions
from estflow.library.weights_broadcast_ops import assert_broadcastable, broadcast_weights


class Reduction:
    """How a weighted loss is reduced, as `tf.losses.Reduction`.

        tf.losses.log_loss(labels, probs, reduction=tf.losses.Reduction.SUM)
    """

    NONE = "none"
    SUM = "weighted_sum"
    MEAN = "weighted_mean"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS,
                cls.SUM_BY_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}. Use one of tf.losses.Reduction's values: "
                             f"{', '.join(sorted(set(cls.all())))}.")


# ---- collections ---------------------------------------------------------------------------------
def add_loss(loss, loss_collection=GraphKeys.LOSSES) -> None:
    """Add `loss` to `loss_collection` (nothing when the collection is None or empty)."""
    if loss_collection:
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES) -> list:
    """The losses in `loss_collection`, only those whose name matches `scope` when given."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None) -> list:
    """The `REGULARIZATION_LOSSES` collection (what `get_variable(regularizer=...)` adds)."""
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss") -> Tensor:
    """The sum of the regularization losses, or a constant 0.0 when there are none."""
    losses = get_regularization_losses(scope)
    if losses:
        return math_ops.add_n(losses, name=name)
    return constant(0.0)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None) -> Tensor:
    """The sum of the collected losses, plus the regularization losses by default.

    Raises:
        ValueError: no losses were collected (TF1's `add_n` of an empty list).
    """
    losses = get_losses(scope=scope)
    if add_regularization_losses:
        losses += get_regularization_losses(scope=scope)
    return math_ops.add_n(losses, name=name)


# ---- reduction -------------------------------------------------------------------------------------
def _safe_mean(losses: Tensor, num_present: Tensor) -> Tensor:
    """sum(losses) / num_present, 0 when num_present is 0."""
    return math_ops.div_no_nan(reduction_ops.reduce_sum(losses), num_present, name="value")


def _num_elements(losses: Tensor) -> Tensor:
    with name_scope(None, "num_elements", [losses]) as scope:
        return cast_ops.cast(array_ops.size(losses, name=scope), losses.dtype)


def _num_present(losses: Tensor, weights, per_batch=False) -> Tensor:
    """How many loss elements carry a nonzero weight once `weights` is broadcast (per batch row or in all)."""
    with name_scope(None, "num_present", [losses, weights]) as scope:
        weights = cast_ops.cast(weights, dtypes.float32)
        present = gather_ops.where(comparison_ops.equal(weights, 0.0), fill_ops.zeros_like(weights),
                                   fill_ops.ones_like(weights))
        present = broadcast_weights(present, losses)
        if per_batch:
            axis = fill_ops.range_(1, array_ops.rank(present)) if present.shape.ndims is None else \
                list(range(1, present.shape.ndims))
            return reduction_ops.reduce_sum(present, axis=axis, keepdims=True, name=scope)
        return reduction_ops.reduce_sum(present, name=scope)


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """`losses` times `weights`, reduced by `reduction` and added to `loss_collection`.

        per_example = tf.square(predictions - labels)
        loss = tf.losses.compute_weighted_loss(per_example, weights=mask)

    Raises:
        ValueError: `reduction` is unknown, or `weights` cannot broadcast to `losses`.
    """
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss", [losses, weights]):
        # Read by the estimator layer to scale the loss when replicas split a batch (TF1 does the same).
        get_default_graph()._last_loss_reduction = reduction
        with control_dependencies([assert_broadcastable(weights, losses)]):
            losses = convert_to_tensor(losses)
            input_dtype = losses.dtype
            losses = cast_ops.cast(losses, dtypes.float32)
            weights = cast_ops.cast(weights, dtypes.float32)
            weighted_losses = math_ops.multiply(losses, weights)
            if reduction == Reduction.NONE:
                loss = weighted_losses
            else:
                loss = reduction_ops.reduce_sum(weighted_losses)
                if reduction == Reduction.MEAN:
                    loss = _safe_mean(loss, reduction_ops.reduce_sum(fill_ops.ones_like(losses) * weights))
                elif reduction == Reduction.SUM_BY_NONZERO_WEIGHTS:
                    loss = _safe_mean(loss, _num_present(losses, weights))
                elif reduction == Reduction.SUM_OVER_BATCH_SIZE:
                    loss = _safe_mean(loss, _num_elements(losses))
            loss = cast_ops.cast(loss, input_dtype)
            add_loss(loss, loss_collection)
            return loss


# ---- regression losses ----------------------------------------------------------------------------
def _require(**args) -> None:
    for arg_name, value in args.items():
        if value is None:
            raise ValueError(f"{arg_name} must not be None.")


def _float_pair(labels, predictions, predictions_name="predictions"):
    predictions = cast_ops.cast(predictions, dtypes.float32)
    labels = cast_ops.cast(labels, dtypes.float32)
    if not predictions.shape.is_compatible_with(labels.shape):
        raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible: {predictions_name} and "
                         "labels must have the same shape.")
    return labels, predictions


def absolute_difference(labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted |predictions - labels|, as `tf.losses.absolute_difference`."""
    _require(labels=labels, predictions=predictions)
    with name_scope(scope, "absolute_difference", [predictions, labels, weights]) as scope:
        labels, predictions = _float_pair(labels, predictions)
        losses = unary_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted (predictions - labels)^2, as `tf.losses.mean_squared_error`."""
    _require(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_squared_error", [predictions, labels, weights]) as scope:
        labels, predictions = _float_pair(labels, predictions)
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """0.5 x^2 for |x| <= delta, else 0.5 delta^2 + delta (|x| - delta), x = predictions - labels."""
    _require(labels=labels, predictions=predictions)
    with name_scope(scope, "huber_loss", [predictions, labels, weights]) as scope:
        labels, predictions = _float_pair(labels, predictions)
        abs_error = unary_ops.abs(math_ops.subtract(predictions, labels))
        # min(|x|, delta) and the linear rest: one expression for both sides of delta, whose
        # gradient is exact at the switch point.
        quadratic = math_ops.minimum(abs_error, delta)
        linear = math_ops.subtract(abs_error, quadratic)
        losses = math_ops.add(math_ops.multiply(constant(0.5, dtype=quadratic.dtype),
                                                math_ops.multiply(quadratic, quadratic)),
                              math_ops.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None) -> Tensor:
    """1 - sum(labels * predictions, axis) for unit-normalized inputs, as `tf.losses.cosine_distance`.

    The losses keep `axis` with size 1, so `weights` must have size 1 there too. `dim` is the
    deprecated name of `axis`.
    """
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'")
        axis = dim
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    _require(labels=labels, predictions=predictions)
    with name_scope(scope, "cosine_distance_loss", [predictions, labels, weights]) as scope:
        labels, predictions = _float_pair(labels, predictions)
        radial_diffs = math_ops.multiply(predictions, labels)
        losses = 1 - reduction_ops.reduce_sum(radial_diffs, axis=(axis,), keepdims=True)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None, loss_collection=GraphKeys.LOSSES,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """-labels log(p + eps) - (1 - labels) log(1 - p + eps) for probabilities p, as `tf.losses.log_loss`."""
    _require(labels=labels, predictions=predictions)
    with name_scope(scope, "log_loss", [predictions, labels, weights]) as scope:
        labels, predictions = _float_pair(labels, predictions)
        losses = (-math_ops.multiply(labels, unary_ops.log(predictions + epsilon))
                  - math_ops.multiply(1 - labels, unary_ops.log(1 - predictions + epsilon)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """max(0, 1 - y * logits) with 0/1 `labels` mapped to y = -1/+1, as `tf.losses.hinge_loss`."""
    _require(labels=labels, logits=logits)
    with name_scope(scope, "hinge_loss", [logits, labels, weights]) as scope:
        labels, logits = _float_pair(labels, logits, "logits")
        all_ones = fill_ops.ones_like(labels)
        labels = math_ops.subtract(2 * labels, all_ones)
        losses = nn_ops.relu(math_ops.subtract(all_ones, math_ops.multiply(labels, logits)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def mean_pairwise_squared_error(labels, predictions, weights=1.0, scope=None,
                                loss_collection=GraphKeys.LOSSES) -> Tensor:
    """Mean over pairs (i, j) within each example of ((p_i - p_j) - (l_i - l_j))^2, weighted per example.

    Pairs are drawn inside each example (dims 1..N), never across the batch; `weights`
    scales each example's mean and must have rank 0 or the rank of `labels`.
    """
    _require(labels=labels, predictions=predictions)
    with name_scope(scope, "mean_pairwise_squared_error", [predictions, labels, weights]):
        weights = cast_ops.cast(weights, dtypes.float32)
        labels = cast_ops.cast(labels, dtypes.float32)
        with control_dependencies([assert_broadcastable(weights, labels)]):
            predictions = cast_ops.cast(predictions, dtypes.float32)
            if not predictions.shape.is_compatible_with(labels.shape):
                raise ValueError(f"Shapes {predictions.shape} and {labels.shape} are incompatible: predictions "
                                 "and labels must have the same shape.")
            diffs = math_ops.subtract(predictions, labels)
            axis = fill_ops.range_(1, array_ops.rank(diffs)) if diffs.shape.ndims is None else \
                list(range(1, diffs.shape.ndims))
            sum_squares_diff_per_batch = reduction_ops.reduce_sum(unary_ops.square(diffs), axis=axis, keepdims=True)
            num_present_per_batch = _num_present(diffs, weights, per_batch=True)
            # sum_{i<j} (d_i - d_j)^2 = n sum d^2 - (sum d)^2, divided by the n (n - 1) / 2 pairs.
            term1 = 2.0 * math_ops.div_no_nan(sum_squares_diff_per_batch,
                                              math_ops.maximum(num_present_per_batch - 1, 0), name="value")
            sum_diff = reduction_ops.reduce_sum(diffs, axis=axis, keepdims=True)
            term2 = 2.0 * math_ops.div_no_nan(
                unary_ops.square(sum_diff),
                math_ops.maximum(math_ops.multiply(num_present_per_batch, num_present_per_batch - 1), 0),
                name="value")
            weighted_losses = math_ops.multiply(term1 - term2, weights)
            loss = reduction_ops.reduce_sum(weighted_losses)
            mean_loss = gather_ops.where(reduction_ops.reduce_sum(num_present_per_batch) > 0, loss,
                                         fill_ops.zeros_like(loss), name="value")
            add_loss(mean_loss, loss_collection)
            return mean_loss


# ---- classification losses ------------------------------------------------------------------------
def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted logistic loss of `logits` against 0/1 labels, as `tf.losses.sigmoid_cross_entropy`.

    With `label_smoothing` s, labels become `labels * (1 - s) + 0.5 * s`.
    """
    _require(multi_class_labels=multi_class_labels, logits=logits)
    with name_scope(scope, "sigmoid_cross_entropy_loss", [logits, multi_class_labels, weights]) as scope:
        logits = convert_to_tensor(logits)
        multi_class_labels = cast_ops.cast(multi_class_labels, logits.dtype)
        if not logits.shape.is_compatible_with(multi_class_labels.shape):
            raise ValueError(f"Shapes {logits.shape} and {multi_class_labels.shape} are incompatible: logits and "
                             "multi_class_labels must have the same shape.")
        if label_smoothing > 0:
            multi_class_labels = multi_class_labels * (1 - label_smoothing) + 0.5 * label_smoothing
        losses = nn_impl.sigmoid_cross_entropy_with_logits(labels=multi_class_labels, logits=logits,
                                                            name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted softmax cross-entropy of `[batch, num_classes]` logits, as `tf.losses.softmax_cross_entropy`.

    With `label_smoothing` s, labels become `onehot * (1 - s) + s / num_classes`. No gradient
    flows into the labels. `weights` is a scalar or `[batch]`.
    """
    _require(onehot_labels=onehot_labels, logits=logits)
    with name_scope(scope, "softmax_cross_entropy_loss", [logits, onehot_labels, weights]) as scope:
        logits = convert_to_tensor(logits)
        onehot_labels = cast_ops.cast(onehot_labels, logits.dtype)
        if not logits.shape.is_compatible_with(onehot_labels.shape):
            raise ValueError(f"Shapes {logits.shape} and {onehot_labels.shape} are incompatible: logits and "
                             "onehot_labels must have the same shape.")
        if label_smoothing > 0:
            num_classes = cast_ops.cast(array_ops.shape(onehot_labels)[-1], logits.dtype)
            smooth_positives = 1.0 - label_smoothing
            smooth_negatives = label_smoothing / num_classes
            onehot_labels = onehot_labels * smooth_positives + smooth_negatives
        onehot_labels = array_ops.stop_gradient(onehot_labels, name="labels_stop_gradient")
        losses = nn_impl.softmax_cross_entropy_with_logits_v2(labels=onehot_labels, logits=logits,
                                                              name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)


def _remove_squeezable_dimensions(labels, predictions, weights=None, expected_rank_diff=0):
    """Align labels with predictions (see `remove_squeezable_dimensions`), and drop a trailing 1 of weights."""
    labels, predictions = remove_squeezable_dimensions(labels, predictions, expected_rank_diff=expected_rank_diff)
    if weights is None:
        return labels, predictions, None
    weights = convert_to_tensor(weights)
    labels_rank, weights_rank = labels.shape.ndims, weights.shape.ndims
    if labels_rank is not None and weights_rank is not None:
        if weights_rank - labels_rank == 1:
            weights = array_ops.squeeze(weights, [-1])
        return labels, predictions, weights
    rank_diff = array_ops.rank(weights) - array_ops.rank(labels)
    if weights_rank is None or (weights_rank > 0 and weights.shape.as_tuple()[-1] in (None, 1)):
        w = weights
        weights = control_flow_ops.cond(comparison_ops.equal(1, rank_diff), lambda: array_ops.squeeze(w, [-1]),
                                        lambda: w)
    return labels, predictions, weights


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS) -> Tensor:
    """Weighted softmax cross-entropy of logits against int class ids, as `tf.losses.sparse_softmax_cross_entropy`.

    `labels` has shape `[batch]` (or `[batch, 1]`) with ids in `[0, num_classes)`; an id out
    of range raises InvalidArgumentError when the loss runs.
    """
    _require(labels=labels, logits=logits)
    with name_scope(scope, "sparse_softmax_cross_entropy_loss", [logits, labels, weights]) as scope:
        labels, logits, weights = _remove_squeezable_dimensions(labels, logits, weights, expected_rank_diff=1)
        losses = nn_impl.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction=reduction)
