"""Control flow: no_op, group, tuple, Assert; cond and case (Switch/Merge); while_loop.

`cond` builds TF1's Switch/Merge graph. Each branch is built inside a `CondContext`:
every tensor the branch uses from outside becomes `Switch(t, pred)[branch]`, and every
op of the branch without an input from inside the branch gets a control input on the
branch's pivot. The session propagates dead values from the untaken Switch output, so
no op of the untaken branch runs (an `assign_add` there never happens), and `Merge`
forwards the one live input:

    cond/Switch   (pred, pred)   -> switch_f, switch_t   the pivots (Identity)
    cond/Switch_1 (x, pred_id)   -> [x_false, x_true]    one per outer tensor and branch
    ... branch ops ...
    cond/Merge    (false_out, true_out) -> (value, value_index)

`while_loop` is the functional `While` op of `while_v2.py`, re-exported here.
"""

from __future__ import annotations

import builtins
import weakref

from estflow.core import dtypes, errors
from estflow.core.dead import DEAD
from estflow.core.func_graph import assert_same_structure
from estflow.core.graph import Operation, Tensor, _graph_of, get_default_graph
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.nest import flatten, pack_sequence_as
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.tensor_array import TensorArray, build_ta_with_new_flow
from estflow.core.ops.while_v2 import while_loop as while_loop
from estflow.core.registry import Fusion, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_Tuple = builtins.tuple  # `tuple` below is tf.tuple


def _convert(value, dtype=None, name=None, preferred_dtype=None):
    return convert_to_tensor(value, dtype=dtype, name=name, preferred_dtype=preferred_dtype)


def _identity(x, name=None):
    return apply_op("Identity", x, name=name or "Identity")


# ================================================================================================
# NoOp, group, tuple, with_dependencies, Assert
# ================================================================================================
register(OpDef("NoOp", infer=lambda: [], kernel=None, differentiable=False))


def no_op(name=None) -> Operation:
    """An op that does nothing: a node to hang control dependencies on."""
    return apply_op("NoOp", name=name or "NoOp")


def group(*inputs, name=None) -> Operation:
    """An op that runs all `inputs` (tensors or ops), as `tf.group`.

        train_op = tf.group(update_w, update_b)
    """
    flat = []

    def add(x):
        if isinstance(x, (list, _Tuple)):
            for y in x:
                add(y)
        elif isinstance(x, dict):
            for y in x.values():
                add(y)
        elif x is not None:
            if hasattr(x, "_as_graph_element") and not isinstance(x, (Tensor, Operation)):
                x = x._as_graph_element()
            op = x.op if isinstance(x, Tensor) else x
            if not isinstance(op, Operation):
                raise TypeError(f"Expected a tf.Operation or tf.Tensor in tf.group, got {x!r}.")
            if op not in flat:
                flat.append(op)

    add(list(inputs))
    g = _graph_of(flat) if flat else get_default_graph()
    with g.as_default(), g.name_scope(name or "group_deps") as scope:
        with g.control_dependencies(flat):
            return no_op(name=scope)


def with_dependencies(dependencies, output_tensor, name=None) -> Tensor:
    """`output_tensor` as a new Identity that runs only after all `dependencies`."""
    g = _graph_of(list(dependencies) + [output_tensor])
    with g.as_default(), g.name_scope(name or "control_dependency") as scope:
        with g.control_dependencies(dependencies):
            return _identity(_convert(output_tensor), name=scope)


def tuple(tensors, name=None, control_inputs=None):  # noqa: A001 - TF's public name
    """Each tensor passed through once *all* of them (and `control_inputs`) are computed (`tf.tuple`).

        a2, b2 = tf.tuple([a, b])     # reading a2 guarantees b was computed too
    """
    g = _graph_of([t for t in tensors if isinstance(t, (Tensor, Operation))])
    with g.as_default(), g.name_scope(name or "tuple"):
        tensors = [t if t is None or isinstance(t, (Tensor, Operation)) else _convert(t) for t in tensors]
        gating = [t if isinstance(t, Operation) else t.op for t in tensors if t is not None]
        for c in control_inputs or ():
            if isinstance(c, Tensor):
                c = c.op
            elif not isinstance(c, Operation):
                raise TypeError(f"'control_inputs' must only contain Operation or Tensor. Received: {type(c)}")
            gating.append(c)
        gating = sorted(set(gating), key=lambda op: op._id)
        if not gating:
            raise ValueError(f"'tensors' must have at least one Tensor. Received: {tensors}.")
        gate = group(*gating)
        out = []
        for t in tensors:
            if isinstance(t, Tensor):
                out.append(with_dependencies([gate], t))
            elif isinstance(t, Operation):
                with g.control_dependencies([gate]):
                    out.append(group(t))
            else:
                out.append(None)
        return out


