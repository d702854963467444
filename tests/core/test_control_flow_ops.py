"""Control flow: group/tuple, Switch/Merge, cond, case and the functional while_loop.

The central promise tested throughout: only the branch a cond takes runs (an assign in
the other branch never happens, an Assert there never fires), and a while_loop body runs
exactly as many times as the loop iterates, also when its gradient is computed.
"""

from __future__ import annotations

import collections
import threading

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, errors
from estflow.core.func_graph import FuncGraph
from estflow.core.gradients import gradients
from estflow.core.ops import array_ops as ao
from estflow.core.ops import cast_ops, comparison_ops, concat_ops, reduction_ops, unary_ops
from estflow.core.ops import control_flow_ops as cf
from estflow.core.ops import math_ops as m
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.variables import Variable
from tests.core.gradient_check import check_gradient

Pair = collections.namedtuple("Pair", "a b")


def has_gpu() -> bool:
    return devices.cupy_module() is not None and devices.num_gpus() > 0


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def _counter(name="counter", dtype=tf.int32):
    return Variable(constant(0, dtype=dtype), name=name)


# ================================================================================================
# group, tuple, with_dependencies, Assert
# ================================================================================================
def test_group_runs_everything_and_returns_no_value(g):
    a, b = _counter("a"), _counter("b")
    op = cf.group(a.assign_add(1), [b.assign_add(2)], name="both")
    assert op.name == "both" and op.type == "NoOp"
    with tf.Session() as sess:
        sess.run([a.initializer, b.initializer])
        assert sess.run(op) is None
        assert sess.run([a, b]) == [1, 2]


def test_tuple_gates_every_output_on_all_inputs(g):
    v = _counter()
    x = constant(5)
    out_x, out_op = cf.tuple([x, v.assign_add(1).op])
    assert out_x.op.type == "Identity" and out_op.type == "NoOp"
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out_x) == 5
        assert sess.run(v) == 1  # reading the gated x ran the assign too
    with pytest.raises(ValueError, match="must have at least one Tensor"):
        cf.tuple([None])
    with pytest.raises(TypeError, match="'control_inputs' must only contain"):
        cf.tuple([x], control_inputs=[3])


def test_with_dependencies(g):
    v = _counter()
    y = cf.with_dependencies([v.assign_add(3)], constant(1.0))
    assert y.op.name == "control_dependency"
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y) == 1.0 and sess.run(v) == 3


def test_assert_message_and_summarize(g):
    x = placeholder(tf.int32, [None])
    check = cf.Assert(reduction_ops.reduce_all(comparison_ops.greater(x, 0)), ["x must be positive:", x], summarize=2)
    with tf.Session() as sess:
        sess.run(check, {x: [1, 2]})
        message = r"assertion failed: \[x must be positive:\] \[1 -2\.\.\.\]"
        with pytest.raises(errors.InvalidArgumentError, match=message):
            sess.run(check, {x: [1, -2, 3]})


# ================================================================================================
# Switch and Merge
# ================================================================================================
def test_switch_and_merge_by_hand(g):
    data = constant([1.0, 2.0])
    pred = placeholder(tf.bool, [])
    out_false, out_true = cf.switch(data, pred)
    merged, index = cf.merge([out_false, m.multiply(out_true, 10.0)])
    assert out_false.shape.as_list() == [2] and index.dtype == tf.int32
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(merged, {pred: False}), [1.0, 2.0])
        np.testing.assert_array_equal(sess.run(merged, {pred: True}), [10.0, 20.0])
        assert sess.run(index, {pred: True}) == 1
        with pytest.raises(errors.InvalidArgumentError, match="not taken"):
            sess.run(out_true, {pred: False})


def test_switch_pred_must_be_a_bool_scalar(g):
    with pytest.raises(TypeError, match="Input 'pred' of 'Switch' Op has type float32"):
        cf.switch(constant(1.0), constant(1.0))
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        cf.switch(constant(1.0), constant([True]))


def test_merge_shape_is_the_common_shape(g):
    a = placeholder(tf.float32, [2, 3])
    b = placeholder(tf.float32, [2, 4])
    c = placeholder(tf.float32, [2])
    assert cf.merge([a, b])[0].shape.as_list() == [2, None]
    assert cf.merge([a, c])[0].shape.ndims is None


# ================================================================================================
# cond
# ================================================================================================
def test_cond_names_follow_tf1(g):
    x = placeholder(tf.float32, [], name="x")
    p = placeholder(tf.bool, [], name="p")
    y = cf.cond(p, lambda: x * 2.0, lambda: x + 1.0)
    names = {op.name for op in g.get_operations()}
    assert {"cond/Switch", "cond/switch_t", "cond/switch_f", "cond/pred_id", "cond/Merge"} <= names
    assert y.name == "cond/Merge:0"
    switches = [op for op in g.get_operations() if op.type == "Switch" and op.inputs[0] is x]
    assert len(switches) == 2  # one per branch
    assert all(op.inputs[1].op.name == "cond/pred_id" for op in switches)


