"""Pipelines produced by a worker process (estflow/data/worker.py): the same elements, errors and end."""

import os
import sys

import numpy as np
import pytest

import estflow as tf
from estflow.data import worker

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the worker process is forked (Linux)")


@pytest.fixture
def forks(monkeypatch):
    """Workers on (whatever the environment says), after 3 elements, whatever they save; the pids started."""
    started = []
    start = worker.start

    def spy(elements):
        running = start(elements)
        started.append(running.pid)
        return running

    monkeypatch.setattr(worker, "_ENABLED", True)
    monkeypatch.setattr(worker, "AFTER", 3)
    monkeypatch.setattr(worker, "SHARE", 0.0)  # whatever the pipeline costs beside its consumer
    monkeypatch.setattr(worker, "start", spy)
    return started


def _csv(tmp_path, rows=200, bad=()):
    path = tmp_path / "data.csv"
    lines = [f"{i},{i * 0.5},{'abc'[i % 3]}" if i not in bad else f"{i},not a number,x" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _census_like(path, seed=3):
    def parse(lines):
        a, b, c = tf.decode_csv(lines, record_defaults=[[0], [0.0], [""]])
        return {"a": a, "b": b, "c": c, "text": tf.as_string(a)}, tf.equal(c, "b")  # few distinct strings; many

    return tf.data.TextLineDataset(path).shuffle(50, seed=seed).repeat(2).batch(20).map(parse)


def _drain(dataset, limit=10_000):
    """Every outcome of get_next until the end: values, or (error class, message) where one raised."""
    out = []
    with tf.Graph().as_default():
        nxt = tf.data.make_one_shot_iterator(dataset).get_next()
        with tf.Session() as sess:
            for _ in range(limit):
                try:
                    out.append(sess.run(nxt))
                except tf.errors.OutOfRangeError:
                    out.append("end")
                    break
                except tf.errors.OpError as e:
                    out.append((type(e), e.message.split("\n")[0]))
    return out


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        if isinstance(x, tuple) and isinstance(x[0], type):
            assert x == y
        elif x == "end":
            assert y == "end"
        else:
            features, label = x
            assert {k: _bits(v) for k, v in features.items()} == {k: _bits(v) for k, v in y[0].items()}
            assert label.tobytes() == y[1].tobytes()


def _bits(v):
    return (v.dtype, v.shape, v.tolist() if v.dtype == object else v.tobytes())


def test_a_worker_gives_the_same_elements_in_the_same_order(tmp_path, forks, monkeypatch):
    path = _csv(tmp_path)
    with_worker = _drain(_census_like(path))
    assert len(forks) == 1
    monkeypatch.setattr(worker, "_ENABLED", False)
    _same(with_worker, _drain(_census_like(path)))
    assert len(forks) == 1 and with_worker[-1] == "end" and len(with_worker) == 400 // 20 + 1


def test_a_failing_element_raises_in_its_place_and_the_worker_goes_on(tmp_path, forks, monkeypatch):
    path = _csv(tmp_path, bad=(120, 121))

    def parse(lines):
        return tf.decode_csv(lines, record_defaults=[[0], [0.0], [""]])[:2]

    def dataset():
        return tf.data.TextLineDataset(path).batch(10).map(parse)

    with_worker = _drain(dataset())
    assert forks and [type(x) for x in with_worker].count(tuple) == 20 and with_worker[-1] == "end"  # 19 + the error
    monkeypatch.setattr(worker, "_ENABLED", False)
    plain = _drain(dataset())
    assert len(plain) == len(with_worker)
    for x, y in zip(with_worker, plain, strict=True):
        if isinstance(x, tuple) and isinstance(x[0], type):
            assert x == y and x[0] is tf.errors.InvalidArgumentError
        elif x != "end":
            assert [v.tobytes() for v in x] == [v.tobytes() for v in y]


def test_an_error_that_stops_the_pipeline_is_raised_and_repeated(tmp_path, forks):
    path = _csv(tmp_path, rows=20)
    missing = str(tmp_path / "missing.csv")
    dataset = tf.data.TextLineDataset([path, missing]).batch(2)
    with tf.Graph().as_default():
        nxt = tf.data.make_one_shot_iterator(dataset).get_next()
        with tf.Session() as sess:
            for _ in range(10):
                assert sess.run(nxt).shape == (2,)
            for _ in range(2):
                with pytest.raises(tf.errors.NotFoundError):
                    sess.run(nxt)
    assert forks


@pytest.mark.parametrize("kind", ["random map", "generator", "inject_prefetch off", "no default optimizations"])
def test_pipelines_whose_elements_may_depend_on_the_session_stay_in_its_process(kind, forks):
    dataset = tf.data.Dataset.range(40)
    if kind == "random map":
        dataset = dataset.map(lambda x: tf.cast(x, tf.float32) + tf.random_uniform([]))
    elif kind == "generator":
        dataset = tf.data.Dataset.from_generator(lambda: iter(range(40)), tf.int64, [])
    else:
        options = tf.data.Options()
        if kind == "inject_prefetch off":
            options.experimental_optimization.inject_prefetch = False
        else:
            options.experimental_optimization.apply_default_optimizations = False
        dataset = dataset.with_options(options)
    assert not worker.eligible(dataset)
    assert len(_drain(dataset)) == 41
    assert not forks


def _ten_reads(tmp_path, during):
    """Read 10 lines of an endless file dataset in a session, then call `during()` before it closes."""
    dataset = tf.data.TextLineDataset(_csv(tmp_path)).repeat()
    with tf.Graph().as_default():
        nxt = tf.data.make_one_shot_iterator(dataset).get_next()
        with tf.Session() as sess:
            for _ in range(10):
                sess.run(nxt)
            during()


def test_closing_the_session_stops_the_worker(tmp_path, forks):
    _ten_reads(tmp_path, lambda: os.kill(forks[0], 0))  # running
    pid = forks[0]
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(pid, 0)


def test_reinitializing_an_iterator_starts_over_in_its_process(tmp_path, forks):
    dataset = tf.data.Dataset.range(30).map(lambda x: x * 2)
    with tf.Graph().as_default():
        it = tf.data.make_initializable_iterator(dataset)
        nxt = it.get_next()
        with tf.Session() as sess:
            for _ in range(2):
                sess.run(it.initializer)
                assert [int(sess.run(nxt)) for _ in range(30)] == list(range(0, 60, 2))
                with pytest.raises(tf.errors.OutOfRangeError):
                    sess.run(nxt)
    assert len(forks) == 2
    for pid in forks:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_sparse_and_string_components_cross_the_pipe(forks):
    dataset = tf.data.Dataset.from_tensor_slices(np.array([b"a,b", b"c", b""] * 10, dtype=object))
    dataset = dataset.map(lambda s: tf.string_split([s], ",")).repeat(2)
    with_worker = _drain(dataset)
    assert forks
    values = [v for v in with_worker if v != "end"]
    assert len(values) == 60
    assert [v.values.tolist() for v in values[:3]] == [[b"a", b"b"], [b"c"], []]
    assert values[34].dense_shape.tolist() == [1, 1] and values[35].values.tolist() == []


def test_the_blas_keeps_the_cores_a_worker_leaves_while_it_runs(tmp_path, forks):
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    if not before:
        pytest.skip("no BLAS library threadpoolctl can see")
    during = []
    _ten_reads(tmp_path, lambda: during.append(blas_threads()))
    assert forks and during == [[max(1, (os.cpu_count() or 2) - 1)] * len(before)]
    assert blas_threads() == before


def test_the_wire_rebuilds_every_component_and_interns_repeated_strings():
    import io

    from estflow.data.worker import _ELEMENT, _read_frame, _write_frame  # the wire format itself

    few = np.array([b"ab", b"c", b""] * 20, dtype=object).reshape(20, 3)
    many = np.array([str(i).encode() for i in range(40)], dtype=object)
    sparse = tf.SparseTensorValue(np.array([[0, 1]]), np.array([b"x"], dtype=object), np.array([1, 2]))
    element = [few, many, np.arange(6, dtype=np.int32).reshape(2, 3)[:, 1], np.full((), 2.5),
               np.zeros((0, 4), np.float32), np.array([True, False]), np.full(3, 1.5, dtype=tf.bfloat16.as_numpy_dtype),
               sparse]
    buffer = io.BytesIO()
    _write_frame(buffer, _ELEMENT, element)
    kind, back = _read_frame(io.BytesIO(buffer.getvalue()))
    assert kind == _ELEMENT and len(back) == len(element)
    for got, want in zip(back[:-1], element[:-1], strict=True):
        assert got.dtype == want.dtype and got.shape == want.shape and got.tolist() == want.tolist()
        assert got.flags.writeable
    assert back[0][0, 0] is back[0][1, 0]  # interned: one object per distinct value
    assert back[1][0] is not back[1][1] and back[1].tolist() == many.tolist()  # too many distinct values
    assert back[-1].values.tolist() == [b"x"] and back[-1].dense_shape.tolist() == [1, 2]


def test_a_worker_starts_only_where_producing_and_consuming_elements_both_take_a_share_of_the_time():
    decision = worker.Decision()
    for i in range(worker.AFTER):  # elements produced in 1 ms, requested every 20 ms (a heavy model step)
        decision.note(i, i * 0.021, i * 0.021 + 0.001)
    assert not decision.fork()
    decision = worker.Decision()
    for i in range(worker.AFTER):  # produced in 5 ms, requested 5 ms after the last came
        decision.note(i, i * 0.010, i * 0.010 + 0.005)
    assert decision.fork()
    decision = worker.Decision()
    for i in range(worker.AFTER):  # a loop that only reads: produced in 5 ms, requested again at once
        decision.note(i, i * 0.00501, i * 0.00501 + 0.005)
    assert not decision.fork()
    assert worker.Decision().fork()  # nothing measured (AFTER under 4): as before


def test_a_consumer_busy_between_requests_keeps_a_cheap_pipeline_in_its_process(monkeypatch, forks):
    import time

    monkeypatch.setattr(worker, "AFTER", 12)
    monkeypatch.setattr(worker, "SHARE", 0.5)
    dataset = tf.data.Dataset.range(100).batch(2)
    with tf.Graph().as_default():
        nxt = tf.data.make_one_shot_iterator(dataset).get_next()
        with tf.Session() as sess:
            for _ in range(20):
                sess.run(nxt)
                time.sleep(0.005)  # the model's step
    assert not forks


def test_the_wire_loads_no_class_outside_its_list():
    import io
    import os as os_module
    import pickle
    import struct

    from estflow.data.worker import _ELEMENT, _read_frame  # the wire format itself

    class Calls:  # a header whose loading would call os.getpid: refused before it runs
        def __reduce__(self):
            return (os_module.getpid, ())

    for payload in ((_ELEMENT, ([], [], 0, 0, Calls())), (1, ValueError("a built-in exception goes"))):
        header = pickle.dumps(payload)
        frame = io.BytesIO(struct.pack("<QQ", len(header), 0) + header)
        if payload[0] == _ELEMENT:
            with pytest.raises(pickle.UnpicklingError, match="posix.getpid|os.getpid"):
                _read_frame(frame)
        else:
            kind, error = _read_frame(frame)
            assert kind == 1 and isinstance(error, ValueError)


def test_an_error_of_a_class_the_wire_does_not_load_arrives_as_its_text():
    from estflow.data.worker import _portable, _rebuilt  # the wire format itself

    class PipelineError(Exception):
        pass

    error = _rebuilt(_portable(PipelineError("the third record")))
    assert isinstance(error, tf.errors.InternalError) and "PipelineError: the third record" in str(error)
    assert isinstance(_rebuilt(_portable(KeyError("k"))), KeyError)
