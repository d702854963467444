"""Estimator export: serving input receivers and `Estimator.export_saved_model`.

    feature_spec = tf.feature_column.make_parse_example_spec(columns)
    serving_input_fn = tf.estimator.export.build_parsing_serving_input_receiver_fn(feature_spec)
    path = estimator.export_saved_model("/tmp/export", serving_input_fn)   # b"/tmp/export/1795336249"

The export rebuilds the model in PREDICT mode on the receiver's features, restores the
latest (or given) checkpoint, and writes a SavedModel tagged "serve" to
`<export_dir_base>/<unix timestamp>/` through a temporary folder renamed into place (a
crash leaves no version folder). Signatures are named as TF1 names them: one per entry
of the model_fn's `export_outputs` (a single one is also `serving_default`), or a
`serving_default` predict signature of `predictions` when there are none. Each
receiver alternative adds `<receiver name>:<output key>` signatures; signatures that
don't fit the receiver (a classification signature needs one string input) are left out
with a log line, as in TF1.

Unlike TF1, a model whose `serving_default` signature doesn't fit the receiver (a canned
classifier exported with a raw receiver: TF1 then writes no `serving_default` at all,
and TF Serving's default requests fail) gets the `predict` signature, or a predict
signature of its predictions, as `serving_default`; a warning says so.

Like TF1, `export_saved_model` returns the export folder as bytes.
"""

from __future__ import annotations

import collections
import logging
import os
import shutil
import time

from estflow.core import errors
from estflow.core.graph import GraphKeys, Tensor
from estflow.core.ops.constant_op import placeholder
from estflow.core.session import Session
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape
from estflow.estimators import export_output as export_output_lib
from estflow.estimators.mode_keys import ModeKeys
from estflow.hooks.monitored_session import Scaffold
from estflow.library.parsing_ops import parse_example
from estflow.serving import constants, signature_constants, signature_def_utils, tag_constants
from estflow.serving.builder import SavedModelBuilder
from estflow.training import training_util
from estflow.training.saver import Saver

_logger = logging.getLogger("estflow")

SINGLE_FEATURE_DEFAULT_NAME = "feature"
SINGLE_RECEIVER_DEFAULT_NAME = "input"
SINGLE_LABEL_DEFAULT_NAME = "label"
_SINGLE_TENSOR_DEFAULT_NAMES = {"feature": SINGLE_FEATURE_DEFAULT_NAME, "label": SINGLE_LABEL_DEFAULT_NAME,
                                "receiver_tensor": SINGLE_RECEIVER_DEFAULT_NAME,
                                "receiver_tensors": SINGLE_RECEIVER_DEFAULT_NAME}
EXPORT_TAG_MAP = {ModeKeys.PREDICT: [tag_constants.SERVING], ModeKeys.TRAIN: [tag_constants.TRAINING],
                  ModeKeys.EVAL: [tag_constants.EVAL]}
_MAX_DIRECTORY_CREATION_ATTEMPTS = 10


# ---- receivers ------------------------------------------------------------------------------------------
def _check_tensor(tensor, name, error_label="feature") -> None:
    if not isinstance(tensor, (Tensor, SparseTensor)):
        raise ValueError(f"{error_label} {name} must be a Tensor, SparseTensor, or RaggedTensor. Given type: "
                         f"{type(tensor).__name__}")


def _check_tensor_key(name, error_label="feature", allow_ints=False) -> None:
    valid = (str, int) if allow_ints else (str,)
    if not isinstance(name, valid) or isinstance(name, bool):
        raise ValueError(f"{error_label} keys must be strings{' or ints' if allow_ints else ''}: {name}.")


def wrap_and_check_input_tensors(tensors, field_name, allow_int_keys=False) -> dict:
    """`tensors` as a dict (a single tensor under TF's default name), every key and value checked."""
    if tensors is None:
        raise ValueError(f"{field_name}s must be defined.")
    if not isinstance(tensors, dict):
        tensors = {_SINGLE_TENSOR_DEFAULT_NAMES[field_name]: tensors}
    for name, tensor in tensors.items():
        _check_tensor_key(name, error_label=field_name, allow_ints=allow_int_keys)
        _check_tensor(tensor, name, error_label=field_name)
    return tensors


def _wrap_and_check_receiver_tensors(receiver_tensors) -> dict:
    if not isinstance(receiver_tensors, dict):
        receiver_tensors = {SINGLE_RECEIVER_DEFAULT_NAME: receiver_tensors}
    for name, tensor in receiver_tensors.items():
        _check_tensor_key(name, error_label="receiver_tensors")
        _check_tensor(tensor, name, error_label="receiver_tensor")
    return receiver_tensors


