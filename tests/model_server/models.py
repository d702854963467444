"""Small models the server tests serve: one graph with predict, classify and regress signatures.

Version `v` adds `v` to every numeric output, so a response says which version answered.
`build(version)` makes the graph, a session and its MetaGraphDef in memory; `servable()`
wraps them as the server's Servable (used where a test needs a loader it controls).
"""

import os

import numpy as np

import estflow as tf
from estflow.core.graph_io import shape_to_proto
from estflow.core.protos import example_pb2, meta_graph_pb2
from estflow.model_server.servable import Servable

WEIGHTS = np.array([1.0, 2.0], np.float32)


def _info(t):
    return meta_graph_pb2.TensorInfo(name=t.name, dtype=t.dtype.as_datatype_enum,
                                     tensor_shape=shape_to_proto(t.shape))


def _signature(inputs, outputs, method):
    sig = meta_graph_pb2.SignatureDef(method_name=method)
    for k, t in inputs.items():
        sig.inputs[k].CopyFrom(_info(t))
    for k, t in outputs.items():
        sig.outputs[k].CopyFrom(_info(t))
    return sig


def build_graph(version: int):
    """The ops and the {key: SignatureDef} of the test model, in the default graph."""
    bias = tf.Variable(float(version), name="bias")  # restored from the SavedModel's checkpoint
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    y = tf.reduce_sum(x * WEIGHTS, axis=1) + bias
    double = tf.identity(x * 2.0 + bias, name="double")
    s = tf.placeholder(tf.string, [None], name="s")
    k = tf.placeholder(tf.int64, [None], name="k")
    total = tf.reduce_sum(x, axis=1) + tf.cast(k, tf.float32) + bias
    serialized = tf.placeholder(tf.string, [None], name="input_example_tensor")
    parsed = tf.parse_example(serialized, {"x": tf.FixedLenFeature([2], tf.float32)})
    ex_y = tf.reduce_sum(parsed["x"] * WEIGHTS, axis=1) + bias
    scores = tf.nn.softmax(tf.stack([ex_y, -ex_y], axis=1))
    classes = tf.tile(tf.constant([["pos", "neg"]]), tf.stack([tf.shape(ex_y)[0], 1]))
    return {
        "serving_default": _signature({"x": x}, {"y": y, "double": double}, "tensorflow/serving/predict"),
        "strings": _signature({"s": s}, {"s": tf.identity(s), "s_bytes": tf.identity(s)},
                              "tensorflow/serving/predict"),
        "multi": _signature({"x": x, "k": k}, {"total": total}, "tensorflow/serving/predict"),
        "classification": _signature({"inputs": serialized}, {"classes": classes, "scores": scores},
                                     "tensorflow/serving/classify"),
        "regression": _signature({"inputs": serialized}, {"outputs": ex_y}, "tensorflow/serving/regress"),
    }


def build(version: int):
    """(graph, session, MetaGraphDef) of the test model, in memory."""
    graph = tf.Graph()
    with graph.as_default():
        signatures = build_graph(version)
        init = tf.global_variables_initializer()
    meta = meta_graph_pb2.MetaGraphDef()
    for key, sig in signatures.items():
        meta.signature_def[key].CopyFrom(sig)
    session = tf.Session(graph=graph)
    session.run(init)
    return graph, session, meta


def servable(name: str = "m", version: int = 1) -> Servable:
    graph, session, meta = build(version)
    return Servable(name, version, graph, session, meta)


def expected_y(x, version: int):
    return (np.asarray(x, np.float32) * WEIGHTS).sum(axis=1) + version


def example(x) -> example_pb2.Example:
    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend([float(v) for v in x])
    return ex


def save(path: str, version: int, broken: bool = False) -> None:
    """A SavedModel of the test model at `path` (SavedModelBuilder); `broken`: a folder whose load fails."""
    if broken:
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "saved_model.pb"), "wb") as f:
            f.write(b"not a SavedModel")
        return
    graph = tf.Graph()
    with graph.as_default():
        signatures = build_graph(version)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            builder = tf.saved_model.builder.SavedModelBuilder(path)
            builder.add_meta_graph_and_variables(sess, [tf.saved_model.tag_constants.SERVING],
                                                 signature_def_map=signatures)
            builder.save()
