"""tf.py_func, tf.numpy_function, tf.py_function (estflow/core/ops/script_ops.py): Python inside a graph,
and graphs holding it refuse export."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.graph_io import UnexportableGraphError
from estflow.core.ops.script_ops import PY_FUNC_OP_TYPES, is_py_func


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
def test_py_func_runs_python_on_numpy_values():
    x = tf.placeholder(tf.float32, [None])
    doubled = tf.py_func(lambda a: a * 2, [x], tf.float32)
    assert doubled.op.type == "PyFunc" and doubled.dtype == tf.float32 and doubled.shape.ndims is None
    np.testing.assert_array_equal(_run(doubled, {x: [1, 2]}), [2, 4])
    pair = tf.py_func(lambda a, b: (a + b, np.int64(len(a))), [x, x], [tf.float32, tf.int64], stateful=False)
    assert isinstance(pair, list) and pair[0].op.type == "PyFuncStateless"
    total, count = _run(pair, {x: [1, 2, 3]})
    np.testing.assert_array_equal(total, [2, 4, 6])
    assert count == 3
    words = tf.numpy_function(lambda a: np.array([b"%d" % v for v in a], dtype=object), [tf.constant([1, 2])],
                              tf.string)
    assert _run(words).tolist() == [b"1", b"2"]
    assert tf.py_func(lambda: None, [], []).type == "PyFunc"


@pytest.mark.usefixtures("g")
def test_py_function_passes_values_with_numpy():
    y = tf.py_function(lambda a: a.numpy().sum() * 1.0, [tf.constant([1.0, 2.0])], tf.float32)
    assert y.op.type == "EagerPyFunc" and _run(y) == 3.0


@pytest.mark.usefixtures("g")
def test_calls_happen_when_the_op_runs_not_when_it_is_built():
    calls = []

    def count(a):
        calls.append(1)
        return a

    out = tf.py_func(count, [tf.constant(1.0)], tf.float32, stateful=False)
    assert calls == []
    _run(out)
    _run(out)
    assert len(calls) == 2


@pytest.mark.usefixtures("g")
def test_errors_become_tf_errors():
    bad_type = tf.py_func(lambda a: a.astype(np.float64), [tf.constant([1.0])], tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="0-th value returned by pyfunc_.* is float64, but "
                                                             "expects float32"):
        _run(bad_type)
    raises = tf.py_func(lambda a: int("x"), [tf.constant(1)], tf.int64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ValueError: invalid literal"):
        _run(raises)
    unknown = tf.py_func(lambda a: 1 / 0, [tf.constant(1)], tf.int64)
    with pytest.raises(tf.errors.UnknownError, match="ZeroDivisionError"):
        _run(unknown)
    wrong_count = tf.py_func(lambda a: (a, a), [tf.constant(1)], [tf.int32])
    with pytest.raises(tf.errors.InvalidArgumentError, match="returned 2 values, but expects 1"):
        _run(wrong_count)
    with pytest.raises(TypeError, match="callable"):
        tf.py_func(3, [], tf.int32)


@pytest.mark.usefixtures("g")
def test_graphs_with_python_functions_refuse_export_and_can_be_detected(tmp_path):
    y = tf.py_func(lambda a: a, [tf.constant(1.0)], tf.float32, name="mine")
    with pytest.raises(UnexportableGraphError, match="'mine' .* runs a Python function"):
        tf.get_default_graph().as_graph_def()
    assert is_py_func(y.op) and set(PY_FUNC_OP_TYPES) == {"PyFunc", "PyFuncStateless", "EagerPyFunc"}
    assert not is_py_func(tf.constant(1.0).op)
    assert not tf.gradients(y, [])  # nothing to differentiate; the op itself declares no gradient
