"""CheckpointInputPipelineHook: a second Estimator.train call reads on where the first stopped."""

import os

import numpy as np

import estflow as tf


def _estimator(model_dir, seen):
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", [], initializer=tf.zeros_initializer())
        record = tf.py_func(lambda batch: seen.append(batch.tolist()) or np.int64(0), [labels], tf.int64)
        with tf.control_dependencies([record]):
            train_op = tf.group(tf.assign_add(tf.train.get_or_create_global_step(), 1), tf.assign_add(w, 1.0))
        return tf.estimator.EstimatorSpec(mode, loss=w * 0.0, train_op=train_op)

    return tf.estimator.Estimator(model_fn, str(model_dir), config=tf.estimator.RunConfig(save_checkpoints_steps=2))


def _input_fn():
    return tf.data.Dataset.range(100).map(lambda x: ({"x": tf.cast(tf.reshape(x, [1]), tf.float32)}, x)).batch(2)


def test_the_pipeline_continues_in_the_next_train_call(tmp_path):
    seen = []
    est = _estimator(tmp_path, seen)
    est.train(_input_fn, hooks=[tf.data.experimental.CheckpointInputPipelineHook(est)], steps=3)
    est.train(_input_fn, hooks=[tf.data.experimental.CheckpointInputPipelineHook(est)], steps=3)
    assert seen == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    files = set(os.listdir(tmp_path))
    assert {"checkpoint", "checkpoint_input", "input.ckpt-0.index", "input.ckpt-2.index", "input.ckpt-3.index",
            "input.ckpt-6.index"} <= files
    assert tf.train.latest_checkpoint(str(tmp_path), "checkpoint_input").endswith("input.ckpt-6")
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-6")
    # without the hook the pipeline starts over
    est.train(_input_fn, steps=1)
    assert seen[-1] == [0, 1]


def test_an_unknown_external_state_policy_is_refused(tmp_path):
    est = _estimator(tmp_path, [])
    try:
        tf.data.experimental.CheckpointInputPipelineHook(est, external_state_policy="maybe")
    except ValueError as e:
        assert "Supported values include" in str(e)
    else:
        raise AssertionError("expected ValueError")
