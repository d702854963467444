"""Function graphs in GraphDefs: a while_loop's cond/body as FunctionDefs of `GraphDef.library`.

The promise: graph -> GraphDef -> import_graph_def -> Session.run gives what the original
graph gives, for every kind of loop (captures, variables, nesting, conds in bodies,
gradients), and TensorFlow's own functional While loops import too.
"""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf import text_format

import estflow as tf
from estflow.core import dtypes, function_io, graph_io
from estflow.core.func_graph import FuncGraph
from estflow.core.gradients import gradients
from estflow.core.graph import Graph
from estflow.core.ops import cast_ops, comparison_ops, concat_ops, gather_ops, reduction_ops, unary_ops
from estflow.core.ops import control_flow_ops as cf
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.protos import graph_pb2
from estflow.core.session import Session
from estflow.core.variables import Variable


@pytest.fixture
def g():
    graph = Graph()
    with graph.as_default():
        yield graph


def _while_ops(graph):
    return [op for op in graph.get_operations() if op.type == "While"]


def _round_trip(graph, fetches, feeds=None, init=(), name="import"):
    """Run `fetches` (tensors) in `graph` and in a fresh graph importing its GraphDef under `name`."""
    graph_def = graph_pb2.GraphDef.FromString(graph.as_graph_def().SerializeToString())
    prefix = f"{name}/" if name else ""
    with Session(graph=graph) as sess:
        for op in init:
            sess.run(op)
        expected = sess.run(list(fetches), {k: v for k, v in (feeds or {}).items()})
    g2 = Graph()
    with g2.as_default():
        names = [t.name for t in fetches] + [op.name for op in init]
        out = graph_io.import_graph_def(graph_def, return_elements=names, name=name)
        got_fetches, got_init = out[:len(fetches)], out[len(fetches):]
        with Session() as sess:
            for op in got_init:
                sess.run(op)
            got = sess.run(got_fetches, {prefix + k.name: v for k, v in (feeds or {}).items()})
    return expected, got, g2, graph_def


def _assert_same(expected, got):
    assert len(expected) == len(got)
    for e, r in zip(expected, got, strict=True):
        np.testing.assert_array_equal(np.asarray(r), np.asarray(e))


# ---- round trips --------------------------------------------------------------------------------------
def test_counting_loop_round_trips(g):
    i, total = cf.while_loop(lambda i, s: i < 10, lambda i, s: (i + 1, s + i), [0, 0])
    expected, got, g2, graph_def = _round_trip(g, [i, total])
    assert [int(x) for x in expected] == [10, 45]
    _assert_same(expected, got)
    (w,) = _while_ops(g2)
    assert isinstance(w.get_attr("cond"), FuncGraph) and isinstance(w.get_attr("body"), FuncGraph)
    assert w.name == "import/while"


def test_loop_with_maximum_iterations_round_trips(g):
    n = placeholder(tf.int32, [], name="n")
    out = cf.while_loop(lambda i: i < 100, lambda i: i + 3, [0], maximum_iterations=n)
    for trips in (0, 4, 50):
        expected, got, _, _ = _round_trip(g, [out], {n: trips})
        assert int(expected[0]) == min(3 * trips, 102)
        _assert_same(expected, got)


def test_loop_capturing_outer_tensors_round_trips(g):
    x = placeholder(tf.float32, [2], name="x")
    step = constant(0.5, name="step")
    out = cf.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, acc + x * step + 1),
                        [0, constant([0.0, 0.0])])
    expected, got, g2, graph_def = _round_trip(g, list(out), {x: np.array([2.0, 4.0], np.float32)})
    np.testing.assert_allclose(expected[1], [6.0, 9.0])
    _assert_same(expected, got)
    (w,) = _while_ops(g2)
    body = w.get_attr("body")
    assert [outer.name for outer, _ in body.captures] == ["import/x:0", "import/step:0"]
    assert len(w.get_attr("cond").captures) == 2
    fdefs = {f.signature.name: f for f in graph_def.library.function}
    assert fdefs[body.name].attr[function_io.NUM_CAPTURES_ATTR].i == 2


