"""TF1's matrix helpers that TF builds from other ops: eye, band and diagonal masks, trace, norm,
tensordot and einsum (linalg_ops.py, math_ops.py, special_math_ops.py), written the same way.

The batched diagonals (`matrix_diag`, `matrix_diag_part`, `matrix_set_diag`) and
`matrix_band_part` select with a boolean mask built from row and column indices, so they
work on any batch shape and their gradients are the masked gradients TF's ops return.
`tensordot` and `einsum` reduce to transposes, reshapes and one (batched) matmul per pair of
operands, as TF1.15's composites did.
"""

from __future__ import annotations

import numbers

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    manipulation_ops,
    matmul_ops,
    matrix_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor


def _dims(x: Tensor) -> list:
    """x's dims: ints where static, scalar int32 tensors where not."""
    static = x.shape.as_tuple()
    if static is None:
        raise ValueError(f"{x.name} needs a known rank here")
    if all(d is not None for d in static):
        return list(static)
    dynamic = array_ops.shape(x)
    return [d if d is not None else dynamic[i] for i, d in enumerate(static)]


def _product(dims):
    out = 1
    for d in dims:
        out = out * d
    return out


def _shape_arg(dims):
    """A shape list of ints and int32 scalars: a plain list when static, else one stacked tensor."""
    if all(isinstance(d, numbers.Integral) for d in dims):
        return [int(d) for d in dims]
    return concat_ops.stack([convert_to_tensor(d, dtype=dtypes.int32) for d in dims])


# ---- eye and the batched diagonals (the masks live in core/ops/matrix_ops.py) ---------------------------
def eye(num_rows, num_columns=None, batch_shape=None, dtype=dtypes.float32, name=None):
    """An identity matrix (`num_rows` x `num_columns`, batched by `batch_shape`), as `tf.eye`.

        tf.eye(2)                    # [[1., 0.], [0., 1.]]
        tf.eye(2, 3, batch_shape=[4])  # shape [4, 2, 3]
    """
    with name_scope(name, "eye", [num_rows, num_columns, batch_shape]):
        columns = num_rows if num_columns is None else num_columns
        matrix = cast_ops.cast(matrix_ops.diagonal_mask(num_rows, columns), dtypes.as_dtype(dtype))
        if batch_shape is None:
            return matrix
        batch = list(batch_shape) if not isinstance(batch_shape, Tensor) else batch_shape
        if isinstance(batch, list):
            return manipulation_ops.broadcast_to(matrix, _shape_arg(batch + _dims(matrix)))
        target = concat_ops.concat([cast_ops.cast(batch, dtypes.int32), array_ops.shape(matrix)], 0)
        return manipulation_ops.broadcast_to(matrix, target)


def trace(x, name=None):
    """The sum of the diagonal of each inner-most matrix of `x`, as `tf.linalg.trace`."""
    with name_scope(name, "Trace", [x]):
        return reduction_ops.reduce_sum(matrix_ops.matrix_diag_part(convert_to_tensor(x, name="x")), axis=-1)


