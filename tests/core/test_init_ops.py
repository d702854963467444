"""Initializers (init_ops) and the linalg ops they use (Qr, Diag, DiagPart)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import estflow as tf
from estflow.core import init_ops
from estflow.core.ops import linalg_ops
from estflow.core.ops.constant_op import placeholder
from estflow.core.random_seed import set_random_seed
from estflow.core.registry import registered_ops
from estflow.core.tensor_shape import TensorShape
from tests.core.gradient_check import check_gradient


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def run(g, fetches, feed_dict=None):
    with tf.Session(graph=g) as sess:
        return sess.run(fetches, feed_dict)


def needs_ops(*names):
    missing = [n for n in names if n not in registered_ops()]
    return pytest.mark.skipif(bool(missing), reason=f"ops not registered yet: {missing}")


# ---- constant initializers ----------------------------------------------------------------------
@pytest.mark.parametrize("init, expected", [(init_ops.Zeros(), 0.0), (init_ops.Ones(), 1.0)])
def test_zeros_and_ones(graph, init, expected):
    out = init([2, 3])
    assert out.dtype == tf.float32 and out.shape.as_list() == [2, 3]
    np.testing.assert_array_equal(run(graph, out), np.full((2, 3), expected, np.float32))


def test_zeros_dtype_from_call_or_constructor(graph):
    assert init_ops.Zeros(dtype=tf.int64)([2]).dtype == tf.int64
    assert init_ops.Zeros()([2], dtype=tf.float64).dtype == tf.float64
    assert run(graph, init_ops.Zeros()([2], dtype=tf.bool)).tolist() == [False, False]
    assert init_ops.Ones()(TensorShape([2, 2])).shape.as_list() == [2, 2]


def test_large_zeros_do_not_embed_a_constant(graph):
    out = init_ops.Zeros()([1000, 100])
    assert out.op.type == "Fill"  # TF keeps big initial values out of the GraphDef
    assert run(graph, out).shape == (1000, 100)


def test_constant_fills_pads_and_validates(graph):
    np.testing.assert_array_equal(run(graph, init_ops.Constant(3)([2, 2])), np.full((2, 2), 3, np.float32))
    np.testing.assert_array_equal(run(graph, init_ops.Constant([1, 2])([4])), [1, 2, 2, 2])  # TF1 pads
    np.testing.assert_array_equal(run(graph, init_ops.Constant([[1, 2], [3, 4]])([2, 2])), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(run(graph, init_ops.Constant([1, 2, 3, 4])([2, 2])), [[1, 2], [3, 4]])
    with pytest.raises(TypeError, match="Too many elements provided. Needed at most 2, but received 3"):
        init_ops.Constant([1, 2, 3])([2])
    with pytest.raises(TypeError, match=r"Expected Tensor's shape: \(4,\), got \(2,\)"):
        init_ops.Constant([1, 2], verify_shape=True)([4])


def test_constant_dtype(graph):
    out = init_ops.Constant(7, dtype=tf.int32)([3])
    assert out.dtype == tf.int32
    assert init_ops.Constant(0.5)([1], dtype=tf.float64).dtype == tf.float64


def test_constant_rejects_other_types():
    with pytest.raises(TypeError, match="Invalid type for initial value: <class 'dict'> \\(expected Python scalar, "
                                        "list or tuple of values, or numpy.ndarray\\)."):
        init_ops.Constant({"a": 1})


# ---- random initializers -------------------------------------------------------------------------
def test_random_uniform_initializer(graph):
    value = run(graph, init_ops.RandomUniform(-0.5, 0.5, seed=1)([5000]))
    assert value.min() >= -0.5 and value.max() < 0.5
    value = run(graph, init_ops.RandomUniform(seed=1)([100]))
    assert value.min() >= 0.0 and value.max() < 1.0
    ints = run(graph, init_ops.RandomUniform(0, 3, dtype=tf.int32)([100]))
    assert ints.dtype == np.int32 and set(ints) <= {0, 1, 2}


def test_random_normal_and_truncated_normal_initializers(graph):
    normal = run(graph, init_ops.RandomNormal(1.0, 0.5, seed=2)([20000]))
    assert abs(normal.mean() - 1.0) < 0.02 and abs(normal.std() - 0.5) < 0.02
    truncated = run(graph, init_ops.TruncatedNormal(0.0, 0.5, seed=3)([20000]))
    assert np.abs(truncated).max() <= 1.0
    assert abs(truncated.std() - 0.5 * 0.87962566103423978) < 0.02


@pytest.mark.parametrize("cls", [init_ops.RandomNormal, init_ops.TruncatedNormal, init_ops.VarianceScaling,
                                 init_ops.GlorotUniform, init_ops.Orthogonal, init_ops.Identity])
def test_float_only_initializers_reject_integer_dtypes(cls):
    with pytest.raises(ValueError, match="Expected floating point type, got int32."):
        cls(dtype=tf.int32)


def test_seeded_initializers_replay_in_new_sessions_and_graphs():
    values = []
    for _ in range(2):
        g = tf.Graph()
        with g.as_default():
            values.append(run(g, init_ops.GlorotUniform(seed=5)([4, 3])))
    np.testing.assert_array_equal(values[0], values[1])


def test_graph_seed_makes_unseeded_initializers_reproducible():
    values = []
    for _ in range(2):
        g = tf.Graph()
        with g.as_default():
            set_random_seed(3)
            values.append(run(g, init_ops.TruncatedNormal()([6])))
    np.testing.assert_array_equal(values[0], values[1])


# ---- fans and variance scaling -------------------------------------------------------------------
@pytest.mark.parametrize("shape, fans", [
    ([], (1, 1)), ([5], (5, 5)), ([3, 4], (3, 4)), ([3, 3, 16, 32], (144, 288)), ([2, 5, 7], (10, 14)),
])
def test_compute_fans(shape, fans):
    assert init_ops._compute_fans(shape) == fans
    assert init_ops._compute_fans(TensorShape(shape)) == fans


def test_glorot_uniform_limits(graph):
    value = run(graph, init_ops.GlorotUniform(seed=1)([200, 300]))
    limit = math.sqrt(6.0 / 500)
    assert np.abs(value).max() <= limit
    assert np.abs(value).max() > 0.99 * limit
    assert abs(value.var() - limit**2 / 3) < 0.05 * limit**2 / 3


def test_glorot_normal_stddev(graph):
    value = run(graph, init_ops.GlorotNormal(seed=1)([200, 300]))
    stddev = math.sqrt(2.0 / 500)
    assert abs(value.std() - stddev) < 0.03 * stddev  # the truncation is corrected for
    assert np.abs(value).max() <= 2 * stddev / 0.87962566103423978


@pytest.mark.parametrize("mode, n", [("fan_in", 144), ("fan_out", 288), ("fan_avg", 216)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "untruncated_normal", "uniform"])
def test_variance_scaling_modes_and_distributions(graph, mode, n, distribution):
    init = init_ops.VarianceScaling(scale=2.0, mode=mode, distribution=distribution, seed=4)
    value = run(graph, init([3, 3, 16, 32]))
    assert value.shape == (3, 3, 16, 32)
    stddev = math.sqrt(2.0 / n)
    assert abs(value.std() - stddev) < 0.05 * stddev
    if distribution == "uniform":
        assert np.abs(value).max() <= math.sqrt(3.0) * stddev
    elif distribution != "untruncated_normal":
        assert np.abs(value).max() <= 2 * stddev / 0.87962566103423978
    else:
        assert np.abs(value).max() > 2 * stddev / 0.87962566103423978  # tails are kept


def test_variance_scaling_uses_the_partition_full_shape(graph):
    class PartitionInfo:
        full_shape = [400, 10]

    init = init_ops.VarianceScaling(distribution="uniform", seed=1)
    value = run(graph, init([100, 10], partition_info=PartitionInfo()))
    assert np.abs(value).max() <= math.sqrt(3.0 / 400)


@pytest.mark.parametrize("kwargs, message", [
    ({"scale": 0.0}, "`scale` must be positive float, got 0.0."),
    ({"mode": "fan_sum"}, "Invalid `mode` argument: 'fan_sum'"),
    ({"distribution": "cauchy"}, "Invalid `distribution` argument: 'cauchy'"),
])
def test_variance_scaling_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        init_ops.VarianceScaling(**kwargs)


def test_distribution_names_are_case_insensitive():
    assert init_ops.VarianceScaling(distribution="Uniform").distribution == "uniform"


@pytest.mark.parametrize("fn, scale, mode, distribution", [
    (init_ops.he_normal, 2.0, "fan_in", "truncated_normal"), (init_ops.he_uniform, 2.0, "fan_in", "uniform"),
    (init_ops.lecun_normal, 1.0, "fan_in", "truncated_normal"), (init_ops.lecun_uniform, 1.0, "fan_in", "uniform"),
])
def test_named_variance_scaling_initializers(fn, scale, mode, distribution):
    init = fn(seed=3)
    assert (init.scale, init.mode, init.distribution, init.seed) == (scale, mode, distribution, 3)


def test_uniform_unit_scaling(graph):
    value = run(graph, init_ops.UniformUnitScaling(factor=2.0, seed=1)([300, 5]))
    assert np.abs(value).max() <= 2.0 * math.sqrt(3 / 300)


# ---- orthogonal and identity -------------------------------------------------------------------
@needs_ops("Sign", "Transpose", "Reshape")
@pytest.mark.parametrize("shape", [[6, 4], [4, 6], [5, 5], [2, 3, 4]])
def test_orthogonal(graph, shape):
    value = run(graph, init_ops.Orthogonal(gain=2.0, seed=1)(shape))
    assert value.shape == tuple(shape)
    flat = value.reshape(-1, shape[-1])
    small = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(small, 4.0 * np.eye(len(small)), atol=1e-5)


@needs_ops("Sign", "Transpose", "Reshape")
def test_orthogonal_uses_qr_of_a_normal_matrix(graph):
    init_ops.Orthogonal(seed=1)([4, 3])
    types = {op.type for op in graph.get_operations()}
    assert {"RandomStandardNormal", "Qr", "DiagPart", "Sign", "Reshape"} <= types


def test_orthogonal_needs_two_dimensions(graph):
    with pytest.raises(ValueError, match="The tensor to initialize must be at least two-dimensional"):
        init_ops.Orthogonal()([5])


@pytest.mark.parametrize("shape", [[3, 3], [2, 4], [4, 2]])
def test_identity(graph, shape):
    np.testing.assert_array_equal(run(graph, init_ops.Identity(gain=3.0)(shape)), 3.0 * np.eye(*shape))


def test_identity_needs_a_matrix(graph):
    with pytest.raises(ValueError, match="Identity matrix initializer can only be used for 2D matrices."):
        init_ops.Identity()([2, 2, 2])


# ---- configs and aliases --------------------------------------------------------------------------
@pytest.mark.parametrize("init, config", [
    (init_ops.Zeros(), {"dtype": "float32"}),
    (init_ops.Ones(dtype=tf.int32), {"dtype": "int32"}),
    (init_ops.Constant([1, 2]), {"value": [1, 2], "dtype": "float32"}),
    (init_ops.RandomUniform(-1, 1, seed=2), {"minval": -1, "maxval": 1, "seed": 2, "dtype": "float32"}),
    (init_ops.RandomNormal(stddev=2.0), {"mean": 0.0, "stddev": 2.0, "seed": None, "dtype": "float32"}),
    (init_ops.TruncatedNormal(seed=1), {"mean": 0.0, "stddev": 1.0, "seed": 1, "dtype": "float32"}),
    (init_ops.VarianceScaling(), {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal",
                                  "seed": None, "dtype": "float32"}),
    (init_ops.GlorotUniform(seed=3), {"seed": 3, "dtype": "float32"}),
    (init_ops.GlorotNormal(dtype=tf.float64), {"seed": None, "dtype": "float64"}),
    (init_ops.Orthogonal(gain=0.5), {"gain": 0.5, "seed": None, "dtype": "float32"}),
    (init_ops.Identity(), {"gain": 1.0, "dtype": "float32"}),
])
def test_get_config_round_trips(init, config):
    assert init.get_config() == config
    clone = type(init).from_config(init.get_config())
    assert type(clone) is type(init) and clone.get_config() == config


def test_tf1_lowercase_names_are_the_classes():
    assert init_ops.zeros_initializer is init_ops.Zeros
    assert init_ops.ones_initializer is init_ops.Ones
    assert init_ops.constant_initializer is init_ops.Constant
    assert init_ops.random_uniform_initializer is init_ops.RandomUniform
    assert init_ops.random_normal_initializer is init_ops.RandomNormal
    assert init_ops.truncated_normal_initializer is init_ops.TruncatedNormal
    assert init_ops.variance_scaling_initializer is init_ops.VarianceScaling
    assert init_ops.glorot_uniform_initializer is init_ops.GlorotUniform
    assert init_ops.glorot_normal_initializer is init_ops.GlorotNormal
    assert init_ops.orthogonal_initializer is init_ops.Orthogonal
    assert init_ops.identity_initializer is init_ops.Identity


def test_repr_shows_the_config():
    assert repr(init_ops.GlorotUniform(seed=3)) == "GlorotUniform(seed=3, dtype='float32')"


# ---- linalg ops ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, full, q_shape, r_shape", [
    ((5, 3), False, (5, 3), (3, 3)), ((5, 3), True, (5, 5), (5, 3)), ((3, 5), False, (3, 3), (3, 5)),
    ((2, 4, 3), False, (2, 4, 3), (2, 3, 3)),
])
def test_qr(graph, shape, full, q_shape, r_shape):
    a = np.random.default_rng(0).standard_normal(shape)
    q, r = linalg_ops.qr(a, full_matrices=full)
    assert q.shape.as_list() == list(q_shape) and r.shape.as_list() == list(r_shape)
    qv, rv = run(graph, [q, r])
    assert qv.shape == q_shape and rv.shape == r_shape and qv.dtype == np.float64
    np.testing.assert_allclose(qv @ rv, a, atol=1e-10)
    np.testing.assert_allclose(np.triu(rv), rv)


def test_qr_partial_shapes_and_errors(graph):
    q, r = linalg_ops.qr(placeholder(tf.float32, [None, 3]))
    assert q.shape.as_list() == [None, None] and r.shape.as_list() == [None, 3]
    with pytest.raises(ValueError, match="Shape must be at least rank 2 but is rank 1"):
        linalg_ops.qr(np.ones(3))
    with pytest.raises(TypeError, match="DataType int32 not in list of allowed values"):
        linalg_ops.qr(np.ones((2, 2), np.int32))


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_diag_and_diag_part(graph, shape):
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    d = linalg_ops.diag(x)
    assert d.shape.as_list() == list(shape) * 2
    dv = run(graph, d)
    assert dv.shape == shape * 2
    assert dv.sum() == x.sum() and np.count_nonzero(dv) == x.size
    back = linalg_ops.diag_part(d)
    assert back.shape.as_list() == list(shape)
    np.testing.assert_array_equal(run(graph, back), x)


def test_diag_part_shape_errors(graph):
    with pytest.raises(ValueError, match="Input must have even and non-zero rank, input rank is 3"):
        linalg_ops.diag_part(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="Dimensions must be equal, but are 2 and 3"):
        linalg_ops.diag_part(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Shape must be at least rank 1 but is rank 0"):
        linalg_ops.diag(1.0)


@needs_ops("Sum")
def test_diag_gradients():
    rng = np.random.default_rng(1)
    check_gradient(lambda x: linalg_ops.diag(x), [rng.standard_normal((2, 3))])
    check_gradient(lambda x: linalg_ops.diag_part(x), [rng.standard_normal((3, 3))])


@pytest.mark.usefixtures("g")
@pytest.mark.parametrize("name,init,check", [
    ("zeros", tf.zeros_initializer(), lambda a: np.all(a == 0)),
    ("ones", tf.ones_initializer(), lambda a: np.all(a == 1)),
    ("constant", tf.constant_initializer(3.0), lambda a: np.all(a == 3)),
    ("random_normal", tf.random_normal_initializer(0.0, 1.0, seed=1), lambda a: 0.5 < a.std() < 1.5),
    ("truncated_normal", tf.truncated_normal_initializer(0.0, 1.0, seed=1), lambda a: np.all(np.abs(a) <= 2.0)),
    ("random_uniform", tf.random_uniform_initializer(-1.0, 1.0, seed=1), lambda a: np.all(np.abs(a) <= 1.0)),
    ("glorot_uniform", tf.glorot_uniform_initializer(seed=1),
     lambda a: np.all(np.abs(a) <= np.sqrt(6 / (40 + 50))) and a.std() > 0.05),
    ("glorot_normal", tf.glorot_normal_initializer(seed=1),
     lambda a: np.all(np.abs(a) <= 2 * np.sqrt(1 / 45) / 0.87962566103423978 + 1e-6) and a.std() > 0.1),
    ("variance_scaling", tf.variance_scaling_initializer(scale=2.0, mode="fan_in", seed=1),
     lambda a: np.all(np.abs(a) <= 2 * np.sqrt(2 / 40) / 0.87962566103423978 + 1e-6)),
    ("orthogonal", tf.orthogonal_initializer(seed=1), lambda a: np.allclose(a.T @ a, np.eye(50), atol=1e-4)),
])
def test_initializers(name, init, check):
    v = tf.get_variable(name, shape=[40, 50] if name != "orthogonal" else [60, 50], initializer=init)
    with tf.Session() as sess:
        sess.run(v.initializer)
        val = sess.run(v)
    assert val.dtype == np.float32 and check(val), name
