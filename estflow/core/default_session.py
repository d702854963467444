"""The default session (`with sess.as_default()`, `InteractiveSession`): a leaf of core.

`Tensor.eval()` and `Operation.run()` run in the default session; keeping its stack here
lets the graph module reach it without importing the session module, which builds on the
graph.
"""

from __future__ import annotations

import threading


class _DefaultSessionState(threading.local):
    def __init__(self):
        self.stack: list = []  # sessions, innermost last


_default = _DefaultSessionState()


def get_default_session():
    """The session of the innermost `with sess.as_default()` (or `with Session()`), or None."""
    return _default.stack[-1] if _default.stack else None


def clear_interactive_session() -> None:
    """Drop an InteractiveSession installed as the default (`tf.reset_default_graph` does)."""
    if _default.stack and getattr(_default.stack[0], "_interactive", False):
        _default.stack.clear()


def _run_using_default_session(fetch, feed_dict, graph, session=None):
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError("Cannot evaluate tensor using `Tensor.eval()`: No default session is registered. "
                             "Use `with sess.as_default()` or pass an explicit session to "
                             "`Tensor.eval(session=sess)`")
    if session.graph is not graph:
        raise ValueError("Cannot use the given session to evaluate tensor: the tensor's graph is different "
                         "from the session's graph.")
    return session.run(fetch, feed_dict)
