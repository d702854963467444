"""`SparseTensor` and `SparseTensorValue`: TF1's sparse values in graphs, feeds and fetches.

A `SparseTensor` is three dense tensors: int64 `indices` [N, rank], `values` [N] and int64
`dense_shape` [rank]. It is not a `Tensor`: `convert_to_tensor` refuses it (use
`tf.sparse.to_dense`), while `Session.run` understands it through two small protocols
(see session.py):

    fetch:  _fetch_components() -> [indices, values, dense_shape]
            _value_from_components([i, v, s]) -> SparseTensorValue(i, v, s)
    feed:   _feed_components() -> [indices, values, dense_shape]
            _feed_value_components(value) -> [i, v, s]   (a SparseTensorValue or a 3-tuple)
"""

from __future__ import annotations

import collections

from estflow.core import dtypes
from estflow.core.default_session import _run_using_default_session
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.constant_op import convert_to_tensor, placeholder, placeholder_with_default
from estflow.core.tensor_shape import TensorShape, as_shape
from estflow.core.tensor_util import constant_value_as_shape

SparseTensorValue = collections.namedtuple("SparseTensorValue", ["indices", "values", "dense_shape"])
SparseTensorValue.__doc__ = "The value of a fetched `SparseTensor`: numpy `indices`, `values`, `dense_shape`."


def _feed_components_error(key, value) -> TypeError:
    return TypeError(f"The value fed for {key!r} must be a tf.SparseTensorValue or a tuple (indices, values, "
                     f"dense_shape); got {type(value).__name__}.")


class SparseTensor:
    """A sparse tensor as three dense tensors, as `tf.SparseTensor`.

    Use it for data where most entries are absent (bags of ids, one-hot features):

        st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1.0, 2.0], dense_shape=[3, 4])
        sess.run(st)              # SparseTensorValue(indices=..., values=..., dense_shape=...)
        tf.sparse.to_dense(st)    # [[1, 0, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]

    Raises ValueError when the components' static shapes disagree.
    """

    def __init__(self, indices, values, dense_shape):
        with name_scope(None, "SparseTensor", [indices, values, dense_shape]):
            indices = convert_to_tensor(indices, name="indices", dtype=dtypes.int64)
            values = convert_to_tensor(values, name="values")
            dense_shape = convert_to_tensor(dense_shape, name="dense_shape", dtype=dtypes.int64)
        indices_shape = indices.shape.with_rank(2)
        values_shape = values.shape.with_rank(1)
        dense_shape_shape = dense_shape.shape.with_rank(1)
        indices_shape.dims[0].assert_is_compatible_with(values_shape.dims[0])
        indices_shape.dims[1].assert_is_compatible_with(dense_shape_shape.dims[0])
        self._indices = indices
        self._values = values
        self._dense_shape = dense_shape
        self._dense_shape_default = constant_value_as_shape(dense_shape)

    @classmethod
    def from_value(cls, sparse_tensor_value) -> SparseTensor:
        """A SparseTensor of constants from a `SparseTensorValue` (a SparseTensor passes through)."""
        if isinstance(sparse_tensor_value, SparseTensor):
            return sparse_tensor_value
        if not isinstance(sparse_tensor_value, SparseTensorValue):
            raise TypeError(f"Neither a SparseTensor nor SparseTensorValue: {sparse_tensor_value!r}.")
        return SparseTensor(indices=sparse_tensor_value.indices, values=sparse_tensor_value.values,
                            dense_shape=sparse_tensor_value.dense_shape)

    indices = property(lambda self: self._indices, doc="int64 [N, rank]: the coordinates of the values.")
    values = property(lambda self: self._values, doc="[N]: the values present.")
    dense_shape = property(lambda self: self._dense_shape, doc="int64 [rank]: the shape of the dense tensor.")
    dtype = property(lambda self: self._values.dtype)
    op = property(lambda self: self._values.op)
    graph = property(lambda self: self._indices.graph)

    @property
    def shape(self) -> TensorShape:
        """The static dense shape: known dims where `dense_shape` is known at build time."""
        return self._dense_shape_default

    def get_shape(self) -> TensorShape:
        return self._dense_shape_default

    def _set_static_shape(self, shape) -> None:
        """Narrow the static dense shape (sparse_placeholder, ops that know more than the graph)."""
        self._dense_shape_default = self._dense_shape_default.merge_with(as_shape(shape))

    def consumers(self) -> list:
        ops = []
        for t in (self._indices, self._values, self._dense_shape):
            for op in t.consumers():
                if op not in ops:
                    ops.append(op)
        return ops

    def with_values(self, new_values) -> SparseTensor:
        """The same sparsity pattern with `new_values` ([N], any dtype)."""
        result = SparseTensor(self._indices, new_values, self._dense_shape)
        result._dense_shape_default = self._dense_shape_default
        return result

    def eval(self, feed_dict=None, session=None) -> SparseTensorValue:
        """The value of this sparse tensor in `session` (default: the default session)."""
        return _run_using_default_session(self, feed_dict, self.graph, session)

    # ---- Session.run protocols ------------------------------------------------------------
    def _fetch_components(self) -> list[Tensor]:
        return [self._indices, self._values, self._dense_shape]

    @staticmethod
    def _value_from_components(values) -> SparseTensorValue:
        return SparseTensorValue(*values)

    def _feed_components(self) -> list[Tensor]:
        return [self._indices, self._values, self._dense_shape]

    def _feed_value_components(self, value) -> list:
        if isinstance(value, (tuple, list)) and len(value) == 3:
            return list(value)
        raise _feed_components_error(self, value)

    def __str__(self):
        return f"SparseTensor(indices={self._indices}, values={self._values}, dense_shape={self._dense_shape})"

    __repr__ = __str__


