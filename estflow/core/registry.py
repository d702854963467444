"""The op registry: one `OpDef` per TF op type, holding everything about that op.

An op type is declared once, in one block of one file under `core/ops/`:

    register(OpDef(
        "Mul",                               # TF's op name, used in NodeDefs
        infer=infer_broadcast,               # TensorSpecs in, TensorSpec(s) out
        kernel=lambda xp, x, y: xp.multiply(x, y),
        grad=_mul_grad,                      # builds gradient ops; None: not differentiable
        same_dtype="all",
    ))

`apply_op("Mul", x, y, name=...)` converts the inputs to tensors, runs `infer` (so a
bad shape raises at graph build, naming the node), and adds the operation to the graph.
Sessions bind `kernel` to numpy or cupy when they compile a plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from estflow.core import dtypes as _dtypes
from estflow.core.graph import Operation, Tensor, _graph_of, get_default_graph
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
        object.__setattr__(self, "dtype", _dtypes.as_dtype(dtype))
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
    type_attrs: dict = dataclasses.field(default_factory=dict)  # GraphDef type attrs: name -> input index
    # For ops holding per-session state (variables, random generators, iterators):
    # make_kernel(op, ctx) -> callable(*input_arrays), built once per session and plan.
    make_kernel: Callable | None = None
    stateful: bool = False  # never constant-folded or pruned as a pure value
    cpu_only: bool = False  # strings, hashing, file IO: always runs on the CPU
    ref_inputs: tuple = ()  # inputs naming a variable (TF1 ref inputs): not passed as values
    aliases_input: bool = False  # the output may be a view of an input (Identity, Reshape, ...)
    differentiable: bool = True  # False: gradients stop here (declared once, here)
    input_names: tuple = ()  # TF's input arg names: Python operands become "<op>/<name>" constants
    broadcasts: bool = True  # False: inputs are never stretched against each other (MatMul, ConcatV2, ...)
    # True: the kernel takes `out=` and may write its result into its first input's buffer, which
    # the plan offers only when nothing else can see that buffer (TF's forward_input_or_allocate_output).
    forwards_input: bool = False
    accepts_dead: bool = False  # True: runs on the untaken side of a tf.cond too (Merge; TensorListPushBack)
    # Compile-time fusion: fuse(op) -> Fusion | None. A plan may run the op as one step,
    # Fusion.kernel(xp, *Fusion.inputs), instead of running the ops between those tensors and the op
    # (grappler-style; the graph keeps TF's ops). The plan declines when a tensor in Fusion.skipped is fed.
    fuse: Callable | None = None

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
        return out


class Fusion(NamedTuple):
    """What `OpDef.fuse` offers: compute the op from `inputs` with `kernel`, skipping `skipped`."""

    inputs: tuple  # tensors of the graph the fused kernel reads
    kernel: Callable  # kernel(xp, *input_arrays) -> the op's output, exactly as the unfused ops give it
    skipped: tuple  # the tensors between `inputs` and the op that the fused step does not compute


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
    from estflow.core.ops import constant_op

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
                target = inputs[i].dtype
                break
        if target is None:  # no tensor in the group: convert the first, the rest follow it
            first = group[0]
            inputs[first] = convert.convert_to_tensor(inputs[first], graph=g, name=const_name(first))
            target = inputs[first].dtype
        for i in group:
            x = inputs[i]
            if isinstance(x, Tensor):
                if x.dtype != target:
                    raise TypeError(
                        f"Input {i} of '{op_type}' Op has type {x.dtype.name} that does not match type "
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
        # inside the op's own scope ("Add/y"), and the op takes that scope's name.
        with g.as_default(), g.name_scope(name or op_type) as scope:
            _convert_inputs(op_def, op_type, inputs, g, op_def.input_names)
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
