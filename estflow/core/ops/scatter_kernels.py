"""Scatter updates that run on numpy and cupy alike, exact for every dtype.

numpy's `ufunc.at` accepts any ufunc and dtype; cupy's scatters are CUDA atomics and exist
only for some (cupy/_core/_routines_indexing.pyx `_scatter_op_single`): `add.at` for int32,
uint32, uint64, float16, float32, float64; `maximum.at`/`minimum.at` for int32, uint32,
uint64, float32, float64; `subtract.at` for int32 and uint32; no `multiply.at` or
`divide.at` at all. These helpers use the native scatter where the dtype allows it (the
fast route on both devices) and an exact rewrite elsewhere, chosen by dtype only, so
numpy and cupy run the same code:

- add, int64: the same bits added as uint64 (two's complement addition wraps alike);
- add, other small ints and bool: accumulated in uint32, wrapped back by the cast;
- add, complex: the real and imaginary parts as two float scatters;
- subtract: add of the negated updates (exact: IEEE and modular negation lose nothing);
- max/min, int64: an order-preserving map to uint64 (flip the sign bit);
- max/min, float16 and small ints: widened losslessly to float32/int32/uint32;
- multiply/divide: the module's `ufunc.at` where it has one (numpy), else applied in waves
  in which no row repeats, each row's updates in their order of occurrence, which is the
  order numpy's `ufunc.at` applies them in (cupy raises NotImplementedError for these).
"""

from __future__ import annotations

import math

import numpy as np

_ADD_AT = frozenset(np.dtype(t) for t in ("int32", "uint32", "uint64", "float16", "float32", "float64"))
_MINMAX_AT = frozenset(np.dtype(t) for t in ("int32", "uint32", "uint64", "float32", "float64"))
_WIDER = {np.dtype("float16"): np.dtype("float32"), np.dtype("int8"): np.dtype("int32"),
          np.dtype("int16"): np.dtype("int32"), np.dtype("uint8"): np.dtype("uint32"),
          np.dtype("uint16"): np.dtype("uint32"), np.dtype("bool"): np.dtype("uint32")}
_SIGN_BIT = np.uint64(1 << 63)
_SMALL_DISTINCT = 512  # up to this many indices a set of the Python ints tells "all distinct" fastest


_FLAT_ROWS_MIN = 64  # index entries: from here rows of several values are scattered as one flat vector
_UNSIGNED = {np.dtype(np.int64): np.dtype(np.uint64), np.dtype(np.int32): np.dtype(np.uint32)}


def add_rows_at(out, index, rows) -> None:
    """numpy's `np.add.at(out, index, rows)` for a C-contiguous `out` of rows of several values, a 1-D
    `index` all in [0, len(out)) and `rows` of shape index.shape + out.shape[1:]: as one 1-D `add.at`
    over the flat positions (numpy's fast route; on row subspaces it runs a slow generic loop). The
    same additions in the same order: flat position i * width + j lists row i's values in order, and
    a target's updates keep the order of their rows."""
    width = math.prod(out.shape[1:])
    flat = index.astype(np.intp)[:, None] * width + np.arange(width, dtype=np.intp)
    np.add.at(out.reshape(-1), flat.reshape(-1), rows.reshape(-1))


def scatter_add(xp, out, index, updates) -> None:
    """`out[index] += updates` with repeated rows accumulating (numpy's `add.at`), in place."""
    dtype = out.dtype
    if dtype in _ADD_AT:
        if (xp is np and out.ndim > 1 and index.__class__ is np.ndarray and index.ndim == 1
                and index.shape[0] >= _FLAT_ROWS_MIN and out.flags.c_contiguous and out.shape[0] < 2 ** 31
                and updates.__class__ is np.ndarray and updates.shape == index.shape + out.shape[1:]):
            unsigned = _UNSIGNED.get(index.dtype)  # a negative index read as unsigned is at least 2**31
            if unsigned is not None and int(np.maximum.reduce(index.view(unsigned))) < out.shape[0]:
                add_rows_at(out, index, updates)
                return
        xp.add.at(out, index, updates)
    elif dtype == np.int64:
        xp.add.at(out.view(np.uint64), index, xp.asarray(updates).astype(np.int64, copy=False).view(np.uint64))
    elif dtype.kind == "c":
        updates = xp.asarray(updates)
        scatter_add(xp, out.real, index, updates.real)
        scatter_add(xp, out.imag, index, updates.imag)
    else:  # int8/int16/uint8/uint16/bool: uint32 wraps modulo 2**32, the cast back modulo the width
        wide = out.astype(np.uint32)
        xp.add.at(wide, index, xp.asarray(updates).astype(np.uint32))
        out[...] = wide.astype(dtype) if dtype != np.bool_ else wide != 0


