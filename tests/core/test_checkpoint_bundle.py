"""The V2 checkpoint bundle: TF's golden files byte for byte, every dtype, corruption, and CRC-32C."""

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import checkpoint_bundle as cb
from estflow.core import crc32c, dtypes, errors
from estflow.core.protos import tensor_bundle_pb2
from tests.golden_checkpoint import GOLDEN_CKPT, MANIFEST
from tests.golden_checkpoint import variables_like_golden as _variables_like_golden
from tests.memory_bound import run_bounded

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "checkpoint_bundle")
GOLDEN = os.path.join(FIXTURES, "model.ckpt-532")


def _manifest():
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        return json.load(f)


def _expected_value(var):
    """The manifest's JSON value as the numpy array TF saved."""
    dtype, shape, value = var["dtype"], tuple(var["shape"]), var["value"]
    if dtype == "string":
        flat = [bytes.fromhex(v["hex"]) for v in (value if shape else [value])]
        return np.array(flat, dtype=object).reshape(shape)
    if dtype.startswith("complex"):
        arr = np.array(value, dtype=np.float64).reshape(shape + (2,)) if value else np.zeros(shape + (2,))
        return (arr[..., 0] + 1j * arr[..., 1]).astype(dtype)
    return np.array(value, dtype=dtype).reshape(shape)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---- golden TF checkpoints -----------------------------------------------------------------------
def test_golden_checkpoint_values_are_exact():
    manifest = _manifest()
    with cb.BundleReader(GOLDEN) as reader:
        assert reader.keys() == [name for name, _ in manifest["list_variables"]]
        for var in manifest["variables"]:
            got = reader.get_tensor(var["name"])
            want = _expected_value(var)
            assert got.dtype == want.dtype, var["name"]
            assert got.shape == want.shape, var["name"]
            if got.dtype == object:
                assert got.tolist() == want.tolist(), var["name"]
            else:
                np.testing.assert_array_equal(got, want, err_msg=var["name"])


def test_golden_dtypes_and_shapes():
    manifest = _manifest()
    reader = cb.BundleReader(GOLDEN)
    assert reader.shapes() == {v["name"]: tuple(v["shape"]) for v in manifest["variables"]}
    assert reader.dtypes() == {v["name"]: dtypes.as_dtype(v["dtype"]) for v in manifest["variables"]}
    assert reader.num_shards == 1


def test_golden_index_entries_match_manifest():
    index = _manifest()["index_file"]
    reader = cb.BundleReader(GOLDEN)
    for want in index["entries"]:
        entry = reader.entry(want["key"])
        assert entry.dtype == want["dtype_enum"]
        assert [d.size for d in entry.shape.dim] == want["shape"]
        assert (entry.shard_id, entry.offset, entry.size, entry.crc32c) == (
            want["shard_id"], want["offset"], want["size"], want["crc32c_masked"])
        assert entry.SerializeToString().hex() == want["value_hex"]
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    assert header.SerializeToString().hex() == index["header"]["value_hex"]


def test_writing_golden_values_reproduces_tf_files_byte_for_byte(tmp_path):
    values = cb.read_bundle(GOLDEN)
    prefix = str(tmp_path / "model.ckpt-532")
    cb.write_bundle(prefix, values)
    assert _read(prefix + ".index") == _read(GOLDEN + ".index")
    assert _read(prefix + ".data-00000-of-00001") == _read(GOLDEN + ".data-00000-of-00001")
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt-532.data-00000-of-00001", "model.ckpt-532.index"]


def test_golden_sstable_layout():
    layout = _manifest()["index_file"]["sstable_layout"]
    raw = _read(GOLDEN + ".index")
    assert raw[-48:].hex() == layout["footer_hex"]
    assert struct.unpack("<Q", raw[-8:])[0] == cb.TABLE_MAGIC == int(layout["magic"], 16)
    items = cb.read_table(raw)
    assert cb.build_table(items) == raw
    assert items[0][0] == b""
    assert len(items) == layout["data_blocks"][0]["num_entries"]