def _format_value(x, summarize: int) -> str:
    """TF's SummarizeValue: at most `summarize` elements, nested dims in brackets."""
    import numpy as np  # host-side message formatting (the Assert kernel is CPU-only)

    a = np.asarray(x)
    if a.dtype == object:
        a = np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b),
                         otypes=[object])(a)
    elif a.dtype == bool:
        a = a.astype(np.int8)
    flat = a.reshape(-1)
    shown = [str(v) for v in flat[: max(summarize, 0)]] if summarize >= 0 else [str(v) for v in flat]
    if a.ndim == 0:
        return shown[0] if shown else ""
    truncated = len(shown) < flat.size

    def dim(level, start):
        if level == a.ndim - 1:
            n = a.shape[level]
            return " ".join(shown[start:start + n]), n
        parts, used = [], 0
        for _ in range(a.shape[level]):
            s, n = dim(level + 1, start + used)
            parts.append(f"[{s}]")
            used += n
            if start + used >= len(shown):
                break
        return "".join(parts), used

    body, _ = dim(0, 0)
    return body + ("..." if truncated else "")


def _assert_kernel(xp, condition, *data, T=None, summarize=3):
    if not bool(condition):
        text = " ".join(f"[{_format_value(x, summarize)}]" for x in data)
        raise errors.InvalidArgumentError(None, None, f"assertion failed: {text}")


def _culprits_of(t):
    """(values, mask, gather_nd, where) when `t` is GatherNd(values, Where(mask)) read only by an Assert
    (the entries a failing check names, `boolean_mask` style), else None."""
    gather = t._op
    if gather._type != "GatherNd" or len(t._consumers) != 1 or gather._control_inputs:
        return None
    values, indices = gather._inputs
    where = indices._op
    if where._type != "Where" or len(indices._consumers) != 1 or where._control_inputs:
        return None
    return values, where._inputs[0], gather, where


def _fuse_lazy_culprits(op):
    """Assert whose data gathers the failing entries (GatherNd(values, Where(mask)): estimator heads'
    label checks) as one step that computes them only when the condition fails. Where `mask` and
    `values` have one shape (rank >= 1) those ops cannot fail and their values show only in the
    message, so a passing step skips them; otherwise the step runs them first, as the unfused ops
    run, with their errors. The condition and the message are the Assert kernel's own."""
    data = op._inputs[1:]
    found = [_culprits_of(t) for t in data]
    if not any(found):
        return None
    inputs, skipped, plans = [op._inputs[0]], [], []
    for t, f in zip(data, found, strict=True):
        if f is None:
            inputs.append(t)
            plans.append(None)
        else:
            values, mask, gather, where = f
            inputs.extend((values, mask))
            skipped.extend((t, gather._inputs[1]))
            plans.append((gather._op_def.kernel, dict(gather._attrs), where._op_def.kernel, dict(where._attrs)))
    attrs = dict(op._attrs)

    def kernel(xp, condition, *arrays):
        parts, i, safe = [], 0, True
        for plan in plans:
            if plan is None:
                parts.append(arrays[i])
                i += 1
            else:
                parts.append(plan + (arrays[i], arrays[i + 1]))
                safe = safe and arrays[i + 1].ndim >= 1 and arrays[i].shape == arrays[i + 1].shape
                i += 2
        if safe and condition.__class__ is not bool and getattr(condition, "size", 0) == 1 and bool(condition):
            return None
        data_values = []
        for part in parts:
            if part.__class__ is _Tuple:
                gather_nd, g_attrs, where, w_attrs, values, mask = part
                part = gather_nd(xp, values, where(xp, mask, **w_attrs), **g_attrs)
            data_values.append(part)
        return _assert_kernel(xp, condition, *data_values, **attrs)

    return Fusion(_Tuple(inputs), kernel, _Tuple(skipped))


