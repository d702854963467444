"""tf.estimator.experimental.KMeans (estflow/estimators/kmeans.py) against TF 2.15.1's numbers."""

import shutil

import numpy as np
import pytest

import estflow as tf

KMeans = tf.estimator.experimental.KMeans


def _points():
    rng = np.random.default_rng(0)
    true = np.array([[0, 0], [10, 10], [-10, 10]], np.float32)
    pts = np.concatenate([c + rng.standard_normal((20, 2)).astype(np.float32) for c in true])
    return pts[rng.permutation(len(pts))]


PTS = _points()


def _input_fn():
    return tf.train.limit_epochs(tf.convert_to_tensor(PTS), num_epochs=1)


# TF 2.15.1 (tf.compat.v1.estimator.experimental.KMeans, initial_clusters=PTS[:3], full batch, three
# train() calls of the whole set): centers, score(), first 12 predicted cluster indices.
TF_FULL_BATCH = {
    "squared_euclidean": ([[-10.4075, 9.5684], [-9.6348, 11.21], [5.0656, 5.1751]], 2237.685,
                          [0, 1, 2, 2, 2, 1, 2, 2, 1, 2, 2, 2]),
    "cosine": ([[-0.9105, -0.4136], [-0.6986, 0.7155], [0.7514, 0.6598]], 2.661,
               [1, 1, 1, 2, 2, 1, 0, 2, 1, 2, 2, 1]),
}


@pytest.mark.parametrize("metric", sorted(TF_FULL_BATCH))
def test_full_batch_training_matches_tensorflow(tmp_path, metric):
    km = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), distance_metric=metric, use_mini_batch=False,
                model_dir=str(tmp_path))
    for _ in range(3):
        km.train(_input_fn)
    centers, score, indices = TF_FULL_BATCH[metric]
    np.testing.assert_allclose(km.cluster_centers(), centers, atol=2e-4)
    assert km.score(_input_fn) == pytest.approx(score, rel=1e-4)
    assert [int(i) for i in km.predict_cluster_index(_input_fn)][:12] == indices
    # 6, as TF: the step counter does not wait for the input, so the run that meets the end of the input
    # also counts one (TF 2.15.1 reads 6 here too).
    assert km.get_variable_value("global_step") == 6
    assert sorted(km.get_variable_names()) == ["clusters", "global_step", "initialized"]


def test_mini_batch_training_finds_the_clusters_from_kmeans_plus_plus(tmp_path):
    def batches():
        return tf.data.Dataset.from_tensor_slices(PTS).shuffle(60, seed=1).batch(20)

    km = KMeans(num_clusters=3, initial_clusters=KMeans.KMEANS_PLUS_PLUS_INIT, seed=5, model_dir=str(tmp_path))
    for _ in range(5):
        km.train(batches)
    centers = km.cluster_centers()
    got = sorted(map(tuple, np.round(centers).astype(int).tolist()))
    assert got == [(-10, 10), (0, 0), (10, 10)]
    assert sorted(km.get_variable_names()) == ["Variable", "clusters", "global_step", "initialized"]
    # Each count starts at one; the first batch went to k-means++ (the initializer reads the input), as in TF.
    assert km.get_variable_value("Variable").sum() == 3 + 5 * 60 - 20


def test_predict_transform_and_evaluate(tmp_path):
    km = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), use_mini_batch=False, model_dir=str(tmp_path))
    km.train(_input_fn)
    centers = km.cluster_centers()
    d2 = ((PTS[:, None, :] - centers[None]) ** 2).sum(-1)
    rows = list(km.predict(_input_fn))
    assert set(rows[0]) == {"all_distances", "cluster_index"}
    np.testing.assert_allclose(np.stack([r["all_distances"] for r in rows]), d2, rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal([r["cluster_index"] for r in rows], d2.argmin(1))
    np.testing.assert_allclose(np.stack(list(km.transform(_input_fn))), np.sqrt(d2), rtol=1e-4, atol=1e-3)
    metrics = km.evaluate(_input_fn, steps=1)
    assert metrics["score"] == pytest.approx(d2.min(1).sum(), rel=1e-4)
    assert metrics["loss"] == pytest.approx(metrics["score"], rel=1e-6)


def test_dict_features_are_concatenated_in_key_order_or_read_through_feature_columns(tmp_path):
    def dict_fn():
        return {"b": tf.constant(PTS[:, 1:]), "a": tf.constant(PTS[:, :1])}

    plain = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), use_mini_batch=False,
                   model_dir=str(tmp_path / "plain"))
    plain.train(dict_fn, steps=2)
    columns = [tf.feature_column.numeric_column("a"), tf.feature_column.numeric_column("b")]
    with_columns = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), use_mini_batch=False,
                          feature_columns=columns, model_dir=str(tmp_path / "columns"))
    with_columns.train(dict_fn, steps=2)
    reference = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), use_mini_batch=False,
                       model_dir=str(tmp_path / "tensor"))
    reference.train(lambda: tf.constant(PTS), steps=2)
    np.testing.assert_allclose(plain.cluster_centers(), reference.cluster_centers(), rtol=1e-6)
    np.testing.assert_allclose(with_columns.cluster_centers(), reference.cluster_centers(), rtol=1e-6)


