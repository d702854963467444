"""tf.nn functions built from ops (estflow/library/nn_impl.py): numpy references, large-logit
stability, TF1's errors, gradient checks, dropout statistics, moments and batch norm."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import nn
from estflow.core.gradients import gradients
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.random_seed import set_random_seed
from tests.core.gradient_check import check_gradient


def _eval(fn, *values):
    g = tf.Graph()
    with g.as_default():
        out = fn(*[constant(v) for v in values])
        with tf.Session(graph=g) as sess:
            return sess.run(out)


def _log_softmax(x, axis=-1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _sigmoid_xent(x, z):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


LARGE = np.array([[-1000.0, -20.0, -1.0, 0.0], [0.5, 3.0, 20.0, 1000.0]])
LARGE_LABELS = np.array([[0.0, 1.0, 0.3, 1.0], [1.0, 0.0, 0.5, 0.0]])


# ---- sigmoid / weighted cross entropy ------------------------------------------------------------
def test_sigmoid_cross_entropy_values_and_stability():
    for dtype in (np.float32, np.float64):
        out = _eval(lambda x, z: nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                    LARGE.astype(dtype), LARGE_LABELS.astype(dtype))
        assert out.dtype == dtype and np.all(np.isfinite(out))
        np.testing.assert_allclose(out, _sigmoid_xent(LARGE, LARGE_LABELS), rtol=1e-6)
    assert _eval(lambda x, z: nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                 np.float32([1000.0]), np.float32([0.0]))[0] == pytest.approx(1000.0)


def test_sigmoid_cross_entropy_gradient_and_name():
    rng = np.random.default_rng(0)
    check_gradient(lambda x, z: nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
                   [rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))], label="sigmoid_xent")
    g = tf.Graph()
    with g.as_default():
        out = nn.sigmoid_cross_entropy_with_logits(labels=[1.0], logits=[2.0])
        assert out.op.name == "logistic_loss"
        logits = constant(np.float32([1000.0, -1000.0]))
        (dx,) = gradients(nn.sigmoid_cross_entropy_with_logits(labels=np.float32([0.0, 1.0]), logits=logits),
                          [logits])
        with tf.Session(graph=g) as sess:
            np.testing.assert_allclose(sess.run(dx), [1.0, -1.0])


def test_xent_argument_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Only call `sigmoid_cross_entropy_with_logits` with named arguments"):
            nn.sigmoid_cross_entropy_with_logits([1.0], [1.0])
        with pytest.raises(ValueError, match="Both labels and logits must be provided"):
            nn.sigmoid_cross_entropy_with_logits(logits=[1.0])
        with pytest.raises(ValueError, match=r"logits and labels must have the same shape \(\(2,\) vs \(3,\)\)"):
            nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0, 1.0], logits=[1.0, 2.0])
        with pytest.raises(ValueError, match="named arguments"):
            nn.softmax_cross_entropy_with_logits([[1.0]], [[1.0]])


def test_weighted_cross_entropy():
    pos_weight = 3.0
    expected = (1 - LARGE_LABELS) * LARGE + (1 + (pos_weight - 1) * LARGE_LABELS) * (
        np.log1p(np.exp(-np.abs(LARGE))) + np.maximum(-LARGE, 0))
    out = _eval(lambda z, x: nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=pos_weight),
                LARGE_LABELS, LARGE)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # pos_weight = 1 is the plain logistic loss; TF1's `targets` spelling still works.
    out = _eval(lambda z, x: nn.weighted_cross_entropy_with_logits(targets=z, logits=x, pos_weight=1.0),
                LARGE_LABELS, LARGE)
    np.testing.assert_allclose(out, _sigmoid_xent(LARGE, LARGE_LABELS), rtol=1e-12)
    rng = np.random.default_rng(1)
    check_gradient(lambda z, x: nn.weighted_cross_entropy_with_logits(labels=z, logits=x, pos_weight=2.5),
                   [rng.uniform(0, 1, (2, 3)), rng.standard_normal((2, 3))], label="weighted_xent")


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # 0 * log(0) in the branch `where` discards
def test_log_poisson_loss():
    targets, log_input = np.array([0.0, 0.5, 2.0, 5.0]), np.array([0.1, -1.0, 0.7, 1.5])
    base = np.exp(log_input) - log_input * targets
    np.testing.assert_allclose(_eval(nn.log_poisson_loss, targets, log_input), base)
    stirling = targets * np.log(np.where(targets > 0, targets, 1)) - targets + 0.5 * np.log(
        2 * np.pi * np.where(targets > 0, targets, 1))
    full = base + np.where(targets <= 1, 0, stirling)
    np.testing.assert_allclose(_eval(lambda t, x: nn.log_poisson_loss(t, x, compute_full_loss=True), targets,
                                     log_input), full)


# ---- softmax cross entropies ---------------------------------------------------------------------
def test_softmax_cross_entropy_v2_values_large_logits_and_axis():
    labels = LARGE_LABELS / LARGE_LABELS.sum(-1, keepdims=True)
    out = _eval(lambda z, x: nn.softmax_cross_entropy_with_logits_v2(labels=z, logits=x), labels, LARGE)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, -(labels * _log_softmax(LARGE)).sum(-1), rtol=1e-12)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 4, 2))
    z = rng.uniform(0.1, 1, (3, 4, 2))
    z /= z.sum(1, keepdims=True)
    g = tf.Graph()
    with g.as_default():
        loss = nn.softmax_cross_entropy_with_logits_v2(labels=constant(z), logits=constant(x), axis=1)
        assert loss.shape.as_list() == [3, 2]
        loss3 = nn.softmax_cross_entropy_with_logits_v2(labels=constant(np.moveaxis(z, 1, -1)),
                                                        logits=constant(np.moveaxis(x, 1, -1)))
        assert loss3.shape.as_list() == [3, 2]
        with tf.Session(graph=g) as sess:
            np.testing.assert_allclose(sess.run(loss), -(z * _log_softmax(x, 1)).sum(1), rtol=1e-12)
            np.testing.assert_allclose(sess.run(loss3), sess.run(loss), rtol=1e-12)


def test_softmax_cross_entropy_gradients_v1_and_v2():
    rng = np.random.default_rng(3)
    # The logits' gradient (softmax - labels, TF's fused rule) assumes each labels row sums to 1.
    x, z = rng.standard_normal((2, 3, 4)), rng.uniform(0.1, 1, (2, 3, 4))
    z /= z.sum(-1, keepdims=True)
    check_gradient(lambda z, x: nn.softmax_cross_entropy_with_logits_v2(labels=z, logits=x), [z, x],
                   label="softmax_xent_v2")
    z0 = z / z.sum(0, keepdims=True)
    check_gradient(lambda z, x: nn.softmax_cross_entropy_with_logits_v2(labels=z, logits=x, axis=0), [z0, x],
                   label="softmax_xent_v2 axis=0")
    check_gradient(lambda x: nn.softmax_cross_entropy_with_logits(labels=constant(z), logits=x), [x],
                   label="softmax_xent v1")
    g = tf.Graph()
    with g.as_default():
        labels, logits = placeholder(tf.float32, [2, 4]), placeholder(tf.float32, [2, 4])
        v1 = nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        v2 = nn.softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
        assert gradients(v1, [labels])[0] is None  # v1 stops the gradient into labels
        assert gradients(v2, [labels])[0] is not None


def test_sparse_softmax_cross_entropy():
    labels = np.array([3, 0])
    out = _eval(lambda z, x: nn.sparse_softmax_cross_entropy_with_logits(labels=z, logits=x), labels, LARGE)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, -_log_softmax(LARGE)[np.arange(2), labels], rtol=1e-12)
    rng = np.random.default_rng(4)
    ids = np.array([[0, 2, 1], [3, 3, 0]])
    g = tf.Graph()
    with g.as_default():
        x = rng.standard_normal((2, 3, 4))
        loss = nn.sparse_softmax_cross_entropy_with_logits(labels=constant(ids), logits=constant(x))
        assert loss.shape.as_list() == [2, 3]
        named = nn.sparse_softmax_cross_entropy_with_logits(labels=constant(ids[0]), logits=constant(x[0]),
                                                            name="xentropy")
        assert named.op.name == "xentropy/xentropy"  # TF's node name
        with tf.Session(graph=g) as sess:
            expected = -np.take_along_axis(_log_softmax(x), ids[..., None], -1)[..., 0]
            np.testing.assert_allclose(sess.run(loss), expected, rtol=1e-12)
    check_gradient(lambda x: nn.sparse_softmax_cross_entropy_with_logits(labels=constant(ids), logits=x),
                   [rng.standard_normal((2, 3, 4))], label="sparse_xent rank 3")
    check_gradient(lambda x: nn.sparse_softmax_cross_entropy_with_logits(labels=constant(ids[0]), logits=x),
                   [rng.standard_normal((3, 4))], none_batch=True, label="sparse_xent")


def test_sparse_softmax_cross_entropy_rank_errors():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Logits cannot be scalars"):
            nn.sparse_softmax_cross_entropy_with_logits(labels=1, logits=1.0)
        with pytest.raises(ValueError, match=r"Rank mismatch: Rank of labels \(received 2\) should equal rank of "
                                             r"logits minus 1 \(received 2\)"):
            nn.sparse_softmax_cross_entropy_with_logits(labels=[[0]], logits=[[1.0, 2.0]])
        with pytest.raises(ValueError, match="Shape mismatch: The shape of labels"):
            nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 0], logits=[[1.0, 2.0], [1.0, 2.0]])


# ---- l2 -------------------------------------------------------------------------------------------
def test_l2_loss_and_l2_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    assert _eval(nn.l2_loss, x) == pytest.approx(12.5)
    np.testing.assert_allclose(_eval(lambda t: nn.l2_normalize(t, axis=1), x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(_eval(lambda t: nn.l2_normalize(t, dim=0), x), [[1.0, 1.0], [0.0, 0.0]])
    rng = np.random.default_rng(5)
    check_gradient(lambda t: nn.l2_normalize(t, axis=-1), [rng.standard_normal((3, 4))], label="l2_normalize")
    check_gradient(nn.l2_loss, [rng.standard_normal((3, 4))], label="l2_loss")


# ---- dropout --------------------------------------------------------------------------------------
def test_dropout_statistics_and_scaling():
    g = tf.Graph()
    with g.as_default():
        x = tf.ones([200, 500])
        y = nn.dropout(x, rate=0.3, seed=1)
        assert y.op.name == "dropout"
        assert y.shape.as_list() == [200, 500]
        with tf.Session(graph=g) as sess:
            out = sess.run(y)
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)


def test_dropout_keep_prob_and_noise_shape():
    g = tf.Graph()
    with g.as_default():
        x = tf.ones([300, 4])
        y = nn.dropout(x, keep_prob=0.5, noise_shape=[300, 1], seed=3)
        with tf.Session(graph=g) as sess:
            out = sess.run(y)
    assert np.all((out == 0) | (out == 2.0))
    assert np.all(out == out[:, :1])  # whole rows share one decision
    assert 0.4 < (out[:, 0] != 0).mean() < 0.6


def test_dropout_seeded_reproducibility():
    def run(seed_graph, op_seed, runs=2):
        g = tf.Graph()
        with g.as_default():
            if seed_graph is not None:
                set_random_seed(seed_graph)
            y = nn.dropout(tf.ones([50]), rate=0.5, seed=op_seed)
            with tf.Session(graph=g) as sess:
                return [sess.run(y) for _ in range(runs)]

    a, b = run(None, 7), run(None, 7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
    c, d = run(42, None), run(42, None)
    np.testing.assert_array_equal(c[0], d[0])


def test_dropout_errors_and_rate_zero():
    with tf.Graph().as_default():
        x = tf.ones([3])
        with pytest.raises(ValueError, match="Cannot specify both 'rate' and 'keep_prob'"):
            nn.dropout(x, keep_prob=0.5, rate=0.5)
        with pytest.raises(ValueError, match="You must provide a rate to dropout"):
            nn.dropout(x)
        with pytest.raises(ValueError, match=r"rate must be a scalar tensor or a float in the range \[0, 1\)"):
            nn.dropout(x, rate=1.0)
        with pytest.raises(ValueError, match="x has to be a floating point tensor"):
            nn.dropout(constant([1, 2]), rate=0.5)
        assert nn.dropout(x, keep_prob=1.0) is x
        rate = placeholder(tf.float32, [])
        y = nn.dropout(x, rate=rate)
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y, {rate: 0.0}), [1.0, 1.0, 1.0])


def test_dropout_gradient_uses_the_same_mask():
    g = tf.Graph()
    with g.as_default():
        x = placeholder(tf.float32, [1000])
        y = nn.dropout(x, rate=0.25, seed=5)
        (dx,) = gradients(y, [x])
        with tf.Session(graph=g) as sess:
            out, grad = sess.run([y, dx], {x: np.ones(1000, np.float32)})
    np.testing.assert_allclose(grad, out)  # d(x * mask / keep)/dx == mask / keep == y at x = 1


# ---- moments and batch normalization ---------------------------------------------------------------
def test_moments():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 2))
    mean, var = _eval(lambda t: nn.moments(t, [0, 2]), x)
    np.testing.assert_allclose(mean, x.mean((0, 2)), rtol=1e-12)
    np.testing.assert_allclose(var, x.var((0, 2)), rtol=1e-12)
    mean, var = _eval(lambda t: nn.moments(t, [1], keep_dims=True), x)
    assert mean.shape == (4, 1, 2) and var.shape == (4, 1, 2)
    mean16, var16 = _eval(lambda t: nn.moments(t, [0]), x.astype(np.float16))
    assert mean16.dtype == np.float16
    np.testing.assert_allclose(var16, x.astype(np.float16).astype(np.float32).var(0), rtol=2e-3)
    check_gradient(lambda t: nn.moments(t, [0])[0] + 2 * nn.moments(t, [0])[1], [x], label="moments")


def test_weighted_moments():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((5, 3)), rng.uniform(0.5, 2, (5, 1))
    mean, var = _eval(lambda t, f: nn.weighted_moments(t, [0], f), x, w)
    expected_mean = (w * x).sum(0) / w.sum()
    np.testing.assert_allclose(mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(var, (w * (x - expected_mean) ** 2).sum(0) / w.sum(), rtol=1e-12)


def test_batch_normalization():
    rng = np.random.default_rng(8)
    x, mean, var = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    offset, scale = rng.standard_normal(3), rng.standard_normal(3)
    expected = scale * (x - mean) / np.sqrt(var + 1e-3) + offset
    np.testing.assert_allclose(_eval(lambda *a: nn.batch_normalization(*a, 1e-3), x, mean, var, offset, scale),
                               expected, rtol=1e-12)
    np.testing.assert_allclose(
        _eval(lambda t, m, v: nn.batch_normalization(t, m, v, None, None, 1e-3), x, mean, var),
        (x - mean) / np.sqrt(var + 1e-3), rtol=1e-12)
    check_gradient(lambda *a: nn.batch_normalization(*a, 1e-3), [x, mean, var, offset, scale],
                   label="batch_normalization")


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_fused_batch_norm(data_format):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 3, 4) if data_format == "NHWC" else (2, 4, 3, 3))
    scale, offset = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    axes = (0, 1, 2) if data_format == "NHWC" else (0, 2, 3)
    shape = [1, 1, 1, 4] if data_format == "NHWC" else [1, 4, 1, 1]
    y, mean, var = _eval(lambda t, s, o: nn.fused_batch_norm(t, s, o, data_format=data_format), x, scale, offset)
    expected = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, expected * scale.reshape(shape) + offset.reshape(shape), rtol=1e-10)
    np.testing.assert_allclose(mean, x.mean(axes), rtol=1e-12)
    n = x.size // 4
    np.testing.assert_allclose(var, x.var(axes) * n / (n - 1), rtol=1e-12)  # the sample variance, as TF
    y, _, _ = _eval(lambda t, s, o, m, v: nn.fused_batch_norm(t, s, o, m, v, is_training=False,
                                                              data_format=data_format),
                    x, scale, offset, np.zeros(4), np.ones(4))
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3) * scale.reshape(shape) + offset.reshape(shape), rtol=1e-10)
    with tf.Graph().as_default(), pytest.raises(ValueError, match="must be None if is_training is True"):
        nn.fused_batch_norm(x, scale, offset, mean=np.zeros(4))


# ---- small helpers ----------------------------------------------------------------------------------
def test_zero_fraction_xw_plus_b_relu_layer_and_reexports():
    assert _eval(nn.zero_fraction, np.array([[0.0, 1.0], [0.0, 0.0]])) == pytest.approx(0.75)
    rng = np.random.default_rng(10)
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(_eval(nn.xw_plus_b, x, w, b), x @ w + b, rtol=1e-12)
    np.testing.assert_allclose(_eval(nn.relu_layer, x, w, b), np.maximum(x @ w + b, 0), rtol=1e-12)
    with tf.Graph().as_default():
        assert nn.xw_plus_b(x, w, b).op.name == "xw_plus_b"
        assert nn.relu_layer(x, w, b).op.name == "relu_layer"
    values, indices = _eval(lambda t: nn.top_k(t, 2), np.array([[1.0, 3.0, 2.0]]))
    assert indices.tolist() == [[1, 2]]
    assert _eval(lambda p: nn.in_top_k(p, [2], 2), np.float32([[1.0, 3.0, 2.0]])).tolist() == [True]
    for name in ("relu", "elu", "selu", "softplus", "softsign", "leaky_relu", "relu6", "softmax", "log_softmax",
                 "bias_add", "sigmoid", "tanh"):
        assert callable(getattr(nn, name))
