"""`tf.saved_model.loader.load`: rebuild a SavedModel's graph in a session and restore its variables.

    with tf.Session(graph=tf.Graph()) as sess:
        meta_graph_def = tf.saved_model.loader.load(sess, ["serve"], "/tmp/model/1")
        sig = meta_graph_def.signature_def["serving_default"]
        y = sess.run(sig.outputs["y"].name, {sig.inputs["x"].name: [[1.0, 2.0]]})

Loading reads protobuf and tensor bytes only and never runs code from the files: the graph
is rebuilt from estflow's own op registry. A graph naming an op type estflow doesn't know
raises NotFoundError naming it (before anything is added to the graph); a saved_model.pb
that doesn't parse raises DataLossError (TF1: IOError), as does a damaged variables file.
SavedModels written by TensorFlow 1 (and TF 2's `tf.compat.v1` builder and Estimator
export) load the same way; their assets (vocabulary files) are fed to the init op from
this SavedModel's assets/ folder.
"""

from __future__ import annotations

import logging
import os

from google.protobuf import text_format
from google.protobuf.message import DecodeError

from estflow.core import errors, registry
from estflow.core.graph import get_default_graph
from estflow.core.protos import meta_graph_pb2, saved_model_pb2
from estflow.serving import constants
from estflow.training.saver import Saver, _all_saveable_objects, _import_meta_graph_with_return_elements

_logger = logging.getLogger("estflow")


def _data_loss(path, what) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"Cannot parse file {path}: {what}. The SavedModel is damaged or "
                                            f"is not a SavedModel.")


def parse_saved_model(export_dir) -> saved_model_pb2.SavedModel:
    """The SavedModel proto of `export_dir` (saved_model.pb, else saved_model.pbtxt).

    OSError when neither file exists; DataLossError when the file doesn't parse or holds no MetaGraphDef.
    """
    export_dir = os.fsdecode(export_dir)
    path_pb = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)
    path_pbtxt = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
    saved_model = saved_model_pb2.SavedModel()
    if os.path.isfile(path_pb):
        path = path_pb
        with open(path_pb, "rb") as f:
            data = f.read()
        try:
            saved_model.ParseFromString(data)
        except (DecodeError, RuntimeError, ValueError) as e:
            raise _data_loss(path_pb, e) from None
    elif os.path.isfile(path_pbtxt):
        path = path_pbtxt
        with open(path_pbtxt, "rb") as f:
            data = f.read()
        try:
            text_format.Merge(data.decode("utf-8"), saved_model)
        except (UnicodeDecodeError, text_format.ParseError) as e:
            raise _data_loss(path_pbtxt, e) from None
    else:
        raise OSError(f"SavedModel file does not exist at: {export_dir}{os.path.sep}"
                      f"{{{constants.SAVED_MODEL_FILENAME_PBTXT}|{constants.SAVED_MODEL_FILENAME_PB}}}")
    if not saved_model.meta_graphs:
        raise _data_loss(path, "it holds no MetaGraphDef")
    return saved_model


def maybe_saved_model_directory(export_dir) -> bool:
    """Whether `export_dir` holds a saved_model.pb or saved_model.pbtxt."""
    export_dir = os.fsdecode(export_dir)
    return (os.path.isfile(os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT))
            or os.path.isfile(os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)))


contains_saved_model = maybe_saved_model_directory


def get_variables_path(export_dir) -> str:
    return os.path.join(os.fsdecode(export_dir), constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME)


def check_ops_registered(meta_graph_def, where: str = "") -> None:
    """NotFoundError naming the first op type of the graph (or its functions) that estflow doesn't know."""
    graph_def = meta_graph_def.graph_def
    functions = {f.signature.name for f in graph_def.library.function}
    nodes = [(n.op, n.name) for n in graph_def.node]
    for f in graph_def.library.function:
        nodes.extend((n.op, f"{f.signature.name}/{n.name}") for n in f.node_def)
    for op_type, name in nodes:
        if op_type in functions:
            continue
        try:
            registry.get_op_def(op_type)
        except (KeyError, ValueError):
            raise errors.NotFoundError(
                None, None, f"Op type not registered '{op_type}' in binary running on estflow. Make sure the Op "
                            f"and Kernel are registered in the binary running in this process. (node '{name}'"
                            f"{where})") from None


def get_asset_tensors(export_dir, meta_graph_def_to_load, import_scope=None) -> dict:
    """{asset tensor name: path of its file in this SavedModel's assets/} (what the init op is fed)."""
    asset_protos = list(meta_graph_def_to_load.asset_file_def)
    collection_def = meta_graph_def_to_load.collection_def
    if not asset_protos and constants.ASSETS_KEY in collection_def:
        for packed in collection_def[constants.ASSETS_KEY].any_list.value:
            proto = meta_graph_pb2.AssetFileDef()
            if not packed.Unpack(proto):
                raise errors.DataLossError(None, None, f"Collection {constants.ASSETS_KEY} holds a "
                                                       f"{packed.type_url}, not an AssetFileDef.")
            asset_protos.append(proto)
    assets_dir = os.path.join(os.fsdecode(export_dir), constants.ASSETS_DIRECTORY)
    out = {}
    for proto in asset_protos:
        name = proto.tensor_info.name
        if import_scope:
            name = f"{import_scope}/{name}"
        filename = proto.filename
        if os.path.isabs(filename) or os.path.normpath(filename).startswith(os.pardir):
            raise errors.InvalidArgumentError(None, None, f"Asset filename {filename!r} must name a file inside "
                                                          f"{assets_dir}.")
        out[name] = os.path.join(assets_dir, filename)
    return out


