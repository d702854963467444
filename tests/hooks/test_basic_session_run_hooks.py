"""The standard hooks: when each acts (every N steps, every N secs on a fake clock, at the end), what it writes."""

import json
import logging
import os
import time

import numpy as np
import pytest

import estflow as tf
from estflow.hooks import basic_session_run_hooks as hooks_lib


class _Clock:
    """A fake `time.time` the timers read; `advance` moves it."""

    def __init__(self, monkeypatch):
        self.now = 1000.0
        monkeypatch.setattr(time, "time", lambda: self.now)

    def advance(self, secs):
        self.now += secs


def _model(g):
    """A global step incremented by `train`, a loss that depends on the step, and the step's read."""
    step = tf.train.get_or_create_global_step()
    x = tf.placeholder_with_default(tf.constant(2.0), [], name="x")
    loss = tf.identity(tf.cast(step, tf.float32) * x, name="loss")
    train = tf.assign_add(step, 1)
    return step, loss, train


def _tensorflow_messages(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "tensorflow"]


def test_second_or_step_timer_triggers_by_steps(monkeypatch):
    clock = _Clock(monkeypatch)  # a fake clock: the elapsed seconds are exact, not measured
    timer = tf.train.SecondOrStepTimer(every_steps=3)
    assert timer.should_trigger_for_step(0)
    assert timer.update_last_triggered_step(0) == (None, None)
    assert [timer.should_trigger_for_step(s) for s in range(0, 5)] == [False, False, False, True, True]
    clock.advance(2.5)
    assert timer.update_last_triggered_step(4) == (2.5, 4) and timer.last_triggered_step() == 4
    timer.reset()
    assert timer.should_trigger_for_step(4) and timer.last_triggered_step() is None


def test_second_or_step_timer_triggers_by_seconds(monkeypatch):
    clock = _Clock(monkeypatch)
    timer = tf.train.SecondOrStepTimer(every_secs=10)
    timer.update_last_triggered_step(1)
    clock.advance(9.5)
    assert not timer.should_trigger_for_step(100)
    clock.advance(0.5)
    assert timer.should_trigger_for_step(100)
    assert not timer.should_trigger_for_step(1)  # never twice for one step
    assert timer.update_last_triggered_step(100) == (10.0, 99)


@pytest.mark.parametrize("kwargs, message", [({}, "Either every_secs"),
                                             ({"every_secs": 1, "every_steps": 1}, "Can not provide both")])
def test_second_or_step_timer_needs_exactly_one_interval(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tf.train.SecondOrStepTimer(**kwargs)


def test_stop_at_step_hook_stops_at_last_step_or_after_num_steps(g):
    step, _, train = _model(g)
    with tf.train.MonitoredSession(hooks=[tf.train.StopAtStepHook(last_step=5)]) as sess:
        runs = []
        while not sess.should_stop():
            runs.append(sess.run(train))
        assert runs == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="One of num_steps or last_step"):
        tf.train.StopAtStepHook()
    with pytest.raises(ValueError, match="Only one of"):
        tf.train.StopAtStepHook(num_steps=1, last_step=1)


def test_stop_at_step_hook_counts_num_steps_from_the_restored_step(g, tmp_path):
    step, _, train = _model(g)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), save_checkpoint_steps=100,
                                           hooks=[tf.train.StopAtStepHook(last_step=4)]) as sess:
        while not sess.should_stop():
            sess.run(train)
    with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path),
                                           hooks=[tf.train.StopAtStepHook(num_steps=3)]) as sess:
        while not sess.should_stop():
            last = sess.run(train)
    assert last == 7


def test_global_step_hooks_need_a_global_step(g, tmp_path):
    tf.constant(1)
    for hook in [tf.train.StopAtStepHook(num_steps=1), tf.train.StepCounterHook(),
                 tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1)]:
        with pytest.raises(RuntimeError, match="Global step should be created"):
            hook.begin()


def test_logging_tensor_hook_every_n_iter_by_name_and_tensor(g, caplog):
    step, loss, train = _model(g)
    hook = tf.train.LoggingTensorHook({"loss": loss, "step": "global_step"}, every_n_iter=2)
    caplog.set_level(logging.INFO, logger="tensorflow")
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(5):
            sess.run(train)
    lines = [m for m in _tensorflow_messages(caplog) if m.startswith("loss")]
    # Iterations 0, 2, 4 log the values the step started from (reads before writes).
    assert [m.split(" (")[0] for m in lines] == ["loss = 0.0, step = 0", "loss = 4.0, step = 2",
                                                 "loss = 8.0, step = 4"]
    assert lines[0].endswith("step = 0") and lines[1].endswith(" sec)")


