"""Sparse ops: SparseToDense, SparseReorder, SparseReshape, SparseFillEmptyRows and sparse_retain.

Each op type is one `register(OpDef(...))` block with TF's op name and attrs. A SparseTensor
enters an op as its three tensors (indices, values, dense_shape); the public functions take
and return `SparseTensor`s, as TF1's `tf.sparse.*` functions do. The helpers the other
sparse op modules share live here too.

These ops reorganise indices: their output sizes depend on the data and they may carry
string values, so they run on the CPU (`cpu_only`), as most of TF's kernels for them do.
"""

from __future__ import annotations

import math

import numpy as np

from estflow.core import dtypes, errors
from estflow.core import indexed_slices as _indexed_slices  # noqa: F401 - registers IndexedSlices -> Tensor
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops import array_ops, reduction_ops
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.registry import Fusion, OpDef, TensorSpec, apply_op, register, run_pure_ops
from estflow.core.sparse_tensor import SparseTensor, convert_to_sparse_tensor
from estflow.core.tensor_shape import TensorShape


# ---- helpers ----------------------------------------------------------------------------
def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    """A shape as TF's TensorShape::DebugString writes it: [2,3]."""
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _host_ints(a) -> list[int]:
    """A small integer array (a dense shape) as Python ints; copies from the GPU."""
    if a.__class__ is np.ndarray and a.dtype.kind in "iu":  # the usual case: tolist gives Python ints
        return a.ravel().tolist()
    return [int(d) for d in a.reshape(-1).tolist()]


def _int64_prod(dims) -> int:
    """The product of a few ints as np.prod(dims, dtype=np.int64) gives it (wrapping past int64)."""
    n = math.prod(dims)
    return n if -_INT64_LIMIT <= n < _INT64_LIMIT else int(np.prod(dims, dtype=np.int64))


_INT64_LIMIT = 2 ** 63


def _rank(spec: TensorSpec, rank: int) -> None:
    n = spec.shape.ndims
    if n is not None and n != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {n}")


def _dim(spec: TensorSpec, i: int):
    return None if spec.shape.ndims is None else spec.shape.as_tuple()[i]


def _shape_from_shape_input(spec: TensorSpec) -> TensorShape:
    """The dense shape a 1-D shape input describes, as far as it is known at build time."""
    if spec.value is not None:
        return TensorShape([None if d < 0 else int(d) for d in np.asarray(spec.value).reshape(-1)])
    n = _dim(spec, 0) if spec.shape.ndims == 1 else None
    return TensorShape(None if n is None else [None] * n)


def _check_matrix(x, what: str, where: str = "") -> None:
    if x.ndim != 2:
        raise _invalid(f"Input {what} should be a matrix but received shape {_dims(x.shape)}{where}")


def _check_vector(x, what: str, where: str = "") -> None:
    if x.ndim != 1:
        raise _invalid(f"Input {what} should be a vector but received shape {_dims(x.shape)}{where}")


def _lexsort_rows(xp, indices):
    """The stable permutation putting index rows in row-major (lexicographic) order."""
    if indices.shape[0] == 0 or indices.shape[1] == 0:
        return xp.arange(indices.shape[0])
    return xp.lexsort(indices.T[::-1])


