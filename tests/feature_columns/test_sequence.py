"""Sequence feature columns and tf.contrib.feature_column.sequence_input_layer (TF 1.15's semantics)."""

import numpy as np
import pytest

import estflow as tf

fc = tf.feature_column


def _features():
    return {"ids": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], tf.constant([3, 1, 2], tf.int64), [3, 2]),
            "nums": tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [1.0, 2.0, 3.0], [3, 2]),
            "words": tf.SparseTensor([[0, 0], [1, 0], [1, 1]], ["a", "z", "b"], [3, 2]),
            "pairs": tf.SparseTensor([[0, 0], [0, 1], [0, 2], [0, 3]], [1.0, 2.0, 3.0, 4.0], [2, 4])}


def _run(fetches):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
        return sess.run(fetches)


def test_embedding_and_numeric_columns_give_3d_output_and_lengths(g):
    ids = fc.sequence_categorical_column_with_identity("ids", 4)
    table = np.arange(8, dtype=np.float32).reshape(4, 2)
    columns = [fc.embedding_column(ids, 2, initializer=tf.constant_initializer(table)),
               fc.sequence_numeric_column("nums")]
    net, length = tf.contrib.feature_column.sequence_input_layer(_features(), columns)
    assert net.shape.as_list()[-1] == 3 and length.dtype == tf.int64
    assert [v.name for v in tf.global_variables()] == ["sequence_input_layer/ids_embedding/embedding_weights:0"]
    value, lengths = _run([net, length])
    np.testing.assert_array_equal(value, [[[6, 7, 1], [2, 3, 2]], [[4, 5, 3], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]])
    assert lengths.tolist() == [2, 1, 0]


def test_indicator_of_a_vocabulary_and_hash_columns(g):
    words = fc.sequence_categorical_column_with_vocabulary_list("words", ["a", "b"])
    hashed = fc.sequence_categorical_column_with_hash_bucket("words", 5)
    assert words.name == "words" and words._num_buckets == 2 and hashed._num_buckets == 5
    assert fc.make_parse_example_spec([words]) == {"words": tf.VarLenFeature(tf.string)}
    net, length = tf.contrib.feature_column.sequence_input_layer(_features(), [fc.indicator_column(words)])
    value, lengths = _run([net, length])
    np.testing.assert_array_equal(value, [[[1, 0], [0, 0]], [[0, 0], [0, 1]], [[0, 0], [0, 0]]])  # "z": no bucket
    assert lengths.tolist() == [1, 2, 0]
    hashed_net, _ = tf.contrib.feature_column.sequence_input_layer(_features(), [fc.indicator_column(hashed)])
    assert _run(hashed_net).sum(axis=-1).tolist() == [[1, 0], [1, 1], [0, 0]]


def test_vocabulary_file_column(g, tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\n")
    words = fc.sequence_categorical_column_with_vocabulary_file("words", str(path), vocabulary_size=2,
                                                               num_oov_buckets=1)
    net, _ = tf.contrib.feature_column.sequence_input_layer(_features(), [fc.indicator_column(words)])
    np.testing.assert_array_equal(_run(net)[1], [[0, 0, 1], [0, 1, 0]])  # "z" goes to the oov bucket


def test_numeric_shape_groups_values_into_steps(g):
    pairs = fc.sequence_numeric_column("pairs", shape=(2,), normalizer_fn=lambda x: x * 10.0)
    net, length = tf.contrib.feature_column.sequence_input_layer(_features(), [pairs])
    value, lengths = _run([net, length])
    np.testing.assert_array_equal(value, [[[10, 20], [30, 40]], [[0, 0], [0, 0]]])
    assert lengths.tolist() == [2, 0]
    with pytest.raises(ValueError, match="greater than 0"):
        fc.sequence_numeric_column("x", shape=(0,))


def test_sequence_columns_are_refused_where_they_do_not_belong(g):
    ids = fc.sequence_categorical_column_with_identity("ids", 4)
    with pytest.raises(ValueError, match="must not be of type SequenceCategoricalColumn"):
        fc.input_layer(_features(), [fc.embedding_column(ids, 2)])
    with pytest.raises(ValueError, match="use sequence_input_layer"):
        fc.input_layer(_features(), [fc.sequence_numeric_column("nums")])
    with pytest.raises(ValueError, match="must be of type _SequenceDenseColumn"):
        tf.contrib.feature_column.sequence_input_layer(_features(), [fc.numeric_column("nums")])


def test_columns_of_different_lengths_fail_when_run(g):
    columns = [fc.sequence_numeric_column("nums"), fc.indicator_column(
        fc.sequence_categorical_column_with_vocabulary_list("words", ["a", "b"]))]
    net, length = tf.contrib.feature_column.sequence_input_layer(_features(), columns)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sequence lengths of the columns differ"):
        _run(length)


def test_the_output_feeds_dynamic_rnn(g):
    ids = fc.sequence_categorical_column_with_identity("ids", 4)
    net, length = tf.contrib.feature_column.sequence_input_layer(_features(), [fc.embedding_column(ids, 3)])
    outputs, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicRNNCell(2), net, sequence_length=length, dtype=tf.float32)
    value = _run(outputs)
    assert value.shape == (3, 2, 2) and np.all(value[1, 1] == 0) and np.all(value[2] == 0)
