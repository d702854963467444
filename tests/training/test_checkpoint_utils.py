"""checkpoint_utils (readers, init_from_checkpoint) and checkpoint_management (the state file)."""

import json
import os
import shutil

import numpy as np
import pytest

import estflow as tf
from estflow.core import checkpoint_bundle, dtypes, errors
from estflow.core.graph import Graph
from estflow.core.protos import checkpoint_state_pb2, saver_pb2
from estflow.core.session import Session
from estflow.core.variable_scope import get_variable, variable_scope
from estflow.core.variables import Variable, global_variables_initializer
from estflow.training import checkpoint_management as cm
from estflow.training import checkpoint_utils as cu
from tests.golden_checkpoint import GOLDEN_CKPT, MANIFEST
from tests.golden_checkpoint import golden_value as _golden_value

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "checkpoint_bundle")
GOLDEN = os.path.join(FIXTURES, "model.ckpt-532")
MULTI = os.path.join(FIXTURES, "multi")


def _manifest():
    with open(os.path.join(FIXTURES, "manifest.json")) as f:
        return json.load(f)


# ---- readers -------------------------------------------------------------------------------------------
def test_list_variables_matches_tf():
    want = [(name, shape) for name, shape in _manifest()["list_variables"]]
    assert cu.list_variables(GOLDEN) == want


def test_load_variable_from_prefix_and_directory():
    assert cu.load_variable(GOLDEN, "global_step") == 532
    assert cu.load_variable(GOLDEN, "vars/scalar_string:0") == b"iyr"
    np.testing.assert_array_equal(cu.load_variable(MULTI, "w"),
                                  np.float32(_manifest()["multi"]["values"]["model.ckpt-456"]["w"]))


