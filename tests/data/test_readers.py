"""File datasets: TextLineDataset, FixedLengthRecordDataset, TFRecordDataset, CsvDataset, make_csv_dataset."""

import gzip
import json
import zlib
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.protos import example_pb2
from estflow.data import readers
from estflow.data.experimental import CsvDataset, make_csv_dataset
from estflow.data.readers import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset
from estflow.data.tfrecord import TFRecordOptions, TFRecordWriter
from estflow.io import FixedLenFeature, VarLenFeature, decode_csv, parse_example, parse_single_example
from tests.data._outcomes import outcomes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tfrecord"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
RECORDS = [bytes.fromhex(r["serialized_hex"]) for r in MANIFEST["records"]]


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def collect(ds, feed_dict=None, limit=100_000):
    """Every element of `ds` (through an initializable iterator fed with `feed_dict`)."""
    it = tf.data.make_initializable_iterator(ds)
    nxt = it.get_next()
    out = []
    with tf.Session() as sess:
        sess.run(it.initializer, feed_dict)
        for _ in range(limit):
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out
    raise AssertionError("dataset did not end")


def collect_until_error(ds):
    """(elements before the error, the error)."""
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.Session() as sess:
        while True:
            try:
                out.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                return out, None
            except tf.errors.OpError as e:
                return out, e


def text(error) -> str:
    return str(error).split("\n\t [[")[0]


def write(path, data: bytes) -> str:
    Path(path).write_bytes(data)
    return str(path)


# ---- TextLineDataset ------------------------------------------------------------------------------
def test_text_lines_endings_blank_lines_and_files_in_order(tmp_path):
    a = write(tmp_path / "a.txt", b"one\r\ntwo\n\nthree")
    b = write(tmp_path / "b.txt", b"four\n")
    c = write(tmp_path / "c.txt", b"")
    ds = TextLineDataset([a, Path(b), c])
    assert ds.output_types == tf.string and ds.output_shapes == tf.TensorShape([])
    assert collect(ds) == [b"one", b"two", b"", b"three", b"four"]


