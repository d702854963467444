"""dynamic_rnn, static_rnn and the bidirectional forms (estflow/library/rnn.py)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import estflow as tf


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_lstm(x, lengths, kernel, bias, forget_bias=1.0):
    """TF1's BasicLSTMCell run over batch-major x [B, T, D] with sequence_length masking: (outputs, c, h)."""
    batch, steps, _ = x.shape
    units = bias.shape[0] // 4
    c = np.zeros((batch, units))
    h = np.zeros((batch, units))
    outputs = np.zeros((batch, steps, units))
    for t in range(steps):
        i, j, f, o = np.split(np.concatenate([x[:, t], h], 1) @ kernel + bias, 4, axis=1)
        new_c = c * _sigmoid(f + forget_bias) + _sigmoid(i) * np.tanh(j)
        new_h = np.tanh(new_c) * _sigmoid(o)
        live = (t < lengths)[:, None]
        c, h = np.where(live, new_c, c), np.where(live, new_h, h)
        outputs[:, t] = np.where(live, new_h, 0)
    return outputs, c, h


def _randomize(sess):
    """Nonzero biases (TF1 starts them at zero), so a wrong gate order shows."""
    for v in tf.global_variables():
        if "bias" in v.name:
            sess.run(v.assign(np.linspace(-0.5, 0.5, v.shape.num_elements()).reshape(v.shape.as_list())))


RNG = np.random.RandomState(1)
X = RNG.randn(3, 6, 2).astype(np.float32)
LENGTHS = np.array([6, 2, 4], np.int32)


@pytest.mark.parametrize("time_major", [False, True])
def test_dynamic_rnn_matches_the_numpy_lstm_with_sequence_length(time_major):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, None, 2])
        lengths = tf.placeholder(tf.int32, [None])
        cell = tf.nn.rnn_cell.BasicLSTMCell(5)
        outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=lengths, dtype=tf.float32, time_major=time_major)
        assert [v.op.name for v in tf.global_variables()] == ["rnn/basic_lstm_cell/kernel", "rnn/basic_lstm_cell/bias"]
        assert outputs.shape.as_list() == [None, None, 5]
        assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _randomize(sess)
            kernel, bias = sess.run(tf.global_variables())
            feed = X.transpose(1, 0, 2) if time_major else X
            out, st = sess.run([outputs, state], {x: feed, lengths: LENGTHS})
    want, c, h = _np_lstm(X, LENGTHS, kernel, bias)
    if time_major:
        out = out.transpose(1, 0, 2)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.c, c, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.h, h, rtol=1e-5, atol=1e-6)
    assert (out[1, 2:] == 0).all() and (out[2, 4:] == 0).all()


def test_dynamic_rnn_runs_only_to_the_longest_sequence_and_pads_with_zeros():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.GRUCell(3)
        outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), sequence_length=[2, 1, 2], dtype=tf.float32)
        assert outputs.shape.as_list() == [3, 6, 3]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, st = sess.run([outputs, state])
    assert (out[:, 2:] == 0).all() and (out[1, 1:] == 0).all()
    np.testing.assert_allclose(st, out[[0, 1, 2], [1, 0, 1]])


def test_dynamic_rnn_without_sequence_length_equals_full_lengths_and_static_rnn():
    with tf.Graph().as_default():
        x = tf.constant(X)
        cell = tf.nn.rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=3)
        static_out, static_state = tf.nn.static_rnn(cell, tf.unstack(x, axis=1), dtype=tf.float32)
        dyn_out, dyn_state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)  # the same cell: the same variables
        full_out, _ = tf.nn.dynamic_rnn(cell, x, sequence_length=[6, 6, 6], dtype=tf.float32)
        assert len(tf.global_variables()) == 6
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _randomize(sess)
            s_out, s_state, d_out, d_state, f_out = sess.run([static_out, static_state, dyn_out, dyn_state, full_out])
    np.testing.assert_allclose(np.stack(s_out, 1), d_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d_out, f_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s_state.c, d_state.c, rtol=1e-5, atol=1e-6)


