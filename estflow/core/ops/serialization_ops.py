"""Serialized values: SerializeSparse, SerializeManySparse, DeserializeManySparse, DecodeCompressed and
DecodeJSONExample (`tf.io.serialize_sparse`, ..., `tf.io.decode_json_example`).

A serialized SparseTensor is three serialized TensorProtos (indices, values, dense shape) written
as TF's `Tensor::AsProtoTensorContent` writes them: the elements in `tensor_content`, strings
as TF's string-list encoding there (every length as a varint, then the bytes), so estflow's
bytes equal TensorFlow's. Reading accepts the typed `*_val` fields too, and checks every proto
(dtype, shape, element count) before allocating for it: a serialized value is untrusted input.
"""

from __future__ import annotations

import json
import re
import zlib

import numpy as np
from google.protobuf import json_format

from estflow.core import dtypes, errors
from estflow.core.graph_io import make_ndarray
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.protos import example_pb2, tensor_pb2
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _check_string(spec: TensorSpec, what: str) -> None:
    if spec.dtype != dtypes.string:
        raise TypeError(f"Input '{what}' has type {spec.dtype.name} that does not match expected type of string.")


def _strings_like(shape, values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out.reshape(shape)


# ---- TensorProto bytes ---------------------------------------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise _invalid("Could not parse a string tensor's content: a truncated length")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def tensor_proto_bytes(array: np.ndarray, dtype: dtypes.DType) -> bytes:
    """A serialized TensorProto of `array`, as TF's AsProtoTensorContent writes it."""
    proto = tensor_pb2.TensorProto(dtype=dtype.as_datatype_enum)
    for d in array.shape:
        proto.tensor_shape.dim.add().size = int(d)
    if array.size:
        if dtype == dtypes.string:
            items = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in array.reshape(-1).tolist()]
            proto.tensor_content = b"".join(_varint(len(v)) for v in items) + b"".join(items)
        else:
            proto.tensor_content = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return proto.SerializeToString()


def tensor_from_proto_bytes(data: bytes, what: str) -> tuple[dtypes.DType, np.ndarray]:
    """(dtype, array) of a serialized TensorProto, checked before anything is allocated for it."""
    proto = tensor_pb2.TensorProto()
    try:
        proto.ParseFromString(data)
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends: all mean malformed bytes
        raise _invalid(f"Could not parse {what} as a TensorProto") from None
    try:
        dtype = dtypes.as_dtype(proto.dtype)
    except (TypeError, ValueError):
        raise _invalid(f"{what} has an unknown dtype enum {proto.dtype}") from None
    shape = [int(d.size) for d in proto.tensor_shape.dim]
    if any(d < 0 for d in shape):
        raise _invalid(f"{what} has a negative dimension: {shape}")
    count = 1
    for d in shape:
        count *= d
    if dtype == dtypes.string:
        if proto.tensor_content:
            content, at, lengths = proto.tensor_content, 0, []
            for _ in range(min(count, len(content))):
                n, at = _read_varint(content, at)
                lengths.append(n)
            if len(lengths) != count or at + sum(lengths) != len(content):
                raise _invalid(f"{what}: a string tensor of {count} elements needs matching content")
            items = []
            for n in lengths:
                items.append(content[at:at + n])
                at += n
        else:
            items = list(proto.string_val)
        if len(items) != count:
            raise _invalid(f"{what} holds {len(items)} strings for shape {shape}")
        return dtype, _strings_like(shape, items)
    itemsize = np.dtype(dtype.as_numpy_dtype).itemsize
    if proto.tensor_content and len(proto.tensor_content) != count * itemsize:
        raise _invalid(f"{what} holds {len(proto.tensor_content)} bytes for {count} {dtype.name} elements")
    if not proto.tensor_content and count > len(data):  # a *_val field holds at least a byte per element
        raise _invalid(f"{what} claims shape {shape} but holds {len(data)} bytes")
    try:
        array = make_ndarray(proto)
    except (ValueError, TypeError) as e:
        raise _invalid(f"{what}: {e}") from None
    if array.size != count:
        raise _invalid(f"{what} holds {array.size} elements for shape {shape}")
    return dtype, array


# ---- SerializeSparse / SerializeManySparse ---------------------------------------------------------------------
def _check_sparse_specs(indices, values, shape):
    if indices.dtype != dtypes.int64 or shape.dtype != dtypes.int64:
        raise TypeError("A SparseTensor's indices and dense_shape must be int64")
    if indices.shape.ndims not in (None, 2):
        raise ValueError(f"Shape must be rank 2 but is rank {indices.shape.ndims} for 'sparse_indices'")
    for spec, what in ((values, "sparse_values"), (shape, "sparse_shape")):
        if spec.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {spec.shape.ndims} for '{what}'")


