"""Layers import only in one direction (DESIGN.md), and the public namespace only re-exports.

`LAYERS` below is the single list of layers; a module in one layer may import from its own
layer and those before it, never after (absolute or relative imports, at module level or
inside functions). The TF1 namespaces (`estflow/__init__.py`, `nn.py`, `train.py`, ...) are
lazy: each is a docstring and the hook of `estflow/_lazy.py`, with its re-exports in the
`.pyi` stub beside it. Inside core, module-level imports form no cycle, core's leaves import
only leaves, and every import left inside a function says why.
"""

import ast
import importlib
from pathlib import Path

import pytest

from estflow import _lazy

ROOT = Path(__file__).resolve().parent.parent / "estflow"
LAYERS = ["core", "library", "training", "data", "summary", "serving", "model_server", "feature_columns", "hooks",
          "estimators", "distribute", "cli"]


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
            if module in ("estflow", "estflow.core"):  # `from estflow.core import graph`: what is imported is a module
                for alias in node.names:
                    yield node.lineno, f"{module}.{alias.name}"
            else:
                yield node.lineno, module


def _layer_of(module: str):
    parts = module.split(".")
    if parts[0] != "estflow" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


# A namespace stub inside a layer's package that re-exports a later layer's name (TF puts it there), and why.
# The stub is lazy: `import estflow.data` loads nothing of the later layer until the name is used.
STUB_REEXPORTS = {
    ("estflow/data/experimental.pyi", "estflow.hooks.input_pipeline_hook"):
        "tf.data.experimental.CheckpointInputPipelineHook is a SessionRunHook (it wraps CheckpointSaverHook)",
}


def _layer_problems(path: Path, layer: str, root: Path = ROOT) -> list[str]:
    rank = LAYERS.index(layer)
    problems = []
    where = path.relative_to(root.parent)
    for lineno, module in _imports(path, root):
        target = _layer_of(module)
        if module == "estflow._lazy":  # the namespace loader, a leaf below every layer
            continue
        if (where.as_posix(), module) in STUB_REEXPORTS:
            continue
        if module in ("estflow.python.client", "estflow.python.client.timeline"):  # TF1's path; stdlib-only leaf
            continue
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
            for path in sorted(folder.rglob("*.py")) + sorted(folder.rglob("*.pyi")):  # .pyi: a namespace's stub
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


def _namespace_stubs():
    """Every TF1 namespace module's stub: estflow/__init__.pyi, nn.pyi, train.pyi, data/__init__.pyi, ..."""
    return sorted(ROOT.rglob("*.pyi"))


def _stub_id(path):
    return str(path.relative_to(ROOT.parent))


def test_every_top_level_module_is_a_lazy_namespace():
    # estflow/*.py are the TF1 namespaces (tf.nn, tf.train, ...); only the lazy loader itself is code.
    for path in ROOT.glob("*.py"):
        if path.name not in ("_lazy.py", "__main__.py"):  # __main__.py: `python -m estflow` runs the CLI
            assert path.with_suffix(".pyi").exists(), f"{path.name} is a namespace module without its stub"


@pytest.mark.parametrize("stub", _namespace_stubs(), ids=_stub_id)
def test_namespace_module_is_only_the_lazy_hook(stub):
    # The .py beside the stub: a docstring, (top level) __version__, and the PEP 562 hook from the stub.
    path = stub.with_suffix(".py")
    tree = ast.parse(path.read_text())
    body = [ast.unparse(node) for node in tree.body[1:] if not (
        isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"])]
    assert ast.get_docstring(tree), f"{path.name} needs a docstring saying which TF1 namespace it is"
    assert body == ["from estflow import _lazy",
                    "__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)"], (
        f"{path.name}: a namespace module is its docstring and the lazy hook; re-exports go in {stub.name}")


def _stub_reexports(stub):
    """{name: (module, attribute or None)} read with `ast`, checking that the stub only re-exports."""
    names = {}
    tree = ast.parse(stub.read_text())
    for node in tree.body[1:] if ast.get_docstring(tree) else tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            continue
        assert isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "level", 0) == 0, (
            f"{stub.name}:{node.lineno} defines something ({type(node).__name__}); namespace modules only "
            "re-export with `from x import y as y`")
        for alias in node.names:
            assert alias.asname, f"{stub.name}:{node.lineno}: write `{alias.name} as {alias.name}`, the re-export form"
            names[alias.asname] = (node.module, alias.name) if isinstance(node, ast.ImportFrom) else (alias.name, None)
    return names


@pytest.mark.parametrize("stub", _namespace_stubs(), ids=_stub_id)
def test_namespace_stubs_only_reexport_and_the_loader_reads_them_as_python_does(stub):
    names, _ = _lazy.read_stub(str(stub))
    assert names == _stub_reexports(stub)


@pytest.mark.parametrize("stub", _namespace_stubs(), ids=_stub_id)
def test_every_reexported_name_resolves(stub):
    module = importlib.import_module(_module_name(stub.with_suffix(".py")))
    names, public = _lazy.read_stub(str(stub))
    assert set(module.__all__) == set(public if public is not None else [n for n in names if not n.startswith("_")])
    for name in module.__all__:
        assert hasattr(module, name), f"{module.__name__}.__all__ names {name}, which does not resolve"
    for name, (source, attribute) in names.items():
        if attribute is None:
            expected = importlib.import_module(source)
        else:
            owner = importlib.import_module(source)
            expected = (getattr(owner, attribute) if hasattr(owner, attribute)
                        else importlib.import_module(f"{source}.{attribute}"))
        assert getattr(module, name) is expected, f"{module.__name__}.{name} is not {source}.{attribute}"
        assert name in dir(module)


def test_unknown_names_raise_attribute_error():
    import estflow

    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        estflow.no_such_name  # noqa: B018


def _function_level_imports(path: Path):
    """(line, source line) of each import statement inside a function or lambda in `path`."""
    source = path.read_text()
    lines = source.splitlines()
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if inside and isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, lines))
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


