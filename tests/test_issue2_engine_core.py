"""Audit of issue 2 (engine core): every behaviour the issue names, written as a TF1 user would write it.

Each test is a short TF1 program through `import estflow as tf`. A behaviour that does not work yet is an
`xfail(strict=True)` naming what is wrong, so it flips when fixed.
"""

import collections
import os
import re
import subprocess
import sys
import threading

import numpy as np
import pytest

import estflow
import estflow as tf
from estflow.core import devices, registry

HAS_GPU = devices.cupy_module() is not None
gpu = [pytest.mark.gpu, pytest.mark.skipif(not HAS_GPU, reason="needs cupy and a CUDA GPU")]


@pytest.fixture(autouse=True)
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


def _fresh_process(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


# ----------------------------------------------------------------------------------------------- 1. the project


def test_version_is_pep440():
    pep440 = (r"^([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?"
              r"(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?$")
    assert re.match(pep440, estflow.__version__)


def test_project_files():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "estflow" and meta["requires-python"] == ">=3.11"
    assert {"gpu", "test", "dev"} <= set(meta["optional-dependencies"])
    ci = root / ".ci" / "run"
    assert ci.exists() and os.access(ci, os.X_OK)
    readme = (root / "README.md").read_text()
    assert 'pip install -q -e ".[test]" && python -m pytest -q' in readme and "pip install -q -e \".[test]\" && " \
        "python -m pytest -q" in ci.read_text()
    assert "python examples/first_programs.py" in readme


def test_example_first_programs_runs():
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "first_programs.py"
    proc = _fresh_process(example.read_text())
    assert proc.returncode == 0, proc.stderr
    assert "tf.add(3, 5) = 8" in proc.stdout and "20 8 120 -42" in proc.stdout


def test_compat_v1_is_the_top_level():
    assert tf.compat.v1 is tf
    assert tf.compat.v1.Session is tf.Session
    assert tf.compat.v1.placeholder is tf.placeholder


def test_classic_first_program():
    a = tf.add(3, 5)
    with tf.compat.v1.Session() as sess:
        out = sess.run(a)
    assert out == 8 and isinstance(out, np.int32)


def test_tf1_submodules_reachable_from_top_level():
    """TF1 code writes `tf.nn.relu`, `tf.dtypes.float32`... straight after `import tensorflow as tf`."""
    names = ["nn", "dtypes", "train", "errors", "summary", "losses", "metrics", "random", "sparse", "strings",
             "initializers", "linalg", "compat"]
    proc = _fresh_process(f"import estflow as tf; print([n for n in {names!r} if not hasattr(tf, n)])")
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


# ----------------------------------------------------------------------------------------------- 2. graph


def test_default_graph_stack_and_side_by_side_graphs(g):
    assert tf.get_default_graph() is g
    g2 = tf.Graph()
    with g2.as_default():
        assert tf.get_default_graph() is g2
        c2 = tf.constant(2.0)
    assert tf.get_default_graph() is g
    c1 = tf.constant(1.0)
    assert c1.graph is g and c2.graph is g2
    with tf.Session(graph=g2) as sess:
        assert sess.graph is g2
        assert sess.run(c2) == 2.0


def test_default_graph_is_thread_local(g):
    seen = []
    t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
    t.start()
    t.join()
    assert seen[0] is not g


def test_reset_default_graph_replaces_global_graph():
    code = (
        "import estflow as tf\n"
        "a = tf.constant(1.0); g = tf.get_default_graph()\n"
        "tf.reset_default_graph()\n"
        "assert tf.get_default_graph() is not g\n"
        "assert tf.get_default_graph().get_operations() == []\n"
    )
    proc = _fresh_process(code)
    assert proc.returncode == 0, proc.stderr


def test_mixing_graphs_raises_value_error(g):
    a = tf.constant(1.0)
    with tf.Graph().as_default():
        b = tf.constant(2.0)
    with pytest.raises(ValueError, match="must be from the same graph"):
        tf.add(a, b)


def test_op_naming_exactly_as_tf1():
    a = tf.add(3, 5)
    b = tf.add(3, 5)
    with tf.name_scope("scope"):
        m = tf.matmul([[1.0]], [[2.0]])
    c = tf.constant(1, name="c")
    c1 = tf.constant(1, name="c")
    assert (a.op.name, b.op.name, m.op.name) == ("Add", "Add_1", "scope/MatMul")
    assert (c.name, c1.name) == ("c:0", "c_1:0")
    assert a.name == "Add:0"


def test_name_scope_nested_absolute_and_none():
    with tf.name_scope("outer"):
        with tf.name_scope("inner"):
            x = tf.constant(1, name="x")
        with tf.name_scope("abs/"):
            y = tf.constant(1, name="y")
        with tf.name_scope(None):
            z = tf.constant(1, name="z")
    with tf.name_scope("outer"):
        w = tf.constant(1, name="w")
    assert (x.op.name, y.op.name, z.op.name) == ("outer/inner/x", "abs/y", "z")
    assert w.op.name == "outer_1/w"


def test_graph_lookups(g):
    a = tf.constant(1.0, name="a")
    b = tf.identity(a, name="b")
    assert g.get_operation_by_name("b") is b.op
    assert g.get_tensor_by_name("a:0") is a
    assert [op.name for op in g.get_operations()] == ["a", "b"]
    with pytest.raises(KeyError):
        g.get_operation_by_name("nope")


def test_collections_with_scope_filter(g):
    with tf.name_scope("s1"):
        a = tf.constant(1, name="a")
    with tf.name_scope("s2"):
        b = tf.constant(2, name="b")
    tf.add_to_collection("things", a)
    tf.add_to_collections(["things", "other"], b)
    assert tf.get_collection("things") == [a, b]
    assert tf.get_collection("things", scope="s1") == [a]
    assert tf.get_collection("things", scope="s") == [a, b]  # re.match on the name, as TF
    assert tf.get_collection("things", scope="s.*b") == [b]
    assert tf.get_collection("other") == [b]
    ref = tf.get_collection_ref("things")
    ref.append("x")
    assert tf.get_collection("things")[-1] == "x"
    assert tf.get_collection("missing") == []
    assert tf.GraphKeys.GLOBAL_VARIABLES == "variables"
    assert tf.GraphKeys.TRAINABLE_VARIABLES == "trainable_variables"


def test_control_dependencies_and_none_clears():
    a = tf.constant(1, name="a")
    with tf.control_dependencies([a]):
        b = tf.constant(2, name="b")
        with tf.control_dependencies(None):
            c = tf.constant(3, name="c")
    assert b.op.control_inputs == [a.op]
    assert c.op.control_inputs == []


def test_device_scopes():
    with tf.device("/cpu:0"):
        a = tf.constant(1.0)
        with tf.device(None):
            b = tf.constant(2.0)
    assert a.device == "/device:CPU:0"
    assert a.op.device == "/device:CPU:0"
    assert b.device == ""
    with tf.device("/gpu:1"):
        c = tf.constant(1.0)
    with tf.device("/device:GPU:2"):
        d = tf.constant(1.0)
    assert (c.device, d.device) == ("/device:GPU:1", "/device:GPU:2")


def test_finalize_then_new_op_raises_runtime_error(g):
    tf.constant(1.0)
    g.finalize()
    assert g.finalized
    with pytest.raises(RuntimeError, match="Graph is finalized and cannot be modified"):
        tf.constant(2.0)


# ----------------------------------------------------------------------------------------------- Tensor/Operation


def test_tensor_properties(g):
    x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
    y = tf.identity(x, name="y")
    tf.square(x, name="z")
    assert x.name == "x:0" and x.op.name == "x" and x.dtype == tf.float32
    assert x.shape.as_list() == [None, 3] and x.get_shape().as_list() == [None, 3]
    assert x.graph is g and x.value_index == 0
    assert set(op.name for op in x.consumers()) == {"y", "z"}
    assert y.op.type == "Identity"
    assert list(y.op.inputs) == [x] and y.op.outputs == [y]


def test_tensor_eval_with_feed_and_session():
    x = tf.placeholder(tf.float32, shape=[2])
    y = x * 2.0
    sess = tf.Session()
    assert y.eval(feed_dict={x: [1.0, 2.0]}, session=sess).tolist() == [2.0, 4.0]
    with sess.as_default():
        assert y.eval(feed_dict={x: [3.0, 4.0]}).tolist() == [6.0, 8.0]
    sess.close()


def test_operation_properties_get_attr_and_run():
    a = tf.matmul([[1.0, 2.0]], [[3.0], [4.0]], transpose_a=False, transpose_b=False, name="mm")
    op = a.op
    assert op.name == "mm" and op.type == "MatMul"
    assert op.get_attr("transpose_a") is False
    assert len(op.inputs) == 2 and op.outputs == [a] and op.control_inputs == [] and op.device == ""
    v = tf.Variable(1.0)
    inc = tf.assign_add(v, 1.0).op
    with tf.Session() as sess:
        sess.run(v.initializer)
        inc.run()
        assert sess.run(v) == 2.0


def test_operators_arithmetic():
    a = tf.constant([7.0, -8.0])
    b = tf.constant([2.0, 3.0])
    i = tf.constant([7, -8])
    j = tf.constant([2, 3])
    m = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    out = run([a + b, a - b, a * b, a / b, i // j, i % j, a ** b, m @ m, -a, abs(a), 1.0 + a, 10 - i])
    np.testing.assert_allclose(out[0], [9, -5])
    np.testing.assert_allclose(out[1], [5, -11])
    np.testing.assert_allclose(out[2], [14, -24])
    np.testing.assert_allclose(out[3], [3.5, -8 / 3], rtol=1e-6)
    assert out[4].tolist() == [3, -3]  # floor division, as TF
    assert out[5].tolist() == [1, 1]  # floor mod, as TF
    np.testing.assert_allclose(out[6], [49, -512])
    np.testing.assert_allclose(out[7], [[7, 10], [15, 22]])
    np.testing.assert_allclose(out[8], [-7, 8])
    np.testing.assert_allclose(out[9], [7, 8])
    np.testing.assert_allclose(out[10], [8, -7])
    assert out[11].tolist() == [3, 18]


def test_get_attr_type_attr():
    a = tf.matmul([[1.0]], [[2.0]])
    assert "T" in a.op.node_def.attr
    assert a.op.get_attr("T") == tf.float32


def test_operator_op_types():
    a = tf.constant(1.0)
    assert (a + a).op.name == "add"
    assert (a + a).op.type == "AddV2"
    assert (a - a).op.type == "Sub"
    assert (a * a).op.type == "Mul"
    assert (a / a).op.type == "RealDiv"
    assert (a // a).op.type == "FloorDiv"
    assert (a % a).op.type == "FloorMod"
    assert (a ** a).op.type == "Pow"
    assert (-a).op.type == "Neg"
    assert abs(a).op.type == "Abs"
    assert (a + 2.0).op.inputs[1].op.name == "add_2/y"  # operator operands are named "<op>/y", as TF1


def test_public_function_operand_names_as_tf1():
    a = tf.constant(1.0, name="a")
    assert tf.add(a, 2.0, name="b").op.inputs[1].op.name == "b/y"
    assert tf.multiply(a, 3.0).op.inputs[1].op.name == "Mul/y"


def test_comparison_and_boolean_operators():
    a = tf.constant([1, 2, 3])
    t = tf.constant([True, True, False])
    f = tf.constant([True, False, False])
    out = run([a < 2, a <= 2, a > 2, a >= 2, t & f, t | f, ~t, t ^ f])
    assert [o.tolist() for o in out] == [
        [True, False, False], [True, True, False], [False, False, True], [False, True, True],
        [True, False, False], [True, True, False], [False, False, True], [False, True, False],
    ]


def test_getitem_strided_slice():
    x = tf.constant(np.arange(24).reshape(2, 3, 4))
    ref = np.arange(24).reshape(2, 3, 4)
    cases = [
        (x[1], ref[1]),
        (x[-1, 1:], ref[-1, 1:]),
        (x[:, ::2, 1:3], ref[:, ::2, 1:3]),
        (x[..., -1], ref[..., -1]),
        (x[:, tf.newaxis, 0], ref[:, np.newaxis, 0]),
        (x[::-1, :, ::-2], ref[::-1, :, ::-2]),
        (x[0, 1, 2], ref[0, 1, 2]),
    ]
    assert x[1].op.type == "StridedSlice"
    out = run([c[0] for c in cases])
    for got, (t, want) in zip(out, cases):
        assert t.shape.as_list() == list(want.shape)
        np.testing.assert_array_equal(got, want)
    assert tf.newaxis is None


def test_iterating_a_tensor_raises_type_error():
    x = tf.constant([1, 2, 3])
    with pytest.raises(TypeError, match="Tensor objects are only iterable when eager execution is enabled"):
        iter(x)
    with pytest.raises(TypeError):
        for _ in x:
            pass


def test_bool_of_tensor_raises_type_error():
    x = tf.constant(True)
    with pytest.raises(TypeError, match=r"Using a `tf.Tensor` as a Python `bool` is not allowed"):
        bool(x)
    with pytest.raises(TypeError):
        if x:
            pass


# ----------------------------------------------------------------------------------------------- 3. dtypes, shapes


def test_dtypes_compare_to_numpy_and_enum_numbers():
    assert tf.int32 == np.int32 and tf.float32 == np.float32 and tf.float64 == np.float64
    assert tf.float32 != tf.float64
    enums = {
        tf.float32: 1, tf.float64: 2, tf.int32: 3, tf.uint8: 4, tf.int16: 5, tf.int8: 6, tf.string: 7,
        tf.complex64: 8, tf.int64: 9, tf.bool: 10, tf.uint16: 17, tf.complex128: 18, tf.float16: 19,
    }
    for dt, num in enums.items():
        assert dt.as_datatype_enum == num, dt
        assert tf.as_dtype(num) is dt
    assert tf.as_dtype(np.float32) is tf.float32 and tf.as_dtype("int64") is tf.int64
    assert tf.as_dtype(np.dtype("bool")) is tf.bool
    assert tf.half is tf.float16 and tf.double is tf.float64
    import estflow.dtypes

    assert estflow.dtypes.float32 is tf.float32 and estflow.dtypes.as_dtype("float64") is tf.float64


def test_dtype_properties():
    assert tf.float32.is_floating and not tf.int32.is_floating
    assert tf.int32.is_integer and tf.bool.is_bool and tf.complex64.is_complex
    assert tf.int8.min == -128 and tf.int8.max == 127 and tf.uint8.max == 255
    assert tf.float16.max == float(np.finfo(np.float16).max)
    assert tf.float32.base_dtype is tf.float32
    assert tf.float32.name == "float32" and tf.string.name == "string"
    assert tf.float32.as_numpy_dtype is np.float32


def test_dtype_ref_base_dtype():
    v = tf.Variable(1.0)
    assert v.dtype.base_dtype is tf.float32


def test_tensorshape_and_dimension():
    s = tf.TensorShape([None, 3])
    assert s.as_list() == [None, 3] and s.ndims == 2 and s.num_elements() is None
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    with pytest.raises(ValueError):
        s.merge_with([5, 4])
    assert tf.TensorShape([2, 3]).num_elements() == 6
    unknown = tf.TensorShape(None)
    assert unknown.ndims is None
    with pytest.raises(ValueError):
        unknown.as_list()
    assert tf.Dimension(None).value is None and tf.Dimension(3).value == 3
    assert tf.Dimension(3) == 3 and tf.Dimension(None).is_compatible_with(7)
    assert s[1] == 3 and s.dims[0].value is None


def test_shape_index_has_tf1_value_for_known_dims():
    x = tf.placeholder(tf.float32, [None, 3])
    assert x.get_shape()[1].value == 3 and x.shape[1] == 3
    assert tf.dimension_value(x.shape[0]) is None and tf.dimension_value(x.shape[1]) == 3


@pytest.mark.xfail(strict=True, reason="unknown dims index as None (TF2's form), so TF1's `shape[0].value` raises "
                                       "AttributeError; known dims answer `.value`. Use tf.dimension_value.")
def test_unknown_dim_value_is_none_as_tf1():
    x = tf.placeholder(tf.float32, [None, 3])
    assert x.shape[0].value is None


def test_constant_dtype_inference():
    assert tf.constant(1.5).dtype == tf.float32
    assert tf.constant(1).dtype == tf.int32
    assert tf.constant("a").dtype == tf.string and tf.constant(b"a").dtype == tf.string
    assert tf.constant(True).dtype == tf.bool
    assert tf.constant([[1, 2], [3, 4]]).shape.as_list() == [2, 2]
    assert tf.constant(np.zeros(3, np.float64)).dtype == tf.float64
    assert tf.convert_to_tensor([1.0, 2.0]).dtype == tf.float32
    assert tf.constant(np.array(7, np.int64)).dtype == tf.int64


def test_constant_scalar_filled_to_shape_and_dtype_cast():
    c = tf.constant(7, dtype=tf.float32, shape=[2, 3], name="seven")
    assert c.name == "seven:0" and c.shape.as_list() == [2, 3]
    out = run(c)
    assert out.dtype == np.float32 and out.tolist() == [[7.0] * 3] * 2


def test_constant_strings_hold_bytes():
    assert run(tf.constant(["héllo", b"x"])).tolist() == ["héllo".encode(), b"x"]


# ----------------------------------------------------------------------------------------------- 4. ops registry

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


@pytest.mark.parametrize("op_type", ISSUE_OPS)
def test_op_type_registered(op_type):
    assert op_type in registry.registered_ops()


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


def test_ops_against_numpy():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], np.float32)
    t = tf.constant(x)
    out = run({
        "sum": tf.reduce_sum(t, axis=1, keepdims=True), "mean": tf.reduce_mean(t), "max": tf.reduce_max(t, 0),
        "argmax": tf.argmax(t, axis=1), "cumprod": tf.cumprod(t, axis=1), "tile": tf.tile(t, [1, 2]),
        "pad": tf.pad(t, [[1, 0], [0, 1]]), "rev": tf.reverse(t, [1]), "tr": tf.transpose(t),
        "split": tf.split(t, [1, 2], axis=1), "unstack": tf.unstack(t), "sqz": tf.squeeze(tf.expand_dims(t, 0)),
        "gnd": tf.gather_nd(t, [[0, 1], [1, 2]]), "snd": tf.scatter_nd([[1], [3]], [5, 6], [4]),
        "uniq": tf.unique([3, 1, 3, 2])[0], "inv": tf.invert_permutation([2, 0, 1]),
        "bcast": tf.broadcast_to([1, 2], [2, 2]), "slice": tf.slice(t, [0, 1], [2, 2]),
        "erf": tf.erf(t), "round": tf.round(tf.constant([0.5, 1.5, 2.5])),
    })
    np.testing.assert_allclose(out["sum"], x.sum(1, keepdims=True))
    np.testing.assert_allclose(out["mean"], x.mean(), rtol=1e-6)
    np.testing.assert_allclose(out["max"], x.max(0))
    assert out["argmax"].dtype == np.int64 and out["argmax"].tolist() == [2, 1]
    np.testing.assert_allclose(out["cumprod"], np.cumprod(x, 1))
    np.testing.assert_allclose(out["tile"], np.tile(x, [1, 2]))
    np.testing.assert_allclose(out["pad"], np.pad(x, [[1, 0], [0, 1]]))
    np.testing.assert_allclose(out["rev"], x[:, ::-1])
    np.testing.assert_allclose(out["tr"], x.T)
    np.testing.assert_allclose(out["split"][1], x[:, 1:])
    np.testing.assert_allclose(out["unstack"][1], x[1])
    np.testing.assert_allclose(out["sqz"], x)
    np.testing.assert_allclose(out["gnd"], [-2.0, -1.0])
    assert out["snd"].tolist() == [0, 5, 0, 6]
    assert out["uniq"].tolist() == [3, 1, 2]
    assert out["inv"].tolist() == [1, 2, 0]
    assert out["bcast"].tolist() == [[1, 2], [1, 2]]
    np.testing.assert_allclose(out["slice"], x[:, 1:3])
    from math import erf

    np.testing.assert_allclose(out["erf"], np.vectorize(erf)(x), rtol=1e-5)
    assert out["round"].tolist() == [0.0, 2.0, 2.0]  # banker's rounding, as TF


def test_multi_output_ops_return_namedtuples():
    nn = tf.nn
    u = tf.unique([3, 1, 3])
    k = nn.top_k([1.0, 5.0, 3.0], 2)
    out = run([u.y, u.idx, k.values, k.indices])
    assert [o.tolist() for o in out] == [[3, 1], [0, 1, 0], [5.0, 3.0], [1, 2]]


def test_nn_basics_values():
    nn = tf.nn
    x = tf.constant([[-1.0, 0.0, 7.0]])
    out = run([nn.relu(x), nn.relu6(x), nn.elu(x), nn.softplus(x), nn.softsign(x), nn.softmax(x),
               nn.log_softmax(x), nn.leaky_relu(x, alpha=0.1), nn.selu(x)])
    xs = np.array([[-1.0, 0.0, 7.0]])
    np.testing.assert_allclose(out[0], [[0, 0, 7]])
    np.testing.assert_allclose(out[1], [[0, 0, 6]])
    np.testing.assert_allclose(out[2], [[np.expm1(-1), 0, 7]], rtol=1e-6)
    np.testing.assert_allclose(out[3], np.log1p(np.exp(xs)), rtol=1e-6)
    np.testing.assert_allclose(out[4], xs / (1 + np.abs(xs)), rtol=1e-6)
    sm = np.exp(xs) / np.exp(xs).sum()
    np.testing.assert_allclose(out[5], sm, rtol=1e-5)
    np.testing.assert_allclose(out[6], np.log(sm), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[7], [[-0.1, 0, 7]], rtol=1e-6)
    np.testing.assert_allclose(out[8][0, 0], 1.0507009873554805 * 1.6732632423543772 * np.expm1(-1), rtol=1e-5)


def test_string_ops_values():
    out = run([
        tf.string_join([["a", "b"], "x"], separator="-"), tf.strings.length(["héllo"]),
        tf.regex_replace(["a1b22"], r"\d+", "#"), tf.substr(["hello"], 1, 3), tf.as_string([1.5]),
        tf.string_to_number(["2.5"]), tf.sparse_tensor_to_dense(tf.string_split(["a b", "c"]), default_value=""),
    ])
    assert out[0].tolist() == [b"a-x", b"b-x"]
    assert out[1].tolist() == [6]  # bytes, as TF's default unit
    assert out[2].tolist() == [b"a#b#"]
    assert out[3].tolist() == [b"ell"]
    assert out[4].tolist() == [b"1.500000"]
    assert out[5].tolist() == [2.5]
    assert out[6].tolist() == [[b"a", b"b"], [b"c", b""]]


def test_broadcasting_is_numpys():
    a = tf.placeholder(tf.float32, [None, 1])
    b = tf.constant([1.0, 2.0, 3.0])
    c = a + b
    assert c.shape.as_list() == [None, 3]
    assert run(c, {a: [[1.0], [2.0]]}).tolist() == [[2, 3, 4], [3, 4, 5]]


def test_broadcast_error_at_graph_build_in_tf1_form():
    a = tf.placeholder(tf.float32, [None, 2])
    b = tf.constant([1.0, 2.0, 3.0])
    with pytest.raises(ValueError) as e:
        tf.add(a, b)
    assert str(e.value).startswith(
        "Dimensions must be equal, but are 2 and 3 for 'Add' (op: 'AddV2') with input shapes: [?,2], [3]."
    )


def test_matmul_shape_error_names_op():
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 2 for 'MatMul' \(op: 'MatMul'\)"):
        tf.matmul(tf.ones([2, 3]), tf.ones([2, 2]))


# ----------------------------------------------------------------------------------------------- 5. Session


def test_session_context_manager_and_close():
    c = tf.constant(1.0)
    with tf.Session() as sess:
        assert tf.get_default_session() is sess
        assert sess.run(c) == 1.0
    assert tf.get_default_session() is None
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.run(c)
    s2 = tf.Session()
    s2.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        s2.run(c)


def test_session_as_default_and_interactive_session(g):
    c = tf.constant(3.0)
    sess = tf.Session()
    with sess.as_default():
        assert tf.get_default_session() is sess
        assert c.eval() == 3.0
    sess.close()
    isess = tf.InteractiveSession()
    try:
        assert tf.get_default_session() is isess
        assert c.eval() == 3.0 and isess.graph is g
    finally:
        isess.close()


def test_session_target_graph_config_positional(g):
    c = tf.constant(1)
    with tf.Session("", g, tf.ConfigProto()) as sess:
        assert sess.graph is g and sess.run(c) == 1


def test_list_devices():
    with tf.Session() as sess:
        devs = sess.list_devices()
    names = [d.name for d in devs]
    assert "/job:localhost/replica:0/task:0/device:CPU:0" in names
    cpu = devs[names.index("/job:localhost/replica:0/task:0/device:CPU:0")]
    assert cpu.device_type == "CPU" and cpu.memory_limit_bytes > 0


def test_run_nested_fetch_structures():
    a = tf.constant(1.0, name="a")
    b = tf.constant(2.0, name="b")
    init = tf.no_op(name="init")
    Pair = collections.namedtuple("Pair", "x y")
    out = run({"l": [a, (b, a)], "p": Pair(a, b), "name": "b:0", "op": init, "opname": "init"})
    assert out["l"] == [1.0, (2.0, 1.0)] and isinstance(out["l"][1], tuple)
    assert type(out["p"]) is Pair and out["p"] == Pair(1.0, 2.0)
    assert out["name"] == 2.0 and out["op"] is None and out["opname"] is None
    assert run(init) is None


def test_feed_by_tensor_and_name_with_dtype_conversion():
    x = tf.placeholder(tf.float32, shape=[3], name="x")
    y = x * 2
    with tf.Session() as sess:
        a = sess.run(y, {x: [1, 2, 3]})
        b = sess.run(y, {"x:0": np.array([1, 2, 3], np.int64)})
    assert a.dtype == np.float32 and a.tolist() == [2, 4, 6]
    assert b.dtype == np.float32 and b.tolist() == [2, 4, 6]


def test_feed_shape_mismatch_value_error_message():
    x = tf.placeholder(tf.float32, shape=[3])
    with tf.Session() as sess, pytest.raises(ValueError) as e:
        sess.run(x, {x: [1.0, 2.0]})
    assert str(e.value) == "Cannot feed value of shape (2,) for Tensor 'Placeholder:0', which has shape '(3,)'"


def test_unfed_placeholder_invalid_argument_error_message():
    x = tf.placeholder(tf.float32, shape=[None, 3], name="x")
    y = x + 1
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(y)
    assert "You must feed a value for placeholder tensor 'x' with dtype float and shape [?,3]" in e.value.message
    assert e.value.op is x.op


def test_any_tensor_can_be_fed():
    a = tf.constant(1.0)
    b = a + 1
    c = b * 10
    assert run(c, {b: 5.0}) == 50.0


def test_only_needed_subgraph_runs():
    x = tf.placeholder(tf.float32, name="x")
    unneeded = x + 1  # would fail: x is not fed
    ok = tf.constant(2.0) * 3
    assert run(ok) == 6.0
    assert unneeded is not None


def test_control_dependencies_run_first():
    v = tf.Variable(0, name="v")
    inc = tf.assign_add(v, 1)
    with tf.control_dependencies([inc]):
        read = tf.identity(v)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(read) == 1
        assert sess.run(read) == 2


def test_plan_cache_invalidated_when_graph_grows():
    x = tf.placeholder(tf.float32)
    y = x + 1
    with tf.Session() as sess:
        assert sess.run(y, {x: 1.0}) == 2.0
        z = y * 10  # graph grows after the first plan
        assert sess.run(y, {x: 2.0}) == 3.0
        assert sess.run(z, {x: 2.0}) == 30.0
        assert sess.run([y, z], {x: 0.0}) == [1.0, 10.0]


def test_partial_run_seeds_example():
    a = tf.placeholder(tf.float32, shape=[])
    b = tf.placeholder(tf.float32, shape=[])
    c = tf.placeholder(tf.float32, shape=[])
    r1 = tf.add(a, b)
    r2 = tf.multiply(r1, c)
    with tf.Session() as sess:
        h = sess.partial_run_setup([r1, r2], [a, b, c])
        res = sess.partial_run(h, r1, feed_dict={a: 1, b: 2})
        assert res == 3
        res = sess.partial_run(h, r2, feed_dict={c: res})
        assert res == 9


def test_config_proto_options_accepted():
    config = tf.ConfigProto(
        log_device_placement=False, allow_soft_placement=True, device_count={"GPU": 0, "CPU": 1},
        intra_op_parallelism_threads=2, inter_op_parallelism_threads=2,
    )
    config.gpu_options.allow_growth = True
    config2 = tf.ConfigProto(gpu_options=tf.GPUOptions(allow_growth=True, per_process_gpu_memory_fraction=0.5))
    c = tf.constant(1.0)
    with tf.Session(config=config) as sess:
        assert sess.run(c) == 1.0
    with tf.Session(config=config2) as sess:
        assert sess.run(c) == 1.0
    assert tf.ConfigProto.FromString(config.SerializeToString()).gpu_options.allow_growth


def test_run_options_and_run_metadata_accepted():
    c = tf.constant(2.0) * 3
    opts = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    md = tf.RunMetadata()
    with tf.Session() as sess:
        assert sess.run(c, options=opts, run_metadata=md) == 6.0
        assert sess.run(c, None, opts, md) == 6.0


def test_log_device_placement_prints_placement(capfd):
    a = tf.constant(1.0, name="my_const")
    b = tf.identity(a, name="my_ident")
    with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(b)
    out = capfd.readouterr()
    text = out.out + out.err
    assert re.search(r"my_ident.*CPU:0", text), text
    assert re.search(r"my_const.*CPU:0", text), text


def test_kernel_failure_raises_tf_error_naming_op():
    idx = tf.placeholder(tf.int32)
    out = tf.gather(tf.constant([1.0, 2.0]), idx, name="my_gather")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(out, {idx: 5})
    assert e.value.op is not None and e.value.op.name == "my_gather"
    assert "my_gather" in str(e.value)


def test_runtime_broadcast_error_message_as_tf1():
    x = tf.placeholder(tf.float32)
    y = tf.placeholder(tf.float32)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(x + y, {x: np.ones(2), y: np.ones(3)})
    assert "Incompatible shapes: [2] vs. [3]" in e.value.message


def test_integer_division_by_zero_is_invalid_argument():
    d = tf.placeholder(tf.int32)
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="Integer division by zero"):
        sess.run(tf.constant([4]) // d, {d: [0]})


def test_reshape_failure_is_invalid_argument():
    x = tf.placeholder(tf.float32)
    r = tf.reshape(x, [2, 2], name="rs")
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError, match="rs"):
        sess.run(r, {x: [1.0, 2.0, 3.0]})


def test_two_sessions_independent_variables_20_8_120_minus_42():
    W = tf.Variable(10, name="W")  # noqa: N806 - the seeds' name
    assign_op = W.assign(100)
    sess1 = tf.Session()
    sess2 = tf.Session()
    sess1.run(W.initializer)
    sess2.run(W.initializer)
    assert sess1.run(W.assign_add(10)) == 20
    assert sess2.run(W.assign_sub(2)) == 8
    assert sess1.run(W.assign_add(100)) == 120
    assert sess2.run(W.assign_sub(50)) == -42
    sess1.close()
    sess2.close()
    with tf.Session() as s:
        s.run(W.initializer)
        assert s.run(assign_op) == 100


# ----------------------------------------------------------------------------------------------- 6. variables


def test_uninitialized_variable_failed_precondition_message():
    W = tf.Variable(tf.zeros([2]), name="W")  # noqa: N806
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError) as e:
        sess.run(W)
    assert "Attempting to use uninitialized value W" in e.value.message


