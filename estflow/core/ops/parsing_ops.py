"""Parsing ops: CSV records, raw bytes and serialized `tf.train.Example` / `SequenceExample` protos.

Each op type is one `register(OpDef(...))` block with TF's op name and attrs; the CSV and
raw-bytes ones are followed by the TF1 function that builds them, while `tf.parse_example`
and its kin, which turn feature configs into these ops, are the library layer's
(estflow/library/parsing_ops.py). All run on the CPU on whole batches (strings in,
columns out) and have no gradient.

    cols = tf.decode_csv(lines, record_defaults=[[0.0], [0], [""]])        # DecodeCSV
    feats = tf.parse_example(serialized, {"age": tf.FixedLenFeature([], tf.float32)})   # ParseExample

DecodeCSV follows TF's field rules exactly (csv_parsing.py: quotes, empty fields,
`na_value`, `select_cols`, messages); the Example parsers decode with the protobuf runtime
(example_parsing.py) and report TF's messages.
"""

from __future__ import annotations

import functools

import numpy as np

from estflow.core import dtypes, errors, row_rules
from estflow.core import example_parsing as _example
from estflow.core.csv_parsing import CsvFormat, decode_csv_lines
from estflow.core.example_parser import ExampleParser
from estflow.core.graph import Tensor, name_scope
from estflow.core.lazy_constant import value_of
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, Fusion, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape, as_shape


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _as_bytes(s) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


def _check_string(spec: TensorSpec, param: str) -> None:
    if spec.dtype != dtypes.string:
        raise TypeError(f"Input '{param}' expected type string, got {spec.dtype.name}.")


def _check_rank(spec: TensorSpec, rank: int) -> None:
    n = spec.shape.ndims
    if n is not None and n != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {n}")


def _kernel_outputs(outputs: list):
    """A kernel's result: the array itself for one output, a tuple for several (what the session expects)."""
    return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _allowed(dtype, allowed, attr: str) -> None:
    if dtype not in allowed:
        names = ", ".join(_example.type_name(t) for t in allowed)
        raise TypeError(f"Value for attr '{attr}' of {_example.type_name(dtype)} is not in the list of allowed "
                        f"values: {names}")


# ---- DecodeCSV ------------------------------------------------------------------------------------
_CSV_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)


def _csv_defaults(defaults) -> list:
    """Each column's default as a Python value, or None for a required column (TF's checks)."""
    out = []
    for i, d in enumerate(defaults):
        if d.ndim > 1:
            raise _invalid("Each record default should be at most rank 1")
        size = d.size
        if size > 1:
            raise _invalid(f"There should only be 1 default per field but field {i} has {size}")
        out.append(d.item() if size else None)
    return out


def _decode_csv_infer(records, *defaults, OUT_TYPE, field_delim, use_quote_delim, na_value, select_cols):  # noqa: N803
    _check_string(records, "records")
    out_types = [dtypes.as_dtype(t) for t in OUT_TYPE]
    if len(out_types) != len(defaults):
        raise ValueError(f"DecodeCSV has {len(defaults)} record_defaults but OUT_TYPE lists {len(out_types)} types")
    for i, (d, t) in enumerate(zip(defaults, out_types)):
        _allowed(t, _CSV_TYPES, "OUT_TYPE")
        if d.dtype != t:
            raise TypeError(f"record_defaults[{i}] has type {d.dtype.name} but OUT_TYPE[{i}] is {t.name}.")
        if d.shape.ndims is not None and d.shape.ndims > 1:
            raise ValueError(f"Shape must be at most rank 1 but is rank {d.shape.ndims}")
    CsvFormat(field_delim, use_quote_delim, na_value, select_cols)
    select = list(select_cols or ())
    if select and len(select) != len(out_types):
        raise ValueError("select_cols should match output size")
    if any(a >= b for a, b in zip(select, select[1:])):
        raise ValueError("select_cols should be strictly increasing indices")
    if select and select[0] < 0:
        raise ValueError("select_cols should be non-negative indices")
    return [TensorSpec(records.shape, t) for t in out_types]


def _decode_csv_kernel(xp, records, *defaults, OUT_TYPE, field_delim, use_quote_delim, na_value, select_cols):  # noqa: N803
    # a plan binds one op's attrs once, so its lists are the same objects on every call: parsed once per op
    entry = _CSV_ATTRS.get(id(OUT_TYPE))
    if entry is None or entry[0] is not OUT_TYPE or entry[1] != (field_delim, use_quote_delim, na_value) \
            or entry[2] is not select_cols:
        if len(_CSV_ATTRS) >= 256:
            _CSV_ATTRS.clear()
        entry = _CSV_ATTRS[id(OUT_TYPE)] = (OUT_TYPE, (field_delim, use_quote_delim, na_value), select_cols,
                                            CsvFormat(field_delim, use_quote_delim, na_value, select_cols),
                                            [dtypes.as_dtype(t) for t in OUT_TYPE])
    columns = decode_csv_lines(records.reshape(-1).tolist(), _csv_defaults(defaults), entry[4], entry[3])
    if records.ndim != 1:
        columns = [c.reshape(records.shape) for c in columns]
    return _kernel_outputs(columns)


