"""tf.train.Saver: graphs named as TF names them, files as TF writes them, crash safety, meta graphs."""

import json
import os
import time

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, errors
from estflow.core.graph import Graph, GraphKeys
from estflow.core.ops import io_ops
from estflow.core.ops.constant_op import constant
from estflow.core.protos import saver_pb2
from estflow.core.registry import registered_ops
from estflow.core.session import Session
from estflow.core.variables import Variable, global_variables_initializer
from estflow.train import checkpoint_bundle, checkpoint_management, meta_graph
from estflow.train.saver import Saver, export_meta_graph, import_meta_graph

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "checkpoint_bundle")


def _model(graph, w=(1.0, 2.0, 3.0), step=0):
    with graph.as_default():
        weights = Variable(np.array(w, np.float32), name="w")
        bias = Variable(np.array(0.5, np.float64), name="dense/b")
        words = Variable(np.array([b"a", b"bc"], dtype=object), name="words")
        global_step = Variable(np.int64(step), name="global_step", trainable=False,
                               collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])
    return weights, bias, words, global_step


def _read_state(directory):
    with open(os.path.join(directory, "checkpoint")) as f:
        return f.read()


@pytest.fixture
def graph():
    return Graph()


# ---- the graph a Saver builds -------------------------------------------------------------------------
def test_saver_graph_uses_tfs_names(graph):
    _model(graph)
    with graph.as_default():
        saver = Saver()
    d = saver.as_saver_def()
    assert (d.filename_tensor_name, d.save_tensor_name, d.restore_op_name) == (
        "save/Const:0", "save/control_dependency:0", "save/restore_all")
    assert (d.max_to_keep, d.sharded, d.keep_checkpoint_every_n_hours, d.version) == (5, False, 10000.0,
                                                                                      saver_pb2.SaverDef.V2)
    names = [op.name for op in graph.get_operations() if op.name.startswith("save/")]
    assert names == ["save/filename/input", "save/filename", "save/Const", "save/SaveV2/tensor_names",
                     "save/SaveV2/shape_and_slices", "save/SaveV2", "save/control_dependency",
                     "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices", "save/RestoreV2",
                     "save/Assign", "save/Assign_1", "save/Assign_2", "save/Assign_3", "save/restore_all"]
    save = graph.get_operation_by_name("save/SaveV2")
    assert save.type == "SaveV2" and save.get_attr("dtypes") == (dtypes.float64, dtypes.int64, dtypes.float32,
                                                                   dtypes.string)
    assert [t.name for t in save.inputs[3:]] == ["dense/b:0", "global_step:0", "w:0", "words:0"]  # sorted keys
    assert graph.get_operation_by_name("save/control_dependency").control_inputs == [save]
    node = graph.get_operation_by_name("save/RestoreV2").node_def
    assert node.device == "/device:CPU:0" and len(node.attr["dtypes"].list.type) == 4


def test_second_saver_gets_save_1_scope(graph):
    _model(graph)
    with graph.as_default():
        Saver()
        second = Saver()
    assert second.as_saver_def().restore_op_name == "save_1/restore_all"


def test_no_variables_is_an_error_unless_allow_empty(graph, tmp_path):
    with graph.as_default():
        with pytest.raises(ValueError, match="No variables to save"):
            Saver()
        saver = Saver(allow_empty=True)
        with Session() as sess:
            assert saver.save(sess, str(tmp_path / "m")) is None
            saver.restore(sess, str(tmp_path / "nothing"))  # an empty saver restores nothing
    assert not os.path.exists(tmp_path / "checkpoint")


def test_duplicate_variable_names_in_list(graph):
    w, *_ = _model(graph)
    with graph.as_default():
        with pytest.raises(ValueError, match="At least two variables have the same name: w"):
            Saver([w, w])
        with pytest.raises(TypeError, match="Variable to save is not a Variable"):
            Saver([constant(1.0)])


