"""Reverse-mode autodiff over the graph: `tf.gradients` and `tf.stop_gradient`'s plumbing.

    grads = tf.gradients(loss, [W, b])      # one entry per x; None where unconnected

How it works: the ops lying on a path from any x to any y are visited in reverse
creation order (creation order is topological: an op's inputs always exist before it).
Each op's gradient rule (OpDef.grad, or a function registered with RegisterGradient)
gets one summed gradient per output and returns one gradient per input, at the shape of
the op's (broadcast) output; it is summed back to each input's shape here, once.
Gradients of gathers arrive as IndexedSlices and stay sparse until a dense op needs them.
"""

from __future__ import annotations

import contextlib

import numpy as np

from estflow.core import dtypes
from estflow.core.graph import Operation, Tensor, _graph_of
from estflow.core.indexed_slices import IndexedSlices
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import OpDef, apply_op

_custom_gradients: dict[str, object] = {}


class RegisterGradient:
    """Decorator registering a gradient function for an op type (`tf.RegisterGradient`).

        @tf.RegisterGradient("MySquare")
        def _my_square_grad(op, grad): return 2.0 * op.inputs[0] * grad
    """

    def __init__(self, op_type: str):
        if not isinstance(op_type, str):
            raise TypeError("op_type must be a string")
        self._op_type = op_type

    def __call__(self, fn):
        if self._op_type in _custom_gradients:
            raise KeyError(f"Registering two gradient with name '{self._op_type}'!")
        _custom_gradients[self._op_type] = fn
        return fn


def NotDifferentiable(op_type: str) -> None:  # noqa: N802 - TF's public name
    """Declare that ops of `op_type` pass no gradient (`tf.NotDifferentiable`)."""
    _custom_gradients[op_type] = None


no_gradient = NotDifferentiable


def _grad_fn(op: Operation):
    override = op._gradient_override
    if override is not None:
        if override not in _custom_gradients:
            raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {override})")
        return _custom_gradients[override]
    if op._type in _custom_gradients:
        return _custom_gradients[op._type]
    op_def: OpDef = op._op_def
    if not op_def.differentiable:
        return None
    if op_def.grad is None:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op._type}). "
                          "Wrap it in tf.stop_gradient if no gradient should flow through it.")
    return op_def.grad


def _is_differentiable_dtype(dtype) -> bool:
    return dtype.is_floating or dtype.is_complex


# ---- summing a broadcast gradient back to an input's shape --------------------------------------
# Where shapes are not fully known, the sum is TF's own pattern (as in TF's BroadcastTo and
# SelectV2 gradients), so the graph exports to TF:
#     sx = Shape(x); rx, _ = BroadcastGradientArgs(sx, Shape(grad)); dx = Reshape(Sum(grad, rx), sx)
# NOTE: a plan runs each Reshape(Sum(...)) as one step (Reshape's OpDef.fuse, in array_ops), so
# the four extra ops per input cost nothing at run time.


def _may_have_stretched(op: Operation, x: Tensor) -> bool:
    """Whether `op` could have broadcast `x` along one of its dims of unknown size.

    That needs another input with that dim possibly larger than 1; an input of lower rank
    or with a 1 there cannot stretch it.
    """
    if not op._op_def.broadcasts:
        return False
    xd = x.shape.as_tuple()
    if xd is None:
        return True
    for other in op._inputs:
        if other is x:
            continue
        od = other.shape.as_tuple()
        if od is None:
            return True
        for k in range(1, min(len(xd), len(od)) + 1):
            if xd[-k] is None and od[-k] != 1:
                return True
    return False


