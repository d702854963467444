"""tf.train.Saver: graphs named as TF names them, files as TF writes them, crash safety, meta graphs."""

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import checkpoint_bundle, dtypes, errors
from estflow.core.graph import Graph, GraphKeys
from estflow.core.ops import io_ops
from estflow.core.ops.constant_op import constant
from estflow.core.protos import saver_pb2
from estflow.core.registry import registered_ops
from estflow.core.session import Session
from estflow.core.variables import Variable, global_variables_initializer
from estflow.training import checkpoint_management, meta_graph
from estflow.training.saver import Saver, export_meta_graph, import_meta_graph
from tests import REPO
from tests.golden_checkpoint import GOLDEN_CKPT, MANIFEST
from tests.golden_checkpoint import golden_value as _golden_value
from tests.golden_checkpoint import variables_like_golden as _variables_like_golden

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


_KILLED_SAVER = """
import os, sys, time
import numpy as np
import estflow as tf
directory = sys.argv[1]
v = tf.Variable(np.arange(6, dtype=np.float32), name="v")
saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=1)
    sess.run(v.assign(v * 2))
    def stall(src, dst):  # the data temporary stays; at the index's rename, wait to be killed
        if ".tempstate" in src:
            return
        print("saving", flush=True)
        time.sleep(120)
    os.replace = stall
    saver.save(sess, os.path.join(directory, "model.ckpt"), global_step=2)
"""


@pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and pid liveness are POSIX features")
def test_next_save_clears_temporaries_of_a_killed_save_and_only_those(graph, tmp_path):
    from estflow.core import file_io  # the temporary-name format under test

    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", _KILLED_SAVER, str(tmp_path)], stdout=subprocess.PIPE, env=env,
                             text=True)
    assert child.stdout.readline() == "saving\n"
    child.kill()  # SIGKILL mid-save: no cleanup runs
    child.wait()
    child.stdout.close()
    left = sorted(n for n in os.listdir(tmp_path) if ".tmp" in n or ".tempstate" in n)
    assert [re.sub(r"\.(tmp|tempstate).*", r".\1", n) for n in left] == [
        "model.ckpt-2.data-00000-of-00001.tempstate", "model.ckpt-2.index.tmp"]
    assert all(f"-{child.pid}-" in n for n in left)  # the writer is named in the temporary's name

    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kept = [  # a live writer's file, another prefix's file, an untagged file written just now
            os.path.basename(file_io.temporary_path(str(tmp_path / "model.ckpt-3.index"))).replace(
                f"-{os.getpid()}-", f"-{live.pid}-"),
            f"other.ckpt-2.index.tmp{file_io._HOST}-{child.pid}-0abc",
            "model.ckpt-4.meta.tmp0123abcd",
        ]
        old_untagged = "model.ckpt-5.data-00000-of-00001.tempstate98765"  # as TF names them: no writer
        for name in kept + [old_untagged]:
            (tmp_path / name).write_bytes(b"partial")
        two_days_ago = time.time() - 2 * 86400
        os.utime(tmp_path / old_untagged, (two_days_ago, two_days_ago))

        with graph.as_default():
            v = Variable(np.zeros(6, np.float32), name="v")
            saver = Saver()
            with Session() as sess:
                latest = checkpoint_management.latest_checkpoint(str(tmp_path))
                assert latest == str(tmp_path / "model.ckpt-1")
                saver.restore(sess, latest)
                np.testing.assert_array_equal(sess.run(v), np.arange(6))
                saver.save(sess, str(tmp_path / "model.ckpt"), global_step=3)
        after = sorted(n for n in os.listdir(tmp_path) if ".tmp" in n or ".tempstate" in n)
        assert after == sorted(kept)
    finally:
        live.kill()
        live.wait()


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




