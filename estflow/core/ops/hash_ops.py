"""Hashing ops as TensorFlow computes them: string hash buckets and sparse feature crosses.

    StringToHashBucketFast(input)          Fingerprint64(s) % num_buckets     (tf.strings.to_hash_bucket_fast)
    StringToHashBucketStrong(input)        SipHash-2-4(key, s) % num_buckets  (tf.strings.to_hash_bucket_strong)
    StringToHashBucket(string_tensor)      legacy Hash64(s) % num_buckets     (tf.string_to_hash_bucket)
    SparseCross(indices, values, shapes, dense_inputs)   crosses as strings "a_X_b" or hashed ids
                                           (tf.sparse.cross_hashed; crossed_column's op)
    SparseCrossV2(..., sep)                string crosses with a separator    (tf.sparse.cross)
    SparseCrossHashed(..., num_buckets, strong_hash, salt)   TF's second hashed cross (raw op)

A cross takes the SparseTensor inputs first, then the dense ones, and emits for each row the
cartesian product of the row's values, the last input varying fastest. SparseCross hashes a
product by folding each value into `hash_key` with FingerprintCat64 (strings fingerprinted,
int64 values used as they are); the bucket is that % num_buckets (% (2**63 - 1) when 0).
The index arithmetic and the folding run over all crosses of the batch at once in numpy
uint64; each input value is hashed once, however many crosses it joins.

The ops work on strings and data-dependent sizes, so they run on the CPU (`cpu_only`), and
nothing flows back through a hash (`differentiable=False`).
"""

from __future__ import annotations

import itertools

import numpy as np

from estflow.core import dtypes, errors, hashing, row_rules
from estflow.core.graph import Tensor
from estflow.core.ops.array_ops import expander
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, Fusion, OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue

DEFAULT_HASH_KEY = 0xDECAFCAFFE  # TF's _DEFAULT_HASH_KEY for crosses
_INT64_MAX = np.uint64(2**63 - 1)


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _check_string(spec: TensorSpec, param: str) -> None:
    if spec.dtype != dtypes.string:
        raise TypeError(f"Input '{param}' expected type string, got {spec.dtype.name}. Hash numbers by converting "
                        "them first, e.g. with tf.as_string.")


