"""`tf.saved_model.utils`: TensorInfo protos from tensors and back.

    info = tf.saved_model.utils.build_tensor_info(x)          # name, dtype and shape of x
    x = tf.saved_model.utils.get_tensor_from_tensor_info(info)  # in the default graph

A SparseTensor is written as TF writes it, `coo_sparse` naming its three component tensors.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Operation, Tensor, get_default_graph
from estflow.core.protos import meta_graph_pb2
from estflow.core.sparse_tensor import SparseTensor


def build_tensor_info(tensor) -> meta_graph_pb2.TensorInfo:
    """The TensorInfo of a Tensor or SparseTensor: its name (or coo_sparse names), dtype and shape."""
    if isinstance(tensor, SparseTensor):
        info = meta_graph_pb2.TensorInfo(dtype=dtypes.as_dtype(tensor.dtype).as_datatype_enum,
                                         tensor_shape=tensor.get_shape().as_proto())
        info.coo_sparse.values_tensor_name = tensor.values.name
        info.coo_sparse.indices_tensor_name = tensor.indices.name
        info.coo_sparse.dense_shape_tensor_name = tensor.dense_shape.name
        return info
    if not isinstance(tensor, Tensor):
        raise TypeError(f"build_tensor_info expects a Tensor or SparseTensor, got {type(tensor).__name__} "
                        f"{tensor!r}.")
    return meta_graph_pb2.TensorInfo(name=tensor.name, dtype=tensor.dtype.base_dtype.as_datatype_enum,
                                     tensor_shape=tensor.get_shape().as_proto())


def build_tensor_info_from_op(op) -> meta_graph_pb2.TensorInfo:
    """The TensorInfo of an Operation (TF's convention: the op's name, DT_INVALID, unknown rank)."""
    if not isinstance(op, Operation):
        raise TypeError(f"build_tensor_info_from_op expects an Operation, got {type(op).__name__}.")
    info = meta_graph_pb2.TensorInfo(name=op.name, dtype=0)
    info.tensor_shape.unknown_rank = True
    return info


def _prepend(name: str, import_scope) -> str:
    return f"{import_scope.rstrip('/')}/{name}" if import_scope else name


def get_tensor_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Tensor (or SparseTensor) a TensorInfo names, in `graph` (default: the default graph).

    KeyError when the graph holds no such tensor; ValueError for an encoding TF1 can't read.
    """
    graph = graph or get_default_graph()

    def tensor(name):
        return graph.get_tensor_by_name(_prepend(name, import_scope))

    encoding = tensor_info.WhichOneof("encoding")
    if encoding == "name":
        return tensor(tensor_info.name)
    if encoding == "coo_sparse":
        coo = tensor_info.coo_sparse
        return SparseTensor(tensor(coo.indices_tensor_name), tensor(coo.values_tensor_name),
                            tensor(coo.dense_shape_tensor_name))
    raise ValueError(f"Invalid TensorInfo.encoding: {encoding}")


def get_element_from_tensor_info(tensor_info, graph=None, import_scope=None):
    """The Tensor or Operation a TensorInfo's name refers to (an op name for an Operation)."""
    graph = graph or get_default_graph()
    return graph.as_graph_element(_prepend(tensor_info.name, import_scope))
