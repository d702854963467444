"""ApproxTopK (tf.math.approx_max_k / approx_min_k, tf.approx_top_k): exact top-k along any dimension."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

X = np.array([[1.0, 5, 3, 5, 2], [0, -1, 7, 7, 2]], np.float32)


def run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


@pytest.mark.usefixtures("g")
def test_max_k_matches_tensorflows_cpu_kernel():
    values, indices = tf.math.approx_max_k(X, 2)
    assert values.op.type == "ApproxTopK" and values.op.name == "ApproxTopK"
    assert values.op.get_attr("recall_target") == pytest.approx(0.95) and values.op.get_attr("is_max_k") is True
    v, i = run([values, indices])
    assert v.tolist() == [[5, 5], [7, 7]] and i.tolist() == [[1, 3], [2, 3]] and i.dtype == np.int32  # TF's output
    assert tf.nn.approx_max_k is tf.math.approx_max_k


@pytest.mark.usefixtures("g")
def test_min_k_and_other_dimensions():
    v, i = run(tf.math.approx_min_k(X, 3, reduction_dimension=1))
    assert v.tolist() == [[1, 2, 3], [-1, 0, 2]] and i.tolist() == [[0, 4, 2], [1, 0, 4]]
    v, i = run(tf.approx_top_k(X, 1, reduction_dimension=0, is_max_k=False))
    assert v.tolist() == [[0, -1, 3, 5, 2]] and i.tolist() == [[1, 1, 0, 0, 0]]
    x = np.random.default_rng(0).standard_normal((3, 6, 4))
    v, i = run(tf.nn.approx_min_k(x, 2, reduction_dimension=-2))
    np.testing.assert_array_equal(i, np.argsort(x, axis=1)[:, :2])
    np.testing.assert_array_equal(v, np.sort(x, axis=1)[:, :2])
    assert tf.math.approx_max_k(tf.placeholder(tf.float32, [None, 6, 4]), 3, 1)[0].shape.as_list() == [None, 3, 4]


@pytest.mark.usefixtures("g")
def test_errors():
    with pytest.raises(ValueError, match="out of range"):
        tf.math.approx_max_k(X, 1, reduction_dimension=2)
    with pytest.raises(ValueError, match="at most"):
        tf.math.approx_max_k(X, 6)
    p = tf.placeholder(tf.float32, [2, None])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="at least k=3"):
        sess.run(tf.math.approx_max_k(p, 3), {p: np.ones((2, 2))})


@pytest.mark.parametrize("axis,is_max", [(-1, True), (0, False), (1, False)])
def test_gradient_flows_to_the_chosen_entries(axis, is_max):
    x = np.random.default_rng(1).permutation(24).reshape(4, 6).astype(np.float64)  # distinct: no ties at a kink
    check_gradient(lambda t: tf.approx_top_k(t, 2, reduction_dimension=axis, is_max_k=is_max)[0], [x])
