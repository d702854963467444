"""Graph, Operation and Tensor: TF1's dataflow graph.

A `Graph` holds `Operation`s in creation order. Each operation has a TF op type (a key
of the op registry), input tensors, control inputs, attrs, a device string and output
`Tensor`s named `op_name:index`. Names are made unique the way TF1 does (`Add`,
`Add_1`, `scope/MatMul`), and name scopes, control dependencies, devices and
collections are stacks kept on the graph. Graph building is single-threaded per graph;
the default-graph stack is thread-local.
"""

from __future__ import annotations

import contextlib
import re
import threading

from estflow.core import dtypes as _dtypes
from estflow.core.default_session import _run_using_default_session, clear_interactive_session
from estflow.core.devices import merge_device
from estflow.core.protos import versions_pb2
from estflow.core.tensor_shape import TensorShape

_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\-/>]*$")
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\-/>]*$")


class GraphKeys:
    """Standard collection names, as `tf.GraphKeys`."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"
    VARIABLES = GLOBAL_VARIABLES
    _VARIABLE_COLLECTIONS = (
        GLOBAL_VARIABLES, LOCAL_VARIABLES, METRIC_VARIABLES, MODEL_VARIABLES, TRAINABLE_VARIABLES,
        MOVING_AVERAGE_VARIABLES, CONCATENATED_VARIABLES, TRAINABLE_RESOURCE_VARIABLES,
    )


class Tensor:
    """One output of an `Operation`: a symbolic handle to a value computed in a session."""

    __slots__ = ("_op", "_value_index", "_dtype", "_ref_dtype", "_shape", "_const_value", "_consumers",
                 "__weakref__")

    # numpy must defer to Tensor's reflected operators (np.float32(2) * t builds an op).
    __array_priority__ = 100
    __array_ufunc__ = None

    def __init__(self, op: Operation, value_index: int, dtype, shape):
        self._op = op
        self._value_index = value_index
        # `_dtype` is the value type everything inside estflow works with; `_ref_dtype` is TF1's
        # reference dtype (`float32_ref`) of an output its op declares `Ref(T)` (VariableV2, Assign...),
        # which only the public `dtype` shows.
        self._dtype = _dtypes.as_dtype(dtype)._base
        self._ref_dtype = None
        self._shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        self._const_value = None
        self._consumers: list[Operation] = []

    op = property(lambda self: self._op)
    value_index = property(lambda self: self._value_index)
    dtype = property(lambda self: self._ref_dtype or self._dtype)
    graph = property(lambda self: self._op._graph)
    name = property(lambda self: f"{self._op._name}:{self._value_index}")
    device = property(lambda self: self._op._device)
    shape = property(lambda self: self._shape)

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape) -> None:
        """Narrow the static shape; raises ValueError when `shape` is incompatible."""
        merged = self._shape.merge_with(shape)
        if merged != self._shape:
            self._shape = merged
            self._op._graph._version += 1  # compiled plans check feeds against the old shape

    def consumers(self) -> list[Operation]:
        return list(self._consumers)

    def eval(self, feed_dict=None, session=None):
        """The value of this tensor in `session` (default: the default session)."""
        return _run_using_default_session(self, feed_dict, self.graph, session)

    def __iter__(self):
        raise TypeError(
            f"Tensor objects are only iterable when eager execution is enabled. "
            f"To iterate over '{self.name}', use tf.map_fn or tf.unstack."
        )

    def __bool__(self):
        raise TypeError(
            "Using a `tf.Tensor` as a Python `bool` is not allowed. Use `if t is not None:` "
            "instead of `if t:` to test if a tensor is defined, and use TensorFlow ops such "
            "as tf.cond to execute subgraphs conditioned on the value of a tensor."
        )

    __nonzero__ = __bool__

    def __len__(self):
        raise TypeError(
            f"len is not well defined for symbolic Tensors. ({self.name}) Please call `x.shape` "
            "rather than `len(x)` for shape information."
        )

    # Identity, as id(self), without a Python call per hash: a session hashes its fetches on every run.
    __hash__ = object.__hash__

    def __eq__(self, other):  # TF1 graph mode: identity comparison
        return self is other

    def __ne__(self, other):
        return self is not other

    def __repr__(self):
        return f"<tf.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    def __str__(self):  # TF1's print(tensor): Tensor("add:0", shape=(), dtype=int32)
        return f'Tensor("{self.name}", shape={self._shape}, dtype={self.dtype.name})'

    def _as_node_def_input(self) -> str:
        return self._op._name if self._value_index == 0 else f"{self._op._name}:{self._value_index}"

    @staticmethod
    def _override_operator(operator: str, func) -> None:
        setattr(Tensor, operator, func)


class Operation:
    """A node of the graph: an op type applied to input tensors with attrs."""

    __slots__ = (
        "_graph", "_name", "_type", "_inputs", "_outputs", "_control_inputs", "_attrs",
        "_device", "_id", "_op_def", "_control_outputs", "_ctx", "_colocation", "_gradient_override",
        "_list_output", "__weakref__",
    )

    def __init__(self, graph, name, op_type, inputs, specs, attrs, control_inputs, device, op_def):
        self._graph = graph
        self._name = name
        self._type = op_type
        self._inputs = tuple(inputs)
        self._attrs = attrs
        self._device = device
        self._op_def = op_def
        self._control_inputs = list(control_inputs)
        self._control_outputs: list[Operation] = []
        self._ctx = None
        self._colocation = None
        self._gradient_override = None  # set from Graph.gradient_override_map when the op is created
        self._list_output = None  # True when the kernel returns a sequence (even of one value)
        self._outputs = tuple(Tensor(self, i, s.dtype, s.shape) for i, s in enumerate(specs))
        for t, s in zip(self._outputs, specs):
            t._const_value = s.value
        if op_def is not None and op_def.ref_outputs:
            for i in op_def.ref_outputs:
                if i < len(self._outputs):
                    t = self._outputs[i]
                    t._ref_dtype = t._dtype._as_ref

    graph = property(lambda self: self._graph)
    name = property(lambda self: self._name)
    type = property(lambda self: self._type)
    inputs = property(lambda self: list(self._inputs))
    outputs = property(lambda self: list(self._outputs))
    control_inputs = property(lambda self: list(self._control_inputs))
    device = property(lambda self: self._device)
    op_def = property(lambda self: self._op_def)

    @property
    def node_def(self):
        from estflow.core.graph_io import node_def_from_operation  # graph_io builds on this module

        return node_def_from_operation(self)

    @property
    def values(self):
        return self.outputs

    def get_attr(self, name: str):
        """An attr's value; attrs TF derives from the arguments (MatMul's "T", AddN's "N") come from
        the inputs and outputs they describe."""
        value = self._attrs.get(name)
        if value is None and self._op_def is not None and name in self._op_def.attr_types:
            derived = self._op_def.derived_attrs(self)
            if name in derived:
                return list(derived[name]) if isinstance(derived[name], tuple) else derived[name]
        if value is None and name not in self._attrs:
            raise ValueError(f"Operation '{self._name}' has no attr named '{name}'.")
        return value

    @property
    def attrs(self) -> dict:
        return dict(self._attrs)

    def _set_attr(self, name: str, value) -> None:
        self._attrs[name] = value

    def _add_control_input(self, op: Operation) -> None:
        if op not in self._control_inputs:
            self._control_inputs.append(op)
            op._control_outputs.append(self)
            self._graph._version += 1

    def _add_control_inputs(self, ops) -> None:
        for op in ops:
            self._add_control_input(op)

    def run(self, feed_dict=None, session=None) -> None:
        """Run this operation in `session` (default: the default session)."""
        _run_using_default_session(self, feed_dict, self._graph, session)

    def __repr__(self):
        return f"<tf.Operation '{self._name}' type={self._type}>"

    def __str__(self):
        from estflow.core.graph_io import node_def_from_operation  # graph_io builds on this module

        return str(node_def_from_operation(self, strict=False))  # printing never fails on an attr


class _GraphState(threading.local):
    def __init__(self):
        self.stack: list[Graph] = []


_state = _GraphState()
_global_default_graph: Graph | None = None


class Graph:
    """A TF1 computation graph: operations, naming scopes and collections."""

    def __init__(self):
        self._ops_by_name: dict[str, Operation] = {}
        self._ops: list[Operation] = []
        self._op_versions: list[int] = []  # graph.version just after each op of _ops was added
        self._names_in_use: dict[str, int] = {}
        self._name_stack = ""
        self._control_dependencies_stack: list[list[Operation]] = []
        self._device_stack: list = []
        self._collections: dict[str, list] = {}
        self._finalized = False
        self._version = 0  # bumped when the graph changes; sessions drop cached plans then
        self.seed = None
        self._last_id = 0
        self._cond_context = None  # set by control_flow.cond while a branch is built
        self._capture = None  # set by functional control flow: captures outer tensors
        self._outer_graph = None
        self._variable_store = None  # estflow.core.variable_scope keeps its state here
        self._building_function = False
        self._gradient_override_map: dict[str, str] = {}
        self._colocation_stack: list = []
        self._container = ""  # tf.container: the resource container of stateful ops built inside
        self._unfeedable_tensors: set = set()  # prevent_feeding / prevent_fetching (TF1)
        self._unfetchable_ops: set = set()

    # ---- default graph ------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self):
        """Make this the default graph inside a `with` block."""
        _state.stack.append(self)
        try:
            yield self
        finally:
            _state.stack.pop()

    # ---- inspection -----------------------------------------------------------------
    @property
    def finalized(self) -> bool:
        return self._finalized

    @property
    def version(self) -> int:
        return self._version

    @property
    def graph_def_versions(self):
        return versions_pb2.VersionDef(producer=1087, min_consumer=0)

    def finalize(self) -> None:
        """Make the graph read-only: creating an op afterwards raises RuntimeError."""
        self._finalized = True

    def _unsafe_unfinalize(self) -> None:
        self._finalized = False

    def prevent_feeding(self, tensor) -> None:
        """Mark `tensor` as not feedable: `Session.run` refuses it as a feed_dict key (TF1)."""
        self._unfeedable_tensors.add(tensor)
        self._version += 1  # plans compiled with this feed are dropped

    def is_feedable(self, tensor) -> bool:
        """Whether `tensor` may be fed (True unless `prevent_feeding` marked it)."""
        return tensor not in self._unfeedable_tensors

    def prevent_fetching(self, op) -> None:
        """Mark operation `op` as not fetchable: `Session.run` refuses it and its outputs as fetches (TF1)."""
        self._unfetchable_ops.add(op)
        self._version += 1

    def is_fetchable(self, tensor_or_op) -> bool:
        """Whether a tensor or operation may be fetched (True unless `prevent_fetching` marked its op)."""
        if isinstance(tensor_or_op, Tensor):
            return tensor_or_op._op not in self._unfetchable_ops
        return tensor_or_op not in self._unfetchable_ops

    def get_operations(self) -> list[Operation]:
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings (or similar), not {type(name).__name__}.")
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def _get_operation_by_name_unsafe(self, name: str):
        return self._ops_by_name.get(name)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolve a Tensor, Operation or name (`"x:0"`, `"init"`) to an element of this graph."""
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError(f"Tensor {obj} is not an element of this graph.")
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError(f"Operation {obj} is not an element of this graph.")
            return obj
        if hasattr(obj, "_as_graph_element"):
            return self.as_graph_element(obj._as_graph_element(), allow_tensor, allow_operation)
        if isinstance(obj, str):
            if ":" in obj and allow_tensor:
                op_name, _, index = obj.rpartition(":")
                try:
                    out_n = int(index)
                except ValueError:
                    raise ValueError(f"The name '{obj}' looks a like a Tensor name, but is not a valid one. "
                                     "Tensor names must be of the form \"<op_name>:<output_index>\".") from None
                op = self._ops_by_name.get(op_name)
                if op is None:
                    raise KeyError(f"The name '{obj}' refers to a Tensor which does not exist. "
                                   f"The operation, '{op_name}', does not exist in the graph.")
                if out_n >= len(op._outputs):
                    raise KeyError(f"The name '{obj}' refers to a Tensor which does not exist. The operation, "
                                   f"'{op_name}', exists but only has {len(op._outputs)} outputs.")
                return op._outputs[out_n]
            if ":" in obj:
                raise ValueError(f"Name '{obj}' appears to refer to a Tensor, not a Operation.")
            op = self._ops_by_name.get(obj)
            if op is None:
                raise KeyError(f"The name '{obj}' refers to an Operation not in the graph.")
            if allow_operation:
                return op
            raise ValueError(f"The name '{obj}' appears to refer to an Operation, not a Tensor. "
                             f"Tensor names must be of the form \"<op_name>:<output_index>\".")
        kinds = " or ".join(k for k, ok in (("Tensor", allow_tensor), ("Operation", allow_operation)) if ok)
        raise TypeError(f"Can not convert a {type(obj).__name__} into a {kinds}.")

    # ---- naming ---------------------------------------------------------------------
    def get_name_scope(self) -> str:
        return self._name_stack

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """`name` under the current scope, with `_N` appended if already used (TF1's rule)."""
        if self._name_stack:
            name = self._name_stack + "/" + name
        name_key = name.lower()
        i = self._names_in_use.get(name_key, 0)
        if mark_as_used:
            self._names_in_use[name_key] = i + 1
        if i > 0:
            base_name_key = name_key
            while name_key in self._names_in_use:
                name_key = f"{base_name_key}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[name_key] = 1
            name = f"{name}_{i - 1}"
        return name

    @contextlib.contextmanager
    def name_scope(self, name):
        """Open a name scope; yields the scope string ending in "/" (or "" at the top)."""
        old_stack = self._name_stack
        if name:
            if isinstance(name, str) and name.endswith("/"):
                new_stack = name[:-1]  # an absolute scope, reused as is
            else:
                if not _VALID_SCOPE_NAME.match(name) or (not old_stack and not _VALID_OP_NAME.match(name)):
                    raise ValueError(f"'{name}' is not a valid scope name. Scope names may contain "
                                     "letters, digits and '_', '.', '-', '/'.")
                new_stack = self.unique_name(name)
        else:
            new_stack = ""
        self._name_stack = new_stack
        try:
            yield "" if not new_stack else new_stack + "/"
        finally:
            self._name_stack = old_stack

    # ---- control dependencies, devices, colocation ------------------------------------
    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created inside run only after `control_inputs`; `None` clears the stack."""
        if control_inputs is None:
            saved, self._control_dependencies_stack = self._control_dependencies_stack, []
            saved_ctx, self._cond_context = self._cond_context, None
            try:
                yield
            finally:
                self._control_dependencies_stack = saved
                self._cond_context = saved_ctx
            return
        ops = []
        for c in control_inputs:
            if hasattr(c, "_as_graph_element") and not isinstance(c, (Tensor, Operation)):
                c = c._as_graph_element()
            if isinstance(c, Tensor):
                c = c.op
            elif not isinstance(c, Operation):
                raise TypeError(f"Control input must be Operation or Tensor: {c}")
            if c.graph is not self:
                raise ValueError(f"Control input {c.name} must be from the same graph as ops created here.")
            if c not in ops:
                ops.append(c)
        self._control_dependencies_stack.append(ops)
        try:
            yield
        finally:
            self._control_dependencies_stack.pop()

    def _current_control_dependencies(self, inputs) -> list[Operation]:
        if not self._control_dependencies_stack:
            return []
        input_ops = {t.op for t in inputs}
        out = []
        for ops in self._control_dependencies_stack:
            for op in ops:
                if op not in input_ops and op not in out:
                    out.append(op)
        return out

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        """Place ops created inside on a device ('/cpu:0', '/gpu:1', a tf.DeviceSpec, a function of the op)."""
        if hasattr(device_name_or_function, "to_string"):  # a tf.DeviceSpec
            device_name_or_function = device_name_or_function.to_string()
        self._device_stack.append(device_name_or_function)
        try:
            yield
        finally:
            self._device_stack.pop()

    def _current_device(self, op=None) -> str:
        device = ""
        for spec in self._device_stack:
            if spec is None:
                device = ""
            elif callable(spec):
                device = merge_device(device, spec(op) or "")
            else:
                device = merge_device(device, spec)
        return device

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        """Ops created inside sit with `op` (its device; `_class` in the GraphDef), as TF1's.

        `ignore_existing=True` drops the enclosing colocations for the block; with `op=None`
        it clears colocation altogether (TF1 refuses `op=None` without it).
        """
        if op is None and not ignore_existing:
            raise ValueError("Trying to reset colocation (op is None) but ignore_existing is not True")
        saved = self._colocation_stack
        self._colocation_stack = ([] if ignore_existing else list(saved)) + ([op] if op is not None else [])
        try:
            yield
        finally:
            self._colocation_stack = saved

    @contextlib.contextmanager
    def container(self, container_name):
        """Stateful ops built inside (variables, queues, tables, readers) get `container_name` as their
        `container` attr, unless they name one themselves, as TF1's `Graph.container`.

            with g.container("experiment0"):
                q = tf.FIFOQueue(10, tf.float32, shared_name="q")   # resource "experiment0/q"
        """
        saved = self._container
        self._container = container_name
        try:
            yield self._container
        finally:
            self._container = saved

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        saved = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = saved

    # ---- collections ----------------------------------------------------------------
    def add_to_collection(self, name, value) -> None:
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value) -> None:
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name) -> list:
        return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None) -> list:
        """A copy of collection `name`; with `scope`, only items whose name matches it from the start."""
        items = self._collections.get(name)
        if items is None:
            return []
        if scope is None:
            return list(items)
        pattern = re.compile(scope)
        out = []
        for item in items:
            try:
                if pattern.match(item.name):
                    out.append(item)
            except AttributeError:
                pass  # items without a name never match a scope filter (TF1 behaviour)
        return out

    def get_all_collection_keys(self) -> list:
        return [k for k, v in self._collections.items() if isinstance(v, list)]

    def clear_collection(self, name) -> None:
        self._collections.pop(name, None)

    # ---- building ops ---------------------------------------------------------------
    def _check_not_finalized(self) -> None:
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

    def _create_op_internal(self, op_type, inputs, specs, attrs, name, op_def, control_inputs=()):
        """Add an operation whose outputs' specs are already inferred (see registry.apply_op)."""
        self._check_not_finalized()
        if name and name.endswith("/"):
            name = name[:-1]  # a name_scope string used as an op name: taken verbatim
        else:
            name = self.unique_name(name)
        if name in self._ops_by_name:
            raise ValueError(f"Duplicate node name in graph: '{name}'")
        if not _VALID_OP_NAME.match(name):
            raise ValueError(f"'{name}' is not a valid node name")
        deps = self._current_control_dependencies(inputs)
        for c in control_inputs:
            if c not in deps:
                deps.append(c)
        if self._cond_context is not None:
            deps = self._cond_context.control_inputs_for(inputs, deps)
        if self._container and op_def is not None and op_def.stateful and attrs.get("container") == "":
            attrs = {**attrs, "container": self._container}
        op = Operation(self, name, op_type, inputs, specs, attrs, deps, "", op_def)
        op._device = self._current_device(op)
        if self._colocation_stack:
            op._colocation = self._colocation_stack[-1]
            if not op._device:
                op._device = getattr(op._colocation, "device", "")
        op._ctx = self._cond_context
        if self._gradient_override_map:
            op._gradient_override = self._gradient_override_map.get(op_type)
        op._id = self._last_id
        self._last_id += 1
        self._ops_by_name[name] = op
        self._ops.append(op)
        for t in inputs:
            t._consumers.append(op)
        for c in deps:
            c._control_outputs.append(op)
        self._version += 1
        self._op_versions.append(self._version)  # as_graph_def(from_version=...) selects by it
        return op

    def _rewrite_inputs(self, inputs, op_def=None):
        """Inputs from another graph: captured by a function graph, else a ValueError."""
        out = []
        for t in inputs:
            if t.graph is not self:
                if self._capture is not None:
                    t = self._capture(t)
                else:
                    raise ValueError(f"Tensor {t.name} must be from the same graph as the other inputs "
                                     f"(it belongs to another tf.Graph).")
            out.append(t)
        if self._cond_context is not None:
            out = self._cond_context.rewrite_inputs(out, op_def)
        return out

    def as_graph_def(self, from_version=None, add_shapes=False):
        """This graph as a `GraphDef` protobuf, wire-compatible with TensorFlow's.

        With `from_version`, only the nodes added since `graph.version` had that value (TF1).
        """
        from estflow.core.graph_io import graph_to_graph_def  # graph_io builds on this module

        graph_def = graph_to_graph_def(self, add_shapes=add_shapes)
        if from_version is not None:
            added = {op._name for op, v in zip(self._ops, self._op_versions, strict=True) if v > from_version}
            nodes = [n for n in graph_def.node if n.name in added]
            del graph_def.node[:]
            graph_def.node.extend(nodes)
        return graph_def

    def __repr__(self):
        return f"<estflow.Graph object with {len(self._ops)} ops>"


