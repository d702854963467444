"""ModelServer's life cycle: graceful stop with requests in flight, request timeouts, config reloads, flags."""

import threading
import time

import grpc
import numpy as np
import pytest

from estflow.core.graph_io import make_ndarray, make_tensor_proto
from estflow.model_server import ServerOptions, options_from_argv, serve
from estflow.model_server.manager import load_servable
from estflow.model_server.protos import predict_pb2, prediction_service_pb2_grpc
from tests.model_server.conftest import Rest, write_versions


def _slow_loader(seconds):
    def load(name, version, path):
        servable = load_servable(name, version, path)
        run = servable.run_direct

        def slow_run(*args):
            time.sleep(seconds)
            return run(*args)

        servable.run_direct = slow_run
        return servable
    return load


def test_stop_finishes_requests_in_flight(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"), loader=_slow_loader(0.5))
    results = {}

    def rest_client():
        rest = Rest(server.rest_api_port)
        results["rest"] = rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})
        rest.close()

    def grpc_client():
        request = predict_pb2.PredictRequest()
        request.model_spec.name = "m"
        request.inputs["x"].CopyFrom(make_tensor_proto(np.array([[1.0, 1.0]], np.float32)))
        with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
            response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(request, timeout=30)
        results["grpc"] = make_ndarray(response.outputs["y"]).tolist()

    threads = [threading.Thread(target=rest_client), threading.Thread(target=grpc_client)]
    for t in threads:
        t.start()
    time.sleep(0.25)  # both requests are running
    server.stop()
    for t in threads:
        t.join(30)
    assert results["rest"] == (200, {"predictions": [{"double": [3.0, 5.0], "y": 6.0}]})
    assert results["grpc"] == [4.0]
    with pytest.raises(OSError):
        Rest(server.rest_api_port).get("/v1/models/m")


def test_rest_timeout_answers_504_and_the_server_keeps_serving(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"), loader=_slow_loader(0.5),
                          rest_api_timeout_in_ms=100)
    rest = Rest(server.rest_api_port)
    status, doc = rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})
    assert status == 504 and "Deadline exceeded" in doc["error"]
    server.stop()
    rest.close()


def test_model_config_file_is_read_again(tmp_path):
    for name in ("a", "b"):
        write_versions(str(tmp_path / name), [1])
    config = tmp_path / "models.config"
    config.write_text(f'model_config_list {{ config {{ name: "a" base_path: "{tmp_path / "a"}" }} }}')
    options = ServerOptions(port=0, rest_api_port=0, host="127.0.0.1", model_config_file=str(config),
                            model_config_file_poll_wait_seconds=1, file_system_poll_wait_seconds=0)
    stop, started = threading.Event(), []
    thread = threading.Thread(target=serve, args=(options,), kwargs={"ready": started.append, "stop": stop})
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not started and time.monotonic() < deadline:
            time.sleep(0.02)
        server = started[0]
        assert server.manager.model_names() == ["a"]
        config.write_text(f'model_config_list {{ config {{ name: "b" base_path: "{tmp_path / "b"}" }} }}')
        while server.manager.model_names() != ["b"] and time.monotonic() < deadline:
            time.sleep(0.05)
        server.manager.wait_until_idle(30)
        rest = Rest(server.rest_api_port)
        assert rest.post("/v1/models/b:predict", {"instances": [[1.0, 2.0]]})[0] == 200
        assert rest.post("/v1/models/a:predict", {"instances": [[1.0, 2.0]]})[0] == 404
        rest.close()
    finally:
        stop.set()
        thread.join(60)


def test_flags_as_tf_serving():
    options = options_from_argv(["--model_name=m", "--model_base_path", "/models/m", "--port=9000",
                                 "--rest_api_port=8501", "--enable_batching", "--rest_api_num_threads=3",
                                 "--rest_api_timeout_in_ms=500", "--file_system_poll_wait_seconds=5",
                                 "--enable_model_warmup=false"])
    assert (options.model_name, options.model_base_path, options.port, options.rest_api_port) == (
        "m", "/models/m", 9000, 8501)
    assert options.enable_batching and not options.enable_model_warmup
    assert (options.rest_api_num_threads, options.rest_api_timeout_in_ms) == (3, 500)
    assert options.file_system_poll_wait_seconds == 5
    defaults = options_from_argv([])
    assert (defaults.port, defaults.rest_api_port, defaults.model_name) == (8500, None, "default")
    assert defaults.rest_api_timeout_in_ms == 30000 and defaults.file_system_poll_wait_seconds == 1
    with pytest.raises(ValueError, match="model_base_path"):
        defaults.model_server_config()


def test_a_port_in_use_fails_start_and_leaves_nothing_running(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    first = start_server(model_name="m", model_base_path=str(tmp_path / "m"))
    with pytest.raises(OSError):
        start_server(model_name="m", model_base_path=str(tmp_path / "m"), rest_api_port=first.rest_api_port)
    rest = Rest(first.rest_api_port)
    assert rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})[0] == 200
    rest.close()


def _blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pools = threadpoolctl.threadpool_info()
    blas = [p["num_threads"] for p in pools if p["user_api"] == "blas"]
    if not blas:
        pytest.skip("numpy's BLAS is not visible to threadpoolctl")
    return blas


def test_blas_runs_one_thread_per_request_while_serving_and_is_restored_after(tmp_path, start_server):
    # Concurrent requests each calling a multi-threaded BLAS oversubscribe the cores (OpenBLAS's threads
    # spin on each other): the server runs BLAS single-threaded per call, as TF Serving's intra-op default.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    write_versions(str(tmp_path / "m"), [1])
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        server = start_server(model_name="m", model_base_path=str(tmp_path / "m"))
        assert set(_blas_threads()) == {1}
        rest = Rest(server.rest_api_port)
        assert rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})[0] == 200
        rest.close()
        server.stop()
        assert _blas_threads() == before


def test_intra_op_parallelism_flag_sets_the_blas_threads(tmp_path, start_server):
    assert options_from_argv([]).tensorflow_intra_op_parallelism == 0
    assert options_from_argv(["--tensorflow_intra_op_parallelism=2"]).tensorflow_intra_op_parallelism == 2
    _blas_threads()
    write_versions(str(tmp_path / "m"), [1])
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"), tensorflow_intra_op_parallelism=2)
    assert set(_blas_threads()) == {2}
    server.stop()
