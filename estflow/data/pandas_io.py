"""`tf.estimator.inputs.pandas_input_fn`: an input_fn over a pandas DataFrame.

pandas is optional: it is imported only when `pandas_input_fn` is called. Columns become
numpy arrays once (object columns as `bytes`), then batches are cut as numpy_input_fn
does. `queue_capacity` and `num_threads` are accepted for compatibility and do nothing.
"""

from __future__ import annotations

import numpy as np

from estflow.data import structure
from estflow.data.numpy_io import batches_from_arrays, check_shuffle, shared_strings


def _pandas():
    try:
        import pandas  # optional dependency (estflow[pandas])
    except ImportError:  # TF's wording, plus the fix
        raise TypeError("pandas_input_fn should not be called without pandas installed; "
                        "pip install pandas (or estflow[pandas]).") from None
    return pandas


def _column_array(series) -> np.ndarray:
    values = series.to_numpy()
    if values.dtype.kind in "OUS" or str(series.dtype) in ("string", "str"):
        return _string_column(np.asarray(values, dtype=object))
    return np.array(values, copy=True)  # a private copy, as TF's `x.copy()`


def _string_column(values: np.ndarray) -> np.ndarray:
    """A string column as `structure.to_array` makes it (UTF-8 `bytes`), with one object per distinct value.

    A column of `str` (what pandas holds) is encoded through a dict: each distinct value
    once, which is also quicker than encoding every row. Anything else is converted as
    usual, then merged (`shared_strings`).
    """
    items = values.tolist()
    if values.ndim != 1 or set(map(type, items)) != {str}:
        return shared_strings(structure.to_array(values))
    encoded: dict = {}
    known = encoded.get
    out = np.empty(len(items), dtype=object)
    out[:] = [known(s) or encoded.setdefault(s, s.encode()) for s in items]
    return out


def pandas_input_fn(x, y=None, batch_size=128, num_epochs=1, shuffle=None, queue_capacity=1000, num_threads=1,
                    target_column="target"):
    """An input_fn yielding batches of a DataFrame's columns (and `y`), as TF1's pandas_input_fn.

        input_fn = tf.estimator.inputs.pandas_input_fn(df[["age", "city"]], df["label"], shuffle=False)

    Features are a dict keyed by column name; labels are a tensor for a Series `y`, a dict
    for a DataFrame `y`; without `y` the input_fn returns the features alone. `y`'s index
    must equal `x`'s. `queue_capacity` and `num_threads` are as for `numpy_input_fn`.
    """
    pd = _pandas()
    check_shuffle(shuffle)
    if not isinstance(target_column, str):
        raise TypeError("target_column must be a string type")
    if not isinstance(x, pd.DataFrame):
        raise TypeError(f"x must be a pandas DataFrame; got {type(x).__name__}")
    columns = list(x.columns)
    arrays = [_column_array(x[c]) for c in columns]
    target_names = None
    if y is not None:
        if target_column in x:
            raise ValueError(f"Cannot use name {target_column} for target column: DataFrame already has a column "
                             f"with that name: {x.columns}")
        if not np.array_equal(x.index, y.index):
            raise ValueError(f"Index for x and y are mismatched.\nIndex for x: {x.index}\nIndex for y: {y.index}\n")
        if isinstance(y, pd.DataFrame):
            target_names = list(y.columns)
            arrays += [_column_array(y[c]) for c in target_names]
        else:
            arrays.append(_column_array(y))

    def input_fn():
        batch = list(batches_from_arrays(arrays, batch_size, num_epochs, shuffle))
        features = dict(zip(columns, batch[:len(columns)], strict=False))
        if y is None:
            return features
        if target_names is not None:
            return features, dict(zip(target_names, batch[len(columns):], strict=False))
        return features, batch[-1]

    return input_fn
