"""`input_layer` (dense columns concatenated) and `make_parse_example_spec`."""

from __future__ import annotations

from estflow.core.graph import GraphKeys, Tensor, get_collection
from estflow.core.ops import array_ops, concat_ops
from estflow.core.variable_scope import get_variable_scope, variable_scope
from estflow.feature_columns.base import (
    DenseColumn,
    FeatureColumn,
    LazyBuilder,
    normalize_feature_columns,
    verify_static_batch_size_equality,
)


def weight_collections_with_defaults(weight_collections) -> list:
    """The collections new variables join: the given ones plus GLOBAL_VARIABLES and MODEL_VARIABLES (TF1)."""
    collections = list(weight_collections or [])
    for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES):
        if key not in collections:
            collections.append(key)
    return collections


def flat_dense_tensor(column, builder: LazyBuilder, weight_collections, trainable) -> Tensor:
    """A dense column's output as [batch, num_elements], with a clear error when the data's shape disagrees."""
    tensor = column._get_dense_tensor(builder, weight_collections=weight_collections, trainable=trainable)
    num_elements = column._variable_shape.num_elements()
    dims = tensor.shape.as_tuple()
    if dims is not None and len(dims) >= 1 and all(d is not None for d in dims[1:]):
        per_example = 1
        for d in dims[1:]:
            per_example *= d
        if per_example != num_elements:
            declared = getattr(column, "shape", None)
            raise ValueError(
                f"Column {column.name!r} expects {num_elements} value(s) per example"
                f"{f' (shape={declared})' if declared is not None else ''}, but its input has shape "
                f"{list(dims)}: {per_example} per example. Give the column the data's shape (e.g. "
                f"numeric_column({column.name!r}, shape={tuple(dims[1:])})) or reshape the feature.")
    if dims is not None and len(dims) == 2 and dims[1] == num_elements:
        return tensor  # already [batch, num_elements]: no reshape ops
    batch_size = array_ops.shape(tensor)[0]
    return array_ops.reshape(tensor, concat_ops.stack([batch_size, num_elements]))


def input_layer(features, feature_columns, weight_collections=None, trainable=True, cols_to_vars=None,
                cols_to_output_tensors=None) -> Tensor:
    """One dense [batch, total width] float32 tensor from `features` through `feature_columns`.

    Columns are built in name order (not the order given) under variable scope
    `input_layer`, each under its own scope (`input_layer/<column>_embedding/embedding_weights`),
    and their outputs concatenated in that order. Only dense columns are accepted: wrap a
    categorical column in `indicator_column` or `embedding_column`. With `cols_to_vars` (a
    dict), each column's variables are recorded there; `cols_to_output_tensors` records each
    column's [batch, width] slice.

        age = tf.feature_column.numeric_column("age")
        color = tf.feature_column.categorical_column_with_vocabulary_list("color", ["R", "G"])
        net = tf.feature_column.input_layer(features, [age, tf.feature_column.indicator_column(color)])
    """
    feature_columns = normalize_feature_columns(feature_columns)
    for column in feature_columns:
        if not isinstance(column, DenseColumn):
            raise ValueError("Items of feature_columns must be a _DenseColumn. You can wrap a categorical column "
                             f"with an embedding_column or indicator_column. Given: {column}")
    weight_collections = weight_collections_with_defaults(weight_collections)
    values = [v for v in features.values()] if hasattr(features, "values") else None
    with variable_scope(None, default_name="input_layer", values=values):
        builder = LazyBuilder(features)
        output_tensors, ordered_columns = [], []
        for column in sorted(feature_columns, key=lambda c: c.name):
            ordered_columns.append(column)
            with variable_scope(None, default_name=column._var_scope_name):
                output = flat_dense_tensor(column, builder, weight_collections, trainable)
                output_tensors.append(output)
                if cols_to_vars is not None:
                    cols_to_vars[column] = get_collection(GraphKeys.GLOBAL_VARIABLES,
                                                          scope=get_variable_scope().name)
                if cols_to_output_tensors is not None:
                    cols_to_output_tensors[column] = output
        verify_static_batch_size_equality(output_tensors, ordered_columns)
        return concat_ops.concat(output_tensors, 1)


def make_parse_example_spec(feature_columns) -> dict:
    """The `tf.parse_example` features spec every column in `feature_columns` needs.

        spec = tf.feature_column.make_parse_example_spec([age, color])
        features = tf.parse_example(serialized, spec)    # {"age": FixedLenFeature, "color": VarLenFeature}
    """
    result: dict = {}
    for column in feature_columns:
        if not isinstance(column, FeatureColumn):
            raise ValueError(f"All feature_columns must be _FeatureColumn instances. Given: {column}")
        config = column._parse_example_spec
        for key, value in config.items():
            if key in result and value != result[key]:
                raise ValueError(f"feature_columns contain different parse_spec for key {key}. Given {value} and "
                                 f"{result[key]}")
        result.update(config)
    return result
