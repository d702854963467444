"""Learning-rate schedules of the global step, as TF1's `tf.train.*_decay` functions.

Each builds graph ops from a `global_step` tensor (or variable) and returns the decayed
learning rate as a scalar tensor, recomputed on every `Session.run`:

    step = tf.train.get_or_create_global_step()
    lr = tf.train.exponential_decay(0.1, step, decay_steps=1000, decay_rate=0.96, staircase=True)
    train_op = tf.train.GradientDescentOptimizer(lr).minimize(loss, global_step=step)

The step is cast to the learning rate's dtype (float32 for a Python float) before any
arithmetic, and the final op of each schedule is named after it ("ExponentialDecay",
"PolynomialDecay", ...) unless `name` is given, as in TF1.
"""

from __future__ import annotations

import math

from estflow.core import dtypes
from estflow.core.graph import name_scope
from estflow.core.ops import cast_ops, comparison_ops, math_ops, random_ops, unary_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import apply_op


def _require_step(global_step, function: str) -> None:
    if global_step is None:
        raise ValueError(f"global_step is required for {function}.")


def _start(learning_rate, global_step, *others):
    """(learning_rate tensor, step as its dtype, others cast to its dtype)."""
    learning_rate = convert_to_tensor(learning_rate, name="learning_rate")
    dtype = learning_rate.dtype
    step = cast_ops.cast(global_step, dtype)
    return (learning_rate, step) + tuple(cast_ops.cast(x, dtype) for x in others)


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate * decay_rate ^ (global_step / decay_steps); an integer exponent if `staircase`."""
    _require_step(global_step, "exponential_decay")
    with name_scope(name, "ExponentialDecay", [learning_rate, global_step, decay_steps, decay_rate]) as scope:
        return _exponential(learning_rate, global_step, decay_steps, decay_rate, staircase, scope)


def _exponential(learning_rate, global_step, decay_steps, decay_rate, staircase, scope):
    learning_rate, step, decay_steps, decay_rate = _start(learning_rate, global_step, decay_steps, decay_rate)
    p = step / decay_steps
    if staircase:
        p = unary_ops.floor(p)
    return apply_op("Mul", learning_rate, math_ops.pow(decay_rate, p), name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate * exp(-decay_rate * global_step / decay_steps) (TF1 builds it as exponential decay
    with rate exp(-decay_rate))."""
    _require_step(global_step, "natural_exp_decay")
    natural_exp_rate = unary_ops.exp(unary_ops.negative(decay_rate))
    with name_scope(name, "ExponentialDecay", [learning_rate, global_step, decay_steps, decay_rate]) as scope:
        return _exponential(learning_rate, global_step, decay_steps, natural_exp_rate, staircase, scope)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate / (1 + decay_rate * global_step / decay_steps); floored ratio if `staircase`."""
    _require_step(global_step, "inverse_time_decay")
    with name_scope(name, "InverseTimeDecay", [learning_rate, global_step, decay_rate]) as scope:
        learning_rate, step, decay_steps, decay_rate = _start(learning_rate, global_step, decay_steps, decay_rate)
        p = step / decay_steps
        if staircase:
            p = unary_ops.floor(p)
        denominator = math_ops.add(cast_ops.cast(1, learning_rate.dtype), math_ops.multiply(decay_rate, p))
        return apply_op("RealDiv", learning_rate, denominator, name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                     name=None):
    """(learning_rate - end) * (1 - step / decay_steps) ^ power + end, holding `end` after `decay_steps`.

    With `cycle`, decay_steps grows to the first multiple of itself at or above the step
    (so the rate jumps back up and decays again) instead.
    """
    _require_step(global_step, "polynomial_decay")
    with name_scope(name, "PolynomialDecay",
                    [learning_rate, global_step, decay_steps, end_learning_rate, power]) as scope:
        learning_rate, step, decay_steps, end_learning_rate, power = _start(
            learning_rate, global_step, decay_steps, end_learning_rate, power)
        if cycle:
            # The first multiple of decay_steps at or above the step; 1 at step 0.
            multiplier = comparison_ops.where_v2(comparison_ops.equal(step, 0), cast_ops.cast(1.0, learning_rate.dtype),
                                                 unary_ops.ceil(step / decay_steps))
            decay_steps = math_ops.multiply(decay_steps, multiplier)
        else:
            step = math_ops.minimum(step, decay_steps)
        p = step / decay_steps
        decayed = math_ops.multiply(learning_rate - end_learning_rate, math_ops.pow(1 - p, power))
        return apply_op("AddV2", decayed, end_learning_rate, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """values[0] while x <= boundaries[0], values[i] while boundaries[i-1] < x <= boundaries[i], then values[-1].

        lr = tf.train.piecewise_constant(step, [1000, 2000], [1.0, 0.5, 0.1])
    """
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    with name_scope(name, "PiecewiseConstant", [x, *boundaries, *values]) as scope:
        x = convert_to_tensor(x)
        boundaries = [_boundary(convert_to_tensor(b), x) for b in boundaries]
        values = [convert_to_tensor(v) for v in values]
        for v in values[1:]:
            if v.dtype.base_dtype != values[0].dtype.base_dtype:
                raise ValueError(f"Values must have elements all with the same dtype "
                                 f"({values[0].dtype.base_dtype.name} vs {v.dtype.base_dtype.name}).")
        # Chosen from the last interval down: exactly one of TF's mutually exclusive cases holds.
        result = values[-1]
        for i in range(len(boundaries) - 1, -1, -1):
            last = i == 0
            result = apply_op("SelectV2", comparison_ops.less_equal(x, boundaries[i]), values[i], result,
                              name=scope if last else "SelectV2")
        return result


def _boundary(b, x):
    if b.dtype.base_dtype == x.dtype.base_dtype:
        return b
    if b.dtype.base_dtype == dtypes.int32 and x.dtype.base_dtype == dtypes.int64:
        return cast_ops.cast(b, dtypes.int64)  # Python ints come as int32; widening them loses nothing
    raise ValueError(f"Boundaries ({b.dtype.base_dtype.name}) must have the same dtype as x "
                     f"({x.dtype.base_dtype.name}).")


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)."""
    _require_step(global_step, "cosine_decay")
    with name_scope(name, "CosineDecay", [learning_rate, global_step]) as scope:
        learning_rate, step, decay_steps = _start(learning_rate, global_step, decay_steps)
        step = math_ops.minimum(step, decay_steps)
        completed_fraction = step / decay_steps
        cosine_decayed = 0.5 * (1.0 + unary_ops.cos(math.pi * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return apply_op("Mul", learning_rate, decayed, name=scope)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                          name=None):
    """Cosine decay with warm restarts (SGDR): period i lasts first_decay_steps * t_mul^i steps and
    starts from learning_rate * m_mul^i."""
    _require_step(global_step, "cosine_decay_restarts")
    with name_scope(name, "SGDRDecay", [learning_rate, global_step]) as scope:
        learning_rate, step, first_decay_steps = _start(learning_rate, global_step, first_decay_steps)
        dtype = learning_rate.dtype
        alpha, t_mul, m_mul = (cast_ops.cast(v, dtype) for v in (alpha, t_mul, m_mul))
        completed_fraction = step / first_decay_steps
        i_restart, completed_fraction = _restart_position(completed_fraction, t_mul)
        m_fac = math_ops.pow(m_mul, i_restart)
        cosine_decayed = 0.5 * m_fac * (1.0 + unary_ops.cos(math.pi * completed_fraction))
        decayed = (1 - alpha) * cosine_decayed + alpha
        return apply_op("Mul", learning_rate, decayed, name=scope)


def _restart_position(completed_fraction, t_mul):
    """(index of the current period, fraction of it completed), for periods growing by t_mul."""
    def equal_periods():
        i_restart = unary_ops.floor(completed_fraction)
        return i_restart, completed_fraction - i_restart

    def growing_periods():
        i_restart = unary_ops.floor(unary_ops.log(1.0 - completed_fraction * (1.0 - t_mul)) / unary_ops.log(t_mul))
        sum_r = (1.0 - math_ops.pow(t_mul, i_restart)) / (1.0 - t_mul)
        return i_restart, (completed_fraction - sum_r) / math_ops.pow(t_mul, i_restart)

    known = t_mul._const_value
    if known is not None:  # TF1 picks the branch with a cond; a constant t_mul picks it now
        return equal_periods() if float(known) == 1.0 else growing_periods()
    is_one = comparison_ops.equal(t_mul, 1.0)
    (i_equal, f_equal), (i_growing, f_growing) = equal_periods(), growing_periods()
    return comparison_ops.where_v2(is_one, i_equal, i_growing), comparison_ops.where_v2(is_one, f_equal, f_growing)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001, name=None):
    """learning_rate * ((alpha + linear) * cosine + beta), linear falling from 1 to 0 over decay_steps and
    cosine covering `num_periods` periods."""
    _require_step(global_step, "linear_cosine_decay")
    with name_scope(name, "LinearCosineDecay", [learning_rate, global_step]) as scope:
        learning_rate, step, decay_steps = _start(learning_rate, global_step, decay_steps)
        dtype = learning_rate.dtype
        num_periods, alpha, beta = (cast_ops.cast(v, dtype) for v in (num_periods, alpha, beta))
        step = math_ops.minimum(step, decay_steps)
        linear_decayed = (decay_steps - step) / decay_steps
        completed_fraction = step / decay_steps
        fraction = 2.0 * num_periods * completed_fraction
        cosine_decayed = 0.5 * (1.0 + unary_ops.cos(math.pi * fraction))
        linear_cosine_decayed = (alpha + linear_decayed) * cosine_decayed + beta
        return apply_op("Mul", learning_rate, linear_cosine_decayed, name=scope)