def test_text_lines_drop_one_carriage_return_before_each_line_break_only(tmp_path):
    # a "\r" elsewhere stays; the last line's is dropped too (TF's ReadLine); blocks with and without any "\r"
    path = write(tmp_path / "cr.txt", b"a\rb\r\r\nc\n" + b"plain\n" * (2 * readers._BLOCK // 6) + b"\rd\r")
    got = collect(TextLineDataset(path).batch(100_000))
    lines = [x for batch in got for x in batch.tolist()]
    assert lines[:2] == [b"a\rb\r", b"c"] and lines[-1] == b"\rd" and lines[2:-1] == [b"plain"] * (len(lines) - 3)


def test_text_lines_spanning_read_blocks(tmp_path):
    lines = [(b"%06d," % i) * (i % 13 + 1) for i in range(60_000)]
    path = write(tmp_path / "big.txt", b"\n".join(lines) + b"\n")
    assert Path(path).stat().st_size > 2 * readers._BLOCK
    got = collect(TextLineDataset(path).batch(1000))
    assert [x for batch in got for x in batch.tolist()] == lines


@pytest.mark.parametrize("compression", ["GZIP", "ZLIB"])
def test_text_lines_compressed(tmp_path, compression):
    data = b"".join(b"line %d\n" % i for i in range(5000))
    packed = gzip.compress(data) if compression == "GZIP" else zlib.compress(data)
    path = write(tmp_path / "lines.z", packed)
    got = collect(TextLineDataset(path, compression_type=compression).batch(4096))
    assert b"\n".join(np.concatenate(got).tolist()) + b"\n" == data


def test_text_lines_filenames_as_tensor_and_dataset(tmp_path):
    a = write(tmp_path / "a.txt", b"a1\na2\n")
    b = write(tmp_path / "b.txt", b"b1\n")
    names = tf.placeholder(tf.string, [None])
    assert collect(TextLineDataset(names), {names: [b, a]}) == [b"b1", b"a1", b"a2"]
    files = tf.data.Dataset.from_tensor_slices([a, b])
    assert collect(TextLineDataset(files)) == [b"a1", b"a2", b"b1"]
    assert collect(TextLineDataset(tf.constant(a))) == [b"a1", b"a2"]


def test_text_lines_parallel_reads_interleave_like_tf(tmp_path):
    paths = [write(tmp_path / f"{n}.txt", b"".join(b"%s%d\n" % (n.encode(), i) for i in range(k)))
             for n, k in [("a", 3), ("b", 1), ("c", 2), ("d", 2)]]
    got = collect(TextLineDataset(paths, num_parallel_reads=2))
    # Slots a|b: a0 b0 a1, b ends (the cycle moves on) a2, c opens in b's slot c0, a ends, c1, d opens d0 d1.
    assert got == [b"a0", b"b0", b"a1", b"a2", b"c0", b"c1", b"d0", b"d1"]


def test_text_lines_errors(tmp_path):
    missing = str(tmp_path / "missing.txt")
    got, error = collect_until_error(TextLineDataset(missing))
    assert got == [] and isinstance(error, errors.NotFoundError)
    assert text(error) == f"{missing}; No such file or directory"
    with pytest.raises(ValueError, match="Unsupported compression_type"):
        TextLineDataset("x", compression_type="LZ4")
    with pytest.raises(TypeError, match="must contain `tf.string` elements"):
        TextLineDataset(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="must contain `tf.string` elements"):
        TextLineDataset(tf.data.Dataset.range(3))
    with pytest.raises(ValueError, match="num_parallel_reads"):
        TextLineDataset("x", num_parallel_reads=0)


def test_text_lines_decode_csv_per_line_and_per_batch_agree(tmp_path):
    rows = [b"%d,%s,%.2f" % (i, b"abc"[i % 3:i % 3 + 1], i / 4) for i in range(1000)]
    path = write(tmp_path / "t.csv", b"\n".join(rows) + b"\n")
    defaults = [[0], [""], [0.0]]
    per_line = TextLineDataset(path).map(lambda line: tuple(decode_csv(line, defaults))).batch(256)
    per_batch = TextLineDataset(path).batch(256).map(lambda lines: tuple(decode_csv(lines, defaults)))
    a, b = collect(per_line), collect(per_batch)
    assert len(a) == len(b) == 4
    for x, y in zip(a, b):
        for cx, cy in zip(x, y):
            np.testing.assert_array_equal(cx, cy)
    assert a[0][0][:3].tolist() == [0, 1, 2] and a[-1][2][-1] == np.float32(999 / 4)


# ---- FixedLengthRecordDataset ---------------------------------------------------------------------
def test_fixed_length_records_with_header_footer_and_partial_record(tmp_path, caplog):
    body = b"".join(bytes([i]) * 3 for i in range(5))
    path = write(tmp_path / "r.bin", b"HDR" + body + b"xx" + b"FOOT")
    ds = FixedLengthRecordDataset(path, record_bytes=3, header_bytes=3, footer_bytes=4)
    with caplog.at_level("WARNING"):
        got = collect(ds)
    assert got == [bytes([i]) * 3 for i in range(5)]
    assert "not an exact multiple" in caplog.text
    plain = write(tmp_path / "p.bin", bytes(range(10)))
    assert collect(FixedLengthRecordDataset(plain, 5)) == [bytes(range(5)), bytes(range(5, 10))]
    assert collect(FixedLengthRecordDataset(write(tmp_path / "h.bin", b"ab"), 4, header_bytes=3)) == []


def test_fixed_length_records_large_and_compressed(tmp_path):
    records = [np.random.default_rng(i).bytes(1000) for i in range(2500)]
    data = b"H" * 7 + b"".join(records) + b"F" * 5
    path = write(tmp_path / "big.bin.gz", gzip.compress(data))
    ds = FixedLengthRecordDataset([path], 1000, header_bytes=7, footer_bytes=5, compression_type="GZIP")
    got = collect(ds.batch(1000))
    assert np.concatenate(got).tolist() == records
    with pytest.raises(ValueError, match="record_bytes must be positive"):
        FixedLengthRecordDataset(path, 0)


# ---- TFRecordDataset ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, compression", [("data.tfrecord", None), ("data.tfrecord.gz", "GZIP"),
                                               ("truncated_header.tfrecord", "")])
