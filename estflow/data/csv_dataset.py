"""CSV files as datasets: `tf.data.experimental.CsvDataset` and `make_csv_dataset`.

CsvDataset follows TF's CSV reader: records end at `\\n`, `\\r` or `\\r\\n` outside quotes,
quoted fields may span lines, a blank line is a record with one empty field, and a bad
record raises InvalidArgumentError at its own get_next with TF's message, then the file
and the record's number ("Field 1 in record is not a valid float: abc (in a.csv, record
7)"), and the records after it still come, as in TF. Plain files (no quotes, no `\\r`)
are split and converted a block of lines at a time; anything else is parsed record by
record.

    ds = tf.data.experimental.CsvDataset("adult.csv", [tf.int32, [""], [0.0]], header=True)
    features, label = tf.data.experimental.make_csv_dataset("train*.csv", 256, label_name="y") ...
"""

from __future__ import annotations

import collections
import csv
import re

import numpy as np

from estflow.core import csv_parsing, dtypes, errors
from estflow.core.graph import Tensor
from estflow.core.tensor_util import to_numpy
from estflow.data import error_ops, gfile, readers, structure
from estflow.data.dataset_ops import AUTOTUNE, Dataset
from estflow.data.runtime import ElementError

_CSV_TYPES = (dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64, dtypes.string)
_QUOTE, _LF, _CR = ord('"'), ord("\n"), ord("\r")


def _invalid(message: str) -> errors.InvalidArgumentError:
    return errors.InvalidArgumentError(None, None, message)


def _is_csv_dtype(x) -> bool:
    try:
        return not isinstance(x, (Tensor, str, bytes, list, tuple, np.ndarray)) and dtypes.as_dtype(x) in _CSV_TYPES
    except TypeError:
        return False


def _record_default(x, index: int):
    """A record default as (dtype, value): a dtype alone is a required column (value None)."""
    if _is_csv_dtype(x):
        return dtypes.as_dtype(x), None
    if isinstance(x, Tensor):
        dtype = x.dtype
        if x.shape.ndims is not None and x.shape.ndims > 1:
            raise ValueError("Each record default should be at most rank 1")
        return dtype, x
    value = np.asarray(to_numpy(x))
    dtype = dtypes.string if value.dtype == object else dtypes.as_dtype(value.dtype)
    if dtype not in _CSV_TYPES:
        raise TypeError(f"record_defaults must be float32, float64, int32, int64 or string values (or those "
                        f"dtypes); got {dtype.name}.")
    if value.ndim > 1:
        raise ValueError("Each record default should be at most rank 1")
    if value.size > 1:
        raise ValueError(f"There should only be 1 default per field but field {index} has {value.size}")
    return dtype, value


def _default_value(env, value):
    """A column's default at run time: its Python value, or None when the column is required."""
    if value is None:
        return None
    array = np.asarray(env.value(value)) if isinstance(value, Tensor) else value
    if array.ndim > 1:
        raise _invalid("Each record default should be at most rank 1")
    if array.size > 1:
        raise _invalid(f"There should only be 1 default per field but a field has {array.size}")
    return array.reshape(-1)[0] if array.size else None


