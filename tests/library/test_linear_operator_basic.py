"""FullMatrix, Diag, LowerTriangular, Identity, ScaledIdentity, Zeros, Householder and Permutation
(estflow/library/linear_operator_basic.py): TF's constructor checks and messages, the structure
each one computes with, the operator algebra between them, and gradients."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

L = tf.linalg


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _op_types(tensor):
    return {op.type for op in tensor.graph.get_operations()}


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, error, message", [
    (lambda: L.LinearOperatorFullMatrix(np.eye(2, dtype=np.int32)), TypeError, "Argument `matrix` must have dtype in"),
    (lambda: L.LinearOperatorDiag([1.0, 2.0], is_square=False), ValueError,
     "Only square diagonal operators currently supported."),
    (lambda: L.LinearOperatorDiag([1.0, 2.0], is_self_adjoint=False), ValueError,
     "A real diagonal operator is always self adjoint."),
    (lambda: L.LinearOperatorLowerTriangular(np.eye(2), is_square=False), ValueError,
     "Only square lower triangular operators supported at this time."),
    (lambda: L.LinearOperatorIdentity(2, is_self_adjoint=False), ValueError,
     "An identity operator is always self adjoint."),
    (lambda: L.LinearOperatorIdentity(2, is_non_singular=False), ValueError,
     "An identity operator is always non-singular."),
    (lambda: L.LinearOperatorIdentity(2, is_positive_definite=False), ValueError,
     "An identity operator is always positive-definite."),
    (lambda: L.LinearOperatorIdentity(2, is_square=False), ValueError, "An identity operator is always square."),
    (lambda: L.LinearOperatorIdentity(-2), ValueError, "Argument num_rows must be non-negative.  Found: -2"),
    (lambda: L.LinearOperatorIdentity([2]), ValueError, "Argument num_rows must be a 0-D Tensor."),
    (lambda: L.LinearOperatorIdentity(2.5), TypeError, "Argument num_rows must be integer type."),
    (lambda: L.LinearOperatorIdentity(2, batch_shape=[-1]), ValueError, "Argument batch_shape must be non-negative."),
    (lambda: L.LinearOperatorScaledIdentity(2, 3.0, is_square=False), ValueError,
     "A ScaledIdentity operator is always square."),
    (lambda: L.LinearOperatorZeros(2, is_non_singular=True), ValueError, "A zero operator is always singular."),
    (lambda: L.LinearOperatorZeros(2, is_positive_definite=True), ValueError,
     "A zero operator is always not positive-definite."),
    (lambda: L.LinearOperatorZeros(2, 3), ValueError,
     r"LinearOperatorZeros initialized as is_square=True, but got num_rows\(2\) != num_columns\(3\)"),
    (lambda: L.LinearOperatorHouseholder([1.0, 0.0], is_square=False), ValueError,
     "A Householder operator is always square."),
    (lambda: L.LinearOperatorHouseholder([1.0, 0.0], is_self_adjoint=False), ValueError,
     "A Householder operator is always self adjoint."),
    (lambda: L.LinearOperatorHouseholder([1.0, 0.0], is_positive_definite=True), ValueError,
     "A Householder operator is always non-positive definite."),
    (lambda: L.LinearOperatorPermutation([1, 0], is_non_singular=False), ValueError,
     "A Permutation operator is always non-singular."),
    (lambda: L.LinearOperatorPermutation([1, 0], is_square=False), ValueError,
     "A Permutation operator is always square."),
    (lambda: L.LinearOperatorPermutation([1.0, 0.0]), TypeError, r"Argument `perm` must be integer dtype. Received: "
                                                                 r"\[1. 0.\]."),
])
def test_constructors_check_as_tf(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.usefixtures("g")
def test_tf_values_of_structured_dense_forms():
    # TF 2.15.1: LinearOperatorPermutation([1, 2, 0]).to_dense() and .matvec([10, 20, 30])
    perm = L.LinearOperatorPermutation([1, 2, 0])
    dense, moved, det = _run([perm.to_dense(), perm.matvec([10.0, 20.0, 30.0]), perm.determinant()])
    np.testing.assert_array_equal(dense, [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(moved, [20.0, 30.0, 10.0])
    assert det == 1.0 and _run(L.LinearOperatorPermutation([1, 0, 2]).determinant()) == -1.0
    assert _run(L.LinearOperatorPermutation([1, 0, 2]).trace()) == 1.0
    # TF 2.15.1: LinearOperatorHouseholder([1., 2., 2.]): det -1, eigenvalues [-1, 1, 1], cond 1
    householder = L.LinearOperatorHouseholder([1.0, 2.0, 2.0])
    det, eig, cond = _run([householder.determinant(), householder.eigvals(), householder.cond()])
    assert det == -1.0 and eig.tolist() == [-1.0, 1.0, 1.0] and cond == 1.0
    # TF 2.15.1: LinearOperatorIdentity(2).add_to_tensor(ones) == [[2, 1], [1, 2]]
    np.testing.assert_array_equal(_run(L.LinearOperatorIdentity(2).add_to_tensor(np.ones((2, 2), np.float32))),
                                  [[2.0, 1.0], [1.0, 2.0]])


@pytest.mark.usefixtures("g")
def test_shapes_of_size_only_operators():
    assert L.LinearOperatorIdentity(2, batch_shape=[3]).shape.as_list() == [3, 2, 2]
    assert L.LinearOperatorIdentity(2).matmul(np.ones((4, 2, 1), np.float32)).shape.as_list() == [4, 2, 1]
    assert L.LinearOperatorIdentity(2, batch_shape=[3]).matmul(np.ones((2, 1), np.float32)).shape.as_list() == \
        [3, 2, 1]
    wide = L.LinearOperatorZeros(2, 3, is_square=False, is_self_adjoint=False)
    assert wide.shape.as_list() == [2, 3]
    assert _run(wide.matmul(np.ones((3, 4), np.float32))).shape == (2, 4)
    assert _run(wide.diag_part()).shape == (2,)
    rows = tf.placeholder(tf.int32, [])
    dynamic = L.LinearOperatorIdentity(rows, dtype=tf.float64)
    assert dynamic.shape.as_list() == [None, None]
    np.testing.assert_array_equal(_run(dynamic.to_dense(), {rows: 2}), np.eye(2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible matrix dimensions"):
        _run(L.LinearOperatorIdentity(rows, assert_proper_shapes=True, dtype=tf.float64).matmul(np.ones((3, 1))),
             {rows: 2})


@pytest.mark.usefixtures("g")
def test_structure_is_used_not_the_dense_matrix():
    d = L.LinearOperatorDiag(np.array([1.0, 2.0, 4.0]))
    solved = d.solve(np.ones((3, 2)))
    assert "MatrixSolve" not in _op_types(solved) and "MatrixDiag" not in str(_op_types(solved))
    np.testing.assert_allclose(_run(solved), np.array([[1.0], [0.5], [0.25]]) * np.ones((3, 2)))
    triangle = L.LinearOperatorLowerTriangular(np.array([[2.0, 9.0], [1.0, 4.0]]))  # 9 is above: ignored
    np.testing.assert_allclose(_run(triangle.to_dense()), [[2.0, 0.0], [1.0, 4.0]])
    assert "MatrixTriangularSolve" in _op_types(triangle.solve(np.ones((2, 1))))
    np.testing.assert_allclose(_run(triangle.determinant()), 8.0)
    perm = L.LinearOperatorPermutation([2, 0, 1], dtype=tf.float64)
    assert "GatherV2" in _op_types(perm.matmul(np.eye(3))) and "BatchMatMulV2" not in _op_types(perm.matmul(np.eye(3)))


@pytest.mark.usefixtures("g")
def test_operator_algebra_gives_tfs_types_and_hints():
    pd = L.LinearOperatorDiag([1.0, 2.0], is_positive_definite=True)
    other = L.LinearOperatorDiag([3.0, 4.0])
    full = L.LinearOperatorFullMatrix(np.eye(2, dtype=np.float32))
    scaled = L.LinearOperatorScaledIdentity(2, 3.0)
    triangle = L.LinearOperatorLowerTriangular(np.eye(2, dtype=np.float32))
    zeros = L.LinearOperatorZeros(2)
    expected = [  # (result, type name, hints) as TF 2.15.1 returns them
        (pd.matmul(other), "LinearOperatorDiag", [None, True, None, True]),
        (pd @ L.LinearOperatorIdentity(2), "LinearOperatorDiag", [True, True, True, True]),
        (L.LinearOperatorIdentity(2) @ pd, "LinearOperatorDiag", [True, True, True, True]),
        (full.matmul(pd), "LinearOperatorComposition", [None, None, None, True]),
        (pd.inverse(), "LinearOperatorDiag", [True, True, True, True]),
        (pd.cholesky(), "LinearOperatorDiag", [True, True, True, True]),
        (full.adjoint(), "LinearOperatorAdjoint", [None, None, None, True]),
        (full.inverse(), "LinearOperatorInversion", [None, None, None, True]),
        (scaled.matmul(pd), "LinearOperatorDiag", [None, True, None, True]),
        (scaled.matmul(L.LinearOperatorScaledIdentity(2, 2.0)), "LinearOperatorScaledIdentity",
         [None, True, None, True]),
        (scaled.inverse(), "LinearOperatorScaledIdentity", [None, True, None, True]),
        (pd.matmul(triangle), "LinearOperatorLowerTriangular", [None, None, None, True]),
        (triangle.inverse(), "LinearOperatorInversion", [None, None, None, True]),
        (L.LinearOperatorHouseholder([1.0, 0.0]).inverse(), "LinearOperatorHouseholder", [None, True, False, True]),
        (zeros @ full, "LinearOperatorZeros", [False, True, False, True]),
        (full @ zeros, "LinearOperatorZeros", [False, True, False, True]),
        (L.LinearOperatorPermutation([1, 0]).inverse(), "LinearOperatorInversion", [None, None, None, True]),
    ]
    for result, name, hints in expected:
        assert type(result).__name__ == name
        assert [result.is_non_singular, result.is_self_adjoint, result.is_positive_definite, result.is_square] == \
            hints, name
    np.testing.assert_allclose(_run(pd.matmul(other).diag), [3.0, 8.0])
    np.testing.assert_allclose(_run(pd.solve(other).diag), [3.0, 2.0])


def test_gradients_through_structured_methods():
    rng = np.random.default_rng(4)
    check_gradient(lambda d, x: L.LinearOperatorDiag(d).solve(x), [rng.uniform(1, 2, 3), rng.standard_normal((3, 2))])
    check_gradient(lambda d: L.LinearOperatorDiag(d).log_abs_determinant(), [rng.uniform(1, 2, (2, 3))])
    check_gradient(lambda v, x: L.LinearOperatorHouseholder(v).matmul(x), [rng.standard_normal(3),
                                                                           rng.standard_normal((3, 2))])
    check_gradient(lambda m, x: L.LinearOperatorLowerTriangular(m + 3 * tf.eye(3, dtype=tf.float64)).solve(
        x, adjoint=True), [rng.standard_normal((3, 3)), rng.standard_normal((3, 2))])
    check_gradient(lambda c, x: L.LinearOperatorScaledIdentity(3, c).solve(x), [rng.uniform(1, 2, 2),
                                                                                rng.standard_normal((3, 1))])
    check_gradient(lambda x: L.LinearOperatorPermutation([[2, 0, 1], [1, 2, 0]], dtype=tf.float64).matmul(x),
                   [rng.standard_normal((3, 2))])
