"""Batched matrix ops (estflow/core/ops/matrix_ops.py): values against numpy, TF's shape rules and errors,
and every op's gradient against central differences."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import matrix_ops as M
from estflow.core.registry import registered_ops
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 3))
SPD = A @ A.transpose(0, 2, 1) + 3 * np.eye(3)
B = RNG.standard_normal((2, 3, 2))
TALL = RNG.standard_normal((2, 4, 3))


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.cholesky(SPD), np.linalg.cholesky(SPD)),
    (lambda: tf.cholesky(np.tril(SPD) + np.triu(np.full((3, 3), 99.0), 1)), np.linalg.cholesky(SPD)),  # lower only
    (lambda: tf.matrix_determinant(A), np.linalg.det(A)),
    (lambda: tf.linalg.slogdet(A)[0], np.linalg.slogdet(A)[0]),
    (lambda: tf.linalg.slogdet(A)[1], np.linalg.slogdet(A)[1]),
    (lambda: tf.matrix_inverse(A), np.linalg.inv(A)),
    (lambda: tf.matrix_inverse(A, adjoint=True), np.linalg.inv(A.transpose(0, 2, 1))),
    (lambda: tf.matrix_solve(A, B), np.linalg.solve(A, B)),
    (lambda: tf.matrix_solve(A, B, adjoint=True), np.linalg.solve(A.transpose(0, 2, 1), B)),
    (lambda: tf.matrix_triangular_solve(A, B), np.linalg.solve(np.tril(A), B)),
    (lambda: tf.matrix_triangular_solve(A, B, lower=False, adjoint=True),
     np.linalg.solve(np.triu(A).transpose(0, 2, 1), B)),
    (lambda: tf.matrix_triangular_solve(A[0], B), np.linalg.solve(np.tril(A[0]), B)),  # batch dims broadcast
    (lambda: tf.self_adjoint_eigvals(SPD), np.linalg.eigvalsh(SPD)),
    (lambda: tf.self_adjoint_eig(SPD)[0], np.linalg.eigh(SPD)[0]),
    (lambda: tf.svd(TALL, compute_uv=False), np.linalg.svd(TALL, compute_uv=False)),
    (lambda: tf.linalg.band_part(A, 0, -1), np.triu(A)),
    (lambda: tf.linalg.diag_part(TALL), np.stack([np.diag(m) for m in TALL])),
])
def test_values_match_numpy(build, expected):
    np.testing.assert_allclose(_run(build()), expected, rtol=1e-9, atol=1e-10)


@pytest.mark.usefixtures("g")
def test_decompositions_rebuild_their_input():
    e, v = _run(tf.self_adjoint_eig(SPD))
    np.testing.assert_allclose(v @ (e[..., None] * v.transpose(0, 2, 1)), SPD, atol=1e-9)
    for full in (False, True):
        s, u, v = _run(tf.svd(TALL, full_matrices=full))
        assert u.shape == ((2, 4, 4) if full else (2, 4, 3)) and v.shape == (2, 3, 3)
        np.testing.assert_allclose((u[..., :3] * s[:, None, :]) @ v.transpose(0, 2, 1), TALL, atol=1e-9)
    low = _run(tf.cholesky(SPD))
    np.testing.assert_allclose(low @ low.transpose(0, 2, 1), SPD, atol=1e-9)


@pytest.mark.usefixtures("g")
def test_static_shapes():
    x = tf.placeholder(tf.float32, [None, 4, 4])
    assert tf.matrix_determinant(x).shape.as_list() == [None]
    assert [t.shape.as_list() for t in tf.self_adjoint_eig(x)] == [[None, 4], [None, 4, 4]]
    assert tf.self_adjoint_eigvals(x).shape.as_list() == [None, 4]
    assert [t.shape.as_list() for t in tf.svd(tf.zeros([5, 3]))] == [[3], [5, 3], [3, 3]]
    assert [t.shape.as_list() for t in tf.svd(tf.zeros([5, 3]), full_matrices=True)] == [[3], [5, 5], [3, 3]]
    assert tf.matrix_solve(x, tf.zeros([2, 4, 7])).shape.as_list() == [2, 4, 7]
    assert tf.matrix_triangular_solve(tf.zeros([4, 4]), tf.zeros([3, 4, 2])).shape.as_list() == [3, 4, 2]
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 4"):
        tf.matrix_inverse(tf.zeros([3, 4]))
    with pytest.raises(ValueError, match="at least rank 2"):
        tf.cholesky(tf.zeros([3]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        tf.matrix_determinant(tf.zeros([2, 2], tf.int32))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 2"):
        tf.matrix_solve(tf.zeros([3, 3]), tf.zeros([2, 1]))


@pytest.mark.usefixtures("g")
def test_failures_raise_tf_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cholesky decomposition was not successful"):
        _run(tf.cholesky(-np.eye(2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        _run(tf.matrix_inverse(np.zeros((2, 2))))
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        _run(tf.matrix_solve(np.zeros((2, 2)), np.ones((2, 1))))


def _spd(x):
    return tf.matmul(x, x, transpose_b=True) + 3.0 * tf.eye(3, dtype=tf.float64)


def _shift(x):
    return x + 3.0 * tf.eye(3, dtype=tf.float64)


GRADIENT_CASES = {
    "Cholesky": (lambda x: tf.cholesky(_spd(x)), [(2, 3, 3)]),
    "MatrixDeterminant": (tf.matrix_determinant, [(2, 3, 3)]),
    "LogMatrixDeterminant": (lambda x: tf.linalg.slogdet(x)[1], [(2, 3, 3)]),
    "MatrixInverse": (tf.matrix_inverse, [(3, 3)]),
    "MatrixInverse adjoint": (lambda x: tf.matrix_inverse(x, adjoint=True), [(3, 3)]),
    "MatrixSolve": (tf.matrix_solve, [(2, 3, 3), (2, 3, 2)]),
    "MatrixSolve adjoint": (lambda x, y: tf.matrix_solve(x, y, adjoint=True), [(3, 3), (3, 2)]),
    "MatrixTriangularSolve": (lambda x, y: tf.matrix_triangular_solve(_shift(x), y), [(3, 3), (3, 2)]),
    "MatrixTriangularSolve upper adjoint": (
        lambda x, y: tf.matrix_triangular_solve(_shift(x), y, lower=False, adjoint=True), [(3, 3), (3, 2)]),
    "MatrixTriangularSolve broadcast": (lambda x, y: tf.matrix_triangular_solve(_shift(x), y), [(3, 3), (2, 3, 2)]),
    "SelfAdjointEigV2": (lambda x: tf.self_adjoint_eigvals(x + tf.matrix_transpose(x)), [(3, 3)]),
    "SelfAdjointEigV2 vectors": (lambda x: tf.abs(tf.self_adjoint_eig(x + tf.matrix_transpose(x))[1]), [(3, 3)]),
    "Svd": (lambda x: tf.svd(x, compute_uv=False), [(3, 2)]),
    "Svd tall vectors": (lambda x: tf.abs(tf.svd(x)[1]) + tf.reduce_sum(tf.svd(x)[0]), [(4, 3)]),
    "Svd wide vectors": (lambda x: tf.abs(tf.svd(x)[2]), [(2, 3)]),
    "Svd square": (lambda x: tf.abs(tf.svd(x)[1]) * tf.abs(tf.svd(x)[2]), [(3, 3)]),
    "Svd full_matrices, values": (lambda x: tf.svd(x, full_matrices=True)[0], [(4, 3)]),
    "Svd full_matrices, square": (lambda x: tf.abs(tf.svd(x, full_matrices=True)[1]), [(3, 3)]),
}


@pytest.mark.usefixtures("g")
def test_svd_gradient_refuses_what_tf_refuses():
    x = tf.placeholder(tf.float64, [5, 2])
    with pytest.raises(NotImplementedError, match="unequal number of rows and columns"):
        tf.gradients(tf.svd(x, full_matrices=True)[0], x)


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
def test_gradients_match_central_differences(label):
    build, shapes = GRADIENT_CASES[label]
    check_gradient(build, [RNG.standard_normal(s) for s in shapes], rtol=1e-4, atol=1e-6, label=label)


def test_every_matrix_op_is_gradient_checked():
    ops = {name for name, d in registered_ops().items() if getattr(d.infer, "__module__", "") == M.__name__}
    checked = {label.split()[0] for label in GRADIENT_CASES}
    assert ops == checked
    assert all(registered_ops()[name].grad is not None for name in ops)
