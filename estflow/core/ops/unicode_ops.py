"""Unicode and n-gram string ops: UnicodeScript, UnicodeTranscode, UnicodeEncode, StringNGrams and
UnsortedSegmentJoin (`tf.strings.unicode_script`, ..., `tf.strings.unsorted_segment_join`).

TF builds these on ICU; estflow decodes and encodes with Python's codecs, which replace a bad
UTF-8 sequence the way ICU does (one replacement per maximal invalid subpart), and reads script
codes from a table written from TF's own ICU (core/unicode_scripts.py). The ops whose TF1
results are ragged take dense input here (one row per innermost vector), as TF1 does for a
dense tensor; ragged tensors are out of estflow's scope. Every op is CPU-only and has no gradient.
"""

from __future__ import annotations

import codecs
import functools

import numpy as np

from estflow.core import dtypes, errors, unicode_scripts
from estflow.core.graph import name_scope
from estflow.core.ops import array_ops, concat_ops, fill_ops, math_ops, reduction_ops
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, register
from estflow.core.tensor_shape import TensorShape

_ENCODINGS = ("UTF-8", "UTF-16-BE", "UTF-32-BE")
_CODECS = {"UTF-8": "utf-8", "UTF-16-BE": "utf-16-be", "UTF-32-BE": "utf-32-be"}
_ERRORS = ("strict", "replace", "ignore")
_MAX_CODE_POINT = 0x10FFFF


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _check_dtype(spec: TensorSpec, want, what: str) -> None:
    if spec.dtype != want:
        name = "string" if want == dtypes.string else want.name
        raise TypeError(f"Input '{what}' has type {spec.dtype.name} that does not match expected type of {name}.")


def _check_choice(value, allowed, attr: str) -> str:
    text = _text(value)
    if text not in allowed:
        raise ValueError(f"Value for attr '{attr}' of \"{text}\" is not in the list of allowed values: "
                         + ", ".join(f'"{a}"' for a in allowed))
    return text


def _check_replacement(replacement_char: int) -> None:
    if not 0 <= int(replacement_char) <= _MAX_CODE_POINT or 0xD800 <= int(replacement_char) <= 0xDFFF:
        raise ValueError(f"replacement_char must be a valid Unicode code point, got {replacement_char}")


# ---- UnicodeScript -------------------------------------------------------------------------------------------
@functools.cache
def _script_table() -> tuple[list[int], np.ndarray]:
    starts, codes = [], []
    for pair in unicode_scripts.RUNS.split():
        start, code = pair.split(":")
        starts.append(int(start, 16))
        codes.append(int(code))
    return starts, np.array(codes, dtype=np.int32)


def _unicode_script_kernel(xp, x):
    starts, codes = _script_table()
    flat = np.asarray(x, dtype=np.int64).reshape(-1)
    runs = np.searchsorted(np.asarray(starts), flat, side="right") - 1
    out = codes[np.clip(runs, 0, len(codes) - 1)]
    out = np.where((flat < 0) | (flat > _MAX_CODE_POINT), np.int32(-1), out)  # USCRIPT_INVALID_CODE
    return out.astype(np.int32).reshape(np.shape(x))


def _unicode_script_infer(x):
    _check_dtype(x, dtypes.int32, "input")
    return TensorSpec(x.shape, dtypes.int32)


register(OpDef("UnicodeScript", infer=_unicode_script_infer, kernel=_unicode_script_kernel, cpu_only=True,
               differentiable=False, input_names=("input: int32",), output_names=("output: int32",)))


def unicode_script(input, name=None):  # noqa: A002 - TF's argument name
    """The ICU script code (`UScriptCode`) of each code point, -1 for one outside Unicode, as
    `tf.strings.unicode_script`.

        tf.strings.unicode_script([65, 0x416, 0x4E00])   # [25 (Latin), 8 (Cyrillic), 17 (Han)]
    """
    return apply_op("UnicodeScript", convert_to_tensor(input, dtype=dtypes.int32), name=name or "UnicodeScript")


# ---- code points in and out ------------------------------------------------------------------------------------
_BAD = "\ud800"  # marks a malformed input sequence: no valid decoding yields a lone surrogate


def _mark_malformed(error: UnicodeDecodeError):
    return _BAD, error.end  # one mark per maximal invalid subpart, as ICU's converters count them


codecs.register_error("estflow.malformed", _mark_malformed)


