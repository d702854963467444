"""Variable scopes and `get_variable`: TF1's way of naming, creating and sharing variables.

Each graph keeps one variable store (full name -> Variable) and, per thread, the current
`VariableScope` with a count of how often each scope name was opened (for `default_name`
uniquification). Both live in `graph._variable_store`.

    with tf.variable_scope("foo"):
        with tf.variable_scope("bar"):
            v = tf.get_variable("v", [1])        # "foo/bar/v:0"
    with tf.variable_scope("foo", reuse=True):
        with tf.variable_scope("bar"):
            assert tf.get_variable("v", [1]) is v

`variable_scope` also opens a name scope, so other ops get the prefix too ("foo/add");
variable names depend on the variable scope only (`get_variable` resets the name scope).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import os
import threading
import traceback
from collections.abc import Sequence

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, Tensor, _graph_of, get_default_graph, name_scope
from estflow.core.init_ops import GlorotUniform, Zeros
from estflow.core.ops import slicing_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.partitioned_variables import PartitionedVariable, PartitionInfo, SaveSliceInfo, partition_slices
from estflow.core.tensor_shape import as_shape
from estflow.core.tensor_util import to_numpy
from estflow.core.variables import (
    Variable,
    VariableSynchronization,
    validate_synchronization_aggregation_trainable,
)

_ESTFLOW_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _ReuseMode(enum.Enum):
    """Reuse modes beyond True/None; only `AUTO_REUSE` exists."""

    AUTO_REUSE = 1

    def __repr__(self):
        return "tf.AUTO_REUSE"


AUTO_REUSE = _ReuseMode.AUTO_REUSE  # get_variable creates missing variables and returns existing ones


# ---- per-graph state --------------------------------------------------------------------------
class _VariableScopeStore(threading.local):
    """The current scope and how often each scope name was opened, per thread (as in TF1)."""

    def __init__(self):
        self.current_scope = VariableScope(False)
        self.variable_scopes_count: dict[str, int] = {}

    def open_variable_scope(self, scope_name: str) -> None:
        self.variable_scopes_count[scope_name] = self.variable_scopes_count.get(scope_name, 0) + 1

    def close_variable_subscopes(self, scope_name: str | None) -> None:
        for k in self.variable_scopes_count:
            if scope_name is None or k.startswith(scope_name + "/"):
                self.variable_scopes_count[k] = 0

    def variable_scope_count(self, scope_name: str) -> int:
        return self.variable_scopes_count.get(scope_name, 0)


class _GraphVariableState:
    """What a graph keeps for variable scopes: the shared store and the per-thread scope state."""

    def __init__(self):
        self.store = _VariableStore()
        self.scopes = _VariableScopeStore()


def _graph_state(graph=None) -> _GraphVariableState:
    graph = _variables_graph(graph if graph is not None else get_default_graph())
    state = graph._variable_store
    if state is None:
        state = graph._variable_store = _GraphVariableState()
    return state


def _variables_graph(graph):
    """The graph whose variables and variable scopes `graph` uses: a while_loop's cond and body are
    function graphs that stand for the loop's own graph (TF1 builds them in it), so a cell or layer
    called in a loop body finds, and creates, its variables there."""
    while getattr(graph, "shares_variable_scopes", False):
        graph = graph.outer_graph
    return graph


def get_variable_scope_store() -> _VariableScopeStore:
    return _graph_state().scopes


def _get_default_variable_store() -> _VariableStore:
    return _graph_state().store


def get_variable_scope() -> VariableScope:
    """The current `VariableScope` of the default graph (the root scope has name "")."""
    return _graph_state().scopes.current_scope


@contextlib.contextmanager
def _lifted_to(graph):
    """`graph` as the default graph, with its name scope and device as where the loop started."""
    with graph.as_default(), graph.name_scope(None):
        yield


# ---- the store ----------------------------------------------------------------------------------
def _required_arg_count(fn) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    return sum(1 for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def _accepts(fn, arg: str) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == arg or p.kind is p.VAR_KEYWORD for p in params)


def _user_frames() -> traceback.StackSummary:
    """Up to 5 caller frames outside estflow, innermost first (for "Originally defined at")."""
    frames = []
    for frame, lineno in traceback.walk_stack(None):
        if not frame.f_code.co_filename.startswith(_ESTFLOW_DIR):
            frames.append((frame, lineno))
            if len(frames) == 5:
                break
    # Source lines are read only if the message is ever formatted.
    return traceback.StackSummary.extract(iter(frames), lookup_lines=False)


class _VariableStore:
    """All variables made by `get_variable` in one graph, by full name."""

    def __init__(self):
        self._vars: dict[str, Variable] = {}
        self._partitioned: dict[str, PartitionedVariable] = {}
        self._defined_at: dict[str, list] = {}

    def get_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None, reuse=None,
                     trainable=None, collections=None, caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                     aggregation=None):
        """Create or reuse the variable `name` (a full name); see `tf.get_variable`."""
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError(f"Passed a custom_getter which is not callable: {custom_getter}")
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype).base_dtype

        def true_getter(name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None, reuse=None,
                        trainable=None, collections=None, caching_device=None, partitioner=None,
                        validate_shape=True, use_resource=None, constraint=None, synchronization=None,
                        aggregation=None):
            is_scalar = shape is not None and isinstance(shape, Sequence) and not shape
            if partitioner is not None and not is_scalar:
                if not callable(partitioner):
                    raise ValueError(f"Partitioner must be callable, but received: {partitioner}")
                partitions = _partitions(partitioner, name, shape, dtype)
                if any(p > 1 for p in partitions) or name in self._partitioned:
                    return self._get_partitioned_variable(
                        name, partitions, shape, dtype, initializer, regularizer, reuse, trainable, collections,
                        caching_device, validate_shape, constraint)
            if f"{name}/part_0" in self._vars:
                raise ValueError(f"No partitioner was provided, but a partitioned version of the variable was "
                                 f"found: {name}/part_0. Perhaps a variable of the same name was already created "
                                 f"with partitioning?")
            synchronization, _, resolved = validate_synchronization_aggregation_trainable(
                synchronization, aggregation, trainable, name)
            if synchronization == VariableSynchronization.ON_READ and trainable:
                raise ValueError("Synchronization value can be set to VariableSynchronization.ON_READ only for "
                                 "non-trainable variables. You have specified trainable=True and "
                                 "synchronization=VariableSynchronization.ON_READ.")
            trainable = resolved
            return self._get_single_variable(name, shape, dtype, initializer, regularizer, reuse, trainable,
                                             collections, caching_device, validate_shape, constraint)

        kwargs = {"name": name, "shape": shape, "dtype": dtype, "initializer": initializer,
                  "regularizer": regularizer, "reuse": reuse, "trainable": trainable, "collections": collections,
                  "caching_device": caching_device, "partitioner": partitioner, "validate_shape": validate_shape,
                  "use_resource": use_resource, "synchronization": synchronization, "aggregation": aggregation}
        if custom_getter is None:
            return true_getter(constraint=constraint, **kwargs)
        if _accepts(custom_getter, "constraint"):  # older custom getters predate `constraint`
            kwargs["constraint"] = constraint
        return custom_getter(getter=true_getter, **kwargs)

    def _get_partitioned_variable(self, name, partitions, shape, dtype, initializer, regularizer, reuse, trainable,
                                  collections, caching_device, validate_shape, constraint) -> PartitionedVariable:
        """The PartitionedVariable `name`: parts `name/part_<i>` made (or reused) with TF1's split."""
        shape = as_shape(shape)
        dtype = dtypes.as_dtype(dtype if dtype is not None else dtypes.float32)
        found = self._partitioned.get(name)
        if found is not None:
            if reuse is False:
                raise ValueError(f"Partitioned variable with name {name} already exists. Did you mean to set "
                                 f"reuse=True or reuse=tf.AUTO_REUSE in VarScope?")
            if not shape.is_compatible_with(found.get_shape()):
                raise ValueError(f"Trying to reuse partitioned variable {name}, but specified shape {_fmt(shape)} "
                                 f"and found shape {_fmt(found.get_shape())}.")
            if found._get_partitions() != list(partitions):
                raise ValueError(f"Trying to reuse partitioned variable {name}, but specified partitions "
                                 f"{list(partitions)} and found partitions {found._get_partitions()}.")
            return found
        if reuse is True:
            raise ValueError(f"PartitionedVariable {name} does not exist, or was not created with "
                             f"tf.get_variable(). Did you mean to set reuse=False or reuse=tf.AUTO_REUSE in VarScope?")
        if name in self._vars:
            raise ValueError(f"A partitioner was provided, but an unpartitioned version of the variable was found: "
                             f"{name}. Perhaps a variable of the same name was already created without "
                             f"partitioning?")
        if initializer is None:
            initializer = _default_initializer(name, dtype)
        elif inspect.isclass(initializer):
            initializer = initializer()
        full = shape.as_list()
        parts = []
        for i, (offset, part_shape) in enumerate(partition_slices(full, partitions)):
            part_init = _part_initializer(initializer, PartitionInfo(full, offset), offset, part_shape)
            v = self._get_single_variable(f"{name}/part_{i}", part_shape if callable(part_init) else None, dtype,
                                          part_init, regularizer, reuse, trainable, collections, caching_device,
                                          validate_shape, constraint)
            v._save_slice_info = SaveSliceInfo(name, full, offset, part_shape)
            parts.append(v)
        partitioned = self._partitioned[name] = PartitionedVariable(name, shape, dtype, parts, partitions)
        return partitioned

    def _get_single_variable(self, name, shape, dtype, initializer, regularizer, reuse, trainable, collections,
                             caching_device, validate_shape, constraint):
        initializing_from_value = initializer is not None and not callable(initializer)
        if shape is not None and initializing_from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = dtypes.as_dtype(dtype if dtype is not None else dtypes.float32)
        shape = as_shape(shape)

        if name in self._vars:
            found = self._vars[name]
            if reuse is False:
                message = (f"Variable {name} already exists, disallowed. Did you mean to set reuse=True or "
                           f"reuse=tf.AUTO_REUSE in VarScope?")
                frames = self._defined_at.get(name)
                if frames:
                    message += " Originally defined at:\n\n" + "".join(traceback.format_list(frames))
                raise ValueError(message)
            if not shape.is_compatible_with(found.get_shape()):
                raise ValueError(f"Trying to share variable {name}, but specified shape {_fmt(shape)} and found "
                                 f"shape {_fmt(found.get_shape())}.")
            if not dtype.is_compatible_with(found.dtype):
                raise ValueError(f"Trying to share variable {name}, but specified dtype {dtype.name} and found "
                                 f"dtype {found.dtype.name}.")
            return found

        if reuse is True:
            raise ValueError(f"Variable {name} does not exist, or was not created with tf.get_variable(). Did you "
                             f"mean to set reuse=tf.AUTO_REUSE in VarScope?")

        if initializer is None:
            initializer = _default_initializer(name, dtype)
        if initializing_from_value:
            init_val, variable_dtype = initializer, None
        else:
            if inspect.isclass(initializer):
                initializer = initializer()
            if shape.is_fully_defined():
                dims = shape.as_list()
                if _accepts(initializer, "partition_info"):
                    init_val = functools.partial(initializer, dims, dtype=dtype, partition_info=None)
                else:
                    init_val = functools.partial(initializer, dims, dtype=dtype)
                variable_dtype = dtype
            elif _required_arg_count(initializer) == 0:
                init_val, variable_dtype = initializer, None
            else:
                raise ValueError(f"Shape of a new variable ({name}) must be fully defined, but instead was "
                                 f"{_fmt(shape)}. Pass a fully defined `shape`, or an initializer that is a "
                                 f"tensor or a callable with no arguments.")

        graph = get_default_graph()
        lifted = _variables_graph(graph)
        if lifted is not graph:  # in a loop body: the variable and its initializer go in the loop's graph
            graph = lifted
            creating = _lifted_to(graph)
        else:
            creating = contextlib.nullcontext()
        with creating, graph.control_dependencies(None):  # initializers never wait on the caller's dependencies
            v = Variable(initial_value=init_val, name=name, trainable=trainable, collections=collections,
                         caching_device=caching_device, dtype=variable_dtype, validate_shape=validate_shape,
                         constraint=constraint)
        self._vars[name] = v
        self._defined_at[name] = _user_frames()

        if regularizer:
            with (_lifted_to(graph) if graph is not get_default_graph() else contextlib.nullcontext()), \
                    graph.colocate_with(v.op), name_scope(name + "/Regularizer/"):
                loss = regularizer(v)
            if loss is not None:
                graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
        return v


