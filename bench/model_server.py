"""The model server on loopback: single-example latency and requests/sec (issue 14).

    python bench/model_server.py [--processes 3] [--requests 2000] [--write]

The served models are written by SavedModelBuilder and served together (`--model_config_file`):
an MLP (`[1, 100] -> 64 relu -> 64 relu -> 1 sigmoid`, `:predict`) and a wide-and-deep-like
classifier on serialized tf.Examples (parse_example, hashed embeddings, an MLP; `:classify`
with one JSON example per request, the shape of TF Serving's usual census example). Each server runs in
its own process (`python -m estflow.model_server`), the clients in the benchmark process:
- latency: one keep-alive client, one example per request, sequential; p50 and p99 over
  `--requests` requests (REST: `{"instances": [...]}` over HTTP/1.1; gRPC: Predict with a
  grpcio stub);
- throughput: 4 and 32 clients with one request outstanding each (REST: asyncio
  connections; gRPC: futures), `--requests` requests in all, requests per second;
- batching: the same REST loads against a server started with `--enable_batching`
  (max_batch_size 32, batch_timeout_micros 500, one batch thread), and the same with a third,
  image-sized MLP (`[1, 784] -> 1024 relu -> 1024 relu -> 10 softmax`, `:predict`): batching pays
  where the model's run, not HTTP, is the cost of a request (one row's run reads ~7 MB of weights;
  32 rows read them once).
The baseline, measured in the same run with the same clients, is the HTTP floor: Python's
stdlib ThreadingHTTPServer (keep-alive, TCP_NODELAY) answering a fixed JSON body with no
model, the same kind of server `../shared/ANCHORS.md` measured TF 2.15 behind (TF-backed:
0.90-0.98 ms p50, about 1,000 requests/s; its floor 285 us, 3,467 requests/s). The numpy
forward pass of the same MLP on one example is reported for scale.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness  # noqa: E402
import _report  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FEATURES = 100

_FLOOR_SERVER = r"""
import socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
BODY = b'{"predictions": [[0.5]]}'
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)
    def log_message(self, *a):
        pass
class S(ThreadingHTTPServer):
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MLP = (FEATURES, 64, 64, 1)
WIDE = (WIDE_FEATURES := 784, 1024, 1024, 10)  # an image-sized MLP: one row's run reads ~7 MB of weights


def _weights(sizes=MLP):
    rng = np.random.default_rng(0)
    out = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        out += [rng.standard_normal((fan_in, fan_out)).astype(np.float32) * 0.1,
                rng.standard_normal(fan_out).astype(np.float32) * 0.1]
    return out


def _export(base: str, sizes=MLP) -> None:
    import estflow as tf  # the benchmark process builds the model; the server process only loads it

    w = _weights(sizes)
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, sizes[0]], name="x")
        h = x
        for i in range(0, len(w), 2):
            kernel, bias = tf.Variable(w[i]), tf.Variable(w[i + 1])
            h = tf.matmul(h, kernel) + bias
            h = tf.nn.relu(h) if i < len(w) - 2 else (tf.sigmoid(h) if sizes[-1] == 1 else tf.nn.softmax(h))
        sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"probability": h})
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            builder = tf.saved_model.builder.SavedModelBuilder(os.path.join(base, "1"))
            builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"serving_default": sig})
            builder.save()


CATEGORICAL = ("education", "occupation", "workclass")


