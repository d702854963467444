"""The servable manager: version policies, hot swap under load, broken versions, warmup."""

import os
import threading
import time

import numpy as np
import pytest

from estflow.core.graph_io import make_tensor_proto
from estflow.core.record_io import encode_record
from estflow.model_server import errors
from estflow.model_server.manager import (
    ServableManager,
    aspired_versions,
    load_servable,
    parse_model_server_config,
    single_model_config,
    version_folders,
)
from estflow.model_server.protos import get_model_status_pb2, prediction_log_pb2
from estflow.model_server.warmup import warmup_path
from tests.model_server.conftest import Rest, write_versions

AVAILABLE = get_model_status_pb2.ModelVersionStatus.AVAILABLE
END = get_model_status_pb2.ModelVersionStatus.END


def _config(policy_text: str):
    return parse_model_server_config(f"""
model_config_list {{ config {{ name: "m" base_path: "/nowhere" {policy_text} }} }}""").model_config_list.config[0]


def test_version_policies():
    found = [1, 3, 20, 1700000000]
    assert aspired_versions(_config(""), found) == [1700000000]
    assert aspired_versions(_config("model_version_policy { latest { num_versions: 2 } }"), found) == [20, 1700000000]
    assert aspired_versions(_config("model_version_policy { all {} }"), found) == found
    assert aspired_versions(_config("model_version_policy { specific { versions: 3 versions: 4 } }"), found) == [3]
    assert aspired_versions(_config(""), []) == []


def test_version_folders_are_numbered_directories(tmp_path):
    for name in ("3", "12", "1700000000", "tmp-4", "README"):
        (tmp_path / name).mkdir()
    (tmp_path / "7").write_text("a file, not a version")
    assert version_folders(str(tmp_path)) == [3, 12, 1700000000]
    assert version_folders(str(tmp_path / "missing")) == []


def _status(manager, name="m"):
    return [(s.version, s.state, s.status.error_code) for s in manager.version_status(name)]


def test_broken_new_version_keeps_the_old_one_serving(tmp_path):
    base = str(tmp_path / "m")
    write_versions(base, [1])
    manager = ServableManager(single_model_config("m", base), poll_wait_seconds=0, )
    try:
        assert manager.wait_until_idle(30)
        write_versions(base, [2], broken=[2])
        manager.poll()
        assert manager.wait_until_idle(30)
        statuses = manager.version_status("m")
        assert [(s.version, s.state) for s in statuses] == [(2, END), (1, AVAILABLE)]
        assert statuses[0].status.error_code != 0 and "corrupt" in statuses[0].status.error_message
        servable = manager.acquire("m")
        assert servable.version == 1
        servable.release()
        with pytest.raises(errors.ServingError) as e:
            manager.acquire("m", version=2)
        assert e.value.code == errors.NOT_FOUND
        # a fixed version 3 replaces 1; the failed 2 is not retried before load_retry_interval (60 s)
        write_versions(base, [3])
        manager.poll()
        assert manager.wait_until_idle(30)
        assert [(v, s) for v, s, _ in _status(manager)] == [(3, AVAILABLE), (2, END), (1, END)]
    finally:
        manager.stop()


def test_unload_waits_for_requests_in_flight(tmp_path):
    base = str(tmp_path / "m")
    write_versions(base, [1])
    manager = ServableManager(single_model_config("m", base), poll_wait_seconds=0, )
    try:
        assert manager.wait_until_idle(30)
        held = manager.acquire("m")
        write_versions(base, [2])
        manager.poll()
        deadline = time.monotonic() + 30
        while _status(manager)[0][1] != AVAILABLE and time.monotonic() < deadline:
            time.sleep(0.01)
        # version 2 serves new requests; version 1 is unloading, still answering the request holding it
        new = manager.acquire("m")
        assert new.version == 2
        new.release()
        while _status(manager)[1][1] == AVAILABLE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _status(manager)[1][:2] == (1, get_model_status_pb2.ModelVersionStatus.UNLOADING)
        out = held.run("serving_default", {"x": np.ones([1, 2], np.float32)}, ("y",))
        assert out["y"].tolist() == [4.0]
        held.release()
        deadline = time.monotonic() + 30
        while _status(manager)[1][1] != END and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [(v, s) for v, s, _ in _status(manager)] == [(2, AVAILABLE), (1, END)]
    finally:
        manager.stop()


def test_version_swap_under_load_fails_no_request(tmp_path, start_server):
    base = str(tmp_path / "m")
    write_versions(base, [1])

    def slow_loader(name, version, path):
        time.sleep(0.3)  # a load that takes a while: requests keep arriving meanwhile
        return load_servable(name, version, path)

    server = start_server(model_name="m", model_base_path=base, file_system_poll_wait_seconds=0.05,
                          loader=slow_loader)
    seen, failures = [], []
    stop = threading.Event()

    def client():
        rest = Rest(server.rest_api_port)
        try:
            for _ in range(20000):  # bounded; the swap happens well before
                if stop.is_set():
                    break
                status, doc = rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})
                if status != 200:
                    failures.append((status, doc))
                else:
                    seen.append(doc["predictions"][0]["y"] - 5.0)
        except Exception as e:  # noqa: BLE001 - a dropped connection is a failed request too
            failures.append(repr(e))
        finally:
            rest.close()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    write_versions(base, [2])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and seen.count(2.0) < 50:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    assert not failures
    assert 1.0 in seen and 2.0 in seen
    first_two = seen.index(2.0)
    assert set(seen[:first_two]) == {1.0}
    server.manager.wait_until_idle(30)
    server.manager.poll()
    assert [(v, s) for v, s, _ in _status(server.manager)] == [(2, AVAILABLE), (1, END)]