# ---- TF's CSV record grammar ----------------------------------------------------------------------
def split_records(data: bytes, pos: int, fmt: csv_parsing.CsvFormat, stop=None):
    """Yield the records of `data` from `pos` as lists of events in field order.

    Events are ("field", bytes) for each selected field and ("error", message) where TF
    notes a quoting error; after each record the position of the next one is sent as the
    last item, `("end", pos)`. `stop` ends after that many records.
    """
    n = len(data)
    delim, use_quote, select = fmt.delim_code, fmt.use_quote, fmt.select
    boundary = re.compile(b"[" + re.escape(fmt.delim) + b"\r\n]")
    count = 0
    while pos < n and (stop is None or count < stop):
        events, parsed, selected, end = [], 0, 0, False
        while not end:
            include = not select or (selected < len(select) and select[selected] == parsed)
            if pos >= n:  # a delimiter right before the end: one more, empty field
                end = True
                if include:
                    events.append(("field", b""))
            elif use_quote and data[pos] == _QUOTE:
                i, pieces, good = pos + 1, [], True
                while True:
                    q = data.find(b'"', i)
                    if q < 0:
                        events.append(("error", "Reached end of file without closing quoted field in record"))
                        pos, end, good = n, True, False
                        break
                    pieces.append(data[i:q])
                    if q + 1 >= n:
                        pos, end = n, True
                        break
                    after = data[q + 1]
                    if after == delim:
                        pos = q + 2
                        break
                    if after == _LF or after == _CR:
                        pos, end = q + 2, True
                        if after == _CR and pos < n and data[pos] == _LF:
                            pos += 1
                        break
                    if after == _QUOTE:
                        pieces.append(b'"')
                    else:
                        events.append(("error", "Quote inside a string has to be escaped by another quote"))
                        good = False
                    i = q + 2
                if include and good:
                    events.append(("field", b"".join(pieces)))
            else:
                m = boundary.search(data, pos)
                j = m.start() if m else n
                field = data[pos:j]
                if use_quote and b'"' in field:
                    events.append(("error", "Unquoted fields cannot have quotes inside"))
                if j >= n:
                    pos, end = n, True
                elif data[j] == delim:
                    pos = j + 1
                else:
                    pos, end = j + 1, True
                    if data[j] == _CR and pos < n and data[pos] == _LF:
                        pos += 1
                if include:
                    events.append(("field", field))
            parsed += 1
            if include:
                selected += 1
        events.append(("end", pos))
        count += 1
        yield events


def _convert_record(events, out_types, defaults, na_value: bytes) -> list:
    """One record's values, or InvalidArgumentError with TF's CsvDataset message."""
    ncols = len(out_types)
    values = []
    for kind, item in events:
        if kind == "error":
            raise _invalid(item)
        if kind != "field":
            continue
        k = len(values)
        if k >= ncols:
            raise _invalid(f"Expect {ncols} fields but have more in record")
        if not item or item == na_value:
            if defaults[k] is None:
                raise _invalid(f"Field {k} is required but missing in record!")
            values.append(defaults[k])
        elif out_types[k] == dtypes.string:
            values.append(item)
        else:
            try:
                values.append(csv_parsing.parse_number(item, out_types[k]))
            except ValueError:
                raise _invalid(f"Field {k} in record is not a valid {csv_parsing.TYPE_LABEL[out_types[k]]}: "
                               f"{item.decode('utf-8', errors='replace')}") from None
    if len(values) != ncols:
        raise _invalid(f"Expect {ncols} fields but have {len(values)} in record")
    return values


