"""Stateless binomial, gamma, Poisson and parameterized truncated normal samples
(`tf.random.stateless_binomial`, `stateless_gamma`, `stateless_poisson`,
`stateless_parameterized_truncated_normal`).

Binomial (BTRS or inversion), gamma (Marsaglia-Tsang) and Poisson (Knuth or Hormann) run
TF's rejection samplers on TF's Philox streams (core/philox.py), so a seed gives TF's own
numbers. The parameterized truncated normal draws TF's distribution from a numpy generator
seeded by the seed: TF's kernel shares one stream between the outputs of a thread's shard,
so its numbers depend on TF's thread count. Its gradient is TF's implicit
reparameterization gradient.
"""

from __future__ import annotations

# NOTE: host kernels (cpu_only): rejection loops over numpy arrays, and a numpy Generator for the
# truncated normal.
import numpy as np

from estflow.core import dtypes, philox
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import comparison_ops, fill_ops, gather_ops, math_ops, unary_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.random_ops import _dims, _shape_from_spec, _shape_tensor
from estflow.core.ops.stateless_random_ops import (
    _FLOATS,
    _check_key_counter_alg,
    _check_seed_spec,
    _check_type,
    _float_dtype,
    _invalid,
    _key_counter_alg,
    _key_counter_alg_tensors,
    _seed_pair,
)
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register


# ---- helpers ------------------------------------------------------------------------------------
def _host_generator(key: int, counter: tuple[int, int]) -> np.random.Generator:
    return np.random.Generator(np.random.Philox(key=[key, counter[1]], counter=[counter[0], 0, 0, 0]))


def _seed_generator(seed) -> np.random.Generator:
    key, counter = philox.key_counter_from_seed(*_seed_pair(seed))
    return _host_generator(key, counter)


def _broadcast_param(value, dims, what):
    value = np.asarray(value)
    try:
        return np.broadcast_to(value, dims)
    except ValueError:
        raise _invalid(f"{what} of shape {list(value.shape)} does not broadcast to the output shape "
                       f"{list(dims)}") from None


def _binomial_infer(shape, seed, counts, probs, *, dtype):
    _check_seed_spec(seed)
    dtype = dtypes.as_dtype(dtype)
    allowed = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)
    _check_type(counts.dtype, allowed, "counts")
    _check_type(dtype, allowed, "dtype")
    return TensorSpec(_shape_from_spec(shape), dtype)


def binomial_draws(shape, key, counter, counts, probs):
    """TF's binomial draws for `shape` (float64): counts and probs broadcast against each other, their
    shape the trailing dimensions of `shape`."""
    dims = _dims(shape)
    counts, probs = np.asarray(counts), np.asarray(probs)
    try:
        batch_shape = np.broadcast_shapes(counts.shape, probs.shape)
    except ValueError:
        raise _invalid(f"counts and probs must have compatible batch dimensions: {list(counts.shape)} vs. "
                       f"{list(probs.shape)}") from None
    if len(batch_shape) > len(dims) or tuple(dims[len(dims) - len(batch_shape):]) != batch_shape:
        raise _invalid("Shape passed in must end with broadcasted shape.")
    samples_per_batch = int(np.prod(dims[:len(dims) - len(batch_shape)], dtype=np.int64))
    draws = philox.binomial(np, key, counter, np.broadcast_to(counts, batch_shape).reshape(-1),
                            np.broadcast_to(probs, batch_shape).reshape(-1), samples_per_batch)
    return draws.reshape(dims)


def _binomial_kernel(xp, shape, seed, counts, probs, dtype):
    key, counter = philox.key_counter_from_seed(*_seed_pair(seed))
    draws = binomial_draws(shape, key, counter, counts, probs)
    np_dtype = dtype.as_numpy_dtype
    if np.issubdtype(np_dtype, np.integer) and np.isnan(draws).any():
        raise _invalid("counts and probs must not be NaN for an integer output")
    return draws.astype(np_dtype)


def _gamma_infer(shape, key, counter, alg, alpha):
    _check_key_counter_alg(key, counter, alg)
    _check_type(alpha.dtype, _FLOATS, "alpha")
    return TensorSpec(_shape_from_spec(shape), alpha.dtype)


