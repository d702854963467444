"""The op registry as a whole: every op type declares how gradients treat it."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.core import registry
from estflow.core.gradients import gradients
from estflow.core.registry import OpDef, register, registered_ops
from tests.core.gradient_check import check_gradient

# Ops that, as in TensorFlow, have no gradient rule yet are differentiable in principle:
# tf.gradients raises LookupError naming them rather than silently passing no gradient.
NO_GRADIENT_RULE = {
    "Lu", "MatrixLogarithm",  # TF registers no gradient for these either
    "TruncateDiv", "TruncateMod",  # TF registers no gradient for these either
    "SparseConcat",  # TF1 has no gradient for SparseConcat
    "SparseSegmentSumGrad", "SparseSegmentMeanGrad", "SparseSegmentSqrtNGrad",  # gradient ops (no 2nd order)
    "LRNGrad", "Dilation2DBackpropInput", "Dilation2DBackpropFilter",  # TF registers no gradient for these either
    "Conv", "Conv2DBackpropInputV2", "Conv2DBackpropFilterV2", "GuaranteeConst", "SparseReduceMax",  # nor TF
    "SparseReduceMaxSparse", "SparseReduceSumSparse", "DenseCountSparseOutput", "SparseCountSparseOutput",  # nor TF
    "IgammaGradA",  # TF registers no gradient for it (igamma's second derivative in a)
    "FFTND", "IFFTND", "RFFTND", "IRFFTND",  # TF 2.15 registers no gradient for these either
    "Bitcast",  # TF registers no gradient for it either
}


def _undeclared_in_a_fresh_interpreter():
    """Ops of `import estflow` alone (test modules register ops of their own) lacking a declaration."""
    code = ("import json, estflow\n"
            "from estflow.core.registry import registered_ops\n"
            "print(json.dumps(sorted(n for n, d in registered_ops().items() if d.grad is None and d.differentiable)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def test_every_op_has_a_gradient_rule_or_is_declared_non_differentiable():
    undeclared = sorted(_undeclared_in_a_fresh_interpreter() - NO_GRADIENT_RULE)
    assert not undeclared, (f"ops with no gradient rule that are not declared differentiable=False: {undeclared}; "
                            "give them a grad rule or declare them non-differentiable where TF does")


def test_the_exceptions_are_registered_and_still_lack_a_rule():
    ops = registered_ops()
    for name in NO_GRADIENT_RULE:
        assert name in ops and ops[name].grad is None and ops[name].differentiable, name


# ---- every op against TensorFlow's own op definitions -----------------------------------------------
# tests/fixtures/tf_op_defs.json holds, for each op type estflow registers, its entry of
# ../shared/golden/api/tf_op_defs.json (written from TF 2.15.1's op registry). A new op type:
#   python -c "import json; d = json.load(open('../shared/golden/api/tf_op_defs.json')); print(json.dumps(d['Op']))"
TF_OP_DEFS = Path(__file__).parent.parent / "fixtures" / "tf_op_defs.json"

# estflow's own op types, which TF lacks.
NOT_TF_OPS: dict[str, str] = {}  # every estflow op type is one of TF's
# (op, attr): attrs that differ from TF's, and why.
ATTR_DEVIATIONS = {
    ("MakeIterator", "dataset"): "extra: the dataset object the iterator runs (estflow has no dataset variant tensors)",
    ("ReduceDataset", "n_state"): "extra: how many inputs are the initial state (TF derives it from Tstate)",
    ("ReduceDataset", "metadata"): "missing: tf.data's options metadata, not modelled",
    ("ReduceDataset", "use_inter_op_parallelism"): "missing: estflow runs dataset functions inline",
    ("DatasetCardinality", "dataset"): "extra: the dataset object it counts (estflow has no dataset variant tensors)",
    ("DatasetToSingleElement", "dataset"): "extra: the dataset object it reads (no dataset variant tensors)",
    ("DatasetToTFRecord", "dataset"): "extra: the dataset object it writes (no dataset variant tensors)",
    ("InitializeTableFromDataset", "dataset"): "extra: the dataset object it reads (no dataset variant tensors)",
    ("SerializeIterator", "outputs"): "a string, not a variant: estflow's iterator state (elements read, seeds) "
                                      "is JSON a checkpoint bundle stores as a string tensor",
    ("RngReadAndSkip", "inputs"): "Ref(int64) for TF's resource: a Generator's state is a TF1 ref variable",
    ("StatefulRandomBinomial", "inputs"): "Ref(int64) for TF's resource: a Generator's state is a TF1 ref variable",
}


def _registry_in_a_fresh_interpreter():
    """Every op estflow registers (all its modules imported; no test-only ops) as TF's OpDef, with the
    attrs estflow itself declares."""
    code = ("import importlib, json, pkgutil, estflow\n"
            "for m in pkgutil.walk_packages(estflow.__path__, 'estflow.'):\n"
            "    if '.protos.' not in m.name:\n"
            "        try:\n"
            "            importlib.import_module(m.name)\n"
            "        except ModuleNotFoundError as e:  # an optional extra (ray, ...) not installed\n"
            "            if (e.name or '').startswith('estflow'):\n"
            "                raise\n"
            "from google.protobuf import json_format\n"
            "from estflow.core import op_def_io\n"
            "from estflow.core.registry import registered_ops\n"
            "print(json.dumps({n: [json_format.MessageToDict(op_def_io.op_def_to_proto(d), "
            "preserving_proto_field_name=True), sorted(d.attrs)] for n, d in registered_ops().items()}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def _args(args: list) -> list:
    return [(a["name"], a.get("type", "DT_INVALID"), a.get("type_attr", ""), a.get("number_attr", ""),
             a.get("type_list_attr", ""), bool(a.get("is_ref"))) for a in args]


def _default(attr: dict, key: str):
    """An attr's default as estflow's Python value (None: none), so equal values compare equal whatever
    their encoding (a tensor's int_val or tensor_content)."""
    from google.protobuf import json_format

    from estflow.core import graph_io
    from estflow.core.protos import attr_value_pb2

    if key not in attr:
        return None
    value = graph_io.attr_from_proto(json_format.ParseDict(attr[key], attr_value_pb2.AttrValue()))
    return value.tolist() if isinstance(value, np.ndarray) else value


def _differences(name: str, ours: dict, estflow_attrs: list, theirs: dict) -> list:
    found = []
    for kind, mine, tfs in (("inputs", ours.get("input_arg", []), theirs["inputs"]),
                            ("outputs", ours.get("output_arg", []), theirs["outputs"])):
        if _args(mine) != _args(tfs):
            found.append((name, kind, f"estflow {_args(mine)} != TF {_args(tfs)}"))
    mine = {a["name"]: a for a in ours.get("attr", [])}
    tfs = {a["name"]: a for a in theirs["attrs"]}
    for key in sorted(set(estflow_attrs) - set(tfs)):
        found.append((name, key, "extra attr"))
    for key in sorted(set(tfs) - set(mine)):
        found.append((name, key, "missing attr"))
    for key in sorted(set(mine) & set(tfs)):
        a, b = mine[key], tfs[key]
        if a["type"] != b["type"]:
            found.append((name, key, f"type {a['type']} != TF {b['type']}"))
        if int(a.get("minimum", 0)) != int(b.get("minimum", 0)) or bool(a.get("has_minimum")) != ("minimum" in b):
            found.append((name, key, f"minimum {a.get('minimum')} != TF {b.get('minimum')}"))
        if _default(a, "default_value") != _default(b, "default"):
            found.append((name, key, f"default {a.get('default_value')} != TF {b.get('default')}"))
    if bool(ours.get("is_stateful")) != bool(theirs.get("is_stateful")):
        found.append((name, "is_stateful", f"{bool(ours.get('is_stateful'))} != TF"))
    return found


def test_every_op_has_tensorflows_args_attrs_and_defaults():
    """Same input and output args (names, types, list attrs, refs), attrs (names, types, minimums,
    defaults) and statefulness as TF's op, except the deviations declared above, which must all hold."""
    theirs = json.loads(TF_OP_DEFS.read_text())
    ours = _registry_in_a_fresh_interpreter()
    assert sorted(set(ours) - set(theirs)) == sorted(NOT_TF_OPS), (
        "op types TF lacks (list them in NOT_TF_OPS with a reason) or missing from tests/fixtures/tf_op_defs.json "
        "(copy their entry from ../shared/golden/api/tf_op_defs.json)")
    found = []
    for name in sorted(set(ours) & set(theirs)):
        found += _differences(name, *ours[name], theirs[name])
    deviations = {(op, key) for op, key, _ in found}
    unexplained = [f for f in found if (f[0], f[1]) not in ATTR_DEVIATIONS]
    assert not unexplained, "\n".join(map(str, unexplained))
    assert deviations == set(ATTR_DEVIATIONS), f"stale ATTR_DEVIATIONS entries: {set(ATTR_DEVIATIONS) - deviations}"


def test_attr_types_cover_the_attrs_and_the_arguments():
    """`attr_types` types every attr: estflow's own and those the arguments name, nothing else."""
    for name, op_def in registered_ops().items():
        if name in NOT_TF_OPS:
            continue
        named = {a.type_attr or a.type_list_attr for a in op_def.input_args + op_def.output_args} - {""}
        named |= {a.number_attr for a in op_def.input_args + op_def.output_args} - {""}
        private = {key for op, key in ATTR_DEVIATIONS if op == name} & set(op_def.attrs)
        assert set(op_def.attr_types) == (set(op_def.attrs) | named) - private, name


def test_ops_with_string_or_handle_arguments_run_on_the_cpu():
    """cupy has no string arrays and handles are host objects: such ops are `cpu_only`."""
    for name, op_def in registered_ops().items():
        host = [a.name for a in op_def.input_args + op_def.output_args if a.type in ("string", "resource", "variant")]
        assert not host or op_def.cpu_only, (name, host)


def test_argument_and_attr_declarations_parse_tfs_syntax():
    from estflow.core.registry import ArgDef, AttrDef

    types = {"T": "type", "N": "int >= 1", "dtypes": "list(type) >= 1"}
    assert ArgDef.parse("values: N * T", types) == ArgDef("values", type_attr="T", number_attr="N")
    assert ArgDef.parse("keys: N * string", types) == ArgDef("keys", type="string", number_attr="N")
    assert ArgDef.parse("tensors: dtypes", types) == ArgDef("tensors", type_list_attr="dtypes")
    assert ArgDef.parse("ref: Ref(T)", types) == ArgDef("ref", type_attr="T", is_ref=True)
    assert ArgDef.parse("pred: bool", types) == ArgDef("pred", type="bool")
    import pytest

    with pytest.raises(ValueError, match="neither an attr"):
        ArgDef.parse("x: Tx", types)
    assert AttrDef.parse("N", "int >= 2") == AttrDef("N", "int", minimum=2)
    assert AttrDef.parse("Tidx", "type = int32") == AttrDef("Tidx", "type", tf.int32)
    with pytest.raises(ValueError, match="OpDef.attrs"):
        AttrDef.parse("b", "bool = true")
    with pytest.raises(ValueError, match="'name: type'"):
        OpDef("Bad", infer=lambda x: x, input_names=("x",))


def test_list_arguments_split_flat_tensors():
    ops = registered_ops()
    concat = ops["SparseConcat"]  # indices: N * int64, values: N * T, shapes: N * int64
    assert concat.arg_lengths(concat.input_args, 6, {}) == [2, 2, 2]
    assert concat.output_arg_ref(1, 3, {"N": 2}) == ("output_values", 0)
    unpack = ops["Unpack"]
    assert unpack.output_arg_ref(2, 4, {"num": 4}) == ("output", 2)
    assert unpack.flat_output_index("output", 3, 4, {"num": 4}) == 3
    assert unpack.flat_output_index("missing", 0, 4, {"num": 4}) is None


def test_python_operands_are_named_after_their_argument():
    g = tf.Graph()
    with g.as_default():
        total = tf.add_n([np.float32(1.0), np.float32(2.0)], name="total")
        both = tf.concat([[1.0], [2.0]], 0, name="both")
    names = {op.name for op in g.get_operations()}
    assert {"total/inputs_0", "total/inputs_1", "both/values_0", "both/values_1", "both/axis"} <= names
    assert total.op.name == "total" and both.op.name == "both"


def test_register_refuses_a_second_definition():
    import pytest

    with pytest.raises(KeyError, match="already registered"):
        register(OpDef("AddV2", infer=lambda x, y: x))


def test_non_differentiable_ops_pass_no_gradient():
    g = tf.Graph()
    with g.as_default():
        s = tf.placeholder(tf.string, shape=[2])
        x = tf.placeholder(tf.float32, shape=[2])
        y = tf.string_to_number(s) * x
        ds, dx = gradients(tf.reduce_sum(y), [s, x])
        assert ds is None
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(dx, {s: ["1.5", "2"], x: [1.0, 1.0]}), [1.5, 2.0])


