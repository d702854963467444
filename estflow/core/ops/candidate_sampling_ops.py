"""The other candidate samplers: AllCandidateSampler, FixedUnigramCandidateSampler and
LearnedUnigramCandidateSampler (`tf.nn.*_candidate_sampler`); the log-uniform and uniform
ones are in nn_loss_ops.py, whose draw-until-unique loop and expected counts these share.

Each returns `(sampled_candidates, true_expected_count, sampled_expected_count)`:
an id's expected count is `p * num_sampled`, or with `unique` the chance it appears in
the draws the sampler took, `1 - (1 - p) ** num_tries`.

- all: every id in `[0, num_sampled)`, each with expected count 1 (for a full softmax
  written as a sampled one).
- fixed unigram: ids drawn in proportion to given counts (a list, or the last column of a
  CSV vocabulary file) raised to `distortion`, after `num_reserved_ids` zero-weight ids; with
  `num_shards`, only the ids of `shard` (id % num_shards == shard), numbered as TF's kernel
  numbers them.
- learned unigram: counts start at 1 and each run adds the batch's true classes after
  sampling, so frequent classes are drawn more; the counts live in the session.
"""

from __future__ import annotations

# NOTE: host kernels (cpu_only): samples come from TF's per-op seeded Philox stream (core/range_samplers.py).
import numpy as np

from estflow.core import dtypes, errors, range_samplers
from estflow.core.graph import Tensor
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.nn_loss_ops import _check_rank, _expected_count, _merge_dim, sampler_stream
from estflow.core.random_seed import get_seed
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register

_INT32_MAX = 2**31 - 1


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _infer(true_classes, *, num_true, num_sampled, **_attrs):
    if true_classes.dtype != dtypes.int64:
        raise TypeError(f"Value passed to parameter 'true_classes' has DataType {true_classes.dtype.name} not in "
                        f"list of allowed values: int64")
    _check_rank(true_classes, 2, "true_classes must be a matrix")
    for attr, value in (("num_true", num_true), ("num_sampled", num_sampled)):
        if int(value) < 1:
            raise ValueError(f"Attr '{attr}' must be >= 1, got {value}")
    dims = true_classes.shape.as_tuple() or (None, None)
    _merge_dim(dims[1], int(num_true))
    return [TensorSpec([num_sampled], dtypes.int64), TensorSpec([dims[0], num_true], dtypes.float32),
            TensorSpec([num_sampled], dtypes.float32)]


def _checked_classes(true_classes, num_true: int, range_max: int):
    true_classes = np.asarray(true_classes)
    if true_classes.ndim != 2:
        raise _invalid(f"true_classes must be a matrix, got shape {list(true_classes.shape)}")
    if true_classes.shape[1] != num_true:
        raise _invalid(f"true_classes must have num_true columns, expected: {true_classes.shape[1]} was: {num_true}")
    bad = (true_classes < 0) | (true_classes >= range_max)
    if bad.any():
        raise _invalid(f"`true_candidate` out of range [0, {range_max}), received {int(true_classes[bad][0])}")
    return true_classes


def _draw(sample, probabilities, num_sampled: int, unique: bool):
    """(candidates, their expected counts, expected-count function) from one run's sampler."""
    if unique and num_sampled > int(np.count_nonzero(probabilities)):
        raise _invalid(f"Cannot draw {num_sampled} distinct candidates: only {np.count_nonzero(probabilities)} ids "
                       f"have a nonzero probability; lower num_sampled or pass unique=False.")
    sampled, num_tries = range_samplers.sample_batch(sample, num_sampled, unique)

    def expected(classes):
        return _expected_count(probabilities[classes], num_sampled, num_tries).astype(np.float32)

    return sampled, expected(sampled), expected


# ---- AllCandidateSampler ----------------------------------------------------------------------
def _make_all(op, ctx):
    num_true, num_sampled = int(op._attrs["num_true"]), int(op._attrs["num_sampled"])

    def sampler(true_classes):
        true_classes = _checked_classes(true_classes, num_true, num_sampled)
        return (np.arange(num_sampled, dtype=np.int64), np.ones(true_classes.shape, np.float32),
                np.ones(num_sampled, np.float32))

    return sampler


