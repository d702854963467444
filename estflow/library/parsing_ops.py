"""`tf.parse_example`, `tf.parse_single_example`, `tf.parse_single_sequence_example`.

TF1's Python side of Example parsing: feature configs (`FixedLenFeature`, `VarLenFeature`,
... in `parsing_config.py`) become the attrs and default inputs of core's ParseExample,
ParseSingleExample and ParseSingleSequenceExample ops (estflow/core/ops/parsing_ops.py), and
their outputs become the dict of dense tensors and SparseTensors the caller asked for.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op
from estflow.core.sparse_tensor import SparseTensor
from estflow.library.parsing_config import (
    FixedLenFeature,
    FixedLenSequenceFeature,
    ParseOpParams,
    SparseFeature,
    VarLenFeature,
    build_composite_features,
    prepend_none_dimension,
)


def _sparse_tensors(indices, values, shapes) -> list[SparseTensor]:
    return [SparseTensor(i, v, s) for i, v, s in zip(indices, values, shapes)]


def _split_outputs(outputs, n_sparse: int):
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    return (_sparse_tensors(outputs[:n_sparse], outputs[n_sparse:2 * n_sparse], outputs[2 * n_sparse:3 * n_sparse]),
            outputs[3 * n_sparse:])


_EXAMPLE_FEATURES = (VarLenFeature, SparseFeature, FixedLenFeature, FixedLenSequenceFeature)


def parse_example(serialized, features, name=None, example_names=None):
    """Parse a batch of serialized `tf.train.Example`s into a dict of tensors, as `tf.parse_example`.

    `features` maps keys to FixedLenFeature (dense [batch, *shape]), VarLenFeature
    (SparseTensor with indices [example, position]), SparseFeature or
    FixedLenSequenceFeature(allow_missing=True) (dense [batch, blocks, *shape], padded).

        feats = tf.parse_example(records, {"age": tf.FixedLenFeature([], tf.int64, default_value=0),
                                           "tags": tf.VarLenFeature(tf.string)})
    """
    if not features:
        raise ValueError(f"Missing: features was {features}.")
    features = prepend_none_dimension(features)
    params = ParseOpParams.from_features(features, _EXAMPLE_FEATURES)
    if params.num_features == 0:
        raise ValueError("Must provide at least one feature key")
    with name_scope(name, "ParseExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        names = convert_to_tensor([] if example_names is None else example_names, dtype=dtypes.string,
                                  name="names")
        sparse_keys = [convert_to_tensor(k, dtype=dtypes.string) for k in params.sparse_keys]
        dense_keys = [convert_to_tensor(k, dtype=dtypes.string) for k in params.dense_keys]
        outputs = apply_op("ParseExample", serialized, names, *sparse_keys, *dense_keys,
                           *params.dense_defaults_vec(), name="ParseExample",
                           Nsparse=len(params.sparse_keys), Ndense=len(params.dense_keys),
                           sparse_types=list(params.sparse_types), Tdense=list(params.dense_types),
                           dense_shapes=list(params.dense_shapes))
    sparse, dense = _split_outputs(outputs, len(params.sparse_keys))
    result = dict(zip(params.sparse_keys + params.dense_keys, sparse + dense))
    return build_composite_features(features, result)


def parse_single_example(serialized, features, name=None, example_names=None):
    """Parse one serialized `tf.train.Example` (a scalar string), as `tf.parse_single_example`.

    Like `parse_example` without the batch dimension: FixedLenFeature gives `shape`,
    VarLenFeature a 1-D SparseTensor, FixedLenSequenceFeature `[blocks, *shape]`.

        feats = tf.parse_single_example(record, {"label": tf.FixedLenFeature([], tf.int64)})
    """
    if not features:
        raise ValueError(f"Missing: features was {features}.")
    features = prepend_none_dimension(features)
    params = ParseOpParams.from_features(features, _EXAMPLE_FEATURES)
    with name_scope(name, "ParseSingleExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        if serialized.shape.ndims is not None and serialized.shape.ndims != 0:
            raise ValueError("Input serialized must be a scalar")
        outputs = apply_op("ParseSingleExample", serialized, *params.dense_defaults_vec(),
                           name="ParseSingleExample", num_sparse=len(params.sparse_keys),
                           sparse_keys=list(params.sparse_keys), dense_keys=list(params.dense_keys),
                           sparse_types=list(params.sparse_types), Tdense=list(params.dense_types),
                           dense_shapes=list(params.dense_shapes))
    sparse, dense = _split_outputs(outputs, len(params.sparse_keys))
    result = dict(zip(params.sparse_keys + params.dense_keys, sparse + dense))
    return build_composite_features(features, result)


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None, example_name=None,
                                  name=None):
    """Parse one serialized `tf.train.SequenceExample`, as `tf.parse_single_sequence_example`.

    Returns `(context, sequence)` dicts. Context features are FixedLenFeature or
    VarLenFeature; sequence features are FixedLenSequenceFeature (dense [steps, *shape];
    `allow_missing=True` gives [0, *shape] for a missing list) or VarLenFeature
    (SparseTensor with indices [step, position]).

        context, seq = tf.parse_single_sequence_example(
            record, {"length": tf.FixedLenFeature([], tf.int64)},
            {"tokens": tf.FixedLenSequenceFeature([], tf.int64)})
    """
    if not (context_features or sequence_features):
        raise ValueError("Missing features.")
    context = ParseOpParams.from_features(context_features, (VarLenFeature, FixedLenFeature))
    lists = ParseOpParams.from_features(sequence_features, (VarLenFeature, FixedLenSequenceFeature))
    missing_empty = []
    for key, value in lists.dense_defaults.items():
        if value is not None:
            raise ValueError(f"Value feature_list_dense_defaults[{key}] must be None")
        missing_empty.append(key)
    with name_scope(name, "ParseSingleSequenceExample", [serialized, example_name]):
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        if serialized.shape.ndims is not None and serialized.shape.ndims != 0:
            raise ValueError("Input serialized must be a scalar")
        debug_name = convert_to_tensor("" if example_name is None else example_name, dtype=dtypes.string)

        def keys(names):
            return [convert_to_tensor(k, dtype=dtypes.string) for k in names]

        outputs = apply_op(
            "ParseSingleSequenceExample", serialized,
            convert_to_tensor(missing_empty, dtype=dtypes.string, name="feature_list_dense_missing_assumed_empty"),
            *keys(context.sparse_keys), *keys(context.dense_keys), *keys(lists.sparse_keys),
            *keys(lists.dense_keys), *context.dense_defaults_vec(), debug_name,
            name="ParseSingleSequenceExample",
            Ncontext_sparse=len(context.sparse_keys), Ncontext_dense=len(context.dense_keys),
            Nfeature_list_sparse=len(lists.sparse_keys), Nfeature_list_dense=len(lists.dense_keys),
            context_sparse_types=list(context.sparse_types), Tcontext_dense=list(context.dense_types),
            feature_list_dense_types=list(lists.dense_types), context_dense_shapes=list(context.dense_shapes),
            feature_list_sparse_types=list(lists.sparse_types), feature_list_dense_shapes=list(lists.dense_shapes))
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    n_cs, n_cd, n_ls = len(context.sparse_keys), len(context.dense_keys), len(lists.sparse_keys)
    c_sparse, rest = _split_outputs(outputs, n_cs)
    c_dense, rest = rest[:n_cd], rest[n_cd:]
    l_sparse, l_dense = _split_outputs(rest, n_ls)
    return (dict(zip(context.sparse_keys + context.dense_keys, c_sparse + c_dense)),
            dict(zip(lists.sparse_keys + lists.dense_keys, l_sparse + l_dense)))


def parse_sequence_example(serialized, context_features=None, sequence_features=None, example_names=None,
                           name=None):
    """Parse a batch (a vector) of serialized `tf.train.SequenceExample`s, as `tf.io.parse_sequence_example`.

    Returns `(context, feature_lists, feature_list_lengths)` dicts: context FixedLenFeatures
    are [batch, *shape] (VarLenFeatures SparseTensors [batch, n]); sequence
    FixedLenSequenceFeatures are [batch, longest list, *shape], shorter lists padded with 0 or
    b"", their lengths in `feature_list_lengths`; sequence VarLenFeatures are SparseTensors
    [batch, step, position]. A scalar `serialized` parses one record, without the batch dimension.

        context, lists, lengths = tf.io.parse_sequence_example(
            records, {"label": tf.io.FixedLenFeature([], tf.int64)},
            {"tokens": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True)})
    """
    if not (context_features or sequence_features):
        raise ValueError("Both `context_features` and `sequence_features` argument are None, but at least one "
                         "should have values.")
    context = ParseOpParams.from_features(context_features, (VarLenFeature, FixedLenFeature))
    lists = ParseOpParams.from_features(sequence_features, (VarLenFeature, FixedLenSequenceFeature))
    for key, value in lists.dense_defaults.items():
        if value is not None:
            raise ValueError(f"Value feature_list.dense_defaults[{key}] must be None")
    with name_scope(name, "ParseSequenceExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, dtype=dtypes.string, name="serialized")
        if serialized.shape.ndims is not None and serialized.shape.ndims > 1:
            raise ValueError(f"Input serialized must be a scalar or a vector, got shape {serialized.shape}")
        debug_name = convert_to_tensor([] if example_names is None else example_names, dtype=dtypes.string,
                                       name="debug_name")

        def keys(names, label):
            return convert_to_tensor(list(names), dtype=dtypes.string, name=label)

        outputs = apply_op(
            "ParseSequenceExampleV2", serialized, debug_name, keys(context.sparse_keys, "context_sparse_keys"),
            keys(context.dense_keys, "context_dense_keys"), keys([], "context_ragged_keys"),
            keys(lists.sparse_keys, "feature_list_sparse_keys"), keys(lists.dense_keys, "feature_list_dense_keys"),
            keys([], "feature_list_ragged_keys"),
            convert_to_tensor([key in lists.dense_defaults for key in lists.dense_keys], dtype=dtypes.bool,
                              name="feature_list_dense_missing_assumed_empty"),
            *context.dense_defaults_vec(), name="ParseSequenceExampleV2",
            Ncontext_sparse=len(context.sparse_keys), Tcontext_dense=tuple(context.dense_types),
            context_sparse_types=tuple(context.sparse_types), context_dense_shapes=tuple(context.dense_shapes),
            Nfeature_list_sparse=len(lists.sparse_keys),
            Nfeature_list_dense=len(lists.dense_keys), feature_list_dense_types=tuple(lists.dense_types),
            feature_list_sparse_types=tuple(lists.sparse_types), feature_list_dense_shapes=tuple(lists.dense_shapes))
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    n_cs, n_cd, n_ls, n_ld = len(context.sparse_keys), len(context.dense_keys), len(lists.sparse_keys), \
        len(lists.dense_keys)
    c_sparse, rest = _split_outputs(outputs, n_cs)
    c_dense, rest = rest[:n_cd], rest[n_cd:]
    l_sparse, rest = _split_outputs(rest, n_ls)
    l_dense, lengths = rest[:n_ld], rest[n_ld:]
    return (dict(zip(context.sparse_keys + context.dense_keys, c_sparse + c_dense, strict=True)),
            dict(zip(lists.sparse_keys + lists.dense_keys, l_sparse + l_dense, strict=True)),
            dict(zip(lists.dense_keys, lengths, strict=True)))
