"""CSV fields as TF parses them: splitting records (quotes, `na_value`, `select_cols`) and converting numbers.

Shared by the DecodeCSV op (parsing_ops.py) and CsvDataset (data/csv_dataset.py). A block
of plain records (no quotes, line breaks or empty records, one field count) is split and
converted a column at a time (`convert_plain`: the integer columns of one type that are all
plain digits in one bulk parse); anything else goes record by record so that the first
error raised is TF's (`decode_csv_exact`). Numbers follow TF's safe_strto32/64 and
safe_strtof/d: surrounding ASCII spaces are fine, a leading "+" only on floats (TF 2.15
rejects "+5" as an int32 or int64), digit separators ("1_000") nowhere.
"""

from __future__ import annotations

import re

import numpy as np

from estflow.core import dtypes, errors


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _as_bytes(s) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


_ASCII_SPACE = b" \t\n\v\f\r"
_INT_TEXT = re.compile(rb"[ \t\n\v\f\r]*-?[0-9]+[ \t\n\v\f\r]*")  # no "+": TF's safe_strto32/64
# TF 2.15's safe_strtof/d (double-conversion): one optional sign, then a decimal, a hex integer ("0x1f"), "inf" or
# "nan" in any case; not "infinity", "nan(...)", "+-5" or hex fractions / exponents ("0x1.8p1")
_FLOAT_TEXT = re.compile(rb"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|0x[0-9a-f]+|inf|nan)",
                         re.IGNORECASE)
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")
TYPE_LABEL = {dtypes.float32: "float", dtypes.float64: "double", dtypes.int32: "int32", dtypes.int64: "int64"}


class CsvFormat:
    """How CSV records are split: TF's DecodeCSV attrs, normalised once."""

    def __init__(self, field_delim=",", use_quote_delim=True, na_value="", select_cols=()):
        self.delim = _as_bytes(field_delim)
        if len(self.delim) != 1:
            raise ValueError("field_delim should be only 1 char")
        self.delim_code = self.delim[0]
        self.use_quote = bool(use_quote_delim)
        self.na_value = _as_bytes(na_value)
        self.select = tuple(int(c) for c in (select_cols or ()))


def parse_number(field: bytes, dtype):
    """`field` as a number of `dtype` under TF's safe_strto32/64 and safe_strtof/d rules; ValueError if it is not
    one."""
    if dtype.is_integer:
        if not _INT_TEXT.fullmatch(field):
            raise ValueError(field)
        value = int(field)
        info = np.iinfo(dtype.as_numpy_dtype)
        if not info.min <= value <= info.max:
            raise ValueError(field)
        return value
    text = field.strip(_ASCII_SPACE)
    if not _FLOAT_TEXT.fullmatch(text):
        raise ValueError(field)
    text = text[1:] if text[:1] == b"+" else text
    lower = text.lower()
    if b"nan" in lower:
        return float("-nan") if lower.startswith(b"-") else float("nan")
    if b"x" in lower:  # a hex integer, rounded to the nearest double (then to float32 for float columns)
        return -float(int(lower[1:], 16)) if lower[:1] == b"-" else float(int(lower, 16))
    return float(text)


def extract_fields(record: bytes, fmt: CsvFormat) -> list[bytes]:
    """The fields of one CSV record, by TF's DecodeCSV rules (InvalidArgumentError on bad quoting)."""
    fields: list[bytes] = []
    n = len(record)
    if n == 0:
        return fields
    delim, delim_code, use_quote, select = fmt.delim, fmt.delim_code, fmt.use_quote, fmt.select
    i = parsed = selected = 0
    while i < n:
        c = record[i]
        if c == _LF or c == _CR:  # TF skips line breaks where a field starts
            i += 1
            continue
        include = not select or select[selected] == parsed
        if use_quote and c == _QUOTE:
            i += 1
            parts = []
            while i < n - 1 and not (record[i] == _QUOTE and record[i + 1] == delim_code):
                if record[i] != _QUOTE:
                    j = record.find(b'"', i, n - 1)
                    j = n - 1 if j < 0 else j
                    parts.append(record[i:j])
                    i = j
                else:
                    if record[i + 1] != _QUOTE:
                        raise _invalid("Quote inside a string has to be escaped by another quote")
                    parts.append(b'"')
                    i += 2
            if not (i < n and record[i] == _QUOTE and (i == n - 1 or record[i + 1] == delim_code)):
                raise _invalid("Quoted field has to end with quote followed by delim or end")
            i += 2
            field = b"".join(parts)
        else:
            j = record.find(delim, i)
            j = n if j < 0 else j
            field = record[i:j]
            if (use_quote and b'"' in field) or b"\n" in field or b"\r" in field:
                raise _invalid("Unquoted fields cannot have quotes/CRLFs inside")
            i = j + 1
        parsed += 1
        if include:
            fields.append(field)
            selected += 1
            if select and selected == len(select):
                return fields
    if (not select or select[selected] == parsed) and record[n - 1] == delim_code:
        fields.append(b"")  # a trailing delimiter ends with an empty field
    return fields