def _check_out_type(out_type) -> None:
    if dtypes.as_dtype(out_type) != dtypes.string:
        raise ValueError("estflow serializes a SparseTensor to strings only (out_type=tf.string); tf.variant has "
                         "no meaning outside TensorFlow's runtime")


def _serialize_sparse_infer(indices, values, shape, *, out_type):
    _check_sparse_specs(indices, values, shape)
    _check_out_type(out_type)
    return TensorSpec([3], dtypes.string)


def _check_sparse_arrays(indices, values, shape) -> None:
    if indices.ndim != 2 or values.ndim != 1 or shape.ndim != 1 or indices.shape[0] != values.shape[0] \
            or indices.shape[1] != shape.shape[0]:
        raise _invalid(f"Input SparseTensor is not consistent: indices {list(indices.shape)}, values "
                       f"{list(values.shape)}, dense_shape {list(shape.shape)}")


def _serialize_sparse_kernel(xp, indices, values, shape, *, out_type):
    _check_sparse_arrays(indices, values, shape)
    value_type = dtypes.string if values.dtype == object else dtypes.as_dtype(values.dtype)
    return _strings_like([3], [tensor_proto_bytes(indices, dtypes.int64), tensor_proto_bytes(values, value_type),
                               tensor_proto_bytes(shape, dtypes.int64)])


def _serialize_many_sparse_infer(indices, values, shape, *, out_type):
    _check_sparse_specs(indices, values, shape)
    _check_out_type(out_type)
    batch = None if shape.value is None or not np.size(shape.value) else int(np.asarray(shape.value)[0])
    return TensorSpec([batch, 3], dtypes.string)


def _serialize_many_sparse_kernel(xp, indices, values, shape, *, out_type):
    _check_sparse_arrays(indices, values, shape)
    if shape.shape[0] < 2:
        raise _invalid(f"Rank of input SparseTensor should be > 1, but saw rank: {shape.shape[0]}")
    batch = int(shape[0])
    rows = indices[:, 0]
    if rows.size and (rows.min() < 0 or rows.max() >= batch):
        raise _invalid(f"Indices are not valid: the first dimension must be in [0, {batch})")
    value_type = dtypes.string if values.dtype == object else dtypes.as_dtype(values.dtype)
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=batch) if rows.size else np.zeros(batch, np.int64)
    out, start = [], 0
    sub_shape = tensor_proto_bytes(shape[1:], dtypes.int64)
    for b in range(batch):
        taken = order[start:start + counts[b]]
        start += counts[b]
        out += [tensor_proto_bytes(np.ascontiguousarray(indices[taken, 1:]), dtypes.int64),
                tensor_proto_bytes(values[taken], value_type), sub_shape]
    return _strings_like([batch, 3], out)


_SERIALIZE_ARGS = dict(
    attrs={"out_type": dtypes.string}, cpu_only=True, differentiable=False,
    input_names=("sparse_indices: int64", "sparse_values: T", "sparse_shape: int64"),
    output_names=("serialized_sparse: out_type",), attr_types={"T": "type", "out_type": "type"},
)
register(OpDef("SerializeSparse", infer=_serialize_sparse_infer, kernel=_serialize_sparse_kernel, **_SERIALIZE_ARGS))
register(OpDef("SerializeManySparse", infer=_serialize_many_sparse_infer, kernel=_serialize_many_sparse_kernel,
               **_SERIALIZE_ARGS))


def _sparse_inputs(sp_input):
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"Input must be a SparseTensor, got {type(sp_input).__name__}")
    return sp_input.indices, sp_input.values, sp_input.dense_shape


def serialize_sparse(sp_input, name=None, out_type=dtypes.string):
    """A SparseTensor as a 3-vector of strings (serialized indices, values and dense shape), as
    `tf.io.serialize_sparse`; the bytes are TensorFlow's.

        tf.io.serialize_sparse(tf.SparseTensor([[0, 1]], [5.0], [2, 3]))   # shape [3], tf.string
    """
    return apply_op("SerializeSparse", *_sparse_inputs(sp_input), name=name or "SerializeSparse", out_type=out_type)


