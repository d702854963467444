"""LinearOperators built from other operators: Adjoint, Inversion, Composition, Kronecker and
LowRankUpdate (TF's linear_operator_*.py). Each acts through its parts' own methods, so the
structure of every part is kept: a Kronecker product applies its factors one axis at a time and
never forms the product matrix; a low-rank update solves by the Woodbury identity.
"""

from __future__ import annotations

import operator as _operator  # the module: `operator` names a LinearOperator in loops here

from estflow.core import dtypes
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    fill_ops,
    manipulation_ops,
    math_ops,
    matmul_ops,
    matrix_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.tensor_shape import TensorShape, dimension_value
from estflow.library import linalg_impl
from estflow.library.linear_operator import (
    RULES,
    LinearOperator,
    batch_shape_tensor_of,
    broadcast_batch_shapes,
    contradicting_hint,
    fold_operators,
    hint_of_all,
)
from estflow.library.linear_operator_basic import LinearOperatorDiag, LinearOperatorIdentity


def _conj(x):
    return unary_ops.conj(x) if x.dtype.is_complex else x


def _adjoint_if(x, flag):
    return linalg_impl.adjoint(x) if flag else x


def _check_operators(operators, message):
    operators = list(operators)
    if not operators:
        raise ValueError(message.format(operators))
    return operators


def _check_same_dtype(operators):
    dtype = operators[0].dtype
    if any(operator.dtype != dtype for operator in operators):
        found = "   ".join(str((o.name, o.dtype)) for o in operators)
        raise TypeError(f"Expected all operators to have the same dtype.  Found {found}")
    return dtype


