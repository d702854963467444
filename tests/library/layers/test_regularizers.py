"""Weight regularizers (estflow/library/layers/regularizers.py), as tf.contrib.layers' ones."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow import layers
from estflow.core.graph import GraphKeys, add_to_collection, get_collection
from estflow.core.ops.constant_op import constant
from estflow.core.variable_scope import get_variable

W = np.array([[1.0, -2.0], [0.5, 0.0]])


def _eval(t):
    with tf.Session() as sess:
        return sess.run(t)


def test_l1_l2_and_combinations():
    with tf.Graph().as_default():
        w = constant(W)
        l1, l2 = layers.l1_regularizer(0.1)(w), layers.l2_regularizer(0.2)(w)
        assert l1.op.name == "l1_regularizer" and l2.op.name == "l2_regularizer"
        both = layers.l1_l2_regularizer(0.1, 0.2)(w)
        assert both.op.name == "l1_l2_regularizer"
        summed = layers.sum_regularizer([layers.l1_regularizer(0.1), None, layers.l2_regularizer(0.2)])(w)
        assert _eval(l1) == pytest.approx(0.35) and _eval(l2) == pytest.approx(0.2 * 5.25 / 2)
        assert _eval(both) == pytest.approx(0.35 + 0.525) and _eval(summed) == pytest.approx(0.875)
        assert layers.l1_l2_regularizer(0.0, 0.2)(w).op.name.startswith("l1_l2_regularizer")
        assert layers.l2_regularizer(0.0)(w) is None
        assert layers.sum_regularizer([None]) is None


def test_scale_validation():
    with pytest.raises(ValueError, match="scale cannot be an integer: 1"):
        layers.l2_regularizer(1)
    with pytest.raises(ValueError, match="Setting a scale less than 0 on a regularizer: -0.5"):
        layers.l1_regularizer(-0.5)
    with pytest.raises(ValueError, match="scale_l2 cannot be an integer"):
        layers.l1_l2_regularizer(0.1, 2)


def test_apply_regularization_and_get_variable():
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="No weights to regularize"):
            layers.apply_regularization(layers.l1_regularizer(1.0))
        add_to_collection(GraphKeys.WEIGHTS, constant(W))
        penalty = layers.apply_regularization(layers.l1_regularizer(1.0))
        assert penalty.op.name == "get_regularization_penalty"
        assert get_collection(GraphKeys.REGULARIZATION_LOSSES) == [penalty]
        assert _eval(penalty) == pytest.approx(3.5)
        v = get_variable("v", initializer=W, regularizer=layers.l2_regularizer(1.0))
        loss = get_collection(GraphKeys.REGULARIZATION_LOSSES)[-1]
        assert loss.op.name == "v/Regularizer/l2_regularizer"
        with tf.Session() as sess:
            sess.run(v.initializer)
            assert sess.run(loss) == pytest.approx(5.25 / 2)
