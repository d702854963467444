"""`tf.python_io`: TFRecord files (re-exports only)."""

from estflow.data.tfrecord import TFRecordCompressionType as TFRecordCompressionType
from estflow.data.tfrecord import TFRecordOptions as TFRecordOptions
from estflow.data.tfrecord import TFRecordWriter as TFRecordWriter
from estflow.data.tfrecord import tf_record_iterator as tf_record_iterator

__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator"]
