"""`tf.train.FtrlOptimizer`: FTRL-Proximal (McMahan et al.), the classic optimizer of wide linear models."""

from __future__ import annotations

from estflow.core.ops import cast_ops, math_ops, training_ops
from estflow.training.optimizer import Optimizer


class FtrlOptimizer(Optimizer):
    """FTRL-Proximal with L1, L2 and L2-shrinkage regularization, as `tf.train.FtrlOptimizer`.

        opt = tf.train.FtrlOptimizer(0.1, l1_regularization_strength=0.001)

    Keeps `<var>/Ftrl` ("accum", starting at `initial_accumulator_value`) and
    `<var>/Ftrl_1` ("linear"); `accum_name` and `linear_name` override the slot
    variables' names. With `l2_shrinkage_regularization_strength > 0` the V2 ops run.
    """

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False, name="Ftrl",
                 accum_name=None, linear_name=None, l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__(use_locking, name)
        for value, what, negative_ok in (
                (initial_accumulator_value, "initial_accumulator_value", False),
                (learning_rate_power, "learning_rate_power", True),
                (l1_regularization_strength, "l1_regularization_strength", False),
                (l2_regularization_strength, "l2_regularization_strength", False),
                (l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength", False)):
            if negative_ok and value > 0.0:
                raise ValueError(f"{what} {value:f} needs to be negative or zero")
            if not negative_ok and value < 0.0:
                raise ValueError(f"{what} {value:f} needs to be positive or zero")
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            self._filled_slot(v, self._initial_accumulator_value, "accum", self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _prepare(self):
        learning_rate = self._call_if_callable(self._learning_rate)
        self._learning_rate_tensor = self._hyper(learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = self._hyper(self._l1_regularization_strength,
                                                              "l1_regularization_strength")
        l2 = self._l2_regularization_strength
        if self._beta:
            # beta / (2 * lr) folded into L2, so the underlying ops need no beta input (TF1's way).
            l2 = l2 + self._beta / (2.0 * math_ops.maximum(learning_rate, 1e-36))
        self._adjusted_l2_regularization_strength_tensor = self._hyper(l2, "adjusted_l2_regularization_strength")
        self._l2_shrinkage_regularization_strength_tensor = self._hyper(
            self._l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength")
        self._learning_rate_power_tensor = self._hyper(self._learning_rate_power, "learning_rate_power")

    def _scalars(self, var):
        """(lr, l1, l2[, l2_shrinkage], lr_power) in `var`'s dtype, as the Ftrl ops take them."""
        tensors = [self._learning_rate_tensor, self._l1_regularization_strength_tensor,
                   self._adjusted_l2_regularization_strength_tensor, self._learning_rate_power_tensor]
        if self._l2_shrinkage_regularization_strength > 0.0:
            tensors.insert(3, self._l2_shrinkage_regularization_strength_tensor)
        return [cast_ops.cast(t, var.dtype.base_dtype) for t in tensors]

    def _apply_dense(self, grad, var):
        apply = training_ops.apply_ftrl_v2 if self._l2_shrinkage_regularization_strength > 0.0 \
            else training_ops.apply_ftrl
        return apply(var, self.get_slot(var, "accum"), self.get_slot(var, "linear"), grad, *self._scalars(var),
                     use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        apply = training_ops.sparse_apply_ftrl_v2 if self._l2_shrinkage_regularization_strength > 0.0 \
            else training_ops.sparse_apply_ftrl
        return apply(var, self.get_slot(var, "accum"), self.get_slot(var, "linear"), grad.values, grad.indices,
                     *self._scalars(var), use_locking=self._use_locking).op
