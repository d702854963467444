"""TF1's graph-wide scopes over resource creation: `tf.container` and `tf.variable_creator_scope`.

    with tf.container("experiment0"):        # stateful ops built inside get container "experiment0"
        q = tf.FIFOQueue(10, tf.float32, shared_name="q")

    def creator(next_creator, **kwargs):      # sees (and may change) every tf.Variable's arguments
        kwargs["trainable"] = False
        return next_creator(**kwargs)
    with tf.variable_creator_scope(creator):
        v = tf.get_variable("v", [2])         # built through `creator`
"""

from __future__ import annotations

import contextlib

from estflow.core.graph import get_default_graph


def container(container_name):
    """The default graph's `container(container_name)` scope, as `tf.container`."""
    return get_default_graph().container(container_name)


@contextlib.contextmanager
def variable_creator_scope(variable_creator):
    """Within the block, `tf.Variable` (and so `tf.get_variable`) calls `variable_creator(next_creator,
    **kwargs)` with the constructor's arguments (initial_value, trainable, collections, validate_shape,
    caching_device, name, variable_def, dtype, expected_shape, import_scope, constraint, use_resource,
    synchronization, aggregation, shape), as `tf.variable_creator_scope` (TF1's v1 creators); nested
    scopes chain, the innermost creator first. The stack belongs to the default graph."""
    graph = get_default_graph()
    stack = graph.__dict__.setdefault("_variable_creator_stack", [])
    stack.append(variable_creator)
    try:
        yield
    finally:
        stack.pop()
