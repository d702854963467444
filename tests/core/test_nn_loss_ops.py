"""Fused loss ops, InTopKV2 and the candidate samplers (estflow/core/ops/nn_loss_ops.py).

The differentiable ops run through one table (STYLE.md §7): inferred spec == kernel output,
values == numpy in float64 and float32, gradients == float64 central differences (the
second-order rules included). Large logits, ties and errors follow, then the samplers.
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, errors
from estflow.core.gradients import gradients
from estflow.core.ops import nn_loss_ops
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.registry import apply_op
from tests.core.gradient_check import check_gradient


def has_gpu() -> bool:
    return devices.cupy_module() is not None and devices.num_gpus() > 0


def _log_softmax(x):
    s = x - x.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _softmax(x):
    return np.exp(_log_softmax(x))


def _distribution(rng, shape):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _run(build, values, dtypes_=None, device=None):
    g = tf.Graph()
    with g.as_default(), g.device(device):
        phs = [placeholder(tf.as_dtype((dtypes_ or {}).get(i, v.dtype)), v.shape) for i, v in enumerate(values)]
        y = build(*phs)
        with tf.Session(graph=g) as sess:
            return y, sess.run(y, dict(zip(phs, values, strict=True)))


# ---- the table ---------------------------------------------------------------------------------
LABELS = np.array([2, 0, 3])


def _xent(i):
    return lambda f, lab: apply_op("SoftmaxCrossEntropyWithLogits", f, lab)[i]


def _sparse_xent(i):
    return lambda f: apply_op("SparseSoftmaxCrossEntropyWithLogits", f, constant(LABELS))[i]


CASES = [
    ("SoftmaxCrossEntropyWithLogits loss", _xent(0), lambda f, lab: -(lab * _log_softmax(f)).sum(-1), "dense"),
    ("SoftmaxCrossEntropyWithLogits backprop", _xent(1), lambda f, lab: _softmax(f) - lab, "dense"),
    ("SoftmaxCrossEntropyWithLogits broadcast labels", _xent(0),
     lambda f, lab: -(lab * _log_softmax(f)).sum(-1), "broadcast"),
    ("SparseSoftmaxCrossEntropyWithLogits loss", _sparse_xent(0),
     lambda f: -_log_softmax(f)[np.arange(3), LABELS], "sparse"),
    ("SparseSoftmaxCrossEntropyWithLogits backprop", _sparse_xent(1),
     lambda f: _softmax(f) - np.eye(4)[LABELS], "sparse"),
    ("L2Loss", lambda t: apply_op("L2Loss", t), lambda t: (t * t).sum() / 2, "l2"),
]


def _inputs(kind, rng):
    if kind == "dense":
        return [rng.standard_normal((3, 4)), _distribution(rng, (3, 4))]
    if kind == "broadcast":
        return [rng.standard_normal((3, 4)), _distribution(rng, (1, 4))]
    if kind == "sparse":
        return [rng.standard_normal((3, 4))]
    return [rng.standard_normal((2, 3))]


@pytest.mark.parametrize(("label", "build", "ref", "kind"), CASES, ids=[c[0] for c in CASES])
def test_spec_and_value(label, build, ref, kind):
    for dtype, rtol in ((np.float64, 1e-12), (np.float32, 2e-6)):
        values = [v.astype(dtype) for v in _inputs(kind, np.random.default_rng(0))]
        y, out = _run(build, values)
        out = np.asarray(out)
        assert y.dtype == tf.as_dtype(dtype) and out.dtype == dtype, label
        assert tuple(y.shape.as_list()) == out.shape, f"{label}: inferred {y.shape}, kernel {out.shape}"
        np.testing.assert_allclose(out, ref(*[v.astype(np.float64) for v in values]), rtol=rtol, atol=rtol,
                                   err_msg=label)


@pytest.mark.parametrize(("label", "build", "ref", "kind"), CASES, ids=[c[0] for c in CASES])
def test_gradient(label, build, ref, kind):
    check_gradient(build, _inputs(kind, np.random.default_rng(1)), label=label)


@pytest.mark.parametrize(("label", "build", "ref", "kind"), CASES, ids=[c[0] for c in CASES])
def test_value_on_gpu(label, build, ref, kind, gpu):
    values = _inputs(kind, np.random.default_rng(0))
    _, out = _run(build, values, device="/gpu:0")
    np.testing.assert_allclose(np.asarray(out), ref(*values), rtol=1e-12, atol=1e-12, err_msg=label)


def test_second_derivatives_through_backprop():
    """d/dlogits of the gradient (the fused backprop output) is the softmax Hessian-vector product."""
    rng = np.random.default_rng(2)

    def dense_grad(f, lab):
        loss, _ = apply_op("SoftmaxCrossEntropyWithLogits", f, lab)
        return gradients(loss * loss, f)[0]

    def sparse_grad(f):
        loss, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", f, constant(LABELS))
        return gradients(loss * loss, f)[0]

    check_gradient(dense_grad, [rng.standard_normal((3, 4)), _distribution(rng, (3, 4))], label="xent grad")
    check_gradient(sparse_grad, [rng.standard_normal((3, 4))], label="sparse xent grad")


def test_large_logits_are_stable():
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]], np.float32)
    onehot = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    g = tf.Graph()
    with g.as_default():
        f = constant(logits)
        loss, backprop = apply_op("SoftmaxCrossEntropyWithLogits", f, constant(onehot))
        sparse_loss, sparse_backprop = apply_op("SparseSoftmaxCrossEntropyWithLogits", f, constant([1, 2]))
        (dlogits,) = gradients(loss, [f])
        with tf.Session(graph=g) as sess:
            out = sess.run([loss, backprop, sparse_loss, sparse_backprop, dlogits])
    for value in out:
        assert np.all(np.isfinite(value))
    np.testing.assert_allclose(out[0], [2000.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(out[2], [2000.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(out[1], [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(out[3], out[1], atol=1e-6)
    np.testing.assert_allclose(out[4], out[1], atol=1e-6)


def test_dense_xent_gives_labels_the_negative_log_softmax():
    rng = np.random.default_rng(3)
    logits, labels = rng.standard_normal((2, 5)), _distribution(rng, (2, 5))
    g = tf.Graph()
    with g.as_default():
        f, lab = constant(logits), constant(labels)
        loss, _ = apply_op("SoftmaxCrossEntropyWithLogits", f, lab)
        (dlabels,) = gradients(loss, [lab])
        with tf.Session(graph=g) as sess:
            np.testing.assert_allclose(sess.run(dlabels), -_log_softmax(logits), rtol=1e-12)


def test_shape_inference_and_none_batch():
    g = tf.Graph()
    with g.as_default():
        f = placeholder(tf.float32, [None, 7])
        loss, backprop = apply_op("SoftmaxCrossEntropyWithLogits", f, placeholder(tf.float32, [None, 7]))
        assert loss.shape.as_list() == [None] and backprop.shape.as_list() == [None, 7]
        loss, backprop = apply_op("SparseSoftmaxCrossEntropyWithLogits", f, placeholder(tf.int64, [5]))
        assert loss.shape.as_list() == [5] and backprop.shape.as_list() == [5, 7]
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 7 and 6"):
            apply_op("SoftmaxCrossEntropyWithLogits", f, placeholder(tf.float32, [None, 6]))
        with pytest.raises(ValueError, match="rank 2"):
            apply_op("SoftmaxCrossEntropyWithLogits", placeholder(tf.float32, [7]), placeholder(tf.float32, [7]))
        with pytest.raises(ValueError, match="rank 1"):
            apply_op("SparseSoftmaxCrossEntropyWithLogits", f, placeholder(tf.int32, [None, 1]))
        with pytest.raises(TypeError, match="labels"):
            apply_op("SparseSoftmaxCrossEntropyWithLogits", f, placeholder(tf.float32, [None]))
        with pytest.raises(TypeError, match="features"):
            apply_op("SoftmaxCrossEntropyWithLogits", placeholder(tf.int32, [2, 2]), placeholder(tf.int32, [2, 2]))


def test_sparse_label_out_of_range_raises():
    g = tf.Graph()
    with g.as_default():
        labels = placeholder(tf.int32, [2])
        loss, _ = apply_op("SparseSoftmaxCrossEntropyWithLogits", constant(np.zeros((2, 3), np.float32)), labels)
        with tf.Session(graph=g) as sess:
            with pytest.raises(errors.InvalidArgumentError,
                               match=r"Received a label value of 3 which is outside the valid range of \[0, 3\)"):
                sess.run(loss, {labels: [0, 3]})
            with pytest.raises(errors.InvalidArgumentError, match="label value of -1"):
                sess.run(loss, {labels: [-1, 0]})


def test_graph_def_type_attrs_are_tfs():
    g = tf.Graph()
    with g.as_default():
        apply_op("SparseSoftmaxCrossEntropyWithLogits", constant(np.zeros((2, 3), np.float32)),
                 constant(np.array([0, 1], np.int64)), name="xent")
        apply_op("InTopKV2", constant(np.zeros((2, 3), np.float32)), constant([0, 1]), constant(1), name="intopk")
    nodes = {n.name: n for n in g.as_graph_def().node}
    assert set(nodes["xent"].attr) >= {"T", "Tlabels"}
    assert "T" in nodes["intopk"].attr


def test_l2_loss_function():
    g = tf.Graph()
    with g.as_default():
        loss = nn_loss_ops.l2_loss(constant([[1.0, 2.0], [3.0, 4.0]]))
        assert loss.op.name == "L2Loss" and loss.shape.as_list() == []
        with tf.Session(graph=g) as sess:
            assert sess.run(loss) == pytest.approx(15.0)


# ---- InTopKV2 --------------------------------------------------------------------------------------
def _in_top_k(predictions, targets, k):
    g = tf.Graph()
    with g.as_default():
        out = nn_loss_ops.in_top_k(np.asarray(predictions, np.float32), targets, k)
        assert out.dtype == tf.bool and out.op.type == "InTopKV2"
        with tf.Session(graph=g) as sess:
            return sess.run(out).tolist()


def test_in_top_k_counts_ties_as_in():
    predictions = [[0.1, 0.3, 0.3, 0.3], [0.4, 0.1, 0.2, 0.3]]
    assert _in_top_k(predictions, [1, 0], 1) == [True, True]      # 0.3 ties for first
    assert _in_top_k(predictions, [0, 2], 1) == [False, False]
    assert _in_top_k(predictions, [0, 2], 3) == [False, True]     # three predictions are strictly greater than 0.1
    assert _in_top_k(predictions, [0, 1], 4) == [True, True]
    assert _in_top_k(predictions, [1, 0], 0) == [False, False]


def test_in_top_k_non_finite_and_out_of_range_targets_are_false():
    predictions = [[np.nan, 0.5, 0.2], [np.inf, 0.1, 0.2], [0.1, 0.2, 0.3]]
    assert _in_top_k(predictions, [0, 0, 3], 3) == [False, False, False]
    assert _in_top_k(predictions, np.array([1, 2, -1], np.int64), 3) == [True, True, False]


def test_in_top_k_shape_errors():
    g = tf.Graph()
    with g.as_default():
        with pytest.raises(ValueError, match="rank 2"):
            nn_loss_ops.in_top_k(np.zeros(3, np.float32), [0], 1)
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
            nn_loss_ops.in_top_k(np.zeros((2, 3), np.float32), [0, 1, 2], 1)
        out = apply_op("InTopK", constant(np.array([[0.1, 0.9]], np.float32)), constant([1]), k=1)
        with tf.Session(graph=g) as sess:
            assert sess.run(out).tolist() == [True]


# ---- candidate samplers -------------------------------------------------------------------------
def _sample(fn, seed=7, runs=1, **kwargs):
    g = tf.Graph()
    with g.as_default():
        out = fn(np.array([[1], [5]], np.int64), 1, kwargs.pop("num_sampled", 8), kwargs.pop("unique", True),
                 kwargs.pop("range_max", 20), seed=seed)
        assert [t.shape.as_list() for t in out] == [[8], [2, 1], [8]]
        with tf.Session(graph=g) as sess:
            return [sess.run(out) for _ in range(runs)]


def test_log_uniform_sampler_is_seeded_per_session():
    first = _sample(nn_loss_ops.log_uniform_candidate_sampler, runs=2)
    again = _sample(nn_loss_ops.log_uniform_candidate_sampler, runs=2)
    for a, b in zip(first, again, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first[0][0], first[1][0])  # a new draw on each run


@pytest.mark.parametrize("fn", [nn_loss_ops.log_uniform_candidate_sampler, nn_loss_ops.uniform_candidate_sampler])
def test_unique_samples_are_distinct_and_in_range(fn):
    for sampled, true_count, sampled_count in _sample(fn, runs=5):
        assert sampled.dtype == np.int64 and len(set(sampled.tolist())) == 8
        assert sampled.min() >= 0 and sampled.max() < 20
        assert true_count.dtype == np.float32 and np.all((true_count > 0) & (true_count <= 1))
        assert np.all((sampled_count > 0) & (sampled_count <= 1))


def test_expected_counts_follow_tfs_formulas():
    (sampled, true_count, sampled_count), = _sample(nn_loss_ops.log_uniform_candidate_sampler, unique=False)
    p = lambda c: np.log((c + 2.0) / (c + 1.0)) / np.log(21.0)  # noqa: E731
    np.testing.assert_allclose(true_count[:, 0], p(np.array([1, 5])) * 8, rtol=1e-6)
    np.testing.assert_allclose(sampled_count, p(sampled) * 8, rtol=1e-6)
    (sampled, true_count, _), = _sample(nn_loss_ops.uniform_candidate_sampler, unique=False)
    np.testing.assert_allclose(true_count, 8 / 20, rtol=1e-6)
    # unique: 1 - (1 - p) ** tries, with tries >= num_sampled, so counts grow monotonically with p
    (sampled, true_count, sampled_count), = _sample(nn_loss_ops.log_uniform_candidate_sampler)
    tries = np.log1p(-sampled_count.astype(np.float64)) / np.log1p(-p(sampled))
    assert np.allclose(tries, tries[0], rtol=1e-3) and tries[0] >= 8 - 1e-3


def test_log_uniform_sampler_prefers_small_ids():
    g = tf.Graph()
    with g.as_default():
        sampled, _, _ = nn_loss_ops.log_uniform_candidate_sampler(np.zeros((1, 1), np.int64), 1, 20000, False, 100,
                                                                  seed=1)
        with tf.Session(graph=g) as sess:
            draws = sess.run(sampled)
    freq = np.bincount(draws, minlength=100) / draws.size
    expected = np.log((np.arange(100) + 2.0) / (np.arange(100) + 1.0)) / np.log(101.0)
    np.testing.assert_allclose(freq[:5], expected[:5], atol=0.01)


def test_sampler_range_too_small():
    g = tf.Graph()
    with g.as_default():
        out = nn_loss_ops.uniform_candidate_sampler(np.zeros((1, 1), np.int64), 1, 5, True, 3)
        with tf.Session(graph=g) as sess, pytest.raises(errors.InvalidArgumentError, match="range is too small"):
            sess.run(out)


def test_compute_accidental_hits():
    true_classes = np.array([[1, 4], [3, 7], [2, 2]], np.int64)
    sampled = np.array([4, 2, 9, 3, 4], np.int64)
    g = tf.Graph()
    with g.as_default():
        out = nn_loss_ops.compute_accidental_hits(true_classes, sampled, num_true=2)
        with tf.Session(graph=g) as sess:
            indices, ids, weights = sess.run(out)
    # TF's order: rows, then true classes; a value drawn twice maps to its last position.
    assert indices.tolist() == [0, 1, 2, 2] and ids.tolist() == [4, 3, 1, 1]
    assert indices.dtype == np.int32 and ids.dtype == np.int64
    np.testing.assert_array_equal(weights, np.full(4, np.finfo(np.float32).min, np.float32))
