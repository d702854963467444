"""RNN cells (estflow/library/rnn_cell_impl.py): TF1's formulas, variable names, state layouts, wrappers."""

import numpy as np
import pytest

import estflow as tf


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _run_cell(cell, x, state, scope="rnn"):
    """(output, new_state, {variable name: value}) of one step of `cell` on numpy inputs."""
    with tf.Graph().as_default():
        with tf.variable_scope(scope):
            out, new_state = cell(tf.constant(x), _constants(state))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            # Nonzero biases so that a wrong gate order shows.
            for v in tf.global_variables():
                if "bias" in v.name or "diag" in v.name:
                    sess.run(v.assign(np.linspace(-0.5, 0.5, v.shape.num_elements()).reshape(v.shape.as_list())))
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
            got_out, got_state = sess.run([out, new_state])
    return got_out, got_state, values


def _constants(state):
    if isinstance(state, tuple):
        return type(state)(*[_constants(s) for s in state]) if hasattr(state, "_fields") else tuple(
            _constants(s) for s in state)
    return tf.constant(state)


RNG = np.random.RandomState(0)
X = RNG.randn(3, 5).astype(np.float32)
H4 = RNG.randn(3, 4).astype(np.float32)
C4 = RNG.randn(3, 4).astype(np.float32)


def test_basic_rnn_cell_is_tanh_of_the_concatenation_times_the_kernel():
    out, state, v = _run_cell(tf.nn.rnn_cell.BasicRNNCell(4), X, H4)
    assert sorted(v) == ["rnn/basic_rnn_cell/bias", "rnn/basic_rnn_cell/kernel"]
    assert v["rnn/basic_rnn_cell/kernel"].shape == (9, 4)
    want = np.tanh(np.concatenate([X, H4], 1) @ v["rnn/basic_rnn_cell/kernel"] + v["rnn/basic_rnn_cell/bias"])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, want, rtol=1e-5, atol=1e-6)


def test_basic_lstm_cell_gate_order_is_i_j_f_o_with_the_forget_bias():
    cell = tf.nn.rnn_cell.BasicLSTMCell(4, forget_bias=0.7)
    out, state, v = _run_cell(cell, X, tf.nn.rnn_cell.LSTMStateTuple(C4, H4))
    kernel, bias = v["rnn/basic_lstm_cell/kernel"], v["rnn/basic_lstm_cell/bias"]
    assert kernel.shape == (9, 16) and bias.shape == (16,)
    i, j, f, o = np.split(np.concatenate([X, H4], 1) @ kernel + bias, 4, axis=1)
    c = C4 * _sigmoid(f + 0.7) + _sigmoid(i) * np.tanh(j)
    h = np.tanh(c) * _sigmoid(o)
    assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple)
    np.testing.assert_allclose(state.c, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.h, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)


def test_basic_lstm_cell_with_a_concatenated_state():
    cell = tf.nn.rnn_cell.BasicLSTMCell(4, state_is_tuple=False)
    assert cell.state_size == 8 and cell.output_size == 4
    out, state, v = _run_cell(cell, X, np.concatenate([C4, H4], 1))
    i, j, f, o = np.split(np.concatenate([X, H4], 1) @ v["rnn/basic_lstm_cell/kernel"]
                          + v["rnn/basic_lstm_cell/bias"], 4, axis=1)
    c = C4 * _sigmoid(f + 1.0) + _sigmoid(i) * np.tanh(j)
    h = np.tanh(c) * _sigmoid(o)
    np.testing.assert_allclose(state, np.concatenate([c, h], 1), rtol=1e-5, atol=1e-6)