# ---- CsvDataset -----------------------------------------------------------------------------------
class CsvDataset(readers.FileReaderDataset):
    """The records of CSV files, one tuple of scalars per record, as `tf.data.experimental.CsvDataset`.

    Args:
      filenames: file name(s), a string tensor or a dataset of file names.
      record_defaults: one entry per (selected) column: a dtype (float32, float64, int32,
        int64, string) for a required column, or a default value (`0.0`, `[""]`, a tensor)
        used for empty fields and fields equal to `na_value`.
      compression_type: None / "" , "ZLIB" or "GZIP".
      header: skip the first record of each file.
      field_delim, use_quote_delim, na_value: as `tf.decode_csv`.
      select_cols: the (increasing) column indices to keep; one default per kept column.

        ds = tf.data.experimental.CsvDataset("a.csv", [tf.float32, [0]], header=True, select_cols=[1, 3])
    """

    def __init__(self, filenames, record_defaults, compression_type=None, buffer_size=None, header=False,
                 field_delim=",", use_quote_delim=True, na_value="", select_cols=None, *, _cycle_length=1):
        super().__init__(filenames, _cycle_length)
        if not record_defaults:
            raise ValueError("record_defaults must name at least one column.")
        defaults = [_record_default(x, i) for i, x in enumerate(record_defaults)]
        self._types = [t for t, _ in defaults]
        self._defaults = [v for _, v in defaults]
        select = list(select_cols) if select_cols is not None else []
        if select and len(select) != len(self._types):
            raise ValueError("select_cols should match output size")
        if any(a >= b for a, b in zip(select, select[1:])):
            raise ValueError("select_cols should be strictly increasing indices")
        if select and select[0] < 0:
            raise ValueError("select_cols should be non-negative indices")
        self._format = csv_parsing.CsvFormat(field_delim, use_quote_delim, na_value, select)
        self._compression = readers.compression_type_value(compression_type)
        self._header = bool(header)
        self._buffer_size = buffer_size
        self._spec = tuple(structure.TensorSpec([], t) for t in self._types)

    def _own_tensors(self):
        own = super()._own_tensors() + [d for d in self._defaults if isinstance(d, Tensor)]
        return own + ([self._compression] if isinstance(self._compression, Tensor) else [])

    def _check(self, env):
        for d in self._defaults:
            _default_value(env, d)

    def _file_chunks(self, env, path, hint):
        """Plain blocks of lines as they are read; from the first quote or '\\r' on, the rest record by record.

        A record that does not parse is an ElementError naming the file and the record's number
        in it (the header is record 1), and the records after it still come: TF's CsvDataset
        reads a bad record to its end so that the next get_next gets the next record.
        """
        defaults = [_default_value(env, d) for d in self._defaults]
        fmt = self._format
        stream = readers.open_stream(path, readers._runtime_compression(env, self._compression))
        try:
            header, carry, started = self._header, b"", False
            seen = 1 if header else 0  # records of the file before the next one
            while True:
                block = stream.read(readers._BLOCK)
                if not block:
                    break
                started = True
                data = carry + block
                if b"\r" in data or (fmt.use_quote and b'"' in data):
                    data += stream.read()
                    pos = 0
                    if header:
                        for events in split_records(data, 0, fmt, stop=1):
                            pos = events[-1][1]
                    yield from self._records_chunks(data, pos, defaults, hint, path, seen)
                    return
                lines = data.split(b"\n")
                carry = lines.pop()
                if header and lines:
                    lines, header = lines[1:], False
                for start in range(0, len(lines), hint):
                    block_lines = lines[start:start + hint]
                    yield from self._lines_chunks(block_lines, defaults, hint, path, seen)
                    seen += len(block_lines)
            if header and not started:
                yield ElementError(readers.error_in_file(_invalid("Can't read header of file"), path))
            elif carry and not header:  # the last record, without a line break
                yield from self._lines_chunks([carry], defaults, hint, path, seen)
        finally:
            stream.close()

    def _lines_chunks(self, lines, defaults, hint, path, seen):
        """A block of plain lines: converted a column at a time when clean, else record by record."""
        out = csv_parsing.convert_plain(lines, defaults, self._types, self._format)
        if out is not None:
            yield out
            return
        yield from self._records_chunks(b"\n".join(lines) + b"\n", 0, defaults, hint, path, seen)

    def _records_chunks(self, data, pos, defaults, hint, path, seen):
        rows = []
        na = self._format.na_value
        for events in split_records(data, pos, self._format):
            seen += 1
            try:
                rows.append(_convert_record(events, self._types, defaults, na))
            except errors.InvalidArgumentError as e:
                if rows:  # the good records before a bad one come out first, then its error
                    yield self._columns(rows)
                    rows = []
                yield ElementError(errors.InvalidArgumentError(None, None, f"{e.message} (in {path}, record "
                                                                           f"{seen})"))
                continue
            if len(rows) == hint:
                yield self._columns(rows)
                rows = []
        if rows:
            yield self._columns(rows)

    def _columns(self, rows):
        return [csv_parsing.column_array(list(col), t) for col, t in zip(zip(*rows), self._types)]


# ---- make_csv_dataset -----------------------------------------------------------------------------
def _file_names(file_pattern) -> list[str]:
    if isinstance(file_pattern, (list, tuple)):
        if not file_pattern:
            raise ValueError("Argument `file_pattern` should not be empty.")
        names = []
        for entry in file_pattern:
            names.extend(gfile.glob(entry))
    else:
        names = list(gfile.glob(file_pattern))
    if not names:
        raise ValueError(f"No files match `file_pattern` {file_pattern}.")
    return sorted(names)


def _text_lines(path: str, compression: str, encoding: str):
    """The decoded lines of a file, lazily (for reading the header and inferring types)."""
    stream = readers.open_stream(path, compression)
    try:
        rest = b""
        while True:
            block = stream.read(1 << 16)
            if not block:
                break
            parts = (rest + block).split(b"\n")
            rest = parts.pop()
            for p in parts:
                yield (p + b"\n").decode(encoding)
        if rest:
            yield rest.decode(encoding)
    finally:
        stream.close()


