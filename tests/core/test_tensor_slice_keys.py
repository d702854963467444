"""Reading TF's partitioned checkpoints: slice keys encoded as TF's OrderedCode, slices assembled."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import checkpoint_bundle, tensor_slice_keys
from tests import FIXTURES
from tests.interop import run_tensorflow

TF_PARTITIONED = FIXTURES / "checkpoint_bundle" / "tf_partitioned" / "model.ckpt"
FULL = np.arange(15, dtype=np.float32).reshape(5, 3)


def test_slice_keys_are_tfs_ordered_code():
    # The two keys TF 2.15.1 wrote for w's slices (tests/fixtures/checkpoint_bundle/tf_partitioned).
    assert tensor_slice_keys.slice_key("w", [(0, 3), (0, 3)]) == b"\x00w\x00\x01\x01\x02\x80\x83\x80\x83"
    assert tensor_slice_keys.slice_key("w", [(3, 2), (0, 3)]) == b"\x00w\x00\x01\x01\x02\x83\x82\x80\x83"
    assert tensor_slice_keys.slice_key("a\x00b", [(0, -1)]) == b"\x00a\x00\xffb\x00\x01\x01\x01\x80\x7f"
    assert tensor_slice_keys._signed_num_increasing(64) == b"\xc0\x40"  # two bytes from 64 on
    assert tensor_slice_keys._signed_num_increasing(-65) == b"\x3f\xbf"


def test_a_tf_partitioned_checkpoint_reads_and_restores():
    reader = checkpoint_bundle.BundleReader(str(TF_PARTITIONED))
    assert reader.keys() == ["b", "s", "w"]  # the slices' data entries are not tensors of their own
    np.testing.assert_array_equal(reader.get_tensor("w"), FULL)
    assert reader.get_tensor("s").tolist() == [b"a", b"bb", b"ccc"]
    with tf.Graph().as_default():
        w = tf.get_variable("w", [5, 3], partitioner=tf.fixed_size_partitioner(3))  # other parts than TF's
        s = tf.get_variable("s", [3], dtype=tf.string)  # unpartitioned here
        b = tf.get_variable("b", [2])
        with tf.Session() as sess:
            tf.train.Saver().restore(sess, str(TF_PARTITIONED))
            got_w, got_s, got_b = sess.run([w.as_tensor(), s, b])
    np.testing.assert_array_equal(got_w, FULL)
    assert got_s.tolist() == [b"a", b"bb", b"ccc"] and got_b.tolist() == [1.0, 1.0]


_TF_WRITE = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
def init(shape, dtype=None, partition_info=None):
    start = partition_info.var_offset[0]
    return tf.constant(np.arange(start, start + shape[0], dtype=np.float32))
big = tf.get_variable("big", [70000], initializer=init, partitioner=tf.fixed_size_partitioner(3))
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    tf.train.Saver().save(sess, sys.argv[1])
print(json.dumps({}))
"""


@pytest.mark.interop
def test_large_slice_offsets_use_multibyte_keys_as_tf(tmp_path, tf_python):
    prefix = str(tmp_path / "model.ckpt")
    run_tensorflow(tf_python, _TF_WRITE, prefix)
    value = checkpoint_bundle.BundleReader(prefix).get_tensor("big")  # offsets 23334 and 46667: 3-byte keys
    np.testing.assert_array_equal(value, np.arange(70000, dtype=np.float32))
