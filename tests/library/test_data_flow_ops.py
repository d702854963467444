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


@pytest.mark.usefixtures("g")
def test_priority_queue_is_tf1s():
    q = tf.PriorityQueue(4, [tf.string, tf.float32], shapes=[[], [2]])
    assert tf.io.PriorityQueue is tf.PriorityQueue and isinstance(q, tf.QueueBase)
    assert q.dtypes == [tf.int64, tf.string, tf.float32] and [s.as_list() for s in q.shapes] == [[], [], [2]]
    op = q.queue_ref.op
    assert op.type == "PriorityQueueV2" and op.name == "priority_queue" and op.get_attr("capacity") == 4
    assert list(op.get_attr("component_types")) == [tf.string, tf.float32]  # TF's op leaves the priority out
    priority, word, vector = q.dequeue_many(2)
    assert priority.dtype == tf.int64 and priority.shape.as_list() == [2] and vector.shape.as_list() == [2, 2]
    with pytest.raises(ValueError):
        q.enqueue([tf.constant(1, tf.int32), "a", [1.0, 2.0]])  # the priority is int64
    with pytest.raises(TypeError, match="Expected list for 'shapes'"):
        tf.PriorityQueue(4, [tf.string])
    with pytest.raises(ValueError, match="All shapes must be fully defined"):
        tf.PriorityQueue(4, [tf.int32], shapes=[[None]])


@pytest.mark.usefixtures("g")
def test_priority_queue_dequeues_smallest_priority_first_until_closed():
    q = tf.PriorityQueue(10, [tf.string], shapes=[[]])
    fill = q.enqueue_many([[3, 1, 2, 1, -5], ["c", "a1", "b", "a2", "neg"]])
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run(q.size()) == 5
        assert sess.run(q.dequeue()) == [-5, b"neg"]
        priorities, words = sess.run(q.dequeue_many(3))
        assert priorities.tolist() == [1, 1, 2] and words.tolist() == [b"a1", b"a2", b"b"]  # ties: arrival order
        sess.run(q.enqueue([0, "zero"]))
        sess.run(q.close())
        with pytest.raises(tf.errors.CancelledError):
            sess.run(q.enqueue([0, "late"]))
        priorities, words = sess.run(q.dequeue_up_to(5))
        assert priorities.tolist() == [0, 3] and words.tolist() == [b"zero", b"c"]
        with pytest.raises(tf.errors.OutOfRangeError, match="PriorityQueue '_0_priority_queue' is closed"):
            sess.run(q.dequeue())
    with tf.Session() as sess:  # the queue lives in the session: a new one starts empty
        assert sess.run(q.size()) == 0


@pytest.mark.usefixtures("g")
def test_priority_queue_checks_the_priority_is_a_scalar():
    q = tf.PriorityQueue(3, [tf.int32], shapes=[[2]])
    priority = tf.placeholder(tf.int64)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError,
                                             match=r"Shape mismatch in tuple component 0. Expected \[\], got \[2\]"):
        sess.run(q.enqueue([priority, [1, 2]]), {priority: [1, 2]})
