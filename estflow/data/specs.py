"""More `tf.TypeSpec`s: IndexedSlicesSpec, DatasetSpec, OptionalSpec, and `tf.type_spec_from_value`."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue
from estflow.core.tensor_shape import TensorShape, as_shape
from estflow.data import structure
from estflow.data.dataset_ops import Dataset
from estflow.data.type_spec import TypeSpec


def _shape_text(shape: TensorShape) -> str:
    """A shape as TF 2's specs print it: `TensorShape([None, 3])`."""
    return "TensorShape(None)" if shape.ndims is None else f"TensorShape({shape.as_list()})"


def _dtype_or_none(dtype):
    return None if dtype is None else dtypes.as_dtype(dtype).base_dtype


class IndexedSlicesSpec(TypeSpec):
    """The type of an `IndexedSlices` (what gathers' gradients are), as `tf.IndexedSlicesSpec`.

        tf.IndexedSlicesSpec([None, 64], tf.float32)   # rows of a [?, 64] table, int64 indices
    """

    __slots__ = ("_shape", "_values_dtype", "_indices_dtype", "_dense_shape_dtype", "_indices_shape")
    value_type = IndexedSlices

    def __init__(self, shape=None, dtype=dtypes.float32, indices_dtype=dtypes.int64, dense_shape_dtype=None,
                 indices_shape=None):
        self._shape = as_shape(shape)
        self._values_dtype = dtypes.as_dtype(dtype).base_dtype
        self._indices_dtype = dtypes.as_dtype(indices_dtype).base_dtype
        self._dense_shape_dtype = _dtype_or_none(dense_shape_dtype)
        self._indices_shape = TensorShape([None]) if indices_shape is None else as_shape(indices_shape)
        if self._indices_shape.ndims not in (None, 1):
            raise ValueError(f"indices_shape must be a vector, got {self._indices_shape}")

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._values_dtype)

    def _serialize(self):
        return (self._shape, self._values_dtype, self._indices_dtype, self._dense_shape_dtype, self._indices_shape)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __hash__(self):
        return hash((type(self), self._serialize()))

    def __repr__(self):
        dense = "None" if self._dense_shape_dtype is None else f"tf.{self._dense_shape_dtype.name}"
        return (f"IndexedSlicesSpec({_shape_text(self._shape)}, tf.{self._values_dtype.name}, "
                f"tf.{self._indices_dtype.name}, {dense}, {_shape_text(self._indices_shape)})")


class DatasetSpec(TypeSpec):
    """The type of a `tf.data.Dataset`: its element spec, as `tf.data.DatasetSpec`.

        tf.data.DatasetSpec(tf.TensorSpec([], tf.int64)) == tf.type_spec_from_value(tf.data.Dataset.range(3))
    """

    __slots__ = ("_element_spec", "_dataset_shape")
    value_type = Dataset

    def __init__(self, element_spec, dataset_shape=()):
        self._element_spec = element_spec
        self._dataset_shape = as_shape(dataset_shape)

    element_spec = property(lambda self: self._element_spec)

    @staticmethod
    def from_value(value) -> DatasetSpec:
        """The spec of a dataset."""
        return DatasetSpec(value.element_spec)

    def _serialize(self):
        return (self._element_spec, self._dataset_shape)

    def __eq__(self, other):
        return type(other) is type(self) and self._serialize() == other._serialize()

    def __hash__(self):
        return hash((type(self), repr(self)))

    def __repr__(self):
        return f"DatasetSpec({self._element_spec!r}, {_shape_text(self._dataset_shape)})"


def type_spec_from_value(value) -> TypeSpec:
    """The TypeSpec of `value` (a tensor, sparse tensor, IndexedSlices, dataset, or anything convertible to a
    tensor), as `tf.type_spec_from_value`; TypeError when there is none.

        tf.type_spec_from_value(np.zeros([2, 3], np.float32))   # TensorSpec(shape=(2, 3), dtype=tf.float32)
    """
    if isinstance(value, Tensor):
        return structure.TensorSpec(value.shape, value.dtype)
    if isinstance(value, (SparseTensor, SparseTensorValue)):
        return structure.SparseTensorSpec.from_value(value)
    if isinstance(value, IndexedSlices):
        dense = value.dense_shape
        return IndexedSlicesSpec(value.shape, value.dtype, value.indices.dtype,
                                 None if dense is None else dense.dtype, value.indices.shape)
    if isinstance(value, Dataset):
        return DatasetSpec.from_value(value)
    spec_of = getattr(value, "_type_spec", None)
    if isinstance(spec_of, TypeSpec):
        return spec_of
    try:
        array = structure.to_array(value)
        return structure.TensorSpec(array.shape, dtypes.as_dtype(array.dtype))
    except (TypeError, ValueError):
        raise TypeError(f"Could not build a TypeSpec for {value} of unsupported type {type(value)}.") from None