# ---- save and restore ---------------------------------------------------------------------------------
def test_save_restore_round_trip(graph, tmp_path):
    w, b, words, step = _model(graph)
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            sess.run(w.assign([7.0, 8.0, 9.0]))
            path = saver.save(sess, str(tmp_path / "model.ckpt"))
        assert path == str(tmp_path / "model.ckpt")
        with Session() as sess:
            saver.restore(sess, path)
            got = sess.run([w, b, words, step])
    np.testing.assert_array_equal(got[0], [7.0, 8.0, 9.0])
    assert got[1] == 0.5 and got[2].tolist() == [b"a", b"bc"] and got[3] == 0
    assert checkpoint_bundle.read_bundle(path)["w"].tolist() == [7.0, 8.0, 9.0]


def test_global_step_naming(graph, tmp_path):
    *_, step = _model(graph, step=42)
    with graph.as_default():
        saver = Saver()
        padded = Saver(pad_step_number=True)
        with Session() as sess:
            sess.run(global_variables_initializer())
            assert saver.save(sess, str(tmp_path / "model.ckpt"), global_step=1000) == str(tmp_path / "model.ckpt-1000")
            assert saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step) == str(tmp_path / "model.ckpt-42")
            assert saver.save(sess, str(tmp_path / "model.ckpt"), global_step=np.int64(7)).endswith("model.ckpt-7")
            assert padded.save(sess, str(tmp_path / "p.ckpt"), global_step=5).endswith("p.ckpt-00000005")
    for name in ("model.ckpt-1000", "model.ckpt-42"):
        for suffix in (".index", ".data-00000-of-00001", ".meta"):
            assert os.path.exists(tmp_path / (name + suffix))


def test_state_file_absolute_and_relative(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        absolute = Saver()
        relative = Saver(save_relative_paths=True)
        with Session() as sess:
            sess.run(global_variables_initializer())
            absolute.save(sess, str(tmp_path / "abs" / "model.ckpt"), global_step=532)
            relative.save(sess, str(tmp_path / "rel" / "model.ckpt"), global_step=532)
    golden = json.load(open(os.path.join(FIXTURES, "manifest.json")))
    want_abs = golden["checkpoint_file_text_default_saver_absolute_paths"].replace("<DIR>", str(tmp_path))
    assert _read_state(tmp_path / "abs") == want_abs
    assert _read_state(tmp_path / "rel") == golden["checkpoint_file_text"]
    assert checkpoint_management.latest_checkpoint(str(tmp_path / "rel")) == str(tmp_path / "rel" / "model.ckpt-532")


def test_max_to_keep_rotation_matches_tf(graph, tmp_path):
    _model(graph)
    golden = json.load(open(os.path.join(FIXTURES, "manifest.json")))["multi"]
    with graph.as_default():
        saver = Saver(max_to_keep=3, save_relative_paths=True)
        with Session() as sess:
            sess.run(global_variables_initializer())
            for step in golden["save_steps"]:
                saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step,
                           write_meta_graph=step == golden["save_steps"][-1])
    assert _read_state(tmp_path) == golden["checkpoint_file_text"]
    assert sorted(os.listdir(tmp_path)) == sorted(f["path"] for f in golden["files"])
    assert saver.last_checkpoints == [str(tmp_path / f"model.ckpt-{s}") for s in golden["kept_steps"]]


def test_max_to_keep_none_keeps_everything(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver(max_to_keep=None)
        assert saver.as_saver_def().max_to_keep == 0
        with Session() as sess:
            sess.run(global_variables_initializer())
            for step in range(4):
                saver.save(sess, str(tmp_path / "m"), global_step=step)
    assert len([f for f in os.listdir(tmp_path) if f.endswith(".index")]) == 4
    assert saver.last_checkpoints == []
    state = checkpoint_management.get_checkpoint_state(str(tmp_path))
    assert list(state.all_model_checkpoint_paths) == [str(tmp_path / "m-3")]


def test_keep_checkpoint_every_n_hours(graph, tmp_path, monkeypatch):
    _model(graph)
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    with graph.as_default():
        saver = Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1.0)
        with Session() as sess:
            sess.run(global_variables_initializer())
            for step in range(6):
                clock[0] = 1000.0 + step * 1800  # every half hour
                saver.save(sess, str(tmp_path / "m"), global_step=step, write_meta_graph=False)
    kept = sorted(int(f.split("-")[1].split(".")[0]) for f in os.listdir(tmp_path) if f.endswith(".index"))
    # steps saved more than an hour after the previous keeper survive rotation
    assert kept == [3, 5]


