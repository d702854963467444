"""Scaffold, SessionManager, the session creators and the monitored sessions (TF1's contracts)."""

import gc
import logging
import os
import weakref

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors


def _linear(g):
    """A one-weight regression trained by gradient descent, with its global step and a loss summary."""
    step = tf.train.get_or_create_global_step()
    w = tf.get_variable("w", [], initializer=tf.constant_initializer(0.0))
    loss = tf.square(w * 2.0 - 6.0)
    tf.summary.scalar("loss", loss)
    train = tf.train.GradientDescentOptimizer(0.05).minimize(loss, global_step=step)
    return step, w, loss, train


def test_scaffold_finalize_builds_tf1s_defaults_and_finalizes_the_graph(g):
    _linear(g)
    scaffold = tf.train.Scaffold().finalize()
    assert g.finalized
    assert scaffold.init_op.type == "NoOp" and scaffold.init_op is g.get_collection(tf.GraphKeys.INIT_OP)[0]
    assert scaffold.ready_op.dtype == tf.string and scaffold.ready_for_local_init_op.dtype == tf.string
    assert scaffold.local_init_op is g.get_collection(tf.GraphKeys.LOCAL_INIT_OP)[0]
    assert scaffold.summary_op is g.get_collection(tf.GraphKeys.SUMMARY_OP)[0]
    assert scaffold.saver is g.get_collection(tf.GraphKeys.SAVERS)[0]
    assert scaffold.saver.saver_def.sharded
    with tf.Session(graph=g) as sess:
        assert list(sess.run(scaffold.ready_op)) == [b"global_step", b"w"]
        sess.run(scaffold.init_op)
        assert sess.run(scaffold.ready_op).size == 0


def test_scaffold_copies_what_it_is_not_given_and_calls_init_fn_with_itself(g):
    _linear(g)
    seen = []
    base = tf.train.Scaffold(init_fn=lambda scaffold, sess: seen.append(scaffold), init_feed_dict={"a": 1})
    copy = tf.train.Scaffold(copy_from_scaffold=base, summary_op=tf.constant("s"))
    assert copy.init_feed_dict == {"a": 1} and copy.summary_op is not None
    copy.init_fn("session")
    assert seen == [copy]
    with pytest.raises(TypeError, match="copy_from_scaffold is not a Scaffold"):
        tf.train.Scaffold(copy_from_scaffold=object())


def test_scaffold_refuses_a_collection_with_two_candidates(g):
    _linear(g)
    tf.add_to_collection(tf.GraphKeys.SAVERS, tf.train.Saver())
    tf.add_to_collection(tf.GraphKeys.SAVERS, tf.train.Saver())
    with pytest.raises(RuntimeError, match=r"tf.Scaffold\(saver=item to use\)"):
        tf.train.Scaffold().finalize()


def test_session_manager_initializes_then_restores_the_latest_checkpoint(g, tmp_path):
    step, w, _, _ = _linear(g)
    init = tf.global_variables_initializer()
    set_w = tf.assign(w, 4.0)
    saver = tf.train.Saver()
    manager = tf.train.SessionManager(ready_op=tf.report_uninitialized_variables())
    sess = manager.prepare_session("", init_op=init, saver=saver, checkpoint_dir=str(tmp_path))
    sess.run(set_w)
    saver.save(sess, str(tmp_path / "model.ckpt"), global_step=3)
    sess = manager.prepare_session("", init_op=None, saver=saver, checkpoint_dir=str(tmp_path))
    assert sess.run(w) == 4.0
    restored, ready = manager.recover_session("", saver=saver, checkpoint_dir=str(tmp_path))
    assert ready and restored.run(w) == 4.0
    empty, ready = manager.recover_session("", saver=saver, checkpoint_dir=str(tmp_path / "none"))
    assert not ready
    with pytest.raises(RuntimeError, match="no init_op or init_fn or local_init_op"):
        manager.prepare_session("", saver=saver, checkpoint_dir=str(tmp_path / "none"))
    with pytest.raises(RuntimeError, match="did not make model ready.*Variables not initialized: global_step, w"):
        manager.prepare_session("", init_op=tf.no_op())
    with pytest.raises(ValueError, match="must also pass a local_init_op"):
        tf.train.SessionManager(ready_for_local_init_op=tf.report_uninitialized_variables())


