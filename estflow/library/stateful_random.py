"""`tf.random.Generator`: a random stream whose state is a variable, as TF 2.15 builds it in a graph.

The state (`Generator.state`, an int64 variable named `random_generator/StateVar`, not
trainable) is Philox's `[counter low, counter high, key]`. Each draw runs `RngReadAndSkip`
(which returns the state and advances its counter by 256 blocks per value drawn) and the
stateless V2 op on that key and counter, so a generator seeded alike gives TF's own
numbers, run after run, and checkpoints save its position like any variable's.

    gen = tf.random.Generator.from_seed(1234)
    x = gen.normal([3])                  # [0.9356609, 1.0854305, -0.93788373] in the first run
    sess.run(tf.global_variables_initializer())

ThreeFry generators can be created (their state has two numbers) but, as on TF's CPUs and
GPUs, drawing from them raises UnimplementedError.
"""

from __future__ import annotations

import numbers
import weakref

import numpy as np

from estflow.core import dtypes, philox
from estflow.core.graph import Tensor, get_default_graph, name_scope
from estflow.core.ops import array_ops, cast_ops, concat_ops, fill_ops, math_ops, reduction_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.random_ops import _shape_tensor
from estflow.core.ops.stateless_random_ops import convert_alg_to_int
from estflow.core.registry import apply_op
from estflow.core.stateful_random_ops import state_size
from estflow.core.variables import Variable

Algorithm = philox.Algorithm
DEFAULT_ALGORITHM = philox.PHILOX
_SEED_BITS = 64
_SEED_MASK = 2**64 - 1


def _algorithm_id(alg) -> int:
    alg = convert_alg_to_int(alg)
    if isinstance(alg, Tensor):
        raise TypeError("A Generator's algorithm must be known when the graph is built: pass an int, a string or "
                        "a tf.random.Algorithm, not a tensor.")
    return philox.PHILOX if alg == philox.AUTO_SELECT else int(alg)


def _as_signed(n: int) -> int:
    return n - 2**64 if n > 2**63 - 1 else n


def create_rng_state(seed, alg) -> Tensor:
    """The initial RNG state for `seed` and algorithm `alg`, as `tf.random.create_rng_state`.

    An int seed is cut into 64-bit words, lowest first; a list of ints keeps its first
    state-size entries, zero-padded on the left (so a short seed becomes the key, not the
    counter).

        tf.random.create_rng_state(1, "philox")       # [1, 0, 0]
        tf.random.create_rng_state([1, 2], "philox")  # [0, 1, 2]
    """
    size = state_size(_algorithm_id(alg))
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        words, value = [], int(seed)
        for _ in range(size):
            words.append(_as_signed(value & _SEED_MASK))
            value >>= _SEED_BITS
        seed = words
    if not isinstance(seed, Tensor):
        flat = [_as_signed(int(v)) for v in np.reshape(np.asarray(seed, dtype=object), -1)]
        seed = convert_to_tensor(np.array(flat, dtype=np.int64))
    seed = array_ops.reshape(cast_ops.cast(seed, dtypes.int64), [-1])
    seed = seed[0:size]
    known = seed.shape.as_tuple()[0]
    if known is not None:
        padding = fill_ops.zeros([max(size - known, 0)], dtypes.int64)
    else:
        missing = math_ops.maximum(size - array_ops.shape(seed)[0], 0)
        padding = fill_ops.zeros(array_ops.reshape(missing, [1]), dtypes.int64)
    return concat_ops.concat([padding, seed], 0)


def _check_state_shape(shape, alg: int) -> None:
    want = state_size(alg)
    dims = shape.as_tuple()
    if dims is not None and (len(dims) != 1 or dims[0] not in (None, want)):
        raise ValueError(f"Shapes {shape} and ({want},) are incompatible")


