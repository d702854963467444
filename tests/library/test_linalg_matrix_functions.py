"""tf.linalg's composite matrix functions (estflow/library/linalg_matrix_functions.py): expm, the LU
helpers, the tridiagonal formats and eigh_tridiagonal, against numpy and TF 2.15's numbers."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient
from tests.interop import run_tensorflow

RNG = np.random.default_rng(5)
A = RNG.standard_normal((2, 4, 4))
DIAGS = RNG.standard_normal((2, 3, 4))
RHS = RNG.standard_normal((2, 4, 3))


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def _expm_reference(a):
    w, v = np.linalg.eig(a)
    return (v @ (np.exp(w)[..., None] * np.linalg.inv(v))).real


def _dense(diags):
    m = diags.shape[-1]
    out = np.zeros(diags.shape[:-2] + (m, m), diags.dtype)
    out[..., range(m), range(m)] = diags[..., 1, :]
    out[..., range(m - 1), range(1, m)] = diags[..., 0, :-1]
    out[..., range(1, m), range(m - 1)] = diags[..., 2, 1:]
    return out


@pytest.mark.usefixtures("g")
def test_expm_matches_the_eigen_decomposition_and_tf():
    # TF 2.15.1: tf.linalg.expm of a float64 2x2
    np.testing.assert_allclose(_run(tf.linalg.expm(np.array([[0.1, 2.0], [-3.0, 1.0]]))),
                               [[-1.5041170648412971, 0.9641534103950881], [-1.4462301155926323, -1.0702480301635073]],
                               rtol=1e-13)
    for scale in (1e-3, 0.1, 0.5, 1.5, 20.0):  # every Pade degree, and scaling and squaring
        np.testing.assert_allclose(_run(tf.linalg.expm(scale * A)), _expm_reference(scale * A), rtol=1e-10,
                                   atol=1e-12 * np.exp(4 * scale * 3))
        out = _run(tf.linalg.expm((scale * A).astype(np.float32)))
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, _expm_reference(scale * A), rtol=1e-4, atol=1e-5 * np.exp(4 * scale * 3))
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]], np.complex128)
    np.testing.assert_allclose(_run(tf.linalg.expm(rotation)), [[np.cos(1), -np.sin(1)], [np.sin(1), np.cos(1)]],
                               atol=1e-14)
    assert np.isnan(_run(tf.linalg.expm(np.array([[np.inf, 0.0], [0.0, 1.0]])))).all()  # as TF 2.15.1
    x = tf.placeholder(tf.float64, [None, 3, 3])
    assert tf.linalg.expm(x).shape.as_list() == [None, 3, 3]
    np.testing.assert_allclose(_run(tf.linalg.expm(x), {x: A[:, :3, :3]}), _expm_reference(A[:, :3, :3]), rtol=1e-10)
    with pytest.raises(ValueError, match="does not support matrices of type int32"):
        tf.linalg.expm(tf.zeros([2, 2], tf.int32))


@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_expm_gradient_flows_through_the_squarings(scale):
    check_gradient(lambda x: tf.linalg.expm(scale * x), [RNG.standard_normal((2, 3, 3))], rtol=1e-5, atol=1e-7)


@pytest.mark.usefixtures("g")
def test_lu_helpers_invert_reconstruct_and_solve():
    lu, p = tf.linalg.lu(A)
    inverse, rebuilt, solved = _run([tf.linalg.lu_matrix_inverse(lu, p), tf.linalg.lu_reconstruct(lu, p),
                                     tf.linalg.lu_solve(lu, p, RHS)])
    np.testing.assert_allclose(inverse, np.linalg.inv(A), atol=1e-10)
    np.testing.assert_allclose(rebuilt, A, atol=1e-12)
    np.testing.assert_allclose(solved, np.linalg.solve(A, RHS), atol=1e-10)
    with pytest.raises(ValueError, match="must be a square matrix"):
        tf.linalg.lu_reconstruct(tf.zeros([3, 4]), [0, 1, 2])
    unknown = tf.placeholder(tf.float64, [None, None])
    checked = tf.linalg.lu_reconstruct(unknown, [0, 1, 2], validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be a square matrix"):
        _run(checked, {unknown: np.ones((3, 4))})
    np.testing.assert_allclose(_run(checked, {unknown: np.eye(3)}), np.eye(3))


def test_lu_solve_gradient_reaches_the_factors_and_the_rhs():
    lu, p = (np.asarray(v) for v in _lu_of(A[0]))
    check_gradient(lambda f, r: tf.linalg.lu_solve(f, p, r), [lu, RHS[0]], rtol=1e-5, atol=1e-7)
    check_gradient(lambda f: tf.linalg.lu_reconstruct(f, p), [lu], rtol=1e-5, atol=1e-7)


def _lu_of(a):
    with tf.Graph().as_default():
        return _run(tf.linalg.lu(a))


@pytest.mark.usefixtures("g")
def test_tridiagonal_formats_agree():
    dense = _dense(DIAGS)
    sequence = [DIAGS[:, 0], DIAGS[:, 1], DIAGS[:, 2]]
    expected_product, expected_solution = dense @ RHS, np.linalg.solve(dense, RHS)
    for diagonals, fmt in ((DIAGS, "compact"), (sequence, "sequence"), (dense, "matrix")):
        np.testing.assert_allclose(_run(tf.linalg.tridiagonal_matmul(diagonals, RHS, diagonals_format=fmt)),
                                   expected_product, atol=1e-12, err_msg=fmt)
        np.testing.assert_allclose(_run(tf.linalg.tridiagonal_solve(diagonals, RHS, diagonals_format=fmt)),
                                   expected_solution, atol=1e-10, err_msg=fmt)
    transposed = _run(tf.linalg.tridiagonal_solve(DIAGS, RHS.transpose(0, 2, 1), transpose_rhs=True))
    np.testing.assert_allclose(transposed, expected_solution, atol=1e-10)
    vector = _run(tf.linalg.tridiagonal_solve(DIAGS, RHS[..., 0]))
    np.testing.assert_allclose(vector, expected_solution[..., 0], atol=1e-10)
    complex_diags, complex_rhs = DIAGS + 1j, RHS - 1j
    conjugated = _run(tf.linalg.tridiagonal_solve(complex_diags, complex_rhs, conjugate_rhs=True))
    np.testing.assert_allclose(conjugated, np.linalg.solve(_dense(complex_diags), np.conj(complex_rhs)), atol=1e-10)
    with pytest.raises(ValueError, match="Unrecognized diagonals_format: banded"):
        tf.linalg.tridiagonal_solve(DIAGS, RHS, diagonals_format="banded")
    with pytest.raises(ValueError, match="Unrecognized diagonals_format: banded"):
        tf.linalg.tridiagonal_matmul(DIAGS, RHS, diagonals_format="banded")
    with pytest.raises(ValueError, match="sequence of length 3"):
        tf.linalg.tridiagonal_solve(sequence[:2], RHS, diagonals_format="sequence")
    with pytest.raises(ValueError, match="Expected the rank of rhs to be 2 or 3, got 1"):
        tf.linalg.tridiagonal_solve(DIAGS, RHS[0, 0])
    with pytest.raises(ValueError, match="Expected last two dimensions of diagonals to be same, got 4 and 3"):
        tf.linalg.tridiagonal_solve(np.zeros((3, 4)), RHS[0], diagonals_format="matrix")


def test_tridiagonal_solve_gradient_in_the_matrix_format():
    check_gradient(lambda m, r: tf.linalg.tridiagonal_solve(m + 6 * tf.eye(4, dtype=tf.float64), r,
                                                            diagonals_format="matrix"),
                   [RNG.standard_normal((4, 4)), RNG.standard_normal((4, 2))], rtol=1e-5, atol=1e-7)


@pytest.mark.usefixtures("g")
def test_eigh_tridiagonal_selects_as_tf():
    alpha, beta = np.array([2.0, -1.0, 0.5, 3.0]), np.array([1.0, 0.3, -2.0])
    dense = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
    expected = np.linalg.eigvalsh(dense)
    np.testing.assert_allclose(_run(tf.linalg.eigh_tridiagonal(alpha, beta)), expected, atol=1e-12)
    values, vectors = _run(tf.linalg.eigh_tridiagonal(alpha, beta, eigvals_only=False))
    np.testing.assert_allclose(dense @ vectors, vectors * values, atol=1e-12)
    np.testing.assert_allclose(_run(tf.linalg.eigh_tridiagonal(alpha, beta, select="i", select_range=[1, 2])),
                               expected[1:3], atol=1e-12)
    lo, hi = expected[0], expected[2]  # the half-open interval (lo, hi]
    values, vectors = _run(tf.linalg.eigh_tridiagonal(alpha, beta, eigvals_only=False, select="v",
                                                      select_range=[lo, hi]))
    np.testing.assert_allclose(values, expected[1:3], atol=1e-12)
    np.testing.assert_allclose(dense @ vectors, vectors * values, atol=1e-12)
    with pytest.raises(ValueError, match="Invalid select"):
        tf.linalg.eigh_tridiagonal(alpha, beta, select="x")
    # complex Hermitian: TF 2.15.1's eigenvalues (float64) for these
    alpha, beta = np.array([1.0, 2.0, 3.0], np.complex128), np.array([1.0 + 1j, 0.5 - 2j])
    values = _run(tf.linalg.eigh_tridiagonal(alpha, beta))
    assert values.dtype == np.float64
    np.testing.assert_allclose(values, [-0.52143853, 1.68535873, 4.8360798], rtol=1e-7)
    values, vectors = _run(tf.linalg.eigh_tridiagonal(alpha, beta, eigvals_only=False))
    dense = np.diag(alpha) + np.diag(beta, 1) + np.diag(np.conj(beta), -1)
    np.testing.assert_allclose(dense @ vectors, vectors * values, atol=1e-12)


_TF_CODE = """
import json, sys
import numpy as np
import tensorflow as tf
a = np.array(json.loads(sys.argv[1]))
d = tf.constant(json.loads(sys.argv[2]), tf.float64)
r = tf.constant(json.loads(sys.argv[3]), tf.float64)
lu, p = tf.linalg.lu(a)
spd = a @ np.swapaxes(a, -1, -2) + 4 * np.eye(4)
out = {"lu": lu.numpy().tolist(), "p": p.numpy().tolist(),
       "expm": tf.linalg.expm(a).numpy().tolist(), "expm32": tf.linalg.expm(a.astype(np.float32)).numpy().tolist(),
       "expm_big": tf.linalg.expm(7 * a).numpy().tolist(),
       "sqrtm": tf.linalg.sqrtm(spd).numpy().tolist(),
       "logm": tf.linalg.logm(spd.astype(np.complex128)).numpy().real.tolist(),
       "inv": tf.linalg.lu_matrix_inverse(lu, p).numpy().tolist(),
       "solve": tf.linalg.tridiagonal_solve(d, r).numpy().tolist(),
       "solve_nopivot": tf.linalg.tridiagonal_solve(d, r, partial_pivoting=False).numpy().tolist(),
       "matmul": tf.linalg.tridiagonal_matmul(d, r).numpy().tolist(),
       "eigh_tri": tf.linalg.eigh_tridiagonal(d[0, 1], d[0, 0, :3]).numpy().tolist()}
