"""Partitioned variables: TF1's partitioners, get_variable(partitioner=...), PartitionedVariable,
create_partitioned_variables, sharded embedding lookups, training, and checkpoints TF restores."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.partitioned_variables import PartitionedVariable, partition_slices
from tests.interop import run_tensorflow

FULL = np.arange(15, dtype=np.float32).reshape(5, 3)


def test_partitioners_compute_tfs_lists():
    shape = tf.TensorShape([10, 4])
    assert tf.fixed_size_partitioner(3)(shape, tf.float32) == [3, 1]
    assert tf.fixed_size_partitioner(20)(shape, tf.float32) == [10, 1]
    assert tf.fixed_size_partitioner(2, axis=1)(shape, tf.float32) == [1, 2]
    assert tf.variable_axis_size_partitioner(64)(shape, tf.float32) == [3, 1]  # 16 bytes a row, 4 rows a shard
    assert tf.variable_axis_size_partitioner(64, max_shards=2)(shape, tf.float32) == [2, 1]
    assert tf.variable_axis_size_partitioner(64, bytes_per_string_element=32)(shape, tf.string) == [10, 1]
    assert tf.min_max_variable_partitioner(4, min_slice_size=32)(shape, tf.float32) == [4, 1]
    assert tf.min_max_variable_partitioner(4)(shape, tf.float32) == [1, 1]  # 160 bytes < 256 KiB
    with pytest.raises(ValueError, match="must be positive"):
        tf.variable_axis_size_partitioner(0)
    with pytest.raises(ValueError, match="Can not partition variable along axis 2"):
        tf.min_max_variable_partitioner(2, axis=2)(shape, tf.float32)
    assert partition_slices([5, 3], [2, 1]) == [([0, 0], [3, 3]), ([3, 0], [2, 3])]  # the first part is larger


def test_get_variable_with_a_partitioner_makes_parts_with_slice_info(g):
    w = tf.get_variable("w", [5, 3], initializer=FULL, partitioner=tf.fixed_size_partitioner(2))
    assert isinstance(w, PartitionedVariable) and len(w) == 2 and w.get_shape().as_list() == [5, 3]
    parts = list(w)
    assert [v.name for v in parts] == ["w/part_0:0", "w/part_1:0"]
    assert [v._save_slice_info.spec for v in parts] == ["5 3 0,3:0,3", "5 3 3,2:0,3"]
    assert tf.global_variables() == parts and tf.trainable_variables() == parts
    with tf.variable_scope("", reuse=True):
        assert tf.get_variable("w", [5, 3], partitioner=tf.fixed_size_partitioner(2)) is w
    with pytest.raises(ValueError, match="already exists"):
        tf.get_variable("w", [5, 3], partitioner=tf.fixed_size_partitioner(2))
    with pytest.raises(ValueError, match="found: w/part_0"):
        tf.get_variable("w", [5, 3])
    with pytest.raises(ValueError, match="specified partitions"), tf.variable_scope("", reuse=True):
        tf.get_variable("w", [5, 3], partitioner=tf.fixed_size_partitioner(3))
    whole = tf.convert_to_tensor(w)
    assert whole.op.name == "w" and whole.op.inputs[0].op.name == "w/ConcatPartitions/concat"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(whole), FULL)
        sess.run(w.assign(FULL * 2))
        np.testing.assert_array_equal(sess.run(w.as_tensor()), FULL * 2)


def test_a_partitioned_variable_needs_its_shape_as_in_tf(g):
    with pytest.raises(ValueError, match="must be fully defined"):
        tf.get_variable("w", initializer=FULL, partitioner=tf.fixed_size_partitioner(2))


def test_variable_scope_partitioner_and_initializers_see_the_full_shape(g):
    with tf.variable_scope("scope", partitioner=tf.fixed_size_partitioner(4)):
        v = tf.get_variable("v", [8, 100], initializer=tf.glorot_uniform_initializer(seed=1))
        single = tf.get_variable("single", [3], partitioner=lambda shape, dtype: [1])  # one part: a plain variable
    assert [p.name for p in v] == [f"scope/v/part_{i}:0" for i in range(4)] and single.name == "scope/single:0"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        values = sess.run(v.as_tensor())
    limit = np.sqrt(6.0 / (8 + 100))  # the full variable's fans, not a part's
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.8 * limit


def test_create_partitioned_variables(g):
    parts = tf.create_partitioned_variables([6, 2], [3, 1], tf.ones_initializer(), name="emb")
    assert [p.name for p in parts] == ["emb/part_0:0", "emb/part_1:0", "emb/part_2:0"]
    one = tf.create_partitioned_variables([4], [1], tf.zeros_initializer())
    assert [p.name for p in one] == ["PartitionedVariable/part_0:0"]
    with pytest.raises(ValueError, match="must have the length"):
        tf.create_partitioned_variables([4, 2], [2], tf.zeros_initializer())
    with pytest.raises(ValueError, match="only slice a variable along one dimension"):
        tf.create_partitioned_variables([4, 2], [2, 2], tf.zeros_initializer(), name="two_axes")


@pytest.mark.parametrize("strategy", ["mod", "div"])
def test_embedding_lookup_over_the_parts_and_training_updates_each(g, strategy):
    table = np.arange(20, dtype=np.float32).reshape(10, 2)
    emb = tf.get_variable("emb", [10, 2], initializer=table, partitioner=tf.fixed_size_partitioner(3))
    ids = tf.constant([0, 4, 9, 4])
    rows = tf.nn.embedding_lookup(emb, ids, partition_strategy=strategy)
    train = tf.train.GradientDescentOptimizer(1.0).minimize(tf.reduce_sum(rows))
    parts = [table[o[0]:o[0] + n[0]] for o, n in partition_slices([10, 2], [3, 1])]  # rows 0-3, 4-6, 7-9
    if strategy == "mod":  # id i: part i % 3, row i // 3
        expected = [parts[i % 3][i // 3] for i in (0, 4, 9, 4)]
    else:  # id i: the part holding row i of the concatenation
        expected = table[[0, 4, 9, 4]]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(rows), expected)
        sess.run(train)
        after = sess.run(emb.as_tensor())
    changed = np.nonzero((after != table).any(axis=1))[0]
    assert len(changed) == 3  # only the looked-up rows moved, in whichever part holds them


def test_saver_writes_one_full_tensor_and_restores_the_parts(g, tmp_path):
    w = tf.get_variable("w", [5, 3], initializer=FULL, partitioner=tf.fixed_size_partitioner(2))
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = saver.save(sess, str(tmp_path / "model.ckpt"))
    assert tf.train.list_variables(path) == [("w", [5, 3])]
    np.testing.assert_array_equal(tf.train.load_variable(path, "w"), FULL)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(w.assign(np.zeros_like(FULL)))
        saver.restore(sess, path)
        np.testing.assert_array_equal(sess.run(w.as_tensor()), FULL)
    with tf.Graph().as_default():  # the same checkpoint restores into an unpartitioned variable
        plain = tf.get_variable("w", [5, 3])
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, path)
            np.testing.assert_array_equal(sess.run(plain), FULL)
    with tf.Graph().as_default():  # and into three parts
        three = tf.get_variable("w", [5, 3], partitioner=tf.fixed_size_partitioner(3))
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, path)
            np.testing.assert_array_equal(sess.run(three.as_tensor()), FULL)
    with pytest.raises(ValueError, match="cover 3 of its 5 rows"):
        tf.train.Saver([list(w)[0]])


_TF_RESTORE = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
w = tf.get_variable("w", [5, 3], partitioner=tf.fixed_size_partitioner(2))
with tf.Session() as sess:
    tf.train.Saver().restore(sess, sys.argv[1])
    value = sess.run(tf.convert_to_tensor(w))
reader = tf.train.NewCheckpointReader(sys.argv[1])
print(json.dumps({"value": value.tolist(), "shapes": reader.get_variable_to_shape_map()}))
"""


@pytest.mark.interop
def test_tensorflow_restores_the_checkpoint_into_its_partitioned_variable(g, tmp_path, tf_python):
    w = tf.get_variable("w", [5, 3], initializer=FULL, partitioner=tf.fixed_size_partitioner(2))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        path = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    out = run_tensorflow(tf_python, _TF_RESTORE, path)
    assert out["value"] == FULL.tolist() and out["shapes"] == {"w": [5, 3]}
    assert w is not None


def test_optimizer_slots_of_the_parts_are_saved_whole(g, tmp_path):
    w = tf.get_variable("w", [5, 3], initializer=FULL, partitioner=tf.fixed_size_partitioner(2))
    train = tf.train.AdamOptimizer(0.1).minimize(tf.reduce_sum(tf.convert_to_tensor(w)))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(train)
        path = tf.train.Saver().save(sess, str(tmp_path / "model.ckpt"))
    names = dict(tf.train.list_variables(path))
    assert names["w/Adam"] == [5, 3] and names["w/Adam_1"] == [5, 3] and "w/part_0/Adam" not in names
    np.testing.assert_allclose(tf.train.load_variable(path, "w/Adam"), np.full((5, 3), 0.1), rtol=1e-5)
