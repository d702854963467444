"""TFRecord framing against the golden files written by TensorFlow 2.15."""

import json
import shutil
import zlib
from pathlib import Path

import pytest

from estflow.core import errors
from estflow.core.record_io import TFRecordCompressionType, encode_record
from estflow.data.tfrecord import TFRecordOptions, TFRecordWriter, tf_record_iterator

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tfrecord"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
RECORDS = [bytes.fromhex(r["serialized_hex"]) for r in MANIFEST["records"]]


def test_golden_plain_file_reads_exactly():
    assert list(tf_record_iterator(FIXTURES / "data.tfrecord")) == RECORDS


def test_golden_framing_is_reproduced_byte_for_byte():
    assert b"".join(encode_record(r) for r in RECORDS) == (FIXTURES / "data.tfrecord").read_bytes()


def test_golden_gzip_file_reads_exactly():
    assert list(tf_record_iterator(FIXTURES / "data.tfrecord.gz", TFRecordOptions("GZIP"))) == RECORDS


@pytest.mark.parametrize("name", ["corrupted.tfrecord", "truncated.tfrecord"])
def test_golden_damaged_files_raise_tf_data_loss_messages(name):
    expected = MANIFEST["files"][name]["tf_record_iterator"]
    got = []
    with pytest.raises(errors.DataLossError) as info:
        for record in tf_record_iterator(FIXTURES / name):
            got.append(record)
    assert len(got) == expected["records_yielded_before_error"]
    assert got == RECORDS[: len(got)]
    assert str(info.value).startswith(f"{expected['error']['message']} (in {FIXTURES / name}: ")  # TF's, then the file


def test_partial_header_at_end_is_a_clean_end():
    got = list(tf_record_iterator(FIXTURES / "truncated_header.tfrecord"))
    assert got == RECORDS[:9]


def test_corrupted_length_field_is_data_loss(tmp_path):
    data = bytearray((FIXTURES / "data.tfrecord").read_bytes())
    data[2] ^= 0xFF
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(data))
    with pytest.raises(errors.DataLossError, match="corrupted record at 0"):
        list(tf_record_iterator(path))


@pytest.mark.parametrize("compression", ["", "GZIP", "ZLIB", TFRecordCompressionType.GZIP, None])
def test_writer_round_trip(tmp_path, compression):
    path = tmp_path / "out.tfrecord"
    options = TFRecordOptions(compression) if compression is not None else None
    with TFRecordWriter(str(path), options) as writer:
        for r in RECORDS:
            writer.write(r)
        writer.write("text is utf-8")
    assert list(tf_record_iterator(path, options)) == RECORDS + [b"text is utf-8"]


def test_unknown_compression_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="Unknown TFRecord compression type"):
        TFRecordWriter(str(tmp_path / "x"), "LZ4")


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(errors.NotFoundError, match="No such file"):
        list(tf_record_iterator(tmp_path / "nope.tfrecord"))


def test_copy_keeps_golden_file_intact(tmp_path):
    shutil.copy(FIXTURES / "data.tfrecord", tmp_path / "copy.tfrecord")
    assert len(list(tf_record_iterator(tmp_path / "copy.tfrecord"))) == MANIFEST["files"]["data.tfrecord"][
        "num_records"]


def test_corrupt_gzip_stream_is_data_loss(tmp_path):
    path = tmp_path / "x.tfrecord.gz"
    with TFRecordWriter(str(path), TFRecordOptions("GZIP")) as writer:
        for i in range(100):
            writer.write(b"record %d" % i * 10)
    data = bytearray(path.read_bytes())
    data[40:60] = bytes(b ^ 0xFF for b in data[40:60])
    path.write_bytes(bytes(data))
    with pytest.raises(errors.DataLossError):
        list(tf_record_iterator(path, TFRecordOptions("GZIP")))


def test_a_directory_is_not_a_record_file(tmp_path):
    with pytest.raises(errors.FailedPreconditionError, match="Is a directory"):
        list(tf_record_iterator(tmp_path))


@pytest.mark.parametrize("kind", ["ZLIB", "GZIP"])
def test_zlib_settings_shape_the_file_and_records_read_back(tmp_path, kind):
    records = [b"record %d " % i * 30 for i in range(40)]
    sizes = {}
    for label, settings in [("default", {}), ("tuned", {"window_bits": 10, "mem_level": 2, "compression_level": 9,
                                                        "compression_strategy": zlib.Z_FILTERED,
                                                        "flush_mode": zlib.Z_FULL_FLUSH})]:
        path = str(tmp_path / f"{label}.tfrecord")
        with TFRecordWriter(path, TFRecordOptions(compression_type=kind, **settings)) as writer:
            for r in records:
                writer.write(r)
        assert list(tf_record_iterator(path, TFRecordOptions(compression_type=kind))) == records
        sizes[label] = Path(path).stat().st_size
    assert sizes["tuned"] > sizes["default"]  # a full flush after every record costs bytes
    with pytest.raises(ValueError, match="zlib settings zlib refuses"):
        TFRecordWriter(str(tmp_path / "bad.tfrecord"), TFRecordOptions(compression_type=kind, window_bits=99))
