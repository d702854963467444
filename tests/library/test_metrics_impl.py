"""tf.metrics: values after several update batches against numpy, variables, collections, reset.

Streaming metrics are fed three batches through placeholders; the expected value is
computed in numpy over the concatenated batches. AUC is compared with a numpy
transcription of TF1's threshold algorithm (thresholds, epsilons and summation rules).
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.graph import GraphKeys
from estflow.core.ops.constant_op import constant, placeholder
from estflow.library import metrics_impl as metrics
from estflow.library import metrics_thresholds as thresholded
from estflow.library.confusion_matrix import confusion_matrix, remove_squeezable_dimensions

RNG = np.random.default_rng(11)


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.fixture
def sess(graph):
    with tf.Session(graph=graph) as session:
        yield session


def stream(sess, metric, feeds):
    """Reset, run update_op once per feed dict; return (update results, final value)."""
    value, update_op = metric
    sess.run(tf.local_variables_initializer())
    updates = [sess.run(update_op, feed) for feed in feeds]
    return updates, sess.run(value)


def batches(n=3, size=6, seed=0):
    rng = np.random.default_rng(seed)
    return [dict(labels=rng.integers(0, 2, size), scores=rng.uniform(0, 1, size).astype(np.float32),
                 weights=rng.uniform(0, 2, size) * (rng.uniform(size=size) > 0.2)) for _ in range(n)]


def concat(data, key):
    return np.concatenate([b[key] for b in data])


# ---- variables, collections, reset -------------------------------------------------------------------
METRIC_VARIABLES = [
    (lambda lab, pred, score: metrics.accuracy(lab, pred), ["accuracy/total:0", "accuracy/count:0"]),
    (lambda lab, pred, score: metrics.mean(score), ["mean/total:0", "mean/count:0"]),
    (lambda lab, pred, score: metrics.mean_tensor(score), ["mean/total_tensor:0", "mean/count_tensor:0"]),
    (lambda lab, pred, score: metrics.mean_absolute_error(score, score),
     ["mean_absolute_error/total:0", "mean_absolute_error/count:0"]),
    (lambda lab, pred, score: metrics.mean_squared_error(score, score),
     ["mean_squared_error/total:0", "mean_squared_error/count:0"]),
    (lambda lab, pred, score: metrics.root_mean_squared_error(score, score),
     ["root_mean_squared_error/total:0", "root_mean_squared_error/count:0"]),
    (lambda lab, pred, score: metrics.percentage_below(score, 0.5),
     ["percentage_below_threshold/total:0", "percentage_below_threshold/count:0"]),
    (lambda lab, pred, score: metrics.true_positives(lab, pred), ["true_positives/count:0"]),
    (lambda lab, pred, score: metrics.false_negatives(lab, pred), ["false_negatives/count:0"]),
    (lambda lab, pred, score: metrics.precision(lab, pred),
     ["precision/true_positives/count:0", "precision/false_positives/count:0"]),
    (lambda lab, pred, score: metrics.recall(lab, pred),
     ["recall/true_positives/count:0", "recall/false_negatives/count:0"]),
    (lambda lab, pred, score: metrics.mean_per_class_accuracy(lab, pred, 2),
     ["mean_accuracy/total:0", "mean_accuracy/count:0"]),
    (lambda lab, pred, score: metrics.mean_iou(lab, pred, 2), ["mean_iou/total_confusion_matrix:0"]),
    (lambda lab, pred, score: thresholded.auc(lab, score),
     ["auc/true_positives:0", "auc/false_negatives:0", "auc/true_negatives:0", "auc/false_positives:0"]),
    (lambda lab, pred, score: thresholded.precision_at_thresholds(lab, score, [0.5]),
     ["precision_at_thresholds/true_positives:0", "precision_at_thresholds/false_positives:0"]),
    (lambda lab, pred, score: thresholded.recall_at_thresholds(lab, score, [0.5]),
     ["recall_at_thresholds/true_positives:0", "recall_at_thresholds/false_negatives:0"]),
    (lambda lab, pred, score: thresholded.true_negatives_at_thresholds(lab, score, [0.5]),
     ["true_negatives/true_negatives:0"]),
    (lambda lab, pred, score: thresholded.sensitivity_at_specificity(lab, score, 0.5),
     [f"sensitivity_at_specificity/{n}:0" for n in
      ("true_positives", "false_negatives", "true_negatives", "false_positives")]),
]


@pytest.mark.parametrize("build,names", METRIC_VARIABLES, ids=[n[0].split("/")[0] for _, n in METRIC_VARIABLES])
def test_metric_variables_are_local_and_named_as_tf1(graph, build, names):
    labels = constant([1, 0, 1, 1])
    predictions = constant([1, 1, 0, 1])
    scores = constant([0.9, 0.2, 0.4, 0.7])
    build(labels, predictions, scores)
    local = [v.name for v in graph.get_collection(GraphKeys.LOCAL_VARIABLES)]
    assert local == names
    assert [v.name for v in graph.get_collection(GraphKeys.METRIC_VARIABLES)] == names
    assert graph.get_collection(GraphKeys.GLOBAL_VARIABLES) == []
    assert graph.get_collection(GraphKeys.TRAINABLE_VARIABLES) == []


def test_name_argument_and_repeated_metrics(graph):
    metrics.accuracy([1], [1], name="train_acc")
    metrics.accuracy([1], [1])
    metrics.accuracy([1], [1])
    assert [v.name for v in tf.local_variables()] == [
        "train_acc/total:0", "train_acc/count:0", "accuracy/total:0", "accuracy/count:0",
        "accuracy_1/total:0", "accuracy_1/count:0"]


def test_metrics_and_updates_collections(graph):
    value, update = metrics.mean([1.0, 2.0], metrics_collections=["m"], updates_collections=["u", "u2"])
    auc, auc_update = thresholded.auc([0, 1], [0.2, 0.8], metrics_collections=["m"], updates_collections=["u"])
    tp, tp_update = metrics.true_positives([1], [1], metrics_collections=["m"], updates_collections=["u"])
    assert graph.get_collection("m") == [value, auc, tp]
    assert graph.get_collection("u") == [update, auc_update, tp_update]
    assert graph.get_collection("u2") == [update]


def test_value_before_update_is_zero_and_reset_restarts(sess):
    values = placeholder(tf.float32, [None])
    mean, update = metrics.mean(values)
    precision, precision_update = metrics.precision(values > 0.5, values > 0.2)
    sess.run(tf.local_variables_initializer())
    assert sess.run([mean, precision]) == [0.0, 0.0]
    sess.run([update, precision_update], {values: [1.0, 2.0, 3.0]})
    sess.run([update, precision_update], {values: [0.3, 5.0]})
    assert sess.run([mean, precision]) == pytest.approx([11.3 / 5, 4 / 5])
    sess.run(tf.local_variables_initializer())
    assert sess.run([mean, precision]) == [0.0, 0.0]
    assert sess.run(update, {values: [4.0]}) == 4.0


def test_two_sessions_keep_separate_accumulators(graph):
    values = placeholder(tf.float32, [None])
    mean, update = metrics.mean(values)
    with tf.Session() as a, tf.Session() as b:
        a.run(tf.local_variables_initializer())
        b.run(tf.local_variables_initializer())
        a.run(update, {values: [1.0]})
        b.run(update, {values: [3.0, 5.0]})
        assert (a.run(mean), b.run(mean)) == (1.0, 4.0)


# ---- means --------------------------------------------------------------------------------------------
def test_mean_with_weights_over_batches(sess):
    values = placeholder(tf.float32, [None, 2])
    weights = placeholder(tf.float32, [None, 1])
    data = [(RNG.standard_normal((3, 2)), RNG.uniform(0, 2, (3, 1))) for _ in range(3)]
    updates, value = stream(sess, metrics.mean(values, weights), [{values: v, weights: w} for v, w in data])
    all_v = np.concatenate([v for v, _ in data])
    all_w = np.broadcast_to(np.concatenate([w for _, w in data]), all_v.shape)
    assert value == pytest.approx((all_v * all_w).sum() / all_w.sum(), rel=1e-5)
    assert updates[-1] == pytest.approx(value)
    first = (data[0][0] * data[0][1]).sum() / (np.broadcast_to(data[0][1], (3, 2))).sum()
    assert updates[0] == pytest.approx(first, rel=1e-5)


def test_mean_weights_squeezed_and_expanded(sess):
    values = constant([[1.0], [2.0], [4.0]])
    _, squeezed = metrics.mean(values, weights=[1.0, 0.0, 1.0])  # [3] weights expanded to [3, 1]
    _, expanded = metrics.mean(constant([1.0, 2.0, 4.0]), weights=[[1.0], [1.0], [0.0]])  # squeezed to [3]
    sess.run(tf.local_variables_initializer())
    assert sess.run([squeezed, expanded]) == pytest.approx([2.5, 1.5])


def test_mean_weights_of_known_rank_with_an_unknown_last_dim_are_squeezed_when_run(sess):
    values = placeholder(tf.float32, None)
    weights = placeholder(tf.float32, [None, None])
    value, update = metrics.mean(values, weights)
    sess.run(tf.local_variables_initializer())
    sess.run(update, {values: [1.0, 2.0, 4.0], weights: [[1.0], [0.0], [1.0]]})
    assert sess.run(value) == pytest.approx(2.5)


def test_remove_squeezable_dimensions_squeezes_a_last_dim_that_may_be_1(graph):
    labels = placeholder(tf.int64, [None])
    _, predictions = remove_squeezable_dimensions(labels, placeholder(tf.int64, [None, None]))
    assert predictions.shape.as_list() == [None]
    _, kept = remove_squeezable_dimensions(labels, placeholder(tf.int64, [None, 2]))
    assert kept.shape.as_list() == [None, 2]


def test_mean_tensor(sess):
    values = placeholder(tf.float32, [2, 2])
    weights = placeholder(tf.float32, [2, 1])
    data = [(RNG.standard_normal((2, 2)), RNG.uniform(0.5, 1, (2, 1))) for _ in range(3)]
    _, value = stream(sess, metrics.mean_tensor(values, weights), [{values: v, weights: w} for v, w in data])
    total = sum(v * w for v, w in data)
    count = sum(np.broadcast_to(w, (2, 2)) for _, w in data)
    np.testing.assert_allclose(value, total / count, rtol=1e-5)


def test_regression_metrics(sess):
    labels = placeholder(tf.float32, [None])
    predictions = placeholder(tf.float32, [None])
    weights = placeholder(tf.float32, [None])
    normalizer = placeholder(tf.float32, [None])
    built = {
        "mae": metrics.mean_absolute_error(labels, predictions, weights),
        "mse": metrics.mean_squared_error(labels, predictions, weights),
        "rmse": metrics.root_mean_squared_error(labels, predictions, weights),
        "mre": metrics.mean_relative_error(labels, predictions, normalizer, weights),
        "below": metrics.percentage_below(predictions, 0.25, weights),
    }
    data = [dict(l=RNG.standard_normal(4), p=RNG.standard_normal(4), w=RNG.uniform(0, 1, 4),
                 n=np.array([1.0, 0.0, 2.0, 0.5])) for _ in range(3)]
    sess.run(tf.local_variables_initializer())
    for d in data:
        sess.run([u for _, u in built.values()], {labels: d["l"], predictions: d["p"], weights: d["w"],
                                                 normalizer: d["n"]})
    got = sess.run({k: v for k, (v, _) in built.items()})
    lab, pred, w, n = (np.concatenate([d[k] for d in data]) for k in "lpwn")
    rel = np.where(n == 0, 0.0, np.abs(lab - pred) / np.where(n == 0, 1, n))
    expected = {
        "mae": (np.abs(lab - pred) * w).sum() / w.sum(),
        "mse": ((lab - pred) ** 2 * w).sum() / w.sum(),
        "rmse": np.sqrt(((lab - pred) ** 2 * w).sum() / w.sum()),
        "mre": (rel * w).sum() / w.sum(),
        "below": ((pred < 0.25) * w).sum() / w.sum(),
    }
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-5), key


def test_mean_cosine_distance(sess):
    def unit(shape):
        x = RNG.standard_normal(shape)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    labels, predictions = unit((4, 3)), unit((4, 3))
    weights = np.array([[1.0], [0.0], [2.0], [1.0]])
    value, update = metrics.mean_cosine_distance(labels, predictions, dim=1, weights=weights)
    sess.run(tf.local_variables_initializer())
    sess.run(update)
    expected = 1 - ((labels * predictions).sum(1, keepdims=True) * weights).sum() / weights.sum()
    assert sess.run(value) == pytest.approx(expected, rel=1e-5)


# ---- accuracy, counts, precision, recall --------------------------------------------------------------
def test_accuracy_over_batches_with_weights(sess):
    labels = placeholder(tf.int64, [None])
    predictions = placeholder(tf.int32, [None, 1])  # cast to the labels' dtype; the trailing 1 is squeezed
    weights = placeholder(tf.float32, [None])
    data = [(RNG.integers(0, 3, 5), RNG.integers(0, 3, (5, 1)), RNG.uniform(0, 1, 5)) for _ in range(3)]
    updates, value = stream(sess, metrics.accuracy(labels, predictions, weights),
                            [{labels: lab, predictions: p, weights: w} for lab, p, w in data])
    lab = np.concatenate([d[0] for d in data])
    pred = np.concatenate([d[1][:, 0] for d in data])
    w = np.concatenate([d[2] for d in data])
    assert value == pytest.approx(((lab == pred) * w).sum() / w.sum(), rel=1e-5)
    assert updates[-1] == pytest.approx(value)


def test_counts_precision_recall_over_batches(sess):
    labels = placeholder(tf.int64, [None])
    predictions = placeholder(tf.float32, [None])  # nonzero is a positive prediction
    weights = placeholder(tf.float32, [None])
    built = {
        "tp": metrics.true_positives(labels, predictions, weights),
        "fp": metrics.false_positives(labels, predictions, weights),
        "tn": metrics.true_negatives(labels, predictions, weights),
        "fn": metrics.false_negatives(labels, predictions, weights),
        "precision": metrics.precision(labels, predictions, weights),
        "recall": metrics.recall(labels, predictions, weights),
    }
    data = [(RNG.integers(0, 2, 8), RNG.integers(0, 2, 8) * 0.7, RNG.uniform(0, 2, 8)) for _ in range(3)]
    sess.run(tf.local_variables_initializer())
    for lab, p, w in data:
        last = sess.run({k: u for k, (_, u) in built.items()}, {labels: lab, predictions: p, weights: w})
    got = sess.run({k: v for k, (v, _) in built.items()})
    lab = np.concatenate([d[0] for d in data]).astype(bool)
    pred = np.concatenate([d[1] for d in data]) != 0
    w = np.concatenate([d[2] for d in data])
    tp, fp = (w * (lab & pred)).sum(), (w * (~lab & pred)).sum()
    tn, fn = (w * (~lab & ~pred)).sum(), (w * (lab & ~pred)).sum()
    expected = {"tp": tp, "fp": fp, "tn": tn, "fn": fn, "precision": tp / (tp + fp), "recall": tp / (tp + fn)}
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-5), key
        assert last[key] == pytest.approx(value, rel=1e-5), key


def test_precision_and_recall_are_zero_without_positives(sess):
    p, p_update = metrics.precision([1, 1, 0], [0, 0, 0])
    r, r_update = metrics.recall([0, 0, 0], [1, 0, 1])
    sess.run(tf.local_variables_initializer())
    assert sess.run([p_update, r_update]) == [0.0, 0.0]


def test_count_weights_of_wrong_rank_are_rejected(graph):
    with pytest.raises(ValueError, match="rank 0 or 2"):
        metrics.true_positives([[1, 0]], [[1, 1]], weights=np.ones((1, 2, 1, 1)))


# ---- per-class metrics, confusion matrix ---------------------------------------------------------------
def test_confusion_matrix(sess):
    cm = confusion_matrix([1, 2, 4], [2, 2, 4])
    expected = np.zeros((5, 5), np.int32)
    expected[1, 2] = expected[2, 2] = expected[4, 4] = 1
    weighted = confusion_matrix([0, 1, 1, 1], [0, 1, 1, 0], num_classes=3, weights=[1.0, 2.0, 0.5, 4.0],
                                dtype=tf.float32)
    got = sess.run([cm, weighted])
    assert got[0].dtype == np.int32
    np.testing.assert_array_equal(got[0], expected)
    np.testing.assert_allclose(got[1], [[1, 0, 0], [4, 2.5, 0], [0, 0, 0]])


@pytest.mark.parametrize("labels,predictions,message", [([0, 3], [0, 1], "`labels` out of bound"),
                                                        ([0, 1], [0, -1], "`predictions` contains negative values")])
def test_confusion_matrix_rejects_out_of_range_ids(sess, labels, predictions, message):
    with pytest.raises(errors.InvalidArgumentError, match=message):
        sess.run(confusion_matrix(labels, predictions, num_classes=3))


def confusion_np(labels, predictions, num_classes, weights):
    cm = np.zeros((num_classes, num_classes))
    np.add.at(cm, (labels, predictions), weights)
    return cm


def test_mean_iou_and_mean_per_class_accuracy_over_batches(sess):
    labels = placeholder(tf.int32, [None])
    predictions = placeholder(tf.int64, [None])
    weights = placeholder(tf.float32, [None])
    iou, iou_update = metrics.mean_iou(labels, predictions, 4, weights)
    accuracy, accuracy_update = metrics.mean_per_class_accuracy(labels, predictions, 4, weights)
    # class 3 never appears: left out of the IoU mean, counted as accuracy 0 in the per-class mean
    data = [(RNG.integers(0, 3, 6), RNG.integers(0, 3, 6), RNG.uniform(0, 1, 6)) for _ in range(3)]
    sess.run(tf.local_variables_initializer())
    for lab, p, w in data:
        cm_update, per_class = sess.run([iou_update, accuracy_update], {labels: lab, predictions: p, weights: w})
    lab, p, w = (np.concatenate([d[i] for d in data]) for i in range(3))
    cm = confusion_np(lab, p, 4, w)
    np.testing.assert_allclose(cm_update, cm, rtol=1e-6)
    assert cm_update.dtype == np.float64
    diag = np.diag(cm)
    denominator = cm.sum(0) + cm.sum(1) - diag
    valid = denominator != 0
    expected_iou = (diag[valid] / denominator[valid]).sum() / valid.sum()
    per_class_expected = np.where(cm.sum(1) > 0, diag / np.where(cm.sum(1) > 0, cm.sum(1), 1), 0.0)
    got_iou, got_accuracy = sess.run([iou, accuracy])
    assert got_iou == pytest.approx(expected_iou, rel=1e-5)
    np.testing.assert_allclose(per_class, per_class_expected, rtol=1e-5)  # update_op: per-class accuracies
    assert got_accuracy == pytest.approx(per_class_expected.mean(), rel=1e-5)


def test_mean_iou_flattens_and_is_zero_when_empty(sess):
    iou, update = metrics.mean_iou([[0, 1], [1, 1]], [[0, 1], [0, 1]], 2)
    sess.run(tf.local_variables_initializer())
    assert sess.run(iou) == 0.0
    sess.run(update)
    assert sess.run(iou) == pytest.approx((1 / 2 + 2 / 3) / 2)


# ---- thresholds and AUC ------------------------------------------------------------------------------
def counts_np(labels, scores, thresholds, weights=None):
    """TF1's _confusion_matrix_at_thresholds in numpy: float32 predictions strictly above float32 thresholds."""
    scores = np.asarray(scores, np.float32).ravel()
    labels = np.asarray(labels).astype(bool).ravel()
    w = np.ones(scores.shape) if weights is None else np.broadcast_to(weights, scores.shape).ravel()
    above = scores[None, :] > np.asarray(thresholds, np.float32)[:, None]
    return {"tp": ((labels & above) * w).sum(1), "fn": ((labels & ~above) * w).sum(1),
            "tn": ((~labels & ~above) * w).sum(1), "fp": ((~labels & above) * w).sum(1)}


