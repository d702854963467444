"""TF2's functional control flow imported from GraphDefs: If and StatelessIf (StatelessWhile is
tested with While in test_function_export.py)."""

import numpy as np
import pytest

import estflow as tf
from tests.core.test_graph_io_round_trip import _if_graph_def


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


@pytest.mark.parametrize("op_type", ["If", "StatelessIf"])
def test_a_tensorflow_if_runs_the_branch_its_predicate_picks(g, op_type):
    (out,) = tf.import_graph_def(_if_graph_def(op_type), return_elements=["if:0"], name="")
    assert out.op.type == op_type
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out, {"pred:0": True, "x:0": [1.0, 2.0]}), [2.0, 4.0])
        np.testing.assert_array_equal(sess.run(out, {"pred:0": False, "x:0": [1.0, 2.0]}), [2.0, 3.0])


def test_if_predicates_follow_tensorflows_truth_rules(g):
    """A non-boolean scalar is its truth value (strings: non-empty); any other tensor: non-empty."""
    graph_def = _if_graph_def("If")
    graph_def.node[0].attr["dtype"].type = tf.string.as_datatype_enum
    graph_def.node[2].attr["Tcond"].type = tf.string.as_datatype_enum
    (out,) = tf.import_graph_def(graph_def, return_elements=["if:0"], name="")
    then, other = [6.0], [4.0]  # x = 3: then doubles, else adds one
    with tf.Session() as sess:
        assert sess.run(out, {"pred:0": b"yes", "x:0": [3.0]}).tolist() == then
        assert sess.run(out, {"pred:0": b"", "x:0": [3.0]}).tolist() == other
        assert sess.run(out, {"pred:0": np.array([b""], dtype=object), "x:0": [3.0]}).tolist() == then  # non-empty
        assert sess.run(out, {"pred:0": np.zeros([0], dtype=object), "x:0": [3.0]}).tolist() == other  # empty
