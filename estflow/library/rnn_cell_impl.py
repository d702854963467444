"""TF1's RNN cells (`tf.nn.rnn_cell`, `tf.contrib.rnn`): one time step of a recurrent network.

A cell maps `(inputs [batch, input_depth], state)` to `(output, new_state)`. Cells are
`tf.layers.Layer`s, so their variables live in the cell's variable scope, opened inside the
caller's (`rnn/basic_lstm_cell/kernel` under `dynamic_rnn`), and a second call reuses them.

TF1's formulas, as implemented here (x = inputs, h = previous output, [a, b] = concat):

    BasicRNNCell   h' = act([x, h] W + b)
    BasicLSTMCell  i, j, f, o = split([x, h] W + b, 4)
                   c' = c * sigmoid(f + forget_bias) + sigmoid(i) * act(j);  h' = act(c') * sigmoid(o)
    LSTMCell       the same, plus peepholes (w_i_diag, w_f_diag, w_o_diag), cell_clip, a projection
                   of the output (projection/kernel, num_proj) and proj_clip
    GRUCell        r, u = split(sigmoid([x, h] W_g + b_g), 2);  c = act([x, r * h] W_c + b_c)
                   h' = u * h + (1 - u) * c
"""

from __future__ import annotations

import collections
import numbers
import warnings

from estflow.core import dtypes
from estflow.core.func_graph import assert_same_structure
from estflow.core.graph import Tensor, device, name_scope
from estflow.core.init_ops import constant_initializer, zeros_initializer
from estflow.core.nest import children, flatten, is_sequence, map_structure, pack_sequence_as
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    matmul_ops,
    nn_ops,
    slicing_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.random_ops import random_uniform
from estflow.core.tensor_shape import TensorShape, dimension_value
from estflow.core.variable_scope import variable_scope
from estflow.library import nn_impl
from estflow.library.layers.base import Layer

_BIAS_VARIABLE_NAME = "bias"
_WEIGHTS_VARIABLE_NAME = "kernel"


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM's state: the cell state `c` and the output `h`, in that order."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent internal state: {c.dtype} vs {h.dtype}")
        return c.dtype


def _concat_size(prefix, suffix: list):
    """The int32 shape [prefix] + suffix; `prefix` may be a scalar tensor (a batch size known at run time)."""
    if not isinstance(prefix, Tensor):
        return constant([int(prefix)] + [int(d) for d in suffix], dtype=dtypes.int32)
    return concat_ops.concat([array_ops.reshape(cast_ops.cast(prefix, dtypes.int32), [1]),
                              constant([int(d) for d in suffix], dtype=dtypes.int32)], 0)


def _zero_state_tensors(state_size, batch_size, dtype):
    static_batch = None if isinstance(batch_size, Tensor) else int(batch_size)

    def zeros(size):
        out = fill_ops.zeros(_concat_size(batch_size, _as_list(size)), dtype=dtype)
        out.set_shape(TensorShape([static_batch]).concatenate(TensorShape(_as_list(size))))
        return out
    return map_structure(zeros, state_size)


def _as_list(size) -> list:
    if isinstance(size, TensorShape):
        return size.as_list()
    if isinstance(size, numbers.Integral):
        return [int(size)]
    return [int(d) for d in size]


def _is_size(x) -> bool:
    return isinstance(x, (numbers.Integral, TensorShape))


def _map_sizes(fn, sizes):
    """map_structure over a state_size, whose leaves are ints or TensorShapes."""
    if _is_size(sizes):
        return fn(sizes)
    return pack_sequence_as(sizes, [fn(s) for s in _flatten_sizes(sizes)])


def _flatten_sizes(sizes) -> list:
    if _is_size(sizes):
        return [sizes]
    return [leaf for item in (sizes.values() if isinstance(sizes, dict) else sizes) for leaf in _flatten_sizes(item)]


