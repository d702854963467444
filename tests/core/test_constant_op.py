"""tf.constant: dtype inference, filling to a shape, casts, strings."""

import numpy as np
import pytest

import estflow as tf


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_constant_dtype_inference():
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant("a").dtype == tf.string and tf.constant(b"a").dtype == tf.string
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant([[1, 2], [3, 4]]).shape.as_list() == [2, 2]
    assert tf.constant(np.zeros(3, np.float64)).dtype == tf.float64
    assert tf.convert_to_tensor([1.0, 2.0]).dtype == tf.float32
    assert tf.constant(np.array(7, np.int64)).dtype == tf.int64


@pytest.mark.usefixtures("g")
def test_constant_scalar_filled_to_shape_and_dtype_cast():
    c = tf.constant(7, dtype=tf.float32, shape=[2, 3], name="seven")
    assert c.name == "seven:0" and c.shape.as_list() == [2, 3]
    out = run(c)
    assert out.dtype == np.float32 and out.tolist() == [[7.0] * 3] * 2


@pytest.mark.usefixtures("g")
def test_constant_strings_hold_bytes():
    assert run(tf.constant(["héllo", b"x"])).tolist() == ["héllo".encode(), b"x"]