def test_logging_tensor_hook_every_n_secs_on_a_fake_clock(g, caplog, monkeypatch):
    clock = _Clock(monkeypatch)
    step, _, train = _model(g)
    hook = tf.train.LoggingTensorHook(["global_step"], every_n_secs=10)
    caplog.set_level(logging.INFO, logger="tensorflow")
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for advance in [0, 3, 3, 4, 1, 10]:  # triggers at 0 s, 10 s and 21 s
            clock.advance(advance)
            sess.run(train)
    lines = [m for m in _tensorflow_messages(caplog) if m.startswith("global_step")]
    assert lines == ["global_step = 0", "global_step = 3 (10.000 sec)", "global_step = 5 (11.000 sec)"]


def test_logging_tensor_hook_at_end_with_a_formatter(g, caplog):
    step, loss, train = _model(g)
    hook = tf.train.LoggingTensorHook({"loss": loss}, at_end=True, formatter=lambda v: f"final loss {v['loss']:.1f}")
    caplog.set_level(logging.INFO, logger="tensorflow")
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(3):
            sess.run(train)
    assert [m for m in _tensorflow_messages(caplog) if "loss" in m] == ["final loss 6.0"]
    with pytest.raises(ValueError, match="exactly one of every_n_iter and every_n_secs"):
        tf.train.LoggingTensorHook({"loss": loss})
    with pytest.raises(ValueError, match="invalid every_n_iter"):
        tf.train.LoggingTensorHook({"loss": loss}, every_n_iter=0)


class _Listener(tf.train.CheckpointSaverListener):
    def __init__(self, stop_after=None):
        self.calls = []
        self.stop_after = stop_after

    def begin(self):
        self.calls.append("begin")

    def before_save(self, session, global_step_value):
        self.calls.append(("before_save", global_step_value))

    def after_save(self, session, global_step_value):
        self.calls.append(("after_save", global_step_value))
        return self.stop_after is not None and global_step_value >= self.stop_after

    def end(self, session, global_step_value):
        self.calls.append(("end", global_step_value))


def test_checkpoint_saver_hook_saves_at_start_every_n_steps_and_at_end(g, tmp_path):
    step, _, train = _model(g)
    saver = tf.train.Saver()
    listener = _Listener()
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=3, saver=saver, listeners=[listener])
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        for _ in range(7):
            sess.run(train)
    assert listener.calls == ["begin", ("before_save", 0), ("after_save", 0), ("before_save", 3), ("after_save", 3),
                              ("before_save", 6), ("after_save", 6), ("before_save", 7), ("after_save", 7),
                              ("end", 7)]
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "model.ckpt-7")
    assert tf.train.load_variable(str(tmp_path), "global_step") == 7
    names = set(os.listdir(tmp_path))
    assert {"checkpoint", "graph.pbtxt", "model.ckpt-3.index", "model.ckpt-3.meta",
            "model.ckpt-7.data-00000-of-00001"} <= names
    logs = [e.session_log for f in names if f.startswith("events.out.tfevents")
            for e in tf.train.summary_iterator(str(tmp_path / f)) if e.HasField("session_log")]
    assert [(log.status, log.checkpoint_path) for log in logs] == \
        [(tf.summary.SessionLog.CHECKPOINT, str(tmp_path / "model.ckpt"))] * 4


def test_checkpoint_saver_hook_every_n_secs_on_a_fake_clock(g, tmp_path, monkeypatch):
    clock = _Clock(monkeypatch)
    step, _, train = _model(g)
    listener = _Listener()
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_secs=60, saver=tf.train.Saver(), listeners=[listener],
                                        save_graph_def=False)
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        for advance in [10, 10, 50, 10]:  # the 3rd step ends 70 s after the first save
            clock.advance(advance)
            sess.run(train)
    assert [c[1] for c in listener.calls if c[0] == "after_save"] == [0, 3, 4]
    assert "graph.pbtxt" not in os.listdir(tmp_path)


def test_a_listener_returning_true_stops_training(g, tmp_path):
    step, _, train = _model(g)
    hook = tf.train.CheckpointSaverHook(str(tmp_path), save_steps=2, saver=tf.train.Saver(),
                                        listeners=[_Listener(stop_after=4)])
    with tf.train.SingularMonitoredSession(hooks=[hook]) as sess:
        while not sess.should_stop():
            sess.run(train)
        assert sess.raw_session().run(step) == 4


def test_checkpoint_saver_hook_takes_a_saver_or_a_scaffold(g, tmp_path):
    with pytest.raises(ValueError, match="both saver and scaffold"):
        tf.train.CheckpointSaverHook(str(tmp_path), save_steps=1, saver=object(), scaffold=tf.train.Scaffold())


