"""A numpy-backed stand-in for cupy that refuses what real cupy refuses.

Without a GPU this is the only guard that kernels are cupy-safe, so it is strict where
cupy is strict. Each rule below names the cupy source (v13) or document it follows.

- Device arrays are not numpy arrays. `ndarray.__array__` raises cupy's TypeError
  ("Implicit conversion to a NumPy array is not allowed", cupy/_core/core.pyx), so
  `np.asarray(x)` and friends fail on a device array. numpy functions and ufuncs applied
  to a device array fail too (`__array_function__` answers NotImplemented and
  `__array_ufunc__` is None): stricter than cupy, which dispatches the numpy functions it
  also implements, because a kernel must call `xp.f`, never `np.f` (STYLE.md §2).
- A host numpy array handed to an `xp` function or mixed into an operator with a device
  array is refused with cupy's `TypeError: Unsupported type <class 'numpy.ndarray'>`
  (cupy/_core/_kernel.pyx `_preprocess_arg`: only cupy arrays and scalars reach a
  kernel). `asarray`/`array` (host -> device) and indexing accept host data, as cupy does.
- No `__index__` (cupy issues #5784 and #9109: left out on purpose, it would hide a device to
  host copy), and shapes, axes, sizes and slice bounds are host values (cupy issue #5822:
  `cupy.zeros(cupy_shape)` fails): a device array there raises TypeError. Ufuncs refuse
  Python lists (cupy takes Python sequences only in constructors, cupy issue #9109).
- No object, string, bytes, datetime, void or long double dtypes: cupy has bool, integers,
  float16/32/64 and complex64/128 only (cupy/_core/core.pyx `array` checks the dtype char
  against '?bhilqBHILQefdFD'); creating or producing another raises
  ValueError("Unsupported dtype ...").
- `ufunc.at` exists only for add, subtract, maximum, minimum and the bitwise ops, each for
  the dtypes cupy's atomics cover (cupy/_core/_routines_indexing.pyx `_scatter_op_single`):
  add: int32, uint32, uint64, float16, float32, float64 (not int64);
  subtract: int32, uint32; maximum/minimum: int32, uint32, uint64, float32, float64;
  bitwise_and/or/xor: int32, int64, uint32, uint64. Others raise NotImplementedError
  (cupy/_core/_kernel.pyx `ufunc.at`). `reduce` exists for add and multiply,
  `accumulate` and `reduceat` for add only (cupy issue #7082, the v12 ufunc-method plan).
- `sort`/`argsort` take no `kind` and are always stable, and `lexsort` takes one 2-D key
  array, not a tuple (cupy/_sorting/sort.py as of v13; later stubs accept kind="stable").
- The module has only names cupy has: no `frompyfunc`, `errstate`, `seterr`, `char`,
  `object_`, `str_`, `bytes_`, ... (an allowlist below, from cupy's API reference).
  `vectorize` is left out too: cupy's compiles a small subset of Python to CUDA, so a
  kernel must not count on it.

What it cannot catch: dtype promotion differences (cupy v13 keeps value-based casting of
Python scalars), performance (implicit syncs from `int(x)`/`bool(x)`, host round trips),
numerical differences of CUDA math, and cupy-only limits this file does not list; the
arguments of `ndarray` methods are checked only for the host-only ones listed below.
"""

from __future__ import annotations

import contextlib
import types

import numpy as np

_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")

# cupy/_core/_routines_indexing.pyx `_scatter_op_single`: the dtypes each scatter supports.
_I32, _U32, _I64, _U64 = np.dtype("int32"), np.dtype("uint32"), np.dtype("int64"), np.dtype("uint64")
_F16, _F32, _F64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
_AT_DTYPES = {
    "add": {_I32, _U32, _U64, _F16, _F32, _F64},
    "subtract": {_I32, _U32},
    "maximum": {_I32, _U32, _U64, _F32, _F64},
    "minimum": {_I32, _U32, _U64, _F32, _F64},
    "bitwise_and": {_I32, _I64, _U32, _U64},
    "bitwise_or": {_I32, _I64, _U32, _U64},
    "bitwise_xor": {_I32, _I64, _U32, _U64},
}
_REDUCE = {"add", "multiply"}
_ACCUMULATE = {"add"}
_REDUCEAT = {"add"}


def _check_dtype(dtype) -> None:
    dtype = np.dtype(dtype)
    if dtype.char not in "?bhilqBHILQefdFD":  # cupy/_core/core.pyx `array`: the dtypes cupy has
        raise ValueError(f"Unsupported dtype {dtype}")


