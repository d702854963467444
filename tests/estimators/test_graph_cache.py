"""evaluate()/predict() reuse the previous call's graph and checkpoint values, and rebuild when anything changed."""

import shutil

import numpy as np
import pytest

import estflow as tf
from estflow.estimators import graph_cache
from estflow.training.saver import Saver
from tests.estimators.test_estimator import X, eval_input, linear_model_fn, predict_input, train_input


class Counts:
    def __init__(self, monkeypatch):
        self.model_fn_calls = {"train": 0, "eval": 0, "infer": 0}
        self.checkpoint_reads = 0
        self.saver_restores = 0
        read, restore = graph_cache.read_checkpoint_values, Saver.restore

        def counting_read(*args):
            self.checkpoint_reads += 1
            return read(*args)

        def counting_restore(saver, *args, **kwargs):
            self.saver_restores += 1
            return restore(saver, *args, **kwargs)
        monkeypatch.setattr(graph_cache, "read_checkpoint_values", counting_read)
        monkeypatch.setattr(Saver, "restore", counting_restore)

    def model_fn(self, features, labels, mode, params):
        self.model_fn_calls[mode] += 1
        spec = linear_model_fn(features, labels, mode, params)
        if mode == tf.estimator.ModeKeys.PREDICT:
            scaled = {"y": spec.predictions["y"], "scaled": spec.predictions["y"] * params["scale"][0]}
            return tf.estimator.EstimatorSpec(mode, predictions=scaled)
        return spec


@pytest.fixture
def counts(monkeypatch):
    return Counts(monkeypatch)


@pytest.fixture
def est(tmp_path, counts):
    est = tf.estimator.Estimator(counts.model_fn, model_dir=str(tmp_path / "m"), params={"lr": 0.5, "scale": [1.0]})
    est.train(train_input(), steps=20)
    return est


def _predict(est, x, **kwargs):
    return np.stack([p["y"] for p in est.predict(
        tf.estimator.inputs.numpy_input_fn({"x": x}, batch_size=2, shuffle=False), **kwargs)])


def test_a_second_call_on_the_same_checkpoint_builds_nothing_and_reads_no_checkpoint(est, counts):
    first = est.evaluate(eval_input())
    assert counts.model_fn_calls["eval"] == 1 and counts.checkpoint_reads == 1 and counts.saver_restores == 0
    for _ in range(3):
        assert est.evaluate(eval_input()) == first  # metrics start afresh each call
    assert counts.model_fn_calls["eval"] == 1 and counts.checkpoint_reads == 1 and counts.saver_restores == 0

    predictions = _predict(est, X[:5])
    np.testing.assert_array_equal(_predict(est, X[:5]), predictions)
    assert counts.model_fn_calls["infer"] == 1 and counts.checkpoint_reads == 2
    # The cached values are the checkpoint's.
    kernel = est.get_variable_value("linear/kernel")
    bias = est.get_variable_value("linear/bias")
    np.testing.assert_allclose(predictions, X[:5] @ kernel + bias, rtol=1e-5)


def test_new_data_from_the_input_fn_rebuilds_and_is_used(est, counts):
    data = {"x": X[:4].copy()}

    def input_fn():
        return tf.data.Dataset.from_tensor_slices(data).batch(2)
    before = np.concatenate([p["y"][None] for p in est.predict(input_fn)])
    data["x"] = X[4:8].copy()  # the same input_fn, other data: its next call builds another pipeline
    after = np.concatenate([p["y"][None] for p in est.predict(input_fn)])
    assert counts.model_fn_calls["infer"] == 2
    np.testing.assert_allclose(after, _predict(est, X[4:8]), rtol=1e-6)
    assert not np.allclose(before, after)
    data["x"][:] = X[:4]  # in place: the content differs from the cached pipeline's
    np.testing.assert_allclose(np.concatenate([p["y"][None] for p in est.predict(input_fn)]), before, rtol=1e-6)


def test_a_generator_reads_its_data_anew_through_the_cached_graph(est, counts, tmp_path):
    path = str(tmp_path / "rows.npy")
    np.save(path, X[:2])

    def input_fn():
        return tf.data.Dataset.from_generator(lambda: iter(np.load(path)), tf.float32, [2]).map(
            lambda x: {"x": x}).batch(2)
    first = np.stack([p["y"] for p in est.predict(input_fn)])
    np.save(path, X[2:5])
    second = np.stack([p["y"] for p in est.predict(input_fn)])
    assert counts.model_fn_calls["infer"] == 1  # the same pipeline: the graph is reused ...
    assert len(first) == 2 and len(second) == 3  # ... and the generator is run again
    np.testing.assert_allclose(second, _predict(est, X[2:5]), rtol=1e-6)


