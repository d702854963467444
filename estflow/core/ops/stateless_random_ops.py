"""Stateless random ops: `tf.random.stateless_uniform`, `stateless_normal`, `stateless_truncated_normal`,
`stateless_categorical`, `tf.random.fold_in` and `tf.random.split` (the binomial, gamma, Poisson and
parameterized truncated normal ones are in stateless_random_distribution_ops.py).

A stateless op's values depend on its `seed` (a shape [2] integer tensor) alone: the same
seed gives the same numbers in every session and run. The V2 ops TF 2.15 builds take a
Philox key and counter made from the seed by `StatelessRandomGetKeyCounter`; uniform and
integer draws follow TF's kernels bit for bit (core/philox.py), normal and truncated normal
ones to within 2 ulps, nearly all exactly (TF's Box-Muller calls glibc's log/sin/cos, whose
last bit numpy's do not always share), and `stateless_categorical` equals TF's for batches
TF samples in one shard.
"""

from __future__ import annotations

# NOTE: numpy for host-side helpers only (seed words, sizes, NonDeterministicInts' entropy); the Philox
# kernels compute on `xp` on any device.
import numpy as np

from estflow.core import dtypes, errors, philox
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import concat_ops, math_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.random_ops import _dims, _shape_from_spec, _shape_tensor
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_INTS = (dtypes.int32, dtypes.int64, dtypes.uint32, dtypes.uint64)
_SEED_TYPES = (dtypes.int32, dtypes.int64)
_ALGORITHMS = {"philox": philox.PHILOX, "threefry": philox.THREEFRY, "autoselect": philox.AUTO_SELECT}


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _check_type(spec_dtype, allowed, what):
    if spec_dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{what}' has DataType {spec_dtype.name} not in list of allowed "
                        f"values: {', '.join(t.name for t in allowed)}")


def _check_seed_spec(seed: TensorSpec) -> None:
    _check_type(seed.dtype, _SEED_TYPES, "seed")
    dims = seed.shape.as_tuple()
    if dims is not None and (len(dims) != 1 or dims[0] not in (None, 2)):
        raise ValueError(f"Seed must have shape [2], not {list(dims)}")


def _host_ints(array) -> list:
    return [int(v) for v in array.reshape(-1).tolist()]


def _seed_pair(seed) -> tuple[int, int]:
    values = _host_ints(seed)
    if len(values) != 2:
        raise _invalid(f"seed must have shape [2], not [{len(values)}]")
    return values[0], values[1]


def _key_counter_alg(key, counter, alg) -> tuple[int, tuple[int, int]]:
    """Host ints from the key, counter and alg inputs of a V2 op; only Philox runs on CPUs and GPUs."""
    alg = int(alg)
    if alg == philox.AUTO_SELECT:
        alg = philox.PHILOX
    if alg != philox.PHILOX:
        raise _invalid(f"Unsupported algorithm id: {alg}")
    keys, counters = _host_ints(key), _host_ints(counter)
    if len(keys) != 1:
        raise _invalid(f"key must have shape [1], not [{len(keys)}]. (Note that batched keys are not supported yet.)")
    if len(counters) < 2:
        raise _invalid(f"counter must be a vector with at least 2 elements for Philox, got {len(counters)}")
    return keys[0], (counters[0], counters[1])


# ---- StatelessRandomGetKeyCounter ------------------------------------------------------------
def _get_key_counter_infer(seed):
    _check_seed_spec(seed)
    return [TensorSpec(TensorShape([1]), dtypes.uint64), TensorSpec(TensorShape([2]), dtypes.uint64)]


def _get_key_counter_kernel(xp, seed):
    key, counter = philox.key_counter_from_seed(*_seed_pair(seed))
    return xp.asarray([key], dtype=xp.uint64), xp.asarray(counter, dtype=xp.uint64)