def _says_why(node, lines) -> bool:
    """A comment on the import's own line(s) or on a comment line right above it."""
    own = any("#" in lines[i - 1] for i in range(node.lineno, node.end_lineno + 1))
    return own or lines[node.lineno - 2].lstrip().startswith("#")


def test_every_import_inside_a_function_says_why():
    # Imports belong at the top of a module; one inside a function dodges a cycle or an optional
    # dependency (cupy, pandas) and must say which (STYLE.md §11). A missing leaf module is the usual fix.
    silent = []
    for path in sorted(ROOT.rglob("*.py")):
        for node, lines in _function_level_imports(path):
            if not _says_why(node, lines):
                silent.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not silent, "imports inside functions without a comment saying why:\n" + "\n".join(silent)


def test_the_function_import_check_sees_a_silent_one(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import json\n\n\ndef g():\n    # cycle: json imports this module\n"
                     "    import json\n\n\ndef h():\n    import json  # optional dependency\n")
    verdicts = [_says_why(node, lines) for node, lines in _function_level_imports(probe)]
    assert verdicts == [False, True, True]


def _core_import_graph() -> dict[str, set[str]]:
    """Module-level imports among core's modules, as Python runs them.

    Importing `estflow.core.ops.math_ops` first runs `estflow/core/ops/__init__.py`, so an
    import also reaches the packages above its target (not the importer's own packages,
    which are already running when it runs).
    """
    core = ROOT / "core"
    modules = {_module_name(p): p for p in core.rglob("*.py") if not p.name.endswith("_pb2.py")}
    graph = {}
    for name, path in modules.items():
        own = {name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)}
        edges = set()
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(path, node, ROOT)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                parts = target.split(".")
                for i in range(len(parts), 0, -1):
                    reached = ".".join(parts[:i])
                    if reached in modules and reached not in own and reached != name:
                        edges.add(reached)
        graph[name] = edges
    return graph


def test_core_module_level_imports_have_no_cycle():
    # Core has an internal order: leaves (dtypes, tensor_shape, tensor_util, dead, default_session,
    # tensor_conversion_registry, indexed_slices) under graph, registry, the op modules, and the
    # plan, session, autodiff and graph I/O above them. A cycle would mean that order is gone.
    graph = _core_import_graph()
    state, cycles = {}, []

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "module-level import cycles in core:\n" + "\n".join(cycles)


def test_the_cycle_check_sees_imports_through_a_package():
    # core/ops/__init__.py imports nothing: were it to import its modules again, any core module
    # importing one op module would depend on all of them, and the cycle test would say so.
    graph = _core_import_graph()
    assert graph["estflow.core.ops"] == set()
    assert "estflow.core.ops" in graph["estflow.core.sparse_tensor"]


CORE_LEAVES = ["crc32c", "dead", "default_session", "devices", "dtypes", "errors", "file_io",
               "indexed_slices", "nest", "protos", "tensor_conversion_registry", "tensor_shape", "tensor_util"]


def test_core_leaves_import_only_leaves():
    # What the graph, the registry, the op modules and the plan all need sits in leaves that
    # import no graph-building module, so each of those can import them at module level.
    graph = _core_import_graph()
    leaves = {f"estflow.core.{name}" for name in CORE_LEAVES}
    for name in leaves:
        beyond = {m for m in graph[name] if m not in leaves and not m.startswith("estflow.core.protos.")}
        assert not beyond, f"{name} is one of core's leaves but imports {sorted(beyond)}"
