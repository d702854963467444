"""Fractional max and average pooling (Graham, 2015): `tf.nn.fractional_max_pool` / `fractional_avg_pool`.

An NHWC input of `rows x cols` pools to `floor(rows / ratio_r) x floor(cols / ratio_c)`: each
dimension is cut into windows of `k` or `k + 1` entries (k = input // output), the longer
ones placed at random (`pseudo_random=False`) or along `ceil(alpha * (i + u))` for one
uniform `u` (`pseudo_random=True`), as TF's GeneratePoolingSequence does. The ops also return
the two cumulative boundary sequences; with `overlapping`, each window also takes the first
entry of the next. The boundaries come from TF's seeded Philox generator and shuffle, so
`deterministic=True` with `seed`/`seed2` gives TF's exact windows (every run); without seeds
it picks them once per session, and `deterministic=False` draws new seeds every run.

FractionalMaxPoolGrad sends each output's gradient to the first maximum of its window (row-
major, as TF's kernel scans); FractionalAvgPoolGrad spreads it evenly over the window.
"""

from __future__ import annotations

import math

# NOTE: host kernels (cpu_only): window boundaries are data-dependent Python loops over numpy arrays.
import numpy as np

from estflow.core import dtypes, errors, philox
from estflow.core.graph import Tensor
from estflow.core.ops import array_ops
from estflow.core.ops.random_ops import random_stream
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _check_ratio(pooling_ratio) -> list[float]:
    ratio = [float(r) for r in pooling_ratio]
    if len(ratio) != 4:
        raise ValueError(f"pooling_ratio field must specify 4 dimensions, got {len(ratio)}")
    if ratio[0] != 1.0 or ratio[3] != 1.0:
        raise ValueError("Fractional pooling is not yet supported on the batch nor channel dimension.")
    if any(r < 1.0 for r in ratio):
        raise ValueError(f"pooling_ratio cannot be smaller than 1, got: {ratio}")
    return ratio


def _pool_infer(value, *, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2):
    if value.dtype not in _TYPES:
        raise TypeError(f"Value passed to parameter 'value' has DataType {value.dtype.name} not in list of allowed "
                        f"values: float32, float64, int32, int64")
    ratio = _check_ratio(pooling_ratio)
    dims = value.shape.as_tuple()
    if dims is not None and len(dims) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(dims)}")
    dims = dims or (None,) * 4
    out = [None if d is None else int(math.floor(d / r)) for d, r in zip(dims, ratio, strict=True)]
    for i, d in enumerate(dims):
        if d is not None and 0 < d < ratio[i]:
            raise ValueError(f"Pooling ratio is higher than input dimension size for dimension {i}. Input dim size: "
                             f"{d} pooling ratio: {ratio[i]}")
    rows = None if out[1] is None else out[1] + 1
    cols = None if out[2] is None else out[2] + 1
    return [TensorSpec(TensorShape(out), value.dtype), TensorSpec(TensorShape([rows]), dtypes.int64),
            TensorSpec(TensorShape([cols]), dtypes.int64)]


class _SeededStream:
    """TF's GuardedPhiloxRandom: Philox keyed by `seed`, its counter's high half `seed2`; each
    reservation takes whole blocks, one after another."""

    def __init__(self, seed: int, seed2: int):
        self.key, self.counter = seed % 2**64, (0, seed2 % 2**64)

    def words(self, count: int) -> np.ndarray:
        blocks = (count + 3) // 4
        start, self.counter = self.counter, philox.skip(self.counter, blocks)
        return philox.blocks(np, self.key, start, blocks).reshape(-1)


def _sequence(stream: _SeededStream, input_length: int, output_length: int, pseudo_random: bool) -> np.ndarray:
    """TF's GeneratePoolingSequence: cumulative window boundaries, output_length + 1 of them."""
    k = input_length // output_length
    if input_length % output_length == 0:
        diff = np.full(output_length, k, np.int64)
    elif pseudo_random:  # boundaries at ceil(alpha * (i + u)) for one uniform u
        alpha = input_length / output_length
        max_u = min((k + 2) / alpha - 1, (input_length + 1 - k) / alpha - (output_length - 1))
        words = stream.words(2)
        u = float(philox._float64(np, words[0:1], words[1:2])[0]) * max_u
        cum = [1] + [int(math.ceil(alpha * (i + u))) for i in range(1, output_length)] + [input_length + 1]
        diff = np.diff(np.asarray(cum, np.int64))
    else:  # the longer windows first, then TF's RandomShuffle: swap(i, i + word % (n - i)) for each i
        diff = np.full(output_length, k, np.int64)
        diff[:input_length % output_length] += 1
        words = stream.words(output_length).tolist()
        for i in range(output_length - 1):
            j = i + int(words[i]) % (output_length - i)
            diff[i], diff[j] = diff[j], diff[i]
    return np.concatenate([[0], np.cumsum(diff)]).astype(np.int64)


