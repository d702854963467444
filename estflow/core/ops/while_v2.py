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
from estflow.core.ops import list_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.tensor_array import TensorArray, build_ta_with_new_flow, gradient_source_of
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


def _to_host(value):
    return value if type(value) is list_ops.TensorList else devices.to_numpy(value)


def _to_device(placement, dead):
    """A function bringing a value onto `placement` ("CPU" or "GPU", index) if it is elsewhere."""
    if placement[0] != "GPU":
        return _to_host
    cp = devices.cupy_module()

    def to_gpu(value):
        if value is dead or isinstance(value, (cp.ndarray, list_ops.TensorList)):  # a list holds either device's
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
    body_plan = _SubPlan(compiler, body_graph, body_graph.outputs[:n_loop], n_loop, placement)
    to_here = _to_device(placement, _plan.DEAD)
    body_inputs = set(body_graph.inputs)
    elsewhere = [i for i, t in enumerate(body_graph.outputs[:n_loop])
                 if t not in body_inputs and compiler._placement(t.op) != placement]
    pred_slot = cond_plan.fetch_slots[0]
    out_slots = body_plan.fetch_slots
    copies = [i for i, c in enumerate(body_plan.copy) if c]
    dead = _plan.DEAD
    checks = []
    types = op._attrs["T"]
    for i, shape in enumerate(op._attrs["output_shapes"][:n_loop]):
        dims = shape.as_tuple()
        if dims is not None and i >= 2 and types[i] != dtypes.variant:  # the counters and lists keep theirs
            full = dims if None not in dims else None  # a fully known shape: one tuple comparison
            checks.append((i, len(dims), _Tuple((k, d) for k, d in enumerate(dims) if d is not None), shape, full))
    loop_names = [t.name for t in op._inputs[:n_loop]]
    counted = _counts_to_limit(cond_graph)
    dead_aware = body_plan.run is not _plan.execute  # only a body with a tf.cond makes dead values

    def run_while(*inputs):
        loop = list(inputs[:n_loop])
        captures = inputs[n_loop:]
        cond_base = cond_plan.base(captures)
        body_base = body_plan.base(captures)
        limit = int(loop[1])
        iteration = 0
        while (limit < 0 and not counted) or int(loop[0]) < limit:
            if not counted:
                pred = cond_plan(cond_base, loop)[pred_slot]
                if pred is dead or not bool(pred):
                    break
            slots = body_plan(body_base, loop)
            new = [slots[s] for s in out_slots]
            for i in elsewhere:  # a body output made on another device than the loop's
                new[i] = to_here(new[i])
            for i in copies:
                new[i] = new[i].copy() if hasattr(new[i], "copy") else new[i]
            iteration += 1
            for i, ndim, dims, shape, full in checks:
                got = getattr(new[i], "shape", ())
                if got != full and (len(got) != ndim or any(got[k] != d for k, d in dims)):
                    raise errors.InvalidArgumentError(
                        None, None, f"Input tensor '{loop_names[i]}' enters the loop with shape {shape}, but has "
                                    f"shape {TensorShape(got)} after {iteration} iteration(s). To allow the shape "
                                    "to vary across iterations, use the `shape_invariants` argument of "
                                    "tf.while_loop to specify a less-specific shape.")
            if dead_aware and any(v is dead for v in new):
                raise errors.InvalidArgumentError(None, None, "while_loop body returned a value computed only on "
                                                              "an untaken tf.cond branch.")
            loop = new
        return (*loop, *captures)

    return run_while


def _counts_to_limit(cond: FuncGraph) -> bool:
    """Whether `cond` is `loop_counter < maximum_iterations` alone (a gradient loop's): the kernel then
    compares the two itself instead of running the cond's plan every iteration."""
    pred = cond.outputs[0] if len(cond.outputs) == 1 else None
    return (pred is not None and pred.op.type == "Less" and not pred.op._control_inputs
            and len(cond.inputs) >= 2 and pred.op._inputs[0] is cond.inputs[0] and pred.op._inputs[1] is cond.inputs[1])


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
        packed = pack_sequence_as(structure, _with_arrays(structure, args))
        result = fn(*packed) if isinstance(structure, (list, _Tuple)) else fn(packed)
    return counter, maximum, result


