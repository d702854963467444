"""The Chrome trace of a traced step (`estflow.python.client.timeline`)."""

import json

import pytest

from estflow.python.client import timeline


def test_timeline_is_a_chrome_trace_with_a_process_per_device(traced):
    _, _, _, md, _ = traced
    text = timeline.Timeline(md.step_stats).generate_chrome_trace_format()
    trace = json.loads(text)
    events = trace["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert sorted(processes.values()) == sorted(["Allocators", "/job:localhost/replica:0/task:0/device:CPU:0 Compute",
                                                  "/job:localhost/replica:0/task:0/device:CPU:0 Tensors"])
    compute = next(pid for pid, name in processes.items() if name.endswith("Compute"))
    ops = {e["args"]["name"]: e for e in events if e["ph"] == "X"}
    act = ops["act"]
    assert act["name"] == "Tanh" and act["cat"] == "Op" and act["pid"] == compute and act["tid"] == 0
    assert act["args"] == {"name": "act", "op": "Tanh", "input0": "matmul:0"}
    node = next(n for n in md.step_stats.dev_stats[0].node_stats if n.node_name == "act")
    assert act["ts"] == node.all_start_micros and act["dur"] == node.all_end_rel_micros
    assert ops["matmul"]["args"]["op"] == "MatMul"
    flows = [e for e in events if e["ph"] in ("s", "t")]
    assert any(e["name"] == "matmul:0" for e in flows)  # dataflow arrow matmul -> act
    no_flow = json.loads(timeline.Timeline(md.step_stats).generate_chrome_trace_format(show_dataflow=False))
    assert not [e for e in no_flow["traceEvents"] if e["ph"] in ("s", "t")]
    with pytest.raises(ValueError, match="op_time"):
        timeline.Timeline(md.step_stats).generate_chrome_trace_format(op_time="wall")