def adjoint(matrix, name=None):
    """The conjugate transpose of the inner-most matrices, as `tf.linalg.adjoint`."""
    with name_scope(name, "adjoint", [matrix]):
        return manipulation_ops.matrix_transpose(convert_to_tensor(matrix, name="matrix"), conjugate=True)


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """Matrix times vector, batched: [..., m, n] x [..., n] -> [..., m], as `tf.linalg.matvec`."""
    with name_scope(name, "MatVec", [a, b]):
        product = matmul_ops.matmul(a, array_ops.expand_dims(convert_to_tensor(b, name="b"), -1),
                                    transpose_a=transpose_a, adjoint_a=adjoint_a, a_is_sparse=a_is_sparse,
                                    b_is_sparse=b_is_sparse)
        return array_ops.squeeze(product, axis=[-1])


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis, as `tf.linalg.cross`."""
    with name_scope(name, "Cross", [a, b]):
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b", dtype=a.dtype)
        if a.shape.as_tuple() and a.shape.as_tuple()[-1] not in (None, 3):
            raise ValueError(f"Dimension must be 3 but is {a.shape.as_tuple()[-1]}")
        a0, a1, a2 = (a[..., i] for i in range(3))
        b0, b1, b2 = (b[..., i] for i in range(3))
        return concat_ops.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1)


# ---- solvers and decompositions built on core/ops/matrix_ops.py ------------------------------------------
def logdet(matrix, name=None):
    """log(det(matrix)) of Hermitian positive definite matrices, as 2 * sum(log(diag(cholesky))):
    `tf.linalg.logdet`."""
    with name_scope(name, "logdet", [matrix]):
        chol = matrix_ops.cholesky(convert_to_tensor(matrix, name="matrix"))
        # NOTE: the diagonal of a Cholesky factor is real and positive (its imaginary parts are zero)
        return 2.0 * reduction_ops.reduce_sum(unary_ops.log(matrix_ops.matrix_diag_part(chol)), axis=[-1])


def cholesky_solve(chol, rhs, name=None):
    """X with A X = rhs given A's Cholesky factor `chol`: two triangular solves, as `tf.cholesky_solve`."""
    with name_scope(name, "cholesky_solve", [chol, rhs]):
        y = matrix_ops.matrix_triangular_solve(chol, rhs, lower=True, adjoint=False)
        return matrix_ops.matrix_triangular_solve(chol, y, lower=True, adjoint=True)