def auc_thresholds_np(num_thresholds):
    kepsilon = 1e-7
    return [0.0 - kepsilon] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0 + kepsilon]


def auc_np(counts, curve="ROC", summation_method="trapezoidal"):
    tp, fn, tn, fp = (np.asarray(counts[k], np.float64) for k in ("tp", "fn", "tn", "fp"))
    epsilon = 1e-6
    if curve == "PR" and summation_method == "careful_interpolation":
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = np.maximum(p[:-1] - p[1:], 0)
        slope = np.divide(dtp, dp, out=np.zeros_like(dtp), where=dp != 0)
        intercept = tp[1:] - slope * p[1:]
        ratio = np.ones_like(p[1:])
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio[both] = p[:-1][both] / p[1:][both]
        total = np.maximum(tp[1:] + fn[1:], 0)
        numerator = slope * (dtp + intercept * np.log(ratio))
        return np.divide(numerator, total, out=np.zeros_like(numerator), where=total != 0).sum()
    recall = (tp + epsilon) / (tp + fn + epsilon)
    if curve == "ROC":
        x, y = fp / (fp + tn + epsilon), recall
    else:
        x, y = recall, (tp + epsilon) / (tp + fp + epsilon)
    heights = {"trapezoidal": (y[:-1] + y[1:]) / 2, "careful_interpolation": (y[:-1] + y[1:]) / 2,
               "minoring": np.minimum(y[:-1], y[1:]), "majoring": np.maximum(y[:-1], y[1:])}[summation_method]
    return ((x[:-1] - x[1:]) * heights).sum()


