"""Gather ops: run-time bounds, static shapes and errors for gather/scatter, where, unique, top_k,
one_hot, bucketize, boolean_mask and sequence_mask.

Values and gradients of these ops are in the array op table (tests/core/test_array_ops.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.gradients import gradients
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.ops.gather_ops import (
    boolean_mask,
    bucketize,
    gather,
    gather_nd,
    one_hot,
    scatter_nd,
    sequence_mask,
    top_k,
    unique,
    where,
)
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.plan import Compiler
from estflow.core.registry import registered_ops


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    with tf.Graph().as_default() as g:
        yield g


# ---- gather / scatter --------------------------------------------------------------------------------
def test_gather_out_of_range_at_run_time():
    i = placeholder(tf.int32, [None])
    j = placeholder(tf.int64, [2, 2])
    p = constant([1.0, 2.0, 3.0])
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1\] = 7 is not in \[0, 3\)"):
            sess.run(gather(p, i), {i: [0, 7]})
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1,0\] = -1 is not in \[0, 3\)"):
            sess.run(gather(p, j), {j: [[0, 1], [-1, 2]]})
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1\] = \[2, 0\] does not index into param "
                                                              r"shape \[2,2\]"):
            sess.run(gather_nd(constant(np.zeros((2, 2))), j), {j: [[0, 1], [2, 0]]})


def test_gather_grad_is_indexed_slices_for_axis_0():
    from estflow.core.indexed_slices import IndexedSlices

    p = placeholder(tf.float32, [4, 2])
    y = gather(p, [3, 1, 3])
    grad = gradients(reduce_sum(y), [p])[0]
    assert isinstance(grad, IndexedSlices)
    with tf.Session() as sess:
        value = sess.run(grad, {p: np.zeros((4, 2))})
    np.testing.assert_array_equal(value.indices, [3, 1, 3])
    np.testing.assert_array_equal(value.dense_shape, [4, 2])


def test_gather_static_shapes_and_errors():
    p = placeholder(tf.float32, [5, None, 3])
    assert gather(p, placeholder(tf.int32, [2, 7]), axis=1).shape.as_list() == [5, 2, 7, 3]
    with pytest.raises(ValueError, match="Shape must be at least rank 4 but is rank 3"):
        gather(p, [0], axis=3)
    with pytest.raises(TypeError, match="parameter 'indices' has DataType float32"):
        gather(p, [0.5])


def test_scatter_nd_sums_duplicates_and_checks_bounds():
    idx = placeholder(tf.int32, [None, 2])
    y = scatter_nd(idx, constant([1.0, 2.0, 4.0]), [2, 2])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {idx: [[0, 1], [0, 1], [1, 0]]}), [[0, 3], [4, 0]])
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[2\] = \[2, 0\] does not index into shape"):
            sess.run(y, {idx: [[0, 1], [0, 1], [2, 0]]})


# ---- where / unique / top_k / one_hot / bucketize ---------------------------------------------------------------
def test_where_dispatch():
    c = constant([True, False])
    assert where(c).op.type == "Where" and where(c).dtype == tf.int64
    assert where(c).shape.as_list() == [1, 1]  # folded: the condition is a constant
    assert where(placeholder(tf.bool, [None, 3])).shape.as_list() == [None, 2]
    with pytest.raises(ValueError, match="x and y must both be non-None or both be None"):
        where(c, x=constant([1.0, 2.0]))
    if "Select" in registered_ops():
        s = where(c, constant([1.0, 2.0]), constant([3.0, 4.0]))
        assert s.op.type == "Select"
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(s), [1.0, 4.0])


def test_unique_order_and_idx_dtype():
    y, idx = unique(constant([b"b", b"a", b"b", b"c"]), out_idx=tf.int64)
    assert idx.dtype == tf.int64
    with tf.Session() as sess:
        vy, vi = sess.run([y, idx])
    assert vy.tolist() == [b"b", b"a", b"c"] and vi.tolist() == [0, 1, 0, 2]
    with pytest.raises(ValueError, match="Shape must be rank 1 but is rank 2"):
        unique(constant([[1, 2]]))


def test_top_k_ties_prefer_lower_index():
    x = np.array([[1, 5, 3, 5, 5, 0], [2, 2, 2, 2, 2, 2]], np.int32)
    values, indices = top_k(constant(x), 4)
    assert values.shape.as_list() == [2, 4] and indices.dtype == tf.int32
    with tf.Session() as sess:
        v, i = sess.run([values, indices])
    assert i.tolist() == [[1, 3, 4, 2], [0, 1, 2, 3]] and v.tolist() == [[5, 5, 5, 3], [2, 2, 2, 2]]
    with pytest.raises(ValueError, match="input must have last dimension >= k = 7 but is 6"):
        top_k(constant(x), 7)
    k = placeholder(tf.int32, [])
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                              match="input must have at least k columns. Had 6, needed 9"):
        sess.run(top_k(constant(x), k)[0], {k: 9})


@pytest.mark.parametrize("axis", [-1, 0, 1, 2])
def test_one_hot_axes(axis):
    idx = np.array([[0, 2, 5], [1, -1, 0]], np.int64)
    y = one_hot(idx, 3, axis=axis, dtype=tf.float64)
    expected = np.moveaxis(np.eye(3)[np.clip(idx, 0, 2)] * ((idx >= 0) & (idx < 3))[..., None], -1,
                           axis if axis != -1 else 2)
    assert y.shape.as_list() == list(expected.shape) and y.dtype == tf.float64
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), expected)


def test_one_hot_dtype_inference():
    assert one_hot([0], 2).dtype == tf.float32
    assert one_hot([0], 2, on_value=3).dtype == tf.int32
    assert one_hot([0], 2, off_value=constant(0.5, tf.float64)).dtype == tf.float64
    assert one_hot([0], 2).op.name.startswith("one_hot")
    with pytest.raises(TypeError, match="of on_value does not match dtype parameter"):
        one_hot([0], 2, on_value=1.0, dtype=tf.float64)
    with pytest.raises(TypeError, match="of on_value does not match dtype"):
        one_hot([0], 2, on_value=1, off_value=0.0)
    with pytest.raises(ValueError, match=r"Expected axis to be -1 or between \[0, 2\).  But received: -2"):
        one_hot([0], 2, axis=-2)


def test_bucketize_edges_exact():
    x = constant([-1, 0, 1, 2, 3], dtype=tf.int32)
    with tf.Session() as sess:
        # value == boundary goes to the upper bucket (count of boundaries <= x)
        assert sess.run(bucketize(x, [0, 2])).tolist() == [0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match="Expected sorted boundaries"):
        bucketize(x, [2, 0])


def test_bucketize_counts_denormal_inputs_as_zero():
    # TF runs with denormals flushed to zero: -1e-40 meets a boundary at 0 as 0 does; others are unaffected.
    x = constant([1e-40, -1e-40, -1e-30, 0.5, float("nan")], dtype=tf.float32)
    with tf.Session() as sess:
        assert sess.run(bucketize(x, [0.0, 1.0])).tolist() == [1, 1, 0, 1, 2]
        assert sess.run(bucketize(x, [-1.0, 1.0])).tolist() == [1, 1, 1, 1, 2]


def test_boolean_mask_errors():
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        boolean_mask(constant([1, 2]), True)
    with pytest.raises(ValueError, match="Number of mask dimensions must be specified"):
        boolean_mask(constant([1, 2]), placeholder(tf.bool))
    with pytest.raises(ValueError, match="are incompatible"):
        boolean_mask(constant([1, 2]), [True, False, True])


def test_sequence_mask_default_maxlen_and_dtype():
    n = placeholder(tf.int32, [None])
    y = sequence_mask(n, dtype=tf.float32)
    assert y.dtype == tf.float32
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {n: [2, 0]}), [[1, 1], [0, 0]])


def test_one_hot_values_keep_their_signs_and_dtypes():
    ids = constant([0, 2, -1, 5], dtype=tf.int64)
    with tf.Session() as sess:
        plain = sess.run(one_hot(ids, 3))
        negative_off = sess.run(one_hot(ids, 3, on_value=1.0, off_value=-0.0))
        ints = sess.run(one_hot(ids, 3, dtype=tf.int32))
    np.testing.assert_array_equal(plain, [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0]])
    assert plain.dtype == np.float32 and not np.signbit(plain).any()
    assert np.signbit(negative_off).sum() == 10  # every off value is -0.0, as TF fills it
    assert ints.dtype == np.int32 and ints.tolist() == plain.astype(np.int32).tolist()


def test_gather_of_a_variable_read_reads_the_variable_in_its_own_step():
    weights = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    ids = placeholder(tf.int64, [None])
    out = gather(weights, ids)
    fusion = registered_ops()["GatherV2"].fuse(out.op)
    assert fusion is not None and fusion.inputs[0].op.type == "VariableV2" and fusion.skipped == (out.op.inputs[0],)
    with tf.Session() as sess:
        sess.run(weights.initializer)
        np.testing.assert_array_equal(sess.run(out, {ids: [2, 0]}), [[4, 5], [0, 1]])
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[0\] = 3 is not in \[0, 3\)"):
            sess.run(out, {ids: [3]})
        plan = Compiler(sess).compile([out], [ids])
        assert [step[5].type for step in plan.steps] == ["VariableV2", "GatherV2"]  # no Identity step
        read = out.op.inputs[0]
        np.testing.assert_array_equal(sess.run(out, {ids: [1], read: np.ones((3, 2), np.float32)}), [[1, 1]])
    tf.identity(out.op.inputs[0])  # a second reader of the read: it stays a step
    assert registered_ops()["GatherV2"].fuse(out.op) is None


def test_unique_of_a_few_ids_matches_the_general_path():
    from estflow.core.ops import gather_ops  # the threshold of the small-input path is internal

    rng = np.random.default_rng(5)
    cases = [rng.integers(-3, 4, n).astype(dt) for n in (1, 2, 5, 31, 32, 33, 40) for dt in (np.int32, np.int64)]
    cases += [np.array([True, False, True]), rng.choice(np.array([b"a", b"bb", b""], dtype=object), 7),
              np.array([7], np.uint8), np.array([2**63 + 5, 1, 2**63 + 5], np.uint64)]
    for x in cases:
        y, idx = gather_ops._unique_kernel(np, x, tf.int64)
        _, first = np.unique(x, return_index=True)
        want = x[np.sort(first)]
        assert y.dtype == x.dtype and idx.dtype == np.int64
        assert y.tolist() == want.tolist() and x.tolist() == y[idx].tolist()
    y, idx = gather_ops._unique_kernel(np, np.array([b"b", b"a", b"b"], dtype=object), tf.int32)
    assert y.tolist() == [b"b", b"a"] and idx.tolist() == [0, 1, 0] and idx.dtype == np.int32
    # Floats keep np.unique's equality: nan once, -0.0 equal to 0.0.
    y, idx = gather_ops._unique_kernel(np, np.array([np.nan, 0.0, -0.0, np.nan], np.float32), tf.int32)
    assert y.size == 2 and idx.tolist() == [0, 1, 1, 0]
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int16])
@pytest.mark.parametrize("out_idx", [tf.int32, tf.int64])
def test_unique_small_integer_path_equals_the_sorting_path(dtype, out_idx, monkeypatch):
    from estflow.core.ops import gather_ops  # the module's kernel and threshold, patched below

    rng = np.random.default_rng(7)
    cases = [rng.integers(0, 20, n).astype(dtype) for n in (1, 2, 5, 40, 128)] + [np.array([3, 3, 3], dtype)]
    small = [gather_ops._unique_kernel(np, x, out_idx) for x in cases]
    monkeypatch.setattr(gather_ops, "_SMALL_UNIQUE", 0)  # every input through np.unique
    for x, (y, idx) in zip(cases, small):
        ref_y, ref_idx = gather_ops._unique_kernel(np, x, out_idx)
        assert y.dtype == ref_y.dtype and idx.dtype == ref_idx.dtype == out_idx.as_numpy_dtype
        np.testing.assert_array_equal(y, ref_y)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_array_equal(y[idx], x)


@pytest.mark.parametrize("value", [np.array([True, False, True]), np.zeros((4, 1), bool), np.array([[0, 3], [-1, 0]]),
                                   np.array([[[0.0, 1.5]], [[2.0, 0.0]]], np.float32), np.array(True),
                                   np.array(0), np.zeros((0, 3), bool)])
def test_where_coordinates_equal_numpys_argwhere(value):
    c = placeholder(tf.as_dtype(value.dtype))
    with tf.Session() as sess:
        got = sess.run(where(c), {c: value})
    assert got.dtype == np.int64 and got.shape == np.argwhere(value).shape
    assert got.tolist() == np.argwhere(value).tolist()


def test_gather_nd_of_no_index_tuples_and_gather_bounds():
    p = placeholder(tf.float32, [None, 2])
    i = placeholder(tf.int64)
    ids = placeholder(tf.int32, [None])
    params = np.arange(6, dtype=np.float32).reshape(3, 2)
    with tf.Session() as sess:
        for indices, shape in (([[0, 1]], (1,)), (np.zeros((0, 2), np.int64), (0,)),
                               (np.zeros((2, 0, 1), np.int64), (2, 0, 2)), (np.zeros((0, 1), np.int64), (0, 2))):
            got = sess.run(gather_nd(p, i), {p: params, i: indices})
            assert got.dtype == np.float32 and got.shape == shape
        with pytest.raises(errors.InvalidArgumentError, match=r"index innermost dimension length must be <= params "
                                                              r"rank; saw: 3 vs. 2"):
            sess.run(gather_nd(p, i), {p: params, i: np.zeros((0, 3), np.int64)})
        g = gather(p, ids)
        assert sess.run(g, {p: params, ids: [2, 0, 2]}).tolist() == [[4, 5], [0, 1], [4, 5]]
        for bad, message in (([0, -1, 1], r"indices\[1\] = -1 is not in \[0, 3\)"),
                             ([2, 3], r"indices\[1\] = 3 is not in \[0, 3\)")):
            with pytest.raises(errors.InvalidArgumentError, match=message):
                sess.run(g, {p: params, ids: bad})
        assert sess.run(g, {p: params, ids: []}).shape == (0, 2)


def test_gather_axes_and_index_ranks_equal_numpys_take():
    params = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    p = placeholder(tf.float32)
    i = placeholder(tf.int64)
    axis = placeholder(tf.int64, [])
    g = gather(p, i, axis=axis)
    with tf.Session() as sess:
        for a in (0, 1, 2, -1, -3):
            for indices in (np.int64(1), np.array([1, 0, 1], np.int64), np.array([[0], [1]], np.int64)):
                got = sess.run(g, {p: params, i: indices, axis: a})
                np.testing.assert_array_equal(got, np.take(params, indices, axis=a))
        with pytest.raises(errors.InvalidArgumentError, match=r"Expected axis in the range \[-3, 3\), but got 3"):
            sess.run(g, {p: params, i: [0], axis: 3})
        with pytest.raises(errors.InvalidArgumentError, match=r"indices\[1\] = 4 is not in \[0, 4\)"):
            sess.run(g, {p: params, i: [0, 4], axis: -1})
