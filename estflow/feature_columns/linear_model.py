"""`linear_model`: a weighted sum of every column plus a bias, with TF1's variable names."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, Tensor, get_collection
from estflow.core.init_ops import zeros_initializer
from estflow.core.ops import concat_ops, math_ops, matmul_ops, nn_ops, sparse_ops
from estflow.core.variable_scope import get_variable, get_variable_scope, variable_scope
from estflow.feature_columns.base import (
    CategoricalColumn,
    DenseColumn,
    LazyBuilder,
    normalize_feature_columns,
    verify_static_batch_size_equality,
)
from estflow.feature_columns.dense import combine_dense_ids
from estflow.feature_columns.input_layer import flat_dense_tensor, weight_collections_with_defaults
from estflow.library import embedding_ops

_SPARSE_COMBINERS = ("mean", "sqrtn", "sum")


def _flatten_ids(sp):
    """[batch, ...] ids as [batch, n]: every id of an example in its row."""
    return sparse_ops.sparse_reshape(sp, concat_ops.stack([sp.dense_shape[0], -1]))


def _categorical_weighted_sum(column, builder, units, sparse_combiner, weight_collections, trainable) -> Tensor:
    dense = column._get_dense_ids(builder)
    if dense is not None:
        weight = get_variable("weights", shape=(column._num_buckets, units), dtype=dtypes.float32,
                              initializer=zeros_initializer(), trainable=trainable, collections=weight_collections)
        return combine_dense_ids(weight, dense, sparse_combiner, name="weighted_sum")
    sparse_tensors = column._get_sparse_tensors(builder, weight_collections=weight_collections, trainable=trainable)
    id_tensor = _flatten_ids(sparse_tensors.id_tensor)
    weight_tensor = sparse_tensors.weight_tensor
    if weight_tensor is not None:
        weight_tensor = _flatten_ids(weight_tensor)
    weight = get_variable("weights", shape=(column._num_buckets, units), dtype=dtypes.float32,
                          initializer=zeros_initializer(), trainable=trainable, collections=weight_collections)
    return embedding_ops.safe_embedding_lookup_sparse(weight, id_tensor, sparse_weights=weight_tensor,
                                                      combiner=sparse_combiner, name="weighted_sum")


def _dense_weighted_sum(column, builder, units, weight_collections, trainable) -> Tensor:
    tensor = flat_dense_tensor(column, builder, weight_collections, trainable)
    num_elements = column._variable_shape.num_elements()
    weight = get_variable("weights", shape=[num_elements, units], dtype=dtypes.float32,
                          initializer=zeros_initializer(), trainable=trainable, collections=weight_collections)
    return matmul_ops.matmul(tensor, weight, name="weighted_sum")


def linear_model(features, feature_columns, units=1, sparse_combiner="sum", weight_collections=None, trainable=True,
                 cols_to_vars=None) -> Tensor:
    """[batch, units] logits: the sum over columns of inputs times weights, plus a bias.

    A categorical column's ids select rows of its weights `linear_model/<column>/weights`
    ([num_buckets, units], zeros at first) combined per example by `sparse_combiner` ("sum",
    "mean" or "sqrtn"); a dense column is multiplied by its [width, units] weights. The
    bias is `linear_model/bias_weights`. Columns are built in name order. `cols_to_vars`
    (a dict) receives each column's variables and `"bias"`.

        logits = tf.feature_column.linear_model(features, [age_buckets, occupation, education_x_occupation])
    """
    feature_columns = normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not isinstance(column, (DenseColumn, CategoricalColumn)):
            raise ValueError(f"Items of feature_columns must be either a _DenseColumn or _CategoricalColumn. Given: "
                             f"{column}")
    if not isinstance(units, int) or isinstance(units, bool) or units < 1:
        raise ValueError(f"units must be a positive int. Given: {units!r}")
    if sparse_combiner not in _SPARSE_COMBINERS:
        raise ValueError(f"sparse_combiner must be one of 'mean', 'sqrtn' or 'sum'. Given: {sparse_combiner!r}")
    weight_collections = weight_collections_with_defaults(weight_collections)
    values = list(features.values()) if hasattr(features, "values") else None
    with variable_scope(None, default_name="linear_model", values=values):
        builder = LazyBuilder(features)
        weighted_sums, ordered_columns = [], []
        for column in sorted(feature_columns, key=lambda c: c.name):
            ordered_columns.append(column)
            with variable_scope(None, default_name=column._var_scope_name):
                if isinstance(column, CategoricalColumn):
                    weighted_sums.append(_categorical_weighted_sum(column, builder, units, sparse_combiner,
                                                                   weight_collections, trainable))
                else:
                    weighted_sums.append(_dense_weighted_sum(column, builder, units, weight_collections, trainable))
                if cols_to_vars is not None:
                    cols_to_vars[column] = get_collection(GraphKeys.GLOBAL_VARIABLES,
                                                          scope=get_variable_scope().name)
        verify_static_batch_size_equality(weighted_sums, ordered_columns)
        no_bias = math_ops.add_n(weighted_sums, name="weighted_sum_no_bias")
        bias = get_variable("bias_weights", shape=[units], dtype=dtypes.float32, initializer=zeros_initializer(),
                            trainable=trainable, collections=weight_collections)
        if cols_to_vars is not None:
            cols_to_vars["bias"] = [bias]
        return nn_ops.bias_add(no_bias, bias, name="weighted_sum")
