"""`tf.train.AdagradOptimizer`: accum += grad**2; var -= learning_rate * grad / sqrt(accum)."""

from __future__ import annotations

from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class AdagradOptimizer(Optimizer):
    """Adagrad, as `tf.train.AdagradOptimizer`: per-coordinate steps shrinking with past gradients.

        opt = tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.1)

    Keeps one slot per variable, `<var>/Adagrad` ("accumulator"), starting at
    `initial_accumulator_value`.
    """

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._filled_slot(v, self._initial_accumulator_value, "accumulator", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        lr = cast_ops.cast(self._learning_rate_tensor, var.dtype.base_dtype)
        return training_ops.apply_adagrad(var, self.get_slot(var, "accumulator"), lr, grad,
                                          use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        lr = cast_ops.cast(self._learning_rate_tensor, var.dtype.base_dtype)
        return training_ops.sparse_apply_adagrad(var, self.get_slot(var, "accumulator"), lr, grad.values,
                                                 grad.indices, use_locking=self._use_locking).op
