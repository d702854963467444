"""The op registry: one `OpDef` per TF op type, holding everything about that op.

An op type is declared once, in one block of one file under `core/ops/`:

    register(OpDef(
        "Mul",                               # TF's op name, used in NodeDefs
        infer=infer_broadcast,               # TensorSpecs in, TensorSpec(s) out
        kernel=lambda xp, x, y: xp.multiply(x, y),
        grad=_mul_grad,                      # builds gradient ops; None: not differentiable
        same_dtype="all",
        input_names=("x: T", "y: T"),        # TF's argument lists, as TF registers them
        output_names=("z: T",),
        attr_types={"T": "type"},            # every TF attr's type (defaults of estflow's own: `attrs`)
        row_wise=row_rules.elementwise,      # maps rows to rows inside a fused dataset map
    ))

`apply_op("Mul", x, y, name=...)` converts the inputs to tensors, runs `infer` (so a
bad shape raises at graph build, naming the node), and adds the operation to the graph.
Sessions bind `kernel` to numpy or cupy when they compile a plan. The argument lists and
attr types are TF's own (tests/core/test_registry.py checks them against TF's registry):
NodeDefs, function bodies and meta graphs are written from them, never per step.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from estflow.core import dtypes as _dtypes
from estflow.core.graph import Operation, Tensor, _graph_of, get_default_graph
from estflow.core.op_allowed_values import ALLOWED
from estflow.core.tensor_shape import TensorShape, as_shape

REQUIRED = object()  # an attr with no default


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """What shape inference sees of a tensor: static shape, dtype and, when known, its value."""

    shape: TensorShape
    dtype: _dtypes.DType
    value: Any = None  # a numpy array when the value is known at graph-build time

    def __init__(self, shape, dtype, value=None):
        object.__setattr__(self, "shape", as_shape(shape))
        object.__setattr__(self, "dtype", _dtypes.as_dtype(dtype)._base)
        object.__setattr__(self, "value", value)

    @property
    def ndims(self):
        return self.shape.ndims


@dataclasses.dataclass(frozen=True)
class OpDef:
    """Everything about one op type. See the module docstring."""

    name: str
    infer: Callable[..., TensorSpec | Sequence[TensorSpec]]
    kernel: Callable | None = None  # kernel(xp, *input_arrays, **attrs) -> array | tuple
    grad: Callable | None = None  # grad(op, *output_grads) -> one entry per input (None: no gradient)
    attrs: dict = dataclasses.field(default_factory=dict)  # attr name -> default (or REQUIRED)
    same_dtype: Any = None  # None | "all" | "all_but_last" | tuple of input indices sharing TF's "T"
    # For ops holding per-session state (variables, random generators, iterators):
    # make_kernel(op, ctx) -> callable(*input_arrays), built once per session and plan.
    make_kernel: Callable | None = None
    stateful: bool = False  # never constant-folded or pruned as a pure value
    cpu_only: bool = False  # strings, hashing, file IO: always runs on the CPU
    ref_inputs: tuple = ()  # inputs naming a variable (TF1 ref inputs): not passed as values
    aliases_input: bool = False  # the output may be a view of an input (Identity, Reshape, ...)
    differentiable: bool = True  # False: gradients stop here (declared once, here)
    # TF's input args as TF's registration writes them, "name: type" (see `ArgDef`): ("x: T", "y: T"),
    # ("values: N * T", "axis: Tidx"), ("ref: Ref(T)", ...). NodeDefs get the type attrs and list
    # lengths from them; Python operands become constants named "<op>/<name>" ("<op>/<name>_<i>").
    input_names: tuple = ()
    broadcasts: bool = True  # False: inputs are never stretched against each other (MatMul, ConcatV2, ...)
    # True: the kernel takes `out=` and may write its result into its first input's buffer, which
    # the plan offers only when nothing else can see that buffer (TF's forward_input_or_allocate_output).
    forwards_input: bool = False
    # TF's output args, written like `input_names` (see `ArgDef`): ("z: T",), ("output_false: T",
    # "output_true: T"), ("output: num * T",). A function body names output "node:z:0" by them.
    output_names: tuple = ()
    # The type of every TF attr of the op as TF's registration writes it ("int >= 1", "type",
    # "list(type)", "shape", "string", ...): estflow's own attrs (defaults in `attrs`) and the
    # attrs TF derives from the arguments (type attrs, list lengths; "type = int32" for a default).
    attr_types: dict = dataclasses.field(default_factory=dict)
    # Whether the op maps rows to rows inside a fused dataset `map`: a rule from `core/row_rules.py`,
    # `rule(op, dependent_inputs) -> bool`; None: never (data/tracing.py runs such maps per element).
    row_wise: Callable | None = None

    # What the execution plan needs to know about an op type (core/plan.py names no op type):
    feed_only: bool = False  # no kernel: its output must be fed (Placeholder); the plan says so by name
    is_variable: bool = False  # a TF1 variable: its output is a ref to session state, read where consumed
    writes_refs: bool = False  # updates the variables its ref inputs name (Assign, Apply*, Scatter*)
    emits_dead: bool = False  # may output the dead value of an untaken tf.cond branch (Switch)
    accepts_dead: bool = False  # runs when some inputs are dead and handles them itself (Merge)
    # TF's op forwards a ref (RefSwitch, RefIdentity) that its consumers dereference; estflow reads the
    # variable when the op runs, so the plan runs it after the writes its consumers wait for.
    forwards_ref: bool = False
    # The output is the input itself, unchanged (Identity, StopGradient): outside a cond branch the plan
    # gives the output the input's slot and runs no step (a fetched output keeps its step).
    passes_input: bool = False
    # Compile-time fusion: fuse(op) -> Fusion | None. A plan may run the op as one step,
    # Fusion.kernel(xp, *Fusion.inputs), instead of running the ops between those tensors and the op
    # (grappler-style; the graph keeps TF's ops). The plan declines when a tensor in Fusion.skipped is fed.
    fuse: Callable | None = None

    def __post_init__(self):
        if not isinstance(self.input_names, tuple) or not isinstance(self.output_names, tuple):
            raise TypeError(f"OpDef '{self.name}': input_names and output_names are tuples of 'name: type'.")
        for spec in self.input_names + self.output_names:
            if not isinstance(spec, str) or ":" not in spec:
                raise ValueError(f"OpDef '{self.name}': argument {spec!r} must be written 'name: type'.")

    @functools.cached_property
    def input_args(self) -> tuple[ArgDef, ...]:
        """TF's input args (`input_names` parsed)."""
        return tuple(ArgDef.parse(s, self.attr_types) for s in self.input_names)

    @functools.cached_property
    def output_args(self) -> tuple[ArgDef, ...]:
        """TF's output args (`output_names` parsed)."""
        return tuple(ArgDef.parse(s, self.attr_types) for s in self.output_names)

    @functools.cached_property
    def ref_outputs(self) -> tuple[int, ...]:
        """The outputs TF declares `Ref(T)`: their tensors show TF1's reference dtype."""
        args = self.output_args
        if any(a.number_attr or a.type_list_attr for a in args):
            return ()
        return tuple(i for i, a in enumerate(args) if a.is_ref)

    @functools.cached_property
    def attr_defs(self) -> dict[str, AttrDef]:
        """Every TF attr of the op, by name (types from `attr_types`, defaults from `attrs`)."""
        allowed = ALLOWED.get(self.name, {})  # TF's allowed values (GraphDef import checks them)
        return {key: AttrDef.parse(key, text, self.attrs.get(key, REQUIRED), allowed.get(key))
                for key, text in self.attr_types.items()}

    def flat_input_names(self, n_inputs: int, attrs: dict) -> tuple[str, ...]:
        """The name of each of `n_inputs` inputs: its arg's, numbered within a list ("values_0")."""
        try:
            lengths = self.arg_lengths(self.input_args, n_inputs, attrs)
        except ValueError:
            return ()
        names: list[str] = []
        for a, n in zip(self.input_args, lengths):
            names += [f"{a.name}_{i}" for i in range(n)] if a.number_attr or a.type_list_attr else [a.name]
        return tuple(names)

    def arg_lengths(self, args: tuple[ArgDef, ...], n_flat: int, attrs: dict) -> list[int]:
        """How many of `n_flat` tensors each of `args` holds, for a node with `attrs`."""
        lengths: list = []
        for a in args:
            if a.number_attr:
                n = attrs.get(a.number_attr)
                lengths.append(None if n is None else int(n))
            elif a.type_list_attr:
                types = attrs.get(a.type_list_attr)
                lengths.append(None if types is None else len(types))
            else:
                lengths.append(1)
        unknown = [i for i, n in enumerate(lengths) if n is None]
        if unknown:  # lists sharing one length attr ("N") split what the others leave
            keys = {args[i].number_attr or args[i].type_list_attr for i in unknown}
            rest = n_flat - sum(n for n in lengths if n is not None)
            if len(keys) != 1 or rest < 0 or rest % len(unknown):
                raise ValueError(f"Op '{self.name}': can't tell how its {n_flat} tensors split into args "
                                 f"{[a.name for a in args]}; give attr(s) {sorted(keys)}.")
            for i in unknown:
                lengths[i] = rest // len(unknown)
        if sum(lengths) != n_flat:
            raise ValueError(f"Op '{self.name}' has {n_flat} tensors for args {[a.name for a in args]} "
                             f"of lengths {lengths}.")
        return lengths

    def derived_attrs(self, op: Operation) -> dict:
        """The attrs TF derives from `op`'s arguments that estflow keeps implicit: type attrs ("T"),
        list lengths ("N") and list(type) attrs, from the dtypes and counts of its inputs and outputs."""
        out: dict = {}
        for args, tensors in ((self.input_args, op._inputs), (self.output_args, op._outputs)):
            try:
                lengths = self.arg_lengths(args, len(tensors), op._attrs)
            except ValueError:
                continue  # lists of unknown lengths (their attrs are estflow's own): nothing to derive
            start = 0
            for a, n in zip(args, lengths):
                part = tensors[start:start + n]
                start += n
                if a.number_attr and a.number_attr not in out:
                    out[a.number_attr] = n
                if a.type_attr and part and a.type_attr not in out:
                    out[a.type_attr] = part[0]._dtype
                if a.type_list_attr and a.type_list_attr not in out:
                    out[a.type_list_attr] = tuple(t._dtype for t in part)
        return {k: v for k, v in out.items() if op._attrs.get(k) is None}

    def output_arg_ref(self, index: int, n_outputs: int, attrs: dict) -> tuple[str, int]:
        """(output arg name, index within that arg) of flat output `index`: "node:arg:i" in a function."""
        args = self.output_args
        if not args:
            return "output", index
        start = 0
        for a, n in zip(args, self.arg_lengths(args, n_outputs, attrs)):
            if index < start + n:
                return a.name, index - start
            start += n
        raise IndexError(f"Op '{self.name}' has {n_outputs} outputs; there is no output {index}.")

    def flat_output_index(self, arg: str, index: int, n_outputs: int, attrs: dict) -> int | None:
        """The flat output that "node:arg:index" names (None when the op has no such arg)."""
        args = self.output_args
        start = 0
        for a, n in zip(args, self.arg_lengths(args, n_outputs, attrs)):
            if a.name == arg:
                return start + index
            start += n
        return None

    def bind_attrs(self, attrs: dict, op_name: str) -> dict:
        out = {}
        for key, default in self.attrs.items():
            if key in attrs:
                out[key] = attrs[key]
            elif default is REQUIRED:
                raise TypeError(f"Op '{self.name}' ('{op_name}') is missing required attr '{key}'.")
            else:
                out[key] = default
        unknown = set(attrs) - set(self.attrs)
        if unknown:
            raise TypeError(f"Op '{self.name}' got unexpected attrs {sorted(unknown)}; "
                            f"it takes {sorted(self.attrs)}.")
        for key, value in out.items():
            # A type attr never holds a reference dtype (TF's op_def_library takes `.base_dtype`).
            if type(value) is _dtypes.DType:
                if value._is_ref_dtype:
                    out[key] = value.base_dtype
            elif type(value) in (list, tuple) and value and type(value[0]) is _dtypes.DType:
                out[key] = type(value)(v.base_dtype for v in value)
        return out


