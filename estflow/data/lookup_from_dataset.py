"""Lookup tables filled from a dataset of (key, value) pairs: `DatasetInitializer`, `table_from_dataset`,
`index_table_from_dataset`.

    InitializeTableFromDataset(table_handle, *captured): the table gets one entry per element

The table's rules are the session's (estflow/core/ops/lookup_ops.py): immutable once filled, a
key given two values fails, an initializer run again with as many entries is a no-op.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import GraphKeys, Tensor, get_default_graph, name_scope
from estflow.core.ops import cast_ops
from estflow.core.ops import lookup_ops as table_ops
from estflow.core.registry import REQUIRED, OpDef, apply_op, register
from estflow.data import runtime, structure
from estflow.data.iterator_ops import _describe, _payload, _ref, _values
from estflow.library.lookup_ops import (
    FastHashSpec,
    IdTableWithHashBuckets,
    StaticHashTable,
    TableInitializerBase,
    check_table_dtypes,
)


def _make_initialize_from_dataset(op, ctx):
    dataset, tensors = _payload(op, "dataset")

    def initialize(handle, *inputs):
        table = table_ops._table(ctx.state, handle)
        env = runtime.Env(ctx, _values(tensors, inputs), dataset.options())
        keys, values = [], []
        try:
            dataset._check_all(env)
            for element in dataset._elements(env):
                if element.__class__ is runtime.ElementError:
                    raise element.error
                keys.append(np.asarray(element[0]).item())
                values.append(np.asarray(element[1]).item())
        finally:
            env.close()
        if table.initialized and len(keys) == table.size():
            return  # TF's check of an initialized table: the same number of entries
        table.initialize(keys, values, len(keys))

    return initialize


register(OpDef(
    "InitializeTableFromDataset", infer=lambda handle, *inputs, **_: [], make_kernel=_make_initialize_from_dataset,
    attrs={"dataset": REQUIRED}, stateful=True, cpu_only=True, differentiable=False,
    input_names=("table_handle: resource", "dataset: variant"),
))


def _check_element_spec(element_spec) -> None:
    base = ("Datasets used to initialize lookup tables must produce elements in the form (key, value), where the "
            "keys and values are scalar tensors. ")
    if not isinstance(element_spec, tuple) or len(element_spec) != 2:
        count = len(element_spec) if isinstance(element_spec, (tuple, dict)) else 1
        raise ValueError(base + f"However, the given dataset produces {count} components instead of two "
                                f"(key, value) components. Full dataset element spec: {element_spec}.")
    for spec, what in zip(element_spec, ("keys", "values"), strict=True):
        if not isinstance(spec, structure.TensorSpec):
            raise ValueError(base + f"However, the given dataset produces non-Tensor {what} of type {type(spec)}.")
    for spec, what in zip(element_spec, ("key", "value"), strict=True):
        if spec.shape.ndims not in (None, 0):
            raise ValueError(base + f"However, the given dataset produces non-scalar {what} Tensors of rank "
                                    f"{spec.shape.ndims}.")


class DatasetInitializer(TableInitializerBase):
    """Fills a table from a dataset of (key, value) scalar pairs, as `tf.data.experimental.DatasetInitializer`
    (`tf.lookup.experimental.DatasetInitializer`).

        init = tf.data.experimental.DatasetInitializer(tf.data.Dataset.zip((keys_ds, values_ds)))
        table = tf.lookup.StaticHashTable(init, default_value=-1)
    """

    def __init__(self, dataset):
        self.dataset = dataset
        element_spec = dataset.element_spec
        _check_element_spec(element_spec)
        super().__init__(element_spec[0].dtype, element_spec[1].dtype)

    def initialize(self, table):
        check_table_dtypes(table, self._key_dtype, self._value_dtype)
        tensors = self.dataset._all_tensors()
        init_op = apply_op("InitializeTableFromDataset", table.resource_handle, *tensors,
                           name="InitializeTableFromDataset",
                           dataset=_ref(_describe(self.dataset), (self.dataset, tensors)))
        get_default_graph().add_to_collection(GraphKeys.TABLE_INITIALIZERS, init_op)
        return init_op


def table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None, default_value=None,
                       hasher_spec=FastHashSpec, key_dtype=dtypes.string, name=None):
    """A StaticHashTable of a dataset's (key, value) pairs, with `num_oov_buckets` hash buckets for other keys
    and `vocab_size` (when given) checked as the number of pairs, as `tf.data.experimental.table_from_dataset`."""
    element_spec = dataset.element_spec
    _check_element_spec(element_spec)
    if default_value is None:
        default_value = -1
        if not (element_spec[1].dtype.is_integer or element_spec[1].dtype.is_floating):
            raise ValueError(f"`default_value` must be specified when creating a table from a dataset that produces "
                             f"values of type {element_spec[1].dtype}.")
    if num_oov_buckets < 0:
        raise ValueError(f"`num_oov_buckets` must be greater than or equal to 0, got {num_oov_buckets}.")
    if not isinstance(vocab_size, Tensor) and vocab_size is not None and vocab_size < 1:
        raise ValueError(f"`vocab_size` must be greater than 0, got {vocab_size}.")
    key_dtype = dtypes.as_dtype(key_dtype)
    if not key_dtype.is_integer and key_dtype.base_dtype != dtypes.string:
        raise TypeError(f"`key_dtype` must be either an integer or string type, but got {key_dtype}")
    if vocab_size is not None:
        if isinstance(vocab_size, Tensor):
            vocab_size = cast_ops.cast(vocab_size, dtypes.int64)
        dataset = dataset.take(vocab_size).assert_cardinality(vocab_size)
    with name_scope(name, "string_to_index"):
        initializer = DatasetInitializer(dataset)
        with name_scope(None, "hash_table"):
            table = StaticHashTable(initializer, default_value)
            if num_oov_buckets:
                table = IdTableWithHashBuckets(table, num_oov_buckets=num_oov_buckets, hasher_spec=hasher_spec,
                                               key_dtype=key_dtype)
            return table


def index_table_from_dataset(dataset=None, num_oov_buckets=0, vocab_size=None, default_value=-1,
                             hasher_spec=FastHashSpec, key_dtype=dtypes.string, name=None):
    """A table mapping each element of `dataset` (scalar keys) to its position (int64), other keys to
    `num_oov_buckets` hash buckets or `default_value`, as `tf.data.experimental.index_table_from_dataset`.

        table = tf.data.experimental.index_table_from_dataset(tf.data.Dataset.from_tensor_slices(["a", "b"]))
        ids = table.lookup(tf.constant(["b", "z"]))   # [1, -1]
    """
    return table_from_dataset(dataset.enumerate().map(lambda v, k: (k, v)), num_oov_buckets, vocab_size,
                              default_value, hasher_spec, key_dtype, name)
