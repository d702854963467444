"""Resource variables as TensorFlow 2 writes them: VarHandleOp, ReadVariableOp, AssignVariableOp, ..."""

from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.func_graph import FuncGraph
from estflow.core.registry import apply_op

GOLDEN = Path(__file__).resolve().parents[2] / ".." / "shared" / "golden" / "savedmodel"


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def _handle(name="v", shape=(2,), dtype=tf.float32, shared_name=""):
    return apply_op("VarHandleOp", name=name, dtype=dtype, shape=list(shape), shared_name=shared_name)


def _read(h, dtype=tf.float32, name=None):
    return apply_op("ReadVariableOp", h, dtype=dtype, name=name or "ReadVariableOp")


def test_assign_read_update_and_gather(g):
    h = _handle(shape=(3,))
    init = apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0, 3.0]))
    add = apply_op("AssignAddVariableOp", h, tf.constant([1.0, 1.0, 1.0]))
    sub = apply_op("AssignSubVariableOp", h, tf.constant([0.5, 0.0, 0.0]))
    read = _read(h)
    gathered = apply_op("ResourceGather", h, tf.constant([[2], [0]]), dtype=tf.float32)
    known = apply_op("VarIsInitializedOp", h)
    shape = apply_op("VariableShape", h)
    with tf.Session() as sess:
        assert not sess.run(known)
        sess.run(init)
        assert sess.run(known)
        np.testing.assert_array_equal(sess.run(read), [1.0, 2.0, 3.0])
        sess.run(add)
        sess.run(sub)
        np.testing.assert_array_equal(sess.run(read), [1.5, 3.0, 4.0])
        np.testing.assert_array_equal(sess.run(gathered), [[4.0], [1.5]])
        np.testing.assert_array_equal(sess.run(shape), [3])
        assert sess.run(shape).dtype == np.int32


def test_a_value_read_before_a_write_keeps_what_it_read(g):
    h = _handle(shape=(2,))
    init = apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0]))
    before = _read(h, name="before")
    with tf.control_dependencies([before]):
        write = apply_op("AssignVariableOp", h, tf.constant([7.0, 7.0]))
    with tf.control_dependencies([write]):
        after = _read(h, name="after")
    with tf.Session() as sess:
        sess.run(init)
        b, a = sess.run([before, after])
        np.testing.assert_array_equal(b, [1.0, 2.0])
        np.testing.assert_array_equal(a, [7.0, 7.0])
        b[0] = 100.0  # a fetched value is the caller's: the variable is untouched
        np.testing.assert_array_equal(sess.run(_read(h, name="again")), [7.0, 7.0])


def test_each_session_has_its_own_values_and_shared_name_is_the_key(g):
    h = _handle(name="handle_op", shared_name="weights", shape=())
    init = apply_op("AssignVariableOp", h, tf.constant(3.0))
    read = _read(h)
    with tf.Session() as one, tf.Session() as two:
        one.run(init)
        assert one.run(read) == 3.0
        assert "weights" in one._variables and "handle_op" not in one._variables
        with pytest.raises(errors.FailedPreconditionError, match="Could not find variable weights"):
            two.run(read)


def test_wrong_dtype_and_shape_and_indices_are_errors(g):
    h = _handle(shape=(2,))
    init = apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0]))
    as_int = _read(h, dtype=tf.int32, name="as_int")
    bad_add = apply_op("AssignAddVariableOp", h, tf.constant([1.0, 2.0, 3.0]))
    bad_gather = apply_op("ResourceGather", h, tf.constant([5]), dtype=tf.float32)
    checked = apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0, 3.0]), validate_shape=True)
    with tf.Session() as sess:
        sess.run(init)
        with pytest.raises(errors.InvalidArgumentError, match="wrong dtype. Expected int32 got float"):
            sess.run(as_int)
        with pytest.raises(errors.InvalidArgumentError, match="shapes must be equal"):
            sess.run(bad_add)
        with pytest.raises(errors.InvalidArgumentError, match=r"indices = 5 is not in \[0, 2\)"):
            sess.run(bad_gather)
        with pytest.raises(errors.InvalidArgumentError, match=r"wrong shape. Expected \[2\] got \[3\]"):
            sess.run(checked)
    with pytest.raises(TypeError, match="expected type resource, got float32"):
        _read(tf.constant(1.0), name="not_a_handle")