@dataclasses.dataclass(frozen=True)
class ArgDef:
    """One input or output argument of an op, as TF declares it ("values: N * T")."""

    name: str
    type: str = ""  # a fixed dtype, in TF's spelling ("bool", "string", "resource")
    type_attr: str = ""  # the type attr naming its dtype ("T")
    number_attr: str = ""  # a list of that many tensors of one type ("N")
    type_list_attr: str = ""  # a list with these dtypes (a list(type) attr: "dtypes")
    is_ref: bool = False  # a TF1 reference input or output (variables and their updates)

    @classmethod
    def parse(cls, spec: str, attr_types: dict) -> ArgDef:
        """'name: T', 'name: N * T', 'name: N * string', 'name: dtypes', 'name: Ref(T)', 'name: bool'."""
        name, _, kind = (x.strip() for x in spec.partition(":"))
        fields: dict = {}
        if kind.startswith("Ref(") and kind.endswith(")"):
            fields["is_ref"] = True
            kind = kind[4:-1].strip()
        if "*" in kind:
            number, _, kind = (x.strip() for x in kind.partition("*"))
            if number not in attr_types:
                raise ValueError(f"Argument '{spec}': list length attr '{number}' is missing from attr_types.")
            fields["number_attr"] = number
        if kind in attr_types:
            fields["type_list_attr" if attr_types[kind].startswith("list(type)") else "type_attr"] = kind
        elif kind in FIXED_TYPES:
            fields["type"] = kind
        else:
            raise ValueError(f"Argument '{spec}': '{kind}' is neither an attr of attr_types nor a dtype.")
        return cls(name, **fields)