def test_worker_session_creator_waits_for_a_ready_model(g):
    _linear(g)
    with pytest.raises(errors.DeadlineExceededError, match="not ready after waiting 0 secs"):
        tf.train.WorkerSessionCreator(max_wait_secs=0).create_session()
    g._unsafe_unfinalize()
    with tf.Graph().as_default():  # a model with nothing to initialize is ready at once
        tf.constant(1)
        assert tf.train.WorkerSessionCreator(max_wait_secs=0).create_session().run("Const:0") == 1


def test_monitored_training_session_installs_tf1s_default_hooks_on_the_chief(g, tmp_path):
    _linear(g)
    kinds = lambda s: [type(h).__name__ for h in s._hooks]  # noqa: E731
    extra = tf.train.StopAtStepHook(last_step=1)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), hooks=[extra],
                                           chief_only_hooks=[tf.train.FinalOpsHook(None)]) as sess:
        assert kinds(sess) == ["FinalOpsHook", "StepCounterHook", "SummarySaverHook", "CheckpointSaverHook",
                               "StopAtStepHook"]
        assert sess._hooks[3]._timer._every_secs == 600 and sess._hooks[2]._timer._every_steps == 100
        assert sess._hooks[1]._timer._every_steps == 100
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), log_step_count_steps=None,
                                           save_summaries_steps=None, save_checkpoint_secs=None) as sess:
        assert kinds(sess) == []
    # A worker never initializes nor restores: it waits for the chief, here in vain.
    with pytest.raises(errors.DeadlineExceededError):
        tf.train.MonitoredTrainingSession(is_chief=False, checkpoint_dir=str(tmp_path), hooks=[extra], max_wait_secs=0)


def test_training_resumes_from_the_checkpoint_laid_out_as_tf_lays_it_out(g, tmp_path):
    step, w, loss, train = _linear(g)
    d = str(tmp_path)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=d, save_checkpoint_steps=10, save_summaries_steps=5,
                                           log_step_count_steps=5,
                                           hooks=[tf.train.StopAtStepHook(last_step=25)]) as sess:
        while not sess.should_stop():
            sess.run(train)
    names = set(os.listdir(d))
    for n in (0, 10, 20, 25):
        assert {f"model.ckpt-{n}.index", f"model.ckpt-{n}.meta", f"model.ckpt-{n}.data-00000-of-00001"} <= names
    assert "graph.pbtxt" in names and "checkpoint" in names
    state = tf.train.get_checkpoint_state(d)
    assert os.path.basename(state.model_checkpoint_path) == "model.ckpt-25"
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == \
        ["model.ckpt-0", "model.ckpt-10", "model.ckpt-20", "model.ckpt-25"][-5:]
    w25 = tf.train.load_variable(d, "w")
    [events] = [f for f in names if f.startswith("events.out.tfevents")]
    tf.summary.FileWriterCache.get(d).flush()
    read = list(tf.train.summary_iterator(os.path.join(d, events)))
    tags = {(e.step, v.tag) for e in read for v in e.summary.value}
    assert {(1, "loss"), (6, "loss"), (21, "loss"), (11, "global_step/sec"), (21, "global_step/sec")} <= tags
    assert any(e.HasField("graph_def") for e in read) and any(e.HasField("meta_graph_def") for e in read)
    # Resumed: the step and the weight come back from model.ckpt-25, and training goes on to 30.
    with tf.train.MonitoredTrainingSession(checkpoint_dir=d, hooks=[tf.train.StopAtStepHook(last_step=30)]) as sess:
        first = sess.run([step, w])
        while not sess.should_stop():
            sess.run(train)
    assert first[0] == 25 and first[1] == pytest.approx(w25)
    assert os.path.basename(tf.train.latest_checkpoint(d)) == "model.ckpt-30"


def test_out_of_range_from_the_input_ends_training_cleanly_with_a_final_checkpoint(g, tmp_path):
    step = tf.train.get_or_create_global_step()
    batch = tf.data.Dataset.range(7).make_one_shot_iterator().get_next()
    train = tf.group(tf.assign_add(step, 1), batch)
    ends = []

    class End(tf.train.SessionRunHook):
        def end(self, session):
            ends.append(int(session.run(step)))

    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), hooks=[End()]) as sess:
        while not sess.should_stop():
            sess.run(train)
        pytest.fail("the OutOfRangeError should have left the with block")
    assert sess.should_stop()
    assert ends == [7]
    assert os.path.basename(tf.train.latest_checkpoint(str(tmp_path))) == "model.ckpt-7"


