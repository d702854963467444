"""make_saveable_from_iterator: an iterator's position saved and restored with a Saver."""

import logging

import numpy as np
import pytest

import estflow as tf
from estflow.data.dataset_ops import Dataset as D

X = tf.data.experimental


def _graph(make_dataset, initializable=False, policy=None):
    g = tf.Graph()
    with g.as_default():
        ds = make_dataset()
        it = tf.data.make_initializable_iterator(ds) if initializable else tf.data.make_one_shot_iterator(ds)
        saveable = X.make_saveable_from_iterator(it, external_state_policy=policy)
        tf.add_to_collection(tf.GraphKeys.SAVEABLE_OBJECTS, saveable)
        tf.Variable(1.0, name="v")
        saver = tf.train.Saver()
        init = tf.global_variables_initializer()
    return g, it, saver, init, saveable


def _save_then_restore(tmp_path, make_dataset, before=2, after=3, **kwargs):
    g, it, saver, init, _ = _graph(make_dataset, **kwargs)
    nxt = it.get_next()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        if kwargs.get("initializable"):
            sess.run(it.initializer)
        [sess.run(nxt) for _ in range(before)]
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
        expected = [sess.run(nxt).tolist() for _ in range(after)]
    g, it, saver, init, _ = _graph(make_dataset, **kwargs)
    nxt = it.get_next()
    with tf.Session(graph=g) as sess:
        if kwargs.get("initializable"):
            sess.run(it.initializer)
        saver.restore(sess, path)
        return expected, [sess.run(nxt).tolist() for _ in range(after)]


@pytest.mark.parametrize("make_dataset", [
    lambda: D.range(40).batch(3),
    lambda: D.range(40).shuffle(20, seed=7).batch(3),
    lambda: D.range(20).shuffle(20).batch(3).repeat(),  # unseeded: the seed it drew is saved too
    lambda: X.RandomDataset().batch(2),
    lambda: D.range(5).map(lambda x: x * 2).repeat(),
], ids=["batch", "seeded_shuffle", "unseeded_shuffle", "unseeded_random", "map_repeat"])
def test_a_restored_iterator_continues_where_it_was_saved(tmp_path, make_dataset):
    expected, restored = _save_then_restore(tmp_path, make_dataset, before=5)
    assert restored == expected


def test_initializable_iterators_and_the_checkpoint_key(tmp_path):
    expected, restored = _save_then_restore(tmp_path, lambda: D.range(10), initializable=True)
    assert restored == expected == [2, 3, 4]
    g, it, _, _, saveable = _graph(lambda: D.range(3))
    assert saveable.name == it._iterator_resource.name == "OneShotIterator:0"
    assert [s.name for s in saveable.specs] == ["OneShotIterator:0_STATE"]
    assert it._iterator_resource in g.get_collection("iterators")
    keys = dict(tf.train.list_variables(str(tmp_path / "model.ckpt")))  # what the initializable run saved
    assert set(keys) == {"IteratorV2:0_STATE", "v"} and keys["IteratorV2:0_STATE"] == []


def test_restoring_an_uninitialized_iterator_says_to_initialize_it(tmp_path):
    g, it, saver, init, _ = _graph(lambda: D.range(4), initializable=True)
    with tf.Session(graph=g) as sess:
        sess.run([init, it.initializer])
        path = saver.save(sess, str(tmp_path / "m"))
    with tf.Session(graph=g) as sess, pytest.raises(tf.errors.FailedPreconditionError, match="run the iterator's "
                                                                                                "initializer"):
        saver.restore(sess, path)


def test_external_state_policy(tmp_path, caplog):
    def generated():
        return D.from_generator(lambda: iter(range(10)), tf.int64, [])

    g, it, saver, init, _ = _graph(generated)
    with tf.Session(graph=g) as sess:
        sess.run([init, it.get_next()])
        with pytest.raises(tf.errors.FailedPreconditionError, match="depends on external state"):
            saver.save(sess, str(tmp_path / "fail"))
    with caplog.at_level(logging.WARNING, logger="estflow"):
        expected, restored = _save_then_restore(tmp_path, generated, policy="warn")
    assert restored == expected == [2, 3, 4] and "external state" in caplog.text
    assert _save_then_restore(tmp_path, generated, policy=X.ExternalStatePolicy.IGNORE)[1] == [2, 3, 4]
    with pytest.raises(ValueError, match="Supported values include 'warn', 'ignore', and 'fail.'"):
        X.make_saveable_from_iterator(tf.data.make_one_shot_iterator(D.range(2)), "sometimes")


def test_a_checkpoint_without_an_estflow_iterator_state_is_refused(tmp_path):
    g, it, saver, init, _ = _graph(lambda: D.range(4))
    with tf.Session(graph=g) as sess:
        sess.run(init)
        sess.run(it.get_next())
        path = saver.save(sess, str(tmp_path / "m"))
    with g.as_default():
        state = tf.Variable(np.array(b"{}", dtype=object), name="s")
        bogus = tf.train.Saver({"OneShotIterator:0_STATE": state, "v": g.get_tensor_by_name("v:0")})
    with tf.Session(graph=g) as sess:
        sess.run([init, state.initializer])
        bogus_path = bogus.save(sess, str(tmp_path / "bogus"))
        sess.run(it.get_next())
        with pytest.raises(tf.errors.InvalidArgumentError, match="does not hold an estflow iterator state"):
            saver.restore(sess, bogus_path)
        saver.restore(sess, path)
        assert sess.run(it.get_next()) == 1
