"""`tf.create_partitioned_variables`: TF1's (deprecated) direct builder of a partitioned variable's parts."""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.variable_scope import _get_default_variable_store, get_variable_scope, variable_scope


def create_partitioned_variables(shape, slicing, initializer, dtype=dtypes.float32, trainable=True, collections=None,
                                 name=None, reuse=None) -> list:
    """The parts (`<scope>/part_<i>`) of a variable of `shape` split as `slicing` says (one entry > 1
    at most), as `tf.create_partitioned_variables`; the variable scope is `name` or
    "PartitionedVariable". Even a slicing of ones makes one part `part_0`, as in TF.

        parts = tf.create_partitioned_variables([10, 4], [2, 1], tf.zeros_initializer(), name="w")
    """
    shape, slicing = list(shape), [int(s) for s in slicing]
    if len(shape) != len(slicing):
        raise ValueError(f"The 'shape' and 'slicing' of a partitioned Variable must have the length: shape: {shape}, "
                         f"slicing: {slicing}")
    if len(shape) < 1:
        raise ValueError(f"A partitioned Variable must have rank at least 1: shape: {shape}")
    with variable_scope(name, "PartitionedVariable", reuse=reuse):
        scope = get_variable_scope()
        with name_scope(None):  # variable names are absolute (the scope's), as get_variable makes them
            partitioned = _get_default_variable_store()._get_partitioned_variable(
                scope.name, slicing, shape, dtypes.as_dtype(dtype), initializer, None, scope.reuse, trainable,
                collections, None, True, None)
    return list(partitioned)
