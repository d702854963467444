"""The package as a whole: version, project files, the TF1 top-level namespace."""

import os
import re
import subprocess
import sys

import pytest

import estflow
import estflow as tf


def _fresh_process(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.mark.usefixtures("g")
def test_version_is_pep440():
    pep440 = (r"^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?"
              r"(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$")
    assert re.match(pep440, estflow.__version__)


@pytest.mark.usefixtures("g")
def test_project_files():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "estflow" and meta["requires-python"] == ">=3.11"
    assert {"gpu", "test", "dev"} <= set(meta["optional-dependencies"])
    ci = root / ".ci" / "run"
    assert ci.exists() and os.access(ci, os.X_OK)
    readme = (root / "README.md").read_text()
    assert 'pip install -q -e ".[test]" && python -m pytest -q' in readme and "pip install -q -e \".[test]\" && " \
        "python -m pytest -q" in ci.read_text()
    assert "python examples/first_programs.py" in readme


@pytest.mark.usefixtures("g")
def test_compat_v1_is_the_top_level():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.Session is tf.Session
    assert tf.compat.v1.placeholder is tf.placeholder


@pytest.mark.usefixtures("g")
def test_tf1_submodules_reachable_from_top_level():
    """TF1 code writes `tf.nn.relu`, `tf.dtypes.float32`... straight after `import tensorflow as tf`."""
    names = ["nn", "dtypes", "train", "errors", "summary", "losses", "metrics", "random", "sparse", "strings",
             "initializers", "linalg", "compat"]
    proc = _fresh_process(f"import estflow as tf; print([n for n in {names!r} if not hasattr(tf, n)])")
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
