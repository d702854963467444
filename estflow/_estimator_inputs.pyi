"""`tf.estimator.inputs`: numpy and pandas input functions (re-exports only)."""

from estflow.data.numpy_io import numpy_input_fn as numpy_input_fn
from estflow.data.pandas_io import pandas_input_fn as pandas_input_fn