def test_tfrecord_golden_files(name, compression):
    expected = RECORDS[:MANIFEST["files"][name].get("num_records",
                                                    MANIFEST["files"][name].get("tf_data_TFRecordDataset", {})
                                                    .get("records_yielded_before_error"))]
    assert collect(TFRecordDataset(str(FIXTURES / name), compression_type=compression)) == expected


@pytest.mark.parametrize("name", ["corrupted.tfrecord", "truncated.tfrecord"])
@pytest.mark.parametrize("batch", [1, 4])
def test_tfrecord_damaged_golden_files_yield_tfs_records_then_data_loss(name, batch):
    expected = MANIFEST["files"][name]["tf_data_TFRecordDataset"]
    got, error = collect_until_error(TFRecordDataset(str(FIXTURES / name)))
    assert got == RECORDS[:expected["records_yielded_before_error"]]
    assert isinstance(error, errors.DataLossError)  # TF's message, then the file and what is wrong
    assert text(error).startswith(f"{expected['error']['message']} (in {FIXTURES / name}: ")
    got, error = collect_until_error(TFRecordDataset(str(FIXTURES / name)).batch(batch))
    flat = [r for b in got for r in b.tolist()]
    assert flat == RECORDS[:len(flat)] and isinstance(error, errors.DataLossError)


def test_tfrecord_parallel_reads_and_missing_file(tmp_path):
    paths = []
    for name, n in [("a", 2), ("b", 3)]:
        paths.append(str(tmp_path / f"{name}.tfrecord"))
        with TFRecordWriter(paths[-1]) as w:
            for i in range(n):
                w.write(f"{name}{i}")
    assert collect(TFRecordDataset(paths, num_parallel_reads=2)) == [b"a0", b"b0", b"a1", b"b1", b"b2"]
    got, error = collect_until_error(TFRecordDataset(str(tmp_path / "none.tfrecord")))
    assert got == [] and isinstance(error, errors.NotFoundError)


def _adult_like_example(i):
    ex = example_pb2.Example()
    f = ex.features.feature
    f["age"].int64_list.value.append(20 + i % 50)
    f["hours"].float_list.value.append(40.0 + i / 8)
    f["workclass"].bytes_list.value.append(b"Private" if i % 2 else b"State-gov")
    if i % 3:
        f["tags"].bytes_list.value.extend([b"t%d" % j for j in range(i % 3)])
    return ex.SerializeToString()


@pytest.mark.parametrize("compression", ["", "ZLIB", "GZIP"])
def test_writer_dataset_parse_round_trip(tmp_path, compression):
    path = str(tmp_path / "train.tfrecord")
    with TFRecordWriter(path, TFRecordOptions(compression)) as writer:
        for i in range(600):
            writer.write(_adult_like_example(i))
    features = {"age": FixedLenFeature([], tf.int64), "hours": FixedLenFeature([], tf.float32),
                "workclass": FixedLenFeature([], tf.string), "tags": VarLenFeature(tf.string),
                "missing": FixedLenFeature([], tf.float32, default_value=-1.0)}
    ds = TFRecordDataset(path, compression_type=compression).batch(256).map(lambda r: parse_example(r, features))
    batches = collect(ds)
    assert [len(b["age"]) for b in batches] == [256, 256, 88]
    age = np.concatenate([b["age"] for b in batches])
    np.testing.assert_array_equal(age, [20 + i % 50 for i in range(600)])
    hours = np.concatenate([b["hours"] for b in batches])
    np.testing.assert_array_equal(hours, np.float32([40.0 + i / 8 for i in range(600)]))
    assert batches[0]["workclass"][:2].tolist() == [b"State-gov", b"Private"]
    assert (np.concatenate([b["missing"] for b in batches]) == -1).all()
    tags = batches[0]["tags"]
    assert tags.dense_shape.tolist() == [256, 2] and tags.indices[:3].tolist() == [[1, 0], [2, 0], [2, 1]]
    assert tags.values[:3].tolist() == [b"t0", b"t0", b"t1"]