def test_golden_multi_checkpoints():
    multi = _manifest()["multi"]
    for prefix, want in multi["values"].items():
        values = cb.read_bundle(os.path.join(FIXTURES, "multi", prefix))
        assert values["global_step"] == want["global_step"]
        np.testing.assert_array_equal(values["w"], np.array(want["w"], dtype=np.float32))


# ---- every dtype round trips ----------------------------------------------------------------------
ROUND_TRIP = {
    "f16": np.array([0.5, -1.25, 65504.0], dtype=np.float16),
    "f32": np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4),
    "f64": np.array([np.pi, -np.e, np.inf, -0.0]),
    "nan": np.array([np.nan], dtype=np.float32),
    "i8": np.array([-128, 0, 127], dtype=np.int8),
    "i16": np.array([[-32768, 32767]], dtype=np.int16),
    "i32": np.array(-7, dtype=np.int32),
    "i64": np.array([2**63 - 1, -(2**63)], dtype=np.int64),
    "u8": np.array([0, 255], dtype=np.uint8),
    "u16": np.array([65535], dtype=np.uint16),
    "u32": np.array([2**32 - 1], dtype=np.uint32),
    "u64": np.array([2**64 - 1], dtype=np.uint64),
    "bool": np.array([[True, False], [False, True]]),
    "c64": np.array([1 + 2j, -3.5j], dtype=np.complex64),
    "c128": np.array([[1e300 - 1j]], dtype=np.complex128),
    "empty_f32": np.zeros((0, 3), dtype=np.float32),
    "empty_str": np.zeros((2, 0), dtype=object),
    "str_scalar": np.array(b"hello", dtype=object),
    "str": np.array([[b"", b"a" * 300], [b"\x00\xff", "Zürich".encode()]], dtype=object),
    "scalar_f64": np.array(2.5),
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP))
def test_round_trip(tmp_path, name):
    value = ROUND_TRIP[name]
    prefix = str(tmp_path / "ckpt")
    cb.write_bundle(prefix, {name: value})
    with cb.BundleReader(prefix) as reader:
        got = reader.get_tensor(name)
        assert reader.dtypes()[name] == dtypes.as_dtype(value.dtype)
        assert reader.shapes()[name] == value.shape
    assert got.dtype == value.dtype and got.shape == value.shape
    if value.dtype == object:
        assert got.tolist() == value.tolist()
    else:
        np.testing.assert_array_equal(got, value)
        assert got.flags.writeable


def test_all_dtypes_in_one_bundle_keep_order_and_offsets(tmp_path):
    prefix = str(tmp_path / "all")
    cb.write_bundle(prefix, ROUND_TRIP)
    reader = cb.BundleReader(prefix)
    assert reader.keys() == sorted(ROUND_TRIP)
    offset = 0
    for name in sorted(ROUND_TRIP):
        entry = reader.entry(name)
        assert entry.offset == offset
        offset += entry.size
    assert os.path.getsize(cb.data_filename(prefix)) == offset


def test_python_str_values_are_utf8_encoded(tmp_path):
    prefix = str(tmp_path / "s")
    cb.write_bundle(prefix, {"s": np.array(["ab", "é"])})
    assert cb.BundleReader(prefix).get_tensor("s").tolist() == [b"ab", "é".encode()]


def test_string_tensor_layout_is_tfs(tmp_path):
    prefix = str(tmp_path / "s")
    cb.write_bundle(prefix, {"s": np.array([b"ab", b"c" * 200], dtype=object)})
    data = _read(cb.data_filename(prefix))
    lengths = bytes([2, 200 & 0x7F | 0x80, 200 >> 7])  # varint64 lengths
    hashed = struct.pack("<II", 2, 200)  # the checksum covers the lengths as uint32, not the varints
    length_crc = struct.pack("<I", crc32c.masked_crc32c(hashed))
    assert data == lengths + length_crc + b"ab" + b"c" * 200
    entry = cb.BundleReader(prefix).entry("s")
    assert entry.size == len(data)
    assert entry.crc32c == crc32c.mask(crc32c.crc32c(hashed + length_crc + b"ab" + b"c" * 200))


