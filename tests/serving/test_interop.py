"""Real TensorFlow (in its own environment) loads an estflow SavedModel and answers with estflow's numbers."""

import json

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import example_pb2

_TF_LOAD = r"""
import json, sys
import numpy as np
import tensorflow as tf
tf1 = tf.compat.v1
export_dir, request = sys.argv[1], json.loads(sys.argv[2])
serialized = [bytes.fromhex(h) for h in request["examples"]]
out = {}
with tf.Graph().as_default(), tf1.Session() as sess:
    meta = tf1.saved_model.loader.load(sess, ["serve"], export_dir)
    out["signatures"] = {k: {"method": v.method_name, "inputs": sorted(v.inputs), "outputs": sorted(v.outputs)}
                         for k, v in meta.signature_def.items()}
    for key in ("serving_default", "predict"):
        sig = meta.signature_def[key]
        (input_name,) = [v.name for v in sig.inputs.values()]
        values = sess.run({k: v.name for k, v in sig.outputs.items()}, {input_name: serialized})
        out[key] = {k: (v.astype(str) if v.dtype.kind in "SO" else v).tolist() for k, v in values.items()}
    vocab = sess.run(meta.signature_def["predict"].outputs["color_id"].name,
                     {meta.signature_def["predict"].inputs["examples"].name: serialized})
    out["color_id"] = vocab.tolist()
print(json.dumps(out))
"""


def _model_fn(features, labels, mode):
    ids = tf.contrib.lookup.index_table_from_file(_model_fn.vocab, num_oov_buckets=1).lookup(features["color"])
    dense = tf.concat([features["x"], tf.one_hot(ids, 4)], axis=1)
    hidden = tf.layers.dense(dense, 4, activation=tf.nn.relu, name="hidden")
    logits = tf.layers.dense(hidden, 2, name="logits")
    probabilities = tf.nn.softmax(logits)
    if mode == tf.estimator.ModeKeys.PREDICT:
        all_classes = tf.tile(tf.constant([[b"no", b"yes"]]), [tf.shape(logits)[0], 1])
        outputs = {
            "serving_default": tf.estimator.export.ClassificationOutput(scores=probabilities, classes=all_classes),
            "predict": tf.estimator.export.PredictOutput({"probabilities": probabilities, "color_id": ids,
                                                          "logits": logits}),
        }
        return tf.estimator.EstimatorSpec(mode, predictions={"probabilities": probabilities},
                                          export_outputs=outputs)
    loss = tf.losses.sparse_softmax_cross_entropy(labels, logits)
    train_op = tf.train.AdagradOptimizer(0.3).minimize(loss, global_step=tf.train.get_global_step())
    return tf.estimator.EstimatorSpec(mode, loss=loss, train_op=train_op)


def _examples(x, colors):
    out = []
    for row, color in zip(x, colors):
        e = example_pb2.Example()
        e.features.feature["x"].float_list.value.extend(row.tolist())
        e.features.feature["color"].bytes_list.value.append(color)
        out.append(e.SerializeToString())
    return out


@pytest.mark.interop
def test_tensorflow_loads_an_estimator_export(tmp_path, tf_python):
    from tests.interop import run_tensorflow

    vocab = tmp_path / "colors.txt"
    vocab.write_text("red\ngreen\nblue\n")
    _model_fn.vocab = str(vocab)
    rng = np.random.RandomState(1)
    x = rng.randn(32, 2).astype(np.float32)
    colors = np.array([b"red", b"green", b"blue", b"pink"])[rng.randint(0, 4, 32)]
    y = ((x[:, 0] > 0) ^ (colors == b"red")).astype(np.int32)

    def input_fn():
        return tf.data.Dataset.from_tensor_slices(({"x": x, "color": colors}, y)).repeat().batch(8)

    est = tf.estimator.Estimator(_model_fn, model_dir=str(tmp_path / "model"))
    est.train(input_fn, steps=10)
    spec = {"x": tf.FixedLenFeature([2], tf.float32), "color": tf.FixedLenFeature([], tf.string)}
    path = est.export_saved_model(str(tmp_path / "export"),
                                  tf.estimator.export.build_parsing_serving_input_receiver_fn(spec))
    vocab.unlink()  # both loaders must use the copy in assets/
    serialized = _examples(x[:6], colors[:6])
    ours = tf.contrib.predictor.from_saved_model(path.decode())({"inputs": serialized})
    ours_predict = tf.contrib.predictor.from_saved_model(path.decode(), "predict")({"examples": serialized})
    theirs = run_tensorflow(tf_python, _TF_LOAD, path.decode(),
                            json.dumps({"examples": [s.hex() for s in serialized]}))
    assert theirs["signatures"]["serving_default"] == {"method": "tensorflow/serving/classify",
                                                       "inputs": ["inputs"], "outputs": ["classes", "scores"]}
    assert theirs["signatures"]["predict"]["inputs"] == ["examples"]
    np.testing.assert_allclose(theirs["serving_default"]["scores"], ours["scores"], rtol=1e-6, atol=1e-7)
    assert theirs["serving_default"]["classes"] == ours["classes"].astype(str).tolist()
    np.testing.assert_allclose(theirs["predict"]["logits"], ours_predict["logits"], rtol=1e-6, atol=1e-6)
    assert theirs["color_id"] == ours_predict["color_id"].tolist() == [
        {b"red": 0, b"green": 1, b"blue": 2}.get(c, 3) for c in colors[:6]]
