"""Sampled losses for many classes: `tf.nn.nce_loss` and `tf.nn.sampled_softmax_loss`.

Both score each example against its true classes and a shared sample of `num_sampled`
other classes (drawn by default from `log_uniform_candidate_sampler`, so ids should be
sorted by decreasing frequency), subtracting log Q (the sampler's expected count) from
every logit. Training cost grows with `num_sampled`, not with the number of classes, and
the gradient reaching the class `weights` is an IndexedSlices over the rows used.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    concat_ops,
    fill_ops,
    math_ops,
    matmul_ops,
    reduction_ops,
    slicing_ops,
    sparse_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.nn_loss_ops import compute_accidental_hits, log_uniform_candidate_sampler
from estflow.library.embedding_ops import embedding_lookup
from estflow.library.nn_impl import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2


def _compute_sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                            sampled_values=None, subtract_log_q=True, remove_accidental_hits=False,
                            partition_strategy="mod", name=None, seed=None):
    """(logits [batch, num_true + num_sampled], labels of the same shape): true classes first, rows sum to 1."""
    weights = list(weights) if isinstance(weights, (list, tuple)) else [weights]
    with name_scope(name, "compute_sampled_logits", [biases, inputs, labels]):
        labels = convert_to_tensor(labels, name="labels")
        inputs = convert_to_tensor(inputs, name="inputs")
        if labels.dtype != dtypes.int64:
            labels = cast_ops.cast(labels, dtypes.int64)
        labels_flat = array_ops.reshape(labels, [-1])
        if sampled_values is None:
            sampled_values = log_uniform_candidate_sampler(true_classes=labels, num_true=num_true,
                                                           num_sampled=num_sampled, unique=True,
                                                           range_max=num_classes, seed=seed)
        sampled, true_expected_count, sampled_expected_count = (array_ops.stop_gradient(s) for s in sampled_values)
        sampled = cast_ops.cast(sampled, dtypes.int64)
        all_ids = concat_ops.concat([labels_flat, sampled], 0)
        num_true_rows = array_ops.shape(labels_flat)[0]

        all_w = embedding_lookup(weights, all_ids, partition_strategy=partition_strategy)
        if all_w.dtype != inputs.dtype:
            all_w = cast_ops.cast(all_w, inputs.dtype)
        true_w = slicing_ops.slice(all_w, [0, 0], concat_ops.stack([num_true_rows, -1]))
        sampled_w = slicing_ops.slice(all_w, concat_ops.stack([num_true_rows, 0]), [-1, -1])
        sampled_logits = matmul_ops.matmul(inputs, sampled_w, transpose_b=True)  # [batch, num_sampled]

        all_b = embedding_lookup(biases, all_ids, partition_strategy=partition_strategy)
        if all_b.dtype != inputs.dtype:
            all_b = cast_ops.cast(all_b, inputs.dtype)
        true_b = slicing_ops.slice(all_b, [0], array_ops.reshape(num_true_rows, [1]))
        sampled_b = slicing_ops.slice(all_b, array_ops.reshape(num_true_rows, [1]), [-1])

        # Row-wise dot products of each input with its num_true true class vectors.
        dim = array_ops.shape(true_w)[1:2]
        row_wise_dots = math_ops.multiply(array_ops.expand_dims(inputs, 1),
                                          array_ops.reshape(true_w, concat_ops.concat([[-1, num_true], dim], 0)))
        dots_as_matrix = array_ops.reshape(row_wise_dots, concat_ops.concat([[-1], dim], 0))
        true_logits = array_ops.reshape(reduction_ops.reduce_sum(dots_as_matrix, 1), [-1, num_true])
        true_logits += array_ops.reshape(true_b, [-1, num_true])
        sampled_logits += sampled_b

        if remove_accidental_hits:
            acc_indices, acc_ids, acc_weights = compute_accidental_hits(labels, sampled, num_true=num_true)
            sparse_indices = concat_ops.concat([array_ops.reshape(acc_indices, [-1, 1]),
                                                array_ops.reshape(cast_ops.cast(acc_ids, dtypes.int32), [-1, 1])],
                                               1, "sparse_indices")
            logits_shape = concat_ops.concat([array_ops.shape(labels)[:1], [num_sampled]], 0)
            if sampled_logits.dtype != acc_weights.dtype:
                acc_weights = cast_ops.cast(acc_weights, sampled_logits.dtype)
            # Adding -FLT_MAX makes a row's own true class, drawn as a "negative", drop out.
            sampled_logits += sparse_ops.sparse_to_dense(sparse_indices, logits_shape, acc_weights,
                                                         default_value=0.0, validate_indices=False)
        if subtract_log_q:
            # The samplers' counts are float32; cast them so float64 models work too.
            true_logits -= unary_ops.log(cast_ops.cast(true_expected_count, true_logits.dtype))
            sampled_logits -= unary_ops.log(cast_ops.cast(sampled_expected_count, sampled_logits.dtype))
        out_logits = concat_ops.concat([true_logits, sampled_logits], 1)
        out_labels = concat_ops.concat([fill_ops.ones_like(true_logits) / num_true,
                                        fill_ops.zeros_like(sampled_logits)], 1)
        return out_logits, out_labels


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1, sampled_values=None,
             remove_accidental_hits=False, partition_strategy="mod", name="nce_loss") -> Tensor:
    """Noise-contrastive estimation loss per example ([batch]), as `tf.nn.nce_loss`.

    `weights` [num_classes, dim] (or a list of shards), `biases` [num_classes], `labels`
    int [batch, num_true], `inputs` [batch, dim]. Each true and sampled class is a logistic
    regression; their losses are summed per example. Use for training only: evaluate with
    the full softmax.

        loss = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, labels, embed, num_sampled=64, num_classes=50000))
    """
    logits, labels = _compute_sampled_logits(
        weights=weights, biases=biases, labels=labels, inputs=inputs, num_sampled=num_sampled,
        num_classes=num_classes, num_true=num_true, sampled_values=sampled_values, subtract_log_q=True,
        remove_accidental_hits=remove_accidental_hits, partition_strategy=partition_strategy, name=name)
    sampled_losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits, name="sampled_losses")
    return reduction_ops.reduce_sum(sampled_losses, 1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, partition_strategy="mod",
                         name="sampled_softmax_loss", seed=None) -> Tensor:
    """Softmax cross entropy over the true classes plus a sample of others ([batch]), as `tf.nn.sampled_softmax_loss`.

    Arguments as `nce_loss`; a sampled class equal to the example's own true class is
    removed from its softmax unless `remove_accidental_hits=False`.

        loss = tf.reduce_mean(tf.nn.sampled_softmax_loss(w, b, labels, h, num_sampled=64, num_classes=50000))
    """
    logits, labels = _compute_sampled_logits(
        weights=weights, biases=biases, labels=labels, inputs=inputs, num_sampled=num_sampled,
        num_classes=num_classes, num_true=num_true, sampled_values=sampled_values, subtract_log_q=True,
        remove_accidental_hits=remove_accidental_hits, partition_strategy=partition_strategy, name=name, seed=seed)
    labels = array_ops.stop_gradient(labels, name="labels_stop_gradient")
    return softmax_cross_entropy_with_logits_v2(labels=labels, logits=logits)