# ---- Adjoint ---------------------------------------------------------------------------------------
class LinearOperatorAdjoint(LinearOperator):
    """The adjoint (conjugate transpose) of an operator, as `tf.linalg.LinearOperatorAdjoint`,
    acting through the operator's own `adjoint=True` methods."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        parameters = dict(operator=operator, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        self._operator = operator
        message = "An operator is {} if and only if its adjoint is {}."
        is_non_singular = contradicting_hint(operator.is_non_singular, is_non_singular,
                                             message.format("non-singular", "non-singular"))
        is_self_adjoint = contradicting_hint(operator.is_self_adjoint, is_self_adjoint,
                                             message.format("self-adjoint", "self-adjoint"))
        is_positive_definite = contradicting_hint(operator.is_positive_definite, is_positive_definite,
                                                  message.format("positive-definite", "positive-definite"))
        is_square = contradicting_hint(operator.is_square, is_square, message.format("square", "square"))
        super().__init__(dtype=operator.dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square,
                         name=name or f"{operator.name}_adjoint", parameters=parameters)

    @property
    def operator(self):
        return self._operator

    def _shape(self):
        shape = self._operator.shape
        if shape.ndims is None:
            return shape
        return shape[:-2].concatenate([shape[-1], shape[-2]])

    def _shape_tensor(self):
        shape = self._operator.shape_tensor()
        return concat_ops.concat([shape[:-2], shape[-1:], shape[-2:-1]], 0)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(x, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _matvec(self, x, adjoint=False):
        return self._operator.matvec(x, adjoint=not adjoint)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.solve(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _solvevec(self, rhs, adjoint=False):
        return self._operator.solvevec(rhs, adjoint=not adjoint)

    def _determinant(self):
        return _conj(self._operator.determinant())

    def _log_abs_determinant(self):
        return self._operator.log_abs_determinant()

    def _trace(self):
        return _conj(self._operator.trace())

    def _diag_part(self):
        return _conj(self._operator.diag_part())

    def _to_dense(self):
        return linalg_impl.adjoint(self._operator.to_dense())

    def _eigvals(self):
        return _conj(self._operator.eigvals())

    def _cond(self):
        return self._operator.cond()

    def _assert_non_singular(self):
        return self._operator.assert_non_singular()

    def _assert_positive_definite(self):
        return self._operator.assert_positive_definite()

    def _assert_self_adjoint(self):
        return self._operator.assert_self_adjoint()


# ---- Inversion ----------------------------------------------------------------------------------------
class LinearOperatorInversion(LinearOperator):
    """The inverse of a square non-singular operator, as `tf.linalg.LinearOperatorInversion`:
    its matmul is the operator's solve and its solve the operator's matmul."""

    def __init__(self, operator, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        parameters = dict(operator=operator, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        self._operator = operator
        for hint, provided in (("is_non_singular", is_non_singular), ("is_square", is_square)):
            if getattr(operator, hint) is False or provided is False:
                raise ValueError(f"Argument `{hint}` or argument `operator` must have supplied hint `{hint}` equal "
                                 f"to `True` or `None`. Found `operator.{hint}`: {getattr(operator, hint)}, "
                                 f"`{hint}`: {provided}.")
        message = "An operator is {0} if and only if its inverse is {0}."
        is_square = contradicting_hint(operator.is_square, is_square, message.format("square"))
        is_non_singular = contradicting_hint(operator.is_non_singular, is_non_singular,
                                             message.format("non-singular"))
        is_self_adjoint = contradicting_hint(operator.is_self_adjoint, is_self_adjoint,
                                             message.format("self-adjoint"))
        is_positive_definite = contradicting_hint(operator.is_positive_definite, is_positive_definite,
                                                  message.format("positive-definite"))
        super().__init__(dtype=operator.dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square,
                         name=name or f"{operator.name}_inv", parameters=parameters)

    @property
    def operator(self):
        return self._operator

    def _shape(self):
        return self._operator.shape

    def _shape_tensor(self):
        return self._operator.shape_tensor()

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._operator.solve(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _matvec(self, x, adjoint=False):
        return self._operator.solvevec(x, adjoint=adjoint)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._operator.matmul(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solvevec(self, rhs, adjoint=False):
        return self._operator.matvec(rhs, adjoint=adjoint)

    def _determinant(self):
        return 1.0 / self._operator.determinant()

    def _log_abs_determinant(self):
        return -1.0 * self._operator.log_abs_determinant()

    def _eigvals(self):
        return 1.0 / self._operator.eigvals()

    def _cond(self):
        return self._operator.cond()


# ---- Composition ------------------------------------------------------------------------------------------
def _is_adjoint_pair(x, y):
    if x is y:
        if x.is_self_adjoint is False:
            return False
        if x.is_self_adjoint:
            return True
    return x.H is y or y.H is x


def _is_aat_form(operators):
    if len(operators) % 2:
        return False
    return all(_is_adjoint_pair(operators[i], operators[-1 - i]) for i in range(len(operators) // 2))


class LinearOperatorComposition(LinearOperator):
    """The product A1 A2 ... An of operators, as `tf.linalg.LinearOperatorComposition`, applied one
    operator at a time (right to left) and solved one at a time (left to right)."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        parameters = dict(operators=operators, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        operators = _check_operators(operators, "Expected a non-empty list of operators. Found: {}")
        self._operators = operators
        dtype = _check_same_dtype(operators)
        is_non_singular = hint_of_all(operators, "is_non_singular", is_non_singular,
                                    "The composition of non-singular operators is always non-singular.")
        if (len(operators) == 1 and operators[0].is_self_adjoint) or _is_aat_form(operators):
            if is_self_adjoint is False:
                raise ValueError("The composition was determined to be self-adjoint but user provided incorrect "
                                 "`False` hint.")
            is_self_adjoint = True
        if _is_aat_form(operators):
            if is_square is False:
                raise ValueError("The composition was determined have the form A @ A.H, hence it must be square. "
                                 "The user provided an incorrect `False` hint.")
            is_square = True
            if is_non_singular:
                if is_positive_definite is False:
                    raise ValueError("The composition was determined to be non-singular and have the form A @ A.H, "
                                     "hence it must be positive-definite. The user provided an incorrect `False` "
                                     "hint.")
                is_positive_definite = True
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square,
                         name=name or "_o_".join(o.name for o in operators), parameters=parameters)

    @property
    def operators(self):
        return list(self._operators)

    def _shape(self):
        batch = broadcast_batch_shapes(*[o.batch_shape for o in self._operators])
        if batch.ndims is None:
            return TensorShape(None)
        return batch.concatenate([self._operators[0].range_dimension, self._operators[-1].domain_dimension])

    def _shape_tensor(self):
        batch = batch_shape_tensor_of(self._operators)
        return concat_ops.concat([batch, self._operators[0].shape_tensor()[-2:-1],
                                  self._operators[-1].shape_tensor()[-1:]], 0)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        order = self._operators if adjoint else self._operators[::-1]
        result = order[0].matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)
        for operator in order[1:]:
            result = operator.matmul(result, adjoint=adjoint)
        return result

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        order = self._operators[::-1] if adjoint else self._operators
        result = order[0].solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)
        for operator in order[1:]:
            result = operator.solve(result, adjoint=adjoint)
        return result

    def _determinant(self):
        return fold_operators(self._operators, "determinant", _operator.mul)

    def _log_abs_determinant(self):
        return fold_operators(self._operators, "log_abs_determinant", _operator.add)

    def _to_dense(self):
        result = self._operators[-1].to_dense()
        for operator in self._operators[-2::-1]:
            result = operator.matmul(result)
        return result


