"""TensorFlow data types: `DType` objects that compare equal to numpy types.

`tf.float32 == np.float32` is True, `as_dtype` accepts DTypes, numpy types, type names
and TF's DataType enum numbers, and each DType carries TF's enum value so graphs and
checkpoints written to disk use TensorFlow's numbering.
"""

from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np

_pybool = builtins.bool  # `bool` below is TF's public dtype name


class DType:
    """A tensor element type, as `tf.DType`."""

    __slots__ = ("_name", "_enum", "_np", "_base", "_ref")

    def __init__(self, name: str, enum: int, np_type, base: DType | None = None):
        self._name = name
        self._enum = enum
        self._np = np_type
        # TF1's reference dtypes (`float32_ref`, enum + 100): the dtype of a variable and of the
        # ops that output a reference to it. `_base` is the value type; `_ref` the reference type.
        self._base = self if base is None else base
        self._ref = None if base is None else self

    name = property(lambda self: self._name)
    as_datatype_enum = property(lambda self: self._enum)
    as_numpy_dtype = property(lambda self: self._np)
    base_dtype = property(lambda self: self._base)
    real_dtype = property(lambda self: {complex64: float32, complex128: float64}.get(self._base, self._base))
    _is_ref_dtype = property(lambda self: self._base is not self)
    _as_ref = property(lambda self: self._ref)

    @property
    def is_floating(self) -> bool:
        return self._np in (np.float16, np.float32, np.float64, ml_dtypes.bfloat16)

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
            return float(ml_dtypes.finfo(self._np).min)  # ml_dtypes.finfo: numpy's and bfloat16's
        if self.is_integer:
            return int(np.iinfo(self._np).min)
        if self.is_bool:
            return False
        raise TypeError(f"Cannot find minimum value of {self._name}.")

    @property
    def max(self):
        if self.is_floating:
            return float(ml_dtypes.finfo(self._np).max)
        if self.is_integer:
            return int(np.iinfo(self._np).max)
        if self.is_bool:
            return True
        raise TypeError(f"Cannot find maximum value of {self._name}.")

    def is_compatible_with(self, other) -> bool:
        """TF's rule: a value type accepts its reference type; a reference type only itself."""
        other = as_dtype(other)
        return self is other or self is other._base

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


def _make_ref(base: DType) -> DType:
    ref = DType(base.name + "_ref", base.as_datatype_enum + _REF_OFFSET, base.as_numpy_dtype, base)
    base._ref = ref
    return ref


_REF_OFFSET = 100  # TF's DataType enum: DT_FLOAT_REF = DT_FLOAT + 100


float16 = DType("float16", 19, np.float16)
# bfloat16 is ml_dtypes's numpy type (as TensorFlow's and JAX's own): 8 exponent bits, 7 mantissa bits.
bfloat16 = DType("bfloat16", 14, ml_dtypes.bfloat16)
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

ALL_DTYPES = (
    float16, float32, float64, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    bool, string, complex64, complex128, bfloat16,
)
_BY_NAME = {d.name: d for d in ALL_DTYPES}
_BY_NAME.update({"half": float16, "double": float64, "float": float32, "int": int32})
_BY_ENUM = {d.as_datatype_enum: d for d in ALL_DTYPES}
_BY_NAME["resource"] = _BY_ENUM[resource.as_datatype_enum] = resource
_BY_NP = {np.dtype(d.as_numpy_dtype): d for d in ALL_DTYPES}
_BY_NP[np.dtype("S")] = string
# DT_VARIANT: opaque values (TensorLists) that live inside a run; never fed, converted or saved.
variant = DType("variant", 21, object)
_BY_NAME["variant"] = variant
_BY_ENUM[variant.as_datatype_enum] = variant
_BY_NP[np.dtype("U")] = string

# TF1's reference dtypes, named as `tensorflow.python.framework.dtypes` names them (TF1 does not
# export them at the top level); `as_dtype` accepts them by object, name and enum.
float16_ref = _make_ref(float16)
bfloat16_ref = _make_ref(bfloat16)
half_ref = float16_ref
float32_ref = _make_ref(float32)
float64_ref = _make_ref(float64)
double_ref = float64_ref
int32_ref = _make_ref(int32)
uint8_ref = _make_ref(uint8)
int16_ref = _make_ref(int16)
int8_ref = _make_ref(int8)
string_ref = _make_ref(string)
complex64_ref = _make_ref(complex64)
int64_ref = _make_ref(int64)
bool_ref = _make_ref(bool)
uint16_ref = _make_ref(uint16)
complex128_ref = _make_ref(complex128)
uint32_ref = _make_ref(uint32)
uint64_ref = _make_ref(uint64)
resource_ref = _make_ref(resource)
variant_ref = _make_ref(variant)
for _d in list(_BY_ENUM.values()):
    _BY_NAME[_d._ref.name] = _BY_ENUM[_d._ref.as_datatype_enum] = _d._ref
for _alias in ("half", "double", "float", "int"):
    _BY_NAME[_alias + "_ref"] = _BY_NAME[_alias]._ref
del _d, _alias


def as_dtype(type_value) -> DType:
    """Convert a DType, numpy type, name or DataType enum number to a `DType`."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _BY_NAME.get(type_value)
        if d is not None:
            return d
    elif type(type_value) is int:
        d = _BY_ENUM.get(type_value)
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
