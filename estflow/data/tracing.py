"""Dataset functions: traced once into a FuncGraph, compiled once per session, run per element or batch.

`StructuredFunction(fn, "map", input_spec)` builds placeholders with the element's dtypes
and static shapes and calls `fn` on them as TF does (a tuple element is unpacked into
positional arguments, anything else, a dict included, is one argument). Outer-graph
tensors the function uses are captured (their values come from the iterator's
initializer); variables are mirrored and read live. The result's structure and specs
become the function's `output_spec`.

Row-wise functions run once per batch. The function is *row-safe* when every op on the
path from its arguments to its outputs maps rows to rows: elementwise math, casts, string
ops, DecodeCSV, ... (each op's `OpDef.row_wise` rule, core/row_rules.py). Then
`f(stack(rows)) == stack(f(row) for row)`, and map/filter run `f` once on a chunk of rows
instead of once per row. Anything else (shape ops, reductions over the element, random
ops, tf.cond, sparse values) runs per element.
"""

from __future__ import annotations

import re

import numpy as np

from estflow.core import dtypes, row_rules
from estflow.core import plan as _plan
from estflow.core.func_graph import FuncGraph, unique_fn_name
from estflow.core.graph import Operation, Tensor, get_default_graph
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue
from estflow.data import structure
from estflow.data.dataset_ops import Dataset


class StructuredFunction:
    """A Python function of dataset elements, traced into a FuncGraph."""

    def __init__(self, func, transformation_name: str, input_spec, *, returns_dataset: bool = False):
        if not callable(func):
            raise TypeError(f"`{transformation_name}` expects a callable, got {type(func).__name__}.")
        self.func = func
        self.transformation_name = transformation_name
        self.input_spec = input_spec
        outer = get_default_graph()
        base = re.sub(r"[^A-Za-z0-9_]", "", getattr(func, "__name__", "fn")) or "lambda"
        graph = FuncGraph(unique_fn_name("", f"Dataset_{transformation_name}_{base}"), outer)
        self.graph = graph
        self._in_leaves = structure.flatten(input_spec)
        self._in_sparse = [structure.is_sparse(s) for s in self._in_leaves]
        with graph.as_default(), graph.device(None):
            args = [self._argument(graph, i, s) for i, s in enumerate(self._in_leaves)]
            packed = structure.pack_sequence_as(input_spec, args)
            result = func(*packed) if type(packed) is tuple else func(packed)
            if returns_dataset:
                self._dataset_result(graph, result)
            else:
                self._tensor_result(graph, result)
        self.arguments = list(graph.inputs)  # the argument placeholders (captures are listed apart)
        self.captures = list(graph.captures)
        self.external_captures = [outer_t for outer_t, _ in self.captures]
        self.row_safe = (not returns_dataset and not any(self._in_sparse) and not any(self._out_sparse)
                         and _row_safe(self))

    # ---- tracing --------------------------------------------------------------------------------
    @staticmethod
    def _argument(graph: FuncGraph, i: int, spec):
        if structure.is_sparse(spec):
            rank = spec.shape.ndims
            st = SparseTensor(graph.add_input(dtypes.int64, [None, rank], f"args_{i}_indices"),
                              graph.add_input(spec.dtype, [None], f"args_{i}_values"),
                              graph.add_input(dtypes.int64, [rank], f"args_{i}_dense_shape"))
            st._set_static_shape(spec.shape)
            return st
        return graph.add_input(spec.dtype, spec.shape, f"args_{i}")

    def _tensor_result(self, graph: FuncGraph, result) -> None:
        if isinstance(result, list):
            result = tuple(result)  # TF: a returned list is a tuple of components, not one stacked tensor
        leaves = structure.flatten(result)
        outputs, specs, sparse = [], [], []
        for x in leaves:
            if isinstance(x, Dataset):
                raise TypeError(f"The function given to `{self.transformation_name}` returned a Dataset; use "
                                "flat_map or interleave to map elements to datasets.")
            if isinstance(x, Operation):
                raise TypeError(f"The function given to `{self.transformation_name}` returned the operation "
                                f"'{x.name}'; return tensors (use tf.control_dependencies to run ops).")
            if isinstance(x, SparseTensorValue):
                x = SparseTensor.from_value(x)
            if isinstance(x, SparseTensor):
                outputs += [_in_graph(graph, x.indices), _in_graph(graph, x.values), _in_graph(graph, x.dense_shape)]
                specs.append(structure.SparseTensorSpec(x.shape, x.dtype))
                sparse.append(True)
                continue
            t = _in_graph(graph, x)
            outputs.append(t)
            specs.append(structure.TensorSpec(t.shape, t.dtype))
            sparse.append(False)
        graph.outputs = outputs
        self.output_spec = structure.pack_sequence_as(result, specs) if structure.is_nested(result) else specs[0]
        self._out_sparse = sparse
        self.inner_tensors = None

    def _dataset_result(self, graph: FuncGraph, result) -> None:
        if not isinstance(result, Dataset):
            raise TypeError(f"`map_func` must return a `Dataset` object. Got {type(result)}")
        self.dataset = result
        self.output_spec = result.element_spec
        self.inner_tensors = result._all_tensors()
        graph.outputs = [_in_graph(graph, t) for t in self.inner_tensors]
        self._out_sparse = []

    # ---- running --------------------------------------------------------------------------------
    def bind(self, env) -> BoundFunction:
        key = ("estflow.data.function", self.graph.name)
        compiled = env.ctx.state.get(key)
        if compiled is None:
            compiled = env.ctx.state[key] = _Compiled(self, env.ctx.session)
        return BoundFunction(self, compiled, [env.values[t] for t in self.external_captures])


