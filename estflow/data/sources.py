"""Dataset sources: from_tensors, from_tensor_slices, range, from_generator, list_files, zip, concatenate.

`SourceDataset` is the hook for new sources (text lines, TFRecords): a Python iterator
factory over already-evaluated inputs.
"""

from __future__ import annotations

import glob
import itertools

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph import Tensor
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue
from estflow.data import runtime, structure
from estflow.data.dataset_ops import INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, int_argument, runtime_int
from estflow.data.runtime import ElementError


def _components(element, what: str):
    flat = [structure.to_component(x) for x in structure.flatten(element)]
    if not flat:
        raise ValueError(f"{what} needs at least one component; got an empty structure {element!r}.")
    return flat


def _dense_value(env, component):
    value = env.value(component)
    if isinstance(value, SparseTensorValue):
        return value
    if not isinstance(value, np.ndarray):
        value = np.asarray(value)
    return value


class TensorDataset(Dataset):
    """`Dataset.from_tensors`: a single element."""

    def __init__(self, element):
        self._structure = element
        self._components = _components(element, "from_tensors")
        self._spec = structure.pack_sequence_as(element, [structure.spec_of(c) for c in self._components]) \
            if structure.is_nested(element) else structure.spec_of(self._components[0])

    def _own_tensors(self):
        return [c for c in self._components if isinstance(c, (Tensor, SparseTensor))]

    def _chunk_mode(self, env):
        return 2 if self._is_dense() else 0

    def _elements(self, env):
        if self._is_dense():
            return self._rows_of_chunks(env)
        return iter([[_dense_value(env, c) for c in self._components]])

    def _chunks(self, env, hint):
        yield [np.expand_dims(_dense_value(env, c), 0) for c in self._components]

    def _cardinality(self, env):
        return 1


class TensorSliceDataset(Dataset):
    """`Dataset.from_tensor_slices`: one element per row."""

    def __init__(self, element):
        self._components = _components(element, "from_tensor_slices")
        specs = []
        first_dim = None
        for c in self._components:
            spec = structure.spec_of(c)
            dims = spec.shape.as_tuple()
            if dims is not None:
                if not dims:
                    raise ValueError("Unbatching a tensor is only supported for rank >= 1; from_tensor_slices needs "
                                     f"every component to have a first dimension, got a scalar {c!r:.80}.")
                if dims[0] is not None:
                    if first_dim is not None and dims[0] != first_dim:
                        raise ValueError(f"Dimensions {first_dim} and {dims[0]} are not compatible: all components "
                                         "of from_tensor_slices must have the same size in their first dimension.")
                    first_dim = dims[0]
            specs.append(spec._with_shape(spec.shape[1:]))
        self._spec = structure.pack_sequence_as(element, specs) if structure.is_nested(element) else specs[0]
        self._sparse = [structure.is_sparse(s) for s in specs]

    def _own_tensors(self):
        return [c for c in self._components if isinstance(c, (Tensor, SparseTensor))]

    def _values(self, env):
        values = [_dense_value(env, c) for c in self._components]
        n = None
        for v in values:
            rows = int(v.dense_shape[0]) if isinstance(v, SparseTensorValue) else (v.shape[0] if v.ndim else None)
            if rows is None:
                raise errors.InvalidArgumentError(None, None, "from_tensor_slices got a scalar component; every "
                                                              "component needs a first dimension to slice.")
            if n is None:
                n = rows
            elif rows != n:
                raise errors.InvalidArgumentError(
                    None, None, f"All components of from_tensor_slices must have the same size in the 0th dimension: "
                                f"got {n} and {rows}.")
        return values, n

    def _check(self, env):
        if self._own_tensors():
            self._values(env)

    def _chunk_mode(self, env):
        return 0 if any(self._sparse) else 2

    def _elements(self, env):
        if not any(self._sparse):
            return self._rows_of_chunks(env)
        values, n = self._values(env)
        sparse = self._sparse
        iters = [runtime.sparse_rows(v) if s else runtime.rows([v]) for v, s in zip(values, sparse, strict=True)]
        return ([x if s else x[0] for x, s in zip(row, sparse, strict=True)] for row in zip(*iters, strict=False))

    def _rows_of_chunks(self, env):
        values, n = self._values(env)
        return runtime.rows(values) if n else iter(())

    def _cardinality(self, env):
        return self._values(env)[1]

    def _chunks(self, env, hint):
        values, n = self._values(env)
        for start in range(0, n, hint):
            yield [v[start:start + hint] for v in values]


