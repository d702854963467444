"""`arg_scope`: default keyword arguments for decorated functions, as TF1's
`tf.contrib.framework.arg_scope` / `add_arg_scope`.

    with arg_scope([layers.conv2d], padding="VALID", activation_fn=tf.nn.relu):
        net = layers.conv2d(images, 32, [3, 3])              # padding="VALID" from the scope
        net = layers.conv2d(net, 64, [3, 3], padding="SAME")  # an explicit argument wins

Scopes nest; an inner scope adds to (and overrides) the outer one's arguments for the same
function, and `with arg_scope(saved_scope):` re-enters a scope dict a `with` returned.
Only functions decorated with `add_arg_scope` take part.
"""

from __future__ import annotations

import contextlib
import functools
import inspect

_ARG_STACK: list[dict] = [{}]
_DECORATED: dict[str, list[str]] = {}  # key -> the function's argument names


def arg_scope_func_key(op) -> str:
    return getattr(op, "_key_op", str(op))


def _name_op(op) -> str:
    return getattr(op, "__module__", "?") + "." + getattr(op, "__name__", str(op))


def current_arg_scope() -> dict:
    """The innermost scope: {function key: {argument: value}}."""
    return _ARG_STACK[-1]


def has_arg_scope(func) -> bool:
    """Whether `func` was decorated with `add_arg_scope`."""
    return arg_scope_func_key(func) in _DECORATED


def arg_scoped_arguments(func) -> list:
    """The argument names of a decorated `func` that an arg_scope can set."""
    if not has_arg_scope(func):
        raise ValueError(f"{_name_op(func)} is not decorated with @add_arg_scope")
    return list(_DECORATED[arg_scope_func_key(func)])


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
    """Set default `kwargs` for each decorated function in `list_ops_or_scope` (or re-enter a scope dict)."""
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError("When attempting to re-use a scope by suppling a dictionary, kwargs must be empty.")
        scope = dict(list_ops_or_scope)
    else:
        if not isinstance(list_ops_or_scope, (list, tuple)):
            raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict)")
        scope = dict(current_arg_scope())
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                raise ValueError(f"{_name_op(op)} is not decorated with @add_arg_scope")
            key = arg_scope_func_key(op)
            scope[key] = {**scope.get(key, {}), **kwargs}
    _ARG_STACK.append(scope)
    try:
        yield scope
    finally:
        _ARG_STACK.pop()


def add_arg_scope(func):
    """Decorate `func` so that enclosing `arg_scope`s supply default keyword arguments to it."""
    key = arg_scope_func_key(func)

    @functools.wraps(func)
    def func_with_args(*args, **kwargs):
        scoped = current_arg_scope().get(key)
        if scoped:
            kwargs = {**scoped, **kwargs}
        return func(*args, **kwargs)

    try:
        names = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # builtins without a signature take no scoped arguments by name
        names = []
    _DECORATED[key] = names
    func_with_args._key_op = key
    return func_with_args
