"""tf.Variable: creation, initialization, updates, per-session state and reporting."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, errors, variables
from estflow.core.graph import GraphKeys, Operation, name_scope
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.constant_op import constant, convert_to_tensor, placeholder
from estflow.core.variables import Variable
from tests.interop import run_tensorflow


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


@pytest.fixture
def sess(graph):
    with tf.Session(graph=graph) as session:
        yield session


# ---- creation -------------------------------------------------------------------------------------
def test_variable_ops_and_names(graph):
    w = Variable(np.zeros((3, 1), np.float32), name="W")
    assert w.name == "W:0" and w.op.name == "W" and w.op.type == "VariableV2"
    assert w.shape.as_list() == [3, 1] and w.dtype == dtypes.float32_ref and w.dtype.base_dtype == tf.float32
    assert w.initializer.name == "W/Assign" and w.initializer.type == "Assign"
    assert w.value().name == "W/read:0"
    assert w.initial_value.name == "W/initial_value:0"
    assert [op.name for op in graph.get_operations()] == ["W/initial_value", "W", "W/Assign", "W/read"]
    assert repr(w) == "<tf.Variable 'W:0' shape=(3, 1) dtype=float32_ref>"


def test_default_and_uniquified_names(graph):
    a = Variable(1.0)
    b = Variable(2.0)
    c = Variable(3.0, name="c")
    d = Variable(4.0, name="c")
    assert [v.op.name for v in (a, b, c, d)] == ["Variable", "Variable_1", "c", "c_1"]
    with name_scope("scope"):
        assert Variable(5.0, name="v").name == "scope/v:0"


def test_callable_initial_value_builds_under_initializer(graph, sess):
    v = Variable(lambda: constant([1.0, 2.0]), name="v")
    assert v.initial_value.op.name == "v/Initializer/Const"
    u = Variable(lambda: [3, 4], name="u", dtype=tf.float64)
    assert u.initial_value.op.name == "u/Initializer/initial_value" and u.dtype == dtypes.float64_ref
    sess.run([v.initializer, u.initializer])
    assert sess.run(v).tolist() == [1.0, 2.0] and sess.run(u).tolist() == [3.0, 4.0]


def test_initial_value_dtype_conversion(graph):
    assert Variable([1, 2], dtype=tf.float32).dtype == dtypes.float32_ref
    assert Variable([1, 2]).dtype == dtypes.int32_ref
    with pytest.raises(ValueError, match="Tensor conversion requested dtype float64 for Tensor with dtype float32"):
        Variable(constant(1.0), dtype=tf.float64)


def test_initial_value_is_required(graph):
    with pytest.raises(ValueError, match="initial_value must be specified."):
        Variable()


def test_initial_value_needs_a_static_shape_unless_validate_shape_is_false(graph, sess):
    p = placeholder(tf.float32, [None])
    with pytest.raises(ValueError, match="initial_value must have a shape specified"):
        Variable(p)
    v = Variable(p, validate_shape=False, name="v")
    assert v.shape.ndims is None
    sess.run(v.initializer, {p: [1.0, 2.0, 3.0]})
    assert sess.run(v).tolist() == [1.0, 2.0, 3.0]


def test_constraint_must_be_callable(graph):
    with pytest.raises(ValueError, match="The `constraint` argument must be a callable."):
        Variable(1.0, constraint=3)
    assert Variable(1.0, constraint=abs).constraint is abs


def test_collections_and_trainable(graph):
    w = Variable(1.0)
    frozen = Variable(2.0, trainable=False)
    custom = Variable(3.0, collections=["mine"])
    assert variables.global_variables() == [w, frozen]
    assert variables.trainable_variables() == [w, custom]
    assert graph.get_collection("mine") == [custom]
    assert not frozen.trainable and w.trainable
    assert variables.global_variables(scope="Variable_1") == [frozen]


def test_conversion_uses_the_snapshot(graph):
    w = Variable(1.0, name="w")
    assert convert_to_tensor(w) is w.value()
    assert convert_to_tensor(w, as_ref=True) is w.op.outputs[0]
    with pytest.raises(ValueError, match="Incompatible type conversion requested to type 'int32' for variable of "
                                         "type 'float32_ref'"):
        convert_to_tensor(w, dtype=tf.int32)
    assert (w + 1.0).op.inputs[0] is w.value()


# ---- initialization and reading ----------------------------------------------------------------------
def test_uninitialized_read_is_a_failed_precondition(graph, sess):
    w = Variable(np.ones(2, np.float32), name="W")
    with pytest.raises(errors.FailedPreconditionError, match="Attempting to use uninitialized value W"):
        sess.run(w)
    with pytest.raises(errors.FailedPreconditionError, match="Attempting to use uninitialized value W"):
        sess.run(w.assign_add([1.0, 1.0]))


def test_global_variables_initializer(graph, sess):
    a = Variable(1.0)
    b = Variable([2, 3])
    init = tf.global_variables_initializer()
    assert init.name == "init" and init.type == "NoOp"
    assert {op.name for op in init.control_inputs} == {"Variable/Assign", "Variable_1/Assign"}
    sess.run(init)
    assert sess.run([a, b])[0] == 1.0 and sess.run(b).tolist() == [2, 3]
    assert tf.global_variables_initializer().name == "init_1"


def test_variables_initializer_of_nothing_is_a_no_op(graph, sess):
    init = variables.variables_initializer([])
    assert init.type == "NoOp" and init.name == "init"
    sess.run(init)
    assert variables.local_variables_initializer().type == "NoOp"


def test_eval_and_initializer_run_use_the_default_session(graph):
    w = Variable(5.0, name="w")
    with tf.Session(graph=graph) as sess:
        w.initializer.run()
        assert w.eval() == 5.0
        assert w.eval(session=sess) == 5.0


def test_load_sets_the_value_without_new_ops(graph, sess):
    w = Variable([1.0, 2.0], name="w")
    n_ops = len(graph.get_operations())
    w.load([7.0, 8.0], session=sess)
    assert sess.run(w).tolist() == [7.0, 8.0]
    assert len(graph.get_operations()) == n_ops


def test_load_needs_a_session(graph):
    w = Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match="Either session argument should be provided or default session should be "
                                         "established"):
        w.load([0.0, 0.0])


def test_fetched_values_do_not_alias_the_variable(graph, sess):
    w = Variable([1.0, 2.0])
    sess.run(w.initializer)
    value = sess.run(w)
    value[0] = 100.0
    assert sess.run(w).tolist() == [1.0, 2.0]


def test_is_variable_initialized_and_report(graph, sess):
    w = Variable(1.0, name="W")
    b = Variable(2.0, name="b")
    report = variables.report_uninitialized_variables()
    initialized = variables.is_variable_initialized(w)
    # TF1's composition, so the graph exports to TensorFlow: boolean_mask of the names by LogicalNot(Pack(...)).
    assert report.op.name == "report_uninitialized_variables/boolean_mask/GatherV2" and initialized.dtype == tf.bool
    types = {op.type for op in tf.get_default_graph().get_operations() if op.name.startswith("report_")}
    assert {"IsVariableInitialized", "Pack", "LogicalNot", "Const", "Where", "GatherV2"} <= types
    assert report.op.device == "/cpu:0" or report.op.device.lower().endswith("cpu:0")
    assert sess.run(report).tolist() == [b"W", b"b"]
    assert not sess.run(initialized)
    sess.run(w.initializer)
    assert sess.run(report).tolist() == [b"b"]
    assert sess.run(initialized)
    sess.run(b.initializer)
    assert sess.run(report).shape == (0,)


def test_report_of_an_explicit_list(graph, sess):
    w = Variable(1.0, name="W")
    Variable(2.0, name="b")
    assert sess.run(variables.report_uninitialized_variables([w])).tolist() == [b"W"]
    assert sess.run(variables.report_uninitialized_variables([])).tolist() == []


def test_report_without_collections_lists_every_variable_op(graph, sess):
    Variable(1.0, name="W", collections=[])
    assert sess.run(variables.report_uninitialized_variables()).tolist() == [b"W"]


def test_initialized_value_initializes_first(graph, sess):
    w = Variable(3.0, name="w")
    v = Variable(w.initialized_value() * 2.0, name="v")
    sess.run(v.initializer)  # w need not be initialized: its initial value is used
    assert sess.run(v) == 6.0
    sess.run(w.assign(10.0))
    sess.run(v.initializer)
    assert sess.run(v) == 20.0


# ---- updates -----------------------------------------------------------------------------------------
def test_assign_add_sub(graph, sess):
    v = Variable([1.0, 2.0], name="v")
    sess.run(v.initializer)
    assert sess.run(v.assign([5.0, 6.0])).tolist() == [5.0, 6.0]
    assert sess.run(v.assign_add([1.0, 1.0])).tolist() == [6.0, 7.0]
    assert sess.run(v.assign_sub([2.0, 3.0])).tolist() == [4.0, 4.0]
    assert sess.run(v).tolist() == [4.0, 4.0]


def test_update_op_names(graph):
    v = Variable([1.0, 2.0], name="v")
    assert v.assign([0.0, 0.0]).op.name == "Assign"
    assert v.assign_add([0.0, 0.0]).op.name == "AssignAdd"
    assert v.assign_sub([0.0, 0.0], name="down").op.name == "down"


def test_update_ops_can_skip_the_read(graph, sess):
    v = Variable(1.0, name="v")
    sess.run(v.initializer)
    op = v.assign_add(2.0, read_value=False)
    assert isinstance(op, Operation) and op.type == "AssignAdd"
    sess.run(op)
    assert sess.run(v) == 3.0


def test_module_level_assign_functions(graph, sess):
    v = Variable(10, name="v")
    sess.run(v.initializer)
    assert sess.run(variables.assign(v, 3)) == 3
    assert sess.run(variables.assign_add(v, 4)) == 7
    assert sess.run(variables.assign_sub(v, 1)) == 6


def test_assign_shape_errors(graph, sess):
    v = Variable([1.0, 2.0], name="v")
    with pytest.raises(ValueError, match=re.escape("Dimension 0 in both shapes must be equal, but are 2 and 3. "
                                                   "Shapes are [2] and [3]. for 'Assign' (op: 'Assign')")):
        v.assign([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Shapes must be equal rank, but are 1 and 2"):
        v.assign([[1.0, 2.0]])
    p = placeholder(tf.float32)
    assign = v.assign(p)
    with pytest.raises(errors.InvalidArgumentError, match=re.escape(
            "Assign requires shapes of both tensors to match. lhs shape= (2,) rhs shape= (3,)")):
        sess.run(assign, {p: [1.0, 2.0, 3.0]})


def test_assign_without_shape_validation_changes_the_shape(graph, sess):
    v = Variable([1.0, 2.0], name="v", validate_shape=False)
    sess.run(v.initializer)
    sess.run(variables.assign(v, [1.0, 2.0, 3.0], validate_shape=False))
    assert sess.run(v).tolist() == [1.0, 2.0, 3.0]


def test_assign_dtype_must_match(graph):
    v = Variable([1.0, 2.0])
    with pytest.raises(TypeError, match="Input 1 of 'Assign' Op has type int32 that does not match type float32"):
        v.assign(constant([1, 2]))


@pytest.mark.parametrize("fn, expected", [
    (variables.scatter_update, [[10, 10], [1, 1], [30, 30]]),
    (variables.scatter_add, [[11, 11], [1, 1], [31, 31]]),
    (variables.scatter_sub, [[-9, -9], [1, 1], [-29, -29]]),
    (variables.scatter_mul, [[10, 10], [1, 1], [30, 30]]),
    (variables.scatter_max, [[10, 10], [1, 1], [30, 30]]),
    (variables.scatter_min, [[1, 1], [1, 1], [1, 1]]),
])
def test_scatter_functions(graph, sess, fn, expected):
    v = Variable(np.ones((3, 2), np.float32), name="v")
    sess.run(v.initializer)
    out = fn(v, [0, 2], [[10.0, 10.0], [30.0, 30.0]])
    assert sess.run(out).tolist() == expected
    assert sess.run(v).tolist() == expected


def test_scatter_add_accumulates_duplicate_indices(graph, sess):
    v = Variable(np.zeros(3, np.float32), name="v")
    sess.run(v.initializer)
    assert sess.run(variables.scatter_add(v, [1, 1, 2], [1.0, 2.0, 5.0])).tolist() == [0.0, 3.0, 5.0]


def test_scatter_methods_take_indexed_slices(graph, sess):
    v = Variable(np.zeros((3, 2), np.float32), name="v")
    sess.run(v.initializer)
    rows = IndexedSlices(constant([[1.0, 2.0]]), constant([1]))
    sess.run(v.scatter_update(rows))
    sess.run(v.scatter_add(rows))
    sess.run(v.scatter_sub(IndexedSlices(constant([[1.0, 1.0]]), constant([0]))))
    assert sess.run(v).tolist() == [[-1.0, -1.0], [2.0, 4.0], [0.0, 0.0]]
    with pytest.raises(TypeError, match="sparse_delta is not IndexedSlices"):
        v.scatter_update([1.0, 2.0])


def test_scatter_index_out_of_range(graph, sess):
    v = Variable(np.zeros(3, np.float32), name="v")
    sess.run(v.initializer)
    with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = 5 is not in \[0, 3\)"):
        sess.run(variables.scatter_update(v, [5], [1.0]))


# ---- sessions own the state ---------------------------------------------------------------------------
def test_two_sessions_hold_independent_values(graph):
    v = Variable(10, name="v")
    with tf.Session(graph=graph) as sess1, tf.Session(graph=graph) as sess2:
        sess1.run(v.initializer)
        sess2.run(v.initializer)
        assert sess1.run(v.assign_add(10)) == 20
        assert sess2.run(v.assign_sub(2)) == 8
        assert sess1.run(v.assign(v * 6)) == 120
        assert sess2.run(v.assign(-42)) == -42
        assert sess1.run(v) == 120 and sess2.run(v) == -42


def test_a_new_session_starts_uninitialized(graph):
    v = Variable(1.0, name="v")
    with tf.Session(graph=graph) as sess:
        sess.run(v.initializer)
    with tf.Session(graph=graph) as sess:
        with pytest.raises(errors.FailedPreconditionError, match="Attempting to use uninitialized value v"):
            sess.run(v)


def test_to_proto_round_trip(graph):
    w = Variable([1.0, 2.0], name="w", trainable=False)
    proto = w.to_proto()
    assert (proto.variable_name, proto.initializer_name, proto.snapshot_name) == ("w:0", "w/Assign", "w/read:0")
    assert proto.initial_value_name == "w/initial_value:0" and not proto.trainable
    again = Variable.from_proto(proto)
    assert again.op is w.op and again.initializer is w.initializer and not again.trainable
    assert GraphKeys.GLOBAL_VARIABLES == "variables"


@pytest.mark.usefixtures("g")
def test_uninitialized_variable_failed_precondition_message():
    W = tf.Variable(tf.zeros([2]), name="W")  # noqa: N806
    with tf.Session() as sess, pytest.raises(tf.errors.FailedPreconditionError) as e:
        sess.run(W)
    assert "Attempting to use uninitialized value W" in e.value.message


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_validate_shape_false_allows_shape_change():
    v = tf.Variable([1.0, 2.0], validate_shape=False)
    a = tf.assign(v, [1.0, 2.0, 3.0], validate_shape=False)
    with tf.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(a).tolist() == [1.0, 2.0, 3.0]


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
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


@pytest.mark.usefixtures("g")
def test_variable_load_and_eval():
    v = tf.Variable([0.0, 0.0])
    with tf.Session() as sess:
        sess.run(v.initializer)
        v.load([3.0, 4.0], sess)
        assert v.eval(sess).tolist() == [3.0, 4.0]
        assert v.eval().tolist() == [3.0, 4.0]


@pytest.mark.usefixtures("g")
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


def test_synchronization_and_aggregation_are_checked_as_tf1():
    with tf.Graph().as_default():
        on_read = Variable(1.0, synchronization=tf.VariableSynchronization.ON_READ)
        on_write = Variable(1.0, synchronization=tf.VariableSynchronization.ON_WRITE,
                            aggregation=tf.VariableAggregation.MEAN)
        assert not on_read.trainable and on_write.trainable
        assert on_read not in tf.trainable_variables() and on_write in tf.trainable_variables()
        assert Variable(1.0, synchronization=tf.VariableSynchronization.ON_READ, trainable=True).trainable
        with pytest.raises(ValueError, match="Invalid variable synchronization mode: 9"):
            Variable(1.0, synchronization=9)
        with pytest.raises(ValueError, match="Invalid variable aggregation mode: sum"):
            Variable(1.0, aggregation="sum")
        local = tf.get_variable("local", [2], synchronization=tf.VariableSynchronization.ON_READ)
        assert not local.trainable and local not in tf.trainable_variables()
        with pytest.raises(ValueError, match="ON_READ only for non-trainable variables"):
            tf.get_variable("bad", [2], synchronization=tf.VariableSynchronization.ON_READ, trainable=True)
        assert tf.VariableAggregation.ONLY_FIRST_TOWER is tf.VariableAggregation.ONLY_FIRST_REPLICA


def test_caching_device_places_the_read_snapshot_as_tf1():
    with tf.Graph().as_default():
        with tf.device("/cpu:0"):
            v = Variable(1.0, name="v")
            cached = Variable(1.0, name="cached", caching_device="/job:localhost/device:CPU:0")
        assert v.value().op._colocation is v.op and v.value().op.device == v.op.device
        assert cached.value().op._colocation is None
        assert cached.value().op.device == "/job:localhost/device:CPU:0"


def _truncating_divide_at(a, idx, b):
    for i, v in zip(idx, b, strict=True):
        q = np.abs(a[i]) // np.abs(v)
        a[i] = np.where((a[i] < 0) != (v < 0), -q, q)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("fn,ref", [
    (variables.scatter_add, np.add.at), (variables.scatter_sub, np.subtract.at),
    (variables.scatter_mul, np.multiply.at), (variables.scatter_max, np.maximum.at),
    (variables.scatter_min, np.minimum.at), (variables.scatter_div, None),
], ids=lambda x: getattr(x, "__name__", None))
def test_scatter_ops_over_dtypes_match_numpy_ufunc_at(fn, ref, dtype):
    """Repeated rows apply in order, exactly as numpy's ufunc.at (and truncating integer division as TF)."""
    _check_scatter(fn, ref, dtype, "/cpu:0")


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.int32, np.int64, np.uint8])
@pytest.mark.parametrize("fn,ref", [
    (variables.scatter_add, np.add.at), (variables.scatter_sub, np.subtract.at),
    (variables.scatter_mul, np.multiply.at), (variables.scatter_max, np.maximum.at),
    (variables.scatter_min, np.minimum.at), (variables.scatter_div, None),
], ids=lambda x: getattr(x, "__name__", None))
def test_scatter_ops_over_dtypes_on_gpu(fn, ref, dtype, gpu):
    """The same on '/gpu:0', where cupy has few scatters (core/ops/scatter_kernels.py)."""
    _check_scatter(fn, ref, dtype, "/gpu:0")


