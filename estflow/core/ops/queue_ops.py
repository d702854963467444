"""Queue and reader ops, as TF1 registers them: queues and readers live in the session.

    FIFOQueueV2 / RandomShuffleQueueV2 / PaddingFIFOQueueV2 / PriorityQueueV2 -> handle (a `resource` scalar)
    QueueEnqueueV2(handle, *components)        one element (waits while the queue is full)
    QueueEnqueueManyV2(handle, *components)    dim 0 of each component splits into elements
    QueueDequeueV2(handle) -> components       one element (waits while the queue is empty)
    QueueDequeueManyV2(handle, n)              n elements stacked (PaddingFIFOQueue pads them)
    QueueDequeueUpToV2(handle, n)              as many as a closed queue still holds, up to n
    QueueCloseV2(handle)                       no more enqueues; dequeues drain what is left
    QueueSizeV2 / QueueIsClosedV2
    TextLineReaderV2 / TFRecordReaderV2 / FixedLengthRecordReaderV2 / WholeFileReaderV2 -> handle
    ReaderReadV2(reader, queue) -> key, value  the next record; file names come from `queue`
    ReaderReadUpToV2(reader, queue, n) -> keys, values
    ReaderNumRecordsProducedV2 / ReaderNumWorkUnitsCompletedV2 / ReaderResetV2

Each session keeps its queues and readers in `ctx.state[("estflow.queue", name)]`: a queue with
a `shared_name` is shared by the ops that name it, one without is private to its node and named
as TF's resource manager names it ("_0_fifo_queue": a per-session counter and the node's name),
which is the name TF's errors print. A PriorityQueue's elements lead with an int64 scalar priority
(the op's `component_types` leave it out, as TF's do) and leave smallest priority first, ties in
the order they came (TF leaves the order of ties unspecified). Queues are thread-safe: QueueRunner threads enqueue while
the main thread dequeues. A blocked op waits on a `threading.Condition` in short slices, so a
queue's close and the session's close wake it: a dequeue from a closed queue that lacks the
elements raises `OutOfRangeError`, a cancelled enqueue and every op blocked when the session
closes raise `CancelledError`.
"""

from __future__ import annotations

import bisect
import gzip
import itertools
import threading

import numpy as np

from estflow.core import dtypes, errors, record_io
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register
from estflow.core.tensor_shape import TensorShape

_STATE = "estflow.queue"
_WAIT_SLICE = 0.05  # seconds a blocked op sleeps between looks at its queue's and session's state


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _shape_text(shape: TensorShape) -> str:
    dims = shape.as_tuple()
    return "<unknown>" if dims is None else "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