def test_entry_proto_fields(tmp_path):
    prefix = str(tmp_path / "e")
    cb.write_bundle(prefix, {"b": np.ones((2, 3), np.float64), "a": np.array(1, np.int32)})
    reader = cb.BundleReader(prefix)
    a, b = reader.entry("a"), reader.entry("b")
    assert (a.dtype, a.HasField("shape"), list(a.shape.dim), a.offset, a.size) == (3, True, [], 0, 4)
    assert (b.dtype, [d.size for d in b.shape.dim], b.offset, b.size) == (2, [2, 3], 4, 48)
    assert b.crc32c == crc32c.masked_crc32c(np.ones((2, 3)).astype("<f8").tobytes())


def test_bundle_writer_adds_in_any_order_and_rejects_duplicates(tmp_path):
    writer = cb.BundleWriter(str(tmp_path / "w"))
    writer.add("z", np.zeros(2, np.float32))
    writer.add("a", np.ones(1, np.int64))
    with pytest.raises(ValueError, match="Adding duplicate key: z"):
        writer.add("z", np.zeros(1))
    with pytest.raises(ValueError, match="reserved"):
        writer.add("", np.zeros(1))
    writer.finish()
    reader = cb.BundleReader(str(tmp_path / "w"))
    assert reader.keys() == ["a", "z"]
    assert (reader.entry("z").offset, reader.entry("a").offset) == (0, 8)


def test_write_creates_directories_and_leaves_no_temp_files(tmp_path):
    prefix = str(tmp_path / "a" / "b" / "model")
    cb.write_bundle(prefix, {"x": np.arange(3)})
    assert sorted(os.listdir(tmp_path / "a" / "b")) == ["model.data-00000-of-00001", "model.index"]


def test_failed_write_leaves_previous_bundle_intact(tmp_path):
    prefix = str(tmp_path / "m")
    cb.write_bundle(prefix, {"x": np.arange(3)})
    with pytest.raises(TypeError):
        cb.write_bundle(prefix, {"x": np.arange(3), "y": np.array([object()], dtype=object)})
    assert cb.read_bundle(prefix)["x"].tolist() == [0, 1, 2]
    assert sorted(os.listdir(tmp_path)) == ["m.data-00000-of-00001", "m.index"]


def test_unsupported_dtype_is_a_type_error(tmp_path):
    with pytest.raises(TypeError, match="A string tensor holds bytes"):
        cb.write_bundle(str(tmp_path / "o"), {"o": np.array([1, 2], dtype=object)})
    with pytest.raises(TypeError, match="Cannot save a tensor of numpy dtype datetime64"):
        cb.write_bundle(str(tmp_path / "d"), {"d": np.array(["2020-01-01"], dtype="datetime64[D]")})


# ---- the LevelDB table ---------------------------------------------------------------------------------
def test_multi_block_table_round_trip():
    items = [(b""), *[f"var/{i:04d}".encode() for i in range(200)]]
    pairs = [(k, k[::-1] * 3) for k in items]
    raw = cb.build_table(pairs, block_size=256)
    assert cb.read_table(raw) == pairs
    # default block size: a single data block
    assert cb.read_table(cb.build_table(pairs)) == pairs


def test_large_bundle_spans_several_index_blocks(tmp_path, monkeypatch):
    values = {f"layer_{i:03d}/kernel": np.full(2, i, np.int32) for i in range(100)}
    prefix = str(tmp_path / "big")
    original = cb.build_table
    monkeypatch.setattr(cb, "build_table", lambda items: original(items, block_size=128))
    cb.write_bundle(prefix, values)
    got = cb.read_bundle(prefix)
    assert list(got) == sorted(values)
    assert all(got[k].tolist() == v.tolist() for k, v in values.items())


@pytest.mark.parametrize("start, limit, want", [
    (b"abc", b"abe", b"abd"),
    (b"abc", b"abd", b"abc"),  # no room between c and d
    (b"ab", b"abc", b"ab"),  # prefix: unchanged
    (b"a\xff", b"b", b"a\xff"),
    (b"dnn/x", b"global", b"e"),
])
def test_find_shortest_separator(start, limit, want):
    assert cb._find_shortest_separator(start, limit) == want