def _check_scatter(fn, ref, dtype, device):
    start = np.array([[7, -3], [5, 9], [-8, 2], [6, 4]]) if np.dtype(dtype).kind != "u" else np.array(
        [[7, 3], [5, 9], [8, 2], [6, 4]])
    idx = np.array([2, 0, 2, 2], np.int32)
    updates = np.array([[3, 2], [2, 5], [-4, 3], [2, 1]]) if np.dtype(dtype).kind != "u" else np.array(
        [[3, 2], [2, 5], [4, 3], [2, 1]])
    start, updates = start.astype(dtype), updates.astype(dtype)
    want = start.copy()
    if ref is not None:
        ref(want, idx, updates)
    elif np.dtype(dtype).kind in "iu":
        _truncating_divide_at(want, idx, updates)
    else:
        np.divide.at(want, idx, updates)
    with tf.Graph().as_default(), tf.device(device):
        v = Variable(start)
        out = fn(v, idx, updates)
        with tf.Session() as s:
            s.run(tf.global_variables_initializer())
            got = s.run(out)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


# ---- TF1's reference dtypes ---------------------------------------------------------------------
def test_variable_dtype_is_tf1s_ref_dtype(graph):
    v = Variable([1.0, 2.0])
    assert repr(v) == "<tf.Variable 'Variable:0' shape=(2,) dtype=float32_ref>"
    assert v.dtype is dtypes.float32_ref and str(v.dtype) == "tf.float32_ref" and v.dtype.name == "float32_ref"
    assert v.dtype.base_dtype == tf.float32 and v.dtype._is_ref_dtype and v.dtype != tf.float32
    assert v.dtype == tf.float32._as_ref and tf.as_dtype(v.dtype) is v.dtype
    # The VariableV2 output and the ops TF declares `Ref(T)` (Assign*, Scatter*) are references ...
    assert v._ref().dtype is dtypes.float32_ref and v.op.outputs[0].dtype is dtypes.float32_ref
    assert v.assign([3.0, 4.0]).dtype is dtypes.float32_ref and v.assign_sub([1.0, 1.0]).dtype is dtypes.float32_ref
    assert v.scatter_add(IndexedSlices(constant([1.0]), constant([0]))).dtype is dtypes.float32_ref
    assert v.initializer.outputs[0].dtype is dtypes.float32_ref
    # ... and everything that reads the value is of the value type.
    for t in (v.value(), v.read_value(), tf.identity(v), v + 1, -v, v * v, tf.reduce_sum(v), v[0],
              convert_to_tensor(v), v.initialized_value(), tf.identity(v.assign([1.0, 1.0]))):
        assert t.dtype is tf.float32, t
    assert str(v.value()) == 'Tensor("Variable/read:0", shape=(2,), dtype=float32)'
    assert str(v._ref()) == 'Tensor("Variable:0", shape=(2,), dtype=float32_ref)'
    assert Variable(1, dtype=tf.int64).dtype is dtypes.int64_ref and Variable(["a"]).dtype is dtypes.string_ref


