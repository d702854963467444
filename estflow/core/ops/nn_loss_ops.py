"""Fused loss ops (`SoftmaxCrossEntropyWithLogits`, its sparse twin, `L2Loss`), `InTopKV2`, and
the candidate samplers behind `tf.nn.nce_loss` / `tf.nn.sampled_softmax_loss`.

Each is a primitive because composing it would be unstable or slow:

- the cross entropies need `logsumexp` with the row maximum subtracted first, and their
  `backprop` output (softmax - labels) is the gradient, so the backward pass costs one
  multiply (TF's fused kernels, with TF's gradient rules);
- `L2Loss` is one reduction instead of Square + Sum + Mul;
- `InTopKV2` counts, per row, the predictions strictly greater than the target's (ties are
  in, a non-finite or out-of-range target is out), which TopK cannot express;
- the samplers draw with per-session generators, like random_ops.py: a seeded op replays
  its sequence in every new session; they run on the CPU, as TF's do.

The public functions `tf.nn.*cross_entropy*` live in `estflow.library.nn_impl`.
"""

from __future__ import annotations

# NOTE: the candidate samplers draw on the host with numpy Generators (as random_ops.py does);
# their outputs are small index vectors and TF's kernels are CPU-only too.
import numpy as np

from estflow.core import dtypes, errors, range_samplers
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.random_seed import get_seed
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register

_FLOATS = (dtypes.float16, dtypes.float32, dtypes.float64)
_INDEX = (dtypes.int32, dtypes.int64)


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _check_dtype(spec: TensorSpec, allowed, param: str) -> None:
    if spec.dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {spec.dtype.name} not in list of "
                        f"allowed values: {', '.join(d.name for d in allowed)}")


def _check_rank(spec: TensorSpec, rank: int, what: str) -> None:
    if spec.shape.ndims is not None and spec.shape.ndims != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {spec.shape.ndims} ({what})")


def _merge_dim(a, b, allow_broadcast=False):
    """Two static dims that must agree (or, with `allow_broadcast`, one may be 1)."""
    if a is None:
        return b if not allow_broadcast or b != 1 else None
    if b is None:
        return a if not allow_broadcast or a != 1 else None
    if a == b:
        return a
    if allow_broadcast and (a == 1 or b == 1):
        return max(a, b)
    raise ValueError(f"Dimensions must be equal, but are {a} and {b}")


def _mul(x, y):
    return apply_op("Mul", x, y, name="mul")


def _expand_last(x):
    return apply_op("ExpandDims", x, constant(-1, dtype=dtypes.int32), name="ExpandDims")


def _is_zeros(grad) -> bool:
    """True for the ZerosLike autodiff puts in for an output nobody differentiated."""
    return grad is None or (isinstance(grad, Tensor) and grad.op.type == "ZerosLike")


def _softmax_hvp(logits, grad_grad):
    """d/dlogits <softmax(logits), grad_grad>: (grad_grad - sum(grad_grad * softmax)) * softmax."""
    softmax = apply_op("Softmax", logits, name="Softmax")
    dot = apply_op("Sum", _mul(grad_grad, softmax), constant(-1, dtype=dtypes.int32), name="Sum", keep_dims=True)
    return _mul(apply_op("Sub", grad_grad, dot, name="sub"), softmax)


# ================================================================================================
# SoftmaxCrossEntropyWithLogits(features [B, C], labels [B, C]) -> (loss [B], backprop [B, C])
# ================================================================================================
def _xent_infer(features, labels):
    _check_dtype(features, _FLOATS, "features")
    _check_rank(features, 2, "logits and labels must be 2-D")
    _check_rank(labels, 2, "logits and labels must be 2-D")
    f = features.shape.as_tuple() or (None, None)
    lab = labels.shape.as_tuple() or (None, None)
    batch = _merge_dim(f[0], lab[0], allow_broadcast=True)
    classes = _merge_dim(f[1], lab[1], allow_broadcast=True)
    return [TensorSpec([batch], features.dtype), TensorSpec([batch, classes], features.dtype)]


