"""tf.sparse composites (estflow/library/sparse_composites.py)."""

import numpy as np
import pytest

import estflow as tf
from tests.core.gradient_check import check_gradient

DENSE = np.array([[0, 1, 0], [2, 0, 3]], np.float32)


def _run(fetch):
    with tf.Session() as sess:
        return sess.run(fetch)


def _dense(sp):
    return _run(tf.sparse.to_dense(sp))


@pytest.mark.usefixtures("g")
def test_from_dense_and_shape_helpers():
    sp = tf.sparse.from_dense(DENSE)
    value = _run(sp)
    assert value.indices.tolist() == [[0, 1], [1, 0], [1, 2]] and value.values.tolist() == [1, 2, 3]
    assert value.dense_shape.tolist() == [2, 3]
    words = _run(tf.sparse.from_dense(np.array([b"a", b"", b"c"], dtype=object)))
    assert words.indices.tolist() == [[0], [2]]
    assert _dense(tf.sparse.expand_dims(sp, 1)).shape == (2, 1, 3)
    np.testing.assert_array_equal(_dense(tf.sparse.expand_dims(sp, -1))[..., 0], DENSE)
    np.testing.assert_array_equal(_dense(tf.sparse.eye(2, 3)), np.eye(2, 3))
    loose = tf.SparseTensor([[0, 1], [2, 0]], [1.0, 2.0], [5, 5])
    assert _run(tf.sparse_reset_shape(loose)).dense_shape.tolist() == [3, 2]
    assert _run(tf.sparse.reset_shape(loose, [6, 7])).dense_shape.tolist() == [6, 7]
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least the original shape"):
        _run(tf.sparse.reset_shape(loose, [4, 5]))


@pytest.mark.usefixtures("g")
def test_reductions_transpose_slice_split():
    sp = tf.sparse.from_dense(DENSE)
    np.testing.assert_array_equal(_run(tf.sparse.reduce_sum(sp, axis=1)), DENSE.sum(1))
    np.testing.assert_array_equal(_run(tf.sparse_reduce_sum(sp, axis=0, keepdims=True)), DENSE.sum(0, keepdims=True))
    assert _run(tf.sparse.reduce_sum(sp)) == DENSE.sum()
    transposed = tf.sparse.transpose(sp)
    np.testing.assert_array_equal(_dense(transposed), DENSE.T)
    assert _run(transposed).indices.tolist() == [[0, 1], [1, 0], [2, 1]]  # row-major order
    np.testing.assert_array_equal(_dense(tf.sparse.slice(sp, [0, 1], [2, 5])), DENSE[:, 1:])
    pieces = tf.sparse.split(sp_input=sp, num_split=2, axis=1)
    assert [_dense(p).tolist() for p in pieces] == [DENSE[:, :2].tolist(), DENSE[:, 2:].tolist()]
    with pytest.raises(ValueError, match="Keyword arguments are required"):
        tf.sparse_split(sp, 2, 1)
    with pytest.raises(NotImplementedError, match="output_is_sparse"):
        tf.sparse.reduce_sum(sp, output_is_sparse=True)


@pytest.mark.usefixtures("g")
def test_softmax_over_present_entries_and_mask():
    sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1]], [1.0, 2.0, 5.0], [2, 3])
    out = _run(tf.sparse.softmax(sp))
    np.testing.assert_allclose(out.values, [*np.exp([1, 2]) / np.exp([1, 2]).sum(), 1.0], rtol=1e-6)
    assert out.indices.tolist() == [[0, 0], [0, 2], [1, 1]]
    slices = tf.IndexedSlices(tf.constant([[1.0], [2.0], [3.0]]), tf.constant([0, 4, 7], tf.int64),
                              tf.constant([10, 1], tf.int64))
    kept = tf.sparse.mask(slices, [4])
    values, indices = _run([kept.values, kept.indices])
    assert values.tolist() == [[1.0], [3.0]] and indices.tolist() == [0, 7]


def test_softmax_gradient():
    def build(values):
        sp = tf.SparseTensor([[0, 0], [0, 2], [1, 1], [1, 2]], values, [2, 3])
        return tf.sparse.softmax(sp).values

    check_gradient(build, [np.array([0.5, -1.0, 2.0, 0.3])])


@pytest.mark.usefixtures("g")
def test_maximum_and_minimum_over_the_union_of_indices():
    a = tf.SparseTensor([[0, 0], [1, 1]], [-1.0, 4.0], [2, 2])
    b = tf.SparseTensor([[0, 0], [0, 1]], [-3.0, 2.0], [2, 2])
    high, low = _run([tf.sparse.maximum(a, b), tf.sparse_minimum(a, b)])
    assert high.indices.tolist() == [[0, 0], [0, 1], [1, 1]] and high.values.tolist() == [-1.0, 2.0, 4.0]
    assert low.values.tolist() == [-3.0, 0.0, 0.0]  # absent entries count as zero
    assert tf.sparse_maximum is tf.sparse.maximum