def test_ref_dtypes_never_reach_node_defs(graph):
    v = Variable([1.0, 2.0], name="v")
    v.assign_add([1.0, 1.0], name="add")
    tf.identity(v, name="id")
    attrs = {op.name: {k: a.type for k, a in op.node_def.attr.items() if a.type}
             for op in graph.get_operations()}
    assert attrs["v"] == {"dtype": 1} and attrs["add"] == {"T": 1} and attrs["id"] == {"T": 1}
    assert attrs["v/Assign"] == {"T": 1} and attrs["v/read"] == {"T": 1}
    # A ref dtype given as an attr is written as its value type, as TF's op_def_library does.
    p = placeholder(v.dtype, [2], name="p")
    assert p.dtype is tf.float32 and p.op.node_def.attr["dtype"].type == 1


def test_apis_taking_a_dtype_accept_a_variables_ref_dtype(graph, sess):
    """TF1 programs pass `var.dtype` where a dtype goes: each API takes the value type."""
    v = Variable([1.0, 2.0], name="v")
    i = Variable([1, 2], name="i")
    made = {
        "zeros": tf.zeros([2], v.dtype), "ones": tf.ones([2], dtype=v.dtype), "fill": tf.fill([2], 1.0),
        "cast": tf.cast(i, v.dtype), "cast_same": tf.cast(v, v.dtype), "saturate": tf.saturate_cast(i, v.dtype),
        "placeholder_with_default": tf.placeholder_with_default(tf.zeros([2], v.dtype), [2]),
        "constant": tf.constant([1, 2], dtype=v.dtype), "convert": convert_to_tensor([1, 2], dtype=v.dtype),
        "convert_var": convert_to_tensor(v, dtype=v.dtype), "convert_var_base": convert_to_tensor(v, tf.float32),
        "zeros_like": tf.zeros_like(v, dtype=v.dtype), "ones_like": tf.ones_like(i, dtype=v.dtype),
        "glorot": tf.glorot_uniform_initializer(seed=1)([2], dtype=v.dtype),
        "constant_init": tf.constant_initializer(1.0)([2], dtype=v.dtype),
        "truncated": tf.truncated_normal_initializer(seed=1)([2], dtype=v.dtype),
        "zeros_init": tf.zeros_initializer()([2], dtype=v.dtype),
        "random_normal": tf.random_normal([2], dtype=v.dtype, seed=1),
        "random_uniform": tf.random_uniform([2], dtype=v.dtype, seed=1),
        "one_hot": tf.one_hot([1, 0], 2, dtype=v.dtype), "range": tf.cast(tf.range(2, dtype=i.dtype), tf.float32),
        "get_variable": tf.get_variable("g", [2], dtype=v.dtype, initializer=tf.ones_initializer()).value(),
        "variable": Variable([5, 6], dtype=v.dtype).value(),
    }
    for key, t in made.items():
        assert t.dtype is tf.float32, key
    assert tf.get_variable("h", [2], dtype=v.dtype).dtype is dtypes.float32_ref
    assert tf.sparse_placeholder(v.dtype).dtype is tf.float32
    sess.run(tf.global_variables_initializer())
    out = sess.run(made)
    assert all(a.dtype == np.float32 for a in out.values())
    np.testing.assert_array_equal(out["cast"], [1.0, 2.0])
    np.testing.assert_array_equal(out["variable"], [5.0, 6.0])
    with pytest.raises(ValueError, match="Incompatible type conversion requested to type 'int32_ref' for variable "
                                         "of type 'float32_ref'"):
        convert_to_tensor(v, dtype=i.dtype)


