"""Fast Fourier transforms (estflow/core/ops/fft_ops.py) against numpy.fft and TensorFlow 2.15.1.

The 1-3D ops and their gradients match TF's values (copied as constants) and float64 central
differences; the ND ops (which TF 2.15 runs on GPUs only) match numpy.fft.fftn/rfftn/irfftn
with the same `s` and `axes`.
"""

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.ops import complex_ops, fft_ops
from tests.core.gradient_check import check_gradient

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((2, 3, 4)) + 1j * RNG.standard_normal((2, 3, 4))).astype(np.complex64)
R = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


@pytest.mark.parametrize("fn,ref", [(fft_ops.fft, np.fft.fft), (fft_ops.ifft, np.fft.ifft),
                                    (fft_ops.fft2d, np.fft.fft2), (fft_ops.ifft2d, np.fft.ifft2),
                                    (fft_ops.fft3d, np.fft.fftn), (fft_ops.ifft3d, np.fft.ifftn)],
                         ids=lambda v: getattr(v, "__name__", ""))
def test_inner_transforms_match_numpy(fn, ref, g):
    for dtype in (np.complex64, np.complex128):
        out = fn(tf.constant(X.astype(dtype)))
        assert out.op.type == fn.__name__.upper() and out.dtype == dtype
        value = _run(out)
        assert value.dtype == dtype and out.shape.as_list() == [2, 3, 4]
        np.testing.assert_allclose(value, ref(X.astype(np.complex128)), rtol=1e-5 if dtype == np.complex64 else 1e-12,
                                   atol=1e-5 if dtype == np.complex64 else 1e-12)


def test_inner_transforms_check_dtype_and_rank(g):
    assert [f(tf.constant(X)).name for f in (tf.fft, tf.ifft, tf.fft2d, tf.ifft2d, tf.fft3d, tf.ifft3d)] == [
        "FFT:0", "IFFT:0", "FFT2D:0", "IFFT2D:0", "FFT3D:0", "IFFT3D:0"]
    assert (tf.fftnd, tf.ifftnd, tf.rfftnd, tf.irfftnd) == (fft_ops.fftnd, fft_ops.ifftnd, fft_ops.rfftnd,
                                                            fft_ops.irfftnd)
    with pytest.raises(TypeError, match="DataType float32 not in list of allowed values: complex64, complex128"):
        fft_ops.fft(tf.constant(R))
    with pytest.raises(ValueError, match="Shape must be at least rank 3 but is rank 1"):
        fft_ops.fft3d(tf.constant(X[0, 0]))
    p = tf.placeholder(tf.complex64, [None, 5])
    assert fft_ops.ifft2d(p).shape.as_list() == [None, 5]


def test_gradients_match_tensorflow(g):
    x = tf.constant(X)
    fft2d_grad = tf.gradients(tf.reduce_sum(tf.abs(fft_ops.fft2d(x))), x)[0]
    mixed = tf.gradients(tf.reduce_sum(complex_ops.real(fft_ops.ifft(x) * tf.conj(fft_ops.fft3d(x)))), x)[0]
    inverse = tf.gradients(tf.reduce_sum(complex_ops.imag(fft_ops.ifft2d(x) * fft_ops.fft(x) + fft_ops.ifft3d(x))),
                           x)[0]
    a, b, c = _run([fft2d_grad, mixed, inverse])
    np.testing.assert_allclose(a[0, 0, :2], [1.1977899074554443 + 2.114626884460449j,
                                             -0.6063359379768372 + 1.0060405731201172j], rtol=1e-5)
    np.testing.assert_allclose(b[0, 0, :2], [-8.222997665405273 - 2.7238388061523438j,
                                             3.5101261138916016 + 6.9189453125j], rtol=1e-5)
    np.testing.assert_allclose(c[0, 0, :2], [0.19101284444332123 + 0.25755035877227783j,
                                             0.5700353384017944 - 0.6906208992004395j], rtol=1e-5)


def _real_valued(fn):
    return lambda x, y: tf.abs(fn(complex_ops.complex(x, y))) + complex_ops.real(fn(complex_ops.complex(y, x)))


GRADIENT_CASES = {
    name: _real_valued(fn)
    for name, fn in (("FFT", fft_ops.fft), ("IFFT", fft_ops.ifft), ("FFT2D", fft_ops.fft2d),
                     ("IFFT2D", fft_ops.ifft2d), ("FFT3D", fft_ops.fft3d), ("IFFT3D", fft_ops.ifft3d))
}


@pytest.mark.parametrize("label", sorted(GRADIENT_CASES))
@pytest.mark.parametrize("none_batch", [False, True])
def test_gradients_match_central_differences(label, none_batch):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4))
    check_gradient(GRADIENT_CASES[label], [x, y], label=label, none_batch=none_batch)


