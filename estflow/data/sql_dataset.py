"""`tf.data.experimental.SqlDataset`: the rows of a SQL query, one element per row (SQLite, as TF's only driver)."""

from __future__ import annotations

import sqlite3

import numpy as np

from estflow.core import dtypes, errors
from estflow.data import structure
from estflow.data.sources import SourceDataset


def _text(value) -> str:
    value = value.item() if isinstance(value, np.ndarray) else value
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _convert(value, dtype):
    """One column as TF's SqliteQueryConnection reads it: text as bytes, numbers in the column's dtype."""
    if dtype == dtypes.string:
        out = np.empty((), dtype=object)
        out[()] = b"" if value is None else (value if isinstance(value, bytes) else str(value).encode("utf-8"))
        return out
    if value is None:
        value = 0
    if dtype == dtypes.bool:
        return np.bool_(int(value) != 0)
    if dtype.is_floating:
        return np.asarray(float(value), dtype=dtype.as_numpy_dtype)
    return np.asarray(int(value), dtype=dtype.as_numpy_dtype)


class SqlDataset(SourceDataset):
    """The rows `query` returns from the SQLite database `data_source_name`, each a tuple (or, for one output
    type, a scalar) of `output_types`, as `tf.data.experimental.SqlDataset(driver_name="sqlite", ...)`.

        ds = tf.data.experimental.SqlDataset("sqlite", "/data/people.sqlite",
                                             "SELECT name, age FROM people", (tf.string, tf.int32))

    The query runs when the iterator is initialized; `data_source_name` and `query` may be fed tensors.
    """

    _external_state = True

    def __init__(self, driver_name, data_source_name, query, output_types):
        types = structure.map_structure(dtypes.as_dtype, output_types)
        self._types = structure.flatten(types)
        spec = structure.map_structure(lambda t: structure.TensorSpec([], t), types)
        super().__init__(spec, self._rows, inputs=[driver_name, data_source_name, query])

    def _check(self, env):  # TF refuses an unknown driver when the iterator is initialized
        self._check_driver(self._input_values(env)[0])

    @staticmethod
    def _check_driver(driver_name):
        driver = _text(driver_name)
        if driver != "sqlite":
            raise errors.InvalidArgumentError(None, None, f"The database type, {driver}, is not supported by "
                                                          "SqlDataset. The set of supported databases is: {'sqlite'}.")

    def _rows(self, driver_name, data_source_name, query):
        self._check_driver(driver_name)
        try:
            connection = sqlite3.connect(f"file:{_text(data_source_name)}?mode=ro", uri=True)
        except sqlite3.Error as e:
            raise errors.FailedPreconditionError(None, None, f"Sqlite error: {e}") from None
        try:
            try:
                cursor = connection.execute(_text(query))
            except sqlite3.Error as e:  # TF's message: SQLite's result code and text, then the query
                raise errors.UnknownError(None, None, f"Prepare() failed: [{getattr(e, 'sqlite_errorcode', 1)}] {e}: "
                                                      f"{_text(query)}") from None
            columns = len(cursor.description or ())
            if columns != len(self._types):
                raise errors.InvalidArgumentError(
                    None, None, f"The number of columns in query ({columns}) must match the number of elements in "
                                f"output_types ({len(self._types)}).")
            for row in cursor:
                yield [_convert(v, t) for v, t in zip(row, self._types, strict=True)]
        finally:
            connection.close()