class RangeDataset(Dataset):
    """`Dataset.range(start, stop, step)`: int64 scalars."""

    def __init__(self, *args):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid arguments to RangeDataset: {args}")
        if len(args) == 1:
            args = (0, args[0], 1)
        elif len(args) == 2:
            args = (args[0], args[1], 1)
        self._args = [int_argument(a, name) for a, name in zip(args, ("start", "stop", "step"), strict=False)]
        self._spec = structure.TensorSpec([], dtypes.int64)

    def _own_tensors(self):
        return [a for a in self._args if isinstance(a, Tensor)]

    def _range(self, env):
        start, stop, step = (runtime_int(env, a) for a in self._args)
        if step == 0:
            raise errors.InvalidArgumentError(None, None, "step must be a non-zero integer.")
        return start, stop, step

    def _check(self, env):
        self._range(env)

    def _chunk_mode(self, env):
        return 2

    def _elements(self, env):
        return map(lambda i: [np.int64(i)], range(*self._range(env)))

    def _cardinality(self, env):
        return len(range(*self._range(env)))

    def _chunks(self, env, hint):
        start, stop, step = self._range(env)
        n = len(range(start, stop, step))
        for k in range(0, n, hint):
            yield [np.arange(start + k * step, start + min(n, k + hint) * step, step, dtype=np.int64)]


# An exception raised by a generator becomes the error TF's py_func reports for it; anything else
# (SystemExit from a sys.exit() in the generator included) is UnknownError, as in TF: it must not end
# the process. KeyboardInterrupt still stops the program.
_PY_FUNC_ERRORS = ((ValueError, errors.InvalidArgumentError), (TypeError, errors.InvalidArgumentError),
                   (MemoryError, errors.ResourceExhaustedError), (NotImplementedError, errors.UnimplementedError))


