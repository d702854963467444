"""`tf.train.ProximalAdagradOptimizer`: Adagrad steps followed by FOBOS's L1/L2 proximal shrinkage."""

from __future__ import annotations

from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class ProximalAdagradOptimizer(Optimizer):
    """Proximal Adagrad, as `tf.train.ProximalAdagradOptimizer`.

        opt = tf.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.001)

    Keeps one slot per variable, `<var>/ProximalAdagrad` ("accumulator").
    """

    def __init__(self, learning_rate, initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            self._filled_slot(v, self._initial_accumulator_value, "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._l1_regularization_strength_tensor = self._hyper(self._l1_regularization_strength,
                                                              "l1_regularization_strength")
        self._l2_regularization_strength_tensor = self._hyper(self._l2_regularization_strength,
                                                              "l2_regularization_strength")

    def _scalars(self, var):
        return [cast_ops.cast(t, var.dtype.base_dtype) for t in (
            self._learning_rate_tensor, self._l1_regularization_strength_tensor,
            self._l2_regularization_strength_tensor)]

    def _apply_dense(self, grad, var):
        return training_ops.apply_proximal_adagrad(var, self.get_slot(var, "accumulator"), *self._scalars(var), grad,
                                                   use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_proximal_adagrad(var, self.get_slot(var, "accumulator"),
                                                          *self._scalars(var), grad.values, grad.indices,
                                                          use_locking=self._use_locking).op
