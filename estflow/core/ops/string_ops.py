"""String ops: formatting, parsing, joining, splitting, substrings and regular expressions.

String tensors are numpy object arrays of `bytes`; every op here runs on the CPU
(`cpu_only`) and has no gradient. Each op type is one `register(OpDef(...))` block with
TF's op name and attrs, followed by the TF1 function(s) that build it.

Regular expressions use TF's RE2 syntax, evaluated with Python's `re` over UTF-8 text
after a small translation (`\\z`, a non-multiline `$`, `\\Q...\\E`, `[[:alpha:]]`);
rewrites use RE2's `\\1` / `\\0` group references.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from estflow.core import dtypes, errors, row_rules
from estflow.core.graph import Tensor, name_scope
from estflow.core.ops.constant_op import convert_to_tensor
from estflow.core.registry import REQUIRED, OpDef, TensorSpec, apply_op, broadcast_shapes, register
from estflow.core.sparse_tensor import SparseTensor
from estflow.core.tensor_shape import TensorShape

_UNITS = ("BYTE", "UTF8_CHAR")


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def _text(b: bytes) -> str:
    """Bytes for an error message."""
    return b.decode("utf-8", errors="replace")


def _as_bytes(s) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else s


def _strings(x) -> Tensor:
    return convert_to_tensor(x, dtype=dtypes.string)


def _map(fn, x, out_dtype=object) -> np.ndarray:
    """`fn` over every element of the object array `x`, keeping its shape."""
    out = np.empty(x.shape, dtype=out_dtype)
    flat = out.reshape(-1)
    for i, s in enumerate(x.reshape(-1).tolist()):
        flat[i] = fn(s)
    return out


def _check_string(spec: TensorSpec, param: str = "input") -> None:
    if spec.dtype != dtypes.string:
        raise TypeError(f"Input '{param}' expected type string, got {spec.dtype.name}.")


def _check_unit(unit: str) -> None:
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {', '.join(_UNITS)}; got {unit!r}.")


def _string_like(x: TensorSpec, **_) -> TensorSpec:
    _check_string(x)
    return TensorSpec(x.shape, dtypes.string)


def _utf8_starts(s: bytes) -> list[int]:
    """Byte offsets where each UTF-8 character starts, plus len(s)."""
    return [i for i, b in enumerate(s) if b & 0xC0 != 0x80] + [len(s)]


# ---- AsString ---------------------------------------------------------------------------
_TF_TYPE_NAMES = {"float32": "float", "float64": "double"}
_FLOAT_TYPES = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def _as_string_format(dtype, precision, scientific, shortest, width, fill) -> str | None:
    """The printf format TF's AsString kernel builds; None: pass strings through."""
    type_name = _TF_TYPE_NAMES.get(dtype.name, dtype.name)
    if dtype not in _FLOAT_TYPES:
        if scientific or shortest:
            raise ValueError(f"scientific and shortest format not supported for datatype {type_name}")
        if precision >= 0:
            raise ValueError(f"precision not supported for datatype {type_name}")
    if len(fill) > 1:
        raise ValueError("Fill string must be one or fewer characters")
    if scientific and shortest:
        raise ValueError("Cannot select both scientific and shortest notation")
    if fill and fill not in " +-0#":
        raise ValueError(f'Fill argument not supported: "{fill}"')
    if dtype == dtypes.string and width <= 0:
        return None
    spec = "%" + fill + (str(width) if width > -1 else "") + (f".{precision}" if precision > -1 else "")
    if dtype == dtypes.string:
        return spec + "s"
    if dtype.is_integer:
        return spec + "d"
    if dtype in _FLOAT_TYPES:
        return spec + ("g" if shortest else "e" if scientific else "f")
    if dtype == dtypes.bool:
        return spec
    raise ValueError(f"Type not supported: {type_name}")


def _as_string_infer(x, *, precision, scientific, shortest, width, fill):
    _as_string_format(x.dtype, precision, scientific, shortest, width, fill)
    return TensorSpec(x.shape, dtypes.string)


