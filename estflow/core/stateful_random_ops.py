"""The ops behind `tf.random.Generator`: RngReadAndSkip and StatefulRandomBinomial.

A Generator keeps its RNG state in an int64 variable: Philox's is `[counter low, counter
high, key]`, ThreeFry's `[counter, key]`. `RngReadAndSkip(state, alg, delta)` returns the
state and advances its 128-bit counter by `delta * 256` blocks in one step (TF's reserve of
256 Philox blocks per output), so draws built on the state it returned never overlap the
next op's; the Generator then runs the stateless V2 ops on that key and counter.

NOTE: TF's ops take the state variable's resource handle; estflow's Generator keeps its state
in a TF1 ref variable (VariableV2, like every estflow variable), so these ops take `Ref(int64)`
(tests/core/test_registry.py lists the deviation). Their values match TF's; a graph holding
them imports into TF only after replacing the variable.
"""

from __future__ import annotations

import threading

import numpy as np

from estflow.core import dtypes, errors, philox
from estflow.core.ops.random_ops import _shape_from_spec
from estflow.core.ops.stateless_random_distribution_ops import binomial_draws
from estflow.core.registry import OpDef, TensorSpec, register
from estflow.core.variables import _stored, _variable_name

RESERVED_BLOCKS = 256  # TF's counter advance per sample drawn through RngReadAndSkip
_STATE_SIZES = {philox.PHILOX: 3, philox.THREEFRY: 2}
_LOCK = threading.Lock()  # read-and-skip is atomic, as TF's kernel holds the variable's lock


def state_size(alg: int) -> int:
    """The int64 state length of algorithm `alg` (auto-select is Philox)."""
    alg = philox.PHILOX if alg == philox.AUTO_SELECT else alg
    if alg not in _STATE_SIZES:
        raise ValueError(f"Unsupported algorithm id: {alg}")
    return _STATE_SIZES[alg]


def _read_and_skip(store, name, alg: int, delta: int):
    """The state before, after advancing its counter by `delta` * 256 (Philox: 128-bit counter)."""
    with _LOCK:
        state = _stored(store, name, lambda v: v)
        before = state.copy()
        if alg == philox.AUTO_SELECT:
            alg = philox.PHILOX
        if alg != philox.PHILOX:
            raise errors.UnimplementedError(None, None, f"Algorithm {alg} is not supported on the CPU and GPU "
                                                        f"kernels; use Philox (tf.random.Algorithm.PHILOX).")
        if state.shape != (3,):
            raise errors.InvalidArgumentError(None, None, f"The size of the state must be 3 for Philox, got "
                                                          f"{list(state.shape)}")
        low, high = (int(v) % 2**64 for v in state[:2].tolist())
        low, high = philox.skip((low, high), int(delta) * RESERVED_BLOCKS)
        state[0] = np.uint64(low).astype(np.int64)
        state[1] = np.uint64(high).astype(np.int64)
        return before


def _check_state(state: TensorSpec, what: str) -> None:
    if state.dtype != dtypes.int64:
        raise TypeError(f"{what}: the RNG state must be an int64 variable, got {state.dtype.name}")


def _read_and_skip_infer(resource, alg, delta):
    _check_state(resource, "RngReadAndSkip")
    return TensorSpec(resource.shape, dtypes.int64)


def _make_read_and_skip(op, ctx):
    store, name = ctx.variables, _variable_name(op)

    def read_and_skip(alg, delta):
        return _read_and_skip(store, name, int(alg), int(delta))

    return read_and_skip


register(OpDef("RngReadAndSkip", infer=_read_and_skip_infer, make_kernel=_make_read_and_skip, ref_inputs=(0,),
               stateful=True, cpu_only=True, differentiable=False, writes_refs=True,
               input_names=("resource: Ref(int64)", "alg: int32", "delta: uint64"), output_names=("value: int64",)))


def _binomial_infer(resource, algorithm, shape, counts, probs, *, dtype):
    _check_state(resource, "StatefulRandomBinomial")
    return TensorSpec(_shape_from_spec(shape), dtypes.as_dtype(dtype))


def _make_binomial(op, ctx):
    store, name = ctx.variables, _variable_name(op)
    out_dtype = op._attrs["dtype"].as_numpy_dtype

    def binomial(algorithm, shape, counts, probs):
        dims = tuple(int(d) for d in np.reshape(shape, -1))
        batch_rank = len(np.broadcast_shapes(np.shape(counts), np.shape(probs)))
        num_batches = int(np.prod(dims[len(dims) - batch_rank:], dtype=np.int64)) if batch_rank else 1
        samples_per_batch = int(np.prod(dims[:len(dims) - batch_rank], dtype=np.int64))
        # TF's reserve for this op: num_batches * 2 * 100 * (samples_per_batch + 3) / 4 draws (each 256 blocks).
        state = _read_and_skip(store, name, int(algorithm), num_batches * 2 * 100 * (samples_per_batch + 3) // 4)
        key, counter = int(state[2]) % 2**64, (int(state[0]) % 2**64, int(state[1]) % 2**64)
        draws = binomial_draws(shape, key, counter, counts, probs)
        if np.issubdtype(out_dtype, np.integer) and np.isnan(draws).any():
            raise errors.InvalidArgumentError(None, None, "counts and probs must not be NaN for an integer output")
        return draws.astype(out_dtype)

    return binomial


register(OpDef("StatefulRandomBinomial", infer=_binomial_infer, make_kernel=_make_binomial,
               attrs={"dtype": dtypes.int64}, ref_inputs=(0,), same_dtype=(3, 4),
               stateful=True, cpu_only=True, differentiable=False, writes_refs=True,
               input_names=("resource: Ref(int64)", "algorithm: int64", "shape: S", "counts: T", "probs: T"),
               output_names=("output: dtype",),
               attr_types={"S": "type", "T": "type = double", "dtype": "type"}))