def test_step_counter_hook_writes_global_step_per_sec(g, tmp_path, monkeypatch, caplog):
    clock = _Clock(monkeypatch)
    step, _, train = _model(g)
    hook = tf.train.StepCounterHook(every_n_steps=2, output_dir=str(tmp_path))
    caplog.set_level(logging.INFO, logger="tensorflow")
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(5):
            clock.advance(0.5)
            sess.run(train)
    tf.summary.FileWriterCache.get(str(tmp_path)).flush()
    [events] = [f for f in os.listdir(tmp_path) if f.startswith("events")]
    values = [(e.step, v.tag, v.simple_value) for e in tf.train.summary_iterator(str(tmp_path / events))
              for v in e.summary.value]
    assert values == [(3, "global_step/sec", 2.0), (5, "global_step/sec", 2.0)]
    assert "global_step/sec: 2" in _tensorflow_messages(caplog)
    with pytest.raises(ValueError, match="exactly one of every_n_steps"):
        tf.train.StepCounterHook(every_n_steps=None)


def test_summary_saver_hook_writes_every_n_steps(g, tmp_path):
    step, loss, train = _model(g)
    summary = tf.summary.scalar("training_loss", loss)
    hook = tf.train.SummarySaverHook(save_steps=2, output_dir=str(tmp_path), summary_op=summary)
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(5):
            sess.run(train)
    [events] = [f for f in os.listdir(tmp_path) if f.startswith("events")]
    read = list(tf.train.summary_iterator(str(tmp_path / events)))
    assert [(e.step, v.tag, v.simple_value) for e in read for v in e.summary.value] == \
        [(1, "training_loss", 0.0), (3, "training_loss", 4.0), (5, "training_loss", 8.0)]
    assert [e.step for e in read if e.session_log.status == tf.summary.SessionLog.START] == [1]
    with pytest.raises(ValueError, match="Exactly one of scaffold or summary_op"):
        tf.train.SummarySaverHook(save_steps=1)


def test_nan_tensor_hook_raises_or_stops(g, caplog):
    x = tf.placeholder(tf.float32, [])
    step = tf.train.get_or_create_global_step()
    with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(x)]) as sess:
        sess.run(step, feed_dict={x: 1.0})
        with pytest.raises(tf.train.NanLossDuringTrainingError, match="NaN loss during training"):
            sess.run(step, feed_dict={x: np.nan})
    with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(x, fail_on_nan_loss=False)]) as sess:
        sess.run(step, feed_dict={x: np.nan})
        assert sess.should_stop()
    assert "Model diverged with loss = NaN." in _tensorflow_messages(caplog)


@pytest.mark.parametrize("dtype", [tf.float16, tf.float32, tf.float64, tf.bfloat16])
def test_nan_tensor_hook_sees_nan_of_every_float_type_and_shape(g, dtype):
    x = tf.placeholder(tf.float32, None)
    loss = tf.cast(x, dtype)
    step = tf.train.get_or_create_global_step()
    for value, nan in [(1.0, False), (np.inf, False), (-0.0, False), (np.nan, True), ([np.nan], True),
                       ([1.0], False)]:
        with tf.train.MonitoredSession(hooks=[tf.train.NanTensorHook(loss, fail_on_nan_loss=False)]) as sess:
            sess.run(step, feed_dict={x: value})
            assert sess.should_stop() is nan, (dtype, value)


def test_nan_tensor_hook_on_a_python_float_result():
    hook = tf.train.NanTensorHook(None)
    context = tf.train.SessionRunContext(tf.train.SessionRunArgs(None), None)
    hook._fail_on_nan_loss = False
    hook.after_run(context, tf.train.SessionRunValues(1.5, None, None))
    assert not context.stop_requested
    hook.after_run(context, tf.train.SessionRunValues(float("nan"), None, None))
    assert context.stop_requested


def test_logging_tensor_hook_below_info_keeps_its_rhythm_and_numpys_print_options(g, caplog, monkeypatch):
    step, loss, train = _model(g)
    hook = tf.train.LoggingTensorHook({"loss": loss, "step": "global_step"}, every_n_iter=2)
    seen = []
    formatted = tf.train.LoggingTensorHook({"step": "global_step"}, every_n_iter=2,
                                           formatter=lambda v: seen.append(int(v["step"])) or "formatted")
    calls = []
    monkeypatch.setattr(np, "set_printoptions", lambda **kw: calls.append(kw))
    caplog.set_level(logging.WARNING, logger="tensorflow")
    with tf.train.MonitoredSession(hooks=[hook, formatted]) as sess:
        for _ in range(3):
            sess.run(train)
        assert seen == [0, 2]
        assert len(calls) == 2 * len(seen)  # set and restored around the formatter's calls only  # a formatter is the caller's code: it runs whatever the verbosity
        monkeypatch.undo()
        caplog.set_level(logging.INFO, logger="tensorflow")
        for _ in range(3):
            sess.run(train)
    lines = [m.split(" (")[0] for m in _tensorflow_messages(caplog) if m.startswith("loss")]
    assert lines == ["loss = 8.0, step = 4"]  # iterations 0 and 2 were due below INFO; 4 is next
    assert seen == [0, 2, 4]


