"""tf.io.parse_sequence_example (ParseSequenceExampleV2): the expected values are what TensorFlow 2.15.1
returns for the same records and features."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import example_pb2


def _record(length, tags, tokens, floats):
    example = example_pb2.SequenceExample()
    example.context.feature["len"].int64_list.value.append(length)
    example.context.feature["tags"].bytes_list.value.extend(tags)
    for t in tokens:
        example.feature_lists.feature_list["tok"].feature.add().int64_list.value.append(t)
    for step in floats or ():
        example.feature_lists.feature_list["var"].feature.add().float_list.value.extend(step)
    return example.SerializeToString()


RECORDS = [_record(2, [b"a", b"b"], [1, 2], [[1.0], [2.0, 3.0]]), _record(1, [], [5], None)]
CONTEXT = {"len": tf.io.FixedLenFeature([], tf.int64), "tags": tf.io.VarLenFeature(tf.string),
           "d": tf.io.FixedLenFeature([2], tf.float32, default_value=[7.0, 8.0])}


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


def test_a_batch_of_sequence_examples(g):
    serialized = tf.placeholder(tf.string, [None])
    sequence = {"tok": tf.io.FixedLenSequenceFeature([], tf.int64), "var": tf.io.VarLenFeature(tf.float32)}
    context, lists, lengths = tf.io.parse_sequence_example(serialized, CONTEXT, sequence)
    assert context["len"].op.type == "ParseSequenceExampleV2"
    assert context["d"].shape.as_list() == [None, 2] and lists["tok"].shape.as_list() == [None, None]
    assert lengths["tok"].shape.as_list() == [None] and set(lengths) == {"tok"}
    context, lists, lengths = _run([context, lists, lengths], {serialized: np.array(RECORDS, dtype=object)})
    assert context["len"].tolist() == [2, 1] and context["d"].tolist() == [[7, 8], [7, 8]]
    assert context["tags"].indices.tolist() == [[0, 0], [0, 1]] and context["tags"].values.tolist() == [b"a", b"b"]
    assert context["tags"].dense_shape.tolist() == [2, 2]
    assert lists["tok"].tolist() == [[1, 2], [5, 0]] and lengths["tok"].tolist() == [2, 1]  # padded with 0
    assert lists["var"].indices.tolist() == [[0, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert lists["var"].values.tolist() == [1, 2, 3] and lists["var"].dense_shape.tolist() == [2, 2, 2]


def test_missing_lists_and_one_record(g):
    sequence = {"var2": tf.io.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
                "tok": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True)}
    _, lists, lengths = _run(tf.io.parse_sequence_example(RECORDS, None, sequence))
    assert lists["var2"].shape == (2, 0, 2) and lengths["var2"].tolist() == [0, 0]
    assert lists["tok"].tolist() == [[1, 2], [5, 0]]
    _, lists, lengths = tf.io.parse_sequence_example(RECORDS[0], None,
                                                     {"tok": tf.io.FixedLenSequenceFeature([], tf.int64)})
    assert lists["tok"].shape.ndims == 1 and lengths["tok"].shape.ndims == 0  # one record: no batch dimension
    lists, lengths = _run([lists, lengths])
    assert lists["tok"].tolist() == [1, 2] and int(lengths["tok"]) == 2


def test_errors_are_tensorflows(g):
    _, lists, _ = tf.io.parse_sequence_example(RECORDS, None, {"var2": tf.io.FixedLenSequenceFeature([2], tf.float32)})
    with pytest.raises(tf.errors.InvalidArgumentError, match="Feature list 'var2' is required but could not be found"):
        _run(lists)
    with pytest.raises(ValueError, match=r"feature_list.dense_defaults\[tok\] must be None"):
        tf.io.parse_sequence_example(RECORDS, None, {"tok": tf.io.FixedLenSequenceFeature([], tf.int64,
                                                                                             default_value=-1)})
    with pytest.raises(ValueError, match="at least one"):
        tf.io.parse_sequence_example(RECORDS)
    context, _, _ = tf.io.parse_sequence_example(RECORDS, {"len": tf.io.FixedLenFeature([], tf.float32)}, None)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Data types don't match"):
        _run(context)
