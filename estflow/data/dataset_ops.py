"""`tf.data.Dataset`: an input pipeline described in Python and run inside a session.

A Dataset is a tree of small nodes (sources.py, transformations.py, batching.py,
shuffle.py, cache.py), each knowing its `element_spec` and how to produce its elements
at run time. Nothing runs when the pipeline is built, except that functions given to
`map`, `filter`, `flat_map`, `interleave` and `reduce` are traced once into graph
functions (tracing.py). An iterator (iterator_ops.py) puts the pipeline into the graph:
its initializer evaluates the graph tensors the pipeline captured (placeholders fed
then included) and starts a fresh instance in the session; `get_next()` pulls one element.

    dataset = tf.data.Dataset.from_tensor_slices((features, labels))
    dataset = dataset.shuffle(1000).repeat(3).batch(32)
    x, y = tf.compat.v1.data.make_one_shot_iterator(dataset).get_next()

The node protocol (for whoever adds a source, e.g. a file reader; see SourceDataset):

    _inputs()            child datasets
    _functions()         StructuredFunctions it runs (their captured tensors are inputs too)
    _own_tensors()       graph tensors it reads itself
    _check(env)          validate arguments when the iterator is initialized
    _elements(env)       iterator of elements (flat component lists)
    _chunk_mode(env)     2: natively yields chunks of rows; 1: can, if it may read ahead; 0: no
    _chunks(env, hint)   iterator of chunks of about `hint` rows (see runtime.py)

A failed element travels in the stream as a `runtime.ElementError` in its place (between
chunks in a chunked stream): a stage passes it on, counts it as no element (take, skip,
shard, repeat) and goes on after it; see runtime.py.

Pipelines hold Python objects (functions, generators, numpy arrays), so a graph holding
an iterator can be written to a GraphDef for TensorBoard, but not run again from one.
"""

from __future__ import annotations

import numpy as np

from estflow.core.graph import Tensor
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import Dimension
from estflow.data import runtime, structure
from estflow.data.options import Options

AUTOTUNE = -1
INFINITE_CARDINALITY = -1  # what TF's `cardinality` reports for an endless dataset
UNKNOWN_CARDINALITY = -2  # ... and for one whose size it cannot tell