def test_imported_loop_runs_with_an_input_map(g):
    x = placeholder(tf.float32, [], name="x")
    out = cf.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, y * x), [0, 1.0])[1]
    graph_def = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        three = constant(3.0)
        (y,) = graph_io.import_graph_def(graph_def, input_map={"x:0": three}, return_elements=[out.name])
        with Session() as sess:
            assert sess.run(y) == 81.0


def test_loop_updating_a_variable_round_trips_under_a_prefix(g):
    total = Variable(constant(0), name="total")

    def body(i):
        with tf.control_dependencies([total.assign_add(i)]):
            return i + 1

    i = cf.while_loop(lambda i: i < 5, body, [0])
    graph_def = g.as_graph_def()
    body_name = _while_ops(g)[0].get_attr("body").name
    body_fdef = next(f for f in graph_def.library.function if f.signature.name == body_name)
    assert any(n.name == "total" and n.op == "VariableV2" for n in body_fdef.node_def)
    g2 = Graph()
    with g2.as_default():
        i2, init, value = graph_io.import_graph_def(graph_def, return_elements=[i.name, total.initializer.name,
                                                                               "total:0"], name="restored")
        body2 = _while_ops(g2)[0].get_attr("body")
        assert any(op.name == "restored/total" and op.type == "VariableV2" for op in body2.get_operations())
        with Session() as sess:
            sess.run(init)
            assert sess.run(i2) == 5 and sess.run(value) == 10
            assert sess.run(i2) == 5 and sess.run(value) == 20
        with Session() as other:  # a second session has its own variable
            other.run(init)
            assert other.run(value) == 0
    # without a prefix the names stay as they are
    g3 = Graph()
    with g3.as_default():
        i3, init3, value3 = graph_io.import_graph_def(graph_def, return_elements=[i.name, total.initializer.name,
                                                                                 "total:0"], name="")
        with Session() as sess:
            sess.run(init3)
            assert sess.run(i3) == 5 and sess.run(value3) == 10


def test_nested_loops_round_trip_and_their_functions_are_written_once(g):
    x = placeholder(tf.float32, [], name="x")

    def outer_body(i, total):
        _, inner = cf.while_loop(lambda j, t: j < i, lambda j, t: (j + 1, t + cast_ops.cast(j, tf.float32) * x),
                                 [0, 0.0])
        return i + 1, total + inner

    out = cf.while_loop(lambda i, t: i < 5, outer_body, [0, 0.0])
    expected, got, g2, graph_def = _round_trip(g, list(out), {x: np.float32(2.0)})
    assert expected[1] == 2.0 * (0 + 0 + 1 + 3 + 6)
    _assert_same(expected, got)
    names = [f.signature.name for f in graph_def.library.function]
    assert len(names) == 4 and len(set(names)) == 4
    outer = _while_ops(g)[0]
    body_fdef = next(f for f in graph_def.library.function if f.signature.name == outer.get_attr("body").name)
    inner_nodes = [n for n in body_fdef.node_def if n.op == "While"]
    assert len(inner_nodes) == 1
    assert {inner_nodes[0].attr["cond"].func.name, inner_nodes[0].attr["body"].func.name} <= set(names)
    # the rebuilt inner loop lives inside the rebuilt outer body
    outer2 = _while_ops(g2)[0]
    inner2 = [op for op in outer2.get_attr("body").get_operations() if op.type == "While"][0]
    assert inner2.get_attr("body").outer_graph is outer2.get_attr("body")
    # exporting the imported graph writes the same functions again, once each
    again = g2.as_graph_def()
    assert sorted(f.signature.name for f in again.library.function) == sorted(names)