def test_cond_runs_only_the_taken_branch(g):
    v = _counter()
    p = placeholder(tf.bool, [])

    def true_fn():
        with tf.control_dependencies([v.assign_add(1)]):
            return constant(1)

    def false_fn():
        with tf.control_dependencies([v.assign_add(100)]):
            return constant(2)

    y = cf.cond(p, true_fn, false_fn)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: True}) == 1 and sess.run(v) == 1
        assert sess.run(y, {p: True}) == 1 and sess.run(v) == 2
        assert sess.run(y, {p: False}) == 2 and sess.run(v) == 102


def test_an_assign_returned_by_the_untaken_branch_never_happens(g):
    v = _counter()
    p = placeholder(tf.bool, [])
    y = cf.cond(p, lambda: v.assign_add(5), lambda: constant(-1))
    with tf.Session() as sess:
        sess.run(v.initializer)
        for _ in range(3):
            assert sess.run(y, {p: False}) == -1
        assert sess.run(v) == 0
        assert sess.run(y, {p: True}) == 5 and sess.run(v) == 5


def test_an_assert_in_the_untaken_branch_never_fires(g):
    x = placeholder(tf.float32, [])
    positive = comparison_ops.greater(x, 0.0)

    def checked_sqrt():
        with tf.control_dependencies([cf.Assert(positive, ["negative input", x])]):
            return unary_ops.sqrt(x)

    y = cf.cond(positive, checked_sqrt, lambda: constant(0.0))
    with tf.Session() as sess:
        assert sess.run(y, {x: 4.0}) == 2.0
        assert sess.run(y, {x: -4.0}) == 0.0


def test_cond_with_outer_tensors_and_branch_constants(g):
    x = placeholder(tf.float32, [None], name="x")
    p = placeholder(tf.bool, [])
    y = cf.cond(p, lambda: x, lambda: constant([7.0, 8.0]) + 1.0)
    assert y.shape.as_list() == [None]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: [1.0, 2.0, 3.0], p: True}), [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(sess.run(y, {x: [1.0], p: False}), [8.0, 9.0])


def test_cond_with_python_values_and_a_variable(g):
    v = Variable(3.0, name="v")
    p = placeholder(tf.bool, [])
    y = cf.cond(p, lambda: v, lambda: 1.5)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: True}) == 3.0 and sess.run(y, {p: False}) == 1.5


def test_nested_cond(g):
    x = placeholder(tf.float32, [])
    p, q = placeholder(tf.bool, []), placeholder(tf.bool, [])
    v = _counter()

    def inner_false():
        with tf.control_dependencies([v.assign_add(1)]):
            return x + 2.0

    y = cf.cond(p, lambda: cf.cond(q, lambda: x + 1.0, inner_false), lambda: x * 10.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        table = {(True, True): 2.0, (True, False): 3.0, (False, True): 10.0, (False, False): 10.0}
        for (pv, qv), expected in table.items():
            assert sess.run(y, {x: 1.0, p: pv, q: qv}) == expected
        assert sess.run(v) == 1  # only (True, False) reached the inner false branch


def test_cond_structures_and_strict(g):
    p = placeholder(tf.bool, [])
    x = constant(1.0)
    out = cf.cond(p, lambda: {"a": x, "b": (x, Pair(x, 2))}, lambda: {"a": x * 3, "b": (x * 4, Pair(x * 5, 6))})
    assert set(out) == {"a", "b"} and isinstance(out["b"], tuple) and isinstance(out["b"][1], Pair)
    single = cf.cond(p, lambda: [x], lambda: [x * 2])
    kept = cf.cond(p, lambda: [x], lambda: [x * 2], strict=True)
    assert isinstance(single, tf.Tensor) and isinstance(kept, list) and len(kept) == 1
    with tf.Session() as sess:
        assert sess.run(out, {p: False}) == {"a": 3.0, "b": (4.0, Pair(5.0, 6))}
        assert sess.run(out, {p: True}) == {"a": 1.0, "b": (1.0, Pair(1.0, 2))}
        assert sess.run(kept, {p: False}) == [2.0]


def test_cond_branch_returning_an_operation(g):
    v = _counter()
    p = placeholder(tf.bool, [])
    y = cf.cond(p, lambda: cf.group(v.assign_add(1)), lambda: tf.no_op())
    assert y.dtype == tf.bool  # TF1: the pivot, gated on the op
    with tf.Session() as sess:
        sess.run(v.initializer)
        sess.run(y, {p: False})
        assert sess.run(v) == 0
        sess.run(y, {p: True})
        assert sess.run(v) == 1


def test_cond_with_a_sparse_result(g):
    from estflow.core.sparse_tensor import SparseTensor

    p = placeholder(tf.bool, [])
    a = SparseTensor(indices=[[0, 0]], values=[1.0], dense_shape=[2, 2])
    b = SparseTensor(indices=[[1, 1]], values=[5.0], dense_shape=[2, 2])
    out = cf.cond(p, lambda: a, lambda: b)
    assert type(out).__name__ == "SparseTensor"
    with tf.Session() as sess:
        value = sess.run(out, {p: False})
        np.testing.assert_array_equal(value.indices, [[1, 1]])
        np.testing.assert_array_equal(value.values, [5.0])


def test_cond_errors(g):
    p = placeholder(tf.bool, [])
    x = constant(1.0)
    with pytest.raises(TypeError, match="pred must not be a Python bool"):
        cf.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="true_fn must be callable"):
        cf.cond(p, x, lambda: x)
    with pytest.raises(TypeError, match="false_fn must be callable"):
        cf.cond(p, lambda: x, None)
    with pytest.raises(ValueError, match="true_fn must have a return value"):
        cf.cond(p, lambda: None, lambda: x)
    with pytest.raises(ValueError, match="Incompatible return values of true_fn and false_fn"):
        cf.cond(p, lambda: [x, x], lambda: [x])
    with pytest.raises(TypeError, match="Incompatible return types of true_fn and false_fn"):
        cf.cond(p, lambda: [x, x], lambda: (x, x))
    with pytest.raises(ValueError, match="Outputs of true_fn and false_fn must have the same type: float32, int32"):
        cf.cond(p, lambda: x, lambda: constant(1))
    with pytest.raises(TypeError, match="true_fn and fn1 may not be set simultaneously"):
        cf.cond(p, lambda: x, lambda: x, fn1=lambda: x)
    with pytest.raises(TypeError, match="Input 'pred' of 'Switch' Op has type float32"):
        cf.cond(x, lambda: x, lambda: x)


