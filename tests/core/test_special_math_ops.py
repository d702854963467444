"""Special functions (estflow/core/ops/special_math_ops.py and special_kernels.py).

Reference values come from TensorFlow 2.15.1 (`tf.compat.v1` graphs run on the CPU, values
copied here as constants), at ordinary points and at the edges: poles of lgamma and digamma,
zeros, infinities, nan, huge and tiny arguments. Gradients are checked against float64
central differences (tests/core/gradient_check.py), and every op runs on the strict cupy
stand-in.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.ops import special_math_ops as sm
from estflow.core.registry import apply_op, registered_ops
from tests.core.gradient_check import check_gradient

INF, NAN = math.inf, math.nan

# ---- TensorFlow 2.15.1's values, float64 -----------------------------------------------------------
U = [-3.5, -2.0, -1.0, -0.5, -1e-300, 0.0, 1e-300, 1e-08, 0.1, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 7.3, 10.0, 25.5, 100.0,
     100000.0, 10000000000.0, 1e+300, INF, -INF, NAN]
LGAMMA = [-1.309006684993042, INF, INF, 1.2655121234846454, 690.7755278982137, INF, 690.7755278982137,
          18.42068073818021, 2.2527126517342055, 0.5723649429247001, 0.0, -0.12078223763524522, 0.0,
          0.2846828704729192, 0.6931471805599453, 7.147892523022249, 12.80182748008147, 56.389167643719944,
          359.13420536957545, 1051287.7089736569, 220258509288.81058, 6.897755278982137e+302, INF, INF, NAN]
DIGAMMA = [1.388870926359529, NAN, NAN, 0.03648997397857645, 1e+300, NAN, -9.999999999999999e+299, -100000000.57721566,
           -10.423754940411076, -1.9635100260214227, -0.5772156649015323, 0.03648997397857645, 0.42278433509846747,
           0.7031566406452434, 0.9227843350984675, 1.917820335637986, 2.2517525890667214, 3.2189424728839198,
           4.600161852738088, 11.512920464961896, 23.025850929890456, 690.7755278982137, INF, NAN, NAN]
P = [-0.1, 0.0, 1e-300, 1e-20, 1e-08, 0.01, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.97, 0.999, 0.999999999999, 1.0, 1.1, NAN]
NDTRI = [NAN, -INF, -37.0470962993612, -9.262340089798409, -5.612001244174789, -2.3263478740408408,
         -1.9729610513118852, -1.2815515655446004, -0.5244005127080409, 0.0, 0.5244005127080407, 1.8807936081512509,
         3.090232306167813, 7.0344869100478356, INF, NAN, NAN]
E = [-1.1, -1.0, -0.999999, -0.7, -0.3, -1e-20, 0.0, 1e-20, 1e-08, 0.2, 0.49, 0.5, 0.9, 0.999999999, 1.0, 1.5, NAN]
ERFINV = [NAN, -INF, -3.4589107372754997, -0.7328690779592171, -0.27246271472675443, 0.0, 0.0, 0.0,
          8.862269200667397e-09, 0.17914345462129164, 0.4658686002350574, 0.4769362762044699, 1.1630871536766738,
          4.320005375575316, INF, NAN, NAN]
ERFCINV = [INF, 26.209469960516124, 4.572824967389486, 0.7328690779592171, -0.0, -0.7328690779592171, -INF, NAN]
B = [-800.0, -710.0, -50.0, -20.5, -1.0, -1e-10, 0.0, 1e-10, 0.3, 1.0, 5.0, 19.99, 20.0, 20.01, 35.0, 100.0, 700.0,
     713.0, 800.0, INF, -INF, NAN]
BESSEL_I0 = [INF, INF, 2.9325537838493355e+20, 70922869.83431697, 1.2660658777520082, 1.0, 1.0, 1.0,
             1.0226268793515971, 1.2660658777520082, 27.23987182360444, 43135797.87064526, 43558282.55955354,
             43984910.83485729, 107338818494514.05, 1.073751707131074e+42, 1.5295933476718735e+302, INF, INF, NAN, NAN,
             NAN]
BESSEL_I0E = [0.014106945005869183, 0.014974675005024158, 0.056561626647454184, 0.08866442901574521,
              0.46575960759364043, 0.9999999999, 1.0, 0.9999999999, 0.7575806251825479, 0.46575960759364043,
              0.1835408126093283, 0.08980306142890937, 0.08978031188482603, 0.08975757962757529, 0.06767837835041361,
              0.03994437929909669, 0.015081295651531355, 0.014943127187904972, 0.014106945005869183, 0.0, 0.0, NAN]
BESSEL_I1 = [-INF, -INF, -2.9030785901035566e+20, -69170831.67918436, -0.565159103992485, -5.000000000000003e-11, 0.0,
             5.000000000000003e-11, 0.15169384000359282, 0.565159103992485, 24.335642142450535, 42042635.9277871,
             42454973.385127775, 42871359.80820023, 105794126051896.23, 1.0683693903381627e+42,
             1.5285003902339004e+302, INF, INF, NAN, NAN, NAN]
BESSEL_I1E = [-0.014098125406526996, -0.014964125740784193, -0.0559931238928954, -0.08647411349408723,
              -0.20791041534970844, -4.9999999995000025e-11, 0.0, 4.9999999995000025e-11, 0.11237756063983881,
              0.20791041534970844, 0.16397226694454242, 0.08752724194828622, 0.08750622218328867, 0.08748521751412681,
              0.06670443172949142, 0.039744153025130256, 0.015070519444716844, 0.014932644457134785,
              0.014098125406526996, 0.0, -0.0, NAN]
PAIRS_A = [0.5, 1.0, 3.0, 10.0, 100.0, 0.001, 0.0, -1.0, 5.0, 2.0, 10000.0, INF, 1.0, NAN]
PAIRS_X = [0.5, 2.0, 1.0, 12.0, 90.0, 0.5, 1.0, 1.0, 0.0, INF, 10050.0, 3.0, -1.0, 1.0]
Z_X = [1.0, 0.5, 2.0, 2.0, 3.0, 4.5, 2.0, 2.0, 1.1, 10.0, 2.0, 3.0, 2.0, 2.0]
Z_Q = [1.0, 1.0, 1.0, 0.5, -2.5, 2.0, 0.0, -2.0, 1000000000.0, 0.001, 100.0, -1.5, INF, 25.0]
PG_N = [0.0, 1.0, 2.0, 3.0, 1.5, -1.0, 1.0, 2.0, 4.0, 1.0, 0.0, 5.0]
PG_X = [2.5, 2.5, 0.5, 10.0, 1.0, 1.0, -1.5, -2.0, 0.001, 1000000.0, -2.0, 7.0]
BA = [1.0, 0.5, 2.0, 5.0, 0.1, 10.0, 100.0, 3.0, 1.0, 0.0, 2.0, 2.0, 2.0, 0.5, 30.0, 0.001]
BB = [1.0, 0.5, 3.0, 2.0, 0.1, 10.0, 200.0, 0.5, 4.0, 1.0, 2.0, 2.0, 2.0, 10000.0, 30.0, 1000.0]
BX = [0.3, 0.9, 0.5, 0.99, 0.5, 0.5, 0.33, 0.01, 0.0, 0.5, 1.0, -0.1, 1.5, 1e-05, 0.6, 0.999]
NA1 = [1.0, 1.0, -1.0, 0.0, 0.0, 1e+38, 3.0]
NA2 = [2.0, 0.0, -2.0, 1.0, -1.0, INF, 3.0]
IGAMMA = [0.682689492137086, 0.8646647167633873, 0.08030139707139416, 0.757607838329488, 0.15822098918642064,
          0.9994399333435292, NAN, NAN, 0.0, 1.0, 0.6923424407047597, 0.0, NAN, NAN]
IGAMMAC = [0.31731050786291404, 0.1353352832366127, 0.9196986029286058, 0.24239216167051197, 0.8417790108135794,
           0.0005600666564707923, NAN, NAN, 1.0, 0.0, 0.3076575592952403, 1.0, NAN, NAN]
IGAMMA_GRAD_A = [-0.6472003523777539, -0.22082542621185938, -0.10645935294394225, -0.09717797203717947,
                 -0.02461191684397851, -0.5603594001080018, NAN, NAN, 0.0, -0.0, -0.0035133682624967177, 0.0, NAN, NAN]
ZETA = [INF, NAN, 1.6449340668482266, 4.93480220054468, 0.0541020258208641, 0.054707510761454255, INF, INF,
        1.2589254118571098, 9.999999999999997e+29, 0.010050166663333573, 0.11810202582086413, 0.0, 0.04081066325722558]
POLYGAMMA = [0.7031566406452434, 0.4903577561002349, -16.828796644234316, 0.0023199013042898686, NAN, NAN,
             9.379246644989124, NAN, -2.4000000000000024e+16, 1.0000005000001667e-06, NAN, 0.002009493175049029]
BETAINC = [0.3, 0.795167235300866, 0.6875, 0.998539552395, 0.5000000000000002, 0.5000000000000007, 0.4566181633340067,
           3.136789554472438e-07, 0.0, NAN, 1.0, NAN, NAN, 0.3452759253112492, 0.9404479957321813, 0.9999999999999999]
NEXTAFTER = [1.0000000000000002, 0.9999999999999999, -1.0000000000000002, 5e-324, -5e-324, 1.0000000000000002e+38, 3.0]
# float32: TF computes these in float32, estflow in float64 rounded once
F32_LGAMMA = [-1.309006690979004, INF, INF, 1.2655121088027954, INF, INF, INF, 18.42068099975586, 2.2527127265930176,
              0.5723649263381958, 0.0, -0.12078223377466202, 0.0, 0.28468286991119385, 0.6931471824645996,
              7.147892951965332, 12.801827430725098, 56.38916778564453, 359.13421630859375, 1051287.625,
              220258500608.0, INF, INF, INF, NAN]
F32_IGAMMA = [0.6826895475387573, 0.8646647334098816, 0.08030138909816742, 0.7576075792312622, 0.1582224816083908,
              0.9994398355484009, NAN, NAN, 0.0, 1.0, 0.6920772790908813, 0.0, NAN, NAN]
F32_BETAINC = [0.30000001192092896, 0.7951672077178955, 0.6875, 0.9985395669937134, 0.4999999403953552,
               0.49999868869781494, 0.45659416913986206, 3.136790667213063e-07, 0.0, NAN, 1.0, NAN, NAN,
               0.3419138193130493, 0.9404474496841431, 1.0]
F32_NEXTAFTER = [1.0000001192092896, 0.9999999403953552, -1.0000001192092896, 1.401298464324817e-45,
                 -1.401298464324817e-45, 1.0000000694406173e+38, 3.0]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def _assert_close(got, want, rtol=1e-12, atol=0.0, inputs=None):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    # Infinities must match in sign; np.isclose already requires that.
    assert not bad.any(), [(None if inputs is None else np.broadcast_to(inputs, bad.shape)[i], got[i], want[i])
                           for i in np.nonzero(bad)[0]]


def _f64(values):
    return tf.constant(np.asarray(values, np.float64))


UNARY_TABLE = [
    # function, inputs, TF's values, rtol, atol
    (sm.lgamma, U, LGAMMA, 1e-13, 0.0),
    (sm.digamma, U, DIGAMMA, 1e-13, 0.0),
    (sm.bessel_i0, B, BESSEL_I0, 1e-13, 0.0),
    (sm.bessel_i0e, B, BESSEL_I0E, 1e-13, 0.0),
    (sm.bessel_i1, B, BESSEL_I1, 1e-13, 0.0),
    (sm.bessel_i1e, B, BESSEL_I1E, 1e-13, 0.0),
    (sm.ndtri, P, NDTRI, 1e-13, 0.0),
    # TF computes erfinv(x) as ndtri((x + 1) / 2) / sqrt(2), which loses the digits of x near 0 (it
    # gives 0 for 1e-20) and of 1 - |x| near +-1; estflow keeps them (checked exactly below).
    (sm.erfinv, E, ERFINV, 5e-9, 1e-16),
]


@pytest.mark.parametrize("fn,inputs,expected,rtol,atol", UNARY_TABLE, ids=[c[0].__name__ for c in UNARY_TABLE])
def test_unary_values_match_tensorflow(fn, inputs, expected, rtol, atol, g):
    _assert_close(_run(fn(_f64(inputs))), expected, rtol, atol, inputs)


def test_binary_values_match_tensorflow(g):
    a, x = _f64(PAIRS_A), _f64(PAIRS_X)
    igamma, igammac, grad_a = _run([sm.igamma(a, x), sm.igammac(a, x), apply_op("IgammaGradA", a, x)])
    # a = 1e4: both sides lose ~1e-11 to the cancellation in a log x - x - lgamma(a).
    _assert_close(igamma, IGAMMA, 1e-10)
    _assert_close(igammac, IGAMMAC, 1e-10)
    _assert_close(grad_a, IGAMMA_GRAD_A, 1e-10)
    _assert_close(_run(sm.zeta(_f64(Z_X), _f64(Z_Q))), ZETA, 1e-13)
    _assert_close(_run(sm.polygamma(_f64(PG_N), _f64(PG_X))), POLYGAMMA, 1e-13)
    _assert_close(_run(sm.betainc(_f64(BA), _f64(BB), _f64(BX))), BETAINC, 1e-10)
    assert _run(sm.nextafter(_f64(NA1), _f64(NA2))).tolist() == NEXTAFTER


def test_float32_values_match_tensorflow(g):
    def f32(values):
        with np.errstate(over="ignore"):
            return tf.constant(np.asarray(values, np.float32))

    lgamma = _run(sm.lgamma(f32(U)))
    assert lgamma.dtype == np.float32
    _assert_close(lgamma, F32_LGAMMA, 2e-6, 1e-6)
    # TF's float32 kernel loses digits for large a (100, 1e4: entries 4 and 10); estflow computes in float64.
    igamma = np.delete(_run(sm.igamma(f32(PAIRS_A), f32(PAIRS_X))), [4, 10])
    _assert_close(igamma, np.delete(F32_IGAMMA, [4, 10]), 2e-6, 1e-7)
    # TF's float32 betainc loses digits for large a + b (entries 5, 6 and 13: I_0.5(10, 10) gives 0.4999987).
    betainc = np.delete(_run(sm.betainc(f32(BA), f32(BB), f32(BX))), [5, 6, 13])
    _assert_close(betainc, np.delete(F32_BETAINC, [5, 6, 13]), 2e-6, 1e-7)
    assert _run(sm.nextafter(f32(NA1), f32(NA2))).tolist() == F32_NEXTAFTER


def test_lgamma_keeps_its_relative_accuracy_near_its_zeros(g):
    x = [1 + 1e-10, 2 - 1e-9, 0.9, 2.2, 1.19, 0.8]
    tf_values = [-5.772157125783244e-11, -4.227843697573328e-10, 0.06637623973474296, 0.09694746679063887,
                 -0.08242007447712085, 0.15205967839983756]
    _assert_close(_run(sm.lgamma(_f64(x))), tf_values, 1e-13)
    assert _run(sm.lgamma(_f64([1.0, 2.0]))).tolist() == [0.0, 0.0]


def test_erfinv_inverts_erf_to_the_last_digits(g):
    x = np.array([1e-300, 1e-20, 1e-8, 0.3, -0.7, 0.999999999, -1 + 1e-15])
    y = _run(sm.erfinv(_f64(x)))
    back = _run(tf.erf(_f64(y)))
    np.testing.assert_allclose(back[:5], x[:5], rtol=2e-16 * 4)
    np.testing.assert_allclose(1 - np.abs(back[5:]), 1 - np.abs(x[5:]), rtol=1e-6)  # erf near 1 rounds
    erfc = _run(tf.erfc(_f64(np.abs(y[5:]))))
    np.testing.assert_allclose(erfc, 1 - np.abs(x[5:]), rtol=1e-13)
    _assert_close(_run(sm.erfcinv(_f64([0.0, 1e-300, 1e-10, 0.3, 1.0, 1.7, 2.0, 2.5]))), ERFCINV, 1e-13)


def test_lbeta(g):
    _assert_close(_run(sm.lbeta(_f64([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]))), [-4.0943445622221, 1.8378770664093456])
    assert _run(sm.lbeta(tf.zeros([2, 0], tf.float64))).tolist() == [-INF, -INF]
    out = sm.lbeta(tf.placeholder(tf.float32, [None, 4, 3]))
    assert out.shape.as_list() == [None, 4] and out.dtype == tf.float32


def test_node_names_follow_tensorflow(g):
    x = _f64([0.5, 1.5])
    names = [sm.lgamma(x), sm.digamma(x), sm.polygamma(x, x), sm.zeta(x, x), sm.igamma(x, x), sm.igammac(x, x),
             sm.betainc(x, x, x), sm.bessel_i0(x), sm.bessel_i0e(x), sm.bessel_i1(x), sm.bessel_i1e(x),
             sm.erfinv(x), sm.ndtri(x), sm.erfcinv(x), sm.lbeta(x), sm.nextafter(x, x)]
    assert [t.name for t in names] == [
        "Lgamma:0", "Digamma:0", "Polygamma:0", "Zeta:0", "Igamma:0", "Igammac:0", "Betainc:0",
        "bessel_i0/BesselI0:0", "bessel_i0e/BesselI0e:0", "bessel_i1/BesselI1:0", "bessel_i1e/BesselI1e:0",
        "erfinv/Erfinv:0", "ndtri/Ndtri:0", "erfcinv/mul_1:0", "lbeta/sub:0", "NextAfter:0"]
    assert sm.lgamma(x, name="lg").name == "lg:0"


def test_shapes_dtypes_and_errors(g):
    p = tf.placeholder(tf.float32, [None, 3])
    for fn in (sm.lgamma, sm.digamma, sm.bessel_i0, sm.bessel_i1e, sm.erfinv, sm.ndtri, sm.erfcinv):
        out = fn(p)
        assert out.shape.as_list() == [None, 3] and out.dtype == tf.float32, fn
    assert sm.igamma(p, tf.placeholder(tf.float32, [4, 1, 1])).shape.as_list() == [4, None, 3]
    assert sm.betainc(p, 2.0, 0.5).shape.as_list() == [None, 3]
    value = _run(sm.lgamma(p), {p: np.ones((2, 3))})
    assert value.dtype == np.float32 and value.shape == (2, 3)
    half = _run(sm.digamma(tf.constant([1.0, 2.0], tf.float16)))
    assert half.dtype == np.float16
    np.testing.assert_allclose(half, [-0.5772, 0.4228], rtol=1e-3)
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        sm.lgamma(tf.constant([1, 2]))
    with pytest.raises(TypeError, match="not in list of allowed values"):
        sm.zeta(tf.constant([1.0], tf.float16), tf.constant([1.0], tf.float16))  # TF: float and double only
    with pytest.raises(ValueError, match="Shapes of a, b and x are inconsistent"):
        sm.betainc(_f64([1.0, 2.0]), _f64([1.0, 2.0, 3.0]), 0.5)
    a = tf.placeholder(tf.float64, [None])
    with pytest.raises(errors.InvalidArgumentError, match="Shapes of a, b and x are inconsistent"):
        _run(sm.betainc(a, _f64([1.0, 2.0]), 0.5), {a: [1.0, 2.0, 3.0]})


# ---- gradients ----------------------------------------------------------------------------------------
GRADIENT_CASES = {
    # label: (build, inputs, which inputs TF differentiates)
    "Lgamma": (sm.lgamma, [[0.3, 1.7, 4.2, -0.5]], None),
    "Digamma": (sm.digamma, [[0.3, 1.7, 4.2, -0.5]], None),
    "Polygamma": (sm.polygamma, [[1.0, 2.0, 0.0], [0.7, 1.3, 3.1]], [1]),
    "Zeta": (sm.zeta, [[2.0, 3.5, 1.5], [0.7, 1.3, 3.1]], [1]),
    "Igamma": (sm.igamma, [[0.5, 2.0, 10.0, 3.0], [0.7, 3.1, 8.0, 1.0]], None),
    "Igammac": (sm.igammac, [[0.5, 2.0, 10.0, 3.0], [0.7, 3.1, 8.0, 1.0]], None),
    "Betainc": (sm.betainc, [[0.5, 2.0, 3.0], [1.5, 2.0, 0.7], [0.2, 0.5, 0.9]], [2]),
    "BesselI0": (sm.bessel_i0, [[-3.0, -0.2, 0.5, 25.0]], None),
    "BesselI0e": (sm.bessel_i0e, [[-3.0, -0.2, 0.5, 25.0]], None),
    "BesselI1": (sm.bessel_i1, [[-3.0, -0.2, 0.5, 25.0]], None),
    "BesselI1e": (sm.bessel_i1e, [[-3.0, -0.2, 0.5, 25.0]], None),
    "Erfinv": (sm.erfinv, [[-0.9, -0.2, 0.1, 0.6]], None),
    "Ndtri": (sm.ndtri, [[0.01, 0.3, 0.5, 0.95]], None),
    "NextAfter": (lambda x1, x2: sm.nextafter(x1, x2), [[0.5, -2.0], [1.0, -3.0]], None),
}


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
def test_gradients_match_central_differences(label):
    build, inputs, wrt = GRADIENT_CASES[label]
    check_gradient(build, [np.asarray(v) for v in inputs], wrt=wrt, rtol=1e-6, label=label)


def test_gradients_tensorflow_leaves_out_are_none(g):
    x = _f64([0.5, 1.5])
    assert tf.gradients(sm.polygamma(x, x), x)[0] is not None
    n = _f64([1.0, 2.0])
    assert tf.gradients(sm.polygamma(n, x), n) == [None]
    assert tf.gradients(sm.zeta(n + 1, x), n) == [None]
    a, b = _f64([1.0, 2.0]), _f64([2.0, 3.0])
    assert tf.gradients(sm.betainc(a, b, 0.5), [a, b]) == [None, None]


def test_bessel_i1_gradients_at_zero(g):
    x = _f64([0.0])
    assert _run(tf.gradients(sm.bessel_i1(x), x)[0]).tolist() == [1.0]
    assert _run(tf.gradients(sm.bessel_i1e(x), x)[0]).tolist() == [0.5]


def test_every_op_here_is_gradient_checked_or_declared():
    ours = {name for name, d in registered_ops().items() if d.kernel is not None
            and getattr(d.kernel, "__module__", None) == sm.__name__}
    ours |= {name for name, d in registered_ops().items() if getattr(d.infer, "__module__", None) == sm.__name__}
    assert ours - set(GRADIENT_CASES) == {"IgammaGradA"}  # TF registers no gradient for it (second order)
    assert registered_ops()["IgammaGradA"].grad is None


# ---- the strict cupy stand-in and the GraphDef round trip -------------------------------------------
def _all_ops(f):
    x = f(np.array([-1.5, 0.0, 0.3, 2.0, 30.0]))
    p = f(np.array([0.0, 0.2, 0.5, 0.9, 1.0]))
    return [sm.lgamma(x), sm.digamma(x), sm.polygamma(f(np.array([0.0, 1.0, 2.0, 1.0, 3.0])), x),
            sm.zeta(f(np.array([2.0, 3.0, 1.5, 4.0, 2.0])), x),
            sm.igamma(f(np.array([0.5, 1.0, 2.0, 5.0, 9.0])), p * 9),
            sm.igammac(f(np.array([0.5, 1.0, 2.0, 5.0, 9.0])), p * 9),
            apply_op("IgammaGradA", f(np.array([0.5, 1.0, 2.0, 5.0, 9.0])), p * 9),
            sm.betainc(f(np.array([0.5, 1.0, 2.0, 5.0, 9.0])), f(np.array([2.0, 0.5, 2.0, 1.0, 3.0])), p),
            sm.bessel_i0(x), sm.bessel_i0e(x), sm.bessel_i1(x), sm.bessel_i1e(x), sm.erfinv(p * 2 - 1), sm.ndtri(p),
            sm.nextafter(x, p)]


# tests/core/test_devices.py runs these on /cpu:0 and on the strict stand-in's /gpu:0 and compares.
GPU_CASES = [("special_math", _all_ops)]


def round_trip():
    """Every op here, and the gradients, for tests/core/test_graph_io_round_trip.py."""
    feed = {}

    def f(value):
        p = tf.placeholder(tf.float64, np.shape(value))
        feed[p] = np.asarray(value, np.float64)
        return p

    outs = _all_ops(f)
    differentiable = [o for o in outs if o.op.type != "IgammaGradA"]  # TF has no second-order rule
    grads = tf.gradients(tf.add_n([tf.reduce_sum(o) for o in differentiable]), list(feed))
    return outs + [g for g in grads if g is not None], feed


# ---- against TensorFlow itself, on random grids ------------------------------------------------------
_TF_GRID = r"""
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
grid = dict(np.load(sys.argv[1]))
c = lambda k: tf.constant(grid[k])
fetches = {
    "lgamma": tf.lgamma(c("wide")), "digamma": tf.digamma(c("wide")),
    "polygamma": tf.polygamma(c("order"), c("pos")), "zeta": tf.zeta(c("s"), c("pos")),
    "igamma": tf.igamma(c("pos"), c("pos2")), "igammac": tf.igammac(c("pos"), c("pos2")),
    "igamma_grad_a": tf.raw_ops.IgammaGradA(a=c("pos"), x=c("pos2")),
    "betainc": tf.betainc(c("pos"), c("pos2"), c("unit")),
    "i0": tf.math.bessel_i0(c("wide")), "i0e": tf.math.bessel_i0e(c("wide")), "i1": tf.math.bessel_i1(c("wide")),
    "i1e": tf.math.bessel_i1e(c("wide")), "ndtri": tf.math.ndtri(c("unit")),
    "erfinv": tf.math.erfinv(2 * c("unit") - 1),
}
with tf.Session() as sess:
    print(json.dumps({k: v.tolist() for k, v in sess.run(fetches).items()}))
