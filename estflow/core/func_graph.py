"""FuncGraph: a graph holding one traced Python function (a while_loop's cond or body).

A `FuncGraph` is built inside another graph (`outer_graph`). While it is the default
graph, ops are created in it even when their inputs live in an enclosing graph: such a
tensor is *captured*, i.e. replaced by a Placeholder of the function graph, and the pair
(outer tensor, placeholder) is recorded in `captures` so the op running the function
(e.g. `While`) can take the outer tensor as an extra input. Variables are not captured
by value: the function graph gets a mirror of the variable's op under the same name, so
reads and updates inside the function see the session's live variable state.

    body = FuncGraph("while_body_1")
    with body.as_default():
        x = body.add_input(tf.int32, [], "x")
        body.outputs = [x + outer_step]         # outer_step becomes a captured placeholder

It also holds `assert_same_structure` with tf.nest's messages; flattening and packing
nested structures is `estflow.core.nest`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from estflow.core.graph import Graph, Operation, Tensor, get_default_graph
from estflow.core.nest import children, is_sequence
from estflow.core.registry import apply_op

_uid = itertools.count(1)


def unique_fn_name(scope: str, name: str) -> str:
    """A function name unique in this process, as TF2 names traced functions (`while_body_3`)."""
    return f"{scope}{name}_{next(_uid)}".replace("/", "_")


class FuncGraph(Graph):
    """A graph for one function: `inputs` placeholders in, `outputs` tensors out."""

    def __init__(self, name: str, outer_graph: Graph | None = None):
        super().__init__()
        outer = outer_graph if outer_graph is not None else get_default_graph()
        self.name = name
        self._outer_graph = outer
        self._building_function = True
        self._capture = self.capture
        self.inputs: list[Tensor] = []
        self.outputs: list[Tensor] = []
        self.captures: list[tuple[Tensor, Tensor]] = []  # (outer tensor, placeholder) in capture order
        self.control_captures: list = []  # outer ops named in control_dependencies: run before the function
        self._captured: dict[Tensor, Tensor] = {}
        self.seed = outer.seed
        self._device_stack = list(outer._device_stack)
        self._collections = outer._collections  # shared, as while_v2 shares them
        self._gradient_override_map = dict(outer._gradient_override_map)

    @property
    def outer_graph(self) -> Graph:
        return self._outer_graph

    @property
    def external_captures(self) -> list[Tensor]:
        return [outer for outer, _ in self.captures]

    @property
    def internal_captures(self) -> list[Tensor]:
        return [inner for _, inner in self.captures]

    def control_dependencies(self, control_inputs):
        """As Graph's; ops of enclosing graphs become `control_captures` (they run before the function)."""
        if control_inputs is None:
            return super().control_dependencies(None)
        inner = []
        for c in control_inputs:
            if hasattr(c, "_as_graph_element") and not isinstance(c, (Tensor, Operation)):
                c = c._as_graph_element()
            op = c.op if isinstance(c, Tensor) else c
            if isinstance(op, Operation) and op.graph is not self:
                if op not in self.control_captures:
                    self.control_captures.append(op)
            else:
                inner.append(c)
        return super().control_dependencies(inner)

    def add_input(self, dtype, shape, name: str) -> Tensor:
        """A new argument placeholder, appended to `inputs`."""
        t = self._placeholder(dtype, shape, name)
        self.inputs.append(t)
        return t

    def _placeholder(self, dtype, shape, name: str) -> Tensor:
        with self.as_default(), self.control_dependencies(None), self.name_scope(None):
            return apply_op("Placeholder", name=name, dtype=dtype, shape=shape, graph=self)

    def capture(self, tensor: Tensor) -> Tensor:
        """The tensor of this graph standing for `tensor` of an enclosing graph."""
        inner = self._captured.get(tensor)
        if inner is not None:
            return inner
        op = tensor.op
        if _is_mirrored(op):
            inner = self._mirror(op)._outputs[tensor.value_index]
            self._captured[tensor] = inner
            return inner
        if tensor.graph is self._outer_graph:
            outer = tensor
        elif isinstance(self._outer_graph, FuncGraph):
            outer = self._outer_graph.capture(tensor)  # from further out: through each graph between
        else:
            raise ValueError(f"Tensor {tensor.name} must be from the same graph as the function "
                             f"'{self.name}' or a graph enclosing it (it belongs to another tf.Graph).")
        inner = self._captured.get(outer)
        if inner is None:
            inner = self._placeholder(outer.dtype, outer.shape, op.name.rsplit("/", 1)[-1])
            self.captures.append((outer, inner))
            self._captured[outer] = inner
        self._captured[tensor] = inner
        return inner

    def _mirror(self, op):
        """This graph's copy of a stateful source op (a variable), under the op's own name."""
        existing = self._get_operation_by_name_unsafe(op.name)
        if existing is not None and existing.type == op.type:
            return existing

        with self.as_default(), self.control_dependencies(None), self.name_scope(None):
            out = apply_op(op.type, name=op.name + "/", graph=self, **op._attrs)
        self._names_in_use[op.name.lower()] = max(1, self._names_in_use.get(op.name.lower(), 0))
        return out.op if isinstance(out, Tensor) else out[0].op

    def __repr__(self):
        return f"<estflow.FuncGraph '{self.name}' with {len(self._ops)} ops>"


def _is_mirrored(op) -> bool:
    """Variables (ref sources whose state the session keys by op name) are mirrored, not captured."""
    return op.type in ("VariableV2", "Variable", "VarHandleOp") and not op._inputs


# ---- nest: TF's rule (lists nest too); the helpers live in estflow.core.nest --------------------
def assert_same_structure(first, second, check_types: bool = True) -> None:
    """ValueError when the nesting differs, TypeError when sequence types differ (`tf.nest`)."""

    def check(a, b):
        if is_sequence(a) != is_sequence(b):
            raise ValueError("The two structures don't have the same nested structure.\n\n"
                             f"First structure: {first}\n\nSecond structure: {second}\n\n"
                             f"More specifically: Substructure \"{a}\" is a sequence, while substructure "
                             f"\"{b}\" is not" if is_sequence(a) else
                             "The two structures don't have the same nested structure.\n\n"
                             f"First structure: {first}\n\nSecond structure: {second}\n\n"
                             f"More specifically: Substructure \"{b}\" is a sequence, while substructure "
                             f"\"{a}\" is not")
        if not is_sequence(a):
            return
        if check_types and type(a) is not type(b) and not (isinstance(a, Mapping) and isinstance(b, Mapping)):
            raise TypeError(f"The two structures don't have the same sequence type. Input structure has type "
                            f"{type(a)}, while shallow structure has type {type(b)}.")
        if isinstance(a, Mapping) and sorted(a) != sorted(b):
            raise ValueError(f"The two dictionaries don't have the same set of keys. First structure has keys "
                             f"{sorted(a)}, while second structure has keys {sorted(b)}.")
        ca, cb = children(a), children(b)
        if len(ca) != len(cb):
            raise ValueError("The two structures don't have the same nested structure.\n\n"
                             f"First structure: {first}\n\nSecond structure: {second}\n\n"
                             f"More specifically: The two structures don't have the same number of elements. "
                             f"First structure: {a}. Second structure: {b}.")
        for x, y in zip(ca, cb, strict=False):
            check(x, y)

    check(first, second)
