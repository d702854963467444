"""`indicator_column`, `embedding_column` and `shared_embedding_columns`: categorical ids made dense."""

from __future__ import annotations

import collections
import math

from estflow.core import dtypes
from estflow.core.graph import Tensor, add_to_collection, get_collection, name_scope
from estflow.core.init_ops import truncated_normal_initializer
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    gather_ops,
    math_ops,
    reduction_ops,
    sparse_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant
from estflow.core.tensor_shape import TensorShape
from estflow.core.variable_scope import get_variable
from estflow.feature_columns.base import (
    CategoricalColumn,
    DenseIds,
    DenseOfCategoricalColumn,
    LazyBuilder,
    cast_sparse_values,
)
from estflow.feature_columns.categorical import WeightedCategoricalColumn
from estflow.library import embedding_ops
from estflow.training import checkpoint_utils

_COMBINERS = ("mean", "sqrtn", "sum")


class IndicatorColumn(DenseOfCategoricalColumn, collections.namedtuple("IndicatorColumn", ("categorical_column",))):
    """A multi-hot (or summed-weight) vector of a categorical column; see `indicator_column`."""

    __slots__ = ()
    _name_suffix = "_indicator"

    @property
    def _variable_shape(self) -> TensorShape:
        return TensorShape([1, self.categorical_column._num_buckets])

    def _transform_feature(self, inputs: LazyBuilder) -> Tensor:
        dense = self.categorical_column._get_dense_ids(inputs)
        depth = self.categorical_column._num_buckets
        if dense is not None:
            # A one-hot per id (a negative id: all zeros), summed over the example's ids, as TF1's formula.
            one_hot = gather_ops.one_hot(dense.ids, depth=depth, on_value=1.0, off_value=0.0)
            if dense.ids.shape.ndims == 1:  # one id per example: nothing to sum
                return one_hot if dense.weights is None else one_hot * array_ops.expand_dims(dense.weights, -1)
            if dense.weights is not None:
                one_hot = one_hot * array_ops.expand_dims(dense.weights, -1)
            return reduction_ops.reduce_sum(one_hot, axis=[-2])
        id_weight_pair = self.categorical_column._get_sparse_tensors(inputs)
        ids, weights = id_weight_pair.id_tensor, id_weight_pair.weight_tensor
        if weights is not None:
            # Weights summed per (row, id); ids outside [0, depth) (a vocabulary's -1) dropped, as TF1's
            # sparse_merge + sparse_slice do.
            ids = cast_sparse_values(ids, dtypes.int64)
            in_range = reduction_ops.reduce_all(
                concat_ops.stack([ids.values >= 0, ids.values < depth], axis=1), axis=1)
            ids = sparse_ops.sparse_retain(ids, in_range)
            weights = sparse_ops.sparse_retain(weights, in_range)
            rows = ids.indices[:, 0]
            coordinates = concat_ops.stack([rows, ids.values], axis=1)
            batch = ids.dense_shape[0]
            return gather_ops.scatter_nd(coordinates, weights.values,
                                         concat_ops.stack([batch, constant(depth, dtypes.int64)]))
        dense_ids = sparse_ops.sparse_tensor_to_dense(ids, default_value=-1)
        one_hot = gather_ops.one_hot(dense_ids, depth=depth, on_value=1.0, off_value=0.0)
        return reduction_ops.reduce_sum(one_hot, axis=[-2])

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> Tensor:
        del weight_collections, trainable  # no variables: TF1's signature
        return inputs.get(self)


def indicator_column(categorical_column) -> IndicatorColumn:
    """A dense multi-hot view of a categorical column, for `input_layer`.

    Each example gets a vector of `num_buckets` counts (weights, for a weighted column).

        color = tf.feature_column.categorical_column_with_vocabulary_list("color", ["R", "G", "B"])
        tf.feature_column.input_layer(features, [tf.feature_column.indicator_column(color)])
    """
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError("categorical_column must be a categorical column (categorical_column_with_*, "
                         f"bucketized_column, crossed_column or weighted_categorical_column). Given: "
                         f"{categorical_column}")
    return IndicatorColumn(categorical_column)