register(OpDef("StatelessRandomGetKeyCounter", infer=_get_key_counter_infer, kernel=_get_key_counter_kernel,
               differentiable=False, input_names=("seed: Tseed",), output_names=("key: uint64", "counter: uint64"),
               attr_types={"Tseed": "type = int64"}))


# ---- V2 ops over a key and counter -----------------------------------------------------------
def _check_key_counter_alg(key, counter, alg):
    _check_type(key.dtype, (dtypes.uint64,), "key")
    _check_type(counter.dtype, (dtypes.uint64,), "counter")
    _check_type(alg.dtype, (dtypes.int32,), "alg")


def _float_v2_infer(shape, key, counter, alg, *, dtype):
    _check_key_counter_alg(key, counter, alg)
    dtype = dtypes.as_dtype(dtype)
    _check_type(dtype, _FLOATS, "dtype")
    return TensorSpec(_shape_from_spec(shape), dtype)


def _float_v2_kernel(draw):
    def kernel(xp, shape, key, counter, alg, dtype):
        dims = _dims(shape)
        size = int(np.prod(dims, dtype=np.int64))
        key, counter = _key_counter_alg(key, counter, alg)
        return draw(xp, key, counter, size, np.dtype(dtype.as_numpy_dtype)).reshape(dims)

    return kernel


def _int_v2_infer(shape, key, counter, alg, minval, maxval):
    _check_key_counter_alg(key, counter, alg)
    for spec, what in ((minval, "minval"), (maxval, "maxval")):
        if spec.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims} ({what} must be a scalar)")
    _check_type(minval.dtype, _INTS, "dtype")
    return TensorSpec(_shape_from_spec(shape), minval.dtype)


def _int_v2_kernel(xp, shape, key, counter, alg, minval, maxval):
    dims = _dims(shape)
    size = int(np.prod(dims, dtype=np.int64))
    lo, hi = int(minval), int(maxval)
    if size and lo >= hi:
        raise _invalid(f"Need minval < maxval: {lo} >= {hi}")
    key, counter = _key_counter_alg(key, counter, alg)
    return philox.uniform_int(xp, key, counter, size, minval.dtype, lo, hi).reshape(dims)


def _full_int_v2_infer(shape, key, counter, alg, *, dtype):
    _check_key_counter_alg(key, counter, alg)
    dtype = dtypes.as_dtype(dtype)
    _check_type(dtype, _INTS, "dtype")
    return TensorSpec(_shape_from_spec(shape), dtype)


def _full_int_v2_kernel(xp, shape, key, counter, alg, dtype):
    dims = _dims(shape)
    key, counter = _key_counter_alg(key, counter, alg)
    size = int(np.prod(dims, dtype=np.int64))
    return philox.uniform_full_int(xp, key, counter, size, np.dtype(dtype.as_numpy_dtype)).reshape(dims)


_V2_INPUTS = ("shape: Tshape", "key: uint64", "counter: uint64", "alg: int32")
# Random values have no gradient in TF (ops.NotDifferentiable).
for _name, _draw in (("StatelessRandomUniformV2", philox.uniform), ("StatelessRandomNormalV2", philox.normal),
                     ("StatelessTruncatedNormalV2", philox.truncated_normal)):
    register(OpDef(_name, infer=_float_v2_infer, kernel=_float_v2_kernel(_draw), attrs={"dtype": dtypes.float32},
                   differentiable=False, input_names=_V2_INPUTS, output_names=("output: dtype",),
                   attr_types={"dtype": "type", "Tshape": "type = int32"}))
register(OpDef("StatelessRandomUniformIntV2", infer=_int_v2_infer, kernel=_int_v2_kernel, same_dtype=(4, 5),
               differentiable=False, input_names=_V2_INPUTS + ("minval: dtype", "maxval: dtype"),
               output_names=("output: dtype",), attr_types={"dtype": "type", "Tshape": "type = int32"}))
