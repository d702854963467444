"""TF1's deprecated scope spellings: `tf.op_scope` and `tf.variable_op_scope` (values first)."""

from __future__ import annotations

from estflow.core.graph import name_scope
from estflow.core.variable_scope import variable_scope


def op_scope(values, name, default_name=None):
    """`tf.name_scope(name, default_name, values)` with TF1's older argument order, as `tf.op_scope`."""
    return name_scope(name, default_name=default_name, values=values)


def variable_op_scope(values, name_or_scope, default_name=None, initializer=None, regularizer=None,
                      caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                      use_resource=None, constraint=None):
    """`tf.variable_scope(name_or_scope, default_name, values, ...)` with the older argument order, as
    `tf.variable_op_scope`."""
    return variable_scope(name_or_scope, default_name=default_name, values=values, initializer=initializer,
                          regularizer=regularizer, caching_device=caching_device, partitioner=partitioner,
                          custom_getter=custom_getter, reuse=reuse, dtype=dtype, use_resource=use_resource,
                          constraint=constraint)
