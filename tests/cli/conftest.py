"""A small table, its config and a user's Estimator factory for the CLI tests."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tests import REPO

FACTORY = "tests.cli.user_model:make_estimator"

CONFIG = """\
[data]
train = "train.csv"
eval = "eval.csv"
predict = "eval.csv"
label = "label"
[data.types]
label = "int"

[[features]]
type = "numeric"
key = "age"

[[features]]
type = "vocabulary_list"
key = "color"
vocabulary = ["red", "green", "blue"]

[estimator]
factory = "{factory}"
[estimator.params]
learning_rate = 0.5

[run]
model_dir = "model"
tf_random_seed = 1
save_checkpoints_steps = 1000

[train]
batch_size = 20
epochs = 4

[eval]
batch_size = 50
"""


def write_table(path, rows=100, seed=0, header=True):
    """A CSV of age (float), color (string) and a label learnable from both."""
    rng = np.random.default_rng(seed)
    lines = ["age,color,label"] if header else []
    for _ in range(rows):
        age = rng.uniform(0, 1)
        color = rng.choice(["red", "green", "blue"])
        lines.append(f"{age:.3f},{color},{int(age + 0.5 * (color == 'red') > 0.7)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def project(tmp_path):
    """A folder with train.csv, eval.csv and config.toml (a user's factory estimator); returns the folder."""
    write_table(tmp_path / "train.csv", 100, seed=0)
    write_table(tmp_path / "eval.csv", 50, seed=1)
    (tmp_path / "config.toml").write_text(CONFIG.format(factory=FACTORY))
    return tmp_path


def run_estflow(*args, cwd):
    """`python -m estflow ARGS` in a fresh process: (returncode, stdout, stderr)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-m", "estflow", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    return done.returncode, done.stdout, done.stderr


def dedent(text):
    return textwrap.dedent(text)
