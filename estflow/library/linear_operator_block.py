"""Block-structured LinearOperators: BlockDiag (the direct sum of operators) and
BlockLowerTriangular (TF's linear_operator_block_diag.py / _block_lower_triangular.py).

Both split their argument into the blocks' row ranges, apply each block operator with its own
methods, and concatenate; BlockLowerTriangular solves by block forward (or, for the adjoint,
backward) substitution through its diagonal blocks' solves.
"""

from __future__ import annotations

import operator as _operator  # the module: `operator` names a LinearOperator in loops here

from estflow.core import dtypes
from estflow.core.ops import array_ops, concat_ops, fill_ops, reduction_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.tensor_shape import TensorShape, dimension_value
from estflow.library import linalg_impl
from estflow.library.linear_operator import (
    RULES,
    LinearOperator,
    batch_shape_tensor_of,
    broadcast_batch_shapes,
    broadcast_matrix_batch_dims,
    fold_operators,
    hint_of_all,
)
from estflow.library.linear_operator_basic import LinearOperatorFullMatrix


def _size(operator, which):
    """The static size of `which` ('domain' or 'range'), or its tensor."""
    dim = dimension_value(getattr(operator, f"{which}_dimension"))
    return dim if dim is not None else getattr(operator, f"{which}_dimension_tensor")()


def _split_rows(x, sizes):
    """x [..., sum(sizes), R] cut into row blocks of the given sizes."""
    blocks, start = [], 0
    for size in sizes:
        blocks.append(x[..., start:start + size, :])
        start = start + size
    return blocks


def _sum_static(values):
    return None if any(v is None for v in values) else sum(values)


def _concat_rows(blocks):
    return concat_ops.concat(broadcast_matrix_batch_dims(blocks), axis=-2)


def _zeros_block(batch, rows, columns, dtype):
    dims = concat_ops.concat([batch, concat_ops.stack([convert_to_tensor(rows, dtype=dtypes.int32),
                                                       convert_to_tensor(columns, dtype=dtypes.int32)])], 0)
    return fill_ops.zeros(dims, dtype)


def _block_dense(rows_of_blocks, row_sizes, column_sizes, batch, dtype):
    """A dense block matrix from rows of dense blocks (None: a zero block)."""
    rows = []
    for i, row in enumerate(rows_of_blocks):
        filled = [b if b is not None else _zeros_block(batch, row_sizes[i], column_sizes[j], dtype)
                  for j, b in enumerate(row)]
        rows.append(concat_ops.concat(broadcast_matrix_batch_dims(filled), axis=-1))
    return concat_ops.concat(broadcast_matrix_batch_dims(rows), axis=-2)


def _check_same_dtype(operators):
    dtype = operators[0].dtype
    if any(o.dtype != dtype for o in operators):
        found = "   ".join(str((o.name, o.dtype)) for o in operators)
        raise TypeError(f"Expected all operators to have the same dtype.  Found {found}")
    return dtype


