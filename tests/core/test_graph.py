"""Graph, Operation and Tensor: naming, scopes, collections, control deps, devices, finalize."""

import subprocess
import sys
import threading

import numpy as np
import pytest

import estflow as tf
from estflow.core import graph as graph_mod
from estflow.core.graph import GraphKeys
from estflow.core.ops.array_ops import identity
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.control_flow_ops import no_op
from estflow.core.ops.math_ops import add, multiply


@pytest.fixture
def g():
    graph = tf.Graph()
    with graph.as_default():
        yield graph


def test_print_and_repr_of_a_tensor_are_tf1s(g):
    a = add(constant(1), constant(2))
    assert str(a) == 'Tensor("Add:0", shape=(), dtype=int32)'
    assert repr(a) == "<tf.Tensor 'Add:0' shape=() dtype=int32>"
    assert str(placeholder(tf.float32, [None, 3])) == 'Tensor("Placeholder:0", shape=(?, 3), dtype=float32)'
    assert str(placeholder(tf.float32)) == 'Tensor("Placeholder_1:0", shape=<unknown>, dtype=float32)'


def test_op_names_are_made_unique_like_tf1(g):
    a = add(1, 2)
    b = add(1, 2)
    c = constant(1.0, name="c")
    d = constant(1.0, name="c")
    assert [a.op.name, b.op.name] == ["Add", "Add_1"]
    assert [c.op.name, d.op.name] == ["c", "c_1"]
    assert a.name == "Add:0" and a.value_index == 0
    assert a.op.type == "AddV2"


def test_unique_name_skips_names_already_taken(g):
    constant(1, name="x_1")
    constant(1, name="x")
    x = constant(1, name="x")
    assert x.op.name == "x_2"


def test_name_scopes_nest_reset_and_reuse_absolute_names(g):
    with tf.name_scope("outer") as outer:
        assert outer == "outer/"
        with tf.name_scope("inner") as inner:
            assert inner == "outer/inner/"
            m = multiply(2.0, 3.0)
        with tf.name_scope(None):
            top = constant(1, name="top")
        with tf.name_scope("outer/inner/"):
            again = constant(1, name="again")
    with tf.name_scope("outer") as outer2:
        pass
    assert m.op.name == "outer/inner/Mul"
    assert top.op.name == "top"
    assert again.op.name == "outer/inner/again"
    assert outer2 == "outer_1/"


def test_scope_string_as_op_name_is_taken_verbatim(g):
    with tf.name_scope("layer") as scope:
        out = identity(constant(1.0), name=scope)
    assert out.op.name == "layer"


def test_invalid_scope_name_is_a_value_error(g):
    with pytest.raises(ValueError, match="not a valid scope name"):
        with tf.name_scope("bad name!"):
            pass


def test_lookup_by_name(g):
    c = constant(2.0, name="c")
    assert g.get_operation_by_name("c") is c.op
    assert g.get_tensor_by_name("c:0") is c
    assert g.as_graph_element("c:0") is c
    assert c.op in g.get_operations()
    with pytest.raises(KeyError, match="does not exist"):
        g.get_tensor_by_name("nope:0")
    with pytest.raises(KeyError, match="only has 1 outputs"):
        g.get_tensor_by_name("c:3")
    with pytest.raises(ValueError, match="appears to refer to an Operation"):
        g.get_tensor_by_name("c")


def test_tensor_and_operation_properties(g):
    x = placeholder(tf.float32, shape=[None, 3], name="x")
    y = add(x, 1.0)
    assert x.dtype == tf.float32 and x.shape.as_list() == [None, 3]
    assert x.get_shape() is x.shape and x.graph is g
    assert x.consumers() == [y.op]
    assert y.op.inputs[0] is x and y.op.outputs == [y]
    assert x.op.get_attr("dtype") == tf.float32
    with pytest.raises(ValueError, match="no attr named"):
        x.op.get_attr("nope")


def test_iterating_or_testing_a_tensor_raises_type_error(g):
    t = constant([1, 2])
    with pytest.raises(TypeError, match="only iterable"):
        iter(t)
    with pytest.raises(TypeError, match="as a Python `bool`"):
        bool(t)


def test_mixing_graphs_in_one_op_is_a_value_error():
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default():
        a = constant(1.0)
    with g2.as_default():
        b = constant(2.0)
        with pytest.raises(ValueError, match="must be from the same graph"):
            add(a, b)