def _log_softmax_rows(xp, features):
    shifted = features - features.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def _xent_kernel(xp, features, labels):
    if features.ndim != 2 or labels.ndim != 2:
        raise _invalid(f"logits and labels must be 2-D, got shapes {list(features.shape)} and {list(labels.shape)}")
    try:
        features, labels = xp.broadcast_arrays(features, labels)
    except ValueError:
        raise _invalid(f"logits and labels must be broadcastable: logits_size={list(features.shape)} "
                       f"labels_size={list(labels.shape)}") from None
    log_softmax = _log_softmax_rows(xp, features)
    loss = -(labels * log_softmax).sum(axis=-1)
    backprop = xp.exp(log_softmax) - labels
    return loss.astype(features.dtype, copy=False), backprop.astype(features.dtype, copy=False)


def _xent_grad(op, grad_loss, grad_grad):
    # TF's _SoftmaxCrossEntropyWithLogitsGrad: dlogits = grad_loss * backprop, dlabels =
    # grad_loss * -log_softmax(logits); second order through `backprop` when asked for.
    logits = op.inputs[0]
    g = _expand_last(grad_loss)
    logits_grad = _mul(g, op.outputs[1])
    labels_grad = _mul(g, apply_op("Neg", apply_op("LogSoftmax", logits, name="LogSoftmax"), name="Neg"))
    if not _is_zeros(grad_grad):
        logits_grad = apply_op("AddV2", logits_grad, _softmax_hvp(logits, grad_grad), name="add")
        # NOTE: backprop = softmax - labels, so it also depends on the labels (TF leaves this term out).
        labels_grad = apply_op("Sub", labels_grad, grad_grad, name="sub")
    return logits_grad, labels_grad


register(OpDef("SoftmaxCrossEntropyWithLogits", infer=_xent_infer, kernel=_xent_kernel, grad=_xent_grad,
               same_dtype="all",
               input_names=("features: T", "labels: T"), output_names=("loss: T", "backprop: T"),
               attr_types={"T": "type"}))


# ================================================================================================
# SparseSoftmaxCrossEntropyWithLogits(features [B, C], labels int [B]) -> (loss [B], backprop [B, C])
# ================================================================================================
def _sparse_xent_infer(features, labels):
    _check_dtype(features, _FLOATS, "features")
    _check_dtype(labels, _INDEX, "labels")
    _check_rank(features, 2, "logits must be 2-D")
    _check_rank(labels, 1, "labels must be 1-D")
    f = features.shape.as_tuple() or (None, None)
    lab = labels.shape.as_tuple() or (None,)
    batch = _merge_dim(f[0], lab[0])
    return [TensorSpec([batch], features.dtype), TensorSpec([batch, f[1]], features.dtype)]


def _sparse_xent_kernel(xp, features, labels):
    if features.ndim != 2:
        raise _invalid(f"logits must be 2-D, but got shape {list(features.shape)}")
    if labels.ndim != 1:
        raise _invalid(f"labels must be 1-D, but got shape {list(labels.shape)}")
    batch, classes = features.shape
    if labels.shape[0] != batch:
        raise _invalid(f"logits and labels must have the same first dimension, got logits shape "
                       f"{list(features.shape)} and labels shape {list(labels.shape)}")
    if batch:
        bad = (labels < 0) | (labels >= classes)
        if bool(bad.any()):
            value = int(labels[int(bad.argmax())])
            raise _invalid(f"Received a label value of {value} which is outside the valid range of [0, {classes}).  "
                           f"Label values: {' '.join(str(int(v)) for v in labels.tolist())}")
    log_softmax = _log_softmax_rows(xp, features)
    rows = xp.arange(batch)
    loss = -log_softmax[rows, labels]
    backprop = xp.exp(log_softmax)
    backprop[rows, labels] -= 1
    return loss.astype(features.dtype, copy=False), backprop.astype(features.dtype, copy=False)


def _sparse_xent_grad(op, grad_loss, grad_grad):
    logits_grad = _mul(_expand_last(grad_loss), op.outputs[1])
    if not _is_zeros(grad_grad):
        logits_grad = apply_op("AddV2", logits_grad, _softmax_hvp(op.inputs[0], grad_grad), name="add")
    return logits_grad, None


register(OpDef("SparseSoftmaxCrossEntropyWithLogits", infer=_sparse_xent_infer, kernel=_sparse_xent_kernel,
               grad=_sparse_xent_grad,
               input_names=("features: T", "labels: Tlabels"), output_names=("loss: T", "backprop: T"),
               attr_types={"T": "type", "Tlabels": "type = int64"}))


# ================================================================================================
# L2Loss(t) = sum(t ** 2) / 2
# ================================================================================================
def _l2_loss_infer(t):
    _check_dtype(t, _FLOATS, "t")
    return TensorSpec([], t.dtype)


