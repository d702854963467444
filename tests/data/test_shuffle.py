"""shuffle: a failed element is passed on as the buffer reads it; every good element still comes once."""

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes

BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


@pytest.mark.parametrize("vectorized", [True, False])
def test_shuffle_passes_failed_elements_on_and_keeps_every_good_one(vectorized):
    text = np.array([b"x" if i in (3, 700) else str(i).encode() for i in range(1000)], dtype=object)
    if vectorized:
        ds = D.from_tensor_slices(text)
    else:  # elements of unknown shape go through the per-element buffer
        ds = D.from_generator(lambda: iter(text), tf.string)
    shuffled = ds.map(tf.string_to_number).shuffle(100, seed=3)
    assert shuffled._vectorized == vectorized
    got = outcomes(shuffled)
    assert got.count(BAD) == 2
    # TF's buffer reads the input as it fills: element 3's error comes before any output
    assert got[0] == BAD
    assert sorted(g for g in got if g != BAD) == [float(i) for i in range(1000) if i not in (3, 700)]


@pytest.mark.parametrize("m", [1, 2, 3, 7, 511, 512, 513, 2000, 32561, 65536, 70001])
def test_drain_order_by_arrays_is_the_step_by_step_order(m):
    from estflow.data.shuffle import _drain_arrays, _drain_loop, _drain_order  # the two forms of one order

    for seed in range(3):
        draws = np.random.default_rng(seed).integers(0, np.arange(m, 0, -1), dtype=np.int64)
        order = _drain_order(np.random.default_rng(seed), m)
        assert order.dtype == np.int64
        assert order.tolist() == _drain_loop(draws).tolist() == _drain_arrays(draws).tolist()
        assert sorted(order.tolist()) == list(range(m))


def test_drain_order_of_a_seeded_whole_buffer_shuffle_is_pinned():
    # the order the loop gave before the array form (a seed's order is something users and tests rely on)
    nxt = tf.data.make_one_shot_iterator(D.range(2000).shuffle(2000, seed=7).batch(2000)).get_next()
    with tf.Session() as sess:
        got = sess.run(nxt).tolist()
    assert got[:12] == [1429, 1488, 806, 1974, 557, 1854, 1939, 1794, 818, 1380, 571, 1193]
    assert got[-5:] == [877, 1079, 1541, 1990, 652]
