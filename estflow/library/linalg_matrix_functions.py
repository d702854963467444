"""tf.linalg's matrix functions that TF builds from other ops (linalg_impl.py): expm (Pade
approximants with scaling and squaring), the LU helpers (lu_solve, lu_reconstruct,
lu_matrix_inverse), the diagonals formats of tridiagonal_matmul / tridiagonal_solve, and
eigh_tridiagonal.

Permutations are applied as one-hot matrices (`P[i, j] = [perm[i] == j]`, so `P @ x = x[perm]`),
which batch and differentiate like any matmul.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    matmul_ops,
    matrix_function_ops,
    matrix_ops,
    reduction_ops,
    unary_ops,
    while_v2,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.library import check_ops

# ---- expm ------------------------------------------------------------------------------------------
# The numerators' coefficients b_0.. of the [m/m] Pade approximants of exp (Higham 2005).
_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0, 110880.0, 3960.0, 90.0,
        1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0, 129060195264000.0,
         10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0,
         1.0),
}
# (largest 1-norm each approximant serves, ...), and the norm the last one scales down to.
_SINGLE_THRESHOLDS, _SINGLE_MAXNORM = (4.258730016922831e-001, 1.880152677804762e+000), 3.925724783138660
_DOUBLE_THRESHOLDS = (1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001, 2.097847961257068e+000)
_DOUBLE_MAXNORM = 5.371920351148152


def _pade(matrix, order, eye):
    """(u, v) of the order-`order` approximant: exp(A) ~ (v - u)^-1 (v + u), u odd in A, v even."""
    b = _PADE[order]
    square = matmul_ops.matmul(matrix, matrix)
    if order < 13:
        powers = [eye, square]
        while len(powers) < (order + 1) // 2:
            powers.append(matmul_ops.matmul(powers[-1], square))
        odd = sum((b[2 * k + 1] * p for k, p in enumerate(powers)), fill_ops.zeros_like(matrix))
        even = sum((b[2 * k] * p for k, p in enumerate(powers)), fill_ops.zeros_like(matrix))
        return matmul_ops.matmul(matrix, odd), even
    fourth = matmul_ops.matmul(square, square)
    sixth = matmul_ops.matmul(fourth, square)
    odd = matmul_ops.matmul(sixth, b[13] * sixth + b[11] * fourth + b[9] * square) + \
        b[7] * sixth + b[5] * fourth + b[3] * square + b[1] * eye
    even = matmul_ops.matmul(sixth, b[12] * sixth + b[10] * fourth + b[8] * square) + \
        b[6] * sixth + b[4] * fourth + b[2] * square + b[0] * eye
    return matmul_ops.matmul(matrix, odd), even


def matrix_exponential(input, name=None):  # noqa: A002 - TF's argument name
    """exp of each inner-most square matrix, as `tf.linalg.expm`: TF's scaling and squaring with
    Pade approximants of degree 3, 5, 7 (single precision) or 3 to 13 (double), chosen per matrix
    by its 1-norm; a matrix with a non-finite entry gives nan.

        tf.linalg.expm([[0.0, 1.0], [-1.0, 0.0]])   # rotation by one radian
    """
    with name_scope(name, "matrix_exponential", [input]):
        matrix = convert_to_tensor(input, name="input")
        static = matrix.shape.as_tuple()
        if static is not None and len(static) >= 2 and static[-2:] == (0, 0):
            return matrix
        if matrix.dtype in (dtypes.float16, dtypes.float32, dtypes.complex64):
            orders, thresholds, maxnorm = (3, 5, 7), _SINGLE_THRESHOLDS, _SINGLE_MAXNORM
        elif matrix.dtype in (dtypes.float64, dtypes.complex128):
            orders, thresholds, maxnorm = (3, 5, 7, 9, 13), _DOUBLE_THRESHOLDS, _DOUBLE_MAXNORM
        else:
            raise ValueError(f"tf.linalg.expm does not support matrices of type {matrix.dtype.name}")
        shape = array_ops.shape(matrix)
        flat = array_ops.reshape(matrix, concat_ops.concat([[-1], shape[-2:]], 0))
        norm_dtype = flat.dtype.real_dtype
        l1_norm = reduction_ops.reduce_max(reduction_ops.reduce_sum(unary_ops.abs(flat), axis=-2), axis=-1)
        l1_norm = cast_ops.cast(l1_norm, norm_dtype) if l1_norm.dtype != norm_dtype else l1_norm
        l1_norm = array_ops.expand_dims(array_ops.expand_dims(l1_norm, -1), -1)
        squarings = math_ops.maximum(
            unary_ops.floor(unary_ops.log(l1_norm / maxnorm) / np.log(2.0).astype(norm_dtype.as_numpy_dtype)), 0.0)
        eye = matrix_ops._eye_like(flat)
        scaled = flat / cast_ops.cast(math_ops.pow(constant(2.0, norm_dtype), squarings), flat.dtype)
        pairs = [_pade(flat, order, eye) for order in orders[:-1]] + [_pade(scaled, orders[-1], eye)]
        u, v = pairs[-1]
        for threshold, (u_k, v_k) in reversed(list(zip(thresholds, pairs[:-1], strict=True))):
            small = comparison_ops.less(l1_norm, constant(threshold, norm_dtype))
            u, v = comparison_ops.where_v2(small, u_k, u), comparison_ops.where_v2(small, v_k, v)
        is_finite = unary_ops.is_finite(reduction_ops.reduce_max(l1_norm))
        result = control_flow_ops.cond(
            is_finite, lambda: matrix_ops.matrix_solve(-u + v, u + v),
            lambda: fill_ops.fill(array_ops.shape(flat), constant(np.nan, flat.dtype)))
        max_squarings = reduction_ops.reduce_max(squarings)

        def keep_squaring(i, _):
            return control_flow_ops.cond(is_finite, lambda: comparison_ops.less(i, max_squarings),
                                         lambda: constant(False))

        def square(i, r):
            return i + 1, comparison_ops.where_v2(comparison_ops.less(i, squarings), matmul_ops.matmul(r, r), r)

        out = while_v2.while_loop(keep_squaring, square, [constant(0.0, norm_dtype), result])[1]
        out = array_ops.reshape(out, shape)
        if static is not None:
            out.set_shape(matrix.shape)
        return out


# ---- the LU helpers ----------------------------------------------------------------------------------
def _permutation_matrix(perm, dtype):
    """P with P @ x == x[perm] along the rows, batched as perm is."""
    perm = convert_to_tensor(perm, name="perm")
    return gather_ops.one_hot(perm, array_ops.shape(perm)[-1], dtype=dtype)


def _unit_lower(lower_upper):
    return matrix_ops.matrix_set_diag(matrix_ops.matrix_band_part(lower_upper, -1, 0),
                                      fill_ops.ones_like(matrix_ops.matrix_diag_part(lower_upper)))


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """X with A X = rhs, from `lower_upper, perm = tf.linalg.lu(A)`, as `tf.linalg.lu_solve`.

        lu, p = tf.linalg.lu(a)
        x = tf.linalg.lu_solve(lu, p, rhs)   # == tf.linalg.solve(a, rhs)
    """
    with name_scope(name or "lu_solve", "lu_solve", [lower_upper, perm, rhs]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        rhs = convert_to_tensor(rhs, name="rhs", dtype=lower_upper.dtype)
        lower_upper = _check_lu_args(lower_upper, validate_args)
        permuted = matmul_ops.matmul(_permutation_matrix(perm, lower_upper.dtype), rhs)
        lower_solved = matrix_ops.matrix_triangular_solve(_unit_lower(lower_upper), permuted, lower=True)
        return matrix_ops.matrix_triangular_solve(lower_upper, lower_solved, lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of A from `lower_upper, perm = tf.linalg.lu(A)`, as `tf.linalg.lu_matrix_inverse`."""
    with name_scope(name or "lu_matrix_inverse", "lu_matrix_inverse", [lower_upper, perm]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        lower_upper = _check_lu_args(lower_upper, validate_args)
        eye = matrix_ops._eye_like(lower_upper)
        return lu_solve(lower_upper, perm, eye, validate_args=False)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """A again from `lower_upper, perm = tf.linalg.lu(A)`, as `tf.linalg.lu_reconstruct`."""
    with name_scope(name or "lu_reconstruct", "lu_reconstruct", [lower_upper, perm]):
        lower_upper = convert_to_tensor(lower_upper, name="lower_upper")
        lower_upper = _check_lu_args(lower_upper, validate_args)
        upper = matrix_ops.matrix_band_part(lower_upper, 0, -1)
        product = matmul_ops.matmul(_unit_lower(lower_upper), upper)
        return matmul_ops.matmul(_permutation_matrix(perm, lower_upper.dtype), product, transpose_a=True)


def _check_lu_args(lower_upper, validate_args):
    """lower_upper after TF's checks: static shapes always; with `validate_args`, run-time
    assertions of what the static shape leaves open (rank at least 2, square)."""
    dims = lower_upper.shape.as_tuple()
    if dims is not None:
        if len(dims) < 2:
            raise ValueError(f"Input `lower_upper` must have at least 2 dimensions; found {len(dims)}.")
        if dims[-2] is not None and dims[-1] is not None and dims[-2] != dims[-1]:
            raise ValueError(f"Input `lower_upper` must be a square matrix; found shape {list(dims)}.")
    if not validate_args or (dims is not None and None not in dims[-2:]):
        return lower_upper
    assertions = [check_ops.assert_rank_at_least(lower_upper, 2,
                                                 message="Input `lower_upper` must have at least 2 dimensions.")]
    if dims is None or None in dims[-2:]:
        shape = array_ops.shape(lower_upper)
        assertions.append(check_ops.assert_equal(shape[-2], shape[-1],
                                                 message="Input `lower_upper` must be a square matrix."))
    return control_flow_ops.with_dependencies(assertions, lower_upper)


# ---- tridiagonal formats --------------------------------------------------------------------------------
def tridiagonal_compact_from_matrix(matrix):
    """[..., M, M] -> the [..., 3, M] compact diagonals (super left-aligned, sub right-aligned)."""
    m1, m2 = matrix.shape.as_tuple()[-1], matrix.shape.as_tuple()[-2]
    if m1 is not None and m2 is not None and m1 != m2:
        raise ValueError(f"Expected last two dimensions of diagonals to be same, got {m1} and {m2}")
    main = matrix_ops.matrix_diag_part(matrix)
    upper = matrix_ops.matrix_diag_part(matrix[..., :-1, 1:])
    lower = matrix_ops.matrix_diag_part(matrix[..., 1:, :-1])
    zero = fill_ops.zeros_like(main[..., :1])
    return concat_ops.stack([concat_ops.concat([upper, zero], -1), main, concat_ops.concat([zero, lower], -1)],
                            axis=-2)


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """A tridiagonal matrix times rhs [..., M, N], as `tf.linalg.tridiagonal_matmul`.

    `diagonals_format`: 'compact' ([..., 3, M]: superdiagonal, diagonal, subdiagonal; the
    superdiagonal's last and the subdiagonal's first entries are ignored), 'sequence' (a list of
    those three [..., M] tensors) or 'matrix' (the [..., M, M] matrix itself).
    """
    with name_scope(name, "tridiagonal_matmul", [rhs]):
        if diagonals_format == "compact":
            diagonals = convert_to_tensor(diagonals, name="diagonals")
            superdiag, maindiag, subdiag = diagonals[..., 0, :], diagonals[..., 1, :], diagonals[..., 2, :]
        elif diagonals_format == "sequence":
            superdiag, maindiag, subdiag = (convert_to_tensor(d) for d in diagonals)
        elif diagonals_format == "matrix":
            compact = tridiagonal_compact_from_matrix(convert_to_tensor(diagonals, name="diagonals"))
            superdiag, maindiag, subdiag = compact[..., 0, :], compact[..., 1, :], compact[..., 2, :]
        else:
            raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
        rows = [array_ops.expand_dims(d, -2) for d in (superdiag, maindiag, subdiag)]
        return matrix_function_ops.tridiagonal_mat_mul(*rows, rhs)


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False, conjugate_rhs=False,
                      name=None, partial_pivoting=True, perturb_singular=False):
    """X with A X = rhs for a tridiagonal A, as `tf.linalg.tridiagonal_solve` (Gaussian elimination,
    with partial pivoting unless `partial_pivoting=False`).

    `diagonals` as in `tridiagonal_matmul`; rhs is [..., M, K], or [..., M] for one right-hand side
    (then `transpose_rhs` is ignored); `transpose_rhs` takes rhs as [..., K, M]. As TF's kernel, a
    singular system (or, without pivoting, one that needs pivoting) solves to nan; `perturb_singular`
    instead perturbs tiny pivots to eps * max|U| for a finite result.

        x = tf.linalg.tridiagonal_solve([[1., 1., 0.], [2., 3., 4.], [0., 1., 2.]], [[1.], [2.], [3.]])
    """
    with name_scope(name, "tridiagonal_solve", [rhs]):
        if diagonals_format == "compact":
            diagonals = convert_to_tensor(diagonals, name="diagonals")
        elif diagonals_format == "sequence":
            if not isinstance(diagonals, (list, tuple)) or len(diagonals) != 3:
                raise ValueError("Expected diagonals to be a sequence of length 3.")
            diagonals = concat_ops.stack([convert_to_tensor(d) for d in diagonals], axis=-2)
        elif diagonals_format == "matrix":
            diagonals = tridiagonal_compact_from_matrix(convert_to_tensor(diagonals, name="diagonals"))
        else:
            raise ValueError(f"Unrecognized diagonals_format: {diagonals_format}")
        rhs = convert_to_tensor(rhs, name="rhs", dtype=diagonals.dtype)
        return _solve_compact(diagonals, rhs, transpose_rhs, conjugate_rhs, partial_pivoting, perturb_singular)