def _check_alternatives(alternatives):
    if alternatives is None:
        return None
    if not isinstance(alternatives, dict):
        raise ValueError(f"receiver_tensors_alternatives must be a dict: {alternatives}.")
    return {name: _wrap_and_check_receiver_tensors(tensors) for name, tensors in alternatives.items()}


class ServingInputReceiver(collections.namedtuple(
        "ServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """What a serving_input_receiver_fn returns: the `features` the model_fn gets, and the
    `receiver_tensors` (placeholders) a request feeds. A single tensor is named `feature` /
    `input`; `receiver_tensors_alternatives` ({name: tensors}) add more signatures."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        features = wrap_and_check_input_tensors(features, "feature", allow_int_keys=True)
        receiver_tensors = _wrap_and_check_receiver_tensors(receiver_tensors)
        return super().__new__(cls, features=features, receiver_tensors=receiver_tensors,
                               receiver_tensors_alternatives=_check_alternatives(receiver_tensors_alternatives))


class TensorServingInputReceiver(collections.namedtuple(
        "TensorServingInputReceiver", ["features", "receiver_tensors", "receiver_tensors_alternatives"])):
    """A ServingInputReceiver whose `features` is one Tensor, passed to the model_fn as is (not in a dict)."""

    def __new__(cls, features, receiver_tensors, receiver_tensors_alternatives=None):
        if features is None:
            raise ValueError("features must be defined.")
        _check_tensor(features, None)
        receiver = ServingInputReceiver(features, receiver_tensors, receiver_tensors_alternatives)
        return super().__new__(cls, features=receiver.features[SINGLE_FEATURE_DEFAULT_NAME],
                               receiver_tensors=receiver.receiver_tensors,
                               receiver_tensors_alternatives=receiver.receiver_tensors_alternatives)


def build_parsing_serving_input_receiver_fn(feature_spec, default_batch_size=None):
    """A serving_input_receiver_fn taking serialized tf.Example protos (`input_example_tensor`, fed
    as `examples`) and parsing them with `feature_spec` (what classify/regress signatures need)."""
    def serving_input_receiver_fn():
        serialized = placeholder(dtype="string", shape=[default_batch_size], name="input_example_tensor")
        features = parse_example(serialized, feature_spec)
        return ServingInputReceiver(features, {"examples": serialized})
    return serving_input_receiver_fn


def _placeholder_from_tensor(t, default_batch_size=None):
    shape = TensorShape([default_batch_size]).concatenate(t.get_shape()[1:])
    name = getattr(getattr(t, "op", None), "name", None)
    return placeholder(dtype=t.dtype, shape=shape, name=name)


def _placeholders_from_receiver_tensors_dict(input_vals, default_batch_size=None) -> dict:
    return {name: _placeholder_from_tensor(t, default_batch_size) for name, t in input_vals.items()}


def build_raw_serving_input_receiver_fn(features, default_batch_size=None):
    """A serving_input_receiver_fn feeding raw tensors: one placeholder per entry of `features`
    (same dtype and name, batch dimension `default_batch_size`), passed to the model as is."""
    def serving_input_receiver_fn():
        receiver_tensors = _placeholders_from_receiver_tensors_dict(features, default_batch_size)
        return ServingInputReceiver(receiver_tensors, receiver_tensors)
    return serving_input_receiver_fn


# ---- export outputs and signatures ---------------------------------------------------------------------
def _maybe_add_default_serving_output(export_outputs: dict) -> dict:
    if len(export_outputs) == 1:
        ((key, value),) = export_outputs.items()
        if key != signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
            export_outputs[signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY] = value
    if len(export_outputs) > 1 and signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY not in export_outputs:
        raise ValueError("Multiple export_outputs were provided, but none of them is specified as the default.  "
                         "Do this by naming one of them with signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY.")
    return export_outputs


def get_export_outputs(export_outputs, predictions) -> dict:
    """The model's export outputs, checked; a PredictOutput of `predictions` as `serving_default` when None."""
    if export_outputs is None:
        export_outputs = {signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY:
                          export_output_lib.PredictOutput(predictions)}
    if not isinstance(export_outputs, dict):
        raise TypeError(f"export_outputs must be dict, given: {export_outputs}")
    for value in export_outputs.values():
        if not isinstance(value, export_output_lib.ExportOutput):
            raise TypeError(f"Values in export_outputs must be ExportOutput objects. Given: {export_outputs}")
    return _maybe_add_default_serving_output(dict(export_outputs))


def build_all_signature_defs(receiver_tensors, export_outputs, receiver_tensors_alternatives=None,
                             serving_only=True) -> dict:
    """{signature name: SignatureDef} for every export output (and receiver alternative) that fits."""
    if not isinstance(receiver_tensors, dict):
        receiver_tensors = {SINGLE_RECEIVER_DEFAULT_NAME: receiver_tensors}
    if export_outputs is None or not isinstance(export_outputs, dict):
        raise ValueError(f"export_outputs must be a dict and not{type(export_outputs)}")
    signature_def_map, excluded = {}, {}
    receivers = [(None, receiver_tensors)]
    for name, alternative in (receiver_tensors_alternatives or {}).items():
        if not isinstance(alternative, dict):
            alternative = {SINGLE_RECEIVER_DEFAULT_NAME: alternative}
        receivers.append((name or "None", alternative))
    for receiver_name, tensors in receivers:
        for output_key, export_output in export_outputs.items():
            name = f"{output_key or 'None'}" if receiver_name is None else f"{receiver_name}:{output_key or 'None'}"
            try:
                signature_def_map[name] = export_output.as_signature_def(tensors)
            except ValueError as e:
                excluded[name] = str(e)
    for name, why in sorted(excluded.items()):
        _logger.info("Signature %s is excluded from the export: %s", name, why)
    if serving_only:
        signature_def_map = {k: v for k, v in signature_def_map.items()
                             if signature_def_utils.is_valid_signature(v)}
    return signature_def_map


def _ensure_serving_default(signature_def_map: dict, receiver_tensors, predictions) -> None:
    """estflow's addition: a `serving_default` when TF1 would leave none (see the module docstring)."""
    key = signature_constants.DEFAULT_SERVING_SIGNATURE_DEF_KEY
    if key in signature_def_map:
        return
    source = "predict"
    signature = signature_def_map.get("predict")
    if signature is None or signature.method_name != signature_constants.PREDICT_METHOD_NAME:
        source = "the predictions"
        try:
            signature = export_output_lib.PredictOutput(predictions).as_signature_def(receiver_tensors)
        except ValueError as e:
            _logger.warning("The export has no serving_default signature: %s", e)
            return
    _logger.warning("The serving_default signature doesn't fit this serving input receiver (TensorFlow 1 would "
                    "export no serving_default); estflow uses %s as serving_default.", source)
    signature_def_map[key] = signature


def get_timestamped_export_dir(export_dir_base) -> bytes:
    """`<export_dir_base>/<unix seconds>` that doesn't exist yet (waits a second and retries, 10 times)."""
    base = os.fsdecode(export_dir_base)
    for attempt in range(_MAX_DIRECTORY_CREATION_ATTEMPTS):
        result = os.path.join(base, str(int(time.time())))
        if not os.path.exists(result) and not _staging_exists(result):
            return os.fsencode(result)
        time.sleep(1)
        _logger.warning("Directory %s already exists; retrying (attempt %d/%d)", result, attempt + 1,
                        _MAX_DIRECTORY_CREATION_ATTEMPTS)
    raise RuntimeError(f"Failed to obtain a unique export directory name after "
                       f"{_MAX_DIRECTORY_CREATION_ATTEMPTS} attempts.")


def _staging_exists(path: str) -> bool:
    parent, name = os.path.split(path)
    try:
        return any(entry.startswith(name + ".tmp") for entry in os.listdir(parent))
    except OSError:
        return False


def _copy_assets_extra(assets_extra, target_dir) -> None:
    extra_dir = os.path.join(target_dir, constants.EXTRA_ASSETS_DIRECTORY)
    for dest_relative, source in assets_extra.items():
        dest_relative = os.fsdecode(dest_relative)
        if os.path.isabs(dest_relative) or os.path.normpath(dest_relative).startswith(os.pardir):
            raise ValueError(f"assets_extra destination {dest_relative!r} must be a relative path inside "
                             f"assets.extra/.")
        dest = os.path.join(extra_dir, dest_relative)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(os.fsdecode(source), dest)


# ---- the export --------------------------------------------------------------------------------------------
def _add_meta_graph_for_mode(estimator, builder, receiver_fn, checkpoint_path, mode, strip_default_attrs,
                             save_variables=True):
    with estimator._new_graph().as_default() as graph:
        training_util.get_or_create_global_step(graph)
        receiver = receiver_fn()
        if not isinstance(receiver, (ServingInputReceiver, TensorServingInputReceiver)):
            raise TypeError(f"serving_input_receiver_fn must return a tf.estimator.export.ServingInputReceiver, "
                            f"got {type(receiver).__name__}.")
        spec = estimator._call_model_fn(receiver.features, getattr(receiver, "labels", None), mode,
                                        estimator.config)
        export_outputs = get_export_outputs(spec.export_outputs, spec.predictions)
        signature_def_map = build_all_signature_defs(receiver.receiver_tensors, export_outputs,
                                                     receiver.receiver_tensors_alternatives,
                                                     serving_only=(mode == ModeKeys.PREDICT))
        _ensure_serving_default(signature_def_map, receiver.receiver_tensors, spec.predictions)
        scaffold = spec.scaffold or Scaffold()
        local_init_op = scaffold.local_init_op
        if local_init_op is None:
            local_init_op = Scaffold.default_local_init_op()
        saver = scaffold.saver or Saver(sharded=True)
        with Session(config=estimator._session_config()) as session:
            try:
                saver.restore(session, checkpoint_path)
            except errors.NotFoundError as e:
                raise ValueError(f"Could not load all requested variables from checkpoint. Please make sure your "
                                 f"model_fn does not expect variables that were not saved in the checkpoint.\n\n"
                                 f"Encountered error with mode `{mode}` while restoring checkpoint from: "
                                 f"`{checkpoint_path}`. Full Traceback:\n\n{e}") from None
            kwargs = dict(tags=EXPORT_TAG_MAP[mode], signature_def_map=signature_def_map,
                          assets_collection=graph.get_collection(GraphKeys.ASSET_FILEPATHS), main_op=local_init_op,
                          saver=saver, strip_default_attrs=strip_default_attrs)
            if save_variables:
                builder.add_meta_graph_and_variables(session, **kwargs)
            else:
                builder.add_meta_graph(**kwargs)


def export_all_saved_models(estimator, export_dir_base, input_receiver_fn_map, assets_extra=None, as_text=False,
                            checkpoint_path=None, strip_default_attrs=True) -> bytes:
    """Write one SavedModel with a MetaGraphDef per mode in `input_receiver_fn_map` (PREDICT only here)."""
    unsupported = set(input_receiver_fn_map) - {ModeKeys.PREDICT}
    if unsupported:
        raise NotImplementedError(f"estflow exports the PREDICT (serving) graph only; modes {sorted(unsupported)} "
                                  f"are not supported.")
    if not input_receiver_fn_map.get(ModeKeys.PREDICT):
        raise ValueError(f"No valid modes for exporting found. Got {list(input_receiver_fn_map)}.")
    if not checkpoint_path:
        checkpoint_path = estimator.latest_checkpoint()
    if not checkpoint_path:
        raise ValueError(f"Couldn't find trained model at {estimator.model_dir}.")
    checkpoint_path = os.fspath(checkpoint_path)
    export_dir = os.fsdecode(get_timestamped_export_dir(export_dir_base))
    builder = SavedModelBuilder(export_dir)
    try:
        _add_meta_graph_for_mode(estimator, builder, input_receiver_fn_map[ModeKeys.PREDICT], checkpoint_path,
                                 ModeKeys.PREDICT, strip_default_attrs)
        if assets_extra:
            _copy_assets_extra(assets_extra, builder._stage())
        builder.save(as_text)
    except BaseException:
        builder._discard()
        raise
    _logger.info("Exported SavedModel to %s", export_dir)
    return os.fsencode(export_dir)


def export_saved_model(estimator, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                       checkpoint_path=None, experimental_mode=ModeKeys.PREDICT) -> bytes:
    """`Estimator.export_saved_model` (see the module docstring)."""
    if not serving_input_receiver_fn and experimental_mode == ModeKeys.PREDICT:
        raise ValueError("An input_receiver_fn must be defined.")
    return export_all_saved_models(estimator, export_dir_base, {experimental_mode: serving_input_receiver_fn},
                                   assets_extra=assets_extra, as_text=as_text, checkpoint_path=checkpoint_path,
                                   strip_default_attrs=True)


def export_savedmodel(estimator, export_dir_base, serving_input_receiver_fn, assets_extra=None, as_text=False,
                      checkpoint_path=None, strip_default_attrs=False) -> bytes:
    """`Estimator.export_savedmodel` (TF1's older name; default attrs kept unless `strip_default_attrs`)."""
    if not serving_input_receiver_fn:
        raise ValueError("An input_receiver_fn must be defined.")
    return export_all_saved_models(estimator, export_dir_base, {ModeKeys.PREDICT: serving_input_receiver_fn},
                                   assets_extra=assets_extra, as_text=as_text, checkpoint_path=checkpoint_path,
                                   strip_default_attrs=strip_default_attrs)