def serialize_many_sparse(sp_input, name=None, out_type=dtypes.string):
    """Each row (along dimension 0) of a SparseTensor of rank >= 2 serialized as `serialize_sparse`
    would, as `tf.io.serialize_many_sparse`: shape [dense_shape[0], 3].

    `tf.io.deserialize_many_sparse` turns the result back into one SparseTensor.
    """
    return apply_op("SerializeManySparse", *_sparse_inputs(sp_input), name=name or "SerializeManySparse",
                    out_type=out_type)


# ---- DeserializeManySparse -------------------------------------------------------------------------------------
def _deserialize_many_infer(serialized, *, dtype):
    _check_string(serialized, "serialized_sparse")
    dims = serialized.shape.as_tuple()
    if dims is not None and (len(dims) != 2 or dims[1] not in (None, 3)):
        raise ValueError(f"Shape must be a matrix of 3 columns, [N, 3], but is {serialized.shape}")
    return [TensorSpec([None, None], dtypes.int64), TensorSpec([None], dtype), TensorSpec([None], dtypes.int64)]


def _deserialize_many_kernel(xp, serialized, *, dtype):
    if serialized.ndim != 2 or serialized.shape[1] != 3:
        raise _invalid(f"Serialized sparse should be a matrix of shape [N, 3], got {list(serialized.shape)}")
    want = dtypes.as_dtype(dtype)
    parts, rank = [], None
    for b, (raw_indices, raw_values, raw_shape) in enumerate(serialized.tolist()):
        _, indices = tensor_from_proto_bytes(raw_indices, f"SerializedSparse[{b}].indices")
        got, values = tensor_from_proto_bytes(raw_values, f"SerializedSparse[{b}].values")
        _, shape = tensor_from_proto_bytes(raw_shape, f"SerializedSparse[{b}].shape")
        if got != want:
            raise _invalid(f"Requested SparseTensor of type {want.name} but SparseTensor[{b}].values.dtype() == "
                           f"{got.name}")
        if indices.dtype != np.int64 or shape.dtype != np.int64 or shape.ndim != 1 or indices.ndim != 2 \
                or values.ndim != 1 or indices.shape != (values.shape[0], shape.shape[0]):
            raise _invalid(f"SparseTensor[{b}] is not consistent: indices {list(indices.shape)}, values "
                           f"{list(values.shape)}, dense_shape {list(shape.shape)}")
        if rank is not None and shape.shape[0] != rank:
            raise _invalid(f"Inconsistent rank across SparseTensors: rank prior to SparseTensor[{b}] was: {rank} "
                           f"but rank of SparseTensor[{b}] is: {shape.shape[0]}")
        rank = int(shape.shape[0])
        parts.append((indices, values, shape))
    batch = len(parts)
    rank = rank or 0
    np_type = object if want == dtypes.string else want.as_numpy_dtype
    if not parts:
        return np.zeros((0, 1), np.int64), np.empty((0,), np_type), np.array([0], np.int64)
    shape = np.max(np.stack([p[2] for p in parts]), axis=0) if rank else np.zeros(0, np.int64)
    rows = [np.concatenate([np.full((len(p[0]), 1), b, np.int64), p[0]], axis=1) for b, p in enumerate(parts)]
    indices = np.concatenate(rows, axis=0)
    values = np.concatenate([p[1] for p in parts]).astype(np_type, copy=False)
    return indices, values, np.concatenate([[batch], shape]).astype(np.int64)


