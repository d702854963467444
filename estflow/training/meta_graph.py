"""MetaGraphDef export and import: a graph with its collections and SaverDef, as TF1 writes `.meta`.

A MetaGraphDef is the GraphDef plus what the Python objects around it need to come back
without the code that built them: the SaverDef (which ops save and restore), and each
collection, serialized by kind:

    Variables (in variable collections)  bytes_list of VariableDef
    Savers ("savers")                    bytes_list of SaverDef
    Tensors and Operations               node_list of names ("w:0", "train_op")
    str / bytes, int, float              bytes_list, int64_list, float_list

Collections whose items can't be written that way are skipped with a warning, as TF does.

    meta = tf.train.export_meta_graph("/tmp/model.meta")
    with tf.Graph().as_default():
        tf.train.import_meta_graph("/tmp/model.meta")      # estflow.training.saver.import_meta_graph
"""

from __future__ import annotations

import logging
import os

from google.protobuf import any_pb2, text_format
from google.protobuf.message import DecodeError

from estflow.core import graph_io, op_def_io, registry
from estflow.core.graph import GraphKeys, Operation, Tensor, get_default_graph
from estflow.core.protos import meta_graph_pb2, op_def_pb2, variable_pb2
from estflow.core.variables import Variable

_logger = logging.getLogger("estflow")
MetaGraphDef = meta_graph_pb2.MetaGraphDef
_PRODUCER = "estflow"

# ---- which collections hold protos -----------------------------------------------------------------
_proto_functions: dict[str, tuple] = {}  # collection key -> (proto_type, to_proto, from_proto)


def register_proto_function(collection_name, proto_type=None, to_proto=None, from_proto=None) -> None:
    """Declare how items of a collection become protos (`to_proto(item, export_scope)`) and back."""
    _proto_functions[collection_name] = (proto_type, to_proto, from_proto)