def test_cond_deprecated_fn1_fn2(g):
    p = placeholder(tf.bool, [])
    y = cf.cond(p, fn1=lambda: constant(1), fn2=lambda: constant(2))
    with tf.Session() as sess:
        assert sess.run(y, {p: True}) == 1 and sess.run(y, {p: False}) == 2


def test_smart_cond_picks_statically_known_branches(g):
    calls = []

    def branch(v):
        calls.append(v)
        return constant(v)

    assert cf.smart_cond(True, lambda: branch(1), lambda: branch(2)).op.type == "Const"
    assert cf.smart_cond(constant(False), lambda: branch(1), lambda: branch(2)).op.type == "Const"
    assert calls == [1, 2]
    assert cf.smart_cond(placeholder(tf.bool, []), lambda: branch(1), lambda: branch(2)).op.type == "Merge"


def test_initialized_value_reads_nothing_while_uninitialized(g):
    v = Variable(3.0, name="v")
    w = Variable(v.initialized_value() * 2.0, name="w")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())  # w's initializer does not need v to be set first
        assert sess.run(w) == 6.0
        sess.run(v.assign(10.0))
        assert sess.run(v.initialized_value()) == 10.0


def test_cond_reads_a_variable_inside_a_branch_at_branch_time(g):
    v = Variable(1.0, name="v")
    p = placeholder(tf.bool, [])

    def bump_then_read():
        with tf.control_dependencies([v.assign_add(1.0)]):
            return v.read_value()

    y = cf.cond(p, bump_then_read, lambda: constant(0.0))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: True}) == 2.0


# ---- gradients through cond ------------------------------------------------------------------------
@pytest.mark.parametrize("taken", [True, False])
def test_cond_gradient_matches_central_differences(taken):
    def build(x, w):
        return cf.cond(constant(taken), lambda: unary_ops.sin(x) * w, lambda: unary_ops.square(x) + w)

    check_gradient(build, [np.random.default_rng(0).standard_normal((2, 3)), np.array([0.5, -1.0, 2.0])])


@pytest.mark.parametrize(("p", "q"), [(True, True), (True, False), (False, True)])
def test_nested_cond_gradient(p, q):
    def build(x):
        inner = lambda: cf.cond(constant(q), lambda: unary_ops.exp(x), lambda: x * x * x)  # noqa: E731
        return cf.cond(constant(p), inner, lambda: 4.0 * x)

    check_gradient(build, [np.array([0.3, -0.7])])


def test_cond_gradient_of_a_branch_not_using_x_is_zero(g):
    x = placeholder(tf.float32, [2])
    p = placeholder(tf.bool, [])
    y = cf.cond(p, lambda: x * 3.0, lambda: constant([1.0, 1.0]))
    (dx,) = gradients(reduction_ops.reduce_sum(y), [x])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(dx, {x: [1.0, 2.0], p: True}), [3.0, 3.0])
        np.testing.assert_array_equal(sess.run(dx, {x: [1.0, 2.0], p: False}), [0.0, 0.0])


def test_cond_gradient_reaches_a_variable(g):
    w = Variable([1.0, 2.0], name="w")
    p = placeholder(tf.bool, [])
    y = reduction_ops.reduce_sum(cf.cond(p, lambda: w * w, lambda: w * 5.0))
    (dw,) = gradients(y, [w])
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(dw, {p: True}), [2.0, 4.0])
        np.testing.assert_array_equal(sess.run(dw, {p: False}), [5.0, 5.0])


# ================================================================================================
# case
# ================================================================================================
def _case_fixture():
    x = placeholder(tf.float32, [])
    hits = _counter("hits")

    def fn(value):
        def f():
            with tf.control_dependencies([hits.assign_add(1)]):
                return constant(value)

        return f

    return x, hits, fn


