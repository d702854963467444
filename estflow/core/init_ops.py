"""Initializers: objects that build a variable's initial value, as TF1's `init_ops`.

An initializer is called as `init(shape, dtype=None, partition_info=None)` and returns a
tensor built from ops, so `tf.get_variable` can place those ops under
`<variable>/Initializer/` and every session computes the value itself (random
initializers draw per session, reproducibly under `tf.set_random_seed`).

    w = tf.get_variable("w", [784, 10], initializer=tf.glorot_uniform_initializer(seed=1))
    b = tf.get_variable("b", [10], initializer=tf.zeros_initializer())
"""

from __future__ import annotations

import math

import numpy as np

from estflow.core import dtypes
from estflow.core.ops import array_ops, fill_ops, linalg_ops, random_ops
from estflow.core.ops.constant_op import constant
from estflow.core.registry import apply_op
from estflow.core.tensor_shape import TensorShape


def _assert_float_dtype(dtype) -> dtypes.DType:
    dtype = dtypes.as_dtype(dtype).base_dtype
    if not dtype.is_floating:
        raise ValueError(f"Expected floating point type, got {dtype.name}.")
    return dtype


def _dims(shape, what="initialize") -> list[int]:
    """`shape` as a list of Python ints (initializers that compute fans need static shapes)."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"The shape of the tensor to {what} must be fully defined, got {shape}.")
        return shape.as_list()
    return [int(d) for d in shape]


def _compute_fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape: conv kernels count their receptive field."""
    shape = _dims(shape)
    if len(shape) < 1:  # scalars: avoid dividing by zero
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field = 1
        for d in shape[:-2]:
            receptive_field *= d
        fan_in = shape[-2] * receptive_field
        fan_out = shape[-1] * receptive_field
    return int(fan_in), int(fan_out)


class Initializer:
    """Base class of initializers: `__call__(shape, dtype=None, partition_info=None)` -> Tensor.

    `partition_info` describes the slice of a partitioned variable being initialized; TF1's
    initializers ignore it too, and estflow has no partitioned variables.
    """

    def __call__(self, shape, dtype=None, partition_info=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        """The constructor arguments, so `type(init).from_config(init.get_config())` rebuilds it."""
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros (`False` for bool, `""` for strings), as `tf.zeros_initializer`."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype).base_dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        return fill_ops.zeros(shape, dtype if dtype is not None else self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Ones(Initializer):
    """All ones, as `tf.ones_initializer`."""

    def __init__(self, dtype=dtypes.float32):
        self.dtype = dtypes.as_dtype(dtype).base_dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        return fill_ops.ones(shape, dtype if dtype is not None else self.dtype)

    def get_config(self):
        return {"dtype": self.dtype.name}


class Constant(Initializer):
    """A fixed value, as `tf.constant_initializer`.

    A scalar fills the shape; a list shorter than the shape is padded with its last
    element (TF1's `tf.constant`); a longer one raises TypeError, and so does any
    mismatch when `verify_shape=True`.

        tf.get_variable("b", [4], initializer=tf.constant_initializer([1, 2]))   # [1, 2, 2, 2]
    """

    def __init__(self, value=0, dtype=dtypes.float32, verify_shape=False):
        if not (np.isscalar(value) or isinstance(value, (list, tuple, np.ndarray))):
            raise TypeError(f"Invalid type for initial value: {type(value)} (expected Python scalar, list or "
                            f"tuple of values, or numpy.ndarray).")
        self.value = value
        self.dtype = dtypes.as_dtype(dtype).base_dtype
        self._verify_shape = verify_shape

    def __call__(self, shape, dtype=None, partition_info=None, verify_shape=None):
        if verify_shape is None:
            verify_shape = self._verify_shape
        return constant(self.value, dtype=dtype if dtype is not None else self.dtype, shape=shape,
                        verify_shape=verify_shape)

    def get_config(self):
        return {"value": self.value, "dtype": self.dtype.name}


class RandomUniform(Initializer):
    """Uniform values in `[minval, maxval)` (`maxval` defaults to 1 for floats), as `tf.random_uniform_initializer`."""

    def __init__(self, minval=0, maxval=None, seed=None, dtype=dtypes.float32):
        self.minval = minval
        self.maxval = maxval
        self.seed = seed
        self.dtype = dtypes.as_dtype(dtype).base_dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_uniform(shape, self.minval, self.maxval, dtype if dtype is not None else self.dtype,
                                         seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed, "dtype": self.dtype.name}


class _NormalBase(Initializer):
    """Shared by the normal initializers: `mean`, `stddev`, `seed` and a float `dtype`."""

    _sample = None  # the random_ops function drawing the values

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=dtypes.float32):
        self.mean = mean
        self.stddev = stddev
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        sample = type(self)._sample
        return sample(shape, self.mean, self.stddev, dtype if dtype is not None else self.dtype, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed, "dtype": self.dtype.name}


class RandomNormal(_NormalBase):
    """Normal values, as `tf.random_normal_initializer`."""

    _sample = staticmethod(random_ops.random_normal)


class TruncatedNormal(_NormalBase):
    """Normal values within 2 stddevs of the mean, as `tf.truncated_normal_initializer`."""

    _sample = staticmethod(random_ops.truncated_normal)


class UniformUnitScaling(Initializer):
    """Uniform in `±factor * sqrt(3 / input_size)` (deprecated in TF1 for `variance_scaling_initializer`)."""

    def __init__(self, factor=1.0, seed=None, dtype=dtypes.float32):
        self.factor = factor
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        scale_shape = _dims(partition_info.full_shape if partition_info is not None else shape)
        input_size = 1.0
        for d in scale_shape[:-1]:
            input_size *= float(d)
        limit = math.sqrt(3 / max(input_size, 1.0)) * self.factor
        return random_ops.random_uniform(shape, -limit, limit, dtype if dtype is not None else self.dtype,
                                         seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "seed": self.seed, "dtype": self.dtype.name}