class RNNCell(Layer):
    """The abstract RNN cell: subclasses define `state_size`, `output_size`, `build` and `call(inputs, state)`."""

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._is_tf_rnn_cell = True

    def __call__(self, inputs, state, scope=None):
        """(output, new_state) for one step; variables in `scope` or the cell's default scope."""
        # Layer keeps the reuse scope it first entered, and with it that call's graph; a cell runs in
        # a new loop-body graph each dynamic_rnn, so it opens its scope afresh each call.
        self._always_reuse_scope = None
        if scope is not None:
            with variable_scope(scope) as vs:
                return super().__call__(inputs, state, scope=vs)
        return super().__call__(inputs, state)

    @property
    def state_size(self):
        """An int, TensorShape, or a (nested) tuple of them: the size(s) of the state."""
        raise NotImplementedError("Abstract method")

    @property
    def output_size(self):
        """An int or TensorShape: the size of the output."""
        raise NotImplementedError("Abstract method")

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = convert_to_tensor(inputs)
            batch_size = dimension_value(inputs.shape[0])
            if batch_size is None:
                batch_size = array_ops.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError("batch_size and dtype cannot be None while constructing initial state: "
                             f"batch_size={batch_size}, dtype={dtype}")
        return self.zero_state(batch_size, dtype)

    def zero_state(self, batch_size, dtype):
        """Zero-filled state tensor(s) of shape [batch_size] + state_size, for each element of state_size."""
        with name_scope(type(self).__name__ + "ZeroState"):
            return _zero_state_tensors(self.state_size, batch_size, dtypes.as_dtype(dtype))

    # -- variables before a loop ---------------------------------------------------------------
    def _build_for(self, inputs_shape, dtype) -> None:
        """Create the variables as the first `__call__` would, without building the step's ops.

        `dynamic_rnn` calls the cell inside a while loop's body graph, where variables cannot be
        created: it builds the cell in the caller's scopes first, and the loop reuses them.
        """
        self._set_scope(None)
        if self.built:
            return
        if self._dtype is None:  # as the first call: the inputs' dtype
            self._dtype = dtypes.as_dtype(dtype)
        with variable_scope(self._scope, reuse=self._reuse, auxiliary_name_scope=False) as scope:
            with name_scope(scope.original_name_scope):
                self.build(inputs_shape)
                self.built = True


class LayerRNNCell(RNNCell):
    """An RNNCell whose variables are created in `build` (TF1's LayerRNNCell)."""


def _input_depth(inputs_shape, cls) -> int:
    depth = dimension_value(TensorShape(inputs_shape)[-1]) if TensorShape(inputs_shape).ndims else None
    if depth is None:
        raise ValueError(f"Expected inputs.shape[-1] to be known, saw shape: {inputs_shape}")
    return depth


_ACTIVATIONS = {"tanh": unary_ops.tanh, "sigmoid": unary_ops.sigmoid, "relu": nn_ops.relu, "relu6": nn_ops.relu6,
                "elu": nn_ops.elu, "selu": nn_ops.selu, "softplus": nn_ops.softplus, "softsign": nn_ops.softsign,
                "linear": lambda x: x}


def _activation(activation):
    """The cell's activation: a callable, a Keras name ("relu", as TF 1.15 takes), or None for tanh."""
    if activation is None:
        return unary_ops.tanh
    if isinstance(activation, str):
        try:
            return _ACTIVATIONS[activation]
        except KeyError:
            raise ValueError(f"Unknown activation function: {activation}") from None
    return activation


class BasicRNNCell(LayerRNNCell):
    """The most basic RNN cell: output = new_state = act(W * [input, state] + b)."""

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = int(num_units)
        self._activation = _activation(activation)

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, self)
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[depth + self._num_units, self._num_units])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[self._num_units], initializer=zeros_initializer())
        self.built = True

    def call(self, inputs, state):
        gate_inputs = matmul_ops.matmul(concat_ops.concat([inputs, state], 1), self._kernel)
        output = self._activation(nn_ops.bias_add(gate_inputs, self._bias))
        return output, output


