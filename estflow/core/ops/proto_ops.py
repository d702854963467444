"""Protocol buffer fields as tensors: DecodeProtoV2 and EncodeProto (`tf.io.decode_proto`,
`tf.io.encode_proto`), over a protobuf descriptor pool.

`descriptor_source` names the pool as TF does: "local://" is the process's own (every
estflow proto, `tensorflow.Example` to `tensorflow.TensorProto`, and any message the program
imported), "bytes://<a serialized FileDescriptorSet>" or a path to a FileDescriptorSet file
build one. A field's values take the output type TF allows for its proto type (int32 fields:
int32 or int64, floats: float or double, messages: their serialized bytes, ...). Fields are
written in field-number order, each value as its own entry (packed where the field is packed),
so EncodeProto's bytes are TensorFlow's.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

import numpy as np
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message_factory, text_format

from estflow.core import dtypes, errors
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register

_FD = descriptor.FieldDescriptor
# proto type -> output dtypes TF accepts for it (decode_proto_op.cc's CheckOutputType)
_ALLOWED = {
    _FD.TYPE_DOUBLE: (dtypes.float64, dtypes.float32), _FD.TYPE_FLOAT: (dtypes.float32, dtypes.float64),
    _FD.TYPE_INT64: (dtypes.int64,), _FD.TYPE_SINT64: (dtypes.int64,), _FD.TYPE_SFIXED64: (dtypes.int64,),
    _FD.TYPE_UINT64: (dtypes.uint64, dtypes.int64), _FD.TYPE_FIXED64: (dtypes.uint64, dtypes.int64),
    _FD.TYPE_INT32: (dtypes.int32, dtypes.int64), _FD.TYPE_SINT32: (dtypes.int32, dtypes.int64),
    _FD.TYPE_SFIXED32: (dtypes.int32, dtypes.int64), _FD.TYPE_ENUM: (dtypes.int32, dtypes.int64),
    _FD.TYPE_UINT32: (dtypes.uint32, dtypes.int64), _FD.TYPE_FIXED32: (dtypes.uint32, dtypes.int64),
    _FD.TYPE_BOOL: (dtypes.bool,), _FD.TYPE_STRING: (dtypes.string,), _FD.TYPE_BYTES: (dtypes.string,),
    _FD.TYPE_MESSAGE: (dtypes.string,), _FD.TYPE_GROUP: (dtypes.string,),
}


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@functools.cache
def _local_pool() -> descriptor_pool.DescriptorPool:
    # Every estflow proto joins the process's pool (imported here, on first use, not when estflow loads).
    from estflow.core import protos  # noqa: PLC0415 - the generated modules are loaded only when a pool is needed

    for module in pkgutil.iter_modules(protos.__path__):
        if module.name.endswith("_pb2"):
            importlib.import_module(f"{protos.__name__}.{module.name}")
    return descriptor_pool.Default()


@functools.lru_cache(maxsize=16)
def _pool_of(source: str) -> descriptor_pool.DescriptorPool:
    if source == "local://":
        return _local_pool()
    if source.startswith("bytes://"):
        raw = source[len("bytes://"):].encode("latin-1")
    else:
        try:
            with open(source, "rb") as f:
                raw = f.read()
        except OSError as e:
            raise _invalid(f"Could not read the descriptor source {source!r}: {e}") from None
    files = descriptor_pb2.FileDescriptorSet()
    try:
        files.ParseFromString(raw)
        pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            pool.Add(file)
    except Exception as e:  # noqa: BLE001 - protobuf's DecodeError / TypeError for a bad set
        raise _invalid(f"The descriptor source is not a valid FileDescriptorSet: {e}") from None
    return pool


def _message_class(source: str, message_type: str):
    pool = _pool_of(source)
    try:
        found = pool.FindMessageTypeByName(message_type)
    except KeyError:
        raise _invalid(f"No descriptor found for message type {message_type}") from None
    return message_factory.GetMessageClass(found)


def _fields(message_class, field_names, types, message_type: str) -> list:
    fields = []
    for name, dtype in zip(field_names, types, strict=True):
        field = message_class.DESCRIPTOR.fields_by_name.get(_text(name))
        if field is None:
            raise _invalid(f"Unknown field: {_text(name)} in message type {message_type}")
        if dtypes.as_dtype(dtype) not in _ALLOWED[field.type]:
            raise _invalid(f"Unexpected output type for {field.full_name}: {field.type} to "
                           f"{dtypes.as_dtype(dtype).as_datatype_enum}")
        fields.append(field)
    return fields


def _is_repeated(field) -> bool:
    return field.is_repeated


def _value_out(field, value):
    if field.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
        return value.SerializeToString()
    if field.type == _FD.TYPE_STRING:
        return value.encode("utf-8")
    return value


def _default(field):
    if field.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
        return b""
    if _is_repeated(field):  # a repeated field's padding is the zero of its type
        return {_FD.TYPE_STRING: b"", _FD.TYPE_BYTES: b"", _FD.TYPE_BOOL: False}.get(field.type, 0)
    return _value_out(field, field.default_value)


# ---- DecodeProtoV2 -----------------------------------------------------------------------------------------------
def _check_message_format(message_format) -> str:
    text = _text(message_format)
    if text not in ("binary", "text"):
        raise ValueError(f"message_format must be 'binary' or 'text', got {text!r}")
    return text


def _decode_infer(data, *, message_type, field_names, output_types, descriptor_source, message_format, sanitize):
    if data.dtype != dtypes.string:
        raise TypeError(f"Input 'bytes' has type {data.dtype.name} that does not match expected type of string.")
    if len(field_names) != len(output_types):
        raise ValueError(f"field_names and output_types must have the same length, got {len(field_names)} and "
                         f"{len(output_types)}")
    _check_message_format(message_format)
    dims = data.shape.as_tuple()
    batch = None if dims is None else list(dims)
    sizes = TensorSpec(None if batch is None else batch + [len(field_names)], dtypes.int32)
    return [sizes] + [TensorSpec(None if batch is None else batch + [None], t) for t in output_types]


def _parse(message_class, data: bytes, text_format_: bool):
    message = message_class()
    try:
        if text_format_:
            text_format.Parse(_text(data), message)
        else:
            message.ParseFromString(data)
    except Exception as e:  # noqa: BLE001 - DecodeError, ParseError, UnicodeDecodeError: all malformed input
        raise errors.DataLossError(None, None, f"Unable to parse {message_class.DESCRIPTOR.full_name}: {e}") from None
    return message


def _decode_kernel(xp, data, *, message_type, field_names, output_types, descriptor_source, message_format,
                   sanitize):
    message_class = _message_class(_text(descriptor_source), _text(message_type))
    fields = _fields(message_class, field_names, output_types, _text(message_type))
    text = _check_message_format(message_format) == "text"
    messages = [_parse(message_class, v, text) for v in np.asarray(data, dtype=object).reshape(-1).tolist()]
    sizes = np.zeros((len(messages), len(fields)), np.int32)
    found: list[list[list]] = [[] for _ in fields]
    for m, message in enumerate(messages):
        present = {f.name: v for f, v in message.ListFields()}
        for i, field in enumerate(fields):
            value = present.get(field.name)
            items = [] if value is None else [_value_out(field, v) for v in value] if _is_repeated(field) \
                else [_value_out(field, value)]
            sizes[m, i] = len(items)
            found[i].append(items)
    batch = tuple(np.shape(data))
    outputs = [sizes.reshape(batch + (len(fields),))]
    for field, dtype, rows in zip(fields, output_types, found, strict=True):
        width = max((len(r) for r in rows), default=0)
        np_type = object if dtypes.as_dtype(dtype) == dtypes.string else dtypes.as_dtype(dtype).as_numpy_dtype
        out = np.empty((len(rows), width), dtype=np_type)
        out[...] = _default(field)
        for m, row in enumerate(rows):
            out[m, :len(row)] = row if np_type is object else np.array(row).astype(np_type)
        outputs.append(out.reshape(batch + (width,)))
    return tuple(outputs)


register(OpDef(
    "DecodeProtoV2", infer=_decode_infer, kernel=_decode_kernel,
    attrs={"message_type": REQUIRED, "field_names": REQUIRED, "output_types": REQUIRED,
           "descriptor_source": "local://", "message_format": "binary", "sanitize": False},
    cpu_only=True, differentiable=False, input_names=("bytes: string",),
    output_names=("sizes: int32", "values: output_types"),
    attr_types={"message_type": "string", "field_names": "list(string)", "output_types": "list(type) >= 0",
                "descriptor_source": "string", "message_format": "string", "sanitize": "bool"},
))


def decode_proto(bytes, message_type, field_names, output_types, descriptor_source="local://",  # noqa: A002
                 message_format="binary", sanitize=False, name=None):
    """The fields `field_names` of serialized `message_type` protos, as `tf.io.decode_proto`.

    Returns (sizes, values): `sizes` [*bytes.shape, len(field_names)] int32 counts each field's
    values in each message; `values[i]` [*bytes.shape, most values of field i] holds them, padded
    with the field's default. `message_format="text"` reads text protos.

        sizes, (dims,) = tf.io.decode_proto(shapes, "tensorflow.TensorShapeProto", ["dim"], [tf.string])
    """
    outputs = apply_op("DecodeProtoV2", convert_to_tensor(bytes, dtype=dtypes.string, name="bytes"),
                       name=name or "DecodeProtoV2", message_type=message_type,
                       field_names=tuple(field_names), output_types=tuple(dtypes.as_dtype(t) for t in output_types),
                       descriptor_source=descriptor_source, message_format=message_format, sanitize=bool(sanitize))
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    return outputs[0], outputs[1:]


# ---- EncodeProto ---------------------------------------------------------------------------------------------------
def _encode_infer(sizes, *values, field_names, message_type, descriptor_source):
    if sizes.dtype != dtypes.int32:
        raise TypeError(f"Input 'sizes' has type {sizes.dtype.name} that does not match expected type of int32.")
    if len(values) != len(field_names) or not values:
        raise ValueError(f"encode_proto needs one values tensor per field name, got {len(values)} for "
                         f"{len(field_names)} fields")
    dims = sizes.shape.as_tuple()
    return TensorSpec(None if dims is None else list(dims[:-1]), dtypes.string)


def _set_values(message, field, values: list) -> None:
    if field.type in (_FD.TYPE_MESSAGE, _FD.TYPE_GROUP):
        if _is_repeated(field):
            for v in values:
                getattr(message, field.name).add().MergeFromString(v)
        else:
            getattr(message, field.name).MergeFromString(values[0])
        return
    if field.type == _FD.TYPE_STRING:
        values = [v.decode("utf-8") for v in values]
    elif field.type == _FD.TYPE_BOOL:
        values = [bool(v) for v in values]
    elif field.type in (_FD.TYPE_FLOAT, _FD.TYPE_DOUBLE):
        values = [float(v) for v in values]
    else:
        values = [int(v) for v in values]
    if _is_repeated(field):
        getattr(message, field.name).extend(values)
    else:
        setattr(message, field.name, values[0])


def _encode_kernel(xp, sizes, *values, field_names, message_type, descriptor_source):
    message_class = _message_class(_text(descriptor_source), _text(message_type))
    fields = _fields(message_class, field_names, [dtypes.string if v.dtype == object else dtypes.as_dtype(v.dtype)
                                                  for v in values], _text(message_type))
    sizes = np.asarray(sizes)
    batch = sizes.shape[:-1]
    if sizes.shape[-1:] != (len(fields),):
        raise _invalid(f"sizes must end in a dimension of {len(fields)} (one per field), got {list(sizes.shape)}")
    count = int(np.prod(batch, dtype=np.int64))
    flat_sizes = sizes.reshape(count, len(fields))
    flat_values = []
    for field, v in zip(fields, values, strict=True):
        if tuple(v.shape[:-1]) != batch:
            raise _invalid(f"Values for field {field.name} have shape {list(v.shape)}, not {list(batch)} + [n]")
        flat_values.append(v.reshape(count, -1))
    order = sorted(range(len(fields)), key=lambda i: fields[i].number)  # TF writes fields by number
    out = np.empty((count,), dtype=object)
    for m in range(count):
        parts = []
        for i in order:
            n = int(flat_sizes[m, i])
            if not 0 <= n <= flat_values[i].shape[1]:
                raise _invalid(f"Size of values for field {fields[i].name} is {flat_values[i].shape[1]}, smaller "
                               f"than the size {n} given for message {m}")
            items = flat_values[i][m, :n].tolist()
            groups = [items] if _is_repeated(fields[i]) else [[v] for v in items]
            for group in groups:
                if group:
                    single = message_class()
                    _set_values(single, fields[i], group)
                    parts.append(single.SerializeToString())
        out[m] = b"".join(parts)
    return out.reshape(batch)


register(OpDef(
    "EncodeProto", infer=_encode_infer, kernel=_encode_kernel,
    attrs={"field_names": REQUIRED, "message_type": REQUIRED, "descriptor_source": "local://"},
    cpu_only=True, differentiable=False, input_names=("sizes: int32", "values: Tinput_types"),
    output_names=("bytes: string",),
    attr_types={"field_names": "list(string)", "message_type": "string", "descriptor_source": "string",
                "Tinput_types": "list(type) >= 1"},
))


def encode_proto(sizes, values, field_names, message_type, descriptor_source="local://", name=None):
    """Serialized `message_type` protos built from tensors, as `tf.io.encode_proto` (the inverse of
    `decode_proto`): message [b] takes the first `sizes[b, i]` entries of `values[i][b]` for field i.

        tf.io.encode_proto([[1, 1]], [[[2.5]], [["loss"]]], ["simple_value", "tag"], "tensorflow.Summary.Value")
    """
    values = [convert_to_tensor(v, name=f"values_{i}") for i, v in enumerate(values)]
    return apply_op("EncodeProto", convert_to_tensor(sizes, dtype=dtypes.int32, name="sizes"), *values,
                    name=name or "EncodeProto", field_names=tuple(field_names), message_type=message_type,
                    descriptor_source=descriptor_source)