def test_lstm_cell_with_peepholes_clipping_and_projection():
    cell = tf.nn.rnn_cell.LSTMCell(4, use_peepholes=True, cell_clip=0.5, num_proj=3, proj_clip=0.2, forget_bias=0.3)
    assert cell.state_size == (4, 3) and cell.output_size == 3
    h3 = H4[:, :3]
    out, state, v = _run_cell(cell, X, tf.nn.rnn_cell.LSTMStateTuple(C4, h3))
    assert sorted(v) == ["rnn/lstm_cell/bias", "rnn/lstm_cell/kernel", "rnn/lstm_cell/projection/kernel",
                         "rnn/lstm_cell/w_f_diag", "rnn/lstm_cell/w_i_diag", "rnn/lstm_cell/w_o_diag"]
    p = "rnn/lstm_cell/"
    assert v[p + "kernel"].shape == (8, 16) and v[p + "projection/kernel"].shape == (4, 3)
    i, j, f, o = np.split(np.concatenate([X, h3], 1) @ v[p + "kernel"] + v[p + "bias"], 4, axis=1)
    c = (_sigmoid(f + 0.3 + v[p + "w_f_diag"] * C4) * C4 + _sigmoid(i + v[p + "w_i_diag"] * C4) * np.tanh(j))
    c = np.clip(c, -0.5, 0.5)
    m = _sigmoid(o + v[p + "w_o_diag"] * c) * np.tanh(c)
    m = np.clip(m @ v[p + "projection/kernel"], -0.2, 0.2)
    np.testing.assert_allclose(state.c, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state.h, m, rtol=1e-5, atol=1e-6)


def test_lstm_cell_without_options_equals_the_basic_lstm_cell():
    out, state, v = _run_cell(tf.nn.rnn_cell.LSTMCell(4), X, (C4, H4))
    i, j, f, o = np.split(np.concatenate([X, H4], 1) @ v["rnn/lstm_cell/kernel"] + v["rnn/lstm_cell/bias"], 4, 1)
    c = C4 * _sigmoid(f + 1.0) + _sigmoid(i) * np.tanh(j)
    np.testing.assert_allclose(out, np.tanh(c) * _sigmoid(o), rtol=1e-5, atol=1e-6)


def test_lstm_cell_concatenated_state_with_a_projection():
    cell = tf.nn.rnn_cell.LSTMCell(4, num_proj=2, state_is_tuple=False)
    assert cell.state_size == 6
    out, state, _ = _run_cell(cell, X, np.concatenate([C4, H4[:, :2]], 1))
    assert out.shape == (3, 2) and state.shape == (3, 6)
    np.testing.assert_allclose(state[:, 4:], out)


def test_gru_cell_reset_and_update_gates():
    out, state, v = _run_cell(tf.nn.rnn_cell.GRUCell(4), X, H4)
    assert sorted(v) == ["rnn/gru_cell/candidate/bias", "rnn/gru_cell/candidate/kernel", "rnn/gru_cell/gates/bias",
                         "rnn/gru_cell/gates/kernel"]
    p = "rnn/gru_cell/"
    r, u = np.split(_sigmoid(np.concatenate([X, H4], 1) @ v[p + "gates/kernel"] + v[p + "gates/bias"]), 2, 1)
    cand = np.tanh(np.concatenate([X, r * H4], 1) @ v[p + "candidate/kernel"] + v[p + "candidate/bias"])
    want = u * H4 + (1 - u) * cand
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, want, rtol=1e-5, atol=1e-6)


def test_gru_gate_bias_starts_at_one_and_the_lstm_bias_at_zero():
    with tf.Graph().as_default():
        x = tf.zeros([2, 3])
        tf.nn.rnn_cell.GRUCell(2)(x, tf.zeros([2, 2]))
        tf.nn.rnn_cell.BasicLSTMCell(2)(x, (tf.zeros([2, 2]), tf.zeros([2, 2])))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            values = {v.op.name: sess.run(v) for v in tf.global_variables()}
    np.testing.assert_array_equal(values["gru_cell/gates/bias"], np.ones(4))
    np.testing.assert_array_equal(values["gru_cell/candidate/bias"], np.zeros(2))
    np.testing.assert_array_equal(values["basic_lstm_cell/bias"], np.zeros(8))


