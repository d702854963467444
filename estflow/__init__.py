"""estflow: TensorFlow 1's graph/session and Estimator programming model on numpy and cupy.

    import estflow as tf
    a = tf.constant(3.0); b = tf.placeholder(tf.float32)
    with tf.Session() as sess:
        print(sess.run(a + b, feed_dict={b: 4.0}))   # 7.0

This module only re-exports; the code lives in the subpackages. `estflow.__version__` is
the TF1 API level estflow implements ("1.15.0", as TF1 programs compare it); estflow's own
release is `estflow.__estflow_version__` (also `tf.version.ESTFLOW_VERSION`).
"""

from estflow import _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