# numpy.ndarray members cupy.ndarray lacks (cupy/_core/core.pyi lists cupy's); `data` is a
# device MemoryPointer in cupy, never host memory.
_NOT_CUPY_METHODS = frozenset(("data", "ctypes", "tostring", "itemset", "newbyteorder", "byteswap", "resize",
                               "setflags", "getfield", "setfield"))


class ndarray:  # noqa: N801 - cupy's name
    """A device array: numpy data behind an interface that refuses implicit host use."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # numpy ufuncs refuse device arrays (see the module docstring)
    __hash__ = None

    def __init__(self, a: np.ndarray):
        _check_dtype(a.dtype)
        self._a = a

    def get(self, stream=None, order="C", out=None):
        """Copy to the host, as cupy.ndarray.get."""
        return np.array(self._a, copy=True)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_function__(self, func, types_, args, kwargs):
        return NotImplemented  # numpy functions raise TypeError on device arrays

    # plain attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: _wrap(self._a.T))
    real = property(lambda self: _wrap(self._a.real))
    imag = property(lambda self: _wrap(self._a.imag))

    def __getattr__(self, name):
        if name.startswith("__") or name in _NOT_CUPY_METHODS:
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            if name in ("sort", "argsort") and "kind" in kwargs:
                raise TypeError(f"ndarray.{name}() got an unexpected keyword argument 'kind'")
            _check_host_params(f"ndarray.{name}", _METHOD_HOST_PARAMS.get(name, ()), args, kwargs)
            if name in ("sort", "argsort"):
                kwargs["kind"] = "stable"  # as cupy's
            result = attr(*_device_args(args, name), **_device_kwargs(kwargs, name))
            return self if result is self._a else _wrap(result)  # astype(copy=False): cupy returns self

        return method

    # host values: allowed (cupy synchronizes)
    def item(self, *args):
        return self._a.item(*args)

    def tolist(self):
        return self._a.tolist()

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (_wrap(self._a[i]) for i in range(self._a.shape[0]))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec) if self._a.ndim == 0 else str(self._a)

    # indexing: host index arrays are fine (cupy copies them to the device)
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, ndarray):
            value = value._a
        elif isinstance(value, (list, tuple)):
            value = _unwrap_any(value)
        self._a[_unwrap_index(key)] = value


def _binary(ufunc_name, reflected=False, inplace=False):
    np_ufunc = getattr(np, ufunc_name)

    def op(self, other):
        if isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)}")
        if not isinstance(other, ndarray) and not np.isscalar(other):
            return NotImplemented
        o = other._a if isinstance(other, ndarray) else other
        if inplace:
            np_ufunc(self._a, o, out=self._a)
            return self
        return _wrap(np_ufunc(o, self._a) if reflected else np_ufunc(self._a, o))

    return op


for _dunder, _uf in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"), ("truediv", "true_divide"),
                     ("floordiv", "floor_divide"), ("mod", "remainder"), ("pow", "power"),
                     ("matmul", "matmul"), ("and", "bitwise_and"), ("or", "bitwise_or"), ("xor", "bitwise_xor"),
                     ("lshift", "left_shift"), ("rshift", "right_shift")):
    setattr(ndarray, f"__{_dunder}__", _binary(_uf))
    setattr(ndarray, f"__r{_dunder}__", _binary(_uf, reflected=True))
    setattr(ndarray, f"__i{_dunder}__", _binary(_uf, inplace=True))
for _dunder, _uf in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"), ("ge", "greater_equal"),
                     ("eq", "equal"), ("ne", "not_equal")):
    setattr(ndarray, f"__{_dunder}__", _binary(_uf))
ndarray.__neg__ = lambda self: _wrap(-self._a)
ndarray.__pos__ = lambda self: _wrap(+self._a)
ndarray.__abs__ = lambda self: _wrap(abs(self._a))
ndarray.__invert__ = lambda self: _wrap(~self._a)
ndarray.__module__ = "cupy"  # estflow.core.devices.to_numpy recognizes cupy arrays by module


def _wrap(value):
    """numpy results as device arrays; cupy returns 0-d arrays where numpy returns scalars."""
    if isinstance(value, np.ndarray):
        return ndarray(value)
    if isinstance(value, np.generic):
        return ndarray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _device_args(args, where: str):
    """Unwrap device arrays; refuse host numpy arrays (cupy: 'Unsupported type')."""
    out = []
    for a in args:
        if isinstance(a, ndarray):
            out.append(a._a)
        elif isinstance(a, np.ndarray):
            raise TypeError(f"Unsupported type {type(a)} (a host numpy array passed to cupy's {where})")
        elif isinstance(a, (list, tuple)):
            out.append(type(a)(_device_args(a, where)))
        else:
            out.append(a)
    return out


def _device_kwargs(kwargs, where: str):
    return {k: _device_args([v], where)[0] for k, v in kwargs.items()}


def _unwrap_any(value):
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap_any(v) for v in value)
    return value


def _unwrap_index(key):
    keys = key if isinstance(key, tuple) else (key,)
    for k in keys:
        if isinstance(k, slice) and any(isinstance(b, ndarray) for b in (k.start, k.stop, k.step)):
            raise TypeError(_NO_INDEX.format(what="a slice bound"))
    if isinstance(key, tuple):
        return tuple(_unwrap_any(k) for k in key)
    return _unwrap_any(key)


# cupy.ndarray has no __index__, on purpose (cupy issues #5784, #9109), and cupy computes shapes,
# axes and sizes on the host (cupy issue #5822: `cupy.zeros(cupy_shape)` fails): a device array
# where an int, shape or axis is expected raises. These are the parameters of that kind.
_NO_INDEX = "'cupy.ndarray' object cannot be interpreted as an integer ({what} must be a host value)"
_AXIS = (1, "axis")
_HOST_PARAMS = {
    "zeros": (0, "shape"), "ones": (0, "shape"), "empty": (0, "shape"), "full": (0, "shape"),
    "eye": (0, 1, 2, "N", "M", "k"), "identity": (0, "n"), "arange": (0, 1, 2, "start", "stop", "step"),
    "linspace": (2, "num"), "reshape": (1, "newshape", "shape"), "broadcast_to": (1, "shape"),
    "tile": (1, "reps"), "repeat": (1, 2, "repeats", "axis"), "expand_dims": _AXIS, "squeeze": _AXIS,
    "flip": _AXIS, "roll": (1, 2, "shift", "axis"), "moveaxis": (1, 2, "source", "destination"),
    "swapaxes": (1, 2, "axis1", "axis2"), "transpose": (1, "axes"),
    "pad": (1, "pad_width", "constant_values", "end_values", "stat_length"),  # cupy/_padding/pad.py
    "split": (1, 2, "indices_or_sections", "axis"), "array_split": (1, 2, "indices_or_sections", "axis"),
    "concatenate": _AXIS, "stack": _AXIS, "take": (2, "axis"), "take_along_axis": (2, "axis"),
    "diagonal": (1, 2, 3, "offset", "axis1", "axis2"), "bincount": (2, "minlength"), "tri": (0, 1, 2),
    "tril": (1, "k"), "triu": (1, "k"), "unravel_index": (1, "shape"), "ravel_multi_index": (1, "dims"),
    **{r: _AXIS for r in ("sum", "prod", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "all", "any",
                          "cumsum", "cumprod", "std", "var", "count_nonzero", "nansum", "median", "sort",
                          "argsort", "flatnonzero", "ptp")},
}
_METHOD_HOST_PARAMS = {
    "reshape": tuple(range(8)) + ("shape", "newshape"), "transpose": tuple(range(8)) + ("axes",),
    "repeat": (0, 1, "repeats", "axis"), "take": (1, "axis"), "swapaxes": (0, 1), "squeeze": (0, "axis"),
    "diagonal": (0, 1, 2, "offset", "axis1", "axis2"),
    **{r: (0, "axis") for r in ("sum", "prod", "mean", "max", "min", "argmax", "argmin", "all", "any", "cumsum",
                                "cumprod", "std", "var", "sort", "argsort")},
}


def _has_device(value) -> bool:
    if isinstance(value, ndarray):
        return True
    return isinstance(value, (list, tuple)) and any(_has_device(v) for v in value)


def _check_host_params(where: str, params, args, kwargs) -> None:
    for p in params:
        value = args[p] if isinstance(p, int) and p < len(args) else kwargs.get(p) if isinstance(p, str) else None
        if _has_device(value):
            raise TypeError(_NO_INDEX.format(what=f"{where}'s argument {p!r}"))


class ufunc:  # noqa: N801 - cupy's name
    """A cupy ufunc: elementwise calls plus the methods cupy implements (see the module docstring)."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = np_ufunc.__name__
        self.nin, self.nout = np_ufunc.nin, np_ufunc.nout

    def __call__(self, *args, **kwargs):
        for a in args:
            if isinstance(a, (list, tuple)):  # cupy takes Python sequences only in constructors (cupy#9109)
                raise TypeError(f"Unsupported type {type(a)}")
        return _same_out(self._u(*_device_args(args, self.__name__), **_device_kwargs(kwargs, self.__name__)),
                         kwargs.get("out"))

    def at(self, a, indices, b=None):
        allowed = _AT_DTYPES.get(self.__name__)
        if allowed is None:
            raise NotImplementedError(f"`{self.__name__}.at` is not supported yet")
        if not isinstance(a, ndarray):
            raise TypeError(f"Unsupported type {type(a)}")
        # cupy casts the values to a's dtype first, then checks that dtype.
        if a.dtype not in allowed:
            raise TypeError(f"cupy.{self.__name__}.at only supports "
                            f"{', '.join(sorted(d.name for d in allowed))} as data type (got {a.dtype})")
        b = _device_args([b], f"{self.__name__}.at")[0]
        self._u.at(a._a, _unwrap_index(indices), b)

    def outer(self, x, y, **kwargs):
        return _wrap(self._u.outer(*_device_args([x, y], f"{self.__name__}.outer"), **kwargs))

    def _method(self, name, allowed, *args, **kwargs):
        if self.__name__ not in allowed:
            raise NotImplementedError(f"`{self.__name__}.{name}` is not supported yet")
        where = f"{self.__name__}.{name}"
        return _wrap(getattr(self._u, name)(*_device_args(args, where), **_device_kwargs(kwargs, where)))

    def reduce(self, *args, **kwargs):
        return self._method("reduce", _REDUCE, *args, **kwargs)

    def accumulate(self, *args, **kwargs):
        return self._method("accumulate", _ACCUMULATE, *args, **kwargs)

    def reduceat(self, *args, **kwargs):
        return self._method("reduceat", _REDUCEAT, *args, **kwargs)


