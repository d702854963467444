"""TF's fused training ops (`ApplyAdam`, `SparseApplyFtrl`, ...): one kernel updates a variable and its slots.

Each op takes its variable and slot variables as ref inputs (TF1's `Ref(T)`), so the kernel
reads `ctx.variables[<VariableV2 name>]` and writes the new values into those arrays in
place, one kernel call per variable and step, as TF's fused kernels do. The output is the
updated variable.

Every update rule below is written once, for arrays of any shape, and mutates its ref
arguments in place. The dense op applies it to the whole variables; the sparse op
gathers the rows named by `indices`, applies the same rule to those rows and writes them
back, so rows not named stay bit-identical. A sparse op given an index twice processes
the occurrences one after another, as TF's CPU kernels loop over `indices`.

    train = apply_op("ApplyGradientDescent", w._ref(), 0.1, grad)     # w -= 0.1 * grad
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from typing import NamedTuple

import numpy as np

from estflow.core import errors
from estflow.core.ops import scatter_kernels
from estflow.core.ops.array_ops import _host_ints, _reshape_kernel
from estflow.core.ops.gather_ops import _unique_kernel
from estflow.core.ops.segment_ops import _unsorted_segment_sum_kernel
from estflow.core.registry import Fusion, OpDef, StepGroup, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


# ---- update rules: refs first, then the op's other inputs in TF's order; refs change in place ------
# Temporaries may be numpy scalars (0-d variables), so only the refs are written with out= / [...].
def _gradient_descent(xp, var, alpha, delta):
    xp.subtract(var, delta * alpha, out=var)


def _proximal_step(xp, var, prox, rate, l1, l2):
    """var = sign(prox) * max(|prox| - rate * l1, 0) / (1 + l2 * rate): FOBOS's shrinkage step."""
    if l1 > 0:
        prox = xp.sign(prox) * xp.maximum(xp.abs(prox) - rate * l1, 0)
    xp.divide(prox, 1 + l2 * rate, out=var)


def _proximal_gradient_descent(xp, var, alpha, l1, l2, delta):
    _proximal_step(xp, var, var - delta * alpha, alpha, l1, l2)


def _adagrad(xp, var, accum, lr, grad, *, update_slots):
    if update_slots:
        accum += grad * grad
    var -= grad * lr / xp.sqrt(accum)


def _proximal_adagrad(xp, var, accum, lr, l1, l2, grad):
    accum += grad * grad
    rate = lr / xp.sqrt(accum)
    _proximal_step(xp, var, var - grad * rate, rate, l1, l2)


def _adagrad_da(xp, var, gradient_accum, gradient_squared_accum, grad, lr, l1, l2, global_step):
    gradient_accum += grad
    gradient_squared_accum += grad * grad
    step = global_step.astype(var.dtype)
    denominator = l2 * (step * lr) + xp.sqrt(gradient_squared_accum)
    if l1 > 0:
        numerator = -lr * xp.sign(gradient_accum) * xp.maximum(xp.abs(gradient_accum) - step * l1, 0)
    else:
        numerator = -lr * gradient_accum
    xp.divide(numerator, denominator, out=var)


def _adadelta(xp, var, accum, accum_update, lr, rho, epsilon, grad):
    accum *= rho
    accum += grad * grad * (1 - rho)
    update = xp.sqrt(accum_update + epsilon) / xp.sqrt(accum + epsilon) * grad
    var -= update * lr
    accum_update *= rho
    accum_update += update * update * (1 - rho)


def _momentum(xp, var, accum, lr, grad, momentum, *, use_nesterov):
    accum *= momentum
    accum += grad
    if use_nesterov:
        var -= grad * lr + accum * momentum * lr
    else:
        var -= accum * lr


def _adam(xp, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad, *, use_nesterov):
    # The scalar coefficients as numpy scalars of the variable's dtype: the same float32 (or
    # float64) arithmetic as on 0-d arrays, at a tenth of the cost per operation.
    t = var.dtype.type
    try:
        scalars = t(beta1_power), t(beta2_power), t(lr), t(beta1), t(beta2), t(epsilon)
    except TypeError:  # 0-d cupy arrays refuse the implicit host copy: ask for it
        scalars = tuple(t(x.item()) for x in (beta1_power, beta2_power, lr, beta1, beta2, epsilon))
    beta1_power, beta2_power, lr, beta1, beta2, epsilon = scalars
    one = t(1)
    alpha = lr * t(math.sqrt(one - beta2_power)) / (one - beta1_power)  # sqrt of a double, rounded: exact
    m += (grad - m) * (one - beta1)
    v += (grad * grad - v) * (one - beta2)
    numerator = grad * (one - beta1) + beta1 * m if use_nesterov else m
    var -= numerator * alpha / (xp.sqrt(v) + epsilon)


def _rms_prop(xp, var, ms, mom, lr, rho, momentum, epsilon, grad):
    ms += (grad * grad - ms) * (1 - rho)
    mom *= momentum
    mom += grad * lr / xp.sqrt(ms + epsilon)
    var -= mom


