"""The Sobol sequence (estflow/core/ops/sobol_ops.py) against TensorFlow 2.15.1's SobolSample."""

import numpy as np
import pytest

import estflow as tf
from estflow.core import errors
from estflow.core.ops import sobol_ops

# tf.math.sobol_sample(5, 9, dtype=tf.float64) and (3, 4, skip=10), from TensorFlow 2.15.1
TF_FIRST_NINE = [[0.5, 0.5, 0.5, 0.5, 0.5], [0.75, 0.25, 0.25, 0.25, 0.75], [0.25, 0.75, 0.75, 0.75, 0.25],
                 [0.375, 0.375, 0.625, 0.875, 0.375], [0.875, 0.875, 0.125, 0.375, 0.875],
                 [0.625, 0.125, 0.875, 0.625, 0.625], [0.125, 0.625, 0.375, 0.125, 0.125],
                 [0.1875, 0.3125, 0.9375, 0.4375, 0.5625], [0.6875, 0.8125, 0.4375, 0.9375, 0.0625]]
TF_SKIP_TEN = [[0.4375, 0.5625, 0.1875], [0.3125, 0.1875, 0.3125], [0.8125, 0.6875, 0.8125], [0.5625, 0.4375, 0.0625]]
TF_FLOAT32_SKIP_1000 = [[0.7197265625, 0.5966796875, 0.0185546875], [0.9697265625, 0.3466796875, 0.7685546875],
                        [0.4697265625, 0.8466796875, 0.2685546875], [0.3447265625, 0.4716796875, 0.1435546875],
                        [0.8447265625, 0.9716796875, 0.6435546875]]


def _run(fetches, feed=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed)


def test_values_match_tensorflow(g):
    first = tf.math.sobol_sample(5, 9, dtype=tf.float64)
    assert first.name == "sobol/SobolSample:0" and first.op.type == "SobolSample"
    assert first.shape.as_list() == [9, 5] and first.dtype == tf.float64
    assert _run(first).tolist() == TF_FIRST_NINE
    assert _run(tf.math.sobol_sample(3, 4, skip=10, dtype=tf.float64)).tolist() == TF_SKIP_TEN
    f32 = _run(tf.math.sobol_sample(3, 5, skip=1000))
    assert f32.dtype == np.float32 and f32.tolist() == TF_FLOAT32_SKIP_1000


def test_all_forty_dimensions_are_a_low_discrepancy_sequence(g):
    # Every 2^k consecutive points from index 1 (with the zero point) put exactly one point into each
    # interval [j / 2^k, (j + 1) / 2^k) of every coordinate: the (0, k, 1)-net property of each dimension.
    points = _run(tf.math.sobol_sample(sobol_ops.MAX_DIM, 1023, dtype=tf.float64))
    points = np.vstack([np.zeros((1, sobol_ops.MAX_DIM)), points])
    assert sobol_ops.MAX_DIM == 40
    for k in (1, 4, 10):
        cells = np.floor(points[: 2**k] * 2**k).astype(int)
        for column in cells.T:
            assert sorted(column.tolist()) == list(range(2**k))
    # Pairs of dimensions form (t, m, 2)-nets too, so no two columns repeat.
    assert len({tuple(c) for c in points.T.round(12).tolist()}) == sobol_ops.MAX_DIM


def test_shapes_and_errors(g):
    n = tf.placeholder(tf.int32, [])
    assert tf.math.sobol_sample(3, n).shape.as_list() == [None, 3]
    with pytest.raises(TypeError, match="parameter 'dtype' has DataType float16 not in list of allowed values"):
        tf.math.sobol_sample(3, 4, dtype=tf.float16)
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        tf.math.sobol_sample([3], 4)
    for args, message in (((0, 3, 0), "dim must be at least one"), ((2, 0, 0), "num_results must be at least one"),
                          ((2, 3, -1), "skip must be non-negative"), ((21201, 1, 0), "dim must be at most 21200")):
        with pytest.raises(errors.InvalidArgumentError, match=message):
            _run(tf.math.sobol_sample(*args))
    with pytest.raises(errors.UnimplementedError, match="direction numbers for dim <= 40, got dim = 41"):
        _run(tf.math.sobol_sample(41, 2))


GPU_CASES = [("sobol", lambda f: [sobol_ops.sobol_sample(f(np.int32(7)), f(np.int32(33)), f(np.int32(5)))])]


def round_trip():
    """For tests/core/test_graph_io_round_trip.py."""
    return [sobol_ops.sobol_sample(6, 17, skip=3, dtype=tf.float64)], {}