class GRUCell(LayerRNNCell):
    """Gated Recurrent Unit cell (Cho et al. 2014), TF1's variant: reset gate before the candidate's matmul."""

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None, bias_initializer=None,
                 name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = int(num_units)
        self._activation = _activation(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    state_size = property(lambda self: self._num_units)
    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, self)
        n = self._num_units
        self._gate_kernel = self.add_weight("gates/" + _WEIGHTS_VARIABLE_NAME, shape=[depth + n, 2 * n],
                                            initializer=self._kernel_initializer)
        self._gate_bias = self.add_weight("gates/" + _BIAS_VARIABLE_NAME, shape=[2 * n],
                                          initializer=self._bias_initializer or constant_initializer(1.0))
        self._candidate_kernel = self.add_weight("candidate/" + _WEIGHTS_VARIABLE_NAME, shape=[depth + n, n],
                                                 initializer=self._kernel_initializer)
        self._candidate_bias = self.add_weight("candidate/" + _BIAS_VARIABLE_NAME, shape=[n],
                                               initializer=self._bias_initializer or zeros_initializer())
        self.built = True

    def call(self, inputs, state):
        gate_inputs = nn_ops.bias_add(matmul_ops.matmul(concat_ops.concat([inputs, state], 1), self._gate_kernel),
                                      self._gate_bias)
        r, u = concat_ops.split(unary_ops.sigmoid(gate_inputs), 2, axis=1)
        candidate = nn_ops.bias_add(
            matmul_ops.matmul(concat_ops.concat([inputs, r * state], 1), self._candidate_kernel),
            self._candidate_bias)
        c = self._activation(candidate)
        new_h = u * state + (1 - u) * c
        return new_h, new_h


class BasicLSTMCell(LayerRNNCell):
    """The basic LSTM cell (Zaremba et al. 2014): no peepholes, no clipping, no projection."""

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = int(num_units)
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    output_size = property(lambda self: self._num_units)

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, self)
        n = self._num_units
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[depth + n, 4 * n])
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[4 * n], initializer=zeros_initializer())
        self.built = True

    def call(self, inputs, state):
        if self._state_is_tuple:
            c, h = state
        else:
            c, h = concat_ops.split(state, 2, axis=1)
        gate_inputs = nn_ops.bias_add(matmul_ops.matmul(concat_ops.concat([inputs, h], 1), self._kernel), self._bias)
        i, j, f, o = concat_ops.split(gate_inputs, 4, axis=1)
        forget_bias = constant(self._forget_bias, dtype=f.dtype)
        new_c = c * unary_ops.sigmoid(f + forget_bias) + unary_ops.sigmoid(i) * self._activation(j)
        new_h = self._activation(new_c) * unary_ops.sigmoid(o)
        new_state = LSTMStateTuple(new_c, new_h) if self._state_is_tuple else concat_ops.concat([new_c, new_h], 1)
        return new_h, new_state