@pytest.mark.parametrize("key, want", [(b"vars/words", b"w"), (b"\xff\xffa", b"\xff\xffb"), (b"\xff", b"\xff"),
                                       (b"", b"")])
def test_find_short_successor(key, want):
    assert cb._find_short_successor(key) == want


def test_table_rejects_unsorted_keys():
    with pytest.raises(ValueError, match="strictly increasing"):
        cb.build_table([(b"b", b""), (b"a", b"")])


# ---- damage is DataLossError, never garbage ------------------------------------------------------------
@pytest.fixture
def bundle(tmp_path):
    prefix = str(tmp_path / "model.ckpt-1")
    cb.write_bundle(prefix, {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.array([b"ab", b"cde"]),
                             "z": np.array(7, dtype=np.int64)})
    return prefix


def test_corrupted_data_byte_is_data_loss(bundle):
    reader = cb.BundleReader(bundle)
    entry = reader.entry("w")
    path = cb.data_filename(bundle)
    data = bytearray(_read(path))
    data[entry.offset + 5] ^= 0x01
    _write(path, bytes(data))
    reader = cb.BundleReader(bundle)
    with pytest.raises(errors.DataLossError, match="Checksum does not match"):
        reader.get_tensor("w")
    assert reader.get_tensor("z") == 7  # other tensors are intact


@pytest.mark.parametrize("where", ["length_varint", "length_crc", "body"])
def test_corrupted_string_tensor_is_data_loss(bundle, where):
    entry = cb.BundleReader(bundle).entry("s")
    offset = entry.offset + {"length_varint": 0, "length_crc": 3, "body": entry.size - 1}[where]
    path = cb.data_filename(bundle)
    data = bytearray(_read(path))
    data[offset] ^= 0x04
    _write(path, bytes(data))
    with pytest.raises(errors.DataLossError):
        cb.BundleReader(bundle).get_tensor("s")


def _footer_padding(raw: bytes) -> range:
    footer = raw[-48:]
    end = cb._handle_end(footer, cb._handle_end(footer, 0))
    return range(len(raw) - 48 + end, len(raw) - 8)


def test_every_corrupted_index_byte_is_data_loss(bundle):
    path = cb.index_filename(bundle)
    original = _read(path)
    padding = _footer_padding(original)
    for offset in range(len(original)):
        data = bytearray(original)
        data[offset] ^= 0x20
        _write(path, bytes(data))
        if offset in padding:  # unused bytes: the values must still read back right
            assert cb.read_bundle(bundle)["z"] == 7
            continue
        with pytest.raises(errors.DataLossError):
            cb.BundleReader(bundle)
            pytest.fail(f"flipping index byte {offset} went unnoticed")


@pytest.mark.parametrize("keep", [0, 1, 20, 47, 48, 60, -1])
def test_truncated_index_is_data_loss(bundle, keep):
    path = cb.index_filename(bundle)
    data = _read(path)
    _write(path, data[:keep] if keep >= 0 else data[:-1])
    with pytest.raises(errors.DataLossError, match="Unable to read checkpoint index"):
        cb.BundleReader(bundle)


def test_truncated_data_file_is_data_loss(bundle):
    path = cb.data_filename(bundle)
    data = _read(path)
    _write(path, data[:-3])
    reader = cb.BundleReader(bundle)
    last = reader.keys()[-1]
    with pytest.raises(errors.DataLossError, match="Truncated data file"):
        reader.get_tensor(last)


def test_missing_key_is_not_found(bundle):
    with pytest.raises(errors.NotFoundError, match="^Key nope not found in checkpoint$"):
        cb.BundleReader(bundle).get_tensor("nope")


def test_missing_index_is_not_found(tmp_path):
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files for .*missing"):
        cb.BundleReader(str(tmp_path / "missing"))


def test_missing_data_file_is_not_found(bundle):
    os.remove(cb.data_filename(bundle))
    with pytest.raises(errors.NotFoundError, match="No such file"):
        cb.BundleReader(bundle).get_tensor("w")


