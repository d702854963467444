"""map_fn, scan, foldl, foldr and switch_case (estflow/library/functional_ops.py)."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

X = np.arange(1.0, 5.0)


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("build, expected", [
    (lambda: tf.map_fn(lambda v: v * v, tf.constant(X)), X * X),
    (lambda: tf.map_fn(lambda r: tf.reduce_sum(r), tf.constant(np.ones([3, 2]))), [2.0, 2.0, 2.0]),
    (lambda: tf.map_fn(lambda v: v, tf.zeros([0, 2])), np.zeros([0, 2])),
    (lambda: tf.scan(lambda a, v: a + v, tf.constant(X)), np.cumsum(X)),
    (lambda: tf.scan(lambda a, v: a + v, tf.constant(X), reverse=True), np.cumsum(X[::-1])[::-1]),
    (lambda: tf.scan(lambda a, v: a * v, tf.constant(X), initializer=tf.constant(2.0, tf.float64)),
     2 * np.cumprod(X)),
    (lambda: tf.scan(lambda a, v: a * v, tf.constant(X), initializer=tf.constant(2.0, tf.float64), reverse=True),
     2 * np.cumprod(X[::-1])[::-1]),
    (lambda: tf.foldl(lambda a, v: a - v, tf.constant(X)), 1 - 2 - 3 - 4.0),
    (lambda: tf.foldr(lambda a, v: a - v, tf.constant(X)), 4 - 3 - 2 - 1.0),
    (lambda: tf.foldl(lambda a, v: a + v, tf.constant([[1, 2], [3, 4]]), initializer=tf.constant([10, 10])),
     [14, 16]),
])
def test_values(build, expected):
    np.testing.assert_allclose(_run(build()), expected)


@pytest.mark.usefixtures("g")
def test_nested_elements_and_dtypes():
    pair = (tf.constant(X), tf.constant([1, 2, 3, 4]))
    doubled, as_float = tf.map_fn(lambda v: (v[0] * 2, tf.cast(v[1], tf.float64)), pair,
                                  dtype=(tf.float64, tf.float64))
    np.testing.assert_allclose(_run([doubled, as_float]), [X * 2, X])
    with pytest.raises(TypeError, match="pass `dtype`"):
        tf.map_fn(lambda v: tf.cast(v, tf.int32), tf.constant(X))
    counts = tf.scan(lambda acc, v: {"n": acc["n"] + 1, "s": acc["s"] + v}, tf.constant(X),
                     initializer={"n": tf.constant(0), "s": tf.constant(0.0, tf.float64)})
    got = _run(counts)
    np.testing.assert_array_equal(got["n"], [1, 2, 3, 4])
    np.testing.assert_allclose(got["s"], np.cumsum(X))
    with pytest.raises(ValueError, match="not scalars"):
        tf.map_fn(lambda v: v, tf.constant(1.0))


@pytest.mark.usefixtures("g")
def test_static_shapes_and_unknown_lengths():
    x = tf.placeholder(tf.float32, [None, 2])
    mapped = tf.map_fn(lambda r: r * 2.0, x)
    assert mapped.shape.as_list() == [None, 2]
    assert tf.map_fn(lambda r: r, tf.zeros([5, 3])).shape.as_list() == [5, 3]
    np.testing.assert_allclose(_run(mapped, {x: np.ones([4, 2])}), 2 * np.ones([4, 2]))
    ragged = tf.map_fn(lambda r: tf.tile(r, [2]), x, infer_shape=False)
    assert _run(ragged, {x: np.ones([3, 2])}).shape == (3, 4)


@pytest.mark.parametrize("build", [
    lambda x: tf.map_fn(lambda r: tf.reduce_sum(r * r), x),
    lambda x: tf.scan(lambda a, v: a * v, x),
    lambda x: tf.foldl(lambda a, v: a * v + 1.0, x),
    lambda x: tf.foldr(lambda a, v: tf.sin(a) * v, x),
])
def test_gradients_through_the_loop(build):
    check_gradient(build, [np.random.default_rng(3).standard_normal((3, 2))])


@pytest.mark.usefixtures("g")
def test_switch_case():
    i = tf.placeholder(tf.int32, [])
    x = tf.constant(3.0)
    y = tf.switch_case(i, [lambda: x, lambda: 2 * x, lambda: 3 * x])
    assert [_run(y, {i: k}) for k in (0, 1, 2, 7, -1)] == [3.0, 6.0, 9.0, 9.0, 9.0]
    z = tf.switch_case(i, {1: lambda: x, 5: lambda: -x}, default=lambda: x * 0.0)
    assert [_run(z, {i: k}) for k in (1, 5, 2)] == [3.0, -3.0, 0.0]
    with pytest.raises(TypeError, match="int32"):
        tf.switch_case(tf.constant(1.0), [lambda: x])
    with pytest.raises(ValueError, match="non-empty"):
        tf.switch_case(i, [])


def test_map_fn_and_scan_run_over_tensor_arrays_as_tf1s():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 3])
        squares = tf.map_fn(lambda row: row * row, x)
        sums = tf.scan(lambda a, row: a + row, x, reverse=True)
        assert squares.shape.as_list() == [None, 3] and sums.shape.as_list() == [None, 3]
        types = {op.type for op in g.get_operations()}
        assert {"TensorArrayV3", "TensorArrayScatterV3", "TensorArrayGatherV3"} <= types
        (dx,) = tf.gradients(tf.reduce_sum(squares) + tf.reduce_sum(sums * sums), [x])
        values = np.arange(12, dtype=np.float32).reshape(4, 3)
        with tf.Session() as sess:
            got_squares, got_sums, got_dx = sess.run([squares, sums, dx], {x: values})
    np.testing.assert_allclose(got_squares, values ** 2)
    expected_sums = np.cumsum(values[::-1], axis=0)[::-1]
    np.testing.assert_allclose(got_sums, expected_sums)
    # d/dx_j of sum_i (sum_{k>=i} x_k)^2 = 2 * sum_{i<=j} sums_i
    np.testing.assert_allclose(got_dx, 2 * values + 2 * np.cumsum(expected_sums, axis=0), rtol=1e-6)
