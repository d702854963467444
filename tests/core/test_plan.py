"""Execution plans: reads before writes, dead values only downstream of a Switch, quiet kernels."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import plan as plan_module
from estflow.core.registry import registered_ops


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


# ---- one cond must not slow the step ----------------------------------------------------------------------
def _compile(sess, fetches, fed):
    return plan_module.Compiler(sess).compile(fetches, fed)


def test_only_steps_downstream_of_a_switch_check_dead_values(g):
    x = tf.placeholder(tf.float32, [4])
    y = x
    for i in range(6):
        y = y * 1.5 if i % 2 else y + 0.5
    p = tf.placeholder(tf.bool, [])
    s = tf.placeholder(tf.float32, [])
    c = tf.cond(p, lambda: s * 2.0, lambda: s + 1.0)
    with tf.Session() as sess:
        alone = _compile(sess, [y], [x])
        both = _compile(sess, [y, c], [x, p, s])
        guarded = [st for st in both.steps if st[4] == plan_module._GUARDED]
        plain = [st for st in both.steps if st[4] != plan_module._GUARDED]
        # The chain's steps are laid out as without the cond, and its constants stay folded.
        assert [st[5].name for st in alone.steps] == [st[5].name for st in plain if st[5].name.startswith(
            ("add", "mul"))]
        assert not any(st[5].type == "Const" for st in plain)
        # Only the branches' ops and the Merge check dead values: never the chain.
        assert {st[5].type for st in guarded} <= {"Mul", "AddV2", "Const", "Merge", "Identity"}
        assert any(st[5].type == "Merge" for st in guarded)
        assert all(st[5].name.startswith("cond") for st in guarded)
        xv = np.arange(4, dtype=np.float32)
        expected = xv
        for i in range(6):
            expected = expected * 1.5 if i % 2 else expected + 0.5
        for pv, cv in ((True, 6.0), (False, 4.0)):
            yv, got = sess.run([y, c], {x: xv, p: pv, s: 3.0})
            np.testing.assert_allclose(yv, expected)
            assert got == cv


def test_the_untaken_branch_never_runs_and_its_control_dependents_are_dead(g):
    v = tf.Variable(0.0, name="v")
    p = tf.placeholder(tf.bool, [])

    def bump():
        inc = v.assign_add(1.0)
        with tf.control_dependencies([inc]):
            return tf.constant(1.0)

    c = tf.cond(p, bump, lambda: tf.constant(0.0))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(c, {p: False}) == 0.0
        assert sess.run(v) == 0.0
        assert sess.run(c, {p: True}) == 1.0
        assert sess.run(v) == 1.0


def test_compile_is_split_into_phases_under_80_lines():
    source = Path(plan_module.__file__).read_text()
    for match in re.finditer(r"^(\s*)def (\w+)\(.*?(?=^\1(?:def |class |\S)|\Z)", source, re.S | re.M):
        body = match.group(0).rstrip().splitlines()
        assert len(body) <= 80, f"{match.group(2)} has {len(body)} lines"


def test_plan_names_no_op_type():
    source = Path(plan_module.__file__).read_text()
    named = sorted(name for name in registered_ops() if f'"{name}"' in source or f"'{name}'" in source)
    assert named == [], f"plan.py special-cases op types {named}: put what it needs to know in their OpDef"


# ---- floating-point warnings, once per run --------------------------------------------------------------------
def test_kernels_raise_no_floating_point_warnings(g):
    x = tf.placeholder(tf.float32, [3])
    outs = [tf.exp(x * 100.0), tf.log(x - 1.0), x / (x - x), tf.tanh(x) * 3e38 * 10.0, tf.sqrt(-x),
            tf.sigmoid(x * 1e30), tf.reduce_mean(x * 3e38)]
    with tf.Session() as sess, warnings.catch_warnings():
        warnings.simplefilter("error")
        values = sess.run(outs, {x: [1.0, 2.0, 3.0]})
    assert np.isinf(values[0]).all()
    assert np.isneginf(values[1][0])
    assert np.isinf(values[2]).all()
    assert np.isnan(values[4]).all()
    # The run leaves numpy's error state as it found it.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(RuntimeWarning):
            np.exp(np.array([1000.0]))


def test_plans_of_stateful_steps_only_skip_the_floating_point_state(g):
    v = tf.Variable(1.0, name="v")
    inc = v.assign_add(1.0)
    y = tf.tanh(v)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert isinstance(_compile(sess, [inc], []).steps, plan_module._LoudSteps)
        assert not isinstance(_compile(sess, [y], []).steps, plan_module._LoudSteps)
        assert sess.run(inc) == 2.0


# ---- ops that pass their input through run no step ------------------------------------------------------------
def test_identity_and_stop_gradient_run_no_step_and_give_the_same_values(g):
    x = tf.placeholder(tf.float32, [None, 3])
    v = tf.Variable(np.ones((3, 2), np.float32), name="v")
    h = tf.identity(tf.matmul(tf.identity(x), v), name="h")  # v's value goes through v/read, an Identity
    y = tf.nn.relu(tf.stop_gradient(h) - 1.0, name="y")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        plan = _compile(sess, [y], [x])
        assert not {st[5].type for st in plan.steps} & {"Identity", "StopGradient"}
        assert {name for _, (name, _, _), _ in plan.passed} == {"Identity", "v/read", "h", "StopGradient"}
        xv = np.arange(6, dtype=np.float32).reshape(2, 3)
        np.testing.assert_array_equal(sess.run(y, {x: xv}), np.maximum(xv @ np.ones((3, 2), np.float32) - 1.0, 0.0))
        # A fetched Identity keeps its step: two fetches never return one array.
        hv, yv = sess.run([h, y], {x: xv})
        assert hv is not yv and not np.shares_memory(hv, yv)
        assert any(st[5].name == "h" for st in _compile(sess, [h, y], [x]).steps)
        # A traced run still lists them, where they would have run, with their outputs.
        md = tf.RunMetadata()
        sess.run(y, {x: xv}, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=md)
        names = [n.node_name for n in md.step_stats.dev_stats[0].node_stats]
        assert names.index("v") < names.index("v/read") < names.index("MatMul") < names.index("h") < names.index("y")
        read = md.step_stats.dev_stats[0].node_stats[names.index("v/read")]
        assert [d.size for d in read.output[0].tensor_description.shape.dim] == [3, 2]


def test_a_passed_through_variable_read_sees_writes_as_its_step_did(g):
    v = tf.Variable(1.0, name="v")
    before = tf.identity(v)
    with tf.control_dependencies([before]):
        inc = tf.assign_add(v, 2.0)
    with tf.control_dependencies([inc]):
        after = tf.identity(v.read_value()) * 1.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        b, _, a = sess.run([before * 1.0, inc, after])
        assert (b, a) == (1.0, 3.0)
        assert sess.run(v) == 3.0


def test_an_identity_behind_control_inputs_keeps_its_step_and_its_constant_never_folds_past_them(g):
    check = tf.Assert(tf.constant(False), ["never"])
    with tf.control_dependencies([check]):
        gated = tf.identity(tf.constant([1.0, 2.0]))
    y = gated * 2.0
    with tf.Session() as sess:
        plan = _compile(sess, [y], [])
        assert any(st[5] is gated.op for st in plan.steps)
        with pytest.raises(tf.errors.InvalidArgumentError, match="never"):
            sess.run(y)


# ---- plans as generated functions (plan.compiled) -------------------------------------------------------
def _mixed_run(codegen, monkeypatch, feed_values, taken):
    """The fetched values (as bytes) of a graph holding every kind of step: multi-output, a tf.cond (steps
    that check for dead values), a large elementwise chain that may reuse its input's buffer, variable
    reads and an update."""
    monkeypatch.setattr(plan_module, "CODEGEN", codegen)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        pred = tf.placeholder(tf.bool, [])
        v = tf.Variable(np.arange(4, dtype=np.float32))
        a, b = tf.split(tf.reshape(x, [2, -1]), 2)
        unique, idx = tf.unique(tf.cast(x, tf.int32) % 5)
        big = tf.exp(tf.negative(tf.tile(x, [20000])))
        branch = tf.cond(pred, lambda: tf.reduce_sum(a) * 2.0, lambda: tf.reduce_sum(b) - 1.0)
        update = tf.assign_add(v, tf.ones([4]) * branch)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out = sess.run([a, b, unique, idx, tf.reduce_sum(big), branch, update], {x: feed_values, pred: taken})
            plan = max(sess._cache.values(), key=lambda p: len(p.steps))
            code = getattr(plan.run, "__code__", None)
            generated = code is not None and code.co_filename == "<estflow plan>"
            return [np.asarray(o).tobytes() for o in out], generated


@pytest.mark.parametrize("taken", [True, False])
def test_a_generated_plan_gives_the_loops_values(taken, monkeypatch):
    feed_values = np.array([1.5, -2.0, 3.0, 7.25], np.float32)
    looped, looped_generated = _mixed_run(False, monkeypatch, feed_values, taken)
    generated, is_generated = _mixed_run(True, monkeypatch, feed_values, taken)
    assert generated == looped and is_generated and not looped_generated


@pytest.mark.parametrize("codegen", [False, True])
def test_a_generated_plan_names_the_op_that_failed_as_the_loop(codegen, monkeypatch):
    monkeypatch.setattr(plan_module, "CODEGEN", codegen)
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.exp(x) + 1.0
        bad = tf.reshape(y, [3, -1], name="the_bad_reshape")
        out = tf.reduce_sum(bad * 2.0)
        with tf.Session() as sess:
            assert sess.run(out, {x: np.zeros(6, np.float32)}) == 24.0
            with pytest.raises(tf.errors.InvalidArgumentError) as caught:
                sess.run(out, {x: np.zeros(4, np.float32)})
    assert caught.value.op is not None and caught.value.op.name == "the_bad_reshape"
    assert "the_bad_reshape" in str(caught.value)
