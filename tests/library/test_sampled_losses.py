"""nce_loss and sampled_softmax_loss (estflow/library/sampled_losses.py): values against numpy for
fixed samples, accidental hits, sparse gradients, and training a toy problem."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import nn
from estflow.core.gradients import gradients
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.constant_op import constant
from estflow.core.ops.reduction_ops import reduce_mean
from estflow.core.random_seed import set_random_seed
from estflow.core.variables import Variable, global_variables_initializer
from estflow.training.gradient_descent import GradientDescentOptimizer

RNG = np.random.default_rng(0)
NUM_CLASSES, DIM = 10, 4
WEIGHTS = RNG.standard_normal((NUM_CLASSES, DIM))
BIASES = RNG.standard_normal(NUM_CLASSES)
INPUTS = RNG.standard_normal((3, DIM))
LABELS = np.array([[1, 4], [7, 2], [0, 9]])
SAMPLED = np.array([3, 4, 8])
TRUE_Q = RNG.uniform(0.1, 0.9, (3, 2))
SAMPLED_Q = RNG.uniform(0.1, 0.9, 3)


def _reference_logits(remove_accidental_hits):
    true_logits = np.einsum("bd,btd->bt", INPUTS, WEIGHTS[LABELS]) + BIASES[LABELS] - np.log(TRUE_Q)
    sampled_logits = INPUTS @ WEIGHTS[SAMPLED].T + BIASES[SAMPLED] - np.log(SAMPLED_Q)
    if remove_accidental_hits:
        for row in range(3):
            for j, candidate in enumerate(SAMPLED):
                if candidate in LABELS[row]:
                    sampled_logits[row, j] += np.finfo(np.float32).min
    logits = np.concatenate([true_logits, sampled_logits], 1)
    labels = np.concatenate([np.full((3, 2), 0.5), np.zeros((3, 3))], 1)
    return logits, labels


def _sampled_values():
    return (constant(SAMPLED, dtype=tf.int64), constant(TRUE_Q), constant(SAMPLED_Q))


def _shards():
    return [constant(WEIGHTS[0::2]), constant(WEIGHTS[1::2])]


@pytest.mark.parametrize("sharded", [False, True])
def test_nce_loss_matches_numpy(sharded):
    logits, labels = _reference_logits(False)
    expected = (np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))).sum(1)
    with tf.Graph().as_default():
        loss = nn.nce_loss(_shards() if sharded else constant(WEIGHTS), constant(BIASES), LABELS,
                           constant(INPUTS), num_sampled=3, num_classes=NUM_CLASSES, num_true=2,
                           sampled_values=_sampled_values())
        assert loss.shape.as_list() == [3]
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(loss), expected, rtol=1e-10)


@pytest.mark.parametrize("remove_accidental_hits", [True, False])
def test_sampled_softmax_loss_matches_numpy(remove_accidental_hits):
    logits, labels = _reference_logits(remove_accidental_hits)
    shifted = logits - logits.max(1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    expected = -(labels * log_softmax).sum(1)
    with tf.Graph().as_default():
        loss = nn.sampled_softmax_loss(constant(WEIGHTS), constant(BIASES), LABELS, constant(INPUTS),
                                       num_sampled=3, num_classes=NUM_CLASSES, num_true=2,
                                       sampled_values=_sampled_values(),
                                       remove_accidental_hits=remove_accidental_hits)
        with tf.Session() as sess:
            got = sess.run(loss)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def _toy_model(loss_fn, num_classes=50, dim=8, batch=32, steps=60, lr=0.5):
    """Learn class embeddings from fixed inputs; returns (first loss, last loss, sparse gradient types)."""
    rng = np.random.default_rng(1)
    inputs = rng.standard_normal((batch, dim))
    labels = rng.integers(0, num_classes, (batch, 1))
    g = tf.Graph()
    with g.as_default():
        set_random_seed(3)
        weights = Variable(rng.standard_normal((num_classes, dim)) * 0.1, name="weights")
        biases = Variable(np.zeros(num_classes), name="biases")
        loss = reduce_mean(loss_fn(weights=weights, biases=biases, labels=labels, inputs=constant(inputs),
                                   num_sampled=10, num_classes=num_classes))
        grads = gradients(loss, [weights, biases])
        train = GradientDescentOptimizer(lr).minimize(loss)
        with tf.Session(graph=g) as sess:
            sess.run(global_variables_initializer())
            first = np.mean([sess.run(loss) for _ in range(5)])
            grad_values = sess.run(grads)
            for _ in range(steps):
                sess.run(train)
            last = np.mean([sess.run(loss) for _ in range(5)])
    return first, last, grads, grad_values


@pytest.mark.parametrize("loss_fn", [nn.nce_loss, nn.sampled_softmax_loss], ids=["nce", "sampled_softmax"])
def test_training_with_sampled_losses_reduces_the_loss(loss_fn):
    first, last, grads, grad_values = _toy_model(loss_fn)
    assert np.isfinite(first) and np.isfinite(last)
    assert last < 0.5 * first, (first, last)
    assert all(isinstance(g, IndexedSlices) for g in grads)  # only the rows used are touched
    for value in grad_values:
        assert np.all(np.isfinite(value.values)) and np.any(value.values != 0)


def test_default_sampler_shapes_and_seed():
    def run():
        g = tf.Graph()
        with g.as_default():
            loss = nn.sampled_softmax_loss(constant(WEIGHTS), constant(BIASES), LABELS[:, :1], constant(INPUTS),
                                           num_sampled=5, num_classes=NUM_CLASSES, seed=11)
            assert loss.shape.as_list() == [3]
            with tf.Session(graph=g) as sess:
                return sess.run(loss)

    first, second = run(), run()
    assert np.all(np.isfinite(first))
    np.testing.assert_array_equal(first, second)
