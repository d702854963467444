"""Python values to arrays and build-time shape facts (estflow/core/tensor_util.py), a leaf of core."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes
from estflow.core.tensor_util import constant_value_as_shape, infer_dtype, to_numpy, to_string_array


@pytest.mark.parametrize("value, expected", [
    (1.5, dtypes.float32), (3, dtypes.int32), (2**40, dtypes.int64), (True, dtypes.bool), ("a", dtypes.string),
    (b"a", dtypes.string), ([1, 2.5], dtypes.float32), ([True, 2], dtypes.int32), ([], dtypes.float32),
    (np.float64(1), dtypes.float64), (np.zeros(2, np.int16), dtypes.int16), (1j, dtypes.complex128),
])
def test_infer_dtype_follows_tf1(value, expected):
    assert infer_dtype(value) == expected


def test_infer_dtype_refuses_mixed_strings_and_none():
    with pytest.raises(TypeError, match="mixes strings and numbers"):
        infer_dtype(["a", 1])
    with pytest.raises(ValueError, match="None values not supported"):
        infer_dtype(None)


def test_to_numpy_converts_losslessly_or_raises():
    assert to_numpy([1, 2], dtypes.int64).dtype == np.int64
    with pytest.raises(TypeError, match="Expected int32, got 2.5"):
        to_numpy(2.5, dtypes.int32)
    with pytest.raises(TypeError, match="out of range for int8"):
        to_numpy([300], dtypes.int8)


def test_to_string_array_holds_utf8_bytes():
    out = to_string_array([["a", "é"], [b"c", "d"]])
    assert out.dtype == object and out.tolist() == [[b"a", "é".encode()], [b"c", b"d"]]
    assert to_string_array(np.array([b"x"])).tolist() == [b"x"]


def test_constant_value_as_shape_reads_what_is_known_at_build_time():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [None, 3])
        assert constant_value_as_shape(tf.constant([2, -1])).as_list() == [2, None]
        assert constant_value_as_shape(tf.shape(x)).as_list() == [None, 3]
        n = tf.placeholder(tf.int32, [])
        assert constant_value_as_shape(tf.stack([n, 4])).as_list() == [None, 4]


def test_to_string_array_copies_a_batch_of_bytes_and_converts_a_mixed_one():
    fed = np.array([[b"a", b"bc"], [b"", b"d"]], dtype=object)
    out = to_string_array(fed[:, ::-1])  # a strided view: the copy is laid out afresh
    assert out.tolist() == [[b"bc", b"a"], [b"d", b""]] and out.flags.c_contiguous
    assert not np.shares_memory(out, fed)
    out[0, 0] = b"changed"
    assert fed[0, 1] == b"bc"
    mixed = to_string_array(np.array([b"x", "y", "é"], dtype=object))
    assert mixed.tolist() == [b"x", b"y", "é".encode()]
    assert to_string_array(np.empty((0, 2), dtype=object)).shape == (0, 2)


def test_to_string_array_of_a_list_of_bytes_is_a_vector_of_those_bytes():
    record = b"\n\x0c\n\n\n\x01x\x12\x05\x12\x03\n\x01\x00"  # a served request's serialized Example
    out = to_string_array([record, b""])
    assert out.dtype == object and out.shape == (2,) and out[0] is record and out.tolist() == [record, b""]
    assert to_string_array([b"a", "b"]).tolist() == [b"a", b"b"]  # mixed: encoded as before
    assert to_string_array([[b"a"], [b"b"]]).shape == (2, 1)  # nested lists keep their shape
    assert to_string_array([]).shape == (0,)