def _with_arrays(structure, flat):
    """`flat` with each TensorArray loop variable's flow turned back into a TensorArray (TF1's
    _make_tensor_array): a while_loop carries a TensorArray as its flow, its handle is captured."""
    leaves = flatten(structure)
    return [build_ta_with_new_flow(leaf, t) if isinstance(leaf, TensorArray) else t
            for leaf, t in zip(leaves, flat, strict=True)]


def _flows(values):
    return [v.flow if isinstance(v, TensorArray) else v for v in values]


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
    for leaf, x in zip(flatten(structure), flat, strict=False):
        if isinstance(leaf, TensorArray) != isinstance(x, TensorArray):
            raise TypeError(f"while_loop body returned {x!r} for the loop variable {leaf!r}: a TensorArray loop "
                            "variable must stay a TensorArray (return the one its write returned).")
    flat = _flows(flat)
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
    g = _graph_of([t for t in _flows(leaves) if isinstance(t, Tensor)])
    with g.as_default(), g.name_scope(name or "while") as scope:
        loop_tensors = [_convert(t) for t in _flows(leaves)]
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
        cond_graph.shares_variable_scopes = True  # as TF1's loop, in the loop's graph: see variable_scope
        c_counter, c_max, pred = _trace(cond_graph, cond, structure, loop_tensors, invariants, maximum.dtype)
        with cond_graph.as_default():
            pred = _in_graph(cond_graph, pred)
            if pred.dtype != dtypes.bool or pred.shape.ndims not in (None, 0):
                raise TypeError(f"cond must return a boolean scalar tensor, got {pred}.")
            if maximum_iterations is not None:
                pred = apply_op("LogicalAnd", apply_op("Less", c_counter, c_max, name="Less"), pred,
                                name="LogicalAnd")
        body_graph = FuncGraph(unique_fn_name(scope, "body"), g)
        body_graph.shares_variable_scopes = True
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
        user = _with_arrays(structure, outputs[2:2 + len(loop_tensors)])
        if not return_same_structure and len(user) == 1:
            return user[0]
        return pack_sequence_as(structure, user)


def _shape_invariants(structure, shape_invariants, loop_tensors):
    if shape_invariants is None:
        return [t.shape for t in loop_tensors]
    flat = flatten(shape_invariants) if not isinstance(shape_invariants, TensorShape) else [shape_invariants]
    if len(flat) == len(loop_tensors):  # a TensorArray's invariant (if any) is its flow's: a scalar
        flat = [TensorShape([]) if isinstance(leaf, TensorArray) else s
                for leaf, s in zip(flatten(structure), flat, strict=True)]
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
        if out.dtype.base_dtype != t.dtype.base_dtype:  # a ref loop var (a variable's) enters as its value
            raise TypeError(f"Loop var {t.name} enters the loop with type {t.dtype} but has type {out.dtype} after "
                            f"1 iteration. {t.name} type should remain constant.")
        if not _shape_less_than_or_equal(out.shape, shape):
            raise ValueError(f"Input tensor '{t.name}' enters the loop with shape {t.shape}, but has shape "
                             f"{out.shape} after one iteration. To allow the shape to vary across iterations, "
                             "use the `shape_invariants` argument of tf.while_loop to specify a less-specific "
                             "shape.")


# ---- gradient of While -------------------------------------------------------------------------------
# As TF2's while_v2, the gradient is a second `While` that runs the body's vector-Jacobian
# product over the iterations, last one first:
#
#     loop vars: [counter, n, *grads of the loop vars, *grads of captured tensors, *lists, *captures]
#     cond:      counter < n              (n: the forward loop's final counter, its iteration count)
#     body:      pops one forward value off each list, then the VJP ops (built by tf.gradients)
#
# Each forward value the VJP reads is pushed onto a TensorList at every iteration by the forward
# loop itself, which carries the list as an extra loop variable (added to the forward While when
# its gradient is first built, as TF2 does). No forward op runs twice (an assign in the body is
# not repeated), and all of it is values of the run: concurrent Session.run calls share nothing.
_no_backprop: weakref.WeakSet = weakref.WeakSet()  # While ops built with back_prop=False
# forward body FuncGraph -> {forward tensor: the body's list placeholder accumulating it}
_accumulators: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _differentiable(dtype) -> bool:
    return dtype.is_floating or dtype.is_complex


def _mirrors_variable(op) -> bool:
    return op.type in ("VariableV2", "Variable", "VarHandleOp") and not op._inputs