def _l2_loss_kernel(xp, t):
    acc = t.astype(xp.float32) if t.dtype == xp.float16 else t
    return xp.asarray((acc * acc).sum() / 2, dtype=t.dtype)


register(OpDef("L2Loss", infer=_l2_loss_infer, kernel=_l2_loss_kernel,
               grad=lambda op, grad: (_mul(op.inputs[0], grad),),
               input_names=("t: T",), output_names=("output: T",), attr_types={"T": "type"}))


def l2_loss(t, name=None) -> Tensor:
    """sum(t ** 2) / 2, as `tf.nn.l2_loss` (weight decay's usual penalty).

        penalty = 1e-4 * tf.nn.l2_loss(weights)
    """
    return apply_op("L2Loss", t, name=name or "L2Loss")


# ================================================================================================
# InTopKV2(predictions [B, C], targets [B], k) -> bool [B]   (and TF's older InTopK with attr k)
# ================================================================================================
def _in_top_k_infer(predictions, targets, k=None):
    _check_dtype(predictions, (dtypes.float32,), "predictions")
    _check_dtype(targets, _INDEX, "targets")
    _check_rank(predictions, 2, "predictions must be 2-dimensional")
    _check_rank(targets, 1, "targets must be 1-dimensional")
    if isinstance(k, TensorSpec):
        _check_rank(k, 0, "k must be a scalar")
    p = predictions.shape.as_tuple() or (None, None)
    t = targets.shape.as_tuple() or (None,)
    return TensorSpec([_merge_dim(p[0], t[0])], dtypes.bool)


def _in_top_k(xp, predictions, targets, k: int):
    if predictions.ndim != 2:
        raise _invalid(f"predictions must be 2-dimensional, got shape {list(predictions.shape)}")
    if targets.ndim != 1:
        raise _invalid(f"targets must be 1-dimensional, got shape {list(targets.shape)}")
    batch, classes = predictions.shape
    if targets.shape[0] != batch:
        raise _invalid(f"First dimension of predictions {batch} must match length of targets {targets.shape[0]}")
    in_range = (targets >= 0) & (targets < classes)
    safe = xp.where(in_range, targets, xp.zeros_like(targets))
    target_prediction = predictions[xp.arange(batch), safe] if classes else xp.zeros(batch, predictions.dtype)
    # TF's rule: count the predictions strictly greater than the target's; ties are in the top k.
    more_probable = (predictions > target_prediction[:, None]).sum(axis=1)
    return in_range & xp.isfinite(target_prediction) & (more_probable < k)


register(OpDef("InTopKV2", infer=_in_top_k_infer,
               kernel=lambda xp, predictions, targets, k: _in_top_k(xp, predictions, targets, int(k)),
               grad=None, differentiable=False, same_dtype=(1, 2),
               input_names=("predictions: float", "targets: T", "k: T"), output_names=("precision: bool",),
               attr_types={"T": "type = int32"}))
register(OpDef("InTopK", infer=_in_top_k_infer,
               kernel=lambda xp, predictions, targets, k: _in_top_k(xp, predictions, targets, int(k)),
               grad=None, differentiable=False, attrs={"k": REQUIRED},
               input_names=("predictions: float", "targets: T"), output_names=("precision: bool",),
               attr_types={"k": "int", "T": "type = int32"}))


def in_top_k(predictions, targets, k, name=None) -> Tensor:
    """Whether each target's prediction is among the `k` largest of its row, as `tf.nn.in_top_k`.

    Ties are counted in: a target whose prediction equals the k-th largest is in the top k.
    A non-finite prediction or an out-of-range target gives False.

        tf.nn.in_top_k([[0.1, 0.8, 0.1]], [0], k=2)   # [True]: 0.1 ties for second place
    """
    with name_scope(name, "in_top_k", [predictions, targets]) as scope:
        targets = convert_to_tensor(targets, name="targets")
        k = convert_to_tensor(k, dtype=targets.dtype, name="k")
        return apply_op("InTopKV2", predictions, targets, k, name=scope)


# ================================================================================================
# Candidate samplers: LogUniformCandidateSampler, UniformCandidateSampler, ComputeAccidentalHits
# ================================================================================================
def _log_uniform_probability(classes, range_max):
    classes = classes.astype(np.float64)
    return np.log((classes + 2.0) / (classes + 1.0)) / np.log(range_max + 1.0)