# ---- FixedUnigramCandidateSampler -----------------------------------------------------------------
def _unigram_weights(attrs) -> np.ndarray:
    """TF's FixedUnigramSampler weights: reserved ids, then the counts of this shard, each ** distortion."""
    vocab_file, unigrams = attrs["vocab_file"], list(attrs["unigrams"])
    if isinstance(vocab_file, bytes):
        vocab_file = vocab_file.decode()
    if vocab_file and unigrams:
        raise _invalid("Must only provide one of vocab_file and unigrams.")
    if not vocab_file and not unigrams:
        raise _invalid("Must provide either vocab_file or unigrams.")
    num_shards, shard, distortion = int(attrs["num_shards"]), int(attrs["shard"]), float(attrs["distortion"])
    weights = [0.0 for word_id in range(int(attrs["num_reserved_ids"])) if word_id % num_shards == shard]
    if vocab_file:
        counts = []
        try:
            with open(vocab_file, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except OSError as e:
            raise errors.NotFoundError(None, None, f"{vocab_file}; {e.strerror or e}") from None
        for line in lines:
            if not line:
                continue
            columns = line.split(",")
            try:
                counts.append(float(columns[-1]))
            except ValueError:
                raise _invalid(f"Wrong vocabulary format at line: {line}") from None
    else:
        counts = [float(u) for u in unigrams]
    word_id = len(weights)  # TF numbers the counts from here, after this shard's reserved ids
    for count in counts:
        if word_id % num_shards == shard:
            weights.append(count ** distortion)
        word_id += 1
    return np.asarray(weights, np.float64)


def _make_fixed_unigram(op, ctx):
    attrs = op._attrs
    num_true, num_sampled = int(attrs["num_true"]), int(attrs["num_sampled"])
    unique, range_max = bool(attrs["unique"]), int(attrs["range_max"])
    cache = {}

    def probabilities():
        if "p" not in cache:  # TF's kernel loads the vocabulary once, when it is first run
            weights = _unigram_weights(attrs)
            if len(weights) != range_max:
                raise _invalid(f"range is {range_max} must be equal to weights size  {len(weights)}")
            cache["p"] = weights / weights.sum()
            cache["alias"] = range_samplers.alias_table(weights.astype(np.float32))
        return cache["p"]

    def sampler(true_classes):
        p = probabilities()
        true_classes = _checked_classes(true_classes, num_true, range_max)
        sample = range_samplers.unigram_sampler(sampler_stream(op, ctx, num_sampled), *cache["alias"])
        sampled, sampled_count, expected = _draw(sample, p, num_sampled, unique)
        return sampled, expected(true_classes), sampled_count

    return sampler


# ---- LearnedUnigramCandidateSampler ----------------------------------------------------------------
def _make_learned_unigram(op, ctx):
    attrs = op._attrs
    num_true, num_sampled = int(attrs["num_true"]), int(attrs["num_sampled"])
    unique, range_max = bool(attrs["unique"]), int(attrs["range_max"])
    key = ("learned_unigram", id(op._graph), op.name)
    weights = ctx.state.get(key)
    if weights is None:
        weights = ctx.state[key] = np.ones(range_max, np.float64)

    def sampler(true_classes):
        true_classes = _checked_classes(true_classes, num_true, range_max)
        sample = range_samplers.weighted_sampler(sampler_stream(op, ctx, num_sampled), weights)
        sampled, sampled_count, expected = _draw(sample, weights / weights.sum(), num_sampled, unique)
        true_count = expected(true_classes)
        # Then learn from this batch: each true class counts once more (TF caps a count at INT32_MAX).
        np.add.at(weights, true_classes.reshape(-1), 1.0)
        np.minimum(weights, _INT32_MAX, out=weights)
        return sampled, true_count, sampled_count

    return sampler


_OUTPUTS = ("sampled_candidates: int64", "true_expected_count: float", "sampled_expected_count: float")
_COMMON_TYPES = {"num_true": "int >= 1", "num_sampled": "int >= 1", "unique": "bool", "seed": "int", "seed2": "int"}
_COMMON = {"num_true": REQUIRED, "num_sampled": REQUIRED, "unique": REQUIRED, "seed": 0, "seed2": 0}
register(OpDef("AllCandidateSampler", infer=_infer, make_kernel=_make_all, attrs=dict(_COMMON), stateful=True,
               cpu_only=True, differentiable=False, input_names=("true_classes: int64",), output_names=_OUTPUTS,
               attr_types=dict(_COMMON_TYPES)))
register(OpDef("FixedUnigramCandidateSampler", infer=_infer, make_kernel=_make_fixed_unigram,
               attrs={**_COMMON, "range_max": REQUIRED, "vocab_file": "", "distortion": 1.0, "num_reserved_ids": 0,
                      "num_shards": 1, "shard": 0, "unigrams": ()},
               stateful=True, cpu_only=True, differentiable=False, input_names=("true_classes: int64",),
               output_names=_OUTPUTS,
               attr_types={**_COMMON_TYPES, "range_max": "int >= 1", "vocab_file": "string", "distortion": "float",
                           "num_reserved_ids": "int", "num_shards": "int >= 1", "shard": "int >= 0",
                           "unigrams": "list(float)"}))
register(OpDef("LearnedUnigramCandidateSampler", infer=_infer, make_kernel=_make_learned_unigram,
               attrs={**_COMMON, "range_max": REQUIRED}, stateful=True, cpu_only=True, differentiable=False,
               input_names=("true_classes: int64",), output_names=_OUTPUTS,
               attr_types={**_COMMON_TYPES, "range_max": "int >= 1"}))


# ---- public functions ------------------------------------------------------------------------
def _seeds(seed) -> dict:
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def _classes(true_classes) -> Tensor:
    return convert_to_tensor(true_classes, dtype=dtypes.int64, name="true_classes")


def all_candidate_sampler(true_classes, num_true, num_sampled, unique, seed=None, name=None):
    """Every class id in `[0, num_sampled)` as the sample, with expected counts of 1, as
    `tf.nn.all_candidate_sampler` (a full softmax through the sampled-loss interface).

        sampled, true_q, sampled_q = tf.nn.all_candidate_sampler(labels, 1, num_classes, True)
    """
    return tuple(apply_op("AllCandidateSampler", _classes(true_classes), name=name or "AllCandidateSampler",
                          num_true=int(num_true), num_sampled=int(num_sampled), unique=bool(unique),
                          **_seeds(seed)))


def fixed_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, vocab_file="",
                                    distortion=1.0, num_reserved_ids=0, num_shards=1, shard=0, unigrams=(),
                                    seed=None, name=None):
    """Class ids drawn in proportion to fixed counts (`unigrams`, or a CSV `vocab_file`'s last column)
    raised to `distortion`, as `tf.nn.fixed_unigram_candidate_sampler`.

        sampled, true_q, sampled_q = tf.nn.fixed_unigram_candidate_sampler(
            labels, 1, 64, True, vocab_size, unigrams=word_counts, distortion=0.75)
    """
    return tuple(apply_op("FixedUnigramCandidateSampler", _classes(true_classes),
                          name=name or "FixedUnigramCandidateSampler", num_true=int(num_true),
                          num_sampled=int(num_sampled), unique=bool(unique), range_max=int(range_max),
                          vocab_file=vocab_file, distortion=float(distortion), num_reserved_ids=int(num_reserved_ids),
                          num_shards=int(num_shards), shard=int(shard), unigrams=[float(u) for u in unigrams],
                          **_seeds(seed)))


def learned_unigram_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None,
                                      name=None):
    """Class ids drawn in proportion to how often each was a true class so far in this session
    (every count starts at 1), as `tf.nn.learned_unigram_candidate_sampler`.

        sampled, true_q, sampled_q = tf.nn.learned_unigram_candidate_sampler(labels, 1, 64, True, 10000)
    """
    return tuple(apply_op("LearnedUnigramCandidateSampler", _classes(true_classes),
                          name=name or "LearnedUnigramCandidateSampler", num_true=int(num_true),
                          num_sampled=int(num_sampled), unique=bool(unique), range_max=int(range_max),
                          **_seeds(seed)))