DTYPE_VALUES = [
    ("float16", np.array([1.5, -2.25, 65504.0], np.float16)),
    ("float32", np.array([[1.5, np.inf], [-0.0, np.nan]], np.float32)),
    ("float64", np.array([np.pi, -1e300], np.float64)),
    ("int8", np.array([-128, 127], np.int8)),
    ("int16", np.array([-32768, 32767], np.int16)),
    ("int32", np.array([-(2**31), 2**31 - 1], np.int32)),
    ("int64", np.array([-(2**63), 2**63 - 1], np.int64)),
    ("uint8", np.array([0, 255], np.uint8)),
    ("uint16", np.array([0, 65535], np.uint16)),
    ("bool", np.array([True, False, True])),
    ("string", np.array([b"", b"abc", "ünï".encode(), bytes(range(256)) * 5], object)),
    ("complex64", np.array([1 + 2j, -3.5j], np.complex64)),
    ("complex128", np.array([1e200 + 2j], np.complex128)),
    ("empty", np.zeros((0, 3), np.float32)),
    ("scalar", np.array(7.5, np.float64)),
]


CRASH_SCRIPT = textwrap.dedent("""
    import os, sys
    import estflow as tf
    kill_at = int(sys.argv[2])
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        saver.save(sess, os.path.join(sys.argv[1], "model.ckpt"), global_step=1)
        sess.run(v.assign([5.0, 6.0]))
        real_replace, calls = os.replace, [0]
        def dying_replace(src, dst):
            calls[0] += 1
            if calls[0] == kill_at:
                os._exit(17)  # the process is killed between two files
            return real_replace(src, dst)
        os.replace = dying_replace
        os.rename = dying_replace
        saver.save(sess, os.path.join(sys.argv[1], "model.ckpt"), global_step=2)
    print("calls", calls[0])
""")


def _saved(tmp_path, value=(1.0, 2.0, 3.0)):
    v = tf.Variable(list(value), name="w")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
    return v, saver, path


def _manifest_var(name):
    return next(v for v in MANIFEST["variables"] if v["name"] == name)


@pytest.mark.usefixtures("g")
def test_saver_accepts_every_constructor_argument(tmp_path):
    v = tf.Variable([1.0, 2.0], name="v")
    saver = tf.train.Saver(
        var_list={"renamed": v}, reshape=False, sharded=False, max_to_keep=3, keep_checkpoint_every_n_hours=2.0,
        name="my_saver", restore_sequentially=True, saver_def=None, builder=None, defer_build=True,
        allow_empty=False, write_version=tf.train.SaverDef.V2, pad_step_number=True, save_relative_paths=True,
        filename=None,
    )
    saver.build()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=7)
    assert path == str(tmp_path / "model.ckpt-00000007")  # pad_step_number
    assert [name for name, _ in tf.train.list_variables(path)] == ["renamed"]
    sd = saver.as_saver_def()
    assert isinstance(sd, tf.train.SaverDef)
    assert sd.max_to_keep == 3 and sd.keep_checkpoint_every_n_hours == 2.0 and sd.version == tf.train.SaverDef.V2
    assert sd.filename_tensor_name.startswith("my_saver/") and sd.restore_op_name.startswith("my_saver/")


@pytest.mark.usefixtures("g")
def test_saver_var_list_as_list_and_dict(tmp_path):
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="scope/b")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        p1 = tf.train.Saver([a, b]).save(sess, str(tmp_path / "l"))
        p2 = tf.train.Saver({"x": a, "y": b}).save(sess, str(tmp_path / "d"))
    assert dict(tf.train.list_variables(p1)) == {"a": [], "scope/b": []}
    assert dict(tf.train.list_variables(p2)) == {"x": [], "y": []}


@pytest.mark.usefixtures("g")
def test_save_returns_prefix_with_global_step_and_restores(tmp_path):
    w = tf.Variable([[1.0, 2.0]], name="w")
    gs = tf.train.get_or_create_global_step()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(gs, 1000))
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=gs)
        assert path == str(tmp_path / "model.ckpt") + "-1000"
        assert saver.save(sess, str(tmp_path / "model.ckpt"), global_step=1001).endswith("model.ckpt-1001")
        sess.run(tf.assign(w, [[9.0, 9.0]]))
    for suffix in (".index", ".data-00000-of-00001", ".meta"):
        assert os.path.exists(path + suffix), suffix
    with tf.Session() as sess:
        saver.restore(sess, path)  # restore needs no initializer
        assert sess.run(w).tolist() == [[1.0, 2.0]] and sess.run(gs) == 1000


