"""tf.Print (estflow/core/ops/logging_ops.py): the input passed through, values written to stderr."""

import sys

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


@pytest.mark.usefixtures("g")
def test_strings_format_shows_tensors_as_tf_print_does():
    x = tf.constant([[1, 2], [3, 4]])
    y = tf.constant(np.arange(10.0))
    text = tf.strings.format("x = {}, y = {}", [x, y])
    assert text.dtype == tf.string and text.shape.as_list() == []
    with tf.Session() as sess:
        assert sess.run(text) == b"x = [[1 2]\n [3 4]], y = [0 1 2 ... 7 8 9]"
        assert sess.run(tf.strings.format("{}/{}", [tf.constant(1.5), tf.constant([True, False])])) == b"1.5/[1 0]"
        assert sess.run(tf.strings.format("<>", tf.constant(7), placeholder="<>")) == b"7"
        assert sess.run(tf.strings.format("{}", [y], summarize=-1)) == b"[0 1 2 3 4 5 6 7 8 9]"
    with pytest.raises(ValueError, match="placeholder"):
        tf.strings.format("{} {}", [x])


@pytest.mark.usefixtures("g")
def test_tf_print_is_an_op_that_prints_when_run(capfd, tmp_path):
    x = tf.constant([1, 2, 3])
    op = tf.print("x:", x, {"k": 1}, sep="|", end="!\n", output_stream=sys.stdout)
    assert op.type == "PrintV2" and capfd.readouterr().out == ""
    with tf.Session() as sess:
        sess.run(op)
        assert capfd.readouterr().out == "x:|[1 2 3]|{'k': 1}!\n"
        sess.run(tf.print("{}", x))  # literal braces stay literal
        assert capfd.readouterr().err == "{} [1 2 3]\n"
        target = tmp_path / "printed.txt"
        sess.run(tf.print("to a file", output_stream=f"file://{target}"))
        assert target.read_text() == "to a file\n"
    with pytest.raises(ValueError, match="Unsupported output stream"):
        tf.print(x, output_stream="nowhere")