def _decode(data: bytes, encoding: str, errors_mode: str, replacement: int, replace_control: bool) -> list[int]:
    """The code points of `data`, bad sequences (and C0 controls, when asked) handled as `errors_mode` says."""
    try:
        text = data.decode(_CODECS.get(encoding.upper(), encoding), errors="estflow.malformed")
    except LookupError:
        raise _invalid(f"Could not create converter for input encoding: {encoding}") from None
    points = []
    for ch in text:
        malformed = ch == _BAD
        if malformed and errors_mode == "strict":
            raise _invalid("Invalid formatting on input string")
        if malformed or (replace_control and ch <= "\x1f"):
            if errors_mode != "ignore":
                points.append(replacement)
            continue
        points.append(ord(ch))
    return points


def _encode(points, encoding: str, replacement: int) -> bytes:
    codec = _CODECS[encoding]
    chars = [chr(replacement) if 0xD800 <= cp <= 0xDFFF else chr(cp) for cp in points]  # ICU: a lone surrogate
    return "".join(chars).encode(codec)


def _check_output_attrs(output_encoding, errors, replacement_char) -> None:
    _check_choice(output_encoding, _ENCODINGS, "output_encoding")
    _check_choice(errors, _ERRORS, "errors")
    _check_replacement(replacement_char)


# ---- UnicodeTranscode ------------------------------------------------------------------------------------------
def _transcode_infer(x, *, input_encoding, output_encoding, errors, replacement_char, replace_control_characters):
    _check_dtype(x, dtypes.string, "input")
    _check_output_attrs(output_encoding, errors, replacement_char)
    return TensorSpec(x.shape, dtypes.string)


def _transcode_kernel(xp, x, *, input_encoding, output_encoding, errors, replacement_char,
                      replace_control_characters):
    source, target, mode = _text(input_encoding), _text(output_encoding), _text(errors)
    out = np.empty(np.shape(x), dtype=object)
    flat = out.reshape(-1)
    for i, value in enumerate(np.asarray(x, dtype=object).reshape(-1).tolist()):
        points = _decode(value, source, mode, int(replacement_char), bool(replace_control_characters))
        flat[i] = _encode(points, target, int(replacement_char))
    return out


register(OpDef(
    "UnicodeTranscode", infer=_transcode_infer, kernel=_transcode_kernel,
    attrs={"input_encoding": REQUIRED, "output_encoding": REQUIRED, "errors": "replace", "replacement_char": 0xFFFD,
           "replace_control_characters": False},
    cpu_only=True, differentiable=False, input_names=("input: string",), output_names=("output: string",),
    attr_types={"input_encoding": "string", "output_encoding": "string", "errors": "string",
                "replacement_char": "int", "replace_control_characters": "bool"},
))


def unicode_transcode(input, input_encoding, output_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                      replace_control_characters=False, name=None):
    """Re-encode each string from `input_encoding` to `output_encoding`, as `tf.strings.unicode_transcode`.

    Bad input sequences raise (`errors="strict"`), become `replacement_char` ("replace") or are
    dropped ("ignore"); `replace_control_characters` treats C0 controls (U+0000..U+001F) alike.

        tf.strings.unicode_transcode(["héllo"], "UTF-8", "UTF-16-BE")
    """
    return apply_op("UnicodeTranscode", convert_to_tensor(input, dtype=dtypes.string),
                    name=name or "UnicodeTranscode", input_encoding=input_encoding,
                    output_encoding=output_encoding, errors=errors, replacement_char=int(replacement_char),
                    replace_control_characters=bool(replace_control_characters))


# ---- UnicodeEncode -------------------------------------------------------------------------------------------------
def _encode_infer(values, splits, *, errors, output_encoding, replacement_char):
    _check_dtype(values, dtypes.int32, "input_values")
    if splits.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'input_splits' has DataType {splits.dtype.name} not in list of "
                        "allowed values: int32, int64")
    for spec, what in ((values, "input_values"), (splits, "input_splits")):
        if spec.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {spec.shape.ndims} for '{what}'")
    _check_output_attrs(output_encoding, errors, replacement_char)
    rows = splits.shape.as_tuple()
    return TensorSpec([None if rows is None or rows[0] is None else max(rows[0] - 1, 0)], dtypes.string)


