"""`tf.train.AdamOptimizer`: Kingma & Ba's Adam with TF1's bias correction through beta powers."""

from __future__ import annotations

from estflow.core.graph import get_default_graph
from estflow.core.ops import cast_ops, control_flow_ops, training_ops, unary_ops
from estflow.core.variables import assign, assign_sub, scatter_add
from estflow.training.optimizer import Optimizer


class AdamOptimizer(Optimizer):
    """Adam, as `tf.train.AdamOptimizer`.

        train_op = tf.train.AdamOptimizer(learning_rate=0.001).minimize(loss)

    Each step: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g^2; var -= lr_t * m / (sqrt(v) + epsilon).
    Keeps `<var>/Adam` ("m"), `<var>/Adam_1` ("v") and two non-slot variables,
    `beta1_power` and `beta2_power`, multiplied by beta1 and beta2 after each step.
    A sparse gradient decays all of m and v and updates the whole variable, as TF1 does.
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._lr = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon

    def _get_beta_accumulators(self):
        graph = get_default_graph()
        return (self._get_non_slot_variable("beta1_power", graph=graph),
                self._get_non_slot_variable("beta2_power", graph=graph))

    def _create_slots(self, var_list):
        first_var = min(var_list, key=lambda x: x.name)
        self._create_non_slot_variable(initial_value=self._beta1, name="beta1_power", colocate_with=first_var)
        self._create_non_slot_variable(initial_value=self._beta2, name="beta2_power", colocate_with=first_var)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _prepare(self):
        self._lr_t = self._hyper(self._lr, "learning_rate")
        self._beta1_t = self._hyper(self._beta1, "beta1")
        self._beta2_t = self._hyper(self._beta2, "beta2")
        self._epsilon_t = self._hyper(self._epsilon, "epsilon")

    def _scalars(self, var):
        """(beta1_power, beta2_power, lr, beta1, beta2, epsilon) in `var`'s dtype."""
        dtype = var.dtype.base_dtype
        beta1_power, beta2_power = self._get_beta_accumulators()
        return tuple(cast_ops.cast(t, dtype) for t in (beta1_power, beta2_power, self._lr_t, self._beta1_t,
                                                       self._beta2_t, self._epsilon_t))

    def _apply_dense(self, grad, var):
        return training_ops.apply_adam(var, self.get_slot(var, "m"), self.get_slot(var, "v"), *self._scalars(var),
                                       grad, use_locking=self._use_locking).op

    def _apply_sparse_shared(self, grad, var, indices, scatter_add_fn):
        beta1_power, beta2_power, lr_t, beta1_t, beta2_t, epsilon_t = self._scalars(var)
        lr = lr_t * unary_ops.sqrt(1 - beta2_power) / (1 - beta1_power)
        # m_t = beta1 * m + (1 - beta1) * g_t
        m = self.get_slot(var, "m")
        m_scaled_g_values = grad * (1 - beta1_t)
        m_t = assign(m, m * beta1_t, use_locking=self._use_locking)
        with get_default_graph().control_dependencies([m_t]):
            m_t = scatter_add_fn(m, indices, m_scaled_g_values)
        # v_t = beta2 * v + (1 - beta2) * (g_t * g_t)
        v = self.get_slot(var, "v")
        v_scaled_g_values = (grad * grad) * (1 - beta2_t)
        v_t = assign(v, v * beta2_t, use_locking=self._use_locking)
        with get_default_graph().control_dependencies([v_t]):
            v_t = scatter_add_fn(v, indices, v_scaled_g_values)
        v_sqrt = unary_ops.sqrt(v_t)
        var_update = assign_sub(var, lr * m_t / (v_sqrt + epsilon_t), use_locking=self._use_locking)
        return control_flow_ops.group(var_update, m_t, v_t)

    def _apply_sparse(self, grad, var):
        return self._apply_sparse_shared(
            grad.values, var, grad.indices,
            lambda x, i, v: scatter_add(x, i, v, use_locking=self._use_locking))

    def _finish(self, update_ops, name_scope):
        graph = get_default_graph()
        with graph.control_dependencies(update_ops):
            beta1_power, beta2_power = self._get_beta_accumulators()
            with graph.colocate_with(beta1_power.op):
                update_beta1 = beta1_power.assign(beta1_power * self._beta1_t, use_locking=self._use_locking)
                update_beta2 = beta2_power.assign(beta2_power * self._beta2_t, use_locking=self._use_locking)
        return control_flow_ops.group(*update_ops, update_beta1, update_beta2, name=name_scope)
