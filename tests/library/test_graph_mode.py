"""Execution-mode queries and switches (estflow/library/graph_mode.py): estflow always builds graphs."""

import logging

import numpy as np
import pytest

import estflow as tf


def test_graph_mode_answers():
    assert tf.executing_eagerly() is False
    assert tf.executing_eagerly_outside_functions() is False
    assert tf.resource_variables_enabled() is False
    assert tf.disable_eager_execution() is None
    assert tf.disable_v2_behavior() is None
    assert tf.disable_resource_variables() is None


@pytest.mark.parametrize("call", [tf.enable_eager_execution, tf.enable_v2_behavior, tf.GradientTape])
def test_eager_switches_say_why_they_are_refused(call):
    with pytest.raises(RuntimeError, match="estflow builds graphs"):
        call()


@pytest.mark.usefixtures("g")
def test_get_static_value():
    assert tf.get_static_value(tf.constant([1, 2])).tolist() == [1, 2]
    assert tf.get_static_value(tf.constant(2) * 3) == 6
    assert tf.get_static_value(tf.placeholder(tf.float32)) is None
    np.testing.assert_array_equal(tf.get_static_value([1.0, 2.0]), [1.0, 2.0])


@pytest.mark.usefixtures("g")
def test_init_scope_leaves_control_dependencies_and_function_graphs():
    a = tf.constant(1.0)
    with tf.name_scope("outer"), tf.control_dependencies([a]):
        with tf.init_scope():
            free = tf.constant(2.0, name="free")
        bound = tf.constant(3.0, name="bound")
    assert free.op.control_inputs == [] and bound.op.control_inputs == [a.op]
    assert free.op.name == "outer/free"
    lifted = []

    def body(i):
        with tf.init_scope():
            lifted.append(tf.constant(5.0, name="lifted"))
        return i + 1

    tf.while_loop(lambda i: i < 3, body, [tf.constant(0)])
    assert lifted[0].graph is tf.get_default_graph()


@pytest.mark.usefixtures("g")
def test_is_symbolic_tensor_and_small_aliases():
    assert tf.is_symbolic_tensor(tf.constant(1.0)) and not tf.is_symbolic_tensor(np.float32(1.0))
    assert tf.OpError is tf.errors.OpError and tf.NoGradient is tf.no_gradient
    assert tf.initialize_variables is tf.variables_initializer
    assert tf.initialize_local_variables is tf.local_variables_initializer
    assert isinstance(tf.get_logger(), logging.Logger)
