"""tf.TensorArray (TensorArrayV3 and the ops on its handle): TF1's graph-mode semantics, names,
errors, while_loop loop variables and gradients (through reads, writes, stack/unstack,
gather/scatter, concat/split, in and out of loops)."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops.tensor_array import TensorArray
from tests.core.gradient_check import check_gradient


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_is_tf_tensor_array():
    assert tf.TensorArray is TensorArray


def test_write_read_stack_with_tf1_names_and_shapes(g):
    ta = tf.TensorArray(tf.float32, size=3)
    written = ta.write(0, [1.0, 2.0])
    assert ta.handle.op.name == "TensorArray" and ta.handle.op.type == "TensorArrayV3"
    assert ta.handle.dtype == tf.resource and ta.flow.dtype == tf.float32
    assert written.flow.op.name == "TensorArrayWrite/TensorArrayWriteV3"
    read = written.read(0)
    stacked = written.stack()
    assert read.op.name == "TensorArrayReadV3" and read.shape.as_list() == [2]
    assert stacked.op.name == "TensorArrayStack/TensorArrayGatherV3" and stacked.shape.as_list() == [3, 2]
    assert written.element_shape.as_list() == [2] and ta.element_shape.as_list() == [2]  # shared, as TF1's
    attrs = ta.handle.op._attrs
    assert attrs["identical_element_shapes"] and attrs["clear_after_read"] and not attrs["dynamic_size"]
    # Unwritten elements of a known shape stack as zeros (the first write fixed the shape).
    np.testing.assert_array_equal(_run(stacked), [[1, 2], [0, 0], [0, 0]])
    np.testing.assert_array_equal(_run(read), [1, 2])


def test_unwritten_read_needs_a_full_element_shape(g):
    np.testing.assert_array_equal(_run(tf.TensorArray(tf.float32, 3, element_shape=[2]).read(1)), [0, 0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not read from TensorArray index 1.  Furthermore"):
        _run(tf.TensorArray(tf.float32, 3).read(1))


def test_write_errors(g):
    ta = tf.TensorArray(tf.float32, 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="index 0 because it has already been written to"):
        _run(ta.write(0, [1.0]).write(0, [2.0]).flow)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Tried to write to index 3 but array is not resizeable and size is: 3"):
        _run(tf.TensorArray(tf.float32, 3).write(3, 1.0).flow)
    with pytest.raises(tf.errors.InvalidArgumentError, match="TensorArray dtype is float32 but Op is trying to "
                                                             "write dtype int32"):
        _run(tf.TensorArray(tf.float32, 3).write(0, tf.constant(1)).flow)
    with pytest.raises(ValueError, match=r"Inconsistent shapes: saw \(2,\) but expected \(1,\)"):
        ta.write(0, [1.0]).write(1, [1.0, 2.0])
    # Without infer_shape the elements may differ (concat joins them).
    loose = tf.TensorArray(tf.float32, 2, infer_shape=False).write(0, [1.0]).write(1, [2.0, 3.0])
    np.testing.assert_array_equal(_run(loose.concat()), [1, 2, 3])


def test_dynamic_size_grows_and_size_reports_it(g):
    ta = tf.TensorArray(tf.int32, size=0, dynamic_size=True)
    assert ta.dynamic_size
    grown = ta.write(5, [1, 2])
    size = grown.size()
    assert size.op.type == "TensorArraySizeV3"
    assert _run(size) == 6
    assert tf.TensorArray(tf.int32, size=4).size().op.type == "Const"  # a static size is a constant, as TF1's
    np.testing.assert_array_equal(_run(grown.stack())[[0, 5]], [[0, 0], [1, 2]])


def test_clear_after_read(g):
    ta = tf.TensorArray(tf.float32, 3).unstack([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not read index 0 twice because it was cleared"):
        _run([ta.read(0), ta.read(0)])
    keep = tf.TensorArray(tf.float32, 3, clear_after_read=False).unstack([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    a, b = _run([keep.read(2), keep.read(2)])
    np.testing.assert_array_equal(a, [5, 6])
    np.testing.assert_array_equal(b, [5, 6])


def test_each_run_gets_a_fresh_array(g):
    ta = tf.TensorArray(tf.float32, 2).write(0, tf.placeholder_with_default(1.0, []))
    with tf.Session() as sess:
        assert sess.run(ta.read(0)) == 1.0
        assert sess.run(ta.read(0)) == 1.0  # cleared in the first run only


def test_gather_scatter_concat_split(g):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    ta = tf.TensorArray(tf.float32, 4).scatter([3, 1, 0, 2], x)
    np.testing.assert_array_equal(_run(ta.gather([0, 1])), x[[2, 1]])
    gathered = tf.TensorArray(tf.float32, 4, element_shape=[3]).gather([0, 1])
    assert gathered.shape.as_list() == [2, 3]
    split = tf.TensorArray(tf.float32, 2).split(x, [2, 2])
    assert split.element_shape.as_list() == [2, 3]
    concat = split.concat()
    assert concat.op.type == "TensorArrayConcatV3" and concat.shape.as_list() == [4, 3]
    np.testing.assert_array_equal(_run(concat), x)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Expected sum of lengths to be equal to values.shape"):
        _run(tf.TensorArray(tf.float32, 2, infer_shape=False).split(x, [1, 2]).flow)
    with pytest.raises(tf.errors.InvalidArgumentError, match="not marked as dynamically resizeable"):
        _run(tf.TensorArray(tf.float32, 1, infer_shape=False).split(x, [1, 3]).flow)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Expected len\(indices\) == values.shape\[0\]"):
        _run(tf.TensorArray(tf.float32, 4).scatter([0, 1], x).flow)


def test_zero_size_stack_needs_a_static_element_shape(g):
    assert _run(tf.TensorArray(tf.float32, 0, element_shape=[2]).stack()).shape == (0, 2)
    with pytest.raises(tf.errors.UnimplementedError, match="TensorArray has size zero, but element shape <unknown>"):
        _run(tf.TensorArray(tf.float32, 0).stack())


def test_close_and_identity(g):
    ta = tf.TensorArray(tf.float32, 2)
    closed = ta.close()
    assert closed.type == "TensorArrayCloseV3"
    with tf.control_dependencies([closed]):
        late = ta.write(0, 1.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="has already been closed"):
        _run(late.flow)
    same = ta.write(0, 2.0).identity()
    assert same.flow.op.type == "Identity" and same.handle is ta.handle
    assert _run(same.read(0)) == 2.0


def test_constructor_arguments(g):
    with pytest.raises(ValueError, match="Size must be provided if handle is not provided"):
        tf.TensorArray(tf.float32)
    ta = tf.TensorArray(tf.float32, 2, tensor_array_name="mine", element_shape=[None, 2])
    assert ta.handle.op._attrs["tensor_array_name"] == "mine"
    assert ta.element_shape.as_list() == [None, 2]
    with pytest.raises(ValueError, match="Cannot provide both a handle and size"):
        tf.TensorArray(tf.float32, 2, handle=ta.handle, flow=ta.flow)
    with pytest.raises(ValueError, match="flow must not be None"):
        tf.TensorArray(tf.float32, handle=ta.handle)
    with pytest.raises(TypeError, match="Handle must be a Tensor"):
        tf.TensorArray(tf.float32, handle=1, flow=ta.flow)
    view = tf.TensorArray(tf.float32, handle=ta.handle, flow=ta.flow)
    assert view.handle is ta.handle and view.flow is ta.flow
    with pytest.raises(tf.errors.InvalidArgumentError, match="TensorArray mine: Tried to write to index 2"):
        _run(ta.write(2, [[1.0, 2.0]]).flow)


def test_colocate_with_first_write_call(g):
    ta = tf.TensorArray(tf.float32, 2)
    assert ta.handle.op.device == ""
    with tf.device("/cpu:0"):
        value = tf.constant([1.0])
    ta.write(0, value)
    assert ta.handle.op.device == value.op.device != ""


def test_while_loop_carries_a_tensor_array(g):
    x = tf.placeholder(tf.float32, [5, 2])
    rows = tf.TensorArray(tf.float32, size=5).unstack(x)
    out = tf.TensorArray(tf.float32, size=5)

    def body(i, ta):
        return i + 1, ta.write(i, rows.read(i) * tf.cast(i, tf.float32))

    _, out = tf.while_loop(lambda i, _: i < 5, body, [0, out])
    assert isinstance(out, tf.TensorArray) and out.element_shape.as_list() == [2]
    stacked = out.stack()
    assert stacked.shape.as_list() == [5, 2]
    xv = np.arange(10, dtype=np.float32).reshape(5, 2)
    np.testing.assert_array_equal(_run(stacked, {x: xv}), xv * np.arange(5)[:, None])
    with pytest.raises(TypeError, match="must stay a TensorArray"):
        tf.while_loop(lambda i, _: i < 5, lambda i, ta: (i + 1, ta.flow), [0, tf.TensorArray(tf.float32, 5)])


def test_dynamic_size_array_in_a_loop(g):
    def body(i, ta):
        return i + 1, ta.write(i, tf.fill([2], tf.cast(i, tf.float32)))

    _, ta = tf.while_loop(lambda i, _: i < 4, body, [0, tf.TensorArray(tf.float32, size=0, dynamic_size=True)])
    values, size = _run([ta.stack(), ta.size()])
    assert size == 4
    np.testing.assert_array_equal(values, np.repeat(np.arange(4.0), 2).reshape(4, 2))


# ---- gradients --------------------------------------------------------------------------------------
def test_gradient_of_unstack_read_write_stack():
    def build(x):
        ta = tf.TensorArray(tf.float64, size=3).unstack(x)
        out = tf.TensorArray(tf.float64, size=3)
        out = out.write(0, ta.read(2) * ta.read(1)).write(1, tf.sin(ta.read(0))).write(2, tf.zeros([2], tf.float64))
        return out.stack()

    check_gradient(build, [np.random.default_rng(1).standard_normal((3, 2))])


def test_gradient_of_a_value_read_twice_adds_up():
    def build(x):
        ta = tf.TensorArray(tf.float64, size=1, clear_after_read=False).write(0, x)
        return ta.read(0) * ta.read(0)

    check_gradient(build, [np.array([0.5, -2.0])])


def test_gradient_of_scatter_gather_split_concat():
    def build(x):
        ta = tf.TensorArray(tf.float64, size=4).scatter([2, 0, 3, 1], x)
        pieces = tf.TensorArray(tf.float64, size=2).split(tf.reshape(ta.gather([1, 0, 3, 2]), [8]), [4, 4])
        return pieces.concat() ** 2

    check_gradient(build, [np.random.default_rng(2).standard_normal((4, 2))])


def test_gradient_through_a_while_loop():
    def build(x, w):
        rows = tf.TensorArray(tf.float64, size=4).unstack(x)

        def body(t, h, ta):
            h = tf.tanh(rows.read(t) * w + h)
            return t + 1, h, ta.write(t, h)

        _, h, ta = tf.while_loop(lambda t, *_: t < 4, body, [0, tf.zeros([3], tf.float64),
                                                              tf.TensorArray(tf.float64, size=4)])
        return ta.stack() * 2.0 + h

    rng = np.random.default_rng(3)
    check_gradient(build, [rng.standard_normal((4, 3)), rng.standard_normal(3)])


def test_gradient_ops_are_tf1s(g):
    x = tf.placeholder(tf.float32, [2, 3])
    y = tf.TensorArray(tf.float32, 2).unstack(x).stack()
    (dx,) = tf.gradients(y, [x])
    types = {op.type for op in g.get_operations()}
    assert {"TensorArrayGradV3", "TensorArrayScatterV3", "TensorArrayGatherV3"} <= types
    grad_op = next(op for op in g.get_operations() if op.type == "TensorArrayGradV3")
    assert grad_op._attrs["source"] == "gradients"
    np.testing.assert_array_equal(_run(dx, {x: np.ones((2, 3))}), np.ones((2, 3)))


# ---- TensorArraySpec ---------------------------------------------------------------------------------
def test_tensor_array_spec(g):
    spec = tf.TensorArraySpec([2], tf.float32)
    assert repr(spec) == "TensorArraySpec(TensorShape([Dimension(2)]), tf.float32, False, True)"  # TF 2.15.1's
    assert spec == tf.TensorArraySpec([2]) and hash(spec) == hash(tf.TensorArraySpec([2]))
    assert spec != tf.TensorArraySpec([3]) and spec != tf.TensorArraySpec([2], infer_shape=False)
    assert spec.value_type is tf.TensorArray
    assert spec.is_compatible_with(tf.TensorArraySpec([None]))
    assert spec.is_compatible_with(tf.TensorArraySpec([2], infer_shape=False))
    assert not spec.is_compatible_with(tf.TensorArraySpec([None], dynamic_size=True))
    assert not spec.is_compatible_with(tf.TensorArraySpec([2], tf.int32))
    ta = tf.TensorArray(tf.int32, 3, dynamic_size=True, element_shape=[None, 2])
    assert repr(tf.TensorArraySpec.from_value(ta)) == \
        "TensorArraySpec(TensorShape([Dimension(None), Dimension(2)]), tf.int32, True, True)"
    assert tf.TensorArraySpec([None, 2], tf.int32, True).is_compatible_with(ta)
    assert not spec.is_compatible_with(ta)
    with pytest.raises(TypeError, match="Expected value to be a TensorArray"):
        tf.TensorArraySpec.from_value(1)
    # tf.data.experimental's deprecated name takes (dtype, element_shape, dynamic_size, infer_shape).
    assert tf.data.experimental.TensorArrayStructure(tf.float32, [2], False, True) == spec


def test_cond_returns_tensor_arrays(g):
    x = tf.placeholder(tf.float32, [4])

    def body(t, ta):
        value = x[t]
        written = tf.cond(value > 0, lambda: ta.write(t, value * 2.0), lambda: ta.write(t, -value))
        assert isinstance(written, tf.TensorArray)
        return t + 1, written

    _, ta = tf.while_loop(lambda t, _: t < 4, body, [0, tf.TensorArray(tf.float32, 4)])
    stacked = ta.stack()
    (dx,) = tf.gradients(tf.reduce_sum(stacked), [x])
    with tf.Session() as sess:
        values, grad = sess.run([stacked, dx], {x: [1.0, -2.0, 3.0, -4.0]})
    np.testing.assert_array_equal(values, [2.0, 2.0, 6.0, 4.0])
    np.testing.assert_array_equal(grad, [2.0, -1.0, 2.0, -1.0])
