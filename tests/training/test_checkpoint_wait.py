"""tf.train.checkpoints_iterator: new checkpoints as they appear, timeout and timeout_fn."""

import threading
import time

import estflow as tf


def _save(saver, sess, model_dir, step):
    return saver.save(sess, str(model_dir / "model.ckpt"), global_step=step)


def test_yields_each_new_checkpoint_then_times_out(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            first = _save(saver, sess, tmp_path, 1)

            def later():
                time.sleep(0.3)
                _save(saver, sess, tmp_path, 2)

            thread = threading.Thread(target=later)
            thread.start()
            seen = list(tf.train.checkpoints_iterator(str(tmp_path), timeout=1.5))
            thread.join()
    assert seen == [first, str(tmp_path / "model.ckpt-2")]


def test_timeout_fn_decides_whether_to_keep_waiting(tmp_path):
    calls = []

    def timeout_fn():
        calls.append(time.time())
        return len(calls) == 3

    start = time.time()
    assert list(tf.train.checkpoints_iterator(str(tmp_path), timeout=0.1, timeout_fn=timeout_fn)) == []
    assert len(calls) == 3 and time.time() - start < 5


def test_min_interval_spaces_the_yields(tmp_path):
    with tf.Graph().as_default():
        v = tf.Variable(1.0)
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(v.initializer)
            _save(saver, sess, tmp_path, 1)
            iterator = tf.train.checkpoints_iterator(str(tmp_path), min_interval_secs=0.5, timeout=0.1)
            next(iterator)
            _save(saver, sess, tmp_path, 2)
            start = time.time()
            assert next(iterator).endswith("model.ckpt-2")
            assert time.time() - start >= 0.4
