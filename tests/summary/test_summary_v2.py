"""tf.summary.all_v2_summary_ops and tf.summary.initialize in a TF1 graph (no V2 summary writers)."""

import pytest

import estflow as tf


def test_all_v2_summary_ops_reads_tfs_v2_collection():
    with tf.Graph().as_default() as g:
        tf.summary.scalar("loss", tf.constant(1.0))
        assert tf.summary.all_v2_summary_ops() == []  # TF1 summaries are not V2 summary ops
        marker = tf.no_op(name="v2_summary")
        g.add_to_collection("_SUMMARY_V2", marker)
        assert tf.summary.all_v2_summary_ops() == [marker]


def test_initialize_needs_a_default_contrib_writer():
    with tf.Graph().as_default() as g, pytest.raises(RuntimeError, match="No default tf.contrib.summary"):
        tf.summary.initialize(graph=g)
