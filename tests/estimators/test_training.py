"""train_and_evaluate, TrainSpec, EvalSpec: TF1's validation and local mode (evaluate after saves, exporters)."""

import json
import os

import numpy as np
import pytest

import estflow as tf
from tests.estimators.test_estimator import eval_input, linear_model_fn, train_input


class RecordingExporter:
    """Records every export call; returns the path it would have written."""

    def __init__(self, name):
        self.name = name
        self.calls = []

    def export(self, estimator, export_path, checkpoint_path, eval_result, is_the_final_export):
        self.calls.append((estimator, export_path, checkpoint_path, dict(eval_result), is_the_final_export))
        return os.path.join(export_path, str(eval_result["global_step"]))


def _estimator(tmp_path, **config):
    run_config = tf.estimator.RunConfig(**config) if config else None
    return tf.estimator.Estimator(linear_model_fn, model_dir=str(tmp_path / "m"), params={"lr": 0.5},
                                  config=run_config)


def test_specs_check_their_arguments_as_tf1():
    with pytest.raises(TypeError, match="`input_fn` must be callable"):
        tf.estimator.TrainSpec(input_fn=3)
    with pytest.raises(ValueError, match="Must specify max_steps > 0, given: 0"):
        tf.estimator.TrainSpec(train_input(), max_steps=0)
    with pytest.raises(TypeError, match="All hooks must be SessionRunHook instances"):
        tf.estimator.TrainSpec(train_input(), hooks=["not a hook"])
    with pytest.raises(TypeError, match="All saving_listeners must be `CheckpointSaverListener` instances"):
        tf.estimator.TrainSpec(train_input(), saving_listeners=[object()])
    spec = tf.estimator.TrainSpec(train_input())
    assert spec.max_steps is None and spec.hooks == () and spec.saving_listeners == ()

    with pytest.raises(ValueError, match="Must specify steps > 0, given: -1"):
        tf.estimator.EvalSpec(eval_input(), steps=-1)
    with pytest.raises(TypeError, match="`name` must be string"):
        tf.estimator.EvalSpec(eval_input(), name=3)
    with pytest.raises(ValueError, match="start_delay_secs >= 0"):
        tf.estimator.EvalSpec(eval_input(), start_delay_secs=-1)
    with pytest.raises(ValueError, match="throttle_secs >= 0"):
        tf.estimator.EvalSpec(eval_input(), throttle_secs=-1)
    with pytest.raises(TypeError, match="`exporters` must be an Exporter"):
        tf.estimator.EvalSpec(eval_input(), exporters=[object()])
    with pytest.raises(ValueError, match="must have unique names"):
        tf.estimator.EvalSpec(eval_input(), exporters=[RecordingExporter("a"), RecordingExporter("a")])
    with pytest.raises(ValueError, match="non-empty string name"):
        tf.estimator.EvalSpec(eval_input(), exporters=RecordingExporter(""))
    spec = tf.estimator.EvalSpec(eval_input())
    assert (spec.steps, spec.name, spec.hooks, spec.exporters, spec.start_delay_secs, spec.throttle_secs) == (
        100, None, (), (), 120, 600)
    single = RecordingExporter("one")
    assert tf.estimator.EvalSpec(eval_input(), exporters=single).exporters == (single,)


def test_train_and_evaluate_checks_its_arguments(tmp_path):
    est = _estimator(tmp_path)
    train_spec, eval_spec = tf.estimator.TrainSpec(train_input(), max_steps=5), tf.estimator.EvalSpec(eval_input())
    with pytest.raises(TypeError, match="`estimator` must have type `tf.estimator.Estimator`"):
        tf.estimator.train_and_evaluate(object(), train_spec, eval_spec)
    with pytest.raises(TypeError, match="`train_spec` must have type `tf.estimator.TrainSpec`"):
        tf.estimator.train_and_evaluate(est, eval_spec, eval_spec)
    with pytest.raises(TypeError, match="`eval_spec` must have type `tf.estimator.EvalSpec`"):
        tf.estimator.train_and_evaluate(est, train_spec, train_spec)


