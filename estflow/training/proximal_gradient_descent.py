"""`tf.train.ProximalGradientDescentOptimizer`: gradient steps followed by FOBOS's L1/L2 shrinkage."""

from __future__ import annotations

from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class ProximalGradientDescentOptimizer(Optimizer):
    """Proximal gradient descent, as `tf.train.ProximalGradientDescentOptimizer`.

        opt = tf.train.ProximalGradientDescentOptimizer(0.1, l1_regularization_strength=0.01)

    prox = var - lr * grad; var = sign(prox) * max(|prox| - lr * l1, 0) / (1 + lr * l2).
    """

    def __init__(self, learning_rate, l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength

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
        return training_ops.apply_proximal_gradient_descent(var, *self._scalars(var), grad,
                                                            use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        return training_ops.sparse_apply_proximal_gradient_descent(var, *self._scalars(var), grad.values,
                                                                   grad.indices, use_locking=self._use_locking).op
