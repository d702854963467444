"""tf.data.experimental's scan, take_while, unique, choosing and sampling among datasets, Counter, and
make_batched_features_dataset (estflow/data/experimental_datasets.py and experimental_ops.py)."""

import collections

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes

X = tf.data.experimental
BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def test_scan_threads_the_state():
    ds = D.range(5).apply(X.scan(np.int64(0), lambda total, x: (total + x, total + x)))
    assert outcomes(ds) == [0, 1, 3, 6, 10]
    pairs = D.range(3).apply(X.scan((np.int64(10), 1.0), lambda s, x: ((s[0] - x, s[1] * 2.0), (s[0], x))))
    assert outcomes(pairs) == [[10, 0], [10, 1], [9, 2]]


def test_scan_relaxes_a_growing_state_shape():
    grow = D.range(3).apply(X.scan(np.zeros([0], np.int64), lambda s, x: (tf.concat([s, [x]], 0), tf.size(s))))
    assert outcomes(grow) == [0, 1, 2]


def test_scan_refuses_a_state_of_another_dtype():
    with pytest.raises(TypeError, match="must match the initial state"):
        D.range(3).apply(X.scan(0, lambda s, x: (tf.cast(x, tf.float32), x)))
    with pytest.raises(TypeError, match="pair"):
        D.range(3).apply(X.scan(np.int64(0), lambda s, x: s))


def test_scan_passes_failed_elements_on():
    text = np.array([b"1", b"x", b"2"], dtype=object)
    ds = D.from_tensor_slices(text).map(tf.string_to_number).apply(X.scan(0.0, lambda s, x: (s + x, s + x)))
    assert outcomes(ds) == [1.0, BAD, 3.0]


def test_take_while_stops_at_the_first_rejected_element():
    assert outcomes(D.from_tensor_slices([1, 2, 5, 1]).apply(X.take_while(lambda x: x < 3))) == [1, 2]
    assert outcomes(D.range(3).apply(X.take_while(lambda x: x > 10))) == []
    with pytest.raises(ValueError, match="scalar boolean"):
        D.range(3).apply(X.take_while(lambda x: x))


def test_unique_keeps_first_appearances():
    assert outcomes(D.from_tensor_slices([1, 2, 1, 3, 2]).apply(X.unique())) == [1, 2, 3]
    words = np.array([b"a", b"b", b"a"], dtype=object)
    assert outcomes(D.from_tensor_slices(words).apply(X.unique())) == [b"a", b"b"]
    with pytest.raises(TypeError, match="only supports inputs with a single"):
        D.from_tensor_slices([1.0, 2.0]).apply(X.unique())


def test_choose_from_datasets():
    datasets = [D.from_tensor_slices([b"a", b"b"]), D.from_tensor_slices([b"x", b"y", b"z"])]
    choice = D.from_tensor_slices(np.int64([0, 1, 1, 0, 0, 1, 1]))
    assert outcomes(X.choose_from_datasets(datasets, choice)) == [b"a", b"x", b"y", b"b", b"z"]
    stop = X.choose_from_datasets(datasets, choice, stop_on_empty_dataset=True)
    assert outcomes(stop) == [b"a", b"x", b"y", b"b"]
    out_of_range = X.choose_from_datasets(datasets, D.from_tensor_slices(np.int64([2, 0])))
    assert outcomes(out_of_range) == [(tf.errors.InvalidArgumentError, "Selector index out of range: 2 >= 2"), b"a"]
    with pytest.raises(TypeError, match="tf.int64"):
        X.choose_from_datasets(datasets, D.from_tensor_slices([0, 1]))
    with pytest.raises(TypeError, match="same type and structure"):
        X.choose_from_datasets([D.range(2), D.from_tensor_slices([1.0])], D.range(1))


