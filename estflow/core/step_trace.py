"""Tracing a run: TF's StepStats for `Session.run(options=RunOptions(trace_level=FULL_TRACE))`.

The traced run executes the plan's steps one at a time and records, per device, each
step's node name, timeline label (`name = OpType(inputs)`, from which TF's timeline takes
the op type), start and duration, and the dtype, shape and bytes of its outputs. A run
without tracing never comes here and pays nothing for it.
"""

from __future__ import annotations

import time

from estflow.core import dtypes
from estflow.core.dead import DEAD
from estflow.core.plan import Plan, execute


def run_traced(plan: Plan, feed_values, step_stats) -> list:
    """As `Plan.execute`, recording each step into `step_stats` (a StepStats proto); returns the slots."""
    slots = plan.template.copy()
    for spec, value in zip(plan.feeds, feed_values):
        slots[spec.slot] = spec.convert(value)
    execute_traced(plan.steps, slots, plan.trace_info, step_stats, plan.passed)
    return slots


def execute_traced(steps, slots, trace_info, step_stats, passed=()) -> None:
    """Run the steps one at a time, recording TF's NodeExecStats for each into `step_stats`.

    `trace_info` holds (node name, timeline label, device) per step. Times are wall
    clock microseconds (and nanoseconds) since the epoch, as TF records them; each step is
    one op on its device's single stream (thread 0). `passed` lists the ops that run no step
    (an Identity's output has its input's slot) as (index of the step they follow or -1, trace
    info, slot): each is recorded where it would have run, taking no time.
    """
    epoch_ns = time.time_ns()
    base_ns = time.perf_counter_ns()
    by_device: dict = {}  # device -> its DeviceStepStats
    after: dict = {}
    for i, trace, slot in passed:
        after.setdefault(i, []).append((trace, slot))

    def record(trace, start, end, outs):
        name, label, device = trace
        dev = by_device.get(device)
        if dev is None:
            dev = by_device[device] = step_stats.dev_stats.add(device=device)
            dev.thread_names[0] = "compute"
        stats = dev.node_stats.add(node_name=name, timeline_label=label, thread_id=0)
        start_ns = epoch_ns + (start - base_ns)
        rel_ns = end - start
        stats.all_start_nanos, stats.all_start_micros = start_ns, start_ns // 1000
        stats.scheduled_nanos, stats.scheduled_micros = start_ns, start_ns // 1000
        stats.op_start_rel_nanos, stats.op_start_rel_micros = 0, 0
        stats.op_end_rel_nanos, stats.op_end_rel_micros = rel_ns, rel_ns // 1000
        stats.all_end_rel_nanos, stats.all_end_rel_micros = rel_ns, rel_ns // 1000
        for i, value in enumerate(outs):
            _describe_output(stats, i, value, device)

    for trace, slot in after.get(-1, ()):
        now = time.perf_counter_ns()
        record(trace, now, now, (slots[slot],))
    for index, (step, trace) in enumerate(zip(steps, trace_info)):
        start = time.perf_counter_ns()
        execute((step,), slots)
        end = time.perf_counter_ns()
        out = step[3]
        record(trace, start, end, [slots[s] for s in ((out,) if out.__class__ is int else out)])
        for passed_trace, slot in after.get(index, ()):
            record(passed_trace, end, end, (slots[slot],))


def _describe_output(stats, index: int, value, device: str) -> None:
    """A NodeOutput (dtype, shape, bytes) for an array output; other values are left out."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is None or dtype is None or value is DEAD:
        return
    try:
        enum = dtypes.as_dtype(dtype).as_datatype_enum
    except (TypeError, ValueError, KeyError):
        return
    output = stats.output.add(slot=index)
    desc = output.tensor_description
    desc.dtype = enum
    for d in shape:
        desc.shape.dim.add(size=int(d))
    nbytes = int(getattr(value, "nbytes", 0))
    desc.allocation_description.requested_bytes = nbytes
    desc.allocation_description.allocated_bytes = nbytes
    desc.allocation_description.allocator_name = "GPU_0_bfc" if "GPU" in device else "cpu"
