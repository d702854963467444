"""Feature configurations for parsing `tf.train.Example`s, as TF1's `tf.FixedLenFeature` and friends.

A features dict maps each key of the Examples to how it is parsed:

    features = {
        "age": tf.FixedLenFeature([], tf.float32, default_value=-1.0),   # dense, one value per example
        "tags": tf.VarLenFeature(tf.string),                            # SparseTensor [batch, n]
        "frames": tf.FixedLenSequenceFeature([2], tf.int64, allow_missing=True),  # dense [batch, ?, 2]
        "sparse": tf.SparseFeature("idx", "val", tf.float32, size=100),  # SparseTensor [batch, 100]
    }

`ParseOpParams.from_features` turns such a dict into the raw lists the parse ops take
(sparse keys and types, dense keys, types, shapes and defaults), with TF's validation and
messages; `build_composite_features` assembles SparseFeatures from their parsed parts.
"""

from __future__ import annotations

import collections
import re

from estflow.core import dtypes
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import array_ops, cast_ops, concat_ops, sparse_ops
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape, as_shape


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """Parse a variable-length feature into a `SparseTensor` (indices [example, position])."""

    __slots__ = ()


class SparseFeature(collections.namedtuple("SparseFeature",
                                           ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """Parse a sparse feature stored as index and value features into a `SparseTensor`.

    `index_key` names the int64 feature (or a list of them, one per dimension) holding the
    positions, `value_key` the feature holding the values, `size` the dense shape (a list
    when `index_key` is a list).

        tf.SparseFeature(index_key="ix", value_key="val", dtype=tf.float32, size=100)
    """

    __slots__ = ()

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super().__new__(cls, index_key, value_key, dtype, size, already_sorted)


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """Parse a fixed-size feature into a dense `Tensor` of `shape` per example.

    Without `default_value` the feature is required: an Example missing it fails to parse.
    """

    __slots__ = ()

    def __new__(cls, shape, dtype, default_value=None):
        return super().__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple("FixedLenSequenceFeature",
                                                     ["shape", "dtype", "allow_missing", "default_value"])):
    """Parse a variable number of `shape`-sized blocks into a dense `Tensor` of shape `[None] + shape`.

    In a batch of Examples, shorter examples are padded with `default_value` (0 or "").
    `parse_example` needs `allow_missing=True`.
    """

    __slots__ = ()

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super().__new__(cls, shape, dtype, allow_missing, default_value)


_ALLOWED_DTYPES = (dtypes.float32, dtypes.int64, dtypes.string)


def _check_dtype(dtype, key):
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype not in _ALLOWED_DTYPES:
        raise ValueError(f"Feature {key} has dtype {dtype.name}; Examples hold only float32 (FloatList), int64 "
                         "(Int64List) and string (BytesList) values.")
    return dtype


class ParseOpParams:
    """The raw parameters of the parse ops for one features dict (TF's `_ParseOpParams`)."""

    def __init__(self):
        self.sparse_keys: list[str] = []
        self.sparse_types: list = []
        self.dense_keys: list[str] = []
        self.dense_types: list = []
        self.dense_shapes: list[TensorShape] = []
        self.dense_defaults: dict = {}

    @classmethod
    def from_features(cls, features, types) -> ParseOpParams:
        """Params for `features`, allowing only feature configs of the classes in `types`."""
        params = cls()
        if features:
            for key in sorted(features):  # sorted, as TF, so graphs are deterministic
                feature = features[key]
                if not isinstance(feature, tuple(types)):
                    raise ValueError(f"Unsupported {type(feature).__name__} {feature}.")
                params._add_feature(key, feature)
        params._validate()
        return params

    def _add_feature(self, key, feature) -> None:
        if isinstance(feature, VarLenFeature):
            if not feature.dtype:
                raise ValueError(f"Missing type for feature {key}.")
            self._add_sparse_key(key, _check_dtype(feature.dtype, key))
        elif isinstance(feature, SparseFeature):
            self._add_sparse_feature(key, feature)
        elif isinstance(feature, FixedLenFeature):
            self._add_fixed_len_feature(key, feature)
        elif isinstance(feature, FixedLenSequenceFeature):
            if not feature.dtype:
                raise ValueError(f"Missing type for feature {key}.")
            if feature.shape is None:
                raise ValueError(f"Missing shape for feature {key}.")
            self.dense_keys.append(key)
            self.dense_shapes.append(as_shape(feature.shape))
            self.dense_types.append(_check_dtype(feature.dtype, key))
            if feature.allow_missing:
                self.dense_defaults[key] = None
            if feature.default_value is not None:
                self.dense_defaults[key] = feature.default_value
        else:
            raise ValueError(f"Invalid feature {key}:{feature}.")

    def _add_sparse_key(self, key, dtype) -> None:
        if key in self.sparse_keys:
            original = self.sparse_types[self.sparse_keys.index(key)]
            if original != dtype:
                raise ValueError(f"Conflicting type {original} vs {dtype} for feature {key}.")
        else:
            self.sparse_keys.append(key)
            self.sparse_types.append(dtype)

    def _add_sparse_feature(self, key, feature) -> None:
        if not feature.index_key:
            raise ValueError(f"Missing index_key for SparseFeature {feature}.")
        if not feature.value_key:
            raise ValueError(f"Missing value_key for SparseFeature {feature}.")
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}.")
        index_keys = [feature.index_key] if isinstance(feature.index_key, str) else list(feature.index_key)
        for index_key in sorted(index_keys):
            self._add_sparse_key(index_key, dtypes.int64)
        self._add_sparse_key(feature.value_key, _check_dtype(feature.dtype, key))

    def _add_fixed_len_feature(self, key, feature) -> None:
        if not feature.dtype:
            raise ValueError(f"Missing type for feature {key}.")
        if feature.shape is None:
            raise ValueError(f"Missing shape for feature {key}.")
        shape = as_shape(feature.shape)
        if feature.shape and shape.ndims and shape.dims[0].value is None:
            raise ValueError(f"First dimension of shape for feature {key} unknown. "
                             "Consider using FixedLenSequenceFeature.")
        if not shape.is_fully_defined():
            raise ValueError(f"All dimensions of shape for feature {key} need to be known but received "
                             f"{feature.shape}.")
        self.dense_keys.append(key)
        self.dense_shapes.append(shape)
        self.dense_types.append(_check_dtype(feature.dtype, key))
        if feature.default_value is not None:
            self.dense_defaults[key] = feature.default_value

    def _validate(self) -> None:
        dense, sparse = set(self.dense_keys), set(self.sparse_keys)
        if not dense.isdisjoint(sparse):
            raise ValueError(f"Dense and sparse keys must not intersect; intersection: {dense & sparse}")

    @property
    def num_features(self) -> int:
        return len(self.dense_keys) + len(self.sparse_keys)

    def dense_defaults_vec(self) -> list[Tensor]:
        """One default tensor per dense key: empty (required), the default reshaped, or a padding scalar."""
        return [self._dense_default(k, s, t) for k, s, t in zip(self.dense_keys, self.dense_shapes, self.dense_types)]

    def _dense_default(self, key, shape: TensorShape, dtype) -> Tensor:
        default = self.dense_defaults.get(key)
        if shape.ndims and shape.dims[0].value is None:
            # A variable number of blocks: the default is the scalar that pads short examples.
            if default is None:
                return convert_to_tensor("" if dtype == dtypes.string else 0, dtype=dtype)
            name = "padding_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)
            return array_ops.reshape(convert_to_tensor(default, dtype=dtype, name=name), [])
        if default is None:
            return constant([], dtype=dtype)
        if isinstance(default, Tensor):
            return default
        name = "key_" + re.sub(r"[^A-Za-z0-9_.\-/]", "_", key)
        return array_ops.reshape(convert_to_tensor(default, dtype=dtype, name=name), shape.as_list())


