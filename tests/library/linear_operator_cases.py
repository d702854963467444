"""One table of LinearOperators for the tests of estflow/library/linear_operator*.py.

HARNESS is Python source that runs unchanged with `tf` bound to estflow or to real TensorFlow:
`build(label)` makes a case's operator and `evaluate(op)` returns (tensors, facts), every public
method's result on fixed arguments. The estflow tests check the tensors against the dense
matrix with numpy; the interop test runs the same source under TensorFlow 2.15 and compares.
"""

HARNESS = r'''
import numpy as np

def _rng():
    return np.random.default_rng(7)

def _matrix(shape, dtype=np.float64, spd=False, shift=0.0):
    rng = _rng()
    a = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    if spd:
        a = a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1])
    if shift:
        a = a + shift * np.eye(shape[-1])
    return a.astype(dtype)

def _vector(shape, dtype=np.float64, positive=False):
    rng = _rng()
    v = rng.standard_normal(shape) + 0.5
    if positive:
        v = np.abs(v) + 0.5
    if np.dtype(dtype).kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    return v.astype(dtype)

L = tf.linalg

CASES = {
    "full": lambda: L.LinearOperatorFullMatrix(_matrix((3, 3), shift=2.0)),
    "full_spd_batch": lambda: L.LinearOperatorFullMatrix(_matrix((2, 3, 3), spd=True), is_self_adjoint=True,
                                                         is_positive_definite=True),
    "full_wide": lambda: L.LinearOperatorFullMatrix(_matrix((2, 3))),
    "full_complex": lambda: L.LinearOperatorFullMatrix(_matrix((3, 3), np.complex128, shift=2.0)),
    "diag": lambda: L.LinearOperatorDiag(_vector(3)),
    "diag_batch_pd": lambda: L.LinearOperatorDiag(_vector((2, 3), positive=True), is_positive_definite=True),
    "diag_complex": lambda: L.LinearOperatorDiag(_vector(3, np.complex128)),
    "lower_triangular": lambda: L.LinearOperatorLowerTriangular(_matrix((3, 3), shift=3.0)),
    "identity": lambda: L.LinearOperatorIdentity(3, dtype=tf.float64),
    "identity_batch": lambda: L.LinearOperatorIdentity(3, batch_shape=[2], dtype=tf.float64),
    "scaled_identity": lambda: L.LinearOperatorScaledIdentity(3, np.array([2.5, -1.5])),
    "scaled_identity_pd": lambda: L.LinearOperatorScaledIdentity(3, np.float64(2.0), is_positive_definite=True),
    "zeros": lambda: L.LinearOperatorZeros(3, dtype=tf.float64),
    "zeros_wide": lambda: L.LinearOperatorZeros(2, 3, is_square=False, is_self_adjoint=False, dtype=tf.float64),
    "householder": lambda: L.LinearOperatorHouseholder(np.array([1.0, 2.0, -2.0])),
    "permutation": lambda: L.LinearOperatorPermutation([1, 2, 0], dtype=tf.float64),
    "permutation_batch": lambda: L.LinearOperatorPermutation([[1, 0, 2], [2, 0, 1]], dtype=tf.float64),
    "toeplitz": lambda: L.LinearOperatorToeplitz(np.array([4.0, 1.0, 0.5]), np.array([4.0, -1.0, 2.0])),
    "toeplitz_symmetric": lambda: L.LinearOperatorToeplitz(np.array([4.0, 1.0, 0.5]), np.array([4.0, 1.0, 0.5]),
                                                           is_self_adjoint=True, is_positive_definite=True),
    "tridiag": lambda: L.LinearOperatorTridiag(_matrix((3, 3)) + np.array([[0.0], [3.0], [0.0]])),
    "tridiag_sequence": lambda: L.LinearOperatorTridiag(
        [np.array([1.0, 2.0, 0.0]), np.array([4.0, 5.0, 6.0]), np.array([0.0, -1.0, 3.0])],
        diagonals_format="sequence"),
    "tridiag_matrix": lambda: L.LinearOperatorTridiag(np.triu(np.tril(_matrix((4, 4), shift=3.0), 1), -1),
                                                      diagonals_format="matrix"),
    "circulant": lambda: L.LinearOperatorCirculant(tf.constant(_vector(4, np.complex128) + 3.0),
                                                   input_output_dtype=tf.complex128),
    "circulant_real_io": lambda: L.LinearOperatorCirculant(
        tf.constant(np.fft.fft(np.array([3.0, 1.0, 0.5, 1.0]))), input_output_dtype=tf.float64),
    "circulant_real_spectrum": lambda: L.LinearOperatorCirculant(tf.constant(np.array([6.0, 1.5, 2.0])),
                                                                 input_output_dtype=tf.complex128),
    "circulant_2d": lambda: L.LinearOperatorCirculant2D(tf.constant(_matrix((2, 3), np.complex128) + 4.0),
                                                        input_output_dtype=tf.complex128),
    "circulant_3d": lambda: L.LinearOperatorCirculant3D(tf.constant(_vector((2, 2, 2), np.complex128) + 4.0),
                                                        input_output_dtype=tf.complex128),
    "adjoint": lambda: L.LinearOperatorAdjoint(L.LinearOperatorFullMatrix(_matrix((3, 3), shift=2.0))),
    "adjoint_wide": lambda: L.LinearOperatorAdjoint(L.LinearOperatorFullMatrix(_matrix((2, 3)))),
    "inversion": lambda: L.LinearOperatorInversion(L.LinearOperatorFullMatrix(_matrix((3, 3), shift=2.0))),
    "composition": lambda: L.LinearOperatorComposition(
        [L.LinearOperatorFullMatrix(_matrix((3, 3), shift=2.0)), L.LinearOperatorDiag(_vector(3))]),
    "composition_aat": lambda: (lambda a: L.LinearOperatorComposition([a, a.H], is_non_singular=True))(
        L.LinearOperatorFullMatrix(_matrix((3, 3), shift=2.0))),
    "block_diag": lambda: L.LinearOperatorBlockDiag(
        [L.LinearOperatorDiag(_vector(2)), L.LinearOperatorFullMatrix(_matrix((3, 3), shift=2.0))]),
    "block_diag_pd": lambda: L.LinearOperatorBlockDiag(
        [L.LinearOperatorDiag(_vector(2, positive=True), is_positive_definite=True),
         L.LinearOperatorFullMatrix(_matrix((3, 3), spd=True), is_self_adjoint=True, is_positive_definite=True)]),
    "block_lower_triangular": lambda: L.LinearOperatorBlockLowerTriangular(
        [[L.LinearOperatorFullMatrix(_matrix((2, 2), shift=3.0))],
         [L.LinearOperatorFullMatrix(_matrix((3, 2))), L.LinearOperatorDiag(_vector(3, positive=True))]]),
    "kronecker": lambda: L.LinearOperatorKronecker(
        [L.LinearOperatorFullMatrix(_matrix((2, 2), shift=2.0)), L.LinearOperatorFullMatrix(_matrix((3, 3)) + 3 *
                                                                                             np.eye(3))]),
    "kronecker_three_pd": lambda: L.LinearOperatorKronecker(
        [L.LinearOperatorDiag(_vector(2, positive=True), is_positive_definite=True),
         L.LinearOperatorFullMatrix(_matrix((2, 2), spd=True), is_self_adjoint=True, is_positive_definite=True),
         L.LinearOperatorIdentity(2, dtype=tf.float64)]),
    "kronecker_wide": lambda: L.LinearOperatorKronecker(
        [L.LinearOperatorFullMatrix(_matrix((2, 3))), L.LinearOperatorFullMatrix(_matrix((2, 2)))]),
    "low_rank_update_pd": lambda: L.LinearOperatorLowRankUpdate(
        L.LinearOperatorDiag(_vector(4, positive=True), is_positive_definite=True), _matrix((4, 2))),
    "low_rank_update": lambda: L.LinearOperatorLowRankUpdate(
        L.LinearOperatorFullMatrix(_matrix((4, 4), shift=3.0)), _matrix((4, 2)), diag_update=_vector(2),
        v=_matrix((4, 2)) * 0.5),
}

def _dtype(op):
    return np.dtype(op.dtype.as_numpy_dtype)

def _argument(shape, dtype):
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)

def evaluate(op):
    """(tensors, facts) for an operator: every method on fixed arguments, and its static facts."""
    rows, columns = int(op.range_dimension), int(op.domain_dimension)
    dtype = _dtype(op)
    x, y = _argument((columns, 2), dtype), _argument((rows, 2), dtype)
    out = {"dense": op.to_dense(), "matmul": op.matmul(x), "matmul_adjoint": op.matmul(y, adjoint=True),
           "matmul_adjoint_arg": op.matmul(np.conj(x.T), adjoint_arg=True), "matvec": op.matvec(x[:, 0]),
           "matvec_adjoint": op.matvec(y[:, 0], adjoint=True), "operator_matmul": op @ x,
           "adjoint_dense": op.adjoint().to_dense(), "shape_tensor": op.shape_tensor(),
           "add_to_tensor": op.add_to_tensor(np.ones(tuple(op.batch_shape.as_list()) + (rows, columns), dtype))}
    facts = {"shape": list(op.shape.as_list()), "batch_shape": list(op.batch_shape.as_list()),
             "hints": [op.is_non_singular, op.is_self_adjoint, op.is_positive_definite, op.is_square],
             "name": op.name, "adjoint_type": type(op.adjoint()).__name__, "tensor_rank": op.tensor_rank,
             "dtype": op.dtype.name}
    if op.is_square:
        out.update(trace=op.trace(), diag_part=op.diag_part(), determinant=op.determinant(),
                   log_abs_determinant=op.log_abs_determinant())
        if op.is_non_singular is not False:
            out.update(solve=op.solve(x), solve_adjoint=op.solve(y, adjoint=True),
                       solve_adjoint_arg=op.solve(np.conj(y.T), adjoint_arg=True), solvevec=op.solvevec(x[:, 0]),
                       solvevec_adjoint=op.solvevec(y[:, 0], adjoint=True), inverse_dense=op.inverse().to_dense())
            facts["inverse_type"] = type(op.inverse()).__name__
    if op.is_self_adjoint:
        out.update(eigvals=op.eigvals(), cond=op.cond())
        if op.is_positive_definite:
            chol = op.cholesky()
            out["cholesky_dense"] = chol.to_dense()
            facts["cholesky_type"] = type(chol).__name__
    return out, facts
'''


def namespace(tf):
    """The harness's names, with `tf` bound to the given module."""
    scope = {"tf": tf}
    exec(HARNESS, scope)  # noqa: S102 - the same source runs under estflow and TensorFlow
    return scope


LABELS = [
    "full", "full_spd_batch", "full_wide", "full_complex", "diag", "diag_batch_pd", "diag_complex",
    "lower_triangular", "identity", "identity_batch", "scaled_identity", "scaled_identity_pd", "zeros", "zeros_wide",
    "householder", "permutation", "permutation_batch", "toeplitz", "toeplitz_symmetric", "tridiag",
    "tridiag_sequence", "tridiag_matrix", "circulant", "circulant_real_io", "circulant_real_spectrum",
    "circulant_2d", "circulant_3d", "adjoint", "adjoint_wide", "inversion", "composition", "composition_aat",
    "block_diag", "block_diag_pd", "block_lower_triangular", "kronecker", "kronecker_three_pd", "kronecker_wide",
    "low_rank_update_pd", "low_rank_update",
]
