"""Fractional max and average pooling: windows, values, gradients (checked numerically and against real TF)."""

import numpy as np
import pytest

import estflow as tf
from estflow.core.ops import fractional_pool_ops
from tests.core.gradient_check import check_gradient
from tests.interop import run_tensorflow

X = (np.arange(2 * 7 * 5 * 2, dtype=np.float32).reshape(2, 7, 5, 2) * 7) % 11


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def _reference(x, rows, cols, overlapping, reduce):
    out = np.zeros((x.shape[0], len(rows) - 1, len(cols) - 1, x.shape[3]))
    for r in range(len(rows) - 1):
        r1 = min(rows[r + 1] - 1 + overlapping, x.shape[1] - 1)
        for c in range(len(cols) - 1):
            c1 = min(cols[c + 1] - 1 + overlapping, x.shape[2] - 1)
            out[:, r, c, :] = reduce(x[:, rows[r]:r1 + 1, cols[c]:c1 + 1, :], axis=(1, 2))
    return out


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("pseudo_random", [False, True])
@pytest.mark.parametrize("overlapping", [False, True])
@pytest.mark.parametrize("pool,reduce", [(tf.nn.fractional_max_pool, np.max), (tf.nn.fractional_avg_pool, np.mean)])
def test_values_pool_the_windows_the_sequences_describe(pool, reduce, overlapping, pseudo_random):
    out, rows, cols = pool(X, [1.0, 1.6, 1.3, 1.0], pseudo_random=pseudo_random, overlapping=overlapping)
    assert out.shape.as_list() == [2, 4, 3, 2] and rows.shape.as_list() == [5] and cols.shape.as_list() == [4]
    value, r, c = run([out, rows, cols])
    assert r[0] == 0 and r[-1] == 7 and c[0] == 0 and c[-1] == 5
    assert set(np.diff(r).tolist()) <= {1, 2} and set(np.diff(c).tolist()) <= {1, 2}  # k or k + 1
    np.testing.assert_allclose(value, _reference(X, r, c, overlapping, reduce), rtol=1e-6)


