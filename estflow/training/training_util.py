"""The global step: the int64 variable counting training steps, as TF1's `training_util`.

    global_step = tf.train.get_or_create_global_step()
    train_op = optimizer.minimize(loss, global_step=global_step)
    tf.train.global_step(sess, global_step)   # -> 1 after one step
"""

from __future__ import annotations

import logging

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, Tensor, get_default_graph
from estflow.core.init_ops import Zeros
from estflow.core.registry import apply_op
from estflow.core.variable_scope import VariableScope, get_variable, variable_scope
from estflow.core.variables import Variable, assign_add

_logger = logging.getLogger("estflow")

GLOBAL_STEP_READ_KEY = "global_step_read_op_cache"  # collection holding the cached `global_step + 0` read


def global_step(sess, global_step_tensor) -> int:
    """The global step's value in `sess`, as a Python int (`tf.train.global_step`)."""
    return int(sess.run(global_step_tensor))


def get_global_step(graph=None):
    """The global step of `graph` (default graph): the GLOBAL_STEP collection's only item, else
    the tensor named "global_step:0", else None.

    Raises:
        TypeError: if the global step found is not an integer scalar Variable or Tensor.
    """
    graph = graph if graph is not None else get_default_graph()
    tensors = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(tensors) == 1:
        found = tensors[0]
    elif not tensors:
        try:
            found = graph.get_tensor_by_name("global_step:0")
        except KeyError:
            return None
    else:
        _logger.error("Multiple tensors in global_step collection.")
        return None
    assert_global_step(found)
    return found


def create_global_step(graph=None) -> Variable:
    """Create the global step of `graph`: a non-trainable int64 scalar named "global_step", starting at 0.

    It is created at the top of the variable and name scopes, in GLOBAL_VARIABLES and GLOBAL_STEP.

    Raises:
        ValueError: if the graph already has a global step.
    """
    graph = graph if graph is not None else get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        # NOTE: TF1 calls get_variable in whatever variable scope is current; the root scope
        # keeps the name "global_step" (what get_global_step's fallback looks for) everywhere.
        with variable_scope(VariableScope(False), auxiliary_name_scope=False):
            return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=dtypes.int64, initializer=Zeros(),
                                trainable=False, collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The global step of `graph`, created first if it has none (`tf.train.get_or_create_global_step`)."""
    graph = graph if graph is not None else get_default_graph()
    found = get_global_step(graph)
    if found is None:
        found = create_global_step(graph)
    return found


def assert_global_step(global_step_tensor) -> None:
    """Raise TypeError unless `global_step_tensor` is an integer scalar Variable or Tensor."""
    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError(f'Existing "global_step" must be a Variable or Tensor: {global_step_tensor}.')
    if not global_step_tensor.dtype.is_integer:
        raise TypeError(f'Existing "global_step" does not have integer type: {global_step_tensor.dtype.name}')
    shape = global_step_tensor.get_shape()
    if shape.ndims != 0 and shape.is_fully_defined():
        raise TypeError(f'Existing "global_step" is not scalar: {shape}')


def _get_global_step_read(graph=None):
    """The cached read of the global step (see `_get_or_create_global_step_read`), or None."""
    graph = graph if graph is not None else get_default_graph()
    reads = graph.get_collection(GLOBAL_STEP_READ_KEY)
    if len(reads) > 1:
        raise RuntimeError(f"There are multiple items in collection {GLOBAL_STEP_READ_KEY}. There should be only one.")
    return reads[0] if reads else None


def _get_or_create_global_step_read(graph=None):
    """A tensor holding the global step's value at the start of a run (`global_step/add:0`).

    Estimators build the model under a control dependency on it, so hooks see the step
    before the train op increments it. None when the graph has no global step.
    """
    graph = graph if graph is not None else get_default_graph()
    read = _get_global_step_read(graph)
    if read is not None:
        return read
    step = get_global_step(graph)
    if step is None:
        return None
    with graph.as_default(), graph.name_scope(None), graph.name_scope(step.op.name + "/"):
        value = step.initialized_value() if isinstance(step, Variable) else step
        read = apply_op("AddV2", value, 0, name="add")  # a copy of the value, not a view of the variable
        graph.add_to_collection(GLOBAL_STEP_READ_KEY, read)
    return _get_global_step_read(graph)


def _increment_global_step(increment, graph=None):
    """An op adding `increment` to the global step, after the cached read of it."""
    graph = graph if graph is not None else get_default_graph()
    step = get_global_step(graph)
    if step is None:
        raise ValueError("Global step tensor should be created by tf.train.get_or_create_global_step before "
                         "calling increment.")
    read = _get_or_create_global_step_read(graph)
    with graph.as_default(), graph.name_scope(None), graph.name_scope(step.op.name + "/"):
        with graph.control_dependencies([read]):
            return assign_add(step, increment)
