"""Failed elements in batch, padded_batch and unbatch, as TF's batching ops treat them.

`map(f).batch(n)` runs as TF's fused MapAndBatch (map_and_batch_fusion, on by default):
each batch spans n input elements, and one failure among them fails that batch alone.
A plain BatchDataset (fusion off, or any input that is not a map) ends a batch at a failed
element: the elements gathered before it go with it, and the next batch starts after it.
Either way the batches after the error all arrive.
"""

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes, unfused

BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def strings(n, bad):
    return np.array([b"x" if i in bad else str(i).encode() for i in range(n)], dtype=object)


def test_map_then_batch_fails_only_the_batch_holding_the_bad_element():
    got = outcomes(D.from_tensor_slices(strings(1000, {300})).map(tf.string_to_number).batch(256))
    assert got[0] == list(range(256)) and got[1] == BAD
    assert got[2] == list(range(512, 768)) and got[3] == list(range(768, 1000)) and len(got) == 4


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_fused_map_and_batch_keeps_batch_boundaries(drop_remainder):
    # TF's MapAndBatch: batch k is input elements [4k, 4k + 4) whatever fails inside it.
    ds = D.from_tensor_slices(strings(10, {1, 9})).map(tf.string_to_number).batch(4, drop_remainder)
    expected = [BAD, [4.0, 5.0, 6.0, 7.0], BAD]
    assert outcomes(ds) == expected
    parallel = D.from_tensor_slices(strings(10, {1, 9})).apply(
        tf.data.experimental.map_and_batch(tf.string_to_number, 4, num_parallel_calls=2, drop_remainder=drop_remainder))
    assert outcomes(parallel) == expected


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_plain_batch_ends_a_batch_at_the_failed_element(drop_remainder):
    # TF's BatchDataset: [0, 1(bad)] -> error; then [2 3 4 5], [6 7 8], 9(bad) -> error.
    ds = unfused(D.from_tensor_slices(strings(10, {1, 9})).map(tf.string_to_number)).batch(4, drop_remainder)
    assert outcomes(ds) == [BAD, [2.0, 3.0, 4.0, 5.0], BAD]  # 6, 7, 8 went with the error of 9
    # not directly after a map: not fused, whatever the options say
    prefetched = D.from_tensor_slices(strings(11, {1})).map(tf.string_to_number).prefetch(2).batch(4, drop_remainder)
    last = [] if drop_remainder else [[10.0]]
    assert outcomes(prefetched) == [BAD, [2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0]] + last


def test_batch_of_a_generator_with_a_bad_value():
    def gen():
        yield from ([1, 2], [3, 4], [5, "x"], [7, 8], [9, 10])

    ds = D.from_generator(gen, tf.int64, tf.TensorShape([2])).batch(2)
    got = outcomes(ds)
    assert got[0] == [[1, 2], [3, 4]] and got[1][0] is tf.errors.InvalidArgumentError
    assert "could not be converted to the expected type" in got[1][1]
    assert got[2:] == [[[7, 8], [9, 10]]]


def test_batch_shape_error_fails_that_batch_only():
    def gen():
        yield from ([1], [2], [3, 4], [5], [6], [7])

    ds = D.from_generator(gen, tf.int64, tf.TensorShape([None])).batch(2)
    got = outcomes(ds)
    assert got[0] == [[1], [2]] and got[1][0] is tf.errors.InvalidArgumentError
    assert got[1][1].startswith("Cannot batch tensors with different shapes in component 0.")
    assert got[2:] == [[[6], [7]]]


def test_padded_batch_and_sparse_batch_go_on_after_a_failed_element():
    ds = D.from_tensor_slices(strings(7, {2})).map(tf.string_to_number).map(
        lambda v: tf.fill(tf.reshape(tf.cast(v, tf.int32) % 2 + 1, [1]), v))  # lengths 1, 2, 1, 2...
    got = outcomes(ds.padded_batch(2, padded_shapes=[3]))
    assert got == [[[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]], BAD, [[3.0, 3.0, 0.0], [4.0, 0.0, 0.0]],
                   [[5.0, 5.0, 0.0], [6.0, 0.0, 0.0]]]
    sparse = D.from_tensor_slices(strings(5, {1})).map(tf.string_to_number).map(
        lambda v: tf.SparseTensor([[0]], tf.reshape(v, [1]), [1]))
    nxt = tf.data.make_one_shot_iterator(sparse.batch(2)).get_next()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="convert string: x"):
            sess.run(nxt)
        assert sess.run(nxt).values.tolist() == [2.0, 3.0]
        assert sess.run(nxt).values.tolist() == [4.0]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_unbatch_passes_failed_elements_on():
    ds = D.from_tensor_slices(strings(6, {2})).map(tf.string_to_number).batch(2).unbatch()
    assert outcomes(ds) == [0.0, 1.0, BAD, 4.0, 5.0]
