"""`tf.saved_model.builder.SavedModelBuilder`: write a SavedModel, TensorFlow's format on disk.

    builder = tf.saved_model.builder.SavedModelBuilder("/tmp/model/1")
    builder.add_meta_graph_and_variables(
        sess, [tf.saved_model.tag_constants.SERVING],
        signature_def_map={"serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y})})
    builder.save()

    /tmp/model/1/saved_model.pb                 (or saved_model.pbtxt with save(as_text=True))
    /tmp/model/1/variables/variables.index      the variables, a V2 checkpoint
    /tmp/model/1/variables/variables.data-00000-of-00001
    /tmp/model/1/assets/                        vocabulary files and other assets

Everything is written to a temporary folder beside `export_dir` and renamed into place by
`save()`, so a crash leaves no half model at `export_dir` (TF1 writes in place; the
temporary is named `<export_dir>.tmp<host>-<pid>-<random>`). `export_dir` must not exist
or be empty. A graph that holds Python objects (a py_func, a tf.data pipeline fed by a
Python generator) has no GraphDef form and is refused with the op's name.
"""

from __future__ import annotations

import logging
import os
import shutil

from google.protobuf import any_pb2, text_format

from estflow.core import dtypes, file_io, graph_io
from estflow.core.graph import Operation, Tensor, get_default_graph
from estflow.core.protos import meta_graph_pb2, saved_model_pb2, saver_pb2, types_pb2
from estflow.serving import constants
from estflow.training.saver import Saver, _all_saveable_objects

_logger = logging.getLogger("estflow")


def _validate_tensor_info(tensor_info) -> None:
    if tensor_info is None:
        raise AssertionError("All TensorInfo protos used in the SignatureDefs must have the name and dtype "
                             "fields set.")
    if tensor_info.WhichOneof("encoding") is None:
        raise AssertionError(f"All TensorInfo protos used in the SignatureDefs must have one of the 'encoding' "
                             f"fields (e.g., name or coo_sparse) set: {tensor_info}")
    if tensor_info.dtype == types_pb2.DT_INVALID:
        raise AssertionError(f"All TensorInfo protos used in the SignatureDefs must have the dtype field set: "
                             f"{tensor_info}")


def _validate_signature_def_map(signature_def_map) -> None:
    for key, signature_def in signature_def_map.items():
        if not isinstance(signature_def, meta_graph_pb2.SignatureDef):
            raise TypeError(f"signature_def_map[{key!r}] must be a SignatureDef, got {type(signature_def).__name__}.")
        for info in signature_def.inputs.values():
            _validate_tensor_info(info)
        for info in signature_def.outputs.values():
            _validate_tensor_info(info)
    for reserved in (constants.INIT_OP_SIGNATURE_KEY, constants.TRAIN_OP_SIGNATURE_KEY):
        if reserved in signature_def_map:
            raise KeyError(f'SignatureDef map key "{reserved}" is reserved for initialization. Please use a '
                           f"different key.")


def _asset_path_from_tensor(path_tensor) -> bytes:
    if not isinstance(path_tensor, Tensor):
        raise TypeError("Asset path tensor must be a Tensor.")
    if path_tensor.op.type != "Const":
        raise TypeError("Asset path tensor must be of type constant.")
    if path_tensor.dtype != dtypes.string:
        raise TypeError("Asset path tensor must be of dtype string.")
    value = path_tensor.op.get_attr("value")
    values = getattr(value, "string_val", None)
    if values is None:  # estflow keeps Const values as arrays
        values = list(getattr(value, "flat", [value]))
    if len(values) != 1:
        raise TypeError("Asset path tensor must be a scalar.")
    path = values[0]
    return path if isinstance(path, bytes) else str(path).encode("utf-8")


def _asset_filename_to_add(source: str, taken: dict) -> str:
    """The asset's basename, made unique (`vocab_1.txt`) when another file of that name was added."""
    name = os.path.basename(source)
    if name not in taken or taken[name] == source:
        return name
    stem, ext = os.path.splitext(name)
    n = 1
    while f"{stem}_{n}{ext}" in taken and taken[f"{stem}_{n}{ext}"] != source:
        n += 1
    return f"{stem}_{n}{ext}"