# id of an op's OUT_TYPE list -> (that list, the other attrs, select_cols, CsvFormat, output DTypes); the entry
# holds the lists it was made from, so an id is not reused while it stands
_CSV_ATTRS: dict = {}


register(OpDef(
    "DecodeCSV",
    infer=_decode_csv_infer,
    kernel=_decode_csv_kernel,
    attrs={"OUT_TYPE": REQUIRED, "field_delim": ",", "use_quote_delim": True, "na_value": "", "select_cols": []},
    cpu_only=True,
    differentiable=False,
    input_names=("records: string", "record_defaults: OUT_TYPE"), output_names=("output: OUT_TYPE",),
    attr_types={"OUT_TYPE": "list(type) >= 1", "field_delim": "string", "use_quote_delim": "bool",
                "na_value": "string", "select_cols": "list(int)"}, row_wise=row_rules.first_input,
))


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None, na_value="",
               select_cols=None):
    """Split CSV lines into columns, as `tf.decode_csv` / `tf.io.decode_csv`.

    One output per entry of `record_defaults`, each shaped like `records`. A default of
    `[value]` (or a scalar) fills empty fields and fields equal to `na_value`; an empty
    default (`[]` or `tf.constant([], tf.int32)`) makes the column required. Quoted
    fields (`"a,b"`, `""` for a quote) follow RFC 4180 unless `use_quote_delim=False`.

        age, name = tf.decode_csv(["39,Bob", ",Ann"], record_defaults=[[0], ["?"]])
        # age: [39, 0], name: [b"Bob", b"Ann"]
    """
    if select_cols is not None:
        select_cols = list(select_cols)
        if len(select_cols) != len(record_defaults):
            raise ValueError("Length of select_cols and record_defaults do not match.")
        if any(select_cols[i] >= select_cols[i + 1] for i in range(len(select_cols) - 1)):
            raise ValueError("select_cols is not strictly increasing.")
        if select_cols and select_cols[0] < 0:
            raise ValueError("select_cols contains negative values.")
    with name_scope(None, "DecodeCSV", [records]):
        records = records if isinstance(records, Tensor) else convert_to_tensor(records, dtype=dtypes.string)
        defaults = [convert_to_tensor(d) for d in record_defaults]
    result = apply_op("DecodeCSV", records, *defaults, name=name or "DecodeCSV",
                      OUT_TYPE=[d.dtype for d in defaults], field_delim=field_delim, use_quote_delim=use_quote_delim,
                      na_value=na_value, select_cols=select_cols or [])
    return list(result) if isinstance(result, list) else [result]


# ---- DecodeRaw ------------------------------------------------------------------------------------
_RAW_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.uint16, dtypes.uint8, dtypes.int16,
              dtypes.int8, dtypes.int64, dtypes.bool, dtypes.complex64, dtypes.complex128)


def _decode_raw_infer(x, *, out_type, little_endian):
    _check_string(x, "bytes")
    _allowed(dtypes.as_dtype(out_type), _RAW_TYPES, "out_type")
    shape = TensorShape(None) if x.shape.ndims is None else x.shape.concatenate([None])
    return TensorSpec(shape, out_type)


