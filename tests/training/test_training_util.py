"""The global step: creation, lookup, validation and the cached read used by estimators."""

from __future__ import annotations

import re

import pytest

import estflow as tf
from estflow.core.graph import GraphKeys, name_scope
from estflow.core.ops.constant_op import constant
from estflow.core.variable_scope import get_variable, variable_scope
from estflow.core.variables import Variable, global_variables, trainable_variables
from estflow.training import training_util


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_create_global_step(graph):
    step = training_util.create_global_step()
    assert step.name == "global_step:0" and step.op.name == "global_step"
    assert step.dtype == tf.int64._as_ref and step.shape.as_list() == []
    assert not step.trainable and trainable_variables() == []
    assert global_variables() == [step]
    assert graph.get_collection(GraphKeys.GLOBAL_STEP) == [step]
    assert graph.get_operation_by_name("global_step/Initializer/zeros").type == "Const"


def test_create_global_step_ignores_the_current_scopes(graph):
    with name_scope("outer"), variable_scope("model", reuse=True):
        step = training_util.create_global_step()
    assert step.name == "global_step:0"
    assert graph.get_operation_by_name("global_step/Assign") is step.initializer


def test_create_global_step_twice_is_an_error(graph):
    training_util.create_global_step()
    with pytest.raises(ValueError, match=re.escape('"global_step" already exists.')):
        training_util.create_global_step()


def test_create_global_step_in_another_graph(graph):
    other = tf.Graph()
    step = training_util.create_global_step(other)
    assert step.graph is other
    assert training_util.get_global_step() is None
    assert training_util.get_global_step(other) is step


def test_get_global_step(graph):
    assert training_util.get_global_step() is None
    step = training_util.create_global_step()
    assert training_util.get_global_step() is step
    assert training_util.get_global_step(graph) is step


def test_get_global_step_falls_back_to_the_tensor_name(graph):
    step = Variable(0, name="global_step")  # not in the GLOBAL_STEP collection
    found = training_util.get_global_step()
    assert found is step.op.outputs[0]


def test_get_global_step_with_several_candidates_returns_none(graph):
    graph.add_to_collection(GraphKeys.GLOBAL_STEP, Variable(0))
    graph.add_to_collection(GraphKeys.GLOBAL_STEP, Variable(1))
    assert training_util.get_global_step() is None


def test_get_or_create_global_step(graph):
    step = training_util.get_or_create_global_step()
    assert training_util.get_or_create_global_step() is step
    assert training_util.get_or_create_global_step(graph) is step


def test_global_step_value(graph):
    step = training_util.get_or_create_global_step()
    increment = step.assign_add(5)
    with tf.Session(graph=graph) as sess:
        sess.run(step.initializer)
        assert training_util.global_step(sess, step) == 0
        sess.run(increment)
        value = training_util.global_step(sess, step)
        assert value == 5 and type(value) is int


@pytest.mark.parametrize("make, message", [
    (lambda: "global_step", 'Existing "global_step" must be a Variable or Tensor: global_step.'),
    (lambda: Variable(0.0), 'Existing "global_step" does not have integer type: float32'),
    (lambda: Variable([1, 2]), 'Existing "global_step" is not scalar: (2,)'),
])
def test_assert_global_step(graph, make, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        training_util.assert_global_step(make())


def test_assert_global_step_accepts_integer_scalars(graph):
    training_util.assert_global_step(Variable(0, name="a"))
    training_util.assert_global_step(constant(3, dtype=tf.int64))
    training_util.assert_global_step(tf.placeholder(tf.int32, None))  # unknown shape: accepted


def test_a_wrong_global_step_fails_get_global_step(graph):
    graph.add_to_collection(GraphKeys.GLOBAL_STEP, Variable(0.0))
    with pytest.raises(TypeError, match='Existing "global_step" does not have integer type: float32'):
        training_util.get_global_step()


def test_get_variable_global_step_is_found_by_name(graph):
    step = get_variable("global_step", [], dtype=tf.int64, trainable=False)
    assert training_util.get_global_step() is step.op.outputs[0]


def test_global_step_read_and_increment(graph):
    assert training_util._get_or_create_global_step_read() is None
    step = training_util.create_global_step()
    read = training_util._get_or_create_global_step_read()
    assert read.op.name == "global_step/add" and read.dtype == tf.int64
    assert training_util._get_or_create_global_step_read() is read  # cached in a collection
    increment = training_util._increment_global_step(1)
    assert increment.op.name.startswith("global_step/AssignAdd")
    assert read.op in increment.op.control_inputs
    with tf.Session(graph=graph) as sess:
        assert sess.run(read) == 0  # reads the initial value before initialization
        sess.run(step.initializer)
        sess.run(increment)
        sess.run(increment)
        assert sess.run(read) == 2


def test_increment_needs_a_global_step(graph):
    with pytest.raises(ValueError, match="Global step tensor should be created by "
                                         "tf.train.get_or_create_global_step before calling increment."):
        training_util._increment_global_step(1)


@pytest.mark.usefixtures("g")
def test_global_step_functions():
    assert tf.train.get_global_step() is None
    gs = tf.train.get_or_create_global_step()
    assert gs.name == "global_step:0" and gs.dtype.base_dtype == tf.int64
    assert tf.train.get_global_step() is gs and tf.train.get_or_create_global_step() is gs
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [gs]
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()
    with tf.Graph().as_default():
        gs2 = tf.train.create_global_step()
        assert gs2.name == "global_step:0"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(gs) == 0
