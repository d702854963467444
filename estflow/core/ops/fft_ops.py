"""Fast Fourier transforms: FFT, IFFT, FFT2D, IFFT2D, FFT3D, IFFT3D over the innermost dimensions, and
FFTND, IFFTND, RFFTND, IRFFTND over chosen axes, with TF1's `tf.fft`, ..., `tf.irfftnd`.

Kernels are `xp.fft` (numpy's pocketfft, cupy's cuFFT). The ND ops take TF's `fft_length` and
`axes` inputs: along each axis the input is cropped or zero-padded to its length (an RFFTND
keeps fft_length[-1] // 2 + 1 bins of the last axis; an IRFFTND reads that many); empty lists
transform nothing. TF 2.15 registers ND kernels for GPUs only and no gradients for them; the
1-3D ops have TF's gradients (tensorflow/python/ops/signal/fft_ops.py).
"""

from __future__ import annotations

import math

from estflow.core import dtypes, errors
from estflow.core.ops.array_ops import shape as _shape
from estflow.core.ops.cast_ops import cast
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.ops.math_ops import _COMPLEX, _check_dtype, multiply
from estflow.core.ops.reduction_ops import reduce_prod
from estflow.core.ops.slicing_ops import strided_slice
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_REAL = (dtypes.float32, dtypes.float64)
_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}

# op type: (transform rank, numpy function, inverse op type)
_INNER = {
    "FFT": (1, "fft", "IFFT"), "IFFT": (1, "ifft", "FFT"),
    "FFT2D": (2, "fft2", "IFFT2D"), "IFFT2D": (2, "ifft2", "FFT2D"),
    "FFT3D": (3, "fftn", "IFFT3D"), "IFFT3D": (3, "ifftn", "FFT3D"),
}


def _inner_infer(rank):
    def infer(x):
        _check_dtype(x, _COMPLEX, "input")
        if x.shape.ndims is not None and x.shape.ndims < rank:
            raise ValueError(f"Shape must be at least rank {rank} but is rank {x.shape.ndims}")
        return TensorSpec(x.shape, x.dtype)

    return infer


def _inner_kernel(rank, fn):
    axes = tuple(range(-rank, 0))

    def kernel(xp, x):
        if rank == 1:
            return getattr(xp.fft, fn)(x, axis=-1).astype(x.dtype, copy=False)
        return getattr(xp.fft, fn)(x, axes=axes).astype(x.dtype, copy=False)

    return kernel


def _fft_size(grad, rank):
    """The number of points of the transform, as TF's `_fft_size_for_grad`: a constant when known."""
    dims = grad.shape.as_tuple()
    if dims is not None and all(d is not None for d in dims[-rank:]):
        return convert_to_tensor(float(math.prod(dims[-rank:])), dtype=grad.dtype.real_dtype)
    return cast(reduce_prod(strided_slice(_shape(grad), [-rank], [0], [1], end_mask=1)), grad.dtype.real_dtype)


def _inner_grad(op_type):
    rank, _, inverse = _INNER[op_type]

    def grad_fn(op, grad):
        size = _fft_size(grad, rank)
        if op_type.startswith("I"):  # d/dx ifft(x) . g = fft(g) / n
            size = apply_op("Reciprocal", size, name="Reciprocal")
        return (multiply(apply_op(inverse, grad, name=inverse), cast(size, grad.dtype)),)

    return grad_fn


for _name, (_rank, _fn, _) in _INNER.items():
    register(OpDef(_name, infer=_inner_infer(_rank), kernel=_inner_kernel(_rank, _fn), grad=_inner_grad(_name),
                   input_names=("input: Tcomplex",), output_names=("output: Tcomplex",),
                   attr_types={"Tcomplex": "type = complex64"}))


# ---- FFTND, IFFTND, RFFTND, IRFFTND ------------------------------------------------------------------
def _values(spec):
    return None if spec.value is None else [int(v) for v in spec.value.reshape(-1).tolist()]


def _nd_infer(kind):
    def infer(x, fft_length, axes, **attrs):
        _check_dtype(x, _REAL if kind == "RFFTND" else _COMPLEX, "input")
        if kind == "RFFTND":
            out_dtype = attrs["Tcomplex"]
            if out_dtype != _COMPLEX_OF[x.dtype]:
                raise TypeError(f"RFFTND of {x.dtype.name} gives {_COMPLEX_OF[x.dtype].name}, not {out_dtype.name}")
        elif kind == "IRFFTND":
            out_dtype = attrs["Treal"]
            if _COMPLEX_OF.get(out_dtype) != x.dtype:
                raise TypeError(f"IRFFTND of {x.dtype.name} gives {x.dtype.real_dtype.name}, not {out_dtype.name}")
        else:
            out_dtype = x.dtype
        dims = x.shape.as_tuple()
        lengths, axis_list = _values(fft_length), _values(axes)
        if dims is None:
            return TensorSpec(TensorShape(None), out_dtype)
        if lengths is None or axis_list is None:
            return TensorSpec(TensorShape([None] * len(dims)), out_dtype)
        out = list(dims)
        for axis, length in _checked_axes(lengths, axis_list, len(dims), ValueError):
            out[axis] = length
        if kind == "RFFTND" and axis_list:
            out[axis_list[-1] % len(dims)] = lengths[-1] // 2 + 1
        return TensorSpec(TensorShape(out), out_dtype)

    return infer