# ---- Kronecker ------------------------------------------------------------------------------------------
def _dims(operator, adjoint):
    """(columns in, rows out) of operator (or its adjoint): ints where static, tensors where not."""
    domain, range_ = dimension_value(operator.domain_dimension), dimension_value(operator.range_dimension)
    domain = domain if domain is not None else operator.domain_dimension_tensor()
    range_ = range_ if range_ is not None else operator.range_dimension_tensor()
    return (range_, domain) if adjoint else (domain, range_)


def _reshape_tail(x, kept, tail):
    """x reshaped so its dims after the first `kept` (a negative count from the end) become `tail`."""
    shape = array_ops.shape(x)
    head = shape[:kept]
    return array_ops.reshape(x, concat_ops.concat([head, concat_ops.stack(
        [convert_to_tensor(d, dtype=dtypes.int32) for d in tail])], 0))


def _swap_last_but_one(x, rank):
    """[..., a, b, r] -> [..., b, a, r] for a tensor of the given rank."""
    perm = list(range(rank - 3)) + [rank - 2, rank - 3, rank - 1]
    return manipulation_ops.transpose(x, perm)


def _kronecker_apply(operators, x, apply, adjoint):
    """(A1 kron A2 kron ...) x, applying each factor along its own axis: `apply(op, y)` is op (or
    its adjoint or inverse) times y; x is [..., N, R] with a known rank."""
    first, rest = operators[0], operators[1:]
    if not rest:
        return apply(first, x)
    first_in, first_out = _dims(first, adjoint)
    rest_in = _product([_dims(o, adjoint)[0] for o in rest])
    r = array_ops.shape(x)[-1]
    z = _reshape_tail(x, -2, [first_in, rest_in, r])  # [..., a, b, r]
    z = _swap_last_but_one(z, z.shape.ndims)  # [..., b, a, r]
    z = _reshape_tail(z, -3, [rest_in, first_in * r])
    z = _kronecker_apply(rest, z, apply, adjoint)  # [..., b', a * r]
    rest_out = array_ops.shape(z)[-2]
    z = _reshape_tail(z, -2, [rest_out, first_in, r])
    z = _swap_last_but_one(z, z.shape.ndims)  # [..., a, b', r]
    z = _reshape_tail(z, -3, [first_in, rest_out * r])
    z = apply(first, z)  # [..., a', b' * r]
    return _reshape_tail(z, -2, [first_out * rest_out, r])


def _product(values):
    out = values[0]
    for v in values[1:]:
        out = out * v
    return out


def _outer_flat(a, b):
    """[..., m] x [..., n] -> [..., m * n], entry (i, j) at i * n + j."""
    product = array_ops.expand_dims(a, -1) * array_ops.expand_dims(b, -2)
    return array_ops.reshape(product, concat_ops.concat([array_ops.shape(product)[:-2], [-1]], 0))


