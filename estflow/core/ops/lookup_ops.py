"""Lookup table ops, as TensorFlow registers them: the tables live in the session.

    HashTableV2()                        -> table_handle (a `resource` scalar naming the table)
    LookupTableImportV2(handle, k, v)    initializes the table from two tensors (KeyValueTensorInitializer)
    InitializeTableV2(handle, k, v)      the same from vectors (TF's older initializer op)
    InitializeTableFromTextFileV2(handle, filename)   one entry per line of a text file
    LookupTableFindV2(handle, keys, default_value) -> values (default_value where a key is absent)
    LookupTableSizeV2(handle)            -> number of entries (0 before initialization)
    LookupTableExportV2(handle)          -> keys, values

Each session keeps its tables in `ctx.state[("estflow.lookup", name)]`, where the name is the
handle's "container/shared_name" (or the node's name when the op shares nothing), so two
sessions on one graph have separate tables and two ops with one shared name share one, as TF's
resource manager does. A table is immutable once initialized, with TF's rules: running an
initializer again is a no-op when it brings as many entries, an error
("Table was already initialized with different data.") when it does not; a text-file
initializer of an initialized table is always a no-op; a key given two values is
FailedPrecondition; a lookup before initialization is FailedPrecondition("Table not initialized.").

The ops only need a GraphDef to run (no Python objects in attrs), so a model server can load
a graph that holds them without importing the Python table classes (library/lookup_ops.py).
"""

from __future__ import annotations

import itertools
import re
import threading

import numpy as np

from estflow.core import dtypes, errors, row_rules
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, register

_STATE = "estflow.lookup"
LINE_NUMBER = -1  # TextFileIndex.LINE_NUMBER
WHOLE_LINE = -2  # TextFileIndex.WHOLE_LINE


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _type_name(dtype) -> str:
    return {"float32": "float", "float64": "double"}.get(dtype.name, dtype.name)


