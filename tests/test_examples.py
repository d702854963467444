"""Every example program runs and reaches its target (STYLE.md §7)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name, *args):
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_first_programs():
    out = _run("first_programs.py")
    assert "tf.add(3, 5) = 8" in out
    assert "sessions: 20 8 120 -42" in out
    assert "cond: 1 1 2" in out
    w, b = map(float, re.search(r"fitted w, b = \[([-\d.e]+)\] \[([-\d.e]+)\]", out).groups())
    assert abs(w - 3) < 0.05 and abs(b - 2) < 0.05


def test_train_with_dataset(tmp_path):
    out = _run("train_with_dataset.py", str(tmp_path))
    steps = int(re.search(r"steps: (\d+)", out).group(1))
    accuracy = float(re.search(r"running accuracy: ([\d.]+)", out).group(1))
    assert steps == 625
    assert accuracy > 0.9
    assert (tmp_path / "checkpoint").exists()
    assert list(tmp_path.glob("events.out.tfevents.*"))
    assert f"model.ckpt-{steps}" in out


def _fresh_process(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.mark.usefixtures("g")
def test_example_first_programs_runs():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "first_programs.py"
    proc = _fresh_process(example.read_text())
    assert proc.returncode == 0, proc.stderr
    assert "tf.add(3, 5) = 8" in proc.stdout and "20 8 120 -42" in proc.stdout