def _csv_reader(path, compression, field_delim, use_quote_delim, encoding):
    return csv.reader(_text_lines(path, compression, encoding), delimiter=field_delim,
                      quoting=csv.QUOTE_MINIMAL if use_quote_delim else csv.QUOTE_NONE)


def _infer_column_names(filenames, field_delim, use_quote_delim, compression, encoding) -> list[str]:
    try:
        names = next(_csv_reader(filenames[0], compression, field_delim, use_quote_delim, encoding))
    except StopIteration:
        raise ValueError(f"Received StopIteration when reading the header line of {filenames[0]}.  Empty file?") \
            from None
    for name in filenames[1:]:
        try:
            other = next(_csv_reader(name, compression, field_delim, use_quote_delim, encoding))
        except StopIteration:
            raise ValueError(f"Received StopIteration when reading the header line of {name}.  Empty file?") \
                from None
        if other != names:
            raise ValueError(f"Column names of files `{filenames[0]}` and `{name}` do not match. Files must have "
                             "the same header row when `column_names` is not given.")
    return names


def _is_valid_int32(text: str) -> bool:
    try:
        return np.int32(text) == np.int64(text)
    except (ValueError, OverflowError, TypeError):
        return False


def _is_valid_int64(text: str) -> bool:
    try:
        np.int64(text)
        return True
    except (ValueError, OverflowError, TypeError):
        return False


def _is_valid_float(text: str, np_type) -> bool:
    try:
        with np.errstate(over="ignore"):
            return bool(np_type(text) < np.inf)
    except (ValueError, OverflowError, TypeError):
        return False


_INFERENCE = [
    (dtypes.int32, _is_valid_int32),
    (dtypes.int64, _is_valid_int64),
    (dtypes.float32, lambda s: _is_valid_float(s, np.float32)),
    (dtypes.float64, lambda s: _is_valid_float(s, np.float64)),
    (dtypes.string, lambda s: True),
]


def _infer_type(text: str, na_value: str, previous):
    """The least permissive type that fits `text` and every earlier value of the column (TF's rule)."""
    if text in ("", na_value):
        return previous
    allowed = [t for t, _ in _INFERENCE]
    for i, (dtype, valid) in enumerate(_INFERENCE):
        if valid(text) and (previous is None or previous in allowed[:i + 1]):
            return dtype
    return dtypes.string


def _infer_column_defaults(filenames, num_cols, field_delim, use_quote_delim, na_value, header,
                           num_rows_for_inference, select_columns, compression, encoding) -> list:
    columns = list(range(num_cols)) if select_columns is None else select_columns
    inferred = [None] * len(columns)
    seen = 0
    for name in filenames:
        reader = _csv_reader(name, compression, field_delim, use_quote_delim, encoding)
        if header:
            next(reader, None)
        for row in reader:
            if num_rows_for_inference is not None and seen >= num_rows_for_inference:
                break
            if len(row) != num_cols:
                raise ValueError("Problem inferring types: CSV row has different number of fields than expected.")
            for j, c in enumerate(columns):
                inferred[j] = _infer_type(row[c], na_value, inferred[j])
            seen += 1
        if num_rows_for_inference is not None and seen >= num_rows_for_inference:
            break
    inferred = [t or dtypes.string for t in inferred]
    return [np.asarray([b"" if t == dtypes.string else 0], dtype=object if t == dtypes.string else t.as_numpy_dtype)
            for t in inferred]


def _sorted_column_indices(select_columns, column_names) -> list[int]:
    index = {n: i for i, n in enumerate(column_names)}
    out = []
    for v in select_columns:
        if isinstance(v, (int, np.integer)):
            if v < 0 or v >= len(column_names):
                raise ValueError(f"Column index {v} specified in `select_columns` should be > 0  and <= "
                                 f"{len(column_names)}, which is the number of columns.")
            out.append(int(v))
        elif v not in index:
            raise ValueError(f"Column {v} specified in `select_columns` must be of one of the columns: "
                             f"{list(index)}.")
        else:
            out.append(index[v])
    result = sorted(set(out))
    if len(result) != len(select_columns):
        duplicates = sorted({x for x in out if out.count(x) > 1})
        raise ValueError(f"The `select_columns` argument contains duplicate columns: {duplicates}.")
    return result


