"""`tf.saved_model.simple_save`: a SavedModel for serving in one call (one `serving_default` predict signature)."""

from __future__ import annotations

from estflow.core.graph import GraphKeys
from estflow.serving import signature_constants, signature_def_utils, tag_constants
from estflow.serving.builder import SavedModelBuilder


def simple_save(session, export_dir, inputs, outputs, legacy_init_op=None) -> None:
    """Save `session`'s graph and variables to `export_dir`, tagged "serve", with a predict signature
    of `inputs` and `outputs` (dicts of name -> Tensor) as `serving_default`.

        tf.saved_model.simple_save(sess, "/tmp/model/1", inputs={"x": x}, outputs={"y": y})
    """
    signature_def_map = {signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                         signature_def_utils.predict_signature_def(inputs, outputs)}
    builder = SavedModelBuilder(export_dir)
    builder.add_meta_graph_and_variables(
        session, tags=[tag_constants.SERVING], signature_def_map=signature_def_map,
        assets_collection=session.graph.get_collection(GraphKeys.ASSET_FILEPATHS), main_op=legacy_init_op,
        clear_devices=True)
    builder.save()