def _function(name):
    fn = getattr(np, name)

    def call(*args, **kwargs):
        if name in ("sort", "argsort") and "kind" in kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument 'kind'")  # cupy/_sorting/sort.py
        if name in ("sort", "argsort"):
            kwargs["kind"] = "stable"  # cupy's sorts are always stable (cupy/_sorting/sort.py)
        if name == "lexsort" and not isinstance(args[0], ndarray):
            raise AttributeError(f"'{type(args[0]).__name__}' object has no attribute 'ndim'")  # keys: one array
        if "dtype" in kwargs and kwargs["dtype"] is not None:
            _check_dtype(kwargs["dtype"])
        _check_host_params(name, _HOST_PARAMS.get(name, ()), args, kwargs)
        result = fn(*_device_args(args, name), **_device_kwargs(kwargs, name))
        for a in args:  # an input handed back (ascontiguousarray of a contiguous array): the same object
            if isinstance(a, ndarray) and result is a._a:
                return a
        return _same_out(result, kwargs.get("out"))

    call.__name__ = name
    return call


def _same_out(result, out):
    """With `out=`, cupy returns `out` itself; a second wrapper of its buffer would hide an alias."""
    if isinstance(out, tuple) and len(out) == 1:
        out = out[0]
    return out if isinstance(out, ndarray) else _wrap(result)


