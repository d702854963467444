"""Array ops: Identity and its variants, Shape/Size/Rank, Reshape, ExpandDims/Squeeze.

The helpers the other array op modules share live here too: reading shape-like inputs at
build time, dtype and rank checks, host copies of small integer arrays.

Each op type is one `register(OpDef(...))` block: TF's op name and attrs, shape inference
over `TensorSpec`s, one kernel over the array module `xp`, and a gradient built from
estflow ops. The public functions below each block follow TF1's signatures and default
node names (`tf.reshape` -> `Reshape`, `tf.expand_dims` -> `ExpandDims`).

numpy is imported for build-time work only (folding shape-like values in `infer`); kernels
use the `xp` they are given.
"""

from __future__ import annotations

import builtins
import numbers

import numpy as np

from estflow.core import dtypes, errors, row_rules
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import constant, convert_to_tensor
from estflow.core.ops.embedding_fusion import fuse_embedding_lookup_reshaped
from estflow.core.registry import REQUIRED, Fusion, OpDef, TensorSpec, apply_op, infer_same, register
from estflow.core.tensor_shape import Dimension, TensorShape


# ---- helpers ----------------------------------------------------------------------------
def _const_list(spec: TensorSpec):
    """A shape-like input's value as a list of Python ints, or None when not known."""
    if spec.value is None:
        return None
    return [int(v) for v in np.asarray(spec.value).reshape(-1)]


def _const_int(spec: TensorSpec):
    if spec.value is None:
        return None
    return int(np.asarray(spec.value).reshape(()))


def _shape_str(dims) -> str:
    if dims is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _host_ints(a) -> list[int]:
    """A small integer array (shape, axes, sizes) as Python ints; copies from the GPU."""
    if a.__class__ is np.ndarray and a.dtype.kind in "iu":  # the usual case: tolist gives Python ints
        return a.ravel().tolist()
    if hasattr(a, "reshape"):
        a = a.reshape(-1)
    v = a.tolist() if hasattr(a, "tolist") else a
    if not isinstance(v, (list, tuple)):
        return [int(v)]
    return [int(d) for d in v]


def _host_int(a) -> int:
    return int(a.item()) if hasattr(a, "item") else int(a)


_INDEX_TYPES = (dtypes.int32, dtypes.int64)


def _check_int(spec: TensorSpec, param: str, allowed=_INDEX_TYPES) -> None:
    if spec.dtype not in allowed:
        raise TypeError(f"Value passed to parameter '{param}' has DataType {spec.dtype.name} not in list of "
                        f"allowed values: {', '.join(d.name for d in allowed)}")


def _rank_error(rank, actual) -> ValueError:
    return ValueError(f"Shape must be rank {rank} but is rank {actual}")


def _check_rank(spec: TensorSpec, rank: int) -> None:
    n = spec.shape.ndims
    if n is not None and n != rank:
        raise _rank_error(rank, n)


def _shape_from_shape_input(spec: TensorSpec) -> TensorShape:
    """The shape described by a 1-D shape input (Fill's dims, BroadcastTo's shape, ...)."""
    value = _const_list(spec)
    if value is not None:
        return TensorShape([None if v < 0 else v for v in value])
    n = spec.shape.ndims
    if n == 1 and spec.shape.as_tuple()[0] is not None:
        rank = spec.shape.as_tuple()[0]
        if rank > 254:  # TF's limit on a shape's rank (a shape read from a file may claim anything)
            raise ValueError(f"Shape must have at most 254 dimensions, but the shape argument has {rank} elements")
        return TensorShape([None] * rank)
    return TensorShape(None)


def _reduce_sum(x, axis, keep_dims=False):
    return apply_op("Sum", x, axis, keep_dims=keep_dims, name="Sum")


def _cast(x, dtype):
    return cast(x, dtype)


def _ints(values, dtype=dtypes.int32):
    return convert_to_tensor(values, dtype=dtype)


def _to_tensor(x, dtype=None, name=None):
    return convert_to_tensor(x, dtype=dtype, name=name)


