"""estflow.python.framework.ops: TF1's `from tensorflow.python.framework import ops` names resolve to estflow's."""

import estflow as tf
from estflow.python.framework import ops


def test_graph_scopes_and_collections_are_estflows():
    assert ops.Graph is tf.Graph and ops.Tensor is tf.Tensor and ops.GraphKeys is tf.GraphKeys
    g = ops.Graph()
    with g.as_default():
        with ops.name_scope("outer"):
            c = ops.convert_to_tensor([1.0, 2.0])
            assert ops.get_name_scope() == "outer"
        ops.add_to_collection("things", c)
        assert ops.get_default_graph() is g and ops.get_collection("things") == [c]
        assert c.op.name == "outer/Const"
    assert ops.RegisterGradient is tf.RegisterGradient and ops.NoGradient is tf.NotDifferentiable
