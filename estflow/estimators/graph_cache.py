"""What `Estimator.evaluate()`/`predict()` reuse between calls, and how they know it is still valid.

A repeated `evaluate()` or `predict()` reuses the graph built by the previous call of the same
mode (the input pipeline, `model_fn`'s ops, the metric ops and the init ops) and the variable
values read from the checkpoint, so the second call builds no model and reads no checkpoint
file. Each call still:

- calls `input_fn` again (into a scratch graph) and reuses the cached graph only when the new
  input is the same: the same ops with the same attributes, constants and tf.data pipelines
  compared by content (numpy arrays byte by byte, Python functions by code, defaults and closed
  over values). New data in `input_fn` (another array, another file name) rebuilds; a generator
  or a file is read anew by every call, as the pipeline restarts;
- runs in a new session: metric accumulators, iterators and lookup tables start afresh;
- checks the checkpoint: another path, or the same path whose files changed (size, mtime, inode),
  reloads the values; the cached graph is kept.

Rebuilt instead of reused: another mode or `predict_keys`, changed `params` (compared by value),
user hooks or hooks from the EstimatorSpec (their `begin()` may add ops), a Scaffold with its own
saver or init_fn, partitioned variables or other saveables, anything in the input that cannot be
compared by content or holds over 200,000 Python values (a numpy array counts as one): the call
then simply builds a fresh graph, as TF does.

`model_fn` is taken to build the same graph from the same features, labels, mode, params and
config (TF's contract): a model_fn that reads other global state that changed between calls
needs a new Estimator, or hooks passed to the call, to be rebuilt.
"""

from __future__ import annotations

import copy
import glob
import hashlib
import os
import types

import numpy as np

from estflow.core.graph import Graph, GraphKeys, Operation, Tensor
from estflow.training import checkpoint_utils


class Unfingerprintable(Exception):
    """The input holds something that cannot be compared by content."""


def graph_fingerprint(graph, returned) -> str | None:
    """A digest of every op of `graph` (type, name, inputs, device, attrs by content) and of `returned`,
    or None when something in them cannot be compared by content."""
    digest = hashlib.sha256()  # hardware-accelerated on most CPUs: the input arrays are hashed on every call
    seen: dict[int, int] = {}
    keep_alive: list = [0]  # a visit count, then the objects whose ids are in `seen` (kept alive: ids stay unique)
    try:
        for op in graph.get_operations():
            _feed(digest, (op.type, op.name, [t.name for t in op.inputs], [c.name for c in op.control_inputs],
                           op.device), seen, keep_alive, 0)
            for key in sorted(op._attrs):
                _feed(digest, key, seen, keep_alive, 0)
                _feed(digest, op._attrs[key], seen, keep_alive, 0)
        _feed(digest, returned, seen, keep_alive, 0)
    except Unfingerprintable:
        return None
    return digest.hexdigest()


_ATOMS = (type(None), bool, int, float, complex, str, bytes)


_MAX_ITEMS = 200_000  # Python-level values compared per call; past it the call just builds (as TF does)


