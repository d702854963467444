"""Failed elements in map, filter, flat_map, interleave, repeat, take, skip, shard and prefetch.

TF's rule, for every transformation: an element that fails raises its error at its own
get_next, and the elements after it still come (nothing good is dropped, the iterator
does not end). estflow runs row-wise functions once per chunk of rows: a chunk that
fails is run again row by row, so the error lands on exactly the failing element.
"""

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes, unfused

BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def numbers_with_bad(n, bad):
    """The strings '0'..'n-1' with 'x' at the positions in `bad`, and the values expected of them."""
    text = [b"x" if i in bad else str(i).encode() for i in range(n)]
    expected = [BAD if i in bad else float(i) for i in range(n)]
    return np.array(text, dtype=object), expected


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("num_parallel_calls", [None, 4])
def test_map_error_lands_on_its_element_and_every_good_one_arrives(fused, num_parallel_calls):
    # The case: one bad element of 1,000 used to cost the rest of its 256-row chunk and end
    # the iterator (256 of 999 values); TF gives the error for that element, then the rest.
    text, expected = numbers_with_bad(1000, {300})
    ds = D.from_tensor_slices(text).map(tf.string_to_number, num_parallel_calls=num_parallel_calls)
    assert outcomes(ds if fused else unfused(ds)) == expected


@pytest.mark.parametrize("bad", [{0}, {255}, {256}, {999}, {3, 4, 5}, {0, 511, 512, 998}])
def test_map_errors_at_chunk_edges_and_in_runs(bad):
    text, expected = numbers_with_bad(1000, bad)
    assert outcomes(D.from_tensor_slices(text).map(tf.string_to_number)) == expected


def test_map_error_message_names_the_node_inside_the_function():
    ds = D.from_tensor_slices(np.array([b"x"], dtype=object)).map(tf.string_to_number)
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    with tf.Session() as sess, pytest.raises(tf.errors.InvalidArgumentError) as info:
        sess.run(nxt)
    assert "could not correctly convert string: x" in info.value.message
    assert "StringToNumber" in info.value.message  # the failing node of the map function


def test_map_after_a_failed_element_of_its_input():
    # A failure upstream passes through a later map untouched, at its position.
    text, expected = numbers_with_bad(600, {10, 400})
    ds = D.from_tensor_slices(text).map(tf.string_to_number).map(lambda v: v * 2.0)
    assert outcomes(ds) == [e if isinstance(e, tuple) else e * 2 for e in expected]


@pytest.mark.parametrize("fused", [True, False])
def test_filter_error_lands_on_its_element(fused):
    text, expected = numbers_with_bad(700, {5, 300})
    ds = D.from_tensor_slices(text).filter(lambda s: tf.string_to_number(s) >= 0.0).map(tf.string_to_number)
    ds = ds if fused else unfused(ds)
    assert outcomes(ds) == expected
    # The predicate keeps only the odd values; the errors keep their places among them.
    odd = D.from_tensor_slices(text).filter(lambda s: tf.equal(tf.floormod(tf.string_to_number(s), 2.0), 1.0))
    got = outcomes(odd if fused else unfused(odd))
    assert got == [e if isinstance(e, tuple) else str(int(e)).encode() for e in expected
                   if isinstance(e, tuple) or e % 2 == 1]


def test_repeat_goes_on_after_a_failed_element_in_each_epoch():
    text, expected = numbers_with_bad(300, {7})
    assert outcomes(D.from_tensor_slices(text).map(tf.string_to_number).repeat(3)) == expected * 3


def test_repeat_forever_of_a_dataset_whose_every_element_fails_ends():
    # TF: an epoch that produced no element ends the repetition (else it would never end).
    ds = D.from_tensor_slices(np.array([b"x", b"x"], dtype=object)).map(tf.string_to_number).repeat()
    assert outcomes(ds) == [BAD, BAD]