def _windows(sequence, length: int, overlapping: bool):
    """(start, end inclusive) of each window along one dimension."""
    for i in range(len(sequence) - 1):
        start, end = int(sequence[i]), int(sequence[i + 1]) - 1 + int(overlapping)
        yield start, min(end, length - 1)


def _make_pool(reduce):
    def make_kernel(op, ctx):
        attrs = op._attrs
        ratio = [float(r) for r in attrs["pooling_ratio"]]
        pseudo_random, overlapping = bool(attrs["pseudo_random"]), bool(attrs["overlapping"])
        deterministic, seed, seed2 = bool(attrs["deterministic"]), int(attrs["seed"]), int(attrs["seed2"])
        if not deterministic and (seed or seed2):
            raise _invalid("Both seed and seed2 should be 0 if deterministic is false.")
        entropy = random_stream(op, ctx)  # (seed, seed2) are (0, 0) unless deterministic: fresh entropy
        if deterministic and not (seed or seed2):  # TF picks the seeds once, when the kernel is built
            seed, seed2 = (int(v) for v in entropy.integers(0, 2**63, 2))

        def pool(value):
            value = np.asarray(value)
            if value.ndim != 4:
                raise _invalid(f"value must be 4-dimensional, got shape {list(value.shape)}")
            out_size = []
            for i, (d, r) in enumerate(zip(value.shape, ratio, strict=True)):
                if d < r:
                    raise _invalid(f"Pooling ratio is higher than input dimension size for dimension {i}. Input dim "
                                   f"size: {d} pooling ratio: {r}")
                out_size.append(int(math.floor(d / r)))
            seeds = (seed, seed2) if deterministic else (int(v) for v in entropy.integers(0, 2**63, 2))
            stream = _SeededStream(*seeds)  # one per run: TF's kernel builds its generator in Compute
            rows = _sequence(stream, value.shape[1], out_size[1], pseudo_random)
            cols = _sequence(stream, value.shape[2], out_size[2], pseudo_random)
            out = np.empty((value.shape[0], out_size[1], out_size[2], value.shape[3]), value.dtype)
            for r, (r0, r1) in enumerate(_windows(rows, value.shape[1], overlapping)):
                for c, (c0, c1) in enumerate(_windows(cols, value.shape[2], overlapping)):
                    out[:, r, c, :] = reduce(value[:, r0:r1 + 1, c0:c1 + 1, :])
            return out, rows, cols

        return pool

    return make_kernel


def _max(window):
    return window.max(axis=(1, 2))


def _mean(window):
    count = window.shape[1] * window.shape[2]
    total = window.sum(axis=(1, 2), dtype=np.float64 if window.dtype.kind == "f" else window.dtype)
    if window.dtype.kind == "f":
        return (total / count).astype(window.dtype)
    return total // count  # TF's integer average truncates


def _max_grad_infer(orig_input, orig_output, out_backprop, row_seq, col_seq, *, overlapping):
    return TensorSpec(orig_input.shape, orig_input.dtype)


