"""tf.TypeSpec and its subclasses: TensorSpec, SparseTensorSpec, IndexedSlicesSpec, DatasetSpec."""

import numpy as np
import pytest

import estflow as tf


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def test_type_spec_from_value_as_tensorflow():
    c = tf.constant([1, 2])
    assert tf.type_spec_from_value(c) == tf.TensorSpec([2], tf.int32)
    assert tf.type_spec_from_value(np.zeros([2, 3], np.float32)) == tf.TensorSpec([2, 3], tf.float32)
    assert tf.type_spec_from_value([1.0, 2.0]) == tf.TensorSpec([2], tf.float32)
    assert tf.type_spec_from_value(3) == tf.TensorSpec([], tf.int32)
    assert tf.type_spec_from_value(tf.SparseTensor([[0, 0]], [1.0], [2, 2])) == tf.SparseTensorSpec([2, 2], tf.float32)
    assert tf.type_spec_from_value(tf.data.Dataset.range(3)) == tf.data.DatasetSpec(tf.TensorSpec([], tf.int64))
    slices = tf.IndexedSlices(tf.zeros([2, 3]), tf.constant([0, 1]), tf.constant([5, 3]))
    assert tf.type_spec_from_value(slices) == tf.IndexedSlicesSpec([5, 3], tf.float32, tf.int32, tf.int32, [2])
    with pytest.raises(TypeError, match="Could not build a TypeSpec for .* of unsupported type"):
        tf.type_spec_from_value(object())


def test_every_spec_is_a_type_spec_with_tfs_aliases():
    X = tf.data.experimental
    assert X.Structure is tf.TypeSpec and X.DatasetStructure is tf.data.DatasetSpec
    for spec in (tf.TensorSpec([]), tf.SparseTensorSpec([2]), tf.IndexedSlicesSpec(), tf.data.DatasetSpec(None)):
        assert isinstance(spec, tf.TypeSpec)
    assert tf.IndexedSlicesSpec().value_type is tf.IndexedSlices
    assert tf.data.DatasetSpec(tf.TensorSpec([])).value_type is tf.data.Dataset
    assert repr(tf.IndexedSlicesSpec([None, 3], tf.float32)) == (
        "IndexedSlicesSpec(TensorShape([None, 3]), tf.float32, tf.int64, None, TensorShape([None]))")
    assert repr(tf.SparseTensorSpec([2, None], tf.float32)) == "SparseTensorSpec(TensorShape([2, None]), tf.float32)"
    assert repr(tf.SparseTensorSpec()) == "SparseTensorSpec(TensorShape(None), tf.float32)"
    assert repr(tf.data.DatasetSpec(tf.TensorSpec([], tf.int64))) == (
        "DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))")
    ds = tf.data.Dataset.range(3)
    assert tf.data.DatasetSpec.from_value(ds).element_spec == tf.TensorSpec([], tf.int64)
    assert not hasattr(tf.data.DatasetSpec(tf.TensorSpec([])), "shape")


def test_generic_type_operations():
    a, b = tf.TensorSpec([2], tf.int32), tf.TensorSpec([3], tf.int32)
    assert a.most_specific_compatible_type(b) == tf.TensorSpec([None], tf.int32)
    with pytest.raises(ValueError, match="No TypeSpec is compatible with both"):
        a.most_specific_compatible_type(tf.TensorSpec([3], tf.float32))
    assert a.is_subtype_of(tf.TensorSpec([None], tf.int32)) and not tf.TensorSpec([None], tf.int32).is_subtype_of(a)
    assert a.most_specific_common_supertype([b]) == tf.TensorSpec([None], tf.int32)
    assert a.most_specific_common_supertype([tf.SparseTensorSpec([2], tf.int32)]) is None
    assert tf.TensorSpec([None], tf.int32).is_compatible_with(tf.constant([1, 2]))
    assert tf.TensorSpec([None], tf.int32, name="x").most_specific_compatible_type(
        tf.TensorSpec([None], tf.int32, name="y")).name is None
    nested = tf.data.DatasetSpec({"a": tf.TensorSpec([2], tf.float32)})
    joined = nested.most_specific_compatible_type(tf.data.DatasetSpec({"a": tf.TensorSpec([5], tf.float32)}))
    assert joined == tf.data.DatasetSpec({"a": tf.TensorSpec([None], tf.float32)})
    assert tf.IndexedSlicesSpec([4, 3]).is_compatible_with(tf.IndexedSlicesSpec([None, 3]))
    assert tf.IndexedSlicesSpec([4, 3]) != tf.IndexedSlicesSpec([None, 3])
