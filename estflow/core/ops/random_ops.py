"""Random ops: uniform, normal, truncated normal, shuffle and multinomial sampling.

Every random op is stateful: each session keeps one `numpy.random.Generator` per op in
`ctx.state[("random", graph, op name)]`, created the first time a plan needs the op. An op whose
`(seed, seed2)` attrs are not `(0, 0)` seeds its generator from that pair, so a new
session on the same graph replays the same sequence while successive runs in one
session draw new values (TF1's `set_random_seed` contract, see `random_seed.get_seed`).
`(0, 0)` means "no seed": fresh entropy per session.
"""

from __future__ import annotations

# NOTE: random streams are numpy Generators on both devices (TF's Philox streams are
# per-device too); GPU ops draw on the host and move the result with `xp.asarray`.
# That keeps a seeded op's values identical on CPU and GPU.
import numpy as np

from estflow.core import devices, dtypes, errors
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.random_seed import get_seed
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape, dimension_value

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_SHAPE_DTYPES = (dtypes.int32, dtypes.int64)


# ---- per-session streams ---------------------------------------------------------------
def random_stream(op, ctx) -> np.random.Generator:
    """The op's generator in this session, created (and seeded from its attrs) on first use.

    Keyed by graph and op name: an op inside a function graph (a while body, a dataset
    function) never shares a stream with a same-named op of the outer graph.
    """
    state_key = ("random", id(op._graph), op.name)
    gen = ctx.state.get(state_key)
    if gen is None:
        seed, seed2 = int(op._attrs["seed"]), int(op._attrs["seed2"])
        if seed or seed2:
            key = np.random.SeedSequence([seed % 2**64, seed2 % 2**64])
            gen = np.random.Generator(np.random.Philox(key))
        else:
            gen = np.random.default_rng()
        ctx.state[state_key] = gen
    return gen


def _placer(ctx):
    """A function moving a host array to the op's device (identity on the CPU)."""
    kind, index = ctx.device_kind
    if kind != "GPU":
        return lambda x: x
    cp = devices.cupy_module()

    def to_gpu(x):
        with cp.cuda.Device(index):
            return cp.asarray(x)

    return to_gpu


def _dims(shape) -> tuple:
    dims = tuple(int(d) for d in devices.to_numpy(shape).reshape(-1))
    for d in dims:
        if d < 0:
            raise errors.InvalidArgumentError(None, None, f"Dimension {d} must be >= 0 in shape {list(dims)}")
    return dims


def _floats(draw, dims, dtype):
    """draw(dims, dtype=...) in `dtype`; numpy draws float32/float64 natively, float16 via float32."""
    np_dtype = np.dtype(dtype.as_numpy_dtype)
    if np_dtype in (np.float32, np.float64):
        return draw(dims, dtype=np_dtype)
    return draw(dims, dtype=np.float32).astype(np_dtype)


# ---- shape inference ---------------------------------------------------------------------
def _shape_from_spec(spec: TensorSpec) -> TensorShape:
    """The output shape a 1-D shape tensor describes: exact when its value is known here."""
    if spec.dtype not in _SHAPE_DTYPES:
        raise TypeError(f"Value passed to parameter 'shape' has DataType {spec.dtype.name} not in list of "
                        f"allowed values: int32, int64")
    rank = spec.shape.ndims
    if rank is not None and rank != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {rank}")
    if spec.value is not None:
        dims = [int(d) for d in np.reshape(spec.value, -1)]
        for d in dims:
            if d < 0:
                raise ValueError(f"Dimension {d} must be >= 0")
        return TensorShape(dims)
    if rank == 1 and spec.shape.as_list()[0] is not None:
        return TensorShape([None] * spec.shape.as_list()[0])
    return TensorShape(None)


def _check_float(dtype, op_type):
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype not in _FLOATS:
        raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not in list of allowed "
                        f"values: float16, float32, float64 (op '{op_type}')")
    return dtype