def test_final_ops_hook_runs_at_the_end(g):
    step, loss, train = _model(g)
    hook = tf.train.FinalOpsHook({"loss": loss, "step": step})
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        sess.run(train)
        sess.run(train)
        assert hook.final_ops_values is None
    assert hook.final_ops_values == {"loss": 4.0, "step": 2}


def test_feed_fn_hook_feeds_every_run(g):
    step, loss, train = _model(g)
    feeds = iter([10.0, 20.0])
    x = g.get_tensor_by_name("x:0")
    with tf.train.MonitoredSession(hooks=[tf.train.FeedFnHook(lambda: {x: next(feeds)})]) as sess:
        sess.run(train)
        assert sess.run(loss) == 20.0


def test_global_step_waiter_hook_waits_for_the_step(g, monkeypatch):
    step, _, train = _model(g)
    bump = tf.assign_add(step, 2)
    sleeps = []

    class Chief(tf.train.SessionRunHook):  # stands in for a chief that advances the step meanwhile
        def after_create_session(self, session, coord):
            self.session = session

    chief = Chief()
    monkeypatch.setattr(time, "sleep", lambda secs: (sleeps.append(secs), chief.session.run(bump)))
    with tf.train.MonitoredSession(hooks=[chief, tf.train.GlobalStepWaiterHook(wait_until_step=5)]) as sess:
        assert sess.run(step) == 6
        sess.run(train)
    assert sleeps == [0.5, 0.5, 0.5]


def test_profiler_hook_writes_chrome_traces(g, tmp_path):
    step = tf.train.get_or_create_global_step()
    x = tf.placeholder(tf.float32, [2, 2])
    y = tf.matmul(x, x, name="product")
    train = tf.group(y, tf.assign_add(step, 1))
    hook = tf.train.ProfilerHook(save_steps=2, output_dir=str(tmp_path))
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        for _ in range(5):
            sess.run(train, feed_dict={x: np.ones((2, 2), np.float32)})
    # The first step is never traced; then every other step (TF1's schedule: steps 2 and 4).
    assert sorted(f for f in os.listdir(tmp_path) if f.startswith("timeline")) == ["timeline-2.json",
                                                                                    "timeline-4.json"]
    trace = json.loads((tmp_path / "timeline-2.json").read_text())
    assert any(e.get("args", {}).get("name") == "product" for e in trace["traceEvents"])
    tf.summary.FileWriterCache.get(str(tmp_path)).flush()
    [events] = [f for f in os.listdir(tmp_path) if f.startswith("events")]
    tags = [e.tagged_run_metadata.tag for e in tf.train.summary_iterator(str(tmp_path / events))
            if e.HasField("tagged_run_metadata")]
    assert tags == ["step_2", "step_4"]


def test_never_trigger_timer():
    timer = hooks_lib.NeverTriggerTimer()
    assert not timer.should_trigger_for_step(0)
    assert timer.update_last_triggered_step(0) == (None, None) and timer.last_triggered_step() is None


def test_logging_tensor_hook_takes_a_list_and_refuses_an_ambiguous_name(g, caplog):
    step, loss, train = _model(g)
    values, index = tf.nn.top_k(tf.constant([1.0, 3.0]), k=1, name="top")
    caplog.set_level(logging.INFO, logger="tensorflow")
    hook = tf.train.LoggingTensorHook([loss, "top:1"], every_n_iter=1)
    with tf.train.MonitoredSession(hooks=[hook]) as sess:
        sess.run(train)
    assert f"{loss} = 0.0, top:1 = [1]" in _tensorflow_messages(caplog)  # a tensor is its own tag, as in TF1
    with pytest.raises(ValueError, match="ambiguous"):
        tf.train.LoggingTensorHook(["top"], every_n_iter=1).begin()


def test_step_counter_hook_warns_five_times_when_the_step_stalls(g, caplog):
    step = tf.train.get_or_create_global_step()
    caplog.set_level(logging.WARNING, logger="tensorflow")
    with tf.train.MonitoredSession(hooks=[tf.train.StepCounterHook(every_n_steps=1)]) as sess:
        for _ in range(8):
            sess.run(step)
    assert sum("has not been increased" in m for m in _tensorflow_messages(caplog)) == 5
