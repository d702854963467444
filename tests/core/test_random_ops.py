"""Random ops and seeds: TF1's reproducibility contract, shapes, ranges and statistics."""

from __future__ import annotations

import numpy as np
import pytest

import estflow as tf
from estflow.core import devices, dtypes, errors
from estflow.core.ops import random_ops
from estflow.core.ops.constant_op import constant, placeholder
from estflow.core.random_seed import DEFAULT_GRAPH_SEED, get_seed, set_random_seed
from estflow.core.registry import registered_ops
from estflow.core.tensor_shape import TensorShape

RANDOM_OPS = ("RandomUniform", "RandomUniformInt", "RandomStandardNormal", "TruncatedNormal", "RandomShuffle",
              "Multinomial")


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def run(g, fetches, feed_dict=None):
    with tf.Session(graph=g) as sess:
        return sess.run(fetches, feed_dict)


def has_gpu() -> bool:
    return devices.cupy_module() is not None and devices.num_gpus() > 0


# ---- seeds --------------------------------------------------------------------------------------
@pytest.mark.parametrize("graph_seed, op_seed, expected", [
    (None, None, (None, None)),
    (None, 5, (DEFAULT_GRAPH_SEED, 5)),
    (3, 5, (3, 5)),
    (0, 0, (0, 2**31 - 1)),  # (0, 0) means "nondeterministic" to kernels
    (None, 2**31 + 4, (DEFAULT_GRAPH_SEED, 5)),  # truncated to int32
    (-1, 7, (2**31 - 2, 7)),
])
def test_get_seed_rules(graph, graph_seed, op_seed, expected):
    set_random_seed(graph_seed)
    assert get_seed(op_seed) == expected


def test_get_seed_without_op_seed_uses_the_graphs_last_id(graph):
    set_random_seed(11)
    constant(1.0)
    constant(2.0)
    assert get_seed(None) == (11, graph._last_id)
    assert graph._last_id == 2


def test_set_random_seed_sets_the_default_graph_only(graph):
    other = tf.Graph()
    set_random_seed(42)
    assert graph.seed == 42
    assert other.seed is None


# ---- registration and graph structure ------------------------------------------------------------
@pytest.mark.parametrize("op_type", RANDOM_OPS)
def test_random_ops_are_stateful_non_differentiable_and_take_seeds(op_type):
    op_def = registered_ops()[op_type]
    assert op_def.stateful and op_def.make_kernel is not None
    assert not op_def.differentiable and op_def.grad is None
    assert op_def.attrs["seed"] == 0 and op_def.attrs["seed2"] == 0


def test_random_uniform_builds_tf_op_names(graph):
    out = random_ops.random_uniform([2, 3], -1.0, 1.0, seed=4)
    names = [op.name for op in graph.get_operations()]
    assert names == ["random_uniform/shape", "random_uniform/min", "random_uniform/max",
                     "random_uniform/RandomUniform", "random_uniform/sub", "random_uniform/mul", "random_uniform"]
    assert out.name == "random_uniform:0"
    rnd = graph.get_operation_by_name("random_uniform/RandomUniform")
    assert rnd.type == "RandomUniform"
    assert (rnd.get_attr("seed"), rnd.get_attr("seed2")) == (DEFAULT_GRAPH_SEED, 4)
    assert rnd.get_attr("dtype") == dtypes.float32


@pytest.mark.parametrize("fn, scope, op_type", [
    (random_ops.random_normal, "random_normal", "RandomStandardNormal"),
    (random_ops.truncated_normal, "truncated_normal", "TruncatedNormal"),
])
def test_normal_ops_build_tf_op_names(graph, fn, scope, op_type):
    out = fn([4], mean=1.0, stddev=2.0)
    names = [op.name for op in graph.get_operations()]
    assert names == [f"{scope}/shape", f"{scope}/mean", f"{scope}/stddev", f"{scope}/{op_type}", f"{scope}/mul",
                     scope]
    assert out.op.type == "AddV2"
    rnd = graph.get_operation_by_name(f"{scope}/{op_type}")
    assert (rnd.get_attr("seed"), rnd.get_attr("seed2")) == (0, 0)  # no seed anywhere


