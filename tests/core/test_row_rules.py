"""Row rules (core/row_rules.py): which ops map rows to rows, declared in each OpDef."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import row_rules
from estflow.core.graph import Graph
from estflow.core.registry import registered_ops


@pytest.fixture
def g():
    graph = Graph()
    with graph.as_default():
        yield graph


def test_ops_declare_their_rule_in_the_op_def():
    ops = registered_ops()
    for name in ("AddV2", "Tanh", "Cast", "Equal", "LogicalNot", "StringLower", "SelectV2"):
        assert ops[name].row_wise is row_rules.elementwise, name
    for name in ("Sum", "ArgMax", "ExpandDims"):
        assert ops[name].row_wise is row_rules.reduction, name
    assert ops["DecodeCSV"].row_wise is row_rules.first_input
    assert ops["ParseSingleExample"].row_wise is row_rules.single_example
    assert ops["Placeholder"].row_wise is row_rules.invariant and ops["Const"].row_wise is row_rules.invariant
    for name in ("RandomUniform", "Reshape", "MatMul", "Switch", "IteratorGetNext"):
        assert ops[name].row_wise is None, name


# A map function sees one element (here of shape [3]); a rule says whether the same graph run
# on a chunk of elements ([n, 3]) gives the stacked per-element results.
def test_elementwise_needs_one_rank_and_no_wider_constants(g):
    rows = tf.placeholder(tf.float32, [3])
    assert row_rules.elementwise((rows + tf.constant([1.0, 2.0, 3.0])).op, [True, False])
    assert not row_rules.elementwise((rows + tf.zeros([2, 3])).op, [True, False])  # would stretch the batch
    assert not row_rules.scalar_constants((rows + tf.constant([1.0, 2.0, 3.0])).op, [True, False])
    assert row_rules.scalar_constants((rows + 1.0).op, [True, False])


def test_reductions_need_a_constant_negative_axis(g):
    rows = tf.placeholder(tf.float32, [3])
    assert row_rules.reduction(tf.reduce_sum(rows, axis=-1).op, [True, False])
    assert not row_rules.reduction(tf.reduce_sum(rows, axis=0).op, [True, False])
    assert not row_rules.reduction(tf.reduce_sum(rows, axis=tf.placeholder(tf.int32, [])).op, [True, False])


def test_shape_rules(g):
    rows = tf.placeholder(tf.float32, [3])
    assert row_rules.pack(tf.stack([rows, rows], axis=-1).op, [True, True])
    assert not row_rules.pack(tf.stack([rows, rows], axis=0).op, [True, True])
    assert row_rules.concat(tf.concat([rows, rows], axis=-1).op, [True, True, False])
    assert not row_rules.concat(tf.concat([rows, rows], axis=0).op, [True, True, False])
    assert row_rules.squeeze(tf.squeeze(tf.expand_dims(rows, -1), axis=[-1]).op, [True])
    assert not row_rules.squeeze(tf.squeeze(rows).op, [True])
    assert row_rules.one_hot(tf.one_hot(tf.placeholder(tf.int32, []), 4).op, [True, False, False, False])
    assert not row_rules.invariant(tf.identity(rows).op, [True])


def test_single_example_only_for_fixed_size_dense_features(g):
    serialized = tf.placeholder(tf.string, [])
    dense = tf.parse_single_example(serialized, {"x": tf.FixedLenFeature([2], tf.float32, np.zeros(2))})
    sparse = tf.parse_single_example(serialized, {"y": tf.VarLenFeature(tf.int64)})
    assert row_rules.single_example(dense["x"].op, [True, False])
    assert not row_rules.single_example(sparse["y"].indices.op, [True])
