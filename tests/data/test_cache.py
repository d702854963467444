"""cache: a failed element is passed on in the first pass but not cached, as TF's cache does."""

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


@pytest.mark.parametrize("in_files", [False, True])
def test_cache_passes_failed_elements_on_without_keeping_them(tmp_path, in_files):
    text = np.array([b"0", b"x", b"2"], dtype=object)
    ds = D.from_tensor_slices(text).map(tf.string_to_number).cache(str(tmp_path / "c") if in_files else "")
    assert outcomes(ds.repeat(2)) == [0.0, BAD, 2.0, 0.0, 2.0]
    if in_files:  # a later iterator reads the files: the good elements only
        assert outcomes(ds) == [0.0, 2.0]
