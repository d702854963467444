"""`TensorShape` and `Dimension`: static shapes with unknown dimensions and ranks."""

from __future__ import annotations

import operator

from estflow.core.protos import tensor_shape_pb2


class Dimension:
    """One dimension of a shape, as TF1's `tf.Dimension`: an int, or unknown (`value is None`).

    `TensorShape[i]` returns one. A known dimension indexes, converts and does arithmetic like
    an int, so `range(x.shape[1])`, `np.zeros([x.shape[0], 3])` and
    `tf.get_variable("w", [x.shape[1], 10])` work; an unknown one propagates through
    arithmetic and answers `None` to comparisons (TF1's three-valued logic):

        d = tf.placeholder(tf.float32, [None, 3]).shape[1]
        d.value == 3 and d * 2 == 6 and range(d)
        tf.dimension_value(x.shape[0]) is None    # reads a Dimension or an int
    """

    __slots__ = ("_value",)

    def __init__(self, value):
        if type(value) is int:  # the common case first: graph building makes many of these
            if value < 0:
                raise ValueError(f"Dimension {value} must be >= 0")
        elif value is not None:
            if isinstance(value, Dimension):
                value = value._value
            else:
                try:
                    value = int(value.__index__())
                except AttributeError:
                    raise TypeError(f"Dimension value must be integer or None or have an __index__ method, "
                                    f"got value {value!r} with type {type(value)!r}") from None
                if value < 0:
                    raise ValueError(f"Dimension {value} must be >= 0")
        self._value = value

    @property
    def value(self):
        """The size, or None if it is unknown."""
        return self._value

    def is_compatible_with(self, other) -> bool:
        """True unless both are known and differ."""
        other = as_dimension(other)
        return self._value is None or other._value is None or self._value == other._value

    def assert_is_compatible_with(self, other) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {other} are not compatible")

    def merge_with(self, other) -> Dimension:
        """The more specific of two compatible dimensions; ValueError if they differ."""
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        return Dimension(self._value if self._value is not None else other._value)

    def _known(self, what: str) -> int:
        if self._value is None:
            raise TypeError(f"Cannot use an unknown Dimension ('?') as {what}; check `dim.value is None` "
                            f"first or use tf.shape(x) for the size at run time.")
        return self._value

    def __int__(self):
        return self._known("an int")

    def __index__(self):
        return self._known("an index")

    def __bool__(self):
        """`bool(self.value)`, as TF1: an unknown or zero dimension is falsy."""
        return bool(self._value)

    def __hash__(self):
        return hash(self._value)

    def __reduce__(self):
        return Dimension, (self._value,)

    def _compare(self, other, op):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other._value is None:
            return None  # TF1: a comparison involving an unknown dimension is unknown
        return op(self._value, other._value)

    def __eq__(self, other):
        return self._compare(other, operator.eq)

    def __ne__(self, other):
        return self._compare(other, operator.ne)

    def __lt__(self, other):
        return self._compare(other, operator.lt)

    def __le__(self, other):
        return self._compare(other, operator.le)

    def __gt__(self, other):
        return self._compare(other, operator.gt)

    def __ge__(self, other):
        return self._compare(other, operator.ge)

    def _arith(self, other, op, reverse=False):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented  # e.g. a float or a Tensor: let it answer
        if self._value is None or other._value is None:
            return Dimension(None)
        return Dimension(op(other._value, self._value) if reverse else op(self._value, other._value))

    def __add__(self, other):
        return self._arith(other, operator.add)

    def __radd__(self, other):
        return self._arith(other, operator.add, reverse=True)

    def __sub__(self, other):
        return self._arith(other, operator.sub)

    def __rsub__(self, other):
        return self._arith(other, operator.sub, reverse=True)

    def __mul__(self, other):
        return self._arith(other, operator.mul)

    def __rmul__(self, other):
        return self._arith(other, operator.mul, reverse=True)

    def __floordiv__(self, other):
        return self._arith(other, operator.floordiv)

    def __rfloordiv__(self, other):
        return self._arith(other, operator.floordiv, reverse=True)

    def __mod__(self, other):
        return self._arith(other, operator.mod)

    def __rmod__(self, other):
        return self._arith(other, operator.mod, reverse=True)

    def __truediv__(self, other):
        raise TypeError(f"unsupported operand type(s) for /: 'Dimension' and '{type(other).__name__}', "
                        f"please use // instead")

    def __rtruediv__(self, other):
        raise TypeError(f"unsupported operand type(s) for /: '{type(other).__name__}' and 'Dimension', "
                        f"please use // instead")

    def __repr__(self):
        return f"Dimension({self._value!r})"

    def __str__(self):
        return "?" if self._value is None else str(self._value)


