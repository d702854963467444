"""A traced step as a Chrome trace, as TF1's `tensorflow.python.client.timeline`.

    run_metadata = tf.RunMetadata()
    sess.run(train_op, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
             run_metadata=run_metadata)
    trace = timeline.Timeline(run_metadata.step_stats).generate_chrome_trace_format()
    open("timeline.json", "w").write(trace)   # open in chrome://tracing or ui.perfetto.dev

Each device gets a "Compute" process (and a "Tensors" one, as TF lays them out), each
stream a thread, each executed node an "X" event named after its op type, with args
`{name, op, input0, ...}`; with `show_dataflow`, arrows join a tensor's producer to its
consumers.
"""

from __future__ import annotations

import collections
import json
import re

_LABEL = re.compile(r"(.*) = (.*)\((.*)\)")

StepStatsAnalysis = collections.namedtuple("StepStatsAnalysis", ["chrome_trace", "allocator_maximums"])


class _ChromeTraceFormatter:
    """Collects trace events and metadata; `format_to_string` writes the trace JSON."""

    def __init__(self):
        self._metadata: list[dict] = []
        self._events: list[dict] = []

    def emit_pid(self, name: str, pid: int) -> None:
        self._metadata.append({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": name}})

    def emit_tid(self, name: str, pid: int, tid: int) -> None:
        self._metadata.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid, "args": {"name": name}})

    def _event(self, ph: str, category: str, name: str, pid: int, tid: int, ts: int) -> dict:
        event = {"ph": ph, "cat": category, "name": name, "pid": pid, "tid": tid, "ts": ts}
        self._events.append(event)
        return event

    def emit_region(self, ts: int, dur: int, pid: int, tid: int, category: str, name: str, args: dict) -> None:
        event = self._event("X", category, name, pid, tid, ts)
        event["dur"] = dur
        event["args"] = args

    def emit_flow_start(self, name: str, ts: int, pid: int, tid: int, flow_id: int) -> None:
        self._event("s", "DataFlow", name, pid, tid, ts)["id"] = flow_id

    def emit_flow_end(self, name: str, ts: int, pid: int, tid: int, flow_id: int) -> None:
        self._event("t", "DataFlow", name, pid, tid, ts)["id"] = flow_id

    def format_to_string(self, pretty: bool = False) -> str:
        trace = {"traceEvents": self._metadata + self._events}
        if pretty:
            return json.dumps(trace, indent=4, separators=(",", ": "))
        return json.dumps(trace, separators=(",", ":"))


def _parse_label(label: str, node_name: str) -> tuple[str, list[str]]:
    """(op type, input names) from a timeline label `name = OpType(in, in)`."""
    match = _LABEL.match(label)
    if match is None:
        return node_name, []
    inputs = [x.strip() for x in match.group(3).split(",") if x.strip()]
    return match.group(2), inputs


class Timeline:
    """The execution of one traced step, for `chrome://tracing`.

    Args:
      step_stats: the `StepStats` proto of a run (`run_metadata.step_stats`).
      graph: optional, accepted as TF1 does; the labels already name each op's type.
    """

    def __init__(self, step_stats, graph=None):
        self._step_stats = step_stats
        self._graph = graph

    def analyze_step_stats(self, show_dataflow: bool = True, show_memory: bool = False,
                           op_time: str = "schedule") -> StepStatsAnalysis:
        """The Chrome trace of the step (`show_memory` is accepted; memory is not recorded here).

        `op_time`: "schedule" spans each op from when it was scheduled to its end, "gpu" from
        its start to its end, "all" from when it was scheduled to when its kernel ended.
        """
        if op_time not in ("schedule", "gpu", "all"):
            raise ValueError(f"op_time must be 'schedule', 'gpu' or 'all', got {op_time!r}")
        trace = _ChromeTraceFormatter()
        pid = 0
        trace.emit_pid("Allocators", pid)
        producers: dict[str, tuple[int, int, int]] = {}  # node name -> (end, pid, tid)
        consumers: list[tuple[list[str], int, int, int]] = []
        for dev_stats in self._step_stats.dev_stats:
            compute_pid, tensors_pid = pid + 1, pid + 2
            pid += 2
            trace.emit_pid(f"{dev_stats.device} Compute", compute_pid)
            trace.emit_pid(f"{dev_stats.device} Tensors", tensors_pid)
            for tid, name in sorted(dev_stats.thread_names.items()):
                trace.emit_tid(name, compute_pid, tid)
            for node in dev_stats.node_stats:
                start, dur = self._span(node, op_time)
                op, inputs = _parse_label(node.timeline_label, node.node_name)
                args = {"name": node.node_name, "op": op}
                for i, name in enumerate(inputs):
                    args[f"input{i}"] = name
                trace.emit_region(start, dur, compute_pid, node.thread_id, "Op", op, args)
                producers[node.node_name] = (start + dur, compute_pid, node.thread_id)
                consumers.append((inputs, start, compute_pid, node.thread_id))
        if show_dataflow:
            flow_id = 0
            for inputs, start, cpid, ctid in consumers:
                for name in inputs:
                    source = producers.get(name.split(":")[0].lstrip("^"))
                    if source is None:
                        continue
                    end, ppid, ptid = source
                    trace.emit_flow_start(name, end, ppid, ptid, flow_id)
                    trace.emit_flow_end(name, max(start, end), cpid, ctid, flow_id)
                    flow_id += 1
        del show_memory
        return StepStatsAnalysis(chrome_trace=trace, allocator_maximums={})

    @staticmethod
    def _span(node, op_time: str) -> tuple[int, int]:
        if op_time == "gpu":
            return node.all_start_micros + node.op_start_rel_micros, node.op_end_rel_micros - node.op_start_rel_micros
        if op_time == "all":
            return node.all_start_micros, node.op_end_rel_micros
        return node.all_start_micros, node.all_end_rel_micros

    def generate_chrome_trace_format(self, show_dataflow: bool = True, show_memory: bool = False,
                                     op_time: str = "schedule") -> str:
        """The step as a Chrome trace JSON string (`chrome://tracing`, Perfetto)."""
        analysis = self.analyze_step_stats(show_dataflow=show_dataflow, show_memory=show_memory, op_time=op_time)
        return analysis.chrome_trace.format_to_string(pretty=True)