def _solve_compact(diagonals, rhs, transpose_rhs, conjugate_rhs, partial_pivoting, perturb_singular):
    diags_rank, rhs_rank = diagonals.shape.ndims, rhs.shape.ndims
    if diags_rank is not None:
        if diags_rank < 2:
            raise ValueError(f"Expected diagonals to have rank at least 2, got {diags_rank}")
        if rhs_rank is not None and rhs_rank not in (diags_rank, diags_rank - 1):
            raise ValueError(f"Expected the rank of rhs to be {diags_rank - 1} or {diags_rank}, got {rhs_rank}")
        count = diagonals.shape.as_tuple()[-2]
        if count is not None and count != 3:
            raise ValueError(f"Expected 3 diagonals got {count}")
    if conjugate_rhs and rhs.dtype.is_complex:
        rhs = unary_ops.conj(rhs)
    if diags_rank is not None and rhs_rank == diags_rank - 1:  # one right-hand side as a vector
        solved = matrix_function_ops.tridiagonal_solve_op(diagonals, array_ops.expand_dims(rhs, -1),
                                                          partial_pivoting, perturb_singular)
        return array_ops.squeeze(solved, axis=[-1])
    if transpose_rhs:
        rhs = manipulation_ops.matrix_transpose(rhs)
    return matrix_function_ops.tridiagonal_solve_op(diagonals, rhs, partial_pivoting, perturb_singular)


