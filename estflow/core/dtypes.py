"""TensorFlow data types: `DType` objects that compare equal to numpy types.

`tf.float32 == np.float32` is True, `as_dtype` accepts DTypes, numpy types, type names
and TF's DataType enum numbers, and each DType carries TF's enum value so graphs and
checkpoints written to disk use TensorFlow's numbering.
"""

from __future__ import annotations

import builtins

import numpy as np

_pybool = builtins.bool  # `bool` below is TF's public dtype name


class DType:
    """A tensor element type, as `tf.DType`."""

    __slots__ = ("_name", "_enum", "_np")

    def __init__(self, name: str, enum: int, np_type):
        self._name = name
        self._enum = enum
        self._np = np_type

    name = property(lambda self: self._name)
    as_datatype_enum = property(lambda self: self._enum)
    as_numpy_dtype = property(lambda self: self._np)
    base_dtype = property(lambda self: self)
    real_dtype = property(lambda self: {complex64: float32, complex128: float64}.get(self, self))

    @property
    def is_floating(self) -> bool:
        return self._np in (np.float16, np.float32, np.float64)

    @property
    def is_integer(self) -> bool:
        return self._np is not object and self._np is not np.bool_ and np.issubdtype(self._np, np.integer)

    @property
    def is_unsigned(self) -> bool:
        return self._np in (np.uint8, np.uint16, np.uint32, np.uint64)

    @property
    def is_complex(self) -> bool:
        return self._np in (np.complex64, np.complex128)

    @property
    def is_bool(self) -> bool:
        return self._np is np.bool_

    @property
    def is_numpy_compatible(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return 1 if self._np is object else np.dtype(self._np).itemsize

    @property
    def min(self):
        if self.is_floating:
            return float(np.finfo(self._np).min)
        if self.is_integer:
            return int(np.iinfo(self._np).min)
        if self.is_bool:
            return False
        raise TypeError(f"Cannot find minimum value of {self._name}.")

    @property
    def max(self):
        if self.is_floating:
            return float(np.finfo(self._np).max)
        if self.is_integer:
            return int(np.iinfo(self._np).max)
        if self.is_bool:
            return True
        raise TypeError(f"Cannot find maximum value of {self._name}.")

    def is_compatible_with(self, other) -> bool:
        return self == as_dtype(other)

    def __eq__(self, other) -> bool:
        if other is self:
            return True
        if other is None:
            return False
        try:
            return as_dtype(other) is self
        except TypeError:
            return False

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return self._enum

    def __repr__(self) -> str:
        return f"tf.{self._name}"

    def __reduce__(self):
        return as_dtype, (self._name,)


float16 = DType("float16", 19, np.float16)
half = float16
float32 = DType("float32", 1, np.float32)
float64 = DType("float64", 2, np.float64)
double = float64
int32 = DType("int32", 3, np.int32)
uint8 = DType("uint8", 4, np.uint8)
int16 = DType("int16", 5, np.int16)
int8 = DType("int8", 6, np.int8)
string = DType("string", 7, object)
complex64 = DType("complex64", 8, np.complex64)
int64 = DType("int64", 9, np.int64)
bool = DType("bool", 10, np.bool_)  # noqa: A001 - TF's public name
uint16 = DType("uint16", 17, np.uint16)
complex128 = DType("complex128", 18, np.complex128)
uint32 = DType("uint32", 22, np.uint32)
uint64 = DType("uint64", 23, np.uint64)
# A resource handle (a lookup table's `table_handle`): a host object naming session state. It
# has no numpy type of its own, so numpy arrays never convert to it (it stays out of _BY_NP).
resource = DType("resource", 20, object)
# Reference dtypes exist in TF1 graphs read from disk; estflow maps them to the base type.
_REF_OFFSET = 100

ALL_DTYPES = (
    float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    bool, string, complex64, complex128,
)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update({"half": float16, "double": float64, "float": float32, "int": int32})
_BY_ENUM = {d.as_datatype_enum: d for d in ALL_DTYPES}
_BY_NAME["resource"] = _BY_ENUM[resource.as_datatype_enum] = resource
_BY_NP = {np.dtype(d.as_numpy_dtype): d for d in ALL_DTYPES}
_BY_NP[np.dtype("S")] = string
_BY_NP[np.dtype("U")] = string


def as_dtype(type_value) -> DType:
    """Convert a DType, numpy type, name or DataType enum number to a `DType`."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value.removesuffix("_ref"))
        if d is not None:
            return d
    elif type(type_value) is int:
        d = _BY_ENUM.get(type_value if type_value < _REF_OFFSET else type_value - _REF_OFFSET)
        if d is not None:
            return d
    if type_value is bytes or type_value is str:
        return string
    if type_value is float:
        return float32
    if type_value is _pybool:
        return bool
    try:
        npd = np.dtype(type_value)
    except TypeError:
        npd = None
    if npd is not None:
        if npd.kind in "SUO":
            return string
        d = _BY_NP.get(npd)
        if d is not None:
            return d
    raise TypeError(f"Cannot convert {type_value!r} to an estflow DType.")


def from_numpy(array_dtype: np.dtype) -> DType:
    """The DType for a numpy dtype (bytes and str arrays become `string`)."""
    return as_dtype(array_dtype)
