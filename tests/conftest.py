"""Fixtures shared by the whole suite."""

import os
import subprocess

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices
from tests import REPO
from tests.core import cupy_standin

_REAL_CUPY = devices.cupy_module()  # checked once: cupy installed and a GPU visible


@pytest.fixture
def g():
    """A fresh graph, the default one while the test runs (a test file may define its own `g`).

    Tests that build into the default graph and check TF1's names (`Add`, `add_1`) request it,
    by argument or with `@pytest.mark.usefixtures("g")`.
    """
    graph = tf.Graph()
    with graph.as_default():
        yield graph


@pytest.fixture
def tf_python():
    """A Python interpreter with real TensorFlow, for `interop` tests: `$ESTFLOW_TF_PYTHON`, or the
    repository's `.venv-tf` (`python3 -m venv .venv-tf && .venv-tf/bin/pip install tensorflow-cpu==2.15.1`).

    TensorFlow runs in that separate environment, as a user's would: estflow never imports it.
    """
    candidates = [os.environ.get("ESTFLOW_TF_PYTHON"), str(REPO / ".venv-tf" / "bin" / "python")]
    for python in filter(None, candidates):
        if os.path.exists(python):
            probe = subprocess.run([python, "-c", "import tensorflow"], capture_output=True, timeout=300)
            if probe.returncode == 0:
                return python
    pytest.skip("needs TensorFlow in a separate environment: set ESTFLOW_TF_PYTHON or create .venv-tf")


@pytest.fixture
def traced():
    """One traced run (RunOptions FULL_TRACE) of x -> matmul -> tanh: (sess, y, x, run_metadata, value)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2, 3], name="x")
        w = tf.Variable(np.ones((3, 4), np.float32), name="w")
        y = tf.tanh(tf.matmul(x, w, name="matmul"), name="act")
        sess = tf.Session(graph=graph)
        sess.run(w.initializer)
        md = tf.RunMetadata()
        out = sess.run(y, {x: np.ones((2, 3), np.float32)},
                       options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=md)
        yield sess, y, x, md, out
        sess.close()


@pytest.fixture(params=["standin", pytest.param("cupy", marks=pytest.mark.gpu)])
def gpu(request):
    """The array module behind '/gpu:0' for one test.

    `standin`: the strict numpy-backed stand-in for cupy (tests/core/cupy_standin.py), so
    every GPU test also runs in CI without a GPU; `cupy`: real cupy, skipped without it.
    """
    if request.param == "cupy":
        if _REAL_CUPY is None:
            pytest.skip("needs cupy and a CUDA GPU")
        yield _REAL_CUPY
        return
    with pytest.MonkeyPatch.context() as patch:  # its own: a test's monkeypatch.undo() keeps it
        yield cupy_standin.install(patch)


def pytest_addoption(parser):
    parser.addoption("--standin-gpu", action="store_true",
                     help="run every test with ops placed on '/gpu:0' by default, on the strict cupy stand-in: "
                          "a sweep for kernels that are not cupy-safe (tests of CPU-specific behaviour may fail)")


@pytest.fixture(autouse=True)
def _standin_gpu_sweep(request):
    if not request.config.getoption("--standin-gpu"):
        yield
        return
    from estflow.core.graph import Graph

    init = Graph.__init__

    def init_on_gpu(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._device_stack.append("/gpu:0")

    with pytest.MonkeyPatch.context() as patch:
        cupy_standin.install(patch)
        patch.setattr(Graph, "__init__", init_on_gpu)
        yield