class Dataset:
    """A sequence of elements, each a nested structure of tensors, as TF1's `tf.data.Dataset`."""

    # ---- the node protocol (see the module docstring) ------------------------------------------
    _external_state = False  # True where elements come from Python code or a database (read when asked for)

    def _inputs(self) -> tuple:
        return ()

    def _functions(self) -> tuple:
        return ()

    def _own_tensors(self) -> list:
        return []

    def _check(self, env) -> None:
        pass

    def _chunk_mode(self, env) -> int:
        return 0

    def _elements(self, env):
        if self._chunk_mode(env) == 2:
            return self._rows_of_chunks(env)
        raise NotImplementedError(f"{type(self).__name__} must implement _elements")

    def _rows_of_chunks(self, env):
        yield from runtime.rows_of_chunks(self._chunks(env, runtime.ELEMENT_CHUNK))

    def _chunks(self, env, hint: int):
        raise NotImplementedError(f"{type(self).__name__} does not produce chunks")

    def _cardinality(self, env) -> int:
        """How many elements an instance yields, by TF's rules (a count, INFINITE_ or UNKNOWN_CARDINALITY)."""
        return UNKNOWN_CARDINALITY

    def _all_tensors(self) -> list:
        """Every graph tensor this pipeline reads: the inputs of its iterator's initializer."""
        out, seen = [], set()

        def add(t):
            if isinstance(t, SparseTensor):
                for part in (t.indices, t.values, t.dense_shape):
                    add(part)
            elif isinstance(t, Tensor) and t not in seen:
                seen.add(t)
                out.append(t)

        def visit(ds):
            for t in ds._own_tensors():
                add(t)
            for fn in ds._functions():
                for t in fn.external_captures:
                    add(t)
            for child in ds._inputs():
                visit(child)

        visit(self)
        return out

    def _check_all(self, env) -> None:
        self._check(env)
        for child in self._inputs():
            child._check_all(env)

    def _flat_specs(self) -> list:
        return structure.flatten(self.element_spec)

    def _is_dense(self) -> bool:
        return not structure.any_sparse(self._flat_specs())

    # ---- structure ---------------------------------------------------------------------------------
    @property
    def element_spec(self):
        """The type of each element: a nested structure of TensorSpec / SparseTensorSpec."""
        return self._spec

    @property
    def output_types(self):
        return structure.output_types(self.element_spec)

    @property
    def output_shapes(self):
        return structure.output_shapes(self.element_spec)

    @property
    def output_classes(self):
        return structure.output_classes(self.element_spec)

    def options(self) -> Options:
        """The options set on this pipeline with `with_options` (merged along the pipeline)."""
        merged = Options()
        for child in self._inputs():
            merged = merged.merge(child.options())
        own = getattr(self, "_options", None)
        return merged.merge(own) if own is not None else merged

    def __iter__(self):
        raise RuntimeError("__iter__() is only supported inside of tf.function or when eager execution is "
                           "enabled. In a TF1 graph, use tf.compat.v1.data.make_one_shot_iterator(dataset) "
                           "and run its get_next() in a session.")

    def __repr__(self):
        return f"<{type(self).__name__} shapes: {self.output_shapes}, types: {self.output_types}>"

    def as_numpy_iterator(self):
        """TF's eager-only iteration as numpy values; a TF1 graph raises RuntimeError, as TF does."""
        raise RuntimeError("`tf.data.Dataset.as_numpy_iterator()` is only supported in eager mode.")

    def cardinality(self):
        """The number of elements as an int64 scalar tensor (see `tf.data.experimental.cardinality`)."""
        from estflow.data.dataset_graph_ops import cardinality  # its module builds on this one

        return cardinality(self)

    def assert_cardinality(self, expected_cardinality) -> Dataset:
        """This dataset, failing when it holds other than `expected_cardinality` elements (see
        `tf.data.experimental.assert_cardinality`)."""
        from estflow.data.experimental_transformations import AssertCardinalityDataset  # builds on this module

        return AssertCardinalityDataset(self, expected_cardinality)

    def get_single_element(self, name=None):
        """The only element as tensors (see `tf.data.experimental.get_single_element`)."""
        from estflow.data.dataset_graph_ops import single_element  # its module builds on this one

        return single_element(self, name)

    # ---- sources -----------------------------------------------------------------------------------
    @staticmethod
    def from_tensors(tensors) -> Dataset:
        """A dataset of one element, `tensors` (numpy arrays stay in Python; tensors are read at init)."""
        from estflow.data.sources import TensorDataset  # its module builds on this one

        return TensorDataset(tensors)

    @staticmethod
    def from_tensor_slices(tensors) -> Dataset:
        """One element per row of `tensors` (all components sliced along their first dimension).

            ds = tf.data.Dataset.from_tensor_slices({"age": ages, "city": cities})   # one dict per row
        """
        from estflow.data.sources import TensorSliceDataset  # its module builds on this one

        return TensorSliceDataset(tensors)

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None) -> Dataset:
        """Elements yielded by `generator(*args)`, converted to `output_types` and checked against `output_shapes`.

        The generator is called anew each time the dataset is iterated (each initialization, each repeat).
        """
        from estflow.data.sources import GeneratorDataset  # its module builds on this one

        return GeneratorDataset(generator, output_types, output_shapes, args)

    @staticmethod
    def range(*args) -> Dataset:
        """int64 elements as Python's range: `range(5)`, `range(2, 5)`, `range(1, 10, 3)`."""
        from estflow.data.sources import RangeDataset  # its module builds on this one

        return RangeDataset(*args)

    @staticmethod
    def zip(datasets) -> Dataset:
        """Elements of several datasets side by side (a tuple or dict of datasets); stops at the shortest."""
        from estflow.data.sources import ZipDataset  # its module builds on this one

        return ZipDataset(datasets)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None) -> Dataset:
        """The file names matching a glob pattern (or list of patterns); shuffled unless `shuffle=False`."""
        from estflow.data.sources import ListFilesDataset  # its module builds on this one

        ds = ListFilesDataset(file_pattern)
        if shuffle is None or shuffle:
            ds = ds.shuffle(np.iinfo(np.int64).max, seed=seed)
        return ds

    # ---- transformations ---------------------------------------------------------------------------
    def concatenate(self, dataset) -> Dataset:
        """This dataset's elements, then `dataset`'s (types must match)."""
        from estflow.data.sources import ConcatenateDataset  # its module builds on this one

        return ConcatenateDataset(self, dataset)

    def map(self, map_func, num_parallel_calls=None) -> Dataset:
        """`map_func` applied to each element (traced once; a tuple element is unpacked into arguments).

        Row-wise functions (elementwise math, casts, string ops, decode_csv) run once per batch
        of rows; the results are the same as per element. `num_parallel_calls` sets how many
        calls TF1 runs at once; the elements and their order are the same either way.
        """
        from estflow.data.transformations import MapDataset  # its module builds on this one

        return MapDataset(self, map_func, num_parallel_calls)

    def flat_map(self, map_func) -> Dataset:
        """`map_func` maps each element to a Dataset; their elements are concatenated."""
        from estflow.data.transformations import FlatMapDataset  # its module builds on this one

        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=AUTOTUNE, block_length=1, num_parallel_calls=None) -> Dataset:
        """`map_func` maps elements to datasets whose elements are interleaved: `block_length` from each of
        `cycle_length` open datasets in turn, in TF's exact order (parallel calls give the same order)."""
        from estflow.data.transformations import InterleaveDataset  # its module builds on this one

        return InterleaveDataset(self, map_func, cycle_length, block_length)

    def filter(self, predicate) -> Dataset:
        """The elements for which `predicate` (a scalar bool function) is True."""
        from estflow.data.transformations import FilterDataset  # its module builds on this one

        return FilterDataset(self, predicate)

    def batch(self, batch_size, drop_remainder=False) -> Dataset:
        """Consecutive elements stacked into batches; the last may be smaller unless `drop_remainder`."""
        from estflow.data.batching import BatchDataset  # its module builds on this one

        return BatchDataset(self, batch_size, drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False) -> Dataset:
        """Batches of elements padded to `padded_shapes` (None / -1 dims: the longest in the batch)."""
        from estflow.data.batching import PaddedBatchDataset  # its module builds on this one

        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def unbatch(self) -> Dataset:
        """Each element split along its first dimension into several elements."""
        from estflow.data.batching import UnbatchDataset  # its module builds on this one

        return UnbatchDataset(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None) -> Dataset:
        """Elements in random order, TF's buffer algorithm: fill `buffer_size` elements, then each output
        is a uniformly random buffered element, replaced by the next input.

        With a seed (or a graph seed) the order is reproducible: a new iterator replays it; each
        iteration (a `repeat` epoch) reshuffles unless `reshuffle_each_iteration=False`.
        """
        from estflow.data.shuffle import ShuffleDataset  # its module builds on this one

        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None) -> Dataset:
        """This dataset `count` times (forever when None or -1)."""
        from estflow.data.transformations import RepeatDataset  # its module builds on this one

        return RepeatDataset(self, count)

    def take(self, count) -> Dataset:
        """At most `count` elements (-1: all)."""
        from estflow.data.transformations import TakeDataset  # its module builds on this one

        return TakeDataset(self, count)

    def skip(self, count) -> Dataset:
        """All but the first `count` elements (-1: skip everything)."""
        from estflow.data.transformations import SkipDataset  # its module builds on this one

        return SkipDataset(self, count)

    def shard(self, num_shards, index) -> Dataset:
        """Every `num_shards`-th element starting at `index` (one worker's share)."""
        from estflow.data.transformations import ShardDataset  # its module builds on this one

        return ShardDataset(self, num_shards, index)

    def cache(self, filename="") -> Dataset:
        """Elements computed once, then replayed: in memory, or in files at `filename` reused by later runs."""
        from estflow.data.cache import CacheDataset  # its module builds on this one

        return CacheDataset(self, filename)

    def prefetch(self, buffer_size) -> Dataset:
        """Elements produced ahead by a background thread, up to `buffer_size` (AUTOTUNE: a few)."""
        from estflow.data.transformations import PrefetchDataset  # its module builds on this one

        return PrefetchDataset(self, buffer_size)

    def enumerate(self, start=0) -> Dataset:
        """(index, element) pairs, counting from `start` (int64)."""
        return Dataset.zip((Dataset.range(start, np.iinfo(np.int64).max), self))

    def ignore_errors(self, log_warning=False) -> Dataset:
        """This dataset without the elements that fail (a map error, a corrupted record...), as TF's."""
        from estflow.data.error_ops import IgnoreErrorsDataset  # its module builds on this one

        return IgnoreErrorsDataset(self, log_warning)

    def apply(self, transformation_func) -> Dataset:
        """`transformation_func(self)`, for chaining transformations written as functions."""
        result = transformation_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"`transformation_func` must return a Dataset. Got {result}.")
        return result

    def with_options(self, options) -> Dataset:
        """This dataset with `options` set (see `tf.data.Options`)."""
        from estflow.data.transformations import OptionsDataset  # its module builds on this one

        if not isinstance(options, Options):
            raise TypeError(f"with_options expects a tf.data.Options, got {type(options).__name__}.")
        return OptionsDataset(self, options)

    def reduce(self, initial_state, reduce_func):
        """The whole dataset folded into one state: `state = reduce_func(state, element)`; returns tensors.

            total = tf.data.Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)   # 10 when run
        """
        from estflow.data.iterator_ops import reduce_dataset  # its module builds on this one

        return reduce_dataset(self, initial_state, reduce_func)

    # ---- iterators ---------------------------------------------------------------------------------
    def make_one_shot_iterator(self):
        """An iterator that initializes itself on first use (the dataset must not capture placeholders)."""
        from estflow.data.iterator_ops import make_one_shot_iterator  # its module builds on this one

        return make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name=None):
        """An iterator to (re)start with `sess.run(iterator.initializer, feed_dict=...)`."""
        from estflow.data.iterator_ops import make_initializable_iterator  # its module builds on this one

        return make_initializable_iterator(self, shared_name)


