"""tf.train.Supervisor, LooperThread and basic_train_loop (TF1's managed session)."""

import os
import threading
import time

import pytest

import estflow as tf


def _model():
    step = tf.train.get_or_create_global_step()
    w = tf.Variable(0.0, name="w")
    tf.summary.scalar("w_value", w)
    return step, w, tf.group(tf.assign_add(step, 1), tf.assign_add(w, 1.0))


def _events(logdir):
    return [e for f in os.listdir(logdir) if f.startswith("events.out")
            for e in tf.train.summary_iterator(os.path.join(logdir, f))]


def test_managed_session_initializes_saves_summarizes_and_restores(tmp_path):
    with tf.Graph().as_default() as g:
        step, w, train = _model()
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0.1, save_summaries_secs=0.1)
        assert g.finalized and sv.is_chief and sv.global_step is step
        assert sv.init_op in g.get_collection(tf.GraphKeys.INIT_OP) and sv.saver in g.get_collection("savers")
        assert sv.save_path == str(tmp_path / "model.ckpt")
        with sv.managed_session() as sess:
            for _ in range(4):
                sess.run(train)
                time.sleep(0.1)
            assert not sv.should_stop()
            assert sess.run(w) == 4.0
        assert sv.should_stop()
    files = set(os.listdir(tmp_path))
    assert "graph.pbtxt" in files and "checkpoint" in files
    assert tf.train.latest_checkpoint(str(tmp_path)) is not None
    events = _events(tmp_path)
    assert any(e.HasField("graph_def") for e in events) and any(e.HasField("meta_graph_def") for e in events)
    tags = {v.tag for e in events if e.HasField("summary") for v in e.summary.value}
    assert {"w_value", "global_step/sec"} <= tags
    statuses = [e.session_log.status for e in events if e.HasField("session_log")]
    log = tf.summary.SessionLog
    assert statuses[0] == log.START and log.CHECKPOINT in statuses and statuses[-1] == log.STOP
    saved = tf.train.load_variable(str(tmp_path), "w")

    with tf.Graph().as_default():
        step, w, train = _model()
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, summary_op=None)
        with sv.managed_session() as sess:
            assert sess.run(w) == saved  # restored, not initialized
            raise tf.errors.OutOfRangeError(None, None, "input exhausted")  # a clean stop: not raised again


def test_errors_in_the_block_are_raised_after_stopping(tmp_path):
    with tf.Graph().as_default():
        _model()
        sv = tf.train.Supervisor(logdir=None)
        assert sv.summary_writer is None and sv.save_path is None
        with pytest.raises(ValueError, match="boom"), sv.managed_session():
            raise ValueError("boom")
        with pytest.raises(RuntimeError, match="requires a summary writer"):
            sv.summary_computed(None, b"")


def test_looper_thread_and_sv_loop():
    coord = tf.train.Coordinator()
    calls = []
    looper = tf.train.LooperThread.loop(coord, None, target=lambda x: calls.append(x) or time.sleep(0.01), args=(1,))
    time.sleep(0.1)
    coord.request_stop()
    coord.join([looper])
    assert calls and set(calls) == {1} and not looper.is_alive()
    with pytest.raises(ValueError, match="must be a Coordinator"):
        tf.train.LooperThread("coord", 1)
    with pytest.raises(ValueError, match="require that you also pass 'target'"):
        tf.train.LooperThread(tf.train.Coordinator(), 1, args=(1,))

    coord = tf.train.Coordinator()

    def fail():
        raise RuntimeError("looper failed")

    tf.train.LooperThread.loop(coord, 0.01, target=fail)
    with pytest.raises(RuntimeError, match="looper failed"):
        coord.join(stop_grace_period_secs=5)

    with tf.Graph().as_default():
        _model()
        sv = tf.train.Supervisor(logdir=None)
        ticks = []
        with sv.managed_session():
            sv.loop(0.02, ticks.append, args=("tick",))
            time.sleep(0.15)
        assert len(ticks) >= 2 and not any(t.is_alive() for t in threading.enumerate() if isinstance(
            t, tf.train.LooperThread))


def test_basic_train_loop_retries_after_aborted(tmp_path):
    with tf.Graph().as_default():
        step, w, train = _model()
        sv = tf.train.Supervisor(logdir=str(tmp_path), save_model_secs=0, save_summaries_secs=0)
        sessions, aborted = [], []

        def train_step(sess, limit):
            sessions.append(id(sess))
            if not aborted:
                aborted.append(True)
                raise tf.errors.AbortedError(None, None, "preempted")
            if sess.run(train) is None and sess.run(step) >= limit:
                sv.request_stop()

        tf.train.basic_train_loop(sv, train_step, args=(3,))
    assert len(set(sessions)) == 2 and aborted