def test_write_state_and_meta_graph_flags(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            saver.save(sess, str(tmp_path / "m"), write_state=False, write_meta_graph=False)
            saver.save(sess, str(tmp_path / "n"), meta_graph_suffix="mg")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "m.data-00000-of-00001", "m.index",
                                            "n.data-00000-of-00001", "n.index", "n.mg"]


def test_save_argument_errors(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        deferred = Saver(defer_build=True)
        with Session() as sess:
            sess.run(global_variables_initializer())
            with pytest.raises(ValueError, match="'latest_filename' must not contain path components"):
                saver.save(sess, str(tmp_path / "m"), latest_filename="a/b")
            with pytest.raises(ValueError, match="'latest_filename' collides with 'save_path'"):
                saver.save(sess, str(tmp_path / "checkpoint"))
            with pytest.raises(RuntimeError, match="`build\\(\\)` should be called before save"):
                deferred.save(sess, str(tmp_path / "m"))
            with pytest.raises(TypeError, match="'sess' must be a Session"):
                saver.save(object(), str(tmp_path / "m"))
            deferred.build()
            assert deferred.save(sess, str(tmp_path / "d"), write_meta_graph=False) == str(tmp_path / "d")


def test_custom_latest_filename(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            saver.save(sess, str(tmp_path / "m"), latest_filename="latest", write_meta_graph=False)
    assert os.listdir(tmp_path).count("latest") == 1 and not os.path.exists(tmp_path / "checkpoint")
    assert checkpoint_management.latest_checkpoint(str(tmp_path), "latest") == str(tmp_path / "m")


def test_var_list_dict_renames_keys(graph, tmp_path):
    w, b, *_ = _model(graph)
    with graph.as_default():
        saver = Saver({"renamed/weights": w, "bias": b})
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m"))
    assert checkpoint_bundle.BundleReader(path).keys() == ["bias", "renamed/weights"]
    other = Graph()
    with other.as_default():
        v = Variable(np.zeros(3, np.float32), name="other_name")
        restorer = Saver({"renamed/weights": v})
        with Session() as sess:
            restorer.restore(sess, path)
            np.testing.assert_array_equal(sess.run(v), [1.0, 2.0, 3.0])


def test_two_sessions_are_independent(graph, tmp_path):
    w, *_ = _model(graph)
    with graph.as_default():
        saver = Saver([w])
        first, second = Session(), Session()
        first.run(w.initializer)
        first.run(w.assign([4.0, 4.0, 4.0]))
        path = saver.save(first, str(tmp_path / "m"))
        second.run(w.initializer)
        saver.restore(second, path)
        np.testing.assert_array_equal(second.run(w), [4.0, 4.0, 4.0])
        first.close()
        second.close()


# ---- restore errors -------------------------------------------------------------------------------------
def test_restore_errors(graph, tmp_path):
    w, *_ = _model(graph)
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            with pytest.raises(ValueError, match="^Can't load save_path when it is None.$"):
                saver.restore(sess, None)
            with pytest.raises(ValueError, match="The passed save_path is not a valid checkpoint: .*nope"):
                saver.restore(sess, str(tmp_path / "nope"))
    other = Graph()
    with other.as_default():
        Variable(np.zeros(3, np.float32), name="w")
        only_w = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = only_w.save(sess, str(tmp_path / "only_w"))
    with graph.as_default(), Session() as sess:
        with pytest.raises(errors.NotFoundError, match="Key dense/b not found in checkpoint") as info:
            saver.restore(sess, path)
        assert "Restoring from checkpoint failed" in str(info.value)


def test_restore_shape_and_dtype_mismatch(tmp_path):
    g = Graph()
    with g.as_default():
        Variable(np.zeros(4, np.float32), name="w")
        Variable(np.zeros(2, np.int32), name="v")
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m"))
    shape_g = Graph()
    with shape_g.as_default():
        Variable(np.zeros(3, np.float32), name="w")
        with Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                              match="Assign requires shapes of both tensors to match"):
            Saver().restore(sess, path)
    dtype_g = Graph()
    with dtype_g.as_default():
        Variable(np.zeros(2, np.int64), name="v")
        with Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                              match="expected dtype int64 does not equal original dtype int32"):
            Saver().restore(sess, path)


