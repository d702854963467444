"""`numeric_column` and `bucketized_column`."""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.ops import array_ops, cast_ops, concat_ops, fill_ops, gather_ops, manipulation_ops
from estflow.core.ops.constant_op import constant
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape
from estflow.feature_columns.base import CategoricalColumn, DenseColumn, DenseIds, LazyBuilder, assert_key_is_string
from estflow.library.parsing_config import FixedLenFeature


def _is_nested(x) -> bool:
    return isinstance(x, (list, tuple))


def _flatten(x) -> list:
    return [leaf for item in x for leaf in _flatten(item)] if _is_nested(x) else [x]


def _check_shape(shape, key) -> tuple:
    if shape is None:
        raise ValueError(f"shape must not be None. key: {key}")
    shape = tuple(shape) if _is_nested(shape) else (shape,)
    for dimension in shape:
        if not isinstance(dimension, int) or isinstance(dimension, bool):
            raise TypeError(f"shape dimensions must be integer. shape: {shape}, key: {key}")
        if dimension < 1:
            raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    return shape


def _nested_shape_matches(value, shape) -> bool:
    if not shape:
        return not _is_nested(value)
    return _is_nested(value) and len(value) == shape[0] and all(_nested_shape_matches(v, shape[1:]) for v in value)


def _as_tuple(value):
    return tuple(_as_tuple(v) for v in value) if _is_nested(value) else value


def _filled(shape, value):
    return value if not shape else tuple(_filled(shape[1:], value) for _ in range(shape[0]))


def _check_default_value(shape, default_value, dtype, key):
    """TF1's rules: an int fills the shape, a float too for float columns, a nested list must match `shape`."""
    if default_value is None:
        return None
    if isinstance(default_value, int) and not isinstance(default_value, bool):
        return _filled(shape, default_value)
    if isinstance(default_value, float) and dtype.is_floating:
        return _filled(shape, default_value)
    if callable(getattr(default_value, "tolist", None)):  # numpy arrays and scalars
        default_value = default_value.tolist()
    if _is_nested(default_value):
        if not _nested_shape_matches(default_value, shape):
            raise ValueError("The shape of default_value must be equal to given shape. default_value: "
                             f"{default_value}, shape: {shape}, key: {key}")
        leaves = _flatten(default_value)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in leaves):
            return _as_tuple(default_value)
        if any(isinstance(v, float) for v in leaves) and dtype.is_floating:
            return _as_tuple(default_value)
    raise TypeError(f"default_value must be compatible with dtype. default_value: {default_value}, dtype: {dtype}, "
                    f"key: {key}")


class NumericColumn(DenseColumn, collections.namedtuple(
        "NumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn"))):
    """A dense float feature; see `numeric_column`."""

    __slots__ = ()
    _shareable_transform = True  # a pure function of its features: shared across calls (LazyBuilder)

    @property
    def name(self) -> str:
        return self.key

    @property
    def _parse_example_spec(self) -> dict:
        return {self.key: FixedLenFeature(self.shape, self.dtype, self.default_value)}

    def _transform_feature(self, inputs: LazyBuilder) -> Tensor:
        input_tensor = inputs.get(self.key)
        if isinstance(input_tensor, SparseTensor):
            raise ValueError("The corresponding Tensor of numerical column must be a Tensor. SparseTensor is not "
                             f"supported. key: {self.key}. Densify it first (tf.sparse.to_dense) or use a "
                             "categorical column.")
        if self.normalizer_fn is not None:
            input_tensor = self.normalizer_fn(input_tensor)
        return cast_ops.cast(input_tensor, dtypes.float32)

    @property
    def _variable_shape(self) -> TensorShape:
        return TensorShape(self.shape)

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> Tensor:
        del weight_collections, trainable  # no variables: TF1's signature
        return inputs.get(self)


