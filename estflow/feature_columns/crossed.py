"""`crossed_column`: hashed combinations of several categorical features."""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.ops import array_ops, hash_ops
from estflow.feature_columns.base import CategoricalColumn, DenseIds, LazyBuilder, dense_ids, id_weight_pair
from estflow.feature_columns.categorical import HashedCategoricalColumn
from estflow.feature_columns.numeric import BucketizedColumn
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
    _shareable_transform = True  # a pure function of its features: shared across calls (LazyBuilder)

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

    def _transform_feature(self, inputs: LazyBuilder):
        """TF's SparseCross inputs: raw features for string keys, ids for columns (SparseTensors first).

        Bucketized keys have an id for every example, so where they are the only sparse inputs
        they enter densely, still ahead of the raw features (the fold order TF's op gives them);
        with every input dense, each example has the same number of crosses and the result is a
        `DenseIds` [batch, n] instead of a SparseTensor.
        """
        leaves = _leaf_keys(self)
        raw = {key: inputs.get(key) for key in leaves if isinstance(key, str)}
        dense_capable = all(isinstance(t, Tensor) and t.shape.ndims == 2 for t in raw.values()) and all(
            isinstance(key, BucketizedColumn) for key in leaves if not isinstance(key, str))
        if dense_capable:
            bucketized = [key._ids_matrix(inputs) for key in leaves if not isinstance(key, str)]
            tensors = bucketized + [raw[key] for key in leaves if isinstance(key, str)]
            widths = [t.shape.as_tuple()[1] for t in tensors]
            if all(w is not None for w in widths):
                crossed = hash_ops.sparse_cross_hashed(tensors, num_buckets=self.hash_bucket_size,
                                                       hash_key=self.hash_key)
                per_example = 1
                for w in widths:
                    per_example *= w
                if per_example == 1:  # one cross per example: the values are the [batch] ids
                    return DenseIds(crossed.values, None, all_present=True)
                return DenseIds(array_ops.reshape(crossed.values, [-1, per_example]), None, all_present=True)
        feature_tensors = []
        for key in leaves:
            if isinstance(key, str):
                feature_tensors.append(raw[key])
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
        return id_weight_pair(self, inputs)

    def _get_dense_ids(self, inputs: LazyBuilder):
        return dense_ids(self, inputs)


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