def test_static_rnn_masks_with_sequence_length_and_names_variables():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.BasicLSTMCell(5)
        outputs, state = tf.nn.static_rnn(cell, tf.unstack(tf.constant(X), axis=1), dtype=tf.float32,
                                          sequence_length=tf.constant(LENGTHS))
        assert [v.op.name for v in tf.global_variables()] == ["rnn/basic_lstm_cell/kernel", "rnn/basic_lstm_cell/bias"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _randomize(sess)
            kernel, bias = sess.run(tf.global_variables())
            out, st = sess.run([outputs, state])
    want, c, h = _np_lstm(X, LENGTHS, kernel, bias)
    np.testing.assert_allclose(np.stack(out, 1), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.h, h, rtol=1e-5, atol=1e-6)


def test_dynamic_rnn_initial_state_and_multi_rnn_cell_names():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(4) for _ in range(2)])
        init = cell.zero_state(3, tf.float32)
        init = (tf.nn.rnn_cell.LSTMStateTuple(init[0].c + 1.0, init[0].h), init[1])
        outputs, state = tf.nn.dynamic_rnn(cell, tf.constant(X), initial_state=init)
        assert [v.op.name for v in tf.global_variables()] == [
            "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel", "rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias",
            "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel", "rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias"]
        assert outputs.shape.as_list() == [3, 6, 4]
        assert state[1].h.shape.as_list() == [3, 4]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, st = sess.run([outputs, state])
    np.testing.assert_allclose(out[:, -1], st[1].h)


def test_dynamic_rnn_scope_and_argument_errors():
    with tf.Graph().as_default():
        cell = tf.nn.rnn_cell.GRUCell(2)
        with pytest.raises(ValueError, match="must give a dtype"):
            tf.nn.dynamic_rnn(cell, tf.constant(X))
        with pytest.raises(ValueError, match="sequence_length must be a vector"):
            tf.nn.dynamic_rnn(cell, tf.constant(X), sequence_length=[[1]], dtype=tf.float32)
        with pytest.raises(ValueError, match="depth of inputs"):
            tf.nn.dynamic_rnn(cell, tf.placeholder(tf.float32, [3, 6, None]), dtype=tf.float32)
        with pytest.raises(ValueError, match="rank at least 2"):
            tf.nn.dynamic_rnn(cell, tf.placeholder(tf.float32, [3]), dtype=tf.float32)
        with pytest.raises(TypeError, match="RNNCell"):
            tf.nn.dynamic_rnn(lambda x: x, tf.constant(X), dtype=tf.float32)
        tf.nn.dynamic_rnn(tf.nn.rnn_cell.GRUCell(2), tf.constant(X), dtype=tf.float32, scope="encoder",
                          parallel_iterations=4, swap_memory=True)
        assert "encoder/gru_cell/gates/kernel" in [v.op.name for v in tf.global_variables()]