def _fmt(shape) -> str:
    dims = shape.as_tuple()
    if dims is None:
        return "<unknown>"
    return "(" + ", ".join("?" if d is None else str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _default_initializer(name, dtype):
    """`glorot_uniform` for floats, zeros for ints, bools and strings (TF1's defaults)."""
    if dtype.is_floating:
        return GlorotUniform()
    if dtype.is_integer or dtype.is_unsigned or dtype.is_bool or dtype == dtypes.string:
        return Zeros()
    raise ValueError(f"An initializer for variable {name} of {dtype.name} is required")


def _partitions(partitioner, name, shape, dtype) -> list[int]:
    """The partitioner's list for a new variable, checked as TF1 checks it."""
    shape = as_shape(shape)
    if not shape.is_fully_defined():
        raise ValueError(f"Shape of a new partitioned variable ({name}) must be fully defined, but instead was "
                         f"{shape}.")
    if shape.ndims < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1, shape: {shape}")
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, Sequence) or len(slicing) != shape.ndims:
        raise ValueError(f"Partitioner returned a partition list that does not match the Variable's rank: "
                         f"{slicing} vs. {shape}")
    if any(int(p) < 1 for p in slicing):
        raise ValueError(f"Partitioner returned zero partitions for some axes: {slicing}")
    return [int(p) for p in slicing]


