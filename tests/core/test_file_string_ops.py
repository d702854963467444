"""ReadFile, WriteFile, MatchingFiles, base64 and (de)serialized tensors (estflow/core/ops/file_string_ops.py),
and tf.train.match_filenames_once."""

import base64

import numpy as np
import pytest

import estflow as tf


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
def test_read_write_and_match_files(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"bee")
    (tmp_path / "a.txt").write_bytes(b"ay")
    (tmp_path / "c.csv").write_bytes(b"")
    names = tf.io.matching_files(str(tmp_path / "*.txt"))
    assert names.shape.as_list() == [None]
    assert _run(names).tolist() == [str(tmp_path / n).encode() for n in ("a.txt", "b.txt")]
    both = tf.matching_files([str(tmp_path / "*.csv"), str(tmp_path / "a.*")])
    assert _run(both).tolist() == [str(tmp_path / n).encode() for n in ("a.txt", "c.csv")]
    assert _run(tf.read_file(str(tmp_path / "b.txt"))) == b"bee"
    target = tmp_path / "new" / "dir" / "out.bin"
    write = tf.io.write_file(str(target), tf.constant(b"\x00\x01written"))
    assert write.type == "WriteFile" and not target.exists()  # nothing happens while the graph is built
    _run(write)
    assert target.read_bytes() == b"\x00\x01written"
    with pytest.raises(tf.errors.NotFoundError, match="No such file"):
        _run(tf.read_file(str(tmp_path / "missing")))
    with pytest.raises(TypeError, match="string"):
        tf.read_file(3)


@pytest.mark.usefixtures("g")
def test_base64_is_web_safe():
    data = np.array([[b"\xfb\xff", b"hello"], [b"", b"a"]], dtype=object)
    encoded = _run(tf.encode_base64(data))
    assert encoded.tolist() == [[b"-_8", b"aGVsbG8"], [b"", b"YQ"]]
    padded = _run(tf.io.encode_base64(data, pad=True))
    assert padded.tolist() == [[base64.urlsafe_b64encode(v) for v in row] for row in data.tolist()]
    assert _run(tf.decode_base64(encoded)).tolist() == data.tolist()
    assert _run(tf.io.decode_base64(padded)).tolist() == data.tolist()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid character found in base64"):
        _run(tf.decode_base64(tf.placeholder(tf.string)), {"Placeholder:0": b"a*b"})


@pytest.mark.usefixtures("g")
def test_serialize_and_parse_tensor():
    value = np.arange(6, dtype=np.int64).reshape(2, 3)
    serialized = tf.serialize_tensor(value)
    assert serialized.shape.as_list() == [] and serialized.dtype == tf.string
    proto = tf.TensorProto.FromString(_run(serialized))
    np.testing.assert_array_equal(tf.make_ndarray(proto), value)
    parsed = tf.io.parse_tensor(serialized, tf.int64)
    np.testing.assert_array_equal(_run(parsed), value)
    words = tf.parse_tensor(tf.serialize_tensor(tf.constant(["a", "bc"])), tf.string)
    assert _run(words).tolist() == [b"a", b"bc"]
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Type mismatch between parsed tensor \(int64\) and "
                                                             r"dtype \(float32\)"):
        _run(tf.parse_tensor(serialized, tf.float32))


@pytest.mark.usefixtures("g")
def test_match_filenames_once(tmp_path):
    (tmp_path / "x.dat").write_bytes(b"")
    files = tf.train.match_filenames_once(str(tmp_path / "*.dat"))
    assert files in tf.local_variables() and files not in tf.global_variables()
    assert tf.io.match_filenames_once is tf.train.match_filenames_once
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        (tmp_path / "y.dat").write_bytes(b"")  # listed once: later files do not appear
        assert sess.run(files).tolist() == [str(tmp_path / "x.dat").encode()]