def _as_string_kernel(xp, x, precision, scientific, shortest, width, fill):
    dtype = dtypes.as_dtype(x.dtype) if x.dtype != object else dtypes.string
    fmt = _as_string_format(dtype, precision, scientific, shortest, width, fill)
    if dtype == dtypes.string:
        return x if fmt is None else _map(lambda s: (fmt % _text(s)).encode(), x)
    if dtype == dtypes.bool:
        return _map(lambda v: b"true" if v else b"false", x)
    if dtype.is_complex:
        return _map(lambda v: (f"({fmt},{fmt})" % (v.real, v.imag)).encode(), x)
    return _map(lambda v: (fmt % v).encode(), x)


register(OpDef(
    "AsString",
    infer=_as_string_infer,
    kernel=_as_string_kernel,
    attrs={"precision": -1, "scientific": False, "shortest": False, "width": -1, "fill": ""},
    cpu_only=True,
    differentiable=False,
    input_names=("input: T",), output_names=("output: string",),
    attr_types={"T": "type", "precision": "int", "scientific": "bool", "shortest": "bool", "width": "int",
                "fill": "string"}, row_wise=row_rules.elementwise,
))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):  # noqa: A002
    """Each element formatted as a string, as `tf.as_string` (floats: "%f" by default).

        tf.as_string([1.5, 2.0], precision=2)   # [b"1.50", b"2.00"]
        tf.as_string(7, width=3, fill="0")      # b"007"
    """
    return apply_op("AsString", input, name=name or "AsString", precision=precision, scientific=scientific,
                    shortest=shortest, width=width, fill=fill)


# ---- StringToNumber ---------------------------------------------------------------------
_FLOAT_TEXT = re.compile(r"\s*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf|nan)\s*", re.IGNORECASE | re.ASCII)
_HEX_TEXT = re.compile(r"\s*[+-]?0x[0-9a-f]+\s*", re.IGNORECASE | re.ASCII)
_INT_TEXT = re.compile(rb"[ \t\n\v\f\r]*-?[0-9]+[ \t\n\v\f\r]*")
_NUMBER_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64)


def _parse_float(s: bytes) -> float:
    text = s.decode("ascii", errors="replace")
    if _FLOAT_TEXT.fullmatch(text):
        return float(text)
    if _HEX_TEXT.fullmatch(text):
        return float(int(text.strip(), 16))
    raise ValueError


def _parse_int(s: bytes, info) -> int:
    if not _INT_TEXT.fullmatch(s):
        raise ValueError
    value = int(s)
    if not info.min <= value <= info.max:
        raise ValueError
    return value


def _string_to_number_infer(x, *, out_type):
    _check_string(x, "string_tensor")
    if out_type not in _NUMBER_TYPES:
        raise TypeError(f"Value for attr 'out_type' of {out_type.name} is not in the list of allowed values: "
                        "float, double, int32, int64")
    return TensorSpec(x.shape, out_type)


def _string_to_number_kernel(xp, x, out_type):
    np_type = out_type.as_numpy_dtype
    parse = _parse_float if out_type.is_floating else functools.partial(_parse_int, info=np.iinfo(np_type))
    values = []
    for s in x.reshape(-1).tolist():
        try:
            values.append(parse(s))
        except ValueError:
            raise _invalid(f"StringToNumberOp could not correctly convert string: {_text(s)}") from None
    with np.errstate(over="ignore"):  # out-of-range floats become inf, as TF's parser gives
        return np.asarray(values, dtype=np.float64 if out_type.is_floating else np.int64).astype(np_type).reshape(
            x.shape)


register(OpDef(
    "StringToNumber",
    infer=_string_to_number_infer,
    kernel=_string_to_number_kernel,
    attrs={"out_type": dtypes.float32},
    cpu_only=True,
    differentiable=False,
    input_names=("string_tensor: string",), output_names=("output: out_type",), attr_types={"out_type": "type"},
    row_wise=row_rules.elementwise,
))


def string_to_number(string_tensor, out_type=dtypes.float32, name=None):
    """Each string parsed as a number, as `tf.string_to_number` / `tf.strings.to_number`.

    Raises InvalidArgumentError at run time for text that is not a number.

        tf.strings.to_number(["1.5", " 2"])   # [1.5, 2.0]
    """
    return apply_op("StringToNumber", _strings(string_tensor), name=name or "StringToNumber",
                    out_type=dtypes.as_dtype(out_type))