def _encode_kernel(xp, values, splits, *, errors, output_encoding, replacement_char):
    mode, target, replacement = _text(errors), _text(output_encoding), int(replacement_char)
    bounds = [int(s) for s in np.asarray(splits).tolist()]
    if not bounds or bounds[0] != 0 or any(b > a for a, b in zip(bounds[1:], bounds[:-1], strict=False)) \
            or bounds[-1] != int(np.size(values)):
        raise _invalid(f"input_splits must be a sorted vector starting at 0 and ending at the number of values "
                       f"({int(np.size(values))}), got {bounds}")
    points = np.asarray(values).tolist()
    out = np.empty((max(len(bounds) - 1, 0),), dtype=object)
    for row in range(len(bounds) - 1):
        kept = []
        for cp in points[bounds[row]:bounds[row + 1]]:
            if not 0 <= cp <= _MAX_CODE_POINT:
                if mode == "strict":
                    raise _invalid("Code point is out of range for Unicode, or a noncharacter.")
                if mode == "ignore":
                    continue
                cp = replacement
            kept.append(cp)
        out[row] = _encode(kept, target, replacement)
    return out


register(OpDef(
    "UnicodeEncode", infer=_encode_infer, kernel=_encode_kernel,
    attrs={"errors": "replace", "output_encoding": REQUIRED, "replacement_char": 0xFFFD},
    cpu_only=True, differentiable=False, input_names=("input_values: int32", "input_splits: Tsplits"),
    output_names=("output: string",),
    attr_types={"errors": "string", "output_encoding": "string", "replacement_char": "int",
                "Tsplits": "type = int64"},
))


def unicode_encode(input, output_encoding, errors="replace", replacement_char=65533, name=None):  # noqa: A002
    """Encode each innermost vector of code points as one string, as `tf.strings.unicode_encode` on a
    dense tensor: `input` of shape [..., n] gives strings of shape [...].

    Code points outside Unicode raise (`errors="strict"`), become `replacement_char` ("replace")
    or are dropped ("ignore"); a lone surrogate becomes `replacement_char`.

        tf.strings.unicode_encode([[72, 105], [0x1F600, 33]], "UTF-8")   # [b"Hi", b"\\xf0\\x9f\\x98\\x80!"]
    """
    with name_scope(name, "UnicodeEncode", [input]):
        x = convert_to_tensor(input, dtype=dtypes.int32, name="input")
        dims = x.shape.as_tuple()
        if dims is None or len(dims) == 0:
            raise ValueError("unicode_encode takes a dense `input` of known rank >= 1 (a vector of code points "
                             "per string); estflow has no ragged tensors")
        shape = array_ops.shape(x, out_type=dtypes.int64)
        width = shape[-1]
        rows = reduction_ops.reduce_prod(shape[:-1])
        splits = math_ops.multiply(fill_ops.range_(rows + 1, dtype=dtypes.int64), width)
        encoded = apply_op("UnicodeEncode", array_ops.reshape(x, [-1]), splits, name="UnicodeEncode",
                           output_encoding=output_encoding, errors=errors, replacement_char=int(replacement_char))
        out = array_ops.reshape(encoded, shape[:-1])
        out.set_shape(TensorShape(dims[:-1]))
        return out


# ---- StringNGrams --------------------------------------------------------------------------------------------------
def _pad_width(pad_width: int, width: int) -> int:
    """Pads on each side of an n-gram run: `pad_width` (-1: width - 1), never more than width - 1."""
    return min(width - 1 if pad_width < 0 else pad_width, width - 1)


def _ngram_count(length: int, width: int, pad_width: int) -> int:
    return max(0, length + 2 * _pad_width(pad_width, width) - width + 1)


def _row_ngrams(tokens: list, widths, separator: bytes, left: bytes, right: bytes, pad_width: int,
                preserve_short: bool) -> list:
    out = []
    for width in widths:
        out += _ngrams_of(tokens, width, _ngram_count(len(tokens), width, pad_width), separator, left, right,
                          pad_width)
    if preserve_short and not out and tokens:  # one n-gram of the whole (padded) sequence
        out = _ngrams_of(tokens, len(tokens) + 2 * pad_width, 1, separator, left, right, pad_width)
    return out


def _ngrams_of(tokens, width, count, separator, left, right, pad_width) -> list:
    pads = _pad_width(pad_width, width)
    out = []
    for k in range(count):
        left_pads = max(0, pads - k)
        right_pads = max(0, pads - (count - k - 1))
        first = 0 if left_pads > 0 else k - pads
        words = [left] * left_pads + tokens[first:first + width - left_pads - right_pads] + [right] * right_pads
        out.append(separator.join(words))
    return out


def _string_ngrams_infer(data, splits, *, separator, ngram_widths, left_pad, right_pad, pad_width,
                         preserve_short_sequences):
    _check_dtype(data, dtypes.string, "data")
    if splits.dtype not in (dtypes.int32, dtypes.int64):
        raise TypeError(f"Value passed to parameter 'data_splits' has DataType {splits.dtype.name} not in list of "
                        "allowed values: int32, int64")
    for spec, what in ((data, "data"), (splits, "data_splits")):
        if spec.shape.ndims not in (None, 1):
            raise ValueError(f"Shape must be rank 1 but is rank {spec.shape.ndims} for '{what}'")
    return [TensorSpec([None], dtypes.string), TensorSpec(splits.shape, splits.dtype)]


