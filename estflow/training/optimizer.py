"""`tf.train.Optimizer`: TF1's base class for graph-mode optimizers.

    opt = tf.train.AdamOptimizer(0.001)
    train_op = opt.minimize(loss, global_step=tf.train.get_or_create_global_step())

`minimize` is `compute_gradients` (tf.gradients of the loss with respect to each
variable) followed by `apply_gradients`, which builds, as TF1 does:

    with init_scope():  _create_slots(vars)        # slot variables `<var>/<Name>`, `<var>/<Name>_1`
    with name_scope(name or "<Name>"):
        _prepare()                                 # hyperparameters as tensors ("learning_rate", ...)
        for each (grad, var) with a gradient:
            with name_scope("update_<var>"):       # dense Tensor -> _apply_dense (a fused Apply* op);
                update                             # IndexedSlices -> summed per row, _apply_sparse
        _finish(updates)                           # a group named "<Name>" (Adam: also beta powers)
        global_step.assign_add(1)                  # named "<Name>", after the updates

Subclasses implement `_create_slots`, `_prepare`, `_apply_dense`, `_apply_sparse`
(and `_finish` when they keep non-slot state). Slot and non-slot variable names match
TF1's exactly, so checkpoints written by either load in the other.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.gradients import gradients
from estflow.core.graph import GraphKeys, Operation, Tensor, get_default_graph, name_scope
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops import array_ops, control_flow_ops, fill_ops, gather_ops
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.partitioned_variables import SaveSliceInfo
from estflow.core.registry import apply_op
from estflow.core.variables import Variable, assign_add, trainable_variables

GATE_NONE = 0  # no gating: gradients may be applied while others are still computed
GATE_OP = 1  # each op's input gradients are all computed before any is used (TF1's default)
GATE_GRAPH = 2  # every gradient is computed before any variable is updated

_VALID_DTYPES = (dtypes.float16, dtypes.float32, dtypes.float64)


def _var_key(var):
    """The key of a variable in slot dicts: its graph and op name, as TF1's `_var_key`."""
    return (var.op.graph, var.op.name)


def _flatten(values) -> list:
    if isinstance(values, dict):
        values = list(values.values())
    if isinstance(values, (list, tuple)):
        return [x for v in values for x in _flatten(v)]
    return [values]


def _deduplicate_indexed_slices(values, indices):
    """(summed_values, unique_indices): rows named more than once summed into one (TF1's helper)."""
    unique_indices, new_index_positions = gather_ops.unique(indices)
    summed_values = apply_op("UnsortedSegmentSum", values, new_index_positions,
                             array_ops.shape(unique_indices)[0], name="UnsortedSegmentSum")
    return summed_values, unique_indices


def _gate_all(grads):
    """`tf.tuple` over the gradients: each is returned only after all of them are computed."""
    present = [g for g in grads if g is not None]
    if not present:
        return list(grads)
    gate = control_flow_ops.group(*[(g.values if isinstance(g, IndexedSlices) else g).op for g in present])
    out = []
    with get_default_graph().control_dependencies([gate]):
        for g in grads:
            if g is None:
                out.append(None)
            elif isinstance(g, IndexedSlices):
                out.append(IndexedSlices(array_ops.identity(g.values), g.indices, g.dense_shape))
            else:
                out.append(array_ops.identity(g))
    return out


def _create_slot(primary, initial_value, op_name, validate_shape=True):
    """A non-trainable variable `<primary>/<op_name>` (then `_1`, `_2`, ...) beside `primary`.

    `initial_value` is a tensor or a function building one (it then runs under
    `<slot>/Initializer/`). TF1's slot_creator names slots the same way.
    """
    graph = primary.graph
    with graph.as_default(), graph.control_dependencies(None), graph.name_scope(primary.op.name + "/"), \
            graph.colocate_with(primary.op):
        slot = Variable(initial_value, trainable=False, name=op_name, validate_shape=validate_shape)
    info = getattr(primary, "_save_slice_info", None)
    if info is not None and slot.get_shape().ndims != 0:
        # A part of a partitioned variable: its slot is the same part of the slot `<full name>/<slot name>`,
        # so a checkpoint holds each slot whole, as TF1's slot_creator arranges.
        n = slot.get_shape().ndims
        slot._save_slice_info = SaveSliceInfo(f"{info.full_name}/{slot.op.name[len(primary.op.name) + 1:]}",
                                              info.full_shape[:n], info.var_offset[:n], info.var_shape[:n])
    return slot


