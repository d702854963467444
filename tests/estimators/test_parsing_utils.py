"""tf.estimator.classifier_parse_example_spec / regressor_parse_example_spec (TF1's)."""

import pytest

import estflow as tf
from tests.estimators import canned_contract as cc


def test_parse_example_specs():
    x, color = cc.columns()
    spec = tf.estimator.classifier_parse_example_spec([x, color], label_key="y", label_dtype=tf.string,
                                                       weight_column="w")
    assert set(spec) == {"x", "color", "y", "w"}
    assert spec["y"] == tf.io.FixedLenFeature((1,), tf.string)
    assert spec["w"] == tf.io.FixedLenFeature((1,), tf.float32)
    spec = tf.estimator.regressor_parse_example_spec([x], label_key="price", label_dimension=2)
    assert spec["price"] == tf.io.FixedLenFeature((2,), tf.float32)
    with pytest.raises(ValueError, match="label should not be used as feature"):
        tf.estimator.classifier_parse_example_spec([x], label_key="x")
    with pytest.raises(ValueError, match="weight_column should not be used as feature"):
        tf.estimator.classifier_parse_example_spec([x], label_key="y", weight_column="x")
