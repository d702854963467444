"""tf.ConditionalAccumulator and tf.SparseConditionalAccumulator: TF1's staleness rule, MEAN and SUM,
the blocking take, and state kept per session."""

import threading
import time

import numpy as np
import pytest

import estflow as tf
from estflow.core.registry import apply_op


def test_dense_accumulator_mean_staleness_and_global_step(g):
    acc = tf.ConditionalAccumulator(tf.float32, shape=[2])
    assert isinstance(acc, tf.ConditionalAccumulatorBase)
    assert acc.accumulator_ref.op.type == "ResourceConditionalAccumulator" and acc.name == "conditional_accumulator"
    step, grad = tf.placeholder(tf.int64, []), tf.placeholder(tf.float32, [2])
    apply = acc.apply_grad(grad, local_step=step)
    count, take = acc.num_accumulated(), acc.take_grad(2)
    assert count.op.name == "conditional_accumulator_NumAccumulated" and take.shape.as_list() == [2]
    with tf.Session() as sess:
        sess.run(apply, {grad: [1, 2], step: 0})
        sess.run(apply, {grad: [3, 5], step: 0})
        assert sess.run(count) == 2
        assert sess.run(take).tolist() == [2.0, 3.5]  # the mean; the global step is now 1
        sess.run(apply, {grad: [1, 2], step: 0})  # stale: dropped
        assert sess.run(count) == 0
        sess.run(acc.set_global_step(5))
        sess.run(apply, {grad: [1, 2], step: 4})  # older than 5: dropped
        sess.run(apply, {grad: [1, 2], step: 7})
        assert sess.run(count) == 1
    with tf.Session() as other:  # each session has its own accumulator
        assert other.run(count) == 0


