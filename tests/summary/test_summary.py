"""Summary ops and event files: golden TF 2.15 event file, round trips, TensorBoard's own reader."""

import json
import os
import re
import socket
import struct
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.protos import event_pb2, summary_pb2
from estflow.core.record_io import encode_record
from estflow.summary import summary as summary_lib
from estflow.summary import writer as writer_mod
from estflow.summary.writer import FileWriter
from estflow.training.summary_iterator import summary_iterator
from tests import FIXTURES as TEST_FIXTURES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
INPUTS = MANIFEST["inputs"]


def _golden_events():
    return list(summary_iterator(FIXTURES / "events.out.tfevents.golden"))


def _decode_png(data: bytes) -> np.ndarray:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, _, color_type, *_ = header
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color_type]
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, 1 + width * channels)
    assert np.all(raw[:, 0] == 0), "test decoder handles filter type 0 only"
    return raw[:, 1:].reshape(height, width, channels)


def test_golden_event_file_reads_back():
    events = _golden_events()
    assert len(events) == len(MANIFEST["events"])
    assert events[0].file_version == "brain.Event:2"
    for event, expected in zip(events, MANIFEST["events"]):
        assert event.step == expected["step"]
        if expected["what"] == "summary" and expected["values"][0]["kind"] == "simple_value":
            for value, want in zip(event.summary.value, expected["values"]):
                assert value.tag == want["tag"]
                assert value.simple_value == np.float32(want["value"])


def test_first_record_bytes_are_reproduced_exactly():
    first = MANIFEST["first_record"]
    event = event_pb2.Event(wall_time=first["wall_time"], file_version="brain.Event:2")
    event.source_metadata.writer = first["source_metadata_writer"]
    golden = (FIXTURES / "events.out.tfevents.golden").read_bytes()
    assert encode_record(event.SerializeToString()) == golden[: 16 + first["length"]]


def _run_summary(build, feed=None):
    g = tf.Graph()
    with g.as_default():
        with tf.name_scope("summaries"):
            op = build()
        with tf.Session(graph=g) as sess:
            out = sess.run(op, feed)
    summary = summary_pb2.Summary()
    summary.ParseFromString(out)
    return op, summary


def test_histogram_matches_tensorflow_buckets_exactly():
    golden = next(e for e in MANIFEST["events"] if "values" in e and e["values"][0].get("kind") == "histo")
    want = golden["values"][0]["histo"]
    values = np.array(INPUTS["histogram_input"], dtype=np.float32)
    _, summary = _run_summary(lambda: summary_lib.histogram("weights_hist", constant(values)))
    histo = summary.value[0].histo
    assert summary.value[0].tag == "summaries/weights_hist"
    assert histo.min == want["min"] and histo.max == want["max"] and histo.num == want["num"]
    assert histo.sum == pytest.approx(want["sum"], rel=1e-12)
    assert histo.sum_squares == pytest.approx(want["sum_squares"], rel=1e-12)
    assert list(histo.bucket_limit) == want["bucket_limit"]
    assert list(histo.bucket) == want["bucket"]


def test_scalar_summary_tag_and_value():
    op, summary = _run_summary(lambda: summary_lib.scalar("loss", constant(0.5416750907897949)))
    assert op.op.name == "summaries/loss"
    assert summary.value[0].tag == "summaries/loss"
    assert summary.value[0].simple_value == np.float32(0.5416750907897949)


def test_scalar_family_and_invalid_characters():
    def build():
        return summary_lib.scalar("bad name!", constant(1.0), family="fam")

    _, summary = _run_summary(build)
    assert summary.value[0].tag == "fam/summaries/fam/bad_name_"


def test_image_summary_png_matches_golden_pixels():
    golden = next(e for e in MANIFEST["events"] if "values" in e and e["values"][0].get("kind") == "image")
    want = golden["values"][0]
    pixels = np.array(INPUTS["image_input_uint8_NHWC"], dtype=np.uint8)
    _, summary = _run_summary(lambda: summary_lib.image("tiny", constant(pixels), max_outputs=1))
    value = summary.value[0]
    assert value.tag == want["tag"]
    assert (value.image.height, value.image.width, value.image.colorspace) == (2, 3, 3)
    np.testing.assert_array_equal(_decode_png(value.image.encoded_image_string), want["image"]["decoded_pixels"])


