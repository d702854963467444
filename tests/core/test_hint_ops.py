"""SparseMatMul and GuaranteeConst (values and gradients from TF 2.15.1)."""

import numpy as np
import pytest

import estflow as tf


def test_sparse_matmul_is_a_float32_product_with_transposes(g):
    y = tf.sparse_matmul([[1.0, 2], [3, 4]], [[5.0, 6], [7, 8]], transpose_a=True, transpose_b=True,
                         a_is_sparse=True)
    assert (y.op.type, y.op.name, y.dtype, y.shape.as_list()) == ("SparseMatMul", "SparseMatMul", tf.float32, [2, 2])
    assert y.op.get_attr("a_is_sparse") is True and y.op.get_attr("b_is_sparse") is False
    with tf.Session() as sess:
        assert sess.run(y).tolist() == [[23, 31], [34, 46]]
    with pytest.raises(ValueError, match="Dimensions must be equal"):
        tf.sparse_matmul(tf.ones([2, 3]), tf.ones([2, 3]))
    with pytest.raises(TypeError, match="float64"):
        tf.sparse_matmul(tf.ones([2, 2], tf.float64), tf.ones([2, 2]))


@pytest.mark.parametrize("t_a,t_b", [(False, False), (True, False), (False, True), (True, True)])
def test_sparse_matmul_gradient_matches_matmul(g, t_a, t_b):
    rng = np.random.default_rng(1)
    a_val, b_val = rng.standard_normal((3, 3)).astype(np.float32), rng.standard_normal((3, 3)).astype(np.float32)
    a, b = tf.placeholder(tf.float32, [3, 3]), tf.placeholder(tf.float32, [3, 3])
    dy = rng.standard_normal((3, 3)).astype(np.float32)
    ours = tf.gradients(tf.sparse_matmul(a, b, transpose_a=t_a, transpose_b=t_b), [a, b], grad_ys=[tf.constant(dy)])
    ref = tf.gradients(tf.matmul(a, b, transpose_a=t_a, transpose_b=t_b), [a, b], grad_ys=[tf.constant(dy)])
    with tf.Session() as sess:
        got, want = sess.run([ours, ref], {a: a_val, b: b_val})
    for x, y in zip(got, want, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_sparse_matmul_gradient_value_from_tf(g):
    a, c = tf.placeholder(tf.float32, [2, 2]), tf.placeholder(tf.float32, [2, 2])
    grads = tf.gradients(tf.sparse_matmul(a, c, transpose_a=True), [a, c], grad_ys=[tf.constant([[1.0, 2], [3, 4]])])
    with tf.Session() as sess:
        ga, gc = sess.run(grads, {a: [[1, 2], [3, 4]], c: [[5, 6], [7, 8]]})
    assert ga.tolist() == [[17, 39], [23, 53]] and gc.tolist() == [[7, 10], [15, 22]]


def test_guarantee_const_passes_the_value_and_has_no_gradient(g):
    x = tf.placeholder(tf.float32, [2])
    y = tf.guarantee_const(x)
    assert (y.op.type, y.op.name, y.shape.as_list()) == ("GuaranteeConst", "GuaranteeConst", [2])
    with tf.Session() as sess:
        assert sess.run(y, {x: [1.5, 2.5]}).tolist() == [1.5, 2.5]
    with pytest.raises(LookupError, match="GuaranteeConst"):
        tf.gradients(y * 2.0, x)  # TF registers no gradient for it
