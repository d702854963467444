"""Scheduling: reads before writes in one Session.run, whatever the fetch order."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.schedule import schedule


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def _as_list(fetches, order):
    return [fetches[i] for i in order]


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


def test_crossing_reads_and_writes_still_get_a_deterministic_order(g):
    # r1 reads u after a write of v; r2 reads v after a write of u: "each read before the write
    # it does not depend on" cannot hold for both, so the earliest op's constraint gives way.
    u = tf.Variable(1.0, name="u")
    v = tf.Variable(10.0, name="v")
    write_v = v.assign(20.0)
    write_u = u.assign(2.0)
    with tf.control_dependencies([write_v]):
        r1 = u * 1.0
    with tf.control_dependencies([write_u]):
        r2 = v * 1.0
    fetches = [write_v, write_u, r1, r2]
    ops = [f.op for f in fetches]
    needed = []
    for op in ops:
        for x in [t.op for t in op.inputs] + list(op.control_inputs) + [op]:
            for y in [t.op for t in x.inputs] + [x]:
                if y not in needed:
                    needed.append(y)
    first = schedule(needed, set())
    assert first == schedule(needed, set())
    assert set(first) == {op for op in needed if not op._op_def.is_variable}
    with tf.Session() as sess:
        sess.run([u.initializer, v.initializer])
        got = sess.run(fetches)
        assert got[:2] == [20.0, 2.0]
        assert (got[2], got[3]) in ((1.0, 20.0), (2.0, 10.0))  # one read keeps the rule, one cannot
        sess.run([u.initializer, v.initializer])
        assert sess.run(fetches) == got  # deterministic