class Queue:
    """One session's queue: TF's FIFOQueue, RandomShuffleQueue, PaddingFIFOQueue or PriorityQueue."""

    def __init__(self, kind: str, name: str, component_types, shapes, capacity: int, min_after_dequeue: int = 0,
                 seed: int = 0, seed2: int = 0):
        self.kind, self.name = kind, name
        self.component_types = tuple(component_types)
        self.shapes = tuple(shapes)
        self.capacity = capacity if capacity >= 0 else None
        self.min_after_dequeue = min_after_dequeue
        self.items: list[tuple] = []
        self.priorities: list[tuple[int, int]] = []  # PriorityQueue: (priority, arrival) of each item, sorted
        self.arrivals = itertools.count()
        self.closed = False
        self.cancelled = False  # the session closed: every blocked op ends
        self.generation = 0  # counts close(cancel_pending_enqueues=True): blocked enqueues end
        self.cond = threading.Condition()
        if kind == "RandomShuffleQueue":
            self.rng = np.random.default_rng([seed, seed2]) if (seed or seed2) else np.random.default_rng()

    def __repr__(self):
        return f"{self.kind} '{self.name}'"

    # ---- called by the session ------------------------------------------------------------
    def close(self) -> None:
        """Session.close(): every op blocked on this queue raises CancelledError."""
        with self.cond:
            self.cancelled = True
            self.cond.notify_all()

    def _check_cancelled(self) -> None:
        if self.cancelled:
            raise errors.CancelledError(None, None, "Session has been closed.")

    # ---- the queue's own operations ---------------------------------------------------------
    def check_types(self, component_types) -> None:
        if tuple(component_types) != self.component_types:
            want = ", ".join(_type_name(t) for t in self.component_types)
            got = ", ".join(_type_name(t) for t in component_types)
            raise _invalid(f"Type mismatch between parameters and queue {self.name}: queue holds [{want}], the op "
                           f"uses [{got}]")

    def _check_element(self, element, many: bool) -> None:
        for i, (value, shape) in enumerate(zip(element, self.shapes, strict=False)):
            dims = value.shape[1:] if many else value.shape
            if shape.ndims is None:
                continue
            if not shape.is_compatible_with(TensorShape(dims)):
                raise _invalid(f"Shape mismatch in tuple component {i}. Expected {_shape_text(shape)}, got "
                               f"{_dims(dims)}")

    def _full(self) -> bool:
        return self.capacity is not None and len(self.items) >= self.capacity

    def enqueue(self, element: tuple, many: bool) -> None:
        if len(element) != len(self.component_types):
            raise _invalid(f"Expected {len(self.component_types)} components, got {len(element)}")
        self._check_element(element, many)
        if many:
            n = {int(v.shape[0]) if v.ndim else -1 for v in element}
            if -1 in n:
                raise _invalid("EnqueueMany requires each component to have at least one dimension")
            if len(n) != 1:
                raise _invalid(f"Expected all components to have the same size in dimension 0, got "
                               f"{sorted(n)}")
            count = n.pop()
            rows = [tuple(np.array(v[i], dtype=v.dtype) for v in element) for i in range(count)]
        else:
            rows = [tuple(np.array(v, dtype=getattr(v, "dtype", None)) for v in element)]
        with self.cond:
            self._check_cancelled()
            if self.closed:
                raise errors.CancelledError(None, None, f"{self} is closed.")
            generation = self.generation  # close(cancel_pending_enqueues=True) bumps it: a waiting enqueue ends
            for row in rows:
                while self._full():
                    self._check_cancelled()
                    if self.generation != generation:
                        raise errors.CancelledError(None, None, "Enqueue operation was cancelled")
                    self.cond.wait(_WAIT_SLICE)
                self._insert(row)
                self.cond.notify_all()

    def _insert(self, row: tuple) -> None:
        if self.kind != "PriorityQueue":
            self.items.append(row)
            return
        key = (int(row[0]), next(self.arrivals))
        at = bisect.bisect(self.priorities, key)
        self.priorities.insert(at, key)
        self.items.insert(at, row)

    def _available(self, n: int, up_to: bool) -> bool:
        size = len(self.items)
        if self.closed:
            return size >= n or (up_to and size > 0)
        keep = self.min_after_dequeue if self.kind == "RandomShuffleQueue" else 0
        return size >= n + keep

    def dequeue(self, n: int | None, up_to: bool = False) -> list:
        """`n` elements stacked per component (None: one element, unstacked)."""
        count = 1 if n is None else n
        if count < 0:
            raise _invalid(f"Number of elements requested must be >= 0, got {count}")
        if up_to and self.kind not in ("RandomShuffleQueue", "PriorityQueue") and not self.kind.endswith("FIFOQueue"):
            raise errors.UnimplementedError(None, None, f"{self} does not support DequeueUpTo")
        with self.cond:
            while True:
                self._check_cancelled()
                if self._available(count, up_to):
                    break
                if self.closed:
                    raise errors.OutOfRangeError(
                        None, None, f"{self} is closed and has insufficient elements (requested {count}, current "
                                    f"size {len(self.items)})")
                self.cond.wait(_WAIT_SLICE)
            take = min(count, len(self.items))
            if self.kind == "RandomShuffleQueue":
                taken = []
                for _ in range(take):
                    i = int(self.rng.integers(len(self.items)))
                    self.items[i], self.items[-1] = self.items[-1], self.items[i]
                    taken.append(self.items.pop())
            else:
                taken, self.items = self.items[:take], self.items[take:]
                del self.priorities[:take]
            self.cond.notify_all()
        if n is None:
            return list(taken[0])
        return [self._stack([row[c] for row in taken], c) for c in range(len(self.component_types))]

    def _stack(self, values: list, component: int) -> np.ndarray:
        dtype = self.component_types[component]
        np_dtype = object if dtype == dtypes.string else dtype.as_numpy_dtype
        if not values:
            shape = self.shapes[component].as_tuple() if component < len(self.shapes) else None
            dims = tuple(d or 0 for d in shape) if shape is not None else ()
            return np.zeros((0,) + dims, dtype=np_dtype) if np_dtype is not object else np.empty((0,) + dims, object)
        if self.kind == "PaddingFIFOQueue":
            rank = values[0].ndim
            biggest = tuple(max(int(v.shape[d]) for v in values) for d in range(rank))
            out = np.empty((len(values),) + biggest, dtype=np_dtype)
            out[...] = b"" if np_dtype is object else 0
            for i, v in enumerate(values):
                out[(i,) + tuple(slice(0, s) for s in v.shape) + (Ellipsis,)] = v
            return out
        shapes = {v.shape for v in values}
        if len(shapes) != 1:
            raise _invalid(f"Shape mismatch in tuple component {component}: dequeue_many needs elements of one "
                           f"shape, got {_dims(values[0].shape)} and {_dims(values[-1].shape)}")
        return np.stack(values).astype(np_dtype, copy=False)

    def close_queue(self, cancel_pending_enqueues: bool) -> None:
        with self.cond:
            self.closed = True
            if cancel_pending_enqueues:
                self.generation += 1
            self.cond.notify_all()

    def size(self) -> int:
        with self.cond:
            return len(self.items)


