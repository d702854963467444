"""Matrix products: MatMul, BatchMatMul, BatchMatMulV2, `tf.matmul` and the `@` operator."""

from __future__ import annotations

import numpy as np

from estflow.core import errors as _errors
from estflow.core.ops.math_ops import (
    _MATMUL_TYPES,
    _broadcastable,
    _check_dtype,
    _convert_pair,
    _install_binary,
    _merge_shapes,
    _scope,
    _shape_str,
)
from estflow.core.ops.unary_ops import conj
from estflow.core.registry import OpDef, TensorSpec, apply_op, broadcast_shapes, register
from estflow.core.tensor_shape import TensorShape


# ================================================================================================
# MatMul, BatchMatMul, BatchMatMulV2
# ================================================================================================
def _matmul_infer(a, b, *, transpose_a, transpose_b):
    _check_dtype(a, _MATMUL_TYPES, "a")
    for s in (a, b):
        if s.shape.ndims is not None and s.shape.ndims != 2:
            raise ValueError(f"Shape must be rank 2 but is rank {s.shape.ndims}")
    da = a.shape.as_tuple() or (None, None)
    db = b.shape.as_tuple() or (None, None)
    m, k1 = (da[1], da[0]) if transpose_a else da
    k2, n = (db[1], db[0]) if transpose_b else db
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(f"Dimensions must be equal, but are {k1} and {k2}")
    return TensorSpec(TensorShape([m, n]), a.dtype)


def _matmul_kernel(xp, a, b, transpose_a, transpose_b):
    a2 = a.T if transpose_a else a
    b2 = b.T if transpose_b else b
    if a2.shape[1] != b2.shape[0]:
        raise _errors.InvalidArgumentError(
            None, None, f"Matrix size-incompatible: In[0]: {_shape_str(a.shape)}, In[1]: {_shape_str(b.shape)}")
    if a2.shape[1] == 1 and a2.shape[0] > 1 and b2.shape[1] > 1 and xp is np and a.dtype in _DOT_OUTER:
        # An outer product (a DNN's logits gradient [batch, 1] x [1, units]): np.dot gives matmul's very bits
        # here (one product per element, +0.0 for a zero product either way) at a fifth of its cost.
        # Where a side is a single row or column np.dot multiplies by a scalar instead, so -0.0 would differ.
        return np.dot(a2, b2)
    return xp.matmul(a2, b2)


_DOT_OUTER = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def _matmul_grad(op, grad):
    a, b = op.inputs
    ta, tb = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    a, b = conj(a), conj(b)

    def mm(x, y, tx, ty):
        return apply_op("MatMul", x, y, name="MatMul", transpose_a=tx, transpose_b=ty)

    if not ta and not tb:
        return mm(grad, b, False, True), mm(a, grad, True, False)
    if not ta and tb:
        return mm(grad, b, False, False), mm(grad, a, True, False)
    if ta and not tb:
        return mm(b, grad, False, True), mm(a, grad, False, False)
    return mm(b, grad, True, True), mm(grad, a, True, True)


register(OpDef("MatMul", infer=_matmul_infer, kernel=_matmul_kernel, grad=_matmul_grad,
               attrs={"transpose_a": False, "transpose_b": False}, same_dtype="all",
               broadcasts=False,
               input_names=("a: T", "b: T"), output_names=("product: T",),
               attr_types={"transpose_a": "bool", "transpose_b": "bool", "T": "type"}))


def _batch_matmul_infer(broadcast):
    def infer(x, y, *, adj_x, adj_y):
        _check_dtype(x, _MATMUL_TYPES, "x")
        for s in (x, y):
            if s.shape.ndims is not None and s.shape.ndims < 2:
                raise ValueError(f"Shape must be rank >= 2 but is rank {s.shape.ndims}")
        if x.shape.ndims is None or y.shape.ndims is None:
            return TensorSpec(TensorShape(None), x.dtype)
        dx, dy = x.shape.as_tuple(), y.shape.as_tuple()
        m, k1 = (dx[-1], dx[-2]) if adj_x else (dx[-2], dx[-1])
        k2, n = (dy[-1], dy[-2]) if adj_y else (dy[-2], dy[-1])
        if k1 is not None and k2 is not None and k1 != k2:
            raise ValueError(f"Dimensions must be equal, but are {k1} and {k2}")
        if broadcast:
            batch = broadcast_shapes(TensorShape(dx[:-2]), TensorShape(dy[:-2]))
        else:
            batch = _merge_shapes(TensorShape(dx[:-2]), TensorShape(dy[:-2]))
        return TensorSpec(batch.concatenate([m, n]), x.dtype)

    return infer


