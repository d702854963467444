"""`tf.train.MomentumOptimizer`: accum = momentum * accum + grad; var -= learning_rate * accum."""

from __future__ import annotations

from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class MomentumOptimizer(Optimizer):
    """Gradient descent with momentum (optionally Nesterov's), as `tf.train.MomentumOptimizer`.

        opt = tf.train.MomentumOptimizer(learning_rate=0.1, momentum=0.9, use_nesterov=True)

    Keeps one slot per variable, `<var>/Momentum` ("momentum").
    """

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._momentum_tensor = self._hyper(self._momentum, "momentum")

    def _hyperparameters(self, var):
        dtype = var.dtype.base_dtype
        return cast_ops.cast(self._learning_rate_tensor, dtype), cast_ops.cast(self._momentum_tensor, dtype)

    def _apply_dense(self, grad, var):
        lr, momentum = self._hyperparameters(var)
        return training_ops.apply_momentum(var, self.get_slot(var, "momentum"), lr, grad, momentum,
                                           use_locking=self._use_locking, use_nesterov=self._use_nesterov).op

    def _apply_sparse(self, grad, var):
        lr, momentum = self._hyperparameters(var)
        return training_ops.sparse_apply_momentum(var, self.get_slot(var, "momentum"), lr, grad.values,
                                                  grad.indices, momentum, use_locking=self._use_locking,
                                                  use_nesterov=self._use_nesterov).op
