"""A pipeline's elements produced ahead by a worker process, on another core.

TensorFlow 2's tf.data runs a pipeline beside the training step: its default optimizations
parallelize stateless `map`s and inject a `prefetch` after a pipeline's last synchronous stage
(`tf.data.experimental.OptimizationOptions.inject_prefetch`, True by default), so decoding the
next batch overlaps the step that trains on this one. In Python a thread cannot do that (the
pipeline's stages hold the interpreter lock), so estflow forks: once an iterator has handed out
`AFTER` elements in its own process, if producing them and the consumer's work between its requests
each took a fair share (`SHARE`) of the time, and its pipeline is one whose elements cannot depend
on anything the session does later, a child process takes over the same generator, at the same
position and with the same state (fork copies it), and streams the elements to the iterator
through a pipe. The elements, their order and their errors are those the iterator would have
produced itself; only where the work happens changes. While a worker runs, the BLAS keeps to the cores it leaves.

Which pipelines: file readers (TextLine, TFRecord, FixedLengthRecord), tensors, slices and
ranges, and `shuffle`, `repeat`, `batch`, `padded_batch`, `map`, `filter`, `take`, `skip`,
`shard`, `unbatch` and `with_options` over them, whose functions run only pure ops (no
variables, tables, random ops, `py_func`, nested datasets or control flow). Anything else,
`inject_prefetch = False` in the pipeline's options, or `ESTFLOW_DATA_WORKER=0` in the
environment keeps the pipeline in the iterator's process. Linux only (fork).

The child is killed when the iterator is closed (session closed, iterator re-initialized);
it exits by itself when the session's process goes away (its pipe breaks).
"""

from __future__ import annotations

import io
import math
import os
import pickle
import signal
import struct
import sys
import warnings

import numpy as np

from estflow.core import errors
from estflow.data import runtime

AFTER = 64  # elements an iterator produces itself first: short pipelines (tests, tiny evals) never fork
# ... and forks only where producing elements, and the consumer's work between requests, each took at least
# this share of the time:
# on a 2-core machine a DNN step at batch 40 (its input ~13% of the step) ran 13% slower beside a busy
# worker, a linear step (17%) 12% faster, a wide & deep step at batch 256 (21%) 19% faster.
SHARE = 0.15
_PIPE_BYTES = 1 << 20  # how far ahead the worker may run (Linux caps a pipe's buffer at 1 MiB by default)
_ENABLED = os.environ.get("ESTFLOW_DATA_WORKER", "1") != "0" and sys.platform == "linux" and hasattr(os, "fork")


class Decision:
    """Whether a worker would pay: the time an iterator spends producing elements itself and the time
    between its requests (the consumer's step), over its first `AFTER` elements after a warm-up."""

    __slots__ = ("produced", "between", "last")

    def __init__(self):
        self.produced: list = []
        self.between: list = []
        self.last = None  # when the last request returned

    def note(self, index: int, started: float, ended: float) -> None:
        if index >= AFTER // 4:  # the first requests pay one-time costs on both sides
            self.produced.append(ended - started)
            if self.last is not None:
                self.between.append(started - self.last)
        self.last = ended

    def fork(self) -> bool:
        if not self.produced or not self.between:
            return True
        produced, between = sum(self.produced), sum(self.between)  # (a batched map decodes in bursts)
        # Both sides must have work to overlap: a consumer that only reads the elements (a loop of
        # sess.run(next)) gains nothing from a worker and pays for the pipe (0.6x the rows/s, measured).
        return produced >= SHARE * (produced + between) and between >= SHARE * (produced + between)


def _pure_function(fn) -> bool:
    for op in fn.graph.get_operations():
        op_def = op._op_def
        if op_def.feed_only or op._type == "Const":
            continue
        if op_def.kernel is None or op_def.make_kernel is not None or op_def.stateful or op_def.emits_dead:
            return False
    return True


def _allowed_nodes():
    from estflow.data import batching, readers, shuffle, sources, transformations  # built after this module

    return (readers.TextLineDataset, readers.TFRecordDataset, readers.FixedLengthRecordDataset,
            sources.TensorDataset, sources.TensorSliceDataset, sources.RangeDataset, shuffle.ShuffleDataset,
            transformations.RepeatDataset, transformations.MapDataset, transformations.FilterDataset,
            transformations.TakeDataset, transformations.SkipDataset, transformations.ShardDataset,
            transformations.OptionsDataset, batching.BatchDataset, batching.PaddedBatchDataset,
            batching.UnbatchDataset)


def eligible(dataset) -> bool:
    """Whether `dataset`'s elements may be produced by a worker process (see the module docstring)."""
    opt = dataset.options().experimental_optimization
    if not _ENABLED or opt.inject_prefetch is False or (opt.apply_default_optimizations is False
                                                        and opt.inject_prefetch is not True):
        return False
    allowed = _allowed_nodes()

    def visit(ds) -> bool:
        if type(ds) not in allowed:
            return False
        if not all(_pure_function(fn) for fn in ds._functions()):
            return False
        return all(visit(child) for child in ds._inputs())

    return visit(dataset)