def test_other_errors_propagate_and_skip_the_hooks_end(g):
    x = tf.placeholder(tf.float32, [])
    check = tf.Assert(x > 0, [x])
    ends = []

    class End(tf.train.SessionRunHook):
        def end(self, session):
            ends.append(True)

    with pytest.raises(errors.InvalidArgumentError):
        with tf.train.MonitoredSession(hooks=[End()]) as sess:
            sess.run(check, feed_dict={x: -1.0})
    assert ends == []


def test_run_step_fn_runs_raw_or_with_hooks_and_can_stop(g):
    step = tf.train.get_or_create_global_step()
    inc = tf.assign_add(step, 1)
    counted = []

    class Count(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            counted.append(True)

    def step_fn(step_context):
        step_context.session.run(inc)             # no hooks
        value = step_context.run_with_hooks(inc)  # hooks
        if value >= 4:
            step_context.request_stop()
        return value

    with tf.train.MonitoredSession(hooks=[Count()]) as sess:
        values = []
        while not sess.should_stop():
            values.append(sess.run_step_fn(step_fn))
    assert values == [2] and len(counted) == 2
    with tf.train.MonitoredSession() as sess:
        with pytest.raises(ValueError, match="step_context"):
            sess.run_step_fn(lambda ctx: None)


def test_monitored_session_recreates_its_session_after_an_aborted_error(g, tmp_path, caplog):
    step, w, _, train = _linear(g)
    calls = []

    class Abort(tf.train.SessionRunHook):
        def before_run(self, run_context):
            calls.append(True)
            if len(calls) == 3:
                raise errors.AbortedError(None, None, "preempted")

    saver_hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1)
    creator = tf.train.ChiefSessionCreator(checkpoint_dir=str(tmp_path))
    caplog.set_level(logging.INFO, logger="tensorflow")
    with tf.train.MonitoredSession(session_creator=creator, hooks=[saver_hook, Abort()]) as sess:
        assert [sess.run(train) for _ in range(3)] == [None] * 3
        assert sess.run(step) == 3  # step 2 restored from model.ckpt-2, then the retried step
    assert any("may be due to a preemption" in m for m in caplog.messages)
    with tf.train.SingularMonitoredSession(hooks=[Abort()]) as sess:
        calls.clear()
        sess.run(step)
        sess.run(step)
        with pytest.raises(errors.AbortedError):
            sess.run(step)
        assert isinstance(sess.raw_session(), tf.Session)


def test_close_twice_is_refused_and_the_graph_is_unfinalized(g):
    tf.constant(1)
    sess = tf.train.MonitoredSession()
    assert g.finalized
    sess.close()
    assert not g.finalized and sess.should_stop()
    with pytest.raises(RuntimeError, match="already closed"):
        sess.close()


def test_the_same_ops_in_a_plain_session_loop_give_the_same_weight(g):
    step, w, loss, train = _linear(g)
    final = tf.train.FinalOpsHook(w)
    with tf.train.MonitoredTrainingSession(hooks=[tf.train.StopAtStepHook(last_step=20), final]) as sess:
        while not sess.should_stop():
            sess.run(train)
    hooked = final.final_ops_values
    with tf.Session(graph=g) as plain:
        plain.run(tf.global_variables_initializer())
        for _ in range(20):
            plain.run(train)
        assert np.isclose(plain.run(w), hooked)