def _warmup_file(export_dir, requests):
    os.makedirs(os.path.dirname(warmup_path(export_dir)), exist_ok=True)
    with open(warmup_path(export_dir), "wb") as f:
        for request in requests:
            log = prediction_log_pb2.PredictionLog()
            log.predict_log.request.CopyFrom(request)
            f.write(encode_record(log.SerializeToString()))


def _predict_request(alias="x"):
    log = prediction_log_pb2.PredictionLog()
    request = log.predict_log.request
    request.model_spec.name = "m"
    request.inputs[alias].CopyFrom(make_tensor_proto(np.ones([3, 2], np.float32)))
    return request


def test_warmup_requests_run_before_the_version_serves(tmp_path):
    base = str(tmp_path / "m")
    write_versions(base, [1])
    _warmup_file(os.path.join(base, "1"), [_predict_request(), _predict_request()])
    runs = []

    def counting_loader(name, version, path):
        servable = load_servable(name, version, path)
        original = servable.run_direct
        servable.run_direct = lambda *a: (runs.append(a[2]), original(*a))[1]
        return servable

    manager = ServableManager(single_model_config("m", base), poll_wait_seconds=0, loader=counting_loader)
    try:
        assert manager.wait_until_idle(30)
        assert len(runs) == 2
        assert _status(manager) == [(1, AVAILABLE, 0)]
    finally:
        manager.stop()


def test_failing_warmup_fails_the_load(tmp_path):
    base = str(tmp_path / "m")
    write_versions(base, [1])
    _warmup_file(os.path.join(base, "1"), [_predict_request(alias="nope")])
    manager = ServableManager(single_model_config("m", base), poll_wait_seconds=0, )
    try:
        assert manager.wait_until_idle(30)
        (status,) = manager.version_status("m")
        assert status.state == END and "nope" in status.status.error_message
        with pytest.raises(errors.ServingError) as e:
            manager.acquire("m")
        assert e.value.code == errors.UNAVAILABLE
    finally:
        manager.stop()


def test_config_errors():
    with pytest.raises(errors.ServingError, match="multiple times"):
        ServableManager(parse_model_server_config(
            'model_config_list { config { name: "a" base_path: "/x" } config { name: "a" base_path: "/y" } }'))
    with pytest.raises(errors.ServingError, match="platform"):
        ServableManager(parse_model_server_config(
            'model_config_list { config { name: "a" base_path: "/x" model_platform: "pytorch" } }'))


def test_a_failed_load_is_retried_until_max_num_load_retries(tmp_path):
    base = str(tmp_path / "m")
    write_versions(base, [1], broken=[1])
    manager = ServableManager(single_model_config("m", base), poll_wait_seconds=0, max_num_load_retries=1,
                              load_retry_interval_seconds=0)
    try:
        assert manager.wait_until_idle(30)
        manager.poll()  # the one retry
        assert manager.wait_until_idle(30)
        manager.poll()  # no more
        assert manager.wait_until_idle(30)
        assert _status(manager)[0][:2] == (1, END)
        # its retries used up, this manager leaves it failed even once fixed; a new one (a restart) loads it
        os.remove(os.path.join(base, "1", "saved_model.pb"))
        os.rmdir(os.path.join(base, "1"))
        write_versions(base, [1])
        manager.poll()
        assert manager.wait_until_idle(30)
        assert _status(manager)[0][:2] == (1, END)
    finally:
        manager.stop()
    fixed = ServableManager(single_model_config("m", base), poll_wait_seconds=0)
    try:
        assert fixed.wait_until_idle(30)
        assert _status(fixed) == [(1, AVAILABLE, 0)]
    finally:
        fixed.stop()


def test_a_version_fixed_in_place_loads_at_a_retry(tmp_path):
    base = str(tmp_path / "m")
    write_versions(base, [1], broken=[1])
    manager = ServableManager(single_model_config("m", base), poll_wait_seconds=0, load_retry_interval_seconds=0)
    try:
        assert manager.wait_until_idle(30)
        assert _status(manager)[0][:2] == (1, END)
        os.remove(os.path.join(base, "1", "saved_model.pb"))
        os.rmdir(os.path.join(base, "1"))
        write_versions(base, [1])
        manager.poll()
        assert manager.wait_until_idle(30)
        assert _status(manager) == [(1, AVAILABLE, 0)]
    finally:
        manager.stop()