print(json.dumps(out))
"""


@pytest.mark.interop
def test_values_match_tensorflow(tf_python):
    import json  # only the interop test needs it

    theirs = run_tensorflow(tf_python, _TF_CODE, json.dumps(A.tolist()), json.dumps(DIAGS.tolist()),
                            json.dumps(RHS.tolist()))
    spd = A @ A.transpose(0, 2, 1) + 4 * np.eye(4)
    with tf.Graph().as_default():
        lu, p = tf.linalg.lu(A)
        ours = _run({"lu": lu, "p": p, "expm": tf.linalg.expm(A), "expm32": tf.linalg.expm(A.astype(np.float32)),
                     "expm_big": tf.linalg.expm(7 * A), "sqrtm": tf.linalg.sqrtm(spd),
                     "logm": tf.linalg.logm(spd.astype(np.complex128)), "inv": tf.linalg.lu_matrix_inverse(lu, p),
                     "solve": tf.linalg.tridiagonal_solve(DIAGS, RHS),
                     "solve_nopivot": tf.linalg.tridiagonal_solve(DIAGS, RHS, partial_pivoting=False),
                     "matmul": tf.linalg.tridiagonal_matmul(DIAGS, RHS),
                     "eigh_tri": tf.linalg.eigh_tridiagonal(DIAGS[0, 1], DIAGS[0, 0, :3])})
    assert ours["p"].tolist() == theirs["p"]
    for key in sorted(theirs):
        rtol = 1e-5 if key == "expm32" else 1e-9
        np.testing.assert_allclose(np.real(ours[key]), theirs[key], rtol=rtol, atol=rtol * 1e-2, err_msg=key)