def _text(value) -> str:
    """A key or value as TF's error messages print it (strings raw, numbers plain)."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


class HashTable:
    """One session's immutable hash table: TF's `HashTable<K, V>` (an InitializableLookupTable)."""

    def __init__(self, key_dtype, value_dtype):
        self.key_dtype, self.value_dtype = key_dtype, value_dtype
        self.initialized = False
        self.lock = threading.Lock()
        self.mapping: dict = {}
        self.accepted: set = set()  # (keys' numpy dtype, default's numpy dtype) that Find checked
        self._sorted_keys = self._sorted_values = None  # numeric keys: looked up by binary search
        # string keys to numbers, once initialized: (object, value dtype), the (keys, default) dtypes
        # that `find_strings` answers without the checks (a vocabulary list or file column's table)
        self.strings_to_numbers = None

    def size(self) -> int:
        return len(self.mapping) if self.initialized else 0

    def check_dtypes(self, key_dtype, value_dtype, name: str) -> None:
        if key_dtype != self.key_dtype or value_dtype != self.value_dtype:
            raise _invalid(f"Conflicting key/value dtypes {_type_name(key_dtype)}->{_type_name(value_dtype)} with "
                           f"{_type_name(self.key_dtype)}-{_type_name(self.value_dtype)} for table {name}")

    def initialize(self, keys: list, values: list, total_size: int, from_file: bool = False) -> None:
        """TF's InitializableLookupTable::Initialize over (keys, values) already read."""
        with self.lock:
            if self.initialized:
                if total_size != len(self.mapping) and not from_file:
                    raise errors.FailedPreconditionError(None, None, "Table was already initialized with different "
                                                                     "data.")
                return  # the same entries, as TF judges it (same count), or a file's table: nothing to do
            mapping = dict(zip(keys, values, strict=True))
            if len(mapping) != len(keys):
                first: dict = {}
                for k, v in zip(keys, values, strict=True):
                    previous = first.setdefault(k, v)
                    if previous != v and not (previous != previous and v != v):  # NaN equals NaN here
                        raise errors.FailedPreconditionError(
                            None, None, f"HashTable has different value for same key. Key {_text(k)} has "
                                        f"{_text(previous)} and trying to add value {_text(v)}")
                mapping = first
            self.mapping = mapping
            if self.key_dtype == dtypes.string and self.value_dtype != dtypes.string:
                self.strings_to_numbers = (np.dtype(object), np.dtype(self.value_dtype.as_numpy_dtype))
            if self.key_dtype != dtypes.string:
                np_key = self.key_dtype.as_numpy_dtype
                key_array = np.fromiter(mapping.keys(), dtype=np_key, count=len(mapping))
                order = np.argsort(key_array, kind="stable")
                self._sorted_keys = key_array[order]
                self._sorted_values = self._values_array(list(mapping.values()))[order]
            self.initialized = True

    def _values_array(self, values: list) -> np.ndarray:
        if self.value_dtype == dtypes.string:
            out = np.empty(len(values), dtype=object)
            out[:] = values
            return out
        return np.asarray(values, dtype=self.value_dtype.as_numpy_dtype).reshape(len(values))

    def find_strings(self, keys: np.ndarray, default) -> np.ndarray:
        """`find` of string keys in an initialized string-to-number table with one default (a
        Python number): the value of each key straight into the array."""
        flat = keys.ravel().tolist()
        out = np.fromiter(map(self.mapping.get, flat, itertools.repeat(default)), dtype=self.strings_to_numbers[1],
                          count=len(flat))
        return out if keys.ndim == 1 else out.reshape(keys.shape)

    def find(self, keys: np.ndarray, default: np.ndarray) -> np.ndarray:
        if not self.initialized:
            raise errors.FailedPreconditionError(None, None, "Table not initialized.")
        per_key = default.ndim != 0
        if self.key_dtype == dtypes.string:
            if per_key:
                fallback = default.reshape(-1).tolist()
                get = self.mapping.get
                found = [get(k, d) for k, d in zip(keys.reshape(-1).tolist(), fallback, strict=True)]
            else:
                d, get = default.item(), self.mapping.get
                flat = keys.reshape(-1).tolist()
                if self.value_dtype != dtypes.string:  # numbers straight into the array: no list between
                    return np.fromiter(map(get, flat, itertools.repeat(d)), dtype=self.value_dtype.as_numpy_dtype,
                                       count=len(flat)).reshape(keys.shape)
                found = [get(k, d) for k in flat]
            return self._values_array(found).reshape(keys.shape)
        flat = keys.reshape(-1)
        table_keys, table_values = self._sorted_keys, self._sorted_values
        if table_keys.size == 0:
            hit = np.zeros(flat.shape, dtype=bool)
            position = np.zeros(flat.shape, dtype=np.int64)
        else:
            position = np.minimum(np.searchsorted(table_keys, flat), table_keys.size - 1)
            hit = table_keys[position] == flat
        fallback = default.reshape(-1) if per_key else default
        if self.value_dtype == dtypes.string:
            out = np.empty(flat.shape, dtype=object)
            out[:] = np.broadcast_to(fallback, flat.shape)
            out[hit] = table_values[position[hit]]
        else:
            out = np.where(hit, table_values[position] if table_values.size else fallback, fallback)
            out = out.astype(self.value_dtype.as_numpy_dtype, copy=False)
        return out.reshape(keys.shape)

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.initialized:
            raise errors.AbortedError(None, None, "HashTable is not initialized.")
        keys = list(self.mapping)
        key_array = np.empty(len(keys), dtype=object) if self.key_dtype == dtypes.string else None
        if key_array is not None:
            key_array[:] = keys
        else:
            key_array = np.asarray(keys, dtype=self.key_dtype.as_numpy_dtype).reshape(len(keys))
        return key_array, self._values_array(list(self.mapping.values()))


# ---- the table handle ------------------------------------------------------------------------
def _table_name(op) -> str:
    container, shared = op._attrs.get("container") or "", op._attrs.get("shared_name") or ""
    if not shared:
        # TF: a table with no shared name is private to its kernel, unless use_node_name_sharing.
        shared = op.name if op._attrs.get("use_node_name_sharing") else f"_{op.name}"
    return f"{container}/{shared}"


def _make_hash_table(op, ctx):
    name = _table_name(op)
    key_dtype, value_dtype = op._attrs["key_dtype"], op._attrs["value_dtype"]
    handle = np.empty((), dtype=object)
    handle[()] = name
    state, lock, key = ctx.state, threading.Lock(), (_STATE, name)

    def hash_table():
        table = state.get(key)
        if table is None:
            with lock:
                table = state.setdefault(key, HashTable(key_dtype, value_dtype))
        if table.key_dtype is not key_dtype or table.value_dtype is not value_dtype:  # the same DTypes: agree
            table.check_dtypes(key_dtype, value_dtype, name)
        return handle

    return hash_table