def test_index_without_header_is_data_loss(tmp_path):
    prefix = str(tmp_path / "nohdr")
    _write(cb.index_filename(prefix), cb.build_table([(b"a", b"")]))
    with pytest.raises(errors.DataLossError, match="no bundle header"):
        cb.BundleReader(prefix)


def test_big_endian_bundle_is_unimplemented(tmp_path):
    header = tensor_bundle_pb2.BundleHeaderProto(num_shards=1, endianness=tensor_bundle_pb2.BundleHeaderProto.BIG)
    prefix = str(tmp_path / "be")
    _write(cb.index_filename(prefix), cb.build_table([(b"", header.SerializeToString())]))
    with pytest.raises(errors.UnimplementedError, match="big-endian"):
        cb.BundleReader(prefix)


def test_entry_size_inconsistent_with_shape_is_data_loss(tmp_path):
    prefix = str(tmp_path / "bad")
    cb.write_bundle(prefix, {"w": np.zeros(4, np.float32)})
    entries = {"w": cb.BundleReader(prefix).entry("w")}
    entries["w"].shape.dim[0].size = 5
    cb.write_index(prefix, entries)
    with pytest.raises(errors.DataLossError, match="needs 20 bytes"):
        cb.BundleReader(prefix).get_tensor("w")


# ---- CRC-32C ----------------------------------------------------------------------------------------
CRC_VECTORS = [
    (b"", 0x00000000),
    (b"a", 0xC1D04330),
    (b"123456789", 0xE3069283),
    (bytes(32), 0x8A9136AA),
    (bytes([0xFF] * 32), 0x62A8AB43),
    (bytes(range(32)), 0x46DD794E),
]


@pytest.mark.parametrize("data, want", CRC_VECTORS)
def test_crc32c_known_values(data, want):
    assert crc32c.crc32c(data) == want
    assert crc32c._extend_fallback(0, data) == want


