"""Array ops: one table of cases checked for inferred spec, numpy value and gradient, then edge cases.

Each `Case` builds its op from placeholders fed concrete arrays (once with their exact
shapes, once with the first dimension unknown). The checker asserts that the inferred
static shape and dtype agree with the kernel's output, that the value equals a plain
numpy reference, and (for float inputs) that the gradient matches float64 central
differences. The same table runs on cupy under the `gpu` marker, and a completeness check
covers every op the array op modules register. The slicing and gather edge cases have test
modules of their own.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, dtypes, errors
from estflow.core.gradients import gradients
from estflow.core.ops import array_ops as A
from estflow.core.ops import concat_ops, fill_ops, gather_ops, manipulation_ops, slicing_ops
from estflow.core.ops.constant_op import constant, convert_n_to_tensor, placeholder
from estflow.core.ops.reduction_ops import reduce_sum
from estflow.core.plan import Compiler
from estflow.core.registry import apply_op, registered_ops
from estflow.core.tensor_shape import TensorShape
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(1234)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def has_gpu() -> bool:
    return devices.cupy_module() is not None


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    with tf.Graph().as_default() as g:
        yield g


@dataclasses.dataclass
class Case:
    name: str
    build: Callable  # (*tensors) -> Tensor or list of Tensors
    ref: Callable  # (*numpy arrays) -> numpy value(s)
    inputs: list  # concrete arrays; each is fed through a placeholder of its dtype
    grad: bool = True  # check the gradient (all inputs must be float)
    none_batch: bool = True  # also build with the first dimension unknown
    atol: float = 1e-6


def _np_pad(mode):
    return lambda x: np.pad(x, [[1, 2], [0, 1]], mode=mode)


def _np_gather_batch(p, idx):
    return np.stack([np.take(p[b], idx[b], axis=0) for b in range(p.shape[0])])


def _np_unique(x):
    _, first = np.unique(x, return_index=True)
    y = x[np.sort(first)]
    idx = np.array([int(np.where(y == v)[0][0]) for v in x], dtype=np.int32)
    return [y, idx]


def _np_top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, order, axis=-1), order.astype(np.int32)]


def _np_mirror_grad_case(mode):
    return Case(f"mirror_pad_{mode.lower()}", lambda x: manipulation_ops.pad(x, [[1, 2], [0, 1]], mode),
                _np_pad(mode.lower()), [rand(4, 3)])


CASES = [
    # shapes
    Case("identity", A.identity, lambda x: x, [rand(2, 3)]),
    Case("identity_scalar", A.identity, lambda x: x, [rand()]),
    Case("shape", A.shape, lambda x: np.array(x.shape, np.int32), [rand(2, 3)], grad=False),
    Case("shape_int64", lambda x: A.shape(x, out_type=tf.int64), lambda x: np.array(x.shape, np.int64), [rand(4)],
         grad=False),
    Case("shape_n", lambda x, y: A.shape_n([x, y]), lambda x, y: [np.array(x.shape), np.array(y.shape)],
         [rand(2, 3), rand(4)], grad=False),
    Case("size", A.size, lambda x: np.int32(x.size), [rand(2, 3)], grad=False),
    Case("rank", A.rank, lambda x: np.int32(x.ndim), [rand(2, 3)], grad=False),
    Case("rank_op", lambda x: A.rank(x, optimize=False), lambda x: np.int32(x.ndim), [rand(2, 3)], grad=False),
    Case("size_op", lambda x: A.size(x, optimize=False), lambda x: np.int32(x.size), [rand(2, 3)], grad=False),
    Case("reshape", lambda x: A.reshape(x, [3, -1]), lambda x: x.reshape(3, -1), [rand(2, 3)]),
    Case("reshape_to_scalar", lambda x: A.reshape(x, []), lambda x: x.reshape(()), [rand(1, 1)]),
    Case("reshape_dynamic", lambda x: A.reshape(x, A.shape(x)[::-1]), lambda x: x.reshape(x.shape[::-1]),
         [rand(2, 3)]),
    Case("zeros_like", fill_ops.zeros_like, np.zeros_like, [rand(2, 3)], grad=False),
    Case("ones_like", fill_ops.ones_like, np.ones_like, [rand(2, 3)], grad=False),
    Case("zeros_dynamic", lambda x: fill_ops.zeros(A.shape(x)), lambda x: np.zeros(x.shape, np.float32), [rand(2, 3)],
         grad=False),
    Case("fill", lambda v: fill_ops.fill([2, 3], v), lambda v: np.full([2, 3], v), [rand()]),
    Case("broadcast_to", lambda x: manipulation_ops.broadcast_to(x, [4, 2, 3]), lambda x: np.broadcast_to(x, [4, 2, 3]),
         [rand(2, 1)], none_batch=False),
    Case("broadcast_to_scalar", lambda x: manipulation_ops.broadcast_to(x, [2, 2]),
         lambda x: np.broadcast_to(x, [2, 2]), [rand()]),
    # permuting and reshaping
    Case("transpose_default", manipulation_ops.transpose, lambda x: x.T, [rand(2, 3, 4)]),
    Case("transpose_perm", lambda x: manipulation_ops.transpose(x, [1, 0, 2]), lambda x: x.transpose(1, 0, 2),
         [rand(2, 3, 4)]),
    Case("matrix_transpose", manipulation_ops.matrix_transpose, lambda x: np.swapaxes(x, -1, -2), [rand(2, 3, 4)]),
    Case("expand_dims_0", lambda x: A.expand_dims(x, 0), lambda x: x[None], [rand(2, 3)]),
    Case("expand_dims_neg", lambda x: A.expand_dims(x, -1), lambda x: x[..., None], [rand(2, 3)]),
    Case("expand_dims_scalar", lambda x: A.expand_dims(x, 0), lambda x: x[None], [rand()]),
    Case("squeeze_all", A.squeeze, np.squeeze, [rand(1, 3, 1)], none_batch=False),
    Case("squeeze_axis", lambda x: A.squeeze(x, [2]), lambda x: x.squeeze(2), [rand(2, 3, 1)]),
    Case("reverse", lambda x: manipulation_ops.reverse(x, [1, -1]), lambda x: x[:, ::-1, ::-1], [rand(2, 3, 4)]),
    Case("tile", lambda x: manipulation_ops.tile(x, [2, 3]), lambda x: np.tile(x, [2, 3]), [rand(2, 3)]),
    Case("tile_zero", lambda x: manipulation_ops.tile(x, [0, 1]), lambda x: np.tile(x, [0, 1]), [rand(2, 3)],
         grad=False),
    # joining and splitting
    Case("concat", lambda x, y: concat_ops.concat([x, y], 1), lambda x, y: np.concatenate([x, y], 1),
         [rand(2, 3), rand(2, 2)]),
    Case("concat_neg_axis", lambda x, y: concat_ops.concat([x, y], -2), lambda x, y: np.concatenate([x, y], -2),
         [rand(1, 3), rand(2, 3)], none_batch=False),
    Case("concat_one", lambda x: concat_ops.concat([x], 0), lambda x: x, [rand(2, 3)]),
    Case("stack", lambda x, y: concat_ops.stack([x, y], 1), lambda x, y: np.stack([x, y], 1), [rand(2, 3), rand(2, 3)]),
    Case("stack_scalars", lambda x, y: concat_ops.stack([x, y]), lambda x, y: np.stack([x, y]), [rand(), rand()]),
    Case("unstack", lambda x: concat_ops.unstack(x, axis=1), lambda x: list(np.moveaxis(x, 1, 0)), [rand(2, 3)]),
    Case("split", lambda x: concat_ops.split(x, 3, 1), lambda x: np.split(x, 3, 1), [rand(2, 6)]),
    Case("split_v", lambda x: concat_ops.split(x, [1, -1, 2], 1), lambda x: np.split(x, [1, 4], 1), [rand(2, 6)]),
    Case("slice", lambda x: slicing_ops.slice(x, [1, 0], [1, -1]), lambda x: x[1:2, 0:], [rand(3, 4)]),
    Case("slice_empty", lambda x: slicing_ops.slice(x, [1, 2], [0, 2]), lambda x: x[1:1, 2:4], [rand(3, 4)]),
    Case("getitem", lambda x: x[1:, ::-2, None], lambda x: x[1:, ::-2, None], [rand(3, 5)]),
    Case("getitem_shrink", lambda x: x[-1, ..., 1], lambda x: x[-1, ..., 1], [rand(3, 4, 2)]),
    Case("getitem_scalar_out", lambda x: x[1, 2], lambda x: x[1, 2], [rand(3, 4)]),
    Case("pad", lambda x: manipulation_ops.pad(x, [[1, 2], [0, 1]]), _np_pad("constant"), [rand(2, 3)]),
    Case("pad_value", lambda x: manipulation_ops.pad(x, [[1, 2], [0, 1]], constant_values=2.5),
         lambda x: np.pad(x, [[1, 2], [0, 1]], constant_values=2.5), [rand(2, 3)]),
    _np_mirror_grad_case("REFLECT"),
    _np_mirror_grad_case("SYMMETRIC"),
    # gathering and scattering
    Case("gather", lambda p: gather_ops.gather(p, [2, 0, 2]), lambda p: p[[2, 0, 2]], [rand(3, 2)], none_batch=False),
    Case("gather_2d_indices", lambda p: gather_ops.gather(p, [[2, 0], [1, 1]]), lambda p: p[np.array([[2, 0], [1, 1]])],
         [rand(3, 2)], none_batch=False),
    Case("gather_axis1", lambda p: gather_ops.gather(p, [[2, 0], [1, 1]], axis=1),
         lambda p: np.take(p, [[2, 0], [1, 1]], axis=1), [rand(2, 3, 2)]),
    Case("gather_scalar_index", lambda p: gather_ops.gather(p, 1, axis=-1), lambda p: p[..., 1], [rand(2, 3)]),
    Case("gather_batch_dims", lambda p: gather_ops.gather(p, [[2, 0], [1, 1]], axis=1, batch_dims=1),
         lambda p: _np_gather_batch(p, np.array([[2, 0], [1, 1]])), [rand(2, 3, 2)], none_batch=False),
    Case("gather_nd", lambda p: gather_ops.gather_nd(p, [[1, 0], [1, 0], [0, 2]]), lambda p: p[[1, 1, 0], [0, 0, 2]],
         [rand(2, 3)], none_batch=False),
    Case("gather_nd_rows", lambda p: gather_ops.gather_nd(p, [[1], [0]]), lambda p: p[[1, 0]], [rand(2, 3)],
         none_batch=False),
    Case("scatter_nd", lambda u: gather_ops.scatter_nd([[1], [3], [1]], u, [5, 2]),
         lambda u: np.array([np.zeros(2), u[0] + u[2], np.zeros(2), u[1], np.zeros(2)], np.float32),
         [rand(3, 2)], none_batch=False),
    Case("top_k", lambda x: gather_ops.top_k(x, 2), lambda x: _np_top_k(x, 2), [rand(3, 4)]),
    Case("boolean_mask", lambda x: gather_ops.boolean_mask(x, [True, False, True]), lambda x: x[[True, False, True]],
         [rand(3, 2)]),
    Case("boolean_mask_2d", lambda x: gather_ops.boolean_mask(x, [[True, False], [False, True]]),
         lambda x: x[np.array([[True, False], [False, True]])], [rand(2, 2, 3)], none_batch=False),
    Case("boolean_mask_axis", lambda x: gather_ops.boolean_mask(x, [True, False, True], axis=1),
         lambda x: x[:, [True, False, True]], [rand(2, 3)]),
    # non-differentiable value ops
    Case("where", lambda c: gather_ops.where(c), lambda c: np.argwhere(c), [np.array([[True, False], [True, True]])],
         grad=False),
    Case("where_scalar", lambda c: gather_ops.where(c), lambda c: np.argwhere(c), [np.array(True)], grad=False),
    Case("unique", gather_ops.unique, _np_unique, [np.array([4, 1, 4, 2, 1, 7], np.int32)], grad=False),
    Case("one_hot", lambda i: gather_ops.one_hot(i, 4), lambda i: np.eye(4, dtype=np.float32)[i] * (i >= 0)[..., None],
         [np.array([[0, 3], [-1, 2]], np.int32)], grad=False),
    Case("one_hot_axis0", lambda i: gather_ops.one_hot(i, 3, axis=0, on_value=5, off_value=-1),
         lambda i: np.where(np.arange(3)[:, None] == i[None], 5, -1).astype(np.int32),
         [np.array([2, 0, 1, 7], np.int32)], grad=False),
    Case("bucketize", lambda x: gather_ops.bucketize(x, [0.0, 1.0, 10.0]),
         lambda x: np.searchsorted([0.0, 1.0, 10.0], x, side="right").astype(np.int32),
         [np.array([-5.0, 0.0, 0.5, 1.0, 10.0, 11.0], np.float32)], grad=False),
    Case("invert_permutation", manipulation_ops.invert_permutation, np.argsort, [np.array([2, 0, 3, 1], np.int32)],
         grad=False),
    Case("range", lambda n: fill_ops.range_(1, n, 2), lambda n: np.arange(1, n, 2, dtype=np.int32), [np.int32(8)],
         grad=False),
    Case("linspace", lambda a: fill_ops.linspace(a, 1.0, 5), lambda a: np.linspace(a, 1.0, 5).astype(np.float32),
         [np.float32(-1.0)], grad=False),
    Case("sequence_mask", lambda n: gather_ops.sequence_mask(n, 4), lambda n: np.arange(4)[None] < n[:, None],
         [np.array([1, 3, 0], np.int32)], grad=False),
    Case("stop_gradient", A.stop_gradient, lambda x: x, [rand(2)], grad=False),
    Case("check_numerics", lambda x: A.check_numerics(x, "bad"), lambda x: x, [rand(2, 3)]),
    Case("snapshot", A.snapshot, lambda x: x, [rand(2, 3)]),
    Case("identity_n", lambda x, y: A.identity_n([x, y]), lambda x, y: [x, y], [rand(2), rand(3)]),
]

# Ops that are deliberately not differentiable (TF1 registers no gradient, or NotDifferentiable).
NON_DIFFERENTIABLE = {
    "Shape", "ShapeN", "Size", "Rank", "ZerosLike", "OnesLike", "BroadcastGradientArgs", "Range", "LinSpace",
    "InvertPermutation", "Where", "Unique", "OneHot", "Bucketize", "StopGradient",
}
# Differentiable ops whose gradient is checked by a dedicated test rather than a table row.
COVERED_ELSEWHERE = {
    "ConjugateTranspose": "test_conjugate_transpose", "StridedSliceGrad": "test_strided_slice_grad_grad",
    "MirrorPadGrad": "test_mirror_pad_grad_values", "PreventGradient": "test_prevent_gradient",
    "BroadcastGradientArgs": "test_broadcast_gradient_args",
    "Select": "math engineer",
}


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _run_case(case: Case, none_batch: bool, device: str | None = None):
    g = tf.Graph()
    with g.as_default():
        phs = []
        for a in case.inputs:
            a = np.asarray(a)
            shape = list(a.shape)
            if none_batch and shape:
                shape[0] = None
            phs.append(placeholder(a.dtype, shape=shape))
        if device:
            with g.device(device):
                out = case.build(*phs)
        else:
            out = case.build(*phs)
        outs = _as_list(out)
        with tf.Session(graph=g) as sess:
            values = sess.run(outs, dict(zip(phs, case.inputs, strict=True)))
    return outs, values


def _check_case(case: Case, none_batch: bool, device: str | None = None):
    outs, values = _run_case(case, none_batch, device)
    refs = _as_list(case.ref(*[np.asarray(a) for a in case.inputs]))
    assert len(refs) == len(outs), f"{case.name}: {len(outs)} outputs, reference has {len(refs)}"
    for i, (t, v, r) in enumerate(zip(outs, values, refs, strict=True)):
        v = np.asarray(devices.to_numpy(v))
        r = np.asarray(r)
        # 1. the inferred spec agrees with the kernel's actual output
        assert t.shape.is_compatible_with(v.shape), f"{case.name}[{i}]: inferred {t.shape}, kernel gave {v.shape}"
        if not none_batch:
            assert t.shape.is_fully_defined() or case.name in _DYNAMIC_SHAPES, (
                f"{case.name}[{i}]: static shape {t.shape} not fully inferred from known inputs")
        assert v.dtype == t.dtype.as_numpy_dtype, f"{case.name}[{i}]: inferred {t.dtype}, kernel gave {v.dtype}"
        # 2. the kernel matches numpy
        assert v.shape == r.shape, f"{case.name}[{i}]: shape {v.shape} != numpy {r.shape}"
        np.testing.assert_allclose(v, r, atol=case.atol, err_msg=f"{case.name}[{i}]")


# Outputs whose shape depends on values (or on values unknown at build time).
_DYNAMIC_SHAPES = {"where", "where_scalar", "unique", "boolean_mask", "boolean_mask_2d", "boolean_mask_axis",
                   "reshape_dynamic", "zeros_dynamic", "range"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_spec_and_value(case):
    _check_case(case, none_batch=False)


@pytest.mark.parametrize("case", [c for c in CASES if c.none_batch], ids=lambda c: c.name)
def test_spec_and_value_none_batch(case):
    _check_case(case, none_batch=True)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad], ids=lambda c: c.name)
def test_gradient(case):
    def build(*xs):
        out = _as_list(case.build(*xs))
        floats = [o for o in out if o.dtype.is_floating]
        return floats[0] if len(floats) == 1 else concat_ops.concat([A.reshape(o, [-1]) for o in floats], 0)

    check_gradient(build, case.inputs, label=case.name)


@pytest.mark.parametrize("case", [c for c in CASES if c.grad and c.none_batch], ids=lambda c: c.name)
def test_gradient_none_batch(case):
    def build(*xs):
        out = _as_list(case.build(*xs))
        floats = [o for o in out if o.dtype.is_floating]
        return floats[0] if len(floats) == 1 else concat_ops.concat([A.reshape(o, [-1]) for o in floats], 0)

    check_gradient(build, case.inputs, none_batch=True, label=case.name)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_spec_and_value_gpu(case, gpu):
    _check_case(case, none_batch=False, device="/gpu:0")


def test_every_array_op_is_covered():
    family = {m.__name__ for m in (A, fill_ops, concat_ops, manipulation_ops, gather_ops, slicing_ops)}
    ops = {name for name, d in registered_ops().items() if getattr(d.infer, "__module__", "") in family}
    built = set()
    for case in CASES:
        built |= _types_of(case) | (_types_of(case, none_batch=True) if case.none_batch else set())
    gradient_checked = {t for c in CASES if c.grad for t in _types_of(c)}
    missing = sorted(ops - built - set(COVERED_ELSEWHERE) - {"StridedSliceGrad", "MirrorPadGrad"})
    assert not missing, f"array ops not in the table: {missing}"
    differentiable = {o for o in ops if registered_ops()[o].grad is not None}
    unchecked = sorted(differentiable - gradient_checked - set(COVERED_ELSEWHERE) - {"Fill"} - {"Identity"})
    assert not unchecked, f"differentiable array ops without a gradient check: {unchecked}"
    assert ops & NON_DIFFERENTIABLE == {o for o in ops if registered_ops()[o].grad is None}


def _types_of(case, none_batch=False):
    g = tf.Graph()
    with g.as_default():
        phs = []
        for a in case.inputs:
            dims = list(np.asarray(a).shape)
            if none_batch and dims:
                dims[0] = None
            phs.append(placeholder(np.asarray(a).dtype, shape=dims))
        case.build(*phs)
    return {op.type for op in g.get_operations()}


# ---- Shape/Reshape/Fill details --------------------------------------------------------------------------
def test_shape_value_known_at_build_time():
    x = placeholder(tf.float32, [2, 3])
    s = A.shape(x)
    assert s.op.type == "Const" and s.op.name == "Shape" and s._const_value.tolist() == [2, 3]  # TF1's optimize
    raw = A.shape(x, optimize=False)
    assert raw.op.type == "Shape" and raw.op.name == "Shape_1" and raw._const_value.tolist() == [2, 3]
    partial = A.shape(placeholder(tf.float32, [None, 3]), out_type=tf.int64)
    assert partial.op.type == "Shape" and partial._const_value is None and partial.dtype == tf.int64
    assert A.shape(placeholder(tf.float32)).shape.as_list() == [None]
    assert A.size(x)._const_value == 6 and A.rank(placeholder(tf.float32, [None, 3]))._const_value == 2
    assert A.size(placeholder(tf.float32, [None, 0]))._const_value == 0
    assert A.size(placeholder(tf.float32, [None, 3])).op.type == "Size"
    assert A.rank(placeholder(tf.float32)).op.type == "Rank"


def test_reshape_static_inference():
    assert A.reshape(placeholder(tf.float32, [2, 3]), [-1, 2]).shape.as_list() == [3, 2]
    assert A.reshape(placeholder(tf.float32, [None, 3]), [-1, 3]).shape.as_list() == [None, 3]
    assert A.reshape(placeholder(tf.float32, [None, 3]), placeholder(tf.int32, [3])).shape.as_list() == [None] * 3
    assert A.reshape(placeholder(tf.float32, [0, 3]), [-1, 3]).shape.as_list() == [0, 3]
    with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 6 elements to shape \[4\] \(4 elements\) "
                                         r"for 'Reshape\w*' \(op: 'Reshape'\) with input shapes: \[2,3\], \[1\]"):
        A.reshape(placeholder(tf.float32, [2, 3]), [4])
    with pytest.raises(ValueError, match=r"Cannot reshape a tensor with 6 elements to shape \[4,\?\] \(4 elements\)"):
        A.reshape(placeholder(tf.float32, [2, 3]), [4, -1])
    with pytest.raises(ValueError, match="Cannot infer multiple unknown dimensions"):
        A.reshape(placeholder(tf.float32, [2, 3]), [-1, -1])
    with pytest.raises(TypeError, match="parameter 'shape' has DataType float32"):
        A.reshape(placeholder(tf.float32, [2, 3]), constant([6.0]))


def test_reshape_run_time_errors():
    x = placeholder(tf.float32, [None, 3])
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError,
                           match="Input to reshape is a tensor with 6 values, but the requested shape has 4"):
            sess.run(A.reshape(x, [4]), {x: np.zeros((2, 3))})
        with pytest.raises(errors.InvalidArgumentError, match="requested shape requires a multiple of 4"):
            sess.run(A.reshape(x, [4, -1]), {x: np.zeros((2, 3))})


def test_zeros_ones_names_and_kinds():
    g = tf.Graph()
    with g.as_default():
        z = fill_ops.zeros([2, 3])
        o = fill_ops.ones([2], dtype=tf.int64)
        zl = fill_ops.zeros_like(placeholder(tf.float32, [None, 2]))
        ol = fill_ops.ones_like(placeholder(tf.int32, [2]))
        zb = fill_ops.zeros([2], dtype=tf.bool)
        fz = fill_ops.zeros(placeholder(tf.int32, [2]))
    assert z.op.type == "Const" and z.op.name == "zeros" and z.dtype == tf.float32
    assert o.dtype == tf.int64 and o.op.name == "ones"
    assert zl.op.type == "ZerosLike" and zl.op.name == "zeros_like" and zl.shape.as_list() == [None, 2]
    assert ol.shape.as_list() == [2] and ol.dtype == tf.int32
    assert zb.dtype == tf.bool
    assert fz.op.type == "Fill" and fz.op.name == "zeros_2"  # after zeros, zeros_1 (the bool one)
    assert ol.op.type == "Fill" and ol.op.name == "ones_like"  # TF1: a constant shape, then Fill
    with tf.Session(graph=g) as sess:
        assert sess.run(z).tolist() == [[0.0] * 3] * 2 and sess.run(o).tolist() == [1, 1]


def test_fill_errors():
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        fill_ops.fill([2], [1.0, 2.0])
    d = placeholder(tf.int32, [2])
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match=r"dims\[1\] = -1 must be nonneg"):
        sess.run(fill_ops.fill(d, 1.0), {d: [2, -1]})


@pytest.mark.parametrize("s0,s1,r0,r1", [
    ([2, 3], [2, 3], [], []), ([2, 3], [3], [], [0]), ([2, 1], [1, 4], [1], [0]),
    ([1], [1], [0], [0]), ([], [2, 2], [0, 1], []), ([5, 1, 3], [4, 1], [1], [0, 2]),
])
def test_broadcast_gradient_args(s0, s1, r0, r1):
    a, b = placeholder(tf.int32, [None]), placeholder(tf.int32, [None])
    ra, rb = manipulation_ops.broadcast_gradient_args(a, b)
    with tf.Session() as sess:
        va, vb = sess.run([ra, rb], {a: s0, b: s1})
    assert va.tolist() == r0 and vb.tolist() == r1 and va.dtype == np.int32
    folded = manipulation_ops.broadcast_gradient_args(s0, s1)
    assert folded[0]._const_value.tolist() == r0 and folded[1]._const_value.tolist() == r1


def test_broadcast_gradient_args_incompatible():
    with pytest.raises(ValueError, match=r"Incompatible shapes: \[2,3\] vs. \[4\]"):
        manipulation_ops.broadcast_gradient_args([2, 3], [4])
    a = placeholder(tf.int32, [None])
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match="Incompatible shapes"):
        sess.run(manipulation_ops.broadcast_gradient_args(a, [4])[0], {a: [2, 3]})


# ---- Range / LinSpace ------------------------------------------------------------------------------------
def test_range_dtype_inference_and_names():
    g = tf.Graph()
    with g.as_default():
        r = fill_ops.range_(5)
        assert r.op.name == "range" and r.dtype == tf.int32 and r.shape.as_list() == [5]
        assert fill_ops.range_(1, 5.0).dtype == tf.float32
        assert fill_ops.range_(constant(1, dtype=tf.int64), 5).dtype == tf.int64
        assert fill_ops.range_(0, 3, dtype=tf.float64).dtype == tf.float64
        assert fill_ops.range_(10, 0, -3).shape.as_list() == [4]
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(fill_ops.range_(10, 0, -3)), [10, 7, 4, 1])
            np.testing.assert_allclose(sess.run(fill_ops.range_(0.0, 1.0, 0.25)), [0, 0.25, 0.5, 0.75])
        with pytest.raises(ValueError, match="Requires delta != 0"):
            fill_ops.range_(0, 3, 0)
        with pytest.raises(ValueError, match="Requires start <= limit when delta > 0: 5/1"):
            fill_ops.range_(5, 1)


def test_linspace():
    g = tf.Graph()
    with g.as_default():
        y = fill_ops.lin_space(constant(0.0), 1.0, 3)
        assert y.shape.as_list() == [3] and y.op.type == "LinSpace"
        with tf.Session() as sess:
            np.testing.assert_allclose(sess.run(y), [0.0, 0.5, 1.0])
            np.testing.assert_allclose(sess.run(fill_ops.linspace(2.0, 3.0, 1)), [2.0])
        with pytest.raises(ValueError, match="Requires num > 0: 0"):
            fill_ops.linspace(0.0, 1.0, 0)


# ---- joining / splitting errors ----------------------------------------------------------------------------
def test_concat_errors():
    a, b = placeholder(tf.float32, [2, 3]), placeholder(tf.float32, [2, 4])
    with pytest.raises(ValueError, match=r"Dimension 0 in both shapes must be equal, but are 2 and 3\. Shapes are "
                                         r"\[2,3\] and \[3,4\]\. for 'concat\w*' \(op: 'ConcatV2'\)"):
        concat_ops.concat([a, placeholder(tf.float32, [3, 4])], 1)
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        concat_ops.concat([a, placeholder(tf.float32, [3])], 0)
    with pytest.raises(ValueError, match=r"range \[-2, 2\), but got 2"):
        concat_ops.concat([a, b], 2)
    with pytest.raises(TypeError, match="does not match type float32"):
        concat_ops.concat([a, placeholder(tf.int32, [2, 3])], 0)
    assert concat_ops.concat([a, b], 1).shape.as_list() == [2, 7]
    x, y = placeholder(tf.float32, [None, 3]), placeholder(tf.float32, [None, 3])
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError,
                                              match=r"ConcatOp : Dimensions of inputs should match: shape\[0\] = "
                                                    r"\[1,3\] vs\. shape\[1\] = \[2,3\]"):
        sess.run(concat_ops.concat([x, y], 1), {x: np.zeros((1, 3)), y: np.zeros((2, 3))})


def test_stack_unstack_errors():
    with pytest.raises(ValueError, match=r"Shapes of all inputs must match: values\[0\]\.shape = \[2\] != "
                                         r"values\[1\]\.shape = \[3\]"):
        concat_ops.stack([placeholder(tf.float32, [2]), placeholder(tf.float32, [3])])
    with pytest.raises(ValueError, match=r"axis = 2 not in \[-2, 2\)"):
        concat_ops.stack([placeholder(tf.float32, [2])], axis=2)
    with pytest.raises(ValueError, match=r"Cannot infer num from shape \(\?, 3\)"):
        concat_ops.unstack(placeholder(tf.float32, [None, 3]))
    assert len(concat_ops.unstack(placeholder(tf.float32, [None, 3]), axis=1)) == 3
    assert concat_ops.stack([1, 2, 3]).op.type == "Const"


def test_split_errors():
    with pytest.raises(ValueError, match="Dimension size must be evenly divisible by 3 but is 10"):
        concat_ops.split(placeholder(tf.float32, [10]), 3)
    with pytest.raises(ValueError, match="Determined shape must either match input shape"):
        concat_ops.split(placeholder(tf.float32, [10]), [3, 4])
    with pytest.raises(ValueError, match="Rank-0 tensors are not supported"):
        concat_ops.split(placeholder(tf.float32, [10]), constant(2))
    x = placeholder(tf.float32, [None])
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match="evenly divide the split dimension"):
        sess.run(concat_ops.split(x, 3)[0], {x: np.zeros(10)})


@pytest.mark.parametrize("fusion", [True, False])
def test_split_v_with_constant_sizes_cuts_as_the_kernel_does(fusion, monkeypatch):
    """ConcatV2's gradient (SplitV with constant sizes and axis) is a step of its value alone, same views and errors."""
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    x = placeholder(tf.float32, [None, None])
    sizes = constant(np.array([1, 3, 0, 2], np.int32))
    parts = apply_op("SplitV", x, sizes, constant(np.int32(-1)), num_split=4, name="split")
    assert (registered_ops()["SplitV"].fuse(parts[0].op) is not None) is True
    value = np.arange(12, dtype=np.float32).reshape(2, 6)
    with tf.Session() as sess:
        got = sess.run(list(parts), {x: value})
        for g, (a, b) in zip(got, [(0, 1), (1, 4), (4, 4), (4, 6)], strict=True):
            assert g.shape == (2, b - a) and g.tobytes() == np.ascontiguousarray(value[:, a:b]).tobytes()
        with pytest.raises(errors.InvalidArgumentError, match="Determined shape must either match input shape"):
            sess.run(parts[1], {x: np.zeros((2, 5), np.float32)})
        fed = sess.run(parts[1], {x: value, sizes: np.array([2, 2, 1, 1], np.int32)})  # a fed size: the kernel
        np.testing.assert_array_equal(fed, value[:, 2:4])
        first = next(iter(sess._cache.values())).steps
        assert [st[5].type for st in first] == ["SplitV"] and (first[0][4] == 1) is fusion  # reads `x` alone


