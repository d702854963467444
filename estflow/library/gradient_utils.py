"""Gradient helpers TF1 builds on `tf.gradients`: `tf.hessians`, `tf.custom_gradient`,
`tf.grad_pass_through` and the `tf.UnconnectedGradients` choices.

`custom_gradient` works as TF1's does in graph mode: the function's outputs and inputs pass
through one IdentityN op whose gradient is overridden by the function's own `grad_fn`.
"""

from __future__ import annotations

import enum
import functools
import itertools

from estflow.core import nest
from estflow.core.gradients import RegisterGradient, gradients
from estflow.core.graph import get_default_graph, name_scope
from estflow.core.ops import array_ops, concat_ops
from estflow.core.ops.constant_op import convert_to_tensor

_UIDS = itertools.count()


class UnconnectedGradients(enum.StrEnum):
    """What `tf.gradients` returns for an x that does not reach ys: None (NONE) or zeros (ZERO)."""

    NONE = "none"
    ZERO = "zero"


def hessians(ys, xs, name="hessians", colocate_gradients_with_ops=False, gate_gradients=False,
             aggregation_method=None):
    """The Hessian of sum(ys) for each x in `xs` (shape x.shape + x.shape), as `tf.hessians`.

    Built as one gradient per element of the first derivative, so each x needs a fully known
    static shape (TF builds the same gradients inside a while_loop).
    """
    xs = list(xs) if isinstance(xs, (list, tuple)) else [xs]
    out = []
    with name_scope(name, "hessians", xs):
        first = gradients(ys, xs, colocate_gradients_with_ops=colocate_gradients_with_ops,
                          gate_gradients=gate_gradients, aggregation_method=aggregation_method)
        for x, grad in zip(xs, first, strict=True):
            if grad is None:
                out.append(None)
                continue
            if not x.shape.is_fully_defined():
                raise ValueError(f"tf.hessians needs {x.name} to have a fully known shape, got {x.shape}")
            flat = array_ops.reshape(grad, [-1])
            n = x.shape.num_elements()
            rows = []
            for i in range(n):
                (row,) = gradients(flat[i], [x], unconnected_gradients="zero",
                                   aggregation_method=aggregation_method)
                rows.append(array_ops.reshape(row, [-1]))
            stacked = concat_ops.stack(rows) if rows else array_ops.reshape(flat, [0, 0])
            out.append(array_ops.reshape(stacked, x.shape.as_list() * 2))
    return out


def custom_gradient(f=None):
    """Decorates f(*x) -> (y, grad_fn) so that tf.gradients through y uses grad_fn(*dy) -> dx, as
    `tf.custom_gradient` in graph mode.

        @tf.custom_gradient
        def log1pexp(x):
            e = tf.exp(x)
            return tf.log(1 + e), lambda dy: dy * (1 - 1 / (1 + e))
    """
    if f is None:
        return custom_gradient

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        if kwargs:
            raise ValueError(f"The custom_gradient decorator currently supports keywords arguments only when "
                             f"eager execution is enabled; got {sorted(kwargs)}")
        inputs = [convert_to_tensor(a) for a in args]
        result, grad_fn = f(*inputs)
        flat = [convert_to_tensor(r) for r in nest.flatten(result)]
        op_name = f"CustomGradient-{next(_UIDS)}"

        @RegisterGradient(op_name)
        def _grad(op, *grads):
            dys = grads[:len(flat)]
            dxs = grad_fn(*dys)
            dxs = list(dxs) if isinstance(dxs, (list, tuple)) else [dxs]
            if len(dxs) != len(inputs):
                raise ValueError(f"custom_gradient function expected to return {len(inputs)} gradients, but "
                                 f"returned {len(dxs)} instead.")
            return [None] * len(flat) + dxs

        with get_default_graph().gradient_override_map({"IdentityN": op_name}):
            passed = array_ops.identity_n(flat + inputs)
        return nest.pack_sequence_as(result, passed[:len(flat)]) if nest.is_sequence(result) else passed[0]

    return decorated


def grad_pass_through(f):
    """f's values with the gradient of the identity: upstream gradients reach f's inputs unchanged
    (f's outputs must match its inputs), as `tf.grad_pass_through`.

        rounded = tf.grad_pass_through(tf.round)(x)   # straight-through estimator
    """
    @custom_gradient
    def passed(*args):
        return f(*args), lambda *dys: dys if len(dys) > 1 else dys[0]

    return passed


