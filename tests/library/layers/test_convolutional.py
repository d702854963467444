"""tf.layers convolutions and pooling: TF1's variable names, shapes, values and training."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from tests.core.test_conv_ops import ref_conv, ref_conv_grads, ref_pool

RNG = np.random.default_rng(0)


def _init_and_run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches, feed)


def test_conv2d_variable_names_and_ops_follow_tf1(g):
    x = tf.placeholder(tf.float32, [None, 8, 8, 3])
    h = tf.layers.conv2d(x, 4, 3, padding="same", activation=tf.nn.relu)
    h2 = tf.layers.conv2d(h, 5, (3, 3), strides=2)
    with tf.variable_scope("block"):
        tf.layers.Conv2D(2, 1, name="proj")(h2)
    names = [v.name for v in tf.global_variables()]
    assert names == ["conv2d/kernel:0", "conv2d/bias:0", "conv2d_1/kernel:0", "conv2d_1/bias:0",
                     "block/proj/kernel:0", "block/proj/bias:0"]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 3, 4]
    assert h.shape.as_list() == [None, 8, 8, 4] and h2.shape.as_list() == [None, 3, 3, 5]
    ops = {op.name for op in tf.get_default_graph().get_operations()}
    assert {"conv2d/Conv2D", "conv2d/BiasAdd", "conv2d/Relu", "conv2d_1/Conv2D"} <= ops


def test_conv2d_values_with_reuse_and_channels_first(g):
    x_val = RNG.standard_normal((2, 6, 5, 3)).astype(np.float32)
    x = tf.constant(x_val)
    y = tf.layers.conv2d(x, 4, [3, 2], strides=(2, 1), padding="valid", name="c", use_bias=True,
                         bias_initializer=tf.constant_initializer(0.5))
    y_again = tf.layers.conv2d(x, 4, [3, 2], strides=(2, 1), name="c", reuse=True,
                               bias_initializer=tf.constant_initializer(0.5))
    assert len(tf.trainable_variables()) == 2
    layer = tf.layers.Conv2D(4, 3, padding="same", data_format="channels_first")
    y_cf = layer(tf.constant(np.moveaxis(x_val, -1, 1)))
    kernel = tf.trainable_variables()[0]
    y_val, y2_val, k_val, ycf_val, kcf_val = _init_and_run([y, y_again, kernel, y_cf, layer.kernel])
    np.testing.assert_allclose(y_val, ref_conv(x_val, k_val, [2, 1], "VALID") + 0.5, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(y_val, y2_val)
    np.testing.assert_allclose(ycf_val, np.moveaxis(ref_conv(x_val, kcf_val, [1, 1], "SAME"), -1, 1), rtol=1e-4,
                               atol=1e-5)


def test_conv1d_conv3d_and_transposes(g):
    x1 = tf.constant(RNG.standard_normal((2, 9, 3)).astype(np.float32))
    x3 = tf.constant(RNG.standard_normal((1, 4, 5, 6, 2)).astype(np.float32))
    x2 = tf.placeholder(tf.float32, [None, 4, 5, 3])
    y1 = tf.layers.conv1d(x1, 2, 3, strides=2, padding="same")
    y3 = tf.layers.conv3d(x3, 2, (2, 3, 3), padding="valid")
    t2 = tf.layers.conv2d_transpose(x2, 6, 3, strides=2, padding="same")
    t2v = tf.layers.conv2d_transpose(x2, 2, (3, 2), strides=(2, 1), padding="valid")
    t3 = tf.layers.conv3d_transpose(x3, 3, 2, strides=2)
    assert y1.shape.as_list() == [2, 5, 2] and y3.shape.as_list() == [1, 3, 3, 4, 2]
    assert t2.shape.as_list() == [None, 8, 10, 6] and t2v.shape.as_list() == [None, 9, 6, 2]
    assert t3.shape.as_list() == [1, 8, 10, 12, 3]
    assert [v.name for v in tf.global_variables()][4:6] == ["conv2d_transpose/kernel:0", "conv2d_transpose/bias:0"]
    assert tf.global_variables()[4].shape.as_list() == [3, 3, 6, 3]  # (h, w, filters, in_channels)
    x2_val = RNG.standard_normal((2, 4, 5, 3)).astype(np.float32)
    t2_val, kernel = _init_and_run([t2, tf.global_variables()[4]], {x2: x2_val})
    dx, _ = ref_conv_grads(np.zeros((2, 8, 10, 6)), kernel, x2_val, [2, 2], "SAME")
    np.testing.assert_allclose(t2_val, dx, rtol=1e-4, atol=1e-5)


def test_separable_conv_layers(g):
    x = tf.constant(RNG.standard_normal((2, 6, 6, 3)).astype(np.float32))
    y = tf.layers.separable_conv2d(x, 4, 3, depth_multiplier=2, padding="same")
    y1 = tf.layers.separable_conv1d(tf.constant(RNG.standard_normal((2, 7, 3)).astype(np.float32)), 2, 3)
    names = [v.name for v in tf.global_variables()]
    assert names[:3] == ["separable_conv2d/depthwise_kernel:0", "separable_conv2d/pointwise_kernel:0",
                         "separable_conv2d/bias:0"]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 3, 2]
    assert tf.global_variables()[1].shape.as_list() == [1, 1, 6, 4]
    assert names[3:] == ["separable_conv1d/depthwise_kernel:0", "separable_conv1d/pointwise_kernel:0",
                         "separable_conv1d/bias:0"]
    assert y.shape.as_list() == [2, 6, 6, 4] and y1.shape.as_list() == [2, 5, 2]
    y_val, dw, pw = _init_and_run([y] + tf.global_variables()[:2])
    ref = ref_conv(ref_conv(np.asarray(_init_and_run(x), np.float64), dw, [1, 1], "SAME", depthwise=True), pw,
                   [1, 1], "VALID")
    np.testing.assert_allclose(y_val, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,reduce,rank", [
    (tf.layers.max_pooling1d, np.nanmax, 1), (tf.layers.average_pooling1d, np.nanmean, 1),
    (tf.layers.max_pooling2d, np.nanmax, 2), (tf.layers.average_pooling2d, np.nanmean, 2),
    (tf.layers.max_pooling3d, np.nanmax, 3), (tf.layers.average_pooling3d, np.nanmean, 3)])
def test_pooling_functions(g, fn, reduce, rank):
    shape = (2,) + (5, 6, 4)[:rank] + (3,)
    x_val = RNG.standard_normal(shape).astype(np.float32)
    y = fn(tf.constant(x_val), 2, 2, padding="same")
    expected = ref_pool(x_val.reshape((2,) + (1,) * (3 - rank) + shape[1:]), [1] * (3 - rank) + [2] * rank,
                        [1] * (3 - rank) + [2] * rank, "SAME", reduce).reshape(y.shape.as_list())
    np.testing.assert_allclose(_init_and_run(y), expected, rtol=1e-5)
    assert y.op.name.startswith(fn.__name__)


def test_pooling_layer_classes_channels_first_and_output_shape(g):
    layer = tf.layers.MaxPooling2D(3, 2, data_format="channels_first")
    x = tf.placeholder(tf.float32, [None, 3, 7, 8])
    y = layer(x)
    assert y.shape.as_list() == [None, 3, 3, 3] == layer.compute_output_shape([None, 3, 7, 8]).as_list()
    assert tf.layers.AveragePooling1D(2, 1, padding="same").compute_output_shape([4, 5, 2]).as_list() == [4, 5, 2]
    with pytest.raises(ValueError, match="padding"):
        tf.layers.MaxPooling2D(2, 2, padding="full")


def test_conv_layer_errors(g):
    with pytest.raises(ValueError, match="channel dimension"):
        tf.layers.conv2d(tf.placeholder(tf.float32, [None, 4, 4, None]), 2, 3)
    with pytest.raises(ValueError, match="ndim=4"):
        tf.layers.conv2d(tf.zeros([4, 4, 3]), 2, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        tf.layers.Conv2D(2, (3, 3, 3))


def _bars(n, rng):
    """8x8 images of one horizontal (label 0) or vertical (label 1) bar, plus noise."""
    labels = rng.integers(0, 2, n)
    images = rng.normal(0, 0.3, (n, 8, 8, 1)).astype(np.float32)
    where = rng.integers(1, 7, n)
    for i, (label, k) in enumerate(zip(labels, where)):
        if label == 0:
            images[i, k, 1:7, 0] += 1.0
        else:
            images[i, 1:7, k, 0] += 1.0
    return images, labels.astype(np.int32)


def test_a_small_cnn_learns_to_tell_horizontal_from_vertical_bars(g):
    rng = np.random.default_rng(42)
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, [None, 8, 8, 1])
    y = tf.placeholder(tf.int32, [None])
    h = tf.layers.conv2d(x, 8, 3, padding="same", activation=tf.nn.relu)
    h = tf.layers.max_pooling2d(h, 2, 2)
    h = tf.layers.conv2d(h, 8, 3, activation=tf.nn.relu)
    logits = tf.layers.dense(tf.layers.flatten(h), 2)
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    train_op = tf.train.AdamOptimizer(0.01).minimize(loss)
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y), tf.float32))
    test_x, test_y = _bars(200, rng)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        before = sess.run(accuracy, {x: test_x, y: test_y})
        for _ in range(150):
            batch_x, batch_y = _bars(32, rng)
            sess.run(train_op, {x: batch_x, y: batch_y})
        after, final_loss = sess.run([accuracy, loss], {x: test_x, y: test_y})
    assert before < 0.8 and after > 0.95, (before, after, final_loss)