def _in_graph(graph: FuncGraph, x) -> Tensor:
    t = x if isinstance(x, Tensor) else convert_to_tensor(x)
    return graph.capture(t) if t.graph is not graph else t


class _Compiled:
    """The function graph compiled for one session (a plan over a slot array)."""

    def __init__(self, fn: StructuredFunction, session):
        graph = fn.graph
        fed = list(fn.arguments) + [inner for _, inner in fn.captures]
        plan = _plan.Compiler(session).compile(list(graph.outputs), fed)
        self.steps = plan.steps
        self.template = plan.template
        self.run = _plan.execute_dead_aware if plan.dead_aware else _plan.execute
        slots = [f.slot for f in plan.feeds]
        n_args = len(fn.arguments)
        self.arg_slots = slots[:n_args]
        self.capture_slots = slots[n_args:]
        self.fetch_slots = plan.fetch_slots


_STRING = structure.TensorSpec([], dtypes.string)  # what `as_value` makes of a string output (its dtype decides)


class BoundFunction:
    """A compiled function with its captured values: call it on elements or on chunks."""

    def __init__(self, fn: StructuredFunction, compiled: _Compiled, captures: list):
        self.fn = fn
        self.steps = compiled.steps
        self.run = compiled.run
        self.arg_slots = compiled.arg_slots
        self.fetch_slots = compiled.fetch_slots
        base = compiled.template.copy()
        for s, v in zip(compiled.capture_slots, captures, strict=False):
            base[s] = v
        self.base = base
        self.sparse_in = any(fn._in_sparse)
        self.sparse_out = fn._out_sparse if any(fn._out_sparse) else None
        out_leaves = [] if fn.inner_tensors is not None else structure.flatten(fn.output_spec)
        self.string_out = [i for i, s in enumerate(out_leaves)
                           if s.dtype == dtypes.string and not structure.is_sparse(s)]
        self.dependent = getattr(fn, "_dependent_outputs", None)

    def _slots(self, args) -> list:
        slots = self.base.copy()
        if self.sparse_in:
            flat = []
            for v, is_sparse in zip(args, self.fn._in_sparse, strict=False):
                flat.extend(v if is_sparse else (v,))
            args = flat
        for s, v in zip(self.arg_slots, args, strict=False):
            slots[s] = v
        self.run(self.steps, slots)
        return slots

    def raw(self, args) -> list:
        """The flat output tensors' values (for dataset-returning functions: the inner dataset's tensors)."""
        slots = self._slots(args)
        return [slots[s] for s in self.fetch_slots]

    def __call__(self, args) -> list:
        """One element in, one element (flat components) out."""
        slots = self._slots(args)
        out = [slots[s] for s in self.fetch_slots]
        if self.sparse_out is not None:
            packed, i = [], 0
            for is_sparse in self.sparse_out:
                if is_sparse:
                    packed.append(SparseTensorValue(*out[i:i + 3]))
                    i += 3
                else:
                    packed.append(out[i])
                    i += 1
            out = packed
        for i in self.string_out:
            v = out[i]
            if v.__class__ is not np.ndarray or v.dtype.kind != "O":  # (an object array is already a string value)
                out[i] = structure.as_value(v, _STRING)
        return out

    def call_group(self, elements: list):
        """Several elements of a row-safe function (batches: their components share the leading dimension) in
        one call on their rows joined, each element's outputs cut back out; None when they cannot be joined,
        the call fails or an output dependent on the rows is not row-shaped (then call them one by one)."""
        sizes = [len(e[0]) for e in elements]
        try:
            for e, n in zip(elements, sizes, strict=True):
                for v in e:
                    if len(v) != n:
                        return None
            joined = [np.concatenate(parts) for parts in zip(*elements, strict=True)]
        except (ValueError, TypeError):  # components of other row counts, shapes or kinds
            return None
        total = sum(sizes)
        slots = self.base.copy()
        for s, v in zip(self.arg_slots, joined, strict=False):
            slots[s] = v
        try:
            self.run(self.steps, slots)
        except Exception:  # an OpError, or anything a kernel raises: the batches one by one say where and what
            return None
        outs = []
        for s, dependent in zip(self.fetch_slots, self.fn._batch_dependent, strict=False):
            v = slots[s]
            if dependent and getattr(v, "shape", ())[:1] != (total,):
                return None
            outs.append((v, dependent))
        results, start = [], 0
        for n in sizes:
            out = [v[start:start + n] if dependent else v for v, dependent in outs]
            for i in self.string_out:
                v = out[i]
                if v.__class__ is not np.ndarray or v.dtype.kind != "O":
                    out[i] = structure.as_value(v, _STRING)
            results.append(out)
            start += n
        return results

    def call_chunk(self, chunk: list):
        """A chunk of rows in, a chunk out (row-safe functions only); None when the result is not row-shaped."""
        n = len(chunk[0])
        slots = self.base.copy()
        for s, v in zip(self.arg_slots, chunk, strict=False):
            slots[s] = v
        self.run(self.steps, slots)
        out = []
        for s, dependent in zip(self.fetch_slots, self.dependent, strict=False):
            v = slots[s]
            if dependent:
                if getattr(v, "shape", ())[:1] != (n,):
                    return None
                out.append(np.asarray(v))
            else:
                v = np.asarray(v)
                out.append(np.broadcast_to(v, (n,) + v.shape))
        return out


