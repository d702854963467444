"""The protos TF1 exposes at the top level (tf.NameAttrList, tf.OptimizerOptions, tf.TensorInfo,
tf.LogMessage): estflow's messages write the bytes TF 2.15.1 writes for the same content."""

import estflow as tf


def test_name_attr_list_and_optimizer_options_bytes_are_tfs():
    named = tf.NameAttrList(name="f", attr={"T": tf.AttrValue(type=1)})
    assert named.SerializeToString().hex() == "0a016612070a015412023001"
    options = tf.OptimizerOptions(do_common_subexpression_elimination=True, opt_level=tf.OptimizerOptions.L0,
                                  global_jit_level=tf.OptimizerOptions.ON_1, max_folded_constant_in_bytes=7)
    assert options.SerializeToString().hex() == "080118ffffffffffffffffff0128013007"
    assert tf.GraphOptions(optimizer_options=options).optimizer_options.opt_level == -1
    assert tf.OptimizerOptions.FromString(bytes.fromhex("080118ffffffffffffffffff0128013007")) == options


def test_tensor_info_and_log_message_bytes_are_tfs(g):
    dense = tf.TensorInfo(name="x:0", dtype=1, tensor_shape=tf.TensorShape([None, 3]).as_proto())
    assert dense.SerializeToString().hex() == "0a03783a3010011a11120b08ffffffffffffffffff0112020803"
    sparse = tf.TensorInfo(coo_sparse=tf.TensorInfo.CooSparse(values_tensor_name="v:0", indices_tensor_name="i:0",
                                                              dense_shape_tensor_name="s:0"), dtype=9)
    assert sparse.SerializeToString().hex() == "1009220f0a03763a301203693a301a03733a30"
    assert tf.saved_model.utils.build_tensor_info(tf.placeholder(tf.float32, [None, 3], name="x")) == dense
    log = tf.LogMessage(level=tf.LogMessage.WARN, message="hi")
    assert log.SerializeToString().hex() == "081e12026869"
    assert tf.Event(log_message=log).log_message.message == "hi"