def _hash_table_infer(*, container, shared_name, use_node_name_sharing, key_dtype, value_dtype):
    return TensorSpec([], dtypes.resource)


register(OpDef(
    "HashTableV2", infer=_hash_table_infer, make_kernel=_make_hash_table,
    attrs={"container": "", "shared_name": "", "use_node_name_sharing": False, "key_dtype": REQUIRED,
           "value_dtype": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False, row_wise=row_rules.invariant,
    output_names=("table_handle: resource",),
    attr_types={"container": "string", "shared_name": "string", "use_node_name_sharing": "bool", "key_dtype": "type",
                "value_dtype": "type"},
))


def _table(state, handle) -> HashTable:
    name = handle.item() if isinstance(handle, np.ndarray) else handle
    table = state.get((_STATE, name))
    if table is None:
        raise errors.NotFoundError(None, None, f"Resource {name}/N10tensorflow6lookup15LookupInterfaceE does not "
                                               "exist. Run the op that creates the table (HashTableV2) first.")
    return table


def _check_handle(spec: TensorSpec) -> None:
    if spec.dtype != dtypes.resource:
        raise TypeError(f"Input 'table_handle' expected type resource, got {spec.dtype.name}: pass a table's "
                        "resource_handle.")
    if spec.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {spec.shape.ndims}")


def _check_types(table: HashTable, keys: np.ndarray, values_dtype, what: str = "Value") -> None:
    key_dtype = dtypes.string if keys.dtype == object else dtypes.as_dtype(keys.dtype)
    if key_dtype != table.key_dtype:
        raise _invalid(f"Key must be type {_type_name(table.key_dtype)} but got {_type_name(key_dtype)}")
    if values_dtype != table.value_dtype:
        raise _invalid(f"{what} must be type {_type_name(table.value_dtype)} but got {_type_name(values_dtype)}")


def _array_dtype(a: np.ndarray):
    return dtypes.string if a.dtype == object else dtypes.as_dtype(a.dtype)


# ---- initializers ------------------------------------------------------------------------------
def _import(table: HashTable, keys: np.ndarray, values: np.ndarray) -> None:
    """TF's KeyValueTensorIterator + Initialize."""
    if keys.size == 0:  # TF's iterator sets this status last: it wins over a shape mismatch
        raise _invalid("keys and values cannot be empty tensors.")
    if keys.shape != values.shape:
        raise _invalid(f"keys and values should have the same dimension.{_dims(keys.shape)} vs {_dims(values.shape)}")
    _check_types(table, keys, _array_dtype(values))
    if table.initialized and keys.size == table.size():
        return  # TF's check of an initialized table: the same number of entries (run per batch in a map)
    table.initialize(keys.reshape(-1).tolist(), values.reshape(-1).tolist(), int(keys.size))


def _make_import(op, ctx):
    state = ctx.state
    return lambda handle, keys, values: _import(_table(state, handle), keys, values)


def _make_initialize(op, ctx):
    state = ctx.state

    def initialize(handle, keys, values):
        table = _table(state, handle)
        _check_types(table, keys, _array_dtype(values))
        if keys.ndim != 1:
            raise _invalid(f"Keys must be a vector, but received shape{_dims(keys.shape)}")
        if values.ndim != 1:
            raise _invalid(f"Values must be a vector, but received shape{_dims(values.shape)}")
        if keys.size != values.size:
            raise _invalid(f"Keys and values must have the same size {keys.size} vs {values.size}")
        _import(table, keys, values)

    return initialize


def _initializer_infer(handle, keys, values, **_):
    _check_handle(handle)
    return []


register(OpDef(
    "LookupTableImportV2", infer=_initializer_infer, make_kernel=_make_import, stateful=True, cpu_only=True,
    differentiable=False, row_wise=row_rules.invariant,
    input_names=("table_handle: resource", "keys: Tin", "values: Tout"),
    attr_types={"Tin": "type", "Tout": "type"},
))
register(OpDef(
    "InitializeTableV2", infer=_initializer_infer, make_kernel=_make_initialize, stateful=True, cpu_only=True,
    differentiable=False, row_wise=row_rules.invariant,
    input_names=("table_handle: resource", "keys: Tkey", "values: Tval"),
    attr_types={"Tkey": "type", "Tval": "type"},
))


# ---- InitializeTableFromTextFileV2 ---------------------------------------------------------------
def _lines(data: bytes):
    """(line, file position after it) for each line, as TF's InputBuffer::ReadLine reads them: split
    at "\\n", one trailing "\\r" dropped, a last line without "\\n" kept when it is not empty."""
    position = 0
    while position < len(data):
        end = data.find(b"\n", position)
        if end < 0:
            line, position = data[position:], len(data)
            line = line[:-1] if line.endswith(b"\r") else line
            if line:
                yield line, position
            return
        line, position = data[position:end], end + 1
        yield (line[:-1] if line.endswith(b"\r") else line), position


_SPACE = b" \t\n\v\f\r"
_INTEGER = re.compile(rb"[+-]?[0-9]+")
_FLOAT = re.compile(rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)", re.IGNORECASE)


def _parse(token: bytes, dtype, line_number: int, offset: int):
    """A file field as `dtype` (TF's safe_strto* rules: surrounding spaces allowed); int32 fields get
    the offset added, as TF's TextFileLineIterator does."""
    if dtype == dtypes.string:
        return token
    kind = {dtypes.int64: "int64", dtypes.int32: "int32", dtypes.float32: "float", dtypes.float64: "double"}.get(dtype)
    if kind is None:
        raise _invalid(f"Data type {_type_name(dtype)} not supported.")
    text = token.strip(_SPACE)
    if dtype.is_integer and _INTEGER.fullmatch(text):
        value = int(text)
        info = np.iinfo(dtype.as_numpy_dtype)
        if info.min <= value <= info.max:
            return value + offset if dtype == dtypes.int32 else value
    elif not dtype.is_integer and _FLOAT.fullmatch(text):
        return float(np.asarray(float(text), dtype=dtype.as_numpy_dtype))
    raise _invalid(f"Field {_text(token)} in line {line_number} is not a valid {kind}.")


def _check_file_indices(table: HashTable, key_index: int, value_index: int) -> None:
    key_dtype, value_dtype = table.key_dtype, table.value_dtype
    if key_index == LINE_NUMBER and key_dtype != dtypes.int64:
        raise _invalid(f"Key index for line number requires table key dtype of int64, got {_type_name(key_dtype)}")
    if key_index == WHOLE_LINE and not key_dtype.is_integer and key_dtype != dtypes.string:
        raise _invalid(f"Key index for whole line requires string or integer table key, got {_type_name(key_dtype)}")
    if value_index == LINE_NUMBER and value_dtype != dtypes.int64:
        raise _invalid("Value index for line number requires table value dtype of int64, got "
                       f"{_type_name(value_dtype)}")
    if value_index == WHOLE_LINE and not value_dtype.is_integer and value_dtype != dtypes.string:
        raise _invalid("Value index for whole line requires table value dtype of integer or string, got "
                       f"{_type_name(value_dtype)}")


def read_text_file_table(filename: str, table: HashTable, key_index: int, value_index: int, vocab_size: int,
                         delimiter: bytes, offset: int) -> tuple[list, list]:
    """(keys, values) of a vocabulary file, as TF's TextFileLineIterator reads it."""
    _check_file_indices(table, key_index, value_index)
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as e:
        raise errors.from_os_error(filename, e) from None
    split = max(key_index, value_index) >= 0
    needed = max(key_index, value_index) + 1
    keys, values = [], []
    for line, position in _lines(data):
        line_number = len(keys)
        if vocab_size != -1 and line_number >= vocab_size:
            return keys, values  # TF stops at vocab_size lines ("Truncated ... before its end")
        if not line:
            raise _invalid(f"Invalid content in {filename}: empty line found at position {position}.")
        tokens = line.split(delimiter) if split else []
        if split and len(tokens) < needed:
            raise _invalid(f"Invalid number of columns in {filename} line {line_number} ({_text(line)}) : expected "
                           f"at least {needed} got {len(tokens)}")
        for index, dtype, out in ((key_index, table.key_dtype, keys), (value_index, table.value_dtype, values)):
            if index == LINE_NUMBER:
                out.append(line_number + offset)
            else:
                out.append(_parse(line if index == WHOLE_LINE else tokens[index], dtype, line_number, offset))
    if vocab_size != -1 and len(keys) != vocab_size:
        raise _invalid(f"Invalid vocab_size in {filename}: expected {vocab_size} but got {len(keys)}")
    if not keys:
        raise errors.OutOfRangeError(None, None, f"{filename} has no line to read: a vocabulary file needs at "
                                                 "least one entry.")
    return keys, values


def _make_text_file_init(op, ctx):
    state = ctx.state
    attrs = op._attrs
    delimiter = attrs["delimiter"]
    delimiter = delimiter.encode() if isinstance(delimiter, str) else delimiter

    def initialize(handle, filename):
        if len(delimiter) != 1:
            raise _invalid("delimiter should be only 1 char")
        if filename.ndim != 0:
            raise _invalid(f"filename should be a single string, but got {_dims(filename.shape)}")
        table = _table(state, handle)
        name = filename.item()
        name = name.decode() if isinstance(name, bytes) else str(name)
        if not name:
            raise _invalid("filename cannot be empty.")
        keys, values = read_text_file_table(name, table, attrs["key_index"], attrs["value_index"],
                                            attrs["vocab_size"], delimiter, attrs["offset"])
        table.initialize(keys, values, len(keys), from_file=True)

    return initialize


def _text_file_infer(handle, filename, **_):
    _check_handle(handle)
    if filename.dtype != dtypes.string:
        raise TypeError(f"Input 'filename' expected type string, got {filename.dtype.name}.")
    if filename.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {filename.shape.ndims}")
    return []


register(OpDef(
    "InitializeTableFromTextFileV2", infer=_text_file_infer, make_kernel=_make_text_file_init,
    attrs={"key_index": REQUIRED, "value_index": REQUIRED, "vocab_size": -1, "delimiter": "\t", "offset": 0},
    stateful=True, cpu_only=True, differentiable=False, row_wise=row_rules.invariant,
    input_names=("table_handle: resource", "filename: string"),
    attr_types={"key_index": "int >= -2", "value_index": "int >= -2", "vocab_size": "int >= -1",
                "delimiter": "string", "offset": "int"},
))


# ---- Find, Size, Export ----------------------------------------------------------------------------
def _find_infer(handle, keys, default_value):
    _check_handle(handle)
    return TensorSpec(keys.shape, default_value.dtype)


def _make_find(op, ctx):
    state = ctx.state

    def find(handle, keys, default_value):
        table = _table(state, handle)
        signature = (keys.dtype, default_value.dtype)
        if signature == table.strings_to_numbers and default_value.ndim == 0:  # the usual vocabulary lookup
            return table.find_strings(keys, default_value.item())
        if signature not in table.accepted:  # the dtypes decide: checked once per pair
            _check_types(table, keys, _array_dtype(default_value))
            table.accepted.add(signature)
        if default_value.ndim != 0 and default_value.shape != keys.shape:
            raise _invalid(f"Expected shape [] or {_dims(keys.shape)} for default value, got "
                           f"{_dims(default_value.shape)}")
        return table.find(keys, default_value)

    return find


register(OpDef(
    "LookupTableFindV2", infer=_find_infer, make_kernel=_make_find, stateful=True, cpu_only=True,
    differentiable=False, row_wise=row_rules.scalar_constants,
    input_names=("table_handle: resource", "keys: Tin", "default_value: Tout"),
    output_names=("values: Tout",), attr_types={"Tin": "type", "Tout": "type"},
))


def _size_infer(handle):
    _check_handle(handle)
    return TensorSpec([], dtypes.int64)


def _make_size(op, ctx):
    state = ctx.state
    return lambda handle: np.int64(_table(state, handle).size())


register(OpDef(
    "LookupTableSizeV2", infer=_size_infer, make_kernel=_make_size, stateful=True, cpu_only=True,
    differentiable=False, row_wise=row_rules.invariant,
    input_names=("table_handle: resource",), output_names=("size: int64",),
))


def _export_infer(handle, *, Tkeys, Tvalues):  # noqa: N803 - TF's attr names
    _check_handle(handle)
    return [TensorSpec([None], Tkeys), TensorSpec([None], Tvalues)]


def _make_export(op, ctx):
    state = ctx.state
    return lambda handle: _table(state, handle).export()


register(OpDef(
    "LookupTableExportV2", infer=_export_infer, make_kernel=_make_export, attrs={"Tkeys": REQUIRED,
                                                                                 "Tvalues": REQUIRED},
    stateful=True, cpu_only=True, differentiable=False, input_names=("table_handle: resource",),
    output_names=("keys: Tkeys", "values: Tvalues"), attr_types={"Tkeys": "type", "Tvalues": "type"},
))
