"""TFRecord framing against damage: crafted length fields, flipped bytes, ZLIB bombs, bounded memory."""

import gzip
import struct
import zlib

import pytest

from estflow.core import errors
from estflow.core.crc32c import masked_crc32c
from estflow.core.record_io import encode_record, open_zlib_stream, read_records
from tests.memory_bound import run_bounded

RECORDS = [b"record %d " % i * (i + 1) for i in range(12)]


def _compress(data: bytes, kind: str) -> bytes:
    if kind == "ZLIB":
        return zlib.compress(data)
    if kind == "GZIP":
        return gzip.compress(data, mtime=0)
    return data


def _write(tmp_path, data: bytes, kind: str = "", name: str = "f.tfrecord"):
    path = tmp_path / name
    path.write_bytes(_compress(data, kind))
    return path


def _read_until_error(path, kind=""):
    got = []
    try:
        for record in read_records(path, kind):
            got.append(record)
    except errors.OpError as e:
        return got, e
    return got, None


def _header(length: int) -> bytes:
    """A record header claiming `length` bytes, with a valid length checksum."""
    field = struct.pack("<Q", length)
    return field + struct.pack("<I", masked_crc32c(field))


# ---- a length field past what the file holds -------------------------------------------------------------
@pytest.mark.parametrize("kind", ["", "ZLIB", "GZIP"])
@pytest.mark.parametrize("length", [2**32, 2**40, 2**63, 2**64 - 1, 1000])
def test_a_length_beyond_the_file_is_data_loss_after_the_good_records(tmp_path, kind, length):
    good = b"".join(encode_record(r) for r in RECORDS)
    path = _write(tmp_path, good + _header(length) + b"only a few bytes", kind)
    got, error = _read_until_error(path, kind)
    assert got == RECORDS
    assert isinstance(error, errors.DataLossError)
    assert error.message.startswith(f"truncated record at {len(good)}' failed with Read less bytes than requested")
    assert str(path) in error.message and f"length field says {length} bytes" in error.message


def test_a_huge_length_field_allocates_nothing_under_a_memory_cap(tmp_path):
    path = _write(tmp_path, encode_record(b"first") + _header(2**40) + bytes(100), "ZLIB")
    result = run_bounded(f"""
        from estflow.core import errors
        from estflow.core.record_io import read_records
        got = []
        try:
            for r in read_records({str(path)!r}, "ZLIB"):
                got.append(r.decode())
            error = None
        except errors.DataLossError as e:
            error = e.message
        result = {{"got": got, "error": error}}
    """, headroom_mib=64)
    assert result["got"] == ["first"] and "truncated record at 21" in result["error"]


# ---- ZLIB bombs: inflated only as far as a read asks --------------------------------------------------
def _bomb(path, records: int, record_mib: int = 1) -> int:
    """A ZLIB TFRecord file of `records` zero-filled records of `record_mib` MiB each; returns the inflated size."""
    record = encode_record(bytes(record_mib << 20))
    z = zlib.compressobj(1)  # the fastest level still inflates ~230x
    with open(path, "wb") as f:
        for _ in range(records):
            f.write(z.compress(record))
        f.write(z.flush())
    return records * len(record)


def test_zlib_bomb_streams_within_a_memory_cap(tmp_path):
    path = tmp_path / "bomb.tfrecord"
    inflated = _bomb(path, records=192)
    assert path.stat().st_size < inflated // 200  # a real bomb: ~4.5 KB per MiB
    result = run_bounded(f"""
        import zlib
        from estflow.data.tfrecord import tf_record_iterator
        count = sum(1 for r in tf_record_iterator({str(path)!r}, "ZLIB") if len(r) == 1 << 20 and not any(r[:64]))
        try:  # what the unbounded path did: inflate the whole file at once
            zlib.decompress(open({str(path)!r}, "rb").read())
            naive = "fits"
        except MemoryError:
            naive = "MemoryError"
        result = {{"count": count, "naive": naive}}
    """, headroom_mib=96)
    assert result == {"count": 192, "naive": "MemoryError"}


def test_zlib_bomb_of_garbage_fails_fast_within_a_memory_cap(tmp_path):
    path = tmp_path / "zeros.tfrecord"
    z = zlib.compressobj(1)
    with open(path, "wb") as f:
        chunk = bytes(1 << 20)
        for _ in range(256):  # 256 MiB of zeros: the first header's checksum is wrong
            f.write(z.compress(chunk))
        f.write(z.flush())
    result = run_bounded(f"""
        from estflow.core import errors
        from estflow.core.record_io import read_records
        try:
            list(read_records({str(path)!r}, "ZLIB"))
            error = None
        except errors.DataLossError as e:
            error = e.message
        result = {{"error": error}}
    """, headroom_mib=64)
    assert result["error"].startswith("corrupted record at 0 (in ") and "length field" in result["error"]


def test_zlib_input_stream_never_inflates_more_than_asked(tmp_path):
    path = tmp_path / "z"
    path.write_bytes(zlib.compress(bytes(10 << 20)))
    with open_zlib_stream(open(path, "rb"), str(path)) as stream:
        assert len(stream.read(5)) == 5
        assert len(stream.raw._buffer) <= 1 << 20 and not stream.raw._z.eof  # one 1 MiB step inflated, the rest not
        assert len(stream.read(3 << 20)) == 3 << 20
        assert len(stream.read()) == (10 << 20) - 5 - (3 << 20)
        assert stream.read(10) == b""


# ---- damaged compressed streams: the good records first, then DataLossError naming the file --------
@pytest.mark.parametrize("kind", ["ZLIB", "GZIP"])
def test_truncated_compressed_stream_yields_good_records_then_data_loss(tmp_path, kind):
    many = [b"%d" % i * 2000 for i in range(200)]
    data = _compress(b"".join(encode_record(r) for r in many), kind)
    path = tmp_path / "cut.tfrecord"
    path.write_bytes(data[:len(data) * 3 // 4])
    got, error = _read_until_error(path, kind)
    assert 0 < len(got) < len(many) and got == many[:len(got)]
    assert isinstance(error, errors.DataLossError) and str(path) in error.message


def test_zlib_stream_cut_at_a_record_boundary_is_still_data_loss(tmp_path):
    z = zlib.compressobj()
    data = z.compress(b"".join(encode_record(r) for r in RECORDS)) + z.flush(zlib.Z_SYNC_FLUSH)  # no end marker
    path = tmp_path / "no_end.tfrecord"
    path.write_bytes(data)
    got, error = _read_until_error(path, "ZLIB")
    assert got == RECORDS
    assert isinstance(error, errors.DataLossError) and "truncated ZLIB stream" in error.message


@pytest.mark.parametrize("kind", ["", "ZLIB", "GZIP"])
def test_every_flipped_byte_is_data_loss_or_a_clean_prefix(tmp_path, kind):
    original = _compress(b"".join(encode_record(r) for r in RECORDS[:4]), kind)
    path = tmp_path / "flip.tfrecord"
    for offset in range(len(original)):
        data = bytearray(original)
        data[offset] ^= 0x41
        path.write_bytes(bytes(data))
        got, error = _read_until_error(path, kind)
        assert got == RECORDS[:len(got)], offset  # never a damaged record
        if error is None:  # a byte no reader checks (gzip's mtime, flags, OS): every record still intact
            assert kind == "GZIP" and got == RECORDS[:4], offset
            continue
        assert isinstance(error, errors.DataLossError), (offset, got)
        assert str(path) in error.message, error.message
