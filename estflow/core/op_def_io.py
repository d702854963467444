"""Registered op definitions as TensorFlow's `OpDef` protos (`MetaInfoDef.stripped_op_list`).

TF writes, for every op type a meta graph uses, its full signature: input and output
args (name; a fixed `type`, a `type_attr`, a `number_attr` list or a `type_list_attr`
list; `is_ref`), attrs (name, type, default, minimum) and `is_stateful`, with the
documentation stripped. `op_def_to_proto` writes the same from an estflow `OpDef`.
An attr's allowed values are not declared in estflow and are left out.
"""

from __future__ import annotations

from estflow.core import graph_io, registry
from estflow.core.protos import op_def_pb2, types_pb2


def _arg_to_proto(arg: registry.ArgDef, out: op_def_pb2.OpDef.ArgDef) -> None:
    out.name = arg.name
    if arg.type:
        out.type = types_pb2.DataType.Value("DT_" + arg.type.upper())
    out.type_attr = arg.type_attr
    out.number_attr = arg.number_attr
    out.type_list_attr = arg.type_list_attr
    out.is_ref = arg.is_ref


def op_def_to_proto(op_def: registry.OpDef) -> op_def_pb2.OpDef:
    """`op_def` as TF's OpDef proto: argument lists, attrs with types, defaults and minimums."""
    proto = op_def_pb2.OpDef(name=op_def.name, is_stateful=op_def.stateful)
    for arg in op_def.input_args:
        _arg_to_proto(arg, proto.input_arg.add())
    for arg in op_def.output_args:
        _arg_to_proto(arg, proto.output_arg.add())
    for name, attr in op_def.attr_defs.items():
        entry = proto.attr.add(name=name, type=attr.type)
        if attr.minimum is not None:
            entry.has_minimum = True
            entry.minimum = attr.minimum
        if attr.default is not registry.REQUIRED:
            value = graph_io.attr_to_proto(attr.normalize(attr.default) if attr.default is not None
                                           or attr.type == "shape" else None)
            if value is not None:
                entry.default_value.CopyFrom(value)
    return proto


def op_list(op_types) -> op_def_pb2.OpList:
    """The OpList of the named op types, sorted by name (TF's `stripped_op_list_for_graph`)."""
    out = op_def_pb2.OpList()
    for name in sorted(set(op_types)):
        out.op.append(op_def_to_proto(registry.get_op_def(name)))
    return out
