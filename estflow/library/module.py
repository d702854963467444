"""`tf.Module`: a named container of variables and sub-modules, as TF1 (graph mode) exposes it.

    class Dense(tf.Module):
        def __init__(self, units, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(tf.ones([3, units]), name="w")   # "dense/w:0"

    layer = Dense(2)
    layer.trainable_variables   # (w,)  found by walking the module's attributes

A module takes a unique name scope when it is built (`dense/`, then `dense_1/`); `name_scope`
re-enters it. `variables`, `trainable_variables`, `non_trainable_variables` and `submodules`
walk the attributes (sorted by name; lists, tuples and dicts included), each found once.
"""

from __future__ import annotations

import functools
import re

from estflow.core.graph import get_default_graph
from estflow.core.variables import Variable

_IDENTIFIER = re.compile(r"^[a-zA-Z_]([a-zA-Z0-9_])*$")
_CAMEL_BOUNDARY = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")


def camel_to_snake(value: str) -> str:
    return _CAMEL_BOUNDARY.sub(r"_\1", value).lower()


def _is_variable(value) -> bool:
    return isinstance(value, Variable)


class Module:
    """Base class for neural-network modules: a name scope plus tracking of the variables and
    modules held in its attributes."""

    def __init__(self, name=None):
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not _IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be valid Python identifiers "
                             "(e.g. a valid class name).")
        self._name = name
        with get_default_graph().name_scope(name) as scope_name:
            self._scope_name = scope_name

    @property
    def name(self) -> str:
        """The module's name (the constructor's, or the class name in snake_case)."""
        return self._name

    @property
    def name_scope(self):
        """A context manager re-entering the module's own name scope (absolute, as created)."""
        return get_default_graph().name_scope(self._scope_name)

    @property
    def variables(self) -> tuple:
        """Every variable of this module and its sub-modules, each once."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self) -> tuple:
        return tuple(self._flatten(predicate=lambda v: _is_variable(v) and v.trainable))

    @property
    def non_trainable_variables(self) -> tuple:
        return tuple(self._flatten(predicate=lambda v: _is_variable(v) and not v.trainable))

    @property
    def submodules(self) -> tuple:
        """Every module reachable from this one's attributes (not itself), each once."""
        return tuple(self._flatten(predicate=lambda v: isinstance(v, Module)))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None, with_path=False,
                 expand_composites=False):
        """The leaves of the module's attributes that satisfy `predicate` (default: all), depth-first
        over attributes sorted by `attribute_traversal_key`; with `with_path`, (path, leaf) pairs."""
        _ = expand_composites  # estflow's composite tensors hold no variables: nothing to expand
        predicate = predicate or (lambda _: True)
        seen = {id(self)}
        found: list = []
        self._walk(self, (), recursive, predicate, attribute_traversal_key, seen, found)
        return [(path, leaf) for path, leaf in found] if with_path else [leaf for _, leaf in found]

    @staticmethod
    def _walk(module, prefix, recursive, predicate, key, seen, found):
        for name in sorted(vars(module), key=key):
            Module._visit(getattr(module, name), prefix + (name,), recursive, predicate, key, seen, found)

    @staticmethod
    def _visit(value, path, recursive, predicate, key, seen, found):
        if isinstance(value, dict):
            for k in sorted(value, key=str):
                Module._visit(value[k], path + (k,), recursive, predicate, key, seen, found)
            return
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                Module._visit(item, path + (i,), recursive, predicate, key, seen, found)
            return
        if id(value) in seen:
            return
        if predicate(value):
            seen.add(id(value))
            found.append((path, value))
        if recursive and isinstance(value, Module):
            seen.add(id(value))
            Module._walk(value, path, recursive, predicate, key, seen, found)

    @classmethod
    def with_name_scope(cls, method):
        """Decorates `method` to run inside the module's name scope.

            @tf.Module.with_name_scope
            def __call__(self, x): ...
        """

        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        return wrapped

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__name__} object named {self._name!r}>"
