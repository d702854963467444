"""Iterators: one-shot, initializable, from_structure, string handles, per-session state, errors."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import graph_io
from estflow.data.dataset_ops import Dataset

D = Dataset


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def test_one_shot_iterator_ends_with_out_of_range():
    it = tf.data.make_one_shot_iterator(D.range(2))
    nxt = it.get_next()
    assert nxt.op.type == "IteratorGetNext" and nxt.op.name == "IteratorGetNext"
    with tf.Session() as sess:
        assert [int(sess.run(nxt)) for _ in range(2)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
            sess.run(nxt)
        with pytest.raises(tf.errors.OutOfRangeError):  # stays at the end
            sess.run(nxt)


def test_get_next_static_shapes_and_structure():
    ds = D.from_tensor_slices({"x": np.zeros((10, 3), np.float32), "y": np.arange(10)}).batch(4, drop_remainder=True)
    nxt = ds.make_one_shot_iterator().get_next()
    assert set(nxt) == {"x", "y"}
    assert nxt["x"].shape == tf.TensorShape([4, 3]) and nxt["y"].dtype == tf.int64
    with tf.Session() as sess:
        assert sess.run(nxt)["x"].shape == (4, 3)


def test_one_shot_iterator_rejects_placeholders():
    x = tf.placeholder(tf.float32, [None])
    with pytest.raises(ValueError, match="Cannot capture a placeholder"):
        D.from_tensor_slices(x).make_one_shot_iterator()


def test_initializable_iterator_reinitialized_with_new_feeds():
    x = tf.placeholder(tf.float32, shape=[None], name="x")
    n = tf.placeholder(tf.int64, shape=[], name="n")
    it = tf.data.make_initializable_iterator(D.from_tensor_slices(x).map(lambda v: v * 2.0).repeat(n))
    nxt = it.get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="iterator has not been initialized"):
            sess.run(nxt)
        sess.run(it.initializer, feed_dict={x: [1.0, 2.0], n: 1})
        assert [float(sess.run(nxt)) for _ in range(2)] == [2.0, 4.0]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
        sess.run(it.initializer, feed_dict={x: [10.0], n: 3})
        assert [float(sess.run(nxt)) for _ in range(3)] == [20.0, 20.0, 20.0]
        sess.run(it.initializer, feed_dict={x: [7.0, 8.0], n: 1})  # restart mid-way
        assert float(sess.run(nxt)) == 14.0


def test_initializer_needs_its_feeds():
    x = tf.placeholder(tf.float32, shape=[None], name="values")
    it = D.from_tensor_slices(x).make_initializable_iterator()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="You must feed a value"):
        sess.run(it.initializer)


def test_initializer_reports_bad_arguments():
    a = tf.placeholder(tf.int64, [None])
    b = tf.placeholder(tf.int64, [None])
    it = D.from_tensor_slices((a, b)).make_initializable_iterator()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="same size"):
        sess.run(it.initializer, feed_dict={a: [1, 2], b: [1]})
    size = tf.placeholder(tf.int64, [])
    it2 = D.range(3).batch(size).make_initializable_iterator()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Batch size"):
        sess.run(it2.initializer, feed_dict={size: 0})


def test_two_sessions_have_independent_iterators():
    nxt = D.range(5).make_one_shot_iterator().get_next()
    with tf.Session() as s1, tf.Session() as s2:
        assert [int(s1.run(nxt)) for _ in range(3)] == [0, 1, 2]
        assert int(s2.run(nxt)) == 0
        assert int(s1.run(nxt)) == 3


def test_two_sessions_seeded_shuffle_same_order():
    nxt = D.range(20).shuffle(20, seed=4).make_one_shot_iterator().get_next()
    with tf.Session() as s1, tf.Session() as s2:
        assert [int(s1.run(nxt)) for _ in range(20)] == [int(s2.run(nxt)) for _ in range(20)]


def test_reinitialized_seeded_shuffle_replays_first_order():
    it = D.range(15).shuffle(15, seed=9).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer)
        first = [int(sess.run(nxt)) for _ in range(15)]
        sess.run(it.initializer)
        assert [int(sess.run(nxt)) for _ in range(15)] == first


def test_from_structure_with_two_datasets():
    train = D.range(100, 103)
    valid = D.range(5)
    it = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    nxt = it.get_next()
    train_init, valid_init = it.make_initializer(train), it.make_initializer(valid)
    with pytest.raises(ValueError, match="does not have an initializer"):
        it.initializer  # noqa: B018
    with tf.Session() as sess:
        sess.run(train_init)
        assert int(sess.run(nxt)) == 100
        sess.run(valid_init)
        assert [int(sess.run(nxt)) for _ in range(2)] == [0, 1]
    with pytest.raises(TypeError, match="Expected output types"):
        it.make_initializer(D.from_tensor_slices(np.zeros(3, np.float32)))
    with pytest.raises(TypeError, match="compatible"):
        tf.data.Iterator.from_structure(tf.int64, tf.TensorShape([2])).make_initializer(D.range(3))


def test_string_handle_switches_iterators():
    train = D.range(100).repeat()
    valid = D.range(1000, 1003)
    handle = tf.placeholder(tf.string, shape=[])
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    nxt = it.get_next()
    train_it = train.make_one_shot_iterator()
    valid_it = valid.make_initializable_iterator()
    with tf.Session() as sess:
        train_handle, valid_handle = sess.run([train_it.string_handle(), valid_it.string_handle()])
        assert isinstance(train_handle, bytes)
        assert [int(sess.run(nxt, {handle: train_handle})) for _ in range(3)] == [0, 1, 2]
        sess.run(valid_it.initializer)
        assert int(sess.run(nxt, {handle: valid_handle})) == 1000
        assert int(sess.run(nxt, {handle: train_handle})) == 3
        assert int(sess.run(nxt, {handle: valid_handle})) == 1001


def test_string_handle_with_wrong_types_fails():
    floats = D.from_tensor_slices(np.zeros(2, np.float32)).make_one_shot_iterator()
    handle = tf.placeholder(tf.string, shape=[])
    nxt = tf.data.Iterator.from_string_handle(handle, tf.int64, tf.TensorShape([])).get_next()
    with tf.Session() as sess:
        h = sess.run(floats.string_handle())
        with pytest.raises(tf.errors.InvalidArgumentError, match="types"):
            sess.run(nxt, {handle: h})


def test_sparse_get_next_is_a_sparse_tensor():
    st = tf.SparseTensor(indices=[[0, 1], [2, 0]], values=[5, 6], dense_shape=[3, 2])
    nxt = D.from_tensor_slices(st).batch(3).make_one_shot_iterator().get_next()
    assert isinstance(nxt, tf.SparseTensor) and nxt.shape.as_list() == [None, 2]
    with tf.Session() as sess:
        value = sess.run(nxt)
    assert value.indices.tolist() == [[0, 1], [2, 0]] and value.dense_shape.tolist() == [3, 2]


def test_prefetch_thread_stops_when_session_closes():
    import threading

    before = threading.active_count()
    nxt = D.range(10**9).prefetch(2).make_one_shot_iterator().get_next()
    sess = tf.Session()
    assert int(sess.run(nxt)) == 0
    sess.close()
    for _ in range(100):
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.02)
    assert threading.active_count() <= before


def test_a_graph_with_a_python_pipeline_is_not_exported_but_is_drawn():
    # A GraphDef holds no Python objects: strict export names the op and says why; TensorBoard's
    # non-strict form draws the graph with the pipeline attr left out (and noted).
    it = D.range(3).map(lambda x: x + 1).make_initializable_iterator()
    it.get_next()
    with pytest.raises(ValueError, match=r"Dataset op 'MakeIterator' \(op: 'MakeIterator'\) holds a tf.data "
                                         r"pipeline built of Python objects \(.*MapDataset.*RangeDataset.*\) and "
                                         r"cannot be written to a GraphDef"):
        tf.get_default_graph().as_graph_def()
    graph_def = graph_io.graph_to_graph_def(tf.get_default_graph(), strict=False)
    (node,) = [n for n in graph_def.node if n.op == "MakeIterator"]
    assert "dataset" not in node.attr and node.attr[graph_io.UNENCODABLE_ATTR].list.s
    assert "MakeIterator" in str(tf.get_default_graph().get_operation_by_name("MakeIterator"))  # printing works
    assert {"IteratorV2", "MakeIterator", "IteratorGetNext"} <= {n.op for n in graph_def.node}


def test_a_generator_pipeline_names_its_python_function(tmp_path):
    it = D.from_generator(lambda: iter([1, 2]), tf.int64).batch(2).make_one_shot_iterator()
    it.get_next()
    with pytest.raises(ValueError, match=r"Dataset op 'OneShotIterator' .*holds a Python function "
                                         r"\(Dataset.from_generator\) and cannot be written to a GraphDef"):
        tf.train.write_graph(tf.get_default_graph(), str(tmp_path), "graph.pbtxt")


def test_reduce_with_captured_placeholder():
    k = tf.placeholder(tf.int64, [])
    total = D.range(4).reduce(np.int64(0), lambda s, x: s + x * k)
    with tf.Session() as sess:
        assert int(sess.run(total, {k: 2})) == 12
        assert int(sess.run(total, {k: 3})) == 18


# Errors per TF's ops. A file that cannot be opened stops its reader for good: TF retries the same
# file at every get_next, so each raises the same NotFoundError and the iterator never ends as if the
# data were exhausted (OutOfRangeError would end a training loop early). An element that fails (a map
# function raising on it, a corrupted record) raises once, at its own get_next, and the next get_next
# goes on after it, as TF moves on past such errors.
@pytest.mark.parametrize("prefetch", [False, True])
def test_missing_file_repeats_not_found_on_every_later_get_next_as_tf(tmp_path, prefetch):
    missing = str(tmp_path / "missing.tfrecord")
    dataset = tf.data.TFRecordDataset([missing])
    if prefetch:
        dataset = dataset.prefetch(2)
    nxt = dataset.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        messages = []
        for _ in range(3):
            with pytest.raises(tf.errors.NotFoundError) as info:
                sess.run(nxt)
            messages.append(info.value.message)
        assert messages[0].startswith(f"{missing}; No such file or directory")
        assert messages[1:] == messages[:1] * 2
        assert info.value.op.name == nxt.op.name


def test_missing_file_after_some_elements_repeats_and_reinitializing_clears_it(tmp_path):
    # The lines of the good file come first; the missing one is then reported at every get_next
    # (TF retries it, it never skips to later files); a new initialization starts afresh.
    good = tmp_path / "good.txt"
    good.write_text("a\nb\n")
    names = tf.placeholder(tf.string, [None])
    it = tf.data.TextLineDataset(names).make_initializable_iterator()
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {names: [str(good), str(tmp_path / "gone.txt"), str(good)]})
        assert [sess.run(nxt) for _ in range(2)] == [b"a", b"b"]
        for _ in range(2):
            with pytest.raises(tf.errors.NotFoundError, match="gone.txt"):
                sess.run(nxt)
        sess.run(it.initializer, {names: [str(good)]})
        assert [sess.run(nxt) for _ in range(2)] == [b"a", b"b"]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


@pytest.mark.parametrize("prefetch", [False, True])
def test_error_inside_map_is_raised_once_then_the_next_elements_come(prefetch):
    # TF's MapDataset: the element the function fails on gives its error; the next get_next maps the
    # next element. The same for the fused (chunked) path and the per-element one.
    dataset = D.from_tensor_slices(["1", "x", "2", "3"]).map(tf.string_to_number)
    if prefetch:
        dataset = dataset.prefetch(2)
    nxt = dataset.make_one_shot_iterator().get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 1.0
        with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly convert string: x"):
            sess.run(nxt)
        assert [sess.run(nxt) for _ in range(2)] == [2.0, 3.0]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_reduce_stops_at_the_first_failed_element():
    total = D.from_tensor_slices(["1", "x", "2"]).map(tf.string_to_number).reduce(np.float32(0), lambda s, x: s + x)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="convert string: x"):
        sess.run(total)