def to_number(input, out_type=dtypes.float32, name=None):  # noqa: A002 - TF's argument name
    """`tf.strings.to_number`: as `string_to_number`."""
    return string_to_number(input, out_type=out_type, name=name)


# ---- StringJoin -------------------------------------------------------------------------
def _string_join_infer(*inputs, separator, N):  # noqa: N803 - TF's attr name
    shape = TensorShape([])
    for x in inputs:
        _check_string(x, "inputs")
        if x.shape.ndims == 0:
            continue
        if shape.ndims == 0:
            shape = x.shape
        elif not shape.is_compatible_with(x.shape):
            raise ValueError(f"Input shapes do not match: {shape} vs. {x.shape}")
        else:
            shape = shape.merge_with(x.shape)
    if any(x.shape.ndims is None for x in inputs):
        shape = TensorShape(None)
    return TensorSpec(shape, dtypes.string)


def _string_join_kernel(xp, *inputs, separator, N):  # noqa: N803 - TF's attr name
    shape = None
    for x in inputs:
        if x.ndim:
            if shape is None:
                shape = x.shape
            elif x.shape != shape:
                raise _invalid(f"Input shapes do not match: {_dims(shape)} vs. {_dims(x.shape)}")
    shape = () if shape is None else shape
    sep = _as_bytes(separator)
    columns = [np.broadcast_to(x, shape).reshape(-1).tolist() for x in inputs]
    out = np.empty(shape, dtype=object)
    out.reshape(-1)[:] = [sep.join(parts) for parts in zip(*columns, strict=True)] if columns else []
    return out


register(OpDef("StringJoin", infer=_string_join_infer, kernel=_string_join_kernel,
               attrs={"separator": "", "N": REQUIRED}, cpu_only=True, differentiable=False,
               input_names=("inputs: N * string",), output_names=("output: string",),
               attr_types={"N": "int >= 0", "separator": "string"},
               row_wise=row_rules.scalar_constants))


def string_join(inputs, separator="", name=None):
    """Element-wise concatenation of string tensors (scalars broadcast), as `tf.string_join`.

        tf.string_join([["a", "b"], "-x"], separator="+")   # [b"a+-x", b"b+-x"]
    """
    inputs = [_strings(x) for x in inputs]
    return apply_op("StringJoin", *inputs, name=name or "StringJoin", separator=separator, N=len(inputs))


def join(inputs, separator="", name=None):
    """`tf.strings.join`: as `string_join`."""
    return string_join(inputs, separator=separator, name=name)


# ---- StringSplit / StringSplitV2 --------------------------------------------------------
def _split_infer(x, sep, **_):
    _check_string(x)
    if x.shape.ndims not in (None, 1):
        raise ValueError(f"Shape must be rank 1 but is rank {x.shape.ndims}")
    if sep.shape.ndims not in (None, 0):
        raise ValueError(f"Shape must be rank 0 but is rank {sep.shape.ndims}")
    return [TensorSpec([None, 2], dtypes.int64), TensorSpec([None], dtypes.string), TensorSpec([2], dtypes.int64)]


def _split_outputs(rows: list[list[bytes]]):
    """(indices, values, dense_shape) of a [batch, max tokens] SparseTensor of the tokens."""
    indices = [(i, j) for i, tokens in enumerate(rows) for j in range(len(tokens))]
    values = np.empty(len(indices), dtype=object)
    values[:] = [t for tokens in rows for t in tokens]
    width = max((len(tokens) for tokens in rows), default=0)
    return (np.asarray(indices, dtype=np.int64).reshape(len(indices), 2), values,
            np.asarray([len(rows), width], dtype=np.int64))


def _check_split_inputs(x, sep, what: str) -> bytes:
    if x.ndim != 1:
        raise _invalid(f"input must be a vector, got shape: {_dims(x.shape)}")
    if sep.ndim != 0:
        raise _invalid(f"{what} must be a scalar, got shape: {_dims(sep.shape)}")
    return sep.item()