def make_csv_dataset(file_pattern, batch_size, column_names=None, column_defaults=None, label_name=None,
                     select_columns=None, field_delim=",", use_quote_delim=True, na_value="", header=True,
                     num_epochs=None, shuffle=True, shuffle_buffer_size=10000, shuffle_seed=None,
                     prefetch_buffer_size=None, num_parallel_reads=None, sloppy=False, num_rows_for_inference=100,
                     compression_type=None, ignore_errors=False, encoding="utf-8") -> Dataset:
    """Batches of `(features, label)` read from CSV files, as `tf.data.experimental.make_csv_dataset`.

    Column names come from the header row unless given; column types are inferred from the
    first `num_rows_for_inference` rows (int32, int64, float32, float64, then string) unless
    `column_defaults` are given. Each element is a batch: an OrderedDict of column name ->
    [batch] tensor, and the `label_name` column apart (`sloppy=True` lets TF1 trade a
    deterministic order for speed; estflow always reads in the deterministic order, one of
    the orders TF1 may produce). Files are shuffled, then read
    `num_parallel_reads` at a time; rows are shuffled and repeated `num_epochs` times
    (forever when None, with every batch full).

        ds = tf.data.experimental.make_csv_dataset("adult.csv", 256, label_name="income", num_epochs=1)
        features, label = tf.data.make_one_shot_iterator(ds).get_next()
    """
    num_parallel_reads = 1 if num_parallel_reads is None else num_parallel_reads
    prefetch_buffer_size = AUTOTUNE if prefetch_buffer_size is None else prefetch_buffer_size
    filenames = _file_names(file_pattern)
    files = Dataset.from_tensor_slices(structure.to_array(filenames))
    if shuffle:
        files = files.shuffle(len(filenames), shuffle_seed)
    compression = readers.compression_type_value(compression_type)
    if isinstance(compression, Tensor):
        value = compression._const_value
        if value is None and (column_names is None or column_defaults is None):
            raise ValueError(f"Received unknown `compression_type` {compression_type}. Expected: GZIP, ZLIB or "
                             "\"\" (empty string).")
        probe = "" if value is None else readers._path_text(np.asarray(value).item())
    else:
        probe = compression
    if column_names is None:
        if not header:
            raise ValueError("Expected `column_names` or `header` arguments. Neither is provided.")
        column_names = _infer_column_names(filenames, field_delim, use_quote_delim, probe, encoding)
    column_names = list(column_names)
    if len(column_names) != len(set(column_names)):
        raise ValueError("Either `column_names` argument or CSV header row contains duplicate column names.")
    if select_columns is not None:
        select_columns = _sorted_column_indices(select_columns, column_names)
    if column_defaults is None:
        column_defaults = _infer_column_defaults(filenames, len(column_names), field_delim, use_quote_delim,
                                                 na_value, header, num_rows_for_inference, select_columns, probe,
                                                 encoding)
    if select_columns is not None and len(column_defaults) != len(select_columns):
        raise ValueError("If specified, `column_defaults` and `select_columns` must have the same length.")
    if select_columns is not None and len(column_names) > len(select_columns):
        column_names = [column_names[i] for i in select_columns]
    if label_name is not None and label_name not in column_names:
        raise ValueError(f"`label_name` provided must be one of the columns: `{column_names}`. Received: "
                         f"{label_name}.")
    cycle = readers._cycle_length(num_parallel_reads)
    dataset = CsvDataset(files, column_defaults, compression_type=compression_type, header=header,
                         field_delim=field_delim, use_quote_delim=use_quote_delim, na_value=na_value,
                         select_cols=select_columns, _cycle_length=cycle)
    if ignore_errors:
        dataset = dataset.apply(error_ops.ignore_errors())
    if num_epochs != 1 and shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed).repeat(num_epochs)
    elif shuffle:
        dataset = dataset.shuffle(shuffle_buffer_size, shuffle_seed)
    elif num_epochs != 1:
        dataset = dataset.repeat(num_epochs)
    dataset = dataset.batch(batch_size, drop_remainder=num_epochs is None)

    def to_features(*columns):
        features = collections.OrderedDict(zip(column_names, columns))
        if label_name is not None:
            label = features.pop(label_name)
            return features, label
        return features

    return dataset.map(to_features).prefetch(prefetch_buffer_size)