@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 8193, 70000, 1 << 20])
def test_crc32c_fallback_matches_across_paths(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    want = crc32c._update_python(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    assert crc32c._extend_fallback(0, data) == want
    assert crc32c.crc32c(data) == want
    split = size // 3
    assert crc32c.extend(crc32c.crc32c(data[:split]), data[split:]) == want


def test_crc32c_accepts_bytes_like():
    want = crc32c.crc32c(b"123456789")
    assert crc32c.crc32c(bytearray(b"123456789")) == want
    assert crc32c.crc32c(memoryview(b"123456789")) == want
    assert crc32c.crc32c(np.frombuffer(b"123456789", np.uint8)) == want


def test_mask_and_unmask():
    assert crc32c.mask(0) == 0xA282EAD8
    for crc in (0, 1, 0xE3069283, 0xFFFFFFFF):
        assert crc32c.unmask(crc32c.mask(crc)) == crc
    assert crc32c.masked_crc32c(b"123456789") == crc32c.mask(0xE3069283)


def test_pure_python_fallback_is_used_without_the_extension(monkeypatch, tmp_path):
    monkeypatch.setattr(crc32c, "_google_crc32c", None)
    assert crc32c.implementation() == "python"
    assert crc32c.crc32c(b"123456789") == 0xE3069283
    # and the golden checkpoint still verifies
    assert cb.read_bundle(GOLDEN)["global_step"] == 532




@pytest.mark.usefixtures("g")
def test_written_bundle_is_byte_identical_to_tensorflows(tmp_path):
    """Saving the golden values gives the same `.data` bytes and the same `.index` entries as TF 2.15."""
    variables = _variables_like_golden()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        saver.restore(sess, str(GOLDEN_CKPT / MANIFEST["prefix"]))
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=532, write_meta_graph=False)
    ours, golden = Path(path), GOLDEN_CKPT / MANIFEST["prefix"]
    data = ".data-00000-of-00001"
    assert Path(str(ours) + data).read_bytes() == Path(str(golden) + data).read_bytes()
    assert Path(str(ours) + ".index").read_bytes() == Path(str(golden) + ".index").read_bytes()
    assert len(variables) == len(MANIFEST["variables"])


# ---- what cannot be an index fails fast; hand-built entries fail before allocating ------------------------
@pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and pid liveness are POSIX features")
def test_index_that_is_a_device_or_pipe_is_refused_before_reading(tmp_path):
    prefix = str(tmp_path / "dev")
    os.symlink("/dev/zero", cb.index_filename(prefix))
    with pytest.raises(errors.DataLossError, match=f"{cb.index_filename(prefix)}: it is not a regular file"):
        cb.BundleReader(prefix)
    fifo = str(tmp_path / "fifo")
    os.mkfifo(cb.index_filename(fifo))  # opening a FIFO for reading would wait for a writer
    with pytest.raises(errors.DataLossError, match="not a regular file"):
        cb.BundleReader(fifo)


def test_huge_file_as_index_is_refused_after_its_footer(tmp_path):
    prefix = str(tmp_path / "huge")
    with open(cb.index_filename(prefix), "wb") as f:
        f.truncate(3 << 30)  # 3 GiB (sparse): the old reader read all of it before looking at the magic
    result = run_bounded(f"""
        from estflow.core import checkpoint_bundle as cb, errors
        try:
            cb.BundleReader({prefix!r})
            result = None
        except errors.DataLossError as e:
            result = e.message
    """, headroom_mib=64)
    assert "bad magic number" in result and cb.index_filename(prefix) in result


def test_footer_handles_past_the_end_are_data_loss(tmp_path):
    prefix = str(tmp_path / "m")
    raw = cb.build_table([(b"", b"")])
    handle = bytearray()
    cb._put_varint(handle, 2**62)  # a block "at" 4 EiB of 10 bytes
    cb._put_varint(handle, 10)
    footer = (bytes(handle) * 2).ljust(40, b"\0") + raw[-8:]
    _write(cb.index_filename(prefix), raw[:-48] + footer)
    with pytest.raises(errors.DataLossError, match="lies past the end"):
        cb.BundleReader(prefix)


def _hand_built(tmp_path, name: str, **changes):
    """A bundle holding w = float32[4] whose index entry is then rewritten with `changes`."""
    prefix = str(tmp_path / name)
    cb.write_bundle(prefix, {"w": np.arange(4, dtype=np.float32), "s": np.array([b"ab", b"c"])})
    reader = cb.BundleReader(prefix)
    entries = {k: reader.entry(k) for k in reader.keys()}
    reader.close()
    key = changes.pop("key", "w")
    shape = changes.pop("shape", None)
    if shape is not None:
        del entries[key].shape.dim[:]
        for d in shape:
            entries[key].shape.dim.add(size=d)
    for field, value in changes.items():
        setattr(entries[key], field, value)
    cb.write_index(prefix, entries)
    return prefix


@pytest.mark.parametrize("changes, message", [
    ({"offset": 2**40}, r"needs bytes \[1099511627776, 1099511627792\) but .*data-00000-of-00001 holds 25 bytes"),
    ({"offset": -5}, "has offset -5 and size 16; both must be >= 0"),
    ({"size": 2**50, "shape": [2**48]}, "needs bytes .* but .* holds 25 bytes"),
    ({"shape": [2**40, 2**40]}, r"of shape \[1099511627776, 1099511627776\] and dtype float32 needs "
                                r"4835703278458516698824704 bytes but its checkpoint entry has 16"),
    ({"shape": [-1, 4]}, r"has shape \[-1, 4\]; a stored tensor's dimensions are >= 0"),
    ({"shard_id": 3}, "names data shard 3, but the checkpoint has 1"),
    ({"key": "s", "shape": [2**40]}, r"String tensor s of shape \[1099511627776\] .* needs at least"),
])
def test_hand_built_entries_are_data_loss_naming_tensor_and_checkpoint(tmp_path, changes, message):
    key = changes.get("key", "w")
    prefix = _hand_built(tmp_path, "bad", **changes)
    reader = cb.BundleReader(prefix)
    with pytest.raises(errors.DataLossError, match=message) as info:
        reader.get_tensor(key)
    assert prefix in info.value.message
    other = "s" if key == "w" else "w"
    assert reader.get_tensor(other).size > 0  # the intact entry still reads


def test_hand_built_entries_allocate_nothing_under_a_memory_cap(tmp_path):
    prefix = _hand_built(tmp_path, "cap", size=2**33, shape=[2**31])  # claims 8 GiB; the data file has 25 bytes
    result = run_bounded(f"""
        from estflow.core import checkpoint_bundle as cb, errors
        try:
            cb.BundleReader({prefix!r}).get_tensor("w")
            result = None
        except errors.DataLossError as e:
            result = e.message
    """, headroom_mib=64)
    assert "Truncated data file" in result


def test_unknown_dtype_enum_is_unimplemented_naming_the_tensor(tmp_path):
    prefix = _hand_built(tmp_path, "dt", dtype=200)
    reader = cb.BundleReader(prefix)
    with pytest.raises(errors.UnimplementedError, match="Tensor w in checkpoint .*dt has dtype enum 200"):
        reader.get_tensor("w")
    with pytest.raises(errors.UnimplementedError, match="dtype enum 200"):
        reader.dtype_of("w")


@pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and pid liveness are POSIX features")
def test_data_file_that_is_a_device_is_refused(tmp_path):
    prefix = str(tmp_path / "m")
    cb.write_bundle(prefix, {"w": np.zeros(3, np.float32)})
    os.remove(cb.data_filename(prefix))
    os.symlink("/dev/zero", cb.data_filename(prefix))
    with pytest.raises(errors.DataLossError, match="checkpoint data file .* not a regular file"):
        cb.BundleReader(prefix).get_tensor("w")


# ---- bfloat16 ------------------------------------------------------------------------------------------
def test_bfloat16_tensors_are_saved_as_dt_bfloat16(tmp_path):
    prefix = str(tmp_path / "bf16")
    value = np.array([1.5, -2.0, 3.140625], dtypes.bfloat16.as_numpy_dtype)
    cb.write_bundle(prefix, {"w": value})
    reader = cb.BundleReader(prefix)
    assert reader.dtype_of("w") is dtypes.bfloat16 and reader.entry("w").dtype == 14  # TF's DT_BFLOAT16
    back = reader.get_tensor("w")
    assert back.dtype == value.dtype and back.tolist() == value.tolist()
    assert cb.read_bundle(prefix)["w"].view(np.uint16).tolist() == [0x3FC0, 0xC000, 0x4049]


_TF_BFLOAT16 = r"""
import json, sys
import numpy as np
import tensorflow as tf
ours, theirs = sys.argv[1], sys.argv[2]
reader = tf.train.load_checkpoint(ours)
out = {"dtype": reader.get_variable_to_dtype_map()["w"].name, "w": reader.get_tensor("w").astype(np.float32).tolist()}
tf.compat.v1.disable_eager_execution()
with tf.compat.v1.Graph().as_default():
    tf.compat.v1.get_variable("u", initializer=tf.constant([0.25, 7.0], tf.bfloat16))
    saver = tf.compat.v1.train.Saver()
    with tf.compat.v1.Session() as sess:
        sess.run(tf.compat.v1.global_variables_initializer())
        saver.save(sess, theirs)
print(json.dumps(out))
"""


@pytest.mark.interop
def test_bfloat16_checkpoints_interoperate_with_tensorflow(tmp_path, tf_python):
    from tests.interop import run_tensorflow  # only interop tests need the subprocess helper

    ours, theirs = str(tmp_path / "ours" / "model"), str(tmp_path / "theirs" / "model")
    with tf.Graph().as_default():
        w = tf.get_variable("w", initializer=np.array([1.5, -2.0, 3.14159], dtypes.bfloat16.as_numpy_dtype))
        assert w.dtype.base_dtype is tf.bfloat16
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, ours)
    result = run_tensorflow(tf_python, _TF_BFLOAT16, ours, theirs)
    assert result == {"dtype": "bfloat16", "w": [1.5, -2.0, 3.140625]}
    with tf.Graph().as_default():
        u = tf.get_variable("u", [2], tf.bfloat16, initializer=tf.zeros_initializer())
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, theirs)
            value = sess.run(u)
    assert value.dtype == dtypes.bfloat16.as_numpy_dtype and value.tolist() == [0.25, 7.0]
