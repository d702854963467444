"""Running a check under real TensorFlow, in its own environment (the `tf_python` fixture finds it)."""

import json
import os
import subprocess


def run_tensorflow(python: str, code: str, *args) -> dict:
    """Run `code` under real TensorFlow (`python`); it prints one JSON object, returned here."""
    proc = subprocess.run([python, "-c", code, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""})
    assert proc.returncode == 0, f"TensorFlow failed:\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
