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
    assert re.match(pep440, estflow.__version__) and re.match(pep440, estflow.__estflow_version__)


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
    first_command = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    assert first_command.strip().endswith('pip install -e ".[serving]" && estflow quickstart')  # the main job


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


def _find_python(version, path_dirs):
    """Run .ci/run's find_python for `version` with `path_dirs` first on PATH; its output."""
    from pathlib import Path

    ci = Path(__file__).resolve().parents[1] / ".ci" / "run"
    body = re.search(r"^find_python\(\) \{.*?^\}", ci.read_text(), re.S | re.M).group(0)
    env = dict(os.environ, PATH=os.pathsep.join([*map(str, path_dirs), os.environ.get("PATH", "")]))
    proc = subprocess.run(["bash", "-c", f"{body}\nfind_python {version}"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_ci_runs_other_pythons_only_through_an_interpreter_that_runs(tmp_path):
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    broken, working = tmp_path / "broken", tmp_path / "working"
    broken.mkdir()
    working.mkdir()
    # A pyenv shim for a version that is not selected: on PATH, but it fails.
    shim = broken / f"python{version}"
    shim.write_text("#!/bin/sh\necho 'pyenv: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    found = _find_python(version, [broken])
    assert found != str(shim)
    (working / f"python{version}").symlink_to(sys.executable)
    assert _find_python(version, [working]) == str(working / f"python{version}")
    assert _find_python("2.1", [broken, working]) == ""