@pytest.mark.skipif(not GOLDEN.exists(), reason="../shared/golden/savedmodel is absent")
def test_a_savedmodel_written_by_tensorflow_2_runs_and_gives_its_predictions(g):
    """TF 2.15's LinearClassifier export: resource variables, If, ParseExampleV2, restored by its own saver."""
    import json  # noqa: PLC0415 - only this test reads the manifest

    from estflow.core.protos import saved_model_pb2  # noqa: PLC0415 - as above
    export = GOLDEN / "export" / "TIMESTAMP"
    manifest = json.loads((GOLDEN / "manifest.json").read_text())
    saved = saved_model_pb2.SavedModel()
    saved.ParseFromString((export / "saved_model.pb").read_bytes())
    meta = saved.meta_graphs[0]
    tf.train.import_meta_graph(meta)
    with tf.Session() as sess:
        sess.run(g.get_operation_by_name(meta.saver_def.restore_op_name),
                 {meta.saver_def.filename_tensor_name: str(export / "variables" / "variables")})
        sess.run([g.get_operation_by_name(n) for n in meta.collection_def["saved_model_main_op"].node_list.value])
        signature = meta.signature_def["predict"]
        examples = np.array([bytes.fromhex(e["serialized_hex"]) for e in manifest["serving_examples"]], dtype=object)
        got = sess.run({k: g.get_tensor_by_name(v.name) for k, v in signature.outputs.items()},
                       {signature.inputs["examples"].name: examples})
        want = manifest["predictions_tf1_loader_predict"]
        np.testing.assert_allclose(got["logits"], want["logits"], rtol=1e-6)
        np.testing.assert_allclose(got["probabilities"], want["probabilities"], rtol=1e-6)
        np.testing.assert_array_equal(got["class_ids"], want["class_ids"])
        assert got["classes"].tolist() == [[c[0]["utf8"].encode()] for c in want["classes"]]
        weights = sess.run(_read(g.get_operation_by_name("linear/linear_model/x/weights").outputs[0], name="w"))
        np.testing.assert_allclose(weights, manifest["variables"]["linear/linear_model/x/weights"])



def _named_handle(name="v", shape=(2,)):
    return apply_op("VarHandleOp", name=name, dtype=tf.float32, shape=tf.TensorShape(list(shape)), shared_name=name)


def test_read_assign_initialized_and_copy_on_write(g):
    h = _named_handle()
    assign = apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0]))
    read = apply_op("ReadVariableOp", h, dtype=tf.float32)
    ready = apply_op("VarIsInitializedOp", h)
    with tf.Session() as sess:
        assert not sess.run(ready)
        with pytest.raises(tf.errors.FailedPreconditionError, match="Could not find variable v"):
            sess.run(read)
        sess.run(assign)
        before = sess.run(read)
        assert sess.run(ready)
        sess.run(apply_op("AssignVariableOp", h, tf.constant([5.0, 6.0])))
        np.testing.assert_array_equal(before, [1.0, 2.0])  # an earlier read is never changed by a later write
        np.testing.assert_array_equal(sess.run(read), [5.0, 6.0])
    with tf.Session() as other:  # each session has its own variables
        assert not other.run(ready)


def test_assign_validates_shape_when_asked(g):
    h = _named_handle()
    with tf.Session() as sess:
        sess.run(apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0])))
        with pytest.raises(tf.errors.InvalidArgumentError, match="wrong shape. Expected \\[2\\] got \\[3\\]"):
            sess.run(apply_op("AssignVariableOp", h, tf.constant([1.0, 2.0, 3.0]), validate_shape=True))


def test_resource_gather(g):
    h = _named_handle("table", (3, 2))
    init = apply_op("AssignVariableOp", h, tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2)))
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