def _op_from_collection(meta_graph_def, key):
    collection_def = meta_graph_def.collection_def
    if key not in collection_def:
        return None
    names = collection_def[key].node_list.value
    if len(names) != 1:
        raise RuntimeError(f"Expected exactly one SavedModel init op. Found: {list(names)}")
    return get_default_graph().get_collection(key)[0]


def get_init_op(meta_graph_def, import_scope=None):
    """The op to run after restoring (v2's `__saved_model_init_op` signature, else main_op, else legacy_init_op)."""
    collection_def = meta_graph_def.collection_def
    if constants.MAIN_OP_KEY in collection_def and constants.LEGACY_INIT_OP_KEY in collection_def:
        raise RuntimeError("The saved model cannot have both main_op and legacy_init_op")
    sig = meta_graph_def.signature_def.get(constants.INIT_OP_SIGNATURE_KEY)
    if sig is not None and constants.INIT_OP_SIGNATURE_KEY in sig.outputs:
        name = sig.outputs[constants.INIT_OP_SIGNATURE_KEY].name
        if import_scope:
            name = f"{import_scope}/{name}"
        return get_default_graph().as_graph_element(name)
    return (_op_from_collection(meta_graph_def, constants.MAIN_OP_KEY)
            or _op_from_collection(meta_graph_def, constants.LEGACY_INIT_OP_KEY))


class SavedModelLoader:
    """Loads a SavedModel step by step (`load_graph`, `restore_variables`, `run_init_ops`) or at once (`load`)."""

    def __init__(self, export_dir):
        self._export_dir = os.fsdecode(export_dir)
        self._variables_path = get_variables_path(self._export_dir)
        self._saved_model = parse_saved_model(self._export_dir)

    export_dir = property(lambda self: self._export_dir)
    variables_path = property(lambda self: self._variables_path)
    saved_model = property(lambda self: self._saved_model)

    def get_meta_graph_def_from_tags(self, tags):
        """The MetaGraphDef whose tag set equals `tags`; RuntimeError listing the available ones otherwise."""
        if isinstance(tags, str):
            tags = [tags]
        available = []
        for meta_graph_def in self._saved_model.meta_graphs:
            available.append(set(meta_graph_def.meta_info_def.tags))
            if set(meta_graph_def.meta_info_def.tags) == set(tags or ()):
                return meta_graph_def
        raise RuntimeError(f"MetaGraphDef associated with tags {str(list(tags or ())).strip('[]')} could not be "
                           f"found in SavedModel, with available tags '{available}'. To inspect available "
                           f"tag-sets in the SavedModel, please use the SavedModel CLI: `saved_model_cli`.")

    def load_graph(self, graph, tags, import_scope=None, **saver_kwargs):
        """Import the tagged MetaGraphDef into `graph`; (Saver or None, return elements)."""
        meta_graph_def = self.get_meta_graph_def_from_tags(tags)
        check_ops_registered(meta_graph_def, f" of the SavedModel at {self._export_dir}")
        with graph.as_default():
            return _import_meta_graph_with_return_elements(meta_graph_def, import_scope=import_scope,
                                                           **saver_kwargs)

    def restore_variables(self, sess, saver, import_scope=None) -> None:
        with sess.graph.as_default():
            if saver is None and not _all_saveable_objects(scope=import_scope):
                _logger.info("The specified SavedModel has no variables; no checkpoints were restored.")
            elif isinstance(saver, Saver):
                try:
                    saver.restore(sess, self._variables_path)
                except ValueError as e:  # no variables.index: the folder is incomplete
                    raise errors.DataLossError(None, None, f"The SavedModel at {self._export_dir} has no readable "
                                                           f"variables: {e}") from None
            else:
                raise ValueError("No tf.train.Saver object was passed to the function "
                                 "`SavedModelLoader.restore_variables`. Since there are variables in the graph, a "
                                 "saver is required.")

    def run_init_ops(self, sess, tags, import_scope=None) -> None:
        meta_graph_def = self.get_meta_graph_def_from_tags(tags)
        with sess.graph.as_default():
            assets = get_asset_tensors(self._export_dir, meta_graph_def, import_scope=import_scope)
            init_op = get_init_op(meta_graph_def, import_scope)
            if init_op is not None:
                sess.run(fetches=[init_op], feed_dict=assets)

    def load(self, sess, tags, import_scope=None, **saver_kwargs):
        """Import, restore and initialize; returns the loaded MetaGraphDef."""
        with sess.graph.as_default():
            saver, _ = self.load_graph(sess.graph, tags, import_scope, **saver_kwargs)
            self.restore_variables(sess, saver, import_scope)
            self.run_init_ops(sess, tags, import_scope)
        return self.get_meta_graph_def_from_tags(tags)


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Load the MetaGraphDef tagged `tags` from `export_dir` into `sess`; returns it (`tf.saved_model.loader.load`)."""
    return SavedModelLoader(export_dir).load(sess, tags, import_scope, **saver_kwargs)
