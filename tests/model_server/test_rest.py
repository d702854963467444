"""TF Serving's REST API over real loopback sockets: every endpoint, every error, the server answering after."""

import base64
import json
import shutil
import socket
import subprocess
import threading

import pytest

from tests.model_server.conftest import Rest, write_versions
from tests.model_server.models import expected_y


def test_status_of_every_version_and_of_one(served):
    _, rest = served
    status, doc = rest.get("/v1/models/m")
    assert status == 200
    assert doc == {"model_version_status": [
        {"version": "2", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
    status, doc = rest.get("/v1/models/m/versions/2")
    assert status == 200 and doc["model_version_status"][0]["version"] == "2"
    status, doc = rest.get("/v1/models/m/versions/7")
    assert status == 404 and "version 7" in doc["error"]
    status, doc = rest.get("/v1/models/nope")
    assert status == 404 and "nope" in doc["error"]


def test_metadata_lists_signature_defs_as_tf_serving(served):
    _, rest = served
    status, doc = rest.get("/v1/models/m/metadata")
    assert status == 200
    assert doc["model_spec"] == {"name": "m", "signature_name": "", "version": "2"}
    sigs = doc["metadata"]["signature_def"]["signature_def"]
    assert set(sigs) == {"serving_default", "strings", "multi", "classification", "regression"}
    x = sigs["serving_default"]["inputs"]["x"]
    assert x["dtype"] == "DT_FLOAT" and x["name"] == "x:0"
    assert x["tensor_shape"] == {"dim": [{"size": "-1", "name": ""}, {"size": "2", "name": ""}],
                                 "unknown_rank": False}
    assert sigs["serving_default"]["method_name"] == "tensorflow/serving/predict"
    status, doc = rest.get("/v1/models/m/versions/2/metadata")
    assert status == 200 and doc["model_spec"]["version"] == "2"


def test_predict_row_format_named_and_unnamed(served):
    _, rest = served
    x = [[1.0, 2.0], [3.0, -1.5]]
    status, doc = rest.post("/v1/models/m:predict", {"instances": x})
    assert status == 200
    y = expected_y(x, 2)
    assert [p["y"] for p in doc["predictions"]] == pytest.approx(y.tolist())
    assert doc["predictions"][1]["double"] == [8.0, -1.0]
    status, doc2 = rest.post("/v1/models/m:predict", {"instances": [{"x": r} for r in x]})
    assert status == 200 and doc2 == doc
    # one output after a single-output signature: the rows themselves
    status, doc = rest.post("/v1/models/m/versions/2:predict",
                            {"signature_name": "multi", "instances": [{"x": [1, 2], "k": 3}, {"x": [0, 0], "k": -1}]})
    assert status == 200 and doc == {"predictions": [8.0, 1.0]}


def test_predict_columnar_format(served):
    _, rest = served
    status, doc = rest.post("/v1/models/m:predict", {"inputs": {"x": [[1.0, 2.0]]}})
    assert status == 200 and doc == {"outputs": {"double": [[4.0, 6.0]], "y": [7.0]}}
    status, doc = rest.post("/v1/models/m:predict", {"inputs": [[1.0, 2.0]]})
    assert status == 200 and doc["outputs"]["y"] == [7.0]
    status, doc = rest.post("/v1/models/m:predict", {"signature_name": "multi", "inputs": {"x": [[1, 2]], "k": [3]}})
    assert status == 200 and doc == {"outputs": [8.0]}


def test_predict_binary_strings_b64_in_and_out(served):
    _, rest = served
    blob = bytes(range(256))
    status, doc = rest.post("/v1/models/m:predict", {"signature_name": "strings", "instances": [
        "text", {"b64": base64.b64encode(blob).decode()}]})
    assert status == 200
    assert doc["predictions"][0] == {"s": "text", "s_bytes": {"b64": base64.b64encode(b"text").decode()}}
    assert base64.b64decode(doc["predictions"][1]["s_bytes"]["b64"]) == blob


def test_float32_outputs_written_by_shortest_decimal(served):
    _, rest = served
    status, doc = rest.post("/v1/models/m:predict", {"inputs": {"x": [[0.1, 0.0]]}})
    assert status == 200 and doc["outputs"]["double"] == [[2.2, 2.0]]


def test_classify_and_regress_with_examples_and_context(served):
    _, rest = served
    status, doc = rest.post("/v1/models/m:classify", {"signature_name": "classification",
                                                      "examples": [{"x": [1.0, 2.0]}, {"x": [-5.0, 0.0]}]})
    assert status == 200
    first, second = doc["results"]
    assert [c[0] for c in first] == ["pos", "neg"]
    assert first[0][1] > 0.99 and second[0][1] < 0.5
    assert sum(c[1] for c in second) == pytest.approx(1.0, abs=1e-6)
    status, doc = rest.post("/v1/models/m:regress", {"signature_name": "regression",
                                                     "examples": [{"x": [1.0, 2.0]}, {"x": [0.5, 0.25]}]})
    assert status == 200 and doc == {"results": [7.0, 3.0]}
    # context features are merged into every example
    status, doc = rest.post("/v1/models/m:regress", {"signature_name": "regression", "context": {"x": [1.0, 1.0]},
                                                     "examples": [{}, {}]})
    assert status == 200 and doc == {"results": [5.0, 5.0]}


def test_classify_on_a_predict_signature_is_refused(served):
    _, rest = served
    status, doc = rest.post("/v1/models/m:classify", {"examples": [{"x": [1.0, 2.0]}]})
    assert status == 400 and "tensorflow/serving/classify" in doc["error"]


@pytest.mark.parametrize("body, fragment", [
    ("{not json", "JSON Parse error"),
    ("[1, 2]", "JSON object"),
    ({"instances": [[1, 2]], "inputs": [[1, 2]]}, "only one of"),
    ({"signature_name": "serving_default"}, "Missing 'inputs' or 'instances'"),
    ({"signature_name": "nope", "instances": [[1, 2]]}, 'signature name: "nope" not found'),
    ({"inputs": {"z": [[1, 2]]}}, "alias not found in signature: z"),
    ({"instances": [["a", "b"]]}, "not of expected type"),
    ({"instances": [[1, 2], [3]]}, "different lengths"),
    ({"instances": [[1, 2, 3]]}, "not compatible"),
    ({"signature_name": "multi", "instances": [{"x": [1, 2], "k": 1.5}]}, "decimal numbers"),
    ({"signature_name": "multi", "instances": [[1, 2]]}, "name each input"),
    ({"signature_name": "multi", "inputs": {"x": [[1, 2]]}}, "Missing but required: {k}"),
    ({"signature_name": "strings", "instances": [{"b64": "***"}]}, "base64"),
    ({"signature_name": "strings", "instances": [1]}, "not of expected type: string"),
    ({"instances": []}, "No values"),
])
def test_bad_predict_requests_answer_400_and_the_server_keeps_serving(served, body, fragment):
    _, rest = served
    status, doc = rest.post("/v1/models/m:predict", body)
    assert status == 400, doc
    assert fragment in doc["error"]
    status, doc = rest.post("/v1/models/m:predict", {"instances": [[1.0, 1.0]]})
    assert status == 200 and doc["predictions"][0]["y"] == 5.0


def test_unknown_model_version_label_and_paths(served):
    _, rest = served
    assert rest.post("/v1/models/nope:predict", {"instances": [[1, 2]]})[0] == 404
    status, doc = rest.post("/v1/models/m/versions/1:predict", {"instances": [[1, 2]]})
    assert status == 404 and "Specific(m, 1)" in doc["error"]
    status, doc = rest.post("/v1/models/m/labels/stable:predict", {"instances": [[1, 2]]})
    assert status == 400 and "label: stable" in doc["error"]
    status, doc = rest.post("/v1/models/m:explode", {"instances": [[1, 2]]})
    assert status == 400 and "Malformed request" in doc["error"]
    assert rest.get("/v2/other")[0] == 404
    status, doc = rest.get("/v1/models")
    assert status == 400 and "Missing model name" in doc["error"]
    assert rest.post("/v1/models/m:predict", {"instances": [[1, 2]]})[0] == 200


def test_oversized_body_is_refused_before_it_is_read(tmp_path, start_server):
    base = str(tmp_path / "m")
    write_versions(base, [1])
    server = start_server(model_name="m", model_base_path=base, max_request_bytes=1000)
    rest = Rest(server.rest_api_port)
    status, doc = rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]] * 200})
    assert status == 413 and "limit of 1000 bytes" in doc["error"]
    rest.close()
    rest = Rest(server.rest_api_port)
    assert rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})[0] == 200
    rest.close()


