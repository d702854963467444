"""`estflow serve` and quickstart's serving step: estflow's model server, behind TF Serving's flags.

The model server needs the `estflow[serving]` extra (grpcio, uvicorn, prometheus-client), so
it is imported when a command serves, and a missing extra is one line naming it.
"""

from __future__ import annotations

import json
import urllib.request

from estflow.cli.config import ConfigError


class ServingUnavailable(ImportError):
    """The model server's packages are not installed."""


class ServeFlagsError(ConfigError):
    """A model-server flag argparse refuses (one line, not argparse's usage block)."""


def model_server():
    """The `estflow.model_server.server` module; ServingUnavailable naming the extra when missing."""
    try:
        # optional dependency: the model server needs estflow[serving] (grpcio, uvicorn, prometheus-client)
        from estflow.model_server import server
    except ImportError as e:
        raise ServingUnavailable(f"serving needs the model server's packages ({e.name} is missing); "
                                 f"pip install 'estflow[serving]'") from None
    return server


def run_server(flags: list[str]) -> int:
    """`estflow serve FLAGS`: TF Serving's flags, until SIGTERM / Ctrl-C."""
    server = model_server()
    parser = server.build_parser()
    parser.prog = "estflow serve"

    def error(message):
        raise ServeFlagsError(f"estflow serve: {message}; `estflow serve --help` lists TF Serving's flags")
    parser.error = error
    parser.parse_args(flags)  # --help and flag errors, under this command's name
    return server.serve(server.options_from_argv(flags))


def serve_once(model_name: str, base_path: str, instances: list[dict], timeout: float = 60.0):
    """Serve `base_path` on free loopback ports, POST one REST predict request, stop: (url, response)."""
    server_module = model_server()
    options = server_module.ServerOptions(port=0, rest_api_port=0, model_name=model_name,
                                          model_base_path=base_path, host="127.0.0.1",
                                          enable_model_warmup=False, shutdown_grace_seconds=1.0)
    server = server_module.ModelServer(options).start(load_timeout=timeout)
    try:
        url = f"http://127.0.0.1:{server.rest_api_port}/v1/models/{model_name}:predict"
        request = urllib.request.Request(url, data=json.dumps({"instances": instances}).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own loopback server
            return url, json.loads(response.read())
    finally:
        server.stop(grace=1.0)
