"""TF1's entry points to V2-style summaries (tf.contrib.summary writers) in graph mode.

estflow writes TF1 summaries (`tf.summary.scalar` ops merged and written by a FileWriter) and
has no tf.contrib.summary / TF2 summary writers, so no graph holds V2 summary ops and no
default V2 writer exists: these functions answer as TF1 does in that situation.
"""

from __future__ import annotations

from estflow.core.graph import get_default_graph

_SUMMARY_V2_COLLECTION = "_SUMMARY_V2"  # TF's GraphKeys._SUMMARY_COLLECTION: where V2 summary ops are recorded


def all_v2_summary_ops() -> list:
    """The V2-style summary ops of the default graph (TF's "_SUMMARY_V2" collection), as
    `tf.summary.all_v2_summary_ops`; TF1 `tf.summary` ops are not among them."""
    return get_default_graph().get_collection(_SUMMARY_V2_COLLECTION)


def initialize(graph=None, session=None) -> None:
    """Initialize the default tf.contrib.summary writer and write `graph` to it, as `tf.summary.initialize`.

    TF1 raises RuntimeError when the thread has no default tf.contrib.summary.SummaryWriter;
    estflow has none to make default, so it always does. Write graphs with
    `tf.summary.FileWriter(logdir, graph)` instead.
    """
    del graph, session  # only read once a default writer exists, which estflow cannot create
    raise RuntimeError("No default tf.contrib.summary.SummaryWriter found")