def test_reshape_restores_across_shapes(tmp_path):
    if "Reshape" not in registered_ops():
        pytest.skip("needs the Reshape op")
    g = Graph()
    with g.as_default():
        Variable(np.arange(6, dtype=np.float32), name="w")
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = Saver().save(sess, str(tmp_path / "m"))
    g2 = Graph()
    with g2.as_default():
        w = Variable(np.zeros((2, 3), np.float32), name="w")
        with Session() as sess:
            Saver(reshape=True).restore(sess, path)
            np.testing.assert_array_equal(sess.run(w), np.arange(6).reshape(2, 3))


# ---- crash safety ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dies_in", ["data_rename", "index", "meta_graph", "state_file"])
def test_crash_mid_save_keeps_previous_checkpoint(graph, tmp_path, monkeypatch, dies_in):
    w, *_ = _model(graph)
    with graph.as_default():
        saver = Saver(max_to_keep=1)
        with Session() as sess:
            sess.run(global_variables_initializer())
            first = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=1)
            sess.run(w.assign([9.0, 9.0, 9.0]))

            def die(*args, **kwargs):
                raise OSError(28, "No space left on device", "disk")

            if dies_in == "data_rename":
                monkeypatch.setattr(checkpoint_bundle.BundleWriter, "finish", die)
            elif dies_in == "index":
                monkeypatch.setattr(checkpoint_bundle, "write_index", die)
            elif dies_in == "meta_graph":
                monkeypatch.setattr(meta_graph, "export_meta_graph", die)
            else:
                monkeypatch.setattr(checkpoint_management, "atomic_write_string_to_file", die)
            with pytest.raises((OSError, errors.OpError)):
                saver.save(sess, str(tmp_path / "model.ckpt"), global_step=2)
            monkeypatch.undo()
    assert checkpoint_management.latest_checkpoint(str(tmp_path)) == first
    assert os.path.exists(first + ".index") and os.path.exists(first + ".meta")
    with graph.as_default(), Session() as sess:
        saver.restore(sess, checkpoint_management.latest_checkpoint(str(tmp_path)))
        np.testing.assert_array_equal(sess.run(w), [1.0, 2.0, 3.0])


def test_io_failure_is_an_op_error(graph, tmp_path):
    _model(graph)
    (tmp_path / "model.ckpt.data-00000-of-00001").mkdir()  # the data file's name is taken by a directory
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            with pytest.raises(errors.OpError):
                saver.save(sess, str(tmp_path / "model.ckpt"))


