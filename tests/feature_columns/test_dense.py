"""indicator, embedding and shared embedding columns: values, variables, warm start, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from tests.feature_columns import golden

fc = tf.feature_column

TABLE = np.arange(15, dtype=np.float32).reshape(5, 3) / 4


def _ids():
    return {"a": np.array([[1, 3], [4, -1], [-1, -1]]), "b": np.array([[0, -1], [2, 2], [4, -1]])}


@pytest.mark.parametrize("combiner", ["mean", "sum", "sqrtn"])
def test_embedding_combiners_against_numpy(combiner):
    col = fc.embedding_column(fc.categorical_column_with_identity("a", 5), 3, combiner=combiner,
                              initializer=tf.constant_initializer(TABLE))
    got = golden.input_layer_output([col], _ids())
    rows = [[1, 3], [4], []]
    scale = {"mean": lambda n: n, "sum": lambda n: 1, "sqrtn": lambda n: np.sqrt(n)}[combiner]
    want = [TABLE[r].sum(0) / scale(len(r)) if r else np.zeros(3) for r in rows]
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.usefixtures("g")
def test_embedding_trains_only_when_trainable():
    a = fc.categorical_column_with_identity("a", 5)
    fc.input_layer(_ids(), [fc.embedding_column(a, 2, trainable=False)])
    assert tf.trainable_variables() == [] and len(tf.global_variables()) == 1
    fc.input_layer(_ids(), [fc.embedding_column(a, 2)], trainable=False)
    assert tf.trainable_variables() == []


def test_embedding_max_norm_clips_rows():
    col = fc.embedding_column(fc.categorical_column_with_identity("a", 5), 3, combiner="sum", max_norm=1.0,
                              initializer=tf.constant_initializer(TABLE))
    got = golden.input_layer_output([col], {"a": np.array([[4]])})
    np.testing.assert_allclose(got[0], TABLE[4] / np.linalg.norm(TABLE[4]), rtol=1e-6)


def test_embedding_warm_started_from_a_checkpoint(tmp_path):
    with tf.Graph().as_default():
        tf.Variable(TABLE, name="old/table")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            path = saver.save(sess, str(tmp_path / "model"))
    col = fc.embedding_column(fc.categorical_column_with_identity("a", 5), 3, combiner="sum",
                              ckpt_to_load_from=path, tensor_name_in_ckpt="old/table")
    np.testing.assert_array_equal(golden.input_layer_output([col], {"a": np.array([[2], [0]])}), TABLE[[2, 0]])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dimension": 0}, "Invalid dimension 0"),
    ({"dimension": 2, "combiner": "max"}, "combiner must be one of"),
    ({"dimension": 2, "ckpt_to_load_from": "x"}, "Must specify both `ckpt_to_load_from` and `tensor_name_in_ckpt`"),
    ({"dimension": 2, "initializer": 3.0}, "initializer must be callable if specified. Embedding of column_name: a"),
])
def test_embedding_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fc.embedding_column(fc.categorical_column_with_identity("a", 5), **kwargs)


def test_indicator_and_embedding_need_a_categorical_column():
    with pytest.raises(ValueError, match="must be a categorical column"):
        fc.indicator_column(fc.numeric_column("x"))
    with pytest.raises(ValueError, match="must be a categorical column"):
        fc.embedding_column(fc.numeric_column("x"), 2)


def test_indicator_counts_repeated_ids():
    col = fc.indicator_column(fc.categorical_column_with_identity("b", 5))
    assert golden.input_layer_output([col], _ids()).tolist() == [[1, 0, 0, 0, 0], [0, 0, 2, 0, 0], [0, 0, 0, 0, 1]]


@pytest.mark.usefixtures("g")
def test_shared_embeddings_share_one_table():
    a, b = fc.categorical_column_with_identity("a", 5), fc.categorical_column_with_identity("b", 5)
    emb_b, emb_a = fc.shared_embedding_columns([b, a], 3, combiner="sum", initializer=tf.constant_initializer(TABLE))
    assert (emb_a.name, emb_b.name) == ("a_shared_embedding", "b_shared_embedding")
    out = fc.input_layer(_ids(), [emb_b, emb_a])
    assert [v.name for v in tf.global_variables()] == ["input_layer/a_b_shared_embedding/embedding_weights:0"]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        got = sess.run(out)
    want_a = [TABLE[[1, 3]].sum(0), TABLE[4], np.zeros(3)]
    want_b = [TABLE[0], TABLE[[2, 2]].sum(0), TABLE[4]]
    np.testing.assert_allclose(got, np.concatenate([want_a, want_b], axis=1))


def test_shared_embedding_argument_errors():
    a, b = fc.categorical_column_with_identity("a", 5), fc.categorical_column_with_identity("b", 6)
    with pytest.raises(ValueError, match="must have the same number of buckets"):
        fc.shared_embedding_columns([a, b], 2)
    with pytest.raises(ValueError, match="must have the same type"):
        fc.shared_embedding_columns([a, fc.bucketized_column(fc.numeric_column("x"), [1, 2, 3, 4])], 2)
    with pytest.raises(ValueError, match="subclasses of _CategoricalColumn"):
        fc.shared_embedding_columns([a, fc.numeric_column("x")], 2)
    with pytest.raises(ValueError, match="Invalid dimension"):
        fc.shared_embedding_columns([a], 0)
    named = fc.shared_embedding_columns([a, fc.weighted_categorical_column(a, "w")], 2,
                                        shared_embedding_collection_name="mine")
    assert {c._var_scope_name for c in named} == {"mine"}