def _decode_raw_kernel(xp, x, out_type, little_endian):
    out_type = dtypes.as_dtype(out_type)
    np_type = np.dtype(out_type.as_numpy_dtype)
    flat = x.reshape(-1).tolist()
    size = len(flat[0]) if flat else 0
    for i, s in enumerate(flat):
        if len(s) != size:
            raise _invalid(f"DecodeRaw requires input strings to all be the same size, but element {i} has size "
                           f"{size} != {len(s)}")
    if size == 0:
        return np.zeros(x.shape + (0,), dtype=np_type)
    if size % np_type.itemsize:
        raise _invalid(f"Input to DecodeRaw has length {size} that is not a multiple of {np_type.itemsize}, the "
                       f"size of {_example.type_name(out_type)}")
    wire = np_type.newbyteorder("<" if little_endian else ">")
    values = np.frombuffer(b"".join(flat), dtype=wire)
    values = values != 0 if out_type == dtypes.bool else values.astype(np_type)
    return values.reshape(x.shape + (size // np_type.itemsize,))


register(OpDef(
    "DecodeRaw",
    infer=_decode_raw_infer,
    kernel=_decode_raw_kernel,
    attrs={"out_type": REQUIRED, "little_endian": True},
    cpu_only=True,
    differentiable=False,
    input_names=("bytes: string",), output_names=("output: out_type",),
    attr_types={"out_type": "type", "little_endian": "bool"},
))


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):  # noqa: A002
    """Reinterpret the bytes of each string as a vector of `out_type`, as `tf.decode_raw`.

    All strings must have the same length; the output gains a last dimension of
    `len / itemsize`.

        tf.decode_raw([b"\\x01\\x00\\x02\\x00"], tf.int16)   # [[1, 2]]
    """
    if input_bytes is not None and bytes is not None:
        raise ValueError("Cannot specify both 'input_bytes' and 'bytes'.")
    input_bytes = input_bytes if input_bytes is not None else bytes
    if out_type is None:
        raise TypeError("decode_raw() missing required argument 'out_type'.")
    if not isinstance(input_bytes, Tensor):
        input_bytes = convert_to_tensor(input_bytes, dtype=dtypes.string)
    return apply_op("DecodeRaw", input_bytes, name=name or "DecodeRaw",
                    out_type=dtypes.as_dtype(out_type), little_endian=little_endian)


# ---- shared pieces of the Example ops ------------------------------------------------------------
def _shape_tuple(shape) -> tuple:
    """A dense shape attr as ints, -1 for the unknown first dimension of a variable-length feature."""
    dims = as_shape(shape).as_list()
    return tuple(-1 if d is None else int(d) for d in dims)


def _key(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _check_types(types, attr) -> list:
    types = [dtypes.as_dtype(t) for t in types]
    for t in types:
        _allowed(t, (dtypes.float32, dtypes.int64, dtypes.string), attr)
    return types


def _dense_default(value: np.ndarray, dtype, shape: tuple, d: int, check_padding: bool = True) -> np.ndarray:
    """A dense default checked as TF's kernels check it."""
    if shape[:1] == (-1,):
        if check_padding and value.size != 1:
            raise _invalid(f"dense_shape[{d}] is a variable length shape: {_example._debug_shape(shape)}, therefore "
                           f"def_value[{d}] must contain a single element (the padding element).  But its shape "
                           f"is: {_dims(value.shape)}")
    elif value.size and not as_shape([None if s < 0 else s for s in shape]).is_compatible_with(value.shape):
        raise _invalid(f"def_value[{d}].shape() == {_dims(value.shape)} is not compatible with dense_shapes_[{d}]: "
                       f"{_example._debug_shape(shape)}")
    return np.asarray(value)


def _sparse_specs(n: int, batch_rank: int, types) -> list[TensorSpec]:
    return ([TensorSpec([None, batch_rank + 1], dtypes.int64) for _ in range(n)]
            + [TensorSpec([None], t) for t in types]
            + [TensorSpec([batch_rank + 1], dtypes.int64) for _ in range(n)])


def _dense_spec(prefix: list, shape, dtype) -> TensorSpec:
    dims = as_shape(shape).as_list()
    return TensorSpec(prefix + [None if d is None or d < 0 else d for d in dims], dtype)


def _flatten_sparse(sparse_out) -> list:
    return [s[0] for s in sparse_out] + [s[1] for s in sparse_out] + [s[2] for s in sparse_out]


# ---- ParseExample ---------------------------------------------------------------------------------
def _parse_example_infer(serialized, names, *rest, Nsparse, Ndense, sparse_types, Tdense, dense_shapes):  # noqa: N803
    _check_string(serialized, "serialized")
    _check_rank(serialized, 1)
    sparse_types = _check_types(sparse_types, "sparse_types")
    dense_types = _check_types(Tdense, "Tdense")
    if len(rest) != Nsparse + 2 * Ndense or len(sparse_types) != Nsparse or len(dense_types) != Ndense \
            or len(dense_shapes) != Ndense:
        raise ValueError(f"ParseExample got {len(rest)} key and default inputs for Nsparse={Nsparse}, "
                         f"Ndense={Ndense}")
    batch = serialized.shape.as_tuple()[0] if serialized.shape.ndims == 1 else None
    return (_sparse_specs(Nsparse, 1, sparse_types)
            + [_dense_spec([batch], s, t) for s, t in zip(dense_shapes, dense_types)])


# The keys and defaults of a plan's parse op are constants of its template, the same read-only arrays on
# every run: their parser is built once. (op type, the arrays and attrs by identity) -> (held objects, parser).
_SPECS_CACHE: dict = {}


def _cached_parser(op_type: str, arrays: tuple, attrs: tuple, build) -> ExampleParser:
    """`build()`, kept while `arrays` (the op's key and default inputs) and `attrs` are the same objects."""
    held = arrays + attrs
    key = (op_type, *map(id, held))
    hit = _SPECS_CACHE.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], held, strict=True)):
        return hit[1]
    parser = build()
    if all(type(a) is np.ndarray and not a.flags.writeable for a in arrays):  # constants: they cannot change
        if len(_SPECS_CACHE) >= 256:  # never grow without bound
            _SPECS_CACHE.clear()
        _SPECS_CACHE[key] = (held, parser)
    return parser


