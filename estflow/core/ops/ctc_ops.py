"""Connectionist Temporal Classification: the CTCLoss op and the greedy and beam-search decoders.

All three take time-major logits `[max_time, batch, num_classes]` whose last class is the
blank (the greedy decoder's `blank_index` may move it), and per-sequence lengths. CTCLoss
(Graves et al., 2006) runs the forward-backward recursion in log space per sequence and
returns the loss and its gradient with respect to the logits, which its gradient rule
scales (TF's fused op). The beam search is TF's prefix beam search (ctc_beam_search.h, with
its default scorer): each step keeps the `beam_width` most probable label prefixes, each
with the probability of ending in a blank and in its last label.

The recursions are sequential over time and run on the host (cpu_only), one sequence at a
time, each time step vectorised over the states.
"""

from __future__ import annotations

import heapq
import math

from estflow.core import dtypes, errors
from estflow.core.ops.array_ops import expand_dims, prevent_gradient
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register

_LOG_ZERO = -math.inf


def _check_inputs(inputs, sequence_length, op_type):
    if inputs.shape.ndims not in (None, 3):
        raise ValueError(f"Shape must be rank 3 but is rank {inputs.shape.ndims} (inputs of {op_type})")
    if sequence_length.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {sequence_length.shape.ndims} (sequence_length)")
    batch = inputs.shape.as_tuple()[1] if inputs.shape.ndims == 3 else None
    lengths = sequence_length.shape.as_tuple()[0] if sequence_length.shape.ndims == 1 else None
    if batch is not None and lengths is not None and batch != lengths:
        raise ValueError(f"Dimensions must be equal, but are {batch} and {lengths}")
    return batch


def _check_lengths(xp, inputs, sequence_length, error=errors.InvalidArgumentError):
    max_time, batch = int(inputs.shape[0]), int(inputs.shape[1])
    lengths = [int(n) for n in sequence_length.tolist()]
    if len(lengths) != batch:
        raise errors.InvalidArgumentError(None, None, f"len(sequence_length) != batch_size.  len(sequence_length):  "
                                                      f"{len(lengths)} batch_size: {batch}")
    for b, n in enumerate(lengths):
        if n > max_time:
            raise error(None, None, f"sequence_length({b}) <= {max_time}")
    return lengths