def test_cond_inside_a_body_round_trips(g):
    x = placeholder(tf.float32, [], name="x")
    v = Variable(constant(0), name="odd_steps")

    def body(i, t):
        def odd():
            with tf.control_dependencies([v.assign_add(1)]):
                return t - 1.0

        return i + 1, cf.cond(comparison_ops.equal(i % 2, 0), lambda: t + x, odd)

    out = cf.while_loop(lambda i, t: i < 6, body, [0, 0.0])
    expected, got, g2, _ = _round_trip(g, [out[1]], {x: np.float32(10.0)}, init=[v.initializer])
    assert expected[0] == 27.0
    _assert_same(expected, got)
    with Session(graph=g2) as sess:
        sess.run(g2.get_operation_by_name("import/odd_steps/Assign"))
        sess.run(g2.get_tensor_by_name(out[1].name.replace("while", "import/while", 1)), {"import/x:0": 10.0})
        assert sess.run(g2.get_tensor_by_name("import/odd_steps:0")) == 3  # only the taken branch ran


def test_back_prop_false_survives_the_round_trip(g):
    x = placeholder(tf.float32, [], name="x")
    stopped = cf.while_loop(lambda i, y: i < 2, lambda i, y: (i + 1, y * x), [0, x], back_prop=False)[1]
    graph_def = g.as_graph_def()
    (node,) = [n for n in graph_def.node if n.op == "While"]
    assert node.attr[function_io.BACK_PROP_ATTR].b is False
    g2 = Graph()
    with g2.as_default():
        (y,) = graph_io.import_graph_def(graph_def, return_elements=[stopped.name])
        assert gradients(y, [g2.get_tensor_by_name("import/x:0")]) == [None]


# ---- gradients -------------------------------------------------------------------------------------------
def test_a_while_gradient_graph_round_trips(g):
    v = Variable(constant(0.0, dtype=tf.float64), name="v")
    x = placeholder(tf.float64, [], name="x")
    _, q = cf.while_loop(lambda k, q: k < 3, lambda k, q: (k + 1, cf.with_dependencies([v.assign_add(1.0)], q * x)),
                         [0, x])
    (dq,) = gradients(q, [x])
    graph_def = g.as_graph_def()
    # TF2's form: a second While over TensorList accumulators the forward loop fills.
    types = {n.op for n in graph_def.node} | {n.op for f in graph_def.library.function for n in f.node_def}
    assert [n.op for n in graph_def.node].count("While") == 2 and "WhileGrad" not in types
    assert {"EmptyTensorList", "TensorListPushBack", "TensorListPopBack"} <= types
    g2 = Graph()
    with g2.as_default():
        q2, dq2, init, v2 = graph_io.import_graph_def(graph_def, return_elements=[q.name, dq.name, v.initializer.name,
                                                                                 "v:0"], name="p")
        with Session() as sess:
            sess.run(init)
            assert sess.run([q2, dq2], {"p/x:0": 2.0}) == [16.0, 32.0]
            assert sess.run(v2) == 3.0  # the body's assign ran once per iteration, not again for the gradient
        again = g2.as_graph_def()  # an imported gradient graph exports again
    g3 = Graph()
    with g3.as_default():
        q3, dq3, init3 = graph_io.import_graph_def(again, return_elements=[f"p/{q.name}", f"p/{dq.name}",
                                                                          f"p/{v.initializer.name}"])
        with Session() as sess:
            sess.run(init3)
            assert sess.run([q3, dq3], {"import/p/x:0": 3.0}) == [81.0, 108.0]  # x**4, 4 x**3