def test_case_picks_the_first_true_predicate_in_order(g):
    x, hits, fn = _case_fixture()
    y = cf.case([(comparison_ops.less(x, 0.0), fn(-1)), (comparison_ops.less(x, 10.0), fn(1))], default=fn(0))
    with tf.Session() as sess:
        sess.run(hits.initializer)
        assert [sess.run(y, {x: v}) for v in (-5.0, 5.0, 50.0)] == [-1, 1, 0]
        assert sess.run(hits) == 3  # exactly one function ran per step


def test_case_with_a_dict(g):
    x, hits, fn = _case_fixture()
    y = cf.case({comparison_ops.less(x, 0.0): fn(-1), comparison_ops.greater(x, 10.0): fn(1)}, default=fn(0),
                exclusive=True)
    with tf.Session() as sess:
        sess.run(hits.initializer)
        assert [sess.run(y, {x: v}) for v in (-5.0, 5.0, 50.0)] == [-1, 0, 1]


def test_case_exclusive_checks_at_most_one_true(g):
    x, hits, fn = _case_fixture()
    y = cf.case([(comparison_ops.less(x, 0.0), fn(-1)), (comparison_ops.less(x, 10.0), fn(1))], default=fn(0),
                exclusive=True)
    with tf.Session() as sess:
        sess.run(hits.initializer)
        assert sess.run(y, {x: 5.0}) == 1
        message = r"Input error: exclusive=True: more than 1 conditions .* evaluated as True:\] \[1 1\]"
        with pytest.raises(errors.InvalidArgumentError, match=message):
            sess.run(y, {x: -5.0})


def test_case_without_default_requires_some_true_predicate(g):
    x, hits, fn = _case_fixture()
    y = cf.case([(comparison_ops.less(x, 0.0), fn(-1)), (comparison_ops.greater(x, 10.0), fn(1))])
    with tf.Session() as sess:
        sess.run(hits.initializer)
        assert sess.run(y, {x: -1.0}) == -1 and sess.run(y, {x: 11.0}) == 1
        with pytest.raises(errors.InvalidArgumentError,
                           match=r"Input error: None of conditions evaluated as True:\] \[0 0\]"):
            sess.run(y, {x: 5.0})


def test_case_argument_errors(g):
    x = placeholder(tf.float32, [])
    with pytest.raises(TypeError, match="'pred_fn_pairs' must be a list, tuple, or dict"):
        cf.case(lambda: x)
    with pytest.raises(TypeError, match="Each entry in 'pred_fn_pairs' must be a 2-tuple"):
        cf.case([[comparison_ops.less(x, 0.0), lambda: x]])
    with pytest.raises(TypeError, match="pred must be Tensor of type bool"):
        cf.case([(x, lambda: x)])
    with pytest.raises(TypeError, match="must be callable"):
        cf.case([(comparison_ops.less(x, 0.0), x)])


# ================================================================================================
# while_loop
# ================================================================================================
def test_counting_loop(g):
    i = cf.while_loop(lambda i: i < 10, lambda i: i + 1, [constant(0)])
    assert isinstance(i, tf.Tensor) and i.shape.as_list() == [] and i.op.type == "While"
    body = i.op.get_attr("body")
    assert isinstance(body, FuncGraph) and isinstance(i.op.get_attr("cond"), FuncGraph)
    assert i.op.get_attr("T")[:2] == (tf.int32, tf.int32) and i.op.get_attr("parallel_iterations") == 10
    with tf.Session() as sess:
        assert sess.run(i) == 10


def test_fibonacci(g):
    n = placeholder(tf.int32, [])
    _, a, _ = cf.while_loop(lambda k, a, b: k < n, lambda k, a, b: (k + 1, b, a + b), (0, 0, 1))
    with tf.Session() as sess:
        assert [sess.run(a, {n: k}) for k in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]


def test_loop_that_never_runs(g):
    out = cf.while_loop(lambda x: x > 100.0, lambda x: x * 2.0, [constant(3.0)])
    with tf.Session() as sess:
        assert sess.run(out) == 3.0


def test_maximum_iterations(g):
    limit = placeholder(tf.int32, [])
    forever = cf.while_loop(lambda i: constant(True), lambda i: i + 2, [0], maximum_iterations=limit)
    early = cf.while_loop(lambda i: i < 3, lambda i: i + 1, [0], maximum_iterations=100)
    with tf.Session() as sess:
        assert sess.run(forever, {limit: 7}) == 14
        assert sess.run(forever, {limit: 0}) == 0
        assert sess.run(early) == 3
    with pytest.raises(ValueError, match="maximum_iterations must be a scalar"):
        cf.while_loop(lambda i: i < 3, lambda i: i + 1, [0], maximum_iterations=[1, 2])


def test_nested_structures(g):
    x = placeholder(tf.float32, [])
    loop_vars = [constant(0), Pair(x, {"count": constant(0), "log": constant(1.0)})]

    def body(i, pair):
        return i + 1, Pair(pair.a * 2.0, {"count": pair.b["count"] + i, "log": pair.b["log"] + 1.0})

    out = cf.while_loop(lambda i, pair: i < 4, body, loop_vars)
    assert isinstance(out, list) and isinstance(out[1], Pair) and set(out[1].b) == {"count", "log"}
    with tf.Session() as sess:
        assert sess.run(out, {x: 1.5}) == [4, Pair(24.0, {"count": 6, "log": 5.0})]


