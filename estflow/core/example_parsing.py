"""Decoding serialized `tf.train.Example` / `SequenceExample` protos into arrays: the parse kernels' bodies.

Each record is parsed once with the protobuf runtime (`example_pb2`). A batch is then
read a feature at a time across all records (one list comprehension per feature, one
numpy array at the end); a batch with anything irregular (a wrong type or size, a
missing required feature) is redone record by record, which raises TF's first error.
Error messages are TensorFlow's, which users search for: "Name: <unknown>, Feature: age
(data type: float) is required but could not be found." and the like.

Specs are plain tuples built by the kernels from their attrs:
  SparseSpec(key, dtype)
  DenseSpec(key, dtype, shape, default)   shape: a tuple, -1 first for a variable number of blocks
"""

from __future__ import annotations

import collections
import itertools
import operator

import numpy as np
from google.protobuf import message as _message
from google.protobuf import text_format

from estflow.core import dtypes, errors
from estflow.core.protos import example_pb2

SparseSpec = collections.namedtuple("SparseSpec", ["key", "dtype"])
DenseSpec = collections.namedtuple("DenseSpec", ["key", "dtype", "shape", "default"])

_LIST_FIELD = {dtypes.float32: "float_list", dtypes.int64: "int64_list", dtypes.string: "bytes_list"}
_KIND_NAME = {"float_list": "float", "int64_list": "int64", "bytes_list": "string"}
_VALUES_NAME = {dtypes.float32: "float", dtypes.int64: "int64", dtypes.string: "bytes"}
_UNKNOWN = "<unknown>"


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def type_name(dtype) -> str:
    """TF's DataTypeString: float, int64, string."""
    return "float" if dtype == dtypes.float32 else "double" if dtype == dtypes.float64 else dtypes.as_dtype(
        dtype).name


def _text(b) -> str:
    return b.decode("utf-8", errors="replace") if isinstance(b, bytes) else str(b)


def _debug_shape(shape) -> str:
    return "[" + ",".join("?" if d < 0 else str(d) for d in shape) + "]"


def _array(values: list, dtype, shape) -> np.ndarray:
    """Values gathered in a list as an array of `dtype` (strings: an object array of bytes)."""
    if dtype is dtypes.string or dtype == dtypes.string:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape)
    np_dtype = _NUMPY_TYPES.get(dtype)
    if np_dtype is not None and values.__class__ is list:
        # fromiter: a quarter of asarray's time on a list of Python numbers, and the same values.
        return np.fromiter(values, dtype=np_dtype, count=len(values)).reshape(shape)
    return np.asarray(values, dtype=dtype.as_numpy_dtype).reshape(shape)


_NUMPY_TYPES = {dtypes.float32: np.dtype(np.float32), dtypes.int64: np.dtype(np.int64)}


def _parse(cls, serialized: bytes):
    try:
        return cls.FromString(serialized)
    except (_message.DecodeError, RuntimeError, ValueError):
        raise _invalid(f"Could not parse example input, value: '{_text(serialized)}'") from None


