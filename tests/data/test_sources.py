"""Failed elements from sources: from_generator's values and exceptions (sys.exit included), zip, concatenate."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D
from tests.data._outcomes import outcomes

REPO = Path(__file__).resolve().parent.parent.parent
BAD = (tf.errors.InvalidArgumentError, "StringToNumberOp could not correctly convert string: x")


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as g:
        yield g


def test_generator_value_of_the_wrong_type_or_shape_fails_alone():
    # TF's from_generator checks each value as it comes: the error is that value's, and the
    # generator, which did not fail itself, goes on.
    def gen():
        for i in range(600):
            if i == 100:
                yield "not a number"
            elif i == 400:
                yield [i, i]
            else:
                yield i

    got = outcomes(D.from_generator(gen, tf.int64, tf.TensorShape([])))
    assert got[:100] == list(range(100)) and got[101:400] == list(range(101, 400))
    assert got[401:] == list(range(401, 600))
    assert got[100][0] is tf.errors.InvalidArgumentError
    assert got[100][1].startswith("TypeError: `generator` yielded an element that could not be converted to the "
                                  "expected type. The expected type was int64, but the yielded element was "
                                  "'not a number'.")
    assert got[400] == (tf.errors.InvalidArgumentError,
                        "`generator` yielded an element of shape (2,) where an element of shape () was expected.")


def test_generator_value_of_the_wrong_structure_fails_alone():
    def gen():
        yield (1, "a")
        yield 2
        yield (3, "c")

    got = outcomes(D.from_generator(gen, (tf.int64, tf.string)))
    assert got[0] == [1, b"a"] and got[2] == [3, b"c"] and len(got) == 3
    assert got[1][0] is tf.errors.InvalidArgumentError and "did not match the expected structure" in got[1][1]


def test_generator_that_raises_ends_after_its_error_and_a_repeat_starts_it_again():
    # A Python generator that raised is finished: TF asks it for the next value and gets the end.
    def gen():
        yield 1
        yield 2
        raise KeyError("boom")

    got = outcomes(D.from_generator(gen, tf.int64).repeat(2))
    assert got == [1, 2, (tf.errors.UnknownError, "KeyError: 'boom'")] * 2


def test_sys_exit_in_a_generator_is_an_error_not_the_end_of_the_process():
    # TF's py_func reports SystemExit like any exception it has no class for: UnknownError.
    def gen():
        yield 1
        sys.exit(3)

    nxt = tf.data.make_one_shot_iterator(D.from_generator(gen, tf.int64)).get_next()
    with tf.Session() as sess:
        assert sess.run(nxt) == 1
        with pytest.raises(tf.errors.UnknownError, match="SystemExit: 3"):
            sess.run(nxt)
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(nxt)


def test_sys_exit_in_a_generator_leaves_the_process_running():
    # The same in a process of its own, whose exit status would be 3 if the generator ended it.
    program = textwrap.dedent("""
        import sys
        import estflow as tf

        def gen():
            yield 1
            sys.exit(3)
            yield 2

        nxt = tf.data.make_one_shot_iterator(tf.data.Dataset.from_generator(gen, tf.int64)).get_next()
        with tf.Session() as sess:
            print(sess.run(nxt))
            try:
                sess.run(nxt)
            except tf.errors.UnknownError as e:
                print(type(e).__name__)
        print("still running")
    """)
    done = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n{program}"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["1", "UnknownError", "still running"]


def test_zip_takes_one_element_from_each_input_in_turn_as_tf():
    # A failure in the first input: the error, nothing taken from the second at that step. A failure
    # in the second: the first input's element of that step goes with it (TF's ZipDataset).
    text = np.array([b"0", b"1", b"x", b"3", b"4"], dtype=object)
    first = D.from_tensor_slices(text).map(tf.string_to_number)
    second = D.range(100, 105)
    assert outcomes(D.zip((first, second))) == [[0.0, 100], [1.0, 101], BAD, [3.0, 102], [4.0, 103]]
    assert outcomes(D.zip((second, first))) == [[100, 0.0], [101, 1.0], BAD, [103, 3.0], [104, 4.0]]


def test_zip_per_element_path_matches():
    def gen():
        yield from (b"0", b"x", b"2")

    first = D.from_generator(gen, tf.string).map(tf.string_to_number)
    assert outcomes(D.zip((first, D.range(3)))) == [[0.0, 0], BAD, [2.0, 1]]
    assert outcomes(D.zip((D.range(3), first))) == [[0, 0.0], BAD, [2, 2.0]]


def test_concatenate_goes_on_past_a_failed_element():
    text = np.array([b"0", b"x"], dtype=object)
    ds = D.from_tensor_slices(text).map(tf.string_to_number).concatenate(D.from_tensor_slices(np.float32([7, 8])))
    assert outcomes(ds) == [0.0, BAD, 7.0, 8.0]


def test_generator_function_that_fails_when_called_fails_at_the_first_get_next():
    # TF calls the generator function inside its py_func, at the first get_next: no error at
    # initialization, sys.exit included.
    def not_a_generator():
        sys.exit("no data")

    assert outcomes(D.from_generator(not_a_generator, tf.int64)) == [(tf.errors.UnknownError, "SystemExit: no data")]
    assert outcomes(D.from_generator(lambda: 5, tf.int64)) == [
        (tf.errors.InvalidArgumentError, "TypeError: 'int' object is not iterable")]