def validate_sparse_indices(xp, indices, shape) -> None:
    """TF's SparseTensor::IndicesValid: in bounds, sorted row-major, no repeats."""
    n = indices.shape[0]
    if n == 0:
        return
    if n <= 16 and type(indices) is np.ndarray and indices.shape[1] == len(shape):  # a request's few ids:
        rows, bounds = indices.tolist(), [int(d) for d in shape]  # Python's list order is TF's row-major one
        if all(0 <= d < b for row in rows for d, b in zip(row, bounds)) and all(
                a < b for a, b in zip(rows, rows[1:])):
            return
    out_of_bounds = ((indices < 0) | (indices >= xp.asarray(shape, dtype=indices.dtype))).any(axis=1)
    out_of_order = xp.zeros(n, dtype=bool)
    repeated = xp.zeros(n, dtype=bool)
    if n > 1 and indices.shape[1]:
        diff = indices[1:] - indices[:-1]
        nonzero = diff != 0
        first = nonzero.argmax(axis=1)
        first_diff = xp.take_along_axis(diff, first[:, None], axis=1)[:, 0]
        out_of_order[1:] = nonzero.any(axis=1) & (first_diff < 0)
        repeated[1:] = ~nonzero.any(axis=1)
    elif n > 1:
        repeated[1:] = True
    bad = out_of_bounds | out_of_order | repeated
    if not bool(bad.any()):
        return
    i = int(bad.argmax())
    index = f"indices[{i}] = {_dims(indices[i].tolist())}"
    if bool(out_of_bounds[i]):
        raise _invalid(f"{index} is out of bounds: need 0 <= index < {_dims(shape)}")
    if bool(out_of_order[i]):
        raise _invalid(f"{index} is out of order. Many sparse ops require sorted indices.\n"
                       "    Use `tf.sparse.reorder` to create a correctly ordered copy.\n\n")
    raise _invalid(f"{index} is repeated")


def dim_from_shape(shape_tensor: Tensor, index: int = 0) -> Tensor:
    """Element `index` of a 1-D shape tensor as a scalar: a constant when known at build time."""
    value = shape_tensor._const_value
    if value is not None:
        return constant(np.asarray(value).reshape(-1)[index], dtype=shape_tensor.dtype)
    return apply_op("GatherV2", shape_tensor, np.int32(index), np.int32(0), batch_dims=0)


def _dim0(x: Tensor) -> Tensor:
    """The size of `x`'s first dimension as an int32 scalar (a constant when static)."""
    n = x.shape.as_tuple()[0] if x.shape.ndims else None
    if n is not None:
        return constant(n, dtype=dtypes.int32)
    return dim_from_shape(array_ops.shape(x), 0)


def _sparse(sp: SparseTensor, indices, values, dense_shape) -> SparseTensor:
    """A result SparseTensor that keeps `sp`'s static dense shape."""
    result = SparseTensor(indices, values, dense_shape)
    result._set_static_shape(sp.shape)
    return result


# ---- SparseToDense ----------------------------------------------------------------------
def _sparse_to_dense_infer(indices, output_shape, values, default_value, *, validate_indices):
    if indices.shape.ndims is not None and indices.shape.ndims > 2:
        raise ValueError(f"Shape must be at most rank 2 but is rank {indices.shape.ndims}")
    _rank(default_value, 0)
    return TensorSpec(_shape_from_shape_input(output_shape), values.dtype)


def _sparse_to_dense_kernel(xp, indices, output_shape, values, default_value, validate_indices):
    if indices.ndim > 2:
        raise _invalid(f"sparse_indices should be a scalar, vector, or matrix, got shape {_dims(indices.shape)}")
    num_elems = indices.shape[0] if indices.ndim > 0 else 1
    num_dims = indices.shape[1] if indices.ndim > 1 else 1
    if output_shape.ndim > 1:
        raise _invalid(f"output_shape should be a vector, got shape {_dims(output_shape.shape)}")
    if output_shape.size != num_dims:
        raise _invalid(f"output_shape has incorrect number of elements: {output_shape.size} should be: {num_dims}")
    if not (values.ndim == 0 or (values.ndim == 1 and values.size == num_elems)):
        raise _invalid(f"sparse_values has incorrect shape {_dims(values.shape)}, should be [] or [{num_elems}]")
    if default_value.ndim != 0:
        raise _invalid("default_value should be a scalar.")
    shape = _host_ints(output_shape)
    for d in shape:
        if d < 0:
            raise _invalid(f"Dimension {d} must be >= 0")
    indices = indices.reshape(num_elems, num_dims).astype(xp.int64, copy=False)
    if validate_indices:
        validate_sparse_indices(xp, indices, shape)
    elif num_elems and bool(((indices < 0) | (indices >= xp.asarray(shape, dtype=xp.int64))).any()):
        raise _invalid(f"Indices are not valid (out of bounds).  Shape: {_dims(shape)}")
    out = xp.full(tuple(shape), default_value, dtype=default_value.dtype)
    if num_elems:
        out[tuple(indices.T)] = values
    return out