# Ops a shape check may be built of: pure functions of their inputs, so their values follow from the shapes
# the check's Shape ops read (with the constants).
_SHAPE_CHECK_OPS = frozenset(("StridedSlice", "ConcatV2", "Equal", "NotEqual", "All", "Pack", "Slice", "Cast",
                              "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalNot", "LogicalAnd",
                              "Size", "Rank", "Sub", "AddV2", "Prod"))
_SHAPE_CHECK_CACHE_LIMIT = 16  # a few batch shapes recur; never grow without bound


def _fuse_shape_check(op):
    """Assert whose condition and data depend on tensors' shapes alone (the heads' "labels shape must
    be [batch, 1]" check: Shape, StridedSlice, ConcatV2, Equal, All) as one step reading those tensors.

    The ops' values follow from the shapes, so the step runs their kernels once per distinct set of
    shapes and keeps the condition and data; a training step of a recurring batch shape then only
    compares shapes. A failing check raises the Assert's message from the same values.
    """
    order, leaves, seen = [], [], set()
    stack = list(op._inputs)
    while stack:
        t = stack.pop()
        src = t._op
        if src in seen:
            continue
        if src._control_inputs or src._type not in _SHAPE_CHECK_OPS | {"Shape", "Const"}:
            return None
        seen.add(src)
        if src._type == "Shape":
            leaves.append(src._inputs[0])
        elif src._type != "Const":
            stack.extend(src._inputs)
        order.append(src)
    inside = seen | {op}
    if not leaves or any(c not in inside for o in seen if o._type != "Const" for out in o._outputs
                         for c in out._consumers):
        return None  # a value read outside the check: its op stays a step
    leaves = list(dict.fromkeys(leaves))
    order = _topological(order)
    attrs, cache = dict(op._attrs), {}

    def kernel(xp, *arrays):
        key = _Tuple(a.shape for a in arrays)
        found = cache.get(key)
        if found is None:
            values = dict(zip(leaves, arrays, strict=True))
            for o in order:
                if not o._inputs:  # a Const
                    values[o._outputs[0]] = o._op_def.kernel(xp, **o._attrs)
                else:
                    outs = o._op_def.kernel(xp, *[values[t] for t in o._inputs], **o._attrs)
                    if len(o._outputs) == 1:
                        values[o._outputs[0]] = outs
                    else:
                        values.update(zip(o._outputs, outs, strict=True))
            found = [values[t] for t in op._inputs]
            if len(cache) >= _SHAPE_CHECK_CACHE_LIMIT:
                cache.clear()
            cache[key] = found
        condition = found[0]
        if condition.__class__ is not bool and getattr(condition, "size", 0) == 1 and bool(condition):
            return None
        return _assert_kernel(xp, *found, **attrs)

    skipped = _Tuple(t for o in seen for t in o._outputs)  # a fed one (a constant too) keeps the ops
    return Fusion(_Tuple(leaves), kernel, skipped)


def _topological(ops):
    """`ops` ordered so that each follows those of them its inputs come from."""
    members, done, out = set(ops), set(), []

    def visit(o):
        if o in done:
            return
        done.add(o)
        for t in o._inputs:
            if t._op in members:
                visit(t._op)
        out.append(o)

    for o in ops:
        visit(o)
    return out


def _fuse_assert(op):
    return _fuse_lazy_culprits(op) or _fuse_shape_check(op)


def _infer_assert(condition, *data, T=None, summarize=3):
    if condition.dtype != dtypes.bool:
        raise TypeError(f"Input 'condition' of 'Assert' Op has type {condition.dtype.name} that does not match "
                        "expected type of bool.")
    return []


register(OpDef("Assert", infer=_infer_assert, kernel=_assert_kernel, attrs={"T": None, "summarize": 3},
               stateful=True, cpu_only=True, differentiable=False, fuse=_fuse_assert,
               input_names=("condition: bool", "data: T"),
               attr_types={"T": "list(type) >= 1", "summarize": "int"}))


