"""The tf.assert_* family and numeric checks (estflow/library/check_ops.py)."""

import numpy as np
import pytest

import estflow as tf


def _run(fetch, feed=None):
    with tf.Session() as sess:
        return sess.run(fetch, feed)


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("assertion, good, bad", [
    (tf.assert_equal, ([1, 2], [1, 2]), ([1, 2], [1, 3])),
    (tf.assert_none_equal, ([1, 2], [3, 4]), ([1, 2], [3, 2])),
    (tf.assert_less, ([1, 2], [2, 3]), ([1, 2], [2, 2])),
    (tf.assert_less_equal, ([1, 2], [1, 3]), ([1, 4], [2, 3])),
    (tf.assert_greater, ([2, 3], [1, 2]), ([2, 2], [1, 2])),
    (tf.assert_greater_equal, ([2, 2], [1, 2]), ([0, 2], [1, 2])),
])
def test_binary_assertions_pass_and_fail_at_run_time(assertion, good, bad):
    x = tf.placeholder(tf.int32, [2])
    y = tf.placeholder(tf.int32, [2])
    check = assertion(x, y, message="custom words")
    _run(check, {x: good[0], y: good[1]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="custom words") as failure:
        _run(check, {x: bad[0], y: bad[1]})
    assert "did not hold element-wise" in str(failure.value)


@pytest.mark.usefixtures("g")
def test_known_values_fail_while_the_graph_is_built():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Condition x == y did not hold"):
        tf.assert_equal(tf.constant([1, 2]), tf.constant([1, 3]))
    assert tf.assert_equal(tf.constant(1), 1).type == "Assert"


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("assertion, good, bad", [
    (tf.assert_positive, [1.0, 2.0], [0.0, 1.0]),
    (tf.assert_negative, [-1.0], [-1.0, 0.0]),
    (tf.assert_non_negative, [0.0, 1.0], [-1.0]),
    (tf.assert_non_positive, [0.0, -1.0], [1.0]),
])
def test_sign_assertions(assertion, good, bad):
    x = tf.placeholder(tf.float32, [None])
    check = assertion(x)
    _run(check, {x: good})
    with pytest.raises(tf.errors.InvalidArgumentError, match="0 did not hold element-wise"):
        _run(check, {x: bad})


@pytest.mark.usefixtures("g")
def test_assert_near_uses_dtype_tolerances():
    x = tf.placeholder(tf.float32, [2])
    check = tf.assert_near(x, [1.0, 2.0])
    _run(check, {x: [1.0 + 1e-7, 2.0]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="not equal to tolerance"):
        _run(check, {x: [1.01, 2.0]})
    _run(tf.assert_near(x, [1.0, 2.0], atol=0.1), {x: [1.05, 2.0]})


@pytest.mark.usefixtures("g")
def test_rank_assertions_decide_statically_when_they_can():
    x = tf.zeros([2, 3])
    assert tf.assert_rank(x, 2).type == "NoOp"
    assert tf.assert_rank_at_least(x, 1).type == "NoOp"
    assert tf.assert_rank_in(x, [1, 2]).type == "NoOp"
    with pytest.raises(ValueError, match="must have rank 3. Received rank 2, shape"):
        tf.assert_rank(x, 3)
    with pytest.raises(ValueError, match="must have rank at least 3"):
        tf.assert_rank_at_least(x, 3)
    with pytest.raises(ValueError, match=r"does not have rank in \(0, 1\)"):
        tf.assert_rank_in(x, [0, 1])
    unknown = tf.placeholder(tf.float32)
    check = tf.assert_rank(unknown, 2)
    _run(check, {unknown: np.zeros([1, 1])})
    with pytest.raises(tf.errors.InvalidArgumentError, match="must have rank 2"):
        _run(check, {unknown: np.zeros([1])})
    check_in = tf.assert_rank_in(unknown, [0, 3])
    _run(check_in, {unknown: 1.0})
    with pytest.raises(tf.errors.InvalidArgumentError):
        _run(check_in, {unknown: np.zeros([1])})


@pytest.mark.usefixtures("g")
def test_static_type_checks():
    assert tf.assert_integer(tf.constant(1)).type == "NoOp"
    with pytest.raises(TypeError, match="Expected \"x\" to be integer type"):
        tf.assert_integer(tf.constant(1.0))
    assert tf.assert_type(tf.constant(1.0), tf.float32).type == "NoOp"
    with pytest.raises(TypeError, match="must be of type"):
        tf.assert_type(tf.constant(1), tf.float32)
    scalar = tf.constant(3.0)
    assert tf.assert_scalar(scalar) is scalar
    with pytest.raises(ValueError, match="Expected scalar shape"):
        tf.assert_scalar(tf.constant([1.0]))
    assert tf.assert_same_float_dtype([tf.constant(1.0), tf.constant(2.0)]) == tf.float32
    assert tf.assert_same_float_dtype(None, tf.float64) == tf.float64
    assert tf.assert_same_float_dtype() == tf.float32
    with pytest.raises(ValueError, match="type mismatch"):
        tf.assert_same_float_dtype([tf.constant(1.0), tf.constant(1.0, tf.float64)])
    with pytest.raises(ValueError, match="Expected floating point type"):
        tf.assert_same_float_dtype([tf.constant(1)])
    tf.assert_proper_iterable([1, 2])
    for bad in (tf.constant([1]), np.zeros(2), "ab", b"ab"):
        with pytest.raises(TypeError, match="proper"):
            tf.assert_proper_iterable(bad)
    with pytest.raises(TypeError, match="to be iterable"):
        tf.assert_proper_iterable(3)
    assert tf.is_numeric_tensor(tf.constant(1.0)) and not tf.is_numeric_tensor(tf.constant("a"))
    assert not tf.is_numeric_tensor(1.0)


@pytest.mark.usefixtures("g")
def test_assert_variables_initialized():
    assert tf.assert_variables_initialized() is None
    v = tf.Variable(1.0)
    check = tf.assert_variables_initialized()
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match="uninitialized"):
            sess.run(check)
        sess.run(v.initializer)
        sess.run(check)


@pytest.mark.usefixtures("g")
def test_verify_tensor_all_finite_and_add_check_numerics_ops():
    x = tf.placeholder(tf.float32, [2])
    checked = tf.verify_tensor_all_finite(x, "x went bad")
    np.testing.assert_array_equal(_run(checked, {x: [1.0, 2.0]}), [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="x went bad"):
        _run(checked, {x: [np.inf, 2.0]})
    y = tf.log(x, name="logged")
    check_all = tf.add_check_numerics_ops()
    _run(check_all, {x: [1.0, 2.0]})
    with pytest.raises(tf.errors.InvalidArgumentError, match="logged:0"):
        _run(check_all, {x: [-1.0, 2.0]})
    del y


@pytest.mark.usefixtures("g")
def test_add_check_numerics_ops_refuses_control_flow():
    tf.cond(tf.constant(True), lambda: tf.constant(1.0), lambda: tf.constant(2.0))
    with pytest.raises(ValueError, match="not compatible with TensorFlow control flow"):
        tf.add_check_numerics_ops()