def _type_name(dtype) -> str:
    return {"float32": "float", "float64": "double"}.get(dtype.name, dtype.name)


# ---- resources: queues and readers in the session ------------------------------------------
_ids_lock = threading.Lock()


def _resource_name(op, ctx) -> str:
    container, shared = op._attrs.get("container") or "", op._attrs.get("shared_name") or ""
    if shared:
        return f"{container}/{shared}" if container else shared
    with _ids_lock:  # TF: "_<unique id of the resource manager>_<node name>", once per session and node
        named = ctx.state.get((_STATE, "#node", op.name))
        if named is None:
            counter = ctx.state.setdefault((_STATE, "#ids"), itertools.count())
            named = ctx.state[(_STATE, "#node", op.name)] = f"_{next(counter)}_{op.name}"
        return named


def _make_resource(op, ctx, build):
    """A kernel returning the handle of the resource `build()` makes, made once per session."""
    state, lock = ctx.state, threading.Lock()
    holder: list = []

    def resource():
        if not holder:
            with lock:
                if not holder:
                    name = _resource_name(op, ctx)
                    with _ids_lock:
                        state.setdefault((_STATE, name), build(name))
                    handle = np.empty((), dtype=object)
                    handle[()] = name
                    holder.append(handle)
        handle = holder[0]
        if (_STATE, handle.item()) not in state:
            raise errors.CancelledError(None, None, "Session has been closed.")
        return handle

    return resource


def _lookup(state, handle, kind=object):
    name = handle.item() if isinstance(handle, np.ndarray) else handle
    found = state.get((_STATE, name))
    if found is None:
        raise errors.NotFoundError(None, None, f"Resource {name} does not exist.")
    if not isinstance(found, kind):
        raise _invalid(f"Resource {name} is a {type(found).__name__}, not a {kind.__name__}")
    return found


def _handle_infer(**_):
    return TensorSpec([], dtypes.resource)


def _shapes_of(op) -> list[TensorShape]:
    shapes = [TensorShape(s) for s in op._attrs.get("shapes") or ()]
    types = op._attrs["component_types"]
    if shapes and len(shapes) != len(types):
        raise _invalid(f"All shapes must be fully defined or empty: {len(shapes)} shapes for {len(types)} "
                       f"components")
    return shapes or [TensorShape(None)] * len(types)


