"""shuffle: a failed element is passed on as the buffer reads it; every good element still comes once."""

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes

BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


@pytest.mark.parametrize("vectorized", [True, False])
def test_shuffle_passes_failed_elements_on_and_keeps_every_good_one(vectorized):
    text = np.array([b"x" if i in (3, 700) else str(i).encode() for i in range(1000)], dtype=object)
    if vectorized:
        ds = D.from_tensor_slices(text)
    else:  # elements of unknown shape go through the per-element buffer
        ds = D.from_generator(lambda: iter(text), tf.string)
    shuffled = ds.map(tf.string_to_number).shuffle(100, seed=3)
    assert shuffled._vectorized == vectorized
    got = outcomes(shuffled)
    assert got.count(BAD) == 2
    # TF's buffer reads the input as it fills: element 3's error comes before any output
    assert got[0] == BAD
    assert sorted(g for g in got if g != BAD) == [float(i) for i in range(1000) if i not in (3, 700)]