def _part_initializer(initializer, partition_info, offset, part_shape):
    """The initializer of one part: TF's, told the part's `partition_info`, or the part's slice of a value."""
    if not callable(initializer):  # a value for the full variable: each part takes its slice
        return slicing_ops.slice(convert_to_tensor(initializer), offset, part_shape)
    if not _accepts(initializer, "partition_info"):
        return initializer

    def part_initializer(shape, dtype=None, partition_info=None):
        del partition_info  # the part's own, given below
        return initializer(shape, dtype=dtype, partition_info=info)

    info = partition_info
    return part_initializer


# ---- scopes --------------------------------------------------------------------------------------
class VariableScope:
    """The defaults `get_variable` uses inside a `variable_scope`: name prefix, reuse, initializer, ...

    Usually obtained from `with tf.variable_scope(...) as scope` or `tf.get_variable_scope()`.
    """

    def __init__(self, reuse, name="", initializer=None, regularizer=None, caching_device=None, partitioner=None,
                 custom_getter=None, name_scope="", dtype=dtypes.float32, use_resource=None, constraint=None):
        self._name = name
        self._initializer = initializer
        self._regularizer = regularizer
        self._reuse = reuse
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    dtype = property(lambda self: self._dtype)
    use_resource = property(lambda self: self._use_resource)
    regularizer = property(lambda self: self._regularizer)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    custom_getter = property(lambda self: self._custom_getter)
    constraint = property(lambda self: self._constraint)

    def reuse_variables(self) -> None:
        """From now on, `get_variable` in this scope returns existing variables."""
        self._reuse = True

    def set_initializer(self, initializer) -> None:
        self._initializer = initializer

    def set_dtype(self, dtype) -> None:
        self._dtype = dtype

    def set_use_resource(self, use_resource) -> None:
        self._use_resource = use_resource

    def set_regularizer(self, regularizer) -> None:
        self._regularizer = regularizer

    def set_caching_device(self, caching_device) -> None:
        self._caching_device = caching_device

    def set_partitioner(self, partitioner) -> None:
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter) -> None:
        self._custom_getter = custom_getter

    def get_collection(self, name) -> list:
        """Items of collection `name` whose names start with this scope's name."""
        return get_default_graph().get_collection(name, self._name + "/" if self._name else "")

    def trainable_variables(self) -> list:
        return self.get_collection(GraphKeys.TRAINABLE_VARIABLES)

    def global_variables(self) -> list:
        return self.get_collection(GraphKeys.GLOBAL_VARIABLES)

    def local_variables(self) -> list:
        return self.get_collection(GraphKeys.LOCAL_VARIABLES)

    def get_variable(self, var_store, name, shape=None, dtype=None, initializer=None, regularizer=None, reuse=None,
                     trainable=None, collections=None, caching_device=None, partitioner=None, validate_shape=True,
                     use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                     aggregation=None):
        """`var_store.get_variable` with this scope's name prefix and defaults filled in."""
        if regularizer is None:
            regularizer = self._regularizer
        if caching_device is None:
            caching_device = self._caching_device
        if partitioner is None:
            partitioner = self._partitioner
        if custom_getter is None:
            custom_getter = self._custom_getter
        if reuse is None:
            reuse = self._reuse
        if use_resource is None:
            use_resource = self._use_resource
        full_name = f"{self._name}/{name}" if self._name else name
        # Variable names depend on the variable scope only: leave the name scope meanwhile.
        with name_scope(None):
            if dtype is not None and initializer is not None and not callable(initializer):
                init_dtype = _value_dtype(initializer)
                if init_dtype != dtypes.as_dtype(dtype).base_dtype:
                    raise ValueError(f"Initializer type '{init_dtype.name}' and explicit dtype "
                                     f"'{dtypes.as_dtype(dtype).name}' don't match.")
            if initializer is None:
                initializer = self._initializer
            if constraint is None:
                constraint = self._constraint
            if dtype is None:
                dtype = self._dtype
            return var_store.get_variable(
                full_name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer, reuse=reuse,
                trainable=trainable, collections=collections, caching_device=caching_device,
                partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource,
                custom_getter=custom_getter, constraint=constraint, synchronization=synchronization,
                aggregation=aggregation)

    def __repr__(self):
        return f"<VariableScope name={self._name!r} reuse={self._reuse!r}>"