def _sparse_to_dense_grad(op, grad):
    """Values: the gradient at their positions; default: everything else (TF's _SparseToDenseGrad)."""
    indices = op.inputs[0]
    if indices.shape.ndims is not None and indices.shape.ndims < 2:  # 0-D / 1-D indices of a rank-1 output
        indices = array_ops.reshape(indices, [-1, 1])
    values_grad = apply_op("GatherNd", grad, indices, name="GatherNd")
    default_grad = reduction_ops.reduce_sum(grad) - reduction_ops.reduce_sum(values_grad)
    return None, None, values_grad, default_grad


register(OpDef(
    "SparseToDense",
    infer=_sparse_to_dense_infer,
    kernel=_sparse_to_dense_kernel,
    grad=_sparse_to_dense_grad,
    attrs={"validate_indices": True},
    same_dtype=(2, 3),
    cpu_only=True,
    input_names=("sparse_indices: Tindices", "output_shape: Tindices", "sparse_values: T", "default_value: T"),
    output_names=("dense: T",), attr_types={"validate_indices": "bool", "T": "type", "Tindices": "type"},
))


def sparse_to_dense(sparse_indices, output_shape, sparse_values, default_value=0, validate_indices=True, name=None):
    """A dense tensor with `sparse_values` at `sparse_indices`, as `tf.sparse_to_dense` (deprecated in TF1).

        tf.sparse_to_dense([[0, 1], [2, 0]], [3, 2], [5, 7])   # [[0, 5], [0, 0], [7, 0]]
    """
    sparse_indices = convert_to_tensor(sparse_indices)
    if not isinstance(output_shape, Tensor):
        output_shape = convert_to_tensor(output_shape, dtype=sparse_indices.dtype)
    return apply_op("SparseToDense", sparse_indices, output_shape, sparse_values, default_value,
                    name=name or "SparseToDense", validate_indices=validate_indices)


def _zero(dtype) -> Tensor:
    dtype = dtypes.as_dtype(dtype).base_dtype
    return constant(b"" if dtype == dtypes.string else np.zeros((), dtype.as_numpy_dtype), dtype=dtype)


def sparse_tensor_to_dense(sp_input, default_value=None, validate_indices=True, name=None):
    """`sp_input` as a dense tensor, absent entries set to `default_value` (zero / b""), as `tf.sparse.to_dense`.

    Raises InvalidArgumentError at run time when `validate_indices` and the indices are
    not sorted row-major or repeat; `tf.sparse.reorder` first if they may not be.
    """
    sp_input = convert_to_sparse_tensor(sp_input)
    if default_value is None:
        default_value = _zero(sp_input.dtype)
    out = apply_op("SparseToDense", sp_input.indices, sp_input.dense_shape, sp_input.values, default_value,
                   name=name or "SparseToDense", validate_indices=validate_indices)
    if out.shape.is_compatible_with(sp_input.shape):
        out.set_shape(sp_input.shape)  # what the SparseTensor knows beyond its dense_shape's value
    return out


# ---- SparseReorder ----------------------------------------------------------------------
def _sparse_reorder_infer(indices, values, shape):
    _rank(indices, 2)
    _rank(values, 1)
    _rank(shape, 1)
    return [TensorSpec(indices.shape, dtypes.int64), TensorSpec(values.shape, values.dtype)]


