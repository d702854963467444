"""tf.gradients: paths, aggregation, broadcasting, stop_gradient, grad_ys, custom gradients."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.gradients import NotDifferentiable, RegisterGradient, gradients
from estflow.core.indexed_slices import IndexedSlices
from tests.core.gradient_check import check_gradient


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def run(t, feed=None):
    with tf.Session(graph=t.graph if hasattr(t, "graph") else tf.get_default_graph()) as sess:
        return sess.run(t, feed)


def test_square_and_names(g):
    x = tf.placeholder(tf.float32, name="x")
    y = x * x
    (dx,) = gradients(y, [x])
    assert dx.op.name.startswith("gradients/")
    assert run(dx, {x: 3.0}) == 6.0


def test_unconnected_is_none_or_zero(g):
    x = tf.placeholder(tf.float32, shape=[2])
    z = tf.placeholder(tf.float32, shape=[2])
    y = tf.reduce_sum(x * 2.0)
    assert gradients(y, [z]) == [None]
    (dz,) = gradients(y, [z], unconnected_gradients="zero")
    np.testing.assert_array_equal(run(dz, {z: [1.0, 2.0]}), [0.0, 0.0])


def test_paths_are_summed(g):
    x = tf.placeholder(tf.float32, shape=[])
    y = x * 3.0 + x * x + tf.sin(x)
    (dx,) = gradients(y, [x])
    assert run(dx, {x: 2.0}) == pytest.approx(3.0 + 4.0 + np.cos(2.0), rel=1e-6)


def test_several_ys_and_grad_ys(g):
    x = tf.placeholder(tf.float32, shape=[2])
    y1 = x * 2.0
    y2 = x * x
    (dx,) = gradients([y1, y2], [x], grad_ys=[tf.constant([1.0, 0.0]), tf.constant([0.0, 10.0])])
    np.testing.assert_allclose(run(dx, {x: [1.0, 3.0]}), [2.0, 60.0])
    with pytest.raises(ValueError, match="grad_ys"):
        gradients([y1, y2], [x], grad_ys=[None])


def test_broadcasting_is_summed_back_statically_and_dynamically(g):
    a = tf.placeholder(tf.float32, shape=[3, 1])
    b = tf.placeholder(tf.float32, shape=[1, 4])
    da, db = gradients(tf.reduce_sum(a * b), [a, b])
    assert da.shape.as_list() == [3, 1] and db.shape.as_list() == [1, 4]
    p = tf.placeholder(tf.float32, shape=[None, None])
    q = tf.placeholder(tf.float32, shape=[None])
    dp, dq = gradients(tf.reduce_sum(p + q), [p, q])
    out_p, out_q = run([dp, dq], {p: np.ones((2, 3)), q: np.ones(3)})
    np.testing.assert_array_equal(out_p, np.ones((2, 3)))
    np.testing.assert_array_equal(out_q, [2.0, 2.0, 2.0])
    out_p, out_q = run([dp, dq], {p: np.ones((2, 1)), q: np.ones(3)})
    np.testing.assert_array_equal(out_p, [[3.0], [3.0]])


def test_broadcast_gradient_check():
    check_gradient(lambda x, y: x * y + x / (y * y + 1.0), [np.random.rand(3, 1), np.random.rand(1, 4)])
    check_gradient(lambda x, y: x - y, [np.random.rand(2, 3), np.random.rand(3)], none_batch=True)


def test_stop_gradient_and_stop_gradients_argument(g):
    x = tf.placeholder(tf.float32, shape=[])
    y = tf.stop_gradient(x * x) + x
    (dx,) = gradients(y, [x])
    assert run(dx, {x: 5.0}) == 1.0
    h = x * x
    z = h * 2.0
    (dx2,) = gradients(z, [x], stop_gradients=[h])
    assert dx2 is None


def test_gradient_with_respect_to_variables_and_constants(g):
    w = tf.Variable([1.0, 2.0])
    c = tf.constant([1.0, 2.0])
    loss = tf.reduce_sum(w * w + c * 3.0)
    dw, dc = gradients(loss, [w, c])
    with tf.Session() as sess:
        sess.run(w.initializer)
        np.testing.assert_array_equal(sess.run(dw), [2.0, 4.0])
        np.testing.assert_array_equal(sess.run(dc), [3.0, 3.0])


def test_gather_gives_indexed_slices(g):
    params = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3))
    ids = tf.constant([0, 2, 0])
    loss = tf.reduce_sum(tf.gather(params, ids))
    (dp,) = gradients(loss, [params])
    assert isinstance(dp, IndexedSlices)
    with tf.Session() as sess:
        sess.run(params.initializer)
        value = sess.run(dp)
        np.testing.assert_array_equal(value.indices, [0, 2, 0])
        dense = sess.run(tf.convert_to_tensor(dp))
        np.testing.assert_array_equal(dense[:, 0], [2.0, 0.0, 1.0, 0.0])


def test_two_gathers_aggregate_as_indexed_slices(g):
    params = tf.Variable(np.ones((5, 2), np.float32))
    loss = tf.reduce_sum(tf.gather(params, [1])) + tf.reduce_sum(tf.gather(params, [3, 1]))
    (dp,) = gradients(loss, [params])
    assert isinstance(dp, IndexedSlices)
    with tf.Session() as sess:
        sess.run(params.initializer)
        np.testing.assert_array_equal(sorted(sess.run(dp).indices), [1, 1, 3])


def test_integer_ys_pass_no_gradient_and_complex_ys_need_grad_ys(g):
    x = tf.placeholder(tf.float32, shape=[2])
    assert gradients(tf.argmax(x), [x]) == [None]  # TF1: an integer y seeds no gradient
    assert gradients(tf.cast(x, tf.int32), [x]) == [None]
    z = tf.cast(x, tf.complex64)
    with pytest.raises(TypeError, match="must set grad_ys"):
        gradients(z, [x])


def test_missing_gradient_rule_is_a_lookup_error(g):
    x = tf.placeholder(tf.float32, shape=[2])
    y = tf.reduce_sum(tf.cast(tf.argmax(x), tf.float32) + x)
    (dx,) = gradients(y, [x])  # ArgMax is declared non-differentiable: only the x path flows
    np.testing.assert_array_equal(run(dx, {x: [1.0, 2.0]}), [1.0, 1.0])


def test_register_gradient_and_override_map(g):
    @RegisterGradient("TimesTenGrad_test")
    def _times_ten(op, grad):
        return grad * 10.0

    x = tf.placeholder(tf.float32, shape=[])
    with g.gradient_override_map({"Identity": "TimesTenGrad_test"}):
        y = tf.identity(x)
    (dx,) = gradients(y, [x])
    assert run(dx, {x: 1.0}) == 10.0
    with pytest.raises(KeyError, match="Registering two gradient"):
        RegisterGradient("TimesTenGrad_test")(_times_ten)


def test_not_differentiable_stops_flow():
    NotDifferentiable("Erfc")
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, shape=[])
        (dx,) = gradients(tf.math_erfc(x) if hasattr(tf, "math_erfc") else tf.erfc(x), [x])
    assert dx is None
    from estflow.core import gradients as gmod

    del gmod._custom_gradients["Erfc"]


def test_same_static_shapes_can_still_broadcast_at_run_time(g):
    # [?, 3] + [?, 3] fed [1, 3] and [4, 3]: the first input was stretched along its unknown dim,
    # so its gradient must be summed back to [1, 3] even though the static shapes are equal.
    a = tf.placeholder(tf.float32, shape=[None, 3])
    b = tf.placeholder(tf.float32, shape=[None, 3])
    da, db = gradients(tf.reduce_sum(a * b), [a, b])
    out_a, out_b = run([da, db], {a: np.ones((1, 3)), b: np.full((4, 3), 2.0)})
    np.testing.assert_array_equal(out_a, np.full((1, 3), 8.0))
    np.testing.assert_array_equal(out_b, np.ones((4, 3)))


def test_no_summing_ops_where_no_broadcast_is_possible(g):
    x = tf.placeholder(tf.float32, shape=[None, 4])
    w = tf.Variable(np.ones((4, 2), np.float32))
    b = tf.Variable(np.zeros(2, np.float32))
    loss = tf.reduce_mean(tf.matmul(x, w) + b)
    dw, db = gradients(loss, [w, b])
    types = {op.type for op in g.get_operations() if op.name.startswith("gradients/")}
    assert "BroadcastGradientArgs" not in types  # [?,4]x[4,2] never broadcasts; [?,2] + [2] sums statically
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        out_w, out_b = sess.run([dw, db], {x: np.ones((5, 4))})
    np.testing.assert_allclose(out_w, np.full((4, 2), 0.5))
    np.testing.assert_allclose(out_b, [0.5, 0.5])


# ---- aggregation_method, colocate_gradients_with_ops (TF1's arguments act) ----------------------
def _three_paths(x):
    return x * 2.0 + x * 3.0 + x * 4.0  # three gradients reach x


def _addn_arities(graph):
    return sorted(len(op.inputs) for op in graph.get_operations() if op.type == "AddN")


@pytest.mark.parametrize("method,arities", [(None, [3]), (tf.AggregationMethod.ADD_N, [3]),
                                            (tf.AggregationMethod.EXPERIMENTAL_TREE, [2, 2]),
                                            (tf.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N, [3])])
def test_aggregation_methods_build_tf1s_sums(g, method, arities):
    x = tf.constant([1.0, 2.0])
    dx, = gradients(_three_paths(x), [x], aggregation_method=method)
    assert _addn_arities(g) == arities
    np.testing.assert_allclose(run(dx), [9.0, 9.0])


def test_accumulate_n_sums_pairwise_for_partial_shapes_as_tf1(g):
    x = tf.placeholder(tf.float32, [None])
    dx, = gradients(_three_paths(x), [x], aggregation_method=tf.AggregationMethod.EXPERIMENTAL_ACCUMULATE_N)
    assert _addn_arities(g) == [2, 2]
    np.testing.assert_allclose(run(dx, {x: [1.0]}), [9.0])


def test_unknown_aggregation_method_is_refused(g):
    x = tf.constant(1.0)
    with pytest.raises(ValueError, match="Invalid aggregation_method specified 7"):
        gradients(x * x, [x], aggregation_method=7)
    with pytest.raises(ValueError, match="Invalid aggregation_method"):
        tf.train.GradientDescentOptimizer(0.1).compute_gradients(tf.Variable(1.0) * 2.0, aggregation_method="x")


def test_colocate_gradients_with_ops_places_gradients_beside_their_ops(g):
    with tf.device("/cpu:0"):
        x = tf.constant([1.0, 2.0], name="x")
        y = tf.square(x, name="y")
    plain, = gradients(y, [x], name="plain")
    coloc, = gradients(y, [x], name="coloc", colocate_gradients_with_ops=True)
    assert plain.op.device == "" and plain.op._colocation is None
    assert coloc.op._colocation is y.op and coloc.op.device == y.op.device
    node = {n.name: n for n in g.as_graph_def().node}[coloc.op.name]
    assert list(node.attr["_class"].list.s) == [b"loc:@y"]
    np.testing.assert_allclose(run(coloc), [2.0, 4.0])


def test_a_possible_run_time_broadcast_is_summed_with_tfs_ops(g):
    # TF's own pattern, so the graph exports to TensorFlow: Shape, BroadcastGradientArgs, Sum, Reshape.
    a = tf.placeholder(tf.float32, shape=[None, 3], name="a")
    b = tf.placeholder(tf.float32, shape=[None, 3], name="b")
    da, db = gradients(tf.reduce_sum(a * b), [a, b])
    assert da.op.type == "Reshape" and da.shape.as_list() == [None, 3]
    summed, shape = da.op.inputs
    assert summed.op.type == "Sum" and shape.op.type == "Shape" and shape.op.inputs[0] is a
    assert summed.op.inputs[1].op.type == "BroadcastGradientArgs"
    with tf.Session() as sess:
        out_a, out_b = sess.run([da, db], {a: np.ones((1, 3)), b: np.full((4, 3), 2.0)})
        np.testing.assert_array_equal(out_a, np.full((1, 3), 8.0))
        np.testing.assert_array_equal(out_b, np.ones((4, 3)))
        # both shapes vary between runs: the reduction is decided per run
        out_a, out_b = sess.run([da, db], {a: np.full((2, 3), 3.0), b: np.full((1, 3), 2.0)})
        np.testing.assert_array_equal(out_a, np.full((2, 3), 2.0))
        np.testing.assert_array_equal(out_b, np.full((1, 3), 6.0))