def test_default_graph_stack_and_reset():
    outer = tf.get_default_graph()
    g1 = tf.Graph()
    with g1.as_default():
        assert tf.get_default_graph() is g1
        with pytest.raises(AssertionError):
            tf.reset_default_graph()
    assert tf.get_default_graph() is outer
    tf.reset_default_graph()
    assert tf.get_default_graph() is not outer


def test_default_graph_is_thread_local():
    g1 = tf.Graph()
    seen = []
    with g1.as_default():
        t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
        t.start()
        t.join()
    assert seen[0] is not g1


def test_collections_with_scope_filter(g):
    with tf.name_scope("a"):
        x = constant(1, name="x")
    y = constant(2, name="y")
    g.add_to_collection("things", x)
    tf.add_to_collections(["things", "more"], y)
    assert g.get_collection("things") == [x, y]
    assert g.get_collection("things", scope="a") == [x]
    assert g.get_collection("missing") == []
    ref = g.get_collection_ref("things")
    ref.append("not a tensor")
    assert g.get_collection("things", scope="a") == [x]
    assert "more" in g.get_all_collection_keys()
    assert GraphKeys.GLOBAL_VARIABLES == "variables"


def test_control_dependencies_and_clearing(g):
    a = constant(1.0, name="a")
    with g.control_dependencies([a]):
        b = constant(2.0, name="b")
        with g.control_dependencies(None):
            c = constant(3.0, name="c")
        d = add(a, 1.0)  # a is already a data input: no duplicate control edge
    assert b.op.control_inputs == [a.op]
    assert c.op.control_inputs == []
    assert d.op.control_inputs == []


def test_device_scopes_merge(g):
    with g.device("/gpu:1"):
        a = constant(1.0)
        with g.device("/cpu:0"):
            b = constant(1.0)
        with g.device(None):
            c = constant(1.0)
    assert a.device == "/device:GPU:1"
    assert b.device == "/device:CPU:0"
    assert c.device == ""
    with pytest.raises(ValueError, match="Unknown device"):
        with g.device("/tpu:0"):
            constant(1.0)


def test_finalize_forbids_new_ops(g):
    constant(1.0)
    g.finalize()
    assert g.finalized
    with pytest.raises(RuntimeError, match="finalized"):
        constant(2.0)


def test_version_grows_with_the_graph(g):
    v0 = g.version
    no_op()
    assert g.version > v0


def test_constant_dtype_inference_and_shape_fill(g):
    assert constant(1.0).dtype == tf.float32
    assert constant(1).dtype == tf.int32
    assert constant(2**40).dtype == tf.int64
    assert constant("a").dtype == tf.string
    assert constant([1, 2.5]).dtype == tf.float32
    assert constant(np.float64(1)).dtype == tf.float64
    assert constant(True).dtype == tf.bool
    filled = constant(7, shape=[2, 3])
    assert filled.shape.as_list() == [2, 3]
    padded = constant([1, 2], shape=[2, 2])
    with tf.Session(graph=g) as sess:
        np.testing.assert_array_equal(sess.run(filled), np.full((2, 3), 7))
        np.testing.assert_array_equal(sess.run(padded), [[1, 2], [2, 2]])
    with pytest.raises(TypeError, match="Too many elements"):
        constant([1, 2, 3], shape=[2])
    with pytest.raises(TypeError, match="Expected int32, got 2.5"):
        constant(2.5, dtype=tf.int32)


def test_binary_op_dtype_mismatch_is_a_type_error(g):
    a = constant(1.0)
    b = constant(1)
    with pytest.raises(TypeError, match="does not match type float32"):
        add(a, b)


def test_shape_errors_name_the_node_in_tf1_form(g):
    a = placeholder(tf.float32, shape=[None, 2])
    b = placeholder(tf.float32, shape=[3])
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 2 and 3 for 'Add' \(op: 'AddV2'\) "
                                         r"with input shapes: \[\?,2\], \[3\]\."):
        add(a, b)


def test_module_level_helpers_use_the_default_graph():
    g = tf.Graph()
    with g.as_default():
        assert graph_mod.get_name_scope() == ""
        with tf.name_scope("s"):
            assert graph_mod.get_name_scope() == "s"


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


