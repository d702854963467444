"""Adjoint, Inversion, Composition, Kronecker and LowRankUpdate
(estflow/library/linear_operator_composite.py): TF's hint rules and messages, that each acts
through its parts without forming large matrices, and gradients."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

L = tf.linalg
RNG = np.random.default_rng(9)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _diag(values, **hints):
    return L.LinearOperatorDiag(np.asarray(values, np.float32), **hints)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, error, message", [
    (lambda: L.LinearOperatorComposition([]), ValueError, r"Expected a non-empty list of operators. Found: \[\]"),
    (lambda: L.LinearOperatorComposition([_diag([1.0, 2.0]), L.LinearOperatorDiag(np.array([1.0, 2.0]))]),
     TypeError, "Expected all operators to have the same dtype."),
    (lambda: L.LinearOperatorComposition([_diag([1.0, 2.0], is_non_singular=True)], is_non_singular=False),
     ValueError, "The composition of non-singular operators is always non-singular."),
    (lambda: L.LinearOperatorKronecker([]), ValueError, r"Argument `operators` must be a list of >=1 operators."),
    (lambda: L.LinearOperatorKronecker([_diag([1.0, 2.0], is_non_singular=True)], is_non_singular=False),
     ValueError, "The Kronecker product of non-singular operators is always non-singular. Expected argument "
                 "`is_non_singular` to be True. Received: False."),
    (lambda: L.LinearOperatorAdjoint(_diag([1.0, 2.0], is_non_singular=True), is_non_singular=False), ValueError,
     "An operator is non-singular if and only if its adjoint is non-singular."),
    (lambda: L.LinearOperatorAdjoint(_diag([1.0, 2.0]), is_self_adjoint=False), ValueError,
     "An operator is self-adjoint if and only if its adjoint is self-adjoint."),
    (lambda: L.LinearOperatorInversion(_diag([1.0, 2.0], is_non_singular=False)), ValueError,
     r"Found `operator.is_non_singular`: False, `is_non_singular`: None."),
    (lambda: L.LinearOperatorInversion(L.LinearOperatorFullMatrix(np.ones((2, 3), np.float32))), ValueError,
     r"Argument `is_square` or argument `operator` must have supplied hint `is_square` equal to `True` or `None`."),
    (lambda: L.LinearOperatorInversion(_diag([1.0, 2.0], is_positive_definite=True), is_positive_definite=False),
     ValueError, "An operator is positive-definite if and only if its inverse is positive-definite."),
    (lambda: L.LinearOperatorLowRankUpdate(_diag([1.0, 2.0]), np.ones((2, 1), np.float32), is_square=False),
     ValueError, "A self-adjoint matrix is always square."),
    (lambda: L.LinearOperatorLowRankUpdate(_diag([1.0, 2.0]), np.ones((2, 1), np.float32),
                                           is_diag_update_positive=False),
     ValueError, "Default diagonal is the identity, which is positive."),
])
def test_constructors_check_as_tf(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.usefixtures("g")
def test_names_and_derived_hints_as_tf():
    d = _diag([1.0, 2.0])
    assert L.LinearOperatorAdjoint(d).name == "LinearOperatorDiag_adjoint"
    assert L.LinearOperatorInversion(d).name == "LinearOperatorDiag_inv"
    assert L.LinearOperatorComposition([d, d]).name == "LinearOperatorDiag_o_LinearOperatorDiag"
    assert L.LinearOperatorKronecker([d, d]).name == "LinearOperatorDiag_x_LinearOperatorDiag"
    pd = _diag([1.0, 2.0], is_positive_definite=True)
    for op in (L.LinearOperatorComposition([pd, pd]), L.LinearOperatorKronecker([pd, pd])):
        assert [op.is_non_singular, op.is_self_adjoint, op.is_positive_definite, op.is_square] == [True] * 4
    full = L.LinearOperatorFullMatrix(np.eye(2, dtype=np.float32))
    assert L.LinearOperatorComposition([full, full.H]).is_self_adjoint  # the form A A^H
    assert L.LinearOperatorAdjoint(full).adjoint() is full
    assert L.LinearOperatorInversion(full).inverse() is full
    u = np.ones((2, 1), np.float32)
    hints = [(o.is_self_adjoint, o.is_positive_definite, o.is_non_singular) for o in (
        L.LinearOperatorLowRankUpdate(pd, u), L.LinearOperatorLowRankUpdate(pd, u, diag_update=[1.0],
                                                                           is_diag_update_positive=True),
        L.LinearOperatorLowRankUpdate(pd, u, v=u), L.LinearOperatorLowRankUpdate(full, u))]
    assert hints == [(True, True, True), (True, True, True), (None, None, None), (None, None, None)]  # as TF 2.15.1


@pytest.mark.usefixtures("g")
def test_kronecker_never_forms_the_product_matrix():
    a, b = RNG.standard_normal((2, 2)) + 2 * np.eye(2), RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    kron = L.LinearOperatorKronecker([L.LinearOperatorFullMatrix(a), L.LinearOperatorFullMatrix(b)])
    x = RNG.standard_normal((4, 6, 2))  # a batch of arguments
    y, solved, det = kron.matmul(x), kron.solve(x, adjoint=True), kron.determinant()
    shapes = {tuple(t.shape.as_list()) for op in y.graph.get_operations() for t in op.outputs
              if t.shape.ndims is not None}
    assert not any(s[-2:] == (6, 6) for s in shapes if len(s) >= 2)
    dense = np.kron(a, b)
    y, solved, det = _run([y, solved, det])
    np.testing.assert_allclose(y, dense @ x, atol=1e-12)
    np.testing.assert_allclose(solved, np.linalg.solve(dense.T, x), atol=1e-12)
    np.testing.assert_allclose(det, np.linalg.det(dense), rtol=1e-10)


@pytest.mark.usefixtures("g")
def test_low_rank_update_solves_through_its_small_capacitance():
    base = L.LinearOperatorDiag(RNG.uniform(1, 2, 50), is_positive_definite=True)
    u = RNG.standard_normal((50, 2))
    op = L.LinearOperatorLowRankUpdate(base, u)
    rhs = RNG.standard_normal((50, 1))
    solved, det = op.solve(rhs), op.log_abs_determinant()
    solves = [o for o in solved.graph.get_operations() if o.type in ("MatrixSolve", "Cholesky")]
    assert solves and all(o.inputs[0].shape.as_list()[-2:] == [2, 2] for o in solves)
    dense = np.diag(_run(base.diag)) + u @ u.T
    solved, det = _run([solved, det])
    np.testing.assert_allclose(solved, np.linalg.solve(dense, rhs), atol=1e-10)
    np.testing.assert_allclose(det, np.linalg.slogdet(dense)[1], rtol=1e-10)


def test_gradients_through_composite_operators():
    check_gradient(lambda a, b, x: L.LinearOperatorKronecker(
        [L.LinearOperatorFullMatrix(a), L.LinearOperatorFullMatrix(b)]).matmul(x),
        [RNG.standard_normal((2, 2)), RNG.standard_normal((3, 3)), RNG.standard_normal((6, 2))])
    check_gradient(lambda d, u, x: L.LinearOperatorLowRankUpdate(
        L.LinearOperatorDiag(d, is_positive_definite=True), u).solve(x),
        [RNG.uniform(1, 2, 4), RNG.standard_normal((4, 2)), RNG.standard_normal((4, 1))])
    check_gradient(lambda d, u: L.LinearOperatorLowRankUpdate(
        L.LinearOperatorDiag(d, is_positive_definite=True), u).log_abs_determinant(),
        [RNG.uniform(1, 2, 4), RNG.standard_normal((4, 2))])
    check_gradient(lambda m, d, x: L.LinearOperatorComposition(
        [L.LinearOperatorFullMatrix(m + 3 * tf.eye(3, dtype=tf.float64)), L.LinearOperatorDiag(d)]).solve(x),
        [RNG.standard_normal((3, 3)), RNG.uniform(1, 2, 3), RNG.standard_normal((3, 2))])
