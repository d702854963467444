"""The engine: graph, ops, session, variables, devices, dtypes and errors.

Importing any part of core registers every op type the engine defines (the op modules and
the variable ops), so a graph built or a GraphDef imported always finds the whole registry.
"""

from estflow.core import gradients as _gradients  # noqa: F401 - registers SumToShape
from estflow.core import ops as _ops  # noqa: F401 - registers every op type under core/ops/
from estflow.core import variables as _variables  # noqa: F401 - registers VariableV2, Assign, Scatter*, ...