def _centered_rms_prop(xp, var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    ms += (grad * grad - ms) * (1 - rho)
    mg += (grad - mg) * (1 - rho)
    mom *= momentum
    mom += grad * lr / xp.sqrt(ms - mg * mg + epsilon)
    var -= mom


def _check_ftrl_hyperparameters(lr, l1, l2, lr_power, l2_shrinkage=None):
    """TF's checks, on Python floats (a comparison of 0-d arrays costs microseconds, of floats nanoseconds;
    nan fails alike); returns l1, l2 and lr_power as floats, for the update's branches."""
    lr, l1, l2, lr_power = float(lr), float(l1), float(l2), float(lr_power)
    message = None
    if not lr > 0:
        message = "lr is not a positive scalar: []"
    elif not l1 >= 0:
        message = "l1 regularization strength is not a non-negative scalar: []"
    elif not l2 >= 0:
        message = "l2 regularization strength is not a non-negative scalar: []"
    elif not lr_power <= 0:
        message = "lr_power is not a non-positive scalar: []"
    elif l2_shrinkage is not None and not float(l2_shrinkage) >= 0:
        message = "l2 shrinkage regularization strength is not a non-negative scalar: []"
    if message is not None:
        raise errors.InvalidArgumentError(None, None, message)
    return l1, l2, lr_power


def _ftrl_update(xp, var, accum, linear, grad, lr, l1, l2, lr_power, shrunk_grad, multiply_linear_by_lr, floats):
    """TF's Ftrl step. `floats`: (l1, l2, lr_power) as Python floats, which pick the branches; the arithmetic
    uses the op's own inputs (`lr`, `l1`, `l2`, `lr_power`: 0-d arrays of the variable's dtype)."""
    if (xp is np and not multiply_linear_by_lr and var.__class__ is accum.__class__ is linear.__class__ is np.ndarray
            and var.ndim and accum is not var and accum is not linear):
        _ftrl_update_numpy(var, accum, linear, grad, lr, l1, l2, lr_power, shrunk_grad, floats)
        return
    l1_value, _, power = floats
    new_accum = accum + grad * grad
    if power == -0.5:
        new_power, old_power = xp.sqrt(new_accum), xp.sqrt(accum)
    else:
        new_power, old_power = new_accum ** -lr_power, accum ** -lr_power
    if multiply_linear_by_lr:  # TF's variant keeps `linear` scaled by lr: the same step, other rounding
        linear += shrunk_grad * lr - (new_power - old_power) * var
        quadratic = new_power + 2 * l2 * lr
        l1 = l1 * lr
    else:
        linear += shrunk_grad - (new_power - old_power) / lr * var
        quadratic = new_power / lr + 2 * l2
    if l1_value == 0:  # see _ftrl_update_numpy
        var[...] = xp.where(xp.abs(linear) > l1, -linear / quadratic, 0)
    else:
        var[...] = xp.where(xp.abs(linear) > l1, (l1 * xp.sign(linear) - linear) / quadratic, 0)
    accum[...] = new_accum


def _ftrl_update_numpy(var, accum, linear, grad, lr, l1, l2, lr_power, shrunk_grad, floats):
    """`_ftrl_update` without multiply_linear_by_lr on numpy arrays (var at least 1-D, accum a separate array):
    the same operations on the same operands in the same order, so the same bits, with fewer numpy calls:

    - temporaries are reused (`out=`) and `accum` takes its new value in place once its old root is taken;
    - `+ 2 * l2` is left out when l2 = +-0: `new_power / lr` is never -0.0 (grad * grad is +0 or more, so
      `accum + grad * grad` is not -0.0, nor is its root or power) and x + +-0 is x for every other x;
    - with l1 = +-0, where |linear| > l1 linear is not zero and `l1 * sign(linear) - linear` is +-0 - linear,
      which is -linear exactly: the sign and the product are left out;
    - `where(c, q, 0)` is a divide into zeros `where=c` (the same quotients where c holds).
    """
    l1_value, l2_value, power = floats
    grad_squared = grad * grad
    if power == -0.5:
        old_power = np.sqrt(accum)
        np.add(accum, grad_squared, out=accum)
        new_power = np.sqrt(accum)
    else:
        old_power = accum ** -lr_power
        np.add(accum, grad_squared, out=accum)
        new_power = accum ** -lr_power
    step = np.subtract(new_power, old_power, out=old_power)
    step /= lr
    step *= var
    linear += np.subtract(shrunk_grad, step, out=step)
    quadratic = np.divide(new_power, lr, out=new_power)
    if l2_value != 0:
        quadratic += 2 * l2
    keep = np.abs(linear) > l1
    numerator = np.negative(linear) if l1_value == 0 else l1 * np.sign(linear) - linear
    var.fill(0)
    np.divide(numerator, quadratic, out=var, where=keep)


def _ftrl(xp, var, accum, linear, grad, lr, l1, l2, lr_power, *, multiply_linear_by_lr):
    floats = _check_ftrl_hyperparameters(lr, l1, l2, lr_power)
    _ftrl_update(xp, var, accum, linear, grad, lr, l1, l2, lr_power, grad, multiply_linear_by_lr, floats)


def _ftrl_v2(xp, var, accum, linear, grad, lr, l1, l2, l2_shrinkage, lr_power, *, multiply_linear_by_lr):
    # NOTE: as in TF, the accumulator grows by grad**2; only `linear` sees the shrinkage term.
    floats = _check_ftrl_hyperparameters(lr, l1, l2, lr_power, l2_shrinkage)
    _ftrl_update(xp, var, accum, linear, grad, lr, l1, l2, lr_power, grad + 2 * l2_shrinkage * var,
                 multiply_linear_by_lr, floats)


# ---- kernels -----------------------------------------------------------------------------------------
def _uninitialized(name):
    return errors.FailedPreconditionError(None, None, f"Attempting to use uninitialized value {name}")


def _shape_str(shape) -> str:
    return "[" + ",".join(str(d) for d in shape) + "]"


def _lookup(store, names):
    try:
        return [store[n] for n in names]
    except KeyError as e:
        raise _uninitialized(e.args[0]) from None


def _ref_names(op, n_refs):
    return [op._inputs[i]._op._name for i in range(n_refs)]


def _make_dense(update, ref_labels, grad_pos, attr_names):
    """`grad_pos`: the gradient's position among the value (non-ref) inputs."""
    n_refs = len(ref_labels)

    def make(op, ctx):
        store, xp = ctx.variables, ctx.xp
        names = _ref_names(op, n_refs)
        attrs = {k: op._attrs[k] for k in attr_names}
        if n_refs == 2:  # a variable and one slot (Adagrad, Momentum: a DNN applies ten a step)
            return _two_ref_kernel(functools.partial(update, xp, **attrs), store, names, ref_labels[1], grad_pos)

        def kernel(*values):
            refs = _lookup(store, names)
            var = refs[0]
            for label, ref in zip(ref_labels[1:], refs[1:], strict=True):
                if ref.shape != var.shape:
                    raise errors.InvalidArgumentError(
                        None, None, f"var and {label} do not have the same shape{_shape_str(var.shape)} "
                                    f"{_shape_str(ref.shape)}")
            grad = values[grad_pos]
            if grad.shape != var.shape:
                raise errors.InvalidArgumentError(
                    None, None, f"var and grad do not have the same shape{_shape_str(var.shape)} "
                                f"{_shape_str(grad.shape)}")
            update(xp, *refs, *values, **attrs)
            return var

        return kernel

    return make


def _two_ref_kernel(step, store, names, slot_label, grad_pos):
    """`_make_dense`'s kernel for a variable and one slot, with the same checks, errors and update:
    `step(var, slot, *values)` (the update rule with xp and attrs bound), its lookups and checks
    spelled out (the general kernel's loops and list building cost ~1.5 us of a ~3 us small update)."""
    var_name, slot_name = names

    def kernel(*values):
        try:
            var = store[var_name]
            slot = store[slot_name]
        except KeyError as e:
            raise _uninitialized(e.args[0]) from None
        shape = var.shape
        if slot.shape != shape:
            raise errors.InvalidArgumentError(
                None, None, f"var and {slot_label} do not have the same shape{_shape_str(shape)} "
                            f"{_shape_str(slot.shape)}")
        grad = values[grad_pos]
        if grad.shape != shape:
            raise errors.InvalidArgumentError(
                None, None, f"var and grad do not have the same shape{_shape_str(shape)} {_shape_str(grad.shape)}")
        step(var, slot, *values)
        return var

    return kernel


_occurrence_waves = scatter_kernels.occurrence_waves  # cupy-safe: no argsort(kind=...)
_DICT_DEDUP = 96  # up to this many ids one dict pass beats a stable sort and its bookkeeping (numpy 2.x)
# A table over all the variable's rows beats both up to this many values in it (or this many rows per id):
# its cost grows with the table, theirs with the ids (numpy 2.x; 16,384 values: 4,096 rows of one, 1,000 of 8).
_DENSE_ELEMENTS, _DENSE_PER_ID = 16384, 4


def _sum_rows_by_id(ids, grad, n_rows):
    """(distinct ids, their rows of `grad` summed): `Unique` then `UnsortedSegmentSum(grad, idx, n_unique)`
    on numpy, for 1-D integer ids all in [0, n_rows), with the same sums to the bit and the distinct ids
    possibly in another order.

    Each sum is built as the segment sum builds it: `np.add.at` onto zeros, an id's rows in their order of
    occurrence (a row that occurs once is `0 + row`: -0.0 becomes 0.0 there too). Only the order of the
    distinct ids may differ from Unique's (first appearance): ascending, where a table over the variable's
    rows or a stable sort finds them; a sparse apply of distinct rows does not see that order (each row's
    update is its own).
    """
    n = ids.shape[0]
    inner = grad.shape[1:]
    if n_rows * math.prod(inner) <= _DENSE_ELEMENTS or n_rows <= _DENSE_PER_ID * n:  # sums and marks over all rows
        full = np.zeros((n_rows,) + inner, dtype=grad.dtype)
        _add_at(full, ids, grad)
        mark = np.zeros(n_rows, dtype=bool)
        mark[ids] = True
        unique = mark.nonzero()[0]
        return unique, full.take(unique, axis=0)
    if n <= _DICT_DEDUP:  # one pass over Python ints, in order of first appearance (Unique's own order)
        found: dict = {}
        pos = [found.setdefault(v, len(found)) for v in ids.tolist()]
        k = len(found)
        unique = np.fromiter(found, dtype=ids.dtype, count=k)
        summed = np.zeros((k,) + inner, dtype=grad.dtype)
        if k == n:  # all distinct: position i holds row i
            summed += grad
        else:
            _add_at(summed, np.array(pos, dtype=np.intp), grad)
        return unique, summed
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    unique = ordered[starts]
    k = unique.shape[0]
    summed = np.zeros((k,) + inner, dtype=grad.dtype)
    if k == n:
        summed += grad[order]
    else:
        pos = np.empty(n, dtype=np.intp)
        pos[order] = np.cumsum(starts) - 1  # each occurrence's distinct id, in the order of occurrence
        _add_at(summed, pos, grad)
    return unique, summed


def _add_at(out, pos, rows):
    """`out[pos] += rows` with repeats accumulating in order (the segment sum's scatter); one value per row
    goes through the 1-D scatter, a third of the 2-D one's cost (the same additions)."""
    if out.ndim == 2 and out.shape[1] == 1:
        out, rows = out.reshape(-1), rows.reshape(-1)
    if out.dtype not in _FLOAT_ADD_AT:
        scatter_kernels.scatter_add(np, out, pos, rows)
    elif out.ndim == 1:  # what scatter_add does for these, without its dispatch
        np.add.at(out, pos, rows)
    else:  # rows of several values (an embedding's): `pos` is in range, `out` fresh
        scatter_kernels.add_rows_at(out, pos, rows)


_FLOAT_ADD_AT = frozenset((np.dtype(np.float32), np.dtype(np.float64)))


def _make_sparse(update, ref_labels, grad_pos, attr_names, group=None):
    """`grad_pos`: the gradient's position among the value (non-ref) inputs; `indices` follow it.

    Returns (make, make_deduplicated): the op's kernel factory, and the factory of its fused step
    after `_fuse_deduplicated` (the same kernel given the raw gradient rows and indices, which it
    deduplicates first exactly as the skipped Unique and UnsortedSegmentSum ops do). `group`: the
    `StepGroup.make` that runs several such fused steps on numpy as one (`_ftrl_group`), offered by
    those whose attrs it covers (`group.covers(attrs)`).
    """
    n_refs = len(ref_labels)
    indices_pos = grad_pos + 1

    def build(op, ctx):
        store, xp = ctx.variables, ctx.xp
        names = _ref_names(op, n_refs)
        attrs = {k: op._attrs[k] for k in attr_names}

        def apply(values, distinct, deduplicate=False):
            """`deduplicate`: `values` hold raw (numpy, 1-D integer, non-empty) ids and their gradient rows,
            checked here as Unique's output would be, then summed by id (`_sum_rows_by_id`)."""
            refs = _lookup(store, names)
            var = refs[0]
            grad, indices = values[grad_pos], values[indices_pos]
            _check_sparse(var, refs[1:], ref_labels[1:], grad, indices, deduplicate)
            if deduplicate:
                values = list(values)
                indices, grad = values[indices_pos], values[grad_pos] = _sum_rows_by_id(indices, grad, var.shape[0])
            others = list(values[:indices_pos] + values[indices_pos + 1:])
            waves = None if distinct else _occurrence_waves(xp, indices)
            for wave in [None] if waves is None else waves:
                rows = indices if wave is None else indices[wave]
                others[grad_pos] = grad if wave is None else grad[wave]
                gathered = [ref.take(rows, axis=0) for ref in refs] if xp is np else [ref[rows] for ref in refs]
                update(xp, *gathered, *others, **attrs)
                for ref, new_rows in zip(refs, gathered, strict=True):
                    ref[rows] = new_rows
            return var

        return apply, xp

    def make(op, ctx):
        apply, _ = build(op, ctx)

        def kernel(*values):
            return apply(values, False)

        return kernel

    def make_deduplicated(op, ctx):
        apply, xp = build(op, ctx)
        out_idx = op._inputs[n_refs + indices_pos]._op._attrs["out_idx"]
        segment_op = op._inputs[n_refs + grad_pos]._op
        segments_dtype = segment_op._inputs[2]._dtype.as_numpy_dtype  # num_segments'
        flat = _gather_grad_reshapes(segment_op._inputs[0], op._inputs[n_refs + indices_pos]._op._inputs[0])

        def kernel(*values):
            values = raw_rows(values)
            ids, grad = values[indices_pos], values[grad_pos]
            if (xp is np and ids.ndim == 1 and ids.dtype.kind in "iu" and ids.shape[0]
                    and grad.ndim >= 1 and grad.shape[0] == ids.shape[0]):
                return apply(values, True, deduplicate=True)
            unique, idx = _unique_kernel(xp, values[indices_pos], out_idx)
            values[grad_pos] = _unsorted_segment_sum_kernel(xp, values[grad_pos], idx,
                                                            np.asarray(unique.shape[0], dtype=segments_dtype))
            values[indices_pos] = unique
            return apply(values, True)  # Unique's values are distinct: one wave

        def raw_rows(values):
            """The apply's value inputs with the raw ids and gradient rows as the skipped ops would read them."""
            values = list(values)
            if flat is not None:  # the gather gradient's reshapes (Size, ExpandDims, ConcatV2, Reshape x2)
                tail = values.pop()  # params' trailing dims: a 1-D vector of Size's dtype (checked when fused)
                indices, grad = values[indices_pos], values[grad_pos]
                size = indices.size  # the targets as host ints, as Reshape reads them
                if indices.ndim != 1:
                    values[indices_pos] = indices.reshape(size)  # what Reshape(ids, [size]) gives, never refused
                target = (size, *_host_ints(tail))
                if grad.shape != target:  # already that shape: Reshape would hand it on unchanged
                    if -1 not in target and grad.size == math.prod(target):
                        values[grad_pos] = grad.reshape(target)
                    else:  # Reshape's own errors (or its -1)
                        values[grad_pos] = _reshape_kernel(xp, grad, list(target))
            return values

        attrs = {k: op._attrs[k] for k in attr_names}
        if group is not None and xp is np and group.covers(attrs):
            n_values = len(op._inputs) - n_refs + (flat is not None)  # the fused step's value inputs
            member = _GroupMember(ctx.variables, _ref_names(op, n_refs), raw_rows, n_values, state=ctx.state)
            kernel.step_group = StepGroup(_ftrl_group_key(attrs, op._inputs[0]), member, group)
        return kernel

    return make, make_deduplicated


class _GroupMember(NamedTuple):
    """What a group of Ftrl updates needs of one of them: a fused sparse apply (`_make_sparse`'s
    `make_deduplicated`) or a dense ApplyFtrl (`dense`: every value of its variable is a row)."""

    store: dict  # the session's variables
    names: list  # the var's and its slots' VariableV2 names
    raw_rows: object  # values -> the value inputs with the raw ids and gradient rows (the skipped reshapes)
    n_values: int  # how many value inputs the step reads
    dense: bool = False
    attrs: dict | None = None  # a dense member's attrs (its update rule's keyword arguments)
    state: dict | None = None  # the session's kernel state: where a group's packed buffers are kept


def _packed_for(members) -> _Packed:
    """The packed buffers of these members' variables, one per session and set of variables: the plans
    running them (a training step's, the same step's with summaries) share it, so none packs them again."""
    key = ("estflow.training_ops.packed", tuple(n for m in members for n in m.names))
    state = members[0].state
    packed = state.get(key)
    if packed is None:
        packed = state[key] = _Packed(members)
    return packed


def _ftrl_group_key(attrs, var, dense=False) -> tuple:
    """The StepGroup key of an Ftrl update of `var` (a Tensor): one group per dtype and attrs and shape of a
    row, where rows of one value (a dense variable's values, a linear model's [n, 1] or [n] weights) are one
    kind."""
    row = () if dense else var.shape[1:].as_tuple() if var.shape.ndims else None
    if row is not None and None not in row and math.prod(row) == 1:
        row = "one value"
    return ("Ftrl", tuple(sorted(attrs.items())), var._dtype.base_dtype, row)


def _dense_group_key(op, attrs) -> tuple:
    return (op._type, tuple(sorted(attrs.items())), op._inputs[0]._dtype.base_dtype)


def _with_group(make, n_refs, group, key_of, attr_names):
    """A dense apply's kernel factory `make`, whose numpy kernels offer to join `group` (`key_of(op, attrs)`:
    their StepGroup key): a linear model's bias joins its columns' Ftrl group, a DNN's Adagrad updates theirs."""

    def make_grouped(op, ctx):
        kernel = make(op, ctx)
        attrs = {k: op._attrs[k] for k in attr_names}
        if ctx.xp is np and group.covers(attrs):
            member = _GroupMember(ctx.variables, _ref_names(op, n_refs), None, len(op._inputs) - n_refs, True, attrs,
                                  ctx.state)
            kernel.step_group = StepGroup(key_of(op, attrs), member, group)
        return kernel

    return make_grouped


# Grouped updates add the gradient rows into a table over all the members' rows: up to this many values.
_GROUP_TABLE = 1 << 18


def _split(values, counts) -> list:
    """A group kernel's inputs cut back into its members' (`counts`: how many each step reads)."""
    per, pos = [], 0
    for n in counts:
        per.append(values[pos:pos + n])
        pos += n
    return per


class _FtrlGroup:
    """`StepGroup.make` of Ftrl updates (numpy; `multiply_linear_by_lr` off): the fused sparse updates of
    several variables (a linear model's columns) and dense ApplyFtrl updates of variables whose rows hold
    one value (its bias) as one step with the same bits.

    Each member is checked as its own step checks it (TF's errors: shapes, ids in range, the
    hyperparameters). The members' variables and slots live in one buffer per kind (var, accum, linear),
    each variable's stored array a view of its part (`_Packed`): packed at the first run, packed again
    whenever some stored array is no longer that view (a restore, an assign of another shape). A
    member's raw ids, offset by the rows of the members before it (a dense member: all its rows), and
    its gradient rows go into one table over all the rows, where each row's sum is built as
    `_sum_rows_by_id` builds it (zeros, then the row's occurrences in order); the distinct rows are
    gathered from the three buffers and the Ftrl rule, elementwise with scalar hyperparameters, runs
    once over them: each row's new values are those its own step computes. Members whose
    hyperparameters differ, whose dtypes or row shapes differ, or any input the fast path does not cover
    send every member through its own kernel, in order.
    """

    @staticmethod
    def covers(attrs) -> bool:
        return not attrs["multiply_linear_by_lr"]

    def __call__(self, members, runners):
        counts = [m.n_values for m in members]
        packed = _packed_for(members)
        noted = [None]  # after a grouped step: what the next ones check instead of every member's inputs

        def kernel(*values):
            fast = noted[0]
            if fast is not None and fast["packed"] is packed.flats:  # (the usual step)
                ready = _ftrl_fast_inputs(fast, members, packed, values, counts)
                if ready is not None:
                    return _ftrl_group_update(packed, *ready)
            per = _split(values, counts)
            try:
                ready = _ftrl_group_inputs(members, per, packed)
            except Exception:  # noqa: BLE001 - each step's own kernel raises it, naming its op, in order
                ready = None
            if ready is None:
                return tuple(run(*v) for run, v in zip(runners, per, strict=True))
            refs_of, rows_of, *rest = ready
            if rows_of is not None:  # (outside the try: a failure here is estflow's, not the inputs')
                packed.pack(refs_of, rows_of)
            out = _ftrl_group_update(packed, *rest)
            noted[0] = _ftrl_fast_checks(members, packed, *rest[1:])
            return out

        return kernel


class _Packed:
    """The buffers a group's variables and slots live in, and each stored array's view of them."""

    def __init__(self, members):
        self.members = members
        self.views: list = []  # per member: the var's and its slots' stored arrays, views of `flats`
        self.flats: list = []  # var and each slot (Ftrl: accum, linear): every member's rows, one after another
        self.offsets = None  # the first row of each member in the buffers, and the number of rows after the last

    def pack(self, refs_of, rows_of) -> None:
        """Move the members' arrays into one buffer per kind and store views of it in their place (the same
        values: nothing reads the difference but identity). `rows_of`: each member's arrays as rows."""
        n = [rows[0].shape[0] for rows in rows_of]
        offsets = np.array([0, *itertools.accumulate(n)], dtype=np.int64)
        inner = rows_of[0][0].shape[1:]
        flats = [np.concatenate([rows[k] for rows in rows_of]) if len(rows_of) > 1 else rows_of[0][k].copy()
                 for k in range(len(rows_of[0]))]
        views = []
        for m, refs, lo, hi in zip(self.members, refs_of, offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
            member_views = []
            for name, ref, flat in zip(m.names, refs, flats, strict=True):
                view = flat[lo:hi].reshape(ref.shape) if inner == () else flat[lo:hi]
                m.store[name] = view
                member_views.append(view)
            views.append(member_views)
        self.views, self.flats, self.offsets = views, flats, offsets
        self.stored = [(m.store, name, view) for m, member_views in zip(self.members, views, strict=True)
                       for name, view in zip(m.names, member_views, strict=True)]

    def intact(self) -> bool:
        """Whether every stored array is still the view packed last (nothing restored or assigned another array)."""
        return all([store.get(name) is view for store, name, view in self.stored])


class _DenseGroup:
    """`StepGroup.make` of dense ApplyAdagrad steps (numpy): the updates of several variables (a DNN's
    kernels and biases: ten per canned step) as one step with the same bits.

    The members' variables and slots live in one buffer per kind, packed as the Ftrl group's
    (`_Packed`); their gradients, raveled and joined, go through the update rule once, in place over
    the buffers: the rule is elementwise with scalar hyperparameters, so each value gets what its own
    step gives it. Members whose hyperparameters differ (in bits), whose dtypes differ, or any input of
    another shape than its variable send every member through its own kernel, in order.
    """

    def __init__(self, update, grad_pos):
        self.update, self.grad_pos = update, grad_pos

    @staticmethod
    def covers(attrs) -> bool:
        return True

    def __call__(self, members, runners):
        counts = [m.n_values for m in members]
        packed = _packed_for(members)
        update, grad_pos = self.update, self.grad_pos
        attrs = members[0].attrs  # (one group: one op type and attrs)
        starts = list(itertools.accumulate([0, *counts[:-1]]))
        grad_at = [start + grad_pos for start in starts]  # each member's gradient among the group's inputs
        # each later member's hyperparameters beside the first's: the same arrays (one learning rate tensor)
        same = [(start + j, j) for start in starts[1:] for j in range(counts[0]) if j != grad_pos]
        buffered = update is _adagrad and attrs == {"update_slots": True} and grad_pos == 1 and counts[0] == 2
        noted = [None]  # after a packing: what a step whose inputs are as the last one's needs to check

        def kernel(*values):
            fast = noted[0]
            if fast is not None and fast["packed"] is packed.flats:  # (the usual step: identities and shapes)
                grads = [values[i] for i in grad_at]
                dtype = fast["dtype"]
                if (all([values[a] is values[b] for a, b in same])
                        and packed.intact()
                        and all([g.__class__ is np.ndarray and g.shape == shape and g.dtype == dtype
                                 for g, shape in zip(grads, fast["shapes"])])):
                    grad = np.concatenate([g.reshape(-1) for g in grads])  # (per call: plans may run in threads)
                    lr = values[0] if buffered else None
                    if lr.__class__ is np.ndarray and lr.dtype == dtype and lr.ndim == 0:
                        # _adagrad's arithmetic in the same order, in two buffers: the same bits
                        var, accum = packed.flats
                        temp = np.multiply(grad, grad)
                        accum += temp
                        np.multiply(grad, lr, out=grad)  # (the joined gradient is this step's own)
                        np.sqrt(accum, out=temp)
                        np.divide(grad, temp, out=grad)
                        var -= grad
                    else:
                        args = list(values[:counts[0]])
                        args[grad_pos] = grad
                        update(np, *packed.flats, *args, **attrs)
                    return fast["out"]
            per = _split(values, counts)
            ready = _dense_group_inputs(members, per, packed, grad_pos)
            if ready is None:
                return tuple(run(*v) for run, v in zip(runners, per, strict=True))
            refs_of, grads = ready
            if refs_of is not None:
                packed.pack(refs_of, [[r.reshape(-1) for r in refs] for refs in refs_of])
            args = list(per[0])
            args[grad_pos] = np.concatenate(grads) if len(grads) > 1 else grads[0]
            update(np, *packed.flats, *args, **attrs)
            out = tuple(views[0] for views in packed.views)
            noted[0] = _fast_checks(packed, out)
            return out

        return kernel


def _fast_checks(packed, out) -> dict:
    """What `_DenseGroup`'s kernel checks on later steps to skip `_dense_group_inputs`: the stored arrays are
    still the packed views, the gradients have the variables' shapes and dtype, and the later members'
    hyperparameters are the first member's very arrays."""
    return {"packed": packed.flats, "out": out,
            "shapes": [views[0].shape for views in packed.views], "dtype": packed.flats[0].dtype}


def _dense_group_inputs(members, per, packed, grad_pos):
    """(the stored arrays where they must be packed (again), else None; the raveled gradients), or None
    when some member's inputs are not for the grouped update (its own step says what is wrong)."""
    views_of = packed.views if len(packed.views) == len(members) else None
    current = views_of is not None
    refs_of, grads = [], []
    first = per[0]
    others = [j for j in range(len(first)) if j != grad_pos]  # the hyperparameters' positions
    dtype = None
    for i, (m, values) in enumerate(zip(members, per, strict=True)):
        refs = list(map(m.store.get, m.names))
        if current:
            current = all(map(operator.is_, refs, views_of[i]))
        if not current and any(r.__class__ is not np.ndarray for r in refs):
            return None
        var = refs[0]
        if dtype is None:
            dtype = var.dtype
        grad = values[grad_pos]
        if grad.__class__ is not np.ndarray or grad.shape != var.shape or grad.dtype != dtype:
            return None
        if not current and any(r.shape != var.shape or r.dtype != dtype for r in refs):
            return None
        for j in others if i else ():
            v, f = values[j], first[j]
            if v is not f and (v.__class__ is not np.ndarray or v.dtype != f.dtype or v.shape != f.shape
                               or v.tobytes() != f.tobytes()):
                return None
        refs_of.append(refs)
        grads.append(grad.reshape(-1))
    return (None if current else refs_of), grads


def _ftrl_group_inputs(members, per, packed):
    """(the members' stored arrays, the same as rows where they must be packed (else None), the ids offset
    into one table of all rows, the gradient rows, hyperparameters, floats), or None when some member's
    inputs are not for the grouped update.
    Where every row holds one value (a linear model's [n, 1] weights, a dense member's whole variable:
    `_GroupMember.dense`) rows are those values, 1-D. Changes nothing; raises what a member's own step
    would raise (its caller then runs the steps one by one, which raise it in their order)."""
    refs_of, ids_of, grads_of = [], [], []
    first = None
    views_of = packed.views if len(packed.views) == len(members) else None
    current = views_of is not None  # every stored array so far is the view packed last: shapes and dtypes known
    for i, (m, values) in enumerate(zip(members, per, strict=True)):
        store, names = m.store, m.names
        refs = [store.get(names[0]), store.get(names[1]), store.get(names[2])]
        if current:
            views = views_of[i]
            current = refs[0] is views[0] and refs[1] is views[1] and refs[2] is views[2]
        if not current and any(r.__class__ is not np.ndarray for r in refs):
            return None  # an uninitialized variable: its own step says which
        var = refs[0]
        shape = var.shape
        if not current and not (refs[1].shape == shape and refs[2].shape == shape):
            return None  # its own step says what is wrong
        if m.dense:  # ApplyFtrl: every value of the variable is a row of its own
            grad, *hyper = values
            if grad.__class__ is not np.ndarray or grad.shape != shape:
                return None
            ids = None
            row = ()
        else:
            grad, ids, *hyper = m.raw_rows(values)
            if not (ids.__class__ is np.ndarray and grad.__class__ is np.ndarray and ids.ndim == 1
                    and ids.dtype.kind in "iu" and ids.shape[0] and grad.ndim >= 1
                    and grad.shape[0] == ids.shape[0] and shape and grad.shape[1:] == shape[1:]):
                return None
            row = shape[1:]  # (the ids' range: below, all at once)
            if math.prod(row) == 1:
                row = ()
        if first is None:
            first = ((float(hyper[0]), *_check_ftrl_hyperparameters(*hyper)), var.dtype, row, hyper,
                     [h.tobytes() for h in hyper])
        elif var.dtype != first[1] or row != first[2] or any(
                h is not h0 and h.tobytes() != b0 for h, h0, b0 in zip(hyper, first[3], first[4], strict=True)):
            return None  # (the same bits as the first member's: the same floats, checked once)
        if grad.dtype != first[1] or not current and (refs[1].dtype != first[1] or refs[2].dtype != first[1]):
            return None
        if not row:  # one value per row: rows of the raveled arrays
            grad = grad.reshape(-1)
            if ids is None:
                ids = np.arange(grad.shape[0])
        refs_of.append(refs)
        ids_of.append(ids)
        grads_of.append(grad)
    row = first[2]
    rows_of = None  # the arrays as rows, where they must be packed (again)
    if current:
        offsets = packed.offsets
    else:
        rows_of = [[r.reshape(-1) for r in refs] if not row else refs for refs in refs_of]
        offsets = np.array([0, *itertools.accumulate(rows[0].shape[0] for rows in rows_of)], dtype=np.int64)
    if int(offsets[-1]) * math.prod(row) > _GROUP_TABLE:
        return None
    ids = _table_ids(ids_of, offsets)
    if ids is None:
        return None
    return refs_of, rows_of, ids, grads_of, first[3], first[0][1:]


def _table_ids(ids_of, offsets):
    """The members' ids as rows of the one table over all their rows (each after the rows of the members before
    it), or None when some id is out of its variable's range (its own step says which)."""
    counts = [ids.shape[0] for ids in ids_of]
    ids = np.concatenate(ids_of).astype(np.int64, copy=False)
    starts = offsets[:-1].repeat(counts)
    if not (ids.view(np.uint64) < offsets[1:].repeat(counts) - starts).all():
        return None
    ids += starts
    return ids


def _ftrl_fast_checks(members, packed, grads_of, hyper, floats) -> dict:
    """What `_FtrlGroup`'s kernel checks on later steps to skip `_ftrl_group_inputs` (whose result for this
    step gave `grads_of`, `hyper`, `floats`): the stored arrays are still the packed views (so shapes and
    dtypes are known), every member's hyperparameters are the very arrays checked here, and each gradient
    (and its ids) fits its variable as that function requires."""
    shapes = [views[0].shape for views in packed.views]
    return {"packed": packed.flats, "offsets": packed.offsets, "hyper": hyper, "floats": floats,
            "dtype": packed.flats[0].dtype, "row": grads_of[0].shape[1:],  # (() where rows are single values)
            "shapes": shapes,
            "dense_ids": [np.arange(math.prod(shape)) if m.dense else None
                          for m, shape in zip(members, shapes, strict=True)]}


def _ftrl_fast_inputs(fast, members, packed, values, counts):
    """`_ftrl_group_inputs`' (ids, gradient rows, hyperparameters, floats) for a step after `_ftrl_fast_checks`,
    or None where its checks do not hold (then that function decides)."""
    if not packed.intact():
        return None
    hyper0, dtype, row = fast["hyper"], fast["dtype"], fast["row"]
    ids_of, grads_of = [], []
    pos = 0
    for m, n, shape, dense_ids in zip(members, counts, fast["shapes"], fast["dense_ids"], strict=True):
        given = values[pos:pos + n]
        pos += n
        if m.dense:
            grad, *hyper = given
            if grad.__class__ is not np.ndarray or grad.shape != shape or grad.dtype != dtype:
                return None
            ids = dense_ids
        else:
            try:
                grad, ids, *hyper = m.raw_rows(given)
            except Exception:  # noqa: BLE001 - the full checks, then the member's own step, say what
                return None
            if not (ids.__class__ is np.ndarray and grad.__class__ is np.ndarray and ids.ndim == 1
                    and ids.dtype.kind in "iu" and ids.shape[0] and grad.ndim >= 1 and grad.shape[0] == ids.shape[0]
                    and grad.shape[1:] == shape[1:] and grad.dtype == dtype):
                return None
        if len(hyper) != len(hyper0) or not all([h is h0 for h, h0 in zip(hyper, hyper0)]):
            return None
        ids_of.append(ids)
        grads_of.append(grad if row else grad.reshape(-1))
    ids = _table_ids(ids_of, fast["offsets"])
    return None if ids is None else (ids, grads_of, hyper0, fast["floats"])


def _ftrl_group_update(packed, ids, grads_of, hyper, floats):
    """The grouped update (see `_FtrlGroup`); returns each member's variable (its stored array, a view of
    the packed buffers)."""
    grad = np.concatenate(grads_of)
    inner, dtype = grad.shape[1:], grad.dtype
    total = int(packed.offsets[-1])
    full = np.zeros((total,) + inner, dtype=dtype)  # _sum_rows_by_id's table, over all the members' rows
    _add_at(full, ids, grad)
    mark = np.zeros(total, dtype=bool)
    mark[ids] = True
    unique = mark.nonzero()[0]
    summed = full.take(unique, axis=0)
    flats = packed.flats
    gathered = [flat.take(unique, axis=0) for flat in flats]
    lr, l1, l2, lr_power = hyper
    _ftrl_update(np, *gathered, summed, lr, l1, l2, lr_power, summed, False, floats)
    for flat, rows in zip(flats, gathered, strict=True):
        flat[unique] = rows
    return tuple(views[0] for views in packed.views)


def _constant(t):
    """The value of `t` when a Const op makes it, else None."""
    op = t._op
    return op._attrs.get("value") if op._type == "Const" else None


def _first_element(t, of) -> bool:
    """Whether `t` is `of[0]` taken by StridedSlice (TF's `array_ops.shape(x)[0]`)."""
    op = t._op
    if op._type != "StridedSlice" or op._inputs[0] is not of:
        return False
    if any(op._attrs.get(k, 0) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask")):
        return False
    if op._attrs.get("shrink_axis_mask") != 1:
        return False
    begin, end, strides = (_constant(x) for x in op._inputs[1:])
    return (begin is not None and end is not None and strides is not None
            and [int(v) for v in np.ravel(begin)] == [0] and [int(v) for v in np.ravel(end)] == [1]
            and [int(v) for v in np.ravel(strides)] == [1])


def _gather_grad_reshapes(data, indices):
    """(values, indices, tail, size) when `data` and `indices` are the flat rows and ids that GatherV2's
    gradient builds, `Reshape(values, ConcatV2([ExpandDims(Size(ids), 0), tail], 0))` and
    `Reshape(ids, ExpandDims(Size(ids), 0))`, with nothing else reading them; else None."""
    reshape, flat = data._op, indices._op
    if reshape._type != "Reshape" or flat._type != "Reshape" or len(data._consumers) != 1:
        return None
    shape, expanded = reshape._inputs[1], flat._inputs[1]
    concat = shape._op
    if concat._type != "ConcatV2" or len(concat._inputs) != 3 or concat._inputs[0] is not expanded:
        return None
    expand = expanded._op
    if expand._type != "ExpandDims" or len(shape._consumers) != 1 or len(expanded._consumers) != 2:
        return None
    size = expand._inputs[0]
    if size._op._type != "Size" or size._op._inputs[0] is not flat._inputs[0] or len(size._consumers) != 1:
        return None
    axis, dim, tail = _constant(concat._inputs[2]), _constant(expand._inputs[1]), concat._inputs[1]
    if axis is None or dim is None or int(axis) != 0 or int(dim) != 0 or tail._dtype != size._dtype:
        return None
    if tail.shape.ndims != 1:  # ConcatV2 would refuse anything but a vector: the fused step must never accept it
        return None
    if any(o._control_inputs or o._device != reshape._device for o in (flat, concat, expand, size._op)):
        return None
    return reshape._inputs[0], flat._inputs[0], tail, size


def _fuse_deduplicated(n_refs, grad_pos, make_deduplicated):
    """OpDef.fuse of a sparse apply fed by TF's `_deduplicate_indexed_slices`.

    Optimizer._apply_sparse_duplicate_indices builds, for each sparse variable,
    `unique, idx = Unique(indices)`, `summed = UnsortedSegmentSum(values, idx, Shape(unique)[0])`
    and applies `summed` at `unique`: four ops and a shape chain whose results only this apply
    reads. The plan runs them as one step (the variable's update from the raw rows), computing
    the same values with the same kernels; the graph keeps TF's ops. Offered only when nothing
    else reads those tensors, none of their ops has a control input and all sit on one device.
    """
    indices_pos = grad_pos + 1

    def fuse(op):
        inputs = op._inputs
        summed, unique = inputs[n_refs + grad_pos], inputs[n_refs + indices_pos]
        unique_op, segment_op = unique._op, summed._op
        if unique_op._type != "Unique" or unique._value_index != 0 or segment_op._type != "UnsortedSegmentSum":
            return None
        data, idx, num = segment_op._inputs
        if idx._op is not unique_op or idx._value_index != 1 or len(summed._consumers) != 1:
            return None
        shape = num._op._inputs[0] if num._op._inputs else None
        if shape is None or shape._op._type != "Shape" or shape._op._inputs[0] is not unique:
            return None
        if not _first_element(num, shape) or len(num._consumers) != 1 or len(shape._consumers) != 1:
            return None
        if len(unique._consumers) != 2 or len(idx._consumers) != 1:  # the Shape and this op; the segment sum
            return None
        chain = (unique_op, segment_op, num._op, shape._op)
        if any(o._control_inputs or o._device != op._device for o in chain):
            return None
        fused = list(inputs)
        raw = unique_op._inputs[0]
        skipped = [summed, unique, idx, num, shape]
        flat = _gather_grad_reshapes(data, raw)
        if flat is not None:  # the rows and ids as the gather gradient had them, before its reshapes
            values, ids, tail, size = flat
            skipped += [data, raw, data._op._inputs[1], raw._op._inputs[1], size]
            data, raw = values, ids
            fused.append(tail)
        fused[n_refs + grad_pos], fused[n_refs + indices_pos] = data, raw
        return Fusion(tuple(fused), None, tuple(skipped), make_kernel=make_deduplicated)

    return fuse


def _check_sparse(var, slots, slot_labels, grad, indices, raw=False):
    """TF's checks of a sparse apply's inputs. `raw`: `indices` are the ids before Unique (which has the
    same distinct ids); the out-of-range error then names the offset that Unique's output would give."""
    shape = var.shape
    for label, ref in zip(slot_labels, slots, strict=True):
        if ref.shape != shape:
            raise errors.InvalidArgumentError(
                None, None, f"var and {label} do not have the same shape{_shape_str(shape)} "
                            f"{_shape_str(ref.shape)}")
    if not shape:
        raise errors.InvalidArgumentError(None, None, "var must be at least 1 dimensional")
    if indices.ndim != 1:
        raise errors.InvalidArgumentError(None, None, "indices must be one-dimensional")
    if grad.shape[1:] != shape[1:]:  # the usual case passes here without the loop over dimensions
        for d in range(1, len(shape)):
            if grad.ndim <= d or shape[d] != grad.shape[d]:
                raise errors.InvalidArgumentError(None, None, f"var and grad must match in dimension {d}")
    if grad.ndim < 1 or grad.shape[0] != indices.shape[0]:
        raise errors.InvalidArgumentError(None, None,
                                          "grad must be the same size as indices in the first dimension.")
    if not indices.size:
        return
    n_rows = var.shape[0]
    unsigned = _UNSIGNED.get(indices.dtype) if indices.__class__ is np.ndarray and n_rows < 2 ** 31 else None
    if unsigned is not None:  # one reduction: a negative id read as unsigned is at least 2**31
        if int(_max_reduce(indices.view(unsigned))) < n_rows:
            return
    elif int(indices.min()) >= 0 and int(indices.max()) < n_rows:  # two reductions
        return
    bad = (indices < 0) | (indices >= n_rows)
    if bool(bad.any()):
        offset = int(bad.nonzero()[0][0])
        value = int(indices[offset])
        if raw:  # the first bad id occurs there first: Unique's output has it after the distinct ids before it
            offset = len(set(indices[:offset].tolist()))
        raise errors.InvalidArgumentError(None, None, f"Index {value} at offset {offset} in indices is out of range")


_max_reduce = np.maximum.reduce  # ndarray.max without its two Python layers
_UNSIGNED = {np.dtype(np.int64): np.dtype(np.uint64), np.dtype(np.int32): np.dtype(np.uint32),
             np.dtype(np.uint64): np.dtype(np.uint64), np.dtype(np.uint32): np.dtype(np.uint32)}


# ---- shape inference -----------------------------------------------------------------------------------
def _make_infer(input_names, n_refs, grad_pos, indices_pos, int_inputs):
    scalar_pos = [i for i in range(n_refs, len(input_names))
                  if i not in (grad_pos, indices_pos)]

    def infer(*specs, **_attrs):
        var = specs[0]
        shape = var.shape
        for spec in specs[1:n_refs]:
            shape = _merge(shape, spec.shape)
        grad = specs[grad_pos].shape
        if indices_pos is None:
            shape = _merge(shape, grad)
        else:
            if shape.ndims == 0:
                raise ValueError("Shape must be at least rank 1 but is rank 0")
            indices = specs[indices_pos].shape.with_rank(1) if specs[indices_pos].shape.ndims is not None \
                else TensorShape([None])
            if grad.ndims is not None and shape.ndims is not None:
                _merge(TensorShape(shape.as_tuple()[1:]), TensorShape(grad.as_tuple()[1:]))
                _merge(TensorShape(grad.as_tuple()[:1]), indices)
        for i in scalar_pos:
            rank = specs[i].shape.ndims
            if rank not in (None, 0):
                raise ValueError(f"Shape must be rank 0 but is rank {rank} (input '{input_names[i]}')")
        for i in int_inputs:
            if not specs[i].dtype.is_integer:
                raise TypeError(f"Input '{input_names[i]}' must be an integer tensor, got {specs[i].dtype.name}")
        return TensorSpec(shape, var.dtype)

    return infer


def _merge(a: TensorShape, b: TensorShape) -> TensorShape:
    if a.ndims is not None and b.ndims is not None and a.ndims != b.ndims:
        raise ValueError(f"Shapes must be equal rank, but are {a.ndims} and {b.ndims}")
    if not a.is_compatible_with(b):
        raise ValueError(f"Dimensions must be equal, but are {a} and {b}")
    return a.merge_with(b)


# ---- the op table ----------------------------------------------------------------------------------------
# name, inputs in TF's order (the first `refs` are ref inputs), update rule, extra attrs with defaults.
_OPS = (
    ("ApplyGradientDescent", ("var", "alpha", "delta"), 1, _gradient_descent, {}),
    ("ApplyProximalGradientDescent", ("var", "alpha", "l1", "l2", "delta"), 1, _proximal_gradient_descent, {}),
    ("ApplyAdagrad", ("var", "accum", "lr", "grad"), 2, _adagrad, {"update_slots": True}),
    ("ApplyProximalAdagrad", ("var", "accum", "lr", "l1", "l2", "grad"), 2, _proximal_adagrad, {}),
    ("ApplyAdagradDA", ("var", "gradient_accumulator", "gradient_squared_accumulator", "grad", "lr", "l1", "l2",
                        "global_step"), 3, _adagrad_da, {}),
    ("ApplyAdadelta", ("var", "accum", "accum_update", "lr", "rho", "epsilon", "grad"), 3, _adadelta, {}),
    ("ApplyMomentum", ("var", "accum", "lr", "grad", "momentum"), 2, _momentum, {"use_nesterov": False}),
    ("ApplyAdam", ("var", "m", "v", "beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon", "grad"), 3,
     _adam, {"use_nesterov": False}),
    ("ApplyRMSProp", ("var", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"), 3, _rms_prop, {}),
    ("ApplyCenteredRMSProp", ("var", "mg", "ms", "mom", "lr", "rho", "momentum", "epsilon", "grad"), 4,
     _centered_rms_prop, {}),
    ("ApplyFtrl", ("var", "accum", "linear", "grad", "lr", "l1", "l2", "lr_power"), 3, _ftrl,
     {"multiply_linear_by_lr": False}),
    ("ApplyFtrlV2", ("var", "accum", "linear", "grad", "lr", "l1", "l2", "l2_shrinkage", "lr_power"), 3, _ftrl_v2,
     {"multiply_linear_by_lr": False}),
)

# Sparse variants: the dense op's inputs with `indices` right after the gradient (TF's layout).
# TF has no SparseApplyGradientDescent (sparse SGD is a ScatterSub) and no SparseApplyAdam.
_SPARSE = ("ApplyProximalGradientDescent", "ApplyAdagrad", "ApplyProximalAdagrad", "ApplyAdagradDA",
           "ApplyAdadelta", "ApplyMomentum", "ApplyRMSProp", "ApplyCenteredRMSProp", "ApplyFtrl", "ApplyFtrlV2")


def _register(op_type, input_names, n_refs, update, extra_attrs, sparse):
    grad_pos = input_names.index("grad") if "grad" in input_names else input_names.index("delta")
    indices_pos = None
    if sparse:  # TF's sparse ops call the gradient "grad" even where the dense op says "delta"
        input_names = input_names[:grad_pos] + ("grad", "indices") + input_names[grad_pos + 1:]
        indices_pos = grad_pos + 1
    int_inputs = tuple(i for i in (indices_pos, _index_of(input_names, "global_step")) if i is not None)
    floats = tuple(i for i in range(len(input_names)) if i not in int_inputs)
    args = tuple(f"{n}: Ref(T)" if i < n_refs else f"{n}: Tindices" if i == indices_pos
                 else f"{n}: int64" if n == "global_step" else f"{n}: T" for i, n in enumerate(input_names))
    attr_types = {"T": "type", **({"Tindices": "type"} if sparse else {}), "use_locking": "bool",
                  **dict.fromkeys(extra_attrs, "bool")}
    # The kernels see the value inputs only (refs are read from the session), so positions shift by n_refs.
    fuse = None
    if sparse:
        group = _FtrlGroup() if op_type == "SparseApplyFtrl" else None
        make, make_deduplicated = _make_sparse(update, input_names[:n_refs], grad_pos - n_refs, tuple(extra_attrs),
                                               group)
        fuse = _fuse_deduplicated(n_refs, grad_pos - n_refs, make_deduplicated)
    else:
        make = _make_dense(update, input_names[:n_refs], grad_pos - n_refs, tuple(extra_attrs))
        if op_type == "ApplyFtrl":  # a linear model's bias: one step with its columns' sparse updates
            make = _with_group(make, n_refs, _FtrlGroup(),
                               lambda op, attrs: _ftrl_group_key(attrs, op._inputs[0], dense=True), tuple(extra_attrs))
        elif op_type == "ApplyAdagrad":  # a DNN's kernels and biases: one step
            make = _with_group(make, n_refs, _DenseGroup(update, grad_pos - n_refs),
                               _dense_group_key,
                               tuple(extra_attrs))
    register(OpDef(
        op_type,
        infer=_make_infer(input_names, n_refs, grad_pos, indices_pos, int_inputs),
        make_kernel=make,
        grad=None,
        attrs={"use_locking": False, **extra_attrs},
        same_dtype=floats,
        ref_inputs=tuple(range(n_refs)),
        differentiable=False,
        input_names=args,
        output_names=("out: Ref(T)",),
        attr_types=attr_types,
        writes_refs=True,
        fuse=fuse,
    ))
    _make_function(op_type, input_names, n_refs, extra_attrs)


def _index_of(names, name):
    return names.index(name) if name in names else None


# ---- Python wrappers (TF's gen_training_ops names: apply_adam, sparse_apply_ftrl, ...) ----------------------
_FUNCTIONS: dict = {}


def _snake(op_type: str) -> str:
    out = []
    for i, c in enumerate(op_type):
        if c.isupper() and i and (not op_type[i - 1].isupper() or (i + 1 < len(op_type) and op_type[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def _as_ref(x):
    return x._ref() if hasattr(x, "_ref") and callable(x._ref) else x


def _make_function(op_type, input_names, n_refs, extra_attrs):
    def function(*args, use_locking=False, name=None, **kwargs):
        values = list(args)
        for input_name in input_names[len(args):]:
            if input_name not in kwargs:
                raise TypeError(f"{fn_name}() missing required argument '{input_name}'")
            values.append(kwargs.pop(input_name))
        if len(values) != len(input_names):
            raise TypeError(f"{fn_name}() takes {len(input_names)} inputs {list(input_names)}, got {len(values)}")
        unknown = set(kwargs) - set(extra_attrs)
        if unknown:
            raise TypeError(f"{fn_name}() got unexpected arguments {sorted(unknown)}")
        values[:n_refs] = [_as_ref(v) for v in values[:n_refs]]
        return apply_op(op_type, *values, name=name or op_type, use_locking=use_locking, **kwargs)

    fn_name = _snake(op_type)
    function.__name__ = function.__qualname__ = fn_name
    attrs = "".join(f", {k}={v!r}" for k, v in extra_attrs.items())
    function.__doc__ = (f"Build a `{op_type}` op: `{fn_name}({', '.join(input_names)}, use_locking=False{attrs}, "
                        f"name=None)`; returns the updated variable.")
    _FUNCTIONS[fn_name] = function


for _op_type, _inputs, _n_refs, _update, _attrs in _OPS:
    _register(_op_type, _inputs, _n_refs, _update, _attrs, sparse=False)
    if _op_type in _SPARSE:
        _register("Sparse" + _op_type, _inputs, _n_refs, _update, _attrs, sparse=True)

apply_gradient_descent = _FUNCTIONS["apply_gradient_descent"]
apply_proximal_gradient_descent = _FUNCTIONS["apply_proximal_gradient_descent"]
apply_adagrad = _FUNCTIONS["apply_adagrad"]
apply_proximal_adagrad = _FUNCTIONS["apply_proximal_adagrad"]
apply_adagrad_da = _FUNCTIONS["apply_adagrad_da"]
apply_adadelta = _FUNCTIONS["apply_adadelta"]
apply_momentum = _FUNCTIONS["apply_momentum"]
apply_adam = _FUNCTIONS["apply_adam"]
apply_rms_prop = _FUNCTIONS["apply_rms_prop"]
apply_centered_rms_prop = _FUNCTIONS["apply_centered_rms_prop"]
apply_ftrl = _FUNCTIONS["apply_ftrl"]
apply_ftrl_v2 = _FUNCTIONS["apply_ftrl_v2"]
sparse_apply_proximal_gradient_descent = _FUNCTIONS["sparse_apply_proximal_gradient_descent"]
sparse_apply_adagrad = _FUNCTIONS["sparse_apply_adagrad"]
sparse_apply_proximal_adagrad = _FUNCTIONS["sparse_apply_proximal_adagrad"]
sparse_apply_adagrad_da = _FUNCTIONS["sparse_apply_adagrad_da"]
sparse_apply_adadelta = _FUNCTIONS["sparse_apply_adadelta"]
sparse_apply_momentum = _FUNCTIONS["sparse_apply_momentum"]
sparse_apply_rms_prop = _FUNCTIONS["sparse_apply_rms_prop"]
sparse_apply_centered_rms_prop = _FUNCTIONS["sparse_apply_centered_rms_prop"]
sparse_apply_ftrl = _FUNCTIONS["sparse_apply_ftrl"]
sparse_apply_ftrl_v2 = _FUNCTIONS["sparse_apply_ftrl_v2"]

__all__ = sorted(_FUNCTIONS)