def column_array(values: list, dtype) -> np.ndarray:
    if dtype == dtypes.string:
        return _object_array(values)
    with np.errstate(over="ignore"):
        return np.array(values, dtype=dtype.as_numpy_dtype)


def _object_array(values: list) -> np.ndarray:
    return np.fromiter(values, dtype=object, count=len(values))  # (a quarter quicker than filling np.empty)


def split_plain(lines: list, ncols: int, fmt: CsvFormat):
    """The selected columns of plain records (no quotes, line breaks or empty records, one field count), the
    records joined by the delimiter, and whether any field of the block (selected or not) is empty; three Nones
    when the block is not plain."""
    if b"" in lines:
        return None, None, None
    delim = fmt.delim
    blob = delim.join(lines)
    if (fmt.use_quote and b'"' in blob) or b"\n" in blob or b"\r" in blob:
        return None, None, None
    count = lines[0].count(delim)
    empty = _field_layout(lines, blob, count, delim)
    if empty is None:
        return None, None, None
    width = count + 1
    if fmt.select:
        if width <= fmt.select[-1]:
            return None, None, None
        positions = fmt.select
    else:
        if width != ncols:
            return None, None, None
        positions = range(ncols)
    fields = blob.split(delim)
    return [fields[p::width] for p in positions], blob, empty


_COUNT_BY_ARRAY = 64  # records from which one vectorized pass beats a count per record


def _field_layout(lines: list, blob: bytes, count: int, delim: bytes):
    """None unless every record holds `count` delimiters, else whether any field is empty.

    `blob` is the records (none of them empty) joined by `delim`: a field is empty where two
    delimiters meet or the blob starts or ends with one.
    """
    n = len(lines)
    if n < _COUNT_BY_ARRAY:
        for line in lines:
            if line.count(delim) != count:
                return None
        return blob.startswith(delim) or blob.endswith(delim) or delim + delim in blob
    # one pass over the blob: delimiters per record, each record counted with the delimiter that follows it
    spans = np.fromiter(map(len, lines), np.intp, n) + 1
    starts = np.cumsum(spans) - spans
    is_delim = np.frombuffer(blob, np.uint8) == delim[0]
    counts = np.add.reduceat(is_delim, starts, dtype=np.intp)
    counts[-1] += 1  # the last record has no delimiter after it
    if not (counts == count + 1).all():
        return None
    return bool(is_delim[0] or is_delim[-1] or (is_delim[1:] & is_delim[:-1]).any())


def _column_kind(dtype):
    """(is_string, converter, numpy dtype, largest value of a bulk digit parse) of an output type: looked up once
    per type, not per field."""
    kind = _KINDS.get(dtype)
    if kind is None:
        if dtype == dtypes.string:
            kind = True, None, None, None
        elif dtype.is_integer:
            # int64's own maximum is left to the per-field path: the bulk parse saturates there
            kind = False, int, dtype.as_numpy_dtype, min(int(np.iinfo(dtype.as_numpy_dtype).max), _INT64_MAX - 1)
        else:
            kind = False, float, dtype.as_numpy_dtype, None
        _KINDS[dtype] = kind
    return kind


_KINDS: dict = {}  # DType -> its `_column_kind` (a handful of types: DecodeCSV's four and string)
_DIGITS = b"0123456789"
_INT64_MAX = int(np.iinfo(np.int64).max)
_BULK_DIGITS = 24  # columns from which one bulk parse beats int() per field


def _digit_column(column: list, np_dtype, limit: int):
    """A column whose fields are all plain digit strings ("0", "0042", "77516") as integers; None otherwise.

    The caller has checked that no field is empty.
    """
    return _parse_digits(b" ".join(column), len(column), np_dtype, limit)


def _parse_digits(joined: bytes, count: int, np_dtype, limit: int):
    """`count` nonempty fields joined by spaces, all plain digits, as integers (one C parse); None otherwise.

    Values past `limit` (the type's range, or where an int64 parse saturates) are left to
    the per-field path, which reports them.
    """
    if len(joined.translate(None, _DIGITS)) != count - 1:
        return None  # something besides digits and the separators: a sign, a space, a point, "_"...
    values = np.fromstring(joined, dtype=np.int64, sep=" ")
    if len(values) != count or np.maximum.reduce(values) > limit:
        return None
    return values.astype(np_dtype, copy=False)


