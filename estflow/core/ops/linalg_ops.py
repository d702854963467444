"""Linear algebra ops: QR decomposition and tensor diagonals (`tf.qr`, `tf.diag`, `tf.diag_part`)."""

from __future__ import annotations

from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


# ---- Qr ---------------------------------------------------------------------------------------
def _infer_qr(x, *, full_matrices):
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not in list of allowed "
                        f"values: float16, float32, float64, complex64, complex128")
    dims = x.shape.as_tuple()
    if dims is None:
        return [TensorSpec(TensorShape(None), x.dtype), TensorSpec(TensorShape(None), x.dtype)]
    if len(dims) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(dims)}")
    *batch, m, n = dims
    if full_matrices:
        q, r = [m, m], [m, n]
    else:
        k = None if m is None or n is None else min(m, n)
        q, r = [m, k], [k, n]
    return [TensorSpec(batch + q, x.dtype), TensorSpec(batch + r, x.dtype)]


def _qr_kernel(xp, x, full_matrices):
    q, r = xp.linalg.qr(x, mode="complete" if full_matrices else "reduced")
    return q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)


# NOTE: TF differentiates Qr (for full_matrices=False, M >= N); estflow only uses it to build
# orthogonal initial values, so its gradient is not provided yet.
register(OpDef("Qr", infer=_infer_qr, kernel=_qr_kernel, grad=None, attrs={"full_matrices": False},
               differentiable=False,
               input_names=("input: T",), output_names=("q: T", "r: T"),
               attr_types={"full_matrices": "bool", "T": "type"}))


def qr(input, full_matrices=False, name=None):  # noqa: A002 - TF's argument name
    """The QR decomposition of the inner-most matrices of `input`, as `tf.qr`: returns `(q, r)`.

        q, r = tf.qr(a)   # a == q @ r, q orthonormal, r upper triangular
    """
    q, r = apply_op("Qr", input, name=name or "Qr", full_matrices=bool(full_matrices))
    return q, r


# ---- Diag / DiagPart ------------------------------------------------------------------------
def _infer_diag(x):
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorSpec(TensorShape(None), x.dtype)
    if not dims:
        raise ValueError("Shape must be at least rank 1 but is rank 0")
    return TensorSpec(list(dims) * 2, x.dtype)


def _diag_kernel(xp, x):
    n = x.size
    out = xp.zeros((n, n), dtype=x.dtype)
    index = xp.arange(n)
    out[index, index] = x.reshape(-1)
    return out.reshape(x.shape + x.shape)


def _infer_diag_part(x):
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorSpec(TensorShape(None), x.dtype)
    if not dims or len(dims) % 2:
        raise ValueError(f"Input must have even and non-zero rank, input rank is {len(dims)}")
    half = len(dims) // 2
    out = []
    for a, b in zip(dims[:half], dims[half:], strict=True):
        if a is not None and b is not None and a != b:
            raise ValueError(f"Dimensions must be equal, but are {a} and {b}")
        out.append(a if a is not None else b)
    return TensorSpec(out, x.dtype)


def _diag_part_kernel(xp, x):
    half = x.shape[: x.ndim // 2]
    n = 1
    for d in half:
        n *= d
    return xp.diagonal(x.reshape(n, n)).reshape(half).copy()


register(OpDef("Diag", infer=_infer_diag, kernel=_diag_kernel, grad=lambda op, grad: (diag_part(grad),),
               input_names=("diagonal: T",), output_names=("output: T",), attr_types={"T": "type"}))
register(OpDef("DiagPart", infer=_infer_diag_part, kernel=_diag_part_kernel, grad=lambda op, grad: (diag(grad),),
               input_names=("input: T",), output_names=("diagonal: T",), attr_types={"T": "type"}))


def diag(diagonal, name=None):
    """A tensor with `diagonal` on its diagonal and zeros elsewhere, as `tf.diag` (rank k -> 2k)."""
    return apply_op("Diag", diagonal, name=name or "Diag")


def diag_part(input, name=None):  # noqa: A002 - TF's argument name
    """The diagonal of a `[D1..Dk, D1..Dk]` tensor, as `tf.diag_part`."""
    return apply_op("DiagPart", input, name=name or "DiagPart")