def _fresh_process(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


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


def test_default_graph_is_thread_local_as_a_tf1_program(g):
    seen = []
    t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
    t.start()
    t.join()
    assert seen[0] is not g


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
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


def test_collections_with_scope_filter_as_a_tf1_program(g):
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


@pytest.mark.usefixtures("g")
def test_control_dependencies_and_none_clears():
    a = tf.constant(1, name="a")
    with tf.control_dependencies([a]):
        b = tf.constant(2, name="b")
        with tf.control_dependencies(None):
            c = tf.constant(3, name="c")
    assert b.op.control_inputs == [a.op]
    assert c.op.control_inputs == []


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_tensor_eval_with_feed_and_session():
    x = tf.placeholder(tf.float32, shape=[2])
    y = x * 2.0
    sess = tf.Session()
    assert y.eval(feed_dict={x: [1.0, 2.0]}, session=sess).tolist() == [2.0, 4.0]
    with sess.as_default():
        assert y.eval(feed_dict={x: [3.0, 4.0]}).tolist() == [6.0, 8.0]
    sess.close()


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_get_attr_type_attr():
    a = tf.matmul([[1.0]], [[2.0]])
    assert "T" in a.op.node_def.attr
    assert a.op.get_attr("T") == tf.float32


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_public_function_operand_names_as_tf1():
    a = tf.constant(1.0, name="a")
    assert tf.add(a, 2.0, name="b").op.inputs[1].op.name == "b/y"
    assert tf.multiply(a, 3.0).op.inputs[1].op.name == "Mul/y"


@pytest.mark.usefixtures("g")
def test_comparison_and_boolean_operators():
    a = tf.constant([1, 2, 3])
    t = tf.constant([True, True, False])
    f = tf.constant([True, False, False])
    out = run([a < 2, a <= 2, a > 2, a >= 2, t & f, t | f, ~t, t ^ f])
    assert [o.tolist() for o in out] == [
        [True, False, False], [True, True, False], [False, False, True], [False, True, True],
        [True, False, False], [True, True, False], [False, False, True], [False, True, False],
    ]


@pytest.mark.usefixtures("g")
def test_iterating_a_tensor_raises_type_error():
    x = tf.constant([1, 2, 3])
    with pytest.raises(TypeError, match="Tensor objects are only iterable when eager execution is enabled"):
        iter(x)
    with pytest.raises(TypeError):
        for _ in x:
            pass


@pytest.mark.usefixtures("g")
def test_bool_of_tensor_raises_type_error():
    x = tf.constant(True)
    with pytest.raises(TypeError, match=r"Using a `tf.Tensor` as a Python `bool` is not allowed"):
        bool(x)
    with pytest.raises(TypeError):
        if x:
            pass


def test_colocate_with_ignore_existing_as_tf1():
    g = tf.Graph()
    with g.as_default():
        a, b = constant(1.0, name="a"), constant(2.0, name="b")
        with pytest.raises(ValueError, match="ignore_existing is not True"):
            with g.colocate_with(None):
                pass
        with g.colocate_with(a.op):
            inner = identity(b)
            with g.colocate_with(None, ignore_existing=True):
                free = identity(b)
                with g.colocate_with(b.op):
                    with_b = identity(a)
            after = identity(b)
    assert inner.op._colocation is a.op and after.op._colocation is a.op
    assert free.op._colocation is None and with_b.op._colocation is b.op


def test_as_graph_def_from_version_holds_only_later_nodes():
    g = tf.Graph()
    with g.as_default():
        x = constant(1.0, name="x")
        version = g.version
        y = identity(x, name="y")
        x.set_shape([])  # other changes bump the version too; "added since" still holds
        z = add(y, x, name="z")
    assert [n.name for n in g.as_graph_def().node] == ["x", "y", "z"]
    assert [n.name for n in g.as_graph_def(from_version=version).node] == ["y", "z"]
    assert [n.name for n in g.as_graph_def(from_version=g.version).node] == []
    assert z.op.type == "AddV2"


def test_prevent_feeding_and_fetching_mark_tensors_and_ops():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [], name="x")
        y = tf.identity(x * 2.0, name="y")
        z = y + 1.0
    assert g.is_feedable(y) and g.is_fetchable(y) and g.is_fetchable(y.op)
    g.prevent_feeding(y)
    g.prevent_fetching(z.op)
    assert not g.is_feedable(y) and g.is_feedable(x)
    assert not g.is_fetchable(z) and not g.is_fetchable(z.op) and g.is_fetchable(y)