"""


@pytest.mark.interop
def test_random_grids_match_tensorflow(tmp_path, tf_python):
    from tests.interop import run_tensorflow  # only interop tests need the subprocess helper

    rng = np.random.default_rng(11)
    grid = {"wide": np.concatenate([rng.uniform(-30, 30, 200), rng.uniform(0, 3, 100)]),
            "pos": rng.uniform(0.05, 40, 300), "pos2": rng.uniform(0.01, 50, 300),
            "order": rng.integers(0, 6, 300).astype(np.float64), "s": rng.uniform(1.1, 12, 300),
            "unit": rng.uniform(0.02, 0.98, 300)}
    np.savez(tmp_path / "grid.npz", **grid)
    theirs = run_tensorflow(tf_python, _TF_GRID, tmp_path / "grid.npz")
    with tf.Graph().as_default():
        c = {k: tf.constant(v) for k, v in grid.items()}
        ours = _run({
            "lgamma": sm.lgamma(c["wide"]), "digamma": sm.digamma(c["wide"]),
            "polygamma": sm.polygamma(c["order"], c["pos"]), "zeta": sm.zeta(c["s"], c["pos"]),
            "igamma": sm.igamma(c["pos"], c["pos2"]),
            "igammac": sm.igammac(c["pos"], c["pos2"]), "igamma_grad_a": apply_op("IgammaGradA", c["pos"], c["pos2"]),
            "betainc": sm.betainc(c["pos"], c["pos2"], c["unit"]), "i0": sm.bessel_i0(c["wide"]),
            "i0e": sm.bessel_i0e(c["wide"]), "i1": sm.bessel_i1(c["wide"]), "i1e": sm.bessel_i1e(c["wide"]),
            "ndtri": sm.ndtri(c["unit"]), "erfinv": sm.erfinv(2 * c["unit"] - 1)})
    for name, value in ours.items():
        # lgamma and digamma cross zero between poles, where only an absolute accuracy means anything.
        atol = 1e-12 if name in ("lgamma", "digamma", "polygamma", "erfinv") else 0.0
        np.testing.assert_allclose(value, theirs[name], rtol=1e-10, atol=atol, err_msg=name)
