"""Queue and reader ops (estflow/core/ops/queue_ops.py) through tf.FIFOQueue & co: TF1's order, close and
OutOfRange semantics, blocking and cancellation, per-session state, readers over files.

Every test that could block runs the blocking call in a thread joined with a timeout, so a
regression fails instead of hanging the suite.
"""

import threading

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import graph_pb2
from tests.interop import run_tensorflow

TIMEOUT = 20.0


class _Background:
    """Runs `fn` in a daemon thread; `result()` waits at most TIMEOUT seconds."""

    def __init__(self, fn):
        self.value = self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn,), daemon=True)
        self.thread.start()

    def _run(self, fn):
        try:
            self.value = fn()
        except Exception as e:  # noqa: BLE001 - handed to the test
            self.error = e

    def done(self, wait=0.0) -> bool:
        self.thread.join(wait)
        return not self.thread.is_alive()

    def result(self):
        assert self.done(TIMEOUT), "the background op did not end"
        if self.error is not None:
            raise self.error
        return self.value


@pytest.mark.usefixtures("g")
def test_fifo_order_size_and_dequeue_many_shapes():
    q = tf.FIFOQueue(10, [tf.int32, tf.string], shapes=[[2], []])
    enq = q.enqueue_many([[[1, 2], [3, 4], [5, 6]], ["a", "b", "c"]])
    one, many = q.dequeue(), q.dequeue_many(2)
    assert one[0].shape.as_list() == [2] and many[0].shape.as_list() == [2, 2] and many[1].shape.as_list() == [2]
    assert [q.queue_ref.op.type, enq.type, one[0].op.type] == ["FIFOQueueV2", "QueueEnqueueManyV2", "QueueDequeueV2"]
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(q.size()) == 3
        x, s = sess.run(one)
        assert x.tolist() == [1, 2] and s == b"a"
        xs, ss = sess.run(many)
        assert xs.tolist() == [[3, 4], [5, 6]] and ss.tolist() == [b"b", b"c"]
        assert sess.run(q.size()) == 0


@pytest.mark.usefixtures("g")
def test_closed_queue_drains_then_raises_out_of_range_as_tf1():
    q = tf.FIFOQueue(10, tf.int32, shapes=[[]])
    enq = q.enqueue_many([[1, 2, 3]])
    with tf.Session() as sess:
        sess.run(enq)
        assert not sess.run(q.is_closed())
        sess.run(q.close())
        assert sess.run(q.is_closed())
        with pytest.raises(tf.errors.CancelledError, match=r"FIFOQueue '_0_fifo_queue' is closed\."):
            sess.run(q.enqueue(7))
        with pytest.raises(tf.errors.OutOfRangeError, match=r"requested 5, current size 3"):
            sess.run(q.dequeue_many(5))
        assert sess.run(q.dequeue_up_to(2)).tolist() == [1, 2]
        assert sess.run(q.dequeue_up_to(2)).tolist() == [3]
        with pytest.raises(tf.errors.OutOfRangeError) as info:
            sess.run(q.dequeue())
    assert str(info.value).startswith("FIFOQueue '_0_fifo_queue' is closed and has insufficient elements "
                                      "(requested 1, current size 0)")


@pytest.mark.usefixtures("g")
def test_blocking_dequeue_waits_for_an_enqueue_from_another_thread():
    q = tf.FIFOQueue(2, tf.float32, shapes=[[]])
    x = tf.placeholder(tf.float32, [])
    enq, deq = q.enqueue(x), q.dequeue()
    with tf.Session() as sess:
        waiting = _Background(lambda: sess.run(deq))
        assert not waiting.done(0.1)
        sess.run(enq, {x: 4.5})
        assert waiting.result() == 4.5


@pytest.mark.usefixtures("g")
def test_full_queue_blocks_enqueue_until_cancelled():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    second = q.enqueue(2)  # built here: the default graph is the test thread's
    with tf.Session() as sess:
        sess.run(q.enqueue(1))
        blocked = _Background(lambda: sess.run(second))
        assert not blocked.done(0.1)
        sess.run(q.close())  # without cancel_pending_enqueues the pending enqueue keeps waiting
        assert not blocked.done(0.1)
        sess.run(q.close(cancel_pending_enqueues=True))
        with pytest.raises(tf.errors.CancelledError, match="Enqueue operation was cancelled"):
            blocked.result()
        assert sess.run(q.dequeue()) == 1


@pytest.mark.usefixtures("g")
def test_pending_enqueue_completes_when_space_frees():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    second = q.enqueue(2)  # built here: the default graph is the test thread's
    with tf.Session() as sess:
        sess.run(q.enqueue(1))
        blocked = _Background(lambda: sess.run(second))
        assert sess.run(q.dequeue()) == 1
        blocked.result()
        assert sess.run(q.dequeue()) == 2


