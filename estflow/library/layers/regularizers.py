"""Weight regularizers, as TF1's `tf.contrib.layers.l1_regularizer`, `l2_regularizer`, ... .

TF1 users find these in `tf.contrib.layers`; estflow has no contrib, so they live here and
are re-exported from `estflow.layers`. A regularizer maps a weight tensor to a scalar loss
(or None); pass one as `kernel_regularizer=` or to `tf.get_variable(regularizer=...)`, and
the loss lands in `GraphKeys.REGULARIZATION_LOSSES` (sum it with `tf.losses.get_regularization_loss()`).

    dense = tf.layers.dense(x, 10, kernel_regularizer=tf.layers.l2_regularizer(1e-4))
"""

from __future__ import annotations

import numbers

from estflow.core.graph import GraphKeys, add_to_collection, get_collection, name_scope
from estflow.core.ops import math_ops, reduction_ops, unary_ops
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.nn_loss_ops import l2_loss


def _check_scale(scale, what="scale") -> bool:
    """Validate a scale as TF does; False when it is 0 (the regularizer is then disabled)."""
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"{what} cannot be an integer: {scale}")
    if isinstance(scale, numbers.Real):
        if scale < 0.0:
            raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale:g}")
        if scale == 0.0:
            return False
    return True


def l1_regularizer(scale, scope=None):
    """A function `weights -> scale * sum(|weights|)`; scale 0 gives one returning None."""
    if not _check_scale(scale):
        return lambda _: None

    def l1(weights, name=None):
        with name_scope(scope, "l1_regularizer", [weights]) as scope_name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(my_scale, reduction_ops.reduce_sum(unary_ops.abs(weights)), name=scope_name)

    return l1


def l2_regularizer(scale, scope=None):
    """A function `weights -> scale * sum(weights ** 2) / 2` (`scale * tf.nn.l2_loss`); scale 0 gives None."""
    if not _check_scale(scale):
        return lambda _: None

    def l2(weights):
        with name_scope(scope, "l2_regularizer", [weights]) as scope_name:
            my_scale = convert_to_tensor(scale, dtype=weights.dtype.base_dtype, name="scale")
            return math_ops.multiply(my_scale, l2_loss(weights), name=scope_name)

    return l2


def sum_regularizer(regularizer_list, scope=None):
    """A regularizer adding up the losses of `regularizer_list` (None entries skipped); None if the list is empty."""
    regularizer_list = [reg for reg in regularizer_list if reg is not None]
    if not regularizer_list:
        return None

    def sum_reg(weights):
        with name_scope(scope, "sum_regularizer", [weights]) as scope_name:
            tensors = [t for t in (reg(weights) for reg in regularizer_list) if t is not None]
            return math_ops.add_n(tensors, name=scope_name) if tensors else None

    return sum_reg


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """`l1_regularizer(scale_l1) + l2_regularizer(scale_l2)`; a zero scale drops its term."""
    l1_on = _check_scale(scale_l1, "scale_l1")
    l2_on = _check_scale(scale_l2, "scale_l2")
    scope = scope or "l1_l2_regularizer"
    if not l1_on:
        return l2_regularizer(scale_l2, scope)
    if not l2_on:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)], scope=scope)


def apply_regularization(regularizer, weights_list=None):
    """The summed penalty of `regularizer` over `weights_list` (default: GraphKeys.WEIGHTS), also added to
    GraphKeys.REGULARIZATION_LOSSES, as `tf.contrib.layers.apply_regularization`."""
    if not weights_list:
        weights_list = get_collection(GraphKeys.WEIGHTS)
    if not weights_list:
        raise ValueError("No weights to regularize.")
    with name_scope("get_regularization_penalty", values=weights_list) as scope:
        penalties = [regularizer(w) for w in weights_list]
        penalties = [p if p is not None else constant(0.0) for p in penalties]
        for p in penalties:
            if p.shape.ndims != 0:
                raise ValueError(f"regularizer must return a scalar Tensor instead of a Tensor with rank "
                                 f"{p.shape.ndims}.")
        summed = math_ops.add_n(penalties, name=scope)
        add_to_collection(GraphKeys.REGULARIZATION_LOSSES, summed)
        return summed