def _make_queue(kind):
    def make(op, ctx):
        attrs = op._attrs
        shapes = _shapes_of(op)

        def build(name):
            return Queue(kind, name, attrs["component_types"], shapes, int(attrs["capacity"]),
                         int(attrs.get("min_after_dequeue", 0)), int(attrs.get("seed", 0)),
                         int(attrs.get("seed2", 0)))

        return _make_resource(op, ctx, build)

    return make


_QUEUE_ATTRS = {"component_types": REQUIRED, "shapes": (), "capacity": -1, "container": "", "shared_name": ""}
_QUEUE_ATTR_TYPES = {"component_types": "list(type) >= 1", "shapes": "list(shape) >= 0", "capacity": "int",
                     "container": "string", "shared_name": "string"}

for _kind in ("FIFOQueue", "PaddingFIFOQueue"):
    register(OpDef(
        f"{_kind}V2", infer=_handle_infer, make_kernel=_make_queue(_kind), attrs=dict(_QUEUE_ATTRS), stateful=True,
        cpu_only=True, differentiable=False, output_names=("handle: resource",), attr_types=dict(_QUEUE_ATTR_TYPES),
    ))

def _make_priority_queue(op, ctx):
    attrs = op._attrs
    types = (dtypes.int64, *attrs["component_types"])  # TF's kernel adds the priority component
    shapes = [TensorShape([]), *(TensorShape(s) for s in attrs["shapes"])] if attrs["shapes"] else \
        [TensorShape(None)] * len(types)
    if attrs["shapes"] and len(shapes) != len(types):
        raise _invalid(f"All shapes must be fully defined or empty: {len(shapes) - 1} shapes for "
                       f"{len(types) - 1} components")
    return _make_resource(op, ctx, lambda name: Queue("PriorityQueue", name, types, shapes, int(attrs["capacity"])))


register(OpDef(
    "PriorityQueueV2", infer=_handle_infer, make_kernel=_make_priority_queue,
    attrs={**_QUEUE_ATTRS, "component_types": (), "shapes": REQUIRED}, stateful=True, cpu_only=True,
    differentiable=False, output_names=("handle: resource",),
    attr_types={**_QUEUE_ATTR_TYPES, "component_types": "list(type) >= 0"},
))

register(OpDef(
    "RandomShuffleQueueV2", infer=_handle_infer, make_kernel=_make_queue("RandomShuffleQueue"),
    attrs={**_QUEUE_ATTRS, "min_after_dequeue": 0, "seed": 0, "seed2": 0}, stateful=True, cpu_only=True,
    differentiable=False, output_names=("handle: resource",),
    attr_types={**_QUEUE_ATTR_TYPES, "min_after_dequeue": "int", "seed": "int", "seed2": "int"},
))


def _check_handle(spec: TensorSpec) -> None:
    if spec.dtype != dtypes.resource:
        raise TypeError(f"Input 'handle' expected a resource handle, got {spec.dtype.name}")
    if spec.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims}")


# ---- enqueue, dequeue, close, size -----------------------------------------------------------
def _enqueue_infer(handle, *components, Tcomponents, timeout_ms):  # noqa: N803 - TF's attr name
    _check_handle(handle)
    return []


def _make_enqueue(many: bool):
    def make(op, ctx):
        state = ctx.state
        types = tuple(op._attrs["Tcomponents"])

        def enqueue(handle, *components):
            queue = _lookup(state, handle, Queue)
            queue.check_types(types)
            queue.enqueue(tuple(components), many)

        return enqueue

    return make


for _type, _many in (("QueueEnqueueV2", False), ("QueueEnqueueManyV2", True)):
    register(OpDef(
        _type, infer=_enqueue_infer, make_kernel=_make_enqueue(_many), attrs={"Tcomponents": REQUIRED,
                                                                             "timeout_ms": -1},
        stateful=True, cpu_only=True, differentiable=False,
        input_names=("handle: resource", "components: Tcomponents"),
        attr_types={"Tcomponents": "list(type) >= 1", "timeout_ms": "int"},
    ))


