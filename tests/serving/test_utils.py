"""TensorInfo from tensors and back (`tf.saved_model.utils`)."""

import pytest

import estflow as tf
from estflow.core.protos import types_pb2
from estflow.serving import utils


def test_dense_tensor_info_round_trip(g):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    info = utils.build_tensor_info(x)
    assert info.name == "x:0" and info.dtype == types_pb2.DT_FLOAT
    assert [d.size for d in info.tensor_shape.dim] == [-1, 3]
    assert utils.get_tensor_from_tensor_info(info) is x
    assert utils.get_tensor_from_tensor_info(info, graph=g) is x


def test_unknown_rank_and_scope(g):
    with tf.name_scope("outer"):
        y = tf.placeholder(tf.int32, name="y")
    info = utils.build_tensor_info(y)
    assert info.tensor_shape.unknown_rank
    info.name = "y:0"
    assert utils.get_tensor_from_tensor_info(info, import_scope="outer") is y


def test_sparse_tensor_info_is_coo(g):
    sp = tf.sparse_placeholder(tf.string, shape=[None, 4], name="sp")
    info = utils.build_tensor_info(sp)
    assert info.WhichOneof("encoding") == "coo_sparse"
    assert info.coo_sparse.values_tensor_name == sp.values.name
    assert info.coo_sparse.indices_tensor_name == sp.indices.name
    assert info.coo_sparse.dense_shape_tensor_name == sp.dense_shape.name
    back = utils.get_tensor_from_tensor_info(info)
    assert isinstance(back, tf.SparseTensor) and back.values is sp.values and back.indices is sp.indices


def test_errors(g):
    with pytest.raises(TypeError, match="expects a Tensor"):
        utils.build_tensor_info([1, 2])
    info = utils.build_tensor_info(tf.placeholder(tf.float32, name="p"))
    info.name = "missing:0"
    with pytest.raises(KeyError):
        utils.get_tensor_from_tensor_info(info)
    empty = type(info)()
    with pytest.raises(ValueError, match="Invalid TensorInfo.encoding: None"):
        utils.get_tensor_from_tensor_info(empty)


def test_op_tensor_info(g):
    op = tf.no_op(name="init")
    info = utils.build_tensor_info_from_op(op)
    assert info.name == "init" and info.dtype == 0 and info.tensor_shape.unknown_rank
    assert utils.get_element_from_tensor_info(info) is op