def _signed64(value: int) -> int:
    """A uint64 (a hash key) as the int64 attr TF stores: values >= 2**63 as their two's complement."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _buckets(hashes: np.ndarray, num_buckets: int, shape) -> np.ndarray:
    return (hashes % np.uint64(num_buckets)).astype(np.int64).reshape(shape)


# ---- StringToHashBucketFast / Strong / legacy ----------------------------------------------
def _hash_bucket_infer(param: str):
    def infer(x, *, num_buckets, **_):
        _check_string(x, param)
        if num_buckets < 1:
            raise ValueError(f"Value for attr 'num_buckets' of {num_buckets} must be at least minimum 1")
        return TensorSpec(x.shape, dtypes.int64)

    return infer


_BUCKET_MEMO_LIMIT = 1 << 14  # strings remembered per bucket count
_BUCKET_MEMOS = 16  # bucket counts remembered: at most 16 x 16k entries in all
_bucket_memos: dict = {}  # num_buckets -> {string: its Fingerprint64 % num_buckets}


def _fast_kernel(xp, x, num_buckets):
    """Fingerprint64 % num_buckets of each string. Strings seen before take their bucket from a memo
    (one dict lookup each, no hashing or modulo); a batch with new strings is hashed whole and its
    strings join the memo while it has room."""
    strings = x.ravel().tolist()
    memo = _bucket_memos.get(num_buckets)
    if memo is None:
        if len(_bucket_memos) >= _BUCKET_MEMOS:
            _bucket_memos.clear()
        memo = _bucket_memos[num_buckets] = {}
    else:
        try:
            out = np.fromiter(map(memo.__getitem__, strings), dtype=np.int64, count=len(strings))
            return out if x.ndim == 1 else out.reshape(x.shape)
        except KeyError:
            pass
    out = _buckets(hashing.fingerprint64(strings), num_buckets, x.shape)
    if len(memo) + len(strings) <= _BUCKET_MEMO_LIMIT:
        memo.update(zip(strings, out.ravel().tolist()))
    return out


def _strong_kernel(xp, x, num_buckets, key):
    if len(key) != 2:
        raise _invalid("Key must have 2 elements")
    return _buckets(hashing.siphash24(x.reshape(-1).tolist(), tuple(key)), num_buckets, x.shape)


def _legacy_kernel(xp, x, num_buckets):
    return _buckets(hashing.legacy_hash64(x.reshape(-1).tolist()), num_buckets, x.shape)


register(OpDef("StringToHashBucketFast", infer=_hash_bucket_infer("input"), kernel=_fast_kernel,
               attrs={"num_buckets": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("input: string",), output_names=("output: int64",),
               attr_types={"num_buckets": "int >= 1"}, row_wise=row_rules.elementwise))
register(OpDef("StringToHashBucketStrong", infer=_hash_bucket_infer("input"), kernel=_strong_kernel,
               attrs={"num_buckets": REQUIRED, "key": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("input: string",), output_names=("output: int64",),
               attr_types={"num_buckets": "int >= 1", "key": "list(int)"}, row_wise=row_rules.elementwise))
register(OpDef("StringToHashBucket", infer=_hash_bucket_infer("string_tensor"), kernel=_legacy_kernel,
               attrs={"num_buckets": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("string_tensor: string",), output_names=("output: int64",),
               attr_types={"num_buckets": "int >= 1"}, row_wise=row_rules.elementwise))


def _strings(x, name: str) -> Tensor:
    t = convert_to_tensor(x, name=name)
    if t.dtype != dtypes.string:
        raise TypeError(f"Input '{name}' of a hash bucket op must be a string tensor, got {t.dtype.name}. "
                        "Convert numbers with tf.as_string first (a hash bucket column hashes an integer's "
                        "decimal text).")
    return t


def string_to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 - TF's argument name
    """Each string's FarmHash Fingerprint64 modulo `num_buckets`, as `tf.string_to_hash_bucket_fast`.

    The ids equal TensorFlow's for the same bytes (categorical_column_with_hash_bucket uses them).

        tf.strings.to_hash_bucket_fast(["a", "b"], 10)   # [9, 2]
    """
    return apply_op("StringToHashBucketFast", _strings(input, "input"), name=name or "StringToHashBucketFast",
                    num_buckets=int(num_buckets))


def to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 - TF's argument name
    """`tf.strings.to_hash_bucket_fast`: as `string_to_hash_bucket_fast`."""
    return string_to_hash_bucket_fast(input, num_buckets, name=name)


def string_to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002 - TF's argument name
    """Each string's SipHash-2-4 under `key` (two uint64s) modulo `num_buckets`, as
    `tf.string_to_hash_bucket_strong`: slower than the fast hash, but ids an adversary cannot
    steer without the key.

        tf.strings.to_hash_bucket_strong(["a"], 10, key=[1, 2])
    """
    key = [_signed64(int(k)) for k in key]
    return apply_op("StringToHashBucketStrong", _strings(input, "input"), name=name or "StringToHashBucketStrong",
                    num_buckets=int(num_buckets), key=key)


def to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002 - TF's argument name
    """`tf.strings.to_hash_bucket_strong`: as `string_to_hash_bucket_strong`."""
    return string_to_hash_bucket_strong(input, num_buckets, key, name=name)


def string_to_hash_bucket(string_tensor=None, num_buckets=None, name=None, input=None):  # noqa: A002
    """Each string's legacy TF Hash64 modulo `num_buckets`, as TF1's `tf.string_to_hash_bucket`
    (`input` is the newer name of `string_tensor`). Prefer `string_to_hash_bucket_fast`."""
    if input is not None:
        if string_tensor is not None:
            raise ValueError("Cannot specify both 'input' and 'string_tensor'.")
        string_tensor = input
    if string_tensor is None or num_buckets is None:
        raise TypeError("string_to_hash_bucket() needs the strings (`string_tensor` or `input`) and `num_buckets`.")
    return apply_op("StringToHashBucket", _strings(string_tensor, "string_tensor"),
                    name=name or "StringToHashBucket", num_buckets=int(num_buckets))


def to_hash_bucket(input=None, num_buckets=None, name=None, string_tensor=None):  # noqa: A002
    """`tf.strings.to_hash_bucket`: as `string_to_hash_bucket`."""
    return string_to_hash_bucket(string_tensor=string_tensor, num_buckets=num_buckets, name=name, input=input)


# ---- sparse crosses: the shared engine ---------------------------------------------------
class _Column:
    """One cross input, row by row: values[starts[b]:starts[b] + counts[b]] are row b's values. A
    dense input has `width` values in every row (its counts and starts are made only when needed)."""

    __slots__ = ("values", "counts", "starts", "dense", "width")

    def __init__(self, values, counts=None, starts=None, width: int = -1):
        self.values, self.counts, self.starts, self.width = values, counts, starts, width
        self.dense = width >= 0

    def rows(self, batch: int) -> tuple[np.ndarray, np.ndarray]:
        if self.counts is None:
            self.counts = np.full(batch, self.width, dtype=np.int64)
            self.starts = np.arange(batch, dtype=np.int64) * self.width
        return self.counts, self.starts


def _validate(indices, values, shapes, dense, internal_type) -> int:
    """TF's ValidateInput for the cross kernels; returns the batch size."""
    for i, x in enumerate(indices):
        if x.ndim != 2:
            raise _invalid(f"Input indices should be a matrix but received shape {_dims(x.shape)} at position {i}")
        if x.shape[1] != 2:
            raise _invalid(f"Expected D2 of index to be 2 got {x.shape[1]} at position {i}")
    for i, x in enumerate(values):
        if internal_type == dtypes.string and x.dtype != object:
            raise _invalid("Input values should be of internal type string but received int64")
        if x.ndim != 1:
            raise _invalid(f"Input values should be a vector but received shape {_dims(x.shape)} at position {i}")
        if indices[i].shape[0] != x.shape[0]:
            raise _invalid(f"Expected size of values to be {indices[i].shape[0]} got {x.shape[0]} at position {i}")
    for i, x in enumerate(shapes):
        if x.ndim != 1:
            raise _invalid(f"Input shapes should be a vector but received shape {_dims(x.shape)} at position {i}")
        if x.shape[0] != 2:
            raise _invalid(f"shape should imply a 2D tensor, but got {_dims(x.shape)} at position {i}")
    for i, x in enumerate(dense):
        if internal_type == dtypes.string and x.dtype != object:
            raise _invalid("Dense inputs should be of internal type string but received int64")
        if x.ndim != 2:
            raise _invalid(f"Dense inputs should be a matrix but received shape {_dims(x.shape)} at position {i}")
    batch = int(shapes[0][0]) if shapes else (dense[0].shape[0] if dense else 0)
    for i, x in enumerate(shapes):
        if int(x[0]) != batch:
            raise _invalid(f"Expected batch size {batch} got {int(x[0])} at position {i}")
    for i, x in enumerate(dense):
        if x.shape[0] != batch:
            raise _invalid(f"Expected batch size {batch} got {x.shape[0]} at dense tensor {i}")
    return batch