AUC_VARIANTS = [(curve, method) for curve in ("ROC", "PR")
                for method in ("trapezoidal", "careful_interpolation", "minoring", "majoring")]


@pytest.mark.parametrize("curve,method", AUC_VARIANTS, ids=[f"{c}-{m}" for c, m in AUC_VARIANTS])
@pytest.mark.parametrize("weighted", [False, True])
def test_auc_matches_tf1_algorithm(sess, curve, method, weighted):
    labels = placeholder(tf.int64, [None])
    scores = placeholder(tf.float32, [None])
    weights = placeholder(tf.float32, [None])
    data = batches(seed=3)
    value, update = thresholded.auc(labels, scores, weights if weighted else None, num_thresholds=50, curve=curve,
                                    summation_method=method)
    updates, got = stream(sess, (value, update), [{labels: b["labels"], scores: b["scores"], weights: b["weights"]}
                                                  for b in data])
    counts = counts_np(concat(data, "labels"), concat(data, "scores"), auc_thresholds_np(50),
                       concat(data, "weights") if weighted else None)
    assert got == pytest.approx(auc_np(counts, curve, method), rel=1e-4, abs=1e-6)
    assert updates[-1] == pytest.approx(got, rel=1e-6)


def test_auc_of_separable_and_inverted_scores(sess):
    labels = [0, 0, 0, 1, 1, 1]
    scores = [0.05, 0.2, 0.31, 0.62, 0.8, 0.97]
    separable = thresholded.auc(labels, scores)
    inverted = thresholded.auc(labels, scores[::-1])
    constant_scores = thresholded.auc(labels, [0.5] * 6)
    pr = thresholded.auc(labels, scores, curve="PR", summation_method="careful_interpolation")
    sess.run(tf.local_variables_initializer())
    got = sess.run([separable[1], inverted[1], constant_scores[1], pr[1]])
    assert got[0] == pytest.approx(1.0, abs=1e-5)
    assert got[1] == pytest.approx(0.0, abs=1e-5)
    assert got[2] == pytest.approx(0.5, abs=1e-5)
    assert got[3] == pytest.approx(1.0, abs=1e-5)


