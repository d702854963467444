"""`tf.io`: record files, parsing and file access (re-exports only)."""

from estflow.core.graph_io import write_graph as write_graph
from estflow.core.ops.file_string_ops import decode_base64 as decode_base64
from estflow.core.ops.file_string_ops import encode_base64 as encode_base64
from estflow.core.ops.file_string_ops import matching_files as matching_files
from estflow.core.ops.file_string_ops import parse_tensor as parse_tensor
from estflow.core.ops.file_string_ops import read_file as read_file
from estflow.core.ops.file_string_ops import serialize_tensor as serialize_tensor
from estflow.core.ops.file_string_ops import write_file as write_file
from estflow.core.ops.image_ops import decode_and_crop_jpeg as decode_and_crop_jpeg
from estflow.core.ops.image_ops import decode_bmp as decode_bmp
from estflow.core.ops.image_ops import decode_gif as decode_gif
from estflow.core.ops.image_ops import decode_image as decode_image
from estflow.core.ops.image_ops import decode_jpeg as decode_jpeg
from estflow.core.ops.image_ops import decode_png as decode_png
from estflow.core.ops.image_ops import encode_jpeg as encode_jpeg
from estflow.core.ops.image_ops import encode_png as encode_png
from estflow.core.ops.image_ops import extract_jpeg_shape as extract_jpeg_shape
from estflow.core.ops.image_ops import is_jpeg as is_jpeg
from estflow.core.ops.parsing_ops import decode_csv as decode_csv
from estflow.core.ops.parsing_ops import decode_raw as decode_raw
from estflow.core.ops.proto_ops import decode_proto as decode_proto
from estflow.core.ops.proto_ops import encode_proto as encode_proto
from estflow.core.ops.serialization_ops import decode_compressed as decode_compressed
from estflow.core.ops.serialization_ops import decode_json_example as decode_json_example
from estflow.core.ops.serialization_ops import deserialize_many_sparse as deserialize_many_sparse
from estflow.core.ops.serialization_ops import serialize_many_sparse as serialize_many_sparse
from estflow.core.ops.serialization_ops import serialize_sparse as serialize_sparse
from estflow.data import gfile as gfile
from estflow.data.tfrecord import TFRecordCompressionType as TFRecordCompressionType
from estflow.data.tfrecord import TFRecordOptions as TFRecordOptions
from estflow.data.tfrecord import TFRecordWriter as TFRecordWriter
from estflow.data.tfrecord import tf_record_iterator as tf_record_iterator
from estflow.library.data_flow_ops import PaddingFIFOQueue as PaddingFIFOQueue
from estflow.library.data_flow_ops import PriorityQueue as PriorityQueue
from estflow.library.data_flow_ops import QueueBase as QueueBase
from estflow.library.data_flow_ops import RandomShuffleQueue as RandomShuffleQueue
from estflow.library.input_files import match_filenames_once as match_filenames_once
from estflow.library.parsing_config import FixedLenFeature as FixedLenFeature
from estflow.library.parsing_config import FixedLenSequenceFeature as FixedLenSequenceFeature
from estflow.library.parsing_config import SparseFeature as SparseFeature
from estflow.library.parsing_config import VarLenFeature as VarLenFeature
from estflow.library.parsing_ops import parse_example as parse_example
from estflow.library.parsing_ops import parse_sequence_example as parse_sequence_example
from estflow.library.parsing_ops import parse_single_example as parse_single_example
from estflow.library.parsing_ops import parse_single_sequence_example as parse_single_sequence_example

__all__ = [
    "FixedLenFeature", "FixedLenSequenceFeature", "SparseFeature", "TFRecordCompressionType", "TFRecordOptions",
    "TFRecordWriter", "VarLenFeature", "decode_csv", "decode_raw", "gfile", "parse_example", "parse_single_example",
    "parse_single_sequence_example", "tf_record_iterator", "write_graph",
    "decode_base64", "encode_base64", "match_filenames_once", "matching_files", "parse_tensor", "read_file",
    "serialize_tensor", "write_file",
    "parse_single_sequence_example", "tf_record_iterator",
    "PaddingFIFOQueue", "QueueBase", "RandomShuffleQueue",
    "PriorityQueue",
    "decode_compressed",
    "decode_json_example",
    "deserialize_many_sparse",
    "serialize_many_sparse",
    "serialize_sparse",
    "decode_and_crop_jpeg",
    "decode_bmp",
    "decode_gif",
    "decode_image",
    "decode_jpeg",
    "decode_png",
    "encode_jpeg",
    "encode_png",
    "extract_jpeg_shape",
    "is_jpeg",
    "decode_proto",
    "encode_proto",
    "parse_sequence_example",
]
