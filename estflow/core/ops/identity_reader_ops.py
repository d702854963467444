"""IdentityReaderV2: TF1's reader whose records are the queued work items themselves.

Each work item dequeued from the queue is one record whose key and value are both the work
string (TF's IdentityReader), so the reader ops (ReaderReadV2, ReaderReadUpToV2, the counters,
ReaderResetV2) of queue_ops serve it unchanged.
"""

from __future__ import annotations

import numpy as np

from estflow.core import dtypes
from estflow.core.ops.queue_ops import Queue, Reader, _handle_infer, _invalid, _make_resource
from estflow.core.registry import OpDef, register


class IdentityReader(Reader):
    def _next_work(self, queue: Queue) -> None:
        if queue.component_types != (dtypes.string,):
            raise _invalid(f"Expected a queue of one string component (work items), got {queue}")
        [work] = queue.dequeue(None)
        work = work.item() if isinstance(work, np.ndarray) else work
        self.work = work
        self.records = iter([(work, work)])  # bytes kept as they are: work need not be a file name


register(OpDef(
    "IdentityReaderV2", infer=_handle_infer,
    make_kernel=lambda op, ctx: _make_resource(op, ctx, IdentityReader),
    attrs={"container": "", "shared_name": ""}, stateful=True, cpu_only=True, differentiable=False,
    output_names=("reader_handle: resource",), attr_types={"container": "string", "shared_name": "string"},
))