def numeric_column(key, shape=(1,), default_value=None, dtype=dtypes.float32, normalizer_fn=None) -> NumericColumn:
    """A column of real-valued features of a fixed `shape` per example, cast to float32.

    `normalizer_fn` (a callable of one Tensor) runs in the graph before the cast, so it is
    part of an exported model. `default_value` fills examples that lack the feature when
    parsing `tf.Example`s (see `make_parse_example_spec`).

        price = tf.feature_column.numeric_column("price", normalizer_fn=lambda x: (x - 3.0) / 2.0)
        tf.feature_column.input_layer({"price": [[1.0], [5.0]]}, [price])    # [[-1.], [1.]]
    """
    shape = _check_shape(shape, key)
    dtype = dtypes.as_dtype(dtype).base_dtype
    if not (dtype.is_integer or dtype.is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    default_value = _check_default_value(shape, default_value, dtype, key)
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    assert_key_is_string(key)
    return NumericColumn(key, shape, default_value, dtype, normalizer_fn)


class BucketizedColumn(DenseColumn, CategoricalColumn, collections.namedtuple(
        "BucketizedColumn", ("source_column", "boundaries"))):
    """A numeric column cut into buckets; see `bucketized_column`."""

    __slots__ = ()
    _shareable_transform = True  # a pure function of its features: shared across calls (LazyBuilder)

    @property
    def name(self) -> str:
        return f"{self.source_column.name}_bucketized"

    @property
    def _parse_example_spec(self) -> dict:
        return self.source_column._parse_example_spec

    def _transform_feature(self, inputs: LazyBuilder) -> Tensor:
        return gather_ops.bucketize(inputs.get(self.source_column), boundaries=self.boundaries)

    @property
    def _variable_shape(self) -> TensorShape:
        return TensorShape(tuple(self.source_column.shape) + (len(self.boundaries) + 1,))

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> Tensor:
        del weight_collections, trainable  # no variables: TF1's signature
        return gather_ops.one_hot(cast_ops.cast(inputs.get(self), dtypes.int64), depth=len(self.boundaries) + 1,
                                  on_value=1.0, off_value=0.0)

    @property
    def _num_buckets(self) -> int:
        return (len(self.boundaries) + 1) * self.source_column.shape[0]

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        """One id per source dimension: bucket b of dimension d is id `d * (len(boundaries) + 1) + b`."""
        del weight_collections, trainable  # no variables: TF1's signature
        input_tensor = inputs.get(self)
        batch_size = array_ops.shape(input_tensor)[0]
        source_dimension = self.source_column.shape[0]
        rows = array_ops.reshape(manipulation_ops.tile(
            array_ops.expand_dims(fill_ops.range_(0, batch_size), 1), [1, source_dimension]), (-1,))
        dims = manipulation_ops.tile(fill_ops.range_(0, source_dimension), concat_ops.stack([batch_size]))
        bucket_ids = array_ops.reshape(input_tensor, (-1,)) + (len(self.boundaries) + 1) * dims
        indices = cast_ops.cast(manipulation_ops.transpose(concat_ops.stack((rows, dims))), dtypes.int64)
        dense_shape = cast_ops.cast(concat_ops.stack([batch_size, source_dimension]), dtypes.int64)
        return CategoricalColumn.IdWeightPair(SparseTensor(indices, bucket_ids, dense_shape), None)

    def _ids_matrix(self, inputs: LazyBuilder):
        """[batch, dims] int64 ids, dimension d's buckets offset by d * (len(boundaries) + 1) as the sparse ids."""
        def build():
            buckets = cast_ops.cast(inputs.get(self), dtypes.int64)
            dims = self.source_column.shape[0]
            if dims == 1:
                return buckets
            offsets = constant([d * (len(self.boundaries) + 1) for d in range(dims)], dtype=dtypes.int64)
            return buckets + offsets

        return inputs.cached(("ids_matrix", self), build)

    def _get_dense_ids(self, inputs: LazyBuilder) -> DenseIds:
        """The ids densely: every example has one per source dimension ([batch] for one dimension)."""
        def build():
            ids = self._ids_matrix(inputs)
            return DenseIds(array_ops.squeeze(ids, [1]) if self.source_column.shape[0] == 1 else ids, None,
                            all_present=True)

        return inputs.cached(("dense_ids", self), build)


def bucketized_column(source_column, boundaries) -> BucketizedColumn:
    """A numeric column cut at `boundaries`: bucket i holds `boundaries[i-1] <= x < boundaries[i]`.

    It is dense (a one-hot per source dimension, in `input_layer`) and categorical (its
    bucket ids can be crossed or weighted in `linear_model`).

        age = tf.feature_column.numeric_column("age")
        age_buckets = tf.feature_column.bucketized_column(age, [18, 30, 50])   # 4 buckets
    """
    if not isinstance(source_column, NumericColumn):
        raise ValueError(f"source_column must be a column generated with numeric_column(). Given: {source_column}")
    if len(source_column.shape) > 1:
        raise ValueError(f"source_column must be one-dimensional column. Given: {source_column}")
    if boundaries is None or len(boundaries) == 0:
        raise ValueError("boundaries must not be empty.")
    if not isinstance(boundaries, (list, tuple)):
        raise ValueError("boundaries must be a sorted list.")
    for i in range(len(boundaries) - 1):
        if boundaries[i] >= boundaries[i + 1]:
            raise ValueError("boundaries must be a sorted list.")
    return BucketizedColumn(source_column, tuple(boundaries))
