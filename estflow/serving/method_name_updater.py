"""`tf.saved_model.signature_def_utils.MethodNameUpdater`: change a signature's method name in a SavedModel.

    updater = tf.saved_model.signature_def_utils.MethodNameUpdater("/tmp/model/1")
    updater.replace_method_name("serving_default", "tensorflow/serving/predict", tags="serve")
    updater.save()          # rewrites saved_model.pb (or .pbtxt) in place, atomically; or save(new_dir)
"""

from __future__ import annotations

import os

from google.protobuf import text_format

from estflow.core import file_io
from estflow.serving import constants, loader


class MethodNameUpdater:
    """Edits the method names of a SavedModel's signatures (variables and assets are left as they are)."""

    def __init__(self, export_dir):
        self._export_dir = os.fsdecode(export_dir)
        self._saved_model = loader.parse_saved_model(self._export_dir)

    def replace_method_name(self, signature_key, method_name, tags=None) -> None:
        """Set `method_name` on signature `signature_key` of the MetaGraphDefs tagged `tags` (None: all)."""
        if not signature_key:
            raise ValueError("`signature_key` must be defined.")
        if not method_name:
            raise ValueError("`method_name` must be defined.")
        if tags is not None and not isinstance(tags, list):
            tags = [tags]
        found = False
        for meta_graph_def in self._saved_model.meta_graphs:
            if tags is None or set(tags) == set(meta_graph_def.meta_info_def.tags):
                if signature_key not in meta_graph_def.signature_def:
                    raise ValueError(f"MetaGraphDef associated with tags {tags} does not have a signature_def with "
                                     f"key: '{signature_key}'. This means either you specified the wrong signature "
                                     f"key or forgot to put the signature_def with the corresponding key in your "
                                     f"SavedModel.")
                meta_graph_def.signature_def[signature_key].method_name = method_name
                found = True
        if not found:
            raise ValueError(f"MetaGraphDef associated with tags {tags} could not be found in SavedModel. This means "
                             f"either you specified invalid tags or your SavedModel does not have a MetaGraphDef with "
                             f"the specified tags.")

    def save(self, new_export_dir=None) -> None:
        """Write the edited saved_model.pb (.pbtxt when the input was text) to `new_export_dir` or in place."""
        as_text = os.path.exists(os.path.join(self._export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)) and \
            not os.path.exists(os.path.join(self._export_dir, constants.SAVED_MODEL_FILENAME_PB))
        target = os.fsdecode(new_export_dir) if new_export_dir else self._export_dir
        os.makedirs(target, exist_ok=True)
        if as_text:
            file_io.atomic_write(os.path.join(target, constants.SAVED_MODEL_FILENAME_PBTXT),
                                 text_format.MessageToString(self._saved_model))
        else:
            file_io.atomic_write(os.path.join(target, constants.SAVED_MODEL_FILENAME_PB),
                                 self._saved_model.SerializeToString(deterministic=True))
