"""TF1's CTC functions (`tf.nn.ctc_loss`, `ctc_loss_v2`, the decoders, `collapse_repeated`,
`ctc_unique_labels`) and `tf.edit_distance`, on the CTCLoss, CTCGreedyDecoder,
CTCBeamSearchDecoder and EditDistance ops of core/ops/ctc_ops.py and edit_distance_ops.py.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    reduction_ops,
    segment_ops,
)
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import dimension_value
from estflow.library.functional_ops import map_fn

# Half-precision logits run in float32 (bfloat16 where this build has it).
_HALF = tuple(d for d in (dtypes.float16, getattr(dtypes, "bfloat16", None)) if d is not None)


def _dim(tensor, i):
    """Dimension i of `tensor`: the static value when known, else a scalar tensor."""
    return dimension_value(tensor.shape[i]) if tensor.shape.ndims is not None and \
        dimension_value(tensor.shape[i]) is not None else array_ops.shape(tensor)[i]


def ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False, ctc_merge_repeated=True,
             ignore_longer_outputs_than_inputs=False, time_major=True, logits=None):
    """The CTC loss (negative log probability of `labels`) of each sequence, as TF1's `tf.nn.ctc_loss`.

        loss = tf.nn.ctc_loss(sparse_labels, logits, seq_len)       # logits [max_time, batch, classes]

    `labels` is an int32 SparseTensor (row b holds sequence b's labels); `inputs` (or `logits`)
    are unnormalised log probabilities, time-major unless `time_major=False`; the last class is
    the blank. `preprocess_collapse_repeated` merges repeated labels first;
    `ctc_merge_repeated=False` reads each frame of a repeated class as its own label. A label
    sequence longer than its input is an InvalidArgumentError, or a zero loss with
    `ignore_longer_outputs_than_inputs`.
    """
    if not isinstance(labels, SparseTensor):
        raise TypeError(f"Expected argument `labels` to be a SparseTensor. Received labels={labels} of type: "
                        f"{type(labels).__name__}")
    if logits is not None and inputs is not None:
        raise ValueError("Cannot specify both 'logits' and 'inputs'")
    inputs = convert_to_tensor(inputs if inputs is not None else logits, name="logits")
    if not time_major:
        inputs = manipulation_ops.transpose(inputs, [1, 0, 2])
    orig_dtype = inputs.dtype
    if orig_dtype in _HALF:
        inputs = cast_ops.cast(inputs, dtypes.float32)
    loss, _ = apply_op("CTCLoss", inputs, cast_ops.cast(labels.indices, dtypes.int64),
                       cast_ops.cast(labels.values, dtypes.int32),
                       convert_to_tensor(sequence_length, dtype=dtypes.int32), name="CTCLoss",
                       preprocess_collapse_repeated=preprocess_collapse_repeated,
                       ctc_merge_repeated=ctc_merge_repeated,
                       ignore_longer_outputs_than_inputs=ignore_longer_outputs_than_inputs)
    if orig_dtype in _HALF:
        loss = cast_ops.cast(loss, orig_dtype)
    return loss


def dense_labels_to_sparse(dense, length):
    """The SparseTensor of each row's first `length[b]` labels of a dense [batch, max_len] label matrix."""
    dense = convert_to_tensor(dense)
    mask = gather_ops.sequence_mask(length, maxlen=_dim(dense, 1))
    indices = gather_ops.where(mask)
    values = gather_ops.gather_nd(dense, indices)
    shape = cast_ops.cast(array_ops.shape(dense), dtypes.int64)
    return SparseTensor(indices, values, shape)


def ctc_loss_v2(labels, logits, label_length, logit_length, logits_time_major=True, unique=None, blank_index=None,
                name=None):
    """The CTC loss of each sequence, labels dense or sparse (TF1's `tf.nn.ctc_loss_v2`).

    Dense `labels` [batch, max_label_length] take `label_length`, and the blank defaults to
    class 0; a SparseTensor needs `blank_index` (negative counts from the last class). The
    logits are rotated so the blank is last and the labels renumbered, then CTCLoss runs
    (TF computes dense labels with its own ops: the values agree; `unique` only speeds TF up).
    Dense labels that do not fit their logits have an infinite loss (sparse ones are an error, as
    in `ctc_loss`).
    """
    del unique  # an optimisation of TF's dense computation; the values do not depend on it
    with name_scope(name, "ctc_loss_dense" if not isinstance(labels, SparseTensor) else "ctc_loss"):
        logits = convert_to_tensor(logits, name="logits")
        if not logits_time_major:
            logits = manipulation_ops.transpose(logits, [1, 0, 2])
        sparse = isinstance(labels, SparseTensor)
        if sparse:
            if blank_index is None:
                raise ValueError("Argument `blank_index` must be provided when labels is a SparseTensor.")
        else:
            labels = dense_labels_to_sparse(labels, label_length)
            if blank_index is None:
                blank_index = 0
        num_classes = _dim(logits, 2)
        if blank_index < 0:
            blank_index += num_classes
        values = cast_ops.cast(labels.values, dtypes.int32)
        if blank_index != num_classes - 1:
            logits = concat_ops.concat([logits[:, :, :blank_index], logits[:, :, blank_index + 1:],
                                        logits[:, :, blank_index:blank_index + 1]], axis=2)
            values = comparison_ops.where(comparison_ops.less(values, blank_index), values, values - 1)
        logit_length = convert_to_tensor(logit_length, dtype=dtypes.int32)
        loss, _ = apply_op("CTCLoss", logits, cast_ops.cast(labels.indices, dtypes.int64), values, logit_length,
                           name="CTCLoss", ignore_longer_outputs_than_inputs=not sparse)
        if sparse:  # TF1's ctc_loss: labels longer than their logits are an error
            return loss
        # Dense labels longer than their logits have probability 0: an infinite loss (TF's dense
        # computation gives a large finite one there).
        counts = segment_ops.unsorted_segment_sum(fill_ops.ones_like(values), labels.indices[:, 0],
                                                  _dim(logits, 1))
        too_long = comparison_ops.greater(counts, logit_length)
        return comparison_ops.where(too_long, fill_ops.fill(array_ops.shape(loss), float("inf")), loss)


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """The most probable class of each frame, blanks dropped (`tf.nn.ctc_greedy_decoder`): ([decoded], neg_sum_logits).

    `decoded` is a SparseTensor [batch, max_decoded_length]; with `merge_repeated` runs of one
    class give one label. `neg_sum_logits` [batch, 1] is minus the sum of each frame's largest
    logit. The blank is the last class unless `blank_index` says otherwise.
    """
    attrs = {"merge_repeated": merge_repeated}
    if blank_index is not None:
        attrs["blank_index"] = blank_index
    indices, values, shape, log_probability = apply_op(
        "CTCGreedyDecoder", convert_to_tensor(inputs), convert_to_tensor(sequence_length, dtype=dtypes.int32),
        name="CTCGreedyDecoder", **attrs)
    return [SparseTensor(indices, values, shape)], log_probability


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1, merge_repeated=True):
    """TF's CTC prefix beam search (`tf.nn.ctc_beam_search_decoder`): ([decoded per path], log_probabilities).

    Keeps the `beam_width` most probable label prefixes at each frame and returns the
    `top_paths` best, each a SparseTensor [batch, max_decoded_length]; `log_probabilities`
    [batch, top_paths] are their log probabilities. With `merge_repeated` (TF1's default)
    consecutive equal labels of a path are emitted once.
    """
    outputs = apply_op("CTCBeamSearchDecoder", convert_to_tensor(inputs),
                       convert_to_tensor(sequence_length, dtype=dtypes.int32), name="CTCBeamSearchDecoder",
                       beam_width=beam_width, top_paths=top_paths, merge_repeated=merge_repeated)
    ixs, vals, shapes = outputs[:top_paths], outputs[top_paths:2 * top_paths], outputs[2 * top_paths:3 * top_paths]
    return [SparseTensor(i, v, s) for i, v, s in zip(ixs, vals, shapes, strict=True)], outputs[-1]


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1):
    """`ctc_beam_search_decoder` with `merge_repeated=False` (TF2's `tf.nn.ctc_beam_search_decoder`)."""
    return ctc_beam_search_decoder(inputs, sequence_length=sequence_length, beam_width=beam_width,
                                   top_paths=top_paths, merge_repeated=False)