def _elements(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _sparse_outputs(values: list, counts: list, dtype, batch: int):
    """(indices [N, 2], values [N], dense_shape [2]) of a [batch, max count] SparseTensor."""
    if batch == 1:  # one Example (serving): row 0, columns 0..n-1
        total = counts[0]
        indices = np.zeros((total, 2), np.int64)
        indices[:, 1] = np.arange(total, dtype=np.int64)
        return indices, _array(values, dtype, (total,)), np.array([1, total], dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    rows = np.repeat(np.arange(batch, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    cols = np.arange(total, dtype=np.int64) - np.repeat(starts, counts)
    indices = np.stack([rows, cols], axis=1) if total else np.zeros((0, 2), np.int64)
    width = int(counts.max()) if batch else 0
    return indices, _array(values, dtype, (total,)), np.asarray([batch, width], dtype=np.int64)


# ---- a batch of Examples (ParseExample) ---------------------------------------------------------
class _Irregular(Exception):
    """A feature the column-at-a-time pass does not handle: parse record by record instead."""


def parse_examples(serialized: list, names: list | None, sparse: list, dense: list):
    """Parse a batch of serialized Examples.

    Returns (sparse outputs [(indices, values, shape)], dense outputs [array]) as TF's
    ParseExample kernel does (FastParseExample's rules and messages). Each record is
    parsed once; then each feature is read out of all records at once. Anything that
    would be an error sends the batch through `parse_examples_exact`, which goes record by
    record and raises TF's first error.
    """
    result = parse_examples_fast(serialized, sparse, dense)
    return result if result is not None else parse_examples_exact(serialized, names, sparse, dense)


def parse_examples_fast(serialized: list, sparse: list, dense: list):
    """`parse_examples` a feature at a time; None when a record needs the exact path (an error, most likely)."""
    example_cls = example_pb2.Example
    try:
        maps = [example_cls.FromString(record).features.feature for record in serialized]
        return [_sparse_column(maps, spec) for spec in sparse], [_dense_column(maps, spec) for spec in dense]
    except (_Irregular, _message.DecodeError, RuntimeError, ValueError):
        return None


def _values_getter(dtype):
    return _GETTERS[dtype]


_GETTERS = {dtype: operator.attrgetter(field + ".value") for dtype, field in _LIST_FIELD.items()}


def _kind_is_absent_or(feature, field) -> bool:
    kind = feature.WhichOneof("kind") if feature is not None else None
    return kind is None or kind == field


def _sparse_column(maps: list, spec: SparseSpec):
    getter, field = _values_getter(spec.dtype), _LIST_FIELD[spec.dtype]
    features = [m.get(spec.key) for m in maps]
    lists = [() if f is None else getter(f) for f in features]
    counts = list(map(len, lists))
    for i, n in enumerate(counts):
        if not n and not _kind_is_absent_or(features[i], field):
            raise _Irregular
    return _sparse_outputs(list(itertools.chain.from_iterable(lists)), counts, spec.dtype, len(maps))


def _dense_column(maps: list, spec: DenseSpec) -> np.ndarray:
    getter = _GETTERS[spec.dtype]
    if len(maps) == 1 and (not spec.shape or spec.shape[0] != -1):  # one Example (serving) holding the feature
        feature = maps[0].get(spec.key)
        if feature is not None:
            values = getter(feature)
            if values and len(values) == _elements(spec.shape):  # non-empty: the field of spec's type is set
                return _array(list(values), spec.dtype, (1, *spec.shape))
    field = _LIST_FIELD[spec.dtype]
    batch = len(maps)
    features = [m.get(spec.key) for m in maps]
    lists = [() if f is None else getter(f) for f in features]
    counts = list(map(len, lists))
    if spec.shape[:1] == (-1,):
        stride = _elements(spec.shape[1:])
        for i, n in enumerate(counts):
            if n % stride or (not n and not _kind_is_absent_or(features[i], field)):
                raise _Irregular
        return _padded_blocks(lists, spec, stride, batch)
    size = _elements(spec.shape)
    if not size or counts.count(size) != batch:
        default = spec.default.reshape(-1).tolist()
        for i, n in enumerate(counts):
            if n == size and n:
                continue
            feature = features[i]
            if (feature is not None and feature.WhichOneof("kind") is not None) or not default:
                raise _Irregular  # wrong type or size, or a required feature missing: TF's errors
            lists[i] = default
    values = [v[0] for v in lists] if size == 1 else list(itertools.chain.from_iterable(lists))
    return _array(values, spec.dtype, (batch,) + tuple(spec.shape))


def parse_examples_exact(serialized: list, names: list | None, sparse: list, dense: list):
    """`parse_examples` record by record, raising TF's first error."""
    batch = len(serialized)
    sparse_values = [[] for _ in sparse]
    sparse_counts = [[0] * batch for _ in sparse]
    sparse_fields = [_LIST_FIELD[s.dtype] for s in sparse]
    fixed = [d.shape[:1] != (-1,) for d in dense]
    sizes = [_elements(d.shape) if f else _elements(d.shape[1:]) for d, f in zip(dense, fixed)]
    dense_flat = [[] for _ in dense]  # fixed: all values; variable: one list per example
    dense_fields = [_LIST_FIELD[d.dtype] for d in dense]
    dense_defaults = [d.default.reshape(-1).tolist() for d in dense]
    example_cls = example_pb2.Example
    for i, record in enumerate(serialized):
        features = _parse(example_cls, record).features.feature
        for d, spec in enumerate(dense):
            feature = features.get(spec.key)
            values = getattr(feature, dense_fields[d]).value if feature is not None else ()
            n = len(values)
            if fixed[d]:
                if n == sizes[d] and n:
                    dense_flat[d].extend(values)
                    continue
                kind = feature.WhichOneof("kind") if feature is not None else None
                if kind is None:  # absent, or present with no list: use the default
                    if not dense_defaults[d]:
                        raise _invalid(f"Name: {_example_name(names, i)}, Feature: {spec.key} (data type: "
                                       f"{type_name(spec.dtype)}) is required but could not be found.")
                    dense_flat[d].extend(dense_defaults[d])
                    continue
                _check_dense_kind(kind, dense_fields[d], spec, names, i)
                if n != sizes[d]:
                    raise _example_error(names, spec.key, i, f"Number of {_VALUES_NAME[spec.dtype]} values != "
                                                             f"expected.  Values size: {n} but output shape: "
                                                             f"{_debug_shape(spec.shape)}")
            else:
                if feature is not None and not n:
                    kind = feature.WhichOneof("kind")
                    if kind is not None:
                        _check_dense_kind(kind, dense_fields[d], spec, names, i)
                if n % sizes[d]:
                    raise _example_error(names, spec.key, i, f"Number of {_VALUES_NAME[spec.dtype]} values is not "
                                                             f"a multiple of stride length. Saw {n} values but "
                                                             f"output shape is: {_debug_shape(spec.shape)}")
                dense_flat[d].append(values)
        for s, spec in enumerate(sparse):
            feature = features.get(spec.key)
            if feature is None:
                continue
            values = getattr(feature, sparse_fields[s]).value
            if not values:
                kind = feature.WhichOneof("kind")
                if kind is not None and kind != sparse_fields[s]:
                    raise _example_error(names, spec.key, i, f"Data types don't match. Expected type: "
                                                             f"{type_name(spec.dtype)}, Actual type: "
                                                             f"{_KIND_NAME[kind]}")
                continue
            sparse_values[s].extend(values)
            sparse_counts[s][i] = len(values)
    sparse_out = [_sparse_outputs(sparse_values[s], sparse_counts[s], spec.dtype, batch)
                  for s, spec in enumerate(sparse)]
    dense_out = []
    for d, spec in enumerate(dense):
        if fixed[d]:
            dense_out.append(_array(dense_flat[d], spec.dtype, (batch,) + tuple(spec.shape)))
        else:
            dense_out.append(_padded_blocks(dense_flat[d], spec, sizes[d], batch))
    return sparse_out, dense_out


def _example_name(names, i) -> str:
    return _text(names[i]) if names else _UNKNOWN


def _example_error(names, key, index, suffix) -> errors.InvalidArgumentError:
    return _invalid(f"Name: {_example_name(names, index)}, Key: {key}, Index: {index}.  {suffix}")


def _check_dense_kind(kind, field, spec, names, i) -> None:
    if kind != field:
        raise _example_error(names, spec.key, i, f"Data types don't match. Data type: {_KIND_NAME[kind]} but "
                                                 f"expected type: {type_name(spec.dtype)}")


def _padded_blocks(per_example: list, spec: DenseSpec, stride: int, batch: int) -> np.ndarray:
    """[batch, max blocks, *block shape], short examples padded with the default scalar."""
    inner = tuple(spec.shape[1:])
    blocks = max((len(v) // stride for v in per_example), default=0)
    pad = spec.default.reshape(-1)[0] if spec.default.size else (b"" if spec.dtype == dtypes.string else 0)
    np_dtype = object if spec.dtype == dtypes.string else spec.dtype.as_numpy_dtype
    out = np.full((batch, blocks * stride), pad, dtype=np_dtype)
    for i, values in enumerate(per_example):
        if len(values):
            out[i, :len(values)] = _array(list(values), spec.dtype, (len(values),))
    return out.reshape((batch, blocks) + inner)


# ---- one Example (ParseSingleExample) -----------------------------------------------------------
def parse_single_example(serialized: bytes, sparse: list, dense: list):
    """Parse one serialized Example as TF's ParseSingleExample kernel (FastParseSingleExample's messages)."""
    features = _parse(example_pb2.Example, serialized).features.feature
    dense_out = []
    for spec in dense:
        field = _LIST_FIELD[spec.dtype]
        feature = features.get(spec.key)
        kind = feature.WhichOneof("kind") if feature is not None else None
        variable = spec.shape[:1] == (-1,)
        if kind is None:
            if variable:
                dense_out.append(_array([], spec.dtype, (0,) + tuple(spec.shape[1:])))
            elif spec.default.size == 0:
                raise _invalid(f"Feature: {spec.key} (data type: {type_name(spec.dtype)}) is required but could "
                               "not be found.")
            else:
                dense_out.append(spec.default.reshape(spec.shape))
            continue
        if kind != field:
            raise _invalid(f"Key: {spec.key}.  Data types don't match. Data type: {_KIND_NAME[kind]} but expected "
                           f"type: {type_name(spec.dtype)}")
        values = list(getattr(feature, field).value)
        if variable:
            stride = _elements(spec.shape[1:])
            if len(values) % stride:
                raise _invalid(f"Error while parsing feature with key {spec.key}: number of elements should be "
                               f"divisible by {stride}, found {len(values)} instead")
            dense_out.append(_array(values, spec.dtype, (len(values) // stride,) + tuple(spec.shape[1:])))
        else:
            if len(values) != _elements(spec.shape):
                raise _invalid(f"Key: {spec.key}.  Can't parse serialized Example: Some {field} slice was not "
                               "parsed.")
            dense_out.append(_array(values, spec.dtype, tuple(spec.shape)))
    sparse_out = []
    for spec in sparse:
        field = _LIST_FIELD[spec.dtype]
        feature = features.get(spec.key)
        kind = feature.WhichOneof("kind") if feature is not None else None
        if kind is not None and kind != field:
            raise _invalid(f"Key: {spec.key}.  Data types don't match. Expected type: {type_name(spec.dtype)}, "
                           f"Actual type: {_KIND_NAME[kind]}")
        values = list(getattr(feature, field).value) if kind is not None else []
        n = len(values)
        sparse_out.append((np.arange(n, dtype=np.int64).reshape(n, 1), _array(values, spec.dtype, (n,)),
                           np.asarray([n], dtype=np.int64)))
    return sparse_out, dense_out


# ---- one SequenceExample (ParseSingleSequenceExample) ---------------------------------------------
def _feature_debug_string(feature) -> str:
    return text_format.MessageToString(feature)


def _dense_copy(feature, spec, name, index) -> list:
    values = list(getattr(feature, _LIST_FIELD[spec.dtype]).value)
    if len(values) != _elements(spec.shape):
        raise _invalid(f"Name: {name}, Key: {spec.key}, Index: {index}.  Number of {_VALUES_NAME[spec.dtype]} "
                       f"values != expected.  values size: {len(values)} but output shape: "
                       f"{_debug_shape(spec.shape)}")
    return values


def parse_single_sequence_example(serialized: bytes, debug_name, context_sparse: list, context_dense: list,
                                  feature_list_sparse: list, feature_list_dense: list, missing_assumed_empty: set):
    """Parse one SequenceExample as TF's ParseSingleSequenceExample kernel.

    Returns (context sparse, context dense, feature-list sparse, feature-list dense)
    outputs; feature-list sparse values are [time, position] SparseTensors.
    """
    example = _parse(example_pb2.SequenceExample, serialized)
    name = _text(debug_name) if debug_name else _UNKNOWN
    context = example.context.feature
    context_dense_out = []
    for spec in context_dense:
        feature = context.get(spec.key)
        if feature is None:
            if spec.default.size == 0:
                raise _invalid(f"Name: {name}, Context feature '{spec.key}' is required but could not be found.")
            context_dense_out.append(spec.default.reshape(spec.shape))
            continue
        if feature.WhichOneof("kind") != _LIST_FIELD[spec.dtype]:
            raise _invalid(f"Name: {name}, Context feature: {spec.key}.  Data types don't match. Expected type: "
                           f"{type_name(spec.dtype)}  Feature is: {_feature_debug_string(feature)}")
        context_dense_out.append(_array(_dense_copy(feature, spec, name, 0), spec.dtype, tuple(spec.shape)))
    context_sparse_out = []
    for spec in context_sparse:
        feature = context.get(spec.key)
        kind = feature.WhichOneof("kind") if feature is not None else None
        values = []
        if kind is not None:
            if kind != _LIST_FIELD[spec.dtype]:
                raise _invalid(f"Name: {name}, Context feature: {spec.key}.  Data types don't match. Expected type: "
                               f"{type_name(spec.dtype)}  Feature is: {_feature_debug_string(feature)}")
            values = list(getattr(feature, kind).value)
        n = len(values)
        context_sparse_out.append((np.arange(n, dtype=np.int64).reshape(n, 1), _array(values, spec.dtype, (n,)),
                                   np.asarray([n], dtype=np.int64)))
    lists = example.feature_lists.feature_list
    dense_out = []
    for spec in feature_list_dense:
        feature_list = lists.get(spec.key)
        if feature_list is None and spec.key not in missing_assumed_empty:
            raise _invalid(f"Name: {name}, Feature list '{spec.key}' is required but could not be found.  Did you "
                           "mean to include it in feature_list_dense_missing_assumed_empty or "
                           "feature_list_dense_defaults?")
        steps = list(feature_list.feature) if feature_list is not None else []
        flat = []
        for t, feature in enumerate(steps):
            if feature.WhichOneof("kind") != _LIST_FIELD[spec.dtype]:
                raise _invalid(f"Name: {name}, Feature list: {spec.key}, Index: {t}.  Data types don't match. "
                               f"Expected type: {type_name(spec.dtype)}  Feature is: "
                               f"{_feature_debug_string(feature)}")
            flat.extend(_dense_copy(feature, spec, name, t))
        dense_out.append(_array(flat, spec.dtype, (len(steps),) + tuple(spec.shape)))
    sparse_out = []
    for spec in feature_list_sparse:
        feature_list = lists.get(spec.key)
        steps = list(feature_list.feature) if feature_list is not None else []
        values, counts = [], []
        for t, feature in enumerate(steps):
            kind = feature.WhichOneof("kind")
            if kind is None:
                counts.append(0)
                continue
            if kind != _LIST_FIELD[spec.dtype]:
                raise _invalid(f"Name: {name}, Feature List: {spec.key}, Index: {t}.  Data types don't match. "
                               f"Expected type: {type_name(spec.dtype)}  Feature is: "
                               f"{_feature_debug_string(feature)}")
            step = getattr(feature, kind).value
            values.extend(step)
            counts.append(len(step))
        sparse_out.append(_sparse_outputs(values, counts, spec.dtype, len(steps)))
    return context_sparse_out, context_dense_out, sparse_out, dense_out