def _parse_example_parser(rest, Nsparse, Ndense, sparse_types, Tdense, dense_shapes):  # noqa: N803
    """The ExampleParser of ParseExample's key and default inputs (`rest`) and attrs."""
    return _cached_parser("ParseExample", rest, (sparse_types, Tdense, dense_shapes), lambda: _build_parser(
        rest[:Nsparse], rest[Nsparse:Nsparse + Ndense], rest[Nsparse + Ndense:], sparse_types, Tdense, dense_shapes))


def _parse_example_specs(rest, Nsparse, Ndense, sparse_types, Tdense, dense_shapes):  # noqa: N803
    """(sparse specs, dense specs) of ParseExample's inputs and attrs, built once for constant inputs."""
    return _parse_example_parser(rest, Nsparse, Ndense, sparse_types, Tdense, dense_shapes).specs


def _build_parser(sparse_keys, dense_keys, defaults, sparse_types, Tdense, dense_shapes,  # noqa: N803
                  check_padding: bool = True) -> ExampleParser:
    """The parser of keys (arrays or strings), defaults and attrs, checked as TF's kernels check them."""
    sparse = [_example.SparseSpec(_key(k), dtypes.as_dtype(t)) for k, t in zip(sparse_keys, sparse_types)]
    dense = []
    for d, (k, dtype, shape, default) in enumerate(zip(dense_keys, Tdense, dense_shapes, defaults)):
        shape = _shape_tuple(shape)
        dense.append(_example.DenseSpec(_key(k), dtypes.as_dtype(dtype).base_dtype, shape,
                                        _dense_default(default, dtype, shape, d, check_padding)))
    return ExampleParser(sparse, dense)


def _check_vector(serialized, names) -> None:
    if serialized.ndim != 1:
        raise _invalid(f"Expected serialized to be a vector, got shape: {_dims(serialized.shape)}")
    if names.size and (names.ndim != 1 or names.size != serialized.size):
        raise _invalid(f"Expected len(names) == len(serialized), got names of shape {_dims(names.shape)} for "
                       f"serialized of shape {_dims(serialized.shape)}")


def _parse_example_kernel(xp, serialized, names, *rest, Nsparse, Ndense, sparse_types, Tdense, dense_shapes):  # noqa: N803
    _check_vector(serialized, names)
    parser = _parse_example_parser(rest, Nsparse, Ndense, sparse_types, Tdense, dense_shapes)
    return _parse_vector(parser, serialized, names)


def _parse_vector(parser: ExampleParser, serialized, names):
    """ParseExample's outputs for a vector of records (its shape and the names already checked)."""
    sparse_out, dense_out = parser(serialized.tolist(), names.tolist() if names.size else None)
    return _kernel_outputs(_flatten_sparse(sparse_out) + dense_out)


def _constant_values(tensors) -> tuple[list, tuple] | None:
    """(values, the tensors they come from) when each of `tensors` is a Const or a pure op of Consts (a default
    is often Reshape(Const)): the values a plan folds into its template, computed by the same kernels; else None.
    A fusion skips all those tensors, so that feeding any of them leaves the op to its own kernel."""
    values: list = []
    visited: list = []
    for t in tensors:
        try:
            value = _folded_value(t, 3, visited)
        except Exception:  # noqa: BLE001 - the plan's own folding reports it, naming the node
            return None
        if value is None:
            return None
        values.append(value)
    return values, tuple(visited)


def _folded_value(t: Tensor, depth: int, visited: list):
    op = t._op
    if op._control_inputs or len(op._outputs) != 1:
        return None
    visited.append(t)
    op_def = op._op_def
    if op._type == "Const":
        return op_def.kernel(np, value_of(op._attrs["value"]), op._attrs["dtype"])
    if (depth == 0 or op_def.kernel is None or op_def.make_kernel is not None or op_def.stateful
            or op_def.is_variable or op_def.emits_dead):  # a pure op only, as the plan folds
        return None
    inputs = [_folded_value(x, depth - 1, visited) for x in op._inputs]
    if any(x is None for x in inputs):
        return None
    return op_def.kernel(np, *inputs, **op._attrs)