def _dequeue_infer(handle, *, component_types, timeout_ms):
    _check_handle(handle)
    return [TensorSpec(TensorShape(None), t) for t in component_types]


def _dequeue_many_infer(handle, n, *, component_types, timeout_ms):
    _check_handle(handle)
    if n.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {n.shape.ndims}")
    return [TensorSpec(TensorShape(None), t) for t in component_types]


def _dequeue_result(out: list):
    return out[0] if len(out) == 1 else out  # the session stores a single output as is


def _make_dequeue(op, ctx):
    state, types = ctx.state, tuple(op._attrs["component_types"])

    def dequeue(handle):
        queue = _lookup(state, handle, Queue)
        queue.check_types(types)
        return _dequeue_result(queue.dequeue(None))

    return dequeue


def _make_dequeue_many(up_to: bool):
    def make(op, ctx):
        state, types = ctx.state, tuple(op._attrs["component_types"])

        def dequeue_many(handle, n):
            queue = _lookup(state, handle, Queue)
            queue.check_types(types)
            return _dequeue_result(queue.dequeue(int(n), up_to=up_to))

        return dequeue_many

    return make


_DEQUEUE_ATTRS = {"component_types": REQUIRED, "timeout_ms": -1}
_DEQUEUE_TYPES = {"component_types": "list(type) >= 1", "timeout_ms": "int"}
register(OpDef(
    "QueueDequeueV2", infer=_dequeue_infer, make_kernel=_make_dequeue, attrs=dict(_DEQUEUE_ATTRS), stateful=True,
    cpu_only=True, differentiable=False, input_names=("handle: resource",),
    output_names=("components: component_types",), attr_types=dict(_DEQUEUE_TYPES),
))
for _type, _up_to in (("QueueDequeueManyV2", False), ("QueueDequeueUpToV2", True)):
    register(OpDef(
        _type, infer=_dequeue_many_infer, make_kernel=_make_dequeue_many(_up_to), attrs=dict(_DEQUEUE_ATTRS),
        stateful=True, cpu_only=True, differentiable=False, input_names=("handle: resource", "n: int32"),
        output_names=("components: component_types",), attr_types=dict(_DEQUEUE_TYPES),
    ))


def _make_close(op, ctx):
    state, cancel = ctx.state, bool(op._attrs["cancel_pending_enqueues"])

    def close(handle):
        _lookup(state, handle, Queue).close_queue(cancel)

    return close


def _close_infer(handle, *, cancel_pending_enqueues):
    _check_handle(handle)
    return []


register(OpDef(
    "QueueCloseV2", infer=_close_infer, make_kernel=_make_close, attrs={"cancel_pending_enqueues": False},
    stateful=True, cpu_only=True, differentiable=False, input_names=("handle: resource",),
    attr_types={"cancel_pending_enqueues": "bool"},
))


def _make_size(op, ctx):
    state = ctx.state
    return lambda handle: np.int32(_lookup(state, handle, Queue).size())


def _make_is_closed(op, ctx):
    state = ctx.state
    return lambda handle: np.bool_(_lookup(state, handle, Queue).closed)


def _scalar_infer(dtype):
    def infer(handle):
        _check_handle(handle)
        return TensorSpec([], dtype)

    return infer


register(OpDef("QueueSizeV2", infer=_scalar_infer(dtypes.int32), make_kernel=_make_size, stateful=True,
               cpu_only=True, differentiable=False, input_names=("handle: resource",),
               output_names=("size: int32",)))
register(OpDef("QueueIsClosedV2", infer=_scalar_infer(dtypes.bool), make_kernel=_make_is_closed, stateful=True,
               cpu_only=True, differentiable=False, input_names=("handle: resource",),
               output_names=("is_closed: bool",)))