def _gamma_kernel(xp, shape, key, counter, alg, alpha):
    dims = _dims(shape)
    key, counter = _key_counter_alg(key, counter, alg)
    alpha = np.asarray(alpha)
    if alpha.ndim > len(dims) or tuple(dims[len(dims) - alpha.ndim:]) != alpha.shape:
        raise _invalid(f"Shape passed in must end with broadcasted shape: shape {list(dims)}, alpha shape "
                       f"{list(alpha.shape)}")
    samples_per_alpha = int(np.prod(dims[:len(dims) - alpha.ndim], dtype=np.int64))
    draws = philox.gamma(np, key, counter, alpha.astype(np.float64), samples_per_alpha)
    return draws.reshape(dims).astype(alpha.dtype)  # nan where alpha <= 0, as TF


def _poisson_infer(shape, seed, lam, *, dtype):
    _check_seed_spec(seed)
    allowed = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)
    _check_type(lam.dtype, allowed, "lam")
    _check_type(dtypes.as_dtype(dtype), allowed, "dtype")
    return TensorSpec(_shape_from_spec(shape), dtypes.as_dtype(dtype))


def _poisson_kernel(xp, shape, seed, lam, dtype):
    dims = _dims(shape)
    lam = np.asarray(lam)
    if lam.ndim > len(dims) or tuple(dims[len(dims) - lam.ndim:]) != lam.shape:
        raise _invalid(f"Shape passed in must end with broadcasted shape: shape {list(dims)}, lam shape "
                       f"{list(lam.shape)}")
    np_dtype = dtype.as_numpy_dtype
    if np.issubdtype(np_dtype, np.integer) and np.isnan(lam).any():
        raise _invalid("lam must not be NaN for an integer output")
    key, counter = philox.key_counter_from_seed(*_seed_pair(seed))
    samples_per_rate = int(np.prod(dims[:len(dims) - lam.ndim], dtype=np.int64))
    draws = philox.poisson(np, key, counter, lam.astype(np.float64), samples_per_rate, np.float64)
    return draws.reshape(dims).astype(np_dtype)


def _ptn_infer(shape, seed, means, stddevs, minvals, maxvals):
    _check_seed_spec(seed)
    _check_type(means.dtype, _FLOATS, "means")
    return TensorSpec(_shape_from_spec(shape), means.dtype)


def _truncated_standard_normal(gen, lower, upper):
    """Standard normals conditioned on [lower, upper] (arrays), by rejection as TF's kernel samples them:
    plain normals for a central interval, exponential proposals (Robert, 1995) in a tail, uniform
    proposals for a narrow one."""
    shape = lower.shape
    lower, upper = lower.reshape(-1), upper.reshape(-1)
    flip = upper < 0  # a left tail: mirrored onto the right
    a, b = np.where(flip, -upper, lower), np.where(flip, -lower, upper)
    out = np.full(a.shape, np.nan)
    pending = np.flatnonzero(a <= b)
    alpha = (a + np.sqrt(a * a + 4.0)) / 2.0
    tail = a > 0
    narrow = (b - a) < np.where(tail, 1.0 / np.maximum(alpha, 1e-300), 0.5)
    while pending.size:
        lo, hi = a[pending], b[pending]
        z = gen.standard_normal(pending.size)
        accept = (z >= lo) & (z <= hi)
        t = tail[pending]
        if t.any():
            rate = alpha[pending][t]
            e = lo[t] - np.log(gen.random(int(t.sum())) + 1e-300) / rate
            keep = (e <= hi[t]) & (gen.random(int(t.sum())) <= np.exp(-((e - rate) ** 2) / 2.0))
            z[t], accept[t] = e, keep
        w = narrow[pending] & ~t
        if w.any():
            u = lo[w] + (hi[w] - lo[w]) * gen.random(int(w.sum()))
            peak = np.where((lo[w] <= 0) & (hi[w] >= 0), 0.0, np.minimum(lo[w] ** 2, hi[w] ** 2))
            z[w], accept[w] = u, gen.random(int(w.sum())) <= np.exp((peak - u * u) / 2.0)
        out[pending[accept]] = z[accept]
        pending = pending[~accept]
    return np.where(flip, -out, out).reshape(shape)