def collapse_repeated(labels, seq_length, name=None):
    """Merge runs of a repeated label in each row (`tf.nn.collapse_repeated`): (collapsed labels, new lengths).

    `labels` [batch, max_len] and `seq_length` [batch]; the result is zero-padded to the
    longest collapsed row.
    """
    with name_scope(name, "collapse_repeated_labels"):
        labels = convert_to_tensor(labels, name="labels")
        seq_length = convert_to_tensor(seq_length, name="seq_length")
        label_mask = concat_ops.concat([fill_ops.ones_like(labels[:, :1], dtype=dtypes.bool),
                                        comparison_ops.not_equal(labels[:, 1:], labels[:, :-1])], axis=1)
        seq_mask = gather_ops.sequence_mask(seq_length, maxlen=_dim(labels, 1))
        label_mask = comparison_ops.logical_and(label_mask, seq_mask)
        new_seq_len = reduction_ops.reduce_sum(cast_ops.cast(label_mask, dtypes.int32), axis=1)
        new_maxlen = reduction_ops.reduce_max(new_seq_len)
        idx_mask = gather_ops.sequence_mask(new_seq_len, maxlen=new_maxlen)
        flat_labels = array_ops.reshape(labels, [-1])
        flat_label_mask = array_ops.reshape(label_mask, [-1])
        flat_idx_mask = array_ops.reshape(idx_mask, [-1])
        idx = fill_ops.range_(_dim(flat_idx_mask, 0))
        flat = gather_ops.scatter_nd(indices=array_ops.expand_dims(gather_ops.boolean_mask(idx, flat_idx_mask), 1),
                                     updates=gather_ops.boolean_mask(flat_labels, flat_label_mask),
                                     shape=array_ops.shape(flat_idx_mask))
        new_shape = concat_ops.stack([cast_ops.cast(_dim(labels, 0), dtypes.int32), new_maxlen])
        return array_ops.reshape(flat, new_shape), cast_ops.cast(new_seq_len, seq_length.dtype)


