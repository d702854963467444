"""Variables: TF1's `tf.Variable` over `VariableV2` ops whose values live in the session.

Each session keeps its own values (`session._variables`, keyed by the VariableV2 op's
name), so two sessions on one graph never share state. Updates happen in place on
arrays the session owns; `Session.run` copies any fetched value that may alias them.
"""

from __future__ import annotations

import enum
import inspect
import threading

import numpy as np

from estflow.core import devices, dtypes, errors, row_rules
from estflow.core.default_session import get_default_session
from estflow.core.graph import GraphKeys, Operation, Tensor, get_default_graph, name_scope
from estflow.core.ops import scatter_kernels
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.control_flow_ops import cond, group, no_op
from estflow.core.protos import variable_pb2
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, broadcast_shapes, register
from estflow.core.tensor_conversion_registry import register_tensor_conversion_function
from estflow.core.tensor_shape import TensorShape, as_shape


def _uninitialized(name):
    return errors.FailedPreconditionError(None, None, f"Attempting to use uninitialized value {name}")


def _variable_name(op: Operation) -> str:
    return op._inputs[0]._op._name


def _on_device(ctx):
    """A function bringing a stored value to the op's device (a no-op when it is already there)."""
    kind, index = ctx.device_kind
    if kind == "GPU":
        cp = devices.cupy_module()

        def to_gpu(v):
            with cp.cuda.Device(index):
                return cp.asarray(v)

        return to_gpu
    return lambda v: v if type(v) is np.ndarray else devices.to_numpy(v)


def _stored(store, name, here):
    """The variable's value on this op's device; moved there (and kept there) if it lives elsewhere."""
    try:
        v = store[name]
    except KeyError:
        raise _uninitialized(name) from None
    moved = here(v)
    if moved is not v:
        store[name] = moved
    return moved


def _make_variable_read(op, ctx):
    store, name, here = ctx.variables, op._name, _on_device(ctx)
    if ctx.device_kind[0] != "GPU":
        def read_host():  # a host array is returned as stored: one lookup (the usual case)
            v = store.get(name)
            return v if v.__class__ is np.ndarray else _stored(store, name, here)

        return read_host
    return lambda: _stored(store, name, here)


register(OpDef(
    "VariableV2",
    infer=lambda *, shape, dtype, container, shared_name: TensorSpec(shape, dtype),
    make_kernel=_make_variable_read,
    attrs={"shape": REQUIRED, "dtype": REQUIRED, "container": "", "shared_name": ""},
    stateful=True,
    differentiable=False,
    output_names=("ref: Ref(dtype)",),
    attr_types={"shape": "shape", "dtype": "type", "container": "string", "shared_name": "string"},
    row_wise=row_rules.invariant,
    is_variable=True,
))


def _make_assign(op, ctx):
    store, name = ctx.variables, _variable_name(op)
    np_dtype = op._inputs[0].dtype.as_numpy_dtype
    static = op._inputs[0].shape
    validate = op._attrs["validate_shape"]
    source = op._inputs[1]
    # NOTE: a restored tensor is a fresh array nothing else can see, so the variable adopts it;
    # any other value (a feed, a constant, another op's output) is copied so that in-place
    # updates of the variable never show through elsewhere.
    adopt = source._op._type == "RestoreV2" and len(source._consumers) == 1 and ctx.device_kind[0] == "CPU"

    def assign(value):
        cur = store.get(name)
        if adopt and type(value) is np.ndarray and value.dtype == np_dtype and value.flags.writeable:
            arr = value
        elif (cur is not None and getattr(value, "shape", None) == cur.shape and cur.dtype == np_dtype
                and type(value) is type(cur) and cur.flags.writeable):
            # In place, as TF's Assign reuses the buffer: values aliasing the variable (its `read`
            # snapshot) that a later op consumes after this write see it, as with every other update.
            cur[...] = value
            return cur
        elif ctx.device_kind[0] == "CPU":
            arr = np.array(value, dtype=np_dtype, copy=True)
        else:
            arr = value.copy()
        if validate and not static.is_compatible_with(arr.shape):
            raise errors.InvalidArgumentError(
                None, None, f"Assign requires shapes of both tensors to match. lhs shape= {static} rhs shape= "
                            f"{TensorShape(arr.shape)}")
        store[name] = arr
        return arr

    return assign