def get_collection_proto_type(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[0]


def get_to_proto_function(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[1]


def get_from_proto_function(collection_name):
    return _proto_functions.get(collection_name, (None, None, None))[2]


def _variable_from_proto(proto, import_scope=None):
    return Variable.from_proto(proto, import_scope=import_scope)


def _variable_to_proto(variable, export_scope=None):
    return variable.to_proto(export_scope=export_scope)


for _key in GraphKeys._VARIABLE_COLLECTIONS + (GraphKeys.GLOBAL_STEP,):
    register_proto_function(_key, variable_pb2.VariableDef, _variable_to_proto, _variable_from_proto)


# ---- names under scopes -----------------------------------------------------------------------------------
def _strip_scope(name: str, scope: str | None) -> str:
    """`scope/x` -> `x` (also inside `^scope/x` and `loc:@scope/x`); other names unchanged."""
    if not scope:
        return name
    scope = scope.rstrip("/") + "/"
    for lead in ("^", "loc:@", ""):
        if name.startswith(lead + scope):
            return lead + name[len(lead) + len(scope):]
    return name


def _prepend_scope(name: str, scope: str | None) -> str:
    if not scope:
        return name
    scope = scope.rstrip("/") + "/"
    for lead in ("^", "loc:@"):
        if name.startswith(lead):
            return lead + scope + name[len(lead):]
    return scope + name


def _in_scope(name: str, scope: str | None) -> bool:
    return not scope or name.startswith(scope.rstrip("/") + "/")


# ---- export --------------------------------------------------------------------------------------------
def stripped_op_list_for_graph(graph_def) -> op_def_pb2.OpList:
    """The OpDefs of the op types `graph_def` uses (its functions' too), sorted by name, with full
    argument lists and attrs, as TF writes `MetaInfoDef.stripped_op_list`."""
    functions = {f.signature.name for f in graph_def.library.function}
    used = {node.op for node in graph_def.node}
    used.update(node.op for f in graph_def.library.function for node in f.node_def)
    return op_def_io.op_list(used - functions)


def _strip_default_attrs(graph_def) -> None:
    """Drop the attrs whose value is the op's default (TF's `strip_default_attrs`)."""
    defaults: dict = {}
    for node in graph_def.node:
        if node.op not in defaults:
            try:
                op_def = op_def_io.op_def_to_proto(registry.get_op_def(node.op))
            except ValueError:
                op_def = None
            defaults[node.op] = {} if op_def is None else {
                a.name: a.default_value for a in op_def.attr if a.HasField("default_value")}
        for key, default in defaults[node.op].items():
            if key in node.attr and node.attr[key] == default:
                del node.attr[key]


def _scoped_graph_def(graph_def, export_scope, clear_devices):
    out = type(graph_def)()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        if not _in_scope(node.name, export_scope):
            continue
        new = out.node.add()
        new.CopyFrom(node)
        new.name = _strip_scope(node.name, export_scope)
        del new.input[:]
        for inp in node.input:
            if not _in_scope(inp.lstrip("^"), export_scope):
                raise ValueError(f"Node '{node.name}' takes input '{inp}' from outside export_scope "
                                 f"'{export_scope}'; estflow can't export unbound inputs. Widen export_scope.")
            new.input.append(_strip_scope(inp, export_scope))
        if "_class" in new.attr:
            values = [_strip_scope(v.decode("utf-8"), export_scope).encode("utf-8")
                      for v in new.attr["_class"].list.s]
            del new.attr["_class"].list.s[:]
            new.attr["_class"].list.s.extend(values)
        if clear_devices:
            new.device = ""
    return out


def _kind_of(item) -> str:
    if isinstance(item, (str, bytes)):
        return "bytes_list"
    if isinstance(item, any_pb2.Any):  # SavedModel assets (AssetFileDef packed in Any), as TF writes them
        return "any_list"
    if isinstance(item, bool) or not isinstance(item, (int, float)):
        return "node_list"
    return "int64_list" if isinstance(item, int) else "float_list"


def add_collection_def(meta_graph_def, key, graph=None, export_scope=None) -> None:
    """Serialize collection `key` of `graph` into `meta_graph_def.collection_def[key]`."""
    if not isinstance(key, (str, bytes)):
        _logger.warning("Only collections with string type keys will be serialized. This key has %s", type(key))
        return
    graph = graph or get_default_graph()
    items = [x for x in graph.get_collection(key)
             if not isinstance(x, (Tensor, Operation, Variable)) or _in_scope(x.name, export_scope)]
    if not items:
        return
    col_def = meta_graph_def.collection_def[key]
    try:
        to_proto = get_to_proto_function(key)
        if to_proto is not None:
            for x in items:
                proto = to_proto(x, export_scope=export_scope)
                if proto is not None:
                    col_def.bytes_list.value.append(proto.SerializeToString())
            return
        kind = _kind_of(items[0])
        if kind == "node_list":
            for x in items:
                if not isinstance(x, (Tensor, Operation)):
                    raise TypeError(f"{x!r} is not a Tensor, Operation, string or number")
                col_def.node_list.value.append(_strip_scope(x.name, export_scope))
        elif kind == "bytes_list":
            col_def.bytes_list.value.extend(x.encode("utf-8") if isinstance(x, str) else x for x in items)
        else:
            getattr(col_def, kind).value.extend(items)
    except Exception as e:  # noqa: BLE001 - TF skips collections it can't serialize, with a warning
        _logger.warning("Issue encountered when serializing: %s.\n%s", key, e)
        del meta_graph_def.collection_def[key]


def create_meta_graph_def(meta_info_def=None, graph_def=None, saver_def=None, collection_list=None, graph=None,
                          export_scope=None, clear_extraneous_savers=False, strip_default_attrs=False):
    """A MetaGraphDef of `graph_def` (default: `graph`'s, with shapes) with the named collections."""
    graph = graph or get_default_graph()
    meta_graph_def = MetaGraphDef()
    if graph_def is None:
        graph_def = graph.as_graph_def(add_shapes=True)
    if meta_info_def is None:
        meta_info_def = MetaGraphDef.MetaInfoDef()
    meta_graph_def.meta_info_def.MergeFrom(meta_info_def)
    if not meta_graph_def.meta_info_def.tensorflow_git_version:
        meta_graph_def.meta_info_def.tensorflow_git_version = _PRODUCER
    if strip_default_attrs:
        _strip_default_attrs(graph_def)
    meta_graph_def.meta_info_def.stripped_default_attrs = strip_default_attrs
    meta_graph_def.meta_info_def.stripped_op_list.MergeFrom(stripped_op_list_for_graph(graph_def))
    meta_graph_def.graph_def.MergeFrom(graph_def)
    if saver_def is not None:
        meta_graph_def.saver_def.MergeFrom(saver_def)
    keys = graph.get_all_collection_keys() if collection_list is None else collection_list
    for key in keys:
        if clear_extraneous_savers and key == GraphKeys.SAVERS:
            continue  # only the SaverDef above describes how to restore this graph
        add_collection_def(meta_graph_def, key, graph=graph, export_scope=export_scope)
    return meta_graph_def


def export_scoped_meta_graph(filename=None, graph_def=None, graph=None, export_scope=None, as_text=False,
                             unbound_inputs_col_name="unbound_inputs", clear_devices=False, saver_def=None,
                             clear_extraneous_savers=False, strip_default_attrs=False, meta_info_def=None,
                             collection_list=None, **kwargs):
    """(MetaGraphDef, {name: Variable}) of the graph (under `export_scope`), written to `filename` if given.

    `save_debug_info=True` (stack traces of op creation) and `exclude_nodes` are refused, as
    estflow cannot honour them; any other keyword is a TypeError, as in TF1.
    """
    del unbound_inputs_col_name  # no such inputs: _scoped_graph_def refuses inputs from outside export_scope
    if kwargs.pop("save_debug_info", False):
        raise NotImplementedError("save_debug_info=True writes the Python stack trace of every op's creation "
                                  "(GraphDebugInfo), which estflow does not record; leave it False.")
    if kwargs.pop("exclude_nodes", None) is not None:
        raise NotImplementedError("export_meta_graph(exclude_nodes=...) is not supported by estflow; prune the "
                                  "collections before exporting instead.")
    if kwargs:
        raise TypeError(f"export_meta_graph() got unexpected keyword arguments: {sorted(kwargs)}")
    graph = graph or get_default_graph()
    if graph_def is None:
        graph_def = graph.as_graph_def(add_shapes=True)
    if export_scope or clear_devices:
        graph_def = _scoped_graph_def(graph_def, export_scope, clear_devices)
    meta_graph_def = create_meta_graph_def(meta_info_def=meta_info_def, graph_def=graph_def, saver_def=saver_def,
                                           collection_list=collection_list, graph=graph, export_scope=export_scope,
                                           clear_extraneous_savers=clear_extraneous_savers,
                                           strip_default_attrs=strip_default_attrs)
    if filename:
        directory, basename = os.path.split(os.fspath(filename))
        graph_io.write_graph(meta_graph_def, directory or ".", basename, as_text=as_text)
    var_list = {_strip_scope(v.name, export_scope): v
                for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES) if _in_scope(v.name, export_scope)}
    return meta_graph_def, var_list


def export_meta_graph(filename=None, meta_info_def=None, graph_def=None, saver_def=None, collection_list=None,
                      as_text=False, graph=None, export_scope=None, clear_devices=False,
                      clear_extraneous_savers=False, strip_default_attrs=False, **kwargs):
    """The graph as a MetaGraphDef (`tf.train.export_meta_graph`); also written to `filename` if given.

        tf.train.export_meta_graph("/tmp/model.meta", saver_def=saver.as_saver_def())
    """
    meta_graph_def, _ = export_scoped_meta_graph(
        filename=filename, meta_info_def=meta_info_def, graph_def=graph_def, saver_def=saver_def,
        collection_list=collection_list, as_text=as_text, graph=graph, export_scope=export_scope,
        clear_devices=clear_devices, clear_extraneous_savers=clear_extraneous_savers,
        strip_default_attrs=strip_default_attrs, **kwargs)
    return meta_graph_def


# ---- import ---------------------------------------------------------------------------------------------
def read_meta_graph_file(filename) -> MetaGraphDef:
    """Read a `.meta` file, binary or text format; IOError when it does not exist."""
    filename = os.fspath(filename)
    if not os.path.exists(filename):
        raise OSError(f"File {filename} does not exist.")
    with open(filename, "rb") as f:
        data = f.read()
    meta_graph_def = MetaGraphDef()
    try:
        meta_graph_def.ParseFromString(data)
        return meta_graph_def
    except Exception:  # noqa: BLE001 - not binary: try the text format
        meta_graph_def = MetaGraphDef()
    try:
        text_format.Merge(data.decode("utf-8"), meta_graph_def)
    except (UnicodeDecodeError, text_format.ParseError) as e:
        raise OSError(f"Cannot parse file {filename}: {e}.") from None
    return meta_graph_def


def _add_collection(graph, key, col_def, scope, variable_objects) -> None:
    kind = col_def.WhichOneof("kind")
    if kind is None:
        _logger.error("Cannot identify data type for collection %s. Skipping.", key)
        return
    from_proto = get_from_proto_function(key)
    if from_proto is not None and kind != "bytes_list":
        raise ValueError(f"MetaGraphDef collection '{key}' holds a {kind}; it must hold serialized "
                         f"{get_collection_proto_type(key).__name__} protos (a bytes_list).")
    if from_proto is not None:
        proto_type = get_collection_proto_type(key)
        for i, value in enumerate(col_def.bytes_list.value):
            item = variable_objects.get(value) if proto_type is variable_pb2.VariableDef else None
            if item is None:
                proto = proto_type()
                try:
                    proto.ParseFromString(value)
                    item = from_proto(proto, import_scope=scope)
                except (DecodeError, KeyError, ValueError, TypeError) as e:
                    reason = e.args[0] if isinstance(e, KeyError) and e.args else e
                    raise ValueError(f"MetaGraphDef collection '{key}', item {i} ({proto_type.__name__}) can't be "
                                     f"restored: {reason}") from None
                if proto_type is variable_pb2.VariableDef:
                    variable_objects[value] = item  # one Variable object however many collections hold it
            graph.add_to_collection(key, item)
    elif kind == "node_list":
        for name in col_def.node_list.value:
            try:
                element = graph.as_graph_element(_prepend_scope(name, scope))
            except (KeyError, ValueError, TypeError) as e:
                reason = e.args[0] if isinstance(e, KeyError) and e.args else e
                raise ValueError(f"MetaGraphDef collection '{key}' names '{name}', which the graph can't "
                                 f"resolve: {reason}") from None
            graph.add_to_collection(key, element)
    elif kind == "int64_list":
        for value in col_def.int64_list.value:
            graph.add_to_collection(key, int(value))
    else:
        for value in getattr(col_def, kind).value:
            graph.add_to_collection(key, value)


def import_scoped_meta_graph_with_return_elements(meta_graph_or_file, clear_devices=False, graph=None,
                                                  import_scope=None, input_map=None,
                                                  unbound_inputs_col_name="unbound_inputs",
                                                  restore_collections_predicate=(lambda key: True),
                                                  return_elements=None):
    """Import a MetaGraphDef's graph and collections; ({name: Variable}, return_elements)."""
    del unbound_inputs_col_name
    if isinstance(meta_graph_or_file, MetaGraphDef):
        meta_graph_def = meta_graph_or_file
    else:
        meta_graph_def = read_meta_graph_file(meta_graph_or_file)
    graph = graph or get_default_graph()
    with graph.as_default():
        graph_def = meta_graph_def.graph_def
        if clear_devices:
            graph_def = type(graph_def)()
            graph_def.CopyFrom(meta_graph_def.graph_def)
            for node in graph_def.node:
                node.device = ""
        scope = graph.unique_name(import_scope or "", mark_as_used=False) if import_scope else ""
        imported = graph_io.import_graph_def(graph_def, name=scope, input_map=input_map,
                                             return_elements=return_elements)
        keys = sorted(meta_graph_def.collection_def)
        if GraphKeys.TRAINABLE_VARIABLES in keys:  # first, as TF does, so trainable variables come first
            keys.remove(GraphKeys.TRAINABLE_VARIABLES)
            keys.insert(0, GraphKeys.TRAINABLE_VARIABLES)
        variable_objects: dict = {}
        for key in keys:
            if key == "unbound_inputs" or not restore_collections_predicate(key):
                continue
            _add_collection(graph, key, meta_graph_def.collection_def[key], scope, variable_objects)
        var_list = {_strip_scope(v.name, scope): v
                    for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES) if _in_scope(v.name, scope)}
    return var_list, imported


def import_scoped_meta_graph(meta_graph_or_file, clear_devices=False, graph=None, import_scope=None,
                             input_map=None, unbound_inputs_col_name="unbound_inputs",
                             restore_collections_predicate=(lambda key: True)):
    """Import a MetaGraphDef's graph and collections into `graph`; returns {name: Variable}."""
    var_list, _ = import_scoped_meta_graph_with_return_elements(
        meta_graph_or_file, clear_devices=clear_devices, graph=graph, import_scope=import_scope,
        input_map=input_map, restore_collections_predicate=restore_collections_predicate)
    return var_list