class LSTMCell(LayerRNNCell):
    """The LSTM cell with optional peepholes, cell clipping and an output projection (Hochreiter 1997; Sak 2014)."""

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None, num_proj=None,
                 proj_clip=None, num_unit_shards=None, num_proj_shards=None, forget_bias=1.0, state_is_tuple=True,
                 activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        if num_unit_shards is not None or num_proj_shards is not None:
            raise ValueError("num_unit_shards and num_proj_shards are deprecated in TF1 and not supported by "
                             "estflow; use a variable partitioner in the variable scope instead.")
        self._num_units = int(num_units)
        self._use_peepholes = use_peepholes
        self._cell_clip = cell_clip
        self._initializer = initializer
        self._num_proj = None if num_proj is None else int(num_proj)
        self._proj_clip = proj_clip
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = _activation(activation)

    @property
    def state_size(self):
        n, p = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(n, p) if self._state_is_tuple else n + p

    output_size = property(lambda self: self._num_proj or self._num_units)

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, self)
        n = self._num_units
        h_depth = self._num_proj or n
        self._kernel = self.add_weight(_WEIGHTS_VARIABLE_NAME, shape=[depth + h_depth, 4 * n],
                                       initializer=self._initializer)
        self._bias = self.add_weight(_BIAS_VARIABLE_NAME, shape=[4 * n], initializer=zeros_initializer())
        if self._use_peepholes:
            self._w_f_diag = self.add_weight("w_f_diag", shape=[n], initializer=self._initializer)
            self._w_i_diag = self.add_weight("w_i_diag", shape=[n], initializer=self._initializer)
            self._w_o_diag = self.add_weight("w_o_diag", shape=[n], initializer=self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_weight("projection/" + _WEIGHTS_VARIABLE_NAME, shape=[n, self._num_proj],
                                                initializer=self._initializer)
        self.built = True

    def call(self, inputs, state):
        n, p = self._num_units, self._num_proj or self._num_units
        if self._state_is_tuple:
            c_prev, m_prev = state
        else:
            c_prev = slicing_ops.slice(state, [0, 0], [-1, n])
            m_prev = slicing_ops.slice(state, [0, n], [-1, p])
        lstm_matrix = nn_ops.bias_add(matmul_ops.matmul(concat_ops.concat([inputs, m_prev], 1), self._kernel),
                                      self._bias)
        i, j, f, o = concat_ops.split(lstm_matrix, 4, axis=1)
        sigmoid = unary_ops.sigmoid
        forget_bias = constant(self._forget_bias, dtype=f.dtype)
        # `tensor * variable`, not `variable * tensor`: inside dynamic_rnn's loop body the tensor's
        # operator converts (and captures) the variable, the variable's would not.
        if self._use_peepholes:
            c = (sigmoid(f + forget_bias + c_prev * self._w_f_diag) * c_prev
                 + sigmoid(i + c_prev * self._w_i_diag) * self._activation(j))
        else:
            c = sigmoid(f + forget_bias) * c_prev + sigmoid(i) * self._activation(j)
        if self._cell_clip is not None:
            c = comparison_ops.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            m = sigmoid(o + c * self._w_o_diag) * self._activation(c)
        else:
            m = sigmoid(o) * self._activation(c)
        if self._num_proj is not None:
            m = matmul_ops.matmul(m, self._proj_kernel)
            if self._proj_clip is not None:
                m = comparison_ops.clip_by_value(m, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, m) if self._state_is_tuple else concat_ops.concat([c, m], 1)
        return m, new_state


class MultiRNNCell(RNNCell):
    """Cells stacked in layers: each cell's output is the next cell's input; the state is a tuple of theirs."""

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not is_sequence(cells):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells}.")
        if len(set(id(c) for c in cells)) < len(cells):
            warnings.warn("At least two cells provided to MultiRNNCell are the same object and will share "
                          "weights.", stacklevel=2)
        self._cells = list(cells)
        self._state_is_tuple = state_is_tuple
        if not state_is_tuple and any(is_sequence(c.state_size) for c in self._cells):
            raise ValueError("Some cells return tuples of states, but the flag state_is_tuple is not set. "
                             f"State sizes are: {[c.state_size for c in self._cells]}")

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    output_size = property(lambda self: self._cells[-1].output_size)

    def zero_state(self, batch_size, dtype):
        with name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)
            return super().zero_state(batch_size, dtype)

    def build(self, inputs_shape):
        shape = TensorShape(inputs_shape)
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                _build_cell(cell, shape, self._dtype)
            shape = TensorShape([shape[0]]).concatenate(TensorShape(_as_list(cell.output_size)))
        self.built = True

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for cell in self._cells if isinstance(cell, Layer) for w in cell.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for cell in self._cells if isinstance(cell, Layer) for w in cell.non_trainable_weights]
        if not self.trainable:
            weights = [w for cell in self._cells if isinstance(cell, Layer) for w in cell.trainable_weights] + weights
        return weights

    def call(self, inputs, state):
        cur_inp = inputs
        new_states = []
        start = 0
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not is_sequence(state):
                        raise ValueError(f"Expected state to be a tuple of length {len(self.state_size)}, "
                                         f"but received: {state}")
                    cur_state = state[i]
                else:
                    size = cell.state_size
                    cur_state = slicing_ops.slice(state, [0, start], [-1, size])
                    start += size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        new_states = tuple(new_states) if self._state_is_tuple else concat_ops.concat(new_states, 1)
        return cur_inp, new_states


def _builds_all_variables(cell) -> bool:
    """Whether `_build_cell` creates every variable of `cell`: true of this module's cells (and wrappers or
    stacks of them); a user's cell may call `tf.get_variable` in `call`, which only a call outside the loop can do."""
    if isinstance(cell, MultiRNNCell):
        return all(_builds_all_variables(c) for c in cell._cells)
    if isinstance(cell, _RNNCellWrapper):
        return _builds_all_variables(cell.cell)
    return type(cell).__module__ == __name__