# ---- BlockDiag -----------------------------------------------------------------------------------------
class LinearOperatorBlockDiag(LinearOperator):
    """The direct sum of operators, block-diagonal, as `tf.linalg.LinearOperatorBlockDiag`.

        operator = tf.linalg.LinearOperatorBlockDiag([tf.linalg.LinearOperatorDiag([1.0, 2.0]),
                                                      tf.linalg.LinearOperatorFullMatrix([[3.0]])])
        operator.to_dense()    # [[1, 0, 0], [0, 2, 0], [0, 0, 3]]
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=True, name=None):
        parameters = dict(operators=operators, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        operators = list(operators)
        if not operators:
            raise ValueError(f"Expected a non-empty list of operators. Found: {operators}")
        self._operators = operators
        dtype = _check_same_dtype(operators)
        is_non_singular = hint_of_all(operators, "is_non_singular", is_non_singular,
                                      "The direct sum of non-singular operators is always non-singular.")
        is_self_adjoint = hint_of_all(operators, "is_self_adjoint", is_self_adjoint,
                                      "The direct sum of self-adjoint operators is always self-adjoint.")
        is_positive_definite = hint_of_all(operators, "is_positive_definite", is_positive_definite,
                                           "The direct sum of positive definite operators is always positive "
                                           "definite.")
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square,
                         name=name or "_ds_".join(o.name for o in operators), parameters=parameters)

    @property
    def operators(self):
        return list(self._operators)

    def _shape(self):
        batch = broadcast_batch_shapes(*[o.batch_shape for o in self._operators])
        if batch.ndims is None:
            return TensorShape(None)
        rows = _sum_static([dimension_value(o.range_dimension) for o in self._operators])
        columns = _sum_static([dimension_value(o.domain_dimension) for o in self._operators])
        return batch.concatenate([rows, columns])

    def _shape_tensor(self):
        rows = reduction_ops.reduce_sum(concat_ops.stack([o.range_dimension_tensor() for o in self._operators]))
        columns = reduction_ops.reduce_sum(concat_ops.stack([o.domain_dimension_tensor() for o in self._operators]))
        return concat_ops.concat([batch_shape_tensor_of(self._operators), concat_ops.stack([rows, columns])], 0)

    def _apply(self, x, adjoint, adjoint_arg, method):
        """Each block's `method` on its rows of x, concatenated (x may be a list of blocks)."""
        blockwise = isinstance(x, (list, tuple))
        if blockwise:
            blocks = [linalg_impl.adjoint(b) if adjoint_arg else b for b in x]
        else:
            x = linalg_impl.adjoint(x) if adjoint_arg else x
            kind = "range" if (adjoint if method == "matmul" else not adjoint) else "domain"
            blocks = _split_rows(x, [_size(o, kind) for o in self._operators])
        results = [getattr(o, method)(b, adjoint=adjoint) for o, b in zip(self._operators, blocks, strict=True)]
        return results if blockwise else _concat_rows(results)

    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """As LinearOperator.matmul; x may also be a list of blocks, one per operator (a list returns)."""
        if isinstance(x, (list, tuple)):
            with self._scope(name):
                return self._apply([convert_to_tensor(b) for b in x], adjoint, adjoint_arg, "matmul")
        return super().matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg, name=name)

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """As LinearOperator.solve; rhs may also be a list of blocks, one per operator."""
        if isinstance(rhs, (list, tuple)):
            self._check_solvable()
            with self._scope(name):
                return self._apply([convert_to_tensor(b) for b in rhs], adjoint, adjoint_arg, "solve")
        return super().solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg, name=name)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._apply(x, adjoint, adjoint_arg, "matmul")

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._apply(rhs, adjoint, adjoint_arg, "solve")

    def _determinant(self):
        return fold_operators(self._operators, "determinant", _operator.mul)

    def _log_abs_determinant(self):
        return fold_operators(self._operators, "log_abs_determinant", _operator.add)

    def _trace(self):
        return fold_operators(self._operators, "trace", _operator.add)

    def _diag_part(self):
        parts = [array_ops.expand_dims(o.diag_part(), -1) for o in self._operators]
        return array_ops.squeeze(_concat_rows(parts), axis=[-1])

    def _eigvals(self):
        parts = [array_ops.expand_dims(o.eigvals(), -1) for o in self._operators]
        return array_ops.squeeze(_concat_rows(parts), axis=[-1])

    def _to_dense(self):
        count = len(self._operators)
        rows = [[o.to_dense() if i == j else None for j in range(count)] for i, o in enumerate(self._operators)]
        return _block_dense(rows, [_size(o, "range") for o in self._operators],
                            [_size(o, "domain") for o in self._operators], batch_shape_tensor_of(self._operators),
                            self.dtype)


def _block_diag_like(operators, source, **hints):
    return LinearOperatorBlockDiag(operators, is_non_singular=hints.get("is_non_singular", source.is_non_singular),
                                   is_self_adjoint=hints.get("is_self_adjoint", source.is_self_adjoint),
                                   is_positive_definite=hints.get("is_positive_definite",
                                                                  source.is_positive_definite), is_square=True)


RULES["adjoint"][LinearOperatorBlockDiag] = lambda b: _block_diag_like([o.adjoint() for o in b.operators], b)
RULES["inverse"][LinearOperatorBlockDiag] = lambda b: _block_diag_like([o.inverse() for o in b.operators], b)
RULES["cholesky"][LinearOperatorBlockDiag] = lambda b: _block_diag_like(
    [o.cholesky() for o in b.operators], b, is_non_singular=True, is_self_adjoint=None, is_positive_definite=None)


