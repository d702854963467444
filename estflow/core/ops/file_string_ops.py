"""Files and serialized values as string tensors: ReadFile, WriteFile, MatchingFiles, EncodeBase64,
DecodeBase64, SerializeTensor and ParseTensor (`tf.io.read_file`, ..., `tf.io.parse_tensor`).

The file ops read and write local paths when they run (never while the graph is built);
base64 is TF's web-safe alphabet ('-' and '_'), padded only when asked.
"""

from __future__ import annotations

import base64
import binascii
import glob
import os

import numpy as np

from estflow.core import dtypes, errors
from estflow.core.graph_io import make_ndarray, make_tensor_proto
from estflow.core.protos import tensor_pb2
from estflow.core.registry import OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape


def _strings(x, what):
    if x.dtype != dtypes.string:
        raise TypeError(f"Input '{what}' has type {x.dtype.name} that does not match expected type of string.")


def _scalar_string(x, what):
    _strings(x, what)
    if x.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {x.shape.ndims}")
    return TensorSpec([], dtypes.string)


def _text(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _scalar(value) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


# ---- ReadFile / WriteFile / MatchingFiles ------------------------------------------------------------
def _make_read_file(op, ctx):
    def run(filename):
        path = _text(filename)
        try:
            with open(path, "rb") as f:
                return _scalar(f.read())
        except FileNotFoundError:
            raise errors.NotFoundError(None, None, f"{path}; No such file or directory") from None
        except IsADirectoryError:
            raise errors.FailedPreconditionError(None, None, f"{path}; Is a directory") from None

    return run


def _make_write_file(op, ctx):
    def run(filename, contents):
        path = _text(filename)
        data = contents.item() if isinstance(contents, np.ndarray) else contents
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)  # TF creates the missing directories
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else str(data).encode("utf-8"))
        return ()

    return run


def _make_matching_files(op, ctx):
    def run(pattern):
        found = set()
        for p in np.asarray(pattern, dtype=object).reshape(-1):
            found.update(glob.glob(_text(p)))
        out = np.empty((len(found),), dtype=object)
        out[:] = [name.encode("utf-8") for name in sorted(found)]
        return out

    return run


def _infer_matching_files(pattern):
    _strings(pattern, "pattern")
    if pattern.shape.ndims not in (None, 0, 1):
        raise ValueError(f"Shape must be at most rank 1 but is rank {pattern.shape.ndims}")
    return TensorSpec([None], dtypes.string)


def _infer_write_file(filename, contents):
    _scalar_string(filename, "filename")
    _scalar_string(contents, "contents")
    return []


register(OpDef("ReadFile", infer=lambda filename: _scalar_string(filename, "filename"), make_kernel=_make_read_file,
               cpu_only=True, differentiable=False, input_names=("filename: string",),
               output_names=("contents: string",)))
register(OpDef("WriteFile", infer=_infer_write_file, make_kernel=_make_write_file, stateful=True, cpu_only=True,
               differentiable=False, input_names=("filename: string", "contents: string")))
register(OpDef("MatchingFiles", infer=_infer_matching_files, make_kernel=_make_matching_files, cpu_only=True,
               differentiable=False, input_names=("pattern: string",), output_names=("filenames: string",)))


# ---- base64 --------------------------------------------------------------------------------------------------
def _same_strings(x, **_):
    _strings(x, "input")
    return TensorSpec(x.shape, dtypes.string)


def _encode_base64_kernel(xp, x, pad=False):
    def encode(value):
        text = base64.urlsafe_b64encode(value)
        return text if pad else text.rstrip(b"=")

    out = np.empty(x.shape, dtype=object)
    out.reshape(-1)[:] = [encode(v) for v in np.asarray(x, dtype=object).reshape(-1)]
    return out


