"""`tf.data.experimental.ignore_errors()` / `Dataset.ignore_errors()`: failed elements dropped, the rest kept."""

import logging

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from estflow.data.tfrecord import TFRecordWriter
from tests.data._outcomes import outcomes, unfused


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def strings(n, bad):
    return np.array([b"x" if i in bad else str(i).encode() for i in range(n)], dtype=object)


@pytest.mark.parametrize("fused", [True, False])
def test_ignore_errors_drops_only_the_failed_elements(fused):
    ds = D.from_tensor_slices(strings(1000, {0, 300, 301, 999})).map(tf.string_to_number)
    ds = (ds if fused else unfused(ds)).apply(tf.data.experimental.ignore_errors())
    assert outcomes(ds) == [float(i) for i in range(1000) if i not in {0, 300, 301, 999}]
    batched = D.from_tensor_slices(strings(10, {3})).map(tf.string_to_number).ignore_errors().batch(4)
    assert outcomes(batched) == [[0.0, 1.0, 2.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0]]


def test_ignore_errors_after_batch_drops_the_failed_batches():
    ds = D.from_tensor_slices(strings(12, {5})).map(tf.string_to_number).batch(4)
    assert outcomes(ds.apply(tf.data.experimental.ignore_errors())) == [[0.0, 1.0, 2.0, 3.0],
                                                                         [8.0, 9.0, 10.0, 11.0]]


def test_ignore_errors_logs_a_warning_when_asked(caplog):
    ds = D.from_tensor_slices(strings(3, {1})).map(tf.string_to_number)
    with caplog.at_level(logging.WARNING, logger="estflow"):
        assert outcomes(ds.apply(tf.data.experimental.ignore_errors(log_warning=True))) == [0.0, 2.0]
    assert any("could not correctly convert string: x" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="estflow"):
        assert outcomes(ds.ignore_errors()) == [0.0, 2.0]
    assert not caplog.records


def test_ignore_errors_reads_on_past_a_corrupted_tfrecord_file(tmp_path):
    paths = []
    for name in ("a", "b", "c"):
        paths.append(str(tmp_path / f"{name}.tfrecord"))
        with TFRecordWriter(paths[-1]) as w:
            for i in range(4):
                w.write(f"{name}{i}")
    data = bytearray(open(paths[1], "rb").read())
    data[len(data) // 2] ^= 0x5A
    open(paths[1], "wb").write(bytes(data))
    got = outcomes(tf.data.TFRecordDataset(paths).apply(tf.data.experimental.ignore_errors()))
    assert got[:4] == [b"a0", b"a1", b"a2", b"a3"] and got[-4:] == [b"c0", b"c1", b"c2", b"c3"]
    assert got[4:-4] == [b"b0", b"b1"]  # b's records before the damaged one


def test_ignore_errors_does_not_hide_a_missing_file(tmp_path):
    # TF retries a file it cannot open, so its ignore_errors would never return; estflow raises.
    ds = tf.data.TFRecordDataset([str(tmp_path / "missing.tfrecord")]).apply(tf.data.experimental.ignore_errors())
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    with tf.Session() as sess:
        for _ in range(2):
            with pytest.raises(tf.errors.NotFoundError, match="missing.tfrecord"):
                sess.run(nxt)
