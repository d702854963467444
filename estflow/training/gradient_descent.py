"""`tf.train.GradientDescentOptimizer`: var -= learning_rate * grad."""

from __future__ import annotations

from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class GradientDescentOptimizer(Optimizer):
    """Plain gradient descent, as `tf.train.GradientDescentOptimizer`.

        train_op = tf.train.GradientDescentOptimizer(0.01).minimize(loss)

    Sparse gradients (from gathers) update only the rows looked up, with one ScatterSub
    (rows named twice get both steps, as TF1 does).
    """

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._learning_rate_tensor = None

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        lr = cast_ops.cast(self._learning_rate_tensor, var.dtype.base_dtype)
        return training_ops.apply_gradient_descent(var, lr, grad, use_locking=self._use_locking).op

    def _apply_sparse_duplicate_indices(self, grad, var):
        lr = cast_ops.cast(self._learning_rate_tensor, var.dtype.base_dtype)
        delta = IndexedSlices(grad.values * lr, grad.indices, grad.dense_shape)
        return var.scatter_sub(delta, use_locking=self._use_locking)
