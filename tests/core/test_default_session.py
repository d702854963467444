"""The default session stack (estflow/core/default_session.py): eval/run, nesting, threads, reset."""

import threading

import pytest

import estflow as tf
from estflow.core import default_session


def test_innermost_as_default_wins_and_unwinds():
    g = tf.Graph()
    with g.as_default():
        c = tf.constant(2.0)
    outer, inner = tf.Session(graph=g), tf.Session(graph=g)
    assert tf.get_default_session() is None
    with outer.as_default():
        with inner.as_default():
            assert tf.get_default_session() is inner
            assert c.eval() == 2.0
        assert tf.get_default_session() is outer
    assert tf.get_default_session() is None


def test_the_stack_is_per_thread():
    sess = tf.Session(graph=tf.Graph())
    seen = []
    with sess.as_default():
        worker = threading.Thread(target=lambda: seen.append(tf.get_default_session()))
        worker.start()
        worker.join()
    assert seen == [None]


def test_clearing_drops_an_interactive_session_only():
    # What tf.reset_default_graph does to the default session.
    sess = tf.InteractiveSession(graph=tf.Graph())
    try:
        assert tf.get_default_session() is sess
        default_session.clear_interactive_session()
        assert tf.get_default_session() is None
    finally:
        sess.close()
    plain = tf.Session(graph=tf.Graph())
    with plain.as_default():
        default_session.clear_interactive_session()
        assert tf.get_default_session() is plain


def test_eval_in_another_graphs_session_is_refused():
    with tf.Graph().as_default():
        c = tf.constant(1.0)
    with tf.Session(graph=tf.Graph()).as_default(), pytest.raises(ValueError, match="graph is different"):
        c.eval()