def test_no_version_available_answers_503(tmp_path, start_server):
    base = tmp_path / "m"
    base.mkdir()
    server = start_server(model_name="m", model_base_path=str(base))
    rest = Rest(server.rest_api_port)
    status, doc = rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})
    assert status == 503 and "no version is available" in doc["error"]
    assert rest.get("/v1/models/m") == (404, {"error": "Could not find any versions of model m"})
    rest.close()


def test_labels_from_a_model_config_file(tmp_path, start_server):
    for name in ("a", "b"):
        write_versions(str(tmp_path / name), [1, 2, 3])
    config = tmp_path / "models.config"
    config.write_text(f"""
model_config_list {{
  config {{
    name: "a"
    base_path: "{tmp_path / 'a'}"
    model_platform: "tensorflow"
    model_version_policy {{ specific {{ versions: 1 versions: 3 }} }}
    version_labels {{ key: "stable" value: 1 }}
    version_labels {{ key: "canary" value: 3 }}
  }}
  config {{
    name: "b"
    base_path: "{tmp_path / 'b'}"
    model_version_policy {{ all {{}} }}
  }}
}}
""")
    server = start_server(model_config_file=str(config))
    rest = Rest(server.rest_api_port)
    versions = lambda doc: [s["version"] for s in doc["model_version_status"]]  # noqa: E731
    assert versions(rest.get("/v1/models/a")[1]) == ["3", "1"]
    assert versions(rest.get("/v1/models/b")[1]) == ["3", "2", "1"]
    for path, version in [("/v1/models/a/labels/stable", 1), ("/v1/models/a/labels/canary", 3),
                          ("/v1/models/a", 3), ("/v1/models/b/versions/2", 2)]:
        status, doc = rest.post(path + ":predict", {"instances": [[1.0, 2.0]]})
        assert status == 200 and doc["predictions"][0]["y"] == 5.0 + version, path
    status, doc = rest.get("/v1/models/a/labels/stable")
    assert status == 200 and versions(doc) == ["1"]
    rest.close()


