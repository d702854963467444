import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from estflow.cli import quickstart
from estflow.cli.main import cli
from tests.cli.conftest import FACTORY, run_estflow


def test_census_rows_are_seeded_and_learnable():
    rows = quickstart.census_rows(4000, seed=3)
    assert quickstart.census_rows(50, seed=3) == quickstart.census_rows(50, seed=3)
    assert set(rows[0]) == set(quickstart.COLUMNS)
    labels = np.array([r["income_over_50k"] for r in rows])
    assert 0.15 < labels.mean() < 0.35
    married = np.array([r["marital_status"] == "Married-civ-spouse" for r in rows])
    educated = np.array([r["education_num"] >= 13 for r in rows])
    # the label follows the columns: married graduates earn more than the unmarried without a degree
    assert labels[married & educated].mean() > 0.6 > 0.1 > labels[~married & ~educated].mean()


def test_write_dataset(tmp_path):
    paths = quickstart.write_dataset(str(tmp_path), 200, 60)
    with open(paths["train"]) as f:
        train = list(csv.DictReader(f))
    with open(paths["predict"]) as f:
        predict = list(csv.DictReader(f))
    assert len(train) == 200 and list(train[0]) == quickstart.COLUMNS
    assert len(predict) == 5 and "income_over_50k" not in predict[0]


def _metric(out, name):
    return float(next(line for line in out.splitlines() if line.split()[:1] == [name]).split()[1])


def test_quickstart_end_to_end(tmp_path):
    folder = tmp_path / "qs"
    result = CliRunner().invoke(cli, ["quickstart", "--dir", str(folder), "--rows", "2000"])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "1. Data: 2000 training, 500 evaluation rows" in out
    assert f"2. Config: {folder / 'census.toml'}" in out
    assert "3. Trained DNNLinearCombinedClassifier to step 250" in out
    assert _metric(out, "accuracy") > _metric(out, "accuracy_baseline") + 0.05
    assert _metric(out, "auc") > 0.85
    first = json.loads(out.split("the first: ")[1].splitlines()[0])
    assert set(first) == {"classes", "logistic", "probabilities"}
    assert f"6. Exported a SavedModel to {folder / 'export'}" in out
    served = out.split("7. Served it on http://127.0.0.1:")[1].splitlines()
    assert served[0].endswith("/v1/models/census:predict:")
    row1 = json.loads(served[1].split("row 1: ")[1])
    assert row1["classes"] == first["classes"] and row1["logistic"][0] == pytest.approx(first["logistic"][0], rel=1e-6)
    assert f"estflow train {folder / 'census.toml'}" in out
    assert f"estflow serve --model_name=census --model_base_path={folder / 'export'}" in out
    assert (folder / "model" / "checkpoint").exists() and (folder / "data" / "eval.csv").exists()
    assert len(list((folder / "export").iterdir())) == 1

    again = CliRunner().invoke(cli, ["quickstart", "--dir", str(folder)])
    assert again.exit_code == 2 and "already holds a quickstart" in again.stderr and "--overwrite" in again.stderr

    # the config it wrote drives the other commands
    result = CliRunner().invoke(cli, ["evaluate", str(folder / "census.toml"), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["global_step"] == 250


def test_quickstart_with_a_users_estimator(tmp_path):
    result = CliRunner().invoke(cli, ["quickstart", "--dir", str(tmp_path), "--rows", "1000", "--epochs", "2",
                                      "--estimator", FACTORY])
    assert result.exit_code == 0, result.stderr
    assert "3. Trained tests.cli.user_model:make_estimator to step 50" in result.stdout
    assert _metric(result.stdout, "accuracy") > 0.83  # base rate about 0.78


@pytest.mark.slow
def test_quickstart_subprocess(tmp_path):
    code, out, err = run_estflow("quickstart", "--dir", "qs", "--rows", "400", "--epochs", "1", "--estimator", FACTORY,
                                 cwd=tmp_path)
    assert code == 0, err
    assert "4. Evaluated on data/eval.csv:" in out and "Training Estimator on 400 examples" in err
    code, out, err = run_estflow("quickstart", "--dir", "qs", "--rows", "400", "--epochs", "1", "--overwrite",
                                 "--estimator", FACTORY, cwd=tmp_path)
    assert code == 0 and "step 10" in out
