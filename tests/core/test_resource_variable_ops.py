"""Resource variables, If/StatelessIf and ParseExampleV2: the ops TF 2.x writes into TF1-style graphs."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.func_graph import FuncGraph
from estflow.core.registry import apply_op


def _handle(name="v", shape=(2,)):
    return apply_op("VarHandleOp", name=name, dtype=tf.float32, shape=tf.TensorShape(list(shape)), shared_name=name)


def test_read_assign_initialized_and_copy_on_write(g):
    h = _handle()
    assign = apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0]), dtype=tf.float32)
    read = apply_op("ReadVariableOp", h, dtype=tf.float32)
    ready = apply_op("VarIsInitializedOp", h)
    with tf.Session() as sess:
        assert not sess.run(ready)
        with pytest.raises(tf.errors.FailedPreconditionError, match="Could not find variable v"):
            sess.run(read)
        sess.run(assign)
        before = sess.run(read)
        assert sess.run(ready)
        sess.run(apply_op("AssignVariableOp", h, tf.constant([5.0, 6.0]), dtype=tf.float32))
        np.testing.assert_array_equal(before, [1.0, 2.0])  # an earlier read is never changed by a later write
        np.testing.assert_array_equal(sess.run(read), [5.0, 6.0])
    with tf.Session() as other:  # each session has its own variables
        assert not other.run(ready)


def test_assign_validates_shape_when_asked(g):
    h = _handle()
    with tf.Session() as sess:
        sess.run(apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0]), dtype=tf.float32))
        with pytest.raises(tf.errors.InvalidArgumentError, match="wrong shape. Expected \\[2\\] got \\[3\\]"):
            sess.run(apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0, 3.0]), dtype=tf.float32,
                              validate_shape=True))


def test_resource_gather(g):
    h = _handle("table", (3, 2))
    init = apply_op("AssignVariableOp", h, tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2)),
                    dtype=tf.float32)
    ids = tf.placeholder(tf.int64, [None])
    gathered = apply_op("ResourceGather", h, ids, dtype=tf.float32)
    with tf.Session() as sess:
        sess.run(init)
        np.testing.assert_array_equal(sess.run(gathered, {ids: [2, 0, 2]}), [[4, 5], [0, 1], [4, 5]])
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"indices = 3 is not in \[0, 3\)"):
            sess.run(gathered, {ids: [3]})


def _branches():
    out = []
    for name, factor in (("then_fn", 2.0), ("else_fn", -1.0)):
        fg = FuncGraph(name, outer_graph=tf.get_default_graph())
        with fg.as_default():
            arg = fg.add_input(tf.float32, [None], "a")
            fg.outputs = [arg * factor]
        out.append(fg)
    return dict(Tcond=tf.bool, Tin=[tf.float32], Tout=[tf.float32], then_branch=out[0], else_branch=out[1],
                output_shapes=[tf.TensorShape([None])])


@pytest.mark.parametrize("op_type", ["If", "StatelessIf"])
@pytest.mark.parametrize("cond, dtype, taken", [
    (True, tf.bool, 2.0), (False, tf.bool, -1.0), (3, tf.int32, 2.0), (0, tf.int32, -1.0),
    (b"x", tf.string, 2.0), (b"", tf.string, -1.0), ([0.0], tf.float32, 2.0), (np.zeros([0]), tf.float32, -1.0),
])
def test_if_runs_the_branch_tensorflow_takes(g, op_type, cond, dtype, taken):
    attrs = _branches()
    attrs["Tcond"] = dtype
    c = tf.placeholder(dtype, None)
    x = tf.constant([1.0, 3.0])
    (out,) = apply_op(op_type, c, x, **attrs)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out, {c: cond}), [taken, 3 * taken])


def _examples():
    def one(words, value):
        return tf.train.Example(features=tf.train.Features(feature={
            "w": tf.train.Feature(bytes_list=tf.train.BytesList(value=words)),
            "v": tf.train.Feature(float_list=tf.train.FloatList(value=[value]))})).SerializeToString()
    return [one([b"a", b"b"], 1.5), one([], 2.5), one([b"c"], -1.0)]


def test_parse_example_v2_matches_parse_example(g):
    serialized = tf.placeholder(tf.string, [None])
    v1 = tf.parse_example(serialized, {"w": tf.VarLenFeature(tf.string), "v": tf.FixedLenFeature([1], tf.float32)})
    v2 = apply_op("ParseExampleV2", serialized, tf.constant([], tf.string), tf.constant(["w"]), tf.constant(["v"]),
                  tf.constant([], tf.string), tf.constant([0.0]), num_sparse=1, sparse_types=[tf.string],
                  Tdense=[tf.float32], dense_shapes=[tf.TensorShape([1])], ragged_value_types=[],
                  ragged_split_types=[])
    assert v2[3].shape.as_list() == [None, 1]
    with tf.Session() as sess:
        a, b = sess.run([[v1["w"].indices, v1["w"].values, v1["w"].dense_shape, v1["v"]], v2],
                        {serialized: _examples()})
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="ragged features is not supported"):
        apply_op("ParseExampleV2", serialized, tf.constant([], tf.string), tf.constant([], tf.string),
                 tf.constant([], tf.string), tf.constant(["r"]), num_sparse=0, sparse_types=[], Tdense=[],
                 dense_shapes=[], ragged_value_types=[tf.float32], ragged_split_types=[tf.int64])
