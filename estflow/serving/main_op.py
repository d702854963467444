"""`tf.saved_model.main_op`: the op a SavedModel runs after restoring (local variables, tables)."""

from __future__ import annotations

from estflow.core.graph import control_dependencies, get_default_graph
from estflow.core.ops.control_flow_ops import group
from estflow.core.variables import local_variables_initializer
from estflow.library.lookup_ops import tables_initializer


def main_op():
    """Initialize the local variables and the lookup tables (what a loaded model needs before serving)."""
    return group(local_variables_initializer(), tables_initializer())


def main_op_with_restore(restore_op_name):
    """`main_op()`, then the restore op named `restore_op_name` (TF1's legacy pattern)."""
    restore_op = get_default_graph().as_graph_element(restore_op_name, allow_tensor=False) \
        if isinstance(restore_op_name, (str, bytes)) else restore_op_name
    with control_dependencies([main_op()]):
        return group(restore_op)
