"""TF1's RNN drivers: `dynamic_rnn`, `static_rnn`, and their bidirectional forms (`tf.nn.*`).

`dynamic_rnn` runs the cell in a `tf.while_loop` over the time steps, so a graph serves any
sequence length and gradients flow back through time (the while loop's gradient). The cell's
variables are created before the loop, in the scope TF1 gives them (`rnn/basic_lstm_cell/kernel`):
the loop body is a function graph and reuses them. As in TF1, the inputs are unstacked into
TensorArrays (`rnn/TensorArray_1`) read one step at a time, and each step's output is written to a
TensorArray the loop carries and stacks after it, so every step costs the same whatever the
sequence length.

With `sequence_length`, each sequence stops at its length: from step `sequence_length[b]` on,
row b's output is zero and its state is the state at its last step, and the loop stops after
the longest sequence (the outputs past it are zeros), as in TF1.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.func_graph import assert_same_structure
from estflow.core.graph import Tensor, control_dependencies, name_scope
from estflow.core.nest import flatten, is_sequence, map_structure, pack_sequence_as
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    reduction_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.tensor_array import TensorArray
from estflow.core.tensor_shape import TensorShape, dimension_value
from estflow.core.variable_scope import variable_scope
from estflow.library.rnn_cell_impl import _as_list, _build_cell, _builds_all_variables, _flatten_sizes, _map_sizes


def _check_cell(cell) -> None:
    if not (callable(cell) and hasattr(cell, "state_size") and hasattr(cell, "output_size")):
        raise TypeError(f"cell must be an instance of RNNCell, saw: {type(cell).__name__}")


def _transpose_batch_time(x: Tensor) -> Tensor:
    """[batch, time, ...] <-> [time, batch, ...]."""
    ndims = x.shape.ndims
    if ndims is not None and ndims < 2:
        raise ValueError(f"Expected input tensor {x} to have rank at least 2")
    if ndims is None:
        raise ValueError(f"Expected input tensor {x} to have a known rank")
    return manipulation_ops.transpose(x, [1, 0, *range(2, ndims)])


def _batch_size(flat_input, batch_axis) -> Tensor | int:
    for x in flat_input:
        size = dimension_value(x.shape[batch_axis]) if x.shape.ndims is not None else None
        if size is not None:
            return size
    return array_ops.shape(flat_input[0])[batch_axis]


def _initial_state(cell, initial_state, batch_size, dtype):
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError("If there is no initial_state, you must give a dtype.")
    return cell.zero_state(batch_size, dtype)


def _check_sequence_length(sequence_length):
    if sequence_length is None:
        return None
    sequence_length = cast_ops.cast(convert_to_tensor(sequence_length), dtypes.int32)
    if sequence_length.shape.ndims not in (None, 1):
        raise ValueError(f"sequence_length must be a vector of length batch_size, but saw shape: "
                         f"{sequence_length.shape}")
    return array_ops.identity(sequence_length, name="sequence_length")


def _output_shapes(cell, batch_static):
    return _map_sizes(lambda s: TensorShape([batch_static]).concatenate(TensorShape(_as_list(s))), cell.output_size)


def _masked(copy, new, old):
    """Rows where `copy` is true keep `old`; others take `new` (TF1's _rnn_step without conditionals)."""
    return map_structure(lambda n, o: comparison_ops.where(copy, o, n) if isinstance(n, Tensor) else n, new, old)


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None, parallel_iterations=None,
                swap_memory=False, time_major=False, scope=None):
    """Run `cell` over the time steps of `inputs`: (outputs, final_state).

        cell = tf.nn.rnn_cell.BasicLSTMCell(64)
        outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32)

    `inputs` is `[batch, time, ...]` (`[time, batch, ...]` with `time_major=True`), or a
    nested structure of such tensors; `outputs` has the same major axis order and the cell's
    output_size as its depth. The state starts at `initial_state`, or the cell's zero state
    of `dtype`. Variables go in `scope` (default "rnn"). `parallel_iterations` and
    `swap_memory` go to the while loop; neither changes a value.
    """
    _check_cell(cell)
    with variable_scope(scope or "rnn"):
        flat_input = [convert_to_tensor(x) for x in flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        parallel_iterations = parallel_iterations or 32
        sequence_length = _check_sequence_length(sequence_length)
        batch_size = _batch_size(flat_input, 1)
        state = _initial_state(cell, initial_state, batch_size, dtype)
        outputs, final_state = _dynamic_rnn_loop(cell, pack_sequence_as(inputs, flat_input), state,
                                                 parallel_iterations, swap_memory, sequence_length,
                                                 dtype or flatten(state)[0].dtype)
        if not time_major:
            outputs = map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _dynamic_rnn_loop(cell, inputs, initial_state, parallel_iterations, swap_memory, sequence_length, dtype):
    flat_input = flatten(inputs)
    shapes = [x.shape for x in flat_input]
    for s in shapes:
        if s.ndims is not None and s.ndims < 2:
            raise ValueError(f"Expected inputs of rank at least 2 ([time, batch, ...]), saw shape {s}")
        if s.ndims is None or not s[2:].is_fully_defined():
            raise ValueError("Input size (depth of inputs) must be accessible via shape inference, but saw value "
                             f"None (inputs of shape {s}).")
    time_steps = dimension_value(shapes[0][0])
    if time_steps is None:
        time_steps = array_ops.shape(flat_input[0])[0]
    batch_static = dimension_value(shapes[0][1])
    for s in shapes[1:]:
        if dimension_value(s[0]) is not None and not isinstance(time_steps, Tensor) and dimension_value(s[0]) != \
                time_steps:
            raise ValueError("Time steps is not the same for all the elements in the input in a batch.")
    step_shapes = pack_sequence_as(inputs, [s[1:] for s in shapes])
    if _builds_all_variables(cell):
        _build_cell(cell, step_shapes, flat_input[0].dtype)
    # Otherwise the cell creates its variables in its first call, in the loop body (as in TF1: a loop
    # body's tf.get_variable creates the variable in the loop's graph).

    out_shapes = flatten(_output_shapes(cell, batch_static))
    state_invariants = [convert_to_tensor(t).shape for t in flatten(initial_state)]
    # TF1's TensorArrays: one per input, unstacked along time and read a step at a time, and one per
    # output, written a step at a time and stacked after the loop (each step costs the same).
    with name_scope("dynamic_rnn") as base_name:
        pass
    input_tas = [TensorArray(x.dtype, size=time_steps, element_shape=s[1:], tensor_array_name=f"{base_name}input_{i}")
                 .unstack(x) for i, (x, s) in enumerate(zip(flat_input, shapes, strict=True))]
    output_tas = [TensorArray(dtype, size=time_steps, element_shape=s, tensor_array_name=f"{base_name}output_{i}")
                  for i, s in enumerate(out_shapes)]

    time = constant(0, dtype=dtypes.int32, name="time")
    if sequence_length is not None:
        max_len = reduction_ops.reduce_max(sequence_length)
        loop_bound = math_ops.minimum(time_steps, math_ops.maximum(1, max_len))
    else:
        loop_bound = time_steps

    def body(t, state, tas):
        step = [ta.read(t) for ta in input_tas]
        for x, s in zip(step, shapes, strict=True):
            x.set_shape(s[1:])
        output, new_state = cell(pack_sequence_as(inputs, step), state)
        flat_out = flatten(output)
        for o, shape in zip(flat_out, out_shapes, strict=True):
            o.set_shape(shape)
        if sequence_length is not None:
            copy = comparison_ops.greater_equal(t, sequence_length)
            flat_out = [comparison_ops.where(copy, fill_ops.zeros_like(o), o) for o in flat_out]
            new_state = _masked(copy, new_state, state)
        return t + 1, new_state, [ta.write(t, o) for ta, o in zip(tas, flat_out, strict=True)]

    _, final_state, output_tas = control_flow_ops.while_loop(
        lambda t, *_: comparison_ops.less(t, loop_bound), body, (time, initial_state, output_tas),
        shape_invariants=(TensorShape([]), pack_sequence_as(initial_state, state_invariants),
                          [TensorShape([]) for _ in output_tas]),
        parallel_iterations=parallel_iterations, swap_memory=swap_memory, maximum_iterations=time_steps)
    # The steps past the longest sequence were never written: they stack as zeros.
    outputs = [ta.stack() for ta in output_tas]
    static_t = None if isinstance(time_steps, Tensor) else time_steps
    for a, shape in zip(outputs, out_shapes, strict=True):
        a.set_shape(TensorShape([static_t]).concatenate(shape))
    return pack_sequence_as(cell.output_size, outputs) if is_sequence(cell.output_size) else outputs[0], final_state


def raw_rnn(cell, loop_fn, parallel_iterations=None, swap_memory=False, scope=None):
    """Run `cell` in a while loop driven by `loop_fn` (TF1's `tf.nn.raw_rnn`): (emit_ta, final_state, final_loop_state).

        def loop_fn(time, cell_output, cell_state, loop_state):
            emit_output = cell_output                      # None at time 0: emit the cell's outputs
            next_state = cell.zero_state(batch, tf.float32) if cell_output is None else cell_state
            finished = time >= lengths
            next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([batch, depth]),
                                 lambda: inputs_ta.read(time))
            return finished, next_input, next_state, emit_output, loop_state
        emit_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
        outputs = emit_ta.stack()                          # [time, batch, ...]

    `loop_fn(time, cell_output, cell_state, loop_state)` returns `(finished, next_input,
    next_cell_state, emit_output, next_loop_state)`; at time 0 the last three arguments are
    None and it returns the initial state, the emit structure (None: the cell's
    `output_size`) and the initial loop state. The loop runs until every batch entry has
    finished; a finished entry emits zeros and keeps its state. `emit_ta` holds one
    TensorArray per emitted tensor, of one element per step.
    """
    _check_cell(cell)
    if not callable(loop_fn):
        raise TypeError("loop_fn must be a callable")
    parallel_iterations = parallel_iterations or 32
    with variable_scope(scope or "rnn"):
        time = constant(0, dtype=dtypes.int32)
        finished, next_input, initial_state, emit_structure, init_loop_state = loop_fn(time, None, None, None)
        flat_input = flatten(next_input)
        loop_state = init_loop_state if init_loop_state is not None else constant(0, dtype=dtypes.int32)
        input_shapes = [convert_to_tensor(x).shape for x in flat_input]
        static_batch = None
        for s in input_shapes:
            dim = dimension_value(s[0]) if s.ndims else None
            if dim is not None and static_batch is not None and dim != static_batch:
                raise ValueError(f"Dimensions {static_batch} and {dim} are not compatible (batch size of the inputs)")
            static_batch = static_batch if dim is None else dim
        batch_size = static_batch if static_batch is not None else array_ops.shape(flat_input[0])[0]
        assert_same_structure(initial_state, cell.state_size)
        flat_state = [convert_to_tensor(s) for s in flatten(initial_state)]
        state = pack_sequence_as(initial_state, flat_state)
        if emit_structure is not None:
            flat_emit = flatten(emit_structure)
            emit_sizes = [e.shape if e.shape.is_fully_defined() else array_ops.shape(e) for e in flat_emit]
            emit_dtypes = [e.dtype for e in flat_emit]
        else:
            emit_structure = cell.output_size
            emit_sizes = _flatten_sizes(emit_structure)
            emit_dtypes = [flat_state[0].dtype] * len(emit_sizes)
        flat_emit_ta = [TensorArray(dtype, dynamic_size=True, size=0, name=f"rnn_output_{i}",
                                    element_shape=TensorShape([static_batch]).concatenate(
                                        size if isinstance(size, TensorShape) else
                                        TensorShape(None) if isinstance(size, Tensor) else TensorShape(_as_list(size))))
                        for i, (dtype, size) in enumerate(zip(emit_dtypes, emit_sizes, strict=True))]
        emit_ta = pack_sequence_as(emit_structure, flat_emit_ta)
        zero_emit = pack_sequence_as(emit_structure, [
            fill_ops.zeros(_emit_shape(batch_size, size), dtype)
            for size, dtype in zip(emit_sizes, emit_dtypes, strict=True)])

        def condition(unused_time, elements_finished, *_):
            return unary_ops.logical_not(reduction_ops.reduce_all(elements_finished))

        def body(time, elements_finished, current_input, emit_ta, state, loop_state):
            next_output, cell_state = cell(current_input, state)
            assert_same_structure(state, cell_state)
            assert_same_structure(cell.output_size, next_output)
            next_time = time + 1
            next_finished, next_input, next_state, emit_output, next_loop_state = loop_fn(
                next_time, next_output, cell_state, loop_state)
            assert_same_structure(state, next_state)
            assert_same_structure(current_input, next_input)
            assert_same_structure(emit_ta, emit_output)
            loop_state = loop_state if next_loop_state is None else next_loop_state

            def copy_some_through(current, candidate):
                def copy(cur, cand):
                    if isinstance(cur, TensorArray) or cur.shape.ndims == 0:  # passed through as they are
                        return cand
                    return comparison_ops.where(elements_finished, cur, cand)
                return map_structure(copy, current, candidate)

            emit_output = copy_some_through(zero_emit, emit_output)
            next_state = copy_some_through(state, next_state)
            emit_ta = map_structure(lambda ta, emit: ta.write(time, emit), emit_ta, emit_output)
            elements_finished = comparison_ops.logical_or(elements_finished, next_finished)
            return next_time, elements_finished, next_input, emit_ta, next_state, loop_state

        returned = control_flow_ops.while_loop(
            condition, body, loop_vars=[time, finished, next_input, emit_ta, state, loop_state],
            parallel_iterations=parallel_iterations, swap_memory=swap_memory)
        emit_ta, final_state, final_loop_state = returned[-3:]
        if init_loop_state is None:
            final_loop_state = None
        return emit_ta, final_state, final_loop_state


def _emit_shape(batch_size, size):
    """[batch_size, *size] for zeros, `size` a TensorShape, a shape tensor or an int/list size."""
    if isinstance(size, Tensor):
        return concat_ops.concat([array_ops.reshape(cast_ops.cast(batch_size, dtypes.int32), [1]), size], 0)
    dims = size.as_list() if isinstance(size, TensorShape) else _as_list(size)
    if isinstance(batch_size, Tensor):
        return concat_ops.stack([batch_size, *[constant(int(d), dtype=dtypes.int32) for d in dims]])
    return [int(batch_size), *[int(d) for d in dims]]


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """Run `cell` over a Python list of `[batch, depth]` inputs, one call per step: (outputs list, final state).

    The same cell variables serve every step; with `sequence_length`, outputs past a
    sequence's length are zero and its state is copied through, as in `dynamic_rnn`.
    """
    _check_cell(cell)
    if not is_sequence(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    outputs = []
    with variable_scope(scope or "rnn") as varscope:
        first = [convert_to_tensor(x) for x in flatten(inputs[0])]
        for x in first:
            if x.shape.ndims is not None and x.shape.ndims < 2:
                raise ValueError(f"Expected inputs of rank at least 2, saw {x.shape}")
        batch_size = _batch_size(first, 0)
        state = _initial_state(cell, initial_state, batch_size, dtype)
        sequence_length = _check_sequence_length(sequence_length)
        for time, input_ in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            output, new_state = cell(input_, state)
            if sequence_length is not None:
                copy = comparison_ops.greater_equal(constant(time, dtype=dtypes.int32), sequence_length)
                output = map_structure(lambda o: comparison_ops.where(copy, fill_ops.zeros_like(o), o), output)
                new_state = _masked(copy, new_state, state)
            state = new_state
            outputs.append(output)
        return outputs, state


def _reverse_sequences(x, lengths, seq_axis, batch_axis):
    """Reverse each batch row's first `lengths[b]` steps along `seq_axis` (TF's reverse_sequence)."""
    if lengths is None:
        return manipulation_ops.reverse(x, [seq_axis])
    if seq_axis == 1:  # batch-major: work time-major
        return _transpose_batch_time(_reverse_sequences(_transpose_batch_time(x), lengths, 0, 1))
    steps = array_ops.shape(x)[0]
    t = array_ops.expand_dims(fill_ops.range_(steps), 1)  # [T, 1]
    lengths = array_ops.expand_dims(cast_ops.cast(lengths, dtypes.int32), 0)  # [1, B]
    source = comparison_ops.where_v2(comparison_ops.less(t, lengths), lengths - 1 - t, t)  # [T, B]
    batch = fill_ops.zeros_like(source) + array_ops.expand_dims(fill_ops.range_(array_ops.shape(x)[1]), 0)
    out = gather_ops.gather_nd(x, concat_ops.stack([source, batch], axis=2))
    out.set_shape(x.shape)
    return out


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None, initial_state_fw=None,
                              initial_state_bw=None, dtype=None, parallel_iterations=None, swap_memory=False,
                              time_major=False, scope=None):
    """A forward and a backward `dynamic_rnn`: ((output_fw, output_bw), (output_state_fw, output_state_bw)).

    The backward cell reads each sequence reversed within its `sequence_length`, and its
    outputs are reversed back, so both outputs line up with `inputs` in time. Variables go in
    `scope` (default "bidirectional_rnn") under "fw" and "bw".
    """
    _check_cell(cell_fw)
    _check_cell(cell_bw)
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = dynamic_rnn(
                cell_fw, inputs, sequence_length=sequence_length, initial_state=initial_state_fw, dtype=dtype,
                parallel_iterations=parallel_iterations, swap_memory=swap_memory, time_major=time_major,
                scope=fw_scope)
        time_axis, batch_axis = (0, 1) if time_major else (1, 0)
        with variable_scope("bw") as bw_scope:
            inputs_reverse = map_structure(
                lambda x: _reverse_sequences(convert_to_tensor(x), sequence_length, time_axis, batch_axis), inputs)
            tmp, output_state_bw = dynamic_rnn(
                cell_bw, inputs_reverse, sequence_length=sequence_length, initial_state=initial_state_bw,
                dtype=dtype, parallel_iterations=parallel_iterations, swap_memory=swap_memory,
                time_major=time_major, scope=bw_scope)
        output_bw = map_structure(lambda x: _reverse_sequences(x, sequence_length, time_axis, batch_axis), tmp)
    return (output_fw, output_bw), (output_state_fw, output_state_bw)


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None, initial_state_bw=None, dtype=None,
                             sequence_length=None, scope=None):
    """A forward and a backward `static_rnn`: (outputs, output_state_fw, output_state_bw).

    Each output is the depth concatenation of the forward and backward outputs at that step.
    """
    _check_cell(cell_fw)
    _check_cell(cell_bw)
    if not is_sequence(inputs):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with variable_scope(scope or "bidirectional_rnn"):
        with variable_scope("fw") as fw_scope:
            output_fw, output_state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, sequence_length,
                                                    scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_list(inputs, sequence_length)
            tmp, output_state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype, sequence_length,
                                              scope=bw_scope)
    output_bw = _reverse_list(tmp, sequence_length)
    flat_fw = [flatten(o) for o in output_fw]
    flat_bw = [flatten(o) for o in output_bw]
    outputs = [pack_sequence_as(output_fw[0], [concat_ops.concat([f, b], 1) for f, b in zip(fw, bw, strict=True)])
               for fw, bw in zip(flat_fw, flat_bw, strict=True)]
    return outputs, output_state_fw, output_state_bw


