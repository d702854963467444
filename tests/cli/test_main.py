"""Every command end to end: through click's CliRunner and as `python -m estflow` subprocesses."""

import json
import os
import tomllib

import pytest
from click.testing import CliRunner

from estflow.cli.main import cli, main
from estflow.library.versions import ESTFLOW_VERSION
from tests import REPO
from tests.cli.conftest import run_estflow


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _files(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder) for d, _, fs in os.walk(folder) for f in fs)


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["export"], ["inspect"],
                                     ["inspect", "checkpoint"], ["inspect", "events"], ["inspect", "tfrecord"],
                                     ["inspect", "saved-model"], ["quickstart"], ["serve"]])
def test_help_everywhere(command):  # serve's --help is TF Serving's flags (argparse)
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "usage: " in result.stdout.lower() and "--help" in result.stdout


def test_train_evaluate_predict_inspect(project):
    config = project / "config.toml"
    result = invoke("train", config)
    assert result.exit_code == 0, result.stderr
    assert "Trained to step 20" in result.stdout
    assert "train: step 20/20" in result.stderr  # no terminal: plain lines with the running loss
    assert "loss=" in result.stderr
    assert (project / "model" / "checkpoint").exists()

    result = invoke("train", config, "--set", "train.steps=3")  # resumes from the checkpoint
    assert result.exit_code == 0 and "Trained to step 23" in result.stdout

    result = invoke("evaluate", config, "--format", "json")
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["global_step"] == 23 and metrics["accuracy"] > 0.6 and set(metrics) == {
        "accuracy", "loss", "global_step"}
    table = invoke("evaluate", config).stdout.splitlines()
    assert [line.split()[0] for line in table] == ["accuracy", "global_step", "loss"]

    result = invoke("predict", config)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 50 and set(rows[0]) == {"logistic", "class_ids"} and len(rows[0]["logistic"]) == 1

    out = project / "p.csv"
    result = invoke("predict", config, "--input", project / "train.csv", "--output", out)
    assert result.exit_code == 0 and "Wrote 100 predictions" in result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "logistic,class_ids" and len(lines) == 101
    assert 0 < float(lines[1].split(",")[0]) < 1

    result = invoke("inspect", "checkpoint", project / "model")
    assert result.exit_code == 0
    assert "linear_model/color/weights  float32   [3, 1]" in result.stdout
    assert "global_step" in result.stdout
    result = invoke("inspect", "checkpoint", project / "model", "--format", "json", "--tensor", "global_step")
    assert json.loads(result.stdout.splitlines()[0])["variables"][0] == {"name": "global_step", "dtype": "int64",
                                                                         "shape": []}
    assert result.stdout.splitlines()[-1] == "23"

    result = invoke("inspect", "events", project / "model", "--format", "csv", "--tag", "accuracy")
    assert result.stdout.splitlines()[0] == "run,step,tag,value"
    assert result.stdout.splitlines()[1].startswith("eval,23,accuracy,")


def test_print_config_shows_overrides_and_writes_nothing(project):
    before = _files(project)
    result = invoke("train", project / "config.toml", "--print-config", "--set", "train.batch_size=7")
    assert result.exit_code == 0
    assert "[train]\nbatch_size = 7\n" in result.stdout
    assert _files(project) == before


