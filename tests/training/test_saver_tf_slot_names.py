"""Saver.restore reads TF1's partitioned-variable slot names (`dnn/hiddenlayer_0/kernel/t_0/Adagrad`)."""

import os

import numpy as np
import pytest

import estflow as tf
from estflow.training.saver import _tf_partitioned_slot_key


def _write(directory, values):
    """A checkpoint holding `values` ({key: array}) under exactly those keys; its prefix."""
    with tf.Graph().as_default():
        variables = {key: tf.Variable(np.asarray(value), name=f"v{i}") for i, (key, value) in enumerate(values.items())}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver(variables).save(sess, os.path.join(str(directory), "model.ckpt"), global_step=3)


def test_the_alias_is_a_tail_of_part_i_between_the_variable_and_its_slot():
    keys = {"dnn/k", "dnn/k/t_0/Adagrad", "lin/w/part_0/Ftrl", "a/b/x_0/Adam", "a/b/Adam_1", "c/d/t_0/e/Adam"}
    assert _tf_partitioned_slot_key("dnn/k/Adagrad", keys) == "dnn/k/t_0/Adagrad"
    assert _tf_partitioned_slot_key("lin/w/Ftrl", keys) == "lin/w/part_0/Ftrl"
    assert _tf_partitioned_slot_key("a/b/Adam", keys) is None          # x_0 is no tail of part_0
    assert _tf_partitioned_slot_key("c/d/Adam", keys) is None          # more than one component between
    assert _tf_partitioned_slot_key("Adagrad", keys) is None
    assert _tf_partitioned_slot_key("dnn/k/Adagrad", keys | {"dnn/k/part_0/Adagrad"}) is None  # ambiguous


def test_restore_maps_the_slot_names_and_save_keeps_estflows(tmp_path):
    kernel, slot = np.arange(6, dtype=np.float32).reshape(2, 3), np.full((2, 3), 0.7, np.float32)
    prefix = _write(tmp_path, {"dnn/hiddenlayer_0/kernel": kernel, "dnn/hiddenlayer_0/kernel/t_0/Adagrad": slot})
    with tf.Graph().as_default():
        k = tf.get_variable("dnn/hiddenlayer_0/kernel", shape=[2, 3])
        s = tf.get_variable("dnn/hiddenlayer_0/kernel/Adagrad", shape=[2, 3], trainable=False)
        saver = tf.train.Saver()
        tf.get_default_graph().finalize()  # as in a MonitoredSession: nothing may be added
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            np.testing.assert_array_equal(sess.run(k), kernel)
            np.testing.assert_array_equal(sess.run(s), slot)
            saved = saver.save(sess, str(tmp_path / "again" / "model.ckpt"))
    assert {name for name, _ in tf.train.list_variables(saved)} == {"dnn/hiddenlayer_0/kernel",
                                                                    "dnn/hiddenlayer_0/kernel/Adagrad"}


def test_other_missing_keys_still_fail_as_before(tmp_path):
    prefix = _write(tmp_path, {"w": np.ones(2, np.float32), "w/t_0/Adagrad": np.ones(2, np.float32)})
    with tf.Graph().as_default():
        tf.get_variable("w", shape=[2])
        tf.get_variable("w/Adagrad", shape=[2])
        tf.get_variable("b", shape=[2])
        saver = tf.train.Saver()
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError, match="b"):
            saver.restore(sess, prefix)


def test_a_dnn_classifier_resumes_from_a_model_dir_with_tf_slot_names(tmp_path):
    columns = [tf.feature_column.numeric_column("x", shape=(2,))]
    x = np.random.default_rng(0).standard_normal((32, 2)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.int64)

    def input_fn():
        return tf.data.Dataset.from_tensor_slices(({"x": x}, y)).repeat().batch(8)

    ours = tf.estimator.DNNClassifier([3], columns, model_dir=str(tmp_path / "ours"))
    ours.train(input_fn, steps=3)
    # the same model as TF1 writes it: slot keys with TF's partitioned-variable names
    values = {}
    for name in ours.get_variable_names():
        head, _, slot = name.rpartition("/")
        key = f"{head}/t_0/{slot}" if slot == "Adagrad" else name
        values[key] = ours.get_variable_value(name)
    assert "dnn/hiddenlayer_0/kernel/t_0/Adagrad" in values
    _write(tmp_path / "tf", values)
    resumed = tf.estimator.DNNClassifier([3], columns, model_dir=str(tmp_path / "tf"))
    resumed.train(input_fn, steps=1)  # restores (slots included) from step 3, trains step 4
    assert resumed.get_variable_value("global_step") == 4
    before = ours.get_variable_value("dnn/hiddenlayer_0/kernel/Adagrad")
    after = resumed.get_variable_value("dnn/hiddenlayer_0/kernel/Adagrad")
    assert np.all(after >= before) and np.all(before > 0.1)  # accumulated on top of the restored slots
    assert "dnn/hiddenlayer_0/kernel/Adagrad" in resumed.get_variable_names()
    assert "dnn/hiddenlayer_0/kernel/t_0/Adagrad" not in resumed.get_variable_names()  # written as estflow names


_TF_TRAINS_DNN = r"""
import json, sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
model_dir = sys.argv[1]
x = np.random.default_rng(0).standard_normal((32, 2)).astype(np.float32)
def input_fn():
    return tf.data.Dataset.from_tensor_slices(({"x": x}, (x[:, :1] > 0).astype(np.int64))).repeat().batch(8)
est = tf1.estimator.DNNClassifier([3], [tf.feature_column.numeric_column("x", shape=(2,))], model_dir=model_dir)
est.train(input_fn, steps=2)
reader = tf1.train.NewCheckpointReader(tf1.train.latest_checkpoint(model_dir))
print(json.dumps({"keys": sorted(reader.get_variable_to_shape_map()),
                  "slot": reader.get_tensor("dnn/hiddenlayer_0/kernel/t_0/Adagrad").tolist()}))
"""


@pytest.mark.interop
def test_a_dnn_classifier_resumes_training_from_real_tensorflows_model_dir(tmp_path, tf_python):
    from tests.interop import run_tensorflow  # the interop helper runs only with real TensorFlow present

    theirs = run_tensorflow(tf_python, _TF_TRAINS_DNN, tmp_path)
    assert "dnn/hiddenlayer_0/kernel/t_0/Adagrad" in theirs["keys"]
    x = np.random.default_rng(0).standard_normal((32, 2)).astype(np.float32)

    def input_fn():
        return tf.data.Dataset.from_tensor_slices(({"x": x}, (x[:, :1] > 0).astype(np.int64))).repeat().batch(8)

    est = tf.estimator.DNNClassifier([3], [tf.feature_column.numeric_column("x", shape=(2,))], model_dir=str(tmp_path))
    est.train(input_fn, steps=1)
    assert est.get_variable_value("global_step") == 3
    assert np.all(est.get_variable_value("dnn/hiddenlayer_0/kernel/Adagrad") >= np.array(theirs["slot"]))