def _infer_float_random(op_type):
    def infer(shape, *, seed, seed2, dtype):
        return TensorSpec(_shape_from_spec(shape), _check_float(dtype, op_type))

    return infer


def _check_scalar(spec: TensorSpec, what: str) -> None:
    if spec.shape.ndims is not None and spec.shape.ndims != 0:
        raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims} ({what} must be a scalar)")


def _infer_uniform_int(shape, minval, maxval, *, seed, seed2):
    _check_scalar(minval, "minval")
    _check_scalar(maxval, "maxval")
    if minval.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'minval' has DataType {minval.dtype.name} not in list of "
                        f"allowed values: int32, int64")
    return TensorSpec(_shape_from_spec(shape), minval.dtype)


def _infer_shuffle(value, *, seed, seed2):
    return TensorSpec(value.shape, value.dtype)


def _infer_multinomial(logits, num_samples, *, seed, seed2, output_dtype):
    if not logits.dtype.is_floating:
        raise TypeError(f"Value passed to parameter 'logits' has DataType {logits.dtype.name} not in list of "
                        f"allowed values: float16, float32, float64")
    output_dtype = dtypes.as_dtype(output_dtype)
    if output_dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'output_dtype' has DataType {output_dtype.name} not in list "
                        f"of allowed values: int32, int64")
    _check_scalar(num_samples, "num_samples")
    dims = logits.shape.as_tuple()
    if dims is not None and len(dims) != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {len(dims)}")
    batch = None if dims is None else dims[0]
    samples = None if num_samples.value is None else int(num_samples.value)
    return TensorSpec(TensorShape([batch, samples]), output_dtype)


# ---- kernels -------------------------------------------------------------------------------
def _make_uniform(op, ctx):
    gen, place, dtype = random_stream(op, ctx), _placer(ctx), op._attrs["dtype"]
    return lambda shape: place(_floats(gen.random, _dims(shape), dtype))


def _make_standard_normal(op, ctx):
    gen, place, dtype = random_stream(op, ctx), _placer(ctx), op._attrs["dtype"]
    return lambda shape: place(_floats(gen.standard_normal, _dims(shape), dtype))


def _make_truncated_normal(op, ctx):
    gen, place, dtype = random_stream(op, ctx), _placer(ctx), op._attrs["dtype"]

    def truncated(shape):
        x = _floats(gen.standard_normal, _dims(shape), dtype)
        bad = np.abs(x) > 2.0  # TF drops and redraws values more than 2 stddevs out
        while bad.any():
            x[bad] = _floats(gen.standard_normal, (int(bad.sum()),), dtype)
            bad = np.abs(x) > 2.0
        return place(x)

    return truncated


def _make_uniform_int(op, ctx):
    gen, place = random_stream(op, ctx), _placer(ctx)
    np_dtype = op._outputs[0].dtype.as_numpy_dtype

    def uniform_int(shape, minval, maxval):
        lo, hi = devices.to_numpy(minval), devices.to_numpy(maxval)
        if lo.ndim or hi.ndim:
            raise errors.InvalidArgumentError(None, None, f"minval and maxval must be 0-D, got shapes "
                                                          f"{list(lo.shape)} and {list(hi.shape)}")
        lo, hi = int(lo), int(hi)
        dims = _dims(shape)
        if lo >= hi and int(np.prod(dims)) > 0:
            raise errors.InvalidArgumentError(None, None, f"Need minval < maxval: {lo} >= {hi}")
        if lo >= hi:
            return place(np.zeros(dims, np_dtype))
        return place(gen.integers(lo, hi, size=dims, dtype=np_dtype))

    return uniform_int


def _make_shuffle(op, ctx):
    gen = random_stream(op, ctx)
    xp = ctx.xp

    def shuffle(value):
        if value.ndim == 0:
            return value.copy()
        order = gen.permutation(value.shape[0])
        return value[xp.asarray(order)] if ctx.device_kind[0] == "GPU" else value[order]

    return shuffle