def test_squeeze_and_expand_dims_errors():
    x = placeholder(tf.float32, [2, 3, 1])
    with pytest.raises(ValueError, match=r"Can not squeeze dim\[1\], expected a dimension of 1, got 3 for "
                                         r"'Squeeze\w*' \(op: 'Squeeze'\) with input shapes: \[2,3,1\]"):
        A.squeeze(x, [1])
    with pytest.raises(ValueError, match="Tried to squeeze dim index 3 for tensor with 3 dimensions"):
        A.squeeze(x, 3)
    with pytest.raises(ValueError, match="Tried to expand dim index 4 for tensor with 3 dimensions"):
        A.expand_dims(x, 4)
    assert A.squeeze(placeholder(tf.float32, [None, 1])).shape.ndims is None
    assert A.squeeze(placeholder(tf.float32, [None, 1]), axis=1).shape.as_list() == [None]
    y = placeholder(tf.float32, [None, 3])
    with tf.Session() as sess, pytest.raises(errors.InvalidArgumentError, match="Can not squeeze dim"):
        sess.run(A.squeeze(y, 0), {y: np.zeros((2, 3))})


def test_transpose_errors_and_inference():
    x = placeholder(tf.float32, [2, None, 4])
    assert manipulation_ops.transpose(x, [2, 0, 1]).shape.as_list() == [4, 2, None]
    assert manipulation_ops.transpose(x).op.name.startswith("transpose")
    with pytest.raises(ValueError, match="Dimension must be 3 but is 2"):
        manipulation_ops.transpose(x, [1, 0])
    with pytest.raises(ValueError, match=r"1 is missing from \{0,0,2\}"):
        manipulation_ops.transpose(x, [0, 0, 2])
    r = manipulation_ops.transpose(placeholder(tf.float32))
    v = np.zeros((2, 3, 4), np.float32)
    with tf.Session() as sess:
        assert sess.run(r, {r.op.inputs[0]: v}).shape == (4, 3, 2)


