"""The k-means ops TF's clustering library builds on: NearestNeighbors, KmeansPlusPlusInitialization
and KMC2ChainInitialization (TF's gen_clustering_ops, with TF's argument names).

- NearestNeighbors(points [n, d], centers [m, d], k): the indices of each point's `min(k, m)`
  nearest centers and their squared Euclidean distances, nearest first (ties: lower index).
- KmeansPlusPlusInitialization(points, num_to_sample, seed, num_retries_per_sample): k-means++
  seeding: the first center uniformly at random, each next one drawn with probability
  proportional to a point's squared distance to the nearest chosen center; with retries, the
  best of `1 + retries` draws (the one that lowers the total potential most) is kept, and a
  negative `num_retries_per_sample` means TF's heuristic `2 + floor(log(num_to_sample))`.
- KMC2ChainInitialization(distances, seed): one k-MC2 Markov chain over the candidates'
  distances: start at candidate 0, move to candidate i with probability
  `min(1, distances[i] / distances[current])`; the chain's last state is the new center.

The random draws are estflow's own (numpy's Philox seeded by `seed`): the same seed gives the
same centers in estflow, not TF's exact ones (TF's kernels use their own generator).
"""

from __future__ import annotations

import math

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _matrix(spec, what: str) -> tuple:
    dims = spec.shape.as_tuple()
    if dims is not None and len(dims) != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {len(dims)} for {what}")
    return dims or (None, None)


def _scalar(spec, what: str) -> None:
    dims = spec.shape.as_tuple()
    if dims is not None and len(dims) != 0:
        raise ValueError(f"Shape must be rank 0 but is rank {len(dims)} for {what}")


def _nearest_infer(points, centers, k):
    n, d = _matrix(points, "points")
    m, d2 = _matrix(centers, "centers")
    _scalar(k, "k")
    if d is not None and d2 is not None and d != d2:
        raise ValueError(f"Dimensions must be equal, but are {d} and {d2}")
    kk = None
    if k.value is not None:
        kk = int(k.value) if m is None else min(int(k.value), m)
    shape = TensorShape([n, kk])
    return [TensorSpec(shape, dtypes.int64), TensorSpec(shape, dtypes.float32)]


def squared_distances(xp, points, centers):
    """||p - c||^2 for every point and center, [n, m], never negative (float rounding clipped)."""
    out = (xp.sum(points * points, axis=1)[:, None] - 2.0 * (points @ centers.T)
           + xp.sum(centers * centers, axis=1)[None, :])
    return xp.maximum(out, 0.0, out=out)


def _nearest_kernel(xp, points, centers, k):
    if points.ndim != 2 or centers.ndim != 2:
        raise _invalid("points and centers must be matrices")
    if points.shape[1] != centers.shape[1]:
        raise _invalid(f"Expected points.dim_size(1) == centers.dim_size(1), got {points.shape[1]} and "
                       f"{centers.shape[1]}")
    k = int(k)
    if k < 0:
        raise _invalid(f"Expected k >= 0, got {k}")
    k = min(k, centers.shape[0])
    if points.shape[0] == 0 or k == 0:
        return (xp.zeros((points.shape[0], k), dtype=np.int64), xp.zeros((points.shape[0], k), dtype=np.float32))
    dist = squared_distances(xp, points.astype(np.float32), centers.astype(np.float32))
    if k == 1:
        idx = xp.argmin(dist, axis=1)[:, None]
    else:
        idx = xp.argsort(dist, axis=1, kind="stable")[:, :k]
    return idx.astype(np.int64), xp.take_along_axis(dist, idx, axis=1).astype(np.float32)


register(OpDef("NearestNeighbors", infer=_nearest_infer, kernel=_nearest_kernel, grad=None, differentiable=False,
               cpu_only=True,
               input_names=("points: float", "centers: float", "k: int64"),
               output_names=("nearest_center_indices: int64", "nearest_center_distances: float"), attr_types={}))


def _kmeanspp_infer(points, num_to_sample, seed, num_retries_per_sample):
    _, d = _matrix(points, "points")
    for spec, what in ((num_to_sample, "num_to_sample"), (seed, "seed"),
                       (num_retries_per_sample, "num_retries_per_sample")):
        _scalar(spec, what)
    rows = int(num_to_sample.value) if num_to_sample.value is not None else None
    return TensorSpec(TensorShape([rows, d]), dtypes.float32)


def _draw(rng, weights, total):
    """An index drawn with probability weights[i] / total (the last positive one on rounding)."""
    target = rng.random() * total
    i = int(np.searchsorted(np.cumsum(weights), target, side="right"))
    if i >= len(weights) or weights[i] <= 0:
        positive = np.flatnonzero(weights > 0)
        i = int(positive[-1]) if positive.size else len(weights) - 1
    return i