def _value_dtype(value) -> dtypes.DType:
    """The dtype `value` converts to, without adding ops to the graph."""
    if isinstance(value, (Tensor, Variable)):
        return value.dtype
    arr = to_numpy(value)
    return dtypes.string if arr.dtype == object else dtypes.as_dtype(arr.dtype)


def _maybe_wrap_custom_getter(custom_getter, old_getter):
    """A getter calling `custom_getter` with `old_getter` (then the real getter) underneath."""
    if old_getter is None:
        return custom_getter

    def wrapped_custom_getter(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)

    return wrapped_custom_getter


def _get_unique_variable_scope(prefix: str) -> str:
    """`prefix`, or `prefix_N` when a scope of that name was already opened here."""
    store = get_variable_scope_store()
    current = store.current_scope
    name = f"{current.name}/{prefix}" if current.name else prefix
    if store.variable_scope_count(name) == 0:
        return prefix
    idx = 1
    while store.variable_scope_count(f"{name}_{idx}") > 0:
        idx += 1
    return f"{prefix}_{idx}"


@contextlib.contextmanager
def _pure_variable_scope(name_or_scope, reuse=None, initializer=None, regularizer=None, caching_device=None,
                         partitioner=None, custom_getter=None, old_name_scope=None, dtype=dtypes.float32,
                         use_resource=None, constraint=None):
    """Enter a variable scope without touching the name scope."""
    store = get_variable_scope_store()
    old = store.current_scope
    if isinstance(name_or_scope, VariableScope):
        # Jumping to a captured scope: copy it, with the overrides given here.
        new_name = name_or_scope.name
        store.open_variable_scope(new_name)
        old_subscopes = dict(store.variable_scopes_count)
        source = name_or_scope
        scope = VariableScope(reuse if reuse else name_or_scope.reuse, name=new_name,
                              initializer=source.initializer, regularizer=source.regularizer,
                              caching_device=source.caching_device, partitioner=source.partitioner,
                              dtype=source.dtype, custom_getter=source.custom_getter,
                              name_scope=source.original_name_scope, use_resource=source.use_resource,
                              constraint=constraint)
    else:
        # Prolonging the current scope: sub-scopes inherit reuse and the defaults.
        new_name = f"{old.name}/{name_or_scope}" if old.name else name_or_scope
        source = old
        scope = VariableScope(reuse or old.reuse, name=new_name, initializer=old.initializer,
                              regularizer=old.regularizer, caching_device=old.caching_device,
                              partitioner=old.partitioner, dtype=old.dtype, use_resource=old.use_resource,
                              custom_getter=old.custom_getter,
                              name_scope=name_or_scope if old_name_scope is None else old_name_scope,
                              constraint=constraint)
        old_subscopes = None
    if initializer is not None:
        scope.set_initializer(initializer)
    if regularizer is not None:
        scope.set_regularizer(regularizer)
    if caching_device is not None:
        scope.set_caching_device(caching_device)
    if partitioner is not None:
        scope.set_partitioner(partitioner)
    if custom_getter is not None:
        scope.set_custom_getter(_maybe_wrap_custom_getter(custom_getter, source.custom_getter))
    if dtype is not None:
        scope.set_dtype(dtype)
    if use_resource is not None:
        scope.set_use_resource(use_resource)
    if old_subscopes is None:
        store.open_variable_scope(new_name)
    store.current_scope = scope
    failed = False
    try:
        yield scope
    except BaseException:
        failed = True
        raise
    finally:
        if not failed and store.current_scope is not scope:
            raise RuntimeError("Improper nesting of variable_scope.")
        if old_subscopes is not None:
            store.variable_scopes_count = old_subscopes  # leaving a jumped-to scope: restore the counts
        else:
            store.close_variable_subscopes(new_name)
        store.current_scope = old


