"""Session: runs parts of a graph, holding all state of a run (variables, iterators, ...).

How `Session.run(fetches, feed_dict)` works:

    key = (the fetches' structure, the feed keys)
    plan = cache.get(key)                 # dropped whenever the graph grows
    if plan is None:
        plan = compile(fetches, feeds)    # once per distinct signature:
            # 1. resolve names to tensors/ops, prune to what the fetches need
            #    (stopping at fed tensors);
            # 2. order it: topologically, reads before the writes they do not
            #    depend on (core/schedule.py);
            # 3. give every value a slot; fold pure ops whose inputs are all
            #    constant into a prefilled slot template;
            # 4. bind each remaining kernel to numpy/cupy with its attrs, or build
            #    it from the session's state (variables, random streams, iterators);
            #    mark the steps downstream of a Switch to check for dead values;
            # 5. insert device copies at CPU/GPU boundaries.
    slots = plan.template.copy()
    for each feed: check dtype/shape, store in its slot
    with floating-point warnings off:     # once per run, not per kernel
        for each step: slots[out] = kernel(slots[in0], slots[in1], ...)
    return the fetched slots, rebuilt into the fetches' structure

No graph walking, name lookup or recursion happens in the loop. Ops run in an order
where reads come before the writes they do not depend on (see `Session.run`); the steps
downstream of a Switch (tf.cond) propagate dead values, so the branch not taken never runs.
"""
from __future__ import annotations

from collections.abc import Mapping

from estflow.core import errors
from estflow.core.dead import DEAD
from estflow.core.default_session import _default
from estflow.core.devices import num_gpus
from estflow.core.graph import Graph, Operation, Tensor, get_default_graph
from estflow.core.nest import is_namedtuple
from estflow.core import plan as plan_mod
from estflow.core.plan import Compiler
from estflow.core.step_trace import run_traced

# ---- fetch structures -----------------------------------------------------------------
# Op types whose fetched value the session wraps, as TF1's session does (GetSessionHandle's string
# becomes a TensorHandle): op type -> convert(value, tensor, session). Registered by their modules.
FETCH_CONVERTERS: dict = {}


class _FetchBuilder:
    """Flattens nested fetches into unique graph elements and rebuilds results."""

    def __init__(self, graph: Graph, session=None):
        self.graph = graph
        self.session = session
        self.elements: list = []
        self._index: dict = {}

    def _element_index(self, element) -> int:
        i = self._index.get(element)
        if i is None:
            i = self._index[element] = len(self.elements)
            self.elements.append(element)
        return i

    def build(self, fetch):
        if fetch is None:
            raise TypeError(f"Fetch argument None has invalid type {type(None)}")
        if isinstance(fetch, (Tensor, Operation, str)):
            try:
                element = self.graph.as_graph_element(fetch)
            except TypeError as e:
                raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string "
                                f"or Tensor. ({e})") from None
            except ValueError as e:
                raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e})") from None
            except KeyError as e:
                raise ValueError(f"Fetch argument {fetch!r} cannot be interpreted as a Tensor. ({e.args[0]})") from None
            i = self._element_index(element)
            convert = FETCH_CONVERTERS.get(element.op.type) if isinstance(element, Tensor) else None
            if convert is not None:
                session = self.session
                return lambda vals: convert(vals[i], element, session)
            return lambda vals: vals[i]
        if hasattr(fetch, "_fetch_components"):
            parts = [self.build(c) for c in fetch._fetch_components()]
            make = fetch._value_from_components
            return lambda vals: make([f(vals) for f in parts])
        if hasattr(fetch, "_as_graph_element"):
            return self.build(fetch._as_graph_element())
        if is_namedtuple(fetch):
            parts = [self.build(c) for c in fetch]
            cls = type(fetch)
            return lambda vals: cls(*[f(vals) for f in parts])
        if isinstance(fetch, (list, tuple)):
            parts = [self.build(c) for c in fetch]
            cls = type(fetch)
            if cls is list:
                return lambda vals: [f(vals) for f in parts]
            if cls is tuple:
                return lambda vals: tuple(f(vals) for f in parts)
            return lambda vals: cls(f(vals) for f in parts)
        if isinstance(fetch, Mapping):
            keys = list(fetch)
            parts = [self.build(fetch[k]) for k in keys]
            cls = type(fetch)
            if cls is dict:
                return lambda vals: {k: f(vals) for k, f in zip(keys, parts)}
            return lambda vals: cls((k, f(vals)) for k, f in zip(keys, parts))
        raise TypeError(f"Fetch argument {fetch!r} has invalid type {type(fetch)}, must be a string or Tensor. "
                        f"(Can not convert a {type(fetch).__name__} into a Tensor or Operation.)")


