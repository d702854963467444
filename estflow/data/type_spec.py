"""`tf.TypeSpec`: the base of every value type (TensorSpec, SparseTensorSpec, DatasetSpec, ...).

A spec is described by a tuple of fields (`_serialize`): static shapes, dtypes, names and
nested specs. TF's generic operations follow from it: two specs are compatible when their
shapes are and everything else is equal; the most specific common type relaxes the
shapes that differ (and drops names that differ); a subtype's shapes are at least as known.
"""

from __future__ import annotations

from collections.abc import Mapping

from estflow.core.tensor_shape import TensorShape


class TypeSpec:
    """The type of a value (a tensor, a sparse tensor, a dataset...), as TF's `tf.TypeSpec`.

        spec = tf.TensorSpec([None, 3], tf.float32)
        isinstance(spec, tf.TypeSpec)                                         # True
        spec.most_specific_compatible_type(tf.TensorSpec([8, 3], tf.float32))  # TensorSpec([None, 3])
    """

    __slots__ = ()

    @property
    def value_type(self):
        """The Python type of the values this spec describes."""
        raise NotImplementedError(f"{type(self).__name__}.value_type")

    def _serialize(self) -> tuple:
        """This spec's fields, as its constructor takes them."""
        raise NotImplementedError(f"{type(self).__name__}._serialize")

    @classmethod
    def _deserialize(cls, fields: tuple):
        return cls(*fields)

    # ---- TF's generic operations --------------------------------------------------------------------
    def is_compatible_with(self, spec_or_value) -> bool:
        """Whether `spec_or_value` (a spec or a value) could have this type: equal but for unknown dims."""
        other = spec_or_value
        if not isinstance(other, TypeSpec):
            from estflow.data.specs import type_spec_from_value  # its module builds on this one

            try:
                other = type_spec_from_value(other)
            except TypeError:
                return False
        return type(other) is type(self) and _fields_compatible(self._serialize(), other._serialize())

    def most_specific_compatible_type(self, other) -> TypeSpec:
        """The most specific type both `self` and `other` have (ValueError when none)."""
        try:
            if type(other) is not type(self):
                raise ValueError
            return self._deserialize(_join(self._serialize(), other._serialize()))
        except ValueError:
            raise ValueError(f"No TypeSpec is compatible with both {self} and {other}") from None

    def most_specific_common_supertype(self, others):
        """The most specific type `self` and every spec of `others` have, or None."""
        result = self
        for other in others:
            try:
                result = result.most_specific_compatible_type(other)
            except ValueError:
                return None
        return result

    def is_subtype_of(self, other) -> bool:
        """Whether every value of this type also has type `other` (its shapes are at least as known)."""
        return type(other) is type(self) and _subtype(self._serialize(), other._serialize())

    def __ne__(self, other):
        return not self == other


def _fields_compatible(a, b) -> bool:
    if isinstance(a, TensorShape) and isinstance(b, TensorShape):
        return a.is_compatible_with(b)
    if isinstance(a, TypeSpec):
        return type(a) is type(b) and _fields_compatible(a._serialize(), b._serialize())
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_fields_compatible(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return sorted(a) == sorted(b) and all(_fields_compatible(a[k], b[k]) for k in a)
    return a == b or (isinstance(a, str | None) and isinstance(b, str | None))  # names do not constrain


def _join(a, b):
    if isinstance(a, TensorShape) and isinstance(b, TensorShape):
        da, db = a.as_tuple(), b.as_tuple()
        if da is None or db is None or len(da) != len(db):
            return TensorShape(None)
        return TensorShape([x if x == y else None for x, y in zip(da, db, strict=True)])
    if isinstance(a, TypeSpec):
        if type(a) is not type(b):
            raise ValueError
        return a._deserialize(_join(a._serialize(), b._serialize()))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if len(a) != len(b) or type(a) is not type(b):
            raise ValueError
        joined = [_join(x, y) for x, y in zip(a, b, strict=True)]
        return type(a)(*joined) if hasattr(a, "_fields") else type(a)(joined)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if sorted(a) != sorted(b):
            raise ValueError
        return type(a)((k, _join(a[k], b[k])) for k in a)
    if a == b:
        return a
    if isinstance(a, str | None) and isinstance(b, str | None):
        return None  # names that differ are dropped
    raise ValueError


def _subtype(a, b) -> bool:
    if isinstance(a, TensorShape) and isinstance(b, TensorShape):
        da, db = a.as_tuple(), b.as_tuple()
        if db is None:
            return True
        return da is not None and len(da) == len(db) and all(y is None or x == y for x, y in zip(da, db, strict=True))
    if isinstance(a, TypeSpec):
        return type(a) is type(b) and _subtype(a._serialize(), b._serialize())
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_subtype(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return sorted(a) == sorted(b) and all(_subtype(a[k], b[k]) for k in a)
    return a == b or b is None