def _shape_list(shape) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in shape.as_tuple()) + "]"


def _infer_assign(ref, value, *, validate_shape, use_locking):
    if validate_shape and not ref.shape.is_compatible_with(value.shape):
        if ref.shape.ndims != value.shape.ndims:
            raise ValueError(f"Shapes must be equal rank, but are {ref.shape.ndims} and {value.shape.ndims}")
        for i, (a, b) in enumerate(zip(ref.shape.as_tuple(), value.shape.as_tuple(), strict=True)):
            if a is not None and b is not None and a != b:
                raise ValueError(f"Dimension {i} in both shapes must be equal, but are {a} and {b}. Shapes are "
                                 f"{_shape_list(ref.shape)} and {_shape_list(value.shape)}.")
    return TensorSpec(value.shape if not validate_shape else ref.shape.merge_with(value.shape), ref.dtype)


register(OpDef(
    "Assign",
    infer=_infer_assign,
    make_kernel=_make_assign,
    attrs={"validate_shape": True, "use_locking": True},
    same_dtype="all",
    ref_inputs=(0,),
    differentiable=False,
    input_names=("ref: Ref(T)", "value: T"), output_names=("output_ref: Ref(T)",),
    attr_types={"T": "type", "validate_shape": "bool", "use_locking": "bool"},
    writes_refs=True,
))


def _make_update(ufunc_name):
    def make(op, ctx):
        store, name, here = ctx.variables, _variable_name(op), _on_device(ctx)
        fn = getattr(ctx.xp, ufunc_name)

        def update(value):
            cur = _stored(store, name, here)
            fn(cur, value, out=cur)
            return cur

        return update

    return make


def _infer_update(ref, value, *, use_locking):
    broadcast_shapes(ref.shape, value.shape)
    return TensorSpec(ref.shape, ref.dtype)


for _name, _ufunc in (("AssignAdd", "add"), ("AssignSub", "subtract")):
    register(OpDef(_name, infer=_infer_update, make_kernel=_make_update(_ufunc), attrs={"use_locking": False},
                   same_dtype="all", ref_inputs=(0,), differentiable=False,
                   input_names=("ref: Ref(T)", "value: T"), output_names=("output_ref: Ref(T)",),
                   attr_types={"T": "type", "use_locking": "bool"}, writes_refs=True))


_COUNT_UP_TO_LOCK = threading.Lock()  # CountUpTo is atomic across the threads running it (QueueRunners)


def _make_count_up_to(op, ctx):
    store, name, limit = ctx.variables, _variable_name(op), int(op._attrs["limit"])

    def count_up_to():
        with _COUNT_UP_TO_LOCK:
            cur = _stored(store, name, lambda v: v)
            before = cur.copy()
            if int(before) >= limit:
                raise errors.OutOfRangeError(None, None, f"Reached limit of {limit}")
            cur += 1
        return before

    return count_up_to


def _infer_count_up_to(ref, *, limit):
    if ref.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value for attr 'T' of {ref.dtype.name} is not in the list of allowed values: int32, int64")
    if ref.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {ref.shape.ndims}")
    return TensorSpec([], ref.dtype)


register(OpDef("CountUpTo", infer=_infer_count_up_to, make_kernel=_make_count_up_to, attrs={"limit": REQUIRED},
               ref_inputs=(0,), differentiable=False, cpu_only=True,
               input_names=("ref: Ref(T)",), output_names=("output: T",),
               attr_types={"limit": "int", "T": "type"}, writes_refs=True))


