"""tf.hessians, tf.custom_gradient, tf.grad_pass_through, tf.UnconnectedGradients
(estflow/library/gradient_utils.py)."""

import numpy as np
import pytest

import estflow as tf


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
def test_hessians():
    x = tf.placeholder(tf.float64, [2])
    y = tf.reduce_sum(x ** 3) + x[0] * x[1]
    (h,) = tf.hessians(y, x)
    assert h.shape.as_list() == [2, 2]
    np.testing.assert_allclose(_run(h, {x: [1.0, 2.0]}), [[6.0, 1.0], [1.0, 12.0]])
    m = tf.placeholder(tf.float64, [2, 2])
    (hm,) = tf.hessians(tf.reduce_sum(m * m), [m])
    assert _run(hm, {m: np.ones((2, 2))}).shape == (2, 2, 2, 2)
    assert tf.hessians(y, [tf.constant(1.0, tf.float64)]) == [None]
    with pytest.raises(ValueError, match="fully known shape"):
        tf.hessians(tf.reduce_sum(tf.placeholder(tf.float64, [None]) ** 2), [tf.get_default_graph().get_tensor_by_name(
            "Placeholder_2:0")])


@pytest.mark.usefixtures("g")
def test_custom_gradient_replaces_the_gradient():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)
        return tf.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))

    x = tf.constant([100.0, 0.0], tf.float64)
    y = log1pexp(x)
    (dx,) = tf.gradients(tf.reduce_sum(y), x)
    np.testing.assert_allclose(_run(dx), [1.0, 0.5])  # finite where the plain gradient would be nan

    @tf.custom_gradient
    def scaled(a, b):
        return a * b, lambda dy: (dy * 10.0, dy * 20.0)

    a, b = tf.constant(1.0), tf.constant(2.0)
    assert _run(tf.gradients(scaled(a, b), [a, b])) == [10.0, 20.0]

    @tf.custom_gradient
    def wrong(a):
        return a * 2.0, lambda dy: (dy, dy)

    with pytest.raises(ValueError, match="expected to return 1 gradients"):
        tf.gradients(wrong(a), a)


@pytest.mark.usefixtures("g")
def test_grad_pass_through_and_unconnected_gradients():
    x = tf.placeholder(tf.float32, [2])
    rounded = tf.grad_pass_through(tf.round)(x)
    value, grad = _run([rounded, tf.gradients(tf.reduce_sum(rounded * 3.0), x)[0]], {x: [1.2, 2.6]})
    np.testing.assert_array_equal(value, [1.0, 3.0])
    np.testing.assert_array_equal(grad, [3.0, 3.0])
    other = tf.constant(1.0)
    assert tf.gradients(tf.reduce_sum(x), other) == [None]
    zero = tf.gradients(tf.reduce_sum(x), other, unconnected_gradients=tf.UnconnectedGradients.ZERO)[0]
    assert _run(zero) == 0.0
    assert tf.UnconnectedGradients.NONE == "none"


def _dense_block(x, names=(None, None)):
    h = tf.layers.dense(x, 5, tf.nn.tanh, kernel_initializer=tf.random_normal_initializer(seed=1), name=names[0])
    return tf.layers.dense(h, 2, kernel_initializer=tf.random_normal_initializer(seed=2), name=names[1])


def test_recompute_grad_gives_the_plain_functions_gradients():
    with tf.Graph().as_default() as g:
        x = tf.constant(np.random.RandomState(0).randn(4, 3).astype(np.float32))
        y = tf.recompute_grad(lambda t: _dense_block(t, ("a", "b")))(x)
        variables = tf.trainable_variables()
        recomputed = tf.gradients(tf.reduce_sum(y ** 2), [x] + variables)
        with tf.variable_scope("", reuse=True):
            plain = tf.gradients(tf.reduce_sum(_dense_block(x, ("a", "b")) ** 2), [x] + variables)
        # The gradient ran the block again (a second pair of MatMuls) and created no variables.
        assert [v.op.name for v in tf.global_variables()] == ["a/kernel", "a/bias", "b/kernel", "b/bias"]
        matmuls = {op.name for op in g.get_operations() if op.type == "MatMul"}
        assert {"gradients/IdentityN_grad/a/MatMul", "gradients/IdentityN_grad/b/MatMul"} <= matmuls
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, want = sess.run([recomputed, plain])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_recompute_grad_reuses_default_layer_names_and_checks_numerically():
    with tf.Graph().as_default():
        x = tf.constant(np.random.RandomState(1).randn(2, 3))
        y = tf.recompute_grad(lambda t: _dense_block(tf.cast(t, tf.float32)))(x)
        (dx,) = tf.gradients(tf.reduce_sum(tf.sin(y)), [x])
        assert [v.op.name for v in tf.global_variables()] == ["dense/kernel", "dense/bias", "dense_1/kernel",
                                                              "dense_1/bias"]
        with tf.Session():
            tf.global_variables_initializer().run()
            assert tf.test.compute_gradient_error(x, [2, 3], tf.reduce_sum(tf.sin(y)), [], delta=1e-3) < 1e-2
            assert dx.eval().shape == (2, 3)
