"""LinearOperators of structured matrices given by a few vectors: Toeplitz (first column and
row), Tridiag (three diagonals) and the circulants (a spectrum: Circulant, Circulant2D,
Circulant3D), as TF's linear_operator_toeplitz.py / _tridiag.py / _circulant.py.

A circulant C = F^H diag(H) F / N is applied as TF applies it, ifft(H * fft(x)), with the
discrete Fourier transform along each of its 1, 2 or 3 axes written as a product with the
constant DFT matrix (estflow has no FFT op yet; the values are the FFT's). Tridiag multiplies
and solves through TridiagonalMatMul / TridiagonalSolve. Toeplitz builds its matrix by one
gather (TF embeds it in a circulant; the products are the same).
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    matmul_ops,
    matrix_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.tensor_shape import TensorShape, dimension_value
from estflow.library import check_ops, linalg_impl, linalg_matrix_functions
from estflow.library.linear_operator import RULES, LinearOperator

_FLOATING = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def _conj(x):
    return unary_ops.conj(x) if x.dtype.is_complex else x


def _adjoint_if(x, flag):
    return linalg_impl.adjoint(x) if flag else x


def _square_from_vector(vector):
    shape = vector.shape
    return TensorShape(None) if shape.ndims is None else shape.concatenate(shape[-1:])


def _square_tensor_from_vector(vector):
    shape = array_ops.shape(vector)
    return concat_ops.concat([shape, shape[-1:]], 0)


# ---- Toeplitz --------------------------------------------------------------------------------------
class LinearOperatorToeplitz(LinearOperator):
    """The Toeplitz matrix with first column `col` and first row `row` (row[0] is ignored: the
    diagonal is col[0]), as `tf.linalg.LinearOperatorToeplitz`.

        tf.linalg.LinearOperatorToeplitz(col=[1., 2., 3.], row=[1., 4., 5.]).to_dense()
        # [[1, 4, 5], [2, 1, 4], [3, 2, 1]]
    """

    def __init__(self, col, row, is_non_singular=None, is_self_adjoint=None, is_positive_definite=None,
                 is_square=None, name="LinearOperatorToeplitz"):
        parameters = dict(col=col, row=row, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                          is_positive_definite=is_positive_definite, is_square=is_square, name=name)
        if is_square is False:
            raise ValueError("Only square Toeplitz operators currently supported.")
        self._col = convert_to_tensor(col, name="col")
        self._row = convert_to_tensor(row, name="row", dtype=self._col.dtype)
        for argument, tensor in (("col", self._col), ("row", self._row)):
            if tensor.shape.ndims is not None and tensor.shape.ndims < 1:
                raise ValueError(f"Argument {argument} must have at least 1 dimension.  Found: {tensor}")
        if self._col.dtype not in _FLOATING:
            raise TypeError(f"Argument `col` must have dtype in {[d.name for d in _FLOATING]}. Received: "
                            f"{self._col.dtype!r}.")
        super().__init__(dtype=self._col.dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=True, name=name, parameters=parameters)

    col = property(lambda self: self._col)
    row = property(lambda self: self._row)

    def _shape(self):
        shape = self._col.shape.as_tuple()
        row = self._row.shape.as_tuple()
        if shape is None or row is None:
            return TensorShape(None)
        batch = self._col.shape[:-1]
        return batch.concatenate([shape[-1], row[-1]])

    def _shape_tensor(self):
        return concat_ops.concat([array_ops.shape(self._col), array_ops.shape(self._row)[-1:]], 0)

    def _to_dense(self):
        n = dimension_value(self._col.shape[-1])
        if n is None:
            raise ValueError("LinearOperatorToeplitz needs a static size to form its matrix")
        # v[n - 1 + k] = col[k] and v[n - 1 - k] = row[k]: entry (i, j) is v[n - 1 + i - j]
        values = concat_ops.concat([manipulation_ops.reverse(self._row[..., 1:], [-1]), self._col], -1)
        index = (n - 1) + np.arange(n)[:, None] - np.arange(n)[None, :]
        return gather_ops.gather(values, constant(index.astype(np.int32)), axis=values.shape.ndims - 1)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        return matmul_ops.matmul(self._to_dense(), x, adjoint_a=adjoint, adjoint_b=adjoint_arg)

    def _diag_part(self):
        n = array_ops.shape(self._col)[-1:]
        return array_ops.expand_dims(self._col[..., 0], -1) * fill_ops.ones(n, self.dtype)

    def _trace(self):
        n = cast_ops.cast(array_ops.shape(self._col)[-1], self.dtype)
        return self._col[..., 0] * n


# ---- Tridiag ------------------------------------------------------------------------------------------
class LinearOperatorTridiag(LinearOperator):
    """A [batch of] tridiagonal matrices given by their diagonals, as `tf.linalg.LinearOperatorTridiag`:
    `diagonals_format` 'compact' ([..., 3, N]: super, main, sub), 'sequence' or 'matrix', as
    `tf.linalg.tridiagonal_matmul` reads them; matmul and solve never form the matrix."""

    def __init__(self, diagonals, diagonals_format="compact", is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=None, name="LinearOperatorTridiag"):
        parameters = dict(diagonals=diagonals, diagonals_format=diagonals_format, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, name=name)
        if diagonals_format not in ("compact", "matrix", "sequence"):
            raise ValueError("Argument `diagonals_format` must be one of compact, matrix, or sequence. Received : "
                             f"{diagonals_format}.")
        if diagonals_format == "sequence":
            self._diagonals = [convert_to_tensor(d, name="diagonals") for d in diagonals]
            dtype = self._diagonals[0].dtype
        else:
            self._diagonals = convert_to_tensor(diagonals, name="diagonals")
            dtype = self._diagonals.dtype
        self._diagonals_format = diagonals_format
        super().__init__(dtype=dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=is_square, name=name,
                         parameters=parameters)

    diagonals = property(lambda self: self._diagonals)
    diagonals_format = property(lambda self: self._diagonals_format)

    def _compact(self):
        if self._diagonals_format == "compact":
            return self._diagonals
        if self._diagonals_format == "sequence":
            return concat_ops.stack(self._diagonals, axis=-2)
        return linalg_matrix_functions.tridiagonal_compact_from_matrix(self._diagonals)

    def _shape(self):
        if self._diagonals_format == "matrix":
            return self._diagonals.shape
        main = self._diagonals[1] if self._diagonals_format == "sequence" else None
        if main is not None:
            return _square_from_vector(main)
        shape = self._diagonals.shape
        if shape.ndims is None:
            return TensorShape(None)
        return shape[:-2].concatenate([shape[-1], shape[-1]])

    def _shape_tensor(self):
        if self._diagonals_format == "matrix":
            return array_ops.shape(self._diagonals)
        if self._diagonals_format == "sequence":
            return _square_tensor_from_vector(self._diagonals[1])
        shape = array_ops.shape(self._diagonals)
        return concat_ops.concat([shape[:-2], shape[-1:], shape[-1:]], 0)

    def _adjoint_compact(self):
        compact = self._compact()
        sup, main, sub = compact[..., 0, :], compact[..., 1, :], compact[..., 2, :]
        zero = fill_ops.zeros_like(main[..., :1])
        return concat_ops.stack([concat_ops.concat([_conj(sub[..., 1:]), zero], -1), _conj(main),
                                 concat_ops.concat([zero, _conj(sup[..., :-1])], -1)], axis=-2)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        compact = self._adjoint_compact() if adjoint else self._compact()
        return linalg_matrix_functions.tridiagonal_matmul(compact, _adjoint_if(x, adjoint_arg))

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        compact = self._adjoint_compact() if adjoint else self._compact()
        return linalg_matrix_functions.tridiagonal_solve(compact, _adjoint_if(rhs, adjoint_arg))

    def _diag_part(self):
        return self._compact()[..., 1, :]

    def _to_dense(self):
        if self._diagonals_format == "matrix":
            return self._diagonals  # as TF: the matrix given (matmul and solve read its three diagonals)
        compact = self._compact()
        sup, main, sub = compact[..., 0, :], compact[..., 1, :], compact[..., 2, :]
        zero = fill_ops.zeros_like(main[..., :1])
        above = matrix_ops.matrix_diag(concat_ops.concat([zero, sup[..., :-1]], -1))  # sup[j - 1] at (j, j)
        below = matrix_ops.matrix_diag(concat_ops.concat([sub[..., 1:], zero], -1))  # sub[i + 1] at (i, i)
        above = concat_ops.concat([above[..., 1:, :], fill_ops.zeros_like(above[..., :1, :])], -2)  # (j - 1, j)
        below = concat_ops.concat([fill_ops.zeros_like(below[..., :1, :]), below[..., :-1, :]], -2)  # (i + 1, i)
        return matrix_ops.matrix_diag(main) + above + below


# ---- circulants ------------------------------------------------------------------------------------------------
def _dft(n, dtype, inverse=False):
    """The n x n DFT matrix (entry (j, k) = exp(-+2 pi i j k / n), divided by n for the inverse)."""
    sign = 1.0 if inverse else -1.0
    jk = np.outer(np.arange(n), np.arange(n))
    matrix = np.exp(sign * 2j * np.pi * jk / n)
    if inverse:
        matrix = matrix / n
    return constant(matrix.astype(dtype.as_numpy_dtype))


def _complex_of(dtype):
    return dtypes.complex128 if dtype in (dtypes.float64, dtypes.complex128) else dtypes.complex64


class _BaseLinearOperatorCirculant(LinearOperator):
    """A [batch of] block circulant operators of `block_depth` levels, defined by the spectrum H
    (the DFT of the convolution kernel): matmul is ifft(H * fft(x))."""

    _block_depth = 1

    def __init__(self, spectrum, block_depth, input_output_dtype, is_non_singular, is_self_adjoint,
                 is_positive_definite, is_square, parameters, name):
        spectrum = convert_to_tensor(spectrum, name="spectrum")
        if spectrum.dtype not in _FLOATING:
            allowed = ", ".join(d.name for d in _FLOATING)
            raise TypeError(f"Argument `spectrum` must have dtype in [{allowed}]. Received: {spectrum.dtype!r}.")
        if not spectrum.dtype.is_complex:
            if is_self_adjoint is False:
                raise ValueError("A real spectrum always corresponds to a self-adjoint operator. Expected argument "
                                 "`is_self_adjoint` to be True when `spectrum.dtype.is_complex` = True. Received: "
                                 f"{is_self_adjoint}.")
            is_self_adjoint = True
        if is_square is False:
            raise ValueError("A [[nested] block] circulant operator is always square. Expected argument "
                             f"`is_square` to be True. Received: {is_square}.")
        dims = spectrum.shape.as_tuple()
        if dims is None or len(dims) < block_depth or any(d is None for d in dims[len(dims) - block_depth:]):
            raise ValueError(f"Argument `spectrum` must have a known shape in its last {block_depth} dimension(s) "
                             f"in estflow. Received: {spectrum.shape}.")
        self._spectrum = spectrum
        self._block_depth_value = block_depth
        self._block_shape_static = list(dims[len(dims) - block_depth:])
        self._work_dtype = _complex_of(spectrum.dtype) if not spectrum.dtype.is_complex else spectrum.dtype
        super().__init__(dtype=input_output_dtype, is_non_singular=is_non_singular, is_self_adjoint=is_self_adjoint,
                         is_positive_definite=is_positive_definite, is_square=True, name=name, parameters=parameters)

    @property
    def spectrum(self):
        return self._spectrum

    @property
    def block_depth(self):
        return self._block_depth_value

    @property
    def block_shape(self):
        return TensorShape(self._block_shape_static)

    def block_shape_tensor(self):
        return constant(self._block_shape_static, dtypes.int32)

    def _size(self):
        return int(np.prod(self._block_shape_static))

    def _batch(self):
        return self._spectrum.shape[:-self._block_depth_value]

    def _shape(self):
        return self._batch().concatenate([self._size(), self._size()])

    def _shape_tensor(self):
        batch = array_ops.shape(self._spectrum)[:-self._block_depth_value]
        return concat_ops.concat([batch, constant([self._size(), self._size()], dtypes.int32)], 0)

    def _complex_spectrum(self):
        return cast_ops.cast(self._spectrum, self._work_dtype) if not self._spectrum.dtype.is_complex \
            else self._spectrum

    def _transform(self, z, inverse):
        """The (inverse) DFT of z [..., n0, (n1, (n2,)) r] along its block axes."""
        rank = z.shape.ndims
        for level, n in enumerate(self._block_shape_static):
            axis = rank - 1 - self._block_depth_value + level
            perm = list(range(rank))
            perm[axis], perm[-1] = perm[-1], perm[axis]
            moved = manipulation_ops.transpose(z, perm)
            moved = matmul_ops.matmul(moved, _dft(n, z.dtype, inverse), transpose_b=True)
            z = manipulation_ops.transpose(moved, perm)
        return z

    def _apply_spectrum(self, x, spectrum):
        """ifft(spectrum * fft(x)) for x [..., N, R], in this operator's dtype."""
        if x.shape.ndims is None:
            raise ValueError("A circulant operator needs an argument of known rank")
        work = cast_ops.cast(x, self._work_dtype) if x.dtype != self._work_dtype else x
        shape = array_ops.shape(work)
        blocks = array_ops.reshape(work, concat_ops.concat(
            [shape[:-2], constant(self._block_shape_static, dtypes.int32), shape[-1:]], 0))
        transformed = self._transform(blocks, inverse=False) * array_ops.expand_dims(spectrum, -1)
        out = self._transform(transformed, inverse=True)
        out_shape = array_ops.shape(out)
        out = array_ops.reshape(out, concat_ops.concat(
            [out_shape[:-(self._block_depth_value + 1)], constant([self._size()], dtypes.int32), out_shape[-1:]], 0))
        return self._as_dtype(out)

    def _matmul(self, x, adjoint=False, adjoint_arg=False):
        spectrum = self._complex_spectrum()
        return self._apply_spectrum(_adjoint_if(x, adjoint_arg), _conj(spectrum) if adjoint else spectrum)

    def _solve(self, rhs, adjoint=False, adjoint_arg=False):
        spectrum = self._complex_spectrum()
        return self._apply_spectrum(_adjoint_if(rhs, adjoint_arg), 1.0 / (_conj(spectrum) if adjoint else spectrum))

    def _as_dtype(self, value):
        return value if value.dtype == self.dtype else cast_ops.cast(value, self.dtype)

    def _flat_spectrum(self):
        spectrum = self._complex_spectrum()
        shape = array_ops.shape(spectrum)[:-self._block_depth_value]
        return array_ops.reshape(spectrum, concat_ops.concat([shape, constant([-1], dtypes.int32)], 0))

    def _determinant(self):
        return self._as_dtype(reduction_ops.reduce_prod(self._flat_spectrum(), axis=-1))

    def _log_abs_determinant(self):
        value = reduction_ops.reduce_sum(unary_ops.log(unary_ops.abs(self._flat_spectrum())), axis=-1)
        return cast_ops.cast(value, self.dtype)

    def _trace(self):
        return self._as_dtype(reduction_ops.reduce_sum(self._flat_spectrum(), axis=-1))

    def _diag_part(self):
        mean = reduction_ops.reduce_mean(self._flat_spectrum(), axis=-1, keepdims=True)
        return self._as_dtype(mean * fill_ops.ones([self._size()], self._work_dtype))

    def _eigvals(self):
        return self._as_dtype(self._flat_spectrum())

    def _cond(self):
        magnitude = unary_ops.abs(self._flat_spectrum())
        return cast_ops.cast(reduction_ops.reduce_max(magnitude, axis=-1) / reduction_ops.reduce_min(magnitude, -1),
                             self.dtype)

    def convolution_kernel(self, name="convolution_kernel"):
        """The kernel h (the inverse DFT of the spectrum) whose circular convolution this operator is."""
        with self._scope(name):
            z = array_ops.expand_dims(self._complex_spectrum(), -1)
            kernel = array_ops.squeeze(self._transform(z, inverse=True), axis=[-1])
            return self._as_dtype(kernel)

    def assert_hermitian_spectrum(self, name="assert_hermitian_spectrum"):
        """An op that fails at run time unless the convolution kernel is real (to eps * N), that is,
        unless the spectrum is Hermitian, as TF's."""
        with self._scope(name):
            kernel = self.convolution_kernel()
            imaginary = cast_ops.cast(kernel * constant(-1j, kernel.dtype), kernel.dtype.real_dtype) \
                if kernel.dtype.is_complex else fill_ops.zeros_like(kernel)
            limit = float(np.finfo(self.dtype.real_dtype.as_numpy_dtype).eps) * self._size()
            return check_ops.assert_less(unary_ops.abs(imaginary), constant(limit, imaginary.dtype),
                                         message="Spectrum was not Hermitian")

    def _with_spectrum(self, spectrum, **hints):
        return type(self)(spectrum, input_output_dtype=self.dtype, is_square=True, **hints)


