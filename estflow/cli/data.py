"""Examples for the CLI: CSV (pandas), Parquet (pyarrow, `estflow[parquet]`) and TFRecord files.

A table (CSV, Parquet) is read and checked whole before anything is written: every path
exists, holds rows, has the columns the feature columns and the label read, and each
column holds its `data.types` type. It becomes `numpy_input_fn` batches. TFRecord files of
`tf.train.Example` are checked the same way record by record in Python (keys present, the
right kind of list), then read in the graph by TFRecordDataset and `tf.parse_example` with
a spec built from the feature columns and `data.types`.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass

import numpy as np

from estflow.cli.config import Config
from estflow.core import dtypes
from estflow.core.protos import example_pb2
from estflow.data.numpy_io import numpy_input_fn
from estflow.data.readers import TFRecordDataset
from estflow.data.tfrecord import tf_record_iterator
from estflow.library.parsing_config import FixedLenFeature
from estflow.library.parsing_ops import parse_example


class DataError(ValueError):
    """Examples the CLI cannot use (a missing file or column, a wrong type, no rows)."""


_NUMPY = {"float": np.float32, "int": np.int64}
_PARSE_DTYPES = {"float": dtypes.float32, "int": dtypes.int64, "string": dtypes.string}
_KIND = {"float": "float_list", "int": "int64_list", "string": "bytes_list"}


def expand_paths(key: str, patterns: list[str], config: Config) -> list[str]:
    """The files `patterns` (globs allowed, relative to the config's folder) name; DataError if one matches none."""
    if not patterns:
        raise DataError(f"{key} names no file; write {key} = \"file.csv\" or pass --set {key}=PATH")
    paths = []
    for pattern in patterns:
        full = config.path(pattern)
        found = sorted(glob.glob(full)) if any(c in pattern for c in "*?[") else [full]
        if not found or not all(os.path.isfile(p) for p in found):
            raise DataError(f"{key}: no file {full}")
        paths += found
    return paths


def file_format(config: Config, paths: list[str]) -> str:
    if config.data.format:
        return config.data.format
    extensions = {os.path.splitext(p.removesuffix(".gz"))[1].lower() for p in paths}
    by_extension = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
                    ".tfrecord": "tfrecord", ".tfrecords": "tfrecord", ".records": "tfrecord"}
    formats = {by_extension.get(e) for e in extensions}
    if len(formats) != 1 or None in formats:
        raise DataError(f"cannot tell the format of {', '.join(paths)} from the extension; "
                        f"set data.format = \"csv\", \"parquet\" or \"tfrecord\"")
    return formats.pop()


@dataclass
class Examples:
    """Checked examples: a table's columns as arrays, or TFRecord files and their parse spec."""
    paths: list[str]
    format: str
    num_examples: int
    features: dict | None = None  # name -> array (tables)
    labels: np.ndarray | None = None
    parse_spec: dict | None = None  # TFRecord
    label: str = ""

    def input_fn(self, batch_size: int, epochs: int | None = 1, shuffle: bool = False, compression: str = "",
                 seed: int | None = None):
        """An Estimator input_fn over these examples (`epochs` None: forever)."""
        if self.format != "tfrecord":
            return numpy_input_fn(self.features, self.labels, batch_size=batch_size, num_epochs=epochs,
                                  shuffle=shuffle)
        paths, spec, label = list(self.paths), dict(self.parse_spec), self.label

        def input_fn():
            dataset = TFRecordDataset(paths, compression_type=compression or None)
            if shuffle:
                dataset = dataset.shuffle(min(self.num_examples, 10000), seed=seed)
            dataset = dataset.repeat(epochs).batch(batch_size)

            def parse(serialized):
                parsed = parse_example(serialized, spec)
                if not label:
                    return parsed
                target = parsed.pop(label)
                return parsed, target
            return dataset.map(parse)
        return input_fn


def _read_table(path: str, fmt: str, config: Config):
    """A pandas DataFrame of one CSV or Parquet file."""
    # optional dependency: pandas is only needed to read tables (estflow[pandas])
    import pandas as pd
    if fmt == "parquet":
        try:
            # optional dependency: Parquet needs pyarrow (estflow[parquet])
            import pyarrow.parquet  # noqa: F401
        except ImportError:
            raise DataError("reading Parquet needs pyarrow, which is not installed; "
                            "pip install 'estflow[parquet]'") from None
        try:
            return pd.read_parquet(path, engine="pyarrow")
        except Exception as e:  # pyarrow's errors have no common base
            raise DataError(f"{path} is not a readable Parquet file: {str(e).splitlines()[0]}") from None
    data = config.data
    names = data.columns or None
    string_columns = {c: str for c, kind in data.types.items() if kind == "string"}
    try:
        return pd.read_csv(path, header=0 if data.header else None, names=names, dtype=string_columns or None,
                           skipinitialspace=True, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} is empty; it needs a header line and at least one row") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataError(f"{path} is not a readable CSV file: {str(e).strip().splitlines()[0]}") from None