# The fixed dtypes an argument may name, in TF's registration spelling (DT_ + upper case).
FIXED_TYPES = frozenset({"float", "double", "half", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
                         "uint16", "uint32", "uint64", "bool", "string", "complex64", "complex128", "resource",
                         "variant"})


@dataclasses.dataclass(frozen=True)
class AttrDef:
    """One TF attr of an op: its type ("int", "list(type)", ...), minimum and default."""

    name: str
    type: str
    default: Any = REQUIRED
    minimum: int | None = None
    allowed: tuple | None = None  # TF's allowed values: dtypes in TF's spelling ("float") or strings

    @classmethod
    def parse(cls, name: str, text: str, default=REQUIRED, allowed: tuple | None = None) -> AttrDef:
        """'int >= 2', 'list(type) >= 1', 'type = int32', 'shape', ... (TF's attr declaration)."""
        text, _, given = (x.strip() for x in text.partition("="))
        minimum = None
        if text.endswith(">"):  # "int >= 2" split at "=" above
            text = text[:-1].strip()
            minimum = int(given)
            given = ""
        if given:
            if text != "type" or default is not REQUIRED:
                raise ValueError(f"Attr '{name}: {text} = {given}': only a derived type attr gives its default "
                                 "here; the defaults of estflow's attrs are in OpDef.attrs.")
            default = _dtypes.as_dtype(given)
        return cls(name, text, default, minimum, allowed)

    def normalize(self, value):
        """`value` in the Python form graph_io encodes as this attr's type (a shape as a TensorShape, a
        list as a tuple of its item type, ...), so a NodeDef holds the AttrValue kind TF expects."""
        kind = self.type
        if kind.startswith("list("):
            item = AttrDef(self.name, kind[5:-1])
            return tuple(item.normalize(v) for v in (value or ()))
        if kind == "shape":
            return as_shape(value)
        if kind == "type":
            return _dtypes.as_dtype(value)
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return bool(value)
        return value