def test_namedtuple_and_tuple_loop_vars_keep_their_type(g):
    out = cf.while_loop(lambda a, b: a < 3, lambda a, b: Pair(a + 1, b * 2), Pair(constant(0), constant(1)))
    assert isinstance(out, Pair)
    tup = cf.while_loop(lambda a, b: a < 3, lambda a, b: (a + 1, b), (0, 1))
    assert type(tup) is tuple
    same = cf.while_loop(lambda a: a < 3, lambda a: a + 1, [0], return_same_structure=True)
    assert isinstance(same, list) and len(same) == 1
    with tf.Session() as sess:
        assert sess.run(out) == Pair(3, 8)


def test_body_reading_and_updating_a_variable(g):
    total = _counter("total")

    def body(i):
        with tf.control_dependencies([total.assign_add(i)]):
            return i + 1

    i = cf.while_loop(lambda i: i < 5, body, [0])
    seen = cf.while_loop(lambda k, s: k < 3, lambda k, s: (k + 1, s + total.read_value()), [0, 0])
    with tf.Session() as sess:
        sess.run(total.initializer)
        assert sess.run(i) == 5 and sess.run(total) == 10
        assert sess.run(i) == 5 and sess.run(total) == 20
        assert sess.run(seen)[1] == 60
    with tf.Session() as other:  # a second session has its own variables
        other.run(total.initializer)
        assert other.run(total) == 0


def test_body_using_outer_tensors_and_python_numbers(g):
    x = placeholder(tf.float32, [2])
    step = constant(0.5)
    out = cf.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, acc + x * step + 1), [0, constant([0.0, 0.0])])
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(out, {x: [2.0, 4.0]})[1], [6.0, 9.0])


def test_shape_invariant_errors_at_graph_build(g):
    with pytest.raises(ValueError, match=r"Input tensor 'Const:0' enters the loop with shape \(1,\), but has shape "
                                         r"\(2,\) after one iteration. To allow the shape to vary across iterations, "
                                         r"use the `shape_invariants` argument of tf.while_loop"):
        cf.while_loop(lambda a: constant(True), lambda a: concat_ops.concat([a, a], 0), [constant([1.0])])
    with pytest.raises(ValueError, match="The shape invariant specified for .* is not compatible with the initial"):
        cf.while_loop(lambda a: constant(True), lambda a: a, [constant([1.0])], shape_invariants=[tf.TensorShape([2])])
    with pytest.raises(TypeError, match="enters the loop with type .* but has type"):
        cf.while_loop(lambda a: constant(True), lambda a: cast_ops.cast(a, tf.float32), [constant(1)])


def test_shape_invariants_let_a_loop_var_grow(g):
    out = cf.while_loop(lambda a: ao.size(a) < 8, lambda a: concat_ops.concat([a, a], 0), [constant([1.0])],
                        shape_invariants=[tf.TensorShape([None])])
    assert out.shape.as_list() == [None]
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out), np.ones(8))


def test_while_loop_argument_errors(g):
    with pytest.raises(TypeError, match="cond must be callable"):
        cf.while_loop(1, lambda i: i, [0])
    with pytest.raises(TypeError, match="body must be callable"):
        cf.while_loop(lambda i: i < 1, 1, [0])
    with pytest.raises(TypeError, match="parallel_iterations must be a positive integer"):
        cf.while_loop(lambda i: i < 1, lambda i: i, [0], parallel_iterations=0)
    with pytest.raises(ValueError, match="No loop variables provided"):
        cf.while_loop(lambda: True, lambda: (), [])
    with pytest.raises(ValueError, match="don't have the same"):
        cf.while_loop(lambda i, j: i < 1, lambda i, j: (i,), [0, 0])
    with pytest.raises(TypeError, match="cond must return a boolean scalar tensor"):
        cf.while_loop(lambda i: i, lambda i: i, [0])


def test_error_inside_the_body_names_the_inner_node(g):
    x = placeholder(tf.float32, [])
    out = cf.while_loop(lambda i: i < 3,
                        lambda i: cf.with_dependencies([cf.Assert(comparison_ops.less(x, 0.0), [x])], i + 1), [0])
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="assertion failed"):
            sess.run(out, {x: 1.0})
        assert sess.run(out, {x: -1.0}) == 3


def test_nested_while_loops(g):
    x = placeholder(tf.float32, [])

    def outer_body(i, total):
        _, inner = cf.while_loop(lambda j, t: j < i, lambda j, t: (j + 1, t + cast_ops.cast(j, tf.float32) * x),
                                 [0, 0.0])
        return i + 1, total + inner

    out = cf.while_loop(lambda i, t: i < 5, outer_body, [0, 0.0])
    with tf.Session() as sess:
        assert sess.run(out, {x: 2.0})[1] == 2.0 * (0 + 0 + 1 + 3 + 6)