register(OpDef("StatelessRandomUniformFullIntV2", infer=_full_int_v2_infer, kernel=_full_int_v2_kernel,
               attrs={"dtype": dtypes.uint64}, differentiable=False, input_names=_V2_INPUTS,
               output_names=("output: dtype",), attr_types={"dtype": "type", "Tshape": "type = int32"}))


# ---- StatelessMultinomial ----------------------------------------------------------------------
def _multinomial_infer(logits, num_samples, seed, *, output_dtype):
    _check_seed_spec(seed)
    output_dtype = dtypes.as_dtype(output_dtype)
    _check_type(output_dtype, (dtypes.int32, dtypes.int64), "output_dtype")
    if not (logits.dtype.is_floating or logits.dtype.is_integer):
        raise TypeError(f"Value passed to parameter 'logits' has DataType {logits.dtype.name}, not a real number type")
    if num_samples.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {num_samples.shape.ndims} (num_samples must be a scalar)")
    dims = logits.shape.as_tuple()
    if dims is not None and len(dims) != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {len(dims)}")
    samples = None if num_samples.value is None or int(num_samples.value) < 0 else int(num_samples.value)
    return TensorSpec(TensorShape([None if dims is None else dims[0], samples]), output_dtype)


def _multinomial_kernel(xp, logits, num_samples, seed, output_dtype):
    """TF's CPU MultinomialFunctor in one shard: row b's samples take the doubles after row b - 1's."""
    if logits.ndim != 2:
        raise _invalid(f"logits should be a matrix, got shape {list(logits.shape)}")
    n = int(num_samples)
    if n < 0:
        raise _invalid(f"num_samples should be nonnegative, got {n}")
    batch, classes = int(logits.shape[0]), int(logits.shape[1])
    if classes == 0 and batch and n:
        raise _invalid("num_classes should be positive, got 0")
    out_dtype = output_dtype.as_numpy_dtype
    if not batch or not n:
        return xp.zeros((batch, n), out_dtype)
    key, counter = philox.key_counter_from_seed(*_seed_pair(seed))
    values = logits.astype(xp.float64)
    finite = xp.isfinite(values)
    row_max = xp.max(xp.where(finite, values, -xp.inf), axis=1, keepdims=True)
    row_max = xp.where(xp.isfinite(row_max), row_max, xp.float64(float(np.finfo(logits.dtype).min)
                                                                if logits.dtype.kind == "f" else 0.0))
    weights = xp.where(finite, xp.exp(values - row_max), 0.0)
    cdf = xp.cumsum(weights, axis=1)  # TF's running total, unnormalized
    draws = philox.rand_doubles(xp, key, counter, batch * n).reshape(batch, n) * cdf[:, -1:]
    # upper_bound in each row: offset row r's (non-decreasing) cdf by 2 * r * its total to search all rows at once.
    shift = xp.arange(batch, dtype=xp.float64)[:, None] * 2.0 * xp.maximum(cdf[:, -1:], 1.0)
    flat = xp.searchsorted((cdf + shift).reshape(-1), (draws + shift).reshape(-1), side="right")
    rows = xp.arange(batch, dtype=xp.int64)[:, None]
    return (flat.reshape(batch, n) - rows * classes).astype(out_dtype)


register(OpDef("StatelessMultinomial", infer=_multinomial_infer, kernel=_multinomial_kernel,
               attrs={"output_dtype": dtypes.int64}, differentiable=False,
               input_names=("logits: T", "num_samples: int32", "seed: Tseed"), output_names=("output: output_dtype",),
               attr_types={"T": "type", "Tseed": "type = int64", "output_dtype": "type"}))


# ---- NonDeterministicInts (the seed of `Generator.from_non_deterministic_state`) -----------------
def _non_deterministic_infer(shape, *, dtype):
    return TensorSpec(_shape_from_spec(shape), dtypes.as_dtype(dtype))


