"""Fixtures for the whole suite."""

import pytest

import estflow as tf


@pytest.fixture
def g():
    """A fresh graph, the default one while the test runs (a test file may define its own `g`).

    Tests that build into the default graph and check TF1's names (`Add`, `add_1`) request it,
    by argument or with `@pytest.mark.usefixtures("g")`.
    """
    graph = tf.Graph()
    with graph.as_default():
        yield graph
