"""`tf.data.experimental` transformations: functions of a dataset, for `Dataset.apply`."""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import control_dependencies
from estflow.core.ops import cast_ops, comparison_ops, concat_ops, control_flow_ops, gather_ops, reduction_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.tensor_shape import TensorShape
from estflow.data import structure
from estflow.data.dataset_ops import AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset  # noqa: F401 - re-exported
from estflow.data.experimental_datasets import (
    ChooseFromDatasetsDataset,
    GroupByReducerDataset,
    GroupByWindowDataset,
    SampleFromDatasetsDataset,
    ScanDataset,
    TakeWhileDataset,
    UniqueDataset,
)
from estflow.data.readers import TFRecordDataset
from estflow.data.sources import RangeDataset
from estflow.library.parsing_ops import parse_example


def unbatch():
    """`dataset.apply(tf.data.experimental.unbatch())`: as `Dataset.unbatch()`."""
    return lambda dataset: dataset.unbatch()


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """Shuffle, then repeat `count` times, each epoch in a new order."""
    return lambda dataset: dataset.shuffle(buffer_size, seed=seed).repeat(count)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False, num_parallel_calls=None):
    """`map` then `batch` (row-wise functions already run once per batch).

    `num_parallel_batches` and `num_parallel_calls` (at most one, as in TF1) set how many
    calls TF1 runs at once; the elements and their order are the same.
    """
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("The `num_parallel_batches` and `num_parallel_calls` arguments are mutually exclusive.")
    if num_parallel_calls is None:
        num_parallel_calls = batch_size * (1 if num_parallel_batches is None else num_parallel_batches)
    return lambda dataset: dataset.map(map_func, num_parallel_calls).batch(batch_size, drop_remainder=drop_remainder)


def enumerate_dataset(start=0):
    """(index, element) pairs counting from `start`."""
    return lambda dataset: dataset.enumerate(start)


# ---- constants and sources ------------------------------------------------------------------------
class _CounterDataset(RangeDataset):
    """Counter's range: endless in practice, and so to `cardinality`, as TF's (a repeat) is."""

    def _cardinality(self, env):
        return INFINITE_CARDINALITY


def Counter(start=0, step=1, dtype=dtypes.int64):  # noqa: N802 - TF's public name
    """An endless dataset counting start, start + step, ..., as `tf.data.experimental.Counter`."""
    # 2**62 elements, or up to int64's end: endless in practice, and a length Python's range can hold
    bounds = np.iinfo(np.int64)
    stop = min(max(start + step * 2**62, int(bounds.min)), int(bounds.max))
    dataset = _CounterDataset(start, stop, step)
    dtype = dtypes.as_dtype(dtype)
    return dataset if dtype == dtypes.int64 else dataset.map(lambda x: cast_ops.cast(x, dtype))


# ---- transformations (for Dataset.apply) ------------------------------------------------------------
def scan(initial_state, scan_func):
    """`scan_func(state, element) -> (new_state, output)` threaded through the elements, as
    `tf.data.experimental.scan`.

        ds.apply(tf.data.experimental.scan(0, lambda total, x: (total + x, total + x)))   # running sums
    """
    return lambda dataset: ScanDataset(dataset, initial_state, scan_func)


def take_while(predicate):
    """The elements before the first one `predicate` rejects, as `tf.data.experimental.take_while`."""
    return lambda dataset: TakeWhileDataset(dataset, predicate)


def unique():
    """Each distinct element once (int32, int64 or string elements), as `tf.data.experimental.unique`."""
    return lambda dataset: UniqueDataset(dataset)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False, buffer_output_elements=None,
                        prefetch_input_elements=None):
    """`Dataset.interleave(map_func, cycle_length, block_length)`, as `tf.data.experimental.parallel_interleave`.

    `sloppy` lets TF return elements out of order when that is faster; estflow always keeps
    interleave's deterministic order, which is one of the orders sloppy allows. The buffer
    sizes tune TF's threads and change no element.
    """
    return lambda dataset: dataset.interleave(map_func, cycle_length=cycle_length, block_length=block_length)


def prefetch_to_device(device, buffer_size=None):
    """`Dataset.prefetch(buffer_size)` (default 1), as `tf.data.experimental.prefetch_to_device`.

    `device` names where TF stages the elements; estflow hands them to the ops that read them,
    wherever those are placed, so the elements are the same.
    """
    return lambda dataset: dataset.prefetch(1 if buffer_size is None else buffer_size)


