"""tf.vectorized_map: fn over axis 0 of (nested) elems, stacked, with gradients."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient


def test_values_and_nested_structures(g):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    rows = tf.vectorized_map(lambda row: tf.reduce_sum(row * row), tf.constant(x))
    assert rows.shape.as_list() == [4]
    pair = tf.vectorized_map(lambda e: {"sum": e[0] + e[1], "max": tf.reduce_max(e[1])},
                             (tf.constant(x), tf.constant(x * 2)))
    batch = tf.placeholder(tf.float32, [None, 3])
    outer = tf.vectorized_map(lambda v: tf.tensordot(v, v, axes=0), batch)
    assert outer.shape.as_list() == [None, 3, 3]
    with tf.Session() as sess:
        got_rows, got_pair = sess.run([rows, pair])
        got_outer = sess.run(outer, {batch: x})
    np.testing.assert_allclose(got_rows, (x * x).sum(1))
    np.testing.assert_allclose(got_pair["sum"], x * 3)
    np.testing.assert_allclose(got_pair["max"], (x * 2).max(1))
    np.testing.assert_allclose(got_outer, np.einsum("bi,bj->bij", x, x))


def test_fn_results_that_ignore_the_element_are_repeated(g):
    out = tf.vectorized_map(lambda _: tf.constant([1, 2]), tf.zeros([3, 5]))
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out), [[1, 2]] * 3)


def test_errors(g):
    with pytest.raises(ValueError, match="same size along axis 0"):
        tf.vectorized_map(lambda e: e[0], (tf.zeros([3]), tf.zeros([4])))
    with pytest.raises(ValueError, match="at least one dimension"):
        tf.vectorized_map(lambda e: e, tf.constant(1.0))


def test_gradient():
    check_gradient(lambda x, w: tf.vectorized_map(lambda row: tf.tanh(tf.reduce_sum(row * w)) * row, x),
                   [np.random.default_rng(0).standard_normal((4, 3)), np.random.default_rng(1).standard_normal(3)])