def test_bidirectional_dynamic_rnn_reverses_within_each_length():
    with tf.Graph().as_default():
        fw, bw = tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.BasicLSTMCell(3)
        (out_fw, out_bw), (st_fw, st_bw) = tf.nn.bidirectional_dynamic_rnn(
            fw, bw, tf.constant(X), sequence_length=tf.constant(LENGTHS), dtype=tf.float32)
        names = [v.op.name for v in tf.global_variables()]
        assert names == ["bidirectional_rnn/fw/basic_lstm_cell/kernel", "bidirectional_rnn/fw/basic_lstm_cell/bias",
                         "bidirectional_rnn/bw/basic_lstm_cell/kernel", "bidirectional_rnn/bw/basic_lstm_cell/bias"]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _randomize(sess)
            kf, bf, kb, bb = sess.run(tf.global_variables())
            o_fw, o_bw, s_fw, s_bw = sess.run([out_fw, out_bw, st_fw, st_bw])
    want_fw, _, h_fw = _np_lstm(X, LENGTHS, kf, bf)
    reversed_x = X.copy()
    for b, n in enumerate(LENGTHS):
        reversed_x[b, :n] = X[b, :n][::-1]
    rev_out, _, h_bw = _np_lstm(reversed_x, LENGTHS, kb, bb)
    want_bw = rev_out.copy()
    for b, n in enumerate(LENGTHS):
        want_bw[b, :n] = rev_out[b, :n][::-1]
    np.testing.assert_allclose(o_fw, want_fw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o_bw, want_bw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(s_bw.h, h_bw, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(o_bw[:, 0], h_bw, rtol=1e-5, atol=1e-6)  # the backward pass ends at step 0


def test_bidirectional_dynamic_rnn_time_major_without_lengths():
    with tf.Graph().as_default():
        fw, bw = tf.nn.rnn_cell.GRUCell(2), tf.nn.rnn_cell.GRUCell(2)
        x = tf.constant(X.transpose(1, 0, 2))
        (out_fw, out_bw), _ = tf.nn.bidirectional_dynamic_rnn(fw, bw, x, dtype=tf.float32, time_major=True)
        rev, _ = tf.nn.dynamic_rnn(bw, tf.reverse(x, [0]), dtype=tf.float32, time_major=True, scope="check")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            o_bw, r = sess.run([out_bw, rev])
    assert o_bw.shape == (6, 3, 2)
    np.testing.assert_allclose(o_bw, r[::-1], rtol=1e-5, atol=1e-6)


def test_static_bidirectional_rnn_concatenates_the_directions():
    with tf.Graph().as_default():
        fw, bw = tf.nn.rnn_cell.BasicLSTMCell(3), tf.nn.rnn_cell.BasicLSTMCell(3)
        inputs = tf.unstack(tf.constant(X), axis=1)
        outputs, st_fw, st_bw = tf.nn.static_bidirectional_rnn(fw, bw, inputs, dtype=tf.float32,
                                                               sequence_length=tf.constant(LENGTHS))
        (d_fw, d_bw), _ = tf.nn.bidirectional_dynamic_rnn(fw, bw, tf.constant(X), dtype=tf.float32,
                                                          sequence_length=tf.constant(LENGTHS), scope="dyn")
        assert len(outputs) == 6 and outputs[0].shape.as_list() == [3, 6]
        assert "bidirectional_rnn/bw/basic_lstm_cell/kernel" in [v.op.name for v in tf.global_variables()]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, a, b = sess.run([outputs, d_fw, d_bw])
    np.testing.assert_allclose(np.stack(out, 1), np.concatenate([a, b], 2), rtol=1e-5, atol=1e-6)


def test_gradients_through_time_match_numerical_differences():
    with tf.Graph().as_default():
        x = tf.constant(np.random.RandomState(5).randn(2, 3, 2), dtype=tf.float64)
        cell = tf.nn.rnn_cell.LSTMCell(2, use_peepholes=True, initializer=tf.random_normal_initializer(seed=1))
        outputs, state = tf.nn.dynamic_rnn(cell, x, sequence_length=[3, 2], dtype=tf.float64)
        loss = tf.reduce_sum(outputs * outputs) + tf.reduce_sum(state.c)
        kernel = [v for v in tf.global_variables() if v.op.name == "rnn/lstm_cell/kernel"][0]
        with tf.Session():
            tf.global_variables_initializer().run()
            assert tf.test.compute_gradient_error(x, [2, 3, 2], loss, [], delta=1e-6) < 1e-7
            assert tf.test.compute_gradient_error(kernel, [4, 8], loss, [], delta=1e-6) < 1e-7


def test_an_lstm_learns_the_parity_of_a_short_bit_sequence():
    rng = np.random.RandomState(0)
    bits = rng.randint(0, 2, size=(512, 6)).astype(np.float32)
    labels = (bits.sum(1) % 2).astype(np.int64)
    with tf.Graph().as_default():
        tf.set_random_seed(0)
        x = tf.placeholder(tf.float32, [None, 6, 1])
        y = tf.placeholder(tf.int64, [None])
        outputs, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.BasicLSTMCell(16), x, dtype=tf.float32)
        logits = tf.layers.dense(state.h, 2)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        train = tf.train.AdamOptimizer(0.02).minimize(loss)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(600):  # enough for every seed tried (0-3), not just the one used
                batch = rng.randint(0, 512, 64)
                sess.run(train, {x: bits[batch, :, None], y: labels[batch]})
            acc = sess.run(accuracy, {x: bits[:, :, None], y: labels})
    assert acc > 0.95


def test_stack_bidirectional_dynamic_rnn_feeds_each_layer_both_directions():
    with tf.Graph().as_default():
        fws = [tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.GRUCell(2)]
        bws = [tf.nn.rnn_cell.GRUCell(3), tf.nn.rnn_cell.GRUCell(2)]
        x = tf.constant(X)
        outputs, states_fw, states_bw = tf.contrib.rnn.stack_bidirectional_dynamic_rnn(
            fws, bws, x, sequence_length=LENGTHS, dtype=tf.float32)
        names = [v.op.name for v in tf.global_variables()]
        assert names[0] == "stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/gru_cell/gates/kernel"
        assert "stack_bidirectional_rnn/cell_1/bidirectional_rnn/bw/gru_cell/candidate/bias" in names
        assert outputs.shape.as_list() == [3, 6, 4] and len(states_fw) == 2 and len(states_bw) == 2
        # The same cells, composed by hand (their variables exist: the second use reuses them).
        (a, b), _ = tf.nn.bidirectional_dynamic_rnn(fws[0], bws[0], x, sequence_length=LENGTHS, dtype=tf.float32,
                                                    scope="again_0")
        (c, d), _ = tf.nn.bidirectional_dynamic_rnn(fws[1], bws[1], tf.concat([a, b], 2), sequence_length=LENGTHS,
                                                    dtype=tf.float32, scope="again_1")
        assert len(tf.global_variables()) == len(names)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got, want = sess.run([outputs, tf.concat([c, d], 2)])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="same depth"):
        tf.contrib.rnn.stack_bidirectional_dynamic_rnn(fws, bws[:1], X, dtype=tf.float32)


