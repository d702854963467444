"""tf.contrib.predictor: a SavedModel or an Estimator as a dict -> dict callable."""

import numpy as np
import pytest

import estflow as tf


def _save(export_dir):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        words = tf.placeholder(tf.string, [None], name="words")
        w = tf.get_variable("w", initializer=tf.constant([[1.0], [2.0]]))
        y = tf.matmul(x, w, name="y")
        length = tf.strings.length(words, name="length")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            b = tf.saved_model.builder.SavedModelBuilder(export_dir)
            sigs = {
                "serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y}),
                "both": tf.saved_model.predict_signature_def({"x": x, "words": words}, {"y": y, "n": length}),
            }
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=sigs)
            b.save()


def test_from_saved_model(tmp_path):
    _save(str(tmp_path / "m"))
    predict = tf.contrib.predictor.from_saved_model(str(tmp_path / "m"))
    out = predict({"x": np.array([[1.0, 1.0]], np.float32)})
    assert set(out) == {"y"}
    np.testing.assert_allclose(out["y"], [[3.0]])
    out2 = predict({"x": [[2.0, 0.0], [0.0, 1.0]]})  # lists are converted; the plan is reused
    np.testing.assert_allclose(out2["y"], [[2.0], [2.0]])
    assert out["y"] is not out2["y"]
    assert predict.graph.finalized and set(predict.feed_tensors) == {"x"}
    assert "feed tensors ['x']" in repr(predict)
    with pytest.raises(ValueError, match="Unrecognized input key: z"):
        predict({"z": [[1.0, 1.0]]})
    with pytest.raises(ValueError, match="Cannot feed value of shape"):
        predict({"x": [1.0, 1.0]})


def test_signature_choice_and_tags(tmp_path):
    _save(str(tmp_path / "m"))
    both = tf.contrib.predictor.from_saved_model(str(tmp_path / "m"), signature_def_key="both", tags="serve")
    out = both({"words": [b"abc", b"de"], "x": [[1.0, 0.0], [0.0, 0.0]]})
    np.testing.assert_array_equal(out["n"], [3, 2])
    out = both({"x": [[1.0, 0.0]], "words": [b"a"]})  # another key order: its own plan
    np.testing.assert_array_equal(out["n"], [1])
    with pytest.raises(ValueError, match='Got signature_def_key "nope". Available signatures are'):
        tf.contrib.predictor.from_saved_model(str(tmp_path / "m"), signature_def_key="nope")
    named = tf.contrib.predictor.from_saved_model(str(tmp_path / "m"), input_names={"a": "x:0"},
                                                  output_names={"b": "y:0"})
    np.testing.assert_allclose(named({"a": [[0.0, 1.0]]})["b"], [[2.0]])
    with pytest.raises(ValueError, match="both be specified"):
        tf.contrib.predictor.from_saved_model(str(tmp_path / "m"), input_names={"a": "x:0"})
    with pytest.raises(RuntimeError, match="could not be found"):
        tf.contrib.predictor.from_saved_model(str(tmp_path / "m"), tags=["train"])


def test_from_estimator_matches_predict(tmp_path):
    def model_fn(features, labels, mode):
        w = tf.get_variable("w", initializer=tf.constant(3.0))
        y = features["x"] * w + 1.0
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={"y": y})
        loss = tf.reduce_mean(tf.square(labels - y))
        train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path / "model"))
    est.train(lambda: ({"x": tf.constant([1.0, 2.0])}, tf.constant([2.0, 3.0])), steps=3)
    with tf.Graph().as_default():
        receiver = tf.estimator.export.build_raw_serving_input_receiver_fn(
            {"x": tf.placeholder(tf.float32, [None], name="x")})
    predict = tf.contrib.predictor.from_estimator(est, receiver)
    expected = [p["y"] for p in est.predict(tf.estimator.inputs.numpy_input_fn(
        {"x": np.array([0.5, 4.0], np.float32)}, shuffle=False))]
    np.testing.assert_array_equal(predict({"x": [0.5, 4.0]})["y"], expected)
    with pytest.raises(KeyError, match="output_key must be one of"):
        tf.contrib.predictor.from_estimator(est, receiver, output_key="missing")