def _ptn_kernel(xp, shape, seed, means, stddevs, minvals, maxvals):
    dims = _dims(shape)
    params = [_broadcast_param(p, dims, what).astype(np.float64)
              for p, what in ((means, "means"), (stddevs, "stddevs"), (minvals, "minvals"), (maxvals, "maxvals"))]
    mean, stddev, low, high = params
    if (stddev <= 0).any():
        raise _invalid("Invalid parameters: stddev must be positive")
    if (low >= high).any():
        raise _invalid("Invalid parameters: minval must be less than maxval")
    z = _truncated_standard_normal(_seed_generator(seed), (low - mean) / stddev, (high - mean) / stddev)
    return np.clip(mean + stddev * z, low, high).astype(means.dtype)


def _ptn_grad(op, grad):
    """TF's implicit reparameterization gradient (Figurnov et al., 2018) of a truncated normal sample."""
    mean, stddev, minval, maxval = op.inputs[2:6]
    sample = op.outputs[0]
    dtype = sample.dtype.as_numpy_dtype
    minval_std, maxval_std = (minval - mean) / stddev, (maxval - mean) / stddev
    sample_std = (sample - mean) / stddev
    cdf = (_ndtr(sample_std) - _ndtr(minval_std)) / (_ndtr(maxval_std) - _ndtr(minval_std))
    cdf = comparison_ops.clip_by_value(cdf, float(np.finfo(dtype).tiny), float(1 - np.finfo(dtype).eps))
    dmaxval = unary_ops.exp(0.5 * (sample_std ** 2 - maxval_std ** 2) + unary_ops.log(cdf))
    dminval = unary_ops.exp(0.5 * (sample_std ** 2 - minval_std ** 2) + unary_ops.log1p(-cdf))
    return (None, None, grad, grad * sample_std, grad * dminval, grad * dmaxval)


def _ndtr(x):
    """The standard normal CDF, as TF's special_math.ndtr computes it."""
    half_sqrt_2 = 0.5 * np.sqrt(2.0)
    w = x * half_sqrt_2
    z = unary_ops.abs(w)
    y = gather_ops.where(z < half_sqrt_2, 1.0 + unary_ops.erf(w),
                        gather_ops.where(w > 0.0, 2.0 - unary_ops.erfc(z), unary_ops.erfc(z)))
    return 0.5 * y


_SEED_INPUT = "seed: Tseed"
register(OpDef("StatelessRandomBinomial", infer=_binomial_infer, kernel=_binomial_kernel, same_dtype=(2, 3),
               attrs={"dtype": dtypes.int64}, cpu_only=True, differentiable=False,
               input_names=("shape: S", _SEED_INPUT, "counts: T", "probs: T"), output_names=("output: dtype",),
               attr_types={"S": "type", "Tseed": "type = int64", "T": "type = float64", "dtype": "type"}))
# NOTE: TF differentiates gamma samples with respect to alpha (RandomGammaGrad needs the incomplete gamma
# function's derivatives); as RandomGamma in random_distribution_ops.py, these carry no gradient.
register(OpDef("StatelessRandomGammaV3", infer=_gamma_infer, kernel=_gamma_kernel, cpu_only=True,
               differentiable=False, input_names=("shape: shape_dtype", "key: uint64", "counter: uint64",
                                                  "alg: int32", "alpha: dtype"),
               output_names=("output: dtype",), attr_types={"dtype": "type", "shape_dtype": "type = int32"}))
register(OpDef("StatelessRandomPoisson", infer=_poisson_infer, kernel=_poisson_kernel, attrs={"dtype": REQUIRED},
               cpu_only=True, differentiable=False, input_names=("shape: T", _SEED_INPUT, "lam: Rtype"),
               output_names=("output: dtype",),
               attr_types={"Rtype": "type", "dtype": "type", "T": "type", "Tseed": "type = int64"}))
register(OpDef("StatelessParameterizedTruncatedNormal", infer=_ptn_infer, kernel=_ptn_kernel, grad=_ptn_grad,
               same_dtype=(2, 3, 4, 5), cpu_only=True,
               input_names=("shape: S", _SEED_INPUT, "means: dtype", "stddevs: dtype", "minvals: dtype",
                            "maxvals: dtype"),
               output_names=("output: dtype",), attr_types={"S": "type", "Tseed": "type = int64", "dtype": "type"}))