def test_auc_with_explicit_thresholds(sess):
    labels, scores = [0, 1, 1, 0, 1], [0.1, 0.35, 0.6, 0.7, 0.9]
    value, update = thresholded.auc(labels, scores, thresholds=[0.8, 0.3, 0.5])
    sess.run(tf.local_variables_initializer())
    sess.run(update)
    kepsilon = 1e-7
    counts = counts_np(labels, scores, [-kepsilon, 0.3, 0.5, 0.8, 1 + kepsilon])
    assert sess.run(value) == pytest.approx(auc_np(counts), rel=1e-5)
    assert tf.local_variables()[0].shape.as_list() == [5]


def test_auc_argument_errors(graph):
    with pytest.raises(ValueError, match="curve must be either ROC or PR"):
        thresholded.auc([1], [0.5], curve="XY")
    with pytest.raises(ValueError, match="Invalid summation_method"):
        thresholded.auc([1], [0.5], summation_method="simpson")


def test_predictions_outside_unit_interval_fail(sess):
    scores = placeholder(tf.float32, [None])
    _, update = thresholded.auc([1, 0], scores)
    sess.run(tf.local_variables_initializer())
    with pytest.raises(errors.InvalidArgumentError, match=r"predictions must be in \[0, 1\]"):
        sess.run(update, {scores: [0.5, 1.5]})
    with pytest.raises(errors.InvalidArgumentError, match=r"predictions must be in \[0, 1\]"):
        sess.run(update, {scores: [-0.1, 0.5]})


