"""The k-means graph (estflow/library/clustering_ops.py): initialization, Lloyd and mini-batch updates."""

import numpy as np
import pytest

import estflow as tf
from estflow.library import clustering_ops


def _points(n=12, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([c + rng.standard_normal((n // 3, 2)).astype(np.float32)
                           for c in ([0, 0], [8, 8], [-8, 8])]).astype(np.float32)


def _graph(points, **kwargs):
    x = tf.placeholder(tf.float32, [None, 2])
    parts = clustering_ops.KMeans(x, **kwargs).training_graph()
    return x, parts


def _assign(points, centers):
    return np.argmin(((points[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)


def test_full_batch_step_is_one_lloyd_iteration():
    pts = _points()
    init = pts[[0, 4, 8]].copy()
    with tf.Graph().as_default():
        x, (all_scores, idx, scores, initialized, init_op, train_op) = _graph(
            pts, num_clusters=3, initial_clusters=init)
        centers = [v for v in tf.global_variables() if v.op.name == "clusters"][0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init_op)
            assert sess.run(initialized)
            np.testing.assert_allclose(sess.run(centers), init)
            got_all, got_idx, got_scores = sess.run([all_scores[0], idx[0], scores[0]], {x: pts})
            sess.run(train_op, {x: pts})
            new = sess.run(centers)
    d = ((pts[:, None, :] - init[None]) ** 2).sum(-1)
    np.testing.assert_allclose(got_all, d, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(got_idx, d.argmin(1))
    np.testing.assert_allclose(got_scores, d.min(1), rtol=1e-4, atol=1e-4)
    want = np.stack([pts[got_idx == k].sum(0) / ((got_idx == k).sum() + 1e-6) for k in range(3)])
    np.testing.assert_allclose(new, want, rtol=1e-5)


def test_mini_batch_step_moves_each_center_by_count_share():
    # new = old + (sum - m * old) / (count + m): read before the counts are written (TF's graph has a
    # read/write race on the counts there; estflow orders the reads first, the rule as written).
    pts = _points()
    init = pts[[0, 4, 8]].copy()
    with tf.Graph().as_default():
        x, (_, idx, _, _, init_op, train_op) = _graph(pts, num_clusters=3, initial_clusters=init, use_mini_batch=True)
        centers = [v for v in tf.global_variables() if v.op.name == "clusters"][0]
        counts = [v for v in tf.global_variables() if v.op.name == "Variable"][0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init_op)
            for batch in (pts[:6], pts[6:]):
                before, before_counts = sess.run([centers, counts])
                sess.run(train_op, {x: batch})
                after, after_counts = sess.run([centers, counts])
                a = _assign(batch, before)
                for k in range(3):
                    m = (a == k).sum()
                    want = before[k] + (batch[a == k].sum(0) - m * before[k]) / (before_counts[k] + m)
                    np.testing.assert_allclose(after[k], want, rtol=1e-5, atol=1e-6)
                    assert after_counts[k] == before_counts[k] + m


def test_mini_batch_with_several_steps_per_iteration_syncs_the_centers_back():
    pts = _points()
    init = pts[[0, 4, 8]].copy()
    with tf.Graph().as_default():
        x, (_, _, _, _, init_op, train_op) = _graph(pts, num_clusters=3, initial_clusters=init, use_mini_batch=True,
                                                    mini_batch_steps_per_iteration=2)
        names = {v.op.name: v for v in tf.global_variables()}
        assert {"clusters", "clusters_updated", "update_in_steps", "initialized"} <= set(names)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init_op)
            seen = []
            for _ in range(3):
                sess.run(train_op, {x: pts})
                seen.append(sess.run([names["clusters"], names["clusters_updated"]]))
    np.testing.assert_allclose(seen[0][0], init)  # the served copy waits for the iteration's end
    assert not np.allclose(seen[0][1], init)
    np.testing.assert_allclose(seen[2][0], seen[1][1])  # ... and then takes the updated copy


def test_random_init_takes_a_small_batch_whole_and_fills_up_from_the_next():
    pts = _points()
    with tf.Graph().as_default():
        x, (_, _, _, initialized, init_op, _) = _graph(pts, num_clusters=3, random_seed=3)
        centers = [v for v in tf.global_variables() if v.op.name == "clusters"][0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(init_op, {x: pts[:2]})
            assert not sess.run(initialized)
            np.testing.assert_allclose(sess.run(centers), pts[:2])
            sess.run(init_op, {x: pts[2:]})
            assert sess.run(initialized)
            got = sess.run(centers)
            assert got.shape == (3, 2) and np.isclose(pts[2:], got[2]).all(axis=1).any()
            sess.run(init_op, {x: pts})  # all chosen: running it again only checks `initialized`
            np.testing.assert_array_equal(sess.run(centers), got)


def test_kmeans_plus_plus_and_kmc2_initializers_choose_data_points():
    pts = _points(30)
    for algorithm in (clustering_ops.KMEANS_PLUS_PLUS_INIT, clustering_ops.KMC2_INIT):
        with tf.Graph().as_default():
            x, (_, _, _, initialized, init_op, _) = _graph(pts, num_clusters=3, initial_clusters=algorithm)
            centers = [v for v in tf.global_variables() if v.op.name == "clusters"][0]
            with tf.Session() as sess:
                sess.run(tf.global_variables_initializer())
                for _ in range(3):
                    if sess.run(initialized):
                        break
                    sess.run(init_op, {x: pts})
                assert sess.run(initialized), algorithm
                got = sess.run(centers)
        assert got.shape == (3, 2)
        for row in got:
            assert np.isclose(pts, row).all(axis=1).any(), algorithm


def test_bad_arguments_are_refused_as_tf():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2])
        with pytest.raises(ValueError, match="Unsupported initialization algorithm"):
            clustering_ops.KMeans(x, 3, initial_clusters="spectral")
        with pytest.raises(ValueError, match="Unsupported distance metric"):
            clustering_ops.KMeans(x, 3, distance_metric="manhattan")
