"""TF1's queue-based input pipelines (estflow/library/input.py): producers, epochs in local variables,
readers feeding batchers, to the end of their epochs. Bounded waits only: every pipeline has a
finite number of epochs, and coord.join has a grace period."""

import numpy as np
import pytest

import estflow as tf

GRACE = 20


def _drain(sess, fetch):
    """Every value `fetch` yields until OutOfRangeError (the pipelines here all end)."""
    out = []
    while True:
        try:
            out.append(sess.run(fetch))
        except tf.errors.OutOfRangeError:
            return out


def _run_pipeline(fetch):
    with tf.Session() as sess:
        sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()])
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            return _drain(sess, fetch)
        finally:
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=GRACE)


def _write_examples(path, values):
    with tf.python_io.TFRecordWriter(str(path)) as w:
        for i in values:
            features = {"x": tf.train.Feature(int64_list=tf.train.Int64List(value=[i])),
                        "y": tf.train.Feature(float_list=tf.train.FloatList(value=[i / 2, -i]))}
            w.write(tf.train.Example(features=tf.train.Features(feature=features)).SerializeToString())


@pytest.mark.usefixtures("g")
def test_tfrecord_queue_pipeline_reads_to_the_end_of_its_epochs(tmp_path):
    files = [tmp_path / "a.tfrecord", tmp_path / "b.tfrecord"]
    _write_examples(files[0], range(0, 7))
    _write_examples(files[1], range(7, 12))
    filename_queue = tf.train.string_input_producer([str(f) for f in files], num_epochs=2, seed=3)
    _, record = tf.TFRecordReader().read(filename_queue)
    example = tf.parse_single_example(record, {"x": tf.FixedLenFeature([], tf.int64),
                                               "y": tf.FixedLenFeature([2], tf.float32)})
    batch = tf.train.shuffle_batch(example, batch_size=5, capacity=20, min_after_dequeue=4, num_threads=2, seed=1,
                                   allow_smaller_final_batch=True)
    assert batch["y"].shape.as_list() == [None, 2]
    local_names = [v.op.name for v in tf.local_variables()]
    assert local_names == ["input_producer/limit_epochs/epochs"]
    batches = _run_pipeline(batch)
    xs = [int(x) for b in batches for x in b["x"]]
    assert sorted(xs) == sorted(list(range(12)) * 2)  # every record of both files, twice
    assert xs != sorted(xs)
    for b in batches:
        np.testing.assert_allclose(b["y"], np.stack([b["x"] / 2, -b["x"]], axis=1))
    assert [len(b["x"]) for b in batches] == [5, 5, 5, 5, 4]


@pytest.mark.usefixtures("g")
def test_csv_pipeline_with_text_line_reader_and_batch(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i * 10}.5,{i % 2}\n" for i in range(9)))
    filename_queue = tf.train.string_input_producer([str(path)], num_epochs=1, shuffle=False)
    _, line = tf.TextLineReader(skip_header_lines=1).read(filename_queue)
    a, b, label = tf.decode_csv(line, record_defaults=[[0], [0.0], [0]])
    batch = tf.train.batch([a, b, label], batch_size=4, allow_smaller_final_batch=True)
    batches = _run_pipeline(batch)
    assert [x.tolist() for x, _, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]
    np.testing.assert_allclose(np.concatenate([y for _, y, _ in batches]), np.arange(9) * 10 + 0.5)


