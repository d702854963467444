"""Session.run: fetch structures, feeds, pruning, plan caching, errors, partial runs, devices."""

import collections
import re
import threading

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, errors, registry
from estflow.core import session as session_mod
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.math_ops import add, multiply
from estflow.core.variables import Variable


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def test_classic_first_program(g):
    a = tf.add(3, 5)
    with tf.Session() as sess:
        assert sess.run(a) == 8
        assert isinstance(sess.run(a), np.int32)


def test_nested_fetch_structures(g):
    a = constant(1.0, name="a")
    b = constant(2.0, name="b")
    Pair = collections.namedtuple("Pair", "x y")
    with tf.Session() as sess:
        out = sess.run({"list": [a, (b, a)], "pair": Pair(a, b), "name": "b:0"})
    assert out["list"][0] == 1.0 and out["list"][1] == (2.0, 1.0)
    assert isinstance(out["list"][1], tuple)
    assert out["pair"] == Pair(1.0, 2.0) and type(out["pair"]) is Pair
    assert out["name"] == 2.0


def test_fetching_an_operation_returns_none(g):
    op = tf.no_op(name="noop")
    with tf.Session() as sess:
        assert sess.run(op) is None
        assert sess.run("noop") is None
        assert sess.run([op, constant(3)]) == [None, 3]


def test_bad_fetches(g):
    constant(0.0)  # on an empty graph, run() raises TF1's "graph is empty" first
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Fetch argument None has invalid type"):
            sess.run(None)
        with pytest.raises(TypeError, match="invalid type"):
            sess.run(3.5)
        with pytest.raises(ValueError, match="cannot be interpreted as a Tensor"):
            sess.run("missing:0")


def test_feeds_by_tensor_and_name_with_conversion(g):
    x = placeholder(tf.float32, shape=[None, 2], name="x")
    y = multiply(x, 2.0)
    with tf.Session() as sess:
        out = sess.run(y, feed_dict={x: [[1, 2]]})
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, [[2, 4]])
        np.testing.assert_array_equal(sess.run(y, feed_dict={"x:0": np.ones((3, 2))}), np.full((3, 2), 2))


def test_any_tensor_can_be_fed_and_fed_values_are_fetchable(g):
    a = constant(1.0)
    b = add(a, 1.0)
    c = multiply(b, 10.0)
    with tf.Session() as sess:
        assert sess.run(c, feed_dict={b: 5.0}) == 50.0
        assert sess.run(b, feed_dict={b: 7.0}) == 7.0


def test_feeding_a_tensor_value_is_a_type_error(g):
    x = placeholder(tf.float32)
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(x, feed_dict={x: constant(1.0)})


def test_feed_shape_mismatch_message(g):
    p = placeholder(tf.float32, shape=[3])
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(2,\) for Tensor 'Placeholder:0', "
                                             r"which has shape '\(3,\)'"):
            sess.run(p, feed_dict={p: [1.0, 2.0]})


def test_unfed_placeholder_message(g):
    x = placeholder(tf.float32, shape=[None, 3], name="x")
    y = add(x, 1.0)
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"You must feed a value for placeholder tensor 'x' with dtype float and "
                                 r"shape \[\?,3\]") as info:
            sess.run(y)
        assert info.value.op is x.op


def test_only_needed_ops_run(g):
    x = placeholder(tf.float32, name="x")
    add(x, 1.0)  # its placeholder is never fed, and it never runs
    c = constant(4.0)
    with tf.Session() as sess:
        assert sess.run(c) == 4.0


def test_control_dependencies_run_first(g):
    v = Variable(0.0, name="v")
    inc = v.assign_add(1.0)
    with g.control_dependencies([inc]):
        out = tf.identity(constant(5.0))
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(out)
        sess.run(out)
        assert sess.run(v) == 2.0


def test_plans_are_cached_and_invalidated_when_the_graph_grows(g):
    a = constant(1.0)
    with tf.Session() as sess:
        sess.run(a)
        sess.run(a)
        assert len(sess._cache) == 1
        b = add(a, 1.0)
        assert sess.run(b) == 2.0
        assert len(sess._cache) == 1  # the old plan was dropped with the graph change


