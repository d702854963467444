"""Function graphs to and from TensorFlow's `FunctionDef` (the functions of `GraphDef.library`).

A functional op (`While`) holds its `cond` and `body` as `FuncGraph`s. In a GraphDef such
an attr is `AttrValue(func=NameAttrList(name=...))` naming a `FunctionDef` of
`graph_def.library`; `graph_to_graph_def` writes one FunctionDef per distinct function
graph (nested functions too: a `While` inside a body names its own cond and body), and
`import_graph_def` rebuilds a `FuncGraph` from it, node by node through the op registry,
so the `While` kernel runs the imported loop unchanged. Nothing in the file is executed.

The FunctionDef of a function graph, as TensorFlow writes one:

    signature   name: the function's name (the FuncGraph's, made unique in the library)
                input_arg: one per input placeholder, in order: {name, type}; the name is the
                    placeholder's, lower-cased into TF's arg-name form [a-z][a-z0-9_]*
                    ("Const" -> "const"), made distinct from every node name
                output_arg: one per output: "output_0", "output_1", ... {name, type}
                is_stateful: whether any op of the body is stateful
    node_def    every op of the function graph except the input placeholders, with
                function-local input names:
                    "x"              an input arg (by its arg name)
                    "add:z:0"        output 0 of node "add" in its output arg "z"
                    "^AssignAdd"     a control input
    ret         output arg name -> "node:arg:index" or an input arg name (a pass-through)
    attr        "_input_shapes": the input shapes (TF's); "_estflow_num_captures": how
                many trailing inputs are captured outer tensors (`FuncGraph.captures`);
                also `arg_attr[i]["_output_shapes"]`, as TF2 writes it

Output arg names are TensorFlow's, from each op's `OpDef.output_names` (AddV2's output is
"z", MatMul's "product", Switch's "output_false" and "output_true", Split's list "output"),
so TensorFlow resolves them; an op estflow has and TF lacks writes "node:output:i" with `i`
the flat output index. Reading, "node:arg:i" is output `i` of that arg (flat output `i` for
an arg the op lacks), so both estflow's and TensorFlow's functions import.

Estflow specifics, read back by estflow and harmless to TensorFlow:

- A variable read or updated inside a body is a copy of its `VariableV2` op under the
  variable's own name (the session keys variable state by that name). Importing under a
  prefix ("import/"), these copies are prefixed like the outer variable; every other node
  name of a function is local to it and kept as is.
- `While` nodes carry `_num_original_outputs` (as TF2's), and `_estflow_back_prop: false`
  for a loop built with `back_prop=False`.
- A while_loop's gradient is a second `While` over TensorList accumulators (TF2's form),
  so training graphs hold TF ops only.

TensorFlow's own functional `While` / `StatelessWhile` nodes import when their functions
use only ops estflow registers and follow TF2's loop layout (loop_counter and
maximum_iterations, int32 or int64 scalars, as the first two loop variables).
`control_ret` of a FunctionDef is not read: estflow runs what the outputs depend on.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np

from estflow.core import dtypes as _dtypes
from estflow.core import graph_io, node_def_check, registry
from estflow.core.func_graph import FuncGraph
from estflow.core.graph import Operation, Tensor
from estflow.core.ops import functional_ops as _functional_ops  # noqa: F401 - registers StatelessWhile
from estflow.core.ops import while_v2
from estflow.core.protos import function_pb2
from estflow.core.tensor_shape import TensorShape

NUM_CAPTURES_ATTR = "_estflow_num_captures"
BACK_PROP_ATTR = "_estflow_back_prop"
WHILE_OPS = frozenset({"While", "StatelessWhile"})

# ---- TensorFlow's output arg names ------------------------------------------------------------
def output_arg_ref(op: Operation, index: int) -> tuple[str, int]:
    """(output arg name, index within it) of flat output `index` of `op`, from its OpDef."""
    try:
        return op._op_def.output_arg_ref(index, len(op._outputs), op._attrs)
    except ValueError:  # a list whose length estflow keeps in an attr of its own: flat indices
        return "output", index


def flat_output_index(op: Operation, arg: str, index: int) -> int:
    """The flat output index "node:arg:index" names on `op` (flat `index` for an arg it lacks)."""
    try:
        flat = op._op_def.flat_output_index(arg, index, len(op._outputs), op._attrs)
    except ValueError:
        flat = None
    return index if flat is None else flat


_ARG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FUNCTION_NAME = re.compile(r"[^A-Za-z0-9_.\-]")


def _arg_name(name: str, used: set) -> str:
    """`name` in TF's arg-name form, distinct from `used` (which it joins)."""
    base = re.sub(r"[^a-z0-9_]", "_", name.lower())
    if not _ARG_NAME.match(base):
        base = "arg_" + base
    out, k = base, 0
    while out in used:
        k += 1
        out = f"{base}_{k}"
    used.add(out)
    return out