# ---- BlockLowerTriangular ------------------------------------------------------------------------------------
class LinearOperatorBlockLowerTriangular(LinearOperator):
    """A square block lower-triangular operator from rows of operators `[[A00], [A10, A11], ...]`,
    as `tf.linalg.LinearOperatorBlockLowerTriangular`; the diagonal blocks must be square.

        operator = tf.linalg.LinearOperatorBlockLowerTriangular(
            [[tf.linalg.LinearOperatorDiag([1.0, 2.0])],
             [tf.linalg.LinearOperatorFullMatrix([[1.0, 1.0]]), tf.linalg.LinearOperatorDiag([4.0])]])
    """

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorBlockLowerTriangular"):
        parameters = dict(operators=operators, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        operators = [list(row) for row in operators]
        if not operators:
            raise ValueError(f"Argument `operators` must be a list of >=1 operators. Received: {operators}.")
        self._operators = operators
        self._diagonal_operators = [row[-1] for row in operators]
        dtype = operators[0][0].dtype
        for i, row in enumerate(operators):
            for j, operator in enumerate(row):
                if operator.dtype != dtype:
                    raise TypeError(f"Expected every operator in argument `operators` to have the same dtype. "
                                    f"Received {operator.dtype!r} at `operators[{i}][{j}]`, expected {dtype!r}.")
        is_non_singular = self._check_non_singular(is_non_singular)
        self._check_counts_and_dimensions()
        self._check_square(is_square)
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=True, name=name, parameters=parameters)

    def _check_non_singular(self, is_non_singular):
        if all(o.is_non_singular for o in self._diagonal_operators):
            if is_non_singular is False:
                raise ValueError("A blockwise lower-triangular operator with non-singular operators on the main "
                                 "diagonal is always non-singular. Expected argument `is_non_singular` to be True. "
                                 f"Received: {is_non_singular}.")
            return True
        if any(o.is_non_singular is False for o in self._diagonal_operators):
            if is_non_singular is True:
                raise ValueError("A blockwise lower-triangular operator with a singular operator on the main "
                                 "diagonal is always singular. Expected argument `is_non_singular` to be True. "
                                 f"Received: {is_non_singular}.")
            return False
        return is_non_singular

    def _check_counts_and_dimensions(self):
        for i, row in enumerate(self._operators):
            if len(row) != i + 1:
                raise ValueError(f"Argument `operators[{i}]` must contain `{i + 1}` blocks. Received: {len(row)} "
                                 "blocks.")
        for i in range(1, len(self._operators)):
            for j in range(i):
                op, above, right = self._operators[i][j], self._operators[i - 1][j], self._operators[i][j + 1]
                a, b = dimension_value(op.domain_dimension), dimension_value(above.domain_dimension)
                if a is not None and b is not None and a != b:
                    raise ValueError(f"Argument `operators[{i}][{j}].domain_dimension` ({a}) must be the same as "
                                     f"`operators[{i - 1}][{j}].domain_dimension` ({b}).")
                a, b = dimension_value(op.range_dimension), dimension_value(right.range_dimension)
                if a is not None and b is not None and a != b:
                    raise ValueError(f"Argument `operators[{i}][{j}].range_dimension` ({a}) must be the same as "
                                     f"`operators[{i}][{j + 1}].range_dimension` ({b}).")

    def _check_square(self, is_square):
        if is_square is False:
            raise ValueError("`LinearOperatorBlockLowerTriangular` must be square. Expected argument `is_square` to "
                             f"be True. Received: {is_square}.")
        for i, op in enumerate(self._diagonal_operators):
            if op.is_square is False:
                raise ValueError("Matrices on the diagonal (the final elements of each row-partition in the "
                                 "`operators` list) must be square. Expected argument "
                                 f"`operators[{i}][-1].is_square` to be True. Received: {op.is_square}.")

    @property
    def operators(self):
        return [list(row) for row in self._operators]

    def _all_operators(self):
        return [o for row in self._operators for o in row]

    def _shape(self):
        batch = broadcast_batch_shapes(*[o.batch_shape for o in self._all_operators()])
        if batch.ndims is None:
            return TensorShape(None)
        size = _sum_static([dimension_value(o.domain_dimension) for o in self._diagonal_operators])
        return batch.concatenate([size, size])

    def _shape_tensor(self):
        size = reduction_ops.reduce_sum(concat_ops.stack([o.domain_dimension_tensor()
                                                          for o in self._diagonal_operators]))
        return concat_ops.concat([batch_shape_tensor_of(self._all_operators()), concat_ops.stack([size, size])], 0)

    def _blocks(self, x, adjoint_arg):
        x = linalg_impl.adjoint(x) if adjoint_arg else x
        return _split_rows(x, [_size(o, "domain") for o in self._diagonal_operators])

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        blocks = self._blocks(x, adjoint_arg)
        count = len(self._operators)
        results = []
        for i in range(count):
            if adjoint:  # row i of the adjoint: column i of the blocks, from the diagonal down
                terms = [self._operators[k][i].matmul(blocks[k], adjoint=True) for k in range(i, count)]
            else:
                terms = [self._operators[i][j].matmul(blocks[j]) for j in range(i + 1)]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            results.append(total)
        return _concat_rows(results)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        blocks = self._blocks(rhs, adjoint_arg)
        count = len(self._operators)
        solution = [None] * count
        order = range(count - 1, -1, -1) if adjoint else range(count)
        for i in order:
            remainder = blocks[i]
            if adjoint:  # backward substitution through the adjoint's upper triangle
                for k in range(i + 1, count):
                    remainder = remainder - self._operators[k][i].matmul(solution[k], adjoint=True)
            else:
                for j in range(i):
                    remainder = remainder - self._operators[i][j].matmul(solution[j])
            solution[i] = self._diagonal_operators[i].solve(remainder, adjoint=adjoint)
        return _concat_rows(solution)

    def _determinant(self):
        result = self._diagonal_operators[0].determinant()
        for o in self._diagonal_operators[1:]:
            result = result * o.determinant()
        return result

    def _log_abs_determinant(self):
        result = self._diagonal_operators[0].log_abs_determinant()
        for o in self._diagonal_operators[1:]:
            result = result + o.log_abs_determinant()
        return result

    def _trace(self):
        result = self._diagonal_operators[0].trace()
        for o in self._diagonal_operators[1:]:
            result = result + o.trace()
        return result

    def _diag_part(self):
        parts = [array_ops.expand_dims(o.diag_part(), -1) for o in self._diagonal_operators]
        return array_ops.squeeze(_concat_rows(parts), axis=[-1])

    def _to_dense(self):
        count = len(self._operators)
        rows = [[self._operators[i][j].to_dense() if j <= i else None for j in range(count)] for i in range(count)]
        sizes = [_size(o, "domain") for o in self._diagonal_operators]
        return _block_dense(rows, sizes, sizes, batch_shape_tensor_of(self._all_operators()), self.dtype)