def test_counts_precision_recall_at_thresholds(sess):
    labels = placeholder(tf.bool, [None])
    scores = placeholder(tf.float32, [None])
    weights = placeholder(tf.float32, [None])
    thresholds = [0.15, 0.5, 0.85]
    built = {
        "tp": thresholded.true_positives_at_thresholds(labels, scores, thresholds, weights),
        "fp": thresholded.false_positives_at_thresholds(labels, scores, thresholds, weights),
        "tn": thresholded.true_negatives_at_thresholds(labels, scores, thresholds, weights),
        "fn": thresholded.false_negatives_at_thresholds(labels, scores, thresholds, weights),
        "precision": thresholded.precision_at_thresholds(labels, scores, thresholds, weights),
        "recall": thresholded.recall_at_thresholds(labels, scores, thresholds, weights),
    }
    data = batches(seed=5)
    sess.run(tf.local_variables_initializer())
    for b in data:
        last = sess.run({k: u for k, (_, u) in built.items()},
                        {labels: b["labels"].astype(bool), scores: b["scores"], weights: b["weights"]})
    got = sess.run({k: v for k, (v, _) in built.items()})
    c = counts_np(concat(data, "labels"), concat(data, "scores"), thresholds, concat(data, "weights"))
    expected = dict(c, precision=c["tp"] / (1e-7 + c["tp"] + c["fp"]), recall=c["tp"] / (1e-7 + c["tp"] + c["fn"]))
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, err_msg=key)
        np.testing.assert_allclose(last[key], value, rtol=1e-5, err_msg=key)