class GetVariableCell(tf.nn.rnn_cell.RNNCell):
    """A TF1-style user cell: its variable comes from tf.get_variable inside `call`."""

    state_size = 3
    output_size = 3

    def call(self, inputs, state):
        w = tf.get_variable("w", [2 + 3, 3])
        out = tf.tanh(tf.matmul(tf.concat([inputs, state], 1), w))
        return out, out


def test_dynamic_rnn_runs_a_user_cell_that_creates_variables_in_call():
    with tf.Graph().as_default():
        outputs, state = tf.nn.dynamic_rnn(GetVariableCell(), tf.constant(X), sequence_length=LENGTHS,
                                           dtype=tf.float32)
        assert [v.op.name for v in tf.global_variables()] == ["rnn/get_variable_cell/w"]
        (grad,) = tf.gradients(tf.reduce_sum(outputs), tf.trainable_variables())
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            w, out, g = sess.run([tf.global_variables()[0], outputs, grad])
    h = np.zeros((3, 3))
    for t in range(6):
        new_h = np.tanh(np.concatenate([X[:, t], h], 1) @ w)
        live = (t < LENGTHS)[:, None]
        np.testing.assert_allclose(out[:, t], np.where(live, new_h, 0), rtol=1e-5, atol=1e-6)
        h = np.where(live, new_h, h)
    assert g.shape == (5, 3) and np.abs(g).sum() > 0


class _VariableStateSaver:
    """A state saver (as TF1's SequenceQueueingStateSaver) keeping each named state in a variable."""

    def __init__(self, sizes, batch):
        self.variables = {name: tf.Variable(tf.zeros([batch, size]), name=name) for name, size in sizes.items()}

    def state(self, name):
        return self.variables[name].value()

    def save_state(self, name, value):
        return self.variables[name].assign(value)


