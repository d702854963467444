"""tf.fingerprint against real TensorFlow's bytes (tests/fixtures/iox/strings_tf.json), and tf.timestamp."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

import estflow as tf
from tests import FIXTURES

REFERENCE = json.loads((FIXTURES / "iox" / "strings_tf.json").read_text())["fingerprint"]


@pytest.mark.parametrize("label, value, dtype", [
    ("strings1", ["", "a", "hello world"], tf.string),
    ("strings2", [["a", "b"], ["c", "d"]], tf.string),  # several strings a row: fingerprint of fingerprints
    ("int32", [[1, 2, 3], [4, 5, 6]], tf.int32),
    ("float64", [1.5, -2.0], tf.float64),
    ("bool3", [[[True, False]], [[False, False]]], tf.bool),
])
def test_fingerprint_matches_tensorflow(g, label, value, dtype):
    x = tf.placeholder(dtype, None)
    out = tf.fingerprint(x)
    assert out.dtype == tf.uint8 and out.shape.as_list() == [None, 8]
    with tf.Session() as sess:
        got = sess.run(out, {x: np.array(value, dtype=object if dtype == tf.string else dtype.as_numpy_dtype)})
    assert got.dtype == np.uint8 and got.tolist() == REFERENCE[label]
    assert tf.fingerprint(tf.constant(value, dtype)).shape.as_list() == [len(value), 8]


def test_fingerprint_errors(g):
    with pytest.raises(ValueError, match="at least rank 1"):
        tf.fingerprint(tf.constant(3))
    with pytest.raises(ValueError, match="Invalid fingerprint method: md5"):
        tf.fingerprint(tf.constant([3]), method="md5")
    method = tf.placeholder(tf.string, [])
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Invalid fingerprint method"):
        sess.run(tf.fingerprint(tf.constant([3]), method=method), {method: "md5"})


def test_timestamp_is_the_time_each_run(g):
    ts = tf.timestamp()
    assert ts.dtype == tf.float64 and ts.shape.ndims == 0 and ts.op.type == "Timestamp"
    with tf.Session() as sess:
        before = time.time()
        first = sess.run(ts)
        time.sleep(0.01)
        second = sess.run(ts)
        after = time.time()
    assert before <= first < second <= after  # stateful: never folded into a constant