def _max_grad_kernel(xp, orig_input, orig_output, out_backprop, row_seq, col_seq, overlapping):
    value, grad = np.asarray(orig_input), np.asarray(out_backprop)
    rows, cols = np.asarray(row_seq), np.asarray(col_seq)
    result = np.zeros(value.shape, value.dtype)
    batch, depth = value.shape[0], value.shape[3]
    b_idx, d_idx = np.meshgrid(np.arange(batch), np.arange(depth), indexing="ij")
    for r, (r0, r1) in enumerate(_windows(rows, value.shape[1], overlapping)):
        for c, (c0, c1) in enumerate(_windows(cols, value.shape[2], overlapping)):
            window = value[:, r0:r1 + 1, c0:c1 + 1, :]
            width = window.shape[2]
            flat = window.reshape(batch, -1, depth)
            first = flat.argmax(axis=1)  # the first maximum, scanning rows then columns as TF's kernel
            np.add.at(result, (b_idx, r0 + first // width, c0 + first % width, d_idx), grad[:, r, c, :])
    return result


def _avg_grad_infer(orig_input_tensor_shape, out_backprop, row_seq, col_seq, *, overlapping):
    shape = TensorShape(None) if orig_input_tensor_shape.value is None else \
        TensorShape([int(d) for d in np.reshape(orig_input_tensor_shape.value, -1)])
    return TensorSpec(shape, out_backprop.dtype)


def _avg_grad_kernel(xp, orig_input_tensor_shape, out_backprop, row_seq, col_seq, overlapping):
    shape = tuple(int(d) for d in np.reshape(orig_input_tensor_shape, -1))
    if len(shape) != 4:
        raise _invalid(f"Original input tensor shape must be 1-dimensional and 4 elements, got {list(shape)}")
    grad = np.asarray(out_backprop)
    rows, cols = np.asarray(row_seq), np.asarray(col_seq)
    result = np.zeros(shape, np.float64)
    for r, (r0, r1) in enumerate(_windows(rows, shape[1], overlapping)):
        for c, (c0, c1) in enumerate(_windows(cols, shape[2], overlapping)):
            count = (r1 - r0 + 1) * (c1 - c0 + 1)
            result[:, r0:r1 + 1, c0:c1 + 1, :] += (grad[:, r, c, :] / count)[:, None, None, :]
    return result.astype(grad.dtype)


def _max_pool_grad(op, grad, _rows_grad=None, _cols_grad=None):
    return (apply_op("FractionalMaxPoolGrad", op.inputs[0], op.outputs[0], grad, op.outputs[1], op.outputs[2],
                     name="FractionalMaxPoolGrad", overlapping=op._attrs["overlapping"]),)


def _avg_pool_grad(op, grad, _rows_grad=None, _cols_grad=None):
    shape = array_ops.shape(op.inputs[0], out_type=dtypes.int64)
    return (apply_op("FractionalAvgPoolGrad", shape, grad, op.outputs[1], op.outputs[2], name="FractionalAvgPoolGrad",
                     overlapping=op._attrs["overlapping"]),)


_POOL_ATTRS = {"pooling_ratio": REQUIRED, "pseudo_random": False, "overlapping": False, "deterministic": False,
               "seed": 0, "seed2": 0}
_POOL_TYPES = {"pooling_ratio": "list(float) >= 4", "pseudo_random": "bool", "overlapping": "bool",
               "deterministic": "bool", "seed": "int", "seed2": "int", "T": "type"}
_POOL_OUTPUTS = ("output: T", "row_pooling_sequence: int64", "col_pooling_sequence: int64")
register(OpDef("FractionalMaxPool", infer=_pool_infer, make_kernel=_make_pool(_max), grad=_max_pool_grad,
               attrs=dict(_POOL_ATTRS), cpu_only=True, input_names=("value: T",),
               output_names=_POOL_OUTPUTS, attr_types=dict(_POOL_TYPES)))
register(OpDef("FractionalAvgPool", infer=_pool_infer, make_kernel=_make_pool(_mean), grad=_avg_pool_grad,
               attrs=dict(_POOL_ATTRS), cpu_only=True, input_names=("value: T",),
               output_names=_POOL_OUTPUTS, attr_types=dict(_POOL_TYPES)))
# TF registers no gradient for the gradient ops.
register(OpDef("FractionalMaxPoolGrad", infer=_max_grad_infer, kernel=_max_grad_kernel, attrs={"overlapping": False},
               same_dtype=(0, 1, 2), cpu_only=True, differentiable=False,
               input_names=("orig_input: T", "orig_output: T", "out_backprop: T", "row_pooling_sequence: int64",
                            "col_pooling_sequence: int64"),
               output_names=("output: T",), attr_types={"overlapping": "bool", "T": "type"}))
register(OpDef("FractionalAvgPoolGrad", infer=_avg_grad_infer, kernel=_avg_grad_kernel, attrs={"overlapping": False},
               cpu_only=True, differentiable=False,
               input_names=("orig_input_tensor_shape: int64", "out_backprop: T", "row_pooling_sequence: int64",
                            "col_pooling_sequence: int64"),
               output_names=("output: T",), attr_types={"overlapping": "bool", "T": "type"}))


def _fractional_pool(op_type, value, pooling_ratio, pseudo_random, overlapping, deterministic, seed, seed2, name):
    if not isinstance(pooling_ratio, (list, tuple)):
        raise TypeError(f"Expected list for 'pooling_ratio' argument to '{op_type}' Op, not {pooling_ratio!r}.")
    return tuple(apply_op(op_type, value, name=name or op_type, pooling_ratio=[float(r) for r in pooling_ratio],
                          pseudo_random=bool(pseudo_random), overlapping=bool(overlapping),
                          deterministic=bool(deterministic), seed=int(seed), seed2=int(seed2)))


def fractional_max_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
                        seed2=0, name=None) -> tuple[Tensor, Tensor, Tensor]:
    """Max pooling over windows of fractional average size, as TF1's `tf.nn.fractional_max_pool`.

    Returns `(output, row_pooling_sequence, col_pooling_sequence)`; `pooling_ratio` is
    `[1.0, rows ratio, cols ratio, 1.0]` (each >= 1).

        pooled, rows, cols = tf.nn.fractional_max_pool(images, [1.0, 1.44, 1.73, 1.0])
    """
    return _fractional_pool("FractionalMaxPool", value, pooling_ratio, pseudo_random, overlapping, deterministic,
                            seed, seed2, name)


def fractional_avg_pool(value, pooling_ratio, pseudo_random=False, overlapping=False, deterministic=False, seed=0,
                        seed2=0, name=None) -> tuple[Tensor, Tensor, Tensor]:
    """Average pooling over windows of fractional average size, as TF1's `tf.nn.fractional_avg_pool`.

        pooled, rows, cols = tf.nn.fractional_avg_pool(images, [1.0, 1.5, 1.5, 1.0], pseudo_random=True)
    """
    return _fractional_pool("FractionalAvgPool", value, pooling_ratio, pseudo_random, overlapping, deterministic,
                            seed, seed2, name)