def as_dimension(value) -> Dimension:
    """`value` (an int, None or a Dimension) as a Dimension."""
    return value if isinstance(value, Dimension) else Dimension(value)


def dimension_value(dimension):
    """The int (or None) in `dimension`, which may be a Dimension or already an int, as `tf.dimension_value`.

        tf.dimension_value(x.shape[0])    # same as x.shape[0].value, and also takes plain ints
    """
    return dimension._value if isinstance(dimension, Dimension) else dimension


def dimension_at_index(shape, index) -> Dimension:
    """`shape[index]` as a Dimension, unknown when the rank is, as `tf.dimension_at_index`."""
    shape = as_shape(shape)
    if shape._dims is None:
        return Dimension(None)
    return Dimension(shape._dims[index])


def _dim_value(d):
    """One entry of a shape spec as an int or None (ints and None skip the Dimension round trip)."""
    if d is None:
        return None
    if type(d) is int and d >= 0:
        return d
    return as_dimension(d)._value


class TensorShape:
    """A static shape, as TF1's `tf.TensorShape`: unknown rank, or a list of dims that may be unknown.

    `shape[i]` is a `Dimension` (TF1's form: `x.shape[0].value is None` for a batch dim),
    `shape[1:]` a TensorShape, `as_list()` the ints (None where unknown). `merge_with` and
    `is_compatible_with` combine partial shapes:

        s = tf.TensorShape([None, 3])
        s[1].value == 3 and s.as_list() == [None, 3]
        s.merge_with([8, None]).as_list() == [8, 3]

    Internally the dims are a tuple of ints and None (`as_tuple()`, None for unknown rank):
    estflow's own shape rules read that, so building a graph creates no Dimension objects.
    """

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if dims is None:
            self._dims = None
        elif type(dims) is tuple or type(dims) is list:  # the common case first
            self._dims = tuple(map(_dim_value, dims))
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (str, bytes)):
            raise TypeError(f"A string has ambiguous TensorShape, please wrap in a list or convert to an int: "
                            f"{dims!r}")
        elif hasattr(dims, "dim") and hasattr(dims, "unknown_rank"):  # TensorShapeProto
            self._dims = None if dims.unknown_rank else tuple(d.size if d.size >= 0 else None for d in dims.dim)
        elif isinstance(dims, (int, Dimension)):
            self._dims = (_dim_value(dims),)  # TF1: a single integer is a rank-1 shape
        else:
            try:
                dims = iter(dims)
            except TypeError:
                self._dims = (_dim_value(dims),)  # a numpy integer, a 0-d array
            else:
                self._dims = tuple(map(_dim_value, dims))

    @property
    def dims(self):
        """The dimensions as a list of `Dimension`, or None for an unknown rank."""
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    @property
    def ndims(self):
        """The rank, or None if it is unknown."""
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self) -> list:
        """The dims as a list of ints, None where unknown; ValueError for an unknown rank."""
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def as_tuple(self):
        """The dims as a tuple of ints and None, or None for an unknown rank (estflow's fast accessor)."""
        return self._dims

    def is_fully_defined(self) -> bool:
        return self._dims is not None and None not in self._dims

    def assert_is_fully_defined(self) -> None:
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

    def num_elements(self):
        """The number of elements, or None unless the shape is fully defined."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def is_compatible_with(self, other) -> bool:
        """True if some fully defined shape matches both (unknown ranks and dims match anything)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def assert_is_compatible_with(self, other) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def merge_with(self, other) -> TensorShape:
        """A shape with the information of both; ValueError if they are not compatible."""
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def most_specific_compatible_shape(self, other) -> TensorShape:
        """The most specific shape compatible with both (dims that differ become unknown)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None or len(self._dims) != len(other._dims):
            return TensorShape(None)
        return TensorShape([a if a == b else None for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other) -> TensorShape:
        """The dims of `self` followed by those of `other` (unknown if either rank is)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def __add__(self, other):
        return self.concatenate(other)

    def __radd__(self, other):
        return as_shape(other).concatenate(self)

    def assert_same_rank(self, other) -> None:
        other = as_shape(other)
        if self._dims is not None and other._dims is not None and len(self._dims) != len(other._dims):
            raise ValueError(f"Shapes {self} and {other} must have the same rank")

    def with_rank(self, rank: int) -> TensorShape:
        """`self` with rank `rank` (an unknown rank becomes `rank` unknown dims); ValueError otherwise."""
        if self._dims is None:
            return TensorShape([None] * rank)
        if len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self

    def with_rank_at_least(self, rank: int) -> TensorShape:
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def with_rank_at_most(self, rank: int) -> TensorShape:
        if self._dims is not None and len(self._dims) > rank:
            raise ValueError(f"Shape {self} must have rank at most {rank}")
        return self

    def assert_has_rank(self, rank: int) -> None:
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def as_proto(self):
        proto = tensor_shape_pb2.TensorShapeProto()
        if self._dims is None:
            proto.unknown_rank = True
        else:
            for d in self._dims:
                proto.dim.add().size = -1 if d is None else d
        return proto

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __bool__(self):
        """True unless the rank is unknown (TF1: "contains non-zero information")."""
        return self._dims is not None

    def __iter__(self):
        """The dims as `Dimension`s, as TF1 iterates a shape."""
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return (Dimension(d) for d in self._dims)

    def __getitem__(self, key):
        """A `Dimension` for an int key (unknown when the rank is), a TensorShape for a slice."""
        if self._dims is not None:
            if isinstance(key, slice):
                return TensorShape(self._dims[key])
            return Dimension(self._dims[key])
        if isinstance(key, slice):
            # TF1: the rank of a slice of an unknown shape is known only for non-negative bounds.
            start = 0 if key.start is None else key.start
            if key.step is not None:
                raise ValueError("Steps are not yet handled")
            if key.stop is None or start < 0 or key.stop < 0:
                return TensorShape(None)
            return TensorShape([None] * max(key.stop - start, 0))
        return Dimension(None)

    def __eq__(self, other):
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self):
        return hash(self._dims)

    def __reduce__(self):
        return TensorShape, (self._dims,)

    def __repr__(self):
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({[Dimension(d) for d in self._dims]!r})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({'?' if self._dims[0] is None else self._dims[0]},)"
        return "(" + ", ".join("?" if d is None else str(d) for d in self._dims) + ")"


def as_shape(shape) -> TensorShape:
    """`shape` (a list of ints/None/Dimensions, a TensorShapeProto, None) as a TensorShape."""
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def unknown_shape(rank=None, ndims=None) -> TensorShape:
    """A shape of unknown dims: of rank `rank` (TF1 also spells it `ndims`), or of unknown rank."""
    if rank is None:
        rank = ndims
    return TensorShape(None if rank is None else [None] * rank)


def scalar() -> TensorShape:
    return TensorShape(())


def vector(length) -> TensorShape:
    return TensorShape([length])


def matrix(rows, cols) -> TensorShape:
    return TensorShape([rows, cols])
