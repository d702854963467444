"""`tf.summary`: summary ops and TensorBoard event files (re-exports only)."""

from estflow.core.protos.event_pb2 import Event as Event
from estflow.core.protos.event_pb2 import SessionLog as SessionLog
from estflow.core.protos.event_pb2 import TaggedRunMetadata as TaggedRunMetadata
from estflow.core.protos.summary_pb2 import Summary as Summary
from estflow.core.protos.summary_pb2 import SummaryDescription as SummaryDescription
from estflow.core.protos.summary_pb2 import SummaryMetadata as SummaryMetadata
from estflow.summary.summary import audio as audio
from estflow.summary.summary import get_summary_description as get_summary_description
from estflow.summary.summary import histogram as histogram
from estflow.summary.summary import image as image
from estflow.summary.summary import merge as merge
from estflow.summary.summary import merge_all as merge_all
from estflow.summary.summary import scalar as scalar
from estflow.summary.summary import tensor_summary as tensor_summary
from estflow.summary.summary import text as text
from estflow.summary.summary_v2 import all_v2_summary_ops as all_v2_summary_ops
from estflow.summary.summary_v2 import initialize as initialize
from estflow.summary.writer import FileWriter as FileWriter
from estflow.summary.writer import FileWriterCache as FileWriterCache
from estflow.training.summary_iterator import summary_iterator as summary_iterator

__all__ = ["Event", "SessionLog", "Summary", "SummaryDescription", "SummaryMetadata", "TaggedRunMetadata",
           "FileWriter", "FileWriterCache", "audio", "get_summary_description", "histogram", "image", "merge",
           "merge_all", "scalar", "summary_iterator", "tensor_summary", "text",
           "all_v2_summary_ops", "initialize"]
