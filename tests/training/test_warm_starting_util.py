"""tf.train.warm_start / VocabInfo: variable choice, sources, renames, partitions, vocabulary remapping, errors."""

import logging
import os

import numpy as np
import pytest

import estflow as tf
from estflow.training import warm_starting_util as ws

OLD = np.arange(12, dtype=np.float32).reshape(4, 3) + 1.0  # rows of the old vocabulary a, b, c, d


def _save(directory, values, name="model.ckpt", step=1, trainable=None):
    """A checkpoint of `values` ({name: array}) in `directory`; its prefix."""
    trainable = trainable or {}
    with tf.Graph().as_default():
        for var_name, value in values.items():
            tf.get_variable(var_name, initializer=np.asarray(value, np.float32),
                            trainable=trainable.get(var_name, True))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return tf.train.Saver().save(sess, os.path.join(str(directory), name), global_step=step)


def _vocab(path, tokens):
    path.write_text("".join(t + "\n" for t in tokens))
    return str(path)


def _initialized(variables):
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        return sess.run(variables)


@pytest.fixture
def ckpt(tmp_path):
    return _save(tmp_path, {"emb": OLD, "dense/kernel": np.full((3, 2), 7.0, np.float32),
                            "dense/bias": np.array([0.5, -0.5], np.float32),
                            "dense/kernel/Adagrad": np.full((3, 2), 0.1, np.float32)},
                 trainable={"dense/kernel/Adagrad": False})


def _model():
    emb = tf.get_variable("emb", shape=[4, 3], initializer=tf.zeros_initializer())
    kernel = tf.get_variable("dense/kernel", shape=[3, 2], initializer=tf.zeros_initializer())
    bias = tf.get_variable("dense/bias", shape=[2], initializer=tf.zeros_initializer())
    slot = tf.get_variable("dense/kernel/Adagrad", shape=[3, 2], initializer=tf.zeros_initializer(), trainable=False)
    return emb, kernel, bias, slot


def test_default_regex_warm_starts_every_trainable_variable_only(ckpt):
    with tf.Graph().as_default():
        emb, kernel, bias, slot = _model()
        assert ws.warm_start(ckpt) == ["dense/bias", "dense/kernel", "emb"]
        e, k, b, s = _initialized([emb, kernel, bias, slot])
    np.testing.assert_array_equal(e, OLD)
    np.testing.assert_array_equal(k, np.full((3, 2), 7.0))
    np.testing.assert_array_equal(b, [0.5, -0.5])
    np.testing.assert_array_equal(s, np.zeros((3, 2)))  # not trainable: left to its own initializer


def test_a_regex_matches_from_the_start_of_the_name(ckpt):
    with tf.Graph().as_default():
        emb, kernel, _, _ = _model()
        ws.warm_start(ckpt, vars_to_warm_start="dense/k")
        e, k = _initialized([emb, kernel])
    np.testing.assert_array_equal(e, np.zeros((4, 3)))
    np.testing.assert_array_equal(k, np.full((3, 2), 7.0))


def test_a_list_of_regexes_reaches_global_variables_and_a_list_of_variables_names_them(ckpt):
    with tf.Graph().as_default():
        emb, kernel, _, slot = _model()
        ws.warm_start(ckpt, vars_to_warm_start=["dense/kernel.*"])
        k, s, e = _initialized([kernel, slot, emb])
    np.testing.assert_array_equal(s, np.full((3, 2), 0.1, np.float32))
    np.testing.assert_array_equal(k, np.full((3, 2), 7.0))
    np.testing.assert_array_equal(e, np.zeros((4, 3)))
    with tf.Graph().as_default():
        emb, kernel, _, slot = _model()
        assert ws.warm_start(ckpt, vars_to_warm_start=[slot]) == ["dense/kernel/Adagrad"]
        s, k = _initialized([slot, kernel])
    np.testing.assert_array_equal(s, np.full((3, 2), 0.1, np.float32))
    np.testing.assert_array_equal(k, np.zeros((3, 2)))


def test_bad_vars_to_warm_start(ckpt):
    with tf.Graph().as_default():
        emb, *_ = _model()
        with pytest.raises(ValueError, match="all `Variable` or all `str`"):
            ws.warm_start(ckpt, vars_to_warm_start=[emb, "dense"])
        with pytest.raises(ValueError, match="must be a `list` or `str`"):
            ws.warm_start(ckpt, vars_to_warm_start=3)


