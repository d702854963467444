"""crelu, swish/silu, sufficient statistics, loss scaling: values from real TensorFlow 2.15.1."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

X = np.array([[1.0, -2.0, 3.0], [-0.5, 4.0, 0.0]], np.float32)


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


@pytest.mark.usefixtures("g")
def test_crelu_matches_tensorflow():
    y = tf.nn.crelu(X)
    np.testing.assert_array_equal(run(y), [[1, 0, 3, 0, 2, 0], [0, 4, 0, 0.5, 0, 0]])
    assert y.op.type == "Relu" and y.op.inputs[0].op.name == "CRelu"
    assert run(tf.nn.crelu(X, axis=0)).shape == (4, 3)


def test_crelu_gradient():
    check_gradient(lambda x: tf.nn.crelu(x), [np.array([[0.5, -1.5], [2.0, -0.25]])])


@pytest.mark.usefixtures("g")
def test_swish_and_silu_match_tensorflow():
    want = [[0.7310585975646973, -0.23840583860874176, 2.857722282409668],
            [-0.1887703388929367, 3.9280550479888916, 0.0]]
    np.testing.assert_allclose(run(tf.nn.swish(X)), want, rtol=1e-6)
    np.testing.assert_allclose(run(tf.nn.silu(X)), want, rtol=1e-6)
    np.testing.assert_allclose(run(tf.nn.swish(X, beta=2.0)), X / (1 + np.exp(-2 * X)), rtol=1e-6)


def test_swish_gradient():
    check_gradient(lambda x: tf.nn.swish(x, 1.5), [np.array([[0.5, -1.5], [2.0, -0.25]])])


@pytest.mark.usefixtures("g")
def test_sufficient_statistics_and_normalize_moments_match_tensorflow():
    counts, m_ss, v_ss, shift = tf.nn.sufficient_statistics(X, [1], shift=0.5, keep_dims=True)
    c, m, v = run([counts, m_ss, v_ss])
    assert c == 3.0
    np.testing.assert_allclose(m, [[0.5], [2.0]])
    np.testing.assert_allclose(v, [[12.75], [13.5]])
    mean, variance = tf.nn.normalize_moments(counts, m_ss, v_ss, shift)
    mean, variance = run([mean, variance])
    np.testing.assert_allclose(mean, [[0.6666667], [1.1666667]], rtol=1e-6)
    np.testing.assert_allclose(variance, [[4.2222223], [4.0555553]], rtol=1e-6)
    np.testing.assert_allclose(variance.ravel(), X.var(axis=1), rtol=1e-5)


@pytest.mark.usefixtures("g")
def test_sufficient_statistics_without_shift_and_with_unknown_dims():
    t = tf.constant([[1, 2, 3], [4, 5, 6]])
    counts, m_ss, v_ss, shift = tf.nn.sufficient_statistics(t, [-1])
    assert shift is None and run(counts) == 3
    assert run(m_ss).tolist() == [6, 15] and run(v_ss).tolist() == [14, 77]
    x = tf.placeholder(tf.float32, [None, 3])
    counts, m_ss, v_ss, _ = tf.nn.sufficient_statistics(x, [0, 1])
    assert counts.op.name.endswith("count")
    assert run(counts, {x: X}) == 6.0
    mean, variance = run(tf.nn.normalize_moments(counts, m_ss, v_ss, None), {x: X})
    np.testing.assert_allclose([mean, variance], [X.mean(), X.var()], rtol=1e-5)


@pytest.mark.usefixtures("g")
def test_compute_average_loss_matches_tensorflow():
    assert run(tf.nn.compute_average_loss([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])) == pytest.approx(7 / 3)
    assert run(tf.nn.compute_average_loss([1.0, 2.0, 3.0], global_batch_size=4)) == 1.5
    assert run(tf.nn.compute_average_loss(tf.zeros([0]))) == 0.0  # div_no_nan
    per_example = tf.constant([[1.0], [3.0]])
    assert run(tf.nn.compute_average_loss(per_example, sample_weight=[2.0, 1.0])) == 2.5  # weights expanded
    with pytest.raises(ValueError, match="at least rank 1"):
        tf.nn.compute_average_loss(1.0)
    with pytest.raises(TypeError, match="must be an integer"):
        tf.nn.compute_average_loss([1.0], global_batch_size=2.0)
    with pytest.raises(ValueError, match="non-negative"):
        tf.nn.compute_average_loss([1.0], global_batch_size=-1)


@pytest.mark.usefixtures("g")
def test_scale_regularization_loss_sums_over_one_replica():
    assert run(tf.nn.scale_regularization_loss([1.0, 2.0])) == 3.0
    assert run(tf.nn.scale_regularization_loss(tf.nn.l2_loss([3.0, 4.0]))) == 12.5


@pytest.mark.usefixtures("g")
def test_batch_norm_with_global_normalization():
    m, v = np.float32([1, 0, 0]), np.float32([1, 2, 4])
    beta, gamma = np.float32([0, 1, 0]), np.float32([2, 2, 2])
    scaled = tf.nn.batch_norm_with_global_normalization(X, tf.constant(m), tf.constant(v), tf.constant(beta),
                                                         tf.constant(gamma), 0.001, True)
    np.testing.assert_allclose(run(scaled), (X - m) / np.sqrt(v + 0.001) * gamma + beta, rtol=1e-6)
    plain = tf.nn.batch_norm_with_global_normalization(input=X, mean=tf.constant(m), variance=tf.constant(v),
                                                        beta=tf.constant(beta), gamma=tf.constant(gamma),
                                                        variance_epsilon=0.001, scale_after_normalization=False)
    np.testing.assert_allclose(run(plain), (X - m) / np.sqrt(v + 0.001) + beta, rtol=1e-6)
    with pytest.raises(ValueError, match="both 'input' and 't'"):
        tf.nn.batch_norm_with_global_normalization(X, input=X)


def test_initializers_uniform_unit_scaling_is_tf1s():
    assert tf.initializers.uniform_unit_scaling is tf.uniform_unit_scaling_initializer