def Assert(condition, data, summarize=None, name=None) -> Operation:  # noqa: N802 - TF's public name
    """An op raising InvalidArgumentError("assertion failed: [...]") when `condition` is False (`tf.Assert`).

        check = tf.Assert(tf.reduce_all(x > 0), ["x must be positive:", x])
        with tf.control_dependencies([check]): y = tf.log(x)
    """
    data = [_convert(d) for d in data]
    return apply_op("Assert", condition, *data, name=name or "Assert", T=_Tuple(d.dtype for d in data),
                    summarize=3 if summarize is None else int(summarize))


# ================================================================================================
# Switch and Merge
# ================================================================================================
def _infer_switch(data, pred):
    if pred.dtype != dtypes.bool:
        raise TypeError(f"Input 'pred' of 'Switch' Op has type {pred.dtype.name} that does not match expected "
                        "type of bool.")
    if pred.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {pred.shape.ndims}")
    return [TensorSpec(data.shape, data.dtype), TensorSpec(data.shape, data.dtype)]


def _make_switch(op, ctx):
    dead = DEAD

    def switch(data, pred):
        return (dead, data) if pred else (data, dead)

    return switch


def _switch_grad(op, grad_false, grad_true):
    """TF's _SwitchGrad: merge the branch gradients; the side without one gets zeros, live
    exactly when that side is taken (a zeros_like of a fresh Switch of the same data)."""
    data, pred = op.inputs
    grads = [grad_false, grad_true]
    if all(g is None for g in grads):
        return None, None
    for i, g in enumerate(grads):
        if g is None:
            side = apply_op(op._type, data, pred, name="Switch")[i]
            grads[i] = apply_op("ZerosLike", side, name="zeros_like")
        else:
            grads[i] = _dense(g)
    return merge(grads, name="cond_grad")[0], None


register(OpDef(
    "Switch",
    infer=_infer_switch,
    make_kernel=_make_switch,  # never folded at build time: one output is always dead
    grad=_switch_grad,
    aliases_input=True,
    input_names=("data: T", "pred: bool"), output_names=("output_false: T", "output_true: T"),
    attr_types={"T": "type"},
    emits_dead=True,
))


def _infer_ref_switch(ref, pred):
    return _infer_switch(ref, pred)


def _make_ref_switch(op, ctx):
    dead = DEAD
    read = _variable_reader(op, ctx)

    def ref_switch(pred):
        return (dead, read()) if pred else (read(), dead)

    return ref_switch


def _variable_reader(op, ctx):
    from estflow.core.variables import _make_variable_read  # variables builds on control flow

    return _make_variable_read(op._inputs[0]._op, ctx)


# A Switch of a variable itself (TF's ref-typed Switch): the variable is read when the
# switch runs, not before, so a cond can read a variable only on the branch that needs it
# (`v.initialized_value()` reads nothing while `v` is uninitialized). cond gives it a
# control input on the branch pivot, so it never runs on the untaken branch.
register(OpDef(
    "RefSwitch",
    infer=_infer_ref_switch,
    make_kernel=_make_ref_switch,
    grad=_switch_grad,
    ref_inputs=(0,),
    aliases_input=True,
    input_names=("data: Ref(T)", "pred: bool"), output_names=("output_false: Ref(T)", "output_true: Ref(T)"),
    attr_types={"T": "type"},
    emits_dead=True, forwards_ref=True,
))


def _infer_merge(*inputs, N=None, T=None):
    shape = inputs[0].shape
    for s in inputs[1:]:
        a, b = shape.as_tuple(), s.shape.as_tuple()
        if a is None or b is None or len(a) != len(b):
            shape = TensorShape(None)
            break
        shape = TensorShape([x if x == y else None for x, y in zip(a, b, strict=False)])
    return [TensorSpec(shape, inputs[0].dtype), TensorSpec((), dtypes.int32)]


def _make_merge(op, ctx):
    dead = DEAD
    indices = [ctx.xp.asarray(i, dtype=ctx.xp.int32) for i in range(len(op._inputs))]

    def merge_kernel(*inputs):
        for i, x in enumerate(inputs):
            if x is not dead:
                return x, indices[i]
        return dead, dead

    return merge_kernel


_cond_merge_preds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Merge op -> cond's pred_id


