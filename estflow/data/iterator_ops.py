"""Iterators: the graph ops that run a Dataset inside a session, and TF1's `tf.data.Iterator`.

    IteratorV2 / OneShotIterator   -> handle (a string scalar naming the iterator's state)
    MakeIterator(handle, *captured) : (re)starts the pipeline in this session
    IteratorGetNext(handle)         -> the next element's components
    IteratorToStringHandle / IteratorFromStringHandleV2: handles as feedable strings
    ReduceDataset(*state, *captured) -> the dataset folded by a traced function

Each session keeps its iterators' state in `ctx.state[("estflow.data.iterator", name)]`:
a Python iterator over the pipeline's elements (runtime.Env + Dataset._elements). The
tensors a pipeline captured (placeholders, tensors used by its functions) are inputs of
MakeIterator, so feeding them while running the initializer re-parameterizes it.

These ops live here, not in core/ops, because their attrs point at Python objects (the
Dataset, its traced functions): such a graph can be written to a GraphDef (the attr
becomes a description string) but a graph read back from one cannot run its pipelines.
The iterator handle is a DT_STRING scalar (TF uses a DT_RESOURCE).
"""

from __future__ import annotations

import copy
import threading
import time

import numpy as np

from estflow.core import devices, dtypes, errors
from estflow.core.graph import Operation, Tensor, name_scope
from estflow.core.graph_io import PythonObjectAttr
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue
from estflow.core.tensor_shape import TensorShape
from estflow.data import runtime, structure, worker
from estflow.data.dataset_ops import Dataset
from estflow.data.sources import GeneratorDataset
from estflow.data.tracing import StructuredFunction

_STATE = "estflow.data.iterator"
GLOBAL_ITERATORS = "iterators"  # TF's collection of every iterator's resource (CheckpointInputPipelineHook saves them)
_NOT_INITIALIZED = ("GetNext() failed because the iterator has not been initialized. Ensure that you have run the "
                    "initializer operation for this iterator before getting the next element.")


class _PyRef(PythonObjectAttr):
    """An attr holding a tf.data pipeline (Python objects) in this process; a GraphDef can't hold it."""

    kind = "Dataset op"
    advice = ("Export a graph that takes its inputs from placeholders instead (as serving graphs do), or draw "
              "this one with tf.summary.FileWriter, which leaves the pipeline out.")


def _ref(description: str, payload) -> _PyRef:
    ref = _PyRef(description)
    ref.payload = payload
    dataset = payload[0]
    if _has_generator(dataset):
        ref.why = "holds a Python function (Dataset.from_generator)"
    else:
        ref.why = f"holds a tf.data pipeline built of Python objects ({description})"
    return ref


def _has_generator(dataset) -> bool:
    stack = [dataset]
    while stack:
        d = stack.pop()
        if isinstance(d, GeneratorDataset):
            return True
        stack.extend(d._inputs())
    return False


def _payload(op: Operation, attr: str):
    value = op._attrs.get(attr)
    payload = getattr(value, "payload", None)
    if payload is None:
        raise errors.UnimplementedError(
            None, op, f"Op '{op.name}' ({op.type}) came from a GraphDef: the tf.data pipeline it ran was made of "
                      "Python objects (datasets, functions) that a GraphDef cannot hold. Rebuild the input "
                      "pipeline in Python.")
    return payload


# ---- flat component layout ---------------------------------------------------------------------------
def _flat_types_shapes(spec):
    """GetNext's outputs for an element spec: a dense leaf is one tensor, a sparse leaf three."""
    types, shapes = [], []
    for s in structure.flatten(spec):
        if structure.is_sparse(s):
            rank = s.shape.ndims
            types += [dtypes.int64, s.dtype, dtypes.int64]
            shapes += [TensorShape([None, rank]), TensorShape([None]), TensorShape([rank])]
        else:
            types.append(s.dtype)
            shapes.append(s.shape)
    return tuple(types), tuple(shapes)


