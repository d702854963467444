"""MatrixSquareRoot, MatrixLogarithm, Lu, TridiagonalMatMul and TridiagonalSolve
(estflow/core/ops/matrix_function_ops.py): values against numpy and TF 2.15's numbers, TF's shape
rules and errors, gradients against central differences."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import matrix_function_ops as F
from estflow.core.registry import registered_ops
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(3)
A = RNG.standard_normal((2, 4, 4))
SPD = A @ A.transpose(0, 2, 1) + 4 * np.eye(4)
DIAGS = RNG.standard_normal((2, 3, 4))
RHS = RNG.standard_normal((2, 4, 3))


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _dense(diags):
    """The [..., M, M] matrix of compact [..., 3, M] diagonals."""
    m = diags.shape[-1]
    out = np.zeros(diags.shape[:-2] + (m, m), diags.dtype)
    out[..., range(m), range(m)] = diags[..., 1, :]
    out[..., range(m - 1), range(1, m)] = diags[..., 0, :-1]
    out[..., range(1, m), range(m - 1)] = diags[..., 2, 1:]
    return out


@pytest.mark.usefixtures("g")
def test_lu_packs_tensorflows_factors_and_permutation():
    a = np.array([[4.0, 3.0, 1.0], [6.0, 3.0, 2.0], [1.0, 5.0, 7.0]])
    lu, p = _run(tf.linalg.lu(a))
    # TF 2.15.1: tf.linalg.lu(a)
    np.testing.assert_allclose(lu, [[6.0, 3.0, 2.0], [1 / 6, 4.5, 6.666666666666667],
                                    [2 / 3, 0.2222222222222222, -1.8148148148148147]], rtol=1e-12)
    assert p.tolist() == [1, 2, 0] and p.dtype == np.int32
    lu, p = _run(tf.linalg.lu(A, output_idx_type=tf.int64))
    lower = np.tril(lu, -1) + np.eye(4)
    np.testing.assert_allclose(lower @ np.triu(lu), np.take_along_axis(A, p[..., None], axis=1), atol=1e-12)
    assert p.dtype == np.int64 and np.abs(np.tril(lu, -1)).max() <= 1.0  # partial pivoting: |l| <= 1
    with pytest.raises(tf.errors.InvalidArgumentError, match="Input is not invertible"):
        _run(tf.linalg.lu([[1.0, 2.0], [2.0, 4.0]]))


@pytest.mark.usefixtures("g")
def test_sqrtm_gives_the_principal_root_or_nan_as_tf():
    root = _run(tf.linalg.sqrtm(SPD))
    np.testing.assert_allclose(root @ root, SPD, atol=1e-10)
    assert np.linalg.eigvals(root).real.min() > 0
    np.testing.assert_allclose(_run(tf.matrix_square_root([[1.0, 1.0], [0.0, 1.0]])), [[1.0, 0.5], [0.0, 1.0]],
                               atol=1e-7)  # a defective matrix, as TF 2.15.1
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])  # complex eigenvalues, a real principal root
    root = _run(tf.linalg.sqrtm(rotation))
    np.testing.assert_allclose(root, np.sqrt(0.5) * np.array([[1.0, -1.0], [1.0, 1.0]]), atol=1e-12)
    # TF 2.15.1 gives nan where no principal root exists (negative eigenvalue, singular)
    assert np.isnan(_run(tf.linalg.sqrtm([[-1.0, 0.0], [0.0, 4.0]]))).all()
    assert np.isnan(_run(tf.linalg.sqrtm(np.zeros((2, 2))))).all()
    out = _run(tf.linalg.sqrtm(SPD.astype(np.float32)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out @ out, SPD, rtol=1e-4)
    q, _ = np.linalg.qr(RNG.standard_normal((5, 5)))
    ill = q @ np.diag([1e-9, 1e-6, 1e-3, 1.0, 10.0]) @ q.T  # condition 1e10: the iteration stalls near the root
    root = _run(tf.linalg.sqrtm(ill))
    assert np.isfinite(root).all()
    np.testing.assert_allclose(root @ root, ill, atol=1e-9)
    complex_root = _run(tf.linalg.sqrtm(SPD.astype(np.complex128) + 1j * np.eye(4)))
    np.testing.assert_allclose(complex_root @ complex_root, SPD + 1j * np.eye(4), atol=1e-10)


@pytest.mark.usefixtures("g")
def test_logm_inverts_expm_on_complex_matrices_only():
    w, v = np.linalg.eigh(SPD)
    expected = v @ (np.log(w)[..., None] * v.transpose(0, 2, 1))
    np.testing.assert_allclose(_run(tf.linalg.logm(SPD.astype(np.complex128))), expected, atol=1e-10)
    jordan = np.array([[2.0, 1.0], [0.0, 2.0]], np.complex64)  # log of a Jordan block: [[log 2, 1/2], [0, log 2]]
    np.testing.assert_allclose(_run(tf.linalg.logm(jordan)), [[np.log(2), 0.5], [0, np.log(2)]], atol=1e-6)
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]], np.complex128)  # exp([[0, -pi/2], [pi/2, 0]])
    np.testing.assert_allclose(_run(tf.linalg.logm(rotation)), [[0, -np.pi / 2], [np.pi / 2, 0]], atol=1e-12)
    with pytest.raises(TypeError, match="complex64, complex128"):
        tf.linalg.logm(SPD)


@pytest.mark.usefixtures("g")
def test_tridiagonal_kernels_match_the_dense_matrix():
    dense = _dense(DIAGS)
    rows = [DIAGS[:, i:i + 1, :] for i in range(3)]
    np.testing.assert_allclose(_run(F.tridiagonal_mat_mul(*rows, RHS)), dense @ RHS, atol=1e-12)
    for pivoting in (True, False):
        np.testing.assert_allclose(_run(F.tridiagonal_solve_op(DIAGS, RHS, partial_pivoting=pivoting)),
                                   np.linalg.solve(dense, RHS), atol=1e-10)
    # a zero leading pivot: only partial pivoting solves it
    zero_first = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0], [0.0, 4.0, 1.0]])
    rhs = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_allclose(_run(F.tridiagonal_solve_op(zero_first, rhs)), np.linalg.solve(_dense(zero_first), rhs),
                               atol=1e-12)
    # TF 2.15.1: no error, nan for a system that needs pivoting (without it) or is singular
    assert np.isnan(_run(F.tridiagonal_solve_op(zero_first, rhs, partial_pivoting=False))).all()
    singular = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])  # last row zero
    assert np.isnan(_run(F.tridiagonal_solve_op(singular, rhs))).all()
    assert np.isnan(_run(F.tridiagonal_solve_op(np.zeros((3, 1)), np.ones((1, 1))))).all()
    mixed = _run(F.tridiagonal_solve_op(np.stack([singular, zero_first]), np.stack([rhs, rhs])))
    assert np.isnan(mixed[0]).all() and np.isfinite(mixed[1]).all()
    # perturb_singular: the zero pivot becomes eps * max|U| (TF 2.15.1's numbers)
    np.testing.assert_allclose(_run(F.tridiagonal_solve_op(singular, rhs, perturb_singular=True)),
                               [[1.3510798882111488e16], [-1.3510798882111486e16], [1.3510798882111488e16]], rtol=1e-12)
    nearly = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 1.0], [0.0, 1.0, 3.0]])
    np.testing.assert_allclose(_run(F.tridiagonal_solve_op(nearly, rhs, perturb_singular=True)),
                               [[-0.4], [1.8], [-2.4]], rtol=1e-12)
    complex_diags = DIAGS[0] + 1j * DIAGS[1]
    complex_rhs = RHS[0] - 2j * RHS[1]
    np.testing.assert_allclose(_run(F.tridiagonal_solve_op(complex_diags, complex_rhs)),
                               np.linalg.solve(_dense(complex_diags), complex_rhs), atol=1e-10)


@pytest.mark.usefixtures("g")
def test_static_shapes_and_errors():
    x = tf.placeholder(tf.float64, [None, 5, 5])
    lu, p = tf.linalg.lu(x)
    assert lu.shape.as_list() == [None, 5, 5] and p.shape.as_list() == [None, 5] and p.dtype == tf.int32
    assert tf.linalg.sqrtm(x).shape.as_list() == [None, 5, 5]
    assert F.tridiagonal_solve_op(tf.zeros([2, 3, 5]), tf.zeros([2, 5, 7])).shape.as_list() == [2, 5, 7]
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        tf.linalg.lu(tf.zeros([3, 4]))
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        F.tridiagonal_solve_op(tf.zeros([2, 5]), tf.zeros([5, 1]))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 5 and 4"):
        F.tridiagonal_solve_op(tf.zeros([3, 5]), tf.zeros([4, 1]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.linalg.sqrtm(tf.zeros([2, 2], tf.int32))


def _tridiagonal_rows(d):
    return d[..., 0:1, :], d[..., 1:2, :], d[..., 2:3, :]


def _dominant(d):
    """Diagonals of a diagonally dominant matrix (the solve stays well conditioned)."""
    return d + tf.constant([[0.0] * 4, [6.0] * 4, [0.0] * 4], tf.float64)


GRADIENT_CASES = {
    "MatrixSquareRoot": (lambda x: tf.linalg.sqrtm(tf.matmul(x, x, transpose_b=True) + 4 * tf.eye(3, dtype=tf.float64)),
                         [(2, 3, 3)]),
    "MatrixSquareRoot nonsymmetric": (lambda x: tf.linalg.sqrtm(x + 4 * tf.eye(3, dtype=tf.float64)), [(3, 3)]),
    "TridiagonalMatMul": (lambda d, r: F.tridiagonal_mat_mul(*_tridiagonal_rows(d), r), [(2, 3, 4), (2, 4, 3)]),
    "TridiagonalSolve": (lambda d, r: F.tridiagonal_solve_op(_dominant(d), r), [(2, 3, 4), (2, 4, 3)]),
    "TridiagonalSolve without pivoting": (lambda d, r: F.tridiagonal_solve_op(_dominant(d), r, partial_pivoting=False),
                                          [(3, 4), (4, 2)]),
}
NO_GRADIENT_IN_TF = {"Lu", "MatrixLogarithm"}


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
def test_gradients_match_central_differences(label):
    build, shapes = GRADIENT_CASES[label]
    check_gradient(build, [RNG.standard_normal(s) for s in shapes], rtol=1e-5, atol=1e-7, label=label)


def test_every_op_here_is_gradient_checked_or_has_no_gradient_in_tf():
    ops = {name for name, d in registered_ops().items() if getattr(d.infer, "__module__", "") == F.__name__}
    assert ops == {label.split()[0] for label in GRADIENT_CASES} | NO_GRADIENT_IN_TF
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [2, 2])
        with pytest.raises(LookupError, match="Lu"):
            tf.gradients(tf.linalg.lu(x)[0], x)
