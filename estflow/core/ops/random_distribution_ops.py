"""Gamma and Poisson samples: TF's RandomGamma and RandomPoissonV2 ops (`tf.random_gamma`,
`tf.random_poisson`), on the per-session seeded streams of random_ops.py.

Each draws `shape` samples per entry of its parameter tensor: the output shape is
`shape + alpha.shape` (or `shape + lam.shape`), as in TF.
"""

from __future__ import annotations

import numpy as np

from estflow.core import devices, dtypes, errors
from estflow.core.graph import name_scope
from estflow.core.ops import math_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.random_ops import _dims, _placer, _shape_from_spec, random_stream
from estflow.core.random_seed import get_seed
from estflow.core.registry import OpDef, TensorSpec, apply_op, register

_GAMMA_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64)
_POISSON_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def _check(dtype, allowed, what):
    if dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{what}' has DataType {dtype.name} not in list of allowed values: "
                        f"{', '.join(t.name for t in allowed)}")


def _infer_gamma(shape, alpha, *, seed, seed2):
    _check(alpha.dtype, _GAMMA_TYPES, "alpha")
    return TensorSpec(_shape_from_spec(shape).concatenate(alpha.shape), alpha.dtype)


def _infer_poisson(shape, rate, *, seed, seed2, dtype):
    _check(rate.dtype, _POISSON_TYPES, "rate")
    _check(dtypes.as_dtype(dtype), _POISSON_TYPES, "dtype")
    return TensorSpec(_shape_from_spec(shape).concatenate(rate.shape), dtypes.as_dtype(dtype))


def _make_gamma(op, ctx):
    gen, place = random_stream(op, ctx), _placer(ctx)
    np_dtype = op._outputs[0].dtype.as_numpy_dtype

    def gamma(shape, alpha):
        alpha = np.asarray(devices.to_numpy(alpha), dtype=np.float64)
        dims = _dims(shape) + alpha.shape
        draws = gen.standard_gamma(np.where(alpha > 0, alpha, 1.0), size=dims)
        draws = np.where(np.broadcast_to(alpha > 0, dims), draws, np.nan)  # TF gives nan for alpha <= 0
        return place(draws.astype(np_dtype))

    return gamma


def _make_poisson(op, ctx):
    gen, place = random_stream(op, ctx), _placer(ctx)
    np_dtype = op._outputs[0].dtype.as_numpy_dtype

    def poisson(shape, rate):
        rate = np.asarray(devices.to_numpy(rate), dtype=np.float64)
        if (rate < 0).any() or np.isnan(rate).any():
            if np.issubdtype(np_dtype, np.integer):
                raise errors.InvalidArgumentError(None, None, "rate must be non-negative and not nan for an integer "
                                                  "output")
        dims = _dims(shape) + rate.shape
        valid = np.where(rate >= 0, rate, 0.0)
        draws = gen.poisson(valid, size=dims).astype(np.float64)
        draws = np.where(np.broadcast_to(rate >= 0, dims), draws, np.nan)  # TF: nan for a negative rate
        return place(draws.astype(np_dtype))

    return poisson


_SEEDS = {"seed": 0, "seed2": 0}
# NOTE: TF differentiates samples with respect to alpha through RandomGammaGrad, which needs the
# incomplete gamma function's derivatives; estflow has no special functions yet, so gamma samples
# carry no gradient to alpha (a beta rate does, through the division in random_gamma).
register(OpDef("RandomGamma", infer=_infer_gamma, make_kernel=_make_gamma, attrs=dict(_SEEDS), stateful=True,
               differentiable=False, input_names=("shape: S", "alpha: T"), output_names=("output: T",),
               attr_types={"seed": "int", "seed2": "int", "S": "type", "T": "type"}))
register(OpDef("RandomPoissonV2", infer=_infer_poisson, make_kernel=_make_poisson,
               attrs={**_SEEDS, "dtype": dtypes.int64}, stateful=True, differentiable=False,
               input_names=("shape: S", "rate: R"), output_names=("output: dtype",),
               attr_types={"seed": "int", "seed2": "int", "S": "type", "R": "type = float64",
                           "dtype": "type"}))


def random_gamma(shape, alpha, beta=None, dtype=dtypes.float32, seed=None, name=None):
    """Gamma(alpha, beta) samples, `shape` of them per entry of alpha and beta broadcast, as `tf.random_gamma`
    (beta is the rate: the samples are Gamma(alpha, 1) / beta, kept above the dtype's tiniest value)."""
    with name_scope(name, "random_gamma", [shape, alpha, beta]):
        dtype = dtypes.as_dtype(dtype)
        shape = convert_to_tensor(shape, name="shape", dtype=dtypes.int32)
        alpha = convert_to_tensor(alpha, name="alpha", dtype=dtype)
        beta = convert_to_tensor(1.0 if beta is None else beta, name="beta", dtype=dtype)
        seed1, seed2 = get_seed(seed)
        samples = apply_op("RandomGamma", shape, alpha + beta * 0, name="RandomGamma", seed=seed1 or 0,
                           seed2=seed2 or 0)
        return math_ops.maximum(float(np.finfo(dtype.as_numpy_dtype).tiny), samples / beta)


def random_poisson(lam, shape, dtype=dtypes.float32, seed=None, name=None):
    """Poisson(lam) samples, `shape` of them per entry of `lam`, as `tf.random_poisson`."""
    with name_scope(name, "random_poisson", [lam, shape]):
        shape = convert_to_tensor(shape, name="shape", dtype=dtypes.int32)
        lam = convert_to_tensor(lam, name="lam")
        seed1, seed2 = get_seed(seed)
        return apply_op("RandomPoissonV2", shape, lam, name="RandomPoissonV2", seed=seed1 or 0, seed2=seed2 or 0,
                        dtype=dtypes.as_dtype(dtype))
