"""tf.nest (estflow/library/nest_api.py): TF's flatten order, rebuilding and structure checks."""

import collections

import pytest

import estflow as tf

Point = collections.namedtuple("Point", "x y")


def test_flatten_orders_dict_keys_and_keeps_strings_whole():
    assert tf.nest.flatten({"b": 2, "a": [1, (3, "str")]}) == [1, 3, "str", 2]
    assert tf.nest.flatten(5) == [5]
    assert tf.nest.flatten(Point(1, [2])) == [1, 2]


def test_pack_sequence_as_rebuilds_the_nesting():
    structure = {"b": Point(0, 0), "a": [0]}
    assert tf.nest.pack_sequence_as(structure, [1, 2, 3]) == {"b": Point(2, 3), "a": [1]}
    with pytest.raises(ValueError, match="Structure had 3 elements, but flat_sequence had 2"):
        tf.nest.pack_sequence_as(structure, [1, 2])
    with pytest.raises(TypeError, match="incompatible"):
        tf.nest.pack_sequence_as(structure, 5)


def test_is_nested():
    assert tf.nest.is_nested([1]) and tf.nest.is_nested({}) and tf.nest.is_nested(Point(1, 2))
    assert not tf.nest.is_nested("abc") and not tf.nest.is_nested(3)


def test_assert_same_structure():
    tf.nest.assert_same_structure((1, [2, 3]), ("a", ["b", "c"]))
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.nest.assert_same_structure((1, [2, 3]), (1, 2))
    with pytest.raises(ValueError, match="same number of elements"):
        tf.nest.assert_same_structure([1, 2], [1])
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.assert_same_structure([1, 2], (1, 2))
    tf.nest.assert_same_structure([1, 2], (1, 2), check_types=False)
    with pytest.raises(ValueError, match="same set of keys"):
        tf.nest.assert_same_structure({"a": 1}, {"b": 1})


def test_map_structure():
    assert tf.nest.map_structure(lambda x, y: x + y, (1, [2]), (10, [20])) == (11, [22])
    assert tf.nest.map_structure(lambda x: x * 2, {"a": 1, "b": Point(2, 3)}) == {"a": 2, "b": Point(4, 6)}
    with pytest.raises(TypeError, match="same sequence type"):
        tf.nest.map_structure(lambda x, y: x, [1], (1,))
    assert tf.nest.map_structure(lambda x, y: x, [1], (1,), check_types=False) == [1]
    with pytest.raises(ValueError, match="Only valid keyword arguments"):
        tf.nest.map_structure(lambda x: x, [1], bad=1)
    with pytest.raises(TypeError, match="callable"):
        tf.nest.map_structure(3, [1])


@pytest.mark.usefixtures("g")
def test_expand_composites_refuses_sparse_tensors_it_cannot_open():
    sparse = tf.SparseTensor([[0]], [1.0], [2])
    assert tf.nest.flatten([1, (2,)], expand_composites=True) == [1, 2]
    assert tf.nest.flatten([sparse]) == [sparse]
    with pytest.raises(ValueError, match="expand_composites"):
        tf.nest.flatten([sparse], expand_composites=True)
    with pytest.raises(ValueError, match="expand_composites"):
        tf.nest.map_structure(lambda x: x, [sparse], expand_composites=True)
