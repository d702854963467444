"""tf.data.experimental.Optional and get_next_as_optional, in TF1 graph mode."""

import pytest

import estflow as tf

X = tf.data.experimental


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def test_get_next_as_optional_is_empty_at_the_end():
    it = tf.data.make_one_shot_iterator(tf.data.Dataset.range(2))
    opt = X.get_next_as_optional(it)
    has, value = opt.has_value(), opt.get_value()
    assert has.op.type == "OptionalHasValue" and value.op.type == "OptionalGetValue"
    assert opt.element_spec == tf.TensorSpec([], tf.int64) and value.dtype == tf.int64
    assert tf.type_spec_from_value(opt) == tf.OptionalSpec(tf.TensorSpec([], tf.int64)) == X.OptionalStructure(
        tf.TensorSpec([], tf.int64))
    with tf.Session() as sess:
        # each run pulls a new element, as TF's: has_value consumes 0, get_value then 1
        assert sess.run(has) and sess.run(value) == 1
        assert not sess.run(has) and not sess.run(has)  # no OutOfRangeError
        with pytest.raises(tf.errors.InvalidArgumentError, match="The given optional does not have a value."):
            sess.run(value)


def test_optional_from_value_and_empty():
    opt = X.Optional.from_value({"a": tf.constant(1.0), "b": (tf.constant([1, 2]),),
                                 "s": tf.SparseTensor([[1]], [7], [3])})
    assert opt.element_spec["b"] == (tf.TensorSpec([2], tf.int32),)
    assert opt.element_spec["s"] == tf.SparseTensorSpec([3], tf.int32)
    empty = X.Optional.empty(tf.TensorSpec([], tf.int32))
    assert repr(tf.OptionalSpec(tf.TensorSpec([], tf.int64))) == (
        "OptionalSpec(TensorSpec(shape=(), dtype=tf.int64, name=None),)")
    with tf.Session() as sess:
        value = sess.run(opt.get_value())
        assert value["a"] == 1.0 and value["b"][0].tolist() == [1, 2]
        assert value["s"].indices.tolist() == [[1]] and value["s"].values.tolist() == [7]
        assert sess.run(opt.has_value()) and not sess.run(empty.has_value())
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not have a value"):
            sess.run(empty.get_value())
    assert tf.OptionalSpec(tf.TensorSpec([2])).most_specific_compatible_type(
        tf.OptionalSpec(tf.TensorSpec([3]))) == tf.OptionalSpec(tf.TensorSpec([None]))
    assert tf.OptionalSpec(tf.TensorSpec([])).value_type is X.Optional