# ---- readers ---------------------------------------------------------------------------------
class Reader:
    """TF's ReaderBase: records from the files (work units) a queue of file names hands out."""

    def __init__(self, name: str):
        self.name = name
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.work: str | None = None
        self.records = None  # an iterator of (key, value) over the current file
        self.produced = 0
        self.completed = 0

    def close(self) -> None:  # Session.close(): nothing is blocked on a reader itself
        self.records = None

    def open(self, path: str):
        raise NotImplementedError

    def _next_work(self, queue: Queue) -> None:
        if queue.component_types != (dtypes.string,):
            raise _invalid(f"Expected a queue of one string component (file names), got {queue}")
        [name] = queue.dequeue(None)
        path = name.item() if isinstance(name, np.ndarray) else name
        self.work = path.decode("utf-8") if isinstance(path, bytes) else str(path)
        try:
            self.records = iter(self.open(self.work))
        except OSError as e:
            raise errors.from_os_error(self.work, e) from None

    def read(self, queue: Queue, n: int | None) -> list[tuple[bytes, bytes]]:
        out: list = []
        want = 1 if n is None else n
        with self.lock:
            while len(out) < want:
                if self.records is None:
                    try:
                        self._next_work(queue)
                    except errors.OutOfRangeError:
                        if out and n is not None:
                            break  # ReadUpTo: what the last files gave
                        raise
                try:
                    out.append(next(self.records))
                except StopIteration:
                    self.records, self.work = None, None
                    self.completed += 1
                except OSError as e:
                    raise errors.from_os_error(self.work, e) from None
            self.produced += len(out)
        return out


class TextLineReader(Reader):
    def __init__(self, name, skip_header_lines=0):
        self.skip = skip_header_lines
        super().__init__(name)

    def open(self, path):
        with open(path, "rb") as f:
            data = f.read()

        def lines():
            for number, line in enumerate(data.splitlines(keepends=True), start=1):
                if number <= self.skip:
                    continue
                line = line.rstrip(b"\n")
                yield f"{path}:{number}".encode(), line.rstrip(b"\r")

        return lines()


class TFRecordReader(Reader):
    def __init__(self, name, compression_type=""):
        self.compression = compression_type
        super().__init__(name)

    def open(self, path):
        def records():
            offset = 0
            for record in record_io.read_records(path, self.compression or None):
                yield f"{path}:{offset}".encode(), record
                offset += len(record) + 16

        return records()


class FixedLengthRecordReader(Reader):
    def __init__(self, name, header_bytes, record_bytes, footer_bytes, hop_bytes, encoding):
        self.header, self.record, self.footer, self.hop = header_bytes, record_bytes, footer_bytes, hop_bytes
        self.encoding = encoding
        super().__init__(name)

    def open(self, path):
        if self.encoding == "GZIP":
            with gzip.open(path, "rb") as f:
                data = f.read()
        elif self.encoding in ("", "NONE", None):
            with open(path, "rb") as f:
                data = f.read()
        else:
            raise _invalid(f"Unsupported encoding: {self.encoding}")
        body = data[self.header:len(data) - self.footer]
        step = self.hop or self.record

        def records():
            for number, start in enumerate(range(0, len(body) - self.record + 1, step)):
                yield f"{path}:{number}".encode(), body[start:start + self.record]

        return records()


class WholeFileReader(Reader):
    def open(self, path):
        with open(path, "rb") as f:
            data = f.read()
        return iter([(path.encode(), data)])


_READERS = {
    "TextLineReaderV2": (lambda name, a: TextLineReader(name, int(a["skip_header_lines"])),
                         {"skip_header_lines": 0}, {"skip_header_lines": "int"}),
    "TFRecordReaderV2": (lambda name, a: TFRecordReader(name, a["compression_type"]),
                         {"compression_type": ""}, {"compression_type": "string"}),
    "FixedLengthRecordReaderV2": (
        lambda name, a: FixedLengthRecordReader(name, int(a["header_bytes"]), int(a["record_bytes"]),
                                                int(a["footer_bytes"]), int(a["hop_bytes"]), a["encoding"]),
        {"header_bytes": 0, "record_bytes": REQUIRED, "footer_bytes": 0, "hop_bytes": 0, "encoding": ""},
        {"header_bytes": "int", "record_bytes": "int", "footer_bytes": "int", "hop_bytes": "int",
         "encoding": "string"}),
    "WholeFileReaderV2": (lambda name, a: WholeFileReader(name), {}, {}),
}


