"""Column base classes, the per-call transformation cache, and the checks every column shares.

A column describes a transform; it builds no ops until `input_layer` or `linear_model` asks
it for a tensor through a `LazyBuilder`, which transforms each column (and each raw
feature) once per call however many columns read it. TF1's protocol names are kept
(`_transform_feature`, `_get_dense_tensor`, `_get_sparse_tensors`, `_variable_shape`,
`_num_buckets`, `_parse_example_spec`), so a TF1 custom column subclassing these runs.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator

from estflow.core import dtypes
from estflow.core.graph import Tensor, control_dependencies, get_default_graph, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    gather_ops,
    sparse_ops,
)
from estflow.core.ops.constant_op import constant
from estflow.core.sparse_tensor import SparseTensor, convert_to_tensor_or_sparse_tensor
from estflow.library.parsing_config import VarLenFeature


class FeatureColumn:
    """A feature column (TF1's `_FeatureColumn`): a name, a parsing spec and a transform."""

    __slots__ = ()

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def _var_scope_name(self) -> str:
        """The variable scope its variables live under: its name, except for shared embeddings."""
        return self.name

    @property
    def _parse_example_spec(self) -> dict:
        raise NotImplementedError

    def _transform_feature(self, inputs: LazyBuilder):
        raise NotImplementedError


class DenseColumn(FeatureColumn):
    """A column that gives a dense float tensor (TF1's `_DenseColumn`)."""

    __slots__ = ()

    @property
    def _variable_shape(self):
        raise NotImplementedError

    def _get_dense_tensor(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> Tensor:
        raise NotImplementedError


class CategoricalColumn(FeatureColumn):
    """A column that gives sparse ids, maybe with weights (TF1's `_CategoricalColumn`)."""

    __slots__ = ()

    IdWeightPair = collections.namedtuple("IdWeightPair", ("id_tensor", "weight_tensor"))

    @property
    def _num_buckets(self) -> int:
        raise NotImplementedError

    def _get_sparse_tensors(self, inputs: LazyBuilder, weight_collections=None, trainable=None) -> IdWeightPair:
        raise NotImplementedError

    def _get_dense_ids(self, inputs: LazyBuilder):
        """The ids as a `DenseIds` where the input is dense, else None (the sparse path)."""
        return None


class DenseOfCategoricalColumn(DenseColumn):
    """A dense column over `categorical_column` (indicator, embedding): its name is the categorical
    column's plus `_name_suffix`, and it parses and transforms what that column does."""

    __slots__ = ()
    _shareable_transform = True  # a pure function of its features: shared across calls (LazyBuilder)
    _name_suffix = ""

    @property
    def name(self) -> str:
        return f"{self.categorical_column.name}{self._name_suffix}"

    @property
    def _parse_example_spec(self) -> dict:
        return self.categorical_column._parse_example_spec


class KeyedCategoricalColumn(CategoricalColumn):
    """A categorical column over one feature `key` of variable length (`dtype`, parsed as a VarLenFeature)."""

    __slots__ = ()
    _shareable_transform = True  # a pure function of its features: shared across calls (LazyBuilder)

    @property
    def name(self) -> str:
        return self.key

    @property
    def _parse_example_spec(self) -> dict:
        return {self.key: VarLenFeature(self.dtype)}


def id_weight_pair(column, inputs: LazyBuilder):
    """`_get_sparse_tensors` of a column whose transform gives a SparseTensor or `DenseIds`."""
    transformed = inputs.get(column)
    if isinstance(transformed, DenseIds):
        ids, weights = inputs.cached(("sparse", column), lambda: dense_ids_to_sparse(transformed))
        return CategoricalColumn.IdWeightPair(ids, weights)
    return CategoricalColumn.IdWeightPair(transformed, None)


def dense_ids(column, inputs: LazyBuilder):
    """`_get_dense_ids` of a column whose transform gives a SparseTensor or `DenseIds`."""
    transformed = inputs.get(column)
    return transformed if isinstance(transformed, DenseIds) else None


class DenseIds(collections.namedtuple("DenseIds", ("ids", "weights", "all_present"), defaults=(False,))):
    """A categorical column's ids as a dense [batch, n] int64 tensor, a negative id meaning none,
    with their float32 weights ([batch, n]) or None. `ids` is [batch] (one id per example)
    where the feature was fed with rank 1, and `all_present` says no id can be negative
    (bucketized and crossed ids), so no mask is built.

    Columns fed dense tensors give their ids this way, so indicator, embedding and linear
    columns combine them with a few dense ops (one-hot sums, gathers) instead of TF1's
    sparse pipeline (Where, GatherNd, SparseFillEmptyRows, Unique, segment sums): the same
    values, a fraction of the ops. SparseTensor inputs keep the sparse path.
    """

    __slots__ = ()


_SHARED_CACHE = "_feature_column_transforms"


class LazyBuilder:
    """The features of one `input_layer` / `linear_model` call, each transformed once on demand.

    `get("age")` gives the raw feature as a Tensor or SparseTensor of rank >= 2 (rank-1
    inputs gain a trailing dimension of 1, as TF1 does); `get(column)` gives the column's
    transformed feature, built on first use and cached for the call. A built-in column's
    transform of graph tensors is also shared with later calls in the same graph (outside
    `tf.cond` branches): `input_layer` and `linear_model` over the same features then look
    each vocabulary and hash up once, as a hand-written program would.
    """

    def __init__(self, features):
        self._features = features.copy()
        self._feature_tensors: dict = {}

    def get(self, key):
        if key in self._feature_tensors:
            return self._feature_tensors[key]
        if isinstance(key, str):
            feature = self._raw_feature(key)
        elif isinstance(key, FeatureColumn):
            feature = self._transform(key)
        else:
            raise TypeError(f'"key" must be either a "str" or "_FeatureColumn". Provided: {key}')
        self._feature_tensors[key] = feature
        return feature

    def converted(self, key: str):
        """Feature `key` as given (a Tensor or SparseTensor of its own rank), converted once per call."""
        return self.cached(("converted", key), lambda: convert_to_tensor_or_sparse_tensor(self._features[key]))

    def cached(self, key, build):
        """`build()` once per call for an internal `key` (a column's dense or sparse ids)."""
        if key not in self._feature_tensors:
            self._feature_tensors[key] = build()
        return self._feature_tensors[key]

    def _transform(self, column):
        shared, key, raw = self._shared_cache(column)
        if key is not None and key in shared:
            return shared[key][1]
        feature = column._transform_feature(self)
        if feature is None:
            raise ValueError(f"Column {column.name} is not supported.")
        if key is not None:
            shared[key] = (raw, feature)  # holds the tensors whose ids are the key, so no id is reused
        return feature

    def _shared_cache(self, column):
        """(the graph's transform cache, this column's key in it, the raw features it reads), or Nones
        when the transform is not shared."""
        if not getattr(type(column), "_shareable_transform", False):
            return None, None, None
        graph = get_default_graph()
        if graph._cond_context is not None:
            return None, None, None
        try:
            keys = sorted(column._parse_example_spec)
        except ValueError:  # a spec that cannot be built (a weight key equal to the id key): no sharing
            return None, None, None
        raw = [self._features.get(k) for k in keys]
        if not all(isinstance(f, (Tensor, SparseTensor)) and f.graph is graph for f in raw):
            return None, None, None
        shared = graph.__dict__.setdefault(_SHARED_CACHE, {})
        return shared, (column, *(id(f) for f in raw)), raw

    def _raw_feature(self, key: str):
        if key not in self._features:
            raise ValueError(f"Feature {key} is not in features dictionary. The features given are "
                             f"{sorted(map(str, self._features))}: add {key!r} to the features (the input_fn's "
                             f"first result), or remove the columns that read it.")
        feature = self.converted(key)
        rank = feature.shape.ndims
        if rank == 0:
            raise ValueError(f"Feature (key: {key}) cannot have rank 0. Given: {feature}. Give one value per "
                             "example: a batch of shape [batch] or [batch, n].")
        if rank == 1:
            return _expand_dims(feature)
        if rank is not None:
            return feature
        if isinstance(feature, SparseTensor):
            return feature  # an unknown-rank SparseTensor keeps its rank (as TF1: no cond over sparse parts)
        check = control_flow_ops.Assert(comparison_ops.greater(array_ops.rank(feature), 0),
                                        [f"Feature (key: {key}) cannot have rank 0."])
        with control_dependencies([check]):
            return control_flow_ops.cond(comparison_ops.equal(1, array_ops.rank(feature)),
                                         lambda: _expand_dims(feature), lambda: array_ops.identity(feature))


def _expand_dims(feature):
    if isinstance(feature, SparseTensor):
        one = constant(1, dtype=dtypes.int64)
        return sparse_ops.sparse_reshape(feature, concat_ops.stack([feature.dense_shape[0], one]))
    return array_ops.expand_dims(feature, -1)


def to_sparse_input_and_drop_ignore_values(input_tensor, ignore_value=None) -> SparseTensor:
    """A dense feature as a SparseTensor without its missing entries ("" for strings, -1 for ints).

    A SparseTensor passes through unchanged. Floats drop `ignore_value` (default 0.0).
    """
    input_tensor = convert_to_tensor_or_sparse_tensor(input_tensor)
    if isinstance(input_tensor, SparseTensor):
        return input_tensor
    with name_scope(None, "to_sparse_input", [input_tensor]):
        if ignore_value is None:
            if input_tensor.dtype == dtypes.string:
                ignore_value = b""
            elif input_tensor.dtype.is_integer:
                ignore_value = -1
            else:
                ignore_value = 0.0
        ignore = constant(ignore_value, dtype=input_tensor.dtype, name="ignore_value")
        indices = gather_ops.where(comparison_ops.not_equal(input_tensor, ignore), name="indices")
        return SparseTensor(indices=indices, values=gather_ops.gather_nd(input_tensor, indices, name="values"),
                            dense_shape=array_ops.shape(input_tensor, out_type=dtypes.int64, name="dense_shape"))


def dense_ids_to_sparse(dense: DenseIds) -> tuple:
    """(ids, weights) SparseTensors holding the present (non-negative) ids of `dense`."""
    with name_scope(None, "to_sparse_ids"):
        ids, weights = dense.ids, dense.weights
        if ids.shape.ndims == 1:  # one id per example: [batch, 1]
            ids = array_ops.expand_dims(ids, -1)
            weights = None if weights is None else array_ops.expand_dims(weights, -1)
        indices = gather_ops.where(comparison_ops.greater_equal(ids, constant(0, ids.dtype)))
        shape = array_ops.shape(ids, out_type=dtypes.int64)
        sparse_ids = SparseTensor(indices, gather_ops.gather_nd(ids, indices), shape)
        sparse_weights = None if weights is None else SparseTensor(indices, gather_ops.gather_nd(weights, indices),
                                                                   shape)
        return sparse_ids, sparse_weights


def dense_input(inputs: LazyBuilder, key: str):
    """Feature `key` for the dense-ids path: a [batch, n] Tensor, or the [batch] Tensor given (one value per
    example, used without the trailing dimension); None for sparse or other ranks."""
    feature = inputs.get(key)
    if not isinstance(feature, Tensor) or feature.shape.ndims != 2:
        return None
    given = inputs.converted(key)
    return given if isinstance(given, Tensor) and given.shape.ndims == 1 else feature


def missing_as_negative(ids: Tensor, raw: Tensor) -> Tensor:
    """`ids` with -1 where the dense feature `raw` holds its missing value ("" or -1)."""
    missing = constant(b"" if raw.dtype == dtypes.string else -1, dtype=raw.dtype)
    return comparison_ops.where_v2(comparison_ops.equal(raw, missing), constant(-1, dtypes.int64), ids)


def cast_sparse_values(sp: SparseTensor, dtype) -> SparseTensor:
    if sp.dtype == dtype:
        return sp
    return sp.with_values(cast_ops.cast(sp.values, dtype))


def assert_key_is_string(key) -> None:
    if not isinstance(key, str):
        raise ValueError(f"key must be a string. Got: type {type(key)}. Given key: {key}")


def assert_string_or_int(dtype, prefix: str) -> None:
    dtype = dtypes.as_dtype(dtype).base_dtype
    if dtype != dtypes.string and not dtype.is_integer:
        raise ValueError(f"{prefix} dtype must be string or integer. dtype: {dtype}.")


def check_input_dtype(column, key: str, column_dtype, input_dtype) -> None:
    """A categorical column's input must be strings or ints of the column's kind (ValueError says how to fix)."""
    column_dtype, input_dtype = dtypes.as_dtype(column_dtype), dtypes.as_dtype(input_dtype)
    fix = (f"Feed feature {key!r} as {'integers' if column_dtype.is_integer else 'strings'}, or build the column "
           f"with dtype={'tf.string' if input_dtype == dtypes.string else 'tf.int64'}")
    if input_dtype != dtypes.string and not input_dtype.is_integer:
        raise ValueError(f"column_name: {column.name} input_tensor dtype must be string or integer. dtype: "
                         f"{input_dtype}. {fix}: a categorical column maps strings or integer ids, never "
                         "floats (bucketize numbers with bucketized_column).")
    if column_dtype.is_integer != input_dtype.is_integer:
        raise ValueError(f"Column dtype and SparseTensors dtype must be compatible. key: {key}, column dtype: "
                         f"{column_dtype}, tensor dtype: {input_dtype}. {fix}.")


def normalize_feature_columns(feature_columns) -> list:
    """`feature_columns` as a non-empty list of columns with distinct names (TF1's checks)."""
    if isinstance(feature_columns, FeatureColumn):
        feature_columns = [feature_columns]
    if isinstance(feature_columns, Iterator):
        feature_columns = list(feature_columns)
    if isinstance(feature_columns, dict):
        raise ValueError("Expected feature_columns to be iterable, found dict.")
    feature_columns = list(feature_columns)
    for column in feature_columns:
        if not isinstance(column, FeatureColumn):
            raise ValueError(f"Items of feature_columns must be a _FeatureColumn. Given (type {type(column)}): "
                             f"{column}.")
    if not feature_columns:
        raise ValueError("feature_columns must not be empty.")
    seen: dict = {}
    for column in feature_columns:
        if column.name in seen:
            raise ValueError(f"Duplicate feature column name found for columns: {column} and {seen[column.name]}. "
                             "This usually means that these columns refer to same base feature. Either one must "
                             "be discarded or a duplicated but renamed item must be inserted in features dict.")
        seen[column.name] = column
    return feature_columns


def verify_static_batch_size_equality(tensors, columns) -> None:
    """ValueError when two columns' outputs have different known batch sizes."""
    expected = None
    for i, tensor in enumerate(tensors):
        dims = tensor.shape.as_tuple()
        batch = dims[0] if dims else None
        if batch is None:
            continue
        if expected is None:
            expected = i, batch
        elif expected[1] != batch:
            raise ValueError("Batch size (first dimension) of each feature must be same. Batch size of columns "
                             f"({columns[expected[0]].name}, {columns[i].name}): ({expected[1]}, {batch})")
