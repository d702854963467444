"""tf.test.assert_equal_graph_def (estflow/library/graph_def_equality.py): node order ignored, TF's messages."""

import pytest

import estflow as tf


def _graph(build):
    g = tf.Graph()
    with g.as_default():
        build()
    return g.as_graph_def()


def _ab():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    tf.add(a, b, name="sum")


def _ba():
    b = tf.constant(2.0, name="b")
    a = tf.constant(1.0, name="a")
    tf.add(a, b, name="sum")


def _on_cpu(build):
    with tf.device("/cpu:0"):
        return build()


def test_equal_graphs_in_another_node_order_pass():
    tf.test.assert_equal_graph_def(_graph(_ab), _graph(_ba))


@pytest.mark.parametrize("build, message", [
    (lambda: (_ab(), tf.constant(9.0, name="c")), "Found unexpected node 'c = Const"),
    (lambda: (tf.constant(1.0, name="a"), tf.constant(2.0, name="b")), "Did not find expected node 'sum = AddV2"),
    (lambda: tf.subtract(tf.constant(1.0, name="a"), tf.constant(2.0, name="b"), name="sum"),
     "Node named 'sum' has op 'Sub' that is not expected 'AddV2'"),
    (lambda: tf.add(tf.constant(5.0, name="a"), tf.constant(2.0, name="b"), name="sum"),
     "Node named 'a' has attr 'value' with value"),
    (lambda: _on_cpu(lambda: tf.add(tf.constant(1.0, name="a"), tf.constant(2.0, name="b"), name="sum")),
     "Node named 'a' has device '/device:CPU:0' that is not expected ''"),
])
def test_each_difference_is_named(build, message):
    with pytest.raises(AssertionError) as caught:
        tf.test.assert_equal_graph_def(_graph(build), _graph(_ab))
    assert message in str(caught.value)


def test_inputs_in_order_and_control_inputs_as_a_set():
    def swapped():
        b = tf.constant(2.0, name="b")
        a = tf.constant(1.0, name="a")
        tf.add(b, a, name="sum")

    def with_control(names):
        def build():
            a = tf.constant(1.0, name="a")
            b = tf.constant(2.0, name="b")
            deps = [{"a": a, "b": b}[n].op for n in names]
            with tf.control_dependencies(deps):
                tf.identity(a, name="out")
        return build

    ga, gb = _graph(_ab), _graph(swapped)
    for node in gb.node:  # same constants under each name: only the input order differs
        if node.name in ("a", "b"):
            node.CopyFrom(next(n for n in ga.node if n.name == node.name))
    with pytest.raises(AssertionError, match="Node named 'sum' has input 0 'b' that doesn't match expected 'a'"):
        tf.test.assert_equal_graph_def(gb, ga)
    tf.test.assert_equal_graph_def(_graph(with_control("b")), _graph(with_control("b")))
    with pytest.raises(AssertionError, match="Node named 'out' missing expected control input '\\^b'"):
        tf.test.assert_equal_graph_def(_graph(with_control("")), _graph(with_control("b")))


def test_internal_attrs_are_ignored_and_types_checked():
    actual, expected = _graph(_ab), _graph(_ab)
    actual.node[0].attr["_class"].s = b"loc:@b"
    tf.test.assert_equal_graph_def(actual, expected)
    with pytest.raises(TypeError, match="Expected tf.GraphDef"):
        tf.test.assert_equal_graph_def("not a graph", expected)


def test_checkpoint_v2_ignores_the_savers_random_temp_names():
    def saver_like(suffix):
        def build():
            tf.constant(f"model_temp_{suffix}/part", name="StringJoin/inputs_1")
        return build

    first, second = _graph(saver_like("abc123")), _graph(saver_like("def456"))
    with pytest.raises(AssertionError):
        tf.test.assert_equal_graph_def(first, second)
    tf.test.assert_equal_graph_def(first, second, checkpoint_v2=True)
