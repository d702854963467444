"""k-means graphs, as TF1's `clustering_ops.KMeans` builds them (what `tf.estimator.experimental.KMeans` runs).

`KMeans(inputs, num_clusters, ...).training_graph()` returns TF's six parts: the distances of
each input to every center, each input's nearest center and its distance, the `initialized`
variable, the op that chooses initial centers (run until `initialized` is True: one input batch
may not hold enough points) and the training op (one Lloyd iteration on a full batch, or one
mini-batch step). Variables are TF's: `clusters` (the centers, shape set by the initializer),
`initialized`, and for mini-batch training the per-center counts (and `clusters_updated` /
`update_in_steps` when `mini_batch_steps_per_iteration > 1`).

Mini-batch updates are TF's: each center moves towards the mean of its batch points by
`count_in_batch / (count_so_far + count_in_batch)`; full-batch ones set each center to the mean
of its points (`sum / (count + 1e-6)`, so an empty cluster collapses to 0 as in TF). With cosine
distance the inputs (and, where TF keeps them so, the centers) are L2-normalized.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import control_dependencies
from estflow.core.ops import (
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    control_flow_ops,
    fill_ops,
    gather_ops,
    manipulation_ops,
    math_ops,
    matmul_ops,
    random_ops,
    reduction_ops,
    segment_ops,
    unary_ops,
    while_v2,
)
from estflow.core.ops.clustering_ops import (
    kmc2_chain_initialization,
    kmeans_plus_plus_initialization,
    nearest_neighbors,
)
from estflow.core.ops.constant_op import convert_to_tensor, placeholder_with_default
from estflow.core.random_seed import get_seed
from estflow.core.variables import Variable, assign, assign_sub, scatter_add
from estflow.library import check_ops
from estflow.library.embedding_ops import embedding_lookup
from estflow.library.nn_impl import l2_normalize

SQUARED_EUCLIDEAN_DISTANCE = "squared_euclidean"
COSINE_DISTANCE = "cosine"
RANDOM_INIT = "random"
KMEANS_PLUS_PLUS_INIT = "kmeans_plus_plus"
KMC2_INIT = "kmc2"
CLUSTERS_VAR_NAME = "clusters"


class KMeans:
    """Builds a k-means training graph (TF1's `tensorflow.python.ops.clustering_ops.KMeans`).

    `inputs` is a tensor or a list of tensors (shards) of points, assumed shuffled;
    `initial_clusters` is RANDOM_INIT, KMEANS_PLUS_PLUS_INIT, KMC2_INIT, a tensor/array of centers,
    or a callable `f(inputs, k)` returning up to `k` centers.
    """

    def __init__(self, inputs, num_clusters, initial_clusters=RANDOM_INIT, distance_metric=SQUARED_EUCLIDEAN_DISTANCE,
                 use_mini_batch=False, mini_batch_steps_per_iteration=1, random_seed=0,
                 kmeans_plus_plus_num_retries=2, kmc2_chain_length=200):
        algorithms = [RANDOM_INIT, KMEANS_PLUS_PLUS_INIT, KMC2_INIT]
        if isinstance(initial_clusters, str) and initial_clusters not in algorithms:
            raise ValueError(f"Unsupported initialization algorithm `{initial_clusters}`,"
                             f"must be one of `{algorithms}`.")
        metrics = [SQUARED_EUCLIDEAN_DISTANCE, COSINE_DISTANCE]
        if distance_metric not in metrics:
            raise ValueError(f"Unsupported distance metric `{distance_metric}`,must be one of `{metrics}`.")
        self._inputs = inputs if isinstance(inputs, list) else [inputs]
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._use_mini_batch = use_mini_batch
        self._mini_batch_steps_per_iteration = int(mini_batch_steps_per_iteration)
        self._seed = get_seed(random_seed)[0] or 0
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._kmc2_chain_length = kmc2_chain_length

    # ---- distances ---------------------------------------------------------------------------------

    @staticmethod
    def _squared_euclidean(inputs, clusters):
        out = []
        for inp in inputs:
            row_norms = reduction_ops.reduce_sum(unary_ops.square(inp), 1, keepdims=True)
            center_norms = reduction_ops.reduce_sum(unary_ops.square(clusters), 1, keepdims=True)
            out.append(row_norms - 2 * matmul_ops.matmul(inp, clusters, transpose_b=True)
                       + manipulation_ops.transpose(center_norms))
        return out

    @staticmethod
    def _cosine(inputs, clusters):
        return [1 - matmul_ops.matmul(inp, clusters, transpose_b=True) for inp in inputs]

    def _clusters_l2_normalized(self) -> bool:
        """Whether the stored centers are kept unit-length (cosine distance, except plain mini-batch)."""
        return self._distance_metric == COSINE_DISTANCE and (
            not self._use_mini_batch or self._mini_batch_steps_per_iteration > 1)

    def _infer_graph(self, inputs, clusters):
        if self._distance_metric == SQUARED_EUCLIDEAN_DISTANCE:
            all_scores = self._squared_euclidean(inputs, clusters)
        else:
            all_scores = self._cosine(inputs, clusters)
        if self._distance_metric == COSINE_DISTANCE and not self._clusters_l2_normalized():
            clusters = l2_normalize(clusters, axis=1)
        scores, indices = [], []
        for inp in inputs:
            idx, dist = nearest_neighbors(inp, clusters, 1)
            if self._distance_metric == COSINE_DISTANCE:
                dist = dist * 0.5  # |u - v|^2 / 2 = 1 - cos(u, v) for unit vectors
            scores.append(array_ops.squeeze(dist, [-1]))
            indices.append(array_ops.squeeze(idx, [-1]))
        return all_scores, scores, indices

    # ---- variables ---------------------------------------------------------------------------------

    def _create_variables(self, num_clusters):
        init_value = placeholder_with_default(convert_to_tensor([], dtype=dtypes.float32), shape=None)
        centers = Variable(init_value, name=CLUSTERS_VAR_NAME, validate_shape=False)
        initialized = Variable(False, dtype=dtypes.bool, name="initialized")
        if self._use_mini_batch and self._mini_batch_steps_per_iteration > 1:
            centers_updated = Variable(init_value, name="clusters_updated", validate_shape=False)
            update_in_steps = Variable(self._mini_batch_steps_per_iteration, dtype=dtypes.int64,
                                       name="update_in_steps")
            counts = Variable(fill_ops.zeros([num_clusters], dtype=dtypes.int64))
        else:
            centers_updated, update_in_steps = centers, None
            counts = Variable(fill_ops.ones([num_clusters], dtype=dtypes.int64)) if self._use_mini_batch else None
        return centers, initialized, counts, centers_updated, update_in_steps

    # ---- the graph ---------------------------------------------------------------------------------

    def training_graph(self):
        """(all_scores, cluster_idx, scores, cluster_centers_initialized, init_op, training_op), each
        of the first three a list with one entry per input shard."""
        if isinstance(self._initial_clusters, str) or callable(self._initial_clusters):
            initial_clusters = self._initial_clusters
            num_clusters = convert_to_tensor(self._num_clusters)
        else:
            initial_clusters = convert_to_tensor(self._initial_clusters)
            num_clusters = array_ops.shape(initial_clusters)[0]
        inputs = self._inputs
        centers_var, initialized, counts, centers_updated, update_in_steps = self._create_variables(num_clusters)
        init_op = _InitializeClusters(self._inputs, num_clusters, initial_clusters, self._distance_metric, self._seed,
                                      self._kmeans_plus_plus_num_retries, self._kmc2_chain_length, centers_var,
                                      centers_updated, initialized).op()
        centers = centers_var
        if self._distance_metric == COSINE_DISTANCE:
            inputs = [l2_normalize(inp, axis=1) for inp in inputs]
            if not self._clusters_l2_normalized():
                centers = l2_normalize(centers, axis=1)
        all_scores, scores, cluster_idx = self._infer_graph(inputs, centers)
        if self._use_mini_batch:
            sync = self._mini_batch_sync_updates_op(update_in_steps, centers_var, centers_updated, counts)
            with control_dependencies([sync]):
                training_op = self._mini_batch_training_op(inputs, cluster_idx, centers_updated, counts)
        else:
            training_op = self._full_batch_training_op(inputs, num_clusters, cluster_idx, centers_var)
        return all_scores, cluster_idx, scores, initialized, init_op, training_op

    def _mini_batch_sync_updates_op(self, update_in_steps, centers_var, centers_updated, counts):
        if not (self._use_mini_batch and self._mini_batch_steps_per_iteration > 1):
            return control_flow_ops.no_op()

        def sync():
            with control_dependencies([assign(update_in_steps, self._mini_batch_steps_per_iteration - 1)]):
                fresh = (l2_normalize(centers_updated, axis=1) if self._distance_metric == COSINE_DISTANCE
                         else centers_updated)
                with control_dependencies([assign(centers_var, fresh)]):
                    with control_dependencies([assign(counts, fill_ops.zeros_like(counts))]):
                        return array_ops.identity(update_in_steps)

        return control_flow_ops.cond(comparison_ops.less_equal(update_in_steps, 0), sync,
                                     lambda: assign_sub(update_in_steps, 1))

    def _mini_batch_training_op(self, inputs, cluster_idx_list, centers, counts):
        updates = []
        for inp, cluster_idx in zip(inputs, cluster_idx_list):
            cluster_idx = array_ops.reshape(cluster_idx, [-1])
            unique_ids, unique_idx = gather_ops.unique(cluster_idx)
            num_unique = array_ops.size(unique_ids)
            old_counts = gather_ops.gather(counts, unique_ids)
            old_centers = gather_ops.gather(centers, unique_ids)
            count_updates = segment_ops.unsorted_segment_sum(
                fill_ops.ones_like(unique_idx, dtype=counts.dtype.base_dtype), unique_idx, num_unique)
            center_updates = segment_ops.unsorted_segment_sum(inp, unique_idx, num_unique)
            broadcast = concat_ops.concat([array_ops.reshape(num_unique, [1]),
                                           fill_ops.ones(array_ops.reshape(array_ops.rank(inp) - 1, [1]),
                                                         dtype=dtypes.int32)], 0)
            center_updates -= cast_ops.cast(array_ops.reshape(count_updates, broadcast), inp.dtype) * old_centers
            rate = unary_ops.reciprocal(cast_ops.cast(old_counts + count_updates, inp.dtype))
            center_updates *= array_ops.reshape(rate, broadcast)
            updates += [scatter_add(counts, unique_ids, count_updates),
                        scatter_add(centers, unique_ids, center_updates)]
        return control_flow_ops.group(*updates)

    def _full_batch_training_op(self, inputs, num_clusters, cluster_idx_list, centers):
        sums, totals = [], []
        epsilon = convert_to_tensor(1e-6, dtype=inputs[0].dtype)
        for inp, cluster_idx in zip(inputs, cluster_idx_list):
            sums.append(segment_ops.unsorted_segment_sum(inp, cluster_idx, num_clusters))
            ones = array_ops.reshape(fill_ops.ones(array_ops.reshape(array_ops.shape(inp)[0], [-1])), [-1, 1])
            totals.append(segment_ops.unsorted_segment_sum(ones, cluster_idx, num_clusters))
        new_centers = math_ops.add_n(sums) / (cast_ops.cast(math_ops.add_n(totals), sums[0].dtype) + epsilon)
        if self._clusters_l2_normalized():
            new_centers = l2_normalize(new_centers, axis=1)
        return assign(centers, new_centers)


class _InitializeClusters:
    """The op that adds initial centers until there are `num_clusters` (TF's _InitializeClustersOpFactory)."""

    def __init__(self, inputs, num_clusters, initial_clusters, distance_metric, seed, kmeans_plus_plus_num_retries,
                 kmc2_chain_length, centers, centers_updated, initialized):
        self._inputs = inputs
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._seed = seed
        self._retries = kmeans_plus_plus_num_retries
        self._kmc2_chain_length = kmc2_chain_length
        self._centers = centers
        self._centers_updated = centers_updated
        self._initialized = initialized
        self._num_selected = array_ops.shape(centers)[0]
        self._num_remaining = num_clusters - self._num_selected
        self._num_data = math_ops.add_n([array_ops.shape(i)[0] for i in inputs])

    def _random(self):
        indices = random_ops.random_uniform(array_ops.reshape(self._num_remaining, [-1]), minval=0,
                                            maxval=cast_ops.cast(self._num_data, dtypes.int64), seed=self._seed,
                                            dtype=dtypes.int64)
        return embedding_lookup(self._inputs, indices, partition_strategy="div")

    def _kmeans_plus_plus(self):
        inp = self._inputs[0]
        if self._distance_metric == COSINE_DISTANCE:
            inp = l2_normalize(inp, axis=1)
        return kmeans_plus_plus_initialization(inp, cast_ops.cast(self._num_remaining, dtypes.int64), self._seed,
                                               self._retries)

    def _kmc2_multiple_centers(self):
        """Adds centers with k-MC2 chains over consecutive `kmc2_chain_length`-point subsets of the first shard."""
        shard = self._inputs[0]
        batch = array_ops.shape(shard)[0]
        max_to_sample = cast_ops.cast(batch / self._kmc2_chain_length, dtype=dtypes.int32)
        num_to_sample = math_ops.maximum(math_ops.minimum(self._num_remaining, max_to_sample), 1)

        def body(i, _):
            def first_center():
                center = array_ops.reshape(shard[0], [1, -1])
                return l2_normalize(center, axis=1) if self._distance_metric == COSINE_DISTANCE else center

            def chain_center():
                start = i * self._kmc2_chain_length
                subset = shard[start:start + self._kmc2_chain_length]
                _, distances = nearest_neighbors(subset, self._centers, 1)
                index = kmc2_chain_initialization(array_ops.squeeze(distances), self._seed)
                center = array_ops.reshape(gather_ops.gather(subset, index), [1, -1])
                if self._distance_metric == COSINE_DISTANCE:
                    center = l2_normalize(center, axis=1)
                return concat_ops.concat([self._centers, center], 0)

            new_centers = control_flow_ops.cond(comparison_ops.equal(self._num_selected, 0), first_center,
                                                chain_center)
            assigned = assign(self._centers, new_centers, validate_shape=False)
            if self._centers_updated is not self._centers:
                assigned = assign(self._centers_updated, assigned, validate_shape=False)
            return i + 1, self._num_clusters - array_ops.shape(assigned)[0]

        _, remaining = while_v2.while_loop(lambda i, _: comparison_ops.less(i, num_to_sample), body, [0, 0])
        return remaining

    def _choose_initial_centers(self):
        if isinstance(self._initial_clusters, str):
            if self._initial_clusters == RANDOM_INIT:  # a batch no larger than what is missing: take it all
                return control_flow_ops.cond(comparison_ops.less_equal(self._num_data, self._num_remaining),
                                             lambda: concat_ops.concat(self._inputs, 0), self._random)
            with control_dependencies([check_ops.assert_greater_equal(self._num_data, self._num_remaining)]):
                return self._kmeans_plus_plus()
        if callable(self._initial_clusters):
            return self._initial_clusters(self._inputs, self._num_remaining)
        with control_dependencies([check_ops.assert_equal(self._num_remaining,
                                                          array_ops.shape(self._initial_clusters)[0])]):
            return array_ops.identity(self._initial_clusters)

    def _add_new_centers(self):
        new_centers = self._choose_initial_centers()
        if self._distance_metric == COSINE_DISTANCE:
            new_centers = l2_normalize(new_centers, axis=1)
        all_centers = control_flow_ops.cond(comparison_ops.equal(self._num_selected, 0), lambda: new_centers,
                                            lambda: concat_ops.concat([self._centers, new_centers], 0))
        assigned = assign(self._centers, all_centers, validate_shape=False)
        if self._centers_updated is not self._centers:
            assigned = assign(self._centers_updated, assigned, validate_shape=False)
        return self._num_clusters - array_ops.shape(assigned)[0]

    def _initialize(self):
        with control_dependencies([check_ops.assert_positive(self._num_remaining)]):
            if isinstance(self._initial_clusters, str) and self._initial_clusters == KMC2_INIT:
                remaining = self._kmc2_multiple_centers()
            else:
                remaining = self._add_new_centers()
            return control_flow_ops.cond(comparison_ops.equal(remaining, 0),
                                         lambda: assign(self._initialized, True), control_flow_ops.no_op)

    def op(self):
        """Adds centers when some are missing; asserts `initialized` otherwise."""
        return control_flow_ops.cond(comparison_ops.equal(self._num_remaining, 0),
                                     lambda: check_ops.assert_equal(self._initialized, True), self._initialize)
