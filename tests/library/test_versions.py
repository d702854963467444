"""Version numbers (estflow/library/versions.py): the TF1 API level TF1 programs compare, estflow's own release."""

import json
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

import estflow as tf
from estflow.core import graph_io

REPO = Path(__file__).resolve().parents[2]


def test_tf_version_is_the_tf1_api_level_everywhere():
    assert tf.__version__ == tf.VERSION == tf.version.VERSION == "1.15.0"


def test_tf1_programs_version_checks_pass():
    from packaging.version import Version  # packaging is optional: TF1 programs use it when there

    assert Version("1.4") <= Version(tf.__version__) < Version("2.0")
    assert tf.__version__.startswith("1.")
    assert int(tf.__version__.split(".")[0]) == 1 and int(tf.__version__.split(".")[1]) >= 13


def test_distutils_version_classes_accept_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        version = pytest.importorskip("distutils.version")  # gone in Python 3.12; TF1-era code still uses it
        assert version.StrictVersion("1.4") <= version.StrictVersion(tf.__version__)
        assert version.LooseVersion(tf.__version__) >= version.LooseVersion("1.12.0")


def test_estflows_release_is_what_packaging_reports():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert tf.__estflow_version__ == tf.version.ESTFLOW_VERSION == project["version"]
    assert tf.GIT_VERSION == tf.version.GIT_VERSION and tf.version.ESTFLOW_VERSION in tf.GIT_VERSION


def test_build_and_graph_def_versions():
    assert tf.GRAPH_DEF_VERSION == tf.version.GRAPH_DEF_VERSION == graph_io.GRAPH_DEF_VERSION
    assert tf.GRAPH_DEF_VERSION_MIN_CONSUMER == tf.version.GRAPH_DEF_VERSION_MIN_CONSUMER == 0
    assert tf.GRAPH_DEF_VERSION_MIN_PRODUCER == tf.version.GRAPH_DEF_VERSION_MIN_PRODUCER == 0
    g = tf.Graph()
    assert g.as_graph_def().versions.producer == tf.GRAPH_DEF_VERSION  # what estflow writes is what it reports
    assert isinstance(tf.COMPILER_VERSION, str) and tf.COMPILER_VERSION == tf.version.COMPILER_VERSION
    assert (tf.CXX11_ABI_FLAG, tf.MONOLITHIC_BUILD, tf.CXX_VERSION) == (0, 0, 0)


def test_reading_the_version_loads_no_engine():
    code = ("import json, sys\nimport estflow as tf\n"
            "v = (tf.__version__, tf.VERSION, tf.__estflow_version__)\n"
            "print(json.dumps([v, sorted(m for m in sys.modules if m.startswith('estflow'))]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    versions, modules = json.loads(out.stdout)
    assert versions[0] == "1.15.0"
    assert modules == ["estflow", "estflow._lazy", "estflow.library", "estflow.library.versions"]


def test_a_star_import_leaves_the_importers_own_version_alone():
    namespace = {"__version__": "7.0"}
    exec("from estflow import *", namespace)  # noqa: S102 - the star import a TF1 script might do
    assert namespace["__version__"] == "7.0" and "__estflow_version__" not in namespace
    assert namespace["VERSION"] == "1.15.0"