# ================================================================================================
# export
# ================================================================================================
class FunctionLibraryBuilder:
    """Collects the FunctionDefs of the function graphs a GraphDef's nodes name (`library`).

    One FunctionDef per function graph; a second graph with the same name gets a suffix
    unless its FunctionDef is identical (then the name is shared).
    """

    def __init__(self, add_shapes: bool = False, strict: bool = True):
        self.add_shapes = add_shapes
        self.strict = strict
        self.library = function_pb2.FunctionDefLibrary()
        self._fdefs: dict[str, function_pb2.FunctionDef] = {}
        self._names: dict[FuncGraph, str] = {}
        self._refs: dict[FuncGraph, object] = {}  # FuncGraph -> its tensor -> function-local name
        self._building: set = set()

    def function_name(self, func_graph: FuncGraph) -> str:
        """The library name of `func_graph`, adding its FunctionDef (and its nested ones) first."""
        name = self._names.get(func_graph)
        if name is not None:
            return name
        if func_graph in self._building:
            raise ValueError(f"Function '{func_graph.name}' refers to itself: it can't be written to a GraphDef.")
        self._building.add(func_graph)
        try:
            fdef, ref = self._function_def(func_graph)
        finally:
            self._building.discard(func_graph)
        base = _FUNCTION_NAME.sub("_", func_graph.name) or "function"
        name, k = base, 0
        while name in self._fdefs:
            fdef.signature.name = name
            if fdef == self._fdefs[name]:
                break
            k += 1
            name = f"{base}_{k}"
        if name not in self._fdefs:
            fdef.signature.name = name
            self._fdefs[name] = fdef
            self.library.function.add().CopyFrom(fdef)
        self._names[func_graph] = name
        self._refs[func_graph] = ref
        return name

    def _function_def(self, fg: FuncGraph):
        fdef = function_pb2.FunctionDef()
        sig = fdef.signature
        arg_ops = {t.op for t in fg.inputs}
        used = {op.name for op in fg.get_operations() if op not in arg_ops}
        used |= {n.lower() for n in used}
        arg_of: dict[Operation, str] = {}
        for i, t in enumerate(fg.inputs):
            if t.op in arg_of:
                raise ValueError(f"Function '{fg.name}' lists input {t.name} twice.")
            arg_of[t.op] = _arg_name(t.op.name, used)
            sig.input_arg.add(name=arg_of[t.op], type=t._dtype.as_datatype_enum)
            fdef.arg_attr[i].attr["_output_shapes"].list.shape.add().CopyFrom(graph_io.shape_to_proto(t.shape))
        fdef.attr["_input_shapes"].list.SetInParent()
        fdef.attr["_input_shapes"].list.shape.extend(graph_io.shape_to_proto(t.shape) for t in fg.inputs)
        fdef.attr[NUM_CAPTURES_ATTR].i = len(fg.captures)

        def ref(t: Tensor) -> str:
            if t.graph is not fg:
                raise ValueError(f"Tensor {t.name} used in function '{fg.name}' belongs to another graph.")
            arg = arg_of.get(t._op)
            if arg is not None:
                return arg
            out_arg, k = output_arg_ref(t._op, t._value_index)
            return f"{t._op._name}:{out_arg}:{k}"

        def op_name(op: Operation) -> str:
            return arg_of.get(op, op._name)

        where = f" in function '{fg.name}'"
        stateful = False
        for op in fg.get_operations():
            if op in arg_of:
                continue
            stateful = stateful or bool(getattr(op._op_def, "stateful", False))
            fdef.node_def.append(graph_io._node_def(op, self.add_shapes, self.strict, self, ref, where, op_name))
        for i, t in enumerate(fg.outputs):
            name = _arg_name(f"output_{i}", used)
            sig.output_arg.add(name=name, type=t._dtype.as_datatype_enum)
            fdef.ret[name] = ref(t)
        sig.is_stateful = stateful
        return fdef, ref

    def annotate(self, op: Operation, node, strict: bool) -> list[str]:
        """Add the estflow-specific attrs of functional ops to `node`; returns notes of what was dropped."""
        if op._type in WHILE_OPS:
            node.attr["_num_original_outputs"].i = len(op._outputs)
            if op in while_v2._no_backprop:
                node.attr[BACK_PROP_ATTR].b = False
        return []


