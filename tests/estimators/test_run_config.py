"""RunConfig: TF1's defaults, checks, immutability, replace() and TF_CONFIG."""

import json

import pytest

import estflow as tf


def test_tf1_defaults():
    config = tf.estimator.RunConfig()
    assert config.model_dir is None and config.tf_random_seed is None
    assert config.save_summary_steps == 100 and config.log_step_count_steps == 100
    assert config.save_checkpoints_secs == 600 and config.save_checkpoints_steps is None
    assert config.keep_checkpoint_max == 5 and config.keep_checkpoint_every_n_hours == 10000
    assert config.session_config is None and config.train_distribute is None and config.device_fn is None
    assert config.is_chief and config.task_type == "worker" and config.task_id == 0
    assert config.num_ps_replicas == 0 and config.num_worker_replicas == 1 and config.cluster_spec == {}


def test_checkpoint_triggers_exclude_each_other():
    config = tf.estimator.RunConfig(save_checkpoints_steps=50)
    assert config.save_checkpoints_steps == 50 and config.save_checkpoints_secs is None
    with pytest.raises(ValueError, match="both save_checkpoints_steps and save_checkpoints_secs"):
        tf.estimator.RunConfig(save_checkpoints_steps=50, save_checkpoints_secs=10)
    assert config.replace(save_checkpoints_secs=30).save_checkpoints_steps is None


def test_immutable_and_replace():
    config = tf.estimator.RunConfig(model_dir="/tmp/a", tf_random_seed=3)
    with pytest.raises(AttributeError, match="immutable.*replace"):
        config.model_dir = "/tmp/b"
    new = config.replace(model_dir="/tmp/b", keep_checkpoint_max=2)
    assert (new.model_dir, new.keep_checkpoint_max, new.tf_random_seed) == ("/tmp/b", 2, 3)
    assert config.model_dir == "/tmp/a" and new != config
    assert config.replace() == config
    with pytest.raises(ValueError, match="unknown or unreplaceable.*is_chief"):
        config.replace(is_chief=False)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="save_summary_steps must be >= 0"):
        tf.estimator.RunConfig(save_summary_steps=-1)
    with pytest.raises(TypeError, match="tf_random_seed"):
        tf.estimator.RunConfig(tf_random_seed="1")
    with pytest.raises(TypeError, match="device_fn must be callable"):
        tf.estimator.RunConfig(device_fn="/cpu:0")
    with pytest.raises(ValueError, match="model_dir should be non-empty"):
        tf.estimator.RunConfig(model_dir="")


def _with_tf_config(monkeypatch, value):
    monkeypatch.setenv("TF_CONFIG", json.dumps(value))
    return tf.estimator.RunConfig()


CLUSTER = {"chief": ["h0:2222"], "worker": ["h1:2222", "h2:2222"], "ps": ["h3:2222"]}


def test_tf_config_worker(monkeypatch):
    config = _with_tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "worker", "index": 1}})
    assert config.cluster_spec.as_dict() == CLUSTER and isinstance(config.cluster_spec, tf.train.ClusterSpec)
    assert (config.task_type, config.task_id, config.is_chief) == ("worker", 1, False)
    assert (config.num_ps_replicas, config.num_worker_replicas) == (1, 3)
    assert config.master == "grpc://h2:2222" and config.global_id_in_cluster == 2
    assert config.replace(save_summary_steps=5).task_id == 1


def test_tf_config_chief_ps_and_evaluator(monkeypatch):
    chief = _with_tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "chief", "index": 0}})
    assert chief.is_chief and chief.global_id_in_cluster == 0 and chief.master == "grpc://h0:2222"
    ps = _with_tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "ps", "index": 0}})
    assert not ps.is_chief and ps.global_id_in_cluster == 3
    evaluator = _with_tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "evaluator", "index": 0}})
    assert evaluator.cluster_spec == {} and evaluator.num_worker_replicas == 0 and not evaluator.is_chief


def test_tf_config_errors(monkeypatch):
    with pytest.raises(ValueError, match='must have one "chief" node'):
        _with_tf_config(monkeypatch, {"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}})
    with pytest.raises(ValueError, match='must have one "task"'):
        _with_tf_config(monkeypatch, {"cluster": CLUSTER})
    with pytest.raises(ValueError, match="not a valid task_id"):
        _with_tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "worker", "index": 5}})
    with pytest.raises(ValueError, match="task type must be WORKER"):
        _with_tf_config(monkeypatch, {"task": {"type": "ps", "index": 0}})
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(ValueError, match="TF_CONFIG is not valid JSON"):
        tf.estimator.RunConfig()


def test_estimator_refuses_distributed_training_for_now(monkeypatch, tmp_path):
    config = _with_tf_config(monkeypatch, {"cluster": CLUSTER, "task": {"type": "worker", "index": 0}})
    est = tf.estimator.Estimator(lambda features, labels, mode: None, model_dir=str(tmp_path), config=config)
    with pytest.raises(NotImplementedError, match="distributed training is not supported yet"):
        est.train(lambda: tf.constant([1.0]), steps=1)
