"""EditDistance: the Levenshtein distance between the sequences of two SparseTensors (`tf.edit_distance`).

Each sparse tensor's last dimension indexes a sequence; the leading dimensions name it. The
output has the leading dimensions of the larger of the two dense shapes; each entry is the
distance between the hypothesis and truth sequences at that position (insertions, deletions
and substitutions cost 1), divided by the truth's length when `normalize` is set (inf for a
hypothesis against an empty truth, 1 for an empty hypothesis, 0 where both are empty).
"""

from __future__ import annotations

from estflow.core import dtypes, errors
from estflow.core.registry import OpDef, TensorSpec, register


def _infer(hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices, truth_values, truth_shape, *,
           normalize):
    if hypothesis_values.dtype != truth_values.dtype:
        raise TypeError(f"Input 'truth_values' of 'EditDistance' Op has type {truth_values.dtype.name} that does not "
                        f"match type {hypothesis_values.dtype.name} of argument 'hypothesis_values'.")
    ranks = []
    for name, shape in (("hypothesis_shape", hypothesis_shape), ("truth_shape", truth_shape)):
        if shape.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {shape.shape.ndims} ({name})")
        ranks.append(shape.shape.as_tuple()[0] if shape.shape.ndims == 1 else None)
    if None not in ranks and ranks[0] != ranks[1]:
        raise ValueError(f"Dimensions {ranks[0]} and {ranks[1]} are not compatible")
    if hypothesis_shape.value is not None and truth_shape.value is not None:
        dims = [max(int(a), int(b)) for a, b in zip(hypothesis_shape.value[:-1], truth_shape.value[:-1], strict=True)]
        return TensorSpec(dims, dtypes.float32)
    rank = next((r for r in ranks if r is not None), None)
    return TensorSpec(None if rank is None else [None] * (rank - 1), dtypes.float32)


def _groups(indices, values, shape, which):
    rank = len(shape)
    if indices.ndim != 2 or indices.shape[1] != rank:
        raise errors.InvalidArgumentError(None, None, f"{which}_indices should be a matrix whose second dimension "
                                                      f"is the rank of {which}_shape ({rank}), got shape "
                                                      f"{list(indices.shape)}")
    if rank < 2:
        raise errors.InvalidArgumentError(None, None, f"{which}_shape must have at least 2 dimensions (a batch of "
                                                      f"sequences), got {rank}")
    groups: dict = {}
    for row, value in zip(indices.tolist(), values.tolist(), strict=True):
        for d, (i, n) in enumerate(zip(row, shape, strict=True)):
            if not 0 <= i < n:
                raise errors.InvalidArgumentError(None, None, f"{which} index {row} is out of bounds of the shape "
                                                              f"{shape} (dimension {d})")
        groups.setdefault(tuple(row[:-1]), []).append((row[-1], value))
    return {k: [v for _, v in sorted(items, key=lambda p: p[0])] for k, items in groups.items()}


def _levenshtein(a, b) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def _kernel(xp, hypothesis_indices, hypothesis_values, hypothesis_shape, truth_indices, truth_values, truth_shape,
            *, normalize):
    hyp_shape = [int(n) for n in hypothesis_shape.tolist()]
    truth_dims = [int(n) for n in truth_shape.tolist()]
    if len(hyp_shape) != len(truth_dims):
        raise errors.InvalidArgumentError(None, None, f"hypothesis and truth have different ranks: "
                                                      f"{len(hyp_shape)} vs. {len(truth_dims)}")
    hypotheses = _groups(hypothesis_indices, hypothesis_values, hyp_shape, "hypothesis")
    truths = _groups(truth_indices, truth_values, truth_dims, "truth")
    out_shape = [max(a, b) for a, b in zip(hyp_shape[:-1], truth_dims[:-1], strict=True)]
    out = xp.zeros(out_shape, dtype=xp.float32)
    for key in set(hypotheses) | set(truths):
        hyp, truth = hypotheses.get(key, []), truths.get(key, [])
        distance = float(_levenshtein(hyp, truth))
        if normalize:
            distance = distance / len(truth) if truth else float("inf")
        out[key] = distance
    return out


register(OpDef(
    "EditDistance", infer=_infer, kernel=_kernel, differentiable=False, cpu_only=True,
    attrs={"normalize": True}, same_dtype=(1, 4),
    input_names=("hypothesis_indices: int64", "hypothesis_values: T", "hypothesis_shape: int64",
                 "truth_indices: int64", "truth_values: T", "truth_shape: int64"),
    output_names=("output: float",), attr_types={"normalize": "bool", "T": "type"},
))