def test_explicit_name_names_the_result(graph):
    assert random_ops.random_normal([1], name="noise").name == "noise:0"
    assert random_ops.random_uniform([1], name="u").op.name == "u"
    assert random_ops.random_shuffle([1, 2, 3], name="shuf").op.name == "shuf"
    assert random_ops.random_shuffle([1, 2, 3]).op.name == "RandomShuffle"


# ---- reproducibility --------------------------------------------------------------------------------
def test_graph_seed_makes_every_session_replay_the_same_sequences(graph):
    set_random_seed(1234)
    a = random_ops.random_uniform([3])
    b = random_ops.random_normal([3])
    with tf.Session(graph=graph) as sess:
        a1, a2 = sess.run(a), sess.run(a)
        b1, b2 = sess.run(b), sess.run(b)
    with tf.Session(graph=graph) as sess:
        np.testing.assert_array_equal(sess.run(a), a1)
        np.testing.assert_array_equal(sess.run(a), a2)
        np.testing.assert_array_equal(sess.run(b), b1)
        np.testing.assert_array_equal(sess.run(b), b2)
    assert not np.array_equal(a1, a2)  # successive runs draw new values
    assert not np.array_equal(b1, b2)


def test_ops_under_one_graph_seed_differ_from_each_other(graph):
    set_random_seed(7)
    a = random_ops.random_uniform([5])
    b = random_ops.random_uniform([5])
    va, vb = run(graph, [a, b])
    assert not np.array_equal(va, vb)


def test_op_seed_alone_is_reproducible_across_graphs():
    values = []
    for extra_ops in (0, 3):
        g = tf.Graph()
        with g.as_default():
            for _ in range(extra_ops):
                constant(0.0)  # op ids must not matter when only the op seed is given
            x = random_ops.random_normal([4], seed=99)
        values.append(run(g, x))
    np.testing.assert_array_equal(values[0], values[1])


def test_graph_seed_changes_the_values_of_an_op_seed():
    values = []
    for graph_seed in (1, 2):
        g = tf.Graph()
        with g.as_default():
            set_random_seed(graph_seed)
            values.append(run(g, random_ops.random_uniform([6], seed=3)))
    assert not np.array_equal(values[0], values[1])


def test_unseeded_ops_differ_between_sessions(graph):
    x = random_ops.random_uniform([16])
    assert not np.array_equal(run(graph, x), run(graph, x))


def test_a_new_plan_in_the_same_session_continues_the_stream(graph):
    x = random_ops.random_uniform([3], seed=5)
    y = constant(1.0)
    with tf.Session(graph=graph) as sess:
        first = sess.run(x)
        second, _ = sess.run([x, y])  # another signature compiles another plan
    with tf.Session(graph=graph) as sess:
        np.testing.assert_array_equal(sess.run(x), first)
        np.testing.assert_array_equal(sess.run(x), second)


def test_one_run_draws_once_for_all_fetches_of_an_op(graph):
    x = random_ops.random_uniform([3], seed=5)
    v1, v2 = run(graph, [x, x])
    np.testing.assert_array_equal(v1, v2)


# ---- shapes --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [[2, 3], (2, 3), np.array([2, 3], np.int64), TensorShape([2, 3])])
def test_static_shapes(graph, shape):
    out = random_ops.random_uniform(shape)
    assert out.shape.as_list() == [2, 3]
    assert run(graph, out).shape == (2, 3)


def test_shape_as_a_constant_tensor_is_static(graph):
    out = random_ops.random_normal(constant([4, 1]))
    assert out.shape.as_list() == [4, 1]
    assert run(graph, out).shape == (4, 1)


