"""RandomIndexShuffle (tf.random_index_shuffle): TF 2.15.1's exact positions (constants printed by real TF)."""

import numpy as np
import pytest

import estflow as tf


def run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


@pytest.mark.usefixtures("g")
def test_positions_are_tensorflows():
    got = run([
        tf.random_index_shuffle(np.arange(11, dtype=np.int32), [1, 2, 3], 10),
        tf.random_index_shuffle(np.arange(0, 300000, 7919, dtype=np.int64), np.array([7, 8, 9], np.int64),
                                np.int64(299999)),
        tf.random_index_shuffle(np.array([5, 9], np.uint64), np.array([[1, 2, 3], [4, 5, 6]], np.uint32),
                                np.array([100, 2**40], np.uint64), rounds=6),
        tf.random_index_shuffle(3, [-1, 2**31 - 1, 0], 65536),
        tf.random_index_shuffle(4, [1, 2, 3], 0),
    ])
    assert got[0].tolist() == [2, 0, 6, 4, 8, 10, 7, 9, 5, 3, 1]
    assert got[1][:8].tolist() == [96323, 41898, 273849, 72206, 71833, 49370, 70693, 209102]
    assert got[1][-3:].tolist() == [259771, 154469, 295435] and got[1].dtype == np.int64
    assert got[2].tolist() == [65, 65766890198] and got[2].dtype == np.uint64
    assert got[3] == 2800 and got[4] == 0


@pytest.mark.usefixtures("g")
def test_a_seed_gives_a_permutation():
    for max_index in (0, 1, 99, 70000):
        order = run(tf.random_index_shuffle(np.arange(max_index + 1, dtype=np.int64), [5, 6, 7], max_index))
        assert sorted(order.tolist()) == list(range(max_index + 1)), max_index
    a, b = run([tf.random_index_shuffle(np.arange(50), [1, 1, 1], 49), tf.random_index_shuffle(np.arange(50),
                                                                                               [1, 1, 2], 49)])
    assert a.tolist() != b.tolist()


@pytest.mark.usefixtures("g")
def test_op_and_errors():
    t = tf.random_index_shuffle(3, [1, 2, 3], 10)
    assert t.op.type == "RandomIndexShuffle" and t.op.get_attr("rounds") == 4 and t.dtype == tf.int32
    with pytest.raises(ValueError, match="rounds must be an even number"):
        tf.random_index_shuffle(3, [1, 2, 3], 10, rounds=5)
    with pytest.raises(ValueError, match="seed must have shape"):
        tf.random_index_shuffle(3, [1, 2], 10)
    assert tf.random_index_shuffle(np.int64(3), [1, 2, 3], 10).dtype == tf.int64  # max_index takes index's dtype
    with pytest.raises(TypeError):
        tf.random_index_shuffle(tf.constant(3, tf.int64), [1, 2, 3], tf.constant(10))