def test_conjugate_transpose():
    x = constant(np.array([[1 + 2j, 3 - 1j]], np.complex64))
    y = manipulation_ops.transpose(x, conjugate=True)
    assert y.op.type == "ConjugateTranspose"
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), np.array([[1 - 2j], [3 + 1j]], np.complex64))
    assert manipulation_ops.transpose(constant([[1.0]]), conjugate=True).op.type == "Transpose"


def test_tile_pad_slice_errors():
    with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
        manipulation_ops.tile(placeholder(tf.float32, [2, 2]), [1, 2, 3])
    with pytest.raises(ValueError, match=r"Expected size\[0\] in \[0, 1\], but got 2"):
        slicing_ops.slice(placeholder(tf.float32, [3]), [2], [2])
    with pytest.raises(ValueError, match=r"Expected begin\[0\] in \[0, 3\], but got 4"):
        slicing_ops.slice(placeholder(tf.float32, [3]), [4], [-1])
    with pytest.raises(ValueError, match="Unknown padding mode: WRAP"):
        manipulation_ops.pad(placeholder(tf.float32, [3]), [[1, 1]], "wrap")
    with pytest.raises(ValueError, match="paddings must be less than the dimension size: 3, 0 not less than 3"):
        manipulation_ops.pad(placeholder(tf.float32, [3]), [[3, 0]], "REFLECT")
    assert manipulation_ops.pad(placeholder(tf.float32, [3]), [[3, 0]], "SYMMETRIC").shape.as_list() == [6]
    x = placeholder(tf.float32, [None])
    p = placeholder(tf.int32, [1, 2])
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="Paddings must be non-negative: -1 0"):
            sess.run(manipulation_ops.pad(x, p), {x: np.zeros(3), p: [[-1, 0]]})
        with pytest.raises(errors.InvalidArgumentError, match=r"Expected size\[0\] in \[0, 2\], but got 5"):
            sess.run(slicing_ops.slice(x, [1], [5]), {x: np.zeros(3)})
        with pytest.raises(errors.InvalidArgumentError, match="Expected multiples argument to be a vector of length 1"):
            sess.run(manipulation_ops.tile(x, placeholder_with([1, 2])), {x: np.zeros(3)})


