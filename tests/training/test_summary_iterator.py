"""`tf.train.summary_iterator` on damaged event files: the good events, then DataLossError naming the file."""

import struct

import pytest

from estflow.core import errors
from estflow.core.crc32c import masked_crc32c
from estflow.core.protos import event_pb2
from estflow.core.record_io import encode_record
from estflow.training.summary_iterator import summary_iterator


def _events(n):
    return [event_pb2.Event(wall_time=1.5 + i, step=i, file_version="brain.Event:2" if i == 0 else "")
            for i in range(n)]


def _read_until_error(path):
    got = []
    try:
        for event in summary_iterator(path):
            got.append(event)
    except errors.OpError as e:
        return got, e
    return got, None


def test_intact_file_reads_back(tmp_path):
    path = tmp_path / "events.out.tfevents.1"
    path.write_bytes(b"".join(encode_record(e.SerializeToString()) for e in _events(3)))
    got, error = _read_until_error(path)
    assert error is None and [e.step for e in got] == [0, 1, 2]


def test_a_record_that_is_not_an_event_is_data_loss(tmp_path):
    path = tmp_path / "events.out.tfevents.2"
    good = b"".join(encode_record(e.SerializeToString()) for e in _events(2))
    path.write_bytes(good + encode_record(b"\xff\xff\xff garbage") + encode_record(_events(1)[0].SerializeToString()))
    got, error = _read_until_error(path)
    assert [e.step for e in got] == [0, 1]
    assert isinstance(error, errors.DataLossError)
    assert error.message.startswith(f"{path}: record 2 (11 bytes) is not an Event proto")


@pytest.mark.parametrize("length", [2**32, 2**40, 2**64 - 1])
def test_a_huge_length_field_with_a_valid_checksum_is_data_loss(tmp_path, length):
    field = struct.pack("<Q", length)
    path = tmp_path / "events.out.tfevents.3"
    good = encode_record(_events(1)[0].SerializeToString())
    path.write_bytes(good + field + struct.pack("<I", masked_crc32c(field)) + b"tail")
    got, error = _read_until_error(path)
    assert len(got) == 1 and isinstance(error, errors.DataLossError)
    assert error.message.startswith(f"truncated record at {len(good)}") and str(path) in error.message


def test_every_flipped_byte_is_data_loss_never_a_raw_exception(tmp_path):
    original = b"".join(encode_record(e.SerializeToString()) for e in _events(3))
    path = tmp_path / "events.out.tfevents.4"
    for offset in range(len(original)):
        data = bytearray(original)
        data[offset] ^= 0x10
        path.write_bytes(bytes(data))
        got, error = _read_until_error(path)
        assert isinstance(error, errors.DataLossError), offset
        assert [e.step for e in got] == list(range(len(got)))