class LinearOperatorCirculant(_BaseLinearOperatorCirculant):
    """A [batch of] N x N circulant matrices defined by their spectrum [..., N] (the DFT of the
    first column), as `tf.linalg.LinearOperatorCirculant`; `input_output_dtype` (default
    complex64) is the dtype of its arguments and results (real ones keep the real part).

        spectrum = tf.constant(np.fft.fft([1.0, 2.0, 3.0]), tf.complex64)
        tf.linalg.LinearOperatorCirculant(spectrum, input_output_dtype=tf.float32).to_dense()
        # [[1, 3, 2], [2, 1, 3], [3, 2, 1]]
    """

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorCirculant"):
        parameters = dict(spectrum=spectrum, input_output_dtype=input_output_dtype, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, name=name)
        super().__init__(spectrum, 1, input_output_dtype, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, parameters, name)


class LinearOperatorCirculant2D(_BaseLinearOperatorCirculant):
    """A block circulant operator with circulant blocks, spectrum [..., N0, N1] (size N0 * N1), as
    `tf.linalg.LinearOperatorCirculant2D`: the 2-D circular convolution with ifft2(spectrum)."""

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorCirculant2D"):
        parameters = dict(spectrum=spectrum, input_output_dtype=input_output_dtype, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, name=name)
        super().__init__(spectrum, 2, input_output_dtype, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, parameters, name)


