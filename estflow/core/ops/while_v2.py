"""while_loop as a functional `While` op (TF2's while_v2), and its gradient.

`cond` and `body` are traced once each into a `FuncGraph`; tensors they use from outside
become extra inputs of the op. The op's kernel compiles both graphs once per session
plan and loops in Python over a slot array, so an iteration costs what its kernels cost.
The loop variables are TF2's layout: [loop_counter, maximum_iterations, *user loop vars,
*captured tensors], so a `maximum_iterations` bound is part of the traced `cond`:

    while/loop_counter, while/maximum_iterations, x, ...  ->  While(T, cond, body, output_shapes)
"""

from __future__ import annotations

import builtins
import weakref

from estflow.core import devices, dtypes, errors
from estflow.core import plan as _plan
from estflow.core.func_graph import FuncGraph, assert_same_structure, unique_fn_name
from estflow.core.gradients import gradients
from estflow.core.graph import Operation, Tensor, _graph_of
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.nest import flatten, is_sequence, pack_sequence_as
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape, as_shape

_Tuple = builtins.tuple


def _convert(value, dtype=None, name=None, preferred_dtype=None):
    return convert_to_tensor(value, dtype=dtype, name=name, preferred_dtype=preferred_dtype)


def _dense(g):
    if isinstance(g, IndexedSlices):
        return _convert(g)
    return g


def _infer_while(*inputs, T, cond, body, output_shapes, parallel_iterations):
    return [TensorSpec(s, t) for s, t in zip(output_shapes, T, strict=False)]


class _SubPlan:
    """A compiled function graph run over a slot array without re-checking feeds each call."""

    def __init__(self, compiler, graph: FuncGraph, fetches, n_loop: int, placement=("CPU", 0)):
        # Loop variables and captures live on the While's device; the plan copies them for
        # body ops placed elsewhere (a CPU-only op in a loop on the GPU).
        plan = compiler.compile(list(fetches), list(graph.inputs), feed_placement=placement)
        self.steps = plan.steps
        self.template = plan.template
        slots = [f.slot for f in plan.feeds]
        self.loop_slots = slots[:n_loop]
        self.capture_slots = slots[n_loop:]
        self.fetch_slots = plan.fetch_slots
        self.run = _plan.execute_dead_aware if plan.dead_aware else _plan.execute
        fed = set(graph.inputs)
        # Outputs that may alias session state (a variable returned by assign) are copied.
        self.copy = [c and t not in fed for c, t in zip(plan.copy_fetch, fetches, strict=False)]

    def base(self, captures):
        slots = self.template.copy()
        for s, v in zip(self.capture_slots, captures, strict=False):
            slots[s] = v
        return slots

    def __call__(self, base, loop_values):
        slots = base.copy()
        for s, v in zip(self.loop_slots, loop_values, strict=False):
            slots[s] = v
        self.run(self.steps, slots)
        return slots


def _to_device(placement, dead):
    """A function bringing a value onto `placement` ("CPU" or "GPU", index) if it is elsewhere."""
    if placement[0] != "GPU":
        return devices.to_numpy
    cp = devices.cupy_module()

    def to_gpu(value):
        if value is dead or isinstance(value, cp.ndarray):
            return value
        with cp.cuda.Device(placement[1]):
            return cp.asarray(value)

    return to_gpu