@pytest.mark.usefixtures("g")
def test_batch_without_smaller_final_batch_drops_the_rest_and_has_static_shapes():
    [x] = tf.train.slice_input_producer([tf.constant(np.arange(10))], num_epochs=1, shuffle=False)
    batch = tf.train.batch([x], batch_size=4)
    assert batch[0].shape.as_list() == [4]
    assert [b[0].tolist() for b in _run_pipeline(batch)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.usefixtures("g")
def test_slice_input_producer_keeps_rows_together():
    features, labels = np.arange(12).reshape(6, 2), np.arange(6) * 100
    row = tf.train.slice_input_producer([tf.constant(features), tf.constant(labels)], num_epochs=2, seed=4)
    rows = _run_pipeline(row)
    assert len(rows) == 12 and all(lab == f[0] * 50 for f, lab in rows)
    assert sorted(int(lab) for _, lab in rows) == sorted(labels.tolist() * 2)


@pytest.mark.usefixtures("g")
def test_range_input_producer_and_enqueue_many_batch():
    q = tf.train.range_input_producer(5, num_epochs=1, shuffle=False)
    assert q.dequeue().dtype == tf.int32
    batch = tf.train.batch([q.dequeue_many(5)], batch_size=5, enqueue_many=True)
    assert [b[0].tolist() for b in _run_pipeline(batch)] == [[0, 1, 2, 3, 4]]


@pytest.mark.usefixtures("g")
def test_batch_dynamic_pad_pads_variable_length_elements():
    q = tf.train.range_input_producer(4, num_epochs=1, shuffle=False)
    n = q.dequeue()
    seq = tf.range(n + 1)
    batch = tf.train.batch({"seq": seq, "n": n}, batch_size=2, dynamic_pad=True)
    assert batch["seq"].shape.as_list() == [2, None]
    out = _run_pipeline(batch)
    assert [b["seq"].tolist() for b in out] == [[[0, 0], [0, 1]], [[0, 1, 2, 0], [0, 1, 2, 3]]]


@pytest.mark.usefixtures("g")
def test_batch_join_and_shuffle_batch_join_take_every_list():
    a = tf.train.limit_epochs(tf.constant(1), num_epochs=3)
    b = tf.train.limit_epochs(tf.constant(2), num_epochs=3)
    joined = tf.train.batch_join([[a], [b]], batch_size=2, allow_smaller_final_batch=True)
    assert len(tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)[0].enqueue_ops) == 2
    values = [v for batch in _run_pipeline(joined) for v in batch[0].tolist()]
    assert sorted(values) == [1, 1, 1, 2, 2, 2]


@pytest.mark.usefixtures("g")
def test_shuffle_batch_join_and_maybe_batch():
    a = tf.train.limit_epochs(tf.constant([1, 2, 3]), num_epochs=2)
    b = tf.train.limit_epochs(tf.constant([4, 5, 6]), num_epochs=2)
    shuffled = tf.train.shuffle_batch_join([[a], [b]], batch_size=4, capacity=12, min_after_dequeue=2, seed=5,
                                           enqueue_many=True, allow_smaller_final_batch=True)
    values = [v for batch in _run_pipeline(shuffled) for v in batch[0].tolist()]
    assert sorted(values) == sorted([1, 2, 3, 4, 5, 6] * 2)


@pytest.mark.usefixtures("g")
def test_maybe_batch_keeps_the_elements_where_keep_input_is_true():
    q = tf.train.range_input_producer(8, num_epochs=1, shuffle=False)
    n = q.dequeue()
    kept = tf.train.maybe_batch([n], keep_input=tf.equal(n % 2, 0), batch_size=2, allow_smaller_final_batch=True)
    assert [b[0].tolist() for b in _run_pipeline(kept)] == [[0, 2], [4, 6]]


@pytest.mark.usefixtures("g")
def test_producers_check_their_input_and_add_summaries():
    with pytest.raises(ValueError, match="non-null"):
        tf.train.string_input_producer([])
    with pytest.raises(ValueError, match="num_epochs must be > 0"):
        tf.train.limit_epochs(tf.constant(1), num_epochs=0)
    q = tf.train.string_input_producer(["a"], capacity=8)
    assert q.name == "input_producer" and q.queue_ref.op.type == "FIFOQueueV2"
    tags = [s.op.name for s in tf.get_collection(tf.GraphKeys.SUMMARIES)]
    assert tags == ["input_producer/fraction_of_8_full"]  # TF1's node name and tag
    with tf.Session() as sess:
        tf.train.start_queue_runners(sess)  # shuffle, forever: fills the queue to capacity
        assert sess.run(q.dequeue()) == b"a"


def test_monitored_training_session_starts_queue_runners_and_stops_at_the_end(tmp_path):
    with tf.Graph().as_default():
        [x] = tf.train.slice_input_producer([tf.constant(np.arange(6, dtype=np.float32))], num_epochs=2,
                                           shuffle=False)
        batch = tf.train.batch([x], batch_size=3)
        total = tf.Variable(0.0, name="total")
        step = tf.train.get_or_create_global_step()
        train = tf.group(tf.assign_add(total, tf.reduce_sum(batch[0])), tf.assign_add(step, 1))
        steps = 0
        with tf.train.MonitoredTrainingSession(checkpoint_dir=str(tmp_path), save_summaries_steps=None,
                                               save_checkpoint_secs=None, stop_grace_period_secs=GRACE) as sess:
            while not sess.should_stop():
                sess.run(train)
                steps += 1
            # the with block ends on OutOfRangeError (swallowed by the session's __exit__)
        assert steps == 4