def _string_split_kernel(xp, x, delimiter, skip_empty):
    delimiter = _check_split_inputs(x, delimiter, "delimiter")
    pattern = re.compile(b"[" + re.escape(delimiter) + b"]") if delimiter else None
    rows = []
    for s in x.tolist():
        if not s:
            tokens = []
        elif pattern is None:  # an empty delimiter splits into single bytes
            tokens = [s[i:i + 1] for i in range(len(s))]
        else:
            tokens = pattern.split(s)
            if skip_empty:
                tokens = [t for t in tokens if t]
        rows.append(tokens)
    return _split_outputs(rows)


def _string_split_v2_kernel(xp, x, sep, maxsplit):
    sep = _check_split_inputs(x, sep, "sep")
    rows = []
    for s in x.tolist():
        if maxsplit == 0:
            rows.append([s])
        else:
            rows.append(s.split(sep or None, maxsplit))
    return _split_outputs(rows)


register(OpDef("StringSplit", infer=_split_infer, kernel=_string_split_kernel, attrs={"skip_empty": True},
               cpu_only=True, differentiable=False,
               input_names=("input: string", "delimiter: string"),
               output_names=("indices: int64", "values: string", "shape: int64"), attr_types={"skip_empty": "bool"}))
register(OpDef("StringSplitV2", infer=_split_infer, kernel=_string_split_v2_kernel, attrs={"maxsplit": -1},
               cpu_only=True, differentiable=False,
               input_names=("input: string", "sep: string"),
               output_names=("indices: int64", "values: string", "shape: int64"), attr_types={"maxsplit": "int"}))


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor", name=None):
    """Split each string of a 1-D tensor at any byte of `sep` (default " "), as TF1's `tf.string_split`.

    Returns a SparseTensor of shape [len(source), max tokens]; an empty `sep` splits into bytes.

        tf.string_split(["a b", "c"]).values   # [b"a", b"b", b"c"]
    """
    if sep is not None and delimiter is not None:
        raise ValueError("Cannot specify both 'sep' and 'delimiter'.")
    if result_type != "SparseTensor":
        raise ValueError(f"result_type must be 'SparseTensor' in estflow (RaggedTensor is not supported); "
                         f"got {result_type!r}.")
    delimiter = " " if sep is None and delimiter is None else (sep if sep is not None else delimiter)
    indices, values, shape = apply_op("StringSplit", _strings(source), _strings(delimiter),
                                      name=name or "StringSplit", skip_empty=skip_empty)
    return SparseTensor(indices, values, shape)


def split(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None, name=None):  # noqa: A002
    """Split strings at `sep` (default: runs of whitespace), as TF1's `tf.strings.split`.

    Unlike `tf.string_split`, `sep` is a whole separator and empty tokens are kept, like
    Python's `str.split`; at most `maxsplit` splits per string. Returns a SparseTensor.

        tf.strings.split(["a,,b"], sep=",").values   # [b"a", b"", b"b"]
    """
    if input is not None and source is not None:
        raise ValueError("Cannot specify both 'input' and 'source'.")
    if result_type != "SparseTensor":
        raise ValueError(f"result_type must be 'SparseTensor' in estflow (RaggedTensor is not supported); "
                         f"got {result_type!r}.")
    with name_scope(name, "StringSplit", [input if input is not None else source]):
        x = _strings(input if input is not None else source)
        if x.shape.ndims == 0:
            x = apply_op("ExpandDims", x, np.int32(0), name="ExpandDims")
        elif x.shape.ndims is not None and x.shape.ndims > 1:
            raise ValueError(f"tf.strings.split in estflow takes a scalar or 1-D input; got shape {x.shape}.")
        indices, values, shape = apply_op("StringSplitV2", x, _strings(sep or ""), name="StringSplitV2",
                                          maxsplit=maxsplit)
        return SparseTensor(indices, values, shape)


# ---- Substr -----------------------------------------------------------------------------
def _substr_infer(x, pos, length, *, unit):
    _check_string(x)
    _check_unit(unit)
    if not pos.shape.is_compatible_with(length.shape):
        raise ValueError(f"pos and len should have the same shape, got: {pos.shape} vs. {length.shape}")
    return TensorSpec(broadcast_shapes(x.shape, pos.shape.merge_with(length.shape)), dtypes.string)