# ---- SaverDef, recovery ---------------------------------------------------------------------------------
def test_last_checkpoints_setters_and_recovery(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver(max_to_keep=2)
        with Session() as sess:
            sess.run(global_variables_initializer())
            paths = [saver.save(sess, str(tmp_path / "m"), global_step=s, write_meta_graph=False) for s in range(3)]
        fresh = Saver(max_to_keep=2)
        state = checkpoint_management.get_checkpoint_state(str(tmp_path))
        fresh.recover_last_checkpoints(list(state.all_model_checkpoint_paths) + [str(tmp_path / "gone")])
        assert fresh.last_checkpoints == paths[1:]
        fresh.set_last_checkpoints(["a", "b"])
        assert fresh.last_checkpoints == ["a", "b"]
        fresh.set_last_checkpoints_with_time([("c", 1.0)])
        assert fresh.last_checkpoints == ["c"]
        with pytest.raises(TypeError):
            fresh.set_last_checkpoints("a")


def test_saver_def_round_trip_and_scopes(graph):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        assert saver.to_proto() is saver.as_saver_def()
        assert saver.to_proto(export_scope="other") is None
        stripped = saver.to_proto(export_scope="save")
        assert stripped.restore_op_name == "restore_all" and stripped.filename_tensor_name == "Const:0"
        again = Saver.from_proto(saver.as_saver_def())
        assert again.as_saver_def() == saver.as_saver_def()
        with pytest.raises(ValueError, match="saver_def must specify the save_tensor_name"):
            Saver(saver_def=saver_pb2.SaverDef(restore_op_name="x", filename_tensor_name="y"))


def test_sharded_saver_on_one_device(graph, tmp_path):
    w, *_ = _model(graph)
    with graph.as_default():
        saver = Saver(sharded=True)
        assert saver.as_saver_def().sharded
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m"), global_step=3)
            sess.run(w.assign([0.0, 0.0, 0.0]))
            saver.restore(sess, path)
            np.testing.assert_array_equal(sess.run(w), [1.0, 2.0, 3.0])
    assert os.path.exists(path + ".data-00000-of-00001")


def test_write_version_v1_is_refused(graph):
    _model(graph)
    with graph.as_default(), pytest.raises(ValueError, match="V2 checkpoints only"):
        Saver(write_version=saver_pb2.SaverDef.V1)


# ---- checkpoint ops ---------------------------------------------------------------------------------
def test_merge_v2_checkpoints_and_sharded_filename(tmp_path):
    a, b = str(tmp_path / "parts" / "a"), str(tmp_path / "parts" / "b")
    checkpoint_bundle.write_bundle(a, {"x": np.arange(3)})
    checkpoint_bundle.write_bundle(b, {"y": np.array([b"s"], dtype=object)})
    g = Graph()
    with g.as_default():
        merge = io_ops.merge_v2_checkpoints(constant([a, b]), str(tmp_path / "merged"))
        name = io_ops.sharded_filename("model", 1, 4)
        with Session() as sess:
            sess.run(merge)
            assert sess.run(name) == b"model-00001-of-00004"
    assert sorted(os.listdir(tmp_path)) == ["merged.data-00000-of-00002", "merged.data-00001-of-00002",
                                            "merged.index"]
    reader = checkpoint_bundle.BundleReader(str(tmp_path / "merged"))
    assert reader.num_shards == 2 and reader.entry("y").shard_id == 1
    assert reader.get_tensor("x").tolist() == [0, 1, 2] and reader.get_tensor("y").tolist() == [b"s"]


def test_save_restore_ops_directly(tmp_path):
    prefix = str(tmp_path / "direct")
    g = Graph()
    with g.as_default():
        save = io_ops.save_v2(prefix, ["a", "b"], ["", ""], [constant([1, 2]), constant("x")])
        a, b = io_ops.restore_v2(prefix, ["a", "b"], ["", ""], [dtypes.int32, dtypes.string])
        missing = io_ops.restore_v2(prefix, ["c"], [""], [dtypes.int32])[0]
        sliced = io_ops.restore_v2(prefix, ["a"], ["2 0,1"], [dtypes.int32])[0]
        assert a.shape.ndims is None and a.dtype == dtypes.int32
        with Session() as sess:
            sess.run(save)
            got_a, got_b = sess.run([a, b])
            with pytest.raises(errors.NotFoundError, match="Key c not found in checkpoint"):
                sess.run(missing)
            with pytest.raises(errors.UnimplementedError, match="slice"):
                sess.run(sliced)
        with pytest.raises(ValueError, match="one entry per tensor"):
            io_ops.save_v2(prefix, ["a"], [""], [constant(1), constant(2)])
    assert got_a.tolist() == [1, 2] and got_b == b"x"


# ---- meta graphs ----------------------------------------------------------------------------------------
def test_import_meta_graph_restores_into_a_fresh_graph(graph, tmp_path):
    w, b, words, step = _model(graph)
    with graph.as_default():
        update = w.assign_add([1.0, 1.0, 1.0])
        graph.add_to_collection("train_op", update.op)
        graph.add_to_collection("outputs", b.value())
        graph.add_to_collection("names", "hello")
        graph.add_to_collection("numbers", 3)
        graph.add_to_collection("rates", 0.25)
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            sess.run(update)
            path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=10)
    fresh = Graph()
    with fresh.as_default():
        restorer = import_meta_graph(path + ".meta")
        assert restorer.as_saver_def() == saver.as_saver_def()
        assert [v.name for v in fresh.get_collection(GraphKeys.TRAINABLE_VARIABLES)] == ["w:0", "dense/b:0",
                                                                                         "words:0"]
        assert [v.name for v in fresh.get_collection(GraphKeys.GLOBAL_STEP)] == ["global_step:0"]
        assert fresh.get_collection("names") == [b"hello"]
        assert fresh.get_collection("numbers") == [3]
        assert fresh.get_collection("rates") == [0.25]
        assert fresh.get_collection("outputs")[0].name == "dense/b/read:0"
        train_op = fresh.get_collection("train_op")[0]
        with Session() as sess:
            restorer.restore(sess, path)
            np.testing.assert_array_equal(sess.run("w:0"), [2.0, 3.0, 4.0])
            sess.run(train_op)  # training resumes without the Python code that built the graph
            np.testing.assert_array_equal(sess.run("w:0"), [3.0, 4.0, 5.0])
            fresh_var = fresh.get_collection(GraphKeys.GLOBAL_VARIABLES)[0]
            sess.run(fresh_var.initializer)
            np.testing.assert_array_equal(sess.run(fresh_var), [1.0, 2.0, 3.0])


