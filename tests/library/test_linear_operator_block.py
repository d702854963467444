"""BlockDiag and BlockLowerTriangular (estflow/library/linear_operator_block.py): TF's checks and
messages, blockwise arguments, TF's operator algebra, and gradients."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

L = tf.linalg
RNG = np.random.default_rng(12)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _diag(values, **hints):
    return L.LinearOperatorDiag(np.asarray(values, np.float32), **hints)


def _full(matrix, **hints):
    return L.LinearOperatorFullMatrix(np.asarray(matrix, np.float32), **hints)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, error, message", [
    (lambda: L.LinearOperatorBlockDiag([]), ValueError, r"Expected a non-empty list of operators. Found: \[\]"),
    (lambda: L.LinearOperatorBlockDiag([_diag([1.0, 2.0], is_non_singular=True)], is_non_singular=False),
     ValueError, "The direct sum of non-singular operators is always non-singular."),
    (lambda: L.LinearOperatorBlockDiag([_diag([1.0]), L.LinearOperatorDiag(np.ones(1))]), TypeError,
     "Expected all operators to have the same dtype."),
    (lambda: L.LinearOperatorBlockLowerTriangular([]), ValueError,
     r"Argument `operators` must be a list of >=1 operators. Received: \[\]."),
    (lambda: L.LinearOperatorBlockLowerTriangular([[_diag([1.0, 2.0])], [_diag([1.0, 2.0])]]), ValueError,
     "Argument `operators\\[1\\]` must contain `2` blocks. Received: 1 blocks."),
    (lambda: L.LinearOperatorBlockLowerTriangular([[_full(np.ones((2, 3)))]]), ValueError,
     r"Matrices on the diagonal .* must be square. Expected argument `operators\[0\]\[-1\].is_square` to be True."),
    (lambda: L.LinearOperatorBlockLowerTriangular([[_diag([1.0, 2.0])], [_full(np.ones((1, 3))), _diag([1.0])]]),
     ValueError, r"Argument `operators\[1\]\[0\].domain_dimension` \(3\) must be the same as "
                 r"`operators\[0\]\[0\].domain_dimension` \(2\)."),
    (lambda: L.LinearOperatorBlockLowerTriangular([[_diag([1.0])]], is_square=False), ValueError,
     "`LinearOperatorBlockLowerTriangular` must be square."),
])
def test_constructors_check_as_tf(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.usefixtures("g")
def test_block_diag_of_non_square_blocks_and_blockwise_arguments():
    op = L.LinearOperatorBlockDiag([_full(np.ones((2, 3))), _full(2 * np.ones((1, 2)))])
    assert op.shape.as_list() == [3, 5] and op.name == "LinearOperatorFullMatrix_ds_LinearOperatorFullMatrix"
    dense = _run(op.to_dense())
    expected = np.zeros((3, 5))
    expected[:2, :3], expected[2:, 3:] = 1.0, 2.0
    np.testing.assert_array_equal(dense, expected)
    square = L.LinearOperatorBlockDiag([_diag([1.0, 2.0]), _full([[4.0]])])
    parts = square.matmul([np.ones((2, 1), np.float32), np.ones((1, 1), np.float32)])
    assert isinstance(parts, list) and len(parts) == 2
    first, second = _run(parts)
    np.testing.assert_array_equal(first, [[1.0], [2.0]])
    np.testing.assert_array_equal(second, [[4.0]])
    solved = _run(square.solve([np.ones((2, 1), np.float32), np.ones((1, 1), np.float32)]))
    np.testing.assert_allclose(solved[0], [[1.0], [0.5]])
    np.testing.assert_allclose(solved[1], [[0.25]])


@pytest.mark.usefixtures("g")
def test_blockwise_algebra_as_tf():
    pd = _diag([1.0, 2.0], is_positive_definite=True)
    block = L.LinearOperatorBlockDiag([pd, pd])
    for result in (block.inverse(), block.cholesky()):
        assert type(result).__name__ == "LinearOperatorBlockDiag"
        assert [result.is_non_singular, result.is_self_adjoint, result.is_positive_definite] == [True] * 3
    assert type(L.LinearOperatorBlockDiag([_full(np.eye(2)), _full(np.eye(2))]).adjoint()).__name__ == \
        "LinearOperatorBlockDiag"
    lower = L.LinearOperatorBlockLowerTriangular(
        [[_full([[2.0, 0.0], [1.0, 3.0]])], [_full([[1.0, -1.0]]), _diag([4.0])],
         [_full([[0.5, 0.0]]), _full([[2.0]]), _diag([5.0])]])
    inverse = lower.inverse()
    assert type(inverse).__name__ == "LinearOperatorBlockLowerTriangular"
    dense, inverse_dense = _run([lower.to_dense(), inverse.to_dense()])
    np.testing.assert_allclose(inverse_dense, np.linalg.inv(dense), rtol=1e-6, atol=1e-7)
    assert np.allclose(np.triu(dense, 1), 0)


def test_gradients_through_block_operators():
    check_gradient(lambda a, d, x: L.LinearOperatorBlockDiag(
        [L.LinearOperatorFullMatrix(a + 3 * tf.eye(2, dtype=tf.float64)), L.LinearOperatorDiag(d)]).solve(x),
        [RNG.standard_normal((2, 2)), RNG.uniform(1, 2, 3), RNG.standard_normal((5, 2))])
    check_gradient(lambda a, b, x: L.LinearOperatorBlockLowerTriangular(
        [[L.LinearOperatorFullMatrix(a + 3 * tf.eye(2, dtype=tf.float64))],
         [L.LinearOperatorFullMatrix(b), L.LinearOperatorIdentity(1, dtype=tf.float64)]]).solve(x, adjoint=True),
        [RNG.standard_normal((2, 2)), RNG.standard_normal((1, 2)), RNG.standard_normal((3, 2))])