def test_gradients_of_an_imported_loop(g):
    x = placeholder(tf.float64, [3], name="x")
    w = constant(np.array([0.5, -1.0, 2.0]), name="w")
    y = cf.while_loop(lambda i, y: i < 4, lambda i, y: (i + 1, unary_ops.sin(y) * w + x), [0, x * w])[1]
    (dx,) = gradients(reduction_ops.reduce_sum(y), [x])
    feed = np.array([0.3, -0.2, 0.7])
    with Session(graph=g) as sess:
        expected = sess.run(dx, {x: feed})
    graph_def = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        (y2,) = graph_io.import_graph_def(graph_def, return_elements=[y.name])
        x2 = g2.get_tensor_by_name("import/x:0")
        (dx2,) = gradients(reduction_ops.reduce_sum(y2), [x2])
        with Session() as sess:
            np.testing.assert_allclose(sess.run(dx2, {x2: feed}), expected, rtol=1e-12)


# ---- the library's contents -------------------------------------------------------------------------------
def test_library_functions_and_their_signatures(g):
    x = placeholder(tf.float32, [None, 3], name="x")
    i, y = cf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0 + x), [0, cast_ops.cast(x, tf.float32)])
    graph_def = g.as_graph_def()
    (node,) = [n for n in graph_def.node if n.op == "While"]
    w = _while_ops(g)[0]
    assert node.attr["cond"].func.name == w.get_attr("cond").name
    assert node.attr["body"].func.name == w.get_attr("body").name
    assert list(node.attr["T"].list.type) == [dtypes.int32.as_datatype_enum] * 3 + [dtypes.float32.as_datatype_enum] * 2
    assert [graph_io.shape_from_proto(s).as_list() for s in node.attr["output_shapes"].list.shape] == \
        [[], [], [], [None, 3], [None, 3]]
    assert node.attr["_num_original_outputs"].i == 5
    fdefs = {f.signature.name: f for f in graph_def.library.function}
    assert set(fdefs) == {node.attr["cond"].func.name, node.attr["body"].func.name}
    cond, body = fdefs[node.attr["cond"].func.name], fdefs[node.attr["body"].func.name]
    for fdef in (cond, body):
        assert [a.name for a in fdef.signature.input_arg][:2] == ["loop_counter", "maximum_iterations"]
        assert [a.type for a in fdef.signature.input_arg] == list(node.attr["T"].list.type)
        assert all(function_io._ARG_NAME.match(a.name) for a in fdef.signature.input_arg)
        assert {n.name for n in fdef.node_def}.isdisjoint(a.name for a in fdef.signature.input_arg)
    assert [a.type for a in cond.signature.output_arg] == [dtypes.bool.as_datatype_enum]
    assert [a.type for a in body.signature.output_arg] == list(node.attr["T"].list.type)
    assert cond.ret[cond.signature.output_arg[0].name].startswith("Less:z:")
    # pass-through outputs name the input arg itself; node outputs use "node:arg:index"
    assert body.ret[body.signature.output_arg[1].name] == "maximum_iterations"
    assert body.ret[body.signature.output_arg[4].name] == body.signature.input_arg[4].name
    for fdef in (cond, body):
        for n in fdef.node_def:
            for inp in n.input:
                assert inp.startswith("^") or ":" not in inp or len(inp.split(":")) == 3


def test_output_arg_names_follow_tensorflow(g):
    x = constant([[1.0, 2.0, 3.0]])
    add = (x + x).op
    switch = cf.switch(x, constant(True))[0].op
    split = concat_ops.split(x, 3, axis=1)[0].op
    unique = gather_ops.unique(constant([3, 1, 3]))[0].op
    assert function_io.output_arg_ref(add, 0) == ("z", 0)
    assert function_io.output_arg_ref(switch, 1) == ("output_true", 0)
    assert function_io.output_arg_ref(split, 2) == ("output", 2)
    assert function_io.output_arg_ref(unique, 1) == ("idx", 0)
    assert function_io.flat_output_index(switch, "output_true", 0) == 1
    assert function_io.flat_output_index(unique, "idx", 0) == 1
    assert function_io.flat_output_index(split, "output", 2) == 2
    assert function_io.flat_output_index(split, "not_an_arg", 2) == 2  # TF's flat form reads back too


def test_a_node_def_of_a_while_names_its_functions(g):
    cf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])
    w = _while_ops(g)[0]
    assert w.node_def.attr["body"].func.name == w.get_attr("body").name