def _log_softmax(xp, x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


# ---- CTCLoss --------------------------------------------------------------------------------------------
def _infer_loss(inputs, labels_indices, labels_values, sequence_length, *, preprocess_collapse_repeated,
                ctc_merge_repeated, ignore_longer_outputs_than_inputs):
    batch = _check_inputs(inputs, sequence_length, "CTCLoss")
    if labels_indices.shape.ndims not in (None, 2):
        raise ValueError(f"Shape must be rank 2 but is rank {labels_indices.shape.ndims} (labels_indices)")
    if labels_values.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {labels_values.shape.ndims} (labels_values)")
    return [TensorSpec([batch], inputs.dtype), TensorSpec(inputs.shape, inputs.dtype)]


def _label_sequences(indices, values, batch):
    """Each batch entry's labels in order of their position (TF's labels SparseTensor, rows sorted)."""
    sequences = [[] for _ in range(batch)]
    previous = None
    for (b, position), value in zip(indices.tolist(), values.tolist(), strict=True):
        if not 0 <= b < batch:
            raise errors.InvalidArgumentError(None, None, f"labels batch index must be between 0 and {batch - 1} "
                                                          f"but saw: {b}")
        if previous is not None and (b, position) <= previous:
            raise errors.InvalidArgumentError(None, None, "labels_indices are not in order (each batch entry's "
                                                          "labels sorted by position): reorder them with "
                                                          "tf.sparse.reorder.")
        previous = (b, position)
        sequences[b].append(int(value))
    return sequences


def _collapse(labels):
    return [v for i, v in enumerate(labels) if i == 0 or v != labels[i - 1]]


def _ctc_one(xp, log_probs, labels, blank, merge_repeated):
    """-log p(labels | x) and its gradient w.r.t. the logits, for one sequence of log-softmax frames [T, C]."""
    frames, classes = log_probs.shape
    states = [blank]
    for v in labels:
        states += [v, blank]
    extended = xp.asarray(states)
    n = len(states)
    is_blank = extended == blank
    stay = xp.ones(n, dtype=bool) if merge_repeated else is_blank
    skip = xp.zeros(n, dtype=bool)
    if n > 2:
        same = extended[2:] == extended[:-2]
        skip[2:] = ~is_blank[2:] & ~(same if merge_repeated else xp.zeros_like(same))
    emit = log_probs[:, extended]  # [T, n]
    alpha = xp.full((frames, n), _LOG_ZERO)
    alpha[0, 0] = emit[0, 0]
    if n > 1:
        alpha[0, 1] = emit[0, 1]
    for t in range(1, frames):
        prev = alpha[t - 1]
        total = xp.where(stay, prev, _LOG_ZERO)
        total[1:] = xp.logaddexp(total[1:], prev[:-1])
        total[2:] = xp.where(skip[2:], xp.logaddexp(total[2:], prev[:-2]), total[2:])
        alpha[t] = total + emit[t]
    beta = xp.full((frames, n), _LOG_ZERO)  # paths from (t, s) to the end, y at t excluded
    beta[-1, -1] = 0.0
    if n > 1:
        beta[-1, -2] = 0.0
    for t in range(frames - 2, -1, -1):
        nxt = beta[t + 1] + emit[t + 1]
        total = xp.where(stay, nxt, _LOG_ZERO)
        total[:-1] = xp.logaddexp(total[:-1], nxt[1:])
        total[:-2] = xp.where(skip[2:], xp.logaddexp(total[:-2], nxt[2:]), total[:-2])
        beta[t] = total
    log_p = xp.logaddexp(alpha[-1, -1], alpha[-1, -2]) if n > 1 else alpha[-1, -1]
    grad = xp.exp(log_probs)
    if log_p == _LOG_ZERO:
        return math.inf, grad
    occupancy = xp.exp(alpha + beta - log_p)  # [T, n]
    for s in range(n):
        grad[:, states[s]] -= occupancy[:, s]
    return -float(log_p), grad


def _loss_kernel(xp, inputs, labels_indices, labels_values, sequence_length, *, preprocess_collapse_repeated,
                 ctc_merge_repeated, ignore_longer_outputs_than_inputs):
    max_time, batch, classes = (int(d) for d in inputs.shape)
    lengths = _check_lengths(xp, inputs, sequence_length)
    if labels_indices.ndim != 2 or labels_indices.shape[1] != 2:
        raise errors.InvalidArgumentError(None, None, f"labels_indices should be a matrix with 2 columns, got shape "
                                                      f"{list(labels_indices.shape)}")
    sequences = _label_sequences(labels_indices, labels_values, batch)
    blank = classes - 1
    wide = inputs.astype(xp.float64)
    loss = xp.zeros(batch, dtype=inputs.dtype)
    gradient = xp.zeros(inputs.shape, dtype=inputs.dtype)
    for b in range(batch):
        labels = _collapse(sequences[b]) if preprocess_collapse_repeated else sequences[b]
        for v in labels:
            if not 0 <= v < blank:  # TF computes an undefined value for these: estflow says why it cannot
                raise errors.InvalidArgumentError(None, None, f"Labels must be in [0, num_classes - 1): the last of "
                                                              f"the {classes} classes is the blank; saw label {v} "
                                                              f"(batch {b})")
        frames = lengths[b]
        if len(labels) > frames:
            if ignore_longer_outputs_than_inputs:
                continue  # TF: a zero loss and gradient, and a warning
            raise errors.InvalidArgumentError(
                None, None, f"Not enough time for target transition sequence (required: {len(labels)}, available: "
                            f"{frames}){b}You can turn this error into a warning by using the flag "
                            "ignore_longer_outputs_than_inputs")
        if frames == 0:
            loss[b] = 0.0 if not labels else math.inf
            continue
        value, grad = _ctc_one(xp, _log_softmax(xp, wide[:frames, b]), labels, blank, ctc_merge_repeated)
        loss[b] = value
        gradient[:frames, b] = grad
    return loss, gradient


def _loss_grad(op, grad_loss, _grad_gradient=None):
    gradient = prevent_gradient(op.outputs[1], message="Currently there is no way to take the second  derivative "
                                                       "of ctc_loss due to the fused implementation's interaction  "
                                                       "with tf.gradients()")
    # grad_loss [batch] scales each sequence's [time, batch, classes] gradient.
    return [expand_dims(expand_dims(grad_loss, 0), 2) * gradient, None, None, None]


register(OpDef(
    "CTCLoss", infer=_infer_loss, kernel=_loss_kernel, grad=_loss_grad, cpu_only=True,
    attrs={"preprocess_collapse_repeated": False, "ctc_merge_repeated": True,
           "ignore_longer_outputs_than_inputs": False},
    input_names=("inputs: T", "labels_indices: int64", "labels_values: int32", "sequence_length: int32"),
    output_names=("loss: T", "gradient: T"),
    attr_types={"preprocess_collapse_repeated": "bool", "ctc_merge_repeated": "bool",
                "ignore_longer_outputs_than_inputs": "bool", "T": "type = float"},
))


# ---- CTCGreedyDecoder --------------------------------------------------------------------------------
def _sparse_specs(batch, dtype):
    return [TensorSpec([None, 2], dtypes.int64), TensorSpec([None], dtypes.int64), TensorSpec([2], dtypes.int64)]


def _infer_greedy(inputs, sequence_length, *, merge_repeated, blank_index):
    batch = _check_inputs(inputs, sequence_length, "CTCGreedyDecoder")
    return [*_sparse_specs(batch, inputs.dtype), TensorSpec([batch, 1], inputs.dtype)]


def _to_sparse(xp, paths, batch):
    rows = [(b, i, label) for b, path in enumerate(paths) for i, label in enumerate(path)]
    indices = xp.asarray([[b, i] for b, i, _ in rows], dtype=xp.int64).reshape(len(rows), 2)
    values = xp.asarray([label for _, _, label in rows], dtype=xp.int64)
    shape = xp.asarray([batch, max((len(p) for p in paths), default=0)], dtype=xp.int64)
    return indices, values, shape


def _greedy_kernel(xp, inputs, sequence_length, *, merge_repeated, blank_index):
    max_time, batch, classes = (int(d) for d in inputs.shape)
    lengths = _check_lengths(xp, inputs, sequence_length, errors.FailedPreconditionError)
    blank = blank_index + classes if blank_index < 0 else blank_index
    best = inputs.argmax(axis=2).tolist()  # [T, B]
    top = inputs.max(axis=2)
    log_probability = xp.zeros((batch, 1), dtype=inputs.dtype)
    paths = []
    for b in range(batch):
        path, previous = [], -1
        for t in range(lengths[b]):
            c = best[t][b]
            if c != blank and not (merge_repeated and c == previous):
                path.append(c)
            previous = c
        paths.append(path)
        log_probability[b, 0] = -top[:lengths[b], b].sum()
    return (*_to_sparse(xp, paths, batch), log_probability)


register(OpDef(
    "CTCGreedyDecoder", infer=_infer_greedy, kernel=_greedy_kernel, differentiable=False, cpu_only=True,
    attrs={"merge_repeated": False, "blank_index": -1},
    input_names=("inputs: T", "sequence_length: int32"),
    output_names=("decoded_indices: int64", "decoded_values: int64", "decoded_shape: int64",
                  "log_probability: T"),
    attr_types={"merge_repeated": "bool", "blank_index": "int", "T": "type = float"},
))


# ---- CTCBeamSearchDecoder ----------------------------------------------------------------------------
class _Beam:
    """A label prefix: log probabilities of ending in a blank and in its last label (old: the step before)."""

    __slots__ = ("parent", "label", "children", "blank", "label_p", "total", "old_blank", "old_label", "old_total")

    def __init__(self, parent, label):
        self.parent = parent
        self.label = label
        self.children = {}
        self.blank = self.label_p = self.total = _LOG_ZERO
        self.old_blank = self.old_label = self.old_total = _LOG_ZERO

    def active(self):
        return self.total != _LOG_ZERO

    def reset(self):
        self.blank = self.label_p = self.total = _LOG_ZERO

    def labels(self, merge_repeated):
        out, previous, node = [], -1, self
        while node.parent is not None:
            if not merge_repeated or node.label != previous:
                out.append(node.label)
            previous = node.label
            node = node.parent
        return out[::-1]


def _log_sum_exp(a, b):
    if a == _LOG_ZERO:
        return b
    if b == _LOG_ZERO:
        return a
    return a + math.log1p(math.exp(b - a)) if a > b else b + math.log1p(math.exp(a - b))


def _beam_search(frames, beam_width, blank):
    """TF's CTCBeamSearchDecoder steps over `frames` (a list of per-class logit lists): the final beams."""
    root = _Beam(None, -1)
    root.total, root.blank = 0.0, 0.0
    leaves = [root]
    for logits in frames:
        top = max(logits)
        shifted = [v - top for v in logits]
        norm = math.log(sum(math.exp(v) for v in shifted))
        branches = sorted(leaves, key=lambda e: e.total, reverse=True)
        leaves = []
        for e in branches:
            e.old_blank, e.old_label, e.old_total = e.blank, e.label_p, e.total
        for e in branches:
            if e.parent is not None:
                if e.parent.active():
                    previous = e.parent.old_blank if e.label == e.parent.label else e.parent.old_total
                    e.label_p = _log_sum_exp(e.label_p, previous)
                e.label_p += shifted[e.label] - norm
            e.blank = e.old_total + shifted[blank] - norm
            e.total = _log_sum_exp(e.blank, e.label_p)
            leaves.append(e)

        # The beam as a min-heap on total probability (TF's TopN): the least probable prefix is popped
        # when a more probable one arrives at a full beam. A prefix's total is fixed once it is pushed.
        heap = [(e.total, k, e) for k, e in enumerate(leaves)]
        heapq.heapify(heap)
        order = len(heap)

        def is_candidate(total):
            return total > _LOG_ZERO and (len(heap) < beam_width or total > heap[0][0])

        # Labels in index order, as TF tries them (a prefix pushed out of a full beam and met again later as
        # another prefix's child starts afresh or is emptied, so the order matters); one that cannot beat the
        # least probable prefix of a full beam is rejected without computing its probability.
        labels = range(len(logits) - 1)
        for e in branches:
            if not is_candidate(e.old_total):
                continue
            bound = e.old_total - norm  # a child's total is at most its label's shifted logit + bound
            for label in labels:
                if len(heap) == beam_width and shifted[label] + bound <= heap[0][0]:
                    child = e.children.get(label)
                    if child is not None and not child.active():  # as TF's rejected child: emptied, old too
                        child.old_blank = child.old_label = child.old_total = _LOG_ZERO
                        child.reset()
                    continue
                child = e.children.get(label)
                if child is None:
                    child = e.children[label] = _Beam(e, label)
                if child.active():
                    continue
                child.blank = _LOG_ZERO
                previous = e.old_blank if label == e.label else e.old_total
                child.label_p = shifted[label] - norm + previous
                child.total = child.label_p
                if is_candidate(child.total):
                    if len(heap) == beam_width:
                        heapq.heappop(heap)[2].reset()
                    heapq.heappush(heap, (child.total, order, child))
                    order += 1
                else:
                    child.old_blank = child.old_label = child.old_total = _LOG_ZERO
                    child.reset()
        leaves = [e for _, _, e in heap]
    return sorted(leaves, key=lambda e: e.total, reverse=True)


def _infer_beam(inputs, sequence_length, *, beam_width, top_paths, merge_repeated):
    batch = _check_inputs(inputs, sequence_length, "CTCBeamSearchDecoder")
    specs = _sparse_specs(batch, inputs.dtype)
    return ([specs[0]] * top_paths + [specs[1]] * top_paths + [specs[2]] * top_paths
            + [TensorSpec([batch, top_paths], inputs.dtype)])


def _beam_kernel(xp, inputs, sequence_length, *, beam_width, top_paths, merge_repeated):
    max_time, batch, classes = (int(d) for d in inputs.shape)
    lengths = _check_lengths(xp, inputs, sequence_length, errors.FailedPreconditionError)
    if top_paths > beam_width:
        raise errors.InvalidArgumentError(None, None, "requested more paths than the beam width.")
    values = inputs.astype(xp.float64).tolist()
    paths = [[] for _ in range(top_paths)]
    log_probability = xp.zeros((batch, top_paths), dtype=inputs.dtype)
    for b in range(batch):
        beams = _beam_search([values[t][b] for t in range(lengths[b])], beam_width, classes - 1)
        if top_paths > len(beams):
            raise errors.InvalidArgumentError(None, None, "Less leaves in the beam search than requested.")
        for k in range(top_paths):
            paths[k].append(beams[k].labels(merge_repeated))
            log_probability[b, k] = beams[k].total
    sparse = [_to_sparse(xp, p, batch) for p in paths]
    return (*[s[0] for s in sparse], *[s[1] for s in sparse], *[s[2] for s in sparse], log_probability)


register(OpDef(
    "CTCBeamSearchDecoder", infer=_infer_beam, kernel=_beam_kernel, differentiable=False, cpu_only=True,
    attrs={"beam_width": REQUIRED, "top_paths": REQUIRED, "merge_repeated": True},
    input_names=("inputs: T", "sequence_length: int32"),
    output_names=("decoded_indices: top_paths * int64", "decoded_values: top_paths * int64",
                  "decoded_shape: top_paths * int64", "log_probability: T"),
    attr_types={"beam_width": "int >= 1", "top_paths": "int >= 1", "merge_repeated": "bool", "T": "type = float"},
))