def test_image_summary_tags_and_float_scaling():
    images = np.stack([np.linspace(0, 1, 12).reshape(2, 2, 3), np.linspace(-2, 1, 12).reshape(2, 2, 3)])
    _, summary = _run_summary(lambda: summary_lib.image("img", constant(images.astype(np.float32))))
    assert [v.tag for v in summary.value] == ["summaries/img/image/0", "summaries/img/image/1"]
    first = _decode_png(summary.value[0].image.encoded_image_string)
    assert first.max() == 255 and first.min() == 0
    second = _decode_png(summary.value[1].image.encoded_image_string)
    assert second.min() == 128 - 127 and second.reshape(-1)[-1] == int(np.float32(1.0) * np.float32(127 / 2) + 128)


def test_text_summary_matches_golden_tensor_proto():
    golden = next(e for e in MANIFEST["events"] if "values" in e and e["values"][0].get("kind") == "tensor")
    want = golden["values"][0]
    _, summary = _run_summary(lambda: summary_lib.text("notes", constant(INPUTS["text_input"])))
    value = summary.value[0]
    assert value.tag == "summaries/notes"
    assert value.metadata.plugin_data.plugin_name == "text"
    assert value.tensor.SerializeToString().hex() == want["tensor"]["tensor_proto_hex"]


def test_audio_summary_is_wav():
    clip = np.sin(np.linspace(0, 20, 800)).reshape(1, 800).astype(np.float32)
    _, summary = _run_summary(lambda: summary_lib.audio("sound", constant(clip), sample_rate=8000))
    audio = summary.value[0].audio
    assert summary.value[0].tag == "summaries/sound/audio/0"
    assert audio.sample_rate == 8000 and audio.num_channels == 1 and audio.length_frames == 800
    assert audio.encoded_audio_string[:4] == b"RIFF" and audio.content_type == "audio/wav"


def test_merge_all_and_duplicate_tags():
    g = tf.Graph()
    with g.as_default():
        summary_lib.scalar("a", constant(1.0))
        summary_lib.scalar("b", constant(2.0))
        merged = summary_lib.merge_all()
        dup = summary_lib.merge([summary_lib.scalar("c", constant(1.0), collections=[]),
                                 summary_lib.scalar("c", constant(1.0), collections=[])])
        with tf.Session(graph=g) as sess:
            summary = summary_pb2.Summary.FromString(sess.run(merged))
            assert sorted(v.tag for v in summary.value) == ["a", "b"]
            # Two ops named c and c_1 have distinct tags: no error.
            assert len(summary_pb2.Summary.FromString(sess.run(dup)).value) == 2
    with tf.Graph().as_default():
        assert summary_lib.merge_all() is None


def test_histogram_buckets_count_each_value_where_tensorflow_puts_it():
    """The buckets found by searching the sorted values for each limit hold what a search of the limits for
    each value gives (TF's Histogram::Add: the first limit above the value), at and beside the limits too."""
    from estflow.core.ops import summary_ops

    limits = summary_ops._BUCKET_ARRAY
    rng = np.random.default_rng(7)
    inner = limits[1:-1]
    values = np.concatenate([rng.normal(size=3000) * 10.0 ** rng.integers(-14, 24, 3000), np.zeros(40),
                             inner[rng.integers(0, inner.size, 500)],  # exactly on limits
                             np.nextafter(inner[rng.integers(0, inner.size, 500)], 0.0),
                             [-1e150, 1e150]])
    for data in (values, values[:1], np.maximum(rng.normal(size=(256, 100)), 0).astype(np.float32)):
        proto = summary_ops.histogram_proto(data)
        flat = np.asarray(data, np.float64).reshape(-1)
        want = np.bincount(np.searchsorted(limits, flat, side="right"), minlength=limits.size)[:limits.size]
        got = dict(zip(proto.bucket_limit, proto.bucket, strict=True))
        assert sum(got.values()) == want.sum()
        assert all(got.get(limit, 0.0) == count for limit, count in zip(limits.tolist(), want.tolist(), strict=True)
                   if count)
        assert (proto.min, proto.max, proto.num) == (flat.min(), flat.max(), flat.size)


def test_histogram_of_nan_is_invalid_argument():
    g = tf.Graph()
    with g.as_default():
        x = placeholder(tf.float32)
        h = summary_lib.histogram("h", x)
        with tf.Session(graph=g) as sess:
            with pytest.raises(errors.InvalidArgumentError, match="Nan in summary histogram for: h"):
                sess.run(h, {x: [1.0, np.nan]})