def _fmt(dims) -> str:
    return _shape_str(dims)


def _const_int_tensor(t: Tensor):
    v = t._const_value
    if v is None:
        return None
    return int(np.asarray(v).reshape(()))


# ---- Identity ---------------------------------------------------------------------------
def _identity_grad(op, grad):
    return (grad,)


register(OpDef("Identity", infer=infer_same, kernel=lambda xp, x: x, grad=_identity_grad, aliases_input=True,
               passes_input=True,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


def identity(input, name=None):  # noqa: A002 - TF's argument name
    """The same value as `input`, as a new graph node (`tf.identity`)."""
    return apply_op("Identity", input, name=name or "Identity")


# ---- StopGradient, PreventGradient, CheckNumerics, Snapshot, IdentityN -------------------------------------
register(OpDef("StopGradient", infer=infer_same, kernel=lambda xp, x: x, grad=None, differentiable=False,
               aliases_input=True, passes_input=True,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


def stop_gradient(input, name=None):  # noqa: A002 - TF's argument name
    """`input`, with no gradient flowing through it, as `tf.stop_gradient`."""
    return apply_op("StopGradient", input, name=name or "StopGradient")


def _prevent_gradient_grad(op, grad):
    raise LookupError(f"Gradient explicitly disabled. Reason: {op.get_attr('message')}")


register(OpDef("PreventGradient", infer=lambda x, message: TensorSpec(x.shape, x.dtype),
               kernel=lambda xp, x, message: x, grad=_prevent_gradient_grad, attrs={"message": ""},
               aliases_input=True,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type", "message": "string"},
               row_wise=row_rules.elementwise))


def prevent_gradient(input, message="", name=None):  # noqa: A002 - TF's argument name
    """`input`; asking for its gradient raises LookupError naming `message`."""
    return apply_op("PreventGradient", input, name=name or "PreventGradient", message=message)


def _check_numerics_kernel(xp, x, message):
    bad_nan = bool(xp.isnan(x).any())
    bad_inf = bool(xp.isinf(x).any())
    if bad_nan or bad_inf:
        what = "Inf and NaN" if bad_nan and bad_inf else "NaN" if bad_nan else "Inf"
        raise _invalid(f"{message} : Tensor had {what} values")
    return x


def _infer_check_numerics(x, *, message):
    if not (x.dtype.is_floating or x.dtype.is_complex):
        raise TypeError(f"Value passed to parameter 'tensor' has DataType {x.dtype.name} not in list of allowed "
                        f"values: bfloat16, float16, float32, float64")
    return TensorSpec(x.shape, x.dtype)


register(OpDef(
    "CheckNumerics", infer=_infer_check_numerics, kernel=_check_numerics_kernel, aliases_input=True,
    grad=lambda op, g: (check_numerics(g, "Not a number (NaN) or infinity (Inf) values detected in gradient. "
                                          + op.get_attr("message")),),
    attrs={"message": REQUIRED},
    stateful=True,  # as TF: never folded away, so its check always runs
    input_names=("tensor: T",), output_names=("output: T",), attr_types={"T": "type", "message": "string"},
    row_wise=row_rules.elementwise,
))


def check_numerics(tensor, message, name=None):
    """`tensor`, raising InvalidArgumentError at run time if it holds NaN or Inf (`tf.check_numerics`)."""
    return apply_op("CheckNumerics", tensor, name=name or "CheckNumerics", message=message)


register(OpDef("Snapshot", infer=infer_same, kernel=lambda xp, x: x.copy(), grad=_identity_grad,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


def snapshot(input, name=None):  # noqa: A002 - TF's argument name
    """A copy of `input`'s current value."""
    return apply_op("Snapshot", input, name=name or "Snapshot")


register(OpDef("IdentityN", infer=lambda *xs: [TensorSpec(x.shape, x.dtype) for x in xs],
               kernel=lambda xp, *xs: tuple(xs), grad=lambda op, *gs: list(gs), aliases_input=True,
               input_names=("input: T",), output_names=("output: T",), attr_types={"T": "list(type) >= 1"}))


def identity_n(input, name=None):  # noqa: A002 - TF's argument name
    """Each of a list of tensors, passed through one node, as `tf.identity_n`."""
    out = apply_op("IdentityN", *input, name=name or "IdentityN")
    return out if isinstance(out, list) else [out]


# ---- Shape, Size, Rank ------------------------------------------------------------------
def _infer_shape(x, *, out_type):
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorSpec([None], out_type)
    value = None
    if None not in dims:
        value = np.array(dims, dtype=out_type.as_numpy_dtype)
    return TensorSpec([len(dims)], out_type, value)


def _shape_kernel(xp, x, out_type):
    return xp.asarray(x.shape, dtype=out_type.as_numpy_dtype)


register(OpDef(
    "Shape", infer=_infer_shape, kernel=_shape_kernel, grad=None, differentiable=False,
    attrs={"out_type": dtypes.int32},
    input_names=("input: T",), output_names=("output: out_type",), attr_types={"T": "type", "out_type": "type"},
))


def _shape_internal(op_type, input, name, static, out_type=None):  # noqa: A002 - TF's argument name
    """TF1's shape/size/rank: a constant when the static shape answers, else the op."""
    with name_scope(name, op_type, [input] if isinstance(input, Tensor) else None) as scope:
        dense_shape = getattr(input, "dense_shape", None)
        if dense_shape is not None and not isinstance(input, Tensor):  # SparseTensor
            dense_shape = _to_tensor(dense_shape)
            if op_type == "Shape":
                return _cast(dense_shape, out_type)
            if op_type == "Size":
                return apply_op("Prod", _cast(dense_shape, out_type), _ints(0), keep_dims=False, name=scope)
            return size(dense_shape, name=scope)
        x = _to_tensor(input)
        value = static(x.shape)
        if value is not None:
            return constant(value, dtype=out_type or dtypes.int32, name=scope)
        attrs = {} if out_type is None else {"out_type": out_type}
        return apply_op(op_type, x, name=scope, **attrs)


def shape(input, name=None, out_type=dtypes.int32, optimize=True):  # noqa: A002 - TF's argument name
    """The shape of `input` as a 1-D tensor, as `tf.shape` (a constant when fully known, as TF1)."""
    return _shape_internal("Shape", input, name, lambda s: s.as_list() if optimize and s.is_fully_defined()
                           else None, dtypes.as_dtype(out_type))


def shape_n(input, out_type=dtypes.int32, name=None):  # noqa: A002 - TF's argument name
    """The shapes of a list of tensors (`tf.shape_n`), built as one `ShapeN` op."""
    return apply_op("ShapeN", *input, name=name or "ShapeN", N=len(input), out_type=dtypes.as_dtype(out_type))


register(OpDef(
    "ShapeN",
    infer=lambda *xs, N, out_type: [_infer_shape(x, out_type=out_type) for x in xs],
    kernel=lambda xp, *xs, N, out_type: tuple(_shape_kernel(xp, x, out_type) for x in xs),
    grad=None, differentiable=False, attrs={"N": REQUIRED, "out_type": dtypes.int32},
    input_names=("input: N * T",), output_names=("output: N * out_type",),
    attr_types={"N": "int >= 1", "T": "type", "out_type": "type"},
))


def _infer_size(x, *, out_type):
    n = x.shape.num_elements()
    return TensorSpec([], out_type, None if n is None else np.array(n, dtype=out_type.as_numpy_dtype))


register(OpDef(
    "Size", infer=_infer_size,
    kernel=lambda xp, x, out_type: xp.asarray(x.size, dtype=out_type.as_numpy_dtype),
    grad=None, differentiable=False, attrs={"out_type": dtypes.int32},
    input_names=("input: T",), output_names=("output: out_type",), attr_types={"T": "type", "out_type": "type"},
))


def _static_size(s: TensorShape):
    if s.is_fully_defined():
        return s.num_elements()
    if s.ndims and 0 in s.as_tuple():
        return 0
    return None


def size(input, name=None, out_type=dtypes.int32, optimize=True):  # noqa: A002 - TF's argument name
    """The number of elements of `input`, as `tf.size` (a constant when statically known, as TF1)."""
    return _shape_internal("Size", input, name, _static_size if optimize else lambda s: None,
                           dtypes.as_dtype(out_type))


def _infer_rank(x):
    n = x.shape.ndims
    return TensorSpec([], dtypes.int32, None if n is None else np.array(n, dtype=np.int32))


register(OpDef(
    "Rank", infer=_infer_rank, kernel=lambda xp, x: xp.asarray(x.ndim, dtype="int32"),
    grad=None, differentiable=False,
    input_names=("input: T",), output_names=("output: int32",), attr_types={"T": "type"},
))


def rank(input, name=None, optimize=True):  # noqa: A002 - TF's argument name
    """The number of dimensions of `input`, as `tf.rank` (a constant when statically known, as TF1)."""
    return _shape_internal("Rank", input, name, lambda s: s.ndims if optimize else None)


# ---- Reshape ----------------------------------------------------------------------------
def _infer_reshape(x, shape_spec):
    _check_int(shape_spec, "shape")
    _check_rank(shape_spec, 1)
    target = _const_list(shape_spec)
    if target is None:
        n = shape_spec.shape.as_tuple()[0] if shape_spec.shape.ndims == 1 else None
        return TensorSpec(TensorShape(None) if n is None else [None] * n, x.dtype)
    unknown = [i for i, d in enumerate(target) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"Cannot infer multiple unknown dimensions in shape {_shape_str(target)}")
    for d in target:
        if d < -1:
            raise ValueError(f"Size {target.index(d)} must be non-negative, not {d}")
    known = 1
    for d in target:
        if d != -1:
            known *= d
    n_in = x.shape.num_elements()
    out = [None if d == -1 else d for d in target]
    if n_in is not None:
        if unknown:
            if known == 0:
                if n_in != 0:
                    raise ValueError(f"Cannot reshape a tensor with {n_in} elements to shape "
                                     f"{_shape_str(out)} (0 elements)")
            elif n_in % known != 0:
                raise ValueError(f"Cannot reshape a tensor with {n_in} elements to shape "
                                 f"{_shape_str(out)} ({known} elements)")
            else:
                out[unknown[0]] = n_in // known
        elif n_in != known:
            raise ValueError(f"Cannot reshape a tensor with {n_in} elements to shape "
                             f"{_shape_str(out)} ({known} elements)")
    return TensorSpec(out, x.dtype)


def _reshape_kernel(xp, x, shape):
    target = _host_ints(shape)
    known = 1
    n_unknown = 0
    for d in target:
        if d == -1:
            n_unknown += 1
        else:
            known *= d
    if n_unknown > 1:
        first = target.index(-1)
        second = target.index(-1, first + 1)
        raise _invalid(f"Only one input size may be -1, not both {first} and {second}")
    if n_unknown:
        if known == 0 or x.size % known:
            raise _invalid(f"Input to reshape is a tensor with {x.size} values, but the requested shape "
                           f"requires a multiple of {known}")
    elif x.size != known:
        raise _invalid(f"Input to reshape is a tensor with {x.size} values, but the requested shape has {known}")
    if x.__class__ is np.ndarray:
        return x.reshape(target)  # np.reshape's own result, without its dispatch (a third of this kernel's cost)
    return xp.reshape(x, target)


def _reshape_grad(op, grad):
    return reshape(grad, shape(op.inputs[0])), None


def _bcast_reduction_axes(s0: list[int], s1: list[int]):
    """TF's BCast: for each input, the output axes its gradient is summed over."""
    n = max(len(s0), len(s1))
    p0 = [1] * (n - len(s0)) + list(s0)
    p1 = [1] * (n - len(s1)) + list(s1)
    r0, r1 = [], []
    for i, (a, b) in enumerate(zip(p0, p1, strict=False)):
        if a != b and a != 1 and b != 1:
            return None
        if a == 1:
            r0.append(i)
        if b == 1:
            r1.append(i)
    return r0, r1



def _only_controls(ops, allowed) -> bool:
    return all(c in allowed for o in ops for c in o._control_inputs)


def _fuse_reshape(op):
    """Reshape's compile-time fusions: a gradient summed back to a shape, or an outer shape restored
    (with the whole `safe_embedding_lookup_sparse` before it where that can be one step)."""
    fused = _fuse_reduce_to_shape(op)
    if fused is not None:
        return fused
    restored = _fuse_outer_shape_restored(op)
    if restored is None:
        return None
    from estflow.core.ops.sparse_ops import _new_shape_rule  # sparse_ops imports this module

    return fuse_embedding_lookup_reshaped(op, restored, _new_shape_rule) or restored


def _const_ints(t):
    """A Const-made integer tensor's values as a list, else None."""
    value = t._op._attrs.get("value") if t._op._type == "Const" else None
    return None if value is None or value.dtype.kind not in "iu" else [int(v) for v in value.reshape(-1)]


def _fuse_outer_shape_restored(op):
    """Reshape(x, ConcatV2([Slice(Cast(shape), [0], n), Shape(x)[1:]], 0)) as one step.

    `safe_embedding_lookup_sparse` gives its [batch, dim] result the ids' outer dimensions
    back this way, on every sparse column of a served model: six kernels, of which the step
    runs the Cast and the Slice and reads x's trailing dims without a Shape op. Offered only
    when nothing else reads the chain's tensors and none of its ops has a control input.
    """
    x, target = op._inputs
    concat = target._op
    if concat._type != "ConcatV2" or len(concat._inputs) != 3 or _const_ints(concat._inputs[2]) != [0]:
        return None
    outer, tail = concat._inputs[:2]
    slice_op, stride = outer._op, tail._op
    if slice_op._type != "Slice" or stride._type != "StridedSlice" or _const_ints(slice_op._inputs[1]) != [0]:
        return None
    cast_t, shape = slice_op._inputs[0], stride._inputs[0]
    if cast_t._op._type != "Cast" or shape._op._type != "Shape" or shape._op._inputs[0] is not x:
        return None
    if [_const_ints(t) for t in stride._inputs[1:]] != [[1], [0], [1]] or stride._attrs.get("end_mask") != 1:
        return None
    if any(stride._attrs.get(k, 0) for k in ("begin_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")):
        return None
    if shape._dtype != cast_t._dtype or cast_t._dtype not in (dtypes.int32, dtypes.int64):
        return None
    chain = (concat, slice_op, stride, cast_t._op, shape._op)
    inner = (target, outer, tail, cast_t, shape)
    if any(len(t._consumers) != 1 for t in inner) or any(o._control_inputs for o in chain):
        return None
    cast_op = cast_t._op
    cast_kernel, cast_attrs = cast_op._op_def.kernel, cast_op._attrs
    slice_kernel, slice_attrs = slice_op._op_def.kernel, slice_op._attrs

    def kernel(xp, value, dense_shape, begin, size):
        # A 1-D slice (Slice checks `begin`, of length 1, against its input's rank), so ConcatV2 accepts it;
        # Shape(x)[1:] is x's trailing dims: the target as ConcatV2 would give it, as Reshape reads it.
        head = slice_kernel(xp, cast_kernel(xp, dense_shape, **cast_attrs), begin, size, **slice_attrs)
        return _reshape_kernel(xp, value, _host_ints(head) + list(value.shape[1:]))

    return Fusion((x, cast_op._inputs[0], slice_op._inputs[1], slice_op._inputs[2]), kernel, inner)


def _fuse_reduce_to_shape(op):
    """Reshape(Sum(g, BroadcastGradientArgs(Shape(a), Shape(b))[k]), Shape(a or b)) as one step.

    This is how a gradient is summed back to an input's shape when shapes are not fully
    known (TF's pattern, which autodiff emits): five kernels, of which the plan runs one.
    """
    summed, target = op._inputs
    sum_op = summed._op
    if sum_op._type != "Sum" or sum_op._attrs.get("keep_dims") or len(summed._consumers) != 1:
        return None
    grad, reduction = sum_op._inputs
    bcast = reduction._op
    if bcast._type != "BroadcastGradientArgs":
        return None
    k = reduction._value_index
    shape_ops = [t._op for t in bcast._inputs]
    if bcast._inputs[k] is not target or any(o._type != "Shape" for o in shape_ops):
        return None
    if not _only_controls([sum_op, bcast, *shape_ops], set(op._control_inputs)):
        return None
    cache: dict = {}

    def kernel(xp, g, a, b):
        if g.shape == a.shape == b.shape:  # nothing was broadcast: the usual case, at once
            return g
        key = (g.shape, a.shape, b.shape)
        found = cache.get(key)
        if found is None:
            axes = _bcast_reduction_axes(list(a.shape), list(b.shape))
            if axes is None:
                raise _invalid(f"Incompatible shapes: {_shape_str(a.shape)} vs. {_shape_str(b.shape)}")
            axes = tuple(axes[k])
            if all(i < g.ndim for i in axes):  # summing over a dim of size 1 only drops it: Reshape restores it
                axes = tuple(i for i in axes if g.shape[i] != 1)
            if len(cache) > 64:  # a few batch sizes recur; never grow without bound
                cache.clear()
            found = cache[key] = (axes, key[k + 1])
        axes, shape = found
        out = xp.sum(g, axis=axes, dtype=g.dtype) if axes else g
        return out if out.shape == shape else xp.reshape(out, shape)

    a, b = (o._inputs[0] for o in shape_ops)
    skipped = (summed, *bcast._outputs, *bcast._inputs)
    # Autodiff sums `grad` against its own shape (b is grad): two inputs take the plan's faster call.
    if b is grad:
        def against_grad(xp, g, x):
            return g if g.shape == x.shape else kernel(xp, g, x, g)

        return Fusion((grad, a), against_grad, skipped)
    if a is grad:
        def grad_against(xp, g, y):
            return g if g.shape == y.shape else kernel(xp, g, g, y)

        return Fusion((grad, b), grad_against, skipped)
    return Fusion((grad, a, b), kernel, skipped)


register(OpDef(
    "Reshape", infer=_infer_reshape, kernel=_reshape_kernel, grad=_reshape_grad,
    aliases_input=True, fuse=_fuse_reshape,
    input_names=("tensor: T", "shape: Tshape"), output_names=("output: T",),
    attr_types={"T": "type", "Tshape": "type = int32"},
))


def reshape(tensor, shape, name=None):
    """`tensor` with its elements laid out in `shape` (one entry may be -1), as `tf.reshape`."""
    shape_t = _shape_arg(shape)
    return _refine(apply_op("Reshape", tensor, shape_t, name=name or "Reshape"), shape_t)


def _refine(out: Tensor, shape_t) -> Tensor:
    """Narrow `out`'s static shape by what the shape tensor's graph tells (TF's partial evaluation)."""
    if isinstance(shape_t, Tensor) and shape_t._const_value is None and shape_t.shape.ndims == 1:
        partial = constant_value_as_shape(shape_t)
        if out.shape.is_compatible_with(partial):
            out._shape = out.shape.merge_with(partial)
    return out


def _static_scalar_dim(t: Tensor):
    """A scalar int tensor's value when the graph pins it down (a constant, or shape(x)[i] of known dim)."""
    v = t._const_value
    if v is not None:
        v = int(np.asarray(v).reshape(()))
        return None if v < 0 else v
    op = t.op
    if op.type == "StridedSlice" and op.get_attr("shrink_axis_mask") == 1 and op.inputs[0].op.type == "Shape":
        b = op.inputs[1]._const_value
        dims = op.inputs[0].op.inputs[0].shape.as_tuple()
        if b is not None and dims is not None and op.get_attr("ellipsis_mask") == op.get_attr("new_axis_mask") == 0:
            i = int(np.asarray(b).reshape(-1)[0])
            if -len(dims) <= i < len(dims):
                return dims[i]
    if op.type in ("Cast", "Identity"):
        return _static_scalar_dim(op.inputs[0])
    return None


def constant_value_as_shape(tensor: Tensor) -> TensorShape:
    """The (partial) shape a 1-D shape tensor describes, as `tensor_util.constant_value_as_shape`."""
    v = tensor._const_value
    if v is not None:
        return TensorShape([None if d < 0 else int(d) for d in np.asarray(v).reshape(-1)])
    op = tensor.op
    if op.type == "Shape":
        return op.inputs[0].shape
    if op.type == "Pack":
        return TensorShape([_static_scalar_dim(x) for x in op.inputs])
    if op.type == "ConcatV2":
        out = TensorShape([])
        for x in op.inputs[:-1]:
            out = out.concatenate(constant_value_as_shape(x))
        return out
    if op.type in ("Cast", "Identity"):
        return constant_value_as_shape(op.inputs[0])
    if op.type == "StridedSlice" and not any(op.get_attr(k) for k in ("ellipsis_mask", "new_axis_mask",
                                                                       "shrink_axis_mask")):
        prev = constant_value_as_shape(op.inputs[0]).as_tuple()
        b, e, st = (_const_list(TensorSpec(t.shape, t.dtype, t._const_value)) for t in op.inputs[1:])
        if prev is not None and b is not None and e is not None and st is not None and len(b) == 1:
            start = None if op.get_attr("begin_mask") & 1 else b[0]
            stop = None if op.get_attr("end_mask") & 1 else e[0]
            return TensorShape(prev[builtins.slice(start, stop, st[0])])
    n = tensor.shape.as_tuple()[0] if tensor.shape.ndims == 1 else None
    return TensorShape(None if n is None else [None] * n)


def _shape_arg(shape, dtype=None):
    """A shape argument (list, TensorShape, tensor) as a 1-D integer tensor or Python value."""
    if isinstance(shape, Tensor):
        return shape
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"Cannot convert a partially known TensorShape to a Tensor: {shape}")
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and _contains_tensor(shape):
        from estflow.core.ops.concat_ops import stack  # lazy: concat_ops imports this module

        return stack([d if isinstance(d, Tensor) else _ints(d) for d in shape])
    if isinstance(shape, (list, tuple)):
        if any(d is None for d in shape):
            raise ValueError("None values not supported.")
        for d in shape:
            if isinstance(d, Dimension) and d.value is None:
                raise ValueError(f"Cannot convert an unknown Dimension to a Tensor: {d}")
        shape = [int(d) for d in shape]
        if any(d > 2**31 - 1 for d in shape):
            return _ints(shape, dtypes.int64)
        return _ints(shape, dtype or dtypes.int32)
    return shape


def _contains_tensor(v) -> bool:
    if isinstance(v, Tensor):
        return True
    return isinstance(v, (list, tuple)) and any(_contains_tensor(x) for x in v)


# ---- ExpandDims, Squeeze -------------------------------------------------------------------------
def _infer_expand_dims(x, axis):
    _check_int(axis, "dim")
    a = _const_list(axis)
    if a is not None and len(a) != 1:
        raise ValueError("'dim' input must be a tensor with a single value")
    n = x.shape.ndims
    if n is None:
        return TensorSpec(None, x.dtype)
    if a is None:
        return TensorSpec([None] * (n + 1), x.dtype)
    d = a[0]
    if not -n - 1 <= d <= n:
        raise ValueError(f"Tried to expand dim index {d} for tensor with {n} dimensions.")
    if d < 0:
        d += n + 1
    dims = list(x.shape.as_tuple())
    return TensorSpec(dims[:d] + [1] + dims[d:], x.dtype)


def _expand_dims_kernel(xp, x, axis):
    a = _host_ints(axis)
    if len(a) != 1:
        raise _invalid("'dim' must be a tensor with a single value")
    d = a[0]
    if not -x.ndim - 1 <= d <= x.ndim:
        raise _invalid(f"Tried to expand dim index {d} for tensor with {x.ndim} dimensions.")
    d = d if d >= 0 else x.ndim + 1 + d
    return x.reshape(x.shape[:d] + (1,) + x.shape[d:])  # a view, as xp.expand_dims gives, without its checks


def expander(dim):
    """ExpandDims' kernel for one constant `dim` (a fusion's): `fn(xp, x)`, converting `dim` once."""
    dim = np.asarray(dim)
    i = int(dim.reshape(-1)[0]) if dim.size == 1 else None

    def expand(xp, x):
        if i is not None and -x.ndim - 1 <= i <= x.ndim:
            d = i if i >= 0 else x.ndim + 1 + i
            return x.reshape(x.shape[:d] + (1,) + x.shape[d:])
        return _expand_dims_kernel(xp, x, dim)  # its errors

    return expand


register(OpDef("ExpandDims", infer=_infer_expand_dims, kernel=_expand_dims_kernel, aliases_input=True,
               grad=lambda op, g: (reshape(g, shape(op.inputs[0])), None),
               input_names=("input: T", "dim: Tdim"), output_names=("output: T",),
               attr_types={"T": "type", "Tdim": "type = int32"},
               row_wise=row_rules.reduction))


def expand_dims(input, axis=None, name=None, dim=None):  # noqa: A002 - TF's argument name
    """`input` with a new size-1 dimension at `axis`, as `tf.expand_dims`."""
    if dim is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'dim'.")
        axis = dim
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    return apply_op("ExpandDims", input, axis, name=name or "ExpandDims")


def _squeeze_axes(dims, squeeze_dims):
    """The axes Squeeze removes, or raise ValueError; `dims` may hold None."""
    n = len(dims)
    wanted = set()
    for d in squeeze_dims:
        if not -n <= d < n:
            raise ValueError(f"Tried to squeeze dim index {d} for tensor with {n} dimensions.")
        wanted.add(d % n)
    out = []
    for i, d in enumerate(dims):
        if wanted:
            if i in wanted:
                if d is not None and d != 1:
                    raise ValueError(f"Can not squeeze dim[{i}], expected a dimension of 1, got {d}")
                continue
        elif d == 1:
            continue
        out.append(i)
    return out


def _infer_squeeze(x, *, squeeze_dims):
    dims = x.shape.as_tuple()
    if dims is None:
        return TensorSpec(None, x.dtype)
    if not squeeze_dims and None in dims:
        return TensorSpec(None, x.dtype)
    keep = _squeeze_axes(dims, list(squeeze_dims))
    return TensorSpec([dims[i] for i in keep], x.dtype)


def _squeeze_kernel(xp, x, squeeze_dims):
    if len(squeeze_dims) == 1:  # one named axis of size 1 (the usual case): drop it at once
        d = squeeze_dims[0]
        if -x.ndim <= d < x.ndim and x.shape[d] == 1:
            d %= x.ndim
            return x.reshape(x.shape[:d] + x.shape[d + 1:])
    try:
        keep = _squeeze_axes(x.shape, list(squeeze_dims))
    except ValueError as e:
        raise _invalid(str(e)) from None
    return xp.reshape(x, [x.shape[i] for i in keep])


register(OpDef("Squeeze", infer=_infer_squeeze, kernel=_squeeze_kernel, aliases_input=True,
               grad=lambda op, g: (reshape(g, shape(op.inputs[0])),), attrs={"squeeze_dims": []},
               input_names=("input: T",), output_names=("output: T",),
               attr_types={"T": "type", "squeeze_dims": "list(int) >= 0"},
               row_wise=row_rules.squeeze))


def squeeze(input, axis=None, name=None, squeeze_dims=None):  # noqa: A002 - TF's argument name
    """`input` without size-1 dimensions (only those in `axis` when given), as `tf.squeeze`."""
    if squeeze_dims is not None:
        if axis is not None:
            raise ValueError("Cannot specify both 'axis' and 'squeeze_dims'.")
        axis = squeeze_dims
    if axis is None:
        axis = []
    elif isinstance(axis, numbers.Integral):
        axis = [int(axis)]
    return apply_op("Squeeze", input, name=name or "Squeeze", squeeze_dims=[int(a) for a in axis])