def test_local_mode_evaluates_after_checkpoints_and_at_the_end_and_calls_exporters(tmp_path):
    est = _estimator(tmp_path, save_checkpoints_steps=20)
    exporter = RecordingExporter("latest")
    evaluated_steps = []
    saves = []

    class Listener(tf.train.CheckpointSaverListener):
        def after_save(self, session, global_step_value):
            saves.append((global_step_value, len(exporter.calls)))  # called before the evaluation's listener

    class RecordSteps(tf.train.SessionRunHook):
        def end(self, session):
            evaluated_steps.append(int(session.run(tf.train.get_global_step())))

    metrics, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(train_input(), max_steps=50, saving_listeners=[Listener()]),
        tf.estimator.EvalSpec(eval_input(), steps=None, throttle_secs=0, exporters=[exporter], hooks=[RecordSteps()]))
    # Checkpoints at 0 (session start, not evaluated), 20, 40 and 50 (the end).
    assert evaluated_steps == [20, 40, 50]
    assert saves == [(0, 0), (20, 0), (40, 1), (50, 2)]
    assert metrics["global_step"] == 50 and set(metrics) == {"loss", "mae", "global_step"}
    assert metrics["loss"] == pytest.approx(est.evaluate(eval_input())["loss"])
    assert exports == [os.path.join(est.model_dir, "export", "latest", "50")]
    export_path = os.path.join(est.model_dir, "export", "latest")
    assert [(call[0], call[1]) for call in exporter.calls] == [(est, export_path)] * 3
    assert [os.path.basename(call[2]) for call in exporter.calls] == ["model.ckpt-20", "model.ckpt-40", "model.ckpt-50"]
    assert [call[3]["global_step"] for call in exporter.calls] == [20, 40, 50]
    assert [call[4] for call in exporter.calls] == [False, False, True]
    assert os.path.isdir(os.path.join(est.model_dir, "eval"))


def test_throttle_secs_skips_evaluations_but_the_end_is_evaluated(tmp_path):
    model_fn_modes = []

    def model_fn(features, labels, mode, params):
        model_fn_modes.append(mode)
        return linear_model_fn(features, labels, mode, params)
    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path / "m"), params={"lr": 0.5},
                                 config=tf.estimator.RunConfig(save_checkpoints_steps=10))
    exporter = RecordingExporter("e")
    metrics, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(train_input(), max_steps=40),
        tf.estimator.EvalSpec(eval_input(), steps=2, name="named", throttle_secs=3600, exporters=exporter))
    # The first checkpoint after the start is evaluated, later ones fall inside throttle_secs, the end is evaluated.
    assert [call[3]["global_step"] for call in exporter.calls] == [10, 40]
    assert metrics["global_step"] == 40 and len(exports) == 1
    assert os.path.isdir(os.path.join(est.model_dir, "eval_named"))
    # One evaluation graph, reused by both evaluations (each reads its own checkpoint's values).
    assert model_fn_modes == ["train", "eval"]


def test_reached_max_steps_returns_none_as_tf(tmp_path):
    est = _estimator(tmp_path)
    est.train(train_input(), max_steps=5)
    result = tf.estimator.train_and_evaluate(est, tf.estimator.TrainSpec(train_input(), max_steps=5),
                                             tf.estimator.EvalSpec(eval_input()))
    assert result == (None, None)


def test_train_and_evaluate_without_max_steps_ends_with_the_input(tmp_path):
    est = _estimator(tmp_path)
    metrics, exports = tf.estimator.train_and_evaluate(
        est, tf.estimator.TrainSpec(train_input(num_epochs=2)), tf.estimator.EvalSpec(eval_input()))
    assert metrics["global_step"] == 8 and exports == []
    assert np.isfinite(metrics["loss"])


def test_distributed_tf_config_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["h0:2222"], "worker": ["h1:2222"]},
                                                "task": {"type": "worker", "index": 0}}))
    est = _estimator(tmp_path, save_checkpoints_steps=10)
    with pytest.raises(NotImplementedError, match="distributed training and evaluation are not supported yet"):
        tf.estimator.train_and_evaluate(est, tf.estimator.TrainSpec(train_input(), max_steps=5),
                                        tf.estimator.EvalSpec(eval_input()))
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"chief": ["h0:2222"]},
                                                "task": {"type": "evaluator", "index": 1}}))
    est = _estimator(tmp_path, save_checkpoints_steps=10)
    with pytest.raises(ValueError, match="only be one `evaluator` task"):
        tf.estimator.train_and_evaluate(est, tf.estimator.TrainSpec(train_input(), max_steps=5),
                                        tf.estimator.EvalSpec(eval_input()))
    assert not os.path.exists(os.path.join(est.model_dir, "checkpoint"))


def test_evaluate_returns_numpy_scalars_of_the_metrics_dtypes_as_tf1(tmp_path):
    est = _estimator(tmp_path)
    est.train(train_input(), steps=2)
    metrics = est.evaluate(eval_input())
    assert type(metrics["loss"]) is np.float32 and type(metrics["mae"]) is np.float32
    assert type(metrics["global_step"]) is np.int64
