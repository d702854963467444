"""Embedding lookups (`tf.nn.embedding_lookup`, `embedding_lookup_sparse`, `safe_embedding_lookup_sparse`).

A lookup is a gather, so the gradient reaching a table is an `IndexedSlices` holding only
the rows looked up, and optimizers update just those rows. A table may be split into a
list of shards; ids are assigned to shards as TF1 does:

- `"mod"`: id `i` lives in shard `i % n` at row `i // n`;
- `"div"`: shards hold contiguous id ranges, the first `total % n` shards one id more.

TF stitches the per-shard results with DynamicPartition / ParallelDynamicStitch; here the
partition is a `Where` per shard and the stitch a gather by the inverted permutation, which
gives the same values and the same per-shard sparse gradients.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import colocate_with, name_scope
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    reduction_ops,
    segment_ops,
    slicing_ops,
    sparse_ops,
    unary_ops,
)
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.partitioned_variables import PartitionedVariable
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape


def _as_param_list(params) -> list:
    if params is None:
        raise ValueError("params must be specified")
    if isinstance(params, PartitionedVariable):  # its parts are the shards, as TF1's lookup takes them
        return list(params)
    if isinstance(params, (list, tuple)):
        if not params:
            raise ValueError("Need at least one param")
        return list(params)
    return [params]


def _clip(embeddings, ids, max_norm):
    """Rows of `embeddings` rescaled to an l2 norm of at most `max_norm` (TF's clip_by_norm over the embedding axes)."""
    if max_norm is None:
        return embeddings
    ids_rank, params_rank = ids.shape.ndims, embeddings.shape.ndims
    if ids_rank is not None and params_rank is not None:
        axes = list(range(ids_rank, params_rank))
    else:
        axes = fill_ops.range_(array_ops.rank(ids), array_ops.rank(embeddings))
    with name_scope(None, "clip_by_norm", [embeddings, max_norm]):
        max_norm = convert_to_tensor(max_norm, dtype=embeddings.dtype, name="clip_norm")
        l2sum = reduction_ops.reduce_sum(embeddings * embeddings, axes, keepdims=True)
        positive = l2sum > 0
        # sqrt only where the sum is positive: the gradient of sqrt at 0 would be inf.
        safe = gather_ops.where(positive, l2sum, fill_ops.ones_like(l2sum))
        l2norm = gather_ops.where(positive, unary_ops.sqrt(safe), l2sum)
        return array_ops.identity(embeddings * max_norm / math_ops.maximum(l2norm, max_norm), name="clip")


def _num_total_ids(params, dtype):
    dims = [p.shape.as_tuple()[0] if p.shape.ndims else None for p in params]
    if all(d is not None for d in dims):
        return constant(sum(dims), dtype=dtype)
    sizes = [constant(d, dtype=dtypes.int32) if d is not None else array_ops.shape(p)[0]
             for d, p in zip(dims, params, strict=True)]
    return cast_ops.cast(reduction_ops.reduce_sum(concat_ops.stack(sizes)), dtype)


def _shard_assignments(flat_ids, params, partition_strategy):
    """(shard of each id, row of each id within its shard)."""
    n = len(params)
    if partition_strategy == "mod":
        return flat_ids % n, flat_ids // n
    if partition_strategy == "div":
        total = _num_total_ids(params, flat_ids.dtype)
        ids_per_partition = total // n
        extras = total % n
        shard = math_ops.maximum(flat_ids // (ids_per_partition + 1), (flat_ids - extras) // ids_per_partition)
        row = gather_ops.where(shard < extras, flat_ids % (ids_per_partition + 1),
                              (flat_ids - extras) % ids_per_partition)
        return shard, row
    raise ValueError(f"Unrecognized partition strategy: {partition_strategy}. Use 'mod' or 'div'.")


def _lookup_sharded(params, ids, partition_strategy, name):
    flat_ids = array_ops.reshape(ids, [-1])
    original_indices = fill_ops.range_(0, array_ops.size(flat_ids), 1)
    shard, rows = _shard_assignments(flat_ids, params, partition_strategy)
    shard = cast_ops.cast(shard, dtypes.int32)
    results, positions = [], []
    for p, table in enumerate(params):
        picked = array_ops.reshape(gather_ops.where(comparison_ops.equal(shard, p)), [-1])
        with colocate_with(table):
            results.append(gather_ops.gather(table, gather_ops.gather(rows, picked)))
        positions.append(gather_ops.gather(original_indices, picked))
    stacked = concat_ops.concat(results, 0)
    ret = gather_ops.gather(stacked, manipulation_ops.invert_permutation(concat_ops.concat(positions, 0)), name=name)
    element_shape = params[0].shape[1:] if params[0].shape.ndims is not None else TensorShape(None)
    for table in params[1:]:
        element_shape = element_shape.merge_with(table.shape[1:] if table.shape.ndims is not None else None)
    if element_shape.is_fully_defined():
        element_dims = element_shape.as_list()
    else:
        element_dims = array_ops.shape(params[0])[1:]
    ret = array_ops.reshape(ret, concat_ops.concat([array_ops.shape(ids), element_dims], 0))
    ret.set_shape(ids.shape.concatenate(element_shape))
    return ret


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """Rows `ids` of an embedding table (or of a table split into a list of shards), as `tf.nn.embedding_lookup`.

    The result has shape `shape(ids) + shape(params[0])[1:]`. With `max_norm`, each row
    is rescaled to an l2 norm of at most `max_norm`. Out-of-range ids raise at run time.

        table = tf.get_variable("emb", [10000, 16])
        vectors = tf.nn.embedding_lookup(table, ids)            # [batch, 16]
        grad = tf.gradients(tf.reduce_sum(vectors), table)[0]   # IndexedSlices: only the looked-up rows

    Raises ValueError for an empty `params` list or an unknown `partition_strategy`.
    `validate_indices` is TF1's deprecated flag: ids are always checked, whatever its value.
    """
    params = _as_param_list(params)
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"Unrecognized partition strategy: {partition_strategy}. Use 'mod' or 'div'.")
    with name_scope(name, "embedding_lookup", params + [ids]) as scope:
        params = [convert_to_tensor(p, name="params") for p in params]
        ids = convert_to_tensor(ids, name="ids")
        if len(params) == 1:
            with colocate_with(params[0]):
                result = _clip(gather_ops.gather(params[0], ids, name=scope), ids, max_norm)
            return array_ops.identity(result)
        return _clip(_lookup_sharded(params, ids, partition_strategy, scope), ids, max_norm)


_COMBINERS = ("mean", "sqrtn", "sum")


def embedding_lookup_sparse(params, sp_ids, sp_weights, partition_strategy="mod", name=None, combiner=None,
                            max_norm=None):
    """One combined embedding per row of a 2-D SparseTensor of ids, as `tf.nn.embedding_lookup_sparse`.

    Row `r` of the result combines the embeddings of the ids in row `r` of `sp_ids`, weighted
    by `sp_weights` (same indices; None: weight 1): `"sum"`, `"mean"` (divided by the summed
    weights) or `"sqrtn"` (divided by the root of the summed squared weights). The result
    has as many rows as the last non-empty row + 1, and with `sp_weights` an empty row before
    it is NaN for "mean" and "sqrtn" (0 / 0): TF1's rules. `safe_embedding_lookup_sparse`
    gives every row, empty ones as zeros.

        sp = tf.SparseTensor([[0, 0], [0, 1], [1, 0]], [3, 7, 1], [2, 2])
        tf.nn.embedding_lookup_sparse(table, sp, None, combiner="sum")   # [table[3] + table[7], table[1]]
    """
    if combiner is None:
        combiner = "mean"  # TF1's default (it logs that the default will become "sqrtn")
    if combiner not in _COMBINERS:
        raise ValueError("combiner must be one of 'mean', 'sqrtn' or 'sum'")
    params = _as_param_list(params)
    if not isinstance(sp_ids, SparseTensor):
        raise TypeError("sp_ids must be SparseTensor")
    ignore_weights = sp_weights is None
    if not ignore_weights:
        if not isinstance(sp_weights, SparseTensor):
            raise TypeError("sp_weights must be either None or SparseTensor")
        sp_ids.values.shape.assert_is_compatible_with(sp_weights.values.shape)
        sp_ids.indices.shape.assert_is_compatible_with(sp_weights.indices.shape)
        sp_ids.dense_shape.shape.assert_is_compatible_with(sp_weights.dense_shape.shape)
    with name_scope(name, "embedding_lookup_sparse", params + [sp_ids]) as scope:
        segment_ids = cast_ops.cast(sp_ids.indices[:, 0], dtypes.int32)
        ids, idx = gather_ops.unique(sp_ids.values)
        embeddings = embedding_lookup(params, ids, partition_strategy=partition_strategy, max_norm=max_norm)
        original_dtype = embeddings.dtype
        if embeddings.dtype == dtypes.float16:
            embeddings = cast_ops.cast(embeddings, dtypes.float32)
        if ignore_weights:
            combine = {"sum": segment_ops.sparse_segment_sum, "mean": segment_ops.sparse_segment_mean,
                       "sqrtn": segment_ops.sparse_segment_sqrt_n}[combiner]
            embeddings = combine(embeddings, idx, segment_ids, name=scope)
        else:
            embeddings = _weighted_combine(embeddings, idx, segment_ids, sp_weights.values, combiner, scope)
        if embeddings.dtype != original_dtype:
            embeddings = cast_ops.cast(embeddings, original_dtype)
        return embeddings


def _weighted_combine(embeddings, idx, segment_ids, weights, combiner, scope):
    if weights.dtype != embeddings.dtype:
        weights = cast_ops.cast(weights, embeddings.dtype)
    embeddings = gather_ops.gather(embeddings, idx)
    # weights [N] -> [N, 1, ...] to broadcast over the embedding dims.
    ones = fill_ops.fill(array_ops.expand_dims(array_ops.rank(embeddings) - 1, 0), 1)
    static_weights_shape = weights.shape
    weights = array_ops.reshape(weights, concat_ops.concat([array_ops.shape(weights), ones], 0))
    if embeddings.shape.ndims is not None:
        weights.set_shape(static_weights_shape.concatenate([1] * (embeddings.shape.ndims - 1)))
    embeddings = embeddings * weights
    if combiner == "sum":
        return segment_ops.segment_sum(embeddings, segment_ids, name=scope)
    embeddings = segment_ops.segment_sum(embeddings, segment_ids)
    if combiner == "mean":
        return math_ops.truediv(embeddings, segment_ops.segment_sum(weights, segment_ids), name=scope)
    weight_sum = segment_ops.segment_sum(math_ops.pow(weights, 2), segment_ids)
    return math_ops.truediv(embeddings, unary_ops.sqrt(weight_sum), name=scope)


def safe_embedding_lookup_sparse(embedding_weights, sparse_ids, sparse_weights=None, combiner="mean",
                                 default_id=None, name=None, partition_strategy="div", max_norm=None):
    """`embedding_lookup_sparse` that tolerates bad input, as TF1's `tf.nn.safe_embedding_lookup_sparse`.

    Ids < 0 are dropped, and so (unless `combiner="sum"`) are entries with a weight <= 0.
    A row left empty gets zeros, or the embedding of `default_id` when given. `sparse_ids`
    may have rank > 2: the result is `dense_shape[:-1] + [dim]`. Note the default
    `partition_strategy` is `"div"` here (TF1's), `"mod"` in `embedding_lookup_sparse`.

        ids = tf.SparseTensor([[0, 0], [0, 1]], [4, -1], [3, 2])    # rows 1 and 2 empty
        tf.nn.safe_embedding_lookup_sparse(table, ids)              # [table[4], 0, 0]
    """
    if embedding_weights is None:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    embedding_weights = list(embedding_weights) if isinstance(embedding_weights, (list, tuple, PartitionedVariable)) \
        else [embedding_weights]
    if not embedding_weights:
        raise ValueError(f"Missing embedding_weights {embedding_weights}.")
    dtype = sparse_weights.dtype if sparse_weights is not None else None
    tables = [convert_to_tensor(w, dtype=dtype) for w in embedding_weights]
    with name_scope(name, "embedding_lookup", tables + [sparse_ids.values]) as scope:
        original_shape = sparse_ids.dense_shape
        static_shape = sparse_ids.shape
        rank_dim = original_shape.shape.as_tuple()[0] if original_shape.shape.ndims == 1 else None
        original_rank = array_ops.size(original_shape) if rank_dim is None else rank_dim
        batch = reduction_ops.reduce_prod(
            slicing_ops.slice(original_shape, [0], array_ops.reshape(original_rank - 1, [1])))
        last = gather_ops.gather(original_shape, original_rank - 1)
        sparse_ids = sparse_ops.sparse_reshape(sparse_ids, concat_ops.stack([batch, last]))
        if sparse_weights is not None:
            sparse_weights = SparseTensor(sparse_ids.indices, sparse_weights.values, sparse_ids.dense_shape)
        sparse_ids, sparse_weights = _prune_invalid_ids(sparse_ids, sparse_weights)
        if combiner != "sum":
            sparse_ids, sparse_weights = _prune_invalid_weights(sparse_ids, sparse_weights)
        sparse_ids, is_row_empty = sparse_ops.sparse_fill_empty_rows(sparse_ids, default_id or 0)
        if sparse_weights is not None:
            sparse_weights, _ = sparse_ops.sparse_fill_empty_rows(sparse_weights, 1.0)
        result = embedding_lookup_sparse(tables, sparse_ids, sparse_weights, combiner=combiner,
                                         partition_strategy=partition_strategy,
                                         name=None if default_id is None else scope, max_norm=max_norm)
        if default_id is None:
            is_row_empty = manipulation_ops.tile(array_ops.reshape(is_row_empty, [-1, 1]),
                                                 concat_ops.stack([1, array_ops.shape(result)[1]]))
            result = gather_ops.where(is_row_empty, fill_ops.zeros_like(result), result, name=scope)
        outer = slicing_ops.slice(cast_ops.cast(original_shape, dtypes.int32), [0],
                                  array_ops.reshape(original_rank - 1, [1]))
        final = array_ops.reshape(result, concat_ops.concat([outer, array_ops.shape(result)[1:]], 0))
        outer_static = static_shape[:-1] if static_shape.ndims is not None else TensorShape(
            None if rank_dim is None else [None] * (rank_dim - 1))
        final.set_shape(outer_static.concatenate(result.shape[1:]))
        return final


def _prune_invalid_ids(sparse_ids, sparse_weights):
    is_id_valid = comparison_ops.greater_equal(sparse_ids.values, 0)
    if sparse_weights is not None:
        is_id_valid = comparison_ops.logical_and(is_id_valid,
                                                 fill_ops.ones_like(sparse_weights.values, dtype=dtypes.bool))
    sparse_ids = sparse_ops.sparse_retain(sparse_ids, is_id_valid)
    if sparse_weights is not None:
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, is_id_valid)
    return sparse_ids, sparse_weights


def _prune_invalid_weights(sparse_ids, sparse_weights):
    if sparse_weights is not None:
        is_weight_valid = comparison_ops.greater(sparse_weights.values, 0)
        sparse_ids = sparse_ops.sparse_retain(sparse_ids, is_weight_valid)
        sparse_weights = sparse_ops.sparse_retain(sparse_weights, is_weight_valid)
    return sparse_ids, sparse_weights

