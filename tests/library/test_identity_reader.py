"""tf.IdentityReader: each queued work item is one record, key and value alike."""

import pytest

import estflow as tf


def test_identity_reader_outputs_each_work_item_as_key_and_value(g):
    queue = tf.FIFOQueue(10, tf.string)
    fill = queue.enqueue_many([["a", "b", "c\xff"]])
    reader = tf.IdentityReader()
    assert reader.reader_ref.op.type == "IdentityReaderV2" and not reader.supports_serialize
    key, value = reader.read(queue)
    keys, values = reader.read_up_to(queue, 5)
    produced, completed = reader.num_records_produced(), reader.num_work_units_completed()
    with tf.Session() as sess:
        sess.run(fill)
        sess.run(queue.close())
        assert sess.run([key, value]) == [b"a", b"a"]
        k, v = sess.run([keys, values])
        assert k.tolist() == v.tolist() == [b"b", "c\xff".encode()]
        assert sess.run([produced, completed]) == [3, 3]
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(key)
        sess.run(reader.reset())
        assert sess.run(produced) == 0
