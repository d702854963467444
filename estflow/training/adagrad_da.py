"""`tf.train.AdagradDAOptimizer`: Adagrad dual averaging, for sparse linear models."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.ops import array_ops, cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class AdagradDAOptimizer(Optimizer):
    """Adagrad dual averaging, as `tf.train.AdagradDAOptimizer`.

    The update depends on the step count, so `global_step` is required here and must
    also be passed to `minimize`/`apply_gradients` so that it advances:

        step = tf.train.get_or_create_global_step()
        train_op = tf.train.AdagradDAOptimizer(0.1, step).minimize(loss, global_step=step)

    Keeps `<var>/AdagradDA` ("gradient_accumulator") and `<var>/AdagradDA_1`
    ("gradient_squared_accumulator", starting at the initial value).
    """

    def __init__(self, learning_rate, global_step, initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False,
                 name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError("initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_gradient_squared_accumulator_value = initial_gradient_squared_accumulator_value
        self._l1_regularization_strength = l1_regularization_strength
        self._l2_regularization_strength = l2_regularization_strength
        self._global_step = global_step

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "gradient_accumulator", self._name)
            self._filled_slot(v, self._initial_gradient_squared_accumulator_value, "gradient_squared_accumulator",
                              self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")

    def _inputs(self, var):
        dtype = var.dtype.base_dtype
        # A local copy of the step, read once per update (TF1 does this to spare the parameter server).
        global_step = cast_ops.cast(array_ops.identity(self._global_step), dtypes.int64)
        return (cast_ops.cast(self._learning_rate_tensor, dtype),
                cast_ops.cast(self._l1_regularization_strength, dtype),
                cast_ops.cast(self._l2_regularization_strength, dtype), global_step)

    def _apply_dense(self, grad, var):
        lr, l1, l2, global_step = self._inputs(var)
        return training_ops.apply_adagrad_da(
            var, self.get_slot(var, "gradient_accumulator"), self.get_slot(var, "gradient_squared_accumulator"),
            grad, lr, l1, l2, global_step, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        lr, l1, l2, global_step = self._inputs(var)
        return training_ops.sparse_apply_adagrad_da(
            var, self.get_slot(var, "gradient_accumulator"), self.get_slot(var, "gradient_squared_accumulator"),
            grad.values, grad.indices, lr, l1, l2, global_step, use_locking=self._use_locking).op
