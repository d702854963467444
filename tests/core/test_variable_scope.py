"""variable_scope and get_variable: naming, sharing, defaults and TF1's error messages."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, init_ops
from estflow.core.graph import GraphKeys, name_scope
from estflow.core.ops.constant_op import constant
from estflow.core.variable_scope import (
    AUTO_REUSE,
    VariableScope,
    get_local_variable,
    get_variable,
    get_variable_scope,
    no_regularizer,
    variable_scope,
)


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def run(g, fetches):
    with tf.Session(graph=g) as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(fetches)


def exists_message(name):
    return re.escape(f"Variable {name} already exists, disallowed. Did you mean to set reuse=True or "
                     f"reuse=tf.AUTO_REUSE in VarScope?")


def missing_message(name):
    return re.escape(f"Variable {name} does not exist, or was not created with tf.get_variable(). Did you mean "
                     f"to set reuse=tf.AUTO_REUSE in VarScope?")


# ---- names ----------------------------------------------------------------------------------------
def test_nested_scopes_prefix_variable_names(graph):
    with variable_scope("foo"):
        with variable_scope("bar"):
            v = get_variable("v", [1])
    assert v.name == "foo/bar/v:0"
    assert v.op.name == "foo/bar/v"
    assert [op.name for op in graph.get_operations()][-3:] == ["foo/bar/v", "foo/bar/v/Assign", "foo/bar/v/read"]


def test_initializer_ops_live_under_the_variable(graph):
    with variable_scope("layer"):
        get_variable("w", [2, 3])
        get_variable("b", [3], initializer=init_ops.Zeros())
    names = [op.name for op in graph.get_operations()]
    assert "layer/w/Initializer/random_uniform/RandomUniform" in names
    assert "layer/b/Initializer/zeros" in names


def test_variable_scope_opens_a_name_scope_for_other_ops(graph):
    with variable_scope("foo") as scope:
        x = constant(1.0) + 2.0
        v = get_variable("v", [1])
    assert x.name == "foo/add:0"
    assert v.name == "foo/v:0"
    assert scope.name == "foo" and scope.original_name_scope == "foo/"


def test_variable_names_ignore_name_scopes(graph):
    with name_scope("ns"):
        with variable_scope("vs"):
            v = get_variable("v", [1])
            x = constant(1.0, name="c")
    assert v.name == "vs/v:0"
    assert x.name == "ns/vs/c:0"


def test_reentering_a_captured_scope_opens_a_new_name_scope(graph):
    with variable_scope("foo") as vs:
        pass
    with variable_scope(vs) as vs1:
        v = get_variable("v", [1])
        c = constant([1], name="c")
    assert vs1.name == "foo" and vs1.original_name_scope == "foo/"
    assert v.name == "foo/v:0"
    assert c.name == "foo_1/c:0"


def test_reentering_without_auxiliary_name_scope(graph):
    with variable_scope("foo") as vs:
        pass
    with variable_scope(vs, auxiliary_name_scope=False) as vs1:
        with name_scope(vs1.original_name_scope):
            v = get_variable("v", [1])
            c = constant([1], name="c")
    assert v.name == "foo/v:0" and c.name == "foo/c:0"


def test_auxiliary_name_scope_false_keeps_the_current_name_scope(graph):
    with name_scope("outer"):
        with variable_scope("inner", auxiliary_name_scope=False) as scope:
            c = constant(1.0, name="c")
            v = get_variable("v", [1])
    assert c.name == "outer/c:0" and v.name == "inner/v:0"
    assert scope.original_name_scope == "outer/"


def test_captured_nested_scope_reenters_from_anywhere(graph):
    with variable_scope("a"):
        with variable_scope("b") as b_scope:
            pass
    with variable_scope("other"):
        with variable_scope(b_scope):
            v = get_variable("v", [1])
            c = constant(1.0, name="c")
    assert v.name == "a/b/v:0"
    assert c.name == "other/b/c:0"


def test_default_name_is_made_unique(graph):
    names = []
    for _ in range(3):
        with variable_scope(None, default_name="dense") as scope:
            names.append(scope.name)
            v = get_variable("kernel", [1])
    assert names == ["dense", "dense_1", "dense_2"]
    assert v.name == "dense_2/kernel:0"


def test_default_name_counts_restart_when_the_parent_scope_is_reentered(graph):
    with variable_scope("model"):
        with variable_scope(None, default_name="dense"):
            v = get_variable("w", [1])
    with variable_scope("model", reuse=True):
        with variable_scope(None, default_name="dense"):
            v2 = get_variable("w", [1])  # the layer finds its own variable again
    assert v2 is v and v.name == "model/dense/w:0"


def test_name_given_scope_is_not_uniquified(graph):
    with variable_scope("s"):
        a = get_variable("a", [1])
    with variable_scope("s"):
        b = get_variable("b", [1])
        c = constant(0.0, name="c")
    assert a.name == "s/a:0" and b.name == "s/b:0"
    assert c.name == "s_1/c:0"  # name scopes still get uniquified


def test_get_variable_scope_tracks_the_current_scope(graph):
    assert get_variable_scope().name == ""
    assert get_variable_scope().reuse is False
    with variable_scope("x"):
        with variable_scope("y") as y:
            assert get_variable_scope() is y
            assert y.name == "x/y"
    assert get_variable_scope().name == ""


def test_scopes_are_per_graph():
    g1, g2 = tf.Graph(), tf.Graph()
    with g1.as_default(), variable_scope("only_g1"):
        with g2.as_default():
            assert get_variable_scope().name == ""
        assert get_variable_scope().name == "only_g1"


def test_scopes_are_per_thread(graph):
    seen = []

    def worker():
        with graph.as_default():
            seen.append(get_variable_scope().name)

    with variable_scope("main"):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen == [""]


def test_values_select_the_graph(graph):
    other = tf.Graph()
    with other.as_default():
        t = constant(1.0)
    with variable_scope("s", values=[t]):
        assert tf.get_default_graph() is other
        v = get_variable("v", [1])
    assert v.graph is other
    assert tf.get_default_graph() is graph


# ---- sharing ----------------------------------------------------------------------------------------
def test_reuse_true_returns_the_existing_variable(graph):
    with variable_scope("foo"):
        v = get_variable("v", [1])
    with variable_scope("foo", reuse=True):
        v1 = get_variable("v", [1])
    assert v1 is v


def test_reuse_variables_on_a_captured_scope(graph):
    with variable_scope("foo") as scope:
        v = get_variable("v", [1])
        scope.reuse_variables()
        v1 = get_variable("v", [1])
        assert scope.reuse is True
    assert v1 is v


def test_creating_an_existing_variable_is_an_error(graph):
    with variable_scope("foo"):
        get_variable("v", [1])
        with pytest.raises(ValueError, match=exists_message("foo/v")):
            get_variable("v", [1])


def test_the_error_says_where_the_variable_was_defined(graph):
    get_variable("h1_weights", [1])
    with pytest.raises(ValueError) as info:
        get_variable("h1_weights", [1])
    message = str(info.value)
    assert message.startswith("Variable h1_weights already exists, disallowed. Did you mean to set reuse=True or "
                              "reuse=tf.AUTO_REUSE in VarScope? Originally defined at:")
    assert "test_the_error_says_where_the_variable_was_defined" in message


def test_reusing_a_missing_variable_is_an_error(graph):
    with variable_scope("foo", reuse=True):
        with pytest.raises(ValueError, match=missing_message("foo/w")):
            get_variable("w", [1])


def test_tf_variables_are_not_found_by_get_variable(graph):
    with variable_scope("foo"):
        tf.Variable(1.0, name="w")
    with variable_scope("foo", reuse=True):
        with pytest.raises(ValueError, match=missing_message("foo/w")):
            get_variable("w", [])


def test_auto_reuse_creates_then_returns(graph):
    def layer():
        with variable_scope("foo", reuse=AUTO_REUSE):
            return get_variable("v", [1])

    v1 = layer()
    v2 = layer()
    assert v1 is v2
    assert repr(AUTO_REUSE) == "tf.AUTO_REUSE"


def test_reuse_is_inherited_by_sub_scopes(graph):
    with variable_scope("a"):
        with variable_scope("b"):
            v = get_variable("v", [1])
    with variable_scope("a", reuse=True):
        with variable_scope("b", reuse=False) as b:  # False means "inherit", as in TF >= 1.1
            assert b.reuse is True
            assert get_variable("v", [1]) is v


def test_reuse_on_a_captured_scope_object(graph):
    with variable_scope("foo") as scope:
        v = get_variable("v", [2])
    with variable_scope(scope, reuse=True):
        assert get_variable("v", [2]) is v


def test_shape_mismatch_on_reuse(graph):
    with variable_scope("foo"):
        get_variable("v", [1])
    with variable_scope("foo", reuse=True):
        with pytest.raises(ValueError, match=re.escape(
                "Trying to share variable foo/v, but specified shape (2,) and found shape (1,).")):
            get_variable("v", [2])
        assert get_variable("v").shape.as_list() == [1]  # no shape: anything compatible


def test_dtype_mismatch_on_reuse(graph):
    get_variable("v", [1])
    with variable_scope("", reuse=True):
        with pytest.raises(ValueError, match=re.escape(
                "Trying to share variable v, but specified dtype int32 and found dtype float32_ref.")):
            get_variable("v", [1], dtype=tf.int32)


def test_invalid_scope_arguments(graph):
    with pytest.raises(TypeError, match="If default_name is None then name_or_scope is required"):
        variable_scope(None)
    with pytest.raises(ValueError, match="The reuse parameter must be True or False or None."):
        variable_scope("s", reuse="yes")
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        with variable_scope(None, default_name="d", reuse=True):
            pass
    with pytest.raises(TypeError, match="VariableScope: name_or_scope must be a string or VariableScope."):
        with variable_scope(3):
            pass
    with pytest.raises(TypeError, match="The auxiliary_name_scope must be `True` or `False`"):
        variable_scope("s", auxiliary_name_scope=None)
    assert get_variable_scope().name == ""  # failed entries leave no scope behind


# ---- initializers and dtypes ------------------------------------------------------------------------
def test_default_initializers(graph):
    w = get_variable("w", [30, 20])
    i = get_variable("i", [3], dtype=tf.int32)
    b = get_variable("b", [2], dtype=dtypes.bool)
    s = get_variable("s", [2], dtype=dtypes.string)
    wv, iv, bv, sv = run(graph, [w, i, b, s])
    limit = np.sqrt(6 / 50)
    assert np.abs(wv).max() <= limit and wv.std() > 0.3 * limit  # glorot_uniform
    assert iv.tolist() == [0, 0, 0] and bv.tolist() == [False, False] and sv.tolist() == [b"", b""]


def test_complex_variables_need_an_initializer(graph):
    with pytest.raises(ValueError, match="An initializer for variable z of complex64 is required"):
        get_variable("z", [2], dtype=dtypes.complex64)


def test_scope_initializer_is_inherited_and_overridable(graph):
    with variable_scope("a", initializer=init_ops.Constant(0.5)):
        x = get_variable("x", [2])
        with variable_scope("b"):
            y = get_variable("y", [2])
            z = get_variable("z", [2], initializer=init_ops.Ones())
        with variable_scope("c", initializer=init_ops.Constant(2.0)):
            u = get_variable("u", [1])
    xv, yv, zv, uv = run(graph, [x, y, z, u])
    assert xv.tolist() == [0.5, 0.5] and yv.tolist() == [0.5, 0.5]
    assert zv.tolist() == [1.0, 1.0] and uv.tolist() == [2.0]


def test_scope_dtype_is_inherited(graph):
    with variable_scope("d", dtype=tf.float64):
        with variable_scope("e"):
            v = get_variable("v", [1])
    assert v.dtype.base_dtype == tf.float64
    assert run(graph, v).dtype == np.float64


def test_initializer_class_is_instantiated(graph):
    v = get_variable("v", [2], initializer=init_ops.Ones)
    assert run(graph, v).tolist() == [1.0, 1.0]


def test_initializer_function_gets_shape_and_dtype(graph):
    calls = []

    def init(shape, dtype=None, partition_info=None):
        calls.append((shape, dtype, partition_info))
        return constant(np.full(shape, 3.0), dtype=dtype)

    v = get_variable("v", [2, 1], dtype=tf.float64, initializer=init)
    assert calls == [([2, 1], tf.float64, None)]
    assert run(graph, v).tolist() == [[3.0], [3.0]]


def test_initializer_values(graph):
    a = get_variable("a", initializer=[1.0, 2.0])
    b = get_variable("b", initializer=np.arange(6, dtype=np.int64).reshape(2, 3))
    c = get_variable("c", initializer=constant([[5]]))
    assert a.shape.as_list() == [2] and a.dtype.base_dtype == tf.float32
    assert b.shape.as_list() == [2, 3] and b.dtype.base_dtype == tf.int64
    assert c.shape.as_list() == [1, 1] and c.dtype.base_dtype == tf.int32
    av, bv, cv = run(graph, [a, b, c])
    assert av.tolist() == [1.0, 2.0] and bv.sum() == 15 and cv.tolist() == [[5]]


def test_initializer_without_arguments_and_no_shape(graph):
    v = get_variable("v", initializer=lambda: constant([4.0, 5.0]))
    assert v.shape.as_list() == [2]
    assert run(graph, v).tolist() == [4.0, 5.0]


def test_constant_initializer_with_a_shape_is_an_error(graph):
    with pytest.raises(ValueError, match="If initializer is a constant, do not specify shape."):
        get_variable("v", [2], initializer=[1.0, 2.0])


def test_initializer_dtype_must_match_an_explicit_dtype(graph):
    with pytest.raises(ValueError, match="Initializer type 'float32' and explicit dtype 'int32' don't match."):
        get_variable("v", initializer=constant([1.0]), dtype=tf.int32)
    assert graph.get_operations()[-1].type == "Const"  # only the user's constant: nothing added


def test_new_variables_need_a_shape(graph):
    with pytest.raises(ValueError, match=re.escape("Shape of a new variable (v) must be fully defined, but instead "
                                                   "was <unknown>.")):
        get_variable("v")
    with pytest.raises(ValueError, match=re.escape("Shape of a new variable (w) must be fully defined, but "
                                                   "instead was (?, 3).")):
        get_variable("w", [None, 3])


def test_seeded_variables_match_across_sessions(graph):
    v = get_variable("v", [5], initializer=init_ops.RandomNormal(seed=3))
    np.testing.assert_array_equal(run(graph, v), run(graph, v))


# ---- collections, trainable, regularizers --------------------------------------------------------
def test_collections_and_trainable(graph):
    w = get_variable("w", [1])
    frozen = get_variable("frozen", [1], trainable=False)
    custom = get_variable("custom", [1], collections=["mine"])
    local = get_local_variable("local", [1])
    assert graph.get_collection(GraphKeys.GLOBAL_VARIABLES) == [w, frozen]
    assert graph.get_collection(GraphKeys.TRAINABLE_VARIABLES) == [w, custom]
    assert graph.get_collection("mine") == [custom]
    assert graph.get_collection(GraphKeys.LOCAL_VARIABLES) == [local]
    assert not local.trainable


def test_scope_collection_helpers(graph):
    with variable_scope("net") as net:
        w = get_variable("w", [1])
        f = get_variable("f", [1], trainable=False)
    get_variable("outside", [1])
    assert net.global_variables() == [w, f]
    assert net.trainable_variables() == [w]
    assert net.local_variables() == []


def test_regularizer_losses(graph):
    def l1(v):
        return v * 2.0

    w = get_variable("w", [2], regularizer=l1)
    losses = graph.get_collection(GraphKeys.REGULARIZATION_LOSSES)
    assert len(losses) == 1 and losses[0].name == "w/Regularizer/mul:0"
    with variable_scope("", reuse=True):
        get_variable("w", [2], regularizer=l1)
    assert len(graph.get_collection(GraphKeys.REGULARIZATION_LOSSES)) == 1  # only on creation
    assert w.name == "w:0"


def test_scope_regularizer_and_no_regularizer(graph):
    with variable_scope("r", regularizer=lambda v: v * 0.5):
        a = get_variable("a", [1])
        get_variable("b", [1], regularizer=no_regularizer)
    losses = graph.get_collection(GraphKeys.REGULARIZATION_LOSSES)
    assert [loss.name for loss in losses] == ["r/a/Regularizer/mul:0"]
    assert a.name == "r/a:0"


# ---- custom getters and partitioners ------------------------------------------------------------------
def test_custom_getter_wraps_the_real_getter(graph):
    seen = []

    def getter(getter, name, *args, **kwargs):
        seen.append((name, kwargs["shape"]))
        return getter(name, *args, **kwargs)

    with variable_scope("g", custom_getter=getter):
        v = get_variable("v", [3])
    assert seen == [("g/v", [3])] and v.name == "g/v:0"


def test_custom_getters_nest_outer_first(graph):
    order = []

    def make(tag):
        def getter(getter, *args, **kwargs):
            order.append(tag)
            return getter(*args, **kwargs)

        return getter

    with variable_scope("outer", custom_getter=make("outer")):
        with variable_scope("inner", custom_getter=make("inner")):
            get_variable("v", [1])
    assert order == ["inner", "outer"]


def test_custom_getter_must_be_callable(graph):
    with pytest.raises(ValueError, match="Passed a custom_getter which is not callable: 3"):
        get_variable("v", [1], custom_getter=3)


def test_partitioner_with_one_partition_makes_a_plain_variable(graph):
    v = get_variable("v", [4, 2], partitioner=lambda shape, dtype: [1, 1])
    assert v.name == "v:0" and v.shape.as_list() == [4, 2]


def test_a_splitting_partitioner_makes_a_partitioned_variable(graph):
    with variable_scope("p", partitioner=lambda shape, dtype: [2, 1]):
        v = get_variable("v", [4, 2])  # parts p/v/part_0 and part_1 (tests/core/test_partitioned_variables.py)
        assert [part.name for part in v] == ["p/v/part_0:0", "p/v/part_1:0"]
        assert get_variable("scalar", []).name == "p/scalar:0"  # scalars are never partitioned
    with pytest.raises(ValueError, match="Partitioner must be callable, but received: 2"):
        get_variable("w", [4], partitioner=2)


def test_variable_scope_object_defaults(graph):
    scope = VariableScope(False, name="x")
    assert (scope.name, scope.reuse, scope.initializer, scope.dtype) == ("x", False, None, tf.float32)
    scope.set_initializer(init_ops.Zeros())
    scope.set_dtype(tf.float64)
    assert isinstance(scope.initializer, init_ops.Zeros) and scope.dtype == tf.float64
    with variable_scope(scope):
        v = get_variable("v", [1])
    assert v.name == "x/v:0" and v.dtype.base_dtype == tf.float64


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_variable_scope_reentry_opens_new_name_scope():
    with tf.variable_scope("vs"):
        x = tf.identity(1.0, name="i")
    with tf.variable_scope("vs", reuse=True):
        y = tf.identity(1.0, name="i")
    assert (x.op.name, y.op.name) == ("vs/i", "vs_1/i")


@pytest.mark.usefixtures("g")
def test_get_variable_already_exists_error_verbatim():
    tf.get_variable("h1_weights", shape=[2])
    with pytest.raises(ValueError) as e:
        tf.get_variable("h1_weights", shape=[2])
    assert str(e.value).startswith(
        "Variable h1_weights already exists, disallowed. Did you mean to set reuse=True or "
        "reuse=tf.AUTO_REUSE in VarScope?"
    )


@pytest.mark.usefixtures("g")
def test_get_variable_reuse_true_missing_error():
    with tf.variable_scope("foo", reuse=True), pytest.raises(ValueError) as e:
        tf.get_variable("v", shape=[1])
    assert str(e.value).startswith(
        "Variable foo/v does not exist, or was not created with tf.get_variable(). Did you mean to set "
        "reuse=tf.AUTO_REUSE in VarScope?"
    )


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_get_variable_shape_mismatch_on_reuse():
    with tf.variable_scope("m"):
        tf.get_variable("v", [2])
    with tf.variable_scope("m", reuse=True), pytest.raises(ValueError, match="Trying to share variable m/v"):
        tf.get_variable("v", [3])


# ---- a while_loop body uses the loop's graph's variables and scopes (TF1 builds the body in it) ---------
def test_get_variable_in_a_loop_body_creates_it_in_the_loops_graph(g):
    def body(i, x):
        w = tf.get_variable("w", [], initializer=tf.constant_initializer(3.0))
        return i + 1, x * w

    with tf.variable_scope("outer"), tf.name_scope("ns"):
        out = tf.while_loop(lambda i, x: i < 2, body, [0, tf.constant(1.0)])[1]
    (w,) = tf.global_variables()
    assert w.op.name == "outer/w" and w.graph is g and w in tf.trainable_variables()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out) == 9.0


def test_a_loop_body_reuses_the_variables_of_its_scope(g):
    tf.get_variable("w", [], initializer=tf.constant_initializer(2.0))

    def body(i, x):
        with tf.variable_scope(tf.get_variable_scope(), reuse=True):
            return i + 1, x * tf.get_variable("w", [])

    out = tf.while_loop(lambda i, x: i < 3, body, [0, tf.constant(1.0)])[1]
    assert len(tf.global_variables()) == 1
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out) == 8.0


def test_a_layer_first_called_in_a_loop_body_serves_outside_it(g):
    layer = tf.layers.Dense(2, kernel_initializer=tf.ones_initializer())
    out = tf.while_loop(lambda i, x: i < 2, lambda i, x: (i + 1, layer(x)), [0, tf.ones([1, 2])])[1]
    after = layer(tf.ones([1, 2]))  # the layer's variables live in the loop's graph, not the body's
    assert [v.op.name for v in tf.global_variables()] == ["dense/kernel", "dense/bias"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(out), [[4.0, 4.0]])
        np.testing.assert_array_equal(sess.run(after), [[2.0, 2.0]])


def test_variables_and_tensors_multiply_either_way_in_a_loop_body(g):
    v = tf.Variable(2.0)

    def body(i, x):
        return i + 1, v * x + x * v

    out = tf.while_loop(lambda i, x: i < 2, body, [0, tf.constant(1.0)])[1]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        assert sess.run(out) == 16.0