def test_two_imports_of_one_graph_def_export_distinct_functions(g):
    total = Variable(constant(0), name="total")

    def body(i):
        with tf.control_dependencies([total.assign_add(i)]):
            return i + 1

    cf.while_loop(lambda i: i < 5, body, [0])
    graph_def = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        graph_io.import_graph_def(graph_def, name="a")
        graph_io.import_graph_def(graph_def, name="b")
    again = g2.as_graph_def()
    names = [f.signature.name for f in again.library.function]
    assert len(names) == 3 and len(set(names)) == 3
    whiles = [n for n in again.node if n.op == "While"]
    assert whiles[0].attr["body"].func.name != whiles[1].attr["body"].func.name  # a/total, b/total: renamed
    assert whiles[0].attr["cond"].func.name == whiles[1].attr["cond"].func.name  # identical: shared
    g3 = Graph()
    with g3.as_default():
        graph_io.import_graph_def(graph_def, name="a")
        graph_io.import_graph_def(graph_def, name="b")
        n = constant(0)
        cf.while_loop(lambda i: i < 5, lambda i: i + 1, [n])
    fns = g3.as_graph_def().library.function
    assert len({f.signature.name for f in fns}) == len(fns)


def test_identical_functions_of_one_name_are_written_once(g):
    cf.while_loop(lambda i: i < 5, lambda i: i + 1, [0])
    graph_def = g.as_graph_def()
    g2 = Graph()
    with g2.as_default():
        graph_io.import_graph_def(graph_def, name="a")
        graph_io.import_graph_def(graph_def, name="b")
    again = g2.as_graph_def()
    assert len(again.library.function) == 2  # nothing in them depends on the prefix
    assert {f.signature.name for f in again.library.function} == {f.signature.name for f in graph_def.library.function}


# ---- files and TensorBoard ---------------------------------------------------------------------------------
def test_write_graph_of_a_loop_parses_and_imports(g, tmp_path):
    x = placeholder(tf.float32, [], name="x")
    out = cf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y + x), [0, 0.0])[1]
    path = graph_io.write_graph(g, str(tmp_path), "graph.pbtxt", as_text=True)
    text = open(path).read()
    assert "library" in text and "while_body" in text
    parsed = text_format.Parse(text, graph_pb2.GraphDef())
    assert parsed == g.as_graph_def()
    binary = graph_io.read_graph_def(graph_io.write_graph(g, str(tmp_path), "graph.pb", as_text=False))
    for graph_def in (parsed, binary):
        g2 = Graph()
        with g2.as_default():
            (y,) = graph_io.import_graph_def(graph_def, return_elements=[out.name])
            with Session() as sess:
                assert sess.run(y, {"import/x:0": 2.0}) == 6.0


def test_file_writer_export_of_a_graph_with_a_while_loop(g, tmp_path):
    v = Variable(constant(1.0), name="v")
    out = cf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * v), [0, 2.0])[1]
    gradients(out, [v])
    graph_def = g.as_graph_def(add_shapes=True)
    assert len(graph_def.library.function) == 4  # the loop's cond and body, and its gradient loop's
    writer = tf.summary.FileWriter(str(tmp_path), g)
    writer.close()
    assert any(p.name.startswith("events.out.tfevents") for p in tmp_path.iterdir())


