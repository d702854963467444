"""tf.make_template (estflow/library/template.py): variables made once, shared by every call."""

import pytest

import estflow as tf


def _dense(x, units=1):
    w = tf.get_variable("w", [3, units])
    return tf.matmul(x, w)


@pytest.mark.usefixtures("g")
def test_variables_are_created_once_and_shared():
    layer = tf.make_template("dense", _dense, units=2)
    x = tf.zeros([1, 3])
    first, second = layer(x), layer(x)
    assert [v.name for v in tf.global_variables()] == ["dense/w:0"]
    assert first.op.name == "dense/MatMul" and second.op.name == "dense_1/MatMul"
    assert layer.variable_scope_name == "dense" and layer.name == "dense"
    assert [v.name for v in layer.trainable_variables] == ["dense/w:0"]
    assert layer.variables == layer.global_variables and layer.non_trainable_variables == []
    assert first.shape.as_list() == [1, 2]


@pytest.mark.usefixtures("g")
def test_scope_names_are_unique_and_may_be_made_at_once():
    tf.make_template("dense", _dense)(tf.zeros([1, 3]))
    now = tf.make_template("dense", _dense, create_scope_now_=True)
    assert now.variable_scope_name == "dense_1"
    now(tf.zeros([1, 3]))
    named = tf.make_template("ignored", _dense, unique_name_="chosen")
    named(tf.zeros([1, 3]))
    assert [v.name for v in tf.global_variables()] == ["dense/w:0", "dense_1/w:0", "chosen/w:0"]


@pytest.mark.usefixtures("g")
def test_a_later_call_may_not_create_variables():
    calls = []

    def grows(x):
        calls.append(1)
        return x * tf.get_variable(f"v{len(calls)}", [], initializer=tf.ones_initializer())

    template = tf.make_template("grows", grows)
    template(tf.constant(1.0))
    with pytest.raises(ValueError):
        template(tf.constant(1.0))


@pytest.mark.usefixtures("g")
def test_custom_getter_is_used():
    seen = []

    def getter(getter, name, *args, **kwargs):
        seen.append(name)
        return getter(name, *args, **kwargs)

    tf.make_template("custom", _dense, custom_getter_=getter)(tf.zeros([1, 3]))
    assert seen == ["custom/w"]
