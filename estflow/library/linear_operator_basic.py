"""The LinearOperators defined by one tensor: FullMatrix, Diag, LowerTriangular, Identity,
ScaledIdentity, Zeros, Householder and Permutation (TF's linear_operator_*.py), each computing
from its own structure: a diagonal multiplies and divides, a triangle solves by substitution, a
Householder reflection is I - 2 v v^H, a permutation gathers rows.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Tensor
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
    matrix_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.tensor_shape import TensorShape, dimension_value
from estflow.library import check_ops, linalg_impl, nn_impl
from estflow.library.linear_operator import (
    RULES,
    LinearOperator,
    combined_commuting_positive_definite,
    combined_commuting_self_adjoint,
    combined_non_singular,
    real,
    static_int,
)

_FLOATING = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def _check_floating(tensor, argument):
    if tensor.dtype not in _FLOATING:
        allowed = ", ".join(f"tf.{d.name}" for d in _FLOATING)
        raise TypeError(f"Argument `{argument}` must have dtype in [{allowed}]. Received: {tensor.dtype!r}.")


def _conj(x):
    return unary_ops.conj(x) if x.dtype.is_complex else x


def _adjoint_if(x, flag):
    return linalg_impl.adjoint(x) if flag else x


def _dims_of(tensor):
    """tensor's shape as a list of ints where static and scalar tensors where not."""
    static = tensor.shape.as_tuple()
    dynamic = array_ops.shape(tensor)
    return [d if d is not None else dynamic[i] for i, d in enumerate(static)]


def _shape_arg(dims):
    if all(isinstance(d, int) for d in dims):
        return list(dims)
    return concat_ops.stack([convert_to_tensor(d, dtype=dtypes.int32) for d in dims])