def test_fetched_values_never_alias_session_state(g):
    v = Variable([1.0, 2.0], name="v")
    inc = v.assign_add([1.0, 1.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = sess.run(v)
        snapshot = sess.run(tf.identity(v))
        sess.run(inc)
        np.testing.assert_array_equal(first, [1.0, 2.0])
        np.testing.assert_array_equal(snapshot, [1.0, 2.0])
        c = constant([1.0, 2.0])
        got = sess.run(c)
        got[0] = 99.0
        np.testing.assert_array_equal(sess.run(c), [1.0, 2.0])


def test_fetched_scalars_of_a_variable_are_numpy_scalars_that_keep_their_value(g):
    """A 0-d fetch becomes its numpy scalar without a copy first: fetched several times in one run (a global
    step read by four hooks) or before an update, each keeps the value it was fetched with."""
    step = Variable(np.int64(5), name="step")
    inc = step.assign_add(np.int64(1))
    with tf.Session() as sess:
        sess.run(step.initializer)
        fetched = sess.run([step, step, {"again": step}])
        sess.run(inc)
        assert [type(x) for x in fetched[:2]] == [np.int64, np.int64] and type(fetched[2]["again"]) is np.int64
        assert fetched[0] == fetched[1] == fetched[2]["again"] == 5 and sess.run(step) == 6


def _fetch_both_ways(sess, init, fetches, feed_dict, monkeypatch):
    """`fetches` through a plan with generated results, then through the same plan without them (each after
    `init`): both results, and the plan."""
    sess.run(init)
    fast = sess.run(fetches, feed_dict)
    plan = sess._cache[(session_mod._structure_key(fetches), tuple(feed_dict))]
    assert plan.fast_results is not None
    monkeypatch.setattr(plan, "fast_results", None)  # (a plan's slot: monkeypatch puts it back)
    sess.run(init)
    return fast, sess.run(fetches, feed_dict), plan


def _same_results(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same_results(x, y)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same_results(a[k], b[k])
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b or (a is None and b is None)


@pytest.mark.parametrize("structure", ["nested", "tuples", "dict_keys", "single", "duplicates"])
def test_generated_results_equal_the_rebuilt_ones(g, structure, monkeypatch):
    x = placeholder(tf.float32, [None], name="x")
    v = Variable([1.0, 2.0], name="v")
    step = Variable(np.int64(5), name="step")
    inc = tf.group(v.assign_add([1.0, 1.0]), step.assign_add(np.int64(1)))
    total = tf.reduce_sum(x, name="total")
    fetches = {
        "nested": [[inc, total], step, step, {"global_step": step}, step, total, [x, [v]]],
        "tuples": (total, (x,), ((v, step),), ()),
        "dict_keys": {1: total, "a": {(2, "b"): x}, None: [inc], 2.5: "total:0"},
        "single": [x],
        "duplicates": [v, v, (v, {"v": v}), step, step],
    }[structure]
    with tf.Session() as sess:
        fast, slow, plan = _fetch_both_ways(sess, [v.initializer, step.initializer], fetches, {x: [1.0, 2.0, 3.0]},
                                            monkeypatch)
    _same_results(fast, slow)
    assert plan.fast_results is None  # (the second run's: monkeypatched off)


def test_generated_results_copy_what_aliases_state_and_keep_scalars(g):
    v = Variable([1.0, 2.0], name="v")
    step = Variable(np.int64(5), name="step")
    inc = tf.group(v.assign_add([1.0, 1.0]), step.assign_add(np.int64(1)))
    with tf.Session() as sess:
        sess.run([v.initializer, step.initializer])
        got = sess.run([inc, v, step, {"v": v}])
        assert sess._cache[(session_mod._structure_key([inc, v, step, {"v": v}]), ())].fast_results is not None
        sess.run(inc)
        np.testing.assert_array_equal(got[1], [1.0, 2.0])  # the value before this run's update: a copy
        assert got[1] is got[3]["v"] and type(got[2]) is np.int64 and got[2] == 5
        got[1][0] = 99.0
        np.testing.assert_array_equal(sess.run(v), [3.0, 4.0])


def test_generated_results_report_a_fetch_on_an_untaken_branch(g):
    from estflow.core.ops import control_flow_ops

    p = placeholder(tf.bool, [], name="p")
    sw = control_flow_ops.switch(constant(1.0), p)
    with tf.Session() as sess:
        assert sess.run([sw[1]], {p: True}) == [1.0]
        with pytest.raises(errors.InvalidArgumentError, match="was not computed"):
            sess.run([sw[1]], {p: False})
        assert next(iter(sess._cache.values())).fast_results is not None


def test_fetches_the_generated_results_leave_to_the_rebuild(g):
    a = constant(1.0, name="a")
    b = constant(2.0, name="b")
    Pair = collections.namedtuple("Pair", "x y")

    class Fetches(list):
        pass

    sparse = tf.SparseTensor([[0, 0]], [1.0], [1, 2])
    with tf.Session() as sess:
        for fetches, want in [(Pair(a, b), Pair(1.0, 2.0)), (Fetches([a]), Fetches([1.0])),
                              (collections.OrderedDict(x=b), collections.OrderedDict(x=2.0))]:
            sess._cache.clear()
            got = sess.run(fetches)
            assert got == want and type(got) is type(want)
            assert [p.fast_results for p in sess._cache.values()] == [None]
        sess._cache.clear()
        got = sess.run([sparse, a])  # a composite anywhere: the whole structure is rebuilt
        assert isinstance(got[0], tf.SparseTensorValue) and got[1] == 1.0
        assert [p.fast_results for p in sess._cache.values()] == [None]


def test_generated_results_are_off_with_plan_codegen(g, monkeypatch):
    from estflow.core import plan as plan_mod

    monkeypatch.setattr(plan_mod, "CODEGEN", False)
    a = constant(1.0)
    with tf.Session() as sess:
        assert sess.run([a, {"a": a}]) == [1.0, {"a": 1.0}]
        assert [p.fast_results for p in sess._cache.values()] == [None]


def test_two_sessions_have_independent_variables(g):
    w = Variable(10, name="W")
    with tf.Session() as s1, tf.Session() as s2:
        s1.run(w.initializer)
        s2.run(w.initializer)
        assert s1.run(w.assign_add(10)) == 20
        assert s2.run(w.assign_sub(2)) == 8
        assert s1.run(w.assign_add(100)) == 120
        assert s2.run(w.assign_sub(50)) == -42


def test_kernel_failures_become_op_errors_naming_the_node(g):
    x = placeholder(tf.float32, shape=None, name="x")
    v = Variable([1.0, 2.0], name="v")
    bad = v.assign(x, name="bad_assign")
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="Assign requires shapes") as info:
            sess.run(bad, feed_dict={x: [1.0, 2.0, 3.0]})
        assert info.value.op.name == "bad_assign"
        assert "bad_assign" in str(info.value)


def test_closed_session_raises_runtime_error(g):
    a = constant(1.0)
    sess = tf.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(a)


def test_session_on_an_empty_graph_raises_tf1s_runtime_error(g):
    with tf.Session() as sess:
        with pytest.raises(RuntimeError, match="The Session graph is empty.  Add operations to the graph"):
            sess.run([])
        constant(1.0)
        assert sess.run([]) == []  # once the graph has a node, an empty fetch list is fine


def test_default_session_eval_and_run(g):
    a = constant(2.0)
    v = Variable(3.0)
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        v.initializer.run()
        assert a.eval() == 2.0
        assert v.eval() == 3.0
    assert tf.get_default_session() is None
    with pytest.raises(ValueError, match="No default session"):
        a.eval()


def test_session_graph_mismatch(g):
    a = constant(1.0)
    other = tf.Session(graph=tf.Graph())
    with pytest.raises(ValueError, match="graph is different"):
        a.eval(session=other)


def test_interactive_session_installs_itself():
    g = tf.Graph()
    with g.as_default():
        a = constant(5.0)
    sess = tf.InteractiveSession(graph=g)
    try:
        assert a.eval() == 5.0
    finally:
        sess.close()
    assert tf.get_default_session() is None


def test_session_on_explicit_graph():
    g1 = tf.Graph()
    with g1.as_default():
        a = constant(1.0, name="a")
    with tf.Session(graph=g1) as sess:
        assert sess.graph is g1
        assert sess.run("a:0") == 1.0
        assert sess.run(a) == 1.0


def test_partial_run_seeds_example(g):
    a = placeholder(tf.float32, shape=[])
    b = placeholder(tf.float32, shape=[])
    c = placeholder(tf.float32, shape=[])
    r1 = add(a, b)
    r2 = multiply(r1, c)
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        res = sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
        assert res == 3
        res = sess.partial_run(h, r2, feed_dict={c: res})
        assert res == 9
        with pytest.raises(errors.InvalidArgumentError, match="already been fed"):
            sess.partial_run(h, r2, feed_dict={c: 1})


def test_partial_run_runs_stateful_ops_once(g):
    v = Variable(0.0)
    inc = v.assign_add(1.0)
    doubled = multiply(inc, 2.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        h = sess.partial_run_setup([inc, doubled], [])
        assert sess.partial_run(h, inc) == 1.0
        assert sess.partial_run(h, doubled) == 2.0
        assert sess.run(v) == 1.0


def test_list_devices_has_a_cpu(g):
    with tf.Session() as sess:
        names = [d.name for d in sess.list_devices()]
    assert names[0].endswith("device:CPU:0")


@pytest.mark.skipif(devices.cupy_module() is not None, reason="checks the no-GPU error")
def test_gpu_without_cupy_is_a_clear_error_unless_soft_placement(g):
    with g.device("/gpu:0"):
        a = add(constant(1.0), 2.0)
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="needs CuPy"):
            sess.run(a)

    class Config:
        allow_soft_placement = True
        log_device_placement = False

    with tf.Session(config=Config()) as sess:
        assert sess.run(a) == 3.0


def test_log_device_placement_prints_each_op(g, capsys):
    a = add(placeholder(tf.float32, name="p"), 1.0, name="plus")

    class Config:
        allow_soft_placement = False
        log_device_placement = True

    with tf.Session(config=Config()) as sess:
        sess.run(a, feed_dict={"p:0": 1.0})
    assert "plus: (AddV2): /job:localhost/replica:0/task:0/device:CPU:0" in capsys.readouterr().err


def test_gpu_ops_run_on_cupy_and_fetch_numpy(g, gpu):
    x = placeholder(tf.float32, shape=[4])
    with g.device("/gpu:0"):
        y = multiply(add(x, 1.0), 2.0)
    with tf.Session() as sess:
        out = sess.run(y, feed_dict={x: np.arange(4, dtype=np.float32)})
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, (np.arange(4) + 1) * 2)


def test_composite_fetches_are_keyed_by_their_tensors_not_by_id(g):
    # A SparseTensor built from existing tensors adds no op, so the graph (and the plan cache)
    # stays the same; a recycled id() must never pick up the plan of another SparseTensor.
    from estflow.core.sparse_tensor import SparseTensor

    indices = constant([[0, 0]], dtype=tf.int64)
    shape = constant([2, 2], dtype=tf.int64)
    values = [constant([float(i)]) for i in range(20)]
    with tf.Session() as sess:
        for i, v in enumerate(values):
            got = sess.run(SparseTensor(indices, v, shape))  # a new object each time; old ones are freed
            assert got.values[0] == float(i)


def test_feeding_one_output_of_a_multi_output_op(g):
    x = constant([1.0, 2.0, 3.0, 4.0])
    a, b = tf.split(x, 2)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(a + b, {a: [10.0, 10.0]}), [13.0, 14.0])
        fed, total = sess.run([a, a + b], {a: [10.0, 10.0]})
        np.testing.assert_array_equal(fed, [10.0, 10.0])
        np.testing.assert_array_equal(total, [13.0, 14.0])