def test_take_skip_and_shard_count_only_good_elements():
    text, _ = numbers_with_bad(10, {2})
    mapped = D.from_tensor_slices(text).map(tf.string_to_number)
    for ds in (mapped, unfused(mapped)):
        assert outcomes(ds.take(4)) == [0.0, 1.0, BAD, 3.0, 4.0]
        assert outcomes(ds.skip(4)) == [BAD, 5.0, 6.0, 7.0, 8.0, 9.0]
        assert outcomes(ds.shard(3, 1)) == [1.0, BAD, 5.0, 8.0]


@pytest.mark.parametrize("fused", [True, False])
def test_prefetch_passes_failed_elements_on(fused):
    text, expected = numbers_with_bad(800, {1, 500})
    ds = D.from_tensor_slices(text).map(tf.string_to_number).prefetch(3)
    assert outcomes(ds if fused else unfused(ds)) == expected


def test_flat_map_inner_errors_and_function_errors():
    # An inner dataset's failed element is followed by that dataset's next ones; an element map_func
    # fails on (here: a range with step 0) gives its error, and the next input element is mapped.
    ds = D.from_tensor_slices(np.array([2, 3], np.int64)).flat_map(
        lambda n: D.from_tensor_slices(tf.stack([tf.as_string(n), "x", "7"])).map(tf.string_to_number))
    assert outcomes(ds) == [2.0, BAD, 7.0, 3.0, BAD, 7.0]
    steps = D.from_tensor_slices(np.array([1, 0, 2], np.int64)).flat_map(lambda s: D.range(0, 4, s))
    got = outcomes(steps)
    assert got[:4] == [0, 1, 2, 3] and got[4][0] is tf.errors.InvalidArgumentError
    assert "step must be a non-zero integer" in got[4][1] and got[5:] == [0, 2]


def test_interleave_errors_keep_their_place_in_the_cycle():
    # TF's InterleaveDataset: an inner element's error leaves the position as it is (the next
    # get_next asks the same inner dataset again); a failing input element leaves its slot empty.
    def inner(n):
        return D.from_tensor_slices(tf.stack([tf.as_string(n), "x", tf.as_string(n * 10)])).map(tf.string_to_number)

    ds = D.from_tensor_slices(np.array([1, 2], np.int64)).interleave(inner, cycle_length=2, block_length=1)
    assert outcomes(ds) == [1.0, 2.0, BAD, 10.0, BAD, 20.0]
    steps = D.from_tensor_slices(np.array([1, 0, 2], np.int64)).interleave(
        lambda s: D.range(0, 3, s), cycle_length=2)
    got = outcomes(steps)
    errors_at = [i for i, g in enumerate(got) if isinstance(g, tuple)]
    assert len(errors_at) == 1 and "step must be a non-zero integer" in got[errors_at[0]][1]
    assert sorted(g for g in got if not isinstance(g, tuple)) == [0, 0, 1, 2, 2]


# ---- a row-wise map over batches runs on several batches at once ------------------------------------------
def _csv_lines(n, bad=()):
    rows = [f"{i},{i * 7 % 13}.5,name{i % 5},{'>50K' if i % 3 else '<=50K'}" for i in range(n)]
    for i in bad:
        rows[i] = "x,1.0,a,b" if i % 2 else "1,2"
    return np.array([r.encode() for r in rows], dtype=object)


def _parse_batch(lines):
    age, score, name, label = tf.decode_csv(lines, record_defaults=[[0], [0.0], [""], [""]])
    return (age, score * 2.0, name), tf.reshape(tf.equal(label, ">50K"), [-1, 1])


@pytest.mark.parametrize("n,batch,bad", [(5000, 40, ()), (3001, 256, ()), (2000, 7, ()), (1500, 40, (0, 333, 1499)),
                                         (3000, 256, (1023, 1024, 2047))])