def test_import_meta_graph_with_scope(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "m"))
    fresh = Graph()
    with fresh.as_default():
        restorer = import_meta_graph(path + ".meta", import_scope="imported")
        assert restorer.as_saver_def().restore_op_name == "imported/save/restore_all"
        with Session() as sess:
            restorer.restore(sess, path)
            np.testing.assert_array_equal(sess.run("imported/w:0"), [1.0, 2.0, 3.0])


def test_golden_tf_meta_graph_restores_golden_checkpoint(tmp_path):
    manifest = json.load(open(os.path.join(FIXTURES, "manifest.json")))
    g = Graph()
    with g.as_default():
        saver = import_meta_graph(os.path.join(FIXTURES, "model.ckpt-532.meta"))
        d = saver.as_saver_def()
        want = manifest["meta_graph"]["saver_def"]
        assert (d.filename_tensor_name, d.save_tensor_name, d.restore_op_name, d.max_to_keep) == (
            want["filename_tensor_name"], want["save_tensor_name"], want["restore_op_name"], want["max_to_keep"])
        variables = {v.op.name: v for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES)}
        assert sorted(variables) == manifest["meta_graph"]["variable_node_names"]
        with Session() as sess:
            saver.restore(sess, os.path.join(FIXTURES, "model.ckpt-532"))
            assert sess.run(variables["global_step"]) == 532
            np.testing.assert_array_equal(sess.run(variables["dnn/logits/bias"]), np.float32([-0.7904096841812134]))
            assert sess.run(variables["vars/scalar_string"]) == b"iyr"
            # and the imported graph saves again, to TF's bytes
            path = saver.save(sess, str(tmp_path / "again"), write_meta_graph=False)
    golden = os.path.join(FIXTURES, "model.ckpt-532")
    for suffix in (".index", ".data-00000-of-00001"):
        assert open(path + suffix, "rb").read() == open(golden + suffix, "rb").read()