def _decode_base64_kernel(xp, x):
    def decode(value):
        try:
            return base64.urlsafe_b64decode(value + b"=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            raise errors.InvalidArgumentError(None, None, "Invalid character found in base64.") from None

    out = np.empty(x.shape, dtype=object)
    out.reshape(-1)[:] = [decode(v) for v in np.asarray(x, dtype=object).reshape(-1)]
    return out


register(OpDef("EncodeBase64", infer=_same_strings, kernel=_encode_base64_kernel, attrs={"pad": False},
               cpu_only=True, differentiable=False, input_names=("input: string",), output_names=("output: string",),
               attr_types={"pad": "bool"}))
register(OpDef("DecodeBase64", infer=_same_strings, kernel=_decode_base64_kernel, cpu_only=True,
               differentiable=False, input_names=("input: string",), output_names=("output: string",)))


# ---- SerializeTensor / ParseTensor ------------------------------------------------------------------------
def _serialize_kernel(xp, x):
    return _scalar(make_tensor_proto(np.asarray(x)).SerializeToString())


def _infer_parse(serialized, out_type):
    _scalar_string(serialized, "serialized")
    return TensorSpec(TensorShape(None), dtypes.as_dtype(out_type))


def _parse_kernel(xp, serialized, out_type):
    proto = tensor_pb2.TensorProto()
    try:
        proto.ParseFromString(_bytes(serialized))
    except Exception:  # noqa: BLE001 - protobuf's DecodeError and friends
        raise errors.InvalidArgumentError(None, None, "Could not parse `serialized` as TensorProto: "
                                          f"'{_bytes(serialized)[:40]!r}'") from None
    parsed = dtypes.as_dtype(proto.dtype)
    wanted = dtypes.as_dtype(out_type)
    if parsed != wanted:
        raise errors.InvalidArgumentError(None, None, f"Type mismatch between parsed tensor ({parsed.name}) and dtype "
                                          f"({wanted.name})")
    return make_ndarray(proto)


def _bytes(value) -> bytes:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


register(OpDef("SerializeTensor", infer=lambda tensor, **_: TensorSpec([], dtypes.string), kernel=_serialize_kernel,
               cpu_only=True, differentiable=False, input_names=("tensor: T",), output_names=("serialized: string",),
               attr_types={"T": "type"}))
register(OpDef("ParseTensor", infer=_infer_parse, kernel=_parse_kernel, attrs={"out_type": None}, cpu_only=True,
               differentiable=False, input_names=("serialized: string",), output_names=("output: out_type",),
               attr_types={"out_type": "type"}))


# ---- public functions ---------------------------------------------------------------------------------------
def read_file(filename, name=None):
    """The bytes of the file `filename` (a scalar string), read when the op runs, as `tf.io.read_file`."""
    return apply_op("ReadFile", filename, name=name or "ReadFile")


def write_file(filename, contents, name=None):
    """An op writing `contents` to `filename` (creating directories), as `tf.io.write_file`."""
    return apply_op("WriteFile", filename, contents, name=name or "WriteFile")


def matching_files(pattern, name=None):
    """The sorted file names matching the glob `pattern` (a string or a vector of them), as
    `tf.io.matching_files`."""
    return apply_op("MatchingFiles", pattern, name=name or "MatchingFiles")


def encode_base64(input, pad=False, name=None):  # noqa: A002 - TF's argument name
    """Each string in web-safe base64 ('-' and '_'), '=' padding only with `pad`, as `tf.io.encode_base64`."""
    return apply_op("EncodeBase64", input, name=name or "EncodeBase64", pad=bool(pad))


def decode_base64(input, name=None):  # noqa: A002 - TF's argument name
    """Each web-safe base64 string decoded (with or without padding), as `tf.io.decode_base64`."""
    return apply_op("DecodeBase64", input, name=name or "DecodeBase64")


def serialize_tensor(tensor, name=None):
    """`tensor` as a serialized TensorProto (a scalar string), as `tf.io.serialize_tensor`."""
    return apply_op("SerializeTensor", tensor, name=name or "SerializeTensor")


def parse_tensor(serialized, out_type, name=None):
    """The tensor a serialized TensorProto holds (its dtype must be `out_type`), as `tf.io.parse_tensor`."""
    return apply_op("ParseTensor", serialized, name=name or "ParseTensor", out_type=dtypes.as_dtype(out_type))
