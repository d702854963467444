"""NodeDefs checked against their OpDef as TensorFlow checks them (messages in TF's words)."""

import importlib.util
from pathlib import Path

import pytest
from google.protobuf import text_format

from estflow.core import node_def_check
from estflow.core.op_allowed_values import ALLOWED
from estflow.core.protos import node_def_pb2, tensor_pb2
from estflow.core.registry import registered_ops

ROOT = Path(__file__).resolve().parent.parent.parent


def test_allowed_values_are_tensorflows_for_every_registered_op():
    """op_allowed_values.py is scripts/gen_op_allowed_values.py's rendering of tests/fixtures/tf_op_defs.json:
    a new op's fixture entry needs the script rerun."""
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_op_allowed_values.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    import json

    expected = gen.allowed_values(json.loads((ROOT / "tests" / "fixtures" / "tf_op_defs.json").read_text()))
    assert ALLOWED == expected, "rerun: python scripts/gen_op_allowed_values.py"
    assert (ROOT / "estflow" / "core" / "op_allowed_values.py").read_text() == gen.render(expected)


def test_attr_defs_carry_the_allowed_values():
    ops = registered_ops()
    assert ops["AddV2"].attr_defs["T"].allowed[:3] == ("bfloat16", "half", "float")
    assert ops["BiasAdd"].attr_defs["data_format"].allowed == ("NHWC", "NCHW")
    assert ops["Identity"].attr_defs["T"].allowed is None  # TF allows every type


def test_op_def_summary_is_tfs():
    assert node_def_check.summarize_op_def(registered_ops()["AddN"]).startswith(
        "Op<name=AddN; signature=inputs:N*T -> sum:T; attr=N:int,min=1; attr=T:type,allowed=[DT_FLOAT, DT_DOUBLE,")


def _node(text: str):
    return text_format.Parse(text, node_def_pb2.NodeDef())


def test_function_body_nodes_take_function_style_inputs():
    add = registered_ops()["AddV2"]
    node = _node('name: "add" op: "AddV2" input: "x:output:0" input: "y" attr { key: "T" value { type: DT_FLOAT } }')
    node_def_check.check_node_def(node, add, graph_style=False)
    with pytest.raises(ValueError, match="Illegal op input name 'x:output:0'"):
        node_def_check.check_node_def(node, add)


def test_output_types_and_counts_come_from_the_attrs():
    ops = registered_ops()
    split = _node('name: "s" op: "Split" attr { key: "T" value { type: DT_INT64 } } '
                  'attr { key: "num_split" value { i: 3 } }')
    assert node_def_check.num_outputs(split, ops["Split"]) == 3
    assert node_def_check.output_type(split, ops["Split"], 2) == 9  # DT_INT64
    assert node_def_check.output_type(split, ops["Split"], 3) is None


@pytest.mark.parametrize("tensor, problem", [
    ("dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 1", None),
    ("dtype: DT_COMPLEX64 tensor_shape { } scomplex_val: 1",
     "scomplex_val holds 1 numbers: complex values come in (real, imaginary) pairs"),
    ("dtype: DT_INT32 tensor_shape { dim { size: 2 } } tensor_content: '12345678' int_val: 1",
     "TensorProto holds both tensor_content and int_val"),
    ("dtype: DT_FLOAT tensor_shape { unknown_rank: true }", "TensorProto has a shape of unknown rank"),
    ("dtype: 0 tensor_shape { }", "TensorProto has invalid DataType enum: 0"),
])
def test_tensor_proto_problems(tensor, problem):
    got = node_def_check.tensor_proto_problem(text_format.Parse(tensor, tensor_pb2.TensorProto()))
    if problem is None:
        assert got is None, got
    else:
        assert got is not None and got.startswith(problem), got
