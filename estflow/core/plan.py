"""Execution plans: what `Session.run` compiles once per (fetches, feeds) signature.

A plan is a flat list of steps over a slot array: each step is a kernel already bound to
numpy or cupy and its attrs, the slot indices of its inputs, and its output slot(s).
Compiling prunes the graph to what the fetches need (stopping at fed tensors), orders it
topologically, folds pure ops whose inputs are all constant into a prefilled slot
template, builds stateful kernels from the session's state, and inserts device copies at
CPU/GPU boundaries. Running a plan is one loop with no graph walking or name lookups.

Plans containing Switch ops (tf.cond) run `execute_dead_aware`, which propagates the
DEAD value of the untaken branch so that none of its ops run. Function graphs (while_loop
bodies, dataset functions) compile their own plans with `Compiler` and run them with
`execute` / `execute_dead_aware`.
"""

from __future__ import annotations

import functools
import re
import sys
import weakref
from sys import getrefcount

import numpy as np

from estflow.core import devices, dtypes, errors
from estflow.core.graph import Operation, Tensor
from estflow.core.ops.constant_op import to_string_array
from estflow.core.ops.list_ops import TensorList


class _Dead:
    """The value on the untaken side of a Switch; ops fed a dead value are dead too."""

    __slots__ = ()

    def __repr__(self):
        return "<dead>"


DEAD = _Dead()


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


class Plan:
    __slots__ = ("steps", "template", "feeds", "feed_components", "fetch_modes", "rebuild", "dead_aware",
                 "slot_of", "n_slots")

    def execute(self, feed_values):
        slots = self.template.copy()
        for spec, value in zip(self.feeds, feed_values):
            slots[spec.slot] = spec.convert(value)
        if self.dead_aware:
            execute_dead_aware(self.steps, slots)
        else:
            execute(self.steps, slots)
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
        out = []
        append = out.append
        for slot, mode in self.fetch_modes:
            if mode == _FETCH_OP:
                append(None)
                continue
            v = slots[slot]
            if type(v) is np.ndarray:
                if mode == _FETCH_COPY:
                    v = v.copy()
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


def _single_of_list(fn):
    """A kernel declared to return a list, called where that list has one value: return the value."""
    def single(*inputs):
        v = fn(*inputs)
        return v[0] if type(v) in (tuple, list) else v

    return single


def execute(steps, slots):
    """The hot loop: each step is (kernel, in0, in1, out, n_inputs, op, release).

    `release` lists the slots whose last reader this step is: dropping them at once lets
    numpy reuse warm memory for the next result instead of faulting in fresh pages, which
    is most of the cost of a large-batch step.
    """
    step = v = None
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
            else:
                # The first input dies at this step: write the result into its buffer when nothing but
                # its slot refers to it (refcount: the slot, `x`, getrefcount's argument, and `v` if the
                # previous step produced it) and it owns its memory (a view would share it with another
                # value), so no other value can observe the change.
                x = slots[a]
                if (type(x) is _ndarray and x.nbytes >= _FORWARD_MIN_BYTES and x.base is None
                        and getrefcount(x) == (4 if v is x else 3) and x.flags.writeable):
                    try:
                        v = fn(x, out=x) if n == -1 else fn(x, slots[b], out=x)
                    except (ValueError, TypeError):  # broadcasting or dtype: the result needs a new buffer
                        v = fn(x) if n == -1 else fn(x, slots[b])
                else:
                    v = fn(x) if n == -1 else fn(x, slots[b])
                x = None
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


def _with_releases(steps, keep):
    """Append to each step the slots it reads for the last time (none are released when `keep` is None).

    Slots in `keep` (the fetches) survive the run; an output nobody reads is released by
    the step that produced it.
    """
    if keep is None:
        return [step + ((),) for step in steps]
    last_read: dict[int, int] = {}
    for i, (_, a, b, _, n, _) in enumerate(steps):
        for s in (a if n > 2 else (a, b)[:n]):
            last_read[s] = i
    release: list[list[int]] = [[] for _ in steps]
    for s, i in last_read.items():
        if s not in keep:
            release[i].append(s)
    for i, (_, _, _, out, _, _) in enumerate(steps):
        for s in ((out,) if out.__class__ is int else out):
            if s not in last_read and s not in keep:
                release[i].append(s)
    out = []
    for step, r in zip(steps, release):
        fn, a, b, o, n, op = step
        # A step may write into its first input's buffer when that input dies here (see execute).
        if n in (1, 2) and a in r and op is not None and op._op_def.forwards_input and o.__class__ is int:
            n = -n
        out.append((fn, a, b, o, n, op, tuple(r)))
    return out