# The same TF1 program under real TensorFlow and estflow (`{prelude}` imports `tf` and `dtypes`).
_REF_DTYPE_PROGRAM = """
import json
{prelude}
v = tf.Variable([1.0, 2.0])
c = tf.Variable(0, name="c")
a = v.assign([3.0, 4.0])
out = {{
    "repr": repr(v), "dtype": v.dtype.name, "enum": v.dtype.as_datatype_enum, "eq_base": v.dtype == tf.float32,
    "base": v.dtype.base_dtype.name, "is_ref": v.dtype._is_ref_dtype, "value": v.value().dtype.name,
    "read_value": v.read_value().dtype.name, "identity": tf.identity(v).dtype.name, "add": (v + 1).dtype.name,
    "ref": v._ref().dtype.name, "op_out": v.op.outputs[0].dtype.name, "assign": a.dtype.name,
    "assign_add": tf.assign_add(c, 1).dtype.name, "str_ref": str(v._ref()), "str_value": str(v.value()),
    "node_dtype": v.op.node_def.attr["dtype"].type, "assign_T": a.op.node_def.attr["T"].type,
    "compat": [tf.float32.is_compatible_with(dtypes.float32_ref), dtypes.float32_ref.is_compatible_with(tf.float32)],
    "as_dtype_101": tf.as_dtype(101).name, "as_ref": tf.float32._as_ref.name,
    "top_level": hasattr(tf, "float32_ref"), "ns": hasattr(tf.dtypes, "float32_ref"),
    "zeros": tf.zeros([2], v.dtype).dtype.name, "cast": tf.cast(c, v.dtype).dtype.name,
    "placeholder": tf.placeholder(v.dtype).dtype.name,
}}
opt = tf.train.MomentumOptimizer(0.1, 0.9)
opt.minimize(tf.reduce_sum(v * v))
out["slot"] = opt.get_slot(v, "momentum").dtype.name
# The other small differences TF1 programs print: a tensor, and the op merge_all creates.
out["print"] = str(tf.add(tf.constant(1), tf.constant(2)))
tf.summary.scalar("loss", tf.reduce_sum(v))
out["merge_all"] = tf.summary.merge_all().name
print(json.dumps(out))
"""


