import io
import os

import numpy as np
import pytest

import estflow as tf
from estflow.cli import progress as progress_lib
from estflow.cli.progress import CountHook, Progress, ProgressHook


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_plain_lines_without_a_terminal():
    stream = io.StringIO()
    progress = Progress("train", 20, stream=stream)
    assert progress.bar is None
    for step in range(1, 21):
        progress.update(step, loss=1.0 / step)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("train: step 2/20, loss=0.5")  # the first tenth
    assert lines[-1].startswith("train: step 20/20, loss=0.05")
    assert "ETA" not in lines[-1] and len(lines) <= 11


def test_a_bar_on_a_terminal_with_the_running_loss():
    stream = FakeTerminal()
    progress = Progress("train", 10, stream=stream)
    assert progress.bar is not None
    for step in range(1, 11):
        progress.update(step, loss=0.25)
    progress.close()
    text = stream.getvalue()
    assert "train" in text and "10/10" in text and "loss=0.25" in text


def test_unknown_total_counts_up():
    stream = io.StringIO()
    progress = Progress("predict", None, unit="example", stream=stream)
    for n in range(1, 201):
        progress.update(n)
    assert stream.getvalue().splitlines()[0].startswith("predict: example 100,")


def _train(hooks, steps=6):
    x = np.arange(12, dtype=np.float32).reshape(-1, 1) / 12
    y = 2 * x

    def model_fn(features, labels, mode):
        w = tf.get_variable("w", [1, 1])
        loss = tf.reduce_mean(tf.square(tf.matmul(features["x"], w) - labels))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op,
                                          eval_metric_ops={"mse": tf.metrics.mean(loss)})
    input_fn = tf.estimator.inputs.numpy_input_fn({"x": x}, y, batch_size=2, num_epochs=None, shuffle=False)
    estimator = tf.estimator.Estimator(model_fn)
    estimator.train(input_fn, hooks=hooks, steps=steps)
    return estimator, model_fn


def test_progress_hook_follows_the_global_step_and_loss():
    stream = io.StringIO()
    hook = ProgressHook(Progress("train", 6, stream=stream))
    _train([hook])
    assert hook.last_step == 6 and hook.progress.count == 6
    assert hook.running_loss is not None and hook.running_loss > 0
    assert stream.getvalue().splitlines()[-1].startswith("train: step 6/6, loss=")


def test_loss_tensor_is_the_estimators_loss_summary():
    graph = tf.Graph()
    with graph.as_default():
        loss = tf.constant(1.5, name="my_loss")
        assert progress_lib._loss_tensor(graph) is None
        tf.summary.scalar("accuracy", loss)
        tf.summary.scalar("loss", loss)
        assert progress_lib._loss_tensor(graph) is loss


def test_count_hook_counts_evaluation_batches():
    estimator, _ = _train([], steps=1)
    x = np.zeros((5, 1), np.float32)
    progress = Progress("evaluate", 3, unit="batch", stream=io.StringIO())
    estimator.evaluate(tf.estimator.inputs.numpy_input_fn({"x": x}, x, batch_size=2, shuffle=False),
                       hooks=[CountHook(progress)])
    assert progress.count == 3


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_bar_on_a_terminal_that_reports_no_size():
    # some ptys (containers, CI) report 0 x 0: tqdm alone would then print an empty bar
    master, slave = os.openpty()
    with os.fdopen(slave, "w", encoding="utf-8") as stream:
        progress = Progress("train", 4, stream=stream)
        for step in range(1, 5):
            progress.update(step, loss=0.5)
        progress.close()
    written = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the pty is drained once its other end is closed
            break
        if not chunk:
            break
        written += chunk
    os.close(master)
    text = written.decode("utf-8", errors="replace")
    assert "train: 100%" in text and "4/4" in text and "loss=0.5" in text
