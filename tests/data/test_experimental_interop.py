"""tf.data.experimental leftovers against real TensorFlow 2.15 in TF1 graph mode (interop)."""

import json

import pytest

import estflow as tf
from tests.interop import run_tensorflow

# Pipelines as expressions over `tf`, `D` (tf.data.Dataset), `X` (tf.data.experimental) and `np`.
CARDINALITY_CASES = [
    "D.range(10).batch(3)", "D.range(10).filter(lambda x: x > 3)", "D.range(4).map(lambda x: x)",
    "D.range(10).repeat().take(3)", "D.range(3).repeat().skip(2)", "D.range(0).repeat()",
    "D.zip((D.range(3).repeat(), D.range(5)))", "D.range(3).concatenate(D.range(2).repeat())",
    "D.range(10).shard(3, 1)", "D.range(5).padded_batch(2, [])", "D.range(3).repeat().enumerate()",
    "X.Counter()", "X.RandomDataset(1)", "D.range(3).filter(lambda x: True).repeat(2)",
    "D.range(4).filter(lambda x: True).apply(X.assert_cardinality(4))", "D.range(4).shuffle(3).cache().prefetch(1)",
]
ELEMENT_CASES = [
    "X.RandomDataset(seed=42).take(6)", "X.RandomDataset(seed=7).batch(3).take(2)",
    "X.from_list([(1, 'a'), (2, 'b')])", "D.range(20).apply(X.rejection_resample(lambda x: tf.cast(x % 2, tf.int32), "
    "[0.5, 0.5], [0.5, 0.5], seed=1))",
]

TF_CODE = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
D, X = tf.data.Dataset, tf.data.experimental
cards, elements = json.loads(open(sys.argv[1]).read())

def plain(v):
    if isinstance(v, (tuple, list)):
        return [plain(x) for x in v]
    v = v.tolist() if hasattr(v, "tolist") else v
    return v.decode() if isinstance(v, bytes) else v

out = {"cardinality": [], "elements": []}
with tf.Graph().as_default():
    tensors = [X.cardinality(eval(c)) for c in cards]
    with tf.Session() as s:
        out["cardinality"] = [int(v) for v in s.run(tensors)]
for case in elements:
    with tf.Graph().as_default():
        nxt = tf.data.make_one_shot_iterator(eval(case)).get_next()
        got = []
        with tf.Session() as s:
            try:
                while True:
                    got.append(plain(s.run(nxt)))
            except tf.errors.OutOfRangeError:
                pass
        out["elements"].append(got)
out["forward_compatible"] = [tf.compat.forward_compatible(2023, 10, d) for d in (8, 9, 10, 11)]
print(json.dumps(out))
"""


def _plain(v):
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    v = v.tolist() if hasattr(v, "tolist") else v
    return v.decode() if isinstance(v, bytes) else v


def _elements(case):
    with tf.Graph().as_default():
        scope = {"tf": tf, "D": tf.data.Dataset, "X": tf.data.experimental}
        nxt = tf.data.make_one_shot_iterator(eval(case, scope)).get_next()  # noqa: S307 - the table's expressions
        got = []
        with tf.Session() as sess:
            try:
                while True:
                    got.append(_plain(sess.run(nxt)))
            except tf.errors.OutOfRangeError:
                return got


@pytest.mark.interop
def test_cardinality_random_dataset_and_friends_match_tensorflow(tf_python, tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([CARDINALITY_CASES, ELEMENT_CASES]))
    expected = run_tensorflow(tf_python, TF_CODE, path)
    with tf.Graph().as_default():
        scope = {"tf": tf, "D": tf.data.Dataset, "X": tf.data.experimental}
        tensors = [tf.data.experimental.cardinality(eval(c, scope)) for c in CARDINALITY_CASES]  # noqa: S307
        with tf.Session() as sess:
            got = [int(v) for v in sess.run(tensors)]
    assert dict(zip(CARDINALITY_CASES, got, strict=True)) == dict(zip(CARDINALITY_CASES, expected["cardinality"],
                                                                      strict=True))
    # TF's exact random streams for seeded RandomDatasets; the rest element for element (a resample whose
    # target is the input's distribution keeps every element, in order)
    for case, want in zip(ELEMENT_CASES, expected["elements"], strict=True):
        assert _elements(case) == want, case
    assert [tf.compat.forward_compatible(2023, 10, d) for d in (8, 9, 10, 11)] == expected["forward_compatible"]