def test_multi_rnn_cell_stacks_cells_in_cell_i_scopes():
    cells = [tf.nn.rnn_cell.BasicLSTMCell(4), tf.nn.rnn_cell.GRUCell(3)]
    multi = tf.nn.rnn_cell.MultiRNNCell(cells)
    assert multi.state_size == ((4, 4), 3) and multi.output_size == 3
    state = (tf.nn.rnn_cell.LSTMStateTuple(C4, H4), H4[:, :3])
    out, new_state, v = _run_cell(multi, X, state)
    assert sorted(v) == [
        "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias", "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel",
        "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/bias", "rnn/multi_rnn_cell/cell_1/gru_cell/candidate/kernel",
        "rnn/multi_rnn_cell/cell_1/gru_cell/gates/bias", "rnn/multi_rnn_cell/cell_1/gru_cell/gates/kernel"]
    p0, p1 = "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/", "rnn/multi_rnn_cell/cell_1/gru_cell/"
    i, j, f, o = np.split(np.concatenate([X, H4], 1) @ v[p0 + "kernel"] + v[p0 + "bias"], 4, 1)
    c = C4 * _sigmoid(f + 1) + _sigmoid(i) * np.tanh(j)
    h = np.tanh(c) * _sigmoid(o)
    h3 = H4[:, :3]
    r, u = np.split(_sigmoid(np.concatenate([h, h3], 1) @ v[p1 + "gates/kernel"] + v[p1 + "gates/bias"]), 2, 1)
    cand = np.tanh(np.concatenate([h, r * h3], 1) @ v[p1 + "candidate/kernel"] + v[p1 + "candidate/bias"])
    np.testing.assert_allclose(new_state[0].h, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, u * h3 + (1 - u) * cand, rtol=1e-5, atol=1e-6)


def test_multi_rnn_cell_with_a_concatenated_state():
    multi = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.GRUCell(4), tf.nn.rnn_cell.GRUCell(4)], state_is_tuple=False)
    assert multi.state_size == 8
    out, state, _ = _run_cell(multi, X, np.concatenate([H4, H4], 1))
    assert state.shape == (3, 8)
    np.testing.assert_allclose(state[:, 4:], out)


def test_multi_rnn_cell_rejects_tuple_states_without_state_is_tuple():
    with pytest.raises(ValueError, match="state_is_tuple"):
        tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(2)], state_is_tuple=False)
    with pytest.raises(ValueError, match="at least one cell"):
        tf.nn.rnn_cell.MultiRNNCell([])


def test_zero_state_shapes_names_and_dynamic_batch():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(4), tf.nn.rnn_cell.GRUCell(3)])
        zero = cell.zero_state(5, tf.float32)
        assert zero[0].c.shape.as_list() == [5, 4] and zero[1].shape.as_list() == [5, 3]
        assert zero[0].c.name.startswith("MultiRNNCellZeroState/BasicLSTMCellZeroState/")
        batch = tf.placeholder(tf.int32, [])
        dynamic = tf.nn.rnn_cell.GRUCell(3).zero_state(batch, tf.float64)
        assert dynamic.shape.as_list() == [None, 3] and dynamic.dtype == tf.float64
        with tf.Session() as sess:
            assert sess.run(dynamic, {batch: 2}).tolist() == [[0, 0, 0], [0, 0, 0]]


def test_cells_reuse_their_variables_on_a_second_call():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicLSTMCell(3)
        x = tf.ones([2, 2])
        state = cell.zero_state(2, tf.float32)
        _, state = cell(x, state)
        cell(x, state)
        assert [v.op.name for v in tf.global_variables()] == ["basic_lstm_cell/kernel", "basic_lstm_cell/bias"]
        assert len(cell.trainable_weights) == 2


def test_explicit_scope_names_the_variables():
    with tf.Graph().as_default():
        tf.nn.rnn_cell.BasicRNNCell(3)(tf.ones([2, 2]), tf.zeros([2, 3]), scope="my_cell")
        assert [v.op.name for v in tf.global_variables()] == ["my_cell/kernel", "my_cell/bias"]


def test_unknown_input_depth_is_an_error():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, None])
        with pytest.raises(ValueError, match="inputs.shape"):
            tf.nn.rnn_cell.GRUCell(2)(x, tf.zeros([2, 2]))