def test_variable_constructor_and_properties():
    v = tf.Variable([1.0, 2.0], trainable=False, collections=["mine"], name="v", dtype=tf.float64,
                    validate_shape=True)
    assert v.name == "v:0" and v.dtype.base_dtype == tf.float64 and v.shape.as_list() == [2]
    assert tf.get_collection("mine") == [v] and tf.trainable_variables() == []
    assert v.initializer.type == "Assign" and v.initializer.name == "v/Assign"
    assert v.op.type == "VariableV2"
    w = tf.Variable(v.initialized_value() * 2)
    with tf.Session() as sess:
        sess.run(tf.variables_initializer([v, w]))
        assert sess.run(v.initial_value).tolist() == [1.0, 2.0]
        assert sess.run(v.value()).tolist() == [1.0, 2.0]
        assert sess.run(v.read_value()).tolist() == [1.0, 2.0]
        assert sess.run(w).tolist() == [2.0, 4.0]


def test_validate_shape_false_allows_shape_change():
    v = tf.Variable([1.0, 2.0], validate_shape=False)
    a = tf.assign(v, [1.0, 2.0, 3.0], validate_shape=False)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(a).tolist() == [1.0, 2.0, 3.0]


def test_assign_ops_must_be_run_and_return_new_value():
    v = tf.Variable(5.0)
    a = v.assign(1.0)
    add = v.assign_add(2.0)
    sub = v.assign_sub(0.5)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(v) == 5.0  # building assign ops changes nothing
        assert sess.run(a) == 1.0
        assert sess.run(add) == 3.0
        assert sess.run(sub) == 2.5
        assert sess.run(v) == 2.5