def _feed(digest, value, seen, keep_alive, depth) -> None:
    if depth > 64:
        raise Unfingerprintable("too deep")
    keep_alive[0] += 1  # keep_alive[0] counts the values visited
    if keep_alive[0] > _MAX_ITEMS:
        raise Unfingerprintable("too many Python values (a numpy array counts as one)")
    update = digest.update
    if type(value) in _ATOMS:
        update(f"{type(value).__name__}:{value!r};".encode())
        return
    if isinstance(value, np.generic):
        update(f"np:{value.dtype.str}:{value!r};".encode())
        return
    if isinstance(value, (Tensor, Operation)):
        update(f"{type(value).__name__}:{value.name};".encode())
        return
    if isinstance(value, Graph):
        update(b"graph;")
        return
    if isinstance(value, (type, types.ModuleType, types.BuiltinFunctionType)):
        update(f"{type(value).__name__}:{getattr(value, '__module__', '')}.{value.__qualname__ if isinstance(value, type) else value.__name__};".encode())  # noqa: E501
        return
    key = id(value)
    if key in seen:
        update(f"ref:{seen[key]};".encode())
        return
    seen[key] = len(seen)
    keep_alive.append(value)
    depth += 1
    if isinstance(value, np.ndarray):
        update(f"nd:{value.dtype.str}:{value.shape};".encode())
        if value.dtype == object:
            for item in value.flat:
                _feed(digest, item, seen, keep_alive, depth)
        else:
            update(np.ascontiguousarray(value).view(np.uint8).reshape(-1).data)
    elif isinstance(value, (list, tuple)):
        update(f"{type(value).__name__}:{len(value)};".encode())
        for item in value:
            _feed(digest, item, seen, keep_alive, depth)
    elif isinstance(value, dict):
        update(f"dict:{len(value)};".encode())
        for item_key, item in value.items():
            _feed(digest, item_key, seen, keep_alive, depth)
            _feed(digest, item, seen, keep_alive, depth)
    elif isinstance(value, types.FunctionType):
        # The code object is shared by every function one `def`/lambda makes; the values it closes over
        # and its defaults are what differs between two calls of input_fn.
        update(f"fn:{id(value.__code__)};".encode())
        _feed(digest, value.__defaults__, seen, keep_alive, depth)
        _feed(digest, value.__kwdefaults__, seen, keep_alive, depth)
        for cell in value.__closure__ or ():
            try:
                contents = cell.cell_contents
            except ValueError:  # an empty cell
                contents = None
            _feed(digest, contents, seen, keep_alive, depth)
    elif isinstance(value, (types.MethodType, types.BuiltinMethodType)):
        _feed(digest, getattr(value, "__func__", value.__name__), seen, keep_alive, depth)
        _feed(digest, value.__self__, seen, keep_alive, depth)
    elif isinstance(value, (set, frozenset)):
        if not all(isinstance(item, _ATOMS) for item in value):
            raise Unfingerprintable("a set of objects")
        update(f"set:{sorted(map(repr, value))};".encode())
    elif hasattr(value, "__dict__") or hasattr(type(value), "__slots__"):
        update(f"obj:{type(value).__module__}.{type(value).__qualname__};".encode())
        for atom in _ATOMS[1:]:
            if isinstance(value, atom):  # e.g. a str subclass carrying a payload in its __dict__
                update(f"{atom.__name__}:{atom.__repr__(value)};".encode())
        state = dict(getattr(value, "__dict__", {}))
        for klass in type(value).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if isinstance(slot, str) and hasattr(value, slot) and slot not in ("__dict__", "__weakref__"):
                    state[slot] = getattr(value, slot)
        for name in sorted(state):
            _feed(digest, name, seen, keep_alive, depth)
            _feed(digest, state[name], seen, keep_alive, depth)
    else:
        raise Unfingerprintable(type(value).__name__)


def snapshot(value):
    """A deep copy of `value` to compare with `==` later, or None when it cannot be copied or compared."""
    try:
        copied = copy.deepcopy(value)
        if not bool(copied == value):
            return None
    except Exception:  # noqa: BLE001 - any failure to copy or compare means "do not cache"
        return None
    return copied


def same_snapshot(saved, value) -> bool:
    try:
        return bool(saved == value)
    except Exception:  # noqa: BLE001 - arrays in params and the like: not comparable means changed
        return False


def checkpoint_signature(checkpoint_path):
    """The checkpoint's path with the size, mtime and inode of each of its files: changes when it is rewritten."""
    if not checkpoint_path:
        return None
    files = sorted(glob.glob(glob.escape(checkpoint_path) + ".*"))
    stats = []
    for name in files:
        if name.endswith(".meta") or name.endswith(".tempstate"):
            continue
        info = os.stat(name)
        stats.append((name, info.st_size, info.st_mtime_ns, info.st_ino))
    return (os.path.abspath(checkpoint_path), tuple(stats))


def cacheable_variables(graph, scaffold):
    """The global variables to feed from cached values, or None when this graph restores more than they."""
    if scaffold.saver is not None or scaffold.init_fn is not None or graph.get_collection(GraphKeys.SAVERS):
        return None
    if graph.get_collection(GraphKeys.SAVEABLE_OBJECTS):
        return None
    variables = graph.get_collection(GraphKeys.GLOBAL_VARIABLES)
    if any(getattr(v, "_save_slice_info", None) is not None for v in variables):
        return None
    return variables


def read_checkpoint_values(checkpoint_path, names) -> dict | None:
    """{name: array} of `names` in the checkpoint; None when one is missing (the Saver's error then tells)."""
    reader = checkpoint_utils.load_checkpoint(checkpoint_path)
    try:
        if not all(reader.has_tensor(name) for name in names):
            return None
        return {name: reader.get_tensor(name) for name in names}
    finally:
        reader.close()


def frozen(value) -> np.ndarray:
    """`value` as a read-only array: a session's Assign copies it instead of adopting (and later updating) it."""
    array = value if isinstance(value, np.ndarray) else np.array(value)
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array