@pytest.mark.usefixtures("g")
def test_save_keyword_arguments(tmp_path):
    v = tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        p = saver.save(sess, str(tmp_path / "m"), global_step=1, latest_filename="my_state",
                       meta_graph_suffix="mg", write_meta_graph=True, write_state=True)
        q = saver.save(sess, str(tmp_path / "n"), global_step=2, write_meta_graph=False, write_state=False)
    assert os.path.exists(p + ".mg") and not os.path.exists(p + ".meta")
    assert (tmp_path / "my_state").exists() and not (tmp_path / "checkpoint").exists()
    assert tf.train.latest_checkpoint(str(tmp_path), latest_filename="my_state") == p
    assert not os.path.exists(q + ".meta") and os.path.exists(q + ".index")


@pytest.mark.usefixtures("g")
def test_last_checkpoints_and_rotation_with_max_to_keep(tmp_path):
    v = tf.Variable(0, name="v")
    saver = tf.train.Saver(max_to_keep=2)
    prefix = str(tmp_path / "model.ckpt")
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, prefix, global_step=s) for s in (1, 2, 3)]
    assert saver.last_checkpoints == paths[1:]
    assert not os.path.exists(paths[0] + ".index") and not os.path.exists(paths[0] + ".meta")
    assert not os.path.exists(paths[0] + ".data-00000-of-00001")
    assert all(os.path.exists(p + ".index") for p in paths[1:])
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == paths[2]
    assert list(state.all_model_checkpoint_paths) == paths[1:]


@pytest.mark.usefixtures("g")
def test_max_to_keep_none_or_zero_keeps_everything(tmp_path):
    v = tf.Variable(0, name="v")
    saver = tf.train.Saver(max_to_keep=None)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=s) for s in range(7)]
    assert all(os.path.exists(p + ".index") for p in paths)


@pytest.mark.usefixtures("g")
def test_keep_checkpoint_every_n_hours_keeps_due_checkpoints(tmp_path, monkeypatch):
    v = tf.Variable(0, name="v")
    clock = [1_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    saver = tf.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        p = []
        for step in range(4):
            clock[0] += 1800.0  # half an hour between saves
            p.append(saver.save(sess, str(tmp_path / "m"), global_step=step))
    # saves at +0.5h, +1h, +1.5h, +2h after construction: the first one older than "construction + 1h" is kept
    assert [os.path.exists(x + ".index") for x in p] == [False, False, True, True]


@pytest.mark.usefixtures("g")
def test_set_last_checkpoints_with_time_and_recover(tmp_path):
    v = tf.Variable(0, name="v")
    saver = tf.train.Saver(max_to_keep=5)
    with tf.Session() as sess:
        sess.run(v.initializer)
        paths = [saver.save(sess, str(tmp_path / "m"), global_step=s) for s in (1, 2)]
    other = tf.train.Saver(max_to_keep=5)
    other.set_last_checkpoints_with_time([(paths[0], 10.0), (paths[1], 20.0)])
    assert other.last_checkpoints == paths
    fresh = tf.train.Saver()
    fresh.recover_last_checkpoints(paths + [str(tmp_path / "m-99")])  # a missing one is dropped
    assert fresh.last_checkpoints == paths
    with pytest.raises((AssertionError, TypeError)):  # TF1 asserts a list
        other.set_last_checkpoints_with_time("not a list")


@pytest.mark.usefixtures("g")
def test_as_saver_def_round_trips_through_saver_def_argument(tmp_path):
    v = tf.Variable(3.0, name="v")
    s1 = tf.train.Saver()
    sd = s1.as_saver_def()
    assert sd.filename_tensor_name == "save/Const:0"
    assert sd.save_tensor_name == "save/control_dependency:0" and sd.restore_op_name == "save/restore_all"
    assert sd.max_to_keep == 5 and sd.keep_checkpoint_every_n_hours == 10000.0 and not sd.sharded
    s2 = tf.train.Saver(saver_def=sd)
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = s2.save(sess, str(tmp_path / "m"))
        sess.run(v.assign(0.0))
        s2.restore(sess, path)
        assert sess.run(v) == 3.0


@pytest.mark.usefixtures("g")
def test_sharded_saver_round_trip(tmp_path):
    with tf.device("/cpu:0"):
        a = tf.Variable([1.0], name="a")
    b = tf.Variable([2], name="b")
    saver = tf.train.Saver(sharded=True)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"), global_step=3)
        sess.run([a.assign([0.0]), b.assign([0])])
        saver.restore(sess, path)
        assert sess.run([a, b])[0].tolist() == [1.0] and sess.run(b).tolist() == [2]
    assert tf.train.checkpoint_exists(path)


@pytest.mark.usefixtures("g")
def test_restore_with_reshape_and_mismatch_errors(tmp_path):
    v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="v")
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        v = tf.Variable(np.zeros((3, 2), np.float32), name="v")
        with tf.Session() as sess:
            tf.train.Saver(reshape=True).restore(sess, path)
            assert sess.run(v).tolist() == [[0, 1], [2, 3], [4, 5]]
            with pytest.raises(tf.errors.InvalidArgumentError, match="Restoring from checkpoint failed"):
                tf.train.Saver().restore(sess, path)
    with tf.Graph().as_default():
        tf.Variable(np.zeros((2, 3), np.int32), name="v")
        with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="dtype"):
            tf.train.Saver().restore(sess, path)