def kmeans_plus_plus(points: np.ndarray, num_to_sample: int, seed: int, retries: int) -> np.ndarray:
    """k-means++ seeding on a CPU array (the kernel's work; see the module docstring)."""
    n = points.shape[0]
    if retries < 0:
        retries = 2 + int(math.log(num_to_sample)) if num_to_sample > 0 else 2
    rng = np.random.Generator(np.random.Philox(int(seed) & (2 ** 64 - 1)))
    chosen = [int(rng.integers(n))]
    best = ((points - points[chosen[0]]) ** 2).sum(axis=1)
    while len(chosen) < num_to_sample:
        total = float(best.sum())
        if total <= 0:  # every point sits on a center already: any further point is as good as another
            candidates = [int(rng.integers(n))]
        else:
            candidates = [_draw(rng, best, total) for _ in range(1 + retries)]
        pick, pick_best, pick_potential = None, None, None
        for c in candidates:
            new_best = np.minimum(best, ((points - points[c]) ** 2).sum(axis=1))
            potential = float(new_best.sum())
            if pick is None or potential < pick_potential:
                pick, pick_best, pick_potential = c, new_best, potential
        chosen.append(pick)
        best = pick_best
    return points[chosen]


def _kmeanspp_kernel(xp, points, num_to_sample, seed, num_retries_per_sample):
    if points.ndim != 2:
        raise _invalid(f"Input points should be a matrix, got shape {list(points.shape)}")
    num = int(num_to_sample)
    if num < 0 or num > points.shape[0]:
        raise _invalid(f"Expected num_to_sample <= points.dim_size(0) ({points.shape[0]}) and >= 0, got {num}")
    if num == 0:
        return xp.zeros((0, points.shape[1]), dtype=np.float32)
    host = np.asarray(points, dtype=np.float64)  # cpu_only: a numpy array
    return xp.asarray(kmeans_plus_plus(host, num, int(seed), int(num_retries_per_sample)).astype(np.float32))


register(OpDef("KmeansPlusPlusInitialization", infer=_kmeanspp_infer, kernel=_kmeanspp_kernel, grad=None,
               differentiable=False, cpu_only=True,
               input_names=("points: float", "num_to_sample: int64", "seed: int64", "num_retries_per_sample: int64"),
               output_names=("samples: float",), attr_types={}))


def _kmc2_infer(distances, seed):
    dims = distances.shape.as_tuple()
    if dims is not None and len(dims) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(dims)} for distances")
    _scalar(seed, "seed")
    return TensorSpec(TensorShape([]), dtypes.int64)


def _kmc2_kernel(xp, distances, seed):
    if distances.ndim != 1:
        raise _invalid("distances should be a vector")
    if distances.size == 0:
        raise _invalid("distances should have at least one element")
    d = np.asarray(distances, dtype=np.float64)  # cpu_only: a numpy array
    rng = np.random.Generator(np.random.Philox(int(seed) & (2 ** 64 - 1)))
    current = 0
    for i in range(1, d.size):
        if d[current] <= 0 or rng.random() * d[current] < d[i]:
            current = i
    return np.int64(current)


register(OpDef("KMC2ChainInitialization", infer=_kmc2_infer, kernel=_kmc2_kernel, grad=None, differentiable=False,
               cpu_only=True,
               input_names=("distances: float", "seed: int64"), output_names=("index: int64",), attr_types={}))


def _float(x):
    return convert_to_tensor(x, dtype=dtypes.float32)


def _int64(x):
    return convert_to_tensor(x, dtype=dtypes.int64)


def nearest_neighbors(points, centers, k, name=None):
    """Each point's `k` nearest centers and squared distances (TF's `gen_clustering_ops.nearest_neighbors`)."""
    return apply_op("NearestNeighbors", _float(points), _float(centers), _int64(k), name=name or "NearestNeighbors")


def kmeans_plus_plus_initialization(points, num_to_sample, seed, num_retries_per_sample, name=None):
    """`num_to_sample` rows of `points` chosen by k-means++ (TF's `gen_clustering_ops`)."""
    return apply_op("KmeansPlusPlusInitialization", _float(points), _int64(num_to_sample), _int64(seed),
                    _int64(num_retries_per_sample), name=name or "KmeansPlusPlusInitialization")


def kmc2_chain_initialization(distances, seed, name=None):
    """The index chosen by one k-MC2 chain over `distances` (TF's `gen_clustering_ops`)."""
    return apply_op("KMC2ChainInitialization", _float(distances), _int64(seed), name=name or "KMC2ChainInitialization")