def test_nd_transforms_match_numpy(g):
    X128, R64 = X.astype(np.complex128), R.astype(np.float64)
    x, r = tf.constant(X128), tf.constant(R64)
    cases = [
        (fft_ops.fftnd(x, [3, 4], [1, 2]), np.fft.fftn(X128, axes=(1, 2))),
        (fft_ops.fftnd(x, [5, 2], [1, 2]), np.fft.fftn(X128, s=(5, 2), axes=(1, 2))),  # padded, cropped
        (fft_ops.fftnd(x, [4, 2], [-1, 0]), np.fft.fftn(X128, s=(4, 2), axes=(-1, 0))),
        (fft_ops.ifftnd(x, [3, 4, 2], [1, 2, 0]), np.fft.ifftn(X128, s=(3, 4, 2), axes=(1, 2, 0))),
        (fft_ops.rfftnd(r, [3, 4], [1, 2], Tcomplex=tf.complex128), np.fft.rfftn(R64, axes=(1, 2))),
        (fft_ops.rfftnd(r, [2, 7], [1, 2], Tcomplex=tf.complex128), np.fft.rfftn(R64, s=(2, 7), axes=(1, 2))),
        (fft_ops.irfftnd(x, [3, 6], [1, 2], Treal=tf.float64), np.fft.irfftn(X128, s=(3, 6), axes=(1, 2))),
        (fft_ops.irfftnd(x, [3, 5], [1, 2], Treal=tf.float64), np.fft.irfftn(X128, s=(3, 5), axes=(1, 2))),
        (fft_ops.fftnd(x, [], []), X128),
    ]
    values = _run([t for t, _ in cases])
    for (t, want), got in zip(cases, values, strict=True):
        assert t.shape.as_list() == list(want.shape) == list(got.shape), t.name
        assert got.dtype == t.dtype.as_numpy_dtype
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=t.name)
    assert [t.op.type for t, _ in cases[:5]] == ["FFTND", "FFTND", "FFTND", "IFFTND", "RFFTND"]
    assert cases[0][0].name == "FFTND:0"
    f32 = fft_ops.rfftnd(tf.constant(R), [4], [-1])
    assert f32.dtype == tf.complex64 and _run(f32).dtype == np.complex64
    back = fft_ops.irfftnd(f32, [4], [-1])
    assert back.dtype == tf.float32
    np.testing.assert_allclose(_run(back), R, rtol=1e-5, atol=1e-6)


def test_nd_shapes_and_errors(g):
    p = tf.placeholder(tf.complex64, [None, 3, 4])
    assert fft_ops.fftnd(p, [3, 6], [1, 2]).shape.as_list() == [None, 3, 6]
    assert fft_ops.irfftnd(p, [3, 6], [1, 2]).shape.as_list() == [None, 3, 6]
    lengths = tf.placeholder(tf.int32, [2])
    assert fft_ops.fftnd(p, lengths, [1, 2]).shape.as_list() == [None, None, None]
    with pytest.raises(ValueError, match="axis 5 is out of range for an input of rank 3"):
        fft_ops.fftnd(tf.constant(X), [3, 4], [1, 5])
    with pytest.raises(ValueError, match="fft_length and axes must have the same number of elements, got 3 and 2"):
        fft_ops.fftnd(tf.constant(X), [3, 4, 5], [1, 2])
    with pytest.raises(ValueError, match="axes must be distinct"):
        fft_ops.fftnd(tf.constant(X), [3, 4], [2, -1])
    with pytest.raises(TypeError, match="RFFTND of float32 gives complex64, not complex128"):
        fft_ops.rfftnd(tf.constant(R), [4], [-1], Tcomplex=tf.complex128)
    with pytest.raises(TypeError, match="not in list of allowed values"):
        fft_ops.fftnd(tf.constant(R), [4], [-1])
    out = fft_ops.fftnd(tf.constant(X), lengths, [1, 2])
    with pytest.raises(errors.InvalidArgumentError, match="fft_length must be positive"):
        _run(out, {lengths: [0, 3]})
    np.testing.assert_allclose(_run(out, {lengths: [2, 2]}), np.fft.fftn(X, s=(2, 2), axes=(1, 2)), rtol=1e-5)


def test_nd_transforms_have_no_gradient_as_in_tensorflow(g):
    x = tf.constant(X)
    with pytest.raises(LookupError, match="No gradient defined for operation 'FFTND'"):
        tf.gradients(tf.reduce_sum(tf.abs(fft_ops.fftnd(x, [3, 4], [1, 2]))), x)


def _all_ops(f):
    x, r = f(X), f(R)
    return [fft_ops.fft(x), fft_ops.ifft(x), fft_ops.fft2d(x), fft_ops.ifft2d(x), fft_ops.fft3d(x),
            fft_ops.ifft3d(x), fft_ops.fftnd(x, [3, 5], [1, -1]), fft_ops.ifftnd(x, [2], [0]),
            fft_ops.rfftnd(r, [3, 6], [1, 2]), fft_ops.irfftnd(x, [3, 6], [1, 2])]


GPU_CASES = [("fft", _all_ops)]  # run on the strict cupy stand-in by tests/core/test_devices.py


def round_trip():
    """Every op here, and the 1-3D gradients, for tests/core/test_graph_io_round_trip.py."""
    feed = {}

    def f(value):
        p = tf.placeholder(tf.as_dtype(value.dtype), value.shape)
        feed[p] = value
        return p

    outs = _all_ops(f)
    x = list(feed)[0]
    grads = tf.gradients(tf.add_n([tf.reduce_sum(tf.abs(t)) for t in outs[:6]]), x)
    return outs + grads, feed