def _utf8_span(s: bytes, pos: int, length: int):
    """Byte (start, end) of `length` characters from character `pos`; None when pos is out of range."""
    starts = _utf8_starts(s)
    n = len(starts) - 1
    if pos >= 0:
        if pos > n:
            return None
        end = pos + max(length, 0)
        return starts[pos], starts[min(end, n)]
    skip = max(-pos - length, 0)  # characters after the substring
    if skip > n:
        return None
    end = n - skip
    take = -pos - skip
    if take > end:
        return None
    return starts[end - max(take, 0)], starts[end]


def _substr_kernel(xp, x, pos, length, unit):
    if pos.shape != length.shape:
        raise _invalid(f"pos and len should have the same shape, got: {_dims(pos.shape)} vs. {_dims(length.shape)}")
    if pos.size == 0:
        raise _invalid(f"received empty tensor pos_tensor: {pos!r}")
    broadcast = not (pos.ndim == 0 or pos.shape == x.shape)
    try:
        shape = np.broadcast_shapes(x.shape, pos.shape)
    except ValueError:
        raise _invalid(f"Incompatible shapes: {_dims(x.shape)} vs. {_dims(pos.shape)}") from None
    strings = np.broadcast_to(x, shape)
    positions, lengths = np.broadcast_to(pos, shape), np.broadcast_to(length, shape)
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        s, p, n = strings[index], int(positions[index]), int(lengths[index])
        where = ("(" + ", ".join(map(str, index)) + ")" if broadcast and len(shape) > 1
                 else str(np.ravel_multi_index(index, shape) if shape else 0))
        if unit == "UTF8_CHAR":
            span = _utf8_span(s, p, n)
            if span is None:
                raise _invalid(f"pos {p} out of range for string at index {where}")
            out[index] = s[span[0]:span[1]]
            continue
        start = len(s) + p if p < 0 else p
        if not 0 <= start <= len(s):
            raise _invalid(f"pos {p} out of range for string b'{_text(s)}' at index {where}")
        out[index] = s[start:] if n < 0 else s[start:start + n]
    return out


register(OpDef("Substr", infer=_substr_infer, kernel=_substr_kernel, attrs={"unit": "BYTE"}, same_dtype=(1, 2),
               cpu_only=True, differentiable=False,
               input_names=("input: string", "pos: T", "len: T"), output_names=("output: string",),
               attr_types={"T": "type", "unit": "string"},
               row_wise=row_rules.scalar_constants))


def substr(input, pos, len, name=None, unit="BYTE"):  # noqa: A002 - TF's argument names
    """`len` bytes (or UTF-8 characters) from `pos` of each string, as `tf.substr` / `tf.strings.substr`.

    A negative `pos` counts from the end; a `pos` past the end is an InvalidArgumentError.

        tf.strings.substr(["hello", "world"], 1, 3)   # [b"ell", b"orl"]
    """
    return apply_op("Substr", _strings(input), pos, len, name=name or "Substr", unit=unit)


# ---- StringLength -----------------------------------------------------------------------
def _string_length_infer(x, *, unit):
    _check_string(x)
    _check_unit(unit)
    return TensorSpec(x.shape, dtypes.int32)


def _string_length_kernel(xp, x, unit):
    if unit == "UTF8_CHAR":
        return _map(lambda s: sum(1 for b in s if b & 0xC0 != 0x80), x, np.int32)
    return _map(len, x, np.int32)


register(OpDef("StringLength", infer=_string_length_infer, kernel=_string_length_kernel, attrs={"unit": "BYTE"},
               cpu_only=True, differentiable=False,
               input_names=("input: string",), output_names=("output: int32",), attr_types={"unit": "string"},
               row_wise=row_rules.elementwise))


def length(input, name=None, unit="BYTE"):  # noqa: A002 - TF's argument name
    """The length of each string in bytes (or UTF-8 characters), as `tf.strings.length`."""
    return apply_op("StringLength", _strings(input), name=name or "StringLength", unit=unit)


