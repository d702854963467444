"""`tf.estimator.classifier_parse_example_spec` / `regressor_parse_example_spec`: the feature columns'
parse spec plus the label (and weight) entries, for `tf.parse_example` input functions."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.feature_columns.input_layer import make_parse_example_spec
from estflow.feature_columns.numeric import NumericColumn, numeric_column
from estflow.library.parsing_config import FixedLenFeature


def _add_label_and_weight(parsing_spec, label_key, label_spec, weight_column) -> dict:
    if label_key in parsing_spec:
        raise ValueError(f"label should not be used as feature. label_key: {label_key}, features: "
                         f"{list(parsing_spec)}")
    parsing_spec[label_key] = label_spec
    if weight_column is None:
        return parsing_spec
    if isinstance(weight_column, str):
        weight_column = numeric_column(weight_column)
    if not isinstance(weight_column, NumericColumn):
        raise ValueError(f"weight_column should be an instance of tf.feature_column.numeric_column. Given type: "
                         f"{type(weight_column)} value: {weight_column}")
    if weight_column.key in parsing_spec:
        raise ValueError(f"weight_column should not be used as feature. weight_column: {weight_column.key}, "
                         f"features: {list(parsing_spec)}")
    parsing_spec.update(weight_column._parse_example_spec)
    return parsing_spec


def classifier_parse_example_spec(feature_columns, label_key, label_dtype=dtypes.int64, label_default=None,
                                  weight_column=None) -> dict:
    """The parse spec of `feature_columns` plus `label_key` as FixedLenFeature((1,), label_dtype).

        spec = tf.estimator.classifier_parse_example_spec([age, color], label_key="y", label_dtype=tf.string)
        features = tf.parse_example(serialized, spec); labels = features.pop("y")
    """
    spec = make_parse_example_spec(feature_columns)
    return _add_label_and_weight(spec, label_key, FixedLenFeature((1,), label_dtype, label_default), weight_column)


def regressor_parse_example_spec(feature_columns, label_key, label_dtype=dtypes.float32, label_default=None,
                                 label_dimension=1, weight_column=None) -> dict:
    """The parse spec of `feature_columns` plus `label_key` as FixedLenFeature((label_dimension,), label_dtype)."""
    spec = make_parse_example_spec(feature_columns)
    label_spec = FixedLenFeature((label_dimension,), label_dtype, label_default)
    return _add_label_and_weight(spec, label_key, label_spec, weight_column)
