"""tf.linalg composites (estflow/library/linalg_impl.py): values against numpy, gradients against differences."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(1)
A = RNG.standard_normal((2, 3, 4))
B = RNG.standard_normal((2, 4, 5))
V = RNG.standard_normal(5)


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def _set_diag(x, d):
    out = x.copy()
    k = min(x.shape[-2:])
    out[..., range(k), range(k)] = d
    return out


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.eye(2), np.eye(2)),
    (lambda: tf.eye(2, 3, batch_shape=[4], dtype=tf.int32), np.broadcast_to(np.eye(2, 3), (4, 2, 3))),
    (lambda: tf.linalg.band_part(A, 1, 0), np.tril(np.triu(A, -1))),
    (lambda: tf.linalg.band_part(A, -1, 0), np.tril(A)),
    (lambda: tf.linalg.band_part(A, 0, -1), np.triu(A)),
    (lambda: tf.matrix_band_part(A, 0, 0), _set_diag(np.zeros_like(A), A[..., range(3), range(3)])),
    (lambda: tf.linalg.diag(A[0]), np.stack([np.diag(v) for v in A[0]])),
    (lambda: tf.matrix_diag_part(A), np.stack([np.diag(m) for m in A])),
    (lambda: tf.linalg.diag_part(B.transpose(0, 2, 1)), np.stack([np.diag(m) for m in B.transpose(0, 2, 1)])),
    (lambda: tf.linalg.set_diag(A, np.ones((2, 3))), _set_diag(A, np.ones((2, 3)))),
    (lambda: tf.matrix_set_diag(B.transpose(0, 2, 1), 7 * np.ones((2, 4))), _set_diag(B.transpose(0, 2, 1), 7)),
    (lambda: tf.trace(A), np.trace(A, axis1=1, axis2=2)),
    (lambda: tf.linalg.adjoint(A), A.transpose(0, 2, 1)),
    (lambda: tf.linalg.matvec(A, B[:, :, 0]), np.einsum("bij,bj->bi", A, B[:, :, 0])),
    (lambda: tf.cross(A[0, :, :3], B[0, :3, :3]), np.cross(A[0, :, :3], B[0, :3, :3])),
    (lambda: tf.norm(A), np.linalg.norm(A.ravel())),
    (lambda: tf.norm(A, axis=1, keepdims=True), np.linalg.norm(A, axis=1, keepdims=True)),
    (lambda: tf.norm(A, ord=1, axis=-1), np.abs(A).sum(-1)),
    (lambda: tf.norm(A, ord=np.inf, axis=[2]), np.abs(A).max(-1)),
    (lambda: tf.norm(A, ord=3, axis=1), np.linalg.norm(A, 3, axis=1)),
    (lambda: tf.norm(A[0], ord=1, axis=[0, 1]), np.linalg.norm(A[0], 1)),
    (lambda: tf.norm(A[0], ord=np.inf, axis=(0, 1)), np.linalg.norm(A[0], np.inf)),
    (lambda: tf.norm(A, ord="fro", axis=[1, 2]), np.linalg.norm(A, "fro", axis=(1, 2))),
    (lambda: tf.tensordot(A, B[0], 1), np.tensordot(A, B[0], 1)),
    (lambda: tf.tensordot(A, B, [[0, 2], [0, 1]]), np.tensordot(A, B, [[0, 2], [0, 1]])),
    (lambda: tf.tensordot(V, V, 0), np.outer(V, V)),
    (lambda: tf.einsum("bij,bjk->bik", A, B), A @ B),
    (lambda: tf.einsum("bij,bjk,k->bi", A, B, V), np.einsum("bij,bjk,k->bi", A, B, V)),
    (lambda: tf.einsum("...ij,...jk", A, B[0]), np.einsum("...ij,...jk", A, B[0])),
    (lambda: tf.einsum("ij->j", A[0]), A[0].sum(0)),
    (lambda: tf.einsum("ij", A[0]), A[0]),
    (lambda: tf.einsum("ji", A[0]), A[0].T),
    (lambda: tf.einsum("i,j->ij", V, V), np.outer(V, V)),
    (lambda: tf.einsum("bij,bij->", A, A), (A * A).sum()),
    (lambda: tf.linalg.einsum("bij,kj->bki", A, B[0].T), np.einsum("bij,kj->bki", A, B[0].T)),
])
def test_values_match_numpy(build, expected):
    np.testing.assert_allclose(_run(build()), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.usefixtures("g")
def test_unknown_dims_are_read_at_run_time():
    a = tf.placeholder(tf.float64, [None, 3, None])
    b = tf.placeholder(tf.float64, [None, None, 5])
    feed = {a: A, b: B}
    got = _run([tf.einsum("bij,bjk->bik", a, b), tf.tensordot(a, b, [[2], [1]]), tf.linalg.diag_part(a),
                tf.linalg.band_part(a, 0, 1)], feed)
    np.testing.assert_allclose(got[0], A @ B)
    np.testing.assert_allclose(got[1], np.tensordot(A, B, [[2], [1]]))
    np.testing.assert_allclose(got[2], np.stack([np.diag(m) for m in A]))
    np.testing.assert_allclose(got[3], np.triu(np.tril(A, 1)))


@pytest.mark.usefixtures("g")
def test_bad_arguments_raise_tf1_errors():
    with pytest.raises(ValueError, match="'ord' must be a supported vector norm"):
        tf.norm(A, ord="fro")
    with pytest.raises(ValueError, match="supported matrix norm"):
        tf.norm(A, ord=-1, axis=[1, 2])
    with pytest.raises(ValueError, match="2 unique integers"):
        tf.norm(A, axis=[1, 1])
    with pytest.raises(ValueError, match="Different number of contraction axes"):
        tf.tensordot(A, B, [[1, 2], [1]])
    with pytest.raises(ValueError, match="must not be larger"):
        tf.tensordot(V, V, 2)
    with pytest.raises(ValueError, match="expecting 2"):
        tf.einsum("ij,jk->ik", A[0])
    with pytest.raises(ValueError, match="repeated index"):
        tf.einsum("ii->i", A[0, :, :3])
    with pytest.raises(ValueError, match="does not appear"):
        tf.einsum("ij->k", A[0])


@pytest.mark.parametrize("build, shapes", [
    (lambda a, b: tf.einsum("bij,bjk->bik", a, b), [(2, 3, 4), (2, 4, 5)]),
    (lambda a, b: tf.einsum("ij,j->i", a, b), [(3, 4), (4,)]),
    (lambda a, b: tf.tensordot(a, b, [[0, 2], [0, 1]]), [(2, 3, 4), (2, 4, 5)]),
    (lambda x: tf.norm(x, axis=1), [(3, 4)]),
    (lambda x: tf.norm(x, ord=3, axis=0), [(3, 4)]),
    (lambda x: tf.linalg.band_part(x, 1, 0), [(2, 3, 3)]),
    (tf.linalg.diag, [(2, 3)]),
    (tf.linalg.diag_part, [(2, 3, 4)]),
    (tf.linalg.set_diag, [(2, 3, 4), (2, 3)]),
    (tf.linalg.trace, [(2, 3, 3)]),
    (tf.linalg.cross, [(4, 3), (4, 3)]),
])
def test_gradients_match_central_differences(build, shapes):
    check_gradient(build, [RNG.standard_normal(s) for s in shapes])


SQUARE = RNG.standard_normal((2, 3, 3))
SPD = SQUARE @ SQUARE.transpose(0, 2, 1) + 3 * np.eye(3)
TALL = RNG.standard_normal((5, 3))
RHS = RNG.standard_normal((5, 2))


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.linalg.logdet(SPD), np.linalg.slogdet(SPD)[1]),
    (lambda: tf.cholesky_solve(np.linalg.cholesky(SPD), B[:, :3, :]), np.linalg.solve(SPD, B[:, :3, :])),
    (lambda: tf.matrix_solve_ls(TALL, RHS), np.linalg.lstsq(TALL, RHS, rcond=None)[0]),
    (lambda: tf.linalg.lstsq(TALL.T, RHS[:3]), np.linalg.pinv(TALL.T) @ RHS[:3]),  # minimum norm
    (lambda: tf.matrix_solve_ls(TALL, RHS, l2_regularizer=0.5),
     np.linalg.solve(TALL.T @ TALL + 0.5 * np.eye(3), TALL.T @ RHS)),
    (lambda: tf.linalg.pinv(TALL), np.linalg.pinv(TALL)),
    (lambda: tf.linalg.pinv(np.diag([1.0, 1e-20])), np.diag([1.0, 0.0])),
    (lambda: tf.linalg.matrix_rank(np.outer([1.0, 2.0], [3.0, 4.0, 5.0])), 1),
    (lambda: tf.linalg.matrix_rank(SPD), [3, 3]),
    (lambda: tf.linalg.normalize(V)[0], V / np.linalg.norm(V)),
    (lambda: tf.linalg.normalize(A, axis=1)[1], np.linalg.norm(A, axis=1, keepdims=True)),
])
def test_solver_composites(build, expected):
    np.testing.assert_allclose(_run(build()), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.usefixtures("g")
def test_solver_composites_refuse_what_they_do_not_do():
    with pytest.raises(NotImplementedError, match="fast=False"):
        tf.matrix_solve_ls(TALL, RHS, fast=False)


@pytest.mark.parametrize("build, shapes", [
    (lambda x: tf.linalg.logdet(tf.matmul(x, x, transpose_b=True) + 3.0 * tf.eye(3, dtype=tf.float64)), [(3, 3)]),
    (lambda a, b: tf.matrix_solve_ls(a, b), [(5, 3), (5, 2)]),
    (lambda x: tf.linalg.pinv(x), [(4, 3)]),
])
def test_solver_composite_gradients(build, shapes):
    check_gradient(build, [RNG.standard_normal(s) for s in shapes], rtol=1e-4, atol=1e-6)