def is_sparse(x) -> bool:
    """True for a `SparseTensor` or `SparseTensorValue`."""
    return isinstance(x, (SparseTensor, SparseTensorValue))


def convert_to_tensor_or_sparse_tensor(value, dtype=None, name=None):
    """`value` as a SparseTensor (from a SparseTensorValue) or a Tensor, as TF1's function of that name."""
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype).base_dtype
    if isinstance(value, SparseTensorValue):
        value = SparseTensor.from_value(value)
    if isinstance(value, SparseTensor):
        if dtype is not None and value.dtype != dtype:
            raise ValueError(f"Sparse dtype: requested = {dtype.name}, actual = {value.dtype.name}")
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def convert_to_sparse_tensor(sp_input) -> SparseTensor:
    """`sp_input` as a SparseTensor; TypeError for anything that is not sparse."""
    if isinstance(sp_input, SparseTensorValue):
        return SparseTensor.from_value(sp_input)
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"Input must be a SparseTensor, got {type(sp_input).__name__}.")
    return sp_input


def sparse_placeholder(dtype, shape=None, name=None) -> SparseTensor:
    """A SparseTensor fed through `feed_dict`, as `tf.sparse_placeholder`.

    Its three parts are placeholders named `name/indices`, `name/values` and `name/shape`;
    feed a `SparseTensorValue` or an (indices, values, dense_shape) tuple. With a fully
    known `shape`, `name/shape` defaults to it and need not be fed.

        sp = tf.sparse_placeholder(tf.float32, shape=[None, 10], name="ids")
        sess.run(tf.sparse.to_dense(sp), feed_dict={sp: ([[0, 3]], [1.0], [1, 10])})
    """
    def part(suffix):
        return None if name is None else f"{name}/{suffix}"

    static = None
    if shape is None:
        rank = None
        dense_shape = placeholder(dtypes.int64, shape=[None], name=part("shape"))
    elif isinstance(shape, Tensor):
        rank = shape.shape.with_rank(1)[0]
        dense_shape = shape
    else:
        if isinstance(shape, (list, tuple)):
            shape = [None if d == -1 else d for d in shape]
        static = as_shape(shape)
        rank = static.ndims
        if static.is_fully_defined():
            default = convert_to_tensor(static.as_list(), dtype=dtypes.int64, name=part("shape_default"))
            dense_shape = placeholder_with_default(default, shape=[rank], name=part("shape"))
        else:
            dense_shape = placeholder(dtypes.int64, shape=[rank], name=part("shape"))
    result = SparseTensor(
        values=placeholder(dtype, shape=[None], name=part("values")),
        indices=placeholder(dtypes.int64, shape=[None, rank], name=part("indices")),
        dense_shape=dense_shape,
    )
    if static is not None:
        result._set_static_shape(static)
    return result