def test_empty_shape_gives_a_scalar(graph):
    out = random_ops.truncated_normal([])
    assert out.shape.as_list() == []
    assert np.shape(run(graph, out)) == ()


def test_fed_shape_gives_a_partial_static_shape(graph):
    shape = placeholder(tf.int32, [2])
    out = random_ops.random_uniform(shape)
    assert out.shape.as_list() == [None, None]
    assert run(graph, out, {shape: [4, 5]}).shape == (4, 5)


def test_shape_of_unknown_length_gives_unknown_rank(graph):
    shape = placeholder(tf.int32)
    out = random_ops.random_normal(shape)
    assert out.shape.ndims is None
    assert run(graph, out, {shape: [2, 1, 3]}).shape == (2, 1, 3)


def test_zero_sized_shapes(graph):
    assert run(graph, random_ops.random_uniform([0, 3])).shape == (0, 3)
    assert run(graph, random_ops.random_uniform([0], 0, 4, dtype=tf.int32)).shape == (0,)


def test_float_shape_is_a_type_error(graph):
    with pytest.raises(TypeError, match="Value passed to parameter 'shape' has DataType float32 not in list of "
                                        "allowed values: int32, int64"):
        random_ops.random_uniform([2.0, 3.0])


def test_matrix_shape_is_a_value_error(graph):
    with pytest.raises(ValueError, match=r"Shape must be rank 1 but is rank 2 for 'random_normal/"
                                         r"RandomStandardNormal' \(op: 'RandomStandardNormal'\)"):
        random_ops.random_normal(constant([[1, 2]]))


def test_negative_dimension_is_a_value_error(graph):
    with pytest.raises(ValueError, match="Dimension -1 must be >= 0"):
        random_ops.random_uniform([-1, 2])


def test_negative_fed_dimension_fails_at_run_time(graph):
    shape = placeholder(tf.int32, [1])
    out = random_ops.random_uniform(shape)
    with pytest.raises(errors.InvalidArgumentError, match="Dimension -3 must be >= 0"):
        run(graph, out, {shape: [-3]})


def test_partially_known_tensor_shape_is_rejected(graph):
    with pytest.raises(ValueError, match="partially known"):
        random_ops.random_uniform(TensorShape([None, 2]))


# ---- dtypes and argument errors ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, dtypes.float16])
@pytest.mark.parametrize("fn", [random_ops.random_uniform, random_ops.random_normal, random_ops.truncated_normal])
def test_float_dtypes(graph, fn, dtype):
    out = fn([3, 2], dtype=dtype, seed=1)
    assert out.dtype == dtype
    value = run(graph, out)
    assert value.dtype == dtype.as_numpy_dtype and value.shape == (3, 2)


def test_integer_uniform_needs_maxval(graph):
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        random_ops.random_uniform([2], dtype=tf.int32)


def test_uniform_rejects_other_dtypes(graph):
    with pytest.raises(ValueError, match="Invalid dtype"):
        random_ops.random_uniform([2], dtype=dtypes.string)


def test_normal_rejects_integer_dtypes(graph):
    with pytest.raises(TypeError, match="Value passed to parameter 'dtype' has DataType int32 not in list of "
                                        "allowed values: float16, float32, float64"):
        random_ops.random_normal([2], dtype=tf.int32)


# ---- values ------------------------------------------------------------------------------------------
def test_uniform_range_and_mean(graph):
    value = run(graph, random_ops.random_uniform([20000], -2.0, 3.0, seed=1))
    assert value.min() >= -2.0 and value.max() < 3.0
    assert abs(value.mean() - 0.5) < 0.05
    assert abs(value.std() - 5 / np.sqrt(12)) < 0.05


def test_uniform_default_range_is_zero_to_one(graph):
    value = run(graph, random_ops.random_uniform([1000], seed=2))
    assert value.min() >= 0.0 and value.max() < 1.0