def test_sample_from_datasets_follows_the_weights_and_drains_every_input():
    datasets = [D.from_tensors(np.int64(0)).repeat(300), D.from_tensors(np.int64(1)).repeat(100)]
    values = outcomes(X.sample_from_datasets(datasets, weights=[0.75, 0.25], seed=5))
    assert collections.Counter(values) == {0: 300, 1: 100}
    first_half = values[:200]
    assert 120 < first_half.count(0) < 180  # 150 expected for weights 3:1
    again = outcomes(X.sample_from_datasets(datasets, weights=[0.75, 0.25], seed=5))
    assert again == values  # a seed fixes the order
    never = outcomes(X.sample_from_datasets([D.range(3), D.range(10, 12)], weights=[1.0, 0.0]))
    assert never == [0, 1, 2]


def test_sample_from_datasets_weights_as_a_tensor_and_bad_weights():
    weights = tf.placeholder(tf.float32, [2])
    ds = X.sample_from_datasets([D.range(2), D.range(5, 7)], weights=weights, seed=1)
    it = tf.data.make_initializable_iterator(ds)
    nxt = it.get_next()
    with tf.Session() as sess:
        sess.run(it.initializer, {weights: [0.0, 1.0]})
        assert [sess.run(nxt) for _ in range(2)] == [5, 6]
    with pytest.raises(ValueError, match="num_datasets"):
        X.sample_from_datasets([D.range(2)], weights=[0.5, 0.5])


def test_counter_counts_forever():
    ds = X.Counter(start=3, step=2).take(4)
    assert outcomes(ds) == [3, 5, 7, 9]
    down = X.Counter(start=0, step=-1, dtype=tf.int32).take(3)
    assert down.element_spec.dtype == tf.int32 and outcomes(down) == [0, -1, -2]


def test_constants_and_plain_transformations():
    assert X.INFINITE_CARDINALITY == tf.data.INFINITE_CARDINALITY == -1
    assert X.UNKNOWN_CARDINALITY == tf.data.UNKNOWN_CARDINALITY == -2
    assert X.TensorStructure is tf.TensorSpec
    ds = D.range(3)
    assert outcomes(ds.apply(X.prefetch_to_device("/gpu:0"))) == [0, 1, 2]
    assert outcomes(ds.apply(X.copy_to_device("/gpu:0"))) == [0, 1, 2]
    inner = D.range(2).apply(X.parallel_interleave(lambda x: D.from_tensors(x).repeat(2), cycle_length=2))
    assert outcomes(inner) == [0, 1, 0, 1]


def _write_examples(path, rows):
    with tf.python_io.TFRecordWriter(str(path)) as writer:
        for x, y in rows:
            example = tf.train.Example(features=tf.train.Features(feature={
                "x": tf.train.Feature(float_list=tf.train.FloatList(value=[x])),
                "y": tf.train.Feature(int64_list=tf.train.Int64List(value=[y]))}))
            writer.write(example.SerializeToString())


def test_make_batched_features_dataset(tmp_path):
    _write_examples(tmp_path / "a.tfrecord", [(1.0, 1), (2.0, 2), (3.0, 3)])
    _write_examples(tmp_path / "b.tfrecord", [(4.0, 4), (5.0, 5)])
    features = {"x": tf.FixedLenFeature([1], tf.float32), "y": tf.FixedLenFeature([], tf.int64)}
    ds = X.make_batched_features_dataset(str(tmp_path / "*.tfrecord"), 2, features, label_key="y", num_epochs=1,
                                         shuffle=False)
    batches = outcomes(ds)
    assert [b[1] for b in batches] == [[1, 2], [3, 4], [5]]
    assert [b[0]["x"].tolist() for b in batches] == [[[1.0], [2.0]], [[3.0], [4.0]], [[5.0]]]
    endless = X.make_batched_features_dataset(str(tmp_path / "*.tfrecord"), 4, features, label_key="y",
                                              shuffle_seed=3, shuffle_buffer_size=3)
    assert endless.element_spec[0]["x"].shape.as_list() == [4, 1]  # num_epochs=None drops the remainder
    nxt = tf.data.make_one_shot_iterator(endless).get_next()
    with tf.Session() as sess:
        labels = [sess.run(nxt)[1] for _ in range(5)]
    assert all(len(batch) == 4 for batch in labels)
    counts = collections.Counter(np.concatenate(labels).tolist())  # 20 labels: 4 epochs of 5 records
    assert set(counts) == {1, 2, 3, 4, 5} and all(3 <= n <= 5 for n in counts.values())
    with pytest.raises(ValueError, match="must be one of the `features` keys"):
        X.make_batched_features_dataset(str(tmp_path / "*.tfrecord"), 2, features, label_key="z")