def execute_dead_aware(steps, slots):
    """As `_execute`, but a step with a dead input or control input outputs dead values.

    Steps here are (kernel, inputs, control_slots, out, done_slot, op, accepts_dead).
    """
    step = None
    try:
        for step in steps:
            fn, ins, ctrl, out, done, _, accepts_dead = step
            args = [slots[i] for i in ins]
            dead = any(slots[c] is DEAD for c in ctrl)
            if not dead and not accepts_dead:
                dead = any(x is DEAD for x in args)
            if dead:
                if out.__class__ is int:
                    slots[out] = DEAD
                else:
                    for o in out:
                        slots[o] = DEAD
                slots[done] = DEAD
                continue
            v = fn(*args)
            if out.__class__ is int:
                slots[out] = v
            elif out:
                for o, x in zip(out, v):
                    slots[o] = x
            slots[done] = True
    except Exception as exc:  # noqa: BLE001
        raise_op_error(step[:5] + (step[5],), exc)


def _bind(kernel, xp, attrs):
    """The kernel with its array module and attrs bound (a C-level partial: ~0.2 us cheaper per call)."""
    return functools.partial(kernel, xp, **attrs) if attrs else functools.partial(kernel, xp)


class Compiler:
    """Turns (fetch elements, fed tensors) into a `Plan` for one session."""

    def __init__(self, session):
        self.session = session
        self.graph = session._graph
        self.log_placement = bool(getattr(session._config, "log_device_placement", False))
        self.soft_placement = bool(getattr(session._config, "allow_soft_placement", False))

    def _placement(self, op: Operation) -> tuple[str, int]:
        kind, index = devices.device_kind(op._device)
        if kind == "GPU":
            if op._op_def.cpu_only:
                return "CPU", 0
            cp = devices.cupy_module()
            if cp is None or index >= devices.num_gpus():
                if self.soft_placement or self.session._soft_default:
                    return "CPU", 0
                what = "CuPy, which is not installed or sees no GPU" if cp is None else f"GPU {index}, which is absent"
                raise errors.InvalidArgumentError(
                    None, op,
                    f"Cannot assign a device for operation {op.name}: device '{op._device}' needs {what}; "
                    f"install a cupy wheel for your CUDA version, place ops on '/cpu:0', or set "
                    f"ConfigProto(allow_soft_placement=True).",
                )
        return kind, index

    def compile(self, elements, fed: list[Tensor], release: bool = True) -> Plan:
        fed_set = set(fed)
        self._fusions = {}  # op -> registry.Fusion the plan runs instead of the op's own inputs
        needed = self._prune(elements, fed_set)
        slot_of: dict[Tensor, int] = {}
        slot_dev: dict[int, tuple] = {}
        template: list = []

        def new_slot(value=None):
            template.append(value)
            return len(template) - 1

        feeds = []
        for t in fed:
            s = new_slot()
            slot_of[t] = s
            slot_dev[s] = ("CPU", 0)
            feeds.append(FeedSpec(s, t))
        dead_aware = any(op._type == "Switch" for op in needed)
        folded: set[int] = set()
        shared: set[int] = {f.slot for f in feeds}  # slots whose value may alias state, a feed or the template
        copies: dict[tuple, int] = {}
        steps = []
        done_slot: dict[Operation, int] = {}
        read = {t for op in needed for t in self._value_inputs(op)}
        read.update(e for e in elements if isinstance(e, Tensor))
        for op in needed:
            outs = op._outputs
            if outs and all(t in fed_set for t in outs):
                continue
            if op._type == "VariableV2" and outs[0] not in read:
                continue  # TF1's VariableV2 only hands out a ref: nothing to do unless its value is read
            op_def = op._op_def
            placement = self._placement(op)
            xp = devices.array_module(placement[0])
            if self.log_placement:
                print(f"{op.name}: ({op.type}): /job:localhost/replica:0/task:0/device:{placement[0]}:{placement[1]}",
                      file=sys.stderr)
            fusion = self._fusions.get(op)
            value_inputs = self._value_inputs(op)
            in_slots = []
            for t in value_inputs:
                s = slot_of[t]
                if slot_dev[s] != placement:
                    key = (s, placement)
                    c = copies.get(key)
                    if c is None:
                        c = copies[key] = new_slot()
                        slot_dev[c] = placement
                        steps.append(self._copy_step(s, c, placement, op))
                    s = c
                in_slots.append(s)
            foldable = (
                op_def.kernel is not None and op_def.make_kernel is None and not op_def.stateful
                and not op._control_inputs and all(s in folded for s in in_slots) and not dead_aware
            )
            if fusion is not None:
                fn = functools.partial(fusion.kernel, xp)
            elif op_def.make_kernel is not None:
                fn = op_def.make_kernel(op, KernelContext(self.session, xp, placement))
            elif op_def.kernel is not None:
                fn = _bind(op_def.kernel, xp, op._attrs)
            elif op._type == "Placeholder":
                raise placeholder_feed_error(op)
            elif not outs:
                fn = None  # NoOp: ordering only
            else:
                raise errors.UnimplementedError(None, op, f"Op type '{op.type}' has no kernel in estflow "
                                                          f"(node '{op.name}').")
            out_slots = []
            for t in outs:
                s = new_slot()
                if t not in fed_set:  # a fed output keeps its feed slot; the kernel's value goes unread
                    slot_of[t] = s
                slot_dev[s] = placement
                out_slots.append(s)
            listed = op._list_output if op._list_output is not None else len(outs) != 1
            if listed and len(outs) == 1 and fn is not None:
                fn, listed = _single_of_list(fn), False  # tf.split(x, 1): a 1-sequence holding the value
            if foldable:
                try:
                    v = fn(*[template[s] for s in in_slots])
                except Exception as exc:  # noqa: BLE001
                    raise_op_error((None, None, None, None, None, op), exc)
                for s, x in zip(out_slots, v if listed else [v]):
                    template[s] = x
                    folded.add(s)
                    shared.add(s)
                continue
            if op_def.stateful or op_def.make_kernel is not None or (
                op_def.aliases_input and any(s in shared for s in in_slots)
            ):
                shared.update(out_slots)
            out = tuple(out_slots) if listed else out_slots[0]
            if dead_aware:
                ctrl = [done_slot[c] for c in op._control_inputs if c in done_slot]
                ctrl += [done_slot[t.op] for i, t in enumerate(op._inputs)
                         if i in op_def.ref_inputs and t.op in done_slot]
                d = new_slot()
                done_slot[op] = d
                steps.append((fn or (lambda *a: None), tuple(in_slots), tuple(ctrl), out, d, op,
                              getattr(op_def, "accepts_dead", False) or op._type == "Merge"))
            elif fn is not None:
                n = len(in_slots)
                a = in_slots[0] if n >= 1 else None
                b = in_slots[1] if n >= 2 else None
                if n > 2:
                    a = tuple(in_slots)
                steps.append((fn, a, b, out, n, op))
        if dead_aware:
            steps = [s if len(s) == 7 else self._as_dead_step(s, new_slot) for s in steps]
        else:
            fetched = {slot_of[e] for e in elements if not isinstance(e, Operation)}
            steps = _with_releases(steps, fetched if release else None)
        plan = Plan()
        plan.steps = steps
        plan.template = template
        plan.feeds = feeds
        plan.dead_aware = dead_aware
        plan.slot_of = slot_of
        plan.n_slots = len(template)
        fetch_modes = []
        for e in elements:
            if isinstance(e, Operation):
                fetch_modes.append((-1, _FETCH_OP))
                continue
            s = slot_of[e]
            if slot_dev[s][0] == "GPU":
                fetch_modes.append((s, _FETCH_GPU))
            elif s in shared or e in fed_set:
                fetch_modes.append((s, _FETCH_COPY))  # the value may alias session state or a feed
            else:
                fetch_modes.append((s, _FETCH_PLAIN))
        plan.fetch_modes = fetch_modes
        return plan

    @staticmethod
    def _as_dead_step(step, new_slot):
        fn, a, b, out, n, op = step  # a device copy inserted before dead-aware steps existed
        return (fn, (a,), (), out, new_slot(), op, False)

    def _copy_step(self, src: int, dst: int, placement, op):
        if placement[0] == "GPU":
            cp = devices.cupy_module()
            index = placement[1]

            def to_gpu(x):
                if x is DEAD or type(x) is TensorList:  # a TensorList holds arrays of either device
                    return x
                with cp.cuda.Device(index):
                    return cp.asarray(x)

            fn = to_gpu
        else:
            def fn(x):
                return x if x is DEAD or type(x) is TensorList else devices.to_numpy(x)
        return (fn, src, None, dst, 1, op)

    def _value_inputs(self, op: Operation) -> list[Tensor]:
        """The tensors whose values `op`'s step reads: its fusion's inputs, else its non-ref inputs."""
        fusion = self._fusions.get(op)
        if fusion is not None:
            return list(fusion.inputs)
        ref = op._op_def.ref_inputs
        return [t for i, t in enumerate(op._inputs) if i not in ref]

    def _fuse(self, op: Operation, fed: set) -> None:
        """Take the compile-time fusion `op`'s OpDef offers (OpDef.fuse), unless it skips a fed tensor."""
        fusion = op._op_def.fuse(op)
        if fusion is not None and not any(t in fed for t in fusion.skipped):
            self._fusions[op] = fusion

    def _prune(self, elements, fed: set) -> list[Operation]:
        """The ops the fetches need, in an order where every op follows its inputs."""
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
                ref = () if fusion is not None else op._op_def.ref_inputs
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
                    if dep._op_def.ref_inputs or dep._type not in ("VariableV2", "Variable"):
                        if state.get(dep) != 2:
                            stack.append((dep, False))
                for dep in op._control_inputs:
                    if state.get(dep) != 2:
                        stack.append((dep, False))
        return order


# ---- sessions ----------------------------------------------------------------------------