def _make_while(op, ctx):
    cond_graph: FuncGraph = op._attrs["cond"]
    body_graph: FuncGraph = op._attrs["body"]
    n_loop = len(op._attrs["T"]) - len(body_graph.captures)
    compiler = _plan.Compiler(ctx.session)
    placement = ctx.device_kind
    cond_plan = _SubPlan(compiler, cond_graph, cond_graph.outputs[:1], n_loop, placement)
    stash = _while_stash_spec(op) or []
    body_plan = _SubPlan(compiler, body_graph, body_graph.outputs[:n_loop] + stash, n_loop, placement)
    to_here = _to_device(placement, _plan.DEAD)
    body_inputs = set(body_graph.inputs)
    elsewhere = [i for i, t in enumerate(body_graph.outputs[:n_loop])
                 if t not in body_inputs and compiler._placement(t.op) != placement]
    pred_slot = cond_plan.fetch_slots[0]
    out_slots = body_plan.fetch_slots[:n_loop]
    stash_slots = body_plan.fetch_slots[n_loop:]
    copies = [i for i, c in enumerate(body_plan.copy[:n_loop]) if c]
    stash_copies = body_plan.copy[n_loop:]
    dead = _plan.DEAD
    checks = []
    for i, shape in enumerate(op._attrs["output_shapes"][:n_loop]):
        dims = shape.as_tuple()
        if dims is not None:
            checks.append((i, len(dims), _Tuple((k, d) for k, d in enumerate(dims) if d is not None), shape))
    loop_names = [t.name for t in op._inputs[:n_loop]]

    def run_while(*inputs):
        loop = list(inputs[:n_loop])
        captures = inputs[n_loop:]
        cond_base = cond_plan.base(captures)
        body_base = body_plan.base(captures)
        limit = int(loop[1])
        history = [] if stash else None
        iteration = 0
        while limit < 0 or int(loop[0]) < limit:
            pred = cond_plan(cond_base, loop)[pred_slot]
            if pred is dead or not bool(pred):
                break
            slots = body_plan(body_base, loop)
            if history is not None:
                history.append([slots[s].copy() if c and hasattr(slots[s], "copy") else slots[s]
                                for s, c in zip(stash_slots, stash_copies, strict=False)])
            new = [slots[s] for s in out_slots]
            for i in elsewhere:  # a body output made on another device than the loop's
                new[i] = to_here(new[i])
            for i in copies:
                new[i] = new[i].copy() if hasattr(new[i], "copy") else new[i]
            iteration += 1
            for i, ndim, dims, shape in checks:
                got = getattr(new[i], "shape", ())
                if len(got) != ndim or any(got[k] != d for k, d in dims):
                    raise errors.InvalidArgumentError(
                        None, None, f"Input tensor '{loop_names[i]}' enters the loop with shape {shape}, but has "
                                    f"shape {TensorShape(got)} after {iteration} iteration(s). To allow the shape "
                                    "to vary across iterations, use the `shape_invariants` argument of "
                                    "tf.while_loop to specify a less-specific shape.")
            if any(v is dead for v in new):
                raise errors.InvalidArgumentError(None, None, "while_loop body returned a value computed only on "
                                                              "an untaken tf.cond branch.")
            loop = new
        if history is not None:
            ctx.state[_stash_key(op)] = (history, captures)
        return (*loop, *captures)

    return run_while


register(OpDef(
    "While",
    infer=_infer_while,
    make_kernel=_make_while,
    grad=lambda op, *grads: _while_grad(op, *grads),
    attrs={"T": REQUIRED, "cond": REQUIRED, "body": REQUIRED, "output_shapes": (), "parallel_iterations": 10},
    stateful=True,  # the body may update variables
    aliases_input=True,
    input_names=("input: T",), output_names=("output: T",),
    attr_types={"T": "list(type) >= 0", "cond": "func", "body": "func", "output_shapes": "list(shape)",
                "parallel_iterations": "int"},
))


def _shape_less_than_or_equal(shape, invariant) -> bool:
    """TF's _ShapeLessThanOrEqual: `shape` is at least as specific as `invariant`."""
    inv = invariant.as_tuple()
    if inv is None:
        return True
    dims = shape.as_tuple()
    if dims is None or len(dims) != len(inv):
        return False
    return all(b is None or a == b for a, b in zip(dims, inv, strict=False))


def _loop_var_name(t: Tensor) -> str:
    return t.op.name.rsplit("/", 1)[-1].replace(":", "_")


def _trace(graph: FuncGraph, fn, structure, loop_tensors, invariants, counter_dtype):
    """Trace `fn` over placeholders standing for [counter, maximum_iterations, *loop vars]."""
    with graph.as_default():
        counter = graph.add_input(counter_dtype, [], "loop_counter")
        maximum = graph.add_input(counter_dtype, [], "maximum_iterations")
        args = [graph.add_input(t.dtype, s, _loop_var_name(t)) for t, s in zip(loop_tensors, invariants, strict=False)]
        packed = pack_sequence_as(structure, args)
        result = fn(*packed) if isinstance(structure, (list, _Tuple)) else fn(packed)
    return counter, maximum, result