def test_plan_fusions_change_no_prediction_of_a_served_sparse_model(tmp_path, monkeypatch):
    """A served linear + embedding model on tf.Examples (sparse columns, some examples without a
    value): the plan's fusions (core/plan.py) give the same bits in fewer steps."""
    from estflow.core import plan  # the switch this test turns
    from estflow.core.protos import example_pb2  # to write the requests

    fc = tf.feature_column
    color = fc.categorical_column_with_vocabulary_list("color", ["red", "green", "blue"])
    city = fc.categorical_column_with_hash_bucket("city", 5)
    wide, deep = [fc.numeric_column("x"), color, city], [fc.indicator_column(color), fc.embedding_column(city, 3)]

    def model_fn(features, labels, mode):
        logits = tf.feature_column.linear_model(features, wide) + tf.layers.dense(
            tf.feature_column.input_layer(features, deep), 1)
        if mode == tf.estimator.ModeKeys.PREDICT:
            return tf.estimator.EstimatorSpec(mode, predictions={"logits": logits})
        loss = tf.losses.sigmoid_cross_entropy(labels, logits)
        train_op = tf.train.AdagradOptimizer(0.5).minimize(loss, global_step=tf.train.get_global_step())
        return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)

    rng = np.random.default_rng(2)
    features = {"x": rng.standard_normal((32, 1)).astype(np.float32),
                "color": rng.choice(np.array([b"red", b"blue", b"pink"], dtype=object), (32, 1)),
                "city": rng.choice(np.array([b"a", b"b", b"c"], dtype=object), (32, 1))}
    est = tf.estimator.Estimator(model_fn, model_dir=str(tmp_path / "model"),
                                 config=tf.estimator.RunConfig(tf_random_seed=1))
    est.train(tf.estimator.inputs.numpy_input_fn(features, (features["x"] > 0).astype(np.float32), batch_size=8,
                                                 num_epochs=None, shuffle=False), steps=5)
    receiver = tf.estimator.export.build_parsing_serving_input_receiver_fn(fc.make_parse_example_spec(wide + deep))
    path = est.export_saved_model(str(tmp_path / "export"), receiver).decode()
    requests = []
    for i in range(4):
        e = example_pb2.Example()
        e.features.feature["x"].float_list.value.append(float(i))
        if i != 1:  # example 1 has no color: an empty row
            e.features.feature["color"].bytes_list.value.append([b"red", b"pink", b"blue", b"green"][i])
        if i != 2:
            e.features.feature["city"].bytes_list.value.extend([b"a", b"c"][: 1 + i % 2])
        requests.append(e.SerializeToString())
    results = {}
    for fusion in (True, False):
        monkeypatch.setattr(plan, "FUSION", fusion)
        predict = tf.contrib.predictor.from_saved_model(path)
        results[fusion] = [predict({"examples": requests})["logits"], predict({"examples": requests[1:2]})["logits"]]
        results[fusion].append(len(next(iter(predict._plans.values())).steps))
    assert all(a.tobytes() == b.tobytes() for a, b in zip(results[True][:2], results[False][:2]))
    assert results[True][2] < results[False][2]


def test_outputs_are_what_session_run_returns(tmp_path):
    """The call hands back the plan's output arrays as they stand; scalars, a variable's value (a copy) and
    one tensor under two keys come out as Session.run gives them."""
    export_dir = str(tmp_path / "m")
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.get_variable("w", initializer=tf.constant([[1.0], [2.0]]))
        y = tf.matmul(x, w, name="y")
        total = tf.reduce_sum(y, name="total")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            b = tf.saved_model.builder.SavedModelBuilder(export_dir)
            sigs = {"serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y, "total": total}),
                    "weights": tf.saved_model.predict_signature_def({"x": x}, {"w": tf.identity(w), "y": y}),
                    "twice": tf.saved_model.predict_signature_def({"x": x}, {"a": y, "b": y})}
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map=sigs)
            b.save()
    feed = {"x": np.array([[1.0, 1.0], [0.0, 2.0]], np.float32)}
    predict = tf.contrib.predictor.from_saved_model(export_dir)
    out = predict(feed)
    assert out["y"].tolist() == [[3.0], [4.0]] and out["y"].dtype == np.float32
    assert type(out["total"]) is np.float32 and out["total"] == 7.0  # a 0-d result is a numpy scalar
    assert predict._direct[("x",)] is not None
    with_weights = tf.contrib.predictor.from_saved_model(export_dir, signature_def_key="weights")
    got = with_weights(feed)
    assert with_weights._direct[("x",)] is None  # a variable's value is copied before it escapes
    got["w"][0, 0] = 100.0
    assert with_weights(feed)["y"].tolist() == [[3.0], [4.0]]
    twice = tf.contrib.predictor.from_saved_model(export_dir, signature_def_key="twice")
    got = twice(feed)
    assert got["a"].tolist() == got["b"].tolist() == [[3.0], [4.0]] and sorted(got) == ["a", "b"]  # a proto map's order
    expected = predict.session.run(predict.fetch_tensors, {predict.feed_tensors["x"]: feed["x"]})
    assert set(expected) == set(out)
    for k in out:
        np.testing.assert_array_equal(out[k], expected[k])
        assert type(out[k]) is type(expected[k])