def test_sources_a_model_dir_a_prefix_and_a_saved_model(tmp_path):
    _save(tmp_path, {"w": [1.0, 2.0]}, step=1)
    _save(tmp_path, {"w": [3.0, 4.0]}, step=2)
    saved_model = tmp_path / "export" / "123"
    (saved_model / "variables").mkdir(parents=True)
    _save(saved_model / "variables", {"w": [5.0, 6.0]}, name="variables", step=None)
    for source, expected in ((str(tmp_path), [3.0, 4.0]), (str(tmp_path / "model.ckpt-1"), [1.0, 2.0]),
                             (str(saved_model), [5.0, 6.0])):
        with tf.Graph().as_default():
            w = tf.get_variable("w", shape=[2])
            ws.warm_start(source)
            np.testing.assert_array_equal(_initialized(w), expected)
    with tf.Graph().as_default():
        tf.get_variable("w", shape=[2])
        with pytest.raises(ValueError, match="no checkpoint"):
            ws.warm_start(str(tmp_path / "export"))
        with pytest.raises(ValueError, match=r"model.ckpt-9.index does not exist"):
            ws.warm_start(str(tmp_path / "model.ckpt-9"))


def test_the_checkpoint_is_read_when_the_initializers_run(tmp_path):
    _save(tmp_path, {"w": [1.0, 2.0]}, step=1)
    with tf.Graph().as_default():
        w = tf.get_variable("w", shape=[2])
        ws.warm_start(str(tmp_path / "model.ckpt-1"))
        _save(tmp_path, {"w": [8.0, 9.0]}, step=1)  # rewritten before the session starts
        np.testing.assert_array_equal(_initialized(w), [8.0, 9.0])


def test_prev_var_name_renames_and_unused_keys_are_errors(ckpt):
    with tf.Graph().as_default():
        new = tf.get_variable("new/kernel", shape=[3, 2])
        ws.warm_start(ckpt, vars_to_warm_start="new/", var_name_to_prev_var_name={"new/kernel": "dense/kernel"})
        np.testing.assert_array_equal(_initialized(new), np.full((3, 2), 7.0))
    with tf.Graph().as_default():
        _model()
        with pytest.raises(ValueError, match=r"var_name_to_prev_var_name that were not used: \['dense/kernal'\]"
                                             r".*viable variable names: \['dense/bias', 'dense/kernel', 'emb'\]"):
            ws.warm_start(ckpt, var_name_to_prev_var_name={"dense/kernal": "dense/kernel"})
        info = ws.VocabInfo(__file__, 1, 0, __file__)
        with pytest.raises(ValueError, match=r"var_name_to_vocab_info that were not used: \['dense/kernel/Adagrad'\]"):
            ws.warm_start(ckpt, var_name_to_vocab_info={"dense/kernel/Adagrad": info})  # not trainable
        with pytest.raises(TypeError, match="must be a tf.estimator.VocabInfo"):
            ws.warm_start(ckpt, var_name_to_vocab_info={"emb": {"new_vocab": "x"}})


def test_a_missing_tensor_names_the_variable_and_near_matches(ckpt):
    with tf.Graph().as_default():
        tf.get_variable("dense/kernels", shape=[3, 2])
        with pytest.raises(ValueError, match=r"variable 'dense/kernels': tensor 'dense/kernels' is not in checkpoint "
                                             r".*Near matches in the checkpoint: \['dense/kernel'"):
            ws.warm_start(ckpt)
    with tf.Graph().as_default():
        tf.get_variable("b", shape=[2])
        with pytest.raises(ValueError, match=r"tensor 'dense/biass' \(the prev_var_name of 'b'\) is not in"):
            ws.warm_start(ckpt, var_name_to_prev_var_name={"b": "dense/biass"})


def test_a_shape_mismatch_names_both_shapes(ckpt):
    with tf.Graph().as_default():
        tf.get_variable("dense/kernel", shape=[4, 2])
        with pytest.raises(ValueError, match=r"'dense/kernel' of shape \[4, 2\] from tensor 'dense/kernel' of shape "
                                             r"\[3, 2\]"):
            ws.warm_start(ckpt)