def _export_census(base: str) -> None:
    """A wide-and-deep-like classifier on serialized tf.Examples (parse_example, hashed embeddings, MLP)."""
    import estflow as tf  # the benchmark process builds the model; the server process only loads it

    rng = np.random.default_rng(2)
    g = tf.Graph()
    with g.as_default():
        serialized = tf.placeholder(tf.string, [None], name="input_example_tensor")
        spec = {"age": tf.FixedLenFeature([1], tf.float32), "hours": tf.FixedLenFeature([1], tf.float32)}
        spec.update({name: tf.FixedLenFeature([1], tf.string) for name in CATEGORICAL})
        features = tf.parse_example(serialized, spec)
        parts = [features["age"] / 100.0, features["hours"] / 100.0]
        for name in CATEGORICAL:
            ids = tf.string_to_hash_bucket_fast(tf.reshape(features[name], [-1]), 100)
            parts.append(tf.gather(tf.Variable(rng.standard_normal((100, 8)).astype(np.float32)), ids))
        h = tf.concat(parts, axis=1)
        width = 2 + 8 * len(CATEGORICAL)
        for n in (64, 32):
            h = tf.nn.relu(tf.matmul(h, tf.Variable(rng.standard_normal((width, n)).astype(np.float32) * 0.1)))
            width = n
        logit = tf.matmul(h, tf.Variable(rng.standard_normal((width, 1)).astype(np.float32)))
        p = tf.sigmoid(logit)
        scores = tf.concat([1.0 - p, p], axis=1)
        classes = tf.tile(tf.constant([["<=50K", ">50K"]]), tf.stack([tf.shape(p)[0], 1]))
        sig = tf.saved_model.signature_def_utils.classification_signature_def(serialized, classes, scores)
        with tf.Session(graph=g) as sess:
            sess.run(tf.global_variables_initializer())
            builder = tf.saved_model.builder.SavedModelBuilder(os.path.join(base, "1"))
            builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"serving_default": sig})
            builder.save()


def _numpy_forward(x, w):
    h = np.maximum(x @ w[0] + w[1], 0)
    h = np.maximum(h @ w[2] + w[3], 0)
    return 1 / (1 + np.exp(-(h @ w[4] + w[5])))


