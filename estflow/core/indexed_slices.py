"""`IndexedSlices`: some rows of a dense tensor, as TF1 uses for gradients of gathers.

`IndexedSlices(values, indices, dense_shape)` stands for the dense tensor whose row
`indices[i]` is `values[i]` (rows named twice are summed) and whose other rows are zero.
Optimizers apply it row by row, so an embedding table's update touches only the rows a
batch looked up. Where a dense tensor is needed, `convert_to_tensor` densifies it with
an `UnsortedSegmentSum` op. `Session.run` fetches it as an `IndexedSlicesValue` and feeds
it from one (or from a (values, indices[, dense_shape]) tuple).
"""

from __future__ import annotations

import collections
import warnings

import numpy as np

from estflow.core import dtypes
from estflow.core.tensor_conversion_registry import register_tensor_conversion_function
from estflow.core.tensor_shape import TensorShape
from estflow.core.tensor_util import constant_value_as_shape

IndexedSlicesValue = collections.namedtuple("IndexedSlicesValue", ["values", "indices", "dense_shape"])
IndexedSlicesValue.__doc__ = "The value of a fetched `IndexedSlices`: numpy `values`, `indices`, `dense_shape`."

_LARGE_SPARSE_NUM_ELEMENTS = 100_000_000  # densifying more than this warns, as TF1 does


class IndexedSlices:
    """Rows `indices` of a dense tensor of shape `dense_shape`, holding `values`, as `tf.IndexedSlices`.

        grad = tf.gradients(tf.reduce_sum(tf.gather(table, ids)), table)[0]   # an IndexedSlices
        tf.convert_to_tensor(grad)                                          # the dense gradient
    """

    def __init__(self, values, indices, dense_shape=None):
        self._values = values
        self._indices = indices
        self._dense_shape = dense_shape

    values = property(lambda self: self._values, doc="[len(indices), ...]: the rows present.")
    indices = property(lambda self: self._indices, doc="int [len(values)]: which rows they are.")
    dense_shape = property(lambda self: self._dense_shape, doc="int [rank] (or None): the dense shape.")
    name = property(lambda self: self._values.name)
    device = property(lambda self: self._values.device)
    op = property(lambda self: self._values.op)
    dtype = property(lambda self: self._values.dtype)
    graph = property(lambda self: self._values.graph)

    @property
    def shape(self) -> TensorShape:
        """The static dense shape, as far as `dense_shape` is known at build time."""
        if self._dense_shape is None:
            return TensorShape(None)
        return constant_value_as_shape(self._dense_shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    def consumers(self) -> list:
        return self._values.consumers()

    def _components(self) -> list:
        if self._dense_shape is None:
            return [self._values, self._indices]
        return [self._values, self._indices, self._dense_shape]

    # ---- Session.run protocols ------------------------------------------------------------
    def _fetch_components(self) -> list:
        return self._components()

    @staticmethod
    def _value_from_components(values) -> IndexedSlicesValue:
        return IndexedSlicesValue(values[0], values[1], values[2] if len(values) == 3 else None)

    def _feed_components(self) -> list:
        return self._components()

    def _feed_value_components(self, value) -> list:
        n = len(self._components())
        if isinstance(value, (tuple, list)):
            parts = list(value)
            if len(parts) == 3 and n == 2 and parts[2] is None:
                parts = parts[:2]
            if len(parts) == n:
                return parts
        what = "(values, indices)" if n == 2 else "(values, indices, dense_shape)"
        raise TypeError(f"The value fed for {self!r} must be a tf.IndexedSlicesValue or a tuple {what}; "
                        f"got {type(value).__name__}.")

    def __neg__(self) -> IndexedSlices:
        return IndexedSlices(-self._values, self._indices, self._dense_shape)

    def __str__(self):
        shape = f", dense_shape={self._dense_shape}" if self._dense_shape is not None else ""
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    __repr__ = __str__


def _indexed_slices_to_tensor(value: IndexedSlices, dtype=None, name=None, as_ref=False):
    """Densify: row `indices[i]` gets `values[i]` added (TF1's conversion, an UnsortedSegmentSum)."""
    from estflow.core.ops import segment_ops, sparse_ops  # the op modules import this leaf

    if dtype is not None and not dtypes.as_dtype(dtype).is_compatible_with(value.dtype):
        raise ValueError(f"Tensor conversion requested dtype {dtypes.as_dtype(dtype).name} for IndexedSlices "
                         f"with dtype {value.dtype.name}")
    if value.dense_shape is None:
        raise ValueError(f"Tensor conversion requested for IndexedSlices without dense_shape: {value}")
    known = value.dense_shape._const_value
    if known is not None:
        num_elements = int(np.prod(np.asarray(known, dtype=np.int64)))
        if num_elements >= _LARGE_SPARSE_NUM_ELEMENTS:
            warnings.warn(f"Converting sparse IndexedSlices to a dense Tensor with {num_elements} elements. "
                          "This may consume a large amount of memory.", stacklevel=2)
    return segment_ops.unsorted_segment_sum(value.values, value.indices,
                                            sparse_ops.dim_from_shape(value.dense_shape, 0), name=name)


register_tensor_conversion_function(IndexedSlices, _indexed_slices_to_tensor)