def test_estimator_flag_takes_a_users_factory(project):
    config = project / "config.toml"
    text = config.read_text().replace('factory = "tests.cli.user_model:make_estimator"', "")
    config.write_text(text)
    result = invoke("train", config, "--set", "train.steps=2")
    assert result.exit_code == 2 and "no estimator" in result.stderr
    result = invoke("train", config, "--set", "train.steps=2", "--estimator", "tests.cli.user_model:make_estimator")
    assert result.exit_code == 0 and "Trained to step 2" in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["--set", "train.batch_size=0"], 2, "error: train.batch_size must be positive, got 0"),
    (["--set", "data.label=income"], 1, "has no column 'income' (it has age, color, label)"),
    (["--set", "data.train=missing.csv"], 1, "error: data.train: no file"),
    (["--set", "data.types.weight=float"], 1, "has no column 'weight'"),
    (["--set", "data.types.color=float"], 2, "features.1 (color): column_name: color dtype must be string or integer"),
    (["--estimator", "tests.cli.user_model:not_an_estimator"], 2, "returned int, not a tf.estimator.Estimator"),
    (["--estimator", "no_such_module:f"], 2, "cannot import 'no_such_module'"),
    (["--set", "estimator.name=DNNTreeClassifier", "--set", "estimator.factory=\"\""], 2,
     "'DNNTreeClassifier' is no canned estimator"),
    (["--set", "train.epochs=0"], 2, "train.epochs = 0 repeats the data forever"),
])
def test_bad_input_is_one_line_and_writes_nothing(project, args, code, message):
    before = _files(project)
    result = invoke("train", project / "config.toml", *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert _files(project) == before


def test_empty_and_broken_files_are_rejected(project):
    lines = (project / "train.csv").read_text().splitlines()
    (project / "train.csv").write_text("\n".join(lines[:3] + ["abc,red,1"] + lines[3:]) + "\n")
    result = invoke("train", project / "config.toml")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith("column 'age' should hold float values but row 3 holds 'abc'; fix the file "
                                          "or set data.types.age")
    (project / "train.csv").write_text("")
    result = invoke("train", project / "config.toml")
    assert result.exit_code == 1 and "train.csv is empty" in result.stderr
    (project / "train.csv").write_text("age,color,label\n")
    result = invoke("train", project / "config.toml")
    assert result.exit_code == 1 and "train.csv holds no rows" in result.stderr
    assert not (project / "model").exists()


def test_evaluate_and_predict_need_a_checkpoint(project):
    for command in ("evaluate", "predict"):
        result = invoke(command, project / "config.toml")
        assert result.exit_code == 1
        assert "no checkpoint in" in result.stderr and "run `estflow train" in result.stderr
    assert not (project / "model").exists()


def test_verbose_shows_the_traceback(project):
    result = invoke("--verbose", "train", project / "config.toml", "--set", "data.label=income")
    assert result.exit_code == 1 and "Traceback" in result.stderr and "DataError" in result.stderr


def test_interrupted_training_keeps_a_checkpoint_and_says_how_to_resume(project, monkeypatch):
    from estflow.cli import progress  # noqa: I001 - the hook this test interrupts

    calls = []
    original = progress.ProgressHook.after_run

    def interrupt(self, run_context, run_values):
        original(self, run_context, run_values)
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
    monkeypatch.setattr(progress.ProgressHook, "after_run", interrupt)
    result = CliRunner().invoke(cli, ["train", str(project / "config.toml"), "--set", "train.batch_size=10"])
    assert result.exit_code == 130
    assert "Training interrupted at step 5" in result.stderr
    assert "Resume with: estflow train" in result.stderr and "--set train.batch_size=10" in result.stderr
    monkeypatch.undo()
    result = invoke("train", project / "config.toml", "--set", "train.steps=1")
    assert "Trained to step 6" in result.stdout


def test_main_returns_the_exit_code(project):
    assert main(["--help"]) == 0
    assert main(["train", str(project / "nope.toml")]) == 2
    assert main(["no-such-command"]) == 2


@pytest.mark.slow
def test_subprocess_end_to_end(project):
    code, out, err = run_estflow("train", "config.toml", "--set", "train.epochs=1", cwd=project)
    assert code == 0, err
    assert "Trained to step 5" in out
    code, out, err = run_estflow("evaluate", "config.toml", "--format", "json", cwd=project)
    assert code == 0 and json.loads(out)["global_step"] == 5
    code, out, err = run_estflow("predict", "config.toml", "--format", "csv", cwd=project)
    assert code == 0 and out.splitlines()[0] == "logistic,class_ids" and len(out.splitlines()) == 51
    code, out, err = run_estflow("inspect", "checkpoint", "model", cwd=project)
    assert code == 0 and "linear_model/bias_weights" in out
    code, out, err = run_estflow("train", "config.toml", "--set", "data.label=income", cwd=project)
    assert code == 1 and err.strip().startswith("error: ") and len(err.strip().splitlines()) == 1
    code, out, err = run_estflow("train", "nope.toml", cwd=project)
    assert code == 2 and "config file nope.toml does not exist" in err


CANNED = """
[[features]]
type = "indicator"
source = "color"
"""


@pytest.mark.parametrize("name, extra", [
    ("LinearClassifier", []),
    ("DNNClassifier", ['estimator.feature_columns=["age", "color_indicator"]', "estimator.params.hidden_units=[4]",
                       'estimator.params.optimizer="Adam"']),
    ("DNNLinearCombinedClassifier", ['estimator.linear_feature_columns=["color"]',
                                     'estimator.dnn_feature_columns=["age"]', "estimator.params.dnn_hidden_units=[4]"]),
    ("LinearRegressor", []),
    ("BaselineClassifier", []),
])
def test_canned_estimators_by_name(project, name, extra):
    config = project / "config.toml"
    config.write_text(config.read_text().replace('factory = "tests.cli.user_model:make_estimator"', "")
                      .replace("learning_rate = 0.5", "") + CANNED)
    sets = [arg for override in [f"estimator.name={name}", *extra] for arg in ("--set", override)]
    result = invoke("train", config, *sets)
    assert result.exit_code == 0, result.stderr
    assert f"Training {name} on 100 examples" in result.stderr and "Trained to step 20" in result.stdout
    metrics = json.loads(invoke("evaluate", config, "--format", "json", *sets).stdout)
    assert metrics["global_step"] == 20
    assert ("average_loss" in metrics) and (("accuracy" in metrics) == name.endswith("Classifier"))
    rows = [json.loads(line) for line in invoke("predict", config, *sets).stdout.splitlines()]
    assert len(rows) == 50
    assert ("class_ids" if name.endswith("Classifier") else "predictions") in rows[0]


def test_canned_params_errors_are_one_line(project):
    config = project / "config.toml"
    config.write_text(config.read_text().replace('factory = "tests.cli.user_model:make_estimator"',
                                                 'name = "DNNClassifier"').replace("learning_rate = 0.5", ""))
    result = invoke("train", config, "--set", "estimator.params.hidden_units=[]")
    assert result.exit_code != 0 and len(result.stderr.strip().splitlines()) == 1
    assert "hidden_units" in result.stderr
    assert not (project / "model").exists()


def test_version_and_the_console_script():
    assert invoke("--version").stdout == f"estflow, version {ESTFLOW_VERSION}\n"
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["estflow"].partition(":")
    assert (module, function) == ("estflow.cli.main", "main")
