"""Exporters as train_and_evaluate calls them: Latest (exports_to_keep), Best (compare_fn, first export), Final."""

import itertools
import os

import pytest

import estflow as tf
from estflow.estimators import export as export_lib
from estflow.estimators import exporter as exporter_lib


def _model_fn(features, labels, mode):
    w = tf.get_variable("w", initializer=tf.constant(2.0))
    y = features * w
    if mode == tf.estimator.ModeKeys.PREDICT:
        return tf.estimator.EstimatorSpec(mode, predictions={"y": y})
    loss = tf.reduce_mean(tf.square(labels - y))
    train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _receiver():
    x = tf.placeholder(tf.float32, [None], name="x")
    return tf.estimator.export.TensorServingInputReceiver(x, x)


@pytest.fixture
def est(tmp_path, monkeypatch):
    clock = itertools.count(1795336249)
    monkeypatch.setattr(export_lib.time, "time", lambda: float(next(clock)))  # a new second per export
    estimator = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path / "model"))
    estimator.train(lambda: (tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0])), steps=1)
    return estimator


def _versions(path):
    return sorted(os.listdir(path)) if os.path.exists(path) else []


def test_latest_exporter_keeps_the_newest(est, tmp_path):
    exporter = tf.estimator.LatestExporter("latest", _receiver, exports_to_keep=2)
    assert exporter.name == "latest" and isinstance(exporter, tf.estimator.Exporter)
    path = str(tmp_path / "export" / "latest")
    results = [exporter.export(est, path, est.latest_checkpoint(), {"loss": 1.0}, False) for _ in range(3)]
    assert all(isinstance(r, bytes) for r in results)
    assert _versions(path) == [os.path.basename(r.decode()) for r in results[1:]]
    with pytest.raises(ValueError, match="must be a positive number"):
        tf.estimator.LatestExporter("x", _receiver, exports_to_keep=0)
    keep_all = tf.estimator.LatestExporter("all", _receiver, exports_to_keep=None)
    for _ in range(3):
        keep_all.export(est, str(tmp_path / "all"), est.latest_checkpoint(), {}, False)
    assert len(_versions(tmp_path / "all")) == 3


def test_final_exporter_only_at_the_end(est, tmp_path):
    exporter = tf.estimator.FinalExporter("final", _receiver)
    path = str(tmp_path / "final")
    assert exporter.export(est, path, est.latest_checkpoint(), {"loss": 1.0}, False) is None
    assert _versions(path) == []
    assert exporter.export(est, path, est.latest_checkpoint(), {"loss": 1.0}, True) is not None
    assert len(_versions(path)) == 1


def test_best_exporter_counts_the_first_export(est, tmp_path):
    # The evaluation has already written its event file: TF1 read it as the best result and never exported.
    result = est.evaluate(lambda: (tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0])), steps=1)
    assert os.listdir(os.path.join(est.model_dir, "eval"))
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=_receiver, exports_to_keep=2)
    assert exporter.name == "best_exporter"
    path = str(tmp_path / "best")
    assert exporter.export(est, path, est.latest_checkpoint(), result, False) is not None
    worse = dict(result, loss=result["loss"] + 1.0)
    assert exporter.export(est, path, est.latest_checkpoint(), worse, False) is None
    better = dict(result, loss=result["loss"] - 1.0)
    assert exporter.export(est, path, est.latest_checkpoint(), better, False) is not None
    even_better = dict(result, loss=result["loss"] - 2.0)
    assert exporter.export(est, path, est.latest_checkpoint(), even_better, False) is not None
    assert len(_versions(path)) == 2


def test_best_exporter_reads_the_best_from_event_files(est, tmp_path):
    result = est.evaluate(lambda: (tf.constant([1.0, 2.0]), tf.constant([1.0, 2.0])), steps=1)
    path = str(tmp_path / "best")
    os.makedirs(os.path.join(path, "1000000000"))  # an earlier export: this is not the first
    exporter = tf.estimator.BestExporter(serving_input_receiver_fn=_receiver)
    same = dict(result)
    assert exporter.export(est, path, est.latest_checkpoint(), same, False) is None  # not better than the events'
    assert exporter.export(est, path, est.latest_checkpoint(), dict(result, loss=result["loss"] - 1.0), False)


def test_best_exporter_compare_fn_checks():
    with pytest.raises(ValueError, match="`compare_fn` must not be None"):
        tf.estimator.BestExporter(compare_fn=None)
    with pytest.raises(ValueError, match="must include best_eval_result argument"):
        tf.estimator.BestExporter(compare_fn=lambda a, current_eval_result: True)
    with pytest.raises(ValueError, match="must include current_eval_result argument"):
        tf.estimator.BestExporter(compare_fn=lambda best_eval_result, b: True)
    with pytest.raises(ValueError, match="has following not expected args: \\['extra'\\]"):
        tf.estimator.BestExporter(compare_fn=lambda best_eval_result, current_eval_result, extra: True)
    with pytest.raises(ValueError, match="best_eval_result cannot be empty or no loss"):
        exporter_lib._loss_smaller({}, {"loss": 1.0})
    with pytest.raises(ValueError, match="current_eval_result cannot be empty or no loss"):
        exporter_lib._loss_smaller({"loss": 1.0}, {"acc": 1.0})
    assert exporter_lib._loss_smaller({"loss": 2.0}, {"loss": 1.0})
