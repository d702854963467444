"""tf.op_scope and tf.variable_op_scope (estflow/library/legacy_scopes.py)."""

import pytest

import estflow as tf


@pytest.mark.usefixtures("g")
def test_old_argument_orders():
    x = tf.constant(1.0)
    with tf.op_scope([x], "outer") as scope:
        assert scope == "outer/" and tf.identity(x).op.name == "outer/Identity"
    with tf.op_scope([x], None, default_name="fallback") as scope:
        assert scope == "fallback/"
    with tf.variable_op_scope([x], "vars", reuse=tf.AUTO_REUSE):
        v = tf.get_variable("v", [])
    with tf.variable_op_scope([x], "vars", reuse=True):
        assert tf.get_variable("v", []) is v
    assert v.name == "vars/v:0"