def test_histogram_sums_add_one_value_at_a_time_as_tensorflow():
    """TF's Histogram adds values in order in doubles: 1e16 + 1 rounds away before -1e16 comes (Python's
    sum() compensates since 3.12 and would say 1.0), and runs of empty buckets collapse into their last one."""
    g = tf.Graph()
    with g.as_default():
        x = placeholder(tf.float64)
        h = summary_lib.histogram("h", x)
        with tf.Session(graph=g) as sess:
            histo = summary_pb2.Summary.FromString(sess.run(h, {x: [1e16, 1.0, -1e16]})).value[0].histo
            empty = summary_pb2.Summary.FromString(sess.run(h, {x: np.zeros(0)})).value[0].histo
    assert histo.sum == 0.0 and histo.sum_squares == 2e32 and histo.num == 3.0
    limits = list(histo.bucket_limit)
    assert list(histo.bucket) == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0] and limits[-1] == 1.7976931348623157e308
    assert limits[1] >= -1e16 > limits[0] and limits[3] >= 1.0 > limits[2] and limits[5] >= 1e16 > limits[4]
    assert list(empty.bucket) == [0.0] and list(empty.bucket_limit) == [1.7976931348623157e308] and empty.sum == 0.0


def test_file_writer_round_trip(tmp_path):
    g = tf.Graph()
    with g.as_default():
        x = placeholder(tf.float32, name="x")
        loss = summary_lib.scalar("loss", x)
    writer = FileWriter(str(tmp_path), graph=g, flush_secs=1)
    with tf.Session(graph=g) as sess:
        for step in range(3):
            writer.add_summary(sess.run(loss, {x: float(step)}), global_step=step)
    log = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
    writer.add_session_log(log, 3)
    writer.close()
    files = list(tmp_path.glob("events.out.tfevents.*"))
    assert len(files) == 1
    events = list(summary_iterator(files[0]))
    assert events[0].file_version == "brain.Event:2"
    assert events[1].graph_def  # the graph comes first
    scalars = [(e.step, e.summary.value[0].simple_value) for e in events if e.HasField("summary")]
    assert scalars == [(0, 0.0), (1, 1.0), (2, 2.0)]
    assert events[-1].session_log.status == event_pb2.SessionLog.START


def test_file_writer_flush_and_reopen(tmp_path):
    writer = FileWriter(str(tmp_path))
    writer.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="x", simple_value=1.0)]), 1)
    writer.flush()
    first = list(tmp_path.glob("events.*"))[0]
    assert len(list(summary_iterator(first))) == 2
    writer.close()
    writer.add_summary(summary_pb2.Summary(), 2)  # dropped silently after close, as in TF1
    writer.reopen()
    writer.close()
    assert writer.get_logdir() == str(tmp_path)


def test_tensorboard_reads_our_event_files(tmp_path):
    loader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    g = tf.Graph()
    with g.as_default():
        x = placeholder(tf.float32, shape=[None], name="x")
        merged = summary_lib.merge([
            summary_lib.scalar("mean", tf.identity(x[0]) if hasattr(x, "__getitem__") else x),
            summary_lib.histogram("values", x),
            summary_lib.image("pic", constant(np.zeros((1, 2, 2, 3), np.uint8)), max_outputs=1),
        ])
    writer = FileWriter(str(tmp_path), graph=g)
    with tf.Session(graph=g) as sess:
        writer.add_summary(sess.run(merged, {x: [1.0, 2.0, 3.0]}), 7)
    writer.close()
    acc = loader.EventAccumulator(str(tmp_path), size_guidance={"images": 0, "histograms": 0, "scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    assert "mean" in tags["scalars"]
    assert acc.Scalars("mean")[0].step == 7
    assert "values" in tags["histograms"]
    assert "pic/image" in tags["images"]
    assert tags["graph"] is True


def test_two_file_writers_in_one_second_write_separate_files(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_mod.time, "time", lambda: 1700000000.25)  # both writers in the same second
    first, second = FileWriter(str(tmp_path)), FileWriter(str(tmp_path), filename_suffix=".eval")
    third = FileWriter(str(tmp_path))
    for step, writer in enumerate([first, second, third]):
        writer.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=f"w{step}", simple_value=step)]),
                           step)
        writer.close()
    stem = f"events.out.tfevents.1700000000.{socket.gethostname()}"
    names = sorted(p.name for p in tmp_path.iterdir())
    # TF1's name for the first; the second's name differs by its suffix; the third, colliding with the
    # first, gets TF2's `.<pid>.<n>` before its (empty) suffix.
    assert stem in names and f"{stem}.eval" in names and len(names) == 3
    (unique,) = [n for n in names if n not in (stem, f"{stem}.eval")]
    assert re.fullmatch(re.escape(f"{stem}.{os.getpid()}.") + r"\d+", unique)
    for step, path in enumerate([stem, f"{stem}.eval", unique]):
        events = list(summary_iterator(str(tmp_path / path)))
        assert events[0].file_version == "brain.Event:2"
        assert [(e.step, e.summary.value[0].tag) for e in events[1:]] == [(step, f"w{step}")]
    # TensorBoard's directory loader reads all three files of the logdir.
    loader = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = loader.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0})
    acc.Reload()
    assert sorted(acc.Tags()["scalars"]) == ["w0", "w1", "w2"]
    assert [(s.step, s.value) for s in acc.Scalars("w2")] == [(2, 2.0)]