class Generator:
    """A random number generator with its state in a variable, as `tf.random.Generator`.

    Build one with `from_seed`, `from_state` or `from_non_deterministic_state`; each draw
    (`normal`, `uniform`, `truncated_normal`, `uniform_full_int`, `binomial`) advances the
    state, so every run draws new numbers, and a generator made from the same seed replays
    TF's sequence.

        gen = tf.random.Generator.from_seed(1)
        noise = gen.normal([2, 3], stddev=0.1)
    """

    @classmethod
    def from_state(cls, state, alg):
        """A generator whose state starts at `state` (as `create_rng_state` makes it)."""
        return cls(alg=alg, state=state)

    @classmethod
    def from_seed(cls, seed, alg=None):
        """A generator seeded with `seed` (an int or a list of ints)."""
        alg = DEFAULT_ALGORITHM if alg is None else _algorithm_id(alg)
        return cls(state=create_rng_state(seed, alg), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        """A generator seeded from the operating system's entropy when its variable is initialized."""
        alg = DEFAULT_ALGORITHM if alg is None else _algorithm_id(alg)
        shape = convert_to_tensor([state_size(alg)], dtype=dtypes.int64)
        state = apply_op("NonDeterministicInts", shape, name="NonDeterministicInts", dtype=dtypes.int64)
        return cls(state=state, alg=alg)

    @classmethod
    def from_key_counter(cls, key, counter, alg):
        """A generator whose state is `counter` followed by `key`."""
        alg = _algorithm_id(alg)
        counter = cast_ops.cast(convert_to_tensor(counter), dtypes.int64)
        key = array_ops.reshape(cast_ops.cast(convert_to_tensor(key), dtypes.int64), [1])
        return cls(state=concat_ops.concat([counter, key], 0), alg=alg)

    def __init__(self, copy_from=None, state=None, alg=None):
        if copy_from is not None:
            if alg is not None or state is not None:
                raise ValueError("Generator(copy_from=...) takes neither state nor alg")
            self._alg = copy_from.algorithm
            self._state_var = self._create_variable(copy_from.state.initialized_value())
            return
        if alg is None or state is None:
            raise ValueError("Generator needs `state` and `alg` (or `copy_from`); build one with "
                             "Generator.from_seed(seed) or Generator.from_non_deterministic_state().")
        self._alg = _algorithm_id(alg)
        if isinstance(state, Variable):
            _check_state_shape(state.shape, self._alg)
            self._state_var = state
            return
        if not isinstance(state, Tensor):
            state = np.array([_as_signed(int(v)) for v in np.reshape(np.asarray(state, dtype=object), -1)],
                             dtype=np.int64)
        state = cast_ops.cast(convert_to_tensor(state), dtypes.int64)
        _check_state_shape(state.shape, self._alg)
        self._state_var = self._create_variable(state)

    @staticmethod
    def _create_variable(initial_value) -> Variable:
        with name_scope("random_generator"):
            return Variable(initial_value, trainable=False, name="StateVar", dtype=dtypes.int64)

    # ---- properties ------------------------------------------------------------------------
    @property
    def state(self) -> Variable:
        """The int64 state variable."""
        return self._state_var

    @property
    def algorithm(self) -> int:
        """The RNG algorithm id (1: Philox, 2: ThreeFry)."""
        return self._alg

    @property
    def key(self) -> Tensor:
        """The key part of the state."""
        return self._state_var.read_value()[-1]

    # ---- state changes ---------------------------------------------------------------------
    def reset(self, state):
        """The op assigning `state` to the state variable."""
        state = cast_ops.cast(convert_to_tensor(state), dtypes.int64)
        _check_state_shape(state.shape, self._alg)
        return self._state_var.assign(state)

    def reset_from_seed(self, seed):
        """The op resetting the state as `from_seed(seed)` would make it."""
        return self._state_var.assign(create_rng_state(seed, self._alg))

    def reset_from_key_counter(self, key, counter):
        """The op resetting the state to `counter` followed by `key`."""
        counter = cast_ops.cast(convert_to_tensor(counter), dtypes.int64)
        key = array_ops.reshape(cast_ops.cast(convert_to_tensor(key), dtypes.int64), [1])
        return self._state_var.assign(concat_ops.concat([counter, key], 0))

    def skip(self, delta):
        """Advance the counter by `delta` draws; returns the state before (an int64 tensor)."""
        alg = cast_ops.cast(convert_to_tensor(self._alg, dtype=dtypes.int64), dtypes.int32)
        delta = cast_ops.cast(convert_to_tensor(delta), dtypes.uint64)
        return apply_op("RngReadAndSkip", self._state_var._variable, alg, delta, name="RngReadAndSkip")

    def _prepare_key_counter(self, shape):
        delta = reduction_ops.reduce_prod(shape)
        counter_key = self.skip(delta)
        size = state_size(self._alg) - 1
        # TF bitcasts the int64 words to uint64; a cast between them keeps the bits as well.
        counter = cast_ops.cast(counter_key[:size], dtypes.uint64)
        key = cast_ops.cast(counter_key[size:size + 1], dtypes.uint64)
        return key, counter

    # ---- distributions ---------------------------------------------------------------------
    def _stateless(self, op_type, shape, *inputs, name=None, **attrs):
        key, counter = self._prepare_key_counter(shape)
        return apply_op(op_type, shape, key, counter, self._alg, *inputs, name=name or op_type, **attrs)

    def _scaled(self, op_type, default_name, shape, mean, stddev, dtype, name) -> Tensor:
        dtype = dtypes.as_dtype(dtype)
        with name_scope(name, default_name, [shape, mean, stddev]) as scope:
            shape = _shape_tensor(shape)
            mean = convert_to_tensor(mean, dtype=dtype, name="mean")
            stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
            rnd = self._stateless(op_type, shape, dtype=dtype)
            return apply_op("AddV2", rnd * stddev, mean, name=scope)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None) -> Tensor:
        """Normal values, as `Generator.normal`."""
        return self._scaled("StatelessRandomNormalV2", "stateful_normal", shape, mean, stddev, dtype, name)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None) -> Tensor:
        """Normal values redrawn beyond 2 stddevs, as `Generator.truncated_normal`."""
        return self._scaled("StatelessTruncatedNormalV2", "truncated_normal", shape, mean, stddev, dtype, name)

    def uniform(self, shape, minval=0, maxval=None, dtype=dtypes.float32, name=None) -> Tensor:
        """Uniform values in `[minval, maxval)`, as `Generator.uniform` (integers: both bounds or neither)."""
        dtype = dtypes.as_dtype(dtype)
        if dtype.is_integer:
            if (minval is None) != (maxval is None):
                raise ValueError(f"For integer dtype {dtype}, minval and maxval must be both `None` or both "
                                 f"non-`None`; got minval={minval} and maxval={maxval}")
        elif maxval is None:
            maxval = 1
        with name_scope(name, "stateful_uniform", [shape, minval, maxval]) as scope:
            shape = _shape_tensor(shape)
            if dtype.is_integer and minval is None:
                return self._stateless("StatelessRandomUniformFullIntV2", shape, name=scope, dtype=dtype)
            minval = convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
            if dtype.is_integer:
                return self._stateless("StatelessRandomUniformIntV2", shape, minval, maxval, name=scope)
            rnd = self._stateless("StatelessRandomUniformV2", shape, dtype=dtype)
            return apply_op("AddV2", rnd * (maxval - minval), minval, name=scope)

    def uniform_full_int(self, shape, dtype=dtypes.uint64, name=None) -> Tensor:
        """Integers over `dtype`'s whole range, as `Generator.uniform_full_int`."""
        with name_scope(name, "stateful_uniform_full_int", [shape]) as scope:
            shape = _shape_tensor(shape)
            return self._stateless("StatelessRandomUniformFullIntV2", shape, name=scope, dtype=dtypes.as_dtype(dtype))

    def binomial(self, shape, counts, probs, dtype=dtypes.int32, name=None) -> Tensor:
        """Binomial(counts, probs) samples (`counts` and `probs` broadcast to `shape`'s trailing
        dimensions), as `Generator.binomial`: TF's numbers and TF's advance of the state."""
        dtype = dtypes.as_dtype(dtype)
        with name_scope(name, "binomial", [shape, counts, probs]) as scope:
            counts = convert_to_tensor(counts, name="counts")
            probs = convert_to_tensor(probs, name="probs", dtype=counts.dtype)
            shape = _shape_tensor(shape)
            algorithm = convert_to_tensor(self._alg, dtype=dtypes.int64, name="algorithm")
            return apply_op("StatefulRandomBinomial", self._state_var._variable, algorithm, shape, counts, probs,
                            name=scope, dtype=dtype)

    def make_seeds(self, count=1) -> Tensor:
        """`count` seeds for stateless ops, as a [2, count] int64 tensor (the second row zeros)."""
        keys = self.uniform_full_int(shape=[count], dtype=dtypes.int64)
        return concat_ops.stack([keys, fill_ops.zeros_like(keys)])

    def split(self, count=1) -> list:
        """`count` new generators, each keyed by a fresh draw of this one (their counters start at zero)."""
        # The children's initializers draw from this generator: order them after its own initializer.
        with get_default_graph().control_dependencies([self._state_var.initializer]):
            keys = self.uniform_full_int(shape=[count], dtype=dtypes.int64)
        size = state_size(self._alg)
        zeros = fill_ops.zeros([size - 1], dtypes.int64)
        return [Generator(state=concat_ops.concat([zeros, array_ops.reshape(keys[i], [1])], 0), alg=self._alg)
                for i in range(count)]


_GLOBAL_GENERATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def get_global_generator() -> Generator:
    """The default graph's global generator, created (non-deterministically seeded) on first use, as
    `tf.random.get_global_generator`.

        gen = tf.random.get_global_generator()
    """
    graph = get_default_graph()
    gen = _GLOBAL_GENERATORS.get(graph)
    if gen is None:
        gen = _GLOBAL_GENERATORS[graph] = Generator.from_non_deterministic_state()
    return gen


def set_global_generator(generator: Generator) -> None:
    """Make `generator` the global generator of the graph its state lives in, as `tf.random.set_global_generator`.

        tf.random.set_global_generator(tf.random.Generator.from_seed(1))
    """
    _GLOBAL_GENERATORS[generator.state.graph] = generator