def placeholder_with(value):
    from estflow.core.ops.constant_op import placeholder_with_default

    return placeholder_with_default(np.array(value, np.int32), [None])


def test_mirror_pad_grad_values():
    g = constant(np.arange(1.0, 8.0))  # the gradient of a [3] input padded (2, 2)
    with tf.Session() as sess:
        reflect = sess.run(apply_op("MirrorPadGrad", g, [[2, 2]], mode="REFLECT"))
        symmetric = sess.run(apply_op("MirrorPadGrad", g, [[2, 2]], mode="SYMMETRIC"))
    # REFLECT: padded = [x2, x1, x0, x1, x2, x1, x0]; SYMMETRIC: [x1, x0, x0, x1, x2, x2, x1]
    np.testing.assert_array_equal(reflect, [3 + 7, 2 + 4 + 6, 1 + 5])
    np.testing.assert_array_equal(symmetric, [2 + 3, 1 + 4 + 7, 5 + 6])


def test_broadcast_to_errors():
    with pytest.raises(ValueError, match=r"Incompatible shapes: \[3\] vs\. \[2,2\]"):
        manipulation_ops.broadcast_to(placeholder(tf.float32, [3]), [2, 2])
    n = placeholder(tf.int32, [])
    assert manipulation_ops.broadcast_to(placeholder(tf.float32, [None, 1]), [n, 4]).shape.as_list() == [None, 4]