def test_model_dir_files_and_events_are_laid_out_as_tf_lays_them_out(g, tmp_path):
    # TF 2.15's own run: RunConfig(save_checkpoints_steps=10, save_summary_steps=5, log_step_count_steps=10),
    # 20 steps (../shared/golden/estimator_model_dir/manifest.json, variant v1).
    from tests import SHARED_GOLDEN  # imported here: only this test reads the golden files

    manifest_path = SHARED_GOLDEN / "estimator_model_dir" / "manifest.json"
    if not manifest_path.exists():
        pytest.skip("needs ../shared/golden/estimator_model_dir")
    golden = __import__("json").loads(manifest_path.read_text())["variants"]["v1"]
    _linear(g)
    d = str(tmp_path)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=d, save_checkpoint_steps=10, save_summaries_steps=5,
                                           log_step_count_steps=10,
                                           hooks=[tf.train.StopAtStepHook(num_steps=20)]) as sess:
        while not sess.should_stop():
            sess.run(g.get_operation_by_name("GradientDescent"))
    tf.summary.FileWriterCache.get(d).flush()
    names = sorted(os.listdir(d))
    events_name = next(n for n in names if n.startswith("events.out.tfevents."))
    assert [n.replace(events_name, "events.out.tfevents.<time>.<hostname>") for n in names] == \
        sorted(f["path"] for f in golden["files_after_train"])
    # The Estimator's own Saver writes relative paths; the Scaffold's default Saver, as TF1's, absolute ones.
    assert (tmp_path / "checkpoint").read_text().replace(d + os.sep, "") == golden["checkpoint_file_text"]

    def outline(events):
        """(kind, step) of each event; a summary event by its tags' kind (model summaries or global_step/sec)."""
        out = []
        for kind, step, tags in events:
            if kind == "summary":
                kind = "steps/sec" if tags == ["global_step/sec"] else "model summaries"
            out.append((kind, step))
        return out

    ours = [(e.WhichOneof("what"), e.step, [v.tag for v in e.summary.value])
            for e in tf.train.summary_iterator(os.path.join(d, events_name))]
    theirs = [(e["what"], e["step"], [v["tag"] for v in e.get("values", [])])
              for e in golden["event_files"]["events.out.tfevents.<time>.<hostname>"]["events"]]
    assert outline(ours) == outline(theirs)


def test_coordinator_stops_threads_and_reraises_their_error():
    import threading  # only this test starts threads

    coord = tf.train.Coordinator()
    seen = []

    def worker():
        with coord.stop_on_exception():
            while not coord.should_stop():
                seen.append(1)
                raise ValueError("worker failed")

    threads = [threading.Thread(target=worker)]
    threads[0].start()
    assert coord.wait_for_stop(5.0)
    with pytest.raises(ValueError, match="worker failed"):
        coord.join(threads, stop_grace_period_secs=5)
    assert coord.joined and seen == [1]
    coord.clear_stop()
    assert not coord.should_stop()
    coord.request_stop(errors.OutOfRangeError(None, None, "end of input"))  # a clean stop: nothing to re-raise
    coord.join([])
    coord.raise_requested_exception()


def test_coordinator_reports_only_the_exception_that_requested_the_stop():
    """TF1: after a clean stop, a thread failing on its way out (a closed session) is not re-raised by join()."""
    coord = tf.train.Coordinator()
    coord.request_stop()
    coord.request_stop(errors.CancelledError(None, None, "session closed"))
    coord.request_stop(ValueError("late failure"))
    coord.join([])  # nothing raised
    coord.clear_stop()
    coord.request_stop(ValueError("first"))
    coord.request_stop(ValueError("second"))
    with pytest.raises(ValueError, match="first"):
        coord.join([])


def test_tensorboard_reads_the_training_events(g, tmp_path):
    loader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    _linear(g)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), save_summaries_steps=2,
                                           log_step_count_steps=2,
                                           hooks=[tf.train.StopAtStepHook(last_step=6)]) as sess:
        while not sess.should_stop():
            sess.run(g.get_operation_by_name("GradientDescent"))
    tf.summary.FileWriterCache.get(str(tmp_path)).flush()
    acc = loader.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [e.step for e in acc.Scalars("loss")] == [1, 3, 5]
    assert [e.step for e in acc.Scalars("global_step/sec")] == [3, 5]
    assert acc.Graph().node and acc.MetaGraph().graph_def.node


def test_wait_for_session_logs_what_is_not_ready_and_retries(g, caplog, monkeypatch):
    _linear(g)
    scaffold = tf.train.Scaffold().finalize()
    manager = tf.train.SessionManager(local_init_op=scaffold.local_init_op, ready_op=scaffold.ready_op,
                                      ready_for_local_init_op=scaffold.ready_for_local_init_op,
                                      recovery_wait_secs=0)
    sleeps = []
    monkeypatch.setattr(__import__("time"), "sleep", sleeps.append)
    caplog.set_level(logging.INFO, logger="tensorflow")
    with pytest.raises(errors.DeadlineExceededError):
        manager.wait_for_session("", max_wait_secs=0.05)
    waiting = [m for m in caplog.messages if m.startswith("Waiting for model to be ready")]
    assert waiting and "Variables not initialized: global_step, w" in waiting[0] and sleeps


def test_a_session_creator_without_create_session_names_itself():
    """The base SessionCreator's error names the creator (its message once lacked the f-string)."""
    from estflow.hooks.monitored_session import SessionCreator

    with pytest.raises(NotImplementedError, match="create_session is not implemented for <.*SessionCreator object"):
        SessionCreator().create_session()