def test_second_derivative_through_broadcast_summing():
    # d/dx of sum(d/dy sum(x * y)) where y broadcasts: the gradient of the Sum/Reshape that summed it.
    def build(x, y):
        (dy,) = gradients(tf.reduce_sum(x * x * y), [y])
        return dy * x

    check_gradient(build, [np.random.rand(3, 4) + 0.5, np.random.rand(4) + 0.5], wrt=[0], none_batch=True)


ISSUE_OPS = """
Const Placeholder PlaceholderWithDefault Identity NoOp Fill ZerosLike OnesLike Range LinSpace Shape Size Rank
AddV2 Sub Mul RealDiv FloorDiv FloorMod Pow Neg Abs Sign Square Sqrt Rsqrt Reciprocal Exp Expm1 Log Log1p Sin Cos
Tanh Sigmoid Erf Floor Ceil Round Maximum Minimum SquaredDifference Less LessEqual Greater GreaterEqual Equal
NotEqual LogicalAnd LogicalOr LogicalNot Select SelectV2 Cast IsNan IsFinite ClipByValue
MatMul BatchMatMulV2 AddN Sum Mean Max Min Prod All Any ArgMax ArgMin Cumsum Cumprod
Reshape Transpose ExpandDims Squeeze ConcatV2 Pack Unpack Split SplitV Slice StridedSlice Tile Pad ReverseV2
BroadcastTo GatherV2 GatherNd ScatterNd Where Unique TopKV2 OneHot Bucketize InvertPermutation
Relu Relu6 Elu Selu Softplus Softsign LeakyRelu Softmax LogSoftmax BiasAdd
RandomUniform RandomUniformInt RandomStandardNormal TruncatedNormal RandomShuffle Multinomial
AsString StringToNumber StringJoin StringSplit Substr StringLength RegexReplace
""".split()


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("op_type", ISSUE_OPS)
def test_op_type_registered(op_type):
    assert op_type in registry.registered_ops()


