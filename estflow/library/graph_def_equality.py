"""`tf.test.assert_equal_graph_def`: two GraphDefs hold the same nodes, whatever their order.

As TF's `EqualGraphDef`: nodes are matched by name; each pair must agree on op, device,
data inputs (in order), control inputs (as a set) and attrs (those starting with "_" are
internal and ignored). Versions and the function library are not compared. The first
difference raises AssertionError with TF's message.
"""

from __future__ import annotations

from estflow.core.protos import graph_pb2

__all__ = ["assert_equal_graph_def"]


def _attr_summary(value) -> str:
    return " ".join(str(value).split())


def _node_summary(node) -> str:
    attrs = ", ".join(f"{k}={_attr_summary(node.attr[k])}" for k in sorted(node.attr))
    return f"{node.name} = {node.op}[{attrs}]({', '.join(node.input)})"


def _node_difference(actual, expected) -> str | None:
    name = actual.name
    if actual.op != expected.op:
        return f"Node named '{name}' has op '{actual.op}' that is not expected '{expected.op}'"
    if actual.device != expected.device:
        return f"Node named '{name}' has device '{actual.device}' that is not expected '{expected.device}'"
    actual_data = [i for i in actual.input if not i.startswith("^")]
    expected_data = [i for i in expected.input if not i.startswith("^")]
    for index, (a, e) in enumerate(zip(actual_data, expected_data)):
        if a != e:
            return f"Node named '{name}' has input {index} '{a}' that doesn't match expected '{e}'"
    if len(actual_data) != len(expected_data):
        return (f"Node named '{name}' has inputs '{', '.join(actual.input)}' that don't match expected "
                f"'{', '.join(expected.input)}'")
    actual_control = {i for i in actual.input if i.startswith("^")}
    expected_control = {i for i in expected.input if i.startswith("^")}
    for control in sorted(expected_control - actual_control):
        return f"Node named '{name}' missing expected control input '{control}'"
    for control in sorted(actual_control - expected_control):
        return f"Node named '{name}' has unexpected control input '{control}'"
    for key in sorted(actual.attr):
        if key.startswith("_"):
            continue
        if key not in expected.attr:
            return f"Node named '{name}' has unexpected attr '{key}' with value: {_attr_summary(actual.attr[key])}"
        if actual.attr[key] != expected.attr[key]:
            return (f"Node named '{name}' has attr '{key}' with value: {_attr_summary(actual.attr[key])} that does "
                    f"not match expected: {_attr_summary(expected.attr[key])}")
    for key in sorted(expected.attr):
        if not key.startswith("_") and key not in actual.attr:
            return f"Node named '{name}' missing expected attr '{key}' with value: {_attr_summary(expected.attr[key])}"
    return None


def assert_equal_graph_def(actual, expected, checkpoint_v2=False, hash_table_shared_name=False):
    """Raise AssertionError naming the first difference between GraphDefs `actual` and `expected`.

    `checkpoint_v2=True` ignores the random temp-directory names a V2 Saver puts in its graph
    (`_temp_<hex>/part` constants); `hash_table_shared_name=True` ignores the `shared_name`
    of hash-table nodes (`hash_table_<uid>`).
    """
    for value, what in ((actual, "actual"), (expected, "expected")):
        if not isinstance(value, graph_pb2.GraphDef):
            raise TypeError(f"Expected tf.GraphDef for {what}, got {type(value).__name__}")
    if checkpoint_v2 or hash_table_shared_name:  # compare copies with the random names taken out
        actual = graph_pb2.GraphDef.FromString(actual.SerializeToString())
        expected = graph_pb2.GraphDef.FromString(expected.SerializeToString())
        for graph_def in (actual, expected):
            for node in graph_def.node:
                if checkpoint_v2 and node.op == "Const" and any(b"_temp_" in v
                                                                 for v in node.attr["value"].tensor.string_val):
                    node.attr["value"].tensor.ClearField("string_val")
                if hash_table_shared_name and "HashTable" in node.op and "shared_name" in node.attr:
                    del node.attr["shared_name"]
    actual_nodes = {node.name: node for node in actual.node}
    for expected_node in expected.node:
        actual_node = actual_nodes.pop(expected_node.name, None)
        if actual_node is None:
            raise AssertionError(f"Did not find expected node '{_node_summary(expected_node)}'")
        difference = _node_difference(actual_node, expected_node)
        if difference:
            raise AssertionError(difference)
    if actual_nodes:
        raise AssertionError(f"Found unexpected node '{_node_summary(next(iter(actual_nodes.values())))}'")
