"""tf.test.compute_gradient / compute_gradient_error (estflow/library/gradient_checker.py)."""

import numpy as np
import pytest

import estflow as tf


@pytest.fixture
def sess(g):
    with tf.Session(graph=g) as s, s.as_default():
        yield s


def test_jacobians_are_x_size_by_y_size_and_agree(sess):
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]], dtype=tf.float64)
    y = tf.reduce_sum(x * x, axis=1)
    data = np.array([[0.5, -1.0], [2.0, 0.25]])
    theoretical, numeric = tf.test.compute_gradient(x, [2, 2], y, [2], x_init_value=data)
    expected = np.zeros((4, 2))
    expected[0, 0], expected[1, 0], expected[2, 1], expected[3, 1] = 2 * data.reshape(-1)
    np.testing.assert_allclose(theoretical, expected)
    np.testing.assert_allclose(numeric, expected, atol=1e-8)
    assert theoretical.dtype == np.float64
    assert tf.test.compute_gradient_error(x, [2, 2], y, [2]) < 1e-8  # random x in [0, 1)


def test_a_wrong_gradient_shows_as_a_large_error(sess):
    x = tf.constant([1.0, 2.0, 3.0], dtype=tf.float64)
    y = tf.stop_gradient(x) * x  # the graph's gradient is x, the function's 2x
    data = np.array([1.0, 2.0, 3.0])
    theoretical, numeric = tf.test.compute_gradient(x, [3], y, [3], x_init_value=data)
    np.testing.assert_allclose(np.diag(theoretical), data)
    np.testing.assert_allclose(np.diag(numeric), 2 * data, atol=1e-8)
    assert tf.test.compute_gradient_error(x, [3], y, [3], x_init_value=data) == pytest.approx(3.0)


def test_sparse_gradients_of_gather(sess):
    params = tf.constant(np.arange(15.0).reshape(5, 3))
    y = tf.gather(params, [0, 2, 2])
    theoretical, numeric = tf.test.compute_gradient(params, [5, 3], y, [3, 3])
    np.testing.assert_allclose(theoretical, numeric, atol=1e-8)
    assert theoretical[2 * 3 + 1, 1 * 3 + 1] == 1 and theoretical[2 * 3 + 1, 2 * 3 + 1] == 1  # row 2 gathered twice


def test_a_list_of_xs_gives_a_list_of_pairs(sess):
    a = tf.constant([1.0, 2.0], dtype=tf.float64)
    b = tf.constant([3.0, 4.0], dtype=tf.float64)
    unused = tf.constant([5.0], dtype=tf.float64)
    pairs = tf.test.compute_gradient([a, b, unused], [[2], [2], [1]], a * b, [2],
                                     x_init_value=[np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0])])
    (ta, na), (tb, nb), (tu, nu) = pairs
    np.testing.assert_allclose(ta, np.diag([3.0, 4.0]))
    np.testing.assert_allclose(tb, np.diag([1.0, 2.0]))
    np.testing.assert_allclose(na, ta, atol=1e-8)
    np.testing.assert_allclose(nb, tb, atol=1e-8)
    assert not tu.any() and not nu.any()  # y does not depend on it


def test_extra_feeds_and_init_targets(sess):
    x = tf.constant([1.0, 2.0], dtype=tf.float64)
    scale = tf.placeholder(tf.float64, [])
    v = tf.Variable(np.float64(2.0))
    y = x * scale * v
    theoretical, numeric = tf.test.compute_gradient(x, [2], y, [2], init_targets=[v.initializer],
                                                    extra_feed_dict={scale: 3.0})
    np.testing.assert_allclose(theoretical, np.diag([6.0, 6.0]))
    np.testing.assert_allclose(numeric, theoretical, atol=1e-8)


def test_errors(g):
    x = tf.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="no default session"):
        tf.test.compute_gradient(x, [2], x * 2, [2])
    with tf.Session() as s, s.as_default():
        with pytest.raises(ValueError, match="x_init_value has shape"):
            tf.test.compute_gradient(x, [2], x * 2, [2], x_init_value=[1.0, 2.0, 3.0])
