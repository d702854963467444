"""The reader classes (estflow/library/io_ops.py); the ops' semantics are in tests/core/test_queue_ops.py."""

import pytest

import estflow as tf


def _files(paths):
    q = tf.FIFOQueue(len(paths), tf.string, shapes=[[]])
    with tf.control_dependencies([q.enqueue_many([[str(p) for p in paths]])]):
        fill = q.close()
    return q, fill


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("compression", ["GZIP", "ZLIB"])
def test_tfrecord_reader_reads_compressed_files(tmp_path, compression):
    path = tmp_path / "c.tfrecord"
    options = tf.python_io.TFRecordOptions(compression)
    with tf.python_io.TFRecordWriter(str(path), options=options) as w:
        for r in (b"x" * 100, b"y"):
            w.write(r)
    q, fill = _files([path])
    reader = tf.TFRecordReader(options=options)
    assert reader.reader_ref.op.get_attr("compression_type") in (compression, compression.encode())
    _, values = reader.read_up_to(q, 5)
    with tf.Session() as sess:
        sess.run(fill)
        assert sess.run(values).tolist() == [b"x" * 100, b"y"]


@pytest.mark.usefixtures("g")
def test_readers_report_missing_files_and_refuse_state_serialization(tmp_path):
    q, fill = _files([tmp_path / "missing.txt"])
    reader = tf.TextLineReader()
    _, value = reader.read(q)
    assert not reader.supports_serialize and reader.reader_ref.op.type == "TextLineReaderV2"
    with pytest.raises(NotImplementedError, match="serialization"):
        reader.serialize_state()
    with tf.Session() as sess:
        sess.run(fill)
        with pytest.raises(tf.errors.NotFoundError):
            sess.run(value)
