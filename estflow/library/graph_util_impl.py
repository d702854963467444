"""`tf.graph_util`: GraphDef surgery for freezing and slimming graphs (TF1's graph_util_impl.py).

`convert_variables_to_constants` freezes a trained graph: it keeps what the output nodes
need and turns each variable among it into a Const holding the value the session reads,
so the GraphDef runs with no checkpoint. `extract_sub_graph` and `remove_training_nodes`
are the pieces it and TF1's freeze tools use.
"""

from __future__ import annotations

import copy

from estflow.core import dtypes
from estflow.core.graph import Operation
from estflow.core.graph_io import make_tensor_proto
from estflow.core.protos import graph_pb2, node_def_pb2
from estflow.library import tf_logging

_VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp")


def _node_name(input_name: str) -> str:
    """'^a', 'a:1', 'a' -> 'a'."""
    return input_name.lstrip("^").split(":")[0]


def _check_graph_def(graph_def) -> None:
    if not isinstance(graph_def, graph_pb2.GraphDef):
        raise TypeError(f"graph_def must be a graph_pb2.GraphDef proto, but got type {type(graph_def)}.")


def extract_sub_graph(graph_def, dest_nodes):
    """The part of `graph_def` that `dest_nodes` (node names) need, nodes in their original order,
    as `tf.graph_util.extract_sub_graph`."""
    _check_graph_def(graph_def)
    if isinstance(dest_nodes, (str, bytes)):
        raise TypeError("dest_nodes must be an iterable of strings.")
    by_name = {node.name: node for node in graph_def.node}
    for name in dest_nodes:
        if name not in by_name:
            raise AssertionError(f"{name} is not in graph")
    keep, pending = set(), list(dest_nodes)
    while pending:
        name = pending.pop()
        if name in keep:
            continue
        keep.add(name)
        pending.extend(_node_name(i) for i in by_name[name].input)
    out = graph_pb2.GraphDef()
    out.node.extend(copy.deepcopy(node) for node in graph_def.node if node.name in keep)
    out.library.CopyFrom(graph_def.library)
    out.versions.CopyFrom(graph_def.versions)
    return out


def tensor_shape_from_node_def_name(graph, input_name):
    """The static shape of tensor `input_name` ('node' means 'node:0') of `graph`."""
    if ":" not in input_name:
        input_name = f"{input_name}:0"
    return graph.get_tensor_by_name(input_name).get_shape()


def must_run_on_cpu(node, pin_variables_on_cpu=False) -> bool:
    """Whether TF1 pins `node` (an Operation or NodeDef) to the CPU: int32/string constants,
    int32 stitches and casts from int32, and variables when `pin_variables_on_cpu`."""
    node_def = node.node_def if isinstance(node, Operation) else node
    if not isinstance(node_def, node_def_pb2.NodeDef):
        raise TypeError(f"node must be an Operation or a NodeDef, got {type(node).__name__}")
    if pin_variables_on_cpu and node_def.op in _VARIABLE_OPS:
        return True
    int32, string = dtypes.int32.as_datatype_enum, dtypes.string.as_datatype_enum
    if node_def.op == "Const":
        return node_def.attr["dtype"].type in (int32, string)
    if node_def.op in ("DynamicStitch", "ParallelDynamicStitch"):
        return node_def.attr["T"].type == int32
    if node_def.op == "Cast":
        return node_def.attr["SrcT"].type == int32
    return False


def convert_variables_to_constants(sess, input_graph_def, output_node_names, variable_names_whitelist=None,
                                   variable_names_blacklist=None):
    """`input_graph_def` cut down to `output_node_names`, its variables turned into Consts holding
    their values in `sess`, as `tf.graph_util.convert_variables_to_constants`.

        frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph_def, ["logits"])
    """
    graph_def = extract_sub_graph(input_graph_def, output_node_names)
    names = [node.name for node in graph_def.node if node.op in _VARIABLE_OPS
             and (variable_names_whitelist is None or node.name in variable_names_whitelist)
             and (variable_names_blacklist is None or node.name not in variable_names_blacklist)]
    values = dict(zip(names, sess.run([f"{name}:0" for name in names]), strict=True)) if names else {}
    out = graph_pb2.GraphDef()
    for node in graph_def.node:
        if node.name in values:
            const = out.node.add(name=node.name, op="Const")
            const.attr["dtype"].CopyFrom(node.attr["dtype"])
            const.attr["value"].tensor.CopyFrom(make_tensor_proto(values[node.name],
                                                                  dtype=dtypes.as_dtype(node.attr["dtype"].type)))
        else:
            out.node.add().CopyFrom(node)
    out.library.CopyFrom(graph_def.library)
    out.versions.CopyFrom(graph_def.versions)
    tf_logging.info("Froze %d variables.", len(values))
    tf_logging.info("Converted %d variables to const ops.", len(values))
    return out


def remove_training_nodes(input_graph, protected_nodes=None):
    """`input_graph` without CheckNumerics nodes and with Identity nodes spliced out (their
    consumers read the Identity's input), as `tf.graph_util.remove_training_nodes`.

    Nodes named in `protected_nodes`, Identities with control inputs, those used as control
    inputs and those others are colocated with are kept, as TF1 keeps them.
    """
    protected = set(protected_nodes or ())
    removed = {node.name for node in input_graph.node if node.op == "CheckNumerics" and node.name not in protected}
    kept = []
    for node in input_graph.node:
        if node.name in removed:
            continue
        new = copy.deepcopy(node)
        del new.input[:]
        new.input.extend(i for i in node.input if _node_name(i) not in removed)
        kept.append(new)
    control_inputs, with_control_input, colocated = set(), set(), set()
    for node in kept:
        for i in node.input:
            if i.startswith("^"):
                control_inputs.add(_node_name(i))
                with_control_input.add(node.name)
        if "_class" in node.attr:
            colocated.update(s.decode()[len("loc:@"):] for s in node.attr["_class"].list.s)
    splice = {node.name: node.input[0] for node in kept
              if node.op == "Identity" and node.name not in protected and node.name not in colocated
              and node.name not in with_control_input and node.name not in control_inputs}
    out = graph_pb2.GraphDef()
    for node in kept:
        if node.name in splice:
            continue
        new = out.node.add()
        new.CopyFrom(node)
        del new.input[:]
        for full in node.input:
            control = full.startswith("^")
            while _node_name(full) in splice and (":" not in full or full.endswith(":0")):
                full = splice[_node_name(full)]
            new.input.append(("^" + _node_name(full)) if control and not full.startswith("^") else full)
    return out
