"""`tf.linalg.LinearOperator`: the abstract base of TF's structured matrices.

A LinearOperator stands for a [batch of] M x N matrices without necessarily holding them: each
subclass computes `matmul`, `solve`, `determinant`, ... from its own structure (a diagonal's
solve is a division) and only `to_dense` builds the matrix. Every method returns graph tensors,
so gradients flow to whatever tensors define the operator. Subclasses implement `_shape`,
`_shape_tensor` and `_matmul`, and override the rest where their structure allows; the defaults
here go through the dense matrix, as TF's do.

The hints (`is_non_singular`, `is_self_adjoint`, `is_positive_definite`, `is_square`) are
promises by the caller, checked for consistency as TF checks them, and choose algorithms
(a self-adjoint positive-definite operator solves by Cholesky).

Operator-valued results (`adjoint()`, `inverse()`, `cholesky()`, `a @ b` of two operators)
dispatch on the operand types through small rule tables (TF's linear_operator_algebra), which
the subclass modules fill: `RULES["matmul"][(LinearOperatorDiag, LinearOperatorDiag)] = fn`.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    fill_ops,
    manipulation_ops,
    matrix_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.tensor_shape import Dimension, TensorShape, dimension_value
from estflow.library import check_ops, linalg_impl

# Operator-valued rules by the operand types, most specific class first (see the docstring).
RULES: dict[str, dict] = {"matmul": {}, "adjoint": {}, "inverse": {}, "cholesky": {}, "solve": {}}


def _lookup(kind, *operators):
    """The rule for the most derived classes of `operators` (walking each one's MRO)."""
    table = RULES[kind]
    if len(operators) == 1:
        for cls in type(operators[0]).__mro__:
            if cls in table:
                return table[cls]
        return None
    for left in type(operators[0]).__mro__:
        for right in type(operators[1]).__mro__:
            if (left, right) in table:
                return table[(left, right)]
    return None


def combined_non_singular(a, b):
    """The product of two operators: non-singular iff both are (TF's property_hint_util)."""
    if a.is_non_singular is False or b.is_non_singular is False:
        return False
    return True if a.is_non_singular and b.is_non_singular else None


def combined_commuting_self_adjoint(a, b):
    """The product of two commuting operators is self-adjoint when both are."""
    if a.is_self_adjoint and b.is_self_adjoint:
        return True
    if (a.is_self_adjoint is True and b.is_self_adjoint is False) or \
            (a.is_self_adjoint is False and b.is_self_adjoint is True):
        return False
    return None


def combined_commuting_positive_definite(a, b):
    """The product of two commuting positive-definite operators is positive definite."""
    if a.is_positive_definite and b.is_positive_definite:
        return True
    return None


def contradicting_hint(operator_hint, provided, message):
    """The hint of a derived operator (adjoint, inverse): the operator's unless they contradict."""
    if (operator_hint is False and provided) or (operator_hint and provided is False):
        raise ValueError(message)
    if operator_hint or provided:
        return True
    if operator_hint is False or provided is False:
        return False
    return None


def hint_of_all(operators, hint: str, provided, message: str):
    """`provided`, set to True when every operator has the hint (a provided False then contradicts it:
    ValueError(message)): how block-diagonal, composed and Kronecker operators inherit their parts' hints."""
    if all(getattr(operator, hint) for operator in operators):
        if provided is False:
            raise ValueError(message)
        return True
    return provided


def fold_operators(operators, method: str, combine):
    """`combine` over `method()` of each operator, left to right: the determinant of a block-diagonal
    operator or a composition is the product of its operators' (`operator.mul`), their log-abs-
    determinants and traces add up (`operator.add`)."""
    result = getattr(operators[0], method)()
    for o in operators[1:]:
        result = combine(result, getattr(o, method)())
    return result


def batch_shape_tensor_of(operators):
    """The broadcast batch shape of `operators`, at run time (a block or composite operator's batch)."""
    probe = fill_ops.zeros(operators[0].batch_shape_tensor(), dtypes.int32)
    for o in operators[1:]:
        probe = probe + fill_ops.zeros(o.batch_shape_tensor(), dtypes.int32)
    return array_ops.shape(probe)


def static_int(value):
    """`value` as a Python int when it is known while building the graph, else None."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, Dimension):
        return dimension_value(value)
    if isinstance(value, Tensor) and value._const_value is not None and np.ndim(value._const_value) == 0:
        return int(value._const_value)
    return None


def broadcast_batch_shapes(*shapes: TensorShape) -> TensorShape:
    """Static batch shapes broadcast as numpy broadcasts (unknown ranks stay unknown)."""
    out = TensorShape([])
    for shape in shapes:
        if shape.ndims is None:
            return TensorShape(None)
        out = manipulation_ops.broadcast_static_shape(out, shape)
    return out


class LinearOperator:
    """A [batch of] linear operator(s) acting like M x N matrices, as `tf.linalg.LinearOperator`.

    Abstract: use a subclass (`LinearOperatorFullMatrix`, `LinearOperatorDiag`, ...). `x` is a
    tensor of shape [..., N, R]; `operator.matmul(x)` is [..., M, R].

        operator = tf.linalg.LinearOperatorDiag([1.0, 2.0])
        y = operator.matmul([[1.0], [1.0]])        # [[1.], [2.]]
        x = operator.solve(y)                      # back to [[1.], [1.]]
    """

    def __init__(self, dtype, graph_parents=None, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name=None, parameters=None):
        if is_positive_definite:
            if is_non_singular is False:
                raise ValueError("A positive definite matrix is always non-singular.")
            is_non_singular = True
        if is_non_singular:
            if is_square is False:
                raise ValueError("A non-singular matrix is always square.")
            is_square = True
        if is_self_adjoint:
            if is_square is False:
                raise ValueError("A self-adjoint matrix is always square.")
            is_square = True
        self._dtype = dtypes.as_dtype(dtype) if dtype is not None else None
        self._graph_parents = list(graph_parents or [])
        self._is_non_singular = is_non_singular
        self._is_self_adjoint = is_self_adjoint
        self._is_positive_definite = is_positive_definite
        self._is_square_set_or_implied_by_hints = is_square
        self._name = name or type(self).__name__
        self._parameters = dict(parameters or {})

    # ---- properties ---------------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype of the tensors this operator acts on and returns."""
        return self._dtype

    @property
    def name(self):
        return self._name

    @property
    def parameters(self):
        """The constructor's arguments, as a dict."""
        return dict(self._parameters)

    @property
    def graph_parents(self):
        """Deprecated in TF: the tensors given as `graph_parents`."""
        return list(self._graph_parents)

    @property
    def is_non_singular(self):
        return self._is_non_singular

    @property
    def is_self_adjoint(self):
        return self._is_self_adjoint

    @property
    def is_positive_definite(self):
        return self._is_positive_definite

    @property
    def is_square(self):
        """True when the matrices are square: the hint, or else the static shape (None when unknown)."""
        domain, range_ = dimension_value(self.domain_dimension), dimension_value(self.range_dimension)
        auto = None if domain is None or range_ is None else domain == range_
        if self._is_square_set_or_implied_by_hints is False and auto:
            raise ValueError("User set is_square hint to False, but the operator was square.")
        if self._is_square_set_or_implied_by_hints is None:
            return auto
        return self._is_square_set_or_implied_by_hints

    @property
    def shape(self) -> TensorShape:
        """The static shape [B1, ..., Bb, M, N]."""
        return self._shape()

    @property
    def batch_shape(self) -> TensorShape:
        return self.shape[:-2] if self.shape.ndims is not None else TensorShape(None)

    @property
    def tensor_rank(self):
        return self.shape.ndims

    @property
    def domain_dimension(self) -> Dimension:
        """N, the dimension of the vectors the operator acts on (a TF1 Dimension)."""
        return self.shape[-1] if self.shape.ndims is not None else Dimension(None)

    @property
    def range_dimension(self) -> Dimension:
        """M, the dimension of the vectors the operator returns."""
        return self.shape[-2] if self.shape.ndims is not None else Dimension(None)

    def _shape(self) -> TensorShape:
        raise NotImplementedError(f"{type(self).__name__} must define _shape")

    def _shape_tensor(self):
        raise NotImplementedError(f"{type(self).__name__} must define _shape_tensor")

    def _scope(self, name):
        return name_scope(f"{self.name}/{name}")

    def shape_tensor(self, name="shape_tensor"):
        """The shape as a 1-D int32 tensor."""
        with self._scope(name):
            if self.shape.is_fully_defined():
                return constant(self.shape.as_list(), dtypes.int32)
            return self._shape_tensor()

    def batch_shape_tensor(self, name="batch_shape_tensor"):
        with self._scope(name):
            if self.batch_shape.is_fully_defined():
                return constant(self.batch_shape.as_list(), dtypes.int32)
            return self._shape_tensor()[:-2]

    def tensor_rank_tensor(self, name="tensor_rank_tensor"):
        with self._scope(name):
            if self.tensor_rank is not None:
                return constant(self.tensor_rank, dtypes.int32)
            return array_ops.size(self._shape_tensor())

    def domain_dimension_tensor(self, name="domain_dimension_tensor"):
        with self._scope(name):
            known = dimension_value(self.domain_dimension)
            return constant(known, dtypes.int32) if known is not None else self._shape_tensor()[-1]

    def range_dimension_tensor(self, name="range_dimension_tensor"):
        with self._scope(name):
            known = dimension_value(self.range_dimension)
            return constant(known, dtypes.int32) if known is not None else self._shape_tensor()[-2]

    # ---- checks -------------------------------------------------------------------------------------
    def _check_input_dtype(self, arg):
        if arg.dtype.base_dtype != self.dtype:
            raise TypeError(f"Expected argument to have dtype {self.dtype.name}. Found: {arg.dtype.name} in tensor "
                            f"{arg.name}")

    def _can_use_cholesky(self):
        return bool(self.is_self_adjoint and self.is_positive_definite)

    def _max_condition_number_to_be_non_singular(self):
        dims = [dimension_value(self.domain_dimension), dimension_value(self.range_dimension), 100]
        eps = float(np.finfo(self.dtype.real_dtype.as_numpy_dtype).eps) * max(d for d in dims if d is not None)
        return 1.0 / eps

    def assert_non_singular(self, name="assert_non_singular"):
        """An op that fails at run time unless the operator is non-singular (to working precision)."""
        with self._scope(name):
            return self._assert_non_singular()

    def _assert_non_singular(self):
        if self._can_use_cholesky():
            return self.assert_positive_definite()
        values = matrix_ops.svd(self.to_dense(), compute_uv=False)
        cond = reduction_ops.reduce_max(values, axis=-1) / reduction_ops.reduce_min(values, axis=-1)
        limit = constant(self._max_condition_number_to_be_non_singular(), cond.dtype)
        return check_ops.assert_less(cond, limit, message="Singular matrix up to precision epsilon.")

    def assert_positive_definite(self, name="assert_positive_definite"):
        """An op that fails at run time unless the (self-adjoint) operator is positive definite."""
        with self._scope(name):
            return self._assert_positive_definite()

    def _assert_positive_definite(self):
        diagonal = matrix_ops.matrix_diag_part(matrix_ops.cholesky(self.to_dense()))
        return check_ops.assert_positive(_real(diagonal), message="Matrix was not positive definite.")

    def assert_self_adjoint(self, name="assert_self_adjoint"):
        """An op that fails at run time unless the operator equals its adjoint."""
        with self._scope(name):
            return self._assert_self_adjoint()

    def _assert_self_adjoint(self):
        dense = self.to_dense()
        return check_ops.assert_equal(dense, linalg_impl.adjoint(dense), message="Matrix was not equal to its adjoint.")

    # ---- products ------------------------------------------------------------------------------------
    def matmul(self, x, adjoint=False, adjoint_arg=False, name="matmul"):
        """This operator (or its adjoint) times x [..., N, R] (or x's adjoint); x may be a LinearOperator."""
        if isinstance(x, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = x.adjoint() if adjoint_arg else x
            inner, other = dimension_value(left.domain_dimension), dimension_value(right.range_dimension)
            if inner is not None and other is not None and inner != other:
                raise ValueError(f"Operators are incompatible. Expected `x` to have dimension {inner} but got "
                                 f"{other}.")
            with self._scope(name):
                rule = _lookup("matmul", left, right)
                product = rule(left, right) if rule is not None else None  # a rule may decline (None)
                return product if product is not None else _composition(left, right)
        with self._scope(name):
            x = convert_to_tensor(x, name="x")
            self._check_input_dtype(x)
            own = self.shape[-2] if adjoint else self.shape[-1]
            if x.shape.ndims is not None and x.shape.ndims >= 2:
                own.assert_is_compatible_with(x.shape[-1] if adjoint_arg else x.shape[-2])
            return self._matmul(x, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def __matmul__(self, other):
        return self.matmul(other)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        raise NotImplementedError(f"{type(self).__name__} must define _matmul")

    def matvec(self, x, adjoint=False, name="matvec"):
        """This operator (or its adjoint) times the vectors x [..., N]."""
        with self._scope(name):
            x = convert_to_tensor(x, name="x")
            self._check_input_dtype(x)
            own = self.shape[-2] if adjoint else self.shape[-1]
            if x.shape.ndims:
                own.assert_is_compatible_with(x.shape[-1])
            return self._matvec(x, adjoint=adjoint)

    def _matvec(self, x, adjoint=False):
        return array_ops.squeeze(self._matmul(array_ops.expand_dims(x, -1), adjoint=adjoint), axis=[-1])

    def to_dense(self, name="to_dense"):
        """The dense [batch] matrix."""
        with self._scope(name):
            return self._to_dense()

    def _to_dense(self):
        if self.batch_shape.is_fully_defined():
            batch = self.batch_shape.as_list()
        else:
            batch = self.batch_shape_tensor()
        n = dimension_value(self.domain_dimension)
        n = n if n is not None else self.domain_dimension_tensor()
        return self.matmul(linalg_impl.eye(n, batch_shape=batch, dtype=self.dtype))

    def add_to_tensor(self, x, name="add_to_tensor"):
        """x + the dense matrix."""
        with self._scope(name):
            x = convert_to_tensor(x, name="x")
            self._check_input_dtype(x)
            return self._add_to_tensor(x)

    def _add_to_tensor(self, x):
        return self.to_dense() + x

    def diag_part(self, name="diag_part"):
        """The diagonal of each matrix, [..., min(M, N)]."""
        with self._scope(name):
            return self._diag_part()

    def _diag_part(self):
        return matrix_ops.matrix_diag_part(self.to_dense())

    def trace(self, name="trace"):
        with self._scope(name):
            return self._trace()

    def _trace(self):
        return reduction_ops.reduce_sum(self.diag_part(), axis=-1)

    # ---- determinants and solves ---------------------------------------------------------------------------
    def determinant(self, name="det"):
        if self.is_square is False:
            raise NotImplementedError("Determinant not implemented for an operator that is expected to not be square.")
        with self._scope(name):
            return self._determinant()

    def _determinant(self):
        if self._can_use_cholesky():
            return unary_ops.exp(self.log_abs_determinant())
        return matrix_ops.matrix_determinant(self.to_dense())

    def log_abs_determinant(self, name="log_abs_det"):
        if self.is_square is False:
            raise NotImplementedError("Determinant not implemented for an operator that is expected to not be square.")
        with self._scope(name):
            return self._log_abs_determinant()

    def _log_abs_determinant(self):
        if self._can_use_cholesky():
            diagonal = matrix_ops.matrix_diag_part(matrix_ops.cholesky(self.to_dense()))
            return 2.0 * reduction_ops.reduce_sum(unary_ops.log(_real(diagonal)), axis=-1)
        _, log_abs = matrix_ops.log_matrix_determinant(self.to_dense())
        return log_abs

    def _check_solvable(self):
        if self.is_non_singular is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is expected to be singular.")
        if self.is_square is False:
            raise NotImplementedError("Exact solve not implemented for an operator that is expected to not be square.")

    def solve(self, rhs, adjoint=False, adjoint_arg=False, name="solve"):
        """X with (this operator, or its adjoint) @ X = rhs (or rhs's adjoint); rhs may be a LinearOperator."""
        self._check_solvable()
        if isinstance(rhs, LinearOperator):
            left = self.adjoint() if adjoint else self
            right = rhs.adjoint() if adjoint_arg else rhs
            with self._scope(name):
                rule = _lookup("solve", left, right)
                return rule(left, right) if rule is not None else left.inverse().matmul(right)
        with self._scope(name):
            rhs = convert_to_tensor(rhs, name="rhs")
            self._check_input_dtype(rhs)
            own = self.shape[-1] if adjoint else self.shape[-2]
            if rhs.shape.ndims is not None and rhs.shape.ndims >= 2:
                own.assert_is_compatible_with(rhs.shape[-1] if adjoint_arg else rhs.shape[-2])
            return self._solve(rhs, adjoint=adjoint, adjoint_arg=adjoint_arg)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        rhs = linalg_impl.adjoint(rhs) if adjoint_arg else rhs
        if self._can_use_cholesky():
            return linalg_impl.cholesky_solve(matrix_ops.cholesky(self.to_dense()), rhs)
        dense, rhs = broadcast_matrix_batch_dims([self.to_dense(), rhs])
        return matrix_ops.matrix_solve(dense, rhs, adjoint=adjoint)

    def solvevec(self, rhs, adjoint=False, name="solve"):
        """x with (this operator, or its adjoint) @ x = rhs, for vectors rhs [..., M]."""
        self._check_solvable()
        with self._scope(name):
            rhs = convert_to_tensor(rhs, name="rhs")
            self._check_input_dtype(rhs)
            own = self.shape[-1] if adjoint else self.shape[-2]
            if rhs.shape.ndims:
                own.assert_is_compatible_with(rhs.shape[-1])
            return self._solvevec(rhs, adjoint=adjoint)

    def _solvevec(self, rhs, adjoint=False):
        return array_ops.squeeze(self._solve(array_ops.expand_dims(rhs, -1), adjoint=adjoint), axis=[-1])

    # ---- operator-valued results ------------------------------------------------------------------------------
    def adjoint(self, name="adjoint"):
        """The adjoint (conjugate transpose) as a LinearOperator; `self` when self-adjoint."""
        if self.is_self_adjoint is True:
            return self
        with self._scope(name):
            rule = _lookup("adjoint", self)
            if rule is not None:
                return rule(self)
            from estflow.library.linear_operator_composite import LinearOperatorAdjoint  # the subclass needs this base

            return LinearOperatorAdjoint(self)

    H = property(adjoint, None)

    def inverse(self, name="inverse"):
        """The inverse as a LinearOperator (a LinearOperatorInversion unless the structure gives one)."""
        if self.is_square is False:
            raise ValueError("Cannot take the Inverse: This operator represents a non square matrix.")
        if self.is_non_singular is False:
            raise ValueError("Cannot take the Inverse: This operator represents a singular matrix.")
        with self._scope(name):
            rule = _lookup("inverse", self)
            if rule is not None:
                return rule(self)
            from estflow.library.linear_operator_composite import LinearOperatorInversion  # subclass of this base

            return LinearOperatorInversion(self)

    def cholesky(self, name="cholesky"):
        """The lower-triangular Cholesky factor as a LinearOperator (self-adjoint positive-definite only)."""
        if not self._can_use_cholesky():
            raise ValueError("Cannot take the Cholesky decomposition: Not a positive definite self adjoint matrix.")
        with self._scope(name):
            rule = _lookup("cholesky", self)
            if rule is not None:
                return rule(self)
            from estflow.library.linear_operator_basic import LinearOperatorLowerTriangular  # subclass of this base

            return LinearOperatorLowerTriangular(matrix_ops.cholesky(self.to_dense()), is_non_singular=True,
                                                 is_self_adjoint=False, is_square=True)

    def eigvals(self, name="eigvals"):
        """The eigenvalues (self-adjoint operators only), ascending unless the structure orders them."""
        if not self.is_self_adjoint:
            raise NotImplementedError("Only self-adjoint matrices are supported.")
        with self._scope(name):
            return self._eigvals()

    def _eigvals(self):
        return matrix_ops.self_adjoint_eigvals(self.to_dense())

    def cond(self, name="cond"):
        """The condition number: largest over smallest singular value."""
        with self._scope(name):
            return self._cond()

    def _cond(self):
        if self.is_self_adjoint:
            values = unary_ops.abs(self.eigvals())
        else:
            values = matrix_ops.svd(self.to_dense(), compute_uv=False)
        return reduction_ops.reduce_max(values, axis=-1) / reduction_ops.reduce_min(values, axis=-1)


def _real(x):
    """The real part (estflow has no Real op: a cast drops the imaginary part, as TF's cast does)."""
    return cast_ops.cast(x, x.dtype.real_dtype) if x.dtype.is_complex else x


real = _real


def _composition(left, right):
    from estflow.library.linear_operator_composite import LinearOperatorComposition  # subclass of this base

    return LinearOperatorComposition([left, right])


def broadcast_matrix_batch_dims(batch_matrices):
    """The [..., m, n] tensors with their batch dims broadcast against each other (TF's helper)."""
    tensors = [convert_to_tensor(m) for m in batch_matrices]
    shapes = [t.shape for t in tensors]
    if all(s.ndims is not None and s[:-2].is_fully_defined() for s in shapes):
        batch = broadcast_batch_shapes(*[s[:-2] for s in shapes])
        out = []
        for t in tensors:
            if t.shape[:-2] == batch:
                out.append(t)
            else:
                target = batch.concatenate(t.shape[-2:])
                dims = target.as_list() if target.is_fully_defined() else \
                    concat_ops.concat([batch.as_list(), array_ops.shape(t)[-2:]], 0)
                out.append(manipulation_ops.broadcast_to(t, dims))
        return out
    batch = array_ops.shape(tensors[0])[:-2]
    for t in tensors[1:]:
        batch = _broadcast_dynamic(batch, array_ops.shape(t)[:-2])
    return [manipulation_ops.broadcast_to(t, concat_ops.concat([batch, array_ops.shape(t)[-2:]], 0))
            for t in tensors]


def _broadcast_dynamic(a, b):
    """The broadcast of two shape vectors, at run time."""
    return array_ops.shape(fill_ops.zeros(a, dtypes.int32) + fill_ops.zeros(b, dtypes.int32))
