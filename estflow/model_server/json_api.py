"""TensorFlow Serving's REST JSON: predict requests and responses, classify/regress examples and results.

Predict takes the row format (`{"instances": [...]}`: one entry per example, an object of
named inputs or a bare value for a signature with one input) or the columnar format
(`{"inputs": ...}`: an object of named inputs or one bare value), and answers in the same
format (`{"predictions": [...]}` / `{"outputs": ...}`). Binary strings travel as
`{"b64": "..."}` both ways (an output is written so when its alias ends in `_bytes`).
Classify and regress take `{"examples": [...], "context": {...}}` with each feature a value
or a list of values (ints -> int64_list, other numbers -> float_list, strings and b64 ->
bytes_list) and answer `{"results": ...}`.
"""

from __future__ import annotations

import base64
import binascii
import json

import numpy as np
import orjson

from estflow.core import dtypes as _dtypes
from estflow.core.protos import example_pb2, feature_pb2
from estflow.model_server import errors
from estflow.model_server.protos import input_pb2

ROW = "row"
COLUMNAR = "columnar"

_INT_RANGES = {
    _dtypes.int8: (-(1 << 7), (1 << 7) - 1), _dtypes.uint8: (0, (1 << 8) - 1),
    _dtypes.int16: (-(1 << 15), (1 << 15) - 1), _dtypes.uint16: (0, (1 << 16) - 1),
    _dtypes.int32: (-(1 << 31), (1 << 31) - 1), _dtypes.uint32: (0, (1 << 32) - 1),
    _dtypes.int64: (-(1 << 63), (1 << 63) - 1), _dtypes.uint64: (0, (1 << 64) - 1),
}


def _invalid(message: str) -> errors.ServingError:
    return errors.ServingError(errors.INVALID_ARGUMENT, message)


def loads(body: bytes):
    """The request's JSON document; a parse error is INVALID_ARGUMENT, as TF Serving's."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:  # NaN and Infinity literals, which TF Serving's parser reads too
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise _invalid(f"JSON Parse error: {e}") from None
    if not isinstance(doc, dict):
        raise _invalid("JSON Value: the request body must be a JSON object.")
    return doc


def _is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and "b64" in value


def _b64decode(value: dict, where: str) -> bytes:
    text = value["b64"]
    if not isinstance(text, str):
        raise _invalid(f"{where}: 'b64' must hold a base64 string, got {type(text).__name__}.")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{where}: unable to base64 decode {text[:32]!r}.") from None


def _strings(value, where: str):
    """Nested lists of str / {"b64"} -> the same nesting of bytes."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list):
        return [_strings(v, where) for v in value]
    if _is_b64(value):
        return _b64decode(value, where)
    raise _invalid(f"{where}: {json.dumps(value)[:64]} is not of expected type: string.")


def to_array(value, dtype: _dtypes.DType, where: str) -> np.ndarray:
    """A JSON value (scalar or nested lists) as an array of `dtype`; INVALID_ARGUMENT when it does not fit."""
    if dtype == _dtypes.string:
        nested = _strings(value, where)
        out = np.array(nested, dtype=object) if isinstance(nested, list) else np.array(nested, dtype=object)
        if out.dtype == object and out.size and any(isinstance(v, list) for v in out.reshape(-1)):
            raise _invalid(f"{where}: lists of different lengths (a tensor must be rectangular).")
        if isinstance(nested, list) and out.ndim == 0:
            raise _invalid(f"{where}: lists of different lengths (a tensor must be rectangular).")
        return out
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        raise _invalid(f"{where}: lists of different lengths (a tensor must be rectangular).") from None
    kind = arr.dtype.kind
    target = dtype.as_numpy_dtype
    if kind == "O" or kind == "U" or kind == "S":
        raise _invalid(f"{where}: {json.dumps(value)[:64]} is not of expected type: {dtype.name}.")
    if dtype.is_floating:
        if kind not in "iuf":
            raise _invalid(f"{where}: booleans are not of expected type: {dtype.name}.")
        return arr.astype(target, copy=False)
    if dtype == _dtypes.bool:
        if kind != "b" and arr.size:
            raise _invalid(f"{where}: numbers are not of expected type: bool.")
        return arr.astype(np.bool_, copy=False)
    if dtype.is_integer:
        if arr.size == 0:
            return arr.astype(target)
        if kind not in "iu":
            raise _invalid(f"{where}: {'booleans' if kind == 'b' else 'decimal numbers'} are not of expected "
                           f"type: {dtype.name}.")
        lo, hi = _INT_RANGES[dtype]
        if int(arr.min()) < lo or int(arr.max()) > hi:
            raise _invalid(f"{where}: a value is out of range for {dtype.name}.")
        return arr.astype(target, copy=False)
    raise _invalid(f"{where}: inputs of type {dtype.name} are not supported over REST.")