class Fusion(NamedTuple):
    """What `OpDef.fuse` offers: compute the op from `inputs` with `kernel`, skipping `skipped`."""

    inputs: tuple  # tensors of the graph the fused kernel reads
    kernel: Callable | None  # kernel(xp, *input_arrays) -> the op's output, exactly as the unfused ops give it
    skipped: tuple  # the tensors between `inputs` and the op that the fused step does not compute
    # A stateful op's fusion (an optimizer's sparse apply): make_kernel(op, ctx) builds the step as
    # OpDef.make_kernel does, and `inputs` keeps the op's ref inputs at their positions (the plan reads
    # none of them: the kernel finds the variables in the session), `kernel` is then None.
    make_kernel: Callable | None = None


class StepGroup(NamedTuple):
    """What a stateful kernel may carry as `kernel.step_group`: an offer to run together with the other
    steps of a plan whose kernels offer the same `key` (the plan's `_group_steps` decides which may).

    `make(members, runners)` builds the group's kernel: `members` are the steps' `member` values and
    `runners` their own kernels (raising errors that name their op), both in the plan's order; the
    kernel takes the steps' inputs one after another and returns their outputs, each step's as its own
    kernel gives it. It must change nothing before it knows every member can run (else it runs the
    `runners` in order), so each variable ends the step as the separate steps leave it.
    """

    key: tuple
    member: Any
    make: Callable