def _make_multinomial(op, ctx):
    gen, place = random_stream(op, ctx), _placer(ctx)
    np_dtype = op._attrs["output_dtype"].as_numpy_dtype

    def multinomial(logits, num_samples):
        logits = np.asarray(devices.to_numpy(logits), dtype=np.float64)
        if logits.ndim != 2:
            raise errors.InvalidArgumentError(None, None, f"logits should be a matrix, got shape "
                                                          f"{list(logits.shape)}")
        n = int(devices.to_numpy(num_samples))
        if n < 0:
            raise errors.InvalidArgumentError(None, None, f"num_samples should be nonnegative, got {n}")
        batch, classes = logits.shape
        if classes == 0 and batch and n:
            raise errors.InvalidArgumentError(None, None, "num_classes should be positive, got 0")
        if not batch or not n:
            return place(np.zeros((batch, n), np_dtype))
        # Inverse-CDF sampling for all rows at once: offset row r's CDF (values in [0, 1]) by r.
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(probs, axis=1)
        cdf /= cdf[:, -1:]
        rows = np.arange(batch)[:, None]
        u = gen.random((batch, n))
        flat = np.searchsorted((cdf + rows).reshape(-1), (u + rows).reshape(-1), side="right")
        samples = flat.reshape(batch, n) - rows * classes
        return place(np.clip(samples, 0, classes - 1).astype(np_dtype))

    return multinomial


_SEED_ATTRS = {"seed": 0, "seed2": 0}

# Random ops have no gradient in TF (ops.NotDifferentiable); declared here once.
for _name, _make in (("RandomUniform", _make_uniform), ("RandomStandardNormal", _make_standard_normal),
                     ("TruncatedNormal", _make_truncated_normal)):
    register(OpDef(_name, infer=_infer_float_random(_name), make_kernel=_make,
                   attrs={**_SEED_ATTRS, "dtype": REQUIRED},
                   stateful=True, differentiable=False,
                   input_names=("shape: T",), output_names=("output: dtype",),
                   attr_types={"seed": "int", "seed2": "int", "dtype": "type", "T": "type"}))
register(OpDef("RandomUniformInt", infer=_infer_uniform_int, make_kernel=_make_uniform_int, attrs=dict(_SEED_ATTRS),
               same_dtype=(1, 2), stateful=True, differentiable=False,
               input_names=("shape: T", "minval: Tout", "maxval: Tout"), output_names=("output: Tout",),
               attr_types={"seed": "int", "seed2": "int", "Tout": "type", "T": "type"}))
register(OpDef("RandomShuffle", infer=_infer_shuffle, make_kernel=_make_shuffle, attrs=dict(_SEED_ATTRS),
               stateful=True, differentiable=False,
               input_names=("value: T",), output_names=("output: T",),
               attr_types={"seed": "int", "seed2": "int", "T": "type"}))
register(OpDef("Multinomial", infer=_infer_multinomial, make_kernel=_make_multinomial,
               attrs={**_SEED_ATTRS, "output_dtype": dtypes.int64},
               stateful=True, differentiable=False,
               input_names=("logits: T", "num_samples: int32"), output_names=("output: output_dtype",),
               attr_types={"seed": "int", "seed2": "int", "T": "type", "output_dtype": "type"}))


# ---- public functions ----------------------------------------------------------------------
def _shape_tensor(shape) -> Tensor:
    """`shape` (list, tuple, TensorShape, numpy array or 1-D int tensor) as a tensor named "shape"."""
    if isinstance(shape, Tensor):
        return shape
    dtype = None
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape {shape} to a Tensor.")
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)):
        if not shape:
            dtype = dtypes.int32  # [] would otherwise become a float32 tensor
        elif not any(isinstance(d, Tensor) for d in shape):
            shape = [dimension_value(d) for d in shape]
            if any(d is None for d in shape):
                raise ValueError(f"Cannot convert a partially known shape {shape} to a Tensor; "
                                 f"pass a 1-D int32 tensor for dynamic shapes.")
    return convert_to_tensor(shape, dtype=dtype, name="shape")