def _wait_http(port: int, proc, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode() if proc.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def _start_server(config_file: str, batching_file: str | None = None):
    rest, grpc_port = _free_port(), _free_port()
    cmd = [sys.executable, "-m", "estflow.model_server", f"--model_config_file={config_file}",
           f"--port={grpc_port}", f"--rest_api_port={rest}", "--host=127.0.0.1", "--file_system_poll_wait_seconds=0"]
    if batching_file:
        cmd += ["--enable_batching", f"--batching_parameters_file={batching_file}"]
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO)
    _wait_http(rest, proc)
    return proc, rest, grpc_port


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _latency_rest(port: int, path: str, body: bytes, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    headers = {"Content-Type": "application/json"}
    times = []
    for i in range(n + 100):
        t0 = time.perf_counter()
        conn.request("POST", path, body, headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"HTTP {resp.status}")
        if i >= 100:
            times.append(time.perf_counter() - t0)
    conn.close()
    return times


def _latency_grpc(port: int, request, n: int) -> list[float]:
    import grpc  # the gRPC client loads only for the gRPC figures

    from estflow.model_server.protos import prediction_service_pb2_grpc  # grpc-based, see above

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        times = []
        for i in range(n + 100):
            t0 = time.perf_counter()
            stub.Predict(request, timeout=30)
            if i >= 100:
                times.append(time.perf_counter() - t0)
    return times


async def _rest_load_async(port: int, path: str, body: bytes, clients: int, total: int) -> float:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    left = [total]

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left[0] > 0:
                left[0] -= 1
                writer.write(head)
                length = None
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                    elif line.startswith(b"HTTP/1.") and b" 200 " not in line:
                        raise RuntimeError(line.decode())
                await reader.readexactly(length)
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return total / (time.perf_counter() - t0)


def _rest_load(port, path, body, clients, total) -> float:
    return asyncio.run(_rest_load_async(port, path, body, clients, total))


def _grpc_load(port: int, request, clients: int, total: int) -> float:
    import grpc  # the gRPC client loads only for the gRPC figures

    from estflow.model_server.protos import prediction_service_pb2_grpc  # grpc-based, see above

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        stub.Predict(request, timeout=30)
        sent = 0
        t0 = time.perf_counter()
        inflight = []
        while sent < total or inflight:
            while sent < total and len(inflight) < clients:
                inflight.append(stub.Predict.future(request, timeout=60))
                sent += 1
            inflight.pop(0).result()
        return total / (time.perf_counter() - t0)


def measure(args) -> dict:
    from estflow.core.graph_io import make_tensor_proto  # the request protos are built after the export
    from estflow.model_server.protos import predict_pb2

    n = args.requests
    x = np.random.default_rng(1).standard_normal((1, FEATURES)).astype(np.float32)
    body = json.dumps({"instances": x.tolist()}).encode()
    census = json.dumps({"examples": [{"age": [39.0], "hours": [40.0], "education": ["Bachelors"],
                                       "occupation": ["Adm-clerical"], "workclass": ["State-gov"]}]}).encode()
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "mlp"
    request.inputs["x"].CopyFrom(make_tensor_proto(x))
    w = _weights()
    out = {"numpy_forward_us": _report.per_call_us(lambda: _numpy_forward(x, w), number=2000)}
    with tempfile.TemporaryDirectory() as d:
        _export(os.path.join(d, "mlp"))
        _export_census(os.path.join(d, "census"))
        _export(os.path.join(d, "wide"), WIDE)
        config = os.path.join(d, "models.config")
        with open(config, "w") as f:
            f.write("model_config_list {\n" + "".join(
                f'  config {{ name: "{m}" base_path: "{os.path.join(d, m)}" model_platform: "tensorflow" }}\n'
                for m in ("mlp", "census", "wide")) + "}\n")
        params = os.path.join(d, "batching.config")
        with open(params, "w") as f:
            f.write("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 500 }\n"
                    "num_batch_threads { value: 1 }\n")
        floor_port = _free_port()
        floor = subprocess.Popen([sys.executable, "-c", _FLOOR_SERVER, str(floor_port)])
        _wait_http(floor_port, floor)
        server, rest, grpc_port = _start_server(config)
        mlp, classify, wide = "/v1/models/mlp:predict", "/v1/models/census:classify", "/v1/models/wide:predict"
        wide_body = json.dumps({"instances": np.random.default_rng(3).standard_normal(
            (1, WIDE_FEATURES)).astype(np.float32).tolist()}).encode()
        try:
            for name, port, p in (("floor", floor_port, "/"), ("rest", rest, mlp)):
                lat = np.array(_latency_rest(port, p, body, n)) * 1e6
                out[f"{name}_p50_us"], out[f"{name}_p99_us"] = float(np.median(lat)), float(np.percentile(lat, 99))
                for clients in (4, 32):
                    out[f"{name}_rps_{clients}"] = _rest_load(port, p, body, clients, n)
            lat = np.array(_latency_grpc(grpc_port, request, n)) * 1e6
            out["grpc_p50_us"], out["grpc_p99_us"] = float(np.median(lat)), float(np.percentile(lat, 99))
            for clients in (4, 32):
                out[f"grpc_rps_{clients}"] = _grpc_load(grpc_port, request, clients, n)
            lat = np.array(_latency_rest(rest, classify, census, n)) * 1e6
            out["census_p50_us"], out["census_p99_us"] = float(np.median(lat)), float(np.percentile(lat, 99))
            for clients in (4, 32):
                out[f"census_rps_{clients}"] = _rest_load(rest, classify, census, clients, n)
            lat = np.array(_latency_rest(rest, wide, wide_body, n)) * 1e6
            out["wide_p50_us"], out["wide_p99_us"] = float(np.median(lat)), float(np.percentile(lat, 99))
            for clients in (4, 32):
                out[f"wide_rps_{clients}"] = _rest_load(rest, wide, wide_body, clients, n)
        finally:
            _stop(server)
        batched, rest_b, _ = _start_server(config, params)
        try:
            for clients in (4, 32):
                out[f"census_batched_rps_{clients}"] = _rest_load(rest_b, classify, census, clients, n)
                out[f"rest_batched_rps_{clients}"] = _rest_load(rest_b, mlp, body, clients, n)
                out[f"wide_batched_rps_{clients}"] = _rest_load(rest_b, wide, wide_body, clients, n)
        finally:
            _stop(batched)
            _stop(floor)
    return out


def report(runs: list[dict], args) -> str:
    f, r = _harness.figure, _harness.ratio
    lines = [
        f"Measured by `python bench/model_server.py` on {_harness.machine()}: {len(runs)} fresh processes, each "
        f"starting its servers (`python -m estflow.model_server`, one process each) and timing {args.requests} "
        "requests per figure from clients in the benchmark process; each cell is the median over the processes "
        "with their range. The models: an MLP SavedModel ([1, 100] -> 64 relu -> 64 relu -> 1, `:predict`) and a "
        "wide-and-deep-like classifier on serialized tf.Examples (parse_example of 5 features, 3 hashed "
        "embeddings, 64 -> 32 -> 1, `:classify` with one JSON example) and an image-sized MLP ([1, 784] -> 1024 relu "
        "-> 1024 relu -> 10 softmax, `:predict`; one row's run reads ~7 MB of weights). The floor is "
        "Python's stdlib HTTP server answering a fixed body with no model (keep-alive, TCP_NODELAY), measured by "
        "the same clients in the same process; TF 2.15 figures are from `../shared/ANCHORS.md` (a stdlib HTTP "
        "server around a TF SavedModel on the same kind of machine).",
        "",
        "| path | p50 (us) | p99 (us) | requests/s, 4 clients | requests/s, 32 clients |",
        "|---|---|---|---|---|",
        f"| REST (uvicorn, httptools) | {f(runs, 'rest_p50_us', '{:.0f}')} | {f(runs, 'rest_p99_us', '{:.0f}')} | "
        f"{f(runs, 'rest_rps_4', '{:,.0f}')} | {f(runs, 'rest_rps_32', '{:,.0f}')} |",
        f"| REST, batching on | - | - | {f(runs, 'rest_batched_rps_4', '{:,.0f}')} | "
        f"{f(runs, 'rest_batched_rps_32', '{:,.0f}')} |",
        f"| REST `:classify`, examples model | {f(runs, 'census_p50_us', '{:.0f}')} | "
        f"{f(runs, 'census_p99_us', '{:.0f}')} | {f(runs, 'census_rps_4', '{:,.0f}')} | "
        f"{f(runs, 'census_rps_32', '{:,.0f}')} |",
        f"| REST `:classify`, examples model, batching on | - | - | {f(runs, 'census_batched_rps_4', '{:,.0f}')} | "
        f"{f(runs, 'census_batched_rps_32', '{:,.0f}')} |",
        f"| REST, image-sized MLP | {f(runs, 'wide_p50_us', '{:.0f}')} | {f(runs, 'wide_p99_us', '{:.0f}')} | "
        f"{f(runs, 'wide_rps_4', '{:,.0f}')} | {f(runs, 'wide_rps_32', '{:,.0f}')} |",
        f"| REST, image-sized MLP, batching on | - | - | {f(runs, 'wide_batched_rps_4', '{:,.0f}')} | "
        f"{f(runs, 'wide_batched_rps_32', '{:,.0f}')} |",
        f"| gRPC (grpcio) | {f(runs, 'grpc_p50_us', '{:.0f}')} | {f(runs, 'grpc_p99_us', '{:.0f}')} | "
        f"{f(runs, 'grpc_rps_4', '{:,.0f}')} | {f(runs, 'grpc_rps_32', '{:,.0f}')} |",
        f"| HTTP floor (stdlib, no model) | {f(runs, 'floor_p50_us', '{:.0f}')} | "
        f"{f(runs, 'floor_p99_us', '{:.0f}')} | "
        f"{f(runs, 'floor_rps_4', '{:,.0f}')} | {f(runs, 'floor_rps_32', '{:,.0f}')} |",
        "| TF 2.15 behind a stdlib HTTP server (ANCHORS) | 900-980 | 1,300-1,500 | about 1,000-1,070 | - |",
        "",
        f"REST p50 / floor p50: {r(runs, 'rest_p50_us', 'floor_p50_us')} (TF 2.15: 0.90-0.98 ms / 285 us, "
        f"3.2-3.4x; target: REST p50 under 0.5 ms). REST requests/s at 32 clients / floor's: "
        f"{r(runs, 'rest_rps_32', 'floor_rps_32')} (TF 2.15: about 0.3x; target: 2x TF's requests/s). "
        f"Batching on / off at 32 clients: MLP {r(runs, 'rest_batched_rps_32', 'rest_rps_32')}, examples model "
        f"{r(runs, 'census_batched_rps_32', 'census_rps_32')}, image-sized MLP "
        f"{r(runs, 'wide_batched_rps_32', 'wide_rps_32')} (target >= 2x; batching saves the model's run, not "
        "the HTTP and JSON work, so a small model's ratio is bounded by how much of a request its run is). "
        f"numpy's forward pass of the same MLP on one example: {f(runs, 'numpy_forward_us', '{:.1f}')} us.",
    ]
    return "\n".join(lines)


def _extra(parser):
    parser.add_argument("--requests", type=int, default=2000, help="requests per figure (default %(default)s)")


if __name__ == "__main__":
    _harness.main(__file__, "Model server", measure, report, _extra)