def _in_graph(graph: FuncGraph, t, dtype=None) -> Tensor:
    """A cond/body result as a tensor of the function graph (outer tensors are captured)."""
    if isinstance(t, Operation):
        raise TypeError(f"while_loop body must return tensors, not the operation '{t.name}'; use "
                        "tf.control_dependencies to run it inside the loop.")
    if not isinstance(t, Tensor):
        t = _convert(t, preferred_dtype=dtype)
    return graph.capture(t) if t.graph is not graph else t


def _body_outputs(structure, result, loop_tensors, graph):
    if isinstance(structure, (list, _Tuple)):
        if not is_sequence(result):
            result = [result]
        assert_same_structure(list(structure), list(result), check_types=False)
        flat = flatten(list(result))
    else:
        assert_same_structure(structure, result, check_types=False)
        flat = flatten(result)
    with graph.as_default():
        return [_in_graph(graph, x, t.dtype) for t, x in zip(loop_tensors, flat, strict=False)]


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, name=None, maximum_iterations=None, return_same_structure=False):
    """Repeat `body` while `cond` is true (`tf.while_loop`).

        i, total = tf.while_loop(lambda i, s: i < 10, lambda i, s: (i + 1, s + i), [0, 0])

    `loop_vars` is a (nested) list, tuple or namedtuple of tensors whose elements `cond` and
    `body` take as arguments (a lone tensor or dict is passed as one argument); `body`
    returns the same structure. Each loop variable keeps its shape unless
    `shape_invariants` gives a less specific one. At most `maximum_iterations` iterations
    run. A single loop variable comes back as a tensor unless `return_same_structure=True`.
    `swap_memory` lets TF1 move GPU tensors kept for the gradient to host memory; it saves
    memory and never changes a value, and estflow keeps them where they are.
    """
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    structure = loop_vars
    if isinstance(structure, (list, _Tuple)) and not structure:
        raise ValueError("No loop variables provided")
    leaves = flatten(structure)
    g = _graph_of([t for t in leaves if isinstance(t, Tensor)])
    with g.as_default(), g.name_scope(name or "while") as scope:
        loop_tensors = [_convert(t) for t in leaves]
        if maximum_iterations is None:
            maximum = _convert(-1, dtype=dtypes.int32, name="maximum_iterations")
        else:
            maximum = _convert(maximum_iterations, name="maximum_iterations")
            if maximum.shape.ndims not in (None, 0):
                raise ValueError(f"maximum_iterations must be a scalar, saw shape: {maximum.shape}")
            if maximum.dtype not in (dtypes.int32, dtypes.int64):
                raise TypeError(f"maximum_iterations must be int32 or int64, got {maximum.dtype.name}.")
        counter = _convert(0, dtype=maximum.dtype, name="loop_counter")
        invariants = _shape_invariants(structure, shape_invariants, loop_tensors)

        cond_graph = FuncGraph(unique_fn_name(scope, "cond"), g)
        c_counter, c_max, pred = _trace(cond_graph, cond, structure, loop_tensors, invariants, maximum.dtype)
        with cond_graph.as_default():
            pred = _in_graph(cond_graph, pred)
            if pred.dtype != dtypes.bool or pred.shape.ndims not in (None, 0):
                raise TypeError(f"cond must return a boolean scalar tensor, got {pred}.")
            if maximum_iterations is not None:
                pred = apply_op("LogicalAnd", apply_op("Less", c_counter, c_max, name="Less"), pred,
                                name="LogicalAnd")
        body_graph = FuncGraph(unique_fn_name(scope, "body"), g)
        for outer in cond_graph.external_captures:  # both graphs list their captures in one order
            body_graph.capture(outer)
        b_counter, b_max, result = _trace(body_graph, body, structure, loop_tensors, invariants, maximum.dtype)
        outs = _body_outputs(structure, result, loop_tensors, body_graph)
        with body_graph.as_default():
            next_counter = apply_op("AddV2", b_counter, _convert(1, dtype=maximum.dtype), name="add")
        _check_body_outputs(loop_tensors, outs, invariants)
        for outer in body_graph.external_captures[len(cond_graph.captures):]:
            cond_graph.capture(outer)
        cond_graph.outputs = [pred]
        body_graph.outputs = [next_counter, b_max, *outs]
        for graph in (cond_graph, body_graph):
            graph.inputs.extend(graph.internal_captures)
        body_graph.outputs.extend(body_graph.internal_captures)  # TF2's layout: captures pass through
        captured = body_graph.external_captures
        inputs = [counter, maximum, *loop_tensors, *captured]
        shapes = [TensorShape([]), TensorShape([]), *invariants, *(t.shape for t in captured)]
        control = []
        for op in cond_graph.control_captures + body_graph.control_captures:
            if op.graph is g:
                control.append(op)
            elif isinstance(g, FuncGraph) and op not in g.control_captures:
                g.control_captures.append(op)  # from further out: the enclosing function runs it first
        outputs = apply_op("While", *inputs, name=scope, control_inputs=control, T=_Tuple(t.dtype for t in inputs),
                           cond=cond_graph, body=body_graph, output_shapes=_Tuple(shapes),
                           parallel_iterations=int(parallel_iterations))
        if not back_prop:
            _no_backprop.add(outputs[0].op)
        user = outputs[2:2 + len(loop_tensors)]
        if not return_same_structure and len(user) == 1:
            return user[0]
        return pack_sequence_as(structure, user)


