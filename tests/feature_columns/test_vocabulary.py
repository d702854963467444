"""Vocabulary list and file columns: ids, out-of-vocabulary buckets, integer vocabularies, errors."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from tests.feature_columns import golden

fc = tf.feature_column
COLORS = np.array([[b"red"], [b"green"], [b""], [b"pink"]], dtype=object)


def _indicator(column, feature):
    return golden.input_layer_output([fc.indicator_column(column)], {column.key: feature})


def test_vocabulary_file_ids_by_line_and_size_inferred(tmp_path):
    path = tmp_path / "colors.txt"
    path.write_text("red\ngreen\nblue\n")
    column = fc.categorical_column_with_vocabulary_file("color", str(path))
    assert column.vocabulary_size == 3 and column.default_value == -1 and column._num_buckets == 3
    assert _indicator(column, COLORS).tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]
    first_two = fc.categorical_column_with_vocabulary_file("color", str(path), vocabulary_size=2, default_value=0)
    assert _indicator(first_two, COLORS).tolist() == [[1, 0], [0, 1], [0, 0], [1, 0]]
    with_oov = fc.categorical_column_with_vocabulary_file("color", str(path), num_oov_buckets=2)
    got = _indicator(with_oov, COLORS)
    assert got[:3].tolist() == [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0]] and got[3, 3:].sum() == 1


def test_integer_vocabulary_list():
    column = fc.categorical_column_with_vocabulary_list("code", [10, 20, 30], default_value=0)
    assert column.dtype == tf.int64
    assert _indicator(column, np.array([[30], [-1], [99]])).tolist() == [[0, 0, 1], [0, 0, 0], [1, 0, 0]]


def test_vocabulary_containing_the_empty_string_still_drops_missing_values():
    column = fc.categorical_column_with_vocabulary_list("color", ["", "red"])
    assert _indicator(column, COLORS).tolist() == [[0, 1], [0, 0], [0, 0], [0, 0]]


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ([[]], {}, "must be non-empty, column_name: c"),
    ([["a", "a"]], {}, "Duplicate keys in vocabulary_list"),
    ([["a"]], {"num_oov_buckets": 2, "default_value": 0}, "Can't specify both num_oov_buckets and default_value"),
    ([["a"]], {"num_oov_buckets": -1}, "Invalid num_oov_buckets -1"),
    ([["a"]], {"dtype": tf.int64}, "dtype <dtype: 'int64'>|do not match"),
    ([[1.5, 2.5]], {}, "vocabulary dtype must be string or integer"),
])
def test_vocabulary_list_argument_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fc.categorical_column_with_vocabulary_list("c", *args, **kwargs)


def test_vocabulary_file_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Missing vocabulary_file in c"):
        fc.categorical_column_with_vocabulary_file("c", "")
    with pytest.raises(ValueError, match="vocabulary_file in c does not exist"):
        fc.categorical_column_with_vocabulary_file("c", str(tmp_path / "none.txt"))
    with pytest.raises(ValueError, match="Invalid vocabulary_size in c"):
        fc.categorical_column_with_vocabulary_file("c", "v.txt", vocabulary_size=0)
    with pytest.raises(ValueError, match="Can't specify both num_oov_buckets and default_value"):
        fc.categorical_column_with_vocabulary_file("c", "v.txt", vocabulary_size=2, num_oov_buckets=1,
                                                   default_value=0)


def test_vocabulary_column_fed_floats_says_how_to_fix():
    column = fc.categorical_column_with_vocabulary_list("color", ["red"])
    with pytest.raises(ValueError, match="color input_tensor dtype must be string or integer.*bucketized_column"):
        _indicator(column, np.array([[1.0]], np.float32))
    with pytest.raises(ValueError, match="must be compatible.*Feed feature 'color' as strings"):
        _indicator(column, np.array([[1]]))


def test_tables_need_initializing():
    column = fc.indicator_column(fc.categorical_column_with_vocabulary_list("color", ["red"]))
    with tf.Graph().as_default():
        out = fc.input_layer({"color": COLORS}, [column])
        with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError):
            sess.run(out)