# ---- the wire: pickled (kind, payload) messages ---------------------------------------------------------
_ELEMENT, _ERROR, _RAISE, _END = range(4)


def _portable(error: BaseException):
    """An exception as the iterator's process can rebuild it: an OpError by its class and message (its op
    and node_def are graph objects), a built-in exception pickled, anything else as an InternalError with
    its text (the iterator's unpickler loads no other class, see `_Unpickler`)."""
    if isinstance(error, errors.OpError):
        return ("op", type(error), error._message)
    if type(error).__module__ == "builtins":
        try:
            pickle.dumps(error)
            return ("py", error)
        except Exception:  # noqa: BLE001, S110 - any exception may fail to pickle; its text still goes
            pass
    return ("op", errors.InternalError, f"{type(error).__name__}: {error}")


# What a frame's header may name: numpy's arrays, dtypes and scalars, ml_dtypes' scalar types, estflow's
# SparseTensorValue and error classes, built-in exceptions. The pipe is private to the iterator and the
# child it forked, yet its unpickler loads nothing else, so no byte stream can make it call anything more.
_SAFE_GLOBALS = frozenset(
    [("numpy", "ndarray"), ("numpy", "dtype"), ("estflow.core.sparse_tensor", "SparseTensorValue")]
    + [(m, n) for m in ("numpy._core.multiarray", "numpy.core.multiarray") for n in ("_reconstruct", "scalar")]
    + [(m, "_frombuffer") for m in ("numpy._core.numeric", "numpy.core.numeric")])


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        found = super().find_class(module, name) if module in ("ml_dtypes", "numpy.dtypes", "builtins",
                                                                 "estflow.core.errors") else None
        if isinstance(found, type) and (
                (module == "ml_dtypes" and issubclass(found, np.generic))
                or (module == "numpy.dtypes" and issubclass(found, np.dtype))
                or (module == "builtins" and issubclass(found, BaseException))
                or (module == "estflow.core.errors" and issubclass(found, errors.OpError))):
            return found
        raise pickle.UnpicklingError(f"The input worker's frame names {module}.{name}, which estflow does not load.")


def _rebuilt(portable) -> BaseException:
    if portable[0] == "op":
        return portable[1](None, None, portable[2])
    return portable[1]


# An element goes as one frame: the lengths of a small pickled header and of a body, then both. The header
# describes each component; the body holds the arrays' bytes, each at a 16-byte aligned offset, which the
# iterator's process reads into one buffer and views with np.frombuffer (no copy, no per-array unpickling).
# A string (object) component of at least _INTERN_MIN values whose distinct values are at most half of them
# goes as those values (in the header) and an int code per value (in the body): a census column's 256
# strings hold a dozen distinct ones, and rebuilding it is one `take`. The rebuilt array holds the same
# values; a repeated one is one object, whose hash Python then computes once for every op that looks it up.
_FRAME = struct.Struct("<QQ")
_RAW, _CODES, _OBJECT = range(3)
_INTERN_MIN = 16
_ALIGN = 16
_DTYPES: dict = {}  # the worker's: dtype.str -> the dtype, or False where that string is not exact
_BY_KEY: dict = {}  # the iterator's: a header's dtype key -> the dtype


def _dtype_key(dtype):
    """A dtype as a short string where that names it exactly (numpy's own types), else the dtype itself."""
    key = dtype.str
    if _DTYPES.get(key) is None:
        _DTYPES[key] = dtype if np.dtype(key) == dtype else False
    return key if _DTYPES[key] is not False else dtype


def _interned(v):
    """(distinct values, codes) of an object array of bytes, or None when interning would not halve it."""
    found: dict = {}
    try:
        codes = [found.setdefault(x, len(found)) for x in v.ravel().tolist()]
    except TypeError:  # not hashable: sent as it is
        return None
    if len(found) * 2 > v.size or not all(x.__class__ is bytes for x in found):
        return None
    return list(found), codes


def _write_frame(out, kind, payload) -> None:
    buffers, size = [], 0

    def place(data) -> int:
        nonlocal size
        offset = size
        buffers.append((offset, data))
        size += -(-data.nbytes // _ALIGN) * _ALIGN
        return offset

    if kind == _ELEMENT:  # specs of the components, then every interned column's values and codes in one
        specs, distinct, codes = [], [], []
        for v in payload:
            if v.__class__ is np.ndarray and v.dtype != object:
                data = np.ascontiguousarray(v)
                specs.append((_RAW, _dtype_key(data.dtype), v.shape, place(data)))
            elif v.__class__ is np.ndarray and v.size >= _INTERN_MIN and (found := _interned(v)) is not None:
                base = len(distinct)
                distinct += found[0]
                specs.append((_CODES, v.shape, len(codes), len(codes) + v.size))
                codes += [c + base for c in found[1]] if base else found[1]
            else:
                specs.append((_OBJECT, v))
        at = place(np.array(codes, dtype=np.intp)) if codes else 0
        payload = (specs, distinct, at, len(codes))
    header = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(header), size))
    out.write(header)
    written = 0
    for offset, data in buffers:
        if offset > written:
            out.write(bytes(offset - written))
        out.write(memoryview(data.reshape(-1).view(np.uint8)))
        written = offset + data.nbytes
    if size > written:
        out.write(bytes(size - written))
    out.flush()