def _sparse_reorder_kernel(xp, indices, values, shape):
    _check_matrix(indices, "indices")
    _check_vector(values, "values")
    _check_vector(shape, "shape")
    order = _lexsort_rows(xp, indices)
    return indices[order], values[order]


def _sparse_reorder_grad(op, grad_indices, grad_values):
    """Route each output value's gradient back to the entry it came from."""
    if grad_values is None:
        return None, None, None
    indices, _, shape = op.inputs
    n = _dim0(indices)
    entries = apply_op("Range", np.int32(0), n, np.int32(1), name="Range")
    _, order = apply_op("SparseReorder", indices, entries, shape, name="SparseReorder")
    from estflow.core.ops.segment_ops import unsorted_segment_sum  # lazy: segment_ops imports this module

    # order[k] is the input entry now at position k: scatter the gradient back through it.
    return None, unsorted_segment_sum(grad_values, order, n), None


register(OpDef(
    "SparseReorder",
    infer=_sparse_reorder_infer,
    kernel=_sparse_reorder_kernel,
    grad=_sparse_reorder_grad,
    cpu_only=True,
    input_names=("input_indices: int64", "input_values: T", "input_shape: int64"),
    output_names=("output_indices: int64", "output_values: T"), attr_types={"T": "type"},
))


def sparse_reorder(sp_input, name=None) -> SparseTensor:
    """The same SparseTensor with its entries in row-major order, as `tf.sparse.reorder`."""
    sp_input = convert_to_sparse_tensor(sp_input)
    indices, values = apply_op("SparseReorder", sp_input.indices, sp_input.values, sp_input.dense_shape,
                               name=name or "SparseReorder")
    if sp_input.shape.is_fully_defined():
        dense_shape = sp_input.shape.as_list()
    else:
        dense_shape = array_ops.identity(sp_input.dense_shape)
    return _sparse(sp_input, indices, values, dense_shape)


# ---- SparseReshape ----------------------------------------------------------------------
def _sparse_reshape_infer(indices, shape, new_shape):
    _rank(indices, 2)
    _rank(shape, 1)
    _rank(new_shape, 1)
    rank = _dim(new_shape, 0)
    return [TensorSpec([_dim(indices, 0), rank], dtypes.int64), TensorSpec([rank], dtypes.int64)]


def _strides(shape: list[int]):
    """Row-major strides of a dense shape, in elements."""
    strides = np.ones(len(shape), dtype=np.int64)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    return strides


