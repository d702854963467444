"""What `estflow inspect` reads: checkpoints, event files, TFRecord files and SavedModels.

Each function returns plain rows or text, so the command only formats them:
checkpoint variables as `inspect_checkpoint` lists them, event-file scalars as a table,
TFRecord `tf.train.Example`s as JSON, and SavedModel signatures in `saved_model_cli show
--all`'s layout (read from `saved_model.pb` itself) and `saved_model_cli run`'s outputs of
one signature (through the SavedModel loader).
"""

from __future__ import annotations

import base64
import os

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Graph
from estflow.core.graph_io import make_ndarray
from estflow.core.protos import example_pb2, saved_model_pb2, types_pb2
from estflow.core.session import Session
from estflow.data.tfrecord import tf_record_iterator
from estflow.serving import loader
from estflow.training import checkpoint_management
from estflow.training.checkpoint_utils import NewCheckpointReader
from estflow.training.summary_iterator import summary_iterator


class InspectError(ValueError):
    """A path that is not what the inspect command reads."""


def checkpoint_prefix(path: str) -> str:
    """The checkpoint prefix of a model_dir (its latest checkpoint) or of a prefix / .index path."""
    if os.path.isdir(path):
        prefix = checkpoint_management.latest_checkpoint(path)
        if not prefix:
            raise InspectError(f"{path} holds no checkpoint (no 'checkpoint' state file naming one)")
        return prefix
    for suffix in (".index", ".meta"):
        if path.endswith(suffix):
            path = path[:-len(suffix)]
    if ".data-" in path:
        path = path[:path.index(".data-")]
    if not os.path.exists(path + ".index"):
        raise InspectError(f"{path} is no checkpoint: there is no {path}.index")
    return path


def checkpoint_variables(path: str) -> tuple[str, list[tuple[str, str, list[int]]]]:
    """(prefix, [(name, dtype, shape)]) sorted by name, as `inspect_checkpoint` lists them."""
    prefix = checkpoint_prefix(path)
    reader = NewCheckpointReader(prefix)
    try:
        shapes = reader.get_variable_to_shape_map()
        types = reader.get_variable_to_dtype_map()
        return prefix, [(name, dtypes.as_dtype(types[name]).name, shapes[name]) for name in sorted(shapes)]
    finally:
        reader.close()


def checkpoint_tensor(prefix: str, name: str) -> np.ndarray:
    reader = NewCheckpointReader(prefix)
    try:
        if not reader.has_tensor(name):
            raise InspectError(f"{prefix} has no tensor {name!r}")
        return reader.get_tensor(name)
    finally:
        reader.close()


def event_files(path: str) -> list[str]:
    if os.path.isfile(path):
        return [path]
    found = []
    for folder, _, files in os.walk(path):
        found += [os.path.join(folder, f) for f in sorted(files) if "tfevents" in f]
    if not found:
        raise InspectError(f"{path} holds no event files (events.out.tfevents.*)")
    return sorted(found)


def _scalar_of(value):
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind == "tensor":
        array = make_ndarray(value.tensor)
        if array.size == 1 and array.dtype.kind in "fiub":
            return float(array.reshape(()))
    return None


def event_scalars(path: str) -> list[tuple[str, int, str, float]]:
    """(run, step, tag, value) of every scalar summary under `path` (run: the event file's folder)."""
    rows = []
    root = path if os.path.isdir(path) else os.path.dirname(path)
    for file in event_files(path):
        run = os.path.relpath(os.path.dirname(file), root)
        for event in summary_iterator(file):
            if event.WhichOneof("what") != "summary":
                continue
            for value in event.summary.value:
                number = _scalar_of(value)
                if number is not None:
                    rows.append((run, int(event.step), value.tag, number))
    return rows


def _feature_values(feature):
    kind = feature.WhichOneof("kind")
    if kind == "bytes_list":
        out = []
        for v in feature.bytes_list.value:
            try:
                out.append(v.decode("utf-8"))
            except UnicodeDecodeError:
                out.append({"b64": base64.b64encode(v).decode("ascii")})
        return out
    if kind == "float_list":
        return list(feature.float_list.value)
    if kind == "int64_list":
        return list(feature.int64_list.value)
    return []


def tfrecord_examples(path: str, limit: int | None = None, compression: str = ""):
    """Yield each record of a TFRecord file as {feature: [values]} (a non-Example record: {"b64": ...})."""
    for index, record in enumerate(tf_record_iterator(path, compression or None)):
        if limit is not None and index >= limit:
            return
        example = example_pb2.Example()
        try:
            example.ParseFromString(record)
        except Exception:  # protobuf's DecodeError: not an Example, show the bytes
            yield {"b64": base64.b64encode(record).decode("ascii")}
            continue
        yield {key: _feature_values(example.features.feature[key]) for key in sorted(example.features.feature)}


