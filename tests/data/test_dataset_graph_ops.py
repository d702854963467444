"""cardinality, get_single_element and TFRecordWriter: whole-dataset ops (TF 2.15's values in graph mode)."""

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D

X = tf.data.experimental


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


# Each pipeline with the number TF 2.15's DatasetCardinality gives it in a TF1 graph (run with real TF).
CARDINALITIES = {
    "range": (lambda: D.range(10), 10), "negative_step": (lambda: D.range(5, 0, -2), 3),
    "filter": (lambda: D.range(10).filter(lambda x: x > 3), -2),
    "map_v1": (lambda: D.range(4).map(lambda x: x), -2),  # TF1's map does not promise to keep every element
    "flat_map": (lambda: D.range(3).flat_map(lambda x: D.range(x)), -2),
    "shard": (lambda: D.range(10).shard(3, 1), 3), "shard_0": (lambda: D.range(10).shard(3, 0), 4),
    "take_of_infinite": (lambda: D.range(10).repeat().take(3), 3), "take_all": (lambda: D.range(10).take(-1), 10),
    "take_of_unknown": (lambda: D.range(10).filter(lambda x: True).take(3), -2),
    "skip": (lambda: D.range(10).skip(4), 6), "skip_all": (lambda: D.range(10).skip(-1), 0),
    "skip_of_infinite": (lambda: D.range(3).repeat().skip(2), -1),
    "repeat_empty": (lambda: D.range(0).repeat(), 0),
    "repeat_unknown": (lambda: D.range(3).filter(lambda x: True).repeat(), -1),
    "repeat_unknown_twice": (lambda: D.range(3).filter(lambda x: True).repeat(2), -2),
    "repeat_3": (lambda: D.range(3).repeat(3), 9),
    "batch": (lambda: D.range(10).batch(3), 4), "batch_drop": (lambda: D.range(10).batch(3, drop_remainder=True), 3),
    "padded_batch": (lambda: D.range(5).padded_batch(2, []), 3),
    "concatenate_infinite": (lambda: D.range(3).concatenate(D.range(2).repeat()), -1),
    "concatenate_unknown": (lambda: D.range(3).concatenate(D.range(2).filter(lambda x: True)), -2),
    "concatenate": (lambda: D.range(3).concatenate(D.range(2)), 5),
    "zip_with_infinite": (lambda: D.zip((D.range(3).repeat(), D.range(5))), 5),
    "zip_with_unknown": (lambda: D.zip((D.range(3).filter(lambda x: True), D.range(5).repeat())), -2),
    "zip_all_infinite": (lambda: D.zip((D.range(3).repeat(), D.range(5).repeat())), -1),
    "enumerate_infinite": (lambda: D.range(3).repeat().enumerate(), 2**63 - 1),
    "counter": (lambda: X.Counter(), -1),
    "scan": (lambda: D.range(4).apply(X.scan(np.int64(0), lambda s, x: (s + x, s))), 4),
    "take_while": (lambda: D.range(4).apply(X.take_while(lambda x: x < 2)), -2),
    "unique": (lambda: D.range(4).apply(X.unique()), -2),
    "generator": (lambda: D.from_generator(lambda: iter([1]), tf.int64), -2),
    "cache": (lambda: D.range(4).cache(), 4), "shuffle": (lambda: D.range(4).shuffle(3), 4),
    "prefetch": (lambda: D.range(4).prefetch(2), 4),
    "with_options": (lambda: D.range(4).with_options(tf.data.Options()), 4),
    "from_tensors": (lambda: D.from_tensors(1), 1), "slices": (lambda: D.from_tensor_slices(np.zeros([7])), 7),
    "ignore_errors": (lambda: D.range(10).ignore_errors(), -2),
    "unbatch": (lambda: D.from_tensor_slices(np.zeros([4, 3])).batch(2, drop_remainder=True).unbatch(), -2),
    "tfrecord": (lambda: tf.data.TFRecordDataset("/nonexistent"), -2),
    "random": (lambda: X.RandomDataset(1), -1),
    "assert": (lambda: D.range(4).filter(lambda x: True).apply(X.assert_cardinality(4)), 4),
}