def _compiled_parser(build) -> ExampleParser | None:
    """The parser of a configuration checked at compile time; None where TF's kernel reports an error at run time."""
    try:
        return build()
    except Exception:  # noqa: BLE001 - the unfused kernel raises it at run time, as TF's does
        return None


def _parse_fusion(op, build, parse, skipped) -> Fusion | None:
    """The parse op as one step from `serialized` and `names` with the parser `build` compiles now, which
    `parse(parser, xp, serialized, names)` runs; None where building it fails (the kernel's errors)."""
    parser = _compiled_parser(build)
    if parser is None:
        return None
    return Fusion(tuple(op._inputs[:2]), functools.partial(parse, parser), skipped)


def _fuse_constant_parse_example(op):
    """ParseExample whose keys and defaults are constants (every parsing serving graph): one step from
    `serialized` and `names`, with its parser built once when the plan compiles."""
    constants = _constant_values(op._inputs[2:])
    if constants is None:
        return None
    values, skipped = constants
    a = op._attrs
    n_sparse, n_dense = a["Nsparse"], a["Ndense"]
    return _parse_fusion(op, lambda: _build_parser(values[:n_sparse], values[n_sparse:n_sparse + n_dense],
                                                   values[n_sparse + n_dense:], a["sparse_types"], a["Tdense"],
                                                   a["dense_shapes"]), _parse_fused, skipped)


def _parse_fused(parser, xp, serialized, names):
    _check_vector(serialized, names)
    return _parse_vector(parser, serialized, names)


register(OpDef(
    "ParseExample",
    infer=_parse_example_infer,
    kernel=_parse_example_kernel,
    fuse=_fuse_constant_parse_example,
    attrs={"Nsparse": REQUIRED, "Ndense": REQUIRED, "sparse_types": REQUIRED, "Tdense": REQUIRED,
           "dense_shapes": REQUIRED},
    cpu_only=True,
    differentiable=False,
    input_names=("serialized: string", "names: string", "sparse_keys: Nsparse * string", "dense_keys: Ndense * string",
                 "dense_defaults: Tdense"),
    output_names=("sparse_indices: Nsparse * int64", "sparse_values: sparse_types", "sparse_shapes: Nsparse * int64",
                  "dense_values: Tdense"),
    attr_types={"Nsparse": "int >= 0", "Ndense": "int >= 0", "sparse_types": "list(type) >= 0",
                "Tdense": "list(type) >= 0", "dense_shapes": "list(shape) >= 0"},
))


# ---- ParseExampleV2 -------------------------------------------------------------------------------
# TF 2's form (what `tf.io.parse_example` writes since TF 1.15 and what SavedModels exported by
# TensorFlow hold): the keys are 1-D string tensors, not attrs or lists, `serialized` may be a
# scalar (one example) or a vector, and ragged features have outputs of their own (estflow
# refuses ragged keys: ragged tensors are out of its scope).
def _parse_example_v2_infer(serialized, names, sparse_keys, dense_keys, ragged_keys, *defaults, Tdense, num_sparse,  # noqa: N803
                            sparse_types, ragged_value_types, ragged_split_types, dense_shapes):
    _check_string(serialized, "serialized")
    for spec, param in ((sparse_keys, "sparse_keys"), (dense_keys, "dense_keys"), (ragged_keys, "ragged_keys")):
        _check_string(spec, param)
        _check_rank(spec, 1)
    sparse_types = _check_types(sparse_types, "sparse_types")
    dense_types = _check_types(Tdense, "Tdense")
    if ragged_value_types or ragged_split_types:
        raise ValueError("ParseExampleV2 with ragged features is not supported by estflow (ragged tensors are out "
                         "of its scope): parse them as sparse features (tf.io.VarLenFeature) instead.")
    if len(defaults) != len(dense_types) or len(dense_shapes) != len(dense_types) or len(sparse_types) != num_sparse:
        raise ValueError(f"ParseExampleV2 got {len(defaults)} dense defaults for Tdense of length {len(dense_types)} "
                         f"and {len(sparse_types)} sparse types for num_sparse={num_sparse}")
    rank = serialized.shape.ndims
    if rank is not None and rank > 1:
        raise ValueError(f"Shape must be at most rank 1 but is rank {rank}")
    prefix = [] if rank == 0 else [serialized.shape.as_tuple()[0] if rank == 1 else None]
    return (_sparse_specs(num_sparse, len(prefix), sparse_types)
            + [_dense_spec(prefix, s, t) for s, t in zip(dense_shapes, dense_types)])