def run_pure_ops(xp, ops, values: dict):
    """Run pure single-output `ops` in order with their own kernels and attrs, reading `values`
    (tensor -> array, extended as they run), and return the last one's value: a fused kernel's
    path for inputs its shortcut does not cover, with the unfused ops' results and errors."""
    out = None
    for op in ops:
        out = values[op._outputs[0]] = op._op_def.kernel(xp, *[values[t] for t in op._inputs], **op._attrs)
    return out


def variable_behind_read(t):
    """The variable's own tensor when `t` is TF1's `<variable>/read` (Identity of a variable) with no
    other reader and no control input, else None. The read hands the variable's value on unchanged,
    so a fusion may take the variable itself (the plan reads it where consumed) and skip the read."""
    op = t._op
    if op._type != "Identity" or len(t._consumers) != 1 or op._control_inputs:
        return None
    source = op._inputs[0]
    return source if source._op._op_def.is_variable else None


_REGISTRY: dict[str, OpDef] = {}


def register(op_def: OpDef) -> OpDef:
    """Add an op type to the registry; a second definition of the same name is an error."""
    if op_def.name in _REGISTRY:
        raise KeyError(f"Op type '{op_def.name}' is already registered.")
    _REGISTRY[op_def.name] = op_def
    return op_def


def get_op_def(op_type: str) -> OpDef:
    try:
        return _REGISTRY[op_type]
    except KeyError:
        raise ValueError(f"Op type not registered '{op_type}' in estflow. "
                         f"Registered ops: {len(_REGISTRY)}.") from None


def registered_ops() -> dict[str, OpDef]:
    return dict(_REGISTRY)


# ---- input conversion ---------------------------------------------------------------
def _conversion_registry():
    from estflow.core.ops import constant_op  # Const nodes are built with apply_op from here

    return constant_op


def _group(same_dtype, n_inputs: int) -> tuple:
    if same_dtype is None:
        return ()
    if same_dtype == "all":
        return tuple(range(n_inputs))
    if same_dtype == "all_but_last":
        return tuple(range(n_inputs - 1))
    return same_dtype


def _format_shapes(specs) -> str:
    parts = []
    for s in specs:
        dims = s.shape.as_tuple()
        parts.append("<unknown>" if dims is None else "[" + ",".join("?" if d is None else str(d) for d in dims) + "]")
    return ", ".join(parts)


def _convert_inputs(op_def: OpDef, op_type: str, inputs: list, g, names) -> None:
    """Turn the non-Tensor entries of `inputs` into constants, in place (shared dtypes first)."""
    convert = _conversion_registry()

    def const_name(i):
        return names[i] if i < len(names) else None

    group = _group(op_def.same_dtype, len(inputs))
    if group:
        target = None
        for i in group:
            if isinstance(inputs[i], Tensor):
                target = inputs[i]._dtype
                break
        if target is None:  # no tensor in the group: convert the first, the rest follow it
            first = group[0]
            inputs[first] = convert.convert_to_tensor(inputs[first], graph=g, name=const_name(first))
            target = inputs[first]._dtype
        for i in group:
            x = inputs[i]
            if isinstance(x, Tensor):
                if x._dtype is not target:
                    raise TypeError(
                        f"Input {i} of '{op_type}' Op has type {x._dtype.name} that does not match type "
                        f"{target.name} of input {group[0]}. Cast one of them with tf.cast first."
                    )
            else:
                inputs[i] = convert.convert_to_tensor(x, dtype=target, graph=g, name=const_name(i))
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            inputs[i] = convert.convert_to_tensor(x, graph=g, name=const_name(i))