class LinearOperatorKronecker(LinearOperator):
    """The Kronecker product A1 kron A2 kron ... of operators, as `tf.linalg.LinearOperatorKronecker`.
    matmul and solve apply each factor along its own axis of the reshaped argument, so the product
    matrix is formed only by `to_dense`; det(A kron B) = det(A)^n det(B)^m."""

    def __init__(self, operators, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name=None):
        parameters = dict(operators=operators, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        operators = _check_operators(operators, "Argument `operators` must be a list of >=1 operators. "
                                                "Received: {}.")
        self._operators = operators
        dtype = operators[0].dtype
        if any(o.dtype != dtype for o in operators):
            found = [(o.name, o.dtype) for o in operators]
            raise TypeError(f"Expected every operation in argument `operators` to have the same dtype. Received "
                            f"{found}.")
        template = ("The Kronecker product of {0} operators is always {0}. Expected argument `{1}` to be True. "
                    "Received: {2}.")
        is_non_singular = hint_of_all(operators, "is_non_singular", is_non_singular,
                                    template.format("non-singular", "is_non_singular", is_non_singular))
        is_self_adjoint = hint_of_all(operators, "is_self_adjoint", is_self_adjoint,
                                    template.format("self-adjoint", "is_self_adjoint", is_self_adjoint))
        is_positive_definite = hint_of_all(operators, "is_positive_definite", is_positive_definite,
                                         template.format("positive-definite", "is_positive_definite",
                                                         is_positive_definite))
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square,
                         name=name or "_x_".join(o.name for o in operators), parameters=parameters)

    @property
    def operators(self):
        return list(self._operators)

    def _shape(self):
        batch = broadcast_batch_shapes(*[o.batch_shape for o in self._operators])
        if batch.ndims is None:
            return TensorShape(None)
        rows, columns = [dimension_value(o.range_dimension) for o in self._operators], \
            [dimension_value(o.domain_dimension) for o in self._operators]
        rows = None if None in rows else _product(rows)
        columns = None if None in columns else _product(columns)
        return batch.concatenate([rows, columns])

    def _shape_tensor(self):
        batch = batch_shape_tensor_of(self._operators)
        rows = _product([o.range_dimension_tensor() for o in self._operators])
        columns = _product([o.domain_dimension_tensor() for o in self._operators])
        return concat_ops.concat([batch, concat_ops.stack([rows, columns])], 0)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adjoint_if(x, adjoint_arg)
        if x.shape.ndims is None:
            raise ValueError("LinearOperatorKronecker needs an argument of known rank")
        return _kronecker_apply(self._operators, x, lambda op, y: op.matmul(y, adjoint=adjoint), adjoint)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = _adjoint_if(rhs, adjoint_arg)
        if rhs.shape.ndims is None:
            raise ValueError("LinearOperatorKronecker needs a right-hand side of known rank")
        return _kronecker_apply(self._operators, rhs, lambda op, y: op.solve(y, adjoint=adjoint), adjoint)

    def _sizes(self):
        return [cast_ops.cast(o.domain_dimension_tensor(), self.dtype) for o in self._operators]

    def _determinant(self):
        total = _product(self._sizes())
        result = None
        for operator, size in zip(self._operators, self._sizes(), strict=True):
            term = math_ops.pow(operator.determinant(), total / size)
            result = term if result is None else result * term
        return result

    def _log_abs_determinant(self):
        total = _product(self._sizes())
        result = None
        for operator, size in zip(self._operators, self._sizes(), strict=True):
            term = operator.log_abs_determinant() * (total / size)
            result = term if result is None else result + term
        return result

    def _trace(self):
        return _product([o.trace() for o in self._operators])

    def _diag_part(self):
        result = self._operators[0].diag_part()
        for operator in self._operators[1:]:
            result = _outer_flat(result, operator.diag_part())
        return result

    def _eigvals(self):
        result = self._operators[0].eigvals()
        for operator in self._operators[1:]:
            result = _outer_flat(result, operator.eigvals())
        return result

    def _to_dense(self):
        result = self._operators[0].to_dense()
        for operator in self._operators[1:]:
            dense = operator.to_dense()
            product = array_ops.expand_dims(array_ops.expand_dims(result, -1), -3) * \
                array_ops.expand_dims(array_ops.expand_dims(dense, -2), -4)  # [..., i, k, j, l]
            shape = array_ops.shape(product)
            result = array_ops.reshape(product, concat_ops.concat(
                [shape[:-4], concat_ops.stack([shape[-4] * shape[-3], shape[-2] * shape[-1]])], 0))
        return result


