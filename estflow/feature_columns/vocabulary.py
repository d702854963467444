"""`categorical_column_with_vocabulary_list` and `categorical_column_with_vocabulary_file`: ids by lookup table."""

from __future__ import annotations

import collections

import numpy as np

from estflow.core import dtypes
from estflow.core.ops import cast_ops
from estflow.data import gfile
from estflow.feature_columns.base import (
    DenseIds,
    KeyedCategoricalColumn,
    LazyBuilder,
    assert_key_is_string,
    assert_string_or_int,
    check_input_dtype,
    dense_ids,
    dense_input,
    id_weight_pair,
    missing_as_negative,
    to_sparse_input_and_drop_ignore_values,
)
from estflow.library import lookup_ops


class _VocabularyColumn(KeyedCategoricalColumn):
    """What both vocabulary columns share: a table lookup of dense or sparse keys."""

    __slots__ = ()

    def _table(self, key_dtype):
        raise NotImplementedError

    def _transform_feature(self, inputs: LazyBuilder):
        raw = dense_input(inputs, self.key)
        keys = raw if raw is not None else to_sparse_input_and_drop_ignore_values(inputs.get(self.key))
        check_input_dtype(self, self.key, self.dtype, keys.dtype)
        key_dtype = self.dtype
        if keys.dtype.is_integer:
            key_dtype = dtypes.int64
            keys = cast_ops.cast(keys, dtypes.int64) if raw is not None else keys.with_values(
                cast_ops.cast(keys.values, dtypes.int64))
        ids = self._table(key_dtype).lookup(keys)
        if raw is None:
            return ids
        if self._missing_key_has_an_id():
            ids = missing_as_negative(ids, raw)
        return DenseIds(ids, None)

    def _missing_key_has_an_id(self) -> bool:
        """Whether looking up the missing value ("" or -1) gives an id, which must then be masked."""
        return bool(self.num_oov_buckets) or self.default_value != -1 or self._contains_missing_key()

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None):
        del weight_collections, trainable  # no variables: TF1's signature
        return id_weight_pair(self, inputs)

    def _get_dense_ids(self, inputs: LazyBuilder):
        return dense_ids(self, inputs)


class VocabularyListCategoricalColumn(_VocabularyColumn, collections.namedtuple(
        "VocabularyListCategoricalColumn", ("key", "vocabulary_list", "dtype", "default_value", "num_oov_buckets"))):
    """Ids by position in an in-graph vocabulary; see `categorical_column_with_vocabulary_list`."""

    __slots__ = ()

    @property
    def _num_buckets(self) -> int:
        return len(self.vocabulary_list) + self.num_oov_buckets

    def _contains_missing_key(self) -> bool:
        missing = "" if self.dtype == dtypes.string else -1
        return any(v in (missing, b"") if self.dtype == dtypes.string else v == missing for v in self.vocabulary_list)

    def _table(self, key_dtype):
        return lookup_ops.index_table_from_tensor(vocabulary_list=tuple(self.vocabulary_list),
                                                  default_value=self.default_value,
                                                  num_oov_buckets=self.num_oov_buckets, dtype=key_dtype,
                                                  name=f"{self.key}_lookup")


def categorical_column_with_vocabulary_list(key, vocabulary_list, dtype=None, default_value=-1, num_oov_buckets=0):
    """A categorical column whose id is a value's position in `vocabulary_list`.

    A value not in the list gets `default_value` (-1: no id), or with `num_oov_buckets` one
    of that many extra ids after the vocabulary, by FarmHash (the ids TF gives). Missing
    entries of a dense input ("" or -1) have no id. The table is built into the graph, so
    run `tf.tables_initializer()` (Estimators do).

        color = tf.feature_column.categorical_column_with_vocabulary_list("color", ["R", "G", "B"])
    """
    if vocabulary_list is None or len(vocabulary_list) < 1:
        raise ValueError(f"vocabulary_list {vocabulary_list} must be non-empty, column_name: {key}")
    if len(set(vocabulary_list)) != len(vocabulary_list):
        raise ValueError(f"Duplicate keys in vocabulary_list {vocabulary_list}, column_name: {key}")
    vocabulary_dtype = dtypes.as_dtype(np.array(vocabulary_list).dtype)
    if num_oov_buckets:
        if default_value != -1:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    assert_string_or_int(vocabulary_dtype, prefix=f"column_name: {key} vocabulary")
    if dtype is None:
        dtype = vocabulary_dtype
    elif dtypes.as_dtype(dtype).is_integer != vocabulary_dtype.is_integer:
        raise ValueError(f"dtype {dtype} and vocabulary dtype {vocabulary_dtype} do not match, column_name: {key}")
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    assert_key_is_string(key)
    return VocabularyListCategoricalColumn(key, tuple(vocabulary_list), dtypes.as_dtype(dtype).base_dtype,
                                           default_value, num_oov_buckets)


class VocabularyFileCategoricalColumn(_VocabularyColumn, collections.namedtuple(
        "VocabularyFileCategoricalColumn",
        ("key", "vocabulary_file", "vocabulary_size", "num_oov_buckets", "dtype", "default_value"))):
    """Ids by line number in a vocabulary file; see `categorical_column_with_vocabulary_file`."""

    __slots__ = ()

    @property
    def _num_buckets(self) -> int:
        return self.vocabulary_size + self.num_oov_buckets

    def _contains_missing_key(self) -> bool:
        return True  # the file is read when the table is initialized: mask the missing value always

    def _table(self, key_dtype):
        return lookup_ops.index_table_from_file(vocabulary_file=self.vocabulary_file,
                                                num_oov_buckets=self.num_oov_buckets,
                                                vocab_size=self.vocabulary_size, default_value=self.default_value,
                                                key_dtype=key_dtype, name=f"{self.key}_lookup")


def categorical_column_with_vocabulary_file(key, vocabulary_file, vocabulary_size=None, num_oov_buckets=0,
                                            default_value=None, dtype=dtypes.string):
    """A categorical column whose id is a value's line number in `vocabulary_file` (one value a line).

    `vocabulary_size` (default: the file's line count) keeps only the first lines. Values not
    in the file get `default_value` (default -1: no id) or one of `num_oov_buckets` hashed ids.

        occupation = tf.feature_column.categorical_column_with_vocabulary_file("occupation", "occupations.txt")
    """
    if not vocabulary_file:
        raise ValueError(f"Missing vocabulary_file in {key}.")
    if vocabulary_size is None:
        if not gfile.exists(vocabulary_file):
            raise ValueError(f"vocabulary_file in {key} does not exist. Check the path {vocabulary_file!r}, or pass "
                             "vocabulary_size.")
        with gfile.GFile(vocabulary_file, mode="rb") as f:
            vocabulary_size = sum(1 for _ in f)
    if vocabulary_size < 1:
        raise ValueError(f"Invalid vocabulary_size in {key}.")
    if num_oov_buckets:
        if default_value is not None:
            raise ValueError(f"Can't specify both num_oov_buckets and default_value in {key}.")
        if num_oov_buckets < 0:
            raise ValueError(f"Invalid num_oov_buckets {num_oov_buckets} in {key}.")
    assert_string_or_int(dtype, prefix=f"column_name: {key}")
    assert_key_is_string(key)
    return VocabularyFileCategoricalColumn(key, vocabulary_file, vocabulary_size,
                                           0 if num_oov_buckets is None else num_oov_buckets,
                                           dtypes.as_dtype(dtype).base_dtype,
                                           -1 if default_value is None else default_value)
