"""The op registry as a whole: every op type declares how gradients treat it."""

import json
import subprocess
import sys

import numpy as np

import estflow as tf
from estflow.core.gradients import gradients
from estflow.core.registry import OpDef, register, registered_ops
from tests.core.gradient_check import check_gradient

# Ops that, as in TensorFlow, have no gradient rule yet are differentiable in principle:
# tf.gradients raises LookupError naming them rather than silently passing no gradient.
NO_GRADIENT_RULE = {
    "TruncateDiv", "TruncateMod",  # TF registers no gradient for these either
    "SparseConcat",  # TF1 has no gradient for SparseConcat
    "SparseSegmentSumGrad", "SparseSegmentMeanGrad", "SparseSegmentSqrtNGrad",  # gradient ops (no 2nd order)
    "ComplexAbs",  # TF has one (through a Complex op, which estflow lacks): a known gap
}


def _undeclared_in_a_fresh_interpreter():
    """Ops of `import estflow` alone (test modules register ops of their own) lacking a declaration."""
    code = ("import json, estflow\n"
            "from estflow.core.registry import registered_ops\n"
            "print(json.dumps(sorted(n for n, d in registered_ops().items() if d.grad is None and d.differentiable)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return set(json.loads(out))


def test_every_op_has_a_gradient_rule_or_is_declared_non_differentiable():
    undeclared = sorted(_undeclared_in_a_fresh_interpreter() - NO_GRADIENT_RULE)
    assert not undeclared, (f"ops with no gradient rule that are not declared differentiable=False: {undeclared}; "
                            "give them a grad rule or declare them non-differentiable where TF does")


def test_the_exceptions_are_registered_and_still_lack_a_rule():
    ops = registered_ops()
    for name in NO_GRADIENT_RULE:
        assert name in ops and ops[name].grad is None and ops[name].differentiable, name


def test_register_refuses_a_second_definition():
    import pytest

    with pytest.raises(KeyError, match="already registered"):
        register(OpDef("AddV2", infer=lambda x, y: x))


def test_non_differentiable_ops_pass_no_gradient():
    g = tf.Graph()
    with g.as_default():
        s = tf.placeholder(tf.string, shape=[2])
        x = tf.placeholder(tf.float32, shape=[2])
        y = tf.string_to_number(s) * x
        ds, dx = gradients(tf.reduce_sum(y), [s, x])
        assert ds is None
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(dx, {s: ["1.5", "2"], x: [1.0, 1.0]}), [1.5, 2.0])


def test_second_derivative_through_broadcast_summing():
    # d/dx of sum(d/dy sum(x * y)) where y broadcasts: the gradient of the Sum/Reshape that summed it.
    def build(x, y):
        (dy,) = gradients(tf.reduce_sum(x * x * y), [y])
        return dy * x

    check_gradient(build, [np.random.rand(3, 4) + 0.5, np.random.rand(4) + 0.5], wrt=[0], none_batch=True)
