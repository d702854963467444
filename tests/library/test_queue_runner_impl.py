"""tf.train.QueueRunner, add_queue_runner, start_queue_runners with tf.train.Coordinator: threads that
enqueue while the main thread dequeues, and end when the input runs out or a stop is requested.
Every wait is bounded (coord.join's grace period, thread joins with timeouts)."""

import numpy as np
import pytest

import estflow as tf

GRACE = 20


@pytest.mark.usefixtures("g")
def test_four_threads_fill_a_queue_and_every_element_arrives_once():
    epochs = tf.train.limit_epochs(tf.range(25), num_epochs=4)
    q = tf.FIFOQueue(8, tf.int32, shapes=[[]])
    qr = tf.train.QueueRunner(q, [q.enqueue_many([epochs])] * 4)
    tf.train.add_queue_runner(qr)
    assert tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS) == [qr]
    deq = q.dequeue_up_to(7)
    got = []
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        assert len(threads) == 5  # four enqueuers and the one that cancels on stop
        with pytest.raises(tf.errors.OutOfRangeError):
            while True:
                got += sess.run(deq).tolist()
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=GRACE)
    assert sorted(got) == sorted(list(range(25)) * 4)
    assert not any(t.is_alive() for t in threads)


@pytest.mark.usefixtures("g")
def test_stop_request_cancels_threads_blocked_on_a_full_queue():
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])
    tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue(1)] * 2))
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        assert sess.run(q.dequeue_many(2)).tolist() == [1, 1]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=GRACE)
        assert sess.run(q.is_closed())
    assert not any(t.is_alive() for t in threads)


@pytest.mark.usefixtures("g")
def test_an_enqueue_error_reaches_the_coordinator():
    v = tf.Variable(1.0)  # never initialized: the enqueue fails with FailedPrecondition
    q = tf.FIFOQueue(2, tf.float32, shapes=[[]])
    tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue(v + 0.0)]))
    with tf.Session() as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        assert coord.wait_for_stop(GRACE)
        with pytest.raises(tf.errors.FailedPreconditionError):
            coord.join(threads, stop_grace_period_secs=GRACE)


@pytest.mark.usefixtures("g")
def test_without_a_coordinator_the_last_thread_closes_the_queue():
    q = tf.FIFOQueue(10, tf.int64, shapes=[[]])
    source = tf.train.limit_epochs(tf.constant(np.int64(5)), num_epochs=3)
    qr = tf.train.QueueRunner(q, [q.enqueue(source)] * 2)
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        threads = qr.create_threads(sess, start=True)
        for t in threads:
            t.join(GRACE)
        assert not any(t.is_alive() for t in threads) and qr.exceptions_raised == []
        assert sess.run(q.is_closed()) and sess.run(q.dequeue_up_to(10)).tolist() == [5, 5, 5]


@pytest.mark.usefixtures("g")
def test_start_queue_runners_needs_a_session_and_session_close_ends_threads():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue(3)]))
    with pytest.raises(ValueError, match="No default session is registered"):
        tf.train.start_queue_runners()
    sess = tf.Session()
    with sess.as_default():
        threads = tf.train.start_queue_runners()
    sess.close()  # the thread blocked on the full queue is cancelled
    for t in threads:
        t.join(GRACE)
    assert not any(t.is_alive() for t in threads)