def _py_func_error(exc: BaseException) -> errors.OpError:
    if isinstance(exc, errors.OpError):
        return exc
    cls = next((c for kind, c in _PY_FUNC_ERRORS if isinstance(exc, kind)), errors.UnknownError)
    error = cls(None, None, f"{type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


def _generator_values(generator, args):
    """The values of `generator(*args)`; an exception it raises is an ElementError, and the next value
    is asked for as TF does (a Python generator that raised is finished: that ends the dataset).

    `generator` is called at the first get_next, as TF's py_func calls it; if the call fails, its
    error is the dataset's only element.
    """
    try:
        iterator = iter(generator(*args))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - reported as TF reports a failing py_func
        yield ElementError(_py_func_error(exc))
        return
    while True:
        try:
            value = next(iterator)
        except StopIteration:
            return
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported as TF reports a failing py_func
            value = ElementError(_py_func_error(exc))
        yield value


class GeneratorDataset(Dataset):
    """`Dataset.from_generator`: elements yielded by a Python generator, checked against the declared types."""

    _external_state = True

    def __init__(self, generator, output_types, output_shapes=None, args=None):
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        self._generator = generator
        self._types = structure.map_structure(dtypes.as_dtype, output_types)
        self._spec = structure.spec_from_legacy(self._types, output_shapes)
        self._leaves = structure.flatten(self._spec)
        self._args = [] if args is None else [structure.to_component(a) for a in tuple(args)]

    def _own_tensors(self):
        return [a for a in self._args if isinstance(a, Tensor)]

    def _elements(self, env):
        args = []
        for a in self._args:
            v = env.value(a)
            args.append(v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v)
        return self._convert_all(args)

    def _convert_all(self, args):
        """The generator's values as elements; a value of the wrong structure, type or shape is an
        ElementError in its place, and the values after it still come (as TF)."""
        types = self._types
        for value in _generator_values(self._generator, args):
            if value.__class__ is ElementError:
                yield value
                continue
            try:
                try:
                    flat = structure.flatten_up_to(types, value)
                except TypeError:
                    raise errors.InvalidArgumentError(
                        None, None, f"TypeError: `generator` yielded an element that did not match the expected "
                                    f"structure. The expected structure was {types}, but the yielded element was "
                                    f"{value!r:.200}.") from None
                element = [self._convert(v, spec) for v, spec in zip(flat, self._leaves, strict=False)]
            except errors.OpError as e:
                element = ElementError(e)
            yield element

    @staticmethod
    def _convert(value, spec):
        try:
            if spec.dtype == dtypes.string:
                arr = structure.to_array(value)
                if arr.dtype != object:
                    raise TypeError(f"expected strings, got {arr.dtype}")
            else:
                arr = np.asarray(value, dtype=spec.dtype.as_numpy_dtype)
        except (TypeError, ValueError):
            raise errors.InvalidArgumentError(
                None, None, f"TypeError: `generator` yielded an element that could not be converted to the expected "
                            f"type. The expected type was {spec.dtype.name}, but the yielded element was "
                            f"{value!r:.200}.") from None
        if not spec.shape.is_compatible_with(arr.shape):
            raise errors.InvalidArgumentError(
                None, None, f"`generator` yielded an element of shape {arr.shape} where an element of shape "
                            f"{spec.shape.as_tuple()} was expected.")
        return arr


class SourceDataset(Dataset):
    """A source built from Python: elements come from `make_iterator(*input_values)`.

    For file readers and other new sources. `inputs` are values or graph tensors (read
    when the iterator is initialized, passed as numpy). `make_iterator` yields elements
    as flat lists of numpy components in `element_spec`'s flattened order (string
    scalars as 0-d object arrays of bytes); the optional `make_chunks(*input_values, hint)`
    yields chunks (flat lists of arrays with a leading row dimension) for fast batching.

        lines = SourceDataset(tf.TensorSpec([], tf.string), read_lines, inputs=[filenames])
    """

    def __init__(self, element_spec, make_iterator, inputs=(), make_chunks=None):
        self._spec = element_spec
        self._make_iterator = make_iterator
        self._make_chunks = make_chunks
        self._input_components = [structure.to_component(x) for x in inputs]

    def _own_tensors(self):
        return [a for a in self._input_components if isinstance(a, (Tensor, SparseTensor))]

    def _input_values(self, env):
        return [env.value(a) for a in self._input_components]

    def _chunk_mode(self, env):
        return 2 if self._make_chunks is not None else 0

    def _elements(self, env):
        if self._make_chunks is not None:
            return self._rows_of_chunks(env)
        return iter(self._make_iterator(*self._input_values(env)))

    def _chunks(self, env, hint):
        return iter(self._make_chunks(*self._input_values(env), hint))


class ListFilesDataset(Dataset):
    """The sorted file names matching glob patterns (shuffling is a ShuffleDataset on top)."""

    def __init__(self, file_pattern):
        if isinstance(file_pattern, (Tensor,)):
            self._pattern = file_pattern
        else:
            self._pattern = structure.to_array(file_pattern)
            if self._pattern.dtype != object:
                raise TypeError(f"file_pattern must be a string or a list of strings, got {file_pattern!r}.")
        self._spec = structure.TensorSpec([], dtypes.string)

    def _own_tensors(self):
        return [self._pattern] if isinstance(self._pattern, Tensor) else []

    def _names(self, env):
        patterns = [p.decode("utf-8") if isinstance(p, bytes) else str(p)
                    for p in np.asarray(env.value(self._pattern), dtype=object).reshape(-1)]
        names = []
        for pattern in patterns:
            names.extend(sorted(glob.glob(pattern)))
        if not names:
            raise errors.InvalidArgumentError(None, None, "No files matched pattern: " + ", ".join(patterns))
        return structure.to_array(names)

    def _check(self, env):
        self._names(env)

    def _cardinality(self, env):
        return len(self._names(env))

    def _chunk_mode(self, env):
        return 2

    def _chunks(self, env, hint):
        names = self._names(env)
        for start in range(0, len(names), hint):
            yield [names[start:start + hint]]


class ZipDataset(Dataset):
    """`Dataset.zip`: elements of several datasets side by side."""

    def __init__(self, datasets):
        for d in structure.flatten(datasets):
            if not isinstance(d, Dataset):
                raise TypeError("The argument to `Dataset.zip()` must be a (nested) structure of `Dataset` objects; "
                                f"got {type(d).__name__}.")
        self._structure = datasets
        self._datasets = structure.flatten(datasets)
        if structure.is_nested(datasets):
            self._spec = structure.pack_sequence_as(datasets, [d.element_spec for d in self._datasets])
        else:
            self._spec = datasets.element_spec

    def _inputs(self):
        return tuple(self._datasets)

    def _cardinality(self, env):
        # TF: unknown if any input is; else the shortest finite input (infinite when all are).
        result = INFINITE_CARDINALITY
        for d in self._datasets:
            n = d._cardinality(env)
            if n == UNKNOWN_CARDINALITY:
                return n
            if n != INFINITE_CARDINALITY and (result == INFINITE_CARDINALITY or n < result):
                result = n
        return result

    def _chunk_mode(self, env):
        return min(d._chunk_mode(env) for d in self._datasets)

    # TF's ZipDataset takes one element from each input in turn: a failed element is passed on, and the
    # elements already taken from the inputs before it at that position are dropped.
    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return self._zip_elements([d._elements(env) for d in self._datasets])

    @staticmethod
    def _zip_elements(iterators):
        while True:
            element = []
            for it in iterators:
                part = next(it, None)
                if part is None:
                    return
                if part.__class__ is ElementError:
                    element = part
                    break
                element.extend(part)
            yield element

    def _chunks(self, env, hint):
        streams = [runtime.Rechunker(runtime.chunks_of(d, env, hint)) for d in self._datasets]
        while True:
            n = hint
            for s in streams:
                n = s.available(n)
                if n == 0:
                    break
            if n:
                parts = [s.take(n) for s in streams]
                failed = next((p for p in parts if p.__class__ is ElementError), None)
                yield failed if failed is not None else [c for p in parts for c in p]
                continue
            for s in streams:  # a failed element or the end in some input: one element from each in turn
                part = s.take(1)
                if part is None:
                    return
                if part.__class__ is ElementError:
                    yield part
                    break


class ConcatenateDataset(Dataset):
    """`Dataset.concatenate`: one dataset's elements, then another's."""

    def __init__(self, first: Dataset, second: Dataset):
        if not isinstance(second, Dataset):
            raise TypeError(f"concatenate expects a Dataset, got {type(second).__name__}.")
        try:
            structure.assert_same_structure(first.element_spec, second.element_spec)
        except (ValueError, TypeError):
            raise TypeError(f"Two datasets to concatenate have different types {first.output_types} and "
                            f"{second.output_types}") from None
        if structure.flatten(first.output_types) != structure.flatten(second.output_types):
            raise TypeError(f"Two datasets to concatenate have different types {first.output_types} and "
                            f"{second.output_types}")
        if structure.flatten(first.output_classes) != structure.flatten(second.output_classes):
            raise TypeError(f"Two datasets to concatenate have different classes {first.output_classes} and "
                            f"{second.output_classes}")
        self._first, self._second = first, second
        self._spec = structure.map_structure(
            lambda a, b: a._with_shape(structure.most_specific_compatible_shape(a.shape, b.shape)),
            first.element_spec, second.element_spec)

    def _inputs(self):
        return (self._first, self._second)

    def _cardinality(self, env):
        counts = (self._first._cardinality(env), self._second._cardinality(env))
        if INFINITE_CARDINALITY in counts:
            return INFINITE_CARDINALITY
        return UNKNOWN_CARDINALITY if UNKNOWN_CARDINALITY in counts else sum(counts)

    def _chunk_mode(self, env):
        return min(self._first._chunk_mode(env), self._second._chunk_mode(env))

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        return itertools.chain(self._first._elements(env), self._second._elements(env))

    def _chunks(self, env, hint):
        yield from runtime.chunks_of(self._first, env, hint)
        yield from runtime.chunks_of(self._second, env, hint)