def copy_to_device(target_device, source_device="/cpu:0"):
    """The dataset unchanged, as `tf.data.experimental.copy_to_device`: estflow places element
    values where the ops that read them run, whatever `target_device` and `source_device` say."""
    return lambda dataset: dataset


def parse_example_dataset(features, num_parallel_calls=1):
    """Batches of serialized `Example`s parsed to feature dicts, as `tf.data.experimental.parse_example_dataset`."""
    if features is None:
        raise ValueError("Argument `features` is required, but not specified.")
    return lambda dataset: dataset.map(lambda serialized: parse_example(serialized, features),
                                       num_parallel_calls=num_parallel_calls)


# ---- choosing among datasets ---------------------------------------------------------------------------
def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=False):
    """Element i taken from `datasets[choice i]` (`choice_dataset` holds int64 scalars), as
    `tf.data.experimental.choose_from_datasets`. An exhausted input's choices are skipped
    unless `stop_on_empty_dataset`, which ends the stream there."""
    return ChooseFromDatasetsDataset(datasets, choice_dataset, stop_on_empty_dataset)


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    """Elements drawn from `datasets` at random by `weights` (default: uniform), as
    `tf.data.experimental.sample_from_datasets`."""
    return SampleFromDatasetsDataset(datasets, weights, seed, stop_on_empty_dataset)


# ---- make_batched_features_dataset ------------------------------------------------------------------------
def make_batched_features_dataset(file_pattern, batch_size, features, reader=None, label_key=None,
                                  reader_args=None, num_epochs=None, shuffle=True, shuffle_buffer_size=10000,
                                  shuffle_seed=None, prefetch_buffer_size=None, reader_num_threads=None,
                                  parser_num_threads=None, sloppy_ordering=False, drop_final_batch=False):
    """Batches of parsed `Example` feature dicts (and labels) read from files, as TF1's
    `tf.data.experimental.make_batched_features_dataset`.

    Files matching `file_pattern` are read `reader_num_threads` at a time (interleaved), shuffled
    and repeated `num_epochs` times (None: forever, with `drop_remainder` so batches have a
    static size), batched, parsed with `features`, and `label_key` popped into a label.
    `sloppy_ordering` allows TF an out-of-order interleave; estflow's order is deterministic.

        ds = tf.data.experimental.make_batched_features_dataset(
            "train-*.tfrecord", 32, {"x": tf.FixedLenFeature([1], tf.float32),
                                     "y": tf.FixedLenFeature([], tf.int64)}, label_key="y", num_epochs=1)
    """
    if label_key is not None and label_key not in features:
        raise ValueError(f"The `label_key` provided ({label_key}) must be one of the `features` keys.")
    reader = TFRecordDataset if reader is None else reader
    reader_args = [] if reader_args is None else list(reader_args)
    dataset = Dataset.list_files(file_pattern, shuffle=shuffle, seed=shuffle_seed)
    dataset = dataset.interleave(lambda filename: reader(filename, *reader_args),
                                 cycle_length=1 if reader_num_threads is None else reader_num_threads, block_length=1)
    if structure.output_types(dataset.element_spec) == (dtypes.string, dtypes.string):  # (key, value) records
        dataset = dataset.map(lambda _, value: value)
    if shuffle and num_epochs != 1:
        dataset = dataset.apply(shuffle_and_repeat(shuffle_buffer_size, num_epochs, shuffle_seed))
    elif shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    elif num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    dataset = dataset.batch(batch_size, drop_remainder=drop_final_batch or num_epochs is None)
    dataset = dataset.apply(parse_example_dataset(features, 2 if parser_num_threads is None else parser_num_threads))
    if label_key is not None:
        dataset = dataset.map(lambda parsed: (parsed, parsed.pop(label_key)))
    return dataset.prefetch(AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size)


# ---- grouping and bucketing -------------------------------------------------------------------------------------
def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    """Elements grouped by key_func(element) (an int64 scalar); every `window_size` elements of one key (or
    window_size_func(key)) go to reduce_func(key, window_dataset), whose datasets are concatenated, as
    `tf.data.experimental.group_by_window`. Partial windows are reduced when the input ends."""
    return lambda dataset: GroupByWindowDataset(dataset, key_func, reduce_func, window_size, window_size_func)