# ---- row safety -----------------------------------------------------------------------------------
def batch_safe(fn: StructuredFunction) -> bool:
    """Whether `fn`, traced on batches (rows along dim 0 of every argument), gives for consecutive batches
    joined the rows it gives for each: f(concat(b1, b2)) == concat(f(b1), f(b2)) along dim 0.

    Stricter than `row_safe` (which is about rows stacked on a new leading axis): every op between the
    arguments and the outputs works element by element and broadcasts nothing along dim 0 (elementwise math,
    comparisons, casts, DecodeCSV), or is a Reshape to a constant [-1, d1, ...] keeping each row's elements.
    Computed once per function.
    """
    cached = getattr(fn, "_batch_safe", None)
    if cached is None:
        cached = fn._batch_safe = (fn.inner_tensors is None and not any(fn._in_sparse) and not any(fn._out_sparse)
                                   and _batch_safe(fn))
    return cached


_ELEMENTWISE_RULES = (row_rules.elementwise, row_rules.scalar_constants, row_rules.all_inputs)
_PER_RECORD = frozenset({"DecodeCSV"})  # row_rules.first_input ops that treat every element of input 0 alone


def _batch_safe(fn: StructuredFunction) -> bool:
    args = set(fn.arguments[:len(fn._in_leaves)])
    dependent: dict = {}
    for op in _ops_before(fn.graph.outputs):
        if op._type == "Placeholder":
            dependent[op] = op._outputs[0] in args
            continue
        dep = [dependent[t.op] for t in op._inputs]
        dependent[op] = any(dep)
        if any(dependent.get(c) for c in op._control_inputs):
            return False
        if not any(dep):
            if op._op_def.stateful or op._op_def.make_kernel is not None:
                return False  # random ops, variables read live, ...: they would run once per group, not per batch
            continue
        if op._type == "Reshape":
            if not _rows_kept_by_reshape(op, dep):
                return False
            continue
        rule = op._op_def.row_wise
        if rule in _ELEMENTWISE_RULES:
            if not rule(op, dep) or not _no_broadcast_on_rows(op, dep):
                return False
        elif not (op._type in _PER_RECORD and rule is row_rules.first_input and rule(op, dep)):
            return False
    fn._batch_dependent = [dependent[t.op] for t in fn.graph.outputs]
    return True