def test_reopen_within_the_same_second_starts_a_new_file(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_mod.time, "time", lambda: 1700000000.0)
    writer = FileWriter(str(tmp_path))
    writer.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a", simple_value=1.0)]), 1)
    writer.close()
    writer.reopen()
    writer.add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="b", simple_value=2.0)]), 2)
    writer.close()
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    tags = sorted(e.summary.value[0].tag for f in files for e in summary_iterator(str(f)) if e.HasField("summary"))
    assert tags == ["a", "b"]


GOLDEN_EVENTS = TEST_FIXTURES / "events"


EVENTS_MANIFEST = json.loads((GOLDEN_EVENTS / "manifest.json").read_text())


def _summary(serialized):
    return tf.Summary.FromString(serialized)


def _png_pixels(data):
    """Minimal PNG decoder (8-bit RGB, non-interlaced, filters 0-4): enough to compare pixels."""
    import struct
    import zlib

    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 2)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, bpp, stride = zlib.decompress(idat), 3, width * 3

    def paeth(a, b, c):
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else (b if pb <= pc else c)

    rows, prev = [], bytearray(stride)
    for r in range(height):
        start = r * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            line[i] = (line[i] + [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]) & 0xFF
        rows.append(bytes(line))
        prev = line
    return np.frombuffer(b"".join(rows), np.uint8).reshape(height, width, 3)


def _event_files(logdir):
    return sorted(p for p in Path(logdir).iterdir() if p.name.startswith("events.out.tfevents."))


@pytest.mark.usefixtures("g")
def test_scalar_summary_and_tag_in_name_scope():
    x = tf.placeholder(tf.float32)
    s = tf.summary.scalar("loss", x)
    with tf.name_scope("scope"):
        s2 = tf.summary.scalar("acc", x * 2)
    with tf.Session() as sess:
        a, b = sess.run([s, s2], {x: 1.5})
    assert s.dtype == tf.string and s.op.type == "ScalarSummary" and s.shape.as_list() == []
    assert _summary(a).value[0].tag == "loss" and _summary(a).value[0].simple_value == 1.5
    assert _summary(b).value[0].tag == "scope/acc" and _summary(b).value[0].simple_value == 3.0


@pytest.mark.usefixtures("g")
def test_summary_tag_cleaning():
    s = tf.summary.scalar("bad name:with(chars)", tf.constant(1.0))
    s2 = tf.summary.scalar("/leading", tf.constant(1.0))
    with tf.Session() as sess:
        a, b = sess.run([s, s2])
    assert _summary(a).value[0].tag == "bad_name_with_chars_"
    assert _summary(b).value[0].tag == "leading"


@pytest.mark.usefixtures("g")
def test_histogram_summary_matches_tensorflow_buckets():
    data = EVENTS_MANIFEST["inputs"]["histogram_input"]
    golden = next(e for e in EVENTS_MANIFEST["events"] if e["what"] == "summary" and e["values"][0]["kind"] == "histo")
    want = golden["values"][0]["histo"]
    h = tf.summary.histogram("weights_hist", tf.constant(np.array(data, np.float32)))
    with tf.Session() as sess:
        histo = _summary(sess.run(h)).value[0].histo
    assert h.op.type == "HistogramSummary"
    assert (histo.min, histo.max, histo.num) == (want["min"], want["max"], want["num"])
    assert histo.sum == pytest.approx(want["sum"], rel=1e-12)
    assert histo.sum_squares == pytest.approx(want["sum_squares"], rel=1e-12)
    assert list(histo.bucket_limit) == want["bucket_limit"]
    assert list(histo.bucket) == want["bucket"]