# ---- CsvDataset -----------------------------------------------------------------------------------
def test_csv_dataset_types_defaults_header_and_quotes(tmp_path):
    path = write(tmp_path / "a.csv",
                 b'id,name,score\r\n1,"Smith, J",2.5\r\n2,"say ""hi""\nacross lines",\r\n3,plain,NA\r\n')
    ds = CsvDataset(path, [tf.int32, [""], [0.5]], header=True, na_value="NA")
    assert ds.output_types == (tf.int32, tf.string, tf.float32)
    assert ds.output_shapes == (tf.TensorShape([]),) * 3
    got = [tuple(x.item() if hasattr(x, "item") else x for x in row) for row in collect(ds)]
    assert got == [(1, b"Smith, J", 2.5), (2, b'say "hi"\nacross lines', 0.5), (3, b"plain", 0.5)]


def test_csv_dataset_select_cols_delimiter_and_compression(tmp_path):
    data = b"".join(b"%d;skip;%d.5;x\n" % (i, i) for i in range(3000))
    path = write(tmp_path / "s.csv.gz", gzip.compress(data))
    ds = CsvDataset(path, [tf.int64, tf.float64], field_delim=";", select_cols=[0, 2], compression_type="GZIP")
    batches = collect(ds.batch(1000))
    ids = np.concatenate([b[0] for b in batches])
    vals = np.concatenate([b[1] for b in batches])
    assert ids.dtype == np.int64 and vals.dtype == np.float64
    np.testing.assert_array_equal(ids, np.arange(3000))
    np.testing.assert_array_equal(vals, np.arange(3000) + 0.5)


@pytest.mark.parametrize("data, defaults, good, message", [
    (b"1,2\n3,4,5\n", [[0], [0]], 1, "Expect 2 fields but have more in record"),
    (b"1,2\n3\n", [[0], [0]], 1, "Expect 2 fields but have 1 in record"),
    (b"1,2\n\n", [[0], [0]], 1, "Expect 2 fields but have 1 in record"),
    (b"1,2\n3,\n", [[0], tf.int32], 1, "Field 1 is required but missing in record!"),
    (b"1,x\n", [[0], [0.0]], 0, "Field 1 in record is not a valid float: x"),
    (b"1,2\n3,4\n5,abc\n", [[0], [0]], 2, "Field 1 in record is not a valid int32: abc"),
    (b"1,2\n" * 40 + b"3,2147483648\n", [[0], [0]], 40, "Field 1 in record is not a valid int32: 2147483648"),
    (b"1,2\n" * 40 + b"3,-4\n" + b"5,6\n" * 9 + b"7,\n", [[0], tf.int32], 50,
     "Field 1 is required but missing in record!"),
    (b'1,a"b\n', [[0], [""]], 0, "Unquoted fields cannot have quotes inside"),
    (b'1,"a"b"\n', [[0], [""]], 0, "Quote inside a string has to be escaped by another quote"),
    (b'1,"ab\n2,3\n', [[0], [""]], 0, "Reached end of file without closing quoted field in record"),
])
def test_csv_dataset_errors_are_tfs(tmp_path, data, defaults, good, message):
    path = write(tmp_path / "bad.csv", data)
    got, error = collect_until_error(CsvDataset(path, defaults))
    assert len(got) == good and isinstance(error, errors.InvalidArgumentError)
    assert text(error) == f"{message} (in {path}, record {good + 1})"  # TF's message, then where