def test_list_output_ops_with_one_output_give_the_array(g):
    p = placeholder(tf.float32, [2, 3])
    ones = np.ones((2, 3), np.float32)
    with tf.Session() as sess:
        only = sess.run(tf.split(p, 1)[0], {p: ones})
        assert isinstance(only, np.ndarray) and only.shape == (2, 3)
        assert sess.run(tf.split(p, 1)[0] + 1, {p: ones}).shape == (2, 3)
        assert sess.run(tf.unstack(p[:1], axis=0)[0], {p: ones}).shape == (3,)


def test_split_of_a_variable_does_not_alias_it(g):
    v = Variable(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    inc = v.assign_add(tf.ones([2, 3]))
    with tf.Session() as sess:
        sess.run(v.initializer)
        first = sess.run(tf.split(v, 3, axis=1)[0])
        sess.run(inc)
        np.testing.assert_array_equal(first.ravel(), [0.0, 3.0])


def test_an_unclosed_dropped_session_stops_its_prefetch_threads():
    import gc
    import threading
    import time
    import weakref

    refs = []

    def run_once():
        graph = tf.Graph()
        with graph.as_default():
            dataset = tf.data.Dataset.range(10**7).map(lambda v: v + 1).prefetch(4)
            nxt = tf.compat.v1.data.make_one_shot_iterator(dataset).get_next()
            sess = tf.Session()
            sess.run(nxt)
            refs.append(weakref.ref(sess))

    for _ in range(3):
        run_once()
    gc.collect()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(t.name == "estflow-prefetch" for t in threading.enumerate()):
        time.sleep(0.05)
    assert all(r() is None for r in refs)
    assert not any(t.name == "estflow-prefetch" for t in threading.enumerate())


def test_set_shape_invalidates_compiled_plans(g):
    x = placeholder(tf.float32, [None])
    y = add(x, 1.0)
    with tf.Session() as sess:
        sess.run(y, {x: np.ones(3)})
        x.set_shape([2])
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(y, {x: np.ones(3)})


def test_a_variable_op_as_control_dependency_needs_no_value(g):
    v = Variable(1.0)
    with g.control_dependencies([v]):
        y = add(constant(2.0), 1.0)
    with tf.Session() as sess:
        assert sess.run(y) == 3.0  # TF1's VariableV2 hands out a ref; nothing reads it here
        assert sess.run(v.op) is None


def test_feed_key_of_another_graph_is_a_type_error(g):
    other = tf.Graph()
    with other.as_default():
        foreign = placeholder(tf.float32)
    y = add(placeholder(tf.float32, name="p"), 1.0)
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.run(y, {foreign: 1.0})


def test_partial_run_after_close_is_a_runtime_error(g):
    a = placeholder(tf.float32, shape=[])
    r = add(a, 1.0)
    sess = tf.Session()
    handle = sess.partial_run_setup([r], [a])
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.partial_run(handle, r, {a: 1.0})


def test_invalid_fetch_message_names_the_type(g):
    constant(0.0)
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Can not convert a int into a Tensor"):
            sess.run(3)


def test_buffer_forwarding_never_overwrites_a_visible_value(g):
    # Elementwise kernels may write into an input buffer (of 64 KB or more) that dies at their
    # step; these values stay visible elsewhere and must never be overwritten.
    n = 40000
    x = placeholder(tf.float32, shape=[n])
    fed = np.arange(n, dtype=np.float32)
    doubled = multiply(x, 2.0)
    plus_one = add(doubled, 1.0)              # `doubled` is also fetched: kept
    m = multiply(x, 3.0)
    view = tf.reshape(m, [2, n // 2])
    from_view = add(view, 1.0)                # the view shares memory with `m`, which is read later
    later = add(m, 0.0)
    v = Variable(np.ones(n, np.float32))
    from_var = add(tf.identity(v), 1.0)       # variable storage must not change
    c = constant(np.full(n, 5.0, np.float32))
    from_const = add(c, 1.0)                  # a folded constant must not change
    chain = add(multiply(add(x, 1.0), 2.0), 3.0)  # intermediates nobody else sees: forwarded
    with tf.Session() as sess:
        sess.run(v.initializer)
        for _ in range(2):  # the second run reuses the compiled plan
            out = sess.run([doubled, plus_one, from_view, later, from_var, from_const, chain], {x: fed})
            np.testing.assert_array_equal(fed, np.arange(n))
            np.testing.assert_array_equal(out[0], fed * 2)
            np.testing.assert_array_equal(out[1], fed * 2 + 1)
            np.testing.assert_array_equal(out[2].ravel(), fed * 3 + 1)
            np.testing.assert_array_equal(out[3], fed * 3)
            np.testing.assert_array_equal(out[4], np.full(n, 2.0))
            np.testing.assert_array_equal(out[5], np.full(n, 6.0))
            np.testing.assert_array_equal(out[6], (fed + 1) * 2 + 3)
            np.testing.assert_array_equal(sess.run(v), np.ones(n))
            np.testing.assert_array_equal(sess.run(c), np.full(n, 5.0))


def test_buffer_forwarding_reuses_a_dying_intermediate(g):
    x = placeholder(tf.float32, shape=[256, 64])
    y = tf.nn.relu(add(tf.matmul(x, constant(np.eye(64, dtype=np.float32))), 1.0))
    with tf.Session() as sess:
        out = sess.run(y, {x: -np.ones((256, 64), np.float32)})
        plan = next(iter(sess._cache.values()))
    np.testing.assert_array_equal(out, np.zeros((256, 64)))
    assert [s[4] for s in plan.steps if s[5].type in ("AddV2", "Relu")] == [-2, -1]  # both may forward


def test_fetched_views_of_a_feed_are_fresh_arrays(g):
    x = placeholder(tf.float32)
    fed = np.ones(3, np.float32)
    with tf.Session() as sess:
        out = sess.run(tf.identity(x), {x: fed})
    assert out is not fed and not np.shares_memory(out, fed)


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_classic_first_program_as_a_tf1_program():
    a = tf.add(3, 5)
    with tf.compat.v1.Session() as sess:
        out = sess.run(a)
    assert out == 8 and isinstance(out, np.int32)


@pytest.mark.usefixtures("g")
def test_session_context_manager_and_close():
    c = tf.constant(1.0)
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        assert sess.run(c) == 1.0
    assert tf.get_default_session() is None
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.run(c)
    s2 = tf.Session()
    s2.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        s2.run(c)


def test_session_as_default_and_interactive_session(g):
    c = tf.constant(3.0)
    sess = tf.Session()
    with sess.as_default():
        assert tf.get_default_session() is sess
        assert c.eval() == 3.0
    sess.close()
    isess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is isess
        assert c.eval() == 3.0 and isess.graph is g
    finally:
        isess.close()


def test_session_target_graph_config_positional(g):
    c = tf.constant(1)
    with tf.Session("", g, tf.ConfigProto()) as sess:
        assert sess.graph is g and sess.run(c) == 1


@pytest.mark.usefixtures("g")
def test_list_devices():
    with tf.Session() as sess:
        devs = sess.list_devices()
    names = [d.name for d in devs]
    assert "/job:localhost/replica:0/task:0/device:CPU:0" in names
    cpu = devs[names.index("/job:localhost/replica:0/task:0/device:CPU:0")]
    assert cpu.device_type == "CPU" and cpu.memory_limit_bytes > 0


@pytest.mark.usefixtures("g")
def test_run_nested_fetch_structures():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    init = tf.no_op(name="init")
    Pair = collections.namedtuple("Pair", "x y")
    out = run({"l": [a, (b, a)], "p": Pair(a, b), "name": "b:0", "op": init, "opname": "init"})
    assert out["l"] == [1.0, (2.0, 1.0)] and isinstance(out["l"][1], tuple)
    assert type(out["p"]) is Pair and out["p"] == Pair(1.0, 2.0)
    assert out["name"] == 2.0 and out["op"] is None and out["opname"] is None
    assert run(init) is None


@pytest.mark.usefixtures("g")
def test_feed_by_tensor_and_name_with_dtype_conversion():
    x = tf.placeholder(tf.float32, shape=[3], name="x")
    y = x * 2
    with tf.Session() as sess:
        a = sess.run(y, {x: [1, 2, 3]})
        b = sess.run(y, {"x:0": np.array([1, 2, 3], np.int64)})
    assert a.dtype == np.float32 and a.tolist() == [2, 4, 6]
    assert b.dtype == np.float32 and b.tolist() == [2, 4, 6]


@pytest.mark.usefixtures("g")
def test_feed_shape_mismatch_value_error_message():
    x = tf.placeholder(tf.float32, shape=[3])
    with tf.Session() as sess, pytest.raises(ValueError) as e:
        sess.run(x, {x: [1.0, 2.0]})
    assert str(e.value) == "Cannot feed value of shape (2,) for Tensor 'Placeholder:0', which has shape '(3,)'"


@pytest.mark.usefixtures("g")
def test_unfed_placeholder_invalid_argument_error_message():
    x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
    y = x + 1
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(y)
    assert "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,3]" in e.value.message
    assert e.value.op is x.op


@pytest.mark.usefixtures("g")
def test_any_tensor_can_be_fed():
    a = tf.constant(1.0)
    b = a + 1
    c = b * 10
    assert run(c, {b: 5.0}) == 50.0


@pytest.mark.usefixtures("g")
def test_only_needed_subgraph_runs():
    x = tf.placeholder(tf.float32, name="x")
    unneeded = x + 1  # would fail: x is not fed
    ok = tf.constant(2.0) * 3
    assert run(ok) == 6.0
    assert unneeded is not None


@pytest.mark.usefixtures("g")
def test_control_dependencies_run_first_as_a_tf1_program():
    v = tf.Variable(0, name="v")
    inc = tf.assign_add(v, 1)
    with tf.control_dependencies([inc]):
        read = tf.identity(v)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(read) == 1
        assert sess.run(read) == 2


@pytest.mark.usefixtures("g")
def test_plan_cache_invalidated_when_graph_grows():
    x = tf.placeholder(tf.float32)
    y = x + 1
    with tf.Session() as sess:
        assert sess.run(y, {x: 1.0}) == 2.0
        z = y * 10  # graph grows after the first plan
        assert sess.run(y, {x: 2.0}) == 3.0
        assert sess.run(z, {x: 2.0}) == 30.0
        assert sess.run([y, z], {x: 0.0}) == [1.0, 10.0]


@pytest.mark.usefixtures("g")
def test_partial_run_seeds_example_as_a_tf1_program():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    c = tf.placeholder(tf.float32, shape=[])
    r1 = tf.add(a, b)
    r2 = tf.multiply(r1, c)
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        res = sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
        assert res == 3
        res = sess.partial_run(h, r2, feed_dict={c: res})
        assert res == 9


@pytest.mark.usefixtures("g")
def test_config_proto_options_accepted():
    config = tf.ConfigProto(
        log_device_placement=False, allow_soft_placement=True, device_count={"GPU": 0, "CPU": 1},
        intra_op_parallelism_threads=2, inter_op_parallelism_threads=2,
    )
    config.gpu_options.allow_growth = True
    config2 = tf.ConfigProto(gpu_options=tf.GPUOptions(allow_growth=True, per_process_gpu_memory_fraction=0.5))
    c = tf.constant(1.0)
    with tf.Session(config=config) as sess:
        assert sess.run(c) == 1.0
    with tf.Session(config=config2) as sess:
        assert sess.run(c) == 1.0
    assert tf.ConfigProto.FromString(config.SerializeToString()).gpu_options.allow_growth


@pytest.mark.usefixtures("g")
def test_run_options_and_run_metadata_accepted():
    c = tf.constant(2.0) * 3
    opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    md = tf.RunMetadata()
    with tf.Session() as sess:
        assert sess.run(c, options=opts, run_metadata=md) == 6.0
        assert sess.run(c, None, opts, md) == 6.0


@pytest.mark.usefixtures("g")
def test_log_device_placement_prints_placement(capfd):
    a = tf.constant(1.0, name="my_const")
    b = tf.identity(a, name="my_ident")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(b)
    out = capfd.readouterr()
    text = out.out + out.err
    assert re.search(r"my_ident.*CPU:0", text), text
    assert re.search(r"my_const.*CPU:0", text), text


@pytest.mark.usefixtures("g")
def test_kernel_failure_raises_tf_error_naming_op():
    idx = tf.placeholder(tf.int32)
    out = tf.gather(tf.constant([1.0, 2.0]), idx, name="my_gather")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(out, {idx: 5})
    assert e.value.op is not None and e.value.op.name == "my_gather"
    assert "my_gather" in str(e.value)


@pytest.mark.usefixtures("g")
def test_runtime_broadcast_error_message_as_tf1():
    x = tf.placeholder(tf.float32)
    y = tf.placeholder(tf.float32)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(x + y, {x: np.ones(2), y: np.ones(3)})
    assert "Incompatible shapes: [2] vs. [3]" in e.value.message


@pytest.mark.usefixtures("g")
def test_integer_division_by_zero_is_invalid_argument():
    d = tf.placeholder(tf.int32)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
        sess.run(tf.constant([4]) // d, {d: [0]})


@pytest.mark.usefixtures("g")
def test_reshape_failure_is_invalid_argument():
    x = tf.placeholder(tf.float32)
    r = tf.reshape(x, [2, 2], name="rs")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="rs"):
        sess.run(r, {x: [1.0, 2.0, 3.0]})


@pytest.mark.usefixtures("g")
def test_two_sessions_independent_variables_20_8_120_minus_42():
    W = tf.Variable(10, name="W")  # noqa: N806 - the seeds' name
    assign_op = W.assign(100)
    sess1 = tf.Session()
    sess2 = tf.Session()
    sess1.run(W.initializer)
    sess2.run(W.initializer)
    assert sess1.run(W.assign_add(10)) == 20
    assert sess2.run(W.assign_sub(2)) == 8
    assert sess1.run(W.assign_add(100)) == 120
    assert sess2.run(W.assign_sub(50)) == -42
    sess1.close()
    sess2.close()
    with tf.Session() as s:
        s.run(W.initializer)
        assert s.run(assign_op) == 100


# ---- close() while other threads run --------------------------------------------------------------
_GATES: dict = {}  # op name -> (started, release): lets a test hold a run inside its kernel


def _gate_kernel(op, ctx):
    started, release = _GATES[op.name]

    def kernel(x):
        started.set()
        release.wait(10)
        return x

    return kernel


if "SessionTestGate" not in registry.registered_ops():
    registry.register(registry.OpDef("SessionTestGate", infer=lambda x: registry.TensorSpec(x.shape, x.dtype),
                                     make_kernel=_gate_kernel, cpu_only=True, input_names=("x: T",),
                                     output_names=("y: T",), attr_types={"T": "type"}))


def test_close_while_other_threads_run_cancels_their_runs(g):
    """A run in progress when another thread closes the session fails with CancelledError (TF's error),
    not with an error about the state close() freed ("uninitialized value")."""
    v = Variable(2.0, name="v")
    held = []
    for i in range(3):  # each thread's run blocks in its gate, then reads the variable again
        gated = registry.apply_op("SessionTestGate", v.read_value(), name=f"gate{i}")
        _GATES[gated.op.name] = (threading.Event(), threading.Event())
        held.append(gated + v)
    sess = tf.Session()
    sess.run(v.initializer)
    outcomes = [None] * len(held)

    def worker(i):
        try:
            outcomes[i] = sess.run(held[i])
        except Exception as e:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[i] = e

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(held))]
    for t in threads:
        t.start()
    for t in held:
        assert _GATES[t.op.inputs[0].op.name][0].wait(10)
    sess.close()
    for t in held:
        _GATES[t.op.inputs[0].op.name][1].set()
    for t in threads:
        t.join(10)
    for outcome in outcomes:
        assert isinstance(outcome, errors.CancelledError), outcome
        assert "cancelled" in str(outcome) and "closed" in str(outcome)
    with pytest.raises(RuntimeError, match="closed Session"):  # a run started after close()
        sess.run(held[0])


def test_runs_racing_close_end_cleanly_or_cancelled(g):
    """Threads running a variable-reading loop while the session closes: each run returns the right
    value, is cancelled, or (started after close) says the session is closed; nothing else."""
    v = Variable(1.0, name="v")
    total = tf.while_loop(lambda i, s: i < 200, lambda i, s: (i + 1, s + v), [0, 0.0])[1]
    sess = tf.Session()
    sess.run(v.initializer)
    seen, stop = [], threading.Event()

    def worker():
        while not stop.is_set():
            try:
                seen.append(float(sess.run(total)))
            except errors.CancelledError:
                seen.append("cancelled")
            except RuntimeError as e:
                seen.append("closed" if "closed Session" in str(e) else e)
                return
            except Exception as e:  # noqa: BLE001 - recorded and refused below
                seen.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    while len(seen) < 8:
        threading.Event().wait(0.001)
    sess.close()
    stop.set()
    for t in threads:
        t.join(30)
    assert all(x in (200.0, "cancelled", "closed") for x in seen), [x for x in seen if not isinstance(x, float)]


def test_feeding_a_tensor_marked_not_feedable_is_refused(g):
    x = placeholder(tf.float32, [], name="x")
    y = tf.identity(x * 2.0, name="y")
    z = tf.add(y, 1.0, name="z")
    with tf.Session() as sess:
        assert sess.run(z, {y: 5.0}) == 6.0  # a compiled plan with that feed is dropped below
        g.prevent_feeding(y)
        with pytest.raises(ValueError) as e:
            sess.run(z, {y: 5.0})
        assert str(e.value) == f"Tensor {y} may not be fed."
        assert sess.run(z, {x: 1.0}) == 3.0
        with pytest.raises(ValueError, match="may not be fed"):
            sess.partial_run_setup([z], [y])
        g.prevent_fetching(z.op)
        with pytest.raises(ValueError) as e:
            sess.run([y, z], {x: 1.0})
        assert str(e.value) == "Operation 'z' has been marked as not fetchable."
        with pytest.raises(ValueError, match="not fetchable"):
            sess.run("z", {x: 1.0})
        assert sess.run(y, {x: 1.0}) == 2.0


def test_out_of_memory_while_copying_out_a_fetch_is_resource_exhausted():
    """In a process bounded to 1 GiB, a 600 MB value that fits once but not twice fails as TF's
    ResourceExhaustedError, not a raw MemoryError."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = f"""
import resource
resource.setrlimit(resource.RLIMIT_AS, ({1 << 30}, {1 << 30}))
import estflow as tf
with tf.Graph().as_default():
    big = tf.fill([150, 1000, 1000], 1.0)  # folded when the plan compiles: its fetch is a copy
    with tf.Session() as sess:
        try:
            sess.run(big)
        except tf.errors.ResourceExhaustedError as e:
            print("refused:", e.message.splitlines()[0])
"""
    env = dict(os.environ, PYTHONPATH=root, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.startswith("refused: OOM"), proc.stdout