def test_strict_and_non_strict_export_of_an_unencodable_attr(g):
    out = cf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])
    body = _while_ops(g)[0].get_attr("body")
    inner = body.outputs[0].op
    inner._set_attr("callback", object())  # nothing a GraphDef can hold
    with pytest.raises(TypeError, match=f"'{inner.name}'.*in function '{body.name}'.*callback"):
        g.as_graph_def()
    graph_def = graph_io.graph_to_graph_def(g, add_shapes=True, strict=False)
    fdef = next(f for f in graph_def.library.function if f.signature.name == body.name)
    node = next(n for n in fdef.node_def if n.name == inner.name)
    assert "callback" not in node.attr
    assert list(node.attr[graph_io.UNENCODABLE_ATTR].list.s) == [b"callback: object"]
    del inner._attrs["callback"]
    outer = out.op
    outer._set_attr("hook", lambda: None)
    with pytest.raises(TypeError, match="'while'.*hook"):
        graph_io.graph_to_graph_def(g)
    graph_def = graph_io.graph_to_graph_def(g, strict=False)
    (node,) = [n for n in graph_def.node if n.op == "While"]
    assert list(node.attr[graph_io.UNENCODABLE_ATTR].list.s) == [b"hook: function"]


# ---- TensorFlow's functional loops ---------------------------------------------------------------------------
_TF_WHILE = """
node { name: "Const" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }
node { name: "while/loop_counter" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 0 } } } }
node { name: "while/maximum_iterations" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
       attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: -1 } } } }
node { name: "while" op: "%(op)s" input: "while/loop_counter" input: "while/maximum_iterations" input: "Const"
       attr { key: "T" value { list { type: DT_INT32 type: DT_INT32 type: DT_INT32 } } }
       attr { key: "_lower_using_switch_merge" value { b: true } }
       attr { key: "_num_original_outputs" value { i: 3 } }
       attr { key: "body" value { func { name: "while_body_5" } } }
       attr { key: "cond" value { func { name: "while_cond_4" } } }
       attr { key: "output_shapes" value { list { shape {} shape {} shape {} } } }
       attr { key: "parallel_iterations" value { i: 10 } } }
node { name: "while/Identity_2" op: "Identity" input: "while:2" attr { key: "T" value { type: DT_INT32 } } }
library {
  function {
    signature { name: "while_cond_4"
      input_arg { name: "while_loop_counter" type: DT_INT32 }
      input_arg { name: "while_maximum_iterations" type: DT_INT32 }
      input_arg { name: "placeholder" type: DT_INT32 }
      output_arg { name: "identity" type: DT_BOOL } }
    node_def { name: "Less/y" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
               attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 100 } } } }
    node_def { name: "Less" op: "Less" input: "placeholder" input: "Less/y:output:0"
               attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "Identity" op: "Identity" input: "Less:z:0" attr { key: "T" value { type: DT_BOOL } } }
    ret { key: "identity" value: "Identity:output:0" }
    arg_attr { key: 0 value { attr { key: "_output_shapes" value { list { shape {} } } } } }
    arg_attr { key: 1 value { attr { key: "_output_shapes" value { list { shape {} } } } } }
    arg_attr { key: 2 value { attr { key: "_output_shapes" value { list { shape {} } } } } }
  }
  function {
    signature { name: "while_body_5"
      input_arg { name: "while_loop_counter" type: DT_INT32 }
      input_arg { name: "while_maximum_iterations" type: DT_INT32 }
      input_arg { name: "placeholder" type: DT_INT32 }
      output_arg { name: "identity" type: DT_INT32 }
      output_arg { name: "identity_1" type: DT_INT32 }
      output_arg { name: "identity_2" type: DT_INT32 } }
    node_def { name: "mul/y" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
               attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 2 } } } }
    node_def { name: "mul" op: "Mul" input: "placeholder" input: "mul/y:output:0"
               attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "add/y" op: "Const" attr { key: "dtype" value { type: DT_INT32 } }
               attr { key: "value" value { tensor { dtype: DT_INT32 tensor_shape {} int_val: 1 } } } }
    node_def { name: "add" op: "AddV2" input: "while_loop_counter" input: "add/y:output:0"
               attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "Identity" op: "Identity" input: "add:z:0" attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "Identity_1" op: "Identity" input: "while_maximum_iterations"
               attr { key: "T" value { type: DT_INT32 } } }
    node_def { name: "Identity_2" op: "Identity" input: "mul:z:0" attr { key: "T" value { type: DT_INT32 } } }
    ret { key: "identity" value: "Identity:output:0" }
    ret { key: "identity_1" value: "Identity_1:output:0" }
    ret { key: "identity_2" value: "Identity_2:output:0" }
  }
}
"""


