"""More of `tf.data.experimental`: assert_cardinality, from_list, dense_to_sparse_batch and TF1's aliases."""

from __future__ import annotations

import numpy as np

from estflow.core import errors
from estflow.core.graph import Tensor
from estflow.core.ops.fill_ops import zeros
from estflow.core.sparse_tensor import SparseTensorValue
from estflow.core.tensor_shape import TensorShape
from estflow.data import structure
from estflow.data.dataset_ops import INFINITE_CARDINALITY, Dataset, int_argument, runtime_int
from estflow.data.experimental_ops import map_and_batch
from estflow.data.runtime import ElementError
from estflow.data.transformations import _UnaryDataset

SHARD_HINT = -1  # a `num_shards` placeholder that TF's auto-sharding replaces; -1 as in TF


# ---- assert_cardinality ----------------------------------------------------------------------------------
def _elements_text(n: int) -> str:
    if n == INFINITE_CARDINALITY:
        return "an infinite number of elements"
    return f"{n} element" + ("" if n == 1 else "s")


class AssertCardinalityDataset(_UnaryDataset):
    """`assert_cardinality(n)`: the input unchanged, failing when it yields more or fewer than `n` elements."""

    def __init__(self, input_dataset, expected_cardinality):
        super().__init__(input_dataset)
        self._expected = int_argument(expected_cardinality, "expected_cardinality")

    def _own_tensors(self):
        return [self._expected] if isinstance(self._expected, Tensor) else []

    def _cardinality(self, env):
        return runtime_int(env, self._expected)

    def _elements(self, env):
        expected = runtime_int(env, self._expected)
        seen = 0
        for element in self._input._elements(env):
            if element.__class__ is not ElementError:
                seen += 1
                if expected != INFINITE_CARDINALITY and seen > expected:
                    raise errors.FailedPreconditionError(
                        None, None, f"Input dataset was expected to contain {_elements_text(expected)} but "
                                    f"contained at least {_elements_text(seen)}.")
            yield element
        if expected != seen:
            raise errors.FailedPreconditionError(
                None, None, f"Input dataset was expected to contain {_elements_text(expected)} but contained only "
                            f"{_elements_text(seen)}.")


def assert_cardinality(expected_cardinality):
    """The dataset unchanged, its iterator failing (FailedPreconditionError) as soon as it is seen to hold more
    or fewer than `expected_cardinality` elements; `cardinality` then reports that number, as TF's.

        ds = tf.data.TFRecordDataset("train.tfrecord").apply(tf.data.experimental.assert_cardinality(1000))
    """
    return lambda dataset: AssertCardinalityDataset(dataset, expected_cardinality)


# ---- from_list -------------------------------------------------------------------------------------------------
def from_list(elements, name=None) -> Dataset:
    """A dataset of the given elements (each a structure of the same kind), as `tf.data.experimental.from_list`.

        tf.data.experimental.from_list([(1, "a"), (2, "b")])   # elements (1, b"a"), (2, b"b")
    """
    del name  # TF's tf.data op names; estflow's pipeline has no graph nodes per stage
    if not elements:
        raise ValueError("Invalid `elements`. `elements` should not be empty.")
    if not isinstance(elements, list):
        raise ValueError("Invalid `elements`. `elements` must be a list.")
    first = elements[0]
    for element in elements[1:]:
        structure.assert_same_structure(first, element)
    leaves = [structure.flatten(e) for e in elements]
    columns = [np.stack([structure.to_array(row[i]) for row in leaves]) if structure.to_array(leaves[0][i]).dtype
               != object else structure.to_array([row[i] for row in leaves]) for i in range(len(leaves[0]))]
    return Dataset.from_tensor_slices(structure.pack_sequence_as(first, columns) if structure.is_nested(first)
                                      else columns[0])


