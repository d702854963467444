"""Summary ops and event files: golden TF 2.15 event file, round trips, TensorBoard's own reader."""

import json
import os
import re
import socket
import struct
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
from estflow.train.summary_iterator import summary_iterator

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


def test_histogram_of_nan_is_invalid_argument():
    g = tf.Graph()
    with g.as_default():
        x = placeholder(tf.float32)
        h = summary_lib.histogram("h", x)
        with tf.Session(graph=g) as sess:
            with pytest.raises(errors.InvalidArgumentError, match="Nan in summary histogram for: h"):
                sess.run(h, {x: [1.0, np.nan]})


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