# ---- regular expressions ----------------------------------------------------------------
# Patterns run on RE2 itself (the `google-re2` binding), as in TensorFlow: RE2 matches in time
# linear in the text, so a pattern read from an imported graph (`(a+)+$`) cannot hang a run the
# way a backtracking engine would, and RE2's syntax (`\\z`, `[[:alpha:]]`, `\\Q...\\E`, UTF-8 on
# the raw bytes) needs no translation.
@functools.cache
def _re2():
    """The RE2 binding and its options, loaded on the first regex (keeps the engine's first use fast)."""
    import re2  # noqa: PLC0415 - deferred: only graphs with regex ops need it (1.5 ms to load)

    options = re2.Options()
    options.log_errors = False  # the error reaches the caller as InvalidArgumentError instead
    return re2, options


@functools.lru_cache(maxsize=256)
def _compile(pattern: bytes):
    re2, options = _re2()
    try:
        return re2.compile(pattern, options)
    except re2.error as e:
        reason = e.args[0] if e.args else e
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        text = pattern.decode("utf-8", errors="replace")
        raise _invalid(f"Invalid pattern: {text}, error: {reason}") from None


def _parse_rewrite(rewrite: bytes, groups: int):
    """RE2 rewrite text as parts: bytes literals and int group numbers; None when RE2 would refuse it."""
    parts, i = [], 0
    while i < len(rewrite):
        c = rewrite[i:i + 1]
        if c != b"\\":
            parts.append(c)
            i += 1
            continue
        nxt = rewrite[i + 1:i + 2]
        if nxt.isdigit():
            if int(nxt) > groups:
                return None
            parts.append(int(nxt))
        elif nxt == b"\\":
            parts.append(b"\\")
        else:
            return None
        i += 2
    return parts


def _regex_replace(x, pattern: bytes, rewrite: bytes, replace_global: bool):
    regex = _compile(pattern)
    parts = _parse_rewrite(rewrite, regex.groups)
    if parts is None:  # RE2::Replace refuses the rewrite and leaves the text unchanged
        return x.copy()

    def substitute(m):
        return b"".join(p if isinstance(p, bytes) else (m.group(p) or b"") for p in parts)

    count = 0 if replace_global else 1
    return _map(lambda s: regex.sub(substitute, s, count=count), x)


def _scalar_string(x, what: str) -> bytes:
    if x.ndim != 0:
        raise _invalid(f"{what} must be scalar, but received {_dims(x.shape)}")
    return x.item()


def _regex_infer(x, *scalars, **_):
    _check_string(x)
    for s in scalars:
        if s.shape.ndims not in (None, 0):
            raise ValueError(f"Shape must be rank 0 but is rank {s.shape.ndims}")
    return TensorSpec(x.shape, dtypes.string)


def _regex_match_infer(x, *scalars, **attrs):
    return TensorSpec(_regex_infer(x, *scalars).shape, dtypes.bool)


def _check_static_pattern(pattern) -> None:
    try:
        _compile(_as_bytes(pattern))
    except errors.InvalidArgumentError as e:
        raise ValueError(e.message) from None


def _static_regex_replace_infer(x, *, pattern, rewrite, replace_global):
    _check_static_pattern(pattern)
    return _regex_infer(x)


def _static_regex_full_match_infer(x, *, pattern):
    _check_static_pattern(pattern)
    return _regex_match_infer(x)


register(OpDef(
    "RegexReplace",
    infer=_regex_infer,
    kernel=lambda xp, x, pattern, rewrite, replace_global: _regex_replace(
        x, _scalar_string(pattern, "Pattern"), _scalar_string(rewrite, "Rewrite"), replace_global),
    attrs={"replace_global": True},
    cpu_only=True,
    differentiable=False,
    input_names=("input: string", "pattern: string", "rewrite: string"), output_names=("output: string",),
    attr_types={"replace_global": "bool"}, row_wise=row_rules.scalar_constants,
))
register(OpDef(
    "StaticRegexReplace",
    infer=_static_regex_replace_infer,
    kernel=lambda xp, x, pattern, rewrite, replace_global: _regex_replace(
        x, _as_bytes(pattern), _as_bytes(rewrite), replace_global),
    attrs={"pattern": REQUIRED, "rewrite": REQUIRED, "replace_global": True},
    cpu_only=True,
    differentiable=False,
    input_names=("input: string",), output_names=("output: string",),
    attr_types={"pattern": "string", "rewrite": "string", "replace_global": "bool"}, row_wise=row_rules.elementwise,
))