def _padded_shapes(shapes, none_filler):
    """Each static shape with its unknown dims padded to the longest (-1), or to `none_filler` (an int64
    tensor: the shape becomes a tensor too)."""
    def fill(shape):
        shape = shape if isinstance(shape, TensorShape) else TensorShape(shape)
        if shape.ndims is None:
            raise ValueError("bucket_by_sequence_length needs elements of known rank to pad them")
        if none_filler is None:
            return [-1 if d is None else d for d in shape.as_list()]
        if not shape.ndims:
            return convert_to_tensor(np.zeros([0], np.int64))
        return concat_ops.stack([none_filler if d is None else convert_to_tensor(np.int64(d))
                                 for d in shape.as_list()])

    return structure.map_structure(fill, shapes)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes=None,
                              padding_values=None, pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """Elements batched with others of similar length, as `tf.data.experimental.bucket_by_sequence_length`.

    element_length_func(element) picks the bucket: [-inf, b0), [b0, b1), ..., [b_last, inf); each bucket
    is batched with its own size from `bucket_batch_sizes` (one more than the boundaries) and padded
    to its batch's longest element (or, with `pad_to_bucket_boundary`, to the bucket's boundary - 1).

        ds.apply(tf.data.experimental.bucket_by_sequence_length(
            lambda tokens: tf.size(tokens), [10, 20], [32, 16, 8]))
    """
    if len(bucket_batch_sizes) != len(bucket_boundaries) + 1:
        raise ValueError(f"len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1 but "
                         f"len(bucket_batch_sizes)={len(bucket_batch_sizes)} and "
                         f"len(bucket_boundaries)={len(bucket_boundaries)}")
    boundaries = [int(b) for b in bucket_boundaries]
    if boundaries != sorted(boundaries):
        raise ValueError("bucket_boundaries must be sorted ascending")
    lows = [int(np.iinfo(np.int32).min)] + boundaries
    highs = boundaries + [int(np.iinfo(np.int32).max)]

    def element_to_bucket_id(*args):
        length = cast_ops.cast(element_length_func(*args), dtypes.int64)
        fits = comparison_ops.logical_and(comparison_ops.less_equal(np.int64(lows), length),
                                          comparison_ops.less(length, np.int64(highs)))
        return reduction_ops.reduce_min(gather_ops.where(fits))

    def window_size_fn(bucket_id):
        return gather_ops.gather(np.int64(bucket_batch_sizes), bucket_id)

    def batching_fn(bucket_id, grouped):
        batch_size = window_size_fn(bucket_id)
        if no_padding:
            return grouped.batch(batch_size, drop_remainder=drop_remainder)
        none_filler = None
        if pad_to_bucket_boundary:
            check = control_flow_ops.Assert(
                comparison_ops.less(bucket_id, np.int64(len(bucket_batch_sizes) - 1)),
                ["When pad_to_bucket_boundary=True, elements must have length < max(bucket_boundaries)."])
            with control_dependencies([check]):
                none_filler = gather_ops.gather(np.int64(boundaries), bucket_id) - 1
        shapes = padded_shapes if padded_shapes is not None else structure.output_shapes(grouped.element_spec)
        if padded_shapes is None or none_filler is not None:
            shapes = _padded_shapes(shapes, none_filler)
        return grouped.padded_batch(batch_size, shapes, padding_values, drop_remainder=drop_remainder)

    return group_by_window(element_to_bucket_id, batching_fn, window_size_func=window_size_fn)


def get_structure(dataset_or_iterator):
    """The element structure (TensorSpecs) of a Dataset or an Iterator, as `tf.data.experimental.get_structure`."""
    try:
        return dataset_or_iterator.element_spec
    except AttributeError:
        raise TypeError(f"Invalid `dataset_or_iterator`. `dataset_or_iterator` must be a `tf.data.Dataset` or "
                        f"`tf.data.Iterator` object, but got {type(dataset_or_iterator)}.") from None


def group_by_reducer(key_func, reducer):
    """One element per key_func(element) (an int64 scalar): its elements folded by `reducer` (a Reducer),
    emitted when the input ends, as `tf.data.experimental.group_by_reducer`.

        counts = ds.apply(tf.data.experimental.group_by_reducer(
            lambda x: x % 2, tf.data.experimental.Reducer(lambda k: np.int64(0), lambda n, x: n + 1, lambda n: n)))
    """
    return lambda dataset: GroupByReducerDataset(dataset, key_func, reducer)