def test_static_state_saving_rnn_carries_the_state_from_one_run_to_the_next():
    with tf.Graph().as_default():
        saver = _VariableStateSaver({"c": 3, "h": 3}, batch=3)
        cell = tf.nn.rnn_cell.BasicLSTMCell(3)
        inputs = tf.unstack(tf.constant(X[:, :3]), axis=1)
        outputs, state = tf.nn.static_state_saving_rnn(cell, inputs, saver, ("c", "h"))
        assert isinstance(state, tf.nn.rnn_cell.LSTMStateTuple)
        whole, _ = tf.nn.static_rnn(cell, tf.unstack(tf.constant(np.concatenate([X[:, :3], X[:, :3]], 1)), axis=1),
                                    dtype=tf.float32)
        with pytest.raises(ValueError, match="same type as cell.state_size"):
            tf.nn.static_state_saving_rnn(cell, inputs, saver, "c")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            first = sess.run(outputs[-1])
            second = sess.run(outputs[-1])  # starts where the first run ended
            saved_h = sess.run(saver.variables["h"])
            w = sess.run(whole)
    np.testing.assert_allclose(first, w[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, w[5], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(saved_h, second, rtol=1e-6)


# ---- interop: real TensorFlow's RNNs give the same names and values ---------------------------------
_RNN_PROGRAM = '''
import json
import numpy as np
{import_line}
x = np.random.RandomState(0).randn(3, 5, 2).astype(np.float32)
lengths = np.array([5, 2, 4], np.int32)
with tf.Graph().as_default():
    fw = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(4, use_peepholes=True, num_proj=3, cell_clip=0.8),
                                      tf.nn.rnn_cell.GRUCell(3)])
    bw = tf.nn.rnn_cell.BasicLSTMCell(2, forget_bias=0.5)
    (of, ob), (sf, sb) = tf.nn.bidirectional_dynamic_rnn(fw, bw, x, sequence_length=lengths, dtype=tf.float32)
    so, ss = tf.nn.static_rnn(tf.nn.rnn_cell.BasicRNNCell(3), tf.unstack(x, axis=1), dtype=tf.float32, scope="s")
    loss = tf.reduce_sum(of * of) + tf.reduce_sum(ob) + tf.reduce_sum(so[-1])
    grads = tf.gradients(loss, tf.trainable_variables())
    names = [v.op.name for v in tf.global_variables()]
    shapes = [v.shape.as_list() for v in tf.global_variables()]
    with tf.Session() as sess:
        rng = np.random.RandomState(1)
        for v in tf.global_variables():
            sess.run(v.assign(rng.uniform(-0.7, 0.7, v.shape.as_list()).astype(np.float32)))
        res = sess.run({{"of": of, "ob": ob, "sb_c": sb.c, "sf1": sf[1], "so": so, "grads": grads}})
print(json.dumps({{"names": names, "shapes": shapes, **{{k: np.asarray(v).tolist() if k != "grads" else
                                                         [g.tolist() for g in v] for k, v in res.items()}}}}))
'''


@pytest.mark.interop
def test_tensorflow_builds_the_same_variables_outputs_and_gradients(tf_python):
    from tests.interop import run_tensorflow  # as the other interop tests: only where real TF runs

    theirs = run_tensorflow(tf_python, _RNN_PROGRAM.format(
        import_line="import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()"))
    proc = subprocess.run([sys.executable, "-c", _RNN_PROGRAM.format(import_line="import estflow as tf")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ours["names"] == theirs["names"]
    assert ours["shapes"] == theirs["shapes"]
    for key in ("of", "ob", "sb_c", "sf1", "so"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for mine, real in zip(ours["grads"], theirs["grads"], strict=True):
        np.testing.assert_allclose(mine, real, rtol=1e-4, atol=1e-5)


# ---- raw_rnn -----------------------------------------------------------------------------------------
def _raw_rnn_over(inputs, lengths, cell, emit_structure=None):
    """TF1's documented raw_rnn loop_fn over a [time, batch, depth] tensor, counting steps in loop_state."""
    max_time, batch_size, depth = inputs.shape.as_list()
    inputs_ta = tf.TensorArray(tf.float32, size=max_time).unstack(inputs)

    def loop_fn(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            next_state, emit, loop_state = cell.zero_state(batch_size, tf.float32), emit_structure, tf.constant(0)
        else:
            next_state, emit, loop_state = cell_state, cell_output, loop_state + 1
        finished = time >= lengths
        next_input = tf.cond(tf.reduce_all(finished), lambda: tf.zeros([batch_size, depth]),
                             lambda: inputs_ta.read(time))
        return finished, next_input, next_state, emit, loop_state

    return tf.nn.raw_rnn(cell, loop_fn)


def test_raw_rnn_matches_dynamic_rnn_with_sequence_length():
    x = np.random.RandomState(0).randn(5, 3, 2).astype(np.float32)
    lengths = np.array([5, 2, 3], np.int32)
    with tf.Graph().as_default():
        inputs = tf.constant(x)
        cell = tf.nn.rnn_cell.GRUCell(4)
        emit_ta, final_state, steps = _raw_rnn_over(inputs, tf.constant(lengths), cell)
        assert isinstance(emit_ta, tf.TensorArray) and emit_ta.dynamic_size
        outputs = emit_ta.stack()
        assert outputs.shape.as_list() == [None, 3, 4]
        names = [v.op.name for v in tf.global_variables()]
        assert names == ["rnn/gru_cell/gates/kernel", "rnn/gru_cell/gates/bias", "rnn/gru_cell/candidate/kernel",
                         "rnn/gru_cell/candidate/bias"]
        with tf.variable_scope("rnn", reuse=True):
            expected, expected_state = tf.nn.dynamic_rnn(cell, inputs, sequence_length=lengths, time_major=True,
                                                         dtype=tf.float32, scope=tf.get_variable_scope())
        assert len(tf.global_variables()) == 4
        (dx_raw,) = tf.gradients(tf.reduce_sum(outputs ** 2) + tf.reduce_sum(final_state), [inputs])
        (dx_dyn,) = tf.gradients(tf.reduce_sum(expected ** 2) + tf.reduce_sum(expected_state), [inputs])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            got = sess.run([outputs, final_state, steps, dx_raw])
            want = sess.run([expected, expected_state, dx_dyn])
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)  # the loop stops after the longest sequence: 5 steps
    np.testing.assert_allclose(got[1], want[1], atol=1e-6)
    assert got[2] == 5
    np.testing.assert_allclose(got[3], want[2], atol=1e-5)


def test_raw_rnn_emits_a_structure_of_its_own_and_checks_loop_fn():
    with tf.Graph().as_default():
        inputs = tf.ones([2, 3, 2])
        cell = tf.nn.rnn_cell.BasicRNNCell(4)
        emit_ta, _, final_loop_state = _raw_rnn_over(inputs, tf.constant([2, 1, 2]), cell,
                                                     emit_structure=tf.zeros([4], tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out, steps = sess.run([emit_ta.stack(), final_loop_state])
        assert out.shape == (2, 3, 4) and steps == 2
        np.testing.assert_array_equal(out[1, 1], np.zeros(4))  # finished rows emit zeros
        with pytest.raises(TypeError, match="loop_fn must be a callable"):
            tf.nn.raw_rnn(cell, None)


_RAW_RNN_PROGRAM = '''
{import_line}
import json
import numpy as np
x = np.random.RandomState(0).randn(5, 3, 2).astype(np.float32)
with tf.Graph().as_default():
    inputs = tf.placeholder(shape=(5, 3, 2), dtype=tf.float32)
    sequence_length = tf.placeholder(shape=(3,), dtype=tf.int32)
    inputs_ta = tf.TensorArray(dtype=tf.float32, size=5).unstack(inputs)
    cell = tf.nn.rnn_cell.LSTMCell(4)
    def loop_fn(time, cell_output, cell_state, loop_state):
        next_cell_state = cell.zero_state(3, tf.float32) if cell_output is None else cell_state
        elements_finished = (time >= sequence_length)
        next_input = tf.cond(tf.reduce_all(elements_finished), lambda: tf.zeros([3, 2], dtype=tf.float32),
                             lambda: inputs_ta.read(time))
        return (elements_finished, next_input, next_cell_state, cell_output, None)
    outputs_ta, final_state, _ = tf.nn.raw_rnn(cell, loop_fn)
    outputs = outputs_ta.stack()
    grads = tf.gradients(tf.reduce_sum(outputs ** 2) + tf.reduce_sum(final_state.h), tf.trainable_variables())
    names = [v.op.name for v in tf.global_variables()]
    with tf.Session() as s:
        r = np.random.RandomState(1)
        for v in tf.global_variables():
            v.load(r.uniform(-0.5, 0.5, v.shape.as_list()).astype(np.float32), s)
        o, c, g = s.run([outputs, final_state.c, grads], {{inputs: x, sequence_length: [5, 2, 3]}})
print(json.dumps({{"names": names, "outputs": o.tolist(), "c": c.tolist(), "grads": [a.tolist() for a in g]}}))
'''


@pytest.mark.interop
def test_raw_rnn_matches_tensorflow(tf_python):
    from tests.interop import run_tensorflow  # as the other interop tests: only where real TF runs

    theirs = run_tensorflow(tf_python, _RAW_RNN_PROGRAM.format(
        import_line="import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()"))
    proc = subprocess.run([sys.executable, "-c", _RAW_RNN_PROGRAM.format(import_line="import estflow as tf")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = json.loads(proc.stdout.strip().splitlines()[-1])
    assert ours["names"] == theirs["names"]
    for key in ("outputs", "c"):
        np.testing.assert_allclose(ours[key], theirs[key], atol=1e-5)
    for a, b in zip(ours["grads"], theirs["grads"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


_RUN_FROZEN = '''
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
gd = tf.GraphDef()
gd.ParseFromString(open(sys.argv[1], "rb").read())
with tf.Graph().as_default():
    tf.import_graph_def(gd, name="")
    with tf.Session() as s:
        y, dx = s.run(["y:0", "dx:0"], {"x:0": np.load(sys.argv[2])})
print(json.dumps({"y": y.tolist(), "dx": dx.tolist()}))
'''


@pytest.mark.interop
def test_tensorflow_runs_the_tensor_array_graph_estflow_writes(tf_python, tmp_path):
    from tests.interop import run_tensorflow  # as the other interop tests: only where real TF runs

    xs = np.random.RandomState(0).rand(2, 5, 3).astype(np.float32)
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [2, 5, 3], name="x")
        cell = tf.nn.rnn_cell.GRUCell(4, kernel_initializer=tf.constant_initializer(0.1))
        out, _ = tf.nn.dynamic_rnn(cell, x, sequence_length=[5, 3], dtype=tf.float32)  # TensorArrays in a While
        y = tf.identity(out + tf.map_fn(lambda r: r[:, :1] * 2.0, x), name="y")
        dx = tf.identity(tf.gradients(tf.reduce_sum(y ** 2), x)[0], name="dx")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            frozen = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["y", "dx"])
            ours = sess.run({"y": y, "dx": dx}, {x: xs})
    (tmp_path / "graph.pb").write_bytes(frozen.SerializeToString())
    np.save(tmp_path / "x.npy", xs)
    theirs = run_tensorflow(tf_python, _RUN_FROZEN, tmp_path / "graph.pb", tmp_path / "x.npy")
    np.testing.assert_allclose(theirs["y"], ours["y"], atol=1e-5)
    np.testing.assert_allclose(theirs["dx"], ours["dx"], atol=1e-5)