def _sparse_reshape_kernel(xp, indices, shape, new_shape):
    if indices.ndim != 2:
        raise _invalid(f"Input indices should be a matrix but received shape {_dims(indices.shape)}")
    if shape.ndim != 1:
        raise _invalid(f"Input shape should be a vector but received shape {_dims(shape.shape)}")
    if new_shape.ndim != 1:
        raise _invalid(f"Target shape should be a vector but received shape {_dims(new_shape.shape)}")
    in_shape = _host_ints(shape)
    dense_size = _int64_prod(in_shape)
    out_shape, product, unknown = [], 1, -1
    for d, size in enumerate(_host_ints(new_shape)):
        if size == -1:
            if unknown != -1:
                raise _invalid(f"only one output dimension may be -1, not both {unknown} and {d}")
            unknown = d
            out_shape.append(1)
        else:
            if size < 0:
                raise _invalid(f"size {d} must be non-negative, not {size}")
            product *= size
            out_shape.append(size)
    if unknown != -1:
        if product <= 0:
            raise _invalid("reshape cannot infer the missing input size for an empty tensor unless all "
                           "specified input sizes are non-zero")
        missing = dense_size // product
        if product * missing != dense_size:
            raise _invalid(f"Input to reshape is a SparseTensor with {dense_size} dense values, but the requested "
                           f"shape requires a multiple of {product}. input_shape={_dims(in_shape)} "
                           f"output_shape={_dims(out_shape)}")
        out_shape[unknown] = missing
    if _int64_prod(out_shape) != dense_size:
        raise _invalid(f"Input to reshape is a tensor with {dense_size} dense values, but the requested shape has "
                       f"{int(np.prod(out_shape, dtype=np.int64))}. input_shape={_dims(in_shape)} "
                       f"output_shape={_dims(out_shape)}")
    out_shape_array = xp.asarray(out_shape, dtype=xp.int64)
    if in_shape == out_shape:
        return indices, out_shape_array
    nnz = indices.shape[0]
    if nnz and (dense_size == 0 or product == 0):
        raise _invalid(f"Input tensor has {nnz} non zero elements but input shape ({_dims(in_shape)}) or output "
                       f"shape ({_dims(out_shape)}) is empty")
    linear = (indices.astype(xp.int64) * xp.asarray(_strides(in_shape))).sum(axis=1)
    out = (linear[:, None] // xp.asarray(_strides(out_shape))) % out_shape_array
    return out.astype(xp.int64, copy=False), out_shape_array


def _const_ints_of(t):
    """A Const-made integer tensor's values as a list of ints, else None."""
    value = t._op._attrs.get("value") if t._op._type == "Const" else None
    return None if value is None or value.dtype.kind not in "iu" else [int(v) for v in value.reshape(-1)]


def _new_shape_rule(new_shape, shape):
    """How a SparseReshape's `new_shape` is computed from its own `shape` by the feature-column code:
    (rule, the ops that compute it, in order, Consts included, the inner tensors), or None.

    "first": Pack(shape[0], c) (`sparse_reshape(sp, [dense_shape[0], -1])`); "outer": Pack(Prod(
    Slice(shape, [0], n)), Gather(shape, i)) (`safe_embedding_lookup_sparse`'s [batch, last])."""
    pack = new_shape._op
    if pack._type != "Pack" or len(pack._inputs) != 2 or pack._attrs.get("axis", 0) != 0:
        return None
    a, b = pack._inputs
    first, second = a._op, b._op
    inner = [new_shape, a]
    if first._type == "StridedSlice" and second._type == "Const" and first._inputs[0] is shape:
        if first._attrs.get("shrink_axis_mask") != 1:
            return None
        if [_const_ints_of(t) for t in first._inputs[1:]] != [[0], [1], [1]]:
            return None
        if any(first._attrs.get(k, 0) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask")):
            return None
        ops = [t._op for t in first._inputs[1:]] + [first, second, pack]
        rule = ("first", None)
    elif first._type == "Prod" and second._type == "GatherV2" and second._inputs[0] is shape:
        piece = first._inputs[0]
        sliced = piece._op
        if (sliced._type != "Slice" or sliced._inputs[0] is not shape or _const_ints_of(sliced._inputs[1]) != [0]
                or _const_ints_of(first._inputs[1]) not in ([0], [-1]) or first._attrs.get("keep_dims")):
            return None
        at, axis = _const_ints_of(second._inputs[1]), _const_ints_of(second._inputs[2])
        if at is None or len(at) != 1 or axis != [0] or second._attrs.get("batch_dims", 0) != 0:
            return None
        inner += [b, piece]
        ops = [second._inputs[1]._op, second._inputs[2]._op, second,  # the plan's order: the first error alike
               sliced._inputs[1]._op, sliced, first._inputs[1]._op, first, pack]
        rule = ("outer", at[0])
    else:
        return None
    if any(len(t._consumers) != 1 for t in inner) or any(o._control_inputs for o in ops):
        return None
    return rule, ops, inner


def _fuse_computed_new_shape(op):
    """SparseReshape whose new shape is computed from the input's shape (`_new_shape_rule`) as one step.

    Every sparse column of a linear model or an embedding reshapes its ids twice this way, both
    no-ops for 2-D ids: eight small kernels of shape arithmetic per column, per call of a served
    model. The step computes the new shape from the input's with numpy; other inputs (a shape not
    an int64 vector, a slice or index out of range) run the ops' own kernels, with their errors."""
    indices, shape, new_shape = op._inputs
    found = _new_shape_rule(new_shape, shape)
    if found is None:
        return None
    (rule, at), ops, inner = found
    size_t = ops[4]._inputs[2] if rule == "outer" else None  # Slice's size: a folded constant, usually

    def kernel(xp, ind, dims, *size):
        n = dims.shape[0] if type(dims) is np.ndarray and dims.ndim == 1 and dims.dtype == np.int64 else -1
        target = None
        if rule == "first" and n >= 1:
            target = np.array([dims[0], ops[-2]._attrs["value"]], dtype=np.int64)
        elif rule == "outer" and 0 <= at < n and type(size[0]) is np.ndarray and size[0].shape == (1,):
            k = int(size[0].reshape(-1)[0])
            if 0 <= k <= n or k == -1:
                target = np.array([np.prod(dims[:n if k == -1 else k], dtype=np.int64), dims[at]], dtype=np.int64)
        if target is None:
            feeds = {shape: dims} if size_t is None else {shape: dims, size_t: size[0]}
            target = run_pure_ops(xp, ops, feeds)
        return _sparse_reshape_kernel(xp, ind, dims, target)

    inputs = (indices, shape) if size_t is None else (indices, shape, size_t)
    return Fusion(inputs, kernel, tuple(inner))


register(OpDef(
    "SparseReshape",
    infer=_sparse_reshape_infer,
    kernel=_sparse_reshape_kernel,
    grad=None,  # index bookkeeping only: values pass through an Identity in sparse_reshape
    aliases_input=True,  # an unchanged shape returns the input indices
    cpu_only=True, fuse=_fuse_computed_new_shape,
    differentiable=False,
    input_names=("input_indices: int64", "input_shape: int64", "new_shape: int64"),
    output_names=("output_indices: int64", "output_shape: int64"),
))


def sparse_reshape(sp_input, shape, name=None) -> SparseTensor:
    """The same values in a SparseTensor of a new dense shape (one dim may be -1), as `tf.sparse.reshape`.

        tf.sparse.reshape(st, [-1, 6])   # [2, 3, 2] -> [2, 6]
    """
    sp_input = convert_to_sparse_tensor(sp_input)
    shape = convert_to_tensor(shape, dtype=dtypes.int64)
    with name_scope(name, "SparseReshape", [sp_input]) as scope:
        indices, dense_shape = apply_op("SparseReshape", sp_input.indices, sp_input.dense_shape, shape, name=scope)
        known = shape._const_value
        if known is not None and sp_input.shape.is_fully_defined():
            target = [int(d) for d in np.asarray(known).reshape(-1)]
            if sum(d == -1 for d in target) > 1:
                raise ValueError(f"At most one dimension can be inferred (-1). Found: {np.asarray(known)}")
            in_size = int(np.prod(sp_input.shape.as_list(), dtype=np.int64))
            resolved = list(target)
            if -1 in target:
                rest = int(np.prod([d for d in target if d != -1], dtype=np.int64))
                resolved[target.index(-1)] = in_size // rest if rest else 0
            out_size = int(np.prod(resolved, dtype=np.int64))
            if out_size != in_size:
                raise ValueError(f"Cannot reshape a tensor with {in_size} elements to shape {target} "
                                 f"({out_size} elements).")
            dense_shape = resolved
        return SparseTensor(indices, array_ops.identity(sp_input.values), dense_shape)


# ---- SparseFillEmptyRows ----------------------------------------------------------------
def _fill_empty_rows_infer(indices, values, dense_shape, default_value):
    _rank(indices, 2)
    _rank(values, 1)
    _rank(dense_shape, 1)
    _rank(default_value, 0)
    rows = None
    if dense_shape.value is not None and np.asarray(dense_shape.value).size:
        rows = int(np.asarray(dense_shape.value).reshape(-1)[0])
    return [TensorSpec([None, _dim(indices, 1)], dtypes.int64), TensorSpec([None], values.dtype),
            TensorSpec([rows], dtypes.bool), TensorSpec([_dim(indices, 0)], dtypes.int64)]


def _fill_empty_rows_kernel(xp, indices, values, dense_shape, default_value):
    if dense_shape.ndim != 1:
        raise _invalid(f"dense_shape must be a vector, saw: {_dims(dense_shape.shape)}")
    if indices.ndim != 2:
        raise _invalid(f"indices must be a matrix, saw: {_dims(indices.shape)}")
    if values.ndim != 1:
        raise _invalid(f"values must be a vector, saw: {_dims(values.shape)}")
    if indices.shape[0] != values.shape[0]:
        raise _invalid(f"The length of `values` ({values.shape[0]}) must match the first dimension of `indices` "
                       f"({indices.shape[0]}).")
    if default_value.ndim != 0:
        raise _invalid(f"default_value must be a scalar, saw: {_dims(default_value.shape)}")
    if dense_shape.size == 0:
        raise _invalid("Dense shape cannot be empty.")
    n, rank = indices.shape
    dense_rows = _host_ints(dense_shape)[0]
    if dense_rows == 0:
        if n:
            raise _invalid(f"Received SparseTensor with dense_shape[0] = 0 but indices.shape[0] = {n}")
        return (xp.zeros((0, rank), dtype=xp.int64), values[:0], xp.zeros(0, dtype=bool),
                xp.zeros(0, dtype=xp.int64))
    rows = indices[:, 0]
    bad = (rows < 0) | (rows >= dense_rows)
    if bool(bad.any()):
        i = int(bad.argmax())
        raise _invalid(f"indices({i}, 0) is invalid: {int(rows[i])} >= {dense_rows}")
    counts = xp.bincount(rows, minlength=dense_rows)
    empty = counts == 0
    ordered = n < 2 or bool((rows[1:] >= rows[:-1]).all())
    if ordered and not bool(empty.any()):
        return indices, values, empty, xp.arange(n, dtype=xp.int64)
    filled = xp.maximum(counts, 1)
    starts = xp.cumsum(filled) - filled  # where each row begins in the output
    by_row = xp.argsort(rows, kind="stable")  # a row keeps its entries' input order
    sorted_rows = rows[by_row]
    position_in_row = xp.arange(n) - (xp.cumsum(counts) - counts)[sorted_rows]
    reverse_index_map = xp.empty(n, dtype=xp.int64)
    reverse_index_map[by_row] = starts[sorted_rows] + position_in_row
    n_full = int(filled.sum())
    out_indices = xp.zeros((n_full, rank), dtype=xp.int64)
    out_indices[reverse_index_map] = indices
    out_values = xp.full(n_full, default_value, dtype=values.dtype)
    out_values[reverse_index_map] = values
    empty_rows = xp.nonzero(empty)[0]
    out_indices[starts[empty_rows], 0] = empty_rows
    return out_indices, out_values, empty, reverse_index_map


def _fill_empty_rows_grad(op, grad_indices, grad_values, grad_empty, grad_reverse):
    if grad_values is None:
        return None, None, None, None
    d_values, d_default_value = apply_op("SparseFillEmptyRowsGrad", op.outputs[3], grad_values,
                                         name="SparseFillEmptyRowsGrad")
    return None, d_values, None, d_default_value


register(OpDef(
    "SparseFillEmptyRows",
    infer=_fill_empty_rows_infer,
    kernel=_fill_empty_rows_kernel,
    grad=_fill_empty_rows_grad,
    same_dtype=(1, 3),
    aliases_input=True,  # with no empty row and rows in order, the inputs come back
    cpu_only=True,
    input_names=("indices: int64", "values: T", "dense_shape: int64", "default_value: T"),
    output_names=("output_indices: int64", "output_values: T", "empty_row_indicator: bool", "reverse_index_map: int64"),
    attr_types={"T": "type"},
))


def _fill_empty_rows_grad_infer(reverse_index_map, grad_values):
    _rank(reverse_index_map, 1)
    _rank(grad_values, 1)
    return [TensorSpec(reverse_index_map.shape, grad_values.dtype), TensorSpec([], grad_values.dtype)]


def _fill_empty_rows_grad_kernel(xp, reverse_index_map, grad_values):
    if reverse_index_map.ndim != 1:
        raise _invalid(f"reverse_index_map must be a vector, saw: {_dims(reverse_index_map.shape)}")
    if grad_values.ndim != 1:
        raise _invalid(f"grad_values must be a vector, saw: {_dims(grad_values.shape)}")
    n_full = grad_values.shape[0]
    bad = (reverse_index_map < 0) | (reverse_index_map >= n_full)
    if bool(bad.any()):
        i = int(bad.argmax())
        raise _invalid(f"Elements in reverse index must be in [0, {n_full}) but got {int(reverse_index_map[i])}")
    visited = xp.zeros(n_full, dtype=bool)
    visited[reverse_index_map] = True
    d_default = grad_values[~visited].sum(dtype=grad_values.dtype)
    return grad_values[reverse_index_map], xp.asarray(d_default, dtype=grad_values.dtype)


register(OpDef(
    "SparseFillEmptyRowsGrad",
    infer=_fill_empty_rows_grad_infer,
    kernel=_fill_empty_rows_grad_kernel,
    grad=None,
    cpu_only=True,
    differentiable=False,
    input_names=("reverse_index_map: int64", "grad_values: T"), output_names=("d_values: T", "d_default_value: T"),
    attr_types={"T": "type"},
))


def sparse_fill_empty_rows(sp_input, default_value, name=None):
    """Give every empty row of a 2-D+ SparseTensor one entry `[row, 0, ...] = default_value`.

    Returns `(filled SparseTensor, empty_row_indicator)`, as `tf.sparse.fill_empty_rows`;
    the filled tensor is row-major ordered by row, each row keeping its input order.
    """
    sp_input = convert_to_sparse_tensor(sp_input)
    with name_scope(name, "SparseFillEmptyRows", [sp_input]):
        default_value = convert_to_tensor(default_value, dtype=sp_input.dtype)
        indices, values, empty_row_indicator, _ = apply_op(
            "SparseFillEmptyRows", sp_input.indices, sp_input.values, sp_input.dense_shape, default_value,
            name="SparseFillEmptyRows")
        return _sparse(sp_input, indices, values, sp_input.dense_shape), empty_row_indicator


# ---- sparse_retain (composed, as TF builds it) --------------------------------------------
def sparse_retain(sp_input, to_retain) -> SparseTensor:
    """The entries of `sp_input` where the bool vector `to_retain` is True, as `tf.sparse.retain`."""
    sp_input = convert_to_sparse_tensor(sp_input)
    to_retain = convert_to_tensor(to_retain)
    retain_shape = to_retain.shape
    retain_shape.assert_has_rank(1)
    if sp_input.values.shape.ndims is not None:
        sp_input.values.shape.dims[0].assert_is_compatible_with(retain_shape[0] if retain_shape.ndims else None)
    where_true = array_ops.reshape(apply_op("Where", to_retain, name="Where"), [-1])
    new_indices = apply_op("GatherV2", sp_input.indices, where_true, np.int32(0), batch_dims=0, name="GatherV2")
    new_values = apply_op("GatherV2", sp_input.values, where_true, np.int32(0), batch_dims=0, name="GatherV2")
    return _sparse(sp_input, new_indices, new_values, array_ops.identity(sp_input.dense_shape))