def prepend_none_dimension(features):
    """FixedLenSequenceFeatures with a leading unknown dimension, as parse_example parses them."""
    if not features:
        return features
    out = dict(features)
    for key, feature in features.items():
        if isinstance(feature, FixedLenSequenceFeature):
            if not feature.allow_missing:
                raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to be True.")
            out[key] = FixedLenSequenceFeature([None] + list(feature.shape), feature.dtype, feature.allow_missing,
                                               feature.default_value)
    return out


def build_composite_features(features, tensor_dict) -> dict:
    """Replace the parts of each SparseFeature by the SparseTensor they make; drop parts nobody asked for."""
    tensor_dict = dict(tensor_dict)
    updates = {}
    for key in sorted(features):
        feature = features[key]
        if isinstance(feature, SparseFeature):
            if isinstance(feature.index_key, str):
                ids, size = [tensor_dict[feature.index_key]], [feature.size]
            else:
                ids, size = [tensor_dict[k] for k in feature.index_key], list(feature.size)
            updates[key] = _merge_sparse(ids, tensor_dict[feature.value_key], size, feature.already_sorted,
                                         sparse_ops)
    tensor_dict.update(updates)
    for key in set(tensor_dict) - set(features):
        del tensor_dict[key]
    return tensor_dict


def _merge_sparse(sp_ids: list, sp_values, sizes: list, already_sorted: bool, sparse_ops):
    """TF1's sparse_merge over a list of id SparseTensors: each id column replaces the last index column."""
    if len(sp_ids) != len(sizes):
        raise ValueError(f"SparseFeature size {sizes} must have one entry per index_key ({len(sp_ids)}).")
    with name_scope(None, "SparseMerge", [sp_values]):
        ids = [array_ops.reshape(cast_ops.cast(sp.values, dtypes.int64), [-1, 1]) for sp in sp_ids]
        kept = sp_ids[0].indices[:, :-1]
        indices = concat_ops.concat([kept] + ids, 1)
        sizes = cast_ops.cast(concat_ops.stack([s if isinstance(s, Tensor) else int(s) for s in sizes]),
                              dtypes.int64)
        shape = concat_ops.concat([sp_ids[0].dense_shape[:-1], sizes], 0)
        result = SparseTensor(indices, sp_values.values, shape)
        if already_sorted:
            return result
        ordered = sparse_ops.sparse_reorder(result)
        return SparseTensor(ordered.indices, ordered.values, shape)