def _make_scatter(kind):
    def make(op, ctx):
        store, name, here = ctx.variables, _variable_name(op), _on_device(ctx)
        xp = ctx.xp

        def scatter(indices, updates):
            cur = _stored(store, name, here)
            if indices.size and (indices.min() < 0 or indices.max() >= cur.shape[0]):
                flat = indices.reshape(-1)
                pos = int(((flat < 0) | (flat >= cur.shape[0])).argmax())
                raise errors.InvalidArgumentError(
                    None, None, f"indices[{pos}] = {int(flat[pos])} is not in [0, {cur.shape[0]})")
            updates = xp.broadcast_to(updates, indices.shape + cur.shape[1:])
            # scatter_kernels: only the scatters cupy has, exact for every dtype
            if kind == "update":
                cur[indices] = updates
            elif kind == "add":
                scatter_kernels.scatter_add(xp, cur, indices, updates)
            elif kind == "sub":
                scatter_kernels.scatter_sub(xp, cur, indices, updates)
            elif kind == "mul":
                scatter_kernels.scatter_ufunc(xp, cur, indices, updates, "multiply")
            elif kind == "div" and cur.dtype.kind in "iu":  # C++'s truncating integer division, as TF
                scatter_kernels.scatter_apply(xp, cur, indices, updates, lambda x, y: (x - xp.fmod(x, y)) // y)
            elif kind == "div":
                scatter_kernels.scatter_ufunc(xp, cur, indices, updates, "true_divide")
            else:
                scatter_kernels.scatter_extreme(xp, cur, indices, updates, "maximum" if kind == "max" else "minimum")
            return cur

        return scatter

    return make


for _name, _kind in (("ScatterUpdate", "update"), ("ScatterAdd", "add"), ("ScatterSub", "sub"),
                     ("ScatterMul", "mul"), ("ScatterDiv", "div"), ("ScatterMax", "max"), ("ScatterMin", "min")):
    register(OpDef(
        _name,
        infer=lambda ref, indices, updates, *, use_locking: TensorSpec(ref.shape, ref.dtype),
        make_kernel=_make_scatter(_kind),
        attrs={"use_locking": _kind == "update"},
        same_dtype=(0, 2), ref_inputs=(0,),
        differentiable=False,
        input_names=("ref: Ref(T)", "indices: Tindices", "updates: T"), output_names=("output_ref: Ref(T)",),
        attr_types={"T": "type", "Tindices": "type", "use_locking": "bool"},
        writes_refs=True,
    ))


def _make_ref_identity(op, ctx):
    store, name, here = ctx.variables, _variable_name(op), _on_device(ctx)
    return lambda: _stored(store, name, here).copy()  # a snapshot: later updates must not show through


# NOTE: TF's RefIdentity forwards the ref; estflow reads the value where TF's consumer would
# dereference it. Its ref input keeps the variable op itself out of the plan, so a read inside
# an untaken tf.cond branch never touches an uninitialized variable (Variable.initialized_value).
register(OpDef(
    "RefIdentity",
    infer=lambda ref: TensorSpec(ref.shape, ref.dtype),
    make_kernel=_make_ref_identity,
    ref_inputs=(0,),
    differentiable=False,
    input_names=("input: Ref(T)",), output_names=("output: Ref(T)",), attr_types={"T": "type"},
    forwards_ref=True,
))


def _make_is_initialized(op, ctx):
    store, name = ctx.variables, _variable_name(op)
    return lambda: np.bool_(name in store)


register(OpDef(
    "IsVariableInitialized",
    infer=lambda ref, *, dtype: TensorSpec((), dtypes.bool),
    make_kernel=_make_is_initialized,
    attrs={"dtype": REQUIRED},
    ref_inputs=(0,),
    differentiable=False,
    input_names=("ref: Ref(dtype)",), output_names=("is_initialized: bool",), attr_types={"dtype": "type"},
))


class VariableSynchronization(enum.Enum):
    """When a distributed variable is synchronized, as `tf.VariableSynchronization`.

    estflow runs one process, so the mode decides only what TF1 decides without a
    distribution strategy: an `ON_READ` variable is not trainable by default.
    """

    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    """How replica updates of a distributed variable combine, as `tf.VariableAggregation` (one replica here)."""

    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # TF1's older name: an alias of ONLY_FIRST_REPLICA


def validate_synchronization_aggregation_trainable(synchronization, aggregation, trainable, name):
    """TF1's checks of `synchronization` and `aggregation`; `trainable` defaults to False for ON_READ."""
    try:
        aggregation = VariableAggregation(aggregation if aggregation is not None else VariableAggregation.NONE)
    except ValueError:
        raise ValueError(f"Invalid variable aggregation mode: {aggregation} for variable: {name}") from None
    try:
        synchronization = VariableSynchronization(
            synchronization if synchronization is not None else VariableSynchronization.AUTO)
    except ValueError:
        raise ValueError(f"Invalid variable synchronization mode: {synchronization} for variable: {name}") from None
    if trainable is None:
        trainable = synchronization != VariableSynchronization.ON_READ
    return synchronization, aggregation, trainable


class _VariableMeta(type):
    """Routes `tf.Variable(...)` through the creators of enclosing `tf.variable_creator_scope`s (TF1's
    VariableMetaclass): each creator gets the next one and the constructor's arguments as keywords."""

    def __call__(cls, *args, **kwargs):
        stack = getattr(get_default_graph(), "_variable_creator_stack", None)
        if not stack or cls is not Variable or kwargs.get("variable_def") is not None:
            return super().__call__(*args, **kwargs)
        kwargs = {**_VARIABLE_DEFAULTS, **dict(zip(_VARIABLE_ARGS, args)), **kwargs}  # every argument, as TF passes

        def create(**final):
            return super(_VariableMeta, cls).__call__(**final)

        for creator in stack:  # outermost first: the innermost creator is called first
            create = _chained(creator, create)
        return create(**kwargs)


def _chained(creator, next_creator):
    return lambda **kwargs: creator(next_creator, **kwargs)


_VARIABLE_ARGS = ("initial_value", "trainable", "collections", "validate_shape", "caching_device", "name",
                  "variable_def", "dtype", "expected_shape", "import_scope", "constraint", "use_resource",
                  "synchronization", "aggregation", "shape")


class Variable(metaclass=_VariableMeta):
    """A TF1 variable: a VariableV2 op with an initializer and a `read` snapshot.

        W = tf.Variable(tf.zeros([3, 1]), name="W")
        sess.run(W.initializer); sess.run(W.assign_add(delta))

    estflow has one kind of variable: `use_resource=True` (TF1's ResourceVariable) builds
    the same VariableV2 graph, whose reads within a step follow estflow's rule (reads that do
    not depend on a write run before it). `caching_device` places the `read` snapshot, as in
    TF1 (by default it sits with the variable). `expected_shape` is ignored, as in TF1
    ("Deprecated. Ignored."). `synchronization` and `aggregation` are checked as TF1 checks
    them and matter only under a distribution strategy, except that `ON_READ` makes the
    variable non-trainable by default.
    """

    def __init__(self, initial_value=None, trainable=None, collections=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None, expected_shape=None,
                 import_scope=None, constraint=None, use_resource=None, synchronization=None,
                 aggregation=None, shape=None):
        if variable_def is not None:
            self._init_from_proto(variable_def, import_scope)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if constraint is not None and not callable(constraint):
            raise ValueError("The `constraint` argument must be a callable.")
        _, _, trainable = validate_synchronization_aggregation_trainable(synchronization, aggregation, trainable,
                                                                         name)
        if collections is None:
            collections = [GraphKeys.GLOBAL_VARIABLES]
        collections = list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        self._trainable = trainable
        self._constraint = constraint
        self._save_slice_info = None
        init_from_fn = callable(initial_value)
        values = [] if init_from_fn else [initial_value]
        graph = get_default_graph()
        with name_scope(name, "Variable", values) as scope:
            if init_from_fn:
                with name_scope("Initializer"):
                    self._initial_value = convert_to_tensor(initial_value(), dtype=dtype, name="initial_value")
            else:
                self._initial_value = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            if shape is not None:
                var_shape = as_shape(shape)
            elif validate_shape:
                var_shape = self._initial_value.shape
            else:
                var_shape = TensorShape(None)
            if validate_shape and not var_shape.is_fully_defined() and shape is None:
                raise ValueError(f"initial_value must have a shape specified: {self._initial_value}")
            with graph.control_dependencies(None):
                self._variable = apply_op("VariableV2", name=scope, shape=var_shape,
                                          dtype=self._initial_value.dtype)
            self._initializer_op = apply_op("Assign", self._variable, self._initial_value, name="Assign",
                                            validate_shape=validate_shape, use_locking=True).op
            # TF1: the `read` snapshot sits on `caching_device` when one is given, else with the variable.
            placement = graph.device(caching_device) if caching_device is not None else \
                graph.colocate_with(self._variable.op)
            with placement:
                self._snapshot = apply_op("Identity", self._variable, name="read")
        self._caching_device = caching_device
        graph.add_to_collections(collections, self)

    def _init_from_proto(self, variable_def, import_scope=None):
        g = get_default_graph()

        def scoped(n):
            return f"{import_scope}/{n}" if import_scope else n

        self._variable = g.as_graph_element(scoped(variable_def.variable_name))
        self._initializer_op = g.as_graph_element(scoped(variable_def.initializer_name))
        snapshot = variable_def.snapshot_name or (variable_def.variable_name.split(":")[0] + "/read:0")
        self._snapshot = g.as_graph_element(scoped(snapshot))
        initial = variable_def.initial_value_name
        self._initial_value = g.as_graph_element(scoped(initial)) if initial else None
        self._trainable = variable_def.trainable
        self._constraint = None
        self._save_slice_info = None
        self._caching_device = None

    # ---- properties ---------------------------------------------------------------------
    name = property(lambda self: self._variable.name)
    op = property(lambda self: self._variable.op)
    dtype = property(lambda self: self._variable.dtype)
    graph = property(lambda self: self._variable.graph)
    device = property(lambda self: self._variable.device)
    shape = property(lambda self: self._variable.shape)
    initializer = property(lambda self: self._initializer_op)
    initial_value = property(lambda self: self._initial_value)
    trainable = property(lambda self: self._trainable)
    constraint = property(lambda self: self._constraint)

    def get_shape(self) -> TensorShape:
        return self._variable.shape

    def set_shape(self, shape) -> None:
        self._variable.set_shape(shape)
        self._snapshot.set_shape(shape)

    def value(self) -> Tensor:
        """The `read` snapshot tensor (`W/read:0`)."""
        return self._snapshot

    def read_value(self) -> Tensor:
        return apply_op("Identity", self._variable, name="read")

    def _ref(self) -> Tensor:
        return self._variable

    def _as_graph_element(self) -> Tensor:
        return self._variable

    def initialized_value(self) -> Tensor:
        """The value, initializing the variable first if needed (for initializers of others)."""
        def read():
            # A ref input: the value is read only if this branch runs (TF reads refs lazily too),
            # so an uninitialized variable is never touched.
            return apply_op("RefIdentity", self._variable, name="read")

        with self.graph.control_dependencies(None):
            return cond(is_variable_initialized(self), read, lambda: self._initial_value)

    def eval(self, session=None):
        return self._variable.eval(session=session)

    def load(self, value, session=None) -> None:
        """Set the value in `session` without adding ops (feeds the initializer)."""
        session = session or get_default_session()
        if session is None:
            raise ValueError("Either session argument should be provided or default session should be established")
        session.run(self._initializer_op, {self._initializer_op.inputs[1]: value})

    def assign(self, value, use_locking=False, name=None, read_value=True):
        t = apply_op("Assign", self._variable, value, name=name or "Assign", use_locking=use_locking,
                     validate_shape=True)
        return t if read_value else t.op

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        t = apply_op("AssignAdd", self._variable, delta, name=name or "AssignAdd", use_locking=use_locking)
        return t if read_value else t.op

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        t = apply_op("AssignSub", self._variable, delta, name=name or "AssignSub", use_locking=use_locking)
        return t if read_value else t.op

    def _scatter(self, op_type, sparse_delta, use_locking, name):
        indices = getattr(sparse_delta, "indices", None)
        values = getattr(sparse_delta, "values", None)
        if indices is None:
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        return apply_op(op_type, self._variable, indices, values, name=name or op_type, use_locking=use_locking)

    def scatter_update(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("ScatterUpdate", sparse_delta, use_locking, name)

    def scatter_add(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("ScatterAdd", sparse_delta, use_locking, name)

    def scatter_sub(self, sparse_delta, use_locking=False, name=None):
        return self._scatter("ScatterSub", sparse_delta, use_locking, name)

    def count_up_to(self, limit):
        """Increments the variable until it reaches `limit` (then OutOfRangeError); returns the old value."""
        return apply_op("CountUpTo", self._variable, name="CountUpTo", limit=int(limit))

    def to_proto(self, export_scope=None):
        def strip(n):
            if export_scope and n.startswith(export_scope + "/"):
                return n[len(export_scope) + 1:]
            return n

        proto = variable_pb2.VariableDef()
        proto.variable_name = strip(self._variable.name)
        proto.initializer_name = strip(self._initializer_op.name)
        proto.snapshot_name = strip(self._snapshot.name)
        if self._initial_value is not None:
            proto.initial_value_name = strip(self._initial_value.name)
        proto.trainable = self._trainable
        proto.is_resource = False
        return proto

    @staticmethod
    def from_proto(variable_def, import_scope=None):
        return Variable(variable_def=variable_def, import_scope=import_scope)

    def __repr__(self):
        return f"<tf.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __iter__(self):
        raise TypeError("'Variable' object is not iterable.")

    def __bool__(self):
        raise TypeError("Using a `tf.Variable` as a Python `bool` is not allowed.")

    # Operators behave as on the snapshot tensor; installed below from Tensor's list.
    _OPERATORS = (
        "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
        "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
        "__rmatmul__", "__neg__", "__abs__", "__lt__", "__le__", "__gt__", "__ge__", "__and__", "__rand__",
        "__or__", "__ror__", "__xor__", "__rxor__", "__invert__", "__getitem__",
    )


def _install_variable_operators():
    for op_name in Variable._OPERATORS:
        def method(self, *args, _op_name=op_name):
            return getattr(self.value(), _op_name)(*args)

        method.__name__ = op_name
        setattr(Variable, op_name, method)


_install_variable_operators()
_VARIABLE_DEFAULTS = {name: p.default for name, p in inspect.signature(Variable.__init__).parameters.items()
                      if name != "self"}


def _variable_to_tensor(v, dtype=None, name=None, as_ref=False):
    t = v._variable if as_ref else v._snapshot
    # TF1's RefVariable: a requested dtype must accept the variable's (`float32` or `float32_ref`).
    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(v.dtype):
        raise ValueError(f"Incompatible type conversion requested to type '{dtypes.as_dtype(dtype).name}' for "
                         f"variable of type '{v.dtype.name}'")
    return t


register_tensor_conversion_function(Variable, _variable_to_tensor)

RefVariable = Variable


def is_variable_initialized(variable) -> Tensor:
    """A bool tensor: whether `variable` has a value in the session."""
    ref = variable if isinstance(variable, Tensor) else variable._variable
    return apply_op("IsVariableInitialized", ref, name="IsVariableInitialized", dtype=ref.dtype.base_dtype)


def global_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


all_variables = global_variables


def trainable_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.MODEL_VARIABLES, scope)


def moving_average_variables(scope=None) -> list:
    return get_default_graph().get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, scope)


def variables_initializer(var_list, name="init") -> Operation:
    """One op that runs the initializers of `var_list` (a no-op when the list is empty)."""
    if var_list:
        return group(*[v.initializer for v in var_list], name=name)
    return no_op(name=name)


initialize_variables = variables_initializer


def global_variables_initializer() -> Operation:
    """The op that initializes every global variable, named `init` as in TF1."""
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer


def local_variables_initializer() -> Operation:
    return variables_initializer(local_variables(), name="init")


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables") -> Tensor:
    """A 1-D string tensor naming the variables of `var_list` not yet initialized.

    Built as TF1 builds it, from TF ops only (so the graph exports to TensorFlow):
    `boolean_mask(Const(names), LogicalNot(Pack([IsVariableInitialized(v), ...])))`, on the CPU.
    `var_list` defaults to the global and local variables, else every variable op of the graph.
    """
    # Imported here: the op modules build on Variable's tensor conversion, defined above.
    from estflow.core.ops import concat_ops, gather_ops, unary_ops

    if var_list is None:
        var_list = global_variables() + local_variables()
        if not var_list:
            var_list = [op._outputs[0] for op in get_default_graph().get_operations()
                        if op._type in ("Variable", "VariableV2")]
    with name_scope(name):
        init_vars = [is_variable_initialized(v) for v in var_list]
        graph = get_default_graph()
        with graph.device("/cpu:0"):
            if not var_list:
                return convert_to_tensor(np.array([], dtype=object), dtype=dtypes.string, name="Const")
            mask = unary_ops.logical_not(concat_ops.stack(init_vars))
            names = convert_to_tensor(np.array([v.op.name.encode("utf-8") for v in var_list], dtype=object),
                                      dtype=dtypes.string, name="Const")
            return gather_ops.boolean_mask(names, mask)


def assert_variables_initialized(var_list=None):
    raise NotImplementedError("assert_variables_initialized is not provided; use report_uninitialized_variables.")


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """`tf.assign(ref, value)`: an op that sets the variable and returns its new value.

    `use_locking` is kept as the op's attr; estflow's kernels take no lock (see `Optimizer`).
    """
    v = ref._variable if isinstance(ref, Variable) else ref
    return apply_op("Assign", v, value, name=name or "Assign",
                    validate_shape=True if validate_shape is None else validate_shape,
                    use_locking=True if use_locking is None else use_locking)


def assign_add(ref, value, use_locking=None, name=None):
    v = ref._variable if isinstance(ref, Variable) else ref
    return apply_op("AssignAdd", v, value, name=name or "AssignAdd", use_locking=bool(use_locking))


def assign_sub(ref, value, use_locking=None, name=None):
    v = ref._variable if isinstance(ref, Variable) else ref
    return apply_op("AssignSub", v, value, name=name or "AssignSub", use_locking=bool(use_locking))


def _scatter_fn(op_type):
    def scatter(ref, indices, updates, use_locking=True, name=None):
        v = ref._variable if isinstance(ref, Variable) else ref
        return apply_op(op_type, v, indices, updates, name=name or op_type, use_locking=use_locking)

    scatter.__name__ = op_type
    scatter.__doc__ = f"`tf.{op_type}`: update rows `indices` of a variable in place."
    return scatter


scatter_update = _scatter_fn("ScatterUpdate")
scatter_add = _scatter_fn("ScatterAdd")
scatter_sub = _scatter_fn("ScatterSub")
scatter_mul = _scatter_fn("ScatterMul")
scatter_div = _scatter_fn("ScatterDiv")
scatter_max = _scatter_fn("ScatterMax")
scatter_min = _scatter_fn("ScatterMin")