def parse_predict(doc: dict, input_dtypes):
    """(signature_name, {alias: array}, format) from a predict request document.

    `input_dtypes(signature_name)` gives the signature's {alias: DType} (and raises for an
    unknown signature), so JSON values are typed as the model expects them.
    """
    signature_name = doc.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise _invalid("'signature_name' must be a string.")
    has_instances, has_inputs = "instances" in doc, "inputs" in doc
    if has_instances and has_inputs:
        raise _invalid("Not formatted correctly expecting only one of 'inputs' or 'instances' keys exclusively.")
    if not has_instances and not has_inputs:
        raise _invalid("Missing 'inputs' or 'instances' key.")
    dtypes = input_dtypes(signature_name)
    if has_instances:
        return signature_name, _parse_rows(doc["instances"], dtypes), ROW
    return signature_name, _parse_columns(doc["inputs"], dtypes), COLUMNAR


def _single_input(dtypes: dict, fmt_key: str) -> str:
    if len(dtypes) != 1:
        raise _invalid(f"'{fmt_key}' holds unnamed values, but the signature has {len(dtypes)} inputs "
                       f"({', '.join(sorted(dtypes))}): name each input.")
    return next(iter(dtypes))


def _dtype_of(dtypes: dict, alias: str) -> _dtypes.DType:
    if alias not in dtypes:
        raise _invalid(f"input tensor alias not found in signature: {alias}. Inputs expected to be in the set "
                       f"{{{','.join(sorted(dtypes))}}}.")
    return dtypes[alias]


def _parse_rows(instances, dtypes: dict) -> dict:
    if not isinstance(instances, list):
        raise _invalid("Excepting 'instances' to be an list/array.")
    if not instances:
        raise _invalid("No values in 'instances' list.")
    named = isinstance(instances[0], dict) and not _is_b64(instances[0])
    if not named:
        alias = _single_input(dtypes, "instances")
        for i, inst in enumerate(instances):
            if isinstance(inst, dict) and not _is_b64(inst):
                raise _invalid(f"Expecting value at 'instances'[{i}], found an object: mix of named and unnamed "
                               "instances.")
        return {alias: to_array(instances, dtypes[alias], f"'instances' input {alias}")}
    keys = list(instances[0])
    for alias in keys:
        _dtype_of(dtypes, alias)
    columns: dict[str, list] = {k: [] for k in keys}
    for i, inst in enumerate(instances):
        if not isinstance(inst, dict) or _is_b64(inst):
            raise _invalid(f"Expecting object at 'instances'[{i}]: mix of named and unnamed instances.")
        if inst.keys() != columns.keys():
            raise _invalid(f"Failed to process element: {i} of 'instances' list. Expecting the same inputs "
                           f"{sorted(keys)} in every instance, got {sorted(inst)}.")
        for k, v in inst.items():
            columns[k].append(v)
    return {k: to_array(v, dtypes[k], f"'instances' input {k}") for k, v in columns.items()}


def _parse_columns(inputs, dtypes: dict) -> dict:
    if isinstance(inputs, dict) and not _is_b64(inputs):
        if not inputs:
            raise _invalid("No values in 'inputs' object.")
        return {k: to_array(v, _dtype_of(dtypes, k), f"'inputs' input {k}") for k, v in inputs.items()}
    alias = _single_input(dtypes, "inputs")
    return {alias: to_array(inputs, dtypes[alias], f"'inputs' input {alias}")}


def _float32_list(arr: np.ndarray):
    # float32 written by its shortest round-tripping decimal (0.1, not 0.10000000149011612)
    if arr.ndim == 0:
        return float(str(arr))
    return arr.astype(str).astype(np.float64).tolist()


def _b64_of(b) -> dict:
    return {"b64": base64.b64encode(b).decode("ascii")}


def _utf8_of(b):
    return b.decode("utf-8", errors="replace") if isinstance(b, bytes) else str(b)


_B64 = np.frompyfunc(_b64_of, 1, 1)
_UTF8 = np.frompyfunc(_utf8_of, 1, 1)