def test_prometheus_metrics_count_requests(tmp_path, start_server):
    write_versions(str(tmp_path / "m"), [1])
    monitoring = tmp_path / "monitoring.config"
    monitoring.write_text('prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }')
    server = start_server(model_name="m", model_base_path=str(tmp_path / "m"), monitoring_config_file=str(monitoring))
    rest = Rest(server.rest_api_port)
    for _ in range(3):
        assert rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})[0] == 200
    assert rest.post("/v1/models/m:predict", {"instances": [["x", 1]]})[0] == 400
    status, page = rest.get("/monitoring/prometheus/metrics")
    assert status == 200
    text = page.decode()
    assert ':tensorflow:serving:request_count{model_name="m",status="OK"} 3.0' in text
    assert ':tensorflow:serving:request_count{model_name="m",status="INVALID_ARGUMENT"} 1.0' in text
    assert ':tensorflow:serving:request_latency_count{API="predict",entrypoint="REST",model_name="m"} 4.0' in text
    assert '# TYPE :tensorflow:serving:request_latency histogram' in text
    rest.close()


def test_documented_curl_request(served):
    """TF Serving's README example, sent by curl itself (form content type, no keep-alive)."""
    server, _ = served
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    out = subprocess.run([curl, "-s", "-d", '{"instances": [[1.0, 2.0], [5.0, 0.5]]}', "-X", "POST",
                          f"http://localhost:{server.rest_api_port}/v1/models/m:predict"],
                         capture_output=True, timeout=30, check=True)
    doc = json.loads(out.stdout)
    assert [p["y"] for p in doc["predictions"]] == [7.0, 8.0]


def test_form_encoded_content_type_is_read_as_json(served):
    """curl -d sends application/x-www-form-urlencoded; TF Serving reads the body as JSON all the same."""
    _, rest = served
    status, doc = rest.post("/v1/models/m:predict", '{"instances": [[1.0, 2.0]]}',
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and doc["predictions"][0]["y"] == 7.0


def test_concurrent_clients_each_get_their_answer(served):
    server, _ = served
    failures = []

    def client(i):
        rest = Rest(server.rest_api_port)
        try:
            for j in range(20):
                x = [[float(i), float(j)]]
                status, doc = rest.post("/v1/models/m:predict", {"instances": x})
                if status != 200 or doc["predictions"][0]["y"] != float(expected_y(x, 2)[0]):
                    failures.append((i, j, status, doc))
        finally:
            rest.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_garbage_bytes_on_the_socket_leave_the_server_serving(served):
    server, rest = served
    with socket.create_connection(("127.0.0.1", server.rest_api_port), timeout=10) as s:
        s.sendall(b"\x00\xffNOT HTTP AT ALL\r\n\r\n")
        s.recv(1024)
    assert rest.post("/v1/models/m:predict", {"instances": [[1.0, 2.0]]})[0] == 200
