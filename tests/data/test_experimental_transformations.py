"""assert_cardinality, from_list, dense_to_sparse_batch, SHARD_HINT and TF1's aliases."""

import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes

X = tf.data.experimental



@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _until_error(dataset, limit=10):
    """Values of get_next up to the first error, then that error twice (TF repeats it)."""
    nxt = tf.data.make_one_shot_iterator(dataset).get_next()
    out = []
    with tf.Session() as sess:
        for _ in range(limit):
            try:
                out.append(int(sess.run(nxt)))
            except tf.errors.OutOfRangeError:
                return out + ["end"]
            except tf.errors.OpError as e:
                with pytest.raises(type(e)):
                    sess.run(nxt)
                return out + [(type(e), e.message.split("\n\t [[")[0])]
    return out


def test_assert_cardinality_fails_as_soon_as_the_count_is_wrong():
    fp = tf.errors.FailedPreconditionError
    assert _until_error(D.range(3).apply(X.assert_cardinality(3))) == [0, 1, 2, "end"]
    assert _until_error(D.range(3).apply(X.assert_cardinality(5))) == [
        0, 1, 2, (fp, "Input dataset was expected to contain 5 elements but contained only 3 elements.")]
    assert _until_error(D.range(3).apply(X.assert_cardinality(1))) == [
        0, (fp, "Input dataset was expected to contain 1 element but contained at least 2 elements.")]
    assert _until_error(D.range(3).apply(X.assert_cardinality(X.INFINITE_CARDINALITY))) == [
        0, 1, 2, (fp, "Input dataset was expected to contain an infinite number of elements but contained only "
                      "3 elements.")]
    n = tf.placeholder(tf.int64, [])
    it = tf.data.make_initializable_iterator(D.range(2).apply(X.assert_cardinality(n)))
    with tf.Session() as sess:
        sess.run(it.initializer, {n: 2})
        assert [sess.run(it.get_next()) for _ in range(2)] == [0, 1]


def test_from_list_slices_a_list_of_structures():
    assert outcomes(X.from_list([(1, "a"), (2, "b")])) == [[1, b"a"], [2, b"b"]]
    ds = X.from_list([{"x": [1.0, 2.0]}, {"x": [3.0, 4.0]}])
    assert ds.element_spec == {"x": tf.TensorSpec([2], tf.float32)}
    assert X.from_list([(1, "a")]).element_spec == (tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.string))
    with pytest.raises(ValueError, match="should not be empty"):
        X.from_list([])
    with pytest.raises(ValueError, match="same nested structure"):
        X.from_list([1, (1, 2)])


def _ragged_rows():
    return D.from_generator(lambda: iter([[1], [2, 3], [4, 5, 6]]), tf.int32, [None])


def test_dense_to_sparse_batch_gives_tfs_sparse_batches():
    ds = _ragged_rows().apply(X.dense_to_sparse_batch(2, [5]))
    assert ds.element_spec == tf.SparseTensorSpec([None, 5], tf.int32)
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    with tf.Session() as sess:
        first, second = sess.run(nxt), sess.run(nxt)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
    assert first.indices.tolist() == [[0, 0], [1, 0], [1, 1]] and first.values.tolist() == [1, 2, 3]
    assert first.dense_shape.tolist() == [2, 5]
    assert second.indices.tolist() == [[0, 0], [0, 1], [0, 2]] and second.dense_shape.tolist() == [1, 5]


def test_dense_to_sparse_batch_errors():
    too_long = outcomes(_ragged_rows().apply(X.dense_to_sparse_batch(2, [2])))
    assert len(too_long) == 2 and too_long[1] == (
        tf.errors.DataLossError, "Input element had shape (3) in dimension 0 that exceeds the row shape (2).")
    wrong_rank = outcomes(_ragged_rows().apply(X.dense_to_sparse_batch(2, [2, 2])))
    assert [e[0] for e in wrong_rank] == [tf.errors.InvalidArgumentError] * 2
    with pytest.raises(TypeError, match="single component"):
        D.from_tensors((1, 2)).apply(X.dense_to_sparse_batch(2, [2]))


def test_tf1_aliases_and_constants():
    mapped = D.range(5).apply(X.map_and_batch_with_legacy_function(lambda x: x * 2, 2))
    assert outcomes(mapped) == [[0, 2], [4, 6], [8]]
    assert X.SHARD_HINT == -1
    with pytest.raises(ValueError, match="only supported in eager mode"):
        X.enable_debug_mode()


def test_pad_to_cardinality_appends_masked_zero_elements():
    ds = D.from_tensor_slices({"x": [[1.0, 2.0], [3.0, 4.0]], "id": [7, 8]})
    padded = ds.apply(X.pad_to_cardinality(4))
    assert padded.element_spec["valid"] == tf.TensorSpec([], tf.bool)
    plain = [{k: v.tolist() for k, v in e.items()} for e in outcomes(padded)]
    assert plain == [
        {"id": 7, "valid": True, "x": [1.0, 2.0]}, {"id": 8, "valid": True, "x": [3.0, 4.0]},
        {"id": 0, "valid": False, "x": [0.0, 0.0]}, {"id": 0, "valid": False, "x": [0.0, 0.0]}]
    assert len(outcomes(ds.apply(X.pad_to_cardinality(2, mask_key="real")))) == 2
    with pytest.raises(ValueError, match="requires its input dataset to be a dictionary"):
        D.range(3).apply(X.pad_to_cardinality(5))