# ---- dense_to_sparse_batch -------------------------------------------------------------------------------------
class DenseToSparseBatchDataset(_UnaryDataset):
    """Batches of `batch_size` elements of varying shape as SparseTensors of dense shape [n] + row_shape."""

    def __init__(self, input_dataset, batch_size, row_shape):
        super().__init__(input_dataset)
        spec = input_dataset.element_spec
        if not isinstance(spec, structure.TensorSpec):
            raise TypeError(f"DenseToSparseDataset requires an input whose elements have a single component, "
                            f"but the given dataset has {spec}.")
        self._batch_size = int_argument(batch_size, "batch_size")
        self._row_shape = [int(d) for d in (row_shape.as_list() if isinstance(row_shape, TensorShape)
                                            else np.asarray(row_shape).reshape(-1))]
        self._spec = structure.SparseTensorSpec([None] + self._row_shape, spec.dtype)

    def _own_tensors(self):
        return [self._batch_size] if isinstance(self._batch_size, Tensor) else []

    def _elements(self, env):
        size = runtime_int(env, self._batch_size)
        if size <= 0:
            raise errors.InvalidArgumentError(None, None, "Batch size must be greater than zero.")
        batch = []
        for element in self._input._elements(env):
            if element.__class__ is ElementError:
                yield element
                continue
            batch.append(np.asarray(element[0]))
            if len(batch) == size:
                yield self._batch(batch)
                batch = []
        if batch:
            yield self._batch(batch)

    def _batch(self, batch):
        try:
            return [self._sparse(batch)]
        except errors.OpError as e:  # that batch fails; the next one follows, as in TF
            return ElementError(e)

    def _sparse(self, batch):
        rank = len(self._row_shape)
        indices, values = [], []
        for i, row in enumerate(batch):
            if row.ndim != rank:
                raise errors.InvalidArgumentError(
                    None, None, f"Input element had shape ({', '.join(map(str, row.shape))}) that does not match "
                                f"the row shape ({', '.join(map(str, self._row_shape))}).")
            for d, (n, limit) in enumerate(zip(row.shape, self._row_shape, strict=True)):
                if limit >= 0 and n > limit:
                    raise errors.DataLossError(
                        None, None, f"Input element had shape ({', '.join(map(str, row.shape))}) in dimension {d} "
                                    f"that exceeds the row shape ({', '.join(map(str, self._row_shape))}).")
            index = np.argwhere(np.ones(row.shape, dtype=bool)).astype(np.int64)  # every position, row-major
            indices.append(np.concatenate([np.full((len(index), 1), i, np.int64), index], axis=1))
            values.append(row.reshape(-1))
        shape = [len(batch)] + [max((r.shape[d] for r in batch), default=0) if limit < 0 else limit
                                for d, limit in enumerate(self._row_shape)]
        dtype = object if self._spec.dtype.name == "string" else self._spec.dtype.as_numpy_dtype
        return SparseTensorValue(np.concatenate(indices).reshape(-1, rank + 1),
                                 np.concatenate(values).astype(dtype), np.asarray(shape, np.int64))


def dense_to_sparse_batch(batch_size, row_shape):
    """Batches of `batch_size` elements of varying shape, each batch a SparseTensor of dense shape
    [batch, *row_shape] (a -1 in `row_shape`: the batch's longest), as `tf.data.experimental.dense_to_sparse_batch`.

        ds.apply(tf.data.experimental.dense_to_sparse_batch(2, [5]))   # rows of up to 5 values each
    """
    return lambda dataset: DenseToSparseBatchDataset(dataset, batch_size, row_shape)


def map_and_batch_with_legacy_function(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                                       num_parallel_calls=None):
    """`map_and_batch`, as TF1's variant for functions written against the legacy tracing (the same here)."""
    return map_and_batch(map_func, batch_size, num_parallel_batches, drop_remainder, num_parallel_calls)


def enable_debug_mode():
    """TF's debug mode (pipelines run eagerly, one element at a time) needs eager execution; in a TF1 graph
    TF raises ValueError, and so does estflow."""
    raise ValueError("`enable_debug_mode() is only supported in eager mode.")


# ---- pad_to_cardinality --------------------------------------------------------------------------------------
def pad_to_cardinality(cardinality, mask_key="valid"):
    """A dataset of dicts padded with all-zero elements up to `cardinality` elements, each element gaining a
    bool `mask_key` (True for the real ones), as `tf.data.experimental.pad_to_cardinality`.

        ds.apply(tf.data.experimental.pad_to_cardinality(8))   # 5 dict elements -> 5 valid + 3 zero ones
    """

    def make_filler_dataset(dataset):
        padding = cardinality - dataset.cardinality()
        filler = structure.map_structure(lambda spec: zeros(spec.shape, spec.dtype), dataset.element_spec)
        filler[mask_key] = False
        return Dataset.from_tensors(filler).repeat(padding)

    def apply_valid_mask(element):
        element[mask_key] = True
        return element

    def apply(dataset):
        # TF checks the cardinality only when executing eagerly; in a graph it pads by `cardinality - n`.
        if not isinstance(dataset.element_spec, dict):
            raise ValueError("`pad_to_cardinality` requires its input dataset to be a dictionary.")
        filler = make_filler_dataset(dataset)
        return dataset.map(apply_valid_mask).concatenate(filler)

    return apply