def sensitivity_at_specificity_np(counts, specificity):
    tp, tn, fp, fn = (counts[k] for k in ("tp", "tn", "fp", "fn"))
    specificities = tn / (tn + fp + 1e-7)
    i = np.argmin(np.abs(specificities - specificity))
    return tp[i] / (tp[i] + fn[i] + 1e-7)


def specificity_at_sensitivity_np(counts, sensitivity):
    tp, tn, fp, fn = (counts[k] for k in ("tp", "tn", "fp", "fn"))
    distance = np.abs(tp / (tp + fn + 1e-7) - sensitivity)
    i = np.flatnonzero(distance == distance.min())[-1]  # the last closest threshold
    return tn[i] / (tn[i] + fp[i] + 1e-7)


@pytest.mark.parametrize("target", [0.0, 0.3, 0.7, 1.0])
def test_sensitivity_and_specificity(sess, target):
    labels = placeholder(tf.int32, [None])
    scores = placeholder(tf.float32, [None])
    weights = placeholder(tf.float32, [None])
    sensitivity = thresholded.sensitivity_at_specificity(labels, scores, target, weights, num_thresholds=30)
    specificity = thresholded.specificity_at_sensitivity(labels, scores, target, weights, num_thresholds=30)
    data = batches(seed=9, size=10)
    sess.run(tf.local_variables_initializer())
    for b in data:
        last = sess.run([sensitivity[1], specificity[1]],
                        {labels: b["labels"], scores: b["scores"], weights: b["weights"]})
    got = sess.run([sensitivity[0], specificity[0]])
    c = counts_np(concat(data, "labels"), concat(data, "scores"), auc_thresholds_np(30), concat(data, "weights"))
    c = {k: v.astype(np.float32) for k, v in c.items()}
    expected = [sensitivity_at_specificity_np(c, target), specificity_at_sensitivity_np(c, target)]
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    np.testing.assert_allclose(last, expected, rtol=1e-5)


