"""Servers on loopback for the model server tests: free ports, always stopped."""

import http.client
import json
import os

import pytest

from estflow.model_server import ModelServer, ServerOptions
from tests.model_server import models


class Rest:
    """A keep-alive HTTP/1.1 client of one server."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body=None, headers=None):
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            resp = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise
        data = resp.read()
        if resp.getheader("connection", "").lower() == "close":
            self.conn.close()
        return resp.status, (json.loads(data) if data and resp.getheader("content-type", "").startswith(
            "application/json") else data)

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body, headers=None):
        return self.request("POST", path, body, headers)

    def close(self):
        self.conn.close()


def write_versions(base: str, versions, broken=()):
    """Version folders under `base` (a SavedModel of models.build_graph(v) each; `broken`: garbage ones)."""
    for v in versions:
        models.save(os.path.join(base, str(v)), v, broken=v in broken)


@pytest.fixture
def start_server():
    """start_server(**ServerOptions fields) -> a started ModelServer on free loopback ports; stopped after."""
    servers = []

    def start(loader=None, **kwargs):
        kwargs.setdefault("port", 0)
        kwargs.setdefault("rest_api_port", 0)
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("file_system_poll_wait_seconds", 0)
        kwargs.setdefault("shutdown_grace_seconds", 5)
        server = ModelServer(ServerOptions(**kwargs), loader=loader)
        servers.append(server)
        return server.start(load_timeout=60)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def served(tmp_path, start_server):
    """A server of model "m" with versions 1 and 2 (latest: 2 served), and a REST client of it."""
    base = str(tmp_path / "m")
    write_versions(base, [1, 2])
    server = start_server(model_name="m", model_base_path=base)
    rest = Rest(server.rest_api_port)
    yield server, rest
    rest.close()