def _block_lower_triangular_inverse(operator):
    """TF's recursion: [[A, 0], [B, C]]^-1 = [[A^-1, 0], [-C^-1 B A^-1, C^-1]], the blocks of each
    bottom-row sum B A^-1 summed densely (as TF's operator addition does for general blocks)."""
    rows = operator.operators
    hints = dict(is_non_singular=operator.is_non_singular, is_self_adjoint=operator.is_self_adjoint,
                 is_positive_definite=operator.is_positive_definite, is_square=True)
    if len(rows) == 1:
        return LinearOperatorBlockLowerTriangular([[rows[0][0].inverse()]], **hints)
    upper_left = LinearOperatorBlockLowerTriangular(rows[:-1]).inverse()
    bottom = rows[-1]
    corner = bottom[-1].inverse()
    inverse_bottom = []
    for i in range(len(rows) - 1):
        summed = None
        for j in range(i, len(rows) - 1):
            term = bottom[j].matmul(upper_left.operators[j][i]).to_dense()
            summed = term if summed is None else summed + term
        inverse_bottom.append(LinearOperatorFullMatrix(-corner.matmul(summed)))
    return LinearOperatorBlockLowerTriangular(upper_left.operators + [inverse_bottom + [corner]], **hints)


RULES["inverse"][LinearOperatorBlockLowerTriangular] = _block_lower_triangular_inverse