def _unbroadcast(grad, x: Tensor, op: Operation):
    """`grad` (a dense Tensor at the op's output shape) summed back to `x`'s shape."""
    gd, xd = grad.shape.as_tuple(), x.shape.as_tuple()
    if gd is not None and gd == xd and (None not in xd or not _may_have_stretched(op, x)):
        return grad
    if xd is not None and None not in xd and gd is not None and len(gd) >= len(xd):
        lead = len(gd) - len(xd)
        axes = list(range(lead)) + [lead + i for i, n in enumerate(xd) if n == 1 and gd[lead + i] != 1]
        out = grad
        if axes:
            out = apply_op("Sum", grad, np.array(axes, np.int32), name="Sum", keep_dims=False)
        if out.shape.as_tuple() != xd:
            out = apply_op("Reshape", out, np.array(xd, np.int32), name="Reshape")
        return out
    sx = apply_op("Shape", x, name="Shape", out_type=dtypes.int32)
    sg = apply_op("Shape", grad, name="Shape", out_type=dtypes.int32)
    reduction = apply_op("BroadcastGradientArgs", sx, sg, name="BroadcastGradientArgs")[0]
    summed = apply_op("Sum", grad, reduction, name="Sum", keep_dims=False)
    out = apply_op("Reshape", summed, sx, name="Reshape")
    out.set_shape(x.shape)
    return out


def _needs_unbroadcast(op: Operation) -> bool:
    """Only ops with several inputs can broadcast one against another."""
    return len(op._inputs) > 1


# ---- aggregation ----------------------------------------------------------------------------
def _is_indexed_slices(g) -> bool:
    return isinstance(g, IndexedSlices)


def _to_dense(g):
    if _is_indexed_slices(g):
        return convert_to_tensor(g)
    return g


class AggregationMethod:
    """How `tf.gradients` sums the gradients reaching one tensor, as `tf.AggregationMethod`.

    `ADD_N` (the default) sums them in one AddN op. `EXPERIMENTAL_TREE` adds them one at a
    time (AddN of two), as TF1 does. `EXPERIMENTAL_ACCUMULATE_N` is TF1's AccumulateNV2 for
    fully defined shapes, which sums as AddN does, so estflow builds AddN; for other shapes
    TF1 falls back to the pairwise sums of EXPERIMENTAL_TREE, and so does estflow.
    """

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


_AGGREGATION_METHODS = (AggregationMethod.ADD_N, AggregationMethod.EXPERIMENTAL_TREE,
                        AggregationMethod.EXPERIMENTAL_ACCUMULATE_N)