@pytest.mark.usefixtures("g")
def test_session_close_cancels_a_blocked_dequeue():
    q = tf.FIFOQueue(1, tf.int32, shapes=[[]])
    deq = q.dequeue()
    sess = tf.Session()
    blocked = _Background(lambda: sess.run(deq))
    assert not blocked.done(0.1)
    sess.close()
    with pytest.raises(tf.errors.CancelledError):
        blocked.result()


@pytest.mark.usefixtures("g")
def test_each_session_has_its_own_queues_and_shared_names_share_one():
    q = tf.FIFOQueue(5, tf.int32, shapes=[[]], shared_name="shared")
    other = tf.FIFOQueue(5, tf.int32, shapes=[[]], shared_name="shared", name="other")
    enq = q.enqueue(3)
    with tf.Session() as a, tf.Session() as b:
        a.run(enq)
        assert a.run(q.size()) == 1 and b.run(q.size()) == 0
        assert a.run(other.dequeue()) == 3  # same shared_name in one session: one queue


@pytest.mark.usefixtures("g")
def test_random_shuffle_queue_is_seeded_and_shuffles():
    q = tf.RandomShuffleQueue(50, 0, tf.int32, shapes=[[]], seed=7)
    enq, close, deq = q.enqueue_many([np.arange(30, dtype=np.int32)]), q.close(), q.dequeue_up_to(30)
    runs = []
    for _ in range(2):
        with tf.Session() as sess:
            sess.run([enq])
            sess.run(close)
            runs.append(sess.run(deq).tolist())
    assert runs[0] == runs[1] and sorted(runs[0]) == list(range(30)) and runs[0] != list(range(30))


@pytest.mark.usefixtures("g")
def test_random_shuffle_queue_keeps_min_after_dequeue_until_closed():
    q = tf.RandomShuffleQueue(10, 3, tf.int32, shapes=[[]], seed=1)
    deq = q.dequeue()
    with tf.Session() as sess:
        sess.run(q.enqueue_many([[1, 2, 3, 4]]))
        first = sess.run(deq)
        assert sess.run(q.size()) == 3
        waiting = _Background(lambda: sess.run(deq))
        assert not waiting.done(0.1)  # 3 left: a dequeue would go below min_after_dequeue
        sess.run(q.close())
        rest = [waiting.result()] + sess.run(q.dequeue_many(2)).tolist()
        assert sorted([first] + rest) == [1, 2, 3, 4]
        with pytest.raises(tf.errors.OutOfRangeError, match="RandomShuffleQueue '_0_random_shuffle_queue' is closed"):
            sess.run(deq)


@pytest.mark.usefixtures("g")
def test_padding_fifo_queue_pads_each_batch_to_its_longest():
    q = tf.PaddingFIFOQueue(5, [tf.int32, tf.string], shapes=[[None], [None]])
    x, s = tf.placeholder(tf.int32, [None]), tf.placeholder(tf.string, [None])
    enq = q.enqueue([x, s])
    batch = q.dequeue_many(2)
    assert batch[0].shape.as_list() == [2, None]
    with tf.Session() as sess:
        sess.run(enq, {x: [1, 2, 3], s: ["a"]})
        sess.run(enq, {x: [4], s: ["b", "c"]})
        ints, strings = sess.run(batch)
    assert ints.tolist() == [[1, 2, 3], [4, 0, 0]] and strings.tolist() == [[b"a", b""], [b"b", b"c"]]
    with pytest.raises(ValueError, match="rank"):
        tf.PaddingFIFOQueue(5, [tf.int32], shapes=[tf.TensorShape(None)])


@pytest.mark.usefixtures("g")
def test_shapes_are_checked_when_built_and_when_run():
    q = tf.FIFOQueue(5, tf.int32, shapes=[[2]])
    with pytest.raises(ValueError):
        q.enqueue([[1, 2, 3]])
    x = tf.placeholder(tf.int32)
    enq = q.enqueue(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Shape mismatch in tuple component 0. "
                                                                  r"Expected \[2\], got \[3\]"):
            sess.run(enq, {x: [1, 2, 3]})


@pytest.mark.usefixtures("g")
def test_names_enqueue_and_dequeue_dicts_and_tf1_node_names():
    q = tf.FIFOQueue(5, [tf.int32, tf.float32], shapes=[[], []], names=["a", "b"])
    enq = q.enqueue({"a": 1, "b": 2.0})
    out = q.dequeue()
    assert q.names == ["a", "b"] and q.name == "fifo_queue" and enq.name == "fifo_queue_enqueue"
    assert out["a"].op.name == "fifo_queue_Dequeue" and q.size().op.name == "fifo_queue_Size"
    with pytest.raises(ValueError, match="dictionary"):
        q.enqueue([1, 2.0])
    with tf.Session() as sess:
        sess.run(enq)
        assert sess.run(out) == {"a": 1, "b": 2.0}


@pytest.mark.usefixtures("g")
def test_count_up_to_counts_then_raises_out_of_range():
    v = tf.Variable(np.int64(0))
    step = v.count_up_to(2)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert [sess.run(step), sess.run(step)] == [0, 1]
        with pytest.raises(tf.errors.OutOfRangeError, match="Reached limit of 2"):
            sess.run(step)
        assert sess.run(v) == 2


