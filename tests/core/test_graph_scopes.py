"""tf.container and tf.variable_creator_scope."""

import estflow as tf


def test_container_names_the_resources_built_inside(g):
    with tf.container("exp"):
        queue = tf.FIFOQueue(3, tf.float32, shared_name="q")
        v = tf.Variable(1.0, name="v")
        with tf.container("inner"):
            inner = tf.FIFOQueue(3, tf.float32, shared_name="q")
    outside = tf.FIFOQueue(3, tf.float32, shared_name="q")
    assert queue.queue_ref.op.get_attr("container") == "exp" and v.op.get_attr("container") == "exp"
    assert inner.queue_ref.op.get_attr("container") == "inner"
    assert outside.queue_ref.op.get_attr("container") == ""
    node = [n for n in g.as_graph_def().node if n.name == v.op.name][0]
    assert node.attr["container"].s == b"exp"
    with tf.Session() as sess:  # one shared name, two containers: two queues
        sess.run(queue.enqueue(1.0))
        assert sess.run([queue.size(), outside.size(), inner.size()]) == [1, 0, 0]


def test_variable_creator_scope_chains_creators_innermost_first(g):
    calls = []

    def outer(next_creator, **kwargs):
        calls.append(("outer", kwargs["name"]))
        kwargs["trainable"] = False
        return next_creator(**kwargs)

    def inner(next_creator, **kwargs):
        calls.append(("inner", kwargs["name"], sorted(kwargs)))
        kwargs["initial_value"] = 7.0
        return next_creator(**kwargs)

    with tf.variable_creator_scope(outer):
        with tf.variable_creator_scope(inner):
            v = tf.Variable(1.0, name="v")
        w = tf.get_variable("w", [], initializer=tf.ones_initializer())
    u = tf.Variable(2.0, name="u")
    assert calls[0] == ("inner", "v", ["aggregation", "caching_device", "collections", "constraint", "dtype",
                                       "expected_shape", "import_scope", "initial_value", "name", "shape",
                                       "synchronization", "trainable", "use_resource", "validate_shape",
                                       "variable_def"])
    assert calls[1:] == [("outer", "v"), ("outer", "w")]
    assert not v.trainable and not w.trainable and u.trainable
    assert tf.trainable_variables() == [u]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run([v, w, u]) == [7.0, 1.0, 2.0]


def test_a_creator_may_return_its_own_variable(g):
    shared = tf.Variable(3.0, name="shared")
    with tf.variable_creator_scope(lambda next_creator, **kwargs: shared):
        again = tf.Variable(5.0, name="other")
    assert again is shared
