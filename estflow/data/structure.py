"""Element structures of tf.data: nesting, `TensorSpec` / `SparseTensorSpec`, value conversion.

tf.data nests elements in tuples (and namedtuples) and dicts; a Python *list* is one
tensor, not a structure (`from_tensor_slices([1, 2, 3])` has one component), which is
why this module binds its own predicate to `estflow.core.nest`. Dicts flatten by
sorted key, as `tf.nest` does.

At run time an element is a flat list of *components*, one per leaf of its spec: a
numpy array (or numpy scalar) for a dense leaf, a `SparseTensorValue` for a sparse
leaf. String components are object arrays of `bytes`, 0-d for a scalar, never bare
`bytes`, so string kernels always see arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from estflow.core import dtypes, nest
from estflow.core.graph import Tensor
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue
from estflow.core.tensor_shape import TensorShape, as_shape
from estflow.core.tensor_util import to_numpy, to_string_array
from estflow.data.type_spec import TypeSpec


# ---- nest (lists are leaves) -----------------------------------------------------------------------
def is_nested(x) -> bool:
    return isinstance(x, (tuple, Mapping)) and not isinstance(x, (SparseTensorValue,))


def flatten(structure) -> list:
    """The leaves of `structure`: tuples and dicts (by sorted key) nest, everything else is a leaf."""
    return nest.flatten(structure, is_nested)


def pack_sequence_as(structure, flat) -> object:
    """`flat` rebuilt into `structure`'s nesting."""
    return nest.pack_sequence_as(structure, flat, is_nested)


def map_structure(fn, *structures):
    return nest.map_structure(fn, *structures, is_seq=is_nested)


def assert_same_structure(a, b) -> None:
    """ValueError (TypeError for tuple vs dict) when `a` and `b` nest differently."""
    if is_nested(a) != is_nested(b):
        raise ValueError(f"The two structures don't have the same nested structure: {a} and {b}.")
    if not is_nested(a):
        return
    if isinstance(a, Mapping) != isinstance(b, Mapping):
        raise TypeError(f"The two structures don't have the same sequence type: {type(a).__name__} and "
                        f"{type(b).__name__}.")
    if isinstance(a, Mapping) and sorted(a) != sorted(b):
        raise ValueError(f"The two dictionaries don't have the same set of keys: {sorted(a)} and {sorted(b)}.")
    ca, cb = nest.children(a), nest.children(b)
    if len(ca) != len(cb):
        raise ValueError(f"The two structures don't have the same number of elements: {a} and {b}.")
    for x, y in zip(ca, cb, strict=False):
        assert_same_structure(x, y)


def flatten_up_to(shallow, value) -> list:
    """Flatten `value` only as deep as `shallow` nests (a leaf of `shallow` takes a whole subtree)."""
    if not is_nested(shallow):
        return [value]
    if isinstance(shallow, Mapping):
        if not isinstance(value, Mapping) or sorted(value) != sorted(shallow):
            raise TypeError(f"expected a dict with keys {sorted(shallow)}, got {value!r:.200}")
        return [x for k in sorted(shallow) for x in flatten_up_to(shallow[k], value[k])]
    if not isinstance(value, (tuple, list)) or len(value) != len(shallow):
        raise TypeError(f"expected a sequence of {len(shallow)} values, got {value!r:.200}")
    return [x for s, v in zip(shallow, value, strict=False) for x in flatten_up_to(s, v)]


# ---- specs ------------------------------------------------------------------------------------------
class TensorSpec(TypeSpec):
    """The type of a dense tensor: static shape and dtype, as `tf.TensorSpec`.

        spec = tf.TensorSpec([None, 3], tf.float32)
        spec.is_compatible_with(tf.placeholder(tf.float32, [8, 3]))   # True
    """

    __slots__ = ("_shape", "_dtype", "_name")
    value_type = Tensor

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._name = name

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    @classmethod
    def from_tensor(cls, tensor, name=None) -> TensorSpec:
        return cls(tensor.shape, tensor.dtype, name if name is not None else getattr(tensor.op, "name", None))

    def is_compatible_with(self, other) -> bool:
        if isinstance(other, (TensorSpec, Tensor)):
            return self._dtype == other.dtype and self._shape.is_compatible_with(other.shape)
        arr = np.asarray(other)
        try:
            dtype = dtypes.as_dtype(arr.dtype)
        except TypeError:
            return False
        return dtype == self._dtype and self._shape.is_compatible_with(arr.shape)

    def _with_shape(self, shape) -> TensorSpec:
        return TensorSpec(shape, self._dtype)

    def _serialize(self) -> tuple:
        return (self._shape, self._dtype, self._name)

    def __eq__(self, other):
        return type(other) is type(self) and self._shape == other._shape and self._dtype == other._dtype \
            and self._name == other._name

    def __hash__(self):
        return hash((type(self), self._shape, self._dtype, self._name))

    def __repr__(self):
        dims = self._shape.as_tuple()
        return f"TensorSpec(shape={dims!r}, dtype=tf.{self._dtype.name}, name={self._name!r})"


