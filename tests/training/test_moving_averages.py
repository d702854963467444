"""tf.train.ExponentialMovingAverage (estflow/training/moving_averages.py)."""

import numpy as np
import pytest

import estflow as tf


@pytest.mark.usefixtures("g")
def test_variables_average_from_their_initial_value():
    w = tf.Variable(1.0, name="w")
    ema = tf.train.ExponentialMovingAverage(0.9)
    update = ema.apply([w])
    shadow = ema.average(w)
    assert shadow.op.name == "w/ExponentialMovingAverage" and ema.average_name(w) == "w/ExponentialMovingAverage"
    assert shadow not in tf.trainable_variables() and shadow in tf.global_variables()
    assert tf.moving_average_variables() == [w] and ema.name == "ExponentialMovingAverage"
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(w, 2.0))
        sess.run(update)
        assert np.isclose(sess.run(shadow), 1.1)
        sess.run(update)
        assert np.isclose(sess.run(shadow), 1.19)
    with pytest.raises(ValueError, match="already computed"):
        ema.apply([w])
    assert ema.average(tf.Variable(0.0)) is None


@pytest.mark.usefixtures("g")
def test_tensors_are_zero_debiased_and_num_updates_caps_the_decay():
    x = tf.placeholder(tf.float32, [], name="x")
    ema = tf.train.ExponentialMovingAverage(0.9)
    update = ema.apply([x])
    capped = tf.train.ExponentialMovingAverage(0.999, num_updates=tf.constant(0))
    v = tf.Variable(0.0, name="v")
    capped_update = capped.apply([v])
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(update, {x: 5.0})
        assert np.isclose(sess.run(ema.average(x)), 5.0)  # debiased: the first value itself
        sess.run(update, {x: 3.0})
        assert np.isclose(sess.run(ema.average(x)), (0.09 * 5 + 0.1 * 3) / (1 - 0.81))
        sess.run(tf.assign(v, 10.0))
        sess.run(capped_update)
        assert np.isclose(sess.run(capped.average(v)), 9.0)  # decay min(0.999, 1/10)
    with pytest.raises(TypeError, match="half, float, or double"):
        ema.apply([tf.Variable(1)])


@pytest.mark.usefixtures("g")
def test_variables_to_restore_loads_the_averages(tmp_path):
    w = tf.Variable(1.0, name="w")
    step = tf.Variable(7, name="step", trainable=False)  # a trainable one would map to its (absent) average
    ema = tf.train.ExponentialMovingAverage(0.5)
    update = ema.apply([w])
    names = ema.variables_to_restore()
    assert names == {"w/ExponentialMovingAverage": w, "step": step}
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        sess.run(tf.assign(w, 3.0))
        sess.run(update)  # average 2.0
        path = saver.save(sess, str(tmp_path / "model"))
    restorer = tf.train.Saver(names)
    with tf.Session() as sess:
        restorer.restore(sess, path)
        assert sess.run(w) == 2.0 and sess.run(step) == 7
