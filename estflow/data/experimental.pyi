"""`tf.data.experimental` (re-exports only)."""

from estflow.data.csv_dataset import CsvDataset as CsvDataset
from estflow.data.csv_dataset import make_csv_dataset as make_csv_dataset
from estflow.data.dataset_ops import AUTOTUNE as AUTOTUNE
from estflow.data.error_ops import ignore_errors as ignore_errors
from estflow.data.experimental_ops import enumerate_dataset as enumerate_dataset
from estflow.data.experimental_ops import map_and_batch as map_and_batch
from estflow.data.experimental_ops import shuffle_and_repeat as shuffle_and_repeat
from estflow.data.experimental_ops import unbatch as unbatch
from estflow.data.options import OptimizationOptions as OptimizationOptions
from estflow.data.options import ThreadingOptions as ThreadingOptions

__all__ = [
    "CsvDataset", "make_csv_dataset",
    "AUTOTUNE", "OptimizationOptions", "ThreadingOptions", "enumerate_dataset", "ignore_errors", "map_and_batch",
    "shuffle_and_repeat", "unbatch",
]
