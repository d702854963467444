"""Early stopping: the predicates over evaluation events, and the chief's and workers' hooks."""

import logging
import types

import pytest

import estflow as tf
from estflow.hooks import early_stopping

EVERY_5 = {"run_every_secs": None, "run_every_steps": 5}


def _write_eval_events(eval_dir, metrics_by_step):
    writer = tf.summary.FileWriter(str(eval_dir))
    for step, metrics in metrics_by_step.items():
        writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag=k, simple_value=v) for k, v in metrics.items()]),
                           step)
    writer.close()


def _estimator(eval_dir, is_chief=True):
    return types.SimpleNamespace(config=types.SimpleNamespace(is_chief=is_chief), eval_dir=lambda: str(eval_dir))


def _train(hooks, steps=50):
    step = tf.train.get_or_create_global_step()
    train = tf.assign_add(step, 1)
    done = []
    with tf.train.MonitoredSession(hooks=hooks + [tf.train.StopAtStepHook(last_step=steps)]) as sess:
        while not sess.should_stop():
            done.append(sess.run(train))
    return done[-1]


def test_read_eval_metrics_orders_steps_and_merges_tags(tmp_path):
    _write_eval_events(tmp_path, {20: {"loss": 0.5}, 10: {"loss": 0.9, "accuracy": 0.5}})
    _write_eval_events(tmp_path, {20: {"accuracy": 0.7}})
    assert list(early_stopping.read_eval_metrics(str(tmp_path)).items()) == \
        [(10, {"loss": pytest.approx(0.9), "accuracy": 0.5}), (20, {"loss": 0.5, "accuracy": pytest.approx(0.7)})]
    assert early_stopping.read_eval_metrics(str(tmp_path / "missing")) == {}


@pytest.mark.parametrize("make, expected", [
    (lambda e: tf.estimator.experimental.stop_if_higher_hook(e, "accuracy", 0.8, **EVERY_5), 1),
    (lambda e: tf.estimator.experimental.stop_if_lower_hook(e, "loss", 0.3, min_steps=25, **EVERY_5), 50),
    (lambda e: tf.estimator.experimental.stop_if_lower_hook(e, "loss", 0.3, **EVERY_5), 1),
    (lambda e: tf.estimator.experimental.stop_if_no_decrease_hook(e, "loss", 20, **EVERY_5), 1),
    (lambda e: tf.estimator.experimental.stop_if_no_decrease_hook(e, "loss", 21, **EVERY_5), 50),
    (lambda e: tf.estimator.experimental.stop_if_no_increase_hook(e, "accuracy", 5, **EVERY_5), 50),
])
@pytest.mark.usefixtures("g")
def test_the_predicates_stop_training_when_tf1s_would(tmp_path, make, expected, caplog):
    # loss bottoms out at step 10; accuracy rises at every evaluation. The predicate reads every evaluation
    # so far, so it holds (or not) from the first check, at the first step.
    _write_eval_events(tmp_path, {10: {"loss": 0.2, "accuracy": 0.6}, 20: {"loss": 0.4, "accuracy": 0.7},
                                  30: {"loss": 0.5, "accuracy": 0.9}})
    caplog.set_level(logging.INFO, logger="tensorflow")
    assert _train([make(_estimator(tmp_path))]) == expected
    if expected == 1:
        assert any(m.startswith("Requesting early stopping at global step") for m in caplog.messages)


@pytest.mark.usefixtures("g")
def test_a_worker_stops_once_the_stop_variable_is_set(tmp_path):
    hook = tf.estimator.experimental.make_early_stopping_hook(_estimator(tmp_path, is_chief=False), lambda: True)
    assert isinstance(hook, early_stopping._CheckForStoppingHook)
    stop = early_stopping._get_or_create_stop_var()
    set_stop = tf.assign(stop, True)

    class Chief(tf.train.SessionRunHook):  # stands in for the chief setting the shared variable
        def after_create_session(self, session, coord):
            session.run(set_stop)

    assert _train([Chief(), hook]) == 1


def test_make_early_stopping_hook_checks_its_arguments(tmp_path):
    with pytest.raises(TypeError, match="must have type `tf.estimator.Estimator`"):
        tf.estimator.experimental.make_early_stopping_hook(object(), lambda: True)
    with pytest.raises(TypeError, match="must be callable"):
        tf.estimator.experimental.make_early_stopping_hook(_estimator(tmp_path), True)


@pytest.mark.usefixtures("g")
def test_the_chief_checks_only_on_its_timer(tmp_path):
    calls = []
    hook = tf.estimator.experimental.make_early_stopping_hook(
        _estimator(tmp_path), lambda: calls.append(True) or len(calls) == 3, run_every_secs=None, run_every_steps=10)
    assert _train([hook]) == 21  # checked at steps 0, 10, 20 (the value each run started from)
    assert len(calls) == 3