# ---- eigh_tridiagonal ---------------------------------------------------------------------------------------
def eigh_tridiagonal(alpha, beta, eigvals_only=True, select="a", select_range=None, tol=None, name=None):
    """Eigenvalues (ascending) and, with `eigvals_only=False`, eigenvectors (columns) of the
    self-adjoint tridiagonal matrix with diagonal `alpha` [n] and superdiagonal `beta` [n - 1] (the
    subdiagonal is its conjugate), as `tf.linalg.eigh_tridiagonal`; eigenvalues are real.

    `select`: 'a' all, 'v' the eigenvalues in the half-open interval (lo, hi] of `select_range`,
    'i' those of indices lo..hi (inclusive). estflow solves the dense symmetric problem (to full
    precision, so `tol` changes nothing); eigenvectors are unique up to sign.
    """
    with name_scope(name, "eigh_tridiagonal", [alpha, beta]):
        alpha = convert_to_tensor(alpha, name="alpha")
        beta = convert_to_tensor(beta, name="beta", dtype=alpha.dtype)
        if alpha.shape.ndims is not None and alpha.shape.ndims != 1:
            raise ValueError("Only rank-1 tensors are supported for alpha")
        if select not in ("a", "v", "i"):
            raise ValueError(f"Invalid select: {select!r}. Must be one of 'a', 'v', 'i'.")
        if select in ("v", "i") and select_range is None:
            raise ValueError(f"select_range must be given when select={select!r}")
        off_diagonal = manipulation_ops.pad(beta, [[0, 1]])
        below = unary_ops.conj(off_diagonal) if alpha.dtype.is_complex else off_diagonal
        # beta on the superdiagonal, its conjugate below: the Hermitian matrix TF's algorithm solves
        matrix = matrix_ops.matrix_diag(alpha) + _shifted_diag(off_diagonal, 1) + _shifted_diag(below, -1)
        if eigvals_only:
            values = matrix_ops.self_adjoint_eigvals(matrix)
            vectors = None
        else:
            values, vectors = matrix_ops.self_adjoint_eig(matrix)
        if values.dtype.is_complex:  # a Hermitian matrix's eigenvalues are real: TF returns the real dtype
            values = cast_ops.cast(values, values.dtype.real_dtype)
        if select == "i":
            lo, hi = select_range
            values = values[lo:hi + 1]
            vectors = None if vectors is None else vectors[:, lo:hi + 1]
        elif select == "v":
            lo, hi = (convert_to_tensor(v, dtype=alpha.dtype) for v in select_range)
            keep = comparison_ops.logical_and(comparison_ops.greater(values, lo), comparison_ops.less_equal(values, hi))
            values = gather_ops.boolean_mask(values, keep)
            vectors = None if vectors is None else gather_ops.boolean_mask(vectors, keep, axis=1)
        return values if eigvals_only else (values, vectors)


def _shifted_diag(values, offset):
    """The [n, n] matrix with values[:n - 1] on the diagonal `offset` (+1 above, -1 below)."""
    square = matrix_ops.matrix_diag(values)  # values[i] at (i, i)
    if offset > 0:  # (i, i) -> (i, i + 1)
        return concat_ops.concat([fill_ops.zeros_like(square[:, :1]), square[:, :-1]], axis=1)
    return concat_ops.concat([fill_ops.zeros_like(square[:1]), square[:-1]], axis=0)
