"""tf.random_gamma and tf.random_poisson (estflow/core/ops/random_distribution_ops.py)."""

import numpy as np
import pytest

import estflow as tf


@pytest.mark.usefixtures("g")
def test_gamma_shapes_moments_and_rate():
    alpha = tf.constant([0.5, 2.0, 9.0])
    samples = tf.random_gamma([4000], alpha, seed=3)
    assert samples.shape.as_list() == [4000, 3] and samples.dtype == tf.float32
    scaled = tf.random.gamma([4000], [[2.0]], beta=[4.0, 0.5], dtype=tf.float64, seed=4)
    assert scaled.shape.as_list() == [4000, 1, 2] and scaled.dtype == tf.float64
    with tf.Session() as sess:
        draws, rated = sess.run([samples, scaled])
    np.testing.assert_allclose(draws.mean(0), [0.5, 2.0, 9.0], rtol=0.1)
    np.testing.assert_allclose(draws.var(0), [0.5, 2.0, 9.0], rtol=0.15)
    np.testing.assert_allclose(rated.mean(0)[0], [0.5, 4.0], rtol=0.1)  # mean alpha / beta
    assert (draws > 0).all()


@pytest.mark.usefixtures("g")
def test_seeds_replay_across_sessions():
    samples = tf.random_gamma([5], 1.0, seed=7)
    counts = tf.random_poisson(3.0, [5], seed=7)
    with tf.Session() as sess:
        first = sess.run([samples, counts])
        second = sess.run([samples, counts])
    with tf.Session() as sess:
        again = sess.run([samples, counts])
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], second[0])


@pytest.mark.usefixtures("g")
def test_poisson_shapes_moments_and_dtypes():
    lam = tf.constant([1.0, 10.0])
    counts = tf.random_poisson(lam, [5000], seed=1)
    assert counts.shape.as_list() == [5000, 2] and counts.dtype == tf.float32
    ints = tf.random.poisson(lam, [3], dtype=tf.int64, seed=2)
    assert ints.dtype == tf.int64
    with tf.Session() as sess:
        draws, int_draws = sess.run([counts, ints])
    np.testing.assert_allclose(draws.mean(0), [1.0, 10.0], rtol=0.08)
    np.testing.assert_allclose(draws.var(0), [1.0, 10.0], rtol=0.15)
    assert (draws == np.round(draws)).all() and int_draws.dtype == np.int64
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.random_gamma([2], tf.constant(1, tf.int32), dtype=tf.int32)


@pytest.mark.usefixtures("g")
def test_invalid_parameters_give_nan_as_tf():
    with tf.Session() as sess:
        assert np.isnan(sess.run(tf.random_poisson([-1.0], [2], seed=1))).all()
        assert np.isnan(sess.run(tf.random_gamma([2], [-1.0], seed=1))).all()
