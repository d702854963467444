"""estflow.python.ops.array_ops / math_ops: TF's private module paths re-export estflow's functions."""

import numpy as np

import estflow as tf
from estflow.python.ops import array_ops, math_ops


def test_each_name_is_the_public_function(g):
    for module in (array_ops, math_ops):
        for name in module.__all__:
            assert getattr(module, name) is getattr(tf, name), f"{module.__name__}.{name}"
    x = array_ops.reshape(math_ops.range(6) if hasattr(math_ops, "range") else tf.range(6), [2, 3])
    y = math_ops.reduce_sum(math_ops.cast(array_ops.transpose(x), tf.float32), axis=0)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [3.0, 12.0])
    assert {"reshape", "concat", "zeros", "shape"} <= set(array_ops.__all__)
    assert {"add", "matmul", "reduce_mean", "cast"} <= set(math_ops.__all__)