def _aggregate(contributions, method=AggregationMethod.ADD_N):
    if not contributions:
        return None
    if len(contributions) == 1:
        return contributions[0]
    if all(_is_indexed_slices(g) for g in contributions):
        n = len(contributions)
        values = apply_op("ConcatV2", *[g.values for g in contributions], np.int32(0), name="concat", N=n)
        indices = apply_op("ConcatV2", *[g.indices for g in contributions], np.int32(0), name="concat_1", N=n)
        return IndexedSlices(values, indices, contributions[0].dense_shape)
    dense = [_to_dense(g) for g in contributions]
    pairwise = method == AggregationMethod.EXPERIMENTAL_TREE or (
        method == AggregationMethod.EXPERIMENTAL_ACCUMULATE_N and len(dense) > 2
        and not all(g.shape.is_fully_defined() for g in dense))
    if pairwise:
        total = dense[0]
        for g in dense[1:]:
            total = apply_op("AddN", total, g, name="AddN", N=2)
        return total
    return apply_op("AddN", *dense, name="AddN", N=len(dense))


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _as_tensor(x, as_ref: bool):
    if isinstance(x, Tensor):
        return x
    return convert_to_tensor(x, as_ref=as_ref)


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False, gate_gradients=False,
              aggregation_method=None, stop_gradients=None, unconnected_gradients="none"):
    """Symbolic derivatives of `sum(ys)` with respect to each of `xs`, as `tf.gradients`.

        x = tf.placeholder(tf.float32); y = x * x
        dy_dx, = tf.gradients(y, [x])          # 2 * x

    `colocate_gradients_with_ops=True` places each gradient op with the forward op it
    differentiates (TF1's colocation: its device, and `_class` in the GraphDef).
    `aggregation_method` is one of `tf.AggregationMethod` (ValueError otherwise).
    `gate_gradients` only orders computation in TF1 (a `tuple` around each op's input
    gradients against races between threads); estflow runs a step's ops one at a time and
    the optimizers make every variable write wait for all gradients, so it adds no ops and
    never changes a value.
    """
    if aggregation_method is None:
        aggregation_method = AggregationMethod.DEFAULT
    if aggregation_method not in _AGGREGATION_METHODS:
        raise ValueError(f"Invalid aggregation_method specified {aggregation_method}.")
    ys = [_as_tensor(y, as_ref=False) for y in _as_list(ys)]
    xs = [_as_tensor(x, as_ref=True) for x in _as_list(xs)]
    grad_ys = _as_list(grad_ys) if grad_ys is not None else [None] * len(ys)
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    stop = {_as_tensor(t, as_ref=False) for t in _as_list(stop_gradients)}
    graph = _graph_of(ys + xs)
    with graph.as_default(), graph.name_scope(name):
        between = _ops_between(xs, ys)
        grads: dict[Tensor, list] = {}
        for i, (y, gy) in enumerate(zip(ys, grad_ys)):
            if gy is None:
                if y.dtype.is_complex:
                    raise TypeError(f"Gradients of complex tensors must set grad_ys (y.dtype = {y.dtype.name}).")
                if not y.dtype.is_floating:
                    continue  # an integer or bool y passes no gradient: every result stays None (TF1)
                gy = apply_op("OnesLike", y, name=f"grad_ys_{i}")
            else:
                gy = _as_tensor(gy, as_ref=False)
            grads.setdefault(y, []).append(gy)
        x_set = set(xs)
        x_ops = {x._op for x in xs}
        for op in sorted(between, key=lambda o: o._id, reverse=True):
            if op in x_ops and not any(t._op in between for t in op._inputs):
                continue  # an x itself: nothing upstream of it is asked for (its sum is built below)
            out_grads = [_aggregate(grads.get(t), aggregation_method) for t in op._outputs]
            if all(g is None for g in out_grads):
                continue
            if any(t in stop for t in op._outputs) and not any(t in x_set for t in op._outputs):
                continue
            fn = _grad_fn(op)
            if fn is None:
                continue
            if op._type != "Switch" and any(g is None for g in out_grads):
                out_grads = [g if g is not None or not _is_differentiable_dtype(t.dtype)
                             else apply_op("ZerosLike", t, name="zeros_like")
                             for g, t in zip(out_grads, op._outputs)]
            with graph.name_scope(op.name + "_grad"), \
                    (graph.colocate_with(op) if colocate_gradients_with_ops else contextlib.nullcontext()):
                in_grads = fn(op, *out_grads)
                if not isinstance(in_grads, (list, tuple)):
                    in_grads = [in_grads]
                if len(in_grads) != len(op._inputs):
                    raise ValueError(f"The gradient rule of {op._type} returned {len(in_grads)} gradients for "
                                     f"{len(op._inputs)} inputs (node '{op.name}').")
                for x, g in zip(op._inputs, in_grads):
                    if g is None or x in stop:
                        continue
                    if x._op not in between and x not in x_set:
                        continue
                    if not _is_differentiable_dtype(x.dtype):
                        continue
                    if not _is_indexed_slices(g):
                        g = _as_tensor(g, as_ref=False)
                        if _needs_unbroadcast(op):
                            g = _unbroadcast(g, x, op)
                    grads.setdefault(x, []).append(g)
        out = []
        for x in xs:
            g = _aggregate(grads.get(x), aggregation_method)
            if g is None and unconnected_gradients == "zero":
                g = apply_op("ZerosLike", x, name="zeros_like")
            out.append(g)
    return out


def _ops_between(xs, ys) -> set:
    """Ops reachable forward from some x that also reach some y (through data edges)."""
    forward = {x._op for x in xs}
    stack = [c for x in xs for c in x._consumers]
    while stack:
        op = stack.pop()
        if op in forward:
            continue
        forward.add(op)
        for t in op._outputs:
            stack.extend(c for c in t._consumers if c not in forward)
    between: set[Operation] = set()
    stack = [y._op for y in ys]
    while stack:
        op = stack.pop()
        if op in between or op not in forward:
            continue
        between.add(op)
        stack.extend(t._op for t in op._inputs)
    return between


def hessians(ys, xs, name="hessians", **kwargs):
    raise NotImplementedError("tf.hessians is not provided by estflow yet; differentiate tf.gradients twice.")