def test_golden_multi_meta_graph_restores_each_kept_step():
    values = json.load(open(os.path.join(FIXTURES, "manifest.json")))["multi"]["values"]
    g = Graph()
    with g.as_default():
        saver = import_meta_graph(os.path.join(FIXTURES, "multi", "model.ckpt-456.meta"))
        with Session() as sess:
            for prefix, want in values.items():
                saver.restore(sess, os.path.join(FIXTURES, "multi", prefix))
                assert sess.run("global_step:0") == want["global_step"]
                np.testing.assert_array_equal(sess.run("w:0"), np.float32(want["w"]))


def test_export_meta_graph_options(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        with graph.device("/cpu:0"):
            constant(1.0, name="on_cpu")
        meta = export_meta_graph(str(tmp_path / "g.meta"), saver_def=saver.as_saver_def(), as_text=True,
                                 clear_devices=True, collection_list=[GraphKeys.TRAINABLE_VARIABLES])
    assert list(meta.collection_def) == [GraphKeys.TRAINABLE_VARIABLES]
    assert all(not n.device for n in meta.graph_def.node)
    assert "saver_def" in open(tmp_path / "g.meta").read()  # text format
    assert meta_graph.read_meta_graph_file(str(tmp_path / "g.meta")) == meta
    assert "SaveV2" in [op.name for op in meta.meta_info_def.stripped_op_list.op]
    with pytest.raises(OSError, match="does not exist"):
        meta_graph.read_meta_graph_file(str(tmp_path / "missing.meta"))


def test_export_scope_and_strip_default_attrs(tmp_path):
    g = Graph()
    with g.as_default():
        from estflow.core.graph import name_scope

        with name_scope("tower"):
            v = Variable(np.zeros(2, np.float32), name="v")
        Variable(np.zeros(1, np.float32), name="outside")
        meta, var_list = meta_graph.export_scoped_meta_graph(export_scope="tower", strip_default_attrs=True)
    assert list(var_list) == ["v:0"] and var_list["v:0"] is v
    assert sorted(n.name for n in meta.graph_def.node) == ["v", "v/Assign", "v/initial_value", "v/read"]
    assign = next(n for n in meta.graph_def.node if n.name == "v/Assign")
    assert "use_locking" not in assign.attr and meta.meta_info_def.stripped_default_attrs
    fresh = Graph()
    with fresh.as_default():
        imported = meta_graph.import_scoped_meta_graph(meta, import_scope="copy")
        assert list(imported) == ["v:0"] and imported["v:0"].name == "copy/v:0"


def test_unserializable_collection_is_skipped(graph, caplog):
    _model(graph)
    with graph.as_default():
        graph.add_to_collection("objects", object())
        meta = export_meta_graph()
    assert "objects" not in meta.collection_def
    assert "Issue encountered when serializing: objects" in caplog.text


def test_save_under_a_file_is_tf1s_value_error(tmp_path):
    import estflow as tf

    (tmp_path / "afile").write_text("")
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(1.0)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            with pytest.raises(ValueError, match="doesn't exist, can't save"):
                saver.save(sess, str(tmp_path / "afile" / "model.ckpt"))


def test_save_with_a_python_input_pipeline_keeps_the_checkpoint_and_skips_the_meta_file(tmp_path, caplog):
    g = tf.Graph()
    with g.as_default():
        batch = tf.data.Dataset.range(5).batch(2).make_one_shot_iterator().get_next()
        v = tf.Variable(3.0, name="v")
        total = v + tf.cast(tf.reduce_sum(batch), tf.float32)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(total) == 4.0
            with caplog.at_level("WARNING", logger="estflow"):
                path = saver.save(sess, str(tmp_path / "model"), global_step=1)
    assert os.path.exists(path + ".index") and not os.path.exists(path + ".meta")
    assert "saved without its meta file" in caplog.text and "Dataset op 'OneShotIterator'" in caplog.text
    assert tf.train.latest_checkpoint(str(tmp_path)) == path
