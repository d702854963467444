"""`tf.train.ExponentialMovingAverage`: shadow variables that track moving averages, as TF1's.

    ema = tf.train.ExponentialMovingAverage(decay=0.999)
    with tf.control_dependencies([train_op]):
        train_op = ema.apply([w, b])          # shadow -= (1 - decay) * (shadow - value)
    ema.average(w)                           # the shadow variable "w/ExponentialMovingAverage"
    saver = tf.train.Saver(ema.variables_to_restore())   # evaluate with the averages

A variable's shadow starts at the variable's initial value; a tensor's starts at zero and is
zero-debiased (divided by 1 - decay^t, from "biased" and "local_step" variables), as in TF1.
With `num_updates` the decay is min(decay, (1 + num_updates) / (10 + num_updates)).
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import (
    GraphKeys,
    add_to_collection,
    colocate_with,
    control_dependencies,
    get_collection,
    get_default_graph,
    name_scope,
)
from estflow.core.ops import cast_ops, control_flow_ops, fill_ops, math_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.variables import Variable, assign, assign_add, assign_sub, global_variables, trainable_variables


def _shadow(name, initial_value, colocate_op):
    graph = get_default_graph()
    with graph.name_scope(None), colocate_with(colocate_op):  # slot names are absolute, as TF's slot_creator
        return Variable(initial_value, name=name, trainable=False)


class ExponentialMovingAverage:
    """Maintains moving averages of variables and tensors, as `tf.train.ExponentialMovingAverage`."""

    def __init__(self, decay, num_updates=None, zero_debias=False, name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages = {}

    @property
    def name(self):
        return self._name

    def apply(self, var_list=None):
        """An op updating the moving average of each variable or tensor in `var_list` (default: the
        trainable variables), creating its shadow variable on first use."""
        var_list = trainable_variables() if var_list is None else list(var_list)
        for var in var_list:
            if var.dtype.base_dtype not in (dtypes.float16, dtypes.float32, dtypes.float64):
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
            if id(var) in self._averages:
                raise ValueError(f"Moving average already computed for: {var.name}")
        zero_debias_tensors = []
        for var in var_list:
            if isinstance(var, Variable):
                with colocate_with(var.op):
                    initial = var.initialized_value()
                average = _shadow(f"{var.op.name}/{self._name}", initial, var.op)
                add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)
            else:  # a tensor: its average starts at zero and is debiased
                tensor = convert_to_tensor(var)
                average = _shadow(f"{tensor.op.name}/{self._name}", fill_ops.zeros_like(tensor), tensor.op)
                zero_debias_tensors.append(id(var))
            self._averages[id(var)] = (var, average)
        with name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, dtype=dtypes.float32, name="decay")
            if self._num_updates is not None:
                steps = cast_ops.cast(self._num_updates, dtypes.float32)
                decay = math_ops.minimum(decay, (1.0 + steps) / (10.0 + steps))
            updates = []
            for var in var_list:
                variable, average = self._averages[id(var)]
                debias = self._zero_debias or id(var) in zero_debias_tensors
                updates.append(self._update(variable, average, decay, debias))
            return control_flow_ops.group(*updates, name=scope.rstrip("/") or None)

    def _update(self, value, average, decay, debias):
        with name_scope(average.op.name):
            value = value.read_value() if isinstance(value, Variable) else convert_to_tensor(value)
            decay = cast_ops.cast(decay, average.dtype.base_dtype)
            if not debias:
                return assign_sub(average, (average.read_value() - value) * (1.0 - decay))
            biased = _shadow(f"{average.op.name}/biased", fill_ops.zeros_like(value), average.op)
            local_step = _shadow(f"{average.op.name}/local_step", fill_ops.zeros([], average.dtype.base_dtype),
                                 average.op)
            update_biased = assign_sub(biased, (biased.read_value() - value) * (1.0 - decay))
            update_step = assign_add(local_step, 1.0)
            with control_dependencies([update_biased, update_step]):
                unbiased = update_biased / (1.0 - math_ops.pow(decay, update_step))
                return assign(average, unbiased)

    def average(self, var):
        """The shadow variable holding `var`'s moving average, or None if `apply` never saw `var`."""
        found = self._averages.get(id(var))
        return None if found is None else found[1]

    def average_name(self, var):
        """The name of `var`'s shadow variable ('<var op name>/<name>'), as checkpoints store it."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None):
        """{checkpoint name: variable} restoring each moving-average variable from its average, and every
        other global variable from itself, for a `tf.train.Saver` that evaluates with the averages."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES)
        chosen = list({id(v): v for v in moving_avg_variables}.values())
        name_map = {self.average_name(v): v for v in chosen}
        chosen_names = {v.name for v in chosen}
        for v in global_variables():
            if v.name not in chosen_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map


def moving_average_variables(scope=None):
    """The variables whose moving averages `ExponentialMovingAverage.apply` maintains, as
    `tf.moving_average_variables`."""
    return get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)