def _non_deterministic_kernel(xp, shape, dtype):
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    bits = np.random.default_rng().integers(0, 2**64, size=_dims(shape), dtype=np.uint64, endpoint=False)
    return bits.astype(np_dtype) if np_dtype.kind == "f" else bits.view(np.int64).astype(np_dtype)


register(OpDef("NonDeterministicInts", infer=_non_deterministic_infer, kernel=_non_deterministic_kernel,
               attrs={"dtype": dtypes.int64}, stateful=True, cpu_only=True, differentiable=False,
               input_names=("shape: shape_dtype",), output_names=("output: dtype",),
               attr_types={"dtype": "type", "shape_dtype": "type = int64"}))


# ---- public functions ------------------------------------------------------------------------
def convert_alg_to_int(alg) -> int | Tensor:
    """An RNG algorithm (name, `tf.random.Algorithm`, int or tensor) as TF's integer id."""
    if isinstance(alg, Tensor) or (isinstance(alg, int) and not isinstance(alg, bool)):
        return alg
    value = getattr(alg, "value", None)
    if isinstance(value, int):
        return value
    if isinstance(alg, str):
        canonical = alg.strip().lower().replace("-", "").replace("_", "")
        if canonical in _ALGORITHMS:
            return _ALGORITHMS[canonical]
        raise ValueError(f"Argument `alg` got unsupported value {alg}. Supported values are ['philox', "
                         f"'threefry', 'auto_select'].")
    raise TypeError(f"Can't convert argument `alg` (of value {alg} and type {type(alg)}) to int.")


def _key_counter_alg_tensors(seed, alg):
    """(key tensor, counter tensor, alg id or tensor) for the V2 ops: TF's StatelessRandomGetKeyCounter
    of the seed.

    For alg="philox" TF builds the same key and counter from Cast and StatelessRandomUniformFullIntV2
    ops in Python; estflow builds StatelessRandomGetKeyCounter for both (the values are equal).
    """
    alg = convert_alg_to_int("auto_select" if alg is None else alg)
    key, counter = apply_op("StatelessRandomGetKeyCounter", seed, name="StatelessRandomGetKeyCounter")
    return key, counter, alg


def _float_dtype(dtype, allowed=_FLOATS):
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype not in allowed:
        raise ValueError(f"Argument `dtype` got invalid value {dtype}. Accepted dtypes are "
                         f"{tuple(t.name for t in allowed)}.")
    return dtype


def stateless_random_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None,
                             alg="auto_select") -> Tensor:
    """Deterministic uniform values for a `seed` of shape [2], as `tf.random.stateless_uniform`.

    Floats fall in `[minval, maxval)` (default `[0, 1)`); integers need both bounds, or
    neither for the dtype's whole range. The same seed gives the same values, TF's own.

        tf.random.stateless_uniform([3], seed=[1, 2])   # [0.8440604, 0.19204533, 0.9962232]
    """
    dtype = _float_dtype(dtype, _FLOATS + _INTS)
    if dtype.is_integer:
        if (minval is None) != (maxval is None):
            raise ValueError(f"For integer `dtype` argument {dtype}, argument `minval` and `maxval` must be both "
                             f"None or not None. Got `minval`={minval} and `maxval`={maxval}.")
        if minval is not None and dtype in (dtypes.uint32, dtypes.uint64):
            raise ValueError(f"Argument `dtype` got invalid value {dtype} when argument `minval` is not None. "
                             f"Please don't use unsigned integers in this case.")
    elif maxval is None:
        maxval = 1
    with name_scope(name, "stateless_random_uniform", [shape, seed, minval, maxval]) as scope:
        shape = _shape_tensor(shape)
        if dtype.is_integer and minval is None:
            key, counter, alg = _key_counter_alg_tensors(seed, alg)
            return apply_op("StatelessRandomUniformFullIntV2", shape, key, counter, alg, name=scope, dtype=dtype)
        minval = convert_to_tensor(minval, dtype=dtype, name="min")
        maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        key, counter, alg = _key_counter_alg_tensors(seed, alg)
        if dtype.is_integer:
            return apply_op("StatelessRandomUniformIntV2", shape, key, counter, alg, minval, maxval, name=scope)
        rnd = apply_op("StatelessRandomUniformV2", shape, key, counter, alg, name="StatelessRandomUniformV2",
                       dtype=dtype)
        return math_ops.add(rnd * (maxval - minval), minval, name=scope)


