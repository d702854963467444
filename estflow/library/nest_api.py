"""`tf.nest`'s public functions with TF's signatures, over estflow/core/nest.py's flatten and rebuild.

Lists, tuples, namedtuples and dicts nest (dicts in sorted key order); anything else,
strings and tensors included, is a leaf. With `expand_composites=True` TF also opens
composite tensors into their components; a structure without one is the same either way,
and estflow refuses a SparseTensor there rather than keep it whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from estflow.core import nest
from estflow.core.sparse_tensor import SparseTensor


def _check_composites(structure, expand_composites) -> None:
    if expand_composites and any(isinstance(leaf, SparseTensor) for leaf in nest.flatten(structure)):
        raise ValueError("tf.nest with expand_composites=True does not open SparseTensors into their components "
                         "in estflow; flatten sparse.indices, sparse.values and sparse.dense_shape yourself")


def is_nested(seq) -> bool:
    """True for a list, tuple, namedtuple or dict, as `tf.nest.is_nested`."""
    return nest.is_sequence(seq)


def flatten(structure, expand_composites=False) -> list:
    """The leaves of `structure` in order (dicts by sorted key), as `tf.nest.flatten`.

        tf.nest.flatten({"b": 2, "a": [1, (3,)]})   # [1, 3, 2]
    """
    _check_composites(structure, expand_composites)
    return nest.flatten(structure)


def pack_sequence_as(structure, flat_sequence, expand_composites=False):
    """`flat_sequence` rebuilt in the nesting of `structure`, as `tf.nest.pack_sequence_as`."""
    if not nest.is_sequence(flat_sequence):
        raise TypeError(f"Attempted to pack value:\n  {flat_sequence}\ninto a structure, but found incompatible "
                        f"type `{type(flat_sequence).__name__}` instead.")
    _check_composites(structure, expand_composites)
    return nest.pack_sequence_as(structure, flat_sequence)


def _same_structure(a, b, check_types: bool, path: str) -> None:
    a_nested, b_nested = nest.is_sequence(a), nest.is_sequence(b)
    if a_nested != b_nested:
        raise ValueError(f"The two structures don't have the same nested structure.\n\nFirst structure: {a}\n\n"
                         f"Second structure: {b}\n\nMore specifically: Substructure \"{path or 'root'}\" is a "
                         f"sequence, while the other is not.")
    if not a_nested:
        return
    if check_types and type(a) is not type(b) and not (isinstance(a, Mapping) and isinstance(b, Mapping)):
        raise TypeError(f"The two structures don't have the same sequence type. Input structure has type "
                        f"{type(a)}, while shallow structure has type {type(b)}.")
    if isinstance(a, Mapping) and set(a) != set(b):
        raise ValueError(f"The two dictionaries don't have the same set of keys. First structure has keys "
                         f"{sorted(a)}, while second structure has keys {sorted(b)}.")
    a_children, b_children = nest.children(a), nest.children(b)
    if len(a_children) != len(b_children):
        raise ValueError(f"The two structures don't have the same number of elements.\n\nFirst structure "
                         f"({len(a_children)} elements): {a}\n\nSecond structure ({len(b_children)} elements): {b}")
    for i, (x, y) in enumerate(zip(a_children, b_children, strict=True)):
        _same_structure(x, y, check_types, f"{path}[{i}]")


def assert_same_structure(nest1, nest2, check_types=True, expand_composites=False) -> None:
    """Raises ValueError when the nestings differ (TypeError for different sequence types under
    `check_types`), as `tf.nest.assert_same_structure`."""
    _check_composites([nest1, nest2], expand_composites)
    _same_structure(nest1, nest2, check_types, "")


def map_structure(func, *structure, **kwargs):
    """`func` applied to the leaves of `structure`s (one nesting), rebuilt in it, as `tf.nest.map_structure`.

        tf.nest.map_structure(lambda x, y: x + y, (1, [2]), (10, [20]))   # (11, [22])
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got: {func}")
    if not structure:
        raise ValueError("Must provide at least one structure")
    check_types = kwargs.pop("check_types", True)
    _check_composites(structure, kwargs.pop("expand_composites", False))
    if kwargs:
        raise ValueError(f"Only valid keyword arguments are `check_types` and `expand_composites`, not: "
                         f"`{', '.join(kwargs)}`")
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types=check_types)
    return nest.map_structure(func, *structure)
