"""Ops that carry a hint for TF's runtime and compute a plain result: SparseMatMul, GuaranteeConst.

`SparseMatMul` is a float32 matrix product whose `a_is_sparse`/`b_is_sparse` attrs let TF
pick a kernel for inputs with many zeros; the product is the same either way, so estflow
keeps the attrs (graphs round-trip) and multiplies densely. `GuaranteeConst` promises TF's
optimizers that its input is constant for the graph's lifetime; the value passes through.
"""

from __future__ import annotations

from estflow.core import dtypes
from estflow.core.graph import Tensor
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.matmul_ops import matmul
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_SPARSE_MATMUL_TYPES = tuple(d for d in (dtypes.float32, getattr(dtypes, "bfloat16", None)) if d is not None)


# ---- SparseMatMul ------------------------------------------------------------------------------------
def _infer_sparse_matmul(a, b, *, transpose_a, transpose_b, a_is_sparse, b_is_sparse):
    for spec, arg in ((a, "a"), (b, "b")):
        if spec.dtype not in _SPARSE_MATMUL_TYPES:
            raise TypeError(f"Value passed to parameter '{arg}' has DataType {spec.dtype.name} not in list of allowed "
                            f"values: {', '.join(d.name for d in _SPARSE_MATMUL_TYPES)}")
        if spec.shape.ndims not in (None, 2):
            raise ValueError(f"Shape must be rank 2 but is rank {spec.shape.ndims}")
    a_dims = a.shape.as_tuple() or (None, None)
    b_dims = b.shape.as_tuple() or (None, None)
    rows, inner_a = (a_dims[1], a_dims[0]) if transpose_a else a_dims
    inner_b, cols = (b_dims[1], b_dims[0]) if transpose_b else b_dims
    if inner_a is not None and inner_b is not None and inner_a != inner_b:
        raise ValueError(f"Dimensions must be equal, but are {inner_a} and {inner_b}")
    return TensorSpec(TensorShape([rows, cols]), dtypes.float32)


def _sparse_matmul_kernel(xp, a, b, transpose_a, transpose_b, a_is_sparse, b_is_sparse):
    a = a.astype(xp.float32, copy=False)
    b = b.astype(xp.float32, copy=False)
    return xp.matmul(a.T if transpose_a else a, b.T if transpose_b else b)


def _sparse_matmul_grad(op, grad):
    """TF's rule (math_grad.py `_SparseMatMulGrad`): each gradient a product with the other input,
    cast back to that input's dtype."""
    a, b = op.inputs
    t_a, t_b = op.get_attr("transpose_a"), op.get_attr("transpose_b")
    f32 = dtypes.float32
    a32, b32 = cast(a, f32), cast(b, f32)
    if not t_a and not t_b:
        grad_a, grad_b = matmul(grad, b32, transpose_b=True), matmul(a32, grad, transpose_a=True)
    elif not t_a:
        grad_a, grad_b = matmul(grad, b32), matmul(grad, a32, transpose_a=True)
    elif not t_b:
        grad_a, grad_b = matmul(b32, grad, transpose_b=True), matmul(a32, grad)
    else:
        grad_a, grad_b = (matmul(b32, grad, transpose_a=True, transpose_b=True),
                          matmul(grad, a32, transpose_a=True, transpose_b=True))
    return (grad_a if a.dtype == f32 else cast(grad_a, a.dtype)), (grad_b if b.dtype == f32 else cast(grad_b, b.dtype))


register(OpDef("SparseMatMul", infer=_infer_sparse_matmul, kernel=_sparse_matmul_kernel, grad=_sparse_matmul_grad,
               attrs={"transpose_a": False, "transpose_b": False, "a_is_sparse": False, "b_is_sparse": False},
               broadcasts=False, input_names=("a: Ta", "b: Tb"), output_names=("product: float",),
               attr_types={"transpose_a": "bool", "transpose_b": "bool", "a_is_sparse": "bool", "b_is_sparse": "bool",
                           "Ta": "type = float32", "Tb": "type = float32"}))


def sparse_matmul(a, b, transpose_a=False, transpose_b=False, a_is_sparse=False, b_is_sparse=False, name=None):
    """The float32 product `a @ b` of two matrices, as `tf.sparse_matmul` (the sparsity flags are
    hints for TF's kernels; the product is the same).

        tf.sparse_matmul([[1.0, 0.0]], [[2.0], [3.0]], a_is_sparse=True)   # [[2.0]]
    """
    a = a if isinstance(a, Tensor) else convert_to_tensor(a, dtype=dtypes.float32, name="a")
    b = b if isinstance(b, Tensor) else convert_to_tensor(b, dtype=dtypes.float32, name="b")
    return apply_op("SparseMatMul", a, b, name=name or "SparseMatMul", transpose_a=bool(transpose_a),
                    transpose_b=bool(transpose_b), a_is_sparse=bool(a_is_sparse), b_is_sparse=bool(b_is_sparse))


# ---- GuaranteeConst ----------------------------------------------------------------------------------
register(OpDef("GuaranteeConst", infer=lambda input: TensorSpec(input.shape, input.dtype),
               kernel=lambda xp, input: input, stateful=True, aliases_input=True,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type"}))


def guarantee_const(input, name=None):  # noqa: A002 - TF's argument name
    """`input`, with the promise that its value never changes while the graph runs, as
    `tf.guarantee_const` (TF's graph optimizers may fold what depends on it)."""
    return apply_op("GuaranteeConst", convert_to_tensor(input), name=name or "GuaranteeConst")