def _shape_invariants(structure, shape_invariants, loop_tensors):
    if shape_invariants is None:
        return [t.shape for t in loop_tensors]
    flat = flatten(shape_invariants) if not isinstance(shape_invariants, TensorShape) else [shape_invariants]
    if len(flat) != len(loop_tensors):
        raise ValueError(f"shape_invariants has {len(flat)} shapes for {len(loop_tensors)} loop variables; "
                         "give one TensorShape per loop variable, nested like loop_vars.")
    out = []
    for t, s in zip(loop_tensors, flat, strict=False):
        s = as_shape(s)
        if not _shape_less_than_or_equal(t.shape, s):
            raise ValueError(f"The shape invariant specified for {t.name} is not compatible with the initial shape "
                             f"of the loop variable. It enters the loop with shape {t.shape}, but the specified "
                             f"shape invariant is {s}.")
        out.append(s)
    return out


def _check_body_outputs(loop_tensors, outs, invariants):
    for t, out, shape in zip(loop_tensors, outs, invariants, strict=False):
        if out.dtype != t.dtype:
            raise TypeError(f"Loop var {t.name} enters the loop with type {t.dtype} but has type {out.dtype} after "
                            f"1 iteration. {t.name} type should remain constant.")
        if not _shape_less_than_or_equal(out.shape, shape):
            raise ValueError(f"Input tensor '{t.name}' enters the loop with shape {t.shape}, but has shape "
                             f"{out.shape} after one iteration. To allow the shape to vary across iterations, "
                             "use the `shape_invariants` argument of tf.while_loop to specify a less-specific "
                             "shape.")


# ---- gradient of While -------------------------------------------------------------------------------
# The gradient runs the body's vector-Jacobian product backwards over the iterations. Its
# ops are built once, by tf.gradients, inside the body graph itself; the forward tensors
# they read (the "frontier") are recorded by the forward kernel at every iteration into
# the session's state, and `WhileGrad` feeds them back, last iteration first, so no
# forward op runs twice (an assign in the body is not repeated) - TF2's accumulators.
_stashed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # While op -> body tensors to record
_no_backprop: weakref.WeakSet = weakref.WeakSet()  # While ops built with back_prop=False
_grad_specs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # WhileGrad op -> _WhileGradSpec


def _stash_key(op):
    return ("while_history", op.name)


def _while_stash_spec(op):
    return _stashed.get(op)


class _WhileGradSpec:
    __slots__ = ("forward", "grad_ys", "frontier", "stash_index", "dxs")

    def __init__(self, forward, grad_ys, frontier, stash_index, dxs):
        self.forward = forward
        self.grad_ys = grad_ys
        self.frontier = frontier
        self.stash_index = stash_index
        self.dxs = dxs


def _differentiable(dtype) -> bool:
    return dtype.is_floating or dtype.is_complex