def _seed_attrs(seed) -> dict:
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None) -> Tensor:
    """Values drawn uniformly from `[minval, maxval)`, as `tf.random_uniform`.

    Float dtypes default to `[0, 1)`; integer dtypes need `maxval` (and are then unbiased).

        w = tf.random_uniform([784, 10], -0.1, 0.1, seed=1)
        dice = tf.random_uniform([5], 1, 7, dtype=tf.int32)
    """
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype not in _FLOATS + (dtypes.int32, dtypes.int64):
        raise ValueError(f"Invalid dtype {dtype!r}: random_uniform draws float16, float32, float64, int32 "
                         f"or int64 values.")
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape = _shape_tensor(shape)
        minval = convert_to_tensor(minval, dtype=dtype, name="min")
        maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        seeds = _seed_attrs(seed)
        if dtype.is_integer:
            return apply_op("RandomUniformInt", shape, minval, maxval, name=scope, **seeds)
        rnd = apply_op("RandomUniform", shape, name="RandomUniform", dtype=dtype, **seeds)
        span = apply_op("Sub", maxval, minval, name="sub")
        return apply_op("AddV2", apply_op("Mul", rnd, span, name="mul"), minval, name=scope)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Tensor:
    """Values drawn from a normal distribution, as `tf.random_normal`.

        noise = tf.random_normal(tf.shape(x), stddev=0.1, seed=7)
    """
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, "random_normal", [shape, mean, stddev]) as scope:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op("RandomStandardNormal", shape, name="RandomStandardNormal", dtype=dtype,
                       **_seed_attrs(seed))
        return apply_op("AddV2", apply_op("Mul", rnd, stddev, name="mul"), mean, name=scope)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None) -> Tensor:
    """Normal values redrawn until within 2 stddevs of the mean, as `tf.truncated_normal`.

        w = tf.truncated_normal([128, 64], stddev=0.05)
    """
    dtype = dtypes.as_dtype(dtype).base_dtype
    with name_scope(name, "truncated_normal", [shape, mean, stddev]) as scope:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op("TruncatedNormal", shape, name="TruncatedNormal", dtype=dtype, **_seed_attrs(seed))
        return apply_op("AddV2", apply_op("Mul", rnd, stddev, name="mul"), mean, name=scope)


def random_shuffle(value, seed=None, name=None) -> Tensor:
    """`value` with its first dimension shuffled, as `tf.random_shuffle`.

        tf.random_shuffle([[1, 2], [3, 4], [5, 6]])   # the rows, in a random order
    """
    seeds = _seed_attrs(seed)
    return apply_op("RandomShuffle", value, name=name or "RandomShuffle", **seeds)


def _categorical(logits, num_samples, output_dtype, seed):
    logits = convert_to_tensor(logits, name="logits")
    seeds = _seed_attrs(seed)
    num_samples = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
    return apply_op("Multinomial", logits, num_samples, name="Multinomial",
                    output_dtype=dtypes.as_dtype(output_dtype or dtypes.int64), **seeds)


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None) -> Tensor:
    """Class ids drawn from categorical distributions given by unnormalized log-probabilities.

    `logits` is `[batch_size, num_classes]`; the result is `[batch_size, num_samples]`
    (int64 unless `output_dtype` says otherwise), as `tf.multinomial`.

        ids = tf.multinomial(tf.log([[0.5, 0.5]]), 10)
    """
    with name_scope(name, "multinomial", [logits]):
        return _categorical(logits, num_samples, output_dtype, seed)


def categorical(logits, num_samples, dtype=None, seed=None, name=None) -> Tensor:
    """`tf.random.categorical`: `multinomial` with the TF2 argument names."""
    with name_scope(name, "categorical", [logits]):
        return _categorical(logits, num_samples, dtype, seed)