@pytest.mark.usefixtures("g")
def test_write_version_v1_is_refused_clearly():
    """estflow writes V2 bundles only (V1 is deprecated in TF1); asking for V1 is a clear ValueError, not junk."""
    tf.Variable(1.0, name="v")
    with pytest.raises(ValueError, match="V2"):
        tf.train.Saver(write_version=tf.train.SaverDef.V1)


@pytest.mark.usefixtures("g")
def test_empty_saver_needs_allow_empty():
    with pytest.raises(ValueError, match="No variables to save"):
        tf.train.Saver()
    assert tf.train.Saver(allow_empty=True) is not None


@pytest.mark.usefixtures("g")
def test_golden_checkpoint_restores_exactly():
    variables = _variables_like_golden()
    saver = tf.train.Saver()
    with tf.Session() as sess:
        saver.restore(sess, str(GOLDEN_CKPT / MANIFEST["prefix"]))
        values = sess.run(variables)
    for var in MANIFEST["variables"]:
        got, want = values[var["name"]], _golden_value(var)
        if var["dtype"] == "string" and not var["shape"]:
            assert got == want.item()  # a scalar string fetches as bytes, as in TF1
            continue
        assert got.dtype == want.dtype and got.shape == want.shape, var["name"]
        assert np.array_equal(got, want), var["name"]


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("label,value", DTYPE_VALUES, ids=[d[0] for d in DTYPE_VALUES])
def test_every_dtype_round_trips(tmp_path, label, value):
    v = tf.Variable(value, name="var")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "m"))
    with tf.Session() as sess:
        saver.restore(sess, path)
        got = sess.run(v)
    assert got.dtype == value.dtype and got.shape == value.shape
    if value.dtype.kind == "f":
        np.testing.assert_array_equal(got, value)  # nan == nan here
    else:
        assert got.tolist() == value.tolist()
    read = tf.train.load_variable(path, "var")
    assert read.dtype == value.dtype and read.shape == value.shape


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("kill_at", [1, 2, 3, 4])  # data, index, meta, state file
def test_crash_mid_save_leaves_previous_checkpoint_whole(tmp_path, kill_at):
    script = tmp_path / "crash.py"
    script.write_text(CRASH_SCRIPT)
    ckpt_dir = tmp_path / "ckpt"
    ckpt_dir.mkdir()
    proc = subprocess.run([sys.executable, str(script), str(ckpt_dir), str(kill_at)], capture_output=True, text=True,
                          cwd=REPO)
    assert proc.returncode == 17, proc.stderr + proc.stdout
    latest = tf.train.latest_checkpoint(str(ckpt_dir))
    assert latest == str(ckpt_dir / "model.ckpt-1")
    v = tf.Variable([0.0, 0.0], name="v")
    with tf.Session() as sess:
        tf.train.Saver().restore(sess, latest)
        assert sess.run(v).tolist() == [1.0, 2.0]
    leftovers = [p.name for p in ckpt_dir.iterdir() if "model.ckpt-2" in p.name and not re.search(r"tmp|temp", p.name)]
    if kill_at == 1:
        assert leftovers == []  # nothing of the new checkpoint is published before its first rename