def _uniform_probability(classes, range_max):
    return np.full(classes.shape, 1.0 / range_max)


def sampler_stream(op, ctx, num_sampled: int) -> range_samplers.SimplePhilox:
    """This run's draws of a candidate-sampler op: TF's per-op seeded generator, kept for the session."""
    key = ("candidate_sampler", id(op._graph), op.name)
    generator = ctx.state.get(key)
    if generator is None:
        generator = ctx.state[key] = range_samplers.GuardedPhilox(int(op._attrs["seed"]), int(op._attrs["seed2"]))
    return generator.reserve(range_samplers.WORDS_PER_SAMPLE * num_sampled)


def _expected_count(p, num_sampled, num_tries):
    if num_tries == num_sampled:
        return p * num_sampled
    return -np.expm1(num_tries * np.log1p(-p))  # 1 - (1 - p) ** num_tries, without cancellation


def _sampler_infer(true_classes, *, num_true, num_sampled, unique, range_max, seed, seed2):
    if true_classes.dtype != dtypes.int64:
        raise TypeError(f"Value passed to parameter 'true_classes' has DataType {true_classes.dtype.name} not in "
                        f"list of allowed values: int64")
    _check_rank(true_classes, 2, "true_classes must be a matrix")
    for attr, value in (("num_true", num_true), ("num_sampled", num_sampled), ("range_max", range_max)):
        if int(value) < 1:
            raise ValueError(f"Attr '{attr}' must be >= 1, got {value}")
    dims = true_classes.shape.as_tuple() or (None, None)
    _merge_dim(dims[1], int(num_true))
    return [TensorSpec([num_sampled], dtypes.int64), TensorSpec([dims[0], num_true], dtypes.float32),
            TensorSpec([num_sampled], dtypes.float32)]


def _make_sampler(draw, probability):
    def make_kernel(op, ctx):
        attrs = op._attrs
        num_true, num_sampled = int(attrs["num_true"]), int(attrs["num_sampled"])
        unique, range_max = bool(attrs["unique"]), int(attrs["range_max"])

        def sampler(true_classes):
            true_classes = np.asarray(true_classes)
            if true_classes.ndim != 2:
                raise _invalid(f"true_classes must be a matrix, got shape {list(true_classes.shape)}")
            if true_classes.shape[1] != num_true:
                raise _invalid(f"true_classes must have num_true columns, expected: {true_classes.shape[1]} "
                               f"was: {num_true}")
            bad = (true_classes < 0) | (true_classes >= range_max)
            if bad.any():
                raise _invalid(f"`true_candidate` out of range [0, {range_max}), received {int(true_classes[bad][0])}")
            if unique and num_sampled > range_max:
                raise _invalid(f"Sampler's range is too small: num_sampled={num_sampled} distinct candidates "
                               f"cannot be drawn from range_max={range_max} classes; lower num_sampled or pass "
                               f"unique=False.")
            stream = sampler_stream(op, ctx, num_sampled)
            sampled, num_tries = range_samplers.sample_batch(draw(stream, range_max), num_sampled, unique)
            true_count = _expected_count(probability(true_classes, range_max), num_sampled, num_tries)
            sampled_count = _expected_count(probability(sampled, range_max), num_sampled, num_tries)
            return sampled, true_count.astype(np.float32), sampled_count.astype(np.float32)

        return sampler

    return make_kernel


_SAMPLER_ATTRS = {"num_true": REQUIRED, "num_sampled": REQUIRED, "unique": REQUIRED, "range_max": REQUIRED,
                  "seed": 0, "seed2": 0}
for _name, _draw, _probability in (
        ("LogUniformCandidateSampler", range_samplers.log_uniform_sampler, _log_uniform_probability),
        ("UniformCandidateSampler", range_samplers.uniform_sampler, _uniform_probability)):
    register(OpDef(_name, infer=_sampler_infer, make_kernel=_make_sampler(_draw, _probability),
                   attrs=dict(_SAMPLER_ATTRS), stateful=True, cpu_only=True, differentiable=False,
                   input_names=("true_classes: int64",),
                   output_names=("sampled_candidates: int64", "true_expected_count: float",
                                 "sampled_expected_count: float"),
                   attr_types={"num_true": "int >= 1", "num_sampled": "int >= 1", "unique": "bool",
                               "range_max": "int >= 1", "seed": "int", "seed2": "int"}))


_FLOAT32_LOWEST = -3.4028234663852886e38  # -FLT_MAX: added to a logit, it removes the class from a softmax