def test_scatter_ops():
    v = tf.Variable([1.0, 2.0, 3.0, 4.0])
    up = tf.scatter_update(v, [0, 2], [10.0, 30.0])
    ad = tf.scatter_add(v, [1], [5.0])
    sb = tf.scatter_sub(v, [3], [1.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(up).tolist() == [10, 2, 30, 4]
        assert sess.run(ad).tolist() == [10, 7, 30, 4]
        assert sess.run(sb).tolist() == [10, 7, 30, 3]
    v2 = tf.Variable([1.0, 2.0])
    m = v2.scatter_update(tf.IndexedSlices(tf.constant([9.0]), tf.constant([1])))
    with tf.Session() as sess:
        sess.run(v2.initializer)
        assert sess.run(m).tolist() == [1.0, 9.0]


def test_variable_load_and_eval():
    v = tf.Variable([0.0, 0.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        v.load([3.0, 4.0], sess)
        assert v.eval(sess).tolist() == [3.0, 4.0]
        assert v.eval().tolist() == [3.0, 4.0]


def test_get_variable_and_variable_scope():
    with tf.variable_scope("layer", initializer=tf.constant_initializer(0.5), dtype=tf.float64):
        w = tf.get_variable("w", shape=[2])
        b = tf.get_variable("b", shape=[2], initializer=tf.zeros_initializer(), trainable=False,
                            collections=[tf.GraphKeys.GLOBAL_VARIABLES, "extra"],
                            regularizer=lambda t: tf.reduce_sum(t))
        op = tf.identity(w, name="ident")
    assert w.name == "layer/w:0" and w.dtype.base_dtype == tf.float64
    assert op.op.name == "layer/ident"  # the name_scope a variable_scope opens
    assert tf.get_collection("extra") == [b] and b not in tf.trainable_variables()
    assert len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)) == 1
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(w).tolist() == [0.5, 0.5] and sess.run(b).tolist() == [0.0, 0.0]


def test_variable_scope_reentry_opens_new_name_scope():
    with tf.variable_scope("vs"):
        x = tf.identity(1.0, name="i")
    with tf.variable_scope("vs", reuse=True):
        y = tf.identity(1.0, name="i")
    assert (x.op.name, y.op.name) == ("vs/i", "vs_1/i")


def test_get_variable_already_exists_error_verbatim():
    tf.get_variable("h1_weights", shape=[2])
    with pytest.raises(ValueError) as e:
        tf.get_variable("h1_weights", shape=[2])
    assert str(e.value).startswith(
        "Variable h1_weights already exists, disallowed. Did you mean to set reuse=True or "
        "reuse=tf.AUTO_REUSE in VarScope?"
    )


def test_get_variable_reuse_true_missing_error():
    with tf.variable_scope("foo", reuse=True), pytest.raises(ValueError) as e:
        tf.get_variable("v", shape=[1])
    assert str(e.value).startswith(
        "Variable foo/v does not exist, or was not created with tf.get_variable(). Did you mean to set "
        "reuse=tf.AUTO_REUSE in VarScope?"
    )


def test_reuse_true_auto_reuse_and_reuse_variables():
    with tf.variable_scope("s"):
        v = tf.get_variable("v", [1])
    with tf.variable_scope("s", reuse=True):
        assert tf.get_variable("v", [1]) is v
    with tf.variable_scope("a", reuse=tf.AUTO_REUSE):
        x = tf.get_variable("x", [1])
    with tf.variable_scope("a", reuse=tf.AUTO_REUSE):
        assert tf.get_variable("x", [1]) is x
    with tf.variable_scope("r") as scope:
        y = tf.get_variable("y", [1])
        scope.reuse_variables()
        assert tf.get_variable("y", [1]) is y
        assert tf.get_variable_scope().reuse
    with tf.variable_scope(scope, reuse=True):
        assert tf.get_variable("y") is y


def test_get_variable_shape_mismatch_on_reuse():
    with tf.variable_scope("m"):
        tf.get_variable("v", [2])
    with tf.variable_scope("m", reuse=True), pytest.raises(ValueError, match="Trying to share variable m/v"):
        tf.get_variable("v", [3])


@pytest.mark.parametrize("name,init,check", [
    ("zeros", tf.zeros_initializer(), lambda a: np.all(a == 0)),
    ("ones", tf.ones_initializer(), lambda a: np.all(a == 1)),
    ("constant", tf.constant_initializer(3.0), lambda a: np.all(a == 3)),
    ("random_normal", tf.random_normal_initializer(0.0, 1.0, seed=1), lambda a: 0.5 < a.std() < 1.5),
    ("truncated_normal", tf.truncated_normal_initializer(0.0, 1.0, seed=1), lambda a: np.all(np.abs(a) <= 2.0)),
    ("random_uniform", tf.random_uniform_initializer(-1.0, 1.0, seed=1), lambda a: np.all(np.abs(a) <= 1.0)),
    ("glorot_uniform", tf.glorot_uniform_initializer(seed=1),
     lambda a: np.all(np.abs(a) <= np.sqrt(6 / (40 + 50))) and a.std() > 0.05),
    ("glorot_normal", tf.glorot_normal_initializer(seed=1),
     lambda a: np.all(np.abs(a) <= 2 * np.sqrt(1 / 45) / 0.87962566103423978 + 1e-6) and a.std() > 0.1),
    ("variance_scaling", tf.variance_scaling_initializer(scale=2.0, mode="fan_in", seed=1),
     lambda a: np.all(np.abs(a) <= 2 * np.sqrt(2 / 40) / 0.87962566103423978 + 1e-6)),
    ("orthogonal", tf.orthogonal_initializer(seed=1), lambda a: np.allclose(a.T @ a, np.eye(50), atol=1e-4)),
])
def test_initializers(name, init, check):
    v = tf.get_variable(name, shape=[40, 50] if name != "orthogonal" else [60, 50], initializer=init)
    with tf.Session() as sess:
        sess.run(v.initializer)
        val = sess.run(v)
    assert val.dtype == np.float32 and check(val), name


def test_variable_collections_and_initializers():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b", trainable=False)
    loc = tf.get_local_variable("loc", shape=[], initializer=tf.zeros_initializer())
    mv = tf.Variable(3.0, name="mv", collections=[tf.GraphKeys.MODEL_VARIABLES, tf.GraphKeys.GLOBAL_VARIABLES])
    assert tf.global_variables() == [a, b, mv]
    assert tf.trainable_variables() == [a, mv]  # trainable=True adds TRAINABLE_VARIABLES to explicit collections
    assert tf.local_variables() == [loc]
    assert tf.model_variables() == [mv]
    with tf.Session() as sess:
        assert sorted(sess.run(tf.report_uninitialized_variables()).tolist()) == [b"a", b"b", b"loc", b"mv"]
        assert not sess.run(tf.is_variable_initialized(a))
        sess.run(tf.global_variables_initializer())
        assert sess.run(tf.report_uninitialized_variables()).tolist() == [b"loc"]
        assert sess.run(tf.is_variable_initialized(a))
        sess.run(tf.local_variables_initializer())
        assert sess.run(tf.report_uninitialized_variables()).tolist() == []
        assert tf.global_variables_initializer().type == "NoOp"
        assert tf.global_variables_initializer().name.startswith("init")


def test_global_step_functions():
    assert tf.train.get_global_step() is None
    gs = tf.train.get_or_create_global_step()
    assert gs.name == "global_step:0" and gs.dtype.base_dtype == tf.int64
    assert tf.train.get_global_step() is gs and tf.train.get_or_create_global_step() is gs
    assert tf.get_collection(tf.GraphKeys.GLOBAL_STEP) == [gs]
    with pytest.raises(ValueError, match="already exists"):
        tf.train.create_global_step()
    with tf.Graph().as_default():
        gs2 = tf.train.create_global_step()
        assert gs2.name == "global_step:0"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(gs) == 0


# ----------------------------------------------------------------------------------------------- 7. randomness


def test_set_random_seed_reproducible_across_sessions_and_new_per_run():
    def build():
        with tf.Graph().as_default() as graph:
            tf.set_random_seed(42)
            r = tf.random_uniform([4])
            n = tf.random_normal([3], seed=7)
        return graph, r, n

    graph, r, n = build()
    with tf.Session(graph=graph) as s1:
        a1, b1 = s1.run([r, n])
        a2, _ = s1.run([r, n])
    with tf.Session(graph=graph) as s2:
        a1b, b1b = s2.run([r, n])
    graph2, r2, n2 = build()
    with tf.Session(graph=graph2) as s3:
        a1c = s3.run(r2)
    np.testing.assert_array_equal(a1, a1b)
    np.testing.assert_array_equal(b1, b1b)
    np.testing.assert_array_equal(a1, a1c)
    assert not np.array_equal(a1, a2)


def test_random_ops_shapes_and_ranges():
    tf.set_random_seed(1)
    out = run([
        tf.random_uniform([1000], 2.0, 3.0), tf.random_uniform([1000], 0, 4, dtype=tf.int32),
        tf.truncated_normal([1000]), tf.random_shuffle(tf.range(10)), tf.multinomial(tf.log([[0.5, 0.5]]), 50),
    ])
    assert out[0].min() >= 2.0 and out[0].max() < 3.0
    assert set(out[1].tolist()) <= {0, 1, 2, 3} and out[1].dtype == np.int32
    assert np.abs(out[2]).max() <= 2.0
    assert sorted(out[3].tolist()) == list(range(10))
    assert out[4].shape == (1, 50) and out[4].dtype == np.int64 and set(out[4].ravel()) <= {0, 1}


# ----------------------------------------------------------------------------------------------- 7. control flow


def test_cond_runs_only_the_taken_branch():
    v = tf.Variable(0)
    p = tf.placeholder(tf.bool)

    def true_fn():
        with tf.control_dependencies([tf.assign_add(v, 1)]):
            return tf.constant(1)

    def false_fn():
        with tf.control_dependencies([tf.assign_add(v, 100)]):
            return tf.constant(2)

    out = tf.cond(p, true_fn, false_fn)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(out, {p: True}) == 1
        assert sess.run(v) == 1
        assert sess.run(out, {p: False}) == 2
        assert sess.run(v) == 101


def test_case():
    x = tf.placeholder(tf.int32)
    r = tf.case([(tf.equal(x, 1), lambda: tf.constant(10)), (tf.equal(x, 2), lambda: tf.constant(20))],
                default=lambda: tf.constant(-1), exclusive=True)
    with tf.Session() as sess:
        assert [sess.run(r, {x: i}) for i in (1, 2, 3)] == [10, 20, -1]


def test_while_loop_and_maximum_iterations():
    i = tf.constant(0)
    acc = tf.constant(1)
    r = tf.while_loop(lambda i, a: i < 10, lambda i, a: (i + 1, a * 2), [i, acc])
    m = tf.while_loop(lambda i: i < 100, lambda i: i + 1, [tf.constant(0)], maximum_iterations=7)
    out = run([r, m])
    assert list(out[0]) == [10, 1024]
    assert out[1] == 7


def test_group_tuple_no_op_identity():
    v = tf.Variable(0)
    w = tf.Variable(0)
    grp = tf.group(tf.assign_add(v, 1), tf.assign_add(w, 2), name="both")
    a, b = tf.tuple([tf.constant(1), tf.constant(2)])
    nop = tf.no_op(name="nothing")
    ident = tf.identity(tf.constant(5), name="same")
    assert grp.type == "NoOp" and grp.name == "both" and nop.type == "NoOp" and ident.op.type == "Identity"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(grp) is None
        assert sess.run([v, w]) == [1, 2]
        assert sess.run([a, b]) == [1, 2]
        assert sess.run(nop) is None and sess.run(ident) == 5


# ----------------------------------------------------------------------------------------------- 7. devices


def test_cpu_device_runs():
    with tf.device("/cpu:0"):
        a = tf.constant([1.0, 2.0]) * 2
    with tf.device("/device:CPU:0"):
        b = a + 1
    assert run(b).tolist() == [3.0, 5.0]


@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU path")
def test_gpu_without_cupy_is_a_clear_error():
    with tf.device("/gpu:0"):
        a = tf.constant([1.0]) + 1
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as e:
        sess.run(a)
    assert "Cannot assign a device for operation" in e.value.message and "allow_soft_placement" in e.value.message


@pytest.mark.skipif(HAS_GPU, reason="checks the no-GPU path")
def test_gpu_without_cupy_soft_placement_falls_back_to_cpu():
    with tf.device("/device:GPU:0"):
        a = tf.constant([1.0]) + 1
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(a).tolist() == [2.0]


def test_gpu_runs_cupy_kernels_with_copies_and_string_fallback(gpu):
    with tf.device("/gpu:0"):
        x = tf.placeholder(tf.float32, [3])
        y = tf.matmul(tf.reshape(x, [1, 3]), tf.ones([3, 1])) + 1
        s = tf.as_string(y)
    with tf.device("/cpu:0"):
        z = y * 2
    with tf.Session(config=tf.ConfigProto(allow_soft_placement=True)) as sess:
        out = sess.run([y, z, s], {x: [1.0, 2.0, 3.0]})
    assert isinstance(out[0], np.ndarray) and out[0].tolist() == [[7.0]]
    assert out[1].tolist() == [[14.0]] and out[2].tolist() == [[b"7.000000"]]


# ----------------------------------------------------------------------------------------------- 7. graphs on disk


def test_as_graph_def(g):
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    tf.add(x, tf.constant([1.0, 2.0], name="c"), name="y")
    gd = g.as_graph_def()
    assert isinstance(gd, tf.GraphDef)
    nodes = {n.name: n for n in gd.node}
    assert nodes["y"].op == "AddV2" and list(nodes["y"].input) == ["x", "c"]
    assert nodes["x"].attr["dtype"].type == 1
    assert [d.size for d in nodes["x"].attr["shape"].shape.dim] == [-1, 2]
    assert gd.versions.producer > 0
    assert tf.GraphDef.FromString(gd.SerializeToString()) == gd


def test_write_graph_text_and_binary(g, tmp_path):
    tf.add(tf.constant(1.0, name="a"), tf.constant(2.0, name="two"), name="b")
    p1 = tf.train.write_graph(g, str(tmp_path), "g.pbtxt")
    p2 = tf.train.write_graph(g.as_graph_def(), str(tmp_path), "g.pb", as_text=False)
    assert p1 == str(tmp_path / "g.pbtxt") and p2 == str(tmp_path / "g.pb")
    text = (tmp_path / "g.pbtxt").read_text()
    assert 'name: "b"' in text and 'op: "AddV2"' in text
    gd = tf.GraphDef.FromString((tmp_path / "g.pb").read_bytes())
    assert [n.name for n in gd.node] == ["a", "two", "b"]
    assert tf.train.write_graph(g, str(tmp_path / "sub"), "g2.pbtxt") and (tmp_path / "sub" / "g2.pbtxt").exists()


def test_import_graph_def_input_map_return_elements_name(g):
    x = tf.placeholder(tf.float32, [2], name="x")
    tf.multiply(x, 3.0, name="y")
    gd = g.as_graph_def()
    with tf.Graph().as_default() as g2:
        new_in = tf.constant([1.0, 2.0], name="new_in")
        y, op = tf.import_graph_def(gd, input_map={"x:0": new_in}, return_elements=["y:0", "y"], name="imp")
        assert y.name == "imp/y:0" and op.name == "imp/y"
        assert g2.get_operation_by_name("imp/x").type == "Placeholder"
        with tf.Session() as sess:
            assert sess.run(y).tolist() == [3.0, 6.0]
    with tf.Graph().as_default():
        tf.import_graph_def(gd)  # default name "import"
        t = tf.get_default_graph().get_tensor_by_name("import/y:0")
        with tf.Session() as sess:
            assert sess.run(t, {"import/x:0": [1.0, 1.0]}).tolist() == [3.0, 3.0]


# ----------------------------------------------------------------------------------------------- 8. errors


ERROR_CLASSES = [
    ("CancelledError", 1), ("UnknownError", 2), ("InvalidArgumentError", 3), ("DeadlineExceededError", 4),
    ("NotFoundError", 5), ("AlreadyExistsError", 6), ("PermissionDeniedError", 7), ("ResourceExhaustedError", 8),
    ("FailedPreconditionError", 9), ("AbortedError", 10), ("OutOfRangeError", 11), ("UnimplementedError", 12),
    ("InternalError", 13), ("UnavailableError", 14), ("DataLossError", 15), ("UnauthenticatedError", 16),
]


@pytest.mark.parametrize("cls_name,code", ERROR_CLASSES)
def test_error_classes(cls_name, code):
    cls = getattr(tf.errors, cls_name)
    assert issubclass(cls, tf.errors.OpError) and issubclass(tf.errors.OpError, Exception)
    nd = tf.NodeDef(name="n", op="Foo")
    e = cls(nd, None, "boom")
    assert e.node_def is nd and e.op is None and e.message == "boom" and e.error_code == code
    assert tf.errors.exception_type_from_error_code(code) is cls
    assert tf.errors.error_code_from_exception_type(cls) == code


def test_error_from_run_carries_op_and_node_def():
    x = tf.placeholder(tf.float32, name="feed_me")
    with tf.Session() as sess, pytest.raises(tf.errors.OpError) as e:
        sess.run(x + 1)
    assert isinstance(e.value, tf.errors.InvalidArgumentError)
    assert e.value.op.name == "feed_me" and e.value.node_def.name == "feed_me"
    assert e.value.node_def.op == "Placeholder"
