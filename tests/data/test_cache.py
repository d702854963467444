"""`Dataset.cache`: damaged cache files raise DataLossError naming the cache, never a raw numpy error; a failed
element is passed on in the first pass but not cached, as TF's cache does."""

import io

import numpy as np
import pytest

import estflow as tf
from tests.data._outcomes import outcomes

D = tf.data.Dataset


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _collect(ds):
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.Session() as sess:
        while True:
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out


def _source():
    return D.from_tensor_slices({"x": np.arange(4), "s": np.array(["a", "bb", "ccc", "d"])})


def _replay(path):
    """Read the cache at `path` back (a generator that must not run stands behind it)."""
    def never():
        raise AssertionError("the cache was not used")
        yield  # noqa: F401 - makes this a generator

    return _collect(D.from_generator(never, {"x": tf.int64, "s": tf.string}, {"x": [], "s": []}).cache(path))


def test_every_damaged_data_byte_is_data_loss_or_the_right_values(tmp_path):
    path = str(tmp_path / "c")
    want = [(int(e["x"]), e["s"]) for e in _collect(_source().cache(path))]
    with open(path + ".data", "rb") as f:
        original = f.read()
    for offset in range(0, len(original), 3):
        data = bytearray(original)
        data[offset] ^= 0x5A
        with open(path + ".data", "wb") as f:
            f.write(bytes(data))
        with tf.Graph().as_default():
            try:
                got = [(int(e["x"]), e["s"]) for e in _replay(path)]
            except tf.errors.DataLossError as e:
                assert path in e.message, e.message
                continue
        assert len(got) == len(want), offset  # a flipped value byte reads back changed, as np.load's would


def test_an_array_header_claiming_more_than_the_file_holds_is_data_loss(tmp_path):
    path = str(tmp_path / "c")
    _collect(_source().cache(path))
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**40,)})
    with open(path + ".data", "wb") as f:
        f.write(b"A" + header.getvalue() + b"tiny")
    with pytest.raises(tf.errors.DataLossError, match=r"The dataset cache .*c \(.index/.data\) is corrupted: .*"
                                                      r"shape \(1099511627776,\) and dtype float64 needs 8796093022208 "
                                                      r"bytes"):
        _replay(path)


@pytest.mark.parametrize("index", ['{"format": "estflow-dataset-cache-v1"}', "[1, 2]", "not json", '{"format": 3}'])
def test_a_damaged_index_is_data_loss(tmp_path, index):
    path = str(tmp_path / "c")
    _collect(_source().cache(path))
    with open(path + ".index", "w") as f:
        f.write(index)
    with pytest.raises(tf.errors.DataLossError, match="c"):
        _replay(path)


BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.mark.parametrize("in_files", [False, True])
def test_cache_passes_failed_elements_on_without_keeping_them(tmp_path, in_files):
    text = np.array([b"0", b"x", b"2"], dtype=object)
    ds = D.from_tensor_slices(text).map(tf.string_to_number).cache(str(tmp_path / "c") if in_files else "")
    assert outcomes(ds.repeat(2)) == [0.0, BAD, 2.0, 0.0, 2.0]
    if in_files:  # a later iterator reads the files: the good elements only
        assert outcomes(ds) == [0.0, 2.0]
