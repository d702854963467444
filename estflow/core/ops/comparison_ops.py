"""Comparisons and logical ops, Select/SelectV2 (`tf.where`) and ClipByValue, with their Tensor operators."""

from __future__ import annotations

from estflow.core import dtypes, row_rules
from estflow.core import errors as _errors
from estflow.core.graph import Tensor
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.embedding_fusion import fuse_embedding_lookup
from estflow.core.ops.math_ops import (
    _BOOL,
    _REAL,
    _broadcastable,
    _check_dtype,
    _infer_binary,
    _install_binary,
    _merge_shapes,
    _plain,
    _scope,
    _shape_str,
    _zero,
)
from estflow.core.ops.unary_ops import logical_not
from estflow.core.registry import Fusion, OpDef, TensorSpec, apply_op, broadcast_shapes, register, run_pure_ops
from estflow.core.tensor_shape import TensorShape


# ---- comparisons and logical ops: bool results, not differentiable ----
def _infer_equal(x, y, *, incompatible_shape_error):
    try:
        shape = broadcast_shapes(x.shape, y.shape)
    except ValueError:
        if incompatible_shape_error:
            raise
        shape = TensorShape([])
    return TensorSpec(shape, dtypes.bool)


def _equality_kernel(fn_name, mismatch_value):
    def kernel(xp, x, y, incompatible_shape_error):
        xs, ys = getattr(x, "shape", ()), getattr(y, "shape", ())
        if not incompatible_shape_error and not _broadcastable(tuple(xs), tuple(ys)):
            return xp.asarray(mismatch_value)
        return xp.asarray(getattr(xp, fn_name)(x, y)).astype(bool, copy=False)

    return kernel


for _name, _fn, _mismatch in (("Equal", "equal", False), ("NotEqual", "not_equal", True)):
    register(OpDef(_name, infer=_infer_equal, kernel=_equality_kernel(_fn, _mismatch), grad=None,
                   attrs={"incompatible_shape_error": True}, same_dtype="all",
                   differentiable=False,
                   input_names=("x: T", "y: T"), output_names=("z: bool",),
                   attr_types={"T": "type", "incompatible_shape_error": "bool"}, row_wise=row_rules.elementwise))

for _name, _fn in (("Less", "less"), ("LessEqual", "less_equal"), ("Greater", "greater"),
                   ("GreaterEqual", "greater_equal")):
    register(OpDef(_name, infer=_infer_binary(_REAL, dtypes.bool), kernel=_plain(_fn), grad=None,
                   same_dtype="all", differentiable=False,
                   input_names=("x: T", "y: T"), output_names=("z: bool",), attr_types={"T": "type"},
                   row_wise=row_rules.elementwise))

for _name, _fn in (("LogicalAnd", "logical_and"), ("LogicalOr", "logical_or")):
    register(OpDef(_name, infer=_infer_binary(_BOOL, dtypes.bool), kernel=_plain(_fn), grad=None,
                   same_dtype="all", differentiable=False,
                   input_names=("x: bool", "y: bool"), output_names=("z: bool",), row_wise=row_rules.elementwise))


# ================================================================================================
# Select (TF1 tf.where), SelectV2 (broadcasting) and ClipByValue
# ================================================================================================


def _select_infer(cond, x, y):
    _check_dtype(cond, _BOOL, "condition")
    data = _merge_shapes(x.shape, y.shape)
    if cond.shape.ndims is None or data.ndims is None:
        return TensorSpec(data, x.dtype)
    if cond.shape.ndims == 0:
        return TensorSpec(data, x.dtype)
    if cond.shape.ndims == 1 and data.ndims > 1:
        d0 = _merge_shapes(TensorShape(cond.shape.as_tuple()[:1]), TensorShape(data.as_tuple()[:1]))
        return TensorSpec(TensorShape(d0.as_tuple() + data.as_tuple()[1:]), x.dtype)
    return TensorSpec(_merge_shapes(data, cond.shape), x.dtype)


def _select_kernel(xp, cond, x, y):
    xs, ys, cs = tuple(getattr(x, "shape", ())), tuple(getattr(y, "shape", ())), tuple(getattr(cond, "shape", ()))
    if xs != ys:
        raise _errors.InvalidArgumentError(
            None, None, f"'then' and 'else' must have the same size.  but are: {_shape_str(xs)} vs. {_shape_str(ys)}")
    if len(cs) == 1 and len(xs) > 1:
        if cs[0] != xs[0]:
            raise _errors.InvalidArgumentError(
                None, None, f"Number of batches of 'then' must match size of 'cond', but saw: {xs[0]} vs. {cs[0]}")
        cond = xp.reshape(cond, cs + (1,) * (len(xs) - 1))
    elif cs and cs != xs:
        raise _errors.InvalidArgumentError(
            None, None, f"'cond' and 'then' must have the same size.  but are: {_shape_str(cs)} vs. {_shape_str(xs)}")
    return xp.where(cond, x, y)


