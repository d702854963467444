"""SessionRunHook's life cycle through a MonitoredSession: the calls, their order, what each receives."""

import numpy as np
import pytest

import estflow as tf


class _Recorder(tf.train.SessionRunHook):
    def __init__(self, log, name, fetch=None, feed=None, stop_at=None):
        self.log, self.name, self.fetch, self.feed, self.stop_at = log, name, fetch, feed, stop_at
        self.results = []

    def begin(self):
        self.log.append((self.name, "begin", tf.get_default_graph().finalized))

    def after_create_session(self, session, coord):
        self.log.append((self.name, "after_create_session", session.graph.finalized))
        assert isinstance(coord, tf.train.Coordinator)

    def before_run(self, run_context):
        self.log.append((self.name, "before_run"))
        assert isinstance(run_context.original_args, tf.train.SessionRunArgs)
        if self.fetch is None and self.feed is None:
            return None
        return tf.train.SessionRunArgs(self.fetch, feed_dict=self.feed)

    def after_run(self, run_context, run_values):
        self.log.append((self.name, "after_run"))
        assert isinstance(run_values, tf.train.SessionRunValues)
        self.results.append(run_values.results)
        if self.stop_at is not None and len(self.results) >= self.stop_at:
            run_context.request_stop()
            assert run_context.stop_requested

    def end(self, session):
        self.log.append((self.name, "end"))


def test_hook_calls_come_in_tf1s_order_and_each_hook_gets_its_own_fetches(g):
    x = tf.placeholder(tf.float32, [], name="x")
    v = tf.Variable(3.0, name="v")
    x1 = x + 1
    log = []
    a = _Recorder(log, "a", fetch={"v": v, "x2": x * 2})
    b = _Recorder(log, "b", feed={x: 5.0}, stop_at=2)
    with tf.train.MonitoredSession(hooks=[a, b]) as sess:
        assert sess.run(x1) == 6.0
        assert not sess.should_stop()
        assert sess.run(x1) == 6.0
        assert sess.should_stop()
    assert log == [("a", "begin", False), ("b", "begin", False),
                   ("a", "after_create_session", True), ("b", "after_create_session", True),
                   ("a", "before_run"), ("b", "before_run"), ("a", "after_run"), ("b", "after_run"),
                   ("a", "before_run"), ("b", "before_run"), ("a", "after_run"), ("b", "after_run"),
                   ("a", "end"), ("b", "end")]
    assert a.results == [{"v": 3.0, "x2": 10.0}] * 2
    assert b.results == [None, None]
    assert not g.finalized  # the monitored session unfinalizes a graph it found open


def test_a_run_after_a_stop_request_raises(g):
    c = tf.constant(1)
    with tf.train.MonitoredSession(hooks=[_Recorder([], "h", stop_at=1)]) as sess:
        sess.run(c)
        with pytest.raises(RuntimeError, match="should_stop"):
            sess.run(c)


def test_two_feeds_of_one_tensor_are_refused(g):
    x = tf.placeholder(tf.float32, [])
    with tf.train.MonitoredSession(hooks=[_Recorder([], "a", feed={x: 1.0}), _Recorder([], "b", feed={x: 2.0})]) \
            as sess:
        with pytest.raises(RuntimeError, match="Same tensor is fed by two hooks"):
            sess.run(x)
    with tf.train.MonitoredSession(hooks=[_Recorder([], "a", feed={x: 1.0})]) as sess:
        with pytest.raises(RuntimeError, match="by a SessionRunHook and user"):
            sess.run(x, feed_dict={x: 3.0})


def test_a_hooks_run_options_reach_the_run_and_come_back_with_its_metadata(g):
    x = tf.placeholder(tf.float32, [2, 2])
    y = tf.matmul(x, x)

    class Trace(tf.train.SessionRunHook):
        def before_run(self, run_context):
            return tf.train.SessionRunArgs(None, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE))

        def after_run(self, run_context, run_values):
            self.options, self.stats = run_values.options, run_values.run_metadata.step_stats

    hook = Trace()
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        sess.run(y, feed_dict={x: np.ones((2, 2), np.float32)})
    assert hook.options.trace_level == tf.RunOptions.FULL_TRACE
    assert hook.stats.dev_stats and hook.stats.dev_stats[0].node_stats


def test_session_run_args_default_to_no_feed_and_no_options():
    args = tf.train.SessionRunArgs("t")
    assert (args.fetches, args.feed_dict, args.options) == ("t", None, None)
    context = tf.train.SessionRunContext(original_args=args, session=None)
    assert not context.stop_requested
    context.request_stop()
    assert context.stop_requested and context.original_args is args


def test_tf_estimator_reexports_the_hooks_as_tf1_does():
    for name in ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues", "LoggingTensorHook",
                 "StopAtStepHook", "CheckpointSaverHook", "CheckpointSaverListener", "SecondOrStepTimer"]:
        assert getattr(tf.estimator, name) is getattr(tf.train, name)
