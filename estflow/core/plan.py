"""Execution plans: what `Session.run` compiles once per (fetches, feeds) signature.

A plan is a flat list of steps over a slot array: each step is a kernel already bound to
numpy or cupy and its attrs, the slot indices of its inputs, and its output slot(s).
Compiling goes in phases (`Compiler.compile`):

1. prune the graph to what the fetches need, stopping at fed tensors (`_prune`);
2. schedule it: topological, reads before writes (`schedule`): a value that depends on
   no write of a variable is computed from the variable as the run found it;
3. mark the ops downstream of a Switch (`dead_region`): only their steps check for the
   DEAD value of an untaken tf.cond branch, so a cond costs its own ops and no more;
4. emit one step per op (`Compiler._emit`): variables are read where their value is
   consumed, pure ops whose inputs are all constant fold into a prefilled slot template,
   stateful kernels are built from the session's state, device copies sit at CPU/GPU
   boundaries;
5. copy values that alias a variable when they outlive a write of it (`_snapshots`), and
   lay the steps out with the slots each one releases (`_layout`).

Running a plan is one loop (`execute`) with no graph walking or name lookups; a session's plans
run the same steps as one generated straight-line function each (`compiled`). What the
plan needs to know about an op type comes from its OpDef (`feed_only`, `is_variable`,
`writes_refs`, `emits_dead`, `accepts_dead`, `ref_inputs`, ...); no op type is named here.
Function graphs (while_loop bodies, dataset functions) compile their own plans with
`Compiler` and run them with `execute`.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import weakref
from sys import getrefcount

import numpy as np

from estflow.core import devices, dtypes, errors
from estflow.core.dead import DEAD
from estflow.core.graph import Operation, Tensor
from estflow.core.ops.list_ops import TensorList
from estflow.core.schedule import dead_region, fused_refs, schedule, variables_written
from estflow.core.tensor_util import to_string_array


class KernelContext:
    """What a stateful kernel factory sees: the session's state and the op's device."""

    __slots__ = ("session", "variables", "state", "xp", "device_kind", "plan_compiler")

    def __init__(self, session, xp, device_kind):
        # A weak proxy: kernels, iterators and their background threads keep this context, and
        # must never keep an unclosed session alive (its __del__ is what stops those threads).
        self.session = session if isinstance(session, weakref.ProxyType) else weakref.proxy(session)
        self.variables = session._variables
        self.state = session._op_state
        self.xp = xp
        self.device_kind = device_kind


_HOST_DTYPES = (dtypes.string, dtypes.resource)  # tensors that never live on a GPU, whatever the op


def _feed_error_shape(value_shape, tensor: Tensor):
    return ValueError(f"Cannot feed value of shape {tuple(value_shape)} for Tensor '{tensor.name}', "
                      f"which has shape '{tensor.shape}'")


def _shape_for_message(t: Tensor) -> str:
    dims = t.shape.as_tuple()
    if dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


_DTYPE_MESSAGE_NAMES = {"float32": "float", "float64": "double"}


def placeholder_feed_error(op: Operation) -> errors.InvalidArgumentError:
    t = op._outputs[0]
    dt = _DTYPE_MESSAGE_NAMES.get(t.dtype.name, t.dtype.name)
    return errors.InvalidArgumentError(
        None, op,
        f"You must feed a value for placeholder tensor '{op.name}' with dtype {dt} and shape "
        f"{_shape_for_message(t)}\n\t [[{{{{node {op.name}}}}}]]",
    )


_PY_SCALARS = frozenset((float, int, bool))


class FeedSpec:
    __slots__ = ("slot", "np_dtype", "is_string", "checks", "tensor", "ndim")

    def __init__(self, slot: int, tensor: Tensor):
        self.slot = slot
        self.tensor = tensor
        self.is_string = tensor.dtype == dtypes.string
        self.np_dtype = None if self.is_string else np.dtype(tensor.dtype.as_numpy_dtype)
        dims = tensor.shape.as_tuple()
        self.ndim = None if dims is None else len(dims)
        self.checks = () if dims is None else tuple((i, d) for i, d in enumerate(dims) if d is not None)

    def convert(self, value):
        if self.is_string:
            arr = to_string_array(value)
        elif type(value) is np.ndarray and value.dtype == self.np_dtype:
            arr = value
        elif type(value) in _PY_SCALARS:  # the common feed of a Python number: nothing to unwrap
            arr = np.asarray(value, dtype=self.np_dtype)
        else:
            if isinstance(value, (Tensor, Operation)):
                raise TypeError(f"The value of a feed cannot be a tf.Tensor object. Acceptable feed values "
                                f"include Python scalars, strings, lists, numpy ndarrays, or TensorHandles. "
                                f"For reference, the tensor object was {value!r} which was passed to the "
                                f"feed with key {self.tensor!r}.")
            arr = np.asarray(devices.to_numpy(value), dtype=self.np_dtype)
        if self.ndim is not None:
            shape = arr.shape
            if len(shape) != self.ndim:
                raise _feed_error_shape(shape, self.tensor)
            for i, d in self.checks:
                if shape[i] != d:
                    raise _feed_error_shape(shape, self.tensor)
        return arr


_FETCH_OP, _FETCH_PLAIN, _FETCH_COPY, _FETCH_GPU = range(4)
_ndarray = np.ndarray
# Below this size numpy's allocator is cheap and warm: forwarding's checks would cost more than they save.
_FORWARD_MIN_BYTES = 64 * 1024
# The step kind (`n`) of a step that may see dead values: it lies downstream of a Switch.
_GUARDED = -9

# Floating-point warnings are silenced once per executed step list, not per kernel: TF computes
# IEEE results (inf, nan) silently, and entering numpy's errstate costs about a microsecond, more
# than a small elementwise kernel. numpy >= 2 keeps that state in a context variable that
# `np.errstate` sets and resets; setting it directly costs a quarter of that.
try:
    from numpy._core._multiarray_umath import _extobj_contextvar, _make_extobj

    _quiet_on = functools.partial(_extobj_contextvar.set, _make_extobj(all="ignore"))
    _quiet_off = _extobj_contextvar.reset
except ImportError:  # numpy 1.x (cupy kernels never warn)
    def _quiet_on():
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def _quiet_off(state):
        state.__exit__(None, None, None)


class _LoudSteps(list):
    """A plan's steps when none runs a pure kernel (variables, assigns, iterators): `execute` then skips
    the floating-point state, whose quarter microsecond is a tenth of such a run, and those stateful
    kernels report warnings as they always have."""

    __slots__ = ()


class Plan:
    """A compiled (fetches, feeds) signature: steps over a slot array, a prefilled template, fetch modes."""

    __slots__ = ("steps", "run", "template", "feeds", "feed_components", "fetch_modes", "rebuild", "dead_aware",
                 "slot_of", "n_slots", "trace_info", "passed", "fast_results")

    def execute(self, feed_values):
        slots = self.template.copy()
        for spec, value in zip(self.feeds, feed_values):
            slots[spec.slot] = spec.convert(value)
        self.run(slots)
        return slots

    @property
    def fetch_slots(self) -> list[int]:
        """The slot of each fetch (-1 for an operation), for callers running plans themselves."""
        return [slot for slot, _ in self.fetch_modes]

    @property
    def copy_fetch(self) -> list[bool]:
        """Whether each fetched value may alias state and must be copied before it escapes."""
        return [mode == _FETCH_COPY for _, mode in self.fetch_modes]

    def results(self, slots):
        """The fetched values, as TF returns them: fresh numpy arrays (0-d ones as numpy scalars)."""
        fast = self.fast_results
        if fast is not None:
            return fast(slots)
        out = []
        append = out.append
        for slot, mode in self.fetch_modes:
            if mode == _FETCH_OP:
                append(None)
                continue
            v = slots[slot]
            if type(v) is np.ndarray:
                if mode == _FETCH_COPY and (v.ndim or v.dtype.kind == "V"):  # (a 0-d value's scalar is its own
                    v = v.copy()  # copy already: a global step fetched by four hooks is not copied four times)
                if v.ndim == 0:
                    v = v[()]
            elif v is DEAD:
                raise errors.InvalidArgumentError(None, None, "Retval of a fetch was not computed: it lies on the "
                                                  "branch of a tf.cond that was not taken.")
            elif mode == _FETCH_GPU:
                v = devices.to_numpy(v)
                if type(v) is np.ndarray and v.ndim == 0:
                    v = v[()]
            append(v)
        return self.rebuild(out)


def raise_op_error(step, exc: BaseException):
    op = step[5]
    if isinstance(exc, errors.OpError):
        if exc.op is None:
            exc._op = op
            if op is not None and f"node {op.name}" not in exc._message:
                exc._message = f"{exc._message}\n\t [[{{{{node {op.name}}}}}]]"
                exc.args = (exc._message,)
        raise exc
    cls = errors.InvalidArgumentError
    if isinstance(exc, MemoryError):
        cls = errors.ResourceExhaustedError
    elif isinstance(exc, (NotImplementedError,)):
        cls = errors.UnimplementedError
    elif not isinstance(exc, (ValueError, TypeError, IndexError, KeyError, ArithmeticError, AttributeError)):
        cls = errors.InternalError
    name = op.name if op is not None else "?"
    kind = op.type if op is not None else "?"
    message = f"{type(exc).__name__}: {exc}"
    shapes = _NUMPY_BROADCAST.search(str(exc))
    if shapes is not None:  # numpy's wording, restated as TF's kernels report it
        dims = [d.replace(" ", "").rstrip(",") for d in re.findall(r"\(([^)]*)\)", shapes.group(1))]
        message = "Incompatible shapes: " + " vs. ".join(f"[{d}]" for d in dims)
    raise cls(None, op, f"{message}\n\t [[{{{{node {name}}}}} (op: {kind})]]") from exc


_NUMPY_BROADCAST = re.compile(r"operands could not be broadcast together with shapes ((?:\([^)]*\) ?)+)")


def _not_computed():
    raise errors.InvalidArgumentError(None, None, "Retval of a fetch was not computed: it lies on the "
                                      "branch of a tf.cond that was not taken.")


def results_function(fetch_modes, structure: str, keys: list):
    """`Plan.results` as one generated function for fetches of lists, tuples and dicts: each fetched value
    converted as `results` converts it, then returned in `structure`, an expression over `v<i>` (the i-th
    fetch's value) and `K[j]` (the j-th dict key, a constant). None where a fetch is on a GPU (`results`
    then runs as it is). The code holds slot numbers (through int()), those names and the caller's
    structure, which `session._structure_source` writes from brackets, commas and the same names only."""
    lines = ["def results(s):"]
    for i, (slot, mode) in enumerate(fetch_modes):
        if mode == _FETCH_OP:
            lines.append(f"    v{i} = None")
            continue
        if mode not in (_FETCH_PLAIN, _FETCH_COPY):
            return None
        v = f"v{i}"
        lines += [f"    {v} = s[{int(slot)}]", f"    if {v}.__class__ is _ndarray:"]
        if mode == _FETCH_COPY:
            lines.append(f"        if {v}.ndim or {v}.dtype.kind == 'V': {v} = {v}.copy()")
        lines += [f"        if not {v}.ndim: {v} = {v}[()]", f"    elif {v} is _DEAD: _not_computed()"]
    lines.append(f"    return {structure}")
    names = {"_ndarray": np.ndarray, "_DEAD": DEAD, "_not_computed": _not_computed, "K": tuple(keys)}
    exec(compile("\n".join(lines), "<estflow results>", "exec"), names)  # noqa: S102 - see the docstring
    return names["results"]


def _single_of_list(fn):
    """A kernel declared to return a list, called where that list has one value: return the value."""
    def single(*inputs):
        v = fn(*inputs)
        return v[0] if type(v) in (tuple, list) else v

    return single


def _run_guarded(fn, guard, out, slots):
    """One step downstream of a Switch: dead inputs or control inputs make its outputs dead."""
    ins, ctrl, done, accepts_dead = guard
    args = [slots[i] for i in ins]
    dead = False
    for c in ctrl:
        if slots[c] is DEAD:
            dead = True
            break
    if not dead and not accepts_dead:
        for x in args:
            if x is DEAD:
                dead = True
                break
    if dead:
        if done is not None:
            slots[done] = DEAD
        return DEAD if out.__class__ is int else (DEAD,) * len(out)
    v = fn(*args)
    if done is not None:
        slots[done] = True
    return v


def execute(steps, slots):
    """The hot loop: each step is (kernel, in0, in1, out, n, op, release).

    `n` is the number of inputs (`in0` is then a tuple when above 2); -1/-2 mark a unary or
    binary step that may write into its first input's buffer; `_GUARDED` a step downstream
    of a Switch, whose `in0` is (inputs, control slots, done slot, accepts_dead).
    `release` lists the slots whose last reader this step is: dropping them at once lets
    numpy reuse warm memory for the next result instead of faulting in fresh pages, which
    is most of the cost of a large-batch step. Floating-point warnings are off throughout.
    """
    if not steps:
        return
    step = v = None
    token = None if steps.__class__ is _LoudSteps else _quiet_on()
    try:
        for step in steps:
            fn, a, b, out, n, _, release = step
            if n == 1:
                v = fn(slots[a])
            elif n == 2:
                v = fn(slots[a], slots[b])
            elif n == 0:
                v = fn()
            elif n > 0:
                v = fn(*[slots[i] for i in a])
            elif n == _GUARDED:
                v = _run_guarded(fn, a, out, slots)
            else:  # may write into its first input's buffer (`_forward`): no local may hold that value meanwhile
                v = x = None
                v = _forward(fn, slots, a, b)
            if out.__class__ is int:
                slots[out] = v
            elif out:
                for o, x in zip(out, v):
                    slots[o] = x
            if release:
                for r in release:
                    slots[r] = None
    except Exception as exc:  # noqa: BLE001 - re-raised as the errors.* class TF1 uses
        raise_op_error(step, exc)
    finally:
        if token is not None:
            _quiet_off(token)


# Function graphs (while_loop bodies, dataset functions) once ran Switch-holding plans through a
# second loop; `execute` now checks dead values only on the steps that need it.
execute_dead_aware = execute

# Whether a session's plans run as generated straight-line functions (`compiled`) rather than through
# `execute`'s loop: the same calls in the same order; off only to compare.
CODEGEN = os.environ.get("ESTFLOW_PLAN_CODEGEN", "1") != "0"
_CODEGEN_MAX_STEPS = 20000  # a plan longer than this keeps the loop (a function that size takes long to compile)


def _forward(fn, slots, a, b=None):
    """A unary (`b` None) or binary step whose first input dies here: the result goes into that input's
    buffer when nothing but its slot refers to it (refcount 3: the slot, `x`, getrefcount's argument) and it
    owns its memory (a view would share it with another value), so no other value can observe the change."""
    x = slots[a]
    if (type(x) is _ndarray and x.nbytes >= _FORWARD_MIN_BYTES and x.base is None and getrefcount(x) == 3
            and x.flags.writeable):
        try:
            return fn(x, out=x) if b is None else fn(x, slots[b], out=x)
        except (ValueError, TypeError):  # broadcasting or dtype: the result needs a new buffer
            pass
    return fn(x) if b is None else fn(x, slots[b])


def _store(slots, outs, values):
    for o, x in zip(outs, values):
        slots[o] = x


def compiled(steps):
    """`execute(steps, slots)` as one generated function: a line per step, `s[out] = k(s[a], s[b])` with
    the slots it releases set to None on the same line, so no step pays the loop's unpacking and branching
    (~0.15 us a step). The code holds slot numbers and names it defines, nothing from the graph; an error
    is reported for the step whose line raised it, as `execute` reports it."""
    if not steps:
        return _run_nothing
    constants: list = []

    def const(x) -> str:
        constants.append(x)
        return f"c[{len(constants) - 1}]"

    body = []
    for fn, a, b, out, n, _, release in steps:
        k = const(fn)  # (slot numbers go into the code through int(), so nothing but digits can)
        a = tuple(map(int, a)) if n > 2 else a if n == _GUARDED else None if a is None else int(a)
        b = None if b is None else int(b)
        out = out if out.__class__ is not int else int(out)
        release = tuple(map(int, release))
        if n == 1:
            call = f"{k}(s[{a}])"
        elif n == 2:
            call = f"{k}(s[{a}], s[{b}])"
        elif n == 0:
            call = f"{k}()"
        elif n > 0:
            call = f"{k}({', '.join(f's[{i}]' for i in a)})"
        elif n == _GUARDED:
            call = f"_run_guarded({k}, {const(a)}, {const(out)}, s)"
        elif n == -1:
            call = f"_forward({k}, s, {a})"
        else:
            call = f"_forward({k}, s, {a}, {b})"
        if out.__class__ is int:
            line = f"s[{out}] = {call}"
        elif out:
            line = f"_store(s, {const(out)}, {call})"
        else:
            line = call
        body.append("; ".join([line, *(f"s[{r}] = None" for r in release)]))
    quiet = steps.__class__ is not _LoudSteps
    head = ["def run(s):", "    try:", "        token = _quiet_on()" if quiet else "        pass"]
    first = len(head) + 1  # the line of step 0
    source = "\n".join([*head, *(f"        {line}" for line in body), "    except Exception as exc:",
                        "        _fail(exc)", *(["    finally:", "        _quiet_off(token)"] if quiet else [])])
    names = {"c": constants, "_run_guarded": _run_guarded, "_forward": _forward, "_store": _store,
             "_quiet_on": _quiet_on, "_quiet_off": _quiet_off}
    code = compile(source, "<estflow plan>", "exec")

    def fail(exc):
        tb, line = exc.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code is run.__code__:
                line = tb.tb_lineno
            tb = tb.tb_next
        index = line - first if line is not None and 0 <= line - first < len(steps) else None
        raise_op_error(steps[index] if index is not None else (None,) * 7, exc)

    names["_fail"] = fail
    exec(code, names)  # noqa: S102 - code generated above from slot numbers, never from the graph
    run = names["run"]
    return run


def _run_nothing(slots):
    return None


def _bind(kernel, xp, attrs):
    """The kernel with its array module and attrs bound (a C-level partial: ~0.2 us cheaper per call)."""
    return functools.partial(kernel, xp, **attrs) if attrs else functools.partial(kernel, xp)


def _noop(*_):
    return None


def _snapshot(x):
    """A copy of a value that aliases a variable, taken before the plan writes that variable."""
    return x if x is DEAD or not hasattr(x, "copy") else x.copy()


def _device_name(placement) -> str:
    return f"/job:localhost/replica:0/task:0/device:{placement[0]}:{placement[1]}"


# ---- compiling ------------------------------------------------------------------------------------------
class _Step:
    """A step while the plan is being built; `_layout` turns it into the executor's tuple."""

    __slots__ = ("fn", "ins", "out", "op", "guard", "forwards", "trace", "writes")

    def __init__(self, fn, ins, out, op, trace, guard=None, forwards=False, writes=()):
        self.fn, self.ins, self.out, self.op = fn, tuple(ins), out, op
        self.guard, self.forwards, self.trace, self.writes = guard, forwards, trace, writes

    def reads(self):
        return self.ins + self.guard[0] if self.guard else self.ins

    def outs(self):
        return (self.out,) if self.out.__class__ is int else self.out


class _Build:
    """The state of one compilation: slots, where they live, what they may alias, and the steps so far."""

    def __init__(self):
        self.template: list = []
        self.slot_of: dict[Tensor, int] = {}
        self.slot_dev: dict[int, tuple] = {}
        self.shared: set[int] = set()  # slots whose value may alias state, a feed or the template
        self.folded: set[int] = set()
        self.alias: dict[int, frozenset] = {}  # slot -> the variables (ops) its value may be
        self.copies: dict[tuple, int] = {}
        self.steps: list[_Step] = []
        self.reads: dict[Operation, tuple[int, int]] = {}  # variable -> (slot of its latest read, epoch)
        self.writes: dict[Operation, int] = {}  # variable -> how many writes of it are placed so far
        self.done: dict[Operation, int] = {}
        self.pure_kernels = False  # whether a step runs an OpDef's `kernel` (math that may warn)
        # Ops that run no step (OpDef.passes_input): (the step they follow or None, trace info, slot).
        self.passed: list[tuple] = []

    def new_slot(self, placement, value=None) -> int:
        self.template.append(value)
        s = len(self.template) - 1
        self.slot_dev[s] = placement
        return s


_CPU = ("CPU", 0)
# Whether plans take the fusions OpDefs offer (OpDef.fuse): off only to check that they change no result.
FUSION = os.environ.get("ESTFLOW_PLAN_FUSION", "1") != "0"


class Compiler:
    """Turns (fetch elements, fed tensors) into a `Plan` for one session."""

    def __init__(self, session):
        self.session = session
        self.graph = session._graph
        self.log_placement = bool(getattr(session._config, "log_device_placement", False))
        self.soft_placement = bool(getattr(session._config, "allow_soft_placement", False))
        self._logged: set[Operation] = set()

    def _placement(self, op: Operation) -> tuple[str, int]:
        placement = self._device_of(op)
        if self.log_placement and op not in self._logged:
            self._logged.add(op)
            print(f"{op.name}: ({op.type}): {_device_name(placement)}", file=sys.stderr)
        return placement

    def _device_of(self, op: Operation) -> tuple[str, int]:
        kind, index = devices.device_kind(op._device)
        if kind == "GPU":
            if op._op_def.cpu_only or any(t._dtype in _HOST_DTYPES for t in (*op._inputs, *op._outputs)):
                return _CPU  # cupy has no string dtype, and handles name host state: they stay on the host
            cp = devices.cupy_module()
            if cp is None or index >= devices.num_gpus():
                if self.soft_placement or self.session._soft_default:
                    return _CPU
                what = "CuPy, which is not installed or sees no GPU" if cp is None else f"GPU {index}, which is absent"
                raise errors.InvalidArgumentError(
                    None, op,
                    f"Cannot assign a device for operation {op.name}: device '{op._device}' needs {what}; "
                    f"install a cupy wheel for your CUDA version, place ops on '/cpu:0', or set "
                    f"ConfigProto(allow_soft_placement=True).",
                )
        return kind, index

    def compile(self, elements, fed: list[Tensor], release: bool = True, feed_placement=_CPU) -> Plan:
        """Prune, schedule, emit a step per op (folding constants), then lay the steps out for `execute`.

        `feed_placement`: the device fed values live on (a While's loop variables: the While's device).
        """
        fed_set = set(fed)
        self._fetched = {e for e in elements if isinstance(e, Tensor)}
        self._fusions = {}  # op -> registry.Fusion the plan runs instead of the op's own inputs
        order = schedule(self._prune(elements, fed_set), fed_set, self._fusions)
        region, waited = dead_region(order, fed_set, self._fusions)
        b = _Build()
        feeds = []
        for t in fed:
            s = b.new_slot(feed_placement)
            b.slot_of[t] = s
            b.shared.add(s)
            feeds.append(FeedSpec(s, t))
        for e in elements:  # a fetched variable is read as the run finds it, before any write
            if isinstance(e, Tensor) and e not in fed_set and e._op._op_def.is_variable:
                b.slot_of[e] = self._variable_slot(b, e._op)
        with np.errstate(all="ignore"):  # folding runs kernels
            for op in order:
                self._emit(b, op, fed_set, op in region, op in waited)
        if FUSION:
            _group_steps(b)
        steps = _snapshots(b, elements)
        keep = {b.slot_of[e] for e in elements if not isinstance(e, Operation)} if release else None
        plan = Plan()
        plan.fast_results = None  # (a session sets it: `results_function`)
        plan.steps = _layout(steps, keep) if b.pure_kernels else _LoudSteps(_layout(steps, keep))
        generate = CODEGEN and len(plan.steps) <= _CODEGEN_MAX_STEPS
        plan.run = compiled(plan.steps) if generate else functools.partial(execute, plan.steps)
        plan.trace_info = [st.trace for st in steps]
        index = {id(st): i for i, st in enumerate(steps)}
        plan.passed = [(-1 if st is None else index[id(st)], trace, slot) for st, trace, slot in b.passed]
        plan.template = b.template
        plan.feeds = feeds
        plan.dead_aware = bool(region)
        plan.slot_of = b.slot_of
        plan.n_slots = len(b.template)
        plan.fetch_modes = self._fetch_modes(b, elements, fed_set)
        return plan

    def _fetch_modes(self, b: _Build, elements, fed_set) -> list[tuple[int, int]]:
        modes = []
        for e in elements:
            if isinstance(e, Operation):
                modes.append((-1, _FETCH_OP))
                continue
            s = b.slot_of[e]
            if b.slot_dev[s][0] == "GPU":
                modes.append((s, _FETCH_GPU))
            elif s in b.shared or e in fed_set:
                modes.append((s, _FETCH_COPY))  # the value may alias session state or a feed
            else:
                modes.append((s, _FETCH_PLAIN))
        return modes

    # ---- one op ----------------------------------------------------------------------------------------
    def _emit(self, b: _Build, op: Operation, fed_set: set, guarded: bool, waited: bool) -> None:
        """Add `op`'s step to `b` (or fold it into the template when its inputs are all constant)."""
        outs = op._outputs
        if outs and all(t in fed_set for t in outs):
            return
        op_def = op._op_def
        placement = self._placement(op)
        xp = devices.array_module(placement[0])
        fusion = self._fusions.get(op)
        ref = fused_refs(op, self._fusions)
        in_slots = [self._input_slot(b, t, placement, op, fed_set) for t in self._value_inputs(op)]
        # Control inputs gate the value (it never folds past them): such an Identity keeps its step.
        if (op_def.passes_input and not guarded and fusion is None and not op._control_inputs
                and outs[0] not in self._fetched):
            b.slot_of[outs[0]] = in_slots[0]  # the value is the input's: its consumers read that slot
            b.passed.append((b.steps[-1] if b.steps else None, (op.name, _label(op), _device_name(placement)),
                             in_slots[0]))
            return
        if fusion is None:
            fn = self._kernel(op, xp, placement)
        elif fusion.make_kernel is not None:
            fn = fusion.make_kernel(op, KernelContext(self.session, xp, placement))
        else:
            fn = functools.partial(fusion.kernel, xp)
        out_slots = []
        for t in outs:
            s = b.new_slot(placement)
            if t not in fed_set:  # a fed output keeps its feed slot; the kernel's value goes unread
                b.slot_of[t] = s
            out_slots.append(s)
        listed = op._list_output if op._list_output is not None else len(outs) != 1
        if listed and len(outs) == 1 and fn is not None:
            fn, listed = _single_of_list(fn), False  # tf.split(x, 1): a 1-sequence holding the value
        if (fn is not None and op_def.kernel is not None and op_def.make_kernel is None and not op_def.stateful
                and not op._control_inputs and all(s in b.folded for s in in_slots)):
            self._fold(b, op, fn, in_slots, out_slots, listed)
            return
        stateful = op_def.stateful or op_def.make_kernel is not None
        if stateful or (op_def.aliases_input and any(s in b.shared for s in in_slots)):
            b.shared.update(out_slots)
        written = tuple(variables_written(op))
        aliased = {op._inputs[i]._op for i in ref if op._inputs[i]._op._op_def.is_variable}
        if stateful or op_def.aliases_input:
            aliased.update(v for s in in_slots for v in b.alias.get(s, ()))
        if aliased:
            frozen = frozenset(aliased)
            for s in out_slots:
                b.alias[s] = frozen
        out = tuple(out_slots) if listed else out_slots[0]
        b.pure_kernels = b.pure_kernels or op_def.make_kernel is None and fn is not None
        trace = (op.name, _label(op), _device_name(placement))
        if guarded:
            ctrl = [b.done[c] for c in op._control_inputs if c in b.done]
            ctrl += [b.done[op._inputs[i]._op] for i in ref if op._inputs[i]._op in b.done]
            done = b.new_slot(placement) if waited else None
            if done is not None:
                b.done[op] = done
            if fn is not None or done is not None:
                b.steps.append(_Step(fn or _noop, in_slots, out, op, trace, writes=written,
                                     guard=(tuple(ctrl), done, op_def.accepts_dead)))
        elif fn is not None:
            b.steps.append(_Step(fn, in_slots, out, op, trace, forwards=op_def.forwards_input, writes=written))
        for var in written:  # later readers of these variables read them again
            b.writes[var] = b.writes.get(var, 0) + 1

    def _kernel(self, op: Operation, xp, placement):
        op_def = op._op_def
        if op_def.make_kernel is not None:
            return op_def.make_kernel(op, KernelContext(self.session, xp, placement))
        if op_def.kernel is not None:
            return _bind(op_def.kernel, xp, op._attrs)
        if op_def.feed_only:
            raise placeholder_feed_error(op)
        if not op._outputs:
            return None  # NoOp: ordering only
        raise errors.UnimplementedError(None, op, f"Op type '{op.type}' has no kernel in estflow "
                                                  f"(node '{op.name}').")

    @staticmethod
    def _fold(b: _Build, op: Operation, fn, in_slots, out_slots, listed) -> None:
        try:
            v = fn(*[b.template[s] for s in in_slots])
        except Exception as exc:  # noqa: BLE001
            raise_op_error((None, None, None, None, None, op), exc)
        for s, x in zip(out_slots, v if listed else [v]):
            b.template[s] = x
            b.folded.add(s)
            b.shared.add(s)

    def _input_slot(self, b: _Build, t: Tensor, placement, op: Operation, fed_set: set) -> int:
        """The slot holding `t` on `placement`: a variable read where needed, a device copy where needed."""
        if t._op._op_def.is_variable and t not in fed_set:
            s = self._variable_slot(b, t._op)
        else:
            s = b.slot_of[t]
        if b.slot_dev[s] == placement:
            return s
        key = (s, placement)
        c = b.copies.get(key)
        if c is None:
            c = b.copies[key] = b.new_slot(placement)
            if s in b.alias:
                b.alias[c] = b.alias[s]
            b.steps.append(self._copy_step(s, c, placement, op))
        return c

    def _variable_slot(self, b: _Build, var: Operation) -> int:
        """The slot of `var`'s value: read once, and read again after each write placed since."""
        epoch = b.writes.get(var, 0)
        latest = b.reads.get(var)
        if latest is not None and latest[1] == epoch:
            return latest[0]
        placement = self._placement(var)
        fn = self._kernel(var, devices.array_module(placement[0]), placement)
        s = b.new_slot(placement)
        b.shared.add(s)
        b.alias[s] = frozenset((var,))
        b.reads[var] = (s, epoch)
        b.steps.append(_Step(fn, (), s, var, (var.name, _label(var), _device_name(placement))))
        return s

    def _copy_step(self, src: int, dst: int, placement, op) -> _Step:
        if placement[0] == "GPU":
            cp = devices.cupy_module()
            index = placement[1]

            def fn(x):
                if x is DEAD or type(x) is TensorList:  # a TensorList holds arrays of either device
                    return x
                with cp.cuda.Device(index):
                    return cp.asarray(x)
        else:
            def fn(x):
                return x if x is DEAD or type(x) is TensorList else devices.to_numpy(x)
        name = f"{op.name}/_Copy{'HtoD' if placement[0] == 'GPU' else 'DtoH'}"
        return _Step(fn, (src,), dst, op, (name, f"{name} = _Copy({op.name})", _device_name(placement)))

    def _value_inputs(self, op: Operation) -> list[Tensor]:
        """The tensors whose values `op`'s step reads: its fusion's inputs, else its non-ref inputs."""
        fusion = self._fusions.get(op)
        ref = fused_refs(op, self._fusions)
        return [t for i, t in enumerate(op._inputs if fusion is None else fusion.inputs) if i not in ref]

    def _fuse(self, op: Operation, fed: set) -> None:
        """Take the compile-time fusion `op`'s OpDef offers (OpDef.fuse), unless it skips a fed tensor.

        `ESTFLOW_PLAN_FUSION=0` in the environment (read at import; tests set `plan.FUSION`) turns
        every fusion off: each op then runs as its own step, with the same results.
        """
        if not FUSION:
            return
        fusion = op._op_def.fuse(op)
        if fusion is not None and not any(t in fed for t in fusion.skipped):
            self._fusions[op] = fusion

    def _prune(self, elements, fed: set) -> list[Operation]:
        """The ops the fetches need, in an order where every op follows its inputs.

        A stateful op's fusion (an optimizer's sparse apply) computes the values of the pure ops
        it skips itself. TF1's gradient gating makes every apply wait, by control inputs, on those
        very ops; such a wait gates nothing once the fused step computes the same values (a pure
        op has no effect but its value), so a second pass leaves them out.
        """
        self._covered = frozenset()
        order = self._prune_pass(elements, fed)
        skipped = {t for f in self._fusions.values() if f.make_kernel is not None for t in f.skipped}
        covered = frozenset(t._op for t in skipped if _pure(t._op) and all(o in skipped for o in t._op._outputs))
        if covered and not any(o._op_def.emits_dead for o in order):  # a wait on a dead value would make its op dead
            self._covered = covered
            self._fusions = {}
            order = self._prune_pass(elements, fed)
        return order

    def _prune_pass(self, elements, fed: set) -> list[Operation]:
        order: list[Operation] = []
        state: dict[Operation, int] = {}  # 1: visiting, 2: done
        roots = [e if isinstance(e, Operation) else e.op for e in elements if not (isinstance(e, Tensor) and e in fed)]
        for root in roots:
            if state.get(root) == 2:
                continue
            stack = [(root, False)]
            while stack:
                op, expanded = stack.pop()
                if expanded:
                    if state.get(op) != 2:
                        state[op] = 2
                        order.append(op)
                    continue
                if state.get(op) == 2:
                    continue
                if state.get(op) == 1:
                    raise errors.InvalidArgumentError(None, op, f"Graph has a cycle through node '{op.name}'.")
                state[op] = 1
                stack.append((op, True))
                if op._op_def.fuse is not None:
                    self._fuse(op, fed)
                fusion = self._fusions.get(op)
                ref = fused_refs(op, self._fusions)
                for i, t in enumerate(op._inputs if fusion is None else fusion.inputs):
                    if t in fed or i in ref:
                        continue
                    dep = t._op
                    if state.get(dep) != 2:
                        if state.get(dep) == 1:
                            raise errors.InvalidArgumentError(None, op, f"Graph has a cycle through node '{op.name}'.")
                        stack.append((dep, False))
                for i in ref:
                    dep = op._inputs[i]._op  # a ref input's producer runs first only if it computes something
                    if not dep._op_def.is_variable and state.get(dep) != 2:
                        stack.append((dep, False))
                for dep in op._control_inputs:
                    if state.get(dep) != 2 and dep not in self._covered:
                        stack.append((dep, False))
        return order


def _pure(op: Operation) -> bool:
    """Whether `op` computes a value and nothing else: no state, no dead values, no waits of its own."""
    op_def = op._op_def
    return (op_def.kernel is not None and op_def.make_kernel is None and not op_def.stateful
            and not op_def.emits_dead and not op._control_inputs)


def _label(op: Operation) -> str:
    """TF's timeline label: `name = OpType(input, input, ...)`."""
    return f"{op.name} = {op.type}({', '.join(t.name for t in op._inputs)})"


def _group_steps(b: _Build) -> None:
    """Run the steps whose kernels offer to run together (`registry.StepGroup`: the sparse Ftrl updates of
    a linear model's columns) as one step, where the last of them was.

    A step joins the last step of its group only when moving it there changes nothing: no step in
    between (members included) reads what it computes or a value that depends on its op (through the
    graph's inputs or control inputs), reads a variable it writes, writes one it writes or reads, or
    reads a value that may alias one it writes. Members thus write distinct variables and none depends
    on another, and every value a member reads is as it would have found it.
    """
    steps = b.steps
    found: dict = {}
    for i, st in enumerate(steps):
        group = getattr(st.fn, "step_group", None)
        if group is not None and st.guard is None and st.out.__class__ is int and st.op is not None:
            found.setdefault(group.key, []).append(i)
    grouped: dict[int, _Step] = {}  # the last member's index -> the group's step
    moved: dict[int, int] = {}  # an earlier member's index -> the last member's
    for idxs in found.values():
        last = idxs[-1]
        members = [last] + [j for j in reversed(idxs[:-1]) if _may_move(b, steps, j, last)]
        if len(members) < 2:
            continue
        members.sort()
        runners = [_attributed(steps[i].fn, steps[i].op) for i in members]
        fn = steps[last].fn.step_group.make([steps[i].fn.step_group.member for i in members], runners)
        op = steps[last].op
        names = ", ".join(steps[i].op.name for i in members)
        trace = (op.name, f"{op.name} = {op.type}({names})", steps[last].trace[2])  # a timeline lists the members
        grouped[last] = _Step(fn, [s for i in members for s in steps[i].ins], tuple(steps[i].out for i in members),
                              op, trace, writes=tuple(v for i in members for v in steps[i].writes))
        moved.update((i, last) for i in members[:-1])
    if not grouped:
        return
    replaced = {id(steps[i]): grouped[last] for i, last in moved.items()}
    replaced.update((id(steps[i]), st) for i, st in grouped.items())
    b.steps = [grouped.get(i, st) for i, st in enumerate(steps) if i not in moved]
    b.passed = [(None if st is None else replaced.get(id(st), st), trace, slot) for st, trace, slot in b.passed]


def _may_move(b: _Build, steps: list[_Step], j: int, last: int) -> bool:
    """Whether step `j` may run at step `last` instead (see `_group_steps`)."""
    st = steps[j]
    later = _descendants(st.op)
    written = set(st.writes)
    read = set().union(*(b.alias.get(s, ()) for s in st.reads()))
    outs = set(st.outs())
    for k in range(j + 1, last + 1):
        other = steps[k]
        if other.op in later or other.op in written or not written.isdisjoint(other.writes):
            return False
        if not read.isdisjoint(other.writes):
            return False
        for s in other.reads():
            if s in outs or not written.isdisjoint(b.alias.get(s, ())):
                return False
    return True


def _descendants(op: Operation) -> set:
    """The ops that depend on `op`, through data or control edges."""
    seen: set = set()
    stack = [op]
    while stack:
        o = stack.pop()
        for c in [*(c for t in o._outputs for c in t._consumers), *o._control_outputs]:
            if c not in seen:
                seen.add(c)
                stack.append(c)
    return seen


def _attributed(fn, op: Operation):
    """`fn`, whose errors name `op`: a grouped step runs its members' own kernels so when it cannot run them
    together."""
    def run(*values):
        try:
            return fn(*values)
        except Exception as exc:  # noqa: BLE001 - re-raised as the errors.* class TF1 uses
            raise_op_error((None, None, None, None, None, op), exc)

    return run


def _snapshots(b: _Build, elements) -> list[_Step]:
    """Fetch a copy of each fetched value that aliases a variable a later step writes, taken when it was computed.

    Reads before writes: such a fetch depends on no write (it was computed first), so it
    returns the variable as the run found it, even when the write updates it in place
    (optimizers do). Steps that consume the value itself after the write depend on the
    write (see `schedule`) and see it, as TF1's refs do.
    """
    steps = b.steps
    writes_at: dict[Operation, list[int]] = {}
    for i, st in enumerate(steps):
        for var in st.writes:
            writes_at.setdefault(var, []).append(i)
    if not writes_at:
        return steps
    produced_at = {s: i for i, st in enumerate(steps) for s in st.outs()}
    remap: dict[int, int] = {}
    after: dict[int, list[tuple[int, int]]] = {}
    for e in elements:
        s = b.slot_of.get(e) if isinstance(e, Tensor) else None
        if s is None or s in remap or not b.alias.get(s):
            continue
        i = produced_at.get(s, -1)
        if any(w > i for var in b.alias[s] for w in writes_at.get(var, ())):
            remap[s] = c = b.new_slot(b.slot_dev[s])
            after.setdefault(i, []).append((s, c))
    if not remap:
        return steps
    for e in elements:
        if isinstance(e, Tensor) and b.slot_of.get(e) in remap:
            b.slot_of[e] = remap[b.slot_of[e]]
    out = []
    for i, st in enumerate(steps):
        out.append(st)
        for s, c in after.get(i, ()):
            name = f"{st.trace[0]}/_Snapshot"
            out.append(_Step(_snapshot, (s,), c, st.op, (name, f"{name} = _Snapshot({st.trace[0]})", st.trace[2])))
    return out


def _layout(steps: list[_Step], keep) -> list[tuple]:
    """The executor's step tuples, each with the slots it reads for the last time (none when `keep` is None).

    Slots in `keep` (the fetches) survive the run; an output nobody reads is released by the
    step that produced it.
    """
    release: list[list[int]] = [[] for _ in steps]
    if keep is not None:
        last_read: dict[int, int] = {}
        for i, st in enumerate(steps):
            for s in st.reads():
                last_read[s] = i
        for s, i in last_read.items():
            if s not in keep:
                release[i].append(s)
        for i, st in enumerate(steps):
            for s in st.outs():
                if s not in last_read and s not in keep:
                    release[i].append(s)
    out = []
    for st, last in zip(steps, release):
        r = tuple(last)
        if st.guard is not None:
            out.append((st.fn, (st.ins,) + st.guard, None, st.out, _GUARDED, st.op, r))
            continue
        n = len(st.ins)
        a = st.ins[0] if n >= 1 else None
        b = st.ins[1] if n >= 2 else None
        if n > 2:
            a = st.ins
        # A step may write into its first input's buffer when that input dies here (see execute).
        if n in (1, 2) and st.forwards and a in r and st.out.__class__ is int:
            n = -n
        out.append((st.fn, a, b, st.out, n, st.op, r))
    return out

# ---- sessions ----------------------------------------------------------------------------