def test_partitions_take_their_rows_of_the_whole_tensor_or_their_own_parts(tmp_path):
    whole = np.arange(10, dtype=np.float32).reshape(5, 2)
    _save(tmp_path / "a", {"x": whole})
    _save(tmp_path / "b", {"x/part_0": whole[:3], "x/part_1": whole[3:]})
    for source in ("a", "b"):
        with tf.Graph().as_default():
            p0 = tf.get_variable("x/part_0", shape=[3, 2])
            p1 = tf.get_variable("x/part_1", shape=[2, 2])
            assert ws.warm_start(str(tmp_path / source)) == ["x"]
            v0, v1 = _initialized([p0, p1])
        np.testing.assert_array_equal(np.concatenate([v0, v1]), whole)
    with tf.Graph().as_default():
        tf.get_variable("x/part_0", shape=[3, 2])
        tf.get_variable("x/part_1", shape=[3, 2])
        with pytest.raises(ValueError, match=r"shape \[6, 2\] from tensor 'x' of shape \[5, 2\].*stacked"):
            ws.warm_start(str(tmp_path / "a"))
    with tf.Graph().as_default():  # a lone partition saved under its own name
        p0 = tf.get_variable("x/part_0", shape=[3, 2])
        ws.warm_start(str(tmp_path / "b"), vars_to_warm_start=[p0])
        np.testing.assert_array_equal(_initialized(p0), whole[:3])


# ---- vocabularies ----------------------------------------------------------------------------------------------
def _remapped(rows_or_cols, old, missing_values, axis=0):
    """Hand-computed expectation: old slices by remap index, missing ones from `missing_values` row-major."""
    old = np.moveaxis(old, axis, 0)
    out = np.zeros((len(rows_or_cols),) + old.shape[1:], old.dtype)
    for i, j in enumerate(rows_or_cols):
        if j >= 0:
            out[i] = old[j]
    out = np.moveaxis(out, 0, axis)
    mask = np.moveaxis(np.broadcast_to((np.asarray(rows_or_cols) < 0)[:, None], (len(rows_or_cols),) + old.shape[1:]),
                       0, axis)
    out[mask] = missing_values  # boolean assignment fills in row-major order, as LoadAndRemapMatrix does
    return out


def _counting_initializer(shape, dtype=None, partition_info=None):
    """100, 101, ... : shows which missing value went where."""
    return tf.constant(np.arange(100, 100 + shape[0], dtype=np.float32))


def test_rows_follow_their_tokens_new_ones_and_oov_buckets_get_the_backup_initializer(ckpt, tmp_path):
    old = _vocab(tmp_path / "old.txt", ["a", "b", "c", "d"])
    new = _vocab(tmp_path / "new.txt", ["c", "z", "a", "d", "unused"])
    info = ws.VocabInfo(new, new_vocab_size=4, num_oov_buckets=2, old_vocab=old,
                        backup_initializer=_counting_initializer)
    with tf.Graph().as_default():
        emb = tf.get_variable("emb", shape=[6, 3])
        ws.warm_start(ckpt, vars_to_warm_start=None, var_name_to_vocab_info={"emb": info})
        value = _initialized(emb)
    # new rows: c->2, z->new, a->0, d->3, oov, oov; 3 missing rows x 3 columns = 9 backup values
    expected = _remapped([2, -1, 0, 3, -1, -1], OLD, np.arange(100, 109))
    np.testing.assert_array_equal(value, expected)
    assert value[1].tolist() == [100, 101, 102] and value[5].tolist() == [106, 107, 108]


def test_old_vocab_size_limits_the_old_tokens_and_zeros_are_the_default_backup(ckpt, tmp_path):
    old = _vocab(tmp_path / "old.txt", ["a", "b", "c", "d"])
    new = _vocab(tmp_path / "new.txt", ["d", "b"])
    with tf.Graph().as_default():
        emb = tf.get_variable("emb", shape=[2, 3])
        ws.warm_start(ckpt, vars_to_warm_start="emb",
                      var_name_to_vocab_info={"emb": ws.VocabInfo(new, 2, 0, old, old_vocab_size=3)})
        value = _initialized(emb)
    np.testing.assert_array_equal(value, np.stack([np.zeros(3), OLD[1]]))  # d is beyond the first 3 old tokens


def test_columns_are_remapped_along_axis_1(tmp_path):
    old_kernel = np.arange(6, dtype=np.float32).reshape(2, 3)  # classes cat, dog, eel
    ckpt = _save(tmp_path, {"logits/kernel": old_kernel})
    old = _vocab(tmp_path / "old.txt", ["cat", "dog", "eel"])
    new = _vocab(tmp_path / "new.txt", ["eel", "fox", "cat"])
    info = ws.VocabInfo(new, 3, 1, old, backup_initializer=_counting_initializer, axis=1)
    with tf.Graph().as_default():
        kernel = tf.get_variable("logits/kernel", shape=[2, 4])
        ws.warm_start(ckpt, var_name_to_vocab_info={"logits/kernel": info})
        value = _initialized(kernel)
    expected = _remapped([2, -1, 0, -1], old_kernel, np.arange(100, 104), axis=1)
    np.testing.assert_array_equal(value, expected)
    assert value[0].tolist() == [2, 100, 0, 101] and value[1].tolist() == [5, 102, 3, 103]


