"""`tf.train.RMSPropOptimizer`: steps divided by a running RMS of the gradients, with momentum."""

from __future__ import annotations

from estflow.core.init_ops import Ones
from estflow.core.ops import cast_ops, training_ops
from estflow.training.optimizer import Optimizer


class RMSPropOptimizer(Optimizer):
    """RMSProp, as `tf.train.RMSPropOptimizer`.

        opt = tf.train.RMSPropOptimizer(0.001, decay=0.9, momentum=0.0, epsilon=1e-10)

    ms = decay * ms + (1 - decay) * g^2; mom = momentum * mom + lr * g / sqrt(ms + epsilon);
    var -= mom. `centered=True` subtracts the squared running mean of g from ms.
    Keeps `<var>/RMSProp` ("rms", starting at ones), then, if centered,
    `<var>/RMSProp_1` ("mg"), and `<var>/RMSProp_1` or `_2` ("momentum").
    A sparse gradient updates only the rows looked up (and their slots).
    """

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = centered

    def _create_slots(self, var_list):
        for v in var_list:
            dtype = v.dtype.base_dtype
            self._get_or_make_slot_with_initializer(v, Ones(dtype=dtype), v.get_shape(), dtype, "rms", self._name)
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._learning_rate_tensor = self._hyper(self._learning_rate, "learning_rate")
        self._decay_tensor = self._hyper(self._decay, "decay")
        self._momentum_tensor = self._hyper(self._momentum, "momentum")
        self._epsilon_tensor = self._hyper(self._epsilon, "epsilon")

    def _inputs(self, var):
        """The slots then (lr, decay, momentum, epsilon), in the order of TF's (Centered)RMSProp ops."""
        dtype = var.dtype.base_dtype
        slots = [self.get_slot(var, "rms"), self.get_slot(var, "momentum")]
        if self._centered:
            slots.insert(0, self.get_slot(var, "mg"))
        scalars = [cast_ops.cast(t, dtype) for t in (self._learning_rate_tensor, self._decay_tensor,
                                                     self._momentum_tensor, self._epsilon_tensor)]
        return slots + scalars

    def _apply_dense(self, grad, var):
        apply = training_ops.apply_centered_rms_prop if self._centered else training_ops.apply_rms_prop
        return apply(var, *self._inputs(var), grad, use_locking=self._use_locking).op

    def _apply_sparse(self, grad, var):
        apply = training_ops.sparse_apply_centered_rms_prop if self._centered else training_ops.sparse_apply_rms_prop
        return apply(var, *self._inputs(var), grad.values, grad.indices, use_locking=self._use_locking)
