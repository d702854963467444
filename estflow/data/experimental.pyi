"""`tf.data.experimental` (re-exports only)."""

from estflow.core.ops.tensor_array import TensorArrayStructure as TensorArrayStructure
from estflow.data.csv_dataset import CsvDataset as CsvDataset
from estflow.data.csv_dataset import make_csv_dataset as make_csv_dataset
from estflow.data.dataset_graph_ops import TFRecordWriter as TFRecordWriter
from estflow.data.dataset_graph_ops import cardinality as cardinality
from estflow.data.dataset_graph_ops import get_single_element as get_single_element
from estflow.data.dataset_ops import AUTOTUNE as AUTOTUNE
from estflow.data.error_ops import ignore_errors as ignore_errors
from estflow.data.experimental_datasets import Reducer as Reducer
from estflow.data.experimental_ops import INFINITE_CARDINALITY as INFINITE_CARDINALITY
from estflow.data.experimental_ops import UNKNOWN_CARDINALITY as UNKNOWN_CARDINALITY
from estflow.data.experimental_ops import Counter as Counter
from estflow.data.experimental_ops import bucket_by_sequence_length as bucket_by_sequence_length
from estflow.data.experimental_ops import choose_from_datasets as choose_from_datasets
from estflow.data.experimental_ops import copy_to_device as copy_to_device
from estflow.data.experimental_ops import enumerate_dataset as enumerate_dataset
from estflow.data.experimental_ops import get_structure as get_structure
from estflow.data.experimental_ops import group_by_reducer as group_by_reducer
from estflow.data.experimental_ops import group_by_window as group_by_window
from estflow.data.experimental_ops import make_batched_features_dataset as make_batched_features_dataset
from estflow.data.experimental_ops import map_and_batch as map_and_batch
from estflow.data.experimental_ops import parallel_interleave as parallel_interleave
from estflow.data.experimental_ops import parse_example_dataset as parse_example_dataset
from estflow.data.experimental_ops import prefetch_to_device as prefetch_to_device
from estflow.data.experimental_ops import sample_from_datasets as sample_from_datasets
from estflow.data.experimental_ops import scan as scan
from estflow.data.experimental_ops import shuffle_and_repeat as shuffle_and_repeat
from estflow.data.experimental_ops import take_while as take_while
from estflow.data.experimental_ops import unbatch as unbatch
from estflow.data.experimental_ops import unique as unique
from estflow.data.experimental_transformations import SHARD_HINT as SHARD_HINT
from estflow.data.experimental_transformations import assert_cardinality as assert_cardinality
from estflow.data.experimental_transformations import dense_to_sparse_batch as dense_to_sparse_batch
from estflow.data.experimental_transformations import enable_debug_mode as enable_debug_mode
from estflow.data.experimental_transformations import from_list as from_list
from estflow.data.experimental_transformations import (
    map_and_batch_with_legacy_function as map_and_batch_with_legacy_function,
)
from estflow.data.experimental_transformations import pad_to_cardinality as pad_to_cardinality
from estflow.data.iterator_checkpoint import make_saveable_from_iterator as make_saveable_from_iterator
from estflow.data.lookup_from_dataset import DatasetInitializer as DatasetInitializer
from estflow.data.lookup_from_dataset import index_table_from_dataset as index_table_from_dataset
from estflow.data.lookup_from_dataset import table_from_dataset as table_from_dataset
from estflow.data.optional_ops import Optional as Optional
from estflow.data.optional_ops import OptionalSpec as OptionalStructure
from estflow.data.optional_ops import get_next_as_optional as get_next_as_optional
from estflow.data.options import AutotuneAlgorithm as AutotuneAlgorithm
from estflow.data.options import AutotuneOptions as AutotuneOptions
from estflow.data.options import ExternalStatePolicy as ExternalStatePolicy
from estflow.data.options import OptimizationOptions as OptimizationOptions
from estflow.data.options import ThreadingOptions as ThreadingOptions
from estflow.data.random_dataset import RandomDataset as RandomDataset
from estflow.data.resampling import rejection_resample as rejection_resample
from estflow.data.snapshot import snapshot as snapshot
from estflow.data.specs import DatasetSpec as DatasetStructure
from estflow.data.sql_dataset import SqlDataset as SqlDataset
from estflow.data.structure import SparseTensorSpec as SparseTensorStructure
from estflow.data.structure import TensorSpec as TensorStructure
from estflow.data.type_spec import TypeSpec as Structure
from estflow.hooks.input_pipeline_hook import CheckpointInputPipelineHook as CheckpointInputPipelineHook

__all__ = [
    "CsvDataset", "make_csv_dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Counter",
    "OptimizationOptions", "SparseTensorStructure", "TensorStructure", "ThreadingOptions",
    "TensorArrayStructure",
    "bucket_by_sequence_length", "choose_from_datasets", "copy_to_device", "enumerate_dataset", "get_structure",
    "group_by_window", "ignore_errors", "make_batched_features_dataset", "map_and_batch", "parallel_interleave",
    "parse_example_dataset", "prefetch_to_device", "sample_from_datasets", "scan", "shuffle_and_repeat", "take_while",
    "unbatch", "unique",
    "AutotuneAlgorithm", "AutotuneOptions", "DatasetStructure", "ExternalStatePolicy", "RandomDataset", "SHARD_HINT",
    "Structure", "TFRecordWriter", "assert_cardinality", "cardinality", "dense_to_sparse_batch", "enable_debug_mode",
    "from_list", "get_single_element", "map_and_batch_with_legacy_function", "Optional", "OptionalStructure",
    "get_next_as_optional",
    "CheckpointInputPipelineHook", "make_saveable_from_iterator", "SqlDataset", "pad_to_cardinality",
    "DatasetInitializer", "index_table_from_dataset", "table_from_dataset", "snapshot",
    "rejection_resample",
]
