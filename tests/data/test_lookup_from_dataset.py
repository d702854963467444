"""Lookup tables from datasets: DatasetInitializer, table_from_dataset, index_table_from_dataset."""

import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D

X = tf.data.experimental


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _pairs():
    return D.zip((D.from_tensor_slices(["a", "b", "c"]), D.from_tensor_slices([10, 20, 30])))


def test_dataset_initializer_fills_a_static_hash_table():
    init = X.DatasetInitializer(_pairs())
    assert init.key_dtype == tf.string and init.value_dtype == tf.int32
    table = tf.lookup.StaticHashTable(init, default_value=-1)
    found = table.lookup(tf.constant(["b", "z", "a"]))
    assert table.initializer.type == "InitializeTableFromDataset"
    assert table.initializer in tf.get_collection(tf.GraphKeys.TABLE_INITIALIZERS)
    with tf.Session() as sess:
        sess.run(tf.tables_initializer())
        sess.run(tf.tables_initializer())  # again: a no-op
        assert sess.run(found).tolist() == [20, -1, 10] and sess.run(table.size()) == 3


def test_index_table_from_dataset_with_oov_buckets_and_vocab_size():
    words = D.from_tensor_slices(["emerson", "lake", "palmer"])
    table = X.index_table_from_dataset(words, num_oov_buckets=1)
    ids = table.lookup(tf.constant(["lake", "tarkus", "emerson"]))
    small = X.index_table_from_dataset(words, vocab_size=2)
    wrong = X.index_table_from_dataset(words, vocab_size=4)
    with tf.Session() as sess:
        sess.run([table.initializer, small.initializer])
        assert sess.run(ids).tolist() == [1, 3, 0]
        assert sess.run(small.lookup(tf.constant(["palmer", "lake"]))).tolist() == [-1, 1]
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError,
                                             match="expected to contain 4 elements but contained only 3"):
        sess.run(wrong.initializer)


def test_table_from_dataset_checks_its_arguments():
    with pytest.raises(ValueError, match="produces 3 components instead of two"):
        X.table_from_dataset(D.zip((D.range(2), D.range(2), D.range(2))))
    with pytest.raises(ValueError, match="non-scalar key Tensors of rank 1"):
        X.table_from_dataset(D.zip((D.from_tensors([1, 2]), D.range(2))))
    with pytest.raises(ValueError, match="`default_value` must be specified"):
        X.table_from_dataset(D.zip((D.range(2), D.from_tensor_slices(["a", "b"]))))
    with pytest.raises(ValueError, match="`num_oov_buckets` must be greater than or equal to 0"):
        X.table_from_dataset(_pairs(), num_oov_buckets=-1)
    with pytest.raises(ValueError, match="`vocab_size` must be greater than 0"):
        X.table_from_dataset(_pairs(), vocab_size=0)
    with pytest.raises(TypeError, match="`key_dtype` must be either an integer or string type"):
        X.table_from_dataset(_pairs(), key_dtype=tf.float32)
    table = X.table_from_dataset(D.zip((D.from_tensor_slices(["a", "a"]), D.from_tensor_slices([1, 2]))))
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError):
        sess.run(table.initializer)