def _may_alias_state(t: Tensor) -> bool:
    """Whether `t`'s value may be a variable's buffer (a later assign would change it in place)."""
    seen, stack = set(), [t.op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        op_def = op._op_def
        if op_def.stateful or op_def.make_kernel is not None:
            return True
        if op_def.aliases_input:
            stack.extend(x.op for x in op._inputs)
    return False


class _GradBodyGraph(FuncGraph):
    """The gradient loop's body. A forward-body tensor that its ops read becomes, in order:
    the outer tensor (loop-invariant inputs: maximum_iterations and captures), the variable
    (mirrored, as any function graph mirrors it), or the value popped off its accumulator."""

    def __init__(self, name: str, forward: Operation):
        super().__init__(name, forward.graph)
        body = forward._attrs["body"]
        n_loop = len(forward._attrs["T"]) - len(body.captures)
        self.forward_body = body
        self._invariant = {body.inputs[i]: forward._inputs[i] for i in [1, *range(n_loop, len(body.inputs))]}
        self.pops: list[tuple[Tensor, Tensor, Tensor]] = []  # (forward tensor, list placeholder, popped list)
        self._popped: dict[Tensor, Tensor] = {}

    def capture(self, tensor: Tensor) -> Tensor:
        if tensor.graph is not self.forward_body:
            return super().capture(tensor)
        outer = self._invariant.get(tensor)
        if outer is not None:
            return super().capture(outer)
        if _mirrors_variable(tensor.op):
            return super().capture(tensor)
        value = self._popped.get(tensor)
        if value is None and tensor.op.type == "Const":  # the same constant in every iteration: copied
            with self.as_default(), self.control_dependencies(None), self.name_scope(None):
                value = apply_op("Const", name=tensor.op.name, **tensor.op._attrs)
            self._popped[tensor] = value
        if value is None:
            with self.as_default(), self.control_dependencies(None), self.name_scope(None):
                handle = self._placeholder(dtypes.variant, [], "accumulator")
                rest, value = list_ops.tensor_list_pop_back(handle, tensor.dtype)
            value.set_shape(tensor.shape)
            self.pops.append((tensor, handle, rest))
            self._popped[tensor] = value
        return value


def _while_grad(op, *grads):
    if op in _no_backprop:
        return [None] * len(op._inputs)
    if isinstance(op.graph, FuncGraph):
        raise LookupError(f"Gradient of a while_loop nested in another while_loop's cond or body is not supported "
                          f"yet (node '{op.name}'). Move the inner loop out of the body, or wrap its result in "
                          "tf.stop_gradient.")

    body: FuncGraph = op._attrs["body"]
    types = op._attrs["T"]
    n_inputs = len(op._inputs)
    n_loop = n_inputs - len(body.captures)
    user = [i for i in range(2, n_loop) if _differentiable(types[i])]
    caps = [i for i in range(n_loop, n_inputs) if _differentiable(types[i])]
    if not user:  # nothing differentiable leaves the loop: no gradient flows back through it
        return [None] * n_inputs
    # Initial values, taken before the forward op gains accumulators (which shifts its capture outputs).
    initial = [_dense(grads[i]) if grads[i] is not None else apply_op("ZerosLike", op.outputs[i], name="zeros_like")
               for i in user + caps]
    graph = op.graph
    grad_body = _GradBodyGraph(unique_fn_name(op.name + "/", "body_grad"), op)
    # TensorArray gradients inside find the gradient arrays of the tf.gradients call building this one.
    grad_body.gradient_source = gradient_source_of(graph.get_name_scope())
    with grad_body.as_default():
        counter = grad_body.add_input(types[0], [], "loop_counter")
        maximum = grad_body.add_input(types[0], [], "maximum_iterations")
        grad_ys = [grad_body.add_input(types[i], body.inputs[i].shape, "grad_y") for i in user]
        sums = [grad_body.add_input(types[i], body.inputs[i].shape, "grad_sum") for i in caps]
        xs = [body.inputs[i] for i in user + caps]
        dxs = gradients([body.outputs[i] for i in user], xs, grad_ys=grad_ys)
        like = grad_ys + sums
        dxs = [_dense(d) if d is not None else apply_op("ZerosLike", z, name="zeros_like") for d, z in zip(dxs, like)]
        new_sums = [apply_op("AddV2", s, d, name="add") for s, d in zip(sums, dxs[len(user):], strict=True)]
        next_counter = apply_op("AddV2", counter, _convert(1, dtype=types[0]), name="add")
    lists = _accumulate(op, [t for t, _, _ in grad_body.pops])
    handles = [h for _, h, _ in grad_body.pops]
    grad_body.inputs = [counter, maximum, *grad_ys, *sums, *handles, *grad_body.internal_captures]
    grad_body.outputs = [next_counter, maximum, *dxs[:len(user)], *new_sums, *(r for _, _, r in grad_body.pops),
                         *grad_body.internal_captures]
    grad_cond = FuncGraph(unique_fn_name(op.name + "/", "cond_grad"), graph)
    with grad_cond.as_default():
        args = [grad_cond.add_input(t.dtype, t.shape, _loop_var_name(t)) for t in grad_body.inputs]
        grad_cond.outputs = [apply_op("Less", args[0], args[1], name="Less")]
    inputs = [_convert(0, dtype=types[0], name="loop_counter"), op.outputs[0], *initial, *lists,
              *grad_body.external_captures]
    outs = apply_op("While", *inputs, name="while", T=_Tuple(t.dtype for t in inputs), cond=grad_cond,
                    body=grad_body, output_shapes=_Tuple(t.shape for t in grad_body.inputs),
                    parallel_iterations=op._attrs.get("parallel_iterations", 10))
    # NOTE: not differentiated again (as estflow's loop gradients never were): its body reads the
    # forward values off lists, so a second derivative through it would miss their dependence on x.
    _no_backprop.add(outs[0].op)
    added = len(op._inputs) - n_inputs  # accumulators inserted before the captures
    result = [None] * len(op._inputs)
    for k, i in enumerate(user + caps):
        result[i if i < n_loop else i + added] = outs[2 + k]
    return result


def _accumulate(op: Operation, tensors: list) -> list:
    """The outputs of forward While `op` holding every iteration's value of each body tensor.

    A tensor not yet accumulated gets a list loop variable: `EmptyTensorList` in, the body
    pushes the tensor's value each iteration, the full list out. Lists go before the captured
    inputs, so captures stay the trailing loop variables.
    """
    body: FuncGraph = op._attrs["body"]
    cond: FuncGraph = op._attrs["cond"]
    known = _accumulators.setdefault(body, {})
    new = []
    for t in tensors:
        if t not in known and t not in new:
            new.append(t)
    if new:
        graph = op.graph
        at = len(op._inputs) - len(body.captures)
        with graph.as_default(), graph.control_dependencies(None), graph.name_scope(None):
            with graph.name_scope(op.name + "/"):
                empties = [list_ops.empty_tensor_list(t.dtype, name="EmptyTensorList") for t in new]
        handles, pushed, cond_args = [], [], []
        with body.as_default(), body.control_dependencies(None), body.name_scope(None):
            for t in new:
                handle = body._placeholder(dtypes.variant, [], "accumulator")
                # A handle (a TensorArray's, through a tf.cond's Switch) names state: it is pushed as it is.
                copy = _may_alias_state(t) and t.dtype not in (dtypes.resource, dtypes.variant)
                value = apply_op("Snapshot", t, name="Snapshot") if copy else t
                pushed.append(list_ops.tensor_list_push_back(handle, value))
                handles.append(handle)
                known[t] = handle
        for _ in new:
            cond_args.append(cond._placeholder(dtypes.variant, [], "accumulator"))
        body.inputs[at:at] = handles
        body.outputs[at:at] = pushed
        cond.inputs[at:at] = cond_args
        _insert_loop_vars(op, at, empties)
    return [op._outputs[body.inputs.index(known[t])] for t in tensors]


def _insert_loop_vars(op: Operation, at: int, values: list) -> None:
    """Give While `op` new loop variables (inputs and matching outputs) at position `at`."""
    op._inputs = (*op._inputs[:at], *values, *op._inputs[at:])
    for t in values:
        t._consumers.append(op)
    attrs = op._attrs
    attrs["T"] = _Tuple((*attrs["T"][:at], *(t.dtype for t in values), *attrs["T"][at:]))
    attrs["output_shapes"] = _Tuple((*attrs["output_shapes"][:at], *(t.shape for t in values),
                                     *attrs["output_shapes"][at:]))
    outputs = [*op._outputs[:at], *(Tensor(op, 0, t.dtype, t.shape) for t in values), *op._outputs[at:]]
    for i, t in enumerate(outputs):
        t._value_index = i
    op._outputs = _Tuple(outputs)
    op._graph._version += 1  # compiled plans ran the loop without these