def _string_ngrams_kernel(xp, data, splits, *, separator, ngram_widths, left_pad, right_pad, pad_width,
                          preserve_short_sequences):
    bounds = [int(s) for s in np.asarray(splits).tolist()]
    tokens = np.asarray(data, dtype=object).reshape(-1).tolist()
    if bounds and (bounds[0] != 0 or bounds[-1] != len(tokens)
                   or any(b < a for a, b in zip(bounds[:-1], bounds[1:], strict=True))):
        raise _invalid(f"Invalid split value: data_splits must be sorted, start at 0 and end at the data size "
                       f"({len(tokens)}), got {bounds}")
    values, out_splits = [], [0] if bounds else []
    as_bytes = (lambda v: v.encode("utf-8") if isinstance(v, str) else v)
    for row in range(len(bounds) - 1):
        values += _row_ngrams(tokens[bounds[row]:bounds[row + 1]], [int(w) for w in ngram_widths],
                              as_bytes(separator), as_bytes(left_pad), as_bytes(right_pad), int(pad_width),
                              bool(preserve_short_sequences))
        out_splits.append(len(values))
    out = np.empty((len(values),), dtype=object)
    out[:] = values
    return out, np.array(out_splits, dtype=np.asarray(splits).dtype)


register(OpDef(
    "StringNGrams", infer=_string_ngrams_infer, kernel=_string_ngrams_kernel,
    attrs={"separator": REQUIRED, "ngram_widths": REQUIRED, "left_pad": REQUIRED, "right_pad": REQUIRED,
           "pad_width": REQUIRED, "preserve_short_sequences": REQUIRED},
    cpu_only=True, differentiable=False, input_names=("data: string", "data_splits: Tsplits"),
    output_names=("ngrams: string", "ngrams_splits: Tsplits"),
    attr_types={"separator": "string", "ngram_widths": "list(int) >= 0", "left_pad": "string", "right_pad": "string",
                "pad_width": "int", "preserve_short_sequences": "bool", "Tsplits": "type = int64"},
))


def ngrams(data, ngram_width, separator=" ", pad_values=None, padding_width=None, preserve_short_sequences=False,
           name=None):
    """The n-grams of each innermost vector of `data`, joined by `separator`, as `tf.strings.ngrams` on a
    dense tensor: shape [..., n] gives [..., number of n-grams] (a vector gives a vector).

    `pad_values` (a string or a (left, right) pair) pads each sequence with `padding_width` tokens
    (default `ngram_width - 1`); `preserve_short_sequences` makes one n-gram of a sequence too short
    for any.

        tf.strings.ngrams([["a", "b", "c"]], 2)   # [[b"a b", b"b c"]]
    """
    if pad_values is None:
        left, right = "", ""
    elif isinstance(pad_values, (list, tuple)):
        if len(pad_values) != 2 or not all(isinstance(v, (str, bytes)) for v in pad_values):
            raise ValueError("pad_values must be a string, tuple of strings, or None.")
        left, right = pad_values
    elif isinstance(pad_values, (str, bytes)):
        left = right = pad_values
    else:
        raise ValueError("pad_values must be a string, tuple of strings, or None.")
    if padding_width is not None and padding_width < 1:
        raise ValueError("padding_width must be greater than 0.")
    if padding_width is not None and pad_values is None:
        raise ValueError("pad_values must be provided if padding_width is set.")
    widths = list(ngram_width) if isinstance(ngram_width, (list, tuple)) else [ngram_width]
    if any(int(w) < 1 for w in widths):
        raise ValueError(f"All ngram_widths must be greater than 0. Got {widths}")
    pad_width = 0 if pad_values is None else (-1 if padding_width is None else int(padding_width))
    with name_scope(name, "StringNGrams", [data]):
        x = convert_to_tensor(data, dtype=dtypes.string, name="data")
        dims = x.shape.as_tuple()
        if dims is None:
            raise ValueError("Rank of data must be known.")
        if len(dims) == 0:
            raise ValueError("Data must have rank>0")
        shape = array_ops.shape(x, out_type=dtypes.int64)
        rows = reduction_ops.reduce_prod(shape[:-1])
        splits = math_ops.multiply(fill_ops.range_(rows + 1, dtype=dtypes.int64), shape[-1])
        grams, _ = apply_op("StringNGrams", array_ops.reshape(x, [-1]), splits, name="StringNGrams",
                            separator=separator, ngram_widths=tuple(int(w) for w in widths), left_pad=left,
                            right_pad=right, pad_width=pad_width,
                            preserve_short_sequences=bool(preserve_short_sequences))
        if len(dims) == 1:
            return grams
        out = array_ops.reshape(grams, concat_ops.concat([shape[:-1], [-1]], 0))
        per_row = None
        if dims[-1] is not None:
            per_row = len(_row_ngrams([b""] * dims[-1], widths, b"", b"", b"", pad_width,
                                      bool(preserve_short_sequences)))
        out.set_shape(TensorShape(list(dims[:-1]) + [per_row]))
        return out


