"""Layers import only in one direction (DESIGN.md), and the public namespace only re-exports.

The order below is the single list of layers; a module in one layer may import from its
own layer and those before it, never after.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "estflow"
LAYERS = ["core", "library", "training", "data", "summary", "serving", "feature_columns", "hooks", "estimators",
          "distribute", "cli"]


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(path: Path, node: ast.ImportFrom, root: Path) -> str:
    """The absolute module an ImportFrom names; relative ones (`from . import x`) resolved against `path`."""
    if node.level == 0:
        return node.module
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def _imports(path: Path, root: Path = ROOT):
    """(line, module) for every import in the file: module level, inside functions, relative or absolute.

    `from estflow.core import graph` yields `estflow.core.graph`, so the layer of what is
    imported is seen even when a package imports its submodules by name.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(path, node, root)
            yield node.lineno, module
            if module in ("estflow", "estflow.core"):
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}"


def _layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "estflow" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def _layer_problems(path: Path, layer: str, root: Path = ROOT) -> list[str]:
    rank = LAYERS.index(layer)
    problems = []
    where = path.relative_to(root.parent)
    for lineno, module in _imports(path, root):
        target = _layer_of(module)
        if module == "estflow":
            problems.append(f"{where}:{lineno} imports the public `estflow` namespace; import the implementation "
                            "instead")
        elif module.startswith("estflow.") and target is None:
            problems.append(f"{where}:{lineno} imports the public namespace module {module}; import the "
                            "implementation instead")
        elif target is not None and LAYERS.index(target) > rank:
            problems.append(f"{where}:{lineno}: layer '{layer}' imports later layer '{target}' ({module})")
    return problems


def test_layers_import_only_earlier_layers():
    problems = []
    for layer in LAYERS:
        folder = ROOT / layer
        if folder.is_dir():
            for path in folder.rglob("*.py"):
                if not path.name.endswith("_pb2.py"):
                    problems += _layer_problems(path, layer)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("source", [
    "from estflow.training import saver\n",
    "def f():\n    from estflow.training.saver import Saver\n",
    "from ..training import saver\n",
    "def f():\n    from ..training.saver import Saver\n",
    "from .. import nn\n",
    "import estflow.nn\n",
])
def test_layering_check_sees_every_kind_of_import(tmp_path, source):
    # Absolute or relative, module level or inside a function: each reaches a later layer or a namespace.
    module = tmp_path / "estflow" / "core" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    assert _layer_problems(module, "core", tmp_path / "estflow")


def test_layering_check_allows_earlier_layers(tmp_path):
    module = tmp_path / "estflow" / "training" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("from ..core import graph\nfrom . import saver\n"
                      "def f():\n    from ..library.nn_impl import relu\n")
    assert _layer_problems(module, "training", tmp_path / "estflow") == []


def _thin_modules():
    yield ROOT / "__init__.py"
    for path in ROOT.glob("*.py"):
        if path.name != "__init__.py":
            yield path
    for layer in ("data", "summary"):
        init = ROOT / layer / "__init__.py"
        if init.exists():
            yield init


@pytest.mark.parametrize("path", list(_thin_modules()), ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_namespace_modules_only_reexport(path):
    tree = ast.parse(path.read_text())
    allowed = (ast.Import, ast.ImportFrom, ast.Expr)  # imports and the docstring
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id in ("__all__", "__version__")
                                                for t in node.targets):
            continue
        assert isinstance(node, allowed), (
            f"{path.name}:{node.lineno} defines something ({type(node).__name__}); namespace modules only "
            "re-export with `from x import y as y`")
        if isinstance(node, ast.Expr):
            assert isinstance(node.value, ast.Constant), f"{path.name}:{node.lineno}: only a docstring may stand here"


@pytest.mark.parametrize("path", list(_thin_modules()), ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_every_reexported_name_resolves(path):
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    module = importlib.import_module(".".join(parts))
    for name in getattr(module, "__all__", []):
        assert hasattr(module, name), f"{module.__name__}.__all__ names {name}, which does not resolve"