def _accidental_hits_infer(true_classes, sampled_candidates, *, num_true, seed, seed2):
    _check_rank(true_classes, 2, "true_classes must be a matrix")
    _check_rank(sampled_candidates, 1, "sampled_candidates must be a vector")
    return [TensorSpec([None], dtypes.int32), TensorSpec([None], dtypes.int64), TensorSpec([None], dtypes.float32)]


def _accidental_hits_kernel(xp, true_classes, sampled_candidates, num_true, seed, seed2):
    if true_classes.ndim != 2 or true_classes.shape[1] != num_true:
        raise _invalid(f"true_classes must be a matrix with num_true={num_true} columns, got shape "
                       f"{list(true_classes.shape)}")
    num_sampled = sampled_candidates.shape[0]
    flat = true_classes.reshape(-1)
    match = flat[:, None] == sampled_candidates[None, :]
    # A candidate drawn twice maps to its last position in sampled_candidates, as in TF's kernel.
    last = num_sampled - 1 - xp.argmax(match[:, ::-1], axis=1) if num_sampled else xp.zeros(flat.shape, "int64")
    hits = xp.nonzero(match.any(axis=1))[0] if num_sampled else xp.zeros(0, "int64")
    indices = (hits // num_true).astype(xp.int32)
    ids = last[hits].astype(xp.int64)
    weights = xp.full(hits.shape, _FLOAT32_LOWEST, dtype=xp.float32)
    return indices, ids, weights


register(OpDef("ComputeAccidentalHits", infer=_accidental_hits_infer, kernel=_accidental_hits_kernel,
               attrs={"num_true": REQUIRED, "seed": 0, "seed2": 0}, differentiable=False,
               input_names=("true_classes: int64", "sampled_candidates: int64"),
               output_names=("indices: int32", "ids: int64", "weights: float"),
               attr_types={"num_true": "int", "seed": "int", "seed2": "int"}))


def _candidate_sampler(op_type, true_classes, num_true, num_sampled, unique, range_max, seed, name):
    seed1, seed2 = get_seed(seed)
    true_classes = convert_to_tensor(true_classes, dtype=dtypes.int64, name="true_classes")
    return tuple(apply_op(op_type, true_classes, name=name or op_type, num_true=int(num_true),
                          num_sampled=int(num_sampled), unique=bool(unique), range_max=int(range_max),
                          seed=seed1 or 0, seed2=seed2 or 0))


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Sample `num_sampled` class ids from a log-uniform (Zipfian) distribution over `[0, range_max)`.

    As `tf.nn.log_uniform_candidate_sampler`: suits class ids sorted by decreasing frequency.
    Returns `(sampled_candidates [num_sampled] int64, true_expected_count [batch, num_true],
    sampled_expected_count [num_sampled])`; the expected counts are what the sampler's
    `num_sampled` draws (or, with `unique`, the draws it took) give each id on average.

        sampled, true_q, sampled_q = tf.nn.log_uniform_candidate_sampler(labels, 1, 64, True, 10000)
    """
    return _candidate_sampler("LogUniformCandidateSampler", true_classes, num_true, num_sampled, unique, range_max,
                              seed, name)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """Sample `num_sampled` class ids uniformly from `[0, range_max)`, as `tf.nn.uniform_candidate_sampler`."""
    return _candidate_sampler("UniformCandidateSampler", true_classes, num_true, num_sampled, unique, range_max,
                              seed, name)


def compute_accidental_hits(true_classes, sampled_candidates, num_true, seed=None, name=None):
    """Where sampled candidates equal a row's true classes, as `tf.nn.compute_accidental_hits`.

    Returns `(indices int32, ids int64, weights float32)`: row `indices[i]` drew its own true
    class at position `ids[i]` of `sampled_candidates`; `weights` are -FLT_MAX, to add to
    those logits so the hits drop out of a sampled softmax.
    """
    seed1, seed2 = get_seed(seed)
    true_classes = convert_to_tensor(true_classes, dtype=dtypes.int64, name="true_classes")
    sampled_candidates = convert_to_tensor(sampled_candidates, dtype=dtypes.int64, name="sampled_candidates")
    return tuple(apply_op("ComputeAccidentalHits", true_classes, sampled_candidates,
                          name=name or "ComputeAccidentalHits", num_true=int(num_true), seed=seed1 or 0,
                          seed2=seed2 or 0))

