"""Constants of imported graphs kept as their TensorProto until a plan needs their value.

A GraphDef can describe a huge constant in a few bytes: a `Const` of shape
[1000000, 1000000] whose TensorProto holds one `float_val` that TF broadcasts. Importing
such a graph must not expand it (TF does not either), and running it must refuse what
cannot fit, the way TF's allocator does, instead of driving the machine out of memory:

    graph import   -> LazyConstant(proto, ...)        shape and dtype only: nothing allocated
    plan compile   -> LazyConstant.materialize()      checks the size against available memory
                                                      (ResourceExhaustedError naming the node)
                                                      then decodes once and keeps the array

Writing the graph back out (`as_graph_def`, meta graphs) writes the original TensorProto.
"""

from __future__ import annotations

import os
import resource
import threading

import numpy as np

from estflow.core import dtypes as _dtypes
from estflow.core import errors
from estflow.core.protos import types_pb2


def datatype_string(enum: int) -> str:
    """TF's DataTypeString of a DataType enum: "float", "int32", "float_ref"."""
    base = enum - 100 if enum > 100 else enum
    try:
        name = types_pb2.DataType.Name(base)[3:].lower()
    except ValueError:
        return f"<invalid DataType enum {enum}>"
    return name + "_ref" if enum > 100 else name


def _meminfo_available() -> int | None:
    """MemAvailable of /proc/meminfo in bytes (Linux); None elsewhere."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _address_space_left() -> int | None:
    """What an RLIMIT_AS bound still leaves this process, in bytes (None: no bound)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm", "rb") as f:
            used = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    return max(soft - used, 0)


def available_memory() -> int:
    """The bytes a new host array may take now: free memory, within any RLIMIT_AS bound."""
    bounds = [b for b in (_meminfo_available(), _address_space_left()) if b is not None]
    if not bounds:
        try:
            bounds.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError):
            return 1 << 62
    return min(bounds)


def check_allocation(nbytes: int, shape, dtype: _dtypes.DType, what: str) -> None:
    """ResourceExhaustedError (TF's OOM wording) when `nbytes` can't fit in memory now."""
    limit = available_memory()
    if nbytes > limit:
        dims = ",".join(str(d) for d in shape)
        type_name = datatype_string(dtype.as_datatype_enum)
        raise errors.ResourceExhaustedError(
            None, None, f"OOM when allocating tensor with shape[{dims}] and type {type_name} on "
                        f"/job:localhost/replica:0/task:0/device:CPU:0 by allocator cpu: {what} needs {nbytes} "
                        f"bytes, more than the {limit} bytes of memory available.")


_CHECK_ABOVE = 1 << 28  # bytes: smaller arrays are allocated without asking (reading /proc costs ~20 us)


def check_large_allocation(shape, np_dtype, what: str) -> None:
    """`check_allocation` for a kernel's output of `shape` whose size the data decides (Fill's dims),
    only when it is large, so the common small case costs one multiplication."""
    n = 1
    for d in shape:
        n *= int(d)
    nbytes = n * np.dtype(np_dtype).itemsize
    if nbytes > _CHECK_ABOVE:
        check_allocation(nbytes, shape, _dtypes.as_dtype(np_dtype) if np.dtype(np_dtype) != object else
                         _dtypes.string, what)


class LazyConstant:
    """A tensor attr of an imported node, decoded from its TensorProto on first use.

    `shape` (a tuple of ints) and `dtype` are known without decoding; `materialize()` (or
    `np.asarray(c)`) returns the read-only array, checking first that it can fit.
    """

    __slots__ = ("proto", "shape", "dtype", "node_name", "_decode", "_array", "_lock")

    def __init__(self, proto, shape: tuple, dtype: _dtypes.DType, node_name: str, decode):
        self.proto = proto
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node_name = node_name
        self._decode = decode  # TensorProto -> numpy array (graph_io.make_ndarray)
        self._array = None
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        itemsize = np.dtype(object).itemsize if self.dtype == _dtypes.string else self.dtype.size
        return self.size * itemsize

    ndim = property(lambda self: len(self.shape))

    def materialize(self) -> np.ndarray:
        """The constant's value (decoded once); ResourceExhaustedError if it can't fit in memory."""
        if self._array is None:
            with self._lock:
                if self._array is None:
                    check_allocation(self.nbytes, self.shape, self.dtype, f"constant '{self.node_name}'")
                    array = self._decode(self.proto)
                    array.setflags(write=False)
                    self._array = array
        return self._array

    def __array__(self, dtype=None, copy=None):
        array = self.materialize()
        return array if dtype is None else array.astype(dtype)

    def __repr__(self) -> str:
        return f"<LazyConstant of node '{self.node_name}': shape {list(self.shape)}, dtype {self.dtype.name}>"


def value_of(value):
    """`value` itself, or the array a LazyConstant stands for."""
    return value.materialize() if type(value) is LazyConstant else value
