"""DTypes and TensorShape/Dimension."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes
from estflow.core.tensor_shape import Dimension, TensorShape, unknown_shape


def test_dtypes_compare_equal_to_numpy_types():
    assert tf.float32 == np.float32
    assert tf.int32 == np.int32
    assert dtypes.bool == np.bool_
    assert tf.float32 != tf.float64
    assert dtypes.string == np.object_


@pytest.mark.parametrize("name,enum", [("float32", 1), ("float64", 2), ("int32", 3), ("uint8", 4), ("int16", 5),
                                       ("int8", 6), ("string", 7), ("complex64", 8), ("int64", 9), ("bool", 10),
                                       ("uint16", 17), ("complex128", 18), ("float16", 19)])
def test_tf_datatype_enum_numbers(name, enum):
    d = dtypes.as_dtype(name)
    assert d.as_datatype_enum == enum
    assert dtypes.as_dtype(enum) is d
    assert dtypes.as_dtype(enum + 100) is d  # reference types read back as their base


def test_as_dtype_accepts_python_and_numpy_types():
    assert dtypes.as_dtype(np.float64) is tf.float64
    assert dtypes.as_dtype(np.dtype("int64")) is tf.int64
    assert dtypes.as_dtype(bool) is dtypes.bool
    assert dtypes.as_dtype(bytes) is dtypes.string
    assert dtypes.as_dtype("float32_ref") is tf.float32
    with pytest.raises(TypeError, match="Cannot convert"):
        dtypes.as_dtype("float33")


def test_dtype_properties():
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and not dtypes.bool.is_integer
    assert dtypes.uint8.is_unsigned
    assert dtypes.complex64.is_complex and dtypes.complex64.real_dtype is tf.float32
    assert tf.int32.min == -(2**31) and tf.int32.max == 2**31 - 1
    assert dtypes.uint8.max == 255
    assert tf.float32.base_dtype is tf.float32
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.float32.size == 4
    with pytest.raises(TypeError):
        _ = dtypes.string.min


def test_tensor_shape_partial_and_unknown():
    s = TensorShape([None, 3])
    assert s.ndims == 2 and s.as_list() == [None, 3]
    assert not s.is_fully_defined() and s.num_elements() is None
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    with pytest.raises(ValueError):
        s.merge_with([5, 4])
    u = unknown_shape()
    assert u.ndims is None and u.is_compatible_with([1, 2, 3])
    with pytest.raises(ValueError):
        u.as_list()
    assert TensorShape([2, 3]).num_elements() == 6
    assert str(TensorShape([None, 3])) == "(?, 3)"
    assert str(TensorShape([3])) == "(3,)"
    assert TensorShape([1, 2]).concatenate([3]).as_list() == [1, 2, 3]
    assert TensorShape([1, 2])[1] == 2
    assert TensorShape([1, 2, 3])[1:].as_list() == [2, 3]
    assert TensorShape([None, 2]).with_rank(2).as_list() == [None, 2]
    with pytest.raises(ValueError):
        TensorShape([1]).with_rank(2)


def test_dimension():
    assert Dimension(3).value == 3
    assert Dimension(None).value is None
    assert (Dimension(3) + 2).value == 5
    assert (Dimension(None) * 2).value is None
    assert Dimension(3).is_compatible_with(None)
    assert Dimension(3).merge_with(None).value == 3
    with pytest.raises(ValueError):
        Dimension(-1)


@pytest.mark.usefixtures("g")
def test_dtypes_compare_to_numpy_and_enum_numbers():
    assert tf.int32 == np.int32 and tf.float32 == np.float32 and tf.float64 == np.float64
    assert tf.float32 != tf.float64
    enums = {
        tf.float32: 1, tf.float64: 2, tf.int32: 3, tf.uint8: 4, tf.int16: 5, tf.int8: 6, tf.string: 7,
        tf.complex64: 8, tf.int64: 9, tf.bool: 10, tf.uint16: 17, tf.complex128: 18, tf.float16: 19,
    }
    for dt, num in enums.items():
        assert dt.as_datatype_enum == num, dt
        assert tf.as_dtype(num) is dt
    assert tf.as_dtype(np.float32) is tf.float32 and tf.as_dtype("int64") is tf.int64
    assert tf.as_dtype(np.dtype("bool")) is tf.bool
    assert tf.half is tf.float16 and tf.double is tf.float64
    import estflow.dtypes

    assert estflow.dtypes.float32 is tf.float32 and estflow.dtypes.as_dtype("float64") is tf.float64


@pytest.mark.usefixtures("g")
def test_dtype_properties_as_a_tf1_program():
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and tf.bool.is_bool and tf.complex64.is_complex
    assert tf.int8.min == -128 and tf.int8.max == 127 and tf.uint8.max == 255
    assert tf.float16.max == float(np.finfo(np.float16).max)
    assert tf.float32.base_dtype is tf.float32
    assert tf.float32.name == "float32" and tf.string.name == "string"
    assert tf.float32.as_numpy_dtype is np.float32


@pytest.mark.usefixtures("g")
def test_dtype_ref_base_dtype():
    v = tf.Variable(1.0)
    assert v.dtype.base_dtype is tf.float32


@pytest.mark.usefixtures("g")
def test_tensorshape_and_dimension():
    s = tf.TensorShape([None, 3])
    assert s.as_list() == [None, 3] and s.ndims == 2 and s.num_elements() is None
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    with pytest.raises(ValueError):
        s.merge_with([5, 4])
    assert tf.TensorShape([2, 3]).num_elements() == 6
    unknown = tf.TensorShape(None)
    assert unknown.ndims is None
    with pytest.raises(ValueError):
        unknown.as_list()
    assert tf.Dimension(None).value is None and tf.Dimension(3).value == 3
    assert tf.Dimension(3) == 3 and tf.Dimension(None).is_compatible_with(7)
    assert s[1] == 3 and s.dims[0].value is None


@pytest.mark.usefixtures("g")
def test_shape_index_has_tf1_value_for_known_dims():
    x = tf.placeholder(tf.float32, [None, 3])
    assert x.get_shape()[1].value == 3 and x.shape[1] == 3
    assert tf.dimension_value(x.shape[0]) is None and tf.dimension_value(x.shape[1]) == 3
