"""Lazy namespace modules (PEP 562): a re-exported name is imported on its first use.

Each TF1 namespace module (`estflow/__init__.py`, `nn.py`, `train.py`, `data/__init__.py`, ...)
keeps its explicit re-exports in a stub beside it (`__init__.pyi`, `nn.pyi`), one
`from x import y as y` a line, as type checkers and readers expect; the module itself is

    from estflow import _lazy
    __getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)

so `import estflow` loads no subpackage, and `tf.nn.relu` imports `estflow.library.nn_impl`
(and what it needs) the first time it is looked up. This is SciPy's and `lazy_loader`'s
scheme, in a few lines with no dependency. The stub is read with plain string methods,
not `ast`, to keep `import estflow` cheap; a test checks every stub against `ast`.
"""

from __future__ import annotations

import importlib
import sys


def read_stub(path: str) -> tuple[dict[str, tuple[str, str | None]], list[str] | None]:
    """({public name: (module, attribute or None for the module itself)}, the stub's `__all__` or None)."""
    with open(path, encoding="utf-8") as f:
        text = f.read().lstrip()
    if text.startswith(('"""', "'''")):  # the docstring
        text = text[text.index(text[:3], 3) + 3:]
    names: dict[str, tuple[str, str | None]] = {}
    public = None
    lines = iter(text.splitlines())
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        while line.count("(") > line.count(")") or line.count("[") > line.count("]"):  # a wrapped statement
            line += " " + next(lines).split("#", 1)[0].strip()
        if line.startswith("__all__"):
            inside = line[line.index("[") + 1:line.index("]")]
            public = [item.strip().strip("\"'") for item in inside.split(",") if item.strip()]
            continue
        head, _, tail = line.partition(" import ")
        words = head.split()
        if len(words) == 2 and words[0] == "from":
            for item in tail.strip("() ").split(","):
                parts = item.split()
                if len(parts) == 3 and parts[1] == "as":
                    names[parts[2]] = (words[1], parts[0])
                elif parts:
                    raise SyntaxError(f"{path}: re-export {item.strip()!r} as `y as y`, got it in {raw!r}")
        elif line.startswith("import ") and len(line.split()) == 4 and line.split()[2] == "as":
            names[line.split()[3]] = (line.split()[1], None)
        elif line:
            raise SyntaxError(f"{path}: a namespace stub holds only `from x import y as y` lines and __all__, "
                              f"got {raw!r}")
    return names, public


def attach_stub(module_name: str, filename: str):
    """(`__getattr__`, `__dir__`, `__all__`) for module `module_name`, from the `.pyi` stub beside `filename`."""
    stub = filename[:-3] + ".pyi" if filename.endswith(".py") else filename + "i"
    names, public = read_stub(stub)

    def __getattr__(name: str):  # PEP 562
        try:
            source, attribute = names[name]
        except KeyError:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}") from None
        if attribute is None:
            value = importlib.import_module(source)
        elif source == module_name:  # `from estflow import nn as nn` inside estflow: a submodule
            value = importlib.import_module(f"{source}.{attribute}")
        else:
            module = importlib.import_module(source)
            try:
                value = getattr(module, attribute)
            except AttributeError:  # `from package import submodule as name`
                value = importlib.import_module(f"{source}.{attribute}")
        setattr(sys.modules[module_name], name, value)  # later lookups are plain attribute reads
        return value

    def __dir__() -> list[str]:  # PEP 562
        return sorted(set(vars(sys.modules[module_name])) | set(names))

    # `__all__` leaves out underscored names (`__version__`): `from estflow import *` must not set the importer's
    return __getattr__, __dir__, list(public if public is not None else [n for n in names if not n.startswith("_")])