def _const_list(t):
    """The values of a Const-made tensor as a list of Python numbers, else None."""
    op = t._op
    if op._type != "Const":
        return None
    value = op._attrs.get("value")
    return None if value is None else [v.item() for v in value.reshape(-1)] if hasattr(value, "reshape") else None


def _fuse_zeroed_empty_rows(op):
    """Select(Tile(Reshape(empty, [-1, 1]), Pack(1, Shape(x)[1])), ZerosLike(x), x) as one step.

    `safe_embedding_lookup_sparse` zeroes the rows of a [batch, dim] result that had no ids this
    way: seven ops, on every sparse column of a linear model or an embedding, per call of a
    served model. Select takes a [batch] condition for a [batch, dim] value itself, so the step is
    one `where` of the flags; inputs of other shapes run the seven kernels (the same errors).
    Offered only when nothing else reads the chain's tensors and none of its ops has a control input.
    """
    cond, zeros, x = op._inputs
    tile, like = cond._op, zeros._op
    if tile._type != "Tile" or like._type != "ZerosLike" or like._inputs[0] is not x:
        return None
    column, multiples = tile._inputs
    reshape, pack = column._op, multiples._op
    if reshape._type != "Reshape" or _const_list(reshape._inputs[1]) != [-1, 1]:
        return None
    if pack._type != "Pack" or len(pack._inputs) != 2 or pack._attrs.get("axis", 0) != 0:
        return None
    one, width = pack._inputs
    stride, shape = width._op, width._op._inputs[0] if width._op._inputs else None
    if _const_list(one) != [1] or stride._type != "StridedSlice" or shape is None or shape._op._type != "Shape":
        return None
    if shape._op._inputs[0] is not x or stride._attrs.get("shrink_axis_mask") != 1:
        return None
    if any(stride._attrs.get(k, 0) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask")):
        return None
    if [_const_list(t) for t in stride._inputs[1:]] != [[1], [2], [1]]:
        return None
    chain = (like, shape._op, stride, pack, reshape, tile)
    inner = (zeros, cond, column, multiples, width, shape)
    if any(len(t._consumers) != 1 for t in inner) or any(o._control_inputs for o in chain):
        return None
    ordered = [t._op for t in stride._inputs[1:]] + [one._op, reshape._inputs[1]._op] + [
        shape._op, stride, pack, reshape, tile, like, op]
    empty = column._op._inputs[0]

    def kernel(xp, flags, value):
        if flags.ndim == 1 and value.ndim == 2 and flags.shape[0] == value.shape[0] and flags.dtype == bool:
            return xp.where(flags.reshape(-1, 1), xp.zeros_like(value), value)
        return run_pure_ops(xp, ordered, {empty: flags, x: value})

    return Fusion((empty, x), kernel, inner)


def _fuse_select(op):
    """The whole `safe_embedding_lookup_sparse` chain as one step where it ends in this Select, else
    the zeroing of its empty rows (embedding_fusion.py)."""
    return fuse_embedding_lookup(op) or _fuse_zeroed_empty_rows(op)


def _select_grad(op, grad):
    cond = op.inputs[0]
    zeros = apply_op("ZerosLike", grad, name="zeros_like")
    return (None, apply_op("Select", cond, grad, zeros, name="Select"),
            apply_op("Select", cond, zeros, grad, name="Select_1"))


def _select_v2_infer(cond, x, y):
    _check_dtype(cond, _BOOL, "condition")
    shape = broadcast_shapes(broadcast_shapes(cond.shape, x.shape), y.shape)
    return TensorSpec(shape, x.dtype)


def _select_v2_grad(op, grad):
    cond = op.inputs[0]
    zero = _zero(grad.dtype)
    return None, where_v2(cond, grad, zero), where_v2(cond, zero, grad)


register(OpDef("Select", infer=_select_infer, kernel=_select_kernel, grad=_select_grad, same_dtype=(1, 2),
               fuse=_fuse_select,
               input_names=("condition: bool", "t: T", "e: T"), output_names=("output: T",), attr_types={"T": "type"},
               row_wise=row_rules.all_inputs))
register(OpDef("SelectV2", infer=_select_v2_infer, kernel=lambda xp, c, x, y: xp.where(c, x, y),
               grad=_select_v2_grad, same_dtype=(1, 2),
               input_names=("condition: bool", "t: T", "e: T"), output_names=("output: T",), attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


def _clip_infer(t, lo, hi):
    _check_dtype(t, _REAL, "t")
    for bound in (lo, hi):
        out = broadcast_shapes(t.shape, bound.shape)
        if not t.shape.is_compatible_with(out):
            raise ValueError(f"Incompatible shapes: {_shape_str(t.shape)} vs. {_shape_str(bound.shape)}: clip values "
                             "must broadcast to t's shape")
    return TensorSpec(t.shape, t.dtype)


def _clip_kernel(xp, t, lo, hi):
    out = xp.maximum(xp.minimum(t, hi), lo)
    if getattr(out, "shape", ()) != getattr(t, "shape", ()):
        raise _errors.InvalidArgumentError(
            None, None, "clip_value_min and clip_value_max must be either scalars or have the same shape as t")
    return out


def _clip_grad(op, grad):
    t, lo, hi = op.inputs
    zero = _zero(grad.dtype)
    below, above = less(t, lo), greater(t, hi)
    inside = logical_not(logical_or(below, above))
    return where_v2(inside, grad, zero), where_v2(below, grad, zero), where_v2(above, grad, zero)


register(OpDef("ClipByValue", infer=_clip_infer, kernel=_clip_kernel, grad=_clip_grad, same_dtype="all",
               input_names=("t: T", "clip_value_min: T", "clip_value_max: T"), output_names=("output: T",),
               attr_types={"T": "type"},
               row_wise=row_rules.elementwise))


# ---- public TF1 functions ----
def _binary_fn(op_type, doc):
    def fn(x, y, name=None):
        return apply_op(op_type, x, y, name=name or op_type)

    fn.__doc__ = doc
    return fn


less = _binary_fn("Less", "Elementwise x < y, as `tf.less`.")
less_equal = _binary_fn("LessEqual", "Elementwise x <= y, as `tf.less_equal`.")
greater = _binary_fn("Greater", "Elementwise x > y, as `tf.greater`.")
greater_equal = _binary_fn("GreaterEqual", "Elementwise x >= y, as `tf.greater_equal`.")
logical_and = _binary_fn("LogicalAnd", "Elementwise and of bool tensors, as `tf.logical_and`.")
logical_or = _binary_fn("LogicalOr", "Elementwise or of bool tensors, as `tf.logical_or`.")


def equal(x, y, name=None):
    """Elementwise x == y (numbers, bools or strings), as `tf.equal`."""
    return apply_op("Equal", x, y, name=name or "Equal")


def not_equal(x, y, name=None):
    """Elementwise x != y (numbers, bools or strings), as `tf.not_equal`."""
    return apply_op("NotEqual", x, y, name=name or "NotEqual")


def logical_xor(x, y, name="LogicalXor"):
    """x ^ y = (x | y) & ~(x & y), composed as TF does, as `tf.logical_xor`."""
    return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=name)


def where(condition, x=None, y=None, name=None):
    """TF1 `tf.where`: coordinates of true elements, or x/y chosen by condition (a vector picks rows)."""
    if x is None and y is None:
        condition = convert_to_tensor(condition, preferred_dtype=dtypes.bool, name="condition")
        return apply_op("Where", condition, name=name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return apply_op("Select", condition, x, y, name=name or "Select")


def where_v2(condition, x=None, y=None, name=None):
    """`tf.where_v2` (TF2's `tf.where`): x/y chosen by condition, all three broadcast together."""
    if x is None and y is None:
        condition = convert_to_tensor(condition, preferred_dtype=dtypes.bool, name="condition")
        return apply_op("Where", condition, name=name or "Where")
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    return apply_op("SelectV2", condition, x, y, name=name or "SelectV2")


select = where


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """`t` clamped to [clip_value_min, clip_value_max], as `tf.clip_by_value`.

    The bounds are scalars or broadcast to `t`'s shape; the gradient flows to `t` inside the
    bounds (ties included) and to a bound where it clips.
    """
    with _scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as scope:
        values = t.values if isinstance(t, IndexedSlices) else t
        values = convert_to_tensor(values, name="t")
        out = apply_op("ClipByValue", values, clip_value_min, clip_value_max, name=scope)
        if isinstance(t, IndexedSlices):
            return type(t)(out, t.indices, t.dense_shape)
        return out


# ---- Tensor operators ----
_install_binary(logical_and, "and")
_install_binary(logical_or, "or")
_install_binary(logical_xor, "xor")
Tensor._override_operator("__lt__", lambda self, other: less(self, other))
Tensor._override_operator("__le__", lambda self, other: less_equal(self, other))
Tensor._override_operator("__gt__", lambda self, other: greater(self, other))
Tensor._override_operator("__ge__", lambda self, other: greater_equal(self, other))