def test_map_over_batches_groups_batches_with_the_same_elements_and_errors(n, batch, bad):
    from estflow.data import transformations  # to watch the group path run

    ds = D.from_tensor_slices(_csv_lines(n, bad)).batch(batch).map(_parse_batch)
    calls = []
    original = transformations._map_batch_groups
    transformations._map_batch_groups = lambda *a: calls.append(1) or original(*a)
    try:
        grouped = outcomes(ds)
    finally:
        transformations._map_batch_groups = original
    assert calls
    expected = outcomes(unfused(ds))
    assert grouped == expected
    assert len(expected) == -(-n // batch)
    errors_at = [i for i, v in enumerate(expected) if isinstance(v, tuple)]
    assert errors_at == sorted({i // batch for i in bad})


def test_map_over_batches_shuffled_and_repeated_keeps_the_order():
    lines = _csv_lines(2000)
    ds = D.from_tensor_slices(lines).shuffle(2000, seed=3).repeat(2).batch(40).map(_parse_batch)
    got = outcomes(ds)
    assert got == outcomes(unfused(ds))
    ages = [a for value in got for a in value[0][0]]
    assert sorted(ages) == sorted(list(range(2000)) * 2) and ages[:2000] != list(range(2000))


def test_map_over_batches_gives_what_came_before_an_input_that_raises():
    def gen():
        for i in range(3000):
            if i == 2500:
                raise ValueError("source broke")
            yield str(i).encode()

    ds = D.from_generator(gen, tf.string, tf.TensorShape([])).batch(100).map(tf.string_to_number)
    got = outcomes(ds)
    assert [v for v in got if not isinstance(v, tuple)] == [[float(j) for j in range(i, i + 100)]
                                                            for i in range(0, 2500, 100)]


@pytest.mark.parametrize("fn,safe", [
    (lambda x: tf.string_to_number(x) * 2.0 + 1.0, True),
    (lambda x: tf.reshape(tf.equal(x, "a"), [-1, 1]), True),
    (lambda x: tf.reduce_sum(tf.string_to_number(x), axis=-1), False),   # over the rows
    (lambda x: tf.reshape(x, [-1, 2]), False),                            # joins rows
    (lambda x: tf.string_to_number(x) + tf.random_uniform([]), False),    # once per batch, not per group
    (lambda x: tf.string_to_number(x) + tf.constant([1.0, 2.0, 3.0, 4.0]), False),  # broadcast along the rows
    (lambda x: tf.string_to_number(x) + tf.constant([1.0]), True),
])
def test_batch_safe_functions(fn, safe):
    from estflow.data.tracing import batch_safe  # the check itself

    ds = D.from_tensor_slices(np.array([b"1"] * 8, dtype=object)).batch(4).map(fn)
    assert batch_safe(ds._fn) is safe


def test_map_over_batches_runs_batch_by_batch_where_reading_ahead_could_be_seen():
    lines = _csv_lines(2000)
    ok = D.from_tensor_slices(lines).shuffle(100, seed=1).batch(40).map(_parse_batch)
    from_python = D.from_generator(lambda: iter(lines), tf.string, tf.TensorShape([])).batch(40).map(_parse_batch)
    random_below = (D.from_tensor_slices(lines).map(lambda x: (x, tf.random_uniform([])))
                    .batch(40).map(lambda x, r: _parse_batch(x)))
    v = tf.Variable(1.0)
    reads_variable = (D.from_tensor_slices(lines).batch(40)  # read live (a mirror of the variable), once per call
                      .map(lambda x: tf.string_to_number(tf.substr(x, 0, 1)) + v.read_value()))
    from estflow.data import transformations

    assert transformations._reads_ahead_unseen(ok._input)
    assert not transformations._reads_ahead_unseen(from_python._input)
    assert not transformations._reads_ahead_unseen(random_below._input)
    from estflow.data.tracing import batch_safe  # the function's own check

    assert not batch_safe(reads_variable._fn)
    assert outcomes(from_python) == outcomes(unfused(from_python))