def _sparse_rows(rows: np.ndarray, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """(counts, starts) of each batch row, read as TF's ExtractFeatureData does: row b takes the
    run of entries whose first index is b, continuing where row b - 1 stopped."""
    n = rows.shape[0]
    if n == 0 or (bool((rows[1:] >= rows[:-1]).all()) and int(rows[0]) >= 0 and int(rows[-1]) < batch):
        counts = np.bincount(rows, minlength=batch)[:batch].astype(np.int64)
        return counts, np.cumsum(counts) - counts
    counts, starts, position = np.zeros(batch, np.int64), np.zeros(batch, np.int64), 0
    listed = rows.tolist()
    for b in range(batch):  # unsorted indices: TF's scan, entry by entry
        starts[b] = position
        while position < n and listed[position] == b:
            position += 1
        counts[b] = position - starts[b]
    return counts, starts


def _columns(indices, values, shapes, dense, batch: int) -> list[_Column]:
    cols = [_Column(vals, *_sparse_rows(idx[:, 0], batch)) for idx, vals in zip(indices, values, strict=True)]
    return cols + [_Column(x.reshape(-1), width=x.shape[1]) for x in dense]


def _dense_product(cols: list[_Column], batch: int):
    """`_product` when every input is dense: the same crosses in every row, laid out by broadcasting."""
    widths = [c.width for c in cols]
    per_row = int(np.prod(widths, dtype=np.int64))
    shape = np.array([batch, per_row if batch else 0], dtype=np.int64)
    if per_row == 1:  # one value per input and row (crossed_column of [n, 1] features): row i is cross i
        indices = np.zeros((batch, 2), dtype=np.int64)
        indices[:, 0] = np.arange(batch, dtype=np.int64)
        return indices, shape, [slice(None)] * len(cols)
    rows = np.repeat(np.arange(batch, dtype=np.int64), per_row)
    local = np.tile(np.arange(per_row, dtype=np.int64), batch)
    digits = np.indices(widths, dtype=np.int64).reshape(len(cols), per_row)  # the last input fastest
    positions = [rows * w + np.tile(d, batch) for w, d in zip(widths, digits, strict=True)]
    return np.stack([rows, local], axis=1), shape, positions


def _product(cols: list[_Column], batch: int):
    """(output indices, output shape, per column the value position of every cross, an index array or
    a slice): each row's cartesian product in order, the last column varying fastest."""
    if not cols:
        return np.zeros((0, 2), np.int64), np.array([batch, 0], np.int64), []
    if all(c.dense for c in cols):
        return _dense_product(cols, batch)
    per_row = np.ones(batch, dtype=np.int64)
    for c in cols:
        per_row *= c.rows(batch)[0]
    total = int(per_row.sum())
    rows = np.repeat(np.arange(batch, dtype=np.int64), per_row)
    local = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    positions: list = [None] * len(cols)
    rest = local.copy()
    for i in range(len(cols) - 1, -1, -1):
        counts, starts = cols[i].rows(batch)
        counts = counts[rows]
        positions[i] = starts[rows] + rest % counts
        rest //= counts
    shape = np.array([batch, int(per_row.max()) if batch else 0], dtype=np.int64)
    return np.stack([rows, local], axis=1), shape, positions


def _cross_inputs(inputs, N):  # noqa: N803 - TF's attr name
    indices, values, shapes = list(inputs[:N]), list(inputs[N:2 * N]), list(inputs[2 * N:3 * N])
    return indices, values, shapes, list(inputs[3 * N:])


def _as_text(values: np.ndarray) -> np.ndarray:
    """String values as they are, int64 values as their decimal text (TF's std::to_string)."""
    if values.dtype == object:
        return values
    out = np.empty(values.shape, dtype=object)
    out[:] = [str(v).encode() for v in values.tolist()]
    return out


def _string_crosses(cols, positions, separator: bytes) -> np.ndarray:
    parts = [_as_text(c.values)[p].tolist() for c, p in zip(cols, positions, strict=True)]
    out = np.empty(len(parts[0]) if parts else 0, dtype=object)
    out[:] = [separator.join(p) for p in zip(*parts, strict=True)]
    return out


def _fold(h: np.ndarray, features: list[np.ndarray], num_buckets: int) -> np.ndarray:
    for f in features:
        h = hashing.fingerprint_cat64(h, f)
    return (h % (np.uint64(num_buckets) if num_buckets > 0 else _INT64_MAX)).astype(np.int64)


def _fingerprints(values: np.ndarray) -> np.ndarray:
    """SparseCross's 64-bit feature of each value: strings fingerprinted, int64 values as they are."""
    if values.dtype == object:
        return hashing.fingerprint64(values.tolist())
    return values.astype(np.int64, copy=False).view(np.uint64)


_row_indices: dict = {}  # batch size -> [[0, 0], [1, 0], ...] of a one-per-row cross (copied out)
_SMALL_BATCH = 256  # rows: up to here a cross is looked up per row in a memo (numpy calls cost more than rows)
_FOLD_ONE_BY_ONE = 8  # new crosses in a batch: up to here folded in Python ints, one by one
_prefix_folds: dict = {}  # hash key -> {a row's values but the last: their fold} (Python folds)
_NOT_FOUND = itertools.repeat(-1)  # what the memo's get gives for a cross it lacks
_CROSS_MEMO_LIMIT = 1 << 14  # remembered crosses per (hash_key, num_buckets)
_cross_memos: dict = {}  # (hash_key, num_buckets) -> {row's values: bucket}


def _folded_ids(dense: list, hash_key: int, num_buckets: int) -> np.ndarray:
    h = hash_key & ((1 << 64) - 1)
    for x in dense:
        h = hashing.fingerprint_cat64(h, _fingerprints(x.reshape(-1)))
    modulus = np.uint64(num_buckets) if num_buckets > 0 else _INT64_MAX
    return (h % modulus).astype(np.int64)


_M = 0xC6A4A7935BD1E995  # FingerprintCat64's multiplier
_MASK = (1 << 64) - 1


def _cat64(fp1: int, fp2: int) -> int:
    """FingerprintCat64 of two Python ints (`hashing.fingerprint_cat64`'s arithmetic, one pair)."""
    x = (fp2 * _M) & _MASK
    x = ((x ^ (x >> 47)) * _M) & _MASK
    x = ((x ^ fp1 ^ _M) * _M) & _MASK
    x = ((x ^ (x >> 47)) * _M) & _MASK
    return x ^ (x >> 47)


def _fold_rows(keys: list, texts: list, hash_key: int, num_buckets: int) -> list:
    """`_folded_ids` of a few rows' values (tuples, one value per input; `texts[j]` tells whether
    input j's values are strings) in Python ints: fewer calls than numpy's for a handful of rows.
    The fold of a row's values but the last is remembered (new crosses mostly extend known ones)."""
    modulus = num_buckets if num_buckets > 0 else (1 << 63) - 1
    start = hash_key & _MASK
    prefixes = _prefix_folds.get(start)
    if prefixes is None or len(prefixes) >= _CROSS_MEMO_LIMIT:
        if len(_prefix_folds) >= 16:
            _prefix_folds.clear()
        prefixes = _prefix_folds[start] = {}
    out = []
    for key in keys:
        prefix = key[:-1]
        h = prefixes.get(prefix)
        if h is None:
            h = start
            for value, text in zip(prefix, texts, strict=False):
                h = _cat64(h, hashing.fingerprint64_of(value) if text else value & _MASK)
            prefixes[prefix] = h
        value = key[-1]
        out.append(_cat64(h, hashing.fingerprint64_of(value) if texts[-1] else value & _MASK) % modulus)
    return out


def _memo_ids(dense: list, batch: int, hash_key: int, num_buckets: int) -> np.ndarray:
    """`_folded_ids` through a memo of each row's values: a small batch of values seen before costs
    one dict lookup per row instead of a dozen numpy calls per input. The values are the memo's
    keys as they are (bytes or int), so the ids are exactly those the folding gives. A row the memo
    lacks reads as -1 (a bucket is never negative); only those rows are folded, a few one by one in
    Python ints, more with numpy, and join the memo while it has room."""
    memo = _cross_memos.get((hash_key, num_buckets))
    if memo is None:
        if len(_cross_memos) >= 64:
            _cross_memos.clear()
        memo = _cross_memos[(hash_key, num_buckets)] = {}
    columns = [x.reshape(-1).tolist() for x in dense]
    ids = np.fromiter(map(memo.get, zip(*columns), _NOT_FOUND), dtype=np.int64, count=batch)
    if not batch or ids.item(ids.argmin()) >= 0:
        return ids
    missing = (ids < 0).nonzero()[0]
    rows = missing.tolist()
    keys = list(zip(*[[c[i] for i in rows] for c in columns]))
    if len(rows) <= _FOLD_ONE_BY_ONE:
        new_ids = _fold_rows(keys, [x.dtype.kind == "O" for x in dense], hash_key, num_buckets)
        for i, v in zip(rows, new_ids, strict=True):
            ids[i] = v
    else:
        folded = _folded_ids([x.reshape(-1)[missing] for x in dense], hash_key, num_buckets)
        ids[missing] = folded
        new_ids = folded.tolist()
    if len(memo) + len(rows) <= _CROSS_MEMO_LIMIT:
        memo.update(zip(keys, new_ids))
    return ids


def _one_per_row_cross(dense: list, batch: int, hash_key: int, num_buckets: int):
    """SparseCross of dense [batch, 1] inputs (crossed_column over single-valued features): cross i
    is row i's values folded in order, the whole batch at once (the usual feature-column case)."""
    if batch <= _SMALL_BATCH:
        ids = _memo_ids(dense, batch, hash_key, num_buckets)
    else:
        ids = _folded_ids(dense, hash_key, num_buckets)
    out_indices = _row_indices.get(batch)
    if out_indices is None:
        out_indices = np.zeros((batch, 2), dtype=np.int64)
        out_indices[:, 0] = np.arange(batch, dtype=np.int64)
        if len(_row_indices) >= 16:
            _row_indices.clear()
        _row_indices[batch] = out_indices
    return out_indices.copy(), ids, np.array([batch, 1 if batch else 0], dtype=np.int64)  # a fetch may be written


def _sparse_cross_kernel(xp, *inputs, N, hashed_output, num_buckets, hash_key, sparse_types,  # noqa: N803
                         dense_types, out_type, internal_type):
    indices, values, shapes, dense = _cross_inputs(inputs, N)
    batch = _validate(indices, values, shapes, dense, internal_type)
    if not N and dense and out_type != dtypes.string and all(x.shape[1] == 1 for x in dense):
        return _one_per_row_cross(dense, batch, int(hash_key), int(num_buckets))
    cols = _columns(indices, values, shapes, dense, batch)
    out_indices, out_shape, positions = _product(cols, batch)
    if out_type == dtypes.string:  # TF picks the kernel by out_type; `hashed_output` only documents it
        return out_indices, _string_crosses(cols, positions, b"_X_"), out_shape
    start = np.full(out_indices.shape[0], int(hash_key) & ((1 << 64) - 1), dtype=np.uint64)
    features = [_fingerprints(c.values)[p] for c, p in zip(cols, positions, strict=True)]
    return out_indices, _fold(start, features, int(num_buckets)), out_shape


def _sparse_cross_v2_kernel(xp, *inputs, N, sparse_types, dense_types):  # noqa: N803 - TF's attr names
    *inputs, sep = inputs
    indices, values, shapes, dense = _cross_inputs(inputs, N)
    batch = _validate(indices, values, shapes, dense, None)
    if sep.ndim != 0:
        raise _invalid(f"Input separator should be a scalar. Received: {sep!r}")
    cols = _columns(indices, values, shapes, dense, batch)
    out_indices, out_shape, positions = _product(cols, batch)
    return out_indices, _string_crosses(cols, positions, sep.item()), out_shape


def _keyed_features(col: _Column, strong: bool, key: tuple[int, int]) -> np.ndarray:
    """SparseCrossHashed's 64-bit feature of each value of `col`.

    TF's keyed columns hash an int64 value's bytes with a length of sizeof(DataType) (4): only
    its low 4 bytes count, except for a dense int64 input under the fast hash, used as it is.
    """
    if col.values.dtype == object:
        strings = col.values.tolist()
        return hashing.siphash24(strings, key) if strong else hashing.fingerprint64(strings)
    ints = col.values.astype(np.int64, copy=False)
    if col.dense and not strong:
        return ints.view(np.uint64)
    low_bytes = [v.to_bytes(8, "little", signed=True)[:4] for v in ints.tolist()]
    return hashing.siphash24(low_bytes, key) if strong else hashing.fingerprint64(low_bytes)


def _sparse_cross_hashed_kernel(xp, *inputs, N, sparse_types, dense_types):  # noqa: N803 - TF's attr names
    *inputs, num_buckets, strong_hash, salt = inputs
    indices, values, shapes, dense = _cross_inputs(inputs, N)
    batch = _validate(indices, values, shapes, dense, None)
    salt = salt.reshape(-1)
    if salt.shape[0] != 2:
        raise _invalid(f'Input "salt" must have length 2 but has length {salt.shape[0]}')
    key = (int(salt[0]), int(salt[1]))
    cols = _columns(indices, values, shapes, dense, batch)
    out_indices, out_shape, positions = _product(cols, batch)
    strong = bool(strong_hash.reshape(-1)[0])
    features = [_keyed_features(c, strong, key)[p] for c, p in zip(cols, positions, strict=True)]
    if not features:
        return out_indices, np.zeros(0, np.int64), out_shape
    return out_indices, _fold(features[0], features[1:], int(num_buckets.reshape(-1)[0])), out_shape


def _cross_infer(out_dtype, n_scalars: int = 0):
    def infer(*inputs, N, sparse_types, dense_types, **attrs):  # noqa: N803 - TF's attr names
        parts = inputs[:len(inputs) - n_scalars]
        for spec in parts[N:2 * N] + parts[3 * N:]:
            if spec.dtype not in (dtypes.int64, dtypes.string):
                raise TypeError(f"Cross inputs must be int64 or string, got {spec.dtype.name}; cast integers to "
                                "int64 first.")
        dtype = out_dtype if out_dtype is not None else attrs["out_type"]
        return [TensorSpec([None, 2], dtypes.int64), TensorSpec([None], dtype), TensorSpec([2], dtypes.int64)]

    return infer


_CROSS_ARGS = ("indices: N * int64", "values: sparse_types", "shapes: N * int64", "dense_inputs: dense_types")
_CROSS_OUT = ("output_indices: int64", "output_values: {}", "output_shape: int64")
_CROSS_LISTS = {"N": "int >= 0", "sparse_types": "list(type) >= 0", "dense_types": "list(type) >= 0"}
_CROSS_ATTRS = {"N": REQUIRED, "sparse_types": REQUIRED, "dense_types": REQUIRED}

def _fuse_expanded_dense(op):
    """SparseCross of dense inputs made by ExpandDims(x, constant) (crossed_column's rank-1 features)
    as one step: the step reshapes each x as ExpandDims does and runs the cross's kernel. An
    ExpandDims shared by several such crosses is skipped by all of them (a reshape is a view: each
    makes its own), one with any other reader, or a control input, stays a step of its own."""
    if op._attrs["N"] != 0:
        return None
    inputs, expands, skipped, columns = [], [], [], []
    for t in op._inputs:
        src = t._op
        dim = src._inputs[1]._const_value if src._type == "ExpandDims" else None
        if dim is None or src._control_inputs or any(c._type != "SparseCross" or c._attrs["N"] != 0
                                                     for c in t._consumers):
            inputs.append(t)
            expands.append(None)
            columns.append(False)
        else:
            inputs.append(src._inputs[0])
            expands.append(expander(dim))
            skipped.append(t)
            dims = np.asarray(dim).reshape(-1).tolist()
            columns.append(dims in ([1], [-1]))  # a vector made a [n, 1] column
    if not skipped:
        return None
    attrs = dict(op._attrs)
    hashed = attrs["out_type"] != dtypes.string
    strings = attrs["internal_type"] == dtypes.string
    hash_key, num_buckets = int(attrs["hash_key"]), int(attrs["num_buckets"])

    def kernel(xp, *arrays):
        if hashed:  # what _validate accepts and the kernel sends to _one_per_row_cross, checked at once
            batch = -1
            for a, e, column in zip(arrays, expands, columns, strict=True):
                # a vector expanded to a column, or an input that is one: its values row by row either way
                if not (a.ndim == 1 if column else e is None and a.ndim == 2 and a.shape[1] == 1):
                    break
                if batch < 0:
                    batch = a.shape[0]
                if a.shape[0] != batch or strings and a.dtype != object:
                    break
            else:
                return _one_per_row_cross(list(arrays), batch, hash_key, num_buckets)
        parts = [a if e is None else e(xp, a) for a, e in zip(arrays, expands, strict=True)]
        return _sparse_cross_kernel(xp, *parts, **attrs)

    return Fusion(tuple(inputs), kernel, tuple(skipped))


register(OpDef(
    "SparseCross", infer=_cross_infer(None), kernel=_sparse_cross_kernel,
    attrs={**_CROSS_ATTRS, "hashed_output": REQUIRED, "num_buckets": REQUIRED, "hash_key": REQUIRED,
           "out_type": REQUIRED, "internal_type": REQUIRED},
    cpu_only=True, differentiable=False, broadcasts=False, fuse=_fuse_expanded_dense,
    input_names=_CROSS_ARGS, output_names=(_CROSS_OUT[0], _CROSS_OUT[1].format("out_type"), _CROSS_OUT[2]),
    attr_types={**_CROSS_LISTS, "hashed_output": "bool", "num_buckets": "int >= 0", "hash_key": "int",
                "out_type": "type", "internal_type": "type"},
))
register(OpDef(
    "SparseCrossV2", infer=_cross_infer(dtypes.string, 1), kernel=_sparse_cross_v2_kernel, attrs=dict(_CROSS_ATTRS),
    cpu_only=True, differentiable=False, broadcasts=False,
    input_names=(*_CROSS_ARGS, "sep: string"),
    output_names=(_CROSS_OUT[0], _CROSS_OUT[1].format("string"), _CROSS_OUT[2]), attr_types=dict(_CROSS_LISTS),
))
register(OpDef(
    "SparseCrossHashed", infer=_cross_infer(dtypes.int64, 3), kernel=_sparse_cross_hashed_kernel,
    attrs=dict(_CROSS_ATTRS), cpu_only=True, differentiable=False, broadcasts=False,
    input_names=(*_CROSS_ARGS, "num_buckets: int64", "strong_hash: bool", "salt: int64"),
    output_names=(_CROSS_OUT[0], _CROSS_OUT[1].format("int64"), _CROSS_OUT[2]), attr_types=dict(_CROSS_LISTS),
))


# ---- the Python functions ------------------------------------------------------------------
def _cross_parts(inputs, cast_ints: bool = True):
    """(sparse parts, dense tensors) of a cross's inputs: SparseTensors first, each group in the
    order given; non-string values cast to int64 (as TF's _sparse_cross_internal does)."""
    if not isinstance(inputs, (tuple, list)):
        raise TypeError("Inputs must be a list")
    sparse, dense = [], []
    for x in inputs:
        if isinstance(x, SparseTensorValue):
            x = SparseTensor.from_value(x)
        if isinstance(x, SparseTensor):
            sparse.append(x)
        elif isinstance(x, Tensor):
            dense.append(x)
        else:
            raise TypeError(f"All inputs must be Tensor or SparseTensor, got {type(x).__name__}; wrap Python values "
                            "with tf.constant.")
    values = [sp.values if sp.values.dtype == dtypes.string else cast(sp.values, dtypes.int64) for sp in sparse]
    dense = [d if d.dtype == dtypes.string else cast(d, dtypes.int64) for d in dense]
    return sparse, values, dense


def _cross_op(op_type: str, sparse, values, dense, *extra, name, **attrs) -> SparseTensor:
    flat = [sp.indices for sp in sparse] + values + [sp.dense_shape for sp in sparse] + dense + list(extra)
    indices, out_values, shape = apply_op(
        op_type, *flat, name=name or op_type, N=len(sparse), sparse_types=[v.dtype for v in values],
        dense_types=[d.dtype for d in dense], **attrs)
    return SparseTensor(indices, out_values, shape)


def sparse_cross_hashed(inputs, num_buckets=0, hash_key=None, name=None) -> SparseTensor:
    """Hashed crosses of sparse and dense 2-D inputs, as `tf.sparse.cross_hashed` (the op
    `crossed_column` uses): for each row, every combination of its values, folded with
    FingerprintCat64 from `hash_key` (default 0xDECAFCAFFE) and taken % `num_buckets`.

        tf.sparse.cross_hashed([tf.constant([["a"], ["b"]]), tf.constant([["x"], ["y"]])], 100)
    """
    sparse, values, dense = _cross_parts(inputs)
    internal = dtypes.int64 if any(v.dtype != dtypes.string for v in values + dense) else dtypes.string
    return _cross_op("SparseCross", sparse, values, dense, name=name, hashed_output=True,
                     num_buckets=int(num_buckets), hash_key=_signed64(int(hash_key or DEFAULT_HASH_KEY)),
                     out_type=dtypes.int64, internal_type=internal)


def sparse_cross(inputs, name=None, separator=None) -> SparseTensor:
    """String crosses of sparse and dense 2-D inputs joined by `separator` (default "_X_"), as
    `tf.sparse.cross`; integers enter as their decimal text.

        tf.sparse.cross([tf.constant([["a"], ["b"]]), tf.constant([["x"], ["y"]])])   # a_X_x, b_X_y
    """
    sparse, values, dense = _cross_parts(inputs)
    sep = convert_to_tensor("_X_" if separator is None else separator, dtype=dtypes.string)
    return _cross_op("SparseCrossV2", sparse, values, dense, sep, name=name)


def sparse_cross_hashed_v2(inputs, num_buckets=0, strong_hash=False, salt=None, name=None) -> SparseTensor:
    """Hashed crosses through TF's `SparseCrossHashed` op (what Keras' HashedCrossing runs): the
    first input's hash starts the fold; `strong_hash` hashes values with SipHash keyed by `salt`."""
    sparse, values, dense = _cross_parts(inputs)
    salt = [0, 0] if salt is None else salt
    return _cross_op("SparseCrossHashed", sparse, values, dense,
                     convert_to_tensor(np.int64(num_buckets)), convert_to_tensor(bool(strong_hash)),
                     convert_to_tensor(np.asarray(salt, dtype=np.int64)), name=name)