def test_sensitivity_target_out_of_range(graph):
    with pytest.raises(ValueError, match=r"`specificity` must be in the range \[0, 1\]"):
        thresholded.sensitivity_at_specificity([1], [0.5], 1.5)
    with pytest.raises(ValueError, match=r"`sensitivity` must be in the range \[0, 1\]"):
        thresholded.specificity_at_sensitivity([1], [0.5], -0.1)


def test_labels_column_and_unknown_rank_weights(sess):
    labels = placeholder(tf.int64, [None, 1])
    scores = placeholder(tf.float32, [None])
    weights = placeholder(tf.float32, None)
    value, update = thresholded.auc(labels, scores, weights, num_thresholds=10)
    acc, acc_update = metrics.accuracy(labels, placeholder_with(scores), weights)
    data = batches(seed=4)
    sess.run(tf.local_variables_initializer())
    for b in data:
        sess.run([update, acc_update], {labels: b["labels"][:, None], scores: b["scores"],
                                        weights: b["weights"][:, None]})
    counts = counts_np(concat(data, "labels"), concat(data, "scores"), auc_thresholds_np(10), concat(data, "weights"))
    assert sess.run(value) == pytest.approx(auc_np(counts), rel=1e-4)
    lab, s, w = concat(data, "labels"), concat(data, "scores"), concat(data, "weights")
    assert sess.run(acc) == pytest.approx(((lab == (s > 0.5)) * w).sum() / w.sum(), rel=1e-5)


def placeholder_with(scores):
    return tf.cast(scores > 0.5, tf.int64)


def test_metrics_on_gpu_match_cpu(gpu):
    data = batches(seed=2)
    results = []
    for device in ("/cpu:0", "/gpu:0"):
        with tf.Graph().as_default(), tf.device(device), tf.Session() as sess:
            labels = placeholder(tf.int64, [None])
            scores = placeholder(tf.float32, [None])
            weights = placeholder(tf.float32, [None])
            built = [thresholded.auc(labels, scores, weights), metrics.accuracy(labels, scores > 0.5, weights),
                     metrics.mean_iou(labels, tf.cast(scores > 0.5, tf.int64), 2, weights),
                     metrics.mean_per_class_accuracy(labels, tf.cast(scores > 0.5, tf.int64), 2, weights)]
            sess.run(tf.local_variables_initializer())
            for b in data:
                sess.run([u for _, u in built], {labels: b["labels"], scores: b["scores"], weights: b["weights"]})
            results.append(sess.run([v for v, _ in built]))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