def _reverse_list(inputs, lengths):
    if lengths is None:
        return list(reversed(inputs))
    flat = [flatten(x) for x in inputs]
    columns = []
    for k in range(len(flat[0])):
        stacked = concat_ops.stack([convert_to_tensor(step[k]) for step in flat], axis=0)
        columns.append(concat_ops.unstack(_reverse_sequences(stacked, lengths, 0, 1), axis=0))
    return [pack_sequence_as(inputs[i], [col[i] for col in columns]) for i in range(len(inputs))]


def static_state_saving_rnn(cell, inputs, state_saver, state_name, sequence_length=None, scope=None):
    """`static_rnn` whose state starts at `state_saver.state(name)` and is saved with `state_saver.save_state`.

    `state_name` has the structure of `cell.state_size` (one name per state tensor). The last
    output and the final state depend on the saves, so fetching either saves the state.
    """
    state_size = cell.state_size
    state_is_tuple = is_sequence(state_size)
    if state_is_tuple != is_sequence(state_name):
        raise ValueError(f"state_name should be the same type as cell.state_size.  state_name: {state_name}, "
                         f"cell.state_size: {state_size}")
    if state_is_tuple:
        names, sizes = flatten(state_name), _flatten_sizes(state_size)
        if len(names) != len(sizes):
            raise ValueError(f"#elems(state_name) != #elems(state_size): {len(names)} vs. {len(sizes)}")
        initial_state = pack_sequence_as(state_size, [state_saver.state(n) for n in names])
    else:
        names = [state_name]
        initial_state = state_saver.state(state_name)
    outputs, state = static_rnn(cell, inputs, initial_state=initial_state, sequence_length=sequence_length,
                                scope=scope)
    flat_state = flatten(state)
    saves = [state_saver.save_state(n, s) for n, s in zip(names, flat_state, strict=True)]
    with control_dependencies(saves):
        last = outputs[-1]
        outputs[-1] = pack_sequence_as(last, [array_ops.identity(o) for o in flatten(last)])
        state = pack_sequence_as(state, [array_ops.identity(s) for s in flat_state])
    return outputs, state