@pytest.mark.parametrize("target", [[40, 1], [3, 2, 2], [64, 64], [65, 64]])
@pytest.mark.parametrize("value", [np.float32(-0.0), np.float64(np.nan), b"a"])
def test_broadcast_to_fills_small_targets_and_views_large_ones_with_the_same_values(target, value):
    """Up to _FILL_BROADCAST values the kernel fills a new array (cheaper than numpy's broadcast view), above
    it hands numpy's view on: the same values and dtype either way (-0.0, NaN, strings)."""
    x = np.full([1] * len(target), value, dtype=object if isinstance(value, bytes) else type(value))
    got = manipulation_ops._broadcast_to_kernel(np, x, np.array(target, np.int32))
    want = np.broadcast_to(x, target)
    assert got.dtype == want.dtype and got.shape == want.shape
    if x.dtype == object:
        assert got.tolist() == want.tolist()
    else:
        assert got.tobytes() == want.tobytes()
        assert np.shares_memory(got, x) == (np.prod(target) > manipulation_ops._FILL_BROADCAST)


def test_invert_permutation_errors():
    p = placeholder(tf.int32, [None])
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="1 is duplicated in the input"):
            sess.run(manipulation_ops.invert_permutation(p), {p: [1, 1, 0]})
        with pytest.raises(errors.InvalidArgumentError, match="5 is not between 0 and 3"):
            sess.run(manipulation_ops.invert_permutation(p), {p: [5, 1, 0]})