def test_params_mode_predict_keys_and_hooks_rebuild(est, counts):
    assert [p["scaled"] for p in est.predict(predict_input(), predict_keys="scaled")][0] == pytest.approx(
        _predict(est, X[:1])[0][0])
    builds = counts.model_fn_calls["infer"]
    est._params["scale"][0] = 3.0  # a nested value of params changed (the dict is the user's)
    scaled = [p["scaled"] for p in est.predict(predict_input(), predict_keys="scaled")]
    assert counts.model_fn_calls["infer"] == builds + 1
    assert scaled[0] == pytest.approx(3.0 * _predict(est, X[:1])[0][0], rel=1e-5)
    builds = counts.model_fn_calls["infer"]
    list(est.predict(predict_input(), predict_keys=["y"]))
    list(est.predict(predict_input(), predict_keys=["y"]))
    assert counts.model_fn_calls["infer"] == builds + 1

    est.evaluate(eval_input())
    est.evaluate(eval_input())
    assert counts.model_fn_calls["eval"] == 1  # evaluation has its own cached graph
    list(est.predict(predict_input(), predict_keys=["y"]))
    assert counts.model_fn_calls["infer"] == builds + 1

    class Hook(tf.train.SessionRunHook):
        def begin(self):  # a graph that is not cached gets no placeholders for cached values
            assert not [op for op in tf.get_default_graph().get_operations() if op.name.startswith("cached_value/")]
    est.evaluate(eval_input(), hooks=[Hook()])
    est.evaluate(eval_input(), hooks=[Hook()])
    assert counts.model_fn_calls["eval"] == 3 and counts.saver_restores == 2
    est.evaluate(eval_input())  # the cached graph stays valid beside calls with hooks
    assert counts.model_fn_calls["eval"] == 3


def test_a_new_or_rewritten_checkpoint_is_read_but_the_graph_is_kept(est, counts, tmp_path):
    at_20 = est.evaluate(eval_input())
    est.train(train_input(), steps=20)
    at_40 = est.evaluate(eval_input())
    assert at_40["global_step"] == 40 and at_40["loss"] < at_20["loss"]
    assert counts.model_fn_calls["eval"] == 1 and counts.checkpoint_reads == 2
    assert est.evaluate(eval_input(), checkpoint_path=est.latest_checkpoint().replace("-40", "-20")) == at_20

    # The same path rewritten with other contents (another model's checkpoint copied over it).
    other = tf.estimator.Estimator(linear_model_fn, model_dir=str(tmp_path / "other"), params={"lr": 0.01})
    other.train(train_input(), steps=40)
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copyfile(other.latest_checkpoint() + suffix, est.latest_checkpoint() + suffix)
    rewritten = est.evaluate(eval_input())
    assert rewritten == other.evaluate(eval_input()) and rewritten["loss"] != at_40["loss"]
    assert counts.model_fn_calls["eval"] == 1


def test_without_checkpoint_runs_initialization_and_a_missing_variable_still_fails(tmp_path, counts):
    est = tf.estimator.Estimator(counts.model_fn, model_dir=str(tmp_path / "m"), params={"lr": 0.5, "scale": [1]})
    assert est.evaluate(eval_input())["global_step"] == 0
    est.train(train_input(), steps=1)
    assert est.evaluate(eval_input())["global_step"] == 1

    def other_model_fn(features, labels, mode):
        pred = tf.layers.dense(features["x"], 1, name="renamed")
        loss = tf.losses.mean_squared_error(labels, pred)
        return tf.estimator.EstimatorSpec(mode, predictions={"y": pred}, loss=loss)
    other = tf.estimator.Estimator(other_model_fn, model_dir=est.model_dir)
    with pytest.raises(tf.errors.NotFoundError):
        other.evaluate(eval_input())


def test_fingerprint_compares_by_content():
    def pipeline(array, scale):
        graph = tf.Graph()
        with graph.as_default():
            dataset = tf.data.Dataset.from_tensor_slices(array).map(lambda x: x * scale)
            features = tf.data.make_one_shot_iterator(dataset).get_next()
        return graph_cache.graph_fingerprint(graph, features)
    a = pipeline(np.arange(4.0), 2.0)
    assert a is not None and a == pipeline(np.arange(4.0), 2.0)
    assert a != pipeline(np.arange(4.0) + 1, 2.0) and a != pipeline(np.arange(4.0), 3.0)

    class Opaque:
        __slots__ = ()

    import threading  # noqa: I001 - a lock is the example of what cannot be compared
    graph = tf.Graph()
    assert graph_cache.graph_fingerprint(graph, threading.Lock()) is None
    assert graph_cache.graph_fingerprint(graph, Opaque()) is not None
    assert graph_cache.snapshot({"a": [1]}) == {"a": [1]}
    assert graph_cache.snapshot({"a": np.arange(3)}) is None  # not comparable with ==: never cached


def test_an_input_too_big_to_compare_is_simply_rebuilt(monkeypatch):
    monkeypatch.setattr(graph_cache, "_MAX_ITEMS", 50)
    graph = tf.Graph()
    assert graph_cache.graph_fingerprint(graph, [str(i) for i in range(10)]) is not None
    assert graph_cache.graph_fingerprint(graph, [str(i) for i in range(100)]) is None
    assert graph_cache.graph_fingerprint(graph, np.arange(10**6)) is not None  # an array is one value