# ---- public functions ------------------------------------------------------------------------
def stateless_random_binomial(shape, seed, counts, probs, output_dtype=dtypes.int32, name=None) -> Tensor:
    """Deterministic Binomial(counts, probs) samples, as `tf.random.stateless_binomial`.

    `counts` and `probs` broadcast to `shape`.

        heads = tf.random.stateless_binomial([10], seed=[1, 2], counts=20.0, probs=0.5)
    """
    with name_scope(name, "stateless_random_binomial", [shape, seed, counts, probs]):
        shape = _shape_tensor(shape)
        probs = convert_to_tensor(probs, name="probs", dtype_hint=dtypes.float32)
        counts = convert_to_tensor(counts, name="counts", dtype=probs.dtype)
        return apply_op("StatelessRandomBinomial", shape, seed, counts, probs, name="StatelessRandomBinomial",
                        dtype=dtypes.as_dtype(output_dtype))


def stateless_random_gamma(shape, seed, alpha, beta=None, dtype=dtypes.float32, name=None) -> Tensor:
    """Deterministic Gamma(alpha, beta) samples (beta a rate), as `tf.random.stateless_gamma`.

    `alpha` and `beta` broadcast to `shape`; samples stay above the dtype's tiniest value.

        waits = tf.random.stateless_gamma([5], seed=[1, 2], alpha=2.0, beta=0.5)
    """
    dtype = _float_dtype(dtype)
    with name_scope(name, "stateless_random_gamma", [shape, seed, alpha, beta]):
        shape = _shape_tensor(shape)
        alpha = convert_to_tensor(alpha, dtype=dtype, name="alpha")
        beta = convert_to_tensor(1 if beta is None else beta, dtype=dtype, name="beta")
        alpha_b = alpha + fill_ops.zeros_like(beta)  # alpha broadcast against beta
        key, counter, alg = _key_counter_alg_tensors(seed, "auto_select")
        sample = apply_op("StatelessRandomGammaV3", shape, key, counter, alg, alpha_b, name="StatelessRandomGammaV3")
        tiny = float(np.finfo(dtype.as_numpy_dtype).tiny)
        return math_ops.maximum(tiny, sample / beta)


def stateless_random_poisson(shape, seed, lam, dtype=dtypes.int32, name=None) -> Tensor:
    """Deterministic Poisson(lam) samples, `lam` broadcast to `shape`, as `tf.random.stateless_poisson`.

        counts = tf.random.stateless_poisson([10], seed=[1, 2], lam=3.0)
    """
    with name_scope(name, "stateless_random_poisson", [shape, seed, lam]):
        shape = _shape_tensor(shape)
        return apply_op("StatelessRandomPoisson", shape, seed, lam, name="StatelessRandomPoisson",
                        dtype=dtypes.as_dtype(dtype))


def stateless_parameterized_truncated_normal(shape, seed, means=0.0, stddevs=1.0, minvals=-2.0, maxvals=2.0,
                                             name=None) -> Tensor:
    """Deterministic normal samples truncated to `[minvals, maxvals]`, as
    `tf.random.stateless_parameterized_truncated_normal`; gradients flow to the four parameters.

        x = tf.random.stateless_parameterized_truncated_normal([4], [1, 2], means=1.0, minvals=0.0, maxvals=3.0)
    """
    with name_scope(name, "stateless_parameterized_truncated_normal", [shape, means, stddevs, minvals, maxvals]):
        shape = _shape_tensor(shape)
        means = convert_to_tensor(means, name="means")
        stddevs = convert_to_tensor(stddevs, name="stddevs", dtype=means.dtype)
        minvals = convert_to_tensor(minvals, name="minvals", dtype=means.dtype)
        maxvals = convert_to_tensor(maxvals, name="maxvals", dtype=means.dtype)
        return apply_op("StatelessParameterizedTruncatedNormal", shape, seed, means, stddevs, minvals, maxvals,
                        name="StatelessParameterizedTruncatedNormal")