class SavedModelBuilder:
    """Builds a SavedModel: one set of variables, one or more MetaGraphDefs told apart by tags."""

    def __init__(self, export_dir):
        self._export_dir = os.fsdecode(export_dir)
        if os.path.exists(self._export_dir) and (not os.path.isdir(self._export_dir)
                                                 or os.listdir(self._export_dir)):
            raise AssertionError(f"Export directory already exists, and isn't empty. Please choose a different "
                                 f"export directory, or delete all the contents of the specified directory: "
                                 f"{self._export_dir}")
        self._saved_model = saved_model_pb2.SavedModel(
            saved_model_schema_version=constants.SAVED_MODEL_SCHEMA_VERSION)
        self._has_saved_variables = False
        self._saved_asset_files: dict[str, str] = {}  # filename in assets/ -> its source path
        self._staging: str | None = None

    # ---- the temporary folder ---------------------------------------------------------------------------
    def _stage(self) -> str:
        """The temporary folder the model is written into (created on first use)."""
        if self._staging is None:
            parent = os.path.dirname(os.path.abspath(self._export_dir))
            os.makedirs(parent, exist_ok=True)
            self._staging = file_io.temporary_path(os.path.abspath(self._export_dir))
            os.makedirs(self._staging)
        return self._staging

    def _discard(self) -> None:
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None

    # ---- assets -------------------------------------------------------------------------------------------
    def _save_and_write_assets(self, assets_collection) -> None:
        if not assets_collection:
            _logger.info("No assets to save.")
            return
        graph = get_default_graph()
        existing = {(a.tensor_info.name) for a in _asset_protos(graph)}
        for tensor in assets_collection:
            source = _asset_path_from_tensor(tensor).decode("utf-8")
            if not source:
                raise ValueError(f"Invalid asset filepath tensor {tensor}")
            filename = _asset_filename_to_add(source, self._saved_asset_files)
            if tensor.name not in existing:
                proto = meta_graph_pb2.AssetFileDef(filename=filename)
                proto.tensor_info.name = tensor.name
                packed = any_pb2.Any()
                packed.Pack(proto)
                graph.add_to_collection(constants.ASSETS_KEY, packed)
                existing.add(tensor.name)
            if filename not in self._saved_asset_files:
                target_dir = os.path.join(self._stage(), constants.ASSETS_DIRECTORY)
                os.makedirs(target_dir, exist_ok=True)
                try:
                    shutil.copyfile(source, os.path.join(target_dir, filename))
                except OSError as e:
                    raise ValueError(f"Asset file {source} (tensor {tensor.name}) can't be copied into the "
                                     f"SavedModel: {e}") from None
                self._saved_asset_files[filename] = source
        _logger.info("Assets written to: %s", os.path.join(self._export_dir, constants.ASSETS_DIRECTORY))

    # ---- collections ------------------------------------------------------------------------------------
    def _maybe_add_main_op(self, main_op) -> None:
        if main_op is None:
            return
        if not isinstance(main_op, Operation):
            raise TypeError(f"Expected {main_op} to be an Operation but got type {type(main_op)} instead.")
        graph = get_default_graph()
        for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
            if graph.get_collection(key):
                raise ValueError(f"Graph already contains one or more main ops under the collection {key}.")
        graph.add_to_collection(constants.MAIN_OP_KEY, main_op)

    @staticmethod
    def _maybe_create_saver(saver):
        if saver:
            return saver
        return Saver(_all_saveable_objects(), sharded=True, write_version=saver_pb2.SaverDef.V2, allow_empty=True)

    def _export_meta_graph(self, saver, clear_devices, strip_default_attrs):
        try:
            return saver.export_meta_graph(clear_devices=clear_devices, strip_default_attrs=strip_default_attrs)
        except graph_io.UnexportableGraphError as e:
            raise graph_io.UnexportableGraphError(
                f"This graph can't be exported as a SavedModel: {e} A SavedModel holds only the graph's ops "
                f"(no Python functions such as a py_func or a Python input pipeline), so TensorFlow Serving and "
                f"loaders can run it without your code; build the serving graph from ops only.") from None

    def _tag_and_add_meta_graph(self, meta_graph_def, tags, signature_def_map) -> None:
        if isinstance(tags, str):
            raise TypeError(f"tags must be a list of strings, got the string {tags!r}; pass [{tags!r}].")
        meta_graph_def.meta_info_def.tags.extend(tags)
        for key, signature_def in (signature_def_map or {}).items():
            meta_graph_def.signature_def[key].CopyFrom(signature_def)
        self._saved_model.meta_graphs.add().CopyFrom(meta_graph_def)

    # ---- the public API ---------------------------------------------------------------------------------
    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None, legacy_init_op=None,
                       clear_devices=False, main_op=None, strip_default_attrs=False, saver=None):
        """Add another MetaGraphDef (of the default graph) sharing the variables already saved."""
        if not self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has not been saved yet. Please "
                                 "invoke `add_meta_graph_and_variables()` first.")
        signature_def_map = signature_def_map or {}
        _validate_signature_def_map(signature_def_map)
        self._save_and_write_assets(assets_collection)
        self._maybe_add_main_op(main_op if main_op is not None else legacy_init_op)
        saver = self._maybe_create_saver(saver)
        meta_graph_def = self._export_meta_graph(saver, clear_devices, strip_default_attrs)
        self._tag_and_add_meta_graph(meta_graph_def, tags, signature_def_map)

    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None, assets_collection=None,
                                     legacy_init_op=None, clear_devices=False, main_op=None,
                                     strip_default_attrs=False, saver=None):
        """Save the session's variables and the first MetaGraphDef, tagged `tags` (e.g. ["serve"]).

        `assets_collection`: string Const tensors naming files to copy into assets/ (a
        vocabulary file); on load each tensor is fed the copied file's path while the
        `main_op` (e.g. `tf.saved_model.main_op.main_op()`, initializing tables) runs.
        """
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already been saved. Please "
                                 "invoke `add_meta_graph()` instead.")
        signature_def_map = signature_def_map or {}
        _validate_signature_def_map(signature_def_map)
        with sess.graph.as_default():
            self._save_and_write_assets(assets_collection)
            self._maybe_add_main_op(main_op if main_op is not None else legacy_init_op)
            saver = self._maybe_create_saver(saver)
            # Export first: a graph with no GraphDef form fails before any file is written.
            meta_graph_def = self._export_meta_graph(saver, clear_devices, strip_default_attrs)
            variables_dir = os.path.join(self._stage(), constants.VARIABLES_DIRECTORY)
            os.makedirs(variables_dir, exist_ok=True)
            saver.save(sess, os.path.join(variables_dir, constants.VARIABLES_FILENAME), write_meta_graph=False,
                       write_state=False)
        self._tag_and_add_meta_graph(meta_graph_def, tags, signature_def_map)
        self._has_saved_variables = True

    def save(self, as_text=False) -> str:
        """Write saved_model.pb (or .pbtxt), then move the whole model into `export_dir`; returns the file's path."""
        stage = self._stage()
        if as_text:
            name = constants.SAVED_MODEL_FILENAME_PBTXT
            data = text_format.MessageToString(self._saved_model).encode("utf-8")
        else:
            name = constants.SAVED_MODEL_FILENAME_PB
            data = self._saved_model.SerializeToString(deterministic=True)
        with open(os.path.join(stage, name), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if os.path.isdir(self._export_dir) and os.listdir(self._export_dir):
            raise AssertionError(f"Export directory {self._export_dir} was filled by someone else while this "
                                 f"SavedModel was written; it is left in {stage}.")
        os.replace(stage, self._export_dir)  # an empty export_dir is replaced; a crash before leaves none
        self._staging = None
        path = os.path.join(self._export_dir, name)
        _logger.info("SavedModel written to: %s", path)
        return path

    def __del__(self):  # an abandoned builder leaves no temporary folder behind
        try:
            self._discard()
        except Exception:  # noqa: BLE001 - interpreter shutdown: nothing left to clean with
            pass


def _asset_protos(graph) -> list:
    protos = []
    for item in graph.get_collection(constants.ASSETS_KEY):
        proto = meta_graph_pb2.AssetFileDef()
        if isinstance(item, any_pb2.Any) and item.Unpack(proto):
            protos.append(proto)
    return protos


Builder = SavedModelBuilder