@pytest.mark.usefixtures("g")
def test_image_summary_tags_and_png_pixels():
    pixels = np.array(EVENTS_MANIFEST["inputs"]["image_input_uint8_NHWC"], np.uint8)
    one = tf.summary.image("tiny", tf.constant(pixels), max_outputs=1)
    many = tf.summary.image("many", tf.constant(np.concatenate([pixels] * 4)), max_outputs=3)
    with tf.Session() as sess:
        a, b = sess.run([one, many])
    va = _summary(a).value
    assert [v.tag for v in va] == ["tiny/image"]
    assert [v.tag for v in _summary(b).value] == ["many/image/0", "many/image/1", "many/image/2"]
    img = va[0].image
    assert (img.height, img.width, img.colorspace) == (2, 3, 3)
    assert img.encoded_image_string.startswith(b"\x89PNG\r\n\x1a\n")
    assert _png_pixels(img.encoded_image_string).tolist() == pixels[0].tolist()


@pytest.mark.usefixtures("g")
def test_audio_summary_wav():
    wav = tf.summary.audio("sound", tf.constant(np.zeros((2, 100), np.float32)), sample_rate=8000, max_outputs=2)
    single = tf.summary.audio("one", tf.constant(np.zeros((1, 10, 1), np.float32)), 16000, max_outputs=1)
    with tf.Session() as sess:
        a, b = sess.run([wav, single])
    vals = _summary(a).value
    assert [v.tag for v in vals] == ["sound/audio/0", "sound/audio/1"]
    au = vals[0].audio
    assert au.sample_rate == 8000 and au.num_channels == 1 and au.length_frames == 100
    assert au.content_type == "audio/wav" and au.encoded_audio_string[:4] == b"RIFF"
    assert au.encoded_audio_string[8:12] == b"WAVE"
    assert [v.tag for v in _summary(b).value] == ["one/audio"]


@pytest.mark.usefixtures("g")
def test_text_and_tensor_summary():
    text = EVENTS_MANIFEST["inputs"]["text_input"]
    t = tf.summary.text("notes", tf.constant(text))
    ts = tf.summary.tensor_summary("raw", tf.constant([[1, 2], [3, 4]]), summary_description="desc")
    with tf.Session() as sess:
        a, b = sess.run([t, ts])
    v = _summary(a).value[0]
    assert v.tag == "notes" and v.metadata.plugin_data.plugin_name == "text"
    assert tf.make_ndarray(v.tensor) == text.encode()
    golden = next(e for e in EVENTS_MANIFEST["events"] if e["what"] == "summary" and e["values"][0]["kind"] == "tensor")
    assert v.tensor.SerializeToString().hex() == golden["values"][0]["tensor"]["tensor_proto_hex"]
    w = _summary(b).value[0]
    assert w.tag == "raw" and w.metadata.summary_description == "desc"
    assert tf.make_ndarray(w.tensor).tolist() == [[1, 2], [3, 4]]


@pytest.mark.usefixtures("g")
def test_merge_and_merge_all_with_key_and_scope():
    with tf.name_scope("a"):
        s1 = tf.summary.scalar("x", tf.constant(1.0))
    with tf.name_scope("b"):
        s2 = tf.summary.scalar("y", tf.constant(2.0))
    s3 = tf.summary.scalar("z", tf.constant(3.0), collections=["custom"])
    merged = tf.summary.merge([s1, s2])
    all_default = tf.summary.merge_all()
    only_a = tf.summary.merge_all(scope="a")
    custom = tf.summary.merge_all(key="custom")
    assert tf.summary.merge_all(key="empty") is None
    assert merged.op.type == "MergeSummary" and s3 is not None
    with tf.Session() as sess:
        out = sess.run([merged, all_default, only_a, custom])
    tags = [[v.tag for v in _summary(o).value] for o in out]
    assert tags == [["a/x", "b/y"], ["a/x", "b/y"], ["a/x"], ["z"]]


