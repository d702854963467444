"""Test helper: every outcome of a pipeline's get_next, good elements and errors alike, to its end."""

import estflow as tf


def outcomes(dataset, limit=20_000):
    """[value or (error class, message)] of each get_next until OutOfRangeError.

    Values are plain Python (arrays as lists, a tuple element as a list), so that only an error is a tuple.
    """
    nxt = tf.data.make_one_shot_iterator(dataset).get_next()
    out = []
    with tf.Session() as sess:
        for _ in range(limit):
            try:
                value = sess.run(nxt)
            except tf.errors.OutOfRangeError:
                return out
            except tf.errors.OpError as e:
                out.append((type(e), e.message.split("\n\t [[")[0]))
                continue
            out.append(_plain(value))
    raise AssertionError("dataset did not end")


def _plain(value):
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value.tolist() if hasattr(value, "tolist") else value


def unfused(dataset):
    """`dataset` with map-and-batch fusion off: every function runs element by element."""
    options = tf.data.Options()
    options.experimental_optimization.map_and_batch_fusion = False
    return dataset.with_options(options)
