"""Sequence feature columns and `sequence_input_layer` (TF 1.15's `tf.feature_column.sequence_*`
and `tf.contrib.feature_column.sequence_input_layer`).

A sequence feature is a SparseTensor [batch, max steps] (a `VarLenFeature`): each example is a
list of steps. `sequence_categorical_column_with_*` wraps a categorical column so that its ids
keep their step, [batch, T, ids per step]; wrapped in `embedding_column` or `indicator_column`
it gives a [batch, T, width] tensor. `sequence_numeric_column` gives [batch, T, *shape].
`sequence_input_layer` concatenates the columns' [batch, T, width] tensors and returns them
with each example's sequence length:

    watches = tf.feature_column.sequence_categorical_column_with_identity("watches", 1000)
    columns = [tf.feature_column.embedding_column(watches, 8),
               tf.feature_column.sequence_numeric_column("ratings")]
    net, lengths = tf.contrib.feature_column.sequence_input_layer(features, columns)
    outputs, _ = tf.nn.dynamic_rnn(cell, net, sequence_length=lengths, dtype=tf.float32)

A sequence categorical column in `input_layer` or `linear_model` is refused, as in TF.
"""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    math_ops,
    reduction_ops,
    segment_reduce_ops,
    sparse_ops,
    unary_ops,
)
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape
from estflow.core.variable_scope import get_variable, variable_scope
from estflow.feature_columns.base import (
    CategoricalColumn,
    DenseColumn,
    LazyBuilder,
    normalize_feature_columns,
    verify_static_batch_size_equality,
)
from estflow.feature_columns.categorical import categorical_column_with_hash_bucket, categorical_column_with_identity
from estflow.feature_columns.dense import EmbeddingColumn, IndicatorColumn
from estflow.feature_columns.input_layer import weight_collections_with_defaults
from estflow.feature_columns.vocabulary import (
    categorical_column_with_vocabulary_file,
    categorical_column_with_vocabulary_list,
)
from estflow.library import embedding_ops
from estflow.library.parsing_config import VarLenFeature

_NOT_HERE = ("In {what}: categorical_column must not be of type SequenceCategoricalColumn. Suggested fix A: If you "
             "wish to use input_layer, use a non-sequence categorical_column_with_*. Suggested fix B: If you wish "
             "to create sequence input, use sequence_input_layer instead of input_layer. Given: {column}")


def sequence_length_from_sparse_tensor(sp_tensor: SparseTensor, num_elements: int = 1) -> Tensor:
    """Each example's number of steps: its largest column index + 1, over `num_elements` values a step
    (rounded up); 0 for an example with no entries (TF's fc_utils rule)."""
    with name_scope(None, "sequence_length") as scope:
        row_ids = sp_tensor.indices[:, 0]
        column_ids = sp_tensor.indices[:, 1] + 1
        batch = sp_tensor.dense_shape[0]
        # Unsorted so that an example with no entries (anywhere in the batch) counts 0 steps.
        length = segment_reduce_ops.unsorted_segment_max(column_ids, row_ids, batch)
        length = math_ops.maximum(length, fill_ops.zeros_like(length))
        length = unary_ops.ceil(cast_ops.cast(length, dtypes.float64) / float(num_elements))
        return array_ops.identity(cast_ops.cast(length, dtypes.int64), name=scope)


class SequenceCategoricalColumn(CategoricalColumn, collections.namedtuple("SequenceCategoricalColumn",
                                                                          ("categorical_column",))):
    """A categorical column over sequences: ids keep their step ([batch, T, ids per step])."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self.categorical_column.name

    @property
    def _parse_example_spec(self) -> dict:
        return self.categorical_column._parse_example_spec

    @property
    def _num_buckets(self) -> int:
        return self.categorical_column._num_buckets

    @property
    def num_buckets(self) -> int:
        return self._num_buckets

    def _transform_feature(self, inputs: LazyBuilder):
        return inputs.get(self.categorical_column)

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        raise ValueError(_NOT_HERE.format(what=f"{self.name}: a non-sequence consumer", column=self))

    def _get_dense_ids(self, inputs: LazyBuilder):
        raise ValueError(_NOT_HERE.format(what=f"{self.name}: a non-sequence consumer", column=self))

    def _get_sequence_sparse_tensors(self, inputs: LazyBuilder) -> CategoricalColumn.IdWeightPair:
        """The wrapped column's ids and weights reshaped to [batch, T, ids per step]."""
        pair = self.categorical_column._get_sparse_tensors(inputs)
        ids, weights = pair.id_tensor, pair.weight_tensor
        shape = ids.dense_shape
        # The third dimension computed, not -1: a -1 fails for batches of empty sequences (TF's note).
        target = concat_ops.stack([shape[0], shape[1], reduction_ops.reduce_prod(shape[2:])])
        ids = sparse_ops.sparse_reshape(ids, target)
        if weights is not None:
            weights = sparse_ops.sparse_reshape(weights, target)
        return CategoricalColumn.IdWeightPair(ids, weights)