@pytest.mark.usefixtures("g")
def test_merge_duplicate_tags_is_invalid_argument():
    p1 = tf.placeholder(tf.string)
    p2 = tf.placeholder(tf.string)
    merged = tf.summary.merge([p1, p2])
    dup = tf.Summary(value=[tf.Summary.Value(tag="d", simple_value=1.0)]).SerializeToString()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Duplicate tag d found"):
        sess.run(merged, {p1: dup, p2: dup})


@pytest.mark.usefixtures("g")
def test_train_summary_iterator_tf1_name():
    events = list(tf.train.summary_iterator(str(GOLDEN_EVENTS / "events.out.tfevents.golden")))
    assert events[0].file_version == "brain.Event:2"


@pytest.mark.usefixtures("g")
def test_summary_namespace_proto_classes():
    assert tf.summary.Summary is tf.Summary and tf.summary.Event is tf.Event
    assert tf.summary.SessionLog is tf.SessionLog
    assert tf.summary.SummaryDescription and tf.summary.TaggedRunMetadata


@pytest.mark.usefixtures("g")
def test_filewriter_file_name_and_first_record(tmp_path):
    w = tf.summary.FileWriter(str(tmp_path), filename_suffix=".v2")
    w.close()
    (f,) = _event_files(tmp_path)
    host = re.escape(socket.gethostname())
    assert re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.{host}\.v2", f.name), f.name
    events = list(tf.summary.summary_iterator(str(f)))
    assert events[0].file_version == "brain.Event:2" and events[0].step == 0
    assert abs(events[0].wall_time - time.time()) < 60
    assert len(events) == 1


@pytest.mark.usefixtures("g")
def test_filewriter_all_add_methods_and_summary_iterator(tmp_path):
    x = tf.placeholder(tf.float32, name="x")
    s = tf.summary.scalar("loss", x)
    g = tf.get_default_graph()
    w = tf.summary.FileWriter(str(tmp_path), graph=g, max_queue=5, flush_secs=60)
    assert w.get_logdir() == str(tmp_path)
    with tf.Session() as sess:
        w.add_summary(sess.run(s, {x: 0.5}), global_step=3)  # serialized bytes
    proto = tf.Summary(value=[tf.Summary.Value(tag="manual", simple_value=-3.0)])
    w.add_summary(proto, 4)
    w.add_meta_graph(tf.train.export_meta_graph(), global_step=5)
    w.add_session_log(tf.SessionLog(status=tf.SessionLog.START), 6)
    w.add_event(tf.Event(step=7, wall_time=123.0, file_version="custom"))
    w.flush()
    w.close()
    (f,) = _event_files(tmp_path)
    events = list(tf.summary.summary_iterator(str(f)))
    kinds = [e.WhichOneof("what") for e in events]
    # A writer given a graph writes its graph and meta graph first, as TF1's.
    assert kinds == ["file_version", "graph_def", "meta_graph_def", "summary", "summary", "meta_graph_def",
                     "session_log", "file_version"]
    gd = tf.GraphDef.FromString(events[1].graph_def)
    assert "x" in [n.name for n in gd.node]
    assert [n.name for n in tf.MetaGraphDef.FromString(events[2].meta_graph_def).graph_def.node] == \
        [n.name for n in gd.node]
    assert (events[3].step, events[3].summary.value[0].tag, events[3].summary.value[0].simple_value) == (3, "loss", 0.5)
    assert (events[4].step, events[4].summary.value[0].simple_value) == (4, -3.0)
    assert tf.MetaGraphDef.FromString(events[5].meta_graph_def).graph_def.node
    assert events[6].session_log.status == tf.SessionLog.START and events[6].step == 6
    assert events[7].step == 7 and events[7].wall_time == 123.0


@pytest.mark.usefixtures("g")
def test_filewriter_graph_def_argument_and_add_graph(tmp_path):
    tf.constant(1.0, name="c")
    w = tf.summary.FileWriter(str(tmp_path))
    w.add_graph(tf.get_default_graph(), global_step=2)
    w.close()
    events = list(tf.summary.summary_iterator(str(_event_files(tmp_path)[0])))
    assert [e.step for e in events if e.graph_def] == [2]


@pytest.mark.usefixtures("g")
def test_filewriter_flush_secs_writes_in_the_background(tmp_path):
    w = tf.summary.FileWriter(str(tmp_path), flush_secs=0.2)
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="t", simple_value=1.0)]), 1)
    (f,) = _event_files(tmp_path)
    deadline = time.time() + 5
    while time.time() < deadline:
        if any(e.summary.value for e in tf.summary.summary_iterator(str(f))):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the summary never reached the file without flush()")
    w.close()