def matrix_solve_ls(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """Least-squares solutions of matrix @ X = rhs (minimizing ||matrix X - rhs||^2 + l2 ||X||^2), as
    `tf.matrix_solve_ls` / `tf.linalg.lstsq` with TF's fast path: the regularized normal equations,
    solved by Cholesky (`fast=False`, TF's complete orthogonal decomposition, is refused)."""
    if not fast:
        raise NotImplementedError("matrix_solve_ls(fast=False) is not supported by estflow; the default fast=True "
                                  "solves the same problem when the matrix has full rank")
    with name_scope(name, "matrix_solve_ls", [matrix, rhs, l2_regularizer]):
        a = convert_to_tensor(matrix, name="matrix")
        b = convert_to_tensor(rhs, name="rhs", dtype=a.dtype)
        rows, columns = a.shape.as_tuple()[-2:] if a.shape.ndims else (None, None)
        l2 = convert_to_tensor(l2_regularizer, dtype=a.dtype, name="l2_regularizer")
        if rows is not None and columns is not None and rows < columns:  # underdetermined: the minimum-norm X
            gram = matmul_ops.matmul(a, a, adjoint_b=True)
            gram = gram + l2 * cast_ops.cast(matrix_ops.diagonal_mask(rows, rows), a.dtype)
            return matmul_ops.matmul(a, cholesky_solve(matrix_ops.cholesky(gram), b), adjoint_a=True)
        gram = matmul_ops.matmul(a, a, adjoint_a=True)
        n = columns if columns is not None else array_ops.shape(a)[-1]
        gram = gram + l2 * cast_ops.cast(matrix_ops.diagonal_mask(n, n), a.dtype)
        return cholesky_solve(matrix_ops.cholesky(gram), matmul_ops.matmul(a, b, adjoint_a=True))


def _default_tolerance(s, a):
    """TF's (and numpy's) cutoff for small singular values: max(m, n) * eps * max(s)."""
    rows, columns = _dims(a)[-2:]
    largest = cast_ops.cast(reduction_ops.reduce_max(concat_ops.stack([rows, columns])), s.dtype) \
        if not (isinstance(rows, int) and isinstance(columns, int)) else float(max(rows, columns))
    eps = float(np.finfo(s.dtype.as_numpy_dtype).eps)
    return largest * eps * reduction_ops.reduce_max(s, axis=-1, keepdims=True)


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse from the SVD, singular values below `rcond` * max(s) dropped,
    as `tf.linalg.pinv`."""
    with name_scope(name, "pinv", [a, rcond]):
        a = convert_to_tensor(a, name="a")
        if validate_args and not a.dtype.is_floating:
            raise TypeError(f"pinv needs a floating matrix, got {a.dtype.name}")
        s, u, v = matrix_ops.svd(a)
        if rcond is None:
            cutoff = _default_tolerance(s, a)
        else:
            cutoff = convert_to_tensor(rcond, dtype=s.dtype) * reduction_ops.reduce_max(s, axis=-1, keepdims=True)
        kept = comparison_ops.greater(s, cutoff)
        safe = comparison_ops.where_v2(kept, s, fill_ops.ones_like(s))
        inverse = comparison_ops.where_v2(kept, 1 / safe, fill_ops.zeros_like(s))
        return matmul_ops.matmul(v * array_ops.expand_dims(inverse, -2), u, adjoint_b=True)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    """The number of singular values above `tol` (default max(m, n) * eps * max(s)), as `tf.linalg.matrix_rank`."""
    with name_scope(name, "matrix_rank", [a, tol]):
        a = convert_to_tensor(a, name="a")
        if validate_args and not a.dtype.is_floating:
            raise TypeError(f"matrix_rank needs a floating matrix, got {a.dtype.name}")
        s = matrix_ops.svd(a, compute_uv=False)
        cutoff = _default_tolerance(s, a) if tol is None else convert_to_tensor(tol, dtype=s.dtype)
        return reduction_ops.reduce_sum(cast_ops.cast(comparison_ops.greater(s, cutoff), dtypes.int64), axis=-1)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002 - TF's argument name
    """(tensor / norm, norm) with the norm kept over `axis`, as `tf.linalg.normalize`."""
    with name_scope(name, "normalize", [tensor]):
        tensor = convert_to_tensor(tensor, name="tensor")
        magnitude = norm(tensor, ord=ord, axis=axis, keepdims=True)
        return tensor / magnitude, magnitude


# ---- norm -----------------------------------------------------------------------------------------
def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None, keep_dims=None):  # noqa: A002
    """Vector and matrix norms, as `tf.norm`.

    `axis=None` treats the whole tensor as one vector; an int names the vector axis; a pair of
    ints names the matrix axes. Vector `ord`: 'euclidean' (2), 1, np.inf or any p > 0; matrix
    `ord`: 'fro'/'euclidean', 1 or np.inf.

        tf.norm([3., 4.])                       # 5.
        tf.norm([[1., -2.], [3., 4.]], ord=1, axis=[0, 1])   # 6.
    """
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("Cannot specify both 'keep_dims' and 'keepdims'")
        keepdims = keep_dims
    keepdims = bool(keepdims)
    is_matrix = isinstance(axis, (list, tuple)) and len(axis) == 2
    if isinstance(axis, (list, tuple)) and not is_matrix:
        if len(axis) != 1:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        axis = axis[0]
    if is_matrix:
        if axis[0] == axis[1]:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        if ord not in ("fro", "euclidean", 1, np.inf):
            raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, inf], got {ord}")
    elif ord == "fro" or not (ord == "euclidean" or (isinstance(ord, numbers.Real) and ord > 0)):
        raise ValueError(f"'ord' must be a supported vector norm, got {ord}")
    with name_scope(name, "norm", [tensor]):
        x = convert_to_tensor(tensor, name="tensor")
        if is_matrix and ord in (1, np.inf):
            rows, columns = axis
            inner = columns if ord == 1 else rows   # ord=1: largest column sum; inf: largest row sum
            outer = rows if ord == 1 else columns
            sums = reduction_ops.reduce_sum(unary_ops.abs(x), axis=outer, keepdims=True)
            result = reduction_ops.reduce_max(sums, axis=inner, keepdims=True)
        elif ord in ("euclidean", "fro", 2):
            squares = unary_ops.square(unary_ops.abs(x)) if x.dtype.is_complex else unary_ops.square(x)
            result = unary_ops.sqrt(reduction_ops.reduce_sum(squares, axis=axis, keepdims=True))
        elif ord == 1:
            result = reduction_ops.reduce_sum(unary_ops.abs(x), axis=axis, keepdims=True)
        elif ord == np.inf:
            result = reduction_ops.reduce_max(unary_ops.abs(x), axis=axis, keepdims=True)
        else:
            magnitude = unary_ops.abs(x)
            power = convert_to_tensor(float(ord), dtype=magnitude.dtype)
            total = reduction_ops.reduce_sum(magnitude ** power, axis=axis, keepdims=True)
            result = total ** (1.0 / power)
        if keepdims:
            return result
        if axis is None:
            return array_ops.reshape(result, [])
        return array_ops.squeeze(result, axis=list(axis) if is_matrix else [axis])


# ---- tensordot and einsum ---------------------------------------------------------------------------
def _normalize_axes(axes, a_rank, b_rank):
    if isinstance(axes, numbers.Integral):
        if axes < 0:
            raise ValueError(f"'axes' must be at least 0, got {axes}")
        if axes > min(a_rank, b_rank):
            raise ValueError(f"'axes' must not be larger than the number of dimensions of tensor: {axes}")
        return list(range(a_rank - axes, a_rank)), list(range(axes))
    if isinstance(axes, Tensor):
        raise ValueError("tensordot needs 'axes' known when the graph is built (an int or a pair of lists)")
    if len(axes) != 2:
        raise ValueError(f"'axes' must be an integer or have length 2, got {axes}")
    a_axes, b_axes = ([axis] if isinstance(axis, numbers.Integral) else list(axis) for axis in axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"Different number of contraction axes 'a' and 'b', {len(a_axes)} != {len(b_axes)}.")
    return [a % a_rank for a in a_axes], [b % b_rank for b in b_axes]


def tensordot(a, b, axes, name=None):
    """Sums of products over `axes` of `a` and `b` (numpy's `tensordot`), as `tf.tensordot`.

        tf.tensordot(a, b, 1)          # a @ b for matrices
        tf.tensordot(a, b, [[1], [0]])  # the same, by axis
    """
    with name_scope(name, "Tensordot", [a, b, axes]):
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, name="b")
        a_dims, b_dims = _dims(a), _dims(b)
        a_axes, b_axes = _normalize_axes(axes, len(a_dims), len(b_dims))
        a_free = [i for i in range(len(a_dims)) if i not in a_axes]
        b_free = [i for i in range(len(b_dims)) if i not in b_axes]
        a_matrix = array_ops.reshape(manipulation_ops.transpose(a, a_free + a_axes),
                                     _shape_arg([_product(a_dims[i] for i in a_free),
                                                 _product(a_dims[i] for i in a_axes)]))
        b_matrix = array_ops.reshape(manipulation_ops.transpose(b, b_axes + b_free),
                                     _shape_arg([_product(b_dims[i] for i in b_axes),
                                                 _product(b_dims[i] for i in b_free)]))
        product = matmul_ops.matmul(a_matrix, b_matrix)
        return array_ops.reshape(product, _shape_arg([a_dims[i] for i in a_free] + [b_dims[i] for i in b_free]))


def _parse_einsum(equation: str, ranks: list[int]):
    """([letters of each operand], output letters), with '...' spelled as upper-case letters."""
    equation = equation.replace(" ", "")
    inputs, arrow, output = equation.partition("->")
    specs = inputs.split(",")
    if len(specs) != len(ranks):
        raise ValueError(f"Got {len(ranks)} arguments for equation \"{equation}\", expecting {len(specs)}")
    ellipsis_rank = 0
    for spec, rank in zip(specs, ranks, strict=True):
        if "..." in spec:
            ellipsis_rank = max(ellipsis_rank, rank - len(spec.replace("...", "")))
    batch_letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:ellipsis_rank]
    operands = []
    for spec, rank in zip(specs, ranks, strict=True):
        if "..." in spec:
            own = rank - len(spec.replace("...", ""))
            spec = spec.replace("...", batch_letters[ellipsis_rank - own:])
        if not spec.isalpha() or len(spec) != rank:
            raise ValueError(f"Invalid einsum subscript '{spec}' for an operand of rank {rank} in \"{equation}\"")
        if len(set(spec)) != len(spec):
            raise ValueError(f"Subscript with a repeated index within one operand is not supported: \"{equation}\"")
        operands.append(spec)
    if arrow:
        output = output.replace("...", batch_letters)
    else:
        counts = {letter: "".join(operands).count(letter) for letter in "".join(operands)}
        output = batch_letters + "".join(sorted(c for c, n in counts.items() if n == 1 and c.islower()))
    if not output.isalpha() and output:
        raise ValueError(f"Invalid einsum output subscript in \"{equation}\"")
    for letter in output:
        if not any(letter in spec for spec in operands):
            raise ValueError(f"Output subscript '{letter}' does not appear in the input of \"{equation}\"")
    return operands, output


def _reduce_to(x, spec: str, keep: str):
    """x (letters `spec`) summed over the letters not in `keep`: (tensor, remaining letters)."""
    gone = [i for i, letter in enumerate(spec) if letter not in keep]
    if not gone:
        return x, spec
    return reduction_ops.reduce_sum(x, axis=gone), "".join(letter for letter in spec if letter in keep)


def _transpose_to(x, spec: str, order: str):
    if spec == order:
        return x
    return manipulation_ops.transpose(x, [spec.index(letter) for letter in order])


def _contract_pair(a, a_spec, b, b_spec, keep: str):
    """The einsum of two operands keeping the letters in `keep`: one batched matmul."""
    a, a_spec = _reduce_to(a, a_spec, b_spec + keep)
    b, b_spec = _reduce_to(b, b_spec, a_spec + keep)
    batch = "".join(c for c in a_spec if c in b_spec and c in keep)
    summed = "".join(c for c in a_spec if c in b_spec and c not in keep)
    a_free = "".join(c for c in a_spec if c not in b_spec)
    b_free = "".join(c for c in b_spec if c not in a_spec)
    a_dims = dict(zip(a_spec, _dims(a), strict=True))
    b_dims = dict(zip(b_spec, _dims(b), strict=True))
    a_matrix = array_ops.reshape(_transpose_to(a, a_spec, batch + a_free + summed), _shape_arg(
        [a_dims[c] for c in batch] + [_product(a_dims[c] for c in a_free), _product(a_dims[c] for c in summed)]))
    b_matrix = array_ops.reshape(_transpose_to(b, b_spec, batch + summed + b_free), _shape_arg(
        [b_dims[c] for c in batch] + [_product(b_dims[c] for c in summed), _product(b_dims[c] for c in b_free)]))
    product = matmul_ops.matmul(a_matrix, b_matrix)
    if batch:  # batch dims broadcast (1 against n): take the larger of each pair
        out_batch = list(_dims(product)[:len(batch)])
    else:
        out_batch = []
    out = array_ops.reshape(product, _shape_arg(out_batch + [a_dims[c] for c in a_free] + [b_dims[c] for c in b_free]))
    return out, batch + a_free + b_free


def einsum(equation, *inputs, **kwargs):
    """Einstein summation over `inputs` as `equation` says, as `tf.einsum`.

        tf.einsum("ij,jk->ik", a, b)      # matmul
        tf.einsum("bij,bjk->bik", a, b)   # batched matmul
        tf.einsum("ij->j", a)             # column sums
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"invalid keyword arguments for this function: {', '.join(sorted(kwargs))}")
    with name_scope(name, "einsum", list(inputs)):
        tensors = [convert_to_tensor(x, name="input") for x in inputs]
        specs, output = _parse_einsum(equation, [len(_dims(t)) for t in tensors])
        result, spec = tensors[0], specs[0]
        for i in range(1, len(tensors)):
            later = output + "".join(specs[i + 1:])
            result, spec = _contract_pair(result, spec, tensors[i], specs[i], later)
        result, spec = _reduce_to(result, spec, output)
        return _transpose_to(result, spec, output)