def _parse_example_v2_kernel(xp, serialized, names, sparse_keys, dense_keys, ragged_keys, *defaults, Tdense,  # noqa: N803
                             num_sparse, sparse_types, ragged_value_types, ragged_split_types, dense_shapes):
    if ragged_keys.size:
        raise _invalid("ParseExampleV2: ragged features are not supported by estflow")
    if sparse_keys.size != num_sparse or dense_keys.size != len(Tdense):
        raise _invalid(f"Expected {num_sparse} sparse keys and {len(Tdense)} dense keys, got {sparse_keys.size} and "
                       f"{dense_keys.size}")
    _check_scalar_or_vector(serialized, names)
    parser = _cached_parser("ParseExampleV2", (sparse_keys, dense_keys, *defaults),
                            (sparse_types, Tdense, dense_shapes),
                            lambda: _build_parser(sparse_keys.tolist(), dense_keys.tolist(), defaults, sparse_types,
                                                  Tdense, dense_shapes))
    return _parse_v2(parser, serialized, names)


def _check_scalar_or_vector(serialized, names) -> None:
    if serialized.ndim > 1:
        raise _invalid(f"Expected serialized to be a scalar or vector, got shape: {_dims(serialized.shape)}")
    if names.size and names.size != serialized.size:
        raise _invalid(f"Expected len(names) == len(serialized), got names of shape {_dims(names.shape)} for "
                       f"serialized of shape {_dims(serialized.shape)}")


def _parse_v2(parser: ExampleParser, serialized, names):
    """ParseExampleV2's outputs for a scalar or a vector of records (keys and names already checked)."""
    sparse_out, dense_out = parser(serialized.reshape(-1).tolist(), names.reshape(-1).tolist() if names.size else None)
    if serialized.ndim == 0:  # one example: drop the batch dimension, as TF's kernel does for a scalar input
        sparse_out = [(idx[:, 1:], vals, shp[1:]) for idx, vals, shp in sparse_out]
        dense_out = [v[0] for v in dense_out]
    return _kernel_outputs(_flatten_sparse(sparse_out) + dense_out)


def _fuse_constant_parse_example_v2(op):
    """ParseExampleV2 whose keys and defaults are constants and that has no ragged keys (TF 2's serving
    graphs): one step from `serialized` and `names`, with its parser built once when the plan compiles."""
    constants = _constant_values(op._inputs[2:])
    if constants is None:
        return None
    values, skipped = constants
    sparse_keys, dense_keys, ragged_keys, defaults = values[0], values[1], values[2], values[3:]
    a = op._attrs
    if ragged_keys.size or sparse_keys.size != a["num_sparse"] or dense_keys.size != len(a["Tdense"]):
        return None  # the kernel's errors, at run time
    return _parse_fusion(op, lambda: _build_parser(sparse_keys.tolist(), dense_keys.tolist(), defaults,
                                                   a["sparse_types"], a["Tdense"], a["dense_shapes"]),
                         _parse_v2_fused, skipped)


def _parse_v2_fused(parser, xp, serialized, names):
    _check_scalar_or_vector(serialized, names)
    return _parse_v2(parser, serialized, names)


register(OpDef(
    "ParseExampleV2",
    infer=_parse_example_v2_infer,
    kernel=_parse_example_v2_kernel,
    fuse=_fuse_constant_parse_example_v2,
    attrs={"Tdense": REQUIRED, "num_sparse": REQUIRED, "sparse_types": REQUIRED, "ragged_value_types": REQUIRED,
           "ragged_split_types": REQUIRED, "dense_shapes": REQUIRED},
    cpu_only=True,
    differentiable=False,
    input_names=("serialized: string", "names: string", "sparse_keys: string", "dense_keys: string",
                 "ragged_keys: string", "dense_defaults: Tdense"),
    output_names=("sparse_indices: num_sparse * int64", "sparse_values: sparse_types",
                  "sparse_shapes: num_sparse * int64", "dense_values: Tdense", "ragged_values: ragged_value_types",
                  "ragged_row_splits: ragged_split_types"),
    attr_types={"Tdense": "list(type) >= 0", "num_sparse": "int >= 0", "sparse_types": "list(type) >= 0",
                "ragged_value_types": "list(type) >= 0", "ragged_split_types": "list(type) >= 0",
                "dense_shapes": "list(shape) >= 0"},
))


