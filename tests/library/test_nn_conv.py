"""tf.nn's composed convolutions and pools (estflow/library/nn_conv.py) against numpy references."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient
from tests.core.test_conv_ops import ref_conv, ref_conv_grads, ref_pool

RNG = np.random.default_rng(0)


def _run(t, feed=None):
    with tf.Session() as sess:
        return sess.run(t, feed)


def test_conv1d_nwc_and_ncw(g):
    x = RNG.standard_normal((2, 9, 3))
    w = RNG.standard_normal((3, 3, 4))
    y = tf.nn.conv1d(tf.constant(x), tf.constant(w), stride=2, padding="SAME")
    assert y.shape.as_list() == [2, 5, 4]
    expected = ref_conv(x[:, None], w[None], [1, 2], "SAME")[:, 0]
    np.testing.assert_allclose(_run(y), expected, rtol=1e-10)
    y_ncw = tf.nn.conv1d(tf.constant(np.moveaxis(x, -1, 1)), tf.constant(w), stride=2, padding="SAME",
                         data_format="NCW")
    np.testing.assert_allclose(_run(y_ncw), np.moveaxis(expected, -1, 1), rtol=1e-10)
    dilated = tf.nn.conv1d(tf.constant(x), tf.constant(w), stride=1, padding="VALID", dilations=2)
    np.testing.assert_allclose(_run(dilated), ref_conv(x[:, None], w[None], [1, 1], "VALID", [1, 2])[:, 0],
                               rtol=1e-10)


def test_conv2d_transpose_is_the_gradient_of_conv2d(g):
    dy = RNG.standard_normal((2, 3, 3, 4))
    w = RNG.standard_normal((3, 3, 2, 4))  # (h, w, out_channels, in_channels)
    y = tf.nn.conv2d_transpose(tf.constant(dy), tf.constant(w), output_shape=[2, 6, 5, 2], strides=[1, 2, 2, 1],
                               padding="SAME")
    assert y.shape.as_list() == [2, 6, 5, 2] and y.op.type == "Conv2DBackpropInput"
    dx, _ = ref_conv_grads(np.zeros((2, 6, 5, 2)), w, dy, [2, 2], "SAME")
    np.testing.assert_allclose(_run(y), dx, rtol=1e-10)


def test_conv1d_and_conv3d_transpose(g):
    dy = RNG.standard_normal((2, 4, 3))
    w = RNG.standard_normal((3, 2, 3))
    y = tf.nn.conv1d_transpose(tf.constant(dy), tf.constant(w), [2, 8, 2], 2)
    dx, _ = ref_conv_grads(np.zeros((2, 1, 8, 2)), w[None], dy[:, None], [1, 2], "SAME")
    np.testing.assert_allclose(_run(y), dx[:, 0], rtol=1e-10)
    dy3 = RNG.standard_normal((1, 2, 3, 2, 2))
    w3 = RNG.standard_normal((2, 2, 2, 3, 2))
    y3 = tf.nn.conv3d_transpose(tf.constant(dy3), tf.constant(w3), [1, 4, 3, 4, 3], [1, 2, 1, 2, 1], "SAME")
    dx3, _ = ref_conv_grads(np.zeros((1, 4, 3, 4, 3)), w3, dy3, [2, 1, 2], "SAME")
    np.testing.assert_allclose(_run(y3), dx3, rtol=1e-10)
    y_any = tf.nn.conv_transpose(tf.constant(dy), tf.constant(w), [2, 8, 2], 2)
    np.testing.assert_allclose(_run(y_any), dx[:, 0], rtol=1e-10)


def test_atrous_and_depthwise_with_rate(g):
    x = RNG.standard_normal((1, 7, 7, 2))
    w = RNG.standard_normal((3, 3, 2, 3))
    y = tf.nn.atrous_conv2d(tf.constant(x), tf.constant(w), rate=2, padding="SAME")
    np.testing.assert_allclose(_run(y), ref_conv(x, w, [1, 1], "SAME", [2, 2]), rtol=1e-10)
    dy = RNG.standard_normal((1, 7, 7, 3))
    yt = tf.nn.atrous_conv2d_transpose(tf.constant(dy), tf.constant(w), [1, 7, 7, 2], rate=2, padding="SAME")
    np.testing.assert_allclose(_run(yt), ref_conv_grads(x, w, dy, [1, 1], "SAME", [2, 2])[0], rtol=1e-10)
    dw = RNG.standard_normal((3, 3, 2, 2))
    yd = tf.nn.depthwise_conv2d(tf.constant(x), tf.constant(dw), [1, 1, 1, 1], "SAME", rate=[2, 2])
    np.testing.assert_allclose(_run(yd), ref_conv(x, dw, [1, 1], "SAME", [2, 2], depthwise=True), rtol=1e-10)
    with pytest.raises(ValueError, match="rate"):
        tf.nn.atrous_conv2d(tf.constant(x), tf.constant(w), rate=0, padding="SAME")


def test_separable_conv2d_and_its_gradient(g):
    x = RNG.standard_normal((2, 5, 5, 2))
    dw = RNG.standard_normal((3, 3, 2, 2))
    pw = RNG.standard_normal((1, 1, 4, 3))
    y = tf.nn.separable_conv2d(tf.constant(x), tf.constant(dw), tf.constant(pw), [1, 1, 1, 1], "SAME")
    expected = ref_conv(ref_conv(x, dw, [1, 1], "SAME", depthwise=True), pw, [1, 1], "VALID")
    np.testing.assert_allclose(_run(y), expected, rtol=1e-10)
    check_gradient(lambda a, b, c: tf.nn.separable_conv2d(a, b, c, [1, 2, 2, 1], "VALID"), [x, dw, pw])


def test_convolution_dispatches_on_the_filter_rank(g):
    x1, w1 = RNG.standard_normal((2, 6, 2)), RNG.standard_normal((2, 2, 3))
    x2, w2 = RNG.standard_normal((2, 5, 5, 2)), RNG.standard_normal((2, 2, 2, 3))
    x3, w3 = RNG.standard_normal((1, 4, 4, 4, 2)), RNG.standard_normal((2, 2, 2, 2, 3))
    y1 = tf.nn.convolution(tf.constant(x1), tf.constant(w1), "VALID", dilation_rate=[2])
    y2 = tf.nn.convolution(tf.constant(x2), tf.constant(w2), "SAME", strides=[2, 2])
    y3 = tf.nn.convolution(tf.constant(x3), tf.constant(w3), "VALID")
    got = _run([y1, y2, y3])
    np.testing.assert_allclose(got[0], ref_conv(x1[:, None], w1[None], [1, 1], "VALID", [1, 2])[:, 0], rtol=1e-10)
    np.testing.assert_allclose(got[1], ref_conv(x2, w2, [2, 2], "SAME"), rtol=1e-10)
    np.testing.assert_allclose(got[2], ref_conv(x3, w3, [1, 1, 1], "VALID"), rtol=1e-10)


def test_pools_1d_2d_3d_v2_and_pool(g):
    x1 = RNG.standard_normal((2, 7, 3))
    x2 = RNG.standard_normal((2, 6, 5, 3))
    x3 = RNG.standard_normal((1, 4, 4, 4, 2))
    outs = _run([tf.nn.max_pool1d(tf.constant(x1), 2, 2, "SAME"), tf.nn.avg_pool1d(tf.constant(x1), 3, 1, "VALID"),
                 tf.nn.max_pool_v2(tf.constant(x2), 2, 2, "VALID"), tf.nn.avg_pool_v2(tf.constant(x3), 2, 2, "SAME"),
                 tf.nn.pool(tf.constant(x2), [3, 2], "AVG", "SAME", strides=[2, 1]),
                 tf.nn.max_pool2d(tf.constant(x2), [3, 3], [2, 2], "SAME")])
    np.testing.assert_allclose(outs[0], ref_pool(x1[:, None], [1, 2], [1, 2], "SAME", np.nanmax)[:, 0])
    np.testing.assert_allclose(outs[1], ref_pool(x1[:, None], [1, 3], [1, 1], "VALID", np.nanmean)[:, 0])
    np.testing.assert_allclose(outs[2], ref_pool(x2, [2, 2], [2, 2], "VALID", np.nanmax))
    np.testing.assert_allclose(outs[3], ref_pool(x3, [2, 2, 2], [2, 2, 2], "SAME", np.nanmean))
    np.testing.assert_allclose(outs[4], ref_pool(x2, [3, 2], [2, 1], "SAME", np.nanmean))
    np.testing.assert_allclose(outs[5], ref_pool(x2, [3, 3], [2, 2], "SAME", np.nanmax))
    with pytest.raises(ValueError, match="dilation_rate"):
        tf.nn.pool(tf.constant(x2), [2, 2], "MAX", "SAME", dilation_rate=[2, 2])
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        tf.nn.max_pool_v2(tf.zeros([3, 3]), 2, 2, "SAME")


def test_conv2d_takes_explicit_padding_and_checks_it(g):
    x = RNG.standard_normal((1, 4, 4, 1))
    w = RNG.standard_normal((2, 2, 1, 1))
    y = tf.nn.conv2d(tf.constant(x), tf.constant(w), 1, [[0, 0], [1, 0], [0, 1], [0, 0]])
    assert y.op.get_attr("padding") == "EXPLICIT" and y.op.get_attr("explicit_paddings") == [0, 0, 1, 0, 0, 1, 0, 0]
    np.testing.assert_allclose(_run(y), ref_conv(x, w, [1, 1], [(1, 0), (0, 1)]), rtol=1e-10)
    with pytest.raises(ValueError, match="batch and channel"):
        tf.nn.conv2d(tf.constant(x), tf.constant(w), 1, [[1, 0], [1, 0], [0, 1], [0, 0]])


def test_required_space_to_batch_paddings(g):
    paddings, crops = tf.required_space_to_batch_paddings([5, 7], [2, 3], [[1, 0], [2, 2]])
    p, c = _run([paddings, crops])
    assert p.tolist() == [[1, 0], [2, 3]] and c.tolist() == [[0, 0], [0, 1]]  # 5+1 = 6; 7+4 = 11 -> 12
    p0, c0 = _run(list(tf.required_space_to_batch_paddings([4, 4], [2, 2])))
    assert p0.tolist() == [[0, 0], [0, 0]] and c0.tolist() == [[0, 0], [0, 0]]


def test_with_space_to_batch_turns_a_dilated_convolution_into_a_plain_one(g):
    x = RNG.standard_normal((2, 9, 8, 2))
    w = RNG.standard_normal((3, 2, 2, 3))

    def plain_conv(converted, num_spatial_dims, padding):
        assert num_spatial_dims == 2
        return tf.nn.conv2d(converted, tf.constant(w), [1, 1, 1, 1], padding)

    for padding in ("SAME", "VALID"):
        y = tf.nn.with_space_to_batch(tf.constant(x), [2, 3], padding, plain_conv, filter_shape=[3, 2])
        np.testing.assert_allclose(_run(y), ref_conv(x, w, [1, 1], padding, [2, 3]), rtol=1e-10, atol=1e-12)
    direct = tf.nn.with_space_to_batch(tf.constant(x), [1, 1], "SAME", plain_conv)
    assert direct.op.type == "Conv2D"
    with pytest.raises(ValueError, match="filter_shape"):
        tf.nn.with_space_to_batch(tf.constant(x), [2, 2], "SAME", plain_conv)
