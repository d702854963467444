"""`tf.train.summary_iterator`: the Event protos of a TensorBoard event file, in order."""

from __future__ import annotations

from estflow.core.protos import event_pb2
from estflow.core.record_io import read_records


def summary_iterator(path):
    """Yield each `Event` of the event file at `path` (every record's checksum is verified).

        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                print(event.step, value.tag, value.simple_value)
    """
    for record in read_records(path):
        event = event_pb2.Event()
        event.ParseFromString(record)
        yield event