def test_relative_tolerance_stops_training_once_the_loss_settles(tmp_path):
    km = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), use_mini_batch=False, relative_tolerance=1e-4,
                model_dir=str(tmp_path))
    km.train(lambda: tf.constant(PTS), steps=100)
    assert 2 <= km.get_variable_value("global_step") < 100


def test_bad_arguments_name_what_is_wrong():
    with pytest.raises(ValueError, match="Unsupported initialization algorithm 'kmc3'"):
        KMeans(num_clusters=3, initial_clusters="kmc3")
    with pytest.raises(ValueError, match="Unsupported distance metric 'l1'"):
        KMeans(num_clusters=3, distance_metric="l1")
    assert (KMeans.SCORE, KMeans.CLUSTER_INDEX, KMeans.ALL_DISTANCES, KMeans.CLUSTER_CENTERS_VAR_NAME) == (
        "score", "cluster_index", "all_distances", "clusters")


def test_export_serves_the_cluster_index(tmp_path):
    km = KMeans(num_clusters=3, initial_clusters=PTS[:3].copy(), use_mini_batch=False, model_dir=str(tmp_path / "m"))
    km.train(_input_fn)

    def serving_input_fn():
        x = tf.placeholder(tf.float32, [None, 2], name="points")
        return tf.estimator.export.TensorServingInputReceiver(x, {"points": x})

    export_dir = km.export_saved_model(str(tmp_path / "export"), serving_input_fn)
    predict = tf.contrib.predictor.from_saved_model(export_dir)
    out = predict({"points": PTS[:5]})
    centers = km.cluster_centers()
    np.testing.assert_array_equal(out["output"], ((PTS[:5, None, :] - centers[None]) ** 2).sum(-1).argmin(1))


_TF_CONTINUES = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
model_dir, data = sys.argv[1], np.load(sys.argv[2])
pts = data["pts"]
km = tf.estimator.experimental.KMeans(num_clusters=3, initial_clusters=data["init"], use_mini_batch=False,
                                      model_dir=model_dir)
restored = km.cluster_centers().tolist()
indices = [int(i) for i in km.predict_cluster_index(
    lambda: tf.train.limit_epochs(tf.convert_to_tensor(pts), num_epochs=1))]
km.train(lambda: tf.train.limit_epochs(tf.convert_to_tensor(pts), num_epochs=1))
print(json.dumps({"restored": restored, "indices": indices, "after": km.cluster_centers().tolist()}))
"""


@pytest.mark.interop
def test_real_tensorflow_restores_and_continues_an_estflow_kmeans_model_dir(tmp_path, tf_python):
    from tests.interop import run_tensorflow  # the interop helper runs only with real TensorFlow present

    init = PTS[:3].copy()
    km = KMeans(num_clusters=3, initial_clusters=init, use_mini_batch=False, model_dir=str(tmp_path / "m"))
    km.train(_input_fn)
    ours = km.cluster_centers()
    np.savez(tmp_path / "data.npz", pts=PTS, init=init)
    shutil.copytree(tmp_path / "m", tmp_path / "tf")  # TF trains on in its own copy
    theirs = run_tensorflow(tf_python, _TF_CONTINUES, tmp_path / "tf", tmp_path / "data.npz")
    np.testing.assert_allclose(theirs["restored"], ours, rtol=1e-6)
    assert theirs["indices"] == [int(i) for i in km.predict_cluster_index(_input_fn)]
    km.train(_input_fn)  # one more Lloyd iteration here gives what TF's gave
    np.testing.assert_allclose(theirs["after"], km.cluster_centers(), rtol=1e-5, atol=1e-6)
