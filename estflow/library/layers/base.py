"""`Layer`: the base of TF1's `tf.layers` classes, holding variables under one variable scope.

Life cycle (TF1's tf.layers.Layer, graph mode only):

    layer = Dense(10)           # nothing is created yet
    y = layer(x)                # 1. scope: `variable_scope(None, default_name="dense")` -> dense, dense_1, ...
                                #    (or the `name` given), opened inside the caller's scopes
                                # 2. build(x.shape) creates the variables (add_weight -> get_variable),
                                #    adds regularization losses to GraphKeys.REGULARIZATION_LOSSES
                                # 3. call(x) builds the ops in the layer's name scope ("dense/MatMul")
                                # 4. updates (batch norm's moving averages) go to GraphKeys.UPDATE_OPS
    y2 = layer(x2)              # same variables (reuse=True), ops "dense/MatMul_1"

Subclasses implement `build(input_shape)` (calling `add_weight`) and `call(inputs, ...)`.
"""

from __future__ import annotations

import inspect
import re
import weakref

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, Tensor, get_default_graph, name_scope
from estflow.core.ops import array_ops, cast_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.variable_scope import get_variable, variable_scope
from estflow.core.variables import Variable, global_variables, validate_synchronization_aggregation_trainable
from estflow.library.layers.input_spec import assert_input_compatibility

_layer_name_uids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # graph -> {base name: count}


def _to_snake_case(name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique_layer_name(base_name: str) -> str:
    """`base_name`, then `base_name_1`, ... per graph (Keras' unique_object_name)."""
    uids = _layer_name_uids.setdefault(get_default_graph(), {})
    count = uids.get(base_name, 0)
    uids[base_name] = count + 1
    return base_name if count == 0 else f"{base_name}_{count}"


def _add_to_collection(items, key) -> None:
    collection = get_default_graph().get_collection_ref(key)
    for item in items:
        if not any(item is existing for existing in collection):
            collection.append(item)


def _flatten(x) -> list:
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _flatten(item)]
    if isinstance(x, dict):
        return [leaf for key in sorted(x) for leaf in _flatten(x[key])]
    return [x]


def _convert_inputs(inputs):
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_convert_inputs(x) for x in inputs)
    if isinstance(inputs, (Tensor, Variable)) or not hasattr(inputs, "indices"):
        return convert_to_tensor(inputs)
    return inputs  # SparseTensor and the like pass through


def _shapes(inputs):
    if isinstance(inputs, (list, tuple)):
        return [_shapes(x) for x in inputs]
    return inputs.shape