def _creation(name):
    """Host data to the device (cupy.array/asarray): numpy arrays, lists and scalars are accepted."""
    copy = name == "array"

    def call(obj, dtype=None, copy=copy, order="K"):
        if dtype is not None:
            _check_dtype(dtype)
        if isinstance(obj, ndarray) and not copy:
            return obj if dtype is None or np.dtype(dtype) == obj.dtype else ndarray(obj._a.astype(dtype))
        return ndarray(np.array(_unwrap_any(obj), dtype=dtype, copy=True))  # host -> device always copies

    call.__name__ = name
    return call


# cupy's ufuncs (docs.cupy.dev "Universal functions (ufunc)", v13).
_UFUNCS = """
add subtract multiply divide true_divide floor_divide negative positive power float_power remainder mod fmod
absolute fabs rint sign heaviside conj conjugate exp exp2 log log2 log10 expm1 log1p sqrt square cbrt
reciprocal gcd lcm sin cos tan arcsin arccos arctan arctan2 hypot sinh cosh tanh arcsinh arccosh arctanh
deg2rad rad2deg degrees radians bitwise_and bitwise_or bitwise_xor invert left_shift right_shift greater
greater_equal less less_equal not_equal equal logical_and logical_or logical_xor logical_not maximum minimum
fmax fmin isfinite isinf isnan signbit copysign nextafter modf ldexp frexp floor ceil trunc logaddexp logaddexp2
divmod
""".split()