def _merge_grad(op, grad, _value_index_grad=None):
    """TF's _MergeGrad: route the gradient back into the input that was live."""
    if grad is None:
        return [None] * len(op._inputs)
    grad = _dense(grad)
    pred = _cond_merge_preds.get(op)
    if pred is not None:
        return list(apply_op("Switch", grad, pred, name="cond_grad"))
    out = []
    for i in range(len(op._inputs)):
        taken = apply_op("Equal", op.outputs[1], _convert(i, dtype=dtypes.int32), name="Equal",
                         incompatible_shape_error=True)
        out.append(apply_op("Switch", grad, taken, name="cond_grad")[1])
    return out


register(OpDef(
    "Merge",
    infer=_infer_merge,
    make_kernel=_make_merge,  # the session hands Merge its dead inputs
    grad=_merge_grad,
    attrs={"N": None, "T": None},
    same_dtype="all",
    aliases_input=True,
    input_names=("inputs: N * T",), output_names=("output: T", "value_index: int32"),
    attr_types={"T": "type", "N": "int >= 1"},
    accepts_dead=True,
))


def _dense(g):
    if isinstance(g, IndexedSlices):
        return _convert(g)
    return g


def switch(data, pred, name=None):
    """(output_false, output_true): `data` on the side `pred` selects; the other side is dead."""
    return apply_op("Switch", data, pred, name=name or "Switch")


def merge(inputs, name=None):
    """(output, value_index): the first of `inputs` that is not dead, and its index."""
    inputs = [_convert(x) for x in inputs]
    return apply_op("Merge", *inputs, name=name or "Merge", N=len(inputs), T=inputs[0].dtype)


# ================================================================================================
# cond
# ================================================================================================
def _is_ref(t: Tensor) -> bool:
    """A variable itself (TF1's ref): a ref input (assign's) keeps it as is; a value use inside a
    branch reads it through a RefSwitch, i.e. only when that branch runs."""
    return t._op._type in ("VariableV2", "Variable") and not t._op._inputs


class CondContext:
    """The context one branch of a `cond` is built in (installed as `graph._cond_context`)."""

    def __init__(self, pred: Tensor, pivot: Tensor, branch: int, outer_context):
        self.pred = pred
        self.pivot = pivot
        self.branch = branch
        self.outer_context = outer_context
        self._switched: dict[Tensor, Tensor] = {}
        self._internal = {pred, pivot}

    def contains(self, t: Tensor) -> bool:
        return t in self._internal or self.contains_op(t._op)

    def contains_op(self, op: Operation) -> bool:
        if op is self.pivot._op:
            return True
        ctx = op._ctx
        while ctx is not None:
            if ctx is self:
                return True
            ctx = getattr(ctx, "outer_context", None)
        return False

    # ---- graph hooks ----------------------------------------------------------------------
    def rewrite_inputs(self, inputs, op_def=None):
        refs = op_def.ref_inputs if op_def is not None else ()
        out = []
        for i, t in enumerate(inputs):
            if self.contains(t) or (i in refs and _is_ref(t)):
                out.append(t)  # ref inputs (assign's variable) stay the variable itself
            else:
                out.append(self.switch(t))
        return out

    def control_inputs_for(self, inputs, deps):
        if any(self.contains(t) for t in inputs) or any(self.contains_op(c) for c in deps):
            return deps
        return list(deps) + [self.pivot._op]

    # ---- values ---------------------------------------------------------------------------------
    def switch(self, t: Tensor) -> Tensor:
        """`Switch(t, pred)[branch]`, made once per outer tensor (in the enclosing context)."""
        s = self._switched.get(t)
        if s is None:
            g = self.pred.graph  # a tensor of an enclosing graph is captured by apply_op first
            saved_ctx, saved_deps = g._cond_context, g._control_dependencies_stack
            g._cond_context, g._control_dependencies_stack = self.outer_context, []
            try:
                if _is_ref(t):
                    s = apply_op("RefSwitch", t, self.pred, name="RefSwitch", graph=g,
                                 control_inputs=[self.pivot._op])[self.branch]
                else:
                    s = apply_op("Switch", t, self.pred, name="Switch", graph=g)[self.branch]
            finally:
                g._cond_context, g._control_dependencies_stack = saved_ctx, saved_deps
            self._switched[t] = s
            self._internal.add(s)
        return s

    def build_output(self, value):
        """A branch result as a tensor of this branch (TF1's _BuildCondTensor)."""
        if isinstance(value, Operation):
            return with_dependencies([value], self.pivot)
        t = _convert(value)
        return t if self.contains(t) else self.switch(t)