# ---- ParseSingleExample ---------------------------------------------------------------------------
def _parse_single_example_infer(serialized, *defaults, num_sparse, sparse_keys, dense_keys, sparse_types, Tdense,  # noqa: N803
                                dense_shapes):
    _check_string(serialized, "serialized")
    _check_rank(serialized, 0)
    sparse_types = _check_types(sparse_types, "sparse_types")
    dense_types = _check_types(Tdense, "Tdense")
    if len(defaults) != len(dense_keys) or len(sparse_keys) != num_sparse:
        raise ValueError(f"ParseSingleExample got {len(defaults)} defaults for {len(dense_keys)} dense keys")
    return (_sparse_specs(num_sparse, 0, sparse_types)
            + [_dense_spec([], s, t) for s, t in zip(dense_shapes, dense_types)])


def _parse_single_example_kernel(xp, serialized, *defaults, num_sparse, sparse_keys, dense_keys, sparse_types,  # noqa: N803
                                 Tdense, dense_shapes):
    rows = serialized.ndim == 1 and not num_sparse and all(-1 not in _shape_tuple(s) for s in dense_shapes)
    if serialized.ndim != 0 and not rows:
        raise _invalid(f"Expected serialized to be a scalar, got shape: {_dims(serialized.shape)}")
    attrs = (sparse_keys, dense_keys, sparse_types, Tdense, dense_shapes)
    parser = _cached_parser("ParseSingleExample", defaults, attrs,
                            lambda: _build_parser(sparse_keys, dense_keys, defaults, sparse_types, Tdense, dense_shapes,
                                                  check_padding=False))
    if rows:
        return _kernel_outputs(_parse_single_examples_as_rows(serialized.tolist(), parser))
    sparse_out, dense_out = parser.single(serialized.item())
    return _kernel_outputs(_flatten_sparse(sparse_out) + dense_out)


def _parse_single_examples_as_rows(records: list, parser: ExampleParser) -> list:
    """Many records at once, each output the stack of the single-record outputs.

    Dataset pipelines (`map(parse_single_example)`) run the op on a whole chunk of records
    when every feature is dense and fixed-size (see readers.py); errors are still the
    single-record messages, raised for the first bad record.
    """
    result = parser.fast(records)
    if result is not None:
        return result[1]
    outputs = [parser.single(r)[1] for r in records]
    return [np.stack([o[d] for o in outputs]) if outputs else np.zeros((0,) + spec.shape, _np_type(spec.dtype))
            for d, spec in enumerate(parser.dense)]


def _np_type(dtype):
    return object if dtype == dtypes.string else dtype.as_numpy_dtype


register(OpDef(
    "ParseSingleExample",
    infer=_parse_single_example_infer,
    kernel=_parse_single_example_kernel,
    attrs={"num_sparse": REQUIRED, "sparse_keys": REQUIRED, "dense_keys": REQUIRED, "sparse_types": REQUIRED,
           "Tdense": REQUIRED, "dense_shapes": REQUIRED},
    cpu_only=True,
    differentiable=False,
    input_names=("serialized: string", "dense_defaults: Tdense"),
    output_names=("sparse_indices: num_sparse * int64", "sparse_values: sparse_types",
                  "sparse_shapes: num_sparse * int64", "dense_values: Tdense"),
    attr_types={"num_sparse": "int >= 0", "sparse_keys": "list(string) >= 0", "dense_keys": "list(string) >= 0",
                "sparse_types": "list(type) >= 0", "Tdense": "list(type) >= 0", "dense_shapes": "list(shape) >= 0"},
                row_wise=row_rules.single_example,
))


# ---- ParseSingleSequenceExample -------------------------------------------------------------------
_SEQUENCE_ATTRS = {"Ncontext_sparse": 0, "Ncontext_dense": 0, "Nfeature_list_sparse": 0, "Nfeature_list_dense": 0,
                   "context_sparse_types": [], "Tcontext_dense": [], "feature_list_dense_types": [],
                   "context_dense_shapes": [], "feature_list_sparse_types": [], "feature_list_dense_shapes": []}


def _split_sequence_inputs(rest, a):
    counts = [a["Ncontext_sparse"], a["Ncontext_dense"], a["Nfeature_list_sparse"], a["Nfeature_list_dense"],
              a["Ncontext_dense"]]
    parts, i = [], 0
    for n in counts:
        parts.append(rest[i:i + n])
        i += n
    return parts, rest[i:]


