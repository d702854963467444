"""`estflow export` and `estflow serve`: a trained config exported, served and asked over REST."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from click.testing import CliRunner

from estflow.cli import export as export_lib
from estflow.cli import serve as serve_lib
from estflow.cli.main import cli
from estflow.core import dtypes
from estflow.library.parsing_config import FixedLenFeature, VarLenFeature
from tests import REPO


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_raw_inputs_are_batches_of_scalars():
    spec = {"age": FixedLenFeature((1,), dtypes.float32), "color": VarLenFeature(dtypes.string),
            "pixels": FixedLenFeature((2, 3), dtypes.float32)}
    assert export_lib.raw_inputs(spec) == {"age": (dtypes.float32, [None]), "color": (dtypes.string, [None]),
                                           "pixels": (dtypes.float32, [None, 2, 3])}


@pytest.fixture
def trained(project):
    result = invoke("train", project / "config.toml", "--set", "train.epochs=1")
    assert result.exit_code == 0, result.stderr
    return project


def test_export_raw_and_parsing(trained):
    config = trained / "config.toml"
    result = invoke("export", config)
    assert result.exit_code == 0, result.stderr
    path = result.stdout.strip()
    assert os.path.dirname(path) == str(trained / "export") and os.path.isfile(os.path.join(path, "saved_model.pb"))
    shown = invoke("inspect", "saved-model", path).stdout
    assert "inputs['age'] tensor_info:\n        dtype: DT_FLOAT\n        shape: (-1)\n        name: age:0" in shown
    assert "inputs['color'] tensor_info:\n        dtype: DT_STRING" in shown

    result = invoke("export", config, "--receiver", "parsing", "--export-dir", trained / "parsed")
    assert result.exit_code == 0, result.stderr
    shown = invoke("inspect", "saved-model", result.stdout.strip()).stdout
    assert "inputs['examples'] tensor_info:\n        dtype: DT_STRING" in shown
    assert "name: input_example_tensor:0" in shown


def test_export_needs_a_checkpoint_and_a_known_receiver(project):
    result = invoke("export", project / "config.toml")
    assert result.exit_code == 1 and "no checkpoint in" in result.stderr and not (project / "export").exists()
    result = invoke("export", project / "config.toml", "--set", "export.receiver=proto")
    assert result.exit_code == 2 and "export.receiver must be \"raw\"" in result.stderr


def test_serve_once_matches_local_predictions(trained):
    export_dir = invoke("export", trained / "config.toml").stdout.strip()
    local = [json.loads(line) for line in invoke("predict", trained / "config.toml").stdout.splitlines()[:2]]
    rows = [line.split(",") for line in (trained / "eval.csv").read_text().splitlines()[1:3]]
    instances = [{"age": float(age), "color": color} for age, color, _ in rows]
    url, response = serve_lib.serve_once("m", os.path.dirname(export_dir), instances)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/v1/models/m:predict")
    served = response["predictions"]
    assert [p["class_ids"] for p in served] == [p["class_ids"] for p in local]
    for mine, theirs in zip(served, local):
        assert mine["logistic"][0] == pytest.approx(theirs["logistic"][0], rel=1e-6)


def test_serve_flag_errors_are_one_line():
    result = invoke("serve", "--bogus")
    assert result.exit_code == 2
    assert result.stderr == ("error: estflow serve: unrecognized arguments: --bogus; `estflow serve --help` lists "
                             "TF Serving's flags\n")
    result = invoke("serve", "--rest_api_port=0")
    assert result.exit_code == 1 and "model_base_path and server_options.model_config_file are empty" in result.stderr


def test_serving_extra_missing_is_named(monkeypatch):
    import estflow.model_server  # noqa: I001 - the package whose submodule this test hides

    monkeypatch.delattr(estflow.model_server, "server", raising=False)
    monkeypatch.setitem(sys.modules, "estflow.model_server.server", None)  # its import fails, as without the extra
    result = invoke("serve", "--model_base_path=x")
    assert result.exit_code == 1 and "pip install 'estflow[serving]'" in result.stderr


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_subprocess_answers_rest_and_stops_on_sigint(trained):
    export_dir = invoke("export", trained / "config.toml").stdout.strip()
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "estflow", "serve", "--model_name=census",
                                f"--model_base_path={os.path.dirname(export_dir)}", f"--rest_api_port={port}",
                                "--port=0", "--host=127.0.0.1"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        body = json.dumps({"instances": [{"age": 0.5, "color": "green"}]}).encode()
        deadline = time.monotonic() + 120
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/models/census:predict", data=body,
                                                 method="POST")
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
                    answer = json.loads(response.read())
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert 0 < answer["predictions"][0]["logistic"][0] < 1
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err


def test_inspect_saved_model_run_matches_local_predictions(trained):
    export_dir = invoke("export", trained / "config.toml").stdout.strip()
    local = json.loads(invoke("predict", trained / "config.toml").stdout.splitlines()[0])
    age, color, _ = (trained / "eval.csv").read_text().splitlines()[1].split(",")
    result = invoke("inspect", "saved-model", export_dir, "--run", json.dumps({"age": [float(age)], "color": [color]}))
    assert result.exit_code == 0, result.stderr
    outputs = json.loads(result.stdout)
    assert set(outputs) == {"logistic", "class_ids"}
    assert outputs["class_ids"] == [local["class_ids"]]
    assert outputs["logistic"][0][0] == pytest.approx(local["logistic"][0], rel=1e-6)


@pytest.mark.parametrize("args, message", [
    (["--run", '{"age": [1.0]}'], "takes inputs age, color; missing color"),
    (["--run", '{"age": [1.0], "color": ["red"], "zip": [1]}'], "unknown zip"),
    (["--run", '{"age": [1.0], "color": ["red"]}', "--signature-def", "nope"], "has no signature_def 'nope'"),
    (["--run", '{"age": [1.0], "color": ["red"]}', "--tag-set", "train"], "has no MetaGraphDef with tag-set 'train'"),
    (["--run", "[1, 2"], "--run takes a JSON object"),
])
def test_inspect_saved_model_run_errors(trained, args, message):
    export_dir = invoke("export", trained / "config.toml").stdout.strip()
    result = invoke("inspect", "saved-model", export_dir, *args)
    assert result.exit_code in (1, 2) and message in result.stderr and len(result.stderr.splitlines()) == 1
