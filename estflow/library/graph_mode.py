"""What TF1 programs ask about execution mode, answered for estflow, which always builds graphs.

`tf.executing_eagerly()` is False, as it is in TF1 graph mode; switching eager execution or
TF2 behaviour off is a no-op (estflow already runs TF1's model), and switching either on
raises an error that says why. `tf.GradientTape` records eager computation, so it refuses
construction and points to `tf.gradients`. `get_static_value` and `init_scope` are TF1's
graph-mode helpers.
"""

from __future__ import annotations

import contextlib

import numpy as np

from estflow.core.graph import Tensor, get_default_graph

_GRAPHS_ONLY = "estflow builds graphs and runs them in a tf.Session; it has no eager execution"


def executing_eagerly() -> bool:
    """False: ops build graph nodes and run in a Session, as in TF1 graph mode (`tf.executing_eagerly`)."""
    return False


def executing_eagerly_outside_functions() -> bool:
    """False: the outermost context is a graph, as in TF1 graph mode."""
    return False


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    """Refused: estflow has no eager mode (RuntimeError saying so)."""
    raise RuntimeError(f"{_GRAPHS_ONLY}: tf.enable_eager_execution() cannot switch it on (config={config!r}, "
                       f"device_policy={device_policy!r}, execution_mode={execution_mode!r}). Build the graph "
                       "and evaluate it with tf.Session().run(...).")


def disable_eager_execution() -> None:
    """A no-op: estflow always builds graphs, which is what this asks for."""


def enable_v2_behavior():
    """Refused: estflow implements TF1's programming model only (RuntimeError saying so)."""
    raise RuntimeError(f"{_GRAPHS_ONLY}; tf.enable_v2_behavior() would switch to TF2's eager model, which estflow "
                       "does not implement. Drop the call: TF1 code runs as written.")


def disable_v2_behavior() -> None:
    """A no-op: estflow already behaves as TF1 (graphs, sessions, ref variables)."""


def resource_variables_enabled() -> bool:
    """False: estflow's variables are TF1's ref variables (`VariableV2`)."""
    return False


def disable_resource_variables() -> None:
    """A no-op: estflow's variables are TF1's ref variables already."""


class GradientTape:
    """Refused: `tf.GradientTape` records eager execution, which estflow does not run.

    Take gradients in the graph instead: `tf.gradients(loss, [w, b])` or an optimizer's
    `compute_gradients`.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        raise RuntimeError(f"{_GRAPHS_ONLY}, so tf.GradientTape (persistent={persistent}, watch_accessed_variables="
                           f"{watch_accessed_variables}) has nothing to record. Use tf.gradients(ys, xs) or "
                           "optimizer.compute_gradients(loss) on the graph.")


def is_symbolic_tensor(tensor) -> bool:
    """True for a graph tensor (every estflow Tensor is one), as `tf.is_symbolic_tensor`."""
    return isinstance(tensor, Tensor)


def get_static_value(tensor, partial=False):
    """The value of `tensor` if it is known while the graph is built (constants and what folds
    from them), else None, as `tf.get_static_value`. Non-tensors come back as numpy arrays.

    `partial=True` is TF's request for partly known values; estflow knows values whole or not
    at all, so it returns the same.
    """
    if not isinstance(tensor, Tensor):
        return np.asarray(tensor)
    value = tensor._const_value
    return None if value is None else np.asarray(value)


@contextlib.contextmanager
def init_scope():
    """Lifts op creation out of function-building graphs (a while_loop body, a Dataset.map
    function) into the outermost graph, with no control dependencies, keeping the name scope,
    as `tf.init_scope` in graph mode. Variables' initializers use it."""
    graph = get_default_graph()
    scope = graph.get_name_scope()
    outer = graph
    while getattr(outer, "outer_graph", None) is not None:
        outer = outer.outer_graph
    with outer.as_default(), outer.name_scope(f"{scope}/" if scope else None), outer.control_dependencies(None):
        yield