def _check_embedding_args(dimension, combiner, ckpt_to_load_from, tensor_name_in_ckpt, initializer, what):
    if dimension is None or dimension < 1:
        raise ValueError(f"Invalid dimension {dimension}.")
    if combiner not in _COMBINERS:
        raise ValueError(f"combiner must be one of 'mean', 'sqrtn' or 'sum'. Given: {combiner!r}")
    if (ckpt_to_load_from is None) != (tensor_name_in_ckpt is None):
        raise ValueError("Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt` or none of them.")
    if initializer is not None and not callable(initializer):
        raise ValueError(f"initializer must be callable if specified.{what}")
    if initializer is None:
        return truncated_normal_initializer(mean=0.0, stddev=1 / math.sqrt(dimension))
    return initializer


def combine_dense_ids(table, dense: DenseIds, combiner: str, max_norm=None, name=None) -> Tensor:
    """Rows of `table` for each example's ids, combined: what safe_embedding_lookup_sparse gives for them.

    A negative id adds nothing; "mean" and "sqrtn" also skip weights <= 0; an example left
    without ids gets zeros. The gather's gradient is an IndexedSlices of the rows used.
    """
    with name_scope(name, "combine_ids"):
        if dense.all_present and dense.weights is None:
            safe_ids, present = dense.ids, None
        else:
            present = comparison_ops.greater_equal(dense.ids, constant(0, dense.ids.dtype))
            safe_ids = math_ops.maximum(dense.ids, constant(0, dense.ids.dtype))
        if max_norm is None:
            rows = gather_ops.gather(table, safe_ids)
        else:
            rows = embedding_ops.embedding_lookup(table, safe_ids, max_norm=max_norm)
        one_per_example = dense.ids.shape.ndims == 1
        if present is None:  # every example has its ids, unweighted: the rows themselves
            if one_per_example or combiner == "sum":
                return rows if one_per_example else reduction_ops.reduce_sum(rows, axis=1)
            present = comparison_ops.greater_equal(dense.ids, constant(0, dense.ids.dtype))
        zero = constant(0.0, dtypes.float32)
        if dense.weights is None:
            weights = cast_ops.cast(present, dtypes.float32)
        else:
            keep = present if combiner == "sum" else comparison_ops.logical_and(
                present, comparison_ops.greater(dense.weights, zero))
            weights = comparison_ops.where_v2(keep, dense.weights, zero)
        if one_per_example:
            # One id per example: nothing to sum; unweighted, every combiner gives the row itself (x / 1).
            column = array_ops.expand_dims(weights, -1)
            summed = rows * column
            if combiner == "sum" or dense.weights is None:
                return summed
            if combiner == "mean":
                return math_ops.div_no_nan(summed, column)
            return math_ops.div_no_nan(summed, unary_ops.sqrt(column * column))
        summed = reduction_ops.reduce_sum(rows * array_ops.expand_dims(weights, -1), axis=1)
        if combiner == "sum":
            return summed
        if dense.weights is None:
            # TF's SparseSegmentMean / SqrtN multiply by the reciprocal of the count (or of its root).
            count = reduction_ops.reduce_sum(weights, axis=1, keepdims=True)
            scale = count if combiner == "mean" else unary_ops.sqrt(count)
            return summed * math_ops.div_no_nan(constant(1.0, dtypes.float32), scale)
        if combiner == "mean":
            return math_ops.div_no_nan(summed, reduction_ops.reduce_sum(weights, axis=1, keepdims=True))
        return math_ops.div_no_nan(summed, unary_ops.sqrt(
            reduction_ops.reduce_sum(weights * weights, axis=1, keepdims=True)))