def _while_grad(op, *grads):
    if op in _no_backprop:
        return [None] * len(op._inputs)
    if isinstance(op.graph, FuncGraph):
        raise LookupError(f"Gradient of a while_loop nested in another while_loop's cond or body is not supported "
                          f"yet (node '{op.name}'). Move the inner loop out of the body, or wrap its result in "
                          "tf.stop_gradient.")

    body: FuncGraph = op._attrs["body"]
    types = op._attrs["T"]
    n_loop = len(types) - len(body.captures)
    user = [i for i in range(2, n_loop) if _differentiable(types[i])]
    caps = [i for i in range(n_loop, len(types)) if _differentiable(types[i])]
    if not user and not caps:
        return [None] * len(op._inputs)
    first_new = body._last_id
    with body.as_default():
        grad_ys = [body._placeholder(body.inputs[i].dtype, body.inputs[i].shape, "grad_y") for i in user]
        xs = [body.inputs[i] for i in user + caps]
        dxs = gradients([body.outputs[i] for i in user], xs, grad_ys=grad_ys)
        dxs = [_dense(d) if d is not None else apply_op("ZerosLike", x, name="zeros_like")
               for d, x in zip(dxs, xs, strict=True)]
    frontier = []
    for new_op in body._ops:
        if new_op._id < first_new:
            continue
        for t in new_op._inputs:
            if t._op._id < first_new and t not in frontier:
                frontier.append(t)
    stash = _stashed.setdefault(op, [])
    for t in frontier:
        if t not in stash:
            stash.append(t)
    ins = []
    for i in user + caps:
        g = grads[i]
        ins.append(_dense(g) if g is not None else apply_op("ZerosLike", op.outputs[i], name="zeros_like"))
    outs = apply_op("WhileGrad", *ins, name="WhileGrad", control_inputs=[op], T=_Tuple(types[i] for i in user + caps),
                    body=body, forward=op.name,
                    output_shapes=_Tuple(op._inputs[i].shape for i in user + caps))
    outs = outs if isinstance(outs, list) else [outs]
    _grad_specs[outs[0].op] = _WhileGradSpec(op, grad_ys, frontier, [stash.index(t) for t in frontier], dxs)
    result = [None] * len(op._inputs)
    for i, g in zip(user + caps, outs, strict=False):
        result[i] = g
    return result


def _make_while_grad(op, ctx):
    spec: _WhileGradSpec = _grad_specs[op]
    plan = _plan.Compiler(ctx.session).compile(spec.dxs, spec.grad_ys + spec.frontier)
    run_steps = _plan.execute_dead_aware if plan.dead_aware else _plan.execute
    feed_slots = [f.slot for f in plan.feeds]
    n_user = len(spec.grad_ys)
    gy_slots, fr_slots = feed_slots[:n_user], feed_slots[n_user:]
    dx_slots = plan.fetch_slots
    template, steps = plan.template, plan.steps
    key = _stash_key(spec.forward)
    index = spec.stash_index
    host = devices.to_numpy

    def run_grad(*grads):
        try:
            history, _ = ctx.state[key]
        except KeyError:
            raise errors.InternalError(None, None, f"The forward while_loop '{spec.forward.name}' has not recorded "
                                                   "its iterations in this session.") from None
        g = [host(x) for x in grads[:n_user]]
        acc = [host(x) for x in grads[n_user:]]
        for record in reversed(history):
            slots = template.copy()
            for s, v in zip(gy_slots, g, strict=False):
                slots[s] = v
            for s, i in zip(fr_slots, index, strict=False):
                slots[s] = record[i]
            run_steps(steps, slots)
            g = [host(slots[s]) for s in dx_slots[:n_user]]
            for k, s in enumerate(dx_slots[n_user:]):
                acc[k] = acc[k] + host(slots[s])
        return (*g, *acc) if len(g) + len(acc) > 1 else (g + acc)[0]

    return run_grad


def _infer_while_grad(*grads, T, body, forward, output_shapes):
    return [TensorSpec(s, t) for s, t in zip(output_shapes, T, strict=False)]


# NOTE: estflow's own op type (TF2 differentiates a While into a second While over
# TensorList accumulators, which estflow does not have); it cannot be exported to TF.
register(OpDef(
    "WhileGrad",
    infer=_infer_while_grad,
    make_kernel=_make_while_grad,
    attrs={"T": REQUIRED, "body": REQUIRED, "forward": REQUIRED, "output_shapes": REQUIRED},
    stateful=True,
    cpu_only=True,
    differentiable=False,
))