def _build_cell(cell, inputs_shape, dtype) -> None:
    """Create `cell`'s variables (in the current scopes) before it is called inside a loop."""
    if isinstance(cell, RNNCell):
        cell._build_for(inputs_shape, dtype)


class _RNNCellWrapper(RNNCell):
    """A cell around another: no scope of its own, so the wrapped cell's variables keep their names."""

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        if not callable(cell) or not hasattr(cell, "state_size"):
            raise TypeError(f"The parameter cell is not a RNNCell: {cell!r}")
        self.cell = cell

    wrapped_cell = property(lambda self: self.cell)
    state_size = property(lambda self: self.cell.state_size)
    output_size = property(lambda self: self.cell.output_size)

    def zero_state(self, batch_size, dtype):
        with name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def _build_for(self, inputs_shape, dtype) -> None:
        _build_cell(self.cell, inputs_shape, dtype)
        self.built = True

    trainable_weights = property(lambda self: self.cell.trainable_weights)
    non_trainable_weights = property(lambda self: self.cell.non_trainable_weights)

    def __call__(self, inputs, state, scope=None):
        return self._call_wrapped_cell(inputs, state, lambda i, s: self.cell(i, s, scope=scope))

    def _call_wrapped_cell(self, inputs, state, cell_call_fn):
        raise NotImplementedError


def _default_dropout_state_filter_visitor(substate):
    if isinstance(substate, LSTMStateTuple):  # the memory cell c is never dropped, h is
        return LSTMStateTuple(c=False, h=True)
    if isinstance(substate, Tensor) and substate.dtype == dtypes.variant:
        return False
    return True


def _should_dropout(p) -> bool:
    return not isinstance(p, numbers.Real) or p < 1