# ---- UnsortedSegmentJoin ---------------------------------------------------------------------------------------
def _segment_join_infer(inputs, segment_ids, num_segments, *, separator):
    _check_dtype(inputs, dtypes.string, "inputs")
    for spec, what in ((segment_ids, "segment_ids"), (num_segments, "num_segments")):
        if spec.dtype not in (dtypes.int32, dtypes.int64):
            raise TypeError(f"Value passed to parameter '{what}' has DataType {spec.dtype.name} not in list of "
                            "allowed values: int32, int64")
    if num_segments.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {num_segments.shape.ndims} for 'num_segments'")
    data, ids = inputs.shape.as_tuple(), segment_ids.shape.as_tuple()
    count = None if num_segments.value is None else int(num_segments.value)
    if data is None or ids is None:
        return TensorSpec(None, dtypes.string)
    if len(ids) > len(data) or not TensorShape(data[:len(ids)]).is_compatible_with(TensorShape(ids)):
        raise ValueError(f"segment_ids.shape = {TensorShape(ids)} must be a prefix of inputs.shape = "
                         f"{TensorShape(data)}")
    return TensorSpec([count] + list(data[len(ids):]), dtypes.string)


def _segment_join_kernel(xp, inputs, segment_ids, num_segments, *, separator):
    inputs, ids = np.asarray(inputs, dtype=object), np.asarray(segment_ids)
    count = int(num_segments)
    if inputs.shape[:ids.ndim] != ids.shape:
        raise _invalid(f"segment_ids.shape = {list(ids.shape)} must be a prefix of inputs.shape = "
                       f"{list(inputs.shape)}")
    if count < 0:
        raise _invalid(f"num_segments must be at least 0, got {count}")
    sep = separator.encode("utf-8") if isinstance(separator, str) else separator
    rows = inputs.reshape((ids.size, -1)) if ids.size else inputs.reshape((0, int(np.prod(inputs.shape[ids.ndim:]))))
    parts: list[list[list[bytes]]] = [[[] for _ in range(rows.shape[1])] for _ in range(count)]
    for row, segment in enumerate(ids.reshape(-1).tolist()):
        if not 0 <= segment < count:
            raise _invalid("segment_ids are not allowed to exceed num_segments or be negative.")
        for column, value in enumerate(rows[row].tolist()):
            parts[segment][column].append(value)
    out = np.empty((count, rows.shape[1]), dtype=object)
    for segment in range(count):
        for column in range(rows.shape[1]):
            out[segment, column] = sep.join(parts[segment][column])
    return out.reshape((count,) + inputs.shape[ids.ndim:])


register(OpDef(
    "UnsortedSegmentJoin", infer=_segment_join_infer, kernel=_segment_join_kernel, attrs={"separator": ""},
    cpu_only=True, differentiable=False,
    input_names=("inputs: string", "segment_ids: Tindices", "num_segments: Tnumsegments"),
    output_names=("output: string",),
    attr_types={"separator": "string", "Tindices": "type", "Tnumsegments": "type = int32"},
))


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    """Join the strings of each segment, in input order, with `separator`, as
    `tf.strings.unsorted_segment_join`; an empty segment gives b"".

        tf.strings.unsorted_segment_join(["a", "b", "c"], [1, 0, 1], 2, separator=":")   # [b"b", b"a:c"]
    """
    with name_scope(name, "UnsortedSegmentJoin", [inputs, segment_ids, num_segments]):
        ids = convert_to_tensor(segment_ids, name="segment_ids")
        count = convert_to_tensor(num_segments, name="num_segments")
        return apply_op("UnsortedSegmentJoin", convert_to_tensor(inputs, dtype=dtypes.string, name="inputs"), ids,
                        count, name="UnsortedSegmentJoin", separator=separator)