def test_ref_dtypes_match_tensorflow(tf_python):
    theirs = run_tensorflow(tf_python, _REF_DTYPE_PROGRAM.format(prelude=(
        "import tensorflow.compat.v1 as tf\nfrom tensorflow.python.framework import dtypes\n"
        "tf.disable_eager_execution()\ntf.disable_resource_variables()")))
    ours = run_tensorflow(sys.executable, _REF_DTYPE_PROGRAM.format(prelude=(
        "import estflow as tf\nfrom estflow.core import dtypes")))
    assert theirs["repr"] == "<tf.Variable 'Variable:0' shape=(2,) dtype=float32_ref>"
    assert re.fullmatch(r'Tensor\("Add(_\d+)?:0", shape=\(\), dtype=int32\)', theirs["print"]), theirs["print"]
    assert theirs["merge_all"] == "Merge/MergeSummary:0"
    assert ours == theirs


def test_ref_tensors_feed_ops_as_their_values(graph, sess):
    """A ref-typed tensor (`v._ref()`, `tf.assign`'s output) is read where an op takes a value, as in TF1."""
    v = Variable([1.0, 2.0], name="v")
    c = Variable(3, name="c")
    r, cr = v._ref(), c._ref()
    loop = tf.while_loop(lambda i: i < 10, lambda i: i + 1, [cr])
    outs = {
        "grad": tf.gradients(tf.reduce_sum(r * r), [r])[0], "cond": tf.cond(cr > 1, lambda: r, lambda: v.value()),
        "range": tf.range(cr), "loop": loop, "div": cr / 2, "cast": tf.cast(cr, tf.float32),
        "stack": tf.stack([r, v]), "fill": tf.fill([cr], 1.0),
    }
    assert loop.dtype is tf.int32 and outs["div"].dtype is tf.float64 and outs["stack"].dtype is tf.float32
    sess.run(tf.global_variables_initializer())
    got = sess.run(outs)
    np.testing.assert_array_equal(got["grad"], [2.0, 4.0])
    np.testing.assert_array_equal(got["cond"], [1.0, 2.0])
    np.testing.assert_array_equal(got["range"], [0, 1, 2])
    assert got["loop"] == 10 and got["div"] == 1.5 and got["cast"] == 3.0
    np.testing.assert_array_equal(got["fill"], [1.0, 1.0, 1.0])
    added = tf.assign_add(c, 1)
    assert added.dtype is dtypes.int32_ref and sess.run(added * 2) == 8