def test_group_by_window():
    ds = D.range(10).apply(X.group_by_window(lambda x: x % 2, lambda key, window: window.batch(3), window_size=3))
    assert outcomes(ds) == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]  # partial windows at the end
    sums = D.range(10).apply(X.group_by_window(
        lambda x: x % 3, lambda key, window: window.batch(10).map(lambda b: (key, tf.reduce_sum(b))),
        window_size_func=lambda key: key + 2))
    assert outcomes(sums) == [[0, 3], [1, 12], [0, 15], [2, 15]]
    with pytest.raises(ValueError, match="Either the `window_size` argument or the `window_size_func`"):
        D.range(3).apply(X.group_by_window(lambda x: x, lambda k, w: w))
    with pytest.raises(ValueError, match="tf.int64 scalar"):
        D.range(3).apply(X.group_by_window(lambda x: tf.cast(x, tf.int32), lambda k, w: w, window_size=2))


def _sequences():
    rows = [[1], [2, 2], [3, 3, 3], [4, 4, 4, 4], [5] * 5, [6] * 6, [7] * 7]
    return D.from_generator(lambda: iter(rows), tf.int64, tf.TensorShape([None]))


def test_bucket_by_sequence_length():
    batches = outcomes(_sequences().apply(X.bucket_by_sequence_length(lambda x: tf.size(x), [3, 5], [2, 2, 2])))
    assert batches == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]], [[5, 5, 5, 5, 5, 0], [6, 6, 6, 6, 6, 6]],
                       [[7] * 7]]
    to_boundary = outcomes(_sequences().apply(X.bucket_by_sequence_length(
        lambda x: tf.size(x), [3, 8], [2, 2, 2], pad_to_bucket_boundary=True)))
    assert [np.array(b).shape for b in to_boundary] == [(2, 2), (2, 7), (2, 7), (1, 7)]
    unpadded = outcomes(D.from_tensor_slices(np.arange(6)).apply(X.bucket_by_sequence_length(
        lambda x: x, [3], [2, 3], no_padding=True, drop_remainder=True)))
    assert unpadded == [[0, 1], [3, 4, 5]]  # bucket 0 keeps [2] back: dropped remainder
    with pytest.raises(ValueError, match="len\\(bucket_batch_sizes\\) must equal"):
        X.bucket_by_sequence_length(lambda x: x, [3], [2])


def test_get_structure():
    ds = D.from_tensor_slices(({"a": [1, 2]}, [1.0, 2.0]))
    assert X.get_structure(ds) == ds.element_spec
    assert X.get_structure(tf.data.make_one_shot_iterator(ds)) == ds.element_spec
    with pytest.raises(TypeError, match="dataset_or_iterator"):
        X.get_structure(3)


def test_group_by_reducer():
    summing = X.Reducer(lambda key: np.int64(0), lambda total, x: total + x, lambda total: total)
    assert outcomes(D.range(10).apply(X.group_by_reducer(lambda x: x % 3, summing))) == [18, 12, 15]
    growing = X.Reducer(lambda key: (key, np.zeros([0], np.int64)),
                        lambda state, x: (state[0], tf.concat([state[1], [x]], 0)),
                        lambda key, seen: (key, tf.size(seen)))
    assert outcomes(D.range(7).apply(X.group_by_reducer(lambda x: x % 2, growing))) == [[0, 4], [1, 3]]
    assert summing.init_func is not None and summing.finalize_func(3) == 3
    with pytest.raises(TypeError, match="must match the initial state"):
        D.range(3).apply(X.group_by_reducer(lambda x: x, X.Reducer(lambda k: np.int64(0),
                                                                   lambda s, x: tf.cast(x, tf.float32),
                                                                   lambda s: s)))
