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


def _as_list(fetches, order):
    return [fetches[i] for i in order]


# ---- reads before writes --------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "momentum"])
@pytest.mark.parametrize("order", [(0, 1, 2), (1, 0, 2), (2, 1, 0), (1, 2, 0)])
def test_values_off_the_update_path_see_the_variables_as_the_run_found_them(g, optimizer, order):
    w = tf.Variable([0.5], name="w")
    x = tf.constant([3.0])
    loss = tf.reduce_sum(tf.square(w * x - 1.0))
    opt = {"sgd": tf.train.GradientDescentOptimizer(0.3), "adam": tf.train.AdamOptimizer(0.3),
           "momentum": tf.train.MomentumOptimizer(0.3, 0.9)}[optimizer]
    train = opt.minimize(loss)
    scaled = w * 10.0  # not on the gradient path
    fetches = [train, scaled, loss]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out = sess.run(_as_list(fetches, order))
        got = dict(zip(order, out))
        np.testing.assert_allclose(got[1], [5.0])
        np.testing.assert_allclose(got[2], 0.25)
        assert sess.run(w)[0] != 0.5  # the step did update w
        # Deterministic: the same again reads the updated weights as this run found them.
        before = sess.run(w)
        got = dict(zip(order, sess.run(_as_list(fetches, order))))
        np.testing.assert_allclose(got[1], before * 10.0, rtol=1e-6)


def test_a_fetched_variable_and_its_read_snapshot_are_values_before_the_step(g):
    w = tf.Variable([1.0, 2.0], name="w")
    train = tf.train.GradientDescentOptimizer(1.0).minimize(tf.reduce_sum(w))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for fetches in ([train, w], [w, train], [w.value(), train], {"t": train, "w": w.read_value()}):
            out = sess.run(fetches)
            value = out["w"] if isinstance(out, dict) else [v for v in out if v is not None][0]
            before = sess.run(w) + 1.0  # each run subtracts 1
            np.testing.assert_allclose(value, before)


def test_sparse_updates_follow_reads_too(g):
    table = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2), name="table")
    ids = tf.constant([1, 3])
    rows = tf.gather(table, ids)
    loss = tf.reduce_sum(rows)
    for opt in (tf.train.GradientDescentOptimizer(1.0), tf.train.AdagradOptimizer(1.0)):
        train = opt.minimize(loss)
        doubled = tf.gather(table, tf.constant([3])) * 2.0
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for fetches in ([train, doubled], [doubled, train]):
                before = sess.run(table)
                out = sess.run(fetches)
                np.testing.assert_allclose([v for v in out if v is not None][0], before[3:] * 2.0)
                assert (sess.run(table)[3] < before[3]).all()


@pytest.mark.parametrize("write", ["assign", "assign_add", "scatter_update"])
def test_assign_ops_run_after_the_reads_that_do_not_depend_on_them(g, write):
    v = tf.Variable([1.0, 1.0], name="v")
    update = {"assign": lambda: v.assign([5.0, 5.0]), "assign_add": lambda: v.assign_add([4.0, 4.0]),
              "scatter_update": lambda: tf.scatter_update(v, [0, 1], [5.0, 5.0])}[write]()
    doubled = v * 2.0
    with tf.Session() as sess:
        for fetches in ([update, doubled, v], [doubled, v, update], [v, update, doubled]):
            sess.run(v.initializer)
            out = sess.run(fetches)
            np.testing.assert_allclose(out[fetches.index(doubled)], [2.0, 2.0])
            np.testing.assert_allclose(out[fetches.index(v)], [1.0, 1.0])
            np.testing.assert_allclose(out[fetches.index(update)], [5.0, 5.0])
            np.testing.assert_allclose(sess.run(v), [5.0, 5.0])


@pytest.mark.parametrize("write", ["assign", "assign_add"])
def test_a_read_with_a_control_dependency_on_the_write_sees_it(g, write):
    v = tf.Variable(1.0, name="v")
    update = v.assign(3.0) if write == "assign" else v.assign_add(2.0)
    before = v * 1.0
    with tf.control_dependencies([update]):
        after_identity = tf.identity(v)
        after_read = v.read_value()
        after_math = v * 10.0
    with tf.Session() as sess:
        for fetches in ([after_identity, after_read, after_math, before], [before, after_math, after_read,
                                                                           after_identity]):
            sess.run(v.initializer)
            out = dict(zip(map(id, fetches), sess.run(fetches)))
            assert out[id(before)] == 1.0
            assert out[id(after_identity)] == 3.0
            assert out[id(after_read)] == 3.0
            assert out[id(after_math)] == 30.0


def test_a_write_inside_a_cond_and_a_read_beside_it(g):
    v = tf.Variable(1.0, name="v")
    p = tf.placeholder(tf.bool, [])
    bumped = tf.cond(p, lambda: v.assign_add(1.0), lambda: tf.identity(v))
    seen = v * 1.0
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run([bumped, seen], {p: True}) == [2.0, 1.0]
        assert sess.run([seen, bumped], {p: False}) == [2.0, 2.0]


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