def test_checkpoint_reader_methods():
    reader = cu.NewCheckpointReader(GOLDEN)
    assert reader.has_tensor("dnn/logits/bias") and not reader.has_tensor("nope")
    shapes = reader.get_variable_to_shape_map()
    assert shapes["dnn/hiddenlayer_0/kernel"] == [3, 4] and shapes["global_step"] == []
    types = reader.get_variable_to_dtype_map()
    assert types["extra/c64"] == dtypes.complex64 and types["vars/words_string"] == dtypes.string
    lines = reader.debug_string().decode().splitlines()
    assert "dnn/hiddenlayer_0/kernel (float) [3,4]" in lines
    assert "global_step (int64) []" in lines and "vars/vector_f64 (double) [5]" in lines
    assert "extra/f16 (half) [3]" in lines and len(lines) == 18
    with pytest.raises(errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")


def test_load_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file or checkpoints in given directory"):
        cu.load_checkpoint(str(tmp_path))
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files for"):
        cu.load_checkpoint(str(tmp_path / "missing"))


# ---- the state file --------------------------------------------------------------------------------------
def test_get_checkpoint_state_joins_relative_paths():
    state = cm.get_checkpoint_state(MULTI)
    assert state.model_checkpoint_path == os.path.join(MULTI, "model.ckpt-456")
    assert list(state.all_model_checkpoint_paths) == [os.path.join(MULTI, f"model.ckpt-{s}") for s in (324, 377, 456)]
    assert cm.latest_checkpoint(MULTI) == os.path.join(MULTI, "model.ckpt-456")
    assert cm.latest_checkpoint(FIXTURES) == GOLDEN  # TF's save_relative_paths state file
    assert cu.list_variables(FIXTURES) == cu.list_variables(GOLDEN)


def test_latest_checkpoint_missing_cases(tmp_path):
    assert cm.latest_checkpoint(str(tmp_path)) is None
    assert cm.get_checkpoint_state(str(tmp_path)) is None
    cm.update_checkpoint_state(str(tmp_path), str(tmp_path / "gone"))  # state names files that don't exist
    assert cm.latest_checkpoint(str(tmp_path)) is None


def test_update_checkpoint_state_text(tmp_path):
    cm.update_checkpoint_state(str(tmp_path), str(tmp_path / "m-2"), [str(tmp_path / "m-1")])
    with open(tmp_path / "checkpoint") as f:
        assert f.read() == (f'model_checkpoint_path: "{tmp_path}/m-2"\n'
                            f'all_model_checkpoint_paths: "{tmp_path}/m-1"\n'
                            f'all_model_checkpoint_paths: "{tmp_path}/m-2"\n')
    cm.update_checkpoint_state_internal(str(tmp_path), str(tmp_path / "m-3"), [str(tmp_path / "m-3")],
                                        latest_filename="other", save_relative_paths=True)
    with open(tmp_path / "other") as f:
        assert f.read() == 'model_checkpoint_path: "m-3"\nall_model_checkpoint_paths: "m-3"\n'
    assert not [n for n in os.listdir(tmp_path) if ".tmp" in n]


def test_relative_save_dir_rewrites_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.mkdir("ckpts")
    state = cm.generate_checkpoint_state_proto("ckpts", "ckpts/m-1", ["ckpts/m-0"])
    assert state.model_checkpoint_path == "m-1" and list(state.all_model_checkpoint_paths) == ["m-0", "m-1"]


def test_state_file_errors(tmp_path):
    with pytest.raises(ValueError, match="Checkpoint timestamps, if provided, must match checkpoint paths"):
        cm.generate_checkpoint_state_proto(str(tmp_path), "a", ["a"], all_model_checkpoint_timestamps=[1.0, 2.0])
    with pytest.raises(RuntimeError, match="conflicts with path used for checkpoint state"):
        cm.update_checkpoint_state(str(tmp_path), str(tmp_path / "checkpoint"))
    (tmp_path / "checkpoint").write_text('all_model_checkpoint_paths: "x"\n')
    with pytest.raises(ValueError, match="Invalid checkpoint state loaded from"):
        cm.get_checkpoint_state(str(tmp_path))
    (tmp_path / "checkpoint").write_text("this is { not a proto")
    assert cm.get_checkpoint_state(str(tmp_path)) is None


def test_timestamps_are_written(tmp_path):
    cm.update_checkpoint_state(str(tmp_path), "/abs/m-1", ["/abs/m-1"], all_model_checkpoint_timestamps=[12.5],
                               last_preserved_timestamp=3.0)
    state = checkpoint_state_pb2.CheckpointState()
    from google.protobuf import text_format

    text_format.Merge((tmp_path / "checkpoint").read_text(), state)
    assert list(state.all_model_checkpoint_timestamps) == [12.5] and state.last_preserved_timestamp == 3.0


def test_checkpoint_exists_mtimes_and_remove(tmp_path):
    for name in ("m-1", "m-2"):
        checkpoint_bundle.write_bundle(str(tmp_path / name), {"x": np.zeros(1)})
        (tmp_path / f"{name}.meta").write_bytes(b"")
    assert cm.checkpoint_exists(str(tmp_path / "m-1")) and not cm.checkpoint_exists(str(tmp_path / "m-3"))
    assert cm.checkpoint_exists(str(tmp_path / "m-*"))  # a glob pattern, as TF accepts
    mtimes = cm.get_checkpoint_mtimes([str(tmp_path / "m-1"), str(tmp_path / "missing"), str(tmp_path / "m-2")])
    assert len(mtimes) == 2 and all(abs(t - os.path.getmtime(tmp_path / "m-1.index")) < 5 for t in mtimes)
    cm.remove_checkpoint(str(tmp_path / "m-1"))
    assert sorted(os.listdir(tmp_path)) == ["m-2.data-00000-of-00001", "m-2.index", "m-2.meta"]
    (tmp_path / "v1file").write_bytes(b"x")
    cm.remove_checkpoint(str(tmp_path / "v1file"), saver_pb2.SaverDef.V1)
    assert not os.path.exists(tmp_path / "v1file")


@pytest.mark.parametrize("name, want", [("model.ckpt-100", "model.ckpt-100.meta"),
                                        ("model.ckpt-100-00001-of-00002", "model.ckpt-100.meta"),
                                        ("model.ckpt-100-?????-of-00005", "model.ckpt-100.meta")])
def test_meta_graph_filename(name, want):
    assert cm.meta_graph_filename(name) == want


# ---- init_from_checkpoint ----------------------------------------------------------------------------------
@pytest.fixture
def pretrained(tmp_path):
    prefix = str(tmp_path / "pre" / "model.ckpt-9")
    checkpoint_bundle.write_bundle(prefix, {
        "old/dense/kernel": np.full((2, 2), 1.0, np.float32), "old/dense/bias": np.full(2, 2.0, np.float32),
        "other/v": np.full(3, 3.0, np.float32), "dense/kernel": np.full((2, 2), 4.0, np.float32),
        "dense/bias": np.full(2, 5.0, np.float32),
    })
    cm.update_checkpoint_state(str(tmp_path / "pre"), prefix)
    return prefix


def _make_vars():
    with variable_scope("new"):
        with variable_scope("dense"):
            kernel = get_variable("kernel", [2, 2], initializer=lambda *a, **k: np.zeros((2, 2), np.float32))
            bias = get_variable("bias", [2], initializer=lambda *a, **k: np.zeros(2, np.float32))
    v = get_variable("v", [3], initializer=lambda *a, **k: np.zeros(3, np.float32))
    return kernel, bias, v


def _run_init(graph):
    with graph.as_default(), Session() as sess:
        sess.run(global_variables_initializer())
        return {v.op.name: sess.run(v) for v in graph.get_collection("variables")}


def test_init_from_checkpoint_scope_to_scope(pretrained):
    g = Graph()
    with g.as_default():
        kernel, bias, v = _make_vars()
        cu.init_from_checkpoint(os.path.dirname(pretrained), {"old/": "new/"})
        restore = kernel.initializer.inputs[1].op
        assert restore.type == "RestoreV2" and restore.name == "checkpoint_initializer_1"  # after bias (sorted)
        assert bias.initializer.inputs[1].op.name == "checkpoint_initializer"
        assert kernel.initial_value is restore.outputs[0] and kernel.initial_value.shape.as_list() == [2, 2]
    values = _run_init(g)
    np.testing.assert_array_equal(values["new/dense/kernel"], np.ones((2, 2)))
    np.testing.assert_array_equal(values["new/dense/bias"], [2.0, 2.0])
    np.testing.assert_array_equal(values["v"], np.zeros(3))  # outside the mapped scope: untouched


def test_init_from_checkpoint_one_to_one_names_and_objects(pretrained):
    g = Graph()
    with g.as_default():
        kernel, bias, v = _make_vars()
        cu.init_from_checkpoint(pretrained, {"other/v": "v", "dense/bias": bias})
    values = _run_init(g)
    np.testing.assert_array_equal(values["v"], [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(values["new/dense/bias"], [5.0, 5.0])
    np.testing.assert_array_equal(values["new/dense/kernel"], np.zeros((2, 2)))


def test_init_from_checkpoint_root_mappings(pretrained):
    g = Graph()
    with g.as_default():
        _make_vars()
        cu.init_from_checkpoint(pretrained, {"/": "new/"})  # checkpoint root -> scope new/
    values = _run_init(g)
    np.testing.assert_array_equal(values["new/dense/kernel"], np.full((2, 2), 4.0))
    g2 = Graph()
    with g2.as_default():
        with variable_scope("dense"):
            get_variable("kernel", [2, 2], initializer=lambda *a, **k: np.zeros((2, 2), np.float32))
        cu.init_from_checkpoint(pretrained, {"old/": "/"})  # every variable from old/<name>
    np.testing.assert_array_equal(_run_init(g2)["dense/kernel"], np.ones((2, 2)))


def test_init_from_checkpoint_errors(pretrained):
    g = Graph()
    with g.as_default():
        kernel, bias, v = _make_vars()
        with pytest.raises(ValueError, match="Tensor missing/x is not found in"):
            cu.init_from_checkpoint(pretrained, {"missing/x": "v"})
        with pytest.raises(ValueError, match="Shape of variable v:0 .* doesn't match with shape of tensor "
                                             "dense/kernel"):
            cu.init_from_checkpoint(pretrained, {"dense/kernel": v})
        with pytest.raises(ValueError, match="should map to scope only"):
            cu.init_from_checkpoint(pretrained, {"old/dense/kernel": "new/"})
        with pytest.raises(ValueError, match="Tensor other/dense/bias \\(dense/bias in other/\\) is not found"):
            cu.init_from_checkpoint(pretrained, {"other/": "new/"})
        with pytest.raises(ValueError, match="Couldn't find 'checkpoint' file"):
            cu.init_from_checkpoint(os.path.dirname(os.path.dirname(pretrained)), {"/": "/"})


def test_init_from_checkpoint_plain_variable_object(pretrained):
    g = Graph()
    with g.as_default():
        w = Variable(np.zeros(3, np.float32), name="w")
        cu.init_from_checkpoint(pretrained, {"other/v": w})
    np.testing.assert_array_equal(_run_init(g)["w"], [3.0, 3.0, 3.0])


def test_init_from_checkpoint_reads_at_run_time(pretrained, tmp_path):
    g = Graph()
    with g.as_default():
        _, _, v = _make_vars()
        copy = str(tmp_path / "copy")
        shutil.copytree(os.path.dirname(pretrained), copy)
        cu.init_from_checkpoint(os.path.join(copy, "model.ckpt-9"), {"other/v": "v"})
        shutil.rmtree(copy)
        with Session() as sess, pytest.raises(errors.NotFoundError):
            sess.run(v.initializer)




@pytest.mark.usefixtures("g")
def test_golden_checkpoint_reader_api():
    prefix = str(GOLDEN_CKPT / MANIFEST["prefix"])
    assert tf.train.latest_checkpoint(str(GOLDEN_CKPT)) == prefix
    assert [[n, s] for n, s in tf.train.list_variables(str(GOLDEN_CKPT))] == MANIFEST["list_variables"]
    assert tf.train.load_variable(str(GOLDEN_CKPT), "global_step") == 532
    reader = tf.train.load_checkpoint(str(GOLDEN_CKPT))
    r2 = tf.train.NewCheckpointReader(prefix)
    assert reader.has_tensor("vars/matrix_i32") and not reader.has_tensor("nope")
    shapes = reader.get_variable_to_shape_map()
    dtypes = r2.get_variable_to_dtype_map()
    assert shapes["dnn/hiddenlayer_0/kernel"] == [3, 4] and shapes["global_step"] == []
    assert dtypes["extra/f16"] == tf.float16 and dtypes["vars/words_string"] == tf.string
    assert dtypes["global_step"] == tf.int64 and dtypes["extra/c64"] == tf.complex64
    byname = {v["name"]: v for v in MANIFEST["variables"]}
    np.testing.assert_array_equal(r2.get_tensor("vars/tensor3d_i64"), _golden_value(byname["vars/tensor3d_i64"]))
    assert r2.get_tensor("vars/scalar_string") == b"iyr"


@pytest.mark.usefixtures("g")
def test_golden_multi_checkpoint_state():
    multi = str(GOLDEN_CKPT / "multi")
    state = tf.train.get_checkpoint_state(multi)
    assert state.model_checkpoint_path == os.path.join(multi, "model.ckpt-456")
    assert list(state.all_model_checkpoint_paths) == [os.path.join(multi, f"model.ckpt-{s}") for s in (324, 377, 456)]
    assert tf.train.latest_checkpoint(multi) == os.path.join(multi, "model.ckpt-456")
    assert tf.train.checkpoint_exists(os.path.join(multi, "model.ckpt-324"))
    assert not tf.train.checkpoint_exists(os.path.join(multi, "model.ckpt-37"))
    assert tf.train.latest_checkpoint(str(GOLDEN_CKPT / "nothing_here")) is None
    assert tf.train.get_checkpoint_state(str(GOLDEN_CKPT / "nothing_here")) is None


@pytest.mark.usefixtures("g")
def test_checkpoint_state_file_text_relative_and_absolute(tmp_path):
    v = tf.Variable(1, name="v")
    rel = tf.train.Saver(save_relative_paths=True)
    absolute = tf.train.Saver()
    (tmp_path / "rel").mkdir()
    (tmp_path / "abs").mkdir()
    with tf.Session() as sess:
        sess.run(v.initializer)
        rel.save(sess, str(tmp_path / "rel" / "model.ckpt"), global_step=532)
        absolute.save(sess, str(tmp_path / "abs" / "model.ckpt"), global_step=532)
    assert (tmp_path / "rel" / "checkpoint").read_text() == MANIFEST["checkpoint_file_text"]
    assert (tmp_path / "abs" / "checkpoint").read_text() == \
        MANIFEST["checkpoint_file_text_default_saver_absolute_paths"].replace("<DIR>", str(tmp_path))
    state = tf.train.get_checkpoint_state(str(tmp_path / "rel"))
    assert isinstance(state, tf.train.CheckpointState)
    assert state.model_checkpoint_path == str(tmp_path / "rel" / "model.ckpt-532")


@pytest.mark.usefixtures("g")
def test_reader_missing_tensor_not_found():
    reader = tf.train.NewCheckpointReader(str(GOLDEN_CKPT / MANIFEST["prefix"]))
    with pytest.raises(tf.errors.NotFoundError, match="Key nope not found in checkpoint"):
        reader.get_tensor("nope")


@pytest.mark.usefixtures("g")
def test_init_from_checkpoint_scope_mapping():
    with tf.variable_scope("net"):
        k = tf.get_variable("hiddenlayer_0/kernel", shape=[3, 4])
        b = tf.get_variable("hiddenlayer_0/bias", shape=[4])
    with tf.variable_scope("copy"):
        gs = tf.get_variable("global_step", shape=[], dtype=tf.int64)
    one = tf.get_variable("one", shape=[1])
    ex = tf.get_variable("ex/i8", shape=[4], dtype=tf.int8)
    tf.train.init_from_checkpoint(str(GOLDEN_CKPT), {
        "dnn/": "net/",  # scope to scope
        "/": "copy/",  # checkpoint root into a scope
        "dnn/logits/bias": one,  # one tensor to a Variable object
        "extra/i8": "ex/i8",  # one tensor to a variable name
    })
    byname = {v["name"]: v for v in MANIFEST["variables"]}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run({"k": k, "b": b, "gs": gs, "one": one, "ex": ex})
    np.testing.assert_array_equal(got["k"], _golden_value(byname["dnn/hiddenlayer_0/kernel"]))
    np.testing.assert_array_equal(got["b"], _golden_value(byname["dnn/hiddenlayer_0/bias"]))
    assert got["gs"] == 532 and got["ex"].tolist() == [88, 79, -31, -30]
    np.testing.assert_array_equal(got["one"], _golden_value(byname["dnn/logits/bias"]))


@pytest.mark.usefixtures("g")
def test_init_from_checkpoint_missing_tensor_is_value_error():
    with tf.variable_scope("net"):
        tf.get_variable("not_there", shape=[1])
    with pytest.raises(ValueError, match="is not found in"):
        tf.train.init_from_checkpoint(str(GOLDEN_CKPT), {"dnn/": "net/"})


# ---- damaged checkpoints: DataLossError naming the file, fast, without reading what cannot be an index ------
def _state_file_naming(directory, prefix: str) -> None:
    (directory / "checkpoint").write_text(f'model_checkpoint_path: "{prefix}"\n')


@pytest.mark.skipif(os.name != "posix", reason="devices, FIFOs and pid liveness are POSIX features")
def test_state_file_pointing_the_index_at_a_device_fails_fast(tmp_path):
    os.symlink("/dev/zero", tmp_path / "evil.index")  # an endless file: the old reader read it until memory ran out
    _state_file_naming(tmp_path, "evil")
    with pytest.raises(errors.DataLossError, match=r"evil\.index: it is not a regular file"):
        cu.load_checkpoint(str(tmp_path))
    with pytest.raises(errors.DataLossError, match="not a regular file"):
        cu.list_variables(str(tmp_path))


def test_state_file_pointing_at_a_large_non_index_reads_only_its_footer(tmp_path):
    with open(tmp_path / "big.index", "wb") as f:
        f.truncate(2 << 30)  # sparse 2 GiB
        f.seek((2 << 30) - 8)
        f.write(b"notmagic")
    _state_file_naming(tmp_path, "big")
    with pytest.raises(errors.DataLossError, match=r"Unable to read checkpoint index .*big\.index: not an sstable"):
        cu.load_checkpoint(str(tmp_path))


def test_hand_built_entry_through_load_checkpoint_is_data_loss(tmp_path):
    prefix = str(tmp_path / "model.ckpt-1")
    checkpoint_bundle.write_bundle(prefix, {"w": np.arange(3, dtype=np.float32), "b": np.float32(2)})
    reader = checkpoint_bundle.BundleReader(prefix)
    entries = {k: reader.entry(k) for k in reader.keys()}
    reader.close()
    entries["w"].offset = 1 << 45
    entries["b"].offset = -8
    checkpoint_bundle.write_index(prefix, entries)
    cm.update_checkpoint_state(str(tmp_path), prefix)
    ckpt = cu.load_checkpoint(str(tmp_path))
    assert ckpt.get_variable_to_shape_map() == {"w": [3], "b": []}  # the index itself is intact
    with pytest.raises(errors.DataLossError, match=r"tensor w needs bytes \[35184372088832, 35184372088844\) but "
                                                   r".*model\.ckpt-1\.data-00000-of-00001 holds 16 bytes"):
        ckpt.get_tensor("w")
    with pytest.raises(errors.DataLossError, match="tensor b in checkpoint .*model.ckpt-1 has offset -8"):
        cu.load_variable(str(tmp_path), "b")


def test_restore_op_reports_a_negative_offset_clearly(tmp_path):
    prefix = str(tmp_path / "m")
    checkpoint_bundle.write_bundle(prefix, {"v": np.float32(1)})
    entries = {"v": checkpoint_bundle.BundleReader(prefix).entry("v")}
    entries["v"].offset = -1
    checkpoint_bundle.write_index(prefix, entries)
    g = Graph()
    with g.as_default():
        v = Variable(np.float32(0), name="v")
        saver = tf.train.Saver()
        with Session() as sess, pytest.raises(errors.DataLossError, match="tensor v in checkpoint .*m has offset -1"):
            saver.restore(sess, prefix)  # was UnknownError: 'None; Invalid argument'
        del v
