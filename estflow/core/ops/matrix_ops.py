"""Batched matrix ops: band and diagonal masks (composites), and the decompositions and solvers
TF1 exposes as tf.cholesky, tf.matrix_determinant, tf.matrix_inverse, tf.matrix_solve,
tf.matrix_triangular_solve, tf.self_adjoint_eig and tf.svd (TF's op types of those names).

Every op works on the inner-most two dims, batched over the rest; gradients are TF's
(linalg_grad.py), written with the ops here. The mask composites select with a boolean
mask from row and column indices, so they work on any batch shape.
"""

from __future__ import annotations

from estflow.core import dtypes, errors
from estflow.core.graph import name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    manipulation_ops,
    matmul_ops,
    reduction_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_LINALG_TYPES = (dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


# ---- masks over the inner-most matrices (composites) ---------------------------------------------
def _inner_dims(x):
    static = x.shape.as_tuple()
    if static is None or len(static) < 2:
        raise ValueError(f"{x.name} must have rank at least 2, got shape {x.shape}")
    dynamic = array_ops.shape(x)
    rows = static[-2] if static[-2] is not None else dynamic[-2]
    columns = static[-1] if static[-1] is not None else dynamic[-1]
    return rows, columns


def _index_grid(rows, columns):
    row = array_ops.expand_dims(fill_ops.range_(rows), 1)
    column = array_ops.expand_dims(fill_ops.range_(columns), 0)
    return row, column


def diagonal_mask(rows, columns):
    """A [rows, columns] bool tensor, True on the main diagonal."""
    row, column = _index_grid(rows, columns)
    return comparison_ops.equal(row, column)


def matrix_band_part(input, num_lower, num_upper, name=None):  # noqa: A002 - TF's argument name
    """`input` with everything outside a band around the diagonal zeroed, as `tf.linalg.band_part`.

    `num_lower` sub-diagonals and `num_upper` super-diagonals are kept; a negative count keeps
    the whole triangle: `band_part(x, 0, -1)` is the upper triangle, `band_part(x, 0, 0)` the diagonal.
    """
    with name_scope(name, "MatrixBandPart", [input, num_lower, num_upper]):
        x = convert_to_tensor(input, name="input")
        row, column = _index_grid(*_inner_dims(x))
        lower = convert_to_tensor(num_lower, dtype=dtypes.int32, name="num_lower")
        upper = convert_to_tensor(num_upper, dtype=dtypes.int32, name="num_upper")
        keep_lower = comparison_ops.logical_or(comparison_ops.less(lower, 0), (row - column) <= lower)
        keep_upper = comparison_ops.logical_or(comparison_ops.less(upper, 0), (column - row) <= upper)
        mask = comparison_ops.logical_and(keep_lower, keep_upper)
        return comparison_ops.where_v2(mask, x, fill_ops.zeros_like(x))


def matrix_diag(diagonal, name="diag"):
    """Batched diagonal matrices: [..., n] -> [..., n, n] with `diagonal` on the diagonal, as `tf.linalg.diag`."""
    with name_scope(name, "MatrixDiag", [diagonal]):
        d = convert_to_tensor(diagonal, name="diagonal")
        n = d.shape.as_tuple()[-1] if d.shape.ndims else None
        n = array_ops.shape(d)[-1] if n is None else n
        full = array_ops.expand_dims(d, -1)
        return comparison_ops.where_v2(diagonal_mask(n, n), full, fill_ops.zeros_like(full))


def matrix_diag_part(input, name="diag_part"):  # noqa: A002 - TF's argument name
    """The diagonals of the inner-most matrices: [..., m, n] -> [..., min(m, n)], as `tf.linalg.diag_part`."""
    with name_scope(name, "MatrixDiagPart", [input]):
        x = convert_to_tensor(input, name="input")
        rows, columns = _inner_dims(x)
        kept = comparison_ops.where_v2(diagonal_mask(rows, columns), x, fill_ops.zeros_like(x))
        if isinstance(rows, int) and isinstance(columns, int):
            return reduction_ops.reduce_sum(kept, axis=-1 if rows <= columns else -2)
        k = reduction_ops.reduce_min(concat_ops.stack([rows, columns]))
        return reduction_ops.reduce_sum(kept, axis=-1)[..., :k]


def matrix_set_diag(input, diagonal, name="set_diag"):  # noqa: A002 - TF's argument name
    """`input` with the diagonals of its inner-most matrices replaced by `diagonal`, as `tf.linalg.set_diag`."""
    with name_scope(name, "MatrixSetDiag", [input, diagonal]):
        x = convert_to_tensor(input, name="input")
        d = convert_to_tensor(diagonal, name="diagonal", dtype=x.dtype)
        rows, columns = _inner_dims(x)
        # [..., m, 1] puts entry i of the diagonal on row i; [..., 1, n] puts entry j on column j
        tall = isinstance(rows, int) and isinstance(columns, int) and rows > columns
        spread = array_ops.expand_dims(d, -2 if tall else -1)
        return comparison_ops.where_v2(diagonal_mask(rows, columns), spread, x)


def _adjoint(x):
    return manipulation_ops.matrix_transpose(x, conjugate=True)


def _eye_like(x):
    """Identity matrices with x's batch shape and inner size (x square)."""
    n = _inner_dims(x)[1]
    eye = cast_ops.cast(diagonal_mask(n, n), x.dtype)
    return eye + fill_ops.zeros_like(x)


# ---- shape rules --------------------------------------------------------------------------------------
def _check_type(x, op_name):
    if x.dtype not in _LINALG_TYPES:
        raise TypeError(f"Value passed to parameter 'input' of '{op_name}' has DataType {x.dtype.name} not in list "
                        "of allowed values: float32, float64, complex64, complex128")


def _square(x, op_name):
    _check_type(x, op_name)
    return square_dims(x)


def square_dims(x):
    """(batch dims, n) of a square-matrix input's static shape, or None for an unknown rank."""
    dims = x.shape.as_tuple()
    if dims is None:
        return None
    if len(dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(dims)}")
    m, n = dims[-2:]
    if m is not None and n is not None and m != n:
        raise ValueError(f"Dimensions must be equal, but are {m} and {n}")
    return list(dims[:-2]), (m if m is not None else n)


def _same_spec(x, **_):
    _square(x, "matrix op")
    return TensorSpec(x.shape, x.dtype)


def _batch_scalar_spec(x, **_):
    found = _square(x, "MatrixDeterminant")
    return TensorSpec(TensorShape(None) if found is None else found[0], x.dtype)


def _slogdet_spec(x, **_):
    spec = _batch_scalar_spec(x)
    return [spec, spec]


def _broadcast_batch(a: list, b: list) -> TensorShape:
    """The batch dims of two operands broadcast (MatrixTriangularSolve broadcasts; MatrixSolve's agree)."""
    a = [1] * (len(b) - len(a)) + a
    b = [1] * (len(a) - len(b)) + b
    out = []
    for x, y in zip(a, b, strict=True):
        if x == 1 or y == 1:
            out.append(y if x == 1 else x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x != y:
            raise ValueError(f"Incompatible batch dimensions: {x} and {y}")
        else:
            out.append(x)
    return TensorShape(out)


def _solve_spec(matrix, rhs, **_):
    found = _square(matrix, "MatrixSolve")
    dims = rhs.shape.as_tuple()
    if found is None or dims is None:
        return TensorSpec(TensorShape(None), matrix.dtype)
    if len(dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(dims)}")
    n = found[1]
    if n is not None and dims[-2] is not None and n != dims[-2]:
        raise ValueError(f"Dimensions must be equal, but are {n} and {dims[-2]}")
    batch = _broadcast_batch(found[0], list(dims[:-2]))
    return TensorSpec(batch.concatenate([n if n is not None else dims[-2], dims[-1]]), matrix.dtype)


def _eigh_spec(x, compute_v=True):
    found = _square(x, "SelfAdjointEigV2")
    if found is None:
        return [TensorSpec(TensorShape(None), x.dtype), TensorSpec(TensorShape(None), x.dtype)]
    batch, n = found
    v = batch + [n, n] if compute_v else [0]
    return [TensorSpec(batch + [n], x.dtype), TensorSpec(v, x.dtype)]


def _svd_spec(x, compute_uv=True, full_matrices=False):
    _check_type(x, "Svd")
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(TensorShape(None), x.dtype)] * 3
    if len(dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(dims)}")
    *batch, m, n = dims
    k = None if m is None or n is None else min(m, n)
    if not compute_uv:
        u, v = [0], [0]
    elif full_matrices:
        u, v = batch + [m, m], batch + [n, n]
    else:
        u, v = batch + [m, k], batch + [n, k]
    return [TensorSpec(batch + [k], x.dtype), TensorSpec(u, x.dtype), TensorSpec(v, x.dtype)]


# ---- kernels --------------------------------------------------------------------------------------------
def _linalg_error(message):
    return errors.InvalidArgumentError(None, None, message)


def _cholesky_kernel(xp, x):
    try:
        out = xp.linalg.cholesky(x)
    except ValueError:  # numpy's LinAlgError
        raise _linalg_error("Cholesky decomposition was not successful. The input might not be valid.") from None
    if not bool(xp.isfinite(out).all()) and bool(xp.isfinite(x).all()):  # cupy returns nan instead of raising
        raise _linalg_error("Cholesky decomposition was not successful. The input might not be valid.")
    return out.astype(x.dtype, copy=False)


def _inverse_kernel(xp, x, adjoint=False):
    a = xp.conj(xp.swapaxes(x, -1, -2)) if adjoint else x
    try:
        out = xp.linalg.inv(a)
    except ValueError:
        raise _linalg_error("Input is not invertible.") from None
    return out.astype(x.dtype, copy=False)


def _solve_kernel(xp, matrix, rhs, adjoint=False):
    a = xp.conj(xp.swapaxes(matrix, -1, -2)) if adjoint else matrix
    try:
        out = xp.linalg.solve(a, rhs)
    except ValueError:
        raise _linalg_error("Input matrix is not invertible.") from None
    return out.astype(matrix.dtype, copy=False)


def _triangular_solve_kernel(xp, matrix, rhs, lower=True, adjoint=False):
    a = xp.tril(matrix) if lower else xp.triu(matrix)  # TF reads only the named triangle
    if adjoint:
        a = xp.conj(xp.swapaxes(a, -1, -2))
    try:
        out = xp.linalg.solve(a, rhs)
    except ValueError:
        raise _linalg_error("Input matrix is not invertible.") from None
    return out.astype(matrix.dtype, copy=False)


def _det_kernel(xp, x):
    return xp.linalg.det(x).astype(x.dtype, copy=False)


def _slogdet_kernel(xp, x):
    sign, log_abs = xp.linalg.slogdet(x)
    return sign.astype(x.dtype, copy=False), log_abs.astype(x.dtype, copy=False)


def _eigh_kernel(xp, x, compute_v=True):
    e, v = xp.linalg.eigh(x)  # reads the lower triangle, as TF does
    e = e.astype(x.dtype, copy=False)
    return (e, v.astype(x.dtype, copy=False)) if compute_v else (e, xp.zeros((0,), dtype=x.dtype))


def _svd_kernel(xp, x, compute_uv=True, full_matrices=False):
    if not compute_uv:
        s = xp.linalg.svd(x, compute_uv=False).astype(x.dtype, copy=False)
        empty = xp.zeros((0,), dtype=x.dtype)
        return s, empty, empty
    u, s, vh = xp.linalg.svd(x, full_matrices=full_matrices)
    v = xp.conj(xp.swapaxes(vh, -1, -2))
    return s.astype(x.dtype, copy=False), u.astype(x.dtype, copy=False), v.astype(x.dtype, copy=False)


# ---- gradients (TF's linalg_grad.py) ---------------------------------------------------------------------
def _as_batch_matrices(grad):
    """grad [...] reshaped to [..., 1, 1]."""
    return array_ops.expand_dims(array_ops.expand_dims(grad, -1), -1)


def _det_grad(op, grad):
    return (_as_batch_matrices(grad * op.outputs[0]) * matrix_inverse(op.inputs[0], adjoint=True),)


def _slogdet_grad(op, grad_sign, grad_log_abs):
    if grad_log_abs is None:
        return (None,)
    return (_as_batch_matrices(grad_log_abs) * matrix_inverse(op.inputs[0], adjoint=True),)


def _inverse_grad(op, grad):
    inverse = op.outputs[0]
    adjoint = op.get_attr("adjoint")
    inner = matmul_ops.matmul(grad, inverse, adjoint_a=adjoint, adjoint_b=not adjoint)
    return (-matmul_ops.matmul(inverse, inner, adjoint_a=not adjoint),)


def _solve_grad(op, grad):
    adjoint = op.get_attr("adjoint")
    c = op.outputs[0]
    grad_b = matrix_solve(op.inputs[0], grad, adjoint=not adjoint)
    grad_a = -matmul_ops.matmul(c, grad_b, adjoint_b=True) if adjoint else \
        -matmul_ops.matmul(grad_b, c, adjoint_b=True)
    return grad_a, grad_b


def _triangular_solve_grad(op, grad):
    adjoint = op.get_attr("adjoint")
    lower = op.get_attr("lower")
    c = op.outputs[0]
    grad_b = matrix_triangular_solve(op.inputs[0], grad, lower=lower, adjoint=not adjoint)
    grad_a = -matmul_ops.matmul(c, grad_b, adjoint_b=True) if adjoint else \
        -matmul_ops.matmul(grad_b, c, adjoint_b=True)
    grad_a = matrix_band_part(grad_a, -1, 0) if lower else matrix_band_part(grad_a, 0, -1)
    return grad_a, grad_b


def _cholesky_grad(op, grad):
    low = op.outputs[0]
    low_inverse = matrix_triangular_solve(low, _eye_like(low))
    middle = matmul_ops.matmul(low, grad, adjoint_a=True)
    middle = matrix_set_diag(middle, 0.5 * matrix_diag_part(middle))
    middle = matrix_band_part(middle, -1, 0)
    grad_a = matmul_ops.matmul(matmul_ops.matmul(low_inverse, middle, adjoint_a=True), low_inverse)
    return ((grad_a + _adjoint(grad_a)) * 0.5,)


def _symmetric_lower(grad_a):
    """The gradient of an op that reads only the lower triangle of a self-adjoint input."""
    grad_a = matrix_band_part(grad_a + _adjoint(grad_a), -1, 0)
    return matrix_set_diag(grad_a, 0.5 * matrix_diag_part(grad_a))


def _eigh_grad(op, grad_e, grad_v):
    e = op.outputs[0]
    if op.get_attr("compute_v"):
        v = op.outputs[1]
    else:
        _, v = self_adjoint_eig(op.inputs[0])
    if grad_e is None:
        grad_e = fill_ops.zeros_like(e)
    middle = matrix_diag(grad_e)
    if op.get_attr("compute_v") and grad_v is not None:
        gaps = array_ops.expand_dims(e, -2) - array_ops.expand_dims(e, -1)
        safe = comparison_ops.where_v2(comparison_ops.equal(gaps, 0), fill_ops.ones_like(gaps), gaps)
        f = matrix_set_diag(1 / safe, fill_ops.zeros_like(e))
        middle = middle + f * matmul_ops.matmul(v, grad_v, adjoint_a=True)
    grad_a = matmul_ops.matmul(v, matmul_ops.matmul(middle, v, adjoint_b=True))
    return (_symmetric_lower(grad_a),)


def _svd_grad(op, grad_s, grad_u, grad_v):
    """TF's _SvdGrad: the singular values' part, plus for real inputs the vectors' part (Townsend's
    formula) on the reduced decomposition."""
    a = op.inputs[0]
    full_matrices = op.get_attr("full_matrices")
    if op.get_attr("compute_uv"):
        s, u, v = op.outputs
    else:
        s, u, v = svd_op(a, compute_uv=True, full_matrices=False)
        grad_u = grad_v = None
    if grad_s is None:
        grad_s = fill_ops.zeros_like(s)
    rows, columns = _inner_dims(a)
    if full_matrices:  # as TF: the reduced decomposition's columns carry the gradient
        if isinstance(rows, int) and isinstance(columns, int) and abs(rows - columns) > 1:
            raise NotImplementedError("SVD gradient has not been implemented for input with unequal number of rows "
                                      "and columns and full_matrices=True")
        k = reduction_ops.reduce_min(concat_ops.stack([rows, columns]))
        u, v = u[..., :k], v[..., :k]
        grad_u = None if grad_u is None else grad_u[..., :k]
        grad_v = None if grad_v is None else grad_v[..., :k]
    grad_a = matmul_ops.matmul(u, matmul_ops.matmul(matrix_diag(grad_s), v, adjoint_b=True))
    if grad_u is None and grad_v is None:
        return (grad_a,)
    if a.dtype.is_complex:
        raise LookupError("the gradient of tf.svd's u and v is only supported for real matrices in estflow")
    grad_u = fill_ops.zeros_like(u) if grad_u is None else grad_u
    grad_v = fill_ops.zeros_like(v) if grad_v is None else grad_v
    s_square = s * s
    gaps = array_ops.expand_dims(s_square, -2) - array_ops.expand_dims(s_square, -1)  # [j] - [i] = s_j^2 - s_i^2
    safe = comparison_ops.where_v2(comparison_ops.equal(gaps, 0), fill_ops.ones_like(gaps), gaps)
    f = matrix_set_diag(1 / safe, fill_ops.zeros_like(s))
    s_matrix = matrix_diag(s)
    s_inverse = matrix_diag(1 / s)
    u_t_du = matmul_ops.matmul(u, grad_u, adjoint_a=True)
    v_t_dv = matmul_ops.matmul(v, grad_v, adjoint_a=True)
    j = f * (u_t_du - _adjoint(u_t_du))
    k = f * (v_t_dv - _adjoint(v_t_dv))
    inner = matmul_ops.matmul(j, s_matrix) + matmul_ops.matmul(s_matrix, k)
    grad_a = grad_a + matmul_ops.matmul(u, matmul_ops.matmul(inner, v, adjoint_b=True))
    eye_m = cast_ops.cast(diagonal_mask(rows, rows), a.dtype)
    eye_n = cast_ops.cast(diagonal_mask(columns, columns), a.dtype)
    # the parts of grad_u, grad_v outside the span of u, v (zero when m == n)
    outside_u = matmul_ops.matmul(eye_m - matmul_ops.matmul(u, u, adjoint_b=True), grad_u)
    grad_a = grad_a + matmul_ops.matmul(outside_u, matmul_ops.matmul(s_inverse, v, adjoint_b=True))
    outside_v = matmul_ops.matmul(eye_n - matmul_ops.matmul(v, v, adjoint_b=True), grad_v)
    grad_a = grad_a + matmul_ops.matmul(u, matmul_ops.matmul(s_inverse, outside_v, adjoint_b=True))
    return (grad_a,)


# ---- registration -----------------------------------------------------------------------------------------
_T = {"T": "type"}
register(OpDef("Cholesky", infer=_same_spec, kernel=_cholesky_kernel, grad=_cholesky_grad,
               input_names=("input: T",), output_names=("output: T",), attr_types=_T))
register(OpDef("MatrixDeterminant", infer=_batch_scalar_spec, kernel=_det_kernel, grad=_det_grad,
               input_names=("input: T",), output_names=("output: T",), attr_types=_T))
register(OpDef("LogMatrixDeterminant", infer=_slogdet_spec, kernel=_slogdet_kernel, grad=_slogdet_grad,
               input_names=("input: T",), output_names=("sign: T", "log_abs_determinant: T"), attr_types=_T))
register(OpDef("MatrixInverse", infer=_same_spec, kernel=_inverse_kernel, grad=_inverse_grad,
               attrs={"adjoint": False}, input_names=("input: T",), output_names=("output: T",),
               attr_types={"adjoint": "bool", "T": "type"}))
register(OpDef("MatrixSolve", infer=_solve_spec, kernel=_solve_kernel, grad=_solve_grad, attrs={"adjoint": False},
               same_dtype="all", input_names=("matrix: T", "rhs: T"), output_names=("output: T",),
               attr_types={"adjoint": "bool", "T": "type"}))
register(OpDef("MatrixTriangularSolve", infer=_solve_spec, kernel=_triangular_solve_kernel,
               grad=_triangular_solve_grad, attrs={"lower": True, "adjoint": False}, same_dtype="all",
               input_names=("matrix: T", "rhs: T"), output_names=("output: T",),
               attr_types={"lower": "bool", "adjoint": "bool", "T": "type"}))
register(OpDef("SelfAdjointEigV2", infer=_eigh_spec, kernel=_eigh_kernel, grad=_eigh_grad,
               attrs={"compute_v": True}, input_names=("input: T",), output_names=("e: T", "v: T"),
               attr_types={"compute_v": "bool", "T": "type"}))
register(OpDef("Svd", infer=_svd_spec, kernel=_svd_kernel, grad=_svd_grad,
               attrs={"compute_uv": True, "full_matrices": False}, input_names=("input: T",),
               output_names=("s: T", "u: T", "v: T"),
               attr_types={"compute_uv": "bool", "full_matrices": "bool", "T": "type"}))


# ---- public functions ---------------------------------------------------------------------------------------
def cholesky(input, name=None):  # noqa: A002 - TF's argument name
    """The lower-triangular L with L L^H = input, for each inner-most matrix, as `tf.cholesky`
    (only the lower triangle of `input` is read)."""
    return apply_op("Cholesky", input, name=name or "Cholesky")


def matrix_determinant(input, name=None):  # noqa: A002 - TF's argument name
    """The determinant of each inner-most square matrix, as `tf.matrix_determinant` / `tf.linalg.det`."""
    return apply_op("MatrixDeterminant", input, name=name or "MatrixDeterminant")


def log_matrix_determinant(input, name=None):  # noqa: A002 - TF's argument name
    """(sign, log |det|) of each inner-most square matrix, as `tf.linalg.slogdet`."""
    sign, log_abs = apply_op("LogMatrixDeterminant", input, name=name or "LogMatrixDeterminant")
    return sign, log_abs


def matrix_inverse(input, adjoint=False, name=None):  # noqa: A002 - TF's argument name
    """The inverse of each inner-most square matrix (of its adjoint with `adjoint=True`), as `tf.matrix_inverse`."""
    return apply_op("MatrixInverse", input, name=name or "MatrixInverse", adjoint=bool(adjoint))


def matrix_solve(matrix, rhs, adjoint=False, name=None):
    """X with matrix @ X = rhs (adjoint(matrix) @ X with `adjoint`), batched, as `tf.matrix_solve`."""
    return apply_op("MatrixSolve", matrix, rhs, name=name or "MatrixSolve", adjoint=bool(adjoint))


def matrix_triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """X with L @ X = rhs for the lower (or upper) triangle L of `matrix`, as `tf.matrix_triangular_solve`."""
    return apply_op("MatrixTriangularSolve", matrix, rhs, name=name or "MatrixTriangularSolve", lower=bool(lower),
                    adjoint=bool(adjoint))


def self_adjoint_eig(tensor, name=None):
    """(eigenvalues ascending, eigenvectors as columns) of each self-adjoint inner-most matrix, as
    `tf.self_adjoint_eig` / `tf.linalg.eigh` (the lower triangle is read)."""
    e, v = apply_op("SelfAdjointEigV2", tensor, name=name or "SelfAdjointEigV2", compute_v=True)
    return e, v


def self_adjoint_eigvals(tensor, name=None):
    """The eigenvalues (ascending) of each self-adjoint inner-most matrix, as `tf.self_adjoint_eigvals`."""
    e, _ = apply_op("SelfAdjointEigV2", tensor, name=name or "SelfAdjointEigV2", compute_v=False)
    return e


def svd_op(tensor, compute_uv=True, full_matrices=False, name=None):
    """The Svd op's three outputs (s, u, v), whatever `compute_uv` says."""
    return tuple(apply_op("Svd", tensor, name=name or "Svd", compute_uv=bool(compute_uv),
                          full_matrices=bool(full_matrices)))


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """The singular values s (descending) and, with `compute_uv`, u and v with tensor = u diag(s) v^H,
    as `tf.svd`: returns (s, u, v), or s alone when `compute_uv=False`."""
    s, u, v = svd_op(tensor, compute_uv=compute_uv, full_matrices=full_matrices, name=name)
    return (s, u, v) if compute_uv else s