def noisy_linear_cosine_decay(learning_rate, global_step, decay_steps, initial_variance=1.0, variance_decay=0.55,
                              num_periods=0.5, alpha=0.0, beta=0.001, name=None):
    """linear_cosine_decay with Gaussian noise of variance initial_variance / (1 + step) ** variance_decay
    added to the linear part, as TF1's `tf.train.noisy_linear_cosine_decay` (fresh noise each run)."""
    _require_step(global_step, "noisy_linear_cosine_decay")
    with name_scope(name, "NoisyLinearCosineDecay", [learning_rate, global_step]) as scope:
        learning_rate, step, decay_steps = _start(learning_rate, global_step, decay_steps)
        dtype = learning_rate.dtype
        initial_variance, variance_decay, num_periods, alpha, beta = (
            cast_ops.cast(v, dtype) for v in (initial_variance, variance_decay, num_periods, alpha, beta))
        step = math_ops.minimum(step, decay_steps)
        linear_decayed = (decay_steps - step) / decay_steps
        variance = initial_variance / math_ops.pow(1.0 + step, variance_decay)
        noise = random_ops.random_normal(linear_decayed.shape, stddev=unary_ops.sqrt(variance), dtype=dtype)
        noisy_linear_decayed = alpha + linear_decayed + noise
        fraction = 2.0 * num_periods * (step / decay_steps)
        cosine_decayed = 0.5 * (1.0 + unary_ops.cos(math.pi * fraction))
        return apply_op("Mul", learning_rate, noisy_linear_decayed * cosine_decayed + beta, name=scope)
