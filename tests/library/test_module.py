"""tf.Module: name scopes, variable and sub-module tracking."""

import pytest

import estflow as tf


class Dense(tf.Module):
    def __init__(self, units, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = tf.Variable(tf.ones([3, units]), name="w")
            self.b = tf.Variable(tf.zeros([units]), name="b", trainable=False)

    @tf.Module.with_name_scope
    def __call__(self, x):
        return tf.matmul(x, self.w, name="apply") + self.b


class Stack(tf.Module):
    def __init__(self):
        super().__init__()
        self.layers = [Dense(4), Dense(2, name="head")]
        self.extra = {"shared": self.layers[0]}  # the same module twice: listed once


def test_names_and_scopes(g):
    first, second = Dense(2), Dense(2)
    assert (first.name, second.name) == ("dense", "dense")
    assert first.w.name == "dense/w:0" and second.w.name == "dense_1/w:0"
    y = first(tf.ones([1, 3]))
    assert y.op.name == "dense/add" and y.op.inputs[0].op.name == "dense/apply"
    assert Stack().name == "stack"
    outer = tf.Module(name="outer")
    with outer.name_scope:
        nested = Dense(1)
    assert nested.w.name == "outer/dense/w:0"
    with pytest.raises(ValueError, match="not a valid module name"):
        tf.Module(name="no spaces")


def test_variables_and_submodules_are_tracked_once(g):
    model = Stack()
    names = [v.name for v in model.variables]
    assert names == ["dense/b:0", "dense/w:0", "head/b:0", "head/w:0"]  # built outside stack's name scope
    assert [v.name for v in model.trainable_variables] == ["dense/w:0", "head/w:0"]
    assert [v.name for v in model.non_trainable_variables] == ["dense/b:0", "head/b:0"]
    assert model.submodules == (model.layers[0], model.layers[1])
    paths = model._flatten(predicate=lambda v: isinstance(v, tf.Variable), with_path=True)
    assert paths[0][0] == ("extra", "shared", "b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(model.layers[1](tf.ones([1, 3]))).tolist() == [[3.0, 3.0]]
