"""`tf.estimator.experimental.KMeans` (TF 1.15's KMeansClustering): k-means as an Estimator.

    kmeans = tf.estimator.experimental.KMeans(num_clusters=5, use_mini_batch=False)
    for _ in range(10):
        kmeans.train(input_fn)          # full batch: one Lloyd iteration per step
    centers = kmeans.cluster_centers()
    indices = list(kmeans.predict_cluster_index(input_fn))

The input function returns the points: a float tensor [n, d], or a dict of features (each
[n, 1] and concatenated in sorted key order, or through `feature_columns` with `input_layer`),
and no labels. `train` runs one Lloyd iteration (full batch) or one mini-batch step per step;
the first training step chooses the initial centers (a hook runs the initializer until enough
centers are chosen, drawing further batches when one holds too few points). The loss is the sum
of squared distances to the nearest centers; `evaluate` reports it as `score` (the mean of the
per-batch sums); `predict` yields `cluster_index` and `all_distances`; `transform` yields the
distances to every center (Euclidean, not squared, for the squared-Euclidean metric, as TF).
"""

from __future__ import annotations

import time

import numpy as np

from estflow.core.graph import get_default_graph
from estflow.core.ops import concat_ops, control_flow_ops, reduction_ops
from estflow.core.variables import assign_add
from estflow.estimators.estimator import Estimator
from estflow.estimators.export_output import PredictOutput
from estflow.estimators.model_fn import EstimatorSpec
from estflow.feature_columns.input_layer import input_layer
from estflow.hooks.session_run_hook import SessionRunArgs, SessionRunHook
from estflow.library import clustering_ops, metrics_impl
from estflow.library.tf_logging import info
from estflow.serving import signature_constants
from estflow.summary import summary
from estflow.training import training_util


class _LossRelativeChangeHook(SessionRunHook):
    """Stops training once the loss changes by less than `tolerance`, relative to `1 + |previous loss|`."""

    def __init__(self, loss_tensor, tolerance):
        self._loss_tensor = loss_tensor
        self._tolerance = tolerance
        self._prev_loss = None

    def before_run(self, run_context):
        return SessionRunArgs(self._loss_tensor)

    def after_run(self, run_context, run_values):
        loss = run_values.results
        if self._prev_loss:
            if abs(loss - self._prev_loss) / (1 + abs(self._prev_loss)) < self._tolerance:
                run_context.request_stop()
        self._prev_loss = loss


class _InitializeClustersHook(SessionRunHook):
    """Runs the initializer until every initial center is chosen (the chief); other tasks wait."""

    def __init__(self, init_op, is_initialized_var, is_chief):
        self._init_op = init_op
        self._is_initialized_var = is_initialized_var
        self._is_chief = is_chief

    def after_create_session(self, session, coord):
        if self._init_op.graph is not get_default_graph():
            raise RuntimeError("The k-means initializer belongs to another graph than the session's.")
        while True:
            try:
                if session.run(self._is_initialized_var):
                    break
                if self._is_chief:
                    session.run(self._init_op)
                else:
                    time.sleep(1)
            except RuntimeError as e:
                info(e)


def _parse_features_if_necessary(features, feature_columns):
    """The points as one [n, k] tensor: a dict's features concatenated in sorted key order (or through
    `feature_columns`); anything else unchanged."""
    if not isinstance(features, dict):
        return features
    if feature_columns:
        return input_layer(features, feature_columns)
    keys = sorted(features)
    return concat_ops.concat([features[k] for k in keys], axis=1)


class _ModelFn:
    def __init__(self, num_clusters, initial_clusters, distance_metric, seed, use_mini_batch,
                 mini_batch_steps_per_iteration, kmeans_plus_plus_num_retries, relative_tolerance, feature_columns):
        self._num_clusters = num_clusters
        self._initial_clusters = initial_clusters
        self._distance_metric = distance_metric
        self._seed = seed
        self._use_mini_batch = use_mini_batch
        self._mini_batch_steps_per_iteration = mini_batch_steps_per_iteration
        self._kmeans_plus_plus_num_retries = kmeans_plus_plus_num_retries
        self._relative_tolerance = relative_tolerance
        self._feature_columns = feature_columns

    def model_fn(self, features, mode, config):
        points = _parse_features_if_necessary(features, self._feature_columns)
        all_distances, predictions, losses, initialized, init_op, training_op = clustering_ops.KMeans(
            inputs=points, num_clusters=self._num_clusters, initial_clusters=self._initial_clusters,
            distance_metric=self._distance_metric, use_mini_batch=self._use_mini_batch,
            mini_batch_steps_per_iteration=self._mini_batch_steps_per_iteration, random_seed=self._seed,
            kmeans_plus_plus_num_retries=self._kmeans_plus_plus_num_retries).training_graph()
        loss = reduction_ops.reduce_sum(losses)
        summary.scalar("loss/raw", loss)
        incr_step = assign_add(training_util.get_global_step(), 1)
        training_op = control_flow_ops.with_dependencies([training_op, incr_step], loss)
        hooks = [_InitializeClustersHook(init_op, initialized, config.is_chief)]
        if self._relative_tolerance is not None:
            hooks.append(_LossRelativeChangeHook(loss, self._relative_tolerance))
        export_outputs = {
            KMeansClustering.ALL_DISTANCES: PredictOutput(all_distances[0]),
            KMeansClustering.CLUSTER_INDEX: PredictOutput(predictions[0]),
            signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY: PredictOutput(predictions[0]),
        }
        return EstimatorSpec(
            mode=mode,
            predictions={KMeansClustering.ALL_DISTANCES: all_distances[0],
                         KMeansClustering.CLUSTER_INDEX: predictions[0]},
            loss=loss, train_op=training_op,
            eval_metric_ops={KMeansClustering.SCORE: metrics_impl.mean(loss)},
            training_hooks=hooks, export_outputs=export_outputs)


