"""`tf.train.summary_iterator`: the Event protos of a TensorBoard event file, in order."""

from __future__ import annotations

import os

from google.protobuf.message import DecodeError

from estflow.core import errors
from estflow.core.protos import event_pb2
from estflow.core.record_io import read_records


def summary_iterator(path):
    """Yield each `Event` of the event file at `path` (every record's checksum is verified).

    A damaged file yields the events before the damage, then raises DataLossError naming
    the file and what is wrong (a bad checksum, a truncated record, a record that is not
    an Event).

        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                print(event.step, value.tag, value.simple_value)
    """
    for index, record in enumerate(read_records(path)):
        event = event_pb2.Event()
        try:
            event.ParseFromString(record)
        except DecodeError as e:
            raise errors.DataLossError(
                None, None, f"{os.fspath(path)}: record {index} ({len(record)} bytes) is not an Event proto "
                            f"({e}); the event file is corrupted.") from None
        yield event