def _adjoint(xp, x):
    x = xp.swapaxes(x, -1, -2)
    return xp.conj(x) if x.dtype.kind == "c" else x


def _batch_matmul_kernel(xp, x, y, adj_x, adj_y):
    x2 = _adjoint(xp, x) if adj_x else x
    y2 = _adjoint(xp, y) if adj_y else y
    if x2.shape[-1] != y2.shape[-2]:
        raise _errors.InvalidArgumentError(
            None, None, f"In[0] mismatch In[1] shape: {x2.shape[-1]} vs. {y2.shape[-2]}: "
                        f"{_shape_str(x.shape)} {_shape_str(y.shape)} {int(adj_x)} {int(adj_y)}")
    if not _broadcastable(x.shape[:-2], y.shape[:-2]):
        raise _errors.InvalidArgumentError(
            None, None, f"In[0] and In[1] must have compatible batch dimensions: {_shape_str(x.shape)} vs. "
                        f"{_shape_str(y.shape)}")
    return xp.matmul(x2, y2)


def _batch_matmul_grad(op, grad):
    x, y = op.inputs
    adj_x, adj_y = op.get_attr("adj_x"), op.get_attr("adj_y")

    def mm(a, b, ta, tb):
        return apply_op("BatchMatMulV2", a, b, name="MatMul", adj_x=ta, adj_y=tb)

    if not adj_x:
        if not adj_y:
            return mm(grad, y, False, True), mm(x, grad, True, False)
        return mm(grad, y, False, False), mm(grad, x, True, False)
    if not adj_y:
        return mm(y, grad, False, True), mm(x, grad, False, False)
    return mm(y, grad, True, True), mm(grad, x, True, True)


for _name, _broadcast in (("BatchMatMul", False), ("BatchMatMulV2", True)):
    register(OpDef(_name, infer=_batch_matmul_infer(_broadcast), kernel=_batch_matmul_kernel, grad=_batch_matmul_grad,
                   attrs={"adj_x": False, "adj_y": False}, same_dtype="all",
                   input_names=("x: T", "y: T"), output_names=("output: T",),
                   attr_types={"T": "type", "adj_x": "bool", "adj_y": "bool"}))


# ---- public TF1 functions ----
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, name=None):
    """Matrix product `a @ b`, as `tf.matmul`; inputs of rank > 2 multiply batches of matrices.

    `transpose_*` and `adjoint_*` (transpose and conjugate) exclude each other per operand;
    batch dimensions broadcast (`BatchMatMulV2`). `a_is_sparse` / `b_is_sparse` are TF1's
    hints to pick a sparse algorithm for mostly-zero 2-D inputs; the product is the same, and
    estflow multiplies densely either way.
    """
    with _scope(name, "MatMul", [a, b]) as scope:
        if transpose_a and adjoint_a:
            raise ValueError("Only one of transpose_a and adjoint_a can be True.")
        if transpose_b and adjoint_b:
            raise ValueError("Only one of transpose_b and adjoint_b can be True.")
        a, b = _convert_pair(a, b, "a", "b")
        ra, rb = a.shape.ndims, b.shape.ndims
        if ra is None or rb is None or ra > 2 or rb > 2:
            if transpose_a:
                a, adjoint_a = conj(a), True
            if transpose_b:
                b, adjoint_b = conj(b), True
            return apply_op("BatchMatMulV2", a, b, name=scope, adj_x=adjoint_a, adj_y=adjoint_b)
        if adjoint_a:
            a, transpose_a = conj(a), True
        if adjoint_b:
            b, transpose_b = conj(b), True
        return apply_op("MatMul", a, b, name=scope, transpose_a=transpose_a, transpose_b=transpose_b)


# ---- Tensor operators ----
_install_binary(matmul, "matmul")