# ---- composed ops, gradient control ---------------------------------------------------------------------------
def test_meshgrid():
    x, y = constant([1, 2, 3]), constant([4, 5])
    with tf.Session() as sess:
        for indexing in ("xy", "ij"):
            got = sess.run(manipulation_ops.meshgrid(x, y, indexing=indexing))
            want = np.meshgrid([1, 2, 3], [4, 5], indexing=indexing)
            for a, b in zip(got, want, strict=True):
                np.testing.assert_array_equal(a, b)


def test_stop_gradient_and_prevent_gradient():
    x = placeholder(tf.float32, [2])
    assert gradients(reduce_sum(A.stop_gradient(x) * x), [x])[0] is not None
    assert gradients(reduce_sum(A.stop_gradient(x)), [x])[0] is None


def test_prevent_gradient():
    x = placeholder(tf.float32, [2])
    y = A.prevent_gradient(x, message="no way")
    with pytest.raises(LookupError, match="Gradient explicitly disabled. Reason: no way"):
        gradients(reduce_sum(y), [x])


def test_check_numerics_raises():
    x = placeholder(tf.float32, [None])
    y = A.check_numerics(x, "bad input")
    with tf.Session() as sess:
        with pytest.raises(errors.InvalidArgumentError, match="bad input : Tensor had NaN values"):
            sess.run(y, {x: [1.0, np.nan]})
        with pytest.raises(errors.InvalidArgumentError, match="bad input : Tensor had Inf and NaN values"):
            sess.run(y, {x: [np.inf, np.nan]})
        assert sess.run(y, {x: [1.0]}).tolist() == [1.0]


def test_static_value_folding_through_shape_ops():
    x = placeholder(tf.float32, [2, 3, 4])
    s = A.shape(x)
    assert s[1:]._const_value.tolist() == [3, 4]
    assert A.reshape(x, concat_ops.stack([s[0], -1])).shape.as_list() == [2, 12]
    assert concat_ops.concat([s, [5]], 0)._const_value.tolist() == [2, 3, 4, 5]


@pytest.mark.parametrize("dtype", [dtypes.float32, dtypes.int64, dtypes.bool])
def test_dtype_preserved(dtype):
    x = placeholder(dtype, [2, 3])
    value = np.ones((2, 3), dtype.as_numpy_dtype)
    outs = [manipulation_ops.transpose(x), A.reshape(x, [-1]), x[::-1], manipulation_ops.tile(x, [1, 2]),
            gather_ops.gather(x, [1]), manipulation_ops.reverse(x, [0]), concat_ops.concat([x, x], 0),
            concat_ops.stack([x, x]), manipulation_ops.pad(x, [[1, 0], [0, 0]])]
    with tf.Session() as sess:
        values = sess.run(outs, {x: value})
    for t, v in zip(outs, values, strict=True):
        assert t.dtype == dtype and v.dtype == dtype.as_numpy_dtype, t.op.type


def test_all_index_combinations_small():
    """Every single-axis index of a (3, 2) array against numpy, run in one session."""
    x = np.arange(6, dtype=np.float32).reshape(3, 2)
    items = [0, -1, -3, 2, slice(None), slice(None, None, -1), slice(1, None), slice(-2, None, -2), None, Ellipsis]
    exprs = [(a, b) for a, b in itertools.product(items, items) if not (a is Ellipsis and b is Ellipsis)]
    exprs = [e for e in exprs if _numpy_ok(x, e)]
    t = placeholder(tf.float32, [None, 2])
    ys = [t[e] for e in exprs]
    with tf.Session() as sess:
        values = sess.run(ys, {t: x})
    for e, y, v in zip(exprs, ys, values, strict=True):
        np.testing.assert_array_equal(v, x[e], err_msg=repr(e))
        assert y.shape.is_compatible_with(x[e].shape), e


def _numpy_ok(x, e):
    try:
        x[e]
        return True
    except IndexError:
        return False


def test_partial_shapes_from_shape_tensors():
    x = placeholder(tf.float32, [None, 6, 4])
    s = A.shape(x)
    assert A.reshape(x, [s[0], 2, -1]).shape.as_list() == [None, 2, None]
    assert A.reshape(x, concat_ops.stack([s[0], s[1], 2, 2])).shape.as_list() == [None, 6, 2, 2]
    assert A.reshape(x, concat_ops.concat([s[:2], [2, 2]], 0)).shape.as_list() == [None, 6, 2, 2]
    assert fill_ops.zeros(A.shape(x)).shape.as_list() == [None, 6, 4]
    assert fill_ops.fill(concat_ops.stack([s[2], 3]), 1.0).shape.as_list() == [4, 3]
    assert manipulation_ops.broadcast_to(constant(1.0), s).shape.as_list() == [None, 6, 4]
    assert A.constant_value_as_shape(s[1:]).as_list() == [6, 4]