def _full_match(x, pattern: bytes):
    regex = _compile(pattern)
    return _map(lambda s: regex.fullmatch(s) is not None, x, bool)


register(OpDef(
    "RegexFullMatch",
    infer=_regex_match_infer,
    kernel=lambda xp, x, pattern: _full_match(x, _scalar_string(pattern, "Pattern")),
    cpu_only=True,
    differentiable=False,
    input_names=("input: string", "pattern: string"), output_names=("output: bool",),
    row_wise=row_rules.scalar_constants,
))
register(OpDef(
    "StaticRegexFullMatch",
    infer=_static_regex_full_match_infer,
    kernel=lambda xp, x, pattern: _full_match(x, _as_bytes(pattern)),
    attrs={"pattern": REQUIRED},
    cpu_only=True,
    differentiable=False,
    input_names=("input: string",), output_names=("output: bool",), attr_types={"pattern": "string"},
    row_wise=row_rules.elementwise,
))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002 - TF's argument name
    """Replace matches of the RE2 `pattern` by `rewrite` (`\\1` for groups), as `tf.regex_replace`.

        tf.strings.regex_replace(["a1b22"], r"\\d+", "#")   # [b"a#b#"]
    """
    if isinstance(pattern, (str, bytes)) and isinstance(rewrite, (str, bytes)):
        # Constant pattern and rewrite: TF compiles the expression once, into op attrs.
        return apply_op("StaticRegexReplace", _strings(input), name=name or "StaticRegexReplace",
                        pattern=pattern, rewrite=rewrite, replace_global=replace_global)
    return apply_op("RegexReplace", _strings(input), _strings(pattern), _strings(rewrite),
                    name=name or "RegexReplace", replace_global=replace_global)


def regex_full_match(input, pattern, name=None):  # noqa: A002 - TF's argument name
    """True where the whole string matches the RE2 `pattern`, as `tf.strings.regex_full_match`."""
    if isinstance(pattern, (str, bytes)):
        return apply_op("StaticRegexFullMatch", _strings(input), name=name or "StaticRegexFullMatch",
                        pattern=pattern)
    return apply_op("RegexFullMatch", _strings(input), _strings(pattern), name=name or "RegexFullMatch")


# ---- StringStrip, StringLower, StringUpper ----------------------------------------------
def _case_kernel(method):
    def kernel(xp, x, encoding):
        if encoding == "":
            return _map(getattr(bytes, method), x)
        return _map(lambda s: getattr(s.decode(encoding), method)().encode(encoding), x)

    return kernel


def _case_infer(x, *, encoding):
    if encoding not in ("", "utf-8", "utf8", "UTF-8"):
        raise ValueError(f"encoding must be '' (ASCII only) or 'utf-8'; got {encoding!r}.")
    return _string_like(x)


register(OpDef("StringStrip", infer=_string_like, kernel=lambda xp, x: _map(bytes.strip, x), cpu_only=True,
               differentiable=False,
               input_names=("input: string",), output_names=("output: string",),
               row_wise=row_rules.elementwise))
register(OpDef("StringLower", infer=_case_infer, kernel=_case_kernel("lower"), attrs={"encoding": ""},
               cpu_only=True, differentiable=False,
               input_names=("input: string",), output_names=("output: string",), attr_types={"encoding": "string"},
               row_wise=row_rules.elementwise))
register(OpDef("StringUpper", infer=_case_infer, kernel=_case_kernel("upper"), attrs={"encoding": ""},
               cpu_only=True, differentiable=False,
               input_names=("input: string",), output_names=("output: string",), attr_types={"encoding": "string"},
               row_wise=row_rules.elementwise))


def strip(input, name=None):  # noqa: A002 - TF's argument name
    """Each string without leading and trailing ASCII whitespace, as `tf.strings.strip`."""
    return apply_op("StringStrip", _strings(input), name=name or "StringStrip")


def lower(input, encoding="", name=None):  # noqa: A002 - TF's argument name
    """Each string in lower case (ASCII only unless `encoding="utf-8"`), as `tf.strings.lower`."""
    return apply_op("StringLower", _strings(input), name=name or "StringLower", encoding=encoding)


