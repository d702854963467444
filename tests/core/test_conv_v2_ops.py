"""TF's generic Conv op (`tf.conv`) and the V2 conv backprops, checked against tf.nn.conv2d's ops."""

import numpy as np
import pytest

import estflow as tf

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 5, 5, 4)).astype(np.float32)
W = RNG.standard_normal((3, 3, 4, 6)).astype(np.float32)


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_conv_equals_conv2d_with_batch_dims_groups_and_channels_first(g):
    ref = tf.nn.conv2d(X, W, [1, 1, 1, 1], "SAME")
    plain = tf.conv(X, W, [1, 1, 1, 1], "SAME")
    batched = tf.conv(X.reshape(1, 2, 5, 5, 4), W, [1, 1, 1, 1], "SAME", batch_dims=2)
    first = tf.conv(np.moveaxis(X, -1, 1), W, [1, 1, 1, 1], "SAME", data_format="CHANNELS_FIRST")
    wg = W[:, :, :2]
    grouped = tf.conv(X, wg, [1, 2, 2, 1], "VALID", groups=2)
    ref_grouped = tf.concat([tf.nn.conv2d(X[..., :2], wg[..., :3], [1, 2, 2, 1], "VALID"),
                             tf.nn.conv2d(X[..., 2:], wg[..., 3:], [1, 2, 2, 1], "VALID")], -1)
    assert (plain.op.type, plain.op.name) == ("Conv", "Conv")
    assert batched.shape.as_list() == [1, 2, 5, 5, 6] and first.shape.as_list() == [2, 6, 5, 5]
    assert grouped.shape.as_list() == [2, 2, 2, 6]
    r, p, b, f, gr, rg = _run([ref, plain, batched, first, grouped, ref_grouped])
    np.testing.assert_allclose(p, r, rtol=1e-5)
    np.testing.assert_allclose(b[0], r, rtol=1e-5)
    np.testing.assert_allclose(np.moveaxis(f, 1, -1), r, rtol=1e-5)
    np.testing.assert_allclose(gr, rg, rtol=1e-5)


def test_conv_3d_and_1d_and_errors(g):
    x3 = RNG.standard_normal((1, 4, 4, 4, 2)).astype(np.float32)
    w3 = RNG.standard_normal((2, 2, 2, 2, 3)).astype(np.float32)
    x1 = RNG.standard_normal((2, 7, 3)).astype(np.float32)
    w1 = RNG.standard_normal((3, 3, 5)).astype(np.float32)
    y3, r3 = tf.conv(x3, w3, [1] * 5, "VALID"), tf.nn.conv3d(x3, w3, [1] * 5, "VALID")
    y1, r1 = tf.conv(x1, w1, [1, 2, 1], "SAME"), tf.nn.conv1d(x1, w1, 2, "SAME")
    a, b, c, d = _run([y3, r3, y1, r1])
    np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(c, d, rtol=1e-5)
    with pytest.raises(ValueError, match="times groups"):
        tf.conv(X, W, [1, 1, 1, 1], "SAME", groups=2)
    with pytest.raises(ValueError, match="data_format"):
        tf.conv(X, W, [1, 1, 1, 1], "SAME", data_format="NHWC")
    x = tf.constant(X)
    with pytest.raises(LookupError, match="Conv"):
        tf.gradients(tf.conv(x, W, [1, 1, 1, 1], "SAME"), x)  # TF registers no gradient for Conv


def test_conv2d_backprop_v2_ops_equal_the_shape_taking_ones(g):
    dy = RNG.standard_normal((2, 3, 3, 6)).astype(np.float32)
    bi = tf.conv2d_backprop_input_v2(X, W, dy, [1, 2, 2, 1], "SAME")
    bf = tf.conv2d_backprop_filter_v2(X, W, dy, [1, 2, 2, 1], "SAME")
    ri = tf.nn.conv2d_backprop_input([2, 5, 5, 4], W, dy, [1, 2, 2, 1], "SAME")
    rf = tf.nn.conv2d_backprop_filter(X, [3, 3, 4, 6], dy, [1, 2, 2, 1], "SAME")
    assert (bi.op.type, bf.op.type) == ("Conv2DBackpropInputV2", "Conv2DBackpropFilterV2")
    assert bi.shape.as_list() == [2, 5, 5, 4] and bf.shape.as_list() == [3, 3, 4, 6]
    explicit = tf.conv2d_backprop_filter_v2(X, W, RNG.standard_normal((2, 5, 5, 6)).astype(np.float32),
                                            [1, 1, 1, 1], "EXPLICIT", explicit_paddings=[0, 0, 1, 1, 1, 1, 0, 0])
    assert explicit.op.get_attr("explicit_paddings") == [0, 0, 1, 1, 1, 1, 0, 0]
    a, b, c, d = _run([bi, bf, ri, rf])
    np.testing.assert_allclose(a, c, rtol=1e-5)
    np.testing.assert_allclose(b, d, rtol=1e-5)
    with pytest.raises(TypeError, match="does not match"):
        tf.conv2d_backprop_input_v2(tf.constant(X, tf.float64), tf.constant(W), dy, [1, 2, 2, 1], "SAME")