# scipy.stats.truncnorm.std(a=-2, b=2, loc=0., scale=1.): a truncated normal's stddev is this
# fraction of its parameter, so VarianceScaling divides by it to hit the requested variance.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


class VarianceScaling(Initializer):
    """Values with variance `scale / n`, where n is fan_in, fan_out or their mean (`mode`).

    `distribution` is "truncated_normal" (stddev corrected for the truncation), "untruncated_normal",
    "uniform" (limit `sqrt(3 * scale / n)`), or TF1's old name "normal" for "truncated_normal".

        he_init = tf.variance_scaling_initializer(scale=2.0, mode="fan_in")
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 dtype=dtypes.float32):
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive float, got {scale}.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"Invalid `mode` argument: {mode!r}; expected 'fan_in', 'fan_out' or 'fan_avg'.")
        distribution = distribution.lower()
        if distribution not in {"normal", "uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError(f"Invalid `distribution` argument: {distribution!r}; expected 'truncated_normal', "
                             f"'untruncated_normal' or 'uniform'.")
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = dtype if dtype is not None else self.dtype
        fan_in, fan_out = _compute_fans(partition_info.full_shape if partition_info is not None else shape)
        if self.mode == "fan_in":
            scale = self.scale / max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale = self.scale / max(1.0, fan_out)
        else:
            scale = self.scale / max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution in ("normal", "truncated_normal"):
            stddev = math.sqrt(scale) / _TRUNCATED_NORMAL_STDDEV
            return random_ops.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(shape, 0.0, math.sqrt(scale), dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random_ops.random_uniform(shape, -limit, limit, dtype, seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "dtype": self.dtype.name}


class GlorotUniform(VarianceScaling):
    """Xavier uniform: limit `sqrt(6 / (fan_in + fan_out))`; `tf.get_variable`'s default for floats."""

    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="uniform", seed=seed, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class GlorotNormal(VarianceScaling):
    """Xavier normal: truncated normal with stddev `sqrt(2 / (fan_in + fan_out))`."""

    def __init__(self, seed=None, dtype=dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="truncated_normal", seed=seed, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain`; shapes of rank > 2 are flattened to `[prod(shape[:-1]), shape[-1]]`.

    Built as TF builds it: QR of a normal matrix, columns sign-corrected by `diag(r)`.
    """

    def __init__(self, gain=1.0, seed=None, dtype=dtypes.float32):
        self.gain = gain
        self.seed = seed
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = _assert_float_dtype(dtype if dtype is not None else self.dtype)
        dims = _dims(shape)
        if len(dims) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional")
        num_rows = 1
        for d in dims[:-1]:
            num_rows *= d
        num_cols = dims[-1]
        flat_shape = (num_cols, num_rows) if num_rows < num_cols else (num_rows, num_cols)
        a = random_ops.random_normal(flat_shape, dtype=dtype, seed=self.seed)
        q, r = linalg_ops.qr(a, full_matrices=False)
        # Signs of diag(r) make the distribution uniform over orthogonal matrices.
        q = apply_op("Mul", q, apply_op("Sign", linalg_ops.diag_part(r), name="Sign"), name="mul")
        if num_rows < num_cols:
            q = apply_op("Transpose", q, [1, 0], name="transpose")
        return apply_op("Mul", array_ops.reshape(q, dims), self.gain, name="mul")

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed, "dtype": self.dtype.name}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only), as `tf.initializers.identity`."""

    def __init__(self, gain=1.0, dtype=dtypes.float32):
        self.gain = gain
        self.dtype = _assert_float_dtype(dtype)

    def __call__(self, shape, dtype=None, partition_info=None):
        if partition_info is not None:
            raise NotImplementedError("Identity initializer for partitioned variables is not supported by estflow.")
        dims = _dims(shape)
        if len(dims) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices.")
        dtype = _assert_float_dtype(dtype if dtype is not None else self.dtype)
        eye = constant(np.eye(*dims), dtype=dtype, name="eye")
        return apply_op("Mul", eye, self.gain, name="mul")

    def get_config(self):
        return {"gain": self.gain, "dtype": self.dtype.name}


def lecun_normal(seed=None) -> VarianceScaling:
    """Truncated normal with stddev `sqrt(1 / fan_in)`, as `tf.initializers.lecun_normal`."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution="truncated_normal", seed=seed)


def lecun_uniform(seed=None) -> VarianceScaling:
    """Uniform in `±sqrt(3 / fan_in)`, as `tf.initializers.lecun_uniform`."""
    return VarianceScaling(scale=1.0, mode="fan_in", distribution="uniform", seed=seed)


def he_normal(seed=None) -> VarianceScaling:
    """Truncated normal with stddev `sqrt(2 / fan_in)`, as `tf.initializers.he_normal`."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution="truncated_normal", seed=seed)


def he_uniform(seed=None) -> VarianceScaling:
    """Uniform in `±sqrt(6 / fan_in)`, as `tf.initializers.he_uniform`."""
    return VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=seed)


# TF1's lower-case names are the classes themselves: `tf.zeros_initializer()` is a `Zeros`.
zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_uniform_initializer = RandomUniform
random_normal_initializer = RandomNormal
truncated_normal_initializer = TruncatedNormal
uniform_unit_scaling_initializer = UniformUnitScaling
variance_scaling_initializer = VarianceScaling
glorot_uniform_initializer = GlorotUniform
glorot_normal_initializer = GlorotNormal
orthogonal_initializer = Orthogonal
identity_initializer = Identity