class DropoutWrapper(_RNNCellWrapper):
    """Dropout on a cell's inputs, outputs and (by `dropout_state_filter_visitor`, default: all but an LSTM's c) state.

    `variational_recurrent=True` uses one dropout mask for every time step of a run (Gal &
    Ghahramani 2016); the masks are drawn when the run starts, as in TF1, and need
    `input_size` (the depth of the inputs) when `input_keep_prob < 1`, and `dtype`.
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None):
        super().__init__(cell)
        self._input_keep_prob = self._check_prob(input_keep_prob, "input_keep_prob")
        self._output_keep_prob = self._check_prob(output_keep_prob, "output_keep_prob")
        self._state_keep_prob = self._check_prob(state_keep_prob, "state_keep_prob")
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._dropout_state_filter = dropout_state_filter_visitor or _default_dropout_state_filter_visitor
        self._variational_recurrent = variational_recurrent
        self._seed = seed
        self._recurrent_input_noise = self._recurrent_output_noise = self._recurrent_state_noise = None
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")
            dtype = dtypes.as_dtype(dtype)

            def noise(size, salt):
                return random_uniform([1, *_as_list(size)], dtype=dtype,
                                      seed=None if seed is None else seed + salt)
            if _should_dropout(self._input_keep_prob):
                if input_size is None:
                    raise ValueError("When variational_recurrent=True and input_keep_prob < 1.0 or is unknown, "
                                     "input_size must be provided")
                self._recurrent_input_noise = _map_sizes(lambda s: noise(s, 0), input_size)
            self._recurrent_state_noise = _map_sizes(lambda s: noise(s, 1), cell.state_size)
            self._recurrent_output_noise = _map_sizes(lambda s: noise(s, 2), cell.output_size)

    @staticmethod
    def _check_prob(p, name):
        if isinstance(p, numbers.Real) and not 0 < p <= 1:
            raise ValueError(f"Parameter {name} must be between 0 and 1: {p}")
        return p

    def _variational(self, values, noise, keep_prob, keep_flags):
        def drop(v, n):
            keep = convert_to_tensor(keep_prob, dtype=v.dtype)
            binary = unary_ops.floor(keep + n)
            return v / keep * binary
        flat_v, flat_n = flatten(values), flatten(noise)
        return pack_sequence_as(values, [drop(v, n) if k else v
                                         for v, n, k in zip(flat_v, flat_n, keep_flags, strict=True)])

    def _dropout(self, values, salt, keep_prob, kind, keep_flags=None):
        """Dropout on each leaf of `values` whose entry in `keep_flags` (one bool per leaf; default all) is true."""
        flat = flatten(values)
        keep_flags = [True] * len(flat) if keep_flags is None else keep_flags
        if self._variational_recurrent:
            noise = {"input": self._recurrent_input_noise, "state": self._recurrent_state_noise,
                     "output": self._recurrent_output_noise}[kind]
            return self._variational(values, noise, keep_prob, keep_flags)
        seed = None if self._seed is None else self._seed + salt
        return pack_sequence_as(values, [nn_impl.dropout(v, keep_prob=keep_prob, seed=seed) if k else v
                                         for v, k in zip(flat, keep_flags, strict=True)])

    def _state_flags(self, state) -> list:
        """One bool per state tensor: whether dropout applies (TF1's traversal of dropout_state_filter_visitor).

        The visitor sees each substructure from the top: True on a tuple goes on into its parts,
        False leaves the whole substructure alone, and a structure of bools (LSTMStateTuple(c=False,
        h=True)) decides for each part.
        """
        def expand(flags, sub):
            if isinstance(flags, bool):
                return [flags] * len(flatten(sub))
            if not is_sequence(flags) or len(children(flags)) != len(children(sub)):
                raise ValueError(f"dropout_state_filter_visitor returned {flags!r}; expected a bool or a "
                                 f"structure of bools matching {sub!r}")
            return [f for fc, sc in zip(children(flags), children(sub), strict=True) for f in expand(fc, sc)]

        def visit(sub):
            flags = self._dropout_state_filter(sub)
            if isinstance(flags, bool):
                if flags and is_sequence(sub):
                    return [f for child in children(sub) for f in visit(child)]
                return [flags] * len(flatten(sub))
            return expand(flags, sub)
        return visit(state)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn):
        if _should_dropout(self._input_keep_prob):
            inputs = self._dropout(inputs, 0, self._input_keep_prob, "input")
        output, new_state = cell_call_fn(inputs, state)
        if _should_dropout(self._state_keep_prob):
            new_state = self._dropout(new_state, 1, self._state_keep_prob, "state", self._state_flags(new_state))
        if _should_dropout(self._output_keep_prob):
            output = self._dropout(output, 2, self._output_keep_prob, "output")
        return output, new_state


class ResidualWrapper(_RNNCellWrapper):
    """Adds the cell's inputs to its outputs (`residual_fn(inputs, outputs)`, default `inputs + outputs`)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        self._residual_fn = residual_fn

    def _call_wrapped_cell(self, inputs, state, cell_call_fn):
        outputs, new_state = cell_call_fn(inputs, state)

        def default_residual_fn(inputs, outputs):
            assert_same_structure(inputs, outputs)
            return map_structure(lambda i, o: i + o, inputs, outputs)
        return (self._residual_fn or default_residual_fn)(inputs, outputs), new_state


class DeviceWrapper(_RNNCellWrapper):
    """Runs the wrapped cell's ops (and creates its zero state) on `device`."""

    def __init__(self, cell, device):  # noqa: A002 - TF's argument name
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size, dtype):
        with name_scope(type(self).__name__ + "ZeroState"), device(self._device):
            return self.cell.zero_state(batch_size, dtype)

    def _call_wrapped_cell(self, inputs, state, cell_call_fn):
        with device(self._device):
            return cell_call_fn(inputs, state)


class LSTMBlockCell(LSTMCell):
    """tf.contrib.rnn's fused LSTM cell: LSTMCell's math and variables (`lstm_cell/kernel`, `bias`, `w_*_diag`).

    TF1 runs it as one kernel (LSTMBlockCell op); estflow builds the same formula from ops, so
    outputs, gradients and checkpoints agree with a TF1 program that uses it.
    """

    def __init__(self, num_units, forget_bias=1.0, cell_clip=None, use_peephole=False, dtype=None, reuse=None,
                 name="lstm_cell"):
        super().__init__(num_units, use_peepholes=use_peephole, cell_clip=cell_clip, forget_bias=forget_bias,
                         reuse=reuse, name=name, dtype=dtype)