def _components(x):
    """Leaves of a branch result, with sparse values split into their component tensors and a
    TensorArray into its flow (TF1's cond merges the flow; the handle is the same in both branches)."""
    if isinstance(x, TensorArray):
        return [x.flow], lambda p: build_ta_with_new_flow(x, p[0])
    if hasattr(x, "indices") and hasattr(x, "values") and hasattr(x, "dense_shape") and not isinstance(x, Tensor):
        parts = [x.indices, x.values] + ([x.dense_shape] if x.dense_shape is not None else [])
        return parts, lambda p: type(x)(indices=p[0], values=p[1], dense_shape=p[2] if len(p) > 2 else None)
    return [x], lambda p: p[0]


def _build_branch(g, ctx: CondContext, fn, fn_name: str):
    saved = g._cond_context
    g._cond_context = ctx
    try:
        original = fn()
        if original is None:
            raise ValueError(f"{fn_name} must have a return value.")
        flat = []
        for leaf in flatten(original):
            parts, _ = _components(leaf)
            flat.extend(ctx.build_output(p) for p in parts)
    finally:
        g._cond_context = saved
    return original, flat


def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """`true_fn()` if `pred` else `false_fn()`, running only the branch taken (`tf.cond`).

        y = tf.cond(x > 0, lambda: tf.sqrt(x), lambda: tf.zeros([]))

    Both functions must return the same structure of tensors; a single-element list or
    tuple is unpacked unless `strict=True`. Ops created inside a branch run only when that
    branch is taken; tensors from outside it are computed either way.
    """
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): true_fn and fn1 may not be set simultaneously.")
        true_fn = fn1
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): false_fn and fn2 may not be set simultaneously.")
        false_fn = fn2
    if not callable(true_fn):
        raise TypeError("true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("false_fn must be callable.")
    if isinstance(pred, bool):
        raise TypeError("pred must not be a Python bool")
    g = _graph_of([pred])
    with g.as_default(), g.name_scope(name or "cond"):
        pred = _convert(pred)
        p_false, p_true = switch(pred, pred)
        pivot_true = _identity(p_true, name="switch_t")
        pivot_false = _identity(p_false, name="switch_f")
        pred_id = _identity(pred, name="pred_id")
        outer = g._cond_context
        ctx_t = CondContext(pred_id, pivot_true, 1, outer)
        orig_t, res_t = _build_branch(g, ctx_t, true_fn, "true_fn")
        ctx_f = CondContext(pred_id, pivot_false, 0, outer)
        orig_f, res_f = _build_branch(g, ctx_f, false_fn, "false_fn")
        try:
            assert_same_structure(orig_t, orig_f)
        except TypeError as e:
            raise TypeError(f"Incompatible return types of true_fn and false_fn: {e}") from None
        except ValueError as e:
            raise ValueError(f"Incompatible return values of true_fn and false_fn: {e}") from None
        if len(res_t) != len(res_f):
            raise ValueError("Incompatible return values of true_fn and false_fn: the branches return sparse "
                             "tensors with and without dense_shape.")
        if not res_t:
            raise ValueError("true_fn and false_fn must return at least one result.")
        for x, y in zip(res_t, res_f, strict=False):
            if x.dtype.base_dtype != y.dtype.base_dtype:  # TF1's cond: a ref output matches its value type
                raise ValueError(f"Outputs of true_fn and false_fn must have the same type: "
                                 f"{x.dtype.name}, {y.dtype.name}")
        merged = []
        for f, t in zip(res_f, res_t, strict=False):
            out = merge([f, t])
            _cond_merge_preds[out[0].op] = pred_id
            merged.append(out[0])
        it = iter(merged)
        leaves = []
        for leaf in flatten(orig_t):
            parts, rebuild = _components(leaf)
            leaves.append(rebuild([next(it) for _ in parts]))
        result = pack_sequence_as(orig_t, leaves)
        if not strict and isinstance(result, (list, _Tuple)) and len(result) == 1:
            result = result[0]
        return result


def smart_cond(pred, true_fn=None, false_fn=None, name=None):
    """`cond`, or just the branch when `pred` is a Python bool or a value known at build time."""
    if isinstance(pred, Tensor):
        value = pred._const_value
        if value is None:
            return cond(pred, true_fn=true_fn, false_fn=false_fn, name=name)
        pred = bool(value)
    elif not isinstance(pred, bool) and pred not in (0, 1):
        raise TypeError(f"`pred` must be a Tensor, or a Python bool, or 1 or 0. Found instead: {pred}")
    return true_fn() if pred else false_fn()


# ================================================================================================
# case
# ================================================================================================
def _case_check_args(pred_fn_pairs, exclusive, name):
    if not isinstance(pred_fn_pairs, (list, _Tuple, dict)):
        raise TypeError(f"'pred_fn_pairs' must be a list, tuple, or dict. Received: {type(pred_fn_pairs)}")
    if isinstance(pred_fn_pairs, dict):
        pred_fn_pairs = sorted(pred_fn_pairs.items(), key=lambda item: item[0].name)
    for pair in pred_fn_pairs:
        if not isinstance(pair, _Tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'pred_fn_pairs' must be a 2-tuple. Received {pair}.")
        pred, fn = pair
        if not isinstance(pred, Tensor):
            raise TypeError(f"pred must be a Tensor, got: {pred}")
        if pred.dtype != dtypes.bool:
            raise TypeError(f"pred must be Tensor of type bool: {pred.name}")
        if not callable(fn):
            raise TypeError(f"fn for pred {pred.name} must be callable.")
    if not pred_fn_pairs:
        return [], []
    predicates, actions = zip(*pred_fn_pairs, strict=False)
    return list(predicates), list(actions)


def _stacked(predicates):
    return apply_op("Pack", *predicates, name="preds_c", axis=0, N=len(predicates))


def _assert_at_most_n_true(predicates, n, msg):
    preds_c = _stacked(predicates)
    as_int = apply_op("Cast", preds_c, name="Cast", DstT=dtypes.int32, Truncate=False)
    num_true = apply_op("Sum", as_int, _convert(0, dtype=dtypes.int32), name="num_true_conds", keep_dims=False)
    condition = apply_op("LessEqual", num_true, _convert(n, dtype=dtypes.int32, name="n_true_conds"),
                         name="LessEqual")
    names = ", ".join(getattr(p, "name", "?") for p in predicates)
    return Assert(condition, [f"{msg}: more than {n} conditions ({names}) evaluated as True:", preds_c],
                  summarize=len(predicates))


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """The result of the first `fn` whose `pred` is True, else `default()` (`tf.case`).

        y = tf.case([(x < 0, lambda: -x), (x > 10, lambda: x - 10)], default=lambda: x)

    Built from nested conds, so only the chosen function's ops run. With `exclusive=True`
    an assertion checks that at most one predicate is True. Without `default`, the last
    pair serves as the default and asserts that its predicate holds.
    """
    predicates, actions = _case_check_args(pred_fn_pairs, exclusive, name)
    g = _graph_of(predicates)
    with g.as_default(), g.name_scope(name or "case"):
        if default is None:
            if not predicates:
                raise ValueError("case() needs at least one (pred, fn) pair when default is None.")
            k = len(predicates) - 1
            last_pred, last_action = predicates[k], actions[k]
            all_preds = list(predicates)
            predicates, actions = predicates[:k], actions[:k]

            def default():
                checks = [Assert(last_pred, ["Input error: None of conditions evaluated as True:",
                                             _stacked(all_preds)], summarize=len(all_preds))]
                if predicates:
                    checks.insert(0, _assert_at_most_n_true(
                        predicates, 0, f"Implementation error: selected default action #{k} was called, but "
                                       f"some of other predicates are True"))
                with get_default_graph().control_dependencies(checks):
                    return last_action()

        fn = default
        for pred, action in reversed(list(zip(predicates, actions, strict=False))):
            fn = _bind_cond(pred, action, fn, strict)
        if exclusive and predicates:
            with g.control_dependencies([_assert_at_most_n_true(predicates, 1, "Input error: exclusive=True")]):
                return fn()
        return fn()


def _bind_cond(pred, true_fn, false_fn, strict):
    return lambda: cond(pred, true_fn=true_fn, false_fn=false_fn, strict=strict)