def test_uniform_with_tensor_bounds(graph):
    lo = placeholder(tf.float32, [])
    value = run(graph, random_ops.random_uniform([500], lo, 10.0, seed=2), {lo: 9.0})
    assert value.min() >= 9.0 and value.max() < 10.0


def test_normal_statistics(graph):
    value = run(graph, random_ops.random_normal([20000], mean=1.0, stddev=2.0, seed=3))
    assert abs(value.mean() - 1.0) < 0.05
    assert abs(value.std() - 2.0) < 0.05


def test_truncated_normal_stays_within_two_stddevs(graph):
    value = run(graph, random_ops.truncated_normal([20000], mean=1.0, stddev=2.0, seed=4))
    assert value.min() >= 1.0 - 4.0 and value.max() <= 1.0 + 4.0
    assert abs(value.mean() - 1.0) < 0.05
    assert abs(value.std() - 2.0 * 0.87962566103423978) < 0.05  # stddev of N(0,1) truncated at ±2


@pytest.mark.parametrize("dtype", [tf.int32, tf.int64])
def test_integer_uniform(graph, dtype):
    out = random_ops.random_uniform([3000], 1, 7, dtype=dtype, seed=5)
    assert out.op.type == "RandomUniformInt" and out.op.name == "random_uniform"
    value = run(graph, out)
    assert value.dtype == dtype.as_numpy_dtype
    assert set(np.unique(value)) == {1, 2, 3, 4, 5, 6}


def test_integer_uniform_checks_bounds_at_run_time(graph):
    lo = placeholder(tf.int32, [])
    out = random_ops.random_uniform([2], lo, 3, dtype=tf.int32)
    with pytest.raises(errors.InvalidArgumentError, match="Need minval < maxval: 5 >= 3"):
        run(graph, out, {lo: 5})


def test_integer_uniform_bounds_must_be_scalars(graph):
    with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
        random_ops.random_uniform([2], [0, 1], 3, dtype=tf.int32)


def test_random_shuffle_permutes_the_first_dimension(graph):
    rows = np.arange(200).reshape(100, 2)
    out = random_ops.random_shuffle(rows, seed=6)
    assert out.shape.as_list() == [100, 2]
    value = run(graph, out)
    np.testing.assert_array_equal(np.sort(value[:, 0]), rows[:, 0])
    np.testing.assert_array_equal(value[:, 1], value[:, 0] + 1)  # rows stay whole
    assert not np.array_equal(value, rows)
    np.testing.assert_array_equal(run(graph, out), value)  # seeded: a new session replays it


def test_random_shuffle_of_strings_and_scalars(graph):
    words = run(graph, random_ops.random_shuffle(["a", "b", "c"], seed=1))
    assert sorted(words) == [b"a", b"b", b"c"]
    assert run(graph, random_ops.random_shuffle(3.0)) == 3.0


# ---- multinomial -----------------------------------------------------------------------------------
def test_multinomial_frequencies(graph):
    logits = np.log([[0.2, 0.8], [1.0, 1e-30]]).astype(np.float32)
    logits[1, 1] = -np.inf
    out = random_ops.multinomial(logits, 5000, seed=8)
    assert out.dtype == tf.int64 and out.shape.as_list() == [2, 5000]
    assert out.op.name == "multinomial/Multinomial"
    value = run(graph, out)
    assert abs(value[0].mean() - 0.8) < 0.03
    assert not value[1].any()  # a -inf logit is never drawn


def test_multinomial_many_classes(graph):
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    value = run(graph, random_ops.multinomial(np.log([probs, probs[::-1]]), 8000, seed=9))
    for row, p in zip(value, (probs, probs[::-1]), strict=True):
        np.testing.assert_allclose(np.bincount(row, minlength=4) / 8000, p, atol=0.03)


def test_multinomial_output_dtype_and_dynamic_samples(graph):
    n = placeholder(tf.int32, [])
    out = random_ops.multinomial([[0.0, 0.0, 0.0]], n, output_dtype=tf.int32)
    assert out.dtype == tf.int32 and out.shape.as_list() == [1, None]
    value = run(graph, out, {n: 7})
    assert value.shape == (1, 7) and value.dtype == np.int32 and value.max() <= 2


