"""`tf.data`: input pipelines and record formats (re-exports only).

The iterator ops register when estflow/data/iterator_ops.py is imported, which making an
iterator does; the names below load on first use (estflow/_lazy.py).
"""

from estflow.data import experimental as experimental
from estflow.data.dataset_ops import AUTOTUNE as AUTOTUNE
from estflow.data.dataset_ops import Dataset as Dataset
from estflow.data.dataset_ops import DatasetV1 as DatasetV1
from estflow.data.dataset_ops import NumpyIterator as NumpyIterator
from estflow.data.dataset_ops import get_legacy_output_classes as get_output_classes
from estflow.data.dataset_ops import get_legacy_output_shapes as get_output_shapes
from estflow.data.dataset_ops import get_legacy_output_types as get_output_types
from estflow.data.experimental_ops import INFINITE_CARDINALITY as INFINITE_CARDINALITY
from estflow.data.experimental_ops import UNKNOWN_CARDINALITY as UNKNOWN_CARDINALITY
from estflow.data.iterator_ops import Iterator as Iterator
from estflow.data.iterator_ops import make_initializable_iterator as make_initializable_iterator
from estflow.data.iterator_ops import make_one_shot_iterator as make_one_shot_iterator
from estflow.data.options import Options as Options
from estflow.data.options import ThreadingOptions as ThreadingOptions
from estflow.data.readers import FixedLengthRecordDataset as FixedLengthRecordDataset
from estflow.data.readers import TextLineDataset as TextLineDataset
from estflow.data.readers import TFRecordDataset as TFRecordDataset
from estflow.data.specs import DatasetSpec as DatasetSpec

__all__ = [
    "FixedLengthRecordDataset", "TFRecordDataset", "TextLineDataset",
    "AUTOTUNE", "Dataset", "INFINITE_CARDINALITY", "ThreadingOptions", "UNKNOWN_CARDINALITY",
    "DatasetV1", "Iterator", "Options", "experimental", "get_output_classes",
    "get_output_shapes", "get_output_types", "make_initializable_iterator", "make_one_shot_iterator",
    "DatasetSpec", "NumpyIterator",
]