def ctc_unique_labels(labels, name=None):
    """Each row's distinct labels in order of first appearance, zero-padded, and each label's index among
    them (`tf.nn.ctc_unique_labels`): (unique_y int64 [batch, max_len], unique_idx int32 [batch, max_len])."""
    with name_scope(name, "ctc_unique_labels"):
        labels = convert_to_tensor(labels, name="labels")

        def _unique(x):
            y, idx = gather_ops.unique(x)
            y = manipulation_ops.pad(y, [[0, _dim(idx, 0) - _dim(y, 0)]])
            return [cast_ops.cast(y, dtypes.int64), idx]

        return map_fn(_unique, labels, dtype=[dtypes.int64, dtypes.int32])


def edit_distance(hypothesis, truth, normalize=True, name="edit_distance"):
    """The Levenshtein distance between the sequences of two SparseTensors (`tf.edit_distance`).

        tf.edit_distance(hyp, truth)   # [batch]: distance / len(truth) for each sequence

    The last dimension of each SparseTensor indexes a sequence's elements; the result has the
    other dimensions (the larger of the two shapes). `normalize` divides by the truth's length.
    """
    if not isinstance(hypothesis, SparseTensor):
        raise TypeError("Hypothesis must be a SparseTensor.")
    if not isinstance(truth, SparseTensor):
        raise TypeError("Truth must be a SparseTensor.")
    return apply_op("EditDistance", hypothesis.indices, hypothesis.values, hypothesis.dense_shape, truth.indices,
                    truth.values, truth.dense_shape, normalize=normalize, name=name)