def test_each_hook_gets_its_own_results_and_none_when_it_fetched_nothing(g):
    step, w, loss, train = _linear(g)
    x = tf.placeholder(tf.float32, [])
    seen = []

    class Fetching(tf.train.SessionRunHook):
        def __init__(self, name, fetches, feed=None):
            self.name, self.fetches, self.feed = name, fetches, feed

        def before_run(self, run_context):
            if self.fetches is None and self.feed is None:
                return None
            return tf.train.SessionRunArgs(self.fetches, feed_dict=self.feed)

        def after_run(self, run_context, run_values):
            assert isinstance(run_values, tf.train.SessionRunValues)
            assert isinstance(run_values.options, tf.RunOptions)
            seen.append((self.name, run_values.results))

    hooks = [Fetching("nothing", None), Fetching("dict", {"step": step, "pair": [w, x * 2.0]}),
             Fetching("feed only", None, {x: 3.0}), Fetching("tensor", loss)]
    hooks.append(hooks[1])  # the same hook twice: called twice, each time with its results
    with tf.train.MonitoredSession(hooks=hooks) as session:
        assert session.run(loss) == pytest.approx(36.0)
    assert [name for name, _ in seen] == ["nothing", "dict", "feed only", "tensor", "dict"]
    assert seen[0][1] is None and seen[2][1] is None
    assert seen[1][1] == {"step": 0, "pair": [0.0, 6.0]} and seen[4][1] == seen[1][1]
    assert seen[3][1] == pytest.approx(36.0)


def test_hooks_see_empty_options_on_plain_steps_even_after_one_wrote_into_them(g):
    _, _, loss, train = _linear(g)
    seen = []

    class Scribbler(tf.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            seen.append((run_values.options.ByteSize(), run_values.run_metadata.ByteSize()))
            run_values.options.timeout_in_ms = 5
            run_values.run_metadata.step_stats.dev_stats.add(device="x")

    class Tracer(tf.train.SessionRunHook):
        def before_run(self, run_context):
            return tf.train.SessionRunArgs(None, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE))

    with tf.train.MonitoredSession(hooks=[Scribbler()]) as session:
        for _ in range(3):
            session.run(train)
    assert seen == [(0, 0)] * 3
    seen.clear()
    with tf.train.MonitoredSession(hooks=[Scribbler(), Tracer()]) as session:
        session.run(train)
    assert seen[0][0] > 0 and seen[0][1] > 0  # the traced step's own options and metadata


def _seen_by_gc(obj) -> bool:
    return any(o is obj for o in gc.get_objects())


def test_objects_made_before_a_monitored_session_are_frozen_until_the_last_one_closes(g):
    if gc.get_freeze_count():
        pytest.skip("something else froze objects")
    _, _, _, train = _linear(g)
    assert _seen_by_gc(train)
    outer = tf.train.MonitoredSession()
    assert gc.get_freeze_count() > 0 and not _seen_by_gc(train)  # out of the collector's passes
    cycle = [];  cycle.append(cycle)  # noqa: E702 - garbage made while the session runs is collected as before
    ref = weakref.ref(_Cyclic(cycle))
    gc.collect()
    assert ref() is None
    with tf.Graph().as_default():
        tf.Variable(1.0)
        inner = tf.train.MonitoredSession()
        inner.close()
    assert gc.get_freeze_count() > 0  # the outer session is still open
    outer.run(train)
    outer.close()
    assert gc.get_freeze_count() == 0 and _seen_by_gc(train)


def test_a_session_that_fails_to_start_or_a_program_that_froze_objects_itself_keeps_the_freeze_count(g, tmp_path):
    if gc.get_freeze_count():
        pytest.skip("something else froze objects")
    v = tf.Variable(1.0)
    with pytest.raises(ValueError):
        tf.train.MonitoredSession(session_creator=tf.train.ChiefSessionCreator(
            scaffold=tf.train.Scaffold(init_fn=lambda scaffold, sess: _raise(ValueError("init failed")))))
    assert gc.get_freeze_count() == 0
    g._unsafe_unfinalize()
    gc.freeze()  # the program's own
    try:
        with tf.train.MonitoredSession():
            pass
        assert not _seen_by_gc(v)  # still frozen: the session did not unfreeze the program's objects
    finally:
        gc.unfreeze()


class _Cyclic:
    def __init__(self, payload):
        self.payload, self.me = payload, self


def _raise(error):
    raise error