def sequence_categorical_column_with_identity(key, num_buckets, default_value=None) -> SequenceCategoricalColumn:
    """A sequence of integer ids in [0, num_buckets), as
    `tf.feature_column.sequence_categorical_column_with_identity`."""
    return SequenceCategoricalColumn(categorical_column_with_identity(key, num_buckets, default_value))


def sequence_categorical_column_with_hash_bucket(key, hash_bucket_size, dtype=dtypes.string):
    """A sequence of strings or ints hashed into `hash_bucket_size` buckets (TF's fingerprint hashing)."""
    return SequenceCategoricalColumn(categorical_column_with_hash_bucket(key, hash_bucket_size, dtype))


def sequence_categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0,
                                                     default_value=None, dtype=dtypes.string):
    """A sequence of values looked up in a vocabulary file (one entry a line)."""
    return SequenceCategoricalColumn(categorical_column_with_vocabulary_file(
        key, vocabulary_file, vocabulary_size, num_oov_buckets, default_value, dtype))


def sequence_categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1,
                                                     num_oov_buckets=0):
    """A sequence of values looked up in an in-memory vocabulary."""
    return SequenceCategoricalColumn(categorical_column_with_vocabulary_list(
        key, vocabulary_list, dtype, default_value, num_oov_buckets))