class KMeansClustering(Estimator):
    """An Estimator for k-means clustering (`tf.estimator.experimental.KMeans`); see the module docstring.

    num_clusters: the number of centers (ignored when `initial_clusters` is an array or tensor);
    initial_clusters: RANDOM_INIT (points drawn from a batch; a batch with fewer points than missing
    centers is taken whole and the rest drawn from the next batches), KMEANS_PLUS_PLUS_INIT (k-means++
    on the first batch, which must hold enough points), an array/tensor of centers, or a callable
    `f(inputs, k)` returning up to k centers; distance_metric: SQUARED_EUCLIDEAN_DISTANCE or
    COSINE_DISTANCE; use_mini_batch / mini_batch_steps_per_iteration: mini-batch k-means, its centers
    synced back every that many steps; relative_tolerance: stop once the loss changes less than this.
    """

    SQUARED_EUCLIDEAN_DISTANCE = clustering_ops.SQUARED_EUCLIDEAN_DISTANCE
    COSINE_DISTANCE = clustering_ops.COSINE_DISTANCE
    RANDOM_INIT = clustering_ops.RANDOM_INIT
    KMEANS_PLUS_PLUS_INIT = clustering_ops.KMEANS_PLUS_PLUS_INIT
    SCORE = "score"
    CLUSTER_INDEX = "cluster_index"
    ALL_DISTANCES = "all_distances"
    CLUSTER_CENTERS_VAR_NAME = clustering_ops.CLUSTERS_VAR_NAME

    def __init__(self, num_clusters, model_dir=None, initial_clusters=RANDOM_INIT,
                 distance_metric=SQUARED_EUCLIDEAN_DISTANCE, seed=None, use_mini_batch=True,
                 mini_batch_steps_per_iteration=1, kmeans_plus_plus_num_retries=2, relative_tolerance=None,
                 config=None, feature_columns=None):
        if isinstance(initial_clusters, str) and initial_clusters not in (self.RANDOM_INIT,
                                                                          self.KMEANS_PLUS_PLUS_INIT):
            raise ValueError(f"Unsupported initialization algorithm '{initial_clusters}'")
        if distance_metric not in (self.SQUARED_EUCLIDEAN_DISTANCE, self.COSINE_DISTANCE):
            raise ValueError(f"Unsupported distance metric '{distance_metric}'")
        self._distance_metric = distance_metric
        super().__init__(
            model_fn=_ModelFn(num_clusters, initial_clusters, distance_metric, seed, use_mini_batch,
                              mini_batch_steps_per_iteration, kmeans_plus_plus_num_retries, relative_tolerance,
                              feature_columns).model_fn,
            model_dir=model_dir, config=config)

    def _predict_one_key(self, input_fn, predict_key):
        for result in self.predict(input_fn=input_fn, predict_keys=[predict_key]):
            yield result[predict_key]

    def predict_cluster_index(self, input_fn):
        """Yields the index of each input point's nearest center."""
        yield from self._predict_one_key(input_fn, self.CLUSTER_INDEX)

    def score(self, input_fn):
        """The sum of squared distances of the first batch's points to their nearest centers (sklearn's
        score is its negative)."""
        return self.evaluate(input_fn=input_fn, steps=1)[self.SCORE]

    def transform(self, input_fn):
        """Yields each point's distances to every center (Euclidean for the squared-Euclidean metric)."""
        for distances in self._predict_one_key(input_fn, self.ALL_DISTANCES):
            yield (np.sqrt(np.maximum(distances, 0)) if self._distance_metric == self.SQUARED_EUCLIDEAN_DISTANCE
                   else distances)

    def cluster_centers(self):
        """The centers, from the latest checkpoint."""
        return self.get_variable_value(self.CLUSTER_CENTERS_VAR_NAME)


KMeans = KMeansClustering
