"""tf.data.experimental.snapshot: the first complete pass is written, later passes read it."""

import os
import subprocess
import sys

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes

X = tf.data.experimental


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def _counting(calls, n=5, offset=0):
    def produce(x):
        calls.append(int(x))
        return x + offset

    return D.range(n).map(lambda x: tf.py_func(produce, [x], tf.int64, stateful=False))


def test_written_once_then_read(tmp_path):
    calls = []
    ds = _counting(calls).apply(X.snapshot(str(tmp_path)))
    assert outcomes(ds) == [0, 1, 2, 3, 4] and calls == [0, 1, 2, 3, 4]
    (run_dir,) = os.listdir(tmp_path)
    assert sorted(os.listdir(tmp_path / run_dir)) == ["snapshot.data", "snapshot.index"]
    assert outcomes(ds) == [0, 1, 2, 3, 4] and calls == [0, 1, 2, 3, 4]  # a new iterator reads the files
    assert outcomes(ds.repeat(2)) == [0, 1, 2, 3, 4] * 2 and len(calls) == 5


def test_an_unfinished_pass_writes_nothing(tmp_path):
    calls = []
    ds = _counting(calls).apply(X.snapshot(str(tmp_path)))
    nxt = tf.data.make_one_shot_iterator(ds.take(2)).get_next()
    with tf.Session() as sess:
        sess.run(nxt)
    assert not any(f.endswith(".index") for _, _, files in os.walk(tmp_path) for f in files)


def test_different_pipelines_and_fed_values_get_their_own_snapshots(tmp_path):
    calls = []
    assert outcomes(_counting(calls).apply(X.snapshot(str(tmp_path)))) == [0, 1, 2, 3, 4]
    assert outcomes(_counting(calls, offset=10).apply(X.snapshot(str(tmp_path)))) == [10, 11, 12, 13, 14]
    assert outcomes(D.from_tensor_slices(np.arange(3)).apply(X.snapshot(str(tmp_path)))) == [0, 1, 2]
    assert outcomes(D.from_tensor_slices(np.arange(4)).apply(X.snapshot(str(tmp_path)))) == [0, 1, 2, 3]
    n = tf.placeholder(tf.int64, [])
    it = tf.data.make_initializable_iterator(D.range(n).apply(X.snapshot(str(tmp_path))))
    with tf.Session() as sess:
        for size in (2, 3):
            sess.run(it.initializer, {n: size})
            got = []
            try:
                while True:
                    got.append(int(sess.run(it.get_next())))
            except tf.errors.OutOfRangeError:
                pass
            assert got == list(range(size))
    assert len(os.listdir(tmp_path)) == 6


def test_another_process_reads_the_snapshot(tmp_path):
    code = ("import estflow as tf\n"
            "ds = tf.data.Dataset.range(4).map(lambda x: x * 3)\n"
            f"ds = ds.apply(tf.data.experimental.snapshot({str(tmp_path)!r}))\n"
            "nxt = tf.data.make_one_shot_iterator(ds).get_next()\n"
            "out = []\n"
            "with tf.Session() as s:\n"
            "    try:\n"
            "        while True: out.append(int(s.run(nxt)))\n"
            "    except tf.errors.OutOfRangeError: print(out)\n")
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    files = sorted(os.listdir(tmp_path))
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert first.stdout == second.stdout == "[0, 3, 6, 9]\n" and sorted(os.listdir(tmp_path)) == files
    assert len(files) == 1


def test_arguments():
    with pytest.raises(NotImplementedError, match="reader_func"):
        X.snapshot("/tmp/x", reader_func=lambda datasets: datasets)
    with pytest.raises(ValueError, match="compression must be one of"):
        D.range(2).apply(X.snapshot("/tmp/x", compression="LZ4"))
    D.range(2).apply(X.snapshot("/tmp/x", compression="GZIP"))
