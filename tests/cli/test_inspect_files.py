"""`estflow inspect` against TensorFlow's own files (../shared/golden) and estflow's."""

import json
import re

import pytest
from click.testing import CliRunner

from estflow.cli import inspect_files
from estflow.cli.inspect_files import InspectError
from estflow.cli.main import cli
from estflow.core.protos import example_pb2
from estflow.data.tfrecord import TFRecordWriter
from tests import SHARED_GOLDEN


def golden(*parts):
    path = SHARED_GOLDEN.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path}")
    return path


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_checkpoint_variables_match_tensorflows_manifest():
    folder = golden("checkpoint")
    manifest = json.loads((folder / "manifest.json").read_text())
    prefix, rows = inspect_files.checkpoint_variables(str(folder))
    assert prefix.endswith(manifest["prefix"])
    expected = sorted((v["name"], v["dtype"], v["shape"]) for v in manifest["variables"])
    assert rows == expected
    # a prefix, an .index path and a .data path name the same checkpoint
    for path in (prefix, prefix + ".index", prefix + ".data-00000-of-00001"):
        assert inspect_files.checkpoint_variables(path) == (prefix, rows)


def test_inspect_checkpoint_command_prints_a_table_and_a_tensor():
    folder = golden("checkpoint")
    result = invoke("inspect", "checkpoint", folder, "--tensor", "global_step")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("checkpoint: ") and lines[1].split() == ["variable", "dtype", "shape"]
    assert re.search(r"^dnn/hiddenlayer_0/kernel\s+float32\s+\[3, 4\]$", result.stdout, re.M)
    assert lines[-2:] == ["tensor_name:  global_step", "532"]


def test_not_a_checkpoint(tmp_path):
    with pytest.raises(InspectError, match="holds no checkpoint"):
        inspect_files.checkpoint_variables(str(tmp_path))
    result = invoke("inspect", "checkpoint", tmp_path / "model.ckpt-3")
    assert result.exit_code == 1 and result.stderr == f"error: {tmp_path / 'model.ckpt-3'} is no checkpoint: there " \
                                                      f"is no {tmp_path / 'model.ckpt-3'}.index\n"


def test_event_scalars_of_a_tensorflow_estimator_model_dir():
    rows = inspect_files.event_scalars(str(golden("estimator_model_dir", "v1")))
    evals = {tag: value for run, step, tag, value in rows if run == "eval"}
    assert {"accuracy", "average_loss", "loss"} <= set(evals)
    assert evals["loss"] == pytest.approx(10 * evals["average_loss"], rel=1e-5)  # SUM over batches of 10
    train_steps = sorted({step for run, step, tag, _ in rows if run == "." and tag == "loss"})
    assert train_steps == [1, 6, 11, 16]  # save_summary_steps=5


def test_inspect_events_formats():
    folder = golden("estimator_model_dir", "v1")
    table = invoke("inspect", "events", folder, "--tag", "accuracy").stdout.splitlines()
    assert table[0].split() == ["run", "step", "tag", "value"] and table[1].split() == ["eval", "20", "accuracy",
                                                                                            "0.55"]
    rows = [json.loads(line) for line in invoke("inspect", "events", folder, "--format", "json").stdout.splitlines()]
    assert {"run": "eval", "step": 20, "tag": "accuracy", "value": pytest.approx(0.55)} in rows


def test_no_event_files(tmp_path):
    result = invoke("inspect", "events", tmp_path)
    assert result.exit_code == 1 and "holds no event files" in result.stderr


def test_tfrecord_records_as_json_match_tensorflows_manifest():
    folder = golden("tfrecord")
    manifest = json.loads((folder / "manifest.json").read_text())
    records = list(inspect_files.tfrecord_examples(str(folder / "data.tfrecord")))
    assert len(records) == manifest["files"]["data.tfrecord"]["num_records"]
    for record, expected in zip(records, manifest["records"]):
        assert sorted(record) == sorted(expected["features"])
        for key, feature in expected["features"].items():
            if feature["kind"] == "bytes_list":
                want = [v["utf8"] if v["utf8"] is not None else {"b64": None} for v in feature["value"]]
                got = [v if isinstance(v, str) else {"b64": None} for v in record[key]]
                assert got == want
            elif feature["kind"] == "int64_list":
                assert record[key] == feature["value"]
    gz = list(inspect_files.tfrecord_examples(str(folder / "data.tfrecord.gz"), compression="GZIP"))
    assert gz == records


def test_inspect_tfrecord_command(tmp_path):
    example = example_pb2.Example()
    example.features.feature["age"].float_list.value.append(0.5)
    example.features.feature["city"].bytes_list.value.append(b"Z\xfcrich".decode("latin-1").encode())
    example.features.feature["raw"].bytes_list.value.append(b"\xff\x00")
    with TFRecordWriter(str(tmp_path / "a.tfrecord")) as writer:
        for _ in range(3):
            writer.write(example.SerializeToString())
    result = invoke("inspect", "tfrecord", tmp_path / "a.tfrecord", "--limit", "2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {"age": [0.5], "city": ["Zürich"], "raw": [{"b64": "/wA="}]}


def test_saved_model_show_all_is_saved_model_clis():
    folder = golden("savedmodel")
    export = next((folder / "export").iterdir())
    ours = inspect_files.saved_model_show(str(export))
    theirs = (folder / "saved_model_cli_show_all.txt").read_text()
    ops_line = re.compile(r"^(The MetaGraph with tag set .* contains the following ops: )\{(.*)\}$", re.M)
    # saved_model_cli prints the op set in Python's set order; we sort it
    assert ops_line.sub(r"\1", ours) == ops_line.sub(r"\1", theirs)
    assert sorted(ops_line.search(ours).group(2).split(", ")) == sorted(ops_line.search(theirs).group(2).split(", "))
    result = invoke("inspect", "saved-model", export)
    assert result.exit_code == 0 and result.stdout == ours


def test_not_a_saved_model(tmp_path):
    result = invoke("inspect", "saved-model", tmp_path)
    assert result.exit_code == 1 and "is no SavedModel" in result.stderr