def _column_array(frame, column: str, kind: str | None, path: str) -> np.ndarray:
    """The column as float32, int64 or bytes; DataError naming the first value of the wrong type."""
    # optional dependency: pandas is only needed to read tables (estflow[pandas])
    import pandas as pd
    series = frame[column]
    if kind is None:  # not declared: what the file holds
        kind = "int" if pd.api.types.is_integer_dtype(series) else (
            "float" if pd.api.types.is_numeric_dtype(series) else "string")
    if kind == "string":
        values = series.to_numpy(dtype=object)
        return np.array([b"" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).encode()
                         for v in values], dtype=object)
    numbers = pd.to_numeric(series, errors="coerce")
    bad = numbers.isna() & series.notna()
    if kind == "int":
        bad |= numbers.notna() & (numbers != numbers.round())
        bad |= series.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{path}: column {column!r} should hold {kind} values but row {row + 1} holds "
                        f"{series.iloc[row]!r}; fix the file or set data.types.{column}")
    return numbers.to_numpy().astype(_NUMPY[kind])


def _check_tfrecord(path: str, needed: dict, compression: str) -> int:
    """The number of records in `path`; DataError for a record without a needed key or of the wrong kind."""
    count = 0
    try:
        for count, record in enumerate(tf_record_iterator(path, compression or None), start=1):
            example = example_pb2.Example()
            try:
                example.ParseFromString(record)
            except Exception:  # protobuf's DecodeError
                raise DataError(f"{path}: record {count} is not a tf.train.Example") from None
            features = example.features.feature
            for key, kind in needed.items():
                if key not in features:
                    raise DataError(f"{path}: record {count} has no feature {key!r} "
                                    f"(it has {', '.join(sorted(features)) or 'none'})")
                found = features[key].WhichOneof("kind")
                if kind and found and found != _KIND[kind]:
                    raise DataError(f"{path}: feature {key!r} of record {count} is a {found}, but data.types "
                                    f"says {kind} ({_KIND[kind]})")
    except DataError:
        raise
    except Exception as e:  # DataLossError and friends from the record reader
        message = getattr(e, "message", None) or str(e)
        raise DataError(f"{path}: {message.splitlines()[0]}") from None
    return count


def _parse_kind(spec_value) -> str | None:
    dtype = getattr(spec_value, "dtype", None)
    return {dtypes.float32: "float", dtypes.float64: "float", dtypes.int64: "int", dtypes.int32: "int",
            dtypes.string: "string"}.get(dtype)


def load_examples(config: Config, which: str, feature_spec: dict, with_label: bool = True) -> Examples:
    """Read and check `data.<which>`: every raw key of `feature_spec` and (with_label) the label present.

    `feature_spec` is the feature columns' parse spec (`make_parse_example_spec`): its keys are
    the input columns the model reads.
    """
    key = f"data.{which}"
    paths = expand_paths(key, getattr(config.data, which), config)
    fmt = file_format(config, paths)
    label = config.data.label if with_label else ""
    if with_label and not label:
        raise DataError("data.label is not set; write data.label = \"<label column>\" or pass --set data.label=NAME")
    types = config.data.types
    needed = {k: _parse_kind(v) or types.get(k) for k, v in feature_spec.items()}  # the column's own dtype wins
    for column, kind in types.items():  # a declared column is read (and checked) even if no feature uses it
        if column != config.data.label:
            needed.setdefault(column, kind)
    if label:
        needed[label] = types.get(label)
    if fmt == "tfrecord":
        count = sum(_check_tfrecord(p, needed, config.data.compression) for p in paths)
        if count == 0:
            raise DataError(f"{key}: {', '.join(paths)} holds no records")
        spec = dict(feature_spec)
        for column, kind in needed.items():
            if column == label or column not in spec:
                if kind is None:
                    raise DataError(f"data.types.{column} is not set; TFRecord columns need a type: "
                                    f"data.types.{column} = \"float\", \"int\" or \"string\"")
                spec[column] = FixedLenFeature([], _PARSE_DTYPES[kind])
        return Examples(paths, fmt, count, parse_spec=spec, label=label)
    columns: dict[str, list] = {c: [] for c in needed}
    count = 0
    for path in paths:
        frame = _read_table(path, fmt, config)
        if len(frame) == 0:
            raise DataError(f"{path} holds no rows")
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise DataError(f"{path} has no column {missing[0]!r} (it has {', '.join(map(str, frame.columns))})")
        for column, kind in needed.items():
            columns[column].append(_column_array(frame, column, kind, path))
        count += len(frame)
    arrays = {c: np.concatenate(parts) for c, parts in columns.items()}
    labels = arrays.pop(label) if label else None
    return Examples(paths, fmt, count, features=arrays, labels=labels, label=label)