@pytest.mark.usefixtures("g")
def test_even_division_is_regular_pooling_and_integers_average_down():
    x = np.arange(32, dtype=np.int32).reshape(1, 4, 8, 1)
    out, rows, cols = run(tf.nn.fractional_avg_pool(x, [1.0, 2.0, 2.0, 1.0]))
    assert rows.tolist() == [0, 2, 4] and cols.tolist() == [0, 2, 4, 6, 8]
    np.testing.assert_array_equal(out, _reference(x, rows, cols, False, np.mean).astype(np.int64) // 1)
    assert out.dtype == np.int32


TF_SEQUENCES = [  # (input shape, pooling_ratio, pseudo_random, (seed, seed2), rows, cols), printed by real TF
    ((1, 7, 5, 1), [1.0, 1.6, 1.3, 1.0], True, (1, 2),
     [0, 2, 3, 5, 7],
     [0, 2, 3, 5]),
    ((1, 17, 23, 1), [1.0, 1.6, 1.3, 1.0], False, (1, 2),
     [0, 1, 3, 4, 6, 8, 10, 11, 13, 15, 17],
     [0, 1, 2, 4, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 22, 23]),
    ((1, 17, 23, 1), [1.0, 1.44, 1.73, 1.0], False, (5, 0),
     [0, 1, 3, 4, 6, 8, 9, 10, 12, 14, 15, 17],
     [0, 2, 4, 6, 7, 9, 11, 13, 15, 16, 18, 19, 21, 23]),
    ((1, 30, 11, 1), [1.0, 1.7, 1.2, 1.0], True, (-3, 7),
     [0, 2, 4, 6, 7, 9, 11, 13, 14, 16, 18, 20, 21, 23, 25, 27, 28, 30],
     [0, 1, 3, 4, 5, 6, 8, 9, 10, 11]),
    ((1, 9, 9, 1), [1.0, 1.5, 1.5, 1.0], False, (0, 9),
     [0, 1, 3, 4, 5, 7, 9],
     [0, 2, 3, 5, 7, 8, 9]),
]


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("case", TF_SEQUENCES, ids=[f"{c[1][1]}x{c[1][2]}-{c[2]}" for c in TF_SEQUENCES])
def test_seeded_windows_are_tensorflows(case):
    shape, ratio, pseudo_random, (seed, seed2), rows, cols = case
    _, r, c = tf.nn.fractional_avg_pool(np.zeros(shape, np.float32), ratio, pseudo_random=pseudo_random,
                                        deterministic=True, seed=seed, seed2=seed2)
    r, c = run([r, c])
    assert r.tolist() == rows and c.tolist() == cols


def test_deterministic_sequences_repeat_and_random_ones_vary(g):
    fixed = tf.nn.fractional_max_pool(X, [1.0, 1.4, 1.4, 1.0], deterministic=True, seed=3, seed2=4)[1]
    fresh = tf.nn.fractional_max_pool(X, [1.0, 1.4, 1.4, 1.0])[1]
    with tf.Session(graph=g) as sess:
        first = sess.run(fixed)
        assert all(sess.run(fixed).tolist() == first.tolist() for _ in range(5))
        seen = {tuple(sess.run(fresh).tolist()) for _ in range(30)}
    with tf.Session(graph=g) as sess:
        assert sess.run(fixed).tolist() == first.tolist()
    assert len(seen) > 1


@pytest.mark.usefixtures("g")
def test_errors():
    with pytest.raises(ValueError, match="batch nor channel"):
        tf.nn.fractional_max_pool(X, [2.0, 1.5, 1.5, 1.0])
    with pytest.raises(ValueError, match="higher than input dimension"):
        tf.nn.fractional_avg_pool(X, [1.0, 8.0, 1.5, 1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Both seed and seed2 should be 0"):
        run(tf.nn.fractional_max_pool(X, [1.0, 1.5, 1.5, 1.0], seed=1))


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("overlapping", [False, True])
def test_gradients_match_central_differences(pool, overlapping):
    fn = tf.nn.fractional_max_pool if pool == "max" else tf.nn.fractional_avg_pool
    x = np.random.default_rng(4).permutation(2 * 7 * 5 * 2).reshape(2, 7, 5, 2).astype(np.float64)  # no ties
    check_gradient(lambda t: fn(t, [1.0, 1.6, 1.3, 1.0], overlapping=overlapping, deterministic=True, seed=5,
                                seed2=6)[0], [x])


TF_CODE = """
import json, sys
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()
x = np.array(json.loads(sys.argv[1]), np.float32)
out = {}
with tf.Session() as s:
    for name, f in (("max", tf.nn.fractional_max_pool), ("avg", tf.nn.fractional_avg_pool)):
        for ov in (False, True):
            xt = tf.constant(x)
            o, r, c = f(xt, [1.0, 1.6, 1.3, 1.0], pseudo_random=True, overlapping=ov, deterministic=True, seed=1,
                        seed2=2)
            w = tf.reshape(tf.cast(tf.range(tf.size(o)), tf.float32), tf.shape(o))
            g = tf.gradients(tf.reduce_sum(o * w), xt)[0]
            o_, r_, c_, g_ = s.run([o, r, c, g])
            out[f"{name}{ov}"] = [o_.tolist(), r_.tolist(), c_.tolist(), g_.tolist()]
print(json.dumps(out))
"""


@pytest.mark.interop
def test_values_and_gradient_ops_equal_tensorflows_for_its_sequences(tf_python):
    import json

    want = run_tensorflow(tf_python, TF_CODE, json.dumps(X.tolist()))
    for key, (out, rows, cols, grad) in want.items():
        overlapping = key.endswith("True")
        with tf.Graph().as_default():
            x = tf.constant(X)
            w = np.arange(np.size(out), dtype=np.float32).reshape(np.shape(out))
            r, c = tf.constant(rows, tf.int64), tf.constant(cols, tf.int64)
            if key.startswith("max"):
                reduce = np.max
                mine = fractional_pool_ops.apply_op("FractionalMaxPoolGrad", x, tf.constant(out, tf.float32), w, r, c,
                                                    overlapping=overlapping)
            else:
                reduce = np.mean
                mine = fractional_pool_ops.apply_op("FractionalAvgPoolGrad", tf.constant(X.shape, tf.int64), w, r, c,
                                                    overlapping=overlapping)
            np.testing.assert_allclose(_reference(X, rows, cols, overlapping, reduce), out, rtol=1e-6, err_msg=key)
            np.testing.assert_allclose(run(mine), grad, rtol=1e-6, err_msg=key)
            pool = tf.nn.fractional_max_pool if key.startswith("max") else tf.nn.fractional_avg_pool
            ours = pool(x, [1.0, 1.6, 1.3, 1.0], pseudo_random=True, overlapping=overlapping, deterministic=True,
                        seed=1, seed2=2)
            value, our_rows, our_cols = run(ours)  # the same seeds give TF's windows, so TF's values
            assert our_rows.tolist() == rows and our_cols.tolist() == cols, key
            np.testing.assert_allclose(value, out, rtol=1e-6, err_msg=key)
