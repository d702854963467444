"""Sparse arithmetic: SparseAdd, SparseTensorDenseAdd, SparseTensorDenseMatMul.

The adds reorganise indices and run on the CPU (`cpu_only`); SparseTensorDenseMatMul runs
wherever its inputs live.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import manipulation_ops, reduction_ops, scatter_kernels
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.sparse_ops import _dim, _dims, _host_ints, _invalid, _rank, _shape_from_shape_input
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor, SparseTensorValue, convert_to_sparse_tensor


# ---- SparseAdd / SparseTensorDenseAdd ---------------------------------------------------
def _sparse_add_infer(a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    for s in (a_indices, b_indices):
        _rank(s, 2)
    for s in (a_values, b_values, a_shape, b_shape):
        _rank(s, 1)
    _rank(thresh, 0)
    rank = _dim(a_shape, 0) if _dim(a_shape, 0) is not None else _dim(b_shape, 0)
    return [TensorSpec([None, rank], dtypes.int64), TensorSpec([None], a_values.dtype),
            TensorSpec([rank], dtypes.int64)]


def _sparse_add_kernel(xp, a_indices, a_values, a_shape, b_indices, b_values, b_shape, thresh):
    if a_indices.ndim != 2 or b_indices.ndim != 2:
        raise _invalid(f"Input indices should be matrices but received shapes: {_dims(a_indices.shape)} and "
                       f"{_dims(b_indices.shape)}")
    if a_values.ndim != 1 or b_values.ndim != 1:
        raise _invalid(f"Input values should be vectors but received shapes: {_dims(a_values.shape)} and "
                       f"{_dims(b_values.shape)}")
    a_nnz, b_nnz = a_indices.shape[0], b_indices.shape[0]
    if a_values.shape[0] != a_nnz or b_values.shape[0] != b_nnz:
        raise _invalid(f"Expected {a_nnz} and {b_nnz} non-empty input values, got {a_values.shape[0]} and "
                       f"{b_values.shape[0]}")
    if a_shape.ndim != 1 or b_shape.ndim != 1:
        raise _invalid(f"Input shapes should be a vector but received shapes {_dims(a_shape.shape)} and "
                       f"{_dims(b_shape.shape)}")
    sa, sb = _host_ints(a_shape), _host_ints(b_shape)
    if len(sa) != len(sb):
        raise _invalid(f"Operands do not have the same ranks; got shapes: {sa} and {sb}")
    for i, (x, y) in enumerate(zip(sa, sb, strict=True)):
        if x != y:
            raise _invalid(f"Operands' shapes do not match: got {x} and {y} for dimension {i}")
    if thresh.ndim != 0:
        raise _invalid(f"The magnitude threshold must be a scalar: got shape {_dims(thresh.shape)}")
    # The inputs are taken to be in row-major order: merge them as TF's kernel does.
    a_rows, b_rows = a_indices.tolist(), b_indices.tolist()
    a_vals, b_vals = a_values.tolist(), b_values.tolist()
    limit = thresh.item()
    out_rows, out_vals = [], []
    i = j = 0
    while i < a_nnz and j < b_nnz:
        if a_rows[i] < b_rows[j]:
            out_rows.append(a_rows[i])
            out_vals.append(a_vals[i])
            i += 1
        elif a_rows[i] > b_rows[j]:
            out_rows.append(b_rows[j])
            out_vals.append(b_vals[j])
            j += 1
        else:
            s = a_vals[i] + b_vals[j]
            if limit <= abs(s):
                out_rows.append(a_rows[i])
                out_vals.append(s)
            i += 1
            j += 1
    out_rows += a_rows[i:] + b_rows[j:]
    out_vals += a_vals[i:] + b_vals[j:]
    indices = xp.asarray(out_rows, dtype=xp.int64).reshape(len(out_rows), len(sa))
    return indices, xp.asarray(out_vals, dtype=a_values.dtype), a_shape


def _sparse_add_grad(op, grad_indices, grad_values, grad_shape):
    if grad_values is None:
        return (None,) * 7
    a_grad, b_grad = apply_op("SparseAddGrad", grad_values, op.inputs[0], op.inputs[3], op.outputs[0],
                              name="SparseAddGrad")
    a_grad.set_shape(op.inputs[1].shape)
    b_grad.set_shape(op.inputs[4].shape)
    return None, a_grad, None, None, b_grad, None, None


register(OpDef(
    "SparseAdd",
    infer=_sparse_add_infer,
    kernel=_sparse_add_kernel,
    grad=_sparse_add_grad,
    same_dtype=(1, 4),
    aliases_input=True,  # the sum's dense shape is a_shape
    cpu_only=True,
    input_names=("a_indices: int64", "a_values: T", "a_shape: int64", "b_indices: int64", "b_values: T",
                 "b_shape: int64", "thresh: Treal"),
    output_names=("sum_indices: int64", "sum_values: T", "sum_shape: int64"),
    attr_types={"T": "type", "Treal": "type"},
))


def _sparse_add_grad_infer(grad, a_indices, b_indices, sum_indices):
    return [TensorSpec([_dim(a_indices, 0)], grad.dtype), TensorSpec([_dim(b_indices, 0)], grad.dtype)]


def _sparse_add_grad_kernel(xp, grad, a_indices, b_indices, sum_indices):
    a_rows, b_rows, s_rows = a_indices.tolist(), b_indices.tolist(), sum_indices.tolist()
    grads = grad.tolist()
    a_grad, b_grad = [0] * len(a_rows), [0] * len(b_rows)
    i = j = k = 0
    # Walk a, b and their sum together, as TF's SparseAddGrad kernel does.
    while k < len(s_rows) and (i < len(a_rows) or j < len(b_rows)):
        a_geq = b_geq = True
        if i < len(a_rows):
            if a_rows[i] == s_rows[k]:
                a_grad[i] = grads[k]
                i += 1
            elif a_rows[i] < s_rows[k]:
                i += 1
                a_geq = False
        if j < len(b_rows):
            if b_rows[j] == s_rows[k]:
                b_grad[j] = grads[k]
                j += 1
            elif b_rows[j] < s_rows[k]:
                j += 1
                b_geq = False
        if a_geq and b_geq:
            k += 1
    return xp.asarray(a_grad, dtype=grad.dtype), xp.asarray(b_grad, dtype=grad.dtype)


register(OpDef("SparseAddGrad", infer=_sparse_add_grad_infer, kernel=_sparse_add_grad_kernel, grad=None,
               cpu_only=True, differentiable=False,
               input_names=("backprop_val_grad: T", "a_indices: int64", "b_indices: int64", "sum_indices: int64"),
               output_names=("a_val_grad: T", "b_val_grad: T"), attr_types={"T": "type"}))


def _sparse_dense_add_infer(a_indices, a_values, a_shape, b):
    _rank(a_indices, 2)
    _rank(a_values, 1)
    _rank(a_shape, 1)
    return TensorSpec(b.shape, b.dtype)


def _sparse_dense_add_kernel(xp, a_indices, a_values, a_shape, b):
    if a_indices.ndim != 2:
        raise _invalid(f"Input a_indices should be a matrix but received shape: {_dims(a_indices.shape)}")
    if a_values.ndim != 1 or a_shape.ndim != 1:
        raise _invalid(f"Inputs a_values and a_shape should be vectors but received shapes: "
                       f"{_dims(a_values.shape)} and {_dims(a_shape.shape)}")
    nnz, ndims = a_indices.shape
    if a_values.shape[0] != nnz:
        raise _invalid(f"Dimensions {nnz} and {a_values.shape[0]} are not compatible")
    if a_shape.shape[0] != ndims:
        raise _invalid(f"Dimensions {ndims} and {a_shape.shape[0]} are not compatible")
    shape = _host_ints(a_shape)
    if len(shape) != b.ndim:
        raise _invalid(f"Two operands have different ranks; received: {len(shape)} and {b.ndim}")
    for i, (x, y) in enumerate(zip(shape, b.shape, strict=True)):
        if x != y:
            raise _invalid(f"Dimension {i} does not equal (no broadcasting is supported): sparse side {x} vs "
                           f"dense side {y}")
    bad = (a_indices < 0) | (a_indices >= xp.asarray(shape, dtype=a_indices.dtype))
    if bool(bad.any()):
        z, d = (int(v) for v in xp.argwhere(bad)[0].tolist())
        raise _invalid(f"Sparse tensor has an invalid index on dimension {d}: a_indices({z},{d}) = "
                       f"{int(a_indices[z, d])}, dense tensor shape: {shape}")
    out = b.copy()
    xp.add.at(out, tuple(a_indices.T), a_values)
    return out


def _sparse_dense_add_grad(op, grad):
    a_indices = op.inputs[0]
    return None, apply_op("GatherNd", grad, a_indices, name="GatherNd"), None, grad


register(OpDef(
    "SparseTensorDenseAdd",
    infer=_sparse_dense_add_infer,
    kernel=_sparse_dense_add_kernel,
    grad=_sparse_dense_add_grad,
    same_dtype=(1, 3),
    cpu_only=True,
    input_names=("a_indices: Tindices", "a_values: T", "a_shape: Tindices", "b: T"), output_names=("output: T",),
    attr_types={"T": "type", "Tindices": "type"},
))


def sparse_add(a, b, threshold=None, thresh=None, name=None):
    """`a + b` where at least one is a SparseTensor, as `tf.sparse.add` (`tf.sparse_add` in TF1).

    Two SparseTensors give a SparseTensor; entries summing to less than `threshold` in
    magnitude are dropped. A SparseTensor and a dense tensor give a dense tensor.
    """
    if threshold is None:
        threshold = 0 if thresh is None else thresh
    sparse_types = (SparseTensor, SparseTensorValue)
    if not any(isinstance(x, sparse_types) for x in (a, b)):
        raise TypeError("At least one input should be SparseTensor; do you mean to use tf.add()?")
    if all(isinstance(x, sparse_types) for x in (a, b)):
        a, b = convert_to_sparse_tensor(a), convert_to_sparse_tensor(b)
        threshold = convert_to_tensor(threshold, dtype=a.dtype.real_dtype, name="threshold")
        indices, values, dense_shape = apply_op(
            "SparseAdd", a.indices, a.values, a.dense_shape, b.indices, b.values, b.dense_shape, threshold,
            name=name or "SparseAdd")
        a.shape.assert_is_compatible_with(b.shape)
        static = a.shape.merge_with(b.shape)
        if static.is_fully_defined():
            return SparseTensor(indices, values, static.as_list())
        result = SparseTensor(indices, values, dense_shape)
        result._set_static_shape(static)
        return result
    if isinstance(b, sparse_types):
        a, b = b, a
    a = convert_to_sparse_tensor(a)
    return apply_op("SparseTensorDenseAdd", a.indices, a.values, a.dense_shape, b,
                    name=name or "SparseTensorDenseAdd")


# ---- SparseTensorDenseMatMul ------------------------------------------------------------
def _sparse_dense_matmul_infer(a_indices, a_values, a_shape, b, *, adjoint_a, adjoint_b):
    _rank(a_indices, 2)
    _rank(a_values, 1)
    _rank(a_shape, 1)
    _rank(b, 2)
    a_dims = _shape_from_shape_input(a_shape)
    if a_dims.ndims is not None and a_dims.ndims != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {a_dims.ndims}")
    a_rows, a_cols = (None, None) if a_dims.ndims is None else a_dims.as_list()
    if adjoint_a:
        a_rows, a_cols = a_cols, a_rows
    b_rows, b_cols = (None, None) if b.shape.ndims is None else b.shape.as_list()
    if adjoint_b:
        b_rows, b_cols = b_cols, b_rows
    if a_cols is not None and b_rows is not None and a_cols != b_rows:
        raise ValueError(f"Dimensions must be equal, but are {a_cols} and {b_rows}")
    return TensorSpec([a_rows, b_cols], b.dtype)


def _sparse_dense_matmul_kernel(xp, a_indices, a_values, a_shape, b, adjoint_a, adjoint_b):
    if b.ndim != 2:
        raise _invalid("Tensor 'b' is not a matrix")
    if a_shape.ndim != 1:
        raise _invalid("Tensor 'a_shape' is not a vector")
    if a_shape.size != 2:
        raise _invalid("Tensor 'a_shape' must have 2 elements")
    if a_values.ndim != 1:
        raise _invalid("Tensor 'a_values' is not a vector")
    if a_indices.ndim != 2:
        raise _invalid("Tensor 'a_indices' is not a matrix")
    nnz = a_indices.shape[0]
    if nnz != a_values.size:
        raise _invalid("Number of rows of a_indices does not match number of entries in a_values")
    if a_indices.shape[1] != a_shape.size:
        raise _invalid("Number of columns of a_indices does not match number of entries in a_shape")
    shape = _host_ints(a_shape)
    outer_left, inner_left = (shape[1], shape[0]) if adjoint_a else (shape[0], shape[1])
    rhs = b.T.conj() if adjoint_b else b
    inner_right = rhs.shape[0]
    if inner_left != inner_right:
        raise _invalid(f"Cannot multiply A and B because inner dimension does not match: {inner_left} vs. "
                       f"{inner_right}.  Did you forget a transpose?  Dimensions of A: [{shape[0]}, {shape[1]}).  "
                       f"Dimensions of B: {_dims(b.shape)}")
    lhs_column, rhs_column = (1, 0) if adjoint_a else (0, 1)
    m = a_indices[:, lhs_column]
    k = a_indices[:, rhs_column]
    bad_k = (k < 0) | (k >= inner_right)
    bad_m = (m < 0) | (m >= outer_left)
    bad = bad_k | bad_m
    if nnz and bool(bad.any()):
        i = int(bad.argmax())
        if bool(bad_k[i]):
            raise _invalid(f"k ({int(k[i])}) from index[{i},{rhs_column}] out of bounds (>={inner_right})")
        raise _invalid(f"m ({int(m[i])}) from index[{i},{lhs_column}] out of bounds (>={outer_left})")
    values = a_values.conj() if adjoint_a else a_values
    out = xp.zeros((outer_left, rhs.shape[1]), dtype=b.dtype)
    if nnz and out.size:
        scatter_kernels.scatter_add(xp, out, m, values[:, None] * rhs[k])
    return out


def _sparse_dense_matmul_grad(op, grad):
    """d/db: A^T @ grad (one more sparse product); d/d(values): <grad row, b row> per entry."""
    a_indices, a_values, a_shape, b = op.inputs
    adjoint_a, adjoint_b = op.get_attr("adjoint_a"), op.get_attr("adjoint_b")
    b_grad = apply_op("SparseTensorDenseMatMul", a_indices, a_values, a_shape, grad, adjoint_a=not adjoint_a,
                      adjoint_b=False, name="SparseTensorDenseMatMul")
    if adjoint_b:
        b_grad = manipulation_ops.matrix_transpose(b_grad)
    rows = apply_op("GatherV2", a_indices, np.int32(0), np.int32(1), batch_dims=0, name="GatherV2")
    cols = apply_op("GatherV2", a_indices, np.int32(1), np.int32(1), batch_dims=0, name="GatherV2")
    parts_a = apply_op("GatherV2", grad, cols if adjoint_a else rows, np.int32(0), batch_dims=0, name="GatherV2")
    rhs = manipulation_ops.matrix_transpose(b) if adjoint_b else b
    parts_b = apply_op("GatherV2", rhs, rows if adjoint_a else cols, np.int32(0), batch_dims=0, name="GatherV2")
    a_values_grad = reduction_ops.reduce_sum(parts_a * parts_b, axis=1)
    return None, a_values_grad, None, b_grad


register(OpDef(
    "SparseTensorDenseMatMul",
    infer=_sparse_dense_matmul_infer,
    kernel=_sparse_dense_matmul_kernel,
    grad=_sparse_dense_matmul_grad,
    attrs={"adjoint_a": False, "adjoint_b": False},
    same_dtype=(1, 3),
    input_names=("a_indices: Tindices", "a_values: T", "a_shape: int64", "b: T"), output_names=("product: T",),
    attr_types={"T": "type", "Tindices": "type = int64", "adjoint_a": "bool", "adjoint_b": "bool"},
))


def sparse_tensor_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """`sp_a @ b` for a 2-D SparseTensor and a dense matrix, as `tf.sparse_tensor_dense_matmul`.

        tf.sparse.sparse_dense_matmul(sp_ids_weights, embedding_matrix)
    """
    sp_a = convert_to_sparse_tensor(sp_a)
    with name_scope(name, "SparseTensorDenseMatMul", [sp_a.indices, sp_a.values, b]) as scope:
        b = convert_to_tensor(b, name="b")
        return apply_op("SparseTensorDenseMatMul", sp_a.indices, sp_a.values, sp_a.dense_shape, b, name=scope,
                        adjoint_a=adjoint_a, adjoint_b=adjoint_b)
