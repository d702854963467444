"""ParseExample's configuration compiled once: the fast paths for served batches of one or a few Examples.

A served model parses one serialized Example per call. What `example_parsing.parse_examples`
costs there is mostly per feature, not per value: reading the spec's dtype and shape, three
small lists, one numpy array built per feature. `ExampleParser` does the per-spec work once
(the ParseExample kernel keeps one per constant configuration, and a plan builds it when it
compiles the op), reads each record's features in one pass and builds one array per group
of same-typed, same-shaped dense features, whose rows are the features' outputs (views, as the
dense outputs always were: `reshape` made them, so the plan never wrote into their buffers).

The results are `example_parsing.parse_examples_exact`'s, value for value, dtype for dtype
and shape for shape; anything the fast paths do not take as it comes (a wrong type or size,
a missing feature without a default, bytes that do not parse) goes to that record-by-record
path, which raises TF's first error. Configurations with variable-length dense features
(FixedLenSequenceFeature) or empty dense shapes keep `example_parsing.parse_examples`.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np
from google.protobuf import message as _message

from estflow.core import dtypes
from estflow.core.example_parsing import (
    _LIST_FIELD,
    _elements,
    _sparse_outputs,
    parse_examples_exact,
    parse_examples_fast,
    parse_single_example,
)
from estflow.core.protos import example_pb2

_PARSE_ERRORS = (_message.DecodeError, RuntimeError, ValueError)
_from_string = example_pb2.Example.FromString
_first = operator.itemgetter(0)
# Up to this many values, a SparseTensor's indices are listed in Python: below it numpy's calls cost more.
_FEW = 64

# One Example's SparseTensor indices and dense shapes for the common small counts n, copied per call:
# in a batch of one, [[0, 0], [0, 1], ..., [0, n-1]] and [1, n]; alone (ParseSingleExample), [[0], ..., [n-1]] and [n].
_TEMPLATES = 16


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


_ROW_INDICES = [_read_only(np.stack([np.zeros(n, np.int64), np.arange(n, dtype=np.int64)], axis=1))
                for n in range(_TEMPLATES)]
_ROW_SHAPES = [_read_only(np.array([1, n], dtype=np.int64)) for n in range(_TEMPLATES)]
_SINGLE_INDICES = [_read_only(np.arange(n, dtype=np.int64).reshape(n, 1)) for n in range(_TEMPLATES)]
_SINGLE_SHAPES = [_read_only(np.array([n], dtype=np.int64)) for n in range(_TEMPLATES)]


def _row_sparse(n: int):
    """(indices, dense shape) of n values in a batch of one, fresh arrays."""
    if n < _TEMPLATES:
        return _ROW_INDICES[n].copy(), _ROW_SHAPES[n].copy()
    indices = np.zeros((n, 2), np.int64)
    indices[:, 1] = np.arange(n, dtype=np.int64)
    return indices, np.array([1, n], dtype=np.int64)


def _single_sparse(n: int):
    """(indices, dense shape) of n values of one Example parsed alone, fresh arrays."""
    if n < _TEMPLATES:
        return _SINGLE_INDICES[n].copy(), _SINGLE_SHAPES[n].copy()
    return np.arange(n, dtype=np.int64).reshape(n, 1), np.asarray([n], dtype=np.int64)


def _values_builder(dtype):
    """values list -> a 1-D array of `dtype` (strings: an object array of bytes), as example_parsing._array."""
    if dtype == dtypes.string:
        def strings(values, n):
            out = np.empty(n, dtype=object)
            if n == 1:
                out[0] = values[0]
            else:  # a list: numpy reads a protobuf container as a sequence several times slower
                out[:] = values if values.__class__ is list else list(values)
            return out
        return strings
    np_dtype = np.dtype(dtype.as_numpy_dtype)

    def numbers(values, n):
        return np.fromiter(values, dtype=np_dtype, count=n)
    return numbers


def _positions(indices: list):
    """A slice over `indices` when they are consecutive, else the indices."""
    if indices == list(range(indices[0], indices[0] + len(indices))):
        return slice(indices[0], indices[0] + len(indices))
    return tuple(indices)


def _place(outputs: list, where, rows: np.ndarray) -> None:
    """The rows of a group's array as the outputs at `where` (0-d arrays for scalars, never numpy scalars)."""
    arrays = [rows[i, ...] for i in range(len(rows))] if rows.ndim == 1 else rows
    if where.__class__ is slice:
        outputs[where] = arrays
    else:
        for i, row in zip(where, arrays):
            outputs[i] = row