def test_sum_reduction_integers_and_errors(g):
    acc = tf.ConditionalAccumulator(tf.int32, shape=[None], reduction_type="SUM")
    apply = acc.apply_grad(tf.placeholder_with_default([1, 2], [None]), local_step=10)
    apply3 = acc.apply_grad(tf.constant([1, 2, 3]), local_step=10)
    mean_acc = tf.ConditionalAccumulator(tf.int32, reduction_type="MEAN", name="ints")
    m_apply = [mean_acc.apply_grad([3, -3]), mean_acc.apply_grad([4, -4])]
    with tf.Session() as sess:
        sess.run(apply)
        sess.run(apply)
        assert sess.run(acc.take_grad(2)).tolist() == [2, 4]
        sess.run(apply)
        with pytest.raises(tf.errors.InvalidArgumentError, match="Shape mismatch"):
            sess.run(apply3)
        with pytest.raises(tf.errors.InvalidArgumentError, match="num_required must be positive"):
            sess.run(acc.take_grad(0))
        sess.run(m_apply)
        assert sess.run(mean_acc.take_grad(2)).tolist() == [3, -3]  # 7 / 2 and -7 / 2 truncate toward zero
    with pytest.raises(ValueError):
        tf.ConditionalAccumulator(tf.float32, shape=[2]).apply_grad([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reduction_type"):
        tf.ConditionalAccumulator(tf.float32, reduction_type="MAX")


def test_take_waits_for_enough_gradients_and_close_cancels(g):
    acc = tf.ConditionalAccumulator(tf.float64, shape=[])
    apply, take = acc.apply_grad(tf.constant(4.0, tf.float64), local_step=3), acc.take_grad(1)
    sess = tf.Session()
    threading.Thread(target=lambda: (time.sleep(0.2), sess.run(apply))).start()
    assert sess.run(take) == 4.0  # blocked until the other thread's gradient arrived
    failures = []

    def blocked():
        try:
            sess.run(take)
        except tf.errors.CancelledError as e:
            failures.append(e)

    waiter = threading.Thread(target=blocked)
    waiter.start()
    time.sleep(0.2)
    sess.close()
    waiter.join(5)
    assert len(failures) == 1


def test_sparse_accumulator_means_per_row(g):
    acc = tf.sparse.SparseConditionalAccumulator(tf.float32, shape=[4, 2])
    assert tf.SparseConditionalAccumulator is tf.sparse.SparseConditionalAccumulator
    assert acc.accumulator_ref.op.type == "SparseConditionalAccumulator"
    assert acc.accumulator_ref.dtype.name == "string_ref"
    first = acc.apply_grad([1, 3], [[1.0, 2], [3, 4]], grad_shape=[4, 2])
    second = acc.apply_indexed_slices_grad(tf.IndexedSlices(tf.constant([[5.0, 6]]), tf.constant([1], tf.int64),
                                                            tf.constant([4, 2], tf.int64)))
    assert first.type == "SparseAccumulatorApplyGradient" and first.get_attr("has_known_shape") is True
    count, taken = acc.num_accumulated(), acc.take_indexed_slices_grad(2)
    assert count.op.type == "AccumulatorNumAccumulated"
    with tf.Session() as sess:
        sess.run(first)
        sess.run(second)
        assert sess.run(count) == 2
        value = sess.run(taken)
        assert value.indices.tolist() == [1, 3] and value.dense_shape.tolist() == [4, 2]
        assert value.values.tolist() == [[3, 4], [3, 4]]  # row 1: (1,2)+(5,6) over 2; row 3: over 1
        sess.run(acc.set_global_step(3))
        sess.run(first)  # local step 0 < 3: stale
        assert sess.run(count) == 0
        with pytest.raises(tf.errors.InvalidArgumentError, match="Shape mismatch"):
            sess.run(acc.apply_grad([0], [[1.0, 2, 3]], local_step=9))


def test_sparse_sum_with_unknown_shape(g):
    acc = tf.SparseConditionalAccumulator(tf.float64, reduction_type="SUM")
    applies = [acc.apply_grad([2, 0], np.array([1.0, 2.0])), acc.apply_grad([2], np.array([5.0]))]
    indices, values, shape = acc.take_grad(2)
    with tf.Session() as sess:
        sess.run(applies)
        i, v, s = sess.run([indices, values, shape])
    assert i.tolist() == [0, 2] and v.tolist() == [2.0, 6.0] and s.tolist() == [-1]


def round_trip_build():
    """(fetches, feed) for tests/core/test_graph_io_round_trip.py: accumulators, session handles and
    IdentityReader, each fetch ordered after the one before."""
    dense = tf.ConditionalAccumulator(tf.float32, shape=[2], name="dense_acc")
    sparse = tf.SparseConditionalAccumulator(tf.float32, shape=[3, 2], name="sparse_acc")
    grad = tf.placeholder(tf.float32, [2])
    queue = tf.FIFOQueue(4, tf.string, name="work")
    with tf.control_dependencies([queue.enqueue_many([["x", "y"]])]):
        tf.group(queue.close(), name="queue_setup")
    out = []

    def after(make):
        previous = [t for t in out[-1:] if t is not None]
        with tf.control_dependencies(previous):
            out.append(make())

    out.append(dense.apply_grad(grad, local_step=0))
    after(lambda: dense.apply_grad(grad * 3.0, local_step=0))
    after(dense.num_accumulated)
    after(lambda: dense.take_grad(2))
    after(lambda: dense.set_global_step(4))
    after(lambda: sparse.apply_grad([2, 0], [[1.0, 2.0], [3.0, 4.0]], grad_shape=[3, 2]))
    after(sparse.num_accumulated)
    after(lambda: sparse.take_grad(1)[1])
    after(lambda: sparse.set_global_step(2))
    after(lambda: tf.identity(tf.get_session_handle(grad * 2.0)))
    handle = out[-1]
    after(lambda: apply_op("GetSessionTensor", handle, dtype=tf.float32))
    after(lambda: apply_op("DeleteSessionTensor", handle))
    after(lambda: tf.IdentityReader().read(queue)[1])
    return [t for t in out if isinstance(t, tf.Tensor)], {grad: [1.0, 2.0]}
