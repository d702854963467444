"""NearestNeighbors, KmeansPlusPlusInitialization and KMC2ChainInitialization (estflow/core/ops/clustering_ops.py)."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import clustering_ops


def _run(*fetches):
    with tf.Session() as sess:
        return sess.run(list(fetches))


def test_nearest_neighbors_matches_brute_force_and_sorts_nearest_first():
    rng = np.random.default_rng(0)
    points = rng.standard_normal((7, 3)).astype(np.float32)
    centers = rng.standard_normal((4, 3)).astype(np.float32)
    with tf.Graph().as_default():
        idx, dist = clustering_ops.nearest_neighbors(points, centers, 2)
        assert idx.shape.as_list() == [7, 2] and idx.dtype == tf.int64 and dist.dtype == tf.float32
        got_idx, got_dist = _run(idx, dist)
    want = ((points[:, None, :] - centers[None]) ** 2).sum(-1)
    order = np.argsort(want, axis=1, kind="stable")[:, :2]
    np.testing.assert_array_equal(got_idx, order)
    np.testing.assert_allclose(got_dist, np.take_along_axis(want, order, 1), rtol=1e-5, atol=1e-5)


def test_nearest_neighbors_k_is_capped_by_the_centers_and_distances_never_negative():
    points = np.array([[1.0, 1.0], [3.0, 3.0]], np.float32)
    with tf.Graph().as_default():
        idx, dist = clustering_ops.nearest_neighbors(points, points, 5)
        assert idx.shape.as_list() == [2, 2]
        got_idx, got_dist = _run(idx, dist)
    np.testing.assert_array_equal(got_idx, [[0, 1], [1, 0]])
    assert (got_dist >= 0).all() and got_dist[:, 0].tolist() == [0.0, 0.0]


def test_nearest_neighbors_checks_its_inputs():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="Dimensions must be equal"):
            clustering_ops.nearest_neighbors(np.zeros((2, 3), np.float32), np.zeros((2, 2), np.float32), 1)
        k = tf.placeholder(tf.int64, [])
        idx, _ = clustering_ops.nearest_neighbors(np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), k)
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="k >= 0"):
            sess.run(idx, {k: -1})


def test_kmeans_plus_plus_picks_distinct_data_points_spread_over_the_clusters():
    rng = np.random.default_rng(1)
    blobs = np.array([[0, 0], [50, 0], [0, 50], [50, 50]], np.float32)
    points = np.concatenate([b + rng.standard_normal((25, 2)).astype(np.float32) for b in blobs])
    with tf.Graph().as_default():
        samples = clustering_ops.kmeans_plus_plus_initialization(points, 4, 7, 2)
        assert samples.shape.as_list() == [4, 2]
        got, again = _run(samples, clustering_ops.kmeans_plus_plus_initialization(points, 4, 7, -1))
    for row in got:  # every sample is one of the points
        assert np.isclose(points, row).all(axis=1).any()
    nearest_blob = np.argmin(((got[:, None, :] - blobs[None]) ** 2).sum(-1), axis=1)
    assert sorted(nearest_blob.tolist()) == [0, 1, 2, 3]  # one seed per blob: the D^2 weighting at work
    assert again.shape == (4, 2)


def test_kmeans_plus_plus_is_deterministic_per_seed_and_checks_the_count():
    points = np.random.default_rng(2).standard_normal((30, 3)).astype(np.float32)
    with tf.Graph().as_default():
        a = clustering_ops.kmeans_plus_plus_initialization(points, 5, 3, 1)
        b = clustering_ops.kmeans_plus_plus_initialization(points, 5, 3, 1)
        c = clustering_ops.kmeans_plus_plus_initialization(points, 5, 4, 1)
        n = tf.placeholder(tf.int64, [])
        too_many = clustering_ops.kmeans_plus_plus_initialization(points, n, 3, 1)
        with tf.Session() as sess:
            got_a, got_b, got_c = sess.run([a, b, c])
            with pytest.raises(tf.errors.InvalidArgumentError, match="num_to_sample"):
                sess.run(too_many, {n: 31})
    np.testing.assert_array_equal(got_a, got_b)
    assert not np.array_equal(got_a, got_c)


def test_kmc2_chain_moves_only_to_candidates_and_never_to_a_zero_distance_one():
    with tf.Graph().as_default():
        picks = _run(*[clustering_ops.kmc2_chain_initialization([0.0, 0.0, 5.0, 0.0], seed) for seed in range(10)])
        assert all(int(p) == 2 for p in picks)  # from 0 (distance 0) it moves to 2 and never leaves it for a 0
        with pytest.raises(ValueError, match="rank 1"):
            clustering_ops.kmc2_chain_initialization([[1.0]], 0)
        big = _run(*[clustering_ops.kmc2_chain_initialization([1.0, 100.0, 1e-6], s) for s in range(20)])
        assert {int(p) for p in big} <= {0, 1, 2} and sum(int(p) == 1 for p in big) >= 15
