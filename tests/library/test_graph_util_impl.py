"""tf.graph_util (estflow/library/graph_util_impl.py): freezing, sub-graphs, removing training nodes."""

import numpy as np
import pytest

import estflow as tf


def _trained_graph():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 2], name="x")
        w = tf.Variable([[1.0], [2.0]], name="w")
        b = tf.Variable([0.5], name="b")
        checked = tf.check_numerics(tf.matmul(x, w), "bad", name="checked")
        logits = tf.identity(checked + b, name="logits")
        tf.assign(w, [[3.0], [4.0]], name="update")
    return g, logits


def test_convert_variables_to_constants_freezes_the_values_the_session_holds():
    g, logits = _trained_graph()
    with tf.Session(graph=g) as sess:
        sess.run(["w/Assign", "b/Assign"])
        sess.run("update")
        frozen = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["logits"])
    ops = {node.name: node.op for node in frozen.node}
    assert ops["w"] == "Const" and ops["b"] == "Const"
    assert "update" not in ops and "w/Assign" not in ops
    with tf.Graph().as_default() as imported:
        tf.import_graph_def(frozen, name="")
        with tf.Session() as sess:
            out = sess.run("logits:0", {"x:0": np.float32([[1, 1]])})
    np.testing.assert_allclose(out, [[7.5]])
    assert not imported.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)


def test_convert_variables_to_constants_honours_white_and_black_lists():
    g, _ = _trained_graph()
    with tf.Session(graph=g) as sess:
        sess.run(["w/Assign", "b/Assign"])
        only_w = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["logits"],
                                                              variable_names_whitelist=["w"])
        not_w = tf.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["logits"],
                                                             variable_names_blacklist=["w"])
    assert {n.name: n.op for n in only_w.node}["b"] == "VariableV2"
    assert {n.name: n.op for n in not_w.node}["w"] == "VariableV2"


def test_extract_sub_graph():
    g, _ = _trained_graph()
    sub = tf.graph_util.extract_sub_graph(g.as_graph_def(), ["checked"])
    names = [node.name for node in sub.node]
    assert set(names) == {"x", "w", "w/read", "MatMul", "checked"}
    assert names == [n.name for n in g.as_graph_def().node if n.name in names]  # original order
    with pytest.raises(TypeError, match="iterable of strings"):
        tf.graph_util.extract_sub_graph(g.as_graph_def(), "checked")
    with pytest.raises(AssertionError, match="nope is not in graph"):
        tf.graph_util.extract_sub_graph(g.as_graph_def(), ["nope"])
    with pytest.raises(TypeError, match="GraphDef"):
        tf.graph_util.extract_sub_graph(g, ["checked"])


def test_remove_training_nodes_splices_identities_and_drops_check_numerics():
    g, _ = _trained_graph()
    trimmed = tf.graph_util.remove_training_nodes(g.as_graph_def(), protected_nodes=["logits"])
    by_name = {node.name: node for node in trimmed.node}
    assert "checked" not in by_name
    assert list(by_name["add"].input) == ["b"]  # TF1 drops a removed CheckNumerics input rather than splicing it
    assert "logits" in by_name  # protected
    assert "w/read" not in by_name and "MatMul" in by_name
    assert list(by_name["MatMul"].input) == ["x", "w"]
    plain = tf.graph_util.remove_training_nodes(g.as_graph_def())
    assert "logits" not in {node.name for node in plain.node}


def test_tensor_shape_and_cpu_pinning():
    g, _ = _trained_graph()
    assert tf.graph_util.tensor_shape_from_node_def_name(g, "x").as_list() == [None, 2]
    assert tf.graph_util.tensor_shape_from_node_def_name(g, "logits:0").as_list() == [None, 1]
    with g.as_default():
        ints = tf.constant([1, 2])
        floats = tf.constant([1.0])
    assert tf.graph_util.must_run_on_cpu(ints.op)
    assert not tf.graph_util.must_run_on_cpu(floats.op.node_def)
    w = g.get_operation_by_name("w")
    assert tf.graph_util.must_run_on_cpu(w, pin_variables_on_cpu=True) and not tf.graph_util.must_run_on_cpu(w)
    assert tf.graph_util.import_graph_def is tf.import_graph_def