def _parse_sequence_infer(serialized, missing_empty, *rest, **a):
    _check_string(serialized, "serialized")
    _check_rank(serialized, 0)
    (_, _, _, _, defaults), tail = _split_sequence_inputs(rest, a)
    if len(tail) != 1:
        raise ValueError("ParseSingleSequenceExample takes one debug_name input after the context defaults")
    context_sparse_types = _check_types(a["context_sparse_types"], "context_sparse_types")
    context_dense_types = _check_types(a["Tcontext_dense"], "Tcontext_dense")
    list_sparse_types = _check_types(a["feature_list_sparse_types"], "feature_list_sparse_types")
    list_dense_types = _check_types(a["feature_list_dense_types"], "feature_list_dense_types")
    return (_sparse_specs(a["Ncontext_sparse"], 0, context_sparse_types)
            + [_dense_spec([], s, t) for s, t in zip(a["context_dense_shapes"], context_dense_types)]
            + _sparse_specs(a["Nfeature_list_sparse"], 1, list_sparse_types)
            + [_dense_spec([None], s, t) for s, t in zip(a["feature_list_dense_shapes"], list_dense_types)])


def _parse_sequence_kernel(xp, serialized, missing_empty, *rest, **a):
    (c_sparse_keys, c_dense_keys, l_sparse_keys, l_dense_keys, defaults), (debug_name,) = \
        _split_sequence_inputs(rest, a)
    if serialized.ndim != 0:
        raise _invalid(f"Expected serialized to be a scalar, got shape: {_dims(serialized.shape)}")
    if debug_name.size and debug_name.ndim != 0:
        raise _invalid(f"Expected debug_name to be a scalar, got shape: {_dims(debug_name.shape)}")
    context_sparse = [_example.SparseSpec(_key(k), dtypes.as_dtype(t))
                      for k, t in zip(c_sparse_keys, a["context_sparse_types"])]
    context_dense = []
    for d, (key, dtype, shape, default) in enumerate(zip(c_dense_keys, a["Tcontext_dense"],
                                                         a["context_dense_shapes"], defaults)):
        shape = _shape_tuple(shape)
        if default.size and default.shape != shape:
            raise _invalid(f"def_value[{d}].shape() == {_dims(default.shape)} != context_dense_shapes_[{d}] == "
                           f"{_example._debug_shape(shape)}")
        context_dense.append(_example.DenseSpec(_key(key), dtypes.as_dtype(dtype).base_dtype, shape, default))
    list_sparse = [_example.SparseSpec(_key(k), dtypes.as_dtype(t))
                   for k, t in zip(l_sparse_keys, a["feature_list_sparse_types"])]
    list_dense = [_example.DenseSpec(_key(k), dtypes.as_dtype(t), _shape_tuple(s), None)
                  for k, t, s in zip(l_dense_keys, a["feature_list_dense_types"], a["feature_list_dense_shapes"])]
    name = debug_name.item() if debug_name.size else b""
    c_sparse, c_dense, l_sparse, l_dense = _example.parse_single_sequence_example(
        serialized.item(), name, context_sparse, context_dense, list_sparse, list_dense,
        {_key(k) for k in missing_empty.reshape(-1).tolist()})
    return _kernel_outputs(_flatten_sparse(c_sparse) + c_dense + _flatten_sparse(l_sparse) + l_dense)


register(OpDef(
    "ParseSingleSequenceExample",
    infer=_parse_sequence_infer,
    kernel=_parse_sequence_kernel,
    attrs=dict(_SEQUENCE_ATTRS),
    cpu_only=True,
    differentiable=False,
    input_names=("serialized: string", "feature_list_dense_missing_assumed_empty: string",
                 "context_sparse_keys: Ncontext_sparse * string", "context_dense_keys: Ncontext_dense * string",
                 "feature_list_sparse_keys: Nfeature_list_sparse * string",
                 "feature_list_dense_keys: Nfeature_list_dense * string", "context_dense_defaults: Tcontext_dense",
                 "debug_name: string"),
    output_names=("context_sparse_indices: Ncontext_sparse * int64", "context_sparse_values: context_sparse_types",
                  "context_sparse_shapes: Ncontext_sparse * int64", "context_dense_values: Tcontext_dense",
                  "feature_list_sparse_indices: Nfeature_list_sparse * int64",
                  "feature_list_sparse_values: feature_list_sparse_types",
                  "feature_list_sparse_shapes: Nfeature_list_sparse * int64",
                  "feature_list_dense_values: feature_list_dense_types"),
    attr_types={"Ncontext_sparse": "int >= 0", "Ncontext_dense": "int >= 0", "Nfeature_list_sparse": "int >= 0",
                "Nfeature_list_dense": "int >= 0", "context_sparse_types": "list(type) >= 0",
                "Tcontext_dense": "list(type) >= 0", "feature_list_dense_types": "list(type) >= 0",
                "context_dense_shapes": "list(shape) >= 0", "feature_list_sparse_types": "list(type) >= 0",
                "feature_list_dense_shapes": "list(shape) >= 0"},
))
