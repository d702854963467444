"""tf.contrib.layers and tf.contrib.framework's variable helpers: TF1 contrib's names, values, arg_scope."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from tests.core.test_conv_ops import ref_conv, ref_pool

layers = tf.contrib.layers
framework = tf.contrib.framework
RNG = np.random.default_rng(0)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        return sess.run(fetches, feed)


def test_contrib_variable_names_and_collections(g):
    images = tf.placeholder(tf.float32, [None, 8, 8, 3])
    net = layers.conv2d(images, 4, [3, 3])
    net = layers.conv2d(net, 4, 3, scope="conv2")
    net = layers.max_pool2d(net, [2, 2])
    net = layers.flatten(net)
    logits = layers.fully_connected(net, 5, activation_fn=None)
    layers.fully_connected(net, 2)
    names = [v.op.name for v in tf.global_variables()]
    assert names == ["Conv/weights", "Conv/biases", "conv2/weights", "conv2/biases", "fully_connected/weights",
                     "fully_connected/biases", "fully_connected_1/weights", "fully_connected_1/biases"]
    assert [v.op.name for v in tf.model_variables()] == names
    assert len(tf.trainable_variables()) == 8
    assert logits.shape.as_list() == [None, 5] and net.shape.as_list() == [None, 64]
    ops = {op.name for op in tf.get_default_graph().get_operations()}
    assert {"Conv/Conv2D", "Conv/BiasAdd", "Conv/Relu", "MaxPool2D/MaxPool", "fully_connected/MatMul"} <= ops


def test_arg_scope_reaches_contrib_layers(g):
    x = tf.constant(RNG.standard_normal((2, 6, 6, 3)).astype(np.float32))
    with framework.arg_scope([layers.conv2d, layers.fully_connected], activation_fn=None,
                             weights_regularizer=layers.l2_regularizer(0.5),
                             biases_initializer=tf.constant_initializer(0.25)):
        with framework.arg_scope([layers.conv2d], padding="VALID", stride=2):
            y = layers.conv2d(x, 2, [3, 3], scope="c")
            y_same = layers.conv2d(x, 2, [3, 3], padding="SAME", scope="s")
        f = layers.fully_connected(layers.flatten(y), 3)
    assert y.shape.as_list() == [2, 2, 2, 2] and y_same.shape.as_list() == [2, 3, 3, 2]
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 3
    y_val, w, b, f_val = _run([y, framework.get_unique_variable("c/weights"),
                               framework.get_unique_variable("c/biases"), f])
    np.testing.assert_allclose(y_val, ref_conv(_run(x), w, [2, 2], "VALID") + 0.25, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(b, 0.25)
    assert f.op.type == "BiasAdd"  # activation_fn=None from the scope


def test_conv_transpose_separable_and_pools(g):
    x_val = RNG.standard_normal((2, 5, 5, 3)).astype(np.float32)
    x = tf.constant(x_val)
    t = layers.conv2d_transpose(x, 4, 3, stride=2)
    s = layers.separable_conv2d(x, 6, [3, 3], depth_multiplier=2)
    d = layers.separable_conv2d(x, None, [3, 3], depth_multiplier=2, scope="dw")
    a = layers.avg_pool2d(x, [2, 2], stride=1, padding="SAME")
    m = layers.max_pool2d(x, 3, padding="SAME")
    assert t.shape.as_list() == [2, 10, 10, 4] and s.shape.as_list() == [2, 5, 5, 6]
    assert d.shape.as_list() == [2, 5, 5, 6]
    names = [v.op.name for v in tf.global_variables()]
    assert names[:2] == ["Conv2d_transpose/weights", "Conv2d_transpose/biases"]
    assert names[2:5] == ["SeparableConv2d/depthwise_weights", "SeparableConv2d/pointwise_weights",
                          "SeparableConv2d/biases"]
    assert tf.global_variables()[0].shape.as_list() == [3, 3, 4, 3]
    a_val, m_val = _run([a, m])
    np.testing.assert_allclose(a_val, ref_pool(x_val, [2, 2], [1, 1], "SAME", np.nanmean), rtol=1e-5)
    np.testing.assert_allclose(m_val, ref_pool(x_val, [3, 3], [2, 2], "SAME", np.nanmax))


def test_batch_norm_names_and_in_place_updates(g):
    x = tf.placeholder(tf.float32, [None, 3])
    y = layers.batch_norm(x, decay=0.5, updates_collections=None, is_training=True)
    y2 = layers.batch_norm(x, scale=True, scope="bn2")
    names = [v.op.name for v in tf.global_variables()]
    assert names[:3] == ["BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]
    assert "bn2/gamma" in names
    assert len(tf.get_collection(tf.GraphKeys.UPDATE_OPS)) == 2  # only bn2's, the first updates in place
    x_val = RNG.standard_normal((8, 3)).astype(np.float32) * 2 + 1
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        y_val, _ = sess.run([y, y2], {x: x_val})
        mean = sess.run(framework.get_unique_variable("BatchNorm/moving_mean"))
    np.testing.assert_allclose(y_val, (x_val - x_val.mean(0)) / np.sqrt(x_val.var(0) + 1e-3), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(mean, 0.5 * x_val.mean(0), rtol=1e-5)


def test_dropout_one_hot_embed_sequence_repeat_stack(g):
    x = tf.ones([4, 100])
    train = layers.dropout(x, keep_prob=0.5)
    test = layers.dropout(x, keep_prob=0.5, is_training=False)
    onehot = layers.one_hot_encoding(tf.constant([0, 2]), 3)
    emb = layers.embed_sequence(tf.constant([[1, 2], [0, 3]]), vocab_size=4, embed_dim=5)
    rep = layers.repeat(tf.zeros([2, 4]), 2, layers.fully_connected, 4, scope="fc")
    stk = layers.stack(tf.zeros([2, 4]), layers.fully_connected, [8, 3], scope="st")
    assert emb.shape.as_list() == [2, 2, 5] and stk.shape.as_list() == [2, 3] and rep.shape.as_list() == [2, 4]
    names = [v.op.name for v in tf.global_variables()]
    assert "EmbedSequence/embeddings" in names and "fc/fc_1/weights" in names and "st/st_2/biases" in names
    tr, te, oh = _run([train, test, onehot])
    assert set(np.unique(tr)) <= {0.0, 2.0} and 0 < (tr == 0).mean() < 1
    np.testing.assert_array_equal(te, 1.0)
    np.testing.assert_array_equal(oh, [[1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="vocab size"):
        layers.embed_sequence(tf.constant([[1]]))


def test_initializers_follow_contribs_formulas(g):
    w_uniform = tf.get_variable("u", [200, 300], initializer=layers.xavier_initializer(seed=1))
    w_he = tf.get_variable("h", [3, 3, 64, 32], initializer=layers.variance_scaling_initializer(seed=2))
    u, h = _run([w_uniform, w_he])
    assert np.abs(u).max() <= np.sqrt(6.0 / 500) and np.abs(u).max() > 0.9 * np.sqrt(6.0 / 500)
    assert abs(h.std() - np.sqrt(1.3 * 2.0 / (9 * 64)) * 0.8796) < 0.005  # a truncated normal's std
    with pytest.raises(TypeError, match="non-floating"):
        layers.xavier_initializer(dtype=tf.int32)
    with pytest.raises(TypeError, match="Unknown mode"):
        layers.variance_scaling_initializer(mode="FAN_MAX")


def test_framework_variable_helpers(g):
    with tf.variable_scope("model"):
        a = framework.model_variable("a", [2])
        b = framework.variable("b", [3], collections=[tf.GraphKeys.GLOBAL_VARIABLES, "mine"])
    with tf.variable_scope("head"):
        c = framework.model_variable("a", [1], trainable=False)
    loc = framework.local_variable([1.0, 2.0], name="counter")
    assert framework.get_variables("model") == [a, b]
    assert framework.get_model_variables() == [a, c]
    assert framework.get_variables_by_name("a") == [a, c]
    assert framework.get_variables_by_suffix("b") == [b]
    assert framework.get_trainable_variables() == [a, b]
    assert framework.get_local_variables() == [loc]
    assert framework.get_variables_to_restore(exclude=["head"]) == [a, b]
    assert framework.get_variables_to_restore(include=["head"]) == [c]
    assert tf.get_collection("mine") == [b]
    assert framework.get_variable_full_name(b) == "model/b"
    with pytest.raises(ValueError, match="Couldn't find"):
        framework.get_unique_variable("nothing")
    step = framework.get_or_create_global_step()
    assert framework.get_global_step() is step and step.op.name == "global_step"


def test_layer_norm_normalizes_each_example_and_names_its_variables(g):
    x_val = RNG.standard_normal((3, 4, 5)).astype(np.float32) * 3 + 2
    y = layers.layer_norm(tf.constant(x_val))
    y_last = layers.layer_norm(tf.constant(x_val), begin_norm_axis=-1, center=False, scope="ln")
    assert [v.op.name for v in tf.global_variables()] == ["LayerNorm/beta", "LayerNorm/gamma", "ln/gamma"]
    assert tf.global_variables()[0].shape.as_list() == [5]
    y_val, last_val = _run([y, y_last])
    mean = x_val.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y_val, (x_val - mean) / x_val.std(axis=(1, 2), keepdims=True), rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(last_val, (x_val - x_val.mean(-1, keepdims=True)) / x_val.std(-1, keepdims=True),
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="must be < rank"):
        layers.layer_norm(tf.constant(x_val), begin_norm_axis=3)