def _make_reader(build):
    def make(op, ctx):
        attrs = op._attrs
        return _make_resource(op, ctx, lambda name: build(name, attrs))

    return make


for _type, (_build, _attrs, _types) in _READERS.items():
    register(OpDef(
        _type, infer=_handle_infer, make_kernel=_make_reader(_build),
        attrs={**_attrs, "container": "", "shared_name": ""}, stateful=True, cpu_only=True, differentiable=False,
        output_names=("reader_handle: resource",),
        attr_types={**_types, "container": "string", "shared_name": "string"},
    ))


def _strings(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _read_infer(reader_handle, queue_handle):
    _check_handle(reader_handle)
    _check_handle(queue_handle)
    return [TensorSpec([], dtypes.string), TensorSpec([], dtypes.string)]


def _make_read(op, ctx):
    state = ctx.state

    def read(reader_handle, queue_handle):
        reader, queue = _lookup(state, reader_handle, Reader), _lookup(state, queue_handle, Queue)
        [(key, value)] = reader.read(queue, None)
        return [np.array(key, dtype=object), np.array(value, dtype=object)]

    return read


register(OpDef(
    "ReaderReadV2", infer=_read_infer, make_kernel=_make_read, stateful=True, cpu_only=True, differentiable=False,
    input_names=("reader_handle: resource", "queue_handle: resource"),
    output_names=("key: string", "value: string"),
))


def _read_up_to_infer(reader_handle, queue_handle, num_records):
    _check_handle(reader_handle)
    _check_handle(queue_handle)
    return [TensorSpec([None], dtypes.string), TensorSpec([None], dtypes.string)]


def _make_read_up_to(op, ctx):
    state = ctx.state

    def read_up_to(reader_handle, queue_handle, num_records):
        reader, queue = _lookup(state, reader_handle, Reader), _lookup(state, queue_handle, Queue)
        n = int(num_records)
        if n <= 0:
            raise _invalid(f"num_records must be > 0, got {n}")
        pairs = reader.read(queue, n)
        return [_strings([k for k, _ in pairs]), _strings([v for _, v in pairs])]

    return read_up_to


register(OpDef(
    "ReaderReadUpToV2", infer=_read_up_to_infer, make_kernel=_make_read_up_to, stateful=True, cpu_only=True,
    differentiable=False, input_names=("reader_handle: resource", "queue_handle: resource", "num_records: int64"),
    output_names=("keys: string", "values: string"),
))


def _make_counter(field):
    def make(op, ctx):
        state = ctx.state
        return lambda reader_handle: np.int64(getattr(_lookup(state, reader_handle, Reader), field))

    return make


def _reader_scalar_infer(reader_handle):
    _check_handle(reader_handle)
    return TensorSpec([], dtypes.int64)


register(OpDef("ReaderNumRecordsProducedV2", infer=_reader_scalar_infer, make_kernel=_make_counter("produced"),
               stateful=True, cpu_only=True, differentiable=False, input_names=("reader_handle: resource",),
               output_names=("records_produced: int64",)))
register(OpDef("ReaderNumWorkUnitsCompletedV2", infer=_reader_scalar_infer, make_kernel=_make_counter("completed"),
               stateful=True, cpu_only=True, differentiable=False, input_names=("reader_handle: resource",),
               output_names=("units_completed: int64",)))


def _make_reset(op, ctx):
    state = ctx.state

    def reset(reader_handle):
        reader = _lookup(state, reader_handle, Reader)
        with reader.lock:
            reader.reset()

    return reset


def _reset_infer(reader_handle):
    _check_handle(reader_handle)
    return []


register(OpDef("ReaderResetV2", infer=_reset_infer, make_kernel=_make_reset, stateful=True, cpu_only=True,
               differentiable=False, input_names=("reader_handle: resource",)))