def _stateless_normal_like(op_type, default_name, shape, seed, mean, stddev, dtype, name, alg):
    dtype = _float_dtype(dtype)
    with name_scope(name, default_name, [shape, seed, mean, stddev]) as scope:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        key, counter, alg = _key_counter_alg_tensors(seed, alg)
        rnd = apply_op(op_type, shape, key, counter, alg, name=op_type, dtype=dtype)
        return math_ops.add(rnd * stddev, mean, name=scope)


def stateless_random_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                            alg="auto_select") -> Tensor:
    """Deterministic normal values for a `seed` of shape [2], as `tf.random.stateless_normal`.

        noise = tf.random.stateless_normal([2, 3], seed=[7, 0], stddev=0.1)
    """
    return _stateless_normal_like("StatelessRandomNormalV2", "stateless_random_normal", shape, seed, mean, stddev,
                                  dtype, name, alg)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                               alg="auto_select") -> Tensor:
    """Deterministic normal values within 2 stddevs of the mean, as `tf.random.stateless_truncated_normal`.

        w = tf.random.stateless_truncated_normal([784, 10], seed=[3, 4], stddev=0.05)
    """
    return _stateless_normal_like("StatelessTruncatedNormalV2", "stateless_truncated_normal", shape, seed, mean,
                                  stddev, dtype, name, alg)


def _stateless_categorical(logits, num_samples, seed, output_dtype):
    logits = convert_to_tensor(logits, name="logits")
    output_dtype = dtypes.as_dtype(output_dtype or dtypes.int64)
    return apply_op("StatelessMultinomial", logits, num_samples, seed, name="StatelessMultinomial",
                    output_dtype=output_dtype)


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None) -> Tensor:
    """Deterministic class ids drawn from `logits` ([batch, classes]), as `tf.random.stateless_categorical`.

        ids = tf.random.stateless_categorical(tf.log([[0.5, 0.5]]), 5, seed=[7, 17])
    """
    with name_scope(name, "stateless_categorical", [logits, seed]):
        return _stateless_categorical(logits, num_samples, seed, dtype)


def stateless_multinomial(logits, num_samples, seed, output_dtype=dtypes.int64, name=None) -> Tensor:
    """`stateless_categorical` under TF1's older name and argument name, as `tf.random.stateless_multinomial`."""
    with name_scope(name, "stateless_multinomial", [logits, seed]):
        return _stateless_categorical(logits, num_samples, seed, output_dtype)


def split(seed, num=2, alg="auto_select") -> Tensor:
    """`num` new seeds ([num, 2]) derived from `seed`, as `tf.random.split` (stateless).

        seeds = tf.random.split([1, 2], 3)   # [[1105988140, 1738052849], ...]
    """
    seed = convert_to_tensor(seed)
    return stateless_random_uniform([num, 2], seed=seed, dtype=seed.dtype, minval=None, maxval=None, alg=alg)


def fold_in(seed, data, alg="auto_select") -> Tensor:
    """A new seed from `seed` and an integer `data`, as `tf.random.fold_in`: `[uniform(seed), data]`.

        step_seed = tf.random.fold_in([1, 2], step)
    """
    data = convert_to_tensor(data)
    seed1 = stateless_random_uniform([], seed=seed, dtype=data.dtype, minval=None, maxval=None, alg=alg)
    return concat_ops.stack([seed1, data])


