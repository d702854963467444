"""InMemoryEvaluatorHook evaluates the training session's variables; make_stop_at_checkpoint_step_hook."""

import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import estflow as tf
from tests.estimators.test_estimator import eval_input, linear_model_fn, train_input


@pytest.fixture
def est(tmp_path):
    config = tf.estimator.RunConfig(save_checkpoints_steps=None, save_checkpoints_secs=None)
    return tf.estimator.Estimator(linear_model_fn, model_dir=str(tmp_path / "m"), params={"lr": 0.5}, config=config)


def test_evaluates_the_training_variables_at_start_every_n_iter_and_at_end(est):
    seen = []

    class Record(tf.train.SessionRunHook):
        def end(self, session):
            graph = tf.get_default_graph()
            kernel = graph.get_tensor_by_name("linear/kernel:0")
            seen.append((int(session.run(tf.train.get_global_step())), session.run(kernel).copy()))

    class TrainKernels(tf.train.SessionRunHook):
        """The training kernel after each step, to compare with what the evaluation saw."""
        kernels = {}

        def before_run(self, run_context):
            return tf.train.SessionRunArgs(tf.train.get_global_step())

        def after_run(self, run_context, run_values):
            graph = tf.get_default_graph()
            step, kernel = run_context.session.run([tf.train.get_global_step(),
                                                    graph.get_tensor_by_name("linear/kernel:0")])
            self.kernels[int(step)] = kernel.copy()

    hook = tf.estimator.experimental.InMemoryEvaluatorHook(est, eval_input(), steps=2, hooks=[Record()],
                                                          every_n_iter=4)
    kernels = TrainKernels()
    est.train(train_input(), steps=10, hooks=[kernels, hook])
    # The first evaluation runs as the session starts, then after iterations 4 and 8, then at the end.
    assert [step for step, _ in seen] == [0, 4, 8, 10]
    for step, kernel in seen[1:]:
        np.testing.assert_array_equal(kernel, kernels.kernels[step])
    assert est.latest_checkpoint() is None  # no checkpoint was needed (the config saves none)
    accumulator = EventAccumulator(os.path.join(est.model_dir, "eval"))
    accumulator.Reload()
    losses = accumulator.Scalars("loss")
    assert [event.step for event in losses] == [0, 4, 8, 10]
    assert losses[-1].value < losses[0].value


def test_arguments_are_checked(est):
    with pytest.raises(ValueError, match="invalid every_n_iter=0"):
        tf.estimator.experimental.InMemoryEvaluatorHook(est, eval_input(), every_n_iter=0)
    with pytest.raises(TypeError, match="SessionRunHook"):
        tf.estimator.experimental.InMemoryEvaluatorHook(est, eval_input(), hooks=[3])

    def saver_model_fn(features, labels, mode, params):
        spec = linear_model_fn(features, labels, mode, params)
        return spec._replace(scaffold=tf.train.Scaffold(saver=tf.train.Saver()))
    other = tf.estimator.Estimator(saver_model_fn, model_dir=est.model_dir, params={"lr": 0.5})
    hook = tf.estimator.experimental.InMemoryEvaluatorHook(other, eval_input(), name="x")
    with pytest.raises(ValueError, match="does not support custom saver"):
        other.train(train_input(), steps=2, hooks=[hook])


def test_stop_at_checkpoint_step_hook_waits_for_the_chiefs_checkpoint(tmp_path):
    est = tf.estimator.Estimator(linear_model_fn, model_dir=str(tmp_path / "chief"), params={"lr": 0.5})
    est.train(train_input(), steps=5)
    worker = tf.estimator.Estimator(linear_model_fn, model_dir=str(tmp_path / "w"), params={"lr": 0.5})
    hook = tf.estimator.experimental.make_stop_at_checkpoint_step_hook(est, last_step=5,
                                                                       wait_after_file_check_secs=0)
    worker.train(train_input(), steps=50, hooks=[hook])
    assert worker.get_variable_value("global_step") == 5  # est's checkpoint is at 5: stop there
