"""`tf.data.experimental` datasets: scan, take_while, unique, group_by_window, and choosing among datasets.

Each follows TF's dataset kernel of the same name: `scan` threads a state through the
elements, `take_while` stops at the first element its predicate rejects, `unique` drops
elements seen before, and `choose_from_datasets` / `sample_from_datasets` take each element
from the input a choice (or a weighted draw) names. TF1's `stop_on_empty_dataset=False`:
an exhausted input is skipped, and the stream ends when every input (or the choices) ends.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor
from estflow.core.random_seed import get_seed
from estflow.core.sparse_tensor import SparseTensor
from estflow.data import structure
from estflow.data.dataset_ops import Dataset, int_argument, runtime_int
from estflow.data.runtime import ElementError
from estflow.data.tracing import StructuredFunction
from estflow.data.transformations import _is_scalar_of, _UnaryDataset


def _dense_value(env, component):
    value = env.value(component)
    return value if isinstance(value, np.ndarray) else np.asarray(value)


class ScanDataset(_UnaryDataset):
    """`scan(initial_state, scan_func)`: scan_func(state, element) -> (new_state, output element)."""

    _cardinality = _UnaryDataset._input_cardinality

    def __init__(self, input_dataset, initial_state, scan_func):
        super().__init__(input_dataset)
        self._initial = [structure.to_component(x) for x in structure.flatten(initial_state)]
        if any(isinstance(c, SparseTensor) or structure.is_sparse(structure.spec_of(c)) for c in self._initial):
            raise TypeError("scan's state holds dense tensors only in estflow")
        specs = [structure.spec_of(c) for c in self._initial]
        for _ in range(2):  # TF retraces once with the state shapes relaxed to what the function returns
            state_spec = structure.pack_sequence_as(initial_state, specs) if structure.is_nested(initial_state) \
                else specs[0]
            self._fn = StructuredFunction(scan_func, "scan", (state_spec, input_dataset.element_spec))
            result = self._fn.output_spec
            if not isinstance(result, tuple) or len(result) != 2:
                raise TypeError("The scan function must return a pair comprising the new state and the output "
                                f"value, got {result}.")
            new_specs = structure.flatten(result[0])
            if len(new_specs) != len(specs):
                raise TypeError(f"The element classes for the new state must match the initial state. Expected "
                                f"{state_spec}; got {result[0]}.")
            for old, new in zip(specs, new_specs, strict=True):
                if old.dtype != new.dtype:
                    raise TypeError(f"The element types for the new state must match the initial state. Expected "
                                    f"{old.dtype.name}; got {new.dtype.name}.")
            relaxed = [structure.TensorSpec(structure.most_specific_compatible_shape(o.shape, n.shape), o.dtype)
                       for o, n in zip(specs, new_specs, strict=True)]
            if all(r.shape.as_tuple() == o.shape.as_tuple() for r, o in zip(relaxed, specs, strict=True)):
                break
            specs = relaxed
        self._state_size = len(specs)
        self._spec = result[1]

    def _functions(self):
        return (self._fn,)

    def _own_tensors(self):
        return [c for c in self._initial if isinstance(c, Tensor)]

    def _chunk_mode(self, env):
        return 0

    def _elements(self, env):
        fn = env.bind(self._fn)
        state = [_dense_value(env, c) for c in self._initial]
        for element in self._input._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            try:
                out = fn(state + element)
            except errors.OpError as e:
                yield ElementError(e)
                continue
            state = [np.asarray(v) for v in out[:self._state_size]]
            yield out[self._state_size:]


class TakeWhileDataset(_UnaryDataset):
    """`take_while(predicate)`: the elements up to (not including) the first one the predicate rejects."""

    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(predicate, "take_while", input_dataset.element_spec)
        spec = self._fn.output_spec
        if not _is_scalar_of(spec, dtypes.bool):
            raise ValueError(f"`predicate` return type must be convertible to a scalar boolean tensor. Was {spec}.")

    def _functions(self):
        return (self._fn,)

    def _chunk_mode(self, env):
        return 0

    def _elements(self, env):
        fn = env.bind(self._fn)
        for element in self._input._elements(env):
            if element.__class__ is not ElementError:
                try:
                    if not bool(fn(element)[0]):
                        return
                except errors.OpError as e:
                    element = ElementError(e)
            yield element


class UniqueDataset(_UnaryDataset):
    """`unique()`: each distinct element once, in order of first appearance."""

    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        specs = input_dataset._flat_specs()
        if len(specs) != 1 or structure.is_sparse(specs[0]) or \
                specs[0].dtype not in (dtypes.int32, dtypes.int64, dtypes.string):
            raise TypeError("`tf.data.experimental.unique()` only supports inputs with a single `tf.int32`, "
                            "`tf.int64`, or `tf.string` component.")

    def _chunk_mode(self, env):
        return 0

    def _elements(self, env):
        seen = set()
        for element in self._input._elements(env):
            if element.__class__ is not ElementError:
                value = np.asarray(element[0])
                key = (value.shape, tuple(value.ravel().tolist()))
                if key in seen:
                    continue
                seen.add(key)
            yield element


def _common_spec(datasets):
    first = datasets[0].element_spec
    for d in datasets[1:]:
        try:
            structure.assert_same_structure(first, d.element_spec)
        except (TypeError, ValueError) as e:
            raise TypeError(f"All datasets must have the same type and structure: {e}") from None
        for a, b in zip(structure.flatten(first), structure.flatten(d.element_spec), strict=True):
            if a.dtype != b.dtype or structure.is_sparse(a) != structure.is_sparse(b):
                raise TypeError(f"All datasets must have the same type and structure: {first} and "
                                f"{d.element_spec}.")
    flat = [structure.flatten(d.element_spec) for d in datasets]
    merged = []
    for leaves in zip(*flat, strict=True):
        shape = leaves[0].shape
        for leaf in leaves[1:]:
            shape = structure.most_specific_compatible_shape(shape, leaf.shape)
        merged.append(type(leaves[0])(shape, leaves[0].dtype))
    return structure.pack_sequence_as(first, merged) if structure.is_nested(first) else merged[0]


class _DirectedInterleaveDataset(Dataset):
    """Elements of `datasets`, each from the input the next choice names (TF's DirectedInterleaveDataset)."""

    def __init__(self, datasets, stop_on_empty_dataset):
        self._datasets = list(datasets)
        if not self._datasets:
            raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
        for d in self._datasets:
            if not isinstance(d, Dataset):
                raise TypeError(f"Invalid `datasets`. `datasets` must be a list of `tf.data.Dataset` objects, "
                                f"got {type(d).__name__}.")
        self._spec = _common_spec(self._datasets)
        self._stop_on_empty = bool(stop_on_empty_dataset)

    def _inputs(self):
        return tuple(self._datasets)

    def _interleave(self, env, choices):
        inputs = [d._elements(env) for d in self._datasets]
        alive = [True] * len(inputs)
        for index in choices:
            if index.__class__ is ElementError:
                yield index
                continue
            if not 0 <= index < len(inputs):
                yield ElementError(errors.InvalidArgumentError(
                    None, None, f"Selector index out of range: {index} >= {len(inputs)}"))
                continue
            if not alive[index]:
                continue
            element = next(inputs[index], None)
            if element is None:
                if self._stop_on_empty:
                    return
                alive[index] = False
                if not any(alive):
                    return
                continue
            yield element


class ChooseFromDatasetsDataset(_DirectedInterleaveDataset):
    """`choose_from_datasets(datasets, choice_dataset)`: element i from datasets[choice i]."""

    def __init__(self, datasets, choice_dataset, stop_on_empty_dataset=False):
        super().__init__(datasets, stop_on_empty_dataset)
        spec = choice_dataset.element_spec if isinstance(choice_dataset, Dataset) else None
        if not isinstance(spec, structure.TensorSpec) or spec.dtype != dtypes.int64 or spec.shape.ndims not in (0,
                                                                                                               None):
            raise TypeError(f"Invalid `choice_dataset`. Elements of `choice_dataset` must be scalar of `tf.int64` "
                            f"dtype, but got {spec}.")
        self._choices = choice_dataset

    def _inputs(self):
        return (self._choices, *self._datasets)

    def _elements(self, env):
        def choices():
            for element in self._choices._elements(env):
                yield element if element.__class__ is ElementError else int(element[0])

        return self._interleave(env, choices())


class SampleFromDatasetsDataset(_DirectedInterleaveDataset):
    """`sample_from_datasets(datasets, weights, seed)`: each element from an input drawn by `weights`;
    an exhausted input drops out and the others keep their relative weights. `weights` may be a
    Dataset of weight vectors: each draw then takes the next one (TF's choose_from_datasets over
    draws by those weights: a draw that names an exhausted input is skipped)."""

    def __init__(self, datasets, weights=None, seed=None, stop_on_empty_dataset=False):
        super().__init__(datasets, stop_on_empty_dataset)
        n = len(self._datasets)
        if weights is None:
            weights = [1.0 / n] * n
        if isinstance(weights, Dataset):
            spec = weights.element_spec
            if not isinstance(spec, structure.TensorSpec) or not spec.dtype.is_floating or \
                    not spec.shape.is_compatible_with([n]):
                raise TypeError(f"`weights` must be a dataset of float vectors of length {n}, got {spec}.")
        elif not isinstance(weights, Tensor):
            weights = np.asarray(weights, np.float64)
            if weights.shape != (n,):
                raise ValueError(f"Invalid `weights`. The shape of `weights` should be compatible with `[num_datasets]`"
                                 f", but got {list(weights.shape)}.")
        self._weights = weights
        self._seed, self._seed2 = get_seed(seed)

    def _own_tensors(self):
        return [self._weights] if isinstance(self._weights, Tensor) else []

    def _inputs(self):
        return (*self._datasets, self._weights) if isinstance(self._weights, Dataset) else tuple(self._datasets)

    def _varying_choices(self, env):
        rng = self._rng(env)
        for element in self._weights._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            weights = np.asarray(element[0], np.float64).reshape(-1)
            yield int(rng.choice(len(weights), p=weights / weights.sum()))

    def _rng(self, env):
        state = env.state(self, lambda: {"entropy": np.random.SeedSequence().entropy})
        key = [state["entropy"]] if self._seed is None else [self._seed % 2**63, self._seed2 % 2**63]
        return np.random.Generator(np.random.Philox(np.random.SeedSequence(key)))

    def _elements(self, env):
        if isinstance(self._weights, Dataset):
            return self._interleave(env, self._varying_choices(env))
        return self._fixed_weights(env)

    def _fixed_weights(self, env):
        weights = np.asarray(env.value(self._weights), np.float64).reshape(-1)
        if weights.size != len(self._datasets) or (weights < 0).any() or not weights.sum() > 0:
            raise errors.InvalidArgumentError(None, None, f"sample_from_datasets needs {len(self._datasets)} "
                                              f"non-negative weights with a positive sum, got {weights.tolist()}")
        rng = self._rng(env)
        live = weights.copy()
        inputs = [d._elements(env) for d in self._datasets]
        while live.sum() > 0:
            index = int(rng.choice(len(live), p=live / live.sum()))
            element = next(inputs[index], None)
            if element is None:
                if self._stop_on_empty:
                    return
                live[index] = 0.0
                continue
            yield element


# ---- group_by_window --------------------------------------------------------------------------------------
class _WindowSource(Dataset):
    """The dataset `reduce_func` receives: the elements of one window, handed in at run time."""

    def __init__(self, element_spec):
        self._spec = element_spec

    def _elements(self, env):
        return iter(env.node_state[id(self)][1])


class GroupByWindowDataset(_UnaryDataset):
    """`group_by_window(key_func, reduce_func, window_size)`: elements grouped by key; each full window
    (and, at the end, each partial one, in order of first appearance) becomes reduce_func(key, window)."""

    def __init__(self, input_dataset, key_func, reduce_func, window_size=None, window_size_func=None):
        super().__init__(input_dataset)
        if (window_size is None) == (window_size_func is None):
            raise ValueError("Either the `window_size` argument or the `window_size_func` argument must be "
                             "specified.")
        key_spec = structure.TensorSpec([], dtypes.int64)
        self._key_fn = StructuredFunction(key_func, "group_by_window", input_dataset.element_spec)
        spec = self._key_fn.output_spec
        if not _is_scalar_of(spec, dtypes.int64):
            raise ValueError(f"`key_func` must return a single tf.int64 scalar tensor. Got type={spec}.")
        self._window = _WindowSource(input_dataset.element_spec)
        window = self._window
        self._reduce_fn = StructuredFunction(lambda key: reduce_func(key, window), "group_by_window",
                                             key_spec, returns_dataset=True)
        self._spec = self._reduce_fn.output_spec
        self._size_fn = None
        self._window_size = None
        if window_size_func is not None:
            self._size_fn = StructuredFunction(window_size_func, "group_by_window", key_spec)
            size_spec = self._size_fn.output_spec
            if not isinstance(size_spec, structure.TensorSpec) or size_spec.dtype != dtypes.int64:
                raise ValueError(f"`window_size_func` must return a single tf.int64 scalar tensor. Got {size_spec}.")
        else:
            self._window_size = int_argument(window_size, "window_size")

    def _functions(self):
        return tuple(f for f in (self._key_fn, self._reduce_fn, self._size_fn) if f is not None)

    def _own_tensors(self):
        return [self._window_size] if isinstance(self._window_size, Tensor) else []

    def _chunk_mode(self, env):
        return 0

    def _reduce(self, env, reduce_fn, key, elements):
        values = reduce_fn.raw([np.int64(key)])
        child = env.child(dict(zip(self._reduce_fn.inner_tensors, values, strict=False)))
        child.node_state[id(self._window)] = (self._window, list(elements))
        self._reduce_fn.dataset._check_all(child)
        return self._reduce_fn.dataset._elements(child)

    def _elements(self, env):
        key_fn = env.bind(self._key_fn)
        reduce_fn = env.bind(self._reduce_fn)
        size_fn = env.bind(self._size_fn) if self._size_fn is not None else None
        fixed = None if size_fn is not None else runtime_int(env, self._window_size)
        windows: dict = {}
        for element in self._input._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            try:
                key = int(np.asarray(key_fn(element)[0]))
                size = fixed if size_fn is None else int(np.asarray(size_fn([np.int64(key)])[0]))
            except errors.OpError as e:
                yield ElementError(e)
                continue
            if size <= 0:
                raise errors.InvalidArgumentError(None, None, f"Window size must be greater than zero, but got {size}.")
            window = windows.setdefault(key, [])
            window.append(element)
            if len(window) >= size:
                del windows[key]
                yield from self._reduce(env, reduce_fn, key, window)
        for key, window in list(windows.items()):
            yield from self._reduce(env, reduce_fn, key, window)


# ---- group_by_reducer -----------------------------------------------------------------------------------------
class Reducer:
    """How `group_by_reducer` folds a group: init_func(key) -> state, reduce_func(state, element) -> state,
    finalize_func(state) -> output element, as `tf.data.experimental.Reducer`."""

    def __init__(self, init_func, reduce_func, finalize_func):
        self._init_func = init_func
        self._reduce_func = reduce_func
        self._finalize_func = finalize_func

    @property
    def init_func(self):
        return self._init_func

    @property
    def reduce_func(self):
        return self._reduce_func

    @property
    def finalize_func(self):
        return self._finalize_func


class GroupByReducerDataset(_UnaryDataset):
    """`group_by_reducer(key_func, reducer)`: one output per key, its group folded by the reducer, emitted
    when the input ends (keys in order of first appearance)."""

    def __init__(self, input_dataset, key_func, reducer):
        super().__init__(input_dataset)
        key_spec = structure.TensorSpec([], dtypes.int64)
        self._key_fn = StructuredFunction(key_func, "group_by_reducer", input_dataset.element_spec)
        spec = self._key_fn.output_spec
        if not _is_scalar_of(spec, dtypes.int64):
            raise ValueError(f"`key_func` must return a single tf.int64 scalar tensor. Got type={spec}.")
        self._init_fn = StructuredFunction(reducer.init_func, "group_by_reducer", key_spec)
        state_spec = self._init_fn.output_spec
        for _ in range(2):  # as scan: retrace once with the state shapes relaxed to what reduce_func returns
            self._reduce_fn = StructuredFunction(reducer.reduce_func, "group_by_reducer",
                                                 (state_spec, input_dataset.element_spec))
            old, new = structure.flatten(state_spec), structure.flatten(self._reduce_fn.output_spec)
            if len(old) != len(new) or any(a.dtype != b.dtype for a, b in zip(old, new, strict=True)):
                raise TypeError(f"The element types for the new state must match the initial state. Expected "
                                f"{state_spec}; got {self._reduce_fn.output_spec}.")
            relaxed = [structure.TensorSpec(structure.most_specific_compatible_shape(a.shape, b.shape), a.dtype)
                       for a, b in zip(old, new, strict=True)]
            if all(r.shape.as_tuple() == a.shape.as_tuple() for r, a in zip(relaxed, old, strict=True)):
                break
            state_spec = structure.pack_sequence_as(state_spec, relaxed) if structure.is_nested(state_spec) \
                else relaxed[0]
        self._finalize_fn = StructuredFunction(reducer.finalize_func, "group_by_reducer", state_spec)
        self._spec = self._finalize_fn.output_spec

    def _functions(self):
        return (self._key_fn, self._init_fn, self._reduce_fn, self._finalize_fn)

    def _chunk_mode(self, env):
        return 0

    def _elements(self, env):
        key_fn, init_fn = env.bind(self._key_fn), env.bind(self._init_fn)
        reduce_fn, finalize_fn = env.bind(self._reduce_fn), env.bind(self._finalize_fn)
        states: dict = {}
        for element in self._input._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            try:
                key = int(np.asarray(key_fn(element)[0]))
                state = states.get(key)
                if state is None:
                    state = [np.asarray(v) for v in init_fn([np.int64(key)])]
                states[key] = [np.asarray(v) for v in reduce_fn(state + element)]
            except errors.OpError as e:
                yield ElementError(e)
        for state in states.values():
            yield finalize_fn(state)
