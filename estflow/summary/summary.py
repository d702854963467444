"""`tf.summary` functions: summary ops named and tagged as TF1 names them.

    tf.summary.scalar("loss", loss)             # tag "loss" (or "scope/loss" inside a name scope)
    merged = tf.summary.merge_all()
    writer.add_summary(sess.run(merged), step)
"""

from __future__ import annotations

import contextlib
import logging
import re

import numpy as np

from estflow.core.graph import GraphKeys, get_default_graph, name_scope
from estflow.core.protos import summary_pb2
from estflow.core.registry import apply_op

_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")
_log = logging.getLogger("estflow")


def clean_tag(name):
    """Replace characters TensorBoard can't use with '_' and drop leading slashes (TF's rule)."""
    if name is not None:
        new_name = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
        if new_name != name:
            _log.info("Summary name %s is illegal; using %s instead.", name, new_name)
            name = new_name
    return name


@contextlib.contextmanager
def summary_scope(name, family=None, default_name=None, values=None):
    """Yields (tag, scope) for a summary op, as TF1's summary_op_util.summary_scope."""
    name = clean_tag(name)
    family = clean_tag(family)
    scope_base_name = name if family is None else f"{family}/{name}"
    with name_scope(scope_base_name, default_name, values=values) as scope:
        tag = scope.rstrip("/") if family is None else f"{family}/{scope.rstrip('/')}"
        yield tag, scope


def _collect(op, collections, default):
    graph = get_default_graph()
    for key in (collections if collections is not None else default):
        graph.add_to_collection(key, op)
    return op


def scalar(name, tensor, collections=None, family=None):
    """A summary of one scalar value (a serialized `Summary` string tensor)."""
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        out = apply_op("ScalarSummary", np.array(tag.encode(), dtype=object), tensor, name=scope)
    return _collect(out, collections, [GraphKeys.SUMMARIES])


def histogram(name, values, collections=None, family=None):
    """A histogram summary of `values` with TensorFlow's bucket boundaries."""
    with summary_scope(name, family, values=[values], default_name="HistogramSummary") as (tag, scope):
        out = apply_op("HistogramSummary", np.array(tag.encode(), dtype=object), values, name=scope)
    return _collect(out, collections, [GraphKeys.SUMMARIES])


def image(name, tensor, max_outputs=3, collections=None, family=None):
    """PNG image summaries of a [batch, height, width, 1|3|4] tensor (tags "name/image[/i]")."""
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        out = apply_op("ImageSummary", np.array(tag.encode(), dtype=object), tensor, name=scope,
                       max_images=max_outputs)
    return _collect(out, collections, [GraphKeys.SUMMARIES])


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    """WAV audio summaries of a [batch, frames(, channels)] float tensor in [-1, 1]."""
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        out = apply_op("AudioSummaryV2", np.array(tag.encode(), dtype=object), tensor,
                       np.float32(sample_rate) if not hasattr(sample_rate, "op") else sample_rate,
                       name=scope, max_outputs=max_outputs)
    return _collect(out, collections, [GraphKeys.SUMMARIES])


def _metadata(plugin_name="", display_name="", description=""):
    meta = summary_pb2.SummaryMetadata()
    if plugin_name:
        meta.plugin_data.plugin_name = plugin_name
    if display_name:
        meta.display_name = display_name
    if description:
        meta.summary_description = description
    return meta


def tensor_summary(name, tensor, summary_description=None, collections=None, summary_metadata=None, family=None,
                   display_name=None):
    """A summary holding a whole tensor (TensorSummaryV2), with optional plugin metadata."""
    if summary_metadata is None:
        summary_metadata = _metadata(display_name=display_name or "", description=summary_description or "")
    serialized = summary_metadata.SerializeToString()
    with summary_scope(name, family, values=[tensor]) as (tag, scope):
        out = apply_op("TensorSummaryV2", np.array(tag.encode(), dtype=object), tensor,
                       np.array(serialized, dtype=object), name=scope)
    return _collect(out, collections, [GraphKeys.SUMMARIES])


def text(name, tensor, collections=None):
    """A text summary (markdown) shown by TensorBoard's text plugin."""
    return tensor_summary(name, tensor, collections=collections, summary_metadata=_metadata(plugin_name="text"))


def merge(inputs, collections=None, name=None):
    """One serialized `Summary` holding every value of `inputs` (duplicate tags are an error)."""
    with name_scope(name, "Merge", inputs):
        out = apply_op("MergeSummary", *inputs, name=name or "MergeSummary")  # TF1: Merge/MergeSummary
    if collections:
        _collect(out, collections, [])
    return out


def merge_all(key=GraphKeys.SUMMARIES, scope=None, name=None):
    """Merge every summary in collection `key` (optionally under `scope`); None if there are none."""
    summary_ops = get_default_graph().get_collection(key, scope=scope)
    if not summary_ops:
        return None
    return merge(summary_ops, name=name)


def get_summary_description(node_def):
    """The SummaryDescription in a summary op's NodeDef (TF1 helper for plugins)."""
    if node_def.op != "TensorSummary":
        raise ValueError(f"Can't get_summary_description on {node_def.op}")
    description = summary_pb2.SummaryDescription()
    return description