@pytest.mark.usefixtures("g")
def test_public_functions_build_their_tf_op_types():
    x = tf.constant([[1.0, -2.0]])
    u = tf.placeholder(tf.float32)  # unknown shape: TF1 folds shape/size/rank/zeros_like of known shapes to Const
    from estflow.core.ops import gather_ops  # Bucketize has no TF1 public function

    built = {
        "Fill": tf.fill([2], 1.0), "ZerosLike": tf.zeros_like(u),
        "Range": tf.range(3), "LinSpace": tf.lin_space(0.0, 1.0, 3), "Shape": tf.shape(u), "Size": tf.size(u),
        "Rank": tf.rank(u), "SquaredDifference": tf.squared_difference(x, x), "Select": tf.where(x > 0, x, x),
        "SelectV2": tf.where_v2(x > 0, x, x), "ClipByValue": tf.clip_by_value(x, 0.0, 1.0),
        "BatchMatMulV2": tf.matmul(tf.ones([2, 2, 2]), tf.ones([2, 2, 2])), "AddN": tf.add_n([x, x]),
        "Cumsum": tf.cumsum(x, axis=1), "ConcatV2": tf.concat([x, x], 0), "Pack": tf.stack([x, x]),
        "GatherV2": tf.gather(x, [0]), "TopKV2": tf.nn.top_k(x, 1)[0], "OneHot": tf.one_hot([1], 3),
        "Relu": tf.nn.relu(x), "LeakyRelu": tf.nn.leaky_relu(x), "BiasAdd": tf.nn.bias_add(x, [1.0, 1.0]),
        "RandomUniformInt": tf.random_uniform([2], 0, 5, dtype=tf.int32), "AsString": tf.as_string(x),
        "StringToNumber": tf.string_to_number(["1.5"]),
        "RegexReplace": tf.regex_replace(["aa"], tf.constant("a"), "b"),  # a str pattern gives StaticRegexReplace
        "StringLength": tf.strings.length(["abc"]), "Bucketize": gather_ops.bucketize([1.0], [0.5]),
        "Where": tf.where(x > 0), "Substr": tf.substr(["hello"], 1, 2),
    }
    for op_type, t in built.items():
        assert t.op.type == op_type, (op_type, t.op.type)
    tf.random_normal([2])
    tf.truncated_normal([2])
    types = {op.type for op in tf.get_default_graph().get_operations()}
    assert {"RandomStandardNormal", "TruncatedNormal"} <= types