def upper(input, encoding="", name=None):  # noqa: A002 - TF's argument name
    """Each string in upper case (ASCII only unless `encoding="utf-8"`), as `tf.strings.upper`."""
    return apply_op("StringUpper", _strings(input), name=name or "StringUpper", encoding=encoding)


# ---- ReduceJoin -------------------------------------------------------------------------
def _reduce_join_axes(axes, ndim: int) -> list[int]:
    """The reduced axes, normalised, in the order the kernel iterates them (TF's checks)."""
    seen = set()
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Invalid reduction dimension {a} for input with {ndim} dimension(s)")
        if a % ndim in seen:
            raise ValueError(f"Duplicate reduction dimension {a}")
        seen.add(a % ndim)
    return [a % ndim for a in axes]


def _reduce_join_infer(x, axes, *, keep_dims, separator):
    _check_string(x)
    if axes.value is None or x.shape.ndims is None:
        return TensorSpec(TensorShape(None), dtypes.string)
    ndim = x.shape.ndims
    reduced = set(_reduce_join_axes([int(a) for a in np.asarray(axes.value).reshape(-1)], ndim))
    dims = [1 if d in reduced else x.shape.as_tuple()[d] for d in range(ndim) if keep_dims or d not in reduced]
    return TensorSpec(dims, dtypes.string)


def _reduce_join_kernel(xp, x, axes, keep_dims, separator):
    listed = [int(a) for a in np.asarray(axes).reshape(-1)]
    try:
        reduced = _reduce_join_axes(listed, x.ndim)
    except ValueError as e:
        cls = errors.OutOfRangeError if "Invalid" in str(e) else errors.InvalidArgumentError
        raise cls(None, None, str(e)) from None
    kept = [d for d in range(x.ndim) if d not in reduced]
    # The first listed axis varies fastest within each joined string.
    n_out = int(np.prod([x.shape[d] for d in kept], dtype=np.int64))
    n_joined = int(np.prod([x.shape[d] for d in reduced], dtype=np.int64))
    rows = np.transpose(x, kept + reduced[::-1]).reshape(n_out, n_joined).tolist()
    joined = np.empty(n_out, dtype=object)
    joined[:] = [_as_bytes(separator).join(r) for r in rows]
    shape = [1 if d in reduced else x.shape[d] for d in range(x.ndim) if keep_dims or d not in reduced]
    return joined.reshape(shape)


register(OpDef("ReduceJoin", infer=_reduce_join_infer, kernel=_reduce_join_kernel,
               attrs={"keep_dims": False, "separator": ""}, cpu_only=True, differentiable=False,
               input_names=("inputs: string", "reduction_indices: int32"), output_names=("output: string",),
               attr_types={"keep_dims": "bool", "separator": "string"}))


def reduce_join(inputs, axis=None, keep_dims=None, separator="", name=None, reduction_indices=None,
                keepdims=None):
    """Join strings across dimensions (all by default), as `tf.reduce_join` / `tf.strings.reduce_join`.

        tf.reduce_join([["a", "b"], ["c", "d"]], 1)   # [b"ab", b"cd"]
        tf.reduce_join([["a", "b"], ["c", "d"]])      # b"abcd"
    """
    if keepdims is not None and keep_dims is not None:
        raise ValueError("Cannot specify both 'keepdims' and 'keep_dims'.")
    if axis is not None and reduction_indices is not None:
        raise ValueError("Cannot specify both 'axis' and 'reduction_indices'.")
    keep = bool(keepdims if keepdims is not None else keep_dims)
    axis = axis if axis is not None else reduction_indices
    with name_scope(None, "ReduceJoin", [inputs, axis]):
        x = _strings(inputs)
        if axis is None:
            if x.shape.ndims is None:
                raise ValueError("reduce_join over all axes needs the input's rank to be known at graph-build time; "
                                 "pass `axis` explicitly.")
            axis = np.arange(x.shape.ndims - 1, -1, -1, dtype=np.int32)
        axis = convert_to_tensor(axis, dtype=dtypes.int32)
        return apply_op("ReduceJoin", x, axis, name=name or "ReduceJoin", keep_dims=keep, separator=separator)
