"""`categorical_column_with_identity`, `categorical_column_with_hash_bucket` and `weighted_categorical_column`."""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.graph import Tensor, control_dependencies, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    control_flow_ops,
    hash_ops,
    reduction_ops,
    string_ops,
)
from estflow.core.ops.constant_op import constant
from estflow.core.sparse_tensor import SparseTensor, convert_to_tensor_or_sparse_tensor
from estflow.feature_columns.base import (
    CategoricalColumn,
    DenseIds,
    KeyedCategoricalColumn,
    LazyBuilder,
    assert_key_is_string,
    assert_string_or_int,
    check_input_dtype,
    dense_ids,
    dense_input,
    id_weight_pair,
    missing_as_negative,
    to_sparse_input_and_drop_ignore_values,
)
from estflow.library.parsing_config import VarLenFeature


class IdentityCategoricalColumn(KeyedCategoricalColumn, collections.namedtuple(
        "IdentityCategoricalColumn", ("key", "number_buckets", "default_value"))):
    """Integer ids used as they are; see `categorical_column_with_identity`."""

    __slots__ = ()
    dtype = dtypes.int64  # the ids' dtype in a tf.Example (a VarLenFeature)

    @property
    def _num_buckets(self) -> int:
        return self.number_buckets

    def _transform_feature(self, inputs: LazyBuilder):
        raw = dense_input(inputs, self.key)
        input_tensor = raw if raw is not None else to_sparse_input_and_drop_ignore_values(inputs.get(self.key))
        if not input_tensor.dtype.is_integer:
            raise ValueError(f"Invalid input, not integer. key: {self.key} dtype: {input_tensor.dtype}. Feed integer "
                             "ids in [0, num_buckets), or use categorical_column_with_vocabulary_list (strings) "
                             "or bucketized_column (numbers).")
        values = input_tensor if raw is not None else input_tensor.values
        values = self._checked_ids(cast_ops.cast(values, dtypes.int64))
        if raw is not None:
            return DenseIds(missing_as_negative(values, raw), None)
        return SparseTensor(input_tensor.indices, values, input_tensor.dense_shape)

    def _checked_ids(self, values):
        """Out-of-range ids replaced by default_value, or (without one) a run-time check that none is too big."""
        num_buckets = constant(self.num_buckets, dtype=dtypes.int64, name="num_buckets")
        if self.default_value is not None:
            zero = constant(0, dtype=dtypes.int64, name="zero")
            out_of_range = comparison_ops.logical_or(values < zero, values >= num_buckets, name="out_of_range")
            return comparison_ops.where_v2(out_of_range, constant(self.default_value, dtype=dtypes.int64), values)
        # NOTE: TF1 leaves an id >= num_buckets to fail (or vanish) in whatever op reads it; the
        # check here gives one clear InvalidArgumentError wherever the column is used.
        check = control_flow_ops.Assert(
            reduction_ops.reduce_all(values < num_buckets),
            [f"categorical_column_with_identity('{self.key}', num_buckets={self.num_buckets}) got ids outside "
             f"[0, {self.num_buckets}): pass default_value= to map them to one id, or raise num_buckets. "
             "Ids given:", values], summarize=10, name="assert_ids_in_range")
        with control_dependencies([check]):
            return array_ops.identity(values, name="values_in_range")

    @property
    def num_buckets(self) -> int:
        return self.number_buckets

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        del weight_collections, trainable  # no variables: TF1's signature
        return id_weight_pair(self, inputs)

    def _get_dense_ids(self, inputs: LazyBuilder):
        return dense_ids(self, inputs)


def categorical_column_with_identity(key, num_buckets, default_value=None) -> IdentityCategoricalColumn:
    """A categorical column whose integer inputs are already ids in `[0, num_buckets)`.

    Missing entries of a dense input are `-1`. Ids outside the range become `default_value`
    when it is set; otherwise running the graph raises InvalidArgumentError.

        cat = tf.feature_column.categorical_column_with_identity("cat_id", num_buckets=5)
        tf.feature_column.indicator_column(cat)     # a 5-wide one-hot in input_layer
    """
    if num_buckets < 1:
        raise ValueError(f"num_buckets {num_buckets} < 1, column_name {key}")
    if default_value is not None and (default_value < 0 or default_value >= num_buckets):
        raise ValueError(f"default_value {default_value} not in range [0, {num_buckets}), column_name {key}")
    assert_key_is_string(key)
    return IdentityCategoricalColumn(key, num_buckets, default_value)


class HashedCategoricalColumn(KeyedCategoricalColumn, collections.namedtuple(
        "HashedCategoricalColumn", ("key", "hash_bucket_size", "dtype"))):
    """Strings or integers hashed into buckets; see `categorical_column_with_hash_bucket`."""

    __slots__ = ()

    @property
    def _num_buckets(self) -> int:
        return self.hash_bucket_size

    def _transform_feature(self, inputs: LazyBuilder):
        raw = dense_input(inputs, self.key)
        input_tensor = raw if raw is not None else to_sparse_input_and_drop_ignore_values(inputs.get(self.key))
        check_input_dtype(self, self.key, self.dtype, input_tensor.dtype)
        values = input_tensor if raw is not None else input_tensor.values
        if values.dtype != dtypes.string:
            values = string_ops.as_string(values)  # TF hashes an integer's decimal text
        ids = hash_ops.string_to_hash_bucket_fast(values, self.hash_bucket_size, name="lookup")
        if raw is not None:
            return DenseIds(missing_as_negative(ids, raw), None)
        return SparseTensor(input_tensor.indices, ids, input_tensor.dense_shape)

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        del weight_collections, trainable  # no variables: TF1's signature
        return id_weight_pair(self, inputs)

    def _get_dense_ids(self, inputs: LazyBuilder):
        return dense_ids(self, inputs)


def categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string) -> HashedCategoricalColumn:
    """A categorical column whose strings (or integers, as decimal text) are hashed into buckets.

    The id is FarmHash Fingerprint64 of the value modulo `hash_bucket_size`: the ids TF
    gives. Missing entries of a dense input ("" or -1) are dropped.

        occupation = tf.feature_column.categorical_column_with_hash_bucket("occupation", 1000)
    """
    if hash_bucket_size is None:
        raise ValueError(f"hash_bucket_size must be set. key: {key}")
    if hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be at least 1. hash_bucket_size: {hash_bucket_size}, key: {key}")
    assert_key_is_string(key)
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    return HashedCategoricalColumn(key, hash_bucket_size, dtypes.as_dtype(dtype).base_dtype)


class WeightedCategoricalColumn(CategoricalColumn, collections.namedtuple(
        "WeightedCategoricalColumn", ("categorical_column", "weight_feature_key", "dtype"))):
    """A categorical column whose ids carry weights from another feature; see `weighted_categorical_column`."""

    __slots__ = ()
    _shareable_transform = True  # a pure function of its features: shared across calls (LazyBuilder)

    @property
    def name(self) -> str:
        return f"{self.categorical_column.name}_weighted_by_{self.weight_feature_key}"

    @property
    def _parse_example_spec(self) -> dict:
        config = dict(self.categorical_column._parse_example_spec)
        if self.weight_feature_key in config:
            raise ValueError(f"Parse config {config[self.weight_feature_key]} already exists for "
                             f"{self.weight_feature_key}.")
        config[self.weight_feature_key] = VarLenFeature(self.dtype)
        return config

    @property
    def _num_buckets(self) -> int:
        return self.categorical_column._num_buckets

    def _transform_feature(self, inputs: LazyBuilder):
        weight_tensor = inputs.get(self.weight_feature_key)
        if weight_tensor is None:
            raise ValueError(f"Missing weights {self.weight_feature_key}.")
        weight_tensor = convert_to_tensor_or_sparse_tensor(weight_tensor)
        if self.dtype != weight_tensor.dtype.base_dtype:
            raise ValueError(f"Bad dtype, expected {self.dtype}, but got {weight_tensor.dtype}. Feed "
                             f"{self.weight_feature_key!r} as {self.dtype.name} or pass dtype= to "
                             "weighted_categorical_column.")
        dense = self.categorical_column._get_dense_ids(inputs)
        weights = dense_input(inputs, self.weight_feature_key) if isinstance(weight_tensor, Tensor) else None
        if dense is not None and dense.weights is None and weights is not None and (
                weights.shape.ndims == dense.ids.shape.ndims):
            # A weight of 0.0 means no entry, as TF1's sparse weights drop it.
            ids = comparison_ops.where_v2(comparison_ops.equal(weights, constant(0, dtype=weights.dtype)),
                                          constant(-1, dense.ids.dtype), dense.ids)
            return DenseIds(ids, cast_ops.cast(weights, dtypes.float32))
        if not isinstance(weight_tensor, SparseTensor):
            with name_scope(None, "weights"):
                weight_tensor = to_sparse_input_and_drop_ignore_values(weight_tensor, ignore_value=0.0)
        if not weight_tensor.dtype.is_floating:
            weight_tensor = weight_tensor.with_values(cast_ops.cast(weight_tensor.values, dtypes.float32))
        return self.categorical_column._get_sparse_tensors(inputs).id_tensor, weight_tensor

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        del weight_collections, trainable  # no variables: TF1's signature
        transformed = inputs.get(self)
        if isinstance(transformed, DenseIds):
            return id_weight_pair(self, inputs)
        return CategoricalColumn.IdWeightPair(*transformed)

    def _get_dense_ids(self, inputs: LazyBuilder):
        return dense_ids(self, inputs)


def weighted_categorical_column(categorical_column, weight_feature_key, dtype=dtypes.float32):
    """A categorical column whose ids are weighted by the feature `weight_feature_key`.

    The weights feature has the same layout as the ids (dense: a weight of 0.0 drops its id,
    as missing). Indicator columns then sum weights per id; embeddings weight each row.

        tags = tf.feature_column.categorical_column_with_vocabulary_list("tags", ["a", "b"])
        weighted = tf.feature_column.weighted_categorical_column(tags, "tag_weights")
    """
    if dtype is None or not (dtypes.as_dtype(dtype).is_integer or dtypes.as_dtype(dtype).is_floating):
        raise ValueError(f"dtype {dtype} is not convertible to float.")
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError(f"categorical_column must be a categorical column (categorical_column_with_*). Given: "
                         f"{categorical_column}")
    return WeightedCategoricalColumn(categorical_column, weight_feature_key, dtypes.as_dtype(dtype).base_dtype)
