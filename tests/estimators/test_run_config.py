"""RunConfig: TF1's defaults, checks, immutability and replace()."""

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