def get_default_graph() -> Graph:
    """The innermost graph of `as_default()` blocks, else the global default graph."""
    if _state.stack:
        return _state.stack[-1]
    global _global_default_graph
    if _global_default_graph is None:
        _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph() -> None:
    """Clear the global default graph (raises AssertionError inside a `with g.as_default()`)."""
    if _state.stack:
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you need "
                             "a cleared graph, exit the nesting and create a new graph.")
    global _global_default_graph
    _global_default_graph = Graph()
    clear_interactive_session()


def _graph_of(values, graph=None) -> Graph:
    """The graph that `values` (tensors, ops, others) belong to, checking they share one."""
    found = graph
    if found is None and get_default_graph()._building_function:
        return get_default_graph()  # a function graph captures tensors of the graphs enclosing it (TF's rule)
    for v in values:
        g = getattr(v, "graph", None) if isinstance(v, (Tensor, Operation)) else None
        if g is None:
            continue
        if found is None:
            found = g
        elif g is not found:
            inner = found
            while inner is not None and inner is not g:
                inner = inner._outer_graph
            if inner is None:
                raise ValueError(f"{v!r} must be from the same graph as the other inputs.")
    return found if found is not None else get_default_graph()


@contextlib.contextmanager
def name_scope(name, default_name=None, values=None):
    """`tf.name_scope(name, default_name, values)`: open a name scope in the values' graph."""
    n = name if name is not None else default_name
    g = _graph_of(values) if values else get_default_graph()
    if n is None and name is None and default_name is None:
        with g.name_scope(None) as scope:
            yield scope
        return
    with g.name_scope(n) as scope:
        yield scope


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name_or_function):
    return get_default_graph().device(device_name_or_function)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name, value) -> None:
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value) -> None:
    get_default_graph().add_to_collections(names, value)


def get_collection(key, scope=None) -> list:
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key) -> list:
    return get_default_graph().get_collection_ref(key)


def get_name_scope() -> str:
    return get_default_graph().get_name_scope()