def test_categorical_is_multinomial_with_tf2_names(graph):
    out = random_ops.categorical([[0.0, 1.0]], 3, dtype=tf.int32, seed=1)
    assert out.op.type == "Multinomial" and out.op.name == "categorical/Multinomial"
    assert out.dtype == tf.int32
    assert run(graph, out).shape == (1, 3)


def test_multinomial_needs_matrix_logits(graph):
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1"):
        random_ops.multinomial([0.0, 1.0], 2)


def test_multinomial_rejects_negative_sample_counts(graph):
    n = placeholder(tf.int32, [])
    out = random_ops.multinomial([[0.0, 1.0]], n)
    with pytest.raises(errors.InvalidArgumentError, match="num_samples should be nonnegative, got -1"):
        run(graph, out, {n: -1})


# ---- GPU ------------------------------------------------------------------------------------------------
def test_seeded_values_are_the_same_on_gpu(graph, gpu):
    cpu = [random_ops.random_uniform([3, 2], seed=1), random_ops.truncated_normal([5], seed=2),
           random_ops.random_uniform([4], 0, 9, dtype=tf.int64, seed=3), random_ops.random_shuffle([1, 2, 3], seed=4),
           random_ops.multinomial([[0.0, 1.0, 2.0]], 6, seed=5)]
    with graph.device("/gpu:0"):
        gpu = [random_ops.random_uniform([3, 2], seed=1), random_ops.truncated_normal([5], seed=2),
               random_ops.random_uniform([4], 0, 9, dtype=tf.int64, seed=3),
               random_ops.random_shuffle([1, 2, 3], seed=4), random_ops.multinomial([[0.0, 1.0, 2.0]], 6, seed=5)]
    cpu_values, gpu_values = run(graph, [cpu, gpu])
    for c, g in zip(cpu_values, gpu_values, strict=True):
        assert isinstance(g, np.ndarray)
        np.testing.assert_allclose(g, c, rtol=1e-6)


def run_fetches(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict=feed_dict)


@pytest.mark.usefixtures("g")
def test_set_random_seed_reproducible_across_sessions_and_new_per_run():
    def build():
        with tf.Graph().as_default() as graph:
            tf.set_random_seed(42)
            r = tf.random_uniform([4])
            n = tf.random_normal([3], seed=7)
        return graph, r, n

    graph, r, n = build()
    with tf.Session(graph=graph) as s1:
        a1, b1 = s1.run([r, n])
        a2, _ = s1.run([r, n])
    with tf.Session(graph=graph) as s2:
        a1b, b1b = s2.run([r, n])
    graph2, r2, n2 = build()
    with tf.Session(graph=graph2) as s3:
        a1c = s3.run(r2)
    np.testing.assert_array_equal(a1, a1b)
    np.testing.assert_array_equal(b1, b1b)
    np.testing.assert_array_equal(a1, a1c)
    assert not np.array_equal(a1, a2)


@pytest.mark.usefixtures("g")
def test_random_ops_shapes_and_ranges():
    tf.set_random_seed(1)
    out = run_fetches([
        tf.random_uniform([1000], 2.0, 3.0), tf.random_uniform([1000], 0, 4, dtype=tf.int32),
        tf.truncated_normal([1000]), tf.random_shuffle(tf.range(10)), tf.multinomial(tf.log([[0.5, 0.5]]), 50),
    ])
    assert out[0].min() >= 2.0 and out[0].max() < 3.0
    assert set(out[1].tolist()) <= {0, 1, 2, 3} and out[1].dtype == np.int32
    assert np.abs(out[2]).max() <= 2.0
    assert sorted(out[3].tolist()) == list(range(10))
    assert out[4].shape == (1, 50) and out[4].dtype == np.int64 and set(out[4].ravel()) <= {0, 1}
