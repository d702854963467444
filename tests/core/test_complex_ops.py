"""Complex numbers (estflow/core/ops/complex_ops.py): Complex, Real, Imag, Angle and ComplexAbs's gradient.

Expected values and gradients are TensorFlow 2.15.1's (copied as constants); the gradients of
real-valued compositions are checked against float64 central differences.
"""

import math

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import complex_ops as c
from estflow.core.registry import apply_op
from tests.core.gradient_check import check_gradient

Z = np.array([1 + 2j, -3 + 0.5j, 0j], np.complex128)


def _run(fetches):
    with tf.Session() as sess:
        return sess.run(fetches)


def test_complex_real_imag_angle(g):
    x = tf.constant([1.0, -2.0, 0.0], tf.float64)
    z = c.complex(x, 2 * x)
    assert z.op.type == "Complex" and z.dtype == tf.complex128 and z.name == "Complex:0"
    assert c.complex(tf.constant([1.0]), tf.constant([2.0])).dtype == tf.complex64
    np.testing.assert_array_equal(_run(z), [1 + 2j, -2 - 4j, 0j])
    zc = tf.constant(Z)
    parts = [c.real(zc), c.imag(zc), c.angle(zc)]
    assert [t.op.type for t in parts] == ["Real", "Imag", "Angle"]
    assert [t.name for t in parts] == ["Real:0", "Imag:0", "Angle:0"] and all(t.dtype == tf.float64 for t in parts)
    real, imag, angle = _run(parts)
    assert real.tolist() == [1.0, -3.0, 0.0] and imag.tolist() == [2.0, 0.5, 0.0]
    np.testing.assert_allclose(angle, [1.1071487177940904, 2.976443976175166, 0.0], rtol=1e-15)
    f32 = c.real(tf.constant(Z.astype(np.complex64)))
    assert f32.dtype == tf.float32 and _run(f32).dtype == np.float32
    # Real tensors: real is the identity, imag zeros, angle pi where negative (TF's Select).
    assert c.real(x) is x
    assert c.imag(x).name == "Imag_1/zeros_like:0" and _run(c.imag(x)).tolist() == [0.0, 0.0, 0.0]
    assert c.angle(x).name == "Angle_1/Select:0" and _run(c.angle(x)).tolist() == [0.0, math.pi, 0.0]


def test_complex_broadcasts_and_checks_its_types(g):
    z = c.complex(tf.placeholder(tf.float32, [None, 1]), tf.placeholder(tf.float32, [3]))
    assert z.shape.as_list() == [None, 3]
    np.testing.assert_array_equal(_run(c.complex(tf.constant([[1.0], [2.0]]), tf.constant([3.0, 4.0]))),
                                  [[1 + 3j, 1 + 4j], [2 + 3j, 2 + 4j]])
    with pytest.raises(TypeError, match="The `real` and `imag` components have incorrect types: float64 float32"):
        c.complex(tf.constant([1.0], tf.float64), tf.constant([1.0]))
    with pytest.raises(TypeError, match="incorrect types: int32 int32"):
        c.complex(1, 2)
    with pytest.raises(TypeError, match="input must be a numeric tensor"):
        c.real(tf.constant(["a"]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        apply_op("Real", tf.constant([1.0]), Tout=tf.float32)


def test_gradients_match_tensorflow(g):
    z = tf.constant(Z)
    grads = [tf.gradients(tf.reduce_sum(fn(z)), z)[0] for fn in (c.angle, tf.abs, c.real, c.imag)]
    angle, absolute, real, imag = _run(grads)
    np.testing.assert_allclose(angle[:2], [-0.4 + 0.2j, -0.05405405405405406 - 0.32432432432432434j], rtol=1e-15)
    np.testing.assert_allclose(absolute, [0.4472135954999579 + 0.8944271909999159j,
                                          -0.9863939238321437 + 0.1643989873053573j, 0j], rtol=1e-15)
    assert real.tolist() == [1 + 0j] * 3 and imag.tolist() == [1j] * 3
    x = tf.constant([1.0, -2.0, 0.0], tf.float64)
    through = tf.gradients(tf.reduce_sum(tf.abs(c.complex(x, 2 * x))), x)[0]
    np.testing.assert_allclose(_run(through), [2.23606798, -2.23606798, 0.0], rtol=1e-8)


GRADIENT_CASES = {
    "Complex+ComplexAbs": lambda x, y: tf.abs(c.complex(x, y)),
    "Real": lambda x, y: c.real(c.complex(x, y) * c.complex(y, x)),
    "Imag": lambda x, y: c.imag(c.complex(x, y) * c.complex(y, x)),
    "Angle": lambda x, y: c.angle(c.complex(x, y)),
}


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
def test_gradients_match_central_differences(label):
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0.5, 2.0, (3, 1)), rng.uniform(-2.0, -0.5, (1, 4))  # broadcasting, away from 0
    check_gradient(GRADIENT_CASES[label], [x, y], label=label)


def _all_ops(f):
    x, y = f(np.array([1.0, -2.0, 0.5])), f(np.array([0.5, 3.0, -1.0]))
    z = c.complex(x, y)
    return [z, c.real(z), c.imag(z), c.angle(z), tf.abs(z), c.complex(f(np.float32([1.0])), f(np.float32([2.0])))]


GPU_CASES = [("complex", _all_ops)]  # run on the strict cupy stand-in by tests/core/test_devices.py


def round_trip():
    """The ops and their gradients, for tests/core/test_graph_io_round_trip.py."""
    feed = {}

    def f(value):
        p = tf.placeholder(tf.as_dtype(np.asarray(value).dtype), np.shape(value))
        feed[p] = np.asarray(value)
        return p

    outs = _all_ops(f)
    x = list(feed)[0]
    grads = tf.gradients(tf.reduce_sum(outs[3]) + tf.reduce_sum(outs[4]) + tf.reduce_sum(outs[1]), x)
    return outs + grads, feed