DatasetV1 = Dataset


class NumpyIterator:
    """`tf.data.NumpyIterator`, what TF's `as_numpy_iterator` returns: it iterates a dataset eagerly, which a
    TF1 graph cannot, so making one raises RuntimeError there, as in TF. Run `get_next()` of
    `tf.compat.v1.data.make_one_shot_iterator(dataset)` in a session instead."""

    def __init__(self, dataset):
        self._iterator = iter(dataset)


def get_legacy_output_types(dataset):
    return dataset.output_types


def get_legacy_output_shapes(dataset):
    return dataset.output_shapes


def get_legacy_output_classes(dataset):
    return dataset.output_classes


def static_int(value):
    """An int argument known when the pipeline is built (a Python int or a constant tensor), else None."""
    if isinstance(value, Tensor):
        v = value._const_value
        return None if v is None else int(v)
    if value is None:
        return None
    return int(value)


def int_argument(value, name: str):
    """A scalar int argument: a Python int (or a known `x.shape[i]`) stays as is; a tensor is evaluated at
    initialization."""
    if isinstance(value, Dimension) and value.value is not None:
        value = value.value
    if isinstance(value, Tensor):
        if not value.dtype.is_integer:
            raise TypeError(f"`{name}` must be an integer tensor, got dtype {value.dtype.name}.")
        if value.shape.ndims not in (None, 0):
            raise ValueError(f"`{name}` must be a scalar, got shape {value.shape}.")
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{name}` must be an int or a scalar integer tensor, got {value!r}.")
    return value


def runtime_int(env, value) -> int:
    return int(np.asarray(env.value(value))) if isinstance(value, Tensor) else value
