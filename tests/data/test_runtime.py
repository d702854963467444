"""runtime.py: failed elements (ElementError) kept in place by chunk grouping and re-cutting."""

import numpy as np

from estflow.core import errors
from estflow.data import runtime
from estflow.data.runtime import ElementError, Rechunker, group_chunks, rows_of_chunks


def failed(tag):
    return ElementError(errors.InvalidArgumentError(None, None, tag))


def flatten(items):
    """Rows as ints and failures as their message, in stream order."""
    out = []
    for item in items:
        if runtime.is_error(item):
            out.append(item.error.message)
        else:
            out.extend(item[0].tolist())
    return out


def chunk(*values):
    return [np.array(values, np.int64)]


def test_group_chunks_splits_around_failed_elements():
    elements = [[np.int64(i)] for i in range(7)]
    elements[2:2] = [failed("a")]
    elements.append(failed("b"))
    groups = list(group_chunks(iter(elements), 3))
    assert flatten(groups) == [0, 1, "a", 2, 3, 4, 5, 6, "b"]
    assert [len(g[0]) if not runtime.is_error(g) else "E" for g in groups] == [2, "E", 3, 2, "E"]


def test_rows_of_chunks_keeps_failures_in_place():
    rows = list(rows_of_chunks([chunk(0, 1), failed("a"), chunk(2)]))
    assert [r if runtime.is_error(r) else int(r[0]) for r in rows][:2] == [0, 1]
    assert runtime.is_error(rows[2]) and int(rows[3][0]) == 2


def test_rechunker_stops_before_a_failure_and_gives_it_alone():
    stream = Rechunker(iter([chunk(0, 1, 2), failed("a"), chunk(3, 4), chunk(5, 6, 7), chunk(), failed("b")]))
    assert stream.available(10) == 3
    assert stream.take(5)[0].tolist() == [0, 1, 2]  # fewer rows: the failure comes next
    assert stream.available(10) == 0
    assert stream.take(5).error.message == "a"
    assert stream.available(4) == 4 and stream.available(10) == 5
    assert stream.take(4)[0].tolist() == [3, 4, 5, 6]  # across chunks
    assert stream.take(4)[0].tolist() == [7]  # an empty chunk is skipped, then the failure
    assert stream.take(4).error.message == "b"
    assert stream.take(4) is None


def test_rechunker_rows_of_differing_shapes_are_a_failed_batch():
    stream = Rechunker(iter([[np.zeros((1, 2))], [np.zeros((1, 3))], [np.zeros((1, 3))]]))
    result = stream.take(2)
    assert runtime.is_error(result) and "Cannot batch tensors with different shapes" in result.error.message
    assert stream.take(2)[0].shape == (1, 3)  # the rows after it still come