def scatter_sub(xp, out, index, updates) -> None:
    """`out[index] -= updates` with repeats accumulating (numpy's `subtract.at`), in place."""
    scatter_add(xp, out, index, -xp.asarray(updates))


def scatter_extreme(xp, out, index, updates, which: str) -> None:
    """`maximum.at`/`minimum.at` (which: "maximum" or "minimum"), in place."""
    dtype = out.dtype
    ufunc = getattr(xp, which)
    if dtype in _MINMAX_AT:
        ufunc.at(out, index, updates)
    elif dtype == np.int64:  # x ^ sign bit orders int64 values as uint64
        keys = out.view(np.uint64) ^ _SIGN_BIT
        ufunc.at(keys, index, xp.asarray(updates).astype(np.int64, copy=False).view(np.uint64) ^ _SIGN_BIT)
        out[...] = (keys ^ _SIGN_BIT).view(np.int64)
    else:
        wide_dtype = _WIDER.get(dtype)
        if wide_dtype is None:
            raise TypeError(f"{which} scatter does not support {dtype}")
        wide = out.astype(wide_dtype)
        ufunc.at(wide, index, xp.asarray(updates).astype(wide_dtype))
        out[...] = wide.astype(dtype)


def occurrence_waves(xp, indices):
    """Positions of the 1-D `indices` split so that no wave names a row twice and a row's
    k-th occurrence is in wave k; None when every index is distinct (a single wave)."""
    n = indices.shape[0]
    if n < 2:
        return None
    if xp is np and n <= _SMALL_DISTINCT and len(set(indices.tolist())) == n:
        return None  # the common case (deduplicated ids), found without the sorts below
    # (index, position) as one int64 key: distinct keys, so any sort gives the stable order
    # (cupy's argsort takes no `kind`, cupy/_sorting/sort.py).
    key = indices.astype(np.int64)
    key *= n
    key += xp.arange(n, dtype=np.int64)
    order = xp.argsort(key)
    ordered = indices[order]
    starts = xp.concatenate([xp.ones(1, dtype=bool), ordered[1:] != ordered[:-1]])
    if bool(starts.all()):
        return None
    group = xp.cumsum(starts) - 1
    first = xp.nonzero(starts)[0]
    rank = xp.empty(n, dtype=group.dtype)
    rank[order] = xp.arange(n) - first[group]
    return [xp.nonzero(rank == r)[0] for r in range(int(rank.max()) + 1)]


def scatter_ufunc(xp, out, indices, updates, name: str) -> None:
    """`getattr(xp, name).at(out, indices, updates)`, or the same in waves where the module lacks it."""
    ufunc = getattr(xp, name)
    try:
        ufunc.at(out, indices, updates)
    except NotImplementedError:  # cupy: "`multiply.at` is not supported yet" (cupy/_core/_kernel.pyx)
        scatter_apply(xp, out, indices, updates, ufunc)


def scatter_apply(xp, out, indices, updates, combine) -> None:
    """`out[i] = combine(out[i], u)` for each (index i, update row u), repeats in order, in place.

    `indices` is an integer array of any shape and `updates` has shape
    `indices.shape + out.shape[1:]`; used for the ops cupy has no scatter for (multiply, divide).
    """
    flat = indices.reshape(-1)
    rows = updates.reshape((flat.shape[0],) + out.shape[1:])
    waves = occurrence_waves(xp, flat)
    if waves is None:
        out[flat] = combine(out[flat], rows)
        return
    for wave in waves:
        at = flat[wave]
        out[at] = combine(out[at], rows[wave])