def test_csv_dataset_header_of_an_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", b"")
    got, error = collect_until_error(CsvDataset(path, [[0]], header=True))
    assert got == [] and text(error) == f"Can't read header of file (in {path})"
    assert collect(CsvDataset(path, [[0]])) == []


def test_csv_dataset_build_errors():
    with pytest.raises(ValueError, match="select_cols should match output size"):
        CsvDataset("x.csv", [[0]], select_cols=[0, 1])
    with pytest.raises(ValueError, match="strictly increasing"):
        CsvDataset("x.csv", [[0], [0]], select_cols=[1, 0])
    with pytest.raises(ValueError, match="There should only be 1 default per field but field 0 has 2"):
        CsvDataset("x.csv", [[0, 1]])
    with pytest.raises(TypeError, match="record_defaults"):
        CsvDataset("x.csv", [[True]])


# ---- make_csv_dataset -----------------------------------------------------------------------------
def _census(tmp_path, n=10, name="census.csv", extra=b""):
    rows = [b"age,workclass,hours,income"]
    for i in range(n):
        rows.append(b"%d,%s,%d.5,%s" % (20 + i, b"Private" if i % 2 else b"Self-emp", 30 + i,
                                        b">50K" if i % 3 == 0 else b"<=50K"))
    return write(tmp_path / name, b"\n".join(rows) + b"\n" + extra)


def test_make_csv_dataset_infers_names_and_types(tmp_path):
    path = _census(tmp_path)
    ds = make_csv_dataset(path, batch_size=4, label_name="income", num_epochs=1, shuffle=False)
    features, label = ds.output_types
    assert list(features) == ["age", "workclass", "hours"]
    assert features == {"age": tf.int32, "workclass": tf.string, "hours": tf.float32} and label == tf.string
    batches = collect(ds)
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    first_features, first_label = batches[0]
    assert list(first_features) == ["age", "workclass", "hours"]
    assert first_features["age"].tolist() == [20, 21, 22, 23]
    np.testing.assert_array_equal(first_features["hours"], np.float32([30.5, 31.5, 32.5, 33.5]))
    assert first_label.tolist() == [b">50K", b"<=50K", b"<=50K", b">50K"]


def test_make_csv_dataset_repeats_with_full_batches_and_selects_columns(tmp_path):
    path = _census(tmp_path)
    ds = make_csv_dataset(path, batch_size=4, select_columns=["hours", "age"], shuffle=False,
                          column_defaults=[tf.int64, [0.0]])
    assert ds.output_shapes == {"age": tf.TensorShape([4]), "hours": tf.TensorShape([4])}
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    with tf.Session() as sess:
        ages = [sess.run(nxt)["age"].tolist() for _ in range(5)]
    assert ages[:3] == [[20, 21, 22, 23], [24, 25, 26, 27], [28, 29, 20, 21]]


def test_make_csv_dataset_shuffles_reproducibly_with_a_seed(tmp_path):
    paths = [_census(tmp_path, 20, f"part{i}.csv") for i in range(3)]

    def ages():
        with tf.Graph().as_default():
            ds = make_csv_dataset(str(tmp_path / "part*.csv"), 60, num_epochs=1, shuffle_seed=7,
                                  num_parallel_reads=2)
            return collect(ds)[0]["age"].tolist()

    first = ages()
    assert first == ages() and sorted(first) == sorted(list(range(20, 40)) * 3) and len(paths) == 3
    assert first != sorted(first)