# ---- FullMatrix -----------------------------------------------------------------------------------
class LinearOperatorFullMatrix(LinearOperator):
    """A [batch of] dense matrices as a LinearOperator, as `tf.linalg.LinearOperatorFullMatrix`.

        operator = tf.linalg.LinearOperatorFullMatrix([[1.0, 2.0], [3.0, 4.0]])
        operator.matvec([1.0, 1.0])    # [3., 7.]
    """

    def __init__(self, matrix, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorFullMatrix"):
        parameters = dict(matrix=matrix, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        self._matrix = convert_to_tensor(matrix, name="matrix")
        _check_floating(self._matrix, "matrix")
        if self._matrix.shape.ndims is not None and self._matrix.shape.ndims < 2:
            raise ValueError(f"Argument `matrix` must have at least 2 dimensions. Received: {self._matrix.shape}.")
        super().__init__(dtype=self._matrix.dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square, name=name,
                         parameters=parameters)

    @property
    def matrix(self):
        return self._matrix

    def _shape(self):
        return self._matrix.shape

    def _shape_tensor(self):
        return array_ops.shape(self._matrix)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return matmul_ops.matmul(self._matrix, x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _to_dense(self):
        return self._matrix


# ---- Diag ---------------------------------------------------------------------------------------------
class LinearOperatorDiag(LinearOperator):
    """A [batch of] diagonal matrices, as `tf.linalg.LinearOperatorDiag`: matmul multiplies rows,
    solve divides them, the determinant is the diagonal's product.

        operator = tf.linalg.LinearOperatorDiag([1.0, 2.0])
        operator.solve([[2.0], [2.0]])    # [[2.], [1.]]
    """

    def __init__(self, diag, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorDiag"):
        parameters = dict(diag=diag, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        self._diag = convert_to_tensor(diag, name="diag")
        _check_floating(self._diag, "diag")
        if self._diag.shape.ndims is not None and self._diag.shape.ndims < 1:
            raise ValueError(f"Argument `diag` must have at least 1 dimension. Found: {self._diag}")
        if not self._diag.dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A real diagonal operator is always self adjoint.")
            is_self_adjoint = True
        if is_square is False:
            raise ValueError("Only square diagonal operators currently supported.")
        super().__init__(dtype=self._diag.dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=True, name=name, parameters=parameters)

    @property
    def diag(self):
        return self._diag

    def _shape(self):
        shape = self._diag.shape
        return TensorShape(None) if shape.ndims is None else shape.concatenate(shape[-1:])

    def _shape_tensor(self):
        shape = array_ops.shape(self._diag)
        return concat_ops.concat([shape, shape[-1:]], 0)

    def _assert_non_singular(self):
        return check_ops.assert_none_equal(self._diag, fill_ops.zeros_like(self._diag),
                                           message="Singular operator:  Diagonal contained zero values.")

    def _assert_positive_definite(self):
        return check_ops.assert_positive(real(self._diag), message="Diagonal operator had diagonal entries with "
                                         "non-positive real part, thus was not positive definite.")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        diag = _conj(self._diag) if adjoint else self._diag
        return array_ops.expand_dims(diag, -1) * _adjoint_if(x, adjoint_arg)

    def _matvec(self, x, adjoint=False):
        return (_conj(self._diag) if adjoint else self._diag) * x

    def _determinant(self):
        return reduction_ops.reduce_prod(self._diag, axis=-1)

    def _log_abs_determinant(self):
        value = reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(self._diag)), axis=-1)
        return cast_ops.cast(value, self.dtype) if self.dtype.is_complex else value

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        diag = _conj(self._diag) if adjoint else self._diag
        return _adjoint_if(rhs, adjoint_arg) / array_ops.expand_dims(diag, -1)

    def _solvevec(self, rhs, adjoint=False):
        return rhs / (_conj(self._diag) if adjoint else self._diag)

    def _to_dense(self):
        return matrix_ops.matrix_diag(self._diag)

    def _diag_part(self):
        return self._diag * fill_ops.ones_like(self._diag)

    def _trace(self):
        return reduction_ops.reduce_sum(self._diag, axis=-1)

    def _add_to_tensor(self, x):
        return matrix_ops.matrix_set_diag(x, matrix_ops.matrix_diag_part(x) + self._diag)

    def _eigvals(self):
        return convert_to_tensor(self._diag)

    def _cond(self):
        magnitude = unary_ops.abs(self._diag)
        return reduction_ops.reduce_max(magnitude, axis=-1) / reduction_ops.reduce_min(magnitude, axis=-1)


# ---- LowerTriangular ------------------------------------------------------------------------------------
class LinearOperatorLowerTriangular(LinearOperator):
    """The lower triangle of a [batch of] square matrices, as `tf.linalg.LinearOperatorLowerTriangular`
    (entries above the diagonal are ignored); solve is a triangular solve, the determinant the
    diagonal's product."""

    def __init__(self, tril, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None, is_square=None,
                 name="LinearOperatorLowerTriangular"):
        parameters = dict(tril=tril, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        if is_square is False:
            raise ValueError("Only square lower triangular operators supported at this time.")
        tril = convert_to_tensor(tril, name="tril")
        _check_floating(tril, "tril")
        if tril.shape.ndims is not None and tril.shape.ndims < 2:
            raise ValueError(f"Argument tril must have at least 2 dimensions.  Found: {tril}")
        self._tril = matrix_ops.matrix_band_part(tril, -1, 0)
        super().__init__(dtype=self._tril.dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=True, name=name, parameters=parameters)

    @property
    def tril(self):
        return self._tril

    def _shape(self):
        return self._tril.shape

    def _shape_tensor(self):
        return array_ops.shape(self._tril)

    def _assert_non_singular(self):
        diag = matrix_ops.matrix_diag_part(self._tril)
        return check_ops.assert_none_equal(diag, fill_ops.zeros_like(diag),
                                           message="Singular operator:  Diagonal contained zero values.")

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return matmul_ops.matmul(self._tril, x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _determinant(self):
        return reduction_ops.reduce_prod(matrix_ops.matrix_diag_part(self._tril), axis=-1)

    def _log_abs_determinant(self):
        diag = matrix_ops.matrix_diag_part(self._tril)
        value = reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(diag)), axis=-1)
        return cast_ops.cast(value, self.dtype) if self.dtype.is_complex else value

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return matrix_ops.matrix_triangular_solve(self._tril, _adjoint_if(rhs, adjoint_arg), lower=True,
                                                  adjoint=adjoint)

    def _to_dense(self):
        return self._tril

    def _eigvals(self):
        return matrix_ops.matrix_diag_part(self._tril)


# ---- Identity, ScaledIdentity, Zeros ------------------------------------------------------------------------
def _check_num_rows(num_rows, argument="num_rows"):
    tensor = convert_to_tensor(num_rows, name=argument)
    if not tensor.dtype.is_integer:
        raise TypeError(f"Argument {argument} must be integer type.  Found: {tensor}")
    if tensor.shape.ndims is not None and tensor.shape.ndims != 0:
        raise ValueError(f"Argument {argument} must be a 0-D Tensor.  Found: {tensor}")
    static = static_int(tensor)
    if static is not None and static < 0:
        raise ValueError(f"Argument {argument} must be non-negative.  Found: {static}")
    return tensor, static


def _check_batch_shape(batch_shape):
    if batch_shape is None:
        return None, TensorShape([])
    tensor = convert_to_tensor(batch_shape, name="batch_shape", dtype=dtypes.int32)
    if tensor.shape.ndims is not None and tensor.shape.ndims != 1:
        raise ValueError(f"Argument batch_shape must be a 1-D Tensor.  Found: {tensor}")
    if tensor._const_value is not None:
        values = [int(v) for v in tensor._const_value]
        if any(v < 0 for v in values):
            raise ValueError(f"Argument batch_shape must be non-negative.  Found: {values}")
        return tensor, TensorShape(values)
    return tensor, TensorShape([None] * (dimension_value(tensor.shape[0]) or 0)) \
        if tensor.shape.is_fully_defined() else TensorShape(None)


class _SizedOperator(LinearOperator):
    """An operator given by its size (num_rows, batch_shape) rather than a tensor."""

    def _init_size(self, num_rows, num_columns, batch_shape, assert_proper_shapes):
        self._num_rows, self._num_rows_static = _check_num_rows(num_rows)
        if num_columns is None:
            self._num_columns, self._num_columns_static = self._num_rows, self._num_rows_static
        else:
            self._num_columns, self._num_columns_static = _check_num_rows(num_columns, "num_columns")
        self._batch_shape_arg, self._batch_shape_static = _check_batch_shape(batch_shape)
        self._assert_proper_shapes = assert_proper_shapes

    def _shape(self):
        return self._batch_shape_static.concatenate([self._num_rows_static, self._num_columns_static])

    def _shape_tensor(self):
        rows = array_ops.reshape(cast_ops.cast(self._num_rows, dtypes.int32), [1])
        columns = array_ops.reshape(cast_ops.cast(self._num_columns, dtypes.int32), [1])
        if self._batch_shape_arg is None:
            return concat_ops.concat([rows, columns], 0)
        return concat_ops.concat([self._batch_shape_arg, rows, columns], 0)

    def _batch_dims(self):
        if self._batch_shape_static.is_fully_defined():
            return self._batch_shape_static.as_list()
        return self._shape_tensor()[:-2]

    def _filled(self, inner, value):
        """A tensor of `value` with the batch shape followed by the dims `inner`."""
        batch = self._batch_dims()
        dims = batch + inner if isinstance(batch, list) and all(isinstance(d, int) for d in inner) else \
            concat_ops.concat([convert_to_tensor(batch, dtype=dtypes.int32),
                               concat_ops.stack([convert_to_tensor(d, dtype=dtypes.int32) for d in inner])
                               if inner else constant([], dtypes.int32)], 0)
        return fill_ops.fill(dims, constant(value, self.dtype))

    def _size(self, static, dynamic):
        return static if static is not None else cast_ops.cast(dynamic, dtypes.int32)

    def _broadcast_to_batch(self, x):
        """x with this operator's batch dims broadcast in (TF's _possibly_broadcast_batch_shape)."""
        if self._batch_shape_arg is None:
            return x
        ones = self._filled([1, 1], 0)
        return x + ones

    def _checked(self, x, adjoint_arg):
        """x (adjointed) with, under assert_proper_shapes, a run-time check of its row count."""
        x = _adjoint_if(x, adjoint_arg)
        if not self._assert_proper_shapes:
            return x
        rows = array_ops.shape(x)[-2]
        check = check_ops.assert_equal(rows, cast_ops.cast(self._num_columns, dtypes.int32),
                                       message="Incompatible matrix dimensions for the operator and its argument")
        return control_flow_ops.with_dependencies([check], x)


class LinearOperatorIdentity(_SizedOperator):
    """The [batch of] N x N identity, stored as its size only, as `tf.linalg.LinearOperatorIdentity`.

        operator = tf.linalg.LinearOperatorIdentity(num_rows=2, batch_shape=[3])
        operator.matmul(tf.ones([2, 1])).shape    # [3, 2, 1]
    """

    def __init__(self, num_rows, batch_shape=None, dtype=None, is_non_singular=True, is_self_adjoint=True,
                 is_positive_definite=True, is_square=True, assert_proper_shapes=False, name="LinearOperatorIdentity"):
        parameters = dict(num_rows=num_rows, batch_shape=batch_shape, dtype=dtype, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, assert_proper_shapes=assert_proper_shapes, name=name)
        if not is_self_adjoint:
            raise ValueError("An identity operator is always self adjoint.")
        if not is_non_singular:
            raise ValueError("An identity operator is always non-singular.")
        if not is_positive_definite:
            raise ValueError("An identity operator is always positive-definite.")
        if not is_square:
            raise ValueError("An identity operator is always square.")
        self._init_size(num_rows, None, batch_shape, assert_proper_shapes)
        super().__init__(dtype=dtype or dtypes.float32, is_non_singular=True, is_self_adjoint=True,
                         is_positive_definite=True, is_square=True, name=name, parameters=parameters)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._broadcast_to_batch(self._checked(x, adjoint_arg))

    def _determinant(self):
        return self._filled([], 1)

    def _log_abs_determinant(self):
        return self._filled([], 0)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint_arg=adjoint_arg)

    def _trace(self):
        return self._filled([], 1) * cast_ops.cast(self._size(self._num_rows_static, self._num_rows), self.dtype)

    def _diag_part(self):
        return self._filled([self._size(self._num_rows_static, self._num_rows)], 1)

    def _to_dense(self):
        n = self._size(self._num_rows_static, self._num_rows)
        return linalg_impl.eye(n, batch_shape=self._batch_dims() if self._batch_shape_arg is not None else None,
                               dtype=self.dtype)

    def _add_to_tensor(self, x):
        return matrix_ops.matrix_set_diag(x, matrix_ops.matrix_diag_part(x) + 1)

    def _eigvals(self):
        return self._diag_part()

    def _cond(self):
        return self._filled([], 1)


class LinearOperatorScaledIdentity(_SizedOperator):
    """c * I for a [batch of] scalars c, as `tf.linalg.LinearOperatorScaledIdentity`.

        operator = tf.linalg.LinearOperatorScaledIdentity(num_rows=2, multiplier=3.0)
        operator.determinant()    # 9.
    """

    def __init__(self, num_rows, multiplier, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=True, assert_proper_shapes=False, name="LinearOperatorScaledIdentity"):
        parameters = dict(num_rows=num_rows, multiplier=multiplier, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, assert_proper_shapes=assert_proper_shapes, name=name)
        self._multiplier = convert_to_tensor(multiplier, name="multiplier")
        if not self._multiplier.dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A real diagonal operator is always self adjoint.")
            is_self_adjoint = True
        if not is_square:
            raise ValueError("A ScaledIdentity operator is always square.")
        self._init_size(num_rows, None, None, assert_proper_shapes)
        self._batch_shape_static = self._multiplier.shape
        super().__init__(dtype=self._multiplier.dtype, is_non_singular=is_non_singular,
                         is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite, is_square=True,
                         name=name, parameters=parameters)

    @property
    def multiplier(self):
        return self._multiplier

    def _shape_tensor(self):
        n = array_ops.reshape(cast_ops.cast(self._num_rows, dtypes.int32), [1])
        return concat_ops.concat([array_ops.shape(self._multiplier), n, n], 0)

    def _n(self):
        return cast_ops.cast(self._size(self._num_rows_static, self._num_rows), self.dtype)

    def _as_matrix_scale(self, conjugate=False):
        m = _conj(self._multiplier) if conjugate else self._multiplier
        return array_ops.expand_dims(array_ops.expand_dims(m, -1), -1)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return self._checked(x, adjoint_arg) * self._as_matrix_scale(adjoint)

    def _determinant(self):
        return math_pow(self._multiplier, self._n())

    def _log_abs_determinant(self):
        value = unary_ops.log(unary_ops.abs(self._multiplier)) * cast_ops.cast(
            self._size(self._num_rows_static, self._num_rows), self._multiplier.dtype.real_dtype)
        return cast_ops.cast(value, self.dtype) if self.dtype.is_complex else value

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._checked(rhs, adjoint_arg) / self._as_matrix_scale(adjoint)

    def _trace(self):
        return self._multiplier * self._n()

    def _diag_part(self):
        ones = fill_ops.fill(concat_ops.stack([cast_ops.cast(self._num_rows, dtypes.int32)]),
                             constant(1, self.dtype))
        return array_ops.expand_dims(self._multiplier, -1) * ones

    def _to_dense(self):
        n = self._size(self._num_rows_static, self._num_rows)
        return self._as_matrix_scale() * linalg_impl.eye(n, dtype=self.dtype)

    def _add_to_tensor(self, x):
        return matrix_ops.matrix_set_diag(x, matrix_ops.matrix_diag_part(x) + array_ops.expand_dims(
            self._multiplier, -1))

    def _eigvals(self):
        return self._diag_part()

    def _cond(self):
        return fill_ops.ones_like(real(self._multiplier))


def math_pow(x, y):
    """x ** y elementwise (the determinant of c I is c ** n)."""
    return math_ops.pow(x, y)


class LinearOperatorZeros(_SizedOperator):
    """The [batch of] M x N zero matrix, stored as its size only, as `tf.linalg.LinearOperatorZeros`."""

    def __init__(self, num_rows, num_columns=None, batch_shape=None, dtype=None, is_non_singular=False,
                 is_self_adjoint=True, is_positive_definite=False, is_square=True, assert_proper_shapes=False,
                 name="LinearOperatorZeros"):
        parameters = dict(num_rows=num_rows, num_columns=num_columns, batch_shape=batch_shape, dtype=dtype,
                          is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square,
                          assert_proper_shapes=assert_proper_shapes, name=name)
        if is_non_singular:
            raise ValueError("A zero operator is always singular.")
        if is_positive_definite:
            raise ValueError("A zero operator is always not positive-definite.")
        self._init_size(num_rows, num_columns, batch_shape, assert_proper_shapes)
        rows, columns = self._num_rows_static, self._num_columns_static
        if is_square and rows is not None and columns is not None and rows != columns:
            raise ValueError(f"LinearOperatorZeros initialized as is_square=True, but got num_rows({rows}) != "
                             f"num_columns({columns})")
        super().__init__(dtype=dtype or dtypes.float32, is_non_singular=is_non_singular,
                         is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                         is_square=is_square, name=name, parameters=parameters)

    def _rows(self, adjoint=False):
        static, dynamic = (self._num_columns_static, self._num_columns) if adjoint else \
            (self._num_rows_static, self._num_rows)
        return self._size(static, dynamic)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = self._checked(x, adjoint_arg)
        column = self._filled([self._rows(adjoint), 1], 0)  # [batch..., M, 1]
        return column * fill_ops.zeros_like(x[..., :1, :])

    def _determinant(self):
        return self._filled([], 0)

    def _log_abs_determinant(self):
        return unary_ops.log(self._determinant())

    def _trace(self):
        return self._filled([], 0)

    def _diag_part(self):
        rows, columns = self._rows(), self._rows(adjoint=True)
        if isinstance(rows, int) and isinstance(columns, int):
            return self._filled([min(rows, columns)], 0)
        return self._filled([math_minimum(rows, columns)], 0)

    def _to_dense(self):
        return self._filled([self._rows(), self._rows(adjoint=True)], 0)

    def _add_to_tensor(self, x):
        return self._broadcast_to_batch(x)

    def _eigvals(self):
        return self._diag_part()


def math_minimum(a, b):
    return reduction_ops.reduce_min(concat_ops.stack([convert_to_tensor(a, dtype=dtypes.int32),
                                                      convert_to_tensor(b, dtype=dtypes.int32)]))


# ---- Householder -------------------------------------------------------------------------------------------------
class LinearOperatorHouseholder(LinearOperator):
    """The reflection I - 2 v v^H / |v|^2 through the hyperplane orthogonal to `reflection_axis`,
    as `tf.linalg.LinearOperatorHouseholder`: its own inverse, determinant -1."""

    def __init__(self, reflection_axis, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorHouseholder"):
        parameters = dict(reflection_axis=reflection_axis, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, name=name)
        self._reflection_axis = convert_to_tensor(reflection_axis, name="reflection_axis")
        _check_floating(self._reflection_axis, "reflection_axis")
        if is_self_adjoint is False:
            raise ValueError("A Householder operator is always self adjoint.")
        if is_positive_definite is True:
            raise ValueError("A Householder operator is always non-positive definite.")
        if is_square is False:
            raise ValueError("A Householder operator is always square.")
        super().__init__(dtype=self._reflection_axis.dtype, is_non_singular=is_non_singular, is_self_adjoint=True,
                         is_positive_definite=False, is_square=True, name=name, parameters=parameters)

    @property
    def reflection_axis(self):
        return self._reflection_axis

    def _shape(self):
        shape = self._reflection_axis.shape
        return TensorShape(None) if shape.ndims is None else shape.concatenate(shape[-1:])

    def _shape_tensor(self):
        shape = array_ops.shape(self._reflection_axis)
        return concat_ops.concat([shape, shape[-1:]], 0)

    def _unit_axis(self):
        return nn_impl.l2_normalize(self._reflection_axis, axis=-1)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        x = _adjoint_if(x, adjoint_arg)
        axis = array_ops.expand_dims(self._unit_axis(), -1)  # [..., n, 1]
        projection = matmul_ops.matmul(axis, x, adjoint_a=True)  # [..., 1, R]
        return x - 2 * axis * projection

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint, adjoint_arg)  # a reflection is its own inverse

    def _batch_ones(self):
        return fill_ops.ones_like(real(self._reflection_axis[..., 0]))

    def _determinant(self):
        return cast_ops.cast(-self._batch_ones(), self.dtype)

    def _log_abs_determinant(self):
        return cast_ops.cast(0 * self._batch_ones(), self.dtype)

    def _trace(self):
        n = cast_ops.cast(array_ops.shape(self._reflection_axis)[-1], self._batch_ones().dtype)
        return cast_ops.cast(self._batch_ones() * (n - 2), self.dtype)

    def _diag_part(self):
        unit = self._unit_axis()
        return 1 - 2 * unit * _conj(unit)

    def _eigvals(self):
        ones = fill_ops.ones_like(real(self._reflection_axis))
        minus = -ones[..., :1]
        return cast_ops.cast(concat_ops.concat([minus, ones[..., 1:]], -1), self.dtype)

    def _cond(self):
        return cast_ops.cast(self._batch_ones(), self.dtype)


# ---- Permutation -------------------------------------------------------------------------------------------------
class LinearOperatorPermutation(LinearOperator):
    """The permutation matrix P with P[i, perm[i]] = 1, so `P @ x == x[perm]` (rows gathered), as
    `tf.linalg.LinearOperatorPermutation`.

        operator = tf.linalg.LinearOperatorPermutation([1, 2, 0])
        operator.matvec([10.0, 20.0, 30.0])    # [20., 30., 10.]
    """

    def __init__(self, perm, dtype=dtypes.float32, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorPermutation"):
        parameters = dict(perm=perm, dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        if is_non_singular is False:
            raise ValueError("A Permutation operator is always non-singular. Expected argument `is_non_singular` to "
                             f"be True. Received: {is_non_singular}.")
        if is_square is False:
            raise ValueError("A Permutation operator is always square. Expected argument `is_square` to be True. "
                             f"Received: {is_square}.")
        self._perm = convert_to_tensor(perm, name="perm")
        if not self._perm.dtype.is_integer:
            raise TypeError(f"Argument `perm` must be integer dtype. Received: {_value_repr(self._perm)}.")
        if self._perm.shape.ndims is not None and self._perm.shape.ndims < 1:
            raise ValueError(f"Argument `perm` must have at least 1 dimension. Received: {self._perm}.")
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=True, name=name, parameters=parameters)

    @property
    def perm(self):
        return self._perm

    def _shape(self):
        shape = self._perm.shape
        return TensorShape(None) if shape.ndims is None else shape.concatenate(shape[-1:])

    def _shape_tensor(self):
        shape = array_ops.shape(self._perm)
        return concat_ops.concat([shape, shape[-1:]], 0)

    def _inverse_perm(self):
        n = array_ops.shape(self._perm)[-1]
        return reduction_ops.argmax(gather_ops.one_hot(self._perm, n, dtype=dtypes.int32), axis=-2,
                                 output_type=self._perm.dtype)

    def _gather_rows(self, x, perm):
        if perm.shape.ndims == 1:
            return gather_ops.gather(x, perm, axis=-2 if x.shape.ndims is None else x.shape.ndims - 2)
        # batched permutations: broadcast x and perm to one batch, then gather within each matrix
        probe = fill_ops.zeros_like(x[..., 0], dtype=dtypes.int32) + fill_ops.zeros_like(perm)
        batch = array_ops.shape(probe)  # [..., m]
        k = array_ops.shape(x)[-1:]
        x = manipulation_ops.broadcast_to(x, concat_ops.concat([batch, k], 0))
        perm = perm + probe
        m = batch[-1:]
        flat_x = array_ops.reshape(x, concat_ops.concat([[-1], m, k], 0))
        flat_perm = array_ops.reshape(perm, concat_ops.concat([[-1], m], 0))
        gathered = gather_ops.gather(flat_x, flat_perm, axis=1, batch_dims=1)
        return array_ops.reshape(gathered, concat_ops.concat([batch, k], 0))

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        perm = self._inverse_perm() if adjoint and not self.is_self_adjoint else self._perm
        return self._gather_rows(_adjoint_if(x, adjoint_arg), perm)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        return self._matmul(rhs, adjoint=not adjoint, adjoint_arg=adjoint_arg)

    def _to_dense(self):
        return gather_ops.one_hot(self._perm, array_ops.shape(self._perm)[-1], dtype=self.dtype)

    def _determinant(self):
        """The parity of the number of inversions (pairs i < j with perm[i] > perm[j])."""
        later = array_ops.expand_dims(self._perm, -2)  # [..., 1, n]: perm[j]
        earlier = array_ops.expand_dims(self._perm, -1)  # [..., n, 1]: perm[i]
        n = array_ops.shape(self._perm)[-1]
        upper = comparison_ops.greater(fill_ops.range_(n), array_ops.expand_dims(fill_ops.range_(n), -1))  # j > i
        inverted = comparison_ops.logical_and(upper, comparison_ops.greater(earlier, later))
        count = reduction_ops.reduce_sum(cast_ops.cast(inverted, dtypes.int32), axis=[-2, -1])
        return cast_ops.cast(1 - 2 * (count % 2), self.dtype)

    def _log_abs_determinant(self):
        return 0 * self._determinant()

    def _diag_part(self):
        n = array_ops.shape(self._perm)[-1]
        return cast_ops.cast(comparison_ops.equal(self._perm, cast_ops.cast(fill_ops.range_(n), self._perm.dtype)),
                             self.dtype)

    def _cond(self):
        return fill_ops.ones_like(self._determinant())


def _value_repr(tensor: Tensor):
    value = tensor._const_value
    return np.asarray(value) if value is not None else tensor


# ---- rules: operator-valued results --------------------------------------------------------------------------------
def _diag_like(diag, operator_a, operator_b=None):
    if operator_b is None:
        return LinearOperatorDiag(diag, is_non_singular=operator_a.is_non_singular,
                                  is_self_adjoint=operator_a.is_self_adjoint,
                                  is_positive_definite=operator_a.is_positive_definite, is_square=True)
    return LinearOperatorDiag(diag, is_non_singular=combined_non_singular(operator_a, operator_b),
                              is_self_adjoint=combined_commuting_self_adjoint(operator_a, operator_b),
                              is_positive_definite=combined_commuting_positive_definite(operator_a, operator_b),
                              is_square=True)


def _scaled_diag(scaled, diag_operator):
    return array_ops.expand_dims(scaled.multiplier, -1) * diag_operator.diag


def _square_zeros_check(zeros, other):
    if not zeros.is_square or not other.is_square:
        raise ValueError("Matmul with non-square `LinearOperator`s or non-square `LinearOperatorZeros` not supported "
                         "at this time.")
    return zeros


def _lower_triangular_like(tril, left, right):
    return LinearOperatorLowerTriangular(tril, is_non_singular=combined_non_singular(left, right), is_square=True)


RULES["matmul"].update({
    (LinearOperatorIdentity, LinearOperator): lambda identity, other: other,
    (LinearOperator, LinearOperatorIdentity): lambda other, identity: other,
    (LinearOperatorZeros, LinearOperator): _square_zeros_check,
    (LinearOperator, LinearOperatorZeros): lambda other, zeros: _square_zeros_check(zeros, other),
    (LinearOperatorDiag, LinearOperatorDiag): lambda a, b: _diag_like(a.diag * b.diag, a, b),
    (LinearOperatorScaledIdentity, LinearOperatorDiag): lambda a, b: _diag_like(_scaled_diag(a, b), a, b),
    (LinearOperatorDiag, LinearOperatorScaledIdentity): lambda a, b: _diag_like(_scaled_diag(b, a), a, b),
    (LinearOperatorScaledIdentity, LinearOperatorScaledIdentity): lambda a, b: LinearOperatorScaledIdentity(
        a._num_rows, a.multiplier * b.multiplier, is_non_singular=combined_non_singular(a, b),
        is_self_adjoint=combined_commuting_self_adjoint(a, b),
        is_positive_definite=combined_commuting_positive_definite(a, b), is_square=True),
    (LinearOperatorDiag, LinearOperatorLowerTriangular): lambda a, b: _lower_triangular_like(
        array_ops.expand_dims(a.diag, -1) * b.tril, a, b),
    (LinearOperatorLowerTriangular, LinearOperatorDiag): lambda a, b: _lower_triangular_like(
        a.tril * array_ops.expand_dims(b.diag, -2), a, b),
})
RULES["solve"].update({
    (LinearOperatorDiag, LinearOperatorDiag): lambda a, b: _diag_like(b.diag / a.diag, a, b),
})
RULES["inverse"].update({
    LinearOperatorIdentity: lambda identity: identity,
    LinearOperatorDiag: lambda d: _diag_like(1.0 / d.diag, d),
    LinearOperatorScaledIdentity: lambda s: LinearOperatorScaledIdentity(
        s._num_rows, 1.0 / s.multiplier, is_non_singular=s.is_non_singular, is_self_adjoint=True,
        is_positive_definite=s.is_positive_definite, is_square=True),
    LinearOperatorHouseholder: lambda h: h,
})
RULES["adjoint"].update({
    LinearOperatorDiag: lambda d: _diag_like(_conj(d.diag), d),
    LinearOperatorScaledIdentity: lambda s: LinearOperatorScaledIdentity(
        s._num_rows, _conj(s.multiplier), is_non_singular=s.is_non_singular, is_self_adjoint=s.is_self_adjoint,
        is_positive_definite=s.is_positive_definite, is_square=True),
})
RULES["cholesky"].update({
    LinearOperatorIdentity: lambda identity: identity,
    LinearOperatorDiag: lambda d: LinearOperatorDiag(unary_ops.sqrt(d.diag), is_non_singular=True,
                                                     is_self_adjoint=True, is_positive_definite=True, is_square=True),
    LinearOperatorScaledIdentity: lambda s: LinearOperatorScaledIdentity(
        s._num_rows, unary_ops.sqrt(s.multiplier), is_non_singular=True, is_self_adjoint=True,
        is_positive_definite=True, is_square=True),
})