def _lookup(column, embedding_weights, inputs):
    if column.ckpt_to_load_from is not None:
        checkpoint_utils.init_from_checkpoint(column.ckpt_to_load_from,
                                              {column.tensor_name_in_ckpt: embedding_weights})
    dense = column.categorical_column._get_dense_ids(inputs) if column.use_safe_embedding_lookup else None
    if dense is not None:
        return combine_dense_ids(embedding_weights, dense, column.combiner, column.max_norm,
                                 name=f"{column.name}_weights")
    sparse_tensors = column.categorical_column._get_sparse_tensors(inputs)
    ids, weights = sparse_tensors.id_tensor, sparse_tensors.weight_tensor
    rank = ids.dense_shape.shape.as_tuple()[0] if ids.dense_shape.shape.ndims == 1 else None
    if not column.use_safe_embedding_lookup and rank is not None and rank <= 2:
        return embedding_ops.embedding_lookup_sparse(embedding_weights, ids, weights, combiner=column.combiner,
                                                     name=f"{column.name}_weights", max_norm=column.max_norm)
    return embedding_ops.safe_embedding_lookup_sparse(embedding_weights, ids, weights, combiner=column.combiner,
                                                      name=f"{column.name}_weights", max_norm=column.max_norm)


class EmbeddingColumn(DenseOfCategoricalColumn, collections.namedtuple("EmbeddingColumn", (
        "categorical_column", "dimension", "combiner", "initializer", "ckpt_to_load_from", "tensor_name_in_ckpt",
        "max_norm", "trainable", "use_safe_embedding_lookup"))):
    """A learned dense embedding of a categorical column; see `embedding_column`."""

    __slots__ = ()
    _name_suffix = "_embedding"

    @property
    def _variable_shape(self) -> TensorShape:
        return TensorShape([self.dimension])

    def _transform_feature(self, inputs: LazyBuilder):
        return inputs.get(self.categorical_column)

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> Tensor:
        embedding_weights = get_variable(
            "embedding_weights", shape=(self.categorical_column._num_buckets, self.dimension), dtype=dtypes.float32,
            initializer=self.initializer, trainable=self.trainable and trainable is not False,
            collections=weight_collections)
        return _lookup(self, embedding_weights, inputs)


def embedding_column(categorical_column, dimension, combiner="mean", initializer=None, ckpt_to_load_from=None,
                     tensor_name_in_ckpt=None, max_norm=None, trainable=True,
                     use_safe_embedding_lookup=True) -> EmbeddingColumn:
    """A dense, learned `dimension`-vector per example from a categorical column.

    The table `<scope>/<name>/embedding_weights` ([num_buckets, dimension], initialized by
    `initializer`, default truncated normal with stddev 1/sqrt(dimension)) is looked up and
    the ids of an example combined by `combiner` ("mean", "sqrtn" or "sum", weighted for a
    weighted column); an example without ids gets zeros. `ckpt_to_load_from` with
    `tensor_name_in_ckpt` warm-starts the table from a checkpoint.

        city = tf.feature_column.categorical_column_with_hash_bucket("city", 1000)
        tf.feature_column.embedding_column(city, dimension=8)
    """
    if not isinstance(categorical_column, CategoricalColumn):
        raise ValueError(f"categorical_column must be a categorical column. Given: {categorical_column}")
    initializer = _check_embedding_args(dimension, combiner, ckpt_to_load_from, tensor_name_in_ckpt, initializer,
                                        f" Embedding of column_name: {categorical_column.name}")
    return EmbeddingColumn(categorical_column, dimension, combiner, initializer, ckpt_to_load_from,
                           tensor_name_in_ckpt, max_norm, trainable, use_safe_embedding_lookup)


