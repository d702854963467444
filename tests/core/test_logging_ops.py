"""tf.Print (estflow/core/ops/logging_ops.py): the input passed through, values written to stderr."""

import numpy as np
import pytest

import estflow as tf


@pytest.mark.usefixtures("g")
def test_print_passes_the_input_and_writes_the_data(capfd):
    x = tf.constant([1, 2, 3, 4])
    y = tf.Print(x, [x, tf.shape(x)], message="x is: ", first_n=2)
    assert y.op.type == "Print" and y.dtype == tf.int32 and y.shape.as_list() == [4]
    with tf.Session() as sess:
        for _ in range(3):
            np.testing.assert_array_equal(sess.run(y), [1, 2, 3, 4])
    err = capfd.readouterr().err
    assert err.count("x is: [1 2 3...][4]") == 2  # first_n=2


@pytest.mark.usefixtures("g")
def test_print_summarize_and_gradient(capfd):
    x = tf.placeholder(tf.float64, [3])
    y = tf.Print(x, [x], summarize=5)
    grad = tf.gradients(tf.reduce_sum(y * y), x)[0]
    with tf.Session() as sess:
        np.testing.assert_allclose(sess.run(grad, {x: [1.0, 2.0, 3.0]}), [2.0, 4.0, 6.0])
    assert capfd.readouterr().err == "[1.0 2.0 3.0]\n"  # summarize=5 shows all three