@pytest.mark.usefixtures("g")
def test_filewriter_writes_an_event_as_it_was_added(tmp_path):
    # The caller's thread serializes the event: changing the proto afterwards changes nothing written.
    w = tf.summary.FileWriter(str(tmp_path), flush_secs=60)
    event = tf.Event(step=1, wall_time=1.0, summary=tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)]))
    w.add_event(event)
    event.step = 2
    event.summary.value[0].simple_value = 5.0
    w.close()
    (f,) = _event_files(tmp_path)
    written = [e for e in tf.summary.summary_iterator(str(f)) if e.summary.value]
    assert [(e.step, e.summary.value[0].simple_value) for e in written] == [(1, 1.0)]


class _FailingFile:
    """A file whose writes fail, as a full disk's do; it records what closed it."""

    def __init__(self, real):
        self.real, self.closed = real, False

    def write(self, data):
        raise OSError(28, "No space left on device")

    def flush(self):
        self.real.flush()

    def close(self):
        self.closed = True
        self.real.close()


@pytest.mark.usefixtures("g")
def test_filewriter_reports_a_write_error_once_on_flush_and_keeps_going(tmp_path):
    w = tf.summary.FileWriter(str(tmp_path), flush_secs=60)
    writer = w.event_writer
    real = writer._file
    writer._file = _FailingFile(real)
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="lost", simple_value=1.0)]), 1)  # training goes on
    with pytest.raises(OSError, match="No space left"):
        w.flush()
    w.flush()  # reported once
    writer._file = real
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="kept", simple_value=2.0)]), 2)
    w.close()
    tags = [v.tag for e in tf.summary.summary_iterator(str(_event_files(tmp_path)[0])) for v in e.summary.value]
    assert tags == ["kept"]


@pytest.mark.usefixtures("g")
def test_filewriter_lets_a_keyboard_interrupt_in_a_write_through(tmp_path):
    # The caller's thread writes: Ctrl-C landing in the write stops training there, and is not kept as an error.
    class Interrupted(_FailingFile):
        def write(self, data):
            raise KeyboardInterrupt

    w = tf.summary.FileWriter(str(tmp_path), flush_secs=60)
    writer = w.event_writer
    real = writer._file
    writer._file = Interrupted(real)
    with pytest.raises(KeyboardInterrupt):
        w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)]), 1)
    writer._file = real
    w.flush()  # nothing kept
    w.close()


@pytest.mark.usefixtures("g")
def test_filewriter_close_raises_a_pending_write_error_and_stops_its_thread(tmp_path):
    w = tf.summary.FileWriter(str(tmp_path), flush_secs=0.05)
    writer = w.event_writer
    failing = writer._file = _FailingFile(writer._file)
    thread = writer._thread
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="lost", simple_value=1.0)]), 1)
    with pytest.raises(OSError, match="No space left"):
        w.close()
    assert failing.closed and not thread.is_alive()
    w.close()  # closed: nothing more to report


@pytest.mark.usefixtures("g")
def test_filewriter_events_from_threads_are_whole_records(tmp_path):
    w = tf.summary.FileWriter(str(tmp_path), flush_secs=0.01)  # the flushing thread runs between the writes

    def add(k):
        for i in range(200):
            w.add_summary(tf.Summary(value=[tf.Summary.Value(tag=f"t{k}", simple_value=float(i))]), i)

    threads = [threading.Thread(target=add, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    events = [e for e in tf.summary.summary_iterator(str(_event_files(tmp_path)[0])) if e.summary.value]
    for k in range(4):  # every record reads back (crc checked), each thread's in its own order
        assert [e.summary.value[0].simple_value for e in events if e.summary.value[0].tag == f"t{k}"] == \
            [float(i) for i in range(200)]


@pytest.mark.usefixtures("g")
def test_filewriter_close_reopen(tmp_path):
    w = tf.summary.FileWriter(str(tmp_path))
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)]), 1)
    w.close()
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="dropped", simple_value=1.0)]), 2)  # no-op when closed
    w.reopen()
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="b", simple_value=2.0)]), 3)
    w.close()
    tags = [v.tag for f in _event_files(tmp_path) for e in tf.summary.summary_iterator(str(f))
            for v in e.summary.value]
    assert sorted(tags) == ["a", "b"]