def _ops_before(tensors) -> list:
    """The ops `tensors` need, inputs first."""
    order, seen = [], set()
    stack = [t.op for t in tensors]
    while stack:
        op = stack[-1]
        if op in seen:
            stack.pop()
            continue
        pending = [t.op for t in op._inputs if t.op not in seen] + [c for c in op._control_inputs if c not in seen]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        seen.add(op)
        order.append(op)
    return order


def _no_broadcast_on_rows(op, dependent) -> bool:
    """Inputs without rows have fewer dims than those with rows, or one row (numpy broadcasting never makes
    them row-long)."""
    ranks = {t.shape.ndims for t, d in zip(op._inputs, dependent, strict=False) if d}
    if len(ranks) != 1 or not ranks.pop():
        return False
    rank = next(t.shape.ndims for t, d in zip(op._inputs, dependent, strict=False) if d)
    for t, d in zip(op._inputs, dependent, strict=False):
        if not d:
            n = t.shape.ndims
            if n is None or (n == rank and t.shape.dims[0].value != 1):
                return False
    return True


def _rows_kept_by_reshape(op, dependent) -> bool:
    """Reshape(rows, [-1, d1, ...]) with a constant shape whose row size is each input row's (known, > 0)."""
    if dependent[1]:
        return False
    shape = op._inputs[1]._const_value
    dims = op._inputs[0].shape.dims
    if shape is None or np.ndim(shape) != 1 or len(shape) == 0 or int(shape[0]) != -1 or not dims:
        return False
    target = [int(d) for d in shape[1:]]
    inner = [d.value for d in dims[1:]]
    if any(d < 0 for d in target) or any(d is None for d in inner):
        return False
    size = int(np.prod(target, dtype=np.int64))
    return size > 0 and size == int(np.prod(inner, dtype=np.int64))


def _row_safe(fn: StructuredFunction) -> bool:
    """Whether every op between the arguments and the outputs is row-wise (see the module docstring)."""
    graph = fn.graph
    args = set(fn.arguments[:len(fn._in_leaves)])
    dependent: dict = {}
    for op in _ops_before(graph.outputs):
        if op._type == "Placeholder":
            dependent[op] = op._outputs[0] in args
            continue
        dep = [dependent[t.op] for t in op._inputs]
        if any(dependent.get(c) for c in op._control_inputs):
            return False
        rule = op._op_def.row_wise
        if not any(dep):
            if (op._op_def.stateful or op._op_def.make_kernel is not None) and rule is None:
                return False  # random ops, iterators, ...: they differ from row to row
            dependent[op] = False
            continue
        if rule is None or not rule(op, dep):
            return False
        dependent[op] = True
    fn._dependent_outputs = [dependent[t.op] for t in graph.outputs]
    return True
