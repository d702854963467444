"""SavedModelBuilder and loader: TF's layout, round trips, assets, and the failures TF1 reports."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import estflow as tf
from estflow.core.protos import saved_model_pb2
from estflow.serving import builder as builder_lib
from estflow.serving import constants, loader
from tests import REPO


def _linear_model():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    w = tf.get_variable("w", initializer=tf.constant([[1.0], [2.0]]))
    b = tf.get_variable("b", initializer=tf.constant([0.5]))
    y = tf.add(tf.matmul(x, w), b, name="y")
    return x, y


def _export(export_dir, as_text=False, **kwargs):
    with tf.Graph().as_default():
        x, y = _linear_model()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            b = tf.saved_model.builder.SavedModelBuilder(export_dir)
            sig = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
            b.add_meta_graph_and_variables(sess, [tf.saved_model.tag_constants.SERVING],
                                           signature_def_map={"serving_default": sig}, **kwargs)
            return b.save(as_text=as_text)


def _predict(export_dir, value, tags=("serve",)):
    with tf.Graph().as_default(), tf.Session() as sess:
        meta_graph_def = tf.saved_model.loader.load(sess, list(tags), export_dir)
        sig = meta_graph_def.signature_def["serving_default"]
        return sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: value})


def test_layout_and_round_trip(tmp_path):
    export_dir = tmp_path / "model" / "1"
    path = _export(export_dir)
    assert path == os.path.join(str(export_dir), "saved_model.pb")
    assert sorted(os.listdir(export_dir)) == ["saved_model.pb", "variables"]
    assert sorted(os.listdir(export_dir / "variables")) == ["variables.data-00000-of-00001", "variables.index"]
    assert os.listdir(tmp_path / "model") == ["1"]  # no temporary folder left beside it
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((export_dir / "saved_model.pb").read_bytes())
    assert proto.saved_model_schema_version == 1 and len(proto.meta_graphs) == 1
    meta = proto.meta_graphs[0]
    assert list(meta.meta_info_def.tags) == ["serve"]
    assert meta.saver_def.sharded and meta.saver_def.version == 2
    assert {op.name for op in meta.meta_info_def.stripped_op_list.op} >= {"MatMul", "VariableV2", "SaveV2"}
    np.testing.assert_allclose(_predict(str(export_dir), [[1.0, 1.0], [2.0, 0.0]]), [[3.5], [2.5]])
    assert tf.saved_model.maybe_saved_model_directory(str(export_dir))
    assert tf.saved_model.contains_saved_model(str(export_dir))
    assert not tf.saved_model.maybe_saved_model_directory(str(tmp_path))


def test_text_format(tmp_path):
    path = _export(tmp_path / "m", as_text=True)
    assert path.endswith("saved_model.pbtxt") and "meta_graphs" in open(path).read()
    np.testing.assert_allclose(_predict(str(tmp_path / "m"), [[1.0, 0.0]]), [[1.5]])


def test_export_dir_must_be_new_or_empty(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "f").write_text("x")
    with pytest.raises(AssertionError, match="Export directory already exists, and isn't empty"):
        tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "full"))
    (tmp_path / "empty").mkdir()
    _export(tmp_path / "empty")
    assert "saved_model.pb" in os.listdir(tmp_path / "empty")


def test_builder_order_and_signature_checks(tmp_path, g):
    x, y = _linear_model()
    b = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "m"))
    with pytest.raises(AssertionError, match="has not been saved yet"):
        b.add_meta_graph(["serve"])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        bad = tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})
        bad.outputs["y"].dtype = 0
        with pytest.raises(AssertionError, match="must have the dtype field set"):
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"s": bad})
        bad.outputs["y"].ClearField("name")
        with pytest.raises(AssertionError, match="one of the 'encoding' fields"):
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"s": bad})
        with pytest.raises(KeyError, match="reserved"):
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={
                "__saved_model_init_op": tf.saved_model.signature_def_utils.build_signature_def()})
        with pytest.raises(TypeError, match="Expected .* to be an Operation"):
            b.add_meta_graph_and_variables(sess, ["serve"], main_op=y)
        b.add_meta_graph_and_variables(sess, ["serve"])
        with pytest.raises(AssertionError, match="has already been saved"):
            b.add_meta_graph_and_variables(sess, ["serve"])
        b.add_meta_graph(["train"], signature_def_map={
            "serving_default": tf.saved_model.signature_def_utils.predict_signature_def({"x": x}, {"y": y})})
    b.save()
    np.testing.assert_allclose(_predict(str(tmp_path / "m"), [[1.0, 1.0]], tags=["train"]), [[3.5]])
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(RuntimeError, match=r"MetaGraphDef associated with tags 'gpu' could not be found"):
            tf.saved_model.loader.load(sess, ["gpu"], str(tmp_path / "m"))


def test_main_op_and_assets_are_fed_from_the_saved_model(tmp_path):
    vocab = tmp_path / "src" / "vocab.txt"
    vocab.parent.mkdir()
    vocab.write_text("red\ngreen\nblue\n")
    export_dir = tmp_path / "m"
    with tf.Graph().as_default() as graph:
        words = tf.placeholder(tf.string, [None], name="words")
        table = tf.contrib.lookup.index_table_from_file(str(vocab), num_oov_buckets=1)
        ids = table.lookup(words)
        counter = tf.get_variable("counter", initializer=tf.constant(0), collections=[tf.GraphKeys.LOCAL_VARIABLES])
        with tf.Session() as sess:
            sess.run([tf.global_variables_initializer(), tf.tables_initializer()])
            sig = tf.saved_model.signature_def_utils.predict_signature_def({"words": words}, {"ids": ids})
            b = tf.saved_model.builder.SavedModelBuilder(str(export_dir))
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"serving_default": sig},
                                           assets_collection=graph.get_collection(tf.GraphKeys.ASSET_FILEPATHS),
                                           main_op=tf.saved_model.main_op.main_op())
            b.save()
    del counter
    assert (export_dir / "assets" / "vocab.txt").read_text() == "red\ngreen\nblue\n"
    vocab.unlink()  # the loaded model reads its own copy in assets/
    with tf.Graph().as_default(), tf.Session() as sess:
        meta = tf.saved_model.loader.load(sess, ["serve"], str(export_dir))
        assert constants.ASSETS_KEY in meta.collection_def and constants.MAIN_OP_KEY in meta.collection_def
        sig = meta.signature_def["serving_default"]
        out = sess.run(sig.outputs["ids"].name, {sig.inputs["words"].name: [b"blue", b"red", b"pink"]})
        np.testing.assert_array_equal(out, [2, 0, 3])


def test_graph_with_python_objects_is_refused_before_any_file(tmp_path, g):
    dataset = tf.data.Dataset.from_generator(lambda: iter([1.0, 2.0]), tf.float32, tf.TensorShape([]))
    value = dataset.make_one_shot_iterator().get_next()
    v = tf.get_variable("v", initializer=tf.constant(1.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        b = tf.saved_model.builder.SavedModelBuilder(str(tmp_path / "m"))
        sig = tf.saved_model.signature_def_utils.predict_signature_def({"v": v.value()}, {"y": value * v})
        with pytest.raises(ValueError, match="can't be exported as a SavedModel.*Python functions"):
            b.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={"s": sig})
    del b
    assert os.listdir(tmp_path) == []


_CRASH = textwrap.dedent("""
    import os, sys
    import estflow as tf
    from estflow.serving import builder as builder_lib
    real_save = builder_lib.SavedModelBuilder.save
    def crash(self, as_text=False):
        open(os.path.join(self._stage(), "saved_model.pb"), "wb").write(b"partial")
        os._exit(3)   # killed mid-save: no exception handler, no cleanup
    builder_lib.SavedModelBuilder.save = crash
    x = tf.placeholder(tf.float32, [None, 1], name="x")
    v = tf.get_variable("v", initializer=tf.constant([[2.0]]))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        tf.saved_model.simple_save(sess, sys.argv[1], {"x": x}, {"y": tf.matmul(x, v)})