@pytest.mark.usefixtures("g")
def test_filewriter_cache(tmp_path):
    a = tf.summary.FileWriterCache.get(str(tmp_path / "x"))
    assert tf.summary.FileWriterCache.get(str(tmp_path / "x")) is a
    assert tf.summary.FileWriterCache.get(str(tmp_path / "y")) is not a
    tf.summary.FileWriterCache.clear()
    assert tf.summary.FileWriterCache.get(str(tmp_path / "x")) is not a
    tf.summary.FileWriterCache.clear()


@pytest.mark.usefixtures("g")
def test_filewriter_records_have_valid_masked_crc(tmp_path):
    from estflow.core.crc32c import masked_crc32c

    w = tf.summary.FileWriter(str(tmp_path))
    w.add_summary(tf.Summary(value=[tf.Summary.Value(tag="a", simple_value=1.0)]), 1)
    w.close()
    raw = _event_files(tmp_path)[0].read_bytes()
    pos, n = 0, 0
    while pos < len(raw):
        header = raw[pos:pos + 8]
        length = int.from_bytes(header, "little")
        assert int.from_bytes(raw[pos + 8:pos + 12], "little") == masked_crc32c(header)
        body = raw[pos + 12:pos + 12 + length]
        assert int.from_bytes(raw[pos + 12 + length:pos + 16 + length], "little") == masked_crc32c(body)
        pos += 16 + length
        n += 1
    assert pos == len(raw) and n == 2


@pytest.mark.usefixtures("g")
def test_summary_iterator_reads_golden_tf_event_file():
    events = list(tf.summary.summary_iterator(str(GOLDEN_EVENTS / "events.out.tfevents.golden")))
    assert len(events) == len(EVENTS_MANIFEST["events"])
    assert events[0].file_version == "brain.Event:2"
    for got, want in zip(events, EVENTS_MANIFEST["events"]):
        assert got.step == want["step"]
        if want["what"] == "summary" and want["values"][0]["kind"] == "simple_value":
            assert got.summary.value[0].simple_value == pytest.approx(want["values"][0]["value"], rel=1e-7)


@pytest.mark.usefixtures("g")
def test_tensorboard_event_accumulator_reads_estflow_files(tmp_path):
    ea_mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    x = tf.placeholder(tf.float32, [None], name="x")
    with tf.name_scope("summaries"):
        tf.summary.scalar("loss", tf.reduce_mean(x))
        tf.summary.histogram("hist", x)
        tf.summary.image("img", tf.cast(tf.reshape(tf.range(18), [1, 2, 3, 3]) * 10, tf.uint8), max_outputs=1)
    merged = tf.summary.merge_all()
    w = tf.summary.FileWriter(str(tmp_path), tf.get_default_graph())
    with tf.Session() as sess:
        for step in (1, 2, 3):
            w.add_summary(sess.run(merged, {x: [float(step), 2.0 * step]}), step)
    w.close()
    acc = ea_mod.EventAccumulator(str(tmp_path), size_guidance={ea_mod.SCALARS: 0, ea_mod.HISTOGRAMS: 0,
                                                                ea_mod.IMAGES: 0})
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["summaries/loss"]
    assert tags["histograms"] == ["summaries/hist"]
    assert tags["images"] == ["summaries/img/image"]
    assert tags["graph"] is True
    assert [(e.step, e.value) for e in acc.Scalars("summaries/loss")] == [(1, 1.5), (2, 3.0), (3, 4.5)]
    h = acc.Histograms("summaries/hist")[-1].histogram_value
    assert (h.min, h.max, h.num) == (3.0, 6.0, 2.0)
    img = acc.Images("summaries/img/image")[0]
    assert (img.width, img.height) == (3, 2) and img.encoded_image_string.startswith(b"\x89PNG")
    assert "x" in [n.name for n in acc.Graph().node]


def test_merged_summary_ops_are_named_as_tf1_names_them():
    """TF1 programs fetch "Merge/MergeSummary:0" by name; a named merge is "<name>/<name>"."""
    g = tf.Graph()
    with g.as_default():
        tf.summary.scalar("a", tf.constant(1.0))
        assert tf.summary.merge_all().op.name == "Merge/MergeSummary"
        assert tf.summary.merge_all(name="mine").op.name == "mine/mine"