def _handle_key(handle) -> bytes:
    value = handle.item() if isinstance(handle, np.ndarray) else handle
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


class _IteratorState:
    """One iterator's position in one session."""

    def __init__(self, dataset: Dataset, ctx, values: dict, node_states=None):
        self.dataset, self.values = dataset, values
        self.consumed = 0  # next() calls so far: the position iterator_checkpoint.py saves
        self.env = runtime.Env(ctx, values, dataset.options())
        if node_states:  # a restored iterator's seeds (iterator_checkpoint.py)
            self.env.node_state.update(node_states)
        dataset._check_all(self.env)
        self.types = _flat_types_shapes(dataset.element_spec)[0]
        self.sparse = [structure.is_sparse(s) for s in dataset._flat_specs()]
        self.any_sparse = any(self.sparse)
        self._elements = dataset._elements(self.env)
        self._lock = threading.Lock()
        self._error = None  # the error that stopped the pipeline, repeated by every later get_next
        self._may_fork = worker.eligible(dataset)  # worker.py: later elements come from another process
        self._decision = worker.Decision() if self._may_fork else None  # ... if producing them costs enough
        self._worker = None  # a worker.Worker once they do

    def get_next(self) -> list:
        # Errors, per TF's ops (runtime.py): an element that failed (a map or filter function raising
        # on it, a corrupted TFRecord record, a CSV record that does not parse, a generator's value of
        # the wrong type) raises here, once, and the next get_next goes on after it. A stage that
        # cannot go on (a file it cannot open: TF retries the same file) raises instead of passing an
        # element on: the iterator does not end there as if the data were exhausted; every later
        # get_next raises the same error until the iterator is re-initialized, as TF's does.
        with self._lock:
            if self._error is not None:
                raise self._error()
            timed = self._may_fork
            if timed and self.consumed >= worker.AFTER:
                self._may_fork = timed = False
                if self._decision.fork():
                    self._worker = worker.start(self._elements)
                    self._elements = self._worker.elements()
                self._decision = None
            try:
                self.consumed += 1
                if timed:
                    started = time.perf_counter()
                    element = next(self._elements)
                    self._decision.note(self.consumed, started, time.perf_counter())
                else:
                    element = next(self._elements)
            except StopIteration:
                self.consumed -= 1
                raise errors.OutOfRangeError(None, None, "End of sequence") from None
            except Exception as e:
                self._error = _repeater(e)
                raise
        if element.__class__ is runtime.ElementError:
            raise element.error
        if self.any_sparse:
            flat = []
            for v, s in zip(element, self.sparse, strict=False):
                flat.extend(v if s else (v,))
            return flat
        return element

    def close(self) -> None:
        self.env.close()
        if self._worker is not None:
            self._worker.stop()
        close = getattr(self._elements, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001, S110 - a producer failing while shutting down changes nothing
                pass


def _repeater(error: Exception):
    """A function making fresh exceptions equal to `error` as it is now (class, op, message), to raise
    again: the session annotates the one it propagates in place."""
    if isinstance(error, errors.OpError):
        cls, node_def, op, message = type(error), error._node_def, error._op, error._message
        return lambda: cls(node_def, op, message)
    error = copy.copy(error)
    return lambda: copy.copy(error)


def _values(tensors, inputs) -> dict:
    return {t: devices.to_numpy(v) for t, v in zip(tensors, inputs, strict=False)}


# ---- ops -----------------------------------------------------------------------------------------------
def _handle_spec(*inputs, **_):
    return TensorSpec([], dtypes.resource)  # TF's iterator handle: a resource naming session state


def _resource_name(op: Operation) -> bytes:
    container, shared = op._attrs.get("container") or "", op._attrs.get("shared_name") or ""
    return f"{container}/{shared or op.name}".encode()


def _make_iterator_v2(op, ctx):
    handle = np.array(_resource_name(op), dtype=object)
    return lambda: handle


register(OpDef(
    "IteratorV2", infer=_handle_spec, make_kernel=_make_iterator_v2,
    attrs={"shared_name": REQUIRED, "container": REQUIRED, "output_types": REQUIRED, "output_shapes": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False,
    output_names=("handle: resource",),
    attr_types={"shared_name": "string", "container": "string", "output_types": "list(type) >= 1",
                "output_shapes": "list(shape) >= 1"},
))


def _make_make_iterator(op, ctx):
    dataset, tensors = _payload(op, "dataset")

    def make_iterator(handle, *inputs):
        key = (_STATE, _handle_key(handle))
        state = _IteratorState(dataset, ctx, _values(tensors, inputs))
        old = ctx.state.get(key)
        ctx.state[key] = state
        if old is not None:
            old.close()

    return make_iterator


register(OpDef(
    "MakeIterator", infer=lambda *inputs, dataset: [], make_kernel=_make_make_iterator, attrs={"dataset": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("dataset: variant", "iterator: resource"),
))


def _make_one_shot(op, ctx):
    dataset, tensors = _payload(op, "dataset_factory")
    name = _resource_name(op)
    handle = np.array(name, dtype=object)
    key = (_STATE, name)
    lock = threading.Lock()

    def one_shot(*inputs):
        if key not in ctx.state:
            with lock:
                if key not in ctx.state:
                    ctx.state[key] = _IteratorState(dataset, ctx, _values(tensors, inputs))
        return handle

    return one_shot


register(OpDef(
    "OneShotIterator", infer=_handle_spec, make_kernel=_make_one_shot,
    attrs={"dataset_factory": REQUIRED, "output_types": REQUIRED, "output_shapes": REQUIRED, "container": "",
           "shared_name": ""},
    stateful=True, cpu_only=True, differentiable=False,
    output_names=("handle: resource",),
    attr_types={"dataset_factory": "func", "output_types": "list(type) >= 1", "output_shapes": "list(shape) >= 1",
                "container": "string", "shared_name": "string"},
))


def _get_next_infer(handle, *, output_types, output_shapes):
    return [TensorSpec(s, t) for t, s in zip(output_types, output_shapes, strict=False)]


def _make_get_next(op, ctx):
    types = tuple(op._attrs["output_types"])
    single = len(types) == 1
    state_key = ctx.state

    def get_next(handle):
        state = state_key.get((_STATE, _handle_key(handle)))
        if state is None:
            raise errors.FailedPreconditionError(None, None, _NOT_INITIALIZED)
        if state.types != types:
            raise errors.InvalidArgumentError(
                None, None, f"The iterator behind this handle produces elements of types "
                            f"{[t.name for t in state.types]}, but get_next() expects {[t.name for t in types]}.")
        flat = state.get_next()
        return flat[0] if single else flat

    return get_next


register(OpDef(
    "IteratorGetNext", infer=_get_next_infer, make_kernel=_make_get_next,
    attrs={"output_types": REQUIRED, "output_shapes": REQUIRED}, stateful=True, cpu_only=True, differentiable=False,
    input_names=("iterator: resource",), output_names=("components: output_types",),
    attr_types={"output_types": "list(type) >= 1", "output_shapes": "list(shape) >= 1"},
))

register(OpDef(
    "IteratorToStringHandle", infer=lambda handle: TensorSpec([], dtypes.string), kernel=lambda xp, handle: handle,
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("resource_handle: resource",), output_names=("string_handle: string",),
))


def _from_string_handle_infer(handle, *, output_types, output_shapes):
    if handle.dtype != dtypes.string or handle.shape.ndims not in (None, 0):
        raise ValueError(f"string_handle must be a scalar string tensor, got {handle.dtype.name} {handle.shape}")
    return TensorSpec([], dtypes.resource)


register(OpDef(
    "IteratorFromStringHandleV2", infer=_from_string_handle_infer, kernel=lambda xp, handle, **_: handle,
    attrs={"output_types": (), "output_shapes": ()}, stateful=True, cpu_only=True, differentiable=False,
    input_names=("string_handle: string",), output_names=("resource_handle: resource",),
    attr_types={"output_types": "list(type) >= 0", "output_shapes": "list(shape) >= 0"},
))


def _reduce_infer(*inputs, f, output_types, output_shapes, n_state):
    return [TensorSpec(s, t) for t, s in zip(output_types, output_shapes, strict=False)]


def _make_reduce(op, ctx):
    dataset, fn, tensors = _payload(op, "f")
    n_state = op._attrs["n_state"]

    def reduce(*inputs):
        state = list(inputs[:n_state])
        env = runtime.Env(ctx, _values(tensors, inputs[n_state:]), dataset.options())
        try:
            dataset._check_all(env)
            bound = env.bind(fn)
            for element in dataset._elements(env):
                if element.__class__ is runtime.ElementError:
                    raise element.error  # TF's ReduceDataset stops at the first error
                state = bound(state + element)
        finally:
            env.close()
        return state[0] if n_state == 1 else state

    return reduce


register(OpDef(
    "ReduceDataset", infer=_reduce_infer, make_kernel=_make_reduce,
    attrs={"f": REQUIRED, "output_types": REQUIRED, "output_shapes": REQUIRED, "n_state": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False,
    input_names=("input_dataset: variant", "initial_state: Tstate", "other_arguments: Targuments"),
    output_names=("components: output_types",),
    attr_types={"f": "func", "Tstate": "list(type) >= 1", "Targuments": "list(type) >= 0",
                "output_types": "list(type) >= 1", "output_shapes": "list(shape) >= 1"},
))


# ---- building ------------------------------------------------------------------------------------------
def _describe(dataset: Dataset) -> str:
    chain, d = [], dataset
    while True:
        chain.append(type(d).__name__)
        children = d._inputs()
        if len(children) != 1:
            break
        d = children[0]
    return "estflow pipeline: " + " <- ".join(chain)


def _check_dataset(dataset) -> Dataset:
    if not isinstance(dataset, Dataset):
        raise TypeError(f"Expected a tf.data.Dataset, got {type(dataset).__name__}.")
    return dataset


def _assert_no_placeholders(tensors) -> None:
    """TF1: a one-shot iterator cannot capture placeholders (it has no initializer to feed them)."""
    seen, stack = set(), [t.op for t in tensors]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type == "Placeholder":
            raise ValueError(f"Cannot capture a placeholder (name:{op.name}, type:Placeholder) by value. Use "
                             "make_initializable_iterator() and feed the placeholder when running its initializer.")
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)


class Iterator:
    """The state of iterating a Dataset in a session, as TF1's `tf.data.Iterator`.

        iterator = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
        next_element = iterator.get_next()
        train_init = iterator.make_initializer(train)
        sess.run(train_init); sess.run(next_element)
    """

    def __init__(self, iterator_resource, initializer, output_types, output_shapes, output_classes):
        self._iterator_resource = iterator_resource
        self._initializer = initializer
        self._element_spec = structure.spec_from_legacy(output_types, output_shapes, output_classes)
        self._flat_types, self._flat_shapes = _flat_types_shapes(self._element_spec)
        iterator_resource.graph.add_to_collection(GLOBAL_ITERATORS, iterator_resource)

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None) -> Iterator:
        """An iterator not bound to a dataset: `make_initializer(dataset)` for each dataset it should run."""
        output_types = structure.map_structure(dtypes.as_dtype, output_types)
        spec = structure.spec_from_legacy(output_types, output_shapes, output_classes)
        types, shapes = _flat_types_shapes(spec)
        resource = apply_op("IteratorV2", name="IteratorV2", shared_name=shared_name or "", container="",
                            output_types=types, output_shapes=shapes)
        return Iterator(resource, None, output_types, structure.output_shapes(spec), structure.output_classes(spec))

    @staticmethod
    def from_string_handle(string_handle, output_types, output_shapes=None, output_classes=None) -> Iterator:
        """An iterator running whichever iterator `string_handle` (a fed string) names at each step."""
        output_types = structure.map_structure(dtypes.as_dtype, output_types)
        spec = structure.spec_from_legacy(output_types, output_shapes, output_classes)
        types, shapes = _flat_types_shapes(spec)
        handle = convert_to_tensor(string_handle, dtype=dtypes.string)
        resource = apply_op("IteratorFromStringHandleV2", handle, name="IteratorFromStringHandleV2",
                            output_types=types, output_shapes=shapes)
        return Iterator(resource, None, output_types, structure.output_shapes(spec), structure.output_classes(spec))

    @property
    def initializer(self) -> Operation:
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer

    @property
    def element_spec(self):
        return self._element_spec

    @property
    def output_types(self):
        return structure.output_types(self._element_spec)

    @property
    def output_shapes(self):
        return structure.output_shapes(self._element_spec)

    @property
    def output_classes(self):
        return structure.output_classes(self._element_spec)

    def make_initializer(self, dataset, name=None) -> Operation:
        """An op that (re)starts this iterator on `dataset` (its types must match the iterator's)."""
        dataset = _check_dataset(dataset)
        mine, theirs = self._element_spec, dataset.element_spec
        try:
            structure.assert_same_structure(mine, theirs)
        except (TypeError, ValueError):
            raise TypeError(f"Expected output types {self.output_types} but got dataset with output types "
                            f"{dataset.output_types}.") from None
        if structure.flatten(self.output_types) != structure.flatten(dataset.output_types):
            raise TypeError(f"Expected output types {self.output_types} but got dataset with output types "
                            f"{dataset.output_types}.")
        if structure.flatten(self.output_classes) != structure.flatten(dataset.output_classes):
            raise TypeError(f"Expected output classes {self.output_classes} but got dataset with output classes "
                            f"{dataset.output_classes}.")
        for a, b in zip(structure.flatten(self.output_shapes), structure.flatten(dataset.output_shapes), strict=False):
            if not a.is_compatible_with(b):
                raise TypeError(f"Expected output shapes compatible with {self.output_shapes} but got dataset with "
                                f"output shapes {dataset.output_shapes}.")
        tensors = dataset._all_tensors()
        with name_scope(name, "make_initializer") as scope:
            return apply_op("MakeIterator", self._iterator_resource, *tensors, name=scope,
                            dataset=_ref(_describe(dataset), (dataset, tensors)))

    def get_next(self, name=None):
        """The next element as tensors (with this iterator's static shapes); OutOfRangeError at the end."""
        outputs = apply_op("IteratorGetNext", self._iterator_resource, name=name or "IteratorGetNext",
                           output_types=self._flat_types, output_shapes=self._flat_shapes)
        return pack_flat_outputs(self._element_spec, outputs if isinstance(outputs, list) else [outputs])

    def string_handle(self, name=None) -> Tensor:
        """A string naming this iterator, to feed to an iterator made with `from_string_handle`."""
        return apply_op("IteratorToStringHandle", self._iterator_resource, name=name or "IteratorToStringHandle")


def pack_flat_outputs(spec, outputs: list):
    """An element of `spec` from an op's flat outputs (a sparse leaf takes three: indices, values, shape)."""
    leaves, i = [], 0
    for leaf in structure.flatten(spec):
        if structure.is_sparse(leaf):
            st = SparseTensor(outputs[i], outputs[i + 1], outputs[i + 2])
            st._set_static_shape(leaf.shape)
            leaves.append(st)
            i += 3
        else:
            leaves.append(outputs[i])
            i += 1
    return structure.pack_sequence_as(spec, leaves) if structure.is_nested(spec) else leaves[0]


def make_one_shot_iterator(dataset) -> Iterator:
    """An iterator over `dataset` that starts itself on first use, as `tf.compat.v1.data.make_one_shot_iterator`."""
    dataset = _check_dataset(dataset)
    tensors = dataset._all_tensors()
    _assert_no_placeholders(tensors)
    types, shapes = _flat_types_shapes(dataset.element_spec)
    handle = apply_op("OneShotIterator", *tensors, name="OneShotIterator",
                      dataset_factory=_ref(_describe(dataset), (dataset, tensors)),
                      output_types=types, output_shapes=shapes)
    return Iterator(handle, None, dataset.output_types, dataset.output_shapes, dataset.output_classes)


def make_initializable_iterator(dataset, shared_name=None) -> Iterator:
    """An iterator over `dataset` with an `initializer` op, as `tf.compat.v1.data.make_initializable_iterator`.

        x = tf.placeholder(tf.float32, [None])
        it = tf.compat.v1.data.make_initializable_iterator(tf.data.Dataset.from_tensor_slices(x))
        sess.run(it.initializer, feed_dict={x: data})
    """
    dataset = _check_dataset(dataset)
    types, shapes = _flat_types_shapes(dataset.element_spec)
    resource = apply_op("IteratorV2", name="IteratorV2", shared_name=shared_name or "", container="",
                        output_types=types, output_shapes=shapes)
    tensors = dataset._all_tensors()
    initializer = apply_op("MakeIterator", resource, *tensors, name="MakeIterator",
                           dataset=_ref(_describe(dataset), (dataset, tensors)))
    return Iterator(resource, initializer, dataset.output_types, dataset.output_shapes, dataset.output_classes)


def reduce_dataset(dataset: Dataset, initial_state, reduce_func):
    """`Dataset.reduce`: a ReduceDataset op folding the whole dataset (shapes relaxed until stable, as TF)."""
    state_leaves = [convert_to_tensor(x) if not isinstance(x, Tensor) else x for x in structure.flatten(initial_state)]
    for x in state_leaves:
        if isinstance(x, SparseTensorValue):
            raise TypeError("Dataset.reduce does not support sparse states in estflow.")
    state_spec = structure.pack_sequence_as(initial_state, [structure.TensorSpec(t.shape, t.dtype)
                                                            for t in state_leaves]) \
        if structure.is_nested(initial_state) else structure.TensorSpec(state_leaves[0].shape, state_leaves[0].dtype)
    for _ in range(10):
        fn = StructuredFunction(reduce_func, "reduce", (state_spec, dataset.element_spec))
        new_spec = fn.output_spec
        try:
            structure.assert_same_structure(state_spec, new_spec)
        except (TypeError, ValueError):
            raise TypeError(f"The structure of the new state ({new_spec}) must match the initial state "
                            f"({state_spec}).") from None
        old_leaves, new_leaves = structure.flatten(state_spec), structure.flatten(new_spec)
        for a, b in zip(old_leaves, new_leaves, strict=False):
            if a.dtype != b.dtype or structure.is_sparse(b):
                raise TypeError(f"The element types for the new state must match the initial state. Expected "
                                f"{structure.output_types(state_spec)}; got {structure.output_types(new_spec)}.")
        relaxed = [structure.most_specific_compatible_shape(a.shape, b.shape)
                   for a, b in zip(old_leaves, new_leaves, strict=True)]
        if all(r == a.shape for r, a in zip(relaxed, old_leaves, strict=False)):
            break
        relaxed_leaves = [a._with_shape(r) for a, r in zip(old_leaves, relaxed, strict=True)]
        state_spec = structure.pack_sequence_as(state_spec, relaxed_leaves) if structure.is_nested(state_spec) \
            else relaxed_leaves[0]
    leaves = structure.flatten(state_spec)
    tensors = dataset._all_tensors() + [t for t in fn.external_captures if t not in dataset._all_tensors()]
    outputs = apply_op("ReduceDataset", *state_leaves, *tensors, name="ReduceDataset",
                       f=_ref(_describe(dataset), (dataset, fn, tensors)),
                       output_types=tuple(s.dtype for s in leaves), output_shapes=tuple(s.shape for s in leaves),
                       n_state=len(leaves))
    if not isinstance(outputs, list):
        outputs = [outputs]
    return structure.pack_sequence_as(state_spec, outputs) if structure.is_nested(state_spec) else outputs[0]