class LinearOperatorCirculant3D(_BaseLinearOperatorCirculant):
    """The 3-level block circulant operator of spectrum [..., N0, N1, N2], as
    `tf.linalg.LinearOperatorCirculant3D`: the 3-D circular convolution with ifft3(spectrum)."""

    def __init__(self, spectrum, input_output_dtype=dtypes.complex64, is_non_singular=None, is_self_adjoint=None,
                 is_positive_definite=None, is_square=True, name="LinearOperatorCirculant3D"):
        parameters = dict(spectrum=spectrum, input_output_dtype=input_output_dtype, is_non_singular=is_non_singular,
                          is_self_adjoint=is_self_adjoint, is_positive_definite=is_positive_definite,
                          is_square=is_square, name=name)
        super().__init__(spectrum, 3, input_output_dtype, is_non_singular, is_self_adjoint, is_positive_definite,
                         is_square, parameters, name)


def _circulant_hints(operator):
    return dict(is_non_singular=operator.is_non_singular, is_self_adjoint=operator.is_self_adjoint,
                is_positive_definite=operator.is_positive_definite)


RULES["inverse"][_BaseLinearOperatorCirculant] = lambda c: c._with_spectrum(
    1.0 / c._complex_spectrum(), **_circulant_hints(c))
RULES["adjoint"][_BaseLinearOperatorCirculant] = lambda c: c._with_spectrum(
    _conj(c._complex_spectrum()), **_circulant_hints(c))


def _circulant_product(a, b):
    if type(a) is not type(b):
        return None
    return a._with_spectrum(a._complex_spectrum() * b._complex_spectrum(), is_self_adjoint=(
        True if a.is_self_adjoint and b.is_self_adjoint else None))


RULES["matmul"][(_BaseLinearOperatorCirculant, _BaseLinearOperatorCirculant)] = _circulant_product
