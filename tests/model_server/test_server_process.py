"""The server as its own process: `python -m estflow.model_server`, no estimator layer, graceful SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests import REPO
from tests.model_server.conftest import write_versions

_SERVE_AND_REPORT = r"""
import json, sys, urllib.request
from estflow.model_server import ModelServer, ServerOptions
opts = ServerOptions(port=0, rest_api_port=0, host="127.0.0.1", model_name="m", model_base_path=sys.argv[1],
                     file_system_poll_wait_seconds=0)
server = ModelServer(opts).start()
body = json.dumps({"instances": [[1.0, 2.0]]}).encode()
url = f"http://127.0.0.1:{server.rest_api_port}/v1/models/m:predict"
with urllib.request.urlopen(urllib.request.Request(url, data=body)) as r:
    answer = json.loads(r.read())
server.stop()
layers = sorted({m.split(".")[1] for m in sys.modules if m.startswith("estflow.") and m.count(".") >= 1})
print(json.dumps({"answer": answer, "layers": layers}))
"""


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_server_process_never_imports_the_estimator_layer(tmp_path):
    write_versions(str(tmp_path / "m"), [1])
    out = subprocess.run([sys.executable, "-c", _SERVE_AND_REPORT, str(tmp_path / "m")], capture_output=True,
                         text=True, timeout=120, env=_env(), cwd=REPO)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["answer"] == {"predictions": [{"double": [3.0, 5.0], "y": 6.0}]}
    for layer in ("estimators", "feature_columns", "hooks"):
        assert layer not in report["layers"], report["layers"]
    assert "serving" in report["layers"] and "model_server" in report["layers"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_line_serves_and_stops_gracefully_on_sigterm(tmp_path):
    write_versions(str(tmp_path / "m"), [3])
    rest_port, grpc_port = _free_port(), _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "estflow.model_server", "--model_name=m",
                             f"--model_base_path={tmp_path / 'm'}", "--port", str(grpc_port),
                             f"--rest_api_port={rest_port}", "--host=127.0.0.1", "--file_system_poll_wait_seconds=0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_env(), cwd=REPO)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/v1/models/m", timeout=5) as r:
                    status = json.loads(r.read())
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not come up: {proc.stdout.read().decode()}")
                time.sleep(0.1)
        assert status["model_version_status"][0]["version"] == "3"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = proc.stdout.read().decode()
    assert "Exporting HTTP/REST API" in log and "Running gRPC ModelServer" in log