def test_vocab_remapping_spans_partitions(ckpt, tmp_path):
    old = _vocab(tmp_path / "old.txt", ["a", "b", "c", "d"])
    new = _vocab(tmp_path / "new.txt", ["d", "c", "b", "a", "e"])
    with tf.Graph().as_default():
        p0 = tf.get_variable("emb/part_0", shape=[3, 3])
        p1 = tf.get_variable("emb/part_1", shape=[2, 3])
        ws.warm_start(ckpt, vars_to_warm_start=None, var_name_to_vocab_info={"emb": ws.VocabInfo(new, 5, 0, old)})
        v0, v1 = _initialized([p0, p1])
    np.testing.assert_array_equal(np.concatenate([v0, v1]), np.concatenate([OLD[::-1], np.zeros((1, 3))]))


def test_vocab_errors_say_what_disagrees(ckpt, tmp_path):
    old = _vocab(tmp_path / "old.txt", ["a", "b", "c", "d"])
    new = _vocab(tmp_path / "new.txt", ["a", "b"])
    big_old = _vocab(tmp_path / "big.txt", ["a", "b", "c", "d", "e"])
    with pytest.raises(ValueError, match="only supported values for the axis argument are 0 and 1"):
        ws.VocabInfo(new, 2, 0, old, axis=2)
    cases = [
        ([3, 3], ws.VocabInfo(new, 2, 0, old), r"shape \[3, 3\] from tensor .emb. of shape \[4, 3\].*: dimension 0 "
                                               r"of the variable must be new_vocab_size \+ num_oov_buckets = 2 \+ 0"),
        ([2, 2], ws.VocabInfo(new, 2, 0, old), r"must agree on every dimension but the vocabulary's \(0\)"),
        ([3, 3], ws.VocabInfo(new, 3, 0, old), r"new vocabulary file .*new.txt has 2 lines, fewer than the "
                                               r"new_vocab_size 3"),
        ([2, 3], ws.VocabInfo(new, 2, 0, big_old), r"old vocabulary .*big.txt has 5 tokens but the checkpoint's "
                                                   r"dimension 0 only 4"),
        ([2, 3], ws.VocabInfo(new, 2, 0, str(tmp_path / "nope.txt")), r"Cannot read the old vocabulary file"),
    ]
    for shape, info, message in cases:
        with tf.Graph().as_default():
            tf.get_variable("emb", shape=shape)
            with pytest.raises(ValueError, match=message):
                ws.warm_start(ckpt, var_name_to_vocab_info={"emb": info})


def test_each_warm_started_variable_is_logged_with_its_source(ckpt, tmp_path, caplog):
    old = _vocab(tmp_path / "old.txt", ["a", "b", "c", "d"])
    new = _vocab(tmp_path / "new.txt", ["b", "q", "a", "d"])
    with tf.Graph().as_default():
        tf.get_variable("emb", shape=[4, 3])
        tf.get_variable("k2", shape=[3, 2])
        with caplog.at_level(logging.INFO, logger="tensorflow"):
            ws.warm_start(ckpt, var_name_to_vocab_info={"emb": ws.VocabInfo(new, 4, 0, old)},
                          var_name_to_prev_var_name={"k2": "dense/kernel"})
    lines = [r.getMessage() for r in caplog.records if r.name == "tensorflow"]
    assert lines[0] == f"Warm-starting from: {ckpt}"
    assert lines[1] == ("Warm-starting variable: emb; prev_var_name: Unchanged; vocab_info: "
                        f"VocabInfo(new_vocab={new}, new_vocab_size=4, num_oov_buckets=0, old_vocab={old}, "
                        "old_vocab_size=-1, backup_initializer=None, axis=0); from: emb; 3 of 4 rows from the old "
                        "vocabulary, 1 from backup_initializer")
    assert lines[2] == "Warm-starting variable: k2; prev_var_name: dense/kernel; vocab_info: None; from: dense/kernel"
    assert lines[3] == "Warm-started 2 variables."


def test_tf_namespaces_export_it():
    assert tf.train.warm_start is ws.warm_start
    assert tf.train.VocabInfo is ws.VocabInfo is tf.estimator.VocabInfo
    info = tf.estimator.VocabInfo("new.txt", 3, 1, "old.txt")
    assert (info.old_vocab_size, info.backup_initializer, info.axis) == (-1, None, 0)
