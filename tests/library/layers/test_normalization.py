"""tf.layers BatchNormalization (estflow/library/layers/normalization.py): TF1's variable names, the
moving-average update ops in GraphKeys.UPDATE_OPS, training as a bool or a tensor, fused 4-D."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import layers
from estflow.core.gradients import gradients
from estflow.core.graph import GraphKeys, get_collection
from estflow.core.init_ops import Constant
from estflow.core.ops.constant_op import placeholder
from estflow.core.ops.control_flow_ops import group
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.variables import global_variables, global_variables_initializer, trainable_variables

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((8, 3)) * [1.0, 2.0, 0.5] + [0.0, 3.0, -1.0]).astype(np.float32)
EPS = 1e-3


def _normalized(x, axes, gamma=1.0, beta=0.0):
    return gamma * (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + EPS) + beta


def test_variable_names_order_and_collections():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        layers.batch_normalization(x)
        layers.batch_normalization(x, center=False, name="bn")
        assert [v.name for v in global_variables()] == [
            "batch_normalization/gamma:0", "batch_normalization/beta:0", "batch_normalization/moving_mean:0",
            "batch_normalization/moving_variance:0", "bn/gamma:0", "bn/moving_mean:0", "bn/moving_variance:0"]
        assert [v.name for v in trainable_variables()] == [
            "batch_normalization/gamma:0", "batch_normalization/beta:0", "bn/gamma:0"]
        assert get_collection(GraphKeys.UPDATE_OPS) == []  # training=False adds no updates
        layers.batch_normalization(x, center=False, name="bn", reuse=True)
        assert len(global_variables()) == 7
        with pytest.raises(ValueError, match="already exists"):
            layers.batch_normalization(x, name="bn")


def test_training_normalizes_with_batch_stats_and_updates_moving_averages():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        layer = layers.BatchNormalization(momentum=0.9, gamma_initializer=Constant(2.0))
        y = layer(x, training=True)
        updates = get_collection(GraphKeys.UPDATE_OPS)
        assert updates == layer.updates and len(updates) == 2
        assert [u.op.name for u in updates] == ["batch_normalization/AssignMovingAvg",
                                                "batch_normalization/AssignMovingAvg_1"]
        with tf.Session() as sess:
            sess.run(global_variables_initializer())
            out = sess.run(y, {x: X})
            for _ in range(2):
                sess.run(group(*updates), {x: X})
            moving_mean, moving_variance = sess.run([layer.moving_mean, layer.moving_variance])
    np.testing.assert_allclose(out, _normalized(X, 0, gamma=2.0), rtol=1e-4, atol=1e-5)
    # Two updates from (0, 1) with decay 0.9: m2 = (1 - 0.9**2) * batch_mean.
    np.testing.assert_allclose(moving_mean, 0.19 * X.mean(0), rtol=1e-5)
    np.testing.assert_allclose(moving_variance, 0.81 + 0.19 * X.var(0), rtol=1e-5)


def test_inference_uses_moving_statistics():
    with tf.Graph().as_default():
        y = layers.batch_normalization(X, moving_mean_initializer=Constant(1.0),
                                       moving_variance_initializer=Constant(4.0), beta_initializer=Constant(0.5))
        with tf.Session() as sess:
            sess.run(global_variables_initializer())
            out = sess.run(y)
    np.testing.assert_allclose(out, (X - 1.0) / np.sqrt(4.0 + EPS) + 0.5, rtol=1e-5)


def test_training_as_a_tensor():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        training = placeholder(tf.bool, [])
        layer = layers.BatchNormalization(momentum=0.5)
        y = layer(x, training=training)
        updates = get_collection(GraphKeys.UPDATE_OPS)
        with tf.Session() as sess:
            sess.run(global_variables_initializer())
            out_infer, _ = sess.run([y, updates], {x: X, training: False})
            np.testing.assert_allclose(sess.run(layer.moving_mean), 0.0)   # inference moves nothing
            np.testing.assert_allclose(sess.run(layer.moving_variance), 1.0)
            out_train, _ = sess.run([y, updates], {x: X, training: True})
            moving_mean = sess.run(layer.moving_mean)
    np.testing.assert_allclose(out_infer, X / np.sqrt(1 + EPS), rtol=1e-5)
    np.testing.assert_allclose(out_train, _normalized(X, 0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(moving_mean, 0.5 * X.mean(0), rtol=1e-5)


def test_axis_1_of_a_3d_input_broadcasts_parameters():
    x = RNG.standard_normal((4, 3, 5)).astype(np.float64)
    with tf.Graph().as_default():
        layer = layers.BatchNormalization(axis=1, beta_initializer=Constant([1.0, 2.0, 3.0]))
        y = layer(x, training=True)
        assert layer.gamma.shape.as_list() == [3] and y.shape.as_list() == [4, 3, 5]
        with tf.Session() as sess:
            sess.run(global_variables_initializer())
            out = sess.run(y)
    np.testing.assert_allclose(out, _normalized(x, (0, 2), beta=np.array([1.0, 2.0, 3.0])[None, :, None]),
                               rtol=1e-9)


@pytest.mark.parametrize(("axis", "shape"), [(-1, (2, 3, 3, 4)), (1, (2, 4, 3, 3)), (3, (2, 3, 3, 4))])
def test_fused_4d_path(axis, shape):
    x = RNG.standard_normal(shape).astype(np.float32)
    reduce_axes = tuple(i for i in range(4) if i != axis % 4)
    with tf.Graph().as_default():
        layer = layers.BatchNormalization(axis=axis, momentum=0.0)
        y = layer(x, training=True)
        assert layer._fused
        inference = layer(x, training=False)
        with tf.Session() as sess:
            sess.run(global_variables_initializer())
            out = sess.run(y)
            sess.run(get_collection(GraphKeys.UPDATE_OPS))
            moving_variance, out_inference = sess.run([layer.moving_variance, inference])
    np.testing.assert_allclose(out, _normalized(x, reduce_axes), rtol=1e-4, atol=1e-4)
    n = x.size // 4
    np.testing.assert_allclose(moving_variance, x.var(reduce_axes) * n / (n - 1), rtol=1e-4)  # TF's fused kernel
    assert out_inference.shape == shape


def test_unfused_and_errors():
    with tf.Graph().as_default():
        x4 = placeholder(tf.float32, [None, 2, 2, 3])
        layer = layers.BatchNormalization(fused=False)
        layer(x4, training=True)
        assert not layer._fused
        with pytest.raises(ValueError, match="fused batch norm only supports axis"):
            layers.batch_normalization(placeholder(tf.float32, [None, 3]), fused=True)
        with pytest.raises(ValueError, match="Input has undefined `axis` dimension"):
            layers.batch_normalization(placeholder(tf.float32, [None, None]))
        with pytest.raises(ValueError, match="Invalid axis: 5"):
            layers.batch_normalization(placeholder(tf.float32, [None, 3]), axis=5)
        with pytest.raises(NotImplementedError, match="renorm"):
            layers.batch_normalization(placeholder(tf.float32, [None, 3]), renorm=True)


def test_regularizers_and_gradients():
    with tf.Graph().as_default():
        x = placeholder(tf.float64, [None, 3])
        layer = layers.BatchNormalization(gamma_regularizer=layers.l2_regularizer(0.5))
        y = layer(x, training=True)
        losses = get_collection(GraphKeys.REGULARIZATION_LOSSES)
        assert len(losses) == 1 and losses[0].op.name == "batch_normalization/gamma/Regularizer/l2_regularizer"
        w = RNG.standard_normal((8, 3))
        dx, dgamma, dbeta = gradients(reduce_sum(y * w), [x, layer.gamma, layer.beta])
        assert gradients(reduce_sum(y), [layer.moving_mean])[0] is None
        with tf.Session() as sess:
            sess.run(global_variables_initializer())
            xv = X.astype(np.float64)
            got = sess.run([dx, dgamma, dbeta, losses[0]], {x: xv})
    xhat = _normalized(xv, 0)
    np.testing.assert_allclose(got[1], (w * xhat).sum(0), rtol=1e-9)
    np.testing.assert_allclose(got[2], w.sum(0), rtol=1e-9)
    inv = 1 / np.sqrt(xv.var(0) + EPS)
    expected_dx = inv / 8 * (8 * w - w.sum(0) - (xv - xv.mean(0)) * inv ** 2 * (w * (xv - xv.mean(0))).sum(0))
    np.testing.assert_allclose(got[0], expected_dx, rtol=1e-7)
    assert got[3] == pytest.approx(0.5 * 3 / 2)
