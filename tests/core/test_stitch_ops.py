"""DynamicStitch, TensorScatterMax and TensorScatterMin (values and gradients from TF 2.15.1's),
and the shared stand-in and round-trip builders for this branch's new ops."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import stitch_ops
from estflow.core.registry import registered_ops
from tests.core.gradient_check import check_gradient


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_dynamic_stitch_places_slices_and_the_last_writer_wins(g):
    merged = tf.dynamic_stitch([[0, 2], [1, 2]], [[10, 30], [20, 99]])
    rows = tf.dynamic_stitch([tf.constant([[1], [0]]), tf.constant(3)],
                             [tf.constant([[[1.0, 2]], [[3, 4]]]), tf.constant([5.0, 6])])
    assert merged.shape.as_list() == [3] and rows.shape.as_list() == [4, 2]
    assert merged.op.type == "DynamicStitch" and merged.op.name == "DynamicStitch"
    a, b = _run([merged, rows])
    assert a.tolist() == [10, 20, 99]
    assert b.tolist() == [[3, 4], [1, 2], [0, 0], [5, 6]]  # slot 2: never written


def test_dynamic_stitch_unknown_indices_and_errors(g):
    idx = tf.placeholder(tf.int32, [None])
    out = tf.dynamic_stitch([idx], [tf.constant([1.0, 2.0])])
    assert out.shape.as_list() == [None]
    assert _run(out, {idx: [1, 0]}).tolist() == [2.0, 1.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative"):
        _run(out, {idx: [-1, 0]})
    with pytest.raises(ValueError, match="must start with the shape"):
        tf.dynamic_stitch([[0, 1]], [[1.0, 2.0, 3.0]])
    with pytest.raises(TypeError, match="int32"):
        tf.dynamic_stitch([tf.constant([0], tf.int64)], [[1.0]])


def test_dynamic_stitch_gradient_gathers_for_every_writer(g):
    d, e = tf.placeholder(tf.float32, [2]), tf.placeholder(tf.float32, [2])
    stitched = tf.dynamic_stitch([[0, 2], [1, 2]], [d, e])
    grads = tf.gradients(stitched, [d, e], grad_ys=[tf.constant([1.0, 2, 3])])
    gd, ge = _run(grads, {d: [1, 2], e: [3, 4]})
    assert gd.tolist() == [1, 3] and ge.tolist() == [2, 3]  # TF's: the overwritten slice gets one too


def test_tensor_scatter_nd_max_and_min(g):
    mx = tf.tensor_scatter_nd_max([[1.0, 5], [2, 2]], [[0, 1], [1, 0], [0, 1]], [4.0, 3, 7])
    mn = tf.tensor_scatter_nd_min([[1.0, 5], [2, 2]], [[1]], [[0.0, 9]])
    ints = tf.tensor_scatter_nd_max(tf.constant([1, 5, 2], tf.int64), [[0], [1]], tf.constant([4, 3], tf.int64))
    assert (mx.op.type, mn.op.type) == ("TensorScatterMax", "TensorScatterMin")
    a, b, c = _run([mx, mn, ints])
    assert a.tolist() == [[1, 7], [3, 2]] and b.tolist() == [[1, 5], [0, 2]] and c.tolist() == [4, 5, 2]
    with pytest.raises(ValueError, match="must match"):
        tf.tensor_scatter_nd_max([[1.0, 5]], [[0]], [[1.0, 2, 3]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not index"):
        _run(tf.tensor_scatter_nd_min([1.0], tf.placeholder_with_default([[3]], [1, 1]), [2.0]))


def test_tensor_scatter_max_gradient_splits_ties_as_tf(g):
    x, u = tf.placeholder(tf.float32, [2, 2]), tf.placeholder(tf.float32, [3])
    m = tf.tensor_scatter_nd_max(x, [[0, 1], [1, 0], [0, 1]], u)
    gx, gu = _run(tf.gradients(m, [x, u], grad_ys=[tf.constant([[1.0, 2], [3, 4]])]),
                  {x: [[1, 5], [2, 2]], u: [4, 3, 5]})
    assert gx.tolist() == [[1, 1], [0, 4]] and gu.tolist() == [0, 3, 1]  # TF 2.15.1's values


GRADIENT_CASES = {
    "DynamicStitch": (lambda a, b: tf.dynamic_stitch([[0, 3], [1, 2]], [a, b]), [(2, 3), (2, 3)]),
    "TensorScatterMax": (lambda t, u: tf.tensor_scatter_nd_max(t, [[1], [3]], u), [(4, 3), (2, 3)]),
    "TensorScatterMin": (lambda t, u: tf.tensor_scatter_nd_min(t, [[0, 1], [2, 2]], u), [(3, 3), (2,)]),
}


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
def test_gradients(label):
    build, shapes = GRADIENT_CASES[label]
    rng = np.random.default_rng(3)
    check_gradient(build, [rng.standard_normal(s) for s in shapes], label=label)  # no ties: distinct randoms


def test_every_op_here_is_gradient_checked():
    ops = {n for n, d in registered_ops().items() if getattr(d.kernel, "__module__", "") == stitch_ops.__name__}
    assert ops == set(GRADIENT_CASES)


# ---- shared with tests/core/test_devices.py and test_graph_io_round_trip.py ------------------------------
def standin_case(f):
    """This branch's new GPU-capable ops (stitch, tensor scatter max/min, scatter_nd updates,
    SparseMatMul, GuaranteeConst, Conv and the V2 conv backprops) on fed inputs."""
    rng = np.random.default_rng(0)
    x = f(rng.standard_normal((2, 5, 5, 4)).astype(np.float32))
    w = f(rng.standard_normal((3, 3, 4, 6)).astype(np.float32))
    dy = f(rng.standard_normal((2, 5, 5, 6)).astype(np.float32))
    v = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3), name="nd")
    i = tf.Variable(np.arange(6, dtype=np.int64).reshape(2, 3), name="nd_int")
    outs = [tf.dynamic_stitch([f(np.array([0, 2], np.int32)), f(np.array([[1], [2]], np.int32))],
                              [f(np.ones((2, 3), np.float32)), f(np.full((2, 1, 3), 2.0, np.float32))]),
            tf.tensor_scatter_nd_max(f(np.zeros((3, 2))), f(np.array([[1], [1]], np.int32)), f(-np.ones((2, 2)))),
            tf.tensor_scatter_nd_min(f(np.zeros(4, np.int64)), f(np.array([[3], [0]], np.int64)),
                                     f(np.array([-5, 7], np.int64))),
            tf.scatter_nd_update(v, f(np.array([[1], [3]], np.int32)), f(np.full((2, 3), 9.0, np.float32))),
            tf.scatter_nd_add(i, f(np.array([[0, 1], [0, 1]], np.int32)), f(np.array([5, 6], np.int64))),
            tf.scatter_nd_sub(v, f(np.array([[2, 2]], np.int64)), f(np.array([1.5], np.float32))),
            tf.sparse_matmul(f(np.ones((2, 3), np.float32)), f(np.ones((2, 3), np.float32)), transpose_b=True),
            tf.guarantee_const(f(np.array([1, 2]))),
            tf.conv(x, w, [1, 1, 1, 1], "SAME"), tf.conv(x, w[:, :, :2], [1, 2, 2, 1], "VALID", groups=2),
            tf.conv2d_backprop_input_v2(x, w, dy, [1, 1, 1, 1], "SAME"),
            tf.conv2d_backprop_filter_v2(x, w, dy, [1, 1, 1, 1], "SAME")]
    return outs


def round_trip_build():
    """(fetches, feed) for the GraphDef round trip: every op type this branch adds."""
    feeds = {}

    def f(value, dtype=None):
        value = np.asarray(value, dtype=dtype)
        p = tf.placeholder(tf.as_dtype(value.dtype), value.shape)
        feeds[p] = value
        return p

    outs = standin_case(f)
    sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], f([1.0, -2.0, 3.0]), [2, 3])
    outs += [tf.sparse_reduce_max(sp, 1), tf.sparse_reduce_max_sparse(sp, 0), tf.sparse_reduce_sum_sparse(sp, 1),
             tf.sparse.bincount(f(np.array([[3, 1, 1], [5, 0, 0]])), axis=-1),
             tf.sparse.bincount(tf.SparseTensor([[0, 1], [1, 0]], f(np.array([2, 4])), [2, 3]), axis=-1)]
    counter = tf.Variable(0, name="counter")
    outs.append(tf.count_up_to(counter, 5))
    return outs, feeds