def _checked_axes(lengths, axes, rank, error):
    def fail(message):
        raise error(message) if error is ValueError else error(None, None, message)

    if len(lengths) != len(axes):
        fail(f"fft_length and axes must have the same number of elements, got {len(lengths)} and {len(axes)}")
    seen = set()
    for axis, length in zip(axes, lengths, strict=True):
        if not -rank <= axis < rank:
            fail(f"axis {axis} is out of range for an input of rank {rank}")
        if axis % rank in seen:
            fail(f"axes must be distinct, got {axes}")
        if length < 1:
            fail(f"fft_length must be positive, got {lengths}")
        seen.add(axis % rank)
        yield axis % rank, length


def _nd_kernel(kind):
    fn = {"FFTND": "fftn", "IFFTND": "ifftn", "RFFTND": "rfftn", "IRFFTND": "irfftn"}[kind]

    def kernel(xp, x, fft_length, axes, **attrs):
        lengths, axis_list = [int(v) for v in fft_length.tolist()], [int(v) for v in axes.tolist()]
        pairs = list(_checked_axes(lengths, axis_list, x.ndim, errors.InvalidArgumentError))
        out_dtype = attrs.get("Tcomplex", attrs.get("Treal", x.dtype))
        out_dtype = getattr(out_dtype, "as_numpy_dtype", out_dtype)
        if not pairs:  # nothing to transform
            return x.astype(out_dtype)
        s = [length for _, length in pairs]
        return getattr(xp.fft, fn)(x, s=s, axes=[axis for axis, _ in pairs]).astype(out_dtype, copy=False)

    return kernel


for _name in ("FFTND", "IFFTND", "RFFTND", "IRFFTND"):
    _args = {"attr_types": {"Tcomplex": "type = complex64"}, "attrs": {}}
    _input_type, _output_type = "Tcomplex", "Tcomplex"
    if _name == "RFFTND":
        _args = {"attr_types": {"Treal": "type = float32", "Tcomplex": "type"}, "attrs": {"Tcomplex": dtypes.complex64}}
        _input_type = "Treal"
    elif _name == "IRFFTND":
        _args = {"attr_types": {"Treal": "type", "Tcomplex": "type = complex64"}, "attrs": {"Treal": dtypes.float32}}
        _output_type = "Treal"
    register(OpDef(_name, infer=_nd_infer(_name), kernel=_nd_kernel(_name), grad=None,
                   input_names=(f"input: {_input_type}", "fft_length: int32", "axes: int32"),
                   output_names=(f"output: {_output_type}",), **_args))


# ---- public TF1 functions ---------------------------------------------------------------------------
def _inner_fn(op_type, doc):
    def fn(input, name=None):  # noqa: A002 - TF's argument name
        return apply_op(op_type, input, name=name or op_type)

    fn.__name__ = fn.__qualname__ = op_type.lower()
    fn.__doc__ = doc
    return fn


fft = _inner_fn("FFT", "The discrete Fourier transform over the innermost dimension, as `tf.fft`.")
ifft = _inner_fn("IFFT", "The inverse DFT over the innermost dimension, as `tf.ifft`.")
fft2d = _inner_fn("FFT2D", "The 2-D DFT over the two innermost dimensions, as `tf.fft2d`.")
ifft2d = _inner_fn("IFFT2D", "The inverse 2-D DFT over the two innermost dimensions, as `tf.ifft2d`.")
fft3d = _inner_fn("FFT3D", "The 3-D DFT over the three innermost dimensions, as `tf.fft3d`.")
ifft3d = _inner_fn("IFFT3D", "The inverse 3-D DFT over the three innermost dimensions, as `tf.ifft3d`.")


def _int32(value, name):
    return convert_to_tensor(value, dtype=dtypes.int32, name=name)


def fftnd(input, fft_length, axes, name=None):  # noqa: A002 - TF's argument name
    """The N-D DFT over `axes`, each cropped or zero-padded to its `fft_length`, as `tf.fftnd`.

        tf.fftnd(x, fft_length=[8, 8], axes=[-2, -1])   # numpy's np.fft.fftn(x, s=(8, 8), axes=(-2, -1))
    """
    return apply_op("FFTND", input, _int32(fft_length, "fft_length"), _int32(axes, "axes"), name=name or "FFTND")


def ifftnd(input, fft_length, axes, name=None):  # noqa: A002 - TF's argument name
    """The inverse N-D DFT over `axes` (cropped or zero-padded to `fft_length`), as `tf.ifftnd`."""
    return apply_op("IFFTND", input, _int32(fft_length, "fft_length"), _int32(axes, "axes"), name=name or "IFFTND")


def rfftnd(input, fft_length, axes, Tcomplex=dtypes.complex64, name=None):  # noqa: A002, N803 - TF's names
    """The N-D DFT of a real tensor over `axes`, as `tf.rfftnd`: the last axis keeps fft_length[-1] // 2 + 1
    bins. `Tcomplex` is complex64 for float32 input, complex128 for float64."""
    return apply_op("RFFTND", input, _int32(fft_length, "fft_length"), _int32(axes, "axes"), name=name or "RFFTND",
                    Tcomplex=dtypes.as_dtype(Tcomplex))


def irfftnd(input, fft_length, axes, Treal=dtypes.float32, name=None):  # noqa: A002, N803 - TF's names
    """The inverse of `rfftnd`, as `tf.irfftnd`: a real tensor of `fft_length` along `axes`. `Treal` is float32
    for complex64 input, float64 for complex128."""
    return apply_op("IRFFTND", input, _int32(fft_length, "fft_length"), _int32(axes, "axes"),
                    name=name or "IRFFTND", Treal=dtypes.as_dtype(Treal))
