"""`crossed_column`: hashed combinations of several categorical features."""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.ops import hash_ops
from estflow.core.sparse_tensor import SparseTensor
from estflow.feature_columns.base import CategoricalColumn, LazyBuilder
from estflow.feature_columns.categorical import HashedCategoricalColumn
from estflow.library.parsing_config import VarLenFeature


def _leaf_keys(column) -> list:
    """The string keys and columns a cross reads, crosses inside it flattened (in the order given)."""
    keys = []
    for key in column.keys:
        keys.extend(_leaf_keys(key) if isinstance(key, CrossedColumn) else [key])
    return keys


class CrossedColumn(CategoricalColumn, collections.namedtuple("CrossedColumn", ("keys", "hash_bucket_size",
                                                                                "hash_key"))):
    """Hashed crosses of features; see `crossed_column`."""

    __slots__ = ()

    @property
    def name(self) -> str:
        return "_X_".join(sorted(key if isinstance(key, str) else key.name for key in _leaf_keys(self)))

    @property
    def _parse_example_spec(self) -> dict:
        config: dict = {}
        for key in self.keys:
            if isinstance(key, str):
                config[key] = VarLenFeature(dtypes.string)
            else:
                config.update(key._parse_example_spec)
        return config

    @property
    def _num_buckets(self) -> int:
        return self.hash_bucket_size

    def _transform_feature(self, inputs: LazyBuilder) -> SparseTensor:
        feature_tensors = []
        for key in _leaf_keys(self):
            if isinstance(key, str):
                feature_tensors.append(inputs.get(key))
                continue
            ids_and_weights = key._get_sparse_tensors(inputs)
            if ids_and_weights.weight_tensor is not None:
                raise ValueError("crossed_column does not support weight_tensor, but the given column populates "
                                 f"weight_tensor. Given column: {key.name}")
            feature_tensors.append(ids_and_weights.id_tensor)
        return hash_ops.sparse_cross_hashed(feature_tensors, num_buckets=self.hash_bucket_size,
                                            hash_key=self.hash_key)

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        del weight_collections, trainable  # no variables: TF1's signature
        return CategoricalColumn.IdWeightPair(inputs.get(self), None)


def crossed_column(keys, hash_bucket_size, hash_key=None) -> CrossedColumn:
    """A categorical column of feature combinations: each example's values of `keys`, crossed and hashed.

    `keys` are feature names (their raw strings or ints are crossed; a dense "" is crossed
    too, as in TF) or categorical columns (their ids are crossed), not hash-bucket columns.
    Ids are FingerprintCat64 folds from `hash_key` (default 0xDECAFCAFFE) modulo
    `hash_bucket_size`, as TF computes them.

        tf.feature_column.crossed_column(["education", "occupation"], hash_bucket_size=1000)
    """
    if not hash_bucket_size or hash_bucket_size < 1:
        raise ValueError(f"hash_bucket_size must be > 1. hash_bucket_size: {hash_bucket_size}")
    if not keys or len(keys) < 2:
        raise ValueError(f"keys must be a list with length > 1. Given: {keys}")
    for key in keys:
        if not isinstance(key, (str, CategoricalColumn)):
            raise ValueError("Unsupported key type. All keys must be either string, or categorical column except "
                             f"HashedCategoricalColumn. Given: {key}")
        if isinstance(key, HashedCategoricalColumn):
            raise ValueError("categorical_column_with_hash_bucket is not supported for crossing. Hashing before "
                             "crossing will increase probability of collision. Instead, use the feature name as a "
                             f"string. Given: {key}")
    return CrossedColumn(tuple(keys), hash_bucket_size, hash_key)