# ================================================================================================
# import
# ================================================================================================
def _string_attr(node, key: str) -> str:
    """A string attr of a NodeDef ("" when absent)."""
    return node.attr[key].s.decode("utf-8", "replace") if key in node.attr else ""


def _function_node_of(inp: str) -> str:
    """The node (or arg) a function-body input string refers to."""
    if inp.startswith("^"):
        return inp[1:]
    return inp.split(":", 1)[0]


class FunctionLibraryImporter:
    """Rebuilds the FuncGraphs of `library` that the nodes being imported name, once each.

    `scope` is the import prefix ("import/"): copies of variables inside functions get it,
    like the variables they stand for.
    """

    def __init__(self, library, scope: str = ""):
        self.scope = scope
        self._fdefs = {f.signature.name: f for f in library.function}
        self._built: dict[str, FuncGraph] = {}
        self._building: set = set()
        self._checked: set = set()
        self._locals: dict[FuncGraph, tuple[dict, dict]] = {}  # FuncGraph -> (args, nodes) by local name
        self._num_captures: dict[FuncGraph, int | None] = {}

    # ---- validation, before anything is built ------------------------------------------------------
    def check(self, nodes, where: str = "graph_def") -> None:
        """ValueError when a node names a function the library lacks, or a function uses an
        op type estflow doesn't register (recursively)."""
        for node in nodes:
            op_def = registry.get_op_def(node.op)  # registered: checked before
            for key in op_def.attrs:
                if key not in node.attr:
                    continue
                av = node.attr[key]
                names = [av.func.name] if av.WhichOneof("value") == "func" else [f.name for f in av.list.func]
                for name in names:
                    if name not in self._fdefs:
                        raise ValueError(f"Node '{node.name}' (op: '{node.op}') of the {where}: attr '{key}' names "
                                         f"function '{name}', which graph_def.library doesn't define.")
                    self._check_function(name)

    def _check_function(self, name: str) -> None:
        if name in self._checked:
            return
        self._checked.add(name)
        fdef = self._fdefs[name]
        for node in fdef.node_def:
            try:
                op_def = registry.get_op_def(node.op)
            except ValueError:
                raise ValueError(f"Op type not registered '{node.op}' in estflow (node '{node.name}' of function "
                                 f"'{name}'): it can't be imported.") from None
            try:
                node_def_check.check_node_def(node, op_def, graph_style=False)
            except ValueError as e:
                raise ValueError(f"Function '{name}': {e}") from None
        for arg in fdef.signature.input_arg:
            if not arg.type:
                raise ValueError(f"Function '{name}' has a type-polymorphic input arg '{arg.name}' "
                                 f"(type_attr '{arg.type_attr}'): only functions with fixed types can be imported.")
        self.check(fdef.node_def, where=f"function '{name}'")

    # ---- attrs ---------------------------------------------------------------------------------------
    def decode_attrs(self, node, op_def, graph) -> dict:
        """The attrs `op_def` declares, from `node`; function attrs become FuncGraphs inside `graph`."""
        hint = None
        if node.op in WHILE_OPS and "output_shapes" in node.attr:
            hint = [graph_io.shape_from_proto(s) for s in node.attr["output_shapes"].list.shape]
        attrs = {}
        for key in op_def.attrs:
            if key not in node.attr:
                continue
            av = node.attr[key]
            which = av.WhichOneof("value")
            if which == "func":
                value = self.function(av.func.name, graph, hint)
            elif which == "list" and av.list.func:
                value = tuple(self.function(f.name, graph, hint) for f in av.list.func)
            elif which == "tensor":  # a Const's broadcast value stays lazy until a plan needs it
                value = graph_io.tensor_attr_from_proto(av.tensor, node.name, lazy=op_def.name == "Const")
            else:
                value = graph_io.attr_from_proto(av)
                if isinstance(value, np.ndarray):
                    value.setflags(write=False)
            attrs[key] = value
        return attrs

    def prepare(self, node, attrs: dict, inputs: list, lookup) -> dict:
        """Fix up the attrs of a functional op before it is built (TF's optional attrs, names)."""
        if node.op in WHILE_OPS:
            self._prepare_while(node, attrs, inputs)
        return attrs

    def _prepare_while(self, node, attrs: dict, inputs: list) -> None:
        types = attrs.setdefault("T", tuple(t.dtype for t in inputs))
        if len(types) != len(inputs):
            raise ValueError(f"Node '{node.name}' (op: '{node.op}') has {len(inputs)} inputs but {len(types)} types "
                             "in attr T.")
        if not attrs.get("output_shapes"):
            attrs["output_shapes"] = tuple(TensorShape(None) for _ in types)
        cond, body = attrs.get("cond"), attrs.get("body")
        if not isinstance(cond, FuncGraph) or not isinstance(body, FuncGraph):
            raise ValueError(f"Node '{node.name}' (op: '{node.op}') needs function attrs 'cond' and 'body'.")
        for fg, n_out in ((cond, 1), (body, len(types))):
            if len(fg.inputs) != len(types) or len(fg.outputs) != n_out:
                raise ValueError(f"Node '{node.name}' (op: '{node.op}'): function '{fg.name}' takes "
                                 f"{len(fg.inputs)} inputs and returns {len(fg.outputs)} outputs; the loop has "
                                 f"{len(types)} loop variables.")
        if self._num_captures.get(body) is None:  # written by TensorFlow: check TF2's while_v2 layout
            if (len(types) < 2 or types[0] != types[1] or types[0] not in (_dtypes.int32, _dtypes.int64)
                    or any(inputs[i].shape.ndims not in (None, 0) for i in (0, 1))):
                raise ValueError(f"Node '{node.name}' (op: '{node.op}') can't be imported: estflow runs functional "
                                 "While loops in TF2's while_v2 layout, whose first two loop variables are the "
                                 "loop counter and maximum_iterations (int32 or int64 scalars).")

    def finish(self, node, op: Operation, lookup) -> None:
        """Restore what a functional op keeps outside its attrs: captures, back_prop."""
        if node.op in WHILE_OPS:
            for fg in (op._attrs["cond"], op._attrs["body"]):
                n = self._num_captures.get(fg) or 0
                if n and not fg.captures:
                    pairs = list(zip(op._inputs[len(op._inputs) - n:], fg.inputs[len(fg.inputs) - n:], strict=True))
                    fg.captures.extend(pairs)
                    for outer, inner in pairs:
                        fg._captured.setdefault(outer, inner)
            if BACK_PROP_ATTR in node.attr and not node.attr[BACK_PROP_ATTR].b:
                while_v2._no_backprop.add(op)

    # ---- functions ---------------------------------------------------------------------------------
    def function(self, name: str, outer_graph, input_shapes=None) -> FuncGraph:
        """The FuncGraph of library function `name`, built (once) inside `outer_graph`."""
        fg = self._built.get(name)
        if fg is not None:
            return fg
        if name not in self._fdefs:
            raise ValueError(f"Function '{name}' is not defined in graph_def.library.")
        if name in self._building:
            raise ValueError(f"Function '{name}' of graph_def.library calls itself: it can't be imported.")
        self._check_function(name)
        self._building.add(name)
        try:
            fg = self._build(self._fdefs[name], outer_graph, input_shapes)
        finally:
            self._building.discard(name)
        self._built[name] = fg
        return fg

    def _input_shapes(self, fdef, hint) -> list:
        n = len(fdef.signature.input_arg)
        if "_input_shapes" in fdef.attr and len(fdef.attr["_input_shapes"].list.shape) == n:
            return [graph_io.shape_from_proto(s) for s in fdef.attr["_input_shapes"].list.shape]
        shapes = []
        for i in range(n):
            arg_attr = fdef.arg_attr[i].attr if i in fdef.arg_attr else {}
            if "_output_shapes" in arg_attr and len(arg_attr["_output_shapes"].list.shape) == 1:
                shapes.append(graph_io.shape_from_proto(arg_attr["_output_shapes"].list.shape[0]))
            elif hint is not None and len(hint) == n:
                shapes.append(hint[i])
            else:
                shapes.append(TensorShape(None))
        return shapes

    def _build(self, fdef, outer_graph, hint) -> FuncGraph:
        sig = fdef.signature
        fname = sig.name
        fg = FuncGraph(fname, outer_graph)
        node_names = {n.name for n in fdef.node_def}
        by_name = {}
        for node in fdef.node_def:
            if node.name in by_name:
                raise ValueError(f"Function '{fname}' has two nodes named '{node.name}'.")
            by_name[node.name] = node
        args: dict[str, Tensor] = {}
        for arg, shape in zip(sig.input_arg, self._input_shapes(fdef, hint), strict=True):
            if arg.name in args:
                raise ValueError(f"Function '{fname}' has two input args named '{arg.name}'.")
            candidate, k = arg.name, 0
            while candidate in node_names or fg._get_operation_by_name_unsafe(candidate) is not None:
                k += 1
                candidate = f"{arg.name}_{k}"
            args[arg.name] = fg.add_input(_dtypes.as_dtype(arg.type), shape, candidate)
        n_caps = fdef.attr[NUM_CAPTURES_ATTR].i if NUM_CAPTURES_ATTR in fdef.attr else None
        if n_caps is not None and not 0 <= n_caps <= len(args):
            raise ValueError(f"Function '{fname}': attr {NUM_CAPTURES_ATTR} is {n_caps}, with {len(args)} inputs.")
        self._num_captures[fg] = n_caps
        nodes: dict[str, Operation] = {}
        self._locals[fg] = (args, nodes)
        order = graph_io._topological_order(list(fdef.node_def), by_name, node_of=_function_node_of,
                                            where=f"function '{fname}'")
        with fg.as_default():
            for node in order:
                nodes[node.name] = self._build_node(fg, node, args, nodes)
        for arg in sig.output_arg:
            if arg.name not in fdef.ret:
                raise ValueError(f"Function '{fname}' has no ret value for its output '{arg.name}'.")
            fg.outputs.append(self._resolve(fdef.ret[arg.name], fg, f"ret '{arg.name}'"))
        return fg

    def _resolve(self, ref: str, fg: FuncGraph, user: str) -> Tensor:
        """The tensor a function-local name ("x", "node:arg:0", "node:0") refers to in `fg`."""
        args, nodes = self._locals[fg]
        parts = ref.split(":")
        if len(parts) == 1 and ref in args:
            return args[ref]
        op = nodes.get(parts[0])
        if op is None and parts[0] in args and len(parts) <= 2:
            return args[parts[0]]
        index = None
        if op is not None:
            if len(parts) == 1:
                index = 0
            elif len(parts) == 2 and parts[1].isdigit():
                index = int(parts[1])
            elif len(parts) == 3 and parts[2].isdigit():
                index = flat_output_index(op, parts[1], int(parts[2]))
        if index is None or index >= len(op._outputs):
            raise ValueError(f"Function '{fg.name}', {user}: input '{ref}' names no tensor of the function.")
        return op._outputs[index]

    def _build_node(self, fg: FuncGraph, node, args: dict, nodes: dict) -> Operation:
        op_def = registry.get_op_def(node.op)
        inputs, control = [], []
        for inp in node.input:
            if inp.startswith("^"):
                name = inp[1:]
                c = nodes.get(name) or (args[name].op if name in args else None)
                if c is None:
                    raise ValueError(f"Function '{fg.name}', node '{node.name}': unknown control input '{inp}'.")
                if c not in control:
                    control.append(c)
            else:
                inputs.append(self._resolve(inp, fg, f"node '{node.name}'"))
        try:
            node_def_check.check_input_dtypes(node, op_def, inputs, node.name)
        except ValueError as e:
            raise ValueError(f"Function '{fg.name}': {e}") from None
        attrs = self.decode_attrs(node, op_def, fg)
        attrs = self.prepare(node, attrs, inputs, nodes.get)
        name = node.name
        if node.op in ("VariableV2", "Variable", "VarHandleOp") and not inputs:
            name = self.scope + name  # a copy of an outer variable: named like the imported variable
        full_name = fg.unique_name(name)
        if full_name != name:
            raise ValueError(f"Duplicate node name in function '{fg.name}': '{name}'")
        device = fg.device(node.device) if node.device else contextlib.nullcontext()
        target = graph_io._colocation_target(node, nodes)
        colocation = fg.colocate_with(target) if target is not None else contextlib.nullcontext()
        with device, colocation:
            result = registry.apply_op(node.op, *inputs, name=name + "/", control_inputs=control, graph=fg, **attrs)
        op = graph_io._single_op(result)
        graph_io._narrow_shapes(node, op)
        self.finish(node, op, nodes.get)
        return op