def test_partially_known_shapes_are_not_shape_arguments():
    with pytest.raises(ValueError, match=r"Cannot convert a partially known TensorShape to a Tensor: \(\?, 3\)"):
        fill_ops.zeros(TensorShape([None, 3]))
    with pytest.raises(ValueError, match="None values not supported"):
        A.reshape(placeholder(tf.float32, [2, 3]), [None, 3])


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_multi_output_ops_return_namedtuples():
    nn = tf.nn
    u = tf.unique([3, 1, 3])
    k = nn.top_k([1.0, 5.0, 3.0], 2)
    out = run([u.y, u.idx, k.values, k.indices])
    assert [o.tolist() for o in out] == [[3, 1], [0, 1, 0], [5.0, 3.0], [1, 2]]


def test_convert_n_to_tensor_names_each_constant_as_tf1():
    with tf.Graph().as_default():
        a, b = convert_n_to_tensor([1.0, [2.0, 3.0]], name="parts")
        unnamed, = convert_n_to_tensor([4])
    assert (a.op.name, b.op.name, unnamed.op.name) == ("parts_0", "parts_1", "Const")
    assert b.shape.as_list() == [2]


# ---- Reshape's compile-time fusion (OpDef.fuse) ------------------------------------------------------
def _reduce_to_shape(x, grad):
    sx, sg = A.shape(x), A.shape(grad)
    reduction = apply_op("BroadcastGradientArgs", sx, sg)[0]
    return A.reshape(apply_op("Sum", grad, reduction, keep_dims=False), sx)


def test_reduce_to_shape_runs_as_one_plan_step_with_the_unfused_result():
    x = placeholder(tf.float32, [None, 1])
    grad = placeholder(tf.float32, [None, None])
    out = _reduce_to_shape(x, grad)
    fusion = registered_ops()["Reshape"].fuse(out.op)
    assert fusion is not None and fusion.inputs == (grad, x)  # grad's own shape: read from grad
    g = np.arange(12, dtype=np.float32).reshape(4, 3)
    with tf.Session() as sess:
        for xv, gv, want in [(np.zeros((1, 1)), g, g.sum(keepdims=True)),
                             (np.zeros((4, 1)), g, g.sum(axis=1, keepdims=True)),
                             (np.zeros((1, 1)), g[:1, :1], g[:1, :1])]:
            got = sess.run(out, {x: xv, grad: gv})
            np.testing.assert_array_equal(got, want)
            assert got.dtype == np.float32
        plan = Compiler(sess).compile([out], [x, grad])
    assert [step[5].type for step in plan.steps] == ["Reshape"]  # Shape, BroadcastGradientArgs, Sum: skipped


def test_reduce_to_shape_fusion_of_three_distinct_tensors():
    x = placeholder(tf.float32, [None, 3])
    y = placeholder(tf.float32, [None, 3])
    grad = placeholder(tf.float32, [None, 3])
    sx, sy = A.shape(x), A.shape(y)
    rx, ry = apply_op("BroadcastGradientArgs", sx, sy)
    dx = A.reshape(apply_op("Sum", grad, rx, keep_dims=False), sx)
    dy = A.reshape(apply_op("Sum", grad * 2.0, ry, keep_dims=False), sy)
    assert registered_ops()["Reshape"].fuse(dy.op).inputs[1:] == (x, y)
    g = np.arange(12, dtype=np.float32).reshape(4, 3)
    with tf.Session() as sess:
        got_x, got_y = sess.run([dx, dy], {x: np.zeros((1, 3)), y: np.zeros((4, 3)), grad: g})
        plan = Compiler(sess).compile([dx, dy], [x, y, grad])
    np.testing.assert_array_equal(got_x, g.sum(0, keepdims=True))
    np.testing.assert_array_equal(got_y, 2 * g)
    assert sorted(step[5].type for step in plan.steps) == ["Mul", "Reshape", "Reshape"]


def test_reduce_to_shape_fusion_yields_to_a_fed_intermediate():
    x = placeholder(tf.float32, [None, 3])
    grad = placeholder(tf.float32, [None, 3])
    out = _reduce_to_shape(x, grad)
    summed = out.op.inputs[0]
    with tf.Session() as sess:
        fed = sess.run(out, {x: np.zeros((1, 3)), grad: np.ones((2, 3)), summed: np.full(3, 7.0, np.float32)})
        np.testing.assert_array_equal(fed, np.full((1, 3), 7.0))
        with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes: \\[2,3\\] vs. \\[4,3\\]"):
            sess.run(out, {x: np.zeros((2, 3)), grad: np.ones((4, 3))})


# ---- ConcatV2's compile-time fusion: inputs made by ExpandDims (input_layer's numeric columns) -------------
def test_concat_of_expanded_inputs_runs_as_one_step_with_the_unfused_result():
    a = placeholder(tf.float32, [None])
    b = placeholder(tf.float32, [None])
    m = placeholder(tf.float32, [None, 2])
    out = concat_ops.concat([A.expand_dims(a, -1), m, A.expand_dims(b, 1)], axis=1)
    fusion = registered_ops()["ConcatV2"].fuse(out.op)
    assert fusion is not None and fusion.inputs[:3] == (a, m, b)
    av, bv, mv = np.array([1, 2], np.float32), np.array([3, 4], np.float32), np.array([[5, 6], [7, 8]], np.float32)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out, {a: av, b: bv, m: mv}), [[1, 5, 6, 3], [2, 7, 8, 4]])
        with pytest.raises(errors.InvalidArgumentError, match="ConcatOp : Dimensions of inputs should match"):
            sess.run(out, {a: av, b: np.ones(3, np.float32), m: mv})
        plan = Compiler(sess).compile([out], [a, b, m])
        assert [step[5].type for step in plan.steps] == ["ConcatV2"]
        expanded = out.op.inputs[0]  # fed: the plan runs the ops as written
        got = sess.run(out, {expanded: [[9], [9]], b: bv, m: mv})
        np.testing.assert_array_equal(got, [[9, 5, 6, 3], [9, 7, 8, 4]])
    shared = A.expand_dims(a, -1)
    both = concat_ops.concat([shared, shared * 2.0], axis=1)  # a second reader: ExpandDims stays a step
    assert registered_ops()["ConcatV2"].fuse(both.op) is None