def stack_bidirectional_dynamic_rnn(cells_fw, cells_bw, inputs, initial_states_fw=None, initial_states_bw=None,
                                    dtype=None, sequence_length=None, parallel_iterations=None, time_major=False,
                                    scope=None, swap_memory=False):
    """Layers of `bidirectional_dynamic_rnn` (tf.contrib.rnn): (outputs, states_fw, states_bw).

    Each layer's input is the previous layer's forward and backward outputs concatenated on the
    depth axis; layer i's variables are in `<scope>/cell_<i>/bidirectional_rnn/{fw,bw}`
    (scope default "stack_bidirectional_rnn"). The states are tuples with one entry per layer.
    """
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if not isinstance(cells_fw, list):
        raise ValueError("cells_fw must be a list of RNNCells (one per layer).")
    if not isinstance(cells_bw, list):
        raise ValueError("cells_bw must be a list of RNNCells (one per layer).")
    if len(cells_fw) != len(cells_bw):
        raise ValueError("Forward and Backward cells must have the same depth.")
    for states, cells, which in ((initial_states_fw, cells_fw, "fw"), (initial_states_bw, cells_bw, "bw")):
        if states is not None and (not isinstance(states, list) or len(states) != len(cells)):
            raise ValueError(f"initial_states_{which} must be a list of state tensors (one per layer).")
    states_fw, states_bw = [], []
    prev_layer = inputs
    with variable_scope(scope or "stack_bidirectional_rnn"):
        for i, (cell_fw, cell_bw) in enumerate(zip(cells_fw, cells_bw, strict=True)):
            with variable_scope(f"cell_{i}"):
                outputs, (state_fw, state_bw) = bidirectional_dynamic_rnn(
                    cell_fw, cell_bw, prev_layer,
                    initial_state_fw=initial_states_fw[i] if initial_states_fw else None,
                    initial_state_bw=initial_states_bw[i] if initial_states_bw else None,
                    sequence_length=sequence_length, parallel_iterations=parallel_iterations, dtype=dtype,
                    swap_memory=swap_memory, time_major=time_major)
                prev_layer = concat_ops.concat(outputs, 2)
            states_fw.append(state_fw)
            states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)