def _convert_fast(column: list, kind, default, na: bytes, may_have_underscore: bool, may_be_empty: bool = True):
    """A column converted in bulk, or None when any field needs TF's exact per-record treatment.

    `kind` is the type's `_column_kind`; the caller holds np.errstate(over="ignore") for float
    columns; `may_be_empty=False` says no field of the column is empty (the caller checked the block).
    """
    missing = (may_be_empty and b"" in column) or (na and na in column)
    if missing and default is None:
        return None
    is_string, convert, np_dtype, limit = kind
    if is_string:
        if missing:
            column = [default if (x == b"" or x == na) else x for x in column]
        return _object_array(column)
    if limit is not None and not missing and len(column) >= _BULK_DIGITS:
        values = _digit_column(column, np_dtype, limit)
        if values is not None:
            return values
    if may_have_underscore and b"_" in b"".join(column):
        return None  # Python's int()/float() accept digit separators; TF's parsers do not
    if convert is int and b"+" in b"".join(column):
        return None  # int() takes a leading "+"; TF's integer parsers do not
    if convert is float:
        joined = b"".join(column)
        if b"y" in joined or b"Y" in joined:
            return None  # float() takes "infinity"; TF's float parser does not
    try:
        if missing:
            values = [default if (x == b"" or x == na) else convert(x) for x in column]
        else:
            values = list(map(convert, column))
        return np.array(values, dtype=np_dtype)
    except (ValueError, OverflowError):
        return None


def decode_csv_lines(lines: list, defaults: list, out_types, fmt: CsvFormat) -> list[np.ndarray]:
    """Decode CSV records (a list of bytes) into one 1-D array per output column, as TF's DecodeCSV."""
    out = convert_plain(lines, defaults, out_types, fmt) if lines else None
    return out if out is not None else decode_csv_exact(lines, defaults, out_types, fmt)


def convert_plain(lines: list, defaults: list, out_types, fmt: CsvFormat):
    """The columns of a block of plain records (`split_plain`) converted in bulk; None when any record or
    field needs the record-by-record path (which then finds TF's first error)."""
    ncols = len(out_types)
    columns, blob, empty = split_plain(lines, ncols, fmt)
    if columns is None:
        return None
    underscore = b"_" in blob
    na = fmt.na_value
    kinds, floats, groups = _kinds_of(out_types)
    out = [None] * ncols
    if groups and not empty and len(lines) >= _BULK_DIGITS:
        for group, np_dtype, limit in groups:  # integer columns of one type: one bulk parse for them all
            cols = [columns[i] for i in group]
            if na and any(na in c for c in cols):
                continue
            values = _parse_digits(b" ".join([b" ".join(c) for c in cols]), len(cols) * len(lines), np_dtype, limit)
            if values is not None:
                for i, row in zip(group, values.reshape(len(group), -1)):
                    out[i] = row
    if floats:
        with np.errstate(over="ignore"):  # once for every column
            out = [o if o is not None else _convert_fast(col, k, d, na, underscore, empty)
                   for o, col, k, d in zip(out, columns, kinds, defaults)]
    else:  # integers and strings: nothing to overflow into inf
        out = [o if o is not None else _convert_fast(col, k, d, na, underscore, empty)
               for o, col, k, d in zip(out, columns, kinds, defaults)]
    return out if all(o is not None for o in out) else None


def _kinds_of(out_types) -> tuple:
    """Once per list of output types: each one's `_column_kind`, whether any is a float, and the integer
    columns grouped by type, (positions, numpy dtype, limit) for each type with two or more columns.

    Keyed by the list's identity (a DecodeCSV's or a CsvDataset's list lives as long as its
    op or dataset, and never changes); the entry holds the list, so its id is not reused
    while the entry stands.
    """
    entry = _KINDS_OF.get(id(out_types))
    if entry is None or entry[0] is not out_types:
        kinds = tuple(_column_kind(t) for t in out_types)
        groups = []
        for np_dtype in {k[2] for k in kinds if k[3] is not None}:
            group = [i for i, k in enumerate(kinds) if k[3] is not None and k[2] is np_dtype]
            if len(group) > 1:
                groups.append((group, np_dtype, kinds[group[0]][3]))
        if len(_KINDS_OF) >= 256:
            _KINDS_OF.clear()
        entry = _KINDS_OF[id(out_types)] = out_types, kinds, any(k[1] is float for k in kinds), tuple(groups)
    return entry[1:]


_KINDS_OF: dict = {}  # id of a list of output DTypes -> (the list, `_kinds_of`)


def decode_csv_exact(lines: list, defaults: list, out_types, fmt: CsvFormat) -> list[np.ndarray]:
    """Record by record, field by field, raising TF's first error."""
    ncols = len(out_types)
    columns = [[] for _ in range(ncols)]
    na = fmt.na_value
    for i, line in enumerate(lines):
        fields = extract_fields(line, fmt)
        if len(fields) != ncols:
            raise _invalid(f"Expect {ncols} fields but have {len(fields)} in record {i}")
        for f, (field, dtype) in enumerate(zip(fields, out_types)):
            if not field or field == na:
                if defaults[f] is None:
                    raise _invalid(f"Field {f} is required but missing in record {i}!")
                columns[f].append(defaults[f])
            elif dtype == dtypes.string:
                columns[f].append(field)
            else:
                try:
                    columns[f].append(parse_number(field, dtype))
                except ValueError:
                    raise _invalid(f"Field {f} in record {i} is not a valid {TYPE_LABEL[dtype]}: "
                                   f"{field.decode('utf-8', errors='replace')}") from None
    return [column_array(col, t) for col, t in zip(columns, out_types)]