def _read_frame(pipe):
    """(kind, payload) of the next frame; an element's components rebuilt."""
    lengths = pipe.read(_FRAME.size)
    if len(lengths) < _FRAME.size:
        raise EOFError
    header_size, body_size = _FRAME.unpack(lengths)
    kind, payload = _Unpickler(io.BytesIO(pipe.read(header_size))).load()
    if kind != _ELEMENT:
        return kind, payload
    body = bytearray(body_size)  # writable: the arrays viewing it are as writable as the pipeline's own
    if body_size and pipe.readinto(body) < body_size:
        raise EOFError
    specs, distinct, at, n_codes = payload
    strings = np.array(distinct, dtype=object).take(np.frombuffer(body, np.intp, n_codes, at)) if n_codes else None
    element = []
    for spec in specs:
        if spec[0] == _RAW:
            _, key, shape, offset = spec
            dtype = _BY_KEY.get(key)
            if dtype is None:
                dtype = _BY_KEY[key] = np.dtype(key) if key.__class__ is str else key
            element.append(np.frombuffer(body, dtype, math.prod(shape), offset).reshape(shape))
        elif spec[0] == _CODES:
            _, shape, start, stop = spec
            element.append(strings[start:stop].reshape(shape))
        else:
            element.append(spec[1])
    return kind, element


def _serve(elements, out) -> None:
    """The worker's loop: every element (or error) of `elements` down the pipe, then the end or the error
    that stopped the pipeline."""
    try:
        for element in elements:
            if element.__class__ is runtime.ElementError:
                _write_frame(out, _ERROR, _portable(element.error))
            else:
                _write_frame(out, _ELEMENT, element)
        message = (_END, None)
    except Exception as exc:  # noqa: BLE001 - handed to the iterator, raised there
        message = (_RAISE, _portable(exc))
    _write_frame(out, *message)


class Worker:
    """A running worker: its pid, the pipe it writes to, and the iterator-side generator of its elements."""

    def __init__(self, pid: int, pipe):
        self.pid, self.pipe = pid, pipe
        self.done = False
        _limit_blas(+1)

    def elements(self):
        """The worker's elements as the iterator's generator would have yielded them (errors in their
        place); raises the error that stopped the pipeline."""
        pipe = self.pipe
        try:
            while True:
                try:
                    kind, payload = _read_frame(pipe)
                except EOFError:
                    raise errors.InternalError(None, None, "The input pipeline's worker process ended unexpectedly "
                                                           "(killed?). Set ESTFLOW_DATA_WORKER=0 to run pipelines "
                                                           "in the training process.") from None
                if kind == _ELEMENT:
                    yield payload
                elif kind == _ERROR:
                    yield runtime.ElementError(_rebuilt(payload))
                elif kind == _RAISE:
                    raise _rebuilt(payload)
                else:
                    return
        finally:
            self.stop()  # the stream is over (or abandoned): the process is no longer needed

    def stop(self) -> None:
        """Kill the worker and reap it (once)."""
        if self.done:
            return
        self.done = True
        try:
            self.pipe.close()
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        _limit_blas(-1)


# While a worker runs, the BLAS library's threads are held to the cores it leaves: OpenBLAS's threads
# spin between calls, and beside a busy worker on a 2-core machine they took the worker's core and made
# a DNN step slower than with no worker at all (matmuls of a canned DNN's sizes gain little from a
# second thread: 4% at batch 256 on 2 cores).
_blas = {"workers": 0, "limiter": None}


def _limit_blas(change: int) -> None:
    _blas["workers"] += change
    if change > 0 and _blas["workers"] == 1:
        try:
            from threadpoolctl import threadpool_limits  # optional: without it the BLAS keeps its threads
        except ImportError:
            return
        _blas["limiter"] = threadpool_limits(limits=max(1, (os.cpu_count() or 2) - 1), user_api="blas")
    elif change < 0 and _blas["workers"] == 0 and _blas["limiter"] is not None:
        _blas["limiter"].restore_original_limits()
        _blas["limiter"] = None


def start(elements) -> Worker:
    """Fork a worker that goes on with the generator `elements` from where it is. The iterator must not
    resume `elements` itself afterwards; it reads `Worker.elements()` instead."""
    read_fd, write_fd = os.pipe()
    try:
        import fcntl  # Linux: a larger pipe lets the worker run further ahead

        fcntl.fcntl(write_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except OSError:
        pass
    sys.stdout.flush()  # nothing buffered here is written twice by the child
    sys.stderr.flush()
    with warnings.catch_warnings():  # Python 3.12+ warns about fork beside other threads (BLAS pools)
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the worker: never returns into the caller's frames
        code = 0
        try:
            os.close(read_fd)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the training process
            with open(write_fd, "wb", buffering=1 << 16) as out:
                _serve(elements, out)
        except BaseException:  # noqa: BLE001 - the pipe broke (the iterator's process is gone) or worse
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return Worker(pid, open(read_fd, "rb", buffering=1 << 16))
