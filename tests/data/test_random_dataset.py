"""RandomDataset: TF's exact Philox stream for seeded pipelines."""

import numpy as np
import pytest

import estflow as tf
from estflow.data.random_dataset import philox_values

X = tf.data.experimental


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _first(dataset, n):
    nxt = tf.data.make_one_shot_iterator(dataset).get_next()
    with tf.Session() as sess:
        return [int(sess.run(nxt)) for _ in range(n)]


def test_seeded_values_are_tensorflows():
    # TF 2.15, graph mode: tf.data.experimental.RandomDataset(seed=42) starts with these values.
    assert _first(X.RandomDataset(seed=42), 4) == [2985944072, 4132877644, 929418493, 249609589]
    ds = X.RandomDataset(seed=42)
    assert ds.element_spec == tf.TensorSpec([], tf.int64)
    assert _first(ds, 6) == _first(ds, 6)  # a new iterator replays the stream


def test_batched_values_equal_the_element_stream():
    stream = philox_values(87654321, 42, 0, 700)
    assert stream[:4].tolist() == [2985944072, 4132877644, 929418493, 249609589]
    assert philox_values(87654321, 42, 5, 10).tolist() == stream[5:15].tolist()
    nxt = tf.data.make_one_shot_iterator(X.RandomDataset(seed=42).batch(300)).get_next()
    with tf.Session() as sess:
        batches = np.concatenate([sess.run(nxt), sess.run(nxt)])
    assert batches.dtype == np.int64 and batches.tolist() == stream[:600].tolist()


def test_unseeded_streams_differ_between_iterators():
    ds = X.RandomDataset()
    assert _first(ds, 8) != _first(ds, 8)
    assert all(0 <= v < 2**32 for v in _first(ds, 8))