def test_cardinality_follows_tensorflows_rules():
    tensors = {name: X.cardinality(make()) for name, (make, _) in CARDINALITIES.items()}
    assert all(t.dtype == tf.int64 and t.shape == tf.TensorShape([]) for t in tensors.values())
    assert next(iter(tensors.values())).op.type == "DatasetCardinality"
    with tf.Session() as sess:
        got = sess.run(tensors)
    assert {k: int(v) for k, v in got.items()} == {name: n for name, (_, n) in CARDINALITIES.items()}


def test_cardinality_of_files_and_fed_arguments(tmp_path):
    for i in range(3):
        (tmp_path / f"f{i}.txt").write_text("x")
    count = tf.placeholder(tf.int64, [])
    files = X.cardinality(D.list_files(str(tmp_path / "*.txt")))
    ranged = X.cardinality(D.range(count).batch(2))
    with tf.Session() as sess:
        assert sess.run(files) == 3
        assert sess.run(ranged, {count: 7}) == 4
    assert X.INFINITE_CARDINALITY == -1 and X.UNKNOWN_CARDINALITY == -2
    with pytest.raises(TypeError, match="Expected a tf.data.Dataset"):
        X.cardinality([1, 2])


def test_get_single_element_gives_the_element_and_tfs_errors():
    element = X.get_single_element(D.from_tensors((np.int64(3), {"a": np.float32([2.0, 1.0])})))
    assert element[1]["a"].shape == tf.TensorShape([2]) and element[0].op.type == "DatasetToSingleElement"
    sparse = X.get_single_element(D.from_tensors(tf.SparseTensor([[0, 1]], [5.0], [2, 3])))
    empty, many = X.get_single_element(D.range(0)), X.get_single_element(D.range(2))
    with tf.Session() as sess:
        first, second = sess.run(element)
        assert first == 3 and second["a"].tolist() == [2.0, 1.0]
        value = sess.run(sparse)
        assert value.indices.tolist() == [[0, 1]] and value.dense_shape.tolist() == [2, 3]
        with pytest.raises(tf.errors.InvalidArgumentError, match="Dataset was empty."):
            sess.run(empty)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Dataset had more than one element."):
            sess.run(many)


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_tfrecord_writer_writes_the_dataset(tmp_path, compression):
    path = str(tmp_path / "out.tfrecord")
    records = [b"a", b"bc", b""]
    write = X.TFRecordWriter(path, compression).write(D.from_tensor_slices(records))
    assert write.type == "DatasetToTFRecord"
    read = tf.data.make_one_shot_iterator(tf.data.TFRecordDataset(path, compression_type=compression)).get_next()
    with tf.Session() as sess:
        assert sess.run(write) is None
        assert [sess.run(read) for _ in records] == records
    opts = tf.python_io.TFRecordOptions(compression) if compression else None
    assert list(tf.python_io.tf_record_iterator(path, opts)) == records


def test_tfrecord_writer_wants_scalar_strings():
    with pytest.raises(TypeError, match="scalar `DT_STRING`"):
        X.TFRecordWriter("/tmp/x").write(D.range(3))
    bad = X.TFRecordWriter("/tmp/x", "LZ4").write(D.from_tensors(b"a"))
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Unsupported compression"):
        sess.run(bad)


def test_the_dataset_methods_of_tf_2_15s_compat_v1():
    ds = D.range(5)
    n, single = ds.cardinality(), D.from_tensors(7).get_single_element(name="only")
    assert single.op.name == "only"
    checked = tf.data.make_one_shot_iterator(ds.filter(lambda x: True).assert_cardinality(5)).get_next()
    with tf.Session() as sess:
        assert sess.run(n) == 5 and sess.run(single) == 7
        assert [sess.run(checked) for _ in range(5)] == [0, 1, 2, 3, 4]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(checked)
    # eager-only iteration raises in a TF1 graph, as TF's does
    with pytest.raises(RuntimeError, match=r"as_numpy_iterator\(\)` is only supported in eager mode"):
        ds.as_numpy_iterator()
    with pytest.raises(RuntimeError, match="only supported inside of tf.function or when eager execution"):
        tf.data.NumpyIterator(ds)