class SparseTensorSpec(TypeSpec):
    """The type of a `SparseTensor`: static dense shape and dtype, as `tf.SparseTensorSpec`."""

    __slots__ = ("_shape", "_dtype")
    value_type = SparseTensor

    def __init__(self, shape=None, dtype=dtypes.float32):
        self._shape = as_shape(shape)
        self._dtype = dtypes.as_dtype(dtype).base_dtype

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)

    def is_compatible_with(self, other) -> bool:
        if isinstance(other, SparseTensorValue):
            other = spec_of(other)
        return isinstance(other, (SparseTensorSpec, SparseTensor)) and self._dtype == other.dtype \
            and self._shape.is_compatible_with(other.shape)

    def _with_shape(self, shape) -> SparseTensorSpec:
        return SparseTensorSpec(shape, self._dtype)

    def _serialize(self) -> tuple:
        return (self._shape, self._dtype)

    @classmethod
    def from_value(cls, value) -> SparseTensorSpec:
        return cls(value.shape, value.dtype) if isinstance(value, SparseTensor) else spec_of(value)

    def __eq__(self, other):
        return type(other) is type(self) and self._shape == other._shape and self._dtype == other._dtype

    def __hash__(self):
        return hash((type(self), self._shape, self._dtype))

    def __repr__(self):
        shape = "TensorShape(None)" if self._shape.ndims is None else f"TensorShape({self._shape.as_list()})"
        return f"SparseTensorSpec({shape}, tf.{self._dtype.name})"  # TF's form


def is_sparse(spec) -> bool:
    return isinstance(spec, SparseTensorSpec)


def any_sparse(specs) -> bool:
    return any(isinstance(s, SparseTensorSpec) for s in specs)


def output_types(spec):
    return map_structure(lambda s: s.dtype, spec)


def output_shapes(spec):
    return map_structure(lambda s: s.shape, spec)


def output_classes(spec):
    return map_structure(lambda s: s.value_type, spec)


def spec_from_legacy(types, shapes=None, classes=None):
    """A nested spec from TF1's (output_types, output_shapes, output_classes) triple."""
    if shapes is None:
        shapes = map_structure(lambda _: TensorShape(None), types)
    else:
        shapes = _normalize_shapes(types, shapes)
    if classes is None:
        classes = map_structure(lambda _: Tensor, types)
    else:
        assert_same_structure(types, classes)

    def make(t, s, c):
        if c is SparseTensor:
            return SparseTensorSpec(s, t)
        return TensorSpec(s, t)

    return map_structure(make, types, shapes, classes)


def _normalize_shapes(types, shapes):
    """`shapes` given for `types` (a lone shape for a lone type; lists are shapes, not structures)."""
    if not is_nested(types):
        return as_shape(shapes)
    flat = flatten_up_to(types, shapes)
    return pack_sequence_as(types, [as_shape(s) for s in flat])


def most_specific_compatible_shape(a: TensorShape, b: TensorShape) -> TensorShape:
    """Dims on which `a` and `b` agree; None elsewhere (unknown rank when the ranks differ)."""
    da, db = a.as_tuple(), b.as_tuple()
    if da is None or db is None or len(da) != len(db):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(da, db, strict=False)])


# ---- values -----------------------------------------------------------------------------------------
def to_component(value):
    """A leaf of a user-given element as a Tensor, SparseTensor or numpy array (numpy/pandas kept, not graphed)."""
    if isinstance(value, (Tensor, SparseTensor)):
        return value
    if isinstance(value, SparseTensorValue):
        return SparseTensorValue(np.asarray(value.indices, np.int64), to_array(value.values),
                                 np.asarray(value.dense_shape, np.int64))
    if hasattr(value, "_as_graph_element"):
        return convert_to_tensor(value)  # variables: read when the iterator is initialized
    arr = to_array(value)
    if isinstance(value, np.ndarray) or type(value).__module__.startswith("pandas"):
        # Like a graph constant, the pipeline must not see later changes to the caller's array.
        arr = np.array(arr, copy=True) if arr.dtype != object or arr is value else arr
    arr.setflags(write=False)
    return arr


def to_array(value) -> np.ndarray:
    """A numpy array with TF1's dtype rules (Python float -> float32); strings become `bytes` objects."""
    if type(value).__module__.startswith("pandas"):
        value = value.to_numpy() if hasattr(value, "to_numpy") else np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SUO":
            return to_string_array(value)
        dtypes.as_dtype(value.dtype)  # TypeError for dtypes TF has no name for
        return value
    arr = to_numpy(value)
    return arr if isinstance(arr, np.ndarray) else np.asarray(arr)


def spec_of(component):
    """The spec of one component (Tensor, SparseTensor, numpy array, SparseTensorValue)."""
    if isinstance(component, SparseTensor):
        return SparseTensorSpec(component.shape, component.dtype)
    if isinstance(component, SparseTensorValue):
        return SparseTensorSpec(TensorShape([int(d) for d in component.dense_shape]),
                                dtypes.as_dtype(component.values.dtype))
    if isinstance(component, Tensor):
        return TensorSpec(component.shape, component.dtype)
    return TensorSpec(component.shape, dtypes.as_dtype(component.dtype))


def np_dtype(spec) -> np.dtype:
    return np.dtype(object) if spec.dtype == dtypes.string else np.dtype(spec.dtype.as_numpy_dtype)


def as_value(x, spec):
    """A kernel or generator output as a component of `spec`'s dtype (strings: object arrays)."""
    if isinstance(spec, SparseTensorSpec):
        return x
    if spec.dtype == dtypes.string:
        if isinstance(x, np.ndarray) and x.dtype == object:
            return x
        return to_string_array(x)
    return x