class ExampleParser:
    """`parser(serialized, names)` -> (sparse outputs [(indices, values, shape)], dense outputs [array]).

    The same results as `example_parsing.parse_examples(serialized, names, sparse, dense)`.
    """

    __slots__ = ("sparse", "dense", "specs", "fixed", "_regular", "_groups", "_sparse_columns")

    def __init__(self, sparse: list, dense: list):
        self.sparse, self.dense = list(sparse), list(dense)
        self.specs = (self.sparse, self.dense)
        # Every dense feature fixed-size and non-empty: the paths below apply (else parse_examples does it all).
        self._regular = all(spec.shape[:1] != (-1,) and _elements(spec.shape) for spec in self.dense)
        self.fixed = all(-1 not in spec.shape for spec in self.dense)  # no dense dimension left to the records
        groups: dict = {}
        for d, spec in enumerate(self.dense):
            default = spec.default.reshape(-1).tolist() if spec.default.size else None
            member = (spec.key, operator.attrgetter(_LIST_FIELD[spec.dtype] + ".value"), _elements(spec.shape), default)
            groups.setdefault((spec.dtype, tuple(spec.shape)), []).append((d, member))
        # (members, where, shape, build, shape of one record's rows, alone): build(flat values of the group,
        # n) -> a 1-D array, reshaped to [members, batch, *shape], whose rows are the members' outputs, at
        # `where` among the dense outputs (a slice where they are neighbours, as numeric columns are).
        self._groups = tuple((tuple(m for _, m in members), _positions([d for d, _ in members]), shape,
                              _values_builder(dtype), (len(members), 1, *shape), (len(members), *shape))
                             for (dtype, shape), members in groups.items())
        self._sparse_columns = tuple((spec.key, operator.attrgetter(_LIST_FIELD[spec.dtype] + ".value"),
                                      _LIST_FIELD[spec.dtype], spec.dtype, _values_builder(spec.dtype))
                                     for spec in self.sparse)

    def __call__(self, serialized: list, names: list | None):
        result = self.fast(serialized)
        return result if result is not None else parse_examples_exact(serialized, names, self.sparse, self.dense)

    def fast(self, serialized: list):
        """`parser(serialized, None)` when no record needs the exact path (an error, most likely), else None."""
        if not self._regular:
            return parse_examples_fast(serialized, self.sparse, self.dense)
        if len(serialized) == 1:
            return self._one(serialized[0])
        return self._batch(serialized)

    def single(self, record: bytes):
        """ParseSingleExample's (sparse outputs, dense outputs) of one record: no batch dimension, a sparse
        feature's indices [n, 1]; its messages (example_parsing.parse_single_example) where needed."""
        result = self._one(record, single=True) if self._regular else None
        return result if result is not None else parse_single_example(record, self.sparse, self.dense)

    def _one(self, record, single: bool = False):
        """One record (a served request) as a batch of one, or `single` as ParseSingleExample gives it:
        None when it needs the exact path."""
        try:
            features = _from_string(record).features.feature
        except _PARSE_ERRORS:
            return None
        # `features[key]` adds an empty Feature for a missing key to this throwaway message: no list, no
        # values, which every rule below treats as the missing feature it stands for (and it costs less
        # than `features.get`).
        dense_out = [None] * len(self.dense)
        for members, where, _, build, one_shape, single_shape in self._groups:
            flat: list = []
            append, extend = flat.append, flat.extend
            for key, values_of, size, default in members:
                feature = features[key]
                values = values_of(feature)
                n = len(values)
                if n == size:
                    if n == 1:
                        append(values[0])  # a quarter of extend's time on a protobuf container
                    else:
                        extend(values)
                    continue
                if n or feature.WhichOneof("kind") is not None:
                    return None  # a wrong type or size: TF's error from the exact path
                if default is None:
                    return None  # a required feature missing
                extend(default)
            _place(dense_out, where, build(flat, len(flat)).reshape(single_shape if single else one_shape))
        sparse_out = []
        indices, shapes = (_SINGLE_INDICES, _SINGLE_SHAPES) if single else (_ROW_INDICES, _ROW_SHAPES)
        for key, values_of, field, _, build in self._sparse_columns:
            feature = features[key]
            values = values_of(feature)
            n = len(values)
            if not n:
                kind = feature.WhichOneof("kind")
                if kind is not None and kind != field:
                    return None
            if n < _TEMPLATES:
                sparse_out.append((indices[n].copy(), build(values, n), shapes[n].copy()))
            else:
                index, dense_shape = (_single_sparse if single else _row_sparse)(n)
                sparse_out.append((index, build(values, n), dense_shape))
        return sparse_out, dense_out

    def _batch(self, serialized: list):
        """Several records, a feature at a time across them: None when one needs the exact path."""
        try:
            maps = [_from_string(record).features.feature for record in serialized]
        except _PARSE_ERRORS:
            return None
        batch = len(maps)
        dense_out = [None] * len(self.dense)
        for members, where, shape, build, _, _ in self._groups:
            flat: list = []
            for key, values_of, size, default in members:
                lists = [values_of(m[key]) for m in maps]  # `m[key]`: as in `_one`
                counts = list(map(len, lists))
                if counts.count(size) != batch:
                    for i, n in enumerate(counts):
                        if n == size:
                            continue
                        if n or maps[i][key].WhichOneof("kind") is not None or default is None:
                            return None
                        lists[i] = default
                flat.extend(map(_first, lists) if size == 1 else itertools.chain.from_iterable(lists))
            _place(dense_out, where, build(flat, len(flat)).reshape((len(members), batch) + shape))
        sparse_out = []
        for key, values_of, field, dtype, build in self._sparse_columns:
            lists = [values_of(m[key]) for m in maps]
            counts = list(map(len, lists))
            if 0 in counts:
                for i, n in enumerate(counts):
                    if not n:
                        kind = maps[i][key].WhichOneof("kind")
                        if kind is not None and kind != field:
                            return None
            # One value per record (a categorical column's id or word): indexing is several times faster than
            # iterating each protobuf container.
            values = list(map(_first, lists) if counts.count(1) == batch else itertools.chain.from_iterable(lists))
            if len(values) > _FEW:
                sparse_out.append(_sparse_outputs(values, counts, dtype, batch))
                continue
            cells: list = []  # (row, column) of each value, in order
            for row, n in enumerate(counts):
                for column in range(n):
                    cells += (row, column)
            total = len(values)
            sparse_out.append((np.fromiter(cells, dtype=np.int64, count=2 * total).reshape(total, 2),
                               build(values, total), np.array([batch, max(counts, default=0)], dtype=np.int64)))
        return sparse_out, dense_out