def test_make_csv_dataset_ignore_errors_and_argument_errors(tmp_path):
    path = _census(tmp_path, 4, extra=b"oops,1,2,3\n30,x,1.5,y\n")
    ds = make_csv_dataset(path, 10, num_epochs=1, shuffle=False, column_defaults=[[0], [""], [0.0], [""]],
                          ignore_errors=True)
    assert collect(ds)[0]["age"].tolist() == [20, 21, 22, 23, 30]
    with pytest.raises(ValueError, match="No files match"):
        make_csv_dataset(str(tmp_path / "none*.csv"), 4)
    with pytest.raises(ValueError, match="`label_name` provided must be one of the columns"):
        make_csv_dataset(path, 4, label_name="nope")
    dup = write(tmp_path / "dup.csv", b"a,a\n1,2\n")
    with pytest.raises(ValueError, match="duplicate column names"):
        make_csv_dataset(dup, 4)
    with pytest.raises(ValueError, match="Neither is provided"):
        make_csv_dataset(path, 4, header=False)
    with pytest.raises(ValueError, match="duplicate columns"):
        make_csv_dataset(path, 4, select_columns=["age", 0])


# ---- map(parse_single_example) over whole chunks ----------------------------------------------------
def test_map_parse_single_example_then_batch_parses_chunks_with_single_example_semantics(tmp_path):
    path = str(tmp_path / "train.tfrecord")
    with TFRecordWriter(path) as writer:
        for i in range(300):
            writer.write(_adult_like_example(i))
    dense = {"age": FixedLenFeature([], tf.int64), "hours": FixedLenFeature([1], tf.float32),
             "workclass": FixedLenFeature([], tf.string), "other": FixedLenFeature([], tf.int64, default_value=7)}
    ds = TFRecordDataset(path).map(lambda r: parse_single_example(r, dense)).batch(128)
    assert ds.output_shapes["hours"].as_list() == [None, 1]
    batches = collect(ds)
    assert [len(b["age"]) for b in batches] == [128, 128, 44]
    np.testing.assert_array_equal(np.concatenate([b["age"] for b in batches]), [20 + i % 50 for i in range(300)])
    assert batches[0]["hours"].shape == (128, 1) and (batches[0]["other"] == 7).all()
    mixed = dict(dense, tags=VarLenFeature(tf.string))  # a sparse feature: parsed record by record
    per_record = collect(TFRecordDataset(path).map(lambda r: parse_single_example(r, mixed)).take(3))
    assert [int(e["age"]) for e in per_record] == [20, 21, 22] and per_record[2]["tags"].values.tolist() == [b"t0",
                                                                                                              b"t1"]
    required = {"age": FixedLenFeature([], tf.int64), "tags": FixedLenFeature([], tf.string)}
    got, error = collect_until_error(TFRecordDataset(path).map(lambda r: parse_single_example(r, required)).batch(8))
    assert got == [] and text(error) == "Feature: tags (data type: string) is required but could not be found."


def test_readers_inside_interleave_and_flat_map(tmp_path):
    a = write(tmp_path / "a.csv", b"header\n1\n2\n")
    b = write(tmp_path / "b.csv", b"header\n3\n4\n5\n")
    files = tf.data.Dataset.from_tensor_slices([a, b])
    got = collect(files.interleave(lambda f: TextLineDataset(f).skip(1), cycle_length=2))
    assert got == [b"1", b"3", b"2", b"4", b"5"]
    got = collect(files.flat_map(lambda f: TextLineDataset(f).skip(1).map(lambda line: decode_csv(line, [[0]])[0])))
    assert [int(x) for x in got] == [1, 2, 3, 4, 5]


def test_csv_dataset_large_file_switching_to_quoted_records(tmp_path):
    rows = [b"%d,name%d,%d.25" % (i, i, i) for i in range(120_000)]
    rows[100_000] = b'100000,"quoted, late",100000.25'
    path = write(tmp_path / "big.csv", b"id,name,value\n" + b"\n".join(rows))
    assert Path(path).stat().st_size > 2 * readers._BLOCK
    batches = collect(CsvDataset(path, [tf.int64, [""], [0.0]], header=True).batch(10_000))
    ids = np.concatenate([b[0] for b in batches])
    names = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(ids, np.arange(120_000))
    assert names[99_999] == b"name99999" and names[100_000] == b"quoted, late" and names[-1] == b"name119999"
    assert np.concatenate([b[2] for b in batches])[-1] == np.float32(119_999.25)


