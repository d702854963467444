"""rejection_resample: class frequencies move to the target distribution (TF's algorithm)."""

import collections

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D

X = tf.data.experimental


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _skewed(n=4000):
    rng = np.random.RandomState(0)
    labels = (rng.uniform(size=n) < 0.2).astype(np.int32)  # 80% class 0, 20% class 1
    return D.from_tensor_slices((np.arange(n, dtype=np.int64), labels)), labels


def _classes(dataset, limit):
    nxt = tf.data.make_one_shot_iterator(dataset).get_next()
    out = []
    with tf.Session() as sess:
        try:
            for _ in range(limit):
                class_value, (index, label) = sess.run(nxt)
                assert class_value == label
                out.append(int(class_value))
        except tf.errors.OutOfRangeError:
            pass
    return out


@pytest.mark.parametrize("initial_dist", [[0.8, 0.2], None], ids=["given", "estimated"])
def test_the_output_follows_the_target(initial_dist):
    ds, _ = _skewed()
    resampled = ds.apply(X.rejection_resample(lambda index, label: label, [0.5, 0.5], initial_dist, seed=3))
    spec = resampled.element_spec
    assert spec[0] == tf.TensorSpec([], tf.int32) and spec[1][1] == tf.TensorSpec([], tf.int32)
    classes = _classes(resampled, 1500)
    share = collections.Counter(classes)[1] / len(classes)
    assert len(classes) == 1500 and 0.42 < share < 0.58


def test_static_special_cases():
    ds, labels = _skewed(50)
    same = ds.apply(X.rejection_resample(lambda index, label: label, [0.8, 0.2], [0.8, 0.2], seed=1))
    assert _classes(same, 100) == labels.tolist()  # the target is the input's: every element, in order
    only_ones = ds.apply(X.rejection_resample(lambda index, label: label, [0.0, 1.0], [0.8, 0.2], seed=1))
    assert set(_classes(only_ones, 100)) == {1}


def test_sample_from_datasets_takes_a_dataset_of_weights():
    weights = D.from_tensor_slices(np.float32([[1, 0], [0, 1], [1, 0], [0, 1], [0, 1]]))
    ds = X.sample_from_datasets([D.range(0, 3), D.range(10, 12)], weights, seed=1)
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    with tf.Session() as sess:
        got = []
        try:
            while True:
                got.append(int(sess.run(nxt)))
        except tf.errors.OutOfRangeError:
            pass
    assert got == [0, 10, 1, 11]  # the fifth draw names an exhausted input: skipped, then the weights end
    with pytest.raises(TypeError, match="dataset of float vectors"):
        X.sample_from_datasets([D.range(2)], D.range(3))
