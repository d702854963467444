"""Learning-rate schedules: values at several steps against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops.constant_op import placeholder
from estflow.core.variables import Variable
from estflow.training import learning_rate_decay as lrd

STEPS = [0, 1, 5, 10, 25, 99, 100, 101, 250]


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    with tf.Graph().as_default() as g:
        yield g


def _values(build, steps=STEPS, dtype=tf.int64):
    step = placeholder(dtype, [], name="global_step")
    lr = build(step)
    with tf.Session() as sess:
        return lr, [float(sess.run(lr, {step: s})) for s in steps]


def _check(build, expected, rtol=1e-6):
    lr, got = _values(build)
    # atol: float32 cancellation in 1 + cos(x) near the end of the cosine schedules
    np.testing.assert_allclose(got, [expected(s) for s in STEPS], rtol=rtol, atol=1e-7)
    assert lr.dtype == tf.float32 and lr.shape.ndims == 0
    return lr


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    def expected(s):
        p = s / 10 if not staircase else s // 10
        return 0.1 * 0.96 ** p

    lr = _check(lambda step: lrd.exponential_decay(0.1, step, 10, 0.96, staircase=staircase), expected)
    assert lr.op.name == "ExponentialDecay"


@pytest.mark.parametrize("staircase", [False, True])
def test_natural_exp_decay(staircase):
    def expected(s):
        p = s / 20 if not staircase else s // 20
        return 0.5 * math.exp(-0.3 * p)

    _check(lambda step: lrd.natural_exp_decay(0.5, step, 20, 0.3, staircase=staircase), expected)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    def expected(s):
        p = s / 10 if not staircase else s // 10
        return 0.1 / (1 + 0.5 * p)

    lr = _check(lambda step: lrd.inverse_time_decay(0.1, step, 10, 0.5, staircase=staircase), expected)
    assert lr.op.name == "InverseTimeDecay"


def test_polynomial_decay():
    def expected(s):
        s = min(s, 100)
        return (0.1 - 0.001) * (1 - s / 100) ** 2 + 0.001

    lr = _check(lambda step: lrd.polynomial_decay(0.1, step, 100, end_learning_rate=0.001, power=2.0), expected)
    assert lr.op.name == "PolynomialDecay"


def test_polynomial_decay_default_end_and_power():
    _check(lambda step: lrd.polynomial_decay(0.1, step, 100),
           lambda s: (0.1 - 0.0001) * (1 - min(s, 100) / 100) + 0.0001)


def test_polynomial_decay_cycle():
    def expected(s):
        decay_steps = 100 * (1 if s == 0 else math.ceil(s / 100))
        return (0.1 - 0.01) * (1 - s / decay_steps) ** 0.5 + 0.01

    _check(lambda step: lrd.polynomial_decay(0.1, step, 100, end_learning_rate=0.01, power=0.5, cycle=True),
           expected, rtol=1e-5)


def test_piecewise_constant():
    step = placeholder(tf.int64, [])
    lr = lrd.piecewise_constant(step, [10, 100], [1.0, 0.5, 0.1])
    assert lr.op.name == "PiecewiseConstant"
    expected = {0: 1.0, 9: 1.0, 10: 1.0, 11: 0.5, 100: 0.5, 101: 0.1, 1000: 0.1}
    with tf.Session() as sess:
        for s, value in expected.items():
            assert sess.run(lr, {step: s}) == pytest.approx(value)


def test_piecewise_constant_float_x_and_errors():
    x = placeholder(tf.float32, [])
    lr = lrd.piecewise_constant(x, [0.5], [3, 7])
    with tf.Session() as sess:
        assert sess.run(lr, {x: 0.5}) == 3 and sess.run(lr, {x: 0.75}) == 7
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less than the length of values"):
        lrd.piecewise_constant(x, [1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="Values must have elements all with the same dtype"):
        lrd.piecewise_constant(x, [1.0], [1.0, 2])
    with pytest.raises(ValueError, match="Boundaries .* must have the same dtype as x"):
        lrd.piecewise_constant(x, [1], [1.0, 2.0])


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_cosine_decay(alpha):
    def expected(s):
        s = min(s, 100)
        return 0.1 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / 100)) + alpha)

    lr = _check(lambda step: lrd.cosine_decay(0.1, step, 100, alpha=alpha), expected)
    assert lr.op.name == "CosineDecay"


def _sgdr(s, first, t_mul, m_mul, alpha, lr=0.1):
    fraction = s / first
    if t_mul == 1.0:
        i = math.floor(fraction)
        fraction -= i
    else:
        i = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        sum_r = (1 - t_mul ** i) / (1 - t_mul)
        fraction = (fraction - sum_r) / t_mul ** i
    cosine = 0.5 * m_mul ** i * (1 + math.cos(math.pi * fraction))
    return lr * ((1 - alpha) * cosine + alpha)


@pytest.mark.parametrize("t_mul,m_mul,alpha", [(2.0, 1.0, 0.0), (1.0, 0.5, 0.1), (1.5, 0.9, 0.0)])
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    lr = _check(lambda step: lrd.cosine_decay_restarts(0.1, step, 20, t_mul=t_mul, m_mul=m_mul, alpha=alpha),
                lambda s: _sgdr(s, 20, t_mul, m_mul, alpha), rtol=2e-5)
    assert lr.op.name == "SGDRDecay"


def test_cosine_decay_restarts_with_t_mul_tensor():
    t_mul = placeholder(tf.float32, [])
    step = placeholder(tf.int64, [])
    lr = lrd.cosine_decay_restarts(0.1, step, 20, t_mul=t_mul)
    with tf.Session() as sess:
        for t, s in ((1.0, 30), (2.0, 30), (2.0, 70)):
            assert sess.run(lr, {step: s, t_mul: t}) == pytest.approx(_sgdr(s, 20, t, 1.0, 0.0), rel=2e-5)


def test_linear_cosine_decay():
    def expected(s, num_periods=0.5, alpha=0.0, beta=0.001):
        s = min(s, 100)
        linear = (100 - s) / 100
        cosine = 0.5 * (1 + math.cos(math.pi * 2 * num_periods * s / 100))
        return 0.1 * ((alpha + linear) * cosine + beta)

    _check(lambda step: lrd.linear_cosine_decay(0.1, step, 100), expected)


def test_schedule_follows_a_global_step_variable():
    step = Variable(np.int64(0), name="global_step", trainable=False)
    lr = lrd.exponential_decay(0.1, step, 1, 0.5, staircase=True)
    increment = step.assign_add(1)
    with tf.Session() as sess:
        sess.run(step.initializer)
        values = []
        for _ in range(3):
            values.append(float(sess.run(lr)))
            sess.run(increment)
    assert values == pytest.approx([0.1, 0.05, 0.025])


def test_float64_learning_rate_and_int32_step():
    step = placeholder(tf.int32, [])
    lr = lrd.exponential_decay(np.float64(0.1), step, 10, 0.5)
    assert lr.dtype == tf.float64
    with tf.Session() as sess:
        assert sess.run(lr, {step: 10}) == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize("fn,args", [
    (lrd.exponential_decay, (10, 0.5)), (lrd.natural_exp_decay, (10, 0.5)), (lrd.inverse_time_decay, (10, 0.5)),
    (lrd.polynomial_decay, (10,)), (lrd.cosine_decay, (10,)), (lrd.cosine_decay_restarts, (10,)),
    (lrd.linear_cosine_decay, (10,)),
])
def test_global_step_is_required(fn, args):
    with pytest.raises(ValueError, match=f"global_step is required for {fn.__name__}"):
        fn(0.1, None, *args)


@pytest.mark.usefixtures("g")
def test_noisy_linear_cosine_decay_is_linear_cosine_decay_plus_shrinking_noise():
    step = tf.placeholder(tf.int64, [])
    noisy = tf.train.noisy_linear_cosine_decay(0.1, step, 100, initial_variance=1.0, variance_decay=0.55)
    plain = tf.train.linear_cosine_decay(0.1, step, 100)
    assert noisy.op.name == "NoisyLinearCosineDecay" and noisy.dtype == tf.float32
    with tf.Session() as sess:
        for at in (0, 50, 99):
            runs = np.array([sess.run([noisy, plain], {step: at}) for _ in range(400)])
            cosine = 0.5 * (1 + np.cos(np.pi * at / 100))
            noise = (runs[:, 0] - runs[:, 1]) / (0.1 * cosine)  # the noise term, back out of the formula
            expected_std = np.sqrt(1.0 / (1 + at) ** 0.55)
            assert abs(noise.std() - expected_std) < 0.2 * expected_std
            assert abs(noise.mean()) < 0.25 * expected_std
        end = sess.run(noisy, {step: 100})
        np.testing.assert_allclose(end, 0.1 * 0.001, rtol=1e-4)  # cosine reaches 0: only beta is left
    assert tf.train.piecewise_constant_decay is tf.train.piecewise_constant
