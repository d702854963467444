"""estflow.python.util.nest: TF1 programs' `from tensorflow.python.util import nest`."""

import collections

from estflow.python.util import nest


def test_flatten_and_pack_follow_tf():
    point = collections.namedtuple("Point", "x y")
    structure = {"b": [1, (2, 3)], "a": point(4, None)}
    assert nest.flatten(structure) == [4, None, 1, 2, 3]
    rebuilt = nest.pack_sequence_as(structure, [10, 20, 30, 40, 50])
    assert rebuilt == {"b": [30, (40, 50)], "a": point(10, 20)} and list(rebuilt) == ["b", "a"]
    assert nest.map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)]) == [11, (22,)]
    assert nest.is_sequence([1]) and not nest.is_sequence(1) and nest.is_nested({"a": 1})