def test_cond_inside_a_while_loop(g):
    x = placeholder(tf.float32, [])
    v = _counter()

    def body(i, t):
        def odd():
            with tf.control_dependencies([v.assign_add(1)]):
                return t - 1.0

        return i + 1, cf.cond(comparison_ops.equal(i % 2, 0), lambda: t + x, odd)

    out = cf.while_loop(lambda i, t: i < 6, body, [0, 0.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out, {x: 10.0})[1] == 27.0
        assert sess.run(v) == 3


def test_while_loop_inside_the_untaken_branch_never_runs(g):
    v = _counter()
    p = placeholder(tf.bool, [])

    def looping():
        def body(i):
            with tf.control_dependencies([v.assign_add(1)]):
                return i + 1

        return cf.while_loop(lambda i: i < 4, body, [0])

    y = cf.cond(p, looping, lambda: constant(-1))
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y, {p: False}) == -1 and sess.run(v) == 0
        assert sess.run(y, {p: True}) == 4 and sess.run(v) == 4


# ---- gradients through while_loop ---------------------------------------------------------------------
def test_while_gradient_matches_central_differences():
    def build(x, w):
        _, y = cf.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, unary_ops.sin(y) * w + x), [0, x * w])
        return y

    rng = np.random.default_rng(0)
    check_gradient(build, [rng.standard_normal((2, 3)), rng.standard_normal(3)])


def test_while_gradient_with_maximum_iterations_and_a_fed_trip_count():
    def build(x):
        return cf.while_loop(lambda y: reduction_ops.reduce_sum(y) < 1e9,
                             lambda y: y * 1.5 + unary_ops.square(y) * 0.1, [x], maximum_iterations=3)

    check_gradient(build, [np.array([0.2, -0.4, 0.9])])


def test_while_gradient_through_a_cond_in_the_body():
    def build(x):
        _, z = cf.while_loop(lambda j, z: j < 5,
                             lambda j, z: (j + 1, cf.cond(comparison_ops.equal(j % 2, 0), lambda: z * x,
                                                          lambda: z + x)), [0, x])
        return z

    check_gradient(build, [np.array([1.3, -0.6])])


def test_while_gradient_never_repeats_the_body_side_effects(g):
    v = Variable(constant(0.0, dtype=tf.float64), name="v")
    x = placeholder(tf.float64, [])
    _, q = cf.while_loop(lambda k, q: k < 3, lambda k, q: (k + 1, cf.with_dependencies([v.assign_add(1.0)], q * x)),
                         [0, x])
    (dq,) = gradients(q, [x])
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run([q, dq], {x: 2.0}) == [16.0, 32.0]
        assert sess.run(v) == 3.0


def test_while_gradient_of_an_unconnected_or_stopped_loop(g):
    x = placeholder(tf.float32, [])
    stopped = cf.while_loop(lambda i, y: i < 2, lambda i, y: (i + 1, y * x), [0, x], back_prop=False)[1]
    assert gradients(stopped, [x]) == [None]
    ints = cf.while_loop(lambda i: i < 2, lambda i: i + 1, [0])
    assert gradients(cast_ops.cast(ints, tf.float32) + x, [x])[0] is not None


def test_gradient_of_a_nested_while_loop_is_declared_unsupported(g):
    x = placeholder(tf.float32, [])

    def outer_body(i, t):
        return i + 1, cf.while_loop(lambda j: j < 2.0, lambda j: j * x, [t])

    out = cf.while_loop(lambda i, t: i < 2, outer_body, [0, x])[1]
    with pytest.raises(LookupError, match="nested in another while_loop"):
        gradients(out, [x])


# ================================================================================================
# GPU
# ================================================================================================
def test_cond_and_while_on_gpu(g, gpu):
    with g.device("/gpu:0"):
        x = placeholder(tf.float32, [3])
        p = placeholder(tf.bool, [])
        y = cf.cond(p, lambda: x * 2.0, lambda: x - 1.0)
        _, z = cf.while_loop(lambda i, z: i < 3, lambda i, z: (i + 1, z * x), [0, x])
        (dz,) = gradients(reduction_ops.reduce_sum(z), [x])
    with tf.Session() as sess:
        xv = np.array([1.0, 2.0, 3.0], np.float32)
        np.testing.assert_allclose(sess.run(y, {x: xv, p: True}), xv * 2)
        np.testing.assert_allclose(sess.run(y, {x: xv, p: False}), xv - 1)
        np.testing.assert_allclose(sess.run(z, {x: xv}), xv ** 4)
        np.testing.assert_allclose(sess.run(dz, {x: xv}), 4 * xv ** 3, rtol=1e-6)


def test_body_depending_on_an_outer_op_runs_it_once_before_the_loop(g):
    v = _counter()
    bump = v.assign_add(1)

    def body(i):
        with tf.control_dependencies([bump]):
            return i + v.read_value()

    out = cf.while_loop(lambda i: i < 10, body, [0])
    assert bump.op in out.op.control_inputs
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out) == 10 and sess.run(v) == 1


