"""bench/canned_estimators.py's measurement, run on real TensorFlow: started by that script with a
TensorFlow environment's interpreter, in each of its fresh processes, so that TF and estflow are
measured in the same run on the same machine. Not a benchmark of its own.

    <tf-python> bench/_tf_canned.py [--quick]     # prints one JSON line of figures

The census example and the bench's input functions are TF1 code (`import estflow as tf`): here that
name is TensorFlow's `tf.compat.v1`, so TF runs the very same model and input code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)
sys.modules["estflow"] = tf
sys.path.insert(0, str(Path(__file__).resolve().parent))

import canned_estimators  # noqa: E402

if __name__ == "__main__":
    figures = canned_estimators.measure(SimpleNamespace(quick="--quick" in sys.argv[1:], tf_python=None))
    print(json.dumps({"tf_version": tf.__version__, **figures}))
