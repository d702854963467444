"""TF1's persistent tensors: get_session_handle, get_session_tensor, delete_session_tensor, TensorHandle."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.session_handles import TensorHandle


def test_a_handle_keeps_the_value_across_runs(g):
    v = tf.Variable([1.0, 2.0])
    h = tf.get_session_handle(v * 10.0)
    assert (h.op.type, h.op.name, h.dtype) == ("GetSessionHandle", "GetSessionHandle", tf.string)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        handle = sess.run(h)
        assert isinstance(handle, TensorHandle)
        assert handle.handle == "GetSessionHandle;0;/job:localhost/replica:0/task:0/device:CPU:0"
        sess.run(v.assign([5.0, 5.0]))
        np.testing.assert_array_equal(handle.eval(), [10.0, 20.0])  # the value when the handle was made
        holder, x = tf.get_session_tensor(handle.handle, tf.float32)
        y = x + 1.0
        assert x.op.type == "GetSessionTensor" and holder.dtype == tf.string
        np.testing.assert_array_equal(sess.run(y, {holder: handle.handle}), [11.0, 21.0])
        np.testing.assert_array_equal(sess.run(y, {holder: handle}), [11.0, 21.0])  # a TensorHandle feeds too
        second = sess.run(h)
        assert second.handle != handle.handle
        holder2, deleter = tf.delete_session_tensor(handle.handle)
        assert deleter.type == "DeleteSessionTensor"
        sess.run(deleter, {holder2: handle.handle})
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in the session store"):
            sess.run(y, {holder: handle.handle})
        np.testing.assert_array_equal(second.eval(), [50.0, 50.0])
        second.delete()
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in the session store"):
            second.eval()


def test_handles_belong_to_their_session_and_check_dtypes(g):
    h = tf.get_session_handle(tf.constant([1, 2]))
    holder, x = tf.get_session_tensor("", tf.float32)
    with tf.Session() as first:
        handle = first.run(h)
        with pytest.raises(tf.errors.InvalidArgumentError, match="holds int32, not float"):
            first.run(x, {holder: handle})
    with tf.Session() as second:
        with pytest.raises(tf.errors.InvalidArgumentError, match="is not in the session store"):
            second.run(x, {holder: handle.handle})
    with pytest.raises(TypeError, match="must be of type Tensor"):
        tf.get_session_handle([1.0])


def test_handle_ops_are_not_differentiable(g):
    holder, x = tf.get_session_tensor("", tf.float32)
    assert tf.gradients(x * 2.0, [holder]) == [None]
