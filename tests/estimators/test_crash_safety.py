"""A training process killed (SIGKILL) at random moments always leaves model_dir restorable, and training
resumed from it continues with the checkpoint's variables."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import estflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Trains "forever", saving a checkpoint every 2 steps (keep 3): most of its time is spent saving, so a random
# kill often lands inside a save (bundle files, the `checkpoint` state file, old checkpoints' deletion).
TRAINER = textwrap.dedent("""
    import sys
    import numpy as np
    import estflow as tf

    def model_fn(features, labels, mode):
        hidden = tf.layers.dense(features["x"], 8, activation=tf.nn.relu, name="hidden")
        pred = tf.layers.dense(hidden, 1, name="out")
        loss = tf.losses.mean_squared_error(labels, pred)
        train_op = tf.train.AdamOptimizer(0.01).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op, predictions=pred)

    rng = np.random.RandomState(0)
    x = rng.rand(256, 4).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    config = tf.estimator.RunConfig(save_checkpoints_steps=2, keep_checkpoint_max=3, log_step_count_steps=None,
                                    save_summary_steps=3)
    est = tf.estimator.Estimator(model_fn, model_dir=sys.argv[1], config=config)
    est.train(tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=32, num_epochs=None, shuffle=True),
              steps=10**9)
""")


def _restorable_step(model_dir):
    """The latest checkpoint's global step, after checking every variable in it loads in a session."""
    path = tf.train.latest_checkpoint(model_dir)
    assert path is not None, os.listdir(model_dir)
    names = [name for name, _ in tf.train.list_variables(path)]
    assert {"global_step", "hidden/kernel", "out/kernel"} <= set(names)
    with tf.Graph().as_default():
        variables = [tf.get_variable(name, shape=tf.train.load_variable(path, name).shape,
                                     dtype=tf.train.load_variable(path, name).dtype) for name in names]
        saver = tf.train.Saver(variables)
        with tf.Session() as session:
            saver.restore(session, path)
            values = session.run(variables)
    for name, value in zip(names, values):
        np.testing.assert_array_equal(value, tf.train.load_variable(path, name))
    return int(tf.train.load_variable(path, "global_step"))


@pytest.mark.slow
def test_kill_at_random_moments_always_leaves_a_restorable_model_dir(tmp_path):
    model_dir = str(tmp_path / "m")
    script = tmp_path / "trainer.py"
    script.write_text(TRAINER)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    rng = random.Random(1234)
    steps = []
    for _ in range(6):
        process = subprocess.Popen([sys.executable, str(script), model_dir], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # Wait for this run's first new checkpoint, then kill at a random moment of the training.
            deadline = time.monotonic() + 120
            previous = tf.train.latest_checkpoint(model_dir)
            while tf.train.latest_checkpoint(model_dir) == previous and process.poll() is None:
                assert time.monotonic() < deadline, "the trainer wrote no checkpoint"
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.4))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert process.returncode == -signal.SIGKILL
        steps.append(_restorable_step(model_dir))
    assert steps == sorted(steps) and steps[-1] > steps[0]
    # TensorBoard reads the event files the killed processes left (a torn last record is skipped).
    events = EventAccumulator(model_dir, size_guidance={"scalars": 0})
    events.Reload()
    assert len(events.Scalars("loss")) >= 6

    # Resuming in this process starts from the latest checkpoint's values and carries on training.
    path = tf.train.latest_checkpoint(model_dir)
    start = int(tf.train.load_variable(path, "global_step"))
    kernel = tf.train.load_variable(path, "hidden/kernel")
    seen = {}

    class FirstValues(tf.train.SessionRunHook):
        def after_create_session(self, session, coord):
            graph = tf.get_default_graph()
            seen["step"] = session.run(tf.train.get_global_step())
            seen["kernel"] = session.run(graph.get_tensor_by_name("hidden/kernel:0"))

    namespace = {}
    exec(compile(TRAINER.split("rng = ")[0], "trainer", "exec"), namespace)  # noqa: S102 - the trainer's model_fn
    x = np.random.RandomState(0).rand(256, 4).astype(np.float32)
    est = tf.estimator.Estimator(namespace["model_fn"], model_dir=model_dir)
    est.train(tf.estimator.inputs.numpy_input_fn({"x": x}, x.sum(axis=1, keepdims=True), batch_size=32,
                                                 num_epochs=None, shuffle=True), steps=5, hooks=[FirstValues()])
    assert seen["step"] == start
    np.testing.assert_array_equal(seen["kernel"], kernel)
    assert est.get_variable_value("global_step") == start + 5
    leftovers = [name for name in os.listdir(model_dir) if ".tmp" in name or "tempstate" in name]
    assert not leftovers, leftovers  # the next save removed what the killed processes left half-written
