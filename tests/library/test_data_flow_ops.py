"""The queue classes (estflow/library/data_flow_ops.py) at graph-build time; run-time semantics are in
tests/core/test_queue_ops.py."""

import pytest

import estflow as tf


@pytest.mark.usefixtures("g")
def test_queue_properties_and_attrs_are_tf1s():
    q = tf.RandomShuffleQueue(10, 2, [tf.float32, tf.int64], shapes=[[3], []], seed=4, name="rsq")
    assert isinstance(q, tf.QueueBase) and q.dtypes == [tf.float32, tf.int64] and q.names is None
    assert [s.as_list() for s in q.shapes] == [[3], []] and q.name == "rsq"
    op = q.queue_ref.op
    assert op.type == "RandomShuffleQueueV2" and op.get_attr("capacity") == 10
    assert op.get_attr("min_after_dequeue") == 2 and op.get_attr("seed2") == 4
    assert tf.io.RandomShuffleQueue is tf.RandomShuffleQueue and tf.io.QueueBase is tf.QueueBase
    unknown = tf.FIFOQueue(3, tf.int32)
    assert unknown.dequeue().shape.ndims is None and unknown.dequeue_up_to(2).shape.ndims is None


@pytest.mark.usefixtures("g")
def test_enqueue_checks_types_and_counts_when_built():
    q = tf.FIFOQueue(3, [tf.int32, tf.string], shapes=[[], []])
    with pytest.raises(ValueError, match="Expected 2 tensors, got 1"):
        q.enqueue([1])
    with pytest.raises((TypeError, ValueError)):
        q.enqueue([1.5, "a"])
    with pytest.raises(ValueError):
        q.enqueue_many([5, ["a"]])  # enqueue_many needs rank >= 1
    with pytest.raises(NotImplementedError, match="from_list"):
        tf.QueueBase.from_list(0, [q])