# ---- readers ---------------------------------------------------------------------------------
def _file_queue(paths):
    q = tf.FIFOQueue(len(paths), tf.string, shapes=[[]])
    return q, [q.enqueue_many([[str(p) for p in paths]]), q.close()]


@pytest.mark.usefixtures("g")
def test_text_line_reader_skips_headers_and_moves_through_files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(b"h\n1,2\n3,4\n")
    b.write_bytes(b"h\r\n5,6")
    q, fill = _file_queue([a, b])
    reader = tf.TextLineReader(skip_header_lines=1)
    key, value = reader.read(q)
    produced = reader.num_records_produced()
    with tf.Session() as sess:
        sess.run(fill[0]), sess.run(fill[1])
        got = [sess.run([key, value]) for _ in range(3)]
        with pytest.raises(tf.errors.OutOfRangeError, match="is closed and has insufficient elements"):
            sess.run(value)
        assert sess.run(produced) == 3
        assert sess.run(reader.num_work_units_completed()) == 2
        sess.run(reader.reset())
        assert sess.run(produced) == 0
    assert got == [[f"{a}:2".encode(), b"1,2"], [f"{a}:3".encode(), b"3,4"], [f"{b}:2".encode(), b"5,6"]]


@pytest.mark.usefixtures("g")
def test_tfrecord_fixed_length_and_whole_file_readers(tmp_path):
    rec = tmp_path / "r.tfrecord"
    with tf.python_io.TFRecordWriter(str(rec)) as w:
        for r in (b"one", b"three"):
            w.write(r)
    fixed = tmp_path / "f.bin"
    fixed.write_bytes(b"HDR" + b"aabbcc" + b"F")
    rq, rfill = _file_queue([rec])
    fq, ffill = _file_queue([fixed])
    wq, wfill = _file_queue([fixed])
    keys, values = tf.TFRecordReader().read_up_to(rq, 10)
    fkeys, fvalues = tf.FixedLengthRecordReader(2, header_bytes=3, footer_bytes=1).read_up_to(fq, 10)
    wkey, wvalue = tf.WholeFileReader().read(wq)
    assert keys.shape.as_list() == [None] and wkey.shape.as_list() == []
    with tf.Session() as sess:
        sess.run(rfill + ffill + wfill)
        assert sess.run(values).tolist() == [b"one", b"three"]
        assert sess.run(fvalues).tolist() == [b"aa", b"bb", b"cc"]
        assert sess.run(wvalue) == b"HDRaabbccF"
    with tf.Session() as sess:
        sess.run(rfill + ffill + wfill)
        k, _ = sess.run([keys, values])
        fk = sess.run(fkeys)
        assert sess.run(wkey) == str(fixed).encode()
    assert k.tolist() == [f"{rec}:0".encode(), f"{rec}:19".encode()]  # byte offsets: 12 + 3 + 4 after the first
    assert fk.tolist() == [f"{fixed}:{i}".encode() for i in range(3)]


_TF_QUEUE_GRAPH = """
import json, sys
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
q = tf.FIFOQueue(10, [tf.int32, tf.string], shapes=[[2], []])
q.enqueue_many([[[1, 2], [3, 4]], ["a", "b"]])
q.dequeue_many(2, name="deq")
tf.PaddingFIFOQueue(5, [tf.int32], shapes=[[None]])
tf.TextLineReader(skip_header_lines=1).read(tf.FIFOQueue(2, tf.string, name="files"))
tf.FixedLengthRecordReader(4), tf.TFRecordReader(), tf.WholeFileReader()
tf.Variable(0, name="v").count_up_to(3)
tf.train.string_input_producer(["x"], num_epochs=1)
tf.train.shuffle_batch([tf.constant(1)], 4, 10, 2)
with open(sys.argv[1], "wb") as f:
    f.write(tf.get_default_graph().as_graph_def().SerializeToString())
print(json.dumps(sorted({n.op for n in tf.get_default_graph().as_graph_def().node})))
"""


@pytest.mark.interop
def test_tensorflows_queue_graph_imports_and_runs(tf_python, tmp_path):
    path = tmp_path / "queues.pb"
    op_types = run_tensorflow(tf_python, _TF_QUEUE_GRAPH, path)
    assert {"FIFOQueueV2", "QueueDequeueManyV2", "TextLineReaderV2", "ReaderReadV2", "CountUpTo"} <= set(op_types)
    graph_def = graph_pb2.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    with tf.Graph().as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session() as sess:
            sess.run("fifo_queue_EnqueueMany")
            ints, strings = sess.run(["deq:0", "deq:1"])
            sess.run("v/Assign")
            counts = [sess.run("CountUpTo:0") for _ in range(3)]
    assert ints.tolist() == [[1, 2], [3, 4]] and strings.tolist() == [b"a", b"b"] and counts == [0, 1, 2]
