"""Gradient helpers TF1 builds on `tf.gradients`: `tf.hessians`, `tf.custom_gradient`,
`tf.grad_pass_through`, `tf.recompute_grad` and the `tf.UnconnectedGradients` choices.

`custom_gradient` works as TF1's does in graph mode: the function's outputs and inputs pass
through one IdentityN op whose gradient is overridden by the function's own `grad_fn`.
"""

from __future__ import annotations

import enum
import functools
import itertools

from estflow.core import nest, variable_scope
from estflow.core.gradients import RegisterGradient, gradients
from estflow.core.graph import control_dependencies, get_default_graph, name_scope
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




def _variables_read_by(outputs, inputs) -> list:
    """The TF1 variables (their ref tensors) that `outputs` depend on without going through `inputs`."""
    stop = {t.op for t in inputs}
    seen, stack, found = set(), [t.op for t in outputs], []
    while stack:
        op = stack.pop()
        if op in seen or op in stop:
            continue
        seen.add(op)
        if op._op_def.is_variable:
            found.append(op.outputs[0])
            continue
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return sorted(found, key=lambda t: t.op._id)


def recompute_grad(f):
    """f, whose gradient recomputes f's forward pass instead of keeping its intermediate values
    (`tf.recompute_grad`): the gradients are those of f itself.

        block = tf.recompute_grad(lambda x: tf.layers.dense(tf.layers.dense(x, 64, tf.nn.relu), 64))
        y = block(x)             # the gradient pass calls the lambda again, reusing its variables

    The recomputation runs f again in the variable scope of the first call, reusing its
    variables (`tf.get_variable`, `tf.layers`: the same default layer names come back), once the
    gradients flowing into f's outputs exist. f's variables get their gradients too.
    """
    @functools.wraps(f)
    def inner(*args, **kwargs):
        scope = variable_scope.get_variable_scope()
        scope_store = variable_scope.get_variable_scope_store()
        counts = dict(scope_store.variable_scopes_count)  # so the recomputation picks the same layer names
        inputs = [convert_to_tensor(a) for a in args]
        result = f(*inputs, **kwargs)
        flat = [convert_to_tensor(r) for r in nest.flatten(result)]
        variables = _variables_read_by(flat, inputs)
        op_name = f"RecomputeGrad-{next(_UIDS)}"

        @RegisterGradient(op_name)
        def _grad(op, *grads):
            dys = [g if g is not None else array_ops.zeros_like(y) for g, y in zip(grads[:len(flat)], flat)]
            # The recomputation waits for the incoming gradients, so its values are made when they are needed.
            with control_dependencies(dys):
                again = [array_ops.identity(x) for x in inputs]
            saved = dict(scope_store.variable_scopes_count)
            scope_store.variable_scopes_count = dict(counts)
            try:
                with variable_scope.variable_scope(scope, reuse=True):
                    recomputed = [convert_to_tensor(r) for r in nest.flatten(f(*again, **kwargs))]
            finally:
                scope_store.variable_scopes_count = saved
            dxs = gradients(recomputed, again + variables, grad_ys=dys, unconnected_gradients="zero")
            return [None] * len(flat) + dxs

        with get_default_graph().gradient_override_map({"IdentityN": op_name}):
            passed = array_ops.identity_n(flat + inputs + variables)
        out = passed[:len(flat)]
        return nest.pack_sequence_as(result, out) if nest.is_sequence(result) else out[0]

    return inner
