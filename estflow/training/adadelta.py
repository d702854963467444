"""`tf.train.AdadeltaOptimizer`: steps scaled by the ratio of running RMS of updates and gradients."""

from __future__ import annotations

from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class AdadeltaOptimizer(Optimizer):
    """Adadelta, as `tf.train.AdadeltaOptimizer`.

        opt = tf.train.AdadeltaOptimizer(learning_rate=1.0, rho=0.95, epsilon=1e-6)

    Keeps `<var>/Adadelta` ("accum") and `<var>/Adadelta_1` ("accum_update").
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "lr")
        self._rho_t = self._hyper(self._rho, "rho")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _inputs(self, var):
        dtype = var.dtype.base_dtype
        return (self.get_slot(var, "accum"), self.get_slot(var, "accum_update"), cast_ops.cast(self._lr_t, dtype),
                cast_ops.cast(self._rho_t, dtype), cast_ops.cast(self._epsilon_t, dtype))

    def _apply_dense(self, grad, var):
        return training_ops.apply_adadelta(var, *self._inputs(var), grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_adadelta(var, *self._inputs(var), grad.values, grad.indices,
                                                  use_locking=self._use_locking).op