register(OpDef("DeserializeManySparse", infer=_deserialize_many_infer, kernel=_deserialize_many_kernel,
               attrs={"dtype": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("serialized_sparse: string",),
               output_names=("sparse_indices: int64", "sparse_values: dtype", "sparse_shape: int64"),
               attr_types={"dtype": "type"}))


def deserialize_many_sparse(serialized_sparse, dtype, rank=None, name=None):
    """One SparseTensor from an [N, 3] matrix of serialized SparseTensors (rows of
    `serialize_many_sparse`, or several `serialize_sparse` results stacked), as
    `tf.io.deserialize_many_sparse`: rank R + 1, dimension 0 the row, the others the largest of the
    rows' dense shapes. `rank` (R + 1), when given, sets the static shapes.
    """
    serialized = convert_to_tensor(serialized_sparse, dtype=dtypes.string, name="serialized_sparse")
    indices, values, shape = apply_op("DeserializeManySparse", serialized, name=name or "DeserializeManySparse",
                                      dtype=dtypes.as_dtype(dtype))
    if rank is not None:
        indices.set_shape(TensorShape([None, rank]))
        shape.set_shape(TensorShape([rank]))
    return SparseTensor(indices, values, shape)


# ---- DecodeCompressed ------------------------------------------------------------------------------------------------
_WINDOW_BITS = {"": None, "ZLIB": zlib.MAX_WBITS, "GZIP": 16 + zlib.MAX_WBITS}


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _decode_compressed_infer(data, *, compression_type):
    _check_string(data, "bytes")
    if _text(compression_type) not in _WINDOW_BITS:
        raise ValueError(f"compression_type must be '', 'ZLIB' or 'GZIP', got {_text(compression_type)!r}")
    return TensorSpec(data.shape, dtypes.string)


def _inflate(value: bytes, bits: int) -> bytes:
    try:
        return zlib.decompress(value, bits)
    except zlib.error as e:
        found = re.match(r"Error (-?\d+) while \w+ data: (.*)", str(e))
        detail = f"inflate() failed with error {found.group(1)}: {found.group(2)}" if found else str(e)
        raise errors.DataLossError(None, None, detail) from None


def _decode_compressed_kernel(xp, data, *, compression_type):
    bits = _WINDOW_BITS[_text(compression_type)]
    if bits is None:
        return data
    items = [_inflate(v, bits) for v in data.reshape(-1).tolist()]
    return _strings_like(data.shape, items)


register(OpDef("DecodeCompressed", infer=_decode_compressed_infer, kernel=_decode_compressed_kernel,
               attrs={"compression_type": ""}, cpu_only=True, differentiable=False, input_names=("bytes: string",),
               output_names=("output: string",), attr_types={"compression_type": "string"}))


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 - TF's argument name
    """Decompress each string (`compression_type` "ZLIB" or "GZIP"; "" leaves it as it is), as
    `tf.io.decode_compressed`. Corrupt data raises DataLossError when the op runs.

        tf.io.decode_compressed(tf.io.read_file("data.gz"), "GZIP")
    """
    return apply_op("DecodeCompressed", convert_to_tensor(bytes, dtype=dtypes.string, name="bytes"),
                    name=name or "DecodeCompressed", compression_type=compression_type)


# ---- DecodeJSONExample -----------------------------------------------------------------------------------------------
def _decode_json_example_infer(json_examples):
    _check_string(json_examples, "json_examples")
    return TensorSpec(json_examples.shape, dtypes.string)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _feature_bytes(feature) -> bytes:
    """A tf.train.Feature as TF's JSON-to-binary converter writes it: repeated scalars unpacked."""
    kind = feature.WhichOneof("kind")
    if kind == "bytes_list":
        return _field(1, b"".join(_field(1, v) for v in feature.bytes_list.value))
    if kind == "float_list":
        values = np.asarray(feature.float_list.value, dtype="<f4")
        return _field(2, b"".join(b"\x0d" + v.tobytes() for v in values))
    if kind == "int64_list":
        return _field(3, b"".join(b"\x08" + _varint(int(v) & (1 << 64) - 1) for v in feature.int64_list.value))
    return b""


def _json_to_example_bytes(text: bytes) -> bytes:
    """The binary tf.train.Example of a JSON one, its features in the JSON's order (as TF writes them)."""
    example = example_pb2.Example()
    try:
        json_format.Parse(text, example)
    except json_format.ParseError as e:
        raise _invalid(f"Error while parsing JSON: {e}") from None
    features = json.loads(text).get("features")
    if features is None:
        return b""
    entries = b""
    for key in features.get("feature") or {}:
        entry = _field(1, key.encode("utf-8")) + _field(2, _feature_bytes(example.features.feature[key]))
        entries += _field(1, entry)
    return _field(1, entries)


def _decode_json_example_kernel(xp, json_examples):
    return _strings_like(json_examples.shape, [_json_to_example_bytes(v) for v in json_examples.reshape(-1).tolist()])


register(OpDef("DecodeJSONExample", infer=_decode_json_example_infer, kernel=_decode_json_example_kernel,
               cpu_only=True, differentiable=False, input_names=("json_examples: string",),
               output_names=("binary_examples: string",)))


def decode_json_example(json_examples, name=None):
    """Serialized `tf.train.Example` protos from their JSON form (protobuf's JSON mapping: camelCase
    field names, int64 values as strings or numbers, bytes in base64), as `tf.io.decode_json_example`.

        tf.io.decode_json_example(['{"features": {"feature": {"x": {"floatList": {"value": [1.5]}}}}}'])
    """
    return apply_op("DecodeJSONExample", convert_to_tensor(json_examples, dtype=dtypes.string),
                    name=name or "DecodeJSONExample")