@pytest.mark.usefixtures("g")
def test_corrupted_data_raises_data_loss(tmp_path):
    v, saver, path = _saved(tmp_path)
    data = Path(path + ".data-00000-of-00001")
    raw = bytearray(data.read_bytes())
    raw[5] ^= 0xFF
    data.write_bytes(bytes(raw))
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError):
        saver.restore(sess, path)


@pytest.mark.usefixtures("g")
def test_truncated_data_raises_data_loss(tmp_path):
    v, saver, path = _saved(tmp_path)
    data = Path(path + ".data-00000-of-00001")
    data.write_bytes(data.read_bytes()[:-4])
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError):
        saver.restore(sess, path)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_index_raises_data_loss(tmp_path, damage):
    v, saver, path = _saved(tmp_path)
    index = Path(path + ".index")
    raw = bytearray(index.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw[len(raw) // 3] ^= 0xFF
    index.write_bytes(bytes(raw))
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError):
        saver.restore(sess, path)


@pytest.mark.usefixtures("g")
def test_overwritten_data_with_stale_index_is_data_loss_not_garbage(tmp_path):
    v, saver, path = _saved(tmp_path)
    index = Path(path + ".index").read_bytes()
    with tf.Session() as sess:
        sess.run(v.assign([7.0, 8.0, 9.0]))
        saver.save(sess, path)  # same prefix
    Path(path + ".index").write_bytes(index)  # a crash left the old index with the new data
    with tf.Session() as sess, pytest.raises(tf.errors.DataLossError):
        saver.restore(sess, path)


@pytest.mark.usefixtures("g")
def test_missing_key_raises_not_found(tmp_path):
    a = tf.Variable(1.0, name="a")
    with tf.Session() as sess:
        sess.run(a.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default():
        tf.Variable(1.0, name="a")
        tf.Variable(2.0, name="w")
        saver = tf.train.Saver()
        with tf.Session() as sess, pytest.raises(tf.errors.NotFoundError) as e:
            saver.restore(sess, path)
    assert "Key w not found in checkpoint" in e.value.message


@pytest.mark.usefixtures("g")
def test_restore_nonexistent_path_is_value_error(tmp_path):
    tf.Variable(1.0, name="a")
    with tf.Session() as sess, pytest.raises(ValueError, match="not a valid checkpoint"):
        tf.train.Saver().restore(sess, str(tmp_path / "nothing"))


@pytest.mark.usefixtures("g")
def test_export_and_import_meta_graph_resume_without_building_code(tmp_path):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.Variable([[1.0], [2.0]], name="w")
    y = tf.matmul(x, w, name="y")
    gs = tf.train.get_or_create_global_step()
    train = tf.assign_add(gs, 1, name="train_step")
    tf.add_to_collection("my_outputs", y)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        path = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=gs)
    meta = tf.train.export_meta_graph(str(tmp_path / "explicit.meta"))
    assert isinstance(meta, tf.MetaGraphDef) and "w" in [n.name for n in meta.graph_def.node]
    assert tf.MetaGraphDef.FromString((tmp_path / "explicit.meta").read_bytes()) == meta

    with tf.Graph().as_default() as g2:
        restorer = tf.train.import_meta_graph(path + ".meta")
        with tf.Session() as sess:
            restorer.restore(sess, path)
            y2 = tf.get_collection("my_outputs")[0]
            assert y2.name == "y:0" and y2.graph is g2
            assert sess.run(y2, {"x:0": [[1.0, 1.0]]}).tolist() == [[3.0]]
            sess.run("train_step")
            assert sess.run(tf.train.get_global_step()) == 2
            assert [v.op.name for v in tf.global_variables()] == ["w", "global_step"]


@pytest.mark.usefixtures("g")
def test_meta_file_is_a_metagraphdef_with_saver_def_and_collections(tmp_path):
    tf.Variable(1.0, name="v")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "m"))
    meta = tf.MetaGraphDef.FromString(Path(path + ".meta").read_bytes())
    assert meta.saver_def == saver.as_saver_def()
    assert {"variables", "trainable_variables"} <= set(meta.collection_def)
    assert "v" in [n.name for n in meta.graph_def.node]
    assert meta.meta_info_def.stripped_op_list.op or meta.meta_info_def.tensorflow_version is not None


