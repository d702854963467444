"""Lazy namespaces (estflow/_lazy.py): what a fresh interpreter loads, and a complete op registry.

Each check runs in its own interpreter, since this test process has long loaded everything.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from estflow import _lazy

REPO = Path(__file__).resolve().parent.parent


def _fresh(code: str):
    """Run `code` in a new interpreter on this checkout; it prints one JSON value, returned here."""
    env_path = str(REPO)
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {env_path!r})\n{code}"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


_LOADED = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if m.startswith('estflow'))))"


def _layers(modules):
    return {m.split(".")[1] for m in modules if m.count(".") >= 1}


def test_import_estflow_loads_no_subpackage():
    loaded = _fresh(f"import estflow\n{_LOADED}")
    assert loaded == ["estflow", "estflow._lazy"]


def test_import_estflow_loads_no_numpy():
    assert _fresh("import estflow, sys, json; print(json.dumps('numpy' in sys.modules))") is False


def test_import_core_loads_no_later_layer():
    layers = _layers(_fresh(f"import estflow.core\n{_LOADED}"))
    assert layers <= {"_lazy", "core"}, layers


def test_import_data_loads_nothing_of_summary_or_later():
    layers = _layers(_fresh(f"import estflow.data\nimport estflow.data.dataset_ops\nimport estflow.data.readers\n"
                            f"{_LOADED}"))
    assert not layers & {"summary", "serving", "feature_columns", "hooks", "estimators", "distribute", "cli"}, layers


def test_a_namespace_loads_only_what_its_names_need():
    # tf.nn reaches the library layer, never training, data or summary; tf.train never data or summary.
    assert not _layers(_fresh(f"import estflow as tf\ntf.nn.relu\n{_LOADED}")) & {"training", "data", "summary"}
    assert not _layers(_fresh(f"import estflow as tf\ntf.train.AdamOptimizer\n{_LOADED}")) & {"data", "summary"}


_REGISTRY = ("from estflow.core import registry\n"
             "print(json.dumps(sorted(registry.registered_ops())))")


def test_op_registry_is_complete_after_the_first_op():
    # `tf.placeholder` alone must leave every op type registered, so a GraphDef holding any op imports.
    first_use = _fresh(f"import json, estflow as tf\ntf.placeholder(tf.float32)\n{_REGISTRY}")
    everything = _fresh("import json, importlib, pkgutil, estflow\n"
                        "for layer in ('core', 'library', 'training', 'summary'):\n"
                        "    package = importlib.import_module('estflow.' + layer)\n"
                        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
                        "        importlib.import_module(info.name)\n"
                        f"{_REGISTRY}")
    assert first_use == everything


def test_import_graph_def_finds_variable_ops_without_touching_variables():
    # A GraphDef with VariableV2/Assign imported by a program that only ever used tf.import_graph_def.
    import estflow as tf

    with tf.Graph().as_default() as g:
        tf.Variable(3.0, name="v")
    graph_def = g.as_graph_def().SerializeToString()
    result = _fresh("import json, estflow as tf\n"
                    f"gd = tf.GraphDef.FromString({graph_def!r})\n"
                    "tf.import_graph_def(gd, name='')\n"
                    "with tf.Session() as s:\n"
                    "    s.run('v/Assign')\n"
                    "    print(json.dumps(float(s.run('v:0'))))")
    assert result == 3.0


def test_names_resolve_on_first_use_and_are_then_plain_attributes():
    done = _fresh("import json, estflow as tf\n"
                  "before = 'Session' in vars(tf)\n"
                  "tf.Session\n"
                  "print(json.dumps([before, 'Session' in vars(tf), 'Session' in dir(tf)]))")
    assert done == [False, True, True]


def test_the_loader_reads_wrapped_reexports_and_all(tmp_path):
    stub = tmp_path / "ns.pyi"
    stub.write_text('"""Doc, with from a import b as c inside."""\n\n'
                    "from pkg.mod import (\n    alpha as alpha,\n    beta as gamma,  # renamed\n)\n"
                    "import pkg.other as other\n"
                    '__all__ = [\n    "alpha",\n    "gamma",\n]\n')
    names, public = _lazy.read_stub(str(stub))
    assert names == {"alpha": ("pkg.mod", "alpha"), "gamma": ("pkg.mod", "beta"), "other": ("pkg.other", None)}
    assert public == ["alpha", "gamma"]


@pytest.mark.parametrize("line", ["x = 1\n", "from pkg import thing\n", "def f(): pass\n"])
def test_the_loader_refuses_anything_but_reexports(tmp_path, line):
    stub = tmp_path / "ns.pyi"
    stub.write_text(line)
    with pytest.raises(SyntaxError, match="ns.pyi"):
        _lazy.read_stub(str(stub))
