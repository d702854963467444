"""The tf.layers `Layer` base class (estflow/library/layers/base.py): scopes, naming, tracking."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core.graph import GraphKeys, get_collection
from estflow.core.ops.constant_op import placeholder
from estflow.core.variable_scope import variable_scope
from estflow.core.variables import global_variables_initializer
from estflow.library.layers.base import Layer


class Scale(Layer):
    def build(self, input_shape):
        self.w = self.add_weight("w", [input_shape[-1]])
        self.counter = self.add_weight("counter", [], trainable=False)

    def call(self, inputs):
        self.add_update(self.counter.assign_add(1.0))
        return inputs * self.w


def test_names_scopes_and_tracking():
    with tf.Graph().as_default():
        x = placeholder(tf.float32, [None, 3])
        first, second = Scale(), Scale()
        assert (first.name, second.name) == ("scale", "scale_1")
        with pytest.raises(ValueError, match="has not been used yet"):
            _ = first.scope_name
        with variable_scope("outer"):
            y = first(x)
        assert first.scope_name == "outer/scale" and y.op.name == "outer/scale/mul"
        assert [v.name for v in first.variables] == ["outer/scale/w:0", "outer/scale/counter:0"]
        assert first.trainable_variables == [first.w] and first.non_trainable_variables == [first.counter]
        y2 = first(x)                                     # the same variables, a new op in the same name scope
        assert y2.op.name == "outer/scale/mul_1" and len(first.variables) == 2
        second.apply(x, training=True)  # dropped: Scale.call takes no `training`
        assert second.scope_name == "scale"
        assert first.count_params() == 4
        assert len(get_collection(GraphKeys.UPDATE_OPS)) == 3 and len(first.updates) == 2


def test_non_trainable_layer_and_unknown_kwargs():
    with tf.Graph().as_default():
        layer = Scale(trainable=False)
        layer(np.ones((2, 3), np.float32))
        assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
        assert tf.trainable_variables() == []
        with pytest.raises(TypeError, match="Keyword argument not understood"):
            Scale(units=3)
        with tf.Session() as sess:
            sess.run(global_variables_initializer())


def test_add_weight_takes_tf1s_variable_arguments_and_refuses_unknown_ones():
    with tf.Graph().as_default():
        layer = Layer(name="layer")
        w = layer.add_weight("w", [2], synchronization=tf.VariableSynchronization.ON_READ)
        v = layer.add_weight("v", [2], use_resource=True, experimental_autocast=False)
        assert not w.trainable and w in layer.non_trainable_weights and v in layer.trainable_weights
        with pytest.raises(TypeError, match="Unknown keyword argument: getter"):
            layer.add_weight("u", [2], getter=tf.get_variable)
        with pytest.raises(ValueError, match="Invalid variable aggregation mode"):
            layer.add_weight("a", [2], aggregation=42)