@pytest.mark.usefixtures("g")
def test_import_meta_graph_with_import_scope_and_clear_devices(tmp_path):
    with tf.device("/cpu:0"):
        x = tf.Variable(2.0, name="x")
    tf.multiply(x, 3.0, name="y")
    with tf.Session() as sess:
        sess.run(x.initializer)
        path = tf.train.Saver().save(sess, str(tmp_path / "m"))
    with tf.Graph().as_default() as g2:
        saver = tf.train.import_meta_graph(path + ".meta", import_scope="imp", clear_devices=True)
        assert g2.get_operation_by_name("imp/x").device == ""
        with tf.Session() as sess:
            saver.restore(sess, path)
            assert sess.run("imp/y:0") == 6.0


@pytest.mark.usefixtures("g")
def test_golden_meta_graph_imports_and_restores():
    prefix = str(GOLDEN_CKPT / MANIFEST["prefix"])
    saver = tf.train.import_meta_graph(prefix + ".meta")
    assert saver.as_saver_def().restore_op_name == "save/restore_all"
    with tf.Session() as sess:
        saver.restore(sess, prefix)
        gs = tf.train.get_global_step()
        assert sess.run(gs) == 532
        byname = {v.op.name: v for v in tf.global_variables()}
        np.testing.assert_array_equal(sess.run(byname["vars/words_string"]),
                                      _golden_value({**_manifest_var("vars/words_string")}))


def test_save_debug_info_is_refused_rather_than_skipped(graph, tmp_path):
    _model(graph)
    with graph.as_default():
        saver = Saver()
        with Session() as sess:
            sess.run(global_variables_initializer())
            for call in (lambda: saver.save(sess, str(tmp_path / "m"), save_debug_info=True),
                         lambda: saver.export_meta_graph(save_debug_info=True),
                         lambda: export_meta_graph(save_debug_info=True)):
                with pytest.raises(NotImplementedError, match="save_debug_info=True"):
                    call()
            assert saver.save(sess, str(tmp_path / "m")) == str(tmp_path / "m")


def test_export_meta_graph_refuses_keywords_it_cannot_honour(graph):
    _model(graph)
    with graph.as_default():
        with pytest.raises(TypeError, match="unexpected keyword arguments: \\['colour'\\]"):
            export_meta_graph(colour="blue")
        with pytest.raises(NotImplementedError, match="exclude_nodes"):
            meta_graph.export_meta_graph(exclude_nodes=["w"])
        assert meta_graph.export_meta_graph(exclude_nodes=None).graph_def.node


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
            with caplog.at_level("INFO", logger="estflow"):
                again = saver.save(sess, str(tmp_path / "model"), global_step=2)
    assert os.path.exists(path + ".index") and not os.path.exists(path + ".meta")
    assert "saved without its meta file" in caplog.text and "Dataset op 'OneShotIterator'" in caplog.text
    assert tf.train.latest_checkpoint(str(tmp_path)) == again
    # One warning per Saver: the second save says the same at INFO, not again as a warning.
    said = [r for r in caplog.records if "saved without its meta file" in r.getMessage()]
    assert [r.levelname for r in said] == ["WARNING", "INFO"]