class variable_scope:  # noqa: N801 - TF1's public name
    """Open a variable scope (and a name scope): prefixes, reuse and defaults for `get_variable`.

    `name_or_scope` is a string or a captured `VariableScope`; with `None`, `default_name` is
    made unique (`dense`, `dense_1`, ...). `reuse=True` makes `get_variable` return existing
    variables (and fail on missing ones), `tf.AUTO_REUSE` creates or returns; `None`
    inherits the parent scope's reuse.

        with tf.variable_scope("layer1", initializer=tf.zeros_initializer()) as scope:
            w = tf.get_variable("w", [3, 4])       # "layer1/w:0"
            scope.reuse_variables()
            assert tf.get_variable("w", [3, 4]) is w
    """

    def __init__(self, name_or_scope, default_name=None, values=None, initializer=None, regularizer=None,
                 caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                 use_resource=None, constraint=None, auxiliary_name_scope=True):
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._values = values
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._reuse = reuse
        self._dtype = dtype
        self._use_resource = use_resource
        self._constraint = constraint
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if reuse is False:  # TF1 >= 1.1: False means "inherit", like None
            self._reuse = None
        if not (self._reuse is True or self._reuse is None or self._reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError(f"The auxiliary_name_scope must be `True` or `False`, while get {auxiliary_name_scope}")
        self._auxiliary_name_scope = auxiliary_name_scope
        self._graph = _graph_of(values) if values else get_default_graph()
        self._exit_stacks: list[contextlib.ExitStack] = []

    def __enter__(self) -> VariableScope:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(self._graph.as_default())
            scope = self._enter(stack)
        except BaseException:
            stack.close()
            raise
        self._exit_stacks.append(stack)
        return scope

    def __exit__(self, exc_type, exc, tb):
        return self._exit_stacks.pop().__exit__(exc_type, exc, tb)

    def _pure_scope(self, name_or_scope, reuse, old_name_scope=None):
        return _pure_variable_scope(
            name_or_scope, reuse=reuse, initializer=self._initializer, regularizer=self._regularizer,
            caching_device=self._caching_device, partitioner=self._partitioner, custom_getter=self._custom_getter,
            old_name_scope=old_name_scope, dtype=self._dtype, use_resource=self._use_resource,
            constraint=self._constraint)

    def _enter(self, stack: contextlib.ExitStack) -> VariableScope:
        graph = self._graph
        if self._auxiliary_name_scope:
            reentered = None  # open a new name scope below
        else:
            current = graph.get_name_scope()
            reentered = current + "/" if current else ""  # stay in the current name scope
        scope = self._name_or_scope
        if scope is not None:
            if not isinstance(scope, (VariableScope, str)):
                raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
            scope_name = scope if isinstance(scope, str) else scope.name.split("/")[-1]
            if not scope_name and reentered is None:
                return stack.enter_context(self._pure_scope(scope, self._reuse))  # the root scope
            opened = stack.enter_context(graph.name_scope(reentered if reentered is not None else scope_name))
            old_name_scope = opened if isinstance(scope, str) else scope.original_name_scope
            return stack.enter_context(self._pure_scope(scope, self._reuse, old_name_scope))
        if self._reuse:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        opened = stack.enter_context(graph.name_scope(reentered if reentered is not None else self._default_name))
        unique_name = _get_unique_variable_scope(self._default_name)
        return stack.enter_context(self._pure_scope(unique_name, None, opened))


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None, collections=None,
                 caching_device=None, partitioner=None, validate_shape=True, use_resource=None, custom_getter=None,
                 constraint=None, synchronization=None, aggregation=None) -> Variable:
    """Get an existing variable or create a new one, named by the current variable scope.

    New variables get `initializer` (an initializer object or class, a callable, or a value
    with `shape=None`), else glorot_uniform for floats and zeros for ints, bools and strings.

        with tf.variable_scope("dense", reuse=tf.AUTO_REUSE):
            w = tf.get_variable("kernel", [4, 2])                  # "dense/kernel:0"
            b = tf.get_variable("bias", initializer=[0.0, 0.0])   # shape from the value

    `use_resource`, `caching_device`, `synchronization` and `aggregation` mean what they
    mean for `tf.Variable` (see there). A `partitioner` must leave the variable in one piece:
    estflow has no partitioned variables (NotImplementedError for a real split).

    Raises:
        ValueError: creating a variable that exists (without reuse), reusing one that does not,
            or reusing with an incompatible shape or dtype.
    """
    return get_variable_scope().get_variable(
        _get_default_variable_store(), name, shape=shape, dtype=dtype, initializer=initializer,
        regularizer=regularizer, trainable=trainable, collections=collections, caching_device=caching_device,
        partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource,
        custom_getter=custom_getter, constraint=constraint, synchronization=synchronization,
        aggregation=aggregation)


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=False,
                       collections=None, caching_device=None, partitioner=None, validate_shape=True,
                       use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                       aggregation=None) -> Variable:
    """`get_variable` for a non-trainable variable in `GraphKeys.LOCAL_VARIABLES`.

    `trainable` is ignored, as in TF1: a local variable is never trainable.
    """
    collections = list(collections or []) + [GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                        trainable=False, collections=collections, caching_device=caching_device,
                        partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource,
                        custom_getter=custom_getter, constraint=constraint, synchronization=synchronization,
                        aggregation=aggregation)


def no_regularizer(_):
    """A regularizer that adds no loss (to switch off a scope's default regularizer)."""
    return None
