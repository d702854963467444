"""Raw training ops (core/ops/training_ops.py) against values TensorFlow 2.15.1 computed."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import training_ops
from estflow.core.ops.constant_op import constant
from estflow.core.variables import Variable

_VAR, _ACCUM, _LINEAR = [1.0, -2.0, 0.5], [0.1, 0.2, 0.3], [0.5, -0.3, 0.01]
_GRAD = [0.4, -0.7, 0.2]

# (multiply_linear_by_lr, v2) -> (var, accum, linear) after one step with lr=0.5, l1=0.05, l2=0.1,
# l2_shrinkage=0.2 (v2), lr_power=-0.5, as TF's ApplyFtrl / ApplyFtrlV2 kernels compute them.
TF_FTRL = {
    (True, False): ([-0.7891854047775269, -0.09874424338340759, -0.09854218363761902], [0.26, 0.69, 0.34],
                    [0.5063257813453674, 0.11689755320549011, 0.09231369197368622]),
    (True, True): ([-1.1171069145202637, 0.27733197808265686, -0.24493466317653656], [0.26, 0.69, 0.34],
                   [0.7063257694244385, -0.28310245275497437, 0.19231370091438293]),
    (False, False): ([-0.37928348779678345, -0.25991976261138916, -0.09122256189584732], [0.26, 0.69, 0.34],
                     [0.5126515626907349, 0.5337951183319092, 0.1746273934841156]),
    (False, True): ([-0.7072049975395203, 0.11615645885467529, -0.23761501908302307], [0.26, 0.69, 0.34],
                    [0.912651538848877, -0.2662048935890198, 0.37462738156318665]),
}


@pytest.mark.parametrize("multiply_linear_by_lr,v2", sorted(TF_FTRL))
def test_ftrl_multiply_linear_by_lr_matches_tensorflow(multiply_linear_by_lr, v2):
    g = tf.Graph()
    with g.as_default():
        slots = [Variable(np.float32(v), name=n) for v, n in ((_VAR, "var"), (_ACCUM, "accum"), (_LINEAR, "linear"))]
        grad = constant(np.float32(_GRAD))
        if v2:
            step = training_ops.apply_ftrl_v2(*slots, grad, 0.5, 0.05, 0.1, 0.2, -0.5,
                                              multiply_linear_by_lr=multiply_linear_by_lr)
        else:
            step = training_ops.apply_ftrl(*slots, grad, 0.5, 0.05, 0.1, -0.5,
                                           multiply_linear_by_lr=multiply_linear_by_lr)
        assert step.op.get_attr("multiply_linear_by_lr") is multiply_linear_by_lr
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(step)
            got = sess.run(slots)
    for value, want in zip(got, TF_FTRL[(multiply_linear_by_lr, v2)], strict=True):
        np.testing.assert_allclose(value, np.float32(want), rtol=2e-6, atol=1e-7)