class SequenceNumericColumn(DenseColumn, collections.namedtuple(
        "SequenceNumericColumn", ("key", "shape", "default_value", "dtype", "normalizer_fn"))):
    """A sequence of real values, `shape` per step; see `sequence_numeric_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return self.key

    @property
    def _parse_example_spec(self) -> dict:
        return {self.key: VarLenFeature(self.dtype)}

    def _transform_feature(self, inputs: LazyBuilder):
        values = inputs.get(self.key)
        if not isinstance(values, SparseTensor):
            raise ValueError(f"The corresponding Tensor of sequence numeric column {self.key} must be a SparseTensor "
                             "[batch, steps] (a VarLenFeature); got a dense Tensor.")
        if self.normalizer_fn is not None:
            values = SparseTensor(values.indices, self.normalizer_fn(values.values), values.dense_shape)
        return values

    @property
    def _variable_shape(self) -> TensorShape:
        return TensorShape(self.shape)

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        raise ValueError(f"SequenceNumericColumn {self.key} gives a sequence: use sequence_input_layer, not "
                         "input_layer or linear_model.")

    def _get_sequence_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        """([batch, T, *shape] float32 values, [batch] int64 lengths)."""
        del weight_collections, trainable  # no variables: TF's signature
        sp = inputs.get(self)
        dense = sparse_ops.sparse_tensor_to_dense(sp, default_value=self.default_value)
        per_step = self._variable_shape.num_elements()
        target = concat_ops.concat([array_ops.shape(dense)[:1], [-1], list(self.shape)], axis=0)
        dense = cast_ops.cast(array_ops.reshape(dense, target), dtypes.float32)
        return dense, sequence_length_from_sparse_tensor(sp, num_elements=per_step)


def sequence_numeric_column(key, shape=(1,), default_value=0.0, dtype=dtypes.float32, normalizer_fn=None):
    """A sequence of real-valued features, `shape` per step, as `tf.feature_column.sequence_numeric_column`.

        temperature = tf.feature_column.sequence_numeric_column("temperature")
    """
    shape = tuple(int(d) for d in (shape if isinstance(shape, (list, tuple)) else (shape,)))
    if any(d < 1 for d in shape):
        raise ValueError(f"shape dimensions must be greater than 0. shape: {shape}, key: {key}")
    if not (dtypes.as_dtype(dtype).is_integer or dtypes.as_dtype(dtype).is_floating):
        raise ValueError(f"dtype must be convertible to float. dtype: {dtype}, key: {key}")
    if normalizer_fn is not None and not callable(normalizer_fn):
        raise TypeError(f"normalizer_fn must be a callable. Given: {normalizer_fn}")
    return SequenceNumericColumn(key, shape, default_value, dtypes.as_dtype(dtype), normalizer_fn)


# ---- sequence_input_layer ----------------------------------------------------------------------------
def _sequence_categorical(column):
    inner = getattr(column, "categorical_column", None)
    return inner if isinstance(inner, SequenceCategoricalColumn) else None


def _sequence_embedding(column: EmbeddingColumn, inputs, weight_collections, trainable):
    weights = get_variable("embedding_weights", shape=(column.categorical_column._num_buckets, column.dimension),
                           dtype=dtypes.float32, initializer=column.initializer,
                           trainable=column.trainable and trainable is not False, collections=weight_collections)
    pair = column.categorical_column._get_sequence_sparse_tensors(inputs)
    dense = embedding_ops.safe_embedding_lookup_sparse(weights, pair.id_tensor, pair.weight_tensor,
                                                       combiner=column.combiner, name=f"{column.name}_weights",
                                                       max_norm=column.max_norm)
    return dense, sequence_length_from_sparse_tensor(pair.id_tensor)


def _sequence_indicator(column: IndicatorColumn, inputs):
    pair = column.categorical_column._get_sequence_sparse_tensors(inputs)
    ids = pair.id_tensor
    depth = column.categorical_column._num_buckets
    values = cast_ops.cast(ids.values, dtypes.int64)
    in_range = comparison_ops.logical_and(values >= 0, values < depth)  # a vocabulary's -1: no bucket
    weights = fill_ops.ones_like(values, dtype=dtypes.float32) if pair.weight_tensor is None else \
        cast_ops.cast(pair.weight_tensor.values, dtypes.float32)
    coordinates = concat_ops.stack([ids.indices[:, 0], ids.indices[:, 1], values], axis=1)
    coordinates = gather_ops.boolean_mask(coordinates, in_range)
    shape = concat_ops.stack([ids.dense_shape[0], ids.dense_shape[1], depth])
    dense = gather_ops.scatter_nd(coordinates, gather_ops.boolean_mask(weights, in_range), shape)
    return dense, sequence_length_from_sparse_tensor(ids)


def _sequence_dense_tensor(column, inputs, weight_collections, trainable):
    if isinstance(column, SequenceNumericColumn):
        return column._get_sequence_dense_tensor(inputs, weight_collections, trainable)
    if _sequence_categorical(column) is not None and isinstance(column, EmbeddingColumn):
        return _sequence_embedding(column, inputs, weight_collections, trainable)
    if _sequence_categorical(column) is not None and isinstance(column, IndicatorColumn):
        return _sequence_indicator(column, inputs)
    if hasattr(column, "_get_sequence_dense_tensor"):  # a user's own sequence column (TF's protocol)
        return column._get_sequence_dense_tensor(inputs, weight_collections=weight_collections, trainable=trainable)
    raise ValueError("All feature_columns must be of type _SequenceDenseColumn. You can wrap a "
                     "sequence_categorical_column with an embedding_column or indicator_column. "
                     f"Given (type {type(column)}): {column}")


def _all_equal(lengths):
    if len(lengths) == 1:
        return lengths[0]
    checks = [control_flow_ops.Assert(reduction_ops.reduce_all(comparison_ops.equal(lengths[0], other)),
                                      ["sequence lengths of the columns differ:", lengths[0], other])
              for other in lengths[1:]]
    return control_flow_ops.with_dependencies(checks, lengths[0])


def sequence_input_layer(features, feature_columns, weight_collections=None, trainable=True):
    """([batch, T, total width] float32, [batch] int64 sequence lengths) from sequence columns, as TF
    1.15's `tf.contrib.feature_column.sequence_input_layer`: columns built in name order under
    variable scope `sequence_input_layer`, their outputs concatenated on the last axis; every
    column must give the same sequence lengths (checked when the graph runs)."""
    feature_columns = normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not (isinstance(column, SequenceNumericColumn) or _sequence_categorical(column) is not None
                or hasattr(column, "_get_sequence_dense_tensor")):
            raise ValueError("All feature_columns must be of type _SequenceDenseColumn. You can wrap a "
                             "sequence_categorical_column with an embedding_column or indicator_column. "
                             f"Given (type {type(column)}): {column}")
    weight_collections = weight_collections_with_defaults(weight_collections)
    with variable_scope(None, default_name="sequence_input_layer", values=list(features.values())):
        builder = LazyBuilder(features)
        outputs, lengths, ordered = [], [], []
        for column in sorted(feature_columns, key=lambda c: c.name):
            ordered.append(column)
            with variable_scope(None, default_name=column._var_scope_name):
                dense, length = _sequence_dense_tensor(column, builder, weight_collections, trainable)
                width = column._variable_shape.num_elements() if not isinstance(column, IndicatorColumn) else \
                    column.categorical_column._num_buckets
                shape = array_ops.shape(dense)
                outputs.append(array_ops.reshape(dense, concat_ops.stack([shape[0], shape[1], width])))
                lengths.append(length)
        verify_static_batch_size_equality(outputs, ordered)
        verify_static_batch_size_equality(lengths, ordered)
        return concat_ops.concat(outputs, -1), _all_equal(lengths)
