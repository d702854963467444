"""Complex numbers (estflow/core/ops/complex_ops.py): Complex, Real, Imag, Angle and ComplexAbs's gradient.

Expected values and gradients are TensorFlow 2.15.1's (copied as constants); the gradients of
real-valued compositions are checked against float64 central differences.
"""

import inspect
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


# ---- complex numbers through the common ops ----------------------------------------------------------
CX = np.array([[1 + 2j, -0.5 + 1j], [0.3 - 2j, 2 + 0.1j]])
CY = np.array([[0.5 - 1j, 2 + 0.2j], [-1 + 1j, 0.7 + 0.7j]])


def _complex_terms(tf_module, x, y):
    """Real-valued functions of complex x and y through the common ops (the same code runs under TF)."""
    t = tf_module
    return {
        "mul": t.abs(x * y), "matmul": t.abs(t.matmul(x, y)), "div": t.abs(x / y), "exp": t.real(t.exp(x)),
        "square": t.imag(t.square(x)), "conj": t.real(t.conj(x) * y), "sqrt": t.abs(t.sqrt(x)),
        "log": t.imag(t.log(x)), "sum": t.abs(t.reduce_sum(x * y, 0)), "mean": t.abs(t.reduce_mean(x * y)),
        "tanh": t.real(t.tanh(x)), "sigmoid": t.imag(t.sigmoid(x)), "reciprocal": t.real(t.reciprocal(x)),
        "pow": t.abs(t.pow(x, y)), "transpose": t.real(t.transpose(x) * y),
        "adjoint_matmul": t.abs(t.matmul(x, y, adjoint_a=True)), "sin": t.real(t.sin(x)), "rsqrt": t.abs(t.rsqrt(x)),
        "neg": t.imag(-x * y),
    }


def test_sigmoid_and_pow_of_complex_numbers_match_tensorflow(g):
    x, y = tf.constant(CX), tf.constant(CY)
    np.testing.assert_allclose(_run(tf.sigmoid(x)), 1 / (1 + np.exp(-CX)), rtol=1e-15)
    terms = _complex_terms(tf, x, y)
    sigmoid = _run(tf.gradients(tf.reduce_sum(terms["sigmoid"]), x)[0])
    np.testing.assert_allclose(sigmoid.ravel(), [-0.4207182797053216 + 0.14088880756994154j,
                                                 0.07880822945256404 + 0.2892285674798869j,
                                                 0.3497246683898956 + 0.7135780935887658j,
                                                 -0.00799970524089527 + 0.1047989652224592j], rtol=1e-12)
    gx, gy = _run(tf.gradients(tf.reduce_sum(terms["pow"]), [x, y]))
    np.testing.assert_allclose(gx.ravel(), [-1.357351523074554 + 1.8098020307660727j,
                                            -0.5325745780796168 + 1.3980082674589942j,
                                            -1.1525743976013108 + 0.8519028156183603j,
                                            0.5755536780924253 - 0.5207390420836229j], rtol=1e-12)
    np.testing.assert_allclose(gy.ravel(), [3.6409550028939295 - 5.009299994559496j,
                                            0.0928442052284005 - 1.6929580011453618j,
                                            1.4434613564679613 + 2.914307962478021j,
                                            1.0902343085863995 - 0.07843706872213456j], rtol=1e-12)


_TF_COMPLEX_GRADIENTS = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
namespace = {"np": np}
exec(sys.argv[1], namespace)
x, y = tf.constant(namespace["CX"]), tf.constant(namespace["CY"])
out = {}
with tf.Session() as sess:
    for name, term in namespace["_complex_terms"](tf, x, y).items():
        grads = sess.run([g for g in tf.gradients(tf.reduce_sum(term), [x, y]) if g is not None])
        out[name] = [[[v.real, v.imag] for v in np.asarray(g).ravel()] for g in grads]
print(json.dumps(out))
"""


@pytest.mark.interop
def test_gradients_through_the_common_ops_match_tensorflow(g, tf_python):
    from tests.interop import run_tensorflow  # only interop tests need the subprocess helper

    source = f"CX = np.{CX!r}\nCY = np.{CY!r}\n" + inspect.getsource(_complex_terms)
    theirs = run_tensorflow(tf_python, _TF_COMPLEX_GRADIENTS, source)
    x, y = tf.constant(CX), tf.constant(CY)
    for name, term in _complex_terms(tf, x, y).items():
        ours = _run([grad for grad in tf.gradients(tf.reduce_sum(term), [x, y]) if grad is not None])
        for mine, want in zip(ours, theirs[name], strict=True):
            want = np.array([complex(r, i) for r, i in want])
            np.testing.assert_allclose(np.asarray(mine).ravel(), want, rtol=1e-10, atol=1e-14, err_msg=name)