def _input_layer(fusion, monkeypatch, feeds_of, out_dtype=tf.float32, on=1.0, off=0.0, depths=(4, 3), fed_axis=None,
                 fed_depth=None):
    """A DNN input layer's join: numeric columns (ExpandDims, Cast), indicators (OneHot), a dense piece."""
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        x32 = placeholder(tf.int32, [None])
        x64 = placeholder(tf.float64, [None])
        xf = placeholder(out_dtype, [None])
        ids = placeholder(tf.int64, [None])
        ids32 = placeholder(tf.int32, [None])
        dense = placeholder(out_dtype, [None, 2])
        np_dt = out_dtype.as_numpy_dtype
        parts = [tf.cast(A.expand_dims(x32, -1), out_dtype), gather_ops.one_hot(ids, depths[0], np_dt(on), np_dt(off)),
                 dense, A.expand_dims(xf, 1), gather_ops.one_hot(ids32, depths[1], np_dt(on), np_dt(off)),
                 tf.cast(A.expand_dims(x64, -1), out_dtype), gather_ops.one_hot(ids, depths[1], np_dt(on), np_dt(off))]
        out = concat_ops.concat(parts, axis=-1)
        feeds = feeds_of(x32, x64, xf, ids, ids32, dense)
        if fed_axis is not None:
            feeds[out.op.inputs[-1]] = np.int32(fed_axis)
        if fed_depth is not None:
            feeds[parts[1].op.inputs[1]] = np.int32(fed_depth)
        with tf.Session() as sess:
            try:
                result = sess.run(out, feeds)
            except tf.errors.InvalidArgumentError as e:
                return type(e), str(e).split("\n")[0]
            steps = [st[5].type for st in next(iter(sess._cache.values())).steps]
            return result, steps


def _layer_feeds(n, np_dt=np.float32, id_rows=None, dense_dtype=None):
    def feeds(x32, x64, xf, ids, ids32, dense):  # the same values at every call
        rng = np.random.default_rng(n)
        return {x32: rng.integers(-2**31, 2**31 - 1, n).astype(np.int32),
                x64: np.array([0.1, -0.0, np.nan, 1e300, -np.inf, 3.5, 2.0**-1070][:n] + [7.25] * max(0, n - 7)),
                xf: rng.normal(size=n).astype(np_dt), ids: rng.integers(-2, 6, id_rows or n),
                ids32: rng.integers(-1, 4, n).astype(np.int32),
                dense: rng.normal(size=(n, 2)).astype(dense_dtype or np_dt)}

    return feeds


@pytest.mark.parametrize("n", [0, 1, 5, 40])
@pytest.mark.parametrize("out_dtype", [tf.float32, tf.float64])
def test_input_layer_join_is_one_step_with_the_unfused_bits(n, out_dtype, monkeypatch):
    """Numeric columns cast on the way in and indicators written as booleans give the ops' very values."""
    def general_path(*_, **__):
        raise AssertionError("the direct path covers this join")

    with monkeypatch.context() as m:
        m.setattr(concat_ops, "_concat_kernel", general_path)
        fused, steps = _input_layer(True, monkeypatch, _layer_feeds(n, out_dtype.as_numpy_dtype), out_dtype)
    unfused, unfused_steps = _input_layer(False, monkeypatch, _layer_feeds(n, out_dtype.as_numpy_dtype), out_dtype)
    assert steps == ["ConcatV2"] and "OneHot" in unfused_steps and "Cast" in unfused_steps
    assert fused.dtype == unfused.dtype and fused.shape == unfused.shape == (n, 1 + 4 + 2 + 1 + 3 + 1 + 3)
    assert fused.strides == unfused.strides and fused.tobytes() == unfused.tobytes()


@pytest.mark.parametrize("case", ["on_2", "off_minus_zero", "depth_0", "rows", "dense_rows", "fed_axis", "fed_depth"])
def test_input_layer_join_off_the_direct_path_runs_the_ops_kernels(case, monkeypatch):
    """Other on/off values and depths take the ops' own kernels in the step; mismatched rows fail as
    ConcatV2 fails."""
    kwargs = {"on_2": {"on": 2.0}, "off_minus_zero": {"off": -0.0}, "depth_0": {"depths": (0, 3)},
              "fed_axis": {"fed_axis": 0}, "fed_depth": {"fed_depth": 6}}.get(case, {})
    feeds = _layer_feeds(6, id_rows=4 if case == "rows" else None)
    if case == "dense_rows":
        base = feeds

        def feeds(x32, x64, xf, ids, ids32, dense):
            got = base(x32, x64, xf, ids, ids32, dense)
            got[dense] = np.ones((3, 2), np.float32)
            return got
    fused = _input_layer(True, monkeypatch, feeds, **kwargs)
    unfused = _input_layer(False, monkeypatch, feeds, **kwargs)
    if case in ("rows", "dense_rows", "fed_axis"):  # a fed axis of 0 joins pieces of other widths: refused
        assert fused[0] is tf.errors.InvalidArgumentError and fused[1] == unfused[1]
        assert "ConcatOp : Dimensions of inputs should match" in fused[1]
    else:
        assert fused[1] == ["ConcatV2"] or case == "fed_depth"
        assert fused[0].shape == unfused[0].shape and fused[0].tobytes() == unfused[0].tobytes()


# ---- the plan's fusion of an outer shape restored (array_ops._fuse_outer_shape_restored) ----------------------
def _restored(dense_shape, value, fusion, monkeypatch):
    from estflow.core import plan  # the switch this test turns

    monkeypatch.setattr(plan, "FUSION", fusion)
    with tf.Graph().as_default():
        shape = tf.placeholder(tf.int64)
        x = tf.placeholder(tf.float32)
        outer = tf.slice(tf.cast(shape, tf.int32), [0], tf.reshape(tf.constant(2) - 1, [1]))
        out = tf.reshape(x, tf.concat([outer, tf.shape(x)[1:]], 0))
        with tf.Session() as sess:
            try:
                result = sess.run(out, {shape: dense_shape, x: value})
            except tf.errors.InvalidArgumentError as e:
                return type(e), str(e).split("\n")[0]
            steps = [st[5].type for st in next(iter(sess._cache.values())).steps]
            return result, steps


def test_restoring_an_outer_shape_is_one_step_with_the_same_values_and_errors(monkeypatch):
    value = np.arange(12, dtype=np.float32).reshape(4, 3)
    fused, fused_steps = _restored(np.array([4, 7]), value, True, monkeypatch)
    plain, plain_steps = _restored(np.array([4, 7]), value, False, monkeypatch)
    assert fused.tobytes() == plain.tobytes() and fused.shape == plain.shape == (4, 3)
    assert fused_steps == ["Reshape"] and "ConcatV2" in plain_steps
    # Shapes that do not fit, or that Slice refuses: the unfused kernels' errors.
    for dense_shape, bad in ((np.array([5, 7]), value), (np.array([[4, 7]]), value), (np.int64(4), value)):
        fused = _restored(dense_shape, bad, True, monkeypatch)
        plain = _restored(dense_shape, bad, False, monkeypatch)
        assert fused[0] is tf.errors.InvalidArgumentError and fused == plain


@pytest.mark.parametrize("op_type,fn", [("ZerosLike", np.zeros_like), ("OnesLike", np.ones_like)])
def test_zeros_and_ones_like_kernels_keep_numpys_values_and_layout(op_type, fn):
    from estflow.core.registry import get_op_def  # noqa: PLC0415 - the kernels under test

    kernel = get_op_def(op_type).kernel
    for x in (np.ones((3, 4), np.float32), np.asfortranarray(np.ones((3, 4))), np.ones((4, 6), np.int64)[::2, ::3],
              np.array(2.0), np.array([b"a", b"b"], object), np.array([1 + 2j]), np.ones((2, 2), bool)):
        got, want = kernel(np, x), fn(x)
        assert got.dtype == want.dtype and got.strides == want.strides and got.tolist() == want.tolist()