def test_dropout_wrapper_keeps_the_cell_variable_names_and_drops_h_but_not_c():
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        cell = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicLSTMCell(50), input_keep_prob=1.0,
                                             output_keep_prob=0.5, state_keep_prob=0.5)
        with tf.variable_scope("rnn"):
            out, state = cell(tf.ones([4, 3]), cell.zero_state(4, tf.float32))
        assert [v.op.name for v in tf.global_variables()] == ["rnn/basic_lstm_cell/kernel",
                                                              "rnn/basic_lstm_cell/bias"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o, s = sess.run([out, state])
    assert 0.2 < (o == 0).mean() < 0.8 and 0.2 < (s.h == 0).mean() < 0.8
    assert (s.c == 0).mean() < 0.05  # the memory cell is not dropped


def test_dropout_wrapper_variational_uses_one_mask_for_every_step():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.GRUCell(40), input_keep_prob=0.5, output_keep_prob=0.5,
                                             variational_recurrent=True, input_size=6, dtype=tf.float32, seed=1)
        outputs, _ = tf.nn.dynamic_rnn(cell, tf.ones([3, 4, 6]), dtype=tf.float32)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o = sess.run(outputs)
    dropped = o == 0
    assert 0.2 < dropped.mean() < 0.8
    assert (dropped == dropped[:1, :1]).all()  # one [1, depth] mask: the same units at every step and row


def test_dropout_wrapper_checks_its_arguments():
    cell = tf.nn.rnn_cell.GRUCell(2)
    with pytest.raises(ValueError, match="between 0 and 1"):
        tf.nn.rnn_cell.DropoutWrapper(cell, output_keep_prob=1.5)
    with pytest.raises(ValueError, match="dtype must be provided"):
        tf.nn.rnn_cell.DropoutWrapper(cell, variational_recurrent=True)
    with pytest.raises(ValueError, match="input_size must be provided"):
        tf.nn.rnn_cell.DropoutWrapper(cell, input_keep_prob=0.5, variational_recurrent=True, dtype=tf.float32)


def test_residual_wrapper_adds_the_inputs():
    x = RNG.randn(3, 4).astype(np.float32)
    out, state, v = _run_cell(tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.BasicRNNCell(4)), x, H4)
    assert sorted(v) == ["rnn/basic_rnn_cell/bias", "rnn/basic_rnn_cell/kernel"]
    np.testing.assert_allclose(out, state + x, rtol=1e-5, atol=1e-6)


def test_device_wrapper_places_the_cell_ops():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.DeviceWrapper(tf.nn.rnn_cell.GRUCell(2), "/cpu:0")
        out, _ = cell(tf.ones([1, 2]), cell.zero_state(1, tf.float32))
        assert "CPU:0" in out.device.upper()
        assert cell.state_size == 2 and cell.output_size == 2


def test_contrib_rnn_aliases_the_cells():
    assert tf.contrib.rnn.LSTMCell is tf.nn.rnn_cell.LSTMCell
    assert tf.contrib.rnn.static_rnn is tf.nn.static_rnn
    assert tf.nn.rnn_cell.LSTMStateTuple(1, 2).h == 2


def test_get_initial_state_takes_the_batch_size_and_dtype_from_the_inputs():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicLSTMCell(3)
        x = tf.placeholder(tf.float64, [None, 2])
        state = cell.get_initial_state(inputs=x)
        assert state.c.dtype == tf.float64 and state.h.shape.as_list() == [None, 3]
        assert cell.get_initial_state(batch_size=4, dtype=tf.float32).c.shape.as_list() == [4, 3]
        with pytest.raises(ValueError, match="batch_size and dtype cannot be None"):
            cell.get_initial_state(batch_size=4)
        with tf.Session() as sess:
            assert sess.run(state.c, {x: np.ones((2, 2))}).shape == (2, 3)


def test_dropout_inside_dynamic_rnn_draws_new_masks_each_step_and_the_gradient_uses_the_same_ones():
    # A linear cell with zero bias: the outputs are linear in `a`, so d sum(outputs) / da = sum(outputs) / a
    # exactly when the gradient sees the masks the forward pass drew. Seeded: with both inputs of a row
    # dropped at the first step (p = 0.09 each) its outputs are all zero, so unseeded runs failed the
    # fraction check now and then.
    with tf.Graph().as_default():
        tf.set_random_seed(3)
        a = tf.Variable(2.0)
        x = a * tf.constant(np.random.RandomState(2).rand(3, 6, 2).astype(np.float32))
        cell = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.BasicRNNCell(40, activation=tf.identity),
                                             input_keep_prob=0.7, output_keep_prob=0.5, state_keep_prob=0.8)
        outputs, _ = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
        total = tf.reduce_sum(outputs)
        (grad,) = tf.gradients(total, [a])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o, t, g = sess.run([outputs, total, grad])
    dropped = (o == 0).mean(axis=(0, 2))
    assert ((0.3 < dropped) & (dropped < 0.7)).all()
    assert (o[:, 0] == 0).tolist() != (o[:, 1] == 0).tolist()  # a new mask each step
    np.testing.assert_allclose(g, t / 2.0, rtol=1e-4)