class Layer:
    """Base class of `tf.layers` layers: variables in a variable scope, ops in its name scope.

        class Scale(Layer):
            def build(self, input_shape):
                self.w = self.add_weight("w", [int(input_shape[-1])])
            def call(self, inputs):
                return inputs * self.w
    """

    _ALLOWED_KWARGS = ("_scope", "_reuse", "activity_regularizer", "input_shape", "batch_input_shape", "batch_size")
    input_spec = None  # an InputSpec (or a list, one per input) that each call checks its inputs against

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        for key in kwargs:
            if key not in self._ALLOWED_KWARGS:
                raise TypeError(f"Keyword argument not understood: {key!r} (layer {type(self).__name__}).")
        self.trainable = trainable
        self.built = False
        self._dtype = None if dtype is None else dtypes.as_dtype(dtype).base_dtype
        self._activity_regularizer = kwargs.get("activity_regularizer")
        self._reuse = kwargs.get("_reuse")
        self._trainable_weights: list = []
        self._non_trainable_weights: list = []
        self._losses: list = []
        self._updates: list = []
        self._current_scope = None
        self._always_reuse_scope = None
        if name:
            self._name, self._base_name = name, name
        else:
            self._base_name = _to_snake_case(type(self).__name__)
            self._name = _unique_layer_name(self._base_name)
        self._scope = None
        scope = kwargs.get("_scope")
        if scope:
            with variable_scope(scope) as captured:
                self._scope = captured

    # ---- properties --------------------------------------------------------------------------
    name = property(lambda self: self._name, doc="The layer's name (unique per graph when not given).")
    dtype = property(lambda self: None if self._dtype is None else self._dtype.name)
    activity_regularizer = property(lambda self: self._activity_regularizer)

    @property
    def scope_name(self) -> str:
        if self._scope is None:
            raise ValueError(f'No name available for layer scope because the layer "{self._name}" has not been used '
                             "yet. The scope name is determined the first time the layer instance is called. You "
                             "must therefore call the layer before querying `scope_name`.")
        return self._scope.name

    @property
    def trainable_weights(self) -> list:
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list:
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def weights(self) -> list:
        """All variables: trainable first, then non-trainable."""
        return self.trainable_weights + self.non_trainable_weights

    variables = weights

    @property
    def losses(self) -> list:
        """Regularization and activity losses this layer added (also in GraphKeys.REGULARIZATION_LOSSES)."""
        return list(self._losses)

    @property
    def updates(self) -> list:
        """Update ops to run each training step (also in GraphKeys.UPDATE_OPS)."""
        return list(self._updates)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on {self._name}, but the layer isn't built.")
        return sum(int(w.shape.num_elements()) for w in self.weights)

    # ---- building blocks for subclasses -------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create the variables; called once, with the first inputs' static shape."""
        self.built = True

    def call(self, inputs, **kwargs):
        """The layer's computation; override it."""
        return inputs

    def compute_output_shape(self, input_shape):
        raise NotImplementedError(f"{type(self).__name__} does not implement compute_output_shape.")

    def add_loss(self, losses, inputs=None) -> None:
        """Record loss tensors (None entries are dropped) and add them to GraphKeys.REGULARIZATION_LOSSES.

        `inputs` marks TF1 losses as conditional on those inputs, for Keras' `get_losses_for`,
        which estflow's layers do not have; the collection gets the losses either way, as in TF1.
        """
        new = [loss for loss in _flatten(losses) if loss is not None]
        self._losses.extend(new)
        _add_to_collection(new, GraphKeys.REGULARIZATION_LOSSES)

    def add_update(self, updates, inputs=None) -> None:
        """Record update ops; `__call__` adds them to GraphKeys.UPDATE_OPS.

        `inputs` is kept by TF1 for Keras' `get_updates_for`, which estflow's layers do not
        have; UPDATE_OPS gets the updates either way, as in TF1.
        """
        self._updates.extend(u for u in _flatten(updates) if u is not None)

    def add_weight(self, name, shape, dtype=None, initializer=None, regularizer=None, trainable=None,
                   constraint=None, use_resource=None, synchronization=None, aggregation=None, partitioner=None,
                   **kwargs) -> Variable:
        """A variable `name` in the layer's variable scope (`get_variable`), tracked by the layer.

        A `regularizer` applies only when the variable is new, and its loss is named
        `<scope>/<name>/Regularizer/...`. `use_resource`, `synchronization`, `aggregation` and
        `partitioner` go to `get_variable`. The one other keyword TF1 takes,
        `experimental_autocast`, casts reads under a mixed-precision policy, which estflow
        does not have, so reads keep the variable's dtype as in TF1 without a policy.
        """
        for key in kwargs:
            if key != "experimental_autocast":
                raise TypeError(f"Unknown keyword argument: {key}")
        _, _, trainable = validate_synchronization_aggregation_trainable(synchronization, aggregation, trainable,
                                                                         name)
        self._set_scope()
        existing = set(global_variables())
        reuse = True if self.built else self._reuse
        with variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False) as scope:
            self._current_scope = scope
            with name_scope(scope.original_name_scope):
                dtype = dtypes.as_dtype(dtype or self._dtype or dtypes.float32)
                variable = get_variable(name, shape=shape, dtype=dtype, initializer=initializer,
                                        trainable=trainable and self.trainable, constraint=constraint,
                                        partitioner=partitioner, use_resource=use_resource,
                                        synchronization=synchronization, aggregation=aggregation)
                if regularizer is not None and variable not in existing:
                    with name_scope(name + "/Regularizer"):
                        self.add_loss(regularizer(variable))
        target = self._trainable_weights if trainable and self.trainable else self._non_trainable_weights
        if not any(variable is w for w in target):
            target.append(variable)
        return variable

    # ---- calling --------------------------------------------------------------------------------
    def _set_scope(self, scope=None) -> None:
        if self._scope is not None:
            return
        if self._reuse:
            with variable_scope(scope if scope is not None else self._base_name) as captured:
                self._scope = captured
        else:
            with variable_scope(scope, default_name=self._base_name) as captured:
                self._scope = captured

    def __call__(self, inputs, *args, **kwargs):
        """Build on first use, then run `call` in the layer's scopes; returns its outputs."""
        self._set_scope(kwargs.pop("scope", None))
        if self.built:
            if self._always_reuse_scope is None:
                self._always_reuse_scope = variable_scope(self._scope, reuse=True, auxiliary_name_scope=False)
            scope_context = self._always_reuse_scope
        else:
            scope_context = variable_scope(self._scope, reuse=self._reuse, auxiliary_name_scope=False)
        with scope_context as scope:
            self._current_scope = scope
            with name_scope(scope.original_name_scope):
                inputs = _convert_inputs(inputs)
                if self.input_spec is not None:
                    assert_input_compatibility(self.input_spec, _flatten(inputs), self._name)
                if not self.built:
                    first = _flatten(inputs)[0]
                    if self._dtype is None and isinstance(first, Tensor):
                        self._dtype = first.dtype
                    self.build(_shapes(inputs))
                    self.built = True
                if "training" in kwargs and not self._call_accepts("training"):
                    kwargs.pop("training")  # as Keras: `training` reaches only layers whose call takes it
                outputs = self.call(inputs, *args, **kwargs)
                if self._activity_regularizer is not None:
                    self._handle_activity_regularization(outputs)
        _add_to_collection(self._updates, GraphKeys.UPDATE_OPS)
        return outputs

    def _call_accepts(self, arg: str) -> bool:
        params = inspect.signature(self.call).parameters
        return arg in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    def apply(self, inputs, *args, **kwargs):
        """The same as calling the layer: `layer.apply(x)` == `layer(x)`."""
        return self.__call__(inputs, *args, **kwargs)

    def _handle_activity_regularization(self, outputs) -> None:
        with name_scope("ActivityRegularizer"):
            for output in _flatten(outputs):
                activity_loss = self._activity_regularizer(output)
                if activity_loss is None:
                    continue
                # Divided by the batch size, so the penalty does not grow with it.
                batch_size = cast_ops.cast(array_ops.shape(output)[0], activity_loss.dtype)
                self.add_loss(activity_loss / batch_size)

    def __repr__(self):
        return f"<{type(self).__name__} name={self._name!r} built={self.built}>"

