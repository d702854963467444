"""Sparse ops: one table checked for inferred spec and numpy value, a gradient table, then errors.

Each `Case` feeds its inputs through placeholders (exact shapes, then the first dim
unknown) and builds its op; SparseTensor results are compared component by component
(indices, values, dense_shape) with a plain numpy reference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest

import estflow as tf
from estflow.core import dtypes, errors
from estflow.core.gradients import gradients
from estflow.core.ops import segment_ops, sparse_concat_ops, sparse_math_ops
from estflow.core.ops import sparse_ops as S
from estflow.core.ops.constant_op import constant, convert_to_tensor, placeholder
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.registry import registered_ops
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue, sparse_placeholder
from estflow.core.tensor_shape import TensorShape
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(7)


def i64(x):
    return np.asarray(x, dtype=np.int64)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def strs(x):
    out = np.empty(len(x), dtype=object)
    out[:] = [s.encode() for s in x]
    return out


# ---- numpy references ---------------------------------------------------------------------------------------
def np_dense(indices, values, shape, default=0):
    out = np.full(tuple(shape), default, dtype=np.asarray(values).dtype)
    for row, v in zip(np.asarray(indices).reshape(len(values), -1), values, strict=True):
        out[tuple(row)] = v
    return out


def np_reorder(indices, values, shape):
    order = np.lexsort(np.asarray(indices).T[::-1])
    return [indices[order], values[order], shape]


def np_sparse_from_dense(dense):
    indices = np.argwhere(dense != 0)
    return [indices.astype(np.int64), dense[tuple(indices.T)], i64(dense.shape)]


def np_segment(data, indices, segment_ids, rows, mode):
    out = np.zeros((rows,) + data.shape[1:], dtype=np.float64)
    counts = np.zeros(rows)
    for i, s in zip(indices, segment_ids, strict=True):
        out[s] += data[i]
        counts[s] += 1
    scale = {"sum": np.ones(rows), "mean": np.maximum(counts, 1), "sqrt_n": np.sqrt(np.maximum(counts, 1))}[mode]
    return (out / scale.reshape((-1,) + (1,) * (data.ndim - 1))).astype(data.dtype)


def np_unsorted_segment_sum(data, ids, n):
    out = np.zeros((n,) + data.shape[ids.ndim:], dtype=data.dtype)
    flat = data.reshape((ids.size,) + data.shape[ids.ndim:])
    for i, s in enumerate(ids.reshape(-1)):
        if s >= 0:
            out[s] += flat[i]
    return out


# ---- the table ----------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    name: str
    build: Callable  # (*tensors) -> Tensor, SparseTensor, or a list of them
    ref: Callable  # (*arrays) -> the flattened values (a SparseTensor is indices, values, dense_shape)
    inputs: list
    none_batch: bool = True


IDX = i64([[0, 1], [2, 0], [2, 3]])
VAL = f32([5.0, 7.0, -1.0])
SHP = i64([3, 4])
UNORDERED = i64([[2, 0], [0, 1], [1, 3], [0, 0]])
UVAL = f32([1.0, 2.0, 3.0, 4.0])
IDX3 = i64([[0, 1, 0], [1, 0, 1], [1, 2, 1]])
SHP3 = i64([2, 3, 2])
DATA = f32(RNG.standard_normal((5, 3)))


def sp(i, v, s):
    return SparseTensor(i, v, s)


CASES = [
    # to_dense / sparse_to_dense
    Case("to_dense", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s)), lambda i, v, s: [np_dense(i, v, s)],
         [IDX, VAL, SHP]),
    Case("to_dense_default", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s), default_value=-2.0),
         lambda i, v, s: [np_dense(i, v, s, -2.0)], [IDX, VAL, SHP]),
    Case("to_dense_3d", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s)),
         lambda i, v, s: [np_dense(i, v, s)], [IDX3, VAL, SHP3]),
    Case("to_dense_strings", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s)),
         lambda i, v, s: [np_dense(i, v, s, b"")], [IDX, strs(["a", "b", "c"]), SHP]),
    Case("to_dense_unvalidated", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s), validate_indices=False),
         lambda i, v, s: [np_dense(i, v, s)], [UNORDERED, UVAL, SHP]),
    Case("sparse_to_dense_1d_scalar_value", lambda i: S.sparse_to_dense(i, [5], 3, default_value=1),
         lambda i: [np.array([1, 3, 1, 3, 1], np.int32)], [np.array([1, 3], np.int32)]),
    # reorder
    Case("reorder", lambda i, v, s: S.sparse_reorder(sp(i, v, s)), np_reorder, [UNORDERED, UVAL, SHP]),
    Case("reorder_3d_strings", lambda i, v, s: S.sparse_reorder(sp(i, v, s)), np_reorder,
         [IDX3[::-1].copy(), strs(["x", "y", "z"]), SHP3]),
    # reshape
    Case("reshape_infer_dim", lambda i, v, s: S.sparse_reshape(sp(i, v, s), [-1, 6]),
         lambda i, v, s: np_sparse_from_dense(np_dense(i, v, s).reshape(-1, 6)), [IDX3, VAL, SHP3]),
    Case("reshape_flat", lambda i, v, s: S.sparse_reshape(sp(i, v, s), [12]),
         lambda i, v, s: np_sparse_from_dense(np_dense(i, v, s).reshape(12)), [IDX, VAL, SHP]),
    Case("reshape_same", lambda i, v, s: S.sparse_reshape(sp(i, v, s), [3, 4]),
         lambda i, v, s: [i, v, s], [IDX, VAL, SHP]),
    # fill_empty_rows
    Case("fill_empty_rows", lambda i, v, s: S.sparse_fill_empty_rows(sp(i, v, s), -1.0),
         lambda i, v, s: [i64([[0, 1], [1, 0], [2, 0], [2, 3]]), f32([5, -1, 7, -1]), s,
                          np.array([False, True, False])],
         [IDX, VAL, SHP]),
    Case("fill_empty_rows_unordered", lambda i, v, s: S.sparse_fill_empty_rows(sp(i, v, s), 9.0),
         lambda i, v, s: [i64([[0, 1], [0, 0], [1, 3], [2, 0], [3, 0]]), f32([2, 4, 3, 1, 9]), s,
                          np.array([False, False, False, True])],
         [UNORDERED, UVAL, i64([4, 4])]),
    Case("fill_empty_rows_full", lambda i, v, s: S.sparse_fill_empty_rows(sp(i, v, s), 0.0),
         lambda i, v, s: [i, v, s, np.zeros(2, bool)], [i64([[0, 0], [1, 1]]), f32([1, 2]), i64([2, 2])]),
    Case("fill_empty_rows_strings", lambda i, v, s: S.sparse_fill_empty_rows(sp(i, v, s), "?"),
         lambda i, v, s: [i64([[0, 0], [1, 0]]), strs(["?", "a"]), s, np.array([True, False])],
         [i64([[1, 0]]), strs(["a"]), i64([2, 5])]),
    # retain
    Case("retain", lambda i, v, s: S.sparse_retain(sp(i, v, s), [True, False, True]),
         lambda i, v, s: [i[[0, 2]], v[[0, 2]], s], [IDX, VAL, SHP]),
    # concat
    Case("concat_axis1", lambda i, v, s: sparse_concat_ops.sparse_concat(1, [sp(i, v, s), sp(i, v * 10, s)]),
         lambda i, v, s: np_sparse_from_dense(np.concatenate([np_dense(i, v, s), np_dense(i, v * 10, s)], 1)),
         [IDX, VAL, SHP]),
    Case("concat_axis0", lambda i, v, s: sparse_concat_ops.sparse_concat(0, [sp(i, v, s), sp(i, v * 10, s)]),
         lambda i, v, s: np_sparse_from_dense(np.concatenate([np_dense(i, v, s), np_dense(i, v * 10, s)], 0)),
         [IDX, VAL, SHP]),
    Case("concat_axis_neg1_3d",
         lambda i, v, s: sparse_concat_ops.sparse_concat(-1, [sp(i, v, s), sp(i, v, s), sp(i, v, s)]),
         lambda i, v, s: np_sparse_from_dense(np.concatenate([np_dense(i, v, s)] * 3, -1)), [IDX3, VAL, SHP3]),
    Case("concat_expand",
         lambda i, v, s: sparse_concat_ops.sparse_concat(1, [sp(i, v, s), sp(i64([[4, 0]]), f32([3.0]), [5, 2])],
                                                         expand_nonconcat_dim=True),
         lambda i, v, s: [i64([[0, 1], [2, 0], [2, 3], [4, 4]]), f32([5, 7, -1, 3]), i64([5, 6])],
         [IDX, VAL, SHP]),
    # merge / to_indicator
    Case("to_indicator", lambda i, v, s: sparse_concat_ops.sparse_to_indicator(sp(i, v, s), 5),
         lambda i, v, s: [np.array([[False, True, False, True, False], [False] * 5, [True] * 2 + [False] * 3])],
         [i64([[0, 0], [0, 1], [2, 0], [2, 1], [2, 2]]), i64([1, 3, 0, 1, 1]), i64([3, 3])]),
    Case("merge", lambda i, v, s: sparse_concat_ops.sparse_merge(sp(i, v, s), sp(i, f32([0.5, 2.0]), s), 4),
         lambda i, v, s: [i64([[0, 1], [0, 3]]), f32([2.0, 0.5]), i64([1, 4])],
         [i64([[0, 0], [0, 1]]), np.array([3, 1], np.int32), i64([1, 2])]),
    # add
    Case("add_sparse",
         lambda i, v, s: sparse_math_ops.sparse_add(sp(i, v, s), sp(i64([[0, 1], [1, 1]]), f32([-5.0, 2.0]), s)),
         lambda i, v, s: [i64([[0, 1], [1, 1], [2, 0], [2, 3]]), f32([0, 2, 7, -1]), s], [IDX, VAL, SHP]),
    Case("add_sparse_threshold",
         lambda i, v, s: sparse_math_ops.sparse_add(sp(i, v, s), sp(i64([[0, 1]]), f32([-5.0]), s), threshold=0.5),
         lambda i, v, s: [i[1:], v[1:], s], [IDX, VAL, SHP]),
    Case("add_dense", lambda i, v, s, d: sparse_math_ops.sparse_add(d, sp(i, v, s)),
         lambda i, v, s, d: [d + np_dense(i, v, s)], [IDX, VAL, SHP, f32(RNG.standard_normal((3, 4)))],
         none_batch=False),
    # sparse x dense
    *[Case(f"matmul_adj_a{a}_b{b}",
           lambda i, v, s, m, a=a, b=b: sparse_math_ops.sparse_tensor_dense_matmul(sp(i, v, s), m, adjoint_a=a,
                                                                                   adjoint_b=b),
           lambda i, v, s, m, a=a, b=b: [(np_dense(i, v, s).T if a else np_dense(i, v, s)) @ (m.T if b else m)],
           [IDX, VAL, SHP, f32(RNG.standard_normal({(0, 0): (4, 2), (0, 1): (2, 4), (1, 0): (3, 2),
                                                   (1, 1): (2, 3)}[(a, b)]))], none_batch=False)
      for a in (0, 1) for b in (0, 1)],
    # segment reductions
    Case("segment_sum", lambda d, s: segment_ops.segment_sum(d, s), lambda d, s: [np_segment(d, range(5), s, 4, "sum")],
         [DATA, np.array([0, 0, 1, 3, 3], np.int32)]),
    Case("unsorted_segment_sum", lambda d, s: segment_ops.unsorted_segment_sum(d, s, 4),
         lambda d, s: [np_unsorted_segment_sum(d, s, 4)], [DATA, np.array([3, 0, -1, 3, 1], np.int32)]),
    Case("unsorted_segment_sum_2d_ids", lambda d, s: segment_ops.unsorted_segment_sum(d, s, 3),
         lambda d, s: [np_unsorted_segment_sum(d, s, 3)],
         [f32(RNG.standard_normal((2, 3, 2))), np.array([[0, 2, 2], [1, -1, 0]], np.int64)]),
    *[Case(f"sparse_segment_{mode}", lambda d, i, s, mode=mode: getattr(segment_ops, f"sparse_segment_{mode}")(d, i, s),
           lambda d, i, s, mode=mode: [np_segment(d, i, s, 4, mode)],
           [DATA, np.array([4, 0, 0, 2, 1], np.int32), np.array([0, 0, 0, 1, 3], np.int32)])
      for mode in ("sum", "mean", "sqrt_n")],
    *[Case(f"sparse_segment_{mode}_num_segments",
           lambda d, i, s, mode=mode: getattr(segment_ops, f"sparse_segment_{mode}")(d, i, s, num_segments=6),
           lambda d, i, s, mode=mode: [np_segment(d, i, s, 6, mode)],
           [DATA, np.array([1, 2, 3], np.int64), np.array([1, 1, 4], np.int32)])
      for mode in ("sum", "mean", "sqrt_n")],
]


def _flatten(out):
    out = out if isinstance(out, (list, tuple)) else [out]
    flat = []
    for t in out:
        flat.extend([t.indices, t.values, t.dense_shape] if isinstance(t, SparseTensor) else [t])
    return flat


def _check_case(case: Case, none_batch: bool):
    g = tf.Graph()
    with g.as_default():
        phs = []
        for a in case.inputs:
            shape = list(a.shape)
            if none_batch and shape:
                shape[0] = None
            phs.append(placeholder(tf.string if a.dtype == object else a.dtype, shape=shape))
        outs = _flatten(case.build(*phs))
        with tf.Session(graph=g) as sess:
            values = sess.run(outs, dict(zip(phs, case.inputs, strict=True)))
    refs = case.ref(*case.inputs)
    assert len(refs) == len(outs), f"{case.name}: {len(outs)} outputs, reference has {len(refs)}"
    for k, (t, v, r) in enumerate(zip(outs, values, refs, strict=True)):
        v, r = np.asarray(v), np.asarray(r)
        assert t.shape.is_compatible_with(v.shape), f"{case.name}[{k}]: inferred {t.shape}, kernel gave {v.shape}"
        expected_dtype = object if t.dtype == dtypes.string else t.dtype.as_numpy_dtype
        assert v.dtype == expected_dtype, f"{case.name}[{k}]: inferred {t.dtype}, kernel gave {v.dtype}"
        assert v.shape == r.shape, f"{case.name}[{k}]: shape {v.shape} != numpy {r.shape}"
        if v.dtype == object:
            assert v.tolist() == r.tolist(), f"{case.name}[{k}]"
        else:
            np.testing.assert_allclose(v, r, rtol=1e-5, atol=1e-6, err_msg=f"{case.name}[{k}]")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_spec_and_value(case):
    _check_case(case, none_batch=False)


@pytest.mark.parametrize("case", [c for c in CASES if c.none_batch], ids=lambda c: c.name)
def test_spec_and_value_none_batch(case):
    _check_case(case, none_batch=True)


# ---- static shapes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, expected", [
    (lambda: S.sparse_tensor_to_dense(sp(IDX, VAL, SHP)), [3, 4]),
    (lambda: S.sparse_reorder(sp(IDX, VAL, SHP)).shape, [3, 4]),
    (lambda: S.sparse_reshape(sp(IDX3, VAL, SHP3), [-1, 6]).shape, [2, 6]),
    (lambda: S.sparse_fill_empty_rows(sp(IDX, VAL, SHP), 0.0)[0].shape, [3, 4]),
    (lambda: S.sparse_fill_empty_rows(sp(IDX, VAL, SHP), 0.0)[1], [3]),
    (lambda: sparse_concat_ops.sparse_concat(1, [sp(IDX, VAL, SHP), sp(IDX, VAL, SHP)]).shape, [3, 8]),
    (lambda: sparse_concat_ops.sparse_to_indicator(sp(IDX, i64([1, 2, 3]), SHP), 7), [3, 7]),
    (lambda: sparse_math_ops.sparse_tensor_dense_matmul(sp(IDX, VAL, SHP), np.ones((4, 6), np.float32)), [3, 6]),
    (lambda: sparse_math_ops.sparse_tensor_dense_matmul(sp(IDX, VAL, SHP), np.ones((6, 3), np.float32), True, True),
     [4, 6]),
    (lambda: segment_ops.segment_sum(np.ones((3, 2), np.float32), [0, 0, 2]), [3, 2]),
    (lambda: segment_ops.unsorted_segment_sum(np.ones((3, 2), np.float32), [0, 0, 2], 5), [5, 2]),
    (lambda: segment_ops.sparse_segment_sum(placeholder(tf.float32, [3, 2]), [0, 1], [0, 1]), [None, 2]),
    (lambda: segment_ops.sparse_segment_mean(np.ones((3, 2), np.float32), [0, 1], [0, 1], num_segments=4), [4, 2]),
    (lambda: S.sparse_tensor_to_dense(sparse_concat_ops.sparse_concat(
        0, [sp(IDX, VAL, placeholder(tf.int64, [2])), sp(IDX, VAL, SHP)])), [None, 4]),
])
def test_static_shapes(build, expected):
    with tf.Graph().as_default():
        out = build()
        assert (out if isinstance(out, TensorShape) else out.shape) == TensorShape(expected)


def test_sparse_placeholder_shape_reaches_to_dense():
    with tf.Graph().as_default():
        sp_in = sparse_placeholder(tf.float32, shape=[None, 10])
        assert S.sparse_tensor_to_dense(sp_in).shape == TensorShape([None, 10])


# ---- gradients ----------------------------------------------------------------------------------------------
def _sp64(values, indices=IDX, shape=SHP):
    return SparseTensor(constant(indices), values, constant(shape))


GRADIENT_CASES = [
    ("SparseToDense", lambda v, d: S.sparse_tensor_to_dense(_sp64(v), default_value=d), [VAL, np.float64(0.5)]),
    ("SparseToDense_scalar_value", lambda v: S.sparse_to_dense(i64([1, 3]), i64([5]), v), [np.float64(2.0)]),
    ("SparseReorder", lambda v: S.sparse_reorder(_sp64(v, UNORDERED)).values * constant([1.0, 2.0, 3.0, 4.0],
                                                                                          tf.float64), [UVAL]),
    ("SparseFillEmptyRows", lambda v, d: S.sparse_fill_empty_rows(_sp64(v, UNORDERED, i64([5, 4])), d)[0].values,
     [UVAL, np.float64(3.0)]),
    ("SparseAdd", lambda a, b: sparse_math_ops.sparse_add(_sp64(a), _sp64(b, i64([[0, 1], [1, 1]]))).values,
     [VAL, f32([2.0, 3.0])]),
    ("SparseTensorDenseAdd", lambda v, d: sparse_math_ops.sparse_add(_sp64(v), d), [VAL, RNG.standard_normal((3, 4))]),
    *[(f"SparseTensorDenseMatMul_adj_a{a}_b{b}",
       lambda v, m, a=a, b=b: sparse_math_ops.sparse_tensor_dense_matmul(_sp64(v), m, adjoint_a=a, adjoint_b=b),
       [VAL, RNG.standard_normal({(0, 0): (4, 2), (0, 1): (2, 4), (1, 0): (3, 2), (1, 1): (2, 3)}[(a, b)])])
      for a in (False, True) for b in (False, True)],
    ("SegmentSum", lambda d: segment_ops.segment_sum(d, [0, 0, 1, 3, 3]), [DATA]),
    ("UnsortedSegmentSum", lambda d: segment_ops.unsorted_segment_sum(d, [3, 0, -1, 3, 1], 4), [DATA]),
    ("UnsortedSegmentSum_2d_ids", lambda d: segment_ops.unsorted_segment_sum(d, [[0, 2, 2], [1, -1, 0]], 3),
     [RNG.standard_normal((2, 3, 2))]),
    *[(f"SparseSegment_{mode}",
       lambda d, mode=mode: getattr(segment_ops, f"sparse_segment_{mode}")(d, [4, 0, 0, 2, 1], [0, 0, 0, 1, 3]),
       [DATA])
      for mode in ("sum", "mean", "sqrt_n")],
    *[(f"SparseSegment_{mode}_num_segments",
       lambda d, mode=mode: getattr(segment_ops, f"sparse_segment_{mode}")(d, [1, 2, 3], [1, 1, 4], num_segments=6),
       [DATA])
      for mode in ("sum", "mean", "sqrt_n")],
]


@pytest.mark.parametrize("name, build, inputs", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradient(name, build, inputs):
    check_gradient(build, inputs, label=name)


def test_sparse_segment_gradient_with_unknown_row_count():
    check_gradient(lambda d: segment_ops.sparse_segment_mean(d, [4, 0, 2], [0, 0, 1]), [DATA], none_batch=True)


def test_indexed_slices_from_a_gather_feed_unsorted_segment_sum():
    check_gradient(lambda d: convert_to_tensor(segment_ops.unsorted_segment_sum(d, [1, 1, 0, 2, 2], 3)) * 2.0, [DATA])


NON_DIFFERENTIABLE = {"SparseReshape", "SparseConcat", "SparseFillEmptyRowsGrad", "SparseAddGrad",
                      "SparseSegmentSumGrad", "SparseSegmentMeanGrad", "SparseSegmentSqrtNGrad"}


def test_every_sparse_op_has_a_gradient_check_or_is_declared_non_differentiable():
    family = {m.__name__ for m in (S, sparse_concat_ops, sparse_math_ops, segment_ops)}
    ops = {name: d for name, d in registered_ops().items() if getattr(d.infer, "__module__", "") in family}
    checked = {name.split("_")[0] for name, _, _ in GRADIENT_CASES}
    checked |= {f"{n}WithNumSegments" for n in ("SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN")}
    checked |= {"SparseSegmentSum", "SparseSegmentMean", "SparseSegmentSqrtN"}
    differentiable = {n for n, d in ops.items() if d.grad is not None}
    assert differentiable - checked == set()
    assert {n for n, d in ops.items() if d.grad is None} == NON_DIFFERENTIABLE


# ---- run-time errors ----------------------------------------------------------------------------------------
def _run(build, *feeds):
    """Build from placeholders fed `feeds` (so nothing folds at build time) and run."""
    with tf.Graph().as_default():
        phs = [placeholder(tf.string if np.asarray(f).dtype == object else np.asarray(f).dtype) for f in feeds]
        out = build(*phs)
        with tf.Session() as sess:
            return sess.run(out, dict(zip(phs, feeds, strict=True)))


OUT_OF_ORDER = ("indices[1] = [0,1] is out of order. Many sparse ops require sorted indices.\n"
                "    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n")

ERROR_CASES = [
    ("to_dense_out_of_order", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s)),
     [i64([[0, 2], [0, 1]]), VAL[:2], SHP], OUT_OF_ORDER),
    ("to_dense_repeated", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s)),
     [i64([[0, 2], [0, 2]]), VAL[:2], SHP], "indices[1] = [0,2] is repeated"),
    ("to_dense_out_of_bounds", lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s)),
     [i64([[0, 2], [3, 0]]), VAL[:2], SHP], "indices[1] = [3,0] is out of bounds: need 0 <= index < [3,4]"),
    ("to_dense_unvalidated_out_of_bounds",
     lambda i, v, s: S.sparse_tensor_to_dense(sp(i, v, s), validate_indices=False),
     [i64([[0, 2], [3, 0]]), VAL[:2], SHP], "Indices are not valid (out of bounds).  Shape: [3,4]"),
    ("sparse_to_dense_values_shape", lambda i, v: S.sparse_to_dense(i, i64([3]), v),
     [i64([0, 1]), f32([1, 2, 3])], "sparse_values has incorrect shape [3], should be [] or [2]"),
    ("sparse_to_dense_output_shape_size", lambda i, s: S.sparse_to_dense(i, s, 1.0),
     [i64([[0, 1]]), i64([3])], "output_shape has incorrect number of elements: 1 should be: 2"),
    ("sparse_to_dense_indices_rank", lambda i: S.sparse_to_dense(i, i64([3]), 1.0),
     [np.zeros((1, 1, 1), np.int64)], "sparse_indices should be a scalar, vector, or matrix, got shape [1,1,1]"),
    ("sparse_to_dense_default_scalar", lambda d: S.sparse_to_dense(i64([0]), i64([3]), 1.0, d),
     [f32([1, 2])], "default_value should be a scalar."),
    ("reorder_indices_rank", lambda i: S.sparse_reorder(SparseTensor(i, [1.0], [3])).values,
     [np.zeros(1, np.int64)], "Input indices should be a matrix but received shape [1]"),
    ("reshape_two_unknown", lambda i, v, s, n: S.sparse_reshape(sp(i, v, s), n).dense_shape,
     [IDX, VAL, SHP, i64([-1, -1])], "only one output dimension may be -1, not both 0 and 1"),
    ("reshape_negative", lambda i, v, s, n: S.sparse_reshape(sp(i, v, s), n).dense_shape,
     [IDX, VAL, SHP, i64([-2, 6])], "size 0 must be non-negative, not -2"),
    ("reshape_not_a_multiple", lambda i, v, s, n: S.sparse_reshape(sp(i, v, s), n).dense_shape,
     [IDX, VAL, SHP, i64([-1, 5])],
     "Input to reshape is a SparseTensor with 12 dense values, but the requested shape requires a multiple of 5. "
     "input_shape=[3,4] output_shape=[1,5]"),
    ("reshape_size", lambda i, v, s, n: S.sparse_reshape(sp(i, v, s), n).dense_shape,
     [IDX, VAL, SHP, i64([5, 2])],
     "Input to reshape is a tensor with 12 dense values, but the requested shape has 10. input_shape=[3,4] "
     "output_shape=[5,2]"),
    ("reshape_infer_empty", lambda i, v, s, n: S.sparse_reshape(sp(i, v, s), n).dense_shape,
     [IDX, VAL, SHP, i64([-1, 0])],
     "reshape cannot infer the missing input size for an empty tensor unless all specified input sizes are "
     "non-zero"),
    ("fill_empty_rows_row_range", lambda i, v, s: S.sparse_fill_empty_rows(sp(i, v, s), 0.0)[1],
     [i64([[0, 0], [5, 1]]), VAL[:2], SHP], "indices(1, 0) is invalid: 5 >= 3"),
    ("fill_empty_rows_zero_rows", lambda i, v, s: S.sparse_fill_empty_rows(sp(i, v, s), 0.0)[1],
     [i64([[0, 0]]), VAL[:1], i64([0, 4])], "Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = 1"),
    ("fill_empty_rows_empty_shape", lambda i, v, s: S.sparse_fill_empty_rows(SparseTensor(i, v, s), 0.0)[1],
     [np.zeros((0, 0), np.int64), f32([]), i64([])], "Dense shape cannot be empty."),
    ("concat_rank", lambda i, v, s, s2: sparse_concat_ops.sparse_concat(0, [sp(i, v, s), sp(i, v, s2)]).values,
     [IDX, VAL, SHP, i64([3, 4, 1])], "Ranks of all input tensors must match: expected 2 but got 3 at position 1"),
    ("concat_shapes", lambda i, v, s, s2: sparse_concat_ops.sparse_concat(0, [sp(i, v, s), sp(i, v, s2)]).values,
     [IDX, VAL, SHP, i64([3, 5])], "Input shapes must match: expected 4 for dimension 1 but got 5 at position 1"),
    ("concat_dim", lambda i, v, s: sparse_concat_ops.sparse_concat(2, [sp(i, v, s), sp(i, v, s)]).values,
     [IDX, VAL, SHP], "Concat dimension must be in range [-2, 2), got 2"),
    ("add_shapes", lambda i, v, s, s2: sparse_math_ops.sparse_add(sp(i, v, s), sp(i, v, s2)).values,
     [IDX, VAL, SHP, i64([3, 5])], "Operands' shapes do not match: got 4 and 5 for dimension 1"),
    ("add_ranks", lambda i, v, s, s2: sparse_math_ops.sparse_add(sp(i, v, s), sp(i, v, s2)).values,
     [IDX, VAL, SHP, i64([3, 4, 1])], "Operands do not have the same ranks; got shapes: [3, 4] and [3, 4, 1]"),
    ("dense_add_shape", lambda i, v, s, d: sparse_math_ops.sparse_add(sp(i, v, s), d),
     [IDX, VAL, SHP, np.ones((3, 5), np.float32)],
     "Dimension 1 does not equal (no broadcasting is supported): sparse side 4 vs dense side 5"),
    ("dense_add_index", lambda i, v, s, d: sparse_math_ops.sparse_add(sp(i, v, s), d),
     [i64([[0, 9]]), VAL[:1], SHP, np.ones((3, 4), np.float32)],
     "Sparse tensor has an invalid index on dimension 1: a_indices(0,1) = 9, dense tensor shape: [3, 4]"),
    ("matmul_inner", lambda i, v, s, b: sparse_math_ops.sparse_tensor_dense_matmul(sp(i, v, s), b),
     [IDX, VAL, SHP, np.ones((5, 2), np.float32)],
     "Cannot multiply A and B because inner dimension does not match: 4 vs. 5.  Did you forget a transpose?  "
     "Dimensions of A: [3, 4).  Dimensions of B: [5,2]"),
    ("matmul_k_bounds", lambda i, v, s, b: sparse_math_ops.sparse_tensor_dense_matmul(sp(i, v, s), b),
     [i64([[0, 1], [1, 4]]), VAL[:2], SHP, np.ones((4, 2), np.float32)], "k (4) from index[1,1] out of bounds (>=4)"),
    ("matmul_m_bounds", lambda i, v, s, b: sparse_math_ops.sparse_tensor_dense_matmul(sp(i, v, s), b),
     [i64([[7, 1]]), VAL[:1], SHP, np.ones((4, 2), np.float32)], "m (7) from index[0,0] out of bounds (>=3)"),
    ("matmul_b_rank", lambda i, v, s, b: sparse_math_ops.sparse_tensor_dense_matmul(sp(i, v, s), b),
     [IDX, VAL, SHP, np.ones(4, np.float32)], "Tensor 'b' is not a matrix"),
    ("matmul_shape_size", lambda i, v, s, b: sparse_math_ops.sparse_tensor_dense_matmul(SparseTensor(i, v, s), b),
     [i64([[0, 1, 0]]), VAL[:1], i64([3, 4, 1]), np.ones((4, 2), np.float32)],
     "Tensor 'a_shape' must have 2 elements"),
    ("segment_not_increasing", lambda d, s: segment_ops.segment_sum(d, s), [DATA, np.array([0, 1, 0, 2, 2], np.int32)],
     "segment ids are not increasing"),
    ("segment_size", lambda d, s: segment_ops.segment_sum(d, s), [DATA, np.array([0, 1], np.int32)],
     "segment_ids should be the same size as dimension 0 of input."),
    ("segment_vector", lambda d, s: segment_ops.segment_sum(d, s), [DATA, np.zeros((5, 1), np.int32)],
     "segment_ids should be a vector."),
    ("segment_negative_first", lambda d, s: segment_ops.segment_sum(d, s), [DATA, np.array([-1, 0, 0, 1, 1], np.int32)],
     "Segment id -1 out of range [0, 2), possibly because 'segment_ids' input is not sorted."),
    ("segment_all_negative", lambda d, s: segment_ops.segment_sum(d, s), [DATA, np.full(5, -1, np.int32)],
     "segment ids must be >= 0"),
    ("unsorted_out_of_range", lambda d, s: segment_ops.unsorted_segment_sum(d, s, 3),
     [DATA, np.array([0, 1, 0, 3, 2], np.int32)], "segment_ids[3] = 3 is out of range [0, 3)"),
    ("unsorted_out_of_range_2d", lambda d, s: segment_ops.unsorted_segment_sum(d, s, 2),
     [np.ones((2, 2), np.float32), np.array([[0, 1], [5, 0]], np.int32)],
     "segment_ids[1,0] = 5 is out of range [0, 2)"),
    ("unsorted_prefix", lambda d, s: segment_ops.unsorted_segment_sum(d, s, 3), [DATA, np.array([0, 1], np.int32)],
     "data.shape = [5,3] does not start with segment_ids.shape = [2]"),
    ("unsorted_negative_count", lambda d, n: segment_ops.unsorted_segment_sum(d, [0, 0, 0, 0, 0], n),
     [DATA, np.int32(-1)], "Input num_segments == -1 must not be negative."),
    ("unsorted_count_scalar", lambda d, n: segment_ops.unsorted_segment_sum(d, [0, 0, 0, 0, 0], n),
     [DATA, np.array([3], np.int32)], "num_segments should be a scalar, not shape [1]"),
    ("sparse_segment_index", lambda d, i: segment_ops.sparse_segment_sum(d, i, [0, 0, 1]),
     [DATA, np.array([0, 7, 1], np.int32)], "Bad: indices[1] == 7 out of range [0, 5)"),
    ("sparse_segment_size", lambda d, i: segment_ops.sparse_segment_sum(d, i, [0, 0, 1]),
     [DATA, np.array([0, 1], np.int32)], "segment_ids and indices should have same size."),
    ("sparse_segment_order", lambda d, s: segment_ops.sparse_segment_mean(d, [0, 1, 2], s),
     [DATA, np.array([1, 0, 2], np.int32)], "segment ids are not increasing"),
    ("sparse_segment_num_segments",
     lambda d, n: segment_ops.sparse_segment_sqrt_n(d, [0, 1, 2], [0, 1, 4], num_segments=n),
     [DATA, np.int32(3)], "segment ids must be < num_segments"),
]


@pytest.mark.parametrize("name, build, feeds, message", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_run_time_errors(name, build, feeds, message):
    with pytest.raises(errors.InvalidArgumentError) as e:
        _run(build, *feeds)
    assert e.value.message.split("\n\t [[")[0] == message


@pytest.mark.parametrize("build, error, message", [
    (lambda: S.sparse_reshape(sp(IDX, VAL, SHP), [-1, -1]), ValueError,
     "At most one dimension can be inferred (-1). Found: [-1 -1]"),
    (lambda: S.sparse_reshape(sp(IDX, VAL, SHP), [5, 2]), ValueError,
     "Cannot reshape a tensor with 12 elements to shape [5, 2] (10 elements)."),
    (lambda: sparse_math_ops.sparse_add(constant(1.0), constant(2.0)), TypeError,
     "At least one input should be SparseTensor; do you mean to use tf.add()?"),
    (lambda: S.sparse_retain(sp(IDX, VAL, SHP), [True, False]), ValueError, "Dimensions 3 and 2 are not compatible"),
    (lambda: S.sparse_retain(sp(IDX, VAL, SHP), [[True]]), ValueError, "Shape (1, 1) must have rank 1"),
    (lambda: sparse_math_ops.sparse_tensor_dense_matmul(sp(IDX, VAL, SHP), np.ones((5, 2), np.float32)), ValueError,
     "Dimensions must be equal, but are 4 and 5 for 'SparseTensorDenseMatMul"),
    (lambda: segment_ops.unsorted_segment_sum(np.ones((5, 3), np.float32), np.zeros(4, np.int32), 2), ValueError,
     "data.shape = (5, 3) does not start with segment_ids.shape = (4,)"),
    (lambda: segment_ops.sparse_segment_mean(np.ones((5, 3), np.int32), [0], [0]), TypeError,
     "Value passed to parameter 'data' has DataType int32 not in list of allowed values: float16, float32, "
     "float64"),
    (lambda: sparse_concat_ops.sparse_concat(1, [sp(IDX, VAL, SHP)], concat_dim=1), ValueError,
     "Cannot specify both 'axis' and 'concat_dim'."),
    (lambda: sparse_concat_ops.sparse_merge(sp(IDX, i64([0, 1, 2]), SHP), sp(IDX, VAL, SHP), 2.5), TypeError,
     "vocab_size has to be a Tensor or Python int. Found <class 'float'>"),
    (lambda: S.sparse_to_dense(np.zeros((1, 1, 1), np.int64), [3], 1.0), ValueError,
     "Shape must be at most rank 2 but is rank 3"),
])
def test_build_time_errors(build, error, message):
    with tf.Graph().as_default(), pytest.raises(error) as e:
        build()
    assert str(e.value).startswith(message), str(e.value)


def test_sparse_ops_refuse_dense_inputs():
    with tf.Graph().as_default(), pytest.raises(TypeError, match="^Input must be a SparseTensor, got Tensor.$"):
        S.sparse_reorder(constant([[1.0]]))


def test_sparse_tensor_value_inputs_are_accepted():
    value = SparseTensorValue(IDX, VAL, SHP)
    with tf.Graph().as_default(), tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(S.sparse_tensor_to_dense(value)), np_dense(IDX, VAL, SHP))


def test_single_input_concat_is_the_input():
    with tf.Graph().as_default():
        st = sp(IDX, VAL, SHP)
        assert sparse_concat_ops.sparse_concat(0, [st]) is st


def test_fill_empty_rows_reverse_index_map():
    with tf.Graph().as_default():
        st = sp(UNORDERED, UVAL, i64([4, 4]))
        outs = tf.get_default_graph()
        S.sparse_fill_empty_rows(st, 0.0)
        op = [o for o in outs.get_operations() if o.type == "SparseFillEmptyRows"][0]
        with tf.Session() as sess:
            reverse, values = sess.run([op.outputs[3], op.outputs[1]])
        np.testing.assert_array_equal(reverse, [3, 0, 2, 1])
        np.testing.assert_array_equal(values[reverse], UVAL)


def test_add_then_grad_of_dropped_entries_is_zero():
    with tf.Graph().as_default():
        a = placeholder(tf.float32, [3])
        b = placeholder(tf.float32, [1])
        total = sparse_math_ops.sparse_add(sp(IDX, a, SHP), sp(i64([[0, 1]]), b, SHP), threshold=0.5)
        grads = gradients(reduce_sum(total.values * 3.0), [a, b])
        with tf.Session() as sess:
            ga, gb = sess.run(grads, {a: VAL, b: f32([-5.0])})
        np.testing.assert_array_equal(ga, [0.0, 3.0, 3.0])
        np.testing.assert_array_equal(gb, [0.0])


# ---- the plan's fusion of a SparseReshape whose new shape comes from its own shape (_fuse_computed_new_shape) ----
def _reshaped(rule, dense_shape, size, fusion, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        indices = tf.placeholder(tf.int64, [None, None])
        shape = tf.placeholder(tf.int64)
        n = tf.placeholder(tf.int32)
        if rule == "first":  # feature columns: sparse_reshape(sp, [dense_shape[0], -1])
            new = tf.stack([shape[0], tf.constant(-1, tf.int64)])
        else:  # safe_embedding_lookup_sparse: [prod(shape[:n]), shape[1]]
            new = tf.stack([tf.reduce_prod(tf.slice(shape, [0], n), [0]), tf.gather(shape, 1)])
        reshaped = tf.sparse_reshape(tf.SparseTensor(indices, tf.zeros([3]), shape), new)
        feed = {indices: [[0, 0], [1, 2], [3, 1]], shape: dense_shape, n: size}
        with tf.Session() as sess:
            try:
                result = sess.run([reshaped.indices, reshaped.dense_shape], feed)
            except tf.errors.InvalidArgumentError as e:
                return type(e), str(e).split("\n")[0]
            steps = [st[5].type for st in max(sess._cache.values(), key=lambda p: len(p.steps)).steps]
            return [r.tobytes() for r in result], steps


@pytest.mark.parametrize("rule", ["first", "outer"])
def test_sparse_reshape_of_its_own_shape_is_one_step_with_the_same_values_and_errors(rule, monkeypatch):
    fused, fused_steps = _reshaped(rule, np.array([4, 3]), [1], True, monkeypatch)
    plain, plain_steps = _reshaped(rule, np.array([4, 3]), [1], False, monkeypatch)
    assert fused == plain and "Pack" in plain_steps and "Pack" not in fused_steps
    # Shapes or slice sizes outside the shortcut run the ops' own kernels: the same results and errors.
    cases = [(np.array([2, 6]), [1]), (np.array([4, 3]), [2]), (np.array([4, 3]), [-1]), (np.array([4]), [1]),
             (np.array([4, 3]), [3]), (np.int64(4), [1])]
    for dense_shape, size in cases:
        fused, plain = (_reshaped(rule, dense_shape, size, f, monkeypatch) for f in (True, False))
        assert (fused == plain) if plain[0] is tf.errors.InvalidArgumentError else (fused[0] == plain[0])
