"""Matrix functions and structured solvers with TF op types of their own: MatrixSquareRoot
(tf.linalg.sqrtm), MatrixLogarithm (tf.linalg.logm), Lu (tf.linalg.lu), TridiagonalMatMul and
TridiagonalSolve (the kernels under tf.linalg.tridiagonal_matmul / tridiagonal_solve).

Kernels are written against `xp` over a flattened batch: a loop over the matrix size, each step
vectorized over every matrix of the batch. Gradients are TF's where TF registers one
(MatrixSquareRoot, TridiagonalMatMul, TridiagonalSolve); Lu and MatrixLogarithm have none in TF,
so `tf.gradients` through them raises LookupError as TF's does.
"""

from __future__ import annotations

from estflow.core import dtypes, errors
from estflow.core.ops import (
    array_ops,
    concat_ops,
    fill_ops,
    manipulation_ops,
    matrix_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _check_type(x, allowed, op_name):
    if x.dtype not in allowed:
        names = ", ".join(d.name for d in allowed)
        raise TypeError(f"Value passed to parameter 'input' of '{op_name}' has DataType {x.dtype.name} not in list "
                        f"of allowed values: {names}")


_REAL_AND_COMPLEX = (dtypes.float64, dtypes.float32, dtypes.float16, dtypes.complex64, dtypes.complex128)
_TRIDIAGONAL_TYPES = (dtypes.float64, dtypes.float32, dtypes.complex64, dtypes.complex128)


# ---- matrix square root and logarithm -----------------------------------------------------------------
def _sqrtm_infer(x):
    _check_type(x, _REAL_AND_COMPLEX, "MatrixSquareRoot")
    matrix_ops.square_dims(x)
    return TensorSpec(x.shape, x.dtype)


def _logm_infer(x):
    _check_type(x, (dtypes.complex64, dtypes.complex128), "MatrixLogarithm")
    matrix_ops.square_dims(x)
    return TensorSpec(x.shape, x.dtype)


def _one_norm(xp, a):
    """The 1-norm (largest column sum of magnitudes) of each matrix of a [b, n, n] stack."""
    return xp.abs(a).sum(axis=-2).max(axis=-1)


def _denman_beavers(xp, a):
    """Principal square roots of a [b, n, n] stack by the scaled Denman-Beavers iteration, and a
    [b] mask of the matrices it converged for (singular matrices and real matrices with
    negative eigenvalues have no principal root it reaches)."""
    n = int(a.shape[-1])
    eye = xp.broadcast_to(xp.eye(n, dtype=a.dtype), a.shape)
    y, z = a.copy(), eye.copy()
    eps = float(xp.finfo(a.dtype).eps)
    tolerance = 4 * n * eps
    change = xp.full(a.shape[:1], float("inf"), dtype=xp.abs(a).dtype)
    for _ in range(100):
        with_det = xp.abs(xp.linalg.det(y) * xp.linalg.det(z))
        usable = xp.isfinite(with_det) & (with_det > 0)
        if not bool(usable.all()):
            break
        scale = (with_det ** (-1.0 / (2 * n))).astype(a.real.dtype)[:, None, None]
        try:
            y_inverse, z_inverse = xp.linalg.inv(y), xp.linalg.inv(z)
        except ValueError:  # numpy's LinAlgError: a singular iterate, no principal root reached
            break
        y_next = 0.5 * (scale * y + z_inverse / scale)
        z_next = 0.5 * (scale * z + y_inverse / scale)
        change = _one_norm(xp, y_next - y) / _one_norm(xp, y_next)
        y, z = y_next, z_next
        if bool((change <= tolerance).all()):
            break
    # an ill-conditioned root stalls at a small relative change; no principal root keeps changing by O(1)
    converged = (change <= eps ** 0.5) & xp.isfinite(y).all(axis=(-2, -1))
    return y, converged


def _as_stack(x):
    n = int(x.shape[-1])
    return x.reshape((-1, n, n))


def _sqrtm_kernel(xp, x):
    if x.size == 0:
        return x.copy()
    stack = _as_stack(x)
    work = stack.astype(xp.float32) if x.dtype == xp.float16 else stack
    root, converged = _denman_beavers(xp, work)
    # as TF's Schur-based kernel: no principal root (singular, negative real eigenvalues) -> nan
    root = xp.where(converged[:, None, None], root, xp.asarray(float("nan"), dtype=root.dtype))
    return root.astype(x.dtype, copy=False).reshape(x.shape)


def _logm_kernel(xp, x):
    """Inverse scaling and squaring: square roots until each matrix is near I, then
    log(A) = 2 atanh((A - I)(A + I)^-1), summed as its series, times 2^roots."""
    if x.size == 0:
        return x.copy()
    stack = _as_stack(x)
    n = int(stack.shape[-1])
    eye = xp.eye(n, dtype=stack.dtype)
    roots = 0
    current = stack
    while roots < 60 and bool((_one_norm(xp, current - eye) > 0.25).any()):
        current, converged = _denman_beavers(xp, current)
        if not bool(converged.all()):
            return xp.full(x.shape, complex("nan+nanj"), dtype=x.dtype)
        roots += 1
    z = xp.linalg.solve(current + eye, current - eye)
    z_square = z @ z
    term, total = z, z.copy()
    for k in range(1, 40):
        term = term @ z_square
        total = total + term / (2 * k + 1)
        if float(_one_norm(xp, term).max()) <= float(xp.finfo(x.real.dtype).eps) * 1e-2:
            break
    return (2.0 * 2.0**roots * total).astype(x.dtype, copy=False).reshape(x.shape)


def _kronecker(a, b):
    """The Kronecker product of two [..., n, n] stacks, [..., n * n, n * n]."""
    n = array_ops.shape(a)[-1]
    outer = array_ops.expand_dims(array_ops.expand_dims(a, -1), -3) * \
        array_ops.expand_dims(array_ops.expand_dims(b, -2), -4)  # [..., i, k, j, l] = a[i, j] b[k, l]
    size = array_ops.reshape(n * n, [1])
    return array_ops.reshape(outer, concat_ops.concat([array_ops.shape(outer)[:-4], size, size], 0))


def _sqrtm_grad(op, grad):
    """TF's _MatrixSquareRootGrad: dA = dR R + R dR, so the gradient X solves the adjoint Sylvester
    equation R^H X + X R^H = grad, solved as one linear system over the Kronecker sum."""
    root = op.outputs[0]
    root_h = manipulation_ops.matrix_transpose(root, conjugate=True)
    eye = matrix_ops._eye_like(root)
    # row-major vec: vec(A X B) = (A kron B^T) vec(X)
    system = _kronecker(root_h, eye) + _kronecker(eye, manipulation_ops.matrix_transpose(root_h))
    shape = array_ops.shape(grad)
    vec = array_ops.reshape(grad, concat_ops.concat([shape[:-2], [-1, 1]], 0))
    return (array_ops.reshape(matrix_ops.matrix_solve(system, vec), shape),)


register(OpDef("MatrixSquareRoot", infer=_sqrtm_infer, kernel=_sqrtm_kernel, grad=_sqrtm_grad,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type"}))
register(OpDef("MatrixLogarithm", infer=_logm_infer, kernel=_logm_kernel, grad=None,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type"}))


def matrix_square_root(input, name=None):  # noqa: A002 - TF's argument name
    """The principal square root of each inner-most square matrix, as `tf.linalg.sqrtm` /
    `tf.matrix_square_root` (nan where no principal root exists, as TF's).

        r = tf.linalg.sqrtm([[4.0, 0.0], [0.0, 9.0]])   # [[2, 0], [0, 3]]
    """
    return apply_op("MatrixSquareRoot", input, name=name or "MatrixSquareRoot")


def matrix_logarithm(input, name=None):  # noqa: A002 - TF's argument name
    """The principal logarithm of each inner-most complex square matrix, as `tf.linalg.logm`
    (complex64 and complex128 only, as TF's op)."""
    return apply_op("MatrixLogarithm", input, name=name or "MatrixLogarithm")


# ---- LU with partial pivoting --------------------------------------------------------------------------
def _lu_infer(x, *, output_idx_type):
    _check_type(x, _REAL_AND_COMPLEX, "Lu")
    if output_idx_type not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"output_idx_type must be int32 or int64, got {output_idx_type.name}")
    found = matrix_ops.square_dims(x)
    if found is None:
        return [TensorSpec(TensorShape(None), x.dtype), TensorSpec(TensorShape(None), output_idx_type)]
    batch, n = found
    return [TensorSpec(x.shape, x.dtype), TensorSpec(batch + [n], output_idx_type)]


def _swap_rows(xp, a, rows, i, j):
    """Swap row i with row j[b] in each matrix b of a stack, in place."""
    kept = a[rows, i].copy()
    a[rows, i] = a[rows, j]
    a[rows, j] = kept


def _lu_kernel(xp, x, output_idx_type):
    n = int(x.shape[-1])
    lu = _as_stack(x).copy()
    count = int(lu.shape[0])
    rows = xp.arange(count)
    perm = xp.broadcast_to(xp.arange(n), (count, n)).copy()
    for k in range(n):
        pivot = xp.argmax(xp.abs(lu[:, k:, k]), axis=1) + k
        _swap_rows(xp, lu, rows, k, pivot)
        _swap_rows(xp, perm, rows, k, pivot)
        if bool((lu[:, k, k] == 0).any()):
            raise _invalid("Input is not invertible.")
        lu[:, k + 1:, k] /= lu[:, k, k][:, None]
        lu[:, k + 1:, k + 1:] -= lu[:, k + 1:, k, None] * lu[:, k, None, k + 1:]
    return lu.reshape(x.shape), perm.astype(output_idx_type.as_numpy_dtype).reshape(x.shape[:-1])


register(OpDef("Lu", infer=_lu_infer, kernel=_lu_kernel, grad=None, attrs={"output_idx_type": dtypes.int32},
               input_names=("input: T",), output_names=("lu: T", "p: output_idx_type"),
               attr_types={"T": "type", "output_idx_type": "type"}))


def lu(input, output_idx_type=dtypes.int32, name=None):  # noqa: A002 - TF's argument name
    """The LU decomposition with partial pivoting of each inner-most square matrix, as `tf.linalg.lu`:
    (lu, p) with `input[p] = L @ U`, L unit lower triangular (strictly below lu's diagonal) and U
    upper triangular (lu's diagonal and above). A singular matrix is an InvalidArgumentError."""
    lu_out, p = apply_op("Lu", input, name=name or "Lu", output_idx_type=dtypes.as_dtype(output_idx_type))
    return lu_out, p


# ---- tridiagonal matrices ----------------------------------------------------------------------------------
def _tridiagonal_matmul_infer(superdiag, maindiag, subdiag, rhs):
    for spec in (superdiag, maindiag, subdiag, rhs):
        _check_type(spec, _TRIDIAGONAL_TYPES, "TridiagonalMatMul")
    dims = rhs.shape.as_tuple()
    if dims is not None and len(dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(dims)}")
    for spec in (superdiag, maindiag, subdiag):
        diag = spec.shape.as_tuple()
        if diag is None:
            continue
        if len(diag) < 2 or (diag[-2] is not None and diag[-2] != 1):
            raise ValueError(f"the diagonals must have shape [..., 1, M], got {list(diag)}")
        if dims is not None and diag[-1] is not None and dims[-2] is not None and diag[-1] != dims[-2]:
            raise ValueError(f"Dimensions must be equal, but are {diag[-1]} and {dims[-2]}")
    return TensorSpec(rhs.shape, rhs.dtype)


def _tridiagonal_matmul_kernel(xp, superdiag, maindiag, subdiag, rhs):
    sup = xp.swapaxes(superdiag, -1, -2)  # [..., M, 1]
    main = xp.swapaxes(maindiag, -1, -2)
    sub = xp.swapaxes(subdiag, -1, -2)
    out = main * rhs
    if int(rhs.shape[-2]) > 1:
        out[..., :-1, :] += sup[..., :-1, :] * rhs[..., 1:, :]
        out[..., 1:, :] += sub[..., 1:, :] * rhs[..., :-1, :]
    return out.astype(rhs.dtype, copy=False)


def _conj(x):
    return unary_ops.conj(x) if x.dtype.is_complex else x


def _shift_left(x):
    """x[..., 1:] followed by a zero along the last axis."""
    return concat_ops.concat([x[..., 1:], fill_ops.zeros_like(x[..., :1])], -1)


def _shift_right(x):
    """A zero followed by x[..., :-1] along the last axis."""
    return concat_ops.concat([fill_ops.zeros_like(x[..., :1]), x[..., :-1]], -1)


def _row_sums(a, b):
    """sum_k a[..., i, k] * conj(b[..., i, k]) as [..., 1, M]."""
    return array_ops.expand_dims(reduction_ops.reduce_sum(a * _conj(b), axis=-1), -2)


def _tridiagonal_matmul_grad(op, grad):
    """The rows of grad x rhs^H on the three diagonals, and the adjoint matrix times grad."""
    superdiag, maindiag, subdiag, rhs = op.inputs
    rhs_below = concat_ops.concat([rhs[..., 1:, :], fill_ops.zeros_like(rhs[..., :1, :])], -2)
    rhs_above = concat_ops.concat([fill_ops.zeros_like(rhs[..., :1, :]), rhs[..., :-1, :]], -2)
    grad_super = _row_sums(grad, rhs_below)
    grad_main = _row_sums(grad, rhs)
    grad_sub = _row_sums(grad, rhs_above)
    # adjoint: super'[i] = conj(sub[i + 1]), main' = conj(main), sub'[i] = conj(super[i - 1])
    grad_rhs = tridiagonal_mat_mul(_shift_left(_conj(subdiag)), _conj(maindiag), _shift_right(_conj(superdiag)), grad)
    return grad_super, grad_main, grad_sub, grad_rhs


register(OpDef("TridiagonalMatMul", infer=_tridiagonal_matmul_infer, kernel=_tridiagonal_matmul_kernel,
               grad=_tridiagonal_matmul_grad, same_dtype="all",
               input_names=("superdiag: T", "maindiag: T", "subdiag: T", "rhs: T"), output_names=("output: T",),
               attr_types={"T": "type"}))


def tridiagonal_mat_mul(superdiag, maindiag, subdiag, rhs, name=None):
    """The TridiagonalMatMul op: diagonals [..., 1, M] each, rhs [..., M, N]."""
    return apply_op("TridiagonalMatMul", superdiag, maindiag, subdiag, rhs, name=name or "TridiagonalMatMul")


def _tridiagonal_solve_infer(diagonals, rhs, *, partial_pivoting, perturb_singular):
    _check_type(diagonals, _TRIDIAGONAL_TYPES, "TridiagonalSolve")
    diags, dims = diagonals.shape.as_tuple(), rhs.shape.as_tuple()
    if diags is not None:
        if len(diags) < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {len(diags)}")
        if diags[-2] is not None and diags[-2] != 3:
            raise ValueError(f"Dimension must be 3 but is {diags[-2]}")
    if dims is not None and len(dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(dims)}")
    if diags is not None and dims is not None and diags[-1] is not None and dims[-2] is not None \
            and diags[-1] != dims[-2]:
        raise ValueError(f"Dimensions must be equal, but are {diags[-1]} and {dims[-2]}")
    return TensorSpec(rhs.shape, rhs.dtype)


def _solve_with_pivoting(xp, sup, main, sub, b, perturb_singular):
    """Gaussian elimination with partial pivoting on [B, M] diagonals and [B, M, K] right-hand
    sides (LAPACK gtsv's scheme: a row swap brings a second superdiagonal)."""
    m = int(main.shape[-1])
    second = xp.zeros_like(main)
    for i in range(m - 1):
        swap = xp.abs(main[:, i]) < xp.abs(sub[:, i + 1])
        keep = ~swap
        # no swap: eliminate sub[i + 1] with row i
        safe_main = xp.where(main[:, i] == 0, xp.ones_like(main[:, i]), main[:, i])
        factor = xp.where(keep, sub[:, i + 1] / safe_main, main[:, i] / xp.where(swap, sub[:, i + 1], 1))
        row_i_main = xp.where(swap, sub[:, i + 1], main[:, i])
        row_i_sup = xp.where(swap, main[:, i + 1], sup[:, i])
        row_i_second = xp.where(swap, sup[:, i + 1] if i + 1 < m - 1 else xp.zeros_like(main[:, i]),
                                xp.zeros_like(main[:, i]))
        next_main = xp.where(swap, sup[:, i] - factor * main[:, i + 1], main[:, i + 1] - factor * sup[:, i])
        if i + 1 < m - 1:
            sup[:, i + 1] = xp.where(swap, -factor * sup[:, i + 1], sup[:, i + 1])
        b_i, b_next = b[:, i].copy(), b[:, i + 1].copy()
        f = factor[:, None]
        b[:, i] = xp.where(swap[:, None], b_next, b_i)
        b[:, i + 1] = xp.where(swap[:, None], b_i - f * b_next, b_next - f * b_i)
        main[:, i], sup[:, i], second[:, i], main[:, i + 1] = row_i_main, row_i_sup, row_i_second, next_main
    if perturb_singular:
        magnitude = xp.maximum(xp.abs(main).max(axis=1), xp.abs(sup[:, :-1]).max(axis=1) if m > 1 else 0)
        tiny = float(xp.finfo(main.real.dtype).eps) * magnitude
        small = xp.abs(main) < tiny[:, None]
        main = xp.where(small, xp.where(main.real < 0, -tiny[:, None], tiny[:, None]).astype(main.dtype), main)
    singular = (main == 0).any(axis=1)
    main = xp.where(main == 0, xp.ones_like(main), main)
    x = xp.zeros_like(b)
    for i in range(m - 1, -1, -1):
        value = b[:, i]
        if i + 1 < m:
            value = value - sup[:, i, None] * x[:, i + 1]
        if i + 2 < m:
            value = value - second[:, i, None] * x[:, i + 2]
        x[:, i] = value / main[:, i, None]
    return _nan_where(xp, x, singular)


def _nan_where(xp, x, singular):
    """As TF's kernel: a singular system's solution is all nan (no error)."""
    return xp.where(singular[:, None, None], xp.asarray(float("nan"), dtype=x.dtype), x)


def _solve_without_pivoting(xp, sup, main, sub, b):
    """The Thomas algorithm on [B, M] diagonals and [B, M, K] right-hand sides."""
    m = int(main.shape[-1])
    failed = xp.zeros(main.shape[:1], dtype=bool)
    for i in range(m):
        zero = main[:, i] == 0  # not invertible, or needs pivoting: nan, as TF's kernel
        failed = failed | zero
        main[:, i] = xp.where(zero, xp.ones_like(main[:, i]), main[:, i])
        if i + 1 < m:
            factor = sub[:, i + 1] / main[:, i]
            main[:, i + 1] = main[:, i + 1] - factor * sup[:, i]
            b[:, i + 1] = b[:, i + 1] - factor[:, None] * b[:, i]
    x = xp.zeros_like(b)
    for i in range(m - 1, -1, -1):
        value = b[:, i] if i + 1 == m else b[:, i] - sup[:, i, None] * x[:, i + 1]
        x[:, i] = value / main[:, i, None]
    return _nan_where(xp, x, failed)


def _broadcast_batch(a, b):
    a, b = (1,) * (len(b) - len(a)) + tuple(int(d) for d in a), (1,) * (len(a) - len(b)) + tuple(int(d) for d in b)
    if any(x != y and 1 not in (x, y) for x, y in zip(a, b, strict=True)):
        raise _invalid(f"Incompatible batch shapes {list(a)} and {list(b)}")
    return tuple(max(x, y) if 1 in (x, y) else x for x, y in zip(a, b, strict=True))


def _tridiagonal_solve_kernel(xp, diagonals, rhs, partial_pivoting=True, perturb_singular=False):
    if perturb_singular and not partial_pivoting:
        raise _invalid("partial_pivoting must be True when perturb_singular is True.")
    m, k = int(rhs.shape[-2]), int(rhs.shape[-1])
    if int(diagonals.shape[-1]) != m:
        raise _invalid(f"Expected the diagonals' last dimension to be {m}, got {int(diagonals.shape[-1])}")
    batch = _broadcast_batch(tuple(diagonals.shape[:-2]), tuple(rhs.shape[:-2]))
    if m == 0 or k == 0:
        return xp.zeros(tuple(batch) + (m, k), dtype=rhs.dtype)
    diags = xp.broadcast_to(diagonals, tuple(batch) + (3, m)).reshape((-1, 3, m))
    b = xp.broadcast_to(rhs, tuple(batch) + (m, k)).reshape((-1, m, k)).astype(rhs.dtype, copy=True)
    sup, main, sub = (diags[:, row].astype(rhs.dtype, copy=True) for row in range(3))
    if partial_pivoting:
        x = _solve_with_pivoting(xp, sup, main, sub, b, perturb_singular)
    else:
        x = _solve_without_pivoting(xp, sup, main, sub, b)
    return x.reshape(tuple(batch) + (m, k))


def _transpose_tridiagonal(diagonals):
    """The diagonals [..., 3, M] of the adjoint matrix."""
    sup, main, sub = diagonals[..., 0, :], diagonals[..., 1, :], diagonals[..., 2, :]
    return concat_ops.stack([_shift_left(_conj(sub)), _conj(main), _shift_right(_conj(sup))], axis=-2)


def _tridiagonal_solve_grad(op, grad):
    """x = A^-1 b: grad_b = A^-H grad; grad_A = -grad_b x^H, kept on the three diagonals."""
    diagonals, rhs = op.inputs
    x = op.outputs[0]
    grad_rhs = tridiagonal_solve_op(_transpose_tridiagonal(diagonals), grad,
                                    partial_pivoting=op.get_attr("partial_pivoting"),
                                    perturb_singular=op.get_attr("perturb_singular"))
    x_below = concat_ops.concat([x[..., 1:, :], fill_ops.zeros_like(x[..., :1, :])], -2)
    x_above = concat_ops.concat([fill_ops.zeros_like(x[..., :1, :]), x[..., :-1, :]], -2)
    grad_diags = -concat_ops.concat([_row_sums(grad_rhs, x_below), _row_sums(grad_rhs, x),
                                     _row_sums(grad_rhs, x_above)], axis=-2)
    return grad_diags, grad_rhs


register(OpDef("TridiagonalSolve", infer=_tridiagonal_solve_infer, kernel=_tridiagonal_solve_kernel,
               grad=_tridiagonal_solve_grad, attrs={"partial_pivoting": True, "perturb_singular": False},
               same_dtype="all", input_names=("diagonals: T", "rhs: T"), output_names=("output: T",),
               attr_types={"partial_pivoting": "bool", "perturb_singular": "bool", "T": "type"}))


def tridiagonal_solve_op(diagonals, rhs, partial_pivoting=True, perturb_singular=False, name=None):
    """The TridiagonalSolve op: diagonals [..., 3, M] (super, main, sub), rhs [..., M, K]."""
    return apply_op("TridiagonalSolve", diagonals, rhs, name=name or "TridiagonalSolve",
                    partial_pivoting=bool(partial_pivoting), perturb_singular=bool(perturb_singular))