def test_lstm_block_cell_is_the_peephole_lstm_under_lstm_cell():
    block = tf.contrib.rnn.LSTMBlockCell(4, forget_bias=0.3, cell_clip=0.5, use_peephole=True)
    out, state, v = _run_cell(block, X, tf.nn.rnn_cell.LSTMStateTuple(C4, H4))
    assert sorted(v) == ["rnn/lstm_cell/bias", "rnn/lstm_cell/kernel", "rnn/lstm_cell/w_f_diag",
                         "rnn/lstm_cell/w_i_diag", "rnn/lstm_cell/w_o_diag"]
    p = "rnn/lstm_cell/"
    i, j, f, o = np.split(np.concatenate([X, H4], 1) @ v[p + "kernel"] + v[p + "bias"], 4, axis=1)
    c = np.clip(_sigmoid(f + 0.3 + v[p + "w_f_diag"] * C4) * C4 + _sigmoid(i + v[p + "w_i_diag"] * C4) * np.tanh(j),
                -0.5, 0.5)
    np.testing.assert_allclose(state.c, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, _sigmoid(o + v[p + "w_o_diag"] * c) * np.tanh(c), rtol=1e-5, atol=1e-6)


def test_dropout_wrapper_around_a_stack_filters_each_lstm_state_and_takes_a_custom_visitor():
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        cells = [tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.LSTMCell(30), output_keep_prob=0.5) for _ in range(2)]
        multi = tf.nn.rnn_cell.DropoutWrapper(tf.nn.rnn_cell.MultiRNNCell(cells), state_keep_prob=0.5)
        _, state = tf.nn.dynamic_rnn(multi, tf.ones([4, 3, 2]), dtype=tf.float32)
        assert [v.op.name for v in tf.global_variables()][:2] == ["rnn/multi_rnn_cell/cell_0/lstm_cell/kernel",
                                                                  "rnn/multi_rnn_cell/cell_0/lstm_cell/bias"]
        only_first = tf.nn.rnn_cell.DropoutWrapper(
            tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.GRUCell(30), tf.nn.rnn_cell.GRUCell(30)]), state_keep_prob=0.5,
            dropout_state_filter_visitor=lambda s: (True, False) if isinstance(s, tuple) else True)
        _, state2 = tf.nn.dynamic_rnn(only_first, tf.ones([4, 3, 2]), dtype=tf.float32, scope="second")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            s, s2 = sess.run([state, state2])
    for layer in s:
        assert (layer.c == 0).mean() < 0.05 and 0.2 < (layer.h == 0).mean() < 0.8
    assert 0.2 < (s2[0] == 0).mean() < 0.8 and (s2[1] == 0).mean() < 0.05


def test_activation_by_name_or_callable():
    out, _, v = _run_cell(tf.nn.rnn_cell.BasicRNNCell(4, activation="relu"), X, H4)
    want = np.maximum(np.concatenate([X, H4], 1) @ v["rnn/basic_rnn_cell/kernel"] + v["rnn/basic_rnn_cell/bias"], 0)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    out, _, v = _run_cell(tf.nn.rnn_cell.GRUCell(4, activation=tf.nn.relu), X, H4)
    p = "rnn/gru_cell/"
    r, u = np.split(_sigmoid(np.concatenate([X, H4], 1) @ v[p + "gates/kernel"] + v[p + "gates/bias"]), 2, 1)
    cand = np.maximum(np.concatenate([X, r * H4], 1) @ v[p + "candidate/kernel"] + v[p + "candidate/bias"], 0)
    np.testing.assert_allclose(out, u * H4 + (1 - u) * cand, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="Unknown activation function: nope"):
        tf.nn.rnn_cell.BasicLSTMCell(2, activation="nope")
