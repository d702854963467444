"""`tf.compat` text conversions (estflow/library/compat.py) and `tf.compat.v1` as the top level."""

import pathlib

import numpy as np
import pytest

import estflow as tf


def test_as_bytes_and_as_text_round_trip_utf8():
    assert tf.compat.as_bytes("é") == "é".encode() and tf.compat.as_bytes(bytearray(b"ab")) == b"ab"
    assert tf.compat.as_text(b"\xc3\xa9") == "é" and tf.compat.as_str("x") == "x"
    assert tf.compat.as_bytes("é", encoding="latin-1") == b"\xe9"
    assert tf.compat.as_str_any(3) == "3" and tf.compat.as_str_any(b"a") == "a"


@pytest.mark.parametrize("fn", ["as_bytes", "as_text"])
def test_other_types_are_refused(fn):
    with pytest.raises(TypeError, match="Expected binary or unicode string, got 3"):
        getattr(tf.compat, fn)(3)


def test_compat_v1_is_the_top_level():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.placeholder is tf.placeholder


def test_type_groups_and_path_to_str():
    assert isinstance(b"x", tf.compat.bytes_or_text_types) and isinstance("x", tf.compat.bytes_or_text_types)
    assert isinstance(np.int64(1), tf.compat.integral_types) and not isinstance(1.5, tf.compat.integral_types)
    assert isinstance(np.float32(1), tf.compat.real_types) and isinstance(1, tf.compat.real_types)
    assert isinstance(1j, tf.compat.complex_types) and not isinstance("1", tf.compat.complex_types)
    assert tf.compat.path_to_str(pathlib.Path("/tmp/x")) == "/tmp/x" and tf.compat.path_to_str(3) == 3