# ---- ZLIB bombs: memory stays bounded in every file reader -------------------------------------------------
def _zlib_bomb(path, piece: bytes, total_mib: int) -> int:
    """A ZLIB file repeating `piece` to about `total_mib` MiB once inflated; returns how many pieces."""
    count = (total_mib << 20) // len(piece)
    z = zlib.compressobj(1)  # the fastest level still inflates ~200x
    block = piece * max(1, (1 << 20) // len(piece))
    with open(path, "wb") as f:
        for _ in range(count * len(piece) // len(block)):
            f.write(z.compress(block))
        f.write(z.flush())
    return count * len(piece) // len(block) * (len(block) // len(piece))


@pytest.mark.parametrize("reader", ["TextLineDataset", "FixedLengthRecordDataset", "TFRecordDataset"])
def test_zlib_bomb_reads_within_a_memory_cap(tmp_path, reader):
    from estflow.core.record_io import encode_record  # only this test builds records by hand
    from tests.memory_bound import run_bounded  # runs a subprocess; only the memory tests need it

    piece = {"TextLineDataset": b"x" * 1023 + b"\n", "FixedLengthRecordDataset": bytes(4096),
             "TFRecordDataset": encode_record(bytes(4080))}[reader]
    path = tmp_path / "bomb.z"
    count = _zlib_bomb(path, piece, total_mib=192)
    assert path.stat().st_size < (192 << 20) // 150
    args = {"TextLineDataset": "", "FixedLengthRecordDataset": ", record_bytes=4096", "TFRecordDataset": ""}[reader]
    result = run_bounded(f"""
        import estflow as tf
        ds = tf.data.{reader}({str(path)!r}, compression_type="ZLIB"{args}).batch(1024)
        nxt = tf.data.make_one_shot_iterator(ds).get_next()
        n = 0
        with tf.Session() as sess:
            while True:
                try:
                    n += len(sess.run(nxt))
                except tf.errors.OutOfRangeError:
                    break
        result = n
    """, headroom_mib=128, timeout=300)
    assert result == count


# ---- a damaged file among good ones: its error, then the rest ------------------------------------
def test_tfrecord_corrupted_file_then_the_next_files_as_tf(tmp_path):
    # TF's TFRecordDataset reports the corrupted record (DataLossError) after the intact records
    # before it, then goes on with the next file: 5 records, the error naming the file, 10 more.
    corrupted, good = str(FIXTURES / "corrupted.tfrecord"), str(FIXTURES / "data.tfrecord")
    nxt = tf.data.make_one_shot_iterator(TFRecordDataset([corrupted, good])).get_next()
    with tf.Session() as sess:
        assert [sess.run(nxt) for _ in range(5)] == RECORDS[:5]
        with pytest.raises(tf.errors.DataLossError) as info:
            sess.run(nxt)
        assert text(info.value).startswith("corrupted record at 1050") and corrupted in text(info.value)
        assert [sess.run(nxt) for _ in range(10)] == RECORDS
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)
    ignoring = TFRecordDataset([corrupted, good]).apply(tf.data.experimental.ignore_errors())
    assert collect(ignoring) == RECORDS[:5] + RECORDS  # the 15 records TF gives


@pytest.mark.parametrize("through", ["list", "dataset of names", "parallel reads", "batch"])
def test_tfrecord_every_good_record_around_damaged_files_arrives(tmp_path, through):
    good, corrupted, truncated = (str(FIXTURES / n) for n in ("data.tfrecord", "corrupted.tfrecord",
                                                               "truncated.tfrecord"))
    files = [good, corrupted, good, truncated, good]
    if through == "dataset of names":
        ds = TFRecordDataset(tf.data.Dataset.from_tensor_slices(files))
    elif through == "parallel reads":
        ds = TFRecordDataset(files, num_parallel_reads=2)
    else:
        ds = TFRecordDataset(files)
    if through == "batch":
        got, error_count = [], 0
        for item in outcomes(ds.batch(4)):
            if isinstance(item, tuple):
                error_count += 1
            else:
                got.extend(item)
        # A plain batch ends at a failed record: the records gathered before it go with it.
        assert error_count == 2 and len(got) < 3 * 10 + 5 + 9 and got[:8] == RECORDS[:8]
        return
    got = outcomes(ds)
    errors_seen = [g for g in got if isinstance(g, tuple)]
    assert [e[0] for e in errors_seen] == [tf.errors.DataLossError] * 2
    assert corrupted in errors_seen[0][1] and truncated in errors_seen[1][1]
    records = [g for g in got if not isinstance(g, tuple)]
    assert sorted(records) == sorted(RECORDS * 3 + RECORDS[:5] + RECORDS[:9])
    if through != "parallel reads":
        assert records == RECORDS + RECORDS[:5] + RECORDS + RECORDS[:9] + RECORDS


def test_csv_bad_records_fail_alone_and_the_rest_arrive(tmp_path):
    # TF's CsvDataset reads a bad record to its end, so the next get_next gets the next record.
    a = write(tmp_path / "a.csv", b"h1,h2\n1,1.5\n2,oops\n3,3.5\n4\n5,5.5\n")
    b = write(tmp_path / "b.csv", b"h1,h2\n6,6.5\n7,x\"y\n8,8.5\n")
    for ds in (CsvDataset([a, b], [[0], [0.0]], header=True),
               CsvDataset([a, b], [[0], [0.0]], header=True).batch(1).unbatch()):
        got = outcomes(ds)
        values = [g for g in got if not isinstance(g, tuple)]
        assert values == [[1, 1.5], [3, 3.5], [5, 5.5], [6, 6.5], [8, 8.5]]
        errors_seen = [g for g in got if isinstance(g, tuple)]
        assert errors_seen == [
            (tf.errors.InvalidArgumentError, f"Field 1 in record is not a valid float: oops (in {a}, record 3)"),
            (tf.errors.InvalidArgumentError, f"Expect 2 fields but have 1 in record (in {a}, record 5)"),
            (tf.errors.InvalidArgumentError, f"Unquoted fields cannot have quotes inside (in {b}, record 3)")]
        assert [got.index(e) for e in errors_seen] == [1, 3, 6]  # each in its record's place


def test_csv_big_file_with_one_bad_row_keeps_the_fast_path_rows(tmp_path):
    lines = [b"%d,%d.25" % (i, i) for i in range(3000)]
    lines[1700] = b"1700,bad"
    path = write(tmp_path / "big.csv", b"\n".join(lines) + b"\n")
    got = outcomes(CsvDataset(path, [tf.int64, tf.float64]))
    assert got[1700] == (tf.errors.InvalidArgumentError,
                         f"Field 1 in record is not a valid double: bad (in {path}, record 1701)")
    assert [g[0] for g in got[:1700] + got[1701:]] == [i for i in range(3000) if i != 1700]
    # batched: the batch the bad record falls in ends with its error (rows 1500-1699 go with it)
    got = outcomes(CsvDataset(path, [tf.int64, tf.float64]).batch(500))
    assert [b[0][0] if not isinstance(b, tuple) else "error" for b in got] == [0, 500, 1000, "error", 1701, 2201,
                                                                                 2701]


def test_make_csv_dataset_ignore_errors_reads_on_in_each_file(tmp_path):
    a = write(tmp_path / "a.csv", b"x,y\n1,2\nbad,3\n4,5\n")
    b = write(tmp_path / "b.csv", b"x,y\n6,7\n8,oops\n")
    ds = make_csv_dataset([a, b], 10, num_epochs=1, shuffle=False, column_defaults=[[0], [0]], ignore_errors=True)
    got = collect(ds)
    assert got[0]["x"].tolist() == [1, 4, 6]
