"""tf.losses: every loss x every weight shape x every Reduction against numpy, collections, errors.

One table of elementwise losses (builder, numpy reference, input generator); one checker
runs each through every `Reduction` with scalar, per-example and broadcastable weights and
compares with a numpy transcription of TF1's reduction rules.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.graph import GraphKeys
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.variable_scope import get_variable, variable_scope
from estflow.library import losses_impl as losses
from estflow.library.losses_impl import Reduction

RNG = np.random.default_rng(7)


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


# ---- numpy references ------------------------------------------------------------------------------
def reduce_np(elementwise: np.ndarray, weights, reduction: str) -> np.ndarray:
    """TF1's compute_weighted_loss, in float64."""
    weights = np.broadcast_to(np.asarray(weights, np.float64), elementwise.shape)
    weighted = elementwise * weights
    if reduction == Reduction.NONE:
        return weighted
    total = weighted.sum()
    denominator = {
        Reduction.SUM: 1.0,
        Reduction.MEAN: weights.sum(),
        Reduction.SUM_OVER_BATCH_SIZE: elementwise.size,
        Reduction.SUM_BY_NONZERO_WEIGHTS: np.count_nonzero(weights),
    }[reduction]
    return np.float64(0.0) if denominator == 0 else total / denominator


def log_softmax_np(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def sigmoid_xent_np(z, x):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def huber_np(delta):
    def f(labels, predictions):
        err = np.abs(predictions - labels)
        return np.where(err <= delta, 0.5 * err**2, 0.5 * delta**2 + delta * (err - delta))
    return f


def unit_rows(shape):
    x = RNG.standard_normal(shape)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@dataclasses.dataclass
class LossCase:
    name: str
    build: Callable  # (labels, predictions, weights, reduction) -> Tensor
    reference: Callable  # (labels, predictions) -> elementwise losses
    make: Callable  # () -> (labels, predictions) numpy arrays
    loss_shape: Callable = lambda labels: labels.shape  # shape of the elementwise losses


def _regression(shape=(4, 3)):
    return lambda: (RNG.standard_normal(shape), RNG.standard_normal(shape))


def _binary(shape=(4, 3)):
    return lambda: (RNG.integers(0, 2, shape).astype(np.float64), RNG.standard_normal(shape) * 3)


def _probabilities(shape=(4, 3)):
    return lambda: (RNG.integers(0, 2, shape).astype(np.float64), RNG.uniform(0.01, 0.99, shape))


def _onehot(batch=4, classes=3):
    def make():
        ids = RNG.integers(0, classes, batch)
        return np.eye(classes)[ids], RNG.standard_normal((batch, classes)) * 2
    return make


def _sparse(batch=4, classes=3):
    return lambda: (RNG.integers(0, classes, batch), RNG.standard_normal((batch, classes)) * 2)


LOSS_CASES = [
    LossCase("absolute_difference", lambda lab, p, w, r: losses.absolute_difference(lab, p, w, reduction=r),
             lambda lab, p: np.abs(p - lab), _regression()),
    LossCase("mean_squared_error", lambda lab, p, w, r: losses.mean_squared_error(lab, p, w, reduction=r),
             lambda lab, p: (p - lab) ** 2, _regression()),
    LossCase("huber_loss", lambda lab, p, w, r: losses.huber_loss(lab, p, w, reduction=r),
             huber_np(1.0), _regression()),
    LossCase("huber_loss_delta", lambda lab, p, w, r: losses.huber_loss(lab, p, w, delta=0.4, reduction=r),
             huber_np(0.4), _regression()),
    LossCase("log_loss", lambda lab, p, w, r: losses.log_loss(lab, p, w, reduction=r),
             lambda lab, p: -lab * np.log(p + 1e-7) - (1 - lab) * np.log(1 - p + 1e-7), _probabilities()),
    LossCase("hinge_loss", lambda lab, p, w, r: losses.hinge_loss(lab, p, w, reduction=r),
             lambda lab, p: np.maximum(0, 1 - (2 * lab - 1) * p), _binary()),
    LossCase("sigmoid_cross_entropy", lambda lab, p, w, r: losses.sigmoid_cross_entropy(lab, p, w, reduction=r),
             sigmoid_xent_np, _binary()),
    LossCase("sigmoid_cross_entropy_smoothed",
             lambda lab, p, w, r: losses.sigmoid_cross_entropy(lab, p, w, label_smoothing=0.2, reduction=r),
             lambda lab, p: sigmoid_xent_np(lab * 0.8 + 0.1, p), _binary()),
    LossCase("cosine_distance", lambda lab, p, w, r: losses.cosine_distance(lab, p, axis=1, weights=w, reduction=r),
             lambda lab, p: 1 - (lab * p).sum(1, keepdims=True), lambda: (unit_rows((4, 3)), unit_rows((4, 3))),
             loss_shape=lambda labels: (labels.shape[0], 1)),
    LossCase("softmax_cross_entropy", lambda lab, p, w, r: losses.softmax_cross_entropy(lab, p, w, reduction=r),
             lambda lab, p: -(lab * log_softmax_np(p)).sum(-1), _onehot(), loss_shape=lambda labels: labels.shape[:1]),
    LossCase("softmax_cross_entropy_smoothed",
             lambda lab, p, w, r: losses.softmax_cross_entropy(lab, p, w, label_smoothing=0.3, reduction=r),
             lambda lab, p: -((lab * 0.7 + 0.1) * log_softmax_np(p)).sum(-1), _onehot(),
             loss_shape=lambda labels: labels.shape[:1]),
    LossCase("sparse_softmax_cross_entropy",
             lambda lab, p, w, r: losses.sparse_softmax_cross_entropy(lab, p, w, reduction=r),
             lambda lab, p: -log_softmax_np(p)[np.arange(len(lab)), lab], _sparse(),
             loss_shape=lambda labels: labels.shape),
]


def weight_variants(loss_shape):
    """Scalar, per-example ([batch, 1, ...]), full, broadcastable along the batch, with zeros."""
    batch = loss_shape[0]
    rest = loss_shape[1:]
    out = {"python_scalar": 2.5, "scalar_zero": 0.0, "scalar_tensor": np.float64(0.5)}
    out["per_example"] = RNG.uniform(0.5, 2.0, (batch,) + (1,) * len(rest))
    out["per_example_zeros"] = np.array([0.0, 1.0, 0.0, 3.0]).reshape((batch,) + (1,) * len(rest))
    out["full"] = RNG.uniform(0.0, 2.0, loss_shape) * (RNG.uniform(size=loss_shape) > 0.3)
    if rest:
        out["per_column"] = RNG.uniform(0.5, 2.0, (1,) + tuple(rest))
    return out


CASES = [(case, kind) for case in LOSS_CASES for kind in weight_variants(case.loss_shape(case.make()[0]))]


@pytest.mark.parametrize("case,weight_kind", CASES, ids=[f"{c.name}-{k}" for c, k in CASES])
def test_loss_matches_numpy_for_every_reduction(graph, case, weight_kind):
    labels, predictions = case.make()
    weights = weight_variants(case.loss_shape(labels))[weight_kind]
    expected_elementwise = case.reference(labels, predictions)
    fetches = {}
    for reduction in Reduction.all():
        w = weights if np.ndim(weights) == 0 and not isinstance(weights, np.ndarray) else constant(weights,
                                                                                                 tf.float32)
        fetches[reduction] = case.build(constant(labels), constant(predictions, tf.float32), w, reduction)
    got = run(fetches)
    for reduction in Reduction.all():
        expected = reduce_np(expected_elementwise, weights, reduction)
        assert got[reduction].dtype == np.float32
        assert np.shape(got[reduction]) == np.shape(expected), reduction
        np.testing.assert_allclose(got[reduction], expected, rtol=2e-5, atol=2e-6, err_msg=reduction)


def test_reduction_names_and_validation():
    assert Reduction.SUM_OVER_NONZERO_WEIGHTS == Reduction.SUM_BY_NONZERO_WEIGHTS == "weighted_sum_by_nonzero_weights"
    assert Reduction.all() == ("none", "weighted_sum", "weighted_mean", "weighted_sum_over_batch_size",
                               "weighted_sum_by_nonzero_weights", "weighted_sum_by_nonzero_weights")
    Reduction.validate(Reduction.MEAN)
    with pytest.raises(ValueError, match="Invalid Reduction Key mean"):
        Reduction.validate("mean")


def test_compute_weighted_loss_keeps_input_dtype_and_names(graph):
    per_example = constant([1.0, 2.0, 3.0], tf.float64)
    loss = losses.compute_weighted_loss(per_example, weights=[1.0, 0.0, 1.0])
    assert loss.dtype == tf.float64 and loss.op.type == "Cast"  # computed in float32, cast back
    assert run(loss) == pytest.approx(2.0)
    assert losses.compute_weighted_loss(constant([1.0]), scope="scaled").name == "scaled/value:0"
    assert losses.compute_weighted_loss(per_example, reduction=Reduction.NONE).dtype == tf.float64
    assert graph._last_loss_reduction == Reduction.NONE


def test_loss_op_names_follow_tf1(graph):
    labels, predictions = constant([1.0, 2.0]), constant([1.5, 2.5])
    assert losses.absolute_difference(labels, predictions).name == "absolute_difference/value:0"
    assert losses.mean_squared_error(labels, predictions, reduction=Reduction.SUM).name == "mean_squared_error/Sum:0"
    assert losses.log_loss(labels * 0.5, predictions * 0.1, scope="my_log").name == "my_log/value:0"


def test_all_zero_weights_give_zero_not_nan(graph):
    labels, predictions = constant([[1.0, 2.0]]), constant([[3.0, 5.0]])
    out = {r: losses.mean_squared_error(labels, predictions, weights=[[0.0, 0.0]], reduction=r)
           for r in (Reduction.MEAN, Reduction.SUM_BY_NONZERO_WEIGHTS)}
    assert run(out) == {Reduction.MEAN: 0.0, Reduction.SUM_BY_NONZERO_WEIGHTS: 0.0}


def test_weights_that_cannot_broadcast_fail_at_build_time(graph):
    labels = constant(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"weights can not be broadcast to values. values.rank=2. weights.rank=1"):
        losses.mean_squared_error(labels, labels, weights=np.ones(4))
    with pytest.raises(ValueError, match="Mismatch at dim 1"):
        losses.mean_squared_error(labels, labels, weights=np.ones((4, 2)))


def test_weights_of_unknown_shape_are_checked_when_run(graph):
    labels = constant(np.zeros((4, 3), np.float32))
    weights = placeholder(tf.float32, None)
    loss = losses.mean_squared_error(labels, labels + 1.0, weights=weights)
    assert run(loss, {weights: np.ones((4, 1))}) == pytest.approx(1.0)
    assert run(loss, {weights: 2.0}) == pytest.approx(2.0)
    with pytest.raises(errors.InvalidArgumentError, match="weights can not be broadcast to values"):
        run(loss, {weights: np.ones(4)})
    with pytest.raises(errors.InvalidArgumentError, match="weights can not be broadcast to values"):
        run(loss, {weights: np.ones((4, 2))})


def test_losses_of_unknown_rank(graph):
    labels, predictions = placeholder(tf.float32, None), placeholder(tf.float32, None)
    weights = constant([[1.0], [0.0], [2.0], [1.0]])
    mse = losses.mean_squared_error(labels, predictions, weights)
    pairwise = losses.mean_pairwise_squared_error(labels, predictions, weights)
    x = np.arange(8.0).reshape(4, 2)
    feed = {labels: x, predictions: x + [1.0, 2.0]}
    assert run([mse, pairwise], feed) == pytest.approx([20.0 / 6, 4.0])
    with pytest.raises(errors.InvalidArgumentError, match="weights can not be broadcast to values"):
        run(mse, {labels: x.ravel(), predictions: x.ravel()})


def test_batch_dimension_unknown_at_build_time(graph):
    labels = placeholder(tf.float32, [None, 2])
    predictions = placeholder(tf.float32, [None, 2])
    weights = placeholder(tf.float32, [None, 1])
    loss = losses.absolute_difference(labels, predictions, weights)
    feed = {labels: [[0, 0], [1, 1], [2, 2]], predictions: [[1, 1], [1, 3], [2, 2]], weights: [[1], [0], [2]]}
    assert run(loss, feed) == pytest.approx(2.0 / 4)


# ---- collections --------------------------------------------------------------------------------------
def test_losses_are_collected(graph):
    labels = constant([1.0, 0.0])
    a = losses.mean_squared_error(labels, labels)
    b = losses.hinge_loss(labels, labels, loss_collection="my_losses")
    c = losses.absolute_difference(labels, labels, loss_collection=None)
    with variable_scope("tower"):
        d = losses.log_loss(labels, labels * 0.5)
    assert losses.get_losses() == [a, d]
    assert graph.get_collection(GraphKeys.LOSSES) == [a, d]
    assert losses.get_losses(loss_collection="my_losses") == [b]
    assert losses.get_losses(scope="tower") == [d]
    assert c not in graph.get_collection(GraphKeys.LOSSES)
    losses.add_loss(c)
    assert losses.get_losses()[-1] is c


def test_total_loss_with_regularization(graph):
    def l2(v):
        return 0.1 * tf.reduce_sum(v * v)

    with variable_scope("model"):
        w = get_variable("w", initializer=constant([1.0, 2.0]), regularizer=l2)
    with variable_scope("other"):
        get_variable("v", initializer=constant([3.0]), regularizer=l2)
    loss = losses.mean_squared_error(constant([0.0, 0.0]), w.value())
    assert len(losses.get_regularization_losses()) == 2
    assert len(losses.get_regularization_losses(scope="model")) == 1
    reg = losses.get_regularization_loss()
    total = losses.get_total_loss()
    total_no_reg = losses.get_total_loss(add_regularization_losses=False, name="data_loss")
    assert reg.name == "total_regularization_loss:0" and total.name == "total_loss:0"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({"loss": loss, "reg": reg, "total": total, "data": total_no_reg,
                        "model_reg": losses.get_regularization_loss(scope="model")})
    assert got["loss"] == pytest.approx(2.5)
    assert got["reg"] == pytest.approx(0.1 * 5 + 0.1 * 9)
    assert got["model_reg"] == pytest.approx(0.5)
    assert got["total"] == pytest.approx(2.5 + 1.4)
    assert got["data"] == pytest.approx(2.5)


def test_regularization_loss_without_regularizers_is_zero(graph):
    assert run(losses.get_regularization_loss()) == 0.0
    with pytest.raises(ValueError):
        losses.get_total_loss()


# ---- individual losses ---------------------------------------------------------------------------------
def test_mean_pairwise_squared_error_is_the_mean_over_pairs(graph):
    labels = RNG.standard_normal((3, 4))
    predictions = RNG.standard_normal((3, 4))
    weights = np.array([[1.0], [0.0], [2.0]])

    def brute_force(w):
        total = 0.0
        for i in range(labels.shape[0]):
            d = predictions[i] - labels[i]
            pairs = [(d[j] - d[k]) ** 2 for j, k in itertools.combinations(range(d.size), 2)]
            total += np.mean(pairs) * np.broadcast_to(w, (3, 1))[i, 0]
        return total

    got = run([losses.mean_pairwise_squared_error(labels, predictions, weights),
               losses.mean_pairwise_squared_error(labels, predictions, 3.0),
               losses.mean_pairwise_squared_error(labels, predictions, np.zeros((3, 1)))])
    np.testing.assert_allclose(got, [brute_force(weights), brute_force(3.0), 0.0], rtol=1e-5)
    assert len(losses.get_losses()) == 3


def test_mean_pairwise_squared_error_3d(graph):
    labels = RNG.standard_normal((2, 2, 3))
    predictions = RNG.standard_normal((2, 2, 3))
    d = (predictions - labels).reshape(2, -1)
    expected = sum(np.mean([(r[j] - r[k]) ** 2 for j, k in itertools.combinations(range(6), 2)]) for r in d)
    assert run(losses.mean_pairwise_squared_error(labels, predictions)) == pytest.approx(expected, rel=1e-5)


def test_cosine_distance_axis_arguments(graph):
    labels, predictions = unit_rows((2, 3)), unit_rows((2, 3))
    expected = np.mean(1 - (labels * predictions).sum(1))
    assert run(losses.cosine_distance(labels, predictions, dim=1)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="Cannot specify both 'axis' and 'dim'"):
        losses.cosine_distance(labels, predictions, axis=1, dim=1)
    with pytest.raises(ValueError, match="You must specify 'axis'"):
        losses.cosine_distance(labels, predictions)


@pytest.mark.parametrize("fn", [losses.absolute_difference, losses.mean_squared_error, losses.log_loss,
                                losses.huber_loss])
def test_none_and_mismatched_inputs_are_rejected(graph, fn):
    with pytest.raises(ValueError, match="labels must not be None"):
        fn(None, [1.0])
    with pytest.raises(ValueError, match="predictions must not be None"):
        fn([1.0], None)
    with pytest.raises(ValueError, match="incompatible"):
        fn([1.0, 2.0], [1.0, 2.0, 3.0])


def test_sparse_softmax_accepts_column_labels_and_weights(graph):
    logits = RNG.standard_normal((3, 4))
    ids = np.array([3, 0, 2])
    weights = np.array([1.0, 2.0, 0.0])
    expected = (-log_softmax_np(logits)[np.arange(3), ids] * weights).sum() / 2
    column = losses.sparse_softmax_cross_entropy(ids[:, None], logits, weights[:, None])
    unknown_labels = placeholder(tf.int64, None)
    unknown_weights = placeholder(tf.float32, None)
    dynamic = losses.sparse_softmax_cross_entropy(unknown_labels, logits, unknown_weights)
    got = run([column, dynamic], {unknown_labels: ids[:, None], unknown_weights: weights[:, None]})
    np.testing.assert_allclose(got, [expected, expected], rtol=1e-5)
    assert run(dynamic, {unknown_labels: ids, unknown_weights: weights}) == pytest.approx(expected, rel=1e-5)


def test_weights_of_known_rank_with_an_unknown_last_dim_are_squeezed_when_run(graph):
    # labels of unknown rank: whether [3, ?] weights lose their last dim is decided when the loss runs
    logits = RNG.standard_normal((3, 4))
    ids = np.array([3, 0, 2])
    weights = np.array([1.0, 2.0, 0.5])
    expected = (-log_softmax_np(logits)[np.arange(3), ids] * weights).sum() / 3
    labels = placeholder(tf.int64, None)
    column_weights = placeholder(tf.float32, [None, None])
    loss = losses.sparse_softmax_cross_entropy(labels, logits, column_weights)
    assert run(loss, {labels: ids, column_weights: weights[:, None]}) == pytest.approx(expected, rel=1e-5)


def test_sparse_softmax_rejects_bad_labels(graph):
    logits = constant(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="Rank mismatch"):
        losses.sparse_softmax_cross_entropy(np.zeros((2, 3, 1), np.int32), logits)
    loss = losses.sparse_softmax_cross_entropy(constant([0, 3]), logits)
    with pytest.raises(errors.InvalidArgumentError, match="valid range"):
        run(loss)


def test_cross_entropy_gradients(graph):
    logits_value = RNG.standard_normal((3, 4)).astype(np.float32)
    onehot = np.eye(4, dtype=np.float32)[[1, 3, 0]]
    logits = constant(logits_value)
    weights = np.array([1.0, 0.5, 2.0], np.float32)
    softmax_loss = losses.softmax_cross_entropy(onehot, logits, weights, reduction=Reduction.SUM)
    sparse_loss = losses.sparse_softmax_cross_entropy([1, 3, 0], logits, weights, reduction=Reduction.SUM)
    sigmoid_loss = losses.sigmoid_cross_entropy(onehot, logits, reduction=Reduction.SUM)
    grads = run([gradients(softmax_loss, [logits])[0], gradients(sparse_loss, [logits])[0],
                 gradients(sigmoid_loss, [logits])[0]])
    softmax = np.exp(log_softmax_np(logits_value.astype(np.float64)))
    expected = (softmax - onehot) * weights[:, None]
    np.testing.assert_allclose(grads[0], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[1], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[2], 1 / (1 + np.exp(-logits_value)) - onehot, rtol=1e-5, atol=1e-6)


def test_softmax_cross_entropy_label_gradient_is_stopped(graph):
    labels = constant([[0.2, 0.8]])
    loss = losses.softmax_cross_entropy(labels, constant([[1.0, 2.0]]))
    assert gradients(loss, [labels])[0] is None


def test_sigmoid_cross_entropy_is_stable_for_large_logits(graph):
    logits = np.array([[-200.0, 200.0, 0.0]], np.float32)
    labels = np.array([[1.0, 0.0, 1.0]], np.float32)
    got = run(losses.sigmoid_cross_entropy(labels, logits, reduction=Reduction.NONE))
    np.testing.assert_allclose(got, [[200.0, 200.0, np.log(2.0)]], rtol=1e-6)


def test_losses_on_gpu_match_cpu(gpu):
    labels, logits = _onehot()()
    weights = np.array([[1.0], [0.0], [2.0], [0.5]])
    results = []
    for device in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(device):
            built = [losses.softmax_cross_entropy(labels, logits, weights[:, 0]),
                     losses.sparse_softmax_cross_entropy(labels.argmax(1), logits, weights),
                     losses.sigmoid_cross_entropy(labels, logits, weights),
                     losses.huber_loss(labels, logits, weights, reduction=Reduction.MEAN),
                     losses.mean_pairwise_squared_error(labels, logits, weights)]
            results.append(run(built))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
