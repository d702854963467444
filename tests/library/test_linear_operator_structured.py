"""Toeplitz, Tridiag and the circulants (estflow/library/linear_operator_structured.py): TF's
dense forms and messages, structure (tridiagonal solves, spectra), and gradients."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

L = tf.linalg
RNG = np.random.default_rng(13)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, message", [
    (lambda: L.LinearOperatorToeplitz([1.0, 2.0], [1.0, 2.0], is_square=False),
     "Only square Toeplitz operators currently supported."),
    (lambda: L.LinearOperatorTridiag(np.ones((3, 3), np.float32), diagonals_format="bad"),
     "Argument `diagonals_format` must be one of compact, matrix, or sequence. Received : bad."),
    (lambda: L.LinearOperatorCirculant(tf.constant([1.0, 2.0]), is_square=False),
     r"A \[\[nested\] block\] circulant operator is always square."),
    (lambda: L.LinearOperatorCirculant(tf.constant([1.0, 2.0]), is_self_adjoint=False),
     "A real spectrum always corresponds to a self-adjoint operator."),
])
def test_constructors_check_as_tf(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.usefixtures("g")
def test_dense_forms_are_tfs():
    # TF 2.15.1 values
    np.testing.assert_array_equal(_run(L.LinearOperatorToeplitz(col=[1.0, 2.0, 3.0], row=[9.0, 4.0, 5.0]).to_dense()),
                                  [[1, 4, 5], [2, 1, 4], [3, 2, 1]])
    np.testing.assert_array_equal(_run(L.LinearOperatorTridiag([[1.0, 2.0, 0.0], [3.0, 4.0, 5.0],
                                                                [0.0, 6.0, 7.0]]).to_dense()),
                                  [[3, 1, 0], [6, 4, 2], [0, 7, 5]])
    spectrum = tf.constant(np.fft.fft([1.0, 2.0, 3.0]).astype(np.complex64))
    circulant = L.LinearOperatorCirculant(spectrum, input_output_dtype=tf.float32)
    assert circulant.dtype == tf.float32 and circulant.is_self_adjoint is None
    np.testing.assert_allclose(_run(circulant.to_dense()), [[1, 3, 2], [2, 1, 3], [3, 2, 1]], atol=1e-6)
    np.testing.assert_allclose(_run(circulant.convolution_kernel()), [1, 2, 3], atol=1e-6)
    real = L.LinearOperatorCirculant(tf.constant([6.0, 1.0, 1.0]))
    assert real.dtype == tf.complex64 and real.is_self_adjoint is True
    np.testing.assert_allclose(_run(real.to_dense()), np.full((3, 3), 5 / 3) + np.eye(3), atol=1e-6)
    two_d = L.LinearOperatorCirculant2D(tf.constant([[1.0, 2.0], [3.0, 4.0]], tf.complex64))
    np.testing.assert_allclose(_run(two_d.to_dense()), [[2.5, -0.5, -1, 0], [-0.5, 2.5, 0, -1], [-1, 0, 2.5, -0.5],
                                                        [0, -1, -0.5, 2.5]], atol=1e-6)
    assert two_d.block_shape.as_list() == [2, 2] and two_d.block_depth == 2
    _run(L.LinearOperatorCirculant(tf.constant(np.fft.fft([1.0, 2.0, 3.0]))).assert_hermitian_spectrum())
    with pytest.raises(tf.errors.InvalidArgumentError, match="Spectrum was not Hermitian"):
        _run(L.LinearOperatorCirculant(tf.constant([1.0 + 1j, 2.0, 3.0])).assert_hermitian_spectrum())


@pytest.mark.usefixtures("g")
def test_circulant_3d_is_a_3d_circular_convolution():
    kernel = RNG.standard_normal((2, 3, 2))
    op = L.LinearOperatorCirculant3D(tf.constant(np.fft.fftn(kernel)), input_output_dtype=tf.float64)
    image = RNG.standard_normal((2, 3, 2))
    out = _run(op.matvec(image.reshape(-1))).reshape(2, 3, 2)
    expected = np.real(np.fft.ifftn(np.fft.fftn(kernel) * np.fft.fftn(image)))
    np.testing.assert_allclose(out, expected, atol=1e-12)
    assert type(op.inverse()).__name__ == "LinearOperatorCirculant3D"


@pytest.mark.usefixtures("g")
def test_tridiag_solves_without_forming_the_matrix():
    op = L.LinearOperatorTridiag(RNG.standard_normal((3, 6)) + np.array([[0.0], [4.0], [0.0]]))
    solved = op.solve(RNG.standard_normal((6, 2)), adjoint=True)
    types = {o.type for o in solved.graph.get_operations()}
    assert "TridiagonalSolve" in types and "MatrixSolve" not in types


def test_gradients_through_structured_operators():
    check_gradient(lambda c, r, x: L.LinearOperatorToeplitz(c, r).matmul(x),
                   [RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal((3, 2))])
    check_gradient(lambda d, x: L.LinearOperatorTridiag(d + tf.constant([[0.0], [4.0], [0.0]], tf.float64)).solve(x),
                   [RNG.standard_normal((3, 4)), RNG.standard_normal((4, 2))])
    check_gradient(lambda s, x: L.LinearOperatorCirculant(s, input_output_dtype=tf.float64).matmul(x),
                   [RNG.uniform(1, 2, 4), RNG.standard_normal((4, 2))])