# ---- interop: real TensorFlow reads what the Saver writes ---------------------------------------
_TF_RESUMES = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
prefix = sys.argv[1]
with tf.Session() as sess:
    saver = tf.train.import_meta_graph(prefix + ".meta")
    saver.restore(sess, prefix)
    g = tf.get_default_graph()
    feed = {"x:0": np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), "y:0": np.ones((4, 1), np.float32),
            "use_square:0": True}
    loss = sess.run("loss:0", feed)
    w = sess.run("dense/kernel:0")
    sess.run(tf.get_collection(tf.GraphKeys.TRAIN_OP)[0], feed)
    after = sess.run("loss:0", feed)
    summary = sess.run(g.get_tensor_by_name("Merge/MergeSummary:0"), feed)
print(json.dumps({"loss": float(loss), "w": w.tolist(), "after": float(after), "summary_bytes": len(summary)}))
"""


@pytest.mark.interop
def test_tensorflow_resumes_a_saved_training_graph(tmp_path, tf_python):
    """TF imports the .meta (cond, while_loop, Adam, merged summaries), restores the checkpoint, gets
    estflow's loss, and takes a training step of its own."""
    from tests.interop import run_tensorflow

    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y = tf.placeholder(tf.float32, [None, 1], name="y")
        use_square = tf.placeholder(tf.bool, [], name="use_square")
        h = tf.layers.dense(x, 1, name="dense")
        h = tf.cond(use_square, lambda: h * h, lambda: h)
        _, h = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 0.9), [0, h])
        loss = tf.identity(tf.reduce_mean(tf.square(h - y)), name="loss")
        tf.summary.scalar("loss", loss)
        tf.summary.histogram("h", h)
        merged = tf.summary.merge_all()
        train_op = tf.train.AdamOptimizer(0.1).minimize(loss)
        tf.add_to_collection(tf.GraphKeys.TRAIN_OP, train_op)
        saver = tf.train.Saver()
        feed = {x: np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), y: np.ones((4, 1), np.float32),
                use_square: True}
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(3):
                sess.run(train_op, feed)
            ours, kernel = sess.run([loss, "dense/kernel:0"], feed)
            sess.run(merged, feed)
            prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=3)
            sess.run(train_op, feed)  # the step TF is about to take from the checkpoint
            ours_after = sess.run(loss, feed)
    assert merged.op.name == "Merge/MergeSummary"
    theirs = run_tensorflow(tf_python, _TF_RESUMES, prefix)
    np.testing.assert_allclose(theirs["loss"], ours, rtol=1e-5)
    np.testing.assert_allclose(theirs["w"], kernel, rtol=1e-6)
    # TF's Adam step from the restored slots lands where estflow's does (the initial weights are random, so
    # whether one step of lr 0.1 lowers the loss is not a given; that both agree is)
    np.testing.assert_allclose(theirs["after"], ours_after, rtol=1e-4)
    assert theirs["summary_bytes"] > 0


def test_checkpoints_hold_the_value_types_of_ref_typed_variables(tmp_path):
    """A variable's dtype is `float32_ref` (TF1); its checkpoint entry is `float32`, as TF writes it, and
    a Saver given the variables' ref tensors or a SaveSpec with a ref dtype writes the same."""
    with Graph().as_default():
        w = Variable(np.ones(3, np.float32), name="w")
        n = Variable(np.int64(7), name="n")
        assert w.dtype is dtypes.float32_ref and n.dtype is dtypes.int64_ref
        saver = Saver({"w": w._ref(), "n": n})
        with Session() as sess:
            sess.run(global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model"))
    reader = tf.train.NewCheckpointReader(path)
    assert reader.get_variable_to_dtype_map() == {"w": tf.float32, "n": tf.int64}
    assert all(not d._is_ref_dtype for d in reader.get_variable_to_dtype_map().values())
    entries = checkpoint_bundle.BundleReader(path)
    assert entries.dtype_of("w").as_datatype_enum == 1 and entries.dtype_of("n").as_datatype_enum == 9
    with Graph().as_default():
        w2 = Variable(np.zeros(3, np.float32), name="w")
        with Session() as sess:
            Saver({"w": w2}).restore(sess, path)
            np.testing.assert_array_equal(sess.run(w2), np.ones(3, np.float32))