def _structure_source(fetch, builder, keys: list):
    """`fetch`'s structure as the expression `plan.results_function` returns, over `v<i>` for the builder's
    i-th element and `K[j]` for `keys[j]` (appended here); None unless it is only lists, tuples and dicts
    (their own types) of tensors, operations, names and variables with no fetch converter
    (`_FetchBuilder.build` rebuilds the rest). Called after `build`, which checked every fetch."""
    t = type(fetch)
    if t is Tensor or t is Operation or t is str:
        element = builder.graph.as_graph_element(fetch)
        if isinstance(element, Tensor) and element.op.type in FETCH_CONVERTERS:
            return None
        return f"v{int(builder._index[element])}"
    if t is list or t is tuple or t is dict:
        items = fetch.values() if t is dict else fetch
        parts = []
        for item in items:
            part = _structure_source(item, builder, keys)
            if part is None:
                return None
            parts.append(part)
        if t is dict:
            start = len(keys)
            keys.extend(fetch)
            return "{" + ", ".join(f"K[{start + j}]: {p}" for j, p in enumerate(parts)) + "}"
        if t is list:
            return "[" + ", ".join(parts) + "]"
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if isinstance(fetch, (Tensor, Operation, str)) or hasattr(fetch, "_fetch_components"):
        return None  # (subclasses, composites: as `build` takes them)
    if hasattr(fetch, "_as_graph_element"):  # a variable: its value tensor
        return _structure_source(fetch._as_graph_element(), builder, keys)
    return None


def _structure_key(fetch):
    """A hashable key describing nested fetches: leaves by identity, containers by type and shape.

    Composite fetches (SparseTensor, variables) are keyed by the graph elements they stand
    for, never by `id()`, which Python may hand to a new object once the old one is gone.
    """
    t = type(fetch)
    if t is Tensor or t is Operation or t is str:
        return fetch
    if t is dict:
        return (dict, tuple([(k, v if type(v) is Tensor else _structure_key(v)) for k, v in fetch.items()]))
    if t is tuple or t is list:
        return (t, tuple([f if type(f) is Tensor else _structure_key(f) for f in fetch]))
    if isinstance(fetch, (Tensor, Operation, str)):
        return fetch
    if hasattr(fetch, "_fetch_components"):
        return (t, tuple(_structure_key(c) for c in fetch._fetch_components()))
    if hasattr(fetch, "_as_graph_element"):
        return (t, fetch._as_graph_element())
    if isinstance(fetch, (list, tuple)):
        return (t, tuple(_structure_key(f) for f in fetch))
    if isinstance(fetch, Mapping):
        return (t, tuple((k, _structure_key(v)) for k, v in fetch.items()))
    return (t, id(fetch))  # not fetchable: compiling it raises TypeError, so it is never cached


# ---- execution plans --------------------------------------------------------------------


def _cancelled():
    return errors.CancelledError(None, None, "Run call was cancelled: the session was closed while the run was "
                                             "in progress (Session.close() in another thread).")


