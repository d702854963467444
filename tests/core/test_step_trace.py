"""RunOptions(FULL_TRACE): each executed node's StepStats (`estflow/core/step_trace.py`)."""

import numpy as np

import estflow as tf


def test_full_trace_fills_step_stats_for_each_executed_node(traced):
    sess, y, x, md, out = traced
    np.testing.assert_allclose(out, np.tanh(np.full((2, 4), 3.0)), rtol=1e-6)
    (dev,) = md.step_stats.dev_stats
    assert dev.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    nodes = {n.node_name: n for n in dev.node_stats}
    assert {"w", "w/read", "matmul", "act"} <= set(nodes)
    act = nodes["act"]
    assert act.timeline_label == "act = Tanh(matmul:0)"
    assert nodes["matmul"].timeline_label == "matmul = MatMul(x:0, w/read:0)"
    assert act.all_start_micros > 1_500_000_000_000_000  # wall clock, microseconds since the epoch
    assert act.op_start_rel_micros == 0 <= act.op_end_rel_micros == act.all_end_rel_micros
    assert act.all_end_rel_nanos >= 0 and act.all_start_nanos // 1000 == act.all_start_micros
    starts = [n.all_start_nanos for n in dev.node_stats]
    assert starts == sorted(starts)
    (output,) = act.output
    assert output.slot == 0
    assert output.tensor_description.dtype == tf.float32.as_datatype_enum
    assert [d.size for d in output.tensor_description.shape.dim] == [2, 4]
    assert output.tensor_description.allocation_description.requested_bytes == 32


def test_no_trace_without_options_and_each_run_replaces_the_last(traced):
    sess, y, x, md, _ = traced
    feed = {x: np.ones((2, 3), np.float32)}
    empty = tf.RunMetadata()
    sess.run(y, feed, run_metadata=empty)
    sess.run(y, feed, options=tf.RunOptions(), run_metadata=empty)
    assert len(empty.step_stats.dev_stats) == 0
    sess.run(y, feed, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=md)
    assert len(md.step_stats.dev_stats) == 1
    assert len([n for n in md.step_stats.dev_stats[0].node_stats if n.node_name == "act"]) == 1


def test_trace_of_a_cond_records_only_the_taken_branch():
    graph = tf.Graph()
    with graph.as_default():
        p = tf.placeholder(tf.bool, [])
        c = tf.cond(p, lambda: tf.constant(1.0, name="yes") * 2.0, lambda: tf.constant(0.0, name="no") + 1.0)
        with tf.Session() as sess:
            md = tf.RunMetadata()
            assert sess.run(c, {p: True}, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE),
                            run_metadata=md) == 2.0
    names = {n.node_name: n for n in md.step_stats.dev_stats[0].node_stats}
    assert "cond/Merge" in names
    assert names["cond/Merge"].output[0].tensor_description.dtype == tf.float32.as_datatype_enum
    dead = [n for n in names if "no" in n.split("/")[-1]]
    assert all(len(names[n].output) == 0 for n in dead)  # the untaken branch's ops hold no values