def read_saved_model(path: str):
    file = os.path.join(path, "saved_model.pb")
    if not os.path.isfile(file):
        raise InspectError(f"{path} is no SavedModel: there is no {file}")
    model = saved_model_pb2.SavedModel()
    with open(file, "rb") as f:
        model.ParseFromString(f.read())
    return model


def _shape_text(info) -> str:
    if info.tensor_shape.unknown_rank:
        return "unknown_rank"
    return "(" + ", ".join(str(d.size) for d in info.tensor_shape.dim) + ")"


def _dtype_text(enum: int) -> str:
    try:
        return types_pb2.DataType.Name(enum)
    except ValueError:
        return f"DT_{enum}"


def _op_types(meta) -> list[str]:
    """The op types of a meta graph's nodes (saved_model_cli leaves the function library's out)."""
    return sorted({node.op for node in meta.graph_def.node})


def _tensor_info_lines(kind: str, mapping) -> list[str]:
    lines = [f"  The given SavedModel SignatureDef contains the following {kind}(s):"]
    for key in sorted(mapping):
        info = mapping[key]
        name = info.name if info.WhichOneof("encoding") == "name" else info.coo_sparse.values_tensor_name
        lines += [f"    {kind}s['{key}'] tensor_info:", f"        dtype: {_dtype_text(info.dtype)}",
                  f"        shape: {_shape_text(info)}", f"        name: {name}"]
    return lines


def saved_model_show(path: str) -> str:
    """Every tag set's signatures and op types, in `saved_model_cli show --all`'s layout (ops sorted)."""
    model = read_saved_model(path)
    lines = []
    for meta in model.meta_graphs:
        tags = ", ".join(meta.meta_info_def.tags)
        lines.append(f"\nMetaGraphDef with tag-set: '{tags}' contains the following SignatureDefs:")
        for key in sorted(meta.signature_def):
            signature = meta.signature_def[key]
            lines.append(f"\nsignature_def['{key}']:")
            lines += _tensor_info_lines("input", signature.inputs)
            lines += _tensor_info_lines("output", signature.outputs)
            lines.append(f"  Method name is: {signature.method_name}")
        ops = ", ".join(repr(op) for op in _op_types(meta))
        lines.append(f"The MetaGraph with tag set {list(meta.meta_info_def.tags)} contains the following ops: "
                     f"{{{ops}}}")
    return "\n".join(lines) + "\n"


def saved_model_run(path: str, signature: str, inputs: dict, tag_set: str = "serve") -> dict:
    """Run one signature of a SavedModel on `inputs` ({input key: nested list}): {output key: array}.

    As `saved_model_cli run --dir PATH --tag_set serve --signature_def NAME --input_exprs ...`.
    """
    tags = [t for t in tag_set.split(",") if t]
    model = read_saved_model(path)
    meta = next((m for m in model.meta_graphs if sorted(m.meta_info_def.tags) == sorted(tags)), None)
    if meta is None:
        raise InspectError(f"{path} has no MetaGraphDef with tag-set '{tag_set}'; it has "
                           f"{', '.join(repr(','.join(m.meta_info_def.tags)) for m in model.meta_graphs)}")
    if signature not in meta.signature_def:
        raise InspectError(f"{path} has no signature_def {signature!r}; it has {', '.join(sorted(meta.signature_def))}")
    definition = meta.signature_def[signature]
    missing = sorted(set(definition.inputs) - set(inputs))
    unknown = sorted(set(inputs) - set(definition.inputs))
    if missing or unknown:
        raise InspectError(f"signature_def {signature!r} takes inputs {', '.join(sorted(definition.inputs))}; "
                           + (f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"))
    graph = Graph()
    with Session(graph=graph) as session:
        loader.load(session, tags, path)
        feeds = {}
        for key, info in definition.inputs.items():
            dtype = dtypes.as_dtype(info.dtype)
            value = inputs[key]
            feeds[info.name] = (np.array([v.encode() if isinstance(v, str) else v for v in _flat(value)],
                                         dtype=object).reshape(np.shape(value)) if dtype == dtypes.string
                                else np.asarray(value, dtype=dtype.as_numpy_dtype))
        fetches = {key: info.name for key, info in definition.outputs.items()}
        return session.run(fetches, feed_dict=feeds)


def _flat(value):
    if isinstance(value, list):
        return [v for item in value for v in _flat(item)]
    return [value]
