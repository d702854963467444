"""Server-side batching: concurrent requests share one run, each caller gets its own rows."""

import threading
import time

import numpy as np
import pytest

from estflow.model_server import errors
from estflow.model_server.batching import Batcher, BatchingOptions
from tests.model_server.conftest import Rest, write_versions
from tests.model_server.models import expected_y


class _Recorder:
    """A run_fn that records each batch's row count and answers row i with rows of 10 * x."""

    def __init__(self, delay=0.0):
        self.sizes = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, signature_key, feeds, fetch_aliases):
        x = feeds["x"]
        with self.lock:
            self.sizes.append(x.shape[0])
        time.sleep(self.delay)
        return {"y": x * 10, "first": x[:, :1]}


def _submit_all(batcher, inputs):
    results, threads = [None] * len(inputs), []

    def call(i):
        results[i] = batcher.submit("sig", {"x": inputs[i]}, ("y", "first")).result(timeout=30)

    for i in range(len(inputs)):
        threads.append(threading.Thread(target=call, args=(i,)))
        threads[-1].start()
    for t in threads:
        t.join()
    return results


def test_each_caller_gets_its_own_rows_from_a_shared_padded_batch():
    run = _Recorder()
    options = BatchingOptions(max_batch_size=8, batch_timeout_micros=200_000, allowed_batch_sizes=[2, 4, 8],
                              num_batch_threads=1)
    batcher = Batcher(run, options)
    try:
        inputs = [np.full([1 + i % 2, 3], i, np.float32) for i in range(5)]  # 1,2,1,2,1 rows: 7 in all
        results = _submit_all(batcher, inputs)
    finally:
        batcher.stop()
    for x, out in zip(inputs, results):
        np.testing.assert_array_equal(out["y"], x * 10)
        np.testing.assert_array_equal(out["first"], x[:, :1])
    assert sum(run.sizes) >= 7 and all(s in (2, 4, 8) for s in run.sizes)
    assert len(run.sizes) < len(inputs)  # some requests shared a run


def test_full_batches_close_at_max_batch_size():
    run = _Recorder()
    batcher = Batcher(run, BatchingOptions(max_batch_size=4, batch_timeout_micros=5_000_000, num_batch_threads=1))
    try:
        results = _submit_all(batcher, [np.full([2, 1], i, np.float32) for i in range(4)])
    finally:
        batcher.stop()
    assert sorted(run.sizes) == [4, 4]  # full batches run without waiting 5 s
    assert [r["y"][0, 0] for r in results] == [0, 10, 20, 30]


def test_task_errors():
    run = _Recorder()
    batcher = Batcher(run, BatchingOptions(max_batch_size=4, num_batch_threads=1))
    try:
        with pytest.raises(errors.ServingError, match="larger than maximum batch size"):
            batcher.submit("sig", {"x": np.zeros([5, 1])}, ("y",))
        with pytest.raises(errors.ServingError, match="equal 0th-dimension"):
            batcher.submit("sig", {"x": np.zeros([2, 1]), "z": np.zeros([3])}, ("y",))
        with pytest.raises(errors.ServingError, match="scalar"):
            batcher.submit("sig", {"x": np.float32(1)}, ("y",))
    finally:
        batcher.stop()


def test_a_failing_run_fails_every_caller_of_the_batch():
    def boom(signature_key, feeds, fetch_aliases):
        raise errors.ServingError(errors.INVALID_ARGUMENT, "bad batch")

    batcher = Batcher(boom, BatchingOptions(max_batch_size=4, batch_timeout_micros=100_000, num_batch_threads=1))
    try:
        futures = [batcher.submit("sig", {"x": np.zeros([1, 1])}, ("y",)) for _ in range(3)]
        for f in futures:
            with pytest.raises(errors.ServingError, match="bad batch"):
                f.result(timeout=30)
    finally:
        batcher.stop()


def test_options_checked_as_tf_serving():
    with pytest.raises(ValueError, match="monotonically increasing"):
        BatchingOptions(max_batch_size=8, allowed_batch_sizes=[4, 2, 8])
    with pytest.raises(ValueError, match="must equal max_batch_size"):
        BatchingOptions(max_batch_size=8, allowed_batch_sizes=[2, 4])
    options = BatchingOptions.from_text("""
        max_batch_size { value: 16 }
        batch_timeout_micros { value: 1000 }
        num_batch_threads { value: 3 }
        allowed_batch_sizes: 4
        allowed_batch_sizes: 16
    """)
    assert (options.max_batch_size, options.batch_timeout_micros, options.num_batch_threads) == (16, 1000, 3)
    assert options.padded_size(1) == 4 and options.padded_size(5) == 16
    assert BatchingOptions.from_text("").max_batch_size == 1000


def test_batching_server_answers_every_concurrent_client_its_rows(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    params = tmp_path / "batching.config"
    params.write_text("max_batch_size { value: 8 }\nbatch_timeout_micros { value: 20000 }\n"
                      "num_batch_threads { value: 2 }\nallowed_batch_sizes: 4\nallowed_batch_sizes: 8\n")
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"), enable_batching=True,
                          batching_parameters_file=str(params))
    failures = []

    def client(i):
        rest = Rest(server.rest_api_port)
        try:
            for j in range(10):
                x = [[float(i), float(j)]] * (1 + (i + j) % 3)
                status, doc = rest.post("/v1/models/m:predict", {"instances": x})
                want = expected_y(x, 1).tolist()
                if status != 200 or [p["y"] for p in doc["predictions"]] != want:
                    failures.append((i, j, status, doc))
            status, doc = rest.post("/v1/models/m:regress", {"signature_name": "regression",
                                                             "examples": [{"x": [float(i), 1.0]}]})
            if status != 200 or doc["results"] != [i + 3.0]:
                failures.append((i, "regress", status, doc))
        finally:
            rest.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    rest = Rest(server.rest_api_port)
    status, doc = rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]] * 9})
    rest.close()
    assert status == 400 and "larger than maximum batch size 8" in doc["error"]