# cupy's other routines used by numeric code (docs.cupy.dev "Routines", v13). Absent on purpose:
# frompyfunc, errstate, seterr, geterr, char, object_, str_, bytes_, datetime64, rec, ma.
_FUNCTIONS = """
empty_like zeros_like ones_like full_like empty zeros ones full eye identity arange linspace logspace meshgrid
diag diagflat tri tril triu copy reshape ravel moveaxis rollaxis swapaxes transpose atleast_1d atleast_2d
atleast_3d broadcast_to broadcast_arrays expand_dims squeeze concatenate stack vstack hstack dstack column_stack
split array_split hsplit vsplit dsplit tile repeat append resize unique trim_zeros flip fliplr flipud roll rot90
pad around round fix sinc i0 clip real imag angle nan_to_num abs sum prod cumsum cumprod nansum nanprod
nancumsum diff gradient ediff1d cross amax amin max min nanmax nanmin argmax argmin nanargmax nanargmin mean std
var median nanmean nanstd nanvar average percentile quantile ptp all any count_nonzero histogram bincount digitize
cov corrcoef convolve correlate interp sort argsort lexsort partition argpartition searchsorted where nonzero
flatnonzero argwhere extract select choose compress take take_along_axis put place putmask diagonal
fill_diagonal indices ix_ ravel_multi_index unravel_index tril_indices triu_indices dot vdot inner outer matmul
tensordot einsum kron trace isclose allclose array_equal isin ndim shape size copyto may_share_memory
shares_memory apply_along_axis
""".split()

_PASSTHROUGH = """
dtype iinfo finfo promote_types issubdtype isscalar
bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 complex64 complex128 intp uintp
byte ubyte short ushort intc uintc longlong ulonglong half single double csingle cdouble
integer floating number signedinteger unsignedinteger inexact complexfloating generic
newaxis pi e inf nan euler_gamma
""".split()


def _dtype_query(name):
    fn = getattr(np, name)
    return lambda *args, **kwargs: fn(*[_unwrap_any(a) for a in args], **kwargs)


def _linalg_namespace():
    ns = types.SimpleNamespace()
    for name in ("norm", "qr", "svd", "cholesky", "inv", "pinv", "det", "solve", "eigh", "eigvalsh", "lstsq",
                 "slogdet", "matrix_power", "matrix_rank", "tensorsolve", "tensorinv"):
        setattr(ns, name, _linalg_fn(name))
    return ns


def _linalg_fn(name):
    fn = getattr(np.linalg, name)

    def call(*args, **kwargs):
        return _wrap(fn(*_device_args(args, f"linalg.{name}"), **_device_kwargs(kwargs, f"linalg.{name}")))

    return call


def _fft_namespace():
    ns = types.SimpleNamespace()
    for name in ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn"):
        setattr(ns, name, _fft_fn(name))
    return ns


def _fft_fn(name):
    fn = getattr(np.fft, name)

    def call(*args, **kwargs):
        return _wrap(fn(*_device_args(args, f"fft.{name}"), **_device_kwargs(kwargs, f"fft.{name}")))

    return call


def make_module(device_count: int = 1) -> types.ModuleType:
    """A fresh `cupy` module object for the stand-in (install with `install`)."""
    cp = types.ModuleType("cupy")
    cp.ndarray = ndarray
    cp.ufunc = ufunc
    for name in _UFUNCS:
        setattr(cp, name, ufunc(getattr(np, name)))
    for name in _FUNCTIONS:
        setattr(cp, name, _function(name))
    for name in _PASSTHROUGH:
        setattr(cp, name, getattr(np, name))
    cp.ascontiguousarray = _function("ascontiguousarray")
    for name in ("array", "asarray", "asanyarray"):
        setattr(cp, name, _creation(name))
    for name in ("result_type", "can_cast", "common_type", "min_scalar_type"):  # cupy's own take device arrays
        setattr(cp, name, _dtype_query(name))
    cp.linalg = _linalg_namespace()
    cp.fft = _fft_namespace()
    cp.asnumpy = lambda a, stream=None: a.get() if isinstance(a, ndarray) else np.asarray(a)
    cp.get_array_module = lambda *args: cp if any(isinstance(a, ndarray) for a in args) else np
    cp.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=lambda: device_count),
        Device=lambda index=0: contextlib.nullcontext(),
    )
    return cp


def install(monkeypatch, device_count: int = 1) -> types.ModuleType:
    """Make estflow see the stand-in as cupy for one test (undone by monkeypatch)."""
    from estflow.core import devices

    cp = make_module(device_count)
    monkeypatch.setattr(devices, "_cupy", cp)
    monkeypatch.setattr(devices, "_cupy_checked", True)
    return cp
