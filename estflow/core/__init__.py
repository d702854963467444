"""The engine: graph, ops, session, variables, devices, dtypes and errors.

Importing any part of core registers every op type the engine defines (the op modules and
the variable ops), so a graph built or a GraphDef imported always finds the whole registry.
"""

from estflow.core import gradients as _gradients  # noqa: F401 - registers SumToShape
from estflow.core import variables as _variables  # noqa: F401 - registers VariableV2, Assign, Scatter*, ...
from estflow.core.ops import (  # noqa: F401 - imported to register every op type under core/ops/
    array_ops,
    cast_ops,
    comparison_ops,
    concat_ops,
    constant_op,
    control_flow_ops,
    conv_ops,
    ensure_shape_ops,
    file_string_ops,
    fill_ops,
    functional_ops,
    gather_ops,
    hash_ops,
    io_ops,
    linalg_ops,
    logging_ops,
    lookup_ops,
    manipulation_ops,
    math_ops,
    matmul_ops,
    matrix_ops,
    nn_loss_ops,
    nn_ops,
    parsing_ops,
    pooling_ops,
    queue_ops,
    random_distribution_ops,
    random_ops,
    reduction_ops,
    resource_variable_ops,
    script_ops,
    segment_ops,
    segment_reduce_ops,
    slicing_ops,
    space_batch_ops,
    sparse_concat_ops,
    sparse_math_ops,
    sparse_ops,
    string_ops,
    summary_ops,
    tensor_array_ops,
    training_ops,
    unary_ops,
)