class SharedEmbeddingColumn(DenseOfCategoricalColumn, collections.namedtuple("SharedEmbeddingColumn", (
        "categorical_column", "dimension", "combiner", "initializer", "shared_embedding_collection_name",
        "ckpt_to_load_from", "tensor_name_in_ckpt", "max_norm", "trainable", "use_safe_embedding_lookup"))):
    """An embedding whose table is shared with other columns; see `shared_embedding_columns`."""

    __slots__ = ()
    _name_suffix = "_shared_embedding"

    @property
    def _var_scope_name(self) -> str:
        return self.shared_embedding_collection_name

    @property
    def _variable_shape(self) -> TensorShape:
        return TensorShape([self.dimension])

    def _transform_feature(self, inputs: LazyBuilder):
        return inputs.get(self.categorical_column)

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> Tensor:
        shape = (self.categorical_column._num_buckets, self.dimension)
        shared = get_collection(self.shared_embedding_collection_name)
        if shared:
            if len(shared) > 1:
                raise ValueError(f"Collection {self.shared_embedding_collection_name} can only contain one variable. "
                                 "Suggested fix A: Choose a unique name for this collection. Suggested fix B: "
                                 "Do not add any variables to this collection. The feature_column library "
                                 "already adds a variable under the hood.")
            embedding_weights = shared[0]
            if embedding_weights.shape != TensorShape(shape):
                raise ValueError(f"Shared embedding collection {self.shared_embedding_collection_name} contains "
                                 f"variable {embedding_weights.name} of unexpected shape {embedding_weights.shape}. "
                                 f"Expected shape is {shape}. Suggested fix A: Choose a unique name for this "
                                 "collection. Suggested fix B: Do not add any variables to this collection. The "
                                 "feature_column library already adds a variable under the hood.")
        else:
            embedding_weights = get_variable(
                "embedding_weights", shape=shape, dtype=dtypes.float32, initializer=self.initializer,
                trainable=self.trainable and trainable is not False, collections=weight_collections)
            add_to_collection(self.shared_embedding_collection_name, embedding_weights)
        return _lookup(self, embedding_weights, inputs)


def _base_categorical(column):
    while isinstance(column, WeightedCategoricalColumn):
        column = column.categorical_column
    return column


def shared_embedding_columns(categorical_columns, dimension, combiner="mean", initializer=None,
                             shared_embedding_collection_name=None, ckpt_to_load_from=None, tensor_name_in_ckpt=None,
                             max_norm=None, trainable=True, use_safe_embedding_lookup=True) -> list:
    """Embedding columns over several categorical columns that share one table.

    The columns must be of one type with the same number of buckets (weighted columns count
    as their base column). The table is `<scope>/<collection name>/embedding_weights`, the
    collection name defaulting to the sorted column names joined by "_" plus
    "_shared_embedding".

        a, b = (tf.feature_column.categorical_column_with_identity(k, 100) for k in ("a", "b"))
        emb_a, emb_b = tf.feature_column.shared_embedding_columns([a, b], dimension=8)
    """
    initializer = _check_embedding_args(dimension, combiner, ckpt_to_load_from, tensor_name_in_ckpt, initializer, "")
    categorical_columns = list(categorical_columns)
    for c in categorical_columns:
        if not isinstance(c, CategoricalColumn):
            raise ValueError(f"All categorical_columns must be subclasses of _CategoricalColumn. Given: {c}, of "
                             f"type: {type(c)}")
    sorted_columns = sorted(categorical_columns, key=lambda c: c.name)
    c0 = _base_categorical(sorted_columns[0])
    num_buckets = c0._num_buckets
    for c in sorted_columns[1:]:
        c = _base_categorical(c)
        if not isinstance(c, type(c0)):
            raise ValueError("To use shared_embedding_column, all categorical_columns must have the same type, or "
                             f"be weighted_categorical_column of the same type. Given column: {c0} of type: "
                             f"{type(c0)} does not match given column: {c} of type: {type(c)}")
        if num_buckets != c._num_buckets:
            raise ValueError("To use shared_embedding_column, all categorical_columns must have the same number of "
                             f"buckets. Given column: {c0} with buckets: {num_buckets} does  not match column: {c} "
                             f"with buckets: {c._num_buckets}")
    if not shared_embedding_collection_name:
        shared_embedding_collection_name = "_".join(c.name for c in sorted_columns) + "_shared_embedding"
    return [SharedEmbeddingColumn(c, dimension, combiner, initializer, shared_embedding_collection_name,
                                  ckpt_to_load_from, tensor_name_in_ckpt, max_norm, trainable,
                                  use_safe_embedding_lookup) for c in categorical_columns]
