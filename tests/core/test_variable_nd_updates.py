"""scatter_nd_update / _add / _sub on TF1 ref variables, batch_scatter_update and count_up_to
(expected values from TF 2.15.1)."""

import numpy as np
import pytest

import estflow as tf


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_scatter_nd_update_writes_in_place_and_returns_the_ref(g):
    v = tf.Variable([[1, 2, 3], [4, 5, 6]])
    out = tf.scatter_nd_update(v, [[1, 1], [0, 2]], [50, 30])
    assert out.op.type == "ScatterNdUpdate" and out.dtype.name == "int32_ref"
    assert out.op.get_attr("use_locking") is True
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out).tolist() == [[1, 2, 30], [4, 50, 6]]
        assert sess.run(v).tolist() == [[1, 2, 30], [4, 50, 6]]


def test_scatter_nd_add_and_sub_accumulate_repeats(g):
    w = tf.Variable(np.zeros((2, 3), np.float32))
    added = tf.scatter_nd_add(w, [[0, 1], [0, 1], [1, 2]], [1.0, 2.0, 3.0])
    assert added.op.get_attr("use_locking") is False
    rows = tf.Variable(np.ones((3, 2), np.float32))
    sub = tf.scatter_nd_sub(rows, [[2], [0], [2]], [[1.0, 2.0], [3.0, 4.0], [0.5, 0.5]])
    a, b = _run([added, sub])
    assert a.tolist() == [[0, 3, 0], [0, 0, 3]]
    assert b.tolist() == [[-2, -3], [1, 1], [-0.5, -1.5]]


def test_scatter_nd_checks_shapes_indices_and_refs(g):
    v = tf.Variable([1.0, 2.0])
    with pytest.raises(ValueError, match="updates.shape"):
        tf.scatter_nd_update(v, [[0]], [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not index"):
        _run(tf.scatter_nd_add(v, tf.placeholder_with_default([[5]], [1, 1]), [1.0]))
    with pytest.raises(TypeError, match="ref variable"):
        tf.scatter_nd_update(tf.constant([1.0]), [[0]], [2.0])


def test_batch_scatter_update_writes_one_row_per_batch_entry(g):
    v = tf.Variable([[1, 2, 3], [4, 5, 6]])
    out = tf.batch_scatter_update(v, [[0], [2]], [[10], [60]])
    assert out.op.type == "ScatterNdUpdate" and out.op.name.startswith("BatchScatterUpdate/")
    assert _run(out).tolist() == [[10, 2, 3], [4, 5, 60]]
    cube = tf.Variable(np.zeros((2, 2, 3), np.int32))
    deep = tf.batch_scatter_update(cube, [[[1], [0]], [[2], [1]]], [[[7], [8]], [[9], [6]]])
    assert _run(deep).tolist() == [[[0, 7, 0], [8, 0, 0]], [[0, 0, 9], [0, 6, 0]]]
    with pytest.raises(ValueError, match="unknown shape"):
        tf.batch_scatter_update(v, tf.placeholder(tf.int32), [[1]])


def test_count_up_to_counts_then_raises(g):
    c = tf.Variable(0, dtype=tf.int64)
    step = tf.count_up_to(c, 2)
    assert step.op.type == "CountUpTo" and step.dtype == tf.int64
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert [sess.run(step), sess.run(step)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
            sess.run(step)
    with pytest.raises(TypeError, match="int32, int64"):
        tf.count_up_to(tf.Variable(0.0), 3)
