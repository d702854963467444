"""`tf.IdentityReader`: TF1's reader that outputs each queued work item as both key and value.

    queue = tf.FIFOQueue(10, tf.string); enqueue = queue.enqueue_many([["a", "b"]])
    key, value = tf.IdentityReader().read(queue)   # b"a", b"a"; then b"b", b"b"

Useful where the work items are the data (ids, paths to hand to another op) rather than
files to parse. The reader's state lives in the session (estflow/core/ops/identity_reader_ops.py).
"""

from __future__ import annotations

from estflow.core.registry import apply_op
from estflow.library.io_ops import ReaderBase


class IdentityReader(ReaderBase):
    """A reader that outputs the queued work as both the key and the value."""

    def __init__(self, name=None):
        super().__init__(apply_op("IdentityReaderV2", name=name or "IdentityReaderV2"))