@pytest.mark.parametrize("op_type", ["StatelessWhile", "While"])
def test_tensorflows_functional_while_imports_and_runs(g, op_type):
    graph_def = text_format.Parse(_TF_WHILE % {"op": op_type}, graph_pb2.GraphDef())
    counter, doubled = graph_io.import_graph_def(graph_def, return_elements=["while:0", "while/Identity_2:0"])
    assert counter.op.type == op_type
    with Session() as sess:
        assert sess.run([counter, doubled]) == [7, 128]
    again = g.as_graph_def()
    assert {f.signature.name for f in again.library.function} == {"while_cond_4", "while_body_5"}
    g2 = Graph()
    with g2.as_default():
        (y,) = graph_io.import_graph_def(again, return_elements=["import/while/Identity_2:0"])
        with Session() as sess:
            assert sess.run(y) == 128


def test_a_tensorflow_while_outside_the_while_v2_layout_is_refused(g):
    text = _TF_WHILE % {"op": "StatelessWhile"}
    text = text.replace("type: DT_INT32 type: DT_INT32 type: DT_INT32", "type: DT_INT32 type: DT_INT64 type: DT_INT32")
    graph_def = text_format.Parse(text, graph_pb2.GraphDef())
    for f in graph_def.library.function:
        f.signature.input_arg[1].type = dtypes.int64.as_datatype_enum
    graph_def.node[2].attr["dtype"].type = dtypes.int64.as_datatype_enum
    graph_def.node[2].attr["value"].tensor.CopyFrom(graph_io.make_tensor_proto(np.int64(-1)))
    graph_def.library.function[1].node_def[5].attr["T"].type = dtypes.int64.as_datatype_enum
    with pytest.raises(ValueError, match="while_v2 layout"):
        graph_io.import_graph_def(graph_def)


def test_bad_function_libraries_are_errors_naming_the_problem(g):
    graph_def = text_format.Parse(_TF_WHILE % {"op": "While"}, graph_pb2.GraphDef())
    missing = graph_pb2.GraphDef()
    missing.CopyFrom(graph_def)
    del missing.library.function[1]
    with pytest.raises(ValueError, match="'while_body_5', which graph_def.library doesn't define"):
        graph_io.import_graph_def(missing)
    unknown = graph_pb2.GraphDef()
    unknown.CopyFrom(graph_def)
    unknown.library.function[1].node_def[1].op = "NoSuchOpAnywhere"
    with pytest.raises(ValueError, match="'NoSuchOpAnywhere'.*node 'mul' of function 'while_body_5'"):
        graph_io.import_graph_def(unknown)
    assert g.get_operations() == []  # nothing half-imported
    dangling = graph_pb2.GraphDef()
    dangling.CopyFrom(graph_def)
    dangling.library.function[1].node_def[1].input[1] = "ghost:output:0"
    with pytest.raises(ValueError, match="while_body_5.*ghost"):
        graph_io.import_graph_def(dangling)


def test_a_while_gradient_body_names_tensorlist_outputs_as_tensorflow_does(g):
    x = placeholder(tf.float32, [2], name="x")
    y = cf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, unary_ops.sin(y) * x), [0, x])[1]
    gradients(y, [x])
    graph_def = g.as_graph_def()
    refs = [inp for f in graph_def.library.function for n in f.node_def for inp in n.input] + [
        r for f in graph_def.library.function for r in f.ret.values()]
    assert any(":tensor:0" in r for r in refs)  # TensorListPopBack's popped value: output arg "tensor"
    assert any(":output_handle:0" in r for r in refs)
    assert not any(r.startswith(("TensorListPopBack:output:", "TensorListPushBack:output:")) for r in refs)
