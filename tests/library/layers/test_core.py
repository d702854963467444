"""tf.layers Dense / Dropout / Flatten (estflow/library/layers/core.py): TF1's variable and op
names, reuse, values, regularization losses, and `training` as a bool or a tensor."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import layers, nn
from estflow.core.gradients import gradients
from estflow.core.graph import GraphKeys, get_collection
from estflow.core.init_ops import Constant
from estflow.core.ops.constant_op import placeholder
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.variable_scope import AUTO_REUSE, variable_scope
from estflow.core.variables import global_variables, global_variables_initializer, trainable_variables

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 3)).astype(np.float32)


def _init_and_run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(global_variables_initializer())
        return sess.run(fetches, feed)


def _names(variables):
    return [v.name for v in variables]


def test_dense_variable_and_op_names():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        y = layers.dense(x, 4, activation=nn.relu)
        layers.dense(y, 2)
        assert _names(global_variables()) == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"]
        assert _names(trainable_variables()) == _names(global_variables())
        ops = [op.name for op in tf.get_default_graph().get_operations()]
        assert {"dense/MatMul", "dense/BiasAdd", "dense/Relu", "dense_1/MatMul", "dense_1/BiasAdd"} <= set(ops)
        assert y.op.name == "dense/Relu" and y.shape.as_list() == [None, 4]
        with variable_scope("model"):
            layers.dense(x, 2)
        assert "model/dense/kernel:0" in _names(global_variables())


def test_dense_values_and_glorot_default():
    with tf.Graph().as_default():
        layer = layers.Dense(4, activation=nn.relu, bias_initializer=Constant(0.5))
        y = layer(X)
        kernel, bias, out = _init_and_run([layer.kernel, layer.bias, y])
    np.testing.assert_allclose(out, np.maximum(X @ kernel + bias, 0), rtol=1e-6)
    np.testing.assert_array_equal(bias, 0.5)
    limit = np.sqrt(6 / (3 + 4))
    assert np.all(np.abs(kernel) <= limit) and kernel.std() > 0


def test_dense_reuse_by_name_and_layer_object():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        y1 = layers.dense(x, 2, name="shared")
        y2 = layers.dense(x, 2, name="shared", reuse=True)
        assert len(global_variables()) == 2
        with pytest.raises(ValueError, match="Variable shared/kernel already exists"):
            layers.dense(x, 2, name="shared")
        with variable_scope("auto", reuse=AUTO_REUSE):
            layers.dense(x, 2, name="d")
        with variable_scope("auto", reuse=AUTO_REUSE):
            layers.dense(x, 2, name="d")
        assert len(global_variables()) == 4
        layer = layers.Dense(3)
        a, b = layer(x), layer(x)
        assert len(global_variables()) == 6 and a.op.name == "dense/BiasAdd" and b.op.name == "dense/BiasAdd_1"
        out1, out2 = _init_and_run([y1, y2], {x: X})
        np.testing.assert_array_equal(out1, out2)


def test_dense_rank_3_inputs():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 4, 3])
        layer = layers.Dense(2)
        y = layer(x)
        assert y.shape.as_list() == [None, 4, 2]
        value = RNG.standard_normal((2, 4, 3)).astype(np.float32)
        kernel, bias, out = _init_and_run([layer.kernel, layer.bias, y], {x: value})
    np.testing.assert_allclose(out, value @ kernel + bias, rtol=1e-5)


def test_dense_regularizers_constraint_and_flags():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        constraint = lambda w: w  # noqa: E731
        layer = layers.Dense(2, use_bias=False, kernel_regularizer=layers.l2_regularizer(0.1),
                             activity_regularizer=layers.l1_regularizer(0.01), kernel_constraint=constraint)
        y = layer(x)
        assert layer.bias is None and layer.kernel.constraint is constraint
        losses = get_collection(GraphKeys.REGULARIZATION_LOSSES)
        assert losses == layer.losses and len(losses) == 2
        assert losses[0].op.name == "dense/kernel/Regularizer/l2_regularizer"
        frozen = layers.dense(x, 2, trainable=False)
        assert frozen.op.name.startswith("dense_1/")
        assert _names(trainable_variables()) == ["dense/kernel:0"]
        kernel, out, (kernel_loss, activity_loss) = _init_and_run([layer.kernel, y, losses], {x: X})
    np.testing.assert_allclose(kernel_loss, 0.1 * (kernel ** 2).sum() / 2, rtol=1e-5)
    np.testing.assert_allclose(activity_loss, 0.01 * np.abs(out).sum() / 5, rtol=1e-5)


def test_dense_errors_and_dtype():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="The last dimension of the inputs to `Dense` should be defined"):
            layers.dense(placeholder(tf.float32, [None, None]), 2)
        with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
            layers.dense(placeholder(tf.float32, [3]), 2)
        y = layers.dense(placeholder(tf.float64, [None, 3]), 2, activation="tanh")
        assert y.dtype == tf.float64 and global_variables()[-1].dtype.base_dtype == tf.float64 and y.op.type == "Tanh"


def test_dense_gradients():
    kernel = RNG.standard_normal((3, 2))
    w = RNG.standard_normal((5, 2))
    with tf.Graph().as_default():
        x = placeholder(tf.float64, [None, 3])
        layer = layers.Dense(2, activation=nn.softplus, kernel_initializer=Constant(kernel),
                             bias_initializer=Constant(0.3))
        y = layer(x)
        dx, dkernel, dbias = gradients(reduce_sum(y * w), [x, layer.kernel, layer.bias])
        got = _init_and_run([dx, dkernel, dbias], {x: X.astype(np.float64)})
    upstream = w / (1 + np.exp(-(X @ kernel + 0.3)))  # w * sigmoid(pre-activation)
    np.testing.assert_allclose(got[0], upstream @ kernel.T, rtol=1e-10)
    np.testing.assert_allclose(got[1], X.T.astype(np.float64) @ upstream, rtol=1e-6)
    np.testing.assert_allclose(got[2], upstream.sum(0), rtol=1e-10)


def test_dropout_layer_training_python_and_tensor():
    with tf.Graph().as_default():
        x = tf.ones([100, 50])
        off = layers.dropout(x, rate=0.5)                 # TF1's default: training=False
        on = layers.dropout(x, rate=0.5, training=True, seed=1)
        training = placeholder(tf.bool, [])
        switched = layers.Dropout(0.5, seed=2)(x, training=training)
        assert off.op.name == "dropout/Identity" and on.op.name.startswith("dropout_1/")
        assert switched.shape.as_list() == [100, 50]
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(off), 1.0)
            kept = sess.run(on) != 0
            assert 0.45 < kept.mean() < 0.55
            np.testing.assert_array_equal(sess.run(switched, {training: False}), 1.0)
            values = sess.run(switched, {training: True})
    assert set(np.unique(values).tolist()) == {0.0, 2.0}


def test_dropout_noise_shape_with_none():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 6])
        y = layers.dropout(x, rate=0.5, noise_shape=[None, 1], training=True, seed=4)
        with tf.Session() as sess:
            out = sess.run(y, {x: np.ones((40, 6), np.float32)})
    assert np.all(out == out[:, :1])


def test_flatten():
    value = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3, 4])
        y = layers.flatten(x)
        z = layers.Flatten(data_format="channels_first")(x)
        unknown = layers.flatten(placeholder(tf.float32, [2, None]))
        assert y.shape.as_list() == [None, 12] and y.op.name == "flatten/Reshape"
        assert unknown.shape.as_list() == [2, None]
        with tf.Session() as sess:
            out_y, out_z = sess.run([y, z], {x: value})
    np.testing.assert_array_equal(out_y, value.reshape(2, 12))
    np.testing.assert_array_equal(out_z, value.transpose(0, 2, 1).reshape(2, 12))