def test_cond_in_a_loop_body_returning_an_outer_tensor(g):
    x = placeholder(tf.float32, [])
    out = cf.while_loop(lambda i, t: i < 4,
                        lambda i, t: (i + 1, t + cf.cond(comparison_ops.less(i, 2), lambda: x, lambda: 1.0)),
                        [0, 0.0])
    with tf.Session() as sess:
        assert sess.run(out, {x: 10.0})[1] == 22.0


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_cond_runs_only_the_taken_branch_as_a_tf1_program():
    v = tf.Variable(0)
    p = tf.placeholder(tf.bool)

    def true_fn():
        with tf.control_dependencies([tf.assign_add(v, 1)]):
            return tf.constant(1)

    def false_fn():
        with tf.control_dependencies([tf.assign_add(v, 100)]):
            return tf.constant(2)

    out = tf.cond(p, true_fn, false_fn)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out, {p: True}) == 1
        assert sess.run(v) == 1
        assert sess.run(out, {p: False}) == 2
        assert sess.run(v) == 101


@pytest.mark.usefixtures("g")
def test_case():
    x = tf.placeholder(tf.int32)
    r = tf.case([(tf.equal(x, 1), lambda: tf.constant(10)), (tf.equal(x, 2), lambda: tf.constant(20))],
                default=lambda: tf.constant(-1), exclusive=True)
    with tf.Session() as sess:
        assert [sess.run(r, {x: i}) for i in (1, 2, 3)] == [10, 20, -1]


@pytest.mark.usefixtures("g")
def test_while_loop_and_maximum_iterations():
    i = tf.constant(0)
    acc = tf.constant(1)
    r = tf.while_loop(lambda i, a: i < 10, lambda i, a: (i + 1, a * 2), [i, acc])
    m = tf.while_loop(lambda i: i < 100, lambda i: i + 1, [tf.constant(0)], maximum_iterations=7)
    out = run([r, m])
    assert list(out[0]) == [10, 1024]
    assert out[1] == 7


@pytest.mark.usefixtures("g")
def test_group_tuple_no_op_identity():
    v = tf.Variable(0)
    w = tf.Variable(0)
    grp = tf.group(tf.assign_add(v, 1), tf.assign_add(w, 2), name="both")
    a, b = tf.tuple([tf.constant(1), tf.constant(2)])
    nop = tf.no_op(name="nothing")
    ident = tf.identity(tf.constant(5), name="same")
    assert grp.type == "NoOp" and grp.name == "both" and nop.type == "NoOp" and ident.op.type == "Identity"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(grp) is None
        assert sess.run([v, w]) == [1, 2]
        assert sess.run([a, b]) == [1, 2]
        assert sess.run(nop) is None and sess.run(ident) == 5


def test_while_gradients_under_concurrent_runs_of_one_session():
    # The gradient loop reads the forward loop's iterations from TensorLists that are values of
    # the run itself, so threads running one session at once never see each other's iterations.
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [3], name="x")
        n = tf.placeholder(tf.int32, [], name="n")
        _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, tf.sin(y) * 1.5 + y), [0, x])
        (dx,) = tf.gradients(tf.reduce_sum(y), [x])
    sess = tf.Session(graph=g)

    def expected(xv, steps):
        value, grad = xv.copy(), np.ones_like(xv)
        for _ in range(steps):
            grad = grad * (np.cos(value) * 1.5 + 1.0)
            value = np.sin(value) * 1.5 + value
        return value, grad

    failures = []

    def worker(seed):
        rng = np.random.default_rng(seed)
        for _ in range(20):
            xv, steps = rng.standard_normal(3), int(rng.integers(1, 12))
            got = sess.run([y, dx], {x: xv, n: steps})
            want = expected(xv, steps)
            if not (np.allclose(got[0], want[0]) and np.allclose(got[1], want[1])):
                failures.append((seed, steps))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_while_gradient_twice_reuses_the_accumulators_and_is_not_differentiated_again():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float64, [2], name="x")
        _, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, tf.sin(y) * y), [0, x])
        loop = y.op
        (d1,) = tf.gradients(tf.reduce_sum(y), [x])
        n_inputs = len(loop.inputs)
        (d2,) = tf.gradients(tf.reduce_sum(y * y), [x])
        assert len(loop.inputs) == n_inputs  # the values the VJP reads are accumulated once
        assert tf.gradients(tf.reduce_sum(d1), [x]) == [None]  # as before: no second derivative through it
        xv = np.array([0.3, -0.7])
        with tf.Session() as sess:
            got1, got2 = sess.run([d1, d2], {x: xv})

    def f(v):
        for _ in range(3):
            v = np.sin(v) * v
        return v

    eps = 1e-6
    numeric = (f(xv + eps) - f(xv - eps)) / (2 * eps)  # elementwise loop: the Jacobian is diagonal
    np.testing.assert_allclose(got1, numeric, rtol=1e-6)
    np.testing.assert_allclose(got2, 2 * f(xv) * numeric, rtol=1e-6)
    print_form = str(loop)  # printing an op never fails
    assert "While" in print_form


