"""MatMul and BatchMatMulV2: shape errors in TF's form, static shapes, dispatch and run-time errors."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.matmul_ops import matmul
from estflow.core.registry import apply_op


def _run(fetch, feed=None, graph=None):
    with tf.Session(graph=graph) as sess:
        return sess.run(fetch, feed)


# ================================================================================================
# MatMul shapes and errors
# ================================================================================================
def test_matmul_shape_errors_in_tf_form():
    with tf.Graph().as_default():
        a3 = placeholder(tf.float32, [2, 3, 4])
        b2 = placeholder(tf.float32, [4, 5])
        with pytest.raises(ValueError, match=r"^Shape must be rank 2 but is rank 3 for 'MatMul' \(op: 'MatMul'\) "
                                             r"with input shapes: \[2,3,4\], \[4,5\]\.$"):
            apply_op("MatMul", a3, b2)
        a = placeholder(tf.float32, [3, 10])
        b = placeholder(tf.float32, [12, 4])
        with pytest.raises(ValueError, match=r"^Dimensions must be equal, but are 10 and 12 for 'MatMul_1' "
                                             r"\(op: 'MatMul'\) with input shapes: \[3,10\], \[12,4\]\.$"):
            apply_op("MatMul", a, b, name="MatMul_1")
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 10 and 12"):
            matmul(a, b)
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 3 and 12"):
            matmul(a, b, transpose_a=True)
        with pytest.raises(ValueError, match="Only one of transpose_a and adjoint_a can be True."):
            matmul(a, b, transpose_a=True, adjoint_a=True)
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 4 and 3"):
            matmul(a3, a)
        with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
            matmul(a3, placeholder(tf.float32, [3, 4, 5]))
        with pytest.raises(TypeError, match="DataType bool not in list of allowed values"):
            matmul(constant([[True]]), constant([[True]]))


def test_matmul_static_shapes_and_dispatch():
    with tf.Graph().as_default():
        a = placeholder(tf.float32, [None, 3])
        b = placeholder(tf.float32, [3, 7])
        assert matmul(a, b).shape.as_list() == [None, 7]
        assert matmul(b, a, transpose_a=True, transpose_b=True).shape.as_list() == [7, None]
        batch = matmul(placeholder(tf.float32, [5, 1, 2, 3]), placeholder(tf.float32, [4, 3, 6]))
        assert batch.op.type == "BatchMatMulV2" and batch.shape.as_list() == [5, 4, 2, 6]
        unknown = matmul(placeholder(tf.float32), b)
        assert unknown.op.type == "BatchMatMulV2" and unknown.shape.ndims is None


def test_matmul_runtime_errors():
    with tf.Graph().as_default():
        a = placeholder(tf.float32, [None, None])
        out = matmul(a, a)
        with pytest.raises(errors.InvalidArgumentError, match=r"Matrix size-incompatible: In\[0\]: \[2,3\], "
                                                              r"In\[1\]: \[2,3\]"):
            _run(out, {a: np.zeros((2, 3), np.float32)})


def test_integer_matmul():
    with tf.Graph().as_default():
        out = matmul(constant([[1, 2], [3, 4]]), constant([[5], [6]]))
        v = _run(out)
    assert out.dtype == tf.int32 and v.dtype == np.int32
    np.testing.assert_array_equal(v, [[17], [39]])


@pytest.mark.usefixtures("g")
def test_matmul_shape_error_names_op():
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 2 for 'MatMul' \(op: 'MatMul'\)"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 2]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,n", [(2, 2), (40, 25), (256, 1), (1, 25), (1, 1), (7, 3)])
@pytest.mark.parametrize("transpose_a,transpose_b", [(False, False), (False, True), (True, False), (True, True)])
def test_outer_product_matmul_gives_numpys_matmul_bits(dtype, m, n, transpose_a, transpose_b):
    """An inner dimension of 1 (a DNN's logits gradient) takes np.dot where its bits are matmul's: zero
    products, -0.0, inf and nan included, and a single row or column stays on matmul."""
    from estflow.core.ops.matmul_ops import _matmul_kernel  # noqa: PLC0415 - the kernel under test

    special = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 3e38, -1e-30], dtype)
    zero = np.array([0.0, -0.0], dtype)
    for a, b in [(np.resize(special, (m, 1)), np.resize(special[::-1], (1, n))),  # every pair meets somewhere
                 (np.resize(zero, (m, 1)), np.resize(special, (1, n))),  # 0 * inf is nan, never skipped
                 (np.resize(special, (m, 1)), np.resize(zero, (1, n)))]:
        _check_outer_product(_matmul_kernel, a, b, transpose_a, transpose_b)


def _check_outer_product(_matmul_kernel, a, b, transpose_a, transpose_b):
    a_in = np.ascontiguousarray(a.T) if transpose_a else a
    b_in = np.ascontiguousarray(b.T) if transpose_b else b
    with np.errstate(all="ignore"):
        got = _matmul_kernel(np, a_in, b_in, transpose_a, transpose_b)
        want = np.matmul(a, b)
    assert got.dtype == want.dtype and got.shape == want.shape and got.strides == want.strides
    assert got.tobytes() == want.tobytes()