def jsonable(arr: np.ndarray, alias: str, native: bool = False):
    """An output array as JSON values: numbers, bools, strings, {"b64"} for `*_bytes` aliases.

    `native`: numeric arrays stay arrays (C-contiguous) for orjson to write, which writes
    float32 by its shortest decimal too.
    """
    arr = np.asarray(arr)
    kind = arr.dtype.kind
    if native and (kind in "iub" or (kind == "f" and arr.dtype.itemsize >= 4)):
        return np.ascontiguousarray(arr)
    if kind == "f":
        if arr.dtype.itemsize <= 4:
            return _float32_list(arr)
        return arr.tolist()
    if kind in "iub":
        return arr.tolist()
    if kind in "OSU":
        out = (_B64 if alias.endswith("_bytes") else _UTF8)(arr)
        return out.tolist() if isinstance(out, np.ndarray) else out
    if kind == "c":
        raise errors.ServingError(errors.UNIMPLEMENTED, f"Tensor name: {alias}: complex outputs cannot be "
                                                        "written as JSON.")
    raise errors.ServingError(errors.INTERNAL, f"Tensor name: {alias}: unsupported output dtype {arr.dtype}.")


def predict_response(outputs: dict, fmt: str, native: bool = False) -> dict:
    """The response document for predict outputs {alias: array}, in the request's format."""
    if fmt == COLUMNAR:
        if len(outputs) == 1:
            (alias, arr), = outputs.items()
            return {"outputs": jsonable(arr, alias, native)}
        return {"outputs": {k: jsonable(v, k, native) for k, v in outputs.items()}}
    batch = None
    for alias, arr in outputs.items():
        if np.ndim(arr) == 0:
            raise _invalid(f"Tensor name: {alias} has no shape information (a row-format response needs a batch "
                           "dimension; use the columnar 'inputs' format).")
        if batch is None:
            batch = arr.shape[0]
        elif arr.shape[0] != batch:
            raise _invalid(f"Tensor name: {alias} has inconsistent batch size: {arr.shape[0]} expecting: {batch}")
    if len(outputs) == 1:
        (alias, arr), = outputs.items()
        return {"predictions": jsonable(arr, alias, native)}
    columns = {k: jsonable(v, k, native) for k, v in outputs.items()}
    return {"predictions": [{k: col[i] for k, col in columns.items()} for i in range(batch or 0)]}


def predict_response_bytes(outputs: dict, fmt: str) -> bytes:
    """The response body: written by orjson, or by `json` when a float is NaN or infinite (orjson writes null)."""
    finite = all(np.isfinite(a).all() for a in outputs.values() if a.dtype.kind == "f")
    if finite:
        return orjson.dumps(predict_response(outputs, fmt, native=True), option=orjson.OPT_SERIALIZE_NUMPY)
    return json.dumps(predict_response(outputs, fmt), separators=(",", ":")).encode("utf-8")


def dumps(doc) -> bytes:
    try:
        return orjson.dumps(doc)
    except (TypeError, ValueError):
        return json.dumps(doc, separators=(",", ":")).encode("utf-8")


def error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode("utf-8")


# ---- classify / regress -------------------------------------------------------------------------------


def _feature(value, where: str) -> feature_pb2.Feature:
    values = value if isinstance(value, list) else [value]
    feature = feature_pb2.Feature()
    if not values:
        raise _invalid(f"{where}: an empty list has no type.")
    first = values[0]
    if isinstance(first, bool):
        raise _invalid(f"{where}: booleans are not a feature type (int64, float or bytes).")
    if isinstance(first, (str, dict)):
        feature.bytes_list.value.extend(_strings(values, where))
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        feature.int64_list.value.extend(values)
    elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        feature.float_list.value.extend(values)
    else:
        raise _invalid(f"{where}: values of mixed types {json.dumps(values)[:64]}.")
    return feature


def _example(obj, where: str) -> example_pb2.Example:
    if not isinstance(obj, dict):
        raise _invalid(f"{where}: an example must be a JSON object of features.")
    example = example_pb2.Example()
    for name, value in obj.items():
        example.features.feature[name].CopyFrom(_feature(value, f"{where} feature {name}"))
    return example


def parse_examples(doc: dict):
    """(signature_name, Input proto) from a classify/regress request document."""
    signature_name = doc.get("signature_name", "")
    if not isinstance(signature_name, str):
        raise _invalid("'signature_name' must be a string.")
    examples = doc.get("examples")
    if examples is None:
        raise _invalid("Missing 'examples' key.")
    if not isinstance(examples, list):
        raise _invalid("'examples' must be a list of objects.")
    inp = input_pb2.Input()
    parsed = [_example(e, f"'examples'[{i}]") for i, e in enumerate(examples)]
    if "context" in doc:
        inp.example_list_with_context.context.CopyFrom(_example(doc["context"], "'context'"))
        inp.example_list_with_context.examples.extend(parsed)
    else:
        inp.example_list.examples.extend(parsed)
    return signature_name, inp


def classification_response(result) -> dict:
    return {"results": [[[c.label, float(np.float32(c.score).astype(str))] for c in cls.classes]
                        for cls in result.classifications]}


def regression_response(result) -> dict:
    return {"results": [float(np.float32(r.value).astype(str)) for r in result.regressions]}