""")


def test_a_crash_during_export_leaves_no_model(tmp_path):
    target = tmp_path / "export" / "1"
    proc = subprocess.run([sys.executable, "-c", _CRASH, str(target)], cwd=REPO, capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 3, proc.stderr.decode()[-2000:]
    assert not target.exists()
    leftovers = os.listdir(tmp_path / "export")
    assert len(leftovers) == 1 and leftovers[0].startswith("1.tmp")  # only the hidden-by-name temporary
    assert not loader.maybe_saved_model_directory(str(target))


def test_garbage_and_missing_files(tmp_path):
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(OSError, match="SavedModel file does not exist at"):
            tf.saved_model.loader.load(sess, ["serve"], str(tmp_path))
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xfe garbage \x07\x00" * 10)
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError, match="Cannot parse file"):
            tf.saved_model.loader.load(sess, ["serve"], str(tmp_path))
    (tmp_path / "saved_model.pb").write_bytes(b"")
    with pytest.raises(tf.errors.DataLossError, match="holds no MetaGraphDef"):
        loader.parse_saved_model(str(tmp_path))
    (tmp_path / "saved_model.pb").unlink()
    (tmp_path / "saved_model.pbtxt").write_text("meta_graphs { this is not text format")
    with pytest.raises(tf.errors.DataLossError, match="Cannot parse file"):
        loader.parse_saved_model(str(tmp_path))


def test_unknown_op_is_not_found_and_nothing_is_imported(tmp_path):
    export_dir = tmp_path / "m"
    _export(export_dir)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((export_dir / "saved_model.pb").read_bytes())
    node = proto.meta_graphs[0].graph_def.node.add()
    node.name, node.op = "evil", "ExecuteShellCommand"
    (export_dir / "saved_model.pb").write_bytes(proto.SerializeToString())
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        with pytest.raises(tf.errors.NotFoundError, match="Op type not registered 'ExecuteShellCommand'.*'evil'"):
            tf.saved_model.loader.load(sess, ["serve"], str(export_dir))
        assert graph.get_operations() == []


def test_damaged_variables_raise_data_loss(tmp_path):
    export_dir = tmp_path / "m"
    _export(export_dir)
    data = export_dir / "variables" / "variables.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:3])
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError):
            tf.saved_model.loader.load(sess, ["serve"], str(export_dir))
    index = export_dir / "variables" / "variables.index"
    index.write_bytes(b"not a table" * 3)
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError):
            tf.saved_model.loader.load(sess, ["serve"], str(export_dir))
    index.unlink()
    with tf.Graph().as_default(), tf.Session() as sess:
        with pytest.raises(tf.errors.DataLossError, match="no readable variables"):
            tf.saved_model.loader.load(sess, ["serve"], str(export_dir))


def test_asset_names_stay_inside_the_model(tmp_path):
    export_dir = tmp_path / "m"
    _export(export_dir)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((export_dir / "saved_model.pb").read_bytes())
    asset = proto.meta_graphs[0].asset_file_def.add()
    asset.filename = "../../etc/passwd"
    asset.tensor_info.name = "x:0"
    with pytest.raises(tf.errors.InvalidArgumentError, match="must name a file inside"):
        loader.get_asset_tensors(str(export_dir), proto.meta_graphs[0])


def test_loader_steps_and_import_scope(tmp_path):
    _export(tmp_path / "m")
    with tf.Graph().as_default() as graph, tf.Session() as sess:
        sm_loader = loader.SavedModelLoader(str(tmp_path / "m"))
        saver, _ = sm_loader.load_graph(graph, ["serve"], import_scope="imported")
        sm_loader.restore_variables(sess, saver, import_scope="imported")
        sm_loader.run_init_ops(sess, ["serve"], import_scope="imported")
        y = graph.get_tensor_by_name("imported/y:0")
        np.testing.assert_allclose(sess.run(y, {"imported/x:0": [[0.0, 1.0]]}), [[2.5]])


def test_main_op_with_restore(g):
    v = tf.get_variable("v", initializer=tf.constant(1.0))
    saver = tf.train.Saver()
    op = tf.saved_model.main_op_with_restore(saver.saver_def.restore_op_name)
    assert op.type == "NoOp" and {c.name for c in op.control_inputs} == {"group_deps", "save/restore_all"}
    assert builder_lib.Builder is builder_lib.SavedModelBuilder
    del v