def _zeros_initial_value(primary, dtype):
    shape = primary.get_shape()
    if shape.is_fully_defined():
        return lambda: fill_ops.zeros(shape.as_list(), dtype=dtype)
    return lambda: fill_ops.zeros(array_ops.shape(primary.initialized_value()), dtype=dtype)


class Optimizer:
    """Base class of TF1 optimizers; use a subclass such as `GradientDescentOptimizer`.

        opt = tf.train.GradientDescentOptimizer(0.1)
        grads_and_vars = opt.compute_gradients(loss)
        train_op = opt.apply_gradients([(tf.clip_by_norm(g, 1.0), v) for g, v in grads_and_vars])

    `use_locking` is kept as the update ops' attr, as TF writes it. It could matter only to
    `Session.run` calls made at the same time from several threads on the same variables:
    estflow's update kernels take no lock, which is TF1's behaviour with the default
    `use_locking=False`.
    """

    GATE_NONE = GATE_NONE
    GATE_OP = GATE_OP
    GATE_GRAPH = GATE_GRAPH

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict = {}  # slot name -> {var key: slot variable}
        self._non_slot_dict: dict = {}  # (name, graph) -> variable

    def get_name(self) -> str:
        return self._name

    # ---- the public API -------------------------------------------------------------------------
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None) -> Operation:
        """An op that takes one step on `loss` and, if given, increments `global_step`."""
        grads_and_vars = self.compute_gradients(
            loss, var_list=var_list, gate_gradients=gate_gradients, aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops, grad_loss=grad_loss)
        if not [v for g, v in grads_and_vars if g is not None]:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not support gradients, "
                f"between variables {[str(v) for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None) -> list:
        """[(gradient, variable)] for `var_list` (default: the trainable variables); None where unconnected.

        `gate_gradients` is GATE_NONE, GATE_OP or GATE_GRAPH (ValueError otherwise; GATE_GRAPH
        computes every gradient before any is returned); `aggregation_method` and
        `colocate_gradients_with_ops` act as in `tf.gradients`.
        """
        if callable(loss):
            loss = loss()
        if gate_gradients not in (GATE_NONE, GATE_OP, GATE_GRAPH):
            raise ValueError("gate_gradients must be one of: Optimizer.GATE_NONE, Optimizer.GATE_OP, "
                             f"Optimizer.GATE_GRAPH.  Not {gate_gradients}")
        self._assert_valid_dtypes([loss])
        if grad_loss is not None:
            self._assert_valid_dtypes([grad_loss])
        if var_list is None:
            graph = loss.graph if isinstance(loss, Tensor) else get_default_graph()
            var_list = (trainable_variables() if graph is get_default_graph()
                        else graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
            var_list = var_list + graph.get_collection(GraphKeys.TRAINABLE_RESOURCE_VARIABLES)
        else:
            var_list = _flatten(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            _check_variable(v)
        grads = gradients(loss, [v._ref() for v in var_list], grad_ys=grad_loss,
                          gate_gradients=gate_gradients == GATE_OP, aggregation_method=aggregation_method,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        if gate_gradients == GATE_GRAPH:
            grads = _gate_all(grads)
        grads_and_vars = list(zip(grads, var_list, strict=True))
        self._assert_valid_dtypes([v for g, v in grads_and_vars if g is not None])
        return grads_and_vars

    def apply_gradients(self, grads_and_vars, global_step=None, name=None) -> Operation:
        """An op applying each (gradient, variable) pair; it increments `global_step` afterwards if given."""
        grads_and_vars = tuple(grads_and_vars)
        if not grads_and_vars:
            raise ValueError("No variables provided.")
        converted = []
        for g, v in grads_and_vars:
            if g is not None:
                g = _as_gradient(g)
            _check_variable(v)
            converted.append((g, v))
        var_list = [v for g, v in converted if g is not None]
        if not var_list:
            raise ValueError(f"No gradients provided for any variable: {[str(v) for _, v in converted]}.")
        graph = var_list[0].graph
        with graph.as_default():
            with graph.control_dependencies(None):
                self._create_slots(var_list)
            update_ops = []
            with name_scope(name, self._name) as scope:
                self._prepare()
                gate = _gradient_ops(converted)
                targets = {v._ref() for v in var_list}
                for grad, var in converted:
                    if grad is None:
                        continue
                    first_new_op = len(graph._ops)
                    with graph.name_scope("update_" + var.op.name), graph.colocate_with(var.op):
                        update_ops.append(self._update(grad, var))
                    _wait_for_gradients(graph._ops[first_new_op:], targets, gate)
                if global_step is None:
                    apply_updates = self._finish(update_ops, scope)
                else:
                    with graph.control_dependencies([self._finish(update_ops, "update")]):
                        with graph.colocate_with(global_step.op):
                            apply_updates = assign_add(global_step, 1, name=scope)
            if isinstance(apply_updates, Tensor):
                apply_updates = apply_updates.op
            train_ops = graph.get_collection_ref(GraphKeys.TRAIN_OP)
            if apply_updates not in train_ops:
                train_ops.append(apply_updates)
        return apply_updates

    def get_slot(self, var, name):
        """The slot variable `name` ("m", "v", "momentum", "accumulator", ...) kept for `var`, or None."""
        named_slots = self._slots.get(name)
        if not named_slots:
            return None
        return named_slots.get(_var_key(var))

    def get_slot_names(self) -> list:
        """The names of the slots this optimizer creates, sorted."""
        return sorted(self._slots)

    def variables(self) -> list:
        """The optimizer's variables in the default graph (slots and non-slot ones), sorted by name."""
        graph = get_default_graph()
        out = [v for v in self._non_slot_variables() if v.graph is graph]
        for slots in self._slots.values():
            out.extend(v for v in slots.values() if v.graph is graph)
        return sorted(out, key=lambda v: v.name)

    # ---- hooks for subclasses ----------------------------------------------------------------------
    def _create_slots(self, var_list) -> None:
        """Create the slot variables `var_list` needs (called with control dependencies cleared)."""

    def _prepare(self) -> None:
        """Turn hyperparameters (floats, tensors or callables) into tensors, inside the apply scope."""

    def _apply_dense(self, grad, var):
        raise NotImplementedError(f"{type(self).__name__} does not implement _apply_dense.")

    def _apply_sparse(self, grad, var):
        raise NotImplementedError(f"{type(self).__name__} does not implement _apply_sparse.")

    def _apply_sparse_duplicate_indices(self, grad, var):
        """Sum the rows of `grad` that name the same index, then `_apply_sparse` (TF1's default)."""
        summed_values, unique_indices = _deduplicate_indexed_slices(grad.values, grad.indices)
        return self._apply_sparse(IndexedSlices(summed_values, unique_indices, grad.dense_shape), var)

    def _finish(self, update_ops, name_scope):
        return control_flow_ops.group(*update_ops, name=name_scope)

    def _update(self, grad, var):
        if isinstance(grad, IndexedSlices):
            if var.constraint is not None:
                raise RuntimeError("Cannot use a constraint function on a sparse variable.")
            return self._apply_sparse_duplicate_indices(grad, var)
        update_op = self._apply_dense(grad, var)
        if var.constraint is None:
            return update_op
        with var.graph.control_dependencies([update_op]):
            return var.assign(var.constraint(var))

    # ---- helpers for subclasses --------------------------------------------------------------------
    @staticmethod
    def _call_if_callable(param):
        return param() if callable(param) else param

    def _hyper(self, value, name) -> Tensor:
        """A hyperparameter (float, tensor or zero-argument callable) as a tensor named `name`."""
        return convert_to_tensor(self._call_if_callable(value), name=name)

    def _assert_valid_dtypes(self, tensors) -> None:
        for t in tensors:
            dtype = t.dtype.base_dtype
            if dtype not in _VALID_DTYPES:
                raise ValueError(f"Invalid type {dtype!r} for {t.name}, expected: {list(_VALID_DTYPES)}.")

    def _slot_dict(self, slot_name) -> dict:
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot(self, var, val, slot_name, op_name):
        """The slot `slot_name` of `var`, created from the tensor `val` if new."""
        named_slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in named_slots:
            named_slots[key] = _create_slot(var, val, op_name, validate_shape=val.get_shape().is_fully_defined())
        return named_slots[key]

    def _get_or_make_slot_with_initializer(self, var, initializer, shape, dtype, slot_name, op_name):
        """The slot `slot_name` of `var`, created with `initializer(shape, dtype)` if new."""
        named_slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in named_slots:
            if callable(initializer):
                value = lambda: initializer(shape, dtype=dtype)
            else:
                value = initializer
            named_slots[key] = _create_slot(var, value, op_name, validate_shape=shape.is_fully_defined())
        return named_slots[key]

    def _zeros_slot(self, var, slot_name, op_name):
        """The slot `slot_name` of `var`, created as zeros of `var`'s shape and dtype if new."""
        named_slots = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in named_slots:
            value = _zeros_initial_value(var, var.dtype.base_dtype)
            named_slots[key] = _create_slot(var, value, op_name,
                                            validate_shape=var.get_shape().is_fully_defined())
        return named_slots[key]

    def _filled_slot(self, var, value, slot_name, op_name):
        """The slot `slot_name` of `var`, created filled with the number `value` if new (Adagrad's accumulator)."""
        return self._get_or_make_slot_with_initializer(var, _filled_initializer(value, var), var.get_shape(),
                                                       var.dtype.base_dtype, slot_name, op_name)

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        """A variable `name` kept once per graph (Adam's `beta1_power`), beside `colocate_with`."""
        graph = colocate_with.graph
        key = (name, graph)
        v = self._non_slot_dict.get(key)
        if v is None:
            with graph.as_default(), graph.colocate_with(colocate_with.op):
                v = Variable(initial_value, name=name, trainable=False)
            self._non_slot_dict[key] = v
        return v

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slot_dict.get((name, graph if graph is not None else get_default_graph()))

    def _non_slot_variables(self):
        return list(self._non_slot_dict.values())


def _filled_initializer(value, primary):
    """An initializer `(shape, dtype) -> Tensor` filling `primary`'s shape with `value` (Fill when large)."""
    def initializer(shape, dtype=None):
        if not shape.is_fully_defined():
            return fill_ops.fill(array_ops.shape(primary.initialized_value()), constant(value, dtype=dtype),
                                 name="Const")
        if shape.num_elements() < 1000:
            return constant(value, dtype=dtype, shape=shape.as_list())
        return fill_ops.fill(shape.as_list(), constant(value, dtype=dtype), name="Const")

    return initializer


def _gradient_ops(grads_and_vars) -> list:
    return [(g.values if isinstance(g, IndexedSlices) else g).op for g, _ in grads_and_vars if g is not None]


def _wait_for_gradients(new_ops, targets, gate) -> None:
    """Make each new op that writes a variable being trained run only after every gradient exists.

    Updates write variables in place and a variable's `read` tensor shares its array, so a
    gradient computed after another variable's update would see the new value. TF1 relies on
    GATE_OP gating for this; here the writers themselves wait, which costs no kernel calls.
    """
    for op in new_ops:
        if any(op._inputs[i] in targets for i in op._op_def.ref_inputs):
            op._add_control_inputs([g for g in gate if g is not op])


def _check_variable(v) -> None:
    if not isinstance(v, Variable) and not (hasattr(v, "_ref") and hasattr(v, "op")):
        raise NotImplementedError(f"Trying to optimize unsupported type {v!r}; optimizers update tf.Variable "
                                  "objects (create them with tf.Variable or tf.get_variable).")


def _as_gradient(g):
    if isinstance(g, (Tensor, IndexedSlices)):
        return g
    try:
        return convert_to_tensor(g)
    except (TypeError, ValueError):
        raise TypeError(f"Gradient must be convertible to a Tensor or IndexedSlices, or None: {g}") from None
