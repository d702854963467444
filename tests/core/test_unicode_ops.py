"""Unicode and n-gram string ops against real TensorFlow's answers (tests/fixtures/iox/strings_tf.json,
written by TF 2.15.1 with scripts/tf_fixtures/make_strings_tf.py), plus their errors and static shapes."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import estflow as tf
from tests import FIXTURES

REFERENCE = json.loads((FIXTURES / "iox" / "strings_tf.json").read_text())


def _bytes(items):
    return [base64.b64decode(x) for x in items]


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("case", REFERENCE["ngrams"], ids=lambda c: f"{c['data']}-{c['kw']}")
def test_ngrams_match_tensorflow(case):
    data = {"data2": [["a", "b", "c", "d"], ["e", "f", "g", "h"]], "data1": ["a", "b", "c"]}[case["data"]]
    kw = dict(case["kw"])
    if isinstance(kw.get("pad_values"), list):
        kw["pad_values"] = tuple(kw["pad_values"])
    out = tf.strings.ngrams(tf.constant(data), **kw)
    value = _run(out)
    assert list(value.shape) == case["shape"]
    assert out.shape.as_list() == case["shape"]  # the static shape is known for a dense input
    assert [v.decode() for v in value.reshape(-1).tolist()] == case["values"]


@pytest.mark.usefixtures("g")
def test_ngrams_of_a_fed_tensor_of_unknown_shape():
    data = tf.placeholder(tf.string, [None, None])
    out = tf.strings.ngrams(data, 2, separator="_")
    assert out.shape.as_list() == [None, None]
    value = _run(out, {data: np.array([["x", "y", "z"]], dtype=object)})
    assert value.tolist() == [[b"x_y", b"y_z"]]


@pytest.mark.parametrize("kwargs, message", [
    (dict(ngram_width=0), "greater than 0"),
    (dict(ngram_width=2, padding_width=0, pad_values="P"), "padding_width must be greater than 0"),
    (dict(ngram_width=2, padding_width=1), "pad_values must be provided"),
    (dict(ngram_width=2, pad_values=("a", "b", "c")), "pad_values must be a string"),
])
def test_ngrams_argument_errors(g, kwargs, message):
    with pytest.raises(ValueError, match=message):
        tf.strings.ngrams(tf.constant(["a", "b"]), **kwargs)
    with pytest.raises(ValueError, match="rank>0"):
        tf.strings.ngrams(tf.constant("a"), 2)


@pytest.mark.usefixtures("g")
def test_unsorted_segment_join_matches_tensorflow():
    out = tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"], ["e", "f"]], [2, 0, 2], 4, separator=":")
    assert out.shape.as_list() == REFERENCE["segment_join"]["shape"]
    assert [v.decode() for v in _run(out).reshape(-1).tolist()] == REFERENCE["segment_join"]["values"]
    out = tf.strings.unsorted_segment_join([["a", "b"], ["c", "d"]], [[0, 1], [1, 1]], 2, separator="+")
    assert [v.decode() for v in _run(out).tolist()] == REFERENCE["segment_join2"]["values"]


def test_unsorted_segment_join_errors(g):
    ids = tf.placeholder(tf.int32, [3])
    out = tf.strings.unsorted_segment_join(["a", "b", "c"], ids, 2)
    for bad in ([0, 2, 1], [0, -1, 1]):
        with pytest.raises(tf.errors.InvalidArgumentError, match="not allowed to exceed num_segments or be negative"):
            _run(out, {ids: bad})
    with pytest.raises(ValueError, match="must be a prefix of inputs.shape"):
        tf.strings.unsorted_segment_join([["a", "b"]], [0, 1, 2], 3)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("index", range(len(REFERENCE["transcode"])))
def test_unicode_transcode_matches_tensorflow(index):
    case = REFERENCE["transcode"][index]
    inputs = _bytes(case.get("in", REFERENCE["transcode_inputs"]))
    feed = tf.placeholder(tf.string, [None])
    out = tf.strings.unicode_transcode(feed, **case["kw"])
    assert _run(out, {feed: np.array(inputs, dtype=object)}).tolist() == _bytes(case["out"])


def test_unicode_transcode_strict_and_attr_errors(g):
    out = tf.strings.unicode_transcode([b"\xff"], "UTF-8", "UTF-8", errors="strict")
    kind, message = REFERENCE["transcode_strict"]
    assert kind == "InvalidArgumentError" and "Invalid formatting on input string" in message
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid formatting on input string"):
        _run(out)
    with pytest.raises(ValueError, match="output_encoding"):
        tf.strings.unicode_transcode(["a"], "UTF-8", "latin-1")
    with pytest.raises(ValueError, match="errors"):
        tf.strings.unicode_transcode(["a"], "UTF-8", "UTF-8", errors="skip")
    with pytest.raises(tf.errors.InvalidArgumentError, match="input encoding: NO-SUCH"):
        _run(tf.strings.unicode_transcode(["a"], "NO-SUCH", "UTF-8"))


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("index", range(len(REFERENCE["encode"])))
def test_unicode_encode_matches_tensorflow(index):
    case = REFERENCE["encode"][index]
    if case.get("one"):
        out = tf.strings.unicode_encode([72, 105], **case["kw"])
        assert out.shape.ndims == 0
        assert [_run(out)] == _bytes(case["out"])
        return
    out = tf.strings.unicode_encode([[72, 105, 0x1F600, 0xD800], [-5, 0x110000, 233, 0]], **case["kw"])
    assert out.shape.as_list() == [2]
    assert _run(out).tolist() == _bytes(case["out"])


def test_unicode_encode_empty_rows_and_strict(g):
    shape, values = REFERENCE["encode_empty"]
    out = tf.strings.unicode_encode(tf.zeros([2, 2, 0], tf.int32), "UTF-8")
    value = _run(out)
    assert list(value.shape) == shape and value.reshape(-1).tolist() == _bytes(values)
    assert "out of range for Unicode" in REFERENCE["encode_strict"][1]
    with pytest.raises(tf.errors.InvalidArgumentError, match="out of range for Unicode"):
        _run(tf.strings.unicode_encode([[0x110000]], "UTF-8", errors="strict"))
    with pytest.raises(ValueError, match="rank >= 1"):
        tf.strings.unicode_encode(65, "UTF-8")


def test_unicode_script_matches_tensorflow(g):
    # TF 2.15 answers (ICU): Latin, Cyrillic, Han, Arabic, Common (space, digit), Inherited (combining acute),
    # Unknown (an unassigned code point and a surrogate), invalid (-1) outside Unicode.
    points = [65, 0x416, 0x4E00, 0x627, 32, 0x30, 0x301, 0x378, 0xD800, -1, 0x110000, 0x10FFFF]
    want = [25, 8, 17, 2, 0, 0, 1, 103, 103, -1, -1, 103]
    x = tf.placeholder(tf.int32, [None])
    out = tf.strings.unicode_script(x)
    assert out.dtype == tf.int32
    assert _run(out, {x: points}).tolist() == want