class BaseSession:
    """Shared machinery of `Session` and `InteractiveSession`."""

    _soft_default = False

    def __init__(self, target="", graph=None, config=None):
        if graph is None:
            graph = get_default_graph()
        if not isinstance(graph, Graph):
            raise TypeError(f"graph must be a tf.Graph, but got {type(graph)}")
        self._graph = graph
        self._target = target
        self._config = config
        self._closed = False
        self._variables: dict = {}
        self._op_state: dict = {}
        self._cache: dict = {}
        self._cache_version = -1
        self._partial_runs: dict = {}
        self._default_context = None

    graph = property(lambda self: self._graph)
    sess_str = property(lambda self: self._target)

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    def list_devices(self):
        out = [_DeviceAttributes("/job:localhost/replica:0/task:0/device:CPU:0", "CPU", 268435456)]
        for i in range(num_gpus()):
            out.append(_DeviceAttributes(f"/job:localhost/replica:0/task:0/device:GPU:{i}", "GPU", 0))
        return out

    def close(self) -> None:
        """Free the session's state; `run` raises RuntimeError afterwards.

        Runs in progress in other threads fail with `tf.errors.CancelledError`, as in TF.
        """
        if not self._closed:
            self._closed = True
            for state in list(self._op_state.values()):
                close = getattr(state, "close", None)
                if close is not None:
                    close()
            self._variables.clear()
            self._op_state.clear()
            self._cache.clear()
            self._partial_runs.clear()

    def as_default(self):
        """A context manager making this the default session (for `Tensor.eval`, `Operation.run`)."""
        return _SessionDefaultContext(self)

    def __enter__(self):
        self._default_context = _SessionDefaultContext(self)
        self._default_context.__enter__()
        self._graph_context = self._graph.as_default()
        self._graph_context.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._graph_context.__exit__(exc_type, exc, tb)
        self._default_context.__exit__(exc_type, exc, tb)
        self._default_context = None
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Compute `fetches` (nested tensors, ops or names), feeding `feed_dict`.

            a = tf.placeholder(tf.float32); b = a * 2
            sess.run([b, {"a": a}], feed_dict={a: 3.0})   # [6.0, {"a": 3.0}]

        Reads before writes: every fetched value that does not depend on an update of a
        variable (through its inputs or control dependencies) is computed from the
        variables as this run found them, whatever the order of `fetches`; a value that
        depends on the update sees it. `sess.run([train_op, loss, accuracy])` reports the
        loss and accuracy of the weights the step started from. TF leaves this order
        unspecified; estflow's rule is deterministic.

        `options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)` with a
        `run_metadata=tf.RunMetadata()` records each executed node's device, timing and
        outputs in `run_metadata.step_stats` (see `estflow.python.client.timeline`);
        without them, tracing costs nothing.
        """
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self._cache_version != self._graph._version:
            self._cache.clear()
            self._cache_version = self._graph._version
        if feed_dict:
            feed_keys = tuple(feed_dict)
            key = (fetches if isinstance(fetches, (Tensor, Operation, str)) else _structure_key(fetches), feed_keys)
        else:
            feed_keys = ()
            key = fetches if isinstance(fetches, (Tensor, Operation, str)) else (_structure_key(fetches), ())
        plan = self._cache.get(key)
        if plan is None:
            if not self._graph._ops:
                raise RuntimeError("The Session graph is empty.  Add operations to the graph before calling run().")
            try:
                plan = self._compile(fetches, feed_keys, feed_dict)
            except Exception as exc:
                if self._closed:
                    raise _cancelled() from exc
                raise
            self._cache[key] = plan
        if plan.feed_components:
            values = []
            for (k, n), v in zip(plan.feed_components, feed_dict.values()):
                if n is None:
                    values.append(v)
                else:
                    parts = k._feed_value_components(v)
                    values.extend(parts)
        else:
            values = feed_dict.values() if feed_dict else ()
        try:
            if run_metadata is not None and options is not None and options.trace_level:
                run_metadata.step_stats.Clear()
                return plan.results(run_traced(plan, values, run_metadata.step_stats))
            slots = plan.template.copy()  # Plan.execute, inlined: this is the per-call path users feel
            for spec, value in zip(plan.feeds, values):
                slots[spec.slot] = spec.convert(value)
            plan.run(slots)
            if self._closed:
                raise _cancelled()
            return plan.results(slots)
        except MemoryError as exc:  # copying a fetched value out (a kernel's own OOM is already an OpError)
            raise errors.ResourceExhaustedError(None, None, f"OOM when copying out the fetched values: {exc}") from exc
        except Exception as exc:
            if self._closed and not isinstance(exc, errors.CancelledError):
                raise _cancelled() from exc  # close() freed the state this run was using: TF cancels the run
            raise

    def _resolve_feed_key(self, key):
        if isinstance(key, Tensor):
            if key.graph is not self._graph:
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: Tensor {key} is not an element of "
                                f"this graph.")
            return key
        if hasattr(key, "_feed_components"):
            return None
        if hasattr(key, "_as_graph_element") or isinstance(key, str):
            try:
                elem = self._graph.as_graph_element(key, allow_tensor=True, allow_operation=False)
            except (KeyError, ValueError) as e:
                raise TypeError(f"Cannot interpret feed_dict key as Tensor: {e}") from None
            return elem
        raise TypeError(f"Cannot interpret feed_dict key as Tensor: Can not convert a {type(key).__name__} "
                        f"into a Tensor.")

    def _compile(self, fetches, feed_keys, feed_dict):
        builder = _FetchBuilder(self._graph, self)
        rebuild = builder.build(fetches)
        fed: list[Tensor] = []
        components = []
        has_components = False
        for k in feed_keys:
            t = self._resolve_feed_key(k)
            if t is None:
                parts = list(k._feed_components())
                fed.extend(parts)
                components.append((k, len(parts)))
                has_components = True
            else:
                fed.append(t)
                components.append((k, None))
        if len(set(fed)) != len(fed):
            raise ValueError("The same tensor is fed twice in feed_dict.")
        self._check_feeds_and_fetches(fed, builder.elements)
        plan = Compiler(self).compile(builder.elements, fed)
        plan.rebuild = rebuild
        keys: list = []
        structure = _structure_source(fetches, builder, keys) if plan_mod.CODEGEN else None
        if structure is not None:
            plan.fast_results = plan_mod.results_function(plan.fetch_modes, structure, keys)
        plan.feed_components = components if has_components else None
        return plan

    def _check_feeds_and_fetches(self, fed, elements) -> None:
        """ValueError for a feed marked by `Graph.prevent_feeding` or a fetch by `prevent_fetching` (TF1)."""
        graph = self._graph
        if graph._unfeedable_tensors or graph._unfetchable_ops:
            for t in fed:
                if not graph.is_feedable(t):
                    raise ValueError(f"Tensor {t} may not be fed.")
            for e in elements:
                if not graph.is_fetchable(e):
                    op = e.op if isinstance(e, Tensor) else e
                    raise ValueError(f"Operation {op.name!r} has been marked as not fetchable.")

    # ---- partial runs ------------------------------------------------------------------
    def partial_run_setup(self, fetches, feeds=None):
        """Declare the fetches and feeds of a sequence of `partial_run` calls; returns a handle."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        builder = _FetchBuilder(self._graph)
        builder.build(fetches)
        fed = [self._resolve_feed_key(k) for k in (feeds or [])]
        self._check_feeds_and_fetches(fed, builder.elements)
        handle = f"partial_run_{len(self._partial_runs)}"
        self._partial_runs[handle] = {"fetches": set(builder.elements), "feeds": set(fed), "values": {},
                                      "done": set()}
        return handle

    def partial_run(self, handle, fetches, feed_dict=None):
        """Continue a partial run: feed more values and fetch more results (each op runs once)."""
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        state = self._partial_runs.get(handle)
        if state is None:
            raise errors.InvalidArgumentError(None, None, f"Unknown partial run handle '{handle}'.")
        feed_dict = dict(feed_dict or {})
        for k in feed_dict:
            t = self._resolve_feed_key(k)
            if t not in state["feeds"]:
                raise errors.InvalidArgumentError(None, None, f"Input to feed {t.name} was not specified in "
                                                              f"partial_run_setup.")
            if t in state["values"]:
                raise errors.InvalidArgumentError(None, None, f"Input {t.name} has already been fed.")
        builder = _FetchBuilder(self._graph)
        rebuild = builder.build(fetches)
        for e in builder.elements:
            if e not in state["fetches"]:
                raise errors.InvalidArgumentError(None, None, f"Fetch {e.name} was not specified in "
                                                              f"partial_run_setup.")
        resolved = {self._resolve_feed_key(k): v for k, v in feed_dict.items()}
        all_feeds = dict(state["values"])
        all_feeds.update(resolved)
        fed = list(all_feeds)
        plan = Compiler(self).compile(builder.elements, fed, release=False)  # partial runs reuse every value
        plan.rebuild = rebuild
        slots = plan.execute(list(all_feeds.values()))
        for t, s in plan.slot_of.items():
            v = slots[s]
            if v is not None and v is not DEAD:
                state["values"][t] = v
        return plan.results(slots)


