"""ParseSequenceExampleV2: a batch (or one) of serialized `tf.train.SequenceExample`s parsed as TF's kernel
parses them, for `tf.io.parse_sequence_example`.

Each record is parsed as ParseSingleSequenceExample parses it (core/example_parsing.py), then the
batch is joined: context dense values stacked, feature-list dense values padded with zeros (or
b"") to the longest list with their lengths in `feature_list_dense_lengths`, and sparse values
given a leading batch index. TF's ragged features are out of estflow's scope: their key
inputs must be empty.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes, errors
from estflow.core import example_parsing as _example
from estflow.core.registry import OpDef, TensorSpec, register
from estflow.core.tensor_shape import TensorShape


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _key(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _shape(shape) -> tuple:
    dims = TensorShape(shape).as_tuple()
    return tuple(-1 if d is None else int(d) for d in dims or ())


def _np_type(dtype):
    dtype = dtypes.as_dtype(dtype)
    return object if dtype == dtypes.string else dtype.as_numpy_dtype


def _infer(serialized, debug_name, context_sparse_keys, context_dense_keys, context_ragged_keys,
           feature_list_sparse_keys, feature_list_dense_keys, feature_list_ragged_keys, missing_empty,
           *defaults, **attrs):
    context_sparse_types, context_dense_shapes = attrs["context_sparse_types"], attrs["context_dense_shapes"]
    feature_list_sparse_types, feature_list_dense_types = attrs["feature_list_sparse_types"], \
        attrs["feature_list_dense_types"]
    feature_list_dense_shapes = attrs["feature_list_dense_shapes"]
    n_context_sparse, n_list_sparse = attrs["Ncontext_sparse"], attrs["Nfeature_list_sparse"]
    n_list_dense = attrs["Nfeature_list_dense"]
    if serialized.dtype != dtypes.string:
        raise TypeError(f"Input 'serialized' has type {serialized.dtype.name} that does not match expected type of "
                        "string.")
    if serialized.shape.ndims not in (None, 0, 1):
        raise ValueError(f"Shape must be at most rank 1 but is rank {serialized.shape.ndims} for 'serialized'")
    if attrs["context_ragged_value_types"] or attrs["feature_list_ragged_value_types"]:
        raise ValueError("ParseSequenceExampleV2 with ragged features is not supported by estflow (ragged tensors "
                         "are out of its scope)")
    if len(defaults) != len(context_dense_shapes):
        raise ValueError(f"ParseSequenceExampleV2 got {len(defaults)} context dense defaults for "
                         f"{len(context_dense_shapes)} context_dense_shapes")
    batch = [] if serialized.shape.ndims == 0 else [serialized.shape.as_tuple()[0] if serialized.shape.ndims else None]
    rank = len(batch) if serialized.shape.ndims is not None else None
    out = [TensorSpec([None, None if rank is None else rank + 1], dtypes.int64)] * n_context_sparse
    out += [TensorSpec([None], t) for t in context_sparse_types]
    out += [TensorSpec([None if rank is None else rank + 1], dtypes.int64)] * n_context_sparse
    out += [TensorSpec(None if rank is None else batch + list(TensorShape(s).as_tuple() or ()), d.dtype)
            for s, d in zip(context_dense_shapes, defaults, strict=True)]
    out += [TensorSpec([None, None if rank is None else rank + 2], dtypes.int64)] * n_list_sparse
    out += [TensorSpec([None], t) for t in feature_list_sparse_types]
    out += [TensorSpec([None if rank is None else rank + 2], dtypes.int64)] * n_list_sparse
    out += [TensorSpec(None if rank is None else batch + [None] + list(TensorShape(s).as_tuple() or ()), t)
            for s, t in zip(feature_list_dense_shapes, feature_list_dense_types, strict=True)]
    out += [TensorSpec(None if rank is None else batch, dtypes.int64)] * n_list_dense
    return out


def _join_sparse(parts: list, dtype, scalar: bool) -> tuple:
    """Per-record (indices, values, shape) joined into one SparseTensor with a leading batch index."""
    if scalar:
        return parts[0]
    rank = len(parts[0][2]) if parts else 1
    indices = [np.concatenate([np.full((len(p[0]), 1), b, np.int64), p[0]], axis=1) for b, p in enumerate(parts)]
    shape = np.max(np.stack([p[2] for p in parts]), axis=0) if parts else np.zeros(rank, np.int64)
    return (np.concatenate(indices).reshape(-1, rank + 1) if indices else np.zeros((0, rank + 1), np.int64),
            np.concatenate([p[1] for p in parts]).astype(_np_type(dtype)) if parts
            else np.zeros((0,), _np_type(dtype)),
            np.concatenate([[len(parts)], shape]).astype(np.int64))


def _kernel(xp, serialized, debug_name, context_sparse_keys, context_dense_keys, context_ragged_keys,
            feature_list_sparse_keys, feature_list_dense_keys, feature_list_ragged_keys, missing_empty,
            *defaults, **attrs):
    context_sparse_types, context_dense_shapes = attrs["context_sparse_types"], attrs["context_dense_shapes"]
    feature_list_sparse_types, feature_list_dense_types = attrs["feature_list_sparse_types"], \
        attrs["feature_list_dense_types"]
    feature_list_dense_shapes = attrs["feature_list_dense_shapes"]
    if np.size(context_ragged_keys) or np.size(feature_list_ragged_keys):
        raise _invalid("ParseSequenceExampleV2: ragged features are not supported by estflow")
    scalar = np.ndim(serialized) == 0
    records = np.asarray(serialized, dtype=object).reshape(-1).tolist()
    names = np.asarray(debug_name, dtype=object).reshape(-1).tolist() if np.size(debug_name) else []
    if names and len(names) != len(records):
        raise _invalid(f"debug_name must hold one name per record, got {len(names)} for {len(records)}")
    list_dense_keys = [_key(k) for k in np.asarray(feature_list_dense_keys).reshape(-1).tolist()]
    missing = np.asarray(missing_empty).reshape(-1).tolist()
    if len(missing) != len(list_dense_keys):
        raise _invalid(f"feature_list_dense_missing_assumed_empty has {len(missing)} entries for "
                       f"{len(list_dense_keys)} feature_list_dense_keys")
    context_sparse = [_example.SparseSpec(_key(k), dtypes.as_dtype(t))
                      for k, t in zip(np.asarray(context_sparse_keys).reshape(-1).tolist(), context_sparse_types)]
    context_dense = []
    for d, (key, shape, default) in enumerate(zip(np.asarray(context_dense_keys).reshape(-1).tolist(),
                                                  context_dense_shapes, defaults)):
        shape = _shape(shape)
        if default.size and default.shape != shape:
            raise _invalid(f"def_value[{d}].shape() == {list(default.shape)} != context_dense_shapes_[{d}] == "
                           f"{list(shape)}")
        context_dense.append(_example.DenseSpec(_key(key), dtypes.as_dtype(default.dtype if default.dtype != object
                                                                            else dtypes.string), shape, default))
    list_sparse_keys = np.asarray(feature_list_sparse_keys).reshape(-1).tolist()
    list_sparse = [_example.SparseSpec(_key(k), dtypes.as_dtype(t))
                   for k, t in zip(list_sparse_keys, feature_list_sparse_types)]
    list_dense = [_example.DenseSpec(k, dtypes.as_dtype(t), _shape(s), None)
                  for k, t, s in zip(list_dense_keys, feature_list_dense_types, feature_list_dense_shapes)]
    assumed_empty = {k for k, flag in zip(list_dense_keys, missing, strict=True) if flag}
    parsed = [_example.parse_single_sequence_example(record, names[i] if names else b"", context_sparse,
                                                     context_dense, list_sparse, list_dense, assumed_empty)
              for i, record in enumerate(records)]
    outputs = []
    c_sparse = [_join_sparse([p[0][j] for p in parsed], spec.dtype, scalar) for j, spec in enumerate(context_sparse)]
    outputs += [s[0] for s in c_sparse] + [s[1] for s in c_sparse] + [s[2] for s in c_sparse]
    for j, spec in enumerate(context_dense):
        values = [p[1][j] for p in parsed]
        outputs.append(values[0] if scalar else np.stack(values).astype(_np_type(spec.dtype)).reshape(
            (len(values),) + spec.shape))
    l_sparse = [_join_sparse([p[2][j] for p in parsed], spec.dtype, scalar) for j, spec in enumerate(list_sparse)]
    outputs += [s[0] for s in l_sparse] + [s[1] for s in l_sparse] + [s[2] for s in l_sparse]
    lengths = []
    for j, spec in enumerate(list_dense):
        values = [p[3][j] for p in parsed]
        steps = [len(v) for v in values]
        if scalar:
            outputs.append(values[0])
        else:
            longest = max(steps, default=0)
            padded = np.zeros((len(values), longest) + spec.shape, dtype=_np_type(spec.dtype))
            if padded.dtype == object:
                padded[...] = b""
            for b, v in enumerate(values):
                padded[b, :len(v)] = v
            outputs.append(padded)
        lengths.append(np.array(steps[0] if scalar else steps, dtype=np.int64))
    outputs += lengths
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


_TYPES = ("float", "int64", "string")
register(OpDef(
    "ParseSequenceExampleV2", infer=_infer, kernel=_kernel,
    attrs={"Ncontext_sparse": 0, "Tcontext_dense": (), "context_sparse_types": (), "context_ragged_value_types": (),
           "context_ragged_split_types": (), "context_dense_shapes": (), "Nfeature_list_sparse": 0,
           "Nfeature_list_dense": 0, "feature_list_dense_types": (), "feature_list_sparse_types": (),
           "feature_list_ragged_value_types": (), "feature_list_ragged_split_types": (),
           "feature_list_dense_shapes": ()},
    cpu_only=True, differentiable=False,
    input_names=("serialized: string", "debug_name: string", "context_sparse_keys: string",
                 "context_dense_keys: string", "context_ragged_keys: string", "feature_list_sparse_keys: string",
                 "feature_list_dense_keys: string", "feature_list_ragged_keys: string",
                 "feature_list_dense_missing_assumed_empty: bool", "context_dense_defaults: Tcontext_dense"),
    output_names=("context_sparse_indices: Ncontext_sparse * int64", "context_sparse_values: context_sparse_types",
                  "context_sparse_shapes: Ncontext_sparse * int64", "context_dense_values: Tcontext_dense",
                  "context_ragged_values: context_ragged_value_types",
                  "context_ragged_row_splits: context_ragged_split_types",
                  "feature_list_sparse_indices: Nfeature_list_sparse * int64",
                  "feature_list_sparse_values: feature_list_sparse_types",
                  "feature_list_sparse_shapes: Nfeature_list_sparse * int64",
                  "feature_list_dense_values: feature_list_dense_types",
                  "feature_list_dense_lengths: Nfeature_list_dense * int64",
                  "feature_list_ragged_values: feature_list_ragged_value_types",
                  "feature_list_ragged_outer_splits: feature_list_ragged_split_types",
                  "feature_list_ragged_inner_splits: feature_list_ragged_split_types"),
    attr_types={"Ncontext_sparse": "int >= 0", "Tcontext_dense": "list(type) >= 0",
                "context_sparse_types": "list(type) >= 0", "context_ragged_value_types": "list(type) >= 0",
                "context_ragged_split_types": "list(type) >= 0", "context_dense_shapes": "list(shape) >= 0",
                "Nfeature_list_sparse": "int >= 0", "Nfeature_list_dense": "int >= 0",
                "feature_list_dense_types": "list(type) >= 0", "feature_list_sparse_types": "list(type) >= 0",
                "feature_list_ragged_value_types": "list(type) >= 0",
                "feature_list_ragged_split_types": "list(type) >= 0", "feature_list_dense_shapes": "list(shape) >= 0"},
))