# ---- LowRankUpdate ------------------------------------------------------------------------------------------
class LinearOperatorLowRankUpdate(LinearOperator):
    """A = L + U D V^H: a base operator L plus a rank-k update (D diagonal, the identity by
    default; V = U by default), as `tf.linalg.LinearOperatorLowRankUpdate`. matmul never forms
    U D V^H; solve uses the Woodbury identity and the determinant the matrix determinant lemma,
    through the k x k capacitance C = D^-1 + V^H L^-1 U."""

    def __init__(self, base_operator, u, diag_update=None, v=None, is_diag_update_positive=None,
                 is_non_singular=None, is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowRankUpdate"):
        parameters = dict(base_operator=base_operator, u=u, diag_update=diag_update, v=v,
                          is_diag_update_positive=is_diag_update_positive, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, name=name)
        dtype = base_operator.dtype
        if diag_update is None:
            if is_diag_update_positive is False:
                raise ValueError("Default diagonal is the identity, which is positive.  However, user set "
                                 "'is_diag_update_positive' to False.")
            is_diag_update_positive = True
        self._use_cholesky = bool(base_operator.is_positive_definite and base_operator.is_self_adjoint
                                  and is_diag_update_positive and v is None)
        if base_operator.is_self_adjoint and v is None and not dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A = L + UDU^H, with L self-adjoint and D real diagonal.  Since UDU^H is "
                                 "self-adjoint, this must be a self-adjoint operator.")
            is_self_adjoint = True
        if self._use_cholesky:
            if is_positive_definite is False or is_self_adjoint is False or is_non_singular is False:
                raise ValueError("Arguments imply this is self-adjoint positive-definite operator.")
            is_positive_definite = True
            is_self_adjoint = True
        self._base_operator = base_operator
        self._u = convert_to_tensor(u, name="u", dtype=dtype)
        self._v = self._u if v is None else convert_to_tensor(v, name="v", dtype=dtype)
        self._is_diag_update_positive = is_diag_update_positive
        if diag_update is None:
            self._diag_update = None
            self._diag_operator = LinearOperatorIdentity(num_rows=_rank_of(self._u), dtype=dtype)
        else:
            self._diag_update = convert_to_tensor(diag_update, name="diag_update", dtype=dtype)
            self._diag_operator = LinearOperatorDiag(self._diag_update, is_positive_definite=is_diag_update_positive)
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square, name=name,
                         parameters=parameters)

    base_operator = property(lambda self: self._base_operator)
    u = property(lambda self: self._u)
    v = property(lambda self: self._v)
    diag_update = property(lambda self: self._diag_update)
    diag_operator = property(lambda self: self._diag_operator)
    is_diag_update_positive = property(lambda self: self._is_diag_update_positive)

    def _shape(self):
        base = self._base_operator.shape
        shapes = [base[:-2] if base.ndims is not None else TensorShape(None), self._u.shape[:-2]
                  if self._u.shape.ndims is not None else TensorShape(None)]
        batch = broadcast_batch_shapes(*shapes)
        return TensorShape(None) if batch.ndims is None else batch.concatenate(base[-2:])

    def _shape_tensor(self):
        base = self._base_operator.shape_tensor()
        probe = fill_ops.zeros(base[:-2], dtypes.int32) + fill_ops.zeros(array_ops.shape(self._u)[:-2], dtypes.int32)
        return concat_ops.concat([array_ops.shape(probe), base[-2:]], 0)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adjoint_if(x, adjoint_arg)
        left, right = (self._v, self._u) if adjoint else (self._u, self._v)
        base = self._base_operator.matmul(x, adjoint=adjoint)
        inner = self._diag_operator.matmul(matmul_ops.matmul(right, x, adjoint_a=True), adjoint=adjoint)
        return base + matmul_ops.matmul(left, inner)

    def _capacitance(self, adjoint=False):
        """C = D^-1 + V^H L^-1 U (for the adjoint, D^-H + U^H L^-H V): k x k."""
        left, right = (self._v, self._u) if adjoint else (self._u, self._v)
        solved = self._base_operator.solve(left, adjoint=adjoint)
        diag_inverse = self._diag_operator.inverse()
        diag_inverse = diag_inverse.adjoint() if adjoint else diag_inverse
        return diag_inverse.add_to_tensor(matmul_ops.matmul(right, solved, adjoint_a=True))

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        if self._base_operator.is_non_singular is False:
            raise ValueError("Solve not implemented unless this is a perturbation of a non-singular LinearOperator.")
        rhs = _adjoint_if(rhs, adjoint_arg)
        left, right = (self._v, self._u) if adjoint else (self._u, self._v)
        base_solved = self._base_operator.solve(rhs, adjoint=adjoint)  # L^-1 rhs
        projected = matmul_ops.matmul(right, base_solved, adjoint_a=True)  # V^H L^-1 rhs
        capacitance = self._capacitance(adjoint)
        if self._use_cholesky:
            inner = linalg_impl.cholesky_solve(matrix_ops.cholesky(capacitance), projected)
        else:
            inner = matrix_ops.matrix_solve(capacitance, projected)
        return base_solved - self._base_operator.solve(matmul_ops.matmul(left, inner), adjoint=adjoint)

    def _log_abs_determinant(self):
        capacitance = self._capacitance()
        if self._use_cholesky:
            chol_diag = matrix_ops.matrix_diag_part(matrix_ops.cholesky(capacitance))
            log_abs_c = 2.0 * reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(chol_diag)), axis=-1)
        else:
            _, log_abs_c = matrix_ops.log_matrix_determinant(capacitance)
        result = log_abs_c + self._base_operator.log_abs_determinant()
        if self._diag_update is not None:
            result = result + self._diag_operator.log_abs_determinant()
        return result

    def _determinant(self):
        if self.is_positive_definite:
            return unary_ops.exp(self.log_abs_determinant())
        result = matrix_ops.matrix_determinant(self._capacitance()) * self._base_operator.determinant()
        if self._diag_update is not None:
            result = result * self._diag_operator.determinant()
        return result

    def _to_dense(self):
        update = matmul_ops.matmul(self._u, self._diag_operator.matmul(self._v, adjoint_arg=True))
        return self._base_operator.to_dense() + update


def _rank_of(u):
    k = dimension_value(u.shape[-1]) if u.shape.ndims is not None else None
    return k if k is not None else array_ops.shape(u)[-1]


# ---- rules ---------------------------------------------------------------------------------------------------
RULES["adjoint"].update({
    LinearOperatorAdjoint: lambda a: a.operator,
    LinearOperatorKronecker: lambda k: LinearOperatorKronecker(
        [o.adjoint() for o in k.operators], is_non_singular=k.is_non_singular, is_self_adjoint=k.is_self_adjoint,
        is_positive_definite=k.is_positive_definite, is_square=True),
})
RULES["inverse"].update({
    LinearOperatorInversion: lambda i: i.operator,
    LinearOperatorKronecker: lambda k: LinearOperatorKronecker(
        [o.inverse() for o in k.operators], is_non_singular=k.is_non_singular, is_self_adjoint=k.is_self_adjoint,
        is_positive_definite=k.is_positive_definite, is_square=True),
})
RULES["cholesky"].update({
    LinearOperatorKronecker: lambda k: LinearOperatorKronecker(
        [o.cholesky() for o in k.operators], is_non_singular=True, is_self_adjoint=None, is_square=True),
})