def apply_op(op_type: str, *inputs, name: str | None = None, control_inputs=(), graph=None, **attrs):
    """Build one `op_type` node from inputs and attrs; returns its output(s) or the op.

    Returns the single output Tensor, a list of outputs for multi-output ops, or the
    Operation itself when the op has no outputs.
    """
    op_def = _REGISTRY.get(op_type) or get_op_def(op_type)
    g = _graph_of(inputs, graph)
    inputs = list(inputs)
    if op_def.input_names and not all(isinstance(x, Tensor) for x in inputs):
        # TF's op_def_library: Python operands become constants named after the input arg
        # inside the op's own scope ("Add/y", "AddN/inputs_1"), and the op takes that scope's name.
        with g.as_default(), g.name_scope(name or op_type) as scope:
            _convert_inputs(op_def, op_type, inputs, g, op_def.flat_input_names(len(inputs), attrs))
        name = scope
    else:
        _convert_inputs(op_def, op_type, inputs, g, ())
    inputs = g._rewrite_inputs(inputs, op_def)
    bound = op_def.bind_attrs(attrs, name or op_type)
    specs = [TensorSpec(t._shape, t._dtype, t._const_value) for t in inputs]
    try:
        out_specs = op_def.infer(*specs, **bound)
    except (ValueError, TypeError) as e:
        node = name[:-1] if name and name.endswith("/") else g.unique_name(name or op_type, mark_as_used=False)
        raise type(e)(f"{e} for '{node}' (op: '{op_type}') with input shapes: {_format_shapes(specs)}.") from None
    single = isinstance(out_specs, TensorSpec)
    if single:
        out_specs = [out_specs]
    out_specs = list(out_specs)
    if op_def.kernel is not None and not op_def.stateful and op_def.make_kernel is None and inputs:
        out_specs = _fold_constants(op_def, inputs, out_specs, bound, single)
    op = g._create_op_internal(op_type, inputs, out_specs, bound, name or op_type, op_def, control_inputs)
    op._list_output = not single
    if single:
        return op._outputs[0]
    if not out_specs:
        return op
    return list(op._outputs)


_FOLD_LIMIT = 1000  # elements: fold only small values at build time (shapes, axes, sizes)


def _fold_constants(op_def: OpDef, inputs, out_specs, attrs, single: bool = True):
    """Compute small outputs whose inputs are all known now, for shape inference downstream."""
    values = [t._const_value for t in inputs]
    if any(v is None for v in values) or any(s.value is not None for s in out_specs):
        return out_specs
    if sum(np.size(v) for v in values) > _FOLD_LIMIT:
        return out_specs
    try:
        with np.errstate(all="ignore"):
            result = op_def.kernel(np, *values, **attrs)
    except Exception:  # noqa: BLE001 - a kernel error here surfaces when the op runs
        return out_specs
    if single or (len(out_specs) == 1 and type(result) not in (tuple, list)):
        results = [result]
    else:
        results = list(result)
    folded = []
    for spec, r in zip(out_specs, results):
        r = np.asarray(r)
        if r.size > _FOLD_LIMIT or not spec.shape.is_compatible_with(r.shape):
            folded.append(spec)
            continue
        if spec.dtype != _dtypes.string:
            r = r.astype(spec.dtype.as_numpy_dtype, copy=False)
        folded.append(TensorSpec(spec.shape.merge_with(r.shape), spec.dtype, r))
    return folded


# ---- shape inference helpers ----------------------------------------------------------
def infer_same(x: TensorSpec, **_) -> TensorSpec:
    """Unary elementwise: the output looks like the input."""
    return TensorSpec(x.shape, x.dtype)


def broadcast_shapes(a: TensorShape, b: TensorShape) -> TensorShape:
    """numpy broadcasting over partially known shapes; ValueError on a certain mismatch."""
    da, db = a.as_tuple(), b.as_tuple()
    if da is None or db is None:
        return TensorShape(None)
    n = max(len(da), len(db))
    da = (1,) * (n - len(da)) + da
    db = (1,) * (n - len(db)) + db
    out = []
    for x, y in zip(da, db):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        elif y is None or x == y:
            out.append(x)
        else:
            raise ValueError(f"Dimensions must be equal, but are {x} and {y}")
    return TensorShape(out)


def infer_broadcast(*specs: TensorSpec, **_) -> TensorSpec:
    """Elementwise over inputs broadcast together (numpy's rules); dtype of the first."""
    shape = specs[0].shape
    for s in specs[1:]:
        shape = broadcast_shapes(shape, s.shape)
    return TensorSpec(shape, specs[0].dtype)


def infer_broadcast_bool(*specs: TensorSpec, **_) -> TensorSpec:
    """Comparisons: broadcast shapes, bool output."""
    return TensorSpec(infer_broadcast(*specs).shape, _dtypes.bool)


def op_outputs(op: Operation) -> list[Tensor]:
    return list(op._outputs)


def get_default_graph_for(*values):
    return _graph_of(values) if values else get_default_graph()