# ---- Assert whose data gathers the failing entries: computed only when the check fails ----------------------
def _culprit_check(fusion, monkeypatch, feeds, condition_fed=False):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.float32)
        mask_in = tf.placeholder(tf.float32)
        outside = tf.logical_or(tf.less(mask_in, 0.0), tf.greater(mask_in, 1.0))
        ok = tf.placeholder(tf.bool) if condition_fed else tf.logical_not(tf.reduce_any(outside))
        check = tf.Assert(ok, ["Labels must be in range [0, 1]; these labels are not:",
                               tf.gather_nd(labels, tf.where(outside)), "end"], summarize=10)
        with tf.control_dependencies([check]):
            out = tf.identity(labels)
        with tf.Session() as sess:
            fed = {labels: feeds[0], mask_in: feeds[1], **({ok: feeds[2]} if condition_fed else {})}
            try:
                value = sess.run(out, fed)
            except tf.errors.InvalidArgumentError as e:
                return type(e), str(e).split("\n")[0]
            return value.tolist(), [st[5].type for st in next(iter(sess._cache.values())).steps]


@pytest.mark.parametrize("case", ["pass", "fail", "pass_2d", "fail_2d", "other_shapes", "bad_gather"])
def test_assert_naming_culprits_gathers_them_only_on_failure(case, monkeypatch):
    x = np.array([0.5, 0.0, 1.0], np.float32)
    bad = np.array([0.5, 3.0, -1.0], np.float32)
    feeds = {"pass": (x, x), "fail": (bad, bad), "pass_2d": (x.reshape(3, 1), x.reshape(3, 1)),
             "fail_2d": (bad.reshape(3, 1), bad.reshape(3, 1)),
             "other_shapes": (np.stack([x, x], 1), bad),  # rows of a matrix where a vector fails
             "bad_gather": (np.zeros(1, np.float32), np.array([0.5, 0.5, 7.0], np.float32), True)}[case]
    fused = _culprit_check(True, monkeypatch, feeds, condition_fed=case == "bad_gather")
    unfused = _culprit_check(False, monkeypatch, feeds, condition_fed=case == "bad_gather")
    if case.startswith("pass"):
        assert fused[0] == unfused[0]
        assert "Where" in unfused[1] and "GatherNd" in unfused[1]
        assert "Where" not in fused[1] and "GatherNd" not in fused[1]
    else:
        assert fused == unfused and fused[0] is tf.errors.InvalidArgumentError
    if case == "fail":
        assert "these labels are not:] [3.0 -1.0] [end]" in fused[1]
    if case == "bad_gather":  # the gather fails although the fed condition holds, fused or not
        assert "GatherNd" in fused[1] or "index" in fused[1]


# ---- Assert on tensors' shapes alone: worked out once per distinct set of shapes -----------------------------
def _shape_check(fusion, monkeypatch, runs, feed_shape=False, extra_reader=False):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        labels = tf.placeholder(tf.float32)
        logits = tf.placeholder(tf.float32)
        labels_shape = tf.shape(labels)
        expected = tf.concat([tf.shape(logits)[:-1], [1]], axis=0)
        check = tf.Assert(tf.reduce_all(tf.equal(expected, labels_shape)),
                          ["labels shape must be [D0, D1, ... DN, 1]. ", "expected_labels_shape: ", expected,
                           "labels_shape: ", labels_shape], summarize=10)
        with tf.control_dependencies([check]):
            out = tf.identity(labels)
        fetches = [out, expected * 2] if extra_reader else [out]
        results = []
        with tf.Session() as sess:
            for lab, log in runs:
                fed = {labels: lab, logits: log}
                if feed_shape:
                    fed[labels_shape] = np.array([len(lab), 1], np.int32)
                try:
                    results.append([v.tolist() for v in sess.run(fetches, fed)])
                except tf.errors.InvalidArgumentError as e:
                    results.append((type(e), str(e).split("\n")[0]))
            steps = [st[5].type for p in sess._cache.values() for st in p.steps]
    return results, steps


@pytest.mark.parametrize("variant", ["plain", "fed_shape", "extra_reader"])
def test_shape_check_assert_is_one_step_with_the_unfused_results(variant, monkeypatch):
    ones = np.ones
    runs = [(ones((4, 1)), ones((4, 3))), (ones((4, 2)), ones((4, 3))), (ones((4, 1)), ones((4, 3))),
            (ones((7, 1)), ones((7, 2))), (ones((3, 1)), ones((5, 2))), (ones((2, 2, 1)), ones((2, 2, 3)))]
    kwargs = {"feed_shape": variant == "fed_shape", "extra_reader": variant == "extra_reader"}
    fused, fused_steps = _shape_check(True, monkeypatch, runs, **kwargs)
    unfused, unfused_steps = _shape_check(False, monkeypatch, runs, **kwargs)
    assert fused == unfused
    if variant != "fed_shape":  # (a fed labels shape of [n, 1] passes every run)
        assert fused[1][0] is tf.errors.InvalidArgumentError and "labels_shape: ] [4 2]" in fused[1][1]
        assert "expected_labels_shape: ] [5 1]" in fused[4][1] and fused[5][0] == np.ones((2, 2, 1)).tolist()
    assert "StridedSlice" in unfused_steps and "Shape" in unfused_steps
    if variant == "plain":
        assert "StridedSlice" not in fused_steps and "Shape" not in fused_steps and "Equal" not in fused_steps
    else:  # a fed shape, or a value read outside the check, keeps the ops as steps
        assert "StridedSlice" in fused_steps