class _DeviceAttributes:
    def __init__(self, name, device_type, memory_limit_bytes):
        self.name = name
        self.device_type = device_type
        self.memory_limit_bytes = memory_limit_bytes
        self.incarnation = 0

    def __repr__(self):
        return f"_DeviceAttributes({self.name}, {self.device_type}, {self.memory_limit_bytes})"


class _SessionDefaultContext:
    def __init__(self, session):
        self._session = session

    def __enter__(self):
        _default.stack.append(self._session)
        return self._session

    def __exit__(self, *exc):
        if _default.stack and _default.stack[-1] is self._session:
            _default.stack.pop()


class Session(BaseSession):
    """A TF1 session: `with tf.Session() as sess: sess.run(fetches, feed_dict)`.

    Two sessions on one graph have independent variables, iterators and random streams.
    """


class InteractiveSession(BaseSession):
    """A session that installs itself as the default session, for shells and notebooks."""

    _soft_default = True
    _interactive = True  # tf.reset_default_graph drops it as the default session

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        _default.stack.append(self)
        self._graph_context = self._graph.as_default()
        self._graph_context.__enter__()

    def close(self) -> None:
        if not self._closed and _default.stack and _default.stack[-1] is self:
            _default.stack.pop()
            try:
                self._graph_context.__exit__(None, None, None)
            except (IndexError, AssertionError):
                pass
        super().close()
