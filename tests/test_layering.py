"""Layers import only in one direction (DESIGN.md), and the public namespace only re-exports.

The order below is the single list of layers; a module in one layer may import from its
own layer and those before it, never after.
"""

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "estflow"
LAYERS = ["core", "library", "train", "data", "summary", "serving", "feature_columns", "hooks", "estimators",
          "distribute", "cli"]


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "estflow" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def test_layers_import_only_earlier_layers():
    problems = []
    for layer in LAYERS:
        folder = ROOT / layer
        if not folder.is_dir():
            continue
        rank = LAYERS.index(layer)
        for path in folder.rglob("*.py"):
            if path.name.endswith("_pb2.py"):
                continue
            for lineno, module in _imports(path):
                target = _layer_of(module)
                if module.startswith("estflow") and target is None and module != "estflow":
                    problems.append(f"{path.relative_to(ROOT.parent)}:{lineno} imports the public namespace "
                                    f"module {module}; import the implementation instead")
                elif module == "estflow":
                    problems.append(f"{path.relative_to(ROOT.parent)}:{lineno} imports the public `estflow` "
                                    "namespace; import the implementation instead")
                elif target is not None and LAYERS.index(target) > rank:
                    problems.append(f"{path.relative_to(ROOT.parent)}:{lineno}: layer '{layer}' imports later "
                                    f"layer '{target}' ({module})")
    assert not problems, "\n".join(problems)


def _thin_modules():
    yield ROOT / "__init__.py"
    for path in ROOT.glob("*.py"):
        if path.name != "__init__.py":
            yield path
    for layer in ("train", "data", "summary"):
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
